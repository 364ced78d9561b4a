/*
 * test_shap.c — TreeSHAP beyond the XGBoost golden file:
 *  - exactness against the Shapley formula itself: every subset S of the
 *    features, f_x(S) = the path-dependent expectation (Lundberg et al. 2018,
 *    Algorithm 1), weights |S|!(M-|S|-1)!/M!, for a scikit-identical decision
 *    tree (iris, 4 features, all classes), a deep regression tree with NaN
 *    cells (diabetes, 10 features) and cml's own GBM (diabetes);
 *  - local accuracy on real data: bias + contributions = predict_proba /
 *    predict of random forests and extra trees (breast cancer, diabetes, 10%
 *    NaN cells) within 1e-9;
 *  - the generic cml_shap_values through cml_model (pipeline-free and with
 *    a scaler step), unsupported models, wrong widths;
 *  - thread-count independence (1 vs 4 threads, bit-identical);
 *  - the GBM's per-round metrics through cml_report_metric.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/ensemble.h"
#include "cml/gbm.h"
#include "cml/tree.h"
#include "golden.h"

static double *IX, *IY, *BX, *BY, *DX, *DY; /* iris, breast_cancer, diabetes */
static int64_t IN, ID, BN, BD, DN, DD;

static int setup(void **state)
{
    (void)state;
    test_load_dataset("iris", &IX, &IN, &ID, &IY);
    test_load_dataset("breast_cancer", &BX, &BN, &BD, &BY);
    test_load_dataset("diabetes", &DX, &DN, &DD, &DY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(IX);
    free(IY);
    free(BX);
    free(BY);
    free(DX);
    free(DY);
    return 0;
}

/* ---------------------------------------------------------------- brute force */

/* A tree read through the public node getters. */
typedef struct bf_tree {
    int n, n_val;
    int *left, *right, *feature, *nan_left;
    double *thr, *cover, *value; /* value (n, n_val) */
    int le_f32;                  /* 1: scikit-learn routing, 0: XGBoost's */
} bf_tree;

static void bf_free(bf_tree *t)
{
    free(t->left);
    free(t->right);
    free(t->feature);
    free(t->nan_left);
    free(t->thr);
    free(t->cover);
    free(t->value);
}

static void bf_alloc(bf_tree *t, int n, int n_val)
{
    t->n = n;
    t->n_val = n_val;
    t->left = calloc((size_t)n, sizeof(int));
    t->right = calloc((size_t)n, sizeof(int));
    t->feature = calloc((size_t)n, sizeof(int));
    t->nan_left = calloc((size_t)n, sizeof(int));
    t->thr = calloc((size_t)n, sizeof(double));
    t->cover = calloc((size_t)n, sizeof(double));
    t->value = calloc((size_t)(n * n_val), sizeof(double));
    assert_true(t->left && t->right && t->feature && t->nan_left && t->thr && t->cover && t->value);
}

static bf_tree bf_from_cart(const cml_tree *tr)
{
    bf_tree t;
    const int V = (int)cml_tree_value_stride(tr);
    bf_alloc(&t, (int)cml_tree_node_count(tr), V);
    t.le_f32 = 1;
    for (int i = 0; i < t.n; i++) {
        cml_tree_node_info nd;
        assert_int_equal(cml_tree_node(tr, i, &nd), CML_OK);
        t.left[i] = (int)nd.left;
        t.right[i] = (int)nd.right;
        t.feature[i] = (int)nd.feature;
        t.nan_left[i] = nd.nan_left;
        t.thr[i] = nd.threshold;
        t.cover[i] = nd.weighted_n_node_samples;
        double s = 0;
        for (int k = 0; k < V; k++)
            s += nd.value[k];
        /* classifiers explain predict_proba: class fractions */
        for (int k = 0; k < V; k++)
            t.value[i * V + k] = cml_tree_is_classifier(tr) ? nd.value[k] / s : nd.value[k];
    }
    return t;
}

static bf_tree bf_from_gbm(const cml_gbm *m, int ti)
{
    bf_tree t;
    bf_alloc(&t, cml_gbm_tree_size(m, ti), 1);
    t.le_f32 = 0;
    for (int i = 0; i < t.n; i++) {
        cml_gbm_node nd;
        assert_int_equal(cml_gbm_tree_node(m, ti, i, &nd), CML_OK);
        t.left[i] = nd.left;
        t.right[i] = nd.right;
        t.feature[i] = nd.feature;
        t.nan_left[i] = nd.default_left;
        t.thr[i] = nd.threshold;
        t.cover[i] = nd.cover;
        t.value[i] = nd.value;
    }
    return t;
}

/* E[f(x) | x_S] for the path-dependent distribution (Algorithm 1). */
static double bf_expect(const bf_tree *t, int i, const double *x, unsigned S, int k)
{
    if (t->left[i] < 0) return t->value[i * t->n_val + k];
    const int f = t->feature[i];
    if (S & (1u << f)) {
        int left;
        if (isnan(x[f]))
            left = t->nan_left[i];
        else if (t->le_f32)
            left = (double)(float)x[f] <= t->thr[i];
        else
            left = x[f] < t->thr[i];
        return bf_expect(t, left ? t->left[i] : t->right[i], x, S, k);
    }
    const int l = t->left[i], r = t->right[i];
    return (t->cover[l] * bf_expect(t, l, x, S, k) + t->cover[r] * bf_expect(t, r, x, S, k)) /
           t->cover[i];
}

/* Shapley values of output k over M features by enumerating subsets:
 * phi (M) and the bias f_x(empty set) added into phi[M]. */
static void bf_shapley(const bf_tree *t, const double *x, int M, int k, double *phi)
{
    double *fact = malloc(sizeof(double) * (size_t)(M + 1));
    double *val = malloc(sizeof(double) * ((size_t)1 << M));
    assert_non_null(fact);
    assert_non_null(val);
    fact[0] = 1;
    for (int i = 1; i <= M; i++)
        fact[i] = fact[i - 1] * i;
    for (unsigned S = 0; S < (1u << M); S++)
        val[S] = bf_expect(t, 0, x, S, k);
    for (int j = 0; j < M; j++)
        for (unsigned S = 0; S < (1u << M); S++) {
            if (S & (1u << j)) continue;
            const int s = __builtin_popcount(S);
            phi[j] += fact[s] * fact[M - s - 1] / fact[M] * (val[S | (1u << j)] - val[S]);
        }
    phi[M] += val[0];
    free(fact);
    free(val);
}

/* ---------------------------------------------------------------- exactness */

static void test_tree_vs_brute_force(void **state)
{
    (void)state;
    /* iris classifier: every class's probability. */
    cml_tree_params p = cml_tree_params_default(CML_TREE_CLASSIFIER);
    p.max_depth = 4;
    cml_tree *t;
    cml_matrix X = cml_matrix_view(IX, IN, ID);
    assert_int_equal(cml_tree_fit(CML_TREE_CLASSIFIER, &p, &X, IY, NULL, &t), CML_OK);
    const int64_t K = cml_tree_shap_n_outputs(t);
    assert_int_equal(K, 3);
    double *phi = malloc(sizeof(double) * (size_t)(IN * K * (ID + 1)));
    assert_non_null(phi);
    assert_int_equal(cml_tree_shap_values(t, &X, phi), CML_OK);
    bf_tree bt = bf_from_cart(t);
    for (int64_t i = 0; i < IN; i += 7)
        for (int k = 0; k < K; k++) {
            double want[5] = {0};
            bf_shapley(&bt, IX + i * ID, (int)ID, k, want);
            assert_close(phi + (i * K + k) * (ID + 1), want, ID + 1, 1e-12, 1e-12, "iris tree");
        }
    bf_free(&bt);
    free(phi);
    cml_tree_free(t);

    /* diabetes regressor, 10% NaN cells, depth 6: features repeat along
     * paths (the UNWIND branch) and NaN follows the learned direction. */
    double *Xn = malloc(sizeof(double) * (size_t)(DN * DD));
    assert_non_null(Xn);
    for (int64_t c = 0; c < DN * DD; c++)
        Xn[c] = ((uint64_t)c * 2654435761u) % 100 < 10 ? NAN : DX[c];
    cml_tree_params pr = cml_tree_params_default(CML_TREE_REGRESSOR);
    pr.max_depth = 6;
    X = cml_matrix_view(Xn, DN, DD);
    assert_int_equal(cml_tree_fit(CML_TREE_REGRESSOR, &pr, &X, DY, NULL, &t), CML_OK);
    phi = malloc(sizeof(double) * (size_t)(DN * (DD + 1)));
    assert_non_null(phi);
    assert_int_equal(cml_tree_shap_values(t, &X, phi), CML_OK);
    bt = bf_from_cart(t);
    for (int64_t i = 0; i < DN; i += 23) {
        double want[11] = {0};
        bf_shapley(&bt, Xn + i * DD, (int)DD, 0, want);
        assert_close(phi + i * (DD + 1), want, DD + 1, 1e-10, 1e-9, "diabetes tree");
    }
    bf_free(&bt);
    free(phi);
    free(Xn);
    cml_tree_free(t);
}

static void test_gbm_vs_brute_force(void **state)
{
    (void)state;
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 8;
    p.max_depth = 4;
    cml_gbm *m;
    cml_matrix X = cml_matrix_view(DX, DN, DD);
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, DY, NULL, &m), CML_OK);
    double *phi = malloc(sizeof(double) * (size_t)(DN * (DD + 1)));
    assert_non_null(phi);
    assert_int_equal(cml_gbm_shap_values(m, &X, phi), CML_OK);
    for (int64_t i = 0; i < DN; i += 41) {
        double want[11] = {0};
        want[DD] = cml_gbm_base_margin(m);
        for (int ti = 0; ti < cml_gbm_n_trees(m); ti++) {
            bf_tree bt = bf_from_gbm(m, ti);
            bf_shapley(&bt, DX + i * DD, (int)DD, 0, want);
            bf_free(&bt);
        }
        assert_close(phi + i * (DD + 1), want, DD + 1, 1e-10, 1e-9, "gbm");
    }
    free(phi);
    cml_gbm_free(m);
}

