/*
 * test_golden_linear.c — linear_regression, ridge, lasso and elastic_net
 * against scikit-learn 1.2.1 (tests/gen/gen_linear.py -> golden/linear.txt)
 * on diabetes (raw, standardized, with a duplicated column, weighted) and a
 * wide slice of digits, through the generic layer (cml_model_*) with the
 * typed getters read from the fitted state; and the Gram-matrix path
 * (precompute) on 1500 diamonds rows (9 numeric/ordinal features, stored in
 * the golden file, standardized here) against sklearn's precompute=True.
 *
 * Tolerances: direct solvers (OLS, Ridge) coef and predictions to 1e-9
 * relative to the largest coefficient / prediction; coordinate descent at
 * tol=1e-10 to 1e-6 relative, at the default tol predictions to 1e-4
 * relative (the acceptance bar), and the sweep count n_iter within 1 of
 * sklearn's (rounding can move a gap test across its threshold). The
 * Gram-path cases at tol=1e-10: coef and intercept to 1e-8 relative, and
 * cml's auto (Gram) vs precompute=false to 1e-8 relative.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/linear.h"
#include "cml/model.h"
#include "golden.h"

#define N_PRED 40

typedef struct gcase {
    const char *name, *algo, *data, *params; /* params: "k=v,k=v" */
    int weighted;
} gcase;

