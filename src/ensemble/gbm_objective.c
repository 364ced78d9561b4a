/*
 * gbm_objective.c — objectives (first and second derivatives of the loss in
 * the margin m), links, base margins and evaluation metrics, following
 * XGBoost 1.7 (src/objective/regression_loss.h, regression_obj.cu,
 * multiclass_obj.cu, adaptive.cc; src/metric/elementwise_metric.cu):
 *
 *   reg:squarederror       l = (m - y)^2 / 2            g = m - y, h = 1
 *   reg:absoluteerror      l = |m - y|                  g = sign(m - y), h = 1,
 *                          leaves refit to the median residual (adaptive trees)
 *   reg:pseudohubererror   l = d^2 (sqrt(1 + (z/d)^2) - 1), z = m - y
 *                          g = z / s, h = 1 / (s^2 s), s = sqrt(1 + (z/d)^2)
 *   reg:quantileerror      pinball loss at alpha, g = -alpha or 1 - alpha,
 *                          h = 1, leaves refit to the alpha-quantile residual
 *                          (XGBoost 2.0's semantics; 1.7 lacks it)
 *   count:poisson          l = e^m - y m                g = e^m - y,
 *                          h = e^(m + max_delta_step), max_delta_step = 0.7
 *   binary:logistic        p = 1/(1+e^-m)               g = p - y, h = max(p(1-p), 1e-16)
 *   multi:softprob         p = softmax(m)               g_k = p_k - [y = k],
 *                                                        h_k = max(2 p_k (1-p_k), 1e-16)
 * every g, h multiplied by the sample weight.
 *
 * Complexity: O(n * outputs) per call. Thread-safety: pure functions;
 * parallel loops are elementwise, metric sums add fixed row chunks in row
 * order, then the chunks in order, so results are independent of the
 * thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/vexp.h"
#include "core/vlog.h"
#include "ensemble/gbm_internal.h"

#define PAR_MIN ((int64_t)1 << 17)

static inline double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* Softmax of k margins into p, shifted by the max for stability. */
static inline void softmax(const double *m, int k, double *p)
{
    double mx = m[0], s = 0.0;
    for (int j = 1; j < k; j++)
        mx = m[j] > mx ? m[j] : mx;
    for (int j = 0; j < k; j++) {
        p[j] = exp(m[j] - mx);
        s += p[j];
    }
    for (int j = 0; j < k; j++)
        p[j] /= s;
}

/* Gradient pairs of row i (of n) from its margins mg and, for the
 * objectives whose gradient goes through the link (logistic, softprob,
 * Poisson), the transformed predictions p (NULL: no memory for them, the
 * step is zero). */
static inline void row_grad(const gbm_objective *o, const double *mg, const double *p, double yi,
                            double wi, int64_t n, int64_t i, double *gh)
{
    double g, h;
    switch (o->kind) {
    case CML_GBM_SOFTPROB:
        for (int k = 0; k < o->n_outputs; k++) {
            double pk = p ? p[k] : (yi == (double)k);
            double hk = 2.0 * pk * (1.0 - pk);
            gh[2 * (n * k + i)] = (pk - (yi == (double)k)) * wi;
            gh[2 * (n * k + i) + 1] = (hk > 1e-16 ? hk : 1e-16) * wi;
        }
        return;
    case CML_GBM_SQUAREDERROR:
        g = mg[0] - yi;
        h = 1.0;
        break;
    case CML_GBM_ABSOLUTEERROR:
        g = (double)((mg[0] - yi > 0) - (mg[0] - yi < 0));
        h = 1.0;
        break;
    case CML_GBM_PSEUDOHUBER: {
        double z = mg[0] - yi, d = o->huber_slope;
        double scale = 1.0 + (z * z) / (d * d), ss = sqrt(scale);
        g = z / ss;
        h = 1.0 / (scale * ss);
        break;
    }
    case CML_GBM_QUANTILE:
        g = yi - mg[0] >= 0 ? -o->quantile_alpha : 1.0 - o->quantile_alpha;
        h = 1.0;
        break;
    case CML_GBM_POISSON:
        g = (p ? p[0] : exp(mg[0])) - yi;
        h = exp(mg[0] + o->poisson_max_delta_step);
        break;
    default: { /* CML_GBM_LOGISTIC */
        double pr = p ? p[0] : sigmoid(mg[0]);
        g = pr - yi;
        h = pr * (1.0 - pr);
        h = h > 1e-16 ? h : 1e-16;
    }
    }
    gh[2 * i] = g * wi;
    gh[2 * i + 1] = h * wi;
}

