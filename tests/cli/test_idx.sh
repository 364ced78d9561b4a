#!/usr/bin/env bash
# IDX files as data for every command: the first 200 Fashion-MNIST test
# images (Debian dataset-fashion-mnist), cut out with their header patched;
# fit/eval/predict read images + the sibling labels file; an IDX-trained
# model refuses a CSV of other columns; a missing labels file is one line.
# Usage: test_idx.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_idx.sh CML}
SRC=/usr/share/datasets/fashion-mnist
[ -r $SRC/t10k-images-idx3-ubyte.gz ] || { echo "skip: $SRC missing"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
N=200 # 0x000000c8
{ printf '\x00\x00\x08\x03\x00\x00\x00\xc8\x00\x00\x00\x1c\x00\x00\x00\x1c'
  zcat $SRC/t10k-images-idx3-ubyte.gz | tail -c +17 | head -c $((N * 784)); } > "$T/small-images-idx3-ubyte"
{ printf '\x00\x00\x08\x01\x00\x00\x00\xc8'
  zcat $SRC/t10k-labels-idx1-ubyte.gz | tail -c +9 | head -c $N; } > "$T/small-labels-idx1-ubyte"
IMG=$T/small-images-idx3-ubyte

run_expect 0 '200 rows x 784 features' "$CML" fit --algo logistic_regression --data "$IMG" --model "$T/m.gguf" --param max_iter=50
run_expect 0 'accuracy +(0\.9|1)' "$CML" eval --model "$T/m.gguf" --data "$IMG"
run_expect 0 '' "$CML" predict --model "$T/m.gguf" --data "$IMG" --out "$T/pred.csv"
[ "$(wc -l < "$T/pred.csv")" = $((N + 1)) ] && ok || bad "pred.csv has $(wc -l < "$T/pred.csv") lines"
# the labels are the dataset's: the first test image is an ankle boot (9)
[ "$("$CML" predict --model "$T/m.gguf" --data "$IMG" --out /dev/stdout 2>/dev/null | sed -n 2p)" = 9 ] && ok || bad "first prediction is not 9"
run_expect 1 'column "px0" of the model' "$CML" eval --model "$T/m.gguf" --data ../data/iris.csv
cp "$IMG" "$T/alone-images-idx3-ubyte"
run_expect 1 'no labels file next to it' "$CML" fit --algo logistic_regression --data "$T/alone-images-idx3-ubyte" --model "$T/x.gguf"
head -c 100 "$IMG" > "$T/cut-images-idx3-ubyte"
run_expect 1 'cut-images-idx3-ubyte' "$CML" fit --algo logistic_regression --data "$T/cut-images-idx3-ubyte" --model "$T/x.gguf"

echo "test_idx: $pass passed, $fail failed"
[ "$fail" = 0 ]
