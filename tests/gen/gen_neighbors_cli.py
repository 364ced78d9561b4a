"""Golden neighbour lists for `cml neighbors` (tests/cli/test_neighbors.sh).

Run from the repository root with /usr/bin/python3:
    /usr/bin/python3 tests/gen/gen_neighbors_cli.py
Writes tests/golden/neighbors_cli_*.csv in the command's output format
(query,rank,index,distance; 0-based rows).

Split: training rows are the data rows with even 0-based index, queries
the odd ones (the CLI test makes the same split with awk). scikit-learn
1.2.1 NearestNeighbors with algorithm="kd_tree" (exact distances, the ones
cml computes):
  bc_k5      breast_cancer, raw features, k = 5
  bc_r40     breast_cancer, radius_neighbors(radius=40, sort_results=True)
  wine_std_k4  wine through StandardScaler fitted on the training rows, k = 4
"""
import sys

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, "tests/gen")
from golden import load_csv  # noqa: E402


def write(name, dist, ind):
    with open(f"tests/golden/neighbors_cli_{name}.csv", "w") as f:
        f.write("query,rank,index,distance\n")
        for q, (d, i) in enumerate(zip(dist, ind)):
            for r, (dd, ii) in enumerate(zip(d, i)):
                f.write(f"{q},{r},{ii},{dd!r}\n")


def check_no_ties(dist):
    for d in dist:
        d = np.asarray(d)
        if len(d) > 1:
            assert np.min(np.diff(d)) > 1e-9 * max(1.0, d.max()), "tie: order would be ambiguous"


X, y, _ = load_csv("breast_cancer")
tr, q = X[0::2], X[1::2]
nn = NearestNeighbors(algorithm="kd_tree").fit(tr)
d, i = nn.kneighbors(q, 5)
check_no_ties(d)
write("bc_k5", d, i)
d, i = nn.radius_neighbors(q, radius=40.0, sort_results=True)
check_no_ties(d)
write("bc_r40", d, i)

X, y, _ = load_csv("wine")
tr, q = X[0::2], X[1::2]
sc = StandardScaler().fit(tr)
nn = NearestNeighbors(algorithm="kd_tree").fit(sc.transform(tr))
d, i = nn.kneighbors(sc.transform(q), 4)
check_no_ties(d)
write("wine_std_k4", d, i)
