/*
 * test_cluster.c — what users of src/cluster rely on besides sklearn parity:
 * parameter and input errors, the generic model layer (fit -> save -> load
 * -> predict bit-identical), corrupt files, thread-count independence,
 * partial_fit, and metric edge cases.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/kmeans_core.h"
#include "cml/cluster.h"
#include "cml/model.h"
#include "forged.h"
#include "golden.h"

static double *X;
static int64_t n, p;
static double *y;

static int setup(void **state)
{
    (void)state;
    test_load_dataset("iris", &X, &n, &p, &y);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(X);
    free(y);
    return 0;
}

static void tmp_path(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "/tmp/cml_test_cluster_%s_%d.gguf", tag, (int)getpid());
}

static void test_param_errors(void **state)
{
    (void)state;
    cml_matrix Xm = cml_matrix_view(X, n, p);
    cml_kmeans *km;
    cml_kmeans_params kp = cml_kmeans_params_default();
    kp.n_clusters = 151;
    assert_int_equal(cml_kmeans_fit(&kp, &Xm, NULL, &km), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "n_clusters"));
    assert_null(km);
    kp = cml_kmeans_params_default();
    snprintf(kp.init, sizeof kp.init, "kmeans++");
    assert_int_equal(cml_kmeans_fit(&kp, &Xm, NULL, &km), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "init"));
    kp = cml_kmeans_params_default();
    kp.n_clusters = 3;
    cml_matrix bad_init = cml_matrix_view(X, 2, p);
    assert_int_equal(cml_kmeans_fit_from(&kp, &Xm, NULL, &bad_init, &km), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "init centres"));
    double w[150];
    for (int i = 0; i < 150; i++)
        w[i] = 1;
    w[7] = -1;
    assert_int_equal(cml_kmeans_fit(&kp, &Xm, w, &km), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "sample_weight"));

    cml_dbscan *db;
    cml_dbscan_params dp = cml_dbscan_params_default();
    dp.eps = 0;
    assert_int_equal(cml_dbscan_fit(&dp, &Xm, NULL, &db), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "eps"));
    dp.eps = -1;
    assert_int_equal(cml_dbscan_fit(&dp, &Xm, NULL, &db), CML_ERR_ARG);

    /* Through the generic layer: a clear message naming the parameter. */
    cml_model *m;
    assert_int_equal(cml_model_create("dbscan", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "eps", "0"), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "eps"));
    assert_int_equal(cml_model_set_param(m, "metric", "chebyshev"), CML_ERR_ARG);
    cml_model_free(m);

    /* NaN input is rejected up front. */
    double *Xn = malloc(sizeof(double) * (size_t)(n * p));
    memcpy(Xn, X, sizeof(double) * (size_t)(n * p));
    Xn[5 * p + 2] = NAN;
    cml_matrix Xnm = cml_matrix_view(Xn, n, p);
    kp = cml_kmeans_params_default();
    assert_int_equal(cml_kmeans_fit(&kp, &Xnm, NULL, &km), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "NaN"));
    dp = cml_dbscan_params_default();
    assert_int_equal(cml_dbscan_fit(&dp, &Xnm, NULL, &db), CML_ERR_ARG);
    free(Xn);
}

/* fit -> save -> load -> predict/transform bit-identical, for the three
 * clustering estimators. */
