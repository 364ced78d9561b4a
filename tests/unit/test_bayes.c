/*
 * test_bayes.c — naive Bayes beyond the golden values: error paths
 * (negative counts, priors, partial_fit misuse leaving the model intact),
 * probability identities, one-chunk partial_fit == fit, and fit -> save ->
 * load -> predict bit-identical for the four estimators, corrupt files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/bayes.h"
#include "cml/model.h"
#include "forged.h"
#include "golden.h"

static void test_discrete_errors(void **state)
{
    (void)state;
    double X[6] = {1, 2, 0, 3, -1, 1}, y[3] = {0, 1, 1};
    cml_matrix Xm = cml_matrix_view(X, 3, 2);
    cml_discrete_nb *m = NULL;
    cml_discrete_nb_params p = cml_multinomial_nb_params_default();
    assert_int_equal(cml_multinomial_nb_fit(&p, &Xm, y, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "negative"));
    p = cml_complement_nb_params_default();
    assert_int_equal(cml_complement_nb_fit(&p, &Xm, y, &m), CML_ERR_ARG);
    p = cml_bernoulli_nb_params_default();
    assert_int_equal(cml_bernoulli_nb_fit(&p, &Xm, y, &m), CML_OK); /* binarized: fine */
    cml_discrete_nb_free(m);
    m = NULL;
    X[4] = 1;
    p = cml_multinomial_nb_params_default();
    snprintf(p.class_prior, sizeof p.class_prior, "0.5,0.25,0.25");
    assert_int_equal(cml_multinomial_nb_fit(&p, &Xm, y, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "class_prior"));
    snprintf(p.class_prior, sizeof p.class_prior, "0.5,abc");
    assert_int_equal(cml_multinomial_nb_fit(&p, &Xm, y, &m), CML_ERR_ARG);
    p = cml_multinomial_nb_params_default();
    p.alpha = -1;
    assert_int_equal(cml_multinomial_nb_fit(&p, &Xm, y, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "alpha"));

    /* partial_fit misuse */
    p = cml_multinomial_nb_params_default();
    assert_int_equal(cml_multinomial_nb_partial_fit(&m, &p, &Xm, y, NULL, NULL, 0), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "classes"));
    double classes[2] = {1, 0};
    assert_int_equal(cml_multinomial_nb_partial_fit(&m, &p, &Xm, y, NULL, classes, 2), CML_OK);
    double before[4];
    memcpy(before, cml_discrete_nb_feature_count(m), sizeof before);
    double ybad[3] = {0, 2, 1};
    assert_int_equal(cml_multinomial_nb_partial_fit(&m, NULL, &Xm, ybad, NULL, NULL, 0),
                     CML_ERR_ARG);
    assert_memory_equal(before, cml_discrete_nb_feature_count(m), sizeof before);
    double other[3] = {0, 1, 2};
    assert_int_equal(cml_multinomial_nb_partial_fit(&m, NULL, &Xm, y, NULL, other, 3), CML_ERR_ARG);
    X[0] = -3;
    assert_int_equal(cml_multinomial_nb_partial_fit(&m, NULL, &Xm, y, NULL, NULL, 0), CML_ERR_ARG);
    assert_memory_equal(before, cml_discrete_nb_feature_count(m), sizeof before);
    X[0] = 1;
    cml_matrix X1 = cml_matrix_view(X, 2, 3);
    assert_int_equal(cml_multinomial_nb_partial_fit(&m, NULL, &X1, y, NULL, NULL, 0), CML_ERR_ARG);
    assert_int_equal(cml_bernoulli_nb_partial_fit(&m, NULL, &Xm, y, NULL, NULL, 0), CML_ERR_ARG);
    double q[3] = {1, 1, 1};
    cml_matrix Q = cml_matrix_view(q, 1, 3);
    double out[2];
    assert_int_equal(cml_discrete_nb_predict(m, &Q, out), CML_ERR_ARG);
    cml_discrete_nb_free(m);
    cml_discrete_nb_free(NULL);
}

