/*
 * test_preprocess.c — the preprocessing transformers through the typed API
 * and the generic layer: registry names and aliases, parameter and input
 * errors (each must name what is wrong), NaN/inf handling, unknown
 * categories, all-missing columns, constant columns, fit -> save -> load ->
 * transform bit-identical (alone and as pipeline steps), rejection of
 * corrupt files, and results independent of the thread count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/model.h"
#include "cml/preprocess.h"
#include "forged.h"
#include "golden.h"

static void assert_error_has(const char *needle)
{
    if (!strstr(cml_last_error(), needle))
        fail_msg("error \"%s\" does not mention \"%s\"", cml_last_error(), needle);
}

/* diabetes with a fixed ~5% of cells set to NaN (and never a whole column). */
static double *diabetes_nan(int64_t *n, int64_t *d)
{
    double *X, *y;
    test_load_dataset("diabetes", &X, n, d, &y);
    free(y);
    for (int64_t k = 0; k < *n * *d; k++)
        if ((k * 2654435761u) % 97 < 5) X[k] = NAN;
    return X;
}

static char *temp_path(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/cml_prep_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return path;
}

/* ---------------------------------------------------------------- registry */

static void test_registry(void **state)
{
    (void)state;
    static const char *pairs[][2] = {{"standard_scaler", "standard"},
                                     {"min_max_scaler", "minmax"},
                                     {"simple_imputer", "impute"},
                                     {"polynomial_features", "poly"},
                                     {"one_hot_encoder", "onehot"}};
    for (int k = 0; k < 5; k++) {
        const cml_estimator *e = cml_estimator_find(pairs[k][0]);
        assert_non_null(e);
        assert_ptr_equal(cml_estimator_find(pairs[k][1]), e);
        assert_int_equal(e->task, CML_TASK_TRANSFORM);
        assert_non_null(e->transform);
        assert_non_null(e->n_transform_cols);
    }
    /* sklearn's defaults */
    cml_standard_scaler_params ss = cml_standard_scaler_params_default();
    assert_true(ss.with_mean && ss.with_std);
    cml_min_max_scaler_params mm = cml_min_max_scaler_params_default();
    assert_string_equal(mm.feature_range, "0,1");
    assert_false(mm.clip);
    cml_simple_imputer_params im = cml_simple_imputer_params_default();
    assert_int_equal(im.strategy, CML_IMPUTE_MEAN);
    cml_polynomial_features_params pf = cml_polynomial_features_params_default();
    assert_true(pf.degree == 2 && !pf.interaction_only && pf.include_bias);
    cml_one_hot_encoder_params oh = cml_one_hot_encoder_params_default();
    assert_true(oh.handle_unknown == CML_ONEHOT_ERROR && oh.drop == CML_ONEHOT_DROP_NONE);
    assert_string_equal(oh.columns, "");
    /* free(NULL) is a no-op */
    cml_standard_scaler_free(NULL);
    cml_min_max_scaler_free(NULL);
    cml_simple_imputer_free(NULL);
    cml_polynomial_features_free(NULL);
    cml_one_hot_encoder_free(NULL);
}

/* ---------------------------------------------------------------- bad params */

/* Fits algo with key=value on a small matrix; returns the status. */
static cml_status fit_with(const char *algo, const char *k, const char *v, const double *X,
                           int64_t n, int64_t d)
{
    cml_model *m;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    cml_status st = cml_model_set_param(m, k, v);
    if (st == CML_OK) {
        cml_matrix M = cml_matrix_view(X, n, d);
        st = cml_model_fit(m, &M, NULL, NULL);
    }
    cml_model_free(m);
    return st;
}