/* ---------------------------------------------------------------- local accuracy */

/* max over rows and outputs of |bias + sum phi - pred| / max(1, |pred|). */
static double local_accuracy(const double *phi, const double *pred, int64_t n, int64_t K, int64_t d)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < K; k++) {
            double s = 0;
            for (int64_t j = 0; j <= d; j++)
                s += phi[(i * K + k) * (d + 1) + j];
            worst = fmax(worst, fabs(s - pred[i * K + k]) / fmax(1.0, fabs(pred[i * K + k])));
        }
    return worst;
}

static void forest_case(cml_forest_kind kind, const double *X0, int64_t n, int64_t d,
                        const double *y, int nan_cells, const char *what)
{
    double *Xd = malloc(sizeof(double) * (size_t)(n * d));
    assert_non_null(Xd);
    for (int64_t c = 0; c < n * d; c++)
        Xd[c] = nan_cells && ((uint64_t)c * 2654435761u) % 100 < 10 ? NAN : X0[c];
    cml_forest_params p = cml_forest_params_default(kind);
    p.n_estimators = 50;
    cml_forest *f;
    cml_matrix X = cml_matrix_view(Xd, n, d);
    assert_int_equal(cml_forest_fit(kind, &p, &X, y, NULL, &f), CML_OK);
    const int64_t K = cml_forest_shap_n_outputs(f);
    double *phi = malloc(sizeof(double) * (size_t)(n * K * (d + 1)));
    double *pred = malloc(sizeof(double) * (size_t)(n * K));
    assert_non_null(phi);
    assert_non_null(pred);
    assert_int_equal(cml_forest_shap_values(f, &X, phi), CML_OK);
    if (cml_forest_is_classifier(f))
        assert_int_equal(cml_forest_predict_proba(f, &X, pred), CML_OK);
    else
        assert_int_equal(cml_forest_predict(f, &X, pred), CML_OK);
    const double la = local_accuracy(phi, pred, n, K, d);
    printf("  %s: local accuracy max rel error %.3g over %lld rows x %lld outputs\n", what, la,
           (long long)n, (long long)K);
    assert_true(la < 1e-9);
    /* The bias is the same for every row: the forest's mean training output. */
    for (int64_t i = 1; i < n; i++)
        assert_true(phi[(i * K) * (d + 1) + d] == phi[d]);
    free(phi);
    free(pred);
    free(Xd);
    cml_forest_free(f);
}

