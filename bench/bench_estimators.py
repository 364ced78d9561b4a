"""cml vs scikit-learn for the SVMs on dense data, same data, same run. (The other families have
their own scripts: bench_linear, bench_neighbors, bench_trees, bench_cluster, bench_nn,
bench_text, bench_hnsw, bench_serve.)

Each case: the same float64 matrices for both sides (cml through a %.17g CSV), the same
hyper-parameters, 2 threads each; cml timed in-process by bench/bench_fit (best of N), the
reference around .fit()/.predict() (best of N). Data: digits, a 6,000-image Fashion-MNIST subset
(pixels / 255).
"""
import os
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402  (sets BLAS threads before numpy loads)

import numpy as np  # noqa: E402
from sklearn import metrics, svm  # noqa: E402

warnings.filterwarnings("ignore")
a = common.args()
tmp = tempfile.mkdtemp(prefix="cml-bench-est-")
REF = common.sklearn_version()
T = common.THREADS
ROOT = os.path.join(os.path.dirname(__file__), "..", "data")




def data():
    t = np.loadtxt(os.path.join(ROOT, "digits.csv"), delimiter=",", skiprows=1)
    out = {"digits": common.split(t[:, :-1], t[:, -1])}
    Xs, ys = common.fashion_mnist("train", 6000)
    out["fashion-6k"] = common.split(Xs, ys)
    return out


def score(task, y, pred):
    if task == "regression":
        return "r2", metrics.r2_score(y, pred)
    return "accuracy", metrics.accuracy_score(y, pred)


# (cml algo, cml params, data, task, reference name, reference factory)
CASES = [
    ("svc", {"C": 10}, "fashion-6k", "classification", REF, lambda: svm.SVC(C=10)),
    ("svc", {"C": 10}, "digits", "classification", REF, lambda: svm.SVC(C=10)),
    ("linear_svc", {}, "digits", "classification", REF, lambda: svm.LinearSVC()),
    # k-NN and naive Bayes: bench/bench_neighbors.py; trees, forests and boosting:
    # bench/bench_trees.py; clustering and decomposition: bench/bench_cluster.py
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
    metric = {"regression": "r2", "classification": "accuracy"}[task]
    ours = common.cml_fit(a.build, algo, train, test, metric, params, repeats=2)
    common.emit(bench="estimators", task=algo, data=label, impl="cml", metric=metric,
                value=ours["value"], fit_s=ours["fit_s"], predict_s=ours["predict_s"],
                blas=ours["blas"])
    ref_fit, est = common.best_of(lambda: make().fit(Xtr, ytr), repeat=2)
    ref_pred, pred = common.best_of(lambda: est.predict(Xte), repeat=2)
    m, v = score(task, yte, pred)
    common.emit(bench="estimators", task=algo, data=label, impl=refname, metric=m, value=v,
                fit_s=ref_fit, predict_s=ref_pred,
                note="references ran with OPENBLAS_CORETYPE=SkylakeX (their fast kernels) and 2 threads")
