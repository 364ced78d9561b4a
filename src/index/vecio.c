/*
 * vecio.c — reading vector files for the indexes (cml_vectors_read in
 * cml/index.h): TEXMEX .fvecs, NumPy .npy and numeric CSV.
 *
 * The .npy header is a Python dict literal; only the three keys NumPy
 * writes are parsed ('descr', 'fortran_order', 'shape'), by a small scanner
 * that rejects anything else (a corrupt header is CML_ERR_FORMAT, never an
 * over-read). Sizes are checked against the file size before allocating.
 * Complexity O(file). Thread-safety: no shared state.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cml/data.h"
#include "cml/index.h"
#include "core/internal.h"

static cml_status slurp(const char *path, unsigned char **buf, size_t *len)
{
    *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return cml_fail(CML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    cml_status st = CML_OK;
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0) sz = ftell(f);
    if (sz < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return cml_fail(CML_ERR_IO, "%s: cannot size the file", path);
    }
    unsigned char *b = cml_malloc((size_t)sz + 1);
    if (!b)
        st = CML_ERR_NOMEM;
    else if (fread(b, 1, (size_t)sz, f) != (size_t)sz)
        st = cml_fail(CML_ERR_IO, "%s: read error", path);
    fclose(f);
    if (st != CML_OK) {
        free(b);
        return st;
    }
    *buf = b;
    *len = (size_t)sz;
    return CML_OK;
}

static int32_t rd_i32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static float rd_f32(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double rd_f64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | p[i];
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static cml_status check_finite(const char *path, const float *X, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(X[i]))
            return cml_fail(CML_ERR_FORMAT, "%s: value %lld is not finite", path, (long long)i);
    return CML_OK;
}

static cml_status read_fvecs(const char *path, const unsigned char *b, size_t len, float **X,
                             int64_t *n, int64_t *dim)
{
    if (len < 4) return cml_fail(CML_ERR_FORMAT, "%s: empty or truncated .fvecs file", path);
    int32_t d = rd_i32(b);
    if (d < 1 || (size_t)d > (len - 4) / 4)
        return cml_fail(CML_ERR_FORMAT, "%s: bad dimension %d in the first vector", path, (int)d);
    size_t rec = 4 + 4 * (size_t)d;
    if (len % rec)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: %zu bytes is not a whole number of %d-dim vectors (%zu bytes each)",
                        path, len, (int)d, rec);
    int64_t rows = (int64_t)(len / rec);
    float *out = cml_alloc_array(rows * d, sizeof *out);
    if (!out) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < rows; i++) {
        const unsigned char *p = b + (size_t)i * rec;
        if (rd_i32(p) != d) {
            free(out);
            return cml_fail(CML_ERR_FORMAT, "%s: vector %lld has dimension %d, expected %d", path,
                            (long long)i, (int)rd_i32(p), (int)d);
        }
        for (int32_t j = 0; j < d; j++)
            out[i * d + j] = rd_f32(p + 4 + 4 * (size_t)j);
    }
    *X = out;
    *n = rows;
    *dim = d;
    return CML_OK;
}

/* Value of 'key': in the header dict h[0..L): pointer after the colon. */
static const char *npy_key(const char *h, size_t L, const char *key)
{
    size_t k = strlen(key);
    for (size_t i = 0; i + k + 2 < L; i++)
        if ((h[i] == '\'' || h[i] == '"') && memcmp(h + i + 1, key, k) == 0 &&
            h[i + 1 + k] == h[i]) {
            size_t j = i + 2 + k;
            while (j < L && (h[j] == ' ' || h[j] == ':'))
                j++;
            return j < L ? h + j : NULL;
        }
    return NULL;
}

