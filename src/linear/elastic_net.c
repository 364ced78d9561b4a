/*
 * elastic_net.c — ElasticNet regression (sklearn.linear_model.ElasticNet,
 * 1.2 semantics, dense X; precompute=true is sklearn's precompute=True, false
 * its default, auto (cml's default) picks the Gram path for n >= 1000 and
 * n >= 2p, see cml_cd_use_gram).
 *
 * Objective:
 *     min_{w,b} 1/(2n) sum_i s_i (y_i - b - x_i·w)^2 + alpha*l1_ratio ||w||_1
 *               + alpha*(1 - l1_ratio)/2 ||w||^2
 * with weights s rescaled to sum to n (sklearn does so). The intercept is
 * handled by centering (b = y_mean - x_mean·w), the rest by coordinate
 * descent (cd.c) on the n-scaled problem with l1 = alpha*l1_ratio*n and
 * l2 = alpha*(1 - l1_ratio)*n, from w = 0 (no warm start).
 *
 * Complexity: O(n p) to build the design, O(n p) per sweep; with the Gram
 * matrix O(n p^2) once (formed on the same centered, sqrt(w)-scaled design,
 * as sklearn's _pre_fit does) and O(p^2) per sweep.
 * Thread-safety: fitting is reentrant; a fitted model is read-only.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/linear.h"
#include "core/internal.h"
#include "linear/cd.h"
#include "linear/linear_common.h"

struct cml_elastic_net {
    cml_linfit fit; /* first and only member: see linear_common.h */
};

static const cml_param_def enet_params[] = {
    {"alpha", CML_PARAM_DOUBLE, "1.0", 0, INFINITY, 0, NULL,
     "overall penalty strength (0 = least squares, discouraged: use linear_regression)",
     offsetof(cml_elastic_net_params, alpha)},
    {"l1_ratio", CML_PARAM_DOUBLE, "0.5", 0, 1, 0, NULL,
     "mix of the penalties: 1 = lasso (L1), 0 = ridge (L2)",
     offsetof(cml_elastic_net_params, l1_ratio)},
    CML_CD_PARAM_ROWS(cml_elastic_net_params),
};
#define N_PARAMS ((int)(sizeof enet_params / sizeof enet_params[0]))

cml_elastic_net_params cml_elastic_net_params_default(void)
{
    cml_elastic_net_params p;
    cml_status st = cml_params_init(enet_params, N_PARAMS, &p);
    CML_ASSERT(st == CML_OK);
    return p;
}

const char *cml_elastic_net_params_check(const cml_elastic_net_params *p)
{
    return cml_params_check(enet_params, N_PARAMS, p);
}

cml_status cml_enet_fit_linfit(const cml_elastic_net_params *p, const char *who,
                               const cml_matrix *X, const double *y, const double *sw,
                               cml_linfit *out, cml_fit_info *info)
{
    cml_lin_design d;
    cml_status st;
    double *Q = NULL, *q = NULL;
    memset(out, 0, sizeof *out);
    memset(&d, 0, sizeof d);
    const int gram = cml_cd_use_gram(p->precompute, X ? X->rows : 0, X ? X->cols : 0);
    /* the Gram pass rejects non-finite X itself */
    CML_CHECK(gram ? cml_lin_check_input_shape(who, X, y, sw) : cml_lin_check_input(who, X, y, sw));
    if (p->alpha == 0)
        cml_log(CML_LOG_WARN,
                "%s: with alpha=0 coordinate descent does not converge well. "
                "HINT: use linear_regression",
                who);
    if (gram) {
        Q = cml_alloc_array(X->cols * X->cols, sizeof(double));
        q = cml_alloc_array(X->cols, sizeof(double));
        if (!Q || !q) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(cml_lin_gram_design(X, y, sw, p->fit_intercept, 1, Q, q, &d));
    } else {
        CML_TRY(cml_lin_design_build(X, y, sw, p->fit_intercept, 1, 1, &d));
    }
    CML_TRY(cml_linfit_init(out, d.p));
    out->extras = CML_LINFIT_CD;

    const double n = (double)d.n;
    cml_cd_problem pb = {d.X,
                         d.y,
                         d.n,
                         d.p,
                         p->alpha * p->l1_ratio * n,
                         p->alpha * (1.0 - p->l1_ratio) * n,
                         p->max_iter,
                         p->tol,
                         p->positive,
                         p->selection == CML_CD_RANDOM,
                         (uint64_t)p->random_state};
    cml_cd_result r;
    if (gram)
        CML_TRY(cml_cd_enet_gram(&pb, Q, q, out->coef, &r));
    else
        CML_TRY(cml_cd_enet(&pb, out->coef, &r));
    out->n_iter = r.n_iter;
    out->dual_gap = r.gap / n; /* sklearn reports the gap of the 1/n objective */
    out->converged = r.converged;
    cml_linfit_set_intercept(out, &d, p->fit_intercept);
    for (int64_t j = 0; j < d.p; j++)
        if (!isfinite(out->coef[j])) {
            st = cml_fail(CML_ERR_CONVERGENCE,
                          "%s: coordinate descent produced non-finite coefficients. HINT: the "
                          "input may hold very large values; scale the features",
                          who);
            goto fail;
        }
    if (info) {
        info->n_iter = r.n_iter;
        info->converged = r.converged;
        info->objective = r.objective / n;
    }
    cml_lin_design_free(&d);
    free(Q);
    free(q);
    return CML_OK;
fail:
    cml_lin_design_free(&d);
    free(Q);
    free(q);
    cml_linfit_clear(out);
    return st;
}

