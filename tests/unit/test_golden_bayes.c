/*
 * test_golden_bayes.c — GaussianNB (iris, wine) and MultinomialNB,
 * ComplementNB, BernoulliNB (digits, binarize=8) against scikit-learn 1.2.1
 * (tests/gen/gen_bayes.py): joint log-likelihood and predict_log_proba
 * within 1e-8, predictions exact, fitted attributes, sample weights, and
 * partial_fit in three chunks (equal to sklearn's chunked fit, and for the
 * discrete models bit-identical to one fit).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/bayes.h"
#include "cml/model.h"
#include "golden.h"

static golden *G;

typedef struct data {
    double *X, *y, *Xtr, *ytr, *Xte, *sw;
    int64_t n, d, ntr, nte;
} data;

static data load(const char *ds)
{
    data s;
    char key[64];
    int64_t r, c;
    test_load_dataset(ds, &s.X, &s.n, &s.d, &s.y);
    snprintf(key, sizeof key, "%s.test_idx", ds);
    const double *te = golden_get(G, key, &r, &c);
    s.nte = c;
    s.ntr = s.n - c;
    s.Xtr = malloc((size_t)(s.ntr * s.d) * sizeof(double));
    s.Xte = malloc((size_t)(s.nte * s.d) * sizeof(double));
    s.ytr = malloc((size_t)s.ntr * sizeof(double));
    s.sw = malloc((size_t)s.ntr * sizeof(double));
    char *is_test = calloc((size_t)s.n, 1);
    for (int64_t i = 0; i < c; i++)
        is_test[(int64_t)te[i]] = 1;
    for (int64_t i = 0, a = 0, b = 0; i < s.n; i++) {
        if (is_test[i]) {
            memcpy(s.Xte + b++ * s.d, s.X + i * s.d, (size_t)s.d * sizeof(double));
        } else {
            memcpy(s.Xtr + a * s.d, s.X + i * s.d, (size_t)s.d * sizeof(double));
            s.sw[a] = 1.0 + 0.5 * (double)(a % 3);
            s.ytr[a++] = s.y[i];
        }
    }
    free(is_test);
    return s;
}

static void free_data(data *s)
{
    free(s->X);
    free(s->y);
    free(s->Xtr);
    free(s->ytr);
    free(s->Xte);
    free(s->sw);
}

typedef cml_status (*jll_fn)(const void *m, const cml_matrix *X, double *out);
typedef cml_status (*pred_fn)(const void *m, const cml_matrix *X, double *out);

/* Checks jll, log-proba (first rows) and predictions (all test rows). */
static void check_outputs(const char *name, const void *m, const data *s, int64_t C, jll_fn jll,
                          jll_fn logp, pred_fn pred)
{
    char key[160];
    int64_t nj, cj;
    snprintf(key, sizeof key, "%s.jll", name);
    const double *gj = golden_get(G, key, &nj, &cj);
    assert_int_equal(cj, C);
    double *out = malloc((size_t)(s->nte * C) * sizeof(double));
    cml_matrix Q = cml_matrix_view(s->Xte, nj, s->d);
    assert_int_equal(jll(m, &Q, out), CML_OK);
    assert_close(out, gj, nj * C, 1e-12, 1e-8, key);
    double worst = 0.0;
    for (int64_t i = 0; i < nj * C; i++)
        if (isfinite(gj[i])) worst = fmax(worst, fabs(out[i] - gj[i]));
    printf("%-24s max |jll - sklearn| = %.3g\n", name, worst);
    snprintf(key, sizeof key, "%s.logp", name);
    assert_int_equal(logp(m, &Q, out), CML_OK);
    assert_close(out, golden_get(G, key, NULL, NULL), nj * C, 1e-12, 1e-8, key);
    snprintf(key, sizeof key, "%s.pred", name);
    cml_matrix T = cml_matrix_view(s->Xte, s->nte, s->d);
    assert_int_equal(pred(m, &T, out), CML_OK);
    assert_close(out, golden_get(G, key, NULL, NULL), s->nte, 0, 0, key);
    free(out);
}

static void check_attr(const char *name, const char *attr, const double *got, int64_t n,
                       double rtol)
{
    char key[200];
    int64_t r, c;
    snprintf(key, sizeof key, "%s.attr_%s", name, attr);
    const double *want = golden_get(G, key, &r, &c);
    assert_int_equal(r * c, n);
    assert_close(got, want, n, rtol, 0, key);
}

