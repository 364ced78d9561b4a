/*
 * transform_common.c — plumbing shared by the preprocessing transformers:
 * input validation, sorted non-missing column values (medians, modes and
 * one-hot categories all start from them), list-valued string params,
 * save/load of fitted arrays and `describe` JSON. See transform_common.h.
 *
 * Complexity: checks O(rows * cols); sorted column O(rows log rows).
 * Thread-safety: no state; every function is reentrant.
 */
#include "data/transform_common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "core/strbuf.h"

cml_status cml_tr_no_weights(const cml_fit_opts *opts, const char *who)
{
    if (opts && opts->sample_weight)
        return cml_fail(CML_ERR_UNSUPPORTED, "%s does not support sample_weight", who);
    return CML_OK;
}

cml_status cml_tr_check_X(const cml_matrix *X, int64_t n_features, int allow_nan, const char *who)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (n_features >= 0 && X->cols != n_features)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but it was fitted with %lld", who,
                        (long long)X->cols, (long long)n_features);
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        for (int64_t j = 0; j < X->cols; j++) {
            if (isfinite(r[j]) || (allow_nan && isnan(r[j]))) continue;
            if (isnan(r[j]))
                return cml_fail(CML_ERR_ARG,
                                "%s: X row %lld, column %lld is NaN (missing); %s does not accept "
                                "missing values. HINT: impute them first (--prep impute=mean)",
                                who, (long long)i + 1, (long long)j + 1, who);
            /* sklearn's check_array rejects infinity even where NaN is allowed. */
            return cml_fail(CML_ERR_ARG,
                            "%s: X row %lld, column %lld is infinite; only finite values%s are "
                            "accepted",
                            who, (long long)i + 1, (long long)j + 1,
                            allow_nan ? " and NaN (missing)" : "");
        }
    }
    return CML_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int64_t cml_tr_sorted_column(const cml_matrix *X, int64_t j, double *buf)
{
    int64_t n = 0;
    for (int64_t i = 0; i < X->rows; i++) {
        double v = cml_matrix_row(X, i)[j];
        if (!isnan(v)) buf[n++] = v;
    }
    qsort(buf, (size_t)n, sizeof *buf, cmp_double);
    return n;
}

/* ---------------------------------------------------------------- parsing */

static const char *skip_blanks(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

cml_status cml_tr_parse_doubles(const char *s, const char *param, double *out, int want)
{
    const char *p = s;
    for (int k = 0; k < want; k++) {
        char *end;
        p = skip_blanks(p);
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(v)) goto bad;
        out[k] = v;
        p = skip_blanks(end);
        if (k + 1 < want) {
            if (*p != ',') goto bad;
            p++;
        }
    }
    if (*p == '\0') return CML_OK;
bad:
    return cml_fail(CML_ERR_ARG,
                    "parameter %s=\"%s\" must be %d finite numbers separated by commas", param, s,
                    want);
}

cml_status cml_tr_parse_columns(const char *s, const char *param, int64_t n_cols, int64_t **out,
                                int64_t *n)
{
    *out = NULL;
    *n = 0;
    const char *p = skip_blanks(s);
    if (*p == '\0') return CML_OK;
    int64_t count = 1;
    for (const char *q = p; *q; q++)
        count += *q == ',';
    int64_t *idx = cml_alloc_array(count, sizeof *idx);
    if (!idx) return CML_ERR_NOMEM;
    for (int64_t k = 0; k < count; k++) {
        char *end;
        p = skip_blanks(p);
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno) {
            free(idx);
            return cml_fail(CML_ERR_ARG,
                            "parameter %s=\"%s\" must be 0-based column indices separated by "
                            "commas, e.g. \"0,3,5\" (\"\" = all columns)",
                            param, s);
        }
        if (v < 0 || v >= n_cols) {
            free(idx);
            return cml_fail(CML_ERR_ARG,
                            "parameter %s: column index %lld is out of range; X has %lld columns "
                            "(valid indices 0..%lld)",
                            param, v, (long long)n_cols, (long long)n_cols - 1);
        }
        for (int64_t m = 0; m < k; m++)
            if (idx[m] == v) {
                free(idx);
                return cml_fail(CML_ERR_ARG, "parameter %s: column index %lld is listed twice",
                                param, v);
            }
        idx[k] = v;
        p = skip_blanks(end);
        if (*p == ',') p++;
    }
    *out = idx;
    *n = count;
    return CML_OK;
}

