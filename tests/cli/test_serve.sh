#!/usr/bin/env bash
# `cml serve` over real loopback HTTP with curl: every route, predictions
# bit-identical to `cml predict` (rows, records in another column order, CSV
# bodies), the error statuses (400/401/404/405/413/415/429), the Prometheus
# exposition (promtool when installed, and an awk checker always), counters
# that move, hot reload under load (no failed request; a broken file keeps
# the old model), graceful SIGTERM (an in-flight slow upload completes, exit
# 0), and a garbage-body battery after which the server still answers.
# Usage: test_serve.sh PATH/TO/cml   (run from tests/; only 127.0.0.1 is used)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_serve.sh CML}
command -v curl >/dev/null || { echo "SKIP: curl is not installed (scripts/deps installs it)"; exit 77; }
DATA=../data
. "$(dirname "$0")/serve_lib.sh" # start_server, req, expect (HTTP), preds, probas, same_numbers
pass=0 fail=0

# ---------------------------------------------------------------- models
"$CML" fit --algo logistic_regression --data $DATA/iris.csv --prep scale=standard --model "$T/lr.gguf" --quiet >/dev/null ||
  { echo "FAIL: fit logistic_regression"; exit 1; }
"$CML" fit --algo logistic_regression --data $DATA/iris.csv --param C=0.01 --prep scale=standard --model "$T/lr_weak.gguf" --quiet >/dev/null ||
  { echo "FAIL: fit weak logistic_regression"; exit 1; }
"$CML" fit --algo ridge --data $DATA/diabetes.csv --model "$T/ridge.gguf" --quiet >/dev/null ||
  { echo "FAIL: fit ridge"; exit 1; }
# string labels and a categorical feature, as in test_cli.sh
{
  echo 'petal_len,color,species'
  awk -F, 'NR>1 { c = (NR % 3 == 0) ? "red" : (NR % 3 == 1 ? "green" : "blue");
                  s = ($5 == 0) ? "setosa" : ($5 == 1 ? "versicolor" : "virginica");
                  print $3 "," c "," s }' $DATA/iris.csv
} >"$T/named.csv"
"$CML" fit --algo logreg --data "$T/named.csv" --prep onehot --prep scale=standard --model "$T/named.gguf" --quiet >/dev/null ||
  { echo "FAIL: fit named"; exit 1; }
cp "$T/lr.gguf" "$T/live.gguf" # the file SIGHUP re-reads


start_server "$T/log" --model iris=$T/live.gguf --model diab=$T/ridge.gguf --model named=$T/named.gguf \
  --threads 4 --max-body 200000
S1=$SPID

# ---------------------------------------------------------------- routes
expect 200 '"status":"ok"' GET /health
expect 200 '"status":"ready"' GET /ready
expect 200 '"name":"iris".*"kind":"logistic_regression".*"task":"classification".*"n_features":4' GET /v1/models
grep -q '"name":"diab","loaded":true.*"kind":"ridge","task":"regression","n_features":10' "$T/body" && ok || bad "models list lacks diab"
grep -q '"name":"color","kind":"categorical","levels":\["blue","green","red"\]' "$T/body" && ok || bad "models list lacks levels"
grep -q '"classes":\["setosa","versicolor","virginica"\]' "$T/body" && ok || bad "models list lacks string classes"
expect 200 '^\{"name":"diab",' GET /v1/models/diab
expect 200 '^# HELP ' GET /metrics
grep -qi '^content-type: text/plain; version=0.0.4' "$T/hdr" && ok || bad "metrics content type: $(cat "$T/hdr")"
expect 200 '"predictions":\[0,2\],"classes":\[0,1,2\],"probabilities":\[\[' POST /v1/models/iris/predict \
  -H 'Content-Type: application/json' -d '{"rows":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]],"proba":true}'
grep -qi '^x-request-id: [0-9]' "$T/hdr" && ok || bad "X-Request-Id header"

# ---------------------------------------------------------------- parity with cml predict
"$CML" predict --model "$T/lr.gguf" --data $DATA/iris.csv --out "$T/cli_iris.csv" --proba
"$CML" predict --model "$T/ridge.gguf" --data $DATA/diabetes.csv --out "$T/cli_diab.csv"
"$CML" predict --model "$T/named.gguf" --data "$T/named.csv" --out "$T/cli_named.csv" --proba

