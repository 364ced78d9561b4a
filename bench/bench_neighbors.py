"""Nearest neighbours and naive Bayes: cml vs scikit-learn 1.2.1, same data, same run.

Rows (bench "neighbors"):
  k_neighbors_classifier  Fashion-MNIST 60000 train / 10000 test queries (t10k), k=5, brute
                          (sklearn's auto picks brute for 784 features); cml through
                          bench/bench_neighbors (IDX in-process, no CSV), the predictions of both
                          sides compared one by one (the issue requires identical predictions).
  k_neighbors_classifier  fashion-20k 15000x784 (the 75/25 split of bench_estimators.py, same seed)
  k_neighbors_regressor   diamonds 40455x9 (bench_estimators.py's split)
  gaussian_nb, multinomial_nb  fashion-20k 15000x784
Supersedes these rows of bench_estimators.py: k_neighbors_classifier, k_neighbors_regressor,
gaussian_nb and multinomial_nb (same data and split; here with more repeats and, for k-NN, a
check that cml's predictions equal scikit-learn's).

Both sides use BENCH_THREADS (default 2) threads: n_jobs for sklearn, CML_NUM_THREADS for cml; the
reference gets OpenBLAS's fast kernels (common.py). Timings are the best of N, fit and predict
separately, cml in-process (the algorithm alone). BENCH_KNN_FULL=0 skips the 60k/10k row (it
takes about a minute per repeat for scikit-learn on 2 cores).
"""
import os
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402  (sets BLAS threads before numpy loads)

import json  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import metrics, naive_bayes, neighbors  # noqa: E402

warnings.filterwarnings("ignore")
a = common.args()
tmp = tempfile.mkdtemp(prefix="cml-bench-nb-")
REF = common.sklearn_version()
T = common.THREADS
ROOT = os.path.join(os.path.dirname(__file__), "..", "data")
NOTE = "references ran with OPENBLAS_CORETYPE=SkylakeX (their fast kernels) and %d threads" % T




def diamonds():
    d = pd.read_csv(os.path.join(ROOT, "diamonds.csv"))
    y = d.pop("price").to_numpy(np.float64)
    for c in ["cut", "color", "clarity"]:
        d[c] = pd.Categorical(d[c], categories=sorted(d[c].unique())).codes
    return common.split(d.to_numpy(np.float64), y)


def full_fashion_knn(repeats):
    """60k/10k: cml's bench_neighbors reads the IDX files itself; predictions compared."""
    pred_path = os.path.join(tmp, "knn-pred.txt")
    exe = os.path.join(a.build, "bench", "bench_neighbors")
    env = dict(os.environ, CML_NUM_THREADS=str(T))
    r = common.run([exe, "k_neighbors_classifier", "0", "0", str(repeats), pred_path,
                        "n_neighbors=5"], capture_output=True, text=True, env=env)
    if r.returncode == 77:
        return
    if r.returncode != 0:
        sys.exit(f"bench: bench_neighbors failed: {r.stderr.strip()}")
    ours = json.loads(r.stdout)
    X, y = common.fashion_mnist("train")
    Xt, yt = common.fashion_mnist("t10k")
    ref_fit, est = common.best_of(lambda: neighbors.KNeighborsClassifier(5, n_jobs=T).fit(X, y), repeats)
    ref_pred, pred = common.best_of(lambda: est.predict(Xt), repeats)
    same = int(np.sum(np.loadtxt(pred_path) == pred))
    label = f"Fashion-MNIST {X.shape[0]}x{X.shape[1]}, {Xt.shape[0]} queries"
    common.emit(bench="neighbors", task="k_neighbors_classifier k=5", data=label, impl="cml",
                metric="accuracy", value=ours["accuracy"], fit_s=ours["fit_s"],
                predict_s=ours["predict_s"], blas=ours["blas"],
                note=f"predictions equal to scikit-learn's on {same}/{len(pred)} queries")
    common.emit(bench="neighbors", task="k_neighbors_classifier k=5", data=label, impl=REF,
                metric="accuracy", value=metrics.accuracy_score(yt, pred), fit_s=ref_fit,
                predict_s=ref_pred, note=NOTE)


# (cml algo, params, data, task, reference factory)
CASES = [
    ("k_neighbors_classifier", {"n_neighbors": 5}, "fashion-20k", "classification",
     lambda: neighbors.KNeighborsClassifier(5, n_jobs=T)),
    ("k_neighbors_regressor", {"n_neighbors": 5}, "diamonds", "regression",
     lambda: neighbors.KNeighborsRegressor(5, n_jobs=T)),
    ("gaussian_nb", {}, "fashion-20k", "classification", lambda: naive_bayes.GaussianNB()),
    ("multinomial_nb", {}, "fashion-20k", "classification", lambda: naive_bayes.MultinomialNB()),
]

if os.environ.get("BENCH_KNN_FULL", "1") != "0":
    full_fashion_knn(int(os.environ.get("BENCH_KNN_REPEATS", "2")))

sets = {"fashion-20k": common.split(*common.fashion_mnist("train", 20000)), "diamonds": diamonds()}
written = set()
for algo, params, name, task, make in CASES:
    Xtr, ytr, Xte, yte = sets[name]
    train, test = os.path.join(tmp, f"{name}-train.csv"), os.path.join(tmp, f"{name}-test.csv")
    if name not in written:
        common.write_csv(train, Xtr, ytr)
        common.write_csv(test, Xte, yte)
        written.add(name)
    label = f"{name} {Xtr.shape[0]}x{Xtr.shape[1]}"
    metric = "r2" if task == "regression" else "accuracy"
    fast = algo.endswith("_nb")  # cheap enough for more repeats (less noise)
    ours = common.cml_fit(a.build, algo, train, test, metric, params, repeats=7 if fast else 3)
    ref_fit, est = common.best_of(lambda: make().fit(Xtr, ytr), repeat=7 if fast else 3)
    ref_pred, pred = common.best_of(lambda: est.predict(Xte), repeat=7 if fast else 3)
    v = metrics.r2_score(yte, pred) if task == "regression" else metrics.accuracy_score(yte, pred)
    common.emit(bench="neighbors", task=algo, data=label, impl="cml", metric=metric,
                value=ours["value"], fit_s=ours["fit_s"], predict_s=ours["predict_s"],
                blas=ours["blas"])
    common.emit(bench="neighbors", task=algo, data=label, impl=REF, metric=metric, value=v,
                fit_s=ref_fit, predict_s=ref_pred, note=NOTE)
