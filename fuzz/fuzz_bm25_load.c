/*
 * fuzz_bm25_load.c — libFuzzer target for BM25 index files: any byte string
 * must be rejected by cml_bm25_load_mem (CML_ERR_FORMAT and friends) or give
 * an index that scores, searches (plain and filtered), accepts an add and
 * round-trips through save without a crash, hang or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int even(int64_t label, void *user)
{
    (void)user;
    return (label & 1) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cml_bm25 *b = NULL;
    if (cml_bm25_load_mem(data, size, "fuzz", &b) != CML_OK) return 0;
    int64_t n = cml_bm25_n_docs(b);
    double *s = malloc((size_t)(n ? n : 1) * sizeof *s);
    int64_t lab[5], nf;
    double sc[5];
    const char *q = "the python list dict w0 w1 w2 a an";
    cml_bm25_score_all(b, q, strlen(q), s);
    cml_bm25_search(b, q, strlen(q), 5, NULL, lab, sc, &nf);
    cml_hnsw_filter f = {even, NULL, NULL, 0};
    cml_bm25_search(b, q, strlen(q), 5, &f, lab, sc, &nf);
    const char *doc = "python dict w0";
    cml_bm25_add(b, &doc, NULL, 1, NULL);
    cml_bm25_search(b, q, strlen(q), 5, NULL, lab, sc, &nf);
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_bm25_%d.gguf", (int)getpid());
    if (cml_bm25_save(b, path) == CML_OK) {
        cml_bm25 *b2 = NULL;
        if (cml_bm25_load(path, &b2) != CML_OK) abort(); /* what we write, we read */
        cml_bm25_free(b2);
        unlink(path);
    }
    free(s);
    cml_bm25_free(b);
    return 0;
}
