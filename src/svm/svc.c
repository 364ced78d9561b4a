/*
 * svc.c — C-support vector classification (sklearn.svm.SVC, libsvm C_SVC).
 *
 * Objective, per pair of classes (i, j) with labels y = +1 (class i) and -1:
 *     min_a 1/2 a'Qa - e'a  s.t. y'a = 0, 0 <= a_t <= C_t,
 *     Q_st = y_s y_t K(x_s, x_t),  C_t = C * class_weight[y_t] * sample_weight_t,
 * solved by libsvm's SMO (smo.c). Multi-class is one-vs-one exactly as
 * libsvm: pairs (i < j) in class order over the samples grouped by class,
 * prediction by votes (ties to the first class). Support vectors are the
 * rows with a non-zero coefficient in any pair, stored grouped by class;
 * dual_coef_ / intercept_ use libsvm's layout, with sklearn's sign flip for
 * two classes (so a positive decision means classes[1]).
 *
 * Probabilities (probability=true) are libsvm's: per pair, decision values
 * from an internal 5-fold cross-validation fit Platt's sigmoid with the
 * Newton method of Lin, Lin & Weng ("A note on Platt's probabilistic
 * outputs for support vector machines", Machine Learning 68, 2007); the
 * pairwise probabilities are coupled by method 2 of Wu, Lin & Weng
 * ("Probability estimates for multi-class classification by pairwise
 * coupling", JMLR 5, 2004). The folds come from cml_rng, not libsvm's RNG,
 * so probabilities match sklearn's in calibration, not digit for digit.
 *
 * Speed: pairs are independent and run in parallel (OpenMP, dynamic
 * schedule); a single pair fills its kernel rows in parallel instead. The
 * same-class kernel values, which libsvm recomputes in each of the k-1
 * pairs that contain a class, are computed once into shared blocks
 * (kernel.h, svm_kshare: on Fashion-MNIST, 30 % fewer kernel evaluations).
 * Results never depend on the thread count. Complexity per pair: libsvm's,
 * O(iterations * active set) plus kernel rows O(l * n_features) each.
 * Thread-safety: a fitted model is read-only; predict-side calls allocate
 * their own scratch.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cml/svm.h"
#include "core/internal.h"
#include "core/strbuf.h"
#include "svm/smo.h"
#include "svm/svm_common.h"

struct cml_svc {
    svm_sv sv;          /* support vectors, grouped by class */
    int64_t n_classes;  /* k >= 2 */
    double *classes;    /* (k) ascending */
    int64_t *n_support; /* (k) */
    int64_t *sv_start;  /* (k) first support vector of each class (derived) */
    double *dual_coef;  /* (k - 1, n_sv) sklearn's dual_coef_ */
    double *intercept;  /* (k (k - 1) / 2) sklearn's intercept_ */
    double *prob_a;     /* (pairs) Platt A, or NULL */
    double *prob_b;     /* (pairs) Platt B, or NULL */
    int *n_iter;        /* (pairs) */
    int ovo;            /* decision_function_shape == ovo */
    int break_ties;
    int converged; /* no pair stopped at max_iter */
};

/* ---------------------------------------------------------------- params */

static const cml_param_def svc_defs[] = {
    {"C", CML_PARAM_DOUBLE, "1.0", 0, 1e308, 1, NULL, "regularization: box constraint of the dual",
     offsetof(cml_svc_params, C)},
    SVM_PARAM_KERNEL_DEFS(cml_svc_params),
    SVM_PARAM_SOLVER_DEFS(cml_svc_params),
    {"probability", CML_PARAM_BOOL, "false", 0, 1, 0, NULL,
     "fit Platt scaling (5-fold CV) so predict_proba works", offsetof(cml_svc_params, probability)},
    {"class_weight", CML_PARAM_STRING, "none", 0, 0, 0, NULL,
     "per-class C multipliers: none, balanced or label:weight,...",
     offsetof(cml_svc_params, class_weight)},
    {"decision_function_shape", CML_PARAM_ENUM, "ovr", 0, 0, 0, "ovr|ovo",
     "multi-class decision_function: ovr (votes + confidences) or ovo (one column per pair)",
     offsetof(cml_svc_params, decision_function_shape)},
    {"break_ties", CML_PARAM_BOOL, "false", 0, 1, 0, NULL,
     "predict by argmax of the ovr decision instead of votes",
     offsetof(cml_svc_params, break_ties)},
    {"random_state", CML_PARAM_INT, "0", 0, 2147483647.0, 0, NULL,
     "seed of the probability cross-validation folds", offsetof(cml_svc_params, random_state)},
};
#define N_SVC_DEFS ((int)(sizeof svc_defs / sizeof svc_defs[0]))

cml_svc_params cml_svc_params_default(void)
{
    cml_svc_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(svc_defs, N_SVC_DEFS, &p);
    return p;
}

const char *cml_svc_params_check(const cml_svc_params *p)
{
    static _Thread_local char msg[256];
    const char *m = cml_params_check(svc_defs, N_SVC_DEFS, p);
    if (!m) m = svm_kernel_params_check(p->kernel, p->degree, p->gamma);
    if (!m) m = svm_class_weight_check(p->class_weight);
    if (!m && p->break_ties && p->decision_function_shape == CML_SVC_OVO)
        m = "break_ties must be false when decision_function_shape is ovo";
    if (!m) return NULL;
    snprintf(msg, sizeof msg, "%s", m);
    return msg;
}

