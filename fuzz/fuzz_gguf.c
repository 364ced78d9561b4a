/*
 * fuzz_gguf.c — libFuzzer target for the model container reader and the
 * generic model loader on top of it: any byte string must be rejected or
 * loaded cleanly, never crash, hang or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cml/cml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cml_gguf *g = NULL;
    if (cml_gguf_read_mem(data, size, "fuzz", &g) != CML_OK) return 0;
    cml_model *m = NULL;
    if (cml_model_from_gguf(g, &m) == CML_OK) {
        char *desc = cml_model_describe(m);
        free(desc);
        cml_model_free(m);
    }
    for (int64_t i = 0; i < cml_gguf_n_kv(g); i++) free(cml_gguf_kv_json(g, i, 8));
    cml_gguf_free(g);
    return 0;
}
