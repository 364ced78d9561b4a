/*
 * test_hdbscan.c — HDBSCAN (sklearn 1.3 semantics). scikit-learn 1.2.1, the
 * reference on this machine, has no HDBSCAN, so this test checks:
 *  - a case computed by hand (seven points on a line: 0 1 2 | 10 11 12 | 30):
 *    the whole condensed tree, row by row, labels and probabilities, and
 *    how each parameter changes the answer (leaf, max_cluster_size,
 *    cluster_selection_epsilon with and without allow_single_cluster,
 *    min_samples);
 *  - real data: on iris (min_cluster_size 10) the 50 setosa rows form one
 *    cluster of their own and the other 100 rows a second one — setosa's
 *    petals are separated by a gap (petal length 1.9 -> 3.0) far wider than
 *    any spacing inside either group;
 *  - varying density, the case DBSCAN cannot handle with one eps: two tight
 *    blobs and a wide one are all recovered (ARI >= 0.95) while DBSCAN with
 *    the eps that separates the tight blobs drops most of the wide one;
 *  - properties: labels 0..k-1 or -1, every cluster >= min_cluster_size
 *    rows, probabilities in [0, 1] and 0 for noise, same partition after a
 *    row permutation, same labels with 1 and 2 threads;
 *  - fit -> save -> load through cml_model: labels identical;
 *  - errors: bad parameters, min_samples > rows, NaN, a single row.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cml/cluster.h"
#include "cml/hdbscan.h"
#include "cml/model.h"
#include "helpers/golden.h"

static const double line7[7] = {0, 1, 2, 10, 11, 12, 30};

static cml_hdbscan *fit_line(cml_hdbscan_params p)
{
    cml_matrix X = cml_matrix_view(line7, 7, 1);
    cml_hdbscan *m;
    assert_int_equal(cml_hdbscan_fit(&p, &X, &m), CML_OK);
    return m;
}

static void assert_labels(const cml_hdbscan *m, const int64_t *want, int64_t n)
{
    const int64_t *got = cml_hdbscan_labels(m);
    for (int64_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("row %lld: label %lld, want %lld", (long long)i, (long long)got[i],
                     (long long)want[i]);
}

static void test_hand_computed(void **state)
{
    (void)state;
    cml_hdbscan_params p = cml_hdbscan_params_default();
    p.min_cluster_size = 3;
    cml_hdbscan *m = fit_line(p);
    /* min_samples = 3 (its default, min_cluster_size): core distances (3rd
     * nearest, self included) 2,1,2,2,1,2,19, so the mutual reachability of
     * the spanning-tree edges is 2 (inside each triple), 8 (2 -> 10) and 19
     * (12 -> 30). The root (label 7) loses point 6 at lambda 1/19 and splits
     * at 1/8 into clusters 8 and 9, whose points fall out at lambda 1/2. */
    const int64_t *par, *ch, *sz;
    const double *lam;
    int64_t rows = cml_hdbscan_condensed_tree(m, &par, &ch, &lam, &sz);
    const int64_t wp[9] = {7, 7, 7, 8, 8, 8, 9, 9, 9}, wc[9] = {6, 8, 9, 0, 1, 2, 3, 4, 5},
                  ws[9] = {1, 3, 3, 1, 1, 1, 1, 1, 1};
    const double wl[9] = {1.0 / 19, 0.125, 0.125, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    assert_int_equal(rows, 9);
    for (int r = 0; r < 9; r++) {
        assert_int_equal(par[r], wp[r]);
        assert_int_equal(ch[r], wc[r]);
        assert_int_equal(sz[r], ws[r]);
        assert_true(fabs(lam[r] - wl[r]) < 1e-15);
    }
    const int64_t two[7] = {0, 0, 0, 1, 1, 1, -1};
    assert_labels(m, two, 7);
    assert_int_equal(cml_hdbscan_n_clusters(m), 2);
    /* Stabilities 3 (1/2 - 1/8) = 1.125 each; probabilities = lambda / the
     * cluster's largest lambda = 1; noise 0. */
    const double *prob = cml_hdbscan_probabilities(m);
    for (int i = 0; i < 6; i++)
        assert_true(prob[i] == 1.0);
    assert_true(prob[6] == 0.0);
    cml_hdbscan_free(m);

    /* leaf selection: the same two leaves */
    cml_hdbscan_params q = p;
    q.cluster_selection_method = CML_HDBSCAN_LEAF;
    m = fit_line(q);
    assert_labels(m, two, 7);
    cml_hdbscan_free(m);
    /* allow_single_cluster: the root's stability (1/19 + 6/8 = 0.803) loses
     * to its children's (2.25): unchanged */
    q = p;
    q.allow_single_cluster = 1;
    m = fit_line(q);
    assert_labels(m, two, 7);
    cml_hdbscan_free(m);
    /* max_cluster_size 2: neither 3-point cluster may be selected and the
     * root is not allowed: everything is noise */
    q = p;
    q.max_cluster_size = 2;
    m = fit_line(q);
    const int64_t none[7] = {-1, -1, -1, -1, -1, -1, -1};
    assert_labels(m, none, 7);
    assert_int_equal(cml_hdbscan_n_clusters(m), 0);
    cml_hdbscan_free(m);
    /* epsilon 9 > the split distance 8: both clusters merge upwards; their
     * parent is the root, which is only allowed with allow_single_cluster —
     * then points with lambda >= 1/9 (all but 30, at 1/19) are cluster 0 */
    q = p;
    q.cluster_selection_epsilon = 9;
    m = fit_line(q);
    assert_labels(m, two, 7);
    cml_hdbscan_free(m);
    q.allow_single_cluster = 1;
    m = fit_line(q);
    const int64_t one[7] = {0, 0, 0, 0, 0, 0, -1};
    assert_labels(m, one, 7);
    cml_hdbscan_free(m);
    /* epsilon below 8 changes nothing */
    q.cluster_selection_epsilon = 7.5;
    m = fit_line(q);
    assert_labels(m, two, 7);
    cml_hdbscan_free(m);
    /* min_samples 1: core distance 0, plain single linkage: the same shape
     * at the plain distances (30 leaves at 1/18, points at 1/1) */
    q = p;
    q.min_samples = 1;
    m = fit_line(q);
    assert_labels(m, two, 7);
    assert_int_equal(cml_hdbscan_condensed_tree(m, NULL, NULL, &lam, NULL), 9);
    assert_true(fabs(lam[0] - 1.0 / 18) < 1e-15 && lam[1] == 0.125 && lam[8] == 1.0);
    cml_hdbscan_free(m);
    /* min_cluster_size 4: no split keeps two big sides; the root sheds
     * everything, and without allow_single_cluster nothing is a cluster */
    q = p;
    q.min_cluster_size = 4;
    m = fit_line(q);
    assert_labels(m, none, 7);
    cml_hdbscan_free(m);
}

