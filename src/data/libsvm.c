/*
 * libsvm.c — svmlight / LIBSVM sparse text format, and the owned CSR it
 * returns.
 *
 * Format (as sklearn.datasets.load_svmlight_file reads it): one sample per
 * line, "label idx:val idx:val ...", indices 1-based and strictly
 * ascending; "qid:N" tokens are accepted and ignored; '#' starts a comment
 * to the end of the line; blank lines are skipped; tokens are separated by
 * spaces or tabs (a CR before the LF is whitespace too). Values use the same
 * exact decimal parser as the CSV reader. Errors name <file>:<line>:<token>
 * with tokens counted from 1 (the label is token 1).
 *
 * Output: CSR with int64 indptr and int32 column indices (0-based), values
 * as doubles in file order; cols = max(largest index, min_features).
 * Complexity: O(bytes); memory grows geometrically with nnz.
 * Thread-safety: reentrant.
 */
#include <string.h>

#include "cml/data.h"
#include "data/data_internal.h"

typedef struct svm_out {
    int64_t *indptr;
    int32_t *indices;
    double *data, *y;
    int64_t rows, nnz;
    int64_t cap_ptr, cap_ind, cap_dat, cap_y; /* capacities, in elements */
} svm_out;

static cml_status grow(void **p, int64_t *cap, int64_t need, size_t elt)
{
    if (need <= *cap) return CML_OK;
    int64_t ncap = *cap ? *cap : 1024;
    while (ncap < need)
        ncap *= 2;
    if ((uint64_t)ncap > SIZE_MAX / elt) return cml_fail(CML_ERR_NOMEM, "LIBSVM data too large");
    void *q = cml_realloc(*p, (size_t)ncap * elt);
    if (!q) return CML_ERR_NOMEM;
    *p = q;
    *cap = ncap;
    return CML_OK;
}

static inline int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* End of a token: whitespace, comment, end of line or of input. */
static inline int tok_end(char c)
{
    return is_space(c) || c == '#' || c == '\n' || c == '\0';
}

static cml_status bad(const char *name, int64_t line, int64_t tok, const char *what, const char *s,
                      const char *e)
{
    char v[64];
    cml_quote_value(v, sizeof v, s, (size_t)(e - s));
    return cml_fail(CML_ERR_FORMAT, "%s:%lld:%lld: %s, found %s", name, (long long)line,
                    (long long)tok, what, v);
}

static cml_status parse(const char *buf, size_t len, const char *name, int64_t min_features,
                        cml_csr_owned **X, double **y)
{
    cml_status st = CML_OK;
    svm_out o;
    memset(&o, 0, sizeof o);
    const char *p = buf, *end = buf + len;
    int64_t line = 0, max_idx = 0;
    if (memchr(buf, '\0', len)) {
        const char *z = memchr(buf, '\0', len);
        int64_t ln = 1;
        for (const char *q = buf; q < z; q++)
            ln += *q == '\n';
        return cml_fail(CML_ERR_FORMAT, "%s:%lld: NUL byte: binary data, not a LIBSVM text file",
                        name, (long long)ln);
    }
    CML_TRY(grow((void **)&o.indptr, &o.cap_ptr, 1, sizeof *o.indptr));
    o.indptr[0] = 0;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *e = eol ? eol : end;
        const char *q = p;
        p = eol ? eol + 1 : end;
        while (q < e && is_space(*q))
            q++;
        if (q == e || *q == '#') continue; /* blank or comment line */

        /* Token 1: the label. */
        double label;
        const char *r = cml_parse_double(q, &label);
        if (!r || !tok_end(*r)) {
            const char *t = q;
            while (!tok_end(*t))
                t++;
            st = bad(name, line, 1, "expected a numeric label", q, t);
            goto fail;
        }
        int64_t prev = 0, tok = 1;
        q = r;
        for (;;) {
            while (q < e && is_space(*q))
                q++;
            if (q >= e || *q == '#') break;
            tok++;
            const char *t = q;
            while (!tok_end(*t))
                t++;
            if (t - q > 4 && memcmp(q, "qid:", 4) == 0) { /* query id: ignored */
                q = t;
                continue;
            }
            /* idx: unsigned decimal integer, 1-based. */
            const char *d = q;
            int64_t idx = 0;
            while (cml_is_digit(*d)) {
                if (idx <= INT32_MAX) idx = idx * 10 + (*d - '0');
                d++;
            }
            if (d == q || *d != ':') {
                st = bad(name, line, tok, "expected index:value", q, t);
                goto fail;
            }
            if (idx < 1 || idx > INT32_MAX) {
                st = bad(name, line, tok, "index out of range [1, 2147483647]", q, d);
                goto fail;
            }
            if (idx <= prev) {
                char msg[96];
                snprintf(msg, sizeof msg, "indices must be strictly ascending (previous %lld)",
                         (long long)prev);
                st = bad(name, line, tok, msg, q, t);
                goto fail;
            }
            double v;
            r = cml_parse_double(d + 1, &v);
            if (!r || r != t) {
                st = bad(name, line, tok, "expected a numeric value after ':'", q, t);
                goto fail;
            }
            CML_TRY(grow((void **)&o.indices, &o.cap_ind, o.nnz + 1, sizeof *o.indices));
            CML_TRY(grow((void **)&o.data, &o.cap_dat, o.nnz + 1, sizeof *o.data));
            o.indices[o.nnz] = (int32_t)(idx - 1);
            o.data[o.nnz] = v;
            o.nnz++;
            prev = idx;
            if (idx > max_idx) max_idx = idx;
            q = t;
        }
        CML_TRY(grow((void **)&o.y, &o.cap_y, o.rows + 1, sizeof *o.y));
        CML_TRY(grow((void **)&o.indptr, &o.cap_ptr, o.rows + 2, sizeof *o.indptr));
        o.y[o.rows] = label;
        o.rows++;
        o.indptr[o.rows] = o.nnz;
    }
    if (o.rows == 0) {
        st = cml_fail(CML_ERR_FORMAT, "%s: no samples (empty file or only comments)", name);
        goto fail;
    }
    cml_csr_owned *m = cml_calloc(1, sizeof *m);
    if (!m) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    m->indptr = o.indptr;
    m->indices = o.indices ? o.indices : cml_malloc(sizeof(int32_t));
    m->data = o.data ? o.data : cml_malloc(sizeof(double));
    m->rows = o.rows;
    m->cols = CML_MAX(max_idx, min_features);
    m->nnz = o.nnz;
    if (!m->indices || !m->data) {
        cml_csr_owned_free(m);
        free(o.y);
        return CML_ERR_NOMEM;
    }
    *X = m;
    *y = o.y;
    return CML_OK;
