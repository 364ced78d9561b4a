/*
 * svm_common.h — what SVC, SVR and OneClassSVM share: the support-vector
 * set of a fitted kernel machine (rows, indices, kernel), batched kernel
 * evaluation for prediction, its GGUF persistence, input checks, and the
 * parameter-table entries common to the three.
 */
#ifndef CML_SVM_COMMON_H
#define CML_SVM_COMMON_H

#include <stddef.h>

#include "cml/gguf.h"
#include "cml/model.h"
#include "core/strbuf.h"
#include "svm/kernel.h"

/* The support vectors of a fitted model. */
typedef struct svm_sv {
    svm_kparams kp;     /* kernel, gamma resolved */
    int64_t n_features; /* columns of X at fit */
    int64_t n_sv;
    double *sv;       /* (n_sv, n_features) copies of the training rows */
    double *sv_sq;    /* (n_sv) |sv|^2 for rbf, derived (not saved) */
    int64_t *support; /* (n_sv) training-row index of each support vector */
} svm_sv;

/* Copies rows idx[0..n) of X into m (kp and n_features set by the caller). */
cml_status svm_sv_gather(svm_sv *m, const cml_matrix *X, const int64_t *idx, int64_t n);
void svm_sv_clear(svm_sv *m);

/* Calls fn(ctx, r0, r1, K) for consecutive blocks of X's rows, K being the
 * (r1 - r0, n_sv) kernel values. Blocks run in parallel (OpenMP), each with
 * its own K buffer, so fn must only write rows r0..r1 of its outputs. */
typedef void (*svm_block_fn)(void *ctx, int64_t r0, int64_t r1, const double *K);
cml_status svm_sv_apply(const svm_sv *m, const cml_matrix *X, svm_block_fn fn, void *ctx);

/* Saves tensors support_vectors, support and keys cml.fit.gamma,
 * cml.fit.n_features, cml.fit.n_sv; load validates the shapes (kernel type,
 * degree and coef0 come from the params). */
cml_status svm_sv_save(const svm_sv *m, cml_gguf_writer *w);
cml_status svm_sv_load(const cml_gguf *g, int kernel, int degree, double coef0, svm_sv *m);
/* "n_sv":..,"gamma":..,"support":[..] (no braces) for describe(). */
void svm_sv_describe(const svm_sv *m, cml_sb *sb);

/* Validates kernel parameters; NULL or a message (thread-local storage). */
const char *svm_kernel_params_check(int kernel, int degree, const char *gamma);

/* Checks X (finite, rows >= 1), y (finite, when given) and sample_weight
 * (finite, >= 0, not all zero). `who` names the estimator in messages. */
cml_status svm_check_fit_input(const char *who, const cml_matrix *X, const double *y,
                               const double *sample_weight);
/* The y and sample_weight part of svm_check_fit_input, for n rows (sparse
 * fits check X themselves). */
cml_status svm_check_target(const char *who, int64_t n, const double *y,
                            const double *sample_weight);

/* Rows with a positive weight (all rows when w is NULL), libsvm's
 * remove_zero_weight. *idx malloc'd. */
cml_status svm_positive_rows(const double *w, int64_t n, int64_t **idx, int64_t *n_out);

/* The first feature-count check of every predict-side call. */
cml_status svm_check_predict_input(const char *who, const cml_matrix *X, int64_t n_features);

/* Parameter-table entries shared by SVC, SVR and OneClassSVM (sklearn's
 * names and defaults). T is the params struct. */
