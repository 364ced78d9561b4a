/*
 * linear_svr.c — linear support vector regression (sklearn.svm.LinearSVR,
 * liblinear L2R_L1LOSS_SVR_DUAL / L2R_L2LOSS_SVR_DUAL).
 *
 * Objective: min_w 1/2 |w|^2 + sum_i C_i loss(y_i - w.[x_i, b]),
 *     loss = max(0, |r| - epsilon) (epsilon_insensitive) or its square
 *     (squared_epsilon_insensitive),
 * b = intercept_scaling the regularized bias feature, solved in the dual by
 * dcd.c (Ho & Lin 2012). coef_ = w[:d], intercept_ = intercept_scaling w[d].
 *
 * Complexity: O(max_iter * nnz). Thread-safety: a fitted model is read-only.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cml/svm.h"
#include "core/internal.h"
#include "core/strbuf.h"
#include "svm/dcd.h"
#include "svm/svm_common.h"

struct cml_linear_svr {
    int64_t n_features;
    double *coef; /* (n_features) */
    double intercept;
    int n_iter;
    int converged;
};

static const cml_param_def lsvr_defs[] = {
    {"epsilon", CML_PARAM_DOUBLE, "0.0", 0, 1e308, 0, NULL,
     "half-width of the tube in which errors cost nothing",
     offsetof(cml_linear_svr_params, epsilon)},
    {"tol", CML_PARAM_DOUBLE, "0.0001", 0, 1e308, 1, NULL, "stopping tolerance",
     offsetof(cml_linear_svr_params, tol)},
    {"C", CML_PARAM_DOUBLE, "1.0", 0, 1e308, 1, NULL, "inverse regularization strength",
     offsetof(cml_linear_svr_params, C)},
    {"loss", CML_PARAM_ENUM, "epsilon_insensitive", 0, 0, 0,
     "epsilon_insensitive|squared_epsilon_insensitive", "loss function",
     offsetof(cml_linear_svr_params, loss)},
    {"fit_intercept", CML_PARAM_BOOL, "true", 0, 1, 0, NULL,
     "add liblinear's bias feature (its weight is regularized)",
     offsetof(cml_linear_svr_params, fit_intercept)},
    {"intercept_scaling", CML_PARAM_DOUBLE, "1.0", 0, 1e308, 1, NULL, "value of the bias feature",
     offsetof(cml_linear_svr_params, intercept_scaling)},
    {"dual", CML_PARAM_BOOL, "true", 0, 1, 0, NULL,
     "solve the dual (true; the primal solver is not implemented)",
     offsetof(cml_linear_svr_params, dual)},
    {"random_state", CML_PARAM_INT, "0", 0, 2147483647.0, 0, NULL, "seed of the coordinate order",
     offsetof(cml_linear_svr_params, random_state)},
    {"max_iter", CML_PARAM_INT, "1000", 1, 2147483647.0, 0, NULL, "maximum number of epochs",
     offsetof(cml_linear_svr_params, max_iter)},
};
#define N_LSVR_DEFS ((int)(sizeof lsvr_defs / sizeof lsvr_defs[0]))

cml_linear_svr_params cml_linear_svr_params_default(void)
{
    cml_linear_svr_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(lsvr_defs, N_LSVR_DEFS, &p);
    return p;
}

const char *cml_linear_svr_params_check(const cml_linear_svr_params *p)
{
    const char *m = cml_params_check(lsvr_defs, N_LSVR_DEFS, p);
    if (!m && !p->dual)
        m = "dual = false (liblinear's primal solver) is not implemented. HINT: use dual=true";
    return m;
}

void cml_linear_svr_free(cml_linear_svr *m)
{
    if (!m) return;
    free(m->coef);
    free(m);
}

static cml_status fit_data(const cml_linear_svr_params *p, const dcd_data *D, int64_t n,
                           const double *y, const double *sw, cml_linear_svr **out)
{
    *out = NULL;
    const char *msg = cml_linear_svr_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "LinearSVR: %s", msg);
    if (!y) return cml_fail(CML_ERR_ARG, "LinearSVR needs a target y");
    cml_status st = CML_OK;
    int64_t l = 0, *rows = NULL, ws = dcd_w_size(D);
    double *C = NULL, *yy = NULL, *w = NULL;
    cml_linear_svr *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->n_features = D->d;
    CML_TRY(svm_positive_rows(sw, n, &rows, &l));
    C = cml_alloc_array(l, sizeof(double));
    yy = cml_alloc_array(l, sizeof(double));
    w = cml_alloc_array(ws, sizeof(double));
    m->coef = cml_alloc_array(D->d, sizeof(double));
    if (!C || !yy || !w || !m->coef) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t t = 0; t < l; t++) {
        C[t] = (sw ? sw[rows[t]] : 1.0) * p->C;
        yy[t] = y[rows[t]];
    }
    cml_rng rng;
    cml_rng_seed(&rng, (uint64_t)p->random_state);
    dcd_problem P = {D, rows, l, C, p->tol, p->max_iter, &rng};
    CML_TRY(dcd_svr(&P, yy, p->loss == CML_LSVR_SQUARED_EPSILON_INSENSITIVE, p->epsilon, w,
                    &m->n_iter));
    memcpy(m->coef, w, sizeof(double) * (size_t)D->d);
    m->intercept = D->bias > 0 ? D->bias * w[D->d] : 0.0;
    m->converged = m->n_iter < p->max_iter;
    if (!m->converged)
        cml_log(CML_LOG_WARN, "LinearSVR: liblinear's solver did not converge in max_iter = %d",
                p->max_iter);
    *out = m;
    m = NULL;
