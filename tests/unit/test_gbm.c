/*
 * test_gbm.c — gradient boosting behaviour beyond XGBoost parity: registry
 * names and XGBoost defaults, parameter and input errors (each naming what
 * is wrong), constant targets, all-NaN columns, sample weights (= duplicated
 * rows), results independent of the thread count on shapes that take every
 * parallel path, early stopping and the eval history, feature importances,
 * max_depth / max_leaves limits, GOSS, the quantile and pseudo-Huber
 * objectives, labels that are not 0..K-1, and fit -> save -> load ->
 * predict bit-identical through the generic layer (plus corrupt files).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/gbm.h"
#include "cml/model.h"
#include "forged.h"
#include "golden.h"

static void assert_error_has(const char *needle)
{
    if (!strstr(cml_last_error(), needle))
        fail_msg("error \"%s\" does not mention \"%s\"", cml_last_error(), needle);
}

typedef struct data {
    double *X, *y;
    int64_t n, d;
} data;

static data load(const char *name)
{
    data ds;
    test_load_dataset(name, &ds.X, &ds.n, &ds.d, &ds.y);
    return ds;
}

static void data_free(data *ds)
{
    free(ds->X);
    free(ds->y);
}

/* Deterministic synthetic regression data: y = sum of a few features with
 * steps, plus a little noise from a 64-bit LCG. */
static data synthetic(int64_t n, int64_t d)
{
    data ds = {malloc((size_t)(n * d) * sizeof(double)), malloc((size_t)n * sizeof(double)), n, d};
    uint64_t s = 42;
    for (int64_t i = 0; i < n * d; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        ds.X[i] = (double)(s >> 11) / 9007199254740992.0;
    }
    for (int64_t i = 0; i < n; i++) {
        const double *x = ds.X + i * d;
        ds.y[i] = 3 * x[0] + (x[1 % d] > 0.5 ? 2.0 : 0.0) + x[2 % d] * x[3 % d] + 0.1 * x[d - 1];
    }
    return ds;
}

static cml_gbm *fit_reg(const cml_gbm_params *p, const data *ds, const cml_fit_opts *o)
{
    cml_matrix X = cml_matrix_view(ds->X, ds->n, ds->d);
    cml_gbm *m = NULL;
    if (cml_gbm_regressor_fit(p, &X, ds->y, o, &m) != CML_OK) fail_msg("%s", cml_last_error());
    return m;
}

static cml_gbm *fit_clf(const cml_gbm_params *p, const data *ds, const cml_fit_opts *o)
{
    cml_matrix X = cml_matrix_view(ds->X, ds->n, ds->d);
    cml_gbm *m = NULL;
    if (cml_gbm_classifier_fit(p, &X, ds->y, o, &m) != CML_OK) fail_msg("%s", cml_last_error());
    return m;
}

static double *predict(const cml_gbm *m, const data *ds)
{
    cml_matrix X = cml_matrix_view(ds->X, ds->n, ds->d);
    double *out = malloc((size_t)ds->n * sizeof(double));
    assert_int_equal(cml_gbm_predict(m, &X, out), CML_OK);
    return out;
}

/* ---------------------------------------------------------------- registry, params */

static void test_registry_defaults(void **state)
{
    (void)state;
    const cml_estimator *c = cml_estimator_find("gbm_classifier");
    const cml_estimator *r = cml_estimator_find("gbm_regressor");
    assert_non_null(c);
    assert_non_null(r);
    assert_ptr_equal(cml_estimator_find("gbm"), c);
    assert_ptr_equal(cml_estimator_find("gbm_reg"), r);
    assert_int_equal(c->task, CML_TASK_CLASSIFICATION);
    assert_int_equal(r->task, CML_TASK_REGRESSION);
    cml_gbm_params p = cml_gbm_regressor_params_default();
    /* XGBoost 1.7's defaults */
    assert_int_equal(p.n_estimators, 100);
    assert_true(p.learning_rate == 0.3 && p.max_depth == 6 && p.max_bin == 256);
    assert_true(p.reg_lambda == 1 && p.reg_alpha == 0 && p.gamma == 0 && p.min_child_weight == 1);
    assert_true(p.base_score == 0.5 && p.subsample == 1 && p.max_leaves == 0);
    assert_int_equal(p.objective, CML_GBM_SQUAREDERROR);
    assert_int_equal(cml_gbm_classifier_params_default().objective, CML_GBM_LOGISTIC);
    assert_null(cml_gbm_params_check(&p));
    cml_gbm_free(NULL);
}