#define SVM_PARAM_KERNEL_DEFS(T)                                                                   \
    {"kernel",                                                                                     \
     CML_PARAM_ENUM,                                                                               \
     "rbf",                                                                                        \
     0,                                                                                            \
     0,                                                                                            \
     0,                                                                                            \
     SVM_KERNEL_CHOICES,                                                                           \
     "kernel function: linear, poly, rbf or sigmoid",                                              \
     offsetof(T, kernel)},                                                                         \
        {"degree",           CML_PARAM_INT, "3", 0, 1e6, 0, NULL, "degree of the poly kernel",     \
         offsetof(T, degree)},                                                                     \
        {"gamma",                                                                                  \
         CML_PARAM_STRING,                                                                         \
         "scale",                                                                                  \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         "kernel coefficient of rbf, poly, sigmoid: scale, auto or a number >= 0",                 \
         offsetof(T, gamma)},                                                                      \
    {                                                                                              \
        "coef0", CML_PARAM_DOUBLE, "0", -1e308, 1e308, 0, NULL,                                    \
            "independent term of the poly and sigmoid kernels", offsetof(T, coef0)                 \
    }

#define SVM_PARAM_SOLVER_DEFS(T)                                                                   \
    {"tol",                                                                                        \
     CML_PARAM_DOUBLE,                                                                             \
     "0.001",                                                                                      \
     0,                                                                                            \
     1e308,                                                                                        \
     1,                                                                                            \
     NULL,                                                                                         \
     "stopping tolerance of SMO (libsvm -e)",                                                      \
     offsetof(T, tol)},                                                                            \
        {"shrinking",                                                                              \
         CML_PARAM_BOOL,                                                                           \
         "true",                                                                                   \
         0,                                                                                        \
         1,                                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         "use the shrinking heuristic",                                                            \
         offsetof(T, shrinking)},                                                                  \
        {"cache_size",                                                                             \
         CML_PARAM_DOUBLE,                                                                         \
         "200",                                                                                    \
         0,                                                                                        \
         1e9,                                                                                      \
         1,                                                                                        \
         NULL,                                                                                     \
         "kernel cache size in MB",                                                                \
         offsetof(T, cache_size)},                                                                 \
    {                                                                                              \
        "max_iter", CML_PARAM_INT, "-1", -1, 2147483647.0, 0, NULL,                                \
            "iteration limit of the solver, -1 for none", offsetof(T, max_iter)                    \
    }

#endif

/* Sorted distinct values of y[0..n): *classes malloc'd, *k their count;
 * label[i] (n, optional) receives the class index of row i. */
cml_status svm_classes(const double *y, int64_t n, double **classes, int64_t *k, int *label);

/*
 * Per-class weights from sklearn's class_weight: "none" (all 1),
 * "balanced" (n / (k * count_c), counted over all n rows) or
 * "label:weight,label:weight" (unlisted classes 1; a label that is not a
 * class, a weight <= 0 or junk: CML_ERR_ARG). w has k entries.
 */
cml_status svm_class_weights(const char *spec, const double *classes, int64_t k, const int *label,
                             int64_t n, double *w);
/* Validates the syntax of class_weight without the data; NULL or message. */
const char *svm_class_weight_check(const char *spec);

/* A kernel machine with one output (SVR, OneClassSVM):
 *     f(x) = sum_s coef_s K(sv_s, x) + intercept,   intercept = -rho. */
typedef struct svm_km1 {
    svm_sv sv;
    double *coef;     /* (n_sv) sklearn dual_coef_ */
    double intercept; /* sklearn intercept_ */
    int n_iter;       /* SMO iterations */
    int converged;    /* 0 when max_iter stopped the solver */
} svm_km1;

/* Keeps rows[t] with alpha[t] != 0 as support vectors, coef = alpha. */
cml_status svm_km1_from_alpha(svm_km1 *m, const cml_matrix *X, const int64_t *rows, int64_t l,
                              const double *alpha, double rho);
/* out[i] = f(x_i) + shift. */
cml_status svm_km1_eval(const svm_km1 *m, const char *who, const cml_matrix *X, double shift,
                        double *out);
void svm_km1_clear(svm_km1 *m);
cml_status svm_km1_save(const svm_km1 *m, cml_gguf_writer *w);
cml_status svm_km1_load(const cml_gguf *g, int kernel, int degree, double coef0, svm_km1 *m);
char *svm_km1_describe(const svm_km1 *m);
