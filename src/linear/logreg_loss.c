/*
 * logreg_loss.c — the weighted logistic losses, gradients and Hessian-vector
 * products that every logistic-regression solver calls (scikit-learn 1.2's
 * LinearModelLoss with HalfBinomialLoss / HalfMultinomialLoss):
 *
 *   binary  (K = 1): loss_i = log(1 + exp(z_i)) - y_i z_i,        y_i in {0,1}
 *   softmax (K >= 2): loss_i = logsumexp_k(z_ik) - z_{i,y_i}
 *   f(w) = sum_i s_i loss_i + l2/2 ||coef||^2,   z = X coef' + intercept
 *   grad = G' X + l2 coef (intercept: column sums of G),  G = s (p - onehot)
 *   Hv   : binary  X' diag(s p (1-p)) X v
 *          softmax (Hv)_k = X' [s p_k (T_k - sum_l p_l T_l)],  T = X v' + v_b
 *
 * Stability: log(1+exp(z)) is formed as log1p(exp(-|z|)) + max(z, 0) and the
 * softmax subtracts the row maximum, so no exp overflows at any z.
 * Cost: two BLAS passes over X (dgemv/dgemm) plus O(nK) per evaluation; on X
 * larger than the cache, f and grad share one pass (loss_grad_fused), and
 * with 2..16 classes on dense X one pass of a few-class kernel that needs no
 * BLAS (loss_grad_skinny).
 * Threads: the pointwise pass runs in OpenMP over fixed chunks of LR_CHUNK
 * rows whose partial sums are added in chunk order, so f and the gradient
 * are bitwise the same for every thread count.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#include "core/internal.h"
#include "core/vexp.h"
#include "linear/logreg_impl.h"

/* exps per batch in the line-search loss (a stack buffer: K is unbounded) */
#define LR_MAX_K 32
/* X above this size (bytes) takes the fused one-pass evaluation */
#define LR_FUSE_MIN_BYTES (8 << 20)

cml_status lr_problem_init(lr_problem *pb, const double *X, int64_t ldx, int64_t n, int64_t p,
                           const double *y, const double *sw, int K, int fit_intercept, double l2)
{
    memset(pb, 0, sizeof *pb);
    if (n > INT32_MAX || p > INT32_MAX)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "logistic_regression: X with %lld x %lld exceeds the BLAS int range",
                        (long long)n, (long long)p);
    pb->X = X;
    pb->ldx = ldx;
    pb->n = n;
    pb->p = p;
    pb->y = y;
    pb->sw = sw;
    pb->K = K;
    pb->fi = fit_intercept ? 1 : 0;
    pb->l2 = l2;
    pb->dim = (int64_t)K * (p + pb->fi);
    pb->n_chunks = (n + LR_CHUNK - 1) / LR_CHUNK;
    pb->raw = cml_alloc_array(n * K, sizeof(double));
    pb->G = cml_alloc_array(n * K, sizeof(double));
    pb->H = cml_alloc_array(n * K, sizeof(double));
    pb->T = cml_alloc_array(n * K, sizeof(double));
    pb->partial = cml_alloc_array(pb->n_chunks * (1 + K), sizeof(double));
    /* The fused pass pays off only when X does not fit in the cache; on small
     * X the two whole-matrix BLAS calls are cheaper than many block calls. */
    if (n * p * (int64_t)sizeof(double) > LR_FUSE_MIN_BYTES || (K >= 2 && K <= LR_SKINNY_MAX_K)) {
        pb->gpart = cml_alloc_array(pb->n_chunks * pb->dim, sizeof(double));
        if (!pb->gpart) {
            lr_problem_free(pb);
            return CML_ERR_NOMEM;
        }
    }
    if (K >= 2 && K <= LR_SKINNY_MAX_K) {
        pb->kp = (K + 7) / 8 * 8;
        pb->wt = cml_alloc_array(p * pb->kp, sizeof(double));
        pb->gt = cml_alloc_array((int64_t)cml_get_num_threads() * p * pb->kp, sizeof(double));
        pb->zero_row = cml_calloc((size_t)p, sizeof(double));
        if (!pb->wt || !pb->gt || !pb->zero_row) {
            lr_problem_free(pb);
            return CML_ERR_NOMEM;
        }
    }
    if (!pb->raw || !pb->G || !pb->H || !pb->T || !pb->partial) {
        lr_problem_free(pb);
        return CML_ERR_NOMEM;
    }
    return CML_OK;
}

