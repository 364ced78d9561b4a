/*
 * gguf.c — GGUF v3 reader and writer (see cml/gguf.h for the layout).
 *
 * Spec: ggml's docs/gguf.md (GGUF v3). Counts and lengths are u64, strings
 * are (u64 length, bytes) without a terminator, tensor data offsets are
 * relative to the start of the data section and multiples of
 * `general.alignment` (default 32).
 *
 * Reader safety: the whole file is copied into one buffer and parsed with a
 * bounds-checked cursor; every count is checked against the bytes left
 * before anything is allocated for it, so a hostile header cannot make us
 * allocate more than a small multiple of the file size, and every failure
 * names the byte offset. Integrity: cml.crc32 (zlib CRC-32 of the data
 * section, from its first byte to the end of the file) is verified when
 * present; files without it (other GGUF producers) are accepted.
 *
 * Complexity: O(file size) to read or write; key lookup is a linear scan
 * (models hold tens to a few thousand keys).
 * Thread-safety: a reader may be shared by threads that do not change its
 * scope; writers are single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cml/gguf.h"
#include "core/internal.h"
#include "core/strbuf.h"

#define GGUF_MAGIC         "GGUF"
#define GGUF_VERSION       3
#define GGUF_DEFAULT_ALIGN 32
#define GGUF_MAX_KEY       65535
#define CRC_KEY            "cml.crc32"
#define ALIGN_KEY          "general.alignment"

/* Values are moved between host memory and the little-endian file with
 * memcpy of their low bytes, which is only right on little-endian hosts
 * (x86-64, arm64, riscv64: every target cml builds for). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cml's GGUF code assumes a little-endian host"
#endif

/* ---------------------------------------------------------------- values */

/* One metadata value. Scalars live in the union; strings and arrays own
 * their storage (strings NUL-terminated for convenience). */
typedef struct kv {
    char *key;
    cml_gguf_vtype type;
    union {
        uint64_t u;
        int64_t i;
        double f;
    } v;
    char *str;            /* STRING */
    cml_gguf_vtype etype; /* ARRAY: element type */
    int64_t n;            /* ARRAY: element count */
    void *arr;            /* ARRAY of scalars: n * size(etype) bytes, host order */
    char **strs;          /* ARRAY of strings */
} kv;

typedef struct tensor {
    char *name;
    cml_gguf_ttype type;
    int n_dims;
    int64_t dims[CML_GGUF_MAX_DIMS];
    uint64_t offset; /* within the data section */
    size_t nbytes;
    uint8_t *wdata;       /* writer: owned copy */
    const uint8_t *rdata; /* reader: points into the file buffer */
} tensor;

static size_t vtype_size(cml_gguf_vtype t)
{
    switch (t) {
    case CML_GGUF_U8:
    case CML_GGUF_I8:
    case CML_GGUF_BOOL: return 1;
    case CML_GGUF_U16:
    case CML_GGUF_I16: return 2;
    case CML_GGUF_U32:
    case CML_GGUF_I32:
    case CML_GGUF_F32: return 4;
    case CML_GGUF_U64:
    case CML_GGUF_I64:
    case CML_GGUF_F64: return 8;
    default: return 0; /* STRING, ARRAY, unknown */
    }
}

static size_t ttype_size(cml_gguf_ttype t)
{
    switch (t) {
    case CML_GGUF_T_F32: return 4;
    case CML_GGUF_T_F16: return 2;
    case CML_GGUF_T_I8: return 1;
    case CML_GGUF_T_I16: return 2;
    case CML_GGUF_T_I32: return 4;
    case CML_GGUF_T_I64: return 8;
    case CML_GGUF_T_F64: return 8;
    }
    return 0;
}

static void kv_clear(kv *e)
{
    free(e->key);
    free(e->str);
    free(e->arr);
    if (e->strs)
        for (int64_t i = 0; i < e->n; i++)
            free(e->strs[i]);
    free(e->strs);
}

/* Joins scope and key into buf; error if too long. */
static cml_status scoped_key(const char *scope, const char *key, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s%s", scope ? scope : "", key);
    if (n < 0 || (size_t)n >= len)
        return cml_fail(CML_ERR_ARG, "GGUF key too long: %s%s", scope, key);
    return CML_OK;
}

/* ---------------------------------------------------------------- writer */

struct cml_gguf_writer {
    kv *kvs;
    int64_t n_kv, cap_kv;
    tensor *ts;
    int64_t n_t, cap_t;
    char scope[256];
};

cml_gguf_writer *cml_gguf_writer_new(void)
{
    return cml_calloc(1, sizeof(cml_gguf_writer));
}

void cml_gguf_writer_free(cml_gguf_writer *w)
{
    if (!w) return;
    for (int64_t i = 0; i < w->n_kv; i++)
        kv_clear(&w->kvs[i]);
    for (int64_t i = 0; i < w->n_t; i++) {
        free(w->ts[i].name);
        free(w->ts[i].wdata);
    }
    free(w->kvs);
    free(w->ts);
    free(w);
}

cml_status cml_gguf_writer_set_scope(cml_gguf_writer *w, const char *prefix)
{
    if (!prefix) prefix = "";
    if (strlen(prefix) >= sizeof w->scope) return cml_fail(CML_ERR_ARG, "GGUF scope too long");
    snprintf(w->scope, sizeof w->scope, "%s", prefix);
    return CML_OK;
}

const char *cml_gguf_writer_scope(const cml_gguf_writer *w)
{
    return w->scope;
}

