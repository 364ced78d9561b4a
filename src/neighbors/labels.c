/*
 * labels.c — see labels.h.
 */
#include <math.h>
#include <string.h>

#include "neighbors/labels.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

cml_status cml_labels_encode(const double *y, int64_t n, double **classes, int64_t *n_classes,
                             int32_t *codes)
{
    *classes = NULL;
    *n_classes = 0;
    if (n <= 0) return cml_fail(CML_ERR_ARG, "y is empty");
    double *s = cml_alloc_array(n, sizeof(double));
    if (!s) return CML_ERR_NOMEM;
    memcpy(s, y, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || s[i] != s[m - 1]) s[m++] = s[i];
    if (m > INT32_MAX) {
        free(s);
        return cml_fail(CML_ERR_ARG, "y has %lld distinct classes; at most %d are supported",
                        (long long)m, INT32_MAX);
    }
    double *c = cml_realloc(s, (size_t)m * sizeof(double));
    if (!c) {
        free(s);
        return CML_ERR_NOMEM;
    }
    if (codes)
        for (int64_t i = 0; i < n; i++)
            codes[i] = (int32_t)cml_labels_find(c, m, y[i]);
    *classes = c;
    *n_classes = m;
    return CML_OK;
}

int64_t cml_labels_find(const double *classes, int64_t n_classes, double v)
{
    int64_t lo = 0, hi = n_classes;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (classes[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n_classes && classes[lo] == v ? lo : -1;
}

/* cml_np_sum of exp(a[i] - m), without a temporary array. */
static double sum_exp_shift(const double *a, int64_t n, double m)
{
    if (n < 8) {
        double res = -0.0;
        for (int64_t i = 0; i < n; i++)
            res += exp(a[i] - m);
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = exp(a[j] - m);
        int64_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += exp(a[i + j] - m);
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += exp(a[i] - m);
        return res;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return sum_exp_shift(a, n2, m) + sum_exp_shift(a + n2, n - n2, m);
}

double cml_logsumexp(const double *a, int64_t n)
{
    double m = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        m = a[i] > m ? a[i] : m;
    if (!isfinite(m)) m = 0.0; /* scipy: a_max = 0 where it is not finite */
    return log(sum_exp_shift(a, n, m)) + m;
}
