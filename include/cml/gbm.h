/*
 * cml/gbm.h — histogram gradient boosting (XGBoost's `hist` tree method):
 * gbm_regressor (alias gbm_reg) and gbm_classifier (alias gbm).
 *
 * Parameter names and defaults are XGBoost 1.7's (n_estimators=100,
 * learning_rate=0.3, max_depth=6, max_bin=256, reg_lambda=1, base_score=0.5
 * ...). Trees minimise the second-order objective of Chen & Guestrin,
 * "XGBoost: A Scalable Tree Boosting System" (KDD 2016), eq. (6)-(7):
 *   leaf weight  w* = -T(G, alpha) / (H + lambda)     T = L1 soft threshold
 *   split gain   T(G_L)^2/(H_L+l) + T(G_R)^2/(H_R+l) - T(G)^2/(H+l)
 * over quantile-binned features; missing values (NaN) learn a default
 * direction per split. Results do not depend on the thread count.
 *
 * Constraints, as XGBoost 1.7's hist updater applies them (the trees equal
 * XGBoost's node for node in the golden tests): monotone_constraints bound
 * each child's weight by the midpoint of its parent's children weights and
 * reject splits whose weights go the wrong way; interaction_constraints let
 * a node split only on features already on its path or in a set that
 * contains them all (a feature in no set interacts with none).
 *
 * Typed API contract (the generic cml_model layer wraps the same calls):
 *  - fit copies what it keeps; free the model with cml_gbm_free (NULL ok).
 *  - X may contain NaN (missing); +-inf is rejected. y must be finite.
 *  - predict functions allocate nothing shared and are safe to call from
 *    many threads on one const model.
 *  - Errors: CML_ERR_ARG with cml_last_error() naming the parameter.
 */
#ifndef CML_GBM_H
#define CML_GBM_H

#include <stddef.h>
#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Objectives, XGBoost names; the order is the `objective` enum's. */
typedef enum cml_gbm_objective {
    CML_GBM_SQUAREDERROR = 0, /* reg:squarederror */
    CML_GBM_ABSOLUTEERROR,    /* reg:absoluteerror (leaves refit to residual medians) */
    CML_GBM_PSEUDOHUBER,      /* reg:pseudohubererror, slope huber_slope */
    CML_GBM_QUANTILE,         /* reg:quantileerror, level quantile_alpha */
    CML_GBM_POISSON,          /* count:poisson (log link) */
    CML_GBM_LOGISTIC,         /* binary:logistic */
    CML_GBM_SOFTPROB          /* multi:softprob (one tree per class per round) */
} cml_gbm_objective;

/* Evaluation metrics; AUTO = the objective's default (XGBoost's). */
typedef enum cml_gbm_metric {
    CML_GBM_METRIC_AUTO = 0,
    CML_GBM_METRIC_RMSE,
    CML_GBM_METRIC_MAE,
    CML_GBM_METRIC_LOGLOSS,
    CML_GBM_METRIC_ERROR,
    CML_GBM_METRIC_MLOGLOSS,
    CML_GBM_METRIC_MERROR,
    CML_GBM_METRIC_POISSON_NLOGLIK,
    CML_GBM_METRIC_MPHE,
    CML_GBM_METRIC_QUANTILE
} cml_gbm_metric;

typedef enum cml_gbm_grow_policy { CML_GBM_DEPTHWISE = 0, CML_GBM_LOSSGUIDE } cml_gbm_grow_policy;
typedef enum cml_gbm_boosting { CML_GBM_GBDT = 0, CML_GBM_GOSS } cml_gbm_boosting;
typedef enum cml_gbm_cat_encoding {
    CML_GBM_CAT_NATIVE = 0,
    CML_GBM_CAT_ORDERED_TS
} cml_gbm_cat_encoding;

