/*
 * logistic_regression.c — LogisticRegression with scikit-learn 1.2 semantics
 * (sklearn/linear_model/_logistic.py): parameters, class and sample weights,
 * the binary / one-vs-rest / multinomial problems, solver dispatch,
 * prediction, persistence and the generic-layer vtable.
 *
 * Objective, for each problem (divided by C, as sklearn hands it to lbfgs):
 *   sum_i s_i loss_i + l2/2 ||W||^2 + l1 ||W||_1,   intercept unpenalized,
 *   l2 = 1/C (l2), 0 (none), (1-r)/C (elasticnet);  l1 = 1/C (l1), r/C (enet)
 * loss: binary log-loss with one coefficient row, or the softmax
 * cross-entropy over K rows (sklearn's full parametrization). Under ovr each
 * class c is its own binary problem y == c. With multi_class=multinomial and
 * two classes, the K = 2 softmax is fitted and row 1 kept, and the
 * probabilities are softmax([-d, d]) — exactly sklearn.
 * Class weights: a "v:w" map multiplies s_i by the weight of y_i; "balanced"
 * uses n / (K * count_k) over all classes for multinomial, and over the two
 * labels of each one-vs-rest problem under ovr (sklearn's masking).
 *
 * Solvers: lbfgs (lbfgs.c, scipy's L-BFGS-B path: gtol = tol, factr 1e7,
 * m 10, maxls 20), newton-cg (newton_cg.c, sklearn's rules), cd / saga
 * (logreg_cd.c; proximal Newton). Loss and gradients: logreg_loss.c.
 * Cost per lbfgs iteration: two BLAS passes over X (dgemm for K > 1).
 * Thread-safety: fit is independent per call; predict-side calls allocate
 * their scratch and only read the model.
 */
#include <cblas.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cml/logreg.h"
#include "core/internal.h"
#include "core/strbuf.h"
#include "linear/lbfgs.h"
#include "linear/logreg_impl.h"
#include "linear/newton_cg.h"

/* How probabilities are formed from the decision values. */
enum { PROBA_SIGMOID = 0, PROBA_SOFTMAX = 1, PROBA_BINARY_SOFTMAX = 2 };

struct cml_logreg {
    int64_t n_features; /* p */
    int64_t n_classes;  /* K >= 2 */
    int64_t n_rows;     /* coef rows: 1 if K == 2, else K */
    int proba_mode;     /* PROBA_* */
    double *classes;    /* (n_classes) ascending */
    double *coef;       /* (n_rows, n_features) */
    double *intercept;  /* (n_rows) */
    int *n_iter;        /* (n_runs) */
    int64_t n_runs;
    int converged;
};

/* ---------------------------------------------------------------- params */

static const cml_param_def logreg_defs[] = {
    {"penalty", CML_PARAM_ENUM, "l2", 0, 0, 0, "l2|l1|elasticnet|none",
     "regularization: l2, l1, elasticnet (l1 + l2 mix) or none",
     offsetof(cml_logreg_params, penalty)},
    {"C", CML_PARAM_DOUBLE, "1.0", 0, INFINITY, 1, NULL,
     "inverse regularization strength: smaller C = stronger penalty",
     offsetof(cml_logreg_params, C)},
    {"l1_ratio", CML_PARAM_DOUBLE, "0.5", 0, 1, 0, NULL,
     "elasticnet mix: 0 = pure l2, 1 = pure l1 (elasticnet only; sklearn default None)",
     offsetof(cml_logreg_params, l1_ratio)},
    {"fit_intercept", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "learn an (unpenalized) intercept per coefficient row",
     offsetof(cml_logreg_params, fit_intercept)},
    {"class_weight", CML_PARAM_STRING, "none", 0, 0, 0, NULL,
     "none, balanced, or per-class weights by class value: \"0:1.5,1:3\"",
     offsetof(cml_logreg_params, class_weight)},
    {"max_iter", CML_PARAM_INT, "100", 1, INT32_MAX, 0, NULL,
     "maximum solver iterations (per one-vs-rest problem)", offsetof(cml_logreg_params, max_iter)},
    {"tol", CML_PARAM_DOUBLE, "1e-4", 0, INFINITY, 0, NULL,
     "stop when the largest (sub)gradient entry of the objective / C is <= tol",
     offsetof(cml_logreg_params, tol)},
    {"solver", CML_PARAM_ENUM, "lbfgs", 0, 0, 0, "lbfgs|newton-cg|cd|saga",
     "lbfgs, newton-cg (l2/none), cd (any penalty; proximal Newton); saga = alias of cd",
     offsetof(cml_logreg_params, solver)},
    {"multi_class", CML_PARAM_ENUM, "auto", 0, 0, 0, "auto|ovr|multinomial",
     "auto: ovr for 2 classes, multinomial (softmax) otherwise",
     offsetof(cml_logreg_params, multi_class)},
    {"random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL,
     "accepted for sklearn parity; unused (all solvers here are deterministic)",
     offsetof(cml_logreg_params, random_state)},
};
#define N_DEFS ((int)(sizeof logreg_defs / sizeof logreg_defs[0]))

