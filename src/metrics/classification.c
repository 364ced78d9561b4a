/*
 * classification.c — label-based classification metrics: accuracy, balanced
 * accuracy, precision / recall / F1 (binary, micro, macro, weighted),
 * confusion matrix, and log loss from probabilities.
 *
 * Definitions (scikit-learn 1.2.1, sklearn/metrics/_classification.py), with
 * w_i the sample weights (1 when absent) and labels the sorted union of
 * y_true and y_pred:
 *   accuracy          = sum_i w_i [t_i = p_i] / sum_i w_i
 *   balanced accuracy = mean over classes c present in y_true of C[c,c] / sum_k C[c,k]
 *   per label c: tp_c = sum w [t = p = c], pred_c = sum w [p = c], true_c = sum w [t = c]
 *   precision_c = tp_c / pred_c, recall_c = tp_c / true_c (0 with a warning
 *   when the denominator is 0: zero_division="warn"), f1_c = 2 P R / (P + R)
 *   micro: the same on the label sums; macro: mean over labels; weighted:
 *   mean weighted by true_c; binary: the label pos_label alone.
 *   log loss = mean_i -log(q[i, t_i]), q = clip(p, eps, 1-eps) renormalized
 *   per row, eps = DBL_EPSILON (eps="auto" in 1.2.1).
 * Every intermediate is formed in scikit-learn's order (per-label counts
 * accumulated in sample order like np.bincount, pred_c rebuilt as
 * tp + (pred - tp) as multilabel_confusion_matrix does, means in NumPy's
 * pairwise order), so results match to the last bit in practice.
 *
 * Complexity: O(n log L) for n samples and L labels (binary search per
 * label), O(L^2) memory for the confusion matrix. Thread-safe.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "metrics/metrics_internal.h"

const char *cml_average_name(cml_average avg)
{
    switch (avg) {
    case CML_AVERAGE_BINARY: return "binary";
    case CML_AVERAGE_MICRO: return "micro";
    case CML_AVERAGE_MACRO: return "macro";
    case CML_AVERAGE_WEIGHTED: return "weighted";
    }
    return "unknown";
}

/* Labels = sorted union of y_true and y_pred; t[i], p[i] their indices. */
static cml_status encode_pair(const double *y_true, const double *y_pred, int64_t n,
                              double **labels, int64_t *n_labels, int64_t **t, int64_t **p)
{
    *t = *p = NULL;
    cml_status st = cml_m_unique(y_true, n, y_pred, n, labels, n_labels);
    if (st != CML_OK) return st;
    /* the confusion matrix has n_labels^2 cells: keep that product in range */
    if (*n_labels > INT32_MAX) {
        free(*labels);
        *labels = NULL;
        return cml_fail(CML_ERR_NOMEM, "%lld distinct labels are too many for a confusion matrix",
                        (long long)*n_labels);
    }
    *t = cml_alloc_array(n, sizeof **t);
    *p = cml_alloc_array(n, sizeof **p);
    if (!*t || !*p) {
        free(*labels);
        free(*t);
        free(*p);
        *labels = NULL;
        *t = *p = NULL;
        return CML_ERR_NOMEM;
    }
    /* every value is in the union: cml_m_encode cannot fail here */
    cml_m_encode(y_true, n, *labels, *n_labels, *t, "", "");
    cml_m_encode(y_pred, n, *labels, *n_labels, *p, "", "");
    return CML_OK;
}

/* ------------------------------------------------------------- accuracy */

cml_status cml_accuracy(const double *y_true, const double *y_pred, int64_t n,
                        const double *sample_weight, double *out)
{
    static const char fn[] = "accuracy";
    CML_CHECK(cml_m_check_inputs(y_true, y_pred, n, sample_weight, fn, "y_pred"));
    if (!sample_weight) {
        int64_t hits = 0;
        for (int64_t i = 0; i < n; i++)
            hits += y_true[i] == y_pred[i];
        *out = (double)hits / (double)n;
        return CML_OK;
    }
    double *hit = cml_alloc_array(n, sizeof *hit);
    if (!hit) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        hit[i] = y_true[i] == y_pred[i] ? 1.0 : 0.0;
    cml_status st = cml_m_average(hit, sample_weight, n, fn, out);
    free(hit);
    return st;
}

/* ------------------------------------------------------------- confusion matrix */

/* (weighted) counts C[t, p], accumulated in sample order like scipy's
 * coo_matrix.toarray() and np.bincount. */
static void count_matrix(const int64_t *t, const int64_t *p, int64_t n, const double *w, int64_t L,
                         double *C)
{
    memset(C, 0, (size_t)(L * L) * sizeof *C);
    for (int64_t i = 0; i < n; i++)
        C[t[i] * L + p[i]] += w ? w[i] : 1.0;
}