#define TIGHT "tol=1e-10,max_iter=100000"
static const gcase cases[] = {
    {"ols_raw", "linear_regression", "raw", "", 0},
    {"ols_raw_noint", "ols", "raw", "fit_intercept=false", 0},
    {"ols_std", "linear_regression", "std", "", 0},
    {"ols_raw_sw", "linear_regression", "raw", "", 1},
    {"ols_std_sw_noint", "linear_regression", "std", "fit_intercept=false", 1},
    {"ols_dup", "linear_regression", "dup", "", 0},
    {"ols_dup_sw", "linear_regression", "dup", "", 1},
    {"ols_wide", "linear_regression", "wide", "", 0},
    {"ridge_raw_a0.1_cholesky", "ridge", "raw", "alpha=0.1,solver=cholesky", 0},
    {"ridge_raw_a0.1_svd", "ridge", "raw", "alpha=0.1,solver=svd", 0},
    {"ridge_raw_a1_cholesky", "ridge", "raw", "alpha=1,solver=cholesky", 0},
    {"ridge_raw_a1_svd", "ridge", "raw", "alpha=1,solver=svd", 0},
    {"ridge_raw_a10_cholesky", "ridge", "raw", "alpha=10,solver=cholesky", 0},
    {"ridge_raw_a10_svd", "ridge", "raw", "alpha=10,solver=svd", 0},
    {"ridge_std_a0.1_cholesky", "ridge", "std", "alpha=0.1,solver=cholesky", 0},
    {"ridge_std_a0.1_svd", "ridge", "std", "alpha=0.1,solver=svd", 0},
    {"ridge_std_a1_cholesky", "ridge", "std", "alpha=1,solver=cholesky", 0},
    {"ridge_std_a1_svd", "ridge", "std", "alpha=1,solver=svd", 0},
    {"ridge_std_a10_cholesky", "ridge", "std", "alpha=10,solver=cholesky", 0},
    {"ridge_std_a10_svd", "ridge", "std", "alpha=10,solver=svd", 0},
    {"ridge_raw_noint", "ridge", "raw", "fit_intercept=false", 0},
    {"ridge_raw_sw", "ridge", "raw", "alpha=0.5", 1},
    {"ridge_std_sw_svd", "ridge", "std", "alpha=2,solver=svd", 1},
    {"ridge_dup_a0.01_svd", "ridge", "dup", "alpha=0.01,solver=svd", 0},
    {"ridge_std_a0_svd", "ridge", "std", "alpha=0,solver=svd", 0},
    {"ridge_const_a0_cholesky", "ridge", "const", "alpha=0,solver=cholesky", 0},
    {"ridge_wide_cholesky", "ridge", "wide", "alpha=1,solver=cholesky", 0},
    {"ridge_wide_svd", "ridge", "wide", "alpha=1,solver=svd", 0},
    {"lasso_raw_a0.1", "lasso", "raw", "alpha=0.1", 0},
    {"lasso_raw_a0.1_tight", "lasso", "raw", "alpha=0.1," TIGHT, 0},
    {"lasso_raw_a1", "lasso", "raw", "alpha=1", 0},
    {"lasso_raw_a1_tight", "lasso", "raw", "alpha=1," TIGHT, 0},
    {"enet_raw_l0.3", "elastic_net", "raw", "alpha=0.5,l1_ratio=0.3", 0},
    {"enet_raw_l0.3_tight", "enet", "raw", "alpha=0.5,l1_ratio=0.3," TIGHT, 0},
    {"enet_raw_l0.7", "elastic_net", "raw", "alpha=0.5,l1_ratio=0.7", 0},
    {"enet_raw_l0.7_tight", "elastic_net", "raw", "alpha=0.5,l1_ratio=0.7," TIGHT, 0},
    {"lasso_std_a0.1", "lasso", "std", "alpha=0.1", 0},
    {"lasso_std_a0.1_tight", "lasso", "std", "alpha=0.1," TIGHT, 0},
    {"lasso_std_a1", "lasso", "std", "alpha=1", 0},
    {"lasso_std_a1_tight", "lasso", "std", "alpha=1," TIGHT, 0},
    {"enet_std_l0.3", "elastic_net", "std", "alpha=0.5,l1_ratio=0.3", 0},
    {"enet_std_l0.3_tight", "elastic_net", "std", "alpha=0.5,l1_ratio=0.3," TIGHT, 0},
    {"enet_std_l0.7", "elastic_net", "std", "alpha=0.5,l1_ratio=0.7", 0},
    {"enet_std_l0.7_tight", "elastic_net", "std", "alpha=0.5,l1_ratio=0.7," TIGHT, 0},
    {"lasso_std_noint_tight", "lasso", "std", "alpha=0.5,fit_intercept=false," TIGHT, 0},
    {"lasso_std_positive_tight", "lasso", "std", "alpha=0.1,positive=true," TIGHT, 0},
    {"lasso_std_sw_tight", "lasso", "std", "alpha=0.3," TIGHT, 1},
    {"enet_raw_sw_tight", "elastic_net", "raw", "alpha=0.5,l1_ratio=0.5," TIGHT, 1},
    {"lasso_raw_a1_iter5", "lasso", "raw", "alpha=1,max_iter=5", 0},
    {"lasso_wide", "lasso", "wide", "alpha=0.1", 0},
    {"lasso_wide_tight", "lasso", "wide", "alpha=0.1," TIGHT, 0},
    {"enet_wide_tight", "elastic_net", "wide", "alpha=0.1,l1_ratio=0.5," TIGHT, 0},
    /* n = 1500 >= 1000 and >= 2p: auto takes the Gram path, as precompute=true */
    {"lasso_diam_gram", "lasso", "diam", "alpha=1,precompute=true", 0},
    {"lasso_diam_gram_tight", "lasso", "diam", "alpha=1," TIGHT, 0},
    {"enet_diam_gram", "elastic_net", "diam", "alpha=0.1,l1_ratio=0.5,precompute=auto", 0},
    {"enet_diam_gram_tight", "elastic_net", "diam", "alpha=0.1,l1_ratio=0.5,precompute=true," TIGHT,
     0},
    /* 1500 rows: three 512-row blocks of Ridge's one-pass normal equations */
    {"ridge_diam", "ridge", "diam", "alpha=1", 0},
    {"ridge_diam_sw", "ridge", "diam", "alpha=0.5", 1},
    /* and of linear_regression's one-pass Cholesky (kappa < 1e3) and two-pass
     * Cholesky QR (kappa < 1e7) */
    {"ols_diam", "linear_regression", "diam", "", 0},
    {"ols_diam_sw", "linear_regression", "diam", "", 1},
    {"ols_diam3", "linear_regression", "diam3", "", 0},
    {"ols_diam3_sw", "linear_regression", "diam3", "", 1},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* ---------------------------------------------------------------- data */

typedef struct dataset {
    double *X, *y;
    int64_t n, p;
} dataset;

static dataset raw, std, dup, cst, wide, diam, diam3;
static golden *G;

/* Summary printed at the end: worst relative differences seen. */
static double worst_direct, worst_cd_tight, worst_cd_pred, worst_gram, worst_gram_vs_x;
static int worst_iter_diff;

static void build_data(void)
{
    test_load_dataset("diabetes", &raw.X, &raw.n, &raw.p, &raw.y);
    int64_t n = raw.n, p = raw.p;
    std = (dataset){malloc(sizeof(double) * (size_t)(n * p)), raw.y, n, p};
    for (int64_t j = 0; j < p; j++) {
        double m = 0, v = 0;
        for (int64_t i = 0; i < n; i++)
            m += raw.X[i * p + j];
        m /= (double)n;
        for (int64_t i = 0; i < n; i++)
            v += (raw.X[i * p + j] - m) * (raw.X[i * p + j] - m);
        double s = sqrt(v / (double)n);
        for (int64_t i = 0; i < n; i++)
            std.X[i * p + j] = (raw.X[i * p + j] - m) / s;
    }
    dup = (dataset){malloc(sizeof(double) * (size_t)(n * (p + 1))), raw.y, n, p + 1};
    for (int64_t i = 0; i < n; i++) {
        memcpy(dup.X + i * (p + 1), raw.X + i * p, sizeof(double) * (size_t)p);
        dup.X[i * (p + 1) + p] = raw.X[i * p + 2];
    }
    cst = (dataset){malloc(sizeof(double) * (size_t)(n * (p + 1))), raw.y, n, p + 1};
    for (int64_t i = 0; i < n; i++) {
        memcpy(cst.X + i * (p + 1), raw.X + i * p, sizeof(double) * (size_t)p);
        cst.X[i * (p + 1) + p] = 3.0;
    }
    test_load_dataset("digits", &wide.X, &wide.n, &wide.p, &wide.y);
    wide.n = 40;
}

/* diamonds rows from the golden file, standardized per column (ddof 0) as
 * gen_linear.py does; y = price as stored. */
static void build_diam(void)
{
    int64_t n, p, ny, c1;
    const double *X = golden_get(G, "diam.X", &n, &p);
    const double *y = golden_get(G, "diam.y", &c1, &ny);
    assert_true(c1 == 1 && ny == n);
    diam = (dataset){malloc(sizeof(double) * (size_t)(n * p)), malloc(sizeof(double) * (size_t)n),
                     n, p};
    memcpy(diam.y, y, sizeof(double) * (size_t)n);
    for (int64_t j = 0; j < p; j++) {
        double m = 0, v = 0;
        for (int64_t i = 0; i < n; i++)
            m += X[i * p + j];
        m /= (double)n;
        for (int64_t i = 0; i < n; i++)
            v += (X[i * p + j] - m) * (X[i * p + j] - m);
        double s = sqrt(v / (double)n);
        for (int64_t i = 0; i < n; i++)
            diam.X[i * p + j] = (X[i * p + j] - m) / s;
    }
    /* diam3: [diam, diam^2, diam^3] (gen_linear.py) */
    diam3 = (dataset){malloc(sizeof(double) * (size_t)(n * 3 * p)), diam.y, n, 3 * p};
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < p; j++) {
            const double v = diam.X[i * p + j];
            diam3.X[i * 3 * p + j] = v;
            diam3.X[i * 3 * p + p + j] = v * v;
            diam3.X[i * 3 * p + 2 * p + j] = v * v * v;
        }
}

