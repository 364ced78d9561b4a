/*
 * test_embed.c — t-SNE and UMAP beyond the sklearn comparison: parameter and
 * data errors (CML_ERR_ARG naming the parameter), t-SNE's transform of the
 * fitted data only, fit -> save -> load -> transform bit-identical through
 * the generic model layer, results independent of the thread count, UMAP's
 * per-row transform, the spectral initialisation (dense and Krylov against
 * the closed-form spectrum of a ring graph; disconnected graphs), 3-D
 * Barnes-Hut (octree).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/embed.h"
#include "cml/model.h"
#include "decomp/umap_internal.h"
#include "golden.h"

static double *IRIS, *DIGITS, *DY;
static int64_t n_iris, p_iris, n_dig, p_dig;

static int setup(void **state)
{
    (void)state;
    double *y;
    test_load_dataset("iris", &IRIS, &n_iris, &p_iris, &y);
    free(y);
    test_load_dataset("digits", &DIGITS, &n_dig, &p_dig, &DY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(IRIS);
    free(DIGITS);
    free(DY);
    return 0;
}

static void expect_arg(cml_status st, const char *word)
{
    assert_int_equal(st, CML_ERR_ARG);
    if (!strstr(cml_last_error(), word)) fail_msg("'%s' not in: %s", word, cml_last_error());
}

/* ---------------------------------------------------------------- errors */

static void test_tsne_errors(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(IRIS, n_iris, p_iris);
    cml_tsne *m = NULL;
    cml_tsne_params tp = cml_tsne_params_default();
    tp.perplexity = 150; /* = n_samples */
    expect_arg(cml_tsne_fit(&tp, &X, &m), "perplexity");
    tp = cml_tsne_params_default();
    tp.n_components = 0;
    expect_arg(cml_tsne_fit(&tp, &X, &m), "n_components");
    tp = cml_tsne_params_default();
    tp.n_components = 4; /* quadtree/octree only */
    expect_arg(cml_tsne_fit(&tp, &X, &m), "n_components");
    assert_non_null(strstr(cml_last_error(), "HINT"));
    tp = cml_tsne_params_default();
    snprintf(tp.learning_rate, sizeof tp.learning_rate, "fast");
    expect_arg(cml_tsne_fit(&tp, &X, &m), "learning_rate");
    tp = cml_tsne_params_default();
    tp.n_iter = 100;
    expect_arg(cml_tsne_fit(&tp, &X, &m), "n_iter");
    tp = cml_tsne_params_default();
    cml_matrix one = cml_matrix_view(IRIS, 1, p_iris);
    expect_arg(cml_tsne_fit(&tp, &one, &m), "n_samples");
    double *bad = malloc(sizeof(double) * (size_t)(n_iris * p_iris));
    memcpy(bad, IRIS, sizeof(double) * (size_t)(n_iris * p_iris));
    bad[7] = NAN;
    cml_matrix B = cml_matrix_view(bad, n_iris, p_iris);
    expect_arg(cml_tsne_fit(&tp, &B, &m), "NaN");
    /* Every row the same point (each column constant): a clear error, with
     * either init (random would otherwise embed pure noise). */
    for (int64_t i = 0; i < n_iris * p_iris; i++)
        bad[i] = (double)(i % p_iris);
    tp.perplexity = 5;
    tp.init = CML_TSNE_INIT_RANDOM;
    expect_arg(cml_tsne_fit(&tp, &B, &m), "constant");
    free(bad);
    assert_null(m);
    /* Through the generic layer: names and ranges from the table. */
    cml_model *g;
    assert_int_equal(cml_model_create("tsne", &g), CML_OK);
    expect_arg(cml_model_set_param(g, "perplexity", "0"), "perplexity");
    expect_arg(cml_model_set_param(g, "method", "fft"), "method");
    expect_arg(cml_model_set_param(g, "angle", "2"), "angle");
    expect_arg(cml_model_set_param(g, "learning_rat", "10"), "learning_rate");
    cml_model_free(g);
}