static void test_bad_params(void **state)
{
    (void)state;
    cml_model *m;
    assert_int_equal(cml_model_create("gbm_reg", &m), CML_OK);
    static const char *bad[][3] = {
        {"n_estimators", "0", "n_estimators"},
        {"learning_rate", "0", "learning_rate"},
        {"max_bin", "1", "max_bin"},
        {"subsample", "0", "subsample"},
        {"colsample_bytree", "1.5", "colsample_bytree"},
        {"reg_lambda", "-1", "reg_lambda"},
        {"objective", "reg:foo", "objective"},
        {"grow_policy", "best", "grow_policy"},
        {"quantile_alpha", "0", "quantile_alpha"},
        {"nope", "1", "nope"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(cml_model_set_param(m, bad[k][0], bad[k][1]), CML_ERR_ARG);
        assert_error_has(bad[k][2]);
    }
    cml_model_free(m);

    data ds = load("diabetes");
    cml_matrix X = cml_matrix_view(ds.X, ds.n, ds.d);
    cml_gbm *g = NULL;
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 0;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("n_estimators");
    p = cml_gbm_regressor_params_default();
    p.quantile_alpha = 1;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("quantile_alpha");
    p = cml_gbm_regressor_params_default();
    p.max_depth = 0;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("max_depth");
    p = cml_gbm_regressor_params_default();
    p.boosting = CML_GBM_GOSS;
    p.top_rate = 0.7;
    p.other_rate = 0.5;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("top_rate");
    p = cml_gbm_regressor_params_default();
    p.objective = CML_GBM_LOGISTIC;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("gbm_classifier");
    p = cml_gbm_regressor_params_default();
    p.eval_metric = CML_GBM_METRIC_LOGLOSS;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("eval_metric");
    p = cml_gbm_regressor_params_default();
    p.early_stopping_rounds = 5;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("early_stopping_rounds");
    p = cml_gbm_classifier_params_default();
    p.base_score = 1.0;
    assert_int_equal(cml_gbm_classifier_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("base_score");
    p = cml_gbm_classifier_params_default();
    p.objective = CML_GBM_POISSON;
    assert_int_equal(cml_gbm_classifier_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("gbm_regressor");
    /* inputs */
    p = cml_gbm_regressor_params_default();
    double keep = ds.X[5];
    ds.X[5] = INFINITY;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("infinite");
    ds.X[5] = keep;
    ds.y[3] = NAN;
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("row 4");
    ds.y[3] = 1.0;
    double *w = calloc((size_t)ds.n, sizeof *w);
    w[2] = -1;
    cml_fit_opts o = {w, NULL, NULL};
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, ds.y, &o, &g), CML_ERR_ARG);
    assert_error_has("sample_weight");
    free(w);
    assert_null(g);
    /* single class */
    for (int64_t i = 0; i < ds.n; i++)
        ds.y[i] = 7;
    p = cml_gbm_classifier_params_default();
    assert_int_equal(cml_gbm_classifier_fit(&p, &X, ds.y, NULL, &g), CML_ERR_ARG);
    assert_error_has("single class");
    /* predict with the wrong width */
    p = cml_gbm_regressor_params_default();
    p.n_estimators = 2;
    g = fit_reg(&p, &ds, NULL);
    cml_matrix Xs = cml_matrix_view(ds.X, ds.n, ds.d - 1);
    double *out = malloc((size_t)ds.n * sizeof *out);
    assert_int_equal(cml_gbm_predict(g, &Xs, out), CML_ERR_ARG);
    assert_error_has("features");
    assert_int_equal(cml_gbm_predict_proba(g, &X, out), CML_ERR_UNSUPPORTED);
    free(out);
    cml_gbm_free(g);
    data_free(&ds);
}

/* ---------------------------------------------------------------- edge data */

static void test_constant_target(void **state)
{
    (void)state;
    data ds = load("diabetes");
    for (int64_t i = 0; i < ds.n; i++)
        ds.y[i] = 3.25;
    cml_gbm_params p = cml_gbm_regressor_params_default();
    cml_gbm *m = fit_reg(&p, &ds, NULL);
    for (int t = 0; t < cml_gbm_n_trees(m); t++)
        assert_int_equal(cml_gbm_tree_size(m, t), 1); /* no split has positive gain */
    double *pr = predict(m, &ds);
    /* base 0.5 shrinks towards 3.25 by (1 - 0.3 n/(n+1)) per round */
    for (int64_t i = 0; i < ds.n; i++)
        assert_true(fabs(pr[i] - 3.25) < 1e-9 && pr[i] == pr[0]);
    free(pr);
    cml_gbm_free(m);
    data_free(&ds);
}

/* A column of NaN is never split on: same trees as without it. */
static void test_all_nan_column(void **state)
{
    (void)state;
    data ds = load("diabetes"), wide = ds;
    wide.d = ds.d + 1;
    wide.X = malloc((size_t)(ds.n * wide.d) * sizeof(double));
    for (int64_t i = 0; i < ds.n; i++) {
        wide.X[i * wide.d] = NAN;
        memcpy(wide.X + i * wide.d + 1, ds.X + i * ds.d, (size_t)ds.d * sizeof(double));
    }
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 20;
    cml_gbm *a = fit_reg(&p, &ds, NULL), *b = fit_reg(&p, &wide, NULL);
    double *pa = predict(a, &ds), *pb = predict(b, &wide);
    for (int64_t i = 0; i < ds.n; i++)
        assert_true(pa[i] == pb[i]);
    double imp[11];
    assert_int_equal(cml_gbm_feature_importances(b, CML_GBM_IMP_WEIGHT, imp), CML_OK);
    assert_true(imp[0] == 0.0);
    free(pa);
    free(pb);
    free(wide.X);
    cml_gbm_free(a);
    cml_gbm_free(b);
    data_free(&ds);
}

/* Integer weights give the histograms of duplicated rows. */
static void test_weights_are_duplicates(void **state)
{
    (void)state;
    data ds = load("diabetes"), dup = ds;
    double *w = malloc((size_t)ds.n * sizeof *w);
    int64_t total = 0;
    for (int64_t i = 0; i < ds.n; i++)
        total += (int64_t)(w[i] = (double)(1 + i % 3));
    dup.n = total;
    dup.X = malloc((size_t)(total * ds.d) * sizeof(double));
    dup.y = malloc((size_t)total * sizeof(double));
    for (int64_t i = 0, k = 0; i < ds.n; i++)
        for (int r = 0; r < (int)w[i]; r++, k++) {
            memcpy(dup.X + k * ds.d, ds.X + i * ds.d, (size_t)ds.d * sizeof(double));
            dup.y[k] = ds.y[i];
        }
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 10;
    p.max_bin = 1024; /* every distinct value its own bin: cuts do not depend on weights */
    cml_fit_opts o = {w, NULL, NULL};
    cml_gbm *a = fit_reg(&p, &ds, &o), *b = fit_reg(&p, &dup, NULL);
    double *pa = predict(a, &ds), *pb = predict(b, &ds);
    assert_close(pa, pb, ds.n, 1e-9, 1e-9, "weighted vs duplicated");
    free(pa);
    free(pb);
    free(w);
    cml_gbm_free(a);
    cml_gbm_free(b);
    free(dup.X);
    free(dup.y);
    data_free(&ds);
}

/* ---------------------------------------------------------------- threads */

static void threads_case(data *ds, cml_gbm_params *p, int clf)
{
    double *ref = NULL;
    for (int t = 1; t <= 3; t++) {
        cml_set_num_threads(t);
        cml_gbm *m = clf ? fit_clf(p, ds, NULL) : fit_reg(p, ds, NULL);
        double *pr = predict(m, ds);
        if (!ref)
            ref = pr;
        else {
            for (int64_t i = 0; i < ds->n; i++)
                if (pr[i] != ref[i]) fail_msg("threads=%d: row %lld differs", t, (long long)i);
            free(pr);
        }
        cml_gbm_free(m);
    }
    free(ref);
    cml_set_num_threads(0);
}

static void test_thread_count_independent(void **state)
{
    (void)state;
    /* wide: parallel histograms (> 2^20 cells) and split search (> 2^16 slots) */
    data a = synthetic(4000, 300);
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 3;
    p.colsample_bytree = 0.8;
    p.colsample_bynode = 0.7;
    p.subsample = 0.9;
    threads_case(&a, &p, 0);
    data_free(&a);
    /* tall: parallel partitions (>= 2^18 rows), gradients, margins */
    data b = synthetic(300000, 3);
    p = cml_gbm_regressor_params_default();
    p.n_estimators = 3;
    threads_case(&b, &p, 0);
    p.boosting = CML_GBM_GOSS;
    p.learning_rate = 1.0; /* GOSS from the first round */
    threads_case(&b, &p, 0);
    data_free(&b);
}

/* ---------------------------------------------------------------- training control */

static void test_early_stopping_history(void **state)
{
    (void)state;
    data ds = load("breast_cancer"), tr = ds, va = ds;
    tr.n = 400;
    va.X = ds.X + 400 * ds.d;
    va.y = ds.y + 400;
    va.n = ds.n - 400;
    cml_matrix XV = cml_matrix_view(va.X, va.n, va.d);
    cml_fit_opts o = {NULL, &XV, va.y};
    cml_gbm_params p = cml_gbm_classifier_params_default();
    p.n_estimators = 300;
    p.early_stopping_rounds = 10;
    cml_gbm *m = fit_clf(&p, &tr, &o);
    int n, nt;
    const double *hv = cml_gbm_eval_history(m, 1, &n), *ht = cml_gbm_eval_history(m, 0, &nt);
    int best = cml_gbm_best_iteration(m);
    assert_non_null(hv);
    assert_int_equal(n, nt);
    assert_true(n < 300 && n == best + 11);
    assert_int_equal(cml_gbm_n_rounds(m), best + 1);
    assert_int_equal(cml_gbm_eval_metric(m), CML_GBM_METRIC_LOGLOSS);
    for (int i = 0; i < n; i++)
        assert_true(hv[best] <= hv[i]);
    assert_true(ht[n - 1] < ht[0]); /* training loss goes down */
    assert_null(cml_gbm_eval_history(m, 2, &n));
    cml_gbm_free(m);
    data_free(&ds);
}

static void test_importances_and_limits(void **state)
{
    (void)state;
    data ds = load("diabetes");
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 15;
    p.max_depth = 3;
    cml_gbm *m = fit_reg(&p, &ds, NULL);
    double w[10], gain[10], tgain[10], cover[10], tcover[10];
    assert_int_equal(cml_gbm_feature_importances(m, CML_GBM_IMP_WEIGHT, w), CML_OK);
    assert_int_equal(cml_gbm_feature_importances(m, CML_GBM_IMP_GAIN, gain), CML_OK);
    assert_int_equal(cml_gbm_feature_importances(m, CML_GBM_IMP_TOTAL_GAIN, tgain), CML_OK);
    assert_int_equal(cml_gbm_feature_importances(m, CML_GBM_IMP_COVER, cover), CML_OK);
    assert_int_equal(cml_gbm_feature_importances(m, CML_GBM_IMP_TOTAL_COVER, tcover), CML_OK);
    assert_int_equal(cml_gbm_feature_importances(m, (cml_gbm_importance)9, w), CML_ERR_ARG);
    double splits = 0, want_splits = 0;
    for (int f = 0; f < 10; f++) {
        splits += w[f];
        if (w[f] > 0) {
            assert_true(fabs(gain[f] * w[f] - tgain[f]) <= 1e-9 * tgain[f]);
            assert_true(fabs(cover[f] * w[f] - tcover[f]) <= 1e-9 * tcover[f]);
        }
    }
    for (int t = 0; t < cml_gbm_n_trees(m); t++) {
        int size = cml_gbm_tree_size(m, t), leaves = 0;
        for (int j = 0; j < size; j++) {
            cml_gbm_node nd;
            assert_int_equal(cml_gbm_tree_node(m, t, j, &nd), CML_OK);
            leaves += nd.is_leaf;
            if (!nd.is_leaf) {
                cml_gbm_node l, r;
                cml_gbm_tree_node(m, t, nd.left, &l);
                cml_gbm_tree_node(m, t, nd.right, &r);
                assert_true(fabs(l.cover + r.cover - nd.cover) < 1e-9 * nd.cover);
            }
        }
        want_splits += size - leaves;
        assert_true(leaves <= 8); /* depth 3 */
    }
    assert_true(splits == want_splits);
    cml_gbm_node nd;
    assert_int_equal(cml_gbm_tree_node(m, 0, 999, &nd), CML_ERR_ARG);
    cml_gbm_free(m);

    p.grow_policy = CML_GBM_LOSSGUIDE;
    p.max_depth = 0;
    p.max_leaves = 5;
    m = fit_reg(&p, &ds, NULL);
    for (int t = 0; t < cml_gbm_n_trees(m); t++)
        assert_true(cml_gbm_tree_size(m, t) <= 2 * 5 - 1);
    cml_gbm_free(m);
    data_free(&ds);
}

/* ---------------------------------------------------------------- objectives */

static void test_objectives(void **state)
{
    (void)state;
    data ds = load("diabetes");
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.objective = CML_GBM_QUANTILE;
    p.quantile_alpha = 0.9;
    p.n_estimators = 50;
    p.max_depth = 3;
    cml_gbm *m = fit_reg(&p, &ds, NULL);
    double *pr = predict(m, &ds);
    int64_t below = 0;
    for (int64_t i = 0; i < ds.n; i++)
        below += ds.y[i] <= pr[i];
    double cover = (double)below / (double)ds.n;
    assert_true(cover > 0.85 && cover < 0.95);
    free(pr);
    cml_gbm_free(m);

    p.objective = CML_GBM_PSEUDOHUBER;
    p.huber_slope = 10;
    p.base_score = 150; /* near mean(y): far off, the bounded gradient needs many rounds */
    m = fit_reg(&p, &ds, NULL);
    int n;
    const double *h = cml_gbm_eval_history(m, 0, &n);
    assert_int_equal(cml_gbm_eval_metric(m), CML_GBM_METRIC_MPHE);
    assert_true(h[n - 1] < 0.5 * h[0]);
    cml_gbm_free(m);

    /* GOSS: close to plain boosting on the training data, reproducible */
    p = cml_gbm_regressor_params_default();
    p.boosting = CML_GBM_GOSS;
    p.n_estimators = 30;
    p.random_state = 7;
    m = fit_reg(&p, &ds, NULL);
    cml_gbm *m2 = fit_reg(&p, &ds, NULL);
    double *a = predict(m, &ds), *b = predict(m2, &ds);
    assert_memory_equal(a, b, (size_t)ds.n * sizeof(double));
    h = cml_gbm_eval_history(m, 0, &n);
    assert_true(h[n - 1] < 0.6 * h[0]);
    free(a);
    free(b);
    cml_gbm_free(m);
    cml_gbm_free(m2);
    data_free(&ds);
}

/* Labels -1 / 1 and 10 / 20 / 30: predict returns them, proba rows sum to 1. */
static void test_labels(void **state)
{
    (void)state;
    data ds = load("wine");
    for (int64_t i = 0; i < ds.n; i++)
        ds.y[i] = 10 * (ds.y[i] + 1);
    cml_gbm_params p = cml_gbm_classifier_params_default();
    p.n_estimators = 10;
    cml_gbm *m = fit_clf(&p, &ds, NULL);
    const double *c;
    assert_int_equal(cml_gbm_classes(m, &c), 3);
    assert_true(c[0] == 10 && c[2] == 30);
    assert_int_equal(cml_gbm_objective_of(m), CML_GBM_SOFTPROB);
    double *pr = predict(m, &ds), *pp = malloc((size_t)ds.n * 3 * sizeof *pp);
    cml_matrix X = cml_matrix_view(ds.X, ds.n, ds.d);
    assert_int_equal(cml_gbm_predict_proba(m, &X, pp), CML_OK);
    int64_t right = 0;
    for (int64_t i = 0; i < ds.n; i++) {
        assert_true(fabs(pp[3 * i] + pp[3 * i + 1] + pp[3 * i + 2] - 1) < 1e-12);
        right += pr[i] == ds.y[i];
    }
    assert_true(right > ds.n * 0.95);
    free(pr);
    free(pp);
    cml_gbm_free(m);
    data_free(&ds);

    ds = load("breast_cancer");
    for (int64_t i = 0; i < ds.n; i++)
        ds.y[i] = ds.y[i] > 0 ? 1 : -1;
    m = fit_clf(&p, &ds, NULL);
    pr = predict(m, &ds);
    for (int64_t i = 0; i < ds.n; i++)
        assert_true(pr[i] == 1 || pr[i] == -1);
    assert_int_equal(cml_gbm_n_outputs(m), 1);
    free(pr);
    cml_gbm_free(m);
    data_free(&ds);
}

/* ---------------------------------------------------------------- save / load */

static char *temp_path(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/cml_gbm_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return path;
}

static void roundtrip(const char *algo, const char *dataset, const char *const *kv, int nkv)
{
    data ds = load(dataset);
    /* every 7th cell missing, so default directions matter at predict time */
    for (int64_t k = 0; k < ds.n * ds.d; k += 7)
        ds.X[k] = NAN;
    cml_model *m, *back;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (int i = 0; i < nkv; i++)
        assert_int_equal(cml_model_set_param(m, kv[2 * i], kv[2 * i + 1]), CML_OK);
    cml_matrix X = cml_matrix_view(ds.X, ds.n, ds.d);
    cml_matrix XV = cml_matrix_view(ds.X, ds.n / 3, ds.d);
    cml_fit_opts o = {NULL, &XV, ds.y};
    if (cml_model_fit(m, &X, ds.y, &o) != CML_OK) fail_msg("%s", cml_last_error());
    char *path = temp_path();
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load(path, &back, NULL), CML_OK);
    int64_t w = cml_model_n_classes(m) ? cml_model_n_classes(m) : 1;
    double *a = malloc((size_t)(ds.n * w) * sizeof(double)),
           *b = malloc((size_t)(ds.n * w) * sizeof(double));
    assert_int_equal(cml_model_predict(m, &X, a), CML_OK);
    assert_int_equal(cml_model_predict(back, &X, b), CML_OK);
    assert_memory_equal(a, b, (size_t)ds.n * sizeof(double));
    if (w > 1) {
        assert_int_equal(cml_model_predict_proba(m, &X, a), CML_OK);
        assert_int_equal(cml_model_predict_proba(back, &X, b), CML_OK);
        assert_memory_equal(a, b, (size_t)(ds.n * w) * sizeof(double));
    }
    const cml_gbm *ga = cml_model_state(m), *gb = cml_model_state(back);
    int n1, n2;
    const double *h1 = cml_gbm_eval_history(ga, 1, &n1), *h2 = cml_gbm_eval_history(gb, 1, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(h1, h2, (size_t)n1 * sizeof(double));
    assert_int_equal(cml_gbm_best_iteration(ga), cml_gbm_best_iteration(gb));
    char *js = cml_model_describe(back);
    assert_non_null(strstr(js, "\"feature_importances_gain\""));
    assert_non_null(strstr(js, "\"eval_valid\""));
    free(js);

    /* corruption: truncated file and flipped bytes are format errors */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    for (long cut = 16; cut < len; cut += len / 7) {
        f = fopen(path, "wb");
        fwrite(buf, 1, (size_t)cut, f);
        fclose(f);
        cml_model *bad = NULL;
        assert_int_not_equal(cml_model_load(path, &bad, NULL), CML_OK);
        assert_null(bad);
    }
    buf[len - 9] ^= 0x5a;
    f = fopen(path, "wb");
    fwrite(buf, 1, (size_t)len, f);
    fclose(f);
    cml_model *bad = NULL;
    assert_int_equal(cml_model_load(path, &bad, NULL), CML_ERR_FORMAT);
    free(buf);
    unlink(path);
    free(a);
    free(b);
    cml_model_free(m);
    cml_model_free(back);
    data_free(&ds);
}

static void test_save_load(void **state)
{
    (void)state;
    static const char *reg[] = {"n_estimators", "40", "early_stopping_rounds", "5"};
    roundtrip("gbm_reg", "diabetes", reg, 2);
    static const char *clf[] = {"n_estimators", "20",         "grow_policy",
                                "lossguide",    "max_leaves", "9"};
    roundtrip("gbm", "wine", clf, 3);
    static const char *bin[] = {"n_estimators", "20", "objective", "binary:logistic"};
    roundtrip("gbm_classifier", "breast_cancer", bin, 2);
}

/* A regressor with one tree of the given nodes (node i: left child id or
 * -1 for a leaf, its split feature, threshold or leaf value). */
static cml_gguf_writer *forged_gbm(int64_t n_rounds, int n, const int32_t *left,
                                   const double *value)
{
    cml_gguf_writer *w = forged_begin("gbm_regressor");
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features_in", 2), CML_OK);
    assert_int_equal(cml_gguf_set_str(w, "cml.fit.objective", "reg:squarederror"), CML_OK);
    assert_int_equal(cml_gguf_set_str(w, "cml.fit.eval_metric", "rmse"), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_outputs", 1), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.huber_slope", 1), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.quantile_alpha", 0.5), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.poisson_max_delta_step", 0.7), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.base_margin", 0.5), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_rounds", n_rounds), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.best_iteration", 0), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_classes", 0), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_hist", 0), CML_OK);
    assert_int_equal(cml_gguf_set_bool(w, "cml.fit.has_eval_valid", 0), CML_OK);
    int64_t ptr[2] = {0, n};
    int32_t feat[16] = {0};
    double zero[16] = {0};
    assert_int_equal(cml_gguf_add_i64(w, "tree_ptr", ptr, 2), CML_OK);
    assert_int_equal(cml_gguf_add_i32(w, "node_left", left, n), CML_OK);
    assert_int_equal(cml_gguf_add_i32(w, "node_feature", feat, n), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "node_value", value, 1, n), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "node_gain", zero, 1, n), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "node_cover", zero, 1, n), CML_OK);
    return w;
}