static cml_status read_npy(const char *path, const unsigned char *b, size_t len, float **X,
                           int64_t *n, int64_t *dim)
{
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return cml_fail(CML_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    int major = b[6];
    size_t hl, off;
    if (major == 1) {
        hl = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return cml_fail(CML_ERR_FORMAT, "%s: truncated .npy header", path);
        hl = (size_t)(uint32_t)rd_i32(b + 8);
        off = 12;
    } else {
        return cml_fail(CML_ERR_FORMAT, "%s: .npy version %d is not supported", path, major);
    }
    if (hl > len - off) return cml_fail(CML_ERR_FORMAT, "%s: truncated .npy header", path);
    const char *h = (const char *)b + off;
    const char *descr = npy_key(h, hl, "descr"), *fo = npy_key(h, hl, "fortran_order"),
               *shape = npy_key(h, hl, "shape");
    if (!descr || !fo || !shape)
        return cml_fail(CML_ERR_FORMAT, "%s: .npy header lacks descr, fortran_order or shape",
                        path);
    size_t rest = hl - (size_t)(descr - h);
    int es;
    if (rest >= 5 && (memcmp(descr + 1, "<f4", 3) == 0 || memcmp(descr + 1, "f4", 2) == 0))
        es = 4;
    else if (rest >= 5 && (memcmp(descr + 1, "<f8", 3) == 0 || memcmp(descr + 1, "f8", 2) == 0))
        es = 8;
    else
        return cml_fail(CML_ERR_FORMAT,
                        "%s: .npy dtype must be little-endian float32 or float64; HINT: "
                        "np.save(path, a.astype('<f4'))",
                        path);
    if ((size_t)(h + hl - fo) < 4 || memcmp(fo, "True", 4) == 0)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: Fortran-order .npy arrays are not supported; HINT: "
                        "np.ascontiguousarray",
                        path);
    int64_t dims[2] = {1, 1};
    int nd = 0;
    const char *p = shape, *end = h + hl;
    if (p >= end || *p != '(') return cml_fail(CML_ERR_FORMAT, "%s: bad .npy shape", path);
    p++;
    while (p < end && *p != ')') {
        if (*p == ' ' || *p == ',') {
            p++;
            continue;
        }
        if (*p < '0' || *p > '9' || nd == 2)
            return cml_fail(CML_ERR_FORMAT, "%s: .npy shape must be 1-d or 2-d", path);
        int64_t v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return cml_fail(CML_ERR_FORMAT, "%s: .npy shape too large", path);
            v = v * 10 + (*p++ - '0');
        }
        dims[nd++] = v;
    }
    if (p >= end || nd == 0) return cml_fail(CML_ERR_FORMAT, "%s: bad .npy shape", path);
    int64_t rows = nd == 2 ? dims[0] : 1, cols = nd == 2 ? dims[1] : dims[0];
    size_t data = off + hl;
    if (cols < 1 || rows < 0 ||
        (rows && (uint64_t)cols > (len - data) / (size_t)es / (uint64_t)rows) ||
        (size_t)rows * (size_t)cols * (size_t)es != len - data)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: .npy shape (%lld, %lld) does not match the %zu data bytes", path,
                        (long long)rows, (long long)cols, len - data);
    float *out = cml_alloc_array(rows > 0 ? rows * cols : 1, sizeof *out);
    if (!out) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < rows * cols; i++)
        out[i] =
            es == 4 ? rd_f32(b + data + 4 * (size_t)i) : (float)rd_f64(b + data + 8 * (size_t)i);
    *X = out;
    *n = rows;
    *dim = cols;
    return CML_OK;
}

static int has_ext(const char *path, const char *ext)
{
    size_t a = strlen(path), b = strlen(ext);
    return a > b && strcmp(path + a - b, ext) == 0;
}

cml_status cml_vectors_read(const char *path, float **X, int64_t *n, int64_t *dim)
{
    *X = NULL;
    *n = *dim = 0;
    cml_status st;
    if (has_ext(path, ".csv")) {
        cml_table *t = NULL;
        cml_csv_opts o = cml_csv_opts_default();
        CML_CHECK(cml_csv_read(path, &o, &t));
        float *out = cml_alloc_array(t->rows * t->cols, sizeof *out);
        if (!out) {
            cml_table_free(t);
            return CML_ERR_NOMEM;
        }
        for (int64_t i = 0; i < t->rows * t->cols; i++)
            out[i] = (float)t->data[i];
        for (int64_t j = 0; j < t->cols; j++)
            if (t->columns[j].kind != CML_COL_NUMERIC) {
                st = cml_fail(CML_ERR_FORMAT, "%s: column \"%s\" is not numeric", path,
                              t->columns[j].name);
                free(out);
                cml_table_free(t);
                return st;
            }
        *n = t->rows;
        *dim = t->cols;
        cml_table_free(t);
        *X = out;
    } else if (has_ext(path, ".fvecs") || has_ext(path, ".npy")) {
        unsigned char *b = NULL;
        size_t len = 0;
        CML_CHECK(slurp(path, &b, &len));
        st = has_ext(path, ".npy") ? read_npy(path, b, len, X, n, dim)
                                   : read_fvecs(path, b, len, X, n, dim);
        free(b);
        if (st != CML_OK) return st;
    } else {
        return cml_fail(CML_ERR_ARG, "%s: unknown vector file type; HINT: use .fvecs, .npy or .csv",
                        path);
    }
    st = check_finite(path, *X, *n * *dim);
    if (st != CML_OK) {
        free(*X);
        *X = NULL;
        *n = *dim = 0;
    }
    return st;
}
