/*
 * dist.h — exact distance kernels shared by src/cluster (k-means, region
 * queries). Eight independent partial sums, added in a fixed order at the
 * end: without -ffast-math the compiler may not reassociate a single
 * running sum, so this is what lets it vectorize (AVX2/AVX-512), and the
 * result is still the same on every run and thread count.
 */
#ifndef CML_CLUSTER_DIST_H
#define CML_CLUSTER_DIST_H

#include <math.h>
#include <stdint.h>

/* sum_j (a_j - b_j)^2 */
static inline double cml_sq_dist(const double *a, const double *b, int64_t p)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= p; j += 8)
        for (int u = 0; u < 8; u++) {
            double t = a[j + u] - b[j + u];
            s[u] += t * t;
        }
    double r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; j < p; j++)
        r += (a[j] - b[j]) * (a[j] - b[j]);
    return r;
}

/* sum_j |a_j - b_j| */
static inline double cml_l1_dist(const double *a, const double *b, int64_t p)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= p; j += 8)
        for (int u = 0; u < 8; u++)
            s[u] += fabs(a[j + u] - b[j + u]);
    double r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; j < p; j++)
        r += fabs(a[j] - b[j]);
    return r;
}

#endif
