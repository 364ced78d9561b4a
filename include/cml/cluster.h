/*
 * cml/cluster.h — clustering (k-means, mini-batch k-means, DBSCAN) and the
 * clustering metrics, with scikit-learn 1.2's parameter names, defaults and
 * results.
 *
 * Typed API per estimator: _params_default, _params_check (NULL or a
 * message), _fit, getters, _predict/_transform where scikit-learn has them,
 * _free. The generic layer (cml_model_create("kmeans"), ...) wraps the same
 * code. Labels are int64_t, 0..k-1 (DBSCAN: -1 marks noise).
 *
 * Ownership: fitted models copy what they keep; getters return pointers into
 * the model, valid until it is freed. Thread-safety: a fitted model is
 * immutable; predict/transform may run from many threads at once.
 */
#ifndef CML_CLUSTER_H
#define CML_CLUSTER_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ k-means */

typedef enum cml_kmeans_algorithm { CML_KMEANS_LLOYD = 0, CML_KMEANS_ELKAN } cml_kmeans_algorithm;

typedef struct cml_kmeans_params {
    int n_clusters;              /* 8 */
    char init[CML_PARAM_STRLEN]; /* "k-means++" (greedy, as sklearn) or "random" */
    int n_init;                  /* 10: sklearn 1.2's default ("auto" from 1.4) */
    int max_iter;                /* 300 */
    double tol;                  /* 1e-4, relative to the mean feature variance */
    int algorithm;               /* cml_kmeans_algorithm: lloyd | elkan */
    int random_state;            /* seed of cml_rng; 0 by default (sklearn: None) */
} cml_kmeans_params;

typedef struct cml_kmeans cml_kmeans;

cml_kmeans_params cml_kmeans_params_default(void);
/* NULL if valid, else a message naming the parameter (thread-local). */
const char *cml_kmeans_params_check(const cml_kmeans_params *p);

/* Fits k-means on X (n_samples >= n_clusters). sample_weight (rows) may be
 * NULL (all ones). Runs n_init initialisations and keeps the lowest inertia,
 * as sklearn does. *out is owned by the caller (cml_kmeans_free). */
cml_status cml_kmeans_fit(const cml_kmeans_params *p, const cml_matrix *X,
                          const double *sample_weight, cml_kmeans **out);
/* Same from explicit initial centres (n_clusters, n_features), one run: what
 * sklearn does with init=ndarray (n_init is then ignored). */
cml_status cml_kmeans_fit_from(const cml_kmeans_params *p, const cml_matrix *X,
                               const double *sample_weight, const cml_matrix *init_centers,
                               cml_kmeans **out);
/* labels (rows): index of the nearest centre. */
cml_status cml_kmeans_predict(const cml_kmeans *m, const cml_matrix *X, int64_t *labels);
/* out (rows, n_clusters): Euclidean distance of each row to each centre. */
cml_status cml_kmeans_transform(const cml_kmeans *m, const cml_matrix *X, double *out);
/* (n_clusters, n_features) row-major. */
const double *cml_kmeans_centers(const cml_kmeans *m);
/* (n_samples of the fit) labels of the training rows. */
const int64_t *cml_kmeans_labels(const cml_kmeans *m);
int64_t cml_kmeans_n_samples(const cml_kmeans *m);
int64_t cml_kmeans_n_clusters(const cml_kmeans *m);
int64_t cml_kmeans_n_features(const cml_kmeans *m);
double cml_kmeans_inertia(const cml_kmeans *m);
int cml_kmeans_n_iter(const cml_kmeans *m);
void cml_kmeans_free(cml_kmeans *m);

/* ======================================================= mini-batch k-means */

typedef struct cml_minibatch_kmeans_params {
    int n_clusters;              /* 8 */
    char init[CML_PARAM_STRLEN]; /* "k-means++" or "random" */
    int max_iter;                /* 100 passes over the data */
    int batch_size;              /* 1024 */
    double tol;                  /* 0.0: off (relative to mean feature variance) */
    int max_no_improvement;      /* 10; 0 disables the inertia-based stop */
    int init_size;               /* 0 = sklearn's None: 3 * batch_size */
    int n_init;                  /* 3 */
    double reassignment_ratio;   /* 0.01 */
    int random_state;            /* 0 */
} cml_minibatch_kmeans_params;

typedef struct cml_minibatch_kmeans cml_minibatch_kmeans;

cml_minibatch_kmeans_params cml_minibatch_kmeans_params_default(void);
const char *cml_minibatch_kmeans_params_check(const cml_minibatch_kmeans_params *p);
/* Full fit (sklearn's MiniBatchKMeans.fit with compute_labels=True). */
cml_status cml_minibatch_kmeans_fit(const cml_minibatch_kmeans_params *p, const cml_matrix *X,
                                    const double *sample_weight, cml_minibatch_kmeans **out);
