/*
 * test_calibration.c — cml_calibration_curve / cml_expected_calibration_error
 * / cml_calibration_top_label against sklearn.calibration.calibration_curve
 * 1.2.1 (tests/gen/gen_calibration.py): GaussianNB and LogisticRegression
 * probabilities on breast_cancer, top-label GaussianNB on wine; uniform and
 * quantile bins, 5/10/15 bins. The bin counts must be equal (same bin ids)
 * and the curve values and ECE agree within 1e-14 relative (measured: 1.4e-17
 * absolute at most; the test prints it). Then sklearn's label rules and the error paths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/metrics.h"
#include "helpers/golden.h"

static golden *G;
static double max_diff;

static void check_case(const char *name)
{
    char key[128];
    int64_t r, n;
    snprintf(key, sizeof key, "%s.y_true", name);
    const double *yt = golden_get(G, key, &r, &n);
    snprintf(key, sizeof key, "%s.y_prob", name);
    const double *yp = golden_get(G, key, NULL, NULL);
    static const char *const strategies[2] = {"uniform", "quantile"};
    static const int bins[3] = {5, 10, 15};
    for (int s = 0; s < 2; s++)
        for (int b = 0; b < 3; b++) {
            double pt[15], pp[15], cntd[15], ece;
            int64_t cnt[15], n_out = -1;
            cml_calibration_strategy st = s ? CML_CALIBRATION_QUANTILE : CML_CALIBRATION_UNIFORM;
            assert_int_equal(
                cml_calibration_curve(yt, yp, n, NAN, bins[b], st, pt, pp, cnt, &n_out), CML_OK);
            assert_int_equal(cml_expected_calibration_error(yt, yp, n, 1.0, bins[b], st, &ece),
                             CML_OK);
            int64_t want_n;
            snprintf(key, sizeof key, "%s.%s.%d.prob_true", name, strategies[s], bins[b]);
            const double *wpt = golden_get(G, key, NULL, &want_n);
            assert_int_equal(n_out, want_n);
            snprintf(key, sizeof key, "%s.%s.%d.prob_pred", name, strategies[s], bins[b]);
            const double *wpp = golden_get(G, key, NULL, NULL);
            snprintf(key, sizeof key, "%s.%s.%d.count", name, strategies[s], bins[b]);
            const double *wc = golden_get(G, key, NULL, NULL);
            snprintf(key, sizeof key, "%s.%s.%d.ece", name, strategies[s], bins[b]);
            const double *we = golden_get(G, key, NULL, NULL);
            for (int64_t k = 0; k < n_out; k++) {
                cntd[k] = (double)cnt[k];
                max_diff = fmax(max_diff, fabs(pt[k] - wpt[k]));
                max_diff = fmax(max_diff, fabs(pp[k] - wpp[k]));
            }
            max_diff = fmax(max_diff, fabs(ece - we[0]));
            assert_memory_equal(cntd, wc, (size_t)n_out * sizeof(double));
            assert_close(pt, wpt, n_out, 1e-14, 1e-15, key);
            assert_close(pp, wpp, n_out, 1e-14, 1e-15, key);
            assert_close(&ece, we, 1, 1e-12, 1e-15, key);
        }
}

static void test_golden(void **state)
{
    (void)state;
    G = golden_load("golden/calibration.txt");
    check_case("bc_nb");
    check_case("bc_lr");
    /* Top-label reduction computed by cml from the probability matrix. */
    int64_t n, k;
    const double *P = golden_get(G, "wine.proba", &n, &k);
    const double *y = golden_get(G, "wine.y", NULL, NULL);
    const double *classes = golden_get(G, "wine.classes", NULL, NULL);
    double *conf = malloc((size_t)n * sizeof *conf), *corr = malloc((size_t)n * sizeof *corr);
    assert_int_equal(cml_calibration_top_label(y, P, n, classes, k, conf, corr), CML_OK);
    assert_memory_equal(conf, golden_get(G, "wine_top.y_prob", NULL, NULL),
                        (size_t)n * sizeof *conf);
    assert_memory_equal(corr, golden_get(G, "wine_top.y_true", NULL, NULL),
                        (size_t)n * sizeof *corr);
    free(conf);
    free(corr);
    check_case("wine_top");
    print_message("calibration: max |cml - sklearn| = %.3g\n", max_diff);
    golden_free(G);
}

