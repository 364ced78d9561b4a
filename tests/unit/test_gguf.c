/*
 * test_gguf.c — the model container: round trips of every value type,
 * scopes, and rejection of truncated, corrupt, newer and hostile files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/gguf.h"
#include "golden.h"

static uint8_t *build_sample(size_t *len)
{
    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_non_null(w);
    const char *strs[] = {"alpha", "", "gamma with spaces"};
    int64_t ints[] = {-5, 0, INT64_MAX};
    double dbl[] = {1.5, -0.0, 1e-300};
    double mat[6] = {1, 2, 3, 4, 5, 6};
    int32_t idx[3] = {7, -8, 9};
    assert_int_equal(cml_gguf_set_str(w, "cml.kind", "unit"), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "n", -42), CML_OK);
    assert_int_equal(cml_gguf_set_u32(w, "u", 4000000000u), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "pi", 3.141592653589793), CML_OK);
    assert_int_equal(cml_gguf_set_bool(w, "flag", 1), CML_OK);
    assert_int_equal(cml_gguf_set_arr_str(w, "names", strs, 3), CML_OK);
    assert_int_equal(cml_gguf_set_arr_i64(w, "ints", ints, 3), CML_OK);
    assert_int_equal(cml_gguf_set_arr_f64(w, "dbl", dbl, 3), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "coef", mat, 2, 3), CML_OK);
    assert_int_equal(cml_gguf_add_i32(w, "idx", idx, 3), CML_OK);
    assert_int_equal(cml_gguf_writer_set_scope(w, "step.0."), CML_OK);
    assert_int_equal(cml_gguf_set_str(w, "cml.kind", "inner"), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "coef", dbl, 1, 3), CML_OK);
    uint8_t *buf;
    assert_int_equal(cml_gguf_write_mem(w, &buf, len), CML_OK);
    cml_gguf_writer_free(w);
    return buf;
}

static void test_round_trip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = build_sample(&len);
    assert_memory_equal(buf, "GGUF", 4);
    assert_int_equal(buf[4], 3); /* version, little-endian */
    cml_gguf *g;
    assert_int_equal(cml_gguf_read_mem(buf, len, "sample", &g), CML_OK);
    const char *s;
    int64_t i64;
    double f;
    int b;
    assert_int_equal(cml_gguf_get_str(g, "cml.kind", &s), CML_OK);
    assert_string_equal(s, "unit");
    assert_int_equal(cml_gguf_get_i64(g, "n", &i64), CML_OK);
    assert_int_equal(i64, -42);
    assert_int_equal(cml_gguf_get_i64(g, "u", &i64), CML_OK);
    assert_int_equal(i64, 4000000000LL);
    assert_int_equal(cml_gguf_get_f64(g, "pi", &f), CML_OK);
    assert_true(f == 3.141592653589793);
    assert_int_equal(cml_gguf_get_bool(g, "flag", &b), CML_OK);
    assert_int_equal(b, 1);

    const char **names;
    int64_t n;
    assert_int_equal(cml_gguf_get_arr_str(g, "names", &names, &n), CML_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "alpha");
    assert_string_equal(names[1], "");
    assert_string_equal(names[2], "gamma with spaces");
    free(names);
    int64_t *ints;
    assert_int_equal(cml_gguf_get_arr_i64(g, "ints", &ints, &n), CML_OK);
    assert_int_equal(ints[0], -5);
    assert_int_equal(ints[2], INT64_MAX);
    free(ints);
    double *dbl;
    assert_int_equal(cml_gguf_get_arr_f64(g, "dbl", &dbl, &n), CML_OK);
    assert_true(dbl[2] == 1e-300 && signbit(dbl[1]));
    free(dbl);

    double mat[6];
    assert_int_equal(cml_gguf_read_f64(g, "coef", 2, 3, mat), CML_OK);
    for (int k = 0; k < 6; k++)
        assert_true(mat[k] == k + 1);
    /* wrong shape is a format error naming the tensor */
    assert_int_equal(cml_gguf_read_f64(g, "coef", 3, 2, mat), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "coef"));
    int32_t idx[3];
    assert_int_equal(cml_gguf_read_i32(g, "idx", 3, idx), CML_OK);
    assert_int_equal(idx[1], -8);
    /* type mismatches */
    assert_int_equal(cml_gguf_get_f64(g, "cml.kind", &f), CML_ERR_FORMAT);
    assert_int_equal(cml_gguf_get_str(g, "missing.key", &s), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "missing.key"));

    /* scoped view */
    assert_int_equal(cml_gguf_set_scope(g, "step.0."), CML_OK);
    assert_int_equal(cml_gguf_get_str(g, "cml.kind", &s), CML_OK);
    assert_string_equal(s, "inner");
    double v3[3];
    assert_int_equal(cml_gguf_read_f64(g, "coef", 1, 3, v3), CML_OK);
    assert_true(v3[0] == 1.5);
    assert_false(cml_gguf_has(g, "n"));
    cml_gguf_set_scope(g, "");
    assert_true(cml_gguf_has(g, "n"));

    /* JSON rendering of metadata for `cml info` */
    int found = 0;
    for (int64_t k = 0; k < cml_gguf_n_kv(g); k++)
        if (strcmp(cml_gguf_kv_key(g, k), "names") == 0) {
            char *js = cml_gguf_kv_json(g, k, 2);
            assert_string_equal(js, "[\"alpha\",\"\",\"... 1 more\"]");
            free(js);
            found = 1;
        }
    assert_true(found);
    cml_gguf_free(g);
    free(buf);
}

