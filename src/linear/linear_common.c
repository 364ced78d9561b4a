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
 * descent, which want columns contiguous; row-major where the BLAS calls
 * take either (Ridge's kernel path), which so skips the transpose. Ridge's
 * primal path needs no copy at all: cml_lin_normal_eq.
 *
 * Thread-safety: predict, save and describe only read the fitted state.
 */
#include "linear/linear_common.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

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
/* The passes that also compute (syrk blocks, Householder QR) pay for a fork
 * from a quarter of that (~2 MB of X, about a millisecond of work). */
#define PAR_MIN_CELLS_COMPUTE (1 << 18)

cml_status cml_lin_check_input(const char *who, const cml_matrix *X, const double *y,
                               const double *sample_weight)
{
    cml_status st = cml_matrix_check(X, "X", 0);
    if (st != CML_OK) return cml_fail_context(st, "%s", who);
    return cml_lin_check_input_shape(who, X, y, sample_weight);
}

cml_status cml_lin_check_input_shape(const char *who, const cml_matrix *X, const double *y,
                                     const double *sample_weight)
{
    cml_status st = cml_matrix_check(X, "X", 1);
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

/* Per-row weights: w (as used in the averages; sklearn's ElasticNet rescales
 * them to sum to n when sw_sum_to_n) and sq = sqrt(w) (the row scaling), and
 * their sum. With sw NULL everything is 1 and nothing is allocated. */
typedef struct lin_weights {
    double *w, *sq;
    double sum;
} lin_weights;

static cml_status weights_init(const double *sw, int64_t n, int sw_sum_to_n, lin_weights *lw)
{
    memset(lw, 0, sizeof *lw);
    lw->sum = (double)n;
    if (!sw) return CML_OK;
    lw->w = cml_alloc_array(n, sizeof(double));
    lw->sq = cml_alloc_array(n, sizeof(double));
    if (!lw->w || !lw->sq) {
        free(lw->w);
        free(lw->sq);
        return CML_ERR_NOMEM;
    }
    double wsum = 0.0;
    for (int64_t i = 0; i < n; i++)
        wsum += sw[i];
    /* ElasticNet.fit: sample_weight * (n_samples / np.sum(sample_weight)) */
    double scale = sw_sum_to_n ? (double)n / wsum : 1.0;
    for (int64_t i = 0; i < n; i++) {
        lw->w[i] = sw_sum_to_n ? sw[i] * scale : sw[i];
        lw->sq[i] = sqrt(lw->w[i]);
    }
    if (sw_sum_to_n) {
        wsum = 0.0;
        for (int64_t i = 0; i < n; i++)
            wsum += lw->w[i];
    }
    lw->sum = wsum;
    return CML_OK;
}

static void weights_free(lin_weights *lw)
{
    free(lw->w);
    free(lw->sq);
}

/* Weighted column means of X and the mean of y (sklearn's X_offset,
 * y_offset), rows accumulated in order within each column block. */
static void offsets(const cml_matrix *X, const double *y, const lin_weights *lw, double *xoff,
                    double *yoff)
{
    const int64_t n = X->rows, p = X->cols, ld = X->ld;
    const int64_t n_blocks = (p + COL_BLOCK - 1) / COL_BLOCK;
    const double *w = lw->w;
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
            xoff[j] /= lw->sum;
    }
    double ys = 0.0;
    for (int64_t i = 0; i < n; i++)
        ys += w ? y[i] * w[i] : y[i];
    *yoff = ys / lw->sum;
}

cml_status cml_lin_design_build(const cml_matrix *X, const double *y, const double *sw,
                                int fit_intercept, int sw_sum_to_n, int col_major,
                                cml_lin_design *d)
{
    const int64_t n = X->rows, p = X->cols, ld = X->ld;
    lin_weights lw;
    memset(d, 0, sizeof *d);
    if (weights_init(sw, n, sw_sum_to_n, &lw) != CML_OK) return CML_ERR_NOMEM;
    d->n = n;
    d->p = p;
    d->col_major = col_major;
    d->X = cml_alloc_array(n * p, sizeof(double));
    d->y = cml_alloc_array(n, sizeof(double));
    d->x_offset = cml_calloc((size_t)p, sizeof(double));
    if (!d->X || !d->y || !d->x_offset) {
        weights_free(&lw);
        cml_lin_design_free(d);
        return CML_ERR_NOMEM;
    }
    if (fit_intercept) offsets(X, y, &lw, d->x_offset, &d->y_offset);

    const int64_t n_blocks = (p + COL_BLOCK - 1) / COL_BLOCK;
    const double *xoff = d->x_offset, *sq = lw.sq;
    double *Xd = d->X;
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
    weights_free(&lw);
    return CML_OK;
}

cml_status cml_lin_gram_design(const cml_matrix *X, const double *y, const double *sw,
                               int fit_intercept, int sw_sum_to_n, double *G, double *Xty,
                               cml_lin_design *d)
{
    const int64_t n = X->rows, p = X->cols;
    lin_weights lw;
    memset(d, 0, sizeof *d);
    if (weights_init(sw, n, sw_sum_to_n, &lw) != CML_OK) return CML_ERR_NOMEM;
    d->n = n;
    d->p = p;
    d->col_major = 1;
    d->y = cml_alloc_array(n, sizeof(double));
    d->x_offset = cml_calloc((size_t)p, sizeof(double));
    cml_status st = CML_ERR_NOMEM;
    if (!d->y || !d->x_offset) goto fail;
    CML_TRY(cml_lin_normal_eq(X, y, lw.w, fit_intercept, G, Xty, d->x_offset, &d->y_offset));
    for (int64_t j = 0; j < p; j++) /* mirror: column j is also row j */
        for (int64_t i = j + 1; i < p; i++)
            G[j * p + i] = G[i * p + j];
    for (int64_t i = 0; i < n; i++) /* as cml_lin_design_build forms it */
        d->y[i] = (y[i] - d->y_offset) * (lw.sq ? lw.sq[i] : 1.0);
    weights_free(&lw);
    return CML_OK;
fail:
    weights_free(&lw);
    cml_lin_design_free(d);
    return st;
}

/* Rows per in-cache block of the Gram pass: a block is copied, centered on
 * its own mean and fed to syrk while it is still in L2. */
#define GRAM_ROWS 512
/* The blocks are split into a fixed number of chunks (never the thread
 * count), one per OpenMP task, and partial sums are added in chunk order,
 * so the result is the same for any number of threads. */
#define GRAM_CHUNKS 8
/* Rows per block of the TSQR pass (at least twice the columns). */
#define TSQR_ROWS 192

/* 1 if any of r[0..n) is NaN or infinite (exponent bits all ones); written
 * branch-free so the copy loop that calls it stays vectorized. */
static inline uint64_t nonfinite_bits(const double *r, int64_t n)
{
    uint64_t bad = 0;
    for (int64_t j = 0; j < n; j++) {
        uint64_t u;
        memcpy(&u, &r[j], sizeof u);
        bad |= (uint64_t)((u & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL);
    }
    return bad;
}

/* Rows r0 .. r0+m of X and y, centered on (mu, ybar) and scaled by
 * sqrt(w), into the row-major (m, p) block buf and yb. The block was just
 * read (it is in L2), so reading X again costs no memory traffic. */
static void center_block(const cml_matrix *X, const double *y, const double *sw, int64_t r0,
                         int64_t m, const double *mu, double ybar, double *buf, double *yb)
{
    const int64_t p = X->cols, ld = X->ld;
    for (int64_t i = 0; i < m; i++) {
        const double *row = X->data + (r0 + i) * ld;
        const double s = sw ? sqrt(sw[r0 + i]) : 1.0;
        for (int64_t j = 0; j < p; j++)
            buf[i * p + j] = (row[j] - mu[j]) * s;
        yb[i] = (y[r0 + i] - ybar) * s;
    }
}

/*
 * One pass over X. Each block b of rows gets its own weight W_b, means mu_b
 * (X) and ybar_b (y), and centered cross-products G_b = sum w (x - mu_b)
 * (x - mu_b)^T, c_b = sum w (x - mu_b)(y - ybar_b), computed in cache. The
 * blocks are then merged exactly (Chan, Golub & LeVeque's pairwise update):
 *   G = sum_b G_b + sum_b W_b (mu_b - mu)(mu_b - mu)^T,   mu = sum W_b mu_b / W,
 * which is as stable as centering on the global mean first (each block is
 * centered on a mean close to its own data, so nothing cancels) but reads X
 * once instead of twice. The non-finite check rides along in the copy.
 */
/* Block k's statistics: mu[0..p) its weighted column means, mu[p] the mean
 * of y, mu[p+1] its weight W (means are 0 without an intercept). Returns
 * nonzero if the block holds a non-finite value. */
static uint64_t block_stats(const cml_matrix *X, const double *y, const double *sw, int64_t r0,
                            int64_t m, int fit_intercept, double *mu)
{
    const int64_t p = X->cols, ld = X->ld;
    double W = 0.0, ybar = 0.0;
    uint64_t bad = 0;
    memset(mu, 0, sizeof(double) * (size_t)(p + 2));
    for (int64_t i = 0; i < m; i++) {
        const double *row = X->data + (r0 + i) * ld;
        const double wi = sw ? sw[r0 + i] : 1.0;
        bad |= nonfinite_bits(row, p);
        if (fit_intercept) {
            for (int64_t j = 0; j < p; j++)
                mu[j] += row[j] * wi;
            ybar += y[r0 + i] * wi;
        }
        W += wi;
    }
    if (fit_intercept && W > 0) {
        for (int64_t j = 0; j < p; j++)
            mu[j] /= W;
        ybar /= W;
    } else {
        for (int64_t j = 0; j < p; j++)
            mu[j] = 0.0;
        ybar = 0.0;
    }
    mu[p] = ybar;
    mu[p + 1] = W;
    return bad;
}

/* The overall means from nb blocks' statistics (block_stats), and the
 * between-block rows D[k] = sqrt(W_k) (mu_k - mu), dy[k] likewise for y
 * (D column-major (p, nb)). These rows carry what centering each block on
 * its own mean left out. */
static void merge_blocks(const double *stats, int64_t nb, int64_t p, double *x_offset,
                         double *y_offset, double *D, double *dy)
{
    const int64_t stride = p + 2;
    double W = 0.0, ybar = 0.0;
    memset(x_offset, 0, sizeof(double) * (size_t)p);
    for (int64_t k = 0; k < nb; k++) {
        const double *mu = stats + k * stride, Wb = mu[p + 1];
        for (int64_t j = 0; j < p; j++)
            x_offset[j] += Wb * mu[j];
        ybar += Wb * mu[p];
        W += Wb;
    }
    for (int64_t j = 0; j < p; j++)
        x_offset[j] /= W;
    ybar /= W;
    *y_offset = ybar;
    for (int64_t k = 0; k < nb; k++) {
        const double *mu = stats + k * stride, s = sqrt(mu[p + 1]);
        for (int64_t j = 0; j < p; j++)
            D[k * p + j] = (mu[j] - x_offset[j]) * s;
        dy[k] = (mu[p] - ybar) * s;
    }
}

/* Names the first non-finite cell of X (the passes only know one exists). */
static cml_status nonfinite_error(const cml_matrix *X)
{
    cml_status st = cml_matrix_check(X, "X", 0);
    return st != CML_OK ? st : cml_fail(CML_ERR_INTERNAL, "X: non-finite value not located");
}

/*
 * One pass over X. Each block b of rows gets its own weight W_b, means mu_b
 * (X) and ybar_b (y), and centered cross-products G_b = sum w (x - mu_b)
 * (x - mu_b)^T, c_b = sum w (x - mu_b)(y - ybar_b), computed in cache. The
 * blocks are then merged exactly (Chan, Golub & LeVeque's pairwise update):
 *   G = sum_b G_b + sum_b W_b (mu_b - mu)(mu_b - mu)^T,   mu = sum W_b mu_b / W,
 * which is as stable as centering on the global mean first (each block is
 * centered on a mean close to its own data, so nothing cancels) but reads X
 * once instead of twice. The non-finite check rides along in the copy.
 */
cml_status cml_lin_normal_eq(const cml_matrix *X, const double *y, const double *sw,
                             int fit_intercept, double *G, double *Xty, double *x_offset,
                             double *y_offset)
{
    const int64_t n = X->rows, p = X->cols;
    const int64_t nb = (n + GRAM_ROWS - 1) / GRAM_ROWS;
    const int64_t n_chunks = CML_MIN(GRAM_CHUNKS, nb);
    const int64_t stride = p + 2; /* per block: mu_b (p), ybar_b, W_b */
    double *part = cml_calloc((size_t)(n_chunks * (p * p + p)), sizeof(double));
    double *bufs = cml_alloc_array(n_chunks * GRAM_ROWS * (p + 1), sizeof(double));
    double *stats = cml_calloc((size_t)(nb * stride), sizeof(double));
    double *D = NULL;
    uint64_t bad = 0;
    cml_status st = CML_ERR_NOMEM;
    if (!part || !bufs || !stats) goto done;

#pragma omp parallel for schedule(static) reduction(|                                              \
                                                    : bad) if (n * p >= PAR_MIN_CELLS_COMPUTE)     \
    CML_OMP_THREADS
    for (int64_t c = 0; c < n_chunks; c++) {
        double *Gc = part + c * (p * p + p), *cc = Gc + p * p;
        double *buf = bufs + c * GRAM_ROWS * (p + 1), *yb = buf + GRAM_ROWS * p;
        for (int64_t k = nb * c / n_chunks; k < nb * (c + 1) / n_chunks; k++) {
            const int64_t r0 = k * GRAM_ROWS, m = CML_MIN(GRAM_ROWS, n - r0);
            double *mu = stats + k * stride;
            bad |= block_stats(X, y, sw, r0, m, fit_intercept, mu);
            center_block(X, y, sw, r0, m, mu, mu[p], buf, yb);
            /* the row-major block is the column-major (p, m) block^T */
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)p, (int)m, 1.0, buf, (int)p,
                        1.0, Gc, (int)p);
            cblas_dgemv(CblasColMajor, CblasNoTrans, (int)p, (int)m, 1.0, buf, (int)p, yb, 1, 1.0,
                        cc, 1);
        }
    }
    if (bad) {
        st = nonfinite_error(X);
        goto done;
    }
    memcpy(G, part, sizeof(double) * (size_t)(p * p));
    memcpy(Xty, part + p * p, sizeof(double) * (size_t)p);
    for (int64_t c = 1; c < n_chunks; c++) {
        const double *Gc = part + c * (p * p + p);
        for (int64_t k = 0; k < p * p; k++)
            G[k] += Gc[k];
        for (int64_t j = 0; j < p; j++)
            Xty[j] += Gc[p * p + j];
    }
    memset(x_offset, 0, sizeof(double) * (size_t)p);
    *y_offset = 0.0;
    if (fit_intercept) {
        /* between-block terms: rows sqrt(W_b) (mu_b - mu), then one syrk */
        D = cml_alloc_array(nb * (p + 1), sizeof(double));
        if (!D) goto done;
        double *dy = D + nb * p;
        merge_blocks(stats, nb, p, x_offset, y_offset, D, dy);
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)p, (int)nb, 1.0, D, (int)p, 1.0,
                    G, (int)p);
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)p, (int)nb, 1.0, D, (int)p, dy, 1, 1.0, Xty,
                    1);
    }
    st = CML_OK;
