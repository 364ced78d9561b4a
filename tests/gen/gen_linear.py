"""Golden values for the regression linear models (tests/unit/test_golden_linear.c).

Run from the repo root with Debian's Python: /usr/bin/python3 tests/gen/gen_linear.py
Writes tests/golden/linear.txt. Reference: scikit-learn 1.2.1.

Data sets (the C test rebuilds them the same way):
  raw   diabetes.csv as stored (unscaled features), y = target
  std   raw standardized per column: (x - mean) / std (ddof 0)
  dup   raw with column 2 (bmi) appended again: rank 10 of 11 columns
  const raw with a constant column (all 3.0) appended: X^T X is singular after
        centering, so Ridge's Cholesky fails and falls back to SVD
  wide  digits.csv first 40 rows, 64 pixels -> y = the digit as a number (p > n)
  diam  diamonds.csv first 1500 rows: carat, depth, table, x, y, z and cut,
        color, clarity as ordinal codes (index in the sorted distinct levels
        of those 1500 rows), standardized as std; y = price. Stored raw as
        diam.X / diam.y (the C test cannot parse the text columns) and
        standardized by the test; 1500 rows (not 4000) keep the file small
        while n >= 1000 >= 2p puts cml's precompute=auto on the Gram path.
        Fitted by sklearn with precompute=True (enet_coordinate_descent_gram).
  diam3 diam with the squares and the cubes of its (standardized) columns
        appended: 27 columns, condition number ~1.7e3, so cml's OLS takes its
        two-pass Cholesky QR (diam, kappa ~92, takes the one-pass Cholesky).
Weights (case names ending in _sw): w_i = 0.5 * (i % 7), zeros included.
For each case <c>: <c>.coef, <c>.intercept, <c>.pred (first 40 training
rows), and <c>.n_iter / <c>.dual_gap for coordinate descent, <c>.rank /
<c>.singular for linear_regression.
"""
import sys
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge

sys.path.insert(0, "tests/gen")
from golden import Golden, load_csv  # noqa: E402

N_PRED = 40

# name, algorithm, data, params (as the C test passes them), weighted
CASES = [
    ("ols_raw", "linear_regression", "raw", {}, False),
    ("ols_raw_noint", "linear_regression", "raw", {"fit_intercept": False}, False),
    ("ols_std", "linear_regression", "std", {}, False),
    ("ols_raw_sw", "linear_regression", "raw", {}, True),
    ("ols_std_sw_noint", "linear_regression", "std", {"fit_intercept": False}, True),
    ("ols_dup", "linear_regression", "dup", {}, False),
    ("ols_dup_sw", "linear_regression", "dup", {}, True),
    ("ols_wide", "linear_regression", "wide", {}, False),
]
for data in ("raw", "std"):
    for alpha in (0.1, 1.0, 10.0):
        for solver in ("cholesky", "svd"):
            CASES.append((f"ridge_{data}_a{alpha:g}_{solver}", "ridge", data,
                          {"alpha": alpha, "solver": solver}, False))
CASES += [
    ("ridge_raw_noint", "ridge", "raw", {"fit_intercept": False}, False),
    ("ridge_raw_sw", "ridge", "raw", {"alpha": 0.5}, True),
    ("ridge_std_sw_svd", "ridge", "std", {"alpha": 2.0, "solver": "svd"}, True),
    ("ridge_dup_a0.01_svd", "ridge", "dup", {"alpha": 0.01, "solver": "svd"}, False),
    ("ridge_std_a0_svd", "ridge", "std", {"alpha": 0.0, "solver": "svd"}, False),
    ("ridge_const_a0_cholesky", "ridge", "const", {"alpha": 0.0, "solver": "cholesky"}, False),
    ("ridge_wide_cholesky", "ridge", "wide", {"alpha": 1.0, "solver": "cholesky"}, False),
    ("ridge_wide_svd", "ridge", "wide", {"alpha": 1.0, "solver": "svd"}, False),
]
TIGHT = {"tol": 1e-10, "max_iter": 100000}
for data in ("raw", "std"):
    for alpha in (0.1, 1.0):
        CASES.append((f"lasso_{data}_a{alpha:g}", "lasso", data, {"alpha": alpha}, False))
        CASES.append((f"lasso_{data}_a{alpha:g}_tight", "lasso", data,
                      {"alpha": alpha, **TIGHT}, False))
    for l1 in (0.3, 0.7):
        CASES.append((f"enet_{data}_l{l1:g}", "elastic_net", data,
                      {"alpha": 0.5, "l1_ratio": l1}, False))
        CASES.append((f"enet_{data}_l{l1:g}_tight", "elastic_net", data,
                      {"alpha": 0.5, "l1_ratio": l1, **TIGHT}, False))
