/*
 * knn_regressor.c — the k_neighbors_regressor estimator entry
 * (scikit-learn's KNeighborsRegressor); the algorithm is in knn.c.
 */
#include "neighbors/knn_internal.h"

static cml_status fit(const void *params, const cml_matrix *X, const double *y,
                      const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    return cml_knn_vt_fit(params, X, y, opts, state, info, 0);
}

static cml_status load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    return cml_knn_vt_load(g, params, schema_version, state, 0);
}

const cml_estimator cml_est_k_neighbors_regressor = {
    .name = "k_neighbors_regressor",
    .aliases = "knn_regressor",
    .summary = "k-nearest-neighbours (weighted) mean (brute force, KD-tree or ball tree)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 1,
    .params = cml_knn_param_defs,
    .n_params = CML_KNN_N_PARAMS,
    .params_size = sizeof(cml_knn_params),
    .validates_input = 1,
    .fit = fit,
    .predict = cml_knn_vt_predict,
    .n_features_in = cml_knn_vt_n_features_in,
    .save = cml_knn_vt_save,
    .load = load,
    .describe = cml_knn_vt_describe,
    .free = cml_knn_vt_free,
};