done:
    free(part);
    free(bufs);
    free(stats);
    free(D);
    return st;
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
    cml_matrix_mul_wt(X, f->coef, 1, out);
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

/* Rows r0 .. r0+m of X, centered on x_offset and scaled by sqrt(w), into
 * the column-major block buf (leading dimension ld), and y likewise into
 * yb. */
static void center_block_colmajor(const cml_matrix *X, const double *y, const double *sw,
                                  int64_t r0, int64_t m, const double *x_offset, double y_offset,
                                  double *buf, int64_t ld, double *yb)
{
    const int64_t p = X->cols;
    for (int64_t i = 0; i < m; i++) {
        const double *row = X->data + (r0 + i) * X->ld;
        const double s = sw ? sqrt(sw[r0 + i]) : 1.0;
        for (int64_t j = 0; j < p; j++)
            buf[j * ld + i] = (row[j] - x_offset[j]) * s;
        yb[i] = (y[r0 + i] - y_offset) * s;
    }
}

/*
 * The second pass of Cholesky QR: with Xc = Q1 R1 (R1 from the Cholesky
 * factor of Xc^T Xc), G2 = Q1^T Q1 and z = Q1^T yc where Q1 = Xc R1^-1,
 * block by block, Q1 never stored. Same fixed chunking as
 * cml_lin_normal_eq, so the sums do not depend on the thread count.
 */