cml_logreg_params cml_logreg_params_default(void)
{
    cml_logreg_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(logreg_defs, N_DEFS, &p);
    return p;
}

static const char *solver_name(int s)
{
    static const char *names[] = {"lbfgs", "newton-cg", "cd", "saga"};
    return s >= 0 && s < 4 ? names[s] : "?";
}

static const char *penalty_name(int s)
{
    static const char *names[] = {"l2", "l1", "elasticnet", "none"};
    return s >= 0 && s < 4 ? names[s] : "?";
}

const char *cml_logreg_params_check(const cml_logreg_params *p)
{
    static _Thread_local char msg[256];
    const char *m = cml_params_check(logreg_defs, N_DEFS, p);
    if (m) return m;
    int smooth_only = p->solver == CML_LOGREG_LBFGS || p->solver == CML_LOGREG_NEWTON_CG;
    if (smooth_only && (p->penalty == CML_LOGREG_L1 || p->penalty == CML_LOGREG_ELASTICNET)) {
        snprintf(msg, sizeof msg,
                 "solver=%s supports only penalty=l2 or none, got penalty=%s. HINT: use "
                 "solver=cd (or saga) for l1 and elasticnet",
                 solver_name(p->solver), penalty_name(p->penalty));
        return msg;
    }
    return NULL;
}

/* ---------------------------------------------------------------- classes */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorted distinct values of y; *cls malloc'd. */
static cml_status find_classes(const double *y, int64_t n, double **cls, int64_t *k)
{
    double *s = cml_alloc_array(n, sizeof(double));
    if (!s) return CML_ERR_NOMEM;
    memcpy(s, y, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (m == 0 || s[i] != s[m - 1]) s[m++] = s[i];
    *cls = s;
    *k = m;
    return CML_OK;
}

static int64_t class_index(const double *cls, int64_t k, double v)
{
    int64_t lo = 0, hi = k - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cls[mid] == v) return mid;
        if (cls[mid] < v)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

typedef enum { CW_NONE, CW_BALANCED, CW_MAP } cw_kind;

/* Parses class_weight into a kind and, for a map, weights per class. */
static cml_status parse_class_weight(const char *spec, const double *cls, int64_t k, cw_kind *kind,
                                     double *w)
{
    for (int64_t c = 0; c < k; c++)
        w[c] = 1.0;
    while (isspace((unsigned char)*spec))
        spec++;
    if (!*spec || !strcasecmp(spec, "none")) {
        *kind = CW_NONE;
        return CML_OK;
    }
    if (!strcasecmp(spec, "balanced")) {
        *kind = CW_BALANCED;
        return CML_OK;
    }
    *kind = CW_MAP;
    const char *s = spec;
    while (*s) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno) goto bad;
        s = end;
        while (isspace((unsigned char)*s))
            s++;
        if (*s != ':') goto bad;
        s++;
        errno = 0;
        double wt = strtod(s, &end);
        if (end == s || errno || !isfinite(wt) || wt < 0) goto bad;
        s = end;
        while (isspace((unsigned char)*s))
            s++;
        int64_t c = class_index(cls, k, v);
        if (c < 0)
            return cml_fail(CML_ERR_ARG,
                            "class_weight=\"%s\" names class %.17g, which is not in y. HINT: "
                            "weights are keyed by class value",
                            spec, v);
        w[c] = wt;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s) goto bad;
    }
    return CML_OK;
bad:
    return cml_fail(CML_ERR_ARG,
                    "class_weight=\"%s\" is not valid: use none, balanced, or value:weight "
                    "pairs such as \"0:1.5,1:3\" (weights >= 0)",
                    spec);
}

/* ---------------------------------------------------------------- fitting */

typedef struct solve_ctx {
    lr_problem *pb;
} solve_ctx;

static cml_status fg_cb(const double *x, double *f, double *grad, void *user)
{
    lr_loss_grad(((solve_ctx *)user)->pb, x, f, grad, 0);
    return CML_OK;
}

static cml_status gh_cb(const double *x, double *grad, void *user)
{
    double f;
    lr_loss_grad(((solve_ctx *)user)->pb, x, &f, grad, 1);
    return CML_OK;
}

static cml_status hp_cb(const double *v, double *out, void *user)
{
    lr_hessp(((solve_ctx *)user)->pb, v, out);
    return CML_OK;
}

