#!/usr/bin/env bash
# CLI contract tests: fit/predict/eval/transform/info/algos on real data,
# save/load round trips, JSON output, and the bad-input battery (each case:
# the exit code and a one-line message that names the place).
# Usage: test_cli.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_cli.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0


# expect CODE REGEX -- command...   (REGEX matched against stderr)

# ---------------------------------------------------------------- happy paths
expect 0 "" -- "$CML" --help
expect 0 "" -- "$CML" algos
expect 0 "" -- "$CML" algos logistic_regression
grep -q '^  C ' "$T/out" && ok || bad "algos logistic_regression lacks C"
expect 0 "" -- "$CML" algos --json
grep -q '"estimators"' "$T/out" && ok || bad "algos --json"

expect 0 "" -- "$CML" fit --algo logistic_regression --data $DATA/breast_cancer.csv --prep scale=standard --model "$T/lr.gguf" --json
grep -Eq '"fit_seconds":[0-9.]+' "$T/out" && grep -q '"load_seconds"' "$T/out" && grep -q '"save_seconds"' "$T/out" && ok || bad "fit --json timings: $(cat "$T/out")"
expect 0 "" -- "$CML" predict --model "$T/lr.gguf" --data $DATA/breast_cancer.csv --out "$T/p1.csv" --proba
head -1 "$T/p1.csv" | grep -q '^prediction,proba_0,proba_1$' && ok || bad "predict header: $(head -1 "$T/p1.csv")"
[ "$(wc -l <"$T/p1.csv")" = 570 ] && ok || bad "predict rows"
# save -> load -> predict is bit-identical across two loads
expect 0 "" -- "$CML" predict --model "$T/lr.gguf" --data $DATA/breast_cancer.csv --out "$T/p2.csv" --proba
cmp -s "$T/p1.csv" "$T/p2.csv" && ok || bad "predictions differ between loads"
expect 0 "" -- "$CML" eval --model "$T/lr.gguf" --data $DATA/breast_cancer.csv --json
grep -Eq '"accuracy":0\.9[0-9]*' "$T/out" && ok || bad "eval accuracy: $(cat "$T/out")"
expect 0 "" -- "$CML" info "$T/lr.gguf"
grep -q '"kind":"logistic_regression"' "$T/out" && grep -q '"steps"' "$T/out" && grep -q '"schema"' "$T/out" && ok || bad "info: $(head -c 400 "$T/out")"

# regression, target by name, --valid
expect 0 "" -- "$CML" fit --algo ridge --data $DATA/diabetes.csv --target target --param alpha=0.5 --valid $DATA/diabetes.csv --model "$T/ridge.gguf"
grep -q 'r2' "$T/out" && ok || bad "fit --valid prints metrics"

# string labels and categorical features round-trip through the schema
{
  echo 'petal_len,color,species'
  awk -F, 'NR>1 { c = (NR % 3 == 0) ? "red" : (NR % 3 == 1 ? "green" : "blue");
                  s = ($5 == 0) ? "setosa" : ($5 == 1 ? "versicolor" : "virginica");
                  print $3 "," c "," s }' $DATA/iris.csv
} >"$T/iris_named.csv"
expect 0 "" -- "$CML" fit --algo logreg --data "$T/iris_named.csv" --prep onehot --prep scale=standard --model "$T/named.gguf"
expect 0 "" -- "$CML" predict --model "$T/named.gguf" --data "$T/iris_named.csv" --out "$T/named.csv" --proba
head -1 "$T/named.csv" | grep -q 'proba_setosa,proba_versicolor,proba_virginica' && ok || bad "string class labels: $(head -1 "$T/named.csv")"
grep -q '^virginica,' "$T/named.csv" && ok || bad "string predictions"
# columns matched by name: reordered columns give the same predictions
awk -F, -v OFS=, '{ print $3, $2, $1 }' "$T/iris_named.csv" >"$T/iris_reordered.csv"
expect 0 "" -- "$CML" predict --model "$T/named.gguf" --data "$T/iris_reordered.csv" --out "$T/named2.csv" --proba
cmp -s "$T/named.csv" "$T/named2.csv" && ok || bad "reordered columns changed predictions"

# transform / fit-transform
expect 0 "" -- "$CML" fit --algo standard_scaler --data $DATA/wine.csv --model "$T/sc.gguf"
expect 0 "" -- "$CML" transform --model "$T/sc.gguf" --data $DATA/wine.csv --out "$T/sc.csv"
head -1 "$T/sc.csv" | grep -q '^c0,c1,' && ok || bad "transform header"
expect 0 "" -- "$CML" fit-transform --algo standard_scaler --data $DATA/wine.csv --out -
[ "$(wc -l <"$T/out")" = 179 ] && ok || bad "fit-transform to stdout"

