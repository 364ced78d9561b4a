/*
 * test_tree.c — decision trees and forests beyond scikit-learn parity:
 * parameter and input errors, save -> load -> predict bit-identical through
 * cml_model for all six estimators, corrupt files, thread-count
 * independence (1 vs 4 threads), NaN handling (learned direction, default
 * direction, accuracy with 10% missing cells), decision paths, pruning,
 * proximity, and proximity imputation (rfImpute) against median imputation
 * on breast_cancer with 10% of the cells hidden.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/ensemble.h"
#include "cml/gguf.h"
#include "cml/metrics.h"
#include "cml/tree.h"
#include "golden.h"

static double *BX, *BY, *DX, *DY; /* breast_cancer, diabetes */
static int64_t BN, BD, DN, DD;

static int setup(void **state)
{
    (void)state;
    test_load_dataset("breast_cancer", &BX, &BN, &BD, &BY);
    test_load_dataset("diabetes", &DX, &DN, &DD, &DY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(BX);
    free(BY);
    free(DX);
    free(DY);
    return 0;
}

static void expect_arg_error(cml_status st, const char *word)
{
    assert_int_equal(st, CML_ERR_ARG);
    if (!strstr(cml_last_error(), word))
        fail_msg("error \"%s\" does not name %s", cml_last_error(), word);
}

/* ---------------------------------------------------------------- errors */

static void test_bad_params(void **state)
{
    (void)state;
    cml_model *m;
    assert_int_equal(cml_model_create("tree", &m), CML_OK);
    expect_arg_error(cml_model_set_param(m, "max_depth", "-5"), "max_depth");
    expect_arg_error(cml_model_set_param(m, "criterion", "mse"), "criterion");
    assert_int_equal(cml_model_set_param(m, "max_features", "foo"), CML_OK); /* checked at fit */
    cml_matrix X = cml_matrix_view(BX, BN, BD);
    expect_arg_error(cml_model_fit(m, &X, BY, NULL), "max_features");
    cml_model_free(m);

    assert_int_equal(cml_model_create("rf", &m), CML_OK);
    expect_arg_error(cml_model_set_param(m, "n_estimators", "0"), "n_estimators");
    cml_model_free(m);

    cml_forest_params fp = cml_forest_params_default(CML_RF_CLASSIFIER);
    cml_forest *f;
    fp.n_estimators = 0;
    expect_arg_error(cml_forest_fit(CML_RF_CLASSIFIER, &fp, &X, BY, NULL, &f), "n_estimators");
    fp = cml_forest_params_default(CML_ET_CLASSIFIER);
    fp.oob_score = 1;
    expect_arg_error(cml_forest_fit(CML_ET_CLASSIFIER, &fp, &X, BY, NULL, &f), "bootstrap");
    fp = cml_forest_params_default(CML_ET_CLASSIFIER);
    fp.max_samples = 0.5;
    expect_arg_error(cml_forest_fit(CML_ET_CLASSIFIER, &fp, &X, BY, NULL, &f), "bootstrap");
    fp = cml_forest_params_default(CML_RF_CLASSIFIER);
    fp.max_samples = 1e6;
    expect_arg_error(cml_forest_fit(CML_RF_CLASSIFIER, &fp, &X, BY, NULL, &f), "max_samples");

    cml_tree_params tp = cml_tree_params_default(CML_TREE_CLASSIFIER);
    cml_tree *t;
    tp.max_depth = -5;
    expect_arg_error(cml_tree_fit(CML_TREE_CLASSIFIER, &tp, &X, BY, NULL, &t), "max_depth");
    tp = cml_tree_params_default(CML_TREE_CLASSIFIER);
    tp.min_samples_split = 1.5;
    expect_arg_error(cml_tree_fit(CML_TREE_CLASSIFIER, &tp, &X, BY, NULL, &t), "min_samples_split");
    tp = cml_tree_params_default(CML_TREE_CLASSIFIER);
    tp.max_leaf_nodes = 1;
    expect_arg_error(cml_tree_fit(CML_TREE_CLASSIFIER, &tp, &X, BY, NULL, &t), "max_leaf_nodes");
    tp = cml_tree_params_default(CML_TREE_CLASSIFIER);
    snprintf(tp.max_features, sizeof tp.max_features, "%d", 31);
    expect_arg_error(cml_tree_fit(CML_TREE_CLASSIFIER, &tp, &X, BY, NULL, &t), "max_features");
    tp = cml_tree_params_default(CML_TREE_CLASSIFIER);
    snprintf(tp.class_weight, sizeof tp.class_weight, "0:1,7:2");
    expect_arg_error(cml_tree_fit(CML_TREE_CLASSIFIER, &tp, &X, BY, NULL, &t), "class_weight");
    snprintf(tp.class_weight, sizeof tp.class_weight, "balanced_subsample");
    expect_arg_error(cml_tree_fit(CML_TREE_CLASSIFIER, &tp, &X, BY, NULL, &t), "class_weight");
}

static void test_bad_inputs(void **state)
{
    (void)state;
    cml_tree_params tp = cml_tree_params_default(CML_TREE_REGRESSOR);
    cml_tree *t;
    double *Xc = malloc(sizeof(double) * (size_t)(DN * DD)), *yc = malloc(sizeof(double) * DN);
    memcpy(Xc, DX, sizeof(double) * (size_t)(DN * DD));
    memcpy(yc, DY, sizeof(double) * (size_t)DN);
    cml_matrix X = cml_matrix_view(Xc, DN, DD);
    yc[5] = NAN;
    expect_arg_error(cml_tree_fit(CML_TREE_REGRESSOR, &tp, &X, yc, NULL, &t), "y");
    yc[5] = DY[5];
    Xc[3 * DD + 2] = INFINITY;
    expect_arg_error(cml_tree_fit(CML_TREE_REGRESSOR, &tp, &X, yc, NULL, &t), "row 4");
    Xc[3 * DD + 2] = 1e300; /* beyond float32 */
    expect_arg_error(cml_tree_fit(CML_TREE_REGRESSOR, &tp, &X, yc, NULL, &t), "float32");
    Xc[3 * DD + 2] = DX[3 * DD + 2];
    double *w = calloc((size_t)DN, sizeof(double));
    expect_arg_error(cml_tree_fit(CML_TREE_REGRESSOR, &tp, &X, yc, w, &t), "weight");
    w[0] = -1;
    expect_arg_error(cml_tree_fit(CML_TREE_REGRESSOR, &tp, &X, yc, w, &t), "sample_weight");
    free(w);
    assert_int_equal(cml_tree_fit(CML_TREE_REGRESSOR, &tp, &X, yc, NULL, &t), CML_OK);
    cml_matrix Xbad = cml_matrix_view(Xc, DN, DD - 1);
    double *out = malloc(sizeof(double) * (size_t)DN);
    expect_arg_error(cml_tree_predict(t, &Xbad, out), "features");
    assert_int_equal(cml_tree_predict_proba(t, &X, out), CML_ERR_UNSUPPORTED);
    cml_tree_node_info nd;
    expect_arg_error(cml_tree_node(t, cml_tree_node_count(t), &nd), "node");
    cml_tree_free(t);
    free(out);
    free(Xc);
    free(yc);
}

/* ---------------------------------------------------------------- save / load */

static const char *ALGOS[] = {"decision_tree_classifier", "decision_tree_regressor",
                              "random_forest_classifier", "random_forest_regressor",
                              "extra_trees_classifier",   "extra_trees_regressor"};

static void test_save_load(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_tree_test_%d.gguf", (int)getpid());
    for (int a = 0; a < 6; a++) {
        int clf = a % 2 == 0;
        const double *X = clf ? BX : DX, *y = clf ? BY : DY;
        int64_t n = clf ? BN : DN, d = clf ? BD : DD;
        cml_matrix m = cml_matrix_view(X, n, d);
        cml_model *mod, *back;
        assert_int_equal(cml_model_create(ALGOS[a], &mod), CML_OK);
        if (a >= 2) {
            assert_int_equal(cml_model_set_param(mod, "n_estimators", "20"), CML_OK);
            if (a < 4) assert_int_equal(cml_model_set_param(mod, "oob_score", "true"), CML_OK);
        }
        if (cml_model_fit(mod, &m, y, NULL) != CML_OK) fail_msg("%s", cml_last_error());
        assert_int_equal(cml_model_save(mod, path, NULL, NULL), CML_OK);
        assert_int_equal(cml_model_load(path, &back, NULL), CML_OK);
        int64_t k = clf ? 2 : 1;
        double *p1 = malloc(sizeof(double) * (size_t)(n * k)),
               *p2 = malloc(sizeof(double) * (size_t)(n * k));
        assert_int_equal(cml_model_predict(mod, &m, p1), CML_OK);
        assert_int_equal(cml_model_predict(back, &m, p2), CML_OK);
        assert_memory_equal(p1, p2, sizeof(double) * (size_t)n);
        if (clf) {
            assert_int_equal(cml_model_predict_proba(mod, &m, p1), CML_OK);
            assert_int_equal(cml_model_predict_proba(back, &m, p2), CML_OK);
            assert_memory_equal(p1, p2, sizeof(double) * (size_t)(n * k));
        }
        char *j1 = cml_model_describe(mod), *j2 = cml_model_describe(back);
        assert_non_null(j1);
        assert_non_null(strstr(j1, "feature_importances_"));
        if (a == 2) assert_non_null(strstr(j2, "oob_score_"));
        free(j1);
        free(j2);
        free(p1);
        free(p2);
        cml_model_free(back);

        /* truncated file */
        FILE *fp = fopen(path, "rb");
        fseek(fp, 0, SEEK_END);
        long len = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        char *buf = malloc((size_t)len);
        assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
        fclose(fp);
        fp = fopen(path, "wb");
        fwrite(buf, 1, (size_t)len / 2, fp);
        fclose(fp);
        assert_int_equal(cml_model_load(path, &back, NULL), CML_ERR_FORMAT);
        free(buf);
        cml_model_free(mod);
    }
    remove(path);
}

/* A well-formed file whose tree has a cycle (node 1's child is node 0) must
 * be rejected with CML_ERR_FORMAT rather than loop forever at predict. */
static void test_corrupt_tree(void **state)
{
    (void)state;
    cml_model *mod;
    assert_int_equal(cml_model_create("decision_tree_regressor", &mod), CML_OK);
    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_int_equal(cml_params_save(cml_model_estimator(mod)->params,
                                     cml_model_estimator(mod)->n_params, cml_model_params(mod), w),
                     CML_OK);
    cml_model_free(mod);
    cml_gguf_set_str(w, "cml.kind", "decision_tree_regressor");
    cml_gguf_set_u32(w, "cml.schema_version", 1);
    cml_gguf_set_i64(w, "cml.steps", 0);
    cml_gguf_set_i64(w, "cml.fit.n_features_in", 2);
    cml_gguf_set_i64(w, "cml.fit.n_classes", 0);
    cml_gguf_set_i64(w, "cml.fit.max_features", 2);
    int64_t off[2] = {0, 3}, depth[1] = {1}, ns[3] = {3, 2, 1};
    int32_t feat[3] = {0, 1, -2}, left[3] = {1, 0, -1}, right[3] = {2, 2, -1}, nanl[3] = {0};
    double thr[3] = {0.5, 0.5, -2}, imp[3] = {1, 1, 0}, wn[3] = {3, 2, 1}, val[3] = {1, 2, 3};
    cml_gguf_add_i64(w, "tree_offsets", off, 2);
    cml_gguf_set_arr_i64(w, "cml.fit.tree_max_depth", depth, 1);
    cml_gguf_add_i32(w, "node_feature", feat, 3);
    cml_gguf_add_i32(w, "node_left", left, 3);
    cml_gguf_add_i32(w, "node_right", right, 3);
    cml_gguf_add_i32(w, "node_nan_left", nanl, 3);
    cml_gguf_add_f64(w, "node_threshold", thr, 1, 3);
    cml_gguf_add_f64(w, "node_impurity", imp, 1, 3);
    cml_gguf_add_f64(w, "node_weighted_n_samples", wn, 1, 3);
    cml_gguf_add_i64(w, "node_n_samples", ns, 3);
    cml_gguf_add_f64(w, "node_value", val, 3, 1);
    uint8_t *buf;
    size_t len;
    assert_int_equal(cml_gguf_write_mem(w, &buf, &len), CML_OK);
    cml_gguf_writer_free(w);
    cml_gguf *g;
    assert_int_equal(cml_gguf_read_mem(buf, len, "cycle.gguf", &g), CML_OK);
    cml_model *back = NULL;
    assert_int_equal(cml_model_from_gguf(g, &back), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "children"));
    cml_gguf_free(g);
    free(buf);
}