/* ---------------------------------------------------------------- solving */

/* Solves one binary C-SVC problem over rows[0..l) of X with labels y and
 * boxes C; alpha (l) receives y_t a_t (libsvm's signed coefficients). */
static cml_status solve_binary(const cml_svc_params *p, const svm_kparams *kp, const cml_matrix *X,
                               const int64_t *rows, int l, const signed char *y, const double *C,
                               double cache_mb, int parallel, svm_kshare *share, const int *gidx,
                               double *alpha, smo_result *res)
{
    cml_status st = CML_OK;
    svm_qmat *Q = NULL;
    double *minus_ones = cml_alloc_array(l, sizeof(double));
    if (!minus_ones) return CML_ERR_NOMEM;
    for (int t = 0; t < l; t++) {
        minus_ones[t] = -1;
        alpha[t] = 0;
    }
    CML_TRY(svm_qmat_new(SVM_Q_SVC, X, rows, l, y, kp, cache_mb, parallel, share, gidx, &Q));
    CML_TRY(smo_solve(l, Q, minus_ones, y, alpha, C, p->tol, p->shrinking, p->max_iter, res));
    for (int t = 0; t < l; t++)
        alpha[t] *= y[t];
fail:
    svm_qmat_free(Q);
    free(minus_ones);
    return st;
}

/* Decision values sum_s coef_s K(x_s, x_r) - rho for rows eval[0..m), the
 * support vectors being rows[s] with coef[s] != 0 (cross-validation). */
static void binary_decision(const svm_kparams *kp, const cml_matrix *X, const int64_t *rows,
                            const double *coef, int l, double rho, const int64_t *eval, int m,
                            double *out)
{
    int64_t d = X->cols;
    for (int r = 0; r < m; r++) {
        const double *x = cml_matrix_row(X, eval[r]);
        double xsq = kp->type == SVM_KERNEL_RBF ? svm_dot(x, x, d) : 0, sum = 0;
        for (int s = 0; s < l; s++) {
            if (coef[s] == 0) continue;
            const double *z = cml_matrix_row(X, rows[s]);
            double zsq = kp->type == SVM_KERNEL_RBF ? svm_dot(z, z, d) : 0;
            sum += coef[s] * svm_kernel_from_dot(kp, svm_dot(x, z, d), xsq, zsq);
        }
        out[r] = sum - rho;
    }
}

/* libsvm's sigmoid_train: Platt's A, B by Newton's method with backtracking
 * (Lin, Lin & Weng 2007, Algorithm 1), targets regularized as
 * (N+ + 1)/(N+ + 2) and 1/(N- + 2). */
static cml_status sigmoid_train(int l, const double *dec, const signed char *labels, double *A_out,
                                double *B_out)
{
    double prior1 = 0, prior0 = 0;
    for (int i = 0; i < l; i++)
        if (labels[i] > 0)
            prior1 += 1;
        else
            prior0 += 1;
    const int max_iter = 100;
    const double min_step = 1e-10, sigma = 1e-12, eps = 1e-5;
    double hiTarget = (prior1 + 1.0) / (prior1 + 2.0), loTarget = 1 / (prior0 + 2.0);
    double *t = cml_alloc_array(l, sizeof(double));
    if (!t) return CML_ERR_NOMEM;
    double A = 0.0, B = log((prior0 + 1.0) / (prior1 + 1.0)), fval = 0.0;
    for (int i = 0; i < l; i++) {
        t[i] = labels[i] > 0 ? hiTarget : loTarget;
        double fApB = dec[i] * A + B;
        fval +=
            fApB >= 0 ? t[i] * fApB + log(1 + exp(-fApB)) : (t[i] - 1) * fApB + log(1 + exp(fApB));
    }
    for (int iter = 0; iter < max_iter; iter++) {
        double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
        for (int i = 0; i < l; i++) {
            double fApB = dec[i] * A + B, p, q;
            if (fApB >= 0) {
                p = exp(-fApB) / (1.0 + exp(-fApB));
                q = 1.0 / (1.0 + exp(-fApB));
            } else {
                p = 1.0 / (1.0 + exp(fApB));
                q = exp(fApB) / (1.0 + exp(fApB));
            }
            double d2 = p * q, d1 = t[i] - p;
            h11 += dec[i] * dec[i] * d2;
            h22 += d2;
            h21 += dec[i] * d2;
            g1 += dec[i] * d1;
            g2 += d1;
        }
        if (fabs(g1) < eps && fabs(g2) < eps) break;
        double det = h11 * h22 - h21 * h21;
        double dA = -(h22 * g1 - h21 * g2) / det, dB = -(-h21 * g1 + h11 * g2) / det;
        double gd = g1 * dA + g2 * dB, stepsize = 1;
        while (stepsize >= min_step) {
            double newA = A + stepsize * dA, newB = B + stepsize * dB, newf = 0.0;
            for (int i = 0; i < l; i++) {
                double fApB = dec[i] * newA + newB;
                newf += fApB >= 0 ? t[i] * fApB + log(1 + exp(-fApB))
                                  : (t[i] - 1) * fApB + log(1 + exp(fApB));
            }
            if (newf < fval + 0.0001 * stepsize * gd) {
                A = newA;
                B = newB;
                fval = newf;
                break;
            }
            stepsize = stepsize / 2.0;
        }
        if (stepsize < min_step) {
            cml_log(CML_LOG_WARN, "SVC: line search fails in two-class probability estimates");
            break;
        }
    }
    free(t);
    *A_out = A;
    *B_out = B;
    return CML_OK;
}

