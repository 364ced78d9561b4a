/*
 * test_svm.c — SVM behaviour a user relies on beyond sklearn parity: bad
 * parameters and inputs rejected with a message naming the culprit,
 * fit -> save -> load -> predict bit-identical for all five estimators,
 * results independent of the thread count, probability calibration,
 * sample weights, and the CSR entry points agreeing with dense input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/model.h"
#include "cml/svm.h"
#include "forged.h"
#include "golden.h"

static void load_std(const char *name, double **X, int64_t *n, int64_t *d, double **y)
{
    test_load_dataset(name, X, n, d, y);
    for (int64_t j = 0; j < *d; j++) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < *n; i++)
            mean += (*X)[i * *d + j];
        mean /= (double)*n;
        for (int64_t i = 0; i < *n; i++)
            var += ((*X)[i * *d + j] - mean) * ((*X)[i * *d + j] - mean);
        double sd = sqrt(var / (double)*n);
        for (int64_t i = 0; i < *n; i++)
            (*X)[i * *d + j] = ((*X)[i * *d + j] - mean) / (sd > 0 ? sd : 1);
    }
}

static void expect_arg(cml_status st, const char *needle)
{
    assert_int_equal(st, CML_ERR_ARG);
    if (!strstr(cml_last_error(), needle))
        fail_msg("message \"%s\" lacks \"%s\"", cml_last_error(), needle);
}

/* ---------------------------------------------------------------- errors */

static void test_bad_params(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("iris", &X, &n, &d, &y);
    cml_matrix Xm = cml_matrix_view(X, n, d);
    cml_model *m;
    assert_int_equal(cml_model_create("svc", &m), CML_OK);
    expect_arg(cml_model_set_param(m, "C", "0"), "C");
    expect_arg(cml_model_set_param(m, "C", "-1"), "C");
    expect_arg(cml_model_set_param(m, "kernel", "cubic"), "kernel");
    expect_arg(cml_model_set_param(m, "decision_function_shape", "ova"), "decision_function_shape");
    assert_int_equal(cml_model_set_param(m, "gamma", "foo"), CML_OK); /* checked at fit */
    expect_arg(cml_model_fit(m, &Xm, y, NULL), "gamma");
    assert_int_equal(cml_model_set_param(m, "gamma", "-2"), CML_OK);
    expect_arg(cml_model_fit(m, &Xm, y, NULL), "gamma");
    assert_int_equal(cml_model_set_param(m, "gamma", "0.5"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "class_weight", "0:x"), CML_OK);
    expect_arg(cml_model_fit(m, &Xm, y, NULL), "class_weight");
    assert_int_equal(cml_model_set_param(m, "class_weight", "7:2"), CML_OK);
    expect_arg(cml_model_fit(m, &Xm, y, NULL), "class_weight");
    assert_int_equal(cml_model_set_param(m, "class_weight", "2:3.5"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "break_ties", "true"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "decision_function_shape", "ovo"), CML_OK);
    expect_arg(cml_model_fit(m, &Xm, y, NULL), "break_ties");
    assert_int_equal(cml_model_set_param(m, "decision_function_shape", "ovr"), CML_OK);
    assert_int_equal(cml_model_fit(m, &Xm, y, NULL), CML_OK);
    cml_model_free(m);

    cml_svc_params p = cml_svc_params_default();
    p.C = 0;
    cml_svc *svc;
    expect_arg(cml_svc_fit(&p, &Xm, y, &svc), "C");
    assert_null(svc);

    assert_int_equal(cml_model_create("svr", &m), CML_OK);
    expect_arg(cml_model_set_param(m, "epsilon", "-0.1"), "epsilon");
    cml_model_free(m);
    assert_int_equal(cml_model_create("one_class_svm", &m), CML_OK);
    expect_arg(cml_model_set_param(m, "nu", "0"), "nu");
    expect_arg(cml_model_set_param(m, "nu", "1.5"), "nu");
    cml_model_free(m);
    assert_int_equal(cml_model_create("linear_svc", &m), CML_OK);
    expect_arg(cml_model_set_param(m, "penalty", "elasticnet"), "penalty");
    expect_arg(cml_model_set_param(m, "loss", "log"), "loss");
    /* sklearn's unsupported combinations: hinge in the primal, l1 in the dual */
    assert_int_equal(cml_model_set_param(m, "dual", "false"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "loss", "hinge"), CML_OK);
    expect_arg(cml_model_fit(m, &Xm, y, NULL), "dual");
    assert_int_equal(cml_model_set_param(m, "loss", "squared_hinge"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "dual", "true"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "penalty", "l1"), CML_OK);
    expect_arg(cml_model_fit(m, &Xm, y, NULL), "dual");
    cml_model_free(m);
    free(X);
    free(y);
}

