"""cml vs the reference for the estimators beyond the linear models, same data, same run.

Each case: the same float64 matrices for both sides (cml through a %.17g CSV), the same
hyper-parameters, 2 threads each; cml timed in-process by bench/bench_fit (best of N), the
reference around .fit()/.predict() (best of N). References: scikit-learn 1.2.1, XGBoost 1.7.4
(tree_method=hist). Data: digits, diamonds (text columns as ordinal codes, as cml's CSV reader
gives them), Fashion-MNIST subsets (pixels / 255).
"""
import os
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402  (sets BLAS threads before numpy loads)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import cluster, decomposition, ensemble, metrics, svm  # noqa: E402

warnings.filterwarnings("ignore")
a = common.args()
tmp = tempfile.mkdtemp(prefix="cml-bench-est-")
REF = common.sklearn_version()
T = common.THREADS
ROOT = os.path.join(os.path.dirname(__file__), "..", "data")


def split(X, y, seed=0, test=0.25):
    idx = np.random.RandomState(seed).permutation(len(y))
    k = int(len(y) * (1 - test))
    return X[idx[:k]], y[idx[:k]], X[idx[k:]], y[idx[k:]]


def data():
    t = np.loadtxt(os.path.join(ROOT, "digits.csv"), delimiter=",", skiprows=1)
    out = {"digits": split(t[:, :-1], t[:, -1])}
    d = pd.read_csv(os.path.join(ROOT, "diamonds.csv"))
    y = d.pop("price").to_numpy(np.float64)
    for c in ["cut", "color", "clarity"]:
        d[c] = pd.Categorical(d[c], categories=sorted(d[c].unique())).codes
    out["diamonds"] = split(d.to_numpy(np.float64), y)
    X, y = common.fashion_mnist("train", 20000)
    out["fashion-20k"] = split(X, y)
    Xs, ys = common.fashion_mnist("train", 6000)
    out["fashion-6k"] = split(Xs, ys)
    return out


def xgb_model(kind, **kw):
    import xgboost
    cls = xgboost.XGBClassifier if kind == "classification" else xgboost.XGBRegressor
    return cls(tree_method="hist", n_jobs=T, **kw)


def score(task, y, pred):
    if task == "regression":
        return "r2", metrics.r2_score(y, pred)
    if task == "clustering":
        return "adjusted_rand", metrics.adjusted_rand_score(y, pred)
    return "accuracy", metrics.accuracy_score(y, pred)


# (cml algo, cml params, data, task, reference name, reference factory)
CASES = [
    ("gbm_regressor", {"n_estimators": 200, "max_depth": 6, "learning_rate": 0.1}, "diamonds", "regression",
     "XGBoost 1.7.4", lambda: xgb_model("regression", n_estimators=200, max_depth=6, learning_rate=0.1)),
    ("gbm_classifier", {"n_estimators": 50, "max_depth": 6, "learning_rate": 0.3}, "fashion-20k", "classification",
     "XGBoost 1.7.4", lambda: xgb_model("classification", n_estimators=50, max_depth=6, learning_rate=0.3)),
    ("svc", {"C": 10}, "fashion-6k", "classification", REF, lambda: svm.SVC(C=10)),
    ("svc", {"C": 10}, "digits", "classification", REF, lambda: svm.SVC(C=10)),
    ("linear_svc", {}, "digits", "classification", REF, lambda: svm.LinearSVC()),
    # k-NN and naive Bayes: bench/bench_neighbors.py
    ("kmeans", {"n_clusters": 10, "n_init": 1, "random_state": 0}, "fashion-20k", "clustering", REF,
     lambda: cluster.KMeans(10, n_init=1, random_state=0)),
    ("pca", {"n_components": 50}, "fashion-20k", "transform", REF, lambda: decomposition.PCA(50)),
]
if os.environ.get("BENCH_EXTRA"):  # trees, once merged
    CASES += [
        ("random_forest_classifier", {"n_estimators": 100}, "fashion-6k", "classification", REF,
         lambda: ensemble.RandomForestClassifier(100, n_jobs=T)),
        ("random_forest_regressor", {"n_estimators": 100}, "diamonds", "regression", REF,
         lambda: ensemble.RandomForestRegressor(100, n_jobs=T)),
    ]

sets = data()
written = set()
for algo, params, name, task, refname, make in CASES:
    Xtr, ytr, Xte, yte = sets[name]
    train, test = os.path.join(tmp, f"{name}-train.csv"), os.path.join(tmp, f"{name}-test.csv")
    if name not in written:
        common.write_csv(train, Xtr, ytr)
        common.write_csv(test, Xte, yte)
        written.add(name)
    label = f"{name} {Xtr.shape[0]}x{Xtr.shape[1]}"
    metric = {"regression": "r2", "classification": "accuracy"}.get(task)
    if metric:
        ours = common.cml_fit(a.build, algo, train, test, metric, params, repeats=2)
        common.emit(bench="estimators", task=algo, data=label, impl="cml", metric=metric,
                    value=ours["value"], fit_s=ours["fit_s"], predict_s=ours["predict_s"],
                    blas=ours["blas"])
        ref_fit, est = common.best_of(lambda: make().fit(Xtr, ytr), repeat=2)
        ref_pred, pred = common.best_of(lambda: est.predict(Xte), repeat=2)
        m, v = score(task, yte, pred)
    else:
        # unsupervised: both fit on the training rows; quality from each side's own output
        pargs = sum((["--param", f"{k}={vv}"] for k, vv in params.items()), [])
        if task == "clustering":
            out = os.path.join(tmp, "labels.csv")
            res = common.cml(a.cml, "fit-transform", "--algo", algo, "--data", train, "--out", out, *pargs)
            ours_v = metrics.adjusted_rand_score(ytr, np.loadtxt(out, skiprows=1))
        else:
            model = os.path.join(tmp, "u.gguf")
            res = common.cml(a.cml, "fit", "--algo", algo, "--data", train, "--model", model, *pargs)
            import json
            import subprocess
            info = json.loads(subprocess.run([a.cml, "info", model], capture_output=True, text=True).stdout)
            ours_v = float(sum(info["model"]["attributes"]["explained_variance_ratio"]))
        ref_fit, est = common.best_of(lambda: make().fit(Xtr), repeat=2)
        if task == "clustering":
            m, v = score(task, ytr, est.labels_)
        else:
            m, v = "explained_variance_ratio", float(est.explained_variance_ratio_.sum())
        ref_pred = None
        common.emit(bench="estimators", task=algo, data=label, impl="cml", metric=m, value=ours_v,
                    fit_s=res["fit_seconds"], predict_s=None, blas="blis",
                    note="unsupervised rows: cml's fit time is `cml fit --json`'s fit_seconds (one "
                         "process, so it includes one-off BLAS start-up)")
    common.emit(bench="estimators", task=algo, data=label, impl=refname, metric=m, value=v,
                fit_s=ref_fit, predict_s=ref_pred,
                note="references ran with OPENBLAS_CORETYPE=SkylakeX (their fast kernels) and 2 threads")
