#!/usr/bin/env bash
# CLI tests of the network classifiers: fit/predict/eval/info on digits.csv,
# the parameter listing, and the clear one-line errors of a bad spec.
# Usage: test_nn.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_nn.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

# expect CODE REGEX -- command...   (REGEX matched against stderr)
expect() {
  local code=$1 re=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$code" ]; then bad "exit $got (want $code): $* :: $(head -c 300 "$T/err")"; return; fi
  if [ -n "$re" ] && ! grep -Eq -- "$re" "$T/err"; then bad "stderr of '$*' lacks /$re/: $(head -c 300 "$T/err")"; return; fi
  ok
}

expect 0 "" -- "$CML" algos mlp_classifier
grep -q hidden_layer_sizes "$T/out" && ok || bad "algos mlp_classifier lacks hidden_layer_sizes"
expect 0 "" -- "$CML" algos cnn_classifier
grep -q "lenet5|resnet8|custom" "$T/out" && ok || bad "algos cnn_classifier lacks arch choices"

expect 0 "" -- "$CML" fit --algo mlp_classifier --data $DATA/digits.csv --model "$T/m.gguf" \
  --param hidden_layer_sizes=32 --param epochs=8 --param learning_rate=0.005
expect 0 "" -- "$CML" predict --model "$T/m.gguf" --data $DATA/digits.csv --out "$T/p.csv" --proba
head -1 "$T/p.csv" | grep -q "^prediction,proba_0" && ok || bad "predict header: $(head -1 "$T/p.csv")"
expect 0 "" -- "$CML" eval --model "$T/m.gguf" --data $DATA/digits.csv --json
grep -Eq '"accuracy": ?0\.9' "$T/out" && ok || bad "mlp accuracy: $(head -c 300 "$T/out")"
expect 0 "" -- "$CML" info "$T/m.gguf"
grep -q "fc0.weight" "$T/out" && ok || bad "info lacks the parameter list"

expect 0 "" -- "$CML" fit --algo cnn --data $DATA/digits.csv --model "$T/c.gguf" \
  --param arch=custom --param spec=conv:4:3:1:1,relu,maxpool:2 --param epochs=2
expect 0 "" -- "$CML" eval --model "$T/c.gguf" --data $DATA/digits.csv

# bad input: one clear line naming what is wrong
expect 1 "spec item 1 'conv:4:9'.*smaller than" -- "$CML" fit --algo cnn_classifier \
  --data $DATA/digits.csv --model "$T/x.gguf" --param arch=custom --param spec=conv:4:9
expect 1 "not a square image" -- "$CML" fit --algo cnn_classifier --data $DATA/wine.csv \
  --model "$T/x.gguf"
expect 1 "hidden_layer_sizes" -- "$CML" fit --algo mlp_classifier --data $DATA/digits.csv \
  --model "$T/x.gguf" --param hidden_layer_sizes=a,b

echo "test_nn.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
