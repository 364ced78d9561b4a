"""TreeSHAP and imported-model speed: cml vs XGBoost 1.7.4 on the same model.

Trains XGBoost (hist, nthread=2) on diamonds (text columns as sorted ordinal codes, as
cml's CSV reader gives them), saves it as JSON, then on the held-out rows times
  - XGBoost predict(pred_contribs=True)      vs  `cml explain --model m.json` (shap_seconds)
and checks that the contributions agree (max |diff|, and relative to the margin scale).
Prints a markdown table. Not part of `make bench` (its rows have their own columns):
    /usr/bin/python3 bench/shap_vs_xgboost.py --cml build/cml
"""
import argparse
import csv
import json
import os
import subprocess
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xgboost as xgb  # noqa: E402


def best_of(fn, n=3):
    best, out = float("inf"), None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cml", required=True)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--depth", type=int, default=6)
    a = ap.parse_args()
    df = pd.read_csv("data/diamonds.csv")
    for c in ["cut", "color", "clarity"]:
        df[c] = df[c].map({v: k for k, v in enumerate(sorted(df[c].unique()))})
    y = df.pop("price").values.astype(np.float64)
    X = df.values.astype(np.float64)
    i = np.arange(len(X), dtype=np.uint64)
    test = ((i * np.uint64(2654435761)) % np.uint64(2**32)) < np.uint64(2**30)
    b = xgb.train(dict(tree_method="hist", nthread=2, seed=0, max_depth=a.depth),
                  xgb.DMatrix(X[~test], label=y[~test]), a.rounds)
    with tempfile.TemporaryDirectory() as d:
        mj = os.path.join(d, "m.json")
        b.save_model(mj)
        data = os.path.join(d, "test.csv")
        df[test].to_csv(data, index=False)
        dt = xgb.DMatrix(X[test])
        t_x, phi_x = best_of(lambda: b.predict(dt, pred_contribs=True))
        t_xp, _ = best_of(lambda: b.predict(dt))
        out = os.path.join(d, "shap.csv")
        runs = []
        for _ in range(3):
            r = subprocess.run([a.cml, "explain", "--model", mj, "--data", data, "--out", out,
                                "--json", "--quiet", "--threads", "2"],
                               capture_output=True, text=True, check=True)
            runs.append(json.loads(r.stdout.strip().splitlines()[-1])["shap_seconds"])
        with open(out) as f:
            rows = list(csv.reader(f))
        phi_c = np.array(rows[1:], dtype=np.float64)
    diff = np.abs(phi_c - phi_x).max()
    scale = np.abs(phi_x.sum(axis=1)).max()
    n = int(test.sum())
    print(f"diamonds test {n}x{X.shape[1]}, XGBoost {a.rounds} rounds depth {a.depth}, 2 threads")
    print()
    print("| task | cml | XGBoost 1.7.4 | speed-up | max abs diff (rel. to max margin) |")
    print("|---|---|---|---|---|")
    print(f"| TreeSHAP, {n} rows | {min(runs)*1e3:.1f} ms | {t_x*1e3:.1f} ms | "
          f"**{t_x/min(runs):.2f}x** | {diff:.3g} ({diff/scale:.2g}) |")
    print(f"| (XGBoost plain predict, same rows) | | {t_xp*1e3:.1f} ms | | |")


if __name__ == "__main__":
    main()
