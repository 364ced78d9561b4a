/*
 * test_csv.c — the CSV reader and writer: RFC 4180 quoting, CRLF/BOM, typing
 * (numeric vs categorical levels), missing values, schema mapping, every
 * bad-input case with the exact file:line:column of its message, the number
 * parser bit-for-bit against strtod on millions of random decimal strings,
 * the parallel path (same result for 1 and 2 threads), and the real data sets
 * in ../data against the test loader.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/data.h"
#include "core/internal.h"
#include "data/data_internal.h"
#include "helpers/golden.h"

/* Reads txt (exact length: may hold NULs) with opts; returns the status. */
static cml_status rd(const char *txt, size_t len, const cml_csv_opts *o, cml_table **t)
{
    return cml_csv_read_mem(txt, len, "t.csv", o, t);
}

#define RD(s, o, t) rd((s), sizeof(s) - 1, (o), (t))

/* The input must fail with `st` and a message starting with `prefix`. */
static void expect_err(const char *txt, size_t len, const cml_csv_opts *o, cml_status st,
                       const char *prefix)
{
    cml_table *t = (cml_table *)0x1;
    cml_status got = rd(txt, len, o, &t);
    if (got != st || strncmp(cml_last_error(), prefix, strlen(prefix)) != 0)
        fail_msg("status %s, message '%s'; expected %s, '%s...'", cml_status_name(got),
                 cml_last_error(), cml_status_name(st), prefix);
    assert_null(t);
}

#define ERR(s, o, prefix) expect_err((s), sizeof(s) - 1, (o), CML_ERR_FORMAT, (prefix))

static void test_basic_numeric(void **state)
{
    (void)state;
    cml_table *t;
    assert_int_equal(RD("a,b,c\n1,2.5,-3e2\n 4 ,\t5\t,6\n", NULL, &t), CML_OK);
    assert_int_equal(t->rows, 2);
    assert_int_equal(t->cols, 3);
    assert_string_equal(t->columns[0].name, "a");
    assert_string_equal(t->columns[2].name, "c");
    const double want[] = {1, 2.5, -300, 4, 5, 6};
    assert_memory_equal(t->data, want, sizeof want);
    for (int j = 0; j < 3; j++)
        assert_int_equal(t->columns[j].kind, CML_COL_NUMERIC);
    assert_int_equal(cml_table_find(t, "b"), 1);
    assert_int_equal(cml_table_find(t, "zz"), -1);
    cml_matrix m = cml_table_matrix(t);
    assert_int_equal(m.ld, 3);
    assert_ptr_equal(m.data, t->data);
    cml_table_free(t);
    cml_table_free(NULL);
}

static void test_missing_values(void **state)
{
    (void)state;
    cml_table *t;
    assert_int_equal(RD("x\n1\nNA\nNaN\nnan\n?\nN/A\nnull\n\"\"\n  \n\"NA\"\n-inf\n", NULL, &t),
                     CML_OK);
    assert_int_equal(t->columns[0].kind, CML_COL_NUMERIC);
    assert_int_equal(t->rows, 11);
    assert_true(t->data[0] == 1);
    for (int i = 1; i < 10; i++)
        assert_true(isnan(t->data[i]));
    assert_true(isinf(t->data[10]) && t->data[10] < 0);
    cml_table_free(t);
    /* Empty fields are missing; a lowercase "na" is not a missing marker. */
    assert_int_equal(RD("x,y\n1,\n,2\nna,3\n", NULL, &t), CML_OK);
    assert_true(isnan(t->data[1]) && isnan(t->data[2]));
    assert_int_equal(t->columns[0].kind, CML_COL_CATEGORICAL);
    cml_table_free(t);
}

static void test_categorical(void **state)
{
    (void)state;
    cml_table *t;
    /* Levels sorted by bytes (B < a < b), missing stays NaN, numbers in a string
     * column are strings. */
    assert_int_equal(RD("n,s\n1,b\n2,a\n3,NA\n4,B\n5,a\n6,10\n", NULL, &t), CML_OK);
    assert_int_equal(t->columns[0].kind, CML_COL_NUMERIC);
    const cml_column *s = &t->columns[1];
    assert_int_equal(s->kind, CML_COL_CATEGORICAL);
    assert_int_equal(s->n_levels, 4);
    assert_string_equal(s->levels[0], "10");
    assert_string_equal(s->levels[1], "B");
    assert_string_equal(s->levels[2], "a");
    assert_string_equal(s->levels[3], "b");
    const double codes[] = {3, 2, NAN, 1, 2, 0};
    for (int i = 0; i < 6; i++) {
        if (isnan(codes[i]))
            assert_true(isnan(t->data[i * 2 + 1]));
        else
            assert_true(t->data[i * 2 + 1] == codes[i]);
        assert_true(t->data[i * 2] == i + 1);
    }
    cml_table_free(t);
}

