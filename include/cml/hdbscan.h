/*
 * cml/hdbscan.h — HDBSCAN clustering with the semantics of scikit-learn
 * 1.3's sklearn.cluster.HDBSCAN (Campello, Moulavi & Sander 2013; McInnes &
 * Healy 2017): density-based clusters of varying density, noise = -1.
 *
 * Parameters (names and defaults as sklearn 1.3):
 *   min_cluster_size (5, >= 2)   smallest group the condensed tree keeps as
 *                                a cluster
 *   min_samples (0 = None)       neighbours, the point itself included, that
 *                                define the core distance; None means
 *                                min_cluster_size
 *   cluster_selection_epsilon (0) clusters born below this distance are
 *                                merged upwards (sklearn's epsilon search)
 *   max_cluster_size (0 = None)  eom never selects a larger cluster
 *   metric (euclidean|manhattan)
 *   alpha (1.0, > 0)             distances are divided by alpha in the
 *                                mutual reachability
 *   cluster_selection_method (eom|leaf)
 *   allow_single_cluster (false)
 * Not supported: precomputed distances, non-finite rows (sklearn 1.3 labels
 * them -2/-3; cml rejects them), store_centers.
 *
 * Thread-safety: fit is reentrant; a fitted model is immutable.
 */
#ifndef CML_HDBSCAN_H
#define CML_HDBSCAN_H

#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cml_hdbscan_metric {
    CML_HDBSCAN_EUCLIDEAN = 0,
    CML_HDBSCAN_MANHATTAN
} cml_hdbscan_metric;
typedef enum cml_hdbscan_selection { CML_HDBSCAN_EOM = 0, CML_HDBSCAN_LEAF } cml_hdbscan_selection;

typedef struct cml_hdbscan_params {
    int min_cluster_size;             /* 5 */
    int min_samples;                  /* 0 = None (min_cluster_size) */
    double cluster_selection_epsilon; /* 0.0 */
    int max_cluster_size;             /* 0 = None (no limit) */
    int metric;                       /* cml_hdbscan_metric */
    double alpha;                     /* 1.0 */
    int cluster_selection_method;     /* cml_hdbscan_selection */
    int allow_single_cluster;         /* 0 */
} cml_hdbscan_params;

typedef struct cml_hdbscan cml_hdbscan;

cml_hdbscan_params cml_hdbscan_params_default(void);
/* NULL if valid, else a static message naming the parameter. */
const char *cml_hdbscan_params_check(const cml_hdbscan_params *p);

/* Clusters the rows of X (finite, >= 2 rows, min_samples <= rows). Errors:
 * CML_ERR_ARG (bad params, non-finite X, min_samples > rows),
 * CML_ERR_NOMEM. Cost: O(n^2 d) time (Prim's minimum spanning tree over
 * the mutual reachability distances, computed on the fly), O(n) memory
 * beyond the core-distance query. */
cml_status cml_hdbscan_fit(const cml_hdbscan_params *p, const cml_matrix *X, cml_hdbscan **out);

int64_t cml_hdbscan_n_samples(const cml_hdbscan *m);
int64_t cml_hdbscan_n_features(const cml_hdbscan *m);
int64_t cml_hdbscan_n_clusters(const cml_hdbscan *m);
/* (n): cluster of each row, 0 .. n_clusters-1 (numbered by their order in
 * the condensed tree, as sklearn), or -1 for noise. */
const int64_t *cml_hdbscan_labels(const cml_hdbscan *m);
/* (n): sklearn's probabilities_: how long a point stays in its cluster
 * relative to the cluster's most persistent point, in [0, 1]; 0 for noise. */
const double *cml_hdbscan_probabilities(const cml_hdbscan *m);
/* The condensed tree (sklearn's condensed_tree_ record array): rows of
 * (parent, child, lambda_val = 1 / distance, child_size); clusters are
 * numbered from n_samples (the root), points are 0 .. n_samples-1. Returns
 * the row count; the pointers stay valid as long as the model. */
int64_t cml_hdbscan_condensed_tree(const cml_hdbscan *m, const int64_t **parent,
                                   const int64_t **child, const double **lambda_val,
                                   const int64_t **child_size);
void cml_hdbscan_free(cml_hdbscan *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_HDBSCAN_H */
