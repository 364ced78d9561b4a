/*
 * linear_common.c — the pieces every regression linear model shares (see
 * linear_common.h): checks, the centered/weighted column-major design,
 * intercept, predict, save/load, describe.
 *
 * Centering follows sklearn 1.2's _preprocess_data: X_offset =
 * np.average(X, axis=0, weights=w), y_offset likewise, X -= X_offset,
 * y -= y_offset; then _rescale_data multiplies row i by sqrt(w_i). Column
 * sums run over rows in order (as numpy's axis-0 reduction does) inside each
 * column block, so the result does not depend on the thread count.
 * Cost: O(n p) time, one (n, p) copy: column-major for LAPACK and coordinate
 * descent, which want columns contiguous; row-major for Ridge's Cholesky
 * path, whose BLAS calls take either and which so skips the transpose.
 *
 * Thread-safety: predict, save and describe only read the fitted state.
 */
#include "linear/linear_common.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "core/internal.h"
#include "core/strbuf.h"

/* Columns handled together by the transpose-and-center loop: 64 doubles of a
 * row are 8 cache lines read, and 64 column streams written, which stays in
 * L1 while each column line fills with 8 consecutive rows. */
#define COL_BLOCK 64
/* Below this many cells the copy takes well under a millisecond and waking
 * OpenMP workers (which then spin, taking a core from the solver) costs
 * more than it saves. */
#define PAR_MIN_CELLS (1 << 20)

cml_status cml_lin_check_input(const char *who, const cml_matrix *X, const double *y,
                               const double *sample_weight)
{
    cml_status st = cml_matrix_check(X, "X", 0);
    if (st != CML_OK) return cml_fail_context(st, "%s", who);
    if (X->rows > INT_MAX || X->cols > INT_MAX)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "%s: X has shape (%lld, %lld); BLAS/LAPACK here take at most %d rows "
                        "and columns",
                        who, (long long)X->rows, (long long)X->cols, INT_MAX);
    if (!y) return cml_fail(CML_ERR_ARG, "%s needs a target y", who);
    for (int64_t i = 0; i < X->rows; i++)
        if (!isfinite(y[i]))
            return cml_fail(CML_ERR_ARG, "%s: target y row %lld is %s; the target must be finite",
                            who, (long long)i + 1, isnan(y[i]) ? "NaN" : "infinite");
    if (!sample_weight) return CML_OK;
    double sum = 0.0;
    for (int64_t i = 0; i < X->rows; i++) {
        double w = sample_weight[i];
        if (!isfinite(w) || w < 0)
            return cml_fail(CML_ERR_ARG,
                            "%s: sample_weight row %lld is %g; weights must be finite and >= 0",
                            who, (long long)i + 1, w);
        sum += w;
    }
    if (!(sum > 0))
        return cml_fail(CML_ERR_ARG,
                        "%s: sample_weight sums to 0; at least one weight must be positive", who);
    return CML_OK;
}

void cml_lin_design_free(cml_lin_design *d)
{
    free(d->X);
    free(d->y);
    free(d->x_offset);
    memset(d, 0, sizeof *d);
}

