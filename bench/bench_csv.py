#!/usr/bin/python3
"""CSV reading speed: cml_csv_read (1 and 2 threads) vs numpy.loadtxt and
pandas.read_csv (C engine) on the same ~100 MB numeric file.

The file: Fashion-MNIST training pixels (Debian's dataset-fashion-mnist),
scaled to [0, 1] and written with 4 decimals ("0.1294"), 784 columns plus
the label; rows are taken in order until ~100 MB. Falls back to the
diabetes rows repeated with seeded noise when Fashion-MNIST is absent.
Deterministic: the same bytes every run. Each timing is the best of 3 and
includes reading the file. Prints one JSON line per implementation:
    {"benchmark":"csv_read", "impl":..., "seconds":..., "mb_per_s":..., plus the
     fields bench/report.py tabulates: "bench", "data", "threads"}
Usage: bench/bench_csv.py [--build build] [--mb 100]   (bench/run also passes --cml)
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np

FMNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
FLABELS = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"


def make_file(path, target_mb):
    """Writes the file unless it is already there; returns a one-line description."""
    desc = "Fashion-MNIST pixels" if os.path.exists(FMNIST) else "diabetes rows + noise"
    if os.path.exists(path) and os.path.getsize(path) > target_mb * 1e6 * 0.9:
        return desc
    target = int(target_mb * 1e6)
    if os.path.exists(FMNIST):
        with gzip.open(FMNIST) as f:
            raw = f.read()
        X = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 784) / 255.0
        with gzip.open(FLABELS) as f:
            y = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
        header = ",".join([f"p{i}" for i in range(784)] + ["label"]) + "\n"
        gen = ((X[i], y[i]) for i in range(X.shape[0]))
    else:
        d = np.loadtxt(os.path.join(os.path.dirname(__file__), "..", "data", "diabetes.csv"),
                       delimiter=",", skiprows=1)
        rng = np.random.default_rng(0)
        header = ",".join(f"c{i}" for i in range(d.shape[1] - 1)) + ",target\n"

        def rows():
            while True:
                for r in d:
                    yield r[:-1] * (1 + 0.01 * rng.standard_normal(r.size - 1)), r[-1]
        gen = rows()
    size = len(header)
    lines = [header]
    for x, label in gen:
        line = ",".join(f"{v:.4f}" for v in x) + f",{label:g}\n"
        lines.append(line)
        size += len(line)
        if size >= target:
            break
    with open(path + ".tmp", "w") as f:
        f.writelines(lines)
    os.replace(path + ".tmp", path)
    return desc


def best_of(fn, reps=3):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--cml", help="the cml binary (unused: bench_csv is timed directly)")
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--file", default="/tmp/cml_bench_csv.csv")
    a = ap.parse_args()
    desc = make_file(a.file, a.mb)
    nbytes = os.path.getsize(a.file)
    exe = os.path.join(a.build, "bench", "bench_csv")
    with open(a.file) as f:
        ncols = f.readline().count(",") + 1
        nrows = sum(1 for _ in f)
    data = f"{desc}, {nrows}x{ncols}, {nbytes / 1e6:.0f} MB"

    def emit(impl, sec, extra=None):
        row = {"benchmark": "csv_read", "bench": "csv_read", "data": data, "impl": impl,
               "threads": 1, "seconds": round(sec, 4), "mb_per_s": round(nbytes / sec / 1e6, 1),
               "bytes": nbytes}
        row.update(extra or {})
        print(json.dumps(row), flush=True)

    for nt in (1, 2):
        env = dict(os.environ, CML_NUM_THREADS=str(nt), OMP_NUM_THREADS=str(nt))
        out = subprocess.run([exe, a.file], env=env, check=True, capture_output=True, text=True)
        r = json.loads(out.stdout)
        emit("cml", r["seconds"], {"threads": nt, "rows": r["rows"], "cols": r["cols"],
                                   "cpu_seconds": r["cpu_seconds"]})

    import pandas as pd
    ref = None

    def pandas_read():
        nonlocal ref
        ref = pd.read_csv(a.file, engine="c")
    emit("pandas.read_csv", best_of(pandas_read), {"rows": ref.shape[0], "cols": ref.shape[1]})

    def numpy_read():
        return np.loadtxt(a.file, delimiter=",", skiprows=1)
    emit("numpy.loadtxt", best_of(numpy_read))


if __name__ == "__main__":
    sys.exit(main())