/* Appends a new zeroed entry for key (scoped) of the given type. */
static cml_status new_kv(cml_gguf_writer *w, const char *key, cml_gguf_vtype type, kv **out)
{
    char full[1024];
    CML_CHECK(scoped_key(w->scope, key, full, sizeof full));
    if (strcmp(full, CRC_KEY) == 0 || strcmp(full, ALIGN_KEY) == 0)
        return cml_fail(CML_ERR_ARG, "GGUF key %s is reserved: the writer sets it", full);
    for (int64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->kvs[i].key, full) == 0)
            return cml_fail(CML_ERR_ARG, "GGUF key %s written twice", full);
    if (w->n_kv == w->cap_kv) {
        int64_t cap = w->cap_kv ? 2 * w->cap_kv : 32;
        kv *p = cml_realloc(w->kvs, (size_t)cap * sizeof *p);
        if (!p) return CML_ERR_NOMEM;
        w->kvs = p;
        w->cap_kv = cap;
    }
    kv *e = &w->kvs[w->n_kv];
    memset(e, 0, sizeof *e);
    e->key = cml_strdup(full);
    if (!e->key) return CML_ERR_NOMEM;
    e->type = type;
    w->n_kv++;
    *out = e;
    return CML_OK;
}

static cml_status set_scalar(cml_gguf_writer *w, const char *key, cml_gguf_vtype t, uint64_t u)
{
    kv *e;
    CML_CHECK(new_kv(w, key, t, &e));
    e->v.u = u;
    return CML_OK;
}

cml_status cml_gguf_set_i64(cml_gguf_writer *w, const char *key, int64_t val)
{
    return set_scalar(w, key, CML_GGUF_I64, (uint64_t)val);
}

cml_status cml_gguf_set_u32(cml_gguf_writer *w, const char *key, uint32_t val)
{
    return set_scalar(w, key, CML_GGUF_U32, val);
}

cml_status cml_gguf_set_bool(cml_gguf_writer *w, const char *key, int val)
{
    return set_scalar(w, key, CML_GGUF_BOOL, val != 0);
}

cml_status cml_gguf_set_f64(cml_gguf_writer *w, const char *key, double val)
{
    uint64_t u;
    memcpy(&u, &val, sizeof u);
    return set_scalar(w, key, CML_GGUF_F64, u);
}

cml_status cml_gguf_set_str(cml_gguf_writer *w, const char *key, const char *val)
{
    kv *e;
    CML_CHECK(new_kv(w, key, CML_GGUF_STRING, &e));
    e->str = cml_strdup(val ? val : "");
    return e->str ? CML_OK : CML_ERR_NOMEM;
}

static cml_status set_array(cml_gguf_writer *w, const char *key, cml_gguf_vtype et,
                            const void *vals, int64_t n)
{
    if (n < 0) return cml_fail(CML_ERR_ARG, "GGUF array %s: negative length", key);
    kv *e;
    CML_CHECK(new_kv(w, key, CML_GGUF_ARRAY, &e));
    e->etype = et;
    e->n = n;
    e->arr = cml_alloc_array(n, vtype_size(et));
    if (!e->arr) return CML_ERR_NOMEM;
    if (n) memcpy(e->arr, vals, (size_t)n * vtype_size(et));
    return CML_OK;
}

cml_status cml_gguf_set_arr_i64(cml_gguf_writer *w, const char *key, const int64_t *vals, int64_t n)
{
    return set_array(w, key, CML_GGUF_I64, vals, n);
}

cml_status cml_gguf_set_arr_f64(cml_gguf_writer *w, const char *key, const double *vals, int64_t n)
{
    return set_array(w, key, CML_GGUF_F64, vals, n);
}

cml_status cml_gguf_set_arr_str(cml_gguf_writer *w, const char *key, const char *const *vals,
                                int64_t n)
{
    if (n < 0) return cml_fail(CML_ERR_ARG, "GGUF array %s: negative length", key);
    kv *e;
    CML_CHECK(new_kv(w, key, CML_GGUF_ARRAY, &e));
    e->etype = CML_GGUF_STRING;
    e->strs = cml_calloc((size_t)(n ? n : 1), sizeof(char *));
    if (!e->strs) return CML_ERR_NOMEM;
    e->n = n;
    for (int64_t i = 0; i < n; i++) {
        e->strs[i] = cml_strdup(vals[i] ? vals[i] : "");
        if (!e->strs[i]) return CML_ERR_NOMEM;
    }
    return CML_OK;
}

cml_status cml_gguf_add_tensor(cml_gguf_writer *w, const char *name, cml_gguf_ttype t, int n_dims,
                               const int64_t *dims, const void *data)
{
    char full[1024];
    CML_CHECK(scoped_key(w->scope, name, full, sizeof full));
    size_t es = ttype_size(t);
    if (!es) return cml_fail(CML_ERR_ARG, "GGUF tensor %s: unsupported type %d", full, (int)t);
    if (n_dims < 1 || n_dims > CML_GGUF_MAX_DIMS)
        return cml_fail(CML_ERR_ARG, "GGUF tensor %s: %d dims (1..4 allowed)", full, n_dims);
    uint64_t count = 1;
    for (int d = 0; d < n_dims; d++) {
        if (dims[d] < 0 || (dims[d] && count > UINT64_MAX / (uint64_t)dims[d] / es))
            return cml_fail(CML_ERR_ARG, "GGUF tensor %s: bad dimension %lld", full,
                            (long long)dims[d]);
        count *= (uint64_t)dims[d];
    }
    for (int64_t i = 0; i < w->n_t; i++)
        if (strcmp(w->ts[i].name, full) == 0)
            return cml_fail(CML_ERR_ARG, "GGUF tensor %s written twice", full);
    if (w->n_t == w->cap_t) {
        int64_t cap = w->cap_t ? 2 * w->cap_t : 16;
        tensor *p = cml_realloc(w->ts, (size_t)cap * sizeof *p);
        if (!p) return CML_ERR_NOMEM;
        w->ts = p;
        w->cap_t = cap;
    }
    tensor *tt = &w->ts[w->n_t];
    memset(tt, 0, sizeof *tt);
    tt->type = t;
    tt->n_dims = n_dims;
    for (int d = 0; d < n_dims; d++)
        tt->dims[d] = dims[d];
    tt->nbytes = (size_t)count * es;
    tt->name = cml_strdup(full);
    tt->wdata = cml_malloc(tt->nbytes);
    if (!tt->name || !tt->wdata) {
        free(tt->name);
        free(tt->wdata);
        return CML_ERR_NOMEM;
    }
    if (tt->nbytes) memcpy(tt->wdata, data, tt->nbytes);
    w->n_t++;
    return CML_OK;
}