/* libsvm's svm_binary_svc_probability: decision values of a shuffled 5-fold
 * cross-validation (each fold trained with the pair's boxes), then Platt. */
static cml_status binary_probability(const cml_svc_params *p, const svm_kparams *kp,
                                     const cml_matrix *X, const int64_t *rows, int l,
                                     const signed char *y, const double *C, double cache_mb,
                                     int parallel, cml_rng *rng, double *A, double *B)
{
    const int nr_fold = 5;
    cml_status st = CML_OK;
    int64_t *perm = cml_alloc_array(l, sizeof(int64_t));
    int64_t *sub_rows = cml_alloc_array(l, sizeof(int64_t));
    int64_t *eval = cml_alloc_array(l, sizeof(int64_t));
    signed char *sub_y = cml_alloc_array(l, 1);
    double *sub_C = cml_alloc_array(l, sizeof(double));
    double *alpha = cml_alloc_array(l, sizeof(double));
    double *dec = cml_alloc_array(l, sizeof(double));
    double *fold_dec = cml_alloc_array(l, sizeof(double));
    if (!perm || !sub_rows || !eval || !sub_y || !sub_C || !alpha || !dec || !fold_dec) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < l; i++)
        perm[i] = i;
    cml_rng_shuffle_i64(rng, perm, l);
    for (int f = 0; f < nr_fold; f++) {
        int begin = (int)((int64_t)f * l / nr_fold), end = (int)((int64_t)(f + 1) * l / nr_fold);
        int k = 0, p_count = 0, n_count = 0;
        for (int j = 0; j < l; j++) {
            if (j >= begin && j < end) continue;
            sub_rows[k] = rows[perm[j]];
            sub_y[k] = y[perm[j]];
            sub_C[k] = C[perm[j]];
            if (sub_y[k] > 0)
                p_count++;
            else
                n_count++;
            k++;
        }
        for (int j = begin; j < end; j++)
            eval[j - begin] = rows[perm[j]];
        if (p_count == 0 || n_count == 0) {
            /* One class only in the training folds: libsvm's constant. */
            double v = p_count > 0 ? 1 : n_count > 0 ? -1 : 0;
            for (int j = begin; j < end; j++)
                dec[perm[j]] = v;
            continue;
        }
        smo_result res;
        CML_TRY(solve_binary(p, kp, X, sub_rows, k, sub_y, sub_C, cache_mb, parallel, NULL, NULL,
                             alpha, &res));
        binary_decision(kp, X, sub_rows, alpha, k, res.rho, eval, end - begin, fold_dec);
        for (int j = begin; j < end; j++)
            dec[perm[j]] = fold_dec[j - begin];
    }
    CML_TRY(sigmoid_train(l, dec, y, A, B));
fail:
    free(perm);
    free(sub_rows);
    free(eval);
    free(sub_y);
    free(sub_C);
    free(alpha);
    free(dec);
    free(fold_dec);
    return st;
}

/* ---------------------------------------------------------------- fit */

/* One pair's sub-problem: rows of class i then class j, in training order. */
typedef struct pair_job {
    int ci, cj;     /* class indices */
    int l;          /* rows */
    int64_t *rows;  /* (l) into X */
    int *gidx;      /* (l) position in the class-grouped order */
    signed char *y; /* (l) */
    double *C;      /* (l) */
    double *alpha;  /* (l) signed coefficients */
    double rho;
    int n_iter, timed_out;
    double prob_a, prob_b;
    cml_status st;
} pair_job;

static void free_jobs(pair_job *jobs, int64_t n)
{
    if (!jobs) return;
    for (int64_t p = 0; p < n; p++) {
        free(jobs[p].rows);
        free(jobs[p].gidx);
        free(jobs[p].y);
        free(jobs[p].C);
        free(jobs[p].alpha);
    }
    free(jobs);
}