static void test_labels_and_edges(void **state)
{
    (void)state;
    /* -1/1 labels: the positive one is 1; a value on an edge goes to the
     * lower bin (searchsorted left): 0.5 with 2 bins is in bin 0. */
    double y[6] = {-1, 1, -1, 1, 1, -1}, p[6] = {0.1, 0.5, 0.2, 0.9, 1.0, 0.0};
    double pt[2], pp[2];
    int64_t cnt[2], n_out;
    assert_int_equal(
        cml_calibration_curve(y, p, 6, NAN, 2, CML_CALIBRATION_UNIFORM, pt, pp, cnt, &n_out),
        CML_OK);
    assert_int_equal(n_out, 2);
    assert_int_equal(cnt[0], 4);
    assert_int_equal(cnt[1], 2);
    assert_true(fabs(pt[0] - 0.25) < 1e-15 && pt[1] == 1.0);
    assert_true(fabs(pp[0] - 0.2) < 1e-15 && fabs(pp[1] - 0.95) < 1e-15);
    double ece;
    assert_int_equal(cml_expected_calibration_error(y, p, 6, NAN, 2, CML_CALIBRATION_UNIFORM, &ece),
                     CML_OK);
    assert_true(fabs(ece - (4.0 / 6 * 0.05 + 2.0 / 6 * 0.05)) < 1e-15);
    /* Perfect calibration: ECE 0. */
    double y2[4] = {0, 1, 1, 1}, p2[4] = {0.75, 0.75, 0.75, 0.75};
    assert_int_equal(
        cml_expected_calibration_error(y2, p2, 4, NAN, 10, CML_CALIBRATION_UNIFORM, &ece), CML_OK);
    assert_true(fabs(ece) < 1e-15);
    /* Labels 2 and 5: pos_label must be given. */
    double y3[3] = {2, 5, 5}, p3[3] = {0.1, 0.8, 0.9};
    assert_int_equal(
        cml_calibration_curve(y3, p3, 3, NAN, 5, CML_CALIBRATION_UNIFORM, pt, NULL, NULL, &n_out),
        CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "pos_label"));
    double pt5[5];
    assert_int_equal(
        cml_calibration_curve(y3, p3, 3, 5.0, 5, CML_CALIBRATION_UNIFORM, pt5, NULL, NULL, &n_out),
        CML_OK);
    assert_int_equal(n_out, 3); /* 0.1 | 0.8 (on an edge: lower bin) | 0.9 */
}

static void test_errors(void **state)
{
    (void)state;
    double y[3] = {0, 1, 2}, p[3] = {0.1, 0.5, 0.9}, out;
    assert_int_equal(cml_expected_calibration_error(y, p, 3, NAN, 5, CML_CALIBRATION_UNIFORM, &out),
                     CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "more than two labels"));
    double y2[3] = {0, 1, 1}, bad[3] = {0.1, 1.5, 0.2}, nanp[3] = {0.1, NAN, 0.2};
    assert_int_equal(
        cml_expected_calibration_error(y2, bad, 3, NAN, 5, CML_CALIBRATION_UNIFORM, &out),
        CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "outside [0, 1]"));
    assert_int_equal(
        cml_expected_calibration_error(y2, nanp, 3, NAN, 5, CML_CALIBRATION_UNIFORM, &out),
        CML_ERR_ARG);
    assert_int_equal(
        cml_expected_calibration_error(y2, p, 3, NAN, 0, CML_CALIBRATION_UNIFORM, &out),
        CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "n_bins"));
    assert_int_equal(
        cml_expected_calibration_error(y2, p, 0, NAN, 5, CML_CALIBRATION_UNIFORM, &out),
        CML_ERR_ARG);
    double P[4] = {0.2, 0.8, 0.6, 0.4}, cls_bad[2] = {1, 0}, c[2], r[2];
    assert_int_equal(cml_calibration_top_label(y2, P, 2, cls_bad, 2, c, r), CML_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_labels_and_edges),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
