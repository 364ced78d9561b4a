#!/usr/bin/env bash
# `cml course`: every lesson parses and the topic list is complete (59
# topics, 12/6/10/10/13/8 per section, one lesson each); list/show JSON
# shape; every live lesson with an experiment runs with --quick and writes
# its plots; its numbers are the library's (the same split and model as
# `cml tour`, and a scikit-learn reference value); malformed lessons give a
# one-line error naming file:line.
# Usage: test_course.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_course.sh CML}
unset CML_STORE # runs are recorded only where this test says so
COURSES=../courses
DATA=../data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0


# expect CODE REGEX -- command...   (REGEX matched against stderr)
expect() {
  local code=$1 re=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$code" ]; then bad "exit $got (want $code): $* :: $(head -c 400 "$T/err")"; return; fi
  if [ -n "$re" ] && ! grep -Eq -- "$re" "$T/err"; then bad "stderr of '$*' lacks /$re/: $(head -c 300 "$T/err")"; return; fi
  if [ "$code" != 0 ] && [ "$(wc -l <"$T/err")" -gt 2 ]; then bad "error of '$*' is not one line: $(cat "$T/err")"; return; fi
  ok
}

# value of metric NAME in a run's JSON (first match)
metric() { grep -o "\"name\":\"$2\",\"label\":\"[^\"]*\",\"value\":[-0-9.eE+]*" "$1" | head -1 | sed 's/.*"value"://'; }
# |a - b| <= tol
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= t) }'; }

# ---------------------------------------------------------------- the catalogue
[ "$(grep -cv '^$' $COURSES/topics.txt)" = 59 ] && ok || bad "topics.txt has $(grep -cv '^$' $COURSES/topics.txt) topics, want 59"
counts=$(cut -f1 $COURSES/topics.txt | uniq -c | awk '{printf "%s:%s ", $2, $1}')
[ "$counts" = "classic-ml:12 deep-learning:6 computer-vision:10 nlp-llm:10 mlops:13 databases:8 " ] && ok || bad "sections: $counts"
[ "$(ls $COURSES/*/*.md | wc -l)" = 59 ] && ok || bad "lesson files: $(ls $COURSES/*/*.md | wc -l)"
# the classic-ml ids are fixed by docs/courses.md
[ "$(grep '^classic-ml' $COURSES/topics.txt | cut -f2 | tr '\n' ' ')" = "linear-regression polynomial-regression logistic-regression svm knn naive-bayes decision-tree random-forest gradient-boosting k-means dbscan pca-tsne-umap " ] && ok || bad "classic-ml ids"
# check = load every lesson (format, headings, front matter vs topics.txt)
expect 0 "" -- "$CML" course check --courses $COURSES
grep -q "6 sections, 59 lessons parse" "$T/out" && ok || bad "check: $(cat "$T/out")"
grep -q '^error' "$T/out" && bad "check reports: $(grep '^error' "$T/out")" || ok

expect 0 "" -- "$CML" course list --courses $COURSES --json
[ "$(grep -o '"topics":\[' "$T/out" | wc -l)" = 6 ] && ok || bad "list --json sections"
[ "$(grep -o '"live":' "$T/out" | wc -l)" = 59 ] && ok || bad "list --json topics"
grep -q '"id":"linear-regression","title":"[^"]*","order":1,"tags":"[^"]*","live":true,"runnable":true,"data":"diabetes"' "$T/out" && ok || bad "list --json topic fields: $(head -c 400 "$T/out")"
expect 0 "" -- "$CML" course list --courses $COURSES
grep -q "59 lessons" "$T/out" && ok || bad "list text"

expect 0 "" -- "$CML" course show knn --courses $COURSES --json
for h in "The idea" "When to use it" "Strengths" "Weaknesses" "Key concepts" "The experiment"; do
  grep -q "\"heading\":\"$h\"" "$T/out" && ok || bad "show --json lacks $h"