# iris as JSON rows (target column dropped)
awk -F, 'NR > 1 { printf "%s[%s,%s,%s,%s]", (NR > 2 ? "," : ""), $1, $2, $3, $4 }
         BEGIN { printf "{\"proba\":true,\"rows\":[" } END { print "]}" }' $DATA/iris.csv >"$T/iris_rows.json"
expect 200 '' POST /v1/models/iris/predict -H 'Content-Type: application/json' --data-binary @"$T/iris_rows.json"
preds "$T/body" >"$T/s_pred"; probas "$T/body" >"$T/s_proba"
tail -n +2 "$T/cli_iris.csv" | cut -d, -f1 >"$T/c_pred"; tail -n +2 "$T/cli_iris.csv" | cut -d, -f2- >"$T/c_proba"
check "iris rows: predictions differ from cml predict" same_numbers "$T/s_pred" "$T/c_pred"
check "iris rows: probabilities differ from cml predict (bitwise)" same_numbers "$T/s_proba" "$T/c_proba"
[ "$(wc -l <"$T/s_pred")" = 150 ] && ok || bad "iris rows: $(wc -l <"$T/s_pred") predictions"

# iris as a CSV body, with the target column (ignored), probabilities by query
expect 200 '' POST '/v1/models/iris/predict?proba=true' -H 'Content-Type: text/csv' --data-binary @$DATA/iris.csv
preds "$T/body" >"$T/s_pred"; probas "$T/body" >"$T/s_proba"
check "iris csv: predictions differ" same_numbers "$T/s_pred" "$T/c_pred"
check "iris csv: probabilities differ" same_numbers "$T/s_proba" "$T/c_proba"

# diabetes (regression): rows and CSV against cml predict
awk -F, 'NR > 1 { printf "%s[", (NR > 2 ? "," : ""); for (i = 1; i < NF; i++) printf "%s%s", (i > 1 ? "," : ""), $i; printf "]" }
         BEGIN { printf "{\"rows\":[" } END { print "]}" }' $DATA/diabetes.csv >"$T/diab_rows.json"
tail -n +2 "$T/cli_diab.csv" >"$T/c_diab"
expect 200 '' POST /v1/models/diab/predict --data-binary @"$T/diab_rows.json"
preds "$T/body" >"$T/s_diab"
check "ridge rows: predictions differ from cml predict" same_numbers "$T/s_diab" "$T/c_diab"
[ "$(wc -l <"$T/s_diab")" = 442 ] && ok || bad "ridge rows: $(wc -l <"$T/s_diab") predictions"
expect 200 '' POST /v1/models/diab/predict -H 'Content-Type: text/csv' --data-binary @$DATA/diabetes.csv
preds "$T/body" >"$T/s_diab"
check "ridge csv: predictions differ" same_numbers "$T/s_diab" "$T/c_diab"

# records with the columns in another order (and an extra field), string
# categories in, string labels out
awk -F, 'NR > 1 { printf "%s{\"note\":\"x\",\"color\":\"%s\",\"petal_len\":%s}", (NR > 2 ? "," : ""), $2, $1 }
         BEGIN { printf "{\"records\":[" } END { print "],\"proba\":true}" }' "$T/named.csv" >"$T/named.json"
expect 200 '"classes":\["setosa","versicolor","virginica"\]' POST /v1/models/named/predict --data-binary @"$T/named.json"
preds "$T/body" >"$T/s_named"; probas "$T/body" >"$T/s_nproba"
tail -n +2 "$T/cli_named.csv" | cut -d, -f1 >"$T/c_named"; tail -n +2 "$T/cli_named.csv" | cut -d, -f2- >"$T/c_nproba"
cmp -s "$T/s_named" "$T/c_named" && ok || bad "records: labels differ from cml predict: $(diff "$T/s_named" "$T/c_named" | head -3)"
check "records: probabilities differ" same_numbers "$T/s_nproba" "$T/c_nproba"
# the same rows by position give the same answer
expect 200 '"predictions":\["setosa"\]' POST /v1/models/named/predict -d '{"rows":[[1.4,"blue"]]}'