static void test_umap_errors(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(IRIS, n_iris, p_iris);
    cml_umap *m = NULL;
    cml_umap_params up = cml_umap_params_default();
    up.n_neighbors = 150;
    expect_arg(cml_umap_fit(&up, &X, &m), "n_neighbors");
    up = cml_umap_params_default();
    up.n_neighbors = 1;
    expect_arg(cml_umap_fit(&up, &X, &m), "n_neighbors");
    up = cml_umap_params_default();
    up.min_dist = 1.5; /* > spread = 1 */
    expect_arg(cml_umap_fit(&up, &X, &m), "min_dist");
    up = cml_umap_params_default();
    up.n_components = 0;
    expect_arg(cml_umap_fit(&up, &X, &m), "n_components");
    up = cml_umap_params_default();
    up.spread = 0;
    expect_arg(cml_umap_fit(&up, &X, &m), "spread");
    double a, b;
    expect_arg(cml_umap_find_ab_params(1.0, 2.0, &a, &b), "min_dist");
    double same[40 * 3];
    for (int i = 0; i < 40 * 3; i++)
        same[i] = (double)(i % 3);
    cml_matrix S = cml_matrix_view(same, 40, 3);
    up = cml_umap_params_default();
    up.n_neighbors = 5;
    expect_arg(cml_umap_fit(&up, &S, &m), "constant");
    assert_null(m);
    /* Transform with the wrong width or NaN. */
    up = cml_umap_params_default();
    up.n_epochs = 20;
    assert_int_equal(cml_umap_fit(&up, &X, &m), CML_OK);
    double out[8];
    cml_matrix narrow = cml_matrix_view(IRIS, 2, 3);
    expect_arg(cml_umap_transform(m, &narrow, out), "features");
    double row[4] = {5.1, NAN, 1.4, 0.2};
    cml_matrix nanrow = cml_matrix_view(row, 1, 4);
    expect_arg(cml_umap_transform(m, &nanrow, out), "NaN");
    cml_umap_free(m);
}

/* ---------------------------------------------------------------- t-SNE */