done
grep -q '"section_title":"Classic machine learning"' "$T/out" && grep -q '"status":""' "$T/out" && ok || bad "show --json fields"
expect 0 "" -- "$CML" course show knn --courses $COURSES
grep -q '^The idea$' "$T/out" && ! grep -q $'\033' "$T/out" && ! grep -q '\*\*' "$T/out" && ok || bad "show renders plain text without colour or ** markers"
[ "$(grep -v '^    ' "$T/out" | LC_ALL=C.UTF-8 grep -Ec '^.{81,}')" = 0 ] && ok || bad "show wraps at 80 columns"
expect 2 "no lesson" -- "$CML" course show no-such-topic --courses $COURSES
expect 2 "needs one lesson id" -- "$CML" course show --courses $COURSES
expect 2 "unknown subcommand" -- "$CML" course frobnicate --courses $COURSES
textonly=$(grep -l '^live: no' $COURSES/*/*.md | head -1 | xargs grep -m1 '^id:' | sed 's/id: //')
expect 1 "text only" -- "$CML" course run "$textonly" --courses $COURSES --out "$T/o"

# ---------------------------------------------------------------- every live lesson, quick
expect 0 "" -- "$CML" course run --all --quick --json --courses $COURSES --data-dir $DATA --out "$T/all"
cp "$T/out" "$T/all.json"
grep -q '"failed":0' "$T/all.json" && ok || bad "run --all --quick failed: $(grep -o '"error":"[^"]*"' "$T/all.json")"
for id in $(grep -l '^live: yes' $COURSES/*/*.md | xargs grep -h -m1 '^id:' | sed 's/id: //'); do
  if grep -q "{\"id\":\"$id\",\"skipped\"" "$T/all.json"; then continue; fi
  grep -q "{\"id\":\"$id\",\"title\":\"[^\"]*\",\"data\":\"[^\"]*\",\"seconds\":[0-9.]*,\"quick\":true,\"metrics\":\[{\"name\"" "$T/all.json" && ok || bad "$id: no metrics in run --all"
  n=0
  for png in "$T/all/$id"/*.png; do
    [ -f "$png" ] || continue
    [ "$(head -c 4 "$png" | od -An -c | tr -d ' ')" = "211PNG" ] && n=$((n + 1)) || bad "$png is not a PNG"
  done
  [ "$n" -ge 1 ] && ok || bad "$id wrote no plot"
done
# the plots each lesson's text promises
for f in linear-regression/coefficients evaluation-metrics/confusion naive-bayes/confusion \
  text-classification/confusion_logreg text-classification/confusion_nb decision-tree/importances \
  random-forest/importances gradient-boosting/gain gradient-boosting/shap decision-tree/tree \
  experiment-tracking/sweep semantic-search/recall_at_k rag-pipeline/recall_by_chunks \
  mlp/loss_curves mlp/confusion mlp/misclassified cnn/loss_curves cnn/confusion cnn/misclassified \
  experiment-tracking/objective sqlite/transactions; do
  grep -q "\"path\":\"$T/all/$f.png\"" "$T/all.json" && [ -s "$T/all/$f.png" ] && ok || bad "plot $f.png missing"
done
n_ran=$(grep -o '"ran":[0-9]*' "$T/all.json" | sed 's/.*://')
[ "${n_ran:-0}" -ge 24 ] && ok || bad "only ${n_ran:-0} experiments ran"

# one run alone: JSON, plots listed with their paths, progress lines on stderr
expect 0 "" -- "$CML" course run linear-regression --quick --json --progress --courses $COURSES --data-dir $DATA --out "$T/one"
cp "$T/out" "$T/lin.json"
grep -q "\"plots\":\[{\"path\":\"$T/one/linear-regression/fitted_vs_true.png\"" "$T/lin.json" && ok || bad "plot paths: $(grep -o '"plots":[^]]*' "$T/lin.json")"
grep -q '"notes":\["Lasso set [0-9]* of 10 coefficients to exactly zero.' "$T/lin.json" && ok || bad "computed note"
grep -q '"table":{"columns":\["feature","OLS","Ridge","Lasso"\],"rows":\[\["age",' "$T/lin.json" && ok || bad "table"
grep -Eq '^progress 0\.000 ' "$T/err" && grep -Eq '^progress 1\.000 done' "$T/err" && ok || bad "progress lines: $(head -3 "$T/err")"
[ "$(grep -cvE '^progress [01]\.[0-9]{3} .' "$T/err")" = 0 ] && ok || bad "stderr has non-progress lines: $(grep -vE '^progress' "$T/err" | head -2)"
expect 0 "" -- "$CML" course run decision-tree --quick --courses $COURSES --data-dir $DATA --out "$T/one"
grep -q 'Measured just now on iris' "$T/out" && grep -q 'petal' "$T/out" && ok || bad "text run output"

# from another folder, cml finds courses/ and data/ next to its build folder
case "$CML" in
/*) (cd "$T" && "$CML" course run decision-tree --quick --out "$T/elsewhere" >"$T/out" 2>"$T/err") && [ -f "$T/elsewhere/decision-tree/accuracy_vs_depth.png" ] && ok || bad "run from another folder: $(cat "$T/err")" ;;
esac

# ---------------------------------------------------------------- the numbers are the library's
# `cml tour` fits the same models on the same 75/25 split (seed 42, stratified
# for classifiers, standard scaler): its held-out scores must be identical.
expect 0 "" -- "$CML" tour --data-dir $DATA --algo linear_regression --algo logistic_regression --json
tour_r2=$(grep -o '"algo":"linear_regression","task":"regression","data":"diabetes","metric":"r2","value":[-0-9.eE+]*' "$T/out" | sed 's/.*"value"://')
tour_bc=$(grep -o '"algo":"logistic_regression","task":"classification","data":"breast_cancer","metric":"accuracy","value":[-0-9.eE+]*' "$T/out" | sed 's/.*"value"://')
tour_dg=$(grep -o '"algo":"logistic_regression","task":"classification","data":"digits","metric":"accuracy","value":[-0-9.eE+]*' "$T/out" | sed 's/.*"value"://')
[ -n "$tour_r2" ] && [ "$(metric "$T/lin.json" r2_test_ols)" = "$tour_r2" ] && ok || bad "OLS R² $(metric "$T/lin.json" r2_test_ols) vs tour $tour_r2"
expect 0 "" -- "$CML" course run logistic-regression --quick --json --courses $COURSES --data-dir $DATA --out "$T/one"
[ -n "$tour_bc" ] && [ "$(metric "$T/out" accuracy)" = "$tour_bc" ] && ok || bad "logistic accuracy $(metric "$T/out" accuracy) vs tour $tour_bc"
expect 0 "" -- "$CML" course run evaluation-metrics --quick --json --courses $COURSES --data-dir $DATA --out "$T/one"
[ -n "$tour_dg" ] && [ "$(metric "$T/out" accuracy)" = "$tour_dg" ] && ok || bad "digits accuracy $(metric "$T/out" accuracy) vs tour $tour_dg"
# scikit-learn 1.2.1: PCA().fit(digits[:200]).explained_variance_ratio_[:2].sum()
# = 0.3205509888185285, and 17 components reach 90% (the quick run uses the first 200 digits)
pv=$(metric "$T/all.json" pca_variance_2)
close "$pv" 0.3205509888185285 1e-9 && ok || bad "PCA variance share $pv vs sklearn 0.3205509888185285"
[ "$(metric "$T/all.json" pca_components_90)" = 17 ] && ok || bad "PCA components for 90%"
# the served model answers exactly what the model in memory predicts, and the
# Prometheus counter counts exactly the rows sent
[ "$(metric "$T/all.json" parity)" = 1 ] && [ "$(metric "$T/all.json" parity_proba)" = 1 ] && ok || bad "serving parity"
pt=$(metric "$T/all.json" predictions_total)
[ -n "$pt" ] && [ "$pt" = "$(metric "$T/all.json" rows_sent)" ] && ok || bad "predictions counter $pt vs rows sent"
# an independent recount: the Lasso zeros of the note are the metric's
z=$(metric "$T/lin.json" lasso_zero_coefs)
grep -q "\"Lasso set $z of 10 coefficients" "$T/lin.json" && ok || bad "Lasso note vs metric ($z)"

# TreeSHAP: each test stone's contributions plus the base value add up to
# what predict returns (a separate code path through the trees)
sa=$(metric "$T/all.json" shap_additivity)
awk -v a="$sa" 'BEGIN { exit !(a != "" && a < 1e-9) }' && ok || bad "SHAP additivity gap $sa"

# ---------------------------------------------------------------- the tracking store
# experiment-tracking and sqlite leave their stores in the output folder;
# read them back with Python's own sqlite3 module (another SQLite client).
PY=/usr/bin/python3
sq() { "$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); r = c.execute(sys.argv[2]).fetchone(); print(repr(r[0]) if r else "")' "$@"; }
if [ -x "$PY" ]; then
  TDB="$T/all/experiment-tracking/tracking.db"
  # the run with C = 1 is the logistic-regression lesson's model: cml tour's accuracy
  a1=$(sq "$TDB" "SELECT m.value FROM metrics m JOIN params p ON p.run_id = m.run_id AND p.key = 'C' AND p.value = '1' WHERE m.key = 'accuracy'")
  close "$a1" "$tour_bc" 1e-12 && ok || bad "tracked run C=1 accuracy $a1 vs tour $tour_bc"
  f1=$(sq "$TDB" "SELECT max(value) FROM metrics WHERE key = 'f1'")
  close "$f1" "$(metric "$T/all.json" best_f1)" 1e-12 && ok || bad "best F1 in the store $f1 vs $(metric "$T/all.json" best_f1)"
  [ "$(sq "$TDB" "SELECT count(*) FROM runs WHERE status = 'finished'")" = 3 ] && ok || bad "tracking: 3 quick runs"
  [ "$(sq "$TDB" "SELECT count(DISTINCT data_sha256) FROM runs")" = 1 ] && [ "$(sq "$TDB" "SELECT data_sha256 FROM runs")" = "'$(sha256sum $DATA/breast_cancer.csv | cut -c1-64)'" ] && ok || bad "tracking: data sha256"
  [ "$(sq "$TDB" "SELECT min(n_step_metrics) > 0 FROM runs")" = 1 ] && ok || bad "tracking: per-step objective recorded"
  reg=$(sq "$TDB" "SELECT path || ' ' || sha256 FROM model_versions WHERE version = 1" | tr -d "'")
  [ -n "$reg" ] && [ "$(sha256sum "$T/all/experiment-tracking/${reg% *}" | cut -c1-64)" = "${reg#* }" ] && ok || bad "registered model copy: $reg"
  SDB="$T/all/sqlite/store.db"
  [ "$(sq "$SDB" "SELECT count(*) FROM runs")" = 5 ] && ok || bad "sqlite: 4 fits and the run written during a read"
  [ "$(sq "$SDB" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")" = "$(metric "$T/all.json" tables)" ] && ok || bad "sqlite: table count"
  sa=$(sq "$SDB" "SELECT max(value) FROM metrics WHERE key = 'accuracy'")
  grep -o '"id":"sqlite".*' "$T/all.json" | grep -o "\"name\":\"best_accuracy\",\"label\":\"[^\"]*\",\"value\":[-0-9.eE+]*" | head -1 | sed 's/.*"value"://' >"$T/sa"
  close "$sa" "$(cat "$T/sa")" 1e-12 && ok || bad "sqlite best accuracy $sa vs $(cat "$T/sa")"
  [ "$(sq "$SDB" "PRAGMA journal_mode")" = "'wal'" ] && ok || bad "sqlite: store in WAL mode"
  grep -q 'still counted 4, and 5 once its transaction ended' "$T/all.json" && ok || bad "sqlite: WAL snapshot note"
  grep -o '"id":"sqlite".*' "$T/all.json" | grep -o '"name":"tx_speedup","label":"[^"]*","value":[0-9.eE+]*' | sed 's/.*"value"://' >"$T/sp"
  awk -v s="$(cat "$T/sp")" 'BEGIN { exit !(s > 1) }' && ok || bad "one transaction is not faster: $(cat "$T/sp")"

  # every course run is recorded in $CML_STORE as a run of experiment "course"
  CML_STORE="$T/course.db" "$CML" course run knn --quick --json --courses $COURSES --data-dir $DATA --out "$T/one" >"$T/knn.json" 2>"$T/err" && ok || bad "run with CML_STORE: $(cat "$T/err")"
  [ ! -s "$T/err" ] && ok || bad "run with CML_STORE warns: $(cat "$T/err")"
  [ "$(sq "$T/course.db" "SELECT p.value FROM params p JOIN runs r ON r.id = p.run_id JOIN experiments e ON e.id = r.experiment_id WHERE e.name = 'course' AND p.key = 'lesson'")" = "'knn'" ] && ok || bad "course run not recorded"
  first=$(grep -o '"metrics":\[{"name":"[^"]*","label":"[^"]*","value":[-0-9.eE+]*' "$T/knn.json" | sed 's/.*"name":"\([^"]*\)".*"value":/\1 /')
  v=$(sq "$T/course.db" "SELECT value FROM metrics WHERE key = '${first% *}'")
  close "$v" "${first#* }" 1e-12 && ok || bad "recorded ${first% *} $v vs ${first#* }"
  [ "$(sq "$T/course.db" "SELECT value FROM params WHERE key = 'quick'")" = "'true'" ] && ok || bad "recorded quick"
  # a lesson that fails (no data) is recorded as a failed run with its error
  mkdir -p "$T/nodata"
  CML_STORE="$T/course.db" "$CML" course run knn --quick --courses $COURSES --data-dir "$T/nodata" --out "$T/one" >/dev/null 2>"$T/err"
  [ $? = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && ok || bad "failed run: $(cat "$T/err")"
  [ "$(sq "$T/course.db" "SELECT count(*) FROM runs r JOIN params p ON p.run_id = r.id AND p.key = 'error' WHERE r.status = 'failed' AND p.value LIKE '%iris%'")" = 1 ] && ok || bad "failed run not recorded as failed"
else
  echo "skipping store checks: no $PY"
fi

# ---------------------------------------------------------------- retrieval
# BM25 recall@10 and MRR@10 on the FAQ from the rankings of the Python
# reference (tests/gen/gen_bm25.py: the top 10 of every question)
if grep -q '{"id":"semantic-search","title"' "$T/all.json"; then
  ref=$(awk '/^@top10/{f=1;i=0;next} /^@/{f=0} f{ for(j=1;j<=NF&&j<=10;j++) if ($j+0==i) {r+=1; m+=1/j}; i++ } END{ if (i) printf "%.17g %.17g %d", r/i, m/i, i }' golden/bm25_faq.txt)
  set -- $ref
  close "$(metric "$T/all.json" recall10_bm25)" "$1" 1e-12 && ok || bad "BM25 recall@10 $(metric "$T/all.json" recall10_bm25) vs Python $1"
  close "$(metric "$T/all.json" mrr10_bm25)" "$2" 1e-12 && ok || bad "BM25 MRR@10 $(metric "$T/all.json" mrr10_bm25) vs Python $2"
  [ "$(metric "$T/all.json" questions)" = "$3" ] && ok || bad "FAQ pairs $(metric "$T/all.json" questions) vs Python $3"
  # rag-pipeline: 40-word chunks hand at most 5 x 40 words to the model
  cw=$(metric "$T/all.json" context_words_40)
  awk -v c="$cw" 'BEGIN { exit !(c != "" && c > 0 && c <= 200) }' && ok || bad "context words with 40-word chunks: $cw"
  set --
fi

# ---------------------------------------------------------------- neural networks
# the accuracy of predict + cml_accuracy after training equals the held-out
# accuracy the training loop reported for its last epoch (metric hook); the
# CNN's gain over the MLP equals the images it fixed minus those it broke
if [ -x /usr/bin/python3 ] && grep -q '{"id":"mlp","title"' "$T/all.json"; then
  /usr/bin/python3 - "$T/all.json" >"$T/nn.out" 2>&1 <<'EOF'
import json, re, sys
runs = {r["id"]: r for r in json.load(open(sys.argv[1]))["runs"] if "metrics" in r}
bad = []
for lid in ("mlp", "cnn"):
    r = runs[lid]
    m = {x["name"]: x["value"] for x in r["metrics"]}
    rows = r["table"]["rows"]
    if len(rows) != m["epochs"]: bad.append(f"{lid}: {len(rows)} table rows vs {m['epochs']} epochs")
    if abs(float(rows[-1][3]) - m["accuracy"]) > 5e-5: bad.append(f"{lid}: last epoch {rows[-1][3]} vs accuracy {m['accuracy']}")
    if not 0.3 < m["accuracy"] <= 1: bad.append(f"{lid}: accuracy {m['accuracy']}")
    names = [p["path"].rsplit("/", 1)[1] for p in r["plots"]]
    if names != ["loss_curves.png", "confusion.png", "misclassified.png"]: bad.append(f"{lid}: plots {names}")
r = runs["cnn"]; m = {x["name"]: x["value"] for x in r["metrics"]}
note = [n for n in r["notes"] if "that the MLP got wrong" in n][0]
n, fixed, broke = map(int, re.search(r"same (\d+) test images the CNN gets (\d+) right that the MLP got wrong, and (\d+) wrong", note).groups())
if abs((m["accuracy"] - m["ref_accuracy"]) - (fixed - broke) / n) > 1e-12: bad.append(f"cnn vs mlp: {m['accuracy']} - {m['ref_accuracy']} vs ({fixed} - {broke})/{n}")
print("\n".join(bad) if bad else "ok")
EOF
  [ "$(cat "$T/nn.out")" = ok ] && ok || bad "nn lessons: $(cat "$T/nn.out")"
fi

# ---------------------------------------------------------------- malformed lessons
# mk NAME BODY: a one-topic course whose lesson is BODY
good_body() {
  cat <<'EOF'
---
id: demo
title: Demo
section: classic-ml
order: 1
tags: Test
live: no
---

## The idea

Text with **bold**, *italic* and `code`.

## When to use it

- one
- two
  continued

## Strengths

```
code block
```

## Weaknesses

Short.

## Key concepts

Words.
EOF
}
mk() {
  rm -rf "$T/c"; mkdir -p "$T/c/01-classic-ml"
  printf 'classic-ml\tdemo\tDemo\n' >"$T/c/topics.txt"
  printf '%s\n' "$1" >"$T/c/01-classic-ml/01-demo.md"
}
L="$T/c/01-classic-ml/01-demo.md"
mk "$(good_body)"
expect 0 "" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^live: no/live: maybe/')"
expect 1 "01-demo.md:7: live must be yes or no" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^tags: Test/colour: red/')"
expect 1 "01-demo.md:6: unknown front-matter key \"colour\"" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed '1d')"
expect 1 "01-demo.md:1: a lesson starts with a front-matter block" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^## Strengths/### Strengths/')"
expect 1 "01-demo.md:20: only \"## \" headings" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^Short\.$/| a | b |/')"
expect 1 "01-demo.md:28: tables are not part" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^Words\.$/See [here](http:\/\/x)./')"
expect 1 "01-demo.md:32: links are not part" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^Short\.$/Half **bold./')"
expect 1 "01-demo.md:28: unbalanced \*\*" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed '24d')"
expect 1 "01-demo.md:22: code block opened here is never closed" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^## Weaknesses/## Drawbacks/')"
expect 1 "01-demo.md:30: expected \"## Weaknesses\" before \"## Key concepts\"" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^- two/1. two/')"
expect 1 "01-demo.md:17: numbered lists" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^live: no/live: yes/')"
expect 1 "01-demo.md:8: a live lesson names its data set" -- "$CML" course check --courses "$T/c"
mk "$(good_body | sed 's/^id: demo/id: other/')"
expect 1 "01-demo.md:1: front matter says id other" -- "$CML" course check --courses "$T/c"
mk "$(good_body)"; cp "$L" "$T/c/01-classic-ml/02-extra.md"
expect 1 "02-extra.md: lesson file of no topic" -- "$CML" course check --courses "$T/c"
mk "$(good_body)"; rm "$L"
expect 1 "topics.txt:1: topic \"demo\" has no lesson file" -- "$CML" course check --courses "$T/c"
mk "$(good_body)"; printf 'classic-ml demo\n' >"$T/c/topics.txt"
expect 1 "topics.txt:1: expected SECTION<TAB>TOPIC<TAB>Title" -- "$CML" course check --courses "$T/c"
mk "$(good_body)"; printf '\001' >>"$L"
expect 1 "01-demo.md:33: control byte 0x01" -- "$CML" course check --courses "$T/c"
expect 1 "cannot open" -- "$CML" course list --courses "$T/nowhere"

# --store: the run is recorded there (as `cml web --store` passes it on)
expect 0 "" -- "$CML" course run knn --quick --data-dir $DATA --out "$T/o" --store "$T/st.db"
expect 0 "" -- "$CML" runs list --store "$T/st.db" --experiment course
grep -q " course " "$T/out" && ok || bad "course run not recorded by --store: $(cat "$T/out")"

echo "test_course: $pass passed, $fail failed"
[ "$fail" = 0 ]
