/*
 * svd.c — full and randomized SVD, svd_flip (see svd.h).
 *
 * Full: dgesdd on a column-major copy of A, so that tall data (the usual
 * case: n_samples >> n_features) take LAPACK's QR-first path.
 *
 * Randomized (Halko, Martinsson & Tropp, SIAM Review 2011, Alg. 4.3/4.4, as
 * sklearn's randomized_range_finder + randomized_svd): Q = orth(A G) for a
 * Gaussian G (cols, l) refined by n_iter power iterations (A A^T)^q, each
 * product re-normalised by LU (P L factor, as scipy's lu(permute_l=True)),
 * QR or nothing; then the small SVD of B = Q^T A. Works on A^T when A is
 * wide, as sklearn (transpose="auto"). Cost O(n_iter * rows * cols * l).
 * The Gaussian draws come from cml_rng, so results equal sklearn's up to
 * the randomness (i.e. to the accuracy of the method).
 * Thread-safety: pure functions; parallel over row blocks (dense) and rows
 * (CSR), results independent of the thread count.
 */
#include <cblas.h>
#include <lapacke.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "cml/decomp.h"
#include "decomp/svd.h"

/* ---------------------------------------------------------------- operators */

/* Dense products in row blocks inside cml's own parallel loops, each BLAS
 * call single-threaded there: one multi-threaded call over a tall matrix
 * synchronises its threads at every block, which on a busy machine costs
 * several times the work. A^T Y sums fixed groups of blocks in index order,
 * so results do not depend on the thread count. */
#define DENSE_ROWS   2048
#define DENSE_GROUPS 8

static void dense_mul(const void *ctx, const double *X, int64_t l, double *out)
{
    const cml_matrix *A = ctx;
    int64_t n = A->rows, nb = (n + DENSE_ROWS - 1) / DENSE_ROWS;
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(static) if (nb > 1)
    for (int64_t b = 0; b < nb; b++) {
        int64_t s = b * DENSE_ROWS, e = CML_MIN(s + DENSE_ROWS, n);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(e - s), (int)l, (int)A->cols,
                    1.0, A->data + s * A->ld, (int)A->ld, X, (int)l, 0.0, out + s * l, (int)l);
    }
}

static void dense_mul_t(const void *ctx, const double *Y, int64_t l, double *out)
{
    const cml_matrix *A = ctx;
    int64_t n = A->rows, p = A->cols, nb = (n + DENSE_ROWS - 1) / DENSE_ROWS;
    int G = (int)CML_MIN(nb, DENSE_GROUPS);
    double *part = G > 1 ? cml_alloc_array((int64_t)(G - 1) * p * l, sizeof(double)) : NULL;
    if (!part) { /* one block, or no memory for the partial sums: one call */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)p, (int)l, (int)n, 1.0, A->data,
                    (int)A->ld, Y, (int)l, 0.0, out, (int)l);
        return;
    }
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(dynamic, 1)
    for (int g = 0; g < G; g++) {
        double *dst = g == 0 ? out : part + (int64_t)(g - 1) * p * l;
        for (int64_t b = g * nb / G; b < (g + 1) * nb / G; b++) {
            int64_t s = b * DENSE_ROWS, e = CML_MIN(s + DENSE_ROWS, n);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)p, (int)l, (int)(e - s), 1.0,
                        A->data + s * A->ld, (int)A->ld, Y + s * l, (int)l,
                        b == g * nb / G ? 0.0 : 1.0, dst, (int)l);
        }
    }
    for (int g = 1; g < G; g++)
        for (int64_t t = 0; t < p * l; t++)
            out[t] += part[(int64_t)(g - 1) * p * l + t];
    free(part);
}

dc_linop dc_dense_op(const cml_matrix *A)
{
    dc_linop op = {A->rows, A->cols, dense_mul, dense_mul_t, A};
    return op;
}

/* out (rows, l) = A X for a CSR A: one row at a time, parallel, each row's
 * sum in index order. */
static void csr_gather(const int64_t *indptr, const void *indices, int idx64, const double *data,
                       int64_t rows, const double *X, int64_t l, double *out)
{
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(dynamic, 64)
    for (int64_t i = 0; i < rows; i++) {
        double *o = out + i * l;
        memset(o, 0, (size_t)l * sizeof(double));
        for (int64_t t = indptr[i]; t < indptr[i + 1]; t++) {
            int64_t j = idx64 ? ((const int64_t *)indices)[t] : ((const int32_t *)indices)[t];
            const double v = data[t], *x = X + j * l;
            for (int64_t c = 0; c < l; c++)
                o[c] += v * x[c];
        }
    }
}

