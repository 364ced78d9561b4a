/*
 * cml/tree.h — CART decision trees with scikit-learn 1.2 semantics:
 * DecisionTreeClassifier and DecisionTreeRegressor (registry names
 * decision_tree_classifier / tree and decision_tree_regressor).
 *
 * Same trees as scikit-learn. For the same random_state, cml grows the same
 * tree as scikit-learn 1.2.1: same node numbering, features, thresholds,
 * values, impurities, pruning path and importances. That includes ties
 * between equally good splits, which scikit-learn breaks by the random order
 * in which a node visits the features even with max_features = all: cml
 * reproduces scikit-learn's generators for that (see src/tree/sk_random.h).
 * Like scikit-learn, trees work on X rounded to float32: thresholds are
 * midpoints x_a/2 + x_b/2 of consecutive distinct float32 values of the
 * node, values closer than 1e-7 are never split apart, and predict rounds X
 * to float32 before comparing (a row goes left when x <= threshold).
 * At fit, values outside float32's range are rejected (as scikit-learn
 * does). Identity holds whenever the sums a node compares are exact, i.e.
 * integer sample weights (bootstrap counts included) and, for regression,
 * targets whose weighted sums are exact (e.g. integers). With fractional
 * weights (class_weight=balanced) or real-valued targets, sums are taken in
 * another order than scikit-learn's, so where two splits tie to the last
 * bit, or a pure node's impurity rounds to +-1e-16, the trees can differ;
 * the absolute_error median with non-unit weights can too.
 *
 * Missing values (cml's extension; scikit-learn 1.2 rejects NaN): NaN in X
 * is allowed at fit and predict. At each split the NaNs of the node are sent
 * to whichever side gives the better impurity (both are tried, and so is the
 * split "NaN versus the rest"); when the node had no NaN at fit, a NaN goes
 * to the child that received more training rows (left on a tie). Without
 * NaN the trees are exactly scikit-learn's.
 *
 * Parameters (names and defaults are scikit-learn's; see `cml algos tree`):
 *  - criterion: classifier gini | entropy | log_loss (= entropy, in bits);
 *    regressor squared_error | friedman_mse | absolute_error. The field holds
 *    the index in that list.
 *  - splitter: best | random (random = extra trees' RandomSplitter: one
 *    uniform threshold per feature between the node's min and max).
 *  - max_depth: 0 or -1 means None (unlimited); otherwise >= 1.
 *  - min_samples_split: >= 2 is a row count; a value in (0, 1] a fraction of
 *    the rows (ceil(fraction * n), at least 2). Default 2.
 *  - min_samples_leaf: >= 1 is a row count; a value in (0, 1) a fraction
 *    (ceil(fraction * n)). Default 1.
 *  - min_weight_fraction_leaf in [0, 0.5]. Default 0.
 *  - max_features: "" or "None" (all: the tree default), "sqrt", "log2",
 *    "auto" (sqrt for classifiers, all for regressors), an integer count
 *    ("5") or a fraction written with a point ("0.5", "1.0");
 *    a fraction gives max(1, int(fraction * n_features)).
 *  - max_leaf_nodes: 0 or -1 means None (depth-first growth); otherwise >= 2,
 *    and the tree grows best-first (largest impurity decrease first).
 *  - min_impurity_decrease >= 0; ccp_alpha >= 0 (minimal cost-complexity
 *    pruning after growth).
 *  - class_weight (classifier): "" (none), "balanced", or an explicit map
 *    "class:weight,class:weight" (e.g. "0:1,1:2.5"; unlisted classes weigh 1).
 *  - random_state: seed (default 0; scikit-learn's default None draws one).
 *
 * Thread-safety: a fitted cml_tree is immutable; predict-side calls may run
 * from many threads at once. Getters return pointers into the tree, valid
 * until cml_tree_free.
 */
#ifndef CML_TREE_H
#define CML_TREE_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cml_tree_kind { CML_TREE_CLASSIFIER = 0, CML_TREE_REGRESSOR = 1 } cml_tree_kind;

