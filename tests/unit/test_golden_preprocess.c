/*
 * test_golden_preprocess.c — the preprocessing transformers against
 * scikit-learn 1.2 (tests/golden/preprocess.txt, from
 * tests/gen/gen_preprocess.py): fitted attributes, transforms and inverse
 * transforms on wine, diabetes (also with 5% of cells missing), iris, and a
 * SimpleImputer -> StandardScaler -> PolynomialFeatures pipeline through the
 * generic cml_model layer.
 *
 * Tolerance: 1e-12 relative (plus 1e-15 absolute for values that cancel to
 * ~0); the largest differences seen are printed at the end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/model.h"
#include "cml/preprocess.h"
#include "golden.h"

#define RTOL 1e-12
#define ATOL 1e-15

static golden *G;
static double *wine, *diab, *iris, *iris_t; /* iris_t: iris + target as column 4 */
static int64_t n_wine, d_wine, n_diab, d_diab, n_iris, d_iris;
static double max_rel, max_abs;      /* largest differences over all checks */
static int64_t n_checked, n_inexact; /* values compared / not bit-identical */

static int setup(void **state)
{
    (void)state;
    double *y;
    G = golden_load("golden/preprocess.txt");
    test_load_dataset("wine", &wine, &n_wine, &d_wine, &y);
    free(y);
    test_load_dataset("diabetes", &diab, &n_diab, &d_diab, &y);
    free(y);
    test_load_dataset("iris", &iris, &n_iris, &d_iris, &y);
    iris_t = malloc(sizeof(double) * (size_t)(n_iris * 5));
    for (int64_t i = 0; i < n_iris; i++) {
        memcpy(iris_t + i * 5, iris + i * 4, 4 * sizeof(double));
        iris_t[i * 5 + 4] = y[i];
    }
    free(y);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    printf("[ preprocess ] %lld values vs scikit-learn, %lld not bit-identical; max abs diff "
           "%.3g, max rel diff %.3g\n",
           (long long)n_checked, (long long)n_inexact, max_abs, max_rel);
    golden_free(G);
    free(wine);
    free(diab);
    free(iris);
    free(iris_t);
    return 0;
}

/* Compares n values with golden array `name` (whose size must be n). */
static void check(const double *got, const char *name, int64_t n)
{
    int64_t r, c;
    const double *want = golden_get(G, name, &r, &c);
    if (r * c != n)
        fail_msg("%s: %lld values, golden has %lld", name, (long long)n, (long long)(r * c));
    for (int64_t i = 0; i < n; i++) {
        n_checked++;
        if (isnan(want[i]) || want[i] == got[i]) continue;
        n_inexact++;
        double diff = fabs(got[i] - want[i]);
        max_abs = fmax(max_abs, diff);
        if (want[i] != 0) max_rel = fmax(max_rel, diff / fabs(want[i]));
    }
    assert_close(got, want, n, RTOL, ATOL, name);
}

static void check_i64(const int64_t *got, const char *name, int64_t n)
{
    double *v = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        v[i] = (double)got[i];
    check(v, name, n);
    free(v);
}

/* A golden matrix as a view (lives as long as G). */
static cml_matrix gmat(const char *name)
{
    int64_t r, c;
    const double *v = golden_get(G, name, &r, &c);
    return cml_matrix_view(v, r, c);
}

/* Rows idx (a golden index vector) of X; malloc'd. */
static double *rows_of(const double *X, int64_t d, const char *idx_name, int64_t *n)
{
    int64_t r, c;
    const double *idx = golden_get(G, idx_name, &r, &c);
    double *out = malloc(sizeof(double) * (size_t)(c * d));
    for (int64_t k = 0; k < c; k++)
        memcpy(out + k * d, X + (int64_t)idx[k] * d, (size_t)d * sizeof(double));
    *n = c;
    return out;
}

/* Row range [from, to) of X as a view. */
static cml_matrix slice(const double *X, int64_t d, int64_t from, int64_t to)
{
    return cml_matrix_view(X + from * d, to - from, d);
}

static char *key(const char *prefix, const char *tag, const char *suffix)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s_%s_%s", prefix, tag, suffix);
    return buf;
}

/* ---------------------------------------------------------------- StandardScaler */

