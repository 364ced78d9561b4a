#!/usr/bin/python3
"""Golden values for cml's vector index (tests/golden/index.txt).

Run from the repo root: /usr/bin/python3 tests/gen/gen_index.py
(needs Debian's python3-sklearn and python3-hnswlib).

Data: digits (1797 x 64) as float32; base = first 1497 rows, queries = last 300.
  exact.l2.idx / exact.l2.dist   sklearn NearestNeighbors(brute, euclidean) k = 10, squared
                                 distances (cml reports squared l2, as hnswlib)
  hnswlib.l2.recall              tie-aware recall@10 of hnswlib 0.6.2 (M=16,
                                 ef_construction=200, random_seed=100, 1 thread) at ef in EFS
  efs                            the ef values
Tie-aware recall: a returned row counts when its exact distance is <= the 10th exact distance
(digits are small integers: many neighbours tie exactly).
"""
import os
import sys

import hnswlib
import numpy as np
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, os.path.dirname(__file__))
from golden import Golden, load_csv  # noqa: E402

NB, K, EFS = 1497, 10, [10, 20, 40, 80]


def main():
    X, _, _ = load_csv("digits")
    X = X.astype(np.float32)
    B, Q = X[:NB], X[NB:]
    nn = NearestNeighbors(n_neighbors=K, algorithm="brute", metric="euclidean").fit(B.astype(np.float64))
    dist, idx = nn.kneighbors(Q.astype(np.float64))
    kth = dist[:, -1] ** 2
    g = Golden("tests/golden/index.txt", __doc__)
    g.put("exact.l2.idx", idx)
    g.put("exact.l2.dist", dist ** 2)
    p = hnswlib.Index(space="l2", dim=X.shape[1])
    p.init_index(max_elements=NB, M=16, ef_construction=200, random_seed=100)
    p.add_items(B, np.arange(NB), num_threads=1)
    rec = []
    for ef in EFS:
        p.set_ef(ef)
        lab, _ = p.knn_query(Q, k=K, num_threads=1)
        d = ((B[lab].astype(np.float64) - Q[:, None, :].astype(np.float64)) ** 2).sum(-1)
        rec.append(float(np.mean(d <= kth[:, None] + 1e-6 * (1 + kth[:, None]))))
    print("hnswlib recall@10:", dict(zip(EFS, rec)))
    g.put("efs", EFS)
    g.put("hnswlib.l2.recall", rec)
    g.close()


if __name__ == "__main__":
    main()
