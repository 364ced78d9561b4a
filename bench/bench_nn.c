/*
 * bench_nn.c — Fashion-MNIST training and inference for the deep-learning
 * estimators, for bench/bench_nn.py and the accuracy rows of BENCHMARKS.md.
 *
 *   bench_nn ALGO [key=value]...     (ALGO: mlp_classifier | cnn_classifier)
 *   env BENCH_NN_TRAIN=N limits the training rows (default all 60000),
 *       BENCH_NN_TEST=N the test rows (default all 10000)
 *
 * Pixels are scaled to [0, 1] as torchvision's ToTensor does (the model then
 * standardizes them with its own `normalize`). Prints one JSON line: fit
 * seconds, seconds per epoch, test accuracy, inference images per second
 * (the best of 3 passes over the test set),
 * and the process CPU seconds of fit and predict (on a loaded machine the
 * CPU time of a one-thread run is steadier than the wall clock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cml/cml.h"
#include "bench_params.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_nn ALGO [key=value]...\n");
        return 2;
    }
    cml_blas_autotune();
    double *X, *y, *Xt, *yt;
    int64_t n, nt;
    const char *lim = getenv("BENCH_NN_TRAIN"), *tlim = getenv("BENCH_NN_TEST");
    if (!bench_fashion_load("bench_nn", "train", lim ? atoll(lim) : 0, &X, &y, &n) ||
        !bench_fashion_load("bench_nn", "t10k", tlim ? atoll(tlim) : 0, &Xt, &yt, &nt))
        return 77;
    cml_model *m;
    if (cml_model_create(argv[1], &m)) goto fail;
    if (bench_set_params(m, "bench_nn", argv + 2, argc - 2)) return 2;
    cml_matrix A = cml_matrix_view(X, n, 784), T = cml_matrix_view(Xt, nt, 784);
    double t0 = cml_now();
    clock_t c0 = clock();
    if (cml_model_fit(m, &A, y, NULL)) goto fail;
    double fit = cml_now() - t0, fit_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    double *pred = malloc((size_t)nt * sizeof *pred);
    if (!pred) goto fail;
    double inf = 1e300, inf_cpu = 0;
    for (int rep = 0; rep < 3; rep++) { /* best of 3, as bench_nn.py times PyTorch */
        t0 = cml_now();
        c0 = clock();
        if (cml_model_predict(m, &T, pred)) goto fail;
        double s = cml_now() - t0;
        if (s < inf) {
            inf = s;
            inf_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
        }
    }
    int64_t ok = 0;
    for (int64_t i = 0; i < nt; i++)
        ok += pred[i] == yt[i];
    int epochs = cml_model_fit_info(m)->n_iter;
    printf("{\"algo\":\"%s\",\"train_rows\":%lld,\"epochs\":%d,\"fit_seconds\":%.3f,"
           "\"seconds_per_epoch\":%.3f,\"test_accuracy\":%.4f,\"predict_seconds\":%.3f,"
           "\"images_per_second\":%.0f,\"final_train_loss\":%.5f,\"threads\":%d,\"blas\":\"%s\","
           "\"fit_cpu_seconds\":%.3f,\"predict_cpu_seconds\":%.3f}\n",
           argv[1], (long long)n, epochs, fit, fit / (epochs ? epochs : 1), (double)ok / (double)nt,
           inf, (double)nt / inf, cml_model_fit_info(m)->objective, cml_get_num_threads(),
           cml_blas_name(), fit_cpu, inf_cpu);
    free(pred);
    cml_model_free(m);
    free(X);
    free(y);
    free(Xt);
    free(yt);
    return 0;
fail:
    fprintf(stderr, "bench_nn: %s\n", cml_last_error());
    return 1;
}
