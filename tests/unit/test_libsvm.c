/*
 * test_libsvm.c — the LIBSVM reader: values and CSR layout, comments, qid,
 * blank lines, min_features, error locations (line:token), CSR -> dense,
 * and a file written by scikit-learn's dump_svmlight_file layout.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/data.h"
#include "helpers/golden.h"

static cml_status rd(const char *s, size_t n, int64_t minf, cml_csr_owned **X, double **y)
{
    return cml_libsvm_read_mem(s, n, "t.svm", minf, X, y);
}

#define RD(s, minf, X, y) rd((s), sizeof(s) - 1, (minf), (X), (y))

static void expect_err(const char *s, size_t n, const char *prefix)
{
    cml_csr_owned *X = (cml_csr_owned *)0x1;
    double *y = (double *)0x1;
    cml_status st = rd(s, n, 0, &X, &y);
    if (st != CML_ERR_FORMAT || strncmp(cml_last_error(), prefix, strlen(prefix)) != 0)
        fail_msg("status %s, message '%s'; expected format, '%s...'", cml_status_name(st),
                 cml_last_error(), prefix);
    assert_null(X);
    assert_null(y);
}

#define ERR(s, prefix) expect_err((s), sizeof(s) - 1, (prefix))

static void test_read(void **state)
{
    (void)state;
    cml_csr_owned *X;
    double *y;
    const char txt[] = "# a comment line\n"
                       "+1 1:0.5 3:-2e1 # trailing comment\n"
                       "\n"
                       "-1 qid:7 2:1\t4:.25\r\n"
                       "   \n"
                       "2.5\n"
                       "0 10:3";
    assert_int_equal(RD(txt, 0, &X, &y), CML_OK);
    assert_int_equal(X->rows, 4);
    assert_int_equal(X->cols, 10);
    assert_int_equal(X->nnz, 5);
    const int64_t indptr[] = {0, 2, 4, 4, 5};
    const int32_t indices[] = {0, 2, 1, 3, 9};
    const double data[] = {0.5, -20, 1, 0.25, 3}, labels[] = {1, -1, 2.5, 0};
    assert_memory_equal(X->indptr, indptr, sizeof indptr);
    assert_memory_equal(X->indices, indices, sizeof indices);
    assert_memory_equal(X->data, data, sizeof data);
    assert_memory_equal(y, labels, sizeof labels);
    cml_csr v = cml_csr_owned_view(X);
    double *d;
    assert_int_equal(cml_csr_to_dense(&v, &d), CML_OK);
    assert_true(d[0] == 0.5 && d[1] == 0 && d[2] == -20 && d[11] == 1 && d[39] == 3);
    free(d);
    cml_csr_owned_free(X);
    cml_csr_owned_free(NULL);
    free(y);
    /* min_features widens; a smaller one does not shrink. */
    assert_int_equal(RD("1 2:1\n", 50, &X, &y), CML_OK);
    assert_int_equal(X->cols, 50);
    cml_csr_owned_free(X);
    free(y);
    assert_int_equal(RD("1 2:1\n", 1, &X, &y), CML_OK);
    assert_int_equal(X->cols, 2);
    cml_csr_owned_free(X);
    free(y);
    assert_int_equal(RD("1 2:1\n", -1, &X, &y), CML_ERR_ARG);
}

static void test_errors(void **state)
{
    (void)state;
    ERR("1 1:1\n1 3:1 2:1\n", "t.svm:2:3: indices must be strictly ascending (previous 3)");
    ERR("1 1:1 1:2\n", "t.svm:1:3: indices must be strictly ascending");
    ERR("1 0:1\n", "t.svm:1:2: index out of range");
    ERR("1 99999999999:1\n", "t.svm:1:2: index out of range");
    ERR("1 1:1\n\n# c\nabc 1:1\n", "t.svm:4:1: expected a numeric label, found \"abc\"");
    ERR("1 1:x\n", "t.svm:1:2: expected a numeric value after ':', found \"1:x\"");
    ERR("1 1:\n", "t.svm:1:2: expected a numeric value");
    ERR("1 1:2:3\n", "t.svm:1:2: expected a numeric value");
    ERR("1 a:1\n", "t.svm:1:2: expected index:value");
    ERR("1 5\n", "t.svm:1:2: expected index:value");
    ERR("1 1:1\n2 2:2\0\n", "t.svm:2: NUL byte");
    ERR("", "t.svm: no samples");
    ERR("# only\n\n", "t.svm: no samples");
    cml_csr_owned *X;
    double *y;
    assert_int_equal(cml_libsvm_read("/nonexistent.svm", 0, &X, &y), CML_ERR_IO);
    assert_non_null(strstr(cml_last_error(), "/nonexistent.svm: cannot open"));
}

/* The layout sklearn's dump_svmlight_file writes (zero_based=False), from a
 * real data set: reading it back gives the same matrix. */
static void test_iris_roundtrip(void **state)
{
    (void)state;
    double *X, *y;
    int64_t rows, cols;
    test_load_dataset("iris", &X, &rows, &cols, &y);
    char path[] = "/tmp/cml_test_svm_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    for (int64_t i = 0; i < rows; i++) {
        fprintf(f, "%.17g", y[i]);
        for (int64_t j = 0; j < cols; j++)
            if (X[i * cols + j] != 0) fprintf(f, " %lld:%.17g", (long long)j + 1, X[i * cols + j]);
        fprintf(f, "\n");
    }
    fclose(f);
    cml_csr_owned *M;
    double *yy, *d;
    assert_int_equal(cml_libsvm_read(path, 0, &M, &yy), CML_OK);
    assert_int_equal(M->rows, rows);
    assert_int_equal(M->cols, cols);
    assert_memory_equal(yy, y, sizeof(double) * (size_t)rows);
    cml_csr v = cml_csr_owned_view(M);
    assert_int_equal(cml_csr_check(&v, "M"), CML_OK);
    assert_int_equal(cml_csr_to_dense(&v, &d), CML_OK);
    assert_memory_equal(d, X, sizeof(double) * (size_t)(rows * cols));
    free(d);
    free(yy);
    cml_csr_owned_free(M);
    free(X);
    free(y);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_iris_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
