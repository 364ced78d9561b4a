/*
 * fuzz_safetensors.c — libFuzzer target for cml_net_import_safetensors: any
 * bytes written to a file and imported into a fitted network (a small MLP
 * fitted once on data/iris.csv, so run from the repository root) must be
 * refused with CML_ERR_FORMAT (header JSON, dtypes, shapes, offsets, names
 * checked) or replace the weights, never crash, hang or leak; a refused
 * import leaves the network as it was (its predictions are compared).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/cml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cml_net *net;
static cml_table *X;
static double before[150 * 3];
static char path[64];

static void setup(void)
{
    cml_table *t = NULL;
    double *y = NULL;
    cml_csv_opts o = cml_csv_opts_default();
    cml_net_params p = cml_mlp_classifier_params_default();
    snprintf(p.hidden_layer_sizes, sizeof p.hidden_layer_sizes, "4");
    p.epochs = 1;
    snprintf(path, sizeof path, "/tmp/fuzz_safetensors_%d", (int)getpid());
    if (cml_csv_read("data/iris.csv", &o, &t) != CML_OK ||
        cml_table_split_target(t, t->cols - 1, &X, &y) != CML_OK) {
        fprintf(stderr, "fuzz_safetensors: run from the repo root: %s\n", cml_last_error());
        abort();
    }
    cml_matrix A = cml_table_matrix(X);
    if (cml_net_fit(&p, 0, &A, y, NULL, NULL, &net) != CML_OK ||
        cml_net_predict_proba(net, &A, before) != CML_OK) {
        fprintf(stderr, "fuzz_safetensors: %s\n", cml_last_error());
        abort();
    }
    cml_table_free(t);
    free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!net) setup();
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cml_status st = cml_net_import_safetensors(net, path);
    cml_matrix A = cml_table_matrix(X);
    double now[150 * 3];
    if (cml_net_predict_proba(net, &A, now) != CML_OK) abort();
    if (st != CML_OK) {
        /* refused: the weights are untouched */
        if (memcmp(now, before, sizeof now)) abort();
    } else {
        memcpy(before, now, sizeof now); /* accepted: the new baseline */
    }
    return 0;
}
