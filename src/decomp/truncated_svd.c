/*
 * truncated_svd.c — TruncatedSVD (scikit-learn 1.2's
 * sklearn.decomposition.TruncatedSVD, algorithm="randomized"), dense or CSR.
 *
 * X ~ U_k S_k V_k^T without centring (so sparse data stay sparse: latent
 * semantic analysis). The k leading triplets come from the randomized SVD of
 * svd.c (Halko et al. 2011; n_iter power iterations, LU-normalised by
 * default); components_ = V_k^T, singular_values_ = S_k,
 * explained_variance_ = per-component variance of X V_k (= U_k S_k),
 * explained_variance_ratio_ = that over the total variance of X's columns.
 * Signs: sklearn's svd_flip on U. The randomness comes from cml_rng, so
 * results equal sklearn's to the accuracy of the randomized method.
 *
 * Complexity: O((n_iter + 2) * nnz(X) * (k + n_oversamples)).
 * Thread-safety: fit is reentrant; transform reads a const model.
 */
#include <cblas.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/decomp.h"
#include "cml/model.h"
#include "core/internal.h"
#include "core/strbuf.h"
#include "decomp/svd.h"

struct cml_truncated_svd {
    int64_t k, p;          /* components, features */
    double *components;    /* (k, p) */
    double *sv, *ev, *evr; /* (k) */
};

#define P(field) offsetof(cml_truncated_svd_params, field)
static const cml_param_def tsvd_params[] = {
    {"n_components", CML_PARAM_INT, "2", 1, INT32_MAX, 0, NULL, "dimensions of the output",
     P(n_components)},
    {"algorithm", CML_PARAM_ENUM, "randomized", 0, 0, 0, "randomized",
     "SVD solver (randomized only; sklearn's arpack is not provided)", P(algorithm)},
    {"n_iter", CML_PARAM_INT, "5", 0, INT32_MAX, 0, NULL, "power iterations", P(n_iter)},
    {"n_oversamples", CML_PARAM_INT, "10", 1, INT32_MAX, 0, NULL, "extra random vectors",
     P(n_oversamples)},
    {"power_iteration_normalizer", CML_PARAM_ENUM, "auto", 0, 0, 0, "auto|QR|LU|none",
     "normalisation between power iterations", P(power_iteration_normalizer)},
    {"random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL, "seed of the random generator",
     P(random_state)},
};
#undef P
#define N_PARAMS ((int)(sizeof tsvd_params / sizeof tsvd_params[0]))

cml_truncated_svd_params cml_truncated_svd_params_default(void)
{
    cml_truncated_svd_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(tsvd_params, N_PARAMS, &p);
    return p;
}

const char *cml_truncated_svd_params_check(const cml_truncated_svd_params *p)
{
    return cml_params_check(tsvd_params, N_PARAMS, p);
}

void cml_truncated_svd_free(cml_truncated_svd *m)
{
    if (!m) return;
    free(m->components);
    free(m->sv);
    free(m->ev);
    free(m->evr);
    free(m);
}

static cml_status tsvd_new(int64_t k, int64_t p, cml_truncated_svd **out)
{
    cml_truncated_svd *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->k = k;
    m->p = p;
    m->components = cml_alloc_array(k * p, sizeof(double));
    m->sv = cml_alloc_array(k, sizeof(double));
    m->ev = cml_alloc_array(k, sizeof(double));
    m->evr = cml_alloc_array(k, sizeof(double));
    if (!m->components || !m->sv || !m->ev || !m->evr) {
        cml_truncated_svd_free(m);
        return CML_ERR_NOMEM;
    }
    *out = m;
    return CML_OK;
}

/* Population variance (ddof 0) of each column of a row-major (n, c) block,
 * two-pass. */
static void column_variances(const double *A, int64_t n, int64_t c, double *mean, double *var)
{
    memset(mean, 0, (size_t)c * sizeof(double));
    memset(var, 0, (size_t)c * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < c; j++)
            mean[j] += A[i * c + j];
    for (int64_t j = 0; j < c; j++)
        mean[j] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < c; j++)
            var[j] += (A[i * c + j] - mean[j]) * (A[i * c + j] - mean[j]);
    for (int64_t j = 0; j < c; j++)
        var[j] /= (double)n;
}

/* Shared fit over a linear operator; total_var = sum of X's column
 * variances (computed by the caller for its storage format). */
static cml_status fit_op(const cml_truncated_svd_params *p, const dc_linop *op, double total_var,
                         cml_truncated_svd **out)
{
    int64_t n = op->rows, d = op->cols, k = p->n_components;
    cml_status st;
    cml_truncated_svd *m = NULL;
    double *U = cml_alloc_array(n * k, sizeof(double));
    double *mean = cml_alloc_array(k, sizeof(double));
    if (!U || !mean) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(tsvd_new(k, d, &m));
    cml_rng rng;
    cml_rng_seed(&rng, (uint64_t)p->random_state);
    CML_TRY(dc_randomized_svd(op, k, p->n_oversamples, p->n_iter, p->power_iteration_normalizer,
                              &rng, U, m->sv, m->components));
    /* X_transformed = U S: variance per component. */
    for (int64_t i = 0; i < n; i++)
        for (int64_t t = 0; t < k; t++)
            U[i * k + t] *= m->sv[t];
    column_variances(U, n, k, mean, m->ev);
    for (int64_t t = 0; t < k; t++)
        m->evr[t] = m->ev[t] / total_var;
    *out = m;
    m = NULL;
fail:
    cml_truncated_svd_free(m);
    free(U);
    free(mean);
    return st;
}

