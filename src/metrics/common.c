/*
 * common.c — what every metric shares: NumPy-order summation, weighted
 * means, input checks and label encoding.
 *
 * Summation: sum = sum over consecutive blocks B of 8192 values, in order, of
 * pairwise(B), where pairwise(x) of n values is a plain loop for n < 8, eight
 * interleaved accumulators combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))
 * plus a tail loop for n <= 128, and pairwise(x[:m]) + pairwise(x[m:]) with
 * m = n/2 rounded down to a multiple of 8 above. This is NumPy 1.24's
 * DOUBLE_pairwise_sum inside its 8192-element reduction buffers
 * (numpy/core/src/umath/loops_utils.h.src), so scikit-learn's np.sum,
 * np.mean and np.average results are reproduced bit for bit.
 * Complexity O(n), recursion depth O(log n). Thread-safe (no state).
 */
#include <math.h>
#include <string.h>

#include "metrics/metrics_internal.h"

#define NPY_BUFSIZE  8192 /* NumPy's default ufunc buffer size */
#define PW_BLOCKSIZE 128  /* NumPy's pairwise-sum leaf size */

/* a[i] or a[i] * b[i]: the product is rounded before it is summed, exactly
 * as np.multiply(a, b).sum() does (the build uses ISO C, so no FMA
 * contraction). */
static inline double term(const double *a, const double *b, int64_t i)
{
    return b ? a[i] * b[i] : a[i];
}

static double pairwise(const double *a, const double *b, int64_t n)
{
    if (n < 8) {
        double res = 0.;
        for (int64_t i = 0; i < n; i++)
            res += term(a, b, i);
        return res;
    }
    if (n <= PW_BLOCKSIZE) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = term(a, b, j);
        int64_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += term(a, b, i + j);
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += term(a, b, i);
        return res;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, b, n2) + pairwise(a + n2, b ? b + n2 : NULL, n - n2);
}

static double numpy_reduce(const double *a, const double *b, int64_t n)
{
    double res = 0.;
    for (int64_t s = 0; s < n; s += NPY_BUFSIZE) {
        int64_t len = CML_MIN(NPY_BUFSIZE, n - s);
        res += pairwise(a + s, b ? b + s : NULL, len);
    }
    return res;
}

double cml_m_sum(const double *a, int64_t n)
{
    return numpy_reduce(a, NULL, n);
}

double cml_m_dot(const double *a, const double *b, int64_t n)
{
    return numpy_reduce(a, b, n);
}

cml_status cml_m_average(const double *a, const double *w, int64_t n, const char *fn, double *out)
{
    if (!w) {
        *out = cml_m_sum(a, n) / (double)n;
        return CML_OK;
    }
    double scl = cml_m_sum(w, n);
    if (scl == 0.0)
        return cml_fail(CML_ERR_ARG,
                        "%s: sample_weight sums to zero, the weighted mean is undefined "
                        "(HINT: give at least one sample a nonzero weight)",
                        fn);
    *out = cml_m_dot(a, w, n) / scl;
    return CML_OK;
}

cml_status cml_m_check_finite(const double *a, int64_t n, const char *fn, const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(a[i]))
            return cml_fail(CML_ERR_ARG,
                            "%s: %s[%lld] is %s (HINT: remove or impute missing values)", fn, what,
                            (long long)i, isnan(a[i]) ? "NaN" : "infinite");
    }
    return CML_OK;
}

cml_status cml_m_check_inputs(const double *y_true, const double *b, int64_t n,
                              const double *sample_weight, const char *fn, const char *b_what)
{
    if (n <= 0) return cml_fail(CML_ERR_ARG, "%s: n must be >= 1, got %lld", fn, (long long)n);
    if (!y_true) return cml_fail(CML_ERR_ARG, "%s: y_true is NULL", fn);
    if (!b) return cml_fail(CML_ERR_ARG, "%s: %s is NULL", fn, b_what);
    CML_CHECK(cml_m_check_finite(y_true, n, fn, "y_true"));
    CML_CHECK(cml_m_check_finite(b, n, fn, b_what));
    if (sample_weight) CML_CHECK(cml_m_check_finite(sample_weight, n, fn, "sample_weight"));
    return CML_OK;
}

cml_status cml_m_check_classes(const double *classes, int64_t n_classes, int64_t min_classes,
                               const char *fn)
{
    if (!classes) return cml_fail(CML_ERR_ARG, "%s: classes is NULL", fn);
    if (n_classes < min_classes)
        return cml_fail(CML_ERR_ARG, "%s: n_classes must be >= %lld, got %lld", fn,
                        (long long)min_classes, (long long)n_classes);
    CML_CHECK(cml_m_check_finite(classes, n_classes, fn, "classes"));
    for (int64_t c = 1; c < n_classes; c++) {
        if (!(classes[c] > classes[c - 1]))
            return cml_fail(CML_ERR_ARG,
                            "%s: classes must be strictly increasing, but classes[%lld] = %.17g "
                            "follows %.17g (HINT: pass the model's sorted classes, the order of "
                            "the probability columns)",
                            fn, (long long)c, classes[c], classes[c - 1]);
    }
    return CML_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

cml_status cml_m_unique(const double *a, int64_t na, const double *b, int64_t nb, double **labels,
                        int64_t *n_labels)
{
    *labels = NULL;
    *n_labels = 0;
    int64_t nt = na + (b ? nb : 0);
    double *u = cml_alloc_array(nt, sizeof *u);
    if (!u) return CML_ERR_NOMEM;
    memcpy(u, a, (size_t)na * sizeof *u);
    if (b) memcpy(u + na, b, (size_t)nb * sizeof *u);
    qsort(u, (size_t)nt, sizeof *u, cmp_double);
    int64_t k = 0;
    for (int64_t i = 0; i < nt; i++) {
        /* == merges -0.0 and 0.0, like np.unique */
        if (k == 0 || u[i] != u[k - 1]) u[k++] = u[i];
    }
    *labels = u;
    *n_labels = k;
    return CML_OK;
}

int64_t cml_m_find_label(const double *labels, int64_t n, double v)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (labels[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < n && labels[lo] == v) ? lo : -1;
}

cml_status cml_m_encode(const double *y, int64_t n, const double *classes, int64_t n_classes,
                        int64_t *idx, const char *fn, const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        idx[i] = cml_m_find_label(classes, n_classes, y[i]);
        if (idx[i] < 0)
            return cml_fail(CML_ERR_ARG,
                            "%s: %s[%lld] = %.17g is not one of the %lld classes (HINT: classes "
                            "must list every label, as the model's classes do)",
                            fn, what, (long long)i, y[i], (long long)n_classes);
    }
    return CML_OK;
}