cml_status cml_gguf_add_f64(cml_gguf_writer *w, const char *name, const double *data, int64_t rows,
                            int64_t cols)
{
    int64_t dims[2] = {cols, rows};
    return cml_gguf_add_tensor(w, name, CML_GGUF_T_F64, rows == 1 ? 1 : 2, dims, data);
}

cml_status cml_gguf_add_i64(cml_gguf_writer *w, const char *name, const int64_t *data, int64_t n)
{
    return cml_gguf_add_tensor(w, name, CML_GGUF_T_I64, 1, &n, data);
}

cml_status cml_gguf_add_i32(cml_gguf_writer *w, const char *name, const int32_t *data, int64_t n)
{
    return cml_gguf_add_tensor(w, name, CML_GGUF_T_I32, 1, &n, data);
}

/* ---------------------------------------------------------------- serialize */

/* Little-endian byte sink. Explicit per-byte writes keep the format
 * independent of host byte order and struct layout. */
typedef struct sink {
    uint8_t *buf;
    size_t len, cap;
    int failed;
} sink;

static void put_bytes(sink *s, const void *p, size_t n)
{
    if (s->failed) return;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        uint8_t *b = cml_realloc(s->buf, cap);
        if (!b) {
            s->failed = 1;
            return;
        }
        s->buf = b;
        s->cap = cap;
    }
    if (n) memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static void put_le(sink *s, uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(s, b, (size_t)bytes);
}

static void put_str(sink *s, const char *str)
{
    size_t n = strlen(str);
    put_le(s, n, 8);
    put_bytes(s, str, n);
}

static void put_pad(sink *s, size_t align)
{
    static const uint8_t zeros[64] = {0};
    while (s->len % align)
        put_bytes(s, zeros, CML_MIN(align - s->len % align, sizeof zeros));
}

/* Writes n scalars of element type t from host memory, little-endian. */
static void put_scalars(sink *s, cml_gguf_vtype t, const void *p, int64_t n)
{
    size_t es = vtype_size(t);
    const uint8_t *b = p;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = 0;
        memcpy(&v, b + (size_t)i * es, es);
        put_le(s, v, (int)es);
    }
}

static void put_kv(sink *s, const kv *e)
{
    put_str(s, e->key);
    put_le(s, (uint32_t)e->type, 4);
    switch (e->type) {
    case CML_GGUF_STRING: put_str(s, e->str); break;
    case CML_GGUF_ARRAY:
        put_le(s, (uint32_t)e->etype, 4);
        put_le(s, (uint64_t)e->n, 8);
        if (e->etype == CML_GGUF_STRING)
            for (int64_t i = 0; i < e->n; i++)
                put_str(s, e->strs[i]);
        else
            put_scalars(s, e->etype, e->arr, e->n);
        break;
    default: put_le(s, e->v.u, (int)vtype_size(e->type));
    }
}

cml_status cml_gguf_write_mem(cml_gguf_writer *w, uint8_t **buf, size_t *len)
{
    sink data = {0}, out = {0};
    *buf = NULL;
    *len = 0;

    /* Tensor data first: offsets and the CRC go in the header. */
    for (int64_t i = 0; i < w->n_t; i++) {
        put_pad(&data, GGUF_DEFAULT_ALIGN);
        w->ts[i].offset = data.len;
        if (ttype_size(w->ts[i].type) == 1)
            put_bytes(&data, w->ts[i].wdata, w->ts[i].nbytes);
        else
            /* element-wise little-endian, as for metadata */
            put_scalars(&data,
                        ttype_size(w->ts[i].type) == 8   ? CML_GGUF_U64
                        : ttype_size(w->ts[i].type) == 4 ? CML_GGUF_U32
                                                         : CML_GGUF_U16,
                        w->ts[i].wdata, (int64_t)(w->ts[i].nbytes / ttype_size(w->ts[i].type)));
    }
    put_pad(&data, GGUF_DEFAULT_ALIGN);
    if (data.failed) goto nomem;
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data.buf ? data.buf : (const Bytef *)"",
                                   (uInt)data.len);

    put_bytes(&out, GGUF_MAGIC, 4);
    put_le(&out, GGUF_VERSION, 4);
    put_le(&out, (uint64_t)w->n_t, 8);
    put_le(&out, (uint64_t)w->n_kv + 2, 8);
    kv align = {.key = ALIGN_KEY, .type = CML_GGUF_U32, .v.u = GGUF_DEFAULT_ALIGN};
    put_kv(&out, &align);
    for (int64_t i = 0; i < w->n_kv; i++)
        put_kv(&out, &w->kvs[i]);
    kv crckv = {.key = CRC_KEY, .type = CML_GGUF_U32, .v.u = crc};
    put_kv(&out, &crckv);
    for (int64_t i = 0; i < w->n_t; i++) {
        const tensor *t = &w->ts[i];
        put_str(&out, t->name);
        put_le(&out, (uint32_t)t->n_dims, 4);
        for (int d = 0; d < t->n_dims; d++)
            put_le(&out, (uint64_t)t->dims[d], 8);
        put_le(&out, (uint32_t)t->type, 4);
        put_le(&out, t->offset, 8);
    }
    put_pad(&out, GGUF_DEFAULT_ALIGN);
    put_bytes(&out, data.buf, data.len);
    free(data.buf);
    if (out.failed) {
        free(out.buf);
        return CML_ERR_NOMEM;
    }
    *buf = out.buf;
    *len = out.len;
    return CML_OK;
nomem:
    free(data.buf);
    free(out.buf);
    return CML_ERR_NOMEM;
}

