/*
 * test_partial_fit.c — the generic incremental fit (cml_model_partial_fit,
 * the estimators' partial_fit vtable entry):
 *  - MultinomialNB, ComplementNB, BernoulliNB on digits: fit on the first
 *    rows, then partial_fit on the rest in two chunks, equals one fit on all
 *    rows bit for bit (counts add up; predict_proba compared with memcmp);
 *  - GaussianNB on breast_cancer in three chunks against scikit-learn 1.2.1
 *    partial_fit (tests/gen/gen_partial_fit.py): theta, var, class_count
 *    and predict_proba within 1e-12 relative (the test prints the largest
 *    difference);
 *  - fit -> save -> load -> partial_fit equals partial_fit in memory;
 *  - in a pipeline the steps keep their first fit (equal to doing it by hand);
 *  - errors: an estimator without partial_fit (CML_ERR_UNSUPPORTED), a
 *    label unseen at the first fit and a wrong feature count (CML_ERR_ARG,
 *    model unchanged); an unfitted model is simply fitted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cml/bayes.h"
#include "cml/model.h"
#include "helpers/golden.h"

static double *X, *y;
static int64_t n, d;

static int setup(void **state)
{
    (void)state;
    mkdir("out", 0755);
    return 0;
}

static void proba_of(const cml_model *m, const cml_matrix *A, double **out)
{
    int64_t C = cml_model_n_classes(m);
    *out = malloc(sizeof(double) * (size_t)(A->rows * C));
    assert_int_equal(cml_model_predict_proba(m, A, *out), CML_OK);
}

static void check_discrete(const char *algo)
{
    cml_matrix all = cml_matrix_view(X, n, d);
    int64_t a = 700, b = 1300; /* chunks [0,a) [a,b) [b,n) */
    cml_matrix c0 = cml_matrix_view(X, a, d), c1 = cml_matrix_view(X + a * d, b - a, d),
               c2 = cml_matrix_view(X + b * d, n - b, d);
    cml_model *full, *inc;
    assert_int_equal(cml_model_create(algo, &full), CML_OK);
    assert_int_equal(cml_model_set_param(full, "alpha", "0.5"), CML_OK);
    assert_int_equal(cml_model_fit(full, &all, y, NULL), CML_OK);
    assert_int_equal(cml_model_create(algo, &inc), CML_OK);
    assert_int_equal(cml_model_set_param(inc, "alpha", "0.5"), CML_OK);
    assert_true(cml_model_can_partial_fit(inc));
    /* unfitted: partial_fit is a fit */
    assert_int_equal(cml_model_partial_fit(inc, &c0, y, NULL), CML_OK);
    assert_int_equal(cml_model_partial_fit(inc, &c1, y + a, NULL), CML_OK);
    assert_int_equal(cml_model_partial_fit(inc, &c2, y + b, NULL), CML_OK);
    double *pf, *pi;
    proba_of(full, &all, &pf);
    proba_of(inc, &all, &pi);
    assert_memory_equal(pf, pi, sizeof(double) * (size_t)(n * 10));
    const cml_discrete_nb *sf = cml_model_state(full), *si = cml_model_state(inc);
    assert_memory_equal(cml_discrete_nb_feature_count(sf), cml_discrete_nb_feature_count(si),
                        sizeof(double) * (size_t)(10 * d));
    assert_memory_equal(cml_discrete_nb_feature_log_prob(sf), cml_discrete_nb_feature_log_prob(si),
                        sizeof(double) * (size_t)(10 * d));

    /* save -> load -> partial_fit == partial_fit in memory */
    cml_model *half, *loaded;
    assert_int_equal(cml_model_create(algo, &half), CML_OK);
    assert_int_equal(cml_model_set_param(half, "alpha", "0.5"), CML_OK);
    assert_int_equal(cml_model_fit(half, &c0, y, NULL), CML_OK);
    assert_int_equal(cml_model_save(half, "out/partial_fit.gguf", NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load("out/partial_fit.gguf", &loaded, NULL), CML_OK);
    cml_matrix rest = cml_matrix_view(X + a * d, n - a, d);
    assert_int_equal(cml_model_partial_fit(loaded, &rest, y + a, NULL), CML_OK);
    double *pl;
    proba_of(loaded, &all, &pl);
    assert_memory_equal(pf, pl, sizeof(double) * (size_t)(n * 10));

    /* errors leave the model as it was */
    double bad_y[3] = {0, 1, 42};
    cml_matrix three = cml_matrix_view(X, 3, d);
    assert_int_equal(cml_model_partial_fit(loaded, &three, bad_y, NULL), CML_ERR_ARG);
    cml_matrix narrow = cml_matrix_view(X, 3, d - 1);
    assert_int_equal(cml_model_partial_fit(loaded, &narrow, y, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "features"));
    double *pl2;
    proba_of(loaded, &all, &pl2);
    assert_memory_equal(pf, pl2, sizeof(double) * (size_t)(n * 10));
    free(pf);
    free(pi);
    free(pl);
    free(pl2);
    cml_model_free(full);
    cml_model_free(inc);
    cml_model_free(half);
    cml_model_free(loaded);
}

static void test_discrete(void **state)
{
    (void)state;
    test_load_dataset("digits", &X, &n, &d, &y);
    check_discrete("multinomial_nb");
    check_discrete("complement_nb");
    check_discrete("bernoulli_nb");
    free(X);
    free(y);
}

static double max_rel;

