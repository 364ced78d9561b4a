/*
 * cd.c — cyclic (or randomized) coordinate descent for the elastic net.
 *
 * Problem (n-scaled, as in sklearn's cd_fast):
 *     min_w  1/2 ||y - X w||^2 + l1 ||w||_1 + l2/2 ||w||^2
 * Coordinate update (Friedman, Hastie & Tibshirani, "Regularization paths for
 * generalized linear models via coordinate descent", JSS 2010, eq. 5):
 *     w_j <- S(X_j·r_j, l1) / (||X_j||^2 + l2),   r_j = residual without j,
 * with S the soft threshold (and w_j = 0 when positive and X_j·r_j < 0).
 * The residual R = y - Xw is kept up to date with two axpy per coordinate,
 * fused with the coordinate's dot into one pass over R (fused_step).
 * The per-coordinate dot and axpy are plain loops rather than BLAS calls:
 * with columns of a few thousand entries the call overhead of a BLAS
 * level-1 routine (BLIS's, measured 3-4x on digits) outweighs the work,
 * and these loops vectorize; the dot keeps 16 fixed partial sums, so its
 * rounding is a function of n only.
 *
 * Stopping rule, exactly sklearn 1.2's enet_coordinate_descent so n_iter_
 * and dual_gap_ compare: after each sweep, if max|w| == 0, or
 * max|dw| / max|w| < tol, or this is the last sweep, compute the duality gap
 * (Mairal's dual point: A = R scaled so ||X^T A - l2 w||_inf <= l1)
 *     gap = 1/2 (||R||^2 + ||A||^2) + l1 ||w||_1 - const R·y
 *           + l2/2 (1 + const^2) ||w||^2
 * and stop if gap < tol * ||y||^2.
 *
 * Gram path (cml_cd_enet_gram, sklearn's enet_coordinate_descent_gram,
 * used by its precompute=True; Q and q come from cml_lin_gram_design, one
 * pass over X without the centered copy): the same updates with
 * X_j·r_j = q_j - (Qw)_j
 * + Q_jj w_j, Q = X^T X, q = X^T y, keeping H = Q w up to date instead of R;
 * the gap uses ||R||^2 = ||y||^2 + w·Qw - 2 q·w and R·y = ||y||^2 - q·w.
 * Equal to the X path up to rounding (Q's rounding differs from the
 * column dots, so a gap test near its threshold can move n_iter by one).
 *
 * Complexity: O(n p) per sweep, plus O(n p) per gap check (one dgemv).
 * Gram path: O(n p^2) once for Q, then O(p^2) per sweep and gap.
 * Thread-safety: reentrant; BLAS level-1/2/3 calls carry the arithmetic.
 */
#include "linear/cd.h"

#include <math.h>
#include <string.h>

#include <cblas.h>

#include "core/internal.h"

/* 16 partial sums in fixed lanes: the compiler maps them onto vector
 * registers (no reassociation needed), and the result depends on n only. */
#define DOT_LANES 16

static double dot(int64_t n, const double *restrict a, const double *restrict b)
{
    double acc[DOT_LANES] = {0};
    int64_t i = 0;
    for (; i + DOT_LANES <= n; i += DOT_LANES)
        for (int k = 0; k < DOT_LANES; k++)
            acc[k] += a[i + k] * b[i + k];
    for (int k = 0; i < n; i++, k++)
        acc[k] += a[i] * b[i];
    for (int w = DOT_LANES / 2; w > 0; w /= 2) /* pairwise fold of the lanes */
        for (int k = 0; k < w; k++)
            acc[k] += acc[k + w];
    return acc[0];
}

/*
 * One coordinate's passes over R fused into one: first the update left
 * pending by the previous coordinate (R += ap Xp, when Xp is not NULL), then
 * the add-back of this one (R += bj Xj, when bj != 0), then t = Xj·R. Each
 * element sees the same operations in the same order as the separate axpy,
 * axpy, dot calls (same lanes as dot), so the result is the same to the
 * bit; R is read and written once instead of three times.
 */
static double fused_step(int64_t n, const double *restrict Xp, double ap, const double *restrict Xj,
                         double bj, double *restrict R)
{
    double acc[DOT_LANES] = {0};
    const int sub = Xp != NULL, add = bj != 0.0;
    int64_t i = 0;
    for (; i + DOT_LANES <= n; i += DOT_LANES)
        for (int k = 0; k < DOT_LANES; k++) {
            double r = R[i + k];
            if (sub) r += ap * Xp[i + k];
            if (add) r += bj * Xj[i + k];
            R[i + k] = r;
            acc[k] += Xj[i + k] * r;
        }
    for (int k = 0; i < n; i++, k++) {
        double r = R[i];
        if (sub) r += ap * Xp[i];
        if (add) r += bj * Xj[i];
        R[i] = r;
        acc[k] += Xj[i] * r;
    }
    for (int w = DOT_LANES / 2; w > 0; w /= 2)
        for (int k = 0; k < w; k++)
            acc[k] += acc[k + w];
    return acc[0];
}

