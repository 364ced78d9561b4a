/*
 * kernels.c — distance kernels of the vector index: portable, AVX2+FMA and
 * AVX-512F variants with run-time dispatch (see kernels.h for the maths).
 *
 * Why hand-written: a float reduction does not vectorize without
 * -ffast-math (reassociation), which cml does not use. Each SIMD variant
 * keeps two accumulators (hides FMA latency), handles the tail with a
 * masked load (AVX-512) or a scalar loop (AVX2), and is compiled with a
 * target attribute so a portable (-march=x86-64) build still has it.
 * Complexity O(d). Thread-safety: pure functions.
 */
#include "index/kernels.h"

#include <stddef.h>

/* ---------------------------------------------------------------- portable */

/* Eight independent partial sums: the compiler turns them into one vector
 * register, and the order is fixed whatever the CPU. */
static float l2_f32_portable(const float *a, const float *b, int64_t d)
{
    float acc[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= d; j += 8)
        for (int t = 0; t < 8; t++) {
            float x = a[j + t] - b[j + t];
            acc[t] += x * x;
        }
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < d; j++) {
        float x = a[j] - b[j];
        s += x * x;
    }
    return s;
}

static float dot_f32_portable(const float *a, const float *b, int64_t d)
{
    float acc[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= d; j += 8)
        for (int t = 0; t < 8; t++)
            acc[t] += a[j + t] * b[j + t];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < d; j++)
        s += a[j] * b[j];
    return s;
}

static float l2_u8_portable(const float *a, const float *sc, const uint8_t *c, int64_t d)
{
    float acc[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= d; j += 8)
        for (int t = 0; t < 8; t++) {
            float x = a[j + t] - sc[j + t] * (float)c[j + t];
            acc[t] += x * x;
        }
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < d; j++) {
        float x = a[j] - sc[j] * (float)c[j];
        s += x * x;
    }
    return s;
}

static float dot_u8_portable(const float *w, const uint8_t *c, int64_t d)
{
    float acc[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= d; j += 8)
        for (int t = 0; t < 8; t++)
            acc[t] += w[j + t] * (float)c[j + t];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < d; j++)
        s += w[j] * (float)c[j];
    return s;
}

static const cml_index_kernels k_portable = {"portable", l2_f32_portable, dot_f32_portable,
                                             l2_u8_portable, dot_u8_portable};

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CML_X86_KERNELS 1

/* ---------------------------------------------------------------- AVX2 */

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

AVX2 static float l2_f32_avx2(const float *a, const float *b, int64_t d)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= d; j += 16) {
        __m256 x0 = _mm256_sub_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j));
        __m256 x1 = _mm256_sub_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8));
        s0 = _mm256_fmadd_ps(x0, x0, s0);
        s1 = _mm256_fmadd_ps(x1, x1, s1);
    }
    if (j + 8 <= d) {
        __m256 x0 = _mm256_sub_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j));
        s0 = _mm256_fmadd_ps(x0, x0, s0);
        j += 8;
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; j < d; j++) {
        float x = a[j] - b[j];
        s += x * x;
    }
    return s;
}

AVX2 static float dot_f32_avx2(const float *a, const float *b, int64_t d)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= d; j += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
    }
    if (j + 8 <= d) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
        j += 8;
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; j < d; j++)
        s += a[j] * b[j];
    return s;
}

AVX2 static inline __m256 load8_u8(const uint8_t *c)
{
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)c)));
}

AVX2 static float l2_u8_avx2(const float *a, const float *sc, const uint8_t *c, int64_t d)
{
    __m256 s0 = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 8 <= d; j += 8) {
        /* x = a - sc * c */
        __m256 x =
            _mm256_fnmadd_ps(_mm256_loadu_ps(sc + j), load8_u8(c + j), _mm256_loadu_ps(a + j));
        s0 = _mm256_fmadd_ps(x, x, s0);
    }
    float s = hsum256(s0);
    for (; j < d; j++) {
        float x = a[j] - sc[j] * (float)c[j];
        s += x * x;
    }
    return s;
}

AVX2 static float dot_u8_avx2(const float *w, const uint8_t *c, int64_t d)
{
    __m256 s0 = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 8 <= d; j += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + j), load8_u8(c + j), s0);
    float s = hsum256(s0);
    for (; j < d; j++)
        s += w[j] * (float)c[j];
    return s;
}

static const cml_index_kernels k_avx2 = {"avx2", l2_f32_avx2, dot_f32_avx2, l2_u8_avx2,
                                         dot_u8_avx2};

/* ---------------------------------------------------------------- AVX-512 */

#define AVX512 __attribute__((target("avx512f")))

AVX512 static float l2_f32_avx512(const float *a, const float *b, int64_t d)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 32 <= d; j += 32) {
        __m512 x0 = _mm512_sub_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j));
        __m512 x1 = _mm512_sub_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16));
        s0 = _mm512_fmadd_ps(x0, x0, s0);
        s1 = _mm512_fmadd_ps(x1, x1, s1);
    }
    if (j + 16 <= d) {
        __m512 x0 = _mm512_sub_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j));
        s0 = _mm512_fmadd_ps(x0, x0, s0);
        j += 16;
    }
    if (j < d) {
        /* masked load: no read past the end of either vector */
        __mmask16 m = (__mmask16)((1u << (d - j)) - 1u);
        __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + j), _mm512_maskz_loadu_ps(m, b + j));
        s1 = _mm512_fmadd_ps(x, x, s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static float dot_f32_avx512(const float *a, const float *b, int64_t d)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 32 <= d; j += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16), s1);
    }
    if (j + 16 <= d) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j), s0);
        j += 16;
    }
    if (j < d) {
        __mmask16 m = (__mmask16)((1u << (d - j)) - 1u);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + j), _mm512_maskz_loadu_ps(m, b + j), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static inline __m512 load16_u8(const uint8_t *c)
{
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)c)));
}

AVX512 static float l2_u8_avx512(const float *a, const float *sc, const uint8_t *c, int64_t d)
{
    __m512 s0 = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= d; j += 16) {
        __m512 x =
            _mm512_fnmadd_ps(_mm512_loadu_ps(sc + j), load16_u8(c + j), _mm512_loadu_ps(a + j));
        s0 = _mm512_fmadd_ps(x, x, s0);
    }
    float s = _mm512_reduce_add_ps(s0);
    for (; j < d; j++) {
        float x = a[j] - sc[j] * (float)c[j];
        s += x * x;
    }
    return s;
}

AVX512 static float dot_u8_avx512(const float *w, const uint8_t *c, int64_t d)
{
    __m512 s0 = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= d; j += 16)
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + j), load16_u8(c + j), s0);
    float s = _mm512_reduce_add_ps(s0);
    for (; j < d; j++)
        s += w[j] * (float)c[j];
    return s;
}

static const cml_index_kernels k_avx512 = {"avx512", l2_f32_avx512, dot_f32_avx512, l2_u8_avx512,
                                           dot_u8_avx512};
#endif

const cml_index_kernels *cml_index_kernels_variant(int i)
{
    if (i == 0) return &k_portable;
#ifdef CML_X86_KERNELS
    __builtin_cpu_init();
    if (i == 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &k_avx2;
    if (i == 2 && __builtin_cpu_supports("avx512f")) return &k_avx512;
#endif
    return NULL;
}

const cml_index_kernels *cml_index_kernels_best(void)
{
    for (int i = 2; i > 0; i--) {
        const cml_index_kernels *k = cml_index_kernels_variant(i);
        if (k) return k;
    }
    return &k_portable;
}
