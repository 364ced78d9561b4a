#!/usr/bin/python3
"""Exports scikit-learn's bundled classic data sets to data/*.csv (run from the repo root).

Uses Debian's python3-sklearn (run with /usr/bin/python3). Features keep their upstream
values; the last column is `target`.
"""
import csv

import sklearn.datasets as d


def fmt(v):
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def dump(name, bunch, float_target=False):
    cols = [str(c).replace(" ", "_").replace("(", "").replace(")", "") for c in bunch.feature_names]
    with open(f"data/{name}.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols + ["target"])
        for xi, yi in zip(bunch.data, bunch.target):
            w.writerow([fmt(v) for v in xi] + [repr(float(yi)) if float_target else int(yi)])
    print(name, bunch.data.shape)


if __name__ == "__main__":
    dump("iris", d.load_iris())
    dump("wine", d.load_wine())
    dump("breast_cancer", d.load_breast_cancer())
    dump("digits", d.load_digits())
    dump("diabetes", d.load_diabetes(scaled=False), float_target=True)
