/*
 * test_linear.c — the regression linear models beyond golden numbers:
 * parameter and input errors, fit -> save -> load -> predict bit-identical,
 * corrupt files, warnings through cml_log, determinism (seeds, thread
 * counts), the typed API agreeing with the generic one, and sample_weight
 * meaning what it says (an integer weight = repeating the row).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/gguf.h"
#include "cml/linear.h"
#include "cml/model.h"
#include "forged.h"
#include "golden.h"

static double *X_, *y_;
static int64_t n_, p_;

static int setup(void **state)
{
    (void)state;
    test_load_dataset("diabetes", &X_, &n_, &p_, &y_);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(X_);
    free(y_);
    return 0;
}

static cml_model *fit_generic(const char *algo, const char *const *kv, const double *w)
{
    cml_model *m;
    cml_matrix X = cml_matrix_view(X_, n_, p_);
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (int i = 0; kv && kv[i]; i += 2)
        assert_int_equal(cml_model_set_param(m, kv[i], kv[i + 1]), CML_OK);
    cml_fit_opts opts = {w, NULL, NULL};
    if (cml_model_fit(m, &X, y_, &opts) != CML_OK) fail_msg("%s", cml_last_error());
    return m;
}

static void expect_arg_error(cml_status st, const char *needle)
{
    assert_int_equal(st, CML_ERR_ARG);
    if (!strstr(cml_last_error(), needle))
        fail_msg("message \"%s\" does not mention \"%s\"", cml_last_error(), needle);
}

/* ---------------------------------------------------------------- params */

static void test_registry_and_defaults(void **state)
{
    (void)state;
    assert_ptr_equal(cml_estimator_find("ols"), cml_estimator_find("linear_regression"));
    assert_ptr_equal(cml_estimator_find("enet"), cml_estimator_find("elastic_net"));
    assert_non_null(cml_estimator_find("ridge"));
    assert_non_null(cml_estimator_find("lasso"));

    cml_ridge_params r = cml_ridge_params_default();
    assert_true(r.alpha == 1.0 && r.fit_intercept == 1 && r.solver == CML_RIDGE_AUTO);
    cml_elastic_net_params e = cml_elastic_net_params_default();
    assert_true(e.alpha == 1.0 && e.l1_ratio == 0.5 && e.max_iter == 1000 && e.tol == 1e-4);
    assert_true(e.fit_intercept == 1 && e.positive == 0 && e.selection == CML_CD_CYCLIC);
    assert_int_equal(e.precompute, CML_CD_PRECOMPUTE_AUTO);
    cml_lasso_params l = cml_lasso_params_default();
    assert_true(l.alpha == 1.0 && l.max_iter == 1000 && l.tol == 1e-4);
    assert_int_equal(l.precompute, CML_CD_PRECOMPUTE_AUTO);
    assert_int_equal(cml_linear_regression_params_default().fit_intercept, 1);
    assert_null(cml_ridge_params_check(&r));
    r.alpha = -1;
    assert_non_null(strstr(cml_ridge_params_check(&r), "alpha"));
    e.l1_ratio = 1.5;
    assert_non_null(strstr(cml_elastic_net_params_check(&e), "l1_ratio"));
}

static void test_bad_params(void **state)
{
    (void)state;
    cml_model *m;
    assert_int_equal(cml_model_create("ridge", &m), CML_OK);
    expect_arg_error(cml_model_set_param(m, "alpha", "-1"), "alpha");
    expect_arg_error(cml_model_set_param(m, "solver", "lsqr"), "solver");
    expect_arg_error(cml_model_set_param(m, "tol", "1e-3"), "tol"); /* not a Ridge param */
    cml_model_free(m);
    assert_int_equal(cml_model_create("enet", &m), CML_OK);
    expect_arg_error(cml_model_set_param(m, "l1_ratio", "1.5"), "l1_ratio");
    expect_arg_error(cml_model_set_param(m, "l1_ratio", "-0.1"), "l1_ratio");
    expect_arg_error(cml_model_set_param(m, "max_iter", "0"), "max_iter");
    expect_arg_error(cml_model_set_param(m, "tol", "-1"), "tol");
    expect_arg_error(cml_model_set_param(m, "selection", "greedy"), "selection");
    expect_arg_error(cml_model_set_param(m, "precompute", "yes"), "precompute");
    cml_model_free(m);

    /* The typed API validates too, naming the parameter. */
    cml_matrix X = cml_matrix_view(X_, n_, p_);
    cml_lasso_params lp = cml_lasso_params_default();
    lp.alpha = -0.5;
    cml_lasso *lm = (cml_lasso *)1;
    expect_arg_error(cml_lasso_fit(&lp, &X, y_, &lm), "alpha");
    assert_null(lm);
    cml_elastic_net_params ep = cml_elastic_net_params_default();
    ep.l1_ratio = 2;
    cml_elastic_net *em;
    expect_arg_error(cml_elastic_net_fit(&ep, &X, y_, &em), "l1_ratio");
    ep = cml_elastic_net_params_default();
    ep.precompute = 3;
    expect_arg_error(cml_elastic_net_fit(&ep, &X, y_, &em), "precompute");
    cml_ridge_params rp = cml_ridge_params_default();
    rp.solver = 7;
    cml_ridge *rm;
    expect_arg_error(cml_ridge_fit(&rp, &X, y_, &rm), "solver");
}

