/*
 * gbm_bin.c — quantile binning of the training matrix for histogram
 * boosting (XGBoost's `hist` HistogramCuts and GHistIndexMatrix).
 *
 * Per feature, over its non-missing values sorted ascending (weights w_i,
 * 1 without sample_weight):
 *  - k distinct values <= max_bin: the cuts are the distinct values v_1 ..
 *    v_{k-1} plus v_{k-1} + (|v_{k-1}| + 1e-5), exactly XGBoost's
 *    AddCutPoint on an unpruned summary, so each distinct value has its own
 *    bin and split thresholds are data values;
 *  - otherwise weighted quantiles: cut j (j = 1 .. max_bin-1) is the first
 *    value whose cumulative weight exceeds j W / max_bin (deduplicated), plus
 *    the same last cut. This is the exact answer XGBoost's GK/weighted sketch
 *    approximates (Chen & Guestrin 2016, sec. 3.3), so accuracy matches
 *    without reproducing the sketch's rounding.
 * Features with missing values keep one bin for them: with max_bin <= 256
 * they get at most 255 value bins so the matrix stays one byte per cell.
 * A categorical feature (XGBoost's enable_categorical) gets one bin per
 * distinct category code, whatever max_bin: bin b is the b-th smallest code.
 *
 * Complexity: O(rows * cols) radix-sort passes plus O(rows * cols *
 * log(max_bin)) bin look-ups (one table load for integer values of a
 * feature spanning < 65536 integers), parallel over features then rows.
 * Thread-safety: pure functions of their inputs; deterministic.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "ensemble/gbm_internal.h"

/* Columns gathered per pass over the rows (one 64-byte line of doubles). */
#define FB 8

/* Order-preserving map of a double onto an unsigned key (NaN excluded). */
static inline uint64_t sort_key(double x)
{
    uint64_t u;
    if (x == 0.0) x = 0.0; /* -0 and +0 are one value */
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : (u ^ 0x8000000000000000ull);
}

