/*
 * svr.c — epsilon-support vector regression (sklearn.svm.SVR, libsvm
 * EPSILON_SVR).
 *
 * Objective (the dual over 2l variables a, a*):
 *     min 1/2 (a - a*)' K (a - a*) + eps sum (a + a*) - y'(a - a*)
 *     s.t. e'(a - a*) = 0, 0 <= a_i, a*_i <= C_i = C * sample_weight_i,
 * solved by libsvm's SMO with the SVR Q matrix (kernel rows of the l
 * samples cached once, signs applied on the fly); see smo.c and kernel.c.
 * Prediction f(x) = sum_s (a_s - a*_s) K(x_s, x) - rho. Support vectors are
 * the rows with a_s != a*_s, in training order (sklearn's support_).
 *
 * Complexity: libsvm's; kernel rows parallel (OpenMP).
 * Thread-safety: a fitted model is read-only.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cml/svm.h"
#include "core/internal.h"
#include "svm/smo.h"
#include "svm/svm_common.h"

struct cml_svr {
    svm_km1 km;
};

static const cml_param_def svr_defs[] = {
    SVM_PARAM_KERNEL_DEFS(cml_svr_params),
    SVM_PARAM_SOLVER_DEFS(cml_svr_params),
    {"C", CML_PARAM_DOUBLE, "1.0", 0, 1e308, 1, NULL, "regularization: box constraint of the dual",
     offsetof(cml_svr_params, C)},
    {"epsilon", CML_PARAM_DOUBLE, "0.1", 0, 1e308, 0, NULL,
     "half-width of the tube in which errors cost nothing", offsetof(cml_svr_params, epsilon)},
};
#define N_SVR_DEFS ((int)(sizeof svr_defs / sizeof svr_defs[0]))

cml_svr_params cml_svr_params_default(void)
{
    cml_svr_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(svr_defs, N_SVR_DEFS, &p);
    return p;
}

const char *cml_svr_params_check(const cml_svr_params *p)
{
    const char *m = cml_params_check(svr_defs, N_SVR_DEFS, p);
    return m ? m : svm_kernel_params_check(p->kernel, p->degree, p->gamma);
}

void cml_svr_free(cml_svr *m)
{
    if (!m) return;
    svm_km1_clear(&m->km);
    free(m);
}

cml_status cml_svr_fit_weighted(const cml_svr_params *p, const cml_matrix *X, const double *y,
                                const double *sw, cml_svr **out)
{
    *out = NULL;
    const char *msg = cml_svr_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "SVR: %s", msg);
    if (!y) return cml_fail(CML_ERR_ARG, "SVR needs a target y");
    CML_CHECK(svm_check_fit_input("SVR", X, y, sw));
    cml_status st = CML_OK;
    int64_t *rows = NULL, l = 0;
    double *alpha2 = NULL, *lin = NULL, *C = NULL, *alpha = NULL;
    signed char *ys = NULL;
    svm_qmat *Q = NULL;
    cml_svr *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    svm_kparams *kp = &m->km.sv.kp;
    kp->type = p->kernel;
    kp->degree = p->degree;
    kp->coef0 = p->coef0;
    m->km.sv.n_features = X->cols;
    CML_TRY(svm_gamma_resolve(p->gamma, X, &kp->gamma));
    CML_TRY(svm_positive_rows(sw, X->rows, &rows, &l));
    alpha2 = cml_alloc_array(2 * l, sizeof(double));
    lin = cml_alloc_array(2 * l, sizeof(double));
    C = cml_alloc_array(2 * l, sizeof(double));
    ys = cml_alloc_array(2 * l, 1);
    alpha = cml_alloc_array(l, sizeof(double));
    if (!alpha2 || !lin || !C || !ys || !alpha) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* libsvm's solve_epsilon_svr: variables a (t < l) and a* (t >= l). */
    for (int64_t t = 0; t < l; t++) {
        double yt = y[rows[t]], c = (sw ? sw[rows[t]] : 1.0) * p->C;
        alpha2[t] = alpha2[t + l] = 0;
        lin[t] = p->epsilon - yt;
        lin[t + l] = p->epsilon + yt;
        ys[t] = 1;
        ys[t + l] = -1;
        C[t] = C[t + l] = c;
    }
    CML_TRY(svm_qmat_new(SVM_Q_SVR, X, rows, (int)l, NULL, kp, p->cache_size, 1, NULL, NULL, &Q));
    smo_result res;
    CML_TRY(
        smo_solve((int)(2 * l), Q, lin, ys, alpha2, C, p->tol, p->shrinking, p->max_iter, &res));
    for (int64_t t = 0; t < l; t++)
        alpha[t] = alpha2[t] - alpha2[t + l];
    CML_TRY(svm_km1_from_alpha(&m->km, X, rows, l, alpha, res.rho));
    m->km.n_iter = res.n_iter;
    m->km.converged = !res.timed_out;
    if (res.timed_out)
        cml_log(CML_LOG_WARN, "SVR: the solver stopped at max_iter = %d before tol = %g",
                p->max_iter, p->tol);
    *out = m;
    m = NULL;
