#!/usr/bin/env bash
# `cml neighbors`: k nearest and radius neighbours of query rows against
# scikit-learn 1.2.1 NearestNeighbors(kd_tree) (tests/gen/gen_neighbors_cli.py):
# identical (query, rank, index) lists and distances within 1e-12 relative,
# on breast_cancer (raw; k = 5 and radius 40) and wine through the model's
# standard-scaling step (k = 4); -k defaults to n_neighbors; radius with -k
# truncates; bad input gives a one-line error and the right exit code.
# Usage: test_neighbors.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_neighbors.sh CML}
DATA=../data
G=golden
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
# same_lists GOT WANT: equal query,rank,index; distances within 1e-12 relative
same_lists() {
  if [ "$(wc -l <"$1")" != "$(wc -l <"$2")" ]; then bad "$1: $(wc -l <"$1") lines, want $(wc -l <"$2")"; return; fi
  paste -d, "$1" "$2" | awk -F, 'NR > 1 {
      if ($1 != $5 || $2 != $6 || $3 != $7) { print "row " NR ": " $0; bad = 1; exit }
      d = $4 - $8; if (d < 0) d = -d; s = $8 < 0 ? -$8 : $8
      if (d > 1e-12 * (s > 1 ? s : 1)) { print "distance row " NR ": " $0; bad = 1; exit } }
      END { exit bad }' && ok || bad "$1 differs from $2"
}
split() { # even data rows -> $2 (train), odd -> $3 (queries)
  awk 'NR == 1 || NR % 2 == 0' "$1" >"$2"
  awk 'NR == 1 || NR % 2 == 1' "$1" >"$3"
}

split $DATA/breast_cancer.csv "$T/bc_tr.csv" "$T/bc_q.csv"
split $DATA/wine.csv "$T/w_tr.csv" "$T/w_q.csv"
expect 0 "" -- "$CML" fit --algo k_neighbors_classifier --param algorithm=brute --data "$T/bc_tr.csv" --model "$T/bc.gguf"
expect 0 "" -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" -k 5 --out "$T/bc_k5.csv"
same_lists "$T/bc_k5.csv" $G/neighbors_cli_bc_k5.csv
# default k is the model's n_neighbors (5); stdout; --k and -k5 spellings
expect 0 "" -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv"
cmp -s "$T/out" "$T/bc_k5.csv" && ok || bad "default k / stdout output differs"
expect 0 "" -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" -k5
cmp -s "$T/out" "$T/bc_k5.csv" && ok || bad "-k5 differs"
expect 0 "" -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" --radius 40 --out "$T/bc_r40.csv"
same_lists "$T/bc_r40.csv" $G/neighbors_cli_bc_r40.csv
# radius with -k 1: the first of each list
expect 0 "" -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" --radius 40 -k 1 --out "$T/bc_r1.csv"
awk -F, 'NR == 1 || $2 == 0' $G/neighbors_cli_bc_r40.csv >"$T/want_r1.csv"
same_lists "$T/bc_r1.csv" "$T/want_r1.csv"
# a KD-tree model (regressor) gives the same lists
expect 0 "" -- "$CML" fit --algo k_neighbors_regressor --param algorithm=kd_tree --data "$T/bc_tr.csv" --model "$T/bcr.gguf"
expect 0 "" -- "$CML" neighbors --model "$T/bcr.gguf" --data "$T/bc_q.csv" -k 5 --out "$T/bcr_k5.csv"
same_lists "$T/bcr_k5.csv" $G/neighbors_cli_bc_k5.csv
# queries go through the model's preprocessing (standard scaling)
expect 0 "" -- "$CML" fit --algo k_neighbors_classifier --prep scale=standard --data "$T/w_tr.csv" --model "$T/w.gguf"
expect 0 "" -- "$CML" neighbors --model "$T/w.gguf" --data "$T/w_q.csv" -k 4 --out "$T/w_k4.csv"
same_lists "$T/w_k4.csv" $G/neighbors_cli_wine_std_k4.csv
# radius 0 with no duplicate: no neighbours, just the header
expect 0 "" -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" --radius 0
[ "$(wc -l <"$T/out")" = 1 ] && ok || bad "radius 0 lists rows: $(head -3 "$T/out")"

# ---------------------------------------------------------------- bad input
expect 2 '--model' -- "$CML" neighbors --data "$T/bc_q.csv"
expect 2 '-k must be an integer >= 1' -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" -k 0
expect 2 '-k must be' -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" -k x
expect 2 'exceeds the 285 training rows' -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" -k 1000
expect 2 'radius must be' -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" --radius -1
expect 2 'radius must be' -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/bc_q.csv" --radius nan
expect 0 "" -- "$CML" fit --algo gaussian_nb --data "$T/bc_tr.csv" --model "$T/nb.gguf"
expect 2 'no neighbours to query' -- "$CML" neighbors --model "$T/nb.gguf" --data "$T/bc_q.csv"
expect 1 'nope.gguf' -- "$CML" neighbors --model "$T/nope.gguf" --data "$T/bc_q.csv"
expect 1 '' -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/w_q.csv"
printf 'mean radius\n1\n' >"$T/short.csv"
expect 1 '' -- "$CML" neighbors --model "$T/bc.gguf" --data "$T/short.csv"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