/* Properties every result must have. */
static void check_properties(const cml_hdbscan *m, int64_t mcs)
{
    int64_t n = cml_hdbscan_n_samples(m), k = cml_hdbscan_n_clusters(m);
    const int64_t *lab = cml_hdbscan_labels(m);
    const double *prob = cml_hdbscan_probabilities(m);
    int64_t *count = calloc((size_t)k + 1, sizeof *count);
    for (int64_t i = 0; i < n; i++) {
        assert_true(lab[i] >= -1 && lab[i] < k);
        assert_true(prob[i] >= 0.0 && prob[i] <= 1.0);
        if (lab[i] == -1)
            assert_true(prob[i] == 0.0);
        else
            count[lab[i]]++;
    }
    for (int64_t c = 0; c < k; c++)
        assert_true(count[c] >= mcs);
    free(count);
}

static void test_iris(void **state)
{
    (void)state;
    double *X, *y;
    int64_t n, d;
    test_load_dataset("iris", &X, &n, &d, &y);
    cml_hdbscan_params p = cml_hdbscan_params_default();
    p.min_cluster_size = 10;
    cml_matrix M = cml_matrix_view(X, n, d);
    cml_hdbscan *m;
    assert_int_equal(cml_hdbscan_fit(&p, &M, &m), CML_OK);
    check_properties(m, 10);
    const int64_t *lab = cml_hdbscan_labels(m);
    assert_int_equal(cml_hdbscan_n_clusters(m), 2);
    int64_t setosa = lab[0];
    assert_true(setosa >= 0);
    for (int64_t i = 0; i < n; i++) {
        if (y[i] == 0)
            assert_int_equal(lab[i], setosa);
        else
            assert_int_equal(lab[i], 1 - setosa);
    }
    cml_hdbscan_free(m);
    /* default min_cluster_size (5): setosa still a cluster of its own */
    p = cml_hdbscan_params_default();
    assert_int_equal(cml_hdbscan_fit(&p, &M, &m), CML_OK);
    check_properties(m, 5);
    lab = cml_hdbscan_labels(m);
    for (int64_t i = 0; i < n; i++)
        if (lab[i] != -1 && y[i] == 0)
            assert_int_equal(lab[i], lab[0]);
        else if (lab[i] != -1)
            assert_int_not_equal(lab[i], lab[0]);
    cml_hdbscan_free(m);
    free(X);
    free(y);
}

