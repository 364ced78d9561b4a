/*
 * svm_common.c — the support-vector set shared by SVC, SVR and OneClassSVM:
 * gathering, batched kernel evaluation for prediction, persistence, and
 * the input checks of the kernel machines (see svm_common.h).
 *
 * Prediction cost: O(rows * n_sv * n_features) through dgemm, in blocks of
 * SVM_BLOCK rows run in parallel. Thread-safety: everything here only reads
 * the model.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "svm/svm_common.h"

/* Rows per kernel block at prediction: K is SVM_BLOCK x n_sv doubles. */
#define SVM_BLOCK 64

cml_status svm_sv_gather(svm_sv *m, const cml_matrix *X, const int64_t *idx, int64_t n)
{
    int64_t d = X->cols;
    m->n_sv = n;
    m->sv = cml_alloc_array(CML_MAX(n * d, 1), sizeof(double));
    m->support = cml_alloc_array(CML_MAX(n, 1), sizeof(int64_t));
    m->sv_sq = cml_alloc_array(CML_MAX(n, 1), sizeof(double));
    if (!m->sv || !m->support || !m->sv_sq) return CML_ERR_NOMEM;
    for (int64_t s = 0; s < n; s++) {
        memcpy(m->sv + s * d, cml_matrix_row(X, idx[s]), sizeof(double) * (size_t)d);
        m->support[s] = idx[s];
        m->sv_sq[s] = svm_dot(m->sv + s * d, m->sv + s * d, d);
    }
    return CML_OK;
}

void svm_sv_clear(svm_sv *m)
{
    free(m->sv);
    free(m->sv_sq);
    free(m->support);
    m->sv = m->sv_sq = NULL;
    m->support = NULL;
    m->n_sv = 0;
}

cml_status svm_sv_apply(const svm_sv *m, const cml_matrix *X, svm_block_fn fn, void *ctx)
{
    int64_t nb = (X->rows + SVM_BLOCK - 1) / SVM_BLOCK;
    int failed = 0;
#pragma omp parallel CML_OMP_THREADS if (nb > 1)
    {
        double *K = cml_alloc_array(SVM_BLOCK * CML_MAX(m->n_sv, 1), sizeof(double));
        if (!K) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nb; b++) {
            if (!K) continue;
            int64_t r0 = b * SVM_BLOCK, r1 = CML_MIN(r0 + SVM_BLOCK, X->rows);
            svm_kernel_block(&m->kp, X, r0, r1, m->sv, m->sv_sq, m->n_sv, K);
            fn(ctx, r0, r1, K);
        }
        free(K);
    }
    if (failed)
        return cml_fail(CML_ERR_NOMEM, "SVM predict: cannot allocate a %d x %lld kernel block",
                        SVM_BLOCK, (long long)m->n_sv);
    return CML_OK;
}

cml_status svm_sv_save(const svm_sv *m, cml_gguf_writer *w)
{
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.gamma", m->kp.gamma));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->n_features));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_sv", m->n_sv));
    if (m->n_sv > 0) {
        CML_CHECK(cml_gguf_add_f64(w, "support_vectors", m->sv, m->n_sv, m->n_features));
        CML_CHECK(cml_gguf_add_i64(w, "support", m->support, m->n_sv));
    }
    return CML_OK;
}

