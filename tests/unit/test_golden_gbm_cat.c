/*
 * test_golden_gbm_cat.c — native categorical splits in the GBM against
 * XGBoost 1.7.4 hist with enable_categorical=True (tests/gen/gen_gbm_cat.py)
 * on diamonds (cut, color, clarity are string columns, read by cml's CSV
 * reader as sorted codes; rows i % 4 == 0 are the test set):
 *  - price regression (partition splits) and 5-class cut classification
 *    (max_cat_to_onehot = 8: one-hot splits on color, partition on
 *    clarity): cml's test RMSE / mlogloss within 1% of XGBoost's;
 *  - XGBoost models with categorical splits imported from JSON: margins
 *    within 1e-6 (relative) and TreeSHAP within 1e-5 of pred_contribs;
 *  - save / load through GGUF gives bit-identical predictions; SHAP sums to
 *    the margin; the text dump shows the category sets; codes out of the
 *    set's range take the missing side; bad categorical input is refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cml/data.h"
#include "cml/gbm.h"
#include "cml/model.h"
#include "golden.h"

static golden *G;

typedef struct split {
    double *Xtr, *ytr, *Xte, *yte;
    int64_t ntr, nte, d;
} split;

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/gbm_cat.txt");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    return 0;
}

/* diamonds with `target` split out, rows i % 4 == 0 as the test set. */
static void load_split(const char *target, split *s)
{
    cml_table *t = NULL, *X = NULL;
    double *y = NULL;
    cml_csv_opts o = cml_csv_opts_default();
    assert_int_equal(cml_csv_read("../data/diamonds.csv", &o, &t), CML_OK);
    int64_t ti = cml_table_find(t, target);
    assert_true(ti >= 0);
    assert_int_equal(cml_table_split_target(t, ti, &X, &y), CML_OK);
    s->d = X->cols;
    s->nte = (X->rows + 3) / 4;
    s->ntr = X->rows - s->nte;
    s->Xtr = malloc(sizeof(double) * (size_t)(s->ntr * s->d));
    s->Xte = malloc(sizeof(double) * (size_t)(s->nte * s->d));
    s->ytr = malloc(sizeof(double) * (size_t)s->ntr);
    s->yte = malloc(sizeof(double) * (size_t)s->nte);
    assert_true(s->Xtr && s->Xte && s->ytr && s->yte);
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < X->rows; i++) {
        if (i % 4 == 0) {
            memcpy(s->Xte + b * s->d, X->data + i * s->d, sizeof(double) * (size_t)s->d);
            s->yte[b++] = y[i];
        } else {
            memcpy(s->Xtr + a * s->d, X->data + i * s->d, sizeof(double) * (size_t)s->d);
            s->ytr[a++] = y[i];
        }
    }
    free(y);
    cml_table_free(X);
    cml_table_free(t);
}

static void split_free(split *s)
{
    free(s->Xtr);
    free(s->Xte);
    free(s->ytr);
    free(s->yte);
}

static double max_rel_diff(const double *a, const double *b, int64_t n, double floor_)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]) / fmax(fabs(b[i]), floor_));
    return m;
}

/* Fits through the generic layer, checks save/load identity, returns the
 * model (caller frees). */
static cml_model *fit_model(const char *algo, const char *const *kv, const split *s)
{
    cml_model *m = NULL;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (; *kv; kv += 2)
        assert_int_equal(cml_model_set_param(m, kv[0], kv[1]), CML_OK);
    cml_matrix X = cml_matrix_view(s->Xtr, s->ntr, s->d);
    assert_int_equal(cml_model_fit(m, &X, s->ytr, NULL), CML_OK);
    return m;
}

static void check_save_load(const cml_model *m, const split *s)
{
    char path[64];
    snprintf(path, sizeof path, "gbm_cat_%d.gguf", (int)getpid());
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    cml_model *m2 = NULL;
    assert_int_equal(cml_model_load(path, &m2, NULL), CML_OK);
    unlink(path);
    const cml_gbm *g1 = cml_model_state(m), *g2 = cml_model_state(m2);
    const int K = cml_gbm_n_outputs(g1);
    double *a = malloc(sizeof(double) * (size_t)(s->nte * K));
    double *b = malloc(sizeof(double) * (size_t)(s->nte * K));
    cml_matrix X = cml_matrix_view(s->Xte, s->nte, s->d);
    assert_int_equal(cml_gbm_predict_margin(g1, &X, a), CML_OK);
    assert_int_equal(cml_gbm_predict_margin(g2, &X, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)(s->nte * K));
    free(a);
    free(b);
    cml_model_free(m2);
}

