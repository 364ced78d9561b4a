/*
 * test_logreg.c — logistic_regression beyond the golden numbers: the typed
 * API, error paths, save/load, determinism over thread counts, convergence
 * reporting, label handling, and properties that tie the solvers together.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/cml.h"
#include "cml/logreg.h"
#include "helpers/golden.h"
#include "linear/logreg_impl.h"

/* Standardized copy of a data set (mean 0, population std 1 per column;
 * constant columns left centred). */
static double *load_std(const char *name, int64_t *n, int64_t *p, double **y)
{
    double *X;
    test_load_dataset(name, &X, n, p, y);
    for (int64_t j = 0; j < *p; j++) {
        double m = 0, v = 0;
        for (int64_t i = 0; i < *n; i++)
            m += X[i * *p + j];
        m /= (double)*n;
        for (int64_t i = 0; i < *n; i++)
            v += (X[i * *p + j] - m) * (X[i * *p + j] - m);
        double s = sqrt(v / (double)*n);
        for (int64_t i = 0; i < *n; i++)
            X[i * *p + j] = (X[i * *p + j] - m) / (s > 0 ? s : 1.0);
    }
    return X;
}

static cml_model *fit_generic(const char *params, const cml_matrix *X, const double *y)
{
    cml_model *m;
    assert_int_equal(cml_model_create("lr", &m), CML_OK);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", params);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        if (cml_model_set_param(m, tok, eq + 1) != CML_OK) fail_msg("%s", cml_last_error());
    }
    if (cml_model_fit(m, X, y, NULL) != CML_OK) fail_msg("%s", cml_last_error());
    return m;
}

/* ---------------------------------------------------------------- typed API */

static void test_typed_matches_golden(void **state)
{
    (void)state;
    /* iris with sklearn's defaults, through the typed API only */
    golden *g = golden_load("golden/logreg_multi.txt");
    double *X, *y;
    int64_t n, p;
    test_load_dataset("iris", &X, &n, &p, &y);
    const double *mean = golden_get(g, "iris_mean", NULL, NULL);
    const double *scale = golden_get(g, "iris_scale", NULL, NULL);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < p; j++)
            X[i * p + j] = (X[i * p + j] - mean[j]) / scale[j];
    cml_logreg_params prm = cml_logreg_params_default();
    assert_null(cml_logreg_params_check(&prm));
    assert_int_equal(prm.solver, CML_LOGREG_LBFGS);
    assert_int_equal(prm.max_iter, 100);
    assert_true(prm.C == 1.0 && prm.tol == 1e-4);
    cml_matrix Xv = cml_matrix_view(X, n, p);
    cml_logreg *m;
    assert_int_equal(cml_logreg_fit(&prm, &Xv, y, &m), CML_OK);
    int64_t rows, cols;
    const double *coef = cml_logreg_coef(m, &rows, &cols);
    assert_int_equal(rows, 3);
    assert_int_equal(cols, 4);
    assert_true(cml_logreg_is_multinomial(m));
    assert_close(coef, golden_get(g, "iris_default_coef", NULL, NULL), 12, 0, 1e-9, "coef");
    assert_close(cml_logreg_intercept(m), golden_get(g, "iris_default_intercept", NULL, NULL), 3, 0,
                 1e-9, "intercept");
    double *proba = malloc((size_t)n * 3 * sizeof(double));
    double *dec = malloc((size_t)n * 3 * sizeof(double));
    double *pred = malloc((size_t)n * sizeof(double));
    assert_int_equal(cml_logreg_predict_proba(m, &Xv, proba), CML_OK);
    assert_close(proba, golden_get(g, "iris_default_proba", NULL, NULL), n * 3, 0, 1e-9, "proba");
    assert_int_equal(cml_logreg_predict(m, &Xv, pred), CML_OK);
    assert_close(pred, golden_get(g, "iris_default_pred", NULL, NULL), n, 0, 0, "pred");
    /* predict = argmax of the decision values */
    assert_int_equal(cml_logreg_decision_function(m, &Xv, dec), CML_OK);
    for (int64_t i = 0; i < n; i++) {
        int best = 0;
        for (int k = 1; k < 3; k++)
            if (dec[i * 3 + k] > dec[i * 3 + best]) best = k;
        assert_true(pred[i] == (double)best);
    }
    const int *it;
    assert_int_equal(cml_logreg_n_iter(m, &it), 1);
    assert_int_equal(it[0], 25); /* sklearn's n_iter_ */
    assert_true(cml_logreg_converged(m));
    const double *cls;
    assert_int_equal(cml_logreg_classes(m, &cls), 3);
    assert_true(cls[0] == 0 && cls[1] == 1 && cls[2] == 2);
    cml_logreg_free(m);
    cml_logreg_free(NULL);
    free(proba);
    free(dec);
    free(pred);
    free(X);
    free(y);
    golden_free(g);
}