int gbm_obj_adaptive(const gbm_objective *o)
{
    return o->kind == CML_GBM_ABSOLUTEERROR || o->kind == CML_GBM_QUANTILE;
}

double gbm_obj_leaf_alpha(const gbm_objective *o)
{
    return o->kind == CML_GBM_QUANTILE ? o->quantile_alpha : 0.5;
}

static int cmp_vw(const void *a, const void *b)
{
    double x = ((const gbm_vw *)a)->v, y = ((const gbm_vw *)b)->v;
    return (x > y) - (x < y);
}

double gbm_quantile(double alpha, gbm_vw *a, int64_t n, int weighted)
{
    qsort(a, (size_t)n, sizeof *a, cmp_vw);
    if (!weighted) { /* common::Quantile: the (n + 1) definition */
        double nd = (double)n;
        if (alpha <= 1.0 / (nd + 1.0)) return a[0].v;
        if (alpha >= nd / (nd + 1.0)) return a[n - 1].v;
        double x = alpha * (nd + 1.0), k = floor(x) - 1.0, d = (x - 1.0) - k;
        double v0 = a[(int64_t)k].v, v1 = a[(int64_t)k + 1].v;
        return v0 + d * (v1 - v0);
    }
    /* WeightedQuantile: first value whose cumulative weight reaches alpha W. */
    double total = 0.0;
    for (int64_t i = 0; i < n; i++)
        total += a[i].w;
    double thresh = total * alpha, cum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        cum += a[i].w;
        if (cum >= thresh) return a[i].v;
    }
    return a[n - 1].v;
}

double gbm_obj_base_margin(const gbm_objective *o, double base_score, const double *y,
                           const double *w, int64_t n)
{
    switch (o->kind) {
    case CML_GBM_ABSOLUTEERROR:
    case CML_GBM_QUANTILE: {
        gbm_vw *a = cml_alloc_array(n, sizeof *a);
        if (!a) return NAN;
        for (int64_t i = 0; i < n; i++) {
            a[i].v = y[i];
            a[i].w = w ? w[i] : 1.0;
        }
        double q = gbm_quantile(gbm_obj_leaf_alpha(o), a, n, w != NULL);
        free(a);
        return q;
    }
    case CML_GBM_POISSON: return log(base_score);
    case CML_GBM_LOGISTIC: return -log(1.0 / base_score - 1.0);
    default: return base_score;
    }
}

void gbm_obj_transform(const gbm_objective *o, const double *margin, double *out)
{
    switch (o->kind) {
    case CML_GBM_POISSON: out[0] = exp(margin[0]); break;
    case CML_GBM_LOGISTIC: out[0] = sigmoid(margin[0]); break;
    case CML_GBM_SOFTPROB: softmax(margin, o->n_outputs, out); break;
    default: out[0] = margin[0];
    }
}

cml_gbm_metric gbm_obj_default_metric(const gbm_objective *o)
{
    switch (o->kind) {
    case CML_GBM_ABSOLUTEERROR: return CML_GBM_METRIC_MAE;
    case CML_GBM_PSEUDOHUBER: return CML_GBM_METRIC_MPHE;
    case CML_GBM_QUANTILE: return CML_GBM_METRIC_QUANTILE;
    case CML_GBM_POISSON: return CML_GBM_METRIC_POISSON_NLOGLIK;
    case CML_GBM_LOGISTIC: return CML_GBM_METRIC_LOGLOSS;
    case CML_GBM_SOFTPROB: return CML_GBM_METRIC_MLOGLOSS;
    default: return CML_GBM_METRIC_RMSE;
    }
}

const char *gbm_metric_name(cml_gbm_metric m)
{
    static const char *names[] = {"auto",  "rmse",     "mae",    "logloss",
                                  "error", "mlogloss", "merror", "poisson-nloglik",
                                  "mphe",  "quantile"};
    return (int)m >= 0 && (int)m < (int)(sizeof names / sizeof names[0]) ? names[m] : "?";
}

