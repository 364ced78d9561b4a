/*
 * linear_svc.c — linear support vector classification (sklearn.svm.LinearSVC,
 * liblinear L2R_L2LOSS_SVC_DUAL / L2R_L1LOSS_SVC_DUAL).
 *
 * Objective, one-vs-rest per class c (one problem for two classes):
 *     min_w 1/2 |w|^2 + sum_i C_i loss(y_i w.[x_i, b])   (penalty l2), or
 *     min_w |w|_1 + sum_i C_i max(0, 1 - y_i w.[x_i, b])^2 (penalty l1,
 *     dual = false: liblinear's L1R_L2LOSS_SVC primal CD, l1r_svc.c),
 *     loss = max(0, 1 - m)^2 (squared_hinge) or max(0, 1 - m) (hinge),
 * with b = intercept_scaling the constant feature (its weight regularized,
 * as liblinear and sklearn do); l2 is solved in the dual by dcd.c, also with
 * dual = false (the minimizer is the same; liblinear's primal trust-region
 * solver is not implemented, so tol and n_iter are the dual solver's). As liblinear:
 * two classes give one problem with classes[1] positive (C_i = C w[1] or
 * C w[0]); more give one per class with C w[c] for the positives and plain
 * C for the rest; sample weights multiply C_i. coef_ = w[:d],
 * intercept_ = intercept_scaling * w[d].
 *
 * Classes are solved in parallel (OpenMP), class c with rng stream c of
 * random_state, so results do not depend on the thread count.
 * Complexity: O(max_iter * nnz) per class. Thread-safety: a fitted model
 * is read-only.
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

struct cml_linear_svc {
    int64_t n_features;
    int64_t n_classes;
    int64_t n_out;     /* 1 for two classes, else n_classes */
    double *classes;   /* (n_classes) ascending */
    double *coef;      /* (n_out, n_features) */
    double *intercept; /* (n_out) */
    int n_iter;        /* max over the problems */
    int converged;
};

static const cml_param_def lsvc_defs[] = {
    {"penalty", CML_PARAM_ENUM, "l2", 0, 0, 0, "l2|l1",
     "regularization: l2, or l1 (sparse coef; needs dual=false, squared_hinge)",
     offsetof(cml_linear_svc_params, penalty)},
    {"loss", CML_PARAM_ENUM, "squared_hinge", 0, 0, 0, "squared_hinge|hinge", "loss function",
     offsetof(cml_linear_svc_params, loss)},
    {"dual", CML_PARAM_BOOL, "true", 0, 1, 0, NULL,
     "dual CD (true); false: primal (l1: liblinear's primal CD; l2: the same minimizer, "
     "found by the dual solver)",
     offsetof(cml_linear_svc_params, dual)},
    {"tol", CML_PARAM_DOUBLE, "0.0001", 0, 1e308, 1, NULL, "stopping tolerance",
     offsetof(cml_linear_svc_params, tol)},
    {"C", CML_PARAM_DOUBLE, "1.0", 0, 1e308, 1, NULL, "inverse regularization strength",
     offsetof(cml_linear_svc_params, C)},
    {"fit_intercept", CML_PARAM_BOOL, "true", 0, 1, 0, NULL,
     "add liblinear's bias feature (its weight is regularized)",
     offsetof(cml_linear_svc_params, fit_intercept)},
    {"intercept_scaling", CML_PARAM_DOUBLE, "1.0", 0, 1e308, 1, NULL,
     "value of the bias feature; larger weakens the intercept's regularization",
     offsetof(cml_linear_svc_params, intercept_scaling)},
    {"class_weight", CML_PARAM_STRING, "none", 0, 0, 0, NULL,
     "per-class C multipliers: none, balanced or label:weight,...",
     offsetof(cml_linear_svc_params, class_weight)},
    {"random_state", CML_PARAM_INT, "0", 0, 2147483647.0, 0, NULL, "seed of the coordinate order",
     offsetof(cml_linear_svc_params, random_state)},
    {"max_iter", CML_PARAM_INT, "1000", 1, 2147483647.0, 0, NULL, "maximum number of epochs",
     offsetof(cml_linear_svc_params, max_iter)},
};
#define N_LSVC_DEFS ((int)(sizeof lsvc_defs / sizeof lsvc_defs[0]))