static const dataset *data_of(const char *name)
{
    if (!strcmp(name, "raw")) return &raw;
    if (!strcmp(name, "std")) return &std;
    if (!strcmp(name, "dup")) return &dup;
    if (!strcmp(name, "const")) return &cst;
    if (!strcmp(name, "diam")) return &diam;
    if (!strcmp(name, "diam3")) return &diam3;
    return &wide;
}

static int setup(void **state)
{
    (void)state;
    build_data();
    G = golden_load("golden/linear.txt");
    build_diam();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    printf("# worst relative differences vs sklearn: direct solvers %.3g, CD tol=1e-10 coef "
           "%.3g, CD predictions (all tols) %.3g, |n_iter - sklearn| <= %d; Gram path "
           "tol=1e-10 coef %.3g, Gram vs precompute=false %.3g\n",
           worst_direct, worst_cd_tight, worst_cd_pred, worst_iter_diff, worst_gram,
           worst_gram_vs_x);
    golden_free(G);
    free(raw.X);
    free(raw.y);
    free(std.X);
    free(dup.X);
    free(cst.X);
    free(wide.X);
    free(wide.y);
    free(diam.X);
    free(diam.y);
    free(diam3.X);
    return 0;
}

/* ---------------------------------------------------------------- checks */

static double max_abs(const double *v, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(v[i]));
    return m;
}