# ---------------------------------------------------------------- bad input
printf 'a,b,target\n1,2,0\n3,4\n' >"$T/ragged.csv"
expect 1 'ragged.csv:3:.*expected 3 fields' -- "$CML" fit --algo logreg --data "$T/ragged.csv" --model "$T/x.gguf"
printf 'a,b,target\n1,"2,0\n3,4,1\n' >"$T/quote.csv"
expect 1 'quote.csv:2:2:.*quote' -- "$CML" fit --algo logreg --data "$T/quote.csv" --model "$T/x.gguf"
: >"$T/empty.csv"
expect 1 'empty.csv.*empty' -- "$CML" fit --algo logreg --data "$T/empty.csv" --model "$T/x.gguf"
printf 'a,b,target\n' >"$T/header.csv"
expect 1 'header.csv.*header only' -- "$CML" fit --algo logreg --data "$T/header.csv" --model "$T/x.gguf"
printf 'a,b,target\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n' >"$T/numeric.csv"
expect 0 '' -- "$CML" fit --algo logreg --data "$T/numeric.csv" --model "$T/ab.gguf"
printf 'a,b,target\n1,2,0\n3,abc,1\n5,6,0\n7,8,1\n' >"$T/nonnum.csv"
expect 1 'nonnum.csv:3:2:.*number.*abc' -- "$CML" predict --model "$T/ab.gguf" --data "$T/nonnum.csv" --out "$T/x.csv"
# at fit time a stray word in a numeric column is an error, not a silent category
expect 1 'nonnum.csv:3:2: expected a number, found "abc"' -- "$CML" fit --algo logreg --data "$T/nonnum.csv" --model "$T/x.gguf"
printf 'a,b,target\n1,"x\ny",0\n3,4,1\n5,6,0\n7,8,1\n' >"$T/nl.csv"
expect 1 'nl.csv:2:2: expected a number, found "x.y"' -- "$CML" fit --algo logreg --data "$T/nl.csv" --model "$T/x.gguf"
expect 2 'no column named "nope"' -- "$CML" fit --algo logreg --data $DATA/iris.csv --target nope --model "$T/x.gguf"
printf 'a,b,target\n1,2,0\n3,NA,1\n5,6,0\n7,8,1\n' >"$T/nan.csv"
expect 1 'row 2, column 2 is NaN' -- "$CML" fit --algo logreg --data "$T/nan.csv" --model "$T/x.gguf"
expect 0 '' -- "$CML" fit --algo logreg --data "$T/nan.csv" --prep impute=median --model "$T/x.gguf"
expect 2 'unknown parameter "bogus".*valid parameters: .*C' -- "$CML" fit --algo logreg --data $DATA/iris.csv --param bogus=1 --model "$T/x.gguf"
expect 2 'C=-1 is out of range' -- "$CML" fit --algo logreg --data $DATA/iris.csv --param C=-1 --model "$T/x.gguf"
expect 2 'max_iter expects an integer' -- "$CML" fit --algo logreg --data $DATA/iris.csv --param max_iter=lots --model "$T/x.gguf"
expect 2 'unknown algorithm "nosuch"' -- "$CML" fit --algo nosuch --data $DATA/iris.csv --model "$T/x.gguf"
expect 2 'missing required option --model' -- "$CML" fit --algo logreg --data $DATA/iris.csv
expect 2 'unknown option --bogus' -- "$CML" fit --bogus
expect 1 'nofile.csv: cannot open' -- "$CML" fit --algo logreg --data "$T/nofile.csv" --model "$T/x.gguf"
head -c 200 "$T/lr.gguf" >"$T/trunc.gguf"
expect 1 'trunc.gguf.*(truncated|corrupt)' -- "$CML" predict --model "$T/trunc.gguf" --data $DATA/breast_cancer.csv --out "$T/x.csv"
cp "$T/lr.gguf" "$T/flip.gguf"; printf '\x55' | dd of="$T/flip.gguf" bs=1 seek=$(( $(stat -c %s "$T/lr.gguf") - 40 )) conv=notrunc 2>/dev/null
expect 1 'flip.gguf.*checksum' -- "$CML" info "$T/flip.gguf"
expect 1 'not a GGUF' -- "$CML" info $DATA/iris.csv
printf 'x,y,target\n1,2,0\n' >"$T/wrongcols.csv"
expect 1 'wrongcols.csv.*(column|mean)' -- "$CML" predict --model "$T/lr.gguf" --data "$T/wrongcols.csv" --out "$T/x.csv"
expect 1 'unseen|not seen' -- "$CML" predict --model "$T/named.gguf" --data <(printf 'petal_len,color\n1.5,purple\n') --out "$T/x.csv"
expect 2 'regressor' -- "$CML" fit --algo ridge --data "$T/iris_named.csv" --model "$T/x.gguf"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
