#!/usr/bin/env bash
# `cml fit --append MODEL`: incremental fit (partial_fit) of a saved model.
#  - MultinomialNB / BernoulliNB on digits fitted on the first half and
#    appended the second half predict exactly what one fit on all rows
#    predicts (predict --proba files byte-identical);
#  - GaussianNB on breast_cancer halves matches scikit-learn 1.2.1's fit +
#    partial_fit (tests/gen/gen_partial_fit.py): same predicted classes,
#    probabilities within 1e-12;
#  - --model OUT keeps the input; string labels; bad input (no partial_fit,
#    an unseen class, --algo mismatch, missing target) is a one-line error.
# Usage: test_append.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_append.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

head -n 900 $DATA/digits.csv >"$T/d1.csv"                               # rows [0, 899)
{ head -n 1 $DATA/digits.csv; tail -n +901 $DATA/digits.csv; } >"$T/d2.csv" # rows [899, 1797)
[ $(($(wc -l <"$T/d1.csv") + $(wc -l <"$T/d2.csv"))) = 1799 ] && ok || bad "split"

for algo in multinomial_nb bernoulli_nb complement_nb; do
  expect 0 "" -- "$CML" fit --algo $algo --param alpha=0.5 --data $DATA/digits.csv --model "$T/full.gguf"
  expect 0 "" -- "$CML" fit --algo $algo --param alpha=0.5 --data "$T/d1.csv" --model "$T/inc.gguf"
  expect 0 "" -- "$CML" fit --append "$T/inc.gguf" --data "$T/d2.csv"
  grep -q "updated $algo with 898 rows" "$T/out" && ok || bad "append message: $(cat "$T/out")"
  expect 0 "" -- "$CML" predict --model "$T/full.gguf" --data $DATA/digits.csv --proba --out "$T/pf.csv"
  expect 0 "" -- "$CML" predict --model "$T/inc.gguf" --data $DATA/digits.csv --proba --out "$T/pi.csv"
  cmp -s "$T/pf.csv" "$T/pi.csv" && ok || bad "$algo: append != full fit"
done

# GaussianNB: sklearn's fit + partial_fit (breast_cancer; on digits the
# near-zero variances make probabilities ill-conditioned: ~1e-7 apart)
head -n 285 $DATA/breast_cancer.csv >"$T/b1.csv"                                  # rows [0, 284)
{ head -n 1 $DATA/breast_cancer.csv; tail -n +286 $DATA/breast_cancer.csv; } >"$T/b2.csv" # [284, 569)
expect 0 "" -- "$CML" fit --algo gaussian_nb --data "$T/b1.csv" --model "$T/g1.gguf"
expect 0 "" -- "$CML" fit --append "$T/g1.gguf" --data "$T/b2.csv" --model "$T/g2.gguf" --json
grep -q '"append":true' "$T/out" && ok || bad "append --json: $(cat "$T/out")"
expect 0 "" -- "$CML" predict --model "$T/g2.gguf" --data $DATA/breast_cancer.csv --proba --out "$T/pg.csv"
# predicted class and its probability vs the golden file
awk -F, 'NR > 1 { m = 0; for (j = 2; j <= NF; j++) if ($j > m) m = $j; print $1 "," m }' "$T/pg.csv" >"$T/pg_max.csv"
paste -d, "$T/pg_max.csv" <(tail -n +2 golden/partial_fit_gnb_bc.csv) | awk -F, '
  { if ($1 != $3) { print "row " NR ": class " $1 " != " $3; bad = 1; exit }
    d = $2 - $4; if (d < 0) d = -d; if (d > 1e-12) { print "row " NR ": proba " $2 " vs " $4; bad = 1; exit } }
  END { exit bad }' && ok || bad "gaussian_nb append differs from sklearn partial_fit"
[ "$(wc -l <"$T/pg_max.csv")" = 569 ] && ok || bad "gaussian predictions rows"
# the input model is kept when --model OUT is given
expect 0 "" -- "$CML" predict --model "$T/g1.gguf" --data $DATA/breast_cancer.csv --proba --out "$T/pg1.csv"
cmp -s "$T/pg1.csv" "$T/pg.csv" && bad "--model OUT changed the input model" || ok

# string labels: append works through the saved schema
{ echo 'a,b,word'; awk -F, 'NR > 1 { print $1 "," $2 "," ($5 == 0 ? "zero" : ($5 == 1 ? "one" : "two")) }' $DATA/iris.csv | awk 'NR % 2 == 1'; } >"$T/s1.csv"
{ echo 'a,b,word'; awk -F, 'NR > 1 { print $1 "," $2 "," ($5 == 0 ? "zero" : ($5 == 1 ? "one" : "two")) }' $DATA/iris.csv | awk 'NR % 2 == 0'; } >"$T/s2.csv"
expect 0 "" -- "$CML" fit --algo gaussian_nb --data "$T/s1.csv" --model "$T/s.gguf"
expect 0 "" -- "$CML" fit --append "$T/s.gguf" --data "$T/s2.csv"
expect 0 "" -- "$CML" predict --model "$T/s.gguf" --data "$T/s2.csv" --out "$T/ps.csv"
grep -q '^two$' "$T/ps.csv" && ok || bad "string labels after append"

# ---------------------------------------------------------------- bad input
expect 0 "" -- "$CML" fit --algo ridge --data $DATA/diabetes.csv --model "$T/ridge.gguf"
expect 2 'no partial_fit' -- "$CML" fit --append "$T/ridge.gguf" --data $DATA/diabetes.csv
expect 2 'does not match' -- "$CML" fit --append "$T/g1.gguf" --algo multinomial_nb --data "$T/b2.csv"
expect 2 'no --prep' -- "$CML" fit --append "$T/g1.gguf" --prep scale=standard --data "$T/b2.csv"
expect 2 "does not record runs" -- "$CML" fit --append "$T/g1.gguf" --track --data "$T/b2.csv"
expect 1 'nope.gguf' -- "$CML" fit --append "$T/nope.gguf" --data "$T/b2.csv"
cut -d, -f1-30 "$T/b2.csv" >"$T/b2_notarget.csv"
expect 2 'no target column' -- "$CML" fit --append "$T/g1.gguf" --data "$T/b2_notarget.csv"
# a class the first fit never saw (iris rows sorted by class: first 100 rows hold 0 and 1)
head -n 101 $DATA/iris.csv >"$T/i1.csv"
expect 0 "" -- "$CML" fit --algo gaussian_nb --data "$T/i1.csv" --model "$T/i.gguf"
cp "$T/i.gguf" "$T/i_before.gguf"
expect 1 'label|class' -- "$CML" fit --append "$T/i.gguf" --data $DATA/iris.csv
cmp -s "$T/i.gguf" "$T/i_before.gguf" && ok || bad "failed append changed the model file"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
