/*
 * test_csv_text.c — the CSV reader's text columns (cml_csv_opts.text_col
 * and schema columns of kind CML_COL_TEXT): cell strings kept exactly as
 * in the file (quotes undone, embedded separators / newlines / CRLF, no
 * missing markers), NaN matrix cells, other columns typed as usual; the
 * schema round trip through GGUF; errors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/data.h"
#include "cml/gguf.h"
#include "helpers/golden.h"

static const char CSV[] = "id,body,label\r\n"
                          "1,\"Hello, \"\"world\"\"\nsecond line\",spam\r\n"
                          "2,NA,ham\r\n"
                          "3,,ham\r\n"
                          "4,  spaced  ,spam\r\n";

static void test_text_col(void **state)
{
    (void)state;
    cml_csv_opts o = cml_csv_opts_default();
    o.text_col = "body";
    cml_table *t;
    assert_int_equal(cml_csv_read_mem(CSV, sizeof CSV - 1, "m.csv", &o, &t), CML_OK);
    assert_int_equal(t->rows, 4);
    assert_int_equal(t->columns[1].kind, CML_COL_TEXT);
    assert_int_equal(t->columns[2].kind, CML_COL_CATEGORICAL);
    assert_int_equal(t->columns[0].kind, CML_COL_NUMERIC);
    const char *const *s = cml_table_text(t, 1);
    assert_non_null(s);
    assert_null(cml_table_text(t, 0));
    assert_null(cml_table_text(t, 7));
    assert_string_equal(s[0], "Hello, \"world\"\nsecond line");
    assert_string_equal(s[1], "NA"); /* no missing markers in text */
    assert_string_equal(s[2], "");
    assert_string_equal(s[3], "  spaced  ");
    for (int64_t i = 0; i < 4; i++) {
        assert_true(isnan(t->data[i * 3 + 1]));
        assert_true(t->data[i * 3] == (double)(i + 1));
    }
    /* split_target keeps the kind, not the strings */
    cml_table *X;
    double *y;
    assert_int_equal(cml_table_split_target(t, 2, &X, &y), CML_OK);
    assert_int_equal(X->columns[1].kind, CML_COL_TEXT);
    assert_null(cml_table_text(X, 1));
    cml_table_free(X);
    free(y);

    /* the schema (text kind) round trip, then a file read through it */
    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_int_equal(cml_columns_save(w, "cml.schema.features", t->columns, 2), CML_OK);
    assert_int_equal(cml_gguf_write_file(w, "tmp_csv_text.gguf"), CML_OK);
    cml_gguf_writer_free(w);
    cml_gguf *g;
    assert_int_equal(cml_gguf_read_file("tmp_csv_text.gguf", &g), CML_OK);
    remove("tmp_csv_text.gguf");
    cml_column *cols;
    int64_t n;
    assert_int_equal(cml_columns_load(g, "cml.schema.features", &cols, &n), CML_OK);
    cml_gguf_free(g);
    assert_int_equal(n, 2);
    assert_int_equal(cols[1].kind, CML_COL_TEXT);
    static const char NEW[] = "body,extra,id\n\"a, b\",x,7\nplain,y,8\n";
    cml_csv_opts so = cml_csv_opts_default();
    so.schema = cols;
    so.schema_cols = n;
    cml_table *u;
    assert_int_equal(cml_csv_read_mem(NEW, sizeof NEW - 1, "n.csv", &so, &u), CML_OK);
    assert_int_equal(u->cols, 2);
    assert_string_equal(cml_table_text(u, 1)[0], "a, b");
    assert_string_equal(cml_table_text(u, 1)[1], "plain");
    assert_true(u->data[0] == 7.0 && u->data[2] == 8.0);
    cml_table_free(u);
    cml_columns_free(cols, n);
    cml_table_free(t);
}

static void test_errors(void **state)
{
    (void)state;
    cml_csv_opts o = cml_csv_opts_default();
    o.text_col = "nope";
    cml_table *t;
    assert_int_equal(cml_csv_read_mem(CSV, sizeof CSV - 1, "m.csv", &o, &t), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "nope"));
    /* without a header, columns are c0, c1, ... */
    static const char NOHDR[] = "1,hello there\n2,bye now\n";
    o.text_col = "c1";
    o.header = 0;
    assert_int_equal(cml_csv_read_mem(NOHDR, sizeof NOHDR - 1, "h.csv", &o, &t), CML_OK);
    assert_string_equal(cml_table_text(t, 1)[1], "bye now");
    cml_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_col),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
