/*
 * course_exp_unsupervised.c — the experiments of the clustering and
 * embedding lessons; labels are only used to score and colour:
 *
 *  k-means (iris, standardized): inertia (elbow) and silhouette for
 *    k = 1..10, then k = 3 drawn on the PCA plane next to the species, with
 *    the adjusted Rand index against them.
 *  dbscan (wine, standardized, first two principal components): the
 *    k-distance curve and its knee as the chosen eps, clusters and noise
 *    share over a range of eps, four eps values drawn side by side.
 *  pca-tsne-umap (digits): PCA, t-SNE and UMAP maps side by side, their
 *    trustworthiness (k = 5) and time, and PCA's cumulative explained
 *    variance.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "course_exp.h"

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

/* Labels of a fitted clusterer as doubles (n). */
static cml_status cluster_labels(const cml_model *m, int64_t n, double *out)
{
    const int64_t *lab;
    if (cml_model_labels(m, &lab) != n)
        return cml_fail(CML_ERR_INTERNAL, "course: clusterer gave no labels for the rows");
    for (int64_t i = 0; i < n; i++)
        out[i] = (double)lab[i];
    return CML_OK;
}

/* ---------------------------------------------------------------- k-means */

static cml_status exp_k_means(course_run *r)
{
    enum { KMAX = 10 };
    int kmax = r->quick ? 6 : KMAX;
    cr_data d;
    double *Z = NULL, *xy = NULL, *lab = NULL, ks[KMAX], inertia[KMAX], sil[KMAX];
    double *px = NULL, *py = NULL;
    int64_t *cl3 = NULL, *species = NULL;
    cml_status st = cr_load(r, "iris", NULL, &d);
    if (st != CML_OK) return st;
    cml_matrix X = cml_table_matrix(d.X);
    Z = cr_dup(X.data, d.n * d.p);
    xy = malloc(sizeof *xy * (size_t)(2 * d.n));
    lab = malloc(sizeof *lab * (size_t)d.n);
    cl3 = malloc(sizeof *cl3 * (size_t)d.n);
    species = cr_labels(d.y, d.n);
    if (!Z || !xy || !lab || !cl3 || !species) {
        st = oom();
        goto done;
    }
    if ((st = cr_standardize(Z, d.n, d.p))) goto done;
    cml_matrix V = cml_matrix_view(Z, d.n, d.p);
    double sil3 = NAN, ari3 = NAN;
    static const char *const cols[] = {"k", "inertia", "silhouette"};
    if ((st = cr_table(r, 3, cols))) goto done;
    for (int k = 1; k <= kmax; k++) {
        char prm[64];
        cml_model *m = NULL;
        snprintf(prm, sizeof prm, "n_clusters=%d;random_state=0;n_init=10", k);
        if ((st = cr_model("kmeans", prm, 0, &m))) goto done;
        st = cml_model_fit(m, &V, NULL, NULL);
        if (st == CML_OK) st = cluster_labels(m, d.n, lab);
        ks[k - 1] = k;
        if (st == CML_OK) inertia[k - 1] = cml_kmeans_inertia(cml_model_state(m));
        cml_model_free(m);
        sil[k - 1] = NAN; /* undefined for one cluster: the line starts at k = 2 */
        if (st == CML_OK && k >= 2) st = cml_silhouette_score(&V, lab, &sil[k - 1]);
        if (st == CML_OK && k == 3) {
            sil3 = sil[2];
            st = cml_adjusted_rand_score(d.y, lab, d.n, &ari3);
            for (int64_t i = 0; i < d.n; i++)
                cl3[i] = (int64_t)lab[i];
        }
        if (st != CML_OK) goto done;
        if (k >= 2)
            st = cr_row(r, "%d\t%.2f\t%.3f", k, inertia[k - 1], sil[k - 1]);
        else
            st = cr_row(r, "%d\t%.2f\t-", k, inertia[k - 1]);
        if (st) goto done;
        cr_progress(r, 0.8 * k / kmax, "k-means with k = %d", k);
    }
    int best = 1;
    for (int k = 2; k < kmax; k++)
        if (sil[k] > sil[best]) best = k;
    if ((st = cr_metric(r, "silhouette_k3", "silhouette at k = 3", sil3)) ||
        (st = cr_metric(r, "ari_k3", "adjusted Rand index vs species, k = 3", ari3)) ||
        (st = cr_metric(r, "best_k_silhouette", "k with the highest silhouette", best + 1)))
        goto done;
    if ((st = cr_note(r,
                      "The silhouette is highest at k = %d (%.3f); at k = 3, the number of "
                      "species, it is %.3f.",
                      best + 1, sil[best], sil3)) ||
        (st = cr_note(r, "Inertia falls from %.1f at k = 1 to %.1f at k = 3 and %.1f at k = %d.",
                      inertia[0], inertia[2], inertia[kmax - 1], kmax)))
        goto done;
    static const char *const en[] = {"inertia"};
    static const char *const sn[] = {"silhouette"};
    if ((st = cml_plot_lines(cr_path(r, "elbow.png"), ks, inertia, 1, kmax, en,
                             "k-means on iris: the elbow curve", "k (clusters)",
                             "inertia (within-cluster sum of squares)")) ||
        (st = cr_plot(r, "elbow.png", "Elbow curve: inertia vs k")) ||
        (st = cml_plot_lines(cr_path(r, "silhouette.png"), ks, sil, 1, kmax, sn,
                             "k-means on iris: silhouette vs k", "k (clusters)",
                             "mean silhouette")) ||
        (st = cr_plot(r, "silhouette.png", "Silhouette score vs k")))
        goto done;
    if ((st = cr_pca2(X.data, d.n, d.p, xy)) || (st = cr_unzip(xy, d.n, &px, &py))) goto done;
    cml_plot_panel panels[2] = {
        {px, py, d.n, cl3, "k-means clusters (k = 3)", "PC1", "PC2"},
        {px, py, d.n, species, "true species (0 setosa, 1 versicolor, 2 virginica)", "PC1", "PC2"}};
    if ((st = cml_plot_grid(cr_path(r, "clusters.png"), panels, 2, 2, NULL,
                            "Iris on its first two principal components")) ||
        (st = cr_plot(r, "clusters.png", "Clusters (k = 3) vs species on the PCA plane")))
        goto done;
done:
    free(Z);
    free(xy);
    free(lab);
    free(cl3);
    free(species);
    free(px);
    free(py);
    cr_data_free(&d);
    return st;
}