static void run_ss(const char *tag, cml_matrix X, const double *Xs, int64_t ns, int with_mean,
                   int with_std)
{
    cml_standard_scaler_params p = cml_standard_scaler_params_default();
    p.with_mean = with_mean;
    p.with_std = with_std;
    cml_standard_scaler *s;
    assert_int_equal(cml_standard_scaler_fit(&p, &X, &s), CML_OK);
    int64_t d = X.cols;
    if (with_mean || with_std)
        check(cml_standard_scaler_mean(s), key("ss", tag, "mean"), d);
    else
        assert_null(cml_standard_scaler_mean(s));
    if (with_std) {
        check(cml_standard_scaler_var(s), key("ss", tag, "var"), d);
        check(cml_standard_scaler_scale(s), key("ss", tag, "scale"), d);
    } else {
        assert_null(cml_standard_scaler_var(s));
        assert_null(cml_standard_scaler_scale(s));
    }
    check_i64(cml_standard_scaler_n_samples_seen(s), key("ss", tag, "n_seen"), d);
    double *out = malloc(sizeof(double) * (size_t)(ns * d));
    cml_matrix V = cml_matrix_view(Xs, ns, d);
    assert_int_equal(cml_standard_scaler_transform(s, &V, out), CML_OK);
    check(out, key("ss", tag, "Xt"), ns * d);
    cml_matrix T = gmat(key("ss", tag, "Xt"));
    assert_int_equal(cml_standard_scaler_inverse_transform(s, &T, out), CML_OK);
    check(out, key("ss", tag, "inv"), ns * d);
    free(out);
    cml_standard_scaler_free(s);
}

static void test_standard_scaler(void **state)
{
    (void)state;
    int64_t n;
    double *w = rows_of(wine, d_wine, "wine_rows", &n);
    cml_matrix W = cml_matrix_view(wine, n_wine, d_wine);
    run_ss("wine", W, w, n, 1, 1);
    run_ss("wine_nomean", W, w, n, 0, 1);
    run_ss("wine_nostd", W, w, n, 1, 0);
    free(w);

    cml_matrix D = gmat("diab_nan");
    double *dn = rows_of(D.data, D.cols, "sub_rows", &n);
    run_ss("diab_nan", D, dn, n, 1, 1);
    free(dn);

    /* iris + a constant 0.1 column: its variance is rounding noise, scale 1 */
    double *ic = malloc(sizeof(double) * (size_t)(n_iris * 5));
    for (int64_t i = 0; i < n_iris; i++) {
        memcpy(ic + i * 5, iris + i * 4, 4 * sizeof(double));
        ic[i * 5 + 4] = 0.1;
    }
    double *icr = rows_of(ic, 5, "iris_rows", &n);
    run_ss("iris_const", cml_matrix_view(ic, n_iris, 5), icr, n, 1, 1);
    free(icr);
    free(ic);
}

/* ---------------------------------------------------------------- MinMaxScaler */

static void run_mm(const char *tag, cml_matrix X, cml_matrix Xs, const char *range, int clip)
{
    cml_min_max_scaler_params p = cml_min_max_scaler_params_default();
    snprintf(p.feature_range, sizeof p.feature_range, "%s", range);
    p.clip = clip;
    cml_min_max_scaler *s;
    assert_int_equal(cml_min_max_scaler_fit(&p, &X, &s), CML_OK);
    int64_t d = X.cols;
    check(cml_min_max_scaler_data_min(s), key("mm", tag, "data_min"), d);
    check(cml_min_max_scaler_data_max(s), key("mm", tag, "data_max"), d);
    check(cml_min_max_scaler_data_range(s), key("mm", tag, "data_range"), d);
    check(cml_min_max_scaler_scale(s), key("mm", tag, "scale"), d);
    check(cml_min_max_scaler_min(s), key("mm", tag, "min"), d);
    assert_int_equal(cml_min_max_scaler_n_samples_seen(s), X.rows);
    double *out = malloc(sizeof(double) * (size_t)(Xs.rows * d));
    assert_int_equal(cml_min_max_scaler_transform(s, &Xs, out), CML_OK);
    check(out, key("mm", tag, "Xt"), Xs.rows * d);
    cml_matrix T = gmat(key("mm", tag, "Xt"));
    assert_int_equal(cml_min_max_scaler_inverse_transform(s, &T, out), CML_OK);
    check(out, key("mm", tag, "inv"), Xs.rows * d);
    free(out);
    cml_min_max_scaler_free(s);
}

