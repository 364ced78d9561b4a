/*
 * test_schema.c — column schemas through the GGUF container: save -> load
 * round trip (names, kinds, levels, also with a writer scope), the loaded
 * schema driving the CSV reader exactly as the original does, and corrupt
 * metadata rejected with CML_ERR_FORMAT naming the key.
 */
#include <stdlib.h>
#include <string.h>

#include "cml/data.h"
#include "helpers/golden.h"

static cml_gguf *roundtrip(cml_gguf_writer *w)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(cml_gguf_write_mem(w, &buf, &len), CML_OK);
    cml_gguf *g;
    assert_int_equal(cml_gguf_read_mem(buf, len, "m.gguf", &g), CML_OK);
    free(buf);
    return g;
}

static void test_roundtrip(void **state)
{
    (void)state;
    cml_table *t;
    const char csv[] = "num,color,size,\"we,ird\"\n1,red,S,\"a\"\"b\"\n2,blue,M,c\n3,red,,c\n";
    assert_int_equal(cml_csv_read_mem(csv, sizeof csv - 1, "f.csv", NULL, &t), CML_OK);
    for (int scoped = 0; scoped < 2; scoped++) {
        cml_gguf_writer *w = cml_gguf_writer_new();
        assert_non_null(w);
        if (scoped) assert_int_equal(cml_gguf_writer_set_scope(w, "prep.0."), CML_OK);
        assert_int_equal(cml_columns_save(w, "cml.schema.features", t->columns, t->cols), CML_OK);
        cml_gguf *g = roundtrip(w);
        cml_gguf_writer_free(w);
        if (scoped) {
            assert_true(cml_gguf_has(g, "prep.0.cml.schema.features.levels.1"));
            assert_int_equal(cml_gguf_set_scope(g, "prep.0."), CML_OK);
        }
        cml_column *c;
        int64_t n;
        assert_int_equal(cml_columns_load(g, "cml.schema.features", &c, &n), CML_OK);
        assert_int_equal(n, 4);
        for (int64_t j = 0; j < n; j++) {
            assert_string_equal(c[j].name, t->columns[j].name);
            assert_int_equal(c[j].kind, t->columns[j].kind);
            assert_int_equal(c[j].n_levels, t->columns[j].n_levels);
            for (int64_t l = 0; l < c[j].n_levels; l++)
                assert_string_equal(c[j].levels[l], t->columns[j].levels[l]);
        }
        assert_int_equal(c[0].kind, CML_COL_NUMERIC);
        assert_string_equal(c[3].levels[0], "a\"b");
        /* The loaded schema reads new data into the same codes. */
        cml_csv_opts o = cml_csv_opts_default();
        o.schema = c;
        o.schema_cols = n;
        cml_table *t2;
        const char more[] = "size,\"we,ird\",color,num\nM,c,blue,5\nS,\"a\"\"b\",red,6\n";
        assert_int_equal(cml_csv_read_mem(more, sizeof more - 1, "p.csv", &o, &t2), CML_OK);
        const double want[] = {5, 0, 0, 1, 6, 1, 1, 0};
        assert_memory_equal(t2->data, want, sizeof want);
        cml_table_free(t2);
        cml_columns_free(c, n);
        cml_gguf_free(g);
    }
    cml_table_free(t);
    cml_columns_free(NULL, 3);
}

static void test_corrupt(void **state)
{
    (void)state;
    cml_column *c;
    int64_t n;
    const char *names[] = {"a", "b"};
    /* kinds length differs from names */
    cml_gguf_writer *w = cml_gguf_writer_new();
    const int64_t k1[] = {0};
    cml_gguf_set_arr_str(w, "s.names", names, 2);
    cml_gguf_set_arr_i64(w, "s.kinds", k1, 1);
    cml_gguf *g = roundtrip(w);
    cml_gguf_writer_free(w);
    assert_int_equal(cml_columns_load(g, "s", &c, &n), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "s.kinds"));
    assert_null(c);
    cml_gguf_free(g);
    /* unknown kind */
    w = cml_gguf_writer_new();
    const int64_t k2[] = {0, 7};
    cml_gguf_set_arr_str(w, "s.names", names, 2);
    cml_gguf_set_arr_i64(w, "s.kinds", k2, 2);
    g = roundtrip(w);
    cml_gguf_writer_free(w);
    assert_int_equal(cml_columns_load(g, "s", &c, &n), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "unknown kind 7"));
    cml_gguf_free(g);
    /* categorical without levels; then unsorted levels */
    for (int v = 0; v < 2; v++) {
        w = cml_gguf_writer_new();
        const int64_t k3[] = {1, 0};
        const char *lv[] = {"z", "a"};
        cml_gguf_set_arr_str(w, "s.names", names, 2);
        cml_gguf_set_arr_i64(w, "s.kinds", k3, 2);
        if (v) cml_gguf_set_arr_str(w, "s.levels.0", lv, 2);
        g = roundtrip(w);
        cml_gguf_writer_free(w);
        assert_int_equal(cml_columns_load(g, "s", &c, &n), CML_ERR_FORMAT);
        assert_non_null(strstr(cml_last_error(), "s.levels.0"));
        if (v) assert_non_null(strstr(cml_last_error(), "sorted"));
        cml_gguf_free(g);
    }
    /* missing entirely */
    w = cml_gguf_writer_new();
    g = roundtrip(w);
    cml_gguf_writer_free(w);
    assert_int_equal(cml_columns_load(g, "s", &c, &n), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "s.names"));
    cml_gguf_free(g);
    /* bad input to save */
    w = cml_gguf_writer_new();
    cml_column bad = {"x", (cml_col_kind)5, 0, NULL};
    assert_int_equal(cml_columns_save(w, "s", &bad, 1), CML_ERR_ARG);
    cml_gguf_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
