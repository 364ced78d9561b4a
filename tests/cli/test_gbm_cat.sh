#!/usr/bin/env bash
# gbm with native categorical splits through the command: `cml fit` gives the
# CSV's string columns to categorical_features by itself (diamonds: cut,
# color, clarity), the model predicts after a save/load, `cml tree export`
# prints category sets, `cml explain` sums to the margin, and
# --param categorical_features= (empty) turns the automatic choice off.
# Usage: test_gbm_cat.sh PATH/TO/cml   (run from tests/)
set -u
CML=${1:?usage: test_gbm_cat.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
. "$(dirname "$0")/lib.sh"

# 4,000 rows keep the test quick
head -4001 $DATA/diamonds.csv >"$T/d.csv"
expect 0 "" -- "$CML" fit --algo gbm_regressor --data "$T/d.csv" --target price --model "$T/g.gguf" \
  --param n_estimators=20
expect 0 "" -- "$CML" info "$T/g.gguf"
grep -q '"categorical_features":"1,2,3"' "$T/out" && ok || bad "categorical_features not set from the string columns: $(head -c 400 "$T/out")"
grep -Eq '"n_categorical_splits":[1-9]' "$T/out" && ok || bad "no categorical split: $(head -c 400 "$T/out")"
expect 0 "" -- "$CML" predict --model "$T/g.gguf" --data "$T/d.csv" --out "$T/p.csv"
[ "$(wc -l <"$T/p.csv")" = 4001 ] && ok || bad "prediction rows"
# a category set in some tree's dump
found=0
for t in 0 1 2 3 4 5 6 7 8 9; do
  "$CML" tree export "$T/g.gguf" --tree $t --format text --out "$T/t.txt" >/dev/null 2>&1 || continue
  grep -Eq '(cut|color|clarity):\{[0-9,]+\}\] yes=' "$T/t.txt" && found=1 && break
done
[ $found = 1 ] && ok || bad "tree export shows no category set: $(head -3 "$T/t.txt")"
# SHAP rows sum to the prediction (squared error: margin = prediction)
expect 0 "" -- "$CML" explain --model "$T/g.gguf" --data "$T/d.csv" --out "$T/s.csv"
paste -d, "$T/s.csv" "$T/p.csv" | awk -F, 'NR > 1 { s = 0; for (j = 1; j <= 10; j++) s += $j;
  d = (s - $11) / ($11 > 1 ? $11 : 1); if (d < 0) d = -d; if (d > m) m = d }
  END { if (m > 1e-9) { print "max rel diff " m; exit 1 } }' && ok || bad "SHAP does not sum to the prediction"
# opt out: ordinal codes, no categorical split
expect 0 "" -- "$CML" fit --algo gbm_regressor --data "$T/d.csv" --target price --model "$T/o.gguf" \
  --param n_estimators=5 --param categorical_features=
expect 0 "" -- "$CML" info "$T/o.gguf"
grep -q '"n_categorical_splits":0' "$T/out" && ok || bad "categorical_features= did not turn categories off"
expect 1 "categorical_features" -- "$CML" fit --algo gbm_regressor --data "$T/d.csv" --target price \
  --model "$T/x.gguf" --param categorical_features=1,x

echo "gbm_cat: $pass passed, $fail failed"
[ "$fail" = 0 ]