cml_status svm_sv_load(const cml_gguf *g, int kernel, int degree, double coef0, svm_sv *m)
{
    memset(m, 0, sizeof *m);
    int64_t n_sv, d;
    CML_CHECK(cml_gguf_get_f64(g, "cml.fit.gamma", &m->kp.gamma));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features", &d));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_sv", &n_sv));
    if (d < 1 || d > INT32_MAX || n_sv < 0 || n_sv > INT32_MAX || n_sv > (1LL << 40) / d ||
        !isfinite(m->kp.gamma))
        return cml_fail(CML_ERR_FORMAT, "%s: bad SVM shape (n_features %lld, n_sv %lld)",
                        cml_gguf_name(g), (long long)d, (long long)n_sv);
    m->kp.type = kernel;
    m->kp.degree = degree;
    m->kp.coef0 = coef0;
    /* shapes before sizes: n_sv and d must match tensors the file holds */
    if (n_sv > 0) {
        CML_CHECK(cml_gguf_expect(g, "support_vectors", CML_GGUF_T_F64, n_sv, d));
        CML_CHECK(cml_gguf_expect(g, "support", CML_GGUF_T_I64, 1, n_sv));
    }
    m->n_features = d;
    m->n_sv = n_sv;
    m->sv = cml_alloc_array(CML_MAX(n_sv * d, 1), sizeof(double));
    m->support = cml_alloc_array(CML_MAX(n_sv, 1), sizeof(int64_t));
    m->sv_sq = cml_alloc_array(CML_MAX(n_sv, 1), sizeof(double));
    if (!m->sv || !m->support || !m->sv_sq) return CML_ERR_NOMEM;
    if (n_sv > 0) {
        CML_CHECK(cml_gguf_read_f64(g, "support_vectors", n_sv, d, m->sv));
        CML_CHECK(cml_gguf_read_i64(g, "support", n_sv, m->support));
    }
    for (int64_t s = 0; s < n_sv; s++)
        m->sv_sq[s] = svm_dot(m->sv + s * d, m->sv + s * d, d);
    return CML_OK;
}

void svm_sv_describe(const svm_sv *m, cml_sb *sb)
{
    cml_sb_printf(sb, "\"n_features_in\":%lld,\"n_sv\":%lld,\"gamma\":", (long long)m->n_features,
                  (long long)m->n_sv);
    cml_sb_json_num(sb, m->kp.gamma);
    cml_sb_puts(sb, ",\"support\":[");
    for (int64_t s = 0; s < m->n_sv; s++)
        cml_sb_printf(sb, "%s%lld", s ? "," : "", (long long)m->support[s]);
    cml_sb_puts(sb, "]");
}

const char *svm_kernel_params_check(int kernel, int degree, const char *gamma)
{
    static _Thread_local char msg[256];
    double g;
    if (kernel < SVM_KERNEL_LINEAR || kernel > SVM_KERNEL_SIGMOID) {
        snprintf(msg, sizeof msg, "kernel: invalid choice %d (valid: %s)", kernel,
                 SVM_KERNEL_CHOICES);
        return msg;
    }
    if (degree < 0) {
        snprintf(msg, sizeof msg, "degree must be >= 0, got %d", degree);
        return msg;
    }
    if (svm_gamma_resolve(gamma, NULL, &g) != CML_OK) {
        snprintf(msg, sizeof msg, "%s", cml_last_error());
        return msg;
    }
    return NULL;
}

cml_status svm_check_fit_input(const char *who, const cml_matrix *X, const double *y,
                               const double *sample_weight)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    if (X->rows < 1 || X->cols < 1)
        return cml_fail(CML_ERR_ARG,
                        "%s: X must have at least one row and one column, got %lld x %lld", who,
                        (long long)X->rows, (long long)X->cols);
    if (X->rows > (1 << 29))
        return cml_fail(CML_ERR_ARG, "%s: at most %d rows are supported, got %lld", who, 1 << 29,
                        (long long)X->rows);
    return svm_check_target(who, X->rows, y, sample_weight);
}

cml_status svm_check_target(const char *who, int64_t n, const double *y,
                            const double *sample_weight)
{
    if (y)
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(y[i]))
                return cml_fail(CML_ERR_ARG, "%s: y row %lld is not finite", who, (long long)i + 1);
    if (sample_weight) {
        int any = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!isfinite(sample_weight[i]) || sample_weight[i] < 0)
                return cml_fail(CML_ERR_ARG,
                                "%s: sample_weight row %lld is %g; weights must be finite and >= 0",
                                who, (long long)i + 1, sample_weight[i]);
            any |= sample_weight[i] > 0;
        }
        if (!any)
            return cml_fail(CML_ERR_ARG, "%s: every sample_weight is zero: nothing to fit", who);
    }
    return CML_OK;
}

