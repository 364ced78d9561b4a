/*
 * region_query.h — fixed-radius neighbourhoods of every row of a data set
 * (all points within eps of each point, itself included), brute force in
 * blocks. Private to libcml; DBSCAN's only use of a neighbour search, kept
 * apart so it can be replaced by the shared KD/ball-tree index later with
 * the same output (a CSR adjacency).
 */
#ifndef CML_REGION_QUERY_H
#define CML_REGION_QUERY_H

#include <stdint.h>

#include "core/internal.h"

typedef enum rq_metric { RQ_EUCLIDEAN = 0, RQ_MANHATTAN, RQ_COSINE } rq_metric;

/* Row i's neighbours are indices[indptr[i] .. indptr[i+1]), ascending. */
typedef struct rq_neighborhoods {
    int64_t n;
    int64_t *indptr;  /* (n + 1) */
    int64_t *indices; /* (indptr[n]) */
} rq_neighborhoods;

/* Neighbourhoods of radius eps (distance <= eps) of every row of X.
 * Euclidean compares the exact sum of squared differences with eps^2 (as
 * scikit-learn's KD tree does); cosine uses 1 - x.y / (|x||y|) like
 * sklearn's cosine_distances (a zero row has distance 1 to everything).
 * Deterministic and thread-count independent. */
cml_status rq_radius_neighbors(const cml_matrix *X, rq_metric metric, double eps,
                               rq_neighborhoods *out);
void rq_free(rq_neighborhoods *nb);

#endif