/* ---------------------------------------------------------------- DBSCAN */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Distance of each of the n 2-D points to its k-th nearest other point,
 * sorted ascending (n is small: brute force). */
static cml_status k_distance(const double *xy, int64_t n, int k, double *out)
{
    double *dist = malloc(sizeof *dist * (size_t)n);
    if (!dist) return oom();
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < n; j++)
            dist[j] = hypot(xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]);
        qsort(dist, (size_t)n, sizeof *dist, cmp_double);
        out[i] = dist[k < n ? k : n - 1]; /* dist[0] is the point itself */
    }
    qsort(out, (size_t)n, sizeof *out, cmp_double);
    free(dist);
    return CML_OK;
}

/* The knee of an increasing curve: the point farthest from the chord
 * joining its ends (the "kneedle" idea, Satopaa et al. 2011). */
static int64_t knee(const double *v, int64_t n)
{
    double x0 = 0, y0 = v[0], x1 = (double)(n - 1), y1 = v[n - 1], best = -1;
    int64_t at = n - 1;
    for (int64_t i = 0; i < n; i++) {
        double dd = fabs((y1 - y0) * (double)i - (x1 - x0) * v[i] + x1 * y0 - y1 * x0);
        if (dd > best) best = dd, at = i;
    }
    return at;
}

static cml_status dbscan_run(const double *xy, int64_t n, double eps, int min_samples, double *lab,
                             int *n_clusters, double *noise)
{
    char prm[96];
    cml_model *m = NULL;
    snprintf(prm, sizeof prm, "eps=%.17g;min_samples=%d", eps, min_samples);
    cml_matrix V = cml_matrix_view(xy, n, 2);
    cml_status st = cr_model("dbscan", prm, 0, &m);
    if (st == CML_OK) st = cml_model_fit(m, &V, NULL, NULL);
    if (st == CML_OK) st = cluster_labels(m, n, lab);
    cml_model_free(m);
    if (st != CML_OK) return st;
    double mx = -1, nn = 0;
    for (int64_t i = 0; i < n; i++) {
        mx = fmax(mx, lab[i]);
        nn += lab[i] < 0;
    }
    *n_clusters = (int)mx + 1;
    *noise = nn / (double)n;
    return CML_OK;
}