void lr_problem_use_csr(lr_problem *pb, const cml_csr *S)
{
    pb->S = S;
    pb->X = NULL;
    /* the fused pass streams dense rows through BLAS; sparse rows take the
     * two plain products (O(nnz) each) */
    free(pb->gpart);
    free(pb->wt);
    free(pb->gt);
    free(pb->zero_row);
    pb->gpart = pb->wt = pb->gt = pb->zero_row = NULL;
}

void lr_problem_free(lr_problem *pb)
{
    free(pb->raw);
    free(pb->G);
    free(pb->H);
    free(pb->T);
    free(pb->partial);
    free(pb->gpart);
    free(pb->wt);
    free(pb->gt);
    free(pb->zero_row);
    pb->raw = pb->G = pb->H = pb->T = pb->partial = pb->gpart = NULL;
    pb->wt = pb->gt = pb->zero_row = NULL;
}

/* out (rows n, cols K) = X V' with V row-major (K, p) at leading dim ldv. */
static void x_times_vt(const lr_problem *pb, const double *V, double *out)
{
    const int n = (int)pb->n, p = (int)pb->p, K = pb->K, ldv = (int)(pb->p + pb->fi);
    if (pb->S) {
        /* sparse rows: each output row is its own sum over stored entries */
        const cml_csr *S = pb->S;
        const int64_t nn = pb->n;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (S->nnz * K > LR_PAR_CHEAP)
        for (int64_t i = 0; i < nn; i++)
            for (int k = 0; k < K; k++) {
                const double *v = V + (int64_t)k * ldv;
                double acc = 0.0;
                for (int64_t q = S->indptr[i]; q < S->indptr[i + 1]; q++)
                    acc += S->data[q] * v[S->indices[q]];
                out[i * K + k] = acc;
            }
    } else if (K == 1)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, n, p, 1.0, pb->X, (int)pb->ldx, V, 1, 0.0, out, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, K, p, 1.0, pb->X, (int)pb->ldx, V,
                    ldv, 0.0, out, K);
    if (pb->fi) {
        const double *b = V + p; /* intercept k at V[k * ldv + p] */
        const int64_t nn = pb->n;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn * K > LR_PAR_CHEAP)
        for (int64_t i = 0; i < nn; i++)
            for (int k = 0; k < K; k++)
                out[i * K + k] += b[(int64_t)k * ldv];
    }
}

/* out (K, p) at leading dim p+fi = A' X + l2 * V for A (n, K); the intercept
 * column gets the column sums of A (no penalty). */
static void at_times_x(lr_problem *pb, const double *A, const double *V, double *out)
{
    const int n = (int)pb->n, p = (int)pb->p, K = pb->K, ldv = (int)(pb->p + pb->fi);
    if (pb->S) {
        /* sparse: scatter row by row, serially, so the sums' order is fixed */
        const cml_csr *S = pb->S;
        for (int k = 0; k < K; k++)
            memset(out + (int64_t)k * ldv, 0, (size_t)p * sizeof(double));
        for (int64_t i = 0; i < pb->n; i++)
            for (int k = 0; k < K; k++) {
                double a = A[i * K + k];
                double *o = out + (int64_t)k * ldv;
                for (int64_t q = S->indptr[i]; q < S->indptr[i + 1]; q++)
                    o[S->indices[q]] += a * S->data[q];
            }
    } else if (K == 1)
        cblas_dgemv(CblasRowMajor, CblasTrans, n, p, 1.0, pb->X, (int)pb->ldx, A, 1, 0.0, out, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, p, n, 1.0, A, K, pb->X,
                    (int)pb->ldx, 0.0, out, ldv);
    for (int k = 0; k < K; k++)
        for (int j = 0; j < p; j++)
            out[(int64_t)k * ldv + j] += pb->l2 * V[(int64_t)k * ldv + j];
    if (pb->fi) lr_colsum(pb, A, out + p, ldv);
}

