/*
 * test_golden_shap.c — XGBoost JSON import and TreeSHAP against XGBoost
 * 1.7.4 (tests/gen/gen_shap.py): four models trained by XGBoost on real data
 * (breast cancer with 5% missing cells, binary:logistic; diabetes,
 * reg:squarederror and count:poisson; iris, multi:softprob) are imported
 * from their save_model JSON; cml's margins and predictions must equal
 * XGBoost's, and cml's TreeSHAP values its pred_contribs, within XGBoost's
 * float32 rounding; the contributions must sum to cml's own margin (local
 * accuracy) within 1e-9 relative. Also XGBoost random forests
 * (num_parallel_tree = 4, tests/golden/shap_rf.txt), the import as a generic
 * model with a save/load round trip, bad JSON and unsupported models.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cml/ensemble.h"
#include "cml/gbm.h"
#include "golden.h"

static golden *G, *GRF;

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/shap.txt");
    GRF = golden_load("golden/shap_rf.txt");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    golden_free(GRF);
    return 0;
}

static double max_abs_diff(const double *a, const double *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void check_case(const golden *gd, const char *name, double tol_margin, double tol_contrib)
{
    char key[64], path[128];
    snprintf(path, sizeof path, "golden/xgb_%s.json", name);
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_import_xgboost(path, &m), CML_OK);
    int64_t n, d, kr, kc;
    snprintf(key, sizeof key, "%s_X", name);
    const double *Xd = golden_get(gd, key, &n, &d);
    cml_matrix X = cml_matrix_view(Xd, n, d);
    const int K = cml_gbm_n_outputs(m);
    snprintf(key, sizeof key, "%s_margin", name);
    const double *want_m = golden_get(gd, key, &kr, &kc);
    assert_int_equal(kr, n);
    assert_int_equal(kc, K);
    double *mg = malloc(sizeof(double) * (size_t)(n * K));
    double *pred = malloc(sizeof(double) * (size_t)(n * K));
    double *phi = malloc(sizeof(double) * (size_t)(n * K * (d + 1)));
    assert_non_null(mg);
    assert_non_null(pred);
    assert_non_null(phi);
    assert_int_equal(cml_gbm_predict_margin(m, &X, mg), CML_OK);
    assert_close(mg, want_m, n * K, 0, tol_margin, key);
    double dm = max_abs_diff(mg, want_m, n * K);

    /* Predictions after the link: probabilities for classifiers. */
    snprintf(key, sizeof key, "%s_pred", name);
    const double *want_p = golden_get(gd, key, NULL, NULL);
    double dp;
    const double *classes;
    const int64_t nc = cml_gbm_classes(m, &classes);
    if (nc > 0) {
        double *pr = malloc(sizeof(double) * (size_t)(n * nc));
        assert_non_null(pr);
        assert_int_equal(cml_gbm_predict_proba(m, &X, pr), CML_OK);
        /* binary: XGBoost's predict() is P(class 1) */
        for (int64_t i = 0; i < n; i++)
            pred[i * K] = nc == 2 ? pr[i * 2 + 1] : pr[i * nc];
        if (nc > 2) memcpy(pred, pr, sizeof(double) * (size_t)(n * nc));
        free(pr);
    } else {
        assert_int_equal(cml_gbm_predict(m, &X, pred), CML_OK);
    }
    assert_close(pred, want_p, n * K, 1e-6, 1e-6, key);
    dp = max_abs_diff(pred, want_p, n * K);

    snprintf(key, sizeof key, "%s_contribs", name);
    const double *want_c = golden_get(gd, key, &kr, &kc);
    assert_int_equal(kc, K * (d + 1));
    assert_int_equal(cml_gbm_shap_values(m, &X, phi), CML_OK);
    assert_close(phi, want_c, n * K * (d + 1), 0, tol_contrib, key);
    double dc = max_abs_diff(phi, want_c, n * K * (d + 1));

    /* Local accuracy on cml's own numbers. */
    double la = 0;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < K; k++) {
            double s = 0;
            for (int64_t j = 0; j <= d; j++)
                s += phi[(i * K + k) * (d + 1) + j];
            la = fmax(la, fabs(s - mg[i * K + k]) / fmax(1.0, fabs(mg[i * K + k])));
        }
    assert_true(la < 1e-9);
    printf("  %-5s rows %lld outputs %d trees %d: max|margin diff| %.3g, max|pred diff| %.3g, "
           "max|contrib diff| %.3g, local accuracy %.3g\n",
           name, (long long)n, K, cml_gbm_n_trees(m), dm, dp, dc, la);
    free(mg);
    free(pred);
    free(phi);
    cml_gbm_free(m);
}