cml_linear_svc_params cml_linear_svc_params_default(void)
{
    cml_linear_svc_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(lsvc_defs, N_LSVC_DEFS, &p);
    return p;
}

const char *cml_linear_svc_params_check(const cml_linear_svc_params *p)
{
    const char *m = cml_params_check(lsvc_defs, N_LSVC_DEFS, p);
    /* scikit-learn's (liblinear's) supported combinations */
    if (!m && p->penalty == CML_LSVC_L1 && p->loss == CML_LSVC_HINGE)
        m = "penalty = l1 with loss = hinge is not supported (as in scikit-learn). HINT: "
            "loss=squared_hinge";
    if (!m && p->penalty == CML_LSVC_L1 && p->dual)
        m = "penalty = l1 needs dual = false (as in scikit-learn). HINT: add dual=false";
    if (!m && !p->dual && p->loss == CML_LSVC_HINGE)
        m = "loss = hinge needs dual = true (as in scikit-learn)";
    if (!m) m = svm_class_weight_check(p->class_weight);
    return m;
}

void cml_linear_svc_free(cml_linear_svc *m)
{
    if (!m) return;
    free(m->classes);
    free(m->coef);
    free(m->intercept);
    free(m);
}

/* Checks a CSR input: structure and finite values. */
static cml_status check_csr(const char *who, const cml_csr *S)
{
    CML_CHECK(cml_csr_check(S, "X"));
    if (S->rows < 1 || S->cols < 1)
        return cml_fail(CML_ERR_ARG, "%s: X must have at least one row and one column", who);
    for (int64_t t = 0; t < S->nnz; t++)
        if (!isfinite(S->data[t]))
            return cml_fail(CML_ERR_ARG, "%s: X has a non-finite value (stored entry %lld)", who,
                            (long long)t);
    return CML_OK;
}

