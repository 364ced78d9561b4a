/*
 * test_tree_walk.c — the lockstep tree walk of predict (tree_model.c's
 * cml_dtree_apply_f32 / _f64 over the float32 copy of the nodes) against the
 * reference one-row walk (cml_dtree_leaf, double thresholds): the same leaf
 * for every row, with rows placed on each split threshold, one double or one
 * float32 step either side of it, at +-infinity and NaN (both NaN
 * directions), for row counts that are and are not multiples of the lane
 * count; forest predictions equal to the tree-order mean of the leaf values
 * and independent of the thread count, on narrow and wide rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cml/ensemble.h"
#include "cml/tree.h"
#include "golden.h"
#include "ensemble/forest_common.h"
#include "tree/tree_model.h"

/* Rows probing every split of t: copies of base rows with the split feature
 * set to values on and around its threshold. Returns the row count. */
static int64_t probe_rows(const cml_dtree *t, const double *base, int64_t n_base, int64_t d,
                          double **out)
{
    enum { PER = 10 };
    int64_t splits = 0;
    for (int64_t i = 0; i < t->n_nodes; i++)
        splits += t->nodes[i].left >= 0;
    int64_t n = splits * PER + n_base;
    double *X = malloc(sizeof(double) * (size_t)(n * d));
    assert_non_null(X);
    memcpy(X, base, sizeof(double) * (size_t)(n_base * d));
    int64_t r = n_base;
    for (int64_t i = 0; i < t->n_nodes; i++) {
        const cml_tnode *nd = &t->nodes[i];
        if (nd->left < 0) continue;
        double thr = nd->threshold;
        float tf = (float)thr;
        double vals[PER] = {thr,
                            nextafter(thr, INFINITY),
                            nextafter(thr, -INFINITY),
                            (double)tf,
                            (double)nextafterf(tf, INFINITY),
                            (double)nextafterf(tf, -INFINITY),
                            INFINITY,
                            -INFINITY,
                            NAN,
                            thr + 1e-3};
        for (int k = 0; k < PER; k++, r++) {
            memcpy(X + r * d, base + (r % n_base) * d, sizeof(double) * (size_t)d);
            X[r * d + nd->feature] = vals[k];
        }
    }
    *out = X;
    return n;
}

/* Every lockstep walk agrees with the one-row walk on every prefix length
 * around the lane count and on all probe rows. */
static void check_walks(const cml_dtree *t, const double *X, int64_t n, int64_t d)
{
    int32_t *l64 = malloc(sizeof(int32_t) * (size_t)n), *l32 = malloc(sizeof(int32_t) * (size_t)n);
    float *xf = malloc(sizeof(float) * (size_t)(n * d));
    assert_true(l64 && l32 && xf);
    cml_matrix M = cml_matrix_view(X, n, d);
    cml_dtree_rows_f32(&M, 0, n, xf);
    int64_t lens[] = {1, CML_DTREE_LANES - 1, CML_DTREE_LANES, CML_DTREE_LANES + 3, n};
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
        int64_t m = CML_MIN(lens[k], n);
        cml_dtree_apply_f64(t, X, d, m, l64);
        cml_dtree_apply_f32(t, xf, d, m, l32);
        for (int64_t i = 0; i < m; i++) {
            int64_t want = cml_dtree_leaf(t, X + i * d);
            assert_int_equal(l64[i], want);
            assert_int_equal(l32[i], want);
            assert_int_equal(cml_dtree_leaf_f32(t, xf + i * d), want);
            assert_true(t->nodes[want].left < 0);
        }
    }
    free(l64);
    free(l32);
    free(xf);
}

static void test_walk_matches_reference(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("diabetes", &X, &n, &d, &y);
    /* Hide 10% of the cells, so splits learn both NaN directions. */
    for (int64_t i = 0; i < n * d; i += 10)
        X[i] = NAN;
    cml_matrix M = cml_matrix_view(X, n, d);
    for (int kind = 0; kind < 2; kind++) {
        cml_tree_params p =
            cml_tree_params_default(kind ? CML_TREE_REGRESSOR : CML_TREE_CLASSIFIER);
        double *yk = malloc(sizeof(double) * (size_t)n);
        for (int64_t i = 0; i < n; i++)
            yk[i] = kind ? y[i] : (double)(y[i] > 140.0) + (double)(y[i] > 200.0);
        cml_tree *t;
        assert_int_equal(
            cml_tree_fit(kind ? CML_TREE_REGRESSOR : CML_TREE_CLASSIFIER, &p, &M, yk, NULL, &t),
            CML_OK);
        int nan_dirs[2] = {0, 0};
        for (int64_t i = 0; i < t->t->n_nodes; i++)
            if (t->t->nodes[i].left >= 0) nan_dirs[t->t->nodes[i].nan_left] = 1;
        assert_true(nan_dirs[0] && nan_dirs[1]);
        double *P;
        int64_t np = probe_rows(t->t, X, n, d, &P);
        check_walks(t->t, P, np, d);
        free(P);
        cml_tree_free(t);
        free(yk);
    }
    free(X);
    free(y);
}

