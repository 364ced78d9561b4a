/*
 * bench_cluster.c — the cml side of bench/bench_cluster.py: fits one
 * unsupervised estimator (kmeans, pca, tsne, dbscan, umap) in-process on a
 * raw float64 matrix, best of R fits, and writes what the reference is
 * judged on: the training labels (clusterers) or the transformed training
 * rows / embedding (pca, tsne, umap) as raw float64, plus one JSON line
 *   {"algo":..., "fit_s":..., "quality":{...}, "threads":..., "blas":...}
 * with the estimator's own quality numbers (inertia, explained variance
 * ratio and solver, KL divergence, cluster count).
 *
 * Raw float64 input (numpy's tofile) instead of CSV: the 60k x 784
 * Fashion-MNIST matrix would be a ~1 GB CSV, and parsing is not timed anyway.
 *
 * usage: bench_cluster ALGO X.f64 ROWS COLS REPEATS OUT.f64 [key=value]...
 * ALGO nn_descent (k=K, seed=S) runs the NN-descent kNN graph UMAP uses for
 * large data and writes the (ROWS, K) neighbour indices.
 * kmeans also takes init_file=C.f64 (n_clusters x COLS raw float64): the fit
 * starts from those centres (sklearn's init=ndarray), so both sides run the
 * same iterations from the same start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cml/cml.h"
#include "decomp/nndescent.h"

/* CPU seconds of the whole process, every thread: on a shared machine this
 * moves far less with the load than wall time. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double *read_raw(const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    double *x = f ? malloc(sizeof(double) * n) : NULL;
    if (!f || !x || fread(x, sizeof(double), n, f) != n) {
        free(x);
        x = NULL;
    }
    if (f) fclose(f);
    return x;
}

static int write_raw(const char *path, const double *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    int bad = fwrite(x, sizeof(double), n, f) != n;
    return fclose(f) != 0 || bad;
}

/* The NN-descent graph of X, best of `repeats`; indices to out.f64. */
static int run_nn_descent(const cml_matrix *A, int repeats, const char *out_path, int argc,
                          char **argv)
{
    int64_t k = 15, n = A->rows;
    uint64_t seed = 0;
    for (int i = 7; i < argc; i++) {
        if (!strncmp(argv[i], "k=", 2)) k = atoll(argv[i] + 2);
        if (!strncmp(argv[i], "seed=", 5)) seed = (uint64_t)atoll(argv[i] + 5);
    }
    double *d = malloc(sizeof(double) * (size_t)(n * k));
    int64_t *ix = malloc(sizeof(int64_t) * (size_t)(n * k));
    if (!d || !ix) return 1;
    double best = 1e300, best_cpu = 1e300;
    int it = 0;
    for (int r = 0; r < repeats; r++) {
        cml_nnd_params prm = cml_nnd_params_default();
        double t0 = cml_now(), c0 = cpu_now();
        if (cml_nnd_knn(A, CML_EMBED_EUCLIDEAN, k, &prm, seed, d, ix, &it) != CML_OK) {
            fprintf(stderr, "bench_cluster: %s\n", cml_last_error());
            return 1;
        }
        double t1 = cml_now(), c1 = cpu_now();
        best = t1 - t0 < best ? t1 - t0 : best;
        best_cpu = c1 - c0 < best_cpu ? c1 - c0 : best_cpu;
    }
    for (int64_t t = 0; t < n * k; t++)
        d[t] = (double)ix[t];
    if (write_raw(out_path, d, (size_t)(n * k))) return 1;
    printf("{\"algo\":\"nn_descent\",\"fit_s\":%.9f,\"cpu_s\":%.9f,\"cols\":%lld,"
           "\"quality\":{\"n_iter\":%d},\"threads\":%d,\"blas\":\"%s\"}\n",
           best, best_cpu, (long long)k, it, cml_get_num_threads(), cml_blas_name());
    free(d);
    free(ix);
    return 0;
}

