/*
 * test_golden_forest.c — random forests and extra trees against
 * scikit-learn 1.2 (tests/golden/forest.txt, from tests/gen/gen_forest.py).
 *
 * cml draws scikit-learn's per-tree seeds and bootstrap samples, so the
 * forests are the same: every tree's node count, the OOB score (exactly) and
 * OOB decision function, feature importances (1e-10), test predictions
 * (exactly for classes, 1e-10 for values), probabilities (1e-12) and test
 * accuracy / R^2. Covers RandomForestClassifier on breast_cancer, wine and
 * digits (200 trees, oob_score), entropy, balanced / balanced_subsample
 * class weights, max_samples, max_features, RandomForestRegressor (squared
 * and absolute error), ExtraTrees classifier and regressor (with and
 * without bootstrap). Also: permutation importance agrees with
 * scikit-learn's within its sampling noise (different shuffles).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/ensemble.h"
#include "cml/metrics.h"
#include "golden.h"

static const char *DATASETS[] = {"iris", "wine", "breast_cancer", "diabetes", "digits"};
#define N_DS 5

typedef struct cfg {
    const char *name;
    int ds, kind, n_est, crit, depth, boot, oob, mf, cw;
    double ms;
    int seed;
    /* 0: fractional weights (balanced class weights times bootstrap counts)
     * make sums depend on the order rows are added, which cml does not
     * reproduce (scikit-learn's order comes from its introsort), so a node
     * whose impurity rounds to +-1e-16, or two exactly tied partitions, can
     * go another way; so can a weighted median, which scikit-learn tracks
     * incrementally in that order. Compared statistically: classifiers' OOB
     * within 0.01 and test accuracy within 0.02, regressors' OOB and test R^2
     * within 0.03, importances within 0.05. */
    int exact;
} cfg;

/* Keep in sync with CONFIGS in tests/gen/gen_forest.py (checked against .cfg). */
static const cfg CFGS[] = {
    {"rf_bc", 2, 0, 200, 0, 0, 1, 1, 0, 0, 0.0, 0, 1},
    {"rf_wine", 1, 0, 200, 0, 0, 1, 1, 0, 0, 0.0, 0, 1},
    {"rf_digits", 4, 0, 200, 0, 0, 1, 1, 0, 0, 0.0, 0, 1},
    {"rf_iris_entropy", 0, 0, 50, 1, 3, 1, 1, 0, 0, 0.0, 5, 1},
    {"rf_wine_bsub", 1, 0, 50, 0, 0, 1, 1, 0, 2, 0.5, 3, 0},
    {"rf_wine_bal", 1, 0, 30, 0, 4, 1, 0, 3, 1, 0.0, 9, 0},
    {"rf_diabetes", 3, 1, 100, 0, 0, 1, 1, 0, 0, 0.0, 0, 1},
    {"rf_diabetes_mae", 3, 1, 10, 2, 4, 1, 1, 3, 0, 0.7, 1, 0},
    {"et_wine", 1, 2, 200, 0, 0, 0, 0, 0, 0, 0.0, 0, 1},
    {"et_bc_boot", 2, 2, 100, 1, 0, 1, 1, 0, 0, 0.0, 2, 1},
    {"et_diabetes", 3, 3, 100, 0, 0, 0, 0, 0, 0, 0.0, 0, 1},
};
#define N_CFGS ((int)(sizeof CFGS / sizeof CFGS[0]))
static const char *CW[] = {"", "balanced", "balanced_subsample"};

static golden *G;
static double *X[N_DS], *Y[N_DS];
static int64_t NR[N_DS], NC[N_DS];
static double max_imp, max_proba, max_oobdf;

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/forest.txt");
    for (int d = 0; d < N_DS; d++)
        test_load_dataset(DATASETS[d], &X[d], &NR[d], &NC[d], &Y[d]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int exact = 0;
    for (int i = 0; i < N_CFGS; i++)
        exact += CFGS[i].exact;
    printf("[ forest ] %d of %d configurations identical to scikit-learn 1.2 (trees, OOB score, "
           "predictions): max |importance diff| %.3g, max |proba diff| %.3g, max |oob decision "
           "diff| %.3g\n",
           exact, N_CFGS, max_imp, max_proba, max_oobdf);
    golden_free(G);
    for (int d = 0; d < N_DS; d++) {
        free(X[d]);
        free(Y[d]);
    }
    return 0;
}

static const double *gget(const char *cfgname, const char *what, int64_t *n)
{
    char key[160];
    int64_t r, c;
    snprintf(key, sizeof key, "%s.%s", cfgname, what);
    const double *v = golden_get(G, key, &r, &c);
    if (n) *n = r * c;
    return v;
}