/* Fits `algo` through the generic layer with "key=value" params. */
static cml_model *fit_generic(const char *algo, const char *const *kv, const data *s, int weighted)
{
    cml_model *m;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (int i = 0; kv && kv[i]; i += 2)
        assert_int_equal(cml_model_set_param(m, kv[i], kv[i + 1]), CML_OK);
    cml_fit_opts opts = {weighted ? s->sw : NULL, NULL, NULL};
    cml_matrix X = cml_matrix_view(s->Xtr, s->ntr, s->d);
    assert_int_equal(cml_model_fit(m, &X, s->ytr, &opts), CML_OK);
    return m;
}

/* np.array_split(range(n), 3) boundaries. */
static void chunks3(int64_t n, int64_t b[4])
{
    b[0] = 0;
    for (int i = 0; i < 3; i++)
        b[i + 1] = b[i] + n / 3 + (i < n % 3 ? 1 : 0);
}

/* ---------------------------------------------------------------- Gaussian */

static cml_status g_jll(const void *m, const cml_matrix *X, double *o)
{
    return cml_gaussian_nb_joint_log_likelihood(m, X, o);
}
static cml_status g_logp(const void *m, const cml_matrix *X, double *o)
{
    return cml_gaussian_nb_predict_log_proba(m, X, o);
}
static cml_status g_pred(const void *m, const cml_matrix *X, double *o)
{
    return cml_gaussian_nb_predict(m, X, o);
}

static void check_gaussian(const char *name, const cml_gaussian_nb *m, const data *s)
{
    int64_t C = cml_gaussian_nb_n_classes(m);
    check_outputs(name, m, s, C, g_jll, g_logp, g_pred);
    check_attr(name, "class_count_", cml_gaussian_nb_class_count(m), C, 0);
    check_attr(name, "class_prior_", cml_gaussian_nb_class_prior(m), C, 1e-15);
    check_attr(name, "theta_", cml_gaussian_nb_theta(m), C * s->d, 1e-13);
    check_attr(name, "var_", cml_gaussian_nb_var(m), C * s->d, 1e-12);
    double eps = cml_gaussian_nb_epsilon(m);
    check_attr(name, "epsilon_", &eps, 1, 1e-13);
}

static void test_gaussian(void **state)
{
    (void)state;
    const char *dss[] = {"iris", "wine"};
    for (int di = 0; di < 2; di++) {
        data s = load(dss[di]);
        char name[64];
        const char *vs[] = {"var_smoothing", "1e-3", NULL};
        const char *pri[] = {"priors", "0.2,0.3,0.5", NULL};
        struct {
            const char *suffix;
            const char *const *kv;
            int weighted;
        } cases[] = {{"", NULL, 0}, {".vs", vs, 0}, {".priors", pri, 0}, {".sw", NULL, 1}};
        for (int c = 0; c < 4; c++) {
            snprintf(name, sizeof name, "gnb.%s%s", dss[di], cases[c].suffix);
            cml_model *m = fit_generic("gaussian_nb", cases[c].kv, &s, cases[c].weighted);
            check_gaussian(name, cml_model_state(m), &s);
            cml_model_free(m);
        }
        /* three chunks, classes on the first call only */
        int64_t b[4];
        chunks3(s.ntr, b);
        cml_gaussian_nb *pm = NULL;
        cml_gaussian_nb_params p = cml_gaussian_nb_params_default();
        double classes[3] = {2, 0, 1}; /* any order */
        for (int i = 0; i < 3; i++) {
            cml_matrix Xc = cml_matrix_view(s.Xtr + b[i] * s.d, b[i + 1] - b[i], s.d);
            assert_int_equal(cml_gaussian_nb_partial_fit(&pm, i ? NULL : &p, &Xc, s.ytr + b[i],
                                                         NULL, i ? NULL : classes, 3),
                             CML_OK);
        }
        snprintf(name, sizeof name, "gnb.%s.partial", dss[di]);
        check_gaussian(name, pm, &s);
        cml_gaussian_nb_free(pm);
        free_data(&s);
    }
}

/* ---------------------------------------------------------------- discrete */

static cml_status d_jll(const void *m, const cml_matrix *X, double *o)
{
    return cml_discrete_nb_joint_log_likelihood(m, X, o);
}
static cml_status d_logp(const void *m, const cml_matrix *X, double *o)
{
    return cml_discrete_nb_predict_log_proba(m, X, o);
}
static cml_status d_pred(const void *m, const cml_matrix *X, double *o)
{
    return cml_discrete_nb_predict(m, X, o);
}

