"""Golden values for XGBoost JSON import and TreeSHAP (src/ensemble/gbm_xgb_import.c,
src/tree/treeshap.c): XGBoost 1.7.4 models trained here on real data, saved with
save_model("*.json") into tests/golden/, and what XGBoost predicts with them.

Run from the repository root with /usr/bin/python3:
    /usr/bin/python3 tests/gen/gen_shap.py
Writes tests/golden/xgb_<case>.json and tests/golden/shap.txt, read by
tests/unit/test_golden_shap.c.

Cases (tree_method="hist", nthread=2, seed=0):
  bc      breast_cancer, binary:logistic, 30 rounds, max_depth 4, with 5% of the
          cells set to NaN (default directions are exercised; fixed RNG)
  diab    diabetes, reg:squarederror, 25 rounds, max_depth 3, eta 0.3
  iris    iris, multi:softprob (3 classes), 12 rounds, max_depth 3
  pois    diabetes target // 10, count:poisson, 20 rounds, max_depth 3
Per case: X (the rows predicted: all of them), margin = predict(output_margin=True),
pred = predict() (probabilities / values), contribs = predict(pred_contribs=True)
flattened to (rows, outputs * (features + 1)).
"""
import numpy as np
import xgboost as xgb

from golden import Golden, load_csv

assert xgb.__version__ == "1.7.4", xgb.__version__


def case(g, name, X, y, params, rounds):
    p = dict(tree_method="hist", nthread=2, seed=0)
    p.update(params)
    dm = xgb.DMatrix(X, label=y, missing=np.nan)
    b = xgb.train(p, dm, rounds)
    b.save_model(f"tests/golden/xgb_{name}.json")
    g.put(f"{name}_X", X)
    g.put(f"{name}_margin", b.predict(dm, output_margin=True).reshape(len(X), -1))
    g.put(f"{name}_pred", b.predict(dm).reshape(len(X), -1))
    g.put(f"{name}_contribs", b.predict(dm, pred_contribs=True).reshape(len(X), -1))


def main():
    g = Golden("tests/golden/shap.txt", __doc__)
    X, y, _ = load_csv("breast_cancer")
    rng = np.random.RandomState(0)
    X = X.copy()
    X[rng.rand(*X.shape) < 0.05] = np.nan
    case(g, "bc", X[:160], y[:160], dict(objective="binary:logistic", max_depth=4), 30)
    X, y, _ = load_csv("diabetes")
    case(g, "diab", X[:150], y[:150], dict(objective="reg:squarederror", max_depth=3), 25)
    case(g, "pois", X[:150], np.floor(y[:150] / 10),
         dict(objective="count:poisson", max_depth=3), 20)
    X, y, _ = load_csv("iris")
    case(g, "iris", X, y, dict(objective="multi:softprob", num_class=3, max_depth=3), 12)
    g.close()
    # Boosted random forests (num_parallel_tree > 1, XGBRF-style), in their own file to keep
    # each golden file small.
    g = Golden("tests/golden/shap_rf.txt", __doc__ + "\nrf_*: num_parallel_tree=4, subsample 0.8, "
               "colsample_bynode 0.8, eta 1, 3 rounds (XGBRF-style).")
    rf = dict(num_parallel_tree=4, subsample=0.8, colsample_bynode=0.8, eta=1.0, max_depth=4)
    X, y, _ = load_csv("iris")
    case(g, "rf_iris", X[::2], y[::2], dict(objective="multi:softprob", num_class=3, **rf), 3)
    X, y, _ = load_csv("diabetes")
    case(g, "rf_diab", X[:80], y[:80], dict(objective="reg:squarederror", **rf), 3)
    g.close()


if __name__ == "__main__":
    main()