static void split_rows(int ds, double **Xtr, double **ytr, int64_t *ntr, double **Xte, double **yte,
                       int64_t *nte)
{
    int64_t n = NR[ds], d = NC[ds];
    *Xtr = malloc(sizeof(double) * (size_t)(n * d));
    *Xte = malloc(sizeof(double) * (size_t)(n * d));
    *ytr = malloc(sizeof(double) * (size_t)n);
    *yte = malloc(sizeof(double) * (size_t)n);
    *ntr = *nte = 0;
    for (int64_t i = 0; i < n; i++) {
        int test = i % 4 == 0;
        double *dst = test ? *Xte + *nte * d : *Xtr + *ntr * d;
        memcpy(dst, X[ds] + i * d, sizeof(double) * (size_t)d);
        if (test)
            (*yte)[(*nte)++] = Y[ds][i];
        else
            (*ytr)[(*ntr)++] = Y[ds][i];
    }
}

static double track(const double *a, const double *b, int64_t n, double cur)
{
    for (int64_t i = 0; i < n; i++)
        cur = fmax(cur, fabs(a[i] - b[i]));
    return cur;
}

static void check_statistically(const cfg *c, const cml_forest *f, const cml_matrix *mte,
                                const double *yte, int64_t nte)
{
    int64_t d = mte->cols;
    int clf = cml_forest_is_classifier(f);
    if (c->oob) {
        double want = gget(c->name, "oob", NULL)[0], got = cml_forest_oob_score(f);
        printf("[ forest ] %s: oob_score %.4f, scikit-learn %.4f\n", c->name, got, want);
        assert_true(fabs(got - want) <= (clf ? 0.01 : 0.03));
    }
    assert_close(cml_forest_feature_importances(f), gget(c->name, "imp", NULL), d, 0, 0.05,
                 c->name);
    double *pred = malloc(sizeof(double) * (size_t)nte), acc;
    assert_int_equal(cml_forest_predict(f, mte, pred), CML_OK);
    if (clf)
        assert_int_equal(cml_accuracy(yte, pred, nte, NULL, &acc), CML_OK);
    else
        assert_int_equal(cml_r2(yte, pred, nte, NULL, &acc), CML_OK);
    double want = gget(c->name, "acc", NULL)[0];
    printf("[ forest ] %s: test %s %.4f, scikit-learn %.4f\n", c->name, clf ? "accuracy" : "R^2",
           acc, want);
    assert_true(fabs(acc - want) <= (clf ? 0.02 : 0.03));
    free(pred);
}

static void check_config(const cfg *c)
{
    int64_t n;
    const double *gc = gget(c->name, "cfg", &n);
    double mine[11] = {c->ds,  c->kind, c->n_est, c->crit, c->depth, c->boot,
                       c->oob, c->mf,   c->cw,    c->ms,   c->seed};
    if (n != 11) fail_msg("%s: cfg has %lld entries", c->name, (long long)n);
    for (int i = 0; i < 11; i++)
        if (gc[i] != mine[i])
            fail_msg("%s: cfg entry %d is %g in the golden file", c->name, i, gc[i]);

    double *Xtr, *ytr, *Xte, *yte;
    int64_t ntr, nte, d = NC[c->ds];
    split_rows(c->ds, &Xtr, &ytr, &ntr, &Xte, &yte, &nte);
    cml_matrix mtr = cml_matrix_view(Xtr, ntr, d), mte = cml_matrix_view(Xte, nte, d);
    cml_forest_kind kind = (cml_forest_kind)c->kind;
    int clf = kind == CML_RF_CLASSIFIER || kind == CML_ET_CLASSIFIER;
    cml_forest_params p = cml_forest_params_default(kind);
    p.n_estimators = c->n_est;
    p.criterion = c->crit;
    p.max_depth = c->depth;
    p.bootstrap = c->boot;
    p.oob_score = c->oob;
    if (c->mf) snprintf(p.max_features, sizeof p.max_features, "%d", c->mf);
    snprintf(p.class_weight, sizeof p.class_weight, "%s", CW[c->cw]);
    p.max_samples = c->ms;
    p.random_state = c->seed;
    cml_forest *f;
    if (cml_forest_fit(kind, &p, &mtr, ytr, NULL, &f) != CML_OK)
        fail_msg("%s: fit: %s", c->name, cml_last_error());

    if (!c->exact) {
        check_statistically(c, f, &mte, yte, nte);
        goto done;
    }
    const double *nodes = gget(c->name, "nodes", &n);
    assert_int_equal(n, cml_forest_n_estimators(f));
    for (int64_t t = 0; t < n; t++)
        if (cml_tree_node_count(cml_forest_tree(f, t)) != (int64_t)nodes[t])
            fail_msg("%s: tree %lld has %lld nodes, scikit-learn %g", c->name, (long long)t,
                     (long long)cml_tree_node_count(cml_forest_tree(f, t)), nodes[t]);
    if (c->oob) {
        double want = gget(c->name, "oob", NULL)[0], got = cml_forest_oob_score(f);
        if (fabs(got - want) > 1e-12)
            fail_msg("%s: oob_score %.17g, scikit-learn %.17g", c->name, got, want);
        int64_t rows, ng;
        const double *df = cml_forest_oob_decision(f, &rows);
        const double *gdf = gget(c->name, "oobdf", &ng);
        assert_int_equal(rows, ntr);
        max_oobdf = track(df, gdf, ng, max_oobdf);
        assert_close(df, gdf, ng, 1e-12, 1e-12, c->name);
    }
    const double *gi = gget(c->name, "imp", NULL);
    max_imp = track(cml_forest_feature_importances(f), gi, d, max_imp);
    assert_close(cml_forest_feature_importances(f), gi, d, 0, 1e-10, c->name);

    double *pred = malloc(sizeof(double) * (size_t)nte), acc;
    assert_int_equal(cml_forest_predict(f, &mte, pred), CML_OK);
    const double *gp = gget(c->name, "pred", NULL);
    double want = gget(c->name, "acc", NULL)[0];
    if (clf) {
        for (int64_t i = 0; i < nte; i++)
            if (pred[i] != gp[i])
                fail_msg("%s: test row %lld predicted %g, scikit-learn %g", c->name, (long long)i,
                         pred[i], gp[i]);
        int64_t np, k = cml_forest_n_classes(f);
        const double *gpr = gget(c->name, "proba", &np);
        double *pr = malloc(sizeof(double) * (size_t)(nte * k));
        assert_int_equal(cml_forest_predict_proba(f, &mte, pr), CML_OK);
        max_proba = track(pr, gpr, np, max_proba);
        assert_close(pr, gpr, np, 0, 1e-12, c->name);
        free(pr);
        assert_int_equal(cml_accuracy(yte, pred, nte, NULL, &acc), CML_OK);
        if (acc != want) fail_msg("%s: accuracy %.17g, scikit-learn %.17g", c->name, acc, want);
    } else {
        assert_close(pred, gp, nte, 1e-12, 1e-10, c->name);
        assert_int_equal(cml_r2(yte, pred, nte, NULL, &acc), CML_OK);
        assert_close(&acc, &want, 1, 1e-12, 1e-12, c->name);
    }
    free(pred);
done:
    cml_forest_free(f);
    free(Xtr);
    free(ytr);
    free(Xte);
    free(yte);
}