static void test_min_max_scaler(void **state)
{
    (void)state;
    int64_t n;
    double *w = rows_of(wine, d_wine, "wine_rows", &n);
    run_mm("wine", cml_matrix_view(wine, n_wine, d_wine), cml_matrix_view(w, n, d_wine), "0,1", 0);
    free(w);
    cml_matrix D = gmat("diab_nan");
    double *dn = rows_of(D.data, D.cols, "sub_rows", &n);
    run_mm("diab_nan", D, cml_matrix_view(dn, n, D.cols), "-1, 2", 0);
    free(dn);
    /* fitted on rows 0..99, applied to every other later row */
    double *late = malloc(sizeof(double) * (size_t)(39 * d_wine));
    for (int64_t k = 0; k < 39; k++)
        memcpy(late + k * d_wine, wine + (100 + 2 * k) * d_wine, (size_t)d_wine * sizeof(double));
    run_mm("wine_clip", slice(wine, d_wine, 0, 100), cml_matrix_view(late, 39, d_wine), "0,1", 1);
    run_mm("wine_noclip", slice(wine, d_wine, 0, 100), cml_matrix_view(late, 39, d_wine), "0,1", 0);
    free(late);
}

/* ---------------------------------------------------------------- SimpleImputer */

static void run_imp(const char *tag, cml_matrix X, cml_matrix Xs, int strategy, int keep)
{
    cml_simple_imputer_params p = cml_simple_imputer_params_default();
    p.strategy = strategy;
    p.fill_value = -1.5;
    p.keep_empty_features = keep;
    cml_simple_imputer *s;
    assert_int_equal(cml_simple_imputer_fit(&p, &X, &s), CML_OK);
    char name[96];
    snprintf(name, sizeof name, "imp_%s_stat", tag);
    check(cml_simple_imputer_statistics(s), name, X.cols);
    snprintf(name, sizeof name, "imp_%s_Xt", tag);
    int64_t r, c;
    golden_get(G, name, &r, &c);
    assert_int_equal(cml_simple_imputer_n_output(s), c);
    double *out = malloc(sizeof(double) * (size_t)(Xs.rows * c));
    assert_int_equal(cml_simple_imputer_transform(s, &Xs, out), CML_OK);
    check(out, name, Xs.rows * c);
    free(out);
    cml_simple_imputer_free(s);
}

static void test_simple_imputer(void **state)
{
    (void)state;
    static const char *names[] = {"mean", "median", "most_frequent", "constant"};
    cml_matrix D = gmat("diab_nan"), E = gmat("empty");
    int64_t n;
    double *dn = rows_of(D.data, D.cols, "sub_rows", &n);
    for (int k = 0; k < 4; k++) {
        char tag[64];
        run_imp(names[k], D, cml_matrix_view(dn, n, D.cols), k, 0);
        snprintf(tag, sizeof tag, "empty_%s", names[k]);
        run_imp(tag, E, E, k, 0);
        if (k != CML_IMPUTE_CONSTANT) {
            snprintf(tag, sizeof tag, "keep_%s", names[k]);
            run_imp(tag, E, E, k, 1);
        }
    }
    free(dn);
    /* most_frequent ties between 1, 2 and 3 (twice each): the smallest */
    cml_matrix T = gmat("imp_ties_X");
    cml_simple_imputer_params p = cml_simple_imputer_params_default();
    p.strategy = CML_IMPUTE_MOST_FREQUENT;
    cml_simple_imputer *s;
    assert_int_equal(cml_simple_imputer_fit(&p, &T, &s), CML_OK);
    check(cml_simple_imputer_statistics(s), "imp_ties_stat", 1);
    cml_simple_imputer_free(s);
}

/* ---------------------------------------------------------------- PolynomialFeatures */