cml_status cml_lin_design_build(const cml_matrix *X, const double *y, const double *sw,
                                int fit_intercept, int sw_sum_to_n, int col_major,
                                cml_lin_design *d)
{
    const int64_t n = X->rows, p = X->cols, ld = X->ld;
    double *w = NULL, *sq = NULL;
    memset(d, 0, sizeof *d);
    d->n = n;
    d->p = p;
    d->col_major = col_major;
    d->X = cml_alloc_array(n * p, sizeof(double));
    d->y = cml_alloc_array(n, sizeof(double));
    d->x_offset = cml_calloc((size_t)p, sizeof(double));
    if (!d->X || !d->y || !d->x_offset) goto fail;

    double wsum = (double)n;
    if (sw) {
        w = cml_alloc_array(n, sizeof(double));
        sq = cml_alloc_array(n, sizeof(double));
        if (!w || !sq) goto fail;
        wsum = 0.0;
        for (int64_t i = 0; i < n; i++)
            wsum += sw[i];
        /* ElasticNet.fit: sample_weight * (n_samples / np.sum(sample_weight)) */
        double scale = sw_sum_to_n ? (double)n / wsum : 1.0;
        for (int64_t i = 0; i < n; i++) {
            w[i] = sw_sum_to_n ? sw[i] * scale : sw[i];
            sq[i] = sqrt(w[i]);
        }
        if (sw_sum_to_n) {
            wsum = 0.0;
            for (int64_t i = 0; i < n; i++)
                wsum += w[i];
        }
    }

    const int64_t n_blocks = (p + COL_BLOCK - 1) / COL_BLOCK;
    double *xoff = d->x_offset, *Xd = d->X;
    if (fit_intercept) {
        /* Column means, rows accumulated in order within each block. */
#pragma omp parallel for schedule(static) if (n * p >= PAR_MIN_CELLS) CML_OMP_THREADS
        for (int64_t b = 0; b < n_blocks; b++) {
            const int64_t j0 = b * COL_BLOCK, j1 = CML_MIN(p, j0 + COL_BLOCK);
            for (int64_t i = 0; i < n; i++) {
                const double *row = X->data + i * ld;
                const double wi = w ? w[i] : 1.0;
                if (w)
                    for (int64_t j = j0; j < j1; j++)
                        xoff[j] += row[j] * wi;
                else
                    for (int64_t j = j0; j < j1; j++)
                        xoff[j] += row[j];
            }
            for (int64_t j = j0; j < j1; j++)
                xoff[j] /= wsum;
        }
        double ys = 0.0;
        for (int64_t i = 0; i < n; i++)
            ys += w ? y[i] * w[i] : y[i];
        d->y_offset = ys / wsum;
    }

    if (col_major) {
        /* Transpose while centering and scaling, one column block at a time. */
#pragma omp parallel for schedule(static) if (n * p >= PAR_MIN_CELLS) CML_OMP_THREADS
        for (int64_t b = 0; b < n_blocks; b++) {
            const int64_t j0 = b * COL_BLOCK, j1 = CML_MIN(p, j0 + COL_BLOCK);
            for (int64_t i = 0; i < n; i++) {
                const double *row = X->data + i * ld;
                const double s = sq ? sq[i] : 1.0;
                for (int64_t j = j0; j < j1; j++)
                    Xd[j * n + i] = (row[j] - xoff[j]) * s;
            }
        }
    } else {
#pragma omp parallel for schedule(static) if (n * p >= PAR_MIN_CELLS) CML_OMP_THREADS
        for (int64_t i = 0; i < n; i++) {
            const double *row = X->data + i * ld;
            const double s = sq ? sq[i] : 1.0;
            for (int64_t j = 0; j < p; j++)
                Xd[i * p + j] = (row[j] - xoff[j]) * s;
        }
    }
    for (int64_t i = 0; i < n; i++)
        d->y[i] = (y[i] - d->y_offset) * (sq ? sq[i] : 1.0);

    free(w);
    free(sq);
    return CML_OK;
fail:
    free(w);
    free(sq);
    cml_lin_design_free(d);
    return CML_ERR_NOMEM;
}

cml_status cml_linfit_init(cml_linfit *f, int64_t p)
{
    memset(f, 0, sizeof *f);
    f->n_features = p;
    f->rank = -1;
    f->dual_gap = NAN;
    f->converged = 1;
    f->coef = cml_calloc((size_t)p, sizeof(double));
    return f->coef ? CML_OK : CML_ERR_NOMEM;
}

void cml_linfit_set_intercept(cml_linfit *f, const cml_lin_design *d, int fit_intercept)
{
    f->intercept = fit_intercept
                       ? d->y_offset - cblas_ddot((int)f->n_features, d->x_offset, 1, f->coef, 1)
                       : 0.0;
}

