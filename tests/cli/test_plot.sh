#!/usr/bin/env bash
# `cml plot`: scatter / line / elbow / calibration write PNG and SVG files
# (signature, size, title); the numbers printed are right (elbow k=1 inertia
# = total sum of squares of iris, inertia non-increasing in k; calibration
# from a predictions CSV equals calibration from --model + --data; string
# labels; confusion counts from a model equal those from its predictions
# CSV); and the bad-input battery (exit code, one-line message).
# Usage: test_plot.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_plot.sh CML}
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# Sanitizer builds: fontconfig (loaded by cairo for text) keeps global
# caches it frees only in FcFini; LeakSanitizer would report them at exit.
printf 'leak:libfontconfig.so\n' >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
pass=0 fail=0
# expect CODE REGEX -- command...   (REGEX matched against stderr)
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && ok || bad "$1 is not a PNG"; }
# png_width FILE: width from the IHDR chunk
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'; }
has_title() { grep -q "<title>$2</title>" "$1" && ok || bad "$1 lacks title $2"; }

# ---------------------------------------------------------------- scatter
expect 0 "" -- "$CML" fit-transform --algo pca --param n_components=2 --data $DATA/iris.csv --out "$T/emb.csv"
cut -d, -f5 $DATA/iris.csv | paste -d, "$T/emb.csv" - >"$T/emb_l.csv"
expect 0 "wrote" -- "$CML" plot scatter --data "$T/emb_l.csv" --out "$T/sc.png" --title "Iris PCA"
is_png "$T/sc.png"
[ "$(png_width "$T/sc.png")" = 980 ] && ok || bad "scatter with labels has a legend column: $(png_width "$T/sc.png")"
expect 0 "" -- "$CML" plot scatter --data "$T/emb_l.csv" --out "$T/sc.svg" --title "Iris PCA" --label target --x c1 --y c0
has_title "$T/sc.svg" "Iris PCA"
# string labels name the legend; no label column: one colour, no legend
awk -F, -v OFS=, 'NR == 1 { print $1, $2, "species"; next }
                  { print $1, $2, ($3 == 0 ? "setosa" : ($3 == 1 ? "versicolor" : "virginica")) }' "$T/emb_l.csv" >"$T/emb_s.csv"
expect 0 "" -- "$CML" plot scatter --data "$T/emb_s.csv" --label species --out "$T/sc_s.png"
expect 0 "" -- "$CML" plot scatter --data "$T/emb.csv" --out "$T/sc_plain.png"
[ "$(png_width "$T/sc_plain.png")" = 800 ] && ok || bad "scatter without labels: no legend"

# ---------------------------------------------------------------- line
printf 'epoch,train_loss,valid_loss\n1,2.3,2.4\n2,1.1,1.3\n3,0.6,0.9\n4,0.4,0.8\n' >"$T/loss.csv"
expect 0 "" -- "$CML" plot line --data "$T/loss.csv" --x epoch --out "$T/loss.svg" --title "Loss curves"
has_title "$T/loss.svg" "Loss curves"
grep -q '<svg' "$T/loss.svg" && ok || bad "loss.svg is no SVG"
expect 0 "" -- "$CML" plot line --data "$T/loss.csv" --y valid_loss --out "$T/loss.png"
is_png "$T/loss.png"
[ "$(png_width "$T/loss.png")" = 980 ] && ok || bad "line legend"