/* The shared fit over dense or CSR rows (D). */
static cml_status fit_data(const cml_linear_svc_params *p, const dcd_data *D, int64_t n,
                           const double *y, const double *sw, cml_linear_svc **out)
{
    *out = NULL;
    const char *msg = cml_linear_svc_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "LinearSVC: %s", msg);
    if (!y) return cml_fail(CML_ERR_ARG, "LinearSVC needs a target y");
    cml_status st = CML_OK;
    int64_t k = 0, l = 0, *rows = NULL;
    int *label = NULL;
    double *cw = NULL, *C = NULL, *w = NULL;
    signed char *ys = NULL;
    cml_status *sts = NULL;
    int *iters = NULL;
    cml_linear_svc *m = cml_calloc(1, sizeof *m);
    label = cml_alloc_array(n, sizeof(int));
    if (!m || !label) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    m->n_features = D->d;
    CML_TRY(svm_classes(y, n, &m->classes, &k, label));
    m->n_classes = k;
    if (k < 2) {
        st = cml_fail(CML_ERR_ARG,
                      "LinearSVC: y has a single class (%g); a classifier needs at least 2 classes",
                      m->classes[0]);
        goto fail;
    }
    m->n_out = k == 2 ? 1 : k;
    int64_t ws = dcd_w_size(D), n_out = m->n_out;
    cw = cml_alloc_array(k, sizeof(double));
    m->coef = cml_alloc_array(n_out * D->d, sizeof(double));
    m->intercept = cml_calloc((size_t)n_out, sizeof(double));
    if (!cw || !m->coef || !m->intercept) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(svm_class_weights(p->class_weight, m->classes, k, label, n, cw));
    CML_TRY(svm_positive_rows(sw, n, &rows, &l));
    C = cml_alloc_array(n_out * l, sizeof(double));
    ys = cml_alloc_array(n_out * l, 1);
    w = cml_alloc_array(n_out * ws, sizeof(double));
    sts = cml_alloc_array(n_out, sizeof(cml_status));
    iters = cml_calloc((size_t)n_out, sizeof(int));
    if (!C || !ys || !w || !sts || !iters) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* Problem c: positives are class c (classes[1] for two classes). */
    for (int64_t c = 0; c < n_out; c++) {
        int64_t pos = k == 2 ? 1 : c;
        for (int64_t t = 0; t < l; t++) {
            int lab = label[rows[t]];
            double s = sw ? sw[rows[t]] : 1.0;
            ys[c * l + t] = lab == pos ? 1 : -1;
            if (k == 2)
                C[c * l + t] = s * p->C * cw[lab];
            else
                C[c * l + t] = s * p->C * (lab == pos ? cw[pos] : 1.0);
        }
    }
    {
        cml_rng base;
        cml_rng_seed(&base, (uint64_t)p->random_state);
#pragma omp parallel for schedule(dynamic, 1) CML_OMP_THREADS if (n_out > 1)
        for (int64_t c = 0; c < n_out; c++) {
            cml_rng rng = base;
            for (int64_t s = 0; s < c; s++)
                cml_rng_jump(&rng);
            dcd_problem P = {D, rows, l, C + c * l, p->tol, p->max_iter, &rng};
            if (p->penalty == CML_LSVC_L1) {
                /* liblinear's primal tolerance: tol scaled by the minority share */
                int64_t pos = 0;
                for (int64_t t = 0; t < l; t++)
                    pos += ys[c * l + t] > 0;
                P.eps = p->tol * (double)CML_MAX(CML_MIN(pos, l - pos), 1) / (double)l;
                sts[c] = l1r_l2_svc(&P, ys + c * l, w + c * ws, &iters[c]);
            } else {
                sts[c] = dcd_svc(&P, ys + c * l, p->loss == CML_LSVC_HINGE, w + c * ws, &iters[c]);
            }
        }
    }
    m->converged = 1;
    for (int64_t c = 0; c < n_out; c++) {
        if (sts[c] != CML_OK) {
            st = cml_fail(sts[c], "LinearSVC: out of memory");
            goto fail;
        }
        m->n_iter = CML_MAX(m->n_iter, iters[c]);
        memcpy(m->coef + c * D->d, w + c * ws, sizeof(double) * (size_t)D->d);
        m->intercept[c] = D->bias > 0 ? D->bias * w[c * ws + D->d] : 0.0;
    }
    if (m->n_iter >= p->max_iter) {
        m->converged = 0;
        cml_log(CML_LOG_WARN, "LinearSVC: liblinear's solver did not converge in max_iter = %d",
                p->max_iter);
    }
    *out = m;
    m = NULL;
fail:
    cml_linear_svc_free(m);
    free(label);
    free(cw);
    free(rows);
    free(C);
    free(ys);
    free(w);
    free(sts);
    free(iters);
    return st;
}

cml_status cml_linear_svc_fit_weighted(const cml_linear_svc_params *p, const cml_matrix *X,
                                       const double *y, const double *sw, cml_linear_svc **out)
{
    *out = NULL;
    CML_CHECK(svm_check_fit_input("LinearSVC", X, y, sw));
    dcd_data D = {X, NULL, X->cols, p->fit_intercept ? p->intercept_scaling : -1.0};
    return fit_data(p, &D, X->rows, y, sw, out);
}

cml_status cml_linear_svc_fit(const cml_linear_svc_params *p, const cml_matrix *X, const double *y,
                              cml_linear_svc **out)
{
    return cml_linear_svc_fit_weighted(p, X, y, NULL, out);
}

static cml_status fit_csr_weighted(const cml_linear_svc_params *p, const cml_csr *X,
                                   const double *y, const double *sw, cml_linear_svc **out)
{
    *out = NULL;
    CML_CHECK(check_csr("LinearSVC", X));
    CML_CHECK(svm_check_target("LinearSVC", X->rows, y, sw));
    dcd_data D = {NULL, X, X->cols, p->fit_intercept ? p->intercept_scaling : -1.0};
    return fit_data(p, &D, X->rows, y, sw, out);
}

