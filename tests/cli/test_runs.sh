#!/usr/bin/env bash
# `cml fit --track` and `cml runs`: a tracked fit records params, validation
# metrics, data and model sha256 (checked against sha256sum); list / show /
# compare / export (CSV and JSON, parsed back); --experiment and --store;
# $CML_STORE; a failed fit is recorded as failed; the one-line errors
# (missing store, unknown run id, not a store, locked store); and tracked
# fits from several processes at once all recorded with distinct ids.
# Usage: test_runs.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_runs.sh CML}
CML=$(cd "$(dirname "$CML")" && pwd)/$(basename "$CML")
DATA=$(cd ../data && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
pass=0 fail=0
# run_expect RC REGEX CMD...: exit status and a regex over stdout+stderr
# the JSON the commands print is one line with keys in a fixed order: grep
# and sed read it (the suite needs no Python)
has() { grep -Eq -- "$1" "$T/out"; }
ids() { grep -o '"id":[0-9]*' "${1:-$T/out}" | cut -d: -f2 | tr '\n' ' '; }

# ---------------------------------------------------------------- no store yet
run_expect 1 'no tracking store at cml.db.*HINT' "$CML" runs list
run_expect 2 'which one' "$CML" runs
run_expect 2 'unknown subcommand "frob"' "$CML" runs frob
run_expect 2 'run id must be a whole number' "$CML" runs show abc
run_expect 2 'two or more run ids' "$CML" runs compare 1

# ---------------------------------------------------------------- tracked fits
run_expect 0 'recorded run 1 in cml.db' "$CML" fit --algo logreg --data $DATA/iris.csv --prep scale=standard \
  --valid $DATA/iris.csv --model lr.gguf --track --experiment iris --quiet
run_expect 0 'recorded run 2 in cml.db' "$CML" fit --algo logreg --data $DATA/iris.csv --param C=0.01 \
  --valid $DATA/iris.csv --model lr2.gguf --experiment iris --quiet
"$CML" fit --algo ridge --data $DATA/diabetes.csv --model ridge.gguf --track --json >"$T/out" 2>&1
check "fit --json has run_id 3" grep -q '"run_id":3' "$T/out"
[ -f cml.db ] && ok || bad "cml.db not created in the working directory"
# a fit that fails is recorded as failed
run_expect 2 '' "$CML" fit --algo logreg --data $DATA/iris.csv --param C=-1 --model bad.gguf --track
run_expect 1 'should be >= n_clusters' "$CML" fit --algo kmeans --data $DATA/iris.csv --param n_clusters=500 --model bad.gguf --track

# fitted but not saved: recorded as failed too
run_expect 1 'nodir' "$CML" fit --algo logreg --data $DATA/iris.csv --model nodir/m.gguf --track --experiment nosave --quiet
run_expect 0 'nosave +failed' "$CML" runs list --experiment nosave
run_expect 0 'iris +finished' "$CML" runs list
check "list newest first" bash -c "'$CML' runs list | awk 'NR==2 {exit !(\$1 >= 3)}'"
run_expect 0 '"runs":\[' "$CML" runs list --experiment iris --json
check "list --experiment iris: runs 2 1" [ "$(ids)" = "2 1 " ]
run_expect 2 'no experiment "nope"' "$CML" runs list --experiment nope

# show: params, metrics, data and model sha256 equal sha256sum's
run_expect 0 'run 1  experiment iris  finished' "$CML" runs show 1
check "show has C param" grep -Eq '^  C +1$' "$T/out"
check "show has scaler params" grep -q 'standard_scaler.with_mean' "$T/out"
check "show has valid_accuracy" grep -Eq 'valid_accuracy +0.97' "$T/out"
run_expect 0 '' "$CML" runs show 1 --json
data_sha=$(sha256sum $DATA/iris.csv | cut -d' ' -f1)
model_sha=$(sha256sum lr.gguf | cut -d' ' -f1)
check "data sha256 = sha256sum" has "\"data_sha256\":\"$data_sha\""
check "model sha256 = sha256sum" has "\"model_sha256\":\"$model_sha\""
check "valid file sha256 = sha256sum" has "\"valid_sha256\":\"$data_sha\""
check "model path absolute" has "\"model_path\":\"$T/lr.gguf\""
check "params" has '"params":\{.*"C":"1",.*"algo":"logistic_regression"'
check "metrics" has '"metrics":\{.*"fit_seconds":[0-9].*"valid_accuracy":0.9[5-9]'
check "status, version" has '"status":"finished".*"cml_version":"[0-9]+\.[0-9]+\.[0-9]+"'
# the validation metrics equal what cml eval says, digit for digit
"$CML" eval --model lr.gguf --data $DATA/iris.csv --json >"$T/eval.json"
pairs=$(sed 's/.*"metrics":{\([^}]*\)}.*/\1/' "$T/eval.json" | tr ',' ' ')
[ -n "$pairs" ] || bad "eval --json has no metrics"
for kv in $pairs; do
  check "valid_${kv%%:*} = cml eval" has "\"valid_${kv#\"}"
done
run_expect 0 '' "$CML" runs show 4 --json
check "failed run recorded" has '"status":"failed".*"model_path":null.*"n_clusters":"500"'
run_expect 1 'no run 42 in cml.db' "$CML" runs show 42

# compare: differing params starred
run_expect 0 '' "$CML" runs compare 1 2
check "compare stars C" grep -Eq '^\* C ' "$T/out"
check "compare does not star solver" grep -Eq '^  solver ' "$T/out"
run_expect 0 '' "$CML" runs compare 1 2 --json
check "compare --json" has '"runs":\[1,2\],"params":\{"C":\["1","0.01"\].*"valid_accuracy":\[0.9[0-9]*,0.8[0-9]*\]'

# export
run_expect 0 '' "$CML" runs export --format csv --out runs.csv
# field ID COLUMN: a cell of runs.csv (no field here holds a comma)
field() { awk -F, -v id="$1" -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
                                         $1 == id { print $c }' runs.csv; }
check "export csv: one row per run, newest first" [ "$(tail -n +2 runs.csv | cut -d, -f1 | tr '\n' ' ')" = "5 4 3 2 1 " ]
check "export csv: same column count on every row" [ "$(awk -F, '{print NF}' runs.csv | sort -u | wc -l)" = 1 ]
check "export csv: param.C" [ "$(field 1 param.C),$(field 2 param.C),$(field 3 param.C)" = "1,0.01," ]
check "export csv: data sha256" [ "$(field 1 data_sha256)" = "$data_sha" ]
check "export csv: metric" grep -q '^0.9[5-9]' <<<"$(field 1 metric.valid_accuracy)"
run_expect 0 '' "$CML" runs export --format json --experiment iris
check "export json: runs 2 1 with step metrics" [ "$(ids)" = "2 1 " ]
check "export json: an array, step_metrics" has '^\[\{"id":2,.*"step_metrics":\{'
run_expect 2 'format must be csv or json' "$CML" runs export --format xml

# ---------------------------------------------------------------- other stores
run_expect 0 'recorded run 1 in other.db' "$CML" fit --algo logreg --data $DATA/iris.csv --model o.gguf --store other.db --quiet
run_expect 0 'logistic_regression' env CML_STORE=other.db "$CML" runs list
check "CML_STORE store has one run" bash -c "[ \$(CML_STORE=other.db '$CML' runs list | wc -l) = 2 ]"
cp $DATA/iris.csv notastore.db
run_expect 1 'not a cml store, or corrupt' "$CML" runs list --store notastore.db
run_expect 1 'cannot open the store' "$CML" fit --algo logreg --data $DATA/iris.csv --model x.gguf --store /nonexistent/dir/s.db

# locked: another process holds the write lock past the timeout
if command -v sqlite3 >/dev/null; then
  (echo "BEGIN IMMEDIATE;"; sleep 4; echo "COMMIT;") | sqlite3 cml.db &
  LOCKER=$!
  sleep 0.5
  # readers still work (WAL)
  run_expect 0 'finished' "$CML" runs list
  # a writer gives up after $CML_STORE_TIMEOUT with one clear line
  start=$(date +%s%N)
  run_expect 1 'cml.db: record run: the store is locked by another writer \(waited 1 s\)' \
    env CML_STORE_TIMEOUT=1 "$CML" fit --algo logreg --data $DATA/iris.csv --model l.gguf --track --quiet
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  check "waited about 1 s ($ms ms)" [ "$ms" -ge 900 -a "$ms" -lt 3500 ]
  check "one line" bash -c "[ \$(grep -c . '$T/out') = 2 ]" # the fit line, then the error
  run_expect 2 'CML_STORE_TIMEOUT must be' env CML_STORE_TIMEOUT=x "$CML" runs list
  kill $LOCKER 2>/dev/null; wait $LOCKER 2>/dev/null
fi

# ---------------------------------------------------------------- concurrent tracked fits
for p in 1 2 3 4; do
  ( for k in 1 2 3 4 5; do
      "$CML" fit --algo logreg --data $DATA/iris.csv --param C=$p.$k --model "c$p-$k.gguf" --track --experiment conc --quiet >/dev/null || echo "fit $p $k failed"
    done ) >"$T/conc$p.log" 2>&1 &
done
wait
check "no concurrent fit failed" bash -c "! grep -q failed '$T'/conc*.log"
run_expect 0 '' "$CML" runs list --experiment conc --json
check "20 concurrent runs, ids unique" [ "$(ids | tr ' ' '\n' | grep . | sort -u | wc -l)" = 20 ]
want=$(for p in 1 2 3 4; do for k in 1 2 3 4 5; do echo "$p.$k"; done; done | sort | tr '\n' ' ')
check "every concurrent fit's C once" [ "$(grep -o '"C":"[0-9.]*"' "$T/out" | cut -d'"' -f4 | sort | tr '\n' ' ')" = "$want" ]
if command -v sqlite3 >/dev/null; then
  check "integrity_check ok" bash -c "[ \"\$(sqlite3 cml.db 'PRAGMA integrity_check')\" = ok ]"
fi

# ---------------------------------------------------------------- kill -9 during a tracked fit
n_before=$("$CML" runs list | wc -l)
"$CML" fit --algo random_forest_regressor --data $DATA/diamonds.csv --target price --param n_estimators=50 \
  --model killed.gguf --track --experiment killed --quiet >/dev/null 2>&1 &
KPID=$!
sleep 1
kill -KILL $KPID 2>/dev/null
wait $KPID 2>/dev/null
check "a fit killed with -9 records nothing" [ "$("$CML" runs list | wc -l)" = "$n_before" ]
run_expect 2 'no experiment "killed"' "$CML" runs list --experiment killed
if command -v sqlite3 >/dev/null; then
  check "integrity_check ok after kill -9" bash -c "[ \"\$(sqlite3 cml.db 'PRAGMA integrity_check')\" = ok ]"
fi
run_expect 0 'recorded run' "$CML" fit --algo logreg --data $DATA/iris.csv --model after.gguf --track --quiet

# ---------------------------------------------------------------- per-step metrics
# iterative fits report through cml_report_metric: L-BFGS its objective per
# iteration, coordinate descent its duality gap per check
run_expect 0 'recorded run' "$CML" fit --algo logreg --data $DATA/iris.csv --model steps.gguf --track --quiet --experiment steps
run_expect 0 'objective +[0-9]+ steps' "$CML" runs show "$(grep -o 'run [0-9]*' "$T/out" | head -1 | cut -d' ' -f2)"
run_expect 0 'recorded run' "$CML" fit --algo lasso --data $DATA/diabetes.csv --model steps2.gguf --track --quiet --experiment steps
run_expect 0 'duality_gap +[0-9]+ steps' "$CML" runs show "$(grep -o 'run [0-9]*' "$T/out" | head -1 | cut -d' ' -f2)"

echo "test_runs: $pass passed, $fail failed"
[ "$fail" = 0 ]