cml_status cml_confusion_matrix(const double *y_true, const double *y_pred, int64_t n,
                                const double *sample_weight, double **labels, int64_t *n_labels,
                                double **matrix)
{
    static const char fn[] = "confusion_matrix";
    cml_status st;
    int64_t *t = NULL, *p = NULL;
    if (!labels || !n_labels || !matrix)
        return cml_fail(CML_ERR_ARG, "%s: labels, n_labels and matrix must not be NULL", fn);
    *labels = NULL;
    *matrix = NULL;
    *n_labels = 0;
    CML_CHECK(cml_m_check_inputs(y_true, y_pred, n, sample_weight, fn, "y_pred"));
    CML_TRY(encode_pair(y_true, y_pred, n, labels, n_labels, &t, &p));
    int64_t L = *n_labels;
    *matrix = cml_alloc_array(L * L, sizeof **matrix);
    if (!*matrix) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    count_matrix(t, p, n, sample_weight, L, *matrix);
    free(t);
    free(p);
    return CML_OK;
fail:
    free(t);
    free(p);
    free(*labels);
    *labels = NULL;
    *n_labels = 0;
    return st;
}

/* ------------------------------------------------------------- balanced accuracy */

cml_status cml_balanced_accuracy(const double *y_true, const double *y_pred, int64_t n,
                                 const double *sample_weight, double *out)
{
    static const char fn[] = "balanced_accuracy";
    cml_status st;
    double *labels = NULL, *C = NULL, *per_class = NULL;
    int64_t *t = NULL, *p = NULL, L = 0;
    CML_CHECK(cml_m_check_inputs(y_true, y_pred, n, sample_weight, fn, "y_pred"));
    CML_TRY(encode_pair(y_true, y_pred, n, &labels, &L, &t, &p));
    C = cml_alloc_array(L * L, sizeof *C);
    per_class = cml_alloc_array(L, sizeof *per_class);
    if (!C || !per_class) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    count_matrix(t, p, n, sample_weight, L, C);
    int64_t k = 0;
    for (int64_t c = 0; c < L; c++) {
        /* a label never true has recall 0/0 = NaN and is dropped, with
         * scikit-learn's warning */
        double r = C[c * L + c] / cml_m_sum(C + c * L, L);
        if (isnan(r)) continue;
        per_class[k++] = r;
    }
    if (k < L) cml_log(CML_LOG_WARN, "%s: y_pred contains classes not in y_true", fn);
    if (k == 0) {
        st = cml_fail(CML_ERR_ARG, "%s: no class of y_true has a nonzero total weight", fn);
        goto fail;
    }
    *out = cml_m_sum(per_class, k) / (double)k;
    st = CML_OK;
fail:
    free(labels);
    free(C);
    free(per_class);
    free(t);
    free(p);
    return st;
}

/* ------------------------------------------------------------- precision / recall / F1 */

/* tp / denom, or 0 with zero_division="warn" semantics; *ill set when any
 * denominator was zero. */
static double prf_divide(double tp, double denom, int *ill)
{
    if (denom == 0.0) {
        *ill = 1;
        return 0.0;
    }
    return tp / denom;
}

static double fscore(double precision, double recall)
{
    /* sklearn: (1 + beta^2) P R / (beta^2 P + R) with beta = 1, in that
     * order, and 0 when the denominator is 0 */
    double denom = 1.0 * precision + recall;
    if (denom == 0.0) denom = 1.0;
    return (1.0 + 1.0) * precision * recall / denom;
}