cml_status cml_linear_svc_fit_csr(const cml_linear_svc_params *p, const cml_csr *X, const double *y,
                                  cml_linear_svc **out)
{
    return fit_csr_weighted(p, X, y, NULL, out);
}

/* ---------------------------------------------------------------- predict */

static cml_status decision(const cml_linear_svc *m, const cml_matrix *X, const cml_csr *S,
                           double *out)
{
    if (X) {
        CML_CHECK(svm_check_predict_input("LinearSVC", X, m->n_features));
    } else {
        CML_CHECK(check_csr("LinearSVC", S));
        if (S->cols != m->n_features)
            return cml_fail(CML_ERR_ARG,
                            "LinearSVC: X has %lld features, but the model was fitted with %lld",
                            (long long)S->cols, (long long)m->n_features);
    }
    return dcd_decision(m->coef, m->intercept, m->n_out, m->n_features, X, S, out);
}

static cml_status predict(const cml_linear_svc *m, const cml_matrix *X, const cml_csr *S,
                          double *out)
{
    int64_t n = X ? X->rows : S->rows;
    double *dec = cml_alloc_array(CML_MAX(n * m->n_out, 1), sizeof(double));
    if (!dec) return CML_ERR_NOMEM;
    cml_status st = decision(m, X, S, dec);
    if (st == CML_OK)
        for (int64_t i = 0; i < n; i++) {
            int64_t best = 0;
            if (m->n_out == 1) {
                best = dec[i] > 0;
            } else {
                for (int64_t c = 1; c < m->n_out; c++)
                    if (dec[i * m->n_out + c] > dec[i * m->n_out + best]) best = c;
            }
            out[i] = m->classes[best];
        }
    free(dec);
    return st;
}

cml_status cml_linear_svc_predict(const cml_linear_svc *m, const cml_matrix *X, double *out)
{
    return predict(m, X, NULL, out);
}
cml_status cml_linear_svc_predict_csr(const cml_linear_svc *m, const cml_csr *X, double *out)
{
    return predict(m, NULL, X, out);
}
cml_status cml_linear_svc_decision_function(const cml_linear_svc *m, const cml_matrix *X,
                                            double *out)
{
    return decision(m, X, NULL, out);
}
cml_status cml_linear_svc_decision_function_csr(const cml_linear_svc *m, const cml_csr *X,
                                                double *out)
{
    return decision(m, NULL, X, out);
}