static void round_trip(const char *algo, const char *k1, const char *v1)
{
    cml_matrix Xm = cml_matrix_view(X, n, p);
    cml_model *m, *l;
    char path[256];
    tmp_path(path, sizeof path, algo);
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, k1, v1), CML_OK);
    assert_int_equal(cml_model_fit(m, &Xm, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load(path, &l, NULL), CML_OK);
    char *desc = cml_model_describe(l);
    assert_non_null(desc);
    free(desc);
    double *a = malloc(sizeof(double) * (size_t)(n * 8)),
           *b = malloc(sizeof(double) * (size_t)(n * 8));
    cml_status st = cml_model_predict(m, &Xm, a);
    if (strcmp(algo, "dbscan") == 0) {
        /* sklearn's DBSCAN has no predict for new points. */
        assert_int_equal(st, CML_ERR_UNSUPPORTED);
        const cml_dbscan *d0 = cml_model_state(m), *d1 = cml_model_state(l);
        assert_memory_equal(cml_dbscan_labels(d0), cml_dbscan_labels(d1),
                            (size_t)n * sizeof(int64_t));
        int64_t c0, c1;
        const int64_t *i0 = cml_dbscan_core_sample_indices(d0, &c0);
        const int64_t *i1 = cml_dbscan_core_sample_indices(d1, &c1);
        assert_int_equal(c0, c1);
        assert_memory_equal(i0, i1, (size_t)c0 * sizeof(int64_t));
    } else {
        assert_int_equal(st, CML_OK);
        assert_int_equal(cml_model_predict(l, &Xm, b), CML_OK);
        assert_memory_equal(a, b, (size_t)n * sizeof(double));
        int64_t k = cml_model_n_transform_cols(l);
        assert_int_equal(cml_model_transform(m, &Xm, a), CML_OK);
        assert_int_equal(cml_model_transform(l, &Xm, b), CML_OK);
        assert_memory_equal(a, b, (size_t)(n * k) * sizeof(double));
    }
    free(a);
    free(b);
    cml_model_free(m);
    cml_model_free(l);
    unlink(path);
}

static void test_save_load(void **state)
{
    (void)state;
    round_trip("kmeans", "n_clusters", "3");
    round_trip("kmeans", "algorithm", "elkan");
    round_trip("mini_batch_kmeans", "batch_size", "32");
    round_trip("dbscan", "eps", "0.4");
}

/* A file claiming to be a k-means model with inconsistent fields is a
 * format error, not a crash; so is a truncated file. */