/* ---------------------------------------------------------------- inputs */

static void test_bad_inputs(void **state)
{
    (void)state;
    double *Xn = malloc(sizeof(double) * (size_t)(n_ * p_));
    double *yn = malloc(sizeof(double) * (size_t)n_);
    double *w = malloc(sizeof(double) * (size_t)n_);
    memcpy(Xn, X_, sizeof(double) * (size_t)(n_ * p_));
    memcpy(yn, y_, sizeof(double) * (size_t)n_);
    for (int64_t i = 0; i < n_; i++)
        w[i] = 1.0;
    Xn[5 * p_ + 3] = NAN;
    cml_matrix Xbad = cml_matrix_view(Xn, n_, p_), X = cml_matrix_view(X_, n_, p_);

    cml_ridge_params rp = cml_ridge_params_default();
    cml_ridge *rm;
    expect_arg_error(cml_ridge_fit(&rp, &Xbad, y_, &rm), "row 6, column 4 is NaN");
    /* the one-pass normal equations find it without an intercept too, and
     * the generic layer (which leaves the scan to ridge) reports the same */
    rp.fit_intercept = 0;
    expect_arg_error(cml_ridge_fit(&rp, &Xbad, y_, &rm), "row 6, column 4 is NaN");
    rp.fit_intercept = 1;
    {
        cml_model *rg;
        assert_int_equal(cml_model_create("ridge", &rg), CML_OK);
        assert_int_equal(cml_model_fit(rg, &Xbad, y_, NULL), CML_ERR_ARG);
        assert_non_null(strstr(cml_last_error(), "row 6, column 4 is NaN"));
        cml_model_free(rg);
    }
    yn[7] = INFINITY;
    cml_linear_regression_params op = cml_linear_regression_params_default();
    cml_linear_regression *om;
    expect_arg_error(cml_linear_regression_fit(&op, &X, yn, &om), "target");
    w[3] = -1;
    expect_arg_error(cml_linear_regression_fit_weighted(&op, &X, y_, w, &om), "sample_weight");
    for (int64_t i = 0; i < n_; i++)
        w[i] = 0;
    expect_arg_error(cml_ridge_fit_weighted(&rp, &X, y_, w, &rm), "sample_weight");
    cml_matrix empty = cml_matrix_view(X_, 0, p_);
    expect_arg_error(cml_ridge_fit(&rp, &empty, y_, &rm), "X");

    /* Generic layer: NaN rejected, predict before fit, wrong width. */
    cml_model *m;
    assert_int_equal(cml_model_create("lasso", &m), CML_OK);
    double out[4];
    assert_int_equal(cml_model_predict(m, &X, out), CML_ERR_NOT_FITTED);
    assert_int_equal(cml_model_fit(m, &Xbad, y_, NULL), CML_ERR_ARG);
    assert_int_equal(cml_model_fit(m, &X, y_, NULL), CML_OK);
    cml_matrix narrow = cml_matrix_view(X_, 4, p_ - 1);
    assert_int_equal(cml_model_predict(m, &narrow, out), CML_ERR_ARG);
    cml_model_free(m);

    /* Typed predict checks the width itself. */
    assert_int_equal(cml_ridge_fit(&rp, &X, y_, &rm), CML_OK);
    expect_arg_error(cml_ridge_predict(rm, &narrow, out), "features");
    cml_ridge_free(rm);
    cml_ridge_free(NULL);
    cml_lasso_free(NULL);
    cml_elastic_net_free(NULL);
    cml_linear_regression_free(NULL);
    free(Xn);
    free(yn);
    free(w);
}

