#!/usr/bin/env bash
# `cml serve` with text models (`cml fit --text COL`: vectorizer + estimator)
# over loopback HTTP: the raw documents go in as JSON records, JSON rows or a
# CSV body, and the predictions (and probabilities) equal `cml predict`'s on
# the same documents, for a sparse estimator with probabilities
# (multinomial_nb), one without (linear_svc) and a dense-only one
# (k_neighbors_classifier, count vectorizer). Also: the text column shows as
# "kind":"text", and a number, null or missing document is a 400 that names
# the cell.
# Usage: test_serve_text.sh PATH/TO/cml   (run from tests/; only 127.0.0.1 is used)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check
CML=${1:?usage: test_serve_text.sh CML}
command -v curl >/dev/null || { echo "SKIP: curl is not installed (scripts/deps installs it)"; exit 77; }
DATA=../data
. "$(dirname "$0")/serve_lib.sh"
pass=0 fail=0

# ---------------------------------------------------------------- models
"$CML" fit --algo multinomial_nb --data $DATA/text/spam.csv --target label --text text \
  --model "$T/nb.gguf" --quiet >/dev/null || { echo "FAIL: fit multinomial_nb --text"; exit 1; }
"$CML" fit --algo linear_svc --data $DATA/text/spam.csv --target label --text text \
  --model "$T/svc.gguf" --quiet >/dev/null || { echo "FAIL: fit linear_svc --text"; exit 1; }
"$CML" fit --algo k_neighbors_classifier --data $DATA/text/spam.csv --target label --text text \
  --vectorizer count --param vectorizer.max_features=300 --model "$T/knn.gguf" --quiet >/dev/null ||
  { echo "FAIL: fit knn --text"; exit 1; }

# The same five documents as CSV (for cml predict and the CSV body) and JSON:
# quotes, a newline, non-ASCII letters, an empty document.
cat >"$T/docs.csv" <<'EOF'
text
"WIN a FREE iPhone now!!! Click here to claim your $1000 prize, limited offer"
"Hi Bob, the meeting moved to 3pm; see you in the ""usual"" room"
"Cheap meds without prescription
order today, unsubscribe anytime"
"naïve café résumé: Grüße aus Zürich"
""
EOF
DOCS='"WIN a FREE iPhone now!!! Click here to claim your $1000 prize, limited offer",
"Hi Bob, the meeting moved to 3pm; see you in the \"usual\" room",
"Cheap meds without prescription\norder today, unsubscribe anytime",
"naïve café résumé: Grüße aus Zürich",
""'
records=$(echo "$DOCS" | sed -e 's/^\(".*"\)\(,\?\)$/{"text":\1}\2/' | tr -d '\n')
rows=$(echo "$DOCS" | sed -e 's/^\(".*"\)\(,\?\)$/[\1]\2/' | tr -d '\n')
printf '{"proba":true,"records":[%s]}' "$records" >"$T/records.json"
printf '{"rows":[%s]}' "$rows" >"$T/rows.json"
printf '{"records":[%s]}' "$records" >"$T/records_noproba.json"

start_server "$T/log" --model nb=$T/nb.gguf --model svc=$T/svc.gguf --model knn=$T/knn.gguf

expect 200 '"name":"nb".*"features":\[\{"name":"text","kind":"text"\}\]' GET /v1/models
grep -q '"classes":\["ham","spam"\]' "$T/body" && ok || bad "models list lacks the string classes"

