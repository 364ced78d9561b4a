#!/usr/bin/env bash
# `cml explain` (TreeSHAP): contributions + bias sum to `cml predict --proba`
# for a random forest, to the prediction of a decision tree regressor, an
# XGBoost JSON model is explained as imported, --summary / --json, and the
# errors (not a tree model, no output asked, missing file).
# Usage: test_shap_explain.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_shap_explain.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
expect() {
  local code=$1 re=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$code" ]; then bad "exit $got (want $code): $* :: $(head -c 300 "$T/err")"; return; fi
  if [ -n "$re" ] && ! grep -Eq -- "$re" "$T/err"; then bad "stderr of '$*' lacks /$re/: $(head -c 300 "$T/err")"; return; fi
  ok
}

# Random forest on iris: 3 classes x (4 features + bias) columns; each block sums to proba_<class>.
expect 0 "" -- "$CML" fit --algo rf --data $DATA/iris.csv --model "$T/rf.gguf" --param n_estimators=25
expect 0 "" -- "$CML" explain --model "$T/rf.gguf" --data $DATA/iris.csv --out "$T/shap.csv"
expect 0 "" -- "$CML" predict --model "$T/rf.gguf" --data $DATA/iris.csv --out "$T/pred.csv" --proba
head -1 "$T/shap.csv" | grep -q '^0:sepal_length_cm,.*,0:bias,1:sepal_length_cm,.*,2:bias$' && ok || bad "explain header: $(head -1 "$T/shap.csv")"
[ "$(wc -l <"$T/shap.csv")" = 151 ] && ok || bad "explain rows"
paste -d, "$T/shap.csv" "$T/pred.csv" | awk -F, 'NR > 1 {
    for (k = 0; k < 3; k++) { s = 0; for (j = 1; j <= 5; j++) s += $(k * 5 + j);
      d = s - $(17 + k); if (d < 0) d = -d; if (d > m) m = d } }
  END { if (m > 1e-12) { print "max diff " m; exit 1 } }' && ok || bad "rf contributions do not sum to predict_proba"

# Decision tree regressor: one block, sums to the prediction.
expect 0 "" -- "$CML" fit --algo decision_tree_regressor --data $DATA/diabetes.csv --model "$T/dt.gguf" --param max_depth=5
expect 0 "" -- "$CML" explain --model "$T/dt.gguf" --data $DATA/diabetes.csv --out "$T/shap.csv"
expect 0 "" -- "$CML" predict --model "$T/dt.gguf" --data $DATA/diabetes.csv --out "$T/pred.csv"
paste -d, "$T/shap.csv" "$T/pred.csv" | awk -F, 'NR > 1 { s = 0; for (j = 1; j <= 11; j++) s += $j;
  d = s - $12; if (d < 0) d = -d; if (d > m) m = d } END { if (m > 1e-9) { print "max diff " m; exit 1 } }' \
  && ok || bad "tree contributions do not sum to predict"

# XGBoost JSON model (tests/golden, trained by tests/gen/gen_shap.py on the first 150 rows).
expect 0 "" -- "$CML" explain --model golden/xgb_diab.json --data $DATA/diabetes.csv --summary --json
grep -q '"command":"explain"' "$T/out" && grep -q '"mean_abs_shap":{"s5"\|"mean_abs_shap":{"bmi"' "$T/out" && ok || bad "xgb --summary --json: $(head -c 300 "$T/out")"
expect 0 "" -- "$CML" explain --model golden/xgb_diab.json --data $DATA/diabetes.csv --out -
head -1 "$T/out" | grep -q '^age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,bias$' && ok || bad "xgb header"

# Errors.
expect 0 "" -- "$CML" fit --algo linear_regression --data $DATA/diabetes.csv --model "$T/lr.gguf"
expect 2 "not a tree model" -- "$CML" explain --model "$T/lr.gguf" --data $DATA/diabetes.csv --out "$T/x.csv"
expect 2 "--out" -- "$CML" explain --model "$T/rf.gguf" --data $DATA/iris.csv
expect 1 "no_such" -- "$CML" explain --model "$T/no_such.gguf" --data $DATA/iris.csv --out "$T/x.csv"
expect 1 "no_such" -- "$CML" explain --model "$T/no_such.json" --data $DATA/iris.csv --out "$T/x.csv"

echo "explain: $pass passed, $fail failed"
[ "$fail" = 0 ]