/* Two tight blobs (sd 0.15) 2 apart and a wide one (sd 1.2) far away. */
static void blobs(double *X, double *truth, int n)
{
    cml_rng r;
    cml_rng_seed(&r, 11);
    for (int i = 0; i < n; i++) {
        int c = i % 3;
        double sd = c == 2 ? 1.2 : 0.15;
        X[2 * i] = (c == 1 ? 2.0 : 0.0) + (c == 2 ? 12.0 : 0.0) + sd * cml_rng_normal(&r);
        X[2 * i + 1] = (c == 2 ? 10.0 : 0.0) + sd * cml_rng_normal(&r);
        truth[i] = c;
    }
}

static void test_varying_density(void **state)
{
    (void)state;
    enum { N = 600 };
    double *X = malloc(sizeof(double) * 2 * N), truth[N], pred[N];
    blobs(X, truth, N);
    cml_matrix M = cml_matrix_view(X, N, 2);
    cml_hdbscan_params p = cml_hdbscan_params_default();
    p.min_cluster_size = 15;
    cml_hdbscan *m;
    assert_int_equal(cml_hdbscan_fit(&p, &M, &m), CML_OK);
    check_properties(m, 15);
    assert_int_equal(cml_hdbscan_n_clusters(m), 3);
    for (int i = 0; i < N; i++)
        pred[i] = (double)cml_hdbscan_labels(m)[i];
    double ari;
    assert_int_equal(cml_adjusted_rand_score(truth, pred, N, &ari), CML_OK);
    print_message("hdbscan on blobs of varying density: ARI %.4f\n", ari);
    assert_true(ari >= 0.95);
    /* DBSCAN with an eps that keeps the tight blobs apart (0.3) loses a
     * large part of the wide blob to noise: a far worse partition */
    cml_dbscan_params dp = cml_dbscan_params_default();
    dp.eps = 0.3;
    dp.min_samples = 5;
    cml_dbscan *db;
    assert_int_equal(cml_dbscan_fit(&dp, &M, NULL, &db), CML_OK);
    int wide_noise = 0;
    double dpred[N], ari_db;
    for (int i = 0; i < N; i++)
        dpred[i] = (double)cml_dbscan_labels(db)[i];
    for (int i = 2; i < N; i += 3)
        wide_noise += cml_dbscan_labels(db)[i] == -1;
    assert_int_equal(cml_adjusted_rand_score(truth, dpred, N, &ari_db), CML_OK);
    print_message("dbscan eps=0.3: %d of %d wide-blob points are noise, ARI %.4f\n", wide_noise,
                  N / 3, ari_db);
    assert_true(wide_noise > N / 3 / 4);
    assert_true(ari_db < ari - 0.1);
    cml_dbscan_free(db);

    /* the same partition after reversing the rows */
    double *R = malloc(sizeof(double) * 2 * N), rpred[N];
    for (int i = 0; i < N; i++) {
        R[2 * i] = X[2 * (N - 1 - i)];
        R[2 * i + 1] = X[2 * (N - 1 - i) + 1];
    }
    cml_matrix MR = cml_matrix_view(R, N, 2);
    cml_hdbscan *mr;
    assert_int_equal(cml_hdbscan_fit(&p, &MR, &mr), CML_OK);
    for (int i = 0; i < N; i++)
        rpred[N - 1 - i] = (double)cml_hdbscan_labels(mr)[i];
    assert_int_equal(cml_adjusted_rand_score(pred, rpred, N, &ari), CML_OK);
    assert_true(ari == 1.0);
    cml_hdbscan_free(mr);
    /* thread count does not change the result */
    cml_set_num_threads(1);
    assert_int_equal(cml_hdbscan_fit(&p, &M, &mr), CML_OK);
    cml_set_num_threads(2);
    cml_hdbscan *m2;
    assert_int_equal(cml_hdbscan_fit(&p, &M, &m2), CML_OK);
    assert_memory_equal(cml_hdbscan_labels(mr), cml_hdbscan_labels(m2), sizeof(int64_t) * N);
    assert_memory_equal(cml_hdbscan_probabilities(mr), cml_hdbscan_probabilities(m2),
                        sizeof(double) * N);
    cml_set_num_threads(0);
    cml_hdbscan_free(mr);
    cml_hdbscan_free(m2);
    /* leaf selection and manhattan keep the properties */
    p.cluster_selection_method = CML_HDBSCAN_LEAF;
    p.metric = CML_HDBSCAN_MANHATTAN;
    assert_int_equal(cml_hdbscan_fit(&p, &M, &mr), CML_OK);
    check_properties(mr, 15);
    assert_true(cml_hdbscan_n_clusters(mr) >= 3);
    cml_hdbscan_free(mr);
    cml_hdbscan_free(m);
    free(R);
    free(X);
}

