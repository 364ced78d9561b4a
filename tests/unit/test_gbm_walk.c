/*
 * test_gbm_walk.c — the block walk of boosted-ensemble prediction
 * (src/ensemble/gbm_walk.c): the SIMD variant, the portable variant and a
 * plain one-row reference walk (root to leaf, doubles, leaf values added in
 * tree order) give bit-identical margins on fitted models (regression,
 * binary, 3 classes, 40 classes: more outputs than the SIMD sums keep on the
 * stack), on XGBoost models imported from JSON (numeric, and categorical,
 * which take the portable path) and on rows placed on every split threshold,
 * one double either side, far off, and NaN (both default directions), for
 * block sizes around the vector width and strided rows; cml_gbm_predict is
 * independent of the thread count, and an infinity in X (checked block by
 * block as the rows are walked) is reported at its first cell whatever the
 * thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cml/gbm.h"
#include "ensemble/gbm_walk.h"
#include "golden.h"

/* Margins of one row by the definition: walk each tree to its leaf. */
static void ref_margin(const cml_gbm *m, const double *x, double *out)
{
    const int K = m->obj.n_outputs;
    for (int k = 0; k < K; k++)
        out[k] = m->base_margin;
    for (int t = 0; t < m->n_trees; t++) {
        int32_t j = (int32_t)m->tree_ptr[t];
        while (m->nodes[j].left != j)
            j = gbm_walk_step_cat(m, &m->nodes[j], x);
        out[t % K] += m->leaf[j];
    }
}

/* Rows probing every numeric split of m: copies of base rows with the split
 * feature on and around its threshold. */
static int64_t probe_rows(const cml_gbm *m, const double *base, int64_t n_base, int64_t d,
                          int64_t max_splits, double **out)
{
    enum { PER = 7 };
    const int64_t nodes = m->tree_ptr[m->n_trees];
    int64_t splits = 0;
    for (int64_t j = 0; j < nodes && splits < max_splits; j++)
        splits += m->nodes[j].left != j && !(m->nodes[j].feature & GBM_CATEGORICAL);
    const int64_t n = splits * PER + n_base;
    double *X = malloc(sizeof(double) * (size_t)(n * d));
    assert_non_null(X);
    memcpy(X, base, sizeof(double) * (size_t)(n_base * d));
    int64_t r = n_base;
    for (int64_t j = 0; j < nodes && r < n; j++) {
        const gbm_node *nd = &m->nodes[j];
        if (nd->left == j || (nd->feature & GBM_CATEGORICAL)) continue;
        const double thr = nd->value;
        const double vals[PER] = {thr,
                                  nextafter(thr, INFINITY),
                                  nextafter(thr, -INFINITY),
                                  thr + 1e300,
                                  -1e300,
                                  NAN,
                                  thr - 1e-3};
        for (int k = 0; k < PER; k++, r++) {
            memcpy(X + r * d, base + (r % n_base) * d, sizeof(double) * (size_t)d);
            X[r * d + (nd->feature & GBM_FEATURE_MASK)] = vals[k];
        }
    }
    *out = X;
    return n;
}

/* Both variants against the reference on X (n, d) with stride ld, in blocks
 * of every size from 1 to GBM_WALK_BLOCK (covering partial vectors). */
static void check_walks(const cml_gbm *m, const double *X, int64_t n, int64_t ld)
{
    const int K = m->obj.n_outputs;
    double *ref = malloc(sizeof(double) * (size_t)(n * K));
    double *a = malloc(sizeof(double) * (size_t)(GBM_WALK_BLOCK * K));
    double *b = malloc(sizeof(double) * (size_t)(GBM_WALK_BLOCK * K));
    assert_true(ref && a && b);
    for (int64_t i = 0; i < n; i++)
        ref_margin(m, X + i * ld, ref + i * K);
    int64_t bs = 1;
    for (int64_t lo = 0; lo < n; lo += bs, bs = bs % GBM_WALK_BLOCK + 1) {
        const int64_t len = CML_MIN(bs, n - lo);
        gbm_walk_block(m, X + lo * ld, ld, len, a, 1);
        gbm_walk_block(m, X + lo * ld, ld, len, b, 0);
        assert_memory_equal(a, ref + lo * K, sizeof(double) * (size_t)(len * K));
        assert_memory_equal(b, ref + lo * K, sizeof(double) * (size_t)(len * K));
    }
    free(ref);
    free(a);
    free(b);
}

