# tests/cli/http_lib.sh — what the tests of cml's HTTP servers (serve, web)
# share: a temporary folder and the processes to kill on exit, curl's
# options, and starting a server on a free loopback port. Source it after
# lib.sh with CML set; it sets T, PIDS, CURL and an EXIT trap.
T=$(mktemp -d)
PIDS=()
http_cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap http_cleanup EXIT
CURL=(curl -s --max-time 20)

# listen LOG ARGS...: starts `cml ARGS... --port 0` with stderr in LOG, sets
# SPID and PORT once the server has logged its "listening" event (10 s at most)
listen() {
  local log=$1; shift
  "$CML" "$@" --port 0 2>"$log" &
  SPID=$!
  PIDS+=("$SPID")
  PORT=""
  for _ in $(seq 100); do
    PORT=$(grep -o '"event":"listening".*"port":[0-9]*' "$log" 2>/dev/null | grep -o '"port":[0-9]*' | cut -d: -f2)
    [ -n "$PORT" ] && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: server did not start: $(cat "$log")"
  exit 1
}