fail:
    cml_linear_svr_free(m);
    free(rows);
    free(C);
    free(yy);
    free(w);
    return st;
}

cml_status cml_linear_svr_fit_weighted(const cml_linear_svr_params *p, const cml_matrix *X,
                                       const double *y, const double *sw, cml_linear_svr **out)
{
    *out = NULL;
    CML_CHECK(svm_check_fit_input("LinearSVR", X, y, sw));
    dcd_data D = {X, NULL, X->cols, p->fit_intercept ? p->intercept_scaling : -1.0};
    return fit_data(p, &D, X->rows, y, sw, out);
}

cml_status cml_linear_svr_fit(const cml_linear_svr_params *p, const cml_matrix *X, const double *y,
                              cml_linear_svr **out)
{
    return cml_linear_svr_fit_weighted(p, X, y, NULL, out);
}

cml_status cml_linear_svr_fit_csr(const cml_linear_svr_params *p, const cml_csr *X, const double *y,
                                  cml_linear_svr **out)
{
    *out = NULL;
    CML_CHECK(cml_csr_check(X, "X"));
    for (int64_t t = 0; t < X->nnz; t++)
        if (!isfinite(X->data[t]))
            return cml_fail(CML_ERR_ARG, "LinearSVR: X has a non-finite value (stored entry %lld)",
                            (long long)t);
    if (y)
        for (int64_t i = 0; i < X->rows; i++)
            if (!isfinite(y[i]))
                return cml_fail(CML_ERR_ARG, "LinearSVR: y row %lld is not finite",
                                (long long)i + 1);
    dcd_data D = {NULL, X, X->cols, p->fit_intercept ? p->intercept_scaling : -1.0};
    return fit_data(p, &D, X->rows, y, NULL, out);
}

cml_status cml_linear_svr_predict(const cml_linear_svr *m, const cml_matrix *X, double *out)
{
    CML_CHECK(svm_check_predict_input("LinearSVR", X, m->n_features));
    return dcd_decision(m->coef, &m->intercept, 1, m->n_features, X, NULL, out);
}

cml_status cml_linear_svr_predict_csr(const cml_linear_svr *m, const cml_csr *X, double *out)
{
    CML_CHECK(cml_csr_check(X, "X"));
    if (X->cols != m->n_features)
        return cml_fail(CML_ERR_ARG,
                        "LinearSVR: X has %lld features, but the model was fitted with %lld",
                        (long long)X->cols, (long long)m->n_features);
    return dcd_decision(m->coef, &m->intercept, 1, m->n_features, NULL, X, out);
}

int64_t cml_linear_svr_n_features_in(const cml_linear_svr *m)
{
    return m->n_features;
}
const double *cml_linear_svr_coef(const cml_linear_svr *m)
{
    return m->coef;
}
double cml_linear_svr_intercept(const cml_linear_svr *m)
{
    return m->intercept;
}
int cml_linear_svr_n_iter(const cml_linear_svr *m)
{
    return m->n_iter;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_linear_svr *m;
    CML_CHECK(cml_linear_svr_fit_weighted(params, X, y, opts ? opts->sample_weight : NULL, &m));
    info->n_iter = m->n_iter;
    info->converged = m->converged;
    *state = m;
    return CML_OK;
}
static cml_status v_predict(const void *s, const cml_matrix *X, double *out)
{
    return cml_linear_svr_predict(s, X, out);
}
static int64_t v_n_features(const void *s)
{
    return cml_linear_svr_n_features_in(s);
}
static void v_free(void *s)
{
    cml_linear_svr_free(s);
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    const cml_linear_svr *m = state;
    (void)params;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->n_features));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.intercept", m->intercept));
    return cml_gguf_add_f64(w, "coef", m->coef, 1, m->n_features);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    cml_status st = CML_OK;
    int64_t d;
    (void)params;
    (void)schema_version;
    cml_linear_svr *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &d));
    if (d < 1 || d > INT32_MAX) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad LinearSVR feature count %lld", cml_gguf_name(g),
                      (long long)d);
        goto fail;
    }
    m->n_features = d;
    m->converged = 1;
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.intercept", &m->intercept));
    CML_TRY(cml_gguf_expect(g, "coef", CML_GGUF_T_F64, 1, d)); /* before sizing from d */
    m->coef = cml_alloc_array(d, sizeof(double));
    if (!m->coef) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "coef", 1, d, m->coef));
    *state = m;
    return CML_OK;
fail:
    cml_linear_svr_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_linear_svr *m = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"coef\":");
    cml_sb_json_arr(&sb, m->coef, m->n_features);
    cml_sb_puts(&sb, ",\"intercept\":");
    cml_sb_json_num(&sb, m->intercept);
    cml_sb_printf(&sb, ",\"n_iter\":%d}", m->n_iter);
    return cml_sb_finish(&sb);
}

const cml_estimator cml_est_linear_svr = {
    .name = "linear_svr",
    .aliases = "lsvr",
    .summary = "linear support vector regression (liblinear dual coordinate descent)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 1,
    .params = lsvr_defs,
    .n_params = N_LSVR_DEFS,
    .params_size = sizeof(cml_linear_svr_params),
    .fit = v_fit,
    .predict = v_predict,
    .n_features_in = v_n_features,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
