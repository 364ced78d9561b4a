/*
 * test_idx.c — the IDX reader: every element type, big-endian decoding,
 * 1-D label files, gzip (and two concatenated gzip members), size checks
 * (truncated, trailing bytes, overflowing dims, bad magic), and the real
 * Fashion-MNIST files from Debian's dataset-fashion-mnist when installed
 * (t10k: 10000 x 784 u8 images, 1000 labels per class; skipped otherwise).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cml/data.h"
#include "helpers/golden.h"

#define FMNIST "/usr/share/datasets/fashion-mnist/"

static size_t header(uint8_t *b, int type, int nd, const uint32_t *dims)
{
    b[0] = b[1] = 0;
    b[2] = (uint8_t)type;
    b[3] = (uint8_t)nd;
    for (int k = 0; k < nd; k++)
        for (int i = 0; i < 4; i++)
            b[4 + 4 * k + i] = (uint8_t)(dims[k] >> (24 - 8 * i));
    return 4 + 4 * (size_t)nd;
}

static void test_types(void **state)
{
    (void)state;
    uint8_t b[256];
    double *d;
    int64_t r, c;
    const uint32_t dims[] = {2, 3};
    /* u8 */
    size_t h = header(b, 0x08, 2, dims);
    for (int i = 0; i < 6; i++)
        b[h + i] = (uint8_t)(250 + i);
    assert_int_equal(cml_idx_read_mem(b, h + 6, "t.idx", &d, &r, &c), CML_OK);
    assert_int_equal(r, 2);
    assert_int_equal(c, 3);
    for (int i = 0; i < 6; i++)
        assert_true(d[i] == 250 + i);
    free(d);
    /* i8 */
    b[2] = 0x09;
    assert_int_equal(cml_idx_read_mem(b, h + 6, "t.idx", &d, &r, &c), CML_OK);
    assert_true(d[0] == -6 && d[5] == -1);
    free(d);
    /* i16: -2, 258 ... */
    h = header(b, 0x0B, 2, dims);
    const uint8_t i16[] = {0xff, 0xfe, 0x01, 0x02, 0, 0, 0x7f, 0xff, 0x80, 0, 0, 1};
    memcpy(b + h, i16, sizeof i16);
    assert_int_equal(cml_idx_read_mem(b, h + 12, "t.idx", &d, &r, &c), CML_OK);
    const double w16[] = {-2, 258, 0, 32767, -32768, 1};
    assert_memory_equal(d, w16, sizeof w16);
    free(d);
    /* i32 */
    const uint32_t d1[] = {2};
    h = header(b, 0x0C, 1, d1);
    const uint8_t i32[] = {0xff, 0xff, 0xff, 0xfd, 0x00, 0x01, 0x00, 0x00};
    memcpy(b + h, i32, sizeof i32);
    assert_int_equal(cml_idx_read_mem(b, h + 8, "t.idx", &d, &r, &c), CML_OK);
    assert_int_equal(c, 1);
    assert_true(d[0] == -3 && d[1] == 65536);
    free(d);
    /* f32: 1.5, -0.25 */
    h = header(b, 0x0D, 1, d1);
    const uint8_t f32[] = {0x3f, 0xc0, 0, 0, 0xbe, 0x80, 0, 0};
    memcpy(b + h, f32, sizeof f32);
    assert_int_equal(cml_idx_read_mem(b, h + 8, "t.idx", &d, &r, &c), CML_OK);
    assert_true(d[0] == 1.5 && d[1] == -0.25);
    free(d);
    /* f64: pi, -inf */
    h = header(b, 0x0E, 1, d1);
    const uint8_t f64[] = {0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18,
                           0xff, 0xf0, 0,    0,    0,    0,    0,    0};
    memcpy(b + h, f64, sizeof f64);
    assert_int_equal(cml_idx_read_mem(b, h + 16, "t.idx", &d, &r, &c), CML_OK);
    assert_true(d[0] == 3.141592653589793 && isinf(d[1]) && d[1] < 0);
    free(d);
    /* 3-D: (n, 2, 2) -> cols 4 */
    const uint32_t d3[] = {1, 2, 2};
    h = header(b, 0x08, 3, d3);
    memset(b + h, 7, 4);
    assert_int_equal(cml_idx_read_mem(b, h + 4, "t.idx", &d, &r, &c), CML_OK);
    assert_true(r == 1 && c == 4 && d[3] == 7);
    free(d);
}

static void expect_err(const void *b, size_t n, const char *what)
{
    double *d = (double *)0x1;
    int64_t r, c;
    cml_status st = cml_idx_read_mem(b, n, "t.idx", &d, &r, &c);
    if (st != CML_ERR_FORMAT || !strstr(cml_last_error(), what))
        fail_msg("status %s, message '%s'; expected format, '%s'", cml_status_name(st),
                 cml_last_error(), what);
    assert_null(d);
}