cml_status cml_lin_cholqr_pass(const cml_matrix *X, const double *y, const double *sw,
                               const double *x_offset, double y_offset, const double *R1,
                               double *G2, double *z)
{
    const int64_t n = X->rows, p = X->cols;
    const int64_t nb = (n + GRAM_ROWS - 1) / GRAM_ROWS;
    const int64_t n_chunks = CML_MIN(GRAM_CHUNKS, nb);
    double *part = cml_calloc((size_t)(n_chunks * (p * p + p)), sizeof(double));
    double *bufs = cml_alloc_array(n_chunks * GRAM_ROWS * (p + 1), sizeof(double));
    if (!part || !bufs) {
        free(part);
        free(bufs);
        return CML_ERR_NOMEM;
    }
#pragma omp parallel for schedule(static) if (n * p >= PAR_MIN_CELLS_COMPUTE) CML_OMP_THREADS
    for (int64_t c = 0; c < n_chunks; c++) {
        double *Gc = part + c * (p * p + p), *zc = Gc + p * p;
        double *buf = bufs + c * GRAM_ROWS * (p + 1), *yb = buf + GRAM_ROWS * p;
        for (int64_t k = nb * c / n_chunks; k < nb * (c + 1) / n_chunks; k++) {
            const int64_t r0 = k * GRAM_ROWS, m = CML_MIN(GRAM_ROWS, n - r0);
            center_block_colmajor(X, y, sw, r0, m, x_offset, y_offset, buf, m, yb);
            /* Q1_block = Xc_block R1^-1 column by column (forward substitution
             * as length-m axpys, which vectorize; BLIS's dtrsm is slow at a
             * triangle this small) */
            for (int64_t j = 0; j < p; j++) {
                double *qj = buf + j * m;
                for (int64_t l = 0; l < j; l++) {
                    const double r = R1[j * p + l], *qk = buf + l * m;
                    for (int64_t i = 0; i < m; i++)
                        qj[i] -= r * qk[i];
                }
                const double inv = 1.0 / R1[j * p + j];
                for (int64_t i = 0; i < m; i++)
                    qj[i] *= inv;
            }
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)p, (int)m, 1.0, buf, (int)m,
                        1.0, Gc, (int)p);
            cblas_dgemv(CblasColMajor, CblasTrans, (int)m, (int)p, 1.0, buf, (int)m, yb, 1, 1.0, zc,
                        1);
        }
    }
    memcpy(G2, part, sizeof(double) * (size_t)(p * p));
    memcpy(z, part + p * p, sizeof(double) * (size_t)p);
    for (int64_t c = 1; c < n_chunks; c++) {
        const double *Gc = part + c * (p * p + p);
        for (int64_t k = 0; k < p * p; k++)
            G2[k] += Gc[k];
        for (int64_t j = 0; j < p; j++)
            z[j] += Gc[p * p + j];
    }
    free(part);
    free(bufs);
    return CML_OK;
}