void lr_colsum(lr_problem *pb, const double *A, double *out, int64_t stride)
{
    const int K = pb->K;
    const int64_t nc = pb->n_chunks, nn = pb->n;
    double *cs = pb->partial;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn * K > LR_PAR_CHEAP)
    for (int64_t c = 0; c < nc; c++) {
        double *slot = cs + c * (1 + K);
        for (int k = 0; k < K; k++)
            slot[k] = 0.0;
        int64_t end = CML_MIN(nn, (c + 1) * LR_CHUNK);
        for (int64_t i = c * LR_CHUNK; i < end; i++)
            for (int k = 0; k < K; k++)
                slot[k] += A[i * K + k];
    }
    for (int k = 0; k < K; k++) {
        double t = 0.0;
        for (int64_t c = 0; c < nc; c++)
            t += cs[c * (1 + K) + k];
        out[k * stride] = t;
    }
}

void lr_decision(const lr_problem *pb, const double *w)
{
    x_times_vt(pb, w, pb->raw);
}

/* Binary loss and gradient at z for target y in {0,1}; *h gets p (1 - p).
 * Both branches keep exp() of a non-positive argument. */
static inline double binary_point(double z, double y, double *grad, double *h)
{
    double e, loss;
    if (z > 0) {
        e = exp(-z);
        loss = log1p(e) + (1.0 - y) * z;
        *grad = ((1.0 - y) - y * e) / (1.0 + e);
    } else {
        e = exp(z);
        loss = log1p(e) - y * z;
        *grad = ((1.0 - y) * e - y) / (1.0 + e);
    }
    *h = e / ((1.0 + e) * (1.0 + e));
    return loss;
}

/* Softmax loss at row z (K) with target class c; prob gets the softmax. */
static inline double softmax_point(const double *z, int K, int c, double *prob)
{
    double m = z[0];
    for (int k = 1; k < K; k++)
        m = z[k] > m ? z[k] : m;
    /* exps first (a SIMD loop), then the sum in order (sklearn's rounding) */
    for (int k = 0; k < K; k++)
        prob[k] = cml_exp(z[k] - m);
    double s = 0.0;
    for (int k = 0; k < K; k++)
        s += prob[k];
    double inv = 1.0 / s;
    for (int k = 0; k < K; k++)
        prob[k] *= inv;
    return m + log(s) - z[c];
}

/* Loss of rows [i0, i1) (weighted sum, in row order); fills G (and H) for
 * those rows. */
static double pointwise_rows(lr_problem *pb, int64_t i0, int64_t i1, int want_hess)
{
    const int K = pb->K;
    double acc = 0.0;
    for (int64_t i = i0; i < i1; i++) {
        const double s = pb->sw[i];
        if (K == 1) {
            double g, h;
            acc += s * binary_point(pb->raw[i], pb->y[i], &g, &h);
            pb->G[i] = s * g;
            if (want_hess) pb->H[i] = s * h;
        } else {
            double *prob = pb->H + i * K;
            int cls = (int)pb->y[i];
            acc += s * softmax_point(pb->raw + i * K, K, cls, prob);
            for (int k = 0; k < K; k++)
                pb->G[i * K + k] = s * prob[k];
            pb->G[i * K + cls] -= s;
        }
    }
    return acc;
}

double lr_pointwise(lr_problem *pb, int want_hess)
{
    const int K = pb->K;
    const int64_t nc = pb->n_chunks, nn = pb->n;
    double *part = pb->partial;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn * K > LR_PAR_EXP)
    for (int64_t c = 0; c < nc; c++)
        part[c * (1 + K)] =
            pointwise_rows(pb, c * LR_CHUNK, CML_MIN(nn, (c + 1) * LR_CHUNK), want_hess);
    double f = 0.0;
    for (int64_t c = 0; c < nc; c++)
        f += part[c * (1 + K)];
    return f;
}

