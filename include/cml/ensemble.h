/*
 * cml/ensemble.h — random forests and extremely randomized trees with
 * scikit-learn 1.2 semantics: RandomForestClassifier / Regressor (registry
 * names random_forest_classifier / rf and random_forest_regressor /
 * rf_regressor) and ExtraTreesClassifier / Regressor (extra_trees_classifier,
 * extra_trees_regressor), plus what scikit-learn does not ship: permutation
 * importance on the typed API, Breiman's proximity matrix and
 * proximity-based imputation of missing values (rfImpute).
 *
 * Same forests as scikit-learn. Tree i gets its seed from the forest's
 * random_state exactly as scikit-learn draws it (numpy's RandomState, in tree
 * order), its bootstrap sample from that seed as scikit-learn draws it, and
 * is grown by cml's scikit-learn-identical CART (cml/tree.h). So for the same
 * random_state, every tree, the OOB score and the predictions equal
 * scikit-learn's (probabilities are summed in tree order; scikit-learn sums
 * in thread-completion order, which can differ in the last bit). The seeds
 * are drawn before the trees are grown in parallel (OpenMP over trees), so
 * the forest does not depend on the thread count.
 *
 * Parameters (scikit-learn's names and defaults; `cml algos rf` lists them):
 * n_estimators (100), criterion, max_depth, min_samples_split,
 * min_samples_leaf, min_weight_fraction_leaf, max_features (classifiers
 * "sqrt", regressors "1.0" = all), max_leaf_nodes, min_impurity_decrease,
 * bootstrap (random forests true, extra trees false), oob_score (false;
 * needs bootstrap), n_jobs (accepted and ignored: cml's thread count rules,
 * see cml_set_num_threads), random_state (0), class_weight (classifiers: "",
 * "balanced", "balanced_subsample" or "label:weight,..."), ccp_alpha,
 * max_samples (0 = None: n rows per bootstrap; a value in (0, 1] a fraction,
 * round(fraction * n) and at least 1; an integer > 1 a count <= n).
 * Tree parameters mean what cml/tree.h says, NaN handling included.
 *
 * Thread-safety: a fitted cml_forest is immutable; predict-side calls may
 * run from many threads at once.
 */
#ifndef CML_ENSEMBLE_H
#define CML_ENSEMBLE_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"
#include "cml/tree.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cml_forest_kind {
    CML_RF_CLASSIFIER = 0, /* RandomForestClassifier */
    CML_RF_REGRESSOR,      /* RandomForestRegressor */
    CML_ET_CLASSIFIER,     /* ExtraTreesClassifier: random splitter, no bootstrap */
    CML_ET_REGRESSOR       /* ExtraTreesRegressor */
} cml_forest_kind;

typedef struct cml_forest_params {
    int n_estimators;                    /* default 100 */
    int criterion;                       /* index as in cml/tree.h; gini / squared_error */
    int max_depth;                       /* 0 or -1 = None (default) */
    double min_samples_split;            /* default 2 */
    double min_samples_leaf;             /* default 1 */
    double min_weight_fraction_leaf;     /* default 0 */
    char max_features[CML_PARAM_STRLEN]; /* "sqrt" (classifiers) / "1.0" (regressors) */
    int max_leaf_nodes;                  /* 0 or -1 = None (default) */
    double min_impurity_decrease;        /* default 0 */
    int bootstrap;                       /* bool; random forests 1, extra trees 0 */
    int oob_score;                       /* bool, default 0 */
    int n_jobs;                          /* ignored (scikit-learn compatibility) */
    int random_state;                    /* default 0 */
    char class_weight[CML_PARAM_STRLEN]; /* classifiers; default "" */
    double ccp_alpha;                    /* default 0 */
    double max_samples;                  /* default 0 = None */
} cml_forest_params;

typedef struct cml_forest cml_forest;

cml_forest_params cml_forest_params_default(cml_forest_kind kind);
/* NULL, or a message naming the bad parameter (thread-local storage). */
const char *cml_forest_params_check(cml_forest_kind kind, const cml_forest_params *p);

/* Fits n_estimators trees on X (rows, cols; NaN allowed) and y; sample_weight
 * (rows, >= 0) or NULL. With oob_score, computes oob_score_ and the
 * out-of-bag decision function / prediction. Errors: CML_ERR_ARG naming the
 * parameter or input. Free with cml_forest_free. */
cml_status cml_forest_fit(cml_forest_kind kind, const cml_forest_params *p, const cml_matrix *X,
                          const double *y, const double *sample_weight, cml_forest **out);