/*
 * TSQR (Demmel et al., "Communication-optimal parallel and sequential QR",
 * 2012): the R factor of the centered, scaled [Xc yc] without an (n, p)
 * copy. Each of a fixed number of chunks keeps a running (q, q) triangle,
 * q = p + 1, on top of a block of rows and refactors the stack with dgeqrf
 * block after block (a Householder QR of [R; B] has the R of [previous
 * rows; B]); the chunks' triangles are then stacked in chunk order and
 * factored once more. Blocks of a few hundred rows keep each Householder
 * update in L2, where LAPACK's unblocked QR of a skinny matrix would stream
 * the whole (n, q) copy from memory once per column. Chunks are fixed, so
 * the result is the same for any thread count.
 */
cml_status cml_lin_tsqr(const cml_matrix *X, const double *y, const double *sw,
                        const double *x_offset, double y_offset, double *R)
{
    const int64_t n = X->rows, p = X->cols, q = p + 1;
    const int64_t rows = CML_MAX(TSQR_ROWS, 2 * q), ld = q + rows;
    const int64_t nb = (n + rows - 1) / rows;
    const int64_t n_chunks = CML_MIN(GRAM_CHUNKS, nb);
    double *bufs = cml_calloc((size_t)(n_chunks * ld * q), sizeof(double));
    /* per chunk: tau (q) and dgeqrf's workspace (q * 32, its block size) */
    const int64_t lwork = q * 32, per = q + lwork;
    double *ws = cml_alloc_array(n_chunks * per, sizeof(double));
    double *stack = cml_calloc((size_t)(n_chunks * q * q), sizeof(double));
    int failed = 0;
    cml_status st = CML_ERR_NOMEM;
    if (!bufs || !ws || !stack) goto done;
#pragma omp parallel for schedule(static) reduction(|                                              \
                                                    : failed) if (n * p >= PAR_MIN_CELLS_COMPUTE)  \
    CML_OMP_THREADS
    for (int64_t c = 0; c < n_chunks; c++) {
        double *buf = bufs + c * ld * q, *tau = ws + c * per, *work = tau + q;
        for (int64_t k = nb * c / n_chunks; k < nb * (c + 1) / n_chunks; k++) {
            const int64_t r0 = k * rows, m = CML_MIN(rows, n - r0);
            /* rows q .. q+m of the stack; rows 0 .. q hold the running R */
            center_block_colmajor(X, y, sw, r0, m, x_offset, y_offset, buf + q, ld,
                                  buf + p * ld + q);
            /* the _work form skips LAPACKE's NaN scan (the pass that
             * formed the offsets rejected non-finite X already) */
            failed |= LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)(q + m), (lapack_int)q, buf,
                                          (lapack_int)ld, tau, work, (lapack_int)lwork) != 0;
            for (int64_t j = 0; j < q; j++) /* drop the reflectors under R */
                for (int64_t i = j + 1; i < q; i++)
                    buf[j * ld + i] = 0.0;
        }
        for (int64_t j = 0; j < q; j++)
            for (int64_t i = 0; i <= j; i++)
                stack[j * n_chunks * q + c * q + i] = buf[j * ld + i];
    }
    if (failed || LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)(n_chunks * q), (lapack_int)q, stack,
                                 (lapack_int)(n_chunks * q), ws) != 0) {
        st = cml_fail(CML_ERR_INTERNAL, "TSQR: LAPACK dgeqrf failed");
        goto done;
    }
    for (int64_t j = 0; j < q; j++)
        for (int64_t i = 0; i < q; i++)
            R[j * q + i] = i <= j ? stack[j * n_chunks * q + i] : 0.0;
    st = CML_OK;
done:
    free(bufs);
    free(ws);
    free(stack);
    return st;
}