/* Loss of one row for metric m; p holds the transformed prediction(s). */
static double row_loss(cml_gbm_metric m, const gbm_objective *o, const double *mg, const double *p,
                       double y)
{
    const double eps = 1e-16;
    switch (m) {
    case CML_GBM_METRIC_RMSE: return (y - p[0]) * (y - p[0]);
    case CML_GBM_METRIC_MAE: return fabs(y - p[0]);
    case CML_GBM_METRIC_LOGLOSS: {
        double q = p[0] < eps ? eps : (p[0] > 1.0 - eps ? 1.0 - eps : p[0]);
        /* a 0/1 label zeroes one term exactly: one log instead of two */
        if (y == 1.0) return -log(q);
        if (y == 0.0) return -log(1.0 - q);
        return -(y * log(q) + (1.0 - y) * log(1.0 - q));
    }
    case CML_GBM_METRIC_ERROR: return (double)((p[0] > 0.5) != (y > 0.5));
    case CML_GBM_METRIC_MLOGLOSS: {
        double q = p[(int64_t)y];
        return -log(q > eps ? q : eps);
    }
    case CML_GBM_METRIC_MERROR: {
        int best = 0;
        for (int k = 1; k < o->n_outputs; k++)
            if (mg[k] > mg[best]) best = k;
        return (double)(best != (int)y);
    }
    case CML_GBM_METRIC_POISSON_NLOGLIK: {
        double q = p[0] > eps ? p[0] : eps;
        return lgamma(y + 1.0) + q - y * log(q);
    }
    case CML_GBM_METRIC_MPHE: {
        double z = p[0] - y, d = o->huber_slope;
        return d * d * (sqrt(1.0 + (z / d) * (z / d)) - 1.0);
    }
    case CML_GBM_METRIC_QUANTILE: {
        double d = y - p[0], a = o->quantile_alpha;
        return d >= 0 ? a * d : (a - 1.0) * d;
    }
    default: return NAN;
    }
}

/* Rows per partial sum of the metric: fixed, so the sum does not depend on
 * the thread count, and small enough that a few tens of thousands of rows
 * still split evenly over two threads (16384 gave shuttle's 43,500 rows
 * three chunks: one thread did two thirds of the pass). */
#define METRIC_CHUNK 4096
/* Rows per block of the vectorized classification passes (link, gradients
 * and loss each one loop over the block); softprob keeps K x VBLOCK
 * exponentials, on the stack up to VBLOCK_STACK classes. */
#define VBLOCK       128
#define VBLOCK_STACK 32

/* *num += sum w l, *den += sum w over a block's rows, in row order (as the
 * scalar pass adds them). */
static void block_sum(const double *w, int64_t i0, int64_t len, const double *l, double *num,
                      double *den)
{
    double s = *num, d = *den;
    for (int64_t i = 0; i < len; i++) {
        const double wi = w ? w[i0 + i] : 1.0;
        s += wi * l[i];
        d += wi;
    }
    *num = s;
    *den = d;
}

/* binary:logistic over rows [i0, i1) (at most VBLOCK): sigmoid through
 * cml_exp (vectorizable, within 2 ulp of libm), gradients when gh is set,
 * and the summed weighted loss of metric m into *num / *den. Log loss
 * through cml_ln, the other metrics through row_loss. */