static void run_poly(const char *tag, cml_matrix X, cml_matrix Xs, int degree, int io, int bias)
{
    cml_polynomial_features_params p = cml_polynomial_features_params_default();
    p.degree = degree;
    p.interaction_only = io;
    p.include_bias = bias;
    cml_polynomial_features *s;
    assert_int_equal(cml_polynomial_features_fit(&p, &X, &s), CML_OK);
    int64_t r, c;
    golden_get(G, key("poly", tag, "powers"), &r, &c);
    int64_t n_out = cml_polynomial_features_n_output(s);
    assert_int_equal(n_out, r);
    assert_int_equal(c, X.cols);
    int64_t *pw = malloc(sizeof(int64_t) * (size_t)(n_out * X.cols));
    cml_polynomial_features_powers(s, pw);
    check_i64(pw, key("poly", tag, "powers"), n_out * X.cols);
    free(pw);
    double *out = malloc(sizeof(double) * (size_t)(Xs.rows * n_out));
    assert_int_equal(cml_polynomial_features_transform(s, &Xs, out), CML_OK);
    check(out, key("poly", tag, "Xt"), Xs.rows * n_out);
    free(out);
    cml_polynomial_features_free(s);
}

static void test_polynomial_features(void **state)
{
    (void)state;
    int64_t n;
    cml_matrix I = cml_matrix_view(iris, n_iris, d_iris);
    double *ir = rows_of(iris, d_iris, "iris_rows", &n);
    run_poly("iris2", I, cml_matrix_view(ir, n, d_iris), 2, 0, 1);
    run_poly("iris3_io", I, cml_matrix_view(ir, n, d_iris), 3, 1, 1);
    free(ir);
    run_poly("iris4_nobias", I, slice(iris, d_iris, 0, 10), 4, 0, 0);
    run_poly("iris0", I, slice(iris, d_iris, 0, 5), 0, 0, 1);
    run_poly("iris1_nobias", I, slice(iris, d_iris, 0, 5), 1, 0, 0);
    run_poly("diab2", cml_matrix_view(diab, n_diab, d_diab), slice(diab, d_diab, 0, 10), 2, 0, 1);
    run_poly("wine3_io_nobias", cml_matrix_view(wine, n_wine, d_wine), slice(wine, d_wine, 0, 2), 3,
             1, 0);
    /* degree 5 > 4 features with interaction_only: the top degrees are empty */
    double w4[178 * 4];
    for (int64_t i = 0; i < n_wine; i++)
        memcpy(w4 + i * 4, wine + i * d_wine, 4 * sizeof(double));
    run_poly("wine5_io", cml_matrix_view(w4, n_wine, 4), cml_matrix_view(w4, 6, 4), 5, 1, 1);
}

/* ---------------------------------------------------------------- OneHotEncoder */

static void run_oh(const char *tag, cml_matrix X, cml_matrix Xs, const char *cols, int drop,
                   int unknown)
{
    cml_one_hot_encoder_params p = cml_one_hot_encoder_params_default();
    snprintf(p.columns, sizeof p.columns, "%s", cols);
    p.drop = drop;
    p.handle_unknown = unknown;
    cml_one_hot_encoder *s;
    assert_int_equal(cml_one_hot_encoder_fit(&p, &X, &s), CML_OK);
    int64_t n_enc = cml_one_hot_encoder_n_encoded(s);
    double *drops = malloc(sizeof(double) * (size_t)n_enc);
    for (int64_t e = 0; e < n_enc; e++) {
        char name[96];
        int64_t k;
        const double *cats = cml_one_hot_encoder_categories(s, e, &k);
        snprintf(name, sizeof name, "oh_%s_cats%lld", tag, (long long)e);
        check(cats, name, k);
        drops[e] = (double)cml_one_hot_encoder_drop_idx(s, e);
    }
    check(drops, key("oh", tag, "drop"), n_enc);
    free(drops);
    int64_t r, c, w = cml_one_hot_encoder_n_output(s);
    golden_get(G, key("oh", tag, "Xt"), &r, &c);
    assert_int_equal(w, c);
    double *out = malloc(sizeof(double) * (size_t)(Xs.rows * w));
    assert_int_equal(cml_one_hot_encoder_transform(s, &Xs, out), CML_OK);
    check(out, key("oh", tag, "Xt"), Xs.rows * w);
    free(out);
    cml_matrix T = gmat(key("oh", tag, "Xt"));
    out = malloc(sizeof(double) * (size_t)(Xs.rows * X.cols));
    assert_int_equal(cml_one_hot_encoder_inverse_transform(s, &T, out), CML_OK);
    check(out, key("oh", tag, "inv"), Xs.rows * X.cols);
    free(out);
    cml_one_hot_encoder_free(s);
}

