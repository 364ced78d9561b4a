/*
 * gbm_shap.c — SHAP values of a boosted ensemble on the raw margin
 * (cml_gbm_shap_values), XGBoost's predict(pred_contribs=True): per output
 * k, the sum over the trees of output k of their TreeSHAP values (src/tree/
 * treeshap.c), and the bias column base_margin + sum of the trees' expected
 * values (cover = hessian sum of the node at training, XGBoost's sum_hess).
 * Contributions plus bias equal cml_gbm_predict_margin. A categorical
 * split is one feature's split like any other: TreeSHAP only needs which
 * child a row takes (category-set membership) and the covers.
 *
 * Complexity O(rows * trees * leaves * depth^2). Thread-safety: reads a
 * const model.
 */
#include <stdlib.h>
#include <string.h>

#include "ensemble/gbm_internal.h"
#include "tree/treeshap.h"

/* Tree t of m in TreeSHAP's layout (local ids; right = left + 1). */
static cml_status gbm_tree_to_shap(const cml_gbm *m, int t, shap_tree *out)
{
    const int64_t root = m->tree_ptr[t], n = m->tree_ptr[t + 1] - root;
    CML_CHECK(shap_tree_alloc(out, n, 1));
    out->rule = SHAP_RULE_LT;
    out->out0 = t % m->obj.n_outputs;
    for (int64_t j = 0; j < n; j++) {
        const gbm_node *nd = &m->nodes[root + j];
        shap_node *s = &out->nodes[j];
        out->cover[j] = m->cover[root + j];
        if (nd->left == root + j) { /* a leaf points to itself */
            s->left = s->right = s->feature = -1;
            out->value[j] = m->leaf[root + j];
            continue;
        }
        s->left = (int32_t)(nd->left - root);
        s->right = s->left + 1;
        s->feature = (int32_t)(nd->feature & GBM_FEATURE_MASK);
        s->nan_left = (nd->feature & GBM_DEFAULT_LEFT) != 0;
        s->thr = nd->value;
        /* set membership routes the row; the path algorithm is unchanged */
        s->cats = (nd->feature & GBM_CATEGORICAL) ? gbm_node_catset(m, root + j) : NULL;
    }
    cml_status st = shap_tree_finish(out);
    if (st != CML_OK) shap_tree_free(out);
    return st;
}

cml_status cml_gbm_shap_values(const cml_gbm *m, const cml_matrix *X, double *out)
{
    CML_CHECK(shap_check_X(X, m->n_features, "gbm"));
    const int64_t K = m->obj.n_outputs, ldp = X->cols + 1;
    for (int64_t i = 0; i < X->rows; i++)
        for (int64_t k = 0; k < K; k++) {
            memset(out + (i * K + k) * ldp, 0, (size_t)X->cols * sizeof *out);
            out[(i * K + k) * ldp + X->cols] = m->base_margin;
        }
    shap_tree *trees = cml_calloc((size_t)CML_MAX(m->n_trees, 1), sizeof *trees);
    if (!trees) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    int built = 0;
    for (; built < m->n_trees; built++)
        CML_TRY(gbm_tree_to_shap(m, built, &trees[built]));
    if (m->ts.n > 0) { /* the trees split on the ordered TS of the categorical columns */
        double *Xt = NULL;
        CML_TRY(gbm_ts_apply(&m->ts, X, &Xt));
        const cml_matrix V = cml_matrix_view(Xt, X->rows, X->cols);
        st = shap_run(trees, m->n_trees, &V, K, out);
        free(Xt);
    } else {
        st = shap_run(trees, m->n_trees, X, K, out);
    }
fail:
    for (int i = 0; i < built; i++)
        shap_tree_free(&trees[i]);
    free(trees);
    return st;
}
