/*
 * fuzz_hnsw_load.c — libFuzzer target for the HNSW index files: any byte
 * string written to a file must be rejected by cml_hnsw_open (mmap, graph
 * validated without the CRC) and cml_hnsw_load (read + CRC) or give an index
 * that answers searches (plain, filtered, int8 when quantized) and survives
 * a mutation (copy out of the mapping, add, delete) without a crash, hang or
 * leak. The file is rewritten in place for each input (open needs a path).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static int odd(int64_t label, void *user)
{
    (void)user;
    return label & 1;
}

static void exercise(cml_hnsw *h)
{
    int64_t d = cml_hnsw_dim(h);
    if (d > 4096) return;
    float *q = calloc((size_t)d, sizeof *q);
    int64_t lab[5];
    float dist[5];
    cml_hnsw_filter f = {odd, NULL, NULL, 0};
    cml_hnsw_query o = cml_hnsw_query_default();
    cml_hnsw_search(h, q, 5, NULL, lab, dist, NULL);
    o.filter = &f;
    o.ef = 7;
    cml_hnsw_search(h, q, 5, &o, lab, dist, NULL);
    q[0] = 1;
    if (cml_hnsw_size(h) > 0 && cml_hnsw_size(h) < 5000) {
        /* first mutation copies the mapping; a label then replaced */
        if (cml_hnsw_resize(h, cml_hnsw_capacity(h) + 1) == CML_OK) {
            int64_t l = 123456789;
            cml_hnsw_add(h, q, 1, &l);
            cml_hnsw_mark_deleted(h, l);
            cml_hnsw_search(h, q, 5, NULL, lab, dist, NULL);
        }
    }
    free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_hnsw_%d.gguf", (int)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    cml_hnsw *h = NULL;
    if (cml_hnsw_open(path, &h) == CML_OK) {
        exercise(h);
        cml_hnsw_free(h);
    }
    if (cml_hnsw_load(path, &h) == CML_OK) {
        exercise(h);
        cml_hnsw_free(h);
    }
    return 0;
}