static cml_status check_k(const cml_truncated_svd_params *p, int64_t n, int64_t d)
{
    const char *msg = cml_truncated_svd_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "truncated_svd: %s", msg);
    if (p->n_components > d || p->n_components > n)
        return cml_fail(CML_ERR_ARG,
                        "truncated_svd: n_components=%d must be <= min(n_samples, "
                        "n_features)=%lld",
                        p->n_components, (long long)CML_MIN(n, d));
    return CML_OK;
}

cml_status cml_truncated_svd_fit(const cml_truncated_svd_params *p, const cml_matrix *X,
                                 cml_truncated_svd **out)
{
    *out = NULL;
    CML_CHECK(cml_matrix_check(X, "X", 0));
    CML_CHECK(check_k(p, X->rows, X->cols));
    int64_t n = X->rows, d = X->cols;
    double *mean = cml_calloc((size_t)d, sizeof(double));
    double *var = cml_calloc((size_t)d, sizeof(double));
    if (!mean || !var) {
        free(mean);
        free(var);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            mean[j] += X->data[i * X->ld + j];
    for (int64_t j = 0; j < d; j++)
        mean[j] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double t = X->data[i * X->ld + j] - mean[j];
            var[j] += t * t;
        }
    double total = 0.0;
    for (int64_t j = 0; j < d; j++)
        total += var[j] / (double)n;
    free(mean);
    free(var);
    dc_linop op = dc_dense_op(X);
    return fit_op(p, &op, total, out);
}

cml_status cml_truncated_svd_fit_csr(const cml_truncated_svd_params *p, const cml_csr *X,
                                     cml_truncated_svd **out)
{
    *out = NULL;
    CML_CHECK(cml_csr_check(X, "X"));
    CML_CHECK(check_k(p, X->rows, X->cols));
    for (int64_t t = 0; t < X->nnz; t++)
        if (!isfinite(X->data[t]))
            return cml_fail(CML_ERR_ARG, "X: stored value %lld is not finite", (long long)t);
    int64_t n = X->rows, d = X->cols;
    /* Column variances E[x^2] - E[x]^2 over the stored entries (implicit
     * zeros contribute nothing), as sklearn's mean_variance_axis. */
    double *s1 = cml_calloc((size_t)d, sizeof(double)), *s2 = cml_calloc((size_t)d, sizeof(double));
    if (!s1 || !s2) {
        free(s1);
        free(s2);
        return CML_ERR_NOMEM;
    }
    for (int64_t t = 0; t < X->nnz; t++) {
        s1[X->indices[t]] += X->data[t];
        s2[X->indices[t]] += X->data[t] * X->data[t];
    }
    double total = 0.0;
    for (int64_t j = 0; j < d; j++) {
        double m = s1[j] / (double)n;
        total += s2[j] / (double)n - m * m;
    }
    free(s1);
    free(s2);
    dc_csr_ctx ctx;
    dc_linop op;
    CML_CHECK(dc_csr_op(X, &ctx, &op));
    cml_status st = fit_op(p, &op, total, out);
    dc_csr_free(&ctx);
    return st;
}

cml_status cml_truncated_svd_transform(const cml_truncated_svd *m, const cml_matrix *X, double *out)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    if (X->cols != m->p)
        return cml_fail(CML_ERR_ARG, "truncated_svd: X has %lld features, fitted with %lld",
                        (long long)X->cols, (long long)m->p);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)X->rows, (int)m->k, (int)m->p, 1.0,
                X->data, (int)X->ld, m->components, (int)m->p, 0.0, out, (int)m->k);
    return CML_OK;
}

cml_status cml_truncated_svd_transform_csr(const cml_truncated_svd *m, const cml_csr *X,
                                           double *out)
{
    CML_CHECK(cml_csr_check(X, "X"));
    if (X->cols != m->p)
        return cml_fail(CML_ERR_ARG, "truncated_svd: X has %lld features, fitted with %lld",
                        (long long)X->cols, (long long)m->p);
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(dynamic, 64)
    for (int64_t i = 0; i < X->rows; i++) {
        double *o = out + i * m->k;
        for (int64_t t = 0; t < m->k; t++) {
            double s = 0.0;
            for (int64_t e = X->indptr[i]; e < X->indptr[i + 1]; e++)
                s += X->data[e] * m->components[t * m->p + X->indices[e]];
            o[t] = s;
        }
    }
    return CML_OK;
}

