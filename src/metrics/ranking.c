/*
 * ranking.c — metrics of scores rather than labels: the ROC curve, ROC AUC
 * (binary and one-vs-rest multiclass) and top-k accuracy.
 *
 * ROC (scikit-learn 1.2.1, sklearn/metrics/_ranking.py, _binary_clf_curve and
 * roc_curve): samples with zero weight are dropped, the rest sorted by
 * decreasing score (ties by decreasing index: the reversed stable argsort
 * scikit-learn uses, which fixes the order of the weighted cumulative sums);
 * at the last position of each run of equal scores the cumulative weights of
 * positives (tps) and negatives (fps) give one point. drop_intermediate
 * removes a point when both second differences of fps and tps are zero
 * (collinear neighbours); a point (0, 0) with threshold max score + 1 is
 * prepended; fpr = fps / fps[end], tpr = tps / tps[end].
 * AUC = sum_k (fpr[k+1] - fpr[k]) (tpr[k+1] + tpr[k]) / 2 (np.trapz), so a
 * run of tied scores contributes a straight segment: ties count one half,
 * which makes the AUC equal the Mann-Whitney U / (n_pos n_neg).
 * One-vs-rest: the binary AUC of (y == classes[c]) against column c, averaged
 * (macro: plain mean; weighted: by class weight; micro: one binary AUC of the
 * raveled indicator matrix against the raveled scores).
 * Top-k: a sample is a hit when its true class is among the k largest scores
 * of its row, ties ranking the larger class index first (reversed stable
 * argsort, as scikit-learn).
 *
 * Complexity: ROC O(n log n) (one sort), one-vs-rest O(L n log n), top-k
 * O(n L). Thread-safe.
 */
#include <math.h>
#include <string.h>

#include "metrics/metrics_internal.h"

/* ------------------------------------------------------------- ROC core */

typedef struct scored {
    double s;  /* score */
    int64_t i; /* original index, the tie-break */
} scored;

/* Decreasing score, ties by decreasing index: np.argsort(kind="mergesort")
 * reversed. A total order, so qsort's instability does not matter. */
static int cmp_desc(const void *pa, const void *pb)
{
    const scored *a = pa, *b = pb;
    if (a->s != b->s) return a->s < b->s ? 1 : -1;
    return (a->i < b->i) - (a->i > b->i);
}

/* The ROC points of sklearn's roc_curve(drop_intermediate=True): fps, tps
 * (cumulative weights) and thresholds, m of each, malloc'd as one block at
 * *fps (tps = *fps + m, thr = *fps + 2m), starting with (0, 0, max + 1). */