static void test_tsne_transform_and_save(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(IRIS, n_iris, p_iris);
    cml_model *m, *back;
    assert_int_equal(cml_model_create("tsne", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "perplexity", "20"), CML_OK);
    assert_int_equal(cml_model_set_param(m, "n_iter", "300"), CML_OK);
    assert_int_equal(cml_model_fit(m, &X, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_n_transform_cols(m), 2);
    const cml_tsne *ts = cml_model_state(m);
    double *E = malloc(sizeof(double) * (size_t)(n_iris * 2));
    /* fit-transform: the same X gives the stored embedding */
    assert_int_equal(cml_model_transform(m, &X, E), CML_OK);
    assert_memory_equal(E, cml_tsne_embedding(ts), sizeof(double) * (size_t)(n_iris * 2));
    /* anything else cannot be embedded */
    double *X2 = malloc(sizeof(double) * (size_t)(n_iris * p_iris));
    memcpy(X2, IRIS, sizeof(double) * (size_t)(n_iris * p_iris));
    X2[100] += 1e-9;
    cml_matrix Xm2 = cml_matrix_view(X2, n_iris, p_iris);
    assert_int_equal(cml_model_transform(m, &Xm2, E), CML_ERR_UNSUPPORTED);
    assert_non_null(strstr(cml_last_error(), "t-SNE cannot embed new points"));
    assert_non_null(strstr(cml_last_error(), "HINT: use umap"));
    cml_matrix head = cml_matrix_view(IRIS, 100, p_iris);
    assert_int_equal(cml_model_transform(m, &head, E), CML_ERR_UNSUPPORTED);
    /* save -> load -> transform: bit-identical, fitted attributes kept */
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_embed_tsne_%d.gguf", (int)getpid());
    if (cml_model_save(m, path, NULL, NULL) != CML_OK) fail_msg("%s", cml_last_error());
    assert_int_equal(cml_model_load(path, &back, NULL), CML_OK);
    double *E2 = malloc(sizeof(double) * (size_t)(n_iris * 2));
    assert_int_equal(cml_model_transform(back, &X, E2), CML_OK);
    assert_memory_equal(E2, cml_tsne_embedding(ts), sizeof(double) * (size_t)(n_iris * 2));
    const cml_tsne *tb = cml_model_state(back);
    assert_true(cml_tsne_kl_divergence(tb) == cml_tsne_kl_divergence(ts));
    assert_int_equal(cml_tsne_n_iter(tb), cml_tsne_n_iter(ts));
    assert_int_equal(cml_tsne_n_iter(ts), 299);
    char *desc = cml_model_describe(back);
    assert_non_null(strstr(desc, "kl_divergence"));
    free(desc);
    /* A truncated file is a format error, not a crash. */
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fclose(f);
    assert_int_equal(truncate(path, len / 2), 0);
    cml_model *broken = NULL;
    assert_int_not_equal(cml_model_load(path, &broken, NULL), CML_OK);
    assert_null(broken);
    unlink(path);
    cml_model_free(back);
    cml_model_free(m);
    free(E);
    free(E2);
    free(X2);
}

static void test_tsne_variants(void **state)
{
    (void)state;
    /* 3-D Barnes-Hut (octree), random init, exact 3-D: all trustworthy. */
    cml_matrix X = cml_matrix_view(IRIS, n_iris, p_iris);
    for (int v = 0; v < 3; v++) {
        cml_tsne_params tp = cml_tsne_params_default();
        tp.n_iter = 500;
        tp.n_components = v == 1 ? 2 : 3;
        tp.init = v == 1 ? CML_TSNE_INIT_RANDOM : CML_TSNE_INIT_PCA;
        tp.method = v == 2 ? CML_TSNE_EXACT : CML_TSNE_BARNES_HUT;
        snprintf(tp.learning_rate, sizeof tp.learning_rate, "%s", v == 1 ? "200" : "auto");
        cml_tsne *m;
        assert_int_equal(cml_tsne_fit(&tp, &X, &m), CML_OK);
        cml_matrix E = cml_matrix_view(cml_tsne_embedding(m), n_iris, tp.n_components);
        double tw;
        assert_int_equal(cml_trustworthiness(&X, &E, 5, &tw), CML_OK);
        printf("iris t-SNE variant %d (%d-D, %s, %s): trustworthiness %.4f, KL %.4f, lr %g\n", v,
               tp.n_components, v == 1 ? "random" : "pca", v == 2 ? "exact" : "barnes_hut", tw,
               cml_tsne_kl_divergence(m), cml_tsne_learning_rate(m));
        assert_true(tw > 0.95);
        assert_true(cml_tsne_kl_divergence(m) > 0 && cml_tsne_kl_divergence(m) < 1.0);
        assert_true(cml_tsne_learning_rate(m) == (v == 1 ? 200.0 : 50.0));
        cml_tsne_free(m);
    }
}

static void test_tsne_threads(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(DIGITS, 600, p_dig);
    cml_tsne_params tp = cml_tsne_params_default();
    tp.n_iter = 300;
    double *E[2];
    for (int t = 0; t < 2; t++) {
        cml_set_num_threads(t == 0 ? 1 : 3);
        cml_tsne *m;
        assert_int_equal(cml_tsne_fit(&tp, &X, &m), CML_OK);
        E[t] = malloc(sizeof(double) * 600 * 2);
        memcpy(E[t], cml_tsne_embedding(m), sizeof(double) * 600 * 2);
        cml_tsne_free(m);
    }
    cml_set_num_threads(0);
    assert_memory_equal(E[0], E[1], sizeof(double) * 600 * 2);
    free(E[0]);
    free(E[1]);
}

/* ---------------------------------------------------------------- UMAP */

static void test_umap_save_load_threads(void **state)
{
    (void)state;
    /* Digits, few epochs: large enough for the parallel paths. */
    cml_matrix Xtr = cml_matrix_view(DIGITS, 1500, p_dig);
    cml_matrix Xte = cml_matrix_view(DIGITS + 1500 * p_dig, n_dig - 1500, p_dig);
    int64_t nte = n_dig - 1500;
    double *emb[2], *tr[2];
    cml_model *m = NULL;
    for (int t = 0; t < 2; t++) {
        cml_set_num_threads(t == 0 ? 1 : 3);
        cml_model_free(m);
        assert_int_equal(cml_model_create("umap", &m), CML_OK);
        assert_int_equal(cml_model_set_param(m, "n_epochs", "60"), CML_OK);
        assert_int_equal(cml_model_set_param(m, "random_state", "42"), CML_OK);
        assert_int_equal(cml_model_fit(m, &Xtr, NULL, NULL), CML_OK);
        const cml_umap *u = cml_model_state(m);
        emb[t] = malloc(sizeof(double) * 1500 * 2);
        memcpy(emb[t], cml_umap_embedding(u), sizeof(double) * 1500 * 2);
        tr[t] = malloc(sizeof(double) * (size_t)(nte * 2));
        assert_int_equal(cml_model_transform(m, &Xte, tr[t]), CML_OK);
    }
    cml_set_num_threads(0);
    assert_memory_equal(emb[0], emb[1], sizeof(double) * 1500 * 2);
    assert_memory_equal(tr[0], tr[1], sizeof(double) * (size_t)(nte * 2));
    /* save -> load -> transform bit-identical */
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_embed_umap_%d.gguf", (int)getpid());
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    cml_model *back;
    assert_int_equal(cml_model_load(path, &back, NULL), CML_OK);
    unlink(path);
    double *tb = malloc(sizeof(double) * (size_t)(nte * 2));
    assert_int_equal(cml_model_transform(back, &Xte, tb), CML_OK);
    assert_memory_equal(tb, tr[0], sizeof(double) * (size_t)(nte * 2));
    const cml_umap *ub = cml_model_state(back);
    assert_memory_equal(cml_umap_embedding(ub), emb[0], sizeof(double) * 1500 * 2);
    char *desc = cml_model_describe(back);
    assert_non_null(strstr(desc, "\"init\":\"spectral"));
    free(desc);
    /* A row's placement does not depend on the batch it comes in. */
    double one[2];
    cml_matrix last = cml_matrix_view(DIGITS + (n_dig - 1) * p_dig, 1, p_dig);
    assert_int_equal(cml_model_transform(back, &last, one), CML_OK);
    assert_memory_equal(one, tb + (nte - 1) * 2, sizeof one);
    /* A training row transforms to near its own embedding. */
    cml_matrix first = cml_matrix_view(DIGITS, 1, p_dig);
    assert_int_equal(cml_model_transform(back, &first, one), CML_OK);
    assert_true(hypot(one[0] - emb[0][0], one[1] - emb[0][1]) < 1.0);
    cml_model_free(back);
    cml_model_free(m);
    for (int t = 0; t < 2; t++) {
        free(emb[t]);
        free(tr[t]);
    }
    free(tb);
}

static void test_umap_small_and_cosine(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(IRIS, n_iris, p_iris);
    double *unit = malloc(sizeof(double) * (size_t)(n_iris * p_iris));
    for (int64_t i = 0; i < n_iris; i++) {
        double s = 0;
        for (int64_t j = 0; j < p_iris; j++)
            s += IRIS[i * p_iris + j] * IRIS[i * p_iris + j];
        for (int64_t j = 0; j < p_iris; j++)
            unit[i * p_iris + j] = IRIS[i * p_iris + j] / sqrt(s);
    }
    cml_matrix Xn = cml_matrix_view(unit, n_iris, p_iris);
    for (int v = 0; v < 3; v++) {
        cml_umap_params up = cml_umap_params_default();
        up.metric = v == 1 ? CML_EMBED_COSINE : CML_EMBED_EUCLIDEAN;
        up.init = v == 2 ? CML_UMAP_INIT_RANDOM : CML_UMAP_INIT_SPECTRAL;
        up.n_components = v == 2 ? 3 : 2;
        cml_umap *m;
        assert_int_equal(cml_umap_fit(&up, &X, &m), CML_OK);
        cml_matrix E = cml_matrix_view(cml_umap_embedding(m), n_iris, up.n_components);
        double tw;
        /* With the cosine metric, judge against unit-length rows (where the
         * euclidean order is the cosine order). */
        assert_int_equal(cml_trustworthiness(v == 1 ? &Xn : &X, &E, 5, &tw), CML_OK);
        printf("iris UMAP variant %d: init %s, trustworthiness %.4f\n", v, cml_umap_init_used(m),
               tw);
        assert_true(tw > 0.9);
        cml_umap_free(m);
    }
    free(unit);
}

/* Three far-apart blobs with few neighbours: the kNN graph has three
 * components, each laid out on its own; the blobs stay apart. */
static void test_umap_components(void **state)
{
    (void)state;
    enum { N = 300, D = 5 };
    double *X = malloc(sizeof(double) * N * D);
    cml_rng r;
    cml_rng_seed(&r, 3);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++)
            X[i * D + j] = cml_rng_normal(&r) + (j == i % 3 ? 100.0 : 0.0);
    cml_matrix Xm = cml_matrix_view(X, N, D);
    cml_umap_params up = cml_umap_params_default();
    up.n_neighbors = 8;
    up.n_epochs = 200;
    cml_umap *m;
    assert_int_equal(cml_umap_fit(&up, &Xm, &m), CML_OK);
    assert_string_equal(cml_umap_init_used(m), "spectral+components");
    const double *E = cml_umap_embedding(m);
    double worst_in = 0, best_out = INFINITY;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            double d = hypot(E[2 * i] - E[2 * j], E[2 * i + 1] - E[2 * j + 1]);
            if (i % 3 == j % 3)
                worst_in = fmax(worst_in, d);
            else
                best_out = fmin(best_out, d);
        }
    printf("three blobs: largest distance within a blob %.3f, smallest between blobs %.3f\n",
           worst_in, best_out);
    assert_true(best_out > worst_in);
    cml_umap_free(m);
    free(X);
}