static void test_configs(void **state)
{
    (void)state;
    for (int i = 0; i < N_CFGS; i++)
        check_config(&CFGS[i]);
}

/* Permutation importance: same forest as scikit-learn's, different
 * shuffles; each feature's mean must agree within the noise of 20 repeats
 * (4 standard errors + 0.005), and the most important feature must match. */
static void test_permutation_importance(void **state)
{
    (void)state;
    double *Xtr, *ytr, *Xte, *yte;
    int64_t ntr, nte, d = NC[2];
    split_rows(2, &Xtr, &ytr, &ntr, &Xte, &yte, &nte);
    cml_matrix mtr = cml_matrix_view(Xtr, ntr, d), mte = cml_matrix_view(Xte, nte, d);
    cml_forest_params p = cml_forest_params_default(CML_RF_CLASSIFIER);
    cml_forest *f;
    assert_int_equal(cml_forest_fit(CML_RF_CLASSIFIER, &p, &mtr, ytr, NULL, &f), CML_OK);
    double *mean = malloc(sizeof(double) * (size_t)d), *sd = malloc(sizeof(double) * (size_t)d);
    assert_int_equal(cml_forest_permutation_importance(f, &mte, yte, 20, 0, mean, sd, NULL),
                     CML_OK);
    const double *gm = golden_get(G, "perm.mean", NULL, NULL);
    const double *gs = golden_get(G, "perm.std", NULL, NULL);
    int64_t top = 0, gtop = 0;
    double worst = 0;
    for (int64_t j = 0; j < d; j++) {
        double tol = 4.0 * (fmax(sd[j], gs[j]) / sqrt(20.0)) + 0.005;
        worst = fmax(worst, fabs(mean[j] - gm[j]));
        if (fabs(mean[j] - gm[j]) > tol)
            fail_msg("feature %lld: permutation importance %.4f, scikit-learn %.4f (tol %.4f)",
                     (long long)j, mean[j], gm[j], tol);
        if (mean[j] > mean[top]) top = j;
        if (gm[j] > gm[gtop]) gtop = j;
    }
    printf("[ forest ] permutation importance: max |mean diff| vs scikit-learn %.4f, top feature "
           "%lld (scikit-learn %lld)\n",
           worst, (long long)top, (long long)gtop);
    assert_int_equal(top, gtop);
    free(mean);
    free(sd);
    cml_forest_free(f);
    free(Xtr);
    free(ytr);
    free(Xte);
    free(yte);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configs),
        cmocka_unit_test(test_permutation_importance),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
