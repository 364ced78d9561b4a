#!/usr/bin/python3
"""Golden values for cml's text features (tests/golden/text*.txt) from scikit-learn 1.2.1.

Run from the repo root: /usr/bin/python3 tests/gen/gen_text.py

Writes
  tests/golden/text_strings.txt  strings the numeric format cannot hold: the tricky documents,
                                 the parameters of every case, and the vocabularies of the
                                 tricky cases. Blocks "$name count" followed by count lines,
                                 each one string with \\\\, \\n, \\r, \\t and \\xHH escapes (\\xHH
                                 also for bytes that are not valid UTF-8); other text raw.
  tests/golden/text.txt          numbers (tests/gen/golden.py format):
    spam.doc_len            UTF-8 byte length of each document of data/text/spam.csv
    spam.label              1 = spam, 0 = ham
    <case>.shape            rows, n_features, nnz of fit_transform on all of spam.csv
    <case>.vocab_crc        zlib CRC-32 of the feature names joined by NUL bytes (UTF-8)
    <case>.crc              count cases: CRC-32 of indptr (int64 LE), then indices (int32 LE),
                            then the counts (int64 LE), i.e. the whole matrix exactly
    <case>.struct_crc       tf-idf cases: CRC-32 of indptr and indices
    <case>.head             tf-idf cases: the values of the first 3 rows
    <case>.idf_by_df        tf-idf cases with use_idf: (df, idf_) for every distinct df
    tricky.<case>.indptr/.indices/.data   CSR of fit_transform on the tricky documents
    argsort.<k>.v / .idx    numpy 1.24 argsort (default kind) of tie-heavy and adversarial keys
  tests/golden/text_tfidf.txt    (same format; apart to keep each file under 300 KB)
    <case>.rowsum           tf-idf cases: sum_k x_k * w(j_k) per row, ascending columns,
                            w(j) = 1 + ((37 j) mod 101) / 101
  (in text.txt)
    e2e.perm                a fixed permutation of the 2200 rows (np.random.RandomState(0)):
                            the first 1650 train, the last 550 test
    e2e.nb_pred / .nb_acc / .lr_acc   TfidfVectorizer(max_features=3000) fitted on the training
                            documents, then MultinomialNB() and LogisticRegression() (defaults),
                            predictions / accuracy on the test documents
"""
import csv
import os
import struct
import sys
import zlib

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB

sys.path.insert(0, os.path.dirname(__file__))
from golden import Golden  # noqa: E402

# name, TfidfVectorizer?, params as the C side sets them (key=value strings)
SPAM_CASES = [
    ("c_default", False, {}),
    ("c_stop", False, {"stop_words": "english"}),
    ("c_bigram_min2", False, {"ngram_range": "1,2", "min_df": "2"}),
    ("c_maxdf_maxfeat", False, {"max_df": "0.5", "max_features": "500"}),
    ("c_maxfeat_ties", False, {"max_features": "3000", "stop_words": "english"}),
    ("c_binary", False, {"binary": "true"}),
    ("c_df_float_int", False, {"min_df": "0.01", "max_df": "1000"}),
    ("c_nolower_unicode", False, {"lowercase": "false", "strip_accents": "unicode"}),
    ("c_char_wb", False, {"analyzer": "char_wb", "ngram_range": "2,4", "min_df": "5"}),
    ("t_default", True, {}),
    ("t_sublinear", True, {"sublinear_tf": "true"}),
    ("t_l1", True, {"norm": "l1"}),
    ("t_noidf_ascii", True, {"use_idf": "false", "strip_accents": "ascii"}),
    ("t_nosmooth_none", True, {"smooth_idf": "false", "norm": "none", "binary": "true"}),
]

