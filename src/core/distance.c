/*
 * distance.c — block distance kernels (see distance.h).
 *
 * Squared euclidean between row sets: D = |x|^2 1' + 1 |y|^2' - 2 X Y'
 * with one dgemm per call, clamped at 0 because cancellation can make a
 * tiny true distance slightly negative (sklearn's euclidean_distances does
 * the same). Cost O(nx ny d) at BLAS speed; the other metrics are O(nx ny d)
 * scalar loops, parallel over rows of X.
 *
 * Thread-safety: pure functions; scratch is allocated per call.
 */
#include <cblas.h>
#include <string.h>

#include "core/distance.h"

void cml_dist_row_sqnorms(const cml_matrix *X, double *out)
{
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = X->data + i * X->ld;
        double s = 0.0;
        for (int64_t j = 0; j < X->cols; j++)
            s += r[j] * r[j];
        out[i] = s;
    }
}

static cml_status pairwise_gemm(const cml_dist *m, const cml_matrix *X, const cml_matrix *Y,
                                double *out, int64_t ld_out)
{
    double *xn = cml_alloc_array(X->rows, sizeof(double));
    double *yn = cml_alloc_array(Y->rows, sizeof(double));
    if (!xn || !yn) {
        free(xn);
        free(yn);
        return CML_ERR_NOMEM;
    }
    cml_dist_row_sqnorms(X, xn);
    cml_dist_row_sqnorms(Y, yn);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)X->rows, (int)Y->rows, (int)X->cols,
                -2.0, X->data, (int)X->ld, Y->data, (int)Y->ld, 0.0, out, (int)ld_out);
    int sq = m->kind == CML_DIST_SQEUCLIDEAN;
#pragma omp parallel for CML_OMP_THREADS
    for (int64_t i = 0; i < X->rows; i++) {
        double *o = out + i * ld_out;
        for (int64_t j = 0; j < Y->rows; j++) {
            double v = o[j] + xn[i] + yn[j];
            v = v > 0.0 ? v : 0.0;
            o[j] = sq ? v : sqrt(v);
        }
    }
    free(xn);
    free(yn);
    return CML_OK;
}

cml_status cml_dist_pairwise(const cml_dist *m, const cml_matrix *X, const cml_matrix *Y,
                             double *out, int64_t ld_out)
{
    if (X->cols != Y->cols)
        return cml_fail(CML_ERR_ARG, "pairwise distances: X has %lld columns, Y has %lld",
                        (long long)X->cols, (long long)Y->cols);
    if (ld_out < Y->rows)
        return cml_fail(CML_ERR_ARG, "pairwise distances: ld_out %lld < %lld", (long long)ld_out,
                        (long long)Y->rows);
    if (m->kind == CML_DIST_EUCLIDEAN || m->kind == CML_DIST_SQEUCLIDEAN)
        return pairwise_gemm(m, X, Y, out, ld_out);
#pragma omp parallel for schedule(dynamic, 8) CML_OMP_THREADS
    for (int64_t i = 0; i < X->rows; i++) {
        const double *x = X->data + i * X->ld;
        for (int64_t j = 0; j < Y->rows; j++)
            out[i * ld_out + j] = cml_dist_eval(m, x, Y->data + j * Y->ld, X->cols);
    }
    return CML_OK;
}