/* ---------------------------------------------------------------- save/load */

static void tmp_path(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "/tmp/cml_test_linear_%ld_%s.gguf", (long)getpid(), tag);
}

static void round_trip(const char *algo, const char *const *kv, const double *w)
{
    char path[256];
    tmp_path(path, sizeof path, algo);
    cml_model *m = fit_generic(algo, kv, w), *m2;
    cml_matrix X = cml_matrix_view(X_, n_, p_);
    double *a = malloc(sizeof(double) * (size_t)n_), *b = malloc(sizeof(double) * (size_t)n_);
    assert_int_equal(cml_model_predict(m, &X, a), CML_OK);
    if (cml_model_save(m, path, NULL, NULL) != CML_OK) fail_msg("%s", cml_last_error());
    if (cml_model_load(path, &m2, NULL) != CML_OK) fail_msg("%s", cml_last_error());
    assert_string_equal(cml_model_estimator(m2)->name, cml_model_estimator(m)->name);
    assert_int_equal(cml_model_predict(m2, &X, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)n_);
    assert_int_equal(cml_model_n_features_in(m2), p_);
    /* Params and fitted extras come back too. */
    char *d1 = cml_model_describe(m), *d2 = cml_model_describe(m2);
    assert_non_null(strstr(d1, "\"coef\":["));
    assert_non_null(strstr(d1, "\"intercept\":"));
    const char *a1 = strstr(d1, "\"attributes\""), *a2 = strstr(d2, "\"attributes\"");
    assert_non_null(a1);
    assert_non_null(a2);
    assert_string_equal(a1, a2);
    free(d1);
    free(d2);
    cml_model_free(m);
    cml_model_free(m2);
    free(a);
    free(b);
    unlink(path);
}

static void test_save_load(void **state)
{
    (void)state;
    double *w = malloc(sizeof(double) * (size_t)n_);
    for (int64_t i = 0; i < n_; i++)
        w[i] = 1.0 + (double)(i % 3);
    const char *ridge_kv[] = {"alpha", "0.3", "solver", "svd", NULL};
    const char *lasso_kv[] = {"alpha", "0.2", "max_iter", "50", NULL}; /* unconverged too */
    const char *enet_kv[] = {"alpha", "0.1", "l1_ratio", "0.8", "selection", "random", NULL};
    const char *ols_kv[] = {"fit_intercept", "false", NULL};
    round_trip("linear_regression", NULL, NULL);
    round_trip("ols", ols_kv, w);
    round_trip("ridge", ridge_kv, w);
    round_trip("lasso", lasso_kv, NULL);
    round_trip("elastic_net", enet_kv, w);
    free(w);
}

/* A hand-written ridge file: n_features_in 10 and the given coef tensor. */
static cml_status load_forged(const double *coef, int64_t rows, int64_t cols, int with_coef)
{
    char path[256];
    tmp_path(path, sizeof path, "forged");
    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_non_null(w);
    assert_int_equal(cml_gguf_set_str(w, "cml.kind", "ridge"), CML_OK);
    assert_int_equal(cml_gguf_set_u32(w, "cml.schema_version", 1), CML_OK);
    assert_int_equal(cml_gguf_set_str(w, "cml.version", "0.1.0"), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.steps", 0), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", 10), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.intercept", 1.5), CML_OK);
    if (with_coef) assert_int_equal(cml_gguf_add_f64(w, "coef", coef, rows, cols), CML_OK);
    assert_int_equal(cml_gguf_write_file(w, path), CML_OK);
    cml_gguf_writer_free(w);
    cml_model *m = NULL;
    cml_status st = cml_model_load(path, &m, NULL);
    if (st == CML_OK) {
        double x[10] = {0}, out;
        cml_matrix X = cml_matrix_view(x, 1, 10);
        assert_int_equal(cml_model_predict(m, &X, &out), CML_OK);
        assert_true(out == 1.5);
    } else {
        assert_null(m);
    }
    cml_model_free(m);
    unlink(path);
    return st;
}

