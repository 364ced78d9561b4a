#!/usr/bin/python3
"""Golden values for cml's naive Bayes (tests/golden/bayes.txt).

Run from the repo root with Debian's scikit-learn 1.2.1: /usr/bin/python3 tests/gen/gen_bayes.py

Split as gen_neighbors.py (train_test_split test_size=0.25 random_state=0, sorted), stored as
<ds>.test_idx. For each case <name>:
  <name>.jll      predict_joint_log_proba of the first NJ test rows
  <name>.logp     predict_log_proba of the same rows
  <name>.pred     predict on all test rows
  <name>.attr_*   fitted attributes (class_count_, theta_/var_ or feature_count_, ...)
Cases ending in .partial are partial_fit on the training rows in 3 consecutive chunks
(np.array_split), first call with classes=np.unique(y_train). Cases ending in .sw use
sample_weight w_i = 1 + 0.5 * (i % 3) over the training rows.
"""
import os
import sys
import warnings

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import BernoulliNB, ComplementNB, GaussianNB, MultinomialNB

sys.path.insert(0, os.path.dirname(__file__))
from golden import Golden, load_csv  # noqa: E402

NJ = 30


def split(name):
    X, y, _ = load_csv(name)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0)
    return X, y, np.sort(tr), np.sort(te)


def put_case(g, name, m, Xte, attrs):
    g.put(f"{name}.jll", m.predict_joint_log_proba(Xte[:NJ]))
    g.put(f"{name}.logp", m.predict_log_proba(Xte[:NJ]))
    g.put(f"{name}.pred", m.predict(Xte))
    for a in attrs:
        g.put(f"{name}.attr_{a}", getattr(m, a))


def main():
    warnings.simplefilter("ignore")
    g = Golden("tests/golden/bayes.txt", __doc__.split("\n\n")[0] + "\nscikit-learn 1.2.1")
    for ds in ["iris", "wine", "digits"]:
        X, y, tr, te = split(ds)
        g.put(f"{ds}.test_idx", te)
        Xtr, ytr, Xte = X[tr], y[tr], X[te]
        sw = 1.0 + 0.5 * (np.arange(len(tr)) % 3)
        chunks = np.array_split(np.arange(len(tr)), 3)

        def partial(m):
            for i, c in enumerate(chunks):
                m.partial_fit(Xtr[c], ytr[c], classes=np.unique(ytr) if i == 0 else None)
            return m

        if ds in ("iris", "wine"):
            ga = ["class_count_", "class_prior_", "theta_", "var_", "epsilon_"]
            put_case(g, f"gnb.{ds}", GaussianNB().fit(Xtr, ytr), Xte, ga)
            put_case(g, f"gnb.{ds}.vs", GaussianNB(var_smoothing=1e-3).fit(Xtr, ytr), Xte, ga)
            put_case(g, f"gnb.{ds}.priors", GaussianNB(priors=[0.2, 0.3, 0.5]).fit(Xtr, ytr), Xte,
                     ga)
            put_case(g, f"gnb.{ds}.sw", GaussianNB().fit(Xtr, ytr, sample_weight=sw), Xte, ga)
            put_case(g, f"gnb.{ds}.partial", partial(GaussianNB()), Xte, ga)
            continue
        da = ["class_count_", "class_log_prior_"]
        prior = [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.15]  # "0.05,0.05,0.1,...,0.15"
        cases = {
            "mnb": MultinomialNB(),
            "mnb.alpha": MultinomialNB(alpha=0.3, fit_prior=False),
            "mnb.tinyalpha": MultinomialNB(alpha=1e-12),
            "mnb.prior": MultinomialNB(class_prior=prior),
            "cnb": ComplementNB(),
            "cnb.norm": ComplementNB(norm=True, alpha=0.5),
            "bnb": BernoulliNB(binarize=8.0),
            "bnb.alpha": BernoulliNB(binarize=8.0, alpha=2.0, fit_prior=False),
        }
        for name, m in cases.items():
            put_case(g, f"{name}.digits", m.fit(Xtr, ytr), Xte, da)
        put_case(g, "mnb.digits.sw", MultinomialNB().fit(Xtr, ytr, sample_weight=sw), Xte, da)
        put_case(g, "bnb.digits.sw", BernoulliNB(binarize=8.0).fit(Xtr, ytr, sample_weight=sw),
                 Xte, da)
        for name, m in [("mnb", MultinomialNB()), ("cnb", ComplementNB()),
                        ("bnb", BernoulliNB(binarize=8.0))]:
            put_case(g, f"{name}.digits.partial", partial(m), Xte, da + ["feature_count_"])
    g.close()
    print("wrote tests/golden/bayes.txt", os.path.getsize("tests/golden/bayes.txt"), "bytes")


if __name__ == "__main__":
    main()