# ---------------------------------------------------------------- parity with cml predict
for m in nb knn; do
  "$CML" predict --model "$T/$m.gguf" --data "$T/docs.csv" --out "$T/cli_$m.csv" --proba ||
    bad "cml predict $m"
  tail -n +2 "$T/cli_$m.csv" | cut -d, -f1 >"$T/c_pred"
  tail -n +2 "$T/cli_$m.csv" | cut -d, -f2- >"$T/c_proba"
  expect 200 '"classes":\["ham","spam"\],"probabilities"' POST /v1/models/$m/predict \
    -H 'Content-Type: application/json' --data-binary @"$T/records.json"
  preds "$T/body" >"$T/s_pred"; probas "$T/body" >"$T/s_proba"
  [ "$(tr '\n' ' ' <"$T/s_pred")" = "$(tr '\n' ' ' <"$T/c_pred")" ] && ok ||
    bad "$m records: labels $(tr '\n' ' ' <"$T/s_pred") vs cml predict $(tr '\n' ' ' <"$T/c_pred")"
  check "$m records: probabilities differ from cml predict (bitwise)" same_numbers "$T/s_proba" "$T/c_proba"
  [ "$(wc -l <"$T/s_pred")" = 5 ] && ok || bad "$m records: $(wc -l <"$T/s_pred") predictions"
  expect 200 '' POST "/v1/models/$m/predict?proba=true" -H 'Content-Type: text/csv' --data-binary @"$T/docs.csv"
  preds "$T/body" >"$T/s_pred"; probas "$T/body" >"$T/s_proba"
  [ "$(tr '\n' ' ' <"$T/s_pred")" = "$(tr '\n' ' ' <"$T/c_pred")" ] && ok || bad "$m csv: labels differ"
  check "$m csv: probabilities differ" same_numbers "$T/s_proba" "$T/c_proba"
done
# the NB model puts these documents in both classes (so the parity above means something)
"$CML" predict --model "$T/nb.gguf" --data "$T/docs.csv" --out "$T/cli_nb.csv" >/dev/null
grep -q spam "$T/cli_nb.csv" && grep -q ham "$T/cli_nb.csv" && ok || bad "nb: expected both classes: $(cat "$T/cli_nb.csv")"

# linear_svc: rows body, labels only
"$CML" predict --model "$T/svc.gguf" --data "$T/docs.csv" --out "$T/cli_svc.csv" || bad "cml predict svc"
tail -n +2 "$T/cli_svc.csv" | cut -d, -f1 >"$T/c_pred"
expect 200 '^\{"model":"svc","predictions":\[' POST /v1/models/svc/predict --data-binary @"$T/rows.json"
preds "$T/body" >"$T/s_pred"
[ "$(tr '\n' ' ' <"$T/s_pred")" = "$(tr '\n' ' ' <"$T/c_pred")" ] && ok ||
  bad "svc rows: labels $(tr '\n' ' ' <"$T/s_pred") vs cml predict $(tr '\n' ' ' <"$T/c_pred")"
expect 200 '' POST /v1/models/svc/predict --data-binary @"$T/records_noproba.json"
preds "$T/body" >"$T/s_pred"
[ "$(tr '\n' ' ' <"$T/s_pred")" = "$(tr '\n' ' ' <"$T/c_pred")" ] && ok || bad "svc records: labels differ"

# ---------------------------------------------------------------- errors
expect 400 'records\[0\]\.text \(column \\"text\\"\): text column expects the document as a string, got a number' \
  POST /v1/models/nb/predict -d '{"records":[{"text":42}]}'
expect 400 'rows\[1\]\[0\].*got an invalid value|rows\[1\]\[0\].*expects the document as a string' \
  POST /v1/models/nb/predict -d '{"rows":[["ok"],[null]]}'
expect 400 'records\[0\]: missing column \\"text\\"' POST /v1/models/nb/predict -d '{"records":[{"body":"hi"}]}'
expect 400 'rows\[0\]: 2 values, but the model takes 1 features' POST /v1/models/nb/predict -d '{"rows":[["a","b"]]}'
expect 200 '"predictions":\["(ham|spam)"\]' POST /v1/models/nb/predict -d '{"records":[{"text":"free money","other":1}]}'
# the server is still up
expect 200 '"status":"ok"' GET /health

echo "test_serve_text: $pass passed, $fail failed"
[ "$fail" = 0 ]