# ---------------------------------------------------------------- elbow
expect 0 "" -- "$CML" plot elbow --data $DATA/iris.csv --k-max 6 --param random_state=0 --out "$T/elbow.png"
is_png "$T/elbow.png"
[ "$(wc -l <"$T/out")" = 7 ] && ok || bad "elbow prints k,inertia for k = 1..6: $(cat "$T/out")"
# k = 1: the total sum of squares about the mean, computed here independently
tss=$(awk -F, 'NR > 1 { n++; for (j = 1; j <= 4; j++) { s[j] += $j; q[j] += $j * $j } }
               END { t = 0; for (j = 1; j <= 4; j++) t += q[j] - s[j] * s[j] / n; printf "%.6f", t }' $DATA/iris.csv)
awk -F, -v t="$tss" 'NR == 2 { d = $2 - t; exit !(d < 1e-6 && d > -1e-6) }' "$T/out" && ok || bad "elbow k=1 inertia $(sed -n 2p "$T/out") != TSS $tss"
awk -F, 'NR > 2 && $2 > prev + 1e-9 { bad = 1 } NR > 1 { prev = $2 } END { exit bad }' "$T/out" && ok || bad "inertia increases with k: $(cat "$T/out")"

# ---------------------------------------------------------------- calibration
expect 0 "" -- "$CML" fit --algo gaussian_nb --data $DATA/breast_cancer.csv --model "$T/nb.gguf"
expect 0 "" -- "$CML" plot calibration --model "$T/nb.gguf" --data $DATA/breast_cancer.csv --out "$T/cal.png" --bins 10
is_png "$T/cal.png"
grep -q '"kind":"binary"' "$T/out" && grep -q '"ece":0\.0' "$T/out" && ok || bad "calibration JSON: $(head -c 300 "$T/out")"
ece_model=$(grep -o '"ece":[^,]*' "$T/out")
# the same from a predictions CSV with a truth column
expect 0 "" -- "$CML" predict --model "$T/nb.gguf" --data $DATA/breast_cancer.csv --out "$T/pred.csv" --proba
awk -F, 'NR == 1 { print "target" } NR > 1 { print $NF }' $DATA/breast_cancer.csv | paste -d, "$T/pred.csv" - >"$T/pred_t.csv"
expect 0 "" -- "$CML" plot calibration --data "$T/pred_t.csv" --out "$T/cal.svg"
[ "$(grep -o '"ece":[^,]*' "$T/out")" = "$ece_model" ] && ok || bad "CSV ece $(grep -o '"ece":[^,]*' "$T/out") != model $ece_model"
expect 0 "" -- "$CML" plot calibration --data "$T/pred_t.csv" --out "$T/cal_q.png" --strategy quantile --bins 5
grep -q '"strategy":"quantile"' "$T/out" && [ "$(grep -o '"count"' "$T/out" | wc -l)" -le 5 ] && ok || bad "quantile bins: $(cat "$T/out")"
# three classes with string labels: top-label calibration
{
  echo 'a,b,c,d,species'
  awk -F, 'NR > 1 { print $1 "," $2 "," $3 "," $4 "," ($5 == 0 ? "setosa" : ($5 == 1 ? "versicolor" : "virginica")) }' $DATA/iris.csv
} >"$T/iris_s.csv"
expect 0 "" -- "$CML" fit --algo gaussian_nb --data "$T/iris_s.csv" --model "$T/nb3.gguf"
expect 0 "" -- "$CML" predict --model "$T/nb3.gguf" --data "$T/iris_s.csv" --out "$T/p3.csv" --proba
cut -d, -f5 "$T/iris_s.csv" | paste -d, "$T/p3.csv" - >"$T/p3_t.csv"
expect 0 "" -- "$CML" plot calibration --data "$T/p3_t.csv" --truth species --out "$T/cal3.png"
grep -q '"kind":"top_label"' "$T/out" && ok || bad "top label: $(head -c 200 "$T/out")"
ece_csv=$(grep -o '"ece":[^,]*' "$T/out")
expect 0 "" -- "$CML" plot calibration --model "$T/nb3.gguf" --data "$T/iris_s.csv" --out "$T/cal3.svg"
[ "$(grep -o '"ece":[^,]*' "$T/out")" = "$ece_csv" ] && ok || bad "top-label ece differs between CSV and model"

# ---------------------------------------------------------------- confusion
expect 0 "" -- "$CML" plot confusion --model "$T/nb3.gguf" --data "$T/iris_s.csv" --out "$T/cm.png"
is_png "$T/cm.png"
grep -q '"labels":\["setosa","versicolor","virginica"\]' "$T/out" && ok || bad "confusion labels: $(cat "$T/out")"
cm_model=$(grep -o '"matrix":.*' "$T/out")
# row sums are the class sizes (50 each), the diagonal holds the correct ones
echo "$cm_model" | grep -Eq '^"matrix":\[\[50,0,0\],\[0,[0-9]+,[0-9]+\],\[0,[0-9]+,[0-9]+\]\]\}$' && ok || bad "confusion counts: $cm_model"
# the same from the predictions CSV (string labels in both columns)
expect 0 "" -- "$CML" predict --model "$T/nb3.gguf" --data "$T/iris_s.csv" --out "$T/p3l.csv"
cut -d, -f5 "$T/iris_s.csv" | paste -d, "$T/p3l.csv" - >"$T/p3l_t.csv"
expect 0 "" -- "$CML" plot confusion --data "$T/p3l_t.csv" --truth species --out "$T/cm.svg"
[ "$(grep -o '"matrix":.*' "$T/out")" = "$cm_model" ] && ok || bad "confusion from CSV differs: $(cat "$T/out")"
has_title "$T/cm.svg" "Confusion matrix (accuracy [0-9.]*)"
expect 0 "" -- "$CML" plot confusion --data "$T/pred_t.csv" --out "$T/cm2.png"
grep -q '"labels":\["0","1"\]' "$T/out" && ok || bad "numeric confusion labels: $(cat "$T/out")"

# ---------------------------------------------------------------- bad input
expect 2 'kind' -- "$CML" plot
expect 2 'unknown kind "pie"' -- "$CML" plot pie --data "$T/loss.csv" --out "$T/x.png"
expect 2 '--out' -- "$CML" plot line --data "$T/loss.csv"
expect 2 '\.png, \.svg or \.pdf' -- "$CML" plot line --data "$T/loss.csv" --out "$T/x.jpg"
expect 2 'no column "nope"' -- "$CML" plot line --data "$T/loss.csv" --x nope --out "$T/x.png"
expect 1 'cannot write|cannot create' -- "$CML" plot line --data "$T/loss.csv" --out "$T/no/such/dir.png"
expect 1 'loss_missing.csv' -- "$CML" plot line --data "$T/loss_missing.csv" --out "$T/x.png"
expect 2 'not a class' -- "$CML" plot scatter --data "$T/loss.csv" --label train_loss --out "$T/x.png"
expect 2 'k-max.*k-min' -- "$CML" plot elbow --data $DATA/iris.csv --k-min 5 --k-max 2 --out "$T/x.png"
expect 2 'exceeds the number of rows' -- "$CML" plot elbow --data "$T/loss.csv" --k-max 9 --out "$T/x.png"
expect 2 'n_clusters' -- "$CML" plot elbow --data $DATA/iris.csv --param n_clusters=3 --out "$T/x.png"
expect 2 'proba_' -- "$CML" plot calibration --data "$T/loss.csv" --truth epoch --out "$T/x.png"
expect 2 'no column "target"' -- "$CML" plot calibration --data "$T/pred.csv" --out "$T/x.png"
expect 2 'strategy' -- "$CML" plot calibration --data "$T/pred_t.csv" --strategy best --out "$T/x.png"
expect 2 'bins' -- "$CML" plot calibration --data "$T/pred_t.csv" --bins 0 --out "$T/x.png"
"$CML" fit --algo ridge --data $DATA/diabetes.csv --model "$T/ridge.gguf" >/dev/null 2>&1
expect 2 'predict_proba' -- "$CML" plot calibration --model "$T/ridge.gguf" --data $DATA/diabetes.csv --out "$T/x.png"
expect 2 'not a classifier' -- "$CML" plot confusion --model "$T/ridge.gguf" --data $DATA/diabetes.csv --out "$T/x.png"
expect 2 'no column "prediction"' -- "$CML" plot confusion --data "$T/loss.csv" --truth epoch --out "$T/x.png"
cut -d, -f5 $DATA/iris.csv | paste -d, "$T/p3l.csv" - >"$T/mixed.csv"
expect 2 'both hold text or both numbers' -- "$CML" plot confusion --data "$T/mixed.csv" --out "$T/x.png"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