static void test_writer_rejects_duplicates_and_reserved(void **state)
{
    (void)state;
    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_int_equal(cml_gguf_set_i64(w, "a", 1), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "a", 2), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "twice"));
    assert_int_equal(cml_gguf_set_i64(w, "cml.crc32", 2), CML_ERR_ARG);
    double d = 1;
    assert_int_equal(cml_gguf_add_f64(w, "t", &d, 1, 1), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "t", &d, 1, 1), CML_ERR_ARG);
    cml_gguf_writer_free(w);
}

/* Every prefix of a valid file must be rejected cleanly (no crash, no
 * leak under ASan), and every single-byte flip either rejected or parsed. */
static void test_truncation_and_corruption(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = build_sample(&len);
    for (size_t cut = 0; cut < len; cut++) {
        cml_gguf *g = NULL;
        cml_status st = cml_gguf_read_mem(buf, cut, "cut", &g);
        if (st == CML_OK) fail_msg("prefix of %zu/%zu bytes accepted", cut, len);
        assert_null(g);
    }
    int rejected_data_flips = 0, data_flips = 0;
    for (size_t pos = 0; pos < len; pos++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, buf, len);
        copy[pos] ^= 0x5a;
        cml_gguf *g = NULL;
        cml_status st = cml_gguf_read_mem(copy, len, "flip", &g);
        if (pos >= len - 64) { /* inside the tensor data section */
            data_flips++;
            rejected_data_flips += st == CML_ERR_FORMAT;
        }
        cml_gguf_free(g);
        free(copy);
    }
    /* the CRC catches every flip in the payload */
    assert_int_equal(rejected_data_flips, data_flips);
    free(buf);
}

static void test_versions_and_magic(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = build_sample(&len);
    cml_gguf *g;
    buf[4] = 4; /* a future version */
    assert_int_equal(cml_gguf_read_mem(buf, len, "v4.gguf", &g), CML_ERR_VERSION);
    assert_non_null(strstr(cml_last_error(), "v4.gguf"));
    buf[4] = 1;
    assert_int_equal(cml_gguf_read_mem(buf, len, "v1", &g), CML_ERR_VERSION);
    buf[4] = 3;
    buf[0] = 'X';
    assert_int_equal(cml_gguf_read_mem(buf, len, "junk", &g), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "magic"));
    free(buf);
}

static void test_hostile_counts(void **state)
{
    (void)state;
    /* header claiming 2^60 keys in a 24-byte file: rejected, nothing huge allocated */
    uint8_t h[24] = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
    h[16 + 7] = 0x10;
    cml_gguf *g;
    assert_int_equal(cml_gguf_read_mem(h, sizeof h, "hostile", &g), CML_ERR_FORMAT);
    /* a string length of 2^63 */
    uint8_t s[40] = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0,
                     0,   0,   0,   0,   1, 0, 0, 0, 0, 0, 0, 0};
    s[24 + 7] = 0x80;
    assert_int_equal(cml_gguf_read_mem(s, sizeof s, "hostile", &g), CML_ERR_FORMAT);
}

static void test_file_round_trip_and_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/cml_test_gguf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_int_equal(cml_gguf_set_str(w, "k", "v"), CML_OK);
    assert_int_equal(cml_gguf_write_file(w, path), CML_OK);
    cml_gguf_writer_free(w);
    cml_gguf *g;
    assert_int_equal(cml_gguf_read_file(path, &g), CML_OK);
    cml_gguf_free(g);
    remove(path);
    assert_int_equal(cml_gguf_read_file(path, &g), CML_ERR_IO);
    assert_non_null(strstr(cml_last_error(), path));
    w = cml_gguf_writer_new();
    assert_int_equal(cml_gguf_write_file(w, "/nonexistent-dir/x.gguf"), CML_ERR_IO);
    cml_gguf_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_writer_rejects_duplicates_and_reserved),
        cmocka_unit_test(test_truncation_and_corruption),
        cmocka_unit_test(test_versions_and_magic),
        cmocka_unit_test(test_hostile_counts),
        cmocka_unit_test(test_file_round_trip_and_errors),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
