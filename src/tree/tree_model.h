/*
 * tree_model.h — the fitted decision tree shared by every tree-based
 * estimator (decision trees, random forests, extra trees): a flat node
 * array in scikit-learn's layout and numbering, traversal, feature
 * importances, minimal cost-complexity pruning, and GGUF save/load of one or
 * many trees. Private to libcml.
 *
 * Layout and numbering are scikit-learn's Tree: node 0 is the root, nodes
 * are numbered in the order the builder adds them (depth-first, left child
 * first; or best-first), so a child's id is always greater than its
 * parent's; leaves have left = right = -1, feature = -2, threshold = -2.
 * Routing: a row goes left when (double)(float)x[feature] <= threshold (X is
 * rounded to float32 first, as scikit-learn does); a NaN goes left when
 * nan_left (cml's extension).
 */
#ifndef CML_TREE_TREE_MODEL_H
#define CML_TREE_TREE_MODEL_H

#include "core/npsum.h"
#include <math.h>
#include <stdint.h>

#include "cml/gguf.h"
#include "cml/tree.h"
#include "core/internal.h"

#define CML_TREE_LEAF      (-1)
#define CML_TREE_UNDEFINED (-2)
/* Rows walked together by cml_dtree_apply_f32. */
#define CML_DTREE_LANES 8

/* One node: 24 bytes, all a traversal step reads, in one cache line. */
typedef struct cml_tnode {
    double threshold; /* split point; -2 at leaves */
    int32_t feature;  /* split feature; -2 at leaves */
    int32_t left;     /* child ids (> own id); -1 at leaves */
    int32_t right;
    int32_t nan_left; /* 1: a NaN goes to the left child */
} cml_tnode;

/* The predict-time copy of a node (16 bytes, built by cml_dtree_finish; see
 * cml_dtree_apply_f32). thr is the split threshold rounded down to float32:
 * for a float32 x, (double)x <= threshold exactly when x <= thr, thr being
 * the largest float <= threshold, so float compares route every row as the
 * double ones do. feat holds the NaN direction in its top bit. A leaf points
 * to itself (feature 0), so a walk may step past it in lockstep with other
 * rows. */
typedef struct cml_fnode {
    float thr;
    uint32_t feat;    /* feature | nan_left << 31 */
    int32_t child[2]; /* left, right */
} cml_fnode;

typedef struct cml_dtree {
    int64_t n_nodes, cap;
    int64_t stride;     /* values per node: n_classes, or 1 for regression */
    int64_t max_depth;  /* depth of the deepest node (root = 0) */
    cml_tnode *nodes;   /* (n_nodes) */
    double *value;      /* (n_nodes, stride): weighted class counts, or the mean / median */
    double *impurity;   /* (n_nodes) */
    int64_t *n_samples; /* (n_nodes) training rows (distinct, non-zero weight) */
    double *w_samples;  /* (n_nodes) their total weight */
    double *proba;      /* (n_nodes, stride) classifiers: value / row sum (derived) */
    cml_fnode *flat;    /* (n_nodes) predict-time nodes (derived) */
} cml_dtree;

/* The fitted estimator behind cml_tree (cml/tree.h). */
struct cml_tree {
    int classifier; /* 1: classifier (value = class weights) */
    int criterion;  /* index into the estimator's criterion list */
    int64_t n_features;
    int64_t n_classes;    /* 0 for regressors */
    double *classes;      /* (n_classes) ascending */
    int64_t max_features; /* resolved max_features_ */
    double *importances;  /* (n_features) normalized MDI */
    cml_dtree *t;
};

cml_dtree *cml_dtree_new(int64_t stride);
void cml_dtree_free(cml_dtree *t);
/* Appends a node as scikit-learn's Tree._add_node (links it to parent);
 * returns its id, or -1 (CML_ERR_NOMEM set). */
int64_t cml_dtree_add_node(cml_dtree *t, int64_t parent, int is_left, int is_leaf, int64_t feature,
                           double threshold, int nan_left, double impurity, int64_t n_samples,
                           double w_samples);