/* ---------------------------------------------------------------- errors */

static void expect_fit_error(const char *params, const cml_matrix *X, const double *y,
                             const double *sw, const char *needle)
{
    cml_model *m;
    assert_int_equal(cml_model_create("logistic_regression", &m), CML_OK);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", params);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        assert_int_equal(cml_model_set_param(m, tok, eq + 1), CML_OK);
    }
    cml_fit_opts opts = {sw, NULL, NULL};
    assert_int_equal(cml_model_fit(m, X, y, &opts), CML_ERR_ARG);
    if (!strstr(cml_last_error(), needle))
        fail_msg("message \"%s\" lacks \"%s\"", cml_last_error(), needle);
    assert_false(cml_model_is_fitted(m));
    cml_model_free(m);
}

static void test_errors(void **state)
{
    (void)state;
    double X[8] = {0, 1, 1, 0, 2, 1, 3, 3}, y1[4] = {0, 0, 0, 0}, y[4] = {0, 1, 0, 1};
    cml_matrix Xv = cml_matrix_view(X, 4, 2);
    expect_fit_error("", &Xv, y1, NULL, "needs samples of at least 2 classes; got only class 0");
    expect_fit_error("class_weight=heavy", &Xv, y, NULL, "class_weight=\"heavy\"");
    expect_fit_error("class_weight=0:1,7:2", &Xv, y, NULL, "class 7");
    expect_fit_error("class_weight=0:-1", &Xv, y, NULL, "class_weight");
    expect_fit_error("penalty=l1", &Xv, y, NULL, "solver=cd");
    expect_fit_error("penalty=elasticnet solver=newton-cg", &Xv, y, NULL, "solver=cd");
    double sw[4] = {1, -1, 1, 1};
    expect_fit_error("", &Xv, y, sw, "sample_weight row 2");
    double Xn[8] = {0, 1, NAN, 0, 2, 1, 3, 3};
    cml_matrix Xnv = cml_matrix_view(Xn, 4, 2);
    expect_fit_error("", &Xnv, y, NULL, "NaN");

    cml_model *m;
    assert_int_equal(cml_model_create("logreg", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "C", "0"), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "C"));
    assert_int_equal(cml_model_set_param(m, "solver", "liblinear"), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "lbfgs|newton-cg|cd|saga"));
    assert_int_equal(cml_model_set_param(m, "l1_ratio", "1.5"), CML_ERR_ARG);
    assert_int_equal(cml_model_set_param(m, "max_iter", "0"), CML_ERR_ARG);
    assert_int_equal(cml_model_set_param(m, "dual", "true"), CML_ERR_ARG);
    /* predict before fit, then with the wrong feature count */
    double out[8];
    assert_int_equal(cml_model_predict(m, &Xv, out), CML_ERR_NOT_FITTED);
    assert_int_equal(cml_model_fit(m, &Xv, y, NULL), CML_OK);
    cml_matrix X1 = cml_matrix_view(X, 8, 1);
    assert_int_equal(cml_model_predict(m, &X1, out), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "features"));
    cml_model_free(m);

    /* typed params check */
    cml_logreg_params prm = cml_logreg_params_default();
    prm.penalty = CML_LOGREG_L1;
    assert_non_null(cml_logreg_params_check(&prm));
    prm.solver = CML_LOGREG_CD;
    assert_null(cml_logreg_params_check(&prm));
    prm.C = -1;
    assert_non_null(strstr(cml_logreg_params_check(&prm), "C"));
}

/* ---------------------------------------------------------------- save/load */

