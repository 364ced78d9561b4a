#!/usr/bin/env bash
# `cml fit --text`: text classification end to end on data/text/spam.csv
# (2200 mails, columns text,label). Accuracies are compared with
# scikit-learn 1.2.1's pipeline TfidfVectorizer() + model fitted on the same
# 2200 rows (golden/text_models.txt, cli.* blocks, from
# tests/gen/gen_text_models.py): equal to 1e-9, i.e. the same number of
# correct rows. Then predict/eval through the saved vectorizer, --proba,
# count vectorizer with parameters, info, and the clear errors.
# Usage: test_text.sh PATH/TO/cml   (run from tests/)
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, check, expect, run_expect
CML=${1:?usage: test_text.sh CML}
SPAM=../data/text/spam.csv
GOLD=golden/text_models.txt
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

# expect CODE REGEX -- command...   (REGEX matched against stderr)
# golden NAME: the first value of a golden block
golden() { awk -v n="@$1" '$1 == n { getline; print $1; exit }' "$GOLD"; }
# same_acc GOT WANT WHAT
same_acc() {
  awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; exit !(d < 1e-9 && d > -1e-9) }' &&
    ok || bad "$3: accuracy $1, scikit-learn $2"
}
acc_of() { grep -o '"accuracy":[0-9.e-]*' "$T/out" | cut -d: -f2; }

# ---------------------------------------------------------------- fit / eval = sklearn
for algo in multinomial_nb:mnb linear_svc:lsvc logistic_regression:lr; do
  name=${algo%%:*} g=${algo##*:}
  expect 0 "" -- "$CML" fit --algo "$name" --data $SPAM --target label --text text --model "$T/$g.gguf" --json
  grep -q '"features":26699' "$T/out" && grep -q '"text_column":"text"' "$T/out" && ok || bad "fit --json ($name): $(cat "$T/out")"
  expect 0 "" -- "$CML" eval --model "$T/$g.gguf" --data $SPAM --metric accuracy --json
  same_acc "$(acc_of)" "$(golden cli.$g.train_acc)" "$name"
done

# ---------------------------------------------------------------- predict
expect 0 "" -- "$CML" predict --model "$T/mnb.gguf" --data $SPAM --out "$T/p.csv" --proba
head -1 "$T/p.csv" | grep -q '^prediction,proba_ham,proba_spam$' && ok || bad "predict header: $(head -1 "$T/p.csv")"
[ "$(wc -l <"$T/p.csv")" = 2201 ] && ok || bad "predict rows: $(wc -l <"$T/p.csv")"
nspam=$(grep -c '^spam,' "$T/p.csv")
[ "$nspam" = "$(golden cli.mnb.n_spam | cut -d. -f1)" ] && ok || bad "rows predicted spam: $nspam, sklearn $(golden cli.mnb.n_spam)"
# a file without the label column, with an extra column, columns reordered
printf 'id,note,text\n1,x,"Win a FREE prize now!!! Click here to claim your cash, money, limited offer"\n2,y,"Hi Bob, the meeting moved to Thursday; the patch for the kernel build is attached"\n' >"$T/new.csv"
expect 0 "" -- "$CML" predict --model "$T/lsvc.gguf" --data "$T/new.csv" --out "$T/p2.csv"
[ "$(sed -n 2p "$T/p2.csv")" = spam ] && [ "$(sed -n 3p "$T/p2.csv")" = ham ] && ok || bad "new mails: $(tr '\n' ' ' <"$T/p2.csv")"
# save -> load -> predict is bit-identical across two runs
expect 0 "" -- "$CML" predict --model "$T/mnb.gguf" --data $SPAM --out "$T/p3.csv" --proba
cmp -s "$T/p.csv" "$T/p3.csv" && ok || bad "two predicts differ"

# ---------------------------------------------------------------- count vectorizer, params, info
expect 0 "" -- "$CML" fit --algo complement_nb --data $SPAM --text text --vectorizer count --param vectorizer.max_features=2000 --param vectorizer.stop_words=english --param alpha=0.5 --model "$T/cnb.gguf" --json
grep -q '"features":2000' "$T/out" && ok || bad "max_features: $(cat "$T/out")"
expect 0 "" -- "$CML" info "$T/cnb.gguf"
grep -q '"kind":"text"' "$T/out" && grep -q '"alpha":0.5' "$T/out" && ok || bad "info: $(head -c 400 "$T/out")"
expect 0 "" -- "$CML" eval --model "$T/cnb.gguf" --data $SPAM --metric accuracy

# ---------------------------------------------------------------- errors
expect 1 'no column named "body"' -- "$CML" fit --algo multinomial_nb --data $SPAM --text body --model "$T/x.gguf"
printf 'n,text,label\n1,"cheap pills here",spam\n2,"lunch at noon",ham\n3,"free money now",spam\n' >"$T/small.csv"
expect 2 'holds numbers, not text' -- "$CML" fit --algo multinomial_nb --data "$T/small.csv" --text n --model "$T/x.gguf"
expect 2 'also the target' -- "$CML" fit --algo multinomial_nb --data "$T/small.csv" --text text --target text --model "$T/x.gguf"
expect 2 'tfidf or count' -- "$CML" fit --algo multinomial_nb --data "$T/small.csv" --text text --vectorizer bow --model "$T/x.gguf"
expect 2 'unknown parameter "bogus"' -- "$CML" fit --algo multinomial_nb --data "$T/small.csv" --text text --param vectorizer.bogus=1 --model "$T/x.gguf"
expect 2 'cannot be combined with --prep' -- "$CML" fit --algo multinomial_nb --data "$T/small.csv" --text text --prep scale=standard --model "$T/x.gguf"
expect 2 'needs --text' -- "$CML" fit --algo multinomial_nb --data "$T/small.csv" --vectorizer count --model "$T/x.gguf"
printf 'text,label\n"the and of",a\n"is it the",b\n' >"$T/stop.csv"
expect 1 'empty vocabulary' -- "$CML" fit --algo multinomial_nb --data "$T/stop.csv" --text text --param vectorizer.stop_words=english --model "$T/x.gguf"
expect 0 "" -- "$CML" fit --algo multinomial_nb --data "$T/small.csv" --text text --model "$T/small.gguf"
printf 'n,label\n1,spam\n' >"$T/notext.csv"
expect 1 'column "text" of the model' -- "$CML" predict --model "$T/small.gguf" --data "$T/notext.csv" --out "$T/x.csv"
# an estimator that takes dense input only: refused with a hint when too big, fine otherwise
expect 0 "" -- "$CML" fit --algo gaussian_nb --data "$T/small.csv" --text text --model "$T/g.gguf"

echo "text CLI tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