static cml_status roc_points(const double *y, double pos_label, const double *score, int64_t n,
                             const double *w, const char *fn, double **fps_out, int64_t *m_out)
{
    cml_status st = CML_OK;
    scored *o = cml_alloc_array(n, sizeof *o);
    double *f = NULL, *t = NULL, *th = NULL, *out = NULL;
    if (!o) return CML_ERR_NOMEM;
    int64_t nk = 0;
    for (int64_t i = 0; i < n; i++) {
        /* zero-weight samples would add thresholds without moving the curve */
        if (w && w[i] == 0.0) continue;
        o[nk].s = score[i];
        o[nk].i = i;
        nk++;
    }
    if (nk == 0) {
        st = cml_fail(CML_ERR_ARG, "%s: every sample_weight is zero", fn);
        goto fail;
    }
    qsort(o, (size_t)nk, sizeof *o, cmp_desc);
    /* one slot more than the most points for the prepended (0, 0) */
    f = cml_alloc_array(nk + 1, sizeof *f);
    t = cml_alloc_array(nk + 1, sizeof *t);
    th = cml_alloc_array(nk + 1, sizeof *th);
    if (!f || !t || !th) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    int64_t m = 0;
    double ctp = 0.0, cfp = 0.0;
    for (int64_t k = 0; k < nk; k++) {
        int64_t i = o[k].i;
        int is_pos = y[i] == pos_label;
        if (w) {
            /* stable_cumsum of y*w and (1-y)*w: sequential sums in order */
            ctp += is_pos ? w[i] : 0.0;
            cfp += is_pos ? 0.0 : w[i];
        } else {
            ctp += is_pos ? 1.0 : 0.0;
        }
        if (k == nk - 1 || o[k + 1].s != o[k].s) {
            t[m] = ctp;
            /* unweighted fps = 1 + k - tps, exact small integers */
            f[m] = w ? cfp : (double)(1 + k) - ctp;
            th[m] = o[k].s;
            m++;
        }
    }
    /* drop_intermediate: keep the ends and every corner, where np.diff(x, 2)
     * = (x[k+1] - x[k]) - (x[k] - x[k-1]) is nonzero for fps or tps */
    if (m > 2) {
        int64_t keep = 1;
        double fprev = f[0], tprev = t[0];
        for (int64_t k = 1; k < m - 1; k++) {
            double d2f = (f[k + 1] - f[k]) - (f[k] - fprev);
            double d2t = (t[k + 1] - t[k]) - (t[k] - tprev);
            fprev = f[k], tprev = t[k];
            if (d2f != 0.0 || d2t != 0.0) {
                f[keep] = f[k], t[keep] = t[k], th[keep] = th[k];
                keep++;
            }
        }
        f[keep] = f[m - 1], t[keep] = t[m - 1], th[keep] = th[m - 1];
        m = keep + 1;
    }
    out = cml_alloc_array(3 * (m + 1), sizeof *out);
    if (!out) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    double *of = out, *ot = out + (m + 1), *oth = out + 2 * (m + 1);
    of[0] = 0.0, ot[0] = 0.0, oth[0] = th[0] + 1.0;
    memcpy(of + 1, f, (size_t)m * sizeof *f);
    memcpy(ot + 1, t, (size_t)m * sizeof *t);
    memcpy(oth + 1, th, (size_t)m * sizeof *th);
    *fps_out = out;
    *m_out = m + 1;
fail:
    free(o);
    free(f);
    free(t);
    free(th);
    return st;
}

/* fps, tps -> fpr, tpr in place (sklearn divides by the last value). */
static cml_status roc_rates(double *fps, double *tps, int64_t m, const char *fn)
{
    double fl = fps[m - 1], tl = tps[m - 1];
    if (!(fl > 0.0))
        return cml_fail(CML_ERR_ARG,
                        "%s: y_true has no negative sample (with nonzero weight): the false "
                        "positive rate is undefined",
                        fn);
    if (!(tl > 0.0))
        return cml_fail(CML_ERR_ARG,
                        "%s: y_true has no positive sample (with nonzero weight): the true "
                        "positive rate is undefined",
                        fn);
    for (int64_t k = 0; k < m; k++) {
        fps[k] /= fl;
        tps[k] /= tl;
    }
    return CML_OK;
}

/* sklearn.metrics.auc: np.trapz(tpr, fpr), negated for a decreasing x. */
static cml_status trapezoid(const double *x, const double *y, int64_t m, const char *fn,
                            double *out)
{
    if (m < 2)
        return cml_fail(CML_ERR_ARG, "%s: at least 2 points are needed to compute an area", fn);
    int any_neg = 0, all_nonpos = 1;
    for (int64_t k = 0; k + 1 < m; k++) {
        double dx = x[k + 1] - x[k];
        any_neg |= dx < 0.0;
        all_nonpos &= dx <= 0.0;
    }
    double direction = 1.0;
    if (any_neg) {
        if (!all_nonpos)
            return cml_fail(CML_ERR_ARG,
                            "%s: the false positive rate is neither increasing nor decreasing "
                            "(HINT: negative sample weights?)",
                            fn);
        direction = -1.0;
    }
    double *terms = cml_alloc_array(m - 1, sizeof *terms);
    if (!terms) return CML_ERR_NOMEM;
    for (int64_t k = 0; k + 1 < m; k++)
        terms[k] = (x[k + 1] - x[k]) * (y[k + 1] + y[k]) / 2.0;
    *out = direction * cml_m_sum(terms, m - 1);
    free(terms);
    return CML_OK;
}

