/*
 * bench_neighbors.c — the cml side of bench/bench_neighbors.py on
 * Fashion-MNIST (read from Debian's IDX files, pixels / 255): fits ALGO on
 * the first NTRAIN training images and predicts the first NTEST test images
 * (t10k), in one process, best of REPEATS for fit and for predict, and
 * prints one JSON line
 *   {"algo":..., "fit_s":..., "predict_s":..., "accuracy":..., "threads":..., "blas":...}
 * The predictions of the last repeat go to PRED (one per line) unless PRED
 * is "-", so the script can check that they equal scikit-learn's.
 *
 * usage: bench_neighbors ALGO NTRAIN NTEST REPEATS PRED [key=value]...
 * (NTRAIN / NTEST = 0: all rows). Exit 77 when the data set is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/cml.h"
#include "bench_params.h"

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_neighbors ALGO NTRAIN NTEST REPEATS PRED [key=value]...\n");
        return 2;
    }
    cml_blas_autotune(); /* as the cml command does */
    double *X, *y, *Xt, *yt;
    int64_t n, nt;
    int repeats = atoi(argv[4]);
    if (!bench_fashion_load("bench_neighbors", "train", atoll(argv[2]), &X, &y, &n) ||
        !bench_fashion_load("bench_neighbors", "t10k", atoll(argv[3]), &Xt, &yt, &nt))
        return 77;
    cml_matrix A = cml_matrix_view(X, n, 784), T = cml_matrix_view(Xt, nt, 784);
    double *pred = malloc((size_t)nt * sizeof *pred);
    double best_fit = 1e300, best_pred = 1e300;
    if (!pred) return 1;
    for (int r = 0; r < (repeats > 0 ? repeats : 1); r++) {
        cml_model *m;
        if (cml_model_create(argv[1], &m)) goto fail;
        if (bench_set_params(m, "bench_neighbors", argv + 6, argc - 6)) return 2;
        double t0 = cml_now();
        if (cml_model_fit(m, &A, y, NULL)) goto fail;
        double t1 = cml_now();
        if (cml_model_predict(m, &T, pred)) goto fail;
        double t2 = cml_now();
        best_fit = t1 - t0 < best_fit ? t1 - t0 : best_fit;
        best_pred = t2 - t1 < best_pred ? t2 - t1 : best_pred;
        cml_model_free(m);
    }
    int64_t ok = 0;
    for (int64_t i = 0; i < nt; i++)
        ok += pred[i] == yt[i];
    if (strcmp(argv[5], "-") != 0) {
        FILE *f = fopen(argv[5], "w");
        if (!f) return 1;
        for (int64_t i = 0; i < nt; i++)
            fprintf(f, "%.17g\n", pred[i]);
        fclose(f);
    }
    printf("{\"algo\":\"%s\",\"train_rows\":%lld,\"test_rows\":%lld,\"fit_s\":%.9f,"
           "\"predict_s\":%.9f,\"accuracy\":%.17g,\"threads\":%d,\"blas\":\"%s\"}\n",
           argv[1], (long long)n, (long long)nt, best_fit, best_pred, (double)ok / (double)nt,
           cml_get_num_threads(), cml_blas_name());
    free(pred);
    free(X);
    free(y);
    free(Xt);
    free(yt);
    return 0;
fail:
    fprintf(stderr, "bench_neighbors: %s\n", cml_last_error());
    return 1;
}