static void test_bad_input(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("iris", &X, &n, &d, &y);
    cml_matrix Xm = cml_matrix_view(X, n, d);
    cml_svc *svc;
    cml_svc_params p = cml_svc_params_default();

    /* a single class: a clear error, for both classifiers */
    double *one = calloc((size_t)n, sizeof(double));
    expect_arg(cml_svc_fit(&p, &Xm, one, &svc), "single class");
    cml_linear_svc *lsvc;
    cml_linear_svc_params lp = cml_linear_svc_params_default();
    expect_arg(cml_linear_svc_fit(&lp, &Xm, one, &lsvc), "single class");

    /* NaN in X, in y; negative weights */
    X[7 * d + 2] = NAN;
    assert_int_equal(cml_svc_fit(&p, &Xm, y, &svc), CML_ERR_ARG);
    assert_int_equal(cml_linear_svc_fit(&lp, &Xm, y, &lsvc), CML_ERR_ARG);
    X[7 * d + 2] = 1.0;
    y[3] = NAN;
    assert_int_equal(cml_svc_fit(&p, &Xm, y, &svc), CML_ERR_ARG);
    y[3] = 0;
    double *w = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        w[i] = 1;
    w[5] = -1;
    expect_arg(cml_svc_fit_weighted(&p, &Xm, y, w, &svc), "sample_weight");

    /* predict with the wrong feature count */
    assert_int_equal(cml_svc_fit(&p, &Xm, y, &svc), CML_OK);
    cml_matrix X3 = cml_matrix_view(X, n, d - 1);
    double *out = malloc(sizeof(double) * (size_t)n * 3);
    expect_arg(cml_svc_predict(svc, &X3, out), "features");
    /* predict_proba without probability=true */
    assert_int_equal(cml_svc_predict_proba(svc, &Xm, out), CML_ERR_UNSUPPORTED);
    cml_svc_free(svc);
    cml_svc_free(NULL);
    free(out);
    free(w);
    free(one);
    free(X);
    free(y);
}

/* ---------------------------------------------------------------- persistence */

/* Fits algo with params on (X, y), saves, loads, and checks predict,
 * decision_function and predict_proba (where present) are bit-identical. */
static void round_trip(const char *algo, const char *const *kv, const double *X, int64_t n,
                       int64_t d, const double *y)
{
    cml_matrix Xm = cml_matrix_view(X, n, d);
    cml_model *m, *m2;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (int i = 0; kv && kv[i]; i += 2)
        assert_int_equal(cml_model_set_param(m, kv[i], kv[i + 1]), CML_OK);
    if (cml_model_fit(m, &Xm, y, NULL) != CML_OK) fail_msg("%s: %s", algo, cml_last_error());
    char path[128];
    snprintf(path, sizeof path, "/tmp/cml_test_svm_%d_%s.gguf", (int)getpid(), algo);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load(path, &m2, NULL), CML_OK);

    int64_t cols = cml_model_n_decision_cols(m), k = cml_model_n_classes(m);
    size_t sz = sizeof(double) * (size_t)(n * (cols > k ? cols : (k > 1 ? k : 1)));
    double *a = malloc(sz), *b = malloc(sz);
    assert_int_equal(cml_model_predict(m, &Xm, a), CML_OK);
    assert_int_equal(cml_model_predict(m2, &Xm, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)n);
    if (cml_model_estimator(m)->decision_function) {
        assert_int_equal(cml_model_n_decision_cols(m2), cols);
        assert_int_equal(cml_model_decision_function(m, &Xm, a), CML_OK);
        assert_int_equal(cml_model_decision_function(m2, &Xm, b), CML_OK);
        assert_memory_equal(a, b, sizeof(double) * (size_t)(n * cols));
    }
    if (cml_model_predict_proba(m, &Xm, a) == CML_OK) {
        assert_int_equal(cml_model_predict_proba(m2, &Xm, b), CML_OK);
        assert_memory_equal(a, b, sizeof(double) * (size_t)(n * k));
    }
    char *js = cml_model_describe(m2);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"kind\""));
    free(js);

    /* a truncated file is an error, never a crash */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    f = fopen(path, "wb");
    fwrite(buf, 1, (size_t)len * 2 / 3, f);
    fclose(f);
    cml_model *m3 = NULL;
    assert_int_not_equal(cml_model_load(path, &m3, NULL), CML_OK);
    assert_null(m3);
    free(buf);
    remove(path);
    free(a);
    free(b);
    cml_model_free(m);
    cml_model_free(m2);
}

