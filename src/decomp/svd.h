/*
 * svd.h — singular value decompositions shared by PCA and TruncatedSVD:
 * full SVD through LAPACK's dgesdd, randomized SVD over a linear operator
 * (dense or CSR), and scikit-learn's svd_flip sign convention.
 * Private to libcml.
 */
#ifndef CML_DECOMP_SVD_H
#define CML_DECOMP_SVD_H

#include <stdint.h>

#include "core/internal.h"

/* A (rows, cols) matrix seen only through products with tall blocks:
 * mul: out (rows, l) = A X for X (cols, l); mul_t: out (cols, l) = A^T Y for
 * Y (rows, l). All row-major. */
typedef struct dc_linop {
    int64_t rows, cols;
    void (*mul)(const void *ctx, const double *X, int64_t l, double *out);
    void (*mul_t)(const void *ctx, const double *Y, int64_t l, double *out);
    const void *ctx;
} dc_linop;

/* Operator over a dense row-major view (ctx = the cml_matrix). */
dc_linop dc_dense_op(const cml_matrix *A);
/* Operator over a CSR matrix; *T receives its transpose (allocated, free
 * with dc_csr_free) so A^T Y is a parallel gather, deterministic. */
typedef struct dc_csr_ctx {
    const cml_csr *A;
    int64_t *t_indptr, *t_indices; /* (cols + 1), (nnz): A^T in CSR */
    double *t_data;                /* (nnz) */
} dc_csr_ctx;
cml_status dc_csr_op(const cml_csr *A, dc_csr_ctx *ctx, dc_linop *op);
void dc_csr_free(dc_csr_ctx *ctx);

/* Full thin SVD of the row-major (n, p) matrix A (left intact): S (m),
 * Vt (m, p) and U (n, m), m = min(n, p), singular values descending. */
cml_status dc_svd_full(double *A, int64_t n, int64_t p, double *S, double *U, double *Vt);

/* sklearn's svd_flip(u_based_decision=True): for each component j the
 * entry of largest |U[:, j]| (first on ties) is made positive, flipping
 * U[:, j] (n rows, leading dimension ldu) and Vt[j, :] (p) together. With
 * U == NULL, the sign is decided from Z (n, k; ld ldu) instead, any matrix
 * whose columns are positive multiples of U's (e.g. X V). */
void dc_svd_flip(double *U, int64_t n, int64_t ldu, double *Vt, int64_t k, int64_t p);

/* Randomized SVD (Halko, Martinsson & Tropp 2011, Alg. 4.3 with power
 * iterations, as sklearn's randomized_svd): the k leading singular triplets
 * of op, with l = k + n_oversamples sampling vectors (capped at
 * min(rows, cols)), n_iter power iterations normalised by `normalizer`
 * (cml_power_normalizer). Signs by dc_svd_flip on the row-side vectors.
 * U (rows, k) may be NULL; S (k); Vt (k, cols). */
cml_status dc_randomized_svd(const dc_linop *op, int64_t k, int64_t n_oversamples, int n_iter,
                             int normalizer, cml_rng *rng, double *U, double *S, double *Vt);

/* The same randomized SVD for a tall A (rows >= p) seen only through its
 * Gram matrix M = A^T A (p, p), upper triangle read: every product by A is
 * replaced by one by M (see svd.c), with the same Gaussian draws as
 * dc_randomized_svd on A, so both give the same S and Vt up to rounding
 * (and signs). Forming M costs rows p^2 flops against the operator route's
 * 4 (n_iter + 1) rows p l. S (k), Vt (k, p); signs NOT fixed: the caller
 * decides them from A V (a positive multiple of U), as dc_svd_flip. */
cml_status dc_randomized_svd_gram(const double *M, int64_t rows, int64_t p, int64_t k,
                                  int64_t n_oversamples, int n_iter, int normalizer, cml_rng *rng,
                                  double *S, double *Vt);

#endif