/* y += a x */
static void axpy(int64_t n, double a, const double *restrict x, double *restrict y)
{
    for (int64_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

static double asum(int64_t n, const double *a)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += fabs(a[i]);
    return s;
}

static double fsign(double t)
{
    return t > 0 ? 1.0 : (t < 0 ? -1.0 : 0.0);
}

/* Duality gap at (w, R); XtA is scratch (p). */
static double duality_gap(const cml_cd_problem *pb, const double *w, const double *R, double *XtA)
{
    const int n = (int)pb->n, p = (int)pb->p;
    /* XtA = X^T R - l2 w */
    cblas_dcopy(p, w, 1, XtA, 1);
    cblas_dgemv(CblasColMajor, CblasTrans, n, p, 1.0, pb->X, n, R, 1, -pb->l2, XtA, 1);
    double dual_norm = pb->positive ? XtA[0] : fabs(XtA[0]);
    for (int j = 1; j < p; j++) {
        double v = pb->positive ? XtA[j] : fabs(XtA[j]);
        if (v > dual_norm) dual_norm = v;
    }
    double R_norm2 = dot(n, R, R);
    double w_norm2 = dot(p, w, w);
    double c, gap;
    if (dual_norm > pb->l1) {
        c = pb->l1 / dual_norm;
        gap = 0.5 * (R_norm2 + R_norm2 * (c * c));
    } else {
        c = 1.0;
        gap = R_norm2;
    }
    double l1_norm = asum(p, w);
    gap += pb->l1 * l1_norm - c * dot(n, R, pb->y) + 0.5 * pb->l2 * (1 + c * c) * w_norm2;
    return gap;
}

cml_status cml_cd_enet(const cml_cd_problem *pb, double *w, cml_cd_result *res)
{
    const int n = (int)pb->n, p = (int)pb->p;
    const double *X = pb->X;
    double *norm2 = cml_alloc_array(p, sizeof(double));
    double *R = cml_alloc_array(n, sizeof(double));
    double *XtA = cml_alloc_array(p, sizeof(double));
    if (!norm2 || !R || !XtA) {
        free(norm2);
        free(R);
        free(XtA);
        return CML_ERR_NOMEM;
    }
    cml_rng rng;
    cml_rng_seed(&rng, pb->seed);
    if (pb->l1 == 0 && pb->l2 == 0)
        cml_log(CML_LOG_WARN, "coordinate descent with no regularization may lead to unexpected "
                              "results and is discouraged. HINT: use linear_regression");

    for (int j = 0; j < p; j++)
        norm2[j] = dot(n, X + (int64_t)j * n, X + (int64_t)j * n);
    /* R = y - X w */
    cblas_dcopy(n, pb->y, 1, R, 1);
    cblas_dgemv(CblasColMajor, CblasNoTrans, n, p, -1.0, X, n, w, 1, 1.0, R, 1);
    const double tol = pb->tol * dot(n, pb->y, pb->y);

    double gap = pb->tol + 1.0;
    int it, converged = 0;
    for (it = 0; it < pb->max_iter; it++) {
        double w_max = 0.0, dw_max = 0.0;
        /* R -= w_j X_j of the last coordinate, applied with the next one's
         * pass (fused_step) or after the sweep */
        const double *pend = NULL;
        double pend_a = 0.0;
        for (int f = 0; f < p; f++) {
            const int j = pb->random ? (int)cml_rng_below(&rng, (uint64_t)p) : f;
            if (norm2[j] == 0.0) continue;
            const double *Xj = X + (int64_t)j * n;
            const double w_old = w[j];
            const double t = fused_step(n, pend, pend_a, Xj, w_old, R);
            if (pb->positive && t < 0)
                w[j] = 0.0;
            else
                w[j] = fsign(t) * fmax(fabs(t) - pb->l1, 0.0) / (norm2[j] + pb->l2);
            pend = w[j] != 0.0 ? Xj : NULL;
            pend_a = -w[j];
            dw_max = fmax(dw_max, fabs(w[j] - w_old));
            w_max = fmax(w_max, fabs(w[j]));
        }
        if (pend) axpy(n, pend_a, pend, R);
        if (w_max == 0.0 || dw_max / w_max < pb->tol || it == pb->max_iter - 1) {
            gap = duality_gap(pb, w, R, XtA);
            cml_report_metric("duality_gap", it + 1, gap);
            if (gap < tol) {
                converged = 1;
                break;
            }
        }
    }
    if (!converged)
        cml_log(CML_LOG_WARN,
                "coordinate descent did not converge in max_iter=%d sweeps: duality gap %.6g, "
                "tolerance %.6g. HINT: increase max_iter, scale the features or increase alpha",
                pb->max_iter, gap, tol);
    res->n_iter = converged ? it + 1 : pb->max_iter;
    res->gap = gap;
    res->tol_scaled = tol;
    res->converged = converged;
    res->objective = 0.5 * dot(n, R, R) + pb->l1 * asum(p, w) + 0.5 * pb->l2 * dot(p, w, w);
    free(norm2);
    free(R);
    free(XtA);
    return CML_OK;
}

/* ------------------------------------------------------------ Gram path */

int cml_cd_use_gram(int precompute, int64_t n, int64_t p)
{
    if (precompute == CML_CD_PRECOMPUTE_TRUE) return 1;
    if (precompute == CML_CD_PRECOMPUTE_FALSE) return 0;
    return n >= 1000 && n >= 2 * p;
}

/* Duality gap from Q, q and ||y||^2 alone, sklearn's gram formula:
 * ||R||^2 = ||y||^2 + w·H - 2 q·w with H = Q w, X^T R = q - H, R·y = ||y||^2 - q·w. */
static double duality_gap_gram(const cml_cd_problem *pb, const double *w, const double *q,
                               const double *H, double y_norm2, double *XtA, double *R_norm2_out)
{
    const int64_t p = pb->p;
    const double q_dot_w = dot(p, w, q);
    for (int64_t j = 0; j < p; j++)
        XtA[j] = q[j] - H[j] - pb->l2 * w[j];
    double dual_norm = pb->positive ? XtA[0] : fabs(XtA[0]);
    for (int64_t j = 1; j < p; j++) {
        double v = pb->positive ? XtA[j] : fabs(XtA[j]);
        if (v > dual_norm) dual_norm = v;
    }
    double wH = 0.0; /* sklearn sums w*H sequentially */
    for (int64_t j = 0; j < p; j++)
        wH += w[j] * H[j];
    const double R_norm2 = y_norm2 + wH - 2.0 * q_dot_w;
    const double w_norm2 = dot(p, w, w);
    double c, gap;
    if (dual_norm > pb->l1) {
        c = pb->l1 / dual_norm;
        gap = 0.5 * (R_norm2 + R_norm2 * (c * c));
    } else {
        c = 1.0;
        gap = R_norm2;
    }
    gap += pb->l1 * asum(p, w) - c * y_norm2 + c * q_dot_w + 0.5 * pb->l2 * (1 + c * c) * w_norm2;
    *R_norm2_out = R_norm2;
    return gap;
}

cml_status cml_cd_enet_gram(const cml_cd_problem *pb, const double *Q, const double *q, double *w,
                            cml_cd_result *res)
{
    const int n = (int)pb->n, p = (int)pb->p;
    double *H = cml_alloc_array(p, sizeof(double));
    double *XtA = cml_alloc_array(p, sizeof(double));
    if (!H || !XtA) {
        free(H);
        free(XtA);
        return CML_ERR_NOMEM;
    }
    cml_rng rng;
    cml_rng_seed(&rng, pb->seed);
    if (pb->l1 == 0 && pb->l2 == 0)
        cml_log(CML_LOG_WARN, "coordinate descent with no regularization may lead to unexpected "
                              "results and is discouraged. HINT: use linear_regression");

    /* H = Q w */
    cblas_dsymv(CblasColMajor, CblasUpper, p, 1.0, Q, p, w, 1, 0.0, H, 1);
    const double y_norm2 = dot(n, pb->y, pb->y);
    const double tol = pb->tol * y_norm2;

    double gap = pb->tol + 1.0, R_norm2 = y_norm2;
    /* the last sweep always computes the gap, so R_norm2 is set on exit */
    int it, converged = 0;
    for (it = 0; it < pb->max_iter; it++) {
        double w_max = 0.0, dw_max = 0.0;
        for (int f = 0; f < p; f++) {
            const int j = pb->random ? (int)cml_rng_below(&rng, (uint64_t)p) : f;
            const double *Qj = Q + (int64_t)j * p;
            if (Qj[j] == 0.0) continue;
            const double w_old = w[j];
            if (w_old != 0.0) axpy(p, -w_old, Qj, H);
            const double t = q[j] - H[j];
            if (pb->positive && t < 0)
                w[j] = 0.0;
            else
                w[j] = fsign(t) * fmax(fabs(t) - pb->l1, 0.0) / (Qj[j] + pb->l2);
            if (w[j] != 0.0) axpy(p, w[j], Qj, H);
            dw_max = fmax(dw_max, fabs(w[j] - w_old));
            w_max = fmax(w_max, fabs(w[j]));
        }
        if (w_max == 0.0 || dw_max / w_max < pb->tol || it == pb->max_iter - 1) {
            gap = duality_gap_gram(pb, w, q, H, y_norm2, XtA, &R_norm2);
            if (gap < tol) {
                converged = 1;
                break;
            }
        }
    }
    if (!converged)
        cml_log(CML_LOG_WARN,
                "coordinate descent did not converge in max_iter=%d sweeps: duality gap %.6g, "
                "tolerance %.6g. HINT: increase max_iter, scale the features or increase alpha",
                pb->max_iter, gap, tol);
    res->n_iter = converged ? it + 1 : pb->max_iter;
    res->gap = gap;
    res->tol_scaled = tol;
    res->converged = converged;
    /* ||R||^2 from the Gram identity can round slightly below 0 on exact fits */
    res->objective = 0.5 * fmax(R_norm2, 0.0) + pb->l1 * asum(p, w) + 0.5 * pb->l2 * dot(p, w, w);
    free(H);
    free(XtA);
    return CML_OK;
}