fail:
    svm_qmat_free(Q);
    cml_svr_free(m);
    free(rows);
    free(alpha2);
    free(lin);
    free(C);
    free(ys);
    free(alpha);
    return st;
}

cml_status cml_svr_fit(const cml_svr_params *p, const cml_matrix *X, const double *y, cml_svr **out)
{
    return cml_svr_fit_weighted(p, X, y, NULL, out);
}

cml_status cml_svr_predict(const cml_svr *m, const cml_matrix *X, double *out)
{
    return svm_km1_eval(&m->km, "SVR", X, 0.0, out);
}

int64_t cml_svr_n_features_in(const cml_svr *m)
{
    return m->km.sv.n_features;
}
int64_t cml_svr_n_sv(const cml_svr *m)
{
    return m->km.sv.n_sv;
}
const int64_t *cml_svr_support(const cml_svr *m)
{
    return m->km.sv.support;
}
const double *cml_svr_support_vectors(const cml_svr *m)
{
    return m->km.sv.sv;
}
const double *cml_svr_dual_coef(const cml_svr *m)
{
    return m->km.coef;
}
double cml_svr_intercept(const cml_svr *m)
{
    return m->km.intercept;
}
int cml_svr_n_iter(const cml_svr *m)
{
    return m->km.n_iter;
}
double cml_svr_gamma(const cml_svr *m)
{
    return m->km.sv.kp.gamma;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_svr *m;
    CML_CHECK(cml_svr_fit_weighted(params, X, y, opts ? opts->sample_weight : NULL, &m));
    info->n_iter = m->km.n_iter;
    info->converged = m->km.converged;
    *state = m;
    return CML_OK;
}
static cml_status v_predict(const void *s, const cml_matrix *X, double *out)
{
    return cml_svr_predict(s, X, out);
}
static int64_t v_n_features(const void *s)
{
    return cml_svr_n_features_in(s);
}
static void v_free(void *s)
{
    cml_svr_free(s);
}
static cml_status v_save(const void *s, const void *params, cml_gguf_writer *w)
{
    (void)params;
    return svm_km1_save(&((const cml_svr *)s)->km, w);
}
static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    const cml_svr_params *p = params;
    (void)schema_version;
    cml_svr *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    cml_status st = svm_km1_load(g, p->kernel, p->degree, p->coef0, &m->km);
    if (st != CML_OK) {
        cml_svr_free(m);
        return st;
    }
    *state = m;
    return CML_OK;
}
static char *v_describe(const void *s)
{
    return svm_km1_describe(&((const cml_svr *)s)->km);
}

const cml_estimator cml_est_svr = {
    .name = "svr",
    .aliases = "",
    .summary = "epsilon-support vector regression (libsvm SMO; kernels linear, poly, rbf, sigmoid)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 1,
    .params = svr_defs,
    .n_params = N_SVR_DEFS,
    .params_size = sizeof(cml_svr_params),
    .fit = v_fit,
    .predict = v_predict,
    .n_features_in = v_n_features,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
