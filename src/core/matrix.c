/*
 * matrix.c — validation of borrowed dense and CSR views, done once at the
 * API boundary so algorithm code can trust its inputs; the dense product
 * X·Wᵀ that linear predictors share.
 */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "core/internal.h"

/* Below this many cells a scan or product takes well under a millisecond
 * and waking OpenMP workers costs more than it saves. */
#define PAR_SCAN_CELLS (1 << 20)
#define PAR_MUL_CELLS  (1 << 18)

/* 1 if any of r[0..n) is NaN or infinite. Branch-free over the IEEE
 * exponent bits (all ones = inf/NaN) with an integer OR-reduction, which the
 * compiler vectorizes; isfinite() in the loop would not. This scan runs on
 * every fit and predict (in the generic layer and again in typed APIs), so
 * it has to cost no more than one pass over memory. */
static int row_has_nonfinite(const double *r, int64_t n)
{
    const uint64_t exp_mask = 0x7ff0000000000000ULL;
    uint64_t bad = 0;
    for (int64_t j = 0; j < n; j++) {
        uint64_t u;
        memcpy(&u, &r[j], sizeof u);
        bad |= (uint64_t)((u & exp_mask) == exp_mask);
    }
    return bad != 0;
}

cml_status cml_matrix_check(const cml_matrix *m, const char *what, int allow_nonfinite)
{
    if (!m) return cml_fail(CML_ERR_ARG, "%s is NULL", what);
    if (m->rows <= 0 || m->cols <= 0)
        return cml_fail(CML_ERR_ARG, "%s has shape (%lld, %lld); need at least one row and column",
                        what, (long long)m->rows, (long long)m->cols);
    if (m->ld < m->cols)
        return cml_fail(CML_ERR_ARG, "%s: leading dimension %lld < cols %lld", what,
                        (long long)m->ld, (long long)m->cols);
    if (!m->data) return cml_fail(CML_ERR_ARG, "%s has no data", what);
    if (allow_nonfinite) return CML_OK;
    /* The scan reads all of X; on large inputs it is parallel (any order
     * finds the same answer: whether a bad cell exists), and only then does
     * the serial pass below name the first one. */
    int bad = 0;
    const int64_t rows = m->rows;
#pragma omp parallel for schedule(static) reduction(|                                              \
                                                    : bad) if (rows * m->cols >= PAR_SCAN_CELLS)   \
    CML_OMP_THREADS
    for (int64_t i = 0; i < rows; i++)
        bad |= row_has_nonfinite(m->data + i * m->ld, m->cols);
    if (!bad) return CML_OK;
    for (int64_t i = 0; i < m->rows; i++) {
        const double *r = m->data + i * m->ld;
        if (!row_has_nonfinite(r, m->cols)) continue;
        /* slow path only to name the first bad cell */
        for (int64_t j = 0; j < m->cols; j++)
            if (!isfinite(r[j]))
                return cml_fail(
                    CML_ERR_ARG,
                    "%s row %lld, column %lld is %s; this estimator needs finite "
                    "values. HINT: use --prep impute=mean (or median) for missing values",
                    what, (long long)i + 1, (long long)j + 1,
                    isnan(r[j]) ? "NaN (missing)" : "infinite");
    }
    return CML_OK;
}

cml_status cml_csr_check(const cml_csr *m, const char *what)
{
    if (!m || !m->indptr) return cml_fail(CML_ERR_ARG, "%s is NULL", what);
    if (m->rows <= 0 || m->cols <= 0 || m->nnz < 0)
        return cml_fail(CML_ERR_ARG, "%s has shape (%lld, %lld)", what, (long long)m->rows,
                        (long long)m->cols);
    if (m->indptr[0] != 0 || m->indptr[m->rows] != m->nnz)
        return cml_fail(CML_ERR_ARG, "%s: indptr must start at 0 and end at nnz", what);
    for (int64_t i = 0; i < m->rows; i++) {
        if (m->indptr[i + 1] < m->indptr[i])
            return cml_fail(CML_ERR_ARG, "%s: indptr decreases at row %lld", what, (long long)i);
        for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++) {
            if (m->indices[k] < 0 || m->indices[k] >= m->cols)
                return cml_fail(CML_ERR_ARG, "%s: row %lld has column index %d out of [0, %lld)",
                                what, (long long)i, m->indices[k], (long long)m->cols);
            if (k > m->indptr[i] && m->indices[k] <= m->indices[k - 1])
                return cml_fail(CML_ERR_ARG, "%s: row %lld column indices not ascending", what,
                                (long long)i);
        }
    }
    return CML_OK;
}

/*
 * out (rows, R) = X Wᵀ, W row-major (R, cols): the decision values of a
 * linear model. A single BLAS call runs on one thread (cml owns the
 * threads: docs/blas.md), so large X is cut into row chunks, one BLAS call
 * each, spread over cml's threads. Chunk boundaries depend on the shape
 * only, so every row's value is the same for any thread count.
 */
void cml_matrix_mul_wt(const cml_matrix *X, const double *W, int64_t R, double *out)
{
    const int64_t n = X->rows, p = X->cols;
    const int64_t chunk = CML_MAX(64, PAR_MUL_CELLS / CML_MAX(p * R, 1));
    const int64_t n_chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (n_chunks > 1 && n * p >= PAR_MUL_CELLS)              \
    CML_OMP_THREADS
    for (int64_t c = 0; c < n_chunks; c++) {
        const int64_t r0 = c * chunk, m = CML_MIN(chunk, n - r0);
        const double *Xc = X->data + r0 * X->ld;
        if (R == 1)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)p, 1.0, Xc, (int)X->ld, W, 1, 0.0,
                        out + r0, 1);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)R, (int)p, 1.0, Xc,
                        (int)X->ld, W, (int)p, 0.0, out + r0 * R, (int)R);
    }
}
