#!/usr/bin/env bash
# `cml predict --contrib`: TreeSHAP contributions written next to the
# predictions (contrib_<feature>, contrib_bias per output, as `cml explain`),
# summing to the raw margin: the value of a squared-error gbm, the logit of
# proba_1 for a binary gbm, log-probabilities up to a per-row constant for a
# multi-class one; equal to `cml explain`'s columns; a non-tree model is a
# usage error.
# Usage: test_gbm_contrib.sh PATH/TO/cml   (run from tests/)
set -u
CML=${1:?usage: test_gbm_contrib.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
. "$(dirname "$0")/lib.sh"

# regression: prediction = sum of the 10 + 1 contributions
expect 0 "" -- "$CML" fit --algo gbm_regressor --data $DATA/diabetes.csv --model "$T/r.gguf" --param n_estimators=30
expect 0 "" -- "$CML" predict --model "$T/r.gguf" --data $DATA/diabetes.csv --out "$T/p.csv" --contrib
head -1 "$T/p.csv" | grep -q '^prediction,contrib_age,contrib_sex,.*,contrib_s6,contrib_bias$' && ok || bad "header: $(head -1 "$T/p.csv")"
awk -F, 'NR > 1 { s = 0; for (j = 2; j <= 12; j++) s += $j; d = (s - $1) / ($1 > 1 ? $1 : 1); if (d < 0) d = -d; if (d > m) m = d }
  END { if (m > 1e-12) { print "max rel diff " m; exit 1 } }' "$T/p.csv" && ok || bad "regression contributions do not sum to the prediction"
# the same numbers as cml explain
expect 0 "" -- "$CML" explain --model "$T/r.gguf" --data $DATA/diabetes.csv --out "$T/e.csv"
cut -d, -f2- "$T/p.csv" | tail -n +2 >"$T/a" && tail -n +2 "$T/e.csv" >"$T/b" && cmp -s "$T/a" "$T/b" && ok || bad "predict --contrib differs from explain"

# binary: sigmoid(sum) = proba_1
expect 0 "" -- "$CML" fit --algo gbm --data $DATA/breast_cancer.csv --model "$T/b.gguf" --param n_estimators=20
expect 0 "" -- "$CML" predict --model "$T/b.gguf" --data $DATA/breast_cancer.csv --out "$T/p.csv" --proba --contrib
awk -F, 'NR > 1 { s = 0; for (j = 4; j <= 34; j++) s += $j; p = 1 / (1 + exp(-s)); d = p - $3; if (d < 0) d = -d; if (d > m) m = d }
  END { if (m > 1e-12) { print "max diff " m; exit 1 } }' "$T/p.csv" && ok || bad "binary contributions do not give proba_1"

# multi-class: softmax of the per-class sums = the probabilities
expect 0 "" -- "$CML" fit --algo gbm --data $DATA/iris.csv --model "$T/m.gguf" --param n_estimators=10
expect 0 "" -- "$CML" predict --model "$T/m.gguf" --data $DATA/iris.csv --out "$T/p.csv" --proba --contrib
head -1 "$T/p.csv" | grep -q 'contrib_0:sepal_length_cm,.*,contrib_0:bias,contrib_1:sepal_length_cm,.*,contrib_2:bias$' && ok || bad "multi-class header: $(head -1 "$T/p.csv")"
awk -F, 'NR > 1 { z = 0; for (k = 0; k < 3; k++) { s[k] = 0; for (j = 0; j < 5; j++) s[k] += $(5 + 5 * k + j); z += exp(s[k]) }
    for (k = 0; k < 3; k++) { d = exp(s[k]) / z - $(2 + k); if (d < 0) d = -d; if (d > m) m = d } }
  END { if (m > 1e-12) { print "max diff " m; exit 1 } }' "$T/p.csv" && ok || bad "multi-class contributions do not give the probabilities"

expect 0 "" -- "$CML" fit --algo linear_regression --data $DATA/diabetes.csv --model "$T/l.gguf"
expect 2 "not a tree model" -- "$CML" predict --model "$T/l.gguf" --data $DATA/diabetes.csv --out "$T/x.csv" --contrib

echo "gbm_contrib: $pass passed, $fail failed"
[ "$fail" = 0 ]
