#!/usr/bin/python3
"""Golden values for estimators on sparse text features (tests/golden/text_models.txt).

Run from the repo root: /usr/bin/python3 tests/gen/gen_text_models.py

Data: data/text/spam.csv (2200 mails, label 1 = spam), split by a fixed permutation
(np.random.RandomState(0)): the first 1650 rows train, the last 550 test (the same split as
tests/gen/gen_text.py's e2e block). Features: TfidfVectorizer() with default parameters fitted
on the training documents (CSR, the full vocabulary), transform of the test documents.

Blocks (scikit-learn 1.2.1):
  split.perm                the permutation
  tfidf.shape               n_features, nnz(train), nnz(test)
  <m>.pred                  test predictions (0/1)
  <m>.acc                   test accuracy
  <m>.dec                   test decision_function (linear models)
  <m>.proba                 test predict_proba (550, 2) (naive Bayes, logistic regression)
  <m>.intercept, <m>.coef_head, <m>.coef_norm1/2   intercept, coef_[0, :50], sum |coef|, |coef|_2
  <m>.nnz_coef              number of nonzero coefficients (l1 models)
with <m> in
  mnb, cnb, bnb             MultinomialNB(), ComplementNB(), BernoulliNB() (defaults)
  lsvc                      LinearSVC(random_state=0) (l2, squared hinge, dual)
  lsvc_hinge                LinearSVC(loss="hinge", C=0.5, random_state=0)
  lsvc_l1                   LinearSVC(penalty="l1", dual=False, C=1.0, tol=1e-6)
  lsvc_primal               LinearSVC(dual=False, tol=1e-6)
  lr                        LogisticRegression() (lbfgs)
  cli.<m>.train_acc         (for tests/cli/test_text.sh) accuracy on all 2200 rows of the
                            pipeline TfidfVectorizer() + model fitted on all 2200 rows, for
                            mnb, lsvc, lr; cli.mnb.n_spam: number of rows predicted spam
"""
import csv
import os
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import BernoulliNB, ComplementNB, MultinomialNB
from sklearn.svm import LinearSVC

sys.path.insert(0, os.path.dirname(__file__))
from golden import Golden  # noqa: E402


def put_linear(g, name, m, Xte):
    coef = m.coef_.ravel()
    g.put(f"{name}.dec", m.decision_function(Xte))
    g.put(f"{name}.intercept", np.atleast_1d(m.intercept_))
    g.put(f"{name}.coef_head", coef[:50])
    g.put(f"{name}.coef_norm1", np.sum(np.abs(coef)))
    g.put(f"{name}.coef_norm2", np.sqrt(np.sum(coef * coef)))
    g.put(f"{name}.nnz_coef", np.count_nonzero(coef))


def main():
    with open("data/text/spam.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    docs = [r["text"] for r in rows]
    y = np.array([r["label"] == "spam" for r in rows], dtype=np.float64)
    perm = np.random.RandomState(0).permutation(len(docs))
    tr, te = perm[:1650], perm[1650:]
    tv = TfidfVectorizer()
    Xtr = tv.fit_transform([docs[i] for i in tr])
    Xte = tv.transform([docs[i] for i in te])
    ytr, yte = y[tr], y[te]

    g = Golden("tests/golden/text_models.txt", __doc__.split("\n\n")[0] + "\nscikit-learn 1.2.1")
    g.put("split.perm", perm)
    g.put("tfidf.shape", [Xtr.shape[1], Xtr.nnz, Xte.nnz])
    models = {
        "mnb": MultinomialNB(),
        "cnb": ComplementNB(),
        "bnb": BernoulliNB(),
        "lsvc": LinearSVC(random_state=0),
        "lsvc_hinge": LinearSVC(loss="hinge", C=0.5, random_state=0, max_iter=5000),
        "lsvc_l1": LinearSVC(penalty="l1", dual=False, tol=1e-6, max_iter=5000),
        "lsvc_primal": LinearSVC(dual=False, tol=1e-6, max_iter=5000),
        "lr": LogisticRegression(),
    }
    for name, m in models.items():
        m.fit(Xtr, ytr)
        pred = m.predict(Xte)
        g.put(f"{name}.pred", pred)
        g.put(f"{name}.acc", np.mean(pred == yte))
        if hasattr(m, "predict_proba"):
            g.put(f"{name}.proba", m.predict_proba(Xte))
        if hasattr(m, "coef_") and not name.endswith("nb"):
            put_linear(g, name, m, Xte)
        print(f"{name}: acc {np.mean(pred == yte):.4f}")

    Xall = TfidfVectorizer().fit_transform(docs)
    for name in ("mnb", "lsvc", "lr"):
        m = {"mnb": MultinomialNB(), "lsvc": LinearSVC(random_state=0),
             "lr": LogisticRegression()}[name].fit(Xall, y)
        pred = m.predict(Xall)
        g.put(f"cli.{name}.train_acc", np.mean(pred == y))
        if name == "mnb":
            g.put("cli.mnb.n_spam", np.sum(pred == 1))
        print(f"cli {name}: train acc {np.mean(pred == y):.6f}")
    g.close()
    print("tests/golden/text_models.txt", os.path.getsize("tests/golden/text_models.txt"))


if __name__ == "__main__":
    main()
