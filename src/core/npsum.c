/*
 * npsum.c — see npsum.h. Shared by every estimator that must reproduce
 * numpy's rounding (naive Bayes, neighbours, trees).
 */
#include "core/npsum.h"

double cml_np_sum(const double *a, int64_t n)
{
    if (n < 8) {
        /* numpy starts from -0.0 so that a sum of -0.0 stays -0.0 */
        double res = -0.0;
        for (int64_t i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        int64_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return cml_np_sum(a, n2) + cml_np_sum(a + n2, n - n2);
}
