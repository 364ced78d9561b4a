/*
 * ridge.c — ridge regression (sklearn.linear_model.Ridge, 1.2 semantics,
 * dense X, solvers auto | svd | cholesky):
 *     min_{w,b} sum_i s_i (y_i - b - x_i·w)^2 + alpha ||w||^2
 * The intercept is removed by (weighted) centering and rows are scaled by
 * sqrt(s_i), as sklearn does; then on the design (Xc, yc):
 *   cholesky, p <= n: (Xc^T Xc + alpha I) w = Xc^T yc solved by dposv
 *       (sklearn: scipy.linalg.solve(assume_a="pos")); the Gram and Xc^T yc
 *       are accumulated in one pass over X in cache-sized blocks
 *       (cml_lin_normal_eq), so the centered (n, p) copy sklearn makes is
 *       never built: half the memory traffic, and no O(n p) allocation;
 *   cholesky, p > n: the kernel form w = Xc^T (Xc Xc^T + alpha I)^{-1} yc
 *       (sklearn's _solve_cholesky_kernel), which is O(n^2 p) instead of
 *       O(n p^2); if that matrix is not positive definite it falls back to
 *       least squares on it (dgelsd), as sklearn does;
 *   svd: Xc = U S V^T (dgesdd), w = V diag(s / (s^2 + alpha)) U^T yc with
 *       singular values <= 1e-15 dropped (sklearn's _solve_svd);
 *   a non-positive-definite normal matrix in the p <= n Cholesky path falls
 *   back to svd, as sklearn does. auto = cholesky (sklearn's choice for
 *   dense X). b = y_mean - x_mean·w. The iterative solvers (sag, lsqr, ...)
 *   and their max_iter/tol are not offered.
 *
 * Complexity: cholesky O(n p min(n, p) + min(n, p)^3); svd O(n p min(n, p)).
 * Thread-safety: fitting is reentrant; a fitted model is read-only.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "cml/linear.h"
#include "core/internal.h"
#include "linear/linear_common.h"

struct cml_ridge {
    cml_linfit fit; /* first and only member: see linear_common.h */
};

static const cml_param_def ridge_params[] = {
    {"alpha", CML_PARAM_DOUBLE, "1.0", 0, INFINITY, 0, NULL,
     "L2 penalty strength: larger shrinks the coefficients more",
     offsetof(cml_ridge_params, alpha)},
    {"fit_intercept", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "center X and y and fit an intercept (else the model passes through 0)",
     offsetof(cml_ridge_params, fit_intercept)},
    {"solver", CML_PARAM_ENUM, "auto", 0, 0, 0, "auto|svd|cholesky",
     "auto (= cholesky), svd (most stable), cholesky (normal or kernel equations)",
     offsetof(cml_ridge_params, solver)},
};
#define N_PARAMS ((int)(sizeof ridge_params / sizeof ridge_params[0]))

/* sklearn's threshold for a zero singular value (as scipy.linalg.pinv). */
#define SVD_ZERO 1e-15

cml_ridge_params cml_ridge_params_default(void)
{
    cml_ridge_params p;
    cml_status st = cml_params_init(ridge_params, N_PARAMS, &p);
    CML_ASSERT(st == CML_OK);
    return p;
}

const char *cml_ridge_params_check(const cml_ridge_params *p)
{
    return cml_params_check(ridge_params, N_PARAMS, p);
}

/* Layout helpers: the design is column-major (svd) or row-major (cholesky,
 * which so skips a transpose); the Gram/kernel matrices are column-major. */
#define DLAYOUT(d) ((d)->col_major ? CblasColMajor : CblasRowMajor)
#define DLD(d)     ((d)->col_major ? (d)->n : (d)->p)

