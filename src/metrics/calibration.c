/*
 * calibration.c — reliability-diagram data (sklearn.calibration.
 * calibration_curve, scikit-learn 1.2.1), expected calibration error and
 * the top-label reduction of multi-class probabilities.
 *
 * A classifier is calibrated when, among the samples it gives probability
 * p, a fraction p is positive. calibration_curve bins the predicted
 * probabilities and reports per bin the observed positive rate (prob_true)
 * against the mean prediction (prob_pred); ECE = sum_b (n_b / n) |prob_true_b
 * - prob_pred_b| (Naeini, Cooper & Hauskrecht, AAAI 2015; Guo et al.,
 * "On Calibration of Modern Neural Networks", ICML 2017).
 *
 * Parity with scikit-learn: uniform edges are np.linspace(0, 1, n_bins + 1)
 * (k * (1 / n_bins), the last exactly 1); quantile edges are np.percentile
 * with linear interpolation, replayed in NumPy's operation order (virtual
 * index (n - 1) q, gamma = index - floor, lerp a + (b - a) g, or
 * b - (b - a)(1 - g) for g >= 0.5) so the edges are bit-identical; bin ids
 * are searchsorted(edges[1:-1], p, side="left"); per-bin sums accumulate in
 * input order like np.bincount.
 *
 * Cost: O(n log n_bins) (O(n log n) for quantiles: a sorted copy).
 * Thread-safety: reentrant.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_internal.h"

#define FN "calibration_curve"

static int cmp_dbl(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* np.linspace(0, 1, m + 1) (only the inner values are used). */
static double linspace01(int k, int m)
{
    if (k == m) return 1.0;
    double step = 1.0 / (double)m;
    return (double)k * step + 0.0;
}

/* The n_bins + 1 edges of the strategy into edges. */
static cml_status make_edges(const double *y_prob, int64_t n, int n_bins,
                             cml_calibration_strategy strategy, double *edges)
{
    if (strategy == CML_CALIBRATION_UNIFORM) {
        for (int k = 0; k <= n_bins; k++)
            edges[k] = linspace01(k, n_bins);
        return CML_OK;
    }
    double *sorted = cml_alloc_array(n, sizeof(double));
    if (!sorted) return CML_ERR_NOMEM;
    memcpy(sorted, y_prob, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), cmp_dbl);
    for (int k = 0; k <= n_bins; k++) {
        /* np.percentile(a, linspace * 100): q = (linspace * 100) / 100 */
        double q = linspace01(k, n_bins) * 100.0 / 100.0;
        double vi = (double)(n - 1) * q; /* NumPy's "linear" virtual index */
        double lo_i = floor(vi);
        if (lo_i < 0) lo_i = 0;
        if (lo_i > (double)(n - 1)) lo_i = (double)(n - 1);
        int64_t lo = (int64_t)lo_i, hi = CML_MIN(lo + 1, n - 1);
        double g = vi - lo_i;
        double a = sorted[lo], b = sorted[hi], d = b - a;
        edges[k] = g >= 0.5 ? b - d * (1.0 - g) : a + d * g;
    }
    free(sorted);
    return CML_OK;
}

