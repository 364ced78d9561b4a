/*
 * test_gbm_obj.c — the vectorized classification pass of boosting
 * (gbm_objective.c: logistic_block / softprob_block, vlog.h):
 *  - cml_ln within 1 ulp of libm's log over the whole double range, and
 *    libm's special values (0, negatives, inf, NaN, subnormals);
 *  - binary:logistic and multi:softprob gradients and their log-loss /
 *    error metrics, with and without sample weights, against a plain
 *    row-by-row libm reference of the formulas (gradients 1e-14 relative
 *    plus 2e-15 absolute, as p - y cancels; metrics 1e-12, summed in
 *    another order; cml_exp and cml_ln are within 2 ulp of exp / log),
 *    including row counts that are not multiples of the 128-row blocks and
 *    non-0/1 logistic labels;
 *  - bit-identical results for 1, 2 and 3 threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cml/gbm.h"
#include "ensemble/gbm_internal.h"
#include "core/vlog.h"
#include "golden.h"

static double ulps(double got, double want)
{
    if (got == want) return 0.0;
    return fabs(got - want) / (nextafter(fabs(want), INFINITY) - fabs(want));
}

static void test_log_accuracy(void **state)
{
    (void)state;
    double worst = 0.0, at = 0.0;
    for (double x = 1e-307; x < 1e307; x *= 1.000123457) {
        const double d = ulps(cml_ln(x), log(x));
        if (d > worst) worst = d, at = x;
    }
    for (double x = 0.5; x < 2.0; x += 3.1e-6) { /* around 1, where log is small */
        const double d = ulps(cml_ln(x), log(x));
        if (d > worst) worst = d, at = x;
    }
    if (worst > 1.0) fail_msg("cml_ln is %.2f ulp from log at x = %.17g", worst, at);
    assert_true(cml_ln(1.0) == 0.0);
    assert_true(cml_ln(0.0) == -INFINITY);
    assert_true(isnan(cml_ln(-1.0)));
    assert_true(cml_ln(INFINITY) == INFINITY);
    assert_true(isnan(cml_ln(NAN)));
    const double sub = 4.9406564584124654e-324 * 12345.0;
    assert_true(ulps(cml_ln(sub), log(sub)) <= 1.0);
    assert_true(ulps(cml_ln(2.2250738585072014e-308), log(2.2250738585072014e-308)) <= 1.0);
}

enum { N = 1000, K = 4 };

/* The formulas of gbm_objective.c's header, row by row through libm. */
static double ref_pass(int kind, const double *mg, const double *y, const double *w, int64_t n,
                       int k_out, cml_gbm_metric m, double *gh)
{
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double wi = w ? w[i] : 1.0;
        double loss;
        if (kind == CML_GBM_LOGISTIC) {
            const double p = 1.0 / (1.0 + exp(-mg[i]));
            gh[2 * i] = (p - y[i]) * wi;
            gh[2 * i + 1] = fmax(p * (1.0 - p), 1e-16) * wi;
            const double q = fmin(fmax(p, 1e-16), 1.0 - 1e-16);
            loss = m == CML_GBM_METRIC_ERROR ? (double)((p > 0.5) != (y[i] > 0.5))
                                             : -(y[i] * log(q) + (1.0 - y[i]) * log(1.0 - q));
        } else {
            double p[K], mx = mg[i * k_out], s = 0.0;
            for (int k = 1; k < k_out; k++)
                mx = fmax(mx, mg[i * k_out + k]);
            for (int k = 0; k < k_out; k++)
                s += p[k] = exp(mg[i * k_out + k] - mx);
            int best = 0;
            for (int k = 0; k < k_out; k++) {
                p[k] /= s;
                gh[2 * (n * k + i)] = (p[k] - (y[i] == k)) * wi;
                gh[2 * (n * k + i) + 1] = fmax(2.0 * p[k] * (1.0 - p[k]), 1e-16) * wi;
                if (mg[i * k_out + k] > mg[i * k_out + best]) best = k;
            }
            loss = m == CML_GBM_METRIC_MERROR ? (double)(best != (int)y[i])
                                              : -log(fmax(p[(int)y[i]], 1e-16));
        }
        num += wi * loss;
        den += wi;
    }
    return num / den;
}

