"""cml's trees vs the references on real tables, same data, same run, 2 threads each.

Rows (bench "trees"):
  random_forest_classifier / _regressor  vs scikit-learn 1.2.1 RandomForest (n_jobs=2)
  gbm_classifier / _regressor            vs XGBoost 1.7.4 (tree_method=hist, n_jobs=2) and
                                         scikit-learn's HistGradientBoosting (OpenMP, 2 threads)
report.py pairs each cml row with one reference, so a GBM row is emitted once per reference,
with the reference in its task name ("gbm_classifier vs XGBoost"); both carry the same cml run.

Data (all real):
  shuttle      mlbench's Shuttle (Debian r-cran-mlbench via scripts/deps --bench, exported once
               by Rscript to the cache), 58,000 x 9, 7 classes (78% one class).
  flights-200k a seeded sample (RandomState(0)) of 200,000 rows of flights-3m.
  flights-3m   vega-datasets' 3,000,000 US flights of Jan-Jun 2001 (bench/data/get_flights.sh):
               month, day, weekday, dep_minute, distance, origin and destination (airport codes
               as ordinal integers); target: delay > 15 minutes (binary classification, the
               on-time rule of the US DOT and of the usual GBM airline benchmarks; the raw
               delay is heavy-tailed and mostly noise, so a regression r2 says little about the
               model). GBM rows only: a fully grown forest of 100 trees on 2.25M rows would take
               minutes per side on 2 cores.
  diamonds     ggplot2's diamonds (data/diamonds.csv), price regression, text columns as
               ordinal codes (as cml's CSV reader gives them).
  fashion-20k  the first 20,000 Fashion-MNIST training images (784 pixels / 255): wide data.
Every set is split 75/25 by a seeded permutation; both sides get the same float64 matrices
(cml through a CSV). Settings: forests n_estimators=100, random_state=0 (cml's default; the
same seed grows the same trees on both sides), otherwise scikit-learn's defaults; GBM
max_depth=6, max_bin 256 (XGBoost, cml) / max_bins 255 + a missing bin (HistGradientBoosting,
which also gets max_leaf_nodes=None, l2_regularization=1 as XGBoost's reg_lambda,
early_stopping=False; its min_samples_leaf stays 20); rounds and learning rates per set in
CASES. Times: best of REPEATS (bench_fit in-process for cml, around .fit()/.predict() for
the references); 1 on flights and for GBM on fashion-20k. About 10 minutes on 2 quiet cores (a loaded machine slows the
OpenMP references far more than cml: XGBoost and HistGradientBoosting spin-wait).

Supersedes these rows of bench_estimators.py: gbm_regressor diamonds, gbm_classifier
fashion-20k, and its BENCH_EXTRA forest rows (random_forest_classifier fashion-6k,
random_forest_regressor diamonds).
"""
import os
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402  (sets BLAS/OpenMP threads before numpy loads)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import ensemble, metrics  # noqa: E402

warnings.filterwarnings("ignore")
a = common.args()
tmp = tempfile.mkdtemp(prefix="cml-bench-trees-")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "data")
CACHE = os.environ.get("CML_BENCH_CACHE", os.path.expanduser("~/.cache/cml-bench"))
REF = common.sklearn_version()
XGB = "XGBoost 1.7.4"
T = common.THREADS
REPEATS = int(os.environ.get("BENCH_REPEATS", "2"))




def shuttle():
    path = os.path.join(CACHE, "shuttle.csv")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(["Rscript", "-e", 'data(Shuttle, package="mlbench"); '
                        'Shuttle$Class <- as.integer(Shuttle$Class) - 1L; '
                        f'write.csv(Shuttle, "{path}.tmp", row.names=FALSE)'], check=True)
        os.replace(path + ".tmp", path)
    t = pd.read_csv(path)
    y = t.pop("Class").to_numpy(np.float64)
    return t.to_numpy(np.float64), y


def flights():
    path = subprocess.run([os.path.join(HERE, "data", "get_flights.sh")], check=True,
                          capture_output=True, text=True).stdout.strip()
    t = pd.read_csv(path)
    y = (t.pop("delay").to_numpy() > 15).astype(np.float64)
    return t.to_numpy(np.float64), y


def diamonds():
    d = pd.read_csv(os.path.join(ROOT, "diamonds.csv"))
    y = d.pop("price").to_numpy(np.float64)
    for c in ["cut", "color", "clarity"]:
        d[c] = pd.Categorical(d[c], categories=sorted(d[c].unique())).codes
    return d.to_numpy(np.float64), y


def write_csv(path, X, y):
    """Integer-valued tables go through pandas (fast for millions of rows); others through
    common.write_csv (%.17g)."""
    if np.array_equal(X, np.round(X)) and np.array_equal(y, np.round(y)):
        df = pd.DataFrame(X.astype(np.int64), columns=[f"f{j}" for j in range(X.shape[1])])
        df["target"] = y.astype(np.int64)
        df.to_csv(path, index=False)
    else:
        common.write_csv(path, X, y)


def xgb(task, **kw):
    import xgboost
    cls = xgboost.XGBClassifier if task == "classification" else xgboost.XGBRegressor
    return cls(tree_method="hist", n_jobs=T, max_bin=256, **kw)