static void close_to(const double *got, const double *want, int64_t k, const char *what)
{
    for (int64_t i = 0; i < k; i++) {
        double den = fabs(want[i]) > 1e-300 ? fabs(want[i]) : 1.0;
        max_rel = fmax(max_rel, fabs(got[i] - want[i]) / den);
    }
    assert_close(got, want, k, 1e-12, 1e-300, what);
}

static void test_gaussian_vs_sklearn(void **state)
{
    (void)state;
    test_load_dataset("breast_cancer", &X, &n, &d, &y);
    golden *G = golden_load("golden/partial_fit.txt");
    cml_model *m;
    assert_int_equal(cml_model_create("gaussian_nb", &m), CML_OK);
    int64_t cuts[4] = {0, 190, 380, n};
    for (int k = 0; k < 3; k++) {
        cml_matrix c = cml_matrix_view(X + cuts[k] * d, cuts[k + 1] - cuts[k], d);
        assert_int_equal(cml_model_partial_fit(m, &c, y + cuts[k], NULL), CML_OK);
    }
    const cml_gaussian_nb *s = cml_model_state(m);
    close_to(cml_gaussian_nb_theta(s), golden_get(G, "bc.theta", NULL, NULL), 2 * d, "theta");
    close_to(cml_gaussian_nb_var(s), golden_get(G, "bc.var", NULL, NULL), 2 * d, "var");
    close_to(cml_gaussian_nb_class_count(s), golden_get(G, "bc.class_count", NULL, NULL), 2,
             "class_count");
    cml_matrix all = cml_matrix_view(X, n, d);
    double *p;
    proba_of(m, &all, &p);
    /* probabilities near 0 carry the absolute error of exp(): 1e-12 abs */
    assert_close(p, golden_get(G, "bc.proba", NULL, NULL), n * 2, 1e-10, 1e-12, "proba");
    print_message("gaussian_nb partial_fit vs sklearn: max rel diff (theta, var, counts) %.3g\n",
                  max_rel);
    free(p);
    cml_model_free(m);
    golden_free(G);
    free(X);
    free(y);
}

static void test_unsupported(void **state)
{
    (void)state;
    double A[6] = {1, 2, 3, 4, 5, 7}, t[3] = {1, 2, 3};
    cml_matrix M = cml_matrix_view(A, 3, 2);
    cml_model *m;
    assert_int_equal(cml_model_create("ridge", &m), CML_OK);
    assert_false(cml_model_can_partial_fit(m));
    assert_int_equal(cml_model_partial_fit(m, &M, t, NULL), CML_ERR_UNSUPPORTED);
    assert_non_null(strstr(cml_last_error(), "partial_fit"));
    cml_model_free(m);
    /* a NaN target is rejected before anything changes */
    assert_int_equal(cml_model_create("gaussian_nb", &m), CML_OK);
    double cls[3] = {0, 1, 0};
    assert_int_equal(cml_model_fit(m, &M, cls, NULL), CML_OK);
    double nan_y[3] = {0, NAN, 1};
    assert_int_equal(cml_model_partial_fit(m, &M, nan_y, NULL), CML_ERR_ARG);
    cml_model_free(m);
}

/* A pipeline: the steps are applied as fitted on the first batch, never
 * refitted; the estimator is updated with the transformed rows. */
static void test_steps(void **state)
{
    (void)state;
    test_load_dataset("breast_cancer", &X, &n, &d, &y);
    int64_t a = 300;
    cml_matrix c0 = cml_matrix_view(X, a, d), c1 = cml_matrix_view(X + a * d, n - a, d),
               all = cml_matrix_view(X, n, d);
    cml_model *pipe, *sc, *nb, *step;
    assert_int_equal(cml_model_create("gaussian_nb", &pipe), CML_OK);
    assert_int_equal(cml_model_create("standard_scaler", &step), CML_OK);
    assert_int_equal(cml_model_add_step(pipe, step), CML_OK);
    assert_int_equal(cml_model_fit(pipe, &c0, y, NULL), CML_OK);
    assert_int_equal(cml_model_partial_fit(pipe, &c1, y + a, NULL), CML_OK);
    /* by hand: scaler fitted on the first batch, NB fit + partial_fit */
    assert_int_equal(cml_model_create("standard_scaler", &sc), CML_OK);
    assert_int_equal(cml_model_fit(sc, &c0, NULL, NULL), CML_OK);
    double *T = malloc(sizeof(double) * (size_t)(n * d));
    assert_int_equal(cml_model_transform(sc, &all, T), CML_OK);
    cml_matrix t0 = cml_matrix_view(T, a, d), t1 = cml_matrix_view(T + a * d, n - a, d),
               tall = cml_matrix_view(T, n, d);
    assert_int_equal(cml_model_create("gaussian_nb", &nb), CML_OK);
    assert_int_equal(cml_model_fit(nb, &t0, y, NULL), CML_OK);
    assert_int_equal(cml_model_partial_fit(nb, &t1, y + a, NULL), CML_OK);
    double *p1, *p2;
    proba_of(pipe, &all, &p1);
    proba_of(nb, &tall, &p2);
    assert_memory_equal(p1, p2, sizeof(double) * (size_t)(n * 2));
    free(p1);
    free(p2);
    free(T);
    cml_model_free(pipe);
    cml_model_free(sc);
    cml_model_free(nb);
    free(X);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discrete),
        cmocka_unit_test(test_gaussian_vs_sklearn),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_steps),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