typedef struct cml_gbm_params {
    int n_estimators;          /* boosting rounds, >= 1 (default 100) */
    double learning_rate;      /* eta, > 0 (0.3) */
    int max_depth;             /* 0 = unlimited (lossguide only) (6) */
    int max_leaves;            /* 0 = unlimited (0) */
    int grow_policy;           /* cml_gbm_grow_policy (depthwise) */
    int max_bin;               /* bins per feature, 2..65535 (256) */
    double min_child_weight;   /* min hessian sum in a child (1) */
    double reg_lambda;         /* L2 on leaf weights (1) */
    double reg_alpha;          /* L1 on leaf weights (0) */
    double gamma;              /* min loss reduction to split (0) */
    double max_delta_step;     /* |leaf weight| cap, 0 = none (0) */
    double subsample;          /* row fraction per tree, (0, 1] (1) */
    double colsample_bytree;   /* feature fraction per tree (1) */
    double colsample_bynode;   /* feature fraction per node, of the tree's (1) */
    int objective;             /* cml_gbm_objective */
    double base_score;         /* initial prediction (0.5, XGBoost 1.7); median for L1/quantile */
    int random_state;          /* seed of subsample / colsample / GOSS (0) */
    int early_stopping_rounds; /* 0 = off; needs opts->X_valid */
    int eval_metric;           /* cml_gbm_metric */
    double huber_slope;        /* pseudo-Huber delta (1) */
    double quantile_alpha;     /* quantile level (0.5) */
    int boosting;              /* cml_gbm_boosting (gbdt) */
    double top_rate;           /* GOSS: kept fraction of largest gradients (0.2) */
    double other_rate;         /* GOSS: sampled fraction of the rest (0.1) */
    /* XGBoost's monotone_constraints: "(1,0,-1)", one of -1/0/1 per feature
     * (missing trailing entries = 0), or sparse "{3:1,40:-1}" (feature
     * index: constraint; others 0); "" = none. */
    char monotone_constraints[CML_PARAM_STRLEN];
    /* XGBoost's interaction_constraints: "[[0,1],[2,3,4]]", sets of feature
     * indices that may share a root-to-leaf path; "" = none. */
    char interaction_constraints[CML_PARAM_STRLEN];
    /* Native categorical splits (XGBoost's enable_categorical=True with
     * tree_method=hist): column indices "0,3,5" (also "(0,3,5)" or
     * "[0,3,5]") whose values are category codes (integers >= 0, NaN
     * missing); "" = none. `cml fit` fills it with the CSV's string
     * columns unless --param categorical_features=... is given. */
    char categorical_features[CML_PARAM_STRLEN];
    int max_cat_to_onehot; /* fewer categories: one-vs-rest splits (4) */
    int max_cat_threshold; /* most categories scanned per partition split (64) */
    /* How categorical_features are used: native category-set splits, or
     * CatBoost's ordered target statistics (regression and binary
     * classification): each category becomes the running mean of the
     * target over a random permutation of the preceding rows at fit, the
     * mean over all training rows at predict. */
    int cat_encoding;             /* cml_gbm_cat_encoding (native) */
    char prior[CML_PARAM_STRLEN]; /* ordered TS prior p: "mean" (of y) or a number */
    double prior_weight;          /* its weight a > 0: (sum + a p) / (count + a) (1) */
} cml_gbm_params;

typedef struct cml_gbm cml_gbm;

cml_gbm_params cml_gbm_regressor_params_default(void);
cml_gbm_params cml_gbm_classifier_params_default(void);
/* Ranges and cross-parameter rules; NULL or a message naming the parameter. */
const char *cml_gbm_params_check(const cml_gbm_params *p);

/* opts (may be NULL): sample_weight, and X_valid/y_valid for the eval
 * history and early stopping. The classifier's classes are the sorted
 * distinct values of y; with more than two it switches binary:logistic to
 * multi:softprob as XGBClassifier does. */
cml_status cml_gbm_regressor_fit(const cml_gbm_params *p, const cml_matrix *X, const double *y,
                                 const cml_fit_opts *opts, cml_gbm **out);
cml_status cml_gbm_classifier_fit(const cml_gbm_params *p, const cml_matrix *X, const double *y,
                                  const cml_fit_opts *opts, cml_gbm **out);

/* out (rows): regression value, or class label for a classifier. */
cml_status cml_gbm_predict(const cml_gbm *m, const cml_matrix *X, double *out);
/* out (rows, n_classes), classifiers only. */
cml_status cml_gbm_predict_proba(const cml_gbm *m, const cml_matrix *X, double *out);
/* Raw margins before the link: out (rows, cml_gbm_n_outputs(m)). */
cml_status cml_gbm_predict_margin(const cml_gbm *m, const cml_matrix *X, double *out);

int64_t cml_gbm_n_features_in(const cml_gbm *m);
/* Margins per row: 1, or n_classes for multi:softprob. */
int cml_gbm_n_outputs(const cml_gbm *m);
/* Classes (ascending) of a classifier; 0 and NULL for a regressor. */
int64_t cml_gbm_classes(const cml_gbm *m, const double **classes);
/* Rounds kept (best_iteration + 1 after early stopping) and trees (rounds x
 * outputs). */
int cml_gbm_n_rounds(const cml_gbm *m);
int cml_gbm_n_trees(const cml_gbm *m);
/* The objective actually trained (after the classifier's switch). */
cml_gbm_objective cml_gbm_objective_of(const cml_gbm *m);
cml_gbm_metric cml_gbm_eval_metric(const cml_gbm *m);
/* Base margin (link of base_score). */
double cml_gbm_base_margin(const cml_gbm *m);
/* Round with the best validation metric (early stopping), or rounds - 1. */
int cml_gbm_best_iteration(const cml_gbm *m);

/* Metric per boosting round, evaluated after the round: set 0 = training
 * data, 1 = validation data (NULL when no X_valid was given). *n = rounds
 * trained (may exceed n_rounds after early stopping). Valid as long as m. */
const double *cml_gbm_eval_history(const cml_gbm *m, int set, int *n);