static void test_bad_params(void **state)
{
    (void)state;
    const double X[] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(fit_with("minmax", "feature_range", "1,0", X, 3, 2), CML_ERR_ARG);
    assert_error_has("feature_range");
    assert_int_equal(fit_with("minmax", "feature_range", "0,0", X, 3, 2), CML_ERR_ARG);
    assert_int_equal(fit_with("minmax", "feature_range", "zero,1", X, 3, 2), CML_ERR_ARG);
    assert_error_has("feature_range");
    assert_int_equal(fit_with("minmax", "feature_range", "0,1,2", X, 3, 2), CML_ERR_ARG);
    assert_int_equal(fit_with("minmax", "feature_range", "-1, 1", X, 3, 2), CML_OK);
    assert_int_equal(fit_with("standard", "with_meen", "true", X, 3, 2), CML_ERR_ARG);
    assert_error_has("with_mean"); /* the list of valid names */
    assert_int_equal(fit_with("impute", "strategy", "mode", X, 3, 2), CML_ERR_ARG);
    assert_error_has("most_frequent");
    assert_int_equal(fit_with("impute", "fill_value", "nan", X, 3, 2), CML_ERR_ARG);
    assert_int_equal(fit_with("poly", "degree", "-1", X, 3, 2), CML_ERR_ARG);
    assert_error_has("degree");
    assert_int_equal(fit_with("onehot", "handle_unknown", "infrequent_if_exist", X, 3, 2),
                     CML_ERR_ARG);
    assert_error_has("handle_unknown");
    assert_int_equal(fit_with("onehot", "drop", "last", X, 3, 2), CML_ERR_ARG);
    assert_int_equal(fit_with("onehot", "columns", "0,x", X, 3, 2), CML_ERR_ARG);
    assert_error_has("columns");
    assert_int_equal(fit_with("onehot", "columns", "1,1", X, 3, 2), CML_ERR_ARG);
    assert_error_has("twice");
    assert_int_equal(fit_with("onehot", "columns", "2", X, 3, 2), CML_ERR_ARG);
    assert_error_has("out of range");
    assert_int_equal(fit_with("onehot", "columns", " 1 , 0 ", X, 3, 2), CML_OK);

    /* degree 0 without bias: empty output, refused as sklearn does */
    cml_polynomial_features_params p = cml_polynomial_features_params_default();
    p.degree = 0;
    p.include_bias = 0;
    cml_polynomial_features *s;
    cml_matrix M = cml_matrix_view(X, 3, 2);
    assert_int_equal(cml_polynomial_features_fit(&p, &M, &s), CML_ERR_ARG);
    assert_error_has("include_bias");
    /* absurd output size refused before allocating */
    p = cml_polynomial_features_params_default();
    p.degree = 1000;
    double wide[40];
    for (int k = 0; k < 40; k++)
        wide[k] = k;
    cml_matrix Wd = cml_matrix_view(wide, 2, 20);
    assert_int_equal(cml_polynomial_features_fit(&p, &Wd, &s), CML_ERR_ARG);
    assert_error_has("degree");

    /* sample weights are refused, not ignored */
    cml_model *m;
    double sw[3] = {1, 1, 1};
    cml_fit_opts opts = {sw, NULL, NULL};
    assert_int_equal(cml_model_create("standard_scaler", &m), CML_OK);
    assert_int_equal(cml_model_fit(m, &M, NULL, &opts), CML_ERR_UNSUPPORTED);
    cml_model_free(m);
}

/* ---------------------------------------------------------------- bad input */

