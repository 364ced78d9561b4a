/*
 * nb_internal.h — code shared by the naive Bayes estimators (internal):
 * prior lists, class bookkeeping for partial_fit, and the step from a joint
 * log-likelihood to predictions and (log-)probabilities.
 */
#ifndef CML_NB_INTERNAL_H
#define CML_NB_INTERNAL_H

#include <stdint.h>

#include "cml/bayes.h"
#include "core/internal.h"

/* Parses "a,b,c" (finite numbers) into *vals (malloc'd); "" gives *n = 0
 * and *vals = NULL. CML_ERR_ARG names `param`. */
cml_status nb_parse_list(const char *s, const char *param, double **vals, int64_t *n);

/* First partial_fit call: the sorted distinct `classes` (sklearn's
 * unique_labels) in *out. */
cml_status nb_classes_first(const double *classes, int64_t n, double **out, int64_t *n_out);
/* Later calls: given classes (may be NULL) must equal the fitted ones. */
cml_status nb_classes_again(const double *classes, int64_t n, const double *have, int64_t n_have);
/* codes[i] = index of y[i] in classes; a label not in classes is CML_ERR_ARG. */
cml_status nb_encode_y(const double *y, int64_t n, const double *classes, int64_t C,
                       int32_t *codes);
/* Checks X (finite, d columns) for predict; `who` names the estimator. */
cml_status nb_check_X(const cml_matrix *X, int64_t d, const char *who);
/* The same without the scan of X's values (callers detect them later). */
cml_status nb_check_X_shape(const cml_matrix *X, int64_t d, const char *who);
/* Checks fit inputs: X finite, y finite, sample_weight finite >= 0. */
cml_status nb_check_fit(const cml_matrix *X, const double *y, const double *sample_weight,
                        const char *who);

/* The y / sample_weight part of nb_check_fit (sparse fits check X apart). */
cml_status nb_check_target(int64_t n, const double *y, const double *sample_weight,
                           const char *who);
/* out[i] = classes[argmax_c jll(i, c)] (first maximum), jll (n, C). */
void nb_argmax_classes(const double *jll, int64_t n, const double *classes, int64_t C, double *out);
/* jll (n, C) -> jll - logsumexp per row, in place. */
void nb_log_normalize(double *jll, int64_t n, int64_t C);

/* Joint log-likelihood of rows of X into out (rows, C). */
typedef cml_status (*nb_jll_fn)(const void *model, const cml_matrix *X, double *out);

/* predict: classes[argmax_c jll] (first maximum, numpy's argmax). */
cml_status nb_predict(const void *model, nb_jll_fn jll, const double *classes, int64_t C,
                      const cml_matrix *X, double *out);
/* jll - logsumexp(jll) per row (scipy's logsumexp); proba = exp of it. */
cml_status nb_predict_log_proba(const void *model, nb_jll_fn jll, int64_t C, const cml_matrix *X,
                                double *out);
cml_status nb_predict_proba(const void *model, nb_jll_fn jll, int64_t C, const cml_matrix *X,
                            double *out);

/* Tensor (rows, cols) of f64 read with a shape check, malloc'd. */
cml_status nb_read_f64(const cml_gguf *g, const char *name, int64_t rows, int64_t cols,
                       double **out);

/* ---------------------------------------------------------------- discrete */
/* Shared by multinomial_nb.c, complement_nb.c and bernoulli_nb.c
 * (implemented in discrete_nb.c). */
cml_status nb_discrete_fit(cml_discrete_nb_kind kind, const cml_discrete_nb_params *p,
                           const cml_matrix *X, const double *y, const double *sw,
                           cml_discrete_nb **out);
cml_status nb_discrete_partial_fit(cml_discrete_nb_kind kind, cml_discrete_nb **model,
                                   const cml_discrete_nb_params *p, const cml_matrix *X,
                                   const double *y, const double *sw, const double *classes,
                                   int64_t n_classes);
cml_status nb_discrete_fit_csr(cml_discrete_nb_kind kind, const cml_discrete_nb_params *p,
                               const cml_csr *X, const double *y, const double *sw,
                               cml_discrete_nb **out);
cml_status nb_discrete_vt_predict_csr(const void *s, const cml_csr *X, double *out);
cml_status nb_discrete_vt_predict_proba_csr(const void *s, const cml_csr *X, double *out);
cml_status nb_discrete_vt_predict(const void *s, const cml_matrix *X, double *out);
cml_status nb_discrete_vt_predict_proba(const void *s, const cml_matrix *X, double *out);
int64_t nb_discrete_vt_classes(const void *s, const double **classes);
int64_t nb_discrete_vt_n_features_in(const void *s);
cml_status nb_discrete_vt_save(const void *s, const void *params, cml_gguf_writer *w);
cml_status nb_discrete_vt_load(cml_discrete_nb_kind kind, const cml_gguf *g, const void *params,
                               void **state);
