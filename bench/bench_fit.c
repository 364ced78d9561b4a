/*
 * bench_fit.c — the cml side of the estimator benchmarks: fits an estimator
 * on a training CSV and predicts a test CSV in one process, best of R runs
 * each, and prints one JSON line
 *   {"algo":..., "fit_s":..., "predict_s":..., "metric":..., "value":...}
 * so cml is timed exactly like the reference (best of R, in-process, the
 * algorithm alone, no CSV parsing).
 *
 * usage: bench_fit ALGO TRAIN.csv TEST.csv METRIC REPEATS [key=value]...
 * (target = last column of both files)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/cml.h"
#include "bench_params.h"

static int load(const char *path, cml_table **X, double **y)
{
    cml_table *t;
    cml_csv_opts o = cml_csv_opts_default();
    if (cml_csv_read(path, &o, &t) != CML_OK) return 1;
    cml_status st = cml_table_split_target(t, t->cols - 1, X, y);
    cml_table_free(t);
    return st != CML_OK;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_fit ALGO TRAIN.csv TEST.csv METRIC REPEATS [key=value]...\n");
        return 2;
    }
    cml_blas_autotune(); /* as the cml command does */
    const char *algo = argv[1], *metric = argv[4];
    int repeats = atoi(argv[5]);
    cml_table *Xtr, *Xte;
    double *ytr, *yte;
    if (load(argv[2], &Xtr, &ytr) || load(argv[3], &Xte, &yte)) {
        fprintf(stderr, "bench_fit: %s\n", cml_last_error());
        return 1;
    }
    cml_matrix A = cml_table_matrix(Xtr), B = cml_table_matrix(Xte);
    double *pred = malloc(sizeof(double) * (size_t)B.rows);
    double best_fit = 1e300, best_pred = 1e300, value = 0;
    for (int r = 0; r < repeats; r++) {
        cml_model *m;
        if (cml_model_create(algo, &m) != CML_OK) goto fail;
        if (bench_set_params(m, "bench_fit", argv + 6, argc - 6)) goto fail;
        double t0 = cml_now();
        if (cml_model_fit(m, &A, ytr, NULL) != CML_OK) goto fail;
        double t1 = cml_now();
        if (cml_model_predict(m, &B, pred) != CML_OK) goto fail;
        double t2 = cml_now();
        best_fit = t1 - t0 < best_fit ? t1 - t0 : best_fit;
        best_pred = t2 - t1 < best_pred ? t2 - t1 : best_pred;
        if (cml_metric_compute(metric, yte, pred, NULL, NULL, 0, B.rows, NULL, &value) != CML_OK)
            goto fail;
        cml_model_free(m);
    }
    printf("{\"algo\":\"%s\",\"fit_s\":%.9f,\"predict_s\":%.9f,\"metric\":\"%s\",\"value\":%.17g,"
           "\"threads\":%d,\"blas\":\"%s\"}\n",
           algo, best_fit, best_pred, metric, value, cml_get_num_threads(), cml_blas_name());
    return 0;
fail:
    fprintf(stderr, "bench_fit: %s\n", cml_last_error());
    return 1;
}
