/*
 * test_serve_parse.c — the model server's parts that need no socket:
 * request bodies (JSON rows / records, CSV) through a model's schema into
 * the matrix cml_model_predict sees, every 400 naming its row and column,
 * the predict response (string labels, probabilities equal to
 * cml_model_predict_proba bit for bit), models without a schema, models that
 * cannot predict, reference-counted hot swap, API keys (constant-time
 * match), the token bucket, the Prometheus exposition and its escaping, and
 * random bodies that must never crash (run under ASan/UBSan too).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/cml.h"
#include "helpers/golden.h"
#include "serve/serve_internal.h"

/* ---------------------------------------------------------------- fixture */

/* Features: x (numeric), color (categorical: blue, green, red); target
 * "answer" (categorical: no, yes). y = yes when x + code(color) > 2. */
static cml_column feats[2], target[1];
static char *color_levels[] = {"blue", "green", "red"};
static char *answer_levels[] = {"no", "yes"};

static cml_status hook(cml_gguf_writer *w, void *user)
{
    (void)user;
    CML_CHECK(cml_columns_save(w, "cml.schema.features", feats, 2));
    return cml_columns_save(w, "cml.schema.target", target, 1);
}

static void save_model(const char *algo, int with_schema, char *path, size_t len)
{
    feats[0] = (cml_column){"x", CML_COL_NUMERIC, 0, NULL};
    feats[1] = (cml_column){"color", CML_COL_CATEGORICAL, 3, color_levels};
    target[0] = (cml_column){"answer", CML_COL_CATEGORICAL, 2, answer_levels};
    enum { N = 60 };
    double X[N * 2], y[N];
    for (int i = 0; i < N; i++) {
        X[2 * i] = (i % 10) * 0.37;
        X[2 * i + 1] = i % 3;
        y[i] = X[2 * i] + X[2 * i + 1] > 2 ? 1 : 0;
    }
    cml_model *m;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    cml_matrix Xv = cml_matrix_view(X, N, 2);
    assert_int_equal(cml_model_fit(m, &Xv, y, NULL), CML_OK);
    snprintf(path, len, "/tmp/cml_serve_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cml_model_save(m, path, with_schema ? hook : NULL, NULL), CML_OK);
    cml_model_free(m);
}

static serve_model *load_fixture(const char *algo, int with_schema)
{
    char path[64];
    save_model(algo, with_schema, path, sizeof path);
    serve_model *m;
    cml_status st = serve_model_load(path, &m);
    unlink(path);
    if (st != CML_OK) fail_msg("serve_model_load: %s", cml_last_error());
    return m;
}

/* Parses body; returns the status, message in err. */
static int parse(const serve_model *m, const char *body, int csv, serve_input *in, char *err)
{
    return serve_parse_input(m, body, strlen(body), csv, 0, in, err, 768);
}

static void expect_error(const serve_model *m, const char *body, int csv, const char *needle)
{
    serve_input in;
    char err[768];
    int st = parse(m, body, csv, &in, err);
    if (st != 400) fail_msg("%s: status %d (want 400), err \"%s\"", body, st, err);
    if (!strstr(err, needle)) fail_msg("%s: error \"%s\" lacks \"%s\"", body, err, needle);
    assert_null(in.X);
}

/* ---------------------------------------------------------------- parsing */

static void test_rows_and_records(void **state)
{
    (void)state;
    serve_model *m = load_fixture("logistic_regression", 1);
    assert_int_equal(m->n_features, 2);
    assert_int_equal(m->n_classes, 2);
    serve_input in;
    char err[768];
    assert_int_equal(
        parse(m, "{\"rows\": [[1.5, \"red\"], [null, \"blue\"]], \"proba\": true}", 0, &in, err),
        0);
    assert_int_equal(in.rows, 2);
    assert_int_equal(in.cols, 2);
    assert_true(in.proba);
    assert_true(in.X[0] == 1.5 && in.X[1] == 2 && isnan(in.X[2]) && in.X[3] == 0);
    serve_input_free(&in);

    /* records: any order, extra fields ignored, same matrix */
    assert_int_equal(parse(m,
                           "{\"records\": [{\"color\": \"red\", \"note\": 1, \"x\": 1.5}, "
                           "{\"x\": null, \"color\": \"blue\"}]}",
                           0, &in, err),
                     0);
    assert_false(in.proba);
    assert_true(in.X[0] == 1.5 && in.X[1] == 2 && isnan(in.X[2]) && in.X[3] == 0);
    serve_input_free(&in);

    /* CSV with columns in another order, the target present (ignored) */
    assert_int_equal(parse(m, "answer,color,x\nyes,red,1.5\nno,blue,\n", 1, &in, err), 0);
    assert_int_equal(in.rows, 2);
    assert_true(in.X[0] == 1.5 && in.X[1] == 2 && isnan(in.X[2]) && in.X[3] == 0);
    serve_input_free(&in);
    /* ... and absent */
    assert_int_equal(parse(m, "x,color\n0.25,green\n", 1, &in, err), 0);
    assert_true(in.rows == 1 && in.X[0] == 0.25 && in.X[1] == 1);
    serve_input_free(&in);
    /* exact decimal parsing: the value the CSV reader gives */
    assert_int_equal(parse(m, "{\"rows\": [[0.1, \"red\"], [1e-300, \"red\"]]}", 0, &in, err), 0);
    assert_true(in.X[0] == 0.1 && in.X[2] == 1e-300);
    serve_input_free(&in);
    serve_model_release(m);
}

static void test_errors_name_the_place(void **state)
{
    (void)state;
    serve_model *m = load_fixture("logistic_regression", 1);
    expect_error(m, "{\"rows\": [[1, \"red\"], [1]]}", 0,
                 "rows[1]: 1 values, but the model takes 2 features");
    expect_error(m, "{\"rows\": [[\"abc\", \"red\"]]}", 0,
                 "rows[0][0] (column \"x\"): expected a number, got the string \"abc\"");
    expect_error(m, "{\"rows\": [[1, \"purple\"]]}", 0,
                 "rows[0][1]: unknown category \"purple\" in column \"color\" (known levels: "
                 "\"blue\", \"green\", \"red\")");
    expect_error(m, "{\"rows\": [[1, 2]]}", 0,
                 "rows[0][1] (column \"color\"): categorical column expects one of its levels");
    expect_error(m, "{\"rows\": [[true, \"red\"]]}", 0, "got a boolean");
    expect_error(m, "{\"rows\": [[[1], \"red\"]]}", 0, "got an array");
    expect_error(m, "{\"rows\": [{\"x\": 1}]}", 0, "rows[0]: expected an array");
    expect_error(m, "{\"rows\": [[1e999, \"red\"]]}", 0, "out of the range");
    expect_error(m, "{\"records\": [{\"x\": 1, \"color\": \"red\"}, {\"x\": 2}]}", 0,
                 "records[1]: missing column \"color\"");
    expect_error(m, "{\"records\": [{\"x\": 1, \"x\": 2, \"color\": \"red\"}]}", 0,
                 "records[0].x: column given twice");
    expect_error(m, "{\"records\": [{\"x\": 1, \"color\": \"mauve\"}]}", 0,
                 "records[0].color: unknown category \"mauve\"");
    expect_error(m, "{\"records\": [[1, \"red\"]]}", 0, "records[0]: expected an object");
    expect_error(m, "{\"rows\": [[1, \"red\"]", 0, "malformed JSON at byte");
    expect_error(m, "{\"rows\": [[1, \"red\"]]} trailing", 0, "malformed JSON");
    expect_error(m, "[1, 2]", 0, "expected a JSON object");
    expect_error(m, "{}", 0, "missing \"rows\"");
    expect_error(m, "{\"rows\": [], \"records\": []}", 0, "not both");
    expect_error(m, "{\"rows\": []}", 0, "\"rows\" is empty");
    expect_error(m, "{\"rows\": 3}", 0, "\"rows\" must be an array");
    expect_error(m, "{\"rows\": [[1, \"red\"]], \"proba\": 1}", 0,
                 "\"proba\" must be true or false");
    expect_error(m, "{\"rowz\": []}", 0, "unknown field \"rowz\"");
    expect_error(m, "", 0, "malformed JSON");
    expect_error(m, "x,color\n1,red\n2\n", 1, "body:3");
    expect_error(m, "x,color\n1,mauve\n", 1, "mauve");
    expect_error(m, "x\n1\n", 1, "color");
    expect_error(m, "", 1, "body");
    /* a NUL inside the body is rejected, not silently cut */
    serve_input in;
    char err[768];
    static const char nul[] = "{\"rows\": [[1, \"red\"]]}\0{";
    assert_int_equal(serve_parse_input(m, nul, sizeof nul - 1, 0, 0, &in, err, sizeof err), 400);
    assert_non_null(strstr(err, "NUL"));
    serve_model_release(m);
}

/* ---------------------------------------------------------------- predict */

static int predict_str(const serve_model *m, const char *name, const char *body, cml_sb *sb,
                       int64_t *rows, char *err)
{
    return serve_predict(m, name, body, strlen(body), 0, 0, sb, rows, err, 768);
}

static void test_predict_response(void **state)
{
    (void)state;
    serve_model *m = load_fixture("logistic_regression", 1);
    const char body[] = "{\"rows\": [[0.1, \"blue\"], [2.5, \"red\"]], \"proba\": true}";
    cml_sb sb;
    cml_sb_init(&sb);
    int64_t rows;
    char err[768];
    int st = serve_predict(m, "m1", body, sizeof body - 1, 0, 0, &sb, &rows, err, sizeof err);
    char *out = cml_sb_finish(&sb);
    if (st != 200) fail_msg("status %d: %s", st, out);
    assert_int_equal(rows, 2);
    /* labels as the strings of the target column, classes likewise */
    assert_non_null(strstr(out, "{\"model\":\"m1\",\"predictions\":[\"no\",\"yes\"],"
                                "\"classes\":[\"no\",\"yes\"],\"probabilities\":[["));
    /* probabilities printed with %.17g: identical to predict_proba */
    double X[4] = {0.1, 0, 2.5, 2}, p[4];
    cml_matrix Xv = cml_matrix_view(X, 2, 2);
    assert_int_equal(cml_model_predict_proba(m->model, &Xv, p), CML_OK);
    char want[256];
    snprintf(want, sizeof want, "[[%.17g,%.17g],[%.17g,%.17g]]}", p[0], p[1], p[2], p[3]);
    assert_non_null(strstr(out, want));
    free(out);

    /* without proba: no classes or probabilities */
    cml_sb_init(&sb);
    st = predict_str(m, "m1", "{\"rows\": [[2.5, \"red\"]]}", &sb, &rows, err);
    out = cml_sb_finish(&sb);
    assert_int_equal(st, 200);
    assert_string_equal(out, "{\"model\":\"m1\",\"predictions\":[\"yes\"]}");
    free(out);

    /* a NaN reaches an estimator that takes none: 400 with the library's reason */
    cml_sb_init(&sb);
    st = predict_str(m, "m1", "{\"rows\": [[null, \"red\"]]}", &sb, &rows, err);
    out = cml_sb_finish(&sb);
    assert_int_equal(st, 400);
    assert_non_null(strstr(out, "{\"error\":"));
    assert_true(strlen(err) > 0);
    free(out);
    serve_model_release(m);

    /* a regressor: numbers out, proba refused */
    m = load_fixture("ridge", 1);
    assert_int_equal(m->n_classes, 0);
    cml_sb_init(&sb);
    st = predict_str(m, "r", "{\"rows\": [[1, \"red\"]], \"proba\": true}", &sb, &rows, err);
    out = cml_sb_finish(&sb);
    assert_int_equal(st, 400);
    assert_non_null(strstr(err, "not a classifier"));
    free(out);
    cml_sb_init(&sb);
    st = predict_str(m, "r", "{\"rows\": [[1, \"red\"]]}", &sb, &rows, err);
    out = cml_sb_finish(&sb);
    assert_int_equal(st, 200);
    double x[2] = {1, 2}, yhat;
    Xv = cml_matrix_view(x, 1, 2);
    assert_int_equal(cml_model_predict(m->model, &Xv, &yhat), CML_OK);
    snprintf(want, sizeof want, "{\"model\":\"r\",\"predictions\":[%.17g]}", yhat);
    assert_string_equal(out, want);
    free(out);
    serve_model_release(m);
}

static void test_models_without_schema(void **state)
{
    (void)state;
    /* saved through the C API: features c0, c1, numeric; classes as numbers */
    serve_model *m = load_fixture("logistic_regression", 0);
    assert_int_equal(m->n_features, 2);
    assert_string_equal(m->features[1].name, "c1");
    assert_null(m->target);
    assert_int_equal(serve_model_feature(m, "c1"), 1);
    assert_int_equal(serve_model_feature(m, "c2"), -1);
    assert_non_null(strstr(m->info_json, "\"classes\":[0,1]"));
    serve_input in;
    char err[768];
    assert_int_equal(parse(m, "{\"records\": [{\"c1\": 2, \"c0\": 1}]}", 0, &in, err), 0);
    assert_true(in.X[0] == 1 && in.X[1] == 2);
    serve_input_free(&in);
    serve_model_release(m);

    /* a transformer cannot predict: refused at load */
    char path[64];
    save_model("standard_scaler", 1, path, sizeof path);
    assert_int_equal(serve_model_load(path, &m), CML_ERR_UNSUPPORTED);
    assert_non_null(strstr(cml_last_error(), "cannot predict"));
    /* not a model at all */
    FILE *f = fopen(path, "w");
    fputs("junk", f);
    fclose(f);
    assert_int_not_equal(serve_model_load(path, &m), CML_OK);
    unlink(path);
    assert_int_equal(serve_model_load("/nonexistent/m.gguf", &m), CML_ERR_IO);
}

/* Hot swap: a reference taken before the swap stays usable after it. */
static void test_slot_swap(void **state)
{
    (void)state;
    serve_slot slot;
    memset(&slot, 0, sizeof slot);
    pthread_mutex_init(&slot.mu, NULL);
    assert_null(serve_slot_acquire(&slot));
    serve_model *a = load_fixture("logistic_regression", 1);
    serve_model *b = load_fixture("ridge", 1);
    serve_slot_swap(&slot, a);
    serve_model *held = serve_slot_acquire(&slot);
    assert_ptr_equal(held, a);
    serve_slot_swap(&slot, b); /* drops the slot's reference to a */
    double x[2] = {1, 2}, out;
    cml_matrix Xv = cml_matrix_view(x, 1, 2);
    assert_int_equal(cml_model_predict(held->model, &Xv, &out), CML_OK); /* a still alive */
    serve_model_release(held);                                           /* frees a */
    serve_model *now = serve_slot_acquire(&slot);
    assert_ptr_equal(now, b);
    serve_model_release(now);
    serve_slot_swap(&slot, NULL); /* frees b */
    pthread_mutex_destroy(&slot.mu);
}

/* Random bytes and truncations through both parsers: statuses only, never a
 * crash (meaningful under ASan/UBSan). */
static void test_garbage_never_crashes(void **state)
{
    (void)state;
    serve_model *m = load_fixture("logistic_regression", 1);
    cml_rng rng;
    cml_rng_seed(&rng, 7);
    static const char seed[] = "{\"records\": [{\"x\": 1.5, \"color\": \"red\"}], \"rows\": null, "
                               "\"proba\": true}\nx,color\n1,red\n";
    char buf[256];
    for (int it = 0; it < 3000; it++) {
        size_t n = cml_rng_below(&rng, sizeof buf - 1);
        for (size_t i = 0; i < n; i++)
            buf[i] = it % 2 ? (char)cml_rng_below(&rng, 256)
                            : seed[cml_rng_below(&rng, sizeof seed - 1)];
        buf[n] = '\0';
        cml_sb sb;
        cml_sb_init(&sb);
        int64_t rows;
        char err[768];
        int st =
            serve_predict(m, "m", buf, n, it % 3 == 0, it % 5 == 0, &sb, &rows, err, sizeof err);
        char *out = cml_sb_finish(&sb);
        assert_true(st == 200 || st == 400);
        assert_non_null(out);
        /* the answer is valid UTF-8 whatever came in */
        char *copy = strdup(out);
        serve_utf8_clean(copy);
        assert_string_equal(copy, out);
        free(copy);
        free(out);
    }
    serve_model_release(m);
}

/* ---------------------------------------------------------------- auth */

static void test_keys(void **state)
{
    (void)state;
    serve_keys k;
    const char text[] = "# comment\n\n  alpha-1  \r\n\t# another\nbeta2\n";
    assert_int_equal(serve_keys_parse(text, sizeof text - 1, "keys", &k), CML_OK);
    assert_int_equal(k.n, 2);
    assert_string_equal(k.keys[0], "alpha-1");
    int which;
    assert_true(serve_keys_match(&k, "beta2", 5, &which));
    assert_int_equal(which, 1);
    assert_true(serve_keys_match(&k, "alpha-1", 7, &which));
    assert_int_equal(which, 0);
    assert_false(serve_keys_match(&k, "alpha-", 6, &which));
    assert_int_equal(which, -1);
    assert_false(serve_keys_match(&k, "alpha-12", 8, NULL));
    assert_false(serve_keys_match(&k, "", 0, NULL));
    assert_false(serve_keys_match(&k, "Beta2", 5, NULL));
    serve_keys_free(&k);
    assert_int_equal(serve_keys_parse("# only\n\n", 8, "keys", &k), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "no API key"));
    assert_int_equal(serve_keys_parse("a b\n", 4, "keys", &k), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "keys:1"));
    assert_int_equal(serve_keys_load("/nonexistent/keys", &k), CML_ERR_IO);
    assert_true(serve_ct_equal("abc", 3, "abc", 3));
    assert_false(serve_ct_equal("abc", 3, "abd", 3));
    assert_false(serve_ct_equal("abc", 3, "abcabc", 6)); /* wraps over the key: still unequal */
    assert_false(serve_ct_equal("", 0, "", 0));
}