static void test_gaussian_errors(void **state)
{
    (void)state;
    double X[8] = {1, 2, 1.5, 2.5, 5, 6, 5.5, 6.5}, y[4] = {0, 0, 1, 1};
    cml_matrix Xm = cml_matrix_view(X, 4, 2);
    cml_gaussian_nb *m = NULL;
    cml_gaussian_nb_params p = cml_gaussian_nb_params_default();
    snprintf(p.priors, sizeof p.priors, "0.5,0.6");
    assert_int_equal(cml_gaussian_nb_fit(&p, &Xm, y, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "sum"));
    snprintf(p.priors, sizeof p.priors, "1.5,-0.5");
    assert_int_equal(cml_gaussian_nb_fit(&p, &Xm, y, &m), CML_ERR_ARG);
    snprintf(p.priors, sizeof p.priors, "1");
    assert_int_equal(cml_gaussian_nb_fit(&p, &Xm, y, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "priors"));
    cml_model *gm;
    assert_int_equal(cml_model_create("gaussian_nb", &gm), CML_OK);
    assert_int_equal(cml_model_set_param(gm, "var_smoothing", "-1"), CML_ERR_ARG);
    assert_int_equal(cml_model_set_param(gm, "priors", "x"), CML_OK);
    assert_int_equal(cml_model_fit(gm, &Xm, y, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "priors"));
    X[3] = NAN;
    assert_int_equal(cml_model_set_param(gm, "priors", ""), CML_OK);
    assert_int_equal(cml_model_fit(gm, &Xm, y, NULL), CML_ERR_ARG);
    X[3] = 2.5;
    double sw[4] = {1, -1, 1, 1};
    cml_fit_opts o = {sw, NULL, NULL};
    assert_int_equal(cml_model_fit(gm, &Xm, y, &o), CML_ERR_ARG);
    cml_model_free(gm);

    /* partial_fit in one chunk == fit, bit for bit; unknown label rejected
     * and the model left as it was */
    p = cml_gaussian_nb_params_default();
    cml_gaussian_nb *f, *pf = NULL;
    double classes[2] = {0, 1};
    assert_int_equal(cml_gaussian_nb_fit(&p, &Xm, y, &f), CML_OK);
    assert_int_equal(cml_gaussian_nb_partial_fit(&pf, &p, &Xm, y, NULL, classes, 2), CML_OK);
    assert_memory_equal(cml_gaussian_nb_var(f), cml_gaussian_nb_var(pf), 4 * sizeof(double));
    assert_memory_equal(cml_gaussian_nb_theta(f), cml_gaussian_nb_theta(pf), 4 * sizeof(double));
    double var[4];
    memcpy(var, cml_gaussian_nb_var(pf), sizeof var);
    double ybad[4] = {0, 3, 1, 1};
    assert_int_equal(cml_gaussian_nb_partial_fit(&pf, NULL, &Xm, ybad, NULL, NULL, 0), CML_ERR_ARG);
    assert_memory_equal(var, cml_gaussian_nb_var(pf), sizeof var);
    cml_matrix X1 = cml_matrix_view(X, 2, 4);
    assert_int_equal(cml_gaussian_nb_partial_fit(&pf, NULL, &X1, y, NULL, NULL, 0), CML_ERR_ARG);
    /* identities: proba rows sum to 1, exp(log proba) == proba */
    double pr[8], lp[8];
    assert_int_equal(cml_gaussian_nb_predict_proba(f, &Xm, pr), CML_OK);
    assert_int_equal(cml_gaussian_nb_predict_log_proba(f, &Xm, lp), CML_OK);
    for (int i = 0; i < 4; i++) {
        assert_true(fabs(pr[2 * i] + pr[2 * i + 1] - 1.0) < 1e-15);
        assert_true(pr[2 * i] == exp(lp[2 * i]));
    }
    cml_gaussian_nb_free(f);
    cml_gaussian_nb_free(pf);
}