/* Solves one problem from w = 0; *n_iter and *conv as sklearn reports them. */
static cml_status solve_one(const cml_logreg_params *prm, lr_problem *pb, double l1, double *w,
                            int *n_iter, int *conv)
{
    memset(w, 0, (size_t)pb->dim * sizeof(double));
    solve_ctx ctx = {pb};
    const char *why = NULL;
    switch (prm->solver) {
    case CML_LOGREG_LBFGS: {
        cml_lbfgs_opts o = cml_lbfgs_opts_default();
        o.max_iter = prm->max_iter;
        o.gtol = prm->tol;
        cml_lbfgs_result r;
        CML_CHECK(cml_lbfgs_minimize(pb->dim, w, fg_cb, &ctx, &o, &r));
        *n_iter = CML_MIN(r.n_iter, prm->max_iter);
        *conv = cml_lbfgs_converged(r.stop);
        if (r.stop == CML_LBFGS_ABNORMAL) why = "the line search failed";
        break;
    }
    case CML_LOGREG_NEWTON_CG: {
        cml_newton_cg_ops ops = {fg_cb, gh_cb, hp_cb, &ctx};
        cml_newton_cg_result r;
        CML_CHECK(cml_newton_cg_minimize(pb->dim, w, &ops, prm->max_iter, prm->tol, 200, &r));
        *n_iter = r.n_iter;
        *conv = r.converged;
        if (r.ls_failed) why = "the line search failed";
        break;
    }
    default: {
        lr_cd_result r;
        CML_CHECK(lr_cd_solve(pb, l1, w, prm->max_iter, prm->tol, &r));
        *n_iter = r.n_iter;
        *conv = r.converged;
        if (!r.converged && r.n_iter < prm->max_iter) why = "no further descent was possible";
        break;
    }
    }
    if (!*conv) {
        if (why)
            cml_log(CML_LOG_WARN,
                    "logistic_regression: solver %s stopped after %d iterations before reaching "
                    "tol=%g: %s. HINT: scale the data (--prep scale=standard) or loosen tol",
                    solver_name(prm->solver), *n_iter, prm->tol, why);
        else
            cml_log(CML_LOG_WARN,
                    "logistic_regression: solver %s failed to converge after %d iterations; "
                    "HINT: scale the data (--prep scale=standard) or raise max_iter",
                    solver_name(prm->solver), *n_iter);
    }
    return CML_OK;
}

/* Checks a CSR input: structure and finite stored values. */
static cml_status check_csr(const cml_csr *S)
{
    CML_CHECK(cml_csr_check(S, "X"));
    for (int64_t k = 0; k < S->nnz; k++)
        if (!isfinite(S->data[k]))
            return cml_fail(CML_ERR_ARG,
                            "logistic_regression: X has a non-finite value (stored entry %lld)",
                            (long long)k);
    return CML_OK;
}

/* Dense X or CSR S (one of them NULL). */
static cml_status check_inputs(const cml_logreg_params *p, const cml_matrix *X, const cml_csr *S,
                               const double *y, const double *sw)
{
    const char *msg = cml_logreg_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "logistic_regression: %s", msg);
    if (X)
        CML_CHECK(cml_matrix_check(X, "X", 0));
    else
        CML_CHECK(check_csr(S));
    if (S && p->solver >= CML_LOGREG_CD)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "logistic_regression: solver cd/saga (l1, elasticnet) takes dense X only. "
                        "HINT: solver=lbfgs or newton-cg for sparse X");
    const int64_t rows = X ? X->rows : S->rows;
    if (!y) return cml_fail(CML_ERR_ARG, "logistic_regression: y is NULL");
    for (int64_t i = 0; i < rows; i++)
        if (!isfinite(y[i]))
            return cml_fail(CML_ERR_ARG, "logistic_regression: y row %lld is not finite",
                            (long long)i + 1);
    if (sw) {
        double tot = 0.0;
        for (int64_t i = 0; i < rows; i++) {
            if (!isfinite(sw[i]) || sw[i] < 0)
                return cml_fail(CML_ERR_ARG,
                                "logistic_regression: sample_weight row %lld is %g; weights must "
                                "be finite and >= 0",
                                (long long)i + 1, sw[i]);
            tot += sw[i];
        }
        if (!(tot > 0))
            return cml_fail(CML_ERR_ARG, "logistic_regression: sample_weight sums to 0");
    }
    return CML_OK;
}

void cml_logreg_free(cml_logreg *m)
{
    if (!m) return;
    free(m->classes);
    free(m->coef);
    free(m->intercept);
    free(m->n_iter);
    free(m);
}

