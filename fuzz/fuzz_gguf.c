/*
 * fuzz_gguf.c — libFuzzer target for the model container reader and the
 * generic model loader on top of it: any byte string must be rejected or
 * loaded cleanly, never crash, hang or leak. A model that loads is also
 * described and applied (predict, predict_proba, decision_function,
 * transform) to a small matrix, so indices and shapes a loader accepted
 * are exercised by the code that relies on them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cml/cml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS     3
#define MAX_COLS 4096 /* outputs per row the harness is willing to allocate */

typedef cml_status (*apply_fn)(const cml_model *m, const cml_matrix *X, double *out);

static void apply(const cml_model *m, const cml_matrix *X, apply_fn fn, int64_t cols)
{
    if (cols < 1 || cols > MAX_COLS) return;
    double *out = malloc(sizeof(double) * ROWS * (size_t)cols);
    if (!out) return;
    fn(m, X, out);
    free(out);
}

static void exercise(const cml_model *m)
{
    int64_t d = cml_model_n_features_in(m);
    if (d < 1 || d > MAX_COLS) return;
    double *x = malloc(sizeof(double) * ROWS * (size_t)d);
    if (!x) return;
    for (int64_t i = 0; i < ROWS; i++)
        for (int64_t j = 0; j < d; j++)
            x[i * d + j] = (double)(i - 1) * (double)(j % 3) + 0.5 * (double)i;
    cml_matrix X = cml_matrix_view(x, ROWS, d);
    apply(m, &X, cml_model_predict, 1);
    apply(m, &X, cml_model_predict_proba, cml_model_n_classes(m));
    apply(m, &X, cml_model_decision_function, cml_model_n_decision_cols(m));
    apply(m, &X, cml_model_transform, cml_model_n_transform_cols(m));
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cml_gguf *g = NULL;
    if (cml_gguf_read_mem(data, size, "fuzz", &g) != CML_OK) return 0;
    cml_model *m = NULL;
    if (cml_model_from_gguf(g, &m) == CML_OK) {
        char *desc = cml_model_describe(m);
        free(desc);
        exercise(m);
        cml_model_free(m);
    }
    for (int64_t i = 0; i < cml_gguf_n_kv(g); i++)
        free(cml_gguf_kv_json(g, i, 8));
    cml_gguf_free(g);
    return 0;
}
