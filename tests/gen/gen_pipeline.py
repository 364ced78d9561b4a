#!/usr/bin/python3
"""Golden outputs for pipelines (preprocessing steps + estimator in one model) vs scikit-learn.

Polynomial regression = PolynomialFeatures + Ridge/LinearRegression, and scaler + logistic
regression, on real data. Run from the repo root: /usr/bin/python3 tests/gen/gen_pipeline.py
"""
import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from golden import Golden, load_csv

g = Golden("tests/golden/pipeline.txt", "Pipelines vs scikit-learn 1.2.1 (tests/gen/gen_pipeline.py)")

X, y, _ = load_csv("diabetes")
# polynomial regression, the textbook way: scale, expand, fit a linear model
p = make_pipeline(StandardScaler(), PolynomialFeatures(2), Ridge(alpha=1.0)).fit(X, y)
g.put("poly_ridge_pred", p.predict(X))
g.put("poly_ridge_coef", p[-1].coef_)
p = make_pipeline(PolynomialFeatures(2), LinearRegression()).fit(X[:, :4], y)
g.put("poly_ols_pred", p.predict(X[:, :4]))

# missing values: impute -> scale -> poly -> ridge on diabetes with 5% of cells hidden
rng = np.random.RandomState(7)
Xn = X.copy()
Xn[rng.rand(*X.shape) < 0.05] = np.nan
g.put("diabetes_nan", Xn)
p = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), PolynomialFeatures(2),
                  Ridge(alpha=10.0)).fit(Xn, y)
g.put("impute_poly_ridge_pred", p.predict(Xn))

Xb, yb, _ = load_csv("breast_cancer")
p = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, tol=1e-10, max_iter=10000)).fit(Xb, yb)
g.put("scale_logreg_proba", p.predict_proba(Xb))
g.close()
