/*
 * distance.h — distance kernels shared by neighbours, clustering and
 * embeddings (internal; never installed).
 *
 * Every metric has a "reduced distance" (rdist, scikit-learn's term): a
 * cheaper function with the same ordering as the distance, used inside
 * searches and converted once at the end:
 *   euclidean   rdist = sum_j (x_j - y_j)^2          dist = sqrt(rdist)
 *   sqeuclidean rdist = sum_j (x_j - y_j)^2          dist = rdist
 *   manhattan   rdist = sum_j |x_j - y_j|            dist = rdist
 *   minkowski p rdist = sum_j |x_j - y_j|^p          dist = rdist^(1/p)
 *   cosine      rdist = 1 - x.y / (|x| |y|)          dist = rdist, in [0, 2]
 * Single-pair kernels sum in feature order (j = 0, 1, ...), exactly as
 * scikit-learn's DistanceMetric and BinaryTree do, so a distance computed
 * here equals scikit-learn's tree distances bit for bit.
 *
 * cml_dist_pairwise is the block kernel: euclidean / sqeuclidean through one
 * dgemm (|x|^2 + |y|^2 - 2 x.y, clamped at 0: fast, not exact in the last
 * bits, as sklearn.metrics.pairwise.euclidean_distances), the others through
 * the single-pair kernels. Callers that need exact distances (neighbour
 * search) screen with the dgemm form and recompute the winners exactly.
 *
 * Thread-safety: all functions are pure (no state).
 */
#ifndef CML_DISTANCE_H
#define CML_DISTANCE_H

#include <math.h>
#include <stdint.h>

#include "core/internal.h"

typedef enum cml_dist_kind {
    CML_DIST_EUCLIDEAN = 0,
    CML_DIST_SQEUCLIDEAN,
    CML_DIST_MANHATTAN,
    CML_DIST_MINKOWSKI,
    CML_DIST_COSINE
} cml_dist_kind;

typedef struct cml_dist {
    cml_dist_kind kind;
    double p; /* minkowski only, p >= 1 */
} cml_dist;

/* Reduced distance between two d-vectors (see the table above). Cosine of a
 * zero vector is taken as similarity 0 (distance 1), as sklearn's
 * normalize() leaves zero rows at zero. */
static inline double cml_dist_rdist(const cml_dist *m, const double *x, const double *y, int64_t d)
{
    double s = 0.0;
    switch (m->kind) {
    case CML_DIST_EUCLIDEAN:
    case CML_DIST_SQEUCLIDEAN:
        for (int64_t j = 0; j < d; j++) {
            double t = x[j] - y[j];
            s += t * t;
        }
        return s;
    case CML_DIST_MANHATTAN:
        for (int64_t j = 0; j < d; j++)
            s += fabs(x[j] - y[j]);
        return s;
    case CML_DIST_MINKOWSKI:
        for (int64_t j = 0; j < d; j++)
            s += pow(fabs(x[j] - y[j]), m->p);
        return s;
    case CML_DIST_COSINE: {
        double xx = 0.0, yy = 0.0;
        for (int64_t j = 0; j < d; j++) {
            s += x[j] * y[j];
            xx += x[j] * x[j];
            yy += y[j] * y[j];
        }
        double nx = xx > 0.0 ? sqrt(xx) : 1.0, ny = yy > 0.0 ? sqrt(yy) : 1.0;
        double r = 1.0 - s / (nx * ny);
        return r < 0.0 ? 0.0 : (r > 2.0 ? 2.0 : r);
    }
    }
    return NAN;
}

/* rdist -> distance and back (monotone increasing maps). */
static inline double cml_dist_from_rdist(const cml_dist *m, double r)
{
    switch (m->kind) {
    case CML_DIST_EUCLIDEAN: return sqrt(r);
    case CML_DIST_MINKOWSKI: return pow(r, 1.0 / m->p);
    default: return r;
    }
}

static inline double cml_dist_to_rdist(const cml_dist *m, double dist)
{
    switch (m->kind) {
    case CML_DIST_EUCLIDEAN: return dist * dist;
    case CML_DIST_MINKOWSKI: return pow(dist, m->p);
    default: return dist;
    }
}

static inline double cml_dist_eval(const cml_dist *m, const double *x, const double *y, int64_t d)
{
    return cml_dist_from_rdist(m, cml_dist_rdist(m, x, y, d));
}

/* out[i] = sum_j X[i,j]^2 (rows of X), in feature order. */
void cml_dist_row_sqnorms(const cml_matrix *X, double *out);

/* Pairwise distances (not rdists): out[i * ld_out + j] = dist(X_i, Y_j),
 * out is (X->rows, Y->rows). Euclidean and sqeuclidean go through dgemm
 * with clamping at 0 (so results carry the usual cancellation error of that
 * expansion for nearly equal rows); the others are exact per pair. Parallel
 * over rows of X. Errors: CML_ERR_ARG on a column mismatch, CML_ERR_NOMEM. */
cml_status cml_dist_pairwise(const cml_dist *m, const cml_matrix *X, const cml_matrix *Y,
                             double *out, int64_t ld_out);

#endif /* CML_DISTANCE_H */
