/*
 * test_golden_hnsw.c — the vector index against references
 * (tests/golden/index.txt, from tests/gen/gen_index.py):
 *   - exact search = scikit-learn 1.2.1 NearestNeighbors (brute, euclidean)
 *     on digits: same squared distances at every rank (labels may differ
 *     only inside exact ties);
 *   - HNSW recall@10 (tie-aware) with hnswlib's settings (M=16,
 *     ef_construction=200, 1 thread) is at least hnswlib 0.6.2's, minus
 *     0.005, at every ef in the golden file;
 *   - Fashion-MNIST (10000 train images as base, 500 test images as
 *     queries, pixels / 255): recall@10 >= 0.98 at ef = 100 against exact
 *     search, 2 threads; skipped when Debian's dataset-fashion-mnist is not
 *     installed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/data.h"
#include "cml/index.h"
#include "golden.h"

#define NB     1497
#define K      10
#define FMNIST "/usr/share/datasets/fashion-mnist/"

static double l2(const float *a, const float *b, int64_t d)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++)
        s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return s;
}

static float *digits(int64_t *n, int64_t *d)
{
    double *X, *y;
    test_load_dataset("digits", &X, n, d, &y);
    float *F = malloc((size_t)(*n * *d) * sizeof *F);
    for (int64_t i = 0; i < *n * *d; i++)
        F[i] = (float)X[i];
    free(X);
    free(y);
    return F;
}

static void test_exact_vs_sklearn(void **state)
{
    (void)state;
    golden *g = golden_load("golden/index.txt");
    int64_t n, d, r, c;
    float *X = digits(&n, &d);
    const double *gd = golden_get(g, "exact.l2.dist", &r, &c);
    const double *gi = golden_get(g, "exact.l2.idx", NULL, NULL);
    assert_int_equal(r, n - NB);
    assert_int_equal(c, K);
    int64_t *lab = malloc((size_t)(r * K) * 8);
    float *dist = malloc((size_t)(r * K) * 4);
    assert_int_equal(
        cml_index_exact_search(CML_METRIC_L2, X, NB, d, NULL, X + NB * d, r, K, lab, dist), CML_OK);
    int64_t same = 0;
    for (int64_t i = 0; i < r * K; i++) {
        /* digits are integers, so squared distances are integers, exact in
         * f32; sklearn's went through sqrt and back (rounding) */
        assert_true(dist[i] == rint(gd[i]));
        assert_true(l2(X + (NB + i / K) * d, X + lab[i] * d, d) == rint(gd[i]));
        same += lab[i] == (int64_t)gi[i];
    }
    printf("exact: %lld of %lld labels identical to sklearn (the rest are exact ties)\n",
           (long long)same, (long long)(r * K));
    free(lab);
    free(dist);
    free(X);
    golden_free(g);
}

static void test_recall_vs_hnswlib(void **state)
{
    (void)state;
    golden *g = golden_load("golden/index.txt");
    int64_t n, d, ne, nq = 0;
    float *X = digits(&n, &d);
    nq = n - NB;
    const double *efs = golden_get(g, "efs", NULL, &ne);
    const double *ref = golden_get(g, "hnswlib.l2.recall", NULL, NULL);
    const double *gd = golden_get(g, "exact.l2.dist", NULL, NULL);
    cml_hnsw_params p = cml_hnsw_params_default();
    p.dim = d;
    p.max_elements = NB;
    cml_hnsw *h;
    cml_set_num_threads(1);
    assert_int_equal(cml_hnsw_create(&p, &h), CML_OK);
    assert_int_equal(cml_hnsw_add(h, X, NB, NULL), CML_OK);
    cml_set_num_threads(0);
    int64_t *lab = malloc((size_t)(nq * K) * 8);
    float *dist = malloc((size_t)(nq * K) * 4);
    for (int64_t e = 0; e < ne; e++) {
        cml_hnsw_query o = cml_hnsw_query_default();
        o.ef = (int64_t)efs[e];
        assert_int_equal(cml_hnsw_search_batch(h, X + NB * d, nq, K, &o, lab, dist), CML_OK);
        double hits = 0;
        for (int64_t q = 0; q < nq; q++) {
            double kth = gd[q * K + K - 1];
            for (int j = 0; j < K; j++)
                hits += lab[q * K + j] >= 0 &&
                        l2(X + (NB + q) * d, X + lab[q * K + j] * d, d) <= kth + 1e-6 * (1 + kth);
        }
        double rec = hits / (double)(nq * K);
        printf("ef=%3d  cml recall@10 %.4f  hnswlib %.4f\n", (int)efs[e], rec, ref[e]);
        assert_true(rec >= ref[e] - 0.005);
    }
    cml_hnsw_free(h);
    free(lab);
    free(dist);
    free(X);
    golden_free(g);
}

static float *fmnist(const char *file, int64_t keep, int64_t *d)
{
    double *D;
    int64_t r, c;
    assert_int_equal(cml_idx_read(file, &D, &r, &c), CML_OK);
    assert_true(r >= keep);
    float *F = malloc((size_t)(keep * c) * sizeof *F);
    for (int64_t i = 0; i < keep * c; i++)
        F[i] = (float)(D[i] / 255.0);
    free(D);
    *d = c;
    return F;
}

static void test_fashion_mnist(void **state)
{
    (void)state;
    if (access(FMNIST "train-images-idx3-ubyte.gz", R_OK) != 0) skip();
    const int64_t nb = 10000, nq = 500;
    int64_t d;
    float *B = fmnist(FMNIST "train-images-idx3-ubyte.gz", nb, &d);
    float *Q = fmnist(FMNIST "t10k-images-idx3-ubyte.gz", nq, &d);
    int64_t *gt = malloc((size_t)(nq * K) * 8), *lab = malloc((size_t)(nq * K) * 8);
    float *gd = malloc((size_t)(nq * K) * 4), *dist = malloc((size_t)(nq * K) * 4);
    assert_int_equal(cml_index_exact_search(CML_METRIC_L2, B, nb, d, NULL, Q, nq, K, gt, gd),
                     CML_OK);
    cml_hnsw_params p = cml_hnsw_params_default();
    p.dim = d;
    p.max_elements = nb;
    cml_hnsw *h;
    cml_set_num_threads(2);
    assert_int_equal(cml_hnsw_create(&p, &h), CML_OK);
    assert_int_equal(cml_hnsw_add(h, B, nb, NULL), CML_OK);
    cml_hnsw_query o = cml_hnsw_query_default();
    o.ef = 100;
    assert_int_equal(cml_hnsw_search_batch(h, Q, nq, K, &o, lab, dist), CML_OK);
    cml_set_num_threads(0);
    double hits = 0;
    for (int64_t q = 0; q < nq; q++)
        for (int j = 0; j < K; j++)
            for (int t = 0; t < K; t++)
                if (lab[q * K + j] == gt[q * K + t]) {
                    hits++;
                    break;
                }
    double rec = hits / (double)(nq * K);
    printf("Fashion-MNIST 10000 x 784, 500 queries: recall@10 at ef=100 %.4f\n", rec);
    assert_true(rec >= 0.98);
    cml_hnsw_free(h);
    free(B);
    free(Q);
    free(gt);
    free(lab);
    free(gd);
    free(dist);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_vs_sklearn),
        cmocka_unit_test(test_recall_vs_hnswlib),
        cmocka_unit_test(test_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