cml_status cml_precision_recall_f1(const double *y_true, const double *y_pred, int64_t n,
                                   const double *sample_weight, cml_average average,
                                   double pos_label, double *precision, double *recall, double *f1)
{
    static const char fn[] = "precision_recall_f1";
    cml_status st;
    double *labels = NULL, *buf = NULL;
    int64_t *t = NULL, *p = NULL, L = 0;
    if ((unsigned)average > CML_AVERAGE_WEIGHTED)
        return cml_fail(CML_ERR_ARG,
                        "%s: average must be binary, micro, macro or weighted (got %d)", fn,
                        (int)average);
    CML_CHECK(cml_m_check_inputs(y_true, y_pred, n, sample_weight, fn, "y_pred"));
    CML_TRY(encode_pair(y_true, y_pred, n, &labels, &L, &t, &p));

    /* The labels scored: all present ones, or only pos_label for binary
     * (which may be absent when a single label is present: it then scores 0
     * everywhere, as in scikit-learn). */
    int64_t pos = -1, nsel = L;
    if (average == CML_AVERAGE_BINARY) {
        if (L > 2) {
            st = cml_fail(CML_ERR_ARG,
                          "%s: y_true and y_pred hold %lld distinct labels but average='binary' "
                          "(HINT: choose average micro, macro or weighted for multiclass targets)",
                          fn, (long long)L);
            goto fail;
        }
        pos = cml_m_find_label(labels, L, pos_label);
        if (pos < 0 && L == 2) {
            st = cml_fail(CML_ERR_ARG,
                          "%s: pos_label=%.17g is not a valid label, it should be "
                          "%.17g or %.17g",
                          fn, pos_label, labels[0], labels[1]);
            goto fail;
        }
        nsel = 1;
    }
    /* tp, pred, true sums (per label) then the scores, in one buffer */
    buf = cml_calloc((size_t)(6 * L), sizeof *buf);
    if (!buf) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    double *tp = buf, *ps = buf + L, *ts = buf + 2 * L;
    double *P = buf + 3 * L, *R = buf + 4 * L, *F = buf + 5 * L;
    for (int64_t i = 0; i < n; i++) {
        double w = sample_weight ? sample_weight[i] : 1.0;
        if (t[i] == p[i]) tp[t[i]] += w;
        ps[p[i]] += w;
        ts[t[i]] += w;
    }
    if (average == CML_AVERAGE_BINARY) {
        double a = pos >= 0 ? tp[pos] : 0.0, b = pos >= 0 ? ps[pos] : 0.0;
        double c = pos >= 0 ? ts[pos] : 0.0;
        tp[0] = a, ps[0] = b, ts[0] = c;
    }
    /* multilabel_confusion_matrix stores fp = pred - tp and fn = true - tp,
     * and precision_recall_fscore_support adds tp back: keep that rounding */
    for (int64_t c = 0; c < nsel; c++) {
        ps[c] = tp[c] + (ps[c] - tp[c]);
        ts[c] = tp[c] + (ts[c] - tp[c]);
    }
    if (average == CML_AVERAGE_MICRO) {
        double a = cml_m_sum(tp, L), b = cml_m_sum(ps, L), c = cml_m_sum(ts, L);
        tp[0] = a, ps[0] = b, ts[0] = c;
        nsel = 1;
    }
    int ill_p = 0, ill_r = 0;
    for (int64_t c = 0; c < nsel; c++) {
        P[c] = prf_divide(tp[c], ps[c], &ill_p);
        R[c] = prf_divide(tp[c], ts[c], &ill_r);
        F[c] = fscore(P[c], R[c]);
    }
    if (ill_p)
        cml_log(CML_LOG_WARN,
                "%s: precision is ill-defined and set to 0.0 for labels with no predicted "
                "samples (average=%s)",
                fn, cml_average_name(average));
    if (ill_r)
        cml_log(CML_LOG_WARN,
                "%s: recall is ill-defined and set to 0.0 for labels with no true samples "
                "(average=%s)",
                fn, cml_average_name(average));

    double pr, rc, f;
    if (average == CML_AVERAGE_WEIGHTED) {
        double wsum = cml_m_sum(ts, L);
        if (wsum == 0.0) {
            /* no true sample has weight: every score is zero_division = 0 */
            pr = rc = f = 0.0;
        } else {
            pr = cml_m_dot(P, ts, L) / wsum;
            rc = cml_m_dot(R, ts, L) / wsum;
            f = cml_m_dot(F, ts, L) / wsum;
        }
    } else if (average == CML_AVERAGE_MACRO) {
        pr = cml_m_sum(P, L) / (double)L;
        rc = cml_m_sum(R, L) / (double)L;
        f = cml_m_sum(F, L) / (double)L;
    } else {
        pr = P[0], rc = R[0], f = F[0];
    }
    if (precision) *precision = pr;
    if (recall) *recall = rc;
    if (f1) *f1 = f;
    st = CML_OK;
fail:
    free(labels);
    free(buf);
    free(t);
    free(p);
    return st;
}

/* ------------------------------------------------------------- log loss */

cml_status cml_log_loss(const double *y_true, const double *proba, int64_t n, const double *classes,
                        int64_t n_classes, const double *sample_weight, double *out)
{
    static const char fn[] = "log_loss";
    cml_status st;
    int64_t *t = NULL;
    double *loss = NULL, *row = NULL;
    CML_CHECK(cml_m_check_inputs(y_true, proba, n, sample_weight, fn, "proba"));
    CML_CHECK(cml_m_check_classes(classes, n_classes, 2, fn));
    if (n > INT64_MAX / n_classes)
        return cml_fail(CML_ERR_NOMEM, "%s: proba of %lld x %lld is too large", fn, (long long)n,
                        (long long)n_classes);
    CML_CHECK(cml_m_check_finite(proba, n * n_classes, fn, "proba"));
    t = cml_alloc_array(n, sizeof *t);
    loss = cml_alloc_array(n, sizeof *loss);
    row = cml_alloc_array(n_classes, sizeof *row);
    if (!t || !loss || !row) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_m_encode(y_true, n, classes, n_classes, t, fn, "y_true"));
    /* eps="auto" is np.finfo(float64).eps in 1.2.1 (1e-15 before) */
    const double eps = DBL_EPSILON, hi = 1.0 - DBL_EPSILON;
    for (int64_t i = 0; i < n; i++) {
        const double *pi = proba + i * n_classes;
        for (int64_t c = 0; c < n_classes; c++) {
            double v = pi[c] < eps ? eps : pi[c];
            row[c] = v > hi ? hi : v;
        }
        /* renormalize the clipped row, as scikit-learn does, so the loss of
         * an unnormalized row is that of its normalized probabilities */
        loss[i] = -log(row[t[i]] / cml_m_sum(row, n_classes));
    }
    CML_TRY(cml_m_average(loss, sample_weight, n, fn, out));
fail:
    free(t);
    free(loss);
    free(row);
    return st;
}