static void test_forest_local_accuracy(void **state)
{
    (void)state;
    forest_case(CML_RF_CLASSIFIER, BX, BN, BD, BY, 0, "rf breast_cancer");
    forest_case(CML_RF_REGRESSOR, DX, DN, DD, DY, 0, "rf diabetes");
    forest_case(CML_ET_CLASSIFIER, BX, BN, BD, BY, 1, "extra trees breast_cancer 10% NaN");
    forest_case(CML_ET_REGRESSOR, DX, DN, DD, DY, 1, "extra trees diabetes 10% NaN");
}

static void test_gbm_multiclass_local_accuracy(void **state)
{
    (void)state;
    cml_gbm_params p = cml_gbm_classifier_params_default();
    p.n_estimators = 20;
    cml_gbm *m;
    cml_matrix X = cml_matrix_view(IX, IN, ID);
    assert_int_equal(cml_gbm_classifier_fit(&p, &X, IY, NULL, &m), CML_OK);
    const int K = cml_gbm_n_outputs(m);
    assert_int_equal(K, 3);
    double *phi = malloc(sizeof(double) * (size_t)(IN * K * (ID + 1)));
    double *mg = malloc(sizeof(double) * (size_t)(IN * K));
    assert_non_null(phi);
    assert_non_null(mg);
    assert_int_equal(cml_gbm_shap_values(m, &X, phi), CML_OK);
    assert_int_equal(cml_gbm_predict_margin(m, &X, mg), CML_OK);
    assert_true(local_accuracy(phi, mg, IN, K, ID) < 1e-12);
    free(phi);
    free(mg);
    cml_gbm_free(m);
}