double lr_loss_at(lr_problem *pb, const double *delta, double t)
{
    const int K = pb->K;
    const int64_t nc = pb->n_chunks, nn = pb->n;
    double *part = pb->partial;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn * K > LR_PAR_EXP)
    for (int64_t c = 0; c < nc; c++) {
        double acc = 0.0;
        int64_t end = CML_MIN(nn, (c + 1) * LR_CHUNK);
        for (int64_t i = c * LR_CHUNK; i < end; i++) {
            if (K == 1) {
                double g, h;
                acc += pb->sw[i] * binary_point(pb->raw[i] + t * delta[i], pb->y[i], &g, &h);
                continue;
            }
            /* log-sum-exp of the shifted row, max subtracted */
            const double *z = pb->raw + i * K, *dz = delta + i * K;
            double m = z[0] + t * dz[0], sum = 0.0;
            for (int k = 1; k < K; k++)
                m = fmax(m, z[k] + t * dz[k]);
            double e[LR_MAX_K];
            for (int k0 = 0; k0 < K; k0 += LR_MAX_K) {
                const int kn = CML_MIN(K - k0, LR_MAX_K);
                for (int k = 0; k < kn; k++)
                    e[k] = cml_exp(z[k0 + k] + t * dz[k0 + k] - m);
                for (int k = 0; k < kn; k++)
                    sum += e[k];
            }
            int cls = (int)pb->y[i];
            acc += pb->sw[i] * (m + log(sum) - (z[cls] + t * dz[cls]));
        }
        part[c * (1 + K)] = acc;
    }
    double f = 0.0;
    for (int64_t c = 0; c < nc; c++)
        f += part[c * (1 + K)];
    return f;
}

/* The fused passes' end: loss and gradient from the per-chunk slots, added
 * in chunk order, plus the l2 term of the gradient. */
static void reduce_chunks(const lr_problem *pb, const double *w, double *loss, double *grad)
{
    const int K = pb->K;
    const int64_t p = pb->p, ldv = p + pb->fi, nc = pb->n_chunks, gdim = (int64_t)K * ldv;
    double f = 0.0;
    for (int64_t c = 0; c < nc; c++)
        f += pb->partial[c * (1 + K)];
    memcpy(grad, pb->gpart, sizeof(double) * (size_t)gdim);
    for (int64_t c = 1; c < nc; c++) {
        const double *gc = pb->gpart + c * gdim;
        for (int64_t j = 0; j < gdim; j++)
            grad[j] += gc[j];
    }
    for (int k = 0; k < K; k++)
        for (int64_t j = 0; j < p; j++)
            grad[(int64_t)k * ldv + j] += pb->l2 * w[(int64_t)k * ldv + j];
    *loss = f;
}

/* Rows per tile of the few-class kernel: its (LR_TILE, kp) accumulators
 * fill 16 of AVX-512's 32 vector registers at kp = 16. */
#define LR_TILE 8

#if defined(__GNUC__)
#define LR_INLINE static inline __attribute__((always_inline))
/* Eight doubles as one value (GCC/Clang vector extension): an AVX-512
 * register, or two or four narrower ones. aligned(8): rows of w and X are
 * only double-aligned. Written with these the kernel is the register-blocked
 * loop intended; auto-vectorized scalar code came out 3x slower (shuffles
 * and spills). */
typedef double lr_v8 __attribute__((vector_size(64), aligned(8)));
#define LR_V8_LOAD(v, ptr)  memcpy(&(v), (ptr), sizeof(lr_v8))
#define LR_V8_STORE(ptr, v) memcpy((ptr), &(v), sizeof(lr_v8))

/* c + x * b with one rounding per lane. The build compiles with
 * -ffp-contract=off so that results do not depend on what -march enables;
 * an explicit fused multiply-add keeps that promise (fma is exactly rounded
 * everywhere) and halves the kernel's arithmetic instructions where the CPU
 * has FMA. Without it each lane calls fma(): the same bits, slowly. */
