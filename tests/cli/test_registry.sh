#!/usr/bin/env bash
# `cml registry` and `cml serve --model NAME@ALIAS`: register tracked runs
# as versions (the registry's copy has the run's sha256), aliases set /
# moved / deleted, resolve by alias, number and latest, the one-line errors
# (unknown model, alias, version, run; a model file overwritten after its
# run), and a server that resolves NAME@ALIAS through the store, answers
# with that version's predictions, and follows a moved alias on SIGHUP.
# Usage: test_registry.sh PATH/TO/cml   (run from tests/; 127.0.0.1 only)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_registry.sh CML}
CML=$(cd "$(dirname "$CML")" && pwd)/$(basename "$CML")
DATA=$(cd ../data && pwd)
T=$(mktemp -d)
SPID=""
trap '[ -n "$SPID" ] && kill -KILL $SPID 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
pass=0 fail=0
has() { grep -Eq -- "$1" "$T/out"; } # the JSON printed is one line, keys in a fixed order

run_expect 1 'no tracking store' "$CML" registry list
# run 1: a strong model, run 2: a weak one (different predictions), run 3: no model
"$CML" fit --algo logreg --data $DATA/iris.csv --prep scale=standard --model m.gguf --track --quiet >/dev/null || bad "fit 1"
cp m.gguf strong.gguf
"$CML" fit --algo logreg --data $DATA/iris.csv --prep scale=standard --param C=0.001 --model weak.gguf --track --quiet >/dev/null || bad "fit 2"
"$CML" fit --algo kmeans --data $DATA/iris.csv --param n_clusters=500 --model k.gguf --track --quiet >/dev/null 2>&1

run_expect 0 'registered run 1 as iris version 1' "$CML" registry register iris 1
run_expect 0 '' "$CML" registry register iris 2 --json
check "register --json" [ "$(cat "$T/out")" = '{"command":"registry register","name":"iris","version":2,"run_id":2}' ]
run_expect 1 'run 3 recorded no model file' "$CML" registry register iris 3
run_expect 1 'no run 9 in cml.db' "$CML" registry register iris 9
run_expect 1 'model name "../x" is invalid' "$CML" registry register ../x 1
run_expect 2 'RUN_ID must be a whole number' "$CML" registry register iris one
run_expect 2 'registry register NAME RUN_ID' "$CML" registry register iris
# the run's file overwritten by a later fit: refused, with the reason
"$CML" fit --algo logreg --data $DATA/iris.csv --param C=0.5 --model m.gguf --quiet >/dev/null
run_expect 1 'm.gguf has changed since run 1 recorded it' "$CML" registry register iris 1

run_expect 0 'iris@champion -> version 1' "$CML" registry alias iris@champion 1
run_expect 0 '' "$CML" registry alias iris@staging 2
run_expect 1 'model "iris" has no version 5 \(versions: 1, 2\)' "$CML" registry alias iris@champion 5
run_expect 1 'no registered model "nope" in cml.db \(models: iris\)' "$CML" registry alias nope@champion 1
run_expect 1 'alias "7x" is invalid' "$CML" registry alias iris@7x 1
run_expect 2 'want NAME@ALIAS' "$CML" registry alias iris 1

run_expect 0 '' "$CML" registry list --json
check "list: 2 versions with aliases" has '"versions":\[\{"name":"iris","version":1,"run_id":1,[^}]*"aliases":\["champion"\]\},\{"name":"iris","version":2,"run_id":2,[^}]*"aliases":\["staging"\]\}\]'
sha1=$(sha256sum strong.gguf | cut -d' ' -f1)
v1=$(grep -o '"path":"[^"]*"' "$T/out" | head -1 | cut -d'"' -f4)
check "version 1 records the run's sha256" has "\"version\":1,[^}]*\"sha256\":\"$sha1\""
check "version 1 is a copy with that sha256" [ "$(sha256sum "$v1" | cut -d' ' -f1)" = "$sha1" ]
check "version 1 is a copy, not the run's file" [ "$v1" != "$T/m.gguf" ]
run_expect 0 'iris +1 +1 ' "$CML" registry versions iris
run_expect 1 'no registered model "nope"' "$CML" registry versions nope