/* Turns node id into a leaf (best-first growth out of budget). */
void cml_dtree_make_leaf(cml_dtree *t, int64_t id);
/* Fills t->proba for classifiers (value rows normalized as scikit-learn's
 * predict_proba: divided by their sum, a zero sum counting as 1) and t->flat.
 * Every built or loaded tree goes through it before use. */
cml_status cml_dtree_finish(cml_dtree *t, int classifier);

/* Leaf reached by one row of doubles (n_features wide). */
static inline int64_t cml_dtree_leaf(const cml_dtree *t, const double *row)
{
    const cml_tnode *nd = t->nodes;
    int64_t i = 0;
    while (nd[i].left >= 0) {
        float v = (float)row[nd[i].feature];
        int go_left = isnan(v) ? nd[i].nan_left : ((double)v <= nd[i].threshold);
        i = go_left ? nd[i].left : nd[i].right;
    }
    return i;
}

/* The same walk over a row already rounded to float32 (n_features wide). */
static inline int64_t cml_dtree_leaf_f32(const cml_dtree *t, const float *row)
{
    const cml_tnode *nd = t->nodes;
    int64_t i = 0;
    while (nd[i].left >= 0) {
        float v = row[nd[i].feature];
        int go_left = isnan(v) ? nd[i].nan_left : ((double)v <= nd[i].threshold);
        i = go_left ? nd[i].left : nd[i].right;
    }
    return i;
}

/* Leaf ids of n rows already rounded to float32 (row i at X + i * ld) into
 * leaf[i]: the same leaves as cml_dtree_leaf_f32, walked CML_DTREE_LANES rows
 * at a time in lockstep, so the lanes' cache misses overlap and the branch on
 * the split direction becomes a select. */
void cml_dtree_apply_f32(const cml_dtree *t, const float *X, int64_t ld, int64_t n, int32_t *leaf);
/* The same over rows of doubles, each value rounded to float32 as it is read
 * (cheaper than rounding whole rows when one tree reads a few features). */
void cml_dtree_apply_f64(const cml_dtree *t, const double *X, int64_t ld, int64_t n, int32_t *leaf);

/* Rounds rows [r0, r0 + m) of X to float32 into xf (m, X->cols), as
 * scikit-learn's predict does before any walk. */
void cml_dtree_rows_f32(const cml_matrix *X, int64_t r0, int64_t m, float *xf);

/* Unnormalized MDI importance of each feature (scikit-learn's
 * compute_feature_importances) into out (n_features), divided by the root
 * weight and, when normalize, by their sum (if positive). */
void cml_dtree_importances(const cml_dtree *t, int64_t n_features, int normalize, double *out);

/* Minimal cost-complexity pruning (Breiman et al. 1984, ch. 3.3; scikit-learn's
 * _cost_complexity_prune): the path of effective alphas and total leaf
 * impurities (malloc'd, *n entries), and the tree pruned at ccp_alpha. */
cml_status cml_dtree_ccp_path(const cml_dtree *t, double **alphas, double **impurities, int64_t *n);
cml_status cml_dtree_prune(const cml_dtree *t, double ccp_alpha, cml_dtree **out);

/* Checks a loaded tree: children in range and after their parent, features
 * in [0, n_features), finite thresholds at splits. CML_ERR_FORMAT naming
 * `what` otherwise. */
cml_status cml_dtree_validate(const cml_dtree *t, int64_t n_features, const char *what);

/* Saves n trees as one set of concatenated tensors: tree_offsets (n+1, i64),
 * node_feature/left/right/nan_left (i32), node_threshold, node_value
 * (total, stride), node_impurity, node_weighted_n_samples (f64),
 * node_n_samples (i64); key cml.fit.tree_max_depth (array). */
cml_status cml_dtree_save_all(cml_gguf_writer *w, cml_dtree *const *trees, int64_t n);
/* Reads n trees saved by cml_dtree_save_all; validates them. */
cml_status cml_dtree_load_all(const cml_gguf *g, int64_t n, int64_t stride, int64_t n_features,
                              int classifier, cml_dtree **trees);

#endif
