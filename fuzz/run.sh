#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...] — runs each built target (default: every
# build-fuzz/fuzz_*) for SECONDS (default 60) on its seeds, fuzz/seeds/NAME/
# (NAME = target without the fuzz_ prefix, e.g. fuzz/seeds/csv/), growing a
# corpus in fuzz/corpus-NAME/ (git-ignored). Crashes are written as
# build-fuzz/crash-NAME-*; the script exits non-zero if any target fails.
set -uo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for b in build-fuzz/fuzz_*; do [ -x "$b" ] && targets+=("$(basename "$b")"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "run.sh: nothing built; run fuzz/build.sh first" >&2; exit 2; }
status=0
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  corpus="fuzz/corpus-$name"
  mkdir -p "$corpus"
  seeds=()
  for d in "fuzz/seeds/$name" "fuzz/seeds/$t"; do [ -d "$d" ] && seeds+=("$d"); done
  echo "fuzz: $t for ${SECS}s" >&2
  if ! ASAN_OPTIONS=detect_leaks=1 "build-fuzz/$t" -max_total_time="$SECS" -rss_limit_mb=2048 \
       -max_len=65536 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/crash-$name-" "$corpus" "${seeds[@]}" 2> "build-fuzz/$t.log"; then
    echo "fuzz: $t FAILED (see build-fuzz/$t.log)" >&2
    tail -40 "build-fuzz/$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "build-fuzz/$t.log" | sed "s/^/  $t /" >&2
  fi
done
exit $status