run_expect 0 'cml.db-artifacts/iris/v1.gguf' "$CML" registry resolve iris@champion
run_expect 0 'cml.db-artifacts/iris/v2.gguf' "$CML" registry resolve iris@2
run_expect 0 'cml.db-artifacts/iris/v2.gguf' "$CML" registry resolve iris
run_expect 1 'has no alias "prod" \(aliases: champion, staging\)' "$CML" registry resolve iris@prod
run_expect 0 'removed iris@staging' "$CML" registry alias --delete iris@staging
run_expect 1 'has no alias "staging"' "$CML" registry resolve iris@staging
run_expect 1 'has no alias "staging"' "$CML" registry alias --delete iris@staging

# ---------------------------------------------------------------- serving
command -v curl >/dev/null || { echo "test_registry: $pass passed, $fail failed (serve part skipped: no curl)"; [ "$fail" = 0 ]; exit; }
"$CML" predict --model strong.gguf --data $DATA/iris.csv --out strong.csv >/dev/null
"$CML" predict --model weak.gguf --data $DATA/iris.csv --out weak.csv >/dev/null
check "the two versions predict differently" bash -c "! cmp -s strong.csv weak.csv"
# predictions of the served model for every iris row, one per line
served() {
  echo prediction
  curl -s --max-time 20 -H 'Content-Type: text/csv' --data-binary @$DATA/iris.csv \
    "http://127.0.0.1:$PORT/v1/models/$1/predict" |
    grep -o '"predictions":\[[^]]*\]' | sed 's/.*\[//; s/\]//' | tr ',' '\n'
}
# same labels, row for row (150 of them)
same() { [ "$(tail -n +2 "$1" | awk '{print $1 + 0}')" = "$(tail -n +2 "$2" | awk '{print $1 + 0}')" ] &&
         [ "$(tail -n +2 "$1" | wc -l)" = 150 ]; }

run_expect 1 'no alias "prod"' "$CML" serve --port 0 --model iris@prod
run_expect 1 'no tracking store at elsewhere.db' "$CML" serve --port 0 --model iris@champion --store elsewhere.db
"$CML" serve --port 0 --model iris@champion --model weakest=iris@2 --quiet 2>"$T/serve.log" &
SPID=$!
PORT=""
for _ in $(seq 100); do
  PORT=$(grep -o '"port":[0-9]*' "$T/serve.log" 2>/dev/null | head -1 | cut -d: -f2)
  [ -n "$PORT" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ready")" = 200 ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { bad "server did not start: $(cat "$T/serve.log")"; echo "test_registry: $pass passed, $fail failed"; exit 1; }
served iris >got.csv
check "iris@champion serves version 1 (= cml predict of run 1's model)" same got.csv strong.csv
served weakest >got.csv
check "weakest=iris@2 serves version 2" same got.csv weak.csv
curl -s "http://127.0.0.1:$PORT/v1/models/iris" >"$T/out"
check "/v1/models shows the registry file" grep -q 'cml.db-artifacts/iris/v1.gguf' "$T/out"
# promote version 2 and SIGHUP: the server follows the alias
"$CML" registry alias iris@champion 2 >/dev/null
kill -HUP $SPID
for _ in $(seq 50); do grep -q '"event":"reloaded","model":"iris"' "$T/serve.log" && break; sleep 0.1; done
served iris >got.csv
check "after alias move + SIGHUP, iris serves version 2" same got.csv weak.csv
# a registry copy tampered with: the reload fails and the old version stays
echo garbage >>cml.db-artifacts/iris/v2.gguf
kill -HUP $SPID
for _ in $(seq 50); do grep -q 'reload_failed' "$T/serve.log" && break; sleep 0.1; done
check "tampered copy: reload refused" grep -q 'does not have the sha256 the registry recorded' "$T/serve.log"
served iris >got.csv
check "still serving the last good version" same got.csv weak.csv
kill -TERM $SPID; wait $SPID; rc=$?; SPID=""
check "clean shutdown" [ "$rc" = 0 ]

echo "test_registry: $pass passed, $fail failed"
[ "$fail" = 0 ]
