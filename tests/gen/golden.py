"""Shared writer for golden files (tests/golden/*.txt), read by tests/unit/helpers/golden.c.

Format: text, one array per block:
    # free comment lines
    @name rows cols
    v v v ...        (rows lines of cols values, repr() so doubles round-trip; nan/inf allowed)
Vectors are written as rows=1. Import from a generator script in tests/gen/.
"""
import numpy as np


class Golden:
    def __init__(self, path, comment):
        self.f = open(path, "w")
        for line in comment.strip().splitlines():
            self.f.write(f"# {line}\n")

    def put(self, name, arr):
        a = np.asarray(arr, dtype=np.float64)
        if a.ndim == 0:
            a = a.reshape(1, 1)
        elif a.ndim == 1:
            a = a.reshape(1, -1)
        elif a.ndim > 2:
            a = a.reshape(a.shape[0], -1)
        self.f.write(f"@{name} {a.shape[0]} {a.shape[1]}\n")
        for row in a:
            self.f.write(" ".join(repr(float(v)) for v in row) + "\n")

    def close(self):
        self.f.close()


def load_csv(name):
    """Returns (X, y, feature_names) of data/<name>.csv, target = last column."""
    import csv
    with open(f"data/{name}.csv") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], np.array(rows[1:], dtype=np.float64)
    return body[:, :-1], body[:, -1], header[:-1]