static cml_status exp_dbscan(course_run *r)
{
    enum { MIN_SAMPLES = 5, NE = 24 };
    cr_data d;
    double *xy = NULL, *kd = NULL, *lab = NULL, *px = NULL, *py = NULL, *rank = NULL;
    int64_t *plab[4] = {NULL, NULL, NULL, NULL};
    double eps_grid[NE], counts[2 * NE];
    int ne = r->quick ? 8 : NE;
    cml_status st = cr_load(r, "wine", NULL, &d);
    if (st != CML_OK) return st;
    int64_t n = d.n;
    xy = malloc(sizeof *xy * (size_t)(2 * n));
    kd = malloc(sizeof *kd * (size_t)n);
    lab = malloc(sizeof *lab * (size_t)n);
    rank = malloc(sizeof *rank * (size_t)n);
    if (!xy || !kd || !lab || !rank) {
        st = oom();
        goto done;
    }
    cml_matrix X = cml_table_matrix(d.X);
    if ((st = cr_pca2(X.data, n, d.p, xy))) goto done;
    /* k-distance with k = min_samples - 1 other points (DBSCAN counts the
     * point itself in min_samples) */
    if ((st = k_distance(xy, n, MIN_SAMPLES - 1, kd))) goto done;
    int64_t kn = knee(kd, n);
    double eps = kd[kn];
    for (int64_t i = 0; i < n; i++)
        rank[i] = (double)i;
    static const char *const kdn[] = {"distance to the 4th neighbour"};
    char title[128];
    snprintf(title, sizeof title, "k-distance plot (min_samples = %d): knee at %.3f", MIN_SAMPLES,
             eps);
    if ((st = cml_plot_lines(cr_path(r, "k_distance.png"), rank, kd, 1, n, kdn, title,
                             "points, sorted by distance", "distance")) ||
        (st = cr_plot(r, "k_distance.png", "Sorted k-distances and their knee")))
        goto done;

    int ncl;
    double noise, ari;
    if ((st = dbscan_run(xy, n, eps, MIN_SAMPLES, lab, &ncl, &noise)) ||
        (st = cml_adjusted_rand_score(d.y, lab, n, &ari)))
        goto done;
    if ((st = cr_metric(r, "n_clusters", "clusters at the knee eps", ncl)) ||
        (st = cr_metric(r, "noise_fraction", "share of noise points at the knee eps", noise)) ||
        (st = cr_metric(r, "ari", "adjusted Rand index vs cultivars", ari)) ||
        (st = cr_metric(r, "eps", "eps chosen at the knee of the k-distance curve", eps)))
        goto done;
    if ((st = cr_note(r,
                      "At eps = %.3f DBSCAN finds %d clusters and calls %.0f%% of the wines "
                      "noise.",
                      eps, ncl, 100 * noise)))
        goto done;

    /* clusters and noise over eps: from a quarter to twice the knee */
    static const char *const cols[] = {"eps", "clusters", "noise share"};
    if ((st = cr_table(r, 3, cols))) goto done;
    for (int i = 0; i < ne; i++) {
        eps_grid[i] = eps * (0.25 + 1.75 * i / (ne - 1));
        int c;
        double nz;
        if ((st = dbscan_run(xy, n, eps_grid[i], MIN_SAMPLES, lab, &c, &nz))) goto done;
        counts[i] = c;
        counts[ne + i] = nz;
        if ((st = cr_row(r, "%.3f\t%d\t%.3f", eps_grid[i], c, nz))) goto done;
        cr_progress(r, 0.2 + 0.5 * (i + 1) / ne, "DBSCAN with eps = %.3f", eps_grid[i]);
    }
    static const char *const cn[] = {"clusters"};
    static const char *const nn_[] = {"noise share"};
    if ((st = cml_plot_lines(cr_path(r, "clusters_vs_eps.png"), eps_grid, counts, 1, ne, cn,
                             "DBSCAN on wine: clusters found vs eps", "eps", "clusters")) ||
        (st = cr_plot(r, "clusters_vs_eps.png", "Number of clusters vs eps")) ||
        (st = cml_plot_lines(cr_path(r, "noise_vs_eps.png"), eps_grid, counts + ne, 1, ne, nn_,
                             "DBSCAN on wine: share of noise points vs eps", "eps",
                             "noise share")) ||
        (st = cr_plot(r, "noise_vs_eps.png", "Share of noise points vs eps")))
        goto done;

    /* four eps values drawn side by side, noise (-1) in grey */
    if ((st = cr_unzip(xy, n, &px, &py))) goto done;
    static const double mult[4] = {0.4, 0.7, 1.0, 2.0};
    char ptitle[4][64];
    cml_plot_panel panels[4];
    for (int k = 0; k < 4; k++) {
        int c;
        double nz;
        if (!(plab[k] = malloc(sizeof *plab[k] * (size_t)n))) {
            st = oom();
            goto done;
        }
        if ((st = dbscan_run(xy, n, eps * mult[k], MIN_SAMPLES, lab, &c, &nz))) goto done;
        for (int64_t i = 0; i < n; i++)
            plab[k][i] = (int64_t)lab[i];
        snprintf(ptitle[k], sizeof ptitle[k], "eps = %.2f: %d clusters, %.0f%% noise",
                 eps * mult[k], c, 100 * nz);
        panels[k] = (cml_plot_panel){px, py, n, plab[k], ptitle[k], "PC1", "PC2"};
    }
    if ((st = cml_plot_grid(cr_path(r, "eps_panels.png"), panels, 4, 2, NULL,
                            "DBSCAN on wine (2 principal components); -1 = noise")) ||
        (st = cr_plot(r, "eps_panels.png", "Clusters and noise for four values of eps")))
        goto done;
done:
    free(xy);
    free(kd);
    free(lab);
    free(rank);
    free(px);
    free(py);
    for (int k = 0; k < 4; k++)
        free(plab[k]);
    cr_data_free(&d);
    return st;
}

