/*
 * gaussian_nb.c — Gaussian naive Bayes (scikit-learn 1.2's GaussianNB).
 *
 * Model: P(c | x) ∝ P(c) prod_j N(x_j; theta_cj, var_cj), so the joint
 * log-likelihood is
 *   jll_c(x) = log P(c) - 1/2 sum_j log(2 pi var_cj)
 *                       - 1/2 sum_j (x_j - theta_cj)^2 / var_cj.
 * Fit: per-class means and (biased) variances, plus epsilon = var_smoothing
 * * max_j var(X_j) added to every variance for numerical stability.
 * partial_fit merges a batch's mean/variance into the running ones with
 * the pairwise update of Chan, Golub & LeVeque (1983, "Algorithms for
 * computing the sample variance"), eq. 1.5a/b, exactly as sklearn's
 * _update_mean_variance; epsilon is taken out before and put back after
 * each batch (recomputed from the batch, as sklearn).
 * Sums over rows run in row order and sums over features in numpy's
 * pairwise order, matching numpy's reductions.
 *
 * Fit reads X twice, parallel over column ranges; predict is parallel over
 * rows; neither result depends on the thread count.
 * Cost: fit O(n d), predict O(n C d). Thread-safety: predict is read-only.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "bayes/nb_internal.h"
#include "cml/model.h"
#include "core/strbuf.h"
#include "neighbors/labels.h"

#define CML_PI 3.141592653589793 /* np.pi */

static const cml_param_def defs[] = {
    {"priors", CML_PARAM_STRING, "", 0, 0, 0, NULL,
     "class priors \"p1,...,pC\" (sorted class order); empty: learned from the data",
     offsetof(cml_gaussian_nb_params, priors)},
    {"var_smoothing", CML_PARAM_DOUBLE, "1e-9", 0, DBL_MAX, 0, NULL,
     "share of the largest feature variance added to all variances",
     offsetof(cml_gaussian_nb_params, var_smoothing)},
};
#define N_DEFS ((int)(sizeof defs / sizeof defs[0]))

struct cml_gaussian_nb {
    cml_gaussian_nb_params params;
    int64_t C, d;
    double *classes;     /* (C) */
    double *theta;       /* (C, d) */
    double *var;         /* (C, d) variances + epsilon */
    double *class_count; /* (C) */
    double *class_prior; /* (C) */
    double epsilon;
    int fitted; /* 0 until the first batch: then var holds no epsilon yet */
};

cml_gaussian_nb_params cml_gaussian_nb_params_default(void)
{
    cml_gaussian_nb_params p;
    cml_params_init(defs, N_DEFS, &p);
    return p;
}

const char *cml_gaussian_nb_params_check(const cml_gaussian_nb_params *p)
{
    const char *msg = cml_params_check(defs, N_DEFS, p);
    if (msg) return msg;
    double *v;
    int64_t n;
    if (nb_parse_list(p->priors, "priors", &v, &n) != CML_OK)
        return "priors must be comma-separated numbers, one per class";
    free(v);
    return NULL;
}

void cml_gaussian_nb_free(cml_gaussian_nb *m)
{
    if (!m) return;
    free(m->classes);
    free(m->theta);
    free(m->var);
    free(m->class_count);
    free(m->class_prior);
    free(m);
}

