/*
 * lasso.c — Lasso regression (sklearn.linear_model.Lasso, 1.2 semantics):
 *     min_{w,b} 1/(2n) sum_i s_i (y_i - b - x_i·w)^2 + alpha ||w||_1
 * i.e. ElasticNet with l1_ratio = 1 (sklearn's Lasso subclasses ElasticNet
 * the same way): this file only maps its parameters onto
 * cml_enet_fit_linfit (elastic_net.c) and the coordinate descent in cd.c.
 *
 * Complexity: O(n p) per sweep, or O(n p^2) once then O(p^2) per sweep
 * with the Gram matrix (precompute, see cd.h). Thread-safety: as elastic_net.c.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>

#include "cml/linear.h"
#include "core/internal.h"
#include "linear/cd.h"
#include "linear/linear_common.h"

struct cml_lasso {
    cml_linfit fit; /* first and only member: see linear_common.h */
};

static const cml_param_def lasso_params[] = {
    {"alpha", CML_PARAM_DOUBLE, "1.0", 0, INFINITY, 0, NULL,
     "L1 penalty strength (0 = least squares, discouraged: use linear_regression)",
     offsetof(cml_lasso_params, alpha)},
    CML_CD_PARAM_ROWS(cml_lasso_params),
};
#define N_PARAMS ((int)(sizeof lasso_params / sizeof lasso_params[0]))

cml_lasso_params cml_lasso_params_default(void)
{
    cml_lasso_params p;
    cml_status st = cml_params_init(lasso_params, N_PARAMS, &p);
    CML_ASSERT(st == CML_OK);
    return p;
}

const char *cml_lasso_params_check(const cml_lasso_params *p)
{
    return cml_params_check(lasso_params, N_PARAMS, p);
}

static cml_status fit_model(const cml_lasso_params *p, const cml_matrix *X, const double *y,
                            const double *sw, cml_fit_info *info, cml_lasso **out)
{
    cml_linfit f;
    *out = NULL;
    if (!p) return cml_fail(CML_ERR_ARG, "lasso: params is NULL");
    const char *msg = cml_lasso_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "lasso: %s", msg);
    cml_elastic_net_params e = {.alpha = p->alpha,
                                .l1_ratio = 1.0,
                                .fit_intercept = p->fit_intercept,
                                .max_iter = p->max_iter,
                                .tol = p->tol,
                                .positive = p->positive,
                                .random_state = p->random_state,
                                .selection = p->selection,
                                .precompute = p->precompute};
    CML_CHECK(cml_enet_fit_linfit(&e, "lasso", X, y, sw, &f, info));
    *out = cml_linfit_wrap(&f, sizeof **out);
    if (!*out) {
        cml_linfit_clear(&f);
        return CML_ERR_NOMEM;
    }
    return CML_OK;
}

cml_status cml_lasso_fit_weighted(const cml_lasso_params *p, const cml_matrix *X, const double *y,
                                  const double *sample_weight, cml_lasso **out)
{
    return fit_model(p, X, y, sample_weight, NULL, out);
}

cml_status cml_lasso_fit(const cml_lasso_params *p, const cml_matrix *X, const double *y,
                         cml_lasso **out)
{
    return fit_model(p, X, y, NULL, NULL, out);
}

cml_status cml_lasso_predict(const cml_lasso *m, const cml_matrix *X, double *out)
{
    return cml_linfit_predict(m ? &m->fit : NULL, X, out);
}

const double *cml_lasso_coef(const cml_lasso *m, int64_t *n_features)
{
    if (n_features) *n_features = m->fit.n_features;
    return m->fit.coef;
}

double cml_lasso_intercept(const cml_lasso *m)
{
    return m->fit.intercept;
}

int cml_lasso_n_iter(const cml_lasso *m)
{
    return m->fit.n_iter;
}

double cml_lasso_dual_gap(const cml_lasso *m)
{
    return m->fit.dual_gap;
}

int cml_lasso_converged(const cml_lasso *m)
{
    return m->fit.converged;
}

void cml_lasso_free(cml_lasso *m)
{
    if (m) cml_linfit_vt_free(m);
}

/* ---------------------------------------------------------------- vtable */

static cml_status vt_fit(const void *params, const cml_matrix *X, const double *y,
                         const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_lasso *m;
    cml_status st = fit_model(params, X, y, opts ? opts->sample_weight : NULL, info, &m);
    *state = m;
    return st;
}

static cml_status vt_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    (void)schema_version;
    return cml_linfit_load(g, CML_LINFIT_CD, sizeof(cml_lasso), state);
}

const cml_estimator cml_est_lasso = {
    .name = "lasso",
    .aliases = "",
    .summary = "linear regression with an L1 penalty: sparse coefficients (coordinate descent)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 1,
    .params = lasso_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_lasso_params),
    .validates_input = 1, /* cml_lin_check_input or the normal-equations pass */
    .fit = vt_fit,
    .predict = cml_linfit_vt_predict,
    .n_features_in = cml_linfit_vt_n_features,
    .save = cml_linfit_vt_save,
    .load = vt_load,
    .describe = cml_linfit_vt_describe,
    .free = cml_linfit_vt_free,
};