static void test_corrupt_files(void **state)
{
    (void)state;
    double coef[20] = {0};
    assert_int_equal(load_forged(coef, 1, 10, 1), CML_OK); /* the control */
    assert_int_equal(load_forged(coef, 1, 9, 1), CML_ERR_FORMAT);
    assert_int_equal(load_forged(coef, 1, 11, 1), CML_ERR_FORMAT);
    assert_int_equal(load_forged(coef, 2, 10, 1), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "coef"));
    assert_int_equal(load_forged(coef, 1, 10, 0), CML_ERR_FORMAT);
    coef[3] = NAN;
    assert_int_equal(load_forged(coef, 1, 10, 1), CML_ERR_FORMAT);
}

/* ---------------------------------------------------------------- warnings */

typedef struct log_capture {
    int n_warn;
    char last[512];
} log_capture;

static void capture(cml_log_level level, const char *msg, void *user)
{
    log_capture *c = user;
    if (level != CML_LOG_WARN) return;
    c->n_warn++;
    snprintf(c->last, sizeof c->last, "%s", msg);
}

static void test_warnings(void **state)
{
    (void)state;
    log_capture c = {0, ""};
    cml_log_set(capture, &c);
    cml_matrix X = cml_matrix_view(X_, n_, p_);

    cml_lasso_params lp = cml_lasso_params_default();
    lp.max_iter = 3;
    cml_lasso *lm;
    assert_int_equal(cml_lasso_fit(&lp, &X, y_, &lm), CML_OK);
    assert_int_equal(c.n_warn, 1);
    assert_non_null(strstr(c.last, "did not converge"));
    assert_int_equal(cml_lasso_converged(lm), 0);
    assert_int_equal(cml_lasso_n_iter(lm), 3);
    assert_true(cml_lasso_dual_gap(lm) > 0);
    cml_lasso_free(lm);

    c.n_warn = 0;
    lp = cml_lasso_params_default();
    lp.alpha = 0;
    lp.max_iter = 2;
    assert_int_equal(cml_lasso_fit(&lp, &X, y_, &lm), CML_OK);
    assert_true(c.n_warn >= 2); /* alpha=0, no regularization, not converged */
    cml_lasso_free(lm);

    c.n_warn = 0;
    cml_elastic_net_params ep = cml_elastic_net_params_default();
    cml_elastic_net *em;
    assert_int_equal(cml_elastic_net_fit(&ep, &X, y_, &em), CML_OK);
    assert_int_equal(c.n_warn, 0);
    assert_int_equal(cml_elastic_net_converged(em), 1);
    cml_elastic_net_free(em);
    cml_log_set(NULL, NULL);
}

/* ---------------------------------------------------------------- determinism */

static void test_determinism(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(X_, n_, p_);
    cml_elastic_net_params ep = cml_elastic_net_params_default();
    ep.alpha = 0.01;
    ep.tol = 1e-12;
    ep.max_iter = 100000;
    cml_elastic_net *cyc, *r1, *r2, *r3;
    assert_int_equal(cml_elastic_net_fit(&ep, &X, y_, &cyc), CML_OK);
    ep.selection = CML_CD_RANDOM;
    ep.random_state = 3;
    assert_int_equal(cml_elastic_net_fit(&ep, &X, y_, &r1), CML_OK);
    assert_int_equal(cml_elastic_net_fit(&ep, &X, y_, &r2), CML_OK);
    ep.random_state = 4;
    assert_int_equal(cml_elastic_net_fit(&ep, &X, y_, &r3), CML_OK);
    int64_t p;
    const double *c0 = cml_elastic_net_coef(cyc, &p);
    assert_memory_equal(cml_elastic_net_coef(r1, NULL), cml_elastic_net_coef(r2, NULL),
                        sizeof(double) * (size_t)p);
    assert_int_equal(cml_elastic_net_n_iter(r1), cml_elastic_net_n_iter(r2));
    /* Another seed, another path, the same optimum. */
    assert_close(cml_elastic_net_coef(r3, NULL), c0, p, 1e-6, 1e-6, "random vs cyclic");
    assert_close(cml_elastic_net_coef(r1, NULL), c0, p, 1e-6, 1e-6, "random vs cyclic");
    cml_elastic_net_free(cyc);
    cml_elastic_net_free(r1);
    cml_elastic_net_free(r2);
    cml_elastic_net_free(r3);

    /* Thread count does not change a bit. */
    const char *kv[] = {"alpha", "0.05", NULL};
    const char *algos[] = {"linear_regression", "ridge", "lasso", "elastic_net"};
    for (int a = 0; a < 4; a++) {
        double *w = NULL;
        cml_set_num_threads(1);
        cml_model *m1 = fit_generic(algos[a], a >= 1 ? kv : NULL, w);
        cml_set_num_threads(3);
        cml_model *m3 = fit_generic(algos[a], a >= 1 ? kv : NULL, w);
        cml_set_num_threads(0);
        char *d1 = cml_model_describe(m1), *d3 = cml_model_describe(m3);
        assert_string_equal(strstr(d1, "\"attributes\""), strstr(d3, "\"attributes\""));
        free(d1);
        free(d3);
        cml_model_free(m1);
        cml_model_free(m3);
    }
}

