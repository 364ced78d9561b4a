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
 * Complexity: O(n p min(n, p)) for the SVD, O(n p) for centering.
 * Thread-safety: fitting is reentrant; a fitted model is read-only.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <float.h>
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
    CML_CHECK(cml_lin_check_input("linear_regression", X, y, sw));
    CML_CHECK(cml_lin_design_build(X, y, sw, p->fit_intercept, 0, 1, &d));
    CML_TRY(cml_linfit_init(&f, d.p));
    f.extras = CML_LINFIT_SVD;
    CML_TRY(solve_lstsq(&d, &f));
    cml_linfit_set_intercept(&f, &d, p->fit_intercept);
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