static void test_corrupt_files(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "bad");
    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_non_null(w);
    double c[8] = {0};
    int64_t lab[2] = {0, 7}; /* label 7 with k = 2: out of range */
    assert_int_equal(cml_gguf_set_str(w, "cml.kind", "kmeans"), CML_OK);
    assert_int_equal(cml_gguf_set_u32(w, "cml.schema_version", 1), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.steps", 0), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_clusters", 2), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", 4), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_samples", 2), CML_OK);
    assert_int_equal(cml_gguf_set_f64(w, "cml.fit.inertia", 1.0), CML_OK);
    assert_int_equal(cml_gguf_add_f64(w, "cluster_centers", c, 2, 4), CML_OK);
    assert_int_equal(cml_gguf_add_i64(w, "labels", lab, 2), CML_OK);
    assert_int_equal(cml_gguf_write_file(w, path), CML_OK);
    cml_gguf_writer_free(w);
    cml_model *m;
    assert_int_equal(cml_model_load(path, &m, NULL), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "label"));

    /* Truncated real model. */
    cml_matrix Xm = cml_matrix_view(X, n, p);
    assert_int_equal(cml_model_create("kmeans", &m), CML_OK);
    assert_int_equal(cml_model_fit(m, &Xm, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    cml_model_free(m);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fclose(f);
    assert_int_equal(truncate(path, len / 2), 0);
    assert_int_not_equal(cml_model_load(path, &m, NULL), CML_OK);
    unlink(path);
}

/* Same seed, any thread count: bit-identical centres and labels. */
static void test_thread_independence(void **state)
{
    (void)state;
    /* Many accumulation groups and above the parallel threshold: tile iris
     * 400 times with jitter. */
    int64_t N = n * 400;
    double *B = malloc(sizeof(double) * (size_t)(N * p));
    cml_rng rng;
    cml_rng_seed(&rng, 1);
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < p; j++)
            B[i * p + j] = X[(i % n) * p + j] + 0.05 * cml_rng_normal(&rng);
    cml_matrix Bm = cml_matrix_view(B, N, p);
    for (int algo = 0; algo < 2; algo++) {
        cml_kmeans_params kp = cml_kmeans_params_default();
        kp.algorithm = algo;
        kp.n_init = 2;
        cml_kmeans *a, *b;
        cml_set_num_threads(1);
        assert_int_equal(cml_kmeans_fit(&kp, &Bm, NULL, &a), CML_OK);
        cml_set_num_threads(3);
        assert_int_equal(cml_kmeans_fit(&kp, &Bm, NULL, &b), CML_OK);
        assert_memory_equal(cml_kmeans_centers(a), cml_kmeans_centers(b),
                            sizeof(double) * 8 * (size_t)p);
        assert_memory_equal(cml_kmeans_labels(a), cml_kmeans_labels(b),
                            sizeof(int64_t) * (size_t)N);
        assert_true(cml_kmeans_inertia(a) == cml_kmeans_inertia(b));
        /* predict on the training data gives labels_. */
        int64_t *lab = malloc(sizeof(int64_t) * (size_t)N);
        assert_int_equal(cml_kmeans_predict(a, &Bm, lab), CML_OK);
        assert_memory_equal(lab, cml_kmeans_labels(a), sizeof(int64_t) * (size_t)N);
        free(lab);
        cml_kmeans_free(a);
        cml_kmeans_free(b);
    }
    cml_minibatch_kmeans_params mp = cml_minibatch_kmeans_params_default();
    mp.batch_size = 256;
    cml_minibatch_kmeans *ma, *mb;
    cml_set_num_threads(1);
    assert_int_equal(cml_minibatch_kmeans_fit(&mp, &Bm, NULL, &ma), CML_OK);
    cml_set_num_threads(3);
    assert_int_equal(cml_minibatch_kmeans_fit(&mp, &Bm, NULL, &mb), CML_OK);
    assert_memory_equal(cml_minibatch_kmeans_centers(ma), cml_minibatch_kmeans_centers(mb),
                        sizeof(double) * 8 * (size_t)p);
    cml_minibatch_kmeans_free(ma);
    cml_minibatch_kmeans_free(mb);
    cml_dbscan_params dp = cml_dbscan_params_default();
    dp.eps = 0.2;
    cml_dbscan *da, *db;
    Bm.rows = 6000; /* O(n^2) neighbourhoods: 24 query blocks are enough */
    cml_set_num_threads(1);
    assert_int_equal(cml_dbscan_fit(&dp, &Bm, NULL, &da), CML_OK);
    cml_set_num_threads(3);
    assert_int_equal(cml_dbscan_fit(&dp, &Bm, NULL, &db), CML_OK);
    assert_memory_equal(cml_dbscan_labels(da), cml_dbscan_labels(db), sizeof(int64_t) * 6000);
    cml_dbscan_free(da);
    cml_dbscan_free(db);
    cml_set_num_threads(0);
    free(B);
}

/* Bounded Lloyd (KM_LLOYD, what algorithm=lloyd runs) skips rows whose label
 * provably stays; it must be the plain iteration (KM_LLOYD_PLAIN): the same
 * labels, centres (bit for bit), inertia and iteration count. Data: digits,
 * iris tiled with jitter (above the parallel threshold), and points on a
 * small integer grid with duplicates, where exact distance ties between
 * centres are common; uniform weights and weights with zeros; k-means++ and
 * random starts; 1 and 3 threads. */
