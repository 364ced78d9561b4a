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
 * parallel loops are elementwise, metric sums run in row order (serial), so
 * results are independent of the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
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

void gbm_obj_gradients(const gbm_objective *o, const double *margin, const double *y,
                       const double *w, int64_t n, double *gh)
{
    const int K = o->n_outputs;
    if (o->kind == CML_GBM_SOFTPROB) {
#pragma omp parallel CML_OMP_THREADS if (n * K > PAR_MIN)
        {
            /* Per-thread row of probabilities; without memory the step is
             * zero (no change to the model) rather than garbage. */
            double *pp = malloc((size_t)K * sizeof *pp);
#pragma omp for schedule(static)
            for (int64_t i = 0; i < n; i++) {
                double wi = w ? w[i] : 1.0;
                if (pp) softmax(margin + i * K, K, pp);
                for (int k = 0; k < K; k++) {
                    double pk = pp ? pp[k] : (y[i] == (double)k);
                    double hk = 2.0 * pk * (1.0 - pk);
                    gh[2 * (n * k + i)] = (pk - (y[i] == (double)k)) * wi;
                    gh[2 * (n * k + i) + 1] = (hk > 1e-16 ? hk : 1e-16) * wi;
                }
            }
            free(pp);
        }
        return;
    }
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        double m = margin[i], yi = y[i], wi = w ? w[i] : 1.0, g, h;
        switch (o->kind) {
        case CML_GBM_SQUAREDERROR:
            g = m - yi;
            h = 1.0;
            break;
        case CML_GBM_ABSOLUTEERROR:
            g = (double)((m - yi > 0) - (m - yi < 0));
            h = 1.0;
            break;
        case CML_GBM_PSEUDOHUBER: {
            double z = m - yi, d = o->huber_slope;
            double scale = 1.0 + (z * z) / (d * d), ss = sqrt(scale);
            g = z / ss;
            h = 1.0 / (scale * ss);
            break;
        }
        case CML_GBM_QUANTILE:
            g = yi - m >= 0 ? -o->quantile_alpha : 1.0 - o->quantile_alpha;
            h = 1.0;
            break;
        case CML_GBM_POISSON:
            g = exp(m) - yi;
            h = exp(m + o->poisson_max_delta_step);
            break;
        default: { /* CML_GBM_LOGISTIC */
            double p = sigmoid(m);
            g = p - yi;
            h = p * (1.0 - p);
            h = h > 1e-16 ? h : 1e-16;
        }
        }
        gh[2 * i] = g * wi;
        gh[2 * i + 1] = h * wi;
    }
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

double gbm_metric_eval(cml_gbm_metric m, const gbm_objective *o, const double *margin,
                       const double *y, const double *w, int64_t n)
{
    const int K = o->n_outputs;
    double stack[64], *p = stack, *heap = NULL;
    if (K > 64) {
        p = heap = cml_alloc_array(K, sizeof *p);
        if (!p) return NAN;
    }
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        gbm_obj_transform(o, margin + i * K, p);
        num += wi * row_loss(m, o, margin + i * K, p, y[i]);
        den += wi;
    }
    free(heap);
    double v = den > 0.0 ? num / den : NAN;
    return m == CML_GBM_METRIC_RMSE ? sqrt(v) : v;
}