void cml_linfit_clear(cml_linfit *f)
{
    if (!f) return;
    free(f->coef);
    free(f->singular);
    f->coef = NULL;
    f->singular = NULL;
}

void *cml_linfit_wrap(cml_linfit *f, size_t size)
{
    CML_ASSERT(size >= sizeof(cml_linfit));
    void *m = cml_calloc(1, size);
    if (!m) return NULL;
    memcpy(m, f, sizeof *f);
    memset(f, 0, sizeof *f);
    return m;
}

cml_status cml_linfit_predict(const cml_linfit *f, const cml_matrix *X, double *out)
{
    if (!f) return cml_fail(CML_ERR_NOT_FITTED, "linear model is NULL (not fitted)");
    if (!X || !out) return cml_fail(CML_ERR_ARG, "predict: X and out must not be NULL");
    if (X->cols != f->n_features)
        return cml_fail(CML_ERR_ARG, "X has %lld features, but the model was fitted with %lld",
                        (long long)X->cols, (long long)f->n_features);
    if (X->rows < 0 || X->ld < X->cols || (X->rows > 0 && !X->data))
        return cml_fail(CML_ERR_ARG, "X: bad shape (%lld, %lld) with ld %lld", (long long)X->rows,
                        (long long)X->cols, (long long)X->ld);
    if (X->rows == 0) return CML_OK;
    if (X->rows > INT_MAX || X->ld > INT_MAX)
        return cml_fail(CML_ERR_UNSUPPORTED, "X has more than %d rows; predict in chunks", INT_MAX);
    /* X @ coef first, then + intercept: sklearn's order of rounding. */
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)X->rows, (int)X->cols, 1.0, X->data, (int)X->ld,
                f->coef, 1, 0.0, out, 1);
    for (int64_t i = 0; i < X->rows; i++)
        out[i] += f->intercept;
    return CML_OK;
}

/* ---------------------------------------------------------------- vtable */

cml_status cml_linfit_vt_predict(const void *state, const cml_matrix *X, double *out)
{
    return cml_linfit_predict(state, X, out);
}

int64_t cml_linfit_vt_n_features(const void *state)
{
    return ((const cml_linfit *)state)->n_features;
}

void cml_linfit_vt_free(void *state)
{
    cml_linfit_clear(state);
    free(state);
}

cml_status cml_linfit_vt_save(const void *state, const void *params, cml_gguf_writer *w)
{
    const cml_linfit *f = state;
    (void)params;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features_in", f->n_features));
    CML_CHECK(cml_gguf_add_f64(w, "coef", f->coef, 1, f->n_features));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.intercept", f->intercept));
    if (f->extras & CML_LINFIT_SVD) {
        CML_CHECK(cml_gguf_set_i64(w, "cml.fit.rank", f->rank));
        CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_singular", f->n_singular));
        if (f->n_singular > 0)
            CML_CHECK(cml_gguf_add_f64(w, "singular_values", f->singular, 1, f->n_singular));
    }
    if (f->extras & CML_LINFIT_CD) {
        /* The solver's own count: cml.fit.n_iter belongs to the generic layer. */
        CML_CHECK(cml_gguf_set_i64(w, "cml.fit.cd_n_iter", f->n_iter));
        CML_CHECK(cml_gguf_set_f64(w, "cml.fit.dual_gap", f->dual_gap));
        CML_CHECK(cml_gguf_set_bool(w, "cml.fit.cd_converged", f->converged));
    }
    return CML_OK;
}

/* Reads a 1-D f64 tensor of exactly n elements (cml_gguf_add_f64 with rows = 1). */
static cml_status read_vector(const cml_gguf *g, const char *name, int64_t n, double *out)
{
    const void *data;
    int nd = 0;
    int64_t dims[CML_GGUF_MAX_DIMS] = {0};
    CML_CHECK(cml_gguf_get_tensor(g, name, CML_GGUF_T_F64, &data, &nd, dims));
    if (nd != 1 || dims[0] != n)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: tensor %s has %d dims (%lld, %lld); expected a vector of %lld",
                        cml_gguf_name(g), name, nd, (long long)dims[0],
                        (long long)(nd > 1 ? dims[1] : 0), (long long)n);
    memcpy(out, data, (size_t)n * sizeof(double));
    return CML_OK;
}