static void test_model_roundtrip(void **state)
{
    (void)state;
    mkdir("out", 0755);
    enum { N = 300 };
    double *X = malloc(sizeof(double) * 2 * N), truth[N];
    blobs(X, truth, N);
    cml_matrix M = cml_matrix_view(X, N, 2);
    cml_model *m, *l;
    assert_int_equal(cml_model_create("hdbscan", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "min_cluster_size", "10"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "cluster_selection_method", "leaf"), CML_OK);
    assert_int_equal(cml_model_fit(m, &M, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_save(m, "out/hdbscan.gguf", NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load("out/hdbscan.gguf", &l, NULL), CML_OK);
    const int64_t *a, *b;
    assert_int_equal(cml_model_labels(m, &a), N);
    assert_int_equal(cml_model_labels(l, &b), N);
    assert_memory_equal(a, b, sizeof(int64_t) * N);
    const cml_hdbscan *s1 = cml_model_state(m), *s2 = cml_model_state(l);
    assert_memory_equal(cml_hdbscan_probabilities(s1), cml_hdbscan_probabilities(s2),
                        sizeof(double) * N);
    char *desc = cml_model_describe(l);
    assert_non_null(strstr(desc, "\"n_clusters\":"));
    free(desc);
    double pred[N];
    assert_int_equal(cml_model_predict(l, &M, pred), CML_ERR_UNSUPPORTED);
    cml_model_free(m);
    cml_model_free(l);
    free(X);
}

static void test_errors(void **state)
{
    (void)state;
    cml_hdbscan_params p = cml_hdbscan_params_default();
    cml_matrix X = cml_matrix_view(line7, 7, 1);
    cml_hdbscan *m;
    p.min_cluster_size = 1;
    assert_int_equal(cml_hdbscan_fit(&p, &X, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "min_cluster_size"));
    p = cml_hdbscan_params_default();
    p.alpha = 0;
    assert_int_equal(cml_hdbscan_fit(&p, &X, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "alpha"));
    p = cml_hdbscan_params_default();
    p.min_cluster_size = 8; /* min_samples defaults to it: 8 > 7 rows */
    assert_int_equal(cml_hdbscan_fit(&p, &X, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "min_samples (8)"));
    p = cml_hdbscan_params_default();
    p.cluster_selection_epsilon = -1;
    assert_int_equal(cml_hdbscan_fit(&p, &X, &m), CML_ERR_ARG);
    p = cml_hdbscan_params_default();
    p.min_samples = 1;
    p.min_cluster_size = 2;
    double nanx[3] = {1, NAN, 2};
    cml_matrix XN = cml_matrix_view(nanx, 3, 1);
    assert_int_equal(cml_hdbscan_fit(&p, &XN, &m), CML_ERR_ARG);
    cml_matrix X1 = cml_matrix_view(line7, 1, 1);
    assert_int_equal(cml_hdbscan_fit(&p, &X1, &m), CML_ERR_ARG);
    /* two points, min_samples 1, min_cluster_size 2: no split, no cluster */
    cml_matrix X2 = cml_matrix_view(line7, 2, 1);
    assert_int_equal(cml_hdbscan_fit(&p, &X2, &m), CML_OK);
    assert_int_equal(cml_hdbscan_n_clusters(m), 0);
    cml_hdbscan_free(m);
    /* duplicates (distance 0, lambda = inf) do not break anything */
    double dup[8] = {1, 1, 1, 1, 5, 5, 5, 5};
    cml_matrix XD = cml_matrix_view(dup, 8, 1);
    p.min_cluster_size = 3;
    assert_int_equal(cml_hdbscan_fit(&p, &XD, &m), CML_OK);
    check_properties(m, 3);
    assert_int_equal(cml_hdbscan_n_clusters(m), 2);
    cml_hdbscan_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),   cmocka_unit_test(test_iris),
        cmocka_unit_test(test_varying_density), cmocka_unit_test(test_model_roundtrip),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