/* criterion values for classifiers ... */
enum { CML_TREE_GINI = 0, CML_TREE_ENTROPY = 1, CML_TREE_LOG_LOSS = 2 };
/* ... and for regressors */
enum { CML_TREE_SQUARED_ERROR = 0, CML_TREE_FRIEDMAN_MSE = 1, CML_TREE_ABSOLUTE_ERROR = 2 };

typedef struct cml_tree_params {
    int criterion;                       /* see above; default gini / squared_error */
    int splitter;                        /* 0 best (default), 1 random */
    int max_depth;                       /* 0 or -1 = None (default) */
    double min_samples_split;            /* default 2 */
    double min_samples_leaf;             /* default 1 */
    double min_weight_fraction_leaf;     /* default 0 */
    char max_features[CML_PARAM_STRLEN]; /* default "" = all features */
    int random_state;                    /* default 0 */
    int max_leaf_nodes;                  /* 0 or -1 = None (default) */
    double min_impurity_decrease;        /* default 0 */
    char class_weight[CML_PARAM_STRLEN]; /* classifier only; default "" */
    double ccp_alpha;                    /* default 0 */
} cml_tree_params;

typedef struct cml_tree cml_tree;

cml_tree_params cml_tree_params_default(cml_tree_kind kind);
/* NULL, or a message naming the bad parameter (thread-local storage). */
const char *cml_tree_params_check(cml_tree_kind kind, const cml_tree_params *p);

/* Fits a tree on X (rows, cols; NaN allowed) and y (rows): class labels (any
 * doubles) for a classifier, targets for a regressor. sample_weight (rows,
 * >= 0, positive sum) or NULL; rows of zero weight are ignored, as in
 * scikit-learn. Errors: CML_ERR_ARG naming the parameter or the bad input
 * cell. *out is freed with cml_tree_free. */
cml_status cml_tree_fit(cml_tree_kind kind, const cml_tree_params *p, const cml_matrix *X,
                        const double *y, const double *sample_weight, cml_tree **out);

/* out (rows): class labels (classifier) or values (regressor). */
cml_status cml_tree_predict(const cml_tree *t, const cml_matrix *X, double *out);
/* out (rows, n_classes): the weighted class fractions of each row's leaf;
 * CML_ERR_UNSUPPORTED for regressors. */
cml_status cml_tree_predict_proba(const cml_tree *t, const cml_matrix *X, double *out);
/* leaf (rows): the id of the leaf each row reaches (scikit-learn's apply). */
cml_status cml_tree_apply(const cml_tree *t, const cml_matrix *X, int64_t *leaf);
/* The nodes each row goes through, root first, as CSR (scikit-learn's
 * decision_path): row i visits indices[indptr[i] .. indptr[i+1]). Both
 * arrays malloc'd; the caller frees them. */
cml_status cml_tree_decision_path(const cml_tree *t, const cml_matrix *X, int64_t **indptr,
                                  int64_t **indices);

/* scikit-learn's cost_complexity_pruning_path: fits with ccp_alpha = 0, then
 * returns the effective alphas (ascending) and the total weighted leaf
 * impurity of each pruned subtree, both malloc'd with *n entries. */
cml_status cml_tree_cost_complexity_pruning_path(cml_tree_kind kind, const cml_tree_params *p,
                                                 const cml_matrix *X, const double *y,
                                                 const double *sample_weight, double **ccp_alphas,
                                                 double **impurities, int64_t *n);

int cml_tree_is_classifier(const cml_tree *t);
int64_t cml_tree_n_features_in(const cml_tree *t);
int64_t cml_tree_n_classes(const cml_tree *t);     /* 0 for regressors */
const double *cml_tree_classes(const cml_tree *t); /* (n_classes) ascending; NULL for regressors */
/* (n_features) mean decrease in impurity, normalized to sum 1 (all zeros
 * for a single-leaf tree), as feature_importances_. */
