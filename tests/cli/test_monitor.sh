#!/usr/bin/env bash
# `cml monitor drift` and `cml eval --by` on real rows: diamonds of cut "Ideal" (reference)
# against cut "Fair" (current), and iris against its virginica rows. PSI
# and KL per column equal numpy's (tests/golden/drift.txt, written by
# tests/gen/gen_drift.py) to 1e-12; exit 3 when a threshold is exceeded and
# 0 when not; --bins, --kl-threshold, --ignore; per-slice metrics of
# `cml eval --by` equal `cml eval` on each slice's rows; the one-line errors.
# Usage: test_monitor.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_monitor.sh CML}
DATA=../data
GOLD=golden/drift.txt
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
# golden ARRAY ROW COL: a value of tests/golden/drift.txt
golden() { awk -v a="@$1" -v r="$2" -v c="$3" '$1 == a { on = 1; i = 0; next } /^@/ { on = 0 }
                                              on { if (i++ == r) { print $(c + 1); exit } }' $GOLD; }
# got FEATURE KEY: psi / kl / bins of a feature from the --json output
got() { grep -o "\"name\":\"$1\",[^}]*" "$T/out" | grep -o "\"$2\":[^,]*" | cut -d: -f2; }
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-12 * (b < 0 ? -b : b) + 1e-15) }'; }

# real rows, split by a column
head -1 $DATA/diamonds.csv >"$T/ideal.csv"
cp "$T/ideal.csv" "$T/fair.csv"
awk -F, '$2 == "\"Ideal\""' $DATA/diamonds.csv >>"$T/ideal.csv"
awk -F, '$2 == "\"Fair\""' $DATA/diamonds.csv >>"$T/fair.csv"
check "21551 Ideal rows" [ "$(wc -l <"$T/ideal.csv")" = 21552 ]
check "1610 Fair rows" [ "$(wc -l <"$T/fair.csv")" = 1611 ]

# a sample against itself: no drift, exit 0
run_expect 0 '0 of 10 features drifted' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/ideal.csv"
run_expect 0 '' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/ideal.csv" --json
check "self: every psi 0" [ "$(grep -o '"psi":[^,]*' "$T/out" | sort -u)" = '"psi":0' ]

# Ideal -> Fair: drift, exit 3, numbers equal numpy's
run_expect 3 '"drift":true' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/fair.csv" --ignore cut --json
i=0
for f in carat depth table price x y z; do
  check "$f psi = numpy" close "$(got $f psi)" "$(golden diamonds_numeric_bins10 $i 0)"
  check "$f kl = numpy" close "$(got $f kl)" "$(golden diamonds_numeric_bins10 $i 1)"
  check "$f bins = numpy" [ "$(got $f bins)" = "$(golden diamonds_numeric_bins10 $i 2 | cut -d. -f1)" ]
  i=$((i + 1))
done
i=0
for f in color clarity; do
  check "$f (categorical) psi = numpy" close "$(got $f psi)" "$(golden diamonds_categorical $i 0)"
  check "$f (categorical) kl = numpy" close "$(got $f kl)" "$(golden diamonds_categorical $i 1)"
  check "$f kind" [ "$(got $f kind)" = '"categorical"' ]
  i=$((i + 1))
done
check "cut ignored" bash -c "! grep -q '\"name\":\"cut\"' '$T/out'"
check "drifted list: psi > 0.2 except color" grep -q '"drifted":\["carat","clarity","depth","table","price","x","y","z"\]' "$T/out"
run_expect 3 '' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/fair.csv" --ignore cut --bins 5 --json
i=0
for f in carat depth table price x y z; do
  check "$f psi, 5 bins = numpy" close "$(got $f psi)" "$(golden diamonds_numeric_bins5 $i 0)"
  i=$((i + 1))
done
# text output: a table with flags
run_expect 3 'price +numeric +0\.597' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/fair.csv" --ignore cut
check "text flags DRIFT" grep -Eq '^clarity +categorical .*DRIFT$' "$T/out"
check "text: color not flagged" grep -Eq '^color +categorical [ 0-9.]*$' "$T/out"
check "text summary" grep -q '8 of 9 features drifted (psi > 0.2)' "$T/out"
# thresholds: none exceeded -> 0; KL alone -> 3 naming the columns above it
run_expect 0 '"drift":false' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/fair.csv" --ignore cut --psi-threshold 5 --json
run_expect 3 '"drifted":\["depth","table"\]' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/fair.csv" --ignore cut \
  --psi-threshold 5 --kl-threshold 1 --json

# iris against its virginica rows
head -1 $DATA/iris.csv >"$T/virginica.csv"
awk -F, 'NR > 1 && $5 == 2' $DATA/iris.csv >>"$T/virginica.csv"
run_expect 3 '' "$CML" monitor drift --ref $DATA/iris.csv --cur "$T/virginica.csv" --ignore target --json
i=0
for f in sepal_length_cm sepal_width_cm petal_length_cm petal_width_cm; do
  check "iris $f psi = numpy" close "$(got $f psi)" "$(golden iris_virginica_bins10 $i 0)"
  check "iris $f kl = numpy" close "$(got $f kl)" "$(golden iris_virginica_bins10 $i 1)"
  i=$((i + 1))