/* A zeroed model over the given classes (sklearn's first-call branch). */
static cml_status new_model(const cml_gaussian_nb_params *p, const double *classes, int64_t C,
                            int64_t d, cml_gaussian_nb **out)
{
    *out = NULL;
    cml_gaussian_nb *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->params = *p;
    m->C = C;
    m->d = d;
    m->classes = cml_alloc_array(C, sizeof(double));
    m->theta = cml_calloc((size_t)(C * d), sizeof(double));
    m->var = cml_calloc((size_t)(C * d), sizeof(double));
    m->class_count = cml_calloc((size_t)C, sizeof(double));
    m->class_prior = cml_calloc((size_t)C, sizeof(double));
    if (!m->classes || !m->theta || !m->var || !m->class_count || !m->class_prior) {
        cml_gaussian_nb_free(m);
        return CML_ERR_NOMEM;
    }
    memcpy(m->classes, classes, (size_t)C * sizeof(double));
    double *pri;
    int64_t np_;
    cml_status st = nb_parse_list(p->priors, "priors", &pri, &np_);
    if (st == CML_OK && np_ > 0) {
        double sum = cml_np_sum(pri, np_);
        if (np_ != C)
            st = cml_fail(CML_ERR_ARG, "gaussian_nb: %lld priors given for %lld classes",
                          (long long)np_, (long long)C);
        else if (!(fabs(sum - 1.0) <= 1e-8 + 1e-5)) /* np.isclose(sum, 1) */
            st = cml_fail(CML_ERR_ARG, "gaussian_nb: priors sum to %.17g; they must sum to 1", sum);
        for (int64_t c = 0; st == CML_OK && c < C; c++)
            if (pri[c] < 0.0)
                st = cml_fail(CML_ERR_ARG, "gaussian_nb: priors must be non-negative");
        if (st == CML_OK) memcpy(m->class_prior, pri, (size_t)C * sizeof(double));
    }
    free(pri);
    if (st != CML_OK) {
        cml_gaussian_nb_free(m);
        return st;
    }
    *out = m;
    return CML_OK;
}

/* Columns per task of the parallel statistics pass. */
#define STAT_COLS 64

/* Batch statistics in two passes over X, parallel over column ranges (each
 * sum still runs in row order, so the results do not depend on the thread
 * count): for every column j
 *   colvar[j]          np.var(X[:, j]) (mean, then mean squared deviation)
 *   mu[c, j], vr[c, j] the class-c mean and (weighted) variance of
 *                      sklearn's _update_mean_variance, for classes with
 *                      nnew[c] != 0.
 * Returns 0 if X holds a non-finite value (the caller reports it). */
static int batch_stats(const cml_matrix *X, const int32_t *codes, const double *sw, int64_t C,
                       const double *nnew, double *colvar, double *mu, double *vr)
{
    int64_t n = X->rows, d = X->cols, n_tasks = (d + STAT_COLS - 1) / STAT_COLS;
    int bad = 0;
#pragma omp parallel for schedule(dynamic, 1) CML_OMP_THREADS if (n * d > (1 << 16))
    for (int64_t t = 0; t < n_tasks; t++) {
        int64_t j0 = t * STAT_COLS, nj = CML_MIN(STAT_COLS, d - j0);
        double mean[STAT_COLS] = {0}, acc[STAT_COLS] = {0};
        int ok = 1;
        for (int64_t c = 0; c < C; c++)
            for (int64_t j = 0; j < nj; j++)
                mu[c * d + j0 + j] = vr[c * d + j0 + j] = 0.0;
        for (int64_t i = 0; i < n; i++) {
            const double *restrict x = cml_matrix_row(X, i) + j0;
            double w = sw ? sw[i] : 1.0, *restrict m = mu + (int64_t)codes[i] * d + j0;
            int b = 0;
            for (int64_t j = 0; j < nj; j++) {
                b |= !isfinite(x[j]);
                mean[j] += x[j];
                m[j] += x[j] * w; /* w = 1 exactly without weights */
            }
            ok &= !b;
        }
        for (int64_t j = 0; j < nj; j++)
            mean[j] /= (double)n;
        for (int64_t c = 0; c < C; c++)
            for (int64_t j = 0; j < nj; j++)
                if (nnew[c] != 0.0) mu[c * d + j0 + j] /= nnew[c];
        for (int64_t i = 0; i < n; i++) {
            const double *restrict x = cml_matrix_row(X, i) + j0;
            const double *restrict m = mu + (int64_t)codes[i] * d + j0;
            double *restrict v = vr + (int64_t)codes[i] * d + j0;
            double w = sw ? sw[i] : 1.0;
            for (int64_t j = 0; j < nj; j++) {
                double t0 = x[j] - mean[j], t1 = x[j] - m[j];
                acc[j] += t0 * t0;
                v[j] += t1 * t1 * w; /* w = 1 exactly without weights */
            }
        }
        for (int64_t j = 0; j < nj; j++)
            colvar[j0 + j] = acc[j] / (double)n;
        for (int64_t c = 0; c < C; c++)
            for (int64_t j = 0; j < nj; j++)
                if (nnew[c] != 0.0) vr[c * d + j0 + j] /= nnew[c];
        if (!ok) {
#pragma omp atomic write
            bad = 1;
        }
    }
    return !bad;
}

