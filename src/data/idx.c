/*
 * idx.c — IDX files (the MNIST / Fashion-MNIST container), raw or gzip'd.
 *
 * Layout (LeCun et al., "The MNIST database", file format section): bytes
 * 0-1 zero, byte 2 the element type (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32,
 * 0x0D f32, 0x0E f64), byte 3 the number of dims d, then d big-endian u32
 * sizes, then the elements in row-major order, big-endian. The first dim is
 * the sample axis: rows = dims[0], cols = product of the rest (1 for a 1-D
 * label file). The payload must be exactly rows * cols elements: trailing or
 * missing bytes are CML_ERR_FORMAT, and sizes are multiplied with overflow
 * checks before anything is allocated.
 *
 * gzip is recognised by its magic (1f 8b) and inflated with zlib into a
 * buffer that grows only as output is produced, so a header that claims
 * huge dims cannot make the reader allocate more than the stream holds.
 * Complexity: O(bytes). Thread-safety: reentrant.
 */
#include <limits.h>
#include <string.h>
#include <zlib.h>

#include "cml/data.h"
#include "data/data_internal.h"

#define IDX_MAX_DIMS 16

static size_t type_size(int t)
{
    switch (t) {
    case 0x08:
    case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C:
    case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
    }
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Header checks; on success *hdr is the header size and *rows, *cols the
 * shape. `have` bytes are available (maybe fewer than the whole file, for
 * an early check while inflating): returns CML_OK with *hdr = 0 when more
 * bytes are needed to decide. */
static cml_status parse_header(const uint8_t *b, size_t have, const char *name, size_t *hdr,
                               int64_t *rows, int64_t *cols)
{
    *hdr = 0;
    if (have < 4) return CML_OK;
    if (b[0] != 0 || b[1] != 0 || !type_size(b[2]))
        return cml_fail(CML_ERR_FORMAT,
                        "%s: not an IDX file (magic %02x %02x %02x %02x; expected 00 00 TT ND "
                        "with TT in 08 09 0B 0C 0D 0E)",
                        name, b[0], b[1], b[2], b[3]);
    int nd = b[3];
    if (nd < 1 || nd > IDX_MAX_DIMS)
        return cml_fail(CML_ERR_FORMAT, "%s: IDX header has %d dims; expected 1 to %d", name, nd,
                        IDX_MAX_DIMS);
    size_t h = 4 + 4 * (size_t)nd;
    if (have < h) return CML_OK;
    int64_t r = be32(b + 4), c = 1;
    for (int k = 1; k < nd; k++) {
        int64_t d = be32(b + 4 + 4 * k);
        if (d != 0 && c > INT64_MAX / 8 / d)
            return cml_fail(CML_ERR_FORMAT, "%s: IDX dims overflow", name);
        c *= d;
    }
    if (r == 0 || c == 0) return cml_fail(CML_ERR_FORMAT, "%s: IDX file has no elements", name);
    if (r > INT64_MAX / 8 / c) return cml_fail(CML_ERR_FORMAT, "%s: IDX dims overflow", name);
    *hdr = h;
    *rows = r;
    *cols = c;
    return CML_OK;
}

/* Inflates a gzip stream (possibly several members) into a malloc'd buffer.
 * Stops with an error as soon as the output exceeds what the IDX header
 * promises. */
static cml_status gunzip(const uint8_t *in, size_t len, const char *name, uint8_t **out,
                         size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return cml_fail(CML_ERR_NOMEM, "%s: zlib initialisation failed", name);
    cml_status st = CML_OK;
    size_t cap = 1 << 16, have = 0, expect = 0;
    uint8_t *buf = cml_malloc(cap);
    if (!buf) {
        inflateEnd(&z);
        return CML_ERR_NOMEM;
    }
    size_t fed = 0;
    for (;;) {
        if (z.avail_in == 0 && fed < len) {
            size_t n = len - fed < UINT_MAX ? len - fed : UINT_MAX;
            z.next_in = (Bytef *)(in + fed);
            z.avail_in = (uInt)n;
            fed += n;
        }
        if (have == cap) {
            size_t ncap = cap * 2;
            if (expect && ncap > expect + 1) ncap = expect + 1; /* +1 detects extra bytes */
            uint8_t *nb = cml_realloc(buf, ncap);
            if (!nb) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t room = cap - have < UINT_MAX ? cap - have : UINT_MAX;
        z.next_out = buf + have;
        z.avail_out = (uInt)room;
        int zr = inflate(&z, Z_NO_FLUSH);
        have += room - z.avail_out;
        if (!expect) {
            size_t h;
            int64_t r, c;
            CML_TRY(parse_header(buf, have, name, &h, &r, &c));
            if (h) {
                uint64_t total = (uint64_t)r * (uint64_t)c * type_size(buf[2]);
                if (total > SIZE_MAX - h - 1) {
                    st = cml_fail(CML_ERR_FORMAT, "%s: IDX dims overflow", name);
                    goto fail;
                }
                expect = h + (size_t)total;
            }
        }
        if (expect && have > expect) {
            st = cml_fail(CML_ERR_FORMAT, "%s: more data than the IDX dims describe", name);
            goto fail;
        }
        if (zr == Z_STREAM_END) {
            if (z.avail_in == 0 && fed == len) break;
            /* Another gzip member follows (as `cat a.gz b.gz` makes). */
            if (inflateReset(&z) != Z_OK) {
                st = cml_fail(CML_ERR_FORMAT, "%s: corrupt gzip stream", name);
                goto fail;
            }
            continue;
        }
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && fed == len) {
            st = cml_fail(CML_ERR_FORMAT, "%s: truncated gzip stream", name);
            goto fail;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            st = cml_fail(zr == Z_MEM_ERROR ? CML_ERR_NOMEM : CML_ERR_FORMAT,
                          "%s: corrupt gzip stream (%s)", name, z.msg ? z.msg : "zlib error");
            goto fail;
        }
    }
    inflateEnd(&z);
    *out = buf;
    *out_len = have;
    return CML_OK;
fail:
    inflateEnd(&z);
    free(buf);
    return st;
}

static cml_status decode(const uint8_t *b, size_t len, const char *name, double **data,
                         int64_t *rows, int64_t *cols)
{
    size_t h;
    int64_t r, c;
    CML_CHECK(parse_header(b, len, name, &h, &r, &c));
    if (!h) return cml_fail(CML_ERR_FORMAT, "%s: truncated IDX header (%zu bytes)", name, len);
    const int t = b[2];
    const size_t es = type_size(t);
    const uint64_t n = (uint64_t)r * (uint64_t)c;
    const size_t payload = len - h;
    if (payload / es != n || payload % es != 0)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: IDX dims (%lld x %lld) need %llu bytes of data, file has %zu", name,
                        (long long)r, (long long)c, (unsigned long long)(n * es), payload);
    double *d = cml_alloc_array((int64_t)n, sizeof *d);
    if (!d) return CML_ERR_NOMEM;
    const uint8_t *p = b + h;
    switch (t) {
    case 0x08:
        for (uint64_t i = 0; i < n; i++)
            d[i] = p[i];
        break;
    case 0x09:
        for (uint64_t i = 0; i < n; i++)
            d[i] = (int8_t)p[i];
        break;
    case 0x0B:
        for (uint64_t i = 0; i < n; i++)
            d[i] = (int16_t)(uint16_t)(p[2 * i] << 8 | p[2 * i + 1]);
        break;
    case 0x0C:
        for (uint64_t i = 0; i < n; i++)
            d[i] = (int32_t)be32(p + 4 * i);
        break;
    case 0x0D:
        for (uint64_t i = 0; i < n; i++) {
            uint32_t u = be32(p + 4 * i);
            float f;
            memcpy(&f, &u, sizeof f);
            d[i] = f;
        }
        break;
    default: /* 0x0E */
        for (uint64_t i = 0; i < n; i++) {
            uint64_t u = be64(p + 8 * i);
            memcpy(&d[i], &u, sizeof u);
        }
        break;
    }
    *data = d;
    *rows = r;
    *cols = c;
    return CML_OK;
}