static void test_save_load(void **state)
{
    (void)state;
    double *X, *y, *Xd, *yd;
    int64_t n, d, nd, dd;
    load_std("wine", &X, &n, &d, &y);
    const char *svc_kv[] = {"C", "3", "probability", "true", NULL};
    round_trip("svc", svc_kv, X, n, d, y);
    const char *ovo_kv[] = {"kernel", "poly", "degree", "2", "decision_function_shape",
                            "ovo",    NULL};
    round_trip("svc", ovo_kv, X, n, d, y);
    round_trip("linear_svc", NULL, X, n, d, y);
    round_trip("one_class_svm", NULL, X, n, d, NULL);
    load_std("diabetes", &Xd, &nd, &dd, &yd);
    const char *svr_kv[] = {"C", "50", "epsilon", "5", NULL};
    round_trip("svr", svr_kv, Xd, nd, dd, yd);
    round_trip("linear_svr", NULL, Xd, nd, dd, yd);
    free(X);
    free(y);
    free(Xd);
    free(yd);
}

/* ---------------------------------------------------------------- threads */

static void test_thread_independent(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("digits", &X, &n, &d, &y);
    for (int64_t i = 0; i < n * d; i++)
        X[i] /= 16.0;
    cml_matrix Xm = cml_matrix_view(X, n, d);
    cml_svc_params p = cml_svc_params_default();
    p.probability = 1;
    cml_svc *m1, *m2;
    cml_set_num_threads(1);
    assert_int_equal(cml_svc_fit(&p, &Xm, y, &m1), CML_OK);
    cml_set_num_threads(3);
    assert_int_equal(cml_svc_fit(&p, &Xm, y, &m2), CML_OK);
    int64_t nsv = cml_svc_n_sv(m1);
    assert_int_equal(cml_svc_n_sv(m2), nsv);
    assert_memory_equal(cml_svc_dual_coef(m1), cml_svc_dual_coef(m2), sizeof(double) * 9 * nsv);
    assert_memory_equal(cml_svc_intercept(m1), cml_svc_intercept(m2), sizeof(double) * 45);
    assert_memory_equal(cml_svc_prob_a(m1), cml_svc_prob_a(m2), sizeof(double) * 45);
    double *a = malloc(sizeof(double) * (size_t)n * 10),
           *b = malloc(sizeof(double) * (size_t)n * 10);
    cml_set_num_threads(1);
    assert_int_equal(cml_svc_predict_proba(m1, &Xm, a), CML_OK);
    cml_set_num_threads(3);
    assert_int_equal(cml_svc_predict_proba(m1, &Xm, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)n * 10);

    /* a binary problem: one solver whose kernel rows are filled in parallel */
    double *yb = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        yb[i] = y[i] < 5;
    cml_svc *b1, *b2;
    p.probability = 0;
    cml_set_num_threads(1);
    assert_int_equal(cml_svc_fit(&p, &Xm, yb, &b1), CML_OK);
    cml_set_num_threads(3);
    assert_int_equal(cml_svc_fit(&p, &Xm, yb, &b2), CML_OK);
    assert_int_equal(cml_svc_n_sv(b1), cml_svc_n_sv(b2));
    assert_memory_equal(cml_svc_dual_coef(b1), cml_svc_dual_coef(b2),
                        sizeof(double) * (size_t)cml_svc_n_sv(b1));
    cml_set_num_threads(0);
    cml_svc_free(b1);
    cml_svc_free(b2);
    free(yb);
    free(a);
    free(b);
    cml_svc_free(m1);
    cml_svc_free(m2);
    free(X);
    free(y);
}

