/*
 * test_matrix.c — input validation of dense views: shapes, and the
 * non-finite scan every fit and predict runs (its fast bit test must agree
 * with isfinite on every class of double, and name the first bad cell).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cml/core.h"
#include "golden.h"

static void test_finite_values_pass(void **state)
{
    (void)state;
    /* extremes that are finite: max, min normal, subnormal, -0 */
    double v[8] = {DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324, -0.0, 0.0, 1.0, -1e308};
    cml_matrix m = cml_matrix_view(v, 2, 4);
    assert_int_equal(cml_matrix_check(&m, "X", 0), CML_OK);
}

static void expect_bad(double bad, int64_t row, int64_t col, const char *kind)
{
    double v[12];
    for (int i = 0; i < 12; i++)
        v[i] = i * 0.5;
    v[row * 4 + col] = bad;
    cml_matrix m = cml_matrix_view(v, 3, 4);
    assert_int_equal(cml_matrix_check(&m, "X", 0), CML_ERR_ARG);
    char want[64];
    snprintf(want, sizeof want, "X row %lld, column %lld is %s", (long long)row + 1,
             (long long)col + 1, kind);
    if (!strstr(cml_last_error(), want))
        fail_msg("message '%s' lacks '%s'", cml_last_error(), want);
    /* allowed when the estimator takes NaN */
    assert_int_equal(cml_matrix_check(&m, "X", 1), CML_OK);
}

static void test_nonfinite_named(void **state)
{
    (void)state;
    expect_bad(NAN, 1, 2, "NaN");
    expect_bad(-NAN, 0, 0, "NaN");
    expect_bad(INFINITY, 2, 3, "infinite");
    expect_bad(-INFINITY, 2, 0, "infinite");
}

static void test_first_bad_cell_and_ld(void **state)
{
    (void)state;
    /* two bad cells: the first in row order is named; padding past cols
     * (ld > cols) is never read as data */
    double v[12] = {0, 1, 2, /*pad*/ NAN, 2, INFINITY, 3, /*pad*/ NAN, 4, 5, 6, NAN};
    cml_matrix m = {v, 3, 3, 4};
    assert_int_equal(cml_matrix_check(&m, "X", 0), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "row 2, column 2 is infinite"));
    cml_matrix clean = {v + 8, 1, 3, 4};
    assert_int_equal(cml_matrix_check(&clean, "X", 0), CML_OK);
}

static void test_shapes(void **state)
{
    (void)state;
    double v[4] = {0};
    cml_matrix m = {v, 0, 2, 2};
    assert_int_equal(cml_matrix_check(&m, "X", 0), CML_ERR_ARG);
    m = (cml_matrix){v, 2, 2, 1};
    assert_int_equal(cml_matrix_check(&m, "X", 0), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "leading dimension"));
    m = (cml_matrix){NULL, 2, 2, 2};
    assert_int_equal(cml_matrix_check(&m, "X", 0), CML_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finite_values_pass),
        cmocka_unit_test(test_nonfinite_named),
        cmocka_unit_test(test_first_bad_cell_and_ld),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