def histgb(task, n_estimators, max_depth, learning_rate):
    cls = (ensemble.HistGradientBoostingClassifier if task == "classification"
           else ensemble.HistGradientBoostingRegressor)
    return cls(max_iter=n_estimators, max_depth=max_depth, learning_rate=learning_rate,
               max_leaf_nodes=None, l2_regularization=1.0, early_stopping=False, max_bins=255)


def score(task, y, pred):
    if task == "regression":
        return "r2", metrics.r2_score(y, pred)
    return "accuracy", metrics.accuracy_score(y, pred)


def rf_cases(data, task, n_estimators=100):
    if task == "classification":
        return [("random_forest_classifier", {"n_estimators": n_estimators}, data, task, REF,
                 lambda: ensemble.RandomForestClassifier(n_estimators, n_jobs=T, random_state=0))]
    return [("random_forest_regressor", {"n_estimators": n_estimators}, data, task, REF,
             lambda: ensemble.RandomForestRegressor(n_estimators, n_jobs=T, random_state=0))]


def gbm_cases(data, task, n_estimators, max_depth, learning_rate):
    algo = "gbm_classifier" if task == "classification" else "gbm_regressor"
    hp = {"n_estimators": n_estimators, "max_depth": max_depth, "learning_rate": learning_rate}
    return [(algo, hp, data, task, XGB, lambda: xgb(task, **hp)),
            (algo, hp, data, task, f"HistGradientBoosting ({REF})",
             lambda: histgb(task, n_estimators, max_depth, learning_rate))]


CASES = (rf_cases("shuttle", "classification") + gbm_cases("shuttle", "classification", 50, 6, 0.1)
         + rf_cases("flights-200k", "classification")
         + gbm_cases("flights-200k", "classification", 100, 6, 0.1)
         + gbm_cases("flights-3m", "classification", 100, 6, 0.1)
         + rf_cases("diamonds", "regression") + gbm_cases("diamonds", "regression", 200, 6, 0.1)
         + rf_cases("fashion-20k", "classification")
         + gbm_cases("fashion-20k", "classification", 50, 6, 0.3))
if os.environ.get("BENCH_TREES_ONLY"):  # e.g. "shuttle diamonds": a subset of the data sets
    keep = os.environ["BENCH_TREES_ONLY"].split()
    CASES = [c for c in CASES if c[2] in keep]
if os.environ.get("BENCH_TREES_ALGOS"):  # e.g. "random_forest": estimators by name prefix
    keep = os.environ["BENCH_TREES_ALGOS"].split()
    CASES = [c for c in CASES if any(c[0].startswith(k) for k in keep)]


def load(name):
    if name == "shuttle":
        return common.split(*shuttle())
    if name.startswith("flights"):
        X, y = flights()
        if name == "flights-200k":
            idx = np.sort(np.random.RandomState(0).choice(len(y), 200000, replace=False))
            X, y = X[idx], y[idx]
        return common.split(X, y)
    if name == "diamonds":
        return common.split(*diamonds())
    return common.split(*common.fashion_mnist("train", 20000))


sets, written, done = {}, set(), {}
start = time.perf_counter()
for algo, params, name, task, refname, make in CASES:
    if name not in sets:
        sets[name] = load(name)
    Xtr, ytr, Xte, yte = sets[name]
    slow = name.startswith("flights") or (name == "fashion-20k" and algo.startswith("gbm"))
    reps = 1 if slow else REPEATS
    train, test = os.path.join(tmp, f"{name}-train.csv"), os.path.join(tmp, f"{name}-test.csv")
    if name not in written:
        write_csv(train, Xtr, ytr)
        write_csv(test, Xte, yte)
        written.add(name)
    label = f"{name} {Xtr.shape[0]}x{Xtr.shape[1]}"
    metric = "r2" if task == "regression" else "accuracy"
    tag = f"{algo} vs {refname.split(' (')[0].split(' ')[0]}" if algo.startswith("gbm") else algo
    key = (algo, name)
    if key not in done:  # one cml run per (algo, data), shared by its references' rows
        done[key] = common.cml_fit(a.build, algo, train, test, metric, params, repeats=reps)
    ours = done[key]
    common.emit(bench="trees", task=tag, data=label, impl="cml", metric=metric,
                value=ours["value"], fit_s=ours["fit_s"], predict_s=ours["predict_s"],
                blas=ours["blas"])
    ref_fit, est = common.best_of(lambda: make().fit(Xtr, ytr), repeat=reps)
    ref_pred, pred = common.best_of(lambda: est.predict(Xte), repeat=reps)
    m, v = score(task, yte, pred)
    common.emit(bench="trees", task=tag, data=label, impl=refname, metric=m, value=v,
                fit_s=ref_fit, predict_s=ref_pred,
                note=f"trees: {T} threads each, best of {REPEATS} (1 on flights and for GBM on "
                     "fashion-20k); settings in bench/bench_trees.py's docstring")
    print(f"bench_trees: {tag} {label} done at {time.perf_counter() - start:.0f} s",
          file=sys.stderr, flush=True)