static void csr_mul(const void *ctx, const double *X, int64_t l, double *out)
{
    const dc_csr_ctx *c = ctx;
    csr_gather(c->A->indptr, c->A->indices, 0, c->A->data, c->A->rows, X, l, out);
}

static void csr_mul_t(const void *ctx, const double *Y, int64_t l, double *out)
{
    const dc_csr_ctx *c = ctx;
    csr_gather(c->t_indptr, c->t_indices, 1, c->t_data, c->A->cols, Y, l, out);
}

cml_status dc_csr_op(const cml_csr *A, dc_csr_ctx *ctx, dc_linop *op)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->A = A;
    int64_t nnz = A->nnz, p = A->cols;
    ctx->t_indptr = cml_calloc((size_t)p + 1, sizeof(int64_t));
    ctx->t_indices = cml_alloc_array(CML_MAX(nnz, 1), sizeof(int64_t));
    ctx->t_data = cml_alloc_array(CML_MAX(nnz, 1), sizeof(double));
    int64_t *next = cml_alloc_array(p, sizeof(int64_t));
    if (!ctx->t_indptr || !ctx->t_indices || !ctx->t_data || !next) {
        free(next);
        dc_csr_free(ctx);
        return CML_ERR_NOMEM;
    }
    for (int64_t t = 0; t < nnz; t++)
        ctx->t_indptr[A->indices[t] + 1]++;
    for (int64_t j = 0; j < p; j++)
        ctx->t_indptr[j + 1] += ctx->t_indptr[j];
    memcpy(next, ctx->t_indptr, (size_t)p * sizeof(int64_t));
    for (int64_t i = 0; i < A->rows; i++)
        for (int64_t t = A->indptr[i]; t < A->indptr[i + 1]; t++) {
            int64_t dst = next[A->indices[t]]++;
            ctx->t_indices[dst] = i;
            ctx->t_data[dst] = A->data[t];
        }
    free(next);
    op->rows = A->rows;
    op->cols = A->cols;
    op->mul = csr_mul;
    op->mul_t = csr_mul_t;
    op->ctx = ctx;
    return CML_OK;
}

void dc_csr_free(dc_csr_ctx *ctx)
{
    free(ctx->t_indptr);
    free(ctx->t_indices);
    free(ctx->t_data);
    memset(ctx, 0, sizeof *ctx);
}

/* ---------------------------------------------------------------- full SVD */

cml_status dc_svd_full(double *A, int64_t n, int64_t p, double *S, double *U, double *Vt)
{
    int64_t m = CML_MIN(n, p);
    /* LAPACK factorises the column-major A (n, p): for tall data its QR-first
     * path is much faster than the LQ path on the row-major buffer read as
     * A^T. One transposed copy (n p doubles) buys that. */
    double *Ac = cml_alloc_array(n * p, sizeof(double));
    double *Uc = cml_alloc_array(n * m, sizeof(double));
    double *Vc = cml_alloc_array(m * p, sizeof(double));
    cml_status st = CML_OK;
    if (!Ac || !Uc || !Vc) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(static)
    for (int64_t j = 0; j < p; j++)
        for (int64_t i = 0; i < n; i++)
            Ac[j * n + i] = A[i * p + j];
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)n, (lapack_int)p, Ac,
                                     (lapack_int)n, S, Uc, (lapack_int)n, Vc, (lapack_int)m);
    if (info < 0) {
        st = cml_fail(CML_ERR_INTERNAL, "dgesdd: argument %d invalid", (int)-info);
        goto fail;
    }
    if (info > 0) {
        st = cml_fail(CML_ERR_CONVERGENCE, "SVD did not converge (dgesdd info=%d)", (int)info);
        goto fail;
    }
    /* Back to row-major U (n, m) and Vt (m, p). */
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(static)
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++)
            U[i * m + j] = Uc[j * n + i];
    for (int64_t j = 0; j < m; j++)
        for (int64_t t = 0; t < p; t++)
            Vt[j * p + t] = Vc[t * m + j];
fail:
    free(Ac);
    free(Uc);
    free(Vc);
    return st;
}

/* Negates column j of U and row j of Vt. */
static void flip_one(double *U, int64_t n, int64_t ldu, double *Vt, int64_t p, int64_t j)
{
    for (int64_t i = 0; i < n; i++)
        U[i * ldu + j] = -U[i * ldu + j];
    for (int64_t t = 0; t < p; t++)
        Vt[j * p + t] = -Vt[j * p + t];
}

