"""Golden outputs of scikit-learn 1.2 forests for tests/unit/test_golden_forest.c.

Run from the repo root:  /usr/bin/python3 tests/gen/gen_forest.py
Writes tests/golden/forest.txt.

Each configuration is fitted on the rows i % 4 != 0 and evaluated on the
rows i % 4 == 0 (n_jobs=1, so probabilities are summed in tree order, as cml
does). cml draws the same per-tree seeds and bootstrap samples, so the file
holds exact references: `<name>.cfg` (parameters, checked against the C
table), `.nodes` (node count of every tree), `.oob` (oob_score_),
`.oobdf` (oob_decision_function_ / oob_prediction_ of the first 40 training
rows), `.imp` (feature_importances_), `.pred` (test predictions), `.proba`
(test probabilities of the first 40 test rows), `.acc` (test accuracy or
R^2). `perm.*` holds scikit-learn's permutation importance of one forest,
compared statistically (the shuffles use different generators).
"""
import sys
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier,
                              RandomForestRegressor)
from sklearn.inspection import permutation_importance
from sklearn.metrics import accuracy_score, r2_score

sys.path.insert(0, "tests/gen")
from golden import Golden, load_csv  # noqa: E402

assert sklearn.__version__.startswith("1.2"), sklearn.__version__
warnings.simplefilter("ignore")

DATASETS = ["iris", "wine", "breast_cancer", "diabetes", "digits"]
KINDS = [RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor]
CLF_CRIT = ["gini", "entropy", "log_loss"]
REG_CRIT = ["squared_error", "friedman_mse", "absolute_error"]
CW = [None, "balanced", "balanced_subsample"]

# name, dataset, kind, n_estimators, criterion, max_depth (0 = None), bootstrap, oob,
# max_features (0 = default, else a count), class_weight (index in CW), max_samples (0 = None),
# random_state. Keep in sync with the table in tests/unit/test_golden_forest.c.
CONFIGS = [
    ("rf_bc", "breast_cancer", 0, 200, 0, 0, 1, 1, 0, 0, 0.0, 0),
    ("rf_wine", "wine", 0, 200, 0, 0, 1, 1, 0, 0, 0.0, 0),
    ("rf_digits", "digits", 0, 200, 0, 0, 1, 1, 0, 0, 0.0, 0),
    ("rf_iris_entropy", "iris", 0, 50, 1, 3, 1, 1, 0, 0, 0.0, 5),
    ("rf_wine_bsub", "wine", 0, 50, 0, 0, 1, 1, 0, 2, 0.5, 3),
    ("rf_wine_bal", "wine", 0, 30, 0, 4, 1, 0, 3, 1, 0.0, 9),
    ("rf_diabetes", "diabetes", 1, 100, 0, 0, 1, 1, 0, 0, 0.0, 0),
    ("rf_diabetes_mae", "diabetes", 1, 10, 2, 4, 1, 1, 3, 0, 0.7, 1),
    ("et_wine", "wine", 2, 200, 0, 0, 0, 0, 0, 0, 0.0, 0),
    ("et_bc_boot", "breast_cancer", 2, 100, 1, 0, 1, 1, 0, 0, 0.0, 2),
    ("et_diabetes", "diabetes", 3, 100, 0, 0, 0, 0, 0, 0, 0.0, 0),
]

g = Golden("tests/golden/forest.txt", __doc__ + f"\nscikit-learn {sklearn.__version__}")
data = {ds: load_csv(ds) for ds in DATASETS}
for (name, ds, kind, n_est, crit, depth, boot, oob, mf, cw, ms, seed) in CONFIGS:
    X, y, _ = data[ds]
    idx = np.arange(X.shape[0])
    tr, te = idx % 4 != 0, idx % 4 == 0
    clf = kind in (0, 2)
    params = dict(n_estimators=n_est, max_depth=depth or None, bootstrap=bool(boot),
                  oob_score=bool(oob), max_samples=ms or None, random_state=seed, n_jobs=1)
    if mf:
        params["max_features"] = mf
    if clf:
        params.update(criterion=CLF_CRIT[crit], class_weight=CW[cw])
    else:
        params.update(criterion=REG_CRIT[crit])
    est = KINDS[kind](**params).fit(X[tr], y[tr])
    g.put(f"{name}.cfg", [DATASETS.index(ds), kind, n_est, crit, depth, boot, oob, mf, cw, ms, seed])
    g.put(f"{name}.nodes", [e.tree_.node_count for e in est.estimators_])
    if oob:
        g.put(f"{name}.oob", est.oob_score_)
        df = est.oob_decision_function_ if clf else est.oob_prediction_
        g.put(f"{name}.oobdf", df[:40])
    g.put(f"{name}.imp", est.feature_importances_)
    pred = est.predict(X[te])
    g.put(f"{name}.pred", pred)
    if clf:
        g.put(f"{name}.proba", est.predict_proba(X[te])[:40])
        g.put(f"{name}.acc", accuracy_score(y[te], pred))
    else:
        g.put(f"{name}.acc", r2_score(y[te], pred))

# permutation importance of rf_bc-like forest (100 trees) on the test rows
X, y, _ = data["breast_cancer"]
idx = np.arange(X.shape[0])
tr, te = idx % 4 != 0, idx % 4 == 0
rf = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(X[tr], y[tr])
pi = permutation_importance(rf, X[te], y[te], n_repeats=20, random_state=0)
g.put("perm.mean", pi.importances_mean)
g.put("perm.std", pi.importances_std)
g.close()