cml_status cml_idx_read_mem(const void *buf, size_t len, const char *name, double **data,
                            int64_t *rows, int64_t *cols)
{
    if (!data || !rows || !cols) return cml_fail(CML_ERR_ARG, "cml_idx_read: NULL output");
    *data = NULL;
    *rows = *cols = 0;
    if (!buf && len) return cml_fail(CML_ERR_ARG, "cml_idx_read: buf is NULL");
    if (!name) name = "<memory>";
    const uint8_t *b = buf;
    if (len == 0) return cml_fail(CML_ERR_FORMAT, "%s: empty file", name);
    if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        uint8_t *raw = NULL;
        size_t n = 0;
        CML_CHECK(gunzip(b, len, name, &raw, &n));
        cml_status st = decode(raw, n, name, data, rows, cols);
        free(raw);
        return st;
    }
    return decode(b, len, name, data, rows, cols);
}

cml_status cml_idx_read(const char *path, double **data, int64_t *rows, int64_t *cols)
{
    if (!data || !rows || !cols) return cml_fail(CML_ERR_ARG, "cml_idx_read: NULL output");
    *data = NULL;
    *rows = *cols = 0;
    char *buf;
    size_t len;
    CML_CHECK(cml_read_file(path, &buf, &len));
    cml_status st = cml_idx_read_mem(buf, len, path, data, rows, cols);
    free(buf);
    return st;
}
