/*
 * test_golden_gbm.c — gradient boosting against XGBoost 1.7.4 (hist,
 * tests/gen/gen_gbm.py): test-set metric within 1% of XGBoost's (or better)
 * on diabetes (squared, absolute error, Poisson), breast cancer (logistic),
 * wine and digits (softprob), diamonds (53,940 rows; depthwise and
 * lossguide); and the exact first tree (features, thresholds, default
 * directions, leaf values, gains, covers) of three one-round fits where every
 * distinct value has its own bin, one of them with missing values and one
 * with reg_alpha / max_delta_step / min_child_weight.
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
    G = golden_load("golden/gbm.txt");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    return 0;
}

/* ---------------------------------------------------------------- data */

typedef struct dataset {
    double *X, *y;
    int64_t n, d;
} dataset;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* data/diamonds.csv: text columns as codes of their sorted distinct values,
 * target price (column 6). A small reader for this one file's shape. */
static dataset load_diamonds(void)
{
    FILE *f = fopen("../data/diamonds.csv", "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    int64_t cap = 60000, n = 0;
    char *(*cells)[10] = malloc((size_t)cap * sizeof *cells);
    assert_non_null(cells);
    while (fgets(line, sizeof line, f)) {
        assert_true(n < cap);
        char *s = line;
        for (int j = 0; j < 10; j++) {
            char *e = s + strcspn(s, ",\n");
            *e = '\0';
            if (*s == '"') {
                s++;
                s[strlen(s) - 1] = '\0';
            }
            cells[n][j] = strdup(s);
            s = e + 1;
        }
        n++;
    }
    fclose(f);
    dataset ds = {malloc((size_t)n * 9 * sizeof(double)), malloc((size_t)n * sizeof(double)), n, 9};
    for (int j = 0; j < 10; j++) {
        int text = j >= 1 && j <= 3;
        char **sorted = NULL;
        int64_t k = 0;
        if (text) {
            sorted = malloc((size_t)n * sizeof *sorted);
            for (int64_t i = 0; i < n; i++)
                sorted[i] = cells[i][j];
            qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
            for (int64_t i = 0; i < n; i++)
                if (i == 0 || strcmp(sorted[i], sorted[k - 1])) sorted[k++] = sorted[i];
        }
        for (int64_t i = 0; i < n; i++) {
            double v;
            if (text) {
                int64_t c = 0;
                while (strcmp(sorted[c], cells[i][j]))
                    c++;
                v = (double)c;
            } else {
                v = strtod(cells[i][j], NULL);
            }
            if (j == 6)
                ds.y[i] = v;
            else
                ds.X[i * 9 + (j < 6 ? j : j - 1)] = v;
        }
        free(sorted);
    }
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < 10; j++)
            free(cells[i][j]);
    free(cells);
    return ds;
}

static dataset load(const char *name)
{
    if (strcmp(name, "diamonds") == 0) return load_diamonds();
    dataset ds;
    test_load_dataset(name, &ds.X, &ds.n, &ds.d, &ds.y);
    return ds;
}

static int is_test(int64_t i)
{
    return ((uint64_t)i * 2654435761u) % 4294967296u < 1073741824u;
}

/* Rows of ds with is_test(i) == test. */
static dataset split(const dataset *ds, int test)
{
    dataset s = {malloc((size_t)(ds->n * ds->d) * sizeof(double)),
                 malloc((size_t)ds->n * sizeof(double)), 0, ds->d};
    for (int64_t i = 0; i < ds->n; i++)
        if (is_test(i) == test) {
            memcpy(s.X + s.n * s.d, ds->X + i * ds->d, (size_t)ds->d * sizeof(double));
            s.y[s.n++] = ds->y[i];
        }
    return s;
}

static void ds_free(dataset *ds)
{
    free(ds->X);
    free(ds->y);
}

/* ---------------------------------------------------------------- accuracy */

static double test_metric(const char *metric, const cml_gbm *m, const dataset *te)
{
    cml_matrix X = cml_matrix_view(te->X, te->n, te->d);
    int64_t K = cml_gbm_n_outputs(m);
    const double *classes;
    int64_t nc = cml_gbm_classes(m, &classes);
    double *p = malloc((size_t)(te->n * (nc ? nc : 1)) * sizeof(double));
    if (nc)
        assert_int_equal(cml_gbm_predict_proba(m, &X, p), CML_OK);
    else
        assert_int_equal(cml_gbm_predict(m, &X, p), CML_OK);
    double s = 0.0;
    for (int64_t i = 0; i < te->n; i++) {
        double y = te->y[i];
        if (!strcmp(metric, "rmse")) s += (y - p[i]) * (y - p[i]);
        if (!strcmp(metric, "mae")) s += fabs(y - p[i]);
        if (!strcmp(metric, "poisson-nloglik")) s += lgamma(y + 1) + p[i] - y * log(p[i]);
        if (!strcmp(metric, "logloss")) {
            double q = fmin(fmax(p[2 * i + 1], 1e-16), 1 - 1e-16);
            s -= y * log(q) + (1 - y) * log(1 - q);
        }
        if (!strcmp(metric, "mlogloss")) s -= log(fmax(p[i * K + (int64_t)y], 1e-16));
    }
    free(p);
    s /= (double)te->n;
    return !strcmp(metric, "rmse") ? sqrt(s) : s;
}

