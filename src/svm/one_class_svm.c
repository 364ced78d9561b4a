/*
 * one_class_svm.c — one-class SVM for novelty / outlier detection
 * (sklearn.svm.OneClassSVM, libsvm ONE_CLASS; Schoelkopf et al.,
 * "Estimating the support of a high-dimensional distribution", Neural
 * Computation 13, 2001).
 *
 * Objective: min_a 1/2 a'Ka  s.t. e'a = nu * sum_i w_i, 0 <= a_i <= w_i,
 * started as sklearn's libsvm does (the first rows at their bound until
 * nu * l is used up) and solved by libsvm's SMO. decision(x) =
 * sum_s a_s K(x_s, x) - rho; predict = +1 (inlier) when decision > 0,
 * else -1. score_samples = decision + offset, offset = rho.
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

struct cml_one_class_svm {
    svm_km1 km;
};

static const cml_param_def ocsvm_defs[] = {
    SVM_PARAM_KERNEL_DEFS(cml_one_class_svm_params),
    SVM_PARAM_SOLVER_DEFS(cml_one_class_svm_params),
    {"nu", CML_PARAM_DOUBLE, "0.5", 0, 1, 1, NULL,
     "upper bound on the fraction of training errors, lower bound on that of support vectors",
     offsetof(cml_one_class_svm_params, nu)},
};
#define N_OCSVM_DEFS ((int)(sizeof ocsvm_defs / sizeof ocsvm_defs[0]))

cml_one_class_svm_params cml_one_class_svm_params_default(void)
{
    cml_one_class_svm_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(ocsvm_defs, N_OCSVM_DEFS, &p);
    return p;
}

const char *cml_one_class_svm_params_check(const cml_one_class_svm_params *p)
{
    const char *m = cml_params_check(ocsvm_defs, N_OCSVM_DEFS, p);
    return m ? m : svm_kernel_params_check(p->kernel, p->degree, p->gamma);
}

void cml_one_class_svm_free(cml_one_class_svm *m)
{
    if (!m) return;
    svm_km1_clear(&m->km);
    free(m);
}

cml_status cml_one_class_svm_fit(const cml_one_class_svm_params *p, const cml_matrix *X,
                                 const double *sw, cml_one_class_svm **out)
{
    *out = NULL;
    const char *msg = cml_one_class_svm_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "OneClassSVM: %s", msg);
    CML_CHECK(svm_check_fit_input("OneClassSVM", X, NULL, sw));
    cml_status st = CML_OK;
    int64_t *rows = NULL, l = 0;
    double *alpha = NULL, *zeros = NULL, *C = NULL;
    signed char *ones = NULL;
    svm_qmat *Q = NULL;
    cml_one_class_svm *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    svm_kparams *kp = &m->km.sv.kp;
    kp->type = p->kernel;
    kp->degree = p->degree;
    kp->coef0 = p->coef0;
    m->km.sv.n_features = X->cols;
    CML_TRY(svm_gamma_resolve(p->gamma, X, &kp->gamma));
    CML_TRY(svm_positive_rows(sw, X->rows, &rows, &l));
    alpha = cml_alloc_array(l, sizeof(double));
    zeros = cml_alloc_array(l, sizeof(double));
    C = cml_alloc_array(l, sizeof(double));
    ones = cml_alloc_array(l, 1);
    if (!alpha || !zeros || !C || !ones) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* sklearn's solve_one_class: nu_l accumulated term by term (not nu*l),
     * then spent greedily from the first row on. */
    double nu_l = 0;
    for (int64_t t = 0; t < l; t++) {
        C[t] = sw ? sw[rows[t]] : 1.0;
        nu_l += C[t] * p->nu;
        zeros[t] = 0;
        ones[t] = 1;
    }
    int64_t t = 0;
    for (; t < l && nu_l > 0; t++) {
        alpha[t] = CML_MIN(C[t], nu_l);
        nu_l -= alpha[t];
    }
    for (; t < l; t++)
        alpha[t] = 0;
    CML_TRY(
        svm_qmat_new(SVM_Q_ONE_CLASS, X, rows, (int)l, NULL, kp, p->cache_size, 1, NULL, NULL, &Q));
    smo_result res;
    CML_TRY(smo_solve((int)l, Q, zeros, ones, alpha, C, p->tol, p->shrinking, p->max_iter, &res));
    CML_TRY(svm_km1_from_alpha(&m->km, X, rows, l, alpha, res.rho));
    m->km.n_iter = res.n_iter;
    m->km.converged = !res.timed_out;
    if (res.timed_out)
        cml_log(CML_LOG_WARN, "OneClassSVM: the solver stopped at max_iter = %d before tol = %g",
                p->max_iter, p->tol);
    *out = m;
    m = NULL;