static cml_status build_model(cml_svc *m, const cml_matrix *X, const pair_job *jobs,
                              const int64_t *perm, const int64_t *start, const int64_t *count,
                              int64_t n_rows)
{
    int64_t k = m->n_classes, n_pairs = k * (k - 1) / 2;
    cml_status st = CML_OK;
    unsigned char *nonzero = cml_calloc((size_t)CML_MAX(n_rows, 1), 1);
    int64_t *nz_start = cml_alloc_array(k, sizeof(int64_t));
    int64_t *sv_rows = cml_alloc_array(CML_MAX(n_rows, 1), sizeof(int64_t));
    if (!nonzero || !nz_start || !sv_rows) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* nonzero is indexed by position in the class-grouped order perm. */
    for (int64_t p = 0; p < n_pairs; p++) {
        const pair_job *J = &jobs[p];
        int64_t ni = count[J->ci];
        for (int t = 0; t < J->l; t++)
            if (fabs(J->alpha[t]) > 0)
                nonzero[t < ni ? start[J->ci] + t : start[J->cj] + (t - ni)] = 1;
    }
    int64_t n_sv = 0;
    for (int64_t c = 0; c < k; c++) {
        m->n_support[c] = 0;
        nz_start[c] = n_sv;
        for (int64_t t = 0; t < count[c]; t++)
            if (nonzero[start[c] + t]) {
                sv_rows[n_sv++] = perm[start[c] + t];
                m->n_support[c]++;
            }
    }
    CML_TRY(svm_sv_gather(&m->sv, X, sv_rows, n_sv));
    m->dual_coef = cml_calloc((size_t)CML_MAX((k - 1) * n_sv, 1), sizeof(double));
    m->sv_start = cml_alloc_array(k, sizeof(int64_t));
    if (!m->dual_coef || !m->sv_start) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    memcpy(m->sv_start, nz_start, sizeof(int64_t) * (size_t)k);
    /* libsvm: coefficients of class i in pair (i, j) go to row j-1, those of
     * class j to row i; sklearn negates everything for two classes. */
    double sign = k == 2 ? -1.0 : 1.0;
    for (int64_t p = 0; p < n_pairs; p++) {
        const pair_job *J = &jobs[p];
        int64_t ni = count[J->ci], nj = count[J->cj];
        double *row_i = m->dual_coef + (int64_t)(J->cj - 1) * n_sv;
        double *row_j = m->dual_coef + (int64_t)J->ci * n_sv;
        int64_t q = nz_start[J->ci];
        for (int64_t t = 0; t < ni; t++)
            if (nonzero[start[J->ci] + t]) row_i[q++] = sign * J->alpha[t];
        q = nz_start[J->cj];
        for (int64_t t = 0; t < nj; t++)
            if (nonzero[start[J->cj] + t]) row_j[q++] = sign * J->alpha[ni + t];
        m->intercept[p] = sign * -J->rho;
        m->n_iter[p] = J->n_iter;
        if (J->timed_out) m->converged = 0;
        if (m->prob_a) {
            m->prob_a[p] = J->prob_a;
            m->prob_b[p] = J->prob_b;
        }
    }
fail:
    free(nonzero);
    free(nz_start);
    free(sv_rows);
    return st;
}

void cml_svc_free(cml_svc *m)
{
    if (!m) return;
    svm_sv_clear(&m->sv);
    free(m->classes);
    free(m->n_support);
    free(m->sv_start);
    free(m->dual_coef);
    free(m->intercept);
    free(m->prob_a);
    free(m->prob_b);
    free(m->n_iter);
    free(m);
}

/* Allocates the per-pair arrays of a model with k classes. */
static cml_status alloc_pairs(cml_svc *m, int64_t k, int probability)
{
    int64_t n_pairs = k * (k - 1) / 2;
    m->n_classes = k;
    m->n_support = cml_alloc_array(k, sizeof(int64_t));
    m->intercept = cml_alloc_array(n_pairs, sizeof(double));
    m->n_iter = cml_calloc((size_t)n_pairs, sizeof(int));
    if (!m->n_support || !m->intercept || !m->n_iter) return CML_ERR_NOMEM;
    if (probability) {
        m->prob_a = cml_alloc_array(n_pairs, sizeof(double));
        m->prob_b = cml_alloc_array(n_pairs, sizeof(double));
        if (!m->prob_a || !m->prob_b) return CML_ERR_NOMEM;
    }
    return CML_OK;
}