/* Margins of O(1): XGBoost's float32 sums agree to ~1e-6. */
static void test_breast_cancer(void **state)
{
    (void)state;
    check_case(G, "bc", 1e-5, 1e-5);
}

static void test_iris(void **state)
{
    (void)state;
    check_case(G, "iris", 1e-5, 1e-5);
}

static void test_poisson(void **state)
{
    (void)state;
    check_case(G, "pois", 1e-5, 1e-5);
}

/* Targets ~150: float32 has 8e-6 spacing there, so the tolerance scales. */
static void test_diabetes(void **state)
{
    (void)state;
    check_case(G, "diab", 1e-4, 1e-4);
}

/* Boosted random forests (num_parallel_tree = 4): several trees per output
 * and round, regrouped on import. */
static void test_random_forest_mode(void **state)
{
    (void)state;
    check_case(GRF, "rf_iris", 1e-5, 1e-5);
    check_case(GRF, "rf_diab", 1e-4, 1e-4);
}

static void test_bad_input(void **state)
{
    (void)state;
    cml_gbm *m = (cml_gbm *)1;
    const char *bad = "{\"learner\": 3";
    assert_int_equal(cml_gbm_import_xgboost_json(bad, strlen(bad), &m), CML_ERR_FORMAT);
    assert_null(m);
    const char *nolearner = "{\"version\": [1, 7, 4]}";
    assert_int_equal(cml_gbm_import_xgboost_json(nolearner, strlen(nolearner), &m), CML_ERR_FORMAT);
    const char *linear = "{\"learner\": {\"gradient_booster\": {\"name\": \"gblinear\"}}}";
    assert_int_equal(cml_gbm_import_xgboost_json(linear, strlen(linear), &m), CML_ERR_UNSUPPORTED);
    assert_non_null(strstr(cml_last_error(), "gblinear"));
    assert_int_equal(cml_gbm_import_xgboost("golden/no_such_model.json", &m), CML_ERR_IO);

    /* A tree whose child points back at the root must be rejected, not
     * loop: take the diabetes model and corrupt one child index. */
    FILE *f = fopen("golden/xgb_diab.json", "rb");
    assert_non_null(f);
    char *text = malloc(1 << 20);
    assert_non_null(text);
    size_t len = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    text[len] = 0;
    char *lc = strstr(text, "\"left_children\":[1,");
    assert_non_null(lc);
    lc[strlen("\"left_children\":[")] = '0';
    assert_int_equal(cml_gbm_import_xgboost_json(text, len, &m), CML_ERR_FORMAT);
    lc[strlen("\"left_children\":[")] = '1';
    /* XGBoost 2.x writes base_score as "[..]": the same model with
     * base_score "[1E0]" predicts 0.5 more than with "5E-1". */
    double x10[10] = {50, 1, 25, 90, 180, 100, 50, 4, 4.5, 90}, m1, m2;
    cml_matrix X10 = cml_matrix_view(x10, 1, 10);
    assert_int_equal(cml_gbm_import_xgboost_json(text, len, &m), CML_OK);
    assert_int_equal(cml_gbm_predict_margin(m, &X10, &m1), CML_OK);
    cml_gbm_free(m);
    char *bs = strstr(text, "\"base_score\":\"5E-1\"");
    assert_non_null(bs);
    char *t2 = malloc(len + 8);
    assert_non_null(t2);
    size_t pre = (size_t)(bs - text);
    memcpy(t2, text, pre);
    size_t k = pre + (size_t)sprintf(t2 + pre, "\"base_score\":\"[1E0]\"");
    memcpy(t2 + k, bs + strlen("\"base_score\":\"5E-1\""),
           len - pre - strlen("\"base_score\":\"5E-1\"") + 1);
    assert_int_equal(cml_gbm_import_xgboost_json(t2, strlen(t2), &m), CML_OK);
    assert_int_equal(cml_gbm_predict_margin(m, &X10, &m2), CML_OK);
    assert_true(fabs(m2 - m1 - 0.5) < 1e-9);
    cml_gbm_free(m);
    free(t2);
    /* Wrong width at predict / SHAP time. */
    assert_int_equal(cml_gbm_import_xgboost_json(text, len, &m), CML_OK);
    double x[3] = {0, 0, 0}, out[8];
    cml_matrix X = cml_matrix_view(x, 1, 3);
    assert_int_equal(cml_gbm_shap_values(m, &X, out), CML_ERR_ARG);
    cml_gbm_free(m);
    free(text);
}

