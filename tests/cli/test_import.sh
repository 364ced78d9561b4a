#!/usr/bin/env bash
# `cml import xgboost M.json --out M.gguf`: the GGUF predicts what the JSON
# model computes (checked against `cml explain` on the .json, whose rows
# sum to XGBoost's margin: the value for reg:squarederror, the logit for
# binary:logistic, softmax for multi:softprob), categorical splits survive
# (the GGUF's and the JSON's tree dumps are identical), and the errors.
# Usage: test_import.sh PATH/TO/cml   (run from tests/)
set -u
CML=${1:?usage: test_import.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
. "$(dirname "$0")/lib.sh"

# regression (diabetes): prediction = sum of the .json's contributions
expect 0 "" -- "$CML" import xgboost golden/xgb_diab.json --out "$T/d.gguf"
expect 0 "" -- "$CML" predict --model "$T/d.gguf" --data $DATA/diabetes.csv --out "$T/p.csv"
expect 0 "" -- "$CML" explain --model golden/xgb_diab.json --data $DATA/diabetes.csv --out "$T/e.csv"
paste -d, "$T/e.csv" "$T/p.csv" | awk -F, 'NR > 1 { s = 0; for (j = 1; j <= 11; j++) s += $j;
  d = (s - $12) / ($12 > 1 ? $12 : 1); if (d < 0) d = -d; if (d > m) m = d }
  END { if (m > 1e-12) { print "max rel diff " m; exit 1 } }' && ok || bad "imported regressor differs from the json"
[ "$(wc -l <"$T/p.csv")" = 443 ] && ok || bad "prediction rows"

# multi-class (iris): the GGUF's probabilities = softmax of the .json's margins
expect 0 "" -- "$CML" import xgboost golden/xgb_iris.json --out "$T/i.gguf" --json
grep -q '"kind":"gbm_classifier"' "$T/out" && ok || bad "iris kind: $(cat "$T/out")"
expect 0 "" -- "$CML" predict --model "$T/i.gguf" --data $DATA/iris.csv --out "$T/p.csv" --proba
expect 0 "" -- "$CML" explain --model golden/xgb_iris.json --data $DATA/iris.csv --out "$T/e.csv"
paste -d, "$T/e.csv" "$T/p.csv" | awk -F, 'NR > 1 { z = 0; for (k = 0; k < 3; k++) { s[k] = 0; for (j = 1; j <= 5; j++) s[k] += $(5 * k + j); z += exp(s[k]) }
    for (k = 0; k < 3; k++) { d = exp(s[k]) / z - $(17 + k); if (d < 0) d = -d; if (d > m) m = d } }
  END { if (m > 1e-12) { print "max diff " m; exit 1 } }' && ok || bad "imported multi-class model differs from the json"

# categorical splits: identical dumps of the GGUF and the JSON
expect 0 "" -- "$CML" import xgboost golden/gbm_cat_xgb_reg.json --out "$T/c.gguf"
for t in 0 5 11; do
  "$CML" tree export "$T/c.gguf" --tree $t --format text --out "$T/a.txt" >/dev/null 2>&1 &&
    "$CML" tree export golden/gbm_cat_xgb_reg.json --tree $t --format text --out "$T/b.txt" >/dev/null 2>&1 &&
    cmp -s "$T/a.txt" "$T/b.txt" && grep -q ':{' "$T/a.txt" && ok || bad "tree $t dumps differ or show no category set"
done

# errors
expect 2 "unknown format" -- "$CML" import lightgbm golden/xgb_diab.json --out "$T/x.gguf"
expect 2 "--out" -- "$CML" import xgboost golden/xgb_diab.json
echo '{"a": 1}' >"$T/bad.json"
expect 1 "learner" -- "$CML" import xgboost "$T/bad.json" --out "$T/x.gguf"
expect 1 "no_such" -- "$CML" import xgboost "$T/no_such.json" --out "$T/x.gguf"
[ ! -e "$T/x.gguf" ] && ok || bad "a failed import left a file"

echo "import: $pass passed, $fail failed"
[ "$fail" = 0 ]