/* Merges class c's batch mean and variance into the model (sklearn's
 * _update_mean_variance, Chan et al. eq. 1.5a/b). */
static void merge_class(cml_gaussian_nb *m, int64_t c, double n_new, int weighted, const double *mu,
                        const double *vr)
{
    int64_t d = m->d;
    double n_past = m->class_count[c];
    m->class_count[c] += n_new;
    if (n_new == 0.0) return;
    /* weighted: np.isclose(n_new, 0) leaves the statistics alone */
    if (weighted && fabs(n_new) <= 1e-8) return;
    double *th = m->theta + c * d, *va = m->var + c * d;
    if (n_past == 0.0) {
        memcpy(th, mu, (size_t)d * sizeof(double));
        memcpy(va, vr, (size_t)d * sizeof(double));
        return;
    }
    double n_total = n_past + n_new;
    for (int64_t j = 0; j < d; j++) {
        double total_mu = (n_new * mu[j] + n_past * th[j]) / n_total;
        double dm = th[j] - mu[j];
        double total_ssd = n_past * va[j] + n_new * vr[j] + (n_new * n_past / n_total) * dm * dm;
        th[j] = total_mu;
        va[j] = total_ssd / n_total;
    }
}

/* sklearn's GaussianNB._partial_fit on an existing model m (first call: m
 * fresh from new_model). Leaves m unchanged on error. */
static cml_status partial_fit_into(cml_gaussian_nb *m, const cml_matrix *X, const double *y,
                                   const double *sw)
{
    int64_t n = X->rows, d = m->d, C = m->C;
    if (X->cols != d)
        return cml_fail(CML_ERR_ARG,
                        "gaussian_nb: number of features %lld does not match previous data %lld",
                        (long long)X->cols, (long long)d);
    int32_t *codes = cml_alloc_array(n, sizeof(int32_t));
    double *colvar = cml_alloc_array(d, sizeof(double));
    double *mu = cml_alloc_array(C * d, sizeof(double));
    double *vr = cml_alloc_array(C * d, sizeof(double));
    double *nnew = cml_calloc((size_t)C, sizeof(double));
    double *wbuf = sw ? cml_alloc_array(n, sizeof(double)) : NULL;
    cml_status st = CML_OK;
    if (!codes || !colvar || !mu || !vr || !nnew || (sw && !wbuf)) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    st = nb_encode_y(y, n, m->classes, C, codes);
    if (st != CML_OK) goto done;
    /* n_new per class: the batch count, or the (pairwise, as np.sum) sum of
     * the class's weights in row order */
    for (int64_t c = 0; c < C; c++) {
        int64_t n_i = 0;
        for (int64_t i = 0; i < n; i++)
            if (codes[i] == c) {
                if (sw) wbuf[n_i] = sw[i];
                n_i++;
            }
        nnew[c] = sw ? (n_i ? cml_np_sum(wbuf, n_i) : 0.0) : (double)n_i;
    }
    if (!batch_stats(X, codes, sw, C, nnew, colvar, mu, vr)) {
        st = cml_matrix_check(X, "X", 0); /* names the first bad cell */
        goto done;
    }
    /* the only failures are above, before m changes */
    double mx = -INFINITY;
    for (int64_t j = 0; j < d; j++)
        mx = fmax(mx, colvar[j]);
    double eps = m->params.var_smoothing * mx;
    if (m->fitted)
        for (int64_t a = 0; a < C * d; a++) /* sklearn subtracts this batch's epsilon, not the
                                             * one added last time: mirror it */
            m->var[a] -= eps;
    for (int64_t c = 0; c < C; c++)
        merge_class(m, c, nnew[c], sw != NULL, mu + c * d, vr + c * d);
    for (int64_t a = 0; a < C * d; a++)
        m->var[a] += eps;
    m->epsilon = eps;
    m->fitted = 1;
    if (!m->params.priors[0]) {
        double total = cml_np_sum(m->class_count, C);
        for (int64_t c = 0; c < C; c++)
            m->class_prior[c] = m->class_count[c] / total;
    }
done:
    free(codes);
    free(colvar);
    free(mu);
    free(vr);
    free(nnew);
    free(wbuf);
    return st;
}