char *nb_discrete_vt_describe(const void *s);
void nb_discrete_vt_free(void *s);

/* Defines the typed entry points and the vtable of one discrete model:
 * SYM is the estimator's name (multinomial_nb), KIND its enum value, DEFS
 * its parameter table. Used once in each of the three files. */
#define NB_DISCRETE_ESTIMATOR(SYM, KIND, DEFS, ALIASES, SUMMARY)                                   \
    cml_discrete_nb_params cml_##SYM##_params_default(void)                                        \
    {                                                                                              \
        cml_discrete_nb_params p;                                                                  \
        memset(&p, 0, sizeof p);                                                                   \
        cml_params_init(DEFS, (int)(sizeof DEFS / sizeof DEFS[0]), &p);                            \
        return p;                                                                                  \
    }                                                                                              \
    cml_status cml_##SYM##_fit(const cml_discrete_nb_params *p, const cml_matrix *X,               \
                               const double *y, cml_discrete_nb **out)                             \
    {                                                                                              \
        return nb_discrete_fit(KIND, p, X, y, NULL, out);                                          \
    }                                                                                              \
    cml_status cml_##SYM##_partial_fit(cml_discrete_nb **model, const cml_discrete_nb_params *p,   \
                                       const cml_matrix *X, const double *y, const double *sw,     \
                                       const double *classes, int64_t n_classes)                   \
    {                                                                                              \
        return nb_discrete_partial_fit(KIND, model, p, X, y, sw, classes, n_classes);              \
    }                                                                                              \
    static cml_status SYM##_vt_fit(const void *params, const cml_matrix *X, const double *y,       \
                                   const cml_fit_opts *opts, void **state, cml_fit_info *info)     \
    {                                                                                              \
        (void)info;                                                                                \
        cml_discrete_nb *m;                                                                        \
        CML_CHECK(nb_discrete_fit(KIND, params, X, y, opts ? opts->sample_weight : NULL, &m));     \
        *state = m;                                                                                \
        return CML_OK;                                                                             \
    }                                                                                              \
    static cml_status SYM##_vt_partial_fit(const void *params, void *state, const cml_matrix *X,   \
                                           const double *y, const cml_fit_opts *opts,              \
                                           cml_fit_info *info)                                     \
    {                                                                                              \
        (void)params;                                                                              \
        (void)info;                                                                                \
        cml_discrete_nb *m = state;                                                                \
        return nb_discrete_partial_fit(KIND, &m, NULL, X, y, opts ? opts->sample_weight : NULL,    \
                                       NULL, 0);                                                   \
    }                                                                                              \
    static cml_status SYM##_vt_fit_csr(const void *params, const cml_csr *X, const double *y,      \
                                       const cml_fit_opts *opts, void **state, cml_fit_info *info) \
    {                                                                                              \
        (void)info;                                                                                \
        cml_discrete_nb *m;                                                                        \
        CML_CHECK(nb_discrete_fit_csr(KIND, params, X, y, opts ? opts->sample_weight : NULL, &m)); \
        *state = m;                                                                                \
        return CML_OK;                                                                             \
    }                                                                                              \
    static cml_status SYM##_vt_load(const cml_gguf *g, const void *params, int schema_version,     \
                                    void **state)                                                  \
    {                                                                                              \
        (void)schema_version;                                                                      \
        return nb_discrete_vt_load(KIND, g, params, state);                                        \
    }                                                                                              \
    const cml_estimator cml_est_##SYM = {                                                          \
        .name = #SYM,                                                                              \
        .aliases = ALIASES,                                                                        \
        .summary = SUMMARY,                                                                        \
        .task = CML_TASK_CLASSIFICATION,                                                           \
        .schema_version = 1,                                                                       \
        .params = DEFS,                                                                            \
        .n_params = (int)(sizeof DEFS / sizeof DEFS[0]),                                           \
        .params_size = sizeof(cml_discrete_nb_params),                                             \
        .validates_input = 1,                                                                      \
        .fit = SYM##_vt_fit,                                                                       \
        .predict = nb_discrete_vt_predict,                                                         \
        .predict_proba = nb_discrete_vt_predict_proba,                                             \
        .classes = nb_discrete_vt_classes,                                                         \
        .n_features_in = nb_discrete_vt_n_features_in,                                             \
        .save = nb_discrete_vt_save,                                                               \
        .load = SYM##_vt_load,                                                                     \
        .describe = nb_discrete_vt_describe,                                                       \
        .free = nb_discrete_vt_free,                                                               \
        .partial_fit = SYM##_vt_partial_fit,                                                       \
        .fit_csr = SYM##_vt_fit_csr,                                                               \
        .predict_csr = nb_discrete_vt_predict_csr,                                                 \
        .predict_proba_csr = nb_discrete_vt_predict_proba_csr,                                     \
    }

#endif