/* Max relative difference of the first stored test predictions (class
 * probabilities for classifiers) against XGBoost's. */
static double pred_diff(const char *name, const cml_gbm *m, const dataset *te)
{
    char key[96];
    int64_t cols;
    snprintf(key, sizeof key, "%s.pred", name);
    const double *want = golden_get(G, key, NULL, &cols);
    const double *classes;
    int64_t nc = cml_gbm_classes(m, &classes), w = nc ? nc : 1;
    int64_t rows = cols / w;
    cml_matrix X = cml_matrix_view(te->X, rows, te->d);
    double *p = malloc((size_t)(rows * w) * sizeof(double)), worst = 0.0;
    if (nc)
        assert_int_equal(cml_gbm_predict_proba(m, &X, p), CML_OK);
    else
        assert_int_equal(cml_gbm_predict(m, &X, p), CML_OK);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t k = 0; k < w; k++) {
            /* binary: XGBoost stores P(class 1) only */
            double got = nc == 2 ? p[2 * i + 1] : p[i * w + k], ref = want[nc == 2 ? i : i * w + k];
            if (nc == 2 && k == 1) continue;
            worst = fmax(worst, fabs(got - ref) / fmax(fabs(ref), 1e-3));
        }
    free(p);
    return worst;
}

/* same_model: XGBoost grows the very same trees here (asserted through
 * the predictions, float32 rounding aside). */
static void accuracy_case(const char *name, const char *data, int clf, const char *metric,
                          void (*tweak)(cml_gbm_params *), int same_model)
{
    char key[96];
    dataset ds = load(data), tr = split(&ds, 0), te = split(&ds, 1);
    snprintf(key, sizeof key, "%s.n_test", name);
    assert_int_equal(te.n, (int64_t)golden_get(G, key, NULL, NULL)[0]);
    cml_gbm_params p =
        clf ? cml_gbm_classifier_params_default() : cml_gbm_regressor_params_default();
    if (tweak) tweak(&p);
    cml_matrix X = cml_matrix_view(tr.X, tr.n, tr.d);
    cml_gbm *m = NULL;
    double t0 = cml_now();
    cml_status st = clf ? cml_gbm_classifier_fit(&p, &X, tr.y, NULL, &m)
                        : cml_gbm_regressor_fit(&p, &X, tr.y, NULL, &m);
    if (st != CML_OK) fail_msg("%s: %s", name, cml_last_error());
    double secs = cml_now() - t0;
    double got = test_metric(metric, m, &te);
    snprintf(key, sizeof key, "%s.metric", name);
    double want = golden_get(G, key, NULL, NULL)[0];
    double pd = pred_diff(name, m, &te);
    printf("  %-20s %-16s cml %.6g  xgboost %.6g  ratio %.4f  max rel pred diff %.2g (fit %.3fs)\n",
           name, metric, got, want, got / want, pd, secs);
    if (same_model && pd > 1e-4) fail_msg("%s: predictions differ from XGBoost's by %g", name, pd);
    if (!(got <= want * 1.01))
        fail_msg("%s: test %s %.6g is more than 1%% above XGBoost's %.6g", name, metric, got, want);
    cml_gbm_free(m);
    ds_free(&ds);
    ds_free(&tr);
    ds_free(&te);
}

static void l1(cml_gbm_params *p)
{
    p->objective = CML_GBM_ABSOLUTEERROR;
}
static void poisson(cml_gbm_params *p)
{
    p->objective = CML_GBM_POISSON;
}
static void lossguide(cml_gbm_params *p)
{
    p->grow_policy = CML_GBM_LOSSGUIDE;
    p->max_leaves = 31;
    p->max_depth = 0;
}

static void test_diabetes(void **state)
{
    (void)state;
    accuracy_case("diabetes", "diabetes", 0, "rmse", NULL, 1);
    accuracy_case("diabetes_l1", "diabetes", 0, "mae", l1, 0);
    accuracy_case("diabetes_poisson", "diabetes", 0, "poisson-nloglik", poisson, 1);
}

