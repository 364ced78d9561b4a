/*
 * test_golden_embed.c — t-SNE, UMAP and trustworthiness on digits against
 * scikit-learn 1.2.1 (tests/gen/gen_embed.py -> golden/embed.txt):
 *   - trustworthiness of a fixed embedding equals sklearn's (to 1e-12 without
 *     distance ties, 1e-4 on digits where ties are ranked differently);
 *   - the perplexity search reproduces sklearn's _binary_search_perplexity
 *     (kNN rows and dense rows) and _joint_probabilities;
 *   - t-SNE Barnes-Hut on all 1797 digits: trustworthiness within 0.01 of
 *     sklearn's, KL within 5%; exact t-SNE on 300 digits: KL within 5%;
 *   - UMAP's (a, b) equal umap-learn's curve fit (scipy curve_fit) to 1e-5;
 *   - UMAP on digits: trustworthiness >= 0.95 (there is no Debian umap-learn
 *     to compare with), and its transform of held-out rows is also trustworthy;
 *   - the PCA | t-SNE | UMAP panels are written to out/digits_embed.png.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cml/decomp.h"
#include "cml/embed.h"
#include "cml/plot.h"
#include "decomp/embed_common.h"
#include "golden.h"

static golden *G;
static double *X, *Y;
static int64_t n, p;

/* fontconfig (loaded by cairo for text) keeps its configuration in global
 * caches it frees only in FcFini; LeakSanitizer would report them at exit.
 * A leak of cml's own (an unreleased cairo surface, say) still shows, as a
 * leak in libcairo or libcml. Used only by sanitizer builds. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/embed.txt");
    test_load_dataset("digits", &X, &n, &p, &Y);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(X);
    free(Y);
    golden_free(G);
    return 0;
}

static double gscalar(const char *name)
{
    return golden_get(G, name, NULL, NULL)[0];
}

static void test_trustworthiness(void **state)
{
    (void)state;
    int64_t r, c;
    const double *E = golden_get(G, "tw_E", &r, &c);
    assert_int_equal(r, 500);
    cml_matrix Xm = cml_matrix_view(X, 500, p), Em = cml_matrix_view(E, 500, c);
    double t5, t12;
    assert_int_equal(cml_trustworthiness(&Xm, &Em, 5, &t5), CML_OK);
    assert_int_equal(cml_trustworthiness(&Xm, &Em, 12, &t12), CML_OK);
    printf("trustworthiness of sklearn's PCA(2) of 500 digits: k=5 %.12f (sklearn %.12f), "
           "k=12 %.12f (sklearn %.12f)\n",
           t5, gscalar("tw_k5"), t12, gscalar("tw_k12"));
    /* Digits distances are square roots of integers: many exact ties, which
     * sklearn ranks in numpy argsort's (unstable) order and cml by index. */
    assert_true(fabs(t5 - gscalar("tw_k5")) < 1e-4);
    assert_true(fabs(t12 - gscalar("tw_k12")) < 1e-4);
    /* Without ties the two agree to rounding. */
    const double *Xc = golden_get(G, "twc_X", &r, &c);
    const double *Ec = golden_get(G, "twc_E", NULL, NULL);
    cml_matrix Xcm = cml_matrix_view(Xc, r, c), Ecm = cml_matrix_view(Ec, r, 2);
    double t7;
    assert_int_equal(cml_trustworthiness(&Xcm, &Ecm, 7, &t7), CML_OK);
    printf("continuous data, k=7: %.15f (sklearn %.15f)\n", t7, gscalar("twc_k7"));
    assert_true(fabs(t7 - gscalar("twc_k7")) < 1e-12);
    /* Errors: k >= n / 2, row mismatch. */
    assert_int_equal(cml_trustworthiness(&Xm, &Em, 250, &t5), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "n_neighbors"));
    cml_matrix E2 = cml_matrix_view(E, 400, 2);
    assert_int_equal(cml_trustworthiness(&Xm, &E2, 5, &t5), CML_ERR_ARG);
}

