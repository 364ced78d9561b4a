/*
 * kernels.h — f32 / int8 distance kernels for the vector index (internal).
 *
 *   l2_f32(a, b, d)       = sum_j (a_j - b_j)^2
 *   dot_f32(a, b, d)      = sum_j a_j b_j
 *   l2_u8(a, s, c, d)     = sum_j (a_j - s_j c_j)^2      (asymmetric int8 L2:
 *                           a = q - min, s = per-dimension scale, c = codes)
 *   dot_u8(w, c, d)       = sum_j w_j c_j                (w = q * scale)
 *
 * Variants: AVX-512F, AVX2+FMA (GCC target attributes, so a portable build
 * still carries them) and a portable one; cml_index_kernels_best() picks the
 * widest the CPU supports (__builtin_cpu_supports) once. The SIMD variants
 * sum in a different order (and with FMA) than the portable one, so results
 * agree to rounding, not bit for bit; test_hnsw checks them against a
 * double-precision reference.
 *
 * Thread-safety: pure functions.
 */
#ifndef CML_INDEX_KERNELS_H
#define CML_INDEX_KERNELS_H

#include <stdint.h>

typedef struct cml_index_kernels {
    const char *name; /* "avx512", "avx2", "portable" */
    float (*l2_f32)(const float *a, const float *b, int64_t d);
    float (*dot_f32)(const float *a, const float *b, int64_t d);
    float (*l2_u8)(const float *a, const float *s, const uint8_t *c, int64_t d);
    float (*dot_u8)(const float *w, const uint8_t *c, int64_t d);
} cml_index_kernels;

/* Variant i (0 = portable, 1 = avx2, 2 = avx512); NULL if this CPU or
 * compiler cannot run it. */
const cml_index_kernels *cml_index_kernels_variant(int i);
/* The fastest variant this CPU runs. */
const cml_index_kernels *cml_index_kernels_best(void);

#endif
