"""Golden outputs of scikit-learn 1.2 preprocessing transformers for
tests/unit/test_golden_preprocess.c.

Run from the repo root:  /usr/bin/python3 tests/gen/gen_preprocess.py
Writes tests/golden/preprocess.txt (kept under 300 KB: large transforms are
stored for a subset of rows, named *_rows to say which).
"""
import sys
import warnings

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, PolynomialFeatures, StandardScaler

sys.path.insert(0, "tests/gen")
from golden import Golden, load_csv  # noqa: E402

assert sklearn.__version__.startswith("1.2"), sklearn.__version__
warnings.simplefilter("ignore")

wine, _, _ = load_csv("wine")
diab, _, _ = load_csv("diabetes")
iris, iris_y, _ = load_csv("iris")

# diabetes with ~5% of cells missing, fixed seed; stored so C sees the same matrix.
rng = np.random.RandomState(20230201)
diab_nan = diab.copy()
diab_nan[rng.rand(*diab.shape) < 0.05] = np.nan
# a small matrix with one column entirely missing (SimpleImputer drops it)
empty = diab_nan[:20].copy()
empty[:, 3] = np.nan
# iris plus a constant column whose variance is rounding noise (StandardScaler keeps scale 1)
iris_const = np.hstack([iris, np.full((iris.shape[0], 1), 0.1)])
# iris with its target as a feature (column 4), for the one-hot encoder
iris_t = np.hstack([iris, iris_y[:, None]])

g = Golden("tests/golden/preprocess.txt", __doc__ + f"\nscikit-learn {sklearn.__version__}")
g.put("diab_nan", diab_nan)
g.put("empty", empty)

# rows whose transforms are stored (fits always use every row)
SUB = np.arange(0, 442, 8)
WROWS = np.arange(0, 178, 6)
IROWS = np.arange(0, 150, 5)
g.put("sub_rows", SUB)
g.put("wine_rows", WROWS)
g.put("iris_rows", IROWS)


def n_seen(s):
    return np.broadcast_to(s.n_samples_seen_, (s.n_features_in_,))


# ---------------------------------------------------------------- StandardScaler
def put_ss(tag, X, rows=None, **kw):
    s = StandardScaler(**kw).fit(X)
    for a in ("mean_", "var_", "scale_"):
        if getattr(s, a) is not None:
            g.put(f"ss_{tag}_{a[:-1]}", getattr(s, a))
    g.put(f"ss_{tag}_n_seen", n_seen(s))
    Xs = X if rows is None else X[rows]
    Xt = s.transform(Xs)
    g.put(f"ss_{tag}_Xt", Xt)
    g.put(f"ss_{tag}_inv", s.inverse_transform(Xt))


put_ss("wine", wine, rows=WROWS)
put_ss("diab_nan", diab_nan, rows=SUB)
put_ss("wine_nomean", wine, rows=WROWS, with_mean=False)
put_ss("wine_nostd", wine, rows=WROWS, with_std=False)
put_ss("iris_const", iris_const, rows=IROWS)

# ---------------------------------------------------------------- MinMaxScaler
def put_mm(tag, X, Xs, **kw):
    s = MinMaxScaler(**kw).fit(X)
    for a in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        g.put(f"mm_{tag}_{a[:-1]}", getattr(s, a))
    Xt = s.transform(Xs)
    g.put(f"mm_{tag}_Xt", Xt)
    g.put(f"mm_{tag}_inv", s.inverse_transform(Xt))


put_mm("wine", wine, wine[WROWS])
put_mm("diab_nan", diab_nan, diab_nan[SUB], feature_range=(-1, 2))
# fitted on the first 100 rows, applied to the rest: values outside the range
put_mm("wine_clip", wine[:100], wine[100::2], clip=True)
put_mm("wine_noclip", wine[:100], wine[100::2])