cml_status cml_truncated_svd_inverse_transform(const cml_truncated_svd *m, const cml_matrix *Z,
                                               double *out)
{
    CML_CHECK(cml_matrix_check(Z, "Z", 0));
    if (Z->cols != m->k)
        return cml_fail(CML_ERR_ARG,
                        "truncated_svd: inverse_transform input has %lld columns, "
                        "expected %lld",
                        (long long)Z->cols, (long long)m->k);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Z->rows, (int)m->p, (int)m->k, 1.0,
                Z->data, (int)Z->ld, m->components, (int)m->p, 0.0, out, (int)m->p);
    return CML_OK;
}

int64_t cml_truncated_svd_n_components(const cml_truncated_svd *m)
{
    return m->k;
}
int64_t cml_truncated_svd_n_features(const cml_truncated_svd *m)
{
    return m->p;
}
const double *cml_truncated_svd_components(const cml_truncated_svd *m)
{
    return m->components;
}
const double *cml_truncated_svd_singular_values(const cml_truncated_svd *m)
{
    return m->sv;
}
const double *cml_truncated_svd_explained_variance(const cml_truncated_svd *m)
{
    return m->ev;
}
const double *cml_truncated_svd_explained_variance_ratio(const cml_truncated_svd *m)
{
    return m->evr;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)opts;
    cml_truncated_svd *m;
    CML_CHECK(cml_truncated_svd_fit(params, X, &m));
    info->n_iter = ((const cml_truncated_svd_params *)params)->n_iter;
    info->converged = 1;
    *state = m;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_truncated_svd_transform(state, X, out);
}

static cml_status v_inverse(const void *state, const cml_matrix *Z, double *out)
{
    return cml_truncated_svd_inverse_transform(state, Z, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_truncated_svd *)state)->p;
}

static int64_t v_n_cols(const void *state)
{
    return ((const cml_truncated_svd *)state)->k;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_truncated_svd *m = state;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_components", m->k));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->p));
    CML_CHECK(cml_gguf_add_f64(w, "components", m->components, m->k, m->p));
    CML_CHECK(cml_gguf_add_f64(w, "singular_values", m->sv, 1, m->k));
    CML_CHECK(cml_gguf_add_f64(w, "explained_variance", m->ev, 1, m->k));
    return cml_gguf_add_f64(w, "explained_variance_ratio", m->evr, 1, m->k);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    (void)schema_version;
    int64_t k, p;
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_components", &k));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features", &p));
    if (k < 1 || p < 1 || k > p || p > INT32_MAX || p > INT64_MAX / 8 / k)
        return cml_fail(CML_ERR_FORMAT, "%s: bad TruncatedSVD shape (k=%lld, p=%lld)",
                        cml_gguf_name(g), (long long)k, (long long)p);
    /* shapes before sizes: k and p must match a tensor the file holds */
    CML_CHECK(cml_gguf_expect(g, "components", CML_GGUF_T_F64, k, p));
    cml_truncated_svd *m;
    CML_CHECK(tsvd_new(k, p, &m));
    cml_status st;
    CML_TRY(cml_gguf_read_f64(g, "components", k, p, m->components));
    CML_TRY(cml_gguf_read_f64(g, "singular_values", 1, k, m->sv));
    CML_TRY(cml_gguf_read_f64(g, "explained_variance", 1, k, m->ev));
    CML_TRY(cml_gguf_read_f64(g, "explained_variance_ratio", 1, k, m->evr));
    *state = m;
    return CML_OK;
fail:
    cml_truncated_svd_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_truncated_svd *m = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb, "{\"n_components\":%lld,\"n_features_in\":%lld,\"singular_values\":",
                  (long long)m->k, (long long)m->p);
    cml_sb_json_arr(&sb, m->sv, m->k);
    cml_sb_puts(&sb, ",\"explained_variance\":");
    cml_sb_json_arr(&sb, m->ev, m->k);
    cml_sb_puts(&sb, ",\"explained_variance_ratio\":");
    cml_sb_json_arr(&sb, m->evr, m->k);
    cml_sb_puts(&sb, ",\"components\":[");
    for (int64_t t = 0; t < m->k; t++) {
        if (t) cml_sb_puts(&sb, ",");
        cml_sb_json_arr(&sb, m->components + t * m->p, m->p);
    }
    cml_sb_puts(&sb, "]}");
    return cml_sb_finish(&sb);
}

static void v_free(void *state)
{
    cml_truncated_svd_free(state);
}

const cml_estimator cml_est_truncated_svd = {
    .name = "truncated_svd",
    .aliases = "tsvd,lsa",
    .summary = "truncated SVD without centring (randomized, Halko et al. 2011)",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = tsvd_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_truncated_svd_params),
    .allows_nan = 0,
    .fit = v_fit,
    .predict = NULL,
    .transform = v_transform,
    .inverse_transform = v_inverse,
    .n_features_in = v_n_features,
    .n_transform_cols = v_n_cols,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