static void test_token_bucket(void **state)
{
    (void)state;
    serve_limiter l;
    assert_int_equal(serve_limiter_init(&l, 2, 4), CML_OK);
    for (int i = 0; i < 4; i++)
        assert_true(serve_limiter_take(&l, "k", 100.0) == 0);
    double wait = serve_limiter_take(&l, "k", 100.0);
    assert_true(fabs(wait - 0.5) < 1e-12); /* one token every 0.5 s */
    assert_true(serve_limiter_take(&l, "other", 100.0) == 0);
    assert_true(serve_limiter_take(&l, "k", 100.25) > 0);
    assert_true(serve_limiter_take(&l, "k", 100.5) == 0);
    /* refill is capped at the burst */
    for (int i = 0; i < 4; i++)
        assert_true(serve_limiter_take(&l, "k", 1000.0) == 0);
    assert_true(serve_limiter_take(&l, "k", 1000.0) > 0);
    /* more clients than slots: idle ones are purged, nothing breaks */
    char who[32];
    for (int i = 0; i < 3 * SERVE_LIMITER_SLOTS; i++) {
        snprintf(who, sizeof who, "addr:%d", i);
        assert_true(serve_limiter_take(&l, who, 2000.0 + i * 10.0) == 0);
    }
    serve_limiter_free(&l);
    assert_int_equal(serve_limiter_init(&l, 0, 0), CML_ERR_ARG);
}