static void test_perplexity_search(void **state)
{
    (void)state;
    int64_t r, c;
    const double *sq = golden_get(G, "perp_knn_sqdist", &r, &c);
    const double *want = golden_get(G, "perp_knn_P", NULL, NULL);
    double *P = malloc(sizeof(double) * (size_t)(r * c));
    cml_embed_perplexity_search(sq, r, c, 10.0, P);
    assert_close(P, want, r * c, 1e-12, 1e-15, "conditional P (kNN rows)");
    free(P);
    sq = golden_get(G, "perp_dense_sqdist", &r, &c);
    want = golden_get(G, "perp_dense_P", NULL, NULL);
    P = malloc(sizeof(double) * (size_t)(r * c));
    cml_embed_perplexity_search(sq, r, c, 10.0, P);
    assert_close(P, want, r * c, 1e-12, 1e-15, "conditional P (dense rows)");
    /* The joint P of the exact method: max((P + P^T) / sum, eps) off the
     * diagonal, 0 on it (squareform). */
    const double *joint = golden_get(G, "joint_dense_P", NULL, NULL);
    double sum = 0;
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < r; j++)
            sum += P[i * r + j] + P[j * r + i];
    double worst = 0;
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < r; j++) {
            double v =
                i == j ? 0.0 : fmax((P[i * r + j] + P[j * r + i]) / sum, 2.220446049250313e-16);
            worst = fmax(worst, fabs(v - joint[i * r + j]) / fmax(joint[i * r + j], 1e-300));
        }
    assert_true(worst < 1e-6); /* sklearn sums in float32 here */
    free(P);
}

static void test_umap_ab(void **state)
{
    (void)state;
    int64_t r, c;
    const double *ab = golden_get(G, "umap_ab", &r, &c);
    for (int64_t t = 0; t < r; t++) {
        double a, b;
        assert_int_equal(cml_umap_find_ab_params(ab[t * c], ab[t * c + 1], &a, &b), CML_OK);
        printf("spread %g min_dist %g: a %.9f (umap-learn %.9f) b %.9f (%.9f)\n", ab[t * c],
               ab[t * c + 1], a, ab[t * c + 2], b, ab[t * c + 3]);
        /* scipy's MINPACK stops at a relative SSE change of 1.5e-8; cml
         * iterates to a (slightly lower) SSE, hence 1e-5 rather than 1e-9. */
        assert_true(fabs(a - ab[t * c + 2]) <= 1e-5 * fabs(ab[t * c + 2]));
        assert_true(fabs(b - ab[t * c + 3]) <= 1e-5 * fabs(ab[t * c + 3]));
    }
}

static void test_tsne_exact(void **state)
{
    (void)state;
    cml_matrix Xm = cml_matrix_view(X, 300, p);
    cml_tsne_params tp = cml_tsne_params_default();
    tp.method = CML_TSNE_EXACT;
    cml_tsne *m;
    double t0 = cml_now();
    assert_int_equal(cml_tsne_fit(&tp, &Xm, &m), CML_OK);
    double dt = cml_now() - t0, tw;
    cml_matrix E = cml_matrix_view(cml_tsne_embedding(m), 300, 2);
    assert_int_equal(cml_trustworthiness(&Xm, &E, 5, &tw), CML_OK);
    double kl = cml_tsne_kl_divergence(m), want = gscalar("tsne_exact_kl");
    printf("t-SNE exact, 300 digits: KL %.5f (sklearn %.5f, %+.2f%%), trustworthiness %.5f "
           "(sklearn %.5f), n_iter %d, %.2f s\n",
           kl, want, 100 * (kl - want) / want, tw, gscalar("tsne_exact_tw5"), cml_tsne_n_iter(m),
           dt);
    assert_true(fabs(kl - want) <= 0.05 * want);
    assert_true(fabs(tw - gscalar("tsne_exact_tw5")) <= 0.01);
    assert_int_equal(cml_tsne_n_iter(m), 999);
    cml_tsne_free(m);
}

