/*
 * test_neighbors.c — the neighbour index and the k-NN estimators beyond
 * the golden values: exactness against a naive search on data full of exact
 * ties and on data hostile to the float screening (large offsets, tiny and
 * huge scales), identical answers from every algorithm and thread count,
 * radius queries, self queries, sklearn's auto rule, zero-distance weights,
 * save/load round trips, and error paths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/model.h"
#include "cml/neighbors.h"
#include "core/distance.h"
#include "golden.h"

static double *random_data(int64_t n, int64_t d, uint64_t seed, double scale, double offset,
                           int integer)
{
    cml_rng r;
    cml_rng_seed(&r, seed);
    double *X = malloc((size_t)(n * d) * sizeof(double));
    for (int64_t i = 0; i < n * d; i++)
        X[i] = integer ? offset + (double)cml_rng_below(&r, 4) * scale
                       : offset + cml_rng_normal(&r) * scale;
    return X;
}

/* Naive reference: exact rdists in feature order, sorted by (rdist, i). */
static void naive_knn(const cml_dist *m, const double *X, int64_t n, const double *q, int64_t d,
                      int64_t k, double *dist, int64_t *idx)
{
    double *r = malloc((size_t)n * sizeof(double));
    char *used = calloc((size_t)n, 1);
    for (int64_t i = 0; i < n; i++)
        r[i] = cml_dist_rdist(m, q, X + i * d, d);
    for (int64_t a = 0; a < k; a++) {
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++)
            if (!used[i] && (best < 0 || r[i] < r[best])) best = i;
        used[best] = 1;
        idx[a] = best;
        dist[a] = cml_dist_from_rdist(m, r[best]);
    }
    free(r);
    free(used);
}

static void check_against_naive(const double *X, int64_t n, int64_t d, const double *Q, int64_t nq,
                                int64_t k, cml_nn_metric metric, double p, cml_nn_algorithm algo)
{
    cml_nn_params prm = cml_nn_params_default();
    prm.metric = metric;
    prm.p = p;
    prm.algorithm = algo;
    prm.leaf_size = 4;
    cml_nn_index *ix;
    cml_matrix Xm = cml_matrix_view(X, n, d), Qm = cml_matrix_view(Q, nq, d);
    assert_int_equal(cml_nn_index_build(&prm, &Xm, &ix), CML_OK);
    double *dist = malloc((size_t)(nq * k) * sizeof(double)),
           *rd = malloc((size_t)k * sizeof(double));
    int64_t *idx = malloc((size_t)(nq * k) * sizeof(int64_t)),
            *ri = malloc((size_t)k * sizeof(int64_t));
    assert_int_equal(cml_nn_index_kneighbors(ix, &Qm, k, dist, idx), CML_OK);
    cml_dist m = {CML_DIST_EUCLIDEAN, 2.0};
    if (metric == CML_NN_MANHATTAN) m.kind = CML_DIST_MANHATTAN;
    if (metric == CML_NN_MINKOWSKI) m = (cml_dist){CML_DIST_MINKOWSKI, p};
    for (int64_t q = 0; q < nq; q++) {
        naive_knn(&m, X, n, Q + q * d, d, k, rd, ri);
        for (int64_t a = 0; a < k; a++) {
            if (idx[q * k + a] != ri[a] || dist[q * k + a] != rd[a])
                fail_msg("algo %d metric %d query %lld pos %lld: got (%lld, %.17g), want (%lld, "
                         "%.17g)",
                         (int)algo, (int)metric, (long long)q, (long long)a,
                         (long long)idx[q * k + a], dist[q * k + a], (long long)ri[a], rd[a]);
        }
    }
    free(dist);
    free(idx);
    free(rd);
    free(ri);
    cml_nn_index_free(ix);
}

static void test_exact_with_ties(void **state)
{
    (void)state;
    /* values in {0,1,2,3}: distances tie everywhere, so the (distance, index)
     * order is what is being tested, including at the k-th place */
    int64_t n = 300, nq = 40;
    for (int64_t d = 2; d <= 40; d += 19) {
        double *X = random_data(n, d, 1, 1.0, 0.0, 1), *Q = random_data(nq, d, 2, 1.0, 0.0, 1);
        for (int a = 1; a <= 3; a++) {
            check_against_naive(X, n, d, Q, nq, 7, CML_NN_EUCLIDEAN, 2, (cml_nn_algorithm)a);
            check_against_naive(X, n, d, Q, nq, 7, CML_NN_MANHATTAN, 1, (cml_nn_algorithm)a);
            check_against_naive(X, n, d, Q, nq, 7, CML_NN_MINKOWSKI, 3, (cml_nn_algorithm)a);
        }
        free(X);
        free(Q);
    }
}

