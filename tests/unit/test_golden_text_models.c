/*
 * test_golden_text_models.c — estimators on sparse (CSR) text features
 * through the generic layer (cml_model_*_csr), against scikit-learn 1.2.1
 * (tests/gen/gen_text_models.py -> golden/text_models.txt):
 *   - TfidfVectorizer() on the 1650 training mails of data/text/spam.csv,
 *     transform of the 550 test mails (CSR, the full vocabulary);
 *   - MultinomialNB, ComplementNB, BernoulliNB: predictions identical,
 *     probabilities within 1e-8;
 *   - LinearSVC (squared hinge; hinge with C = 0.5): liblinear's dual CD
 *     with another random coordinate order than sklearn's, so decision
 *     values agree within 1e-4 absolute (measured: 1.5e-5) and
 *     predictions are identical;
 *   - LinearSVC penalty = l1, dual = false (liblinear's primal CD) and
 *     dual = false with l2, against sklearn at tol = 1e-6: predictions
 *     identical, decision values within 1e-4 (measured 1.5e-5 / 4.4e-6), |coef|_1 within 0.1%
 *     (measured 2e-7 relative), non-zero coefficients within 2 (measured: equal, 163);
 *   - LogisticRegression() (lbfgs) on CSR: predictions identical, decision
 *     values within 1e-8, probabilities within 1e-9 (measured 2e-11, 5e-12);
 *   - fit -> save -> load -> predict bit-identical; errors: wrong column
 *     count, non-finite values, estimators or calls without sparse support,
 *     preprocessing steps, negative counts, Bernoulli binarize < 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/bayes.h"
#include "cml/data.h"
#include "cml/model.h"
#include "cml/svm.h"
#include "cml/text.h"
#include "helpers/golden.h"

static golden *G;
static cml_table *T;
static cml_csr_owned *XTR, *XTE;
static double *YTR, *YTE;
static int64_t NTR, NTE;

static double gscalar(const char *name)
{
    return golden_get(G, name, NULL, NULL)[0];
}

/* spam.csv through libcml's reader (text kind for the "text" column), the
 * golden split, TfidfVectorizer() fitted on the training rows. */
static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/text_models.txt");
    cml_csv_opts o = cml_csv_opts_default();
    o.text_col = "text";
    if (cml_csv_read("../data/text/spam.csv", &o, &T) != CML_OK) return -1;
    int64_t jt = cml_table_find(T, "text"), jl = cml_table_find(T, "label");
    if (jt < 0 || jl < 0 || T->columns[jt].kind != CML_COL_TEXT) return -1;
    int64_t r, n;
    const double *perm = golden_get(G, "split.perm", &r, &n);
    NTR = 1650;
    NTE = n - NTR;
    const char *const *docs = cml_table_text(T, jt);
    const char **tr = malloc((size_t)NTR * sizeof *tr), **te = malloc((size_t)NTE * sizeof *te);
    YTR = malloc((size_t)NTR * sizeof *YTR);
    YTE = malloc((size_t)NTE * sizeof *YTE);
    for (int64_t i = 0; i < n; i++) {
        int64_t d = (int64_t)perm[i];
        const char *lab = T->columns[jl].levels[(int64_t)T->data[d * T->cols + jl]];
        double yv = strcmp(lab, "spam") == 0;
        if (i < NTR) {
            tr[i] = docs[d];
            YTR[i] = yv;
        } else {
            te[i - NTR] = docs[d];
            YTE[i - NTR] = yv;
        }
    }
    cml_tfidf_params p = cml_tfidf_params_default();
    cml_tfidf *tv;
    int ok = cml_tfidf_fit_transform(&p, tr, NTR, &tv, &XTR) == CML_OK &&
             cml_tfidf_transform(tv, te, NTE, &XTE) == CML_OK;
    cml_tfidf_free(tv);
    free(tr);
    free(te);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    cml_table_free(T);
    cml_csr_owned_free(XTR);
    cml_csr_owned_free(XTE);
    free(YTR);
    free(YTE);
    return 0;
}