cml_status svm_positive_rows(const double *w, int64_t n, int64_t **idx, int64_t *n_out)
{
    *idx = cml_alloc_array(CML_MAX(n, 1), sizeof(int64_t));
    if (!*idx) return CML_ERR_NOMEM;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (!w || w[i] > 0) (*idx)[k++] = i;
    *n_out = k;
    return CML_OK;
}

cml_status svm_check_predict_input(const char *who, const cml_matrix *X, int64_t n_features)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    if (X->cols != n_features)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but the model was fitted with %lld",
                        who, (long long)X->cols, (long long)n_features);
    return CML_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

cml_status svm_classes(const double *y, int64_t n, double **classes, int64_t *k, int *label)
{
    double *c = cml_alloc_array(CML_MAX(n, 1), sizeof(double));
    if (!c) return CML_ERR_NOMEM;
    memcpy(c, y, sizeof(double) * (size_t)n);
    qsort(c, (size_t)n, sizeof(double), cmp_double);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (m == 0 || c[i] != c[m - 1]) c[m++] = c[i];
    if (label)
        for (int64_t i = 0; i < n; i++) {
            int64_t lo = 0, hi = m - 1;
            while (lo < hi) {
                int64_t mid = (lo + hi) / 2;
                if (c[mid] < y[i])
                    lo = mid + 1;
                else
                    hi = mid;
            }
            label[i] = (int)lo;
        }
    *classes = c;
    *k = m;
    return CML_OK;
}

/* Parses "label:weight,...": with classes, stores each weight in w at its
 * class index; without, checks the syntax only. NULL or a message. */
static const char *parse_weights(const char *spec, const double *classes, int64_t k, double *w)
{
    static _Thread_local char msg[256];
    const char *p = spec;
    while (*p) {
        char *end;
        double lab = strtod(p, &end);
        if (end == p || *end != ':') goto bad;
        p = end + 1;
        double v = strtod(p, &end);
        if (end == p || (*end != ',' && *end != '\0')) goto bad;
        if (!(v > 0) || !isfinite(v) || !isfinite(lab)) {
            snprintf(msg, sizeof msg, "class_weight: weight of class %g must be > 0, got %g", lab,
                     v);
            return msg;
        }
        if (classes) {
            int64_t c = 0;
            while (c < k && classes[c] != lab)
                c++;
            if (c == k) {
                snprintf(msg, sizeof msg, "class_weight: %g is not a class of y", lab);
                return msg;
            }
            w[c] = v;
        }
        p = *end ? end + 1 : end;
    }
    return NULL;
bad:
    snprintf(msg, sizeof msg,
             "class_weight must be \"none\", \"balanced\" or \"label:weight,...\" (e.g. "
             "\"0:1,1:5\"), got \"%s\"",
             spec);
    return msg;
}

const char *svm_class_weight_check(const char *spec)
{
    if (strcmp(spec, "none") == 0 || strcmp(spec, "balanced") == 0) return NULL;
    return parse_weights(spec, NULL, 0, NULL);
}

cml_status svm_class_weights(const char *spec, const double *classes, int64_t k, const int *label,
                             int64_t n, double *w)
{
    for (int64_t c = 0; c < k; c++)
        w[c] = 1.0;
    if (strcmp(spec, "none") == 0) return CML_OK;
    if (strcmp(spec, "balanced") == 0) {
        int64_t *count = cml_calloc((size_t)k, sizeof *count);
        if (!count) return CML_ERR_NOMEM;
        for (int64_t i = 0; i < n; i++)
            count[label[i]]++;
        for (int64_t c = 0; c < k; c++)
            w[c] = (double)n / ((double)k * (double)count[c]);
        free(count);
        return CML_OK;
    }
    const char *msg = parse_weights(spec, classes, k, w);
    if (msg) return cml_fail(CML_ERR_ARG, "%s", msg);
    return CML_OK;
}

/* ---------------------------------------------------------------- km1 */