#if defined(__AVX512F__)
LR_INLINE lr_v8 lr_fma(double x, lr_v8 b, lr_v8 c)
{
    return (lr_v8)_mm512_fmadd_pd(_mm512_set1_pd(x), (__m512d)b, (__m512d)c);
}
#elif defined(__FMA__)
typedef double lr_v4 __attribute__((vector_size(32)));
LR_INLINE lr_v8 lr_fma(double x, lr_v8 b, lr_v8 c)
{
    lr_v4 b2[2], c2[2];
    memcpy(b2, &b, sizeof b);
    memcpy(c2, &c, sizeof c);
    for (int h = 0; h < 2; h++)
        c2[h] = (lr_v4)_mm256_fmadd_pd(_mm256_set1_pd(x), (__m256d)b2[h], (__m256d)c2[h]);
    memcpy(&c, c2, sizeof c);
    return c;
}
#else
LR_INLINE lr_v8 lr_fma(double x, lr_v8 b, lr_v8 c)
{
    for (int l = 0; l < 8; l++)
        c[l] = fma(x, b[l], c[l]);
    return c;
}
#endif

/* z (LR_TILE, kp) = the tile's rows xr times wt (p, kp), kp = 8 kv. With kv
 * a constant at each call the accumulators stay in registers across j; BLAS's
 * dgemm would first pack the rows and w for an output only kp wide. */
