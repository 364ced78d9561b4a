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
 * Cost: two BLAS passes over X (dgemv/dgemm) plus O(nK) per evaluation.
 * Threads: the pointwise pass runs in OpenMP over fixed chunks of LR_CHUNK
 * rows whose partial sums are added in chunk order, so f and the gradient
 * are bitwise the same for every thread count.
 */
#include <cblas.h>
#include <string.h>

#include "core/internal.h"
#include "linear/logreg_impl.h"

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
    if (!pb->raw || !pb->G || !pb->H || !pb->T || !pb->partial) {
        lr_problem_free(pb);
        return CML_ERR_NOMEM;
    }
    return CML_OK;
}

void lr_problem_free(lr_problem *pb)
{
    free(pb->raw);
    free(pb->G);
    free(pb->H);
    free(pb->T);
    free(pb->partial);
    pb->raw = pb->G = pb->H = pb->T = pb->partial = NULL;
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
    double s = 0.0;
    for (int k = 0; k < K; k++) {
        prob[k] = exp(z[k] - m);
        s += prob[k];
    }
    double inv = 1.0 / s;
    for (int k = 0; k < K; k++)
        prob[k] *= inv;
    return m + log(s) - z[c];
}

double lr_pointwise(lr_problem *pb, int want_hess)
{
    const int K = pb->K;
    const int64_t nc = pb->n_chunks, nn = pb->n;
    double *part = pb->partial;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (nn * K > LR_PAR_EXP)
    for (int64_t c = 0; c < nc; c++) {
        double acc = 0.0;
        int64_t end = CML_MIN(nn, (c + 1) * LR_CHUNK);
        for (int64_t i = c * LR_CHUNK; i < end; i++) {
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
        part[c * (1 + K)] = acc;
    }
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
            for (int k = 0; k < K; k++)
                sum += exp(z[k] + t * dz[k] - m);
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

void lr_loss_grad(lr_problem *pb, const double *w, double *f, double *grad, int want_hess)
{
    lr_decision(pb, w);
    double loss = lr_pointwise(pb, want_hess || pb->K > 1);
    double norm2 = 0.0;
    const int64_t ldv = pb->p + pb->fi;
    for (int k = 0; k < pb->K; k++)
        for (int64_t j = 0; j < pb->p; j++)
            norm2 += w[k * ldv + j] * w[k * ldv + j];
    *f = loss + 0.5 * pb->l2 * norm2;
    at_times_x(pb, pb->G, w, grad);
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
