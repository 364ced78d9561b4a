# tests/cli/lib.sh — the assertions every CLI test shares. Source it after
# setting T (a temporary folder) and pass=0 fail=0:
#   . "$(dirname "$0")/lib.sh"
# ok / bad count a check; check WHAT CMD... passes when CMD succeeds;
# expect CODE REGEX -- CMD...: exit status, REGEX over stderr, one-line errors;
# run_expect CODE REGEX CMD...: exit status and REGEX over stdout + stderr.

ok() { pass=$((pass + 1)); }

bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }

expect() {
  local code=$1 re=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$code" ]; then bad "exit $got (want $code): $* :: $(head -c 300 "$T/err")"; return; fi
  if [ -n "$re" ] && ! grep -Eq -- "$re" "$T/err"; then bad "stderr of '$*' lacks /$re/: $(head -c 300 "$T/err")"; return; fi
  if [ "$code" != 0 ] && [ "$(wc -l <"$T/err")" -gt 2 ]; then bad "error of '$*' is not one line: $(cat "$T/err")"; return; fi
  ok
}

run_expect() {
  local want=$1 re=$2; shift 2
  "$@" >"$T/out" 2>&1
  local rc=$?
  if [ "$rc" != "$want" ]; then bad "$*: exit $rc (want $want): $(head -c 300 "$T/out")"; return; fi
  if [ -n "$re" ] && ! grep -Eq -- "$re" "$T/out"; then bad "$*: output lacks /$re/: $(head -c 300 "$T/out")"; return; fi
  ok
}
