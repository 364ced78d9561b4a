/*
 * treeshap.h — exact TreeSHAP (Lundberg, Erion, Lee, "Consistent
 * individualized feature attribution for tree ensembles", 2018, Algorithm 2)
 * over a neutral tree layout that decision trees, forests and boosted
 * ensembles convert to. Private to libcml.
 *
 * The explained quantity of a tree is its leaf value (a vector of n_val
 * outputs); "feature j unknown" means the path-dependent conditional
 * expectation: at a split on a missing feature, both children count,
 * weighted by their share of the node's cover (training weight or hessian
 * sum), as XGBoost's pred_contribs and the shap package do.
 */
#ifndef CML_TREE_TREESHAP_H
#define CML_TREE_TREESHAP_H

#include <stdint.h>

#include "core/internal.h"

/* How a split routes a value x (NaN goes to nan_left's side either way). */
enum {
    SHAP_RULE_LT = 0,    /* left iff x < thr (XGBoost, cml's GBM) */
    SHAP_RULE_LE_F32 = 1 /* left iff (double)(float)x <= thr (scikit-learn) */
};

/*
 * A categorical split's category set {n_words, bits[n_words]} (category c =
 * bit c % 32 of bits[c / 32]) routes x as XGBoost 1.7's common::Decision:
 * NaN, a negative x or x >= 32 n_words go to the missing side; otherwise
 * the category (int)x goes right iff it is in the set, else left.
 */
static inline int catset_goes_left(const uint32_t *set, double x, int nan_left)
{
    if (!(x >= 0.0 && x < 32.0 * (double)set[0])) return nan_left; /* NaN fails too */
    const uint32_t c = (uint32_t)x;
    return !((set[1 + (c >> 5)] >> (c & 31u)) & 1u);
}

typedef struct shap_node {
    const uint32_t *cats; /* categorical split: its category set (borrowed); else NULL */
    double thr;
    int32_t left, right; /* child ids (> own id); -1 at leaves */
    int32_t feature;     /* split feature; -1 at leaves */
    int32_t nan_left;    /* 1: NaN goes left */
} shap_node;

typedef struct shap_tree {
    int64_t n_nodes;
    int rule;          /* SHAP_RULE_* */
    int n_val;         /* outputs per leaf */
    int out0;          /* first output index the tree contributes to */
    double scale;      /* contributions are multiplied by this (1/n_trees for a forest) */
    shap_node *nodes;  /* (n_nodes) */
    double *cover;     /* (n_nodes) */
    double *value;     /* (n_nodes, n_val): leaf values; shap_tree_finish fills the splits */
    int64_t max_depth; /* set by shap_tree_finish */
} shap_tree;

/* Allocates nodes / cover / value for n_nodes (zeroed). */
cml_status shap_tree_alloc(shap_tree *t, int64_t n_nodes, int n_val);
/* After the caller filled nodes, cover and leaf values: checks the layout
 * (children after their parent, in range), fills each split's value with
 * the cover-weighted mean of its children's (XGBoost's FillNodeMeanValues)
 * and the depth. CML_ERR_FORMAT on a bad layout. */
cml_status shap_tree_finish(shap_tree *t);
void shap_tree_free(shap_tree *t);

/*
 * out (rows, n_out, n_features + 1) += contributions of the trees for the
 * rows of X: out[i, k, j] for feature j, out[i, k, n_features] the expected
 * value (root mean), each tree's part times its scale. Rows run in
 * parallel; a row's sums follow tree order, so the result does not depend
 * on the thread count. Cost O(rows * leaves * depth^2) per tree.
 */
cml_status shap_run(const shap_tree *trees, int64_t n_trees, const cml_matrix *X, int64_t n_out,
                    double *out);

/* A fitted decision tree as TreeSHAP sees it: leaf values are the class
 * fractions (classifiers, n_val = n_classes) or the predicted value; cover
 * is the weighted training count of each node (bootstrap counts included),
 * as the shap package uses for scikit-learn trees. */
struct cml_tree;
cml_status shap_tree_from_cart(const struct cml_tree *t, double scale, shap_tree *out);

/* Checks X's shape for an explainer (n_features columns; NaN allowed).
 * `who` names the model in the message. */
cml_status shap_check_X(const cml_matrix *X, int64_t n_features, const char *who);

#endif