cml_status svm_km1_from_alpha(svm_km1 *m, const cml_matrix *X, const int64_t *rows, int64_t l,
                              const double *alpha, double rho)
{
    int64_t n_sv = 0;
    int64_t *idx = cml_alloc_array(CML_MAX(l, 1), sizeof(int64_t));
    m->coef = cml_alloc_array(CML_MAX(l, 1), sizeof(double));
    if (!idx || !m->coef) {
        free(idx);
        return CML_ERR_NOMEM;
    }
    for (int64_t t = 0; t < l; t++)
        if (fabs(alpha[t]) > 0) {
            idx[n_sv] = rows ? rows[t] : t;
            m->coef[n_sv++] = alpha[t];
        }
    m->intercept = -rho;
    cml_status st = svm_sv_gather(&m->sv, X, idx, n_sv);
    free(idx);
    return st;
}

typedef struct km1_ctx {
    const svm_km1 *m;
    double shift;
    double *out;
} km1_ctx;

static void km1_block(void *vctx, int64_t r0, int64_t r1, const double *K)
{
    const km1_ctx *ctx = vctx;
    int64_t n_sv = ctx->m->sv.n_sv;
    for (int64_t i = r0; i < r1; i++) {
        const double *k = K + (i - r0) * n_sv;
        double sum = 0;
        for (int64_t s = 0; s < n_sv; s++)
            sum += ctx->m->coef[s] * k[s];
        ctx->out[i] = sum + ctx->m->intercept + ctx->shift;
    }
}

cml_status svm_km1_eval(const svm_km1 *m, const char *who, const cml_matrix *X, double shift,
                        double *out)
{
    CML_CHECK(svm_check_predict_input(who, X, m->sv.n_features));
    km1_ctx ctx = {m, shift, out};
    return svm_sv_apply(&m->sv, X, km1_block, &ctx);
}

void svm_km1_clear(svm_km1 *m)
{
    svm_sv_clear(&m->sv);
    free(m->coef);
    m->coef = NULL;
}

cml_status svm_km1_save(const svm_km1 *m, cml_gguf_writer *w)
{
    CML_CHECK(svm_sv_save(&m->sv, w));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.intercept", m->intercept));
    if (m->sv.n_sv > 0) CML_CHECK(cml_gguf_add_f64(w, "dual_coef", m->coef, 1, m->sv.n_sv));
    return CML_OK;
}

cml_status svm_km1_load(const cml_gguf *g, int kernel, int degree, double coef0, svm_km1 *m)
{
    memset(m, 0, sizeof *m);
    CML_CHECK(svm_sv_load(g, kernel, degree, coef0, &m->sv));
    CML_CHECK(cml_gguf_get_f64(g, "cml.fit.intercept", &m->intercept));
    if (m->sv.n_sv > 0) CML_CHECK(cml_gguf_expect(g, "dual_coef", CML_GGUF_T_F64, 1, m->sv.n_sv));
    m->coef = cml_alloc_array(CML_MAX(m->sv.n_sv, 1), sizeof(double));
    if (!m->coef) return CML_ERR_NOMEM;
    if (m->sv.n_sv > 0) CML_CHECK(cml_gguf_read_f64(g, "dual_coef", 1, m->sv.n_sv, m->coef));
    m->converged = 1;
    if (cml_gguf_has(g, "cml.fit.converged"))
        CML_CHECK(cml_gguf_get_bool(g, "cml.fit.converged", &m->converged));
    int64_t it = 0;
    if (cml_gguf_has(g, "cml.fit.n_iter")) CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_iter", &it));
    if (it < 0 || it > INT32_MAX)
        return cml_fail(CML_ERR_FORMAT, "%s: cml.fit.n_iter = %lld is out of range",
                        cml_gguf_name(g), (long long)it);
    m->n_iter = (int)it;
    return CML_OK;
}

char *svm_km1_describe(const svm_km1 *m)
{
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"intercept\":");
    cml_sb_json_num(&sb, m->intercept);
    cml_sb_puts(&sb, ",\"dual_coef\":");
    cml_sb_json_arr(&sb, m->coef, m->sv.n_sv);
    cml_sb_puts(&sb, ",");
    svm_sv_describe(&m->sv, &sb);
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}