static void logistic_block(const gbm_objective *o, cml_gbm_metric m, const double *margin,
                           const double *y, const double *w, int64_t i0, int64_t i1, double *gh,
                           double *num, double *den)
{
    double p[VBLOCK], l[VBLOCK];
    const int64_t len = i1 - i0;
    const double *mg = margin + i0, *yb = y + i0;
    for (int64_t i = 0; i < len; i++)
        p[i] = 1.0 / (1.0 + cml_exp(-mg[i]));
    if (gh) {
        double *out = gh + 2 * i0;
        for (int64_t i = 0; i < len; i++) {
            const double wi = w ? w[i0 + i] : 1.0, h = p[i] * (1.0 - p[i]);
            out[2 * i] = (p[i] - yb[i]) * wi;
            out[2 * i + 1] = (h > 1e-16 ? h : 1e-16) * wi;
        }
    }
    if (m == CML_GBM_METRIC_AUTO) return;
    if (m == CML_GBM_METRIC_LOGLOSS) {
        /* row_loss's clamp and its 0/1-label shortcut: one log per row when
         * every label of the block is 0 or 1 (a classifier's always are) */
        const double eps = 1e-16;
        int bin01 = 1;
        for (int64_t i = 0; i < len; i++)
            bin01 &= (yb[i] == 0.0) | (yb[i] == 1.0);
        if (bin01)
            for (int64_t i = 0; i < len; i++) {
                const double q = p[i] < eps ? eps : (p[i] > 1.0 - eps ? 1.0 - eps : p[i]);
                l[i] = -cml_ln(yb[i] == 1.0 ? q : 1.0 - q);
            }
        else
            for (int64_t i = 0; i < len; i++) {
                const double q = p[i] < eps ? eps : (p[i] > 1.0 - eps ? 1.0 - eps : p[i]);
                const double a = cml_ln(q), b = cml_ln(1.0 - q), yi = yb[i];
                l[i] = yi == 1.0 ? -a : (yi == 0.0 ? -b : -(yi * a + (1.0 - yi) * b));
            }
    } else
        for (int64_t i = 0; i < len; i++)
            l[i] = row_loss(m, o, mg + i, p + i, yb[i]);
    block_sum(w, i0, len, l, num, den);
}

/* multi:softprob over rows [i0, i1) (at most VBLOCK), K = n_outputs: the
 * softmax of every row, class by class across the block so that each loop
 * is over rows (vectorizable; the sums over classes stay in class order,
 * as softmax()), then gradients and loss as logistic_block. e: K x VBLOCK
 * exponentials, then K more for one row's probabilities (metrics other than
 * mlogloss). */
static void softprob_block(const gbm_objective *o, cml_gbm_metric m, const double *margin,
                           const double *y, const double *w, int64_t n, int64_t i0, int64_t i1,
                           double *gh, double *num, double *den, double *e)
{
    double mx[VBLOCK], sum[VBLOCK], l[VBLOCK];
    const int K = o->n_outputs;
    const int64_t len = i1 - i0;
    const double *mg = margin + i0 * K, *yb = y + i0;
    for (int64_t i = 0; i < len; i++) {
        mx[i] = mg[i * K];
        sum[i] = 0.0;
    }
    for (int k = 1; k < K; k++)
        for (int64_t i = 0; i < len; i++)
            mx[i] = mg[i * K + k] > mx[i] ? mg[i * K + k] : mx[i];
    for (int k = 0; k < K; k++) {
        double *ek = e + (int64_t)k * VBLOCK;
        for (int64_t i = 0; i < len; i++) {
            ek[i] = cml_exp(mg[i * K + k] - mx[i]);
            sum[i] += ek[i];
        }
    }
    for (int k = 0; k < K; k++) {
        double *ek = e + (int64_t)k * VBLOCK;
        for (int64_t i = 0; i < len; i++)
            ek[i] /= sum[i];
        if (!gh) continue;
        double *out = gh + 2 * (n * k + i0);
        for (int64_t i = 0; i < len; i++) {
            const double wi = w ? w[i0 + i] : 1.0, pk = ek[i], hk = 2.0 * pk * (1.0 - pk);
            const double yk = yb[i] == (double)k;
            out[2 * i] = (pk - yk) * wi;
            out[2 * i + 1] = (hk > 1e-16 ? hk : 1e-16) * wi;
        }
    }
    if (m == CML_GBM_METRIC_AUTO) return;
    if (m == CML_GBM_METRIC_MLOGLOSS) {
        for (int64_t i = 0; i < len; i++) {
            const double q = e[(int64_t)yb[i] * VBLOCK + i];
            l[i] = -cml_ln(q > 1e-16 ? q : 1e-16);
        }
    } else {
        double *p = e + (int64_t)K * VBLOCK;
        for (int64_t i = 0; i < len; i++) {
            for (int k = 0; k < K; k++)
                p[k] = e[(int64_t)k * VBLOCK + i];
            l[i] = row_loss(m, o, mg + i * K, p, yb[i]);
        }
    }
    block_sum(w, i0, len, l, num, den);
}