cml_status cml_m_binary_auc(const double *y01, const double *score, int64_t n,
                            const double *sample_weight, const char *fn, double *out)
{
    int has0 = 0, has1 = 0;
    for (int64_t i = 0; i < n; i++) {
        has0 |= y01[i] == 0.0;
        has1 |= y01[i] == 1.0;
    }
    if (!has0 || !has1)
        return cml_fail(CML_ERR_ARG,
                        "%s: only one class present in y_true, ROC AUC is not "
                        "defined in that case",
                        fn);
    double *pts = NULL;
    int64_t m = 0;
    CML_CHECK(roc_points(y01, 1.0, score, n, sample_weight, fn, &pts, &m));
    cml_status st = roc_rates(pts, pts + m, m, fn);
    if (st == CML_OK) st = trapezoid(pts, pts + m, m, fn, out);
    free(pts);
    return st;
}

/* ------------------------------------------------------------- public ROC */

cml_status cml_roc_curve(const double *y_true, const double *score, int64_t n,
                         const double *sample_weight, double pos_label, double **fpr, double **tpr,
                         double **thresholds, int64_t *n_points)
{
    static const char fn[] = "roc_curve";
    if (!fpr || !tpr || !thresholds || !n_points)
        return cml_fail(CML_ERR_ARG, "%s: fpr, tpr, thresholds and n_points must not be NULL", fn);
    *fpr = *tpr = *thresholds = NULL;
    *n_points = 0;
    CML_CHECK(cml_m_check_inputs(y_true, score, n, sample_weight, fn, "score"));
    if (!isfinite(pos_label)) return cml_fail(CML_ERR_ARG, "%s: pos_label must be finite", fn);
    double *pts = NULL;
    int64_t m = 0;
    CML_CHECK(roc_points(y_true, pos_label, score, n, sample_weight, fn, &pts, &m));
    cml_status st = roc_rates(pts, pts + m, m, fn);
    double *a = NULL, *b = NULL, *c = NULL;
    if (st == CML_OK) {
        a = cml_alloc_array(m, sizeof *a);
        b = cml_alloc_array(m, sizeof *b);
        c = cml_alloc_array(m, sizeof *c);
        if (!a || !b || !c) st = CML_ERR_NOMEM;
    }
    if (st != CML_OK) {
        free(a);
        free(b);
        free(c);
        free(pts);
        return st;
    }
    memcpy(a, pts, (size_t)m * sizeof *a);
    memcpy(b, pts + m, (size_t)m * sizeof *b);
    memcpy(c, pts + 2 * m, (size_t)m * sizeof *c);
    free(pts);
    *fpr = a, *tpr = b, *thresholds = c;
    *n_points = m;
    return CML_OK;
}

cml_status cml_roc_auc(const double *y_true, const double *score, int64_t n,
                       const double *sample_weight, double *out)
{
    static const char fn[] = "roc_auc";
    CML_CHECK(cml_m_check_inputs(y_true, score, n, sample_weight, fn, "score"));
    double lo = y_true[0], hi = y_true[0];
    for (int64_t i = 1; i < n; i++) {
        if (y_true[i] != lo && y_true[i] != hi) {
            if (lo != hi)
                return cml_fail(CML_ERR_ARG,
                                "%s: y_true holds more than two labels (%.17g, %.17g, %.17g...) "
                                "(HINT: use cml_roc_auc_ovr with a probability matrix for "
                                "multiclass targets)",
                                fn, lo, hi, y_true[i]);
            if (y_true[i] < lo)
                lo = y_true[i];
            else
                hi = y_true[i];
        }
    }
    if (lo == hi)
        return cml_fail(CML_ERR_ARG,
                        "%s: only one class present in y_true, ROC AUC is not "
                        "defined in that case",
                        fn);
    /* label_binarize: the larger label is the positive class */
    double *y01 = cml_alloc_array(n, sizeof *y01);
    if (!y01) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        y01[i] = y_true[i] == hi ? 1.0 : 0.0;
    cml_status st = cml_m_binary_auc(y01, score, n, sample_weight, fn, out);
    free(y01);
    return st;
}