/* Diabetes with one extra column (a constant 3.0, or bmi again), every row
 * repeated R times: over a million cells, so the TSQR pass of a
 * rank-deficient fit runs its blocks in parallel. Xs/w: the 442 rows with
 * weight R, the same problem (too few rows for the parallel pass). */
enum { TALL_R = 210 };
static void tall_design(int copy_bmi, double **Xs, double **w, double **Xr, double **yr)
{
    const int64_t p = p_ + 1, n = n_ * TALL_R;
    *Xs = malloc(sizeof(double) * (size_t)(n_ * p));
    *w = malloc(sizeof(double) * (size_t)n_);
    *Xr = malloc(sizeof(double) * (size_t)(n * p));
    *yr = malloc(sizeof(double) * (size_t)n);
    assert_non_null(*Xs && *w && *Xr && *yr);
    for (int64_t i = 0; i < n_; i++) {
        memcpy(*Xs + i * p, X_ + i * p_, sizeof(double) * (size_t)p_);
        (*Xs)[i * p + p_] = copy_bmi ? X_[i * p_ + 2] : 3.0;
        (*w)[i] = TALL_R;
    }
    for (int64_t i = 0; i < n; i++) {
        memcpy(*Xr + i * p, *Xs + (i % n_) * p, sizeof(double) * (size_t)p);
        (*yr)[i] = y_[i % n_];
    }
}

static void test_rank_deficient_tall(void **state)
{
    (void)state;
    const int64_t p = p_ + 1, n = n_ * TALL_R;
    cml_linear_regression_params op = cml_linear_regression_params_default();
    for (int copy_bmi = 0; copy_bmi < 2; copy_bmi++) {
        double *Xs, *w, *Xr, *yr;
        tall_design(copy_bmi, &Xs, &w, &Xr, &yr);
        cml_matrix XS = cml_matrix_view(Xs, n_, p), XR = cml_matrix_view(Xr, n, p);
        cml_linear_regression *m1, *m3, *mw;
        cml_set_num_threads(1);
        assert_int_equal(cml_linear_regression_fit(&op, &XR, yr, &m1), CML_OK);
        cml_set_num_threads(3);
        assert_int_equal(cml_linear_regression_fit(&op, &XR, yr, &m3), CML_OK);
        cml_set_num_threads(0);
        assert_int_equal(cml_linear_regression_fit_weighted(&op, &XS, y_, w, &mw), CML_OK);
        const double *c = cml_linear_regression_coef(m1, NULL);
        assert_memory_equal(c, cml_linear_regression_coef(m3, NULL), sizeof(double) * (size_t)p);
        if (!copy_bmi) {
            /* A constant column centers to exact zeros: its singular value
             * is 0, the rank is certain and its coefficient is 0. */
            assert_int_equal(cml_linear_regression_rank(m1), p_);
            assert_int_equal(cml_linear_regression_rank(mw), p_);
            assert_true(c[p_] == 0.0);
            assert_close(c, cml_linear_regression_coef(mw, NULL), p, 1e-9, 1e-9, "coef");
        } else {
            /* An exact copy leaves a singular value of rounding size, and
             * sklearn's rank rule (singular values below eps * s_max are
             * zero) then decides by rounding: sklearn finds rank 12 on these
             * rows, 10 on the weighted ones. The fitted values barely move
             * (the huge coefficients cancel up to rounding). */
            double *f1 = malloc(sizeof(double) * (size_t)n_),
                   *fw = malloc(sizeof(double) * (size_t)n_);
            cml_matrix XR0 = cml_matrix_view(Xr, n_, p);
            assert_int_equal(cml_linear_regression_predict(m1, &XR0, f1), CML_OK);
            assert_int_equal(cml_linear_regression_predict(mw, &XS, fw), CML_OK);
            assert_close(f1, fw, n_, 1e-3, 0, "fitted values: repeats vs weights");
            free(f1);
            free(fw);
        }
        cml_linear_regression_free(m1);
        cml_linear_regression_free(m3);
        cml_linear_regression_free(mw);
        free(Xs);
        free(w);
        free(Xr);
        free(yr);
    }
}