cml_status cml_gguf_write_file(cml_gguf_writer *w, const char *path)
{
    uint8_t *buf;
    size_t len;
    char tmp[4096];
    CML_CHECK(cml_gguf_write_mem(w, &buf, &len));
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        free(buf);
        return cml_fail(CML_ERR_ARG, "path too long: %s", path);
    }
    /* Temp file + fsync + rename: readers see the old file or the new one. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        cml_status st = cml_fail(CML_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        free(buf);
        return st;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            cml_status st = cml_fail(CML_ERR_IO, "%s: write failed: %s", path, strerror(errno));
            close(fd);
            unlink(tmp);
            free(buf);
            return st;
        }
        done += (size_t)n;
    }
    free(buf);
    if (fsync(fd) != 0 || close(fd) != 0) {
        cml_status st = cml_fail(CML_ERR_IO, "%s: flush failed: %s", path, strerror(errno));
        unlink(tmp);
        return st;
    }
    if (rename(tmp, path) != 0) {
        cml_status st = cml_fail(CML_ERR_IO, "%s: rename failed: %s", path, strerror(errno));
        unlink(tmp);
        return st;
    }
    return CML_OK;
}

/* ---------------------------------------------------------------- reader */

struct cml_gguf {
    char *name;
    uint8_t *buf;
    size_t len;
    uint32_t version;
    kv *kvs;
    int64_t n_kv;
    tensor *ts;
    int64_t n_t;
    char scope[256];
    int mapped; /* buf is a read-only mmap of the file (cml_gguf_map_file) */
};

typedef struct cursor {
    const uint8_t *p;
    size_t len, off;
    const char *name;
} cursor;

static cml_status truncated(const cursor *c, const char *what)
{
    return cml_fail(CML_ERR_FORMAT, "%s: offset %zu: file truncated or corrupt while reading %s",
                    c->name, c->off, what);
}

static cml_status get_le(cursor *c, int bytes, uint64_t *v, const char *what)
{
    if (c->len - c->off < (size_t)bytes) return truncated(c, what);
    uint64_t r = 0;
    for (int i = 0; i < bytes; i++)
        r |= (uint64_t)c->p[c->off + (size_t)i] << (8 * i);
    c->off += (size_t)bytes;
    *v = r;
    return CML_OK;
}

static cml_status get_string(cursor *c, char **out, const char *what)
{
    uint64_t n = 0;
    CML_CHECK(get_le(c, 8, &n, what));
    if (n > c->len - c->off) return truncated(c, what);
    char *s = cml_malloc((size_t)n + 1);
    if (!s) return CML_ERR_NOMEM;
    memcpy(s, c->p + c->off, (size_t)n);
    s[n] = '\0';
    if (memchr(s, '\0', (size_t)n)) {
        free(s);
        return cml_fail(CML_ERR_FORMAT, "%s: offset %zu: %s contains a NUL byte", c->name, c->off,
                        what);
    }
    c->off += (size_t)n;
    *out = s;
    return CML_OK;
}

static cml_status get_value(cursor *c, kv *e)
{
    if (e->type == CML_GGUF_STRING) return get_string(c, &e->str, e->key);
    if (e->type == CML_GGUF_ARRAY) {
        uint64_t et = 0, n = 0;
        CML_CHECK(get_le(c, 4, &et, e->key));
        CML_CHECK(get_le(c, 8, &n, e->key));
        e->etype = (cml_gguf_vtype)et;
        if (e->etype == CML_GGUF_STRING) {
            /* each string takes at least its 8-byte length */
            if (n > (c->len - c->off) / 8) return truncated(c, e->key);
            e->strs = cml_calloc((size_t)(n ? n : 1), sizeof(char *));
            if (!e->strs) return CML_ERR_NOMEM;
            for (uint64_t i = 0; i < n; i++) {
                CML_CHECK(get_string(c, &e->strs[i], e->key));
                e->n = (int64_t)i + 1;
            }
            return CML_OK;
        }
        size_t es = vtype_size(e->etype);
        if (!es)
            return cml_fail(CML_ERR_FORMAT,
                            "%s: offset %zu: key %s: unsupported array element type %u", c->name,
                            c->off, e->key, (unsigned)et);
        if (n > (c->len - c->off) / es) return truncated(c, e->key);
        e->arr = cml_malloc((size_t)n * es);
        if (!e->arr) return CML_ERR_NOMEM;
        uint8_t *dst = e->arr;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t v = 0;
            CML_CHECK(get_le(c, (int)es, &v, e->key));
            memcpy(dst + i * es, &v, es); /* little-endian host: low bytes first */
        }
        e->n = (int64_t)n;
        return CML_OK;
    }
    size_t es = vtype_size(e->type);
    if (!es)
        return cml_fail(CML_ERR_FORMAT, "%s: offset %zu: key %s: unknown value type %u", c->name,
                        c->off, e->key, (unsigned)e->type);
    uint64_t v = 0;
    CML_CHECK(get_le(c, (int)es, &v, e->key));
    /* sign-extend signed types so v.i is the value */
    if (e->type == CML_GGUF_I8) v = (uint64_t)(int64_t)(int8_t)v;
    if (e->type == CML_GGUF_I16) v = (uint64_t)(int64_t)(int16_t)v;
    if (e->type == CML_GGUF_I32) v = (uint64_t)(int64_t)(int32_t)v;
    if (e->type == CML_GGUF_F32) {
        uint32_t u32 = (uint32_t)v;
        float f;
        memcpy(&f, &u32, 4);
        e->v.f = f;
        return CML_OK;
    }
    e->v.u = v;
    return CML_OK;
}

void cml_gguf_free(cml_gguf *g)
{
    if (!g) return;
    for (int64_t i = 0; i < g->n_kv; i++)
        kv_clear(&g->kvs[i]);
    for (int64_t i = 0; i < g->n_t; i++)
        free(g->ts[i].name);
    free(g->kvs);
    free(g->ts);
    if (g->mapped)
        munmap(g->buf, g->len);
    else
        free(g->buf);
    free(g->name);
    free(g);
}

static const kv *find_kv_full(const cml_gguf *g, const char *full)
{
    for (int64_t i = 0; i < g->n_kv; i++)
        if (strcmp(g->kvs[i].key, full) == 0) return &g->kvs[i];
    return NULL;
}