static void test_bad_input(void **state)
{
    (void)state;
    double X[] = {1, 2, 3, 4, 5, INFINITY};
    cml_matrix M = cml_matrix_view(X, 3, 2);
    cml_standard_scaler_params sp = cml_standard_scaler_params_default();
    cml_standard_scaler *ss;
    assert_int_equal(cml_standard_scaler_fit(&sp, &M, &ss), CML_ERR_ARG);
    assert_error_has("row 3, column 2 is infinite");
    cml_simple_imputer_params ip = cml_simple_imputer_params_default();
    cml_simple_imputer *si;
    assert_int_equal(cml_simple_imputer_fit(&ip, &M, &si), CML_ERR_ARG);
    assert_error_has("infinite");

    /* NaN: polynomial features refuse it, naming the cell */
    X[5] = NAN;
    cml_polynomial_features_params pp = cml_polynomial_features_params_default();
    cml_polynomial_features *pf;
    assert_int_equal(cml_polynomial_features_fit(&pp, &M, &pf), CML_ERR_ARG);
    assert_error_has("row 3, column 2 is NaN");
    cml_model *m;
    assert_int_equal(cml_model_create("poly", &m), CML_OK);
    assert_int_equal(cml_model_fit(m, &M, NULL, NULL), CML_ERR_ARG);
    assert_error_has("row 3, column 2");
    cml_model_free(m);

    /* feature count mismatch at transform */
    X[5] = 6;
    assert_int_equal(cml_standard_scaler_fit(&sp, &M, &ss), CML_OK);
    cml_matrix M3 = cml_matrix_view(X, 2, 3);
    double out[6];
    assert_int_equal(cml_standard_scaler_transform(ss, &M3, out), CML_ERR_ARG);
    assert_error_has("3 features");
    cml_standard_scaler_free(ss);
    assert_int_equal(cml_model_create("minmax", &m), CML_OK);
    assert_int_equal(cml_model_fit(m, &M, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_transform(m, &M3, out), CML_ERR_ARG);
    cml_model_free(m);

    /* unfitted model */
    assert_int_equal(cml_model_create("impute", &m), CML_OK);
    assert_int_equal(cml_model_transform(m, &M, out), CML_ERR_NOT_FITTED);
    cml_model_free(m);
}

/* ---------------------------------------------------------------- behaviour */

static void test_constant_and_nan_columns(void **state)
{
    (void)state;
    /* column 0 constant, column 1 varies, column 2 has NaN */
    double X[] = {7, 1, NAN, 7, 2, 1, 7, 3, 3, 7, 4, NAN};
    cml_matrix M = cml_matrix_view(X, 4, 3);
    double out[12], back[12];

    cml_standard_scaler_params sp = cml_standard_scaler_params_default();
    cml_standard_scaler *ss;
    assert_int_equal(cml_standard_scaler_fit(&sp, &M, &ss), CML_OK);
    assert_true(cml_standard_scaler_scale(ss)[0] == 1.0); /* zero variance: scale 1 */
    assert_true(cml_standard_scaler_var(ss)[0] == 0.0);
    assert_true(cml_standard_scaler_mean(ss)[2] == 2.0); /* NaN ignored */
    assert_int_equal(cml_standard_scaler_n_samples_seen(ss)[2], 2);
    assert_int_equal(cml_standard_scaler_n_samples_seen(ss)[1], 4);
    assert_int_equal(cml_standard_scaler_transform(ss, &M, out), CML_OK);
    for (int i = 0; i < 4; i++)
        assert_true(out[3 * i] == 0.0);
    assert_true(isnan(out[2]) && isnan(out[11])); /* NaN kept */
    cml_matrix T = cml_matrix_view(out, 4, 3);
    assert_int_equal(cml_standard_scaler_inverse_transform(ss, &T, back), CML_OK);
    assert_close(back, X, 12, 1e-15, 1e-15, "inverse");
    cml_standard_scaler_free(ss);

    cml_min_max_scaler_params mp = cml_min_max_scaler_params_default();
    snprintf(mp.feature_range, sizeof mp.feature_range, "-1,1");
    cml_min_max_scaler *mm;
    assert_int_equal(cml_min_max_scaler_fit(&mp, &M, &mm), CML_OK);
    assert_int_equal(cml_min_max_scaler_transform(mm, &M, out), CML_OK);
    for (int i = 0; i < 4; i++)
        assert_true(out[3 * i] == -1.0); /* constant maps to lo */
    assert_true(fabs(out[1] + 1.0) < 1e-15 && fabs(out[10] - 1.0) < 1e-15);
    assert_true(isnan(out[2]) && out[5] == -1.0 && out[8] == 1.0);
    cml_min_max_scaler_free(mm);
}

static int n_warnings;
static char last_warning[512];
static void capture(cml_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level == CML_LOG_WARN) {
        n_warnings++;
        snprintf(last_warning, sizeof last_warning, "%s", msg);
    }
}

