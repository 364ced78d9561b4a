/*
 * cart.h — the CART tree builder shared by decision trees, random forests
 * and extra trees (scikit-learn 1.2's DepthFirstTreeBuilder /
 * BestFirstTreeBuilder with BestSplitter or RandomSplitter), plus the
 * parameter resolution they share. Private to libcml.
 *
 * The data are prepared once per fit (cml_cart_data) and shared read-only by
 * every tree of a forest: X as float32 in column-major order, and for each
 * feature the rank of each value among the feature's distinct values, so a
 * node can aggregate its rows by value in a histogram (O(rows + values in
 * range)) or sort them by integer rank (radix sort) before scanning the
 * candidate thresholds.
 */
#ifndef CML_TREE_CART_H
#define CML_TREE_CART_H

#include <stdint.h>

#include "core/internal.h"
#include "tree/tree_model.h"

typedef enum cml_cart_criterion {
    CML_CART_GINI = 0,
    CML_CART_ENTROPY,
    CML_CART_MSE,
    CML_CART_FRIEDMAN_MSE,
    CML_CART_MAE
} cml_cart_criterion;

typedef struct cml_cart_data {
    int64_t n, d;
    float *xc; /* (d, n) column-major X rounded to float32 */
    /* Rank of each xc among its feature's distinct values (NaN -> n_vals),
     * feature f's column at rank + rank_off[f] (bytes, 64-aligned), stored in
     * rank_w[f] = 1, 2 or 4 bytes a row: the narrowest that holds n_vals
     * (pixels, codes and most columns of < 65536 rows fit in 1 or 2), so the
     * random reads of a node's rows touch fewer cache lines. */
    uint8_t *rank;
    int64_t *rank_off; /* (d) */
    uint8_t *rank_w;   /* (d) */
    float *vals;       /* distinct non-NaN values of every feature, ascending, packed */
    int64_t *val_off;  /* (d + 1) feature f's values are vals[val_off[f] .. val_off[f+1]) */
    int64_t n_classes; /* 0 for regression */
    int32_t *yi;       /* (n) class index (classification) */
    double *y;         /* (n) target (regression) */
    uint32_t *yrank;   /* (n) rank of y among the rows' distinct targets (regression) */
} cml_cart_data;

/* Prepares X (finite or NaN; values beyond float32's range are rejected
 * with CML_ERR_ARG naming the cell) and the target: y_index (n) class
 * indices when n_classes > 0, else y (n) values. Copies what it keeps. */
cml_status cml_cart_data_init(const cml_matrix *X, const double *y, const int32_t *y_index,
                              int64_t n_classes, cml_cart_data *D);
void cml_cart_data_free(cml_cart_data *D);

typedef struct cml_cart_config {
    cml_cart_criterion criterion;
    int random_splitter;       /* 0 BestSplitter, 1 RandomSplitter */
    int64_t max_depth;         /* resolved: INT32_MAX for None */
    int64_t min_samples_split; /* resolved count (>= 2 * min_samples_leaf) */
    int64_t min_samples_leaf;  /* resolved count */
    double min_weight_fraction_leaf;
    int64_t max_features;   /* resolved count in [1, d] */
    int64_t max_leaf_nodes; /* -1: depth-first growth */
    double min_impurity_decrease;
    double ccp_alpha;
    uint32_t seed; /* splitter state (scikit-learn's rand_r_state) */
} cml_cart_config;

/* Grows one tree on D with per-row weights sw (NULL = 1; rows of weight 0
 * are left out, as scikit-learn does), prunes it at ccp_alpha, and fills its
 * proba. Thread-safe: many builds may share one D. */
cml_status cml_cart_build(const cml_cart_data *D, const cml_cart_config *C, const double *sw,
                          cml_dtree **out);

/* ---------------------------------------------------------------- params */

/* Shared parameter resolution (scikit-learn's BaseDecisionTree.fit).
 * Each returns CML_ERR_ARG naming the parameter on a bad value. */
cml_status cml_cart_resolve_max_features(const char *s, int64_t n_features, int classifier,
                                         int64_t *out);
cml_status cml_cart_resolve_counts(double min_samples_split, double min_samples_leaf, int64_t n,
                                   int64_t *split, int64_t *leaf);
/* Message for a bad max_features / min_samples_* / max_leaf_nodes string or
 * value, or NULL (for params_check, before n is known). */
const char *cml_cart_check_common(const char *max_features, double min_samples_split,
                                  double min_samples_leaf, int max_leaf_nodes);

/* Class handling: sorted distinct labels of y (*classes malloc'd) and each
 * row's index into them (y_index, n). */
cml_status cml_cart_encode_classes(const double *y, int64_t n, double **classes, int64_t *n_classes,
                                   int32_t *y_index);
/* class_weight "" / "balanced" / "c:w,c:w" (and "balanced_subsample" when
 * allow_subsample, which is "balanced" here) -> per-row weights multiplied
 * into w (n). counts_from: rows used to count classes for "balanced"
 * (NULL = all rows, else per-row multiplicities, as a bootstrap sample). */
cml_status cml_cart_class_weight(const char *spec, int allow_subsample, const int32_t *y_index,
                                 const double *classes, int64_t n_classes, int64_t n,
                                 const double *counts_from, double *w);
const char *cml_cart_check_class_weight(const char *spec, int allow_subsample);

#endif

/* ---------------------------------------------------------------- shared glue */

/* Builds a config from the tree parameters every tree-based estimator has
 * (criterion: the index in the estimator's list, see cml/tree.h), resolved
 * for n rows and d features. seed is left 0. */
cml_status cml_cart_make_config(int classifier, int criterion, int splitter, int max_depth,
                                double min_samples_split, double min_samples_leaf,
                                double min_weight_fraction_leaf, const char *max_features,
                                int max_leaf_nodes, double min_impurity_decrease, double ccp_alpha,
                                int64_t n, int64_t d, cml_cart_config *C);

/* Validates fit inputs: X shape (NaN allowed, infinities rejected later by
 * cml_cart_data_init), y finite, sample_weight finite and >= 0. `who` is the
 * estimator name for messages. */
cml_status cml_cart_check_inputs(const cml_matrix *X, const double *y, const double *sw,
                                 const char *who);

/* Wraps a grown tree (takes ownership of t, also on failure) as a cml_tree:
 * copies classes, computes the normalized importances. */
cml_status cml_tree_wrap(cml_dtree *t, int classifier, int criterion, int64_t n_features,
                         const double *classes, int64_t n_classes, int64_t max_features,
                         cml_tree **out);
