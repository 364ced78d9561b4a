#!/usr/bin/env bash
# bench/data/get_flights.sh — fetches vega-datasets' flights-3m (3,000,000 US domestic
# flights of 2001: date, delay, distance, origin, destination; US DOT data, BSD-3 package)
# from the npm registry with npm itself and converts it to a numeric CSV for
# bench/bench_trees.py. Idempotent: does nothing when the CSV is already there.
#   bench/data/get_flights.sh            # prints the CSV's path
# Cache: $CML_BENCH_CACHE (default ~/.cache/cml-bench), outside the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${CML_BENCH_CACHE:-$HOME/.cache/cml-bench}
csv=$cache/flights-3m.csv
if [ -s "$csv" ]; then echo "$csv"; exit 0; fi
mkdir -p "$cache"
cd "$cache"
# the data: one tarball (17 MB), unpacked for its parquet file only
[ -s vega-datasets-3.2.1.tgz ] || npm pack --silent vega-datasets@3.2.1 >/dev/null
[ -s vega/package/data/flights-3m.parquet ] || {
  mkdir -p vega && tar xzf vega-datasets-3.2.1.tgz -C vega package/data/flights-3m.parquet; }
# the parquet reader (pure JavaScript) and its zstd/snappy codecs, pinned
[ -d node/node_modules/hyparquet-compressors ] ||
  npm install --silent --prefix node --no-audit --no-fund --no-save \
    hyparquet@1.33.0 hyparquet-compressors@1.1.2 >/dev/null
cp "$here/flights_to_csv.mjs" node/flights_to_csv.mjs
node node/flights_to_csv.mjs vega/package/data/flights-3m.parquet "$csv.tmp"
mv "$csv.tmp" "$csv"
echo "$csv"