/* ---------------------------------------------------------------- threads */

static void test_thread_independence(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(BX, BN, BD);
    cml_forest_params p = cml_forest_params_default(CML_RF_CLASSIFIER);
    p.n_estimators = 40;
    p.oob_score = 1;
    cml_forest *f1, *f4;
    cml_set_num_threads(1);
    assert_int_equal(cml_forest_fit(CML_RF_CLASSIFIER, &p, &X, BY, NULL, &f1), CML_OK);
    cml_set_num_threads(4);
    assert_int_equal(cml_forest_fit(CML_RF_CLASSIFIER, &p, &X, BY, NULL, &f4), CML_OK);
    double *a = malloc(sizeof(double) * (size_t)(BN * 2)),
           *b = malloc(sizeof(double) * (size_t)(BN * 2));
    assert_int_equal(cml_forest_predict_proba(f1, &X, a), CML_OK);
    cml_set_num_threads(1);
    assert_int_equal(cml_forest_predict_proba(f4, &X, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)(BN * 2));
    int64_t r1, r4;
    assert_memory_equal(cml_forest_oob_decision(f1, &r1), cml_forest_oob_decision(f4, &r4),
                        sizeof(double) * (size_t)(BN * 2));
    assert_memory_equal(cml_forest_feature_importances(f1), cml_forest_feature_importances(f4),
                        sizeof(double) * (size_t)BD);
    for (int64_t t = 0; t < 40; t++) {
        const cml_tree *t1 = cml_forest_tree(f1, t), *t4 = cml_forest_tree(f4, t);
        assert_int_equal(cml_tree_node_count(t1), cml_tree_node_count(t4));
        for (int64_t i = 0; i < cml_tree_node_count(t1); i++) {
            cml_tree_node_info n1, n4;
            cml_tree_node(t1, i, &n1);
            cml_tree_node(t4, i, &n4);
            assert_true(n1.feature == n4.feature && n1.threshold == n4.threshold);
        }
    }
    double m1[30], s1[30], m4[30], s4[30];
    cml_set_num_threads(1);
    assert_int_equal(cml_forest_permutation_importance(f1, &X, BY, 3, 7, m1, s1, NULL), CML_OK);
    cml_set_num_threads(4);
    assert_int_equal(cml_forest_permutation_importance(f1, &X, BY, 3, 7, m4, s4, NULL), CML_OK);
    assert_memory_equal(m1, m4, sizeof m1);
    assert_memory_equal(s1, s4, sizeof s1);
    cml_set_num_threads(0);
    free(a);
    free(b);
    cml_forest_free(f1);
    cml_forest_free(f4);
}

