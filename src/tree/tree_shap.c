/*
 * tree_shap.c — SHAP values of a decision tree (cml_tree_shap_values) via
 * the TreeSHAP core of treeshap.c; the conversion of a fitted CART tree to
 * TreeSHAP's layout is shared with forests (src/ensemble/forest_shap.c).
 *
 * Explained output: predict_proba's class fractions for classifiers (one
 * block per class), the predicted value for regressors; the bias column is
 * the training-weighted mean of that output over the tree's leaves, so
 * bias + sum of contributions = predict_proba / predict exactly (up to
 * rounding). Complexity O(rows * leaves * depth^2). Thread-safety: reads a
 * const tree.
 */
#include <string.h>

#include "tree/tree_model.h"
#include "tree/treeshap.h"

cml_status shap_tree_from_cart(const cml_tree *t, double scale, shap_tree *out)
{
    const cml_dtree *d = t->t;
    const int V = (int)d->stride;
    CML_CHECK(shap_tree_alloc(out, d->n_nodes, V));
    out->rule = SHAP_RULE_LE_F32;
    out->scale = scale;
    const double *leafv = t->classifier ? d->proba : d->value;
    for (int64_t i = 0; i < d->n_nodes; i++) {
        const cml_tnode *nd = &d->nodes[i];
        shap_node *s = &out->nodes[i];
        s->thr = nd->threshold;
        s->left = nd->left;
        s->right = nd->right;
        s->feature = nd->left >= 0 ? nd->feature : -1;
        s->nan_left = nd->nan_left;
        out->cover[i] = d->w_samples[i];
        if (nd->left < 0) memcpy(out->value + i * V, leafv + i * V, (size_t)V * sizeof(double));
    }
    cml_status st = shap_tree_finish(out);
    if (st != CML_OK) shap_tree_free(out);
    return st;
}

cml_status shap_check_X(const cml_matrix *X, int64_t n_features, const char *who)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (X->cols != n_features)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but the model was fitted with %lld",
                        who, (long long)X->cols, (long long)n_features);
    return CML_OK;
}

int64_t cml_tree_shap_n_outputs(const cml_tree *t)
{
    return t->t->stride;
}

cml_status cml_tree_shap_values(const cml_tree *t, const cml_matrix *X, double *out)
{
    CML_CHECK(shap_check_X(X, t->n_features, "decision tree SHAP"));
    const int64_t K = t->t->stride;
    memset(out, 0, (size_t)(X->rows * K * (X->cols + 1)) * sizeof *out);
    shap_tree st;
    CML_CHECK(shap_tree_from_cart(t, 1.0, &st));
    cml_status s = shap_run(&st, 1, X, K, out);
    shap_tree_free(&st);
    return s;
}