static cml_status parse(cml_gguf *g)
{
    cursor c = {g->buf, g->len, 0, g->name};
    uint64_t v = 0, n_t = 0, n_kv = 0;
    if (g->len < 4 || memcmp(g->buf, GGUF_MAGIC, 4) != 0)
        return cml_fail(CML_ERR_FORMAT, "%s: not a GGUF model file (bad magic)", g->name);
    c.off = 4;
    CML_CHECK(get_le(&c, 4, &v, "version"));
    if (v == 0x03000000u || v == 0x02000000u)
        return cml_fail(CML_ERR_FORMAT, "%s: big-endian GGUF files are not supported", g->name);
    if (v > GGUF_VERSION)
        return cml_fail(
            CML_ERR_VERSION,
            "%s: GGUF version %llu is newer than this cml reads (%d). HINT: upgrade cml", g->name,
            (unsigned long long)v, GGUF_VERSION);
    if (v < 2)
        return cml_fail(CML_ERR_VERSION, "%s: GGUF version %llu is too old (2 or 3 supported)",
                        g->name, (unsigned long long)v);
    g->version = (uint32_t)v;
    CML_CHECK(get_le(&c, 8, &n_t, "tensor count"));
    CML_CHECK(get_le(&c, 8, &n_kv, "metadata count"));
    /* each kv takes >= 12 bytes (key length + type), each tensor info >= 24 */
    if (n_kv > (c.len - c.off) / 12 || n_t > (c.len - c.off) / 24)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: file truncated or corrupt: header claims %llu keys and %llu tensors, "
                        "more than the file holds",
                        g->name, (unsigned long long)n_kv, (unsigned long long)n_t);
    g->kvs = cml_calloc((size_t)(n_kv ? n_kv : 1), sizeof(kv));
    g->ts = cml_calloc((size_t)(n_t ? n_t : 1), sizeof(tensor));
    if (!g->kvs || !g->ts) return CML_ERR_NOMEM;

    for (uint64_t i = 0; i < n_kv; i++) {
        kv *e = &g->kvs[i];
        uint64_t t = 0;
        CML_CHECK(get_string(&c, &e->key, "metadata key"));
        g->n_kv = (int64_t)i + 1;
        CML_CHECK(get_le(&c, 4, &t, e->key));
        e->type = (cml_gguf_vtype)t;
        CML_CHECK(get_value(&c, e));
        for (uint64_t j = 0; j < i; j++)
            if (strcmp(g->kvs[j].key, e->key) == 0)
                return cml_fail(CML_ERR_FORMAT, "%s: duplicate key %s", g->name, e->key);
    }

    uint64_t align = GGUF_DEFAULT_ALIGN;
    const kv *a = find_kv_full(g, ALIGN_KEY);
    if (a) {
        if (a->type != CML_GGUF_U32 || a->v.u == 0 || a->v.u % 8 || (a->v.u & (a->v.u - 1)) ||
            a->v.u > (1u << 20))
            return cml_fail(CML_ERR_FORMAT, "%s: bad %s", g->name, ALIGN_KEY);
        align = a->v.u;
    }

    for (uint64_t i = 0; i < n_t; i++) {
        tensor *t = &g->ts[i];
        uint64_t nd = 0, tt = 0;
        CML_CHECK(get_string(&c, &t->name, "tensor name"));
        g->n_t = (int64_t)i + 1;
        CML_CHECK(get_le(&c, 4, &nd, t->name));
        if (nd < 1 || nd > CML_GGUF_MAX_DIMS)
            return cml_fail(CML_ERR_FORMAT, "%s: tensor %s has %llu dims", g->name, t->name,
                            (unsigned long long)nd);
        t->n_dims = (int)nd;
        uint64_t count = 1;
        for (int d = 0; d < t->n_dims; d++) {
            uint64_t dim = 0;
            CML_CHECK(get_le(&c, 8, &dim, t->name));
            if (dim > (uint64_t)INT64_MAX || (dim && count > (uint64_t)INT64_MAX / dim))
                return cml_fail(CML_ERR_FORMAT, "%s: tensor %s: dimension too large", g->name,
                                t->name);
            t->dims[d] = (int64_t)dim;
            count *= dim;
        }
        CML_CHECK(get_le(&c, 4, &tt, t->name));
        t->type = (cml_gguf_ttype)tt;
        size_t es = ttype_size(t->type);
        if (!es)
            return cml_fail(CML_ERR_UNSUPPORTED,
                            "%s: tensor %s has type %llu, which cml cannot read", g->name, t->name,
                            (unsigned long long)tt);
        if (count > SIZE_MAX / es)
            return cml_fail(CML_ERR_FORMAT, "%s: tensor %s too large", g->name, t->name);
        t->nbytes = (size_t)count * es;
        CML_CHECK(get_le(&c, 8, &t->offset, t->name));
        if (t->offset % align)
            return cml_fail(CML_ERR_FORMAT, "%s: tensor %s offset %llu not aligned to %llu",
                            g->name, t->name, (unsigned long long)t->offset,
                            (unsigned long long)align);
        for (uint64_t j = 0; j < i; j++)
            if (strcmp(g->ts[j].name, t->name) == 0)
                return cml_fail(CML_ERR_FORMAT, "%s: duplicate tensor %s", g->name, t->name);
    }

    size_t data_start = (c.off + align - 1) / align * align;
    if (data_start > g->len && n_t > 0) return truncated(&c, "tensor data");
    size_t data_len = data_start <= g->len ? g->len - data_start : 0;
    for (int64_t i = 0; i < g->n_t; i++) {
        tensor *t = &g->ts[i];
        if (t->offset > data_len || t->nbytes > data_len - t->offset)
            return cml_fail(CML_ERR_FORMAT,
                            "%s: tensor %s (%zu bytes at data offset %llu) runs past the end of "
                            "the file: truncated or corrupt",
                            g->name, t->name, t->nbytes, (unsigned long long)t->offset);
        t->rdata = g->buf + data_start + t->offset;
    }

    const kv *crc = find_kv_full(g, CRC_KEY);
    if (crc && !g->mapped) {
        if (crc->type != CML_GGUF_U32)
            return cml_fail(CML_ERR_FORMAT, "%s: bad %s", g->name, CRC_KEY);
        uint32_t got =
            (uint32_t)crc32(crc32(0L, Z_NULL, 0),
                            data_len ? g->buf + data_start : (const Bytef *)"", (uInt)data_len);
        if (got != (uint32_t)crc->v.u)
            return cml_fail(CML_ERR_FORMAT,
                            "%s: checksum mismatch in tensor data (stored %08x, computed %08x): "
                            "the file is corrupt or truncated",
                            g->name, (unsigned)crc->v.u, (unsigned)got);
    }
    return CML_OK;
}