/* max |got - want| / max(|want|), asserting it is <= rtol. */
static double compare(const char *what, const double *got, const double *want, int64_t n,
                      double rtol)
{
    double scale = fmax(max_abs(want, n), 1e-300), worst = 0;
    for (int64_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(got[i] - want[i]) / scale);
    if (!(worst <= rtol)) {
        assert_close(got, want, n, 0, rtol * scale, what);
        fail_msg("%s: relative difference %.3g > %.3g", what, worst, rtol);
    }
    return worst;
}

static const double *gold(const char *name, const char *field, int64_t *n)
{
    char key[160];
    int64_t r, c;
    snprintf(key, sizeof key, "%s.%s", name, field);
    const double *v = golden_get(G, key, &r, &c);
    if (n) *n = r * c;
    return v;
}

static void set_params(cml_model *m, const char *spec)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *kv = strtok(buf, ","); kv; kv = strtok(NULL, ",")) {
        char *eq = strchr(kv, '=');
        assert_non_null(eq);
        *eq = '\0';
        if (cml_model_set_param(m, kv, eq + 1) != CML_OK) fail_msg("%s", cml_last_error());
    }
}

static void run_case(void **state)
{
    const gcase *c = *state;
    const dataset *d = data_of(c->data);
    cml_matrix X = cml_matrix_view(d->X, d->n, d->p);
    double *w = NULL;
    if (c->weighted) {
        w = malloc(sizeof(double) * (size_t)d->n);
        for (int64_t i = 0; i < d->n; i++)
            w[i] = 0.5 * (double)(i % 7);
    }
    cml_model *m;
    assert_int_equal(cml_model_create(c->algo, &m), CML_OK);
    set_params(m, c->params);
    cml_fit_opts opts = {w, NULL, NULL};
    if (cml_model_fit(m, &X, d->y, &opts) != CML_OK) fail_msg("%s", cml_last_error());

    /* Every state struct starts with the same fields, but read each through
     * its own typed getters as a user would. */
    const void *st = cml_model_state(m);
    const char *algo = cml_model_estimator(m)->name;
    const double *coef;
    double intercept;
    int64_t p = 0;
    int is_cd = 0, n_iter = 0;
    if (!strcmp(algo, "linear_regression")) {
        coef = cml_linear_regression_coef(st, &p);
        intercept = cml_linear_regression_intercept(st);
        assert_int_equal(cml_linear_regression_rank(st), (int64_t)gold(c->name, "rank", NULL)[0]);
        int64_t ns, nsg;
        const double *s = cml_linear_regression_singular_values(st, &ns);
        const double *sg = gold(c->name, "singular", &nsg);
        assert_int_equal(ns, nsg);
        worst_direct = fmax(worst_direct, compare("singular", s, sg, ns, 1e-10));
    } else if (!strcmp(algo, "ridge")) {
        coef = cml_ridge_coef(st, &p);
        intercept = cml_ridge_intercept(st);
    } else if (!strcmp(algo, "lasso")) {
        coef = cml_lasso_coef(st, &p);
        intercept = cml_lasso_intercept(st);
        n_iter = cml_lasso_n_iter(st);
        is_cd = 1;
    } else {
        coef = cml_elastic_net_coef(st, &p);
        intercept = cml_elastic_net_intercept(st);
        n_iter = cml_elastic_net_n_iter(st);
        is_cd = 1;
    }
    assert_int_equal(p, d->p);

    int64_t ng;
    const double *gcoef = gold(c->name, "coef", &ng);
    assert_int_equal(ng, p);
    double gint = gold(c->name, "intercept", NULL)[0];
    double pred[N_PRED];
    cml_matrix Xp = cml_matrix_view(d->X, N_PRED, d->p);
    assert_int_equal(cml_model_predict(m, &Xp, pred), CML_OK);
    const double *gpred = gold(c->name, "pred", NULL);

    /* The intercept is compared on the scale of the predictions it shifts. */
    double yscale = max_abs(gpred, N_PRED);
    double dint = fabs(intercept - gint) / yscale;
    int tight = strstr(c->params, "tol=1e-10") != NULL;
    if (!is_cd) {
        double r = compare("coef", coef, gcoef, p, 1e-9);
        r = fmax(r, compare("pred", pred, gpred, N_PRED, 1e-9));
        if (dint > 1e-9) fail_msg("intercept %.17g, want %.17g", intercept, gint);
        worst_direct = fmax(worst_direct, fmax(r, dint));
    } else {
        double rp = compare("pred", pred, gpred, N_PRED, 1e-4);
        worst_cd_pred = fmax(worst_cd_pred, rp);
        int gram = !strcmp(c->data, "diam");
        if (tight) {
            double rtol = gram ? 1e-8 : 1e-6;
            double r = compare("coef", coef, gcoef, p, rtol);
            if (dint > rtol) fail_msg("intercept %.17g, want %.17g", intercept, gint);
            if (gram)
                worst_gram = fmax(worst_gram, fmax(r, dint));
            else
                worst_cd_tight = fmax(worst_cd_tight, fmax(r, dint));
        }
        int gi = (int)gold(c->name, "n_iter", NULL)[0];
        int diff = abs(n_iter - gi);
        if (diff > 1) fail_msg("n_iter %d, sklearn %d", n_iter, gi);
        if (diff > worst_iter_diff) worst_iter_diff = diff;
        assert_int_equal(cml_model_fit_info(m)->n_iter, n_iter);
        /* Only the capped runs stop short of the tolerance (sklearn's too). */
        int capped = strstr(c->name, "iter5") || !strcmp(c->name, "lasso_diam_gram");
        assert_int_equal(cml_model_fit_info(m)->converged, !capped);
    }
    cml_model_free(m);
    free(w);
}