cml_status cml_linfit_load(const cml_gguf *g, int extras, size_t size, void **state)
{
    cml_linfit f;
    int64_t p, v;
    cml_status st;
    *state = NULL;
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features_in", &p));
    if (p < 1 || p > INT_MAX)
        return cml_fail(CML_ERR_FORMAT, "%s: cml.fit.n_features_in = %lld is out of range",
                        cml_gguf_name(g), (long long)p);
    /* shapes before sizes: p must match a tensor the file holds */
    CML_CHECK(cml_gguf_expect(g, "coef", CML_GGUF_T_F64, 1, p));
    CML_CHECK(cml_linfit_init(&f, p));
    f.extras = extras;
    CML_TRY(read_vector(g, "coef", p, f.coef));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.intercept", &f.intercept));
    if (extras & CML_LINFIT_SVD) {
        CML_TRY(cml_gguf_get_i64(g, "cml.fit.rank", &f.rank));
        CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_singular", &v));
        if (v < 0 || v > p || f.rank < 0 || f.rank > v) {
            st = cml_fail(CML_ERR_FORMAT, "%s: rank %lld / %lld singular values for %lld features",
                          cml_gguf_name(g), (long long)f.rank, (long long)v, (long long)p);
            goto fail;
        }
        f.n_singular = v;
        if (v > 0) {
            CML_TRY(cml_gguf_expect(g, "singular_values", CML_GGUF_T_F64, 1, v));
            f.singular = cml_alloc_array(v, sizeof(double));
            if (!f.singular) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
            CML_TRY(read_vector(g, "singular_values", v, f.singular));
        }
    }
    if (extras & CML_LINFIT_CD) {
        CML_TRY(cml_gguf_get_i64(g, "cml.fit.cd_n_iter", &v));
        if (v < 0 || v > INT_MAX) {
            st = cml_fail(CML_ERR_FORMAT, "%s: cml.fit.cd_n_iter = %lld is out of range",
                          cml_gguf_name(g), (long long)v);
            goto fail;
        }
        f.n_iter = (int)v;
        CML_TRY(cml_gguf_get_f64(g, "cml.fit.dual_gap", &f.dual_gap));
        CML_TRY(cml_gguf_get_bool(g, "cml.fit.cd_converged", &f.converged));
    }
    if (!isfinite(f.intercept)) {
        st = cml_fail(CML_ERR_FORMAT, "%s: intercept is not finite", cml_gguf_name(g));
        goto fail;
    }
    for (int64_t j = 0; j < p; j++)
        if (!isfinite(f.coef[j])) {
            st = cml_fail(CML_ERR_FORMAT, "%s: coef[%lld] is not finite", cml_gguf_name(g),
                          (long long)j);
            goto fail;
        }
    *state = cml_linfit_wrap(&f, size);
    if (!*state) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    return CML_OK;
fail:
    cml_linfit_clear(&f);
    return st;
}

char *cml_linfit_vt_describe(const void *state)
{
    const cml_linfit *f = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"coef\":");
    cml_sb_json_arr(&sb, f->coef, f->n_features);
    cml_sb_puts(&sb, ",\"intercept\":");
    cml_sb_json_num(&sb, f->intercept);
    if (f->extras & CML_LINFIT_SVD) {
        cml_sb_printf(&sb, ",\"rank\":%lld,\"singular_values\":", (long long)f->rank);
        cml_sb_json_arr(&sb, f->singular, f->n_singular);
    }
    if (f->extras & CML_LINFIT_CD) {
        cml_sb_printf(&sb, ",\"n_iter\":%d,\"dual_gap\":", f->n_iter);
        cml_sb_json_num(&sb, f->dual_gap);
        cml_sb_printf(&sb, ",\"converged\":%s", f->converged ? "true" : "false");
    }
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}
