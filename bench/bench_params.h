/*
 * bench_params.h — what the bench programs share: setting a model's
 * parameters from KEY=VALUE arguments, and loading Fashion-MNIST.
 */
#ifndef CML_BENCH_PARAMS_H
#define CML_BENCH_PARAMS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cml/cml.h"

/* Sets args[0..n) ("key=value") on m; on error prints one line naming the
 * program and the argument, and returns nonzero. */
static inline int bench_set_params(cml_model *m, const char *prog, char **args, int n)
{
    for (int i = 0; i < n; i++) {
        char key[128];
        const char *eq = strchr(args[i], '=');
        if (!eq || (size_t)(eq - args[i]) >= sizeof key) {
            fprintf(stderr, "%s: expected key=value, got %s\n", prog, args[i]);
            return 1;
        }
        memcpy(key, args[i], (size_t)(eq - args[i]));
        key[eq - args[i]] = '\0';
        if (cml_model_set_param(m, key, eq + 1) != CML_OK) {
            fprintf(stderr, "%s: %s\n", prog, cml_last_error());
            return 1;
        }
    }
    return 0;
}

/* Debian's dataset-fashion-mnist IDX files. */
#define BENCH_FM "/usr/share/datasets/fashion-mnist/"

/* Loads split "train" or "t10k" of Fashion-MNIST: X (rows, 784) in [0, 1]
 * and y, keeping the first `limit` rows (0: all); *n = rows kept. On error
 * prints one line naming prog and returns 0 (the benches then skip). */
static inline int bench_fashion_load(const char *prog, const char *split, int64_t limit, double **X,
                                     double **y, int64_t *n)
{
    char img[256], lab[256];
    int64_t r, c, r2, c2;
    snprintf(img, sizeof img, BENCH_FM "%s-images-idx3-ubyte.gz", split);
    snprintf(lab, sizeof lab, BENCH_FM "%s-labels-idx1-ubyte.gz", split);
    if (cml_idx_read(img, X, &r, &c) || cml_idx_read(lab, y, &r2, &c2)) {
        fprintf(stderr, "%s: %s\n", prog, cml_last_error());
        return 0;
    }
    if (r != r2 || c != 784) {
        fprintf(stderr, "%s: %s: %lld x %lld images for %lld labels, expected 784 pixels\n", prog,
                img, (long long)r, (long long)c, (long long)r2);
        return 0;
    }
    *n = limit > 0 && limit < r ? limit : r;
    for (int64_t i = 0; i < *n * c; i++)
        (*X)[i] /= 255.0;
    return 1;
}

#endif