# ---------------------------------------------------------------- errors
expect 400 'malformed JSON' POST /v1/models/iris/predict -d '{"rows": [[1,2'
expect 400 'rows\[1\]: 3 values, but the model takes 4 features' POST /v1/models/iris/predict -d '{"rows":[[1,2,3,4],[1,2,3]]}'
expect 400 'rows\[0\]\[1\] \(column \\"sepal_width_cm\\"\): expected a number, got the string \\"abc\\"' \
  POST /v1/models/iris/predict -d '{"rows":[[1,"abc",3,4]]}'
expect 400 'records\[1\]: missing column \\"color\\"' POST /v1/models/named/predict \
  -d '{"records":[{"petal_len":1,"color":"red"},{"petal_len":2}]}'
expect 400 'records\[0\]\.color: unknown category \\"purple\\" in column \\"color\\"' POST /v1/models/named/predict \
  -d '{"records":[{"petal_len":1,"color":"purple"}]}'
expect 400 'body:3:.*expected 5 fields|body:3' POST /v1/models/iris/predict -H 'Content-Type: text/csv' \
  --data-binary $'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,target\n1,2,3,4,0\n1,2\n'
expect 400 'missing \\"rows\\"' POST /v1/models/iris/predict -d '{}'
expect 400 'unknown field \\"row\\"' POST /v1/models/iris/predict -d '{"row":[[1,2,3,4]]}'
expect 400 'is empty' POST /v1/models/iris/predict -d '{"rows":[]}'
expect 400 'not a classifier' POST /v1/models/diab/predict -d '{"rows":[[1,2,3,4,5,6,7,8,9,10]],"proba":true}'
expect 400 'number out of the range' POST /v1/models/iris/predict -d '{"rows":[[1e999,1,1,1]]}'
expect 400 'NaN|nan|missing' POST /v1/models/iris/predict -d '{"rows":[[null,1,1,1]]}'
expect 404 'unknown model \\"nope\\"; models: iris, diab, named' POST /v1/models/nope/predict -d '{"rows":[[1]]}'
expect 404 'no route' GET /v2/whatever
expect 405 'method GET not allowed' GET /v1/models/iris/predict
grep -qi '^allow: POST' "$T/hdr" && ok || bad "405 lacks Allow: POST"
expect 405 'not allowed' DELETE /health
expect 415 'Content-Type' POST /v1/models/iris/predict -H 'Content-Type: application/xml' -d '<rows/>'
head -c 300000 /dev/zero | tr '\0' ' ' >"$T/big.json"
expect 413 'exceeds the limit of 200000 bytes' POST /v1/models/iris/predict --data-binary @"$T/big.json"
expect 413 'exceeds the limit' POST /v1/models/iris/predict -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.json"

# garbage bodies and odd requests never crash the server
for i in $(seq 20); do
  head -c $((i * 97)) /dev/urandom >"$T/junk"
  "${CURL[@]}" -o /dev/null -X POST --data-binary @"$T/junk" "http://127.0.0.1:$PORT/v1/models/iris/predict"
  "${CURL[@]}" -o /dev/null -X POST -H 'Content-Type: text/csv' --data-binary @"$T/junk" "http://127.0.0.1:$PORT/v1/models/named/predict"
done
printf '{"rows":%s1%s}' "$(printf '[%.0s' $(seq 5000))" "$(printf ']%.0s' $(seq 5000))" >"$T/deep.json"
"${CURL[@]}" -o /dev/null -X POST --data-binary @"$T/deep.json" "http://127.0.0.1:$PORT/v1/models/iris/predict"
"${CURL[@]}" -o /dev/null "http://127.0.0.1:$PORT/v1/models/%00/predict"
"${CURL[@]}" -o /dev/null "http://127.0.0.1:$PORT/$(head -c 3000 /dev/zero | tr '\0' a)"
expect 200 '"status":"ok"' GET /health

