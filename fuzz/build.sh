#!/usr/bin/env bash
# fuzz/build.sh — builds every fuzz/fuzz_*.c into build-fuzz/fuzz_* with
# libFuzzer + ASan + UBSan (clang). The library (all of src/**/*.c, CUDA
# backend excluded) is compiled once into build-fuzz/libcml_fuzz.a with
# coverage instrumentation, then linked into each target. Objects are
# rebuilt when their source or any header is newer.
#   fuzz/build.sh && fuzz/run.sh 60
# CML_CSV_MIN_CHUNK=8 makes the CSV reader split even tiny inputs between
# threads, so its parallel path and chunk boundaries are fuzzed too.
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT=build-fuzz
export CC=${CC:-clang}
JOBS=${JOBS:-2}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# the library links cairo (plots), libmicrohttpd + cJSON (serve), SQLite
# (tracking, document store): their flags come from pkg-config as in CMake
PKGS="cairo libmicrohttpd libcjson sqlite3"
export CFLAGS="-std=c11 -g -O1 $SAN -Iinclude -Isrc -fopenmp -D_POSIX_C_SOURCE=200809L \
-DCML_BLAS_NAME=\"blis\" -DCML_CSV_MIN_CHUNK=8 -Wall -Wno-unused-parameter $(pkg-config --cflags $PKGS)"
LIBS="-lblis -llapacke -llapack -lz -lm $(pkg-config --libs $PKGS)"
mkdir -p "$OUT/obj"
newest_h=$(find include src -name '*.h' -printf '%T@\n' | sort -n | tail -1)
export newest_h

objs=()
while IFS= read -r -d '' s; do objs+=("$OUT/obj/${s//\//__}.o"); done \
  < <(find src -name '*.c' ! -path 'src/backend/cuda/*' -print0 | sort -z)

compile() { # $1 = source; skip when the object is newer than it and every header
  local o="$OUT/obj/${1//\//__}.o"
  if [ -e "$o" ] && [ "$o" -nt "$1" ] &&
     awk -v a="$(stat -c %Y "$o")" -v b="$newest_h" 'BEGIN{exit !(a >= b)}'; then return 0; fi
  $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$1" -o "$o"
}
export -f compile
find src -name '*.c' ! -path 'src/backend/cuda/*' -print0 | xargs -0 -P "$JOBS" -I{} bash -c 'compile "$1"' _ {}

rm -f "$OUT/libcml_fuzz.a"
ar rcs "$OUT/libcml_fuzz.a" "${objs[@]}" # exactly today's sources: no stale objects
for t in fuzz/fuzz_*.c; do
  name=$(basename "$t" .c)
  echo "fuzz: building $OUT/$name" >&2
  $CC $CFLAGS -fsanitize=fuzzer "$t" "$OUT/libcml_fuzz.a" $LIBS -o "$OUT/$name"
done