static void test_bounded_lloyd_is_plain_lloyd(void **state)
{
    (void)state;
    double *D, *dy;
    int64_t dn, dp;
    test_load_dataset("digits", &D, &dn, &dp, &dy);
    int64_t tn = n * 60, gn = 900;
    double *tile = malloc(sizeof(double) * (size_t)(tn * p));
    double *grid = malloc(sizeof(double) * (size_t)(gn * 3));
    cml_rng rng;
    cml_rng_seed(&rng, 3);
    for (int64_t i = 0; i < tn; i++)
        for (int64_t j = 0; j < p; j++)
            tile[i * p + j] = X[(i % n) * p + j] + 0.05 * cml_rng_normal(&rng);
    for (int64_t i = 0; i < gn; i++) {
        grid[i * 3] = (double)(i % 5);
        grid[i * 3 + 1] = (double)((i / 5) % 4);
        grid[i * 3 + 2] = (double)((i * 7) % 3);
    }
    const double *sets[3] = {D, tile, grid};
    int64_t ns[3] = {dn, tn, gn}, ps[3] = {dp, p, 3};
    int ks[3] = {10, 8, 7};
    int checked = 0;
    for (int s = 0; s < 3; s++) {
        int64_t N = ns[s], P = ps[s];
        int k = ks[s];
        cml_matrix M = cml_matrix_view(sets[s], N, P);
        double *Xc, *mean = malloc(sizeof(double) * (size_t)P);
        double *xsq = malloc(sizeof(double) * (size_t)N), *w = malloc(sizeof(double) * (size_t)N);
        assert_int_equal(km_center_copy(&M, &Xc, mean, xsq), CML_OK);
        double tol = km_tolerance_centred(xsq, N, P, 1e-4);
        for (int wv = 0; wv < 2; wv++) {
            for (int64_t i = 0; i < N; i++)
                w[i] = wv && i % 7 == 0 ? 0.0 : 1.0 + wv * (double)(i % 3);
            km_data d = {Xc, w, xsq, N, P, P};
            for (int start = 0; start < 4; start++) {
                cml_rng r;
                cml_rng_seed(&r, (uint64_t)(11 * start + s));
                double *C0 = malloc(sizeof(double) * (size_t)(k * P));
                if (start % 2)
                    assert_int_equal(km_init_random(&d, k, &r, C0), CML_OK);
                else
                    assert_int_equal(km_init_plusplus(&d, k, &r, C0), CML_OK);
                double *C[2];
                int64_t *L[2];
                double in[2];
                int it[2];
                for (int v = 0; v < 2; v++) {
                    C[v] = malloc(sizeof(double) * (size_t)(k * P));
                    L[v] = malloc(sizeof(int64_t) * (size_t)N);
                    memcpy(C[v], C0, sizeof(double) * (size_t)(k * P));
                    cml_set_num_threads(start < 2 ? 1 : 3);
                    assert_int_equal(km_run(&d, k, v ? KM_LLOYD : KM_LLOYD_PLAIN, 300, tol, C[v],
                                            L[v], &in[v], &it[v]),
                                     CML_OK);
                }
                assert_int_equal(it[0], it[1]);
                assert_true(in[0] == in[1]);
                assert_memory_equal(L[0], L[1], sizeof(int64_t) * (size_t)N);
                assert_memory_equal(C[0], C[1], sizeof(double) * (size_t)(k * P));
                checked++;
                for (int v = 0; v < 2; v++) {
                    free(C[v]);
                    free(L[v]);
                }
                free(C0);
            }
        }
        free(Xc);
        free(mean);
        free(xsq);
        free(w);
    }
    cml_set_num_threads(0);
    print_message("bounded Lloyd identical to plain Lloyd on %d runs\n", checked);
    free(D);
    free(dy);
    free(tile);
    free(grid);
}