/* Shared core: per-bin sums of y_prob, positives and counts (n_bins each). */
static cml_status bin_stats(const double *y_true, const double *y_prob, int64_t n, double pos_label,
                            int n_bins, cml_calibration_strategy strategy, double *sum_p,
                            double *sum_t, int64_t *cnt)
{
    CML_CHECK(cml_m_check_inputs(y_true, y_prob, n, NULL, FN, "y_prob"));
    if (n_bins < 1) return cml_fail(CML_ERR_ARG, FN ": n_bins must be >= 1, got %d", n_bins);
    if (strategy != CML_CALIBRATION_UNIFORM && strategy != CML_CALIBRATION_QUANTILE)
        return cml_fail(CML_ERR_ARG, FN ": strategy must be uniform or quantile");
    for (int64_t i = 0; i < n; i++)
        if (y_prob[i] < 0.0 || y_prob[i] > 1.0)
            return cml_fail(CML_ERR_ARG,
                            FN ": y_prob has values outside [0, 1] (y_prob[%lld] = %.17g)",
                            (long long)i, y_prob[i]);
    /* At most two labels; the positive one by scikit-learn's rule. */
    double l0 = y_true[0], l1 = y_true[0];
    for (int64_t i = 1; i < n; i++) {
        double v = y_true[i];
        if (v == l0 || v == l1) continue;
        if (l0 == l1) {
            if (v < l0)
                l0 = v;
            else
                l1 = v;
            continue;
        }
        return cml_fail(CML_ERR_ARG,
                        FN ": y_true has more than two labels (%.17g, %.17g, %.17g, ...) "
                           "(HINT: calibrate one class against the rest, or use the top-label "
                           "reduction)",
                        l0, l1, v);
    }
    if (isnan(pos_label)) {
        int ok = (l0 == 0 || l0 == 1) && (l1 == 0 || l1 == 1);
        ok |= (l0 == -1 || l0 == 1) && (l1 == -1 || l1 == 1);
        if (!ok)
            return cml_fail(CML_ERR_ARG,
                            FN ": y_true takes values %.17g and %.17g and pos_label is not "
                               "given (HINT: name the positive label)",
                            l0, l1);
        pos_label = 1.0;
    }
    double *edges = cml_alloc_array(n_bins + 1, sizeof(double));
    if (!edges) return CML_ERR_NOMEM;
    cml_status st = make_edges(y_prob, n, n_bins, strategy, edges);
    if (st != CML_OK) {
        free(edges);
        return st;
    }
    memset(sum_p, 0, (size_t)n_bins * sizeof(double));
    memset(sum_t, 0, (size_t)n_bins * sizeof(double));
    memset(cnt, 0, (size_t)n_bins * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) {
        /* searchsorted(edges[1:-1], p, "left"): inner edges < p (sorted) */
        int lo = 0, hi = n_bins - 1; /* answer in [0, n_bins - 1] */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (edges[1 + mid] < y_prob[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        sum_p[lo] += y_prob[i];
        sum_t[lo] += y_true[i] == pos_label ? 1.0 : 0.0;
        cnt[lo]++;
    }
    free(edges);
    return CML_OK;
}

/* Runs bin_stats with scratch arrays and hands them to the caller's
 * reduction (one place for the allocation and its cleanup). */
typedef struct curve_out {
    double *prob_true, *prob_pred;
    int64_t *count, n_out;
    double ece;
} curve_out;

static cml_status curve(const double *y_true, const double *y_prob, int64_t n, double pos_label,
                        int n_bins, cml_calibration_strategy strategy, curve_out *o)
{
    if (n_bins < 1) return cml_fail(CML_ERR_ARG, FN ": n_bins must be >= 1, got %d", n_bins);
    double *sp = cml_alloc_array(n_bins, sizeof(double));
    double *stt = cml_alloc_array(n_bins, sizeof(double));
    int64_t *cnt = cml_alloc_array(n_bins, sizeof(int64_t));
    cml_status st = CML_ERR_NOMEM;
    if (!sp || !stt || !cnt) goto fail;
    st = bin_stats(y_true, y_prob, n, pos_label, n_bins, strategy, sp, stt, cnt);
    if (st != CML_OK) goto fail;
    o->n_out = 0;
    o->ece = 0.0;
    for (int b = 0; b < n_bins; b++) {
        if (cnt[b] == 0) continue;
        double pt = stt[b] / (double)cnt[b], pp = sp[b] / (double)cnt[b];
        if (o->prob_true) o->prob_true[o->n_out] = pt;
        if (o->prob_pred) o->prob_pred[o->n_out] = pp;
        if (o->count) o->count[o->n_out] = cnt[b];
        o->ece += (double)cnt[b] / (double)n * fabs(pt - pp);
        o->n_out++;
    }
fail:
    free(sp);
    free(stt);
    free(cnt);
    return st;
}

cml_status cml_calibration_curve(const double *y_true, const double *y_prob, int64_t n,
                                 double pos_label, int n_bins, cml_calibration_strategy strategy,
                                 double *prob_true, double *prob_pred, int64_t *count,
                                 int64_t *n_out)
{
    curve_out o = {prob_true, prob_pred, count, 0, 0.0};
    CML_CHECK(curve(y_true, y_prob, n, pos_label, n_bins, strategy, &o));
    if (n_out) *n_out = o.n_out;
    return CML_OK;
}

cml_status cml_expected_calibration_error(const double *y_true, const double *y_prob, int64_t n,
                                          double pos_label, int n_bins,
                                          cml_calibration_strategy strategy, double *out)
{
    curve_out o = {NULL, NULL, NULL, 0, 0.0};
    CML_CHECK(curve(y_true, y_prob, n, pos_label, n_bins, strategy, &o));
    *out = o.ece;
    return CML_OK;
}

cml_status cml_calibration_top_label(const double *y_true, const double *proba, int64_t n,
                                     const double *classes, int64_t n_classes, double *confidence,
                                     double *correct)
{
    const char *fn = "calibration_top_label";
    CML_CHECK(cml_m_check_classes(classes, n_classes, 2, fn));
    if (n <= 0) return cml_fail(CML_ERR_ARG, "%s: n must be >= 1, got %lld", fn, (long long)n);
    if (!y_true || !proba || !confidence || !correct)
        return cml_fail(CML_ERR_ARG, "%s: NULL array", fn);
    CML_CHECK(cml_m_check_finite(y_true, n, fn, "y_true"));
    CML_CHECK(cml_m_check_finite(proba, n * n_classes, fn, "proba"));
    for (int64_t i = 0; i < n; i++) {
        const double *row = proba + i * n_classes;
        int64_t best = 0;
        for (int64_t c = 1; c < n_classes; c++)
            if (row[c] > row[best]) best = c;
        confidence[i] = row[best];
        correct[i] = classes[best] == y_true[i] ? 1.0 : 0.0;
    }
    return CML_OK;
}