static cml_status fit_model(const cml_elastic_net_params *p, const cml_matrix *X, const double *y,
                            const double *sw, cml_fit_info *info, cml_elastic_net **out)
{
    cml_linfit f;
    *out = NULL;
    if (!p) return cml_fail(CML_ERR_ARG, "elastic_net: params is NULL");
    const char *msg = cml_elastic_net_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "elastic_net: %s", msg);
    CML_CHECK(cml_enet_fit_linfit(p, "elastic_net", X, y, sw, &f, info));
    *out = cml_linfit_wrap(&f, sizeof **out);
    if (!*out) {
        cml_linfit_clear(&f);
        return CML_ERR_NOMEM;
    }
    return CML_OK;
}

cml_status cml_elastic_net_fit_weighted(const cml_elastic_net_params *p, const cml_matrix *X,
                                        const double *y, const double *sample_weight,
                                        cml_elastic_net **out)
{
    return fit_model(p, X, y, sample_weight, NULL, out);
}

cml_status cml_elastic_net_fit(const cml_elastic_net_params *p, const cml_matrix *X,
                               const double *y, cml_elastic_net **out)
{
    return cml_elastic_net_fit_weighted(p, X, y, NULL, out);
}

cml_status cml_elastic_net_predict(const cml_elastic_net *m, const cml_matrix *X, double *out)
{
    return cml_linfit_predict(m ? &m->fit : NULL, X, out);
}

const double *cml_elastic_net_coef(const cml_elastic_net *m, int64_t *n_features)
{
    if (n_features) *n_features = m->fit.n_features;
    return m->fit.coef;
}

double cml_elastic_net_intercept(const cml_elastic_net *m)
{
    return m->fit.intercept;
}

int cml_elastic_net_n_iter(const cml_elastic_net *m)
{
    return m->fit.n_iter;
}

double cml_elastic_net_dual_gap(const cml_elastic_net *m)
{
    return m->fit.dual_gap;
}

int cml_elastic_net_converged(const cml_elastic_net *m)
{
    return m->fit.converged;
}

void cml_elastic_net_free(cml_elastic_net *m)
{
    if (m) cml_linfit_vt_free(m);
}

/* ---------------------------------------------------------------- vtable */

static cml_status vt_fit(const void *params, const cml_matrix *X, const double *y,
                         const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_elastic_net *m;
    cml_status st = fit_model(params, X, y, opts ? opts->sample_weight : NULL, info, &m);
    *state = m;
    return st;
}

static cml_status vt_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    (void)schema_version;
    return cml_linfit_load(g, CML_LINFIT_CD, sizeof(cml_elastic_net), state);
}

const cml_estimator cml_est_elastic_net = {
    .name = "elastic_net",
    .aliases = "enet",
    .summary = "linear regression with combined L1 and L2 penalties (coordinate descent)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 1,
    .params = enet_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_elastic_net_params),
    .validates_input = 1, /* cml_lin_check_input or the normal-equations pass */
    .fit = vt_fit,
    .predict = cml_linfit_vt_predict,
    .n_features_in = cml_linfit_vt_n_features,
    .save = cml_linfit_vt_save,
    .load = vt_load,
    .describe = cml_linfit_vt_describe,
    .free = cml_linfit_vt_free,
};