static void round_trip(const char *params, const char *data)
{
    double *X, *y;
    int64_t n, p;
    X = load_std(data, &n, &p, &y);
    cml_matrix Xv = cml_matrix_view(X, n, p);
    cml_model *m = fit_generic(params, &Xv, y);
    int64_t K = cml_model_n_classes(m);
    char path[] = "/tmp/cml_logreg_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    cml_model *m2;
    if (cml_model_load(path, &m2, NULL) != CML_OK) fail_msg("%s", cml_last_error());
    unlink(path);
    double *a = malloc((size_t)(n * K) * sizeof(double));
    double *b = malloc((size_t)(n * K) * sizeof(double));
    assert_int_equal(cml_model_predict_proba(m, &Xv, a), CML_OK);
    assert_int_equal(cml_model_predict_proba(m2, &Xv, b), CML_OK);
    assert_memory_equal(a, b, (size_t)(n * K) * sizeof(double));
    assert_int_equal(cml_model_predict(m, &Xv, a), CML_OK);
    assert_int_equal(cml_model_predict(m2, &Xv, b), CML_OK);
    assert_memory_equal(a, b, (size_t)n * sizeof(double));
    assert_int_equal(cml_model_n_decision_cols(m2), K == 2 ? 1 : K);
    const int *i1, *i2;
    int64_t r1 = cml_logreg_n_iter(cml_model_state(m), &i1);
    assert_int_equal(cml_logreg_n_iter(cml_model_state(m2), &i2), r1);
    assert_memory_equal(i1, i2, (size_t)r1 * sizeof(int));
    char *js = cml_model_describe(m2);
    assert_non_null(strstr(js, "\"coef\":[["));
    assert_non_null(strstr(js, "\"kind\":\"logistic_regression\""));
    free(js);
    cml_model_free(m);
    cml_model_free(m2);
    free(a);
    free(b);
    free(X);
    free(y);
}

static void test_save_load(void **state)
{
    (void)state;
    round_trip("", "iris");                                 /* multinomial */
    round_trip("multi_class=ovr", "wine");                  /* ovr, 3 runs */
    round_trip("", "breast_cancer");                        /* binary */
    round_trip("multi_class=multinomial", "breast_cancer"); /* binary softmax */
    round_trip("penalty=l1 solver=cd", "wine");
}

/* Rewrites the i64 value stored under `key` in a serialized GGUF. */
static void patch_i64(uint8_t *buf, size_t len, const char *key, int64_t v)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 12 <= len; i++)
        if (!memcmp(buf + i, key, kl)) {
            uint32_t type;
            memcpy(&type, buf + i + kl, 4);
            assert_int_equal(type, 11); /* GGUF i64 */
            memcpy(buf + i + kl + 4, &v, 8);
            return;
        }
    fail_msg("key %s not found", key);
}

static void test_corrupt_file(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, p;
    X = load_std("iris", &n, &p, &y);
    cml_matrix Xv = cml_matrix_view(X, n, p);
    cml_model *m = fit_generic("", &Xv, y);
    const struct {
        const char *key;
        int64_t v;
    } patches[] = {
        {"cml.fit.n_features", 5}, /* coef (3, 4) no longer matches (3, 5) */
        {"cml.fit.n_classes", 4},  /* coef / intercept / classes shapes */
        {"cml.fit.n_classes", 2},  /* softmax over two classes is not a saved form */
        {"cml.fit.proba_mode", 7},
    };
    for (size_t t = 0; t < sizeof patches / sizeof patches[0]; t++) {
        cml_gguf_writer *w = cml_gguf_writer_new();
        assert_int_equal(cml_model_write(m, w), CML_OK);
        uint8_t *buf;
        size_t len;
        assert_int_equal(cml_gguf_write_mem(w, &buf, &len), CML_OK);
        cml_gguf_writer_free(w);
        patch_i64(buf, len, patches[t].key, patches[t].v);
        cml_gguf *g;
        assert_int_equal(cml_gguf_read_mem(buf, len, "patched.gguf", &g), CML_OK);
        cml_model *m2 = NULL;
        assert_int_equal(cml_model_from_gguf(g, &m2), CML_ERR_FORMAT);
        assert_null(m2);
        assert_non_null(strstr(cml_last_error(), "patched.gguf"));
        cml_gguf_free(g);
        free(buf);
    }
    cml_model_free(m);
    free(X);
    free(y);
}

/* ---------------------------------------------------------------- behaviour */

