/*
 * forest_shap.c — SHAP values of random forests / extra trees
 * (cml_forest_shap_values): the mean over trees of each tree's TreeSHAP
 * values (SHAP values are linear in the model), with the same explained
 * output as predict_proba / predict. Tree conversion and the TreeSHAP core
 * are in src/tree/tree_shap.c and src/tree/treeshap.c.
 *
 * Complexity O(rows * trees * leaves * depth^2). Thread-safety: reads a
 * const forest.
 */
#include <string.h>

#include "ensemble/forest_common.h"
#include "tree/treeshap.h"

int64_t cml_forest_shap_n_outputs(const cml_forest *f)
{
    return f->classifier ? f->n_classes : 1;
}

cml_status cml_forest_shap_values(const cml_forest *f, const cml_matrix *X, double *out)
{
    CML_CHECK(shap_check_X(X, f->n_features, cml_forest_kind_name(f->kind)));
    const int64_t K = cml_forest_shap_n_outputs(f);
    memset(out, 0, (size_t)(X->rows * K * (X->cols + 1)) * sizeof *out);
    shap_tree *trees = cml_calloc((size_t)f->n_trees, sizeof *trees);
    if (!trees) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    int64_t built = 0;
    for (; built < f->n_trees; built++)
        CML_TRY(shap_tree_from_cart(f->trees[built], 1.0 / (double)f->n_trees, &trees[built]));
    st = shap_run(trees, f->n_trees, X, K, out);
fail:
    for (int64_t i = 0; i < built; i++)
        shap_tree_free(&trees[i]);
    free(trees);
    return st;
}
