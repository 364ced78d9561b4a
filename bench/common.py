"""Shared helpers for bench/bench_*.py: run cml with --json, time the reference, emit rows.

Every row is one JSON object on stdout:
  {"bench": "linear", "task": "...", "data": "diamonds 53940x26", "impl": "cml" | "scikit-learn 1.2.1",
   "metric": "r2", "value": 0.92, "fit_s": ..., "predict_s": ..., "threads": 2, "blas": "..."}
report.py pairs the cml row with the reference row of the same (bench, task, data).

Fairness rules (DESIGN.md): same data, same hyper-parameters, same run; fit/predict time is
the algorithm's own (cml's --json fit_seconds excludes CSV parsing, and the reference is timed
around .fit() alone); the reference gets its fast BLAS kernels (OPENBLAS_CORETYPE=SkylakeX is
set for this Python process before numpy loads) and the same thread count.
"""
import json
import os
import subprocess
import sys
import time

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
# Give numpy/scipy's OpenBLAS its fast kernels and the same thread budget as cml; must be set
# before numpy is imported by the caller.
os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))


def args():
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--cml", required=True)
    p.add_argument("--build", required=True)
    return p.parse_args()


def run(cmd, **kw):
    """subprocess.run for a cml process, once this process's BLAS threads are asleep: OpenBLAS's
    workers spin for about 2^28 cycles (its THREAD_TIMEOUT, ~0.1 s) after each call, so a cml
    started right after a reference call would share the two cores with them (measured: OLS
    fit 12 ms alone, 44 ms started just after sklearn)."""
    time.sleep(0.3)
    env = dict(kw.pop("env", None) or os.environ)
    # OMP_NUM_THREADS is set above for the reference's OpenBLAS; inherited by cml it would make
    # BLIS (OpenMP build) thread every small call cml makes inside its own parallel loops (OLS
    # fit on diamonds: 15 ms without, 92 ms with). cml gets its thread count from CML_NUM_THREADS
    # / --threads, as a user running it with default settings does.
    for k in ("OMP_NUM_THREADS", "BLIS_NUM_THREADS"):
        env.pop(k, None)
    env.setdefault("CML_NUM_THREADS", str(THREADS))
    return subprocess.run(cmd, env=env, **kw)


def split(X, y, seed=0, test=0.25):
    """The benches' train/test split: a seeded permutation, the first 75% to train (every script
    uses it, so rows on the same data set are comparable)."""
    import numpy as np
    idx = np.random.RandomState(seed).permutation(len(y))
    k = int(len(y) * (1 - test))
    return X[idx[:k]], y[idx[:k]], X[idx[k:]], y[idx[k:]]


def cml(binary, *argv):
    """Runs `cml ... --json` and returns the parsed JSON object."""
    cmd = [binary, *argv, "--json", "--quiet", "--threads", str(THREADS)]
    r = run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def cml_fit(build, algo, train, test, metric, params=None, repeats=3):
    """Fits and predicts with bench_fit (libcml in-process, best of `repeats`, the same protocol
    as the reference's best_of); returns its JSON row."""
    cmd = [os.path.join(build, "bench", "bench_fit"), algo, train, test, metric, str(repeats)]
    cmd += [f"{k}={v}" for k, v in (params or {}).items()]
    env = dict(os.environ, CML_NUM_THREADS=str(THREADS))
    r = run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def best_of(fn, repeat=3):
    """Minimum wall time of fn() over `repeat` runs, and its last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def emit(**row):
    row.setdefault("threads", THREADS)
    print(json.dumps(row), flush=True)


def sklearn_version():
    import sklearn
    return f"scikit-learn {sklearn.__version__}"


def write_csv(path, X, y=None, header=None):
    """Writes X (and y as a last `target` column) with a header, %.17g, for cml to read."""
    import numpy as np
    cols = header or [f"f{j}" for j in range(X.shape[1])]
    data = X if y is None else np.column_stack([X, y])
    if y is not None:
        cols = list(cols) + ["target"]
    np.savetxt(path, data, delimiter=",", header=",".join(cols), comments="", fmt="%.17g")


def fashion_mnist(kind="train", n=None):
    """Fashion-MNIST from Debian's dataset-fashion-mnist: (X uint8 -> float / 255, y)."""
    import gzip
    import numpy as np
    base = "/usr/share/datasets/fashion-mnist"
    with gzip.open(f"{base}/{kind}-images-idx3-ubyte.gz") as f:
        X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{base}/{kind}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    if n:
        X, y = X[:n], y[:n]
    return X.astype(np.float64) / 255.0, y.astype(np.float64)