/* One mini-batch update with the rows of X (sklearn's partial_fit). *m NULL on
 * the first call: the model is created and initialised from this batch (which
 * needs >= n_clusters rows); later calls update it in place. Labels and
 * inertia then describe this last batch. */
cml_status cml_minibatch_kmeans_partial_fit(const cml_minibatch_kmeans_params *p,
                                            cml_minibatch_kmeans **m, const cml_matrix *X,
                                            const double *sample_weight);
cml_status cml_minibatch_kmeans_predict(const cml_minibatch_kmeans *m, const cml_matrix *X,
                                        int64_t *labels);
cml_status cml_minibatch_kmeans_transform(const cml_minibatch_kmeans *m, const cml_matrix *X,
                                          double *out);
const double *cml_minibatch_kmeans_centers(const cml_minibatch_kmeans *m);
const int64_t *cml_minibatch_kmeans_labels(const cml_minibatch_kmeans *m);
int64_t cml_minibatch_kmeans_n_samples(const cml_minibatch_kmeans *m);
double cml_minibatch_kmeans_inertia(const cml_minibatch_kmeans *m);
int cml_minibatch_kmeans_n_iter(const cml_minibatch_kmeans *m);      /* passes over the data */
int64_t cml_minibatch_kmeans_n_steps(const cml_minibatch_kmeans *m); /* mini-batches seen */
void cml_minibatch_kmeans_free(cml_minibatch_kmeans *m);

/* ================================================================ DBSCAN */

typedef enum cml_dbscan_metric {
    CML_DBSCAN_EUCLIDEAN = 0,
    CML_DBSCAN_MANHATTAN,
    CML_DBSCAN_COSINE
} cml_dbscan_metric;

typedef struct cml_dbscan_params {
    double eps;      /* 0.5, > 0: neighbourhood radius (distance <= eps) */
    int min_samples; /* 5: neighbours (the point itself included) of a core point */
    int metric;      /* cml_dbscan_metric */
} cml_dbscan_params;

typedef struct cml_dbscan cml_dbscan;

cml_dbscan_params cml_dbscan_params_default(void);
const char *cml_dbscan_params_check(const cml_dbscan_params *p);
/* sample_weight (rows) may be NULL; a point is core when the weights of its
 * neighbourhood sum to >= min_samples, as sklearn. */
cml_status cml_dbscan_fit(const cml_dbscan_params *p, const cml_matrix *X,
                          const double *sample_weight, cml_dbscan **out);
/* (n_samples) cluster labels of the fitted rows, -1 = noise. */
const int64_t *cml_dbscan_labels(const cml_dbscan *m);
int64_t cml_dbscan_n_samples(const cml_dbscan *m);
int64_t cml_dbscan_n_clusters(const cml_dbscan *m);
/* Indices of core samples, ascending; *n set to their count. */
const int64_t *cml_dbscan_core_sample_indices(const cml_dbscan *m, int64_t *n);
/* (n_core, n_features) copies of the core samples (sklearn's components_). */
const double *cml_dbscan_components(const cml_dbscan *m);
void cml_dbscan_free(cml_dbscan *m);

/* ================================================================ metrics */

/* All label arrays are doubles (any values, e.g. -1 for noise) of length n;
 * they are compared by value. Results match sklearn.metrics 1.2. Errors:
 * CML_ERR_ARG for n < 1, NaN labels, or (for the X-based scores) a number of
 * distinct labels outside [2, n_samples - 1]. */

/* Mean silhouette coefficient with Euclidean distances. */
cml_status cml_silhouette_score(const cml_matrix *X, const double *labels, double *out);
/* Per-sample silhouette values, out (rows). */
cml_status cml_silhouette_samples(const cml_matrix *X, const double *labels, double *out);
cml_status cml_davies_bouldin_score(const cml_matrix *X, const double *labels, double *out);
cml_status cml_calinski_harabasz_score(const cml_matrix *X, const double *labels, double *out);

cml_status cml_adjusted_rand_score(const double *labels_true, const double *labels_pred, int64_t n,
                                   double *out);
cml_status cml_mutual_info_score(const double *labels_true, const double *labels_pred, int64_t n,
                                 double *out);
/* average_method="arithmetic" (sklearn's default). */
cml_status cml_normalized_mutual_info_score(const double *labels_true, const double *labels_pred,
                                            int64_t n, double *out);
/* v_measure with beta = 1; any of h, c, v may be NULL. */
cml_status cml_homogeneity_completeness_v_measure(const double *labels_true,
                                                  const double *labels_pred, int64_t n, double *h,
                                                  double *c, double *v);
cml_status cml_homogeneity_score(const double *labels_true, const double *labels_pred, int64_t n,
                                 double *out);
cml_status cml_completeness_score(const double *labels_true, const double *labels_pred, int64_t n,
                                  double *out);
cml_status cml_v_measure_score(const double *labels_true, const double *labels_pred, int64_t n,
                               double *out);

#ifdef __cplusplus
}
#endif
#endif /* CML_CLUSTER_H */