/* ---------------------------------------------------------------- probability */

static void test_probability(void **state)
{
    (void)state;
    golden *g = golden_load("golden/svm.txt");
    static const char *names[] = {"iris", "breast_cancer", "wine"};
    for (int t = 0; t < 3; t++) {
        double *X, *y;
        int64_t n, d, r, c;
        if (t == 0)
            test_load_dataset(names[t], &X, &n, &d, &y);
        else
            load_std(names[t], &X, &n, &d, &y);
        cml_matrix Xm = cml_matrix_view(X, n, d);
        cml_svc_params p = cml_svc_params_default();
        p.probability = 1;
        cml_svc *m;
        assert_int_equal(cml_svc_fit(&p, &Xm, y, &m), CML_OK);
        int64_t k = cml_svc_n_classes(m);
        double *P = malloc(sizeof(double) * (size_t)(n * k)),
               *pred = malloc(sizeof(double) * (size_t)n);
        assert_int_equal(cml_svc_predict_proba(m, &Xm, P), CML_OK);
        assert_int_equal(cml_svc_predict(m, &Xm, pred), CML_OK);
        double ll = 0;
        int64_t agree = 0;
        for (int64_t i = 0; i < n; i++) {
            double s = 0;
            int64_t best = 0;
            for (int64_t j = 0; j < k; j++) {
                assert_true(P[i * k + j] >= 0 && P[i * k + j] <= 1);
                s += P[i * k + j];
                if (P[i * k + j] > P[i * k + best]) best = j;
            }
            assert_true(fabs(s - 1) < 1e-9);
            agree += cml_svc_classes(m)[best] == pred[i];
            int64_t yi = 0;
            while (cml_svc_classes(m)[yi] != y[i])
                yi++;
            ll -= log(fmax(P[i * k + yi], 1e-15));
        }
        ll /= (double)n;
        char key[64];
        snprintf(key, sizeof key, "proba_%s.logloss", names[t]);
        double sk = golden_get(g, key, &r, &c)[0];
        printf("  %-14s log-loss %.4f (sklearn %.4f), argmax = predict on %lld/%lld\n", names[t],
               ll, sk, (long long)agree, (long long)n);
        assert_true(ll < 1.25 * sk + 0.02);
        assert_true((double)agree >= 0.97 * (double)n);
        free(P);
        free(pred);
        cml_svc_free(m);
        free(X);
        free(y);
    }
    golden_free(g);
}

/* ---------------------------------------------------------------- weights */

