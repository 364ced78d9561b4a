"""Golden values for src/ensemble/gbm*.c: XGBoost 1.7.4 (tree_method="hist", nthread=2).

Run from the repository root with /usr/bin/python3:
    /usr/bin/python3 tests/gen/gen_gbm.py
Writes tests/golden/gbm.txt, read by tests/unit/test_golden_gbm.c.

Split: row i is a test row iff (i * 2654435761) mod 2^32 < 2^30 (a fixed ~25%
hash split the C test replays exactly; the number of test rows is stored to
check it). Accuracy cases fit XGBoost with the same parameters cml uses and
store its test metric (RMSE / MAE / logloss / mlogloss) and test predictions
(the first 400 for diamonds, to keep the file small); the C test asserts
cml's metric is within 1% of XGBoost's, or better.

Diamonds: data/diamonds.csv, text columns cut/color/clarity as ordinal codes
in sorted order (what cml's CSV reader gives), target price.

Exact cases: one round, max_bin above the number of distinct values (so the
cuts are the distinct values themselves), reg_lambda=1: the dump of the
first tree with_stats=True gives per node [id, is_leaf, feature, threshold,
default_left, leaf, gain, cover]; the C test asserts the same tree.
"""
import json
import re

import numpy as np
import pandas as pd
import xgboost as xgb

from golden import Golden, load_csv

assert xgb.__version__ == "1.7.4", xgb.__version__


def test_mask(n):
    i = np.arange(n, dtype=np.uint64)
    return ((i * np.uint64(2654435761)) % np.uint64(2**32)) < np.uint64(2**30)


def diamonds():
    df = pd.read_csv("data/diamonds.csv")
    for c in ["cut", "color", "clarity"]:
        cats = sorted(df[c].unique())
        df[c] = df[c].map({v: k for k, v in enumerate(cats)})
    y = df.pop("price").values.astype(np.float64)
    return df.values.astype(np.float64), y


def fit(X, y, params, rounds):
    p = dict(tree_method="hist", nthread=2, seed=0)
    p.update(params)
    return xgb.train(p, xgb.DMatrix(X, label=y), rounds)


def metric(name, y, pred):
    eps = 1e-16
    if name == "rmse":
        return np.sqrt(np.mean((y - pred) ** 2))
    if name == "mae":
        return np.mean(np.abs(y - pred))
    if name == "logloss":
        p = np.clip(pred, eps, 1 - eps)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    if name == "mlogloss":
        p = np.clip(pred[np.arange(len(y)), y.astype(int)], eps, None)
        return -np.mean(np.log(p))
    if name == "poisson-nloglik":
        from scipy.special import gammaln
        p = np.clip(pred, eps, None)
        return np.mean(gammaln(y + 1) + p - y * np.log(p))
    raise ValueError(name)


# name, data, objective, metric, rounds, extra params
CASES = [
    ("diabetes", "diabetes", "reg:squarederror", "rmse", 100, {}),
    ("diabetes_l1", "diabetes", "reg:absoluteerror", "mae", 100, {}),
    ("diabetes_poisson", "diabetes", "count:poisson", "poisson-nloglik", 100, {}),
    ("breast_cancer", "breast_cancer", "binary:logistic", "logloss", 100, {}),
    ("wine", "wine", "multi:softprob", "mlogloss", 100, {}),
    ("digits", "digits", "multi:softprob", "mlogloss", 100, {}),
    ("diamonds", "diamonds", "reg:squarederror", "rmse", 100, {}),
    ("diamonds_lossguide", "diamonds", "reg:squarederror", "rmse", 100,
     {"grow_policy": "lossguide", "max_leaves": 31, "max_depth": 0}),
]


def parse_dump(dump):
    """Rows [id, is_leaf, feature, threshold, default_left, leaf, gain, cover]."""
    rows = []
    for line in dump.strip().split("\n"):
        line = line.strip()
        m = re.match(r"(\d+):\[f(\d+)<([^\]]+)\] yes=(\d+),no=(\d+),missing=(\d+),gain=([^,]+),cover=(.+)", line)
        if m:
            nid, f, thr, yes, no, miss, gain, cover = m.groups()
            rows.append([int(nid), 0, int(f), float(thr), int(miss == yes), 0.0, float(gain), float(cover)])
            continue
        m = re.match(r"(\d+):leaf=([^,]+),cover=(.+)", line)
        assert m, line
        nid, leaf, cover = m.groups()
        rows.append([int(nid), 1, -1, 0.0, 0, float(leaf), 0.0, float(cover)])
    rows.sort()
    return np.array(rows)


def main():
    g = Golden("tests/golden/gbm.txt", __doc__)
    data = {}
    for name in ["diabetes", "breast_cancer", "wine", "digits"]:
        X, y, _ = load_csv(name)
        data[name] = (X, y)
    data["diamonds"] = diamonds()

    for case, dname, obj, mname, rounds, extra in CASES:
        X, y = data[dname]
        te = test_mask(len(y))
        params = dict(objective=obj, eta=0.3, max_depth=6, max_bin=256)
        params.update(extra)
        if obj == "multi:softprob":
            params["num_class"] = int(y.max()) + 1
        b = fit(X[~te], y[~te], params, rounds)
        pred = b.predict(xgb.DMatrix(X[te]))
        val = metric(mname, y[te], pred)
        g.put(f"{case}.n_test", [te.sum()])
        g.put(f"{case}.metric", [val])
        keep = pred[:400] if pred.ndim == 1 else pred[:400].reshape(-1)
        g.put(f"{case}.pred", keep)
        print(f"{case:20s} {mname} = {val:.6g}")
        if case == "diabetes_l1":
            cfg = json.loads(b.save_config())
            g.put(f"{case}.base_score", [float(cfg["learner"]["learner_model_param"]["base_score"])])

    # Exact first trees: regression (depth 2), logistic with NaNs (depth 2).
    X, y = data["diabetes"]
    b = fit(X, y, dict(objective="reg:squarederror", max_depth=2, max_bin=1024, reg_lambda=1), 1)
    g.put("exact_reg.tree", parse_dump(b.get_dump(with_stats=True)[0]))
    X, y = data["breast_cancer"]
    X = X.copy()
    k = np.arange(X.size).reshape(X.shape)
    X[(k * 2654435761) % 97 < 10] = np.nan  # ~10% missing, replayed by the C test
    b = fit(X, y, dict(objective="binary:logistic", max_depth=2, max_bin=1024, reg_lambda=1), 1)
    g.put("exact_logistic.tree", parse_dump(b.get_dump(with_stats=True)[0]))
    b = fit(X, y, dict(objective="binary:logistic", max_depth=1, max_bin=1024, reg_lambda=1,
                       reg_alpha=0.5, max_delta_step=0.3, min_child_weight=2), 1)
    g.put("exact_regularized.tree", parse_dump(b.get_dump(with_stats=True)[0]))
    g.close()


if __name__ == "__main__":
    main()
