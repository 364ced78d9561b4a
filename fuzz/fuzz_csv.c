/*
 * fuzz_csv.c — libFuzzer target for cml_csv_read_mem.
 *
 * Byte 0 picks the options (separator, header, a small schema with or
 * without an optional column); the rest is the CSV text. Beyond "no crash,
 * no leak, no UB", it checks properties: the same input read with 1 and 3
 * threads gives the same status, message and table bit for bit (the fuzz
 * build splits inputs every few bytes, see fuzz/build.sh); categorical
 * cells are NaN or a code in [0, n_levels); levels are strictly sorted.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/data.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_csv: property violated: %s\n", what);
        abort();
    }
}

static void same_tables(const cml_table *a, const cml_table *b)
{
    check(a->rows == b->rows && a->cols == b->cols, "shape differs between thread counts");
    check(memcmp(a->data, b->data, sizeof(double) * (size_t)(a->rows * a->cols)) == 0,
          "data differs between thread counts");
    for (int64_t j = 0; j < a->cols; j++) {
        const cml_column *x = &a->columns[j], *y = &b->columns[j];
        check(strcmp(x->name, y->name) == 0 && x->kind == y->kind && x->n_levels == y->n_levels,
              "column metadata differs between thread counts");
        for (int64_t l = 0; l < x->n_levels; l++) {
            check(strcmp(x->levels[l], y->levels[l]) == 0, "levels differ between thread counts");
            if (l) check(strcmp(x->levels[l - 1], x->levels[l]) < 0, "levels not sorted");
        }
        if (x->kind == CML_COL_CATEGORICAL)
            for (int64_t i = 0; i < a->rows; i++) {
                double v = a->data[i * a->cols + j];
                check(isnan(v) || (v >= 0 && v < (double)x->n_levels && v == floor(v)),
                      "categorical code out of range");
            }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const uint8_t ctl = data[0];
    data++;
    size--;
    static const char seps[8] = {',', ';', '\t', ' ', '|', ',', ',', ','};
    static char *lv[] = {"a", "b", "x y"};
    cml_column schema[3] = {{"a", CML_COL_NUMERIC, 0, NULL},
                            {"b", CML_COL_CATEGORICAL, 3, lv},
                            {"c", CML_COL_NUMERIC, 0, NULL}};
    cml_csv_opts o = cml_csv_opts_default();
    o.sep = seps[ctl & 7];
    o.header = !(ctl & 8);
    if (ctl & 16) {
        o.schema = schema;
        o.schema_cols = 3;
        if (ctl & 32) o.optional_col = "c";
    }
    cml_table *t1 = NULL, *t3 = NULL;
    char msg1[1024];
    cml_set_num_threads(1);
    cml_status s1 = cml_csv_read_mem((const char *)data, size, "fuzz.csv", &o, &t1);
    snprintf(msg1, sizeof msg1, "%s", s1 ? cml_last_error() : "");
    cml_set_num_threads(3);
    cml_status s3 = cml_csv_read_mem((const char *)data, size, "fuzz.csv", &o, &t3);
    check(s1 == s3, "status differs between thread counts");
    if (s1 != CML_OK) {
        check(strcmp(msg1, cml_last_error()) == 0, "message differs between thread counts");
        check(!t1 && !t3, "table returned with an error");
        check(strncmp(msg1, "fuzz.csv", 8) == 0 || s1 == CML_ERR_NOMEM, "message lacks the file");
    } else {
        same_tables(t1, t3);
    }
    cml_table_free(t1);
    cml_table_free(t3);
    return 0;
}
