"""Golden outputs of scikit-learn 1.2 LogisticRegression for tests/unit/test_golden_logreg.c.

Run from the repo root with /usr/bin/python3:  /usr/bin/python3 tests/gen/gen_logreg.py
Writes tests/golden/logreg.txt (breast_cancer), logreg_multi.txt (iris, wine), logreg_digits.txt
(each file stays under 300 KB).

Features are standardized with StandardScaler fitted on the data set used; only the scaler's
mean_/scale_ are stored (`<set>_mean`, `<set>_scale`), so the C test computes (x - mean) / scale
exactly as sklearn's transform does. digits uses its first 300 rows (file size). Per case:
`<case>_coef` (n_rows, p), `<case>_intercept`, `<case>_proba` (all rows; for two classes only the
probability of classes[1], the other column being 1 - p), `<case>_pred`, `<case>_n_iter`, and for
the l1/elasticnet saga cases `<case>_kkt`: the max-norm of the minimum-norm subgradient of
sum_i s_i loss_i + penalty / C at sklearn's solution (how far saga is from the exact optimum).
Case parameters are listed in the comment header and mirrored in the C test's case table.
Note: sklearn 1.2.1 passes only gtol=tol to scipy's L-BFGS-B, so its ftol (factr 1e7) ends even
tol=1e-10 fits early: those solutions sit ~1e-5 (in probability) from the optimum, and matching
them needs cml's lbfgs to follow the same path. newton-cg (tol 1e-8) and saga (tol 1e-12, see
_kkt) give the optimum itself.
"""
import sys
import warnings

import numpy as np
from scipy.special import logsumexp, expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, "tests/gen")
from golden import Golden, load_csv  # noqa: E402

TIGHT = dict(tol=1e-10, max_iter=10000)
NEWTON = dict(solver="newton-cg", tol=1e-8, max_iter=1000)  # 1e-10 is below its rounding floor
SAGA = dict(solver="saga", tol=1e-12, max_iter=100000, random_state=0)


def datasets():
    out = {}
    for name, key, rows, cols in [
        ("breast_cancer", "bc", None, None),
        ("iris", "iris", None, None),
        ("wine", "wine", None, None),
        ("wine", "wine2", None, [0, 1]),  # 2 features: not separable, so penalty=none is finite
        ("breast_cancer", "bc3", None, [1, 4, 8]),
        ("digits", "dig", 300, None),
    ]:
        X, y, _ = load_csv(name)
        if rows:
            X, y = X[:rows], y[:rows]
        if cols:
            X = X[:, cols]
        sc = StandardScaler().fit(X)
        out[key] = (sc.transform(X), y, sc.mean_, sc.scale_)
    return out


def weights(n):
    """Sample weights the C test recomputes: 0.5, 1.0, 1.5, 2.0 repeating."""
    return 0.5 + 0.5 * (np.arange(n) % 4)


# (case, data key, sklearn kwargs, use sample weights). The C test holds the same table.
CASES = [
    ("bc_default", "bc", {}, False),
    ("bc_tight", "bc", TIGHT, False),
    ("bc_c01", "bc", dict(C=0.1, **TIGHT), False),
    ("bc_c10", "bc", dict(C=10.0, **TIGHT), False),
    ("bc_balanced", "bc", dict(class_weight="balanced", **TIGHT), False),
    ("bc_sw", "bc", TIGHT, True),
    ("bc_newton", "bc", NEWTON, False),
    ("bc_newton_default", "bc", dict(solver="newton-cg"), False),
    ("bc_multinomial", "bc", dict(multi_class="multinomial", **TIGHT), False),
    ("bc_nointercept", "bc", dict(fit_intercept=False, **TIGHT), False),
    ("bc_l1", "bc", dict(penalty="l1", C=0.5, **SAGA), False),
    ("bc_enet", "bc", dict(penalty="elasticnet", l1_ratio=0.5, C=0.5, **SAGA), False),
    ("bc3_none", "bc3", dict(penalty="none", **TIGHT), False),
    ("iris_default", "iris", {}, False),
    ("iris_tight", "iris", TIGHT, False),
    ("iris_c01", "iris", dict(C=0.1, **TIGHT), False),
    ("iris_c10", "iris", dict(C=10.0, **TIGHT), False),
    ("iris_ovr", "iris", dict(multi_class="ovr", **TIGHT), False),
    ("iris_ovr_default", "iris", dict(multi_class="ovr"), False),
    ("iris_ovr_balanced", "iris", dict(multi_class="ovr", class_weight="balanced", **TIGHT), False),
    ("iris_cwmap", "iris", dict(class_weight={0: 1.5, 1: 3.0}, **TIGHT), False),
    ("iris_newton", "iris", NEWTON, False),
    ("wine_newton", "wine", NEWTON, False),
    ("dig_newton", "dig", NEWTON, False),
    ("iris_l1", "iris", dict(penalty="l1", **SAGA), False),
    ("iris_enet", "iris", dict(penalty="elasticnet", l1_ratio=0.5, **SAGA), False),
    ("wine_default", "wine", {}, False),
    ("wine_tight", "wine", TIGHT, False),
    ("wine_balanced", "wine", dict(class_weight="balanced", **TIGHT), False),
    ("wine_sw", "wine", TIGHT, True),
    ("wine_l1", "wine", dict(penalty="l1", C=0.5, **SAGA), False),
    ("wine2_none", "wine2", dict(penalty="none", **TIGHT), False),
    ("dig_default", "dig", {}, False),
    ("dig_enet", "dig", dict(penalty="elasticnet", l1_ratio=0.5, C=0.5, **SAGA), False),
]


