#!/usr/bin/env bash
# nn_accuracy.sh — Fashion-MNIST test accuracy of the deep-learning estimators, trained with the
# `cml` command exactly as a user would: `cml fit` on the 60000 training images (IDX input),
# `cml eval` on the 10000 test images. One JSON line per model is appended to OUT:
#   {"bench":"nn_accuracy","model":"resnet8","algo":"cnn_classifier","params":"...","epochs":20,
#    "train_rows":60000,"test_rows":10000,"accuracy":0.92,"fit_seconds":...,"threads":16}
#
# Usage: bench/nn_accuracy.sh OUT.jsonl [BUILD_DIR]      (BUILD_DIR holds `cml`; default build)
# Environment:
#   CML_NUM_THREADS   threads for fit and eval (default: all cores)
#   NN_ACC_MODELS     comma list of mlp,lenet5,resnet8 (default all three)
#   NN_ACC_EPOCHS     override every model's epochs (smoke tests; the targets need the defaults)
#   NN_ACC_TRAIN      train on the first N training images only (smoke tests)
#   NN_ACC_TEST       evaluate on the first N test images only (smoke tests)
#   FASHION_MNIST     directory of the IDX files (default Debian's dataset-fashion-mnist)
#   e.g. a one-minute check:  NN_ACC_EPOCHS=1 NN_ACC_TRAIN=2000 NN_ACC_TEST=1000 bench/nn_accuracy.sh /tmp/a.jsonl
#
# The settings (the issue's targets: MLP >= 88%, LeNet-5 >= 89%, ResNet-8 >= 91%):
#   mlp      784-256-128-10 ReLU, Adam 1e-3, 15 epochs, batch 128 (89.1% measured)
#   lenet5   Adam 1e-3 with a cosine schedule, 10 epochs, batch 128 (90.0% measured)
#   resnet8  AdamW 1e-3 (weight decay 0.01) with one warm-up epoch and a cosine schedule,
#            16 epochs, batch 128; no augmentation (the estimators have none) (91.85% measured)
# Every run uses random_state=0; the results do not depend on the thread count.
set -euo pipefail
OUT=${1:?usage: nn_accuracy.sh OUT.jsonl [BUILD_DIR]}
BUILD=${2:-build}
CML="$BUILD/cml"
[ -x "$CML" ] || { echo "nn_accuracy.sh: no cml binary at $CML" >&2; exit 2; }
FM=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
THREADS=${CML_NUM_THREADS:-$(nproc)}
MODELS=${NN_ACC_MODELS:-mlp,lenet5,resnet8}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
  t10k-labels-idx1-ubyte.gz; do
  [ -r "$FM/$f" ] || { echo "nn_accuracy.sh: missing $FM/$f (apt install dataset-fashion-mnist)" >&2; exit 2; }
done

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The first N rows of an IDX pair as a new pair in $T (the labels file is the images' sibling,
# as `cml --data` expects).
subset() { # KIND(train|t10k) N
  "$PY" - "$FM" "$T" "$1" "$2" <<'EOF'
import gzip, struct, sys
src, dst, kind, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for part in ("images-idx3", "labels-idx1"):
    b = gzip.open(f"{src}/{kind}-{part}-ubyte.gz").read()
    nd = b[3]
    dims = list(struct.unpack(">" + "I" * nd, b[4:4 + 4 * nd]))
    per = 1
    for d in dims[1:]:
        per *= d
    n = min(n, dims[0])
    dims[0] = n
    body = b[4 + 4 * nd:4 + 4 * nd + n * per]
    with gzip.open(f"{dst}/{kind}-{part}-ubyte.gz", "wb") as f:
        f.write(b[:4] + struct.pack(">" + "I" * nd, *dims) + body)
EOF
}
TRAIN="$FM/train-images-idx3-ubyte.gz"
TEST="$FM/t10k-images-idx3-ubyte.gz"
if [ -n "${NN_ACC_TRAIN:-}" ]; then subset train "$NN_ACC_TRAIN"; TRAIN="$T/train-images-idx3-ubyte.gz"; fi
if [ -n "${NN_ACC_TEST:-}" ]; then subset t10k "$NN_ACC_TEST"; TEST="$T/t10k-images-idx3-ubyte.gz"; fi

for model in ${MODELS//,/ }; do
  case $model in
  mlp) algo=mlp_classifier epochs=15
    params="hidden_layer_sizes=256,128 optimizer=adam learning_rate=0.001 batch_size=128" ;;
  lenet5) algo=cnn_classifier epochs=10
    params="arch=lenet5 optimizer=adam learning_rate=0.001 lr_schedule=cosine batch_size=128" ;;
  resnet8) algo=cnn_classifier epochs=16
    params="arch=resnet8 optimizer=adamw learning_rate=0.001 weight_decay=0.01 warmup_epochs=1 lr_schedule=cosine batch_size=128" ;;
  *) echo "nn_accuracy.sh: unknown model '$model' (mlp, lenet5, resnet8)" >&2; exit 2 ;;
  esac
  epochs=${NN_ACC_EPOCHS:-$epochs}
  params="$params epochs=$epochs random_state=0"
  args=()
  for p in $params; do args+=(--param "$p"); done
  "$CML" fit --algo "$algo" --data "$TRAIN" --model "$T/$model.gguf" "${args[@]}" \
    --threads "$THREADS" --json --quiet >"$T/fit.json"
  "$CML" eval --model "$T/$model.gguf" --data "$TEST" --threads "$THREADS" --json \
    2>/dev/null >"$T/eval.json"
  "$PY" - "$model" "$algo" "$params" "$epochs" "$THREADS" "$T/fit.json" "$T/eval.json" \
    >>"$OUT" <<'EOF'
import json, sys
model, algo, params, epochs, threads, fit, ev = sys.argv[1:]
f, e = json.load(open(fit)), json.load(open(ev))
print(json.dumps({"bench": "nn_accuracy", "model": model, "algo": algo, "params": params,
                  "epochs": int(epochs), "epochs_run": f.get("n_iter"), "train_rows": f["rows"],
                  "test_rows": e["rows"], "accuracy": e["metrics"]["accuracy"],
                  "fit_seconds": round(f["fit_seconds"], 3), "threads": int(threads)}))
EOF
  tail -n 1 "$OUT"
done