static void test_quotes(void **state)
{
    (void)state;
    cml_table *t;
    const char txt[] = "\"a,1\",\"b\"\"q\"\"\"\n"
                       "\"1.5\",\"x, \"\"y\"\"\"\n"
                       "2,\"multi\nline\"\n"
                       "3,plain\n";
    assert_int_equal(RD(txt, NULL, &t), CML_OK);
    assert_string_equal(t->columns[0].name, "a,1");
    assert_string_equal(t->columns[1].name, "b\"q\"");
    assert_int_equal(t->rows, 3);
    assert_true(t->data[0] == 1.5 && t->data[2] == 2 && t->data[4] == 3);
    const cml_column *c = &t->columns[1];
    assert_int_equal(c->n_levels, 3);
    assert_string_equal(c->levels[0], "multi\nline");
    assert_string_equal(c->levels[1], "plain");
    assert_string_equal(c->levels[2], "x, \"y\"");
    assert_true(t->data[1] == 2 && t->data[3] == 0 && t->data[5] == 1);
    cml_table_free(t);
}

static void test_crlf_bom_blank(void **state)
{
    (void)state;
    cml_table *t;
    assert_int_equal(RD("\xEF\xBB\xBFx,y\r\n1,2\r\n\r\n3,4\r\n\r\n\r\n", NULL, &t), CML_OK);
    assert_string_equal(t->columns[0].name, "x"); /* BOM not part of the name */
    assert_int_equal(t->rows, 2);
    const double want[] = {1, 2, 3, 4};
    assert_memory_equal(t->data, want, sizeof want);
    cml_table_free(t);
    /* No trailing newline; a final lone CR. */
    assert_int_equal(RD("x,y\n1,2\n3,4", NULL, &t), CML_OK);
    assert_int_equal(t->rows, 2);
    cml_table_free(t);
    assert_int_equal(RD("x,y\r\n1,2\r", NULL, &t), CML_OK);
    assert_int_equal(t->rows, 1);
    assert_true(t->data[1] == 2);
    cml_table_free(t);
    /* After CRLF + BOM, errors still count lines from the header = 1. */
    cml_csv_opts o = cml_csv_opts_default();
    ERR("\xEF\xBB\xBFx,y\r\n1,2\r\n\r\n3\r\n", &o, "t.csv:4:2: expected 2 fields, found 1");
}

static void test_sep_and_no_header(void **state)
{
    (void)state;
    cml_table *t;
    cml_csv_opts o = cml_csv_opts_default();
    o.sep = ';';
    /* A decimal comma is not a number: the column is categorical. */
    assert_int_equal(RD("a;b\n1,5;2\n", &o, &t), CML_OK);
    assert_int_equal(t->columns[0].kind, CML_COL_CATEGORICAL);
    assert_string_equal(t->columns[0].levels[0], "1,5");
    assert_true(t->data[1] == 2);
    cml_table_free(t);
    o.header = 0;
    o.sep = '\t';
    assert_int_equal(RD("1\t 2\n3\t4\n", &o, &t), CML_OK);
    assert_int_equal(t->rows, 2);
    assert_string_equal(t->columns[1].name, "c1");
    assert_true(t->data[1] == 2 && t->data[2] == 3);
    cml_table_free(t);
    o.sep = '|';
    o.header = 1;
    assert_int_equal(RD("a|b\n1|x,y\n", &o, &t), CML_OK);
    assert_string_equal(t->columns[1].levels[0], "x,y");
    cml_table_free(t);
    o.sep = 'x';
    assert_int_equal(RD("a\n1\n", &o, &t), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "sep"));
}