# ---------------------------------------------------------------- SimpleImputer
for strategy in ("mean", "median", "most_frequent", "constant"):
    kw = {"fill_value": -1.5} if strategy == "constant" else {}
    s = SimpleImputer(strategy=strategy, **kw).fit(diab_nan)
    g.put(f"imp_{strategy}_stat", s.statistics_)
    g.put(f"imp_{strategy}_Xt", s.transform(diab_nan[SUB]))
    s = SimpleImputer(strategy=strategy, **kw).fit(empty)
    g.put(f"imp_empty_{strategy}_stat", s.statistics_)
    g.put(f"imp_empty_{strategy}_Xt", s.transform(empty))
    if strategy != "constant":
        s = SimpleImputer(strategy=strategy, keep_empty_features=True).fit(empty)
        g.put(f"imp_keep_{strategy}_stat", s.statistics_)
        g.put(f"imp_keep_{strategy}_Xt", s.transform(empty))
# most_frequent on a column with ties between several values: the smallest wins
ties = np.array([[3.0], [1.0], [2.0], [3.0], [1.0], [np.nan], [2.0]])
g.put("imp_ties_X", ties)
g.put("imp_ties_stat", SimpleImputer(strategy="most_frequent").fit(ties).statistics_)

# ---------------------------------------------------------------- PolynomialFeatures
def put_poly(tag, X, Xs, **kw):
    p = PolynomialFeatures(**kw).fit(X)
    g.put(f"poly_{tag}_powers", p.powers_)
    g.put(f"poly_{tag}_Xt", p.transform(Xs))


put_poly("iris2", iris, iris[IROWS])
put_poly("iris3_io", iris, iris[IROWS], degree=3, interaction_only=True)
put_poly("iris4_nobias", iris, iris[:10], degree=4, include_bias=False)
put_poly("iris0", iris, iris[:5], degree=0)
put_poly("iris1_nobias", iris, iris[:5], degree=1, include_bias=False)
put_poly("diab2", diab, diab[:10], degree=2)
put_poly("wine3_io_nobias", wine, wine[:2], degree=3, interaction_only=True, include_bias=False)
put_poly("wine5_io", wine[:, :4], wine[:6, :4], degree=5, interaction_only=True)

# ---------------------------------------------------------------- OneHotEncoder
def put_oh(tag, X, Xs, cols, **kw):
    """ColumnTransformer(onehot on cols, remainder=passthrough) and the
    inverse, rebuilt column by column since ColumnTransformer has none."""
    enc = OneHotEncoder(sparse_output=False, **kw)
    ct = ColumnTransformer([("oh", enc, cols)], remainder="passthrough").fit(X)
    enc = ct.named_transformers_["oh"]
    Xt = ct.transform(Xs)
    for e, c in enumerate(enc.categories_):
        g.put(f"oh_{tag}_cats{e}", c)
    drop = enc.drop_idx_
    g.put(f"oh_{tag}_drop", [-1] * len(cols) if drop is None else
          [-1 if d is None else d for d in drop])
    g.put(f"oh_{tag}_Xt", Xt)
    n_blk = sum(len(c) for c in enc.categories_) - (0 if drop is None else
                                                     sum(d is not None for d in drop))
    inv = np.empty_like(Xs)
    dec = enc.inverse_transform(Xt[:, :n_blk])
    inv[:, cols] = np.array([[np.nan if v is None else v for v in r] for r in dec], dtype=float)
    rest = [j for j in range(X.shape[1]) if j not in cols]
    inv[:, rest] = Xt[:, n_blk:]
    g.put(f"oh_{tag}_inv", inv)


put_oh("sex", diab, diab[SUB], [1])
put_oh("sex_first", diab, diab[:40], [1], drop="first")
put_oh("sex_ifbin", diab, diab[:40], [1], drop="if_binary")
put_oh("iris_t0", iris_t, iris_t[IROWS], [4, 0])
put_oh("iris_all", iris_t[:, [1, 4]], iris_t[IROWS][:, [1, 4]], [0, 1], drop="if_binary")
put_oh("sexnan", diab_nan, diab_nan[:20], [1, 3])
# fitted on classes 0 and 1, applied to rows of class 2: unknown -> zeros
put_oh("unknown", iris_t[:100], iris_t[90:110], [4], handle_unknown="ignore")
put_oh("unknown_first", iris_t[:100], iris_t[90:110], [4], handle_unknown="ignore",
       drop="first")

# ---------------------------------------------------------------- pipeline
pipe = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), PolynomialFeatures(2))
pipe.fit(diab_nan)
g.put("pipe_rows", np.arange(0, 442, 45))
g.put("pipe_Xt", pipe.transform(diab_nan[::45]))

g.close()
