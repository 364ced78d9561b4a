"""cml vs scikit-learn: every linear model on real data, same matrices, same run.

cml is timed by bench/bench_fit (libcml in-process, best of 3), the reference by best_of (best
of 3): the same protocol, the algorithm alone. Data: diamonds (53,940 rows; cut/color/clarity one-hot encoded, features standardized,
target price; 75/25 split), Fashion-MNIST (10,000 train / 10,000 test images, pixels / 255,
10 classes), breast_cancer and digits (standardized). Both implementations get the identical
float64 matrices (cml through a CSV written with %.17g, so the values are bit-identical).
"""
import os
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402  (sets BLAS threads before numpy loads)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import linear_model, metrics  # noqa: E402

warnings.filterwarnings("ignore")  # ConvergenceWarning at max_iter: both sides stop at the same cap
a = common.args()
tmp = tempfile.mkdtemp(prefix="cml-bench-")
REF = common.sklearn_version()




def standardize(Xtr, Xte):
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd[sd == 0] = 1
    return (Xtr - mu) / sd, (Xte - mu) / sd


def datasets():
    root = os.path.join(os.path.dirname(__file__), "..", "data")
    d = pd.read_csv(os.path.join(root, "diamonds.csv"))
    y = d.pop("price").to_numpy(np.float64)
    X = pd.get_dummies(d, columns=["cut", "color", "clarity"]).to_numpy(np.float64)
    Xtr, ytr, Xte, yte = common.split(X, y)
    Xtr, Xte = standardize(Xtr, Xte)
    yield "diamonds", "regression", Xtr, ytr, Xte, yte
    # One indicator per level makes each categorical's columns sum to 1: with the intercept the
    # design has rank 23 of 26, and least squares must decide the rank (sklearn's lstsq then
    # returns ~1e15 coefficients whose size is set by rounding). Dropping the first level, as
    # a statistician would, gives a full-rank design: OLS alone is also run on that one.
    X1 = pd.get_dummies(d, columns=["cut", "color", "clarity"], drop_first=True).to_numpy(np.float64)
    Xtr, ytr, Xte, yte = common.split(X1, y)
    Xtr, Xte = standardize(Xtr, Xte)
    yield "diamonds drop_first", "full-rank regression", Xtr, ytr, Xte, yte
    for name in ["breast_cancer", "digits"]:
        t = np.loadtxt(os.path.join(root, f"{name}.csv"), delimiter=",", skiprows=1)
        Xtr, ytr, Xte, yte = common.split(t[:, :-1], t[:, -1])
        Xtr, Xte = standardize(Xtr, Xte)
        yield name, "classification", Xtr, ytr, Xte, yte
    Xtr, ytr = common.fashion_mnist("train", 10000)
    Xte, yte = common.fashion_mnist("t10k", 10000)
    yield "fashion-mnist-10k", "classification", Xtr, ytr, Xte, yte


CASES = {
    "regression": [
        ("linear_regression", {}, lambda: linear_model.LinearRegression()),
        ("ridge", {"alpha": 1.0}, lambda: linear_model.Ridge(alpha=1.0)),
        # defaults against defaults (cml: precompute=auto -> Gram for n >> p; sklearn: False),
        # then each path against its own kind: Gram vs Gram, sklearn's exact path vs ours
        ("lasso", {"alpha": 1.0}, lambda: linear_model.Lasso(alpha=1.0)),
        ("lasso", {"alpha": 1.0, "precompute": "true"}, lambda: linear_model.Lasso(alpha=1.0, precompute=True)),
        ("lasso", {"alpha": 1.0, "precompute": "false"}, lambda: linear_model.Lasso(alpha=1.0)),
        ("elastic_net", {"alpha": 0.1, "l1_ratio": 0.5}, lambda: linear_model.ElasticNet(alpha=0.1, l1_ratio=0.5)),
        ("elastic_net", {"alpha": 0.1, "l1_ratio": 0.5, "precompute": "true"},
         lambda: linear_model.ElasticNet(alpha=0.1, l1_ratio=0.5, precompute=True)),
        ("elastic_net", {"alpha": 0.1, "l1_ratio": 0.5, "precompute": "false"},
         lambda: linear_model.ElasticNet(alpha=0.1, l1_ratio=0.5)),
    ],
    "full-rank regression": [
        ("linear_regression", {}, lambda: linear_model.LinearRegression()),
    ],
    "classification": [
        ("logistic_regression", {"max_iter": 200}, lambda: linear_model.LogisticRegression(max_iter=200)),
    ],
}

for name, task, Xtr, ytr, Xte, yte in datasets():
    train, test = os.path.join(tmp, f"{name}-train.csv"), os.path.join(tmp, f"{name}-test.csv")
    common.write_csv(train, Xtr, ytr)
    common.write_csv(test, Xte, yte)
    metric = "accuracy" if task == "classification" else "r2"
    label = f"{name} {Xtr.shape[0]}x{Xtr.shape[1]}"
    for algo, params, make in CASES[task]:
        task_label = algo + ("" if "precompute" not in params else f" (precompute={params['precompute']} / sklearn {make().precompute})")
        ours = common.cml_fit(a.build, algo, train, test, metric, params)
        common.emit(bench="linear models", task=task_label, data=label, impl="cml", metric=metric,
                    value=ours["value"], fit_s=ours["fit_s"], predict_s=ours["predict_s"],
                    blas=ours["blas"])
        ref_fit, est = common.best_of(lambda: make().fit(Xtr, ytr))
        ref_pred, pred = common.best_of(lambda: est.predict(Xte))
        value = metrics.accuracy_score(yte, pred) if task == "classification" else metrics.r2_score(yte, pred)
        common.emit(bench="linear models", task=task_label, data=label, impl=REF, metric=metric,
                    value=value, fit_s=ref_fit, predict_s=ref_pred,
                    note="scikit-learn ran with OpenBLAS and OPENBLAS_CORETYPE=SkylakeX (its fast "
                         "kernels); cml with BLIS; 2 threads each.")
