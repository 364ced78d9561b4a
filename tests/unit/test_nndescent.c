/*
 * test_nndescent.c — NN-descent (src/decomp/nndescent.c) against the exact
 * kNN of the shared neighbour index on digits: recall@k >= 0.9 for the three
 * metrics, bit-identical graphs for any thread count, rows sorted with the
 * point itself excluded, argument errors; and UMAP forced onto NN-descent
 * keeps trustworthiness >= 0.95 on digits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/core.h"
#include "cml/embed.h"
#include "cml/neighbors.h"
#include "decomp/nndescent.h"
#include "golden.h"

static double *DIGITS, *DY;
static int64_t n_dig, p_dig;

static int setup(void **state)
{
    (void)state;
    test_load_dataset("digits", &DIGITS, &n_dig, &p_dig, &DY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(DIGITS);
    free(DY);
    return 0;
}

/* Share of the exact k nearest (self excluded) that NN-descent found. */
static double recall(const int64_t *exact, const int64_t *approx, int64_t n, int64_t k)
{
    int64_t hit = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t a = 0; a < k; a++)
            for (int64_t b = 0; b < k; b++)
                if (approx[i * k + a] == exact[i * k + b]) {
                    hit++;
                    break;
                }
    return (double)hit / (double)(n * k);
}

static void test_recall(void **state)
{
    (void)state;
    const int64_t k = 14; /* UMAP's n_neighbors = 15 without the point itself */
    cml_matrix X = cml_matrix_view(DIGITS, n_dig, p_dig);
    const cml_embed_metric metrics[3] = {CML_EMBED_EUCLIDEAN, CML_EMBED_MANHATTAN,
                                         CML_EMBED_COSINE};
    const cml_nn_metric nn_metrics[3] = {CML_NN_EUCLIDEAN, CML_NN_MANHATTAN, CML_NN_COSINE};
    double *d = malloc(sizeof(double) * (size_t)(n_dig * k));
    double *de = malloc(sizeof(double) * (size_t)(n_dig * k));
    int64_t *ix = malloc(sizeof(int64_t) * (size_t)(n_dig * k));
    int64_t *ie = malloc(sizeof(int64_t) * (size_t)(n_dig * k));
    for (int m = 0; m < 3; m++) {
        cml_nn_params np = cml_nn_params_default();
        np.algorithm = CML_NN_BRUTE;
        np.metric = nn_metrics[m];
        cml_nn_index *index;
        assert_int_equal(cml_nn_index_build(&np, &X, &index), CML_OK);
        assert_int_equal(cml_nn_index_kneighbors_self(index, k, de, ie), CML_OK);
        cml_nn_index_free(index);
        cml_nnd_params prm = cml_nnd_params_default();
        int it = 0;
        assert_int_equal(cml_nnd_knn(&X, metrics[m], k, &prm, 42, d, ix, &it), CML_OK);
        double r = recall(ie, ix, n_dig, k);
        print_message("metric %d: recall@%lld = %.4f after %d iterations\n", m, (long long)k, r,
                      it);
        assert_true(r >= 0.9);
        assert_true(it >= 1);
        for (int64_t i = 0; i < n_dig; i++)
            for (int64_t a = 0; a < k; a++) {
                assert_true(ix[i * k + a] != i && ix[i * k + a] >= 0 && ix[i * k + a] < n_dig);
                if (a > 0) assert_true(d[i * k + a] >= d[i * k + a - 1]);
                /* a found neighbour's distance is its true distance: it can
                 * never beat the exact a-th nearest */
                assert_true(d[i * k + a] >= de[i * k + a] - 1e-9 * (1.0 + de[i * k + a]));
            }
    }
    free(d);
    free(de);
    free(ix);
    free(ie);
}

static void test_threads_and_seed(void **state)
{
    (void)state;
    const int64_t k = 10;
    cml_matrix X = cml_matrix_view(DIGITS, n_dig, p_dig);
    size_t nd = sizeof(double) * (size_t)(n_dig * k), ni = sizeof(int64_t) * (size_t)(n_dig * k);
    double *d1 = malloc(nd), *d2 = malloc(nd), *d3 = malloc(nd);
    int64_t *i1 = malloc(ni), *i2 = malloc(ni), *i3 = malloc(ni);
    cml_nnd_params prm = cml_nnd_params_default();
    cml_set_num_threads(1);
    assert_int_equal(cml_nnd_knn(&X, CML_EMBED_EUCLIDEAN, k, &prm, 7, d1, i1, NULL), CML_OK);
    cml_set_num_threads(3);
    assert_int_equal(cml_nnd_knn(&X, CML_EMBED_EUCLIDEAN, k, &prm, 7, d2, i2, NULL), CML_OK);
    assert_int_equal(cml_nnd_knn(&X, CML_EMBED_EUCLIDEAN, k, &prm, 8, d3, i3, NULL), CML_OK);
    cml_set_num_threads(0);
    assert_memory_equal(i1, i2, ni);
    assert_memory_equal(d1, d2, nd);
    /* another seed: another random start, the same quality */
    assert_true(recall(i1, i3, n_dig, k) >= 0.9);
    free(d1);
    free(d2);
    free(d3);
    free(i1);
    free(i2);
    free(i3);
}

static void test_errors_and_small(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(DIGITS, 20, p_dig);
    double d[20 * 19];
    int64_t ix[20 * 19];
    cml_nnd_params prm = cml_nnd_params_default();
    assert_int_equal(cml_nnd_knn(&X, CML_EMBED_EUCLIDEAN, 20, &prm, 0, d, ix, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "k ("));
    assert_int_equal(cml_nnd_knn(&X, CML_EMBED_EUCLIDEAN, 0, &prm, 0, d, ix, NULL), CML_ERR_ARG);
    /* k = n - 1: every other point, exactly */
    assert_int_equal(cml_nnd_knn(&X, CML_EMBED_EUCLIDEAN, 19, &prm, 0, d, ix, NULL), CML_OK);
    for (int64_t i = 0; i < 20; i++) {
        int64_t seen = 0;
        for (int64_t a = 0; a < 19; a++)
            seen |= (int64_t)1 << ix[i * 19 + a];
        assert_true(seen == (((int64_t)1 << 20) - 1) - ((int64_t)1 << i));
    }
}

static void test_umap_nn_descent(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(DIGITS, n_dig, p_dig);
    cml_umap_params up = cml_umap_params_default();
    up.knn = CML_UMAP_KNN_NN_DESCENT;
    up.n_epochs = 200;
    cml_umap *m;
    assert_int_equal(cml_umap_fit(&up, &X, &m), CML_OK);
    cml_matrix E = cml_matrix_view(cml_umap_embedding(m), n_dig, 2);
    double tw;
    assert_int_equal(cml_trustworthiness(&X, &E, 5, &tw), CML_OK);
    print_message("UMAP on NN-descent: trustworthiness(5) = %.4f\n", tw);
    assert_true(tw >= 0.95);
    cml_umap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recall),
        cmocka_unit_test(test_threads_and_seed),
        cmocka_unit_test(test_errors_and_small),
        cmocka_unit_test(test_umap_nn_descent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
