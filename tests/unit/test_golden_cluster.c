/*
 * test_golden_cluster.c — KMeans, MiniBatchKMeans, DBSCAN and the clustering
 * metrics against scikit-learn 1.2 (tests/gen/gen_cluster.py ->
 * golden/cluster.txt) on iris, wine (standardized) and digits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/cluster.h"
#include "golden.h"

static golden *G;

typedef struct dataset {
    double *X;
    int64_t n, p;
    double *y;
} dataset;

static dataset sets[3]; /* iris, wine (standardized), digits (raw) */
static const char *set_names[3] = {"iris", "wine", "digits"};
static const int set_k[3] = {3, 3, 10};

/* StandardScaler: population std (ddof = 0). */
static void standardize(double *X, int64_t n, int64_t p)
{
    for (int64_t j = 0; j < p; j++) {
        double m = 0, v = 0;
        for (int64_t i = 0; i < n; i++)
            m += X[i * p + j];
        m /= (double)n;
        for (int64_t i = 0; i < n; i++)
            v += (X[i * p + j] - m) * (X[i * p + j] - m);
        double sd = sqrt(v / (double)n);
        for (int64_t i = 0; i < n; i++)
            X[i * p + j] = (X[i * p + j] - m) / sd;
    }
}

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/cluster.txt");
    for (int s = 0; s < 3; s++) {
        test_load_dataset(set_names[s], &sets[s].X, &sets[s].n, &sets[s].p, &sets[s].y);
        if (s < 2) standardize(sets[s].X, sets[s].n, sets[s].p);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++) {
        free(sets[s].X);
        free(sets[s].y);
    }
    golden_free(G);
    return 0;
}

static const double *gget(const char *fmt, const char *a, const char *b, int64_t *rows,
                          int64_t *cols)
{
    char name[128];
    snprintf(name, sizeof name, fmt, a, b);
    return golden_get(G, name, rows, cols);
}

/* Same initial centres as sklearn (init=ndarray, n_init=1): identical labels,
 * centres within 1e-8, same inertia and iteration count. */
static void test_kmeans_same_init(void **state)
{
    (void)state;
    const char *algos[2] = {"lloyd", "elkan"};
    for (int s = 0; s < 3; s++) {
        dataset *d = &sets[s];
        cml_matrix X = cml_matrix_view(d->X, d->n, d->p);
        int64_t kr, kc;
        const double *init = gget("%s_init", set_names[s], "", &kr, &kc);
        cml_matrix I = cml_matrix_view(init, kr, kc);
        for (int a = 0; a < 2; a++) {
            cml_kmeans_params p = cml_kmeans_params_default();
            p.n_clusters = set_k[s];
            p.algorithm = a;
            cml_kmeans *m;
            assert_int_equal(cml_kmeans_fit_from(&p, &X, NULL, &I, &m), CML_OK);
            const double *want_c = gget("%s_%s_centers", set_names[s], algos[a], NULL, NULL);
            const double *want_l = gget("%s_%s_labels", set_names[s], algos[a], NULL, NULL);
            double want_in = *gget("%s_%s_inertia", set_names[s], algos[a], NULL, NULL);
            double want_it = *gget("%s_%s_n_iter", set_names[s], algos[a], NULL, NULL);
            char what[64];
            snprintf(what, sizeof what, "%s %s centers", set_names[s], algos[a]);
            assert_close(cml_kmeans_centers(m), want_c, kr * kc, 0, 1e-8, what);
            double md = 0;
            for (int64_t t = 0; t < kr * kc; t++)
                md = fmax(md, fabs(cml_kmeans_centers(m)[t] - want_c[t]));
            print_message("%s: max |centre diff| %.3g\n", what, md);
            const int64_t *lab = cml_kmeans_labels(m);
            int64_t diff = 0;
            for (int64_t i = 0; i < d->n; i++)
                diff += lab[i] != (int64_t)want_l[i];
            if (diff) fail_msg("%s: %lld labels differ from sklearn", what, (long long)diff);
            double got_in = cml_kmeans_inertia(m);
            snprintf(what, sizeof what, "%s %s inertia", set_names[s], algos[a]);
            assert_close(&got_in, &want_in, 1, 1e-10, 0, what);
            assert_int_equal(cml_kmeans_n_iter(m), (int)want_it);
            if (a == 0) {
                double *tr = malloc(sizeof(double) * 20 * (size_t)kr);
                cml_matrix X20 = cml_matrix_view(d->X, 20, d->p);
                assert_int_equal(cml_kmeans_transform(m, &X20, tr), CML_OK);
                assert_close(tr, gget("%s_transform", set_names[s], "", NULL, NULL), 20 * kr, 1e-9,
                             1e-9, "transform");
                free(tr);
            }
            cml_kmeans_free(m);
        }
    }
}

/* k-means++ with sklearn's defaults (n_init=10): inertia within 1% of the
 * best sklearn found over 5 seeds; both algorithms agree. */
static void test_kmeans_plusplus(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++) {
        dataset *d = &sets[s];
        cml_matrix X = cml_matrix_view(d->X, d->n, d->p);
        double want = *gget("%s_pp_inertia", set_names[s], "", NULL, NULL);
        for (int a = 0; a < 2; a++) {
            cml_kmeans_params p = cml_kmeans_params_default();
            p.n_clusters = set_k[s];
            p.algorithm = a;
            cml_kmeans *m;
            assert_int_equal(cml_kmeans_fit(&p, &X, NULL, &m), CML_OK);
            double got = cml_kmeans_inertia(m);
            print_message("%s algo %d k-means++: inertia / sklearn best = %.6f\n", set_names[s], a,
                          got / want);
            if (got > want * 1.01)
                fail_msg("%s algo %d: inertia %.10g vs sklearn best %.10g", set_names[s], a, got,
                         want);
            cml_kmeans_free(m);
        }
    }
}