static void test_tfidf_shape(void **state)
{
    (void)state;
    const double *s = golden_get(G, "tfidf.shape", NULL, NULL);
    assert_int_equal(XTR->cols, (int64_t)s[0]);
    assert_int_equal(XTR->nnz, (int64_t)s[1]);
    assert_int_equal(XTE->nnz, (int64_t)s[2]);
}

static cml_model *fit(const char *algo, const char *const *kv)
{
    cml_model *m;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (; kv && *kv; kv += 2)
        assert_int_equal(cml_model_set_param(m, kv[0], kv[1]), CML_OK);
    assert_true(cml_model_accepts_csr(m));
    cml_csr X = cml_csr_owned_view(XTR);
    if (cml_model_fit_csr(m, &X, YTR, NULL) != CML_OK) fail_msg("%s", cml_last_error());
    return m;
}

/* Predictions identical to sklearn's and the accuracy with them. */
static void check_pred(const cml_model *m, const char *name)
{
    char key[64];
    cml_csr X = cml_csr_owned_view(XTE);
    double *pred = malloc((size_t)NTE * sizeof *pred);
    assert_int_equal(cml_model_predict_csr(m, &X, pred), CML_OK);
    snprintf(key, sizeof key, "%s.pred", name);
    const double *want = golden_get(G, key, NULL, NULL);
    double acc = 0;
    for (int64_t i = 0; i < NTE; i++) {
        if (pred[i] != want[i])
            fail_msg("%s: test row %lld predicted %g, sklearn %g", name, (long long)i, pred[i],
                     want[i]);
        acc += pred[i] == YTE[i];
    }
    snprintf(key, sizeof key, "%s.acc", name);
    assert_true(fabs(acc / (double)NTE - gscalar(key)) < 1e-12);
    printf("%-12s accuracy %.4f (sklearn %.4f)\n", name, acc / (double)NTE, gscalar(key));
    free(pred);
}

static void check_nb(const char *algo, const char *name)
{
    cml_model *m = fit(algo, NULL);
    check_pred(m, name);
    char key[64];
    cml_csr X = cml_csr_owned_view(XTE);
    double *proba = malloc((size_t)NTE * 2 * sizeof *proba);
    assert_int_equal(cml_model_predict_proba_csr(m, &X, proba), CML_OK);
    snprintf(key, sizeof key, "%s.proba", name);
    assert_close(proba, golden_get(G, key, NULL, NULL), NTE * 2, 0, 1e-8, key);
    free(proba);
    cml_model_free(m);
}

static void test_multinomial_nb(void **state)
{
    (void)state;
    check_nb("multinomial_nb", "mnb");
}
static void test_complement_nb(void **state)
{
    (void)state;
    check_nb("complement_nb", "cnb");
}
static void test_bernoulli_nb(void **state)
{
    (void)state;
    check_nb("bernoulli_nb", "bnb");
}

static void check_linear(const cml_model *m, const char *name, double atol)
{
    char key[64];
    check_pred(m, name);
    cml_csr X = cml_csr_owned_view(XTE);
    double *dec = malloc((size_t)NTE * sizeof *dec);
    assert_int_equal(cml_model_decision_function_csr(m, &X, dec), CML_OK);
    snprintf(key, sizeof key, "%s.dec", name);
    const double *want = golden_get(G, key, NULL, NULL);
    double worst = 0;
    for (int64_t i = 0; i < NTE; i++)
        worst = fmax(worst, fabs(dec[i] - want[i]));
    printf("%-12s max |decision - sklearn| = %.3g\n", name, worst);
    assert_close(dec, want, NTE, 0, atol, key);
    free(dec);
}

static void test_linear_svc(void **state)
{
    (void)state;
    cml_model *m = fit("linear_svc", NULL);
    check_linear(m, "lsvc", 1e-4);
    cml_model_free(m);
    const char *hinge[] = {"loss", "hinge", "C", "0.5", "max_iter", "5000", NULL};
    m = fit("linear_svc", hinge);
    check_linear(m, "lsvc_hinge", 1e-4);
    cml_model_free(m);
}

/* penalty = l1 (liblinear's primal CD) and dual = false with l2 (the same
 * minimizer as the dual): sklearn ran with tol = 1e-6, so do we. */