/* Probes around m's thresholds on base rows, packed and with a stride. */
static void check_model(const cml_gbm *m, const double *base, int64_t n_base, int64_t d)
{
    double *P;
    const int64_t n = probe_rows(m, base, n_base, d, 3000, &P);
    check_walks(m, P, n, d);
    /* the same rows with 3 padding columns (a strided view), padding NaN */
    const int64_t ld = d + 3;
    double *S = malloc(sizeof(double) * (size_t)(n * ld));
    assert_non_null(S);
    for (int64_t i = 0; i < n; i++) {
        memcpy(S + i * ld, P + i * d, sizeof(double) * (size_t)d);
        for (int64_t j = d; j < ld; j++)
            S[i * ld + j] = NAN;
    }
    check_walks(m, S, n, ld);
    free(S);
    free(P);
}

/* Fits on a repo data set (with a few NaN cells so default directions are
 * learnt) and checks the walks. */
static void fit_and_check(const char *data, int clf, int rounds)
{
    double *X, *y;
    int64_t n, d;
    test_load_dataset(data, &X, &n, &d, &y);
    for (int64_t i = 0; i < n; i += 7)
        X[i * d + (i / 7) % d] = NAN;
    cml_gbm_params p =
        clf ? cml_gbm_classifier_params_default() : cml_gbm_regressor_params_default();
    p.n_estimators = rounds;
    cml_matrix A = cml_matrix_view(X, n, d);
    cml_gbm *m = NULL;
    assert_int_equal(clf ? cml_gbm_classifier_fit(&p, &A, y, NULL, &m)
                         : cml_gbm_regressor_fit(&p, &A, y, NULL, &m),
                     CML_OK);
    check_model(m, X, n, d);
    cml_gbm_free(m);
    free(X);
    free(y);
}

static void test_fitted_regression(void **state)
{
    (void)state;
    fit_and_check("diabetes", 0, 30);
}

static void test_fitted_binary(void **state)
{
    (void)state;
    fit_and_check("breast_cancer", 1, 20);
}

static void test_fitted_multiclass(void **state)
{
    (void)state;
    fit_and_check("iris", 1, 20);
}

/* 40 classes: more outputs than the SIMD walk's stack sums. */
static void test_many_classes(void **state)
{
    (void)state;
    const int64_t n = 800, d = 3;
    double *X = malloc(sizeof(double) * (size_t)(n * d)), *y = malloc(sizeof(double) * (size_t)n);
    assert_true(X && y);
    cml_rng rng;
    cml_rng_seed(&rng, 7);
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < d; j++)
            X[i * d + j] = cml_rng_uniform(&rng);
        y[i] = (double)(i % 40);
        X[i * d] += y[i];
    }
    cml_gbm_params p = cml_gbm_classifier_params_default();
    p.n_estimators = 3;
    p.max_depth = 3;
    cml_matrix A = cml_matrix_view(X, n, d);
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_classifier_fit(&p, &A, y, NULL, &m), CML_OK);
    assert_int_equal(cml_gbm_n_outputs(m), 40);
    check_model(m, X, n, d);
    cml_gbm_free(m);
    free(X);
    free(y);
}

/* XGBoost models imported from JSON: numeric (SIMD path) and categorical
 * (portable path); base rows from the data they were trained on. */
