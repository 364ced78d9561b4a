/*
 * test_golden_gbm_constraints.c — monotone and interaction constraints
 * against XGBoost 1.7.4 (tests/gen/gen_gbm_constraints.py): for four models
 * (diabetes regression with monotone, interaction and both constraints;
 * breast cancer logistic with monotone constraints on 4 of 30 features,
 * the list shorter than the features), cml fits with the same parameters
 * and every tree must equal XGBoost's node by node (imported from its
 * save_model JSON: features, thresholds, default directions, leaf values,
 * covers), and the training margins XGBoost's. Properties too: predictions
 * move the right way along a constrained feature; no path mixes features
 * outside one interaction set. Errors: bad constraint strings.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/gbm.h"
#include "golden.h"

static golden *G;

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/gbm_constraints.txt");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    return 0;
}

typedef struct ds {
    double *X, *y;
    int64_t n, d;
} ds;

static ds load(const char *name)
{
    ds d;
    test_load_dataset(name, &d.X, &d.n, &d.d, &d.y);
    return d;
}

static void ds_free(ds *d)
{
    free(d->X);
    free(d->y);
}

/* XGBoost's float32 threshold of an imported split: the import stores the
 * smallest double that rounds to it, so it is the float at or above. */
static double xgb_threshold(double t)
{
    float c = (float)t;
    if ((double)c < t) c = nextafterf(c, INFINITY);
    return (double)c;
}

/* Fits cml on d with p, compares with the imported XGBoost model tree by
 * tree and with XGBoost's margins; returns the fitted model. */
static cml_gbm *fit_and_compare(const char *name, const ds *d, cml_gbm_params p, int clf)
{
    char path[128], key[64];
    cml_gbm *m, *x;
    cml_matrix X = cml_matrix_view(d->X, d->n, d->d);
    p.max_bin = 1024;
    if (clf)
        assert_int_equal(cml_gbm_classifier_fit(&p, &X, d->y, NULL, &m), CML_OK);
    else
        assert_int_equal(cml_gbm_regressor_fit(&p, &X, d->y, NULL, &m), CML_OK);
    snprintf(path, sizeof path, "golden/xgb_cons_%s.json", name);
    assert_int_equal(cml_gbm_import_xgboost(path, &x), CML_OK);
    assert_int_equal(cml_gbm_n_trees(m), cml_gbm_n_trees(x));
    int nodes = 0;
    for (int t = 0; t < cml_gbm_n_trees(m); t++) {
        const int n = cml_gbm_tree_size(m, t);
        if (n != cml_gbm_tree_size(x, t))
            fail_msg("%s tree %d: %d nodes, XGBoost %d", name, t, n, cml_gbm_tree_size(x, t));
        for (int j = 0; j < n; j++) {
            cml_gbm_node a, b;
            assert_int_equal(cml_gbm_tree_node(m, t, j, &a), CML_OK);
            assert_int_equal(cml_gbm_tree_node(x, t, j, &b), CML_OK);
            if (a.is_leaf != b.is_leaf || a.feature != b.feature ||
                (!a.is_leaf && (a.default_left != b.default_left ||
                                fabs((double)(float)a.threshold - xgb_threshold(b.threshold)) >
                                    1e-6 * fabs(xgb_threshold(b.threshold)))))
                fail_msg("%s tree %d node %d: cml f%d<%.9g leaf=%d, XGBoost f%d<%.9g leaf=%d", name,
                         t, j, a.feature, a.threshold, a.is_leaf, b.feature, b.threshold,
                         b.is_leaf);
            /* XGBoost keeps margins in float32: on diabetes (targets ~150)
             * its gradients carry ~1e-5 of rounding into later leaves. */
            if (a.is_leaf && fabs(a.value - b.value) > 1e-5 * fabs(b.value) + 2e-5)
                fail_msg("%s tree %d node %d: leaf %.9g, XGBoost %.9g", name, t, j, a.value,
                         b.value);
            if (fabs(a.cover - b.cover) > 1e-5 * fabs(b.cover))
                fail_msg("%s tree %d node %d: cover %.9g, XGBoost %.9g", name, t, j, a.cover,
                         b.cover);
            nodes++;
        }
    }
    snprintf(key, sizeof key, "%s.margin", name);
    int64_t r, c;
    const double *want = golden_get(G, key, &r, &c);
    assert_int_equal(r * c, d->n);
    double *mg = malloc(sizeof(double) * (size_t)d->n);
    assert_non_null(mg);
    assert_int_equal(cml_gbm_predict_margin(m, &X, mg), CML_OK);
    double md = 0;
    for (int64_t i = 0; i < d->n; i++)
        md = fmax(md, fabs(mg[i] - want[i]) / fmax(1.0, fabs(want[i])));
    printf("  %-10s %d trees, %d nodes equal to XGBoost's; max rel margin diff %.3g\n", name,
           cml_gbm_n_trees(m), nodes, md);
    assert_true(md < 1e-5);
    free(mg);
    cml_gbm_free(x);
    return m;
}