static void test_one_hot_encoder(void **state)
{
    (void)state;
    int64_t n;
    cml_matrix Dm = cml_matrix_view(diab, n_diab, d_diab);
    double *ds = rows_of(diab, d_diab, "sub_rows", &n);
    run_oh("sex", Dm, cml_matrix_view(ds, n, d_diab), "1", CML_ONEHOT_DROP_NONE, CML_ONEHOT_ERROR);
    free(ds);
    run_oh("sex_first", Dm, slice(diab, d_diab, 0, 40), "1", CML_ONEHOT_DROP_FIRST,
           CML_ONEHOT_ERROR);
    run_oh("sex_ifbin", Dm, slice(diab, d_diab, 0, 40), "1", CML_ONEHOT_DROP_IF_BINARY,
           CML_ONEHOT_ERROR);
    cml_matrix It = cml_matrix_view(iris_t, n_iris, 5);
    double *ir = rows_of(iris_t, 5, "iris_rows", &n);
    run_oh("iris_t0", It, cml_matrix_view(ir, n, 5), "4,0", CML_ONEHOT_DROP_NONE, CML_ONEHOT_ERROR);
    /* columns 1 and 4 of iris_t, all encoded ("" = all) */
    double *two = malloc(sizeof(double) * (size_t)(n_iris * 2));
    for (int64_t i = 0; i < n_iris; i++) {
        two[2 * i] = iris_t[5 * i + 1];
        two[2 * i + 1] = iris_t[5 * i + 4];
    }
    double *tr = rows_of(two, 2, "iris_rows", &n);
    run_oh("iris_all", cml_matrix_view(two, n_iris, 2), cml_matrix_view(tr, n, 2), "",
           CML_ONEHOT_DROP_IF_BINARY, CML_ONEHOT_ERROR);
    free(tr);
    free(two);
    free(ir);
    cml_matrix D = gmat("diab_nan");
    run_oh("sexnan", D, slice(D.data, D.cols, 0, 20), "1,3", CML_ONEHOT_DROP_NONE,
           CML_ONEHOT_ERROR);
    run_oh("unknown", slice(iris_t, 5, 0, 100), slice(iris_t, 5, 90, 110), "4",
           CML_ONEHOT_DROP_NONE, CML_ONEHOT_IGNORE);
    run_oh("unknown_first", slice(iris_t, 5, 0, 100), slice(iris_t, 5, 90, 110), "4",
           CML_ONEHOT_DROP_FIRST, CML_ONEHOT_IGNORE);
}

/* ---------------------------------------------------------------- pipeline */

/* SimpleImputer(median) -> StandardScaler -> PolynomialFeatures(2) as one
 * cml_model: the generic layer runs the steps at fit and at transform. */
static void test_pipeline(void **state)
{
    (void)state;
    cml_model *m, *imp, *ss;
    assert_int_equal(cml_model_create("poly", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "degree", "2"), CML_OK);
    assert_int_equal(cml_model_create("impute", &imp), CML_OK);
    assert_int_equal(cml_model_set_param(imp, "strategy", "median"), CML_OK);
    assert_int_equal(cml_model_create("standard", &ss), CML_OK);
    assert_int_equal(cml_model_add_step(m, imp), CML_OK);
    assert_int_equal(cml_model_add_step(m, ss), CML_OK);
    cml_matrix D = gmat("diab_nan");
    assert_int_equal(cml_model_fit(m, &D, NULL, NULL), CML_OK);
    int64_t n;
    double *rows = rows_of(D.data, D.cols, "pipe_rows", &n);
    cml_matrix R = cml_matrix_view(rows, n, D.cols);
    int64_t w = cml_model_n_transform_cols(m);
    assert_int_equal(w, 66);
    double *out = malloc(sizeof(double) * (size_t)(n * w));
    assert_int_equal(cml_model_transform(m, &R, out), CML_OK);
    check(out, "pipe_Xt", n * w);
    free(out);
    free(rows);
    cml_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_scaler), cmocka_unit_test(test_min_max_scaler),
        cmocka_unit_test(test_simple_imputer),  cmocka_unit_test(test_polynomial_features),
        cmocka_unit_test(test_one_hot_encoder), cmocka_unit_test(test_pipeline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