# ---------------------------------------------------------------- metrics
# check_exposition FILE: the text format's rules, checked by hand (promtool
# may be absent): HELP and TYPE before samples, names and labels well
# formed, numeric values, counters end in _total, histogram buckets
# cumulative with le="+Inf" equal to _count
check_exposition() {
  awk '
    function fail(m) { print "exposition: line " NR ": " m ": " $0; bad = 1 }
    /^# HELP / { help[$3] = 1; next }
    /^# TYPE / { if (!($3 in help)) fail("TYPE before HELP"); type[$3] = $4;
                 if ($4 == "counter" && $3 !~ /_total$/) fail("counter without _total"); next }
    /^#/ { next }
    /^$/ { fail("empty line"); next }
    {
      if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? [-+0-9.eE]+(Inf)?$/) { fail("malformed sample"); next }
      name = $0; sub(/[{ ].*/, "", name); base = name
      if (!(base in type)) { sub(/_(bucket|sum|count)$/, "", base) }
      if (!(base in type)) { fail("sample before its TYPE"); next }
      v = $NF
      if (type[base] == "histogram" && name ~ /_bucket$/) {
        key = $0; sub(/,?le="[^"]*"/, "", key); sub(/ [^ ]*$/, "", key); sub(/\{,/, "{", key); sub(/\{\}$/, "", key)
        if ((key in last) && v + 0 < last[key]) fail("bucket not cumulative")
        last[key] = v + 0
        if ($0 ~ /le="\+Inf"/) inf[key] = v + 0
      }
      if (type[base] == "histogram" && name ~ /_count$/) {
        key = $0; sub(/_count/, "_bucket", key); sub(/ [^ ]*$/, "", key); sub(/\{\}$/, "", key)
        if (!(key in inf) || inf[key] != v + 0) fail("_count differs from the +Inf bucket")
      }
    }
    END { exit bad }' "$1"
}
metric() { grep -F "$1" "$T/metrics" | awk '{ print $NF }'; }
"${CURL[@]}" "http://127.0.0.1:$PORT/metrics" >"$T/metrics"
check "metrics: exposition format" check_exposition "$T/metrics"
if command -v promtool >/dev/null; then
  promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1 && ok || bad "promtool check metrics: $(cat "$T/promtool")"
else
  echo "note: promtool not installed; the awk checker alone checked the exposition"
fi
for fam in cml_http_requests_total cml_http_request_duration_seconds cml_http_requests_in_flight \
  cml_model_load_seconds cml_predictions_total process_resident_memory_bytes process_cpu_seconds_total \
  process_start_time_seconds; do
  grep -q "^# TYPE $fam " "$T/metrics" && ok || bad "metrics lack $fam"
done
grep -q 'cml_http_request_duration_seconds_bucket{route="/v1/models/{name}/predict",le="+Inf"}' "$T/metrics" && ok || bad "histogram +Inf bucket"
before=$(metric 'cml_predictions_total{model="iris"}')
req_before=$(metric 'cml_http_requests_total{route="/v1/models/{name}/predict",method="POST",status="200"}')
expect 200 '' POST /v1/models/iris/predict -d '{"rows":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3],[5,3,1,0.2]]}'
"${CURL[@]}" "http://127.0.0.1:$PORT/metrics" >"$T/metrics"
after=$(metric 'cml_predictions_total{model="iris"}')
req_after=$(metric 'cml_http_requests_total{route="/v1/models/{name}/predict",method="POST",status="200"}')
[ "$after" = $((before + 3)) ] && ok || bad "cml_predictions_total iris: $before -> $after (want +3)"
[ "$req_after" = $((req_before + 1)) ] && ok || bad "requests_total predict 200: $req_before -> $req_after"
grep -q 'cml_http_requests_total{route="/v1/models/{name}/predict",method="POST",status="413"} 2' "$T/metrics" && ok || bad "413 counted twice"
grep -q '^cml_http_requests_in_flight 1$' "$T/metrics" && ok || bad "in-flight gauge counts the scrape: $(grep in_flight "$T/metrics")"