/* w = V diag(s/(s^2+alpha)) U^T y. Overwrites d->X. */
static cml_status solve_svd(cml_lin_design *d, double alpha, double *w)
{
    const lapack_int n = (lapack_int)d->n, p = (lapack_int)d->p, k = CML_MIN(n, p);
    const int cm = d->col_major;
    double *s = cml_alloc_array(k, sizeof(double));
    double *U = cml_alloc_array((int64_t)n * k, sizeof(double));
    double *VT = cml_alloc_array((int64_t)k * p, sizeof(double));
    double *uty = cml_alloc_array(k, sizeof(double));
    cml_status st = CML_OK;
    if (!s || !U || !VT || !uty) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    /* U is (n, k) and VT (k, p), in the design's layout. */
    lapack_int info = LAPACKE_dgesdd(cm ? LAPACK_COL_MAJOR : LAPACK_ROW_MAJOR, 'S', n, p, d->X,
                                     (lapack_int)DLD(d), s, U, cm ? n : k, VT, cm ? k : p);
    if (info != 0) {
        st = info < 0 ? cml_fail(CML_ERR_INTERNAL, "dgesdd: argument %d invalid", (int)-info)
                      : cml_fail(CML_ERR_CONVERGENCE,
                                 "ridge: the SVD did not converge (LAPACK dgesdd info %d). HINT: "
                                 "check X for huge or badly scaled values",
                                 (int)info);
        goto done;
    }
    cblas_dgemv(DLAYOUT(d), CblasTrans, n, k, 1.0, U, cm ? n : k, d->y, 1, 0.0, uty, 1);
    for (lapack_int i = 0; i < k; i++)
        uty[i] *= s[i] > SVD_ZERO ? s[i] / (s[i] * s[i] + alpha) : 0.0;
    cblas_dgemv(DLAYOUT(d), CblasTrans, k, p, 1.0, VT, cm ? k : p, uty, 1, 0.0, w, 1);
done:
    free(s);
    free(U);
    free(VT);
    free(uty);
    return st;
}

/* Kernel form (p > n): dual = (K + alpha I)^{-1} y, w = X^T dual. */
static cml_status solve_cholesky_kernel(const cml_lin_design *d, double alpha, double *w)
{
    const lapack_int n = (lapack_int)d->n, p = (lapack_int)d->p;
    double *K = cml_alloc_array((int64_t)n * n, sizeof(double));
    double *Kf = cml_alloc_array((int64_t)n * n, sizeof(double));
    double *dual = cml_alloc_array(n, sizeof(double));
    double *s = NULL;
    cml_status st = CML_OK;
    if (!K || !Kf || !dual) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    cblas_dsyrk(CblasColMajor, CblasUpper, d->col_major ? CblasNoTrans : CblasTrans, n, p, 1.0,
                d->X, (int)DLD(d), 0.0, K, n);
    for (lapack_int j = 0; j < n; j++)
        K[(int64_t)j * n + j] += alpha;
    memcpy(Kf, K, (size_t)n * (size_t)n * sizeof(double));
    memcpy(dual, d->y, (size_t)n * sizeof(double));
    lapack_int info = LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', n, 1, Kf, n, dual, n);
    if (info < 0) {
        st = cml_fail(CML_ERR_INTERNAL, "dposv: argument %d invalid", (int)-info);
        goto done;
    }
    if (info > 0) {
        /* sklearn: "Singular matrix in solving dual problem. Using
         * least-squares solution instead." (scipy.linalg.lstsq = dgelsd) */
        cml_log(CML_LOG_WARN, "ridge: singular matrix in the dual (kernel) problem; using the "
                              "least-squares solution instead");
        for (lapack_int j = 0; j < n; j++) /* dsyrk filled the upper triangle only */
            for (lapack_int i = j + 1; i < n; i++)
                K[(int64_t)j * n + i] = K[(int64_t)i * n + j];
        s = cml_alloc_array(n, sizeof(double));
        if (!s) {
            st = CML_ERR_NOMEM;
            goto done;
        }
        lapack_int rank;
        memcpy(dual, d->y, (size_t)n * sizeof(double));
        info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, n, n, 1, K, n, dual, n, s, DBL_EPSILON, &rank);
        if (info != 0) {
            st = cml_fail(CML_ERR_CONVERGENCE,
                          "ridge: least squares on the kernel matrix failed "
                          "(LAPACK dgelsd info %d)",
                          (int)info);
            goto done;
        }
    }
    cblas_dgemv(DLAYOUT(d), CblasTrans, n, p, 1.0, d->X, (int)DLD(d), dual, 1, 0.0, w, 1);
done:
    free(K);
    free(Kf);
    free(dual);
    free(s);
    return st;
}

/* The primal Cholesky path straight from X (p <= n): the normal equations
 * are accumulated in cache-sized blocks (cml_lin_normal_eq), so the (n, p)
 * centered design is never materialised. *not_pd: dposv found the matrix not
 * positive definite; the caller falls back to svd on the full design. */