static void test_errors(void **state)
{
    (void)state;
    cml_csv_opts o = cml_csv_opts_default();
    /* Ragged rows: line, and the first missing (or extra) field. */
    ERR("a,b,c\n1,2,3\n4,5\n", &o, "t.csv:3:3: expected 3 fields, found 2");
    ERR("a,b,c\n1,2,3\n4,5,6,7\n", &o, "t.csv:3:4: expected 3 fields, found 4");
    /* Unterminated quote: the line where it opened. */
    ERR("a,b\n1,2\n3,\"abc\n4,5\n6,7\n", &o, "t.csv:3:2: unterminated quoted field");
    /* NUL byte. */
    ERR("a,b\n1,2\n3,4\0\n", &o, "t.csv:3:2: NUL byte: binary data");
    ERR("a,b\n1,2\n3,\"x\0\"\n", &o, "t.csv:3:2: NUL byte");
    /* Garbage after a closing quote. */
    ERR("a,b\n1,\"2\"x\n", &o, "t.csv:2:2: unexpected \"x\" after a closing quote");
    /* Empty file, blank file, header only. */
    expect_err("", 0, &o, CML_ERR_FORMAT, "t.csv: empty file");
    ERR("\n\r\n\n", &o, "t.csv: empty file");
    ERR("\xEF\xBB\xBF", &o, "t.csv: empty file");
    ERR("a,b,c\n", &o, "t.csv: header only, no data rows");
    ERR("a,b,c\n\n\n", &o, "t.csv: header only, no data rows");
    /* Duplicate names. */
    ERR("a,b,a\n1,2,3\n", &o, "t.csv:1:3: duplicate column name \"a\" (also column 1)");
    /* A quoted field with an embedded newline moves later lines down. */
    ERR("a,b\n1,\"x\ny\"\n2,\"p\n\nq\"\n3\n", &o, "t.csv:7:2: expected 2 fields, found 1");
    ERR("a,b\n\"x\ny\",2\n3,\"4\"\"\n", &o, "t.csv:4:2: unterminated quoted field");
    /* A 20 MB line is just a long line. */
    size_t big = 20u << 20;
    char *buf = malloc(big + 64);
    memcpy(buf, "a,b\n1,", 6);
    memset(buf + 6, 'z', big);
    memcpy(buf + 6 + big, "\n2\n", 3);
    expect_err(buf, big + 9, &o, CML_ERR_FORMAT, "t.csv:3:2: expected 2 fields, found 1");
    cml_table *t;
    assert_int_equal(rd(buf, big + 7, &o, &t), CML_OK);
    assert_int_equal(t->columns[1].n_levels, 1);
    assert_int_equal(strlen(t->columns[1].levels[0]), big);
    cml_table_free(t);
    free(buf);
}

static cml_column *iris_like_schema(void)
{
    static char *levels[] = {"blue", "green", "red"};
    cml_column c[3] = {{"x", CML_COL_NUMERIC, 0, NULL},
                       {"color", CML_COL_CATEGORICAL, 3, levels},
                       {"target", CML_COL_NUMERIC, 0, NULL}};
    cml_column *out;
    assert_int_equal(cml_columns_copy(c, 3, &out), CML_OK);
    return out;
}

static void test_schema(void **state)
{
    (void)state;
    cml_column *s = iris_like_schema();
    cml_csv_opts o = cml_csv_opts_default();
    o.schema = s;
    o.schema_cols = 3;
    cml_table *t;
    /* Any column order; extra columns dropped; output in schema order. */
    assert_int_equal(RD("extra,target,color,x\nq,1,red,0.5\nr,0,blue,1.5\ns,1,,2\n", &o, &t),
                     CML_OK);
    assert_int_equal(t->cols, 3);
    assert_string_equal(t->columns[1].name, "color");
    assert_int_equal(t->columns[1].n_levels, 3);
    const double want[] = {0.5, 2, 1, 1.5, 0, 0};
    assert_memory_equal(t->data, want, sizeof want);
    assert_true(isnan(t->data[7]));
    cml_table_free(t);
    /* A category seen only here: the model never saw it. Also an all-numbers
     * category text must be looked up, not parsed. */
    ERR("x,color,target\n1,red,0\n2,purple,1\n", &o,
        "t.csv:3:2: unseen category \"purple\" in column \"color\" (known levels: \"blue\", "
        "\"green\", \"red\")");
    /* Non-numeric cell in a numeric schema column. */
    ERR("x,color,target\n1,red,0\nabc,red,1\n", &o,
        "t.csv:3:1: expected a number, found \"abc\" (column \"x\" is numeric");
    /* A schema column missing from the header. */
    ERR("x,target\n1,0\n", &o, "t.csv:1: column \"color\" of the model's schema is missing");
    ERR("color,x\nred,1\n", &o, "t.csv:1: column \"target\" of the model's schema is missing");
    /* ...unless it is the optional one: then the table simply lacks it. */
    o.optional_col = "target";
    assert_int_equal(RD("color,x\nred,1\ngreen,2\n", &o, &t), CML_OK);
    assert_int_equal(t->cols, 2);
    assert_int_equal(cml_table_find(t, "target"), -1);
    assert_string_equal(t->columns[0].name, "x");
    const double want2[] = {1, 2, 2, 1};
    assert_memory_equal(t->data, want2, sizeof want2);
    cml_table_free(t);
    /* Without a header: by position, the optional column may be left out. */
    o.header = 0;
    assert_int_equal(RD("1,red\n2,blue\n", &o, &t), CML_OK);
    assert_int_equal(t->cols, 2);
    assert_true(t->data[1] == 2 && t->data[3] == 0);
    cml_table_free(t);
    assert_int_equal(RD("1,red,5\n", &o, &t), CML_OK);
    assert_int_equal(t->cols, 3);
    cml_table_free(t);
    ERR("1\n", &o, "t.csv:1: 1 fields, but the model's schema has 3 columns");
    /* Many levels: the message lists 5 and "...". */
    char *lv[7] = {"a", "b", "c", "d", "e", "f", "g"};
    cml_column many = {"k", CML_COL_CATEGORICAL, 7, lv};
    o.schema = &many;
    o.schema_cols = 1;
    o.header = 1;
    o.optional_col = NULL;
    ERR("k\n\"z\"\"z\"\n", &o,
        "t.csv:2:1: unseen category \"z\"z\" in column \"k\" (known levels: \"a\", \"b\", \"c\", "
        "\"d\", \"e\", ...)");
    cml_columns_free(s, 3);
}