/* Allocates a model with the given shape (arrays zeroed). */
static cml_logreg *model_alloc(int64_t K, int64_t p, int64_t n_rows, int64_t n_runs)
{
    cml_logreg *m = cml_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->n_classes = K;
    m->n_features = p;
    m->n_rows = n_rows;
    m->n_runs = n_runs;
    m->classes = cml_calloc((size_t)K, sizeof(double));
    m->coef = cml_alloc_array(n_rows * p, sizeof(double));
    m->intercept = cml_calloc((size_t)n_rows, sizeof(double));
    m->n_iter = cml_calloc((size_t)n_runs, sizeof(int));
    if (!m->classes || !m->coef || !m->intercept || !m->n_iter) {
        cml_logreg_free(m);
        return NULL;
    }
    return m;
}

/* The fit over dense X or CSR S (one of them NULL): the solvers see the
 * design only through lr_problem's two products (logreg_loss.c). */
static cml_status fit_any(const cml_logreg_params *prm, const cml_matrix *X, const cml_csr *S,
                          const double *y, const double *sample_weight, cml_fit_info *info,
                          cml_logreg **out)
{
    *out = NULL;
    CML_CHECK(check_inputs(prm, X, S, y, sample_weight));
    const int64_t n = X ? X->rows : S->rows, p = X ? X->cols : S->cols;
    const double *Xd = X ? X->data : NULL;
    const int64_t ldx = X ? X->ld : p;
    cml_status st = CML_OK;
    double *cls = NULL, *cw = NULL, *yk = NULL, *ybin = NULL, *sw = NULL, *w = NULL;
    int64_t K = 0, *count = NULL;
    cml_logreg *m = NULL;
    lr_problem pb = {0};

    CML_TRY(find_classes(y, n, &cls, &K));
    if (K < 2) {
        st = cml_fail(CML_ERR_ARG,
                      "logistic_regression needs samples of at least 2 classes; got only class "
                      "%.17g",
                      cls[0]);
        goto fail;
    }
    cw = cml_alloc_array(K, sizeof(double));
    count = cml_calloc((size_t)K, sizeof(int64_t));
    yk = cml_alloc_array(n, sizeof(double));
    ybin = cml_alloc_array(n, sizeof(double));
    sw = cml_alloc_array(n, sizeof(double));
    if (!cw || !count || !yk || !ybin || !sw) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    cw_kind kind;
    CML_TRY(parse_class_weight(prm->class_weight, cls, K, &kind, cw));
    for (int64_t i = 0; i < n; i++) {
        int64_t c = class_index(cls, K, y[i]);
        yk[i] = (double)c;
        count[c]++;
    }

    int multinomial = prm->multi_class == CML_LOGREG_MULTINOMIAL ||
                      (prm->multi_class == CML_LOGREG_AUTO && K > 2);
    double C = prm->penalty == CML_LOGREG_NONE ? INFINITY : prm->C;
    double l2 = 0.0, l1 = 0.0;
    switch (prm->penalty) {
    case CML_LOGREG_L2: l2 = 1.0 / C; break;
    case CML_LOGREG_L1: l1 = 1.0 / C; break;
    case CML_LOGREG_ELASTICNET:
        l1 = prm->l1_ratio / C;
        l2 = (1.0 - prm->l1_ratio) / C;
        break;
    default: break; /* none: C = inf, no penalty (sklearn) */
    }
    if (prm->penalty == CML_LOGREG_NONE && prm->C != 1.0)
        cml_log(CML_LOG_WARN, "logistic_regression: penalty=none ignores C=%g", prm->C);

    const int64_t n_rows = K == 2 ? 1 : K;
    const int64_t n_runs = multinomial ? 1 : n_rows;
    m = model_alloc(K, p, n_rows, n_runs);
    if (!m) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    memcpy(m->classes, cls, (size_t)K * sizeof(double));
    m->converged = 1;
    const int fi = prm->fit_intercept != 0;
    const int64_t ldv = p + fi;

    if (multinomial) {
        /* One softmax problem over all K classes. */
        if (kind == CW_BALANCED)
            for (int64_t c = 0; c < K; c++)
                cw[c] = count[c] ? (double)n / ((double)K * (double)count[c]) : 1.0;
        for (int64_t i = 0; i < n; i++)
            sw[i] = (sample_weight ? sample_weight[i] : 1.0) * cw[(int64_t)yk[i]];
        CML_TRY(lr_problem_init(&pb, Xd, ldx, n, p, yk, sw, (int)K, fi, l2));
        if (S) lr_problem_use_csr(&pb, S);
        w = cml_alloc_array(pb.dim, sizeof(double));
        if (!w) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(solve_one(prm, &pb, l1, w, &m->n_iter[0], &m->converged));
        if (fi && prm->solver >= CML_LOGREG_CD) {
            /* Softmax is invariant to a common intercept shift and intercepts
             * are unpenalized: fix the free direction at sum_k b_k = 0, where
             * gradient methods started from 0 stay (sklearn's solutions). */
            double mean = 0.0;
            for (int64_t k = 0; k < K; k++)
                mean += w[k * ldv + p];
            mean /= (double)K;
            for (int64_t k = 0; k < K; k++)
                w[k * ldv + p] -= mean;
        }
        /* Binary softmax keeps row 1 only (sklearn); K > 2 keeps all rows. */
        int64_t first = K == 2 ? 1 : 0;
        for (int64_t r = 0; r < n_rows; r++) {
            memcpy(m->coef + r * p, w + (first + r) * ldv, (size_t)p * sizeof(double));
            m->intercept[r] = fi ? w[(first + r) * ldv + p] : 0.0;
        }
        m->proba_mode = K == 2 ? PROBA_BINARY_SOFTMAX : PROBA_SOFTMAX;
    } else {
        /* One binary problem per class (only classes[1] when K == 2). */
        CML_TRY(lr_problem_init(&pb, Xd, ldx, n, p, ybin, sw, 1, fi, l2));
        if (S) lr_problem_use_csr(&pb, S);
        w = cml_alloc_array(pb.dim, sizeof(double));
        if (!w) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        for (int64_t r = 0; r < n_rows; r++) {
            int64_t pos = K == 2 ? 1 : r;
            int64_t npos = 0;
            for (int64_t i = 0; i < n; i++) {
                ybin[i] = (int64_t)yk[i] == pos ? 1.0 : 0.0;
                npos += ybin[i] != 0.0;
            }
            double bw[2] = {1.0, 1.0};
            if (kind == CW_BALANCED) {
                /* sklearn balances the masked labels of each ovr problem */
                if (n - npos) bw[0] = (double)n / (2.0 * (double)(n - npos));
                if (npos) bw[1] = (double)n / (2.0 * (double)npos);
            }
            for (int64_t i = 0; i < n; i++)
                sw[i] = (sample_weight ? sample_weight[i] : 1.0) *
                        (kind == CW_MAP ? cw[(int64_t)yk[i]] : 1.0) * bw[(int)ybin[i]];
            int conv;
            CML_TRY(solve_one(prm, &pb, l1, w, &m->n_iter[r], &conv));
            m->converged &= conv;
            memcpy(m->coef + r * p, w, (size_t)p * sizeof(double));
            m->intercept[r] = fi ? w[p] : 0.0;
        }
        m->proba_mode = PROBA_SIGMOID;
    }
    if (info) {
        info->n_iter = 0;
        for (int64_t r = 0; r < m->n_runs; r++)
            info->n_iter = CML_MAX(info->n_iter, m->n_iter[r]);
        info->converged = m->converged;
        info->objective = NAN;
    }
    *out = m;
    m = NULL;
fail:
    lr_problem_free(&pb);
    cml_logreg_free(m);
    free(cls);
    free(cw);
    free(count);
    free(yk);
    free(ybin);
    free(sw);
    free(w);
    return st;
}