done

# ---------------------------------------------------------------- eval --by
# each slice's metrics equal `cml eval` on a file of just that slice's rows
"$CML" fit --algo ridge --data $DATA/diamonds.csv --target price --model "$T/ridge.gguf" --quiet >/dev/null || bad "fit ridge"
run_expect 0 'cut = Very Good \(12082 rows\)' "$CML" eval --model "$T/ridge.gguf" --data $DATA/diamonds.csv --by cut
"$CML" eval --model "$T/ridge.gguf" --data $DATA/diamonds.csv --by cut --json >"$T/by.json" || bad "eval --by --json"
check "5 slices in level order" [ "$(grep -o '"value":"[^"]*"' "$T/by.json" | cut -d'"' -f4 | tr '\n' ,)" = "Fair,Good,Ideal,Premium,Very Good," ]
for level in Fair Good Ideal Premium "Very Good"; do
  head -1 $DATA/diamonds.csv >"$T/slice.csv"
  awk -F, -v l="\"$level\"" '$2 == l' $DATA/diamonds.csv >>"$T/slice.csv"
  "$CML" eval --model "$T/ridge.gguf" --data "$T/slice.csv" --json >"$T/one.json"
  slice=$(grep -o "\"value\":\"$level\",\"rows\":[0-9]*,\"metrics\":{[^}]*}" "$T/by.json")
  check "slice $level rows" grep -q "\"rows\":$(($(wc -l <"$T/slice.csv") - 1)),\"metrics\"" <<<"$slice"
  for m in r2 rmse mae mse explained_variance; do
    a=$(grep -o "\"$m\":[^,}]*" <<<"$slice" | cut -d: -f2)
    b=$(grep -o "\"metrics\":{[^}]*" "$T/one.json" | grep -o "\"$m\":[^,}]*" | cut -d: -f2)
    check "slice $level $m = eval of the slice's rows ($a vs $b)" \
      awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-9 * (b < 0 ? -b : b)) }'
  done
done
# a column that is not a feature (a batch id) and the target itself
awk -F, -v OFS=, 'NR == 1 { print $0, "batch"; next } { print $0, (NR % 2 ? "odd" : "even") }' $DATA/iris.csv >"$T/iris_batch.csv"
"$CML" fit --algo logreg --data $DATA/iris.csv --prep scale=standard --model "$T/lr.gguf" --quiet >/dev/null || bad "fit logreg"
run_expect 0 'batch = even \(75 rows\)' "$CML" eval --model "$T/lr.gguf" --data "$T/iris_batch.csv" --by batch
run_expect 0 '' "$CML" eval --model "$T/lr.gguf" --data $DATA/iris.csv --by target --metric accuracy --metric roc_auc --json
# per-class accuracy is that class's recall; roc_auc is undefined on one class and left out
check "by target: 3 slices of 50, no roc_auc" grep -q '"slices":\[{"value":0,"rows":50,"metrics":{"accuracy":[0-9.]*}},{"value":1,"rows":50,"metrics":{"accuracy":[0-9.]*}},{"value":2,"rows":50,"metrics":{"accuracy":[0-9.]*}}\]' "$T/out"
run_expect 2 'no column named "nope" \(--by\)' "$CML" eval --model "$T/lr.gguf" --data $DATA/iris.csv --by nope
run_expect 2 'has [0-9]+ distinct values; at most 1000 slices' "$CML" eval --model "$T/ridge.gguf" --data $DATA/diamonds.csv --by price

# errors
cut -d, -f1-9 "$T/fair.csv" >"$T/noz.csv"
run_expect 1 'no column "z" \(it is in .*HINT: --ignore z' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/noz.csv"
run_expect 3 '' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/noz.csv" --ignore z
awk -F, -v OFS=, 'NR > 1 { $3 = NR }1' "$T/fair.csv" >"$T/numeric_color.csv"
run_expect 1 'column "color" is text in .* but numeric in' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/numeric_color.csv"
run_expect 2 'bins must be a whole number in \[2, 1000\]' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/fair.csv" --bins 1
run_expect 2 'psi-threshold must be a number >= 0' "$CML" monitor drift --ref "$T/ideal.csv" --cur "$T/fair.csv" --psi-threshold x
run_expect 2 'missing required option --cur' "$CML" monitor drift --ref "$T/ideal.csv"
run_expect 2 'the one monitor check so far is drift' "$CML" monitor calibration
run_expect 1 'nonexistent.csv' "$CML" monitor drift --ref "$T/nonexistent.csv" --cur "$T/fair.csv"

echo "test_monitor: $pass passed, $fail failed"
[ "$fail" = 0 ]