fail:
    svm_qmat_free(Q);
    cml_one_class_svm_free(m);
    free(rows);
    free(alpha);
    free(zeros);
    free(C);
    free(ones);
    return st;
}

cml_status cml_one_class_svm_decision_function(const cml_one_class_svm *m, const cml_matrix *X,
                                               double *out)
{
    return svm_km1_eval(&m->km, "OneClassSVM", X, 0.0, out);
}

cml_status cml_one_class_svm_score_samples(const cml_one_class_svm *m, const cml_matrix *X,
                                           double *out)
{
    return svm_km1_eval(&m->km, "OneClassSVM", X, -m->km.intercept, out);
}

cml_status cml_one_class_svm_predict(const cml_one_class_svm *m, const cml_matrix *X, double *out)
{
    CML_CHECK(cml_one_class_svm_decision_function(m, X, out));
    for (int64_t i = 0; i < X->rows; i++)
        out[i] = out[i] > 0 ? 1.0 : -1.0;
    return CML_OK;
}

int64_t cml_one_class_svm_n_features_in(const cml_one_class_svm *m)
{
    return m->km.sv.n_features;
}
int64_t cml_one_class_svm_n_sv(const cml_one_class_svm *m)
{
    return m->km.sv.n_sv;
}
const int64_t *cml_one_class_svm_support(const cml_one_class_svm *m)
{
    return m->km.sv.support;
}
const double *cml_one_class_svm_support_vectors(const cml_one_class_svm *m)
{
    return m->km.sv.sv;
}
const double *cml_one_class_svm_dual_coef(const cml_one_class_svm *m)
{
    return m->km.coef;
}
double cml_one_class_svm_intercept(const cml_one_class_svm *m)
{
    return m->km.intercept;
}
double cml_one_class_svm_offset(const cml_one_class_svm *m)
{
    return -m->km.intercept;
}
int cml_one_class_svm_n_iter(const cml_one_class_svm *m)
{
    return m->km.n_iter;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_one_class_svm *m;
    (void)y; /* unsupervised: a target, if given, is ignored as in sklearn */
    CML_CHECK(cml_one_class_svm_fit(params, X, opts ? opts->sample_weight : NULL, &m));
    info->n_iter = m->km.n_iter;
    info->converged = m->km.converged;
    *state = m;
    return CML_OK;
}
static cml_status v_predict(const void *s, const cml_matrix *X, double *out)
{
    return cml_one_class_svm_predict(s, X, out);
}
static cml_status v_decision(const void *s, const cml_matrix *X, double *out)
{
    return cml_one_class_svm_decision_function(s, X, out);
}
static int64_t v_n_features(const void *s)
{
    return cml_one_class_svm_n_features_in(s);
}
static void v_free(void *s)
{
    cml_one_class_svm_free(s);
}
static cml_status v_save(const void *s, const void *params, cml_gguf_writer *w)
{
    (void)params;
    return svm_km1_save(&((const cml_one_class_svm *)s)->km, w);
}
static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    const cml_one_class_svm_params *p = params;
    (void)schema_version;
    cml_one_class_svm *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    cml_status st = svm_km1_load(g, p->kernel, p->degree, p->coef0, &m->km);
    if (st != CML_OK) {
        cml_one_class_svm_free(m);
        return st;
    }
    *state = m;
    return CML_OK;
}
static char *v_describe(const void *s)
{
    return svm_km1_describe(&((const cml_one_class_svm *)s)->km);
}

/* Unsupervised (no y): registered as CML_TASK_CLUSTER, whose "labels" are
 * +1 (inlier) / -1 (outlier). */
const cml_estimator cml_est_one_class_svm = {
    .name = "one_class_svm",
    .aliases = "ocsvm",
    .summary = "one-class SVM novelty detection: +1 inlier, -1 outlier (libsvm SMO)",
    .task = CML_TASK_CLUSTER,
    .schema_version = 1,
    .params = ocsvm_defs,
    .n_params = N_OCSVM_DEFS,
    .params_size = sizeof(cml_one_class_svm_params),
    .fit = v_fit,
    .predict = v_predict,
    .decision_function = v_decision,
    .n_features_in = v_n_features,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