static void test_threads_deterministic(void **state)
{
    (void)state;
    /* Synthetic softmax data large enough (n K > 2^19) that every parallel
     * loop really runs in parallel. */
    const int64_t n = 60000, p = 8;
    const int K = 10;
    double *X = malloc((size_t)(n * p) * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
    double W[10 * 8]; /* (K, p) */
    cml_rng rng;
    cml_rng_seed(&rng, 42);
    for (int i = 0; i < K * p; i++)
        W[i] = cml_rng_normal(&rng);
    for (int64_t i = 0; i < n; i++) {
        double best = -INFINITY;
        for (int64_t j = 0; j < p; j++)
            X[i * p + j] = cml_rng_normal(&rng);
        for (int k = 0; k < K; k++) {
            double z = 2.0 * cml_rng_normal(&rng); /* noise: not separable */
            for (int64_t j = 0; j < p; j++)
                z += W[k * p + j] * X[i * p + j];
            if (z > best) {
                best = z;
                y[i] = k;
            }
        }
    }
    cml_matrix Xv = cml_matrix_view(X, n, p);
    const char *solvers[] = {"solver=lbfgs max_iter=15", "solver=newton-cg max_iter=3",
                             "solver=cd penalty=l1 C=0.01 max_iter=3",
                             "multi_class=ovr max_iter=5"};
    for (int s = 0; s < 4; s++) {
        cml_set_num_threads(1);
        cml_model *a = fit_generic(solvers[s], &Xv, y);
        cml_set_num_threads(3);
        cml_model *b = fit_generic(solvers[s], &Xv, y);
        int64_t r, c;
        const double *ca = cml_logreg_coef(cml_model_state(a), &r, &c);
        const double *cb = cml_logreg_coef(cml_model_state(b), NULL, NULL);
        assert_memory_equal(ca, cb, (size_t)(r * c) * sizeof(double));
        double *pa = malloc((size_t)(n * K) * sizeof(double));
        double *pb = malloc((size_t)(n * K) * sizeof(double));
        assert_int_equal(cml_model_predict_proba(a, &Xv, pa), CML_OK);
        cml_set_num_threads(1);
        assert_int_equal(cml_model_predict_proba(b, &Xv, pb), CML_OK);
        assert_memory_equal(pa, pb, (size_t)(n * K) * sizeof(double));
        cml_set_num_threads(0);
        free(pa);
        free(pb);
        cml_model_free(a);
        cml_model_free(b);
    }
    free(X);
    free(y);
}

static char last_warn[512];
static void capture(cml_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level == CML_LOG_WARN) snprintf(last_warn, sizeof last_warn, "%s", msg);
}

static void test_not_converged(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, p;
    test_load_dataset("breast_cancer", &X, &n, &p, &y); /* unscaled: slow on purpose */
    cml_matrix Xv = cml_matrix_view(X, n, p);
    cml_log_set(capture, NULL);
    last_warn[0] = '\0';
    cml_model *m = fit_generic("max_iter=3", &Xv, y);
    cml_log_set(NULL, NULL);
    const cml_fit_info *info = cml_model_fit_info(m);
    assert_int_equal(info->converged, 0);
    assert_int_equal(info->n_iter, 3);
    assert_false(cml_logreg_converged(cml_model_state(m)));
    if (!strstr(last_warn, "failed to converge after 3 iterations") ||
        !strstr(last_warn, "HINT: scale the data"))
        fail_msg("warning was \"%s\"", last_warn);
    /* the model is kept and usable */
    double *pred = malloc((size_t)n * sizeof(double));
    assert_int_equal(cml_model_predict(m, &Xv, pred), CML_OK);
    free(pred);
    cml_model_free(m);
    free(X);
    free(y);
}