static void test_split_target(void **state)
{
    (void)state;
    cml_table *t, *X;
    double *y;
    assert_int_equal(RD("a,s,target,b\n1,u,7,2\n3,v,8,4\n", NULL, &t), CML_OK);
    assert_int_equal(cml_table_split_target(t, 2, &X, &y), CML_OK);
    assert_int_equal(X->cols, 3);
    assert_string_equal(X->columns[1].name, "s");
    assert_int_equal(X->columns[1].n_levels, 2);
    assert_string_equal(X->columns[2].name, "b");
    const double wx[] = {1, 0, 2, 3, 1, 4}, wy[] = {7, 8};
    assert_memory_equal(X->data, wx, sizeof wx);
    assert_memory_equal(y, wy, sizeof wy);
    assert_int_equal(t->cols, 4); /* input intact */
    cml_table_free(X);
    free(y);
    assert_int_equal(cml_table_split_target(t, 4, &X, &y), CML_ERR_ARG);
    cml_table_free(t);
}

/* ---------------------------------------------------------------- numbers */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A random decimal string: sign, 1-25 digits, a point somewhere or not,
 * exponent in several ranges (fast path, near the limits, subnormal, huge). */
static size_t random_decimal(char *s)
{
    size_t k = 0;
    uint64_t r = rnd();
    if (r & 1)
        s[k++] = '-';
    else if (r & 2)
        s[k++] = '+';
    int nd = 1 + (int)(rnd() % ((r & 4) ? 25 : 17));
    int point = (r & 8) ? (int)(rnd() % (uint64_t)(nd + 1)) : -1;
    if ((r & 0x30) == 0x30) s[k++] = '0'; /* leading zeros */
    for (int i = 0; i < nd; i++) {
        if (i == point) s[k++] = '.';
        s[k++] = (char)('0' + rnd() % 10);
    }
    if (point == nd) s[k++] = '.';
    int ek = (int)((r >> 8) % 6);
    int e = 0;
    switch (ek) {
    case 0: break;
    case 1: e = (int)(rnd() % 45) - 22; break;
    case 2: e = (int)(rnd() % 80) - 40; break;
    case 3: e = -300 - (int)(rnd() % 40); break; /* subnormal range */
    case 4: e = 290 + (int)(rnd() % 30); break;  /* overflow range */
    default: e = (int)(rnd() % 700) - 350; break;
    }
    if (ek) k += (size_t)sprintf(s + k, "%c%d", (r & 0x40) ? 'e' : 'E', e);
    s[k] = '\0';
    return k;
}

static void check_one(const char *s, size_t len)
{
    double got = -1, want;
    char *end;
    const char *r = cml_parse_double(s, &got);
    want = strtod(s, &end);
    if (!r || (size_t)(r - s) != len || (size_t)(end - s) != len ||
        memcmp(&got, &want, sizeof got) != 0)
        fail_msg("'%s': cml %.17g (%s, %td chars) vs strtod %.17g (%td chars)", s, got,
                 r ? "parsed" : "rejected", r ? r - s : 0, want, end - s);
}

