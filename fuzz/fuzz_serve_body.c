/*
 * fuzz_serve_body.c — libFuzzer target for the HTTP predict bodies `cml
 * serve` accepts: JSON {"rows": ...} / {"records": ...} (with "proba") and
 * CSV with a header, parsed through a real model's schema (a logistic
 * regression fitted once on data/iris.csv, so run from the repository
 * root), then predicted and rendered. Any bytes must give a 2xx or a 4xx
 * with a message, never a crash, hang or leak. The first input byte picks
 * the format (odd: CSV), the rest is the body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/cml.h"
#include "core/strbuf.h"
#include "serve/serve_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static serve_model *model;

static serve_model *load_model(void)
{
    char path[64];
    cml_table *t = NULL, *X = NULL;
    double *y = NULL;
    cml_model *m = NULL;
    serve_model *sm = NULL;
    cml_csv_opts o = cml_csv_opts_default();
    snprintf(path, sizeof path, "/tmp/fuzz_serve_%d.gguf", (int)getpid());
    if (cml_csv_read("data/iris.csv", &o, &t) != CML_OK ||
        cml_table_split_target(t, t->cols - 1, &X, &y) != CML_OK ||
        cml_model_create("logistic_regression", &m) != CML_OK)
        goto done;
    cml_matrix A = cml_table_matrix(X);
    if (cml_model_fit(m, &A, y, NULL) == CML_OK && cml_model_save(m, path, NULL, NULL) == CML_OK)
        serve_model_load(path, &sm);
    unlink(path);
done:
    cml_model_free(m);
    cml_table_free(t);
    cml_table_free(X);
    free(y);
    if (!sm) {
        fprintf(stderr, "fuzz_serve_body: cannot build the model (run from the repo root): %s\n",
                cml_last_error());
        abort();
    }
    return sm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model) model = load_model();
    if (size < 1) return 0;
    int is_csv = data[0] & 1;
    char *body = malloc(size); /* size - 1 bytes + the NUL serve_predict wants */
    if (!body) return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    cml_sb out;
    cml_sb_init(&out);
    int64_t rows = 0;
    char err[256];
    int status =
        serve_predict(model, "iris", body, size - 1, is_csv, 0, &out, &rows, err, sizeof err);
    if (status != 200 && (status < 400 || status > 499)) abort(); /* only 200 or a 4xx */
    free(cml_sb_finish(&out));
    free(body);
    return 0;
}