/* ---------------------------------------------------------------- metrics */

static void test_exposition(void **state)
{
    (void)state;
    serve_metrics *mt = calloc(1, sizeof *mt);
    serve_metrics_init(mt);
    serve_metrics_observe(mt, SR_PREDICT, SM_POST, 200, 0.003);
    serve_metrics_observe(mt, SR_PREDICT, SM_POST, 200, 20.0);
    serve_metrics_observe(mt, SR_PREDICT, SM_POST, 400, 0.0);
    serve_metrics_observe(mt, SR_OTHER, SM_OTHER, 418, 0.1);
    serve_model_stats ms[1] = {{"we\"ird\\name\n", 1, 0.25, 12, 1, 2}};
    cml_sb sb;
    cml_sb_init(&sb);
    serve_metrics_render(mt, ms, 1, &sb);
    char *out = cml_sb_finish(&sb);
    const char *want[] = {
        "# HELP cml_http_requests_total ",
        "# TYPE cml_http_requests_total counter\n",
        "cml_http_requests_total{route=\"/v1/models/{name}/"
        "predict\",method=\"POST\",status=\"200\"}"
        " 2\n",
        "cml_http_requests_total{route=\"other\",method=\"other\",status=\"other\"} 1\n",
        "# TYPE cml_http_request_duration_seconds histogram\n",
        "cml_http_request_duration_seconds_bucket{route=\"/v1/models/{name}/predict\",le="
        "\"0.0025\"} 1\n",
        "cml_http_request_duration_seconds_bucket{route=\"/v1/models/{name}/predict\",le="
        "\"0.005\"} 2\n",
        "cml_http_request_duration_seconds_bucket{route=\"/v1/models/{name}/predict\",le=\"10\"} "
        "2\n",
        "cml_http_request_duration_seconds_bucket{route=\"/v1/models/{name}/predict\",le=\"+Inf\"}"
        " 3\n",
        "cml_http_request_duration_seconds_count{route=\"/v1/models/{name}/predict\"} 3\n",
        "cml_http_request_duration_seconds_sum{route=\"/v1/models/{name}/predict\"} 20.003",
        "# TYPE cml_http_requests_in_flight gauge\ncml_http_requests_in_flight 0\n",
        "cml_model_load_seconds{model=\"we\\\"ird\\\\name\\n\"} 0.25\n",
        "cml_predictions_total{model=\"we\\\"ird\\\\name\\n\"} 12\n",
        "cml_model_reloads_total{model=\"we\\\"ird\\\\name\\n\",result=\"error\"} 2\n",
        "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_cpu_seconds_total counter\n",
        "# TYPE process_start_time_seconds gauge\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i])) fail_msg("exposition lacks: %s\n%s", want[i], out);
    /* the start time is a plausible Unix time, not the fallback's 0 */
    const char *st = strstr(out, "\nprocess_start_time_seconds ");
    assert_non_null(st);
    assert_true(strtod(st + 28, NULL) > 1.5e9);
    free(out);
    free(mt);
    assert_int_equal(serve_method_parse("PATCH"), SM_PATCH);
    assert_int_equal(serve_method_parse("BREW"), SM_OTHER);
}

static void test_utf8_clean(void **state)
{
    (void)state;
    char s[] = "caf\xc3\xa9 \xff ok \xe2\x82 \xed\xa0\x80 \xf0\x9f\x98\x80";
    serve_utf8_clean(s);
    assert_string_equal(s, "caf\xc3\xa9 ? ok ?? ??? \xf0\x9f\x98\x80");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_and_records),
        cmocka_unit_test(test_errors_name_the_place),
        cmocka_unit_test(test_predict_response),
        cmocka_unit_test(test_models_without_schema),
        cmocka_unit_test(test_slot_swap),
        cmocka_unit_test(test_garbage_never_crashes),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_token_bucket),
        cmocka_unit_test(test_exposition),
        cmocka_unit_test(test_utf8_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