static void test_linear_svc_primal(void **state)
{
    (void)state;
    const char *l1[] = {"penalty", "l1", "dual", "false", "tol", "1e-6", "max_iter", "5000", NULL};
    cml_model *m = fit("linear_svc", l1);
    check_linear(m, "lsvc_l1", 1e-4);
    const cml_linear_svc *s = cml_model_state(m);
    const double *coef = cml_linear_svc_coef(s);
    int64_t d = cml_linear_svc_n_features_in(s), nnz = 0;
    double n1 = 0;
    for (int64_t j = 0; j < d; j++) {
        nnz += coef[j] != 0;
        n1 += fabs(coef[j]);
    }
    printf("lsvc_l1      nonzero coef %lld (sklearn %g), |coef|_1 %.6f (sklearn %.6f)\n",
           (long long)nnz, gscalar("lsvc_l1.nnz_coef"), n1, gscalar("lsvc_l1.coef_norm1"));
    assert_true(fabs(n1 - gscalar("lsvc_l1.coef_norm1")) <= 1e-3 * gscalar("lsvc_l1.coef_norm1"));
    assert_true(llabs(nnz - (int64_t)gscalar("lsvc_l1.nnz_coef")) <= 2);
    cml_model_free(m);

    const char *primal[] = {"dual", "false", "tol", "1e-6", "max_iter", "5000", NULL};
    m = fit("linear_svc", primal);
    check_linear(m, "lsvc_primal", 1e-4);
    cml_model_free(m);

    /* the combinations scikit-learn refuses */
    assert_int_equal(cml_model_create("linear_svc", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "penalty", "l1"), CML_OK);
    cml_csr X = cml_csr_owned_view(XTR);
    assert_int_equal(cml_model_fit_csr(m, &X, YTR, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "dual"));
    assert_int_equal(cml_model_set_param(m, "dual", "false"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "loss", "hinge"), CML_OK);
    assert_int_equal(cml_model_fit_csr(m, &X, YTR, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "hinge"));
    cml_model_free(m);
}

/* LogisticRegression() (lbfgs) on CSR: the same solver path as dense X. */
static void test_logreg(void **state)
{
    (void)state;
    cml_model *m = fit("logistic_regression", NULL);
    check_linear(m, "lr", 1e-8);
    cml_csr X = cml_csr_owned_view(XTE);
    double *proba = malloc((size_t)NTE * 2 * sizeof *proba);
    assert_int_equal(cml_model_predict_proba_csr(m, &X, proba), CML_OK);
    const double *want = golden_get(G, "lr.proba", NULL, NULL);
    double worst = 0;
    for (int64_t i = 0; i < NTE * 2; i++)
        worst = fmax(worst, fabs(proba[i] - want[i]));
    printf("%-12s max |proba - sklearn| = %.3g\n", "lr", worst);
    assert_close(proba, want, NTE * 2, 0, 1e-9, "lr.proba");
    free(proba);
    cml_model_free(m);
    /* the cd solver is dense-only: a clear UNSUPPORTED */
    assert_int_equal(cml_model_create("logistic_regression", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "solver", "cd"), CML_OK);
    cml_csr Xtr = cml_csr_owned_view(XTR);
    assert_int_equal(cml_model_fit_csr(m, &Xtr, YTR, NULL), CML_ERR_UNSUPPORTED);
    assert_non_null(strstr(cml_last_error(), "dense"));
    cml_model_free(m);
}

/* fit -> save -> load -> predict (and proba / decision) bit-identical. */
static void roundtrip(const char *algo)
{
    cml_model *m = fit(algo, NULL), *l;
    char path[64];
    snprintf(path, sizeof path, "tmp_text_models_%s.gguf", algo);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load(path, &l, NULL), CML_OK);
    remove(path);
    cml_csr X = cml_csr_owned_view(XTE);
    double *a = malloc((size_t)NTE * 2 * sizeof *a), *b = malloc((size_t)NTE * 2 * sizeof *b);
    assert_int_equal(cml_model_predict_csr(m, &X, a), CML_OK);
    assert_int_equal(cml_model_predict_csr(l, &X, b), CML_OK);
    assert_memory_equal(a, b, (size_t)NTE * sizeof *a);
    if (cml_model_estimator(m)->predict_proba_csr) {
        assert_int_equal(cml_model_predict_proba_csr(m, &X, a), CML_OK);
        assert_int_equal(cml_model_predict_proba_csr(l, &X, b), CML_OK);
    } else {
        assert_int_equal(cml_model_decision_function_csr(m, &X, a), CML_OK);
        assert_int_equal(cml_model_decision_function_csr(l, &X, b), CML_OK);
    }
    assert_memory_equal(a, b, (size_t)NTE * sizeof *a);
    free(a);
    free(b);
    cml_model_free(m);
    cml_model_free(l);
}

