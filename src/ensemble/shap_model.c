/*
 * shap_model.c — SHAP values of any tree-based cml_model (decision trees,
 * random forests, extra trees, GBMs), the entry `cml explain` uses. A
 * pipeline's preprocessing steps are applied first, so the contributions
 * are those of the final estimator's input columns.
 *
 * Thread-safety: reads a const model.
 */
#include <string.h>

#include "cml/ensemble.h"
#include "cml/gbm.h"
#include "core/internal.h"

extern const cml_estimator cml_est_decision_tree_classifier, cml_est_decision_tree_regressor,
    cml_est_random_forest_classifier, cml_est_random_forest_regressor,
    cml_est_extra_trees_classifier, cml_est_extra_trees_regressor, cml_est_gbm_classifier,
    cml_est_gbm_regressor;

typedef enum { K_NONE = 0, K_TREE, K_FOREST, K_GBM } shap_kind;

static shap_kind kind_of(const cml_model *m)
{
    const cml_estimator *e = cml_model_estimator(m);
    if (!cml_model_state(m)) return K_NONE;
    if (e == &cml_est_decision_tree_classifier || e == &cml_est_decision_tree_regressor)
        return K_TREE;
    if (e == &cml_est_random_forest_classifier || e == &cml_est_random_forest_regressor ||
        e == &cml_est_extra_trees_classifier || e == &cml_est_extra_trees_regressor)
        return K_FOREST;
    if (e == &cml_est_gbm_classifier || e == &cml_est_gbm_regressor) return K_GBM;
    return K_NONE;
}

int64_t cml_shap_n_outputs(const cml_model *m)
{
    const void *s = cml_model_state(m);
    switch (kind_of(m)) {
    case K_TREE: return cml_tree_shap_n_outputs(s);
    case K_FOREST: return cml_forest_shap_n_outputs(s);
    case K_GBM: return cml_gbm_n_outputs(s);
    default: return 0;
    }
}

int64_t cml_shap_n_features(const cml_model *m)
{
    return kind_of(m) == K_NONE ? 0 : cml_model_n_features_in(m);
}

cml_status cml_shap_values(const cml_model *m, const cml_matrix *X, double *out)
{
    const shap_kind k = kind_of(m);
    if (k == K_NONE)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "SHAP values: %s is not a fitted tree model. HINT: TreeSHAP explains "
                        "decision trees, random forests, extra trees and gbm models",
                        cml_model_estimator(m)->name);
    /* Run the preprocessing steps, each into a fresh matrix. */
    cml_matrix cur = *X;
    double *buf = NULL;
    cml_status st = CML_OK;
    for (int i = 0; i < cml_model_n_steps(m); i++) {
        const cml_model *step = cml_model_step(m, i);
        const int64_t c = cml_model_n_transform_cols(step);
        double *nb = cml_alloc_array(cur.rows * c, sizeof *nb);
        if (!nb) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        st = cml_model_transform(step, &cur, nb);
        free(buf);
        buf = nb;
        if (st != CML_OK) goto fail;
        cur = (cml_matrix){buf, cur.rows, c, c};
    }
    const void *s = cml_model_state(m);
    if (k == K_TREE) st = cml_tree_shap_values(s, &cur, out);
    if (k == K_FOREST) st = cml_forest_shap_values(s, &cur, out);
    if (k == K_GBM) st = cml_gbm_shap_values(s, &cur, out);
fail:
    free(buf);
    return st;
}