/* Quality numbers from the typed getters, as a JSON object text. */
static void quality(const char *algo, const void *s, char *buf, size_t cap)
{
    if (!strcmp(algo, "kmeans")) {
        snprintf(buf, cap, "{\"inertia\":%.17g,\"n_iter\":%d}", cml_kmeans_inertia(s),
                 cml_kmeans_n_iter(s));
    } else if (!strcmp(algo, "pca")) {
        const double *r = cml_pca_explained_variance_ratio(s);
        double sum = 0;
        for (int64_t j = 0; j < cml_pca_n_components(s); j++)
            sum += r[j];
        snprintf(buf, cap, "{\"explained_variance_ratio\":%.17g,\"solver\":\"%s\"}", sum,
                 cml_pca_solver_used(s));
    } else if (!strcmp(algo, "tsne")) {
        snprintf(buf, cap, "{\"kl_divergence\":%.17g,\"n_iter\":%d}", cml_tsne_kl_divergence(s),
                 cml_tsne_n_iter(s));
    } else if (!strcmp(algo, "dbscan")) {
        snprintf(buf, cap, "{\"n_clusters\":%lld}", (long long)cml_dbscan_n_clusters(s));
    } else {
        snprintf(buf, cap, "{}");
    }
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr,
                "usage: bench_cluster ALGO X.f64 ROWS COLS REPEATS OUT.f64 [key=value]...\n");
        return 2;
    }
    cml_blas_autotune(); /* as the cml command does */
    const char *algo = argv[1];
    int64_t rows = atoll(argv[3]), cols = atoll(argv[4]);
    int repeats = atoi(argv[5]);
    double *X = read_raw(argv[2], (size_t)(rows * cols)), *out = NULL;
    if (!X || rows < 1 || cols < 1 || repeats < 1) {
        fprintf(stderr, "bench_cluster: cannot read %s as %lld x %lld doubles\n", argv[2],
                (long long)rows, (long long)cols);
        return 1;
    }
    cml_matrix A = cml_matrix_view(X, rows, cols);
    if (!strcmp(algo, "nn_descent")) {
        int rc = run_nn_descent(&A, repeats, argv[6], argc, argv);
        free(X);
        return rc;
    }
    double best = 1e300, best_cpu = 1e300;
    char q[512] = "{}";
    cml_model *m = NULL;
    cml_kmeans *km = NULL; /* the fit from given centres */
    double *init = NULL;
    for (int r = 0; r < repeats; r++) {
        cml_model_free(m);
        cml_kmeans_free(km);
        km = NULL;
        if (cml_model_create(algo, &m) != CML_OK) goto fail;
        for (int i = 7; i < argc; i++) {
            char key[128];
            const char *eq = strchr(argv[i], '=');
            if (!eq || (size_t)(eq - argv[i]) >= sizeof key) goto fail;
            memcpy(key, argv[i], (size_t)(eq - argv[i]));
            key[eq - argv[i]] = '\0';
            if (!strcmp(key, "init_file")) {
                const cml_kmeans_params *kp = cml_model_params(m);
                free(init);
                init = read_raw(eq + 1, (size_t)kp->n_clusters * (size_t)cols);
                if (!init) {
                    fprintf(stderr, "bench_cluster: cannot read %s\n", eq + 1);
                    return 1;
                }
            } else if (cml_model_set_param(m, key, eq + 1) != CML_OK) {
                goto fail;
            }
        }
        double t0 = cml_now(), c0 = cpu_now();
        if (init) {
            const cml_kmeans_params *kp = cml_model_params(m);
            cml_matrix C = cml_matrix_view(init, kp->n_clusters, cols);
            if (cml_kmeans_fit_from(kp, &A, NULL, &C, &km) != CML_OK) goto fail;
        } else if (cml_model_fit(m, &A, NULL, NULL) != CML_OK) {
            goto fail;
        }
        double t1 = cml_now(), c1 = cpu_now();
        best = t1 - t0 < best ? t1 - t0 : best;
        best_cpu = c1 - c0 < best_cpu ? c1 - c0 : best_cpu;
    }
    quality(algo, km ? (const void *)km : cml_model_state(m), q, sizeof q);
    const int64_t *labels = km ? cml_kmeans_labels(km) : NULL;
    int64_t nl = km ? rows : cml_model_labels(m, &labels);
    int64_t k = nl > 0 ? 1 : cml_model_n_transform_cols(m);
    out = malloc(sizeof(double) * (size_t)(rows * k));
    if (!out) goto fail;
    if (nl > 0) {
        for (int64_t i = 0; i < rows; i++)
            out[i] = (double)labels[i];
    } else if (cml_model_transform(m, &A, out) != CML_OK) {
        goto fail;
    }
    if (write_raw(argv[6], out, (size_t)(rows * k))) {
        fprintf(stderr, "bench_cluster: cannot write %s\n", argv[6]);
        return 1;
    }
    printf("{\"algo\":\"%s\",\"fit_s\":%.9f,\"cpu_s\":%.9f,\"cols\":%lld,\"quality\":%s,"
           "\"threads\":%d,"
           "\"blas\":\"%s\"}\n",
           algo, best, best_cpu, (long long)k, q, cml_get_num_threads(), cml_blas_name());
    cml_model_free(m);
    cml_kmeans_free(km);
    free(init);
    free(out);
    free(X);
    return 0;
fail:
    fprintf(stderr, "bench_cluster: %s\n", cml_last_error());
    return 1;
}
