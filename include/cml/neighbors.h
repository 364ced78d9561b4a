/*
 * cml/neighbors.h — exact nearest-neighbour search (brute force, KD-tree,
 * ball tree) and the k-nearest-neighbours classifier and regressor,
 * mirroring scikit-learn 1.2's NearestNeighbors, KNeighborsClassifier and
 * KNeighborsRegressor.
 *
 * Results are exact and identical for every algorithm: neighbours are
 * ordered by exact distance, ties broken by the smaller training index, and
 * at the k-th place a tie goes to the smaller index too. scikit-learn
 * returns the same neighbours except where distances tie exactly (it breaks
 * ties by heap/traversal order), and its brute-force euclidean distances
 * carry the rounding error of the |x|^2+|y|^2-2x.y expansion (up to ~1e-5 on
 * breast_cancer), whereas cml returns exact distances computed in feature
 * order (equal to sklearn's KD-tree/ball-tree distances).
 *
 * Thread-safety: a built index and a fitted model are immutable; queries
 * may run from many threads at once. Queries are parallel (OpenMP, over
 * query points or blocks) and their results do not depend on the thread
 * count.
 */
#ifndef CML_NEIGHBORS_H
#define CML_NEIGHBORS_H

#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- index */

typedef enum cml_nn_algorithm {
    CML_NN_AUTO = 0, /* sklearn 1.2's rule, see cml_nn_params */
    CML_NN_BALL_TREE,
    CML_NN_KD_TREE,
    CML_NN_BRUTE
} cml_nn_algorithm;

typedef enum cml_nn_metric {
    CML_NN_MINKOWSKI = 0, /* with p: p = 2 is euclidean, p = 1 manhattan */
    CML_NN_EUCLIDEAN,
    CML_NN_MANHATTAN,
    CML_NN_COSINE /* 1 - cos(x, y); brute force only, as in sklearn */
} cml_nn_metric;

typedef struct cml_nn_params {
    cml_nn_algorithm algorithm; /* CML_NN_AUTO */
    int leaf_size;              /* 30; tree leaves hold leaf_size..2*leaf_size points */
    cml_nn_metric metric;       /* CML_NN_MINKOWSKI */
    double p;                   /* 2; minkowski power, >= 1 */
    /* The k the caller means to query, used only by AUTO (sklearn's
     * n_neighbors, default 5); <= 0 means unknown. AUTO picks brute force
     * when the metric is cosine, n_features > 15, or n_neighbors >=
     * n_samples / 2; else a KD-tree (sklearn 1.2 _fit). */
    int n_neighbors;
} cml_nn_params;

typedef struct cml_nn_index cml_nn_index;

/* Defaults above. */
cml_nn_params cml_nn_params_default(void);
/* NULL if valid, else a static message naming the bad field. */
const char *cml_nn_params_check(const cml_nn_params *p);

/* Builds an index over the rows of X (copied: X may be freed afterwards).
 * X must be finite. Errors: CML_ERR_ARG (bad params, cosine with a tree,
 * non-finite X), CML_ERR_NOMEM. Build cost: brute O(n d), trees
 * O(n d log n). */
cml_status cml_nn_index_build(const cml_nn_params *p, const cml_matrix *X, cml_nn_index **out);
void cml_nn_index_free(cml_nn_index *ix);

/* The algorithm actually used (never AUTO), sizes, and the training row i
 * as a pointer to n_features doubles (valid as long as the index). */
cml_nn_algorithm cml_nn_index_algorithm(const cml_nn_index *ix);
int64_t cml_nn_index_n_samples(const cml_nn_index *ix);
int64_t cml_nn_index_n_features(const cml_nn_index *ix);

/* k nearest training rows of each row of Q: dist and idx are caller-owned
 * (Q->rows, k) row-major arrays, each row sorted by ascending distance,
 * ties by ascending index. 1 <= k <= n_samples, Q finite with n_features
 * columns, else CML_ERR_ARG. */
cml_status cml_nn_index_kneighbors(const cml_nn_index *ix, const cml_matrix *Q, int64_t k,
                                   double *dist, int64_t *idx);

/* Same for the training rows themselves, each excluding itself (sklearn's
 * kneighbors(X=None)): row i of (n_samples, k) dist/idx. If i is not among
 * its own k+1 nearest (more than k exact duplicates), the first of them is
 * dropped instead, as sklearn does. 1 <= k < n_samples. */
cml_status cml_nn_index_kneighbors_self(const cml_nn_index *ix, int64_t k, double *dist,
                                        int64_t *idx);

/* All training rows within distance <= radius of each query (CSR layout):
 * the neighbours of query i are indices[offsets[i] .. offsets[i+1]), sorted
 * by distance then index. */
typedef struct cml_nn_radius_result {
    int64_t n_queries;
    int64_t *offsets;  /* (n_queries + 1) */
    int64_t *indices;  /* (offsets[n_queries]) */
    double *distances; /* (offsets[n_queries]) */
} cml_nn_radius_result;

cml_status cml_nn_index_radius_neighbors(const cml_nn_index *ix, const cml_matrix *Q, double radius,
                                         cml_nn_radius_result **out);
void cml_nn_radius_result_free(cml_nn_radius_result *r);

/* ---------------------------------------------------------------- KNN */

typedef enum cml_knn_weights { CML_KNN_UNIFORM = 0, CML_KNN_DISTANCE } cml_knn_weights;

/* Field order and defaults follow sklearn's KNeighborsClassifier. */
typedef struct cml_knn_params {
    int n_neighbors; /* 5 */
    int weights;     /* cml_knn_weights: uniform */
    int algorithm;   /* cml_nn_algorithm: auto */
    int leaf_size;   /* 30 */
    double p;        /* 2 */
    int metric;      /* cml_nn_metric: minkowski */
} cml_knn_params;

/* One fitted struct serves the classifier and the regressor. */
typedef struct cml_knn cml_knn;

cml_knn_params cml_knn_params_default(void);
const char *cml_knn_params_check(const cml_knn_params *p);

/* Classifier: classes are the sorted distinct values of y. Keeps a copy of
 * X and y. Errors: CML_ERR_ARG (bad params, n_neighbors > rows, non-finite
 * X/y), CML_ERR_NOMEM. */
cml_status cml_knn_classifier_fit(const cml_knn_params *p, const cml_matrix *X, const double *y,
                                  cml_knn **out);
/* Regressor: predicts the (distance-weighted) mean of the neighbours' y. */
cml_status cml_knn_regressor_fit(const cml_knn_params *p, const cml_matrix *X, const double *y,
                                 cml_knn **out);

/* out (rows): class values (classifier; vote ties go to the smallest class,
 * as sklearn's mode) or regression values. */
cml_status cml_knn_predict(const cml_knn *m, const cml_matrix *X, double *out);
/* out (rows, n_classes): vote shares; classifier only. With weights =
 * distance a query at distance 0 from training rows votes with those rows
 * only (sklearn). */
cml_status cml_knn_predict_proba(const cml_knn *m, const cml_matrix *X, double *out);
/* Neighbours of X in the training set (see cml_nn_index_kneighbors). */
cml_status cml_knn_kneighbors(const cml_knn *m, const cml_matrix *X, int64_t k, double *dist,
                              int64_t *idx);

int cml_knn_is_classifier(const cml_knn *m);
int64_t cml_knn_n_classes(const cml_knn *m); /* 0 for the regressor */
const double *cml_knn_classes(const cml_knn *m);
const cml_nn_index *cml_knn_index(const cml_knn *m);
void cml_knn_free(cml_knn *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_NEIGHBORS_H */