/* ---------------------------------------------------------------- PCA / t-SNE / UMAP */

static cml_status exp_pca_tsne_umap(course_run *r)
{
    static const char *const algos[] = {"pca", "tsne", "umap"};
    static const char *const names[] = {"PCA", "t-SNE", "UMAP"};
    /* fewer iterations than the defaults (1000 / 500): the maps are settled
     * by then on 1,797 points, and `make run` stays short */
    static const char *const full_prms[] = {"n_components=2", "n_iter=500;random_state=0",
                                            "n_epochs=200;random_state=0"};
    static const char *const quick_prms[] = {"n_components=2", "n_iter=250;random_state=0",
                                             "n_epochs=50;random_state=0"};
    const char *const *prms = r->quick ? quick_prms : full_prms;
    cr_data d;
    double *Z = NULL, *emb[3] = {NULL, NULL, NULL}, *ex[3] = {NULL, NULL, NULL},
           *ey[3] = {NULL, NULL, NULL}, *cum = NULL, *idx = NULL;
    int64_t *lab = NULL;
    cml_model *full = NULL;
    cml_status st = cr_load(r, "digits", NULL, &d);
    if (st != CML_OK) return st;
    /* quick: the first 200 digits (the order of the file is not by class) */
    int64_t n = r->quick ? (d.n < 200 ? d.n : 200) : d.n, p = d.p;
    cml_matrix X = cml_table_matrix(d.X);
    Z = cr_dup(X.data, n * p);
    lab = cr_labels(d.y, n);
    if (!Z || !lab) {
        st = oom();
        goto done;
    }
    /* pixel intensities share one scale (0..16): no standardization, as in
     * the usual digits examples */
    cml_matrix V = cml_matrix_view(Z, n, p);
    static const char *const cols[] = {"method", "trustworthiness (k = 5)", "seconds"};
    if ((st = cr_table(r, 3, cols))) goto done;
    double trust[3];
    for (int k = 0; k < 3; k++) {
        cml_model *m = NULL;
        if (!(emb[k] = malloc(sizeof *emb[k] * (size_t)(2 * n)))) {
            st = oom();
            goto done;
        }
        cr_progress(r, 0.05 + 0.3 * k, "%s on %lld digits", names[k], (long long)n);
        double t0 = cml_now();
        if ((st = cr_model(algos[k], prms[k], 0, &m))) goto done;
        st = cml_model_fit(m, &V, NULL, NULL);
        if (st == CML_OK) st = cml_model_transform(m, &V, emb[k]);
        cml_model_free(m);
        double secs = cml_now() - t0;
        cml_matrix E = cml_matrix_view(emb[k], n, 2);
        if (st == CML_OK) st = cml_trustworthiness(&V, &E, 5, &trust[k]);
        if (st == CML_OK) st = cr_unzip(emb[k], n, &ex[k], &ey[k]);
        if (st != CML_OK) goto done;
        char key[64], label[96];
        snprintf(key, sizeof key, "trustworthiness_%s", algos[k]);
        snprintf(label, sizeof label, "%s: trustworthiness (k = 5)", names[k]);
        if ((st = cr_metric(r, key, label, trust[k])) ||
            (st = cr_row(r, "%s\t%.4f\t%.2f", names[k], trust[k], secs)))
            goto done;
    }
    if ((st = cr_note(r,
                      "Trustworthiness (share of each point's 5 nearest map neighbours that "
                      "were near in the 64 pixels): PCA %.3f, t-SNE %.3f, UMAP %.3f.",
                      trust[0], trust[1], trust[2])))
        goto done;
    cml_plot_panel panels[3];
    for (int k = 0; k < 3; k++)
        panels[k] = (cml_plot_panel){ex[k], ey[k], n, lab, names[k], NULL, NULL};
    char title[96];
    snprintf(title, sizeof title, "%lld handwritten digits in two dimensions, coloured by digit",
             (long long)n);
    if ((st = cml_plot_grid(cr_path(r, "side_by_side.png"), panels, 3, 3, NULL, title)) ||
        (st = cr_plot(r, "side_by_side.png", "PCA, t-SNE and UMAP maps side by side")))
        goto done;

    /* cumulative explained variance of all components */
    cr_progress(r, 0.95, "PCA explained variance");
    if ((st = cr_model("pca", "", 0, &full)) || (st = cml_model_fit(full, &V, NULL, NULL)))
        goto done;
    const cml_pca *pm = cml_model_state(full);
    int64_t nc = cml_pca_n_components(pm);
    const double *ratio = cml_pca_explained_variance_ratio(pm);
    cum = malloc(sizeof *cum * (size_t)nc);
    idx = malloc(sizeof *idx * (size_t)nc);
    if (!cum || !idx) {
        st = oom();
        goto done;
    }
    int64_t k90 = -1;
    for (int64_t j = 0; j < nc; j++) {
        cum[j] = ratio[j] + (j ? cum[j - 1] : 0);
        idx[j] = (double)(j + 1);
        if (k90 < 0 && cum[j] >= 0.9) k90 = j + 1;
    }
    if ((st = cr_metric(r, "pca_variance_2", "share of variance in the first 2 PCA components",
                        cum[1 < nc ? 1 : 0])) ||
        (st = cr_metric(r, "pca_components_90", "components needed for 90% of the variance",
                        (double)k90)) ||
        (st = cr_note(r,
                      "The first two principal components keep %.1f%% of the pixel variance; "
                      "%lld components are needed for 90%%.",
                      100 * cum[1 < nc ? 1 : 0], (long long)k90)))
        goto done;
    static const char *const vn[] = {"cumulative explained variance"};
    if ((st = cml_plot_lines(cr_path(r, "explained_variance.png"), idx, cum, 1, nc, vn,
                             "PCA on digits: cumulative explained variance", "number of components",
                             "share of variance")) ||
        (st = cr_plot(r, "explained_variance.png", "PCA cumulative explained variance")))
        goto done;
done:
    cml_model_free(full);
    free(Z);
    free(lab);
    free(cum);
    free(idx);
    for (int k = 0; k < 3; k++) {
        free(emb[k]);
        free(ex[k]);
        free(ey[k]);
    }
    cr_data_free(&d);
    return st;
}

const course_experiment course_exp_k_means = {"k-means", "iris", exp_k_means};
const course_experiment course_exp_dbscan = {"dbscan", "wine", exp_dbscan};
const course_experiment course_exp_pca_tsne_umap = {"pca-tsne-umap", "digits", exp_pca_tsne_umap};