static void test_errors(void **state)
{
    (void)state;
    uint8_t b[64];
    const uint32_t dims[] = {2, 3};
    size_t h = header(b, 0x08, 2, dims);
    memset(b + h, 1, 7);
    expect_err(b, h + 5, "t.idx: IDX dims (2 x 3) need 6 bytes of data, file has 5");
    expect_err(b, h + 7, "need 6 bytes of data, file has 7");
    expect_err(b, 6, "truncated IDX header");
    expect_err(b, 0, "t.idx: empty file");
    b[2] = 0x0A;
    expect_err(b, h + 6, "not an IDX file");
    b[2] = 0x08;
    b[0] = 1;
    expect_err(b, h + 6, "not an IDX file");
    b[0] = 0;
    b[3] = 0;
    expect_err(b, h + 6, "0 dims");
    const uint32_t huge[] = {0xffffffffu, 0xffffffffu, 0xffffffffu};
    h = header(b, 0x0E, 3, huge);
    expect_err(b, h + 8, "overflow");
    const uint32_t zero[] = {0, 5};
    h = header(b, 0x08, 2, zero);
    expect_err(b, h, "no elements");
    /* gzip garbage and truncation */
    const uint8_t gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad};
    expect_err(gz, sizeof gz, "gzip");
}

/* Writes raw bytes to path (gzip'd when gz), returns 0 on success. */
static void write_file(const char *path, const uint8_t *b, size_t n, int gz, int members)
{
    if (!gz) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(b, 1, n, f), n);
        fclose(f);
        return;
    }
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    size_t half = members > 1 ? n / 2 : n;
    assert_int_equal(gzwrite(g, b, (unsigned)half), (int)half);
    gzclose(g);
    if (members > 1) {
        g = gzopen(path, "ab");
        assert_int_equal(gzwrite(g, b + half, (unsigned)(n - half)), (int)(n - half));
        gzclose(g);
    }
}

static void test_files_gzip(void **state)
{
    (void)state;
    uint8_t b[4096];
    const uint32_t dims[] = {100, 10};
    size_t h = header(b, 0x08, 2, dims);
    for (int i = 0; i < 1000; i++)
        b[h + i] = (uint8_t)(i * 7);
    char path[] = "/tmp/cml_test_idx_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    for (int mode = 0; mode < 3; mode++) {
        write_file(path, b, h + 1000, mode > 0, mode == 2 ? 2 : 1);
        double *d;
        int64_t r, c;
        assert_int_equal(cml_idx_read(path, &d, &r, &c), CML_OK);
        assert_true(r == 100 && c == 10);
        for (int i = 0; i < 1000; i++)
            assert_true(d[i] == (uint8_t)(i * 7));
        free(d);
    }
    /* Truncated gzip, and gzip with one byte too many inside. */
    write_file(path, b, h + 999, 1, 1);
    double *d;
    int64_t r, c;
    assert_int_equal(cml_idx_read(path, &d, &r, &c), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "need 1000 bytes of data, file has 999"));
    write_file(path, b, h + 1001, 1, 1);
    assert_int_equal(cml_idx_read(path, &d, &r, &c), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "more data than the IDX dims"));
    write_file(path, b, h + 1000, 1, 1);
    FILE *f = fopen(path, "rb");
    uint8_t z[8192];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    expect_err(z, zn - 9, "truncated gzip stream");
    unlink(path);
    assert_int_equal(cml_idx_read("/nonexistent.idx", &d, &r, &c), CML_ERR_IO);
}

static void test_fashion_mnist(void **state)
{
    (void)state;
    if (access(FMNIST "t10k-images-idx3-ubyte.gz", R_OK) != 0) skip();
    double *X, *y;
    int64_t r, c, ry, cy;
    assert_int_equal(cml_idx_read(FMNIST "t10k-images-idx3-ubyte.gz", &X, &r, &c), CML_OK);
    assert_int_equal(r, 10000);
    assert_int_equal(c, 784);
    double mn = 1e9, mx = -1e9;
    for (int64_t i = 0; i < r * c; i++) {
        mn = fmin(mn, X[i]);
        mx = fmax(mx, X[i]);
        assert_true(X[i] == floor(X[i]));
    }
    assert_true(mn == 0 && mx == 255);
    assert_int_equal(cml_idx_read(FMNIST "t10k-labels-idx1-ubyte.gz", &y, &ry, &cy), CML_OK);
    assert_int_equal(ry, 10000);
    assert_int_equal(cy, 1);
    int64_t cnt[10] = {0};
    for (int64_t i = 0; i < ry; i++) {
        assert_true(y[i] >= 0 && y[i] <= 9);
        cnt[(int)y[i]]++;
    }
    for (int k = 0; k < 10; k++)
        assert_int_equal(cnt[k], 1000);
    free(X);
    free(y);
    if (access(FMNIST "train-labels-idx1-ubyte.gz", R_OK) == 0) {
        assert_int_equal(cml_idx_read(FMNIST "train-labels-idx1-ubyte.gz", &y, &ry, &cy), CML_OK);
        assert_int_equal(ry, 60000);
        free(y);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_files_gzip),
        cmocka_unit_test(test_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
