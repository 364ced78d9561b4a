/*
 * test_golden_pipeline.c — preprocessing steps + estimator as one model
 * (cml_model_add_step) against scikit-learn's Pipeline on real data:
 * polynomial regression, imputation with missing cells, scaling before
 * logistic regression; and the whole pipeline survives save -> load
 * bit-identically.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/cml.h"
#include "golden.h"

static golden *G;

/* Builds algo with its params ("k=v" list, NULL-terminated) after the given
 * steps (each "name" or "name:k=v"). */
static cml_model *pipeline(const char *const *steps, const char *algo, const char *const *params)
{
    cml_model *m;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (int i = 0; params && params[i]; i++) {
        char key[64];
        const char *eq = strchr(params[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - params[i]), params[i]);
        assert_int_equal(cml_model_set_param(m, key, eq + 1), CML_OK);
    }
    for (int i = 0; steps[i]; i++) {
        char name[64];
        const char *colon = strchr(steps[i], ':');
        snprintf(name, sizeof name, "%.*s", colon ? (int)(colon - steps[i]) : (int)strlen(steps[i]),
                 steps[i]);
        cml_model *s;
        assert_int_equal(cml_model_create(name, &s), CML_OK);
        if (colon) {
            char key[64];
            const char *eq = strchr(colon + 1, '=');
            snprintf(key, sizeof key, "%.*s", (int)(eq - colon - 1), colon + 1);
            assert_int_equal(cml_model_set_param(s, key, eq + 1), CML_OK);
        }
        assert_int_equal(cml_model_add_step(m, s), CML_OK);
    }
    return m;
}

/* save -> load -> predict must be bit-identical */
static void assert_round_trip(const cml_model *m, const cml_matrix *X, int proba)
{
    char path[] = "/tmp/cml_pipeline_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    cml_model *back;
    assert_int_equal(cml_model_load(path, &back, NULL), CML_OK);
    remove(path);
    assert_int_equal(cml_model_n_steps(back), cml_model_n_steps(m));
    int64_t cols = proba ? cml_model_n_classes(m) : 1;
    double *a = malloc(sizeof(double) * (size_t)(X->rows * cols));
    double *b = malloc(sizeof(double) * (size_t)(X->rows * cols));
    if (proba) {
        assert_int_equal(cml_model_predict_proba(m, X, a), CML_OK);
        assert_int_equal(cml_model_predict_proba(back, X, b), CML_OK);
    } else {
        assert_int_equal(cml_model_predict(m, X, a), CML_OK);
        assert_int_equal(cml_model_predict(back, X, b), CML_OK);
    }
    assert_memory_equal(a, b, sizeof(double) * (size_t)(X->rows * cols));
    free(a);
    free(b);
    cml_model_free(back);
}

static void test_polynomial_regression(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, p;
    test_load_dataset("diabetes", &X, &n, &p, &y);
    cml_matrix V = cml_matrix_view(X, n, p);
    double *pred = malloc(sizeof(double) * (size_t)n);

    const char *const steps[] = {"standard_scaler", "polynomial_features:degree=2", NULL};
    const char *const params[] = {"alpha=1.0", NULL};
    cml_model *m = pipeline(steps, "ridge", params);
    assert_int_equal(cml_model_fit(m, &V, y, NULL), CML_OK);
    assert_int_equal(cml_model_predict(m, &V, pred), CML_OK);
    assert_close(pred, golden_get(G, "poly_ridge_pred", NULL, NULL), n, 1e-9, 1e-9, "poly ridge");
    assert_round_trip(m, &V, 0);
    cml_model_free(m);

    /* plain polynomial least squares on four features */
    double *X4 = malloc(sizeof(double) * (size_t)(n * 4));
    for (int64_t i = 0; i < n; i++)
        memcpy(X4 + i * 4, X + i * p, 4 * sizeof(double));
    cml_matrix V4 = cml_matrix_view(X4, n, 4);
    const char *const steps2[] = {"polynomial_features:degree=2", NULL};
    m = pipeline(steps2, "linear_regression", NULL);
    assert_int_equal(cml_model_fit(m, &V4, y, NULL), CML_OK);
    assert_int_equal(cml_model_predict(m, &V4, pred), CML_OK);
    assert_close(pred, golden_get(G, "poly_ols_pred", NULL, NULL), n, 1e-8, 1e-8, "poly ols");
    cml_model_free(m);
    free(X4);
    free(pred);
    free(X);
    free(y);
}

static void test_missing_values_pipeline(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, p, r, c;
    test_load_dataset("diabetes", &X, &n, &p, &y);
    const double *Xn = golden_get(G, "diabetes_nan", &r, &c);
    assert_int_equal(r, n);
    cml_matrix V = cml_matrix_view(Xn, n, p);
    double *pred = malloc(sizeof(double) * (size_t)n);

    /* without an imputer, NaN is refused with the place named */
    cml_model *bare;
    assert_int_equal(cml_model_create("ridge", &bare), CML_OK);
    assert_int_equal(cml_model_fit(bare, &V, y, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "NaN"));
    cml_model_free(bare);

    const char *const steps[] = {"simple_imputer:strategy=median", "standard_scaler",
                                 "polynomial_features:degree=2", NULL};
    const char *const params[] = {"alpha=10", NULL};
    cml_model *m = pipeline(steps, "ridge", params);
    assert_int_equal(cml_model_fit(m, &V, y, NULL), CML_OK);
    assert_int_equal(cml_model_predict(m, &V, pred), CML_OK);
    assert_close(pred, golden_get(G, "impute_poly_ridge_pred", NULL, NULL), n, 1e-9, 1e-9,
                 "impute+poly+ridge");
    assert_round_trip(m, &V, 0);
    cml_model_free(m);
    free(pred);
    free(X);
    free(y);
}

static void test_scaled_logistic(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, p;
    test_load_dataset("breast_cancer", &X, &n, &p, &y);
    cml_matrix V = cml_matrix_view(X, n, p);
    const char *const steps[] = {"standard_scaler", NULL};
    const char *const params[] = {"C=0.5", "tol=1e-10", "max_iter=10000", NULL};
    cml_model *m = pipeline(steps, "logistic_regression", params);
    assert_int_equal(cml_model_fit(m, &V, y, NULL), CML_OK);
    double *proba = malloc(sizeof(double) * (size_t)(n * 2));
    assert_int_equal(cml_model_predict_proba(m, &V, proba), CML_OK);
    assert_close(proba, golden_get(G, "scale_logreg_proba", NULL, NULL), n * 2, 1e-6, 1e-6,
                 "scaler+logreg proba");
    assert_round_trip(m, &V, 1);
    /* a step that is not a transformer is refused */
    cml_model *notx;
    assert_int_equal(cml_model_create("ridge", &notx), CML_OK);
    assert_int_equal(cml_model_add_step(m, notx), CML_ERR_ARG);
    cml_model_free(m);
    free(proba);
    free(X);
    free(y);
}

int main(void)
{
    G = golden_load("golden/pipeline.txt");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polynomial_regression),
        cmocka_unit_test(test_missing_values_pipeline),
        cmocka_unit_test(test_scaled_logistic),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    golden_free(G);
    return rc;
}
