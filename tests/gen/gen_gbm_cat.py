"""Golden values for native categorical splits in the GBM (src/ensemble/gbm_tree.c,
gbm_xgb_import.c, gbm_shap.c) from XGBoost 1.7.4 (Debian python3-xgboost), hist with
enable_categorical=True, on data/diamonds.csv (cut, color, clarity are string columns).

Codes: each string column's levels sorted by byte order get codes 0..k-1, exactly what
cml's CSV reader does. Split: rows with index % 4 == 0 are the test set, the rest train.

Cases (test metric of XGBoost, which cml must match within 1%):
  reg  price ~ all other columns, reg:squarederror, 50 rounds, depth 6
       (cut 5, color 7, clarity 8 categories: partition splits)
  clf  cut ~ all other columns, multi:softprob (5 classes), 30 rounds, depth 6,
       max_cat_to_onehot = 8 (color, 7 levels: one-hot splits; clarity: partition)
Import: a 12-round depth-4 regression model and a 10-round depth-3 5-class model,
saved with save_model to tests/golden/gbm_cat_xgb_{reg,clf}.json, loaded back, and
their margins and pred_contribs on the first 150 test rows.

Run from the repository root: /usr/bin/python3 tests/gen/gen_gbm_cat.py
"""
import numpy as np
import pandas as pd
import xgboost as xgb

from golden import Golden

assert xgb.__version__ == "1.7.4", xgb.__version__

df = pd.read_csv("data/diamonds.csv")
CATS = ["cut", "color", "clarity"]
for c in CATS:
    levels = sorted(df[c].unique())
    df[c] = pd.Categorical.from_codes([levels.index(v) for v in df[c]], categories=levels)
test = (np.arange(len(df)) % 4) == 0


def frame(target):
    X = df.drop(columns=[target])
    y = df[target].cat.codes.to_numpy(np.float64) if target in CATS else df[target].to_numpy(np.float64)
    return X, y


def dmat(X, y):
    return xgb.DMatrix(X, label=y, enable_categorical=True)


def codes(X):
    """X as the float matrix cml sees (category codes)."""
    out = np.empty(X.shape)
    for j, c in enumerate(X.columns):
        out[:, j] = X[c].cat.codes if c in CATS else X[c]
    return out


g = Golden("tests/golden/gbm_cat.txt", __doc__)

# --- reg
X, y = frame("price")
p = dict(tree_method="hist", max_depth=6, eta=0.3, max_bin=256, objective="reg:squarederror",
         nthread=2, max_cat_to_onehot=4)
b = xgb.train(p, dmat(X[~test], y[~test]), 50)
pred = b.predict(dmat(X[test], y[test]))
rmse = float(np.sqrt(np.mean((pred - y[test]) ** 2)))
g.put("reg_rmse", [rmse])
print("reg rmse", rmse)
b_ord = xgb.train(p, xgb.DMatrix(codes(X[~test]), label=y[~test]), 50)
rmse_ord = float(np.sqrt(np.mean((b_ord.predict(xgb.DMatrix(codes(X[test]))) - y[test]) ** 2)))
g.put("reg_rmse_ordinal", [rmse_ord])
print("reg rmse ordinal codes", rmse_ord)

# --- clf
X, y = frame("cut")
p = dict(tree_method="hist", max_depth=6, eta=0.3, max_bin=256, objective="multi:softprob",
         num_class=5, nthread=2, max_cat_to_onehot=8)
b = xgb.train(p, dmat(X[~test], y[~test]), 30)
P = b.predict(dmat(X[test], y[test]))
ll = float(-np.mean(np.log(np.clip(P[np.arange(len(P)), y[test].astype(int)], 1e-15, 1))))
acc = float(np.mean(P.argmax(1) == y[test]))
g.put("clf_mlogloss", [ll])
g.put("clf_accuracy", [acc])
print("clf mlogloss", ll, "acc", acc)

# --- imports
sel = np.flatnonzero(test)[:150]  # rows 0, 4, 8, ... (X is not stored: the test reads the CSV)
for name, target, rounds, depth, extra in [
        ("reg", "price", 12, 4, dict(objective="reg:squarederror")),
        ("clf", "cut", 10, 3, dict(objective="multi:softprob", num_class=5, max_cat_to_onehot=8))]:
    X, y = frame(target)
    p = dict(tree_method="hist", max_depth=depth, eta=0.3, nthread=2, **extra)
    b = xgb.train(p, dmat(X[~test], y[~test]), rounds)
    path = f"tests/golden/gbm_cat_xgb_{name}.json"
    b.save_model(path)
    b = xgb.Booster(model_file=path)  # predict as the JSON file routes
    Xs = X.iloc[sel]
    dm = dmat(Xs, y[sel])
    margin = b.predict(dm, output_margin=True).astype(np.float64)
    contrib = b.predict(dm, pred_contribs=True).astype(np.float64)
    g.put(f"imp_{name}_margin", margin.reshape(len(sel), -1))
    g.put(f"imp_{name}_contrib", contrib.reshape(len(sel), -1))
g.close()