void dc_svd_flip(double *U, int64_t n, int64_t ldu, double *Vt, int64_t k, int64_t p)
{
    int64_t *best = cml_calloc((size_t)k, sizeof(int64_t));
    if (!best) { /* column-wise fallback: slower, same answer */
        for (int64_t j = 0; j < k; j++) {
            int64_t b = 0;
            for (int64_t i = 1; i < n; i++)
                if (fabs(U[i * ldu + j]) > fabs(U[b * ldu + j])) b = i;
            if (U[b * ldu + j] < 0.0) flip_one(U, n, ldu, Vt, p, j);
        }
        return;
    }
    /* One row-major pass finds every column's first largest |entry|. */
    for (int64_t i = 1; i < n; i++)
        for (int64_t j = 0; j < k; j++)
            if (fabs(U[i * ldu + j]) > fabs(U[best[j] * ldu + j])) best[j] = i;
    for (int64_t j = 0; j < k; j++)
        if (U[best[j] * ldu + j] < 0.0) flip_one(U, n, ldu, Vt, p, j);
    free(best);
}

/* ---------------------------------------------------------------- randomized */

/* Y (r, l) <- P L of Y = P L U (scipy's lu(permute_l=True)): an
 * inexpensive basis of the same span, better conditioned than Y. */
static cml_status normalize_lu(double *Y, int64_t r, int64_t l)
{
    int64_t m = CML_MIN(r, l);
    lapack_int *ipiv = cml_alloc_array(m, sizeof(lapack_int));
    if (!ipiv) return CML_ERR_NOMEM;
    lapack_int info =
        LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)r, (lapack_int)l, Y, (lapack_int)l, ipiv);
    if (info < 0) {
        free(ipiv);
        return cml_fail(CML_ERR_INTERNAL, "dgetrf: argument %d invalid", (int)-info);
    }
    /* info > 0: exactly singular U; L is still a valid (unit) factor. */
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < l; j++)
            if (j > i)
                Y[i * l + j] = 0.0;
            else if (j == i)
                Y[i * l + j] = 1.0;
    /* Undo the row interchanges, last first: P L. */
    for (int64_t i = m - 1; i >= 0; i--) {
        int64_t q = ipiv[i] - 1;
        if (q == i) continue;
        for (int64_t j = 0; j < l; j++) {
            double t = Y[i * l + j];
            Y[i * l + j] = Y[q * l + j];
            Y[q * l + j] = t;
        }
    }
    free(ipiv);
    return CML_OK;
}

/* Y (r, l) <- Q of its thin QR (r >= l). */
static cml_status normalize_qr(double *Y, int64_t r, int64_t l)
{
    double *tau = cml_alloc_array(l, sizeof(double));
    if (!tau) return CML_ERR_NOMEM;
    lapack_int info =
        LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)r, (lapack_int)l, Y, (lapack_int)l, tau);
    if (info == 0)
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)r, (lapack_int)l, (lapack_int)l, Y,
                              (lapack_int)l, tau);
    free(tau);
    if (info != 0)
        return cml_fail(CML_ERR_INTERNAL, "QR factorisation failed (info=%d)", (int)info);
    return CML_OK;
}

static cml_status normalize(int how, double *Y, int64_t r, int64_t l)
{
    if (how == CML_POWER_LU) return normalize_lu(Y, r, l);
    if (how == CML_POWER_QR) return normalize_qr(Y, r, l);
    return CML_OK;
}

/* The op with rows and columns swapped. */
static void op_apply(const dc_linop *op, int transposed, const double *X, int64_t l, double *out)
{
    if (transposed)
        op->mul_t(op->ctx, X, l, out);
    else
        op->mul(op->ctx, X, l, out);
}

/* The small SVD that ends both randomized routes: B = Bt^T (l, c) with
 * Bt (c, l) row-major (destroyed), i.e. B column-major. Sl (l) descending,
 * Uh (l, l) column-major left vectors, Vm (c, l) row-major right vectors. */
static cml_status small_svd(double *Bt, int64_t c, int64_t l, double *Sl, double *Uh, double *Vm)
{
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)l, (lapack_int)c, Bt,
                                     (lapack_int)l, Sl, Uh, (lapack_int)l, Vm, (lapack_int)l);
    if (info != 0)
        return cml_fail(info > 0 ? CML_ERR_CONVERGENCE : CML_ERR_INTERNAL,
                        "randomized SVD: dgesdd failed (info=%d)", (int)info);
    return CML_OK;
}

