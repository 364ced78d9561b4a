/*
 * linear_regression.c — ordinary least squares (sklearn.linear_model.
 * LinearRegression, 1.2 semantics, dense X):
 *     min_{w,b} sum_i s_i (y_i - b - x_i·w)^2
 * The intercept is removed by (weighted) centering, rows are scaled by
 * sqrt(s_i), and the centered problem min ||Xc w - yc|| is solved by LAPACK
 * dgelsd: SVD by divide and conquer, singular values below
 * rcond * s_max treated as zero with rcond = machine epsilon (scipy.linalg.
 * lstsq's default, which sklearn calls), so a rank-deficient X gets the
 * minimum-norm solution sklearn gives. b = y_mean - x_mean·w.
 * positive=True (sklearn's NNLS) is not implemented.
 *
 * Tall, well-conditioned X (n >= 2p, p <= 1024, condition number of the
 * centered X below 1e7, as estimated from the first Cholesky factor) takes
 * a faster road to the same numbers: Cholesky QR twice (CholQR2; Fukaya et
 * al. 2014). Pass 1 forms Xc^T Xc in cache-sized blocks (cml_lin_normal_eq)
 * and R1 = chol; pass 2 forms Q1^T Q1 and Q1^T yc for Q1 = Xc R1^-1 without
 * storing Q1 (cml_lin_cholqr_pass) and R2 = chol, so Xc = Q R with R = R2 R1
 * and Q orthonormal to working precision for kappa(X) < 1e8. Then
 * w = R^-1 R2^-T Q1^T yc, and sklearn's singular_ are those of R (same as
 * X's). It reads X twice and copies nothing, where dgelsd's Householder QR
 * of a skinny matrix (p below LAPACK's block size) makes p level-2 passes
 * over a centered copy. When the estimated condition number is below 1e3,
 * pass 2 is skipped: the normal equations solved by Cholesky have a forward
 * error of about kappa^2 * eps (Higham, Accuracy and Stability, 20.4),
 * at most ~1e-10 relative there, far inside the agreement with sklearn's
 * SVD answer that users rely on (1e-6), and X is read once. Tall X that is
 * rank deficient or ill-conditioned (p <= 256) gets the R factor of
 * [Xc yc] by TSQR (cml_lin_tsqr: in-cache blocks, parallel, no copy) and
 * dgelsd on that triangle: the same rank and minimum-norm answer as dgelsd
 * on Xc. Anything else (wide, tiny) goes to dgelsd on a centered copy.
 *
 * Complexity: O(n p min(n, p)) for the SVD, O(n p) for centering;
 * CholQR2 is 4 n p^2 flops in two passes over X.
 * Thread-safety: fitting is reentrant; a fitted model is read-only.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <float.h>
#include <cblas.h>
#include <lapacke.h>

#include "cml/linear.h"
#include "core/internal.h"
#include "linear/linear_common.h"

struct cml_linear_regression {
    cml_linfit fit; /* first and only member: see linear_common.h */
};

static const cml_param_def ols_params[] = {
    {"fit_intercept", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "center X and y and fit an intercept (else the model passes through 0)",
     offsetof(cml_linear_regression_params, fit_intercept)},
};
#define N_PARAMS ((int)(sizeof ols_params / sizeof ols_params[0]))

cml_linear_regression_params cml_linear_regression_params_default(void)
{
    cml_linear_regression_params p;
    cml_status st = cml_params_init(ols_params, N_PARAMS, &p);
    CML_ASSERT(st == CML_OK);
    return p;
}

const char *cml_linear_regression_params_check(const cml_linear_regression_params *p)
{
    return cml_params_check(ols_params, N_PARAMS, p);
}

/* Least squares on the design; fills coef, rank, singular values. */
static cml_status solve_lstsq(cml_lin_design *d, cml_linfit *f)
{
    const lapack_int n = (lapack_int)d->n, p = (lapack_int)d->p;
    const lapack_int k = CML_MIN(n, p), ldb = CML_MAX(n, p);
    lapack_int rank = 0;
    double *b = cml_calloc((size_t)ldb, sizeof(double));
    f->singular = cml_alloc_array(k, sizeof(double));
    if (!b || !f->singular) {
        free(b);
        return CML_ERR_NOMEM;
    }
    memcpy(b, d->y, (size_t)n * sizeof(double));
    lapack_int info =
        LAPACKE_dgelsd(LAPACK_COL_MAJOR, n, p, 1, d->X, n, b, ldb, f->singular, DBL_EPSILON, &rank);
    if (info != 0) {
        free(b);
        if (info < 0) return cml_fail(CML_ERR_INTERNAL, "dgelsd: argument %d invalid", (int)-info);
        return cml_fail(CML_ERR_CONVERGENCE,
                        "linear_regression: the SVD did not converge (LAPACK dgelsd info %d). "
                        "HINT: check X for huge or badly scaled values",
                        (int)info);
    }
    memcpy(f->coef, b, (size_t)p * sizeof(double));
    f->n_singular = k;
    f->rank = rank;
    free(b);
    return CML_OK;
}