# ---------------------------------------------------------------- request log
grep -q '"method":"POST","path":"/v1/models/iris/predict","route":"/v1/models/{name}/predict","status":200,"latency_ms":[0-9.]*,"model":"iris","rows":3' "$T/log" && ok || bad "request log line"
grep -q '"status":400.*"error":"rows\[1\]: 3 values' "$T/log" && ok || bad "log line names the error"
ids=$(grep -o '"id":[0-9]*' "$T/log" | cut -d: -f2)
[ "$(echo "$ids" | sort -n | uniq | wc -l)" = "$(echo "$ids" | wc -l)" ] && ok || bad "request ids not unique"
if grep -v '^{.*}$' "$T/log" | grep -q .; then bad "non-JSON log line: $(grep -v '^{.*}$' "$T/log" | head -2)"; else ok; fi

# ---------------------------------------------------------------- hot reload under load
# a loop of requests; each must get a 200 whatever version answers
(
  end=$((SECONDS + 4)); n=0
  while [ $SECONDS -lt $end ]; do
    c=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST -d '{"rows":[[5.1,3.5,1.4,0.2]],"proba":true}' \
      "http://127.0.0.1:$PORT/v1/models/iris/predict")
    n=$((n + 1)); [ "$c" = 200 ] || echo "$c" >>"$T/loop_fail"
  done
  echo "$n" >"$T/loop_n"
) &
LOOP=$!
PIDS+=("$LOOP")
expect 200 '' POST /v1/models/iris/predict -d '{"rows":[[5.8,2.7,5.1,1.9]],"proba":true}'
old=$(probas "$T/body")
sleep 0.5
cp "$T/lr_weak.gguf" "$T/live.tmp" && mv "$T/live.tmp" "$T/live.gguf"
for _ in 1 2 3 4 5; do kill -HUP "$S1"; sleep 0.3; done
expect 200 '' POST /v1/models/iris/predict -d '{"rows":[[5.8,2.7,5.1,1.9]],"proba":true}'
new=$(probas "$T/body")
[ "$old" != "$new" ] && ok || bad "SIGHUP did not load the new model file ($old)"
printf 'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5.8,2.7,5.1,1.9\n' >"$T/one.csv"
"$CML" predict --model "$T/lr_weak.gguf" --data "$T/one.csv" --out "$T/weak.csv" --proba
echo "$new" >"$T/s_weak"; tail -n +2 "$T/weak.csv" | cut -d, -f2- >"$T/c_weak"
check "reloaded model differs from cml predict on its file" same_numbers "$T/s_weak" "$T/c_weak"
# a broken file: the reload fails, the old model stays
printf 'not a model' >"$T/live.gguf"
kill -HUP "$S1"; sleep 0.5
expect 200 '' POST /v1/models/iris/predict -d '{"rows":[[5.8,2.7,5.1,1.9]],"proba":true}'
[ "$(probas "$T/body")" = "$new" ] && ok || bad "a failed reload changed the served model"
grep -q '"event":"reload_failed","model":"iris","error":"model \\"iris\\": ' "$T/log" && ok || bad "reload failure not logged: $(grep reload "$T/log" | tail -2)"
wait "$LOOP"
[ ! -s "$T/loop_fail" ] && ok || bad "requests failed during reload: $(sort "$T/loop_fail" | uniq -c | tr '\n' ' ')"
[ "$(cat "$T/loop_n" 2>/dev/null || echo 0)" -gt 10 ] && ok || bad "reload loop made only $(cat "$T/loop_n") requests"
"${CURL[@]}" "http://127.0.0.1:$PORT/metrics" >"$T/metrics"
grep -q 'cml_model_reloads_total{model="iris",result="error"} 1' "$T/metrics" && ok || bad "reload error counter"
grep -Eq 'cml_model_reloads_total\{model="iris",result="ok"\} [1-9]' "$T/metrics" && ok || bad "reload ok counter"

# ---------------------------------------------------------------- SIGTERM drains
# an upload throttled to ~100 KB/s is in flight for ~1.5 s when SIGTERM comes
cp "$T/lr.gguf" "$T/live.gguf"
awk 'BEGIN { printf "{\"rows\":[" ; for (i = 0; i < 2500; i++) printf "%s[5.1,3.5,1.4,0.2]", (i ? "," : ""); print "]}" }' >"$T/slow.json"
"${CURL[@]}" --limit-rate 100K -o "$T/slow_body" -w '%{http_code}' -X POST --data-binary @"$T/slow.json" \
  "http://127.0.0.1:$PORT/v1/models/iris/predict" >"$T/slow_code" &