cml_status cml_logreg_fit_weighted(const cml_logreg_params *prm, const cml_matrix *X,
                                   const double *y, const double *sample_weight, cml_fit_info *info,
                                   cml_logreg **out)
{
    return fit_any(prm, X, NULL, y, sample_weight, info, out);
}

cml_status cml_logreg_fit_csr(const cml_logreg_params *prm, const cml_csr *X, const double *y,
                              const double *sample_weight, cml_fit_info *info, cml_logreg **out)
{
    return fit_any(prm, NULL, X, y, sample_weight, info, out);
}

cml_status cml_logreg_fit(const cml_logreg_params *p, const cml_matrix *X, const double *y,
                          cml_logreg **out)
{
    return cml_logreg_fit_weighted(p, X, y, NULL, NULL, out);
}

/* ---------------------------------------------------------------- predict */

/* Dense X or CSR S (one of them NULL). scan = 0 skips the scan of X for
 * non-finite values when the caller (the generic layer) has made it. */
static cml_status check_predict(const cml_logreg *m, const cml_matrix *X, const cml_csr *S,
                                int scan)
{
    if (!m) return cml_fail(CML_ERR_NOT_FITTED, "logistic_regression: model is NULL");
    if (X)
        CML_CHECK(cml_matrix_check(X, "X", !scan));
    else
        CML_CHECK(check_csr(S));
    int64_t cols = X ? X->cols : S->cols;
    if (cols != m->n_features)
        return cml_fail(CML_ERR_ARG,
                        "logistic_regression: X has %lld features, but the model was fitted "
                        "with %lld",
                        (long long)cols, (long long)m->n_features);
    if (X && (X->rows > INT32_MAX || X->ld > INT32_MAX))
        return cml_fail(CML_ERR_UNSUPPORTED, "logistic_regression: X exceeds the BLAS int range");
    return CML_OK;
}