static void test_screening_hostile(void **state)
{
    (void)state;
    /* float screening (d > 15) with a big common offset, tiny and huge
     * scales, and duplicated rows: still exact */
    int64_t n = 500, nq = 30, d = 24;
    double scales[] = {1e-30, 1.0, 1e30}, offsets[] = {0.0, 1e6};
    for (int s = 0; s < 3; s++)
        for (int o = 0; o < 2; o++) {
            double *X = random_data(n, d, 3, scales[s], offsets[o] * scales[s], 0);
            memcpy(X + 10 * d, X + 20 * d, (size_t)d * sizeof(double));
            double *Q = random_data(nq, d, 4, scales[s], offsets[o] * scales[s], 0);
            memcpy(Q, X + 20 * d, (size_t)d * sizeof(double));
            check_against_naive(X, n, d, Q, nq, 5, CML_NN_EUCLIDEAN, 2, CML_NN_BRUTE);
            check_against_naive(X, n, d, Q, nq, 5, CML_NN_EUCLIDEAN, 2, CML_NN_KD_TREE);
            free(X);
            free(Q);
        }
    /* a query far outside the training range (float overflow guard) */
    double *X = random_data(n, d, 5, 1.0, 0.0, 0), *Q = random_data(2, d, 6, 1e200, 0.0, 0);
    check_against_naive(X, n, d, Q, 2, 3, CML_NN_EUCLIDEAN, 2, CML_NN_BRUTE);
    free(X);
    free(Q);
}

static void test_multi_tile(void **state)
{
    (void)state;
    /* n > 2048 training rows: several screening tiles, the threshold seeded
     * from the first tile, compactions across tiles, exact ties (integer
     * data) and a k larger than a tile (no seeding, long lists) */
    int64_t n = 5000, d = 40, nq = 12;
    double *X = random_data(n, d, 21, 1.0, 0.0, 1), *Q = random_data(nq, d, 22, 1.0, 0.0, 1);
    for (int threads = 1; threads <= 2; threads++) {
        cml_set_num_threads(threads);
        check_against_naive(X, n, d, Q, nq, 7, CML_NN_EUCLIDEAN, 2, CML_NN_BRUTE);
    }
    cml_set_num_threads(0);
    check_against_naive(X, n, d, Q, 3, 2500, CML_NN_EUCLIDEAN, 2, CML_NN_BRUTE);
    free(X);
    free(Q);

    /* the true neighbours all in the last tile, the first tiles far away:
     * the seeded threshold is loose and must still keep them */
    X = random_data(n, d, 23, 1.0, 0.0, 0);
    for (int64_t i = 0; i < 4096 * d; i++)
        X[i] += 50.0;
    Q = malloc((size_t)(nq * d) * sizeof(double));
    for (int64_t q = 0; q < nq; q++)
        for (int64_t j = 0; j < d; j++)
            Q[q * d + j] = X[(4100 + 70 * q) * d + j] + 1e-3 * (double)j;
    check_against_naive(X, n, d, Q, nq, 5, CML_NN_EUCLIDEAN, 2, CML_NN_BRUTE);

    /* a row far larger than the rows the build samples for its float
     * scale (row 4999 is not sampled): the build rescales, still exact */
    for (int64_t j = 0; j < d; j++)
        X[4999 * d + j] = 1e25 * (double)(j + 1);
    memcpy(Q + d, X + 4999 * d, (size_t)d * sizeof(double));
    check_against_naive(X, n, d, Q, nq, 5, CML_NN_EUCLIDEAN, 2, CML_NN_BRUTE);

    /* a NaN in an unsampled row is still refused, naming its place */
    X[4999 * d + 3] = NAN;
    cml_nn_params p = cml_nn_params_default();
    p.algorithm = CML_NN_BRUTE;
    cml_matrix Xm = cml_matrix_view(X, n, d);
    cml_nn_index *ix = NULL;
    assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_ERR_ARG);
    assert_null(ix);
    assert_non_null(strstr(cml_last_error(), "row 5000, column 4"));
    free(X);
    free(Q);
}