static void check_discrete(const char *name, const cml_discrete_nb *m, const data *s)
{
    int64_t C = cml_discrete_nb_n_classes(m);
    check_outputs(name, m, s, C, d_jll, d_logp, d_pred);
    check_attr(name, "class_count_", cml_discrete_nb_class_count(m), C, 0);
    check_attr(name, "class_log_prior_", cml_discrete_nb_class_log_prior(m), C, 1e-14);
}

static void test_discrete(void **state)
{
    (void)state;
    data s = load("digits");
    const char *alpha[] = {"alpha", "0.3", "fit_prior", "false", NULL};
    const char *tiny[] = {"alpha", "1e-12", NULL};
    const char *prior[] = {"class_prior", "0.05,0.05,0.1,0.1,0.1,0.1,0.1,0.1,0.15,0.15", NULL};
    const char *cnorm[] = {"norm", "true", "alpha", "0.5", NULL};
    const char *b8[] = {"binarize", "8", NULL};
    const char *b8a[] = {"binarize", "8", "alpha", "2", "fit_prior", "false", NULL};
    struct {
        const char *name, *algo;
        const char *const *kv;
        int weighted;
    } cases[] = {
        {"mnb.digits", "multinomial_nb", NULL, 0},
        {"mnb.alpha.digits", "multinomial_nb", alpha, 0},
        {"mnb.tinyalpha.digits", "multinomial_nb", tiny, 0},
        {"mnb.prior.digits", "multinomial_nb", prior, 0},
        {"cnb.digits", "complement_nb", NULL, 0},
        {"cnb.norm.digits", "complement_nb", cnorm, 0},
        {"bnb.digits", "bernoulli_nb", b8, 0},
        {"bnb.alpha.digits", "bernoulli_nb", b8a, 0},
        {"mnb.digits.sw", "multinomial_nb", NULL, 1},
        {"bnb.digits.sw", "bernoulli_nb", b8, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cml_model *m = fit_generic(cases[c].algo, cases[c].kv, &s, cases[c].weighted);
        check_discrete(cases[c].name, cml_model_state(m), &s);
        cml_model_free(m);
    }

    /* partial_fit in three chunks: sklearn's values, and exactly one fit */
    typedef cml_status (*pfit)(cml_discrete_nb **, const cml_discrete_nb_params *,
                               const cml_matrix *, const double *, const double *, const double *,
                               int64_t);
    typedef cml_status (*ffit)(const cml_discrete_nb_params *, const cml_matrix *, const double *,
                               cml_discrete_nb **);
    struct {
        const char *name;
        cml_discrete_nb_params p;
        pfit partial;
        ffit fit;
    } pcases[] = {
        {"mnb.digits.partial", cml_multinomial_nb_params_default(), cml_multinomial_nb_partial_fit,
         cml_multinomial_nb_fit},
        {"cnb.digits.partial", cml_complement_nb_params_default(), cml_complement_nb_partial_fit,
         cml_complement_nb_fit},
        {"bnb.digits.partial", cml_bernoulli_nb_params_default(), cml_bernoulli_nb_partial_fit,
         cml_bernoulli_nb_fit},
    };
    pcases[2].p.binarize = 8.0;
    double classes[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    int64_t b[4];
    chunks3(s.ntr, b);
    for (int c = 0; c < 3; c++) {
        cml_discrete_nb *pm = NULL, *fm;
        for (int i = 0; i < 3; i++) {
            cml_matrix Xc = cml_matrix_view(s.Xtr + b[i] * s.d, b[i + 1] - b[i], s.d);
            assert_int_equal(pcases[c].partial(&pm, &pcases[c].p, &Xc, s.ytr + b[i], NULL,
                                               i ? NULL : classes, 10),
                             CML_OK);
        }
        check_discrete(pcases[c].name, pm, &s);
        check_attr(pcases[c].name, "feature_count_", cml_discrete_nb_feature_count(pm), 10 * s.d,
                   0);
        cml_matrix X = cml_matrix_view(s.Xtr, s.ntr, s.d);
        assert_int_equal(pcases[c].fit(&pcases[c].p, &X, s.ytr, &fm), CML_OK);
        assert_memory_equal(cml_discrete_nb_feature_log_prob(pm),
                            cml_discrete_nb_feature_log_prob(fm), 10 * s.d * sizeof(double));
        assert_memory_equal(cml_discrete_nb_class_log_prior(pm),
                            cml_discrete_nb_class_log_prior(fm), 10 * sizeof(double));
        cml_discrete_nb_free(pm);
        cml_discrete_nb_free(fm);
    }
    free_data(&s);
}

int main(void)
{
    G = golden_load("golden/bayes.txt");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gaussian),
        cmocka_unit_test(test_discrete),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    golden_free(G);
    return rc;
}