/* SHAP rows (first n test rows) sum to the margin. */
static void check_shap_sum(const cml_gbm *g, const split *s, int64_t n)
{
    const int K = cml_gbm_n_outputs(g);
    const int64_t d = s->d;
    double *phi = malloc(sizeof(double) * (size_t)(n * K * (d + 1)));
    double *mg = malloc(sizeof(double) * (size_t)(n * K));
    cml_matrix X = cml_matrix_view(s->Xte, n, d);
    assert_int_equal(cml_gbm_shap_values(g, &X, phi), CML_OK);
    assert_int_equal(cml_gbm_predict_margin(g, &X, mg), CML_OK);
    for (int64_t i = 0; i < n * K; i++) {
        double sum = 0;
        for (int64_t j = 0; j <= d; j++)
            sum += phi[i * (d + 1) + j];
        assert_true(fabs(sum - mg[i]) <= 1e-9 * fmax(1.0, fabs(mg[i])));
    }
    free(phi);
    free(mg);
}

static void test_regression_vs_xgboost(void **state)
{
    (void)state;
    split s;
    load_split("price", &s);
    /* carat cut color clarity depth table x y z */
    static const char *const kv[] = {"n_estimators", "50", "categorical_features", "1,2,3", NULL};
    cml_model *m = fit_model("gbm_regressor", kv, &s);
    const cml_gbm *g = cml_model_state(m);
    double *pred = malloc(sizeof(double) * (size_t)s.nte);
    cml_matrix X = cml_matrix_view(s.Xte, s.nte, s.d);
    assert_int_equal(cml_gbm_predict(g, &X, pred), CML_OK);
    double se = 0;
    for (int64_t i = 0; i < s.nte; i++)
        se += (pred[i] - s.yte[i]) * (pred[i] - s.yte[i]);
    const double rmse = sqrt(se / (double)s.nte);
    const double want = golden_get(G, "reg_rmse", NULL, NULL)[0];
    printf("diamonds price: cml test RMSE %.4f, XGBoost %.4f (ratio %.4f); XGBoost on ordinal "
           "codes %.4f\n",
           rmse, want, rmse / want, golden_get(G, "reg_rmse_ordinal", NULL, NULL)[0]);
    assert_true(rmse <= 1.01 * want);
    /* the trees do split on categories, and the dump shows the sets */
    char *desc = cml_model_describe(m);
    assert_non_null(desc);
    assert_null(strstr(desc, "\"n_categorical_splits\":0,"));
    free(desc);
    int found = 0;
    for (int t = 0; t < cml_gbm_n_trees(g) && !found; t++) {
        char *txt = cml_gbm_export_text(g, t, NULL);
        assert_non_null(txt);
        found = strstr(txt, ":{") != NULL;
        free(txt);
    }
    assert_true(found);
    check_save_load(m, &s);
    check_shap_sum(g, &s, 200);
    free(pred);
    cml_model_free(m);
    split_free(&s);
}

static void test_classification_vs_xgboost(void **state)
{
    (void)state;
    split s;
    load_split("cut", &s);
    /* carat color clarity depth table price x y z */
    static const char *const kv[] = {
        "n_estimators", "30", "categorical_features", "1,2", "max_cat_to_onehot", "8", NULL};
    cml_model *m = fit_model("gbm_classifier", kv, &s);
    const cml_gbm *g = cml_model_state(m);
    double *P = malloc(sizeof(double) * (size_t)(s.nte * 5));
    cml_matrix X = cml_matrix_view(s.Xte, s.nte, s.d);
    assert_int_equal(cml_gbm_predict_proba(g, &X, P), CML_OK);
    double ll = 0, acc = 0;
    for (int64_t i = 0; i < s.nte; i++) {
        const int c = (int)s.yte[i];
        ll -= log(fmax(P[i * 5 + c], 1e-15));
        int am = 0;
        for (int k = 1; k < 5; k++)
            if (P[i * 5 + k] > P[i * 5 + am]) am = k;
        acc += am == c;
    }
    ll /= (double)s.nte;
    acc /= (double)s.nte;
    const double want = golden_get(G, "clf_mlogloss", NULL, NULL)[0];
    printf("diamonds cut: cml test mlogloss %.5f (accuracy %.4f), XGBoost %.5f (accuracy %.4f)\n",
           ll, acc, want, golden_get(G, "clf_accuracy", NULL, NULL)[0]);
    assert_true(ll <= 1.01 * want);
    check_save_load(m, &s);
    check_shap_sum(g, &s, 50);
    free(P);
    cml_model_free(m);
    split_free(&s);
}