static void import_and_check(const char *json, const char *data)
{
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_import_xgboost(json, &m), CML_OK);
    double *X, *y;
    int64_t n, d;
    test_load_dataset(data, &X, &n, &d, &y);
    assert_int_equal(d, cml_gbm_n_features_in(m));
    check_model(m, X, n, d);
    cml_gbm_free(m);
    free(X);
    free(y);
}

static void test_imported(void **state)
{
    (void)state;
    import_and_check("golden/xgb_iris.json", "iris");
    import_and_check("golden/xgb_diab.json", "diabetes");
    import_and_check("golden/xgb_bc.json", "breast_cancer");
}

/* A categorical model never takes the SIMD path, and still walks right. */
static void test_imported_categorical(void **state)
{
    (void)state;
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_import_xgboost("golden/gbm_cat_xgb_clf.json", &m), CML_OK);
    assert_false(gbm_walk_simd_ok(m, cml_gbm_n_features_in(m)));
    const int64_t d = cml_gbm_n_features_in(m), n = 300;
    double *X = malloc(sizeof(double) * (size_t)(n * d));
    assert_non_null(X);
    cml_rng rng;
    cml_rng_seed(&rng, 3);
    for (int64_t i = 0; i < n * d; i++)
        X[i] = i % 11 == 0 ? NAN : floor(cml_rng_uniform(&rng) * 8.0);
    check_model(m, X, n, d);
    cml_gbm_free(m);
    free(X);
}

/* Predictions do not depend on the thread count. */
static void test_threads(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("wine", &X, &n, &d, &y);
    cml_gbm_params p = cml_gbm_classifier_params_default();
    p.n_estimators = 20;
    cml_matrix A = cml_matrix_view(X, n, d);
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_classifier_fit(&p, &A, y, NULL, &m), CML_OK);
    double *p1 = malloc(sizeof(double) * (size_t)(n * 3)),
           *p2 = malloc(sizeof(double) * (size_t)(n * 3));
    assert_true(p1 && p2);
    const int saved = cml_get_num_threads();
    cml_set_num_threads(1);
    assert_int_equal(cml_gbm_predict_proba(m, &A, p1), CML_OK);
    cml_set_num_threads(2);
    assert_int_equal(cml_gbm_predict_proba(m, &A, p2), CML_OK);
    cml_set_num_threads(saved);
    assert_memory_equal(p1, p2, sizeof(double) * (size_t)(n * 3));
    cml_gbm_free(m);
    free(p1);
    free(p2);
    free(X);
    free(y);
}

/* Infinities in two blocks: the error names the first cell, with 1 or 2
 * threads. */
static void test_predict_inf(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("breast_cancer", &X, &n, &d, &y);
    cml_gbm_params p = cml_gbm_classifier_params_default();
    p.n_estimators = 5;
    cml_matrix A = cml_matrix_view(X, n, d);
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_classifier_fit(&p, &A, y, NULL, &m), CML_OK);
    double *out = malloc(sizeof(double) * (size_t)n);
    assert_non_null(out);
    X[500 * d + 1] = INFINITY;
    X[130 * d + 7] = -INFINITY;
    const int saved = cml_get_num_threads();
    for (int th = 1; th <= 2; th++) {
        cml_set_num_threads(th);
        assert_int_equal(cml_gbm_predict(m, &A, out), CML_ERR_ARG);
        assert_non_null(strstr(cml_last_error(), "row 131, column 8 is infinite"));
    }
    cml_set_num_threads(saved);
    cml_gbm_free(m);
    free(out);
    free(X);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fitted_regression), cmocka_unit_test(test_fitted_binary),
        cmocka_unit_test(test_fitted_multiclass), cmocka_unit_test(test_many_classes),
        cmocka_unit_test(test_imported),          cmocka_unit_test(test_imported_categorical),
        cmocka_unit_test(test_threads),           cmocka_unit_test(test_predict_inf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
