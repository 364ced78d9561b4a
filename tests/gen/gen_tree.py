"""Golden outputs of scikit-learn 1.2 decision trees for tests/unit/test_golden_tree.c.

Run from the repo root:  /usr/bin/python3 tests/gen/gen_tree.py
Writes tests/golden/tree.txt.

Each configuration is fitted on the rows i % 4 != 0 of a data set and
evaluated on the rows i % 4 == 0. cml reproduces scikit-learn's random
feature order, so the whole tree is compared (ties included): for every
configuration the file holds `<name>.cfg` (the parameters, checked against
the C table), the tree arrays (`.feature .threshold .left .right .value
.impurity .n .wn`), `.imp` (feature_importances_), `.pred` on the test rows,
`.proba` on the first 40 of them (to keep the file small), `.leaf` (apply) and `.acc` (test accuracy or R^2); plain
(ccp_alpha = 0) configurations also hold the pruning path (`.ccp_alphas`,
`.ccp_imp`).
"""
import sys
import warnings

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, r2_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

sys.path.insert(0, "tests/gen")
from golden import Golden, load_csv  # noqa: E402

assert sklearn.__version__.startswith("1.2"), sklearn.__version__
warnings.simplefilter("ignore")

DATASETS = ["iris", "wine", "breast_cancer", "diabetes", "digits"]
CLF_CRIT = ["gini", "entropy", "log_loss"]
REG_CRIT = ["squared_error", "friedman_mse", "absolute_error"]

# name, dataset, classifier, criterion, max_depth (0 = None), splitter (0 best, 1 random),
# max_leaf_nodes (0 = None), min_samples_leaf, max_features (0 = None, else a count),
# class_weight (0 none, 1 balanced), ccp_alpha, random_state, integer sample weights (0/1)
# Keep in sync with the table in tests/unit/test_golden_tree.c.
CONFIGS = []
for ds in ["iris", "wine", "breast_cancer"]:
    for crit in (0, 1):
        for depth in (2, 3, 5, 0):
            CONFIGS.append((f"{ds}_{CLF_CRIT[crit]}_d{depth}", ds, 1, crit, depth, 0, 0, 1, 0, 0, 0.0, 0, 0))
for crit in (0, 2):
    for depth in (2, 3, 5, 0):
        CONFIGS.append((f"diabetes_{REG_CRIT[crit]}_d{depth}", "diabetes", 0, crit, depth, 0, 0, 1, 0, 0, 0.0, 0, 0))
CONFIGS += [
    ("diabetes_friedman_d4", "diabetes", 0, 1, 4, 0, 0, 1, 0, 0, 0.0, 0, 0),
    ("iris_seed7", "iris", 1, 0, 0, 0, 0, 1, 0, 0, 0.0, 7, 0),
    ("iris_log_loss_d3", "iris", 1, 2, 3, 0, 0, 1, 0, 0, 0.0, 0, 0),
    ("bc_leaves8", "breast_cancer", 1, 0, 0, 0, 8, 1, 0, 0, 0.0, 0, 0),
    ("diabetes_leaves12", "diabetes", 0, 0, 0, 0, 12, 1, 0, 0, 0.0, 0, 0),
    ("diabetes_leaf10", "diabetes", 0, 0, 0, 0, 0, 10, 0, 0, 0.0, 0, 0),
    ("wine_balanced", "wine", 1, 0, 0, 0, 0, 1, 0, 1, 0.0, 0, 0),
    ("bc_ccp", "breast_cancer", 1, 0, 0, 0, 0, 1, 0, 0, 0.01, 0, 0),
    ("diabetes_ccp", "diabetes", 0, 0, 0, 0, 0, 1, 0, 0, 50.0, 0, 0),
    ("iris_random", "iris", 1, 0, 0, 1, 0, 1, 0, 0, 0.0, 3, 0),
    ("bc_random_d6", "breast_cancer", 1, 1, 6, 1, 0, 1, 0, 0, 0.0, 5, 0),
    ("diabetes_random_d6", "diabetes", 0, 0, 6, 1, 0, 1, 0, 0, 0.0, 11, 0),
    ("digits_sqrt_d6", "digits", 1, 0, 6, 0, 0, 1, 8, 0, 0.0, 42, 0),
    ("digits_random_sqrt_d6", "digits", 1, 0, 6, 1, 0, 1, 8, 0, 0.0, 42, 0),
    ("iris_weights", "iris", 1, 0, 0, 0, 0, 1, 0, 0, 0.0, 0, 1),
    ("diabetes_weights_d5", "diabetes", 0, 0, 5, 0, 0, 1, 0, 0, 0.0, 0, 1),
]

g = Golden("tests/golden/tree.txt", __doc__ + f"\nscikit-learn {sklearn.__version__}")
data = {ds: load_csv(ds) for ds in DATASETS}


def sample_weight(n):
    # integer weights 1..3 from row numbers: exact sums on both sides
    return (np.arange(n) * 7 % 3 + 1).astype(np.float64)