static void test_cosine(void **state)
{
    (void)state;
    int64_t n = 200, nq = 20;
    for (int64_t d = 3; d <= 33; d += 30) {
        double *X = random_data(n, d, 7, 1.0, 0.0, 0), *Q = random_data(nq, d, 8, 1.0, 0.0, 0);
        memset(X + 5 * d, 0, (size_t)d * sizeof(double)); /* a zero row: distance 1 */
        cml_nn_params p = cml_nn_params_default();
        p.metric = CML_NN_COSINE;
        cml_nn_index *ix;
        cml_matrix Xm = cml_matrix_view(X, n, d), Qm = cml_matrix_view(Q, nq, d);
        assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_OK);
        assert_int_equal(cml_nn_index_algorithm(ix), CML_NN_BRUTE);
        double dist[20 * 200];
        int64_t idx[20 * 200];
        assert_int_equal(cml_nn_index_kneighbors(ix, &Qm, n, dist, idx), CML_OK);
        for (int64_t q = 0; q < nq; q++) {
            for (int64_t a = 0; a < n; a++) {
                const double *x = X + idx[q * n + a] * d, *qq = Q + q * d;
                double s = 0, nx = 0, nqq = 0;
                for (int64_t j = 0; j < d; j++) {
                    s += x[j] * qq[j];
                    nx += x[j] * x[j];
                    nqq += qq[j] * qq[j];
                }
                double want = nx > 0 ? 1.0 - s / sqrt(nx * nqq) : 1.0;
                assert_true(fabs(dist[q * n + a] - want) < 1e-14);
                if (a) assert_true(dist[q * n + a] >= dist[q * n + a - 1]);
            }
        }
        cml_nn_index_free(ix);
        free(X);
        free(Q);
    }
}

static void test_threads_and_algorithms_agree(void **state)
{
    (void)state;
    int64_t n = 2000, nq = 300, d = 8, k = 10;
    double *X = random_data(n, d, 9, 1.0, 0.0, 1), *Q = random_data(nq, d, 10, 1.0, 0.0, 1);
    cml_matrix Xm = cml_matrix_view(X, n, d), Qm = cml_matrix_view(Q, nq, d);
    double *d0 = malloc((size_t)(nq * k) * sizeof(double)),
           *d1 = malloc((size_t)(nq * k) * sizeof(double));
    int64_t *i0 = malloc((size_t)(nq * k) * sizeof(int64_t)),
            *i1 = malloc((size_t)(nq * k) * sizeof(int64_t));
    for (int threads = 1; threads <= 3; threads++) {
        cml_set_num_threads(threads);
        for (int a = 1; a <= 3; a++) {
            cml_nn_params p = cml_nn_params_default();
            p.algorithm = (cml_nn_algorithm)a;
            cml_nn_index *ix;
            assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_OK);
            assert_int_equal(cml_nn_index_kneighbors(ix, &Qm, k, d1, i1), CML_OK);
            if (threads == 1 && a == 1) {
                memcpy(d0, d1, (size_t)(nq * k) * sizeof(double));
                memcpy(i0, i1, (size_t)(nq * k) * sizeof(int64_t));
            }
            assert_memory_equal(d0, d1, (size_t)(nq * k) * sizeof(double));
            assert_memory_equal(i0, i1, (size_t)(nq * k) * sizeof(int64_t));
            cml_nn_index_free(ix);
        }
    }
    cml_set_num_threads(0);
    free(X);
    free(Q);
    free(d0);
    free(d1);
    free(i0);
    free(i1);
}