static cml_status fit_normal_eq(const cml_ridge_params *p, const cml_matrix *X, const double *y,
                                const double *sw, cml_linfit *f, int *not_pd)
{
    const int64_t nf = X->cols;
    cml_lin_design d = {.n = X->rows, .p = nf};
    double *A = cml_alloc_array(nf * nf, sizeof(double));
    d.x_offset = cml_alloc_array(nf, sizeof(double));
    cml_status st = CML_ERR_NOMEM;
    if (!A || !d.x_offset) goto done;
    CML_TRY(cml_lin_normal_eq(X, y, sw, p->fit_intercept, A, f->coef, d.x_offset, &d.y_offset));
    for (int64_t j = 0; j < nf; j++)
        A[j * nf + j] += p->alpha;
    lapack_int info = LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', (lapack_int)nf, 1, A, (lapack_int)nf,
                                    f->coef, (lapack_int)nf);
    if (info < 0) {
        st = cml_fail(CML_ERR_INTERNAL, "dposv: argument %d invalid", (int)-info);
        goto done;
    }
    *not_pd = info > 0;
    if (!*not_pd) cml_linfit_set_intercept(f, &d, p->fit_intercept);
    st = CML_OK;
done:
fail:
    free(A);
    free(d.x_offset);
    return st;
}

static cml_status fit_model(const cml_ridge_params *p, const cml_matrix *X, const double *y,
                            const double *sw, cml_ridge **out)
{
    cml_lin_design d = {0};
    cml_linfit f;
    cml_status st;
    *out = NULL;
    if (!p) return cml_fail(CML_ERR_ARG, "ridge: params is NULL");
    const char *msg = cml_ridge_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "ridge: %s", msg);
    int use_svd = p->solver == CML_RIDGE_SVD;
    int primal = !use_svd && X && X->cols <= X->rows;
    if (primal) {
        CML_CHECK(cml_lin_check_input_shape("ridge", X, y, sw));
        CML_CHECK(cml_linfit_init(&f, X->cols));
        st = fit_normal_eq(p, X, y, sw, &f, &use_svd);
        if (st != CML_OK) {
            cml_linfit_clear(&f);
            return cml_fail_context(st, "ridge");
        }
        if (use_svd)
            cml_log(CML_LOG_DEBUG, "ridge: X^T X + alpha I is not positive definite; using svd");
        else
            goto wrap;
        cml_linfit_clear(&f);
    } else {
        CML_CHECK(cml_lin_check_input("ridge", X, y, sw));
    }
    CML_CHECK(cml_lin_design_build(X, y, sw, p->fit_intercept, 0, use_svd, &d));
    CML_TRY(cml_linfit_init(&f, d.p));
    if (!use_svd) CML_TRY(solve_cholesky_kernel(&d, p->alpha, f.coef));
    if (use_svd) CML_TRY(solve_svd(&d, p->alpha, f.coef));
    cml_linfit_set_intercept(&f, &d, p->fit_intercept);
wrap:
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

cml_status cml_ridge_fit_weighted(const cml_ridge_params *p, const cml_matrix *X, const double *y,
                                  const double *sample_weight, cml_ridge **out)
{
    return fit_model(p, X, y, sample_weight, out);
}

cml_status cml_ridge_fit(const cml_ridge_params *p, const cml_matrix *X, const double *y,
                         cml_ridge **out)
{
    return fit_model(p, X, y, NULL, out);
}

cml_status cml_ridge_predict(const cml_ridge *m, const cml_matrix *X, double *out)
{
    return cml_linfit_predict(m ? &m->fit : NULL, X, out);
}

const double *cml_ridge_coef(const cml_ridge *m, int64_t *n_features)
{
    if (n_features) *n_features = m->fit.n_features;
    return m->fit.coef;
}

double cml_ridge_intercept(const cml_ridge *m)
{
    return m->fit.intercept;
}

void cml_ridge_free(cml_ridge *m)
{
    if (m) cml_linfit_vt_free(m);
}

/* ---------------------------------------------------------------- vtable */

static cml_status vt_fit(const void *params, const cml_matrix *X, const double *y,
                         const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_ridge *m;
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
    return cml_linfit_load(g, 0, sizeof(cml_ridge), state);
}

const cml_estimator cml_est_ridge = {
    .name = "ridge",
    .aliases = "",
    .summary = "linear regression with an L2 penalty (Cholesky or SVD)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 1,
    .params = ridge_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_ridge_params),
    .validates_input = 1, /* cml_lin_check_input or the normal-equations pass */
    .fit = vt_fit,
    .predict = cml_linfit_vt_predict,
    .n_features_in = cml_linfit_vt_n_features,
    .save = cml_linfit_vt_save,
    .load = vt_load,
    .describe = cml_linfit_vt_describe,
    .free = cml_linfit_vt_free,
};