/* out (rows, n_rows) = X coef' + intercept, no checks; CSR rows sum their
 * stored entries in column order (scipy's product, as sklearn on sparse X). */
static void decision(const cml_logreg *m, const cml_matrix *X, const cml_csr *S, double *out)
{
    const int n = X ? (int)X->rows : (int)S->rows, p = (int)m->n_features, R = (int)m->n_rows;
    if (S) {
        const int64_t nn = S->rows;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (S->nnz * R > LR_PAR_CHEAP)
        for (int64_t i = 0; i < nn; i++)
            for (int r = 0; r < R; r++) {
                const double *c = m->coef + (int64_t)r * p;
                double acc = 0.0;
                for (int64_t q = S->indptr[i]; q < S->indptr[i + 1]; q++)
                    acc += S->data[q] * c[S->indices[q]];
                out[i * R + r] = acc;
            }
    } else
        cml_matrix_mul_wt(X, m->coef, R, out);
    const int64_t rows = n;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (rows * R > LR_PAR_CHEAP)
    for (int64_t i = 0; i < rows; i++)
        for (int r = 0; r < R; r++)
            out[i * R + r] += m->intercept[r];
}

static cml_status decision_any(const cml_logreg *m, const cml_matrix *X, const cml_csr *S,
                               double *out, int scan)
{
    CML_CHECK(check_predict(m, X, S, scan));
    decision(m, X, S, out);
    return CML_OK;
}

static cml_status proba_any(const cml_logreg *m, const cml_matrix *X, const cml_csr *S, double *out,
                            int scan)
{
    CML_CHECK(check_predict(m, X, S, scan));
    const int64_t n = X ? X->rows : S->rows, K = m->n_classes;
    if (m->n_rows == 1) {
        /* Decision into the second column's slots, then expand in place
         * from the last row backwards. */
        decision(m, X, S, out);
        for (int64_t i = n - 1; i >= 0; i--) {
            double d = out[i];
            double pr = lr_expit(m->proba_mode == PROBA_BINARY_SOFTMAX ? 2.0 * d : d);
            out[2 * i] = 1.0 - pr;
            out[2 * i + 1] = pr;
        }
        return CML_OK;
    }
    decision(m, X, S, out);
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (n * K > LR_PAR_EXP)
    for (int64_t i = 0; i < n; i++) {
        double *row = out + i * K;
        if (m->proba_mode == PROBA_SOFTMAX) {
            double mx = row[0], s = 0.0;
            for (int64_t k = 1; k < K; k++)
                mx = fmax(mx, row[k]);
            for (int64_t k = 0; k < K; k++) {
                row[k] = exp(row[k] - mx);
                s += row[k];
            }
            for (int64_t k = 0; k < K; k++)
                row[k] /= s;
        } else {
            /* ovr: sigmoids normalized to sum 1 (sklearn, liblinear) */
            double s = 0.0;
            for (int64_t k = 0; k < K; k++) {
                row[k] = lr_expit(row[k]);
                s += row[k];
            }
            for (int64_t k = 0; k < K; k++)
                row[k] /= s;
        }
    }
    return CML_OK;
}

static cml_status predict_any(const cml_logreg *m, const cml_matrix *X, const cml_csr *S,
                              double *out, int scan)
{
    CML_CHECK(check_predict(m, X, S, scan));
    const int64_t n = X ? X->rows : S->rows, R = m->n_rows;
    if (R == 1) {
        decision(m, X, S, out);
        for (int64_t i = 0; i < n; i++)
            out[i] = out[i] > 0 ? m->classes[1] : m->classes[0];
        return CML_OK;
    }
    double *d = cml_alloc_array(n * R, sizeof(double));
    if (!d) return CML_ERR_NOMEM;
    decision(m, X, S, d);
    for (int64_t i = 0; i < n; i++) {
        const double *row = d + i * R;
        int64_t best = 0;
        for (int64_t k = 1; k < R; k++)
            if (row[k] > row[best]) best = k; /* strict: ties go to the first class */
        out[i] = m->classes[best];
    }
    free(d);
    return CML_OK;
}

cml_status cml_logreg_decision_function(const cml_logreg *m, const cml_matrix *X, double *out)
{
    return decision_any(m, X, NULL, out, 1);
}
cml_status cml_logreg_predict_proba(const cml_logreg *m, const cml_matrix *X, double *out)
{
    return proba_any(m, X, NULL, out, 1);
}
cml_status cml_logreg_predict(const cml_logreg *m, const cml_matrix *X, double *out)
{
    return predict_any(m, X, NULL, out, 1);
}
cml_status cml_logreg_decision_function_csr(const cml_logreg *m, const cml_csr *X, double *out)
{
    return decision_any(m, NULL, X, out, 1);
}
cml_status cml_logreg_predict_proba_csr(const cml_logreg *m, const cml_csr *X, double *out)
{
    return proba_any(m, NULL, X, out, 1);
}
cml_status cml_logreg_predict_csr(const cml_logreg *m, const cml_csr *X, double *out)
{
    return predict_any(m, NULL, X, out, 1);
}