cml_status cml_gaussian_nb_partial_fit(cml_gaussian_nb **model, const cml_gaussian_nb_params *p,
                                       const cml_matrix *X, const double *y,
                                       const double *sample_weight, const double *classes,
                                       int64_t n_classes)
{
    /* shape and target here; X's values are checked in the statistics pass */
    CML_CHECK(cml_matrix_check(X, "X", 1));
    CML_CHECK(nb_check_target(X->rows, y, sample_weight, "gaussian_nb"));
    if (*model) {
        CML_CHECK(nb_classes_again(classes, n_classes, (*model)->classes, (*model)->C));
        return partial_fit_into(*model, X, y, sample_weight);
    }
    if (!p) return cml_fail(CML_ERR_ARG, "gaussian_nb: params are needed on the first partial_fit");
    const char *msg = cml_gaussian_nb_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "gaussian_nb: %s", msg);
    double *cls;
    int64_t C;
    CML_CHECK(nb_classes_first(classes, n_classes, &cls, &C));
    cml_gaussian_nb *m;
    cml_status st = new_model(p, cls, C, X->cols, &m);
    free(cls);
    CML_CHECK(st);
    st = partial_fit_into(m, X, y, sample_weight);
    if (st != CML_OK) {
        cml_gaussian_nb_free(m);
        return st;
    }
    *model = m;
    return CML_OK;
}

static cml_status fit_weighted(const cml_gaussian_nb_params *p, const cml_matrix *X,
                               const double *y, const double *sw, cml_gaussian_nb **out)
{
    *out = NULL;
    CML_CHECK(cml_matrix_check(X, "X", 1));
    CML_CHECK(nb_check_target(X->rows, y, sw, "gaussian_nb"));
    double *cls;
    int64_t C;
    CML_CHECK(cml_labels_encode(y, X->rows, &cls, &C, NULL));
    cml_status st = cml_gaussian_nb_partial_fit(out, p, X, y, sw, cls, C);
    free(cls);
    return st;
}

cml_status cml_gaussian_nb_fit(const cml_gaussian_nb_params *p, const cml_matrix *X,
                               const double *y, cml_gaussian_nb **out)
{
    return fit_weighted(p, X, y, NULL, out);
}

/* ---------------------------------------------------------------- predict */