/* ---------------------------------------------------------------- NaN */

/* Hides cells with probability frac (fixed generator); returns a copy. */
static double *with_missing(const double *X, int64_t n, int64_t d, double frac, uint64_t seed)
{
    double *Xm = malloc(sizeof(double) * (size_t)(n * d));
    memcpy(Xm, X, sizeof(double) * (size_t)(n * d));
    cml_rng r;
    cml_rng_seed(&r, seed);
    for (int64_t i = 0; i < n * d; i++)
        if (cml_rng_uniform(&r) < frac) Xm[i] = NAN;
    return Xm;
}

static void test_nan_direction(void **state)
{
    (void)state;
    /* Feature 0 is NaN exactly for class 1; feature 1 is noise. The tree
     * must split on "NaN versus the rest" and route NaN to class 1. */
    enum { N = 200 };
    double X[N * 2], y[N];
    cml_rng r;
    cml_rng_seed(&r, 5);
    for (int i = 0; i < N; i++) {
        y[i] = i % 2;
        X[2 * i] = y[i] ? NAN : cml_rng_uniform(&r);
        X[2 * i + 1] = cml_rng_uniform(&r);
    }
    cml_matrix m = cml_matrix_view(X, N, 2);
    cml_tree_params p = cml_tree_params_default(CML_TREE_CLASSIFIER);
    cml_tree *t;
    assert_int_equal(cml_tree_fit(CML_TREE_CLASSIFIER, &p, &m, y, NULL, &t), CML_OK);
    assert_int_equal(cml_tree_node_count(t), 3);
    cml_tree_node_info root;
    cml_tree_node(t, 0, &root);
    assert_int_equal(root.feature, 0);
    double q[2] = {NAN, 0.5}, pred;
    cml_matrix mq = cml_matrix_view(q, 1, 2);
    cml_tree_predict(t, &mq, &pred);
    assert_true(pred == 1.0);
    q[0] = 0.3;
    cml_tree_predict(t, &mq, &pred);
    assert_true(pred == 0.0);
    cml_tree_free(t);

    /* No NaN at fit: a NaN goes to the child that had more training rows. */
    double X2[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, y2[10] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    cml_matrix m2 = cml_matrix_view(X2, 10, 1);
    assert_int_equal(cml_tree_fit(CML_TREE_CLASSIFIER, &p, &m2, y2, NULL, &t), CML_OK);
    cml_tree_node(t, 0, &root);
    assert_true(root.threshold == 7.5);
    assert_int_equal(root.nan_left, 1);
    double qn = NAN;
    mq = cml_matrix_view(&qn, 1, 1);
    cml_tree_predict(t, &mq, &pred);
    assert_true(pred == 0.0);
    cml_tree_free(t);
}

static void test_nan_accuracy(void **state)
{
    (void)state;
    /* breast_cancer with 10% of cells missing at fit and predict: the
     * NaN-aware forest stays accurate on held-out rows. */
    double *Xm = with_missing(BX, BN, BD, 0.10, 42);
    int64_t ntr = 0, nte = 0;
    double *Xtr = malloc(sizeof(double) * (size_t)(BN * BD)),
           *Xte = malloc(sizeof(double) * (size_t)(BN * BD));
    double *ytr = malloc(sizeof(double) * BN), *yte = malloc(sizeof(double) * BN);
    for (int64_t i = 0; i < BN; i++) {
        int te = i % 4 == 0;
        memcpy((te ? Xte + nte * BD : Xtr + ntr * BD), Xm + i * BD, sizeof(double) * (size_t)BD);
        if (te)
            yte[nte++] = BY[i];
        else
            ytr[ntr++] = BY[i];
    }
    cml_matrix mtr = cml_matrix_view(Xtr, ntr, BD), mte = cml_matrix_view(Xte, nte, BD);
    cml_forest_params p = cml_forest_params_default(CML_RF_CLASSIFIER);
    cml_forest *f;
    assert_int_equal(cml_forest_fit(CML_RF_CLASSIFIER, &p, &mtr, ytr, NULL, &f), CML_OK);
    double *pred = malloc(sizeof(double) * (size_t)nte), acc;
    assert_int_equal(cml_forest_predict(f, &mte, pred), CML_OK);
    cml_accuracy(yte, pred, nte, NULL, &acc);
    printf("[ tree ] random forest on breast_cancer with 10%% missing cells: test accuracy %.4f\n",
           acc);
    assert_true(acc >= 0.92);
    cml_forest_free(f);
    free(pred);
    free(Xm);
    free(Xtr);
    free(Xte);
    free(ytr);
    free(yte);
}

/* ---------------------------------------------------------------- structure */

static void test_paths_and_pruning(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(BX, BN, BD);
    cml_tree_params p = cml_tree_params_default(CML_TREE_CLASSIFIER);
    cml_tree *t;
    assert_int_equal(cml_tree_fit(CML_TREE_CLASSIFIER, &p, &X, BY, NULL, &t), CML_OK);
    int64_t *ip, *ix, *leaf = malloc(sizeof(int64_t) * (size_t)BN);
    assert_int_equal(cml_tree_decision_path(t, &X, &ip, &ix), CML_OK);
    assert_int_equal(cml_tree_apply(t, &X, leaf), CML_OK);
    for (int64_t i = 0; i < BN; i++) {
        assert_int_equal(ix[ip[i]], 0);
        assert_int_equal(ix[ip[i + 1] - 1], leaf[i]);
        assert_true(ip[i + 1] - ip[i] <= cml_tree_depth(t) + 1);
    }
    free(ip);
    free(ix);
    free(leaf);
    assert_int_equal(cml_tree_max_features(t), 30);
    cml_tree_free(t);

    /* max_features forms */
    static const char *forms[] = {"sqrt", "log2", "0.5", "3", "", "auto"};
    static const int64_t want[] = {5, 4, 15, 3, 30, 5};
    for (int i = 0; i < 6; i++) {
        p = cml_tree_params_default(CML_TREE_CLASSIFIER);
        p.max_depth = 2;
        snprintf(p.max_features, sizeof p.max_features, "%s", forms[i]);
        assert_int_equal(cml_tree_fit(CML_TREE_CLASSIFIER, &p, &X, BY, NULL, &t), CML_OK);
        assert_int_equal(cml_tree_max_features(t), want[i]);
        cml_tree_free(t);
    }
    /* a large ccp_alpha prunes to the root */
    p = cml_tree_params_default(CML_TREE_CLASSIFIER);
    p.ccp_alpha = 1.0;
    assert_int_equal(cml_tree_fit(CML_TREE_CLASSIFIER, &p, &X, BY, NULL, &t), CML_OK);
    assert_int_equal(cml_tree_node_count(t), 1);
    double imp0 = cml_tree_feature_importances(t)[0];
    assert_true(imp0 == 0.0);
    cml_tree_free(t);
}

static void test_proximity(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(BX, BN, BD);
    cml_forest_params p = cml_forest_params_default(CML_RF_CLASSIFIER);
    p.n_estimators = 50;
    cml_forest *f;
    assert_int_equal(cml_forest_fit(CML_RF_CLASSIFIER, &p, &X, BY, NULL, &f), CML_OK);
    double *P = malloc(sizeof(double) * (size_t)(BN * BN));
    assert_int_equal(cml_forest_proximity(f, &X, P), CML_OK);
    double same = 0, diff = 0;
    int64_t ns = 0, nd = 0;
    for (int64_t i = 0; i < BN; i++) {
        assert_true(P[i * BN + i] == 1.0);
        for (int64_t j = 0; j < BN; j++) {
            assert_true(P[i * BN + j] == P[j * BN + i]);
            assert_true(P[i * BN + j] >= 0 && P[i * BN + j] <= 1);
            if (i == j) continue;
            if (BY[i] == BY[j]) {
                same += P[i * BN + j];
                ns++;
            } else {
                diff += P[i * BN + j];
                nd++;
            }
        }
    }
    /* rows of the same class share leaves far more often */
    assert_true(same / ns > 5 * (diff / nd));
    free(P);
    cml_forest_free(f);
}

/* rfImpute vs median imputation on breast_cancer with 10% of cells hidden:
 * RMSE over the hidden cells, each column in units of its standard
 * deviation (columns differ in scale by 10^4). */
static void test_impute(void **state)
{
    (void)state;
    double *Xm = with_missing(BX, BN, BD, 0.10, 7);
    double *med = malloc(sizeof(double) * (size_t)(BN * BD));
    double *rf = malloc(sizeof(double) * (size_t)(BN * BD));
    double *col = malloc(sizeof(double) * (size_t)BN);
    cml_matrix X = cml_matrix_view(Xm, BN, BD);
    cml_forest_params p = cml_forest_params_default(CML_RF_CLASSIFIER);
    assert_int_equal(cml_forest_impute(CML_RF_CLASSIFIER, &p, &X, BY, 5, rf), CML_OK);
    /* median imputation (one iteration's first step, by hand) */
    double se_med = 0, se_rf = 0;
    int64_t cnt = 0;
    for (int64_t j = 0; j < BD; j++) {
        int64_t m = 0;
        double mu = 0, var = 0;
        for (int64_t i = 0; i < BN; i++)
            mu += BX[i * BD + j];
        mu /= BN;
        for (int64_t i = 0; i < BN; i++)
            var += (BX[i * BD + j] - mu) * (BX[i * BD + j] - mu);
        double sd = sqrt(var / BN);
        for (int64_t i = 0; i < BN; i++)
            if (!isnan(Xm[i * BD + j])) col[m++] = Xm[i * BD + j];
        for (int64_t a = 1; a < m; a++) /* insertion sort: small */
            for (int64_t b = a; b > 0 && col[b - 1] > col[b]; b--) {
                double tmp = col[b];
                col[b] = col[b - 1];
                col[b - 1] = tmp;
            }
        double md = m % 2 ? col[m / 2] : (col[m / 2 - 1] + col[m / 2]) / 2;
        for (int64_t i = 0; i < BN; i++) {
            if (!isnan(Xm[i * BD + j])) {
                assert_true(rf[i * BD + j] == Xm[i * BD + j]); /* observed cells untouched */
                continue;
            }
            double t = BX[i * BD + j];
            se_med += (md - t) * (md - t) / (sd * sd);
            se_rf += (rf[i * BD + j] - t) * (rf[i * BD + j] - t) / (sd * sd);
            cnt++;
        }
    }
    double rmse_med = sqrt(se_med / cnt), rmse_rf = sqrt(se_rf / cnt);
    printf("[ tree ] rfImpute on breast_cancer, %lld hidden cells (10%%): RMSE %.4f sd vs median "
           "imputation %.4f sd\n",
           (long long)cnt, rmse_rf, rmse_med);
    assert_true(rmse_rf < 0.9 * rmse_med);
    for (int64_t i = 0; i < BN * BD; i++)
        assert_false(isnan(rf[i]));
    free(Xm);
    free(med);
    free(rf);
    free(col);
}

static void test_registry(void **state)
{
    (void)state;
    assert_non_null(cml_estimator_find("tree"));
    assert_non_null(cml_estimator_find("rf"));
    assert_non_null(cml_estimator_find("rf_regressor"));
    assert_string_equal(cml_estimator_find("rf")->name, "random_forest_classifier");
    assert_int_equal(cml_estimator_find("extra_trees_regressor")->allows_nan, 1);
    /* defaults as scikit-learn 1.2 */
    cml_forest_params p = cml_forest_params_default(CML_RF_REGRESSOR);
    assert_string_equal(p.max_features, "1.0");
    assert_int_equal(p.bootstrap, 1);
    assert_int_equal(p.n_estimators, 100);
    p = cml_forest_params_default(CML_ET_CLASSIFIER);
    assert_string_equal(p.max_features, "sqrt");
    assert_int_equal(p.bootstrap, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_corrupt_tree),
        cmocka_unit_test(test_thread_independence),
        cmocka_unit_test(test_nan_direction),
        cmocka_unit_test(test_nan_accuracy),
        cmocka_unit_test(test_paths_and_pruning),
        cmocka_unit_test(test_proximity),
        cmocka_unit_test(test_impute),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
