#!/usr/bin/env bash
# `cml web` over real loopback HTTP with curl: the static front end (content
# types, index), the JSON API (status, catalogue, lesson, runs), the error
# statuses (404 unknown lesson / route / run, 403 path traversal in several
# spellings, 405 with Allow, 409 for a text-only lesson, 403 for a POST from
# another origin), a live lesson run end to end (progress lines, result JSON,
# the plot served as image/png), a run that fails and a run whose process is
# killed (the server keeps answering), and a clean SIGTERM.
# Usage: test_web.sh PATH/TO/cml   (run from tests/; only 127.0.0.1 is used)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_web.sh CML}
command -v curl >/dev/null || { echo "SKIP: curl is not installed (scripts/deps installs it)"; exit 77; }
COURSES=${CML_COURSES:-../courses}
[ -f "$COURSES/topics.txt" ] || { echo "FAIL: no $COURSES/topics.txt"; exit 1; }
. "$(dirname "$0")/http_lib.sh" # T, PIDS, CURL, listen
pass=0 fail=0

# code METHOD PATH [curl args...]: prints the HTTP status; the body goes to $T/body, headers to $T/headers
code() {
  local m=$1 p=$2; shift 2
  "${CURL[@]}" -X "$m" -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$p"
}
header() { grep -i "^$1:" "$T/headers" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ //'; }

# start_server LOG ARGS...: starts `cml web --port 0`, sets SPID and PORT
start_server() {
  local log=$1; shift
  listen "$log" web --courses "$COURSES" "$@"
  # the catalogue loads on its own thread: wait for it
  for _ in $(seq 100); do
    "${CURL[@]}" "http://127.0.0.1:$PORT/api/status" | grep -q '"state":"loading"' || break
    sleep 0.1
  done
}

# wait_job ID: polls /api/run/ID until it is no longer running (120 s at most)
wait_job() {
  for _ in $(seq 600); do
    "${CURL[@]}" "http://127.0.0.1:$PORT/api/run/$1" >"$T/job"
    grep -q '"state":"running"' "$T/job" || return 0
    sleep 0.2
  done
  return 1
}

# ---------------------------------------------------------------- usage errors
"$CML" web --port 70000 >/dev/null 2>"$T/err"; rc=$?
check "--port 70000 is a usage error (2), got $rc" test "$rc" = 2
"$CML" web --port 0 --web "$T/nowhere" >/dev/null 2>"$T/err"; rc=$?
check "a missing --web folder is a runtime error (1), got $rc" test "$rc" = 1
check "the error names the folder" grep -q "nowhere" "$T/err"

start_server "$T/log1" --out "$T/out" --quick --data-dir ../data --store "$T/track.db"
S1=$SPID

# ---------------------------------------------------------------- static files
check "GET / is 200" test "$(code GET /)" = 200
check "/ is the front end's index.html" grep -q '<main id="main"' "$T/body"
check "/ is text/html" test "$(header Content-Type)" = "text/html; charset=utf-8"
check "index.html has a CSP" grep -qi '^Content-Security-Policy:' "$T/headers"
check "GET /app.css is 200" test "$(code GET /app.css)" = 200
check "app.css is text/css" test "$(header Content-Type)" = "text/css; charset=utf-8"
check "GET /app.mjs is 200" test "$(code GET /app.mjs)" = 200
check "app.mjs is JavaScript" test "$(header Content-Type)" = "text/javascript; charset=utf-8"
check "GET /favicon.svg is image/svg+xml" test "$(code GET /favicon.svg)/$(header Content-Type)" = "200/image/svg+xml"
check "nosniff on files" test "$(header X-Content-Type-Options)" = nosniff
check "HEAD / is 200" test "$(code HEAD / -I)" = 200
check "missing file is 404" test "$(code GET /nope.js)" = 404
check "404 body is JSON with an error" grep -q '"error":' "$T/body"

# ---------------------------------------------------------------- traversal
for p in '/../CMakeLists.txt' '/%2e%2e/CMakeLists.txt' '/..%2fCMakeLists.txt' '/%2E%2E%2F%2E%2E%2Fetc/passwd' \
         '/plots/../../CMakeLists.txt' '/plots/%2e%2e/%2e%2e/etc/passwd' '/.git/HEAD' '/./index.html' '//etc/passwd'; do
  c=$(code GET "$p" --path-as-is)
  check "traversal $p rejected (403), got $c" test "$c" = 403
  check "traversal $p leaks nothing" bash -c "! grep -q -e 'cmake_minimum_required' -e 'root:' '$T/body'"
done
check "backslash path rejected" test "$(code GET '/..%5cCMakeLists.txt' --path-as-is)" = 403
# a symlink inside the out folder that points outside is refused too
ln -s /etc "$T/out/etc-link"
check "symlink out of the out folder rejected (403)" test "$(code GET /plots/etc-link/hostname)" = 403

# ---------------------------------------------------------------- methods
check "POST / is 405" test "$(code POST /)" = 405
check "405 names the allowed methods" test "$(header Allow)" = "GET, HEAD"
check "DELETE /api/catalogue is 405" test "$(code DELETE /api/catalogue)" = 405
check "PUT /api/status is 405" test "$(code PUT /api/status)" = 405
check "POST /api/lessons/x is 405" test "$(code POST /api/lessons/linear-regression)" = 405
check "DELETE /api/run/1 is 405" test "$(code DELETE /api/run/1)" = 405
check "405 on /api/run lists GET and POST" test "$(header Allow)" = "GET, HEAD, POST"

# ---------------------------------------------------------------- API
check "GET /api/status is 200" test "$(code GET /api/status)" = 200
for k in rss_bytes ram_percent cpu_percent cpus catalogue runs; do
  check "status has $k" grep -q "\"$k\":" "$T/body"
done
check "status: catalogue ready" grep -q '"state":"ready"' "$T/body"
check "status: 59 lessons" grep -q '"lessons":59' "$T/body"
check "status JSON is not cached" test "$(header Cache-Control)" = no-store

check "GET /api/catalogue is 200" test "$(code GET /api/catalogue)" = 200
check "catalogue is application/json" test "$(header Content-Type)" = application/json
check "catalogue has 6 sections" test "$(grep -o '"topics":\[' "$T/body" | wc -l)" = 6
for s in classic-ml deep-learning computer-vision nlp-llm mlops databases; do
  check "catalogue has section $s" grep -q "\"id\":\"$s\"" "$T/body"
done
# the same JSON as `cml course list --json`
check "catalogue = cml course list --json" cmp -s <(tr -d ' \n' <"$T/body") <(CML_COURSES=$COURSES "$CML" course list --json | tr -d ' \n')

# the first live and the first text-only lesson, from the catalogue
# (topic objects hold no nested object, so [^{}]* stays inside one)
LIVE=$(grep -o '{"id":"[a-z0-9-]*"[^{}]*"live":true' "$T/body" | head -1 | sed 's/{"id":"\([^"]*\)".*/\1/')
TEXT=$(grep -o '{"id":"[a-z0-9-]*"[^{}]*"live":false' "$T/body" | head -1 | sed 's/{"id":"\([^"]*\)".*/\1/')
check "found a live lesson in the catalogue" test -n "$LIVE"
check "found a text-only lesson in the catalogue" test -n "$TEXT"

check "GET /api/lessons/$LIVE is 200" test "$(code GET "/api/lessons/$LIVE")" = 200
check "lesson JSON = cml course show --json" cmp -s <(tr -d ' \n' <"$T/body") <(CML_COURSES=$COURSES "$CML" course show "$LIVE" --json | tr -d ' \n')
check "lesson has its sections" grep -q '"heading":"The idea"' "$T/body"
check "unknown lesson is 404" test "$(code GET /api/lessons/no-such-lesson)" = 404
check "404 names the lesson" grep -q 'no-such-lesson' "$T/body"
check "lesson id with odd bytes is 404" test "$(code GET '/api/lessons/%22%3Cx%3E')" = 404
check "404 body stays valid JSON" grep -q '^{"error":"no lesson' "$T/body"
check "unknown API route is 404" test "$(code GET /api/nothing)" = 404
check "unknown run is 404" test "$(code GET /api/run/999999)" = 404
check "non-numeric run is 404" test "$(code GET /api/run/abc)" = 404
check "POST unknown lesson is 404" test "$(code POST /api/run/no-such-lesson)" = 404
check "POST text-only lesson is 409" test "$(code POST "/api/run/$TEXT")" = 409
check "POST from another origin is 403" test "$(code POST "/api/run/$LIVE" -H 'Origin: http://evil.example')" = 403
check "a foreign Host is 403 on loopback (DNS rebinding)" test "$(code GET /api/status -H "Host: evil.example:$PORT")" = 403
check "Host localhost is fine" test "$(code GET /api/status -H "Host: localhost:$PORT")" = 200
check "a large POST body is refused" bash -c "! curl -s --max-time 20 -o /dev/null -w '%{http_code}' -X POST --data-binary @<(head -c 2000000 /dev/zero) http://127.0.0.1:$PORT/api/run/$LIVE | grep -q '^20'"

# ---------------------------------------------------------------- a run
c=$(code POST "/api/run/$LIVE" -H "Origin: http://127.0.0.1:$PORT")
check "POST /api/run/$LIVE is 202, got $c" test "$c" = 202
JOB=$(grep -o '"job":[0-9]*' "$T/body" | cut -d: -f2)
check "the answer names the job" test -n "$JOB"
check "Location points at the job" test "$(header Location)" = "/api/run/$JOB"
c=$(code POST "/api/run/$LIVE")
check "a second POST while it runs reuses the job (200 or 202 after it ended)" bash -c "[ $c = 200 ] || [ $c = 202 ]"
check "run $JOB finished within 120 s" wait_job "$JOB"
check "run $JOB is done: $(head -c 600 "$T/job")" grep -q '"state":"done"' "$T/job"
check "run has progress lines" grep -q '"progress":\[{"t":' "$T/job"
check "run result has metrics" grep -q '"metrics":\[{"name":' "$T/job"
check "run result has the lesson id" grep -q "\"result\":{\"id\":\"$LIVE\"" "$T/job"
check "run was quick (--quick)" grep -q '"quick":true' "$T/job"
PLOT=$(grep -o '"url":"/plots/[^"]*"' "$T/job" | head -1 | cut -d'"' -f4)
check "run result has a plot url" test -n "$PLOT"
if [ -n "$PLOT" ]; then
  check "plot $PLOT is 200" test "$(code GET "$PLOT")" = 200
  check "plot is image/png" test "$(header Content-Type)" = image/png
  check "plot is a PNG" test "$(head -c 4 "$T/body" | od -An -c | tr -d ' ')" = '211PNG'
fi
check "GET /api/runs lists the job" bash -c "curl -s http://127.0.0.1:$PORT/api/runs | grep -q '\"job\":$JOB,\"lesson\":\"$LIVE\"'"

# ---------------------------------------------------------------- experiment pages (tracking store)
# the server exports --store to the runs it spawns, so the lesson run above is
# already recorded there (experiment "course", run 1)
check "GET /api/experiments after a lesson run is 200" test "$(code GET /api/experiments)" = 200
check "the lesson run is recorded: $(head -c 300 "$T/body")" grep -q '"available":true,"total":1' "$T/body"
check "as experiment course" grep -q '"experiment":"course"' "$T/body"
for a in 0.1 10; do
  "$CML" fit --algo ridge --data ../data/diabetes.csv --model "$T/ridge$a.gguf" --param alpha=$a --store "$T/track.db" --quiet >/dev/null ||
    bad "cml fit --track (alpha=$a)"
done
check "GET /api/experiments is 200" test "$(code GET /api/experiments)" = 200
check "experiments: 3 runs" grep -q '"available":true,"total":3' "$T/body"
check "experiments: newest first, with params" grep -q '"runs":\[{"id":3,.*"params":{.*"alpha":"10"' "$T/body"
check "experiments: final metrics" grep -q '"metrics":{' "$T/body"
check "experiments = cml runs (run 2's alpha)" bash -c "'$CML' runs show 2 --store '$T/track.db' | grep -q 'alpha *0.1'"
check "GET /api/experiments/runs/2 is 200" test "$(code GET /api/experiments/runs/2)" = 200
check "run 2 has its curves object" grep -q '"curves":{' "$T/body"
check "run 2 has its data file" grep -q '"data_path":"[^"]*diabetes.csv"' "$T/body"
check "unknown tracked run is 404" test "$(code GET /api/experiments/runs/99)" = 404
check "404 names the run" grep -q 'no run 99' "$T/body"
check "non-numeric tracked run is 404" test "$(code GET /api/experiments/runs/abc)" = 404
check "POST /api/experiments is 405" test "$(code POST /api/experiments)" = 405

# ---------------------------------------------------------------- a failing run, a killed run
start_server "$T/log2" --out "$T/out2" --quick --data-dir "$T/no-data-here"
S2=$SPID
code POST "/api/run/$LIVE" >/dev/null
JOB=$(grep -o '"job":[0-9]*' "$T/body" | cut -d: -f2)
check "failing run finished" wait_job "$JOB"
check "failing run is failed: $(head -c 300 "$T/job")" grep -q '"state":"failed"' "$T/job"
check "failing run says why" grep -q '"error":"the run exited with status' "$T/job"
check "failing run keeps the log tail" grep -q '"log":"cml: ' "$T/job"
check "server still answers after a failed run" test "$(code GET /api/status)" = 200
kill -TERM "$S2"; wait "$S2" 2>/dev/null

# a run whose process dies by a signal (as one killed for memory would)
PORT_SAVE=$PORT
start_server "$T/log3" --out "$T/out3" --data-dir ../data
S3=$SPID
code POST "/api/run/$LIVE" >/dev/null
JOB=$(grep -o '"job":[0-9]*' "$T/body" | cut -d: -f2)
CHILD=""
for _ in $(seq 100); do
  CHILD=$(ps -o pid= --ppid "$S3" | tr -d ' ' | head -1)
  [ -n "$CHILD" ] && break
  sleep 0.05
done
if [ -n "$CHILD" ]; then
  kill -KILL "$CHILD" # as the OOM killer would (a SEGV is caught by ASan builds)
  check "killed run finished" wait_job "$JOB"
  check "killed run is failed by signal: $(head -c 300 "$T/job")" grep -q '"error":"the run was ended by signal 9' "$T/job"
else
  echo "note: the run ended before its process could be signalled; the crash case was not exercised"
  grep -q '"state":"done"' <("${CURL[@]}" "http://127.0.0.1:$PORT/api/run/$JOB") ||
    bad "could not catch the run's process, and the run did not finish either"
fi
check "server still answers after a crashed run" test "$(code GET /api/status)" = 200
check "status shows no run going" grep -q '"runs":\[\]' "$T/body"
kill -TERM "$S3"; wait "$S3"; rc=$?
check "SIGTERM stops the server with 0 (got $rc)" test "$rc" = 0
PORT=$PORT_SAVE

kill -TERM "$S1"; wait "$S1"; rc=$?
check "SIGTERM: exit 0 (got $rc)" test "$rc" = 0
check "request log lines are JSON" grep -q '^{"method":"GET","path":"/api/status","status":200' "$T/log1"

echo "test_web: $pass passed, $fail failed"
[ "$fail" = 0 ]