SLOW=$!
sleep 0.4
kill -TERM "$S1"
sleep 0.2
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")
[ "$code" = 000 ] && ok || bad "new connections still accepted while draining ($code)"
wait "$SLOW"
[ "$(cat "$T/slow_code")" = 200 ] && ok || bad "in-flight request during SIGTERM: status $(cat "$T/slow_code")"
[ "$(preds "$T/slow_body" | wc -l)" = 2500 ] && ok || bad "in-flight request: $(preds "$T/slow_body" | wc -l) predictions"
wait "$S1"; rc=$?
[ "$rc" = 0 ] && ok || bad "server exit status after SIGTERM: $rc"
grep -q '"event":"stopped","unfinished":0' "$T/log" && ok || bad "stop not logged"

# ---------------------------------------------------------------- API keys and rate limit
printf '# keys for the test\n\n  secret-one  \nsecret-two\n' >"$T/keys"
start_server "$T/log2" --model iris=$T/lr.gguf --api-key-file "$T/keys" --rate-limit 2
S2=$SPID
body='{"rows":[[5.1,3.5,1.4,0.2]]}'
expect 401 'missing API key' POST /v1/models/iris/predict -d "$body"
grep -qi '^www-authenticate: Bearer' "$T/hdr" && ok || bad "401 lacks WWW-Authenticate"
expect 401 'invalid API key' POST /v1/models/iris/predict -H 'Authorization: Bearer secret-on' -d "$body"
expect 401 'invalid API key' POST /v1/models/iris/predict -H 'Authorization: Bearer secret-one2' -d "$body"
expect 401 '' GET /v1/models
expect 200 '"predictions":\[0\]' POST /v1/models/iris/predict -H 'Authorization: Bearer secret-one' -d "$body"
expect 200 '' GET /health
expect 200 '' GET /ready
expect 200 '' GET /metrics
# burst 4 at 2/s: of 10 back-to-back requests with one key, some get 429
codes=""
for _ in $(seq 10); do
  req POST /v1/models/iris/predict -H 'Authorization: bearer secret-two' -d "$body"
  codes="$codes $CODE"
  [ "$CODE" = 429 ] && cp "$T/hdr" "$T/hdr429" && cp "$T/body" "$T/body429"
done
echo "$codes" | grep -q 200 && echo "$codes" | grep -q 429 && ok || bad "rate limit codes:$codes"
grep -qi '^retry-after: [1-9]' "$T/hdr429" 2>/dev/null && ok || bad "429 lacks Retry-After"
grep -q 'rate limit of 2 requests/s (burst 4)' "$T/body429" 2>/dev/null && ok || bad "429 body: $(cat "$T/body429" 2>/dev/null)"
# the other key has its own bucket
expect 200 '' POST /v1/models/iris/predict -H 'Authorization: Bearer secret-one' -d "$body"
kill -INT "$S2"; wait "$S2"; rc=$?
[ "$rc" = 0 ] && ok || bad "exit status after SIGINT: $rc"

# ---------------------------------------------------------------- usage errors
"$CML" serve --port 0 2>"$T/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'at least one --model' "$T/err" && ok || bad "no --model: rc $rc $(cat "$T/err")"
"$CML" serve --model 'bad/name=x' --port 0 2>"$T/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'model name' "$T/err" && ok || bad "bad name: rc $rc $(cat "$T/err")"
"$CML" serve --model iris=$T/missing.gguf --port 0 2>"$T/err"; rc=$?
[ "$rc" = 1 ] && grep -q 'missing.gguf' "$T/err" && ok || bad "missing model file: rc $rc $(cat "$T/err")"
"$CML" serve --model iris=$T/lr.gguf --api-key-file "$T/nokeys" --port 0 2>"$T/err"; rc=$?
[ "$rc" != 0 ] && grep -q 'nokeys' "$T/err" && ok || bad "missing key file: rc $rc $(cat "$T/err")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