LR_INLINE void skinny_fwd(const double *const *xr, int64_t p, const double *wt, int kv, double *z)
{
    lr_v8 acc[LR_TILE][2], wv[2];
    for (int r = 0; r < LR_TILE; r++)
        for (int v = 0; v < kv; v++)
            acc[r][v] = (lr_v8){0};
    for (int64_t j = 0; j < p; j++) {
        for (int v = 0; v < kv; v++)
            LR_V8_LOAD(wv[v], wt + (j * kv + v) * 8);
        for (int r = 0; r < LR_TILE; r++) {
            const double x = xr[r][j];
            for (int v = 0; v < kv; v++)
                acc[r][v] = lr_fma(x, wv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < LR_TILE; r++)
        for (int v = 0; v < kv; v++)
            LR_V8_STORE(z + (r * kv + v) * 8, acc[r][v]);
}

/* gt (p, kp) += the tile's rows^T d (LR_TILE, kp): row j of gt is loaded
 * and stored once per tile while d stays in registers. */
LR_INLINE void skinny_bwd(const double *const *xr, int64_t p, const double *d, int kv, double *gt)
{
    lr_v8 dv[LR_TILE][2];
    for (int r = 0; r < LR_TILE; r++)
        for (int v = 0; v < kv; v++)
            LR_V8_LOAD(dv[r][v], d + (r * kv + v) * 8);
    for (int64_t j = 0; j < p; j++) {
        lr_v8 g[2];
        for (int v = 0; v < kv; v++)
            LR_V8_LOAD(g[v], gt + (j * kv + v) * 8);
        for (int r = 0; r < LR_TILE; r++) {
            const double x = xr[r][j];
            for (int v = 0; v < kv; v++)
                g[v] = lr_fma(x, dv[r][v], g[v]);
        }
        for (int v = 0; v < kv; v++)
            LR_V8_STORE(gt + (j * kv + v) * 8, g[v]);
    }
}
#else
#define LR_INLINE static inline
/* Portable form of the same loops (kp = 8 kv). */
LR_INLINE void skinny_fwd(const double *const *xr, int64_t p, const double *wt, int kv, double *z)
{
    const int kp = 8 * kv;
    memset(z, 0, sizeof(double) * (size_t)(LR_TILE * kp));
    for (int64_t j = 0; j < p; j++)
        for (int r = 0; r < LR_TILE; r++)
            for (int k = 0; k < kp; k++)
                z[r * kp + k] += xr[r][j] * wt[j * kp + k];
}
LR_INLINE void skinny_bwd(const double *const *xr, int64_t p, const double *d, int kv, double *gt)
{
    const int kp = 8 * kv;
    for (int64_t j = 0; j < p; j++)
        for (int r = 0; r < LR_TILE; r++)
            for (int k = 0; k < kp; k++)
                gt[j * kp + k] += xr[r][j] * d[r * kp + k];
}
#endif

/* The two widths the kernel is compiled for (K up to 8, up to 16). */
static void skinny_fwd8(const double *const *xr, int64_t p, const double *wt, double *z)
{
    skinny_fwd(xr, p, wt, 1, z);
}
static void skinny_fwd16(const double *const *xr, int64_t p, const double *wt, double *z)
{
    skinny_fwd(xr, p, wt, 2, z);
}
static void skinny_bwd8(const double *const *xr, int64_t p, const double *d, double *gt)
{
    skinny_bwd(xr, p, d, 1, gt);
}
static void skinny_bwd16(const double *const *xr, int64_t p, const double *d, double *gt)
{
    skinny_bwd(xr, p, d, 2, gt);
}

/*
 * The softmax loss of one tile (rows i0 .. i0+m, m <= LR_TILE) from its
 * products z (LR_TILE, kp) and the intercepts b: the same operations, in the
 * same order per row, as softmax_point + pointwise_rows (so the same bits),
 * but run across the tile's rows, LR_TILE lanes at a time: per row, a
 * softmax over ~10 classes is too short for SIMD and its max and sum are
 * serial chains. Fills raw, H (the probabilities, if want_hess) and d
 * (r * kp + k) = G for the tile (G itself is not stored: nothing reads it
 * after this pass); returns the tile's weighted loss.
 */
static double softmax_tile(lr_problem *pb, int64_t i0, int m, const double *z, const double *b,
                           int want_hess, double *d)
{
    const int K = pb->K, kp = pb->kp;
    double e[LR_SKINNY_MAX_K][LR_TILE], mx[LR_TILE], sum[LR_TILE], inv[LR_TILE], zc[LR_TILE];
    double sw[LR_TILE];
    int cls[LR_TILE];
    for (int r = 0; r < LR_TILE; r++) {
        sw[r] = r < m ? pb->sw[i0 + r] : 0.0;
        cls[r] = r < m ? (int)pb->y[i0 + r] : 0;
    }
    for (int k = 0; k < K; k++)
        for (int r = 0; r < LR_TILE; r++)
            e[k][r] = z[r * kp + k] + b[k];
    for (int r = 0; r < LR_TILE; r++) {
        zc[r] = e[cls[r]][r];
        mx[r] = e[0][r];
    }
    for (int k = 1; k < K; k++)
        for (int r = 0; r < LR_TILE; r++)
            mx[r] = e[k][r] > mx[r] ? e[k][r] : mx[r];
    for (int r = 0; r < m; r++)
        for (int k = 0; k < K; k++)
            pb->raw[(i0 + r) * K + k] = e[k][r];
    for (int k = 0; k < K; k++)
        for (int r = 0; r < LR_TILE; r++)
            e[k][r] = cml_exp(e[k][r] - mx[r]);
    for (int r = 0; r < LR_TILE; r++)
        sum[r] = 0.0;
    for (int k = 0; k < K; k++)
        for (int r = 0; r < LR_TILE; r++)
            sum[r] += e[k][r];
    for (int r = 0; r < LR_TILE; r++)
        inv[r] = 1.0 / sum[r]; /* 1 <= sum <= K */
    double acc = 0.0;
    for (int r = 0; r < m; r++)
        acc += sw[r] * (mx[r] + log(sum[r]) - zc[r]);
    for (int k = 0; k < K; k++)
        for (int r = 0; r < LR_TILE; r++)
            e[k][r] *= inv[r];
    if (want_hess)
        for (int r = 0; r < m; r++)
            for (int k = 0; k < K; k++)
                pb->H[(i0 + r) * K + k] = e[k][r];
    /* G = s (p - onehot), as pointwise_rows forms it */
    for (int k = 0; k < K; k++)
        for (int r = 0; r < LR_TILE; r++) {
            const double g = sw[r] * e[k][r];
            e[k][r] = k == cls[r] ? g - sw[r] : g;
        }
    for (int r = 0; r < m; r++)
        for (int k = 0; k < K; k++)
            d[r * kp + k] = e[k][r];
    return acc;
}

/*
 * The fused evaluation for a few classes (dense X, 2 <= K <= 16): per tile
 * of LR_TILE rows, z = rows w' by skinny_fwd, the pointwise softmax loss,
 * and the tile's gradient share by skinny_bwd while its rows are in L1.
 * With K ~ 10 the two dgemm calls of loss_grad_fused spend as much time
 * packing X as multiplying (the output is only K wide); this reads X once
 * from memory and never copies it. Chunks and their order as there.
 */
static void loss_grad_skinny(lr_problem *pb, const double *w, double *loss, double *grad,
                             int want_hess)
{
    const int K = pb->K, kp = pb->kp;
    const int64_t p = pb->p, ldv = p + pb->fi, nn = pb->n, nc = pb->n_chunks;
    const int64_t gdim = (int64_t)K * ldv;
    double b[LR_SKINNY_MAX_K];
    for (int64_t j = 0; j < p; j++)
        for (int k = 0; k < kp; k++)
            pb->wt[j * kp + k] = k < K ? w[(int64_t)k * ldv + j] : 0.0;
    for (int k = 0; k < K; k++)
        b[k] = pb->fi ? w[(int64_t)k * ldv + p] : 0.0;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn * p > LR_PAR_CHEAP)
    for (int64_t c = 0; c < nc; c++) {
        double *gt = pb->gt + (int64_t)omp_get_thread_num() * p * kp;
        double *gc = pb->gpart + c * gdim, acc = 0.0;
        double icpt[LR_SKINNY_MAX_K] = {0};
        const int64_t end = CML_MIN(nn, (c + 1) * LR_CHUNK);
        memset(gt, 0, sizeof(double) * (size_t)(p * kp));
        for (int64_t i0 = c * LR_CHUNK; i0 < end; i0 += LR_TILE) {
            const int m = (int)CML_MIN(LR_TILE, end - i0);
            const double *xr[LR_TILE];
            double z[LR_TILE * LR_SKINNY_MAX_K], d[LR_TILE * LR_SKINNY_MAX_K] = {0};
            for (int r = 0; r < LR_TILE; r++) /* a short last tile reads zero rows */
                xr[r] = r < m ? pb->X + (i0 + r) * pb->ldx : pb->zero_row;
            if (kp == 8)
                skinny_fwd8(xr, p, pb->wt, z);
            else
                skinny_fwd16(xr, p, pb->wt, z);
            acc += softmax_tile(pb, i0, m, z, b, want_hess, d);
            for (int r = 0; r < m; r++)
                for (int k = 0; k < K; k++)
                    icpt[k] += d[r * kp + k];
            if (kp == 8)
                skinny_bwd8(xr, p, d, gt);
            else
                skinny_bwd16(xr, p, d, gt);
        }
        for (int k = 0; k < K; k++) {
            for (int64_t j = 0; j < p; j++)
                gc[(int64_t)k * ldv + j] = gt[j * kp + k];
            if (pb->fi) gc[(int64_t)k * ldv + p] = icpt[k];
        }
        pb->partial[c * (1 + K)] = acc;
    }
    reduce_chunks(pb, w, loss, grad);
}

/* Sub-blocks of a chunk in the fused evaluation: about this many bytes of X
 * rows, so a block the first GEMM has just read (and BLIS has packed) is
 * still in L2 when the second GEMM reads it. */
#define LR_FUSE_BLOCK_BYTES (384 << 10)

/*
 * f and grad in one pass over X, chunk by chunk: z = X_b w' for a block of
 * rows, the pointwise loss on it, then the block's share of G' X_b while X_b
 * is still in cache. The plain order (X w' over all rows, then G' X) streams
 * X from memory twice, plus BLIS's packed copies of it: on data larger than
 * the cache (Fashion-MNIST: 63 MB) that traffic, not arithmetic, set the
 * time. Each chunk keeps its own partial gradient and the chunks are added in
 * order, so the result does not depend on the thread count.
 */
static void loss_grad_fused(lr_problem *pb, const double *w, double *loss, double *grad,
                            int want_hess)
{
    const int K = pb->K, p = (int)pb->p, ldv = (int)(pb->p + pb->fi);
    const int64_t nn = pb->n, nc = pb->n_chunks, gdim = (int64_t)K * ldv;
    const int64_t rb = CML_MAX(8, CML_MIN(LR_CHUNK, LR_FUSE_BLOCK_BYTES / (8 * (int64_t)p)));
    double *part = pb->partial;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn * p > LR_PAR_CHEAP)
    for (int64_t c = 0; c < nc; c++) {
        double *gc = pb->gpart + c * gdim, acc = 0.0;
        const int64_t end = CML_MIN(nn, (c + 1) * LR_CHUNK);
        memset(gc, 0, sizeof(double) * (size_t)gdim);
        for (int64_t b0 = c * LR_CHUNK; b0 < end; b0 += rb) {
            const int m = (int)CML_MIN(rb, end - b0);
            const double *Xb = pb->X + b0 * pb->ldx;
            double *zb = pb->raw + b0 * K, *Gb = pb->G + b0 * K;
            if (K == 1)
                cblas_dgemv(CblasRowMajor, CblasNoTrans, m, p, 1.0, Xb, (int)pb->ldx, w, 1, 0.0, zb,
                            1);
            else
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, K, p, 1.0, Xb, (int)pb->ldx,
                            w, ldv, 0.0, zb, K);
            if (pb->fi)
                for (int64_t i = 0; i < m; i++)
                    for (int k = 0; k < K; k++)
                        zb[i * K + k] += w[(int64_t)k * ldv + p];
            acc += pointwise_rows(pb, b0, b0 + m, want_hess);
            if (K == 1)
                cblas_dgemv(CblasRowMajor, CblasTrans, m, p, 1.0, Xb, (int)pb->ldx, Gb, 1, 1.0, gc,
                            1);
            else
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, p, m, 1.0, Gb, K, Xb,
                            (int)pb->ldx, 1.0, gc, ldv);
            if (pb->fi)
                for (int64_t i = 0; i < m; i++)
                    for (int k = 0; k < K; k++)
                        gc[(int64_t)k * ldv + p] += Gb[i * K + k];
        }
        part[c * (1 + K)] = acc;
    }
    reduce_chunks(pb, w, loss, grad);
}