static void round_trip(const char *algo, const char *const *kv)
{
    double *X, *y;
    int64_t n, d;
    test_load_dataset("digits", &X, &n, &d, &y);
    cml_model *m, *m2;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (int i = 0; kv && kv[i]; i += 2)
        assert_int_equal(cml_model_set_param(m, kv[i], kv[i + 1]), CML_OK);
    cml_matrix Xm = cml_matrix_view(X, n, d);
    assert_int_equal(cml_model_fit(m, &Xm, y, NULL), CML_OK);
    char path[] = "/tmp/cml_nb_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load(path, &m2, NULL), CML_OK);
    int64_t C = cml_model_n_classes(m2);
    assert_int_equal(C, 10);
    double *a = malloc((size_t)(n * C) * sizeof(double)),
           *b = malloc((size_t)(n * C) * sizeof(double));
    assert_int_equal(cml_model_predict(m, &Xm, a), CML_OK);
    assert_int_equal(cml_model_predict(m2, &Xm, b), CML_OK);
    assert_memory_equal(a, b, (size_t)n * sizeof(double));
    assert_int_equal(cml_model_predict_proba(m, &Xm, a), CML_OK);
    assert_int_equal(cml_model_predict_proba(m2, &Xm, b), CML_OK);
    assert_memory_equal(a, b, (size_t)(n * C) * sizeof(double));
    char *desc = cml_model_describe(m2);
    assert_non_null(strstr(desc, "class_count"));
    free(desc);
    /* flip a byte in the tensor data: CRC catches it */
    FILE *f = fopen(path, "r+b");
    fseek(f, -20, SEEK_END);
    int ch = fgetc(f);
    fseek(f, -20, SEEK_END);
    fputc(ch ^ 0x55, f);
    fclose(f);
    cml_model *m3 = NULL;
    assert_int_not_equal(cml_model_load(path, &m3, NULL), CML_OK);
    assert_null(m3);
    unlink(path);
    free(a);
    free(b);
    cml_model_free(m);
    cml_model_free(m2);
    free(X);
    free(y);
}

/* NaN / inf in X through the typed calls (no generic check in front): fit,
 * partial_fit (model unchanged) and predict refuse them, naming the cell;
 * Bernoulli's binarizing must not hide them. */
static void test_nonfinite(void **state)
{
    (void)state;
    double X[8] = {1, 2, 0, 3, 4, 1, 2, 2}, y[4] = {0, 1, 1, 0}, pred[4];
    cml_matrix Xm = cml_matrix_view(X, 4, 2);
    double bad[2] = {NAN, INFINITY};
    for (int kind = 0; kind < 3; kind++) {
        cml_discrete_nb_params p = kind == 0   ? cml_multinomial_nb_params_default()
                                   : kind == 1 ? cml_complement_nb_params_default()
                                               : cml_bernoulli_nb_params_default();
        cml_discrete_nb *m = NULL;
        if (kind == 0) assert_int_equal(cml_multinomial_nb_fit(&p, &Xm, y, &m), CML_OK);
        if (kind == 1) assert_int_equal(cml_complement_nb_fit(&p, &Xm, y, &m), CML_OK);
        if (kind == 2) assert_int_equal(cml_bernoulli_nb_fit(&p, &Xm, y, &m), CML_OK);
        double before[4];
        memcpy(before, cml_discrete_nb_feature_count(m), sizeof before);
        for (int b = 0; b < 2; b++) {
            X[5] = bad[b];
            cml_discrete_nb *f = NULL;
            cml_status st = kind == 0   ? cml_multinomial_nb_fit(&p, &Xm, y, &f)
                            : kind == 1 ? cml_complement_nb_fit(&p, &Xm, y, &f)
                                        : cml_bernoulli_nb_fit(&p, &Xm, y, &f);
            assert_int_equal(st, CML_ERR_ARG);
            assert_null(f);
            assert_non_null(strstr(cml_last_error(), "row 3, column 2"));
            assert_int_equal(cml_discrete_nb_predict(m, &Xm, pred), CML_ERR_ARG);
            assert_non_null(strstr(cml_last_error(), "row 3, column 2"));
            if (kind == 0) {
                assert_int_equal(cml_multinomial_nb_partial_fit(&m, NULL, &Xm, y, NULL, NULL, 0),
                                 CML_ERR_ARG);
                assert_memory_equal(before, cml_discrete_nb_feature_count(m), sizeof before);
            }
        }
        X[5] = 1;
        assert_int_equal(cml_discrete_nb_predict(m, &Xm, pred), CML_OK);
        cml_discrete_nb_free(m);
    }
    cml_gaussian_nb_params gp = cml_gaussian_nb_params_default();
    cml_gaussian_nb *g = NULL;
    assert_int_equal(cml_gaussian_nb_fit(&gp, &Xm, y, &g), CML_OK);
    for (int b = 0; b < 2; b++) {
        X[5] = bad[b];
        cml_gaussian_nb *f = NULL;
        assert_int_equal(cml_gaussian_nb_fit(&gp, &Xm, y, &f), CML_ERR_ARG);
        assert_non_null(strstr(cml_last_error(), "row 3, column 2"));
        assert_int_equal(cml_gaussian_nb_predict(g, &Xm, pred), CML_ERR_ARG);
        assert_non_null(strstr(cml_last_error(), "row 3, column 2"));
    }
    X[5] = 1e308; /* finite: accepted even if the likelihoods overflow */
    assert_int_equal(cml_gaussian_nb_predict(g, &Xm, pred), CML_OK);
    cml_gaussian_nb_free(g);
}