/* out (rows): classes (argmax of the mean probability) or mean values. */
cml_status cml_forest_predict(const cml_forest *f, const cml_matrix *X, double *out);
/* out (rows, n_classes): mean over trees of each tree's leaf class fractions. */
cml_status cml_forest_predict_proba(const cml_forest *f, const cml_matrix *X, double *out);
/* leaf (rows, n_estimators) row-major: the leaf id each row reaches in each tree. */
cml_status cml_forest_apply(const cml_forest *f, const cml_matrix *X, int64_t *leaf);

int cml_forest_is_classifier(const cml_forest *f);
int64_t cml_forest_n_estimators(const cml_forest *f);
int64_t cml_forest_n_features_in(const cml_forest *f);
int64_t cml_forest_n_classes(const cml_forest *f);
const double *cml_forest_classes(const cml_forest *f); /* NULL for regressors */
/* The i-th tree (0 <= i < n_estimators), e.g. for cml_tree_export_text. */
const cml_tree *cml_forest_tree(const cml_forest *f, int64_t i);
/* (n_features) mean of the trees' normalized MDI importances (trees with a
 * single node left out), normalized to sum 1: feature_importances_. */
const double *cml_forest_feature_importances(const cml_forest *f);
/* oob_score_ (accuracy or R^2); NaN when the forest was fitted without
 * oob_score. */
double cml_forest_oob_score(const cml_forest *f);
/* oob_decision_function_ (rows, n_classes) for classifiers, oob_prediction_
 * (rows) for regressors, over the training rows; NULL without oob_score. Rows
 * that were in every bootstrap sample hold zeros, as in scikit-learn. */
const double *cml_forest_oob_decision(const cml_forest *f, int64_t *rows);

/* Permutation importance (Breiman 2001; scikit-learn's
 * permutation_importance with the estimator's default score: accuracy or
 * R^2) of each feature on (X, y): baseline score minus the score after
 * shuffling that column, n_repeats times. mean and std (ddof 0), each
 * (n_features); raw (n_features, n_repeats) or NULL. The shuffles use
 * cml_rng stream j (random_state, jumped j times) for feature j, so the
 * result does not depend on the thread count (scikit-learn's own RNG
 * differs: numbers agree only statistically). */
cml_status cml_forest_permutation_importance(const cml_forest *f, const cml_matrix *X,
                                             const double *y, int n_repeats, int random_state,
                                             double *mean, double *std, double *raw);

/* Proximity matrix (Breiman): out (rows, rows), the fraction of trees in
 * which rows i and j of X reach the same leaf (1 on the diagonal). All trees
 * count (not only those where both rows are out of bag). O(rows^2) memory. */
cml_status cml_forest_proximity(const cml_forest *f, const cml_matrix *X, double *out);

/* Proximity imputation of missing values (Breiman's rfImpute, as the R
 * package randomForest: Liaw & Wiener 2002). out (rows, cols) receives X with
 * every NaN replaced: first by its column's median, then n_iter times a
 * forest (kind, p) is fitted on the filled data and y, and each missing cell
 * becomes the proximity-weighted mean of the column's observed values.
 * n_iter >= 1 (R's default is 5). A column with no observed value is an
 * error (CML_ERR_ARG). */
cml_status cml_forest_impute(cml_forest_kind kind, const cml_forest_params *p, const cml_matrix *X,
                             const double *y, int n_iter, double *out);

/* TreeSHAP values of the forest (the mean of its trees' values, see
 * cml_tree_shap_values): out (rows, n_outputs, n_features + 1) with
 * n_outputs = n_classes (predict_proba) or 1 (predict). */
int64_t cml_forest_shap_n_outputs(const cml_forest *f);
cml_status cml_forest_shap_values(const cml_forest *f, const cml_matrix *X, double *out);

/* SHAP values of any fitted tree-based model (decision_tree_*, random_forest_*,
 * extra_trees_*, gbm_*), for the CLI and bindings: n_outputs 0 means the
 * model is not supported. A pipeline's preprocessing steps run first; the
 * contributions are those of the final estimator's input columns
 * (cml_shap_n_features of them). out (rows, n_outputs, n_features + 1);
 * the explained output is the typed API's (probabilities for trees and
 * forests, the raw margin for GBMs). CML_ERR_UNSUPPORTED for other models. */
int64_t cml_shap_n_outputs(const cml_model *m);
int64_t cml_shap_n_features(const cml_model *m);
cml_status cml_shap_values(const cml_model *m, const cml_matrix *X, double *out);

void cml_forest_free(cml_forest *f);

#ifdef __cplusplus
}
#endif
#endif /* CML_ENSEMBLE_H */