/* ---------------------------------------------------------------- semantics */

/* Integer sample weights = rows repeated that many times (0 = dropped). */
static void test_weights_are_repeats(void **state)
{
    (void)state;
    double *w = malloc(sizeof(double) * (size_t)n_);
    int64_t nr = 0;
    for (int64_t i = 0; i < n_; i++) {
        w[i] = (double)(i % 3);
        nr += i % 3;
    }
    double *Xr = malloc(sizeof(double) * (size_t)(nr * p_)), *yr = malloc(sizeof(double) * nr);
    int64_t k = 0;
    for (int64_t i = 0; i < n_; i++)
        for (int r = 0; r < i % 3; r++, k++) {
            memcpy(Xr + k * p_, X_ + i * p_, sizeof(double) * (size_t)p_);
            yr[k] = y_[i];
        }
    cml_matrix X = cml_matrix_view(X_, n_, p_), XR = cml_matrix_view(Xr, nr, p_);

    cml_linear_regression_params op = cml_linear_regression_params_default();
    cml_linear_regression *ow, *orep;
    assert_int_equal(cml_linear_regression_fit_weighted(&op, &X, y_, w, &ow), CML_OK);
    assert_int_equal(cml_linear_regression_fit(&op, &XR, yr, &orep), CML_OK);
    assert_close(cml_linear_regression_coef(ow, NULL), cml_linear_regression_coef(orep, NULL), p_,
                 1e-9, 1e-9, "ols weighted vs repeated");
    cml_linear_regression_free(ow);
    cml_linear_regression_free(orep);

    cml_ridge_params rp = cml_ridge_params_default();
    cml_ridge *rw, *rr;
    assert_int_equal(cml_ridge_fit_weighted(&rp, &X, y_, w, &rw), CML_OK);
    assert_int_equal(cml_ridge_fit(&rp, &XR, yr, &rr), CML_OK);
    assert_close(cml_ridge_coef(rw, NULL), cml_ridge_coef(rr, NULL), p_, 1e-9, 1e-9,
                 "ridge weighted vs repeated");
    double iw = cml_ridge_intercept(rw), ir = cml_ridge_intercept(rr);
    assert_close(&iw, &ir, 1, 1e-9, 1e-9, "ridge intercept");
    cml_ridge_free(rw);
    cml_ridge_free(rr);

    /* Lasso: weights rescaled to sum to n make the loss
     * 1/(2 sum w) sum_i w_i r_i^2, which is the repeated data's 1/(2 nr) loss. */
    cml_lasso_params lp = cml_lasso_params_default();
    lp.alpha = 0.2;
    lp.tol = 1e-12;
    lp.max_iter = 100000;
    cml_lasso *lw, *lr;
    assert_int_equal(cml_lasso_fit_weighted(&lp, &X, y_, w, &lw), CML_OK);
    assert_int_equal(cml_lasso_fit(&lp, &XR, yr, &lr), CML_OK);
    assert_close(cml_lasso_coef(lw, NULL), cml_lasso_coef(lr, NULL), p_, 1e-6, 1e-6,
                 "lasso weighted vs repeated");
    cml_lasso_free(lw);
    cml_lasso_free(lr);
    free(w);
    free(Xr);
    free(yr);
}