/* The sampling width l and the normalizer that "auto" stands for. */
static int64_t sample_width(int64_t k, int64_t n_oversamples, int64_t r, int64_t c)
{
    return CML_MIN(k + n_oversamples, CML_MIN(r, c));
}

static int resolve_normalizer(int normalizer, int n_iter)
{
    if (normalizer == CML_POWER_AUTO) return n_iter <= 2 ? CML_POWER_NONE : CML_POWER_LU;
    return normalizer;
}

cml_status dc_randomized_svd(const dc_linop *op, int64_t k, int64_t n_oversamples, int n_iter,
                             int normalizer, cml_rng *rng, double *U, double *S, double *Vt)
{
    /* Work on A = op, or op^T when op is wide (sklearn's transpose="auto"). */
    int T = op->rows < op->cols;
    int64_t r = T ? op->cols : op->rows, c = T ? op->rows : op->cols;
    int64_t l = sample_width(k, n_oversamples, r, c);
    normalizer = resolve_normalizer(normalizer, n_iter);
    cml_status st = CML_OK;
    double *G = cml_alloc_array(c * l, sizeof(double)); /* (c, l) */
    double *Y = cml_alloc_array(r * l, sizeof(double)); /* (r, l) */
    double *Sl = cml_alloc_array(l, sizeof(double));
    double *Uh = cml_alloc_array(l * l, sizeof(double));
    double *Ua = cml_alloc_array(r * l, sizeof(double)); /* A-side left vectors */
    double *Vm = cml_alloc_array(c * l, sizeof(double)); /* (c, l) */
    if (!G || !Y || !Sl || !Uh || !Ua || !Vm) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t t = 0; t < c * l; t++)
        G[t] = cml_rng_normal(rng);
    /* A = op^T means A X = op^T X (mul_t) and A^T Y = op Y (mul). */
    for (int it = 0; it < n_iter; it++) {
        op_apply(op, T, G, l, Y);
        CML_TRY(normalize(normalizer, Y, r, l));
        op_apply(op, !T, Y, l, G);
        CML_TRY(normalize(normalizer, G, c, l));
    }
    op_apply(op, T, G, l, Y);
    CML_TRY(normalize_qr(Y, r, l)); /* Q (r, l) */
    /* Bt = A^T Q (c, l) row-major is B = Q^T A (l, c) column-major. */
    op_apply(op, !T, Y, l, G);
    CML_TRY(small_svd(G, c, l, Sl, Uh, Vm));
    /* Uh column-major (l, l) read row-major is Uh^T: Ua = Q Uh. Vm holds
     * the right vectors of B column-major (l, c) = V_A row-major (c, l). */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r, (int)l, (int)l, 1.0, Y, (int)l, Uh,
                (int)l, 0.0, Ua, (int)l);
    /* Row side of op: Ua when A = op, V_A when A = op^T; column side the
     * other one, transposed into Vt. */
    double *row_side = T ? Vm : Ua, *col_side = T ? Ua : Vm;
    int64_t n_rows = op->rows, n_cols = op->cols;
    for (int64_t j = 0; j < k; j++) {
        S[j] = Sl[j];
        for (int64_t t = 0; t < n_cols; t++)
            Vt[j * n_cols + t] = col_side[t * l + j];
    }
    /* Signs from the row-side vectors (sklearn: u-based, or v-based on the
     * transposed problem, which is the same side). */
    dc_svd_flip(row_side, n_rows, l, Vt, k, n_cols);
    if (U)
        for (int64_t i = 0; i < n_rows; i++)
            memcpy(U + i * k, row_side + i * l, (size_t)k * sizeof(double));
fail:
    free(G);
    free(Y);
    free(Sl);
    free(Uh);
    free(Ua);
    free(Vm);
    return st;
}

/* ---------------------------------------------------------------- on the Gram matrix */

