/*
 * fuzz_idx.c — libFuzzer target for cml_idx_read_mem (raw and gzip'd IDX).
 * On success every element is touched so ASan sees a wrong size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cml/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double *d = NULL;
    int64_t rows = -1, cols = -1;
    cml_status st = cml_idx_read_mem(data, size, "fuzz.idx", &d, &rows, &cols);
    if (st == CML_OK) {
        if (rows < 1 || cols < 1) {
            fprintf(stderr, "fuzz_idx: bad shape %lld x %lld\n", (long long)rows, (long long)cols);
            abort();
        }
        volatile double acc = 0;
        for (int64_t i = 0; i < rows * cols; i++)
            acc += d[i];
        (void)acc;
    } else if (d) {
        fprintf(stderr, "fuzz_idx: data set on error\n");
        abort();
    }
    free(d);
    return 0;
}