cml_status cml_svc_fit_weighted(const cml_svc_params *p, const cml_matrix *X, const double *y,
                                const double *sw, cml_svc **out)
{
    *out = NULL;
    const char *msg = cml_svc_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "SVC: %s", msg);
    if (!y) return cml_fail(CML_ERR_ARG, "SVC needs a target y");
    CML_CHECK(svm_check_fit_input("SVC", X, y, sw));

    cml_status st = CML_OK;
    int64_t n = X->rows, k = 0, n_pos = 0, n_pairs = 0;
    int *label = NULL;
    int64_t *pos = NULL, *perm = NULL, *start = NULL, *count = NULL;
    double *cw = NULL;
    pair_job *jobs = NULL;
    svm_kshare *share = NULL;
    cml_svc *m = cml_calloc(1, sizeof *m);
    label = cml_alloc_array(n, sizeof(int));
    if (!m || !label) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    m->ovo = p->decision_function_shape == CML_SVC_OVO;
    m->break_ties = p->break_ties;
    m->converged = 1;
    CML_TRY(svm_classes(y, n, &m->classes, &k, label));
    if (k < 2) {
        st = cml_fail(CML_ERR_ARG,
                      "SVC: y has a single class (%g); a classifier needs at least 2 classes",
                      m->classes[0]);
        goto fail;
    }
    if (k > 65536) {
        st = cml_fail(CML_ERR_ARG,
                      "SVC: y has %lld distinct values; one-vs-one needs k(k-1)/2 models. HINT: "
                      "is y a continuous target? use svr",
                      (long long)k);
        goto fail;
    }
    CML_TRY(alloc_pairs(m, k, p->probability));
    n_pairs = k * (k - 1) / 2;

    m->sv.kp.type = p->kernel;
    m->sv.kp.degree = p->degree;
    m->sv.kp.coef0 = p->coef0;
    m->sv.n_features = X->cols;
    CML_TRY(svm_gamma_resolve(p->gamma, X, &m->sv.kp.gamma));

    cw = cml_alloc_array(k, sizeof(double));
    start = cml_calloc((size_t)k, sizeof(int64_t));
    count = cml_calloc((size_t)k, sizeof(int64_t));
    perm = cml_alloc_array(n, sizeof(int64_t));
    if (!cw || !start || !count || !perm) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(svm_class_weights(p->class_weight, m->classes, k, label, n, cw));

    /* libsvm's svm_group_classes over the rows of positive weight: perm
     * lists them class by class, each class in training order. */
    CML_TRY(svm_positive_rows(sw, n, &pos, &n_pos));
    for (int64_t t = 0; t < n_pos; t++)
        count[label[pos[t]]]++;
    for (int64_t c = 0; c < k; c++) {
        if (count[c] == 0) {
            st = cml_fail(CML_ERR_ARG, "SVC: every sample of class %g has weight 0", m->classes[c]);
            goto fail;
        }
        start[c] = c ? start[c - 1] + count[c - 1] : 0;
    }
    {
        int64_t *next = cml_alloc_array(k, sizeof(int64_t));
        if (!next) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        memcpy(next, start, sizeof(int64_t) * (size_t)k);
        for (int64_t t = 0; t < n_pos; t++)
            perm[next[label[pos[t]]]++] = pos[t];
        free(next);
    }

    jobs = cml_calloc((size_t)n_pairs, sizeof *jobs);
    if (!jobs) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    {
        int64_t q = 0;
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++, q++) {
                pair_job *J = &jobs[q];
                J->ci = i;
                J->cj = j;
                J->l = (int)(count[i] + count[j]);
                J->rows = cml_alloc_array(J->l, sizeof(int64_t));
                J->gidx = cml_alloc_array(J->l, sizeof(int));
                J->y = cml_alloc_array(J->l, 1);
                J->C = cml_alloc_array(J->l, sizeof(double));
                J->alpha = cml_alloc_array(J->l, sizeof(double));
                if (!J->rows || !J->gidx || !J->y || !J->C || !J->alpha) {
                    st = CML_ERR_NOMEM;
                    goto fail;
                }
                for (int t = 0; t < J->l; t++) {
                    int first = t < count[i];
                    int64_t r = first ? perm[start[i] + t] : perm[start[j] + t - count[i]];
                    J->rows[t] = r;
                    J->gidx[t] = (int)(first ? start[i] + t : start[j] + t - count[i]);
                    J->y[t] = first ? 1 : -1;
                    J->C[t] = (sw ? sw[r] : 1.0) * p->C * cw[first ? i : j];
                }
            }
    }

    {
        /* Pairs in parallel; a lone pair parallelizes its kernel rows. The
         * cache is split so memory stays at cache_size (results do not
         * depend on the cache size). */
        int threads = cml_get_num_threads();
        int outer = n_pairs > 1 && threads > 1;
        /* With several pairs, the same-class kernel blocks are computed once
         * and shared (up to half the cache), the rest split among the
         * pairs running at once. */
        if (n_pairs > 1)
            CML_TRY(svm_kshare_new(X, perm, start, count, k, &m->sv.kp, p->cache_size / 2, &share));
        double cache_mb = p->cache_size - svm_kshare_mb(share);
        if (outer) cache_mb /= (double)CML_MIN(threads, n_pairs);
        cml_rng base;
        cml_rng_seed(&base, (uint64_t)p->random_state);
        (void)outer;
#pragma omp parallel for schedule(dynamic, 1) if (outer) CML_OMP_THREADS
        for (int64_t q = 0; q < n_pairs; q++) {
            pair_job *J = &jobs[q];
            smo_result res;
            if (p->probability) {
                /* Stream q of the seed: the same folds whatever the thread
                 * count. */
                cml_rng rng = base;
                for (int64_t s = 0; s < q; s++)
                    cml_rng_jump(&rng);
                J->st = binary_probability(p, &m->sv.kp, X, J->rows, J->l, J->y, J->C, cache_mb,
                                           !outer, &rng, &J->prob_a, &J->prob_b);
                if (J->st != CML_OK) continue;
            }
            J->st = solve_binary(p, &m->sv.kp, X, J->rows, J->l, J->y, J->C, cache_mb, !outer,
                                 share, J->gidx, J->alpha, &res);
            J->rho = res.rho;
            J->n_iter = res.n_iter;
            J->timed_out = res.timed_out;
        }
        for (int64_t q = 0; q < n_pairs; q++)
            if (jobs[q].st != CML_OK) {
                st = cml_fail(jobs[q].st,
                              "SVC: out of memory while training classes %g vs %g. HINT: lower "
                              "cache_size",
                              m->classes[jobs[q].ci], m->classes[jobs[q].cj]);
                goto fail;
            }
    }
    CML_TRY(build_model(m, X, jobs, perm, start, count, n_pos));
    if (!m->converged)
        cml_log(CML_LOG_WARN, "SVC: the solver stopped at max_iter = %d before tol = %g",
                p->max_iter, p->tol);
    *out = m;
    m = NULL;
fail:
    cml_svc_free(m);
    free_jobs(jobs, n_pairs);
    svm_kshare_free(share);
    free(label);
    free(pos);
    free(perm);
    free(start);
    free(count);
    free(cw);
    return st;
}

cml_status cml_svc_fit(const cml_svc_params *p, const cml_matrix *X, const double *y, cml_svc **out)
{
    return cml_svc_fit_weighted(p, X, y, NULL, out);
}

/* ---------------------------------------------------------------- predict */

/* libsvm's dec_values for one row: dec[q] > 0 votes for class i of pair q. */
static void row_decision(const cml_svc *m, const double *kv, double *dec)
{
    int64_t k = m->n_classes, n_sv = m->sv.n_sv, q = 0;
    double sign = k == 2 ? -1.0 : 1.0;
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = i + 1; j < k; j++, q++) {
            const double *coef1 = m->dual_coef + (j - 1) * n_sv;
            const double *coef2 = m->dual_coef + i * n_sv;
            double sum = 0;
            for (int64_t s = m->sv_start[i]; s < m->sv_start[i] + m->n_support[i]; s++)
                sum += coef1[s] * kv[s];
            for (int64_t s = m->sv_start[j]; s < m->sv_start[j] + m->n_support[j]; s++)
                sum += coef2[s] * kv[s];
            dec[q] = sign * (sum + m->intercept[q]);
        }
}

