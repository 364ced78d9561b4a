/*
 * cml/decomp.h — linear dimensionality reduction: PCA and TruncatedSVD with
 * scikit-learn 1.2's parameter names, defaults, attributes and sign
 * convention (svd_flip on the sample-side singular vectors).
 *
 * Ownership: fitted models copy what they keep; getters return pointers into
 * the model, valid until it is freed. Thread-safety: a fitted model is
 * immutable; transform/inverse_transform may run from many threads at once.
 */
#ifndef CML_DECOMP_H
#define CML_DECOMP_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the power iterations of the randomized SVD are re-normalised. */
typedef enum cml_power_normalizer {
    CML_POWER_AUTO = 0, /* none when n_iter <= 2, else LU (sklearn) */
    CML_POWER_QR,
    CML_POWER_LU,
    CML_POWER_NONE
} cml_power_normalizer;

/* ================================================================ PCA */

typedef enum cml_pca_solver {
    /* sklearn 1.2's rule (full for small data or n_components as a fraction
     * or "mle", randomized for few components of large data) preceded by
     * cml's own choice, the rule sklearn adopted in 1.5: covariance_eigh when
     * n_features <= 1000 and n_samples >= 10 * n_features. */
    CML_PCA_AUTO = 0,
    CML_PCA_FULL,            /* LAPACK dgesdd of the centred data */
    CML_PCA_COVARIANCE_EIGH, /* dsyrk + dsyevd of the p x p covariance */
    CML_PCA_RANDOMIZED       /* Halko, Martinsson & Tropp 2011 */
} cml_pca_solver;

typedef struct cml_pca_params {
    /* "None" (all: min(n_samples, n_features)), an integer count, a fraction
     * in (0, 1) (the fewest components explaining more than that share of
     * the variance), or "mle" (Minka 2000). */
    char n_components[CML_PARAM_STRLEN];
    int whiten;                            /* 0: scale components to unit variance */
    int svd_solver;                        /* cml_pca_solver */
    char iterated_power[CML_PARAM_STRLEN]; /* "auto" or a count (randomized) */
    int n_oversamples;                     /* 10 (randomized) */
    int power_iteration_normalizer;        /* cml_power_normalizer */
    int random_state;                      /* 0 (sklearn: None) */
} cml_pca_params;

typedef struct cml_pca cml_pca;

cml_pca_params cml_pca_params_default(void);
const char *cml_pca_params_check(const cml_pca_params *p);
/* Fits on X (n_samples >= 2). n_components above min(n_samples, n_features)
 * is CML_ERR_ARG. */
cml_status cml_pca_fit(const cml_pca_params *p, const cml_matrix *X, cml_pca **out);
/* out (rows, n_components) = (X - mean) components^T [/ sqrt(explained_variance)]. */
cml_status cml_pca_transform(const cml_pca *m, const cml_matrix *X, double *out);
/* out (rows, n_features) from Z (rows, n_components). */
cml_status cml_pca_inverse_transform(const cml_pca *m, const cml_matrix *Z, double *out);
int64_t cml_pca_n_components(const cml_pca *m);
int64_t cml_pca_n_features(const cml_pca *m);
int64_t cml_pca_n_samples(const cml_pca *m);
const double *cml_pca_components(const cml_pca *m);         /* (n_components, n_features) */
const double *cml_pca_explained_variance(const cml_pca *m); /* (n_components) */
const double *cml_pca_explained_variance_ratio(const cml_pca *m);
const double *cml_pca_singular_values(const cml_pca *m);
const double *cml_pca_mean(const cml_pca *m); /* (n_features) */
double cml_pca_noise_variance(const cml_pca *m);
/* The solver actually used: "full", "covariance_eigh" or "randomized". */
const char *cml_pca_solver_used(const cml_pca *m);
void cml_pca_free(cml_pca *m);

/* ================================================================ TruncatedSVD */

typedef struct cml_truncated_svd_params {
    int n_components;               /* 2 */
    int algorithm;                  /* 0 = randomized (the only one) */
    int n_iter;                     /* 5 power iterations */
    int n_oversamples;              /* 10 */
    int power_iteration_normalizer; /* cml_power_normalizer */
    int random_state;               /* 0 */
} cml_truncated_svd_params;

typedef struct cml_truncated_svd cml_truncated_svd;

cml_truncated_svd_params cml_truncated_svd_params_default(void);
const char *cml_truncated_svd_params_check(const cml_truncated_svd_params *p);
/* Fits on dense X (not centred: this is not PCA). */
cml_status cml_truncated_svd_fit(const cml_truncated_svd_params *p, const cml_matrix *X,
                                 cml_truncated_svd **out);
/* Same on a CSR matrix (never densified). */
cml_status cml_truncated_svd_fit_csr(const cml_truncated_svd_params *p, const cml_csr *X,
                                     cml_truncated_svd **out);
/* out (rows, n_components) = X components^T. */
cml_status cml_truncated_svd_transform(const cml_truncated_svd *m, const cml_matrix *X,
                                       double *out);
cml_status cml_truncated_svd_transform_csr(const cml_truncated_svd *m, const cml_csr *X,
                                           double *out);
cml_status cml_truncated_svd_inverse_transform(const cml_truncated_svd *m, const cml_matrix *Z,
                                               double *out);
int64_t cml_truncated_svd_n_components(const cml_truncated_svd *m);
int64_t cml_truncated_svd_n_features(const cml_truncated_svd *m);
const double *cml_truncated_svd_components(const cml_truncated_svd *m); /* (k, n_features) */
const double *cml_truncated_svd_singular_values(const cml_truncated_svd *m);
const double *cml_truncated_svd_explained_variance(const cml_truncated_svd *m);
const double *cml_truncated_svd_explained_variance_ratio(const cml_truncated_svd *m);
void cml_truncated_svd_free(cml_truncated_svd *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_DECOMP_H */