/* ---------------------------------------------------------------- generic entry */

static void test_generic_entry(void **state)
{
    (void)state;
    cml_model *m;
    cml_matrix X = cml_matrix_view(BX, BN, BD);
    assert_int_equal(cml_model_create("rf", &m), CML_OK);
    assert_int_equal(cml_shap_n_outputs(m), 0); /* not fitted yet */
    assert_int_equal(cml_model_set_param(m, "n_estimators", "20"), CML_OK);
    assert_int_equal(cml_model_fit(m, &X, BY, NULL), CML_OK);
    assert_int_equal(cml_shap_n_outputs(m), 2);
    assert_int_equal(cml_shap_n_features(m), BD);
    double *a = malloc(sizeof(double) * (size_t)(BN * 2 * (BD + 1)));
    double *b = malloc(sizeof(double) * (size_t)(BN * 2 * (BD + 1)));
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(cml_shap_values(m, &X, a), CML_OK);
    assert_int_equal(cml_forest_shap_values(cml_model_state(m), &X, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)(BN * 2 * (BD + 1)));
    /* wrong width */
    cml_matrix Xs = cml_matrix_view(BX, BN, 3);
    Xs.ld = BD;
    assert_int_equal(cml_shap_values(m, &Xs, a), CML_ERR_ARG);
    cml_model_free(m);

    /* A pipeline: the scaler runs first; the GBM explains scaled columns,
     * and its contributions still sum to the margin. */
    cml_model *sc;
    assert_int_equal(cml_model_create("gbm_regressor", &m), CML_OK);
    assert_int_equal(cml_model_create("standard_scaler", &sc), CML_OK);
    assert_int_equal(cml_model_add_step(m, sc), CML_OK);
    assert_int_equal(cml_model_set_param(m, "n_estimators", "10"), CML_OK);
    X = cml_matrix_view(DX, DN, DD);
    assert_int_equal(cml_model_fit(m, &X, DY, NULL), CML_OK);
    assert_int_equal(cml_shap_n_outputs(m), 1);
    double *pred = malloc(sizeof(double) * (size_t)DN);
    assert_non_null(pred);
    assert_int_equal(cml_shap_values(m, &X, a), CML_OK);
    assert_int_equal(cml_model_predict(m, &X, pred), CML_OK);
    assert_true(local_accuracy(a, pred, DN, 1, DD) < 1e-12);
    free(pred);
    cml_model_free(m);

    /* Not a tree model. */
    assert_int_equal(cml_model_create("linear_regression", &m), CML_OK);
    assert_int_equal(cml_model_fit(m, &X, DY, NULL), CML_OK);
    assert_int_equal(cml_shap_n_outputs(m), 0);
    assert_int_equal(cml_shap_values(m, &X, a), CML_ERR_UNSUPPORTED);
    assert_non_null(strstr(cml_last_error(), "linear_regression"));
    cml_model_free(m);
    free(a);
    free(b);
}