for cfg in CONFIGS:
    (name, ds, clf, crit, depth, splitter, leaves, msl, mf, cw, ccp, seed, sw) = cfg
    X, y, _ = data[ds]
    idx = np.arange(X.shape[0])
    tr, te = idx % 4 != 0, idx % 4 == 0
    params = dict(
        max_depth=depth or None,
        splitter=["best", "random"][splitter],
        max_leaf_nodes=leaves or None,
        min_samples_leaf=msl,
        max_features=mf or None,
        ccp_alpha=ccp,
        random_state=seed,
    )
    if clf:
        est = DecisionTreeClassifier(criterion=CLF_CRIT[crit], class_weight="balanced" if cw else None, **params)
    else:
        est = DecisionTreeRegressor(criterion=REG_CRIT[crit], **params)
    w = sample_weight(tr.sum()) if sw else None
    est.fit(X[tr], y[tr], sample_weight=w)
    t = est.tree_
    g.put(f"{name}.cfg", [DATASETS.index(ds), clf, crit, depth, splitter, leaves, msl, mf, cw, ccp, seed, sw])
    g.put(f"{name}.feature", t.feature)
    g.put(f"{name}.threshold", t.threshold)
    g.put(f"{name}.left", t.children_left)
    g.put(f"{name}.right", t.children_right)
    g.put(f"{name}.value", t.value.reshape(t.node_count, -1))
    g.put(f"{name}.impurity", t.impurity)
    g.put(f"{name}.n", t.n_node_samples)
    g.put(f"{name}.wn", t.weighted_n_node_samples)
    g.put(f"{name}.imp", est.feature_importances_)
    pred = est.predict(X[te])
    g.put(f"{name}.pred", pred)
    g.put(f"{name}.leaf", est.apply(X[te]))
    if clf:  # the first 40 test rows: leaf values + .leaf cover the rest, and keep the file small
        g.put(f"{name}.proba", est.predict_proba(X[te][:40]))
        g.put(f"{name}.acc", accuracy_score(y[te], pred))
    else:
        g.put(f"{name}.acc", r2_score(y[te], pred))
    g.put(f"{name}.depth", est.get_depth())
    if ccp == 0.0 and splitter == 0 and not sw:
        path = est.cost_complexity_pruning_path(X[tr], y[tr])
        g.put(f"{name}.ccp_alphas", path.ccp_alphas)
        g.put(f"{name}.ccp_imp", path.impurities)

# single-leaf cases: a constant target and a single row
Xi, yi, _ = data["iris"]
g.put("const.leaf_value", DecisionTreeRegressor().fit(Xi, np.full(len(yi), 3.5)).tree_.value.ravel())
one = DecisionTreeClassifier().fit(Xi[:1], yi[:1])
g.put("single.node_count", one.tree_.node_count)
g.close()

# ---------------------------------------------------------------- export
# tests/golden/tree_export.txt: blocks "@@ name nbytes\n" + exactly nbytes of
# scikit-learn's export_text / export_graphviz output (trees fitted on the
# training rows as above).
from sklearn.tree import export_graphviz, export_text  # noqa: E402


def fit_on(ds, est):
    X, y, names = data[ds]
    tr = np.arange(X.shape[0]) % 4 != 0
    return est.fit(X[tr], y[tr]), names


blocks = []
iris3, iris_names = fit_on("iris", DecisionTreeClassifier(max_depth=3, random_state=0))
blocks.append(("iris_d3_text", export_text(iris3)))
blocks.append(("iris_d3_text_names_weights",
               export_text(iris3, feature_names=iris_names, show_weights=True, decimals=3, spacing=2)))
blocks.append(("iris_d3_text_trunc", export_text(iris3, max_depth=1)))
blocks.append(("iris_d3_dot", export_graphviz(iris3, out_file=None)))
blocks.append(("iris_d3_dot_trunc", export_graphviz(iris3, out_file=None, max_depth=1,
                                                    feature_names=iris_names,
                                                    class_names=["setosa", "versicolor", "virginica"])))
diab, _ = fit_on("diabetes", DecisionTreeRegressor(max_depth=2, random_state=0))
blocks.append(("diabetes_d2_text", export_text(diab)))
blocks.append(("diabetes_d2_dot", export_graphviz(diab, out_file=None)))
dig, _ = fit_on("digits", DecisionTreeClassifier(max_depth=2, random_state=0))
blocks.append(("digits_d2_dot", export_graphviz(dig, out_file=None)))
wine_b, _ = fit_on("wine", DecisionTreeClassifier(max_depth=2, class_weight="balanced", criterion="entropy",
                                                 random_state=0))
blocks.append(("wine_bal_d2_dot", export_graphviz(wine_b, out_file=None)))
with open("tests/golden/tree_export.txt", "wb") as f:
    for name, text in blocks:
        b = text.encode()
        f.write(f"@@ {name} {len(b)}\n".encode() + b + b"\n")