static cml_status jll(const void *model, const cml_matrix *X, double *out)
{
    const cml_gaussian_nb *m = model;
    int64_t C = m->C, d = m->d, n = X->rows;
    /* values checked after: a NaN or inf in x makes its jll row non-finite */
    CML_CHECK(nb_check_X_shape(X, d, "gaussian_nb"));
    double *cst = cml_alloc_array(C, sizeof(double)), *lv = cml_alloc_array(d, sizeof(double));
    if (!cst || !lv) {
        free(cst);
        free(lv);
        return CML_ERR_NOMEM;
    }
    for (int64_t c = 0; c < C; c++) {
        for (int64_t j = 0; j < d; j++)
            lv[j] = log(2.0 * CML_PI * m->var[c * d + j]);
        cst[c] = -0.5 * cml_np_sum(lv, d);
    }
    free(lv);
    int failed = 0, finite = 1;
#pragma omp parallel CML_OMP_THREADS if (n * C * d > (1 << 16))
    {
        double *tmp = malloc((size_t)d * sizeof(double));
        if (!tmp) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static) reduction(& : finite)
        for (int64_t i = 0; i < n; i++) {
            if (!tmp) continue;
            const double *x = cml_matrix_row(X, i);
            for (int64_t c = 0; c < C; c++) {
                const double *th = m->theta + c * d, *va = m->var + c * d;
                for (int64_t j = 0; j < d; j++) {
                    double t = x[j] - th[j];
                    tmp[j] = t * t / va[j];
                }
                double n_ij = cst[c] - 0.5 * cml_np_sum(tmp, d);
                out[i * C + c] = log(m->class_prior[c]) + n_ij;
                finite &= isfinite(out[i * C + c]) != 0;
            }
        }
        free(tmp);
    }
    free(cst);
    if (failed) return cml_fail(CML_ERR_NOMEM, "gaussian_nb: out of memory in predict");
    if (!finite) return nb_check_X(X, d, "gaussian_nb"); /* names a bad cell, if any */
    return CML_OK;
}

cml_status cml_gaussian_nb_joint_log_likelihood(const cml_gaussian_nb *m, const cml_matrix *X,
                                                double *out)
{
    return jll(m, X, out);
}
cml_status cml_gaussian_nb_predict(const cml_gaussian_nb *m, const cml_matrix *X, double *out)
{
    return nb_predict(m, jll, m->classes, m->C, X, out);
}
cml_status cml_gaussian_nb_predict_proba(const cml_gaussian_nb *m, const cml_matrix *X, double *out)
{
    return nb_predict_proba(m, jll, m->C, X, out);
}
cml_status cml_gaussian_nb_predict_log_proba(const cml_gaussian_nb *m, const cml_matrix *X,
                                             double *out)
{
    return nb_predict_log_proba(m, jll, m->C, X, out);
}

int64_t cml_gaussian_nb_n_classes(const cml_gaussian_nb *m)
{
    return m->C;
}
int64_t cml_gaussian_nb_n_features(const cml_gaussian_nb *m)
{
    return m->d;
}
const double *cml_gaussian_nb_classes(const cml_gaussian_nb *m)
{
    return m->classes;
}
const double *cml_gaussian_nb_theta(const cml_gaussian_nb *m)
{
    return m->theta;
}
const double *cml_gaussian_nb_var(const cml_gaussian_nb *m)
{
    return m->var;
}
const double *cml_gaussian_nb_class_count(const cml_gaussian_nb *m)
{
    return m->class_count;
}
const double *cml_gaussian_nb_class_prior(const cml_gaussian_nb *m)
{
    return m->class_prior;
}
double cml_gaussian_nb_epsilon(const cml_gaussian_nb *m)
{
    return m->epsilon;
}

/* ---------------------------------------------------------------- vtable */

static cml_status vt_fit(const void *params, const cml_matrix *X, const double *y,
                         const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)info;
    cml_gaussian_nb *m;
    CML_CHECK(fit_weighted(params, X, y, opts ? opts->sample_weight : NULL, &m));
    *state = m;
    return CML_OK;
}

static cml_status vt_partial_fit(const void *params, void *state, const cml_matrix *X,
                                 const double *y, const cml_fit_opts *opts, cml_fit_info *info)
{
    (void)params;
    (void)info;
    cml_gaussian_nb *m = state;
    return cml_gaussian_nb_partial_fit(&m, NULL, X, y, opts ? opts->sample_weight : NULL, NULL, 0);
}