TRICKY_DOCS = [
    "Hello, World! hello world HELLO".encode(),
    "Café café CAFÉ naïve Naïve résumé Ångström".encode(),
    "cafe\u0301 decomposed e\u0301te\u0301 n\u0303".encode(),
    "Ελληνικά ΣΊΣΥΦΟΣ ΟΔΟΣ σοφός ΌΣΟΣ Σ AΣ AΣ. AΣ'B Σ'Σ".encode(),
    "Русский ТЕКСТ Ёлка ёж Ґанок".encode(),
    "İstanbul ıi ǅemal ǈ ß ẞ ﬁ ﬀ ﬃ".encode(),
    "x2 42 3.14 1,000 ²³ ½ ٣٤ ७८ Ⅻ ①② ¹x".encode(),
    "snake_case __init__ _ a_b a _x_ __".encode(),
    b"",
    b"the and of a is",
    b"a b c d e",
    "tab\there\nnew  line   \u00a0nbsp\u2003em \u3000 ideographic\x1cfs".encode(),
    "日本語のテキスト 中文 한국어 조선말 ｶﾀｶﾅ".encode(),
    "emoji 👍🏽 😀ok 𝐀𝐁𝐂 𝔘𝔫𝔦".encode(),
    "ℌ ㎏ Ⅷ ＦＵＬＬ ｗｉｄｔｈ ½ ™ µ K".encode(),
    b"bad \xff\xfe bytes caf\xc3 ok \xe2\x82 e \xed\xa0\x80 sur \xf0\x9f\x98 tr \xc0\xaf ov end\xf4\x90\x80\x80",
    b"don't stop-words e-mail x@y.com http://example.com/a_b?c=1 #tag $5 C++ c#",
    "A a B b OK ok Ok oK ΣΑΣ".encode(),
]

TRICKY_CASES = [
    ("default", False, {}),
    ("nolower", False, {"lowercase": "false"}),
    ("unicode", False, {"strip_accents": "unicode"}),
    ("ascii", False, {"strip_accents": "ascii"}),
    ("stop", False, {"stop_words": "english"}),
    ("ngram13", False, {"ngram_range": "1,3"}),
    ("ngram22_stop", False, {"ngram_range": "2,2", "stop_words": "english"}),
    ("char13", False, {"analyzer": "char", "ngram_range": "1,3"}),
    ("char_wb25", False, {"analyzer": "char_wb", "ngram_range": "2,5"}),
    ("char_wb13_unicode", False, {"analyzer": "char_wb", "ngram_range": "1,3",
                                  "strip_accents": "unicode"}),
    ("char_nolower_ascii", False, {"analyzer": "char", "ngram_range": "2,2",
                                   "lowercase": "false", "strip_accents": "ascii"}),
    ("tfidf", True, {}),
    ("tfidf_sub_l1", True, {"sublinear_tf": "true", "norm": "l1", "ngram_range": "1,2"}),
]


def sk_kwargs(params):
    """The C-side key=value strings as sklearn keyword arguments."""
    kw = {}
    for k, v in params.items():
        if k == "ngram_range":
            kw[k] = tuple(int(x) for x in v.split(","))
        elif k in ("min_df", "max_df"):
            kw[k] = float(v) if "." in v or "e" in v else int(v)
        elif k == "max_features":
            kw[k] = int(v)
        elif v in ("true", "false"):
            kw[k] = v == "true"
        elif k == "norm" and v == "none":
            kw[k] = None
        else:
            kw[k] = v
    return kw


def esc(b):
    s = b.decode("utf-8", "surrogateescape")
    out = []
    for ch in s:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


class Strings:
    def __init__(self, path, comment):
        self.f = open(path, "w", encoding="utf-8", newline="\n")
        for line in comment.strip().splitlines():
            self.f.write(f"# {line}\n")

    def put(self, name, items):
        self.f.write(f"${name} {len(items)}\n")
        for b in items:
            self.f.write(esc(b if isinstance(b, bytes) else b.encode()) + "\n")

    def close(self):
        self.f.close()


def weights(n):
    j = np.arange(n)
    return 1.0 + ((37 * j) % 101) / 101.0


def crc(*arrays):
    c = 0
    for a in arrays:
        c = zlib.crc32(np.ascontiguousarray(a).tobytes(), c)
    return c


def vocab_crc(names):
    return zlib.crc32(b"\0".join(t.encode() for t in names))


def fit(is_tfidf, params, docs):
    cls = TfidfVectorizer if is_tfidf else CountVectorizer
    v = cls(**sk_kwargs(params))
    X = v.fit_transform(docs).tocsr()
    X.sort_indices()
    return v, X