/* cml's default precompute=auto (the Gram path here) against
 * precompute=false (sklearn's default X path) at tol=1e-10: lasso, enet,
 * positive, random selection (same RNG draws on both paths), each without
 * and with sample weights (zeros included). */
static void gram_vs_x(void **state)
{
    (void)state;
    static const char *specs[] = {"lasso",       "alpha=1," TIGHT,
                                  "elastic_net", "alpha=0.1,l1_ratio=0.5," TIGHT,
                                  "lasso",       "alpha=0.3,positive=true," TIGHT,
                                  "lasso",       "alpha=1,selection=random,random_state=3," TIGHT};
    cml_matrix X = cml_matrix_view(diam.X, diam.n, diam.p);
    double *w = malloc(sizeof(double) * (size_t)diam.n);
    for (int64_t i = 0; i < diam.n; i++)
        w[i] = 0.5 * (double)(i % 7);
    for (int k = 0; k < 4; k++) {
        for (int weighted = 0; weighted < 2; weighted++) {
            cml_model *m[2];
            double pred[2][N_PRED];
            for (int x = 0; x < 2; x++) {
                assert_int_equal(cml_model_create(specs[2 * k], &m[x]), CML_OK);
                set_params(m[x], specs[2 * k + 1]);
                if (x) set_params(m[x], "precompute=false");
                cml_fit_opts opts = {weighted ? w : NULL, NULL, NULL};
                if (cml_model_fit(m[x], &X, diam.y, &opts) != CML_OK)
                    fail_msg("%s", cml_last_error());
                cml_matrix Xp = cml_matrix_view(diam.X, N_PRED, diam.p);
                assert_int_equal(cml_model_predict(m[x], &Xp, pred[x]), CML_OK);
            }
            const void *s0 = cml_model_state(m[0]), *s1 = cml_model_state(m[1]);
            int64_t p0, p1;
            const double *c0, *c1;
            int it0, it1;
            if (k == 1) {
                c0 = cml_elastic_net_coef(s0, &p0);
                c1 = cml_elastic_net_coef(s1, &p1);
                it0 = cml_elastic_net_n_iter(s0);
                it1 = cml_elastic_net_n_iter(s1);
            } else {
                c0 = cml_lasso_coef(s0, &p0);
                c1 = cml_lasso_coef(s1, &p1);
                it0 = cml_lasso_n_iter(s0);
                it1 = cml_lasso_n_iter(s1);
            }
            assert_int_equal(p0, p1);
            double r = compare("gram vs X coef", c0, c1, p0, 1e-8);
            r = fmax(r, compare("gram vs X pred", pred[0], pred[1], N_PRED, 1e-8));
            worst_gram_vs_x = fmax(worst_gram_vs_x, r);
            if (abs(it0 - it1) > 1) fail_msg("n_iter gram %d, X %d", it0, it1);
            cml_model_free(m[0]);
            cml_model_free(m[1]);
        }
    }
    free(w);
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 1];
    for (int i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
    tests[N_CASES] = (struct CMUnitTest){"gram_vs_precompute_false", gram_vs_x, NULL, NULL, NULL};
    return _cmocka_run_group_tests("golden_linear", tests, N_CASES + 1, setup, teardown);
}