/* The import as a generic model: same numbers as the typed import, and a
 * save -> load round trip that predicts bit-identically. */
static void test_as_model(void **state)
{
    (void)state;
    static const char *const cases[] = {"bc", "iris", "diab"};
    for (int c = 0; c < 3; c++) {
        char path[128], key[64];
        snprintf(path, sizeof path, "golden/xgb_%s.json", cases[c]);
        snprintf(key, sizeof key, "%s_X", cases[c]);
        int64_t n, d;
        const double *Xd = golden_get(G, key, &n, &d);
        cml_matrix X = cml_matrix_view(Xd, n, d);
        cml_model *mm, *back;
        cml_gbm *g;
        assert_int_equal(cml_gbm_import_xgboost_model(path, &mm), CML_OK);
        assert_int_equal(cml_gbm_import_xgboost(path, &g), CML_OK);
        assert_string_equal(cml_model_estimator(mm)->name,
                            c < 2 ? "gbm_classifier" : "gbm_regressor");
        const int64_t K = cml_shap_n_outputs(mm);
        assert_int_equal(K, cml_gbm_n_outputs(g));
        double *a = malloc(sizeof(double) * (size_t)(n * K * (d + 1)));
        double *b = malloc(sizeof(double) * (size_t)(n * K * (d + 1)));
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(cml_shap_values(mm, &X, a), CML_OK);
        assert_int_equal(cml_gbm_shap_values(g, &X, b), CML_OK);
        assert_memory_equal(a, b, sizeof(double) * (size_t)(n * K * (d + 1)));
        assert_int_equal(cml_model_predict(mm, &X, a), CML_OK);
        assert_int_equal(cml_gbm_predict(g, &X, b), CML_OK);
        assert_memory_equal(a, b, sizeof(double) * (size_t)n);
        char tmp[128];
        snprintf(tmp, sizeof tmp, "/tmp/cml_test_xgb_import_%d.gguf", (int)getpid());
        assert_int_equal(cml_model_save(mm, tmp, NULL, NULL), CML_OK);
        assert_int_equal(cml_model_load(tmp, &back, NULL), CML_OK);
        unlink(tmp);
        assert_int_equal(cml_model_predict(back, &X, b), CML_OK);
        assert_memory_equal(a, b, sizeof(double) * (size_t)n);
        free(a);
        free(b);
        cml_model_free(back);
        cml_model_free(mm);
        cml_gbm_free(g);
    }
    cml_model *mm = (cml_model *)1;
    assert_int_equal(cml_gbm_import_xgboost_model("golden/no_such.json", &mm), CML_ERR_IO);
    assert_null(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breast_cancer),
        cmocka_unit_test(test_iris),
        cmocka_unit_test(test_poisson),
        cmocka_unit_test(test_diabetes),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_as_model),
        cmocka_unit_test(test_random_forest_mode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