static void test_sample_weight(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    load_std("breast_cancer", &X, &n, &d, &y);
    cml_matrix Xm = cml_matrix_view(X, n, d);
    cml_svc_params p = cml_svc_params_default();
    /* Zero weights drop rows exactly: same model as fitting the rest (with a
     * fixed gamma: "scale" looks at every row of X, as in sklearn). */
    strcpy(p.gamma, "0.05");
    double *w = malloc(sizeof(double) * (size_t)n);
    int64_t m = 0;
    double *Xk = malloc(sizeof(double) * (size_t)(n * d)), *yk = malloc(sizeof(double) * (size_t)n);
    int64_t *keep = malloc(sizeof(int64_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        w[i] = i % 3 == 0 ? 0.0 : 1.0;
        if (w[i] > 0) {
            memcpy(Xk + m * d, X + i * d, sizeof(double) * (size_t)d);
            yk[m] = y[i];
            keep[m++] = i;
        }
    }
    cml_matrix Xkm = cml_matrix_view(Xk, m, d);
    cml_svc *a, *b;
    assert_int_equal(cml_svc_fit_weighted(&p, &Xm, y, w, &a), CML_OK);
    assert_int_equal(cml_svc_fit(&p, &Xkm, yk, &b), CML_OK);
    assert_int_equal(cml_svc_n_sv(a), cml_svc_n_sv(b));
    for (int64_t s = 0; s < cml_svc_n_sv(a); s++)
        assert_int_equal(cml_svc_support(a)[s], keep[cml_svc_support(b)[s]]);
    assert_memory_equal(cml_svc_dual_coef(a), cml_svc_dual_coef(b),
                        sizeof(double) * (size_t)cml_svc_n_sv(a));
    cml_svc_free(a);
    cml_svc_free(b);

    /* Weight 2 = the row twice (same optimum, within the solver tolerance). */
    double *X2 = malloc(sizeof(double) * (size_t)(2 * n * d)),
           *y2 = malloc(sizeof(double) * (size_t)(2 * n));
    int64_t n2 = 0;
    for (int64_t i = 0; i < n; i++) {
        w[i] = i % 4 == 0 ? 2.0 : 1.0;
        for (int r = 0; r < (int)w[i]; r++) {
            memcpy(X2 + n2 * d, X + i * d, sizeof(double) * (size_t)d);
            y2[n2++] = y[i];
        }
    }
    cml_matrix X2m = cml_matrix_view(X2, n2, d);
    p.C = 0.5;
    assert_int_equal(cml_svc_fit_weighted(&p, &Xm, y, w, &a), CML_OK);
    assert_int_equal(cml_svc_fit(&p, &X2m, y2, &b), CML_OK);
    double *da = malloc(sizeof(double) * (size_t)n), *db = malloc(sizeof(double) * (size_t)n);
    assert_int_equal(cml_svc_decision_function(a, &Xm, da), CML_OK);
    assert_int_equal(cml_svc_decision_function(b, &Xm, db), CML_OK);
    double dmax = 0;
    for (int64_t i = 0; i < n; i++)
        dmax = fmax(dmax, fabs(da[i] - db[i]));
    printf("  weight 2 vs duplicated rows: max |d decision| %.2e\n", dmax);
    assert_true(dmax < 5e-3);
    cml_svc_free(a);
    cml_svc_free(b);
    free(da);
    free(db);
    free(X2);
    free(y2);
    free(keep);
    free(Xk);
    free(yk);
    free(w);
    free(X);
    free(y);
}

/* ---------------------------------------------------------------- CSR */

static void test_csr(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("digits", &X, &n, &d, &y);
    for (int64_t i = 0; i < n * d; i++)
        X[i] /= 16.0;
    int64_t *indptr = malloc(sizeof(int64_t) * (size_t)(n + 1)), nnz = 0;
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)(n * d));
    double *val = malloc(sizeof(double) * (size_t)(n * d));
    indptr[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < d; j++)
            if (X[i * d + j] != 0) {
                idx[nnz] = (int32_t)j;
                val[nnz++] = X[i * d + j];
            }
        indptr[i + 1] = nnz;
    }
    cml_csr S = {indptr, idx, val, n, d, nnz};
    cml_matrix Xm = cml_matrix_view(X, n, d);
    cml_linear_svc_params p = cml_linear_svc_params_default();
    p.tol = 1e-8;
    p.max_iter = 100000;
    cml_linear_svc *a, *b;
    assert_int_equal(cml_linear_svc_fit(&p, &Xm, y, &a), CML_OK);
    assert_int_equal(cml_linear_svc_fit_csr(&p, &S, y, &b), CML_OK);
    double dmax = 0, scale = 0;
    for (int64_t i = 0; i < 10 * d; i++) {
        dmax = fmax(dmax, fabs(cml_linear_svc_coef(a)[i] - cml_linear_svc_coef(b)[i]));
        scale = fmax(scale, fabs(cml_linear_svc_coef(a)[i]));
    }
    printf("  LinearSVC dense vs CSR: max |d coef| / scale %.2e\n", dmax / scale);
    assert_true(dmax < 1e-5 * scale);
    double *pa = malloc(sizeof(double) * (size_t)n), *pb = malloc(sizeof(double) * (size_t)n);
    assert_int_equal(cml_linear_svc_predict(a, &Xm, pa), CML_OK);
    assert_int_equal(cml_linear_svc_predict_csr(a, &S, pb), CML_OK);
    assert_memory_equal(pa, pb, sizeof(double) * (size_t)n);

    cml_linear_svr_params rp = cml_linear_svr_params_default();
    rp.tol = 1e-8;
    rp.max_iter = 100000;
    cml_linear_svr *ra, *rb;
    assert_int_equal(cml_linear_svr_fit(&rp, &Xm, y, &ra), CML_OK);
    assert_int_equal(cml_linear_svr_fit_csr(&rp, &S, y, &rb), CML_OK);
    assert_int_equal(cml_linear_svr_predict(ra, &Xm, pa), CML_OK);
    assert_int_equal(cml_linear_svr_predict_csr(rb, &S, pb), CML_OK);
    dmax = 0;
    for (int64_t i = 0; i < n; i++)
        dmax = fmax(dmax, fabs(pa[i] - pb[i]));
    assert_true(dmax < 1e-4);
    /* a malformed CSR is rejected */
    idx[0] = (int32_t)d;
    cml_linear_svc *bad;
    assert_int_equal(cml_linear_svc_fit_csr(&p, &S, y, &bad), CML_ERR_ARG);
    assert_null(bad);
    cml_linear_svr_free(ra);
    cml_linear_svr_free(rb);
    cml_linear_svc_free(a);
    cml_linear_svc_free(b);
    free(pa);
    free(pb);
    free(indptr);
    free(idx);
    free(val);
    free(X);
    free(y);
}