/* sklearn's _ovr_decision_function(dec < 0, -dec, k): votes plus summed
 * confidences squashed into (-1/3, 1/3) so they only break ties. */
static void ovr_decision(int64_t k, const double *dec, double *out)
{
    int64_t q = 0;
    double *conf = out; /* votes kept apart below, confidences summed here */
    for (int64_t c = 0; c < k; c++)
        conf[c] = 0;
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = i + 1; j < k; j++, q++) {
            conf[i] += dec[q];
            conf[j] -= dec[q];
        }
    q = 0;
    for (int64_t c = 0; c < k; c++)
        conf[c] = conf[c] / (3 * (fabs(conf[c]) + 1));
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = i + 1; j < k; j++, q++)
            out[dec[q] < 0 ? j : i] += 1;
}

/* libsvm's vote: dec > 0 votes i, else j; the first class with most votes. */
static int64_t vote(int64_t k, const double *dec, int *votes)
{
    int64_t q = 0, best = 0;
    for (int64_t c = 0; c < k; c++)
        votes[c] = 0;
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = i + 1; j < k; j++, q++)
            votes[dec[q] > 0 ? i : j]++;
    for (int64_t c = 1; c < k; c++)
        if (votes[c] > votes[best]) best = c;
    return best;
}

/* Method 2 of Wu, Lin & Weng (2004), libsvm's multiclass_probability:
 * r (k, k) pairwise probabilities, p (k) out; Q, Qp scratch (k*k, k). */
static void multiclass_probability(int64_t k, const double *r, double *p, double *Q, double *Qp)
{
    int64_t max_iter = CML_MAX(100, k), iter;
    double eps = 0.005 / (double)k;
    for (int64_t t = 0; t < k; t++) {
        p[t] = 1.0 / (double)k;
        Q[t * k + t] = 0;
        for (int64_t j = 0; j < t; j++) {
            Q[t * k + t] += r[j * k + t] * r[j * k + t];
            Q[t * k + j] = Q[j * k + t];
        }
        for (int64_t j = t + 1; j < k; j++) {
            Q[t * k + t] += r[j * k + t] * r[j * k + t];
            Q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }
    }
    for (iter = 0; iter < max_iter; iter++) {
        double pQp = 0, max_error = 0;
        for (int64_t t = 0; t < k; t++) {
            Qp[t] = 0;
            for (int64_t j = 0; j < k; j++)
                Qp[t] += Q[t * k + j] * p[j];
            pQp += p[t] * Qp[t];
        }
        for (int64_t t = 0; t < k; t++)
            max_error = CML_MAX(max_error, fabs(Qp[t] - pQp));
        if (max_error < eps) break;
        for (int64_t t = 0; t < k; t++) {
            double diff = (-Qp[t] + pQp) / Q[t * k + t];
            p[t] += diff;
            pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
            for (int64_t j = 0; j < k; j++) {
                Qp[j] = (Qp[j] + diff * Q[t * k + j]) / (1 + diff);
                p[j] /= (1 + diff);
            }
        }
    }
}

typedef enum { OUT_PREDICT, OUT_DECISION, OUT_PROBA } out_kind;

typedef struct predict_ctx {
    const cml_svc *m;
    out_kind kind;
    double *out;
    int failed;
} predict_ctx;

static void predict_block(void *vctx, int64_t r0, int64_t r1, const double *K)
{
    predict_ctx *ctx = vctx;
    const cml_svc *m = ctx->m;
    int64_t k = m->n_classes, n_pairs = k * (k - 1) / 2, cols = cml_svc_n_decision_cols(m);
    /* scratch: dec (pairs), ovr (k), votes (k ints), r (k*k), Q (k*k), Qp (k) */
    double *dec = cml_alloc_array(n_pairs + 3 * k + 2 * k * k, sizeof(double));
    int *votes = cml_alloc_array(k, sizeof(int));
    if (!dec || !votes) {
        free(dec);
        free(votes);
#pragma omp atomic write
        ctx->failed = 1;
        return;
    }
    double *ovr = dec + n_pairs, *r = ovr + k, *Q = r + k * k, *Qp = Q + k * k;
    for (int64_t i = r0; i < r1; i++) {
        row_decision(m, K + (i - r0) * m->sv.n_sv, dec);
        if (ctx->kind == OUT_DECISION) {
            double *o = ctx->out + i * cols;
            if (k == 2)
                o[0] = -dec[0];
            else if (m->ovo)
                memcpy(o, dec, sizeof(double) * (size_t)n_pairs);
            else
                ovr_decision(k, dec, o);
        } else if (ctx->kind == OUT_PREDICT) {
            int64_t c;
            if (m->break_ties && !m->ovo && k > 2) {
                ovr_decision(k, dec, ovr);
                c = 0;
                for (int64_t t = 1; t < k; t++)
                    if (ovr[t] > ovr[c]) c = t;
            } else {
                c = vote(k, dec, votes);
            }
            ctx->out[i] = m->classes[c];
        } else {
            const double min_prob = 1e-7;
            int64_t q = 0;
            for (int64_t a = 0; a < k; a++)
                for (int64_t b = a + 1; b < k; b++, q++) {
                    double fApB = dec[q] * m->prob_a[q] + m->prob_b[q];
                    /* 1-p is used too: avoid cancellation, as libsvm. */
                    double s = fApB >= 0 ? exp(-fApB) / (1.0 + exp(-fApB)) : 1.0 / (1 + exp(fApB));
                    s = CML_MIN(CML_MAX(s, min_prob), 1 - min_prob);
                    r[a * k + b] = s;
                    r[b * k + a] = 1 - s;
                }
            multiclass_probability(k, r, ctx->out + i * k, Q, Qp);
        }
    }
    free(dec);
    free(votes);
}