static void test_radius(void **state)
{
    (void)state;
    int64_t n = 400, nq = 25;
    for (int64_t d = 3; d <= 23; d += 20) {
        double *X = random_data(n, d, 11, 1.0, 0.0, 1), *Q = random_data(nq, d, 12, 1.0, 0.0, 1);
        cml_matrix Xm = cml_matrix_view(X, n, d), Qm = cml_matrix_view(Q, nq, d);
        double radius = sqrt((double)d); /* lands exactly on many integer distances */
        for (int metric = 0; metric < 3; metric++)
            for (int a = 1; a <= 3; a++) {
                cml_nn_params p = cml_nn_params_default();
                p.algorithm = (cml_nn_algorithm)a;
                p.metric = (cml_nn_metric)metric;
                p.p = metric == 0 ? 3.0 : 2.0;
                cml_dist m = {metric == 0 ? CML_DIST_MINKOWSKI
                                          : (metric == 1 ? CML_DIST_EUCLIDEAN : CML_DIST_MANHATTAN),
                              p.p};
                cml_nn_index *ix;
                cml_nn_radius_result *r;
                assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_OK);
                assert_int_equal(cml_nn_index_radius_neighbors(ix, &Qm, radius, &r), CML_OK);
                double rr = cml_dist_to_rdist(&m, radius);
                for (int64_t q = 0; q < nq; q++) {
                    int64_t cnt = 0, o = r->offsets[q];
                    for (int64_t i = 0; i < n; i++)
                        cnt += cml_dist_rdist(&m, Q + q * d, X + i * d, d) <= rr;
                    assert_int_equal(r->offsets[q + 1] - o, cnt);
                    for (int64_t a2 = o; a2 < r->offsets[q + 1]; a2++) {
                        assert_true(r->distances[a2] <= radius * (1 + 1e-15));
                        if (a2 > o)
                            assert_true(r->distances[a2] > r->distances[a2 - 1] ||
                                        (r->distances[a2] == r->distances[a2 - 1] &&
                                         r->indices[a2] > r->indices[a2 - 1]));
                    }
                }
                cml_nn_radius_result_free(r);
                cml_nn_index_free(ix);
            }
        free(X);
        free(Q);
    }
}

static void test_self_and_auto(void **state)
{
    (void)state;
    int64_t n = 100, d = 3, k = 4;
    double *X = random_data(n, d, 13, 1.0, 0.0, 0);
    memcpy(X + 7 * d, X + 3 * d, (size_t)d * sizeof(double)); /* duplicate of row 3 */
    cml_matrix Xm = cml_matrix_view(X, n, d);
    for (int a = 1; a <= 3; a++) {
        cml_nn_params p = cml_nn_params_default();
        p.algorithm = (cml_nn_algorithm)a;
        cml_nn_index *ix;
        assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_OK);
        double dist[100 * 4];
        int64_t idx[100 * 4];
        assert_int_equal(cml_nn_index_kneighbors_self(ix, k, dist, idx), CML_OK);
        for (int64_t i = 0; i < n; i++)
            for (int64_t b = 0; b < k; b++)
                assert_true(idx[i * k + b] != i);
        assert_int_equal(idx[3 * k], 7);
        assert_int_equal(idx[7 * k], 3);
        assert_true(dist[3 * k] == 0.0);
        assert_int_equal(cml_nn_index_kneighbors_self(ix, n, dist, idx), CML_ERR_ARG);
        cml_nn_index_free(ix);
    }
    /* sklearn 1.2's auto rule */
    cml_nn_params p = cml_nn_params_default();
    cml_nn_index *ix;
    assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_OK);
    assert_int_equal(cml_nn_index_algorithm(ix), CML_NN_KD_TREE);
    cml_nn_index_free(ix);
    p.n_neighbors = 50; /* >= n / 2 */
    assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_OK);
    assert_int_equal(cml_nn_index_algorithm(ix), CML_NN_BRUTE);
    cml_nn_index_free(ix);
    double *W = random_data(40, 16, 14, 1.0, 0.0, 0);
    cml_matrix Wm = cml_matrix_view(W, 40, 16);
    p = cml_nn_params_default();
    assert_int_equal(cml_nn_index_build(&p, &Wm, &ix), CML_OK); /* 16 features > 15 */
    assert_int_equal(cml_nn_index_algorithm(ix), CML_NN_BRUTE);
    cml_nn_index_free(ix);
    free(W);
    free(X);
}