CASES += [
    ("lasso_std_noint_tight", "lasso", "std", {"alpha": 0.5, "fit_intercept": False, **TIGHT},
     False),
    ("lasso_std_positive_tight", "lasso", "std", {"alpha": 0.1, "positive": True, **TIGHT},
     False),
    ("lasso_std_sw_tight", "lasso", "std", {"alpha": 0.3, **TIGHT}, True),
    ("enet_raw_sw_tight", "elastic_net", "raw", {"alpha": 0.5, "l1_ratio": 0.5, **TIGHT}, True),
    ("lasso_raw_a1_iter5", "lasso", "raw", {"alpha": 1.0, "max_iter": 5}, False),
    ("lasso_wide", "lasso", "wide", {"alpha": 0.1}, False),
    ("lasso_wide_tight", "lasso", "wide", {"alpha": 0.1, **TIGHT}, False),
    ("enet_wide_tight", "elastic_net", "wide", {"alpha": 0.1, "l1_ratio": 0.5, **TIGHT}, False),
]

GRAM = {"precompute": True}
CASES += [
    ("lasso_diam_gram", "lasso", "diam", {"alpha": 1.0, **GRAM}, False),
    ("lasso_diam_gram_tight", "lasso", "diam", {"alpha": 1.0, **GRAM, **TIGHT}, False),
    ("enet_diam_gram", "elastic_net", "diam", {"alpha": 0.1, "l1_ratio": 0.5, **GRAM}, False),
    ("enet_diam_gram_tight", "elastic_net", "diam",
     {"alpha": 0.1, "l1_ratio": 0.5, **GRAM, **TIGHT}, False),
    # 1500 rows = three of cml's 512-row Gram blocks: checks the block merge
    ("ridge_diam", "ridge", "diam", {"alpha": 1.0}, False),
    ("ridge_diam_sw", "ridge", "diam", {"alpha": 0.5}, True),
    ("ols_diam", "linear_regression", "diam", {}, False),
    ("ols_diam_sw", "linear_regression", "diam", {}, True),
    ("ols_diam3", "linear_regression", "diam3", {}, False),
    ("ols_diam3_sw", "linear_regression", "diam3", {}, True),
]
N_DIAM = 1500

CLASSES = {"linear_regression": LinearRegression, "ridge": Ridge, "lasso": Lasso,
           "elastic_net": ElasticNet}


def diamonds_raw():
    """First N_DIAM rows of diamonds.csv: 9 numeric columns, price last."""
    import csv
    with open("data/diamonds.csv") as f:
        rows = list(csv.reader(f))[1 : N_DIAM + 1]
    # header: carat cut color clarity depth table price x y z
    codes = {k: {v: i for i, v in enumerate(sorted({r[k] for r in rows}))} for k in (1, 2, 3)}
    out = [[float(r[0]), float(r[4]), float(r[5]), float(r[7]), float(r[8]), float(r[9]),
            codes[1][r[1]], codes[2][r[2]], codes[3][r[3]], float(r[6])] for r in rows]
    return np.array(out, dtype=np.float64)


def datasets():
    X, y, _ = load_csv("diabetes")
    std = (X - X.mean(axis=0)) / X.std(axis=0)
    dup = np.hstack([X, X[:, 2:3]])
    const = np.hstack([X, np.full((X.shape[0], 1), 3.0)])
    D, t, _ = load_csv("digits")
    dm = diamonds_raw()
    diam = (dm[:, :-1] - dm[:, :-1].mean(axis=0)) / dm[:, :-1].std(axis=0)
    diam3 = np.hstack([diam, diam * diam, diam * diam * diam])
    return {"diam_raw": dm, "diam": (diam, dm[:, -1]), "diam3": (diam3, dm[:, -1]), "raw": (X, y), "std": (std, y), "dup": (dup, y), "const": (const, y), "wide": (D[:40], t[:40])}


def main():
    assert sklearn.__version__ == "1.2.1", sklearn.__version__
    data = datasets()
    g = Golden("tests/golden/linear.txt", __doc__ + f"\nscikit-learn {sklearn.__version__}")
    dm = data.pop("diam_raw")
    for name, algo, dname, params, weighted in CASES:
        X, y = data[dname]
        sw = 0.5 * (np.arange(X.shape[0]) % 7) if weighted else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m = CLASSES[algo](**params).fit(X, y, sample_weight=sw)
        g.put(f"{name}.coef", m.coef_)
        g.put(f"{name}.intercept", m.intercept_)
        g.put(f"{name}.pred", m.predict(X[:N_PRED]))
        if algo == "linear_regression":
            g.put(f"{name}.rank", m.rank_)
            g.put(f"{name}.singular", m.singular_)
        if algo in ("lasso", "elastic_net"):
            g.put(f"{name}.n_iter", m.n_iter_)
            g.put(f"{name}.dual_gap", m.dual_gap_)
            print(f"{name:28s} n_iter {m.n_iter_:6d} gap {m.dual_gap_:.3g}")
    # appended after the original arrays so those stay byte-identical
    g.put("diam.X", dm[:, :-1])
    g.put("diam.y", dm[:, -1])
    g.close()


if __name__ == "__main__":
    main()