void lr_loss_grad(lr_problem *pb, const double *w, double *f, double *grad, int want_hess)
{
    double loss;
    if (pb->wt) {
        loss_grad_skinny(pb, w, &loss, grad, want_hess);
    } else if (pb->gpart) {
        loss_grad_fused(pb, w, &loss, grad, want_hess || pb->K > 1);
    } else {
        lr_decision(pb, w);
        loss = lr_pointwise(pb, want_hess || pb->K > 1);
        at_times_x(pb, pb->G, w, grad);
    }
    double norm2 = 0.0;
    const int64_t ldv = pb->p + pb->fi;
    for (int k = 0; k < pb->K; k++)
        for (int64_t j = 0; j < pb->p; j++)
            norm2 += w[k * ldv + j] * w[k * ldv + j];
    *f = loss + 0.5 * pb->l2 * norm2;
}

void lr_hessp(lr_problem *pb, const double *v, double *out)
{
    const int K = pb->K;
    const int64_t nn = pb->n;
    double *T = pb->T;
    x_times_vt(pb, v, T);
    if (K == 1) {
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn > LR_PAR_CHEAP)
        for (int64_t i = 0; i < nn; i++)
            T[i] *= pb->H[i];
    } else {
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn * K > LR_PAR_CHEAP)
        for (int64_t i = 0; i < nn; i++) {
            const double *prob = pb->H + i * K;
            double *t = T + i * K, mix = 0.0;
            for (int k = 0; k < K; k++)
                mix += prob[k] * t[k];
            for (int k = 0; k < K; k++)
                t[k] = pb->sw[i] * prob[k] * (t[k] - mix);
        }
    }
    at_times_x(pb, T, v, out);
}
