/*
 * nb_common.c — see nb_internal.h. The probability step mirrors sklearn's
 * _BaseNB: predict = classes_[argmax(jll)], predict_log_proba = jll -
 * logsumexp(jll, axis=1), predict_proba = exp(predict_log_proba).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "bayes/nb_internal.h"
#include "neighbors/labels.h"

cml_status nb_parse_list(const char *s, const char *param, double **vals, int64_t *n)
{
    *vals = NULL;
    *n = 0;
    if (!s || !*s) return CML_OK;
    int64_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    double *v = cml_alloc_array(cap, sizeof(double));
    if (!v) return CML_ERR_NOMEM;
    const char *p = s;
    int64_t m = 0;
    for (;;) {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        while (*end == ' ')
            end++;
        if (end == p || errno == ERANGE || !isfinite(x) || (*end != ',' && *end != '\0')) {
            free(v);
            return cml_fail(CML_ERR_ARG,
                            "parameter %s=\"%s\" must be comma-separated numbers, one per class "
                            "(e.g. \"0.3,0.7\")",
                            param, s);
        }
        v[m++] = x;
        if (*end == '\0') break;
        p = end + 1;
    }
    *vals = v;
    *n = m;
    return CML_OK;
}

cml_status nb_classes_first(const double *classes, int64_t n, double **out, int64_t *n_out)
{
    if (!classes || n < 1)
        return cml_fail(CML_ERR_ARG, "classes must be passed on the first call to partial_fit");
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(classes[i])) return cml_fail(CML_ERR_ARG, "classes must be finite");
    return cml_labels_encode(classes, n, out, n_out, NULL);
}

cml_status nb_classes_again(const double *classes, int64_t n, const double *have, int64_t n_have)
{
    if (!classes) return CML_OK;
    double *c;
    int64_t m;
    CML_CHECK(nb_classes_first(classes, n, &c, &m));
    int same = m == n_have && memcmp(c, have, (size_t)m * sizeof(double)) == 0;
    free(c);
    if (!same)
        return cml_fail(CML_ERR_ARG, "classes differ from those of the first call to partial_fit");
    return CML_OK;
}

cml_status nb_encode_y(const double *y, int64_t n, const double *classes, int64_t C, int32_t *codes)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t c = cml_labels_find(classes, C, y[i]);
        if (c < 0)
            return cml_fail(CML_ERR_ARG,
                            "y row %lld has label %.17g, which is not among the classes given to "
                            "the first partial_fit",
                            (long long)i + 1, y[i]);
        codes[i] = (int32_t)c;
    }
    return CML_OK;
}

cml_status nb_check_X(const cml_matrix *X, int64_t d, const char *who)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    return nb_check_X_shape(X, d, who);
}

cml_status nb_check_X_shape(const cml_matrix *X, int64_t d, const char *who)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (X->cols != d)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but the model was fitted with %lld",
                        who, (long long)X->cols, (long long)d);
    return CML_OK;
}

cml_status nb_check_fit(const cml_matrix *X, const double *y, const double *sample_weight,
                        const char *who)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    return nb_check_target(X->rows, y, sample_weight, who);
}

cml_status nb_check_target(int64_t n, const double *y, const double *sample_weight, const char *who)
{
    if (!y) return cml_fail(CML_ERR_ARG, "%s: y is NULL", who);
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return cml_fail(CML_ERR_ARG, "%s: y row %lld is not finite", who, (long long)i + 1);
        if (sample_weight && !(sample_weight[i] >= 0.0 && isfinite(sample_weight[i])))
            return cml_fail(CML_ERR_ARG, "%s: sample_weight row %lld must be finite and >= 0", who,
                            (long long)i + 1);
    }
    return CML_OK;
}

void nb_argmax_classes(const double *jll, int64_t n, const double *classes, int64_t C, double *out)
{
    for (int64_t i = 0; i < n; i++) {
        const double *r = jll + i * C;
        int64_t best = 0;
        for (int64_t c = 1; c < C; c++)
            if (r[c] > r[best]) best = c;
        out[i] = classes[best];
    }
}

void nb_log_normalize(double *jll, int64_t n, int64_t C)
{
    for (int64_t i = 0; i < n; i++) {
        double *r = jll + i * C;
        double lse = cml_logsumexp(r, C);
        for (int64_t c = 0; c < C; c++)
            r[c] -= lse;
    }
}

cml_status nb_predict(const void *model, nb_jll_fn jll, const double *classes, int64_t C,
                      const cml_matrix *X, double *out)
{
    double *j = cml_alloc_array(X->rows * C, sizeof(double));
    if (!j) return CML_ERR_NOMEM;
    cml_status st = jll(model, X, j);
    if (st == CML_OK) nb_argmax_classes(j, X->rows, classes, C, out);
    free(j);
    return st;
}

cml_status nb_predict_log_proba(const void *model, nb_jll_fn jll, int64_t C, const cml_matrix *X,
                                double *out)
{
    CML_CHECK(jll(model, X, out));
    nb_log_normalize(out, X->rows, C);
    return CML_OK;
}

cml_status nb_predict_proba(const void *model, nb_jll_fn jll, int64_t C, const cml_matrix *X,
                            double *out)
{
    CML_CHECK(nb_predict_log_proba(model, jll, C, X, out));
    for (int64_t i = 0; i < X->rows * C; i++)
        out[i] = exp(out[i]);
    return CML_OK;
}

cml_status nb_read_f64(const cml_gguf *g, const char *name, int64_t rows, int64_t cols,
                       double **out)
{
    *out = NULL;
    /* the shape first (overflow-safe): rows * cols is then bounded by the file */
    CML_CHECK(cml_gguf_expect(g, name, CML_GGUF_T_F64, rows, cols));
    *out = cml_alloc_array(rows * cols, sizeof(double));
    if (!*out) return CML_ERR_NOMEM;
    cml_status st = cml_gguf_read_f64(g, name, rows, cols, *out);
    if (st != CML_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}