cml_status cml_gguf_read_mem(const void *buf, size_t len, const char *name, cml_gguf **out)
{
    *out = NULL;
    cml_gguf *g = cml_calloc(1, sizeof *g);
    if (!g) return CML_ERR_NOMEM;
    g->name = cml_strdup(name ? name : "<memory>");
    /* +8 and 64-byte alignment of the copy keep tensor pointers aligned */
    g->buf = cml_malloc(len + 8);
    if (!g->name || !g->buf) {
        cml_gguf_free(g);
        return CML_ERR_NOMEM;
    }
    if (len) memcpy(g->buf, buf, len);
    g->len = len;
    cml_status st = parse(g);
    if (st != CML_OK) {
        cml_gguf_free(g);
        return st;
    }
    *out = g;
    return CML_OK;
}

cml_status cml_gguf_read_file(const char *path, cml_gguf **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return cml_fail(CML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    cml_status st = CML_OK;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *b = cml_realloc(buf, cap);
            if (!b) {
                st = CML_ERR_NOMEM;
                goto done;
            }
            buf = b;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    if (ferror(f)) {
        st = cml_fail(CML_ERR_IO, "%s: read failed: %s", path, strerror(errno));
        goto done;
    }
    if (len == 0) {
        st = cml_fail(CML_ERR_FORMAT, "%s: empty file, not a model", path);
        goto done;
    }
    st = cml_gguf_read_mem(buf, len, path, out);
done:
    fclose(f);
    free(buf);
    return st;
}

cml_status cml_gguf_set_scope(cml_gguf *g, const char *prefix)
{
    if (!prefix) prefix = "";
    if (strlen(prefix) >= sizeof g->scope) return cml_fail(CML_ERR_ARG, "GGUF scope too long");
    snprintf(g->scope, sizeof g->scope, "%s", prefix);
    return CML_OK;
}

const char *cml_gguf_scope(const cml_gguf *g)
{
    return g->scope;
}
const char *cml_gguf_name(const cml_gguf *g)
{
    return g->name;
}
uint32_t cml_gguf_version(const cml_gguf *g)
{
    return g->version;
}

size_t cml_gguf_size(const cml_gguf *g)
{
    return g->len;
}

/* Scoped lookup; NULL with an error naming the key if absent. */
static const kv *lookup(const cml_gguf *g, const char *key, cml_status *st)
{
    char full[1024];
    *st = scoped_key(g->scope, key, full, sizeof full);
    if (*st != CML_OK) return NULL;
    const kv *e = find_kv_full(g, full);
    if (!e) *st = cml_fail(CML_ERR_FORMAT, "%s: key %s: missing", g->name, full);
    return e;
}

static cml_status wrong_type(const cml_gguf *g, const kv *e, const char *want)
{
    return cml_fail(CML_ERR_FORMAT, "%s: key %s: expected %s", g->name, e->key, want);
}

int cml_gguf_has(const cml_gguf *g, const char *key)
{
    char full[1024];
    if (scoped_key(g->scope, key, full, sizeof full) != CML_OK) return 0;
    return find_kv_full(g, full) != NULL;
}

cml_status cml_gguf_get_str(const cml_gguf *g, const char *key, const char **val)
{
    cml_status st;
    const kv *e = lookup(g, key, &st);
    if (!e) return st;
    if (e->type != CML_GGUF_STRING) return wrong_type(g, e, "a string");
    *val = e->str;
    return CML_OK;
}

static int is_int_type(cml_gguf_vtype t)
{
    return t == CML_GGUF_U8 || t == CML_GGUF_I8 || t == CML_GGUF_U16 || t == CML_GGUF_I16 ||
           t == CML_GGUF_U32 || t == CML_GGUF_I32 || t == CML_GGUF_U64 || t == CML_GGUF_I64;
}

/* Converts a raw scalar of integer type t to int64; 0 if it does not fit. */
static int int_value(cml_gguf_vtype t, uint64_t u, int64_t *out)
{
    if (t == CML_GGUF_U64 && u > (uint64_t)INT64_MAX) return 0;
    if (t == CML_GGUF_U8 || t == CML_GGUF_U16 || t == CML_GGUF_U32 || t == CML_GGUF_U64)
        *out = (int64_t)u;
    else
        *out = (int64_t)u; /* signed types were sign-extended when read */
    return 1;
}

cml_status cml_gguf_get_i64(const cml_gguf *g, const char *key, int64_t *val)
{
    cml_status st;
    const kv *e = lookup(g, key, &st);
    if (!e) return st;
    if (!is_int_type(e->type) || !int_value(e->type, e->v.u, val))
        return wrong_type(g, e, "an integer");
    return CML_OK;
}

cml_status cml_gguf_get_f64(const cml_gguf *g, const char *key, double *val)
{
    cml_status st;
    const kv *e = lookup(g, key, &st);
    if (!e) return st;
    if (e->type != CML_GGUF_F64 && e->type != CML_GGUF_F32) return wrong_type(g, e, "a float");
    *val = e->v.f;
    return CML_OK;
}

cml_status cml_gguf_get_bool(const cml_gguf *g, const char *key, int *val)
{
    cml_status st;
    const kv *e = lookup(g, key, &st);
    if (!e) return st;
    if (e->type != CML_GGUF_BOOL) return wrong_type(g, e, "a bool");
    *val = e->v.u != 0;
    return CML_OK;
}

cml_status cml_gguf_get_arr_str(const cml_gguf *g, const char *key, const char ***vals, int64_t *n)
{
    cml_status st;
    const kv *e = lookup(g, key, &st);
    if (!e) return st;
    if (e->type != CML_GGUF_ARRAY || e->etype != CML_GGUF_STRING)
        return wrong_type(g, e, "an array of strings");
    const char **out = cml_alloc_array(e->n ? e->n : 1, sizeof(char *));
    if (!out) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < e->n; i++)
        out[i] = e->strs[i];
    *vals = out;
    *n = e->n;
    return CML_OK;
}