static inline double key_value(uint64_t k)
{
    uint64_t u = (k >> 63) ? (k ^ 0x8000000000000000ull) : ~k;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* LSD radix sort of keys[0..n) (with the weights w, or NULL, alongside),
 * byte by byte; a byte position every key shares is skipped, so small
 * integer-valued features (pixels, codes) cost two or three passes. */
static void radix_sort(uint64_t *keys, double *w, uint64_t *tk, double *tw, int64_t n)
{
    for (int shift = 0; shift < 64; shift += 8) {
        int64_t count[257] = {0};
        for (int64_t i = 0; i < n; i++)
            count[((keys[i] >> shift) & 0xff) + 1]++;
        if (count[((keys[0] >> shift) & 0xff) + 1] == n) continue;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (int64_t i = 0; i < n; i++) {
            int64_t pos = count[(keys[i] >> shift) & 0xff]++;
            tk[pos] = keys[i];
            if (w) tw[pos] = w[i];
        }
        memcpy(keys, tk, (size_t)n * sizeof *keys);
        if (w) memcpy(w, tw, (size_t)n * sizeof *w);
    }
}

/* Cuts of one feature from its sorted keys; returns the count written to
 * cuts (capacity max_bin) and sets *minv. n > 0. */
static int32_t feature_cuts(const uint64_t *keys, const double *w, int64_t n, int max_bin,
                            double *cuts, double *minv)
{
    double v0 = key_value(keys[0]), vmax = key_value(keys[n - 1]);
    int32_t nc = 0;
    int64_t distinct = 1;
    for (int64_t i = 1; i < n && distinct <= max_bin; i++)
        distinct += keys[i] != keys[i - 1];
    *minv = v0 - (fabs(v0) + 1e-5);
    if (distinct <= max_bin) {
        for (int64_t i = 1; i < n; i++)
            if (keys[i] != keys[i - 1]) cuts[nc++] = key_value(keys[i]);
    } else {
        double total = 0.0;
        for (int64_t i = 0; i < n; i++)
            total += w ? w[i] : 1.0;
        double cum = w ? w[0] : 1.0;
        int64_t i = 0;
        for (int j = 1; j < max_bin; j++) {
            double target = total * j / max_bin;
            while (i + 1 < n && cum <= target) {
                i++;
                cum += w ? w[i] : 1.0;
            }
            double c = key_value(keys[i]);
            if (c > v0 && (nc == 0 || c > cuts[nc - 1])) cuts[nc++] = c;
        }
        /* The sweep may end on vmax itself; the sentinel below covers it. */
        if (nc > 0 && cuts[nc - 1] >= vmax) nc--;
    }
    cuts[nc++] = vmax + (fabs(vmax) + 1e-5);
    return nc;
}

double gbm_cut_threshold(const gbm_cuts *c, int64_t f, int32_t t)
{
    return t == 0 ? c->min_values[f] : c->values[c->ptr[f] + t - 1];
}

void gbm_binned_free(gbm_binned *b)
{
    if (!b) return;
    free(b->b8);
    free(b->b16);
    free(b->hoff);
    free(b->nbins);
    free(b->active);
    free(b->is_cat);
    free(b->cuts.ptr);
    free(b->cuts.values);
    free(b->cuts.min_values);
    memset(b, 0, sizeof *b);
}

/* Number of cuts <= x among c[0..n): the bin of x (clamped to n - 1). */
static inline int32_t find_bin(const double *c, int32_t n, double x)
{
    int32_t lo = 0, len = n;
    while (len > 0) {
        int32_t half = len >> 1;
        int up = c[lo + half] <= x;
        lo = up ? lo + half + 1 : lo;
        len = up ? len - half - 1 : half;
    }
    return lo < n ? lo : n - 1;
}

/* Bins of the integers lo .. lo + len - 1, for a feature whose values span
 * at most LUT_MAX integers: integer-valued columns (counts, codes, minutes)
 * then bin by one load instead of a binary search. Same bins: each entry is
 * find_bin of its integer. */
#define LUT_MAX 65536
typedef struct bin_lut {
    int64_t lo, len;
    uint16_t *bin; /* NULL: no table (a range too wide, or no memory) */
} bin_lut;

static void lut_build(bin_lut *t, const double *c, int32_t n, double vmin, double vmax)
{
    const double lo = ceil(vmin), hi = floor(vmax);
    if (!(hi >= lo) || hi - lo >= LUT_MAX || fabs(lo) > 4503599627370496.0 /* 2^52 */ || n > 65535)
        return;
    t->lo = (int64_t)lo;
    t->len = (int64_t)(hi - lo) + 1;
    t->bin = malloc((size_t)t->len * sizeof *t->bin); /* optional: no table, no error */
    if (!t->bin) return;
    for (int64_t k = 0; k < t->len; k++)
        t->bin[k] = (uint16_t)find_bin(c, n, (double)(t->lo + k));
}

/* x's bin: from the table when x is exactly one of its integers. */
static inline int32_t lut_bin(const bin_lut *t, const double *c, int32_t n, double x)
{
    if (x >= (double)t->lo && x < (double)(t->lo + t->len)) {
        const int64_t xi = (int64_t)x;
        if ((double)xi == x) return t->bin[xi - t->lo];
    }
    return find_bin(c, n, x);
}

/* Index of category x in the ascending codes c[0..n) (x is one of them). */
static inline int32_t find_cat(const double *c, int32_t n, double x)
{
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (c[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The distinct codes of sorted keys kf[0..n) into a fresh array *out;
 * returns their count, or -1 when out of memory. */
static int32_t cat_cuts(const uint64_t *kf, int64_t n, double **out)
{
    int64_t k = 1;
    for (int64_t i = 1; i < n; i++)
        k += kf[i] != kf[i - 1];
    double *c = cml_alloc_array(k, sizeof *c);
    if (!c) return -1;
    k = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || kf[i] != kf[i - 1]) c[k++] = key_value(kf[i]);
    *out = c;
    return (int32_t)k;
}

/* Categorical columns must hold integer codes (XGBoost's rule). */
cml_status gbm_check_categories(const cml_matrix *X, const uint8_t *is_cat)
{
    for (int64_t i = 0; i < X->rows; i++) {
        const double *row = X->data + i * X->ld;
        for (int64_t f = 0; f < X->cols; f++) {
            const double x = row[f];
            if (!is_cat[f] || isnan(x)) continue;
            if (!(x >= 0.0 && x <= GBM_MAX_CAT && x == floor(x)))
                return cml_fail(CML_ERR_ARG,
                                "gbm: column %lld is in categorical_features but row %lld holds "
                                "%.17g; categories must be integer codes in [0, %.0f]. HINT: "
                                "cml's CSV reader codes string columns 0..k-1",
                                (long long)f, (long long)i + 1, x, GBM_MAX_CAT);
        }
    }
    return CML_OK;
}

cml_status gbm_binned_build(const cml_matrix *X, const double *w, int max_bin,
                            const uint8_t *is_cat, gbm_binned *out)
{
    const int64_t n = X->rows, F = X->cols;
    cml_status st = CML_OK;
    double **fc = NULL; /* per-feature cuts while they are computed */
    int32_t *nc = NULL;
    uint8_t *has_nan = NULL;
    double *vmin = NULL, *vmax = NULL;
    bin_lut *lut = NULL;
    int failed = 0;
    memset(out, 0, sizeof *out);
    out->rows = n;
    out->cols = F;
    out->cuts.n_features = F;
    int any_cat = 0;
    for (int64_t f = 0; is_cat && f < F; f++)
        any_cat |= is_cat[f] != 0;
    if (any_cat) {
        CML_CHECK(gbm_check_categories(X, is_cat));
        out->is_cat = cml_alloc_array(F, 1);
        if (!out->is_cat) return CML_ERR_NOMEM;
        memcpy(out->is_cat, is_cat, (size_t)F);
    }
    fc = cml_calloc((size_t)F, sizeof *fc);
    nc = cml_calloc((size_t)F, sizeof *nc);
    has_nan = cml_calloc((size_t)F, 1);
    vmin = cml_calloc((size_t)F, sizeof *vmin);
    vmax = cml_calloc((size_t)F, sizeof *vmax);
    out->cuts.ptr = cml_alloc_array(F + 1, sizeof(int32_t));
    out->cuts.min_values = cml_alloc_array(F, sizeof(double));
    out->hoff = cml_alloc_array(F + 1, sizeof(int32_t));
    out->nbins = cml_alloc_array(F, sizeof(int32_t));
    out->active = cml_alloc_array(F, 1);
    if (!fc || !nc || !has_nan || !vmin || !vmax || !out->cuts.ptr || !out->cuts.min_values ||
        !out->hoff || !out->nbins) {
        st = CML_ERR_NOMEM;
        goto fail;
    }

    /* Features are gathered FB at a time: one pass over the rows reads one
     * cache line per row for FB columns instead of one per column. */
    const int64_t nfb = (F + FB - 1) / FB;
#pragma omp parallel CML_OMP_THREADS reduction(| : failed)
    {
        uint64_t *keys = cml_alloc_array((FB + 1) * n + 1, sizeof *keys);
        double *ws = w ? cml_alloc_array((FB + 1) * n + 1, sizeof *ws) : NULL;
        if (!keys || (w && !ws)) failed = 1;
#pragma omp for schedule(dynamic, 1)
        for (int64_t blk = 0; blk < nfb; blk++) {
            if (failed) continue;
            const int64_t f0 = blk * FB, nf = CML_MIN(FB, F - f0);
            int64_t m[FB] = {0};
            for (int64_t i = 0; i < n; i++) {
                const double *row = X->data + i * X->ld + f0;
                for (int64_t j = 0; j < nf; j++) {
                    if (isnan(row[j])) {
                        has_nan[f0 + j] = 1;
                        continue;
                    }
                    if (ws) ws[j * n + m[j]] = w[i];
                    keys[j * n + m[j]++] = sort_key(row[j]);
                }
            }
            for (int64_t j = 0; j < nf && !failed; j++) {
                const int64_t f = f0 + j;
                uint64_t *kf = keys + j * n;
                double *wf = ws ? ws + j * n : NULL;
                int mb = has_nan[f] && max_bin == 256 ? 255 : max_bin;
                if (m[j] == 0) { /* all missing: no value bins, never split on */
                    out->cuts.min_values[f] = 0.0;
                    continue;
                }
                radix_sort(kf, wf, keys + FB * n, ws ? ws + FB * n : NULL, m[j]);
                vmin[f] = key_value(kf[0]);
                vmax[f] = key_value(kf[m[j] - 1]);
                if (out->is_cat && out->is_cat[f]) {
                    nc[f] = cat_cuts(kf, m[j], &fc[f]);
                    if (nc[f] < 0) failed = 1;
                    out->cuts.min_values[f] = 0.0;
                    continue;
                }
                fc[f] = cml_alloc_array((int64_t)mb + 1, sizeof(double));
                if (!fc[f]) {
                    failed = 1;
                    continue;
                }
                nc[f] = feature_cuts(kf, wf, m[j], mb, fc[f], &out->cuts.min_values[f]);
            }
        }
        free(keys);
        free(ws);
    }
    if (failed) {
        st = cml_fail(CML_ERR_NOMEM, "gbm: out of memory while binning %lld x %lld features",
                      (long long)n, (long long)F);
        goto fail;
    }

    int64_t total = 0, slots = 0;
    for (int64_t f = 0; f < F; f++) {
        out->cuts.ptr[f] = (int32_t)total;
        out->hoff[f] = (int32_t)slots;
        out->nbins[f] = nc[f];
        /* A constant feature (one bin, no NaN) can never split: histograms
         * and split searches skip it. */
        out->active[f] = nc[f] > 1 || (nc[f] == 1 && has_nan[f]);
        total += nc[f];
        slots += nc[f] + 1;
        if (slots > INT32_MAX) {
            st = cml_fail(CML_ERR_ARG, "gbm: too many histogram bins (%lld features x max_bin)",
                          (long long)F);
            goto fail;
        }
        out->wide |= nc[f] + has_nan[f] > 256;
        if (nc[f] > 65535) {
            st = cml_fail(CML_ERR_ARG,
                          "gbm: categorical column %lld has %d categories; at most 65535 "
                          "(categorical_features)",
                          (long long)f, nc[f]);
            goto fail;
        }
    }
    out->cuts.ptr[F] = (int32_t)total;
    out->hoff[F] = (int32_t)slots;
    out->n_slots = (int32_t)slots;
    out->cuts.values = cml_alloc_array(total > 0 ? total : 1, sizeof(double));
    if (!out->cuts.values) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t f = 0; f < F; f++)
        if (nc[f])
            memcpy(out->cuts.values + out->cuts.ptr[f], fc[f], (size_t)nc[f] * sizeof(double));

    if (out->wide)
        out->b16 = cml_alloc_array(n * F, sizeof(uint16_t));
    else
        out->b8 = cml_alloc_array(n * F, sizeof(uint8_t));
    if (!out->b16 && !out->b8) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    const double *cv = out->cuts.values;
    const int32_t *cp = out->cuts.ptr;
    lut = cml_calloc((size_t)F, sizeof *lut);
    for (int64_t f = 0; lut && f < F; f++)
        if (!(out->is_cat && out->is_cat[f]) && nc[f] > 0)
            lut_build(&lut[f], cv + cp[f], nc[f], vmin[f], vmax[f]);
#pragma omp parallel for CML_OMP_THREADS schedule(static)
    for (int64_t i = 0; i < n; i++) {
        const double *row = X->data + i * X->ld;
        for (int64_t f = 0; f < F; f++) {
            int32_t nb = cp[f + 1] - cp[f];
            double x = row[f];
            int32_t b = (isnan(x) || nb == 0)             ? nb
                        : (out->is_cat && out->is_cat[f]) ? find_cat(cv + cp[f], nb, x)
                        : lut && lut[f].bin               ? lut_bin(&lut[f], cv + cp[f], nb, x)
                                                          : find_bin(cv + cp[f], nb, x);
            if (out->wide)
                out->b16[i * F + f] = (uint16_t)b;
            else
                out->b8[i * F + f] = (uint8_t)b;
        }
    }
fail:
    if (fc)
        for (int64_t f = 0; f < F; f++)
            free(fc[f]);
    free(fc);
    free(nc);
    free(has_nan);
    free(vmin);
    free(vmax);
    for (int64_t f = 0; lut && f < F; f++)
        free(lut[f].bin);
    free(lut);
    if (st != CML_OK) gbm_binned_free(out);
    return st;
}