/* Along feature f (a grid over its range), every row's prediction moves in
 * direction dir (+1 non-decreasing, -1 non-increasing). */
static void check_monotone(const cml_gbm *m, const ds *d, int f, int dir)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < d->n; i++) {
        lo = fmin(lo, d->X[i * d->d + f]);
        hi = fmax(hi, d->X[i * d->d + f]);
    }
    double *row = malloc(sizeof(double) * (size_t)d->d);
    assert_non_null(row);
    for (int64_t i = 0; i < d->n; i += 5) {
        memcpy(row, d->X + i * d->d, sizeof(double) * (size_t)d->d);
        double prev = dir > 0 ? -INFINITY : INFINITY;
        for (int k = 0; k <= 50; k++) {
            row[f] = lo + (hi - lo) * k / 50.0;
            cml_matrix X = cml_matrix_view(row, 1, d->d);
            double mg;
            assert_int_equal(cml_gbm_predict_margin(m, &X, &mg), CML_OK);
            if (dir > 0 ? mg < prev : mg > prev)
                fail_msg("feature %d: margin %.17g after %.17g breaks the %+d constraint", f, mg,
                         prev, dir);
            prev = mg;
        }
    }
    free(row);
}

static void test_monotone(void **state)
{
    (void)state;
    ds d = load("diabetes");
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 20;
    p.max_depth = 4;
    snprintf(p.monotone_constraints, sizeof p.monotone_constraints, "(0,0,1,1,0,0,-1,0,1,0)");
    cml_gbm *m = fit_and_compare("mono_diab", &d, p, 0);
    check_monotone(m, &d, 2, +1);
    check_monotone(m, &d, 3, +1);
    check_monotone(m, &d, 6, -1);
    check_monotone(m, &d, 8, +1);
    cml_gbm_free(m);
    ds_free(&d);

    d = load("breast_cancer");
    p = cml_gbm_classifier_params_default();
    p.n_estimators = 15;
    p.max_depth = 3;
    snprintf(p.monotone_constraints, sizeof p.monotone_constraints,
             "(-1,0,0,0,0,0,0,-1,0,0,0,0,0,0,0,0,0,0,0,0,-1,-1)");
    m = fit_and_compare("mono_bc", &d, p, 1);
    check_monotone(m, &d, 0, -1);
    check_monotone(m, &d, 7, -1);
    check_monotone(m, &d, 21, -1);
    /* the sparse form names the same constraints and grows the same model */
    cml_gbm *m2;
    snprintf(p.monotone_constraints, sizeof p.monotone_constraints, "{0:-1, 7:-1, 20:-1, 21:-1}");
    cml_matrix X = cml_matrix_view(d.X, d.n, d.d);
    p.max_bin = 1024;
    assert_int_equal(cml_gbm_classifier_fit(&p, &X, d.y, NULL, &m2), CML_OK);
    double *a = malloc(sizeof(double) * (size_t)d.n), *b = malloc(sizeof(double) * (size_t)d.n);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(cml_gbm_predict_margin(m, &X, a), CML_OK);
    assert_int_equal(cml_gbm_predict_margin(m2, &X, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)d.n);
    free(a);
    free(b);
    cml_gbm_free(m2);
    cml_gbm_free(m);
    ds_free(&d);
}

