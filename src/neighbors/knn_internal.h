/*
 * knn_internal.h — the shared parameter table and vtable functions of the
 * two k-NN estimators (knn.c), used by knn_classifier.c and
 * knn_regressor.c. Internal.
 */
#ifndef CML_KNN_INTERNAL_H
#define CML_KNN_INTERNAL_H

#include "cml/model.h"
#include "cml/neighbors.h"
#include "neighbors/nn_internal.h"

/* Entries of cml_knn_param_defs (the array is declared with this size). */
#define CML_KNN_N_PARAMS 6
extern const cml_param_def cml_knn_param_defs[CML_KNN_N_PARAMS];
extern const int cml_knn_n_param_defs;

cml_status cml_knn_vt_fit(const void *params, const cml_matrix *X, const double *y,
                          const cml_fit_opts *opts, void **state, cml_fit_info *info,
                          int classifier);
cml_status cml_knn_vt_predict(const void *state, const cml_matrix *X, double *out);
cml_status cml_knn_vt_predict_proba(const void *state, const cml_matrix *X, double *out);
int64_t cml_knn_vt_classes(const void *state, const double **classes);
int64_t cml_knn_vt_n_features_in(const void *state);
cml_status cml_knn_vt_save(const void *state, const void *params, cml_gguf_writer *w);
cml_status cml_knn_vt_load(const cml_gguf *g, const void *params, int schema_version, void **state,
                           int classifier);
char *cml_knn_vt_describe(const void *state);
void cml_knn_vt_free(void *state);

#endif