def main():
    csv.field_size_limit(sys.maxsize)
    with open("data/text/spam.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    docs = [r["text"] for r in rows]
    y = np.array([r["label"] == "spam" for r in rows], dtype=np.float64)

    g = Golden("tests/golden/text.txt", __doc__.split("\n\n")[0] + "\nscikit-learn 1.2.1")
    gt = Golden("tests/golden/text_tfidf.txt", "Per-row checks of the tf-idf cases of "
                "tests/gen/gen_text.py (see there)\nscikit-learn 1.2.1")
    s = Strings("tests/golden/text_strings.txt",
                "Strings for tests/unit/test_golden_text.c, written by tests/gen/gen_text.py")
    g.put("spam.doc_len", [len(d.encode()) for d in docs])
    g.put("spam.label", y)

    s.put("spam.cases", [n for n, _, _ in SPAM_CASES])
    for name, is_tfidf, params in SPAM_CASES:
        s.put(f"{name}.params", [f"{k}={v}" for k, v in params.items()])
        v, X = fit(is_tfidf, params, docs)
        names = list(v.get_feature_names_out())
        g.put(f"{name}.shape", [X.shape[0], X.shape[1], X.nnz])
        g.put(f"{name}.vocab_crc", vocab_crc(names))
        indptr = X.indptr.astype("<i8")
        indices = X.indices.astype("<i4")
        if not is_tfidf:
            g.put(f"{name}.crc", crc(indptr, indices, X.data.astype("<i8")))
            continue
        g.put(f"{name}.struct_crc", crc(indptr, indices))
        w = weights(X.shape[1])
        rs = [float(np.sum(X.data[a:b] * w[X.indices[a:b]])) for a, b in
              zip(X.indptr[:-1], X.indptr[1:])]
        gt.put(f"{name}.rowsum", rs)
        g.put(f"{name}.head", X.data[: X.indptr[3]])
        if v.use_idf:
            df = np.bincount(X.indices, minlength=X.shape[1])
            u, first = np.unique(df, return_index=True)
            g.put(f"{name}.idf_by_df", np.vstack([u, v.idf_[first]]))

    s.put("tricky.docs", TRICKY_DOCS)
    s.put("tricky.cases", [n for n, _, _ in TRICKY_CASES])
    tdocs = [d.decode("utf-8", "replace") for d in TRICKY_DOCS]
    for name, is_tfidf, params in TRICKY_CASES:
        s.put(f"tricky.{name}.params", [f"{k}={v}" for k, v in params.items()])
        v, X = fit(is_tfidf, params, tdocs)
        s.put(f"tricky.{name}.vocab", list(v.get_feature_names_out()))
        g.put(f"tricky.{name}.indptr", X.indptr)
        g.put(f"tricky.{name}.indices", X.indices)
        g.put(f"tricky.{name}.data", X.data)

    rng = np.random.RandomState(1)
    k = 500
    cases = {
        "ties": -rng.randint(1, 6, size=1000).astype(np.float64),
        "ties_small": -rng.randint(1, 3, size=40).astype(np.float64),
        "organ": np.concatenate([np.arange(k), np.arange(k, 0, -1)]).astype(np.float64),
        "m3killer": None,
    }
    a = [0] * 1000  # Musser's median-of-3 killer: drives introsort into its heapsort
    for i in range(1, k + 1):
        if i % 2 == 1:
            a[i - 1], a[i] = i, k + i
        a[k + i - 1] = 2 * i
    cases["m3killer"] = np.array(a, dtype=np.float64)
    for name, v in cases.items():
        g.put(f"argsort.{name}.v", v)
        g.put(f"argsort.{name}.idx", np.argsort(v))

    perm = np.random.RandomState(0).permutation(len(docs))
    tr, te = perm[:1650], perm[1650:]
    tv = TfidfVectorizer(max_features=3000)
    Xtr = tv.fit_transform([docs[i] for i in tr])
    Xte = tv.transform([docs[i] for i in te])
    nb = MultinomialNB().fit(Xtr, y[tr])
    lr = LogisticRegression().fit(Xtr, y[tr])
    g.put("e2e.perm", perm)
    g.put("e2e.nb_pred", nb.predict(Xte))
    g.put("e2e.nb_acc", np.mean(nb.predict(Xte) == y[te]))
    g.put("e2e.lr_acc", np.mean(lr.predict(Xte) == y[te]))
    print(f"e2e: nb {np.mean(nb.predict(Xte) == y[te]):.4f} lr {np.mean(lr.predict(Xte) == y[te]):.4f}")
    g.close()
    gt.close()
    s.close()
    for p in ("tests/golden/text.txt", "tests/golden/text_tfidf.txt",
              "tests/golden/text_strings.txt"):
        print(p, os.path.getsize(p))


if __name__ == "__main__":
    main()