/* The route above, with every product by A replaced by one by M = A^T A:
 *   power iterations  G <- normalize(A^T (A G)) = normalize(M G), one
 *                     normalisation per iteration instead of two (each is a
 *                     right-multiplication by an invertible (l, l) matrix,
 *                     so the subspace is the same);
 *   range basis       Y = A G, Q = Y R^-1 with Y^T Y = G^T M G = K;
 *   projection        B = Q^T A = R^-T (M G)^T, an (l, p) matrix.
 * R is taken from the eigendecomposition K = E diag(lambda) E^T (R =
 * diag(lambda)^1/2 E^T, an orthonormal basis of range(Y) like sklearn's QR;
 * B's singular values and right vectors do not depend on which one), and a
 * direction with lambda <= l eps lambda_max is dropped (B row 0): Y is then
 * rank-deficient, so A has fewer than l nonzero singular values, and the
 * Householder Q's extra columns are orthogonal to range(A), i.e. give zero
 * rows of B too. Accuracy: K squares the condition of Y = A G; with G
 * orthonormalised first that is at most sigma_1 / sigma_l of A, so the kept
 * singular values carry a relative error ~eps (sigma_1 / sigma_j)^2, far
 * below the randomized method's own error for the leading components. */
cml_status dc_randomized_svd_gram(const double *M, int64_t rows, int64_t p, int64_t k,
                                  int64_t n_oversamples, int n_iter, int normalizer, cml_rng *rng,
                                  double *S, double *Vt)
{
    int64_t l = sample_width(k, n_oversamples, rows, p);
    normalizer = resolve_normalizer(normalizer, n_iter);
    cml_status st = CML_OK;
    double *G = cml_alloc_array(p * l, sizeof(double)); /* (p, l) */
    double *W = cml_alloc_array(p * l, sizeof(double)); /* (p, l) */
    double *K = cml_alloc_array(l * l, sizeof(double));
    double *lam = cml_alloc_array(l, sizeof(double));
    double *Sl = cml_alloc_array(l, sizeof(double));
    double *Uh = cml_alloc_array(l * l, sizeof(double));
    double *Vm = cml_alloc_array(p * l, sizeof(double));
    if (!G || !W || !K || !lam || !Sl || !Uh || !Vm) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* The same draws, in the same order, as dc_randomized_svd on a tall A. */
    for (int64_t t = 0; t < p * l; t++)
        G[t] = cml_rng_normal(rng);
    for (int it = 0; it < n_iter; it++) {
        cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, (int)p, (int)l, 1.0, M, (int)p, G, (int)l,
                    0.0, W, (int)l);
        CML_TRY(normalize(normalizer, W, p, l));
        double *t = G;
        G = W;
        W = t;
    }
    /* An orthonormal G first (same span): K below then has the condition
     * of A restricted to span(G), not that times G's own, which without a
     * normalizer (n_iter <= 2) grows like (sigma_1 / sigma_l)^(2 n_iter). */
    CML_TRY(normalize_qr(G, p, l));
    /* W = M G = A^T Y; K = G^T W = Y^T Y, symmetrised against rounding. */
    cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, (int)p, (int)l, 1.0, M, (int)p, G, (int)l,
                0.0, W, (int)l);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)l, (int)l, (int)p, 1.0, G, (int)l, W,
                (int)l, 0.0, K, (int)l);
    for (int64_t a = 0; a < l; a++)
        for (int64_t b = a + 1; b < l; b++)
            K[a * l + b] = K[b * l + a] = 0.5 * (K[a * l + b] + K[b * l + a]);
    lapack_int info =
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)l, K, (lapack_int)l, lam);
    if (info != 0) {
        st = cml_fail(info > 0 ? CML_ERR_CONVERGENCE : CML_ERR_INTERNAL,
                      "randomized SVD: eigendecomposition of the sketch failed (dsyevd info=%d)",
                      (int)info);
        goto fail;
    }
    /* Bt = B^T = W E diag(lambda)^-1/2 (p, l), into G (no longer needed). */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)l, (int)l, 1.0, W, (int)l,
                K, (int)l, 0.0, G, (int)l);
    double floor_ = (double)l * DBL_EPSILON * lam[l - 1]; /* ascending: lam[l-1] is the largest */
    for (int64_t j = 0; j < l; j++)
        Sl[j] = lam[j] > floor_ && lam[j] > 0.0 ? 1.0 / sqrt(lam[j]) : 0.0;
    for (int64_t t = 0; t < p; t++)
        for (int64_t j = 0; j < l; j++)
            G[t * l + j] *= Sl[j];
    CML_TRY(small_svd(G, p, l, Sl, Uh, Vm));
    for (int64_t j = 0; j < k; j++) {
        S[j] = Sl[j];
        for (int64_t t = 0; t < p; t++)
            Vt[j * p + t] = Vm[t * l + j];
    }
fail:
    free(G);
    free(W);
    free(K);
    free(lam);
    free(Sl);
    free(Uh);
    free(Vm);
    return st;
}