fail:
    free(o.indptr);
    free(o.indices);
    free(o.data);
    free(o.y);
    return st;
}

cml_status cml_libsvm_read_mem(const char *buf, size_t len, const char *name, int64_t min_features,
                               cml_csr_owned **X, double **y)
{
    if (!X || !y) return cml_fail(CML_ERR_ARG, "cml_libsvm_read: X or y is NULL");
    *X = NULL;
    *y = NULL;
    if (!buf && len) return cml_fail(CML_ERR_ARG, "cml_libsvm_read: buf is NULL");
    if (min_features < 0 || min_features > INT32_MAX)
        return cml_fail(CML_ERR_ARG, "min_features must be in [0, 2147483647], got %lld",
                        (long long)min_features);
    char *copy = cml_malloc(len + 1); /* NUL sentinel for the scanners */
    if (!copy) return CML_ERR_NOMEM;
    if (len) memcpy(copy, buf, len);
    copy[len] = '\0';
    cml_status st = parse(copy, len, name ? name : "<memory>", min_features, X, y);
    free(copy);
    return st;
}

cml_status cml_libsvm_read(const char *path, int64_t min_features, cml_csr_owned **X, double **y)
{
    if (!X || !y) return cml_fail(CML_ERR_ARG, "cml_libsvm_read: X or y is NULL");
    *X = NULL;
    *y = NULL;
    if (min_features < 0 || min_features > INT32_MAX)
        return cml_fail(CML_ERR_ARG, "min_features must be in [0, 2147483647], got %lld",
                        (long long)min_features);
    char *buf;
    size_t len;
    CML_CHECK(cml_read_file(path, &buf, &len));
    cml_status st = parse(buf, len, path, min_features, X, y);
    free(buf);
    return st;
}

void cml_csr_owned_free(cml_csr_owned *m)
{
    if (!m) return;
    free(m->indptr);
    free(m->indices);
    free(m->data);
    free(m);
}

cml_status cml_csr_to_dense(const cml_csr *m, double **out)
{
    if (!out) return cml_fail(CML_ERR_ARG, "cml_csr_to_dense: out is NULL");
    *out = NULL;
    CML_CHECK(cml_csr_check(m, "CSR matrix"));
    if (m->rows > INT64_MAX / m->cols)
        return cml_fail(CML_ERR_NOMEM, "dense (%lld, %lld) is too large", (long long)m->rows,
                        (long long)m->cols);
    double *d = cml_alloc_array(m->rows * m->cols, sizeof *d);
    if (!d) return CML_ERR_NOMEM;
    memset(d, 0, (size_t)(m->rows * m->cols) * sizeof *d);
    for (int64_t i = 0; i < m->rows; i++)
        for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++)
            d[i * m->cols + m->indices[k]] = m->data[k];
    *out = d;
    return CML_OK;
}
