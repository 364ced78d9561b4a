# tests/cli/serve_lib.sh — what the `cml serve` tests share: starting a
# server on a free loopback port, HTTP requests with curl, and reading the
# predictions out of a JSON answer without jq. Source it after lib.sh, with
# CML set; it sources http_lib.sh (T, PIDS, CURL, the EXIT trap).
. "$(dirname "${BASH_SOURCE[0]}")/http_lib.sh"

# start_server LOG ARGS...: starts `cml serve ARGS... --port 0` (listen, in
# http_lib.sh), then waits for /ready (10 s at most)
start_server() {
  local log=$1; shift
  listen "$log" serve "$@"
  for _ in $(seq 100); do
    [ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ready")" = 200 ] && return 0
    sleep 0.1
  done
  echo "FAIL: server never ready: $(cat "$log")"; exit 1
}

# req METHOD PATH [curl args...]: body in $T/body, headers in $T/hdr, status in $CODE
req() {
  local m=$1 p=$2; shift 2
  CODE=$("${CURL[@]}" -X "$m" -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$p")
}
# expect STATUS REGEX METHOD PATH [curl args...]: status and body regex
expect() {
  local want=$1 re=$2; shift 2
  req "$@"
  if [ "$CODE" != "$want" ]; then bad "$1 $2: status $CODE (want $want): $(head -c 300 "$T/body")"; return; fi
  if [ -n "$re" ] && ! grep -Eq -- "$re" "$T/body"; then bad "$1 $2: body lacks /$re/: $(head -c 300 "$T/body")"; return; fi
  ok
}

# JSON helpers without jq: the predictions array one per line (quotes
# stripped), the probabilities matrix one row per line.
preds() { sed -e 's/.*"predictions":\[\([^]]*\)\].*/\1/' "$1" | tr ',' '\n' | tr -d '"' | awk 1; }
probas() { sed -e 's/.*"probabilities":\[\[\(.*\)\]\]}.*/\1/' "$1" | sed -e 's/\],\[/\n/g' | awk 1; }
# same_numbers A B: two files of comma-separated numbers, equal as doubles
same_numbers() {
  [ "$(wc -l <"$1")" = "$(wc -l <"$2")" ] || return 1
  paste -d'|' "$1" "$2" | awk -F'|' '{ na = split($1, a, ","); nb = split($2, b, ",");
    if (na != nb || na == 0) { bad = 1; exit } for (i = 1; i <= na; i++) if (a[i] + 0 != b[i] + 0) { bad = 1; exit } }
    END { exit bad }'
}