/* Reads element i of a scalar array as uint64 bits. */
static uint64_t elem_bits(const kv *e, int64_t i)
{
    uint64_t v = 0;
    size_t es = vtype_size(e->etype);
    memcpy(&v, (const uint8_t *)e->arr + (size_t)i * es, es);
    return v;
}

cml_status cml_gguf_get_arr_i64(const cml_gguf *g, const char *key, int64_t **vals, int64_t *n)
{
    cml_status st;
    const kv *e = lookup(g, key, &st);
    if (!e) return st;
    if (e->type != CML_GGUF_ARRAY || !is_int_type(e->etype))
        return wrong_type(g, e, "an array of integers");
    int64_t *out = cml_alloc_array(e->n ? e->n : 1, sizeof(int64_t));
    if (!out) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < e->n; i++) {
        uint64_t b = elem_bits(e, i);
        switch (e->etype) {
        case CML_GGUF_I8: out[i] = (int8_t)b; break;
        case CML_GGUF_I16: out[i] = (int16_t)b; break;
        case CML_GGUF_I32: out[i] = (int32_t)b; break;
        default:
            if (e->etype == CML_GGUF_U64 && b > (uint64_t)INT64_MAX) {
                free(out);
                return wrong_type(g, e, "integers that fit in int64");
            }
            out[i] = (int64_t)b;
        }
    }
    *vals = out;
    *n = e->n;
    return CML_OK;
}

cml_status cml_gguf_get_arr_f64(const cml_gguf *g, const char *key, double **vals, int64_t *n)
{
    cml_status st;
    const kv *e = lookup(g, key, &st);
    if (!e) return st;
    if (e->type != CML_GGUF_ARRAY || (e->etype != CML_GGUF_F64 && e->etype != CML_GGUF_F32))
        return wrong_type(g, e, "an array of floats");
    double *out = cml_alloc_array(e->n ? e->n : 1, sizeof(double));
    if (!out) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < e->n; i++) {
        uint64_t b = elem_bits(e, i);
        if (e->etype == CML_GGUF_F64) {
            memcpy(&out[i], &b, 8);
        } else {
            uint32_t u = (uint32_t)b;
            float f;
            memcpy(&f, &u, 4);
            out[i] = f;
        }
    }
    *vals = out;
    *n = e->n;
    return CML_OK;
}

static const tensor *find_tensor(const cml_gguf *g, const char *name, cml_status *st)
{
    char full[1024];
    *st = scoped_key(g->scope, name, full, sizeof full);
    if (*st != CML_OK) return NULL;
    for (int64_t i = 0; i < g->n_t; i++)
        if (strcmp(g->ts[i].name, full) == 0) return &g->ts[i];
    *st = cml_fail(CML_ERR_FORMAT, "%s: tensor %s: missing", g->name, full);
    return NULL;
}

cml_status cml_gguf_get_tensor(const cml_gguf *g, const char *name, cml_gguf_ttype t,
                               const void **data, int *n_dims, int64_t *dims)
{
    cml_status st;
    const tensor *tt = find_tensor(g, name, &st);
    if (!tt) return st;
    if (tt->type != t)
        return cml_fail(CML_ERR_FORMAT, "%s: tensor %s has type %d, expected %d", g->name, tt->name,
                        (int)tt->type, (int)t);
    *data = tt->rdata;
    if (n_dims) *n_dims = tt->n_dims;
    if (dims)
        for (int d = 0; d < CML_GGUF_MAX_DIMS; d++)
            dims[d] = d < tt->n_dims ? tt->dims[d] : 1;
    return CML_OK;
}

/* The tensor `name` if it has type t and shape (rows, cols) — or any shape
 * with rows * cols elements when stored 1-D — else NULL with an error. */
static const tensor *shaped(const cml_gguf *g, const char *name, cml_gguf_ttype t, int64_t rows,
                            int64_t cols)
{
    cml_status st;
    const tensor *tt = find_tensor(g, name, &st);
    if (!tt) return NULL;
    if (tt->type != t) {
        cml_fail(CML_ERR_FORMAT, "%s: tensor %s has type %d, expected %d", g->name, tt->name,
                 (int)tt->type, (int)t);
        return NULL;
    }
    int64_t got_cols = tt->dims[0];
    int64_t got_rows = 1;
    for (int d = 1; d < tt->n_dims; d++)
        got_rows *= tt->dims[d];
    int bad = rows < 0 || cols < 0 || (rows && cols > INT64_MAX / rows) ||
              got_rows * got_cols != rows * cols ||
              (tt->n_dims > 1 && (got_rows != rows || got_cols != cols));
    if (bad) {
        cml_fail(CML_ERR_FORMAT, "%s: tensor %s has shape (%lld, %lld), expected (%lld, %lld)",
                 g->name, tt->name, (long long)got_rows, (long long)got_cols, (long long)rows,
                 (long long)cols);
        return NULL;
    }
    return tt;
}

cml_status cml_gguf_expect(const cml_gguf *g, const char *name, cml_gguf_ttype t, int64_t rows,
                           int64_t cols)
{
    return shaped(g, name, t, rows, cols) ? CML_OK : CML_ERR_FORMAT;
}

static cml_status read_exact(const cml_gguf *g, const char *name, cml_gguf_ttype t, int64_t rows,
                             int64_t cols, void *out)
{
    const tensor *tt = shaped(g, name, t, rows, cols);
    if (!tt) return CML_ERR_FORMAT;
    if (tt->nbytes) memcpy(out, tt->rdata, tt->nbytes);
    return CML_OK;
}

cml_status cml_gguf_read_f64(const cml_gguf *g, const char *name, int64_t rows, int64_t cols,
                             double *out)
{
    return read_exact(g, name, CML_GGUF_T_F64, rows, cols, out);
}

