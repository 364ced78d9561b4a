/*
 * drift.c — PSI and KL divergence between a reference and a current sample
 * of one feature, on reference-quantile bins (numeric) or categories.
 *
 * Maths: with reference proportions p_b and current proportions q_b over
 * bins b (empty bins get eps instead of 0),
 *     PSI = sum_b (q_b - p_b) ln(q_b / p_b),   KL = sum_b q_b ln(q_b / p_b).
 * Bins on the reference's quantiles put about the same share of the
 * reference in every bin, the usual construction for PSI (Yurdakul 2018,
 * "Statistical properties of population stability index", section 2);
 * eps = 1e-4 for empty bins follows common practice (e.g. Evidently).
 * Checked against numpy (np.quantile, np.searchsorted) in
 * tests/gen/gen_drift.py on real data.
 *
 * Complexity: O(n_ref log n_ref) for the quantiles, O(n log bins) to bin.
 * Thread-safety: pure functions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cml/drift.h"
#include "core/internal.h"

cml_drift_opts cml_drift_opts_default(void)
{
    cml_drift_opts o = {10, 1e-4};
    return o;
}

static cml_status check_opts(const cml_drift_opts *o, int64_t n_ref, int64_t n_cur)
{
    if (o->n_bins < 2 || o->n_bins > 1000)
        return cml_fail(CML_ERR_ARG, "n_bins must be in [2, 1000], got %d", o->n_bins);
    if (!(o->eps > 0 && o->eps < 1))
        return cml_fail(CML_ERR_ARG, "eps must be in (0, 1), got %g", o->eps);
    if (n_ref < 1 || n_cur < 1)
        return cml_fail(CML_ERR_ARG,
                        "drift needs at least one row in each sample (got %lld "
                        "reference, %lld current)",
                        (long long)n_ref, (long long)n_cur);
    return CML_OK;
}

/* PSI and KL from bin counts; the last bin is "missing" when has_missing. */
static void from_counts(const int64_t *cr, const int64_t *cc, int64_t nb, int64_t n_ref,
                        int64_t n_cur, double eps, cml_drift *out)
{
    double psi = 0, kl = 0;
    int64_t used = 0;
    for (int64_t b = 0; b < nb; b++) {
        if (!cr[b] && !cc[b]) continue; /* absent from both: contributes 0 */
        used++;
        double p = (double)cr[b] / (double)n_ref, q = (double)cc[b] / (double)n_cur;
        if (p == 0) p = eps;
        if (q == 0) q = eps;
        double l = log(q / p);
        psi += (q - p) * l;
        kl += q * l;
    }
    out->psi = psi;
    out->kl = kl;
    out->n_bins = used;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Number of edges strictly below x: the bin of x (right-closed bins). */
static int64_t bin_of(const double *edges, int64_t ne, double x)
{
    int64_t lo = 0, hi = ne;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (edges[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

cml_status cml_drift_numeric(const double *ref, int64_t n_ref, int64_t ref_stride,
                             const double *cur, int64_t n_cur, int64_t cur_stride,
                             const cml_drift_opts *opts, cml_drift *out)
{
    cml_drift_opts o = opts ? *opts : cml_drift_opts_default();
    cml_status st = check_opts(&o, n_ref, n_cur);
    if (st) return st;
    memset(out, 0, sizeof *out);
    double *sorted = cml_alloc_array(n_ref, sizeof *sorted);
    double *edges = cml_alloc_array(o.n_bins, sizeof *edges);
    int64_t *cr = cml_calloc((size_t)o.n_bins + 1, sizeof *cr);
    int64_t *cc = cml_calloc((size_t)o.n_bins + 1, sizeof *cc);
    if (!sorted || !edges || !cr || !cc) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < n_ref; i++) {
        double v = ref[i * ref_stride];
        if (isinf(v) || isnan(v)) {
            if (isinf(v)) {
                st = cml_fail(CML_ERR_ARG, "reference row %lld is infinite", (long long)i);
                goto fail;
            }
            continue;
        }
        sorted[m++] = v;
    }
    qsort(sorted, (size_t)m, sizeof *sorted, cmp_double);
    /* numpy's default quantile ("linear", Hyndman & Fan type 7) computed the
     * way numpy 1.24 computes it, operation for operation, so that edges
     * equal numpy's bit for bit: a value sitting exactly on an edge must
     * land in the same bin as with np.searchsorted */
    int64_t ne = 0;
    for (int k = 1; m > 0 && k < o.n_bins; k++) {
        double q = (double)k / o.n_bins;
        double h = ((double)m * q + (1.0 + q * -1.0)) - 1.0; /* _compute_virtual_index */
        double e;
        if (h >= (double)(m - 1)) {
            e = sorted[m - 1];
        } else {
            int64_t lo = (int64_t)floor(h);
            double a = sorted[lo], b = sorted[lo + 1], t = h - (double)lo, d = b - a;
            e = t >= 0.5 ? b - d * (1 - t) : a + d * t; /* numpy's _lerp */
        }
        if (!ne || e > edges[ne - 1]) edges[ne++] = e;
    }
    int64_t nb = ne + 1, missing = nb; /* bins 0..ne, then the NaN bin */
    for (int64_t i = 0; i < n_ref; i++) {
        double v = ref[i * ref_stride];
        cr[isnan(v) ? missing : bin_of(edges, ne, v)]++;
    }
    for (int64_t i = 0; i < n_cur; i++) {
        double v = cur[i * cur_stride];
        if (isinf(v)) {
            st = cml_fail(CML_ERR_ARG, "current row %lld is infinite", (long long)i);
            goto fail;
        }
        cc[isnan(v) ? missing : bin_of(edges, ne, v)]++;
    }
    from_counts(cr, cc, nb + 1, n_ref, n_cur, o.eps, out);
    out->ref_missing = (double)cr[missing] / (double)n_ref;
    out->cur_missing = (double)cc[missing] / (double)n_cur;
fail:
    free(sorted);
    free(edges);
    free(cr);
    free(cc);
    return st;
}

cml_status cml_drift_categorical(const double *ref, int64_t n_ref, int64_t ref_stride,
                                 const double *cur, int64_t n_cur, int64_t cur_stride,
                                 int64_t n_categories, const cml_drift_opts *opts, cml_drift *out)
{
    cml_drift_opts o = opts ? *opts : cml_drift_opts_default();
    cml_status st = check_opts(&o, n_ref, n_cur);
    if (st) return st;
    if (n_categories < 0 || n_categories > (int64_t)1 << 31)
        return cml_fail(CML_ERR_ARG, "n_categories must be in [0, 2^31], got %lld",
                        (long long)n_categories);
    memset(out, 0, sizeof *out);
    int64_t *cr = cml_calloc((size_t)n_categories + 1, sizeof *cr);
    int64_t *cc = cml_calloc((size_t)n_categories + 1, sizeof *cc);
    if (!cr || !cc) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int s = 0; s < 2; s++) {
        const double *x = s ? cur : ref;
        int64_t n = s ? n_cur : n_ref, stride = s ? cur_stride : ref_stride;
        int64_t *c = s ? cc : cr;
        for (int64_t i = 0; i < n; i++) {
            double v = x[i * stride];
            if (isnan(v)) {
                c[n_categories]++;
                continue;
            }
            if (!(v >= 0 && v < (double)n_categories) || v != floor(v)) {
                st =
                    cml_fail(CML_ERR_ARG, "%s row %lld: category code %g is not in [0, %lld)",
                             s ? "current" : "reference", (long long)i, v, (long long)n_categories);
                goto fail;
            }
            c[(int64_t)v]++;
        }
    }
    from_counts(cr, cc, n_categories + 1, n_ref, n_cur, o.eps, out);
    out->ref_missing = (double)cr[n_categories] / (double)n_ref;
    out->cur_missing = (double)cc[n_categories] / (double)n_cur;
fail:
    free(cr);
    free(cc);
    return st;
}