static void test_digits_three_ways(void **state)
{
    (void)state;
    cml_matrix Xm = cml_matrix_view(X, n, p);
    double tw_pca, tw_tsne, tw_umap;

    cml_pca_params pp = cml_pca_params_default();
    snprintf(pp.n_components, sizeof pp.n_components, "2");
    cml_pca *pca;
    assert_int_equal(cml_pca_fit(&pp, &Xm, &pca), CML_OK);
    double *Ep = malloc(sizeof(double) * (size_t)(n * 2));
    assert_int_equal(cml_pca_transform(pca, &Xm, Ep), CML_OK);
    cml_pca_free(pca);
    cml_matrix Epm = cml_matrix_view(Ep, n, 2);
    assert_int_equal(cml_trustworthiness(&Xm, &Epm, 5, &tw_pca), CML_OK);

    cml_tsne_params tp = cml_tsne_params_default();
    cml_tsne *ts;
    double t0 = cml_now();
    assert_int_equal(cml_tsne_fit(&tp, &Xm, &ts), CML_OK);
    double dt_tsne = cml_now() - t0;
    cml_matrix Etm = cml_matrix_view(cml_tsne_embedding(ts), n, 2);
    assert_int_equal(cml_trustworthiness(&Xm, &Etm, 5, &tw_tsne), CML_OK);
    double kl = cml_tsne_kl_divergence(ts), want_kl = gscalar("tsne_bh_kl");
    printf("t-SNE Barnes-Hut, digits: trustworthiness %.5f (sklearn %.5f), KL %.5f (sklearn "
           "%.5f, %+.2f%%), learning_rate %g (sklearn %g), %.2f s\n",
           tw_tsne, gscalar("tsne_bh_tw5"), kl, want_kl, 100 * (kl - want_kl) / want_kl,
           cml_tsne_learning_rate(ts), gscalar("tsne_bh_lr"), dt_tsne);
    assert_true(fabs(tw_tsne - gscalar("tsne_bh_tw5")) <= 0.01);
    assert_true(fabs(kl - want_kl) <= 0.05 * want_kl);
    assert_true(cml_tsne_learning_rate(ts) == gscalar("tsne_bh_lr"));

    cml_umap_params up = cml_umap_params_default();
    cml_umap *um;
    t0 = cml_now();
    assert_int_equal(cml_umap_fit(&up, &Xm, &um), CML_OK);
    double dt_umap = cml_now() - t0;
    cml_matrix Eum = cml_matrix_view(cml_umap_embedding(um), n, 2);
    assert_int_equal(cml_trustworthiness(&Xm, &Eum, 5, &tw_umap), CML_OK);
    printf("UMAP, digits: trustworthiness %.5f (bar 0.95), init %s, %.2f s\n", tw_umap,
           cml_umap_init_used(um), dt_umap);
    printf("PCA(2), digits: trustworthiness %.5f\n", tw_pca);
    assert_true(tw_umap >= 0.95);
    assert_true(tw_tsne > tw_pca && tw_umap > tw_pca);
    cml_umap_free(um);

    /* UMAP on the first 1500 digits, transform of the 297 held out: their
     * placement must be trustworthy too. */
    int64_t ntr = 1500, nte = n - ntr;
    cml_matrix Xtr = cml_matrix_view(X, ntr, p), Xte = cml_matrix_view(X + ntr * p, nte, p);
    assert_int_equal(cml_umap_fit(&up, &Xtr, &um), CML_OK);
    double *Ete = malloc(sizeof(double) * (size_t)(nte * 2)), tw_te;
    assert_int_equal(cml_umap_transform(um, &Xte, Ete), CML_OK);
    cml_matrix Etem = cml_matrix_view(Ete, nte, 2);
    assert_int_equal(cml_trustworthiness(&Xte, &Etem, 5, &tw_te), CML_OK);
    /* And each held-out point lands among training points of its class:
     * kNN accuracy (k = 5) in the embedding. */
    const double *Etr = cml_umap_embedding(um);
    int64_t correct = 0;
    for (int64_t i = 0; i < nte; i++) {
        double best[5] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
        int64_t lab[5] = {0};
        for (int64_t j = 0; j < ntr; j++) {
            double dx = Ete[2 * i] - Etr[2 * j], dy = Ete[2 * i + 1] - Etr[2 * j + 1];
            double d = dx * dx + dy * dy;
            for (int s = 0; s < 5; s++)
                if (d < best[s]) {
                    for (int u = 4; u > s; u--) {
                        best[u] = best[u - 1];
                        lab[u] = lab[u - 1];
                    }
                    best[s] = d;
                    lab[s] = (int64_t)Y[j];
                    break;
                }
        }
        int votes[10] = {0}, arg = 0;
        for (int s = 0; s < 5; s++)
            votes[lab[s]]++;
        for (int v = 1; v < 10; v++)
            if (votes[v] > votes[arg]) arg = v;
        correct += arg == (int)Y[ntr + i];
    }
    double acc = (double)correct / (double)nte;
    printf("UMAP transform of 297 held-out digits: trustworthiness %.5f, 5-NN accuracy in the "
           "embedding %.4f\n",
           tw_te, acc);
    assert_true(tw_te >= 0.9);
    assert_true(acc >= 0.85);
    free(Ete);
    cml_umap_free(um);

    /* The three panels, coloured by digit. */
    assert_int_equal(cml_umap_fit(&up, &Xm, &um), CML_OK);
    const double *Eu = cml_umap_embedding(um);
    const double *Et = cml_tsne_embedding(ts);
    double *cols = malloc(sizeof(double) * (size_t)(n * 6));
    int64_t *labels = malloc(sizeof(int64_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        cols[i] = Ep[2 * i];
        cols[n + i] = Ep[2 * i + 1];
        cols[2 * n + i] = Et[2 * i];
        cols[3 * n + i] = Et[2 * i + 1];
        cols[4 * n + i] = Eu[2 * i];
        cols[5 * n + i] = Eu[2 * i + 1];
        labels[i] = (int64_t)Y[i];
    }
    char t_pca[96], t_tsne[96], t_umap[96];
    snprintf(t_pca, sizeof t_pca, "PCA (trustworthiness %.3f)", tw_pca);
    snprintf(t_tsne, sizeof t_tsne, "t-SNE (trustworthiness %.3f)", tw_tsne);
    snprintf(t_umap, sizeof t_umap, "UMAP (trustworthiness %.3f)", tw_umap);
    cml_plot_panel panels[3] = {
        {cols, cols + n, n, labels, t_pca, "PC 1", "PC 2"},
        {cols + 2 * n, cols + 3 * n, n, labels, t_tsne, "t-SNE 1", "t-SNE 2"},
        {cols + 4 * n, cols + 5 * n, n, labels, t_umap, "UMAP 1", "UMAP 2"},
    };
    static const char *const names[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL};
    mkdir("out", 0755);
    assert_int_equal(cml_plot_grid("out/digits_embed.png", panels, 3, 3, names,
                                   "Digits (1797 images, 64 pixels) in two dimensions"),
                     CML_OK);
    FILE *f = fopen("out/digits_embed.png", "rb");
    assert_non_null(f);
    unsigned char sig[8];
    assert_int_equal(fread(sig, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
    free(cols);
    free(labels);
    free(Ep);
    cml_umap_free(um);
    cml_tsne_free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trustworthiness),   cmocka_unit_test(test_perplexity_search),
        cmocka_unit_test(test_umap_ab),           cmocka_unit_test(test_tsne_exact),
        cmocka_unit_test(test_digits_three_ways),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