static void test_imputer_empty_columns(void **state)
{
    (void)state;
    double X[] = {1, NAN, 3, NAN, NAN, 5, 4, NAN, NAN};
    cml_matrix M = cml_matrix_view(X, 3, 3);
    cml_log_set(capture, NULL);
    n_warnings = 0;
    cml_model *m;
    assert_int_equal(cml_model_create("impute", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "strategy", "median"), CML_OK);
    assert_int_equal(cml_model_fit(m, &M, NULL, NULL), CML_OK);
    assert_int_equal(n_warnings, 1);
    if (!strstr(last_warning, "column(s) 2")) fail_msg("warning: %s", last_warning);
    assert_int_equal(cml_model_n_transform_cols(m), 2); /* column 2 dropped, as sklearn 1.2 */
    double out[6];
    assert_int_equal(cml_model_transform(m, &M, out), CML_OK);
    const double want[] = {1, 3, 2.5, 5, 4, 4};
    assert_memory_equal(out, want, sizeof want);
    cml_model_free(m);

    /* keep_empty_features keeps it, filled with 0; constant keeps it */
    assert_int_equal(cml_model_create("impute", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "keep_empty_features", "true"), CML_OK);
    assert_int_equal(cml_model_fit(m, &M, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_n_transform_cols(m), 3);
    cml_model_free(m);
    assert_int_equal(cml_model_create("impute", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "strategy", "constant"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "fill_value", "-7"), CML_OK);
    assert_int_equal(cml_model_fit(m, &M, NULL, NULL), CML_OK);
    double out9[9];
    assert_int_equal(cml_model_transform(m, &M, out9), CML_OK);
    assert_true(out9[1] == -7 && out9[8] == -7 && out9[0] == 1);
    cml_model_free(m);
    cml_log_set(NULL, NULL);

    /* every column empty: an error, not an empty output */
    double E[] = {NAN, NAN, NAN, NAN};
    cml_matrix ME = cml_matrix_view(E, 2, 2);
    cml_simple_imputer_params p = cml_simple_imputer_params_default();
    cml_simple_imputer *s;
    assert_int_equal(cml_simple_imputer_fit(&p, &ME, &s), CML_ERR_ARG);
    assert_error_has("keep_empty_features");
}

static void test_one_hot_behaviour(void **state)
{
    (void)state;
    /* col 0: codes 2,0,1 ; col 1 passes through ; col 2: NaN is a category */
    double X[] = {2, 10, 5, 0, 11, NAN, 1, 12, 5, 2, 13, 6};
    cml_matrix M = cml_matrix_view(X, 4, 3);
    cml_one_hot_encoder_params p = cml_one_hot_encoder_params_default();
    snprintf(p.columns, sizeof p.columns, "2,0");
    cml_one_hot_encoder *s;
    assert_int_equal(cml_one_hot_encoder_fit(&p, &M, &s), CML_OK);
    int64_t k;
    const double *c = cml_one_hot_encoder_categories(s, 0, &k);
    assert_int_equal(k, 3);
    assert_true(c[0] == 5 && c[1] == 6 && isnan(c[2])); /* NaN sorted last */
    assert_int_equal(cml_one_hot_encoder_encoded_column(s, 0), 2);
    assert_int_equal(cml_one_hot_encoder_n_output(s), 3 + 3 + 1);
    double out[4 * 7];
    assert_int_equal(cml_one_hot_encoder_transform(s, &M, out), CML_OK);
    const double want[] = {1, 0, 0, 0, 0, 1, 10, 0, 0, 1, 1, 0, 0, 11,
                           1, 0, 0, 0, 1, 0, 12, 0, 1, 0, 0, 0, 1, 13};
    assert_memory_equal(out, want, sizeof want);
    double back[12];
    cml_matrix T = cml_matrix_view(out, 4, 7);
    assert_int_equal(cml_one_hot_encoder_inverse_transform(s, &T, back), CML_OK);
    assert_close(back, X, 12, 0, 0, "inverse");

    /* unknown category: error naming row, column and value */
    double U[] = {2, 10, 5, 7, 11, 6};
    cml_matrix MU = cml_matrix_view(U, 2, 3);
    assert_int_equal(cml_one_hot_encoder_transform(s, &MU, out), CML_ERR_ARG);
    assert_error_has("row 2, column 1 has category 7");
    assert_error_has("handle_unknown=ignore");
    /* inverse of an all-zero block with drop=none, handle_unknown=error */
    memset(out, 0, sizeof out);
    assert_int_equal(cml_one_hot_encoder_inverse_transform(s, &T, back), CML_ERR_ARG);
    assert_error_has("all zeros");
    cml_one_hot_encoder_free(s);

    /* NaN not seen at fit is unknown too; with ignore it is all zeros */
    double F[] = {1, 2, 1, 3};
    cml_matrix MF = cml_matrix_view(F, 2, 2);
    p = cml_one_hot_encoder_params_default();
    assert_int_equal(cml_one_hot_encoder_fit(&p, &MF, &s), CML_OK);
    double G2[] = {NAN, 2};
    cml_matrix MG = cml_matrix_view(G2, 1, 2);
    assert_int_equal(cml_one_hot_encoder_transform(s, &MG, out), CML_ERR_ARG);
    assert_error_has("nan");
    cml_one_hot_encoder_free(s);
    p.handle_unknown = CML_ONEHOT_IGNORE;
    assert_int_equal(cml_one_hot_encoder_fit(&p, &MF, &s), CML_OK);
    assert_int_equal(cml_one_hot_encoder_transform(s, &MG, out), CML_OK);
    const double want_g[] = {0, 1, 0};
    assert_memory_equal(out, want_g, sizeof want_g);
    cml_matrix TG = cml_matrix_view(out, 1, 3);
    assert_int_equal(cml_one_hot_encoder_inverse_transform(s, &TG, back), CML_OK);
    assert_true(isnan(back[0]) && back[1] == 2); /* sklearn gives None */
    cml_one_hot_encoder_free(s);

    /* drop=first on a single-category column: no output columns for it */
    p = cml_one_hot_encoder_params_default();
    p.drop = CML_ONEHOT_DROP_FIRST;
    assert_int_equal(cml_one_hot_encoder_fit(&p, &MF, &s), CML_OK);
    assert_int_equal(cml_one_hot_encoder_n_output(s), 1);
    assert_int_equal(cml_one_hot_encoder_transform(s, &MF, out), CML_OK);
    assert_true(out[0] == 0 && out[1] == 1);
    cml_matrix TF = cml_matrix_view(out, 2, 1);
    assert_int_equal(cml_one_hot_encoder_inverse_transform(s, &TF, back), CML_OK);
    assert_memory_equal(back, F, sizeof F);
    cml_one_hot_encoder_free(s);
}

/* ---------------------------------------------------------------- save / load */

/* Fits m on X, saves, loads, and checks transform is bit-identical and
 * describe works on both. Takes ownership of m. */
static void round_trip(cml_model *m, const cml_matrix *X)
{
    assert_int_equal(cml_model_fit(m, X, NULL, NULL), CML_OK);
    char *path = temp_path();
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    cml_model *l;
    assert_int_equal(cml_model_load(path, &l, NULL), CML_OK);
    unlink(path);
    int64_t w = cml_model_n_transform_cols(m);
    assert_int_equal(cml_model_n_transform_cols(l), w);
    assert_int_equal(cml_model_n_features_in(l), X->cols);
    size_t bytes = sizeof(double) * (size_t)(X->rows * w);
    double *a = malloc(bytes), *b = malloc(bytes);
    assert_int_equal(cml_model_transform(m, X, a), CML_OK);
    assert_int_equal(cml_model_transform(l, X, b), CML_OK);
    assert_memory_equal(a, b, bytes);
    char *da = cml_model_describe(m), *db = cml_model_describe(l);
    assert_non_null(da);
    assert_non_null(db);
    assert_non_null(strstr(da, "\"attributes\":{"));
    free(da);
    free(db);
    free(a);
    free(b);
    cml_model_free(l);
    cml_model_free(m);
}

static cml_model *make(const char *algo, const char *k1, const char *v1, const char *k2,
                       const char *v2)
{
    cml_model *m;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    if (k1) assert_int_equal(cml_model_set_param(m, k1, v1), CML_OK);
    if (k2) assert_int_equal(cml_model_set_param(m, k2, v2), CML_OK);
    return m;
}

static void test_save_load(void **state)
{
    (void)state;
    int64_t n, d;
    double *X = diabetes_nan(&n, &d);
    cml_matrix M = cml_matrix_view(X, n, d);
    round_trip(make("standard_scaler", NULL, NULL, NULL, NULL), &M);
    round_trip(make("standard_scaler", "with_mean", "false", NULL, NULL), &M);
    round_trip(make("standard_scaler", "with_std", "false", NULL, NULL), &M);
    round_trip(make("standard_scaler", "with_std", "false", "with_mean", "false"), &M);
    round_trip(make("min_max_scaler", "feature_range", "-3,0.5", "clip", "true"), &M);
    round_trip(make("simple_imputer", NULL, NULL, NULL, NULL), &M);
    round_trip(make("simple_imputer", "strategy", "most_frequent", NULL, NULL), &M);
    round_trip(make("simple_imputer", "strategy", "constant", "fill_value", "3.25"), &M);
    round_trip(make("one_hot_encoder", "columns", "1,3", "drop", "if_binary"), &M);
    round_trip(make("one_hot_encoder", "columns", "1", "handle_unknown", "ignore"), &M);

    /* the documented pipeline: impute -> scale -> poly(2), saved as one file */
    cml_model *p = make("polynomial_features", "degree", "2", NULL, NULL);
    assert_int_equal(cml_model_add_step(p, make("impute", "strategy", "median", NULL, NULL)),
                     CML_OK);
    assert_int_equal(cml_model_add_step(p, make("standard", NULL, NULL, NULL, NULL)), CML_OK);
    round_trip(p, &M);
    /* one-hot the sex column, then min-max everything */
    p = make("minmax", NULL, NULL, NULL, NULL);
    assert_int_equal(cml_model_add_step(p, make("onehot", "columns", "1", NULL, NULL)), CML_OK);
    round_trip(p, &M);
    /* polynomial features alone need NaN-free data */
    for (int64_t k = 0; k < n * d; k++)
        if (isnan(X[k])) X[k] = 0;
    round_trip(make("poly", "degree", "3", "interaction_only", "true"), &M);
    free(X);
}

/* A one_hot_encoder file written field by field, with `bad` selecting one
 * corruption; load must fail with CML_ERR_FORMAT, never crash. */
static cml_status load_crafted_onehot(int bad)
{
    cml_gguf_writer *w = cml_gguf_writer_new();
    int64_t cols[] = {bad == 1 ? 5 : 0}, counts[] = {bad == 2 ? 3 : 2},
            drop[] = {bad == 3 ? 2 : -1};
    double cats[] = {0, bad == 4 ? -1 : 1};
    assert_int_equal(cml_gguf_set_str(w, "cml.kind", "one_hot_encoder"), CML_OK);
    assert_int_equal(cml_gguf_set_u32(w, "cml.schema_version", 1), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.steps", 0), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", bad == 5 ? -3 : 2), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_encoded", 1), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "encoded_columns", cols, 1), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "category_counts", counts, 1), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "categories", cats, 1, 2), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "drop_idx", drop, 1), CML_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(cml_gguf_write_mem(w, &buf, &len), CML_OK);
    cml_gguf_writer_free(w);
    cml_gguf *g;
    assert_int_equal(cml_gguf_read_mem(buf, len, "crafted", &g), CML_OK);
    free(buf);
    cml_model *m = NULL;
    cml_status st = cml_model_from_gguf(g, &m);
    cml_model_free(m);
    cml_gguf_free(g);
    return st;
}

static void test_corrupt_files(void **state)
{
    (void)state;
    assert_int_equal(load_crafted_onehot(0), CML_OK);
    for (int bad = 1; bad <= 5; bad++)
        assert_int_equal(load_crafted_onehot(bad), CML_ERR_FORMAT);

    /* truncations of a real pipeline file are rejected */
    int64_t n, d;
    double *X = diabetes_nan(&n, &d);
    cml_matrix M = cml_matrix_view(X, n, d);
    cml_model *p = make("onehot", "columns", "1", NULL, NULL);
    assert_int_equal(cml_model_add_step(p, make("impute", NULL, NULL, NULL, NULL)), CML_OK);
    assert_int_equal(cml_model_fit(p, &M, NULL, NULL), CML_OK);
    char *path = temp_path();
    assert_int_equal(cml_model_save(p, path, NULL, NULL), CML_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(path);
    assert_true(len > 0 && len < sizeof buf);
    for (size_t cut = 0; cut < len; cut += 1 + cut / 16) {
        cml_gguf *g;
        if (cml_gguf_read_mem(buf, cut, "cut", &g) == CML_OK) {
            cml_model *m = NULL;
            assert_int_not_equal(cml_model_from_gguf(g, &m), CML_OK);
            cml_gguf_free(g);
        }
    }
    cml_model_free(p);
    free(X);
}

/* Transforms are elementwise: any thread count gives the same bits. */
static void test_threads(void **state)
{
    (void)state;
    const int64_t n = 4000, d = 6;
    double *X = malloc(sizeof(double) * (size_t)(n * d));
    cml_rng rng;
    cml_rng_seed(&rng, 42);
    for (int64_t k = 0; k < n * d; k++)
        X[k] = cml_rng_normal(&rng);
    cml_matrix M = cml_matrix_view(X, n, d);
    cml_model *p = make("poly", "degree", "3", NULL, NULL);
    assert_int_equal(cml_model_add_step(p, make("standard", NULL, NULL, NULL, NULL)), CML_OK);
    assert_int_equal(cml_model_fit(p, &M, NULL, NULL), CML_OK);
    int64_t w = cml_model_n_transform_cols(p);
    size_t bytes = sizeof(double) * (size_t)(n * w);
    double *a = malloc(bytes), *b = malloc(bytes);
    cml_set_num_threads(1);
    assert_int_equal(cml_model_transform(p, &M, a), CML_OK);
    cml_set_num_threads(4);
    assert_int_equal(cml_model_transform(p, &M, b), CML_OK);
    cml_set_num_threads(0);
    assert_memory_equal(a, b, bytes);
    free(a);
    free(b);
    free(X);
    cml_model_free(p);
}

/* Forged files (loader audit): a feature count the tensors do not hold is
 * a format error before anything is sized from it; a saved feature_range
 * that does not parse is a format error too (was CML_ERR_ARG). */
static void test_forged_files(void **state)
{
    (void)state;
    double v[2] = {0, 1};
    int64_t n[2] = {5, 5};
    cml_gguf_writer *w = forged_begin("standard_scaler");
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", (int64_t)1 << 28), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "n_samples_seen", n, 2), CML_OK);
    assert_int_equal(forged_load(w), CML_ERR_FORMAT);
    for (int t = 0; t < 3; t++) {
        w = forged_begin("min_max_scaler");
        if (t == 2) assert_int_equal(cml_gguf_set_str(w, "cml.param.feature_range", "1,0"), 0);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", t ? 2 : (int64_t)1 << 28),
                         CML_OK);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_samples_seen", 5), CML_OK);
        assert_int_equal(cml_gguf_add_f64(w, "data_min", v, 1, 2), CML_OK);
        assert_int_equal(cml_gguf_add_f64(w, "data_max", v, 1, 2), CML_OK);
        assert_int_equal(forged_load(w), t == 1 ? CML_OK : CML_ERR_FORMAT);
    }
    w = forged_begin("simple_imputer");
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", (int64_t)1 << 28), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "statistics", v, 1, 2), CML_OK);
    assert_int_equal(forged_load(w), CML_ERR_FORMAT);
    w = forged_begin("one_hot_encoder");
    int64_t cols[1] = {0}, counts[1] = {1 << 20}, drop[1] = {-1};
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", 2), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_encoded", 1), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "encoded_columns", cols, 1), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "category_counts", counts, 1), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "drop_idx", drop, 1), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "categories", v, 1, 2), CML_OK);
    assert_int_equal(forged_load(w), CML_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_constant_and_nan_columns),
        cmocka_unit_test(test_imputer_empty_columns),
        cmocka_unit_test(test_one_hot_behaviour),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_forged_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