static void check_kind(int kind, cml_gbm_metric metric, int weighted, int64_t n, int real_y)
{
    const int k_out = kind == CML_GBM_SOFTPROB ? K : 1;
    gbm_objective o = {(cml_gbm_objective)kind, k_out, 1.0, 0.5, 0.7};
    double *mg = malloc(sizeof(double) * (size_t)(n * k_out));
    double *y = malloc(sizeof(double) * (size_t)n), *w = malloc(sizeof(double) * (size_t)n);
    double *gh = malloc(sizeof(double) * (size_t)(2 * n * k_out));
    double *gh1 = malloc(sizeof(double) * (size_t)(2 * n * k_out));
    double *ref = malloc(sizeof(double) * (size_t)(2 * n * k_out));
    assert_true(mg && y && w && gh && gh1 && ref);
    cml_rng rng;
    cml_rng_seed(&rng, 5);
    for (int64_t i = 0; i < n * k_out; i++)
        mg[i] = 8.0 * cml_rng_normal(&rng); /* saturated rows too */
    mg[0] = 40.0;                           /* p rounds to 1: the clamps */
    for (int64_t i = 0; i < n; i++) {
        y[i] = real_y ? cml_rng_uniform(&rng)
                      : (double)cml_rng_below(&rng, (uint64_t)(k_out + (k_out == 1)));
        w[i] = 0.5 + cml_rng_uniform(&rng);
    }
    const double want = ref_pass(kind, mg, y, weighted ? w : NULL, n, k_out, metric, ref);
    cml_set_num_threads(1);
    const double got1 = gbm_metric_and_gradients(metric, &o, mg, y, weighted ? w : NULL, n, gh1);
    if (fabs(got1 - want) > 1e-12 * fabs(want)) /* cml sums 4,096-row chunks, then them */
        fail_msg("kind %d metric %d: %.17g, reference %.17g", kind, (int)metric, got1, want);
    for (int64_t i = 0; i < 2 * n * k_out; i++)
        /* g = p - y cancels: absolute error of p (a few ulp of 1) */
        if (fabs(gh1[i] - ref[i]) > 1e-14 * fabs(ref[i]) + 2e-15)
            fail_msg("kind %d: gh[%lld] = %.17g, reference %.17g", kind, (long long)i, gh1[i],
                     ref[i]);
    /* gradients alone and metric alone give the same numbers */
    memset(gh, 0, sizeof(double) * (size_t)(2 * n * k_out));
    gbm_obj_gradients(&o, mg, y, weighted ? w : NULL, n, gh);
    assert_memory_equal(gh, gh1, sizeof(double) * (size_t)(2 * n * k_out));
    assert_true(gbm_metric_eval(metric, &o, mg, y, weighted ? w : NULL, n) == got1);
    for (int th = 2; th <= 3; th++) {
        cml_set_num_threads(th);
        const double got = gbm_metric_and_gradients(metric, &o, mg, y, weighted ? w : NULL, n, gh);
        assert_true(got == got1);
        assert_memory_equal(gh, gh1, sizeof(double) * (size_t)(2 * n * k_out));
    }
    cml_set_num_threads(0);
    free(mg);
    free(y);
    free(w);
    free(gh);
    free(gh1);
    free(ref);
}

static void test_logistic(void **state)
{
    (void)state;
    const int64_t sizes[] = {1, 127, 129, N, 300000}; /* the last splits over threads */
    for (int s = 0; s < 5; s++)
        for (int weighted = 0; weighted < 2; weighted++) {
            check_kind(CML_GBM_LOGISTIC, CML_GBM_METRIC_LOGLOSS, weighted, sizes[s], 0);
            check_kind(CML_GBM_LOGISTIC, CML_GBM_METRIC_ERROR, weighted, sizes[s], 0);
        }
    check_kind(CML_GBM_LOGISTIC, CML_GBM_METRIC_LOGLOSS, 1, N, 1); /* labels in (0, 1) */
}

static void test_softprob(void **state)
{
    (void)state;
    const int64_t sizes[] = {1, 130, N, 100000};
    for (int s = 0; s < 4; s++)
        for (int weighted = 0; weighted < 2; weighted++) {
            check_kind(CML_GBM_SOFTPROB, CML_GBM_METRIC_MLOGLOSS, weighted, sizes[s], 0);
            check_kind(CML_GBM_SOFTPROB, CML_GBM_METRIC_MERROR, weighted, sizes[s], 0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_accuracy),
        cmocka_unit_test(test_logistic),
        cmocka_unit_test(test_softprob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