static void test_number_parser_vs_strtod(void **state)
{
    (void)state;
    char s[96];
    /* Millions of random strings. */
    for (int i = 0; i < 3000000; i++) {
        size_t n = random_decimal(s);
        check_one(s, n);
    }
    /* Round-trips of random doubles printed %.17g / %.15g / %.6g. */
    for (int i = 0; i < 500000; i++) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        const char *fmt = i % 3 == 0 ? "%.17g" : i % 3 == 1 ? "%.15g" : "%.6g";
        int n = snprintf(s, sizeof s, fmt, d);
        check_one(s, (size_t)n);
    }
    /* Edges of the fast path and specials. */
    const char *edge[] = {"9007199254740992",
                          "9007199254740993",
                          "1e22",
                          "1e23",
                          "9007199254740993e-22",
                          "4.9406564584124654e-324",
                          "2.2250738585072011e-308",
                          "1.7976931348623157e308",
                          "1.8e308",
                          "0",
                          "-0",
                          "0e999999999",
                          "-0.0e-5",
                          "123456789012345678901234567890",
                          "0.000000000000000000000000000001",
                          "1e-400",
                          "5e-324",
                          "inf",
                          "-Infinity",
                          "+INF",
                          ".5",
                          "5.",
                          "00012.50"};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        check_one(edge[i], strlen(edge[i]));
    /* Not numbers. */
    double v;
    const char *bad[] = {"", "-", "+", ".", "e5", "-.e1", "abc", "nan"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(cml_parse_double(bad[i], &v));
    /* A dangling exponent is not consumed (strtod agrees). */
    const char *de = "1e+";
    assert_ptr_equal(cml_parse_double(de, &v), de + 1);
    assert_true(v == 1);
}

/* ---------------------------------------------------------------- parallel */

static void test_parallel_same_result(void **state)
{
    (void)state;
    /* ~3 MB so the input is split into chunks (>= 1 MB per thread). */
    size_t cap = 4u << 20, n = 0;
    char *buf = malloc(cap);
    n += (size_t)sprintf(buf, "a,b,c,d\n");
    int64_t rows = 0;
    while (n < 3u << 20) {
        if (rows % 1000 == 7) n += (size_t)sprintf(buf + n, "\n"); /* blank lines */
        n += (size_t)sprintf(buf + n, "%lld,%.6f,%s,%d\r\n", (long long)rows,
                             (double)(rnd() % 1000000) / 7.0, rows % 3 ? "u" : "v",
                             rows % 11 ? (int)(rows % 13) : -1);
        rows++;
    }
    cml_table *t1, *t2;
    cml_set_num_threads(1);
    assert_int_equal(rd(buf, n, NULL, &t1), CML_OK);
    cml_set_num_threads(2);
    assert_int_equal(rd(buf, n, NULL, &t2), CML_OK);
    assert_int_equal(t1->rows, rows);
    assert_int_equal(t2->rows, rows);
    assert_memory_equal(t1->data, t2->data, sizeof(double) * (size_t)(rows * 4));
    assert_int_equal(t2->columns[2].kind, CML_COL_CATEGORICAL);
    assert_int_equal(t2->columns[2].n_levels, 2);
    for (int64_t i = 0; i < rows; i++)
        assert_true(t2->data[i * 4] == (double)i);
    cml_table_free(t1);
    cml_table_free(t2);
    /* An error late in the file: the same message whatever the thread count. */
    char msg1[1024];
    size_t at = n - 10;
    while (buf[at] != '\n')
        at--;
    memcpy(buf + at + 1, "1,2\n", 4);
    n = at + 5;
    cml_set_num_threads(1);
    assert_int_equal(rd(buf, n, NULL, &t1), CML_ERR_FORMAT);
    snprintf(msg1, sizeof msg1, "%s", cml_last_error());
    cml_set_num_threads(2);
    assert_int_equal(rd(buf, n, NULL, &t1), CML_ERR_FORMAT);
    assert_string_equal(msg1, cml_last_error());
    char want[96];
    /* Lines: header + rows + blank lines; the broken record is the last line. */
    int64_t lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    snprintf(want, sizeof want, "t.csv:%lld:3: expected 4 fields, found 2 (ragged row)",
             (long long)lines - 1);
    assert_string_equal(msg1, want);
    cml_set_num_threads(0);
    free(buf);
}

