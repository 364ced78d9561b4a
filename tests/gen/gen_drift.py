"""Golden values for drift (src/metrics/drift.c): PSI and KL divergence per
feature on reference-quantile bins (numeric) and categories, computed with
numpy the textbook way (np.quantile edges, np.searchsorted bins), on real
data: diamonds of cut "Ideal" (reference) against cut "Fair" (current), and
all of iris against its virginica rows.

Run from the repo root: /usr/bin/python3 tests/gen/gen_drift.py
"""
import csv

import numpy as np

from golden import Golden

EPS = 1e-4


def from_counts(cr, cc, nr, nc):
    keep = (cr > 0) | (cc > 0)
    p, q = cr[keep] / nr, cc[keep] / nc
    p = np.where(p == 0, EPS, p)
    q = np.where(q == 0, EPS, q)
    return [np.sum((q - p) * np.log(q / p)), np.sum(q * np.log(q / p)), keep.sum()]


def numeric(ref, cur, n_bins):
    r = ref[~np.isnan(ref)]
    edges = np.unique(np.quantile(r, np.arange(1, n_bins) / n_bins))

    def counts(x):
        nan = np.isnan(x)
        c = np.bincount(np.searchsorted(edges, x[~nan], side="left"), minlength=len(edges) + 1)
        return np.append(c, nan.sum())

    return from_counts(counts(ref), counts(cur), len(ref), len(cur))


def categorical(ref, cur, levels):
    def counts(x):
        return np.array([np.sum(x == v) for v in levels] + [0])

    return from_counts(counts(ref), counts(cur), len(ref), len(cur))


def main():
    g = Golden("tests/golden/drift.txt", __doc__)
    with open("data/diamonds.csv") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    col = {name: [r[i] for r in body] for i, name in enumerate(head)}
    cut = np.array(col["cut"])
    ref, cur = cut == "Ideal", cut == "Fair"
    numeric_cols = ["carat", "depth", "table", "price", "x", "y", "z"]
    for n_bins in (10, 5):
        out = []
        for name in numeric_cols:
            x = np.array(col[name], dtype=np.float64)
            out.append(numeric(x[ref], x[cur], n_bins))
        g.put(f"diamonds_numeric_bins{n_bins}", out)  # rows: numeric_cols; psi, kl, bins
    out = []
    for name in ["color", "clarity"]:
        x = np.array(col[name])
        out.append(categorical(x[ref], x[cur], sorted(set(x))))
    g.put("diamonds_categorical", out)  # rows: color, clarity; psi, kl, bins
    g.put("diamonds_rows", [ref.sum(), cur.sum()])

    X = np.loadtxt("data/iris.csv", delimiter=",", skiprows=1)
    virginica = X[X[:, -1] == 2]
    out = [numeric(X[:, j], virginica[:, j], 10) for j in range(4)]
    g.put("iris_virginica_bins10", out)
    g.close()


if __name__ == "__main__":
    main()