const double *cml_tree_feature_importances(const cml_tree *t);
int64_t cml_tree_max_features(const cml_tree *t); /* max_features_ as resolved at fit */
int64_t cml_tree_node_count(const cml_tree *t);
int64_t cml_tree_n_leaves(const cml_tree *t);
int64_t cml_tree_depth(const cml_tree *t); /* get_depth(): 0 for a single leaf */
/* Values per node: n_classes (weighted class counts) or 1 (the mean, or the
 * median for absolute_error). */
int64_t cml_tree_value_stride(const cml_tree *t);

/* One node, as scikit-learn's tree_ arrays hold it. */
typedef struct cml_tree_node_info {
    int64_t left, right; /* children_left / children_right; -1 at leaves */
    int64_t feature;     /* -2 at leaves */
    double threshold;    /* -2 at leaves */
    int nan_left;        /* 1: NaN goes left (cml) */
    double impurity;
    int64_t n_node_samples;
    double weighted_n_node_samples;
    const double *value; /* (value_stride) */
} cml_tree_node_info;

/* CML_ERR_ARG if i is not in [0, node_count). */
cml_status cml_tree_node(const cml_tree *t, int64_t i, cml_tree_node_info *out);

/* ---------------------------------------------------------------- SHAP */

/* Exact TreeSHAP values (Lundberg et al. 2018, Algorithm 2; path-dependent
 * expectations over the training cover) of the tree's output: predict_proba
 * for a classifier (one block per class), predict for a regressor.
 * out (rows, n_outputs, n_features + 1), row-major; n_outputs =
 * cml_tree_shap_n_outputs (n_classes, or 1). out[i, k, j] is feature j's
 * contribution to output k of row i; out[i, k, n_features] the expected
 * value (bias). Bias + contributions = the prediction, up to rounding.
 * NaN is routed as predict routes it. Errors: CML_ERR_ARG (shape). */
int64_t cml_tree_shap_n_outputs(const cml_tree *t);
cml_status cml_tree_shap_values(const cml_tree *t, const cml_matrix *X, double *out);

/* ---------------------------------------------------------------- export */

typedef struct cml_tree_export_opts {
    const char *const *feature_names; /* (n_features) or NULL: feature_0... / X[0]... */
    const char *const *class_names;   /* (n_classes) or NULL: the class values */
    int max_depth;                    /* deepest level shown; deeper branches are elided. Text
                                         default 10; DOT default -1 = all */
    int decimals;                     /* text: digits after the point (default 2) */
    int precision;                    /* DOT: significant digits as export_graphviz (default 3) */
    int spacing;                      /* text: indent width (default 3) */
    int show_weights;                 /* text: print class weights at leaves (default 0) */
} cml_tree_export_opts;

cml_tree_export_opts cml_tree_export_opts_default(void);
/* The text of scikit-learn's export_text (same layout and number format).
 * o may be NULL (defaults). Returns a malloc'd string, or NULL with the
 * error set. */
char *cml_tree_export_text(const cml_tree *t, const cml_tree_export_opts *o);
/* Graphviz DOT as scikit-learn's export_graphviz with its defaults
 * (impurity, samples and value in each box, True/False on the root edges).
 * o may be NULL. Returns a malloc'd string, or NULL with the error set. */
char *cml_tree_export_dot(const cml_tree *t, const cml_tree_export_opts *o);

/* Draws the tree with cairo to path (.png or .svg by extension), as
 * scikit-learn's plot_tree: one box per node with the export_graphviz text
 * (split, impurity, samples, value, and the winning class: class_names, or
 * the class values when NULL), coloured by majority class and purity
 * (classifiers) or by value (regressors); edges labelled True / False (the
 * split condition holds: left); nodes deeper than o->max_depth drawn as
 * "(...)". title may be NULL. o may be NULL (all levels). Errors:
 * CML_ERR_ARG (extension; a picture over 32767 px: lower max_depth),
 * CML_ERR_IO. */
cml_status cml_tree_export_image(const cml_tree *t, const cml_tree_export_opts *o, const char *path,
                                 const char *title);

void cml_tree_free(cml_tree *t);

#ifdef __cplusplus
}
#endif
#endif /* CML_TREE_H */