cml_status cml_gguf_read_i64(const cml_gguf *g, const char *name, int64_t n, int64_t *out)
{
    return read_exact(g, name, CML_GGUF_T_I64, 1, n, out);
}

cml_status cml_gguf_read_i32(const cml_gguf *g, const char *name, int64_t n, int32_t *out)
{
    return read_exact(g, name, CML_GGUF_T_I32, 1, n, out);
}

/* ---------------------------------------------------------------- iteration */

int64_t cml_gguf_n_kv(const cml_gguf *g)
{
    return g->n_kv;
}
const char *cml_gguf_kv_key(const cml_gguf *g, int64_t i)
{
    return g->kvs[i].key;
}
cml_gguf_vtype cml_gguf_kv_type(const cml_gguf *g, int64_t i)
{
    return g->kvs[i].type;
}
int64_t cml_gguf_n_tensors(const cml_gguf *g)
{
    return g->n_t;
}
const char *cml_gguf_tensor_name(const cml_gguf *g, int64_t i)
{
    return g->ts[i].name;
}
cml_gguf_ttype cml_gguf_tensor_type(const cml_gguf *g, int64_t i)
{
    return g->ts[i].type;
}

int cml_gguf_tensor_dims(const cml_gguf *g, int64_t i, int64_t *dims)
{
    for (int d = 0; d < g->ts[i].n_dims; d++)
        dims[d] = g->ts[i].dims[d];
    return g->ts[i].n_dims;
}

static void scalar_json(cml_sb *sb, cml_gguf_vtype t, uint64_t bits)
{
    switch (t) {
    case CML_GGUF_BOOL: cml_sb_puts(sb, bits ? "true" : "false"); break;
    case CML_GGUF_F64: {
        double d;
        memcpy(&d, &bits, 8);
        cml_sb_json_num(sb, d);
        break;
    }
    case CML_GGUF_F32: {
        uint32_t u = (uint32_t)bits;
        float f;
        memcpy(&f, &u, 4);
        cml_sb_json_num(sb, f);
        break;
    }
    case CML_GGUF_I8: cml_sb_printf(sb, "%d", (int8_t)bits); break;
    case CML_GGUF_I16: cml_sb_printf(sb, "%d", (int16_t)bits); break;
    case CML_GGUF_I32: cml_sb_printf(sb, "%d", (int32_t)bits); break;
    case CML_GGUF_I64: cml_sb_printf(sb, "%lld", (long long)bits); break;
    default: cml_sb_printf(sb, "%llu", (unsigned long long)bits);
    }
}

char *cml_gguf_kv_json(const cml_gguf *g, int64_t i, int64_t max_items)
{
    const kv *e = &g->kvs[i];
    cml_sb sb;
    cml_sb_init(&sb);
    if (e->type == CML_GGUF_STRING) {
        cml_sb_json_str(&sb, e->str);
    } else if (e->type == CML_GGUF_ARRAY) {
        cml_sb_puts(&sb, "[");
        int64_t n = max_items >= 0 && e->n > max_items ? max_items : e->n;
        for (int64_t k = 0; k < n; k++) {
            if (k) cml_sb_puts(&sb, ",");
            if (e->etype == CML_GGUF_STRING)
                cml_sb_json_str(&sb, e->strs[k]);
            else if (e->etype == CML_GGUF_F32 || e->etype == CML_GGUF_F64 ||
                     e->etype == CML_GGUF_BOOL)
                scalar_json(&sb, e->etype, elem_bits(e, k));
            else {
                /* sign-extend through the i64 conversion used by getters */
                uint64_t b = elem_bits(e, k);
                if (e->etype == CML_GGUF_I8) b = (uint64_t)(int64_t)(int8_t)b;
                if (e->etype == CML_GGUF_I16) b = (uint64_t)(int64_t)(int16_t)b;
                if (e->etype == CML_GGUF_I32) b = (uint64_t)(int64_t)(int32_t)b;
                scalar_json(&sb, e->etype == CML_GGUF_U64 ? CML_GGUF_U64 : CML_GGUF_I64, b);
            }
        }
        if (n < e->n) cml_sb_printf(&sb, ",\"... %lld more\"", (long long)(e->n - n));
        cml_sb_puts(&sb, "]");
    } else {
        uint64_t bits = e->v.u;
        if (e->type == CML_GGUF_F32) {
            /* stored widened to double at read time */
            cml_sb_json_num(&sb, e->v.f);
        } else if (e->type == CML_GGUF_F64) {
            cml_sb_json_num(&sb, e->v.f);
        } else {
            scalar_json(&sb, e->type, bits);
        }
    }
    return cml_sb_finish(&sb);
}

/* ---------------------------------------------------------------- mapping */

/* Maps the file read-only and parses the header in place: tensor pointers
 * point into the mapping, so opening costs O(header) and pages are read
 * only when touched. The CRC of the data section is not verified (that
 * would read every page); callers validate what they trust. */
cml_status cml_gguf_map_file(const char *path, cml_gguf **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return cml_fail(CML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return cml_fail(CML_ERR_IO, "%s: not a regular file", path);
    }
    if (sb.st_size == 0) {
        close(fd);
        return cml_fail(CML_ERR_FORMAT, "%s: empty file, not a model", path);
    }
    if ((uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return cml_fail(CML_ERR_IO, "%s: too large to map", path);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd); /* the mapping keeps the file */
    if (map == MAP_FAILED)
        return cml_fail(CML_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
    cml_gguf *g = cml_calloc(1, sizeof *g);
    if (!g) {
        munmap(map, (size_t)sb.st_size);
        return CML_ERR_NOMEM;
    }
    g->buf = map;
    g->len = (size_t)sb.st_size;
    g->mapped = 1;
    g->name = cml_strdup(path);
    if (!g->name) {
        cml_gguf_free(g);
        return CML_ERR_NOMEM;
    }
    cml_status st = parse(g);
    if (st != CML_OK) {
        cml_gguf_free(g);
        return st;
    }
    *out = g;
    return CML_OK;
}
