/*
 * nndescent.h — approximate k-nearest-neighbour graph by NN-descent (Dong,
 * Moses & Li, WWW 2011), as umap-learn uses it (through pynndescent) for
 * large data. Internal to libcml (UMAP's graph); never installed.
 *
 * Thread-safety: reentrant; the result depends on the data, k and the seed
 * only, never on the thread count.
 */
#ifndef CML_NNDESCENT_H
#define CML_NNDESCENT_H

#include <stdint.h>

#include "cml/embed.h"
#include "core/internal.h"

typedef struct cml_nnd_params {
    double rho;   /* 0.5: share of each list sampled into the local join */
    double delta; /* 0.001: stop when an iteration updates < delta * n * k entries */
    int max_iter; /* 0 = max(5, round(log2 n)), pynndescent's n_iters */
} cml_nnd_params;

cml_nnd_params cml_nnd_params_default(void);

/* The (approximately) k nearest other rows of every row of X: dist, idx
 * caller-owned (rows, k), each row ascending by (distance, index), the point
 * itself excluded. 1 <= k < rows. *n_iter (may be NULL) gets the iterations
 * run. */
cml_status cml_nnd_knn(const cml_matrix *X, cml_embed_metric metric, int64_t k,
                       const cml_nnd_params *prm, uint64_t seed, double *dist, int64_t *idx,
                       int *n_iter);

#endif
