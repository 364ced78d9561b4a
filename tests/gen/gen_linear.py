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

CLASSES = {"linear_regression": LinearRegression, "ridge": Ridge, "lasso": Lasso,
           "elastic_net": ElasticNet}


def datasets():
    X, y, _ = load_csv("diabetes")
    std = (X - X.mean(axis=0)) / X.std(axis=0)
    dup = np.hstack([X, X[:, 2:3]])
    const = np.hstack([X, np.full((X.shape[0], 1), 3.0)])
    D, t, _ = load_csv("digits")
    return {"raw": (X, y), "std": (std, y), "dup": (dup, y), "const": (const, y), "wide": (D[:40], t[:40])}


def main():
    assert sklearn.__version__ == "1.2.1", sklearn.__version__
    data = datasets()
    g = Golden("tests/golden/linear.txt", __doc__ + f"\nscikit-learn {sklearn.__version__}")
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
    g.close()


if __name__ == "__main__":
    main()