/* Forest predict against the plain definition: each row's leaf values
 * summed in tree order, divided by the tree count (bit for bit). */
static void check_forest_mean(const cml_forest *f, const cml_matrix *B, const double *pred)
{
    const int64_t T = f->n_trees;
    int64_t *lf = malloc(sizeof(int64_t) * (size_t)(B->rows * T));
    assert_non_null(lf);
    assert_int_equal(cml_forest_apply(f, B, lf), CML_OK);
    for (int64_t i = 0; i < B->rows; i++) {
        double s = 0.0;
        for (int64_t t = 0; t < T; t++)
            s += f->trees[t]->t->value[lf[i * T + t]];
        assert_true(s / (double)T == pred[i]);
    }
    free(lf);
}

/* Forest and tree predictions and apply: the same at 1 and 2 threads, on
 * enough rows to take the parallel paths, narrow (a forest shares each chunk
 * of rows among its trees) and wide (chunks of rows run in parallel). */
static void run_threads(const double *X, int64_t n, int64_t d, const double *y, int64_t rep)
{
    const int64_t N = n * rep;
    double *XX = malloc(sizeof(double) * (size_t)(N * d));
    assert_non_null(XX);
    for (int64_t r = 0; r < rep; r++)
        memcpy(XX + r * n * d, X, sizeof(double) * (size_t)(n * d));
    for (int64_t i = 0; i < N * d; i += 7)
        XX[i] += 1e-3 * (double)(i % 13); /* distinct rows */
    cml_matrix M = cml_matrix_view(X, n, d), B = cml_matrix_view(XX, N, d);
    cml_forest_params fp = cml_forest_params_default(CML_RF_REGRESSOR);
    fp.n_estimators = 40;
    cml_forest *f;
    assert_int_equal(cml_forest_fit(CML_RF_REGRESSOR, &fp, &M, y, NULL, &f), CML_OK);
    cml_tree_params tp = cml_tree_params_default(CML_TREE_REGRESSOR);
    cml_tree *t;
    assert_int_equal(cml_tree_fit(CML_TREE_REGRESSOR, &tp, &M, y, NULL, &t), CML_OK);
    double *out[2], *tout[2];
    int64_t *lf[2];
    for (int k = 0; k < 2; k++) {
        cml_set_num_threads(k + 1);
        out[k] = malloc(sizeof(double) * (size_t)N);
        tout[k] = malloc(sizeof(double) * (size_t)N);
        lf[k] = malloc(sizeof(int64_t) * (size_t)(N * fp.n_estimators));
        assert_int_equal(cml_forest_predict(f, &B, out[k]), CML_OK);
        assert_int_equal(cml_tree_predict(t, &B, tout[k]), CML_OK);
        assert_int_equal(cml_forest_apply(f, &B, lf[k]), CML_OK);
        check_forest_mean(f, &B, out[k]);
    }
    cml_set_num_threads(0);
    assert_memory_equal(out[0], out[1], sizeof(double) * (size_t)N);
    assert_memory_equal(tout[0], tout[1], sizeof(double) * (size_t)N);
    assert_memory_equal(lf[0], lf[1], sizeof(int64_t) * (size_t)(N * fp.n_estimators));
    for (int k = 0; k < 2; k++) {
        free(out[k]);
        free(tout[k]);
        free(lf[k]);
    }
    cml_forest_free(f);
    cml_tree_free(t);
    free(XX);
}

static void test_threads(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("diabetes", &X, &n, &d, &y);
    run_threads(X, n, d, y, 12); /* 5304 x 10 */
    /* 50 copies of the columns, each shifted: 500 features */
    const int64_t W = 50 * d;
    double *Xw = malloc(sizeof(double) * (size_t)(n * W));
    assert_non_null(Xw);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < W; j++)
            Xw[i * W + j] = X[i * d + j % d] + 0.01 * (double)(j / d);
    run_threads(Xw, n, W, y, 12); /* 5304 x 500: 11 chunks */
    free(Xw);
    free(X);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_matches_reference),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