static void check_import(const char *name, const char *target)
{
    char path[128], key[64];
    snprintf(path, sizeof path, "golden/gbm_cat_xgb_%s.json", name);
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_import_xgboost(path, &m), CML_OK);
    split s;
    load_split(target, &s);
    int64_t n, K, kc;
    snprintf(key, sizeof key, "imp_%s_margin", name);
    const double *want = golden_get(G, key, &n, &K);
    assert_int_equal(K, cml_gbm_n_outputs(m));
    const int64_t d = s.d;
    cml_matrix X = cml_matrix_view(s.Xte, n, d); /* test rows 0, 4, 8, ... as the generator */
    double *mg = malloc(sizeof(double) * (size_t)(n * K));
    double *phi = malloc(sizeof(double) * (size_t)(n * K * (d + 1)));
    assert_int_equal(cml_gbm_predict_margin(m, &X, mg), CML_OK);
    const double dm = max_rel_diff(mg, want, n * K, 1.0);
    snprintf(key, sizeof key, "imp_%s_contrib", name);
    const double *wc = golden_get(G, key, NULL, &kc);
    assert_int_equal(kc, K * (d + 1));
    assert_int_equal(cml_gbm_shap_values(m, &X, phi), CML_OK);
    /* relative to each output's margin scale (price: thousands) */
    double scale = 1.0;
    for (int64_t i = 0; i < n * K; i++)
        scale = fmax(scale, fabs(want[i]));
    double dc = 0;
    for (int64_t i = 0; i < n * K * (d + 1); i++)
        dc = fmax(dc, fabs(phi[i] - wc[i]));
    printf("XGBoost categorical import (%s): margins max rel diff %.3g, SHAP max abs diff %.3g "
           "(%.3g of the largest margin)\n",
           name, dm, dc, dc / scale);
    assert_true(dm <= 1e-6);
    assert_true(dc / scale <= 1e-5);
    /* the dump of a categorical split */
    char *txt = cml_gbm_export_text(m, 0, NULL);
    assert_non_null(txt);
    free(txt);
    free(mg);
    free(phi);
    split_free(&s);
    cml_gbm_free(m);
}

static void test_import_xgboost_categorical(void **state)
{
    (void)state;
    check_import("reg", "price");
    check_import("clf", "cut");
}

/* Routing rule: codes beyond the set's range and negative ones take the
 * missing side, as XGBoost; non-integer codes at fit are refused. */
static void test_routing_and_errors(void **state)
{
    (void)state;
    /* 1 feature, 6 categories, y depends on the category only */
    enum { N = 600 };
    double *X = malloc(sizeof(double) * N), *y = malloc(sizeof(double) * N);
    for (int i = 0; i < N; i++) {
        X[i] = (double)(i % 6);
        y[i] = (i % 6 == 1 || i % 6 == 4) ? 10.0 : (i % 6 == 2 ? -5.0 : 0.0);
    }
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 5;
    p.max_depth = 2;
    strcpy(p.categorical_features, "[0]");
    cml_matrix Xm = cml_matrix_view(X, N, 1);
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_regressor_fit(&p, &Xm, y, NULL, &m), CML_OK);
    /* the root separates {1,4} (or its complement) from the rest in one split */
    int32_t cats[8];
    int64_t range;
    int nc = cml_gbm_node_categories(m, 0, 0, cats, 8, &range);
    assert_true(nc >= 1);
    assert_int_equal(range, 32);
    double q[5] = {1.0, 4.0, NAN, 40.0, -3.0}, out[5];
    cml_matrix Q = cml_matrix_view(q, 5, 1);
    assert_int_equal(cml_gbm_predict(m, &Q, out), CML_OK);
    assert_true(fabs(out[0] - out[1]) < 1e-12);
    assert_true(out[0] > 5.0);
    assert_true(out[3] == out[2]); /* out of range: the missing side */
    assert_true(out[4] == out[2]); /* negative: the missing side */
    cml_gbm_node nd;
    assert_int_equal(cml_gbm_tree_node(m, 0, 0, &nd), CML_OK);
    assert_true(nd.is_categorical);
    assert_true(isnan(nd.threshold));
    cml_gbm_free(m);

    X[7] = 2.5;
    assert_int_equal(cml_gbm_regressor_fit(&p, &Xm, y, NULL, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "categorical_features"));
    X[7] = 1.0;
    strcpy(p.categorical_features, "3");
    assert_int_equal(cml_gbm_regressor_fit(&p, &Xm, y, NULL, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "categorical_features"));
    strcpy(p.categorical_features, "0,x");
    assert_non_null(cml_gbm_params_check(&p));
    assert_non_null(strstr(cml_gbm_params_check(&p), "categorical_features"));
    strcpy(p.categorical_features, "(0");
    assert_non_null(cml_gbm_params_check(&p));
    free(X);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regression_vs_xgboost),
        cmocka_unit_test(test_classification_vs_xgboost),
        cmocka_unit_test(test_import_xgboost_categorical),
        cmocka_unit_test(test_routing_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