/* ---------------------------------------------------------------- getters */

const double *cml_logreg_coef(const cml_logreg *m, int64_t *n_rows, int64_t *n_features)
{
    if (n_rows) *n_rows = m->n_rows;
    if (n_features) *n_features = m->n_features;
    return m->coef;
}
const double *cml_logreg_intercept(const cml_logreg *m)
{
    return m->intercept;
}
int64_t cml_logreg_n_coef_rows(const cml_logreg *m)
{
    return m->n_rows;
}
int64_t cml_logreg_n_features(const cml_logreg *m)
{
    return m->n_features;
}
int64_t cml_logreg_classes(const cml_logreg *m, const double **classes)
{
    if (classes) *classes = m->classes;
    return m->n_classes;
}
int64_t cml_logreg_n_iter(const cml_logreg *m, const int **n_iter)
{
    if (n_iter) *n_iter = m->n_iter;
    return m->n_runs;
}
int cml_logreg_converged(const cml_logreg *m)
{
    return m->converged;
}
int cml_logreg_is_multinomial(const cml_logreg *m)
{
    return m->proba_mode != PROBA_SIGMOID;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_logreg *m;
    CML_CHECK(cml_logreg_fit_weighted(params, X, y, opts ? opts->sample_weight : NULL, info, &m));
    *state = m;
    return CML_OK;
}
static cml_status v_fit_csr(const void *params, const cml_csr *X, const double *y,
                            const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_logreg *m;
    CML_CHECK(cml_logreg_fit_csr(params, X, y, opts ? opts->sample_weight : NULL, info, &m));
    *state = m;
    return CML_OK;
}
static cml_status v_predict_csr(const void *s, const cml_csr *X, double *out)
{
    return cml_logreg_predict_csr(s, X, out);
}
static cml_status v_proba_csr(const void *s, const cml_csr *X, double *out)
{
    return cml_logreg_predict_proba_csr(s, X, out);
}
static cml_status v_decision_csr(const void *s, const cml_csr *X, double *out)
{
    return cml_logreg_decision_function_csr(s, X, out);
}
/* The generic layer has scanned X (check_input in model.c). */
static cml_status v_predict(const void *s, const cml_matrix *X, double *out)
{
    return predict_any(s, X, NULL, out, 0);
}
static cml_status v_proba(const void *s, const cml_matrix *X, double *out)
{
    return proba_any(s, X, NULL, out, 0);
}
static cml_status v_decision(const void *s, const cml_matrix *X, double *out)
{
    return decision_any(s, X, NULL, out, 0);
}
static int64_t v_classes(const void *s, const double **classes)
{
    return cml_logreg_classes(s, classes);
}
static int64_t v_n_features(const void *s)
{
    return ((const cml_logreg *)s)->n_features;
}
static int64_t v_n_decision(const void *s)
{
    return ((const cml_logreg *)s)->n_rows;
}
static void v_free(void *s)
{
    cml_logreg_free(s);
}

/* Saved fields (schema 1): keys cml.fit.n_classes, cml.fit.n_features,
 * cml.fit.proba_mode, cml.fit.all_converged; tensors classes (K), coef
 * (n_rows, p), intercept (n_rows), n_iter (i64, n_runs). */
