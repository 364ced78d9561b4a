/*
 * fuzz_libsvm.c — libFuzzer target for cml_libsvm_read_mem. Byte 0 is
 * min_features; the rest is the text. On success the CSR must pass
 * cml_csr_check (indptr monotone, indices in range and ascending) and every
 * value is touched so ASan sees any overrun.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cml/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    cml_csr_owned *X = NULL;
    double *y = NULL;
    cml_status st =
        cml_libsvm_read_mem((const char *)data + 1, size - 1, "fuzz.svm", data[0], &X, &y);
    if (st == CML_OK) {
        cml_csr v = cml_csr_owned_view(X);
        if (X->rows < 1 || (X->cols > 0 && cml_csr_check(&v, "X") != CML_OK) ||
            (X->cols == 0 && X->nnz != 0)) {
            fprintf(stderr, "fuzz_libsvm: invalid CSR: %s\n", cml_last_error());
            abort();
        }
        volatile double acc = 0;
        for (int64_t i = 0; i < X->rows; i++)
            acc += y[i];
        for (int64_t k = 0; k < X->nnz; k++)
            acc += X->data[k];
        (void)acc;
    } else if (X || y) {
        fprintf(stderr, "fuzz_libsvm: output set on error\n");
        abort();
    }
    cml_csr_owned_free(X);
    free(y);
    return 0;
}