static void test_errors(void **state)
{
    (void)state;
    double X[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    cml_matrix Xm = cml_matrix_view(X, 4, 3);
    cml_nn_params p = cml_nn_params_default();
    cml_nn_index *ix;
    p.metric = CML_NN_COSINE;
    p.algorithm = CML_NN_KD_TREE;
    assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "cosine"));
    p = cml_nn_params_default();
    p.leaf_size = 0;
    assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "leaf_size"));
    p = cml_nn_params_default();
    p.p = 0.5;
    assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_ERR_ARG);
    p = cml_nn_params_default();
    X[4] = NAN;
    assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_ERR_ARG);
    X[4] = 4;
    assert_int_equal(cml_nn_index_build(&p, &Xm, &ix), CML_OK);
    double dist[8];
    int64_t idx[8];
    assert_int_equal(cml_nn_index_kneighbors(ix, &Xm, 5, dist, idx), CML_ERR_ARG);
    assert_int_equal(cml_nn_index_kneighbors(ix, &Xm, 0, dist, idx), CML_ERR_ARG);
    cml_matrix bad = cml_matrix_view(X, 2, 2);
    assert_int_equal(cml_nn_index_kneighbors(ix, &bad, 1, dist, idx), CML_ERR_ARG);
    double q[3] = {0, INFINITY, 0};
    cml_matrix Qm = cml_matrix_view(q, 1, 3);
    assert_int_equal(cml_nn_index_kneighbors(ix, &Qm, 1, dist, idx), CML_ERR_ARG);
    cml_nn_radius_result *r;
    q[1] = 0;
    assert_int_equal(cml_nn_index_radius_neighbors(ix, &Qm, -1.0, &r), CML_ERR_ARG);
    cml_nn_index_free(ix);
    cml_nn_index_free(NULL);

    /* estimator level */
    cml_model *m;
    assert_int_equal(cml_model_create("knn", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "n_neighbors", "0"), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "n_neighbors"));
    assert_int_equal(cml_model_set_param(m, "metric", "chebyshev"), CML_ERR_ARG);
    assert_int_equal(cml_model_set_param(m, "weights", "gaussian"), CML_ERR_ARG);
    assert_int_equal(cml_model_set_param(m, "n_neighbors", "5"), CML_OK);
    double y[4] = {0, 1, 0, 1};
    assert_int_equal(cml_model_fit(m, &Xm, y, NULL), CML_ERR_ARG); /* 5 > 4 rows */
    assert_non_null(strstr(cml_last_error(), "n_neighbors"));
    assert_int_equal(cml_model_set_param(m, "n_neighbors", "2"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "metric", "cosine"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "algorithm", "ball_tree"), CML_OK);
    assert_int_equal(cml_model_fit(m, &Xm, y, NULL), CML_ERR_ARG);
    assert_int_equal(cml_model_set_param(m, "algorithm", "auto"), CML_OK);
    cml_fit_opts opts = {y, NULL, NULL};
    assert_int_equal(cml_model_fit(m, &Xm, y, &opts), CML_ERR_UNSUPPORTED);
    assert_int_equal(cml_model_fit(m, &Xm, y, NULL), CML_OK);
    cml_model_free(m);
}

static void test_distance_weights_and_labels(void **state)
{
    (void)state;
    /* labels -1/+1; a query equal to training row 2 votes with it alone */
    double X[10] = {0, 0, 1, 0, 5, 5, 6, 5, 0, 1};
    double y[5] = {-1, -1, 1, 1, -1};
    cml_matrix Xm = cml_matrix_view(X, 5, 2);
    cml_knn_params p = cml_knn_params_default();
    p.n_neighbors = 4;
    p.weights = CML_KNN_DISTANCE;
    cml_knn *m;
    assert_int_equal(cml_knn_classifier_fit(&p, &Xm, y, &m), CML_OK);
    assert_int_equal(cml_knn_n_classes(m), 2);
    assert_true(cml_knn_classes(m)[0] == -1 && cml_knn_classes(m)[1] == 1);
    double q[4] = {5, 5, 0.1, 0.1}, pred[2], proba[4];
    cml_matrix Qm = cml_matrix_view(q, 2, 2);
    assert_int_equal(cml_knn_predict(m, &Qm, pred), CML_OK);
    assert_int_equal(cml_knn_predict_proba(m, &Qm, proba), CML_OK);
    assert_true(pred[0] == 1 && proba[0] == 0.0 && proba[1] == 1.0);
    assert_true(pred[1] == -1);
    cml_knn_free(m);
    /* uniform vote tie (2 vs 2) goes to the smaller class */
    p.weights = CML_KNN_UNIFORM;
    assert_int_equal(cml_knn_classifier_fit(&p, &Xm, y, &m), CML_OK);
    double q2[2] = {3, 2.5};
    cml_matrix Q2 = cml_matrix_view(q2, 1, 2);
    assert_int_equal(cml_knn_predict(m, &Q2, pred), CML_OK);
    assert_true(pred[0] == -1);
    cml_knn_free(m);
}