def kkt(m, X, y, sw, kw):
    """Max-norm of the minimum-norm subgradient of sum s loss + penalty/C at m's solution."""
    C = kw.get("C", 1.0)
    pen = kw.get("penalty", "l2")
    r = kw.get("l1_ratio", 0.0) if pen == "elasticnet" else (1.0 if pen == "l1" else 0.0)
    cls = m.classes_
    W = np.c_[m.coef_, m.intercept_]
    Xb = np.c_[X, np.ones(len(X))]
    if len(cls) == 2:
        t = (y == cls[1]).astype(float)
        G = (expit(Xb @ W[0]) - t) * sw
        g = (Xb.T @ G)[None, :]
    else:
        Z = Xb @ W.T
        P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        P[np.arange(len(y)), np.searchsorted(cls, y)] -= 1
        g = (P * sw[:, None]).T @ Xb
    l1, l2 = r / C, (1 - r) / C
    g[:, :-1] += l2 * W[:, :-1]
    coef, gc = W[:, :-1], g[:, :-1]
    sub = np.where(coef > 0, np.abs(gc + l1),
                   np.where(coef < 0, np.abs(gc - l1), np.maximum(np.abs(gc) - l1, 0)))
    return max(sub.max(), np.abs(g[:, -1]).max())


def main():
    data = datasets()
    files = {
        "tests/golden/logreg.txt": [c for c in CASES if c[1].startswith("bc")],
        "tests/golden/logreg_multi.txt": [c for c in CASES if c[1] in ("iris", "wine", "wine2")],
        "tests/golden/logreg_digits.txt": [c for c in CASES if c[1].startswith("dig")],
    }
    for path, cases in files.items():
        keys = sorted({c[1] for c in cases})
        header = [
            "scikit-learn 1.2.1 LogisticRegression golden outputs; generated by tests/gen/gen_logreg.py",
            "data: bc = breast_cancer, bc3 = breast_cancer features 1,4,8, iris, wine, "
            "wine2 = wine features 0,1, dig = digits rows 0..299; X standardized by <set>_mean/_scale",
            "sample weights (<case> with sw): 0.5 + 0.5 * (i % 4)",
        ]
        for name, key, kw, use_sw in cases:
            header.append(f"case {name}: data={key} sw={int(use_sw)} {kw}")
        g = Golden(path, "\n".join(header))
        for key in keys:
            g.put(f"{key}_mean", data[key][2])
            g.put(f"{key}_scale", data[key][3])
        for name, key, kw, use_sw in cases:
            X, y = data[key][0], data[key][1]
            sw = weights(len(y)) if use_sw else None
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                m = LogisticRegression(**kw).fit(X, y, sample_weight=sw)
            conv = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
            P = m.predict_proba(X)
            g.put(f"{name}_coef", m.coef_)
            g.put(f"{name}_intercept", m.intercept_)
            g.put(f"{name}_proba", P[:, 1] if P.shape[1] == 2 else P)
            g.put(f"{name}_pred", m.predict(X))
            g.put(f"{name}_n_iter", m.n_iter_)
            extra = ""
            if kw.get("solver") == "saga":
                sw_all = np.ones(len(y)) if sw is None else sw
                res = kkt(m, X, y, sw_all, kw)
                g.put(f"{name}_kkt", res)
                extra = f" kkt={res:.2e}"
            print(f"{name}: n_iter={m.n_iter_.tolist()}{extra}"
                  f"{' CONVERGENCE WARNING ' + conv[0][:80] if conv else ''}")
        g.close()


if __name__ == "__main__":
    main()
