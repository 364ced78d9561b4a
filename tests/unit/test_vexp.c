/*
 * test_vexp.c — cml_exp (src/core/vexp.h), the vectorizable exp the
 * softmax/log-loss loops use, against libm's exp: within 2 ulp over the whole
 * normal range, and the documented behaviour outside it.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/vexp.h"

static double ulp_diff(double got, double want)
{
    double ulp = nextafter(want, INFINITY) - want;
    return fabs(got - want) / ulp;
}

static void test_accuracy(void **state)
{
    (void)state;
    double worst = 0, at = 0;
    /* a step that is not a multiple of ln 2, so the reduced argument varies */
    for (double x = -708.0; x <= 709.78; x += 0.000917) {
        double d = ulp_diff(cml_exp(x), exp(x));
        if (d > worst) {
            worst = d;
            at = x;
        }
    }
    for (double x = -1e-3; x <= 1e-3; x += 1.37e-7) {
        double d = ulp_diff(cml_exp(x), exp(x));
        if (d > worst) {
            worst = d;
            at = x;
        }
    }
    if (worst > 2.0) fail_msg("cml_exp is %.2f ulp from exp at x = %.17g", worst, at);
    assert_true(cml_exp(0.0) == 1.0);
}

static void test_outside_range(void **state)
{
    (void)state;
    assert_true(cml_exp(-709.5) == 0.0);
    assert_true(cml_exp(-1e300) == 0.0);
    assert_true(cml_exp(-INFINITY) == 0.0);
    assert_true(cml_exp(709.7) == exp(709.7)); /* near the top: finite, not inf */
    assert_true(isinf(cml_exp(709.8)) && cml_exp(709.8) > 0);
    assert_true(isinf(cml_exp(INFINITY)));
    assert_true(isnan(cml_exp(NAN)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_outside_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