typedef enum cml_gbm_importance {
    CML_GBM_IMP_WEIGHT = 0, /* number of splits on the feature */
    CML_GBM_IMP_GAIN,       /* mean loss reduction of its splits */
    CML_GBM_IMP_COVER,      /* mean hessian sum of its splits */
    CML_GBM_IMP_TOTAL_GAIN,
    CML_GBM_IMP_TOTAL_COVER
} cml_gbm_importance;

/* out (n_features_in), XGBoost's get_score values (0 for unused features). */
cml_status cml_gbm_feature_importances(const cml_gbm *m, cml_gbm_importance type, double *out);

/* One node of a tree, XGBoost's dump fields. Node ids are per tree, in
 * creation order (XGBoost's numbering); the root is 0. */
typedef struct cml_gbm_node {
    int is_leaf;
    int feature;        /* split feature, -1 for a leaf */
    int is_categorical; /* categorical split: see cml_gbm_node_categories */
    double threshold;   /* numeric split: go left iff x < threshold; NaN otherwise */
    int default_left;   /* where NaN goes */
    int left, right;    /* child ids, -1 for a leaf */
    double value;       /* leaf value (learning rate included), 0 for a split */
    double gain;        /* loss reduction of the split, 0 for a leaf */
    double cover;       /* hessian sum of the training rows reaching the node */
} cml_gbm_node;

/* Node count of tree t (t < n_trees), 0 if out of range. */
int cml_gbm_tree_size(const cml_gbm *m, int t);
cml_status cml_gbm_tree_node(const cml_gbm *m, int t, int node, cml_gbm_node *out);
/* Categorical split node of tree t: writes up to cap of the category codes
 * that go RIGHT (ascending) into out and returns how many there are; -1 for
 * a numeric split, a leaf or a bad index. A categorical split routes x as
 * XGBoost 1.7 does: NaN, x < 0 and x >= *range go to the default (missing)
 * side; otherwise category (int)x goes right iff it is in the set, left if
 * not (so a code never seen at fit but below the range goes left). range
 * (may be NULL) = 32 x the set's words: for cml's own fits, the first
 * multiple of 32 above the feature's largest training code. */
int cml_gbm_node_categories(const cml_gbm *m, int t, int node, int32_t *out, int cap,
                            int64_t *range);

/* Exact TreeSHAP contributions to the raw margin, XGBoost's
 * predict(pred_contribs=True): out (rows, n_outputs, n_features + 1); the
 * last column of each output is base_margin + the trees' expected values.
 * Each output's row sums to cml_gbm_predict_margin (up to rounding). */
cml_status cml_gbm_shap_values(const cml_gbm *m, const cml_matrix *X, double *out);

/* Imports a model saved by XGBoost's save_model("model.json") (gbtree,
 * numerical and categorical splits, any num_parallel_tree (XGBRF* forests too); objectives
 * reg:squarederror, reg:absoluteerror, reg:pseudohubererror,
 * reg:quantileerror, count:poisson, binary:logistic, multi:softprob/softmax).
 * Predictions equal XGBoost's Booster.predict over all trees up to its
 * float32 summation (cml sums in double); thresholds are converted so that
 * routing matches XGBoost's float32 comparison exactly. Classifiers get the
 * classes 0 .. K-1 (XGBoost's labels). Errors: CML_ERR_IO, CML_ERR_FORMAT
 * (not XGBoost JSON, bad tree), CML_ERR_UNSUPPORTED (other boosters,
 * other objectives). */
/* cml_gbm_n_rounds of an import = trees per output (rounds x num_parallel_tree). */
cml_status cml_gbm_import_xgboost(const char *path, cml_gbm **out);
cml_status cml_gbm_import_xgboost_json(const char *text, size_t len, cml_gbm **out);
/* The same import as a fitted generic model (gbm_classifier for
 * binary:logistic / multi:*, else gbm_regressor), ready for
 * cml_model_predict, cml_model_save (a .gguf that `cml predict` reads) and
 * cml_shap_values. Features are positional (XGBoost's column order). */
cml_status cml_gbm_import_xgboost_model(const char *path, cml_model **out);

/* Tree `tree` (0 <= tree < n_trees) as text in XGBoost's get_dump(
 * with_stats=True) layout, or as Graphviz DOT (XGBoost's to_graphviz look);
 * feature_names (n_features_in) or NULL for f0, f1... Malloc'd string, or
 * NULL with the error set (CML_ERR_ARG for a bad tree index). */
char *cml_gbm_export_text(const cml_gbm *m, int tree, const char *const *feature_names);
char *cml_gbm_export_dot(const cml_gbm *m, int tree, const char *const *feature_names);
/* Draws the tree with cairo (.png or .svg): split boxes "feature < thr /
 * gain / cover", leaves "leaf = value / cover" coloured by sign and size,
 * edges "yes" / "no" with the missing side marked; levels deeper than
 * max_depth (>= 0; -1 = all) as "(...)". title may be NULL. */
cml_status cml_gbm_export_image(const cml_gbm *m, int tree, const char *const *feature_names,
                                int max_depth, const char *path, const char *title);

void cml_gbm_free(cml_gbm *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_GBM_H */