#define CHOLQR_MAX_P 1024
/* 1 / condition number of R1 (= of the centered X) below which the fast
 * path hands over to dgelsd: CholQR2 is stable up to kappa ~ 1e8, and
 * dgelsd alone decides rank where it is in question. */
#define CHOLQR_MIN_RCOND 1e-7
/* ... and above this one the Cholesky factor of the normal equations is
 * used as it is (kappa^2 * eps <= 1e-10). */
#define CHOL_MIN_RCOND 1e-3

/* Widest X for which the TSQR path runs: its per-chunk stacks take
 * 8 (q + max(512, 2q)) q doubles, q = p + 1. */
#define TSQR_MAX_P 256

/* Least squares through the R factor of [Xc yc] (cml_lin_tsqr): Xc = Q R
 * gives min ||Xc w - yc|| = min ||R w - Q^T yc|| with the same singular
 * values and null space, so dgelsd on the (p, p) triangle returns the rank
 * and minimum-norm solution that dgelsd on Xc would (it starts with the
 * same Householder QR when n >> p), without the centered copy and with the
 * QR done in cache and in parallel. d holds the offsets of the first pass. */
static cml_status fit_tsqr(const cml_linear_regression_params *p, const cml_matrix *X,
                           const double *y, const double *sw, const cml_lin_design *d,
                           cml_linfit *f, int *fallback)
{
    const int64_t k = X->cols, q = k + 1;
    cml_status st = CML_ERR_NOMEM;
    double *R = cml_alloc_array(q * q, sizeof(double));
    if (!R) return st;
    CML_TRY(cml_lin_tsqr(X, y, sw, d->x_offset, d->y_offset, R));
    /* the triangle with column-major leading dimension q is the (k, k)
     * matrix solve_lstsq wants with ld k: repack it */
    for (int64_t j = 0; j < k; j++)
        memmove(R + j * k, R + j * q, sizeof(double) * (size_t)k);
    double z[TSQR_MAX_P];
    memcpy(z, R + k * q, sizeof(double) * (size_t)k);
    cml_lin_design t = {.X = R, .y = z, .n = k, .p = k};
    CML_TRY(solve_lstsq(&t, f));
    cml_linfit_set_intercept(f, d, p->fit_intercept);
    *fallback = 0;
    st = CML_OK;
fail:
    free(R);
    return st;
}

/* CholQR2 least squares (see the header comment). *fallback = 1 when X is
 * not tall, thin and well-conditioned enough: f is then untouched. */
static cml_status fit_cholqr(const cml_linear_regression_params *p, const cml_matrix *X,
                             const double *y, const double *sw, cml_linfit *f, int *fallback)
{
    const int64_t n = X->rows, k = X->cols;
    const lapack_int pk = (lapack_int)k;
    cml_lin_design d = {.n = n, .p = k};
    *fallback = 1;
    if (n < 2 * k || k > CHOLQR_MAX_P) return CML_OK;
    cml_status st = CML_ERR_NOMEM;
    double *R1 = cml_alloc_array(k * k, sizeof(double));
    double *R = cml_calloc((size_t)(k * k), sizeof(double));
    double *z = cml_alloc_array(k, sizeof(double));
    double *s = cml_alloc_array(k, sizeof(double));
    double *work = cml_alloc_array(k, sizeof(double));
    d.x_offset = cml_alloc_array(k, sizeof(double));
    if (!R1 || !R || !z || !s || !work || !d.x_offset) goto done;
    CML_TRY(cml_lin_normal_eq(X, y, sw, p->fit_intercept, R1, z, d.x_offset, &d.y_offset));
    double rcond = 0.0;
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', pk, R1, pk) != 0 ||
        LAPACKE_dtrcon(LAPACK_COL_MAJOR, '1', 'U', 'N', pk, R1, pk, &rcond) != 0 ||
        rcond < CHOLQR_MIN_RCOND) {
        /* singular or ill-conditioned: an SVD decides the rank */
        if (k <= TSQR_MAX_P)
            st = fit_tsqr(p, X, y, sw, &d, f, fallback);
        else
            st = CML_OK;
        goto done;
    }
    if (rcond >= CHOL_MIN_RCOND) {
        /* z = Xc^T yc: t = R1^-T z, w = R1^-1 t */
        for (int64_t j = 0; j < k; j++)
            for (int64_t i = 0; i <= j; i++)
                R[j * k + i] = R1[j * k + i];
        cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, (int)k, R, (int)k, z, 1);
    } else {
        CML_TRY(cml_lin_cholqr_pass(X, y, sw, d.x_offset, d.y_offset, R1, R, z));
        if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', pk, R, pk) != 0) {
            st = CML_OK;
            goto done;
        }
        for (int64_t j = 0; j < k; j++) /* dpotrf leaves the lower triangles as they were */
            for (int64_t i = j + 1; i < k; i++)
                R[j * k + i] = R1[j * k + i] = 0.0;
        /* t = R2^-T Q1^T yc, then R = R2 R1 and w = R^-1 t */
        cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, (int)k, R, (int)k, z, 1);
        cblas_dtrmm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)k,
                    (int)k, 1.0, R1, (int)k, R, (int)k);
    }
    memcpy(f->coef, z, sizeof(double) * (size_t)k);
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, (int)k, R, (int)k, f->coef,
                1);
    /* singular values of R (it is destroyed: coef no longer needs it) */
    lapack_int info =
        LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'N', 'N', pk, pk, R, pk, s, NULL, 1, NULL, 1, work);
    if (info != 0) {
        st = CML_OK; /* let dgelsd try (and report) */
        goto done;
    }
    f->singular = s;
    s = NULL;
    f->n_singular = k;
    f->rank = 0;
    for (int64_t j = 0; j < k; j++)
        f->rank += f->singular[j] > DBL_EPSILON * f->singular[0];
    cml_linfit_set_intercept(f, &d, p->fit_intercept);
    *fallback = 0;
    st = CML_OK;
