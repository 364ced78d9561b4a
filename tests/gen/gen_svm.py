"""Golden outputs of scikit-learn 1.2's SVMs for tests/unit/test_golden_svm.c.

Run from the repo root with /usr/bin/python3: writes tests/golden/svm.txt.
Data: iris (raw), wine / breast_cancer / diabetes X standardized (population
std, as StandardScaler), digits pixels / 16. The C test applies the same
transforms (test_golden_svm.c: prep()).
"""
import numpy as np
from sklearn.svm import SVC, SVR, OneClassSVM, LinearSVC, LinearSVR

from golden import Golden, load_csv


def std(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def data(name):
    X, y, _ = load_csv(name)
    if name in ("wine", "breast_cancer", "diabetes"):
        X = std(X)
    elif name == "digits":
        X = X / 16.0
    return X, y


g = Golden("tests/golden/svm.txt", __doc__)


def put_svc(tag, est, X, y, rows=None, dec=True):
    est.fit(X, y)
    sel = slice(None) if rows is None else rows
    g.put(f"{tag}.support", est.support_)
    g.put(f"{tag}.n_support", est.n_support_)
    g.put(f"{tag}.intercept", est.intercept_)
    g.put(f"{tag}.n_iter", est.n_iter_)
    g.put(f"{tag}.predict", est.predict(X))
    if dec:
        g.put(f"{tag}.decision", est.decision_function(X[sel]))
    if est.dual_coef_.size <= 4000:
        g.put(f"{tag}.dual_coef", est.dual_coef_)
    return est


# ---- SVC
X, y = data("iris")
put_svc("svc_iris_rbf_ovr", SVC(), X, y)
put_svc("svc_iris_rbf_ovo", SVC(decision_function_shape="ovo", C=3.0, gamma="auto"), X, y)
X, y = data("wine")
put_svc("svc_wine_linear_ovo", SVC(kernel="linear", C=0.5, decision_function_shape="ovo"), X, y)
put_svc("svc_wine_sigmoid", SVC(kernel="sigmoid", gamma=0.01, coef0=0.5, C=2.0), X, y)
X, y = data("breast_cancer")
half = slice(0, None, 2)  # decision values of every other row keep the file small
put_svc("svc_bc_rbf", SVC(C=10.0), X, y, rows=half)
put_svc("svc_bc_poly", SVC(kernel="poly", degree=3, gamma="auto", coef0=1.0), X, y, rows=half)
put_svc("svc_bc_balanced", SVC(class_weight="balanced", C=0.7), X, y, rows=half)
put_svc("svc_bc_weight", SVC(class_weight={1: 3.0}, kernel="linear", C=0.05), X, y, rows=half)
put_svc("svc_bc_noshrink", SVC(shrinking=False, C=10.0), X, y, rows=half)
X, y = data("digits")
put_svc("svc_digits_rbf", SVC(C=10.0), X, y, rows=slice(0, None, 20))

# probability: sklearn's folds come from libsvm's RNG, so the test checks
# calibration (log-loss close to sklearn's) rather than values.
for name in ("iris", "breast_cancer", "wine"):
    X, y = data(name)
    est = SVC(probability=True, random_state=0).fit(X, y)
    P = est.predict_proba(X)
    ll = -np.mean(np.log(np.clip(P[np.arange(len(y)), np.searchsorted(est.classes_, y)], 1e-15, 1)))
    g.put(f"proba_{name}.logloss", [ll])

# ---- SVR
X, y = data("diabetes")
for tag, est in (("svr_diab_rbf", SVR(C=100.0, epsilon=10.0)),
                 ("svr_diab_linear", SVR(kernel="linear", C=1.0, epsilon=5.0)),
                 ("svr_diab_poly", SVR(kernel="poly", degree=2, C=50.0, epsilon=20.0, coef0=1.0))):
    est.fit(X, y)
    g.put(f"{tag}.support", est.support_)
    g.put(f"{tag}.dual_coef", est.dual_coef_)
    g.put(f"{tag}.intercept", est.intercept_)
    g.put(f"{tag}.n_iter", [est.n_iter_])
    g.put(f"{tag}.predict", est.predict(X))

# ---- OneClassSVM
for tag, name, est in (("ocsvm_iris", "wine", OneClassSVM(nu=0.1)),
                       ("ocsvm_bc", "breast_cancer", OneClassSVM(nu=0.3, gamma=0.02)),
                       ("ocsvm_wine_lin", "wine", OneClassSVM(nu=0.5, kernel="linear"))):
    X, _ = data(name)
    est.fit(X)
    g.put(f"{tag}.support", est.support_)
    g.put(f"{tag}.dual_coef", est.dual_coef_)
    g.put(f"{tag}.intercept", est.intercept_)
    g.put(f"{tag}.decision", est.decision_function(X))
    g.put(f"{tag}.predict", est.predict(X))

# ---- LinearSVC: tight tolerance (the optimum is unique) and the defaults
for name in ("iris", "wine", "breast_cancer", "digits"):
    X, y = data(name)
    for tag, kw in (("tight", dict(tol=1e-10, max_iter=200000)), ("default", {})):
        for loss in ("squared_hinge", "hinge"):
            # hinge on raw iris does not reach tol=1e-10 in liblinear either
            if loss == "hinge" and (tag == "default" or name == "iris"):
                continue
            est = LinearSVC(loss=loss, random_state=0, **kw).fit(X, y)
            t = f"lsvc_{name}_{loss}_{tag}"
            g.put(f"{t}.coef", est.coef_)
            g.put(f"{t}.intercept", est.intercept_)
            g.put(f"{t}.predict", est.predict(X))
X, y = data("breast_cancer")
est = LinearSVC(C=0.1, intercept_scaling=5.0, class_weight="balanced", tol=1e-10, random_state=0,
                max_iter=200000).fit(X, y)
g.put("lsvc_bc_scaled.coef", est.coef_)
g.put("lsvc_bc_scaled.intercept", est.intercept_)

# ---- LinearSVR
X, y = data("diabetes")
for tag, kw in (("eps", dict(loss="epsilon_insensitive", epsilon=5.0, C=1.0)),
                ("sq", dict(loss="squared_epsilon_insensitive", epsilon=0.0, C=0.01))):
    est = LinearSVR(tol=1e-10, max_iter=1000000, random_state=0, **kw).fit(X, y)
    g.put(f"lsvr_{tag}.coef", est.coef_)
    g.put(f"lsvr_{tag}.intercept", est.intercept_)
    g.put(f"lsvr_{tag}.predict", est.predict(X))

g.close()