/* partial_fit over chunks converges to a sensible clustering of iris. */
static void test_partial_fit(void **state)
{
    (void)state;
    cml_minibatch_kmeans_params mp = cml_minibatch_kmeans_params_default();
    mp.n_clusters = 3;
    cml_minibatch_kmeans *m = NULL;
    for (int epoch = 0; epoch < 20; epoch++)
        for (int64_t s = 0; s < n; s += 50) {
            /* rows s, s+3, s+6... of a shuffled order: every chunk mixes classes */
            double chunk[50 * 4];
            for (int64_t i = 0; i < 50; i++)
                memcpy(chunk + i * p, X + ((s + i * 3 + epoch) % n) * p, sizeof(double) * 4);
            cml_matrix C = cml_matrix_view(chunk, 50, p);
            assert_int_equal(cml_minibatch_kmeans_partial_fit(&mp, &m, &C, NULL), CML_OK);
        }
    assert_int_equal(cml_minibatch_kmeans_n_steps(m), 60);
    cml_matrix Xm = cml_matrix_view(X, n, p);
    int64_t lab[150];
    double labd[150], ari;
    assert_int_equal(cml_minibatch_kmeans_predict(m, &Xm, lab), CML_OK);
    for (int i = 0; i < 150; i++)
        labd[i] = (double)lab[i];
    assert_int_equal(cml_adjusted_rand_score(y, labd, n, &ari), CML_OK);
    assert_true(ari > 0.6); /* full k-means on raw iris reaches 0.73 */
    mp.n_clusters = 4;
    assert_int_equal(cml_minibatch_kmeans_partial_fit(&mp, &m, &Xm, NULL), CML_ERR_ARG);
    cml_minibatch_kmeans_free(m);
}

static void test_metric_edges(void **state)
{
    (void)state;
    cml_matrix Xm = cml_matrix_view(X, n, p);
    double one[150], out, perm[150];
    for (int i = 0; i < 150; i++) {
        one[i] = 4;
        perm[i] = 10 - 3 * y[i]; /* a relabelling of y */
    }
    assert_int_equal(cml_silhouette_score(&Xm, one, &out), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "number of labels"));
    assert_int_equal(cml_davies_bouldin_score(&Xm, one, &out), CML_ERR_ARG);
    assert_int_equal(cml_calinski_harabasz_score(&Xm, one, &out), CML_ERR_ARG);
    assert_int_equal(cml_adjusted_rand_score(y, perm, n, &out), CML_OK);
    assert_true(out == 1.0);
    assert_int_equal(cml_normalized_mutual_info_score(y, perm, n, &out), CML_OK);
    assert_true(fabs(out - 1.0) < 1e-15);
    assert_int_equal(cml_normalized_mutual_info_score(one, one, n, &out), CML_OK);
    assert_true(out == 1.0);
    assert_int_equal(cml_homogeneity_score(y, one, n, &out), CML_OK);
    assert_true(out == 0.0);
    assert_int_equal(cml_completeness_score(y, one, n, &out), CML_OK);
    assert_true(out == 1.0);
    one[3] = NAN;
    assert_int_equal(cml_adjusted_rand_score(y, one, n, &out), CML_ERR_ARG);
    assert_int_equal(cml_adjusted_rand_score(y, perm, 0, &out), CML_ERR_ARG);
}

/* Forged files (loader audit): DBSCAN sample / core counts the tensors do
 * not hold are format errors before anything is sized from them. */
static void test_forged_files(void **state)
{
    (void)state;
    int64_t labels[3] = {0, 0, -1}, core[2] = {0, 1};
    double comp[4] = {0, 1, 1, 0};
    for (int t = 0; t < 2; t++) {
        cml_gguf_writer *w = forged_begin("dbscan");
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_samples", t == 0 ? (int64_t)1 << 40 : 3),
                         CML_OK);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", t == 1 ? 1 << 20 : 2), CML_OK);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_core", 2), CML_OK);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_clusters", 1), CML_OK);
        assert_int_equal(cml_gguf_add_i64(w, "labels", labels, 3), CML_OK);
        assert_int_equal(cml_gguf_add_i64(w, "core_sample_indices", core, 2), CML_OK);
        assert_int_equal(cml_gguf_add_f64(w, "components", comp, 2, 2), CML_OK);
        assert_int_equal(forged_load(w), CML_ERR_FORMAT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_errors),  cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_corrupt_files), cmocka_unit_test(test_thread_independence),
        cmocka_unit_test(test_partial_fit),   cmocka_unit_test(test_metric_edges),
        cmocka_unit_test(test_forged_files),  cmocka_unit_test(test_bounded_lloyd_is_plain_lloyd),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