static void test_classification(void **state)
{
    (void)state;
    accuracy_case("breast_cancer", "breast_cancer", 1, "logloss", NULL, 0);
    accuracy_case("wine", "wine", 1, "mlogloss", NULL, 1);
    accuracy_case("digits", "digits", 1, "mlogloss", NULL, 1);
}

static void test_diamonds(void **state)
{
    (void)state;
    accuracy_case("diamonds", "diamonds", 0, "rmse", NULL, 0);
    accuracy_case("diamonds_lossguide", "diamonds", 0, "rmse", lossguide, 0);
}

/* reg:absoluteerror: XGBoost 1.7 starts from the median of y. */
static void test_l1_base_score(void **state)
{
    (void)state;
    dataset ds = load("diabetes"), tr = split(&ds, 0);
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.objective = CML_GBM_ABSOLUTEERROR;
    p.n_estimators = 1;
    cml_matrix X = cml_matrix_view(tr.X, tr.n, tr.d);
    cml_gbm *m;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, tr.y, NULL, &m), CML_OK);
    double want = golden_get(G, "diabetes_l1.base_score", NULL, NULL)[0];
    assert_true(fabs(cml_gbm_base_margin(m) - want) <= 1e-6 * fabs(want));
    cml_gbm_free(m);
    ds_free(&ds);
    ds_free(&tr);
}

/* ---------------------------------------------------------------- exact trees */

static void compare_tree(const char *name, const cml_gbm *m)
{
    char key[64];
    int64_t rows, cols;
    snprintf(key, sizeof key, "%s.tree", name);
    const double *t = golden_get(G, key, &rows, &cols);
    assert_int_equal(cml_gbm_tree_size(m, 0), rows);
    for (int64_t r = 0; r < rows; r++) {
        const double *w = t + r * cols;
        cml_gbm_node nd;
        assert_int_equal(cml_gbm_tree_node(m, 0, (int)w[0], &nd), CML_OK);
        if (nd.is_leaf != (int)w[1])
            fail_msg("%s node %d: leaf %d vs %d", name, (int)w[0], nd.is_leaf, (int)w[1]);
        /* XGBoost prints float32 values with 9 significant digits. */
        if (!nd.is_leaf) {
            if (nd.feature != (int)w[2] || fabs((float)nd.threshold - w[3]) > 1e-6 * fabs(w[3]) ||
                nd.default_left != (int)w[4])
                fail_msg("%s node %d: split f%d<%.9g dl=%d, XGBoost f%d<%.9g dl=%d", name,
                         (int)w[0], nd.feature, nd.threshold, nd.default_left, (int)w[2], w[3],
                         (int)w[4]);
            if (fabs(nd.gain - w[6]) > 1e-5 * fabs(w[6]))
                fail_msg("%s node %d: gain %.9g vs %.9g", name, (int)w[0], nd.gain, w[6]);
        } else if (fabs(nd.value - w[5]) > 1e-5 * fabs(w[5]) + 1e-7) {
            fail_msg("%s node %d: leaf %.9g vs %.9g", name, (int)w[0], nd.value, w[5]);
        }
        if (fabs(nd.cover - w[7]) > 1e-5 * fabs(w[7]))
            fail_msg("%s node %d: cover %.9g vs %.9g", name, (int)w[0], nd.cover, w[7]);
    }
}

static void test_exact_trees(void **state)
{
    (void)state;
    cml_gbm *m;
    dataset ds = load("diabetes");
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 1;
    p.max_depth = 2;
    p.max_bin = 1024;
    cml_matrix X = cml_matrix_view(ds.X, ds.n, ds.d);
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &m), CML_OK);
    compare_tree("exact_reg", m);
    cml_gbm_free(m);
    ds_free(&ds);

    ds = load("breast_cancer");
    for (int64_t k = 0; k < ds.n * ds.d; k++)
        if (((uint64_t)k * 2654435761u) % 97 < 10) ds.X[k] = NAN;
    p = cml_gbm_classifier_params_default();
    p.n_estimators = 1;
    p.max_depth = 2;
    p.max_bin = 1024;
    X = cml_matrix_view(ds.X, ds.n, ds.d);
    assert_int_equal(cml_gbm_classifier_fit(&p, &X, ds.y, NULL, &m), CML_OK);
    compare_tree("exact_logistic", m);
    cml_gbm_free(m);

    p.max_depth = 1;
    p.reg_alpha = 0.5;
    p.max_delta_step = 0.3;
    p.min_child_weight = 2;
    assert_int_equal(cml_gbm_classifier_fit(&p, &X, ds.y, NULL, &m), CML_OK);
    compare_tree("exact_regularized", m);
    cml_gbm_free(m);
    ds_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_trees), cmocka_unit_test(test_l1_base_score),
        cmocka_unit_test(test_diabetes),    cmocka_unit_test(test_classification),
        cmocka_unit_test(test_diamonds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