/* Forged files (loader audit): support-vector and class counts the tensors
 * do not hold are format errors before anything is sized from them; so is
 * an n_iter that does not fit an int. */
static void test_forged_files(void **state)
{
    (void)state;
    double sv[4] = {0, 1, 1, 0};
    int64_t support[2] = {0, 1};
    static const char *km1[] = {"svr", "one_class_svm"};
    for (int k = 0; k < 2; k++)
        for (int t = 0; t < 3; t++) {
            cml_gguf_writer *w = forged_begin(km1[k]);
            assert_int_equal(cml_gguf_set_f64(w, "cml.fit.gamma", 0.5), CML_OK);
            assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", t == 0 ? INT32_MAX : 2),
                             CML_OK);
            assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_sv", t == 1 ? 1 << 30 : 2), CML_OK);
            assert_int_equal(cml_gguf_set_f64(w, "cml.fit.intercept", 0), CML_OK);
            if (t == 2) assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_iter", -5), CML_OK);
            assert_int_equal(cml_gguf_add_f64(w, "support_vectors", sv, 2, 2), CML_OK);
            assert_int_equal(cml_gguf_add_i64(w, "support", support, 2), CML_OK);
            assert_int_equal(cml_gguf_add_f64(w, "dual_coef", sv, 1, 2), CML_OK);
            assert_int_equal(forged_load(w), CML_ERR_FORMAT);
        }
    /* svc: 65536 classes would size every per-pair array at 2^31 entries */
    cml_gguf_writer *w = forged_begin("svc");
    double classes[2] = {0, 1}, one = 1;
    int64_t n_support[2] = {1, 1}, it = 1;
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.gamma", 0.5), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", 2), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_sv", 2), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_classes", 65536), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "support_vectors", sv, 2, 2), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "support", support, 2), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "classes", classes, 1, 2), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "n_support", n_support, 2), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "dual_coef", sv, 1, 2), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "intercept", &one, 1, 1), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "n_iter", &it, 1), CML_OK);
    assert_int_equal(forged_load(w), CML_ERR_FORMAT);
    /* linear_svc / linear_svr: a feature count coef does not hold */
    static const char *lin[] = {"linear_svc", "linear_svr"};
    for (int k = 0; k < 2; k++) {
        w = forged_begin(lin[k]);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", INT32_MAX), CML_OK);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_classes", 2), CML_OK);
        assert_int_equal(cml_gguf_set_f64(w, "cml.fit.intercept", 0), CML_OK);
        assert_int_equal(cml_gguf_add_f64(w, "classes", classes, 1, 2), CML_OK);
        assert_int_equal(cml_gguf_add_f64(w, "coef", sv, 1, 2), CML_OK);
        assert_int_equal(cml_gguf_add_f64(w, "intercept", &one, 1, 1), CML_OK);
        assert_int_equal(forged_load(w), CML_ERR_FORMAT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_params),  cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_save_load),   cmocka_unit_test(test_thread_independent),
        cmocka_unit_test(test_probability), cmocka_unit_test(test_sample_weight),
        cmocka_unit_test(test_csr),         cmocka_unit_test(test_forged_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
