/*
 * region_query.h — fixed-radius neighbourhoods of every row of a data set
 * (all points within eps of each point, itself included), brute force in
 * blocks, or from a grid of eps-wide cells in 1 to 3 dimensions. Private to
 * libcml: DBSCAN's brute-force and grid searches (the shared KD-tree index
 * serves the dimensions in between), output as a CSR adjacency.
 */
#ifndef CML_REGION_QUERY_H
#define CML_REGION_QUERY_H

#include <stdint.h>

#include "core/internal.h"

typedef enum rq_metric { RQ_EUCLIDEAN = 0, RQ_MANHATTAN, RQ_COSINE } rq_metric;

/* Row i's neighbours are indices[indptr[i] .. indptr[i+1]): ascending by
 * brute force, grouped by grid cell on the grid. */
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

/* 1 when rq_radius_neighbors answers from a grid (euclidean / manhattan, 1
 * to 3 features, a few cells per point at most), in O(n + pairs). */
int rq_grid_applies(const cml_matrix *X, rq_metric metric, double eps);

#endif