static void test_labels_and_shapes(void **state)
{
    (void)state;
    /* any class values: -1/+1 binary, 2/5/7 multiclass */
    double X[12] = {-2, -1, -1.5, 0.2, 1, 2, 1.2, -0.3, 0.1, 0.3, 2.5, 1.7};
    double yb[12] = {-1, -1, -1, 1, 1, 1, 1, -1, -1, 1, 1, 1};
    double ym[12] = {2, 2, 2, 5, 7, 7, 7, 5, 5, 5, 7, 7};
    cml_matrix Xv = cml_matrix_view(X, 12, 1);
    cml_model *m = fit_generic("", &Xv, yb);
    assert_int_equal(cml_model_n_classes(m), 2);
    assert_int_equal(cml_model_n_decision_cols(m), 1);
    double pred[12], proba[36], dec[36];
    assert_int_equal(cml_model_predict(m, &Xv, pred), CML_OK);
    assert_int_equal(cml_model_decision_function(m, &Xv, dec), CML_OK);
    assert_int_equal(cml_model_predict_proba(m, &Xv, proba), CML_OK);
    for (int i = 0; i < 12; i++) {
        assert_true(pred[i] == (dec[i] > 0 ? 1.0 : -1.0));
        assert_true(fabs(proba[2 * i + 1] - 1.0 / (1.0 + exp(-dec[i]))) < 1e-15);
    }
    cml_model_free(m);
    m = fit_generic("multi_class=ovr", &Xv, ym);
    assert_int_equal(cml_model_n_decision_cols(m), 3);
    assert_int_equal(cml_model_predict(m, &Xv, pred), CML_OK);
    assert_int_equal(cml_model_predict_proba(m, &Xv, proba), CML_OK);
    for (int i = 0; i < 12; i++) {
        assert_true(pred[i] == 2 || pred[i] == 5 || pred[i] == 7);
        assert_true(fabs(proba[3 * i] + proba[3 * i + 1] + proba[3 * i + 2] - 1.0) < 1e-14);
    }
    const int *it;
    assert_int_equal(cml_logreg_n_iter(cml_model_state(m), &it), 3);
    cml_model_free(m);
}

/* Cross-checks that do not need sklearn: the three solvers reach the same l2
 * optimum; weights 2 everywhere equal C doubled; balanced equals explicit
 * weights n / (K count). */
static void test_solver_agreement(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, p;
    X = load_std("wine", &n, &p, &y);
    cml_matrix Xv = cml_matrix_view(X, n, p);
    const char *sets[] = {"solver=newton-cg tol=1e-9 C=0.7", "solver=cd tol=1e-9 C=0.7",
                          "solver=lbfgs tol=1e-9 C=0.7"};
    cml_model *ref = fit_generic(sets[0], &Xv, y);
    int64_t r, c;
    const double *c0 = cml_logreg_coef(cml_model_state(ref), &r, &c);
    for (int s = 1; s < 3; s++) {
        cml_model *m = fit_generic(sets[s], &Xv, y);
        /* lbfgs stops on scipy's ftol (relative f change 2.2e-9), earlier */
        assert_close(cml_logreg_coef(cml_model_state(m), NULL, NULL), c0, r * c, 0,
                     s == 2 ? 1e-3 : 1e-7, sets[s]);
        cml_model_free(m);
    }
    /* sample_weight = 2 everywhere is C = 1.4 */
    double *sw = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        sw[i] = 2.0;
    cml_model *w2;
    assert_int_equal(cml_model_create("lr", &w2), CML_OK);
    assert_int_equal(cml_model_set_param(w2, "solver", "newton-cg"), CML_OK);
    assert_int_equal(cml_model_set_param(w2, "tol", "1e-9"), CML_OK);
    assert_int_equal(cml_model_set_param(w2, "C", "0.7"), CML_OK);
    cml_fit_opts opts = {sw, NULL, NULL};
    assert_int_equal(cml_model_fit(w2, &Xv, y, &opts), CML_OK);
    cml_model *c2 = fit_generic("solver=newton-cg tol=1e-9 C=1.4", &Xv, y);
    assert_close(cml_logreg_coef(cml_model_state(w2), NULL, NULL),
                 cml_logreg_coef(cml_model_state(c2), NULL, NULL), r * c, 0, 1e-7, "sw=2 vs 2C");
    /* balanced == explicit map n / (3 count) */
    int64_t cnt[3] = {0, 0, 0};
    for (int64_t i = 0; i < n; i++)
        cnt[(int)y[i]]++;
    char map[200];
    snprintf(map, sizeof map, "solver=newton-cg tol=1e-9 class_weight=0:%.17g,1:%.17g,2:%.17g",
             (double)n / (3.0 * (double)cnt[0]), (double)n / (3.0 * (double)cnt[1]),
             (double)n / (3.0 * (double)cnt[2]));
    cml_model *bal = fit_generic("solver=newton-cg tol=1e-9 class_weight=balanced", &Xv, y);
    cml_model *exp_ = fit_generic(map, &Xv, y);
    assert_close(cml_logreg_coef(cml_model_state(bal), NULL, NULL),
                 cml_logreg_coef(cml_model_state(exp_), NULL, NULL), r * c, 0, 1e-12,
                 "balanced vs map");
    cml_model_free(ref);
    cml_model_free(w2);
    cml_model_free(c2);
    cml_model_free(bal);
    cml_model_free(exp_);
    free(sw);
    free(X);
    free(y);
}