/* ---------------------------------------------------------------- save / load */

cml_status cml_tr_save_n_features(cml_gguf_writer *w, int64_t n)
{
    return cml_gguf_set_i64(w, "cml.fit.n_features_in", n);
}

cml_status cml_tr_load_n_features(const cml_gguf *g, int64_t *n)
{
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features_in", n));
    if (*n < 1 || *n > CML_TR_MAX_FEATURES)
        return cml_fail(CML_ERR_FORMAT, "%s: cml.fit.n_features_in = %lld is out of range",
                        cml_gguf_name(g), (long long)*n);
    return CML_OK;
}

cml_status cml_tr_load_f64(const cml_gguf *g, const char *name, int64_t rows, int64_t cols,
                           double **out)
{
    *out = NULL;
    /* the shape first (overflow-safe): rows * cols is then bounded by the file */
    CML_CHECK(cml_gguf_expect(g, name, CML_GGUF_T_F64, rows, cols));
    *out = cml_alloc_array(rows * cols, sizeof **out);
    if (!*out) return CML_ERR_NOMEM;
    cml_status st = cml_gguf_read_f64(g, name, rows, cols, *out);
    if (st != CML_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

cml_status cml_tr_load_i64(const cml_gguf *g, const char *name, int64_t n, int64_t **out)
{
    *out = NULL;
    CML_CHECK(cml_gguf_expect(g, name, CML_GGUF_T_I64, 1, n)); /* n bounded by the file */
    *out = cml_alloc_array(n, sizeof **out);
    if (!*out) return CML_ERR_NOMEM;
    cml_status st = cml_gguf_read_i64(g, name, n, *out);
    if (st != CML_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

/* ---------------------------------------------------------------- describe */

static void put_num(cml_sb *sb, const cml_tr_field *f, int64_t k)
{
    if (f->i64)
        cml_sb_printf(sb, "%lld", (long long)f->i64[k]);
    else
        cml_sb_json_num(sb, f->f64[k]);
}

/* Elements [from, to) as one JSON array. */
static void put_range(cml_sb *sb, const cml_tr_field *f, int64_t from, int64_t to)
{
    cml_sb_puts(sb, "[");
    for (int64_t k = from; k < to; k++) {
        if (k > from) cml_sb_puts(sb, ",");
        put_num(sb, f, k);
    }
    cml_sb_puts(sb, "]");
}

char *cml_tr_describe(const cml_tr_field *fields, int n)
{
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{");
    for (int k = 0; k < n; k++) {
        const cml_tr_field *f = &fields[k];
        if (k) cml_sb_puts(&sb, ",");
        cml_sb_json_str(&sb, f->name);
        cml_sb_puts(&sb, ":");
        switch (f->shape) {
        case CML_TR_NULL: cml_sb_puts(&sb, "null"); break;
        case CML_TR_SCALAR: put_num(&sb, f, 0); break;
        case CML_TR_VECTOR: put_range(&sb, f, 0, f->cols); break;
        case CML_TR_MATRIX:
        case CML_TR_RAGGED:
            cml_sb_puts(&sb, "[");
            for (int64_t r = 0; r < f->rows; r++) {
                if (r) cml_sb_puts(&sb, ",");
                if (f->shape == CML_TR_RAGGED)
                    put_range(&sb, f, f->offsets[r], f->offsets[r + 1]);
                else
                    put_range(&sb, f, r * f->cols, (r + 1) * f->cols);
            }
            cml_sb_puts(&sb, "]");
            break;
        }
    }
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}