/* ------------------------------------------------------------- one-vs-rest */

/* numpy.allclose(1, row sums): |1 - s| <= 1e-8 + 1e-5 |s| for every row. */
static cml_status check_rows_sum_to_one(const double *proba, int64_t n, int64_t L, const char *fn)
{
    for (int64_t i = 0; i < n; i++) {
        double s = cml_m_sum(proba + i * L, L);
        if (!(fabs(1.0 - s) <= 1e-8 + 1e-5 * fabs(s)))
            return cml_fail(CML_ERR_ARG,
                            "%s: row %lld of proba sums to %.17g; one-vs-rest ROC AUC needs "
                            "probabilities summing to 1 over the classes",
                            fn, (long long)i, s);
    }
    return CML_OK;
}

/* average="micro": one binary problem over the raveled (row-major)
 * indicator matrix against the raveled scores, each sample's weight repeated
 * L times (np.repeat), as _average_binary_score does. */
static cml_status ovr_micro(const int64_t *t, const double *proba, int64_t n, int64_t L,
                            const double *sample_weight, const char *fn, double *out)
{
    cml_status st = CML_ERR_NOMEM;
    double *y01 = cml_alloc_array(n * L, sizeof *y01);
    double *rep_w = sample_weight ? cml_alloc_array(n * L, sizeof *rep_w) : NULL;
    if (y01 && (!sample_weight || rep_w)) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < L; c++) {
                y01[i * L + c] = t[i] == c ? 1.0 : 0.0;
                if (rep_w) rep_w[i * L + c] = sample_weight[i];
            }
        st = cml_m_binary_auc(y01, proba, n * L, rep_w, fn, out);
    }
    free(y01);
    free(rep_w);
    return st;
}

cml_status cml_roc_auc_ovr(const double *y_true, const double *proba, int64_t n,
                           const double *classes, int64_t n_classes, const double *sample_weight,
                           cml_average average, double *out)
{
    static const char fn[] = "roc_auc_ovr";
    cml_status st;
    int64_t *t = NULL;
    double *buf = NULL;
    CML_CHECK(cml_m_check_inputs(y_true, proba, n, sample_weight, fn, "proba"));
    if (n_classes == 2)
        return cml_fail(CML_ERR_ARG,
                        "%s: n_classes is 2 (HINT: use cml_roc_auc with the "
                        "probability of classes[1], column 1 of proba)",
                        fn);
    CML_CHECK(cml_m_check_classes(classes, n_classes, 3, fn));
    if (average != CML_AVERAGE_MACRO && average != CML_AVERAGE_WEIGHTED &&
        average != CML_AVERAGE_MICRO)
        return cml_fail(CML_ERR_ARG,
                        "%s: average must be macro, weighted or micro for multiclass ROC AUC, "
                        "got %s",
                        fn, cml_average_name(average));
    const int64_t L = n_classes;
    if (n > INT64_MAX / L)
        return cml_fail(CML_ERR_NOMEM, "%s: proba of %lld x %lld is too large", fn, (long long)n,
                        (long long)L);
    CML_CHECK(cml_m_check_finite(proba, n * L, fn, "proba"));
    CML_CHECK(check_rows_sum_to_one(proba, n, L, fn));
    t = cml_alloc_array(n, sizeof *t);
    if (!t) return CML_ERR_NOMEM;
    CML_TRY(cml_m_encode(y_true, n, classes, L, t, fn, "y_true"));

    if (average == CML_AVERAGE_MICRO) {
        st = ovr_micro(t, proba, n, L, sample_weight, fn, out);
        goto fail;
    }

    /* y01 and score of one class, then per-class AUC and class weights */
    buf = cml_alloc_array(2 * n + 2 * L, sizeof *buf);
    if (!buf) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    double *y01 = buf, *col = buf + n, *auc = buf + 2 * n, *cw = buf + 2 * n + L;
    memset(cw, 0, (size_t)L * sizeof *cw);
    for (int64_t i = 0; i < n; i++)
        cw[t[i]] += sample_weight ? sample_weight[i] : 1.0;
    for (int64_t c = 0; c < L; c++) {
        for (int64_t i = 0; i < n; i++) {
            y01[i] = t[i] == c ? 1.0 : 0.0;
            col[i] = proba[i * L + c];
        }
        st = cml_m_binary_auc(y01, col, n, sample_weight, fn, &auc[c]);
        if (st != CML_OK) {
            cml_fail_context(st, "class %.17g (column %lld)", classes[c], (long long)c);
            goto fail;
        }
    }
    if (average == CML_AVERAGE_MACRO) {
        *out = cml_m_sum(auc, L) / (double)L;
    } else {
        /* weighted by the (weighted) prevalence of each class */
        if (fabs(cml_m_sum(cw, L)) <= 1e-8) {
            *out = 0.0;
        } else {
            for (int64_t c = 0; c < L; c++)
                if (cw[c] == 0.0) auc[c] = 0.0;
            CML_TRY(cml_m_average(auc, cw, L, fn, out));
        }
    }
    st = CML_OK;
fail:
    free(t);
    free(buf);
    return st;
}