static void test_save_load(void **state)
{
    (void)state;
    const char *pri[] = {"priors", "0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1", NULL};
    const char *cn[] = {"norm", "true", NULL};
    const char *bn[] = {"binarize", "8", "alpha", "0.5", NULL};
    round_trip("gaussian_nb", pri);
    round_trip("multinomial_nb", NULL);
    round_trip("complement_nb", cn);
    round_trip("bernoulli_nb", bn);
}

static void test_single_class(void **state)
{
    (void)state;
    /* one class: probabilities are 1, complement adds the prior (sklearn) */
    double X[6] = {1, 2, 3, 4, 5, 6}, y[3] = {7, 7, 7}, out[3];
    cml_matrix Xm = cml_matrix_view(X, 3, 2);
    const char *algos[] = {"gaussian_nb", "multinomial_nb", "complement_nb", "bernoulli_nb"};
    for (int a = 0; a < 4; a++) {
        cml_model *m;
        assert_int_equal(cml_model_create(algos[a], &m), CML_OK);
        assert_int_equal(cml_model_fit(m, &Xm, y, NULL), CML_OK);
        assert_int_equal(cml_model_predict(m, &Xm, out), CML_OK);
        assert_true(out[0] == 7 && out[2] == 7);
        assert_int_equal(cml_model_predict_proba(m, &Xm, out), CML_OK);
        assert_true(out[0] == 1.0 && out[1] == 1.0);
        cml_model_free(m);
    }
}

/* A forged discrete model: C classes, d features (tensors hold n_t of each). */
static cml_gguf_writer *forged_discrete(const char *kind, int64_t C, int64_t d, int64_t nc,
                                        int64_t nd, const char *class_prior)
{
    static const double vals[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    cml_gguf_writer *w = forged_begin(kind);
    if (class_prior) assert_int_equal(cml_gguf_set_str(w, "cml.param.class_prior", class_prior), 0);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_classes", C), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", d), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "classes", vals, 1, nc), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "class_count", vals + 1, 1, nc), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "feature_count", vals + 1, nc, nd), CML_OK);
    return w;
}

/* Corrupt files found by the loader audit: a saved class_prior with fewer
 * values than classes was read past its end while rebuilding the log
 * probabilities (heap overflow); counts from the metadata were multiplied
 * (C * d, signed overflow) and allocated before the tensors were checked. */
static void test_forged_files(void **state)
{
    (void)state;
    /* the well-formed file loads */
    assert_int_equal(forged_load(forged_discrete("multinomial_nb", 3, 2, 3, 2, "0.2,0.3,0.5")),
                     CML_OK);
    static const char *kinds[] = {"multinomial_nb", "complement_nb", "bernoulli_nb"};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(forged_load(forged_discrete(kinds[k], 3, 2, 3, 2, "0.5")), CML_ERR_FORMAT);
        assert_int_equal(forged_load(forged_discrete(kinds[k], 3, 2, 3, 2, "0.5,x")),
                         CML_ERR_FORMAT);
        assert_int_equal(forged_load(forged_discrete(kinds[k], INT32_MAX, INT32_MAX, 3, 2, NULL)),
                         CML_ERR_FORMAT);
        assert_int_equal(forged_load(forged_discrete(kinds[k], 3, (int64_t)1 << 40, 3, 2, NULL)),
                         CML_ERR_FORMAT);
    }
    /* gaussian: theta / var (C, d) with C * d past INT64_MAX under the old caps */
    cml_gguf_writer *w = forged_begin("gaussian_nb");
    double v[2] = {0, 1};
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_classes", (int64_t)1 << 31), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", (int64_t)1 << 40), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.epsilon", 1e-9), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "classes", v, 1, 2), CML_OK);
    assert_int_equal(forged_load(w), CML_ERR_FORMAT);
    w = forged_begin("gaussian_nb");
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_classes", 2), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", (int64_t)1 << 30), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.epsilon", 1e-9), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "classes", v, 1, 2), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "theta", v, 1, 2), CML_OK);
    assert_int_equal(forged_load(w), CML_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discrete_errors), cmocka_unit_test(test_gaussian_errors),
        cmocka_unit_test(test_save_load),       cmocka_unit_test(test_single_class),
        cmocka_unit_test(test_forged_files),    cmocka_unit_test(test_nonfinite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