/* ---------------------------------------------------------------- files */

static void test_real_datasets(void **state)
{
    (void)state;
    const char *names[] = {"iris", "wine", "breast_cancer", "digits", "diabetes"};
    for (int k = 0; k < 5; k++) {
        char path[64];
        snprintf(path, sizeof path, "../data/%s.csv", names[k]);
        double *X, *y;
        int64_t rows, cols;
        test_load_dataset(names[k], &X, &rows, &cols, &y);
        cml_table *t;
        assert_int_equal(cml_csv_read(path, NULL, &t), CML_OK);
        assert_int_equal(t->rows, rows);
        assert_int_equal(t->cols, cols + 1);
        assert_string_equal(t->columns[cols].name, "target");
        for (int64_t i = 0; i < rows; i++) {
            assert_memory_equal(t->data + i * (cols + 1), X + i * cols,
                                sizeof(double) * (size_t)cols);
            assert_true(t->data[i * (cols + 1) + cols] == y[i]);
        }
        cml_table_free(t);
        free(X);
        free(y);
    }
}

static void test_write_roundtrip(void **state)
{
    (void)state;
    const double d[] = {0.1, -1e300, NAN, 5e-324, 1.0 / 3.0, INFINITY};
    cml_matrix m = cml_matrix_view(d, 2, 3);
    const char *names[] = {"a", "b,\"c\"", "d"};
    char path[] = "/tmp/cml_test_csv_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cml_csv_write(path, &m, names), CML_OK);
    cml_table *t;
    assert_int_equal(cml_csv_read(path, NULL, &t), CML_OK);
    assert_string_equal(t->columns[1].name, "b,\"c\"");
    for (int i = 0; i < 6; i++) {
        if (isnan(d[i]))
            assert_true(isnan(t->data[i]));
        else
            assert_memory_equal(&t->data[i], &d[i], sizeof(double));
    }
    cml_table_free(t);
    assert_int_equal(cml_csv_write(path, &m, NULL), CML_OK);
    assert_int_equal(cml_csv_read(path, NULL, &t), CML_OK);
    assert_string_equal(t->columns[2].name, "c2");
    cml_table_free(t);
    unlink(path);
    assert_int_equal(cml_csv_read("/nonexistent/x.csv", NULL, &t), CML_ERR_IO);
    assert_non_null(strstr(cml_last_error(), "/nonexistent/x.csv: cannot open: "));
    assert_non_null(strstr(cml_last_error(), strerror(ENOENT)));
    assert_int_equal(cml_csv_read("/tmp", NULL, &t), CML_ERR_IO);
    assert_int_equal(cml_csv_write("/nonexistent/y.csv", &m, NULL), CML_ERR_IO);
}

/* A ~12 MB file: written with %.17g, read back bit-identical with 2 threads
 * (also the path where buffers are big enough for huge pages). */
static void test_big_file_roundtrip(void **state)
{
    (void)state;
    const int64_t rows = 150000, cols = 4;
    double *d = malloc(sizeof(double) * (size_t)(rows * cols));
    for (int64_t i = 0; i < rows * cols; i++) {
        uint64_t b = rnd();
        memcpy(&d[i], &b, sizeof b);
        if (!isfinite(d[i])) d[i] = (double)(int64_t)b / 3.0;
        if (i % 5 == 1) d[i] = (double)(b % 100000) / 1000.0;
    }
    cml_matrix m = cml_matrix_view(d, rows, cols);
    char path[] = "/tmp/cml_test_csvbig_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(cml_csv_write(path, &m, NULL), CML_OK);
    cml_set_num_threads(2);
    cml_table *t;
    assert_int_equal(cml_csv_read(path, NULL, &t), CML_OK);
    cml_set_num_threads(0);
    assert_int_equal(t->rows, rows);
    assert_int_equal(t->cols, cols);
    assert_memory_equal(t->data, d, sizeof(double) * (size_t)(rows * cols));
    cml_table_free(t);
    unlink(path);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_numeric),
        cmocka_unit_test(test_missing_values),
        cmocka_unit_test(test_categorical),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_crlf_bom_blank),
        cmocka_unit_test(test_sep_and_no_header),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_split_target),
        cmocka_unit_test(test_number_parser_vs_strtod),
        cmocka_unit_test(test_parallel_same_result),
        cmocka_unit_test(test_real_datasets),
        cmocka_unit_test(test_write_roundtrip),
        cmocka_unit_test(test_big_file_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