/* Every root-to-leaf path's features fit in one set (or are one feature). */
static void check_paths(const cml_gbm *m, int t, int node, unsigned used, const unsigned *sets,
                        int n_sets)
{
    cml_gbm_node nd;
    assert_int_equal(cml_gbm_tree_node(m, t, node, &nd), CML_OK);
    if (nd.is_leaf) {
        int ok = __builtin_popcount(used) <= 1;
        for (int k = 0; k < n_sets && !ok; k++)
            ok = (used & ~sets[k]) == 0;
        if (!ok) fail_msg("tree %d: a path uses features 0x%x, in no interaction set", t, used);
        return;
    }
    used |= 1u << nd.feature;
    check_paths(m, t, nd.left, used, sets, n_sets);
    check_paths(m, t, nd.right, used, sets, n_sets);
}

static void test_interaction(void **state)
{
    (void)state;
    ds d = load("diabetes");
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 20;
    p.max_depth = 4;
    snprintf(p.interaction_constraints, sizeof p.interaction_constraints, "[[2,8],[0,3,6],[1,9]]");
    cml_gbm *m = fit_and_compare("inter_diab", &d, p, 0);
    const unsigned sets[] = {1u << 2 | 1u << 8, 1u << 0 | 1u << 3 | 1u << 6, 1u << 1 | 1u << 9};
    for (int t = 0; t < cml_gbm_n_trees(m); t++)
        check_paths(m, t, 0, 0, sets, 3);
    cml_gbm_free(m);

    p.max_depth = 5;
    p.learning_rate = 0.1;
    snprintf(p.monotone_constraints, sizeof p.monotone_constraints, "(0,0,1,1,0,0,-1,0,1,0)");
    snprintf(p.interaction_constraints, sizeof p.interaction_constraints, "[[2,3,8],[0,6]]");
    m = fit_and_compare("both_diab", &d, p, 0);
    const unsigned sets2[] = {1u << 2 | 1u << 3 | 1u << 8, 1u << 0 | 1u << 6};
    for (int t = 0; t < cml_gbm_n_trees(m); t++)
        check_paths(m, t, 0, 0, sets2, 2);
    check_monotone(m, &d, 2, +1);
    check_monotone(m, &d, 6, -1);
    cml_gbm_free(m);
    ds_free(&d);
}

static void expect_bad(const char *mono, const char *inter, const char *word)
{
    double X[6] = {1, 2, 3, 4, 5, 6}, y[3] = {1, 2, 3};
    cml_matrix M = cml_matrix_view(X, 3, 2);
    cml_gbm_params p = cml_gbm_regressor_params_default();
    snprintf(p.monotone_constraints, sizeof p.monotone_constraints, "%s", mono);
    snprintf(p.interaction_constraints, sizeof p.interaction_constraints, "%s", inter);
    cml_gbm *m = NULL;
    assert_int_equal(cml_gbm_regressor_fit(&p, &M, y, NULL, &m), CML_ERR_ARG);
    assert_null(m);
    if (!strstr(cml_last_error(), word))
        fail_msg("error \"%s\" does not name %s", cml_last_error(), word);
}

static void test_bad_constraints(void **state)
{
    (void)state;
    expect_bad("(1,2)", "", "monotone_constraints");
    expect_bad("(1,0,-1)", "", "monotone_constraints");
    expect_bad("(1 0)", "", "monotone_constraints");
    expect_bad("(1,0", "", "monotone_constraints");
    expect_bad("{0:1, 2:1}", "", "monotone_constraints");
    expect_bad("{0:2}", "", "monotone_constraints");
    expect_bad("{0:1", "", "monotone_constraints");
    expect_bad("", "[[0,1],[2]]", "interaction_constraints");
    expect_bad("", "[0,1]", "interaction_constraints");
    expect_bad("", "[[0,-1]]", "interaction_constraints");
    expect_bad("", "[[0,1]", "interaction_constraints");
    /* through the generic layer, at set_param time the string is accepted
     * and checked at fit */
    cml_model *mm;
    assert_int_equal(cml_model_create("gbm_regressor", &mm), CML_OK);
    assert_int_equal(cml_model_set_param(mm, "monotone_constraints", "(1,-1)"), CML_OK);
    assert_int_equal(cml_model_set_param(mm, "interaction_constraints", "[[0,1]]"), CML_OK);
    double X[6] = {1, 2, 3, 4, 5, 6}, y[3] = {1, 2, 3};
    cml_matrix M = cml_matrix_view(X, 3, 2);
    assert_int_equal(cml_model_fit(mm, &M, y, NULL), CML_OK);
    cml_model_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monotone),
        cmocka_unit_test(test_interaction),
        cmocka_unit_test(test_bad_constraints),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