/* One pass over the rows: the metric m (CML_GBM_METRIC_AUTO: none, NAN
 * returned) and, when gh is not NULL, the gradient pairs; the link is
 * evaluated once per row for both. Classification runs in vectorized blocks
 * (logistic_block, softprob_block); the other objectives row by row. */
static double obj_pass(const gbm_objective *o, cml_gbm_metric m, const double *margin,
                       const double *y, const double *w, int64_t n, double *gh)
{
    const int K = o->n_outputs, metric = m != CML_GBM_METRIC_AUTO;
    const int link = metric || o->kind == CML_GBM_SOFTPROB;
    const int vec = o->kind == CML_GBM_LOGISTIC || o->kind == CML_GBM_SOFTPROB;
    const int64_t nc = (n + METRIC_CHUNK - 1) / METRIC_CHUNK;
    double *part = NULL;
    if (metric) {
        part = cml_alloc_array(2 * CML_MAX(nc, 1), sizeof *part);
        if (!part) return NAN;
    }
    int bad = 0;
#pragma omp parallel CML_OMP_THREADS if (n * K > PAR_MIN)
    {
        /* per thread: the row's predictions (scalar path) or the softprob
         * block's exponentials */
        const int64_t need = o->kind == CML_GBM_SOFTPROB ? (int64_t)K * (VBLOCK + 1) : K;
        double stack[VBLOCK_STACK * (VBLOCK + 1)], *p = stack, *heap = NULL;
        if (need > VBLOCK_STACK * (VBLOCK + 1)) p = heap = malloc((size_t)need * sizeof *p);
        if (!p) {
#pragma omp atomic write
            bad = 1;
        }
#pragma omp for schedule(static)
        for (int64_t c = 0; c < nc; c++) {
            double num = 0.0, den = 0.0;
            const int64_t hi = CML_MIN(n, (c + 1) * METRIC_CHUNK);
            if (vec && p) {
                for (int64_t i0 = c * METRIC_CHUNK; i0 < hi; i0 += VBLOCK) {
                    const int64_t i1 = CML_MIN(hi, i0 + VBLOCK);
                    if (o->kind == CML_GBM_LOGISTIC)
                        logistic_block(o, m, margin, y, w, i0, i1, gh, &num, &den);
                    else
                        softprob_block(o, m, margin, y, w, n, i0, i1, gh, &num, &den, p);
                }
            } else
                for (int64_t i = c * METRIC_CHUNK; i < hi; i++) {
                    const double wi = w ? w[i] : 1.0, *mg = margin + i * K;
                    if (link && p) gbm_obj_transform(o, mg, p);
                    if (gh) row_grad(o, mg, link ? p : NULL, y[i], wi, n, i, gh);
                    if (metric && p) {
                        num += wi * row_loss(m, o, mg, p, y[i]);
                        den += wi;
                    }
                }
            if (metric) {
                part[2 * c] = num;
                part[2 * c + 1] = den;
            }
        }
        free(heap);
    }
    if (!metric) return NAN;
    double num = 0.0, den = 0.0;
    for (int64_t c = 0; c < nc; c++) {
        num += part[2 * c];
        den += part[2 * c + 1];
    }
    free(part);
    if (bad) return NAN;
    double v = den > 0.0 ? num / den : NAN;
    return m == CML_GBM_METRIC_RMSE ? sqrt(v) : v;
}

void gbm_obj_gradients(const gbm_objective *o, const double *margin, const double *y,
                       const double *w, int64_t n, double *gh)
{
    obj_pass(o, CML_GBM_METRIC_AUTO, margin, y, w, n, gh);
}

double gbm_metric_eval(cml_gbm_metric m, const gbm_objective *o, const double *margin,
                       const double *y, const double *w, int64_t n)
{
    return m == CML_GBM_METRIC_AUTO ? NAN : obj_pass(o, m, margin, y, w, n, NULL);
}

double gbm_metric_and_gradients(cml_gbm_metric m, const gbm_objective *o, const double *margin,
                                const double *y, const double *w, int64_t n, double *gh)
{
    return obj_pass(o, m, margin, y, w, n, gh);
}