static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    const cml_logreg *m = state;
    (void)params;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", m->n_classes));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->n_features));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.proba_mode", m->proba_mode));
    CML_CHECK(cml_gguf_set_bool(w, "cml.fit.all_converged", m->converged));
    CML_CHECK(cml_gguf_add_f64(w, "classes", m->classes, 1, m->n_classes));
    CML_CHECK(cml_gguf_add_f64(w, "coef", m->coef, m->n_rows, m->n_features));
    CML_CHECK(cml_gguf_add_f64(w, "intercept", m->intercept, 1, m->n_rows));
    int64_t *it = cml_alloc_array(m->n_runs, sizeof(int64_t));
    if (!it) return CML_ERR_NOMEM;
    for (int64_t r = 0; r < m->n_runs; r++)
        it[r] = m->n_iter[r];
    cml_status st = cml_gguf_add_i64(w, "n_iter", it, m->n_runs);
    free(it);
    return st;
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    *state = NULL;
    const char *name = cml_gguf_name(g);
    if (schema_version > 1)
        return cml_fail(CML_ERR_VERSION,
                        "%s: logistic_regression schema %d is newer than this cml (1). HINT: "
                        "upgrade cml",
                        name, schema_version);
    int64_t K, p, mode;
    int conv;
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_classes", &K));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features", &p));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.proba_mode", &mode));
    CML_CHECK(cml_gguf_get_bool(g, "cml.fit.all_converged", &conv));
    int mode_ok = K == 2 ? (mode == PROBA_SIGMOID || mode == PROBA_BINARY_SOFTMAX)
                         : (mode == PROBA_SIGMOID || mode == PROBA_SOFTMAX);
    if (K < 2 || K > (1 << 24) || p < 1 || p > ((int64_t)1 << 40) || !mode_ok)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: logistic_regression: inconsistent n_classes=%lld, n_features=%lld, "
                        "proba_mode=%lld",
                        name, (long long)K, (long long)p, (long long)mode);
    int64_t n_rows = K == 2 ? 1 : K;
    int64_t n_runs = mode == PROBA_SIGMOID ? n_rows : 1;
    /* shapes first: sizes from the metadata must match tensors the file holds */
    CML_CHECK(cml_gguf_expect(g, "classes", CML_GGUF_T_F64, 1, K));
    CML_CHECK(cml_gguf_expect(g, "coef", CML_GGUF_T_F64, n_rows, p));
    CML_CHECK(cml_gguf_expect(g, "n_iter", CML_GGUF_T_I64, 1, n_runs));
    cml_logreg *m = model_alloc(K, p, n_rows, n_runs);
    if (!m) return CML_ERR_NOMEM;
    m->proba_mode = (int)mode;
    m->converged = conv != 0;
    cml_status st;
    int64_t *it = NULL;
    CML_TRY(cml_gguf_read_f64(g, "classes", 1, K, m->classes));
    CML_TRY(cml_gguf_read_f64(g, "coef", n_rows, p, m->coef));
    CML_TRY(cml_gguf_read_f64(g, "intercept", 1, n_rows, m->intercept));
    it = cml_alloc_array(n_runs, sizeof(int64_t));
    if (!it) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_i64(g, "n_iter", n_runs, it));
    for (int64_t r = 0; r < n_runs; r++) {
        if (it[r] < 0 || it[r] > INT32_MAX) {
            st = cml_fail(CML_ERR_FORMAT, "%s: logistic_regression: bad n_iter", name);
            goto fail;
        }
        m->n_iter[r] = (int)it[r];
    }
    for (int64_t k = 0; k < K; k++)
        if (!isfinite(m->classes[k]) || (k > 0 && !(m->classes[k] > m->classes[k - 1]))) {
            st = cml_fail(CML_ERR_FORMAT,
                          "%s: logistic_regression: classes must be finite and ascending", name);
            goto fail;
        }
    for (int64_t i = 0; i < n_rows * p; i++)
        if (!isfinite(m->coef[i])) {
            st = cml_fail(CML_ERR_FORMAT, "%s: logistic_regression: coef holds NaN/inf", name);
            goto fail;
        }
    for (int64_t r = 0; r < n_rows; r++)
        if (!isfinite(m->intercept[r])) {
            st = cml_fail(CML_ERR_FORMAT, "%s: logistic_regression: intercept holds NaN/inf", name);
            goto fail;
        }
    free(it);
    *state = m;
    return CML_OK;
fail:
    free(it);
    cml_logreg_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_logreg *m = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"coef\":[");
    for (int64_t r = 0; r < m->n_rows; r++) {
        if (r) cml_sb_puts(&sb, ",");
        cml_sb_json_arr(&sb, m->coef + r * m->n_features, m->n_features);
    }
    cml_sb_puts(&sb, "],\"intercept\":");
    cml_sb_json_arr(&sb, m->intercept, m->n_rows);
    cml_sb_puts(&sb, ",\"n_iter\":[");
    for (int64_t r = 0; r < m->n_runs; r++)
        cml_sb_printf(&sb, "%s%d", r ? "," : "", m->n_iter[r]);
    cml_sb_printf(&sb, "],\"multinomial\":%s}", m->proba_mode != PROBA_SIGMOID ? "true" : "false");
    return cml_sb_finish(&sb);
}

const cml_estimator cml_est_logistic_regression = {
    .name = "logistic_regression",
    .aliases = "logreg,lr",
    .summary = "logistic regression (l2/l1/elasticnet; binary, ovr, multinomial), sklearn 1.2",
    .task = CML_TASK_CLASSIFICATION,
    .schema_version = 1,
    .params = logreg_defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_logreg_params),
    .validates_input = 1, /* check_inputs() scans X */
    .allows_nan = 0,
    .fit = v_fit,
    .predict = v_predict,
    .predict_proba = v_proba,
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
    .predict_proba_csr = v_proba_csr,
    .decision_function_csr = v_decision_csr,
};