static void test_minibatch(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++) {
        dataset *d = &sets[s];
        cml_matrix X = cml_matrix_view(d->X, d->n, d->p);
        double want = *gget("%s_minibatch_inertia", set_names[s], "", NULL, NULL);
        cml_minibatch_kmeans_params p = cml_minibatch_kmeans_params_default();
        p.n_clusters = set_k[s];
        cml_minibatch_kmeans *m;
        assert_int_equal(cml_minibatch_kmeans_fit(&p, &X, NULL, &m), CML_OK);
        double got = cml_minibatch_kmeans_inertia(m);
        print_message("%s mini-batch: inertia / sklearn median = %.6f\n", set_names[s], got / want);
        /* Different random streams: compare with sklearn's median over seeds. */
        if (got > want * 1.03)
            fail_msg("%s: mini-batch inertia %.10g vs sklearn median %.10g", set_names[s], got,
                     want);
        cml_minibatch_kmeans_free(m);
    }
}

/* DBSCAN: labels identical to sklearn's (same cluster numbers), same core
 * samples, for the three metrics and for 1 to 3 leading columns (the grid
 * search), 4 to 13 (the KD-tree) and 64 (brute force). */
static void test_dbscan(void **state)
{
    (void)state;
    for (int t = 0;; t++) {
        char name[64];
        snprintf(name, sizeof name, "dbscan%d_params", t);
        if (!golden_has(G, name)) break;
        const double *prm = golden_get(G, name, NULL, NULL);
        dataset *d = &sets[(int)prm[0]];
        cml_dbscan_params p = cml_dbscan_params_default();
        p.metric = (int)prm[1];
        p.eps = prm[2];
        p.min_samples = (int)prm[3];
        cml_matrix X = cml_matrix_view(d->X, d->n, d->p);
        if (prm[4] > 0) X.cols = (int64_t)prm[4]; /* the leading columns, ld unchanged */
        cml_dbscan *m;
        assert_int_equal(cml_dbscan_fit(&p, &X, NULL, &m), CML_OK);
        snprintf(name, sizeof name, "dbscan%d_labels", t);
        const double *want = golden_get(G, name, NULL, NULL);
        int64_t diff = 0, ncore, want_core;
        for (int64_t i = 0; i < d->n; i++)
            diff += cml_dbscan_labels(m)[i] != (int64_t)want[i];
        if (diff) fail_msg("dbscan case %d: %lld labels differ", t, (long long)diff);
        snprintf(name, sizeof name, "dbscan%d_core", t);
        const double *wc = golden_get(G, name, NULL, &want_core);
        const int64_t *core = cml_dbscan_core_sample_indices(m, &ncore);
        assert_int_equal(ncore, want_core);
        for (int64_t c = 0; c < ncore; c++)
            assert_int_equal(core[c], (int64_t)wc[c]);
        print_message("dbscan case %d: %lld clusters, labels and %lld core samples identical\n", t,
                      (long long)cml_dbscan_n_clusters(m), (long long)ncore);
        cml_dbscan_free(m);
    }
}

/* Clustering metrics within 1e-10 of sklearn. */
static void test_metrics(void **state)
{
    (void)state;
    const char *tags[2] = {"km", "db"};
    for (int s = 0; s < 2; s++) {
        dataset *d = &sets[s];
        cml_matrix X = cml_matrix_view(d->X, d->n, d->p);
        for (int t = 0; t < 2; t++) {
            const double *lab = gget("%s_%s_labels", set_names[s], tags[t], NULL, NULL);
            const double *want = gget("%s_%s_scores", set_names[s], tags[t], NULL, NULL);
            double got[9];
            assert_int_equal(cml_adjusted_rand_score(d->y, lab, d->n, &got[0]), CML_OK);
            assert_int_equal(cml_normalized_mutual_info_score(d->y, lab, d->n, &got[1]), CML_OK);
            assert_int_equal(cml_mutual_info_score(d->y, lab, d->n, &got[2]), CML_OK);
            assert_int_equal(
                cml_homogeneity_completeness_v_measure(d->y, lab, d->n, &got[3], &got[4], &got[5]),
                CML_OK);
            assert_int_equal(cml_silhouette_score(&X, lab, &got[6]), CML_OK);
            assert_int_equal(cml_davies_bouldin_score(&X, lab, &got[7]), CML_OK);
            assert_int_equal(cml_calinski_harabasz_score(&X, lab, &got[8]), CML_OK);
            double worst = 0;
            for (int i = 0; i < 9; i++)
                worst = fmax(worst, fabs(got[i] - want[i]) / fmax(1.0, fabs(want[i])));
            print_message("%s %s metrics: max rel diff %.3g\n", set_names[s], tags[t], worst);
            assert_close(got, want, 9, 1e-10, 1e-10, "cluster metrics");
            double v;
            assert_int_equal(cml_v_measure_score(d->y, lab, d->n, &v), CML_OK);
            assert_true(v == got[5]);
        }
        const double *km = gget("%s_km_labels", set_names[s], "", NULL, NULL);
        double *ss = malloc(sizeof(double) * (size_t)d->n);
        assert_int_equal(cml_silhouette_samples(&X, km, ss), CML_OK);
        assert_close(ss, gget("%s_silhouette_samples", set_names[s], "", NULL, NULL), d->n, 1e-10,
                     1e-10, "silhouette_samples");
        free(ss);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kmeans_same_init), cmocka_unit_test(test_kmeans_plusplus),
        cmocka_unit_test(test_minibatch),        cmocka_unit_test(test_dbscan),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
