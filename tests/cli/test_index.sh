#!/usr/bin/env bash
# `cml index` and `cml search`: text indexes from a folder (HTML sections,
# Markdown) and from a CSV text column (metadata filters), every search
# mode and fusion, `index add`, `index info`; vector indexes from .fvecs,
# .npy and .csv with exact-match neighbours; the error battery (exit codes
# 2 for usage, 1 for runtime errors, one-line messages).
# Usage: test_index.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_index.sh CML}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
has() { grep -Eq -- "$1" "$T/out" && ok || bad "$2: $(head -c 400 "$T/out")"; }

# ---------------------------------------------------------------- folder
mkdir -p "$T/docs/sub"
cat >"$T/docs/pets.html" <<'H'
<html><head><title>x</title><script>var cat = 1;</script></head><body>
<h1>Pets</h1><p>Animals people keep at home.</p>
<h2>How do I feed a cat?</h2><p>Cats eat fish and meat &amp; need fresh water every day.</p>
<h2>How do I walk a dog?</h2><p>Dogs need a leash and a daily walk in the park.</p>
</body></html>
H
printf 'Python lists are ordered sequences.\n\nDictionaries map keys to values.\n' >"$T/docs/sub/python.md"
printf 'Sorting a list of numbers uses sorted() or list.sort().\n' >"$T/docs/sort.txt"
expect 0 "" -- "$CML" index build "$T/ix" --docs "$T/docs" --dim 4 --json
has '"documents":6' "build documents (pets.html: preamble, 3 sections)"
expect 0 "" -- "$CML" search "$T/ix" --query "feeding cats fish" -k 2 --mode bm25 --json
has '"rank":1,"chunk_id":[0-9]+,"doc_id":[0-9]+,"score":[0-9.e+-]+,"source":"pets.html","title":"How do I feed a cat\?"' "bm25 top hit"
grep -q 'var cat' "$T/out" && bad "script text indexed" || ok
expect 0 "" -- "$CML" search "$T/ix" --query "dog leash" --mode dense -k 1 --json
has '"mode":"dense"' "dense mode"
expect 0 "" -- "$CML" search "$T/ix" --query "dog leash" -k 3 --fusion weighted --weights 1,0.5 --json
has '"mode":"hybrid"' "hybrid mode"
has '"title":"How do I walk a dog\?"' "hybrid top hit"
expect 0 "" -- "$CML" search "$T/ix" --query "sort list" --filter ext=txt --json
has '"source":"sort.txt"' "filter ext=txt"
grep -q '"source":"sub/python.md"' "$T/out" && bad "filter let python.md through" || ok
expect 0 "" -- "$CML" search "$T/ix" --query "dog" -k 2
has '^ 1\. [0-9.]+  pets.html' "text output"
# add
printf 'Cats sleep sixteen hours a day.\n' >"$T/more.txt"
mkdir "$T/more" && mv "$T/more.txt" "$T/more/"
expect 0 "" -- "$CML" index add "$T/ix" --docs "$T/more" --json
has '"added":1,"documents":7' "add"
expect 0 "" -- "$CML" search "$T/ix" --query "how long do cats sleep" --mode bm25 -k 1 --json
has '"source":"more.txt"' "added doc found"
expect 0 "" -- "$CML" index info "$T/ix"
has '"kind":"text"' "info kind"
has '"dense":\{"embedding":"tfidf\+truncated_svd","hnsw":\{"size":[0-9]+' "info dense"

# ---------------------------------------------------------------- CSV, BM25 only
printf 'id,body,lang\n1,"the quick brown fox",en\n2,"le renard brun",fr\n3,"a lazy dog sleeps",en\n' >"$T/t.csv"
expect 0 "" -- "$CML" index build "$T/ixc" --csv "$T/t.csv" --text-column body --dim 0 --chunk none --k1 0.9 --b 0.4
expect 0 "" -- "$CML" search "$T/ixc" --query "brown fox renard" --json
has '"mode":"bm25"' "bm25-only index searched with bm25"
expect 0 "" -- "$CML" search "$T/ixc" --query "brown fox renard" --filter lang=fr --json
has '"source":"t.csv:2"' "csv filter"
grep -q 't.csv:1' "$T/out" && bad "csv filter leaked" || ok
expect 0 "" -- "$CML" index info "$T/ixc"
has '"k1":0.9' "info k1"
has '"dense":null' "info no dense"

# ---------------------------------------------------------------- vectors
/usr/bin/python3 - "$T" <<'P'
import sys, numpy as np
t = sys.argv[1]
X = np.random.default_rng(0).standard_normal((200, 8)).astype('<f4')
np.save(t + "/v.npy", X)
out = np.empty((200, 9), dtype='<f4'); out.view('<i4')[:, 0] = 8; out[:, 1:] = X; out.tofile(t + "/v.fvecs")
np.savetxt(t + "/q.csv", X[[5, 17]], delimiter=",", header=",".join(f"c{j}" for j in range(8)), comments="")
P
expect 0 "" -- "$CML" index build "$T/vx" --vectors "$T/v.npy" --json
has '"size":200,"dim":8' "vector build"
expect 0 "" -- "$CML" search "$T/vx" --queries "$T/q.csv" -k 1
has '^0,1,5,0$' "npy nn of row 5"
has '^1,1,17,0$' "npy nn of row 17"
expect 0 "" -- "$CML" index add "$T/vx" --vectors "$T/v.fvecs" --json
has '"size":400' "vector add"
expect 0 "" -- "$CML" index build "$T/vc" --vectors "$T/q.csv" --metric cosine
expect 0 "" -- "$CML" index info "$T/vx"
has '"kind":"vectors"' "vector info"

# ---------------------------------------------------------------- errors
expect 2 "exactly one of" -- "$CML" index build "$T/e1"
expect 2 "unknown action" -- "$CML" index frobnicate "$T/e1"
expect 2 "already holds an index" -- "$CML" index build "$T/ix" --docs "$T/docs"
expect 2 "--chunk must be" -- "$CML" index build "$T/e2" --docs "$T/docs" --chunk words
expect 2 "b must be in" -- "$CML" index build "$T/e3" --docs "$T/docs" --b 2
expect 2 "no column named" -- "$CML" index build "$T/e4" --csv "$T/t.csv" --text-column nope
expect 1 "cannot open folder" -- "$CML" index build "$T/e5" --docs "$T/nowhere"
expect 2 "--mode must be" -- "$CML" search "$T/ix" --query x --mode magic
expect 2 "no dense index" -- "$CML" search "$T/ixc" --query x --mode dense
expect 2 "--filter must be" -- "$CML" search "$T/ix" --query x --filter novalue
expect 2 "--k must be" -- "$CML" search "$T/ix" --query x -k 0
expect 1 "not an index" -- "$CML" search "$T/nowhere" --query x
expect 2 "is a text index" -- "$CML" index add "$T/ix" --vectors "$T/v.npy"
printf 'garbage' >"$T/bad.npy"
expect 1 "not a .npy file" -- "$CML" index build "$T/e6" --vectors "$T/bad.npy"
cp -r "$T/ix" "$T/ixbad"
head -c 300 "$T/ix/bm25.gguf" >"$T/ixbad/bm25.gguf"
expect 1 "bm25.gguf" -- "$CML" search "$T/ixbad" --query x

echo "test_index: $pass passed, $fail failed"
[ "$fail" = 0 ]