/* Forged files (found by the loader audit for fuzz_gguf): a round count
 * the tensors do not hold is a format error before anything is sized from
 * it; a node with two parents (a DAG, which gbm save never writes) must not
 * make the lock-step walk stop short of a leaf. */
static void test_forged_files(void **state)
{
    (void)state;
    /* 0 -> (1,2); 1 -> (3,4); 2 -> (6,7); 3 -> (4,5); 5 -> (8,9); 6 -> (8,9);
     * 8 -> (10,11). x0 = 0 walks 0, 1, 3, 5, 8, 10: five steps, while node 8
     * was last reached from the shallower node 6. */
    const int32_t left[12] = {1, 3, 6, 4, -1, 8, 8, -1, 10, -1, -1, -1};
    const double value[12] = {1, 1, 1, -1, 0, 1, 1, 0, 1, 0, 7, 0};
    assert_int_equal(forged_load(forged_gbm(INT32_MAX, 12, left, value)), CML_ERR_FORMAT);

    uint8_t *buf;
    size_t len;
    cml_gguf *g;
    cml_model *m;
    cml_gguf_writer *w = forged_gbm(1, 12, left, value);
    assert_int_equal(cml_gguf_write_mem(w, &buf, &len), CML_OK);
    cml_gguf_writer_free(w);
    assert_int_equal(cml_gguf_read_mem(buf, len, "dag.gguf", &g), CML_OK);
    free(buf);
    assert_int_equal(cml_model_from_gguf(g, &m), CML_OK);
    cml_gguf_free(g);
    double x[2] = {0, 0}, out;
    cml_matrix X = cml_matrix_view(x, 1, 2);
    assert_int_equal(cml_model_predict(m, &X, &out), CML_OK);
    assert_true(out == 7.5); /* base margin 0.5 + leaf 10 */
    cml_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_defaults),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_constant_target),
        cmocka_unit_test(test_all_nan_column),
        cmocka_unit_test(test_weights_are_duplicates),
        cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_early_stopping_history),
        cmocka_unit_test(test_importances_and_limits),
        cmocka_unit_test(test_objectives),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_forged_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
