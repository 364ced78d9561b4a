/*
 * embed_common.h — pieces t-SNE and UMAP share (internal; never installed):
 * the kNN graph of the training rows through the shared neighbour index, a
 * small CSR type with the symmetrisations both methods need, the perplexity
 * search, the data fingerprint, and the metric names.
 *
 * Thread-safety: every function is reentrant; parallel ones give results
 * independent of the thread count.
 */
#ifndef CML_EMBED_COMMON_H
#define CML_EMBED_COMMON_H

#include <stdint.h>

#include "cml/embed.h"
#include "cml/neighbors.h"
#include "core/internal.h"

/* "euclidean|cosine|manhattan", in cml_embed_metric order. */
#define CML_EMBED_METRIC_CHOICES "euclidean|cosine|manhattan"

/* Index parameters for a metric; AUTO picks trees or brute force by
 * sklearn's rule for the given k. */
cml_nn_params cml_embed_nn_params(cml_embed_metric metric, int64_t k);

/* k nearest other rows of every row of X (self excluded): dist, idx are
 * caller-owned (rows, k). When ix_out is not NULL it receives the index
 * (caller frees), else the index is freed here. 1 <= k < rows. */
cml_status cml_embed_knn_self(const cml_matrix *X, cml_embed_metric metric, int64_t k, double *dist,
                              int64_t *idx, cml_nn_index **ix_out);

/* A square sparse matrix in CSR form, column indices ascending per row. */
typedef struct cml_embed_csr {
    int64_t n;       /* rows = columns */
    int64_t *indptr; /* (n + 1) */
    int64_t *col;    /* (nnz) */
    double *val;     /* (nnz) */
} cml_embed_csr;

void cml_embed_csr_free(cml_embed_csr *A);
static inline int64_t cml_embed_csr_nnz(const cml_embed_csr *A)
{
    return A->indptr[A->n];
}

typedef enum cml_embed_symm {
    CML_EMBED_SYMM_SUM = 0,    /* A + A^T (t-SNE's P + P^T) */
    CML_EMBED_SYMM_FUZZY_UNION /* A + A^T - A o A^T (UMAP's fuzzy set union) */
} cml_embed_symm;

/* From a dense (n, k) neighbour list (idx, val; no duplicate column within a
 * row, column != row) builds out = symm(A); entries whose value is exactly
 * 0 are dropped (scipy's eliminate_zeros). out is owned by the caller. */
cml_status cml_embed_symmetrize(int64_t n, int64_t k, const int64_t *idx, const double *val,
                                cml_embed_symm mode, cml_embed_csr *out);

/* sklearn's _binary_search_perplexity (sklearn/manifold/_utils.pyx): for each
 * of the n rows of sqdist (n, k) of squared distances, finds beta = 1/(2
 * sigma^2) by bisection (100 steps, tolerance 1e-5 on the entropy in nats)
 * so that P[i, :] = exp(-sqdist beta) / sum has perplexity `perplexity`.
 * When k == n the row holds every point and entry i (the point itself) is
 * left at 0. P (n, k) is caller-owned. Parallel over rows. */
void cml_embed_perplexity_search(const double *sqdist, int64_t n, int64_t k, double perplexity,
                                 double *P);

/* CML_ERR_ARG naming `who` when every row of X is the same point (each
 * column constant): no neighbourhood structure to embed. */
cml_status cml_embed_check_spread(const cml_matrix *X, const char *who);

/* A 64-bit hash of X's shape and every value's bits (row order, ld ignored),
 * so the same matrix gives the same fingerprint wherever it lives. */
uint64_t cml_embed_fingerprint(const cml_matrix *X);

/* splitmix64 of x: a seed for a per-task cml_rng stream derived from
 * (random_state, task id) without depending on the thread count. */
uint64_t cml_embed_mix(uint64_t x);

#endif