static void round_trip(const char *algo, const char *const *kv, int proba)
{
    double *X, *y;
    int64_t n, d;
    test_load_dataset(algo[0] == 'k' && strstr(algo, "regressor") ? "diabetes" : "wine", &X, &n, &d,
                      &y);
    cml_model *m, *m2;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (int i = 0; kv[i]; i += 2)
        assert_int_equal(cml_model_set_param(m, kv[i], kv[i + 1]), CML_OK);
    cml_matrix Xm = cml_matrix_view(X, n, d);
    assert_int_equal(cml_model_fit(m, &Xm, y, NULL), CML_OK);
    char path[] = "/tmp/cml_knn_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load(path, &m2, NULL), CML_OK);
    int64_t C = proba ? cml_model_n_classes(m) : 1;
    double *a = malloc((size_t)(n * C) * sizeof(double)),
           *b = malloc((size_t)(n * C) * sizeof(double));
    assert_int_equal(cml_model_predict(m, &Xm, a), CML_OK);
    assert_int_equal(cml_model_predict(m2, &Xm, b), CML_OK);
    assert_memory_equal(a, b, (size_t)n * sizeof(double));
    if (proba) {
        assert_int_equal(cml_model_predict_proba(m, &Xm, a), CML_OK);
        assert_int_equal(cml_model_predict_proba(m2, &Xm, b), CML_OK);
        assert_memory_equal(a, b, (size_t)(n * C) * sizeof(double));
    }
    char *desc = cml_model_describe(m2);
    assert_non_null(strstr(desc, "fit_method"));
    free(desc);
    /* truncated file: a format error, never a crash */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    f = fopen(path, "wb");
    fwrite(buf, 1, (size_t)len / 2, f);
    fclose(f);
    cml_model *m3 = NULL;
    assert_int_not_equal(cml_model_load(path, &m3, NULL), CML_OK);
    assert_null(m3);
    unlink(path);
    free(buf);
    free(a);
    free(b);
    cml_model_free(m);
    cml_model_free(m2);
    free(X);
    free(y);
}

static void test_save_load(void **state)
{
    (void)state;
    const char *a[] = {"n_neighbors", "7", "weights", "distance", NULL};
    const char *b[] = {"algorithm", "ball_tree", "metric", "manhattan", NULL};
    const char *c[] = {"metric", "cosine", NULL};
    const char *r[] = {"weights", "distance", "p", "3", NULL};
    round_trip("k_neighbors_classifier", a, 1);
    round_trip("knn", b, 1);
    round_trip("kneighbors_classifier", c, 1);
    round_trip("k_neighbors_regressor", r, 0);
}

static void test_pairwise(void **state)
{
    (void)state;
    double *X = random_data(13, 5, 15, 1.0, 0.0, 0), *Y = random_data(7, 5, 16, 1.0, 0.0, 0);
    cml_matrix Xm = cml_matrix_view(X, 13, 5), Ym = cml_matrix_view(Y, 7, 5);
    double out[13 * 7];
    cml_dist kinds[] = {{CML_DIST_EUCLIDEAN, 2},
                        {CML_DIST_SQEUCLIDEAN, 2},
                        {CML_DIST_MANHATTAN, 1},
                        {CML_DIST_MINKOWSKI, 3},
                        {CML_DIST_COSINE, 2}};
    for (int k = 0; k < 5; k++) {
        assert_int_equal(cml_dist_pairwise(&kinds[k], &Xm, &Ym, out, 7), CML_OK);
        for (int i = 0; i < 13; i++)
            for (int j = 0; j < 7; j++) {
                double want = cml_dist_eval(&kinds[k], X + i * 5, Y + j * 5, 5);
                assert_true(fabs(out[i * 7 + j] - want) < 1e-12 * (1 + want));
            }
    }
    cml_matrix Bad = cml_matrix_view(Y, 7, 4);
    assert_int_equal(cml_dist_pairwise(&kinds[0], &Xm, &Bad, out, 7), CML_ERR_ARG);
    free(X);
    free(Y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_with_ties),
        cmocka_unit_test(test_screening_hostile),
        cmocka_unit_test(test_multi_tile),
        cmocka_unit_test(test_cosine),
        cmocka_unit_test(test_threads_and_algorithms_agree),
        cmocka_unit_test(test_radius),
        cmocka_unit_test(test_self_and_auto),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_distance_weights_and_labels),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_pairwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