static cml_status run_predict(const cml_svc *m, const cml_matrix *X, double *out, out_kind kind)
{
    CML_CHECK(svm_check_predict_input("SVC", X, m->sv.n_features));
    predict_ctx ctx = {m, kind, out, 0};
    CML_CHECK(svm_sv_apply(&m->sv, X, predict_block, &ctx));
    if (ctx.failed) return cml_fail(CML_ERR_NOMEM, "SVC: out of memory in predict");
    return CML_OK;
}

cml_status cml_svc_predict(const cml_svc *m, const cml_matrix *X, double *out)
{
    return run_predict(m, X, out, OUT_PREDICT);
}

cml_status cml_svc_decision_function(const cml_svc *m, const cml_matrix *X, double *out)
{
    return run_predict(m, X, out, OUT_DECISION);
}

cml_status cml_svc_predict_proba(const cml_svc *m, const cml_matrix *X, double *out)
{
    if (!m->prob_a)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "SVC: predict_proba needs a model fitted with probability=true. HINT: "
                        "refit with --param probability=true");
    return run_predict(m, X, out, OUT_PROBA);
}

/* ---------------------------------------------------------------- getters */

int64_t cml_svc_n_decision_cols(const cml_svc *m)
{
    int64_t k = m->n_classes;
    return k == 2 ? 1 : m->ovo ? k * (k - 1) / 2 : k;
}
int64_t cml_svc_n_classes(const cml_svc *m)
{
    return m->n_classes;
}
const double *cml_svc_classes(const cml_svc *m)
{
    return m->classes;
}
int64_t cml_svc_n_features_in(const cml_svc *m)
{
    return m->sv.n_features;
}
int64_t cml_svc_n_sv(const cml_svc *m)
{
    return m->sv.n_sv;
}
const int64_t *cml_svc_support(const cml_svc *m)
{
    return m->sv.support;
}
const double *cml_svc_support_vectors(const cml_svc *m)
{
    return m->sv.sv;
}
const int64_t *cml_svc_n_support(const cml_svc *m)
{
    return m->n_support;
}
const double *cml_svc_dual_coef(const cml_svc *m)
{
    return m->dual_coef;
}
const double *cml_svc_intercept(const cml_svc *m)
{
    return m->intercept;
}
const int *cml_svc_n_iter(const cml_svc *m)
{
    return m->n_iter;
}
double cml_svc_gamma(const cml_svc *m)
{
    return m->sv.kp.gamma;
}
const double *cml_svc_prob_a(const cml_svc *m)
{
    return m->prob_a;
}
const double *cml_svc_prob_b(const cml_svc *m)
{
    return m->prob_b;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_svc *m;
    CML_CHECK(cml_svc_fit_weighted(params, X, y, opts ? opts->sample_weight : NULL, &m));
    int64_t n_pairs = m->n_classes * (m->n_classes - 1) / 2;
    for (int64_t q = 0; q < n_pairs; q++)
        info->n_iter = CML_MAX(info->n_iter, m->n_iter[q]);
    info->converged = m->converged;
    *state = m;
    return CML_OK;
}