/* Ring graph, each vertex joined to its s nearest on each side with weight
 * 1: regular, so L = I - W / (2s) has eigenvalues
 * 1 - sum_{t=1..s} cos(2 pi k t / n) / s, k = 0..n-1 (k and n-k equal). */
static void ring(int64_t n, int s, cml_embed_csr *W)
{
    W->n = n;
    W->indptr = malloc(sizeof(int64_t) * (size_t)(n + 1));
    W->col = malloc(sizeof(int64_t) * (size_t)(n * 2 * s));
    W->val = malloc(sizeof(double) * (size_t)(n * 2 * s));
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++) {
        W->indptr[i] = w;
        int64_t cols[64];
        int c = 0;
        for (int t = 1; t <= s; t++) {
            cols[c++] = (i + t) % n;
            cols[c++] = (i - t + n) % n;
        }
        for (int a = 1; a < c; a++) /* ascending columns */
            for (int b = a; b > 0 && cols[b - 1] > cols[b]; b--) {
                int64_t tmp = cols[b];
                cols[b] = cols[b - 1];
                cols[b - 1] = tmp;
            }
        for (int a = 0; a < c; a++) {
            W->col[w] = cols[a];
            W->val[w++] = 1.0;
        }
    }
    W->indptr[n] = w;
}