/* The typed API and the generic layer are the same code: same bits. */
static void test_typed_equals_generic(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(X_, n_, p_);
    cml_ridge_params rp = cml_ridge_params_default();
    rp.alpha = 2.5;
    cml_ridge *r;
    assert_int_equal(cml_ridge_fit(&rp, &X, y_, &r), CML_OK);
    const char *kv[] = {"alpha", "2.5", NULL};
    cml_model *m = fit_generic("ridge", kv, NULL);
    double *a = malloc(sizeof(double) * (size_t)n_), *b = malloc(sizeof(double) * (size_t)n_);
    assert_int_equal(cml_ridge_predict(r, &X, a), CML_OK);
    assert_int_equal(cml_model_predict(m, &X, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)n_);
    /* predict is X·coef + intercept */
    const double *coef = cml_ridge_coef(r, NULL);
    double want = cml_ridge_intercept(r);
    for (int64_t j = 0; j < p_; j++)
        want += X_[5 * p_ + j] * coef[j];
    assert_close(&a[5], &want, 1, 1e-12, 1e-9, "prediction row 5");
    /* A strided view (every other row, ld = 2p) predicts those rows. Not
     * bit for bit: BLAS gemv kernels handle rows in groups, and a row's
     * summation order can depend on its position in the batch. */
    cml_matrix Xs = {X_, n_ / 2, p_, 2 * p_};
    double *c = malloc(sizeof(double) * (size_t)(n_ / 2));
    assert_int_equal(cml_ridge_predict(r, &Xs, c), CML_OK);
    for (int64_t i = 0; i < n_ / 2; i++)
        assert_close(&c[i], &a[2 * i], 1, 1e-13, 1e-10, "strided predict");
    free(c);
    cml_ridge_free(r);
    cml_model_free(m);
    free(a);
    free(b);
}

/* Ridge with alpha=0, no intercept, on a wide design with an all-zero row:
 * the kernel matrix X X^T has a zero pivot, so dposv must fail and the
 * least-squares fallback (sklearn's) must give the minimum-norm interpolant
 * of the other rows, i.e. what linear_regression gives. */
static void test_ridge_kernel_fallback(void **state)
{
    (void)state;
    const int64_t n = 12, p = 20;
    double X[12 * 20], y[12];
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < p; j++) { /* the 10 features and their squares */
            double v = X_[i * p_ + (j % p_)];
            X[i * p + j] = i == 4 ? 0.0 : (j < p_ ? v : v * v);
        }
        y[i] = y_[i];
    }
    cml_matrix M = cml_matrix_view(X, n, p);
    log_capture c = {0, ""};
    cml_log_set(capture, &c);
    cml_ridge_params rp = cml_ridge_params_default();
    rp.alpha = 0;
    rp.fit_intercept = 0;
    rp.solver = CML_RIDGE_CHOLESKY;
    cml_ridge *r;
    assert_int_equal(cml_ridge_fit(&rp, &M, y, &r), CML_OK);
    cml_log_set(NULL, NULL);
    assert_non_null(strstr(c.last, "least-squares"));
    cml_linear_regression_params op = cml_linear_regression_params_default();
    op.fit_intercept = 0;
    cml_linear_regression *o;
    assert_int_equal(cml_linear_regression_fit(&op, &M, y, &o), CML_OK);
    assert_int_equal(cml_linear_regression_rank(o), n - 1);
    assert_close(cml_ridge_coef(r, NULL), cml_linear_regression_coef(o, NULL), p, 1e-6, 1e-9,
                 "ridge alpha=0 kernel fallback vs min-norm OLS");
    cml_ridge_free(r);
    cml_linear_regression_free(o);
}

/* Forged files (loader audit): a feature count the coef tensor does not
 * hold is a format error before anything is sized from it. */
static void test_forged_files(void **state)
{
    (void)state;
    static const char *kinds[] = {"linear_regression", "ridge", "lasso", "elastic_net"};
    double coef[3] = {1, 2, 3};
    for (int k = 0; k < 4; k++) {
        cml_gguf_writer *w = forged_begin(kinds[k]);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", INT32_MAX), CML_OK);
        assert_int_equal(cml_gguf_set_f64(w, "cml.fit.intercept", 0), CML_OK);
        assert_int_equal(cml_gguf_add_f64(w, "coef", coef, 1, 3), CML_OK);
        assert_int_equal(forged_load(w), CML_ERR_FORMAT);
    }
    /* linear_regression: n_singular within n_features but not in the file */
    cml_gguf_writer *w = forged_begin("linear_regression");
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", 3), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.intercept", 0), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "coef", coef, 1, 3), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.rank", 3), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_singular", 3), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "singular_values", coef, 1, 2), CML_OK);
    assert_int_equal(forged_load(w), CML_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_and_defaults),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_weights_are_repeats),
        cmocka_unit_test(test_rank_deficient_tall),
        cmocka_unit_test(test_typed_equals_generic),
        cmocka_unit_test(test_ridge_kernel_fallback),
        cmocka_unit_test(test_forged_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
