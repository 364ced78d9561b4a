#!/usr/bin/python3
"""Golden values for cml's nearest neighbours (tests/golden/neighbors.txt).

Run from the repo root with Debian's scikit-learn 1.2.1: /usr/bin/python3 tests/gen/gen_neighbors.py

For each data set a train/test split (train_test_split, test_size=0.25, random_state=0, both
index lists sorted) is stored as `<ds>.test_idx`; train rows are the others, in order.
  nn.<ds>.<metric>.idx / .dist   kneighbors of the first NQ test rows, k = 15
  knn.<ds>.<metric>.k<k>.<w>.pred   KNeighborsClassifier predictions on all test rows
  knn.<ds>.<metric>.k<k>.<w>.proba  predict_proba of the first NP test rows
  knr.diabetes.<metric>.k<k>.<w>.pred   KNeighborsRegressor predictions
References use algorithm="kd_tree" (exact distances, summed in feature order) except for
cosine (brute only). The script also fits every other algorithm and prints how often
scikit-learn's own algorithms disagree with each other (exact ties / brute's GEMM rounding),
which is reported, not stored.
"""
import os
import sys

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors

sys.path.insert(0, os.path.dirname(__file__))
from golden import Golden, load_csv  # noqa: E402

NQ, NP, KMAX = 12, 8, 15
METRICS = {
    "euclidean": dict(metric="euclidean"),
    "manhattan": dict(metric="manhattan"),
    "minkowski3": dict(metric="minkowski", p=3),
    "cosine": dict(metric="cosine"),
}


def split(name):
    X, y, _ = load_csv(name)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0)
    tr, te = np.sort(tr), np.sort(te)
    return X, y, tr, te


def ref_algo(metric):
    return "brute" if metric == "cosine" else "kd_tree"


def main():
    g = Golden("tests/golden/neighbors.txt", __doc__.split("\n\n")[0] + "\nscikit-learn 1.2.1")
    for ds in ["iris", "wine", "breast_cancer", "digits", "diabetes"]:
        X, y, tr, te = split(ds)
        g.put(f"{ds}.test_idx", te)
        Xtr, ytr, Xte = X[tr], y[tr], X[te]
        for mname, kw in METRICS.items():
            algo = ref_algo(mname)
            if ds != "diabetes":
                nn = NearestNeighbors(n_neighbors=KMAX, algorithm=algo, **kw).fit(Xtr)
                d, i = nn.kneighbors(Xte[:NQ])
                g.put(f"nn.{ds}.{mname}.idx", i)
                g.put(f"nn.{ds}.{mname}.dist", d)
                for other in ["brute", "ball_tree", "kd_tree"]:
                    if other == algo or mname == "cosine":
                        continue
                    d2, i2 = NearestNeighbors(n_neighbors=KMAX, algorithm=other, **kw).fit(
                        Xtr).kneighbors(Xte)
                    d1, i1 = nn.kneighbors(Xte)
                    print(f"{ds} {mname}: sklearn {other} vs {algo}: {np.sum(i1 != i2)} index "
                          f"differences, max |ddist| {np.abs(d1 - d2).max():.3g}")
            for k in [1, 5, 15]:
                for w in ["uniform", "distance"]:
                    if ds == "diabetes":
                        m = KNeighborsRegressor(n_neighbors=k, weights=w, algorithm=algo, **kw)
                        g.put(f"knr.{ds}.{mname}.k{k}.{w}.pred", m.fit(Xtr, ytr).predict(Xte))
                        continue
                    m = KNeighborsClassifier(n_neighbors=k, weights=w, algorithm=algo, **kw)
                    m.fit(Xtr, ytr)
                    g.put(f"knn.{ds}.{mname}.k{k}.{w}.pred", m.predict(Xte))
                    g.put(f"knn.{ds}.{mname}.k{k}.{w}.proba", m.predict_proba(Xte[:NP]))
    g.close()
    print("wrote tests/golden/neighbors.txt", os.path.getsize("tests/golden/neighbors.txt"), "bytes")


if __name__ == "__main__":
    main()