done:
fail:
    free(R1);
    free(R);
    free(z);
    free(s);
    free(work);
    free(d.x_offset);
    return st;
}

static cml_status fit_model(const cml_linear_regression_params *p, const cml_matrix *X,
                            const double *y, const double *sw, cml_linear_regression **out)
{
    cml_lin_design d;
    cml_linfit f;
    cml_status st;
    *out = NULL;
    if (!p) return cml_fail(CML_ERR_ARG, "linear_regression: params is NULL");
    const char *msg = cml_linear_regression_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "linear_regression: %s", msg);
    memset(&d, 0, sizeof d);
    CML_CHECK(cml_lin_check_input_shape("linear_regression", X, y, sw));
    CML_CHECK(cml_linfit_init(&f, X->cols));
    f.extras = CML_LINFIT_SVD;
    int fallback = 1;
    /* cml_lin_normal_eq rejects non-finite X itself */
    CML_TRY(fit_cholqr(p, X, y, sw, &f, &fallback));
    if (fallback) {
        CML_TRY(cml_lin_check_input("linear_regression", X, y, sw));
        CML_TRY(cml_lin_design_build(X, y, sw, p->fit_intercept, 0, 1, &d));
        CML_TRY(solve_lstsq(&d, &f));
        cml_linfit_set_intercept(&f, &d, p->fit_intercept);
    }
    *out = cml_linfit_wrap(&f, sizeof **out);
    if (!*out) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    cml_lin_design_free(&d);
    return CML_OK;
fail:
    cml_lin_design_free(&d);
    cml_linfit_clear(&f);
    return st;
}

cml_status cml_linear_regression_fit_weighted(const cml_linear_regression_params *p,
                                              const cml_matrix *X, const double *y,
                                              const double *sample_weight,
                                              cml_linear_regression **out)
{
    return fit_model(p, X, y, sample_weight, out);
}

cml_status cml_linear_regression_fit(const cml_linear_regression_params *p, const cml_matrix *X,
                                     const double *y, cml_linear_regression **out)
{
    return fit_model(p, X, y, NULL, out);
}

cml_status cml_linear_regression_predict(const cml_linear_regression *m, const cml_matrix *X,
                                         double *out)
{
    return cml_linfit_predict(m ? &m->fit : NULL, X, out);
}

const double *cml_linear_regression_coef(const cml_linear_regression *m, int64_t *n_features)
{
    if (n_features) *n_features = m->fit.n_features;
    return m->fit.coef;
}

double cml_linear_regression_intercept(const cml_linear_regression *m)
{
    return m->fit.intercept;
}

int64_t cml_linear_regression_rank(const cml_linear_regression *m)
{
    return m->fit.rank;
}

const double *cml_linear_regression_singular_values(const cml_linear_regression *m, int64_t *n)
{
    if (n) *n = m->fit.n_singular;
    return m->fit.singular;
}

void cml_linear_regression_free(cml_linear_regression *m)
{
    if (m) cml_linfit_vt_free(m);
}

/* ---------------------------------------------------------------- vtable */

static cml_status vt_fit(const void *params, const cml_matrix *X, const double *y,
                         const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_linear_regression *m;
    cml_status st = fit_model(params, X, y, opts ? opts->sample_weight : NULL, &m);
    *state = m;
    info->n_iter = 0;
    info->converged = 1;
    return st;
}

static cml_status vt_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    (void)schema_version;
    return cml_linfit_load(g, CML_LINFIT_SVD, sizeof(cml_linear_regression), state);
}

const cml_estimator cml_est_linear_regression = {
    .name = "linear_regression",
    .aliases = "ols",
    .summary = "ordinary least squares (minimum-norm solution by SVD)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 1,
    .params = ols_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_linear_regression_params),
    .validates_input = 1, /* cml_lin_check_input or the normal-equations pass */
    .fit = vt_fit,
    .predict = cml_linfit_vt_predict,
    .n_features_in = cml_linfit_vt_n_features,
    .save = cml_linfit_vt_save,
    .load = vt_load,
    .describe = cml_linfit_vt_describe,
    .free = cml_linfit_vt_free,
};