static cml_status vt_predict(const void *s, const cml_matrix *X, double *out)
{
    return cml_gaussian_nb_predict(s, X, out);
}
static cml_status vt_predict_proba(const void *s, const cml_matrix *X, double *out)
{
    return cml_gaussian_nb_predict_proba(s, X, out);
}
static int64_t vt_classes(const void *s, const double **classes)
{
    const cml_gaussian_nb *m = s;
    *classes = m->classes;
    return m->C;
}
static int64_t vt_n_features_in(const void *s)
{
    return ((const cml_gaussian_nb *)s)->d;
}
static void vt_free(void *s)
{
    cml_gaussian_nb_free(s);
}

static cml_status vt_save(const void *s, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_gaussian_nb *m = s;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", m->C));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->d));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.epsilon", m->epsilon));
    CML_CHECK(cml_gguf_add_f64(w, "classes", m->classes, 1, m->C));
    CML_CHECK(cml_gguf_add_f64(w, "theta", m->theta, m->C, m->d));
    CML_CHECK(cml_gguf_add_f64(w, "var", m->var, m->C, m->d));
    CML_CHECK(cml_gguf_add_f64(w, "class_count", m->class_count, 1, m->C));
    return cml_gguf_add_f64(w, "class_prior", m->class_prior, 1, m->C);
}

static cml_status vt_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    *state = NULL;
    int64_t C, d;
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_classes", &C));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features", &d));
    if (C < 1 || d < 1 || C > INT32_MAX || d > INT32_MAX)
        return cml_fail(CML_ERR_FORMAT, "%s: bad gaussian_nb shape (%lld classes, %lld features)",
                        cml_gguf_name(g), (long long)C, (long long)d);
    cml_gaussian_nb *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->params = *(const cml_gaussian_nb_params *)params;
    m->C = C;
    m->d = d;
    m->fitted = 1;
    cml_status st = CML_OK;
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.epsilon", &m->epsilon));
    CML_TRY(nb_read_f64(g, "classes", 1, C, &m->classes));
    CML_TRY(nb_read_f64(g, "theta", C, d, &m->theta));
    CML_TRY(nb_read_f64(g, "var", C, d, &m->var));
    CML_TRY(nb_read_f64(g, "class_count", 1, C, &m->class_count));
    CML_TRY(nb_read_f64(g, "class_prior", 1, C, &m->class_prior));
    for (int64_t c = 1; c < C; c++)
        if (!(m->classes[c] > m->classes[c - 1])) {
            st = cml_fail(CML_ERR_FORMAT, "%s: classes not ascending", cml_gguf_name(g));
            goto fail;
        }
    *state = m;
    return CML_OK;
fail:
    cml_gaussian_nb_free(m);
    return st;
}

static char *vt_describe(const void *s)
{
    const cml_gaussian_nb *m = s;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"class_count\":");
    cml_sb_json_arr(&sb, m->class_count, m->C);
    cml_sb_puts(&sb, ",\"class_prior\":");
    cml_sb_json_arr(&sb, m->class_prior, m->C);
    cml_sb_puts(&sb, ",\"epsilon\":");
    cml_sb_json_num(&sb, m->epsilon);
    cml_sb_puts(&sb, ",\"theta\":");
    cml_sb_json_arr(&sb, m->theta, m->C * m->d);
    cml_sb_puts(&sb, ",\"var\":");
    cml_sb_json_arr(&sb, m->var, m->C * m->d);
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}

const cml_estimator cml_est_gaussian_nb = {
    .name = "gaussian_nb",
    .aliases = "gnb",
    .summary = "Gaussian naive Bayes (per-class normal features)",
    .task = CML_TASK_CLASSIFICATION,
    .schema_version = 1,
    .params = defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_gaussian_nb_params),
    .validates_input = 1,
    .fit = vt_fit,
    .predict = vt_predict,
    .predict_proba = vt_predict_proba,
    .classes = vt_classes,
    .n_features_in = vt_n_features_in,
    .save = vt_save,
    .load = vt_load,
    .describe = vt_describe,
    .free = vt_free,
    .partial_fit = vt_partial_fit,
};