static cml_status v_predict(const void *s, const cml_matrix *X, double *out)
{
    return cml_svc_predict(s, X, out);
}
static cml_status v_proba(const void *s, const cml_matrix *X, double *out)
{
    return cml_svc_predict_proba(s, X, out);
}
static cml_status v_decision(const void *s, const cml_matrix *X, double *out)
{
    return cml_svc_decision_function(s, X, out);
}
static int64_t v_classes(const void *s, const double **c)
{
    const cml_svc *m = s;
    *c = m->classes;
    return m->n_classes;
}
static int64_t v_n_features(const void *s)
{
    return cml_svc_n_features_in(s);
}
static int64_t v_n_decision(const void *s)
{
    return cml_svc_n_decision_cols(s);
}
static void v_free(void *s)
{
    cml_svc_free(s);
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    const cml_svc *m = state;
    int64_t k = m->n_classes, n_pairs = k * (k - 1) / 2;
    (void)params;
    CML_CHECK(svm_sv_save(&m->sv, w));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", k));
    CML_CHECK(cml_gguf_add_f64(w, "classes", m->classes, 1, k));
    CML_CHECK(cml_gguf_add_i64(w, "n_support", m->n_support, k));
    if (m->sv.n_sv > 0)
        CML_CHECK(cml_gguf_add_f64(w, "dual_coef", m->dual_coef, k - 1, m->sv.n_sv));
    CML_CHECK(cml_gguf_add_f64(w, "intercept", m->intercept, 1, n_pairs));
    int64_t *it = cml_alloc_array(n_pairs, sizeof(int64_t));
    if (!it) return CML_ERR_NOMEM;
    for (int64_t q = 0; q < n_pairs; q++)
        it[q] = m->n_iter[q];
    cml_status st = cml_gguf_add_i64(w, "n_iter", it, n_pairs);
    free(it);
    CML_CHECK(st);
    if (m->prob_a) {
        CML_CHECK(cml_gguf_add_f64(w, "prob_a", m->prob_a, 1, n_pairs));
        CML_CHECK(cml_gguf_add_f64(w, "prob_b", m->prob_b, 1, n_pairs));
    }
    return CML_OK;
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    const cml_svc_params *p = params;
    cml_status st = CML_OK;
    int64_t k, *it = NULL;
    (void)schema_version;
    cml_svc *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    CML_TRY(svm_sv_load(g, p->kernel, p->degree, p->coef0, &m->sv));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_classes", &k));
    if (k < 2 || k > 65536) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad SVC class count %lld", cml_gguf_name(g),
                      (long long)k);
        goto fail;
    }
    int64_t n_pairs = k * (k - 1) / 2, n_sv = m->sv.n_sv;
    /* shapes before sizes: k must match tensors the file holds */
    CML_TRY(cml_gguf_expect(g, "classes", CML_GGUF_T_F64, 1, k));
    CML_TRY(cml_gguf_expect(g, "intercept", CML_GGUF_T_F64, 1, n_pairs));
    if (n_sv > 0) CML_TRY(cml_gguf_expect(g, "dual_coef", CML_GGUF_T_F64, k - 1, n_sv));
    CML_TRY(alloc_pairs(m, k, p->probability));
    m->converged = 1;
    if (cml_gguf_has(g, "cml.fit.converged"))
        CML_TRY(cml_gguf_get_bool(g, "cml.fit.converged", &m->converged));
    m->ovo = p->decision_function_shape == CML_SVC_OVO;
    m->break_ties = p->break_ties;
    m->classes = cml_alloc_array(k, sizeof(double));
    m->sv_start = cml_alloc_array(k, sizeof(int64_t));
    m->dual_coef = cml_calloc((size_t)CML_MAX((k - 1) * n_sv, 1), sizeof(double));
    it = cml_alloc_array(n_pairs, sizeof(int64_t));
    if (!m->classes || !m->sv_start || !m->dual_coef || !it) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "classes", 1, k, m->classes));
    CML_TRY(cml_gguf_read_i64(g, "n_support", k, m->n_support));
    if (n_sv > 0) CML_TRY(cml_gguf_read_f64(g, "dual_coef", k - 1, n_sv, m->dual_coef));
    CML_TRY(cml_gguf_read_f64(g, "intercept", 1, n_pairs, m->intercept));
    CML_TRY(cml_gguf_read_i64(g, "n_iter", n_pairs, it));
    for (int64_t q = 0; q < n_pairs; q++) {
        if (it[q] < 0 || it[q] > INT32_MAX) {
            st = cml_fail(CML_ERR_FORMAT, "%s: bad SVC n_iter", cml_gguf_name(g));
            goto fail;
        }
        m->n_iter[q] = (int)it[q];
    }
    if (m->prob_a) {
        CML_TRY(cml_gguf_read_f64(g, "prob_a", 1, n_pairs, m->prob_a));
        CML_TRY(cml_gguf_read_f64(g, "prob_b", 1, n_pairs, m->prob_b));
    }
    int64_t total = 0;
    for (int64_t c = 0; c < k; c++) {
        if (m->n_support[c] < 0 || m->n_support[c] > n_sv ||
            (c > 0 && !(m->classes[c] > m->classes[c - 1]))) {
            st = cml_fail(CML_ERR_FORMAT, "%s: inconsistent SVC classes / n_support",
                          cml_gguf_name(g));
            goto fail;
        }
        m->sv_start[c] = total;
        total += m->n_support[c];
    }
    if (total != n_sv) {
        st = cml_fail(CML_ERR_FORMAT,
                      "%s: n_support sums to %lld, but there are %lld support vectors",
                      cml_gguf_name(g), (long long)total, (long long)n_sv);
        goto fail;
    }
    free(it);
    *state = m;
    return CML_OK;
fail:
    free(it);
    cml_svc_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_svc *m = state;
    int64_t k = m->n_classes, n_pairs = k * (k - 1) / 2;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"classes\":");
    cml_sb_json_arr(&sb, m->classes, k);
    cml_sb_puts(&sb, ",\"n_support\":[");
    for (int64_t c = 0; c < k; c++)
        cml_sb_printf(&sb, "%s%lld", c ? "," : "", (long long)m->n_support[c]);
    cml_sb_puts(&sb, "],\"intercept\":");
    cml_sb_json_arr(&sb, m->intercept, n_pairs);
    cml_sb_puts(&sb, ",");
    svm_sv_describe(&m->sv, &sb);
    if (m->prob_a) {
        cml_sb_puts(&sb, ",\"prob_a\":");
        cml_sb_json_arr(&sb, m->prob_a, n_pairs);
        cml_sb_puts(&sb, ",\"prob_b\":");
        cml_sb_json_arr(&sb, m->prob_b, n_pairs);
    }
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}

const cml_estimator cml_est_svc = {
    .name = "svc",
    .aliases = "svm",
    .summary = "C-support vector classifier (libsvm SMO; kernels linear, poly, rbf, sigmoid)",
    .task = CML_TASK_CLASSIFICATION,
    .schema_version = 1,
    .params = svc_defs,
    .n_params = N_SVC_DEFS,
    .params_size = sizeof(cml_svc_params),
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
};