/* Drops the few-class kernel's scratch, so lr_loss_grad takes the BLAS
 * paths (fused when gpart is set, else two passes). */
static void no_skinny(lr_problem *pb)
{
    free(pb->wt);
    free(pb->gt);
    free(pb->zero_row);
    pb->wt = pb->gt = pb->zero_row = NULL;
}

/* The fused one-pass evaluations (BLAS on X larger than the cache; the
 * few-class kernel for 2..16 classes) must give the loss and gradient of the
 * two-pass one: each forced here on digits, softmax and binary, with and
 * without an intercept, at a random point. */
static void test_fused_loss_grad(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, p;
    test_load_dataset("digits", &X, &n, &p, &y);
    double *sw = malloc(sizeof(double) * (size_t)n), *yb = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        sw[i] = 0.5 + (double)(i % 3);
        yb[i] = y[i] < 5 ? 0 : 1;
    }
    cml_rng rng;
    cml_rng_seed(&rng, 7);
    for (int K = 1; K <= 10; K += 9)
        for (int fi = 0; fi <= 1; fi++) {
            lr_problem a, b, c;
            const double *yy = K == 1 ? yb : y;
            assert_int_equal(lr_problem_init(&a, X, p, n, p, yy, sw, K, fi, 0.3), CML_OK);
            assert_int_equal(lr_problem_init(&b, X, p, n, p, yy, sw, K, fi, 0.3), CML_OK);
            assert_int_equal(lr_problem_init(&c, X, p, n, p, yy, sw, K, fi, 0.3), CML_OK);
            /* 690 KB of X: softmax takes the few-class kernel, binary two passes */
            if (K == 1) {
                assert_null(c.wt);
                assert_null(c.gpart);
            } else {
                assert_non_null(c.wt);
            }
            no_skinny(&a);
            free(a.gpart);
            a.gpart = NULL;
            no_skinny(&b);
            if (!b.gpart) b.gpart = malloc(sizeof(double) * (size_t)(b.n_chunks * b.dim));
            double *w = malloc(sizeof(double) * (size_t)a.dim);
            double *ga = malloc(sizeof(double) * (size_t)a.dim);
            double *gb = malloc(sizeof(double) * (size_t)a.dim);
            double *gc = malloc(sizeof(double) * (size_t)a.dim);
            for (int64_t j = 0; j < a.dim; j++)
                w[j] = 0.02 * cml_rng_normal(&rng);
            double fa, fb, fc;
            lr_loss_grad(&a, w, &fa, ga, 1);
            lr_loss_grad(&b, w, &fb, gb, 1);
            lr_loss_grad(&c, w, &fc, gc, 1);
            assert_close(&fb, &fa, 1, 1e-12, 0, "fused loss");
            assert_close(gb, ga, a.dim, 1e-10, 1e-10, "fused gradient");
            assert_close(b.H, a.H, n * K, 1e-12, 1e-15, "fused hessian diagonal");
            assert_close(&fc, &fa, 1, 1e-12, 0, "few-class kernel loss");
            assert_close(gc, ga, a.dim, 1e-10, 1e-10, "few-class kernel gradient");
            assert_close(c.H, a.H, n * K, 1e-12, 1e-15, "few-class kernel probabilities");
            assert_close(c.raw, a.raw, n * K, 1e-12, 1e-12, "few-class kernel decision values");
            free(w);
            free(ga);
            free(gb);
            free(gc);
            lr_problem_free(&a);
            lr_problem_free(&b);
            lr_problem_free(&c);
        }
    free(sw);
    free(yb);
    free(X);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed_matches_golden),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_corrupt_file),
        cmocka_unit_test(test_threads_deterministic),
        cmocka_unit_test(test_not_converged),
        cmocka_unit_test(test_labels_and_shapes),
        cmocka_unit_test(test_solver_agreement),
        cmocka_unit_test(test_fused_loss_grad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