/* ------------------------------------------------------------- top-k */

cml_status cml_top_k_accuracy(const double *y_true, const double *score, int64_t n,
                              const double *classes, int64_t n_classes, int k,
                              const double *sample_weight, double *out)
{
    static const char fn[] = "top_k_accuracy";
    cml_status st;
    CML_CHECK(cml_m_check_inputs(y_true, score, n, sample_weight, fn, "score"));
    CML_CHECK(cml_m_check_classes(classes, n_classes, 2, fn));
    if (k < 1) return cml_fail(CML_ERR_ARG, "%s: k must be >= 1, got %d", fn, k);
    const int64_t L = n_classes;
    if (n > INT64_MAX / L)
        return cml_fail(CML_ERR_NOMEM, "%s: score of %lld x %lld is too large", fn, (long long)n,
                        (long long)L);
    CML_CHECK(cml_m_check_finite(score, n * L, fn, "score"));
    if (k >= L)
        cml_log(CML_LOG_WARN,
                "%s: k (%d) >= n_classes (%lld) gives a perfect score and is meaningless", fn, k,
                (long long)L);
    int64_t *t = cml_alloc_array(n, sizeof *t);
    double *hit = cml_alloc_array(n, sizeof *hit);
    if (!t || !hit) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_m_encode(y_true, n, classes, L, t, fn, "y_true"));
    if (L == 2) {
        /* scikit-learn's binary path: the score of classes[1] alone,
         * thresholded at 0.5 for probabilities and 0 for decision values */
        double lo = score[1], hi = score[1];
        for (int64_t i = 0; i < n; i++) {
            lo = CML_MIN(lo, score[i * 2 + 1]);
            hi = CML_MAX(hi, score[i * 2 + 1]);
        }
        double thr = lo >= 0.0 && hi <= 1.0 ? 0.5 : 0.0;
        for (int64_t i = 0; i < n; i++) {
            int64_t pred = score[i * 2 + 1] > thr;
            hit[i] = k >= 2 || pred == t[i] ? 1.0 : 0.0;
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            const double *s = score + i * L;
            double s_true = s[t[i]];
            /* rank of the true class: classes scored higher, or tied with a
             * larger index, come first */
            int64_t ahead = 0;
            for (int64_t c = 0; c < L; c++)
                ahead += s[c] > s_true || (s[c] == s_true && c > t[i]);
            hit[i] = ahead < k ? 1.0 : 0.0;
        }
    }
    if (sample_weight) {
        CML_TRY(cml_m_average(hit, sample_weight, n, fn, out));
    } else {
        /* np.average of booleans: an exact count over n */
        int64_t h = 0;
        for (int64_t i = 0; i < n; i++)
            h += hit[i] != 0.0;
        *out = (double)h / (double)n;
        st = CML_OK;
    }
fail:
    free(t);
    free(hit);
    return st;
}