/* ---------------------------------------------------------------- threads */

static void test_threads(void **state)
{
    (void)state;
    cml_forest_params p = cml_forest_params_default(CML_RF_REGRESSOR);
    p.n_estimators = 20;
    cml_forest *f;
    cml_matrix X = cml_matrix_view(DX, DN, DD);
    assert_int_equal(cml_forest_fit(CML_RF_REGRESSOR, &p, &X, DY, NULL, &f), CML_OK);
    const size_t sz = sizeof(double) * (size_t)(DN * (DD + 1));
    double *a = malloc(sz), *b = malloc(sz);
    assert_non_null(a);
    assert_non_null(b);
    cml_set_num_threads(1);
    assert_int_equal(cml_forest_shap_values(f, &X, a), CML_OK);
    cml_set_num_threads(4);
    assert_int_equal(cml_forest_shap_values(f, &X, b), CML_OK);
    cml_set_num_threads(0);
    assert_memory_equal(a, b, sz);
    free(a);
    free(b);
    cml_forest_free(f);
}

/* ---------------------------------------------------------------- metric hook */

typedef struct seen {
    int n_train, n_valid, bad_order;
    double train[64], valid[64];
} seen;

static void on_metric(void *user, const char *name, int64_t step, double value)
{
    seen *s = user;
    if (!strcmp(name, "train_rmse")) {
        if (step != s->n_train) s->bad_order = 1;
        if (step < 64) s->train[step] = value;
        s->n_train++;
    } else if (!strcmp(name, "valid_rmse")) {
        if (step != s->n_valid) s->bad_order = 1;
        if (step < 64) s->valid[step] = value;
        s->n_valid++;
    } else {
        s->bad_order = 1;
    }
}

static void test_metric_hook(void **state)
{
    (void)state;
    seen s = {0};
    cml_metric_hook_set(on_metric, &s);
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 12;
    cml_gbm *m;
    cml_matrix X = cml_matrix_view(DX, 300, DD), V = cml_matrix_view(DX + 300 * DD, DN - 300, DD);
    cml_fit_opts o = {NULL, &V, DY + 300};
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, DY, &o, &m), CML_OK);
    cml_metric_hook_set(NULL, NULL);
    assert_int_equal(s.n_train, 12);
    assert_int_equal(s.n_valid, 12);
    assert_false(s.bad_order);
    int n;
    const double *ht = cml_gbm_eval_history(m, 0, &n), *hv = cml_gbm_eval_history(m, 1, &n);
    assert_int_equal(n, 12);
    assert_memory_equal(ht, s.train, 12 * sizeof(double));
    assert_memory_equal(hv, s.valid, 12 * sizeof(double));
    cml_gbm_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_vs_brute_force),
        cmocka_unit_test(test_gbm_vs_brute_force),
        cmocka_unit_test(test_forest_local_accuracy),
        cmocka_unit_test(test_gbm_multiclass_local_accuracy),
        cmocka_unit_test(test_generic_entry),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_metric_hook),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