static void test_spectral(void **state)
{
    (void)state;
    const int64_t n = 600;
    const int s = 3;
    cml_embed_csr W;
    ring(n, s, &W);
    double want = 0;
    for (int t = 1; t <= s; t++)
        want += cos(2 * 3.14159265358979323846 * t / (double)n);
    want = 1 - want / s;
    double *out = malloc(sizeof(double) * (size_t)(n * 2));
    for (int how = CML_UMAP_EIG_DENSE; how <= CML_UMAP_EIG_KRYLOV; how++) {
        double ev[3];
        assert_int_equal(cml_umap_spectral_connected(&W, 2, (cml_umap_eig)how, 11, out, ev),
                         CML_OK);
        printf("ring n=%lld, %s: eigenvalues %.3g %.12f %.12f (closed form 0 %.12f)\n",
               (long long)n, how == CML_UMAP_EIG_DENSE ? "dense" : "Krylov", ev[0], ev[1], ev[2],
               want);
        assert_true(fabs(ev[0]) < 1e-10);
        /* The ring's spectrum is tightly packed (worst case for Krylov):
         * restarts still get the eigenvalues to 1e-9. */
        double tol = how == CML_UMAP_EIG_DENSE ? 1e-12 : 1e-9;
        assert_true(fabs(ev[1] - want) < tol && fabs(ev[2] - want) < tol);
        /* The two vectors span cos/sin of the angle: every vertex at the
         * same radius. */
        double rmin = INFINITY, rmax = 0;
        for (int64_t i = 0; i < n; i++) {
            double r = hypot(out[2 * i], out[2 * i + 1]);
            rmin = fmin(rmin, r);
            rmax = fmax(rmax, r);
        }
        assert_true(rmax - rmin < (how == CML_UMAP_EIG_DENSE ? 1e-8 : 1e-3) * rmax);
    }
    cml_embed_csr_free(&W);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsne_errors),
        cmocka_unit_test(test_umap_errors),
        cmocka_unit_test(test_tsne_transform_and_save),
        cmocka_unit_test(test_tsne_variants),
        cmocka_unit_test(test_tsne_threads),
        cmocka_unit_test(test_umap_save_load_threads),
        cmocka_unit_test(test_umap_small_and_cosine),
        cmocka_unit_test(test_umap_components),
        cmocka_unit_test(test_spectral),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
