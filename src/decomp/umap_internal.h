/*
 * umap_internal.h — UMAP's spectral initialisation (umap_spectral.c), shared
 * with umap.c and the unit tests; never installed.
 */
#ifndef CML_UMAP_INTERNAL_H
#define CML_UMAP_INTERNAL_H

#include <stdint.h>

#include "decomp/embed_common.h"

/* How the eigenvectors of the normalized Laplacian are computed. */
typedef enum cml_umap_eig {
    CML_UMAP_EIG_AUTO = 0, /* dense up to CML_UMAP_DENSE_MAX vertices, else Krylov */
    CML_UMAP_EIG_DENSE,    /* LAPACK dsyevr on the dense n x n matrix: O(n^3) */
    CML_UMAP_EIG_KRYLOV    /* block Krylov + Rayleigh-Ritz with sparse products */
} cml_umap_eig;

#define CML_UMAP_DENSE_MAX 1000

/* Eigenvectors 2..dim+1 (by ascending eigenvalue) of the normalized
 * Laplacian L = I - D^-1/2 W D^-1/2 of the connected symmetric graph W
 * (every vertex with positive degree): out (n, dim). eigvals (dim + 1),
 * optional, receives the dim + 1 smallest eigenvalues. Sign of each vector
 * is fixed (largest-magnitude entry positive). n > dim + 1. */
cml_status cml_umap_spectral_connected(const cml_embed_csr *W, int dim, cml_umap_eig how,
                                       uint64_t seed, double *out, double *eigvals);

/* umap-learn's spectral_layout: one spectral embedding when the graph is
 * connected, else each connected component laid out on its own around a
 * meta-position (see umap_spectral.c). X (n, p) gives the component
 * centroids. out (n, dim). *n_components receives the number of connected
 * components. */
cml_status cml_umap_spectral_layout(const cml_matrix *X, const cml_embed_csr *W, int dim,
                                    uint64_t seed, double *out, int64_t *n_components);

#endif