static void test_save_load(void **state)
{
    (void)state;
    roundtrip("linear_svc");
    roundtrip("multinomial_nb");
    roundtrip("bernoulli_nb");
    roundtrip("logistic_regression");
}

static void test_errors(void **state)
{
    (void)state;
    cml_csr X = cml_csr_owned_view(XTE);
    double *out = malloc((size_t)NTE * 2 * sizeof *out);
    cml_model *m = fit("multinomial_nb", NULL);

    /* one column fewer than at fit */
    cml_csr bad = X;
    bad.cols = X.cols + 1;
    assert_int_equal(cml_model_predict_csr(m, &bad, out), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "features"));
    /* non-finite stored value */
    double *data = malloc((size_t)X.nnz * sizeof *data);
    memcpy(data, X.data, (size_t)X.nnz * sizeof *data);
    data[3] = NAN;
    bad = X;
    bad.data = data;
    assert_int_equal(cml_model_predict_csr(m, &bad, out), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "non-finite"));
    /* negative counts for the multinomial model */
    data[3] = -1.0;
    cml_model *m2;
    assert_int_equal(cml_model_create("multinomial_nb", &m2), CML_OK);
    assert_int_equal(cml_model_fit_csr(m2, &bad, YTE, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "negative"));
    cml_model_free(m2);
    free(data);
    /* Bernoulli with binarize < 0 on sparse X, as sklearn */
    assert_int_equal(cml_model_create("bernoulli_nb", &m2), CML_OK);
    assert_int_equal(cml_model_set_param(m2, "binarize", "-0.5"), CML_OK);
    assert_int_equal(cml_model_fit_csr(m2, &X, YTE, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "binarize"));
    cml_model_free(m2);
    cml_model_free(m);

    /* no sparse entry: a clear UNSUPPORTED, never a crash */
    assert_int_equal(cml_model_create("gaussian_nb", &m2), CML_OK);
    assert_false(cml_model_accepts_csr(m2));
    assert_int_equal(cml_model_fit_csr(m2, &X, YTE, NULL), CML_ERR_UNSUPPORTED);
    assert_non_null(strstr(cml_last_error(), "sparse"));
    cml_model_free(m2);
    /* linear_svc has no probabilities */
    m = fit("linear_svc", NULL);
    assert_int_equal(cml_model_predict_proba_csr(m, &X, out), CML_ERR_UNSUPPORTED);
    cml_model_free(m);
    /* preprocessing steps take dense X only */
    assert_int_equal(cml_model_create("linear_svc", &m), CML_OK);
    cml_model *sc;
    assert_int_equal(cml_model_create("standard_scaler", &sc), CML_OK);
    assert_int_equal(cml_model_add_step(m, sc), CML_OK);
    assert_false(cml_model_accepts_csr(m));
    assert_int_equal(cml_model_fit_csr(m, &X, YTE, NULL), CML_ERR_UNSUPPORTED);
    cml_model_free(m);
    /* unfitted */
    assert_int_equal(cml_model_create("linear_svc", &m), CML_OK);
    assert_int_equal(cml_model_predict_csr(m, &X, out), CML_ERR_NOT_FITTED);
    cml_model_free(m);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tfidf_shape),   cmocka_unit_test(test_multinomial_nb),
        cmocka_unit_test(test_complement_nb), cmocka_unit_test(test_bernoulli_nb),
        cmocka_unit_test(test_linear_svc),    cmocka_unit_test(test_linear_svc_primal),
        cmocka_unit_test(test_logreg),        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