int64_t cml_linear_svc_n_decision_cols(const cml_linear_svc *m)
{
    return m->n_out;
}
int64_t cml_linear_svc_n_classes(const cml_linear_svc *m)
{
    return m->n_classes;
}
const double *cml_linear_svc_classes(const cml_linear_svc *m)
{
    return m->classes;
}
int64_t cml_linear_svc_n_features_in(const cml_linear_svc *m)
{
    return m->n_features;
}
const double *cml_linear_svc_coef(const cml_linear_svc *m)
{
    return m->coef;
}
const double *cml_linear_svc_intercept(const cml_linear_svc *m)
{
    return m->intercept;
}
int cml_linear_svc_n_iter(const cml_linear_svc *m)
{
    return m->n_iter;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_linear_svc *m;
    CML_CHECK(cml_linear_svc_fit_weighted(params, X, y, opts ? opts->sample_weight : NULL, &m));
    info->n_iter = m->n_iter;
    info->converged = m->converged;
    *state = m;
    return CML_OK;
}
static cml_status v_fit_csr(const void *params, const cml_csr *X, const double *y,
                            const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_linear_svc *m;
    CML_CHECK(fit_csr_weighted(params, X, y, opts ? opts->sample_weight : NULL, &m));
    info->n_iter = m->n_iter;
    info->converged = m->converged;
    *state = m;
    return CML_OK;
}
static cml_status v_predict(const void *s, const cml_matrix *X, double *out)
{
    return cml_linear_svc_predict(s, X, out);
}
static cml_status v_predict_csr(const void *s, const cml_csr *X, double *out)
{
    return cml_linear_svc_predict_csr(s, X, out);
}
static cml_status v_decision_csr(const void *s, const cml_csr *X, double *out)
{
    return cml_linear_svc_decision_function_csr(s, X, out);
}
static cml_status v_decision(const void *s, const cml_matrix *X, double *out)
{
    return cml_linear_svc_decision_function(s, X, out);
}
static int64_t v_classes(const void *s, const double **c)
{
    const cml_linear_svc *m = s;
    *c = m->classes;
    return m->n_classes;
}
static int64_t v_n_features(const void *s)
{
    return cml_linear_svc_n_features_in(s);
}
static int64_t v_n_decision(const void *s)
{
    return cml_linear_svc_n_decision_cols(s);
}
static void v_free(void *s)
{
    cml_linear_svc_free(s);
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    const cml_linear_svc *m = state;
    (void)params;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->n_features));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", m->n_classes));
    CML_CHECK(cml_gguf_add_f64(w, "classes", m->classes, 1, m->n_classes));
    CML_CHECK(cml_gguf_add_f64(w, "coef", m->coef, m->n_out, m->n_features));
    return cml_gguf_add_f64(w, "intercept", m->intercept, 1, m->n_out);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    cml_status st = CML_OK;
    int64_t d, k;
    (void)params;
    (void)schema_version;
    cml_linear_svc *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &d));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_classes", &k));
    if (d < 1 || d > INT32_MAX || k < 2 || k > (1LL << 20)) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad LinearSVC shape (%lld features, %lld classes)",
                      cml_gguf_name(g), (long long)d, (long long)k);
        goto fail;
    }
    m->n_features = d;
    m->n_classes = k;
    m->n_out = k == 2 ? 1 : k;
    m->converged = 1;
    /* shapes before sizes: d and k must match tensors the file holds */
    CML_TRY(cml_gguf_expect(g, "classes", CML_GGUF_T_F64, 1, k));
    CML_TRY(cml_gguf_expect(g, "coef", CML_GGUF_T_F64, m->n_out, d));
    m->classes = cml_alloc_array(k, sizeof(double));
    m->coef = cml_alloc_array(m->n_out * d, sizeof(double));
    m->intercept = cml_alloc_array(m->n_out, sizeof(double));
    if (!m->classes || !m->coef || !m->intercept) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "classes", 1, k, m->classes));
    CML_TRY(cml_gguf_read_f64(g, "coef", m->n_out, d, m->coef));
    CML_TRY(cml_gguf_read_f64(g, "intercept", 1, m->n_out, m->intercept));
    *state = m;
    return CML_OK;
fail:
    cml_linear_svc_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_linear_svc *m = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"classes\":");
    cml_sb_json_arr(&sb, m->classes, m->n_classes);
    cml_sb_puts(&sb, ",\"coef\":");
    cml_sb_json_arr(&sb, m->coef, m->n_out * m->n_features);
    cml_sb_puts(&sb, ",\"intercept\":");
    cml_sb_json_arr(&sb, m->intercept, m->n_out);
    cml_sb_printf(&sb, ",\"n_iter\":%d}", m->n_iter);
    return cml_sb_finish(&sb);
}

const cml_estimator cml_est_linear_svc = {
    .name = "linear_svc",
    .aliases = "lsvc",
    .summary = "linear support vector classifier (liblinear dual coordinate descent, one-vs-rest)",
    .task = CML_TASK_CLASSIFICATION,
    .schema_version = 1,
    .params = lsvc_defs,
    .n_params = N_LSVC_DEFS,
    .params_size = sizeof(cml_linear_svc_params),
    .fit = v_fit,
    .predict = v_predict,
    .decision_function = v_decision,
    .classes = v_classes,
    .n_features_in = v_n_features,
    .n_decision_cols = v_n_decision,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
    .fit_csr = v_fit_csr,
    .predict_csr = v_predict_csr,
    .decision_function_csr = v_decision_csr,
};
