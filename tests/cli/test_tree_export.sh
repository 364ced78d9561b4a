#!/usr/bin/env bash
# `cml tree export`: text (scikit-learn's export_text with the file's column
# names), DOT, PNG and SVG for a decision tree, a forest's tree, a gbm tree
# and an XGBoost JSON model; errors (bad verb, tree index, format, not a tree
# model, png without --out).
# Usage: test_tree_export.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_tree_export.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# Sanitizer builds: fontconfig's global caches (freed only by FcFini) are not
# cml leaks; anything else still fails.
printf 'leak:libfontconfig.so\n' > "$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
pass=0 fail=0
expect() {
  local code=$1 re=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$code" ]; then bad "exit $got (want $code): $* :: $(head -c 300 "$T/err")"; return; fi
  if [ -n "$re" ] && ! grep -Eq -- "$re" "$T/err"; then bad "stderr of '$*' lacks /$re/: $(head -c 300 "$T/err")"; return; fi
  ok
}
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

expect 0 "" -- "$CML" fit --algo tree --data $DATA/iris.csv --model "$T/dt.gguf" --param max_depth=2
expect 0 "" -- "$CML" tree export "$T/dt.gguf"
head -1 "$T/out" | grep -q '^|--- petal_width_cm <= 0.80$' && ok || bad "text: $(head -1 "$T/out")"
expect 0 "" -- "$CML" tree export "$T/dt.gguf" --format dot
grep -q 'petal_width_cm <= 0.8\\ngini = 0.667\\nsamples = 150' "$T/out" && ok || bad "dot: $(head -4 "$T/out")"
expect 0 "" -- "$CML" tree export "$T/dt.gguf" --out "$T/dt.png"
is_png "$T/dt.png" && ok || bad "dt.png is not a PNG"
expect 0 "" -- "$CML" tree export "$T/dt.gguf" --out "$T/dt.svg" --title "iris"
grep -q '<svg' "$T/dt.svg" && ok || bad "dt.svg"

expect 0 "" -- "$CML" fit --algo rf --data $DATA/iris.csv --model "$T/rf.gguf" --param n_estimators=5
expect 0 "" -- "$CML" tree export "$T/rf.gguf" --tree 4 --max-depth 2 --out "$T/rf.png"
is_png "$T/rf.png" && ok || bad "rf.png"
expect 2 "trees 0 .. 4" -- "$CML" tree export "$T/rf.gguf" --tree 5

expect 0 "" -- "$CML" fit --algo gbm_regressor --data $DATA/diabetes.csv --model "$T/g.gguf" --param n_estimators=3 --param max_depth=2
expect 0 "" -- "$CML" tree export "$T/g.gguf" --tree 1
grep -Eq '^0:\[[a-z0-9]+<[-0-9.e]+\] yes=1,no=2,missing=[12],gain=' "$T/out" && ok || bad "gbm text: $(head -1 "$T/out")"
expect 0 "" -- "$CML" tree export "$T/g.gguf" --tree 2 --out "$T/g.png"
is_png "$T/g.png" && ok || bad "g.png"
expect 0 "" -- "$CML" tree export golden/xgb_iris.json --tree 5 --format dot
grep -q '^digraph Tree' "$T/out" && ok || bad "xgb dot"

expect 2 "export MODEL" -- "$CML" tree show "$T/dt.gguf"
expect 2 "--format" -- "$CML" tree export "$T/dt.gguf" --format jpg
expect 2 "needs --out" -- "$CML" tree export "$T/dt.gguf" --format png
expect 2 "only tree 0" -- "$CML" tree export "$T/dt.gguf" --tree 1
expect 0 "" -- "$CML" fit --algo linear_regression --data $DATA/diabetes.csv --model "$T/lr.gguf"
expect 2 "not a tree model" -- "$CML" tree export "$T/lr.gguf"
expect 1 "" -- "$CML" tree export "$T/none.gguf"

echo "tree export: $pass passed, $fail failed"
[ "$fail" = 0 ]
