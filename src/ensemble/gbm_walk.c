/*
 * gbm_walk.c — margins of a block of rows under a boosted ensemble:
 * margin(x)_k = base_margin + sum over trees t with t % K == k of
 * leaf_t(x), where a split sends x left iff x_f < threshold (doubles, NaN
 * to the default side) and a categorical split follows catset_goes_left.
 *
 * Two variants, same bits:
 *  - portable: the block's rows advance one level per pass over the block
 *    (lock-step), so their independent loads overlap instead of chasing
 *    one path at a time;
 *  - AVX-512 (run-time dispatch, compiled with a target attribute so a
 *    portable build still has it): eight rows per vector, each step three
 *    gathers (threshold; left child and feature in one 64-bit gather; x),
 *    a compare and a masked add, the row groups of a block interleaved
 *    so the gathers' latencies overlap. A group whose rows all sit on
 *    leaves (a leaf is its own left child) skips the threshold and x
 *    gathers, and a tree stops when every group does: shallow or
 *    unbalanced trees, frequent in multi-class boosting, cost about their
 *    real path length, not the deepest one. Leaf values are added in tree
 *    order into per-output sums, the same additions as the portable loop.
 *    Doubles throughout (not float32): the model's thresholds are doubles,
 *    and only a double compare sends every x the way the trees were grown.
 *
 * Complexity O(n * trees * depth). Thread-safety: reads the model only.
 */
#include "ensemble/gbm_walk.h"

/* ---------------------------------------------------------------- portable */

static void walk_portable(const cml_gbm *m, const double *X, int64_t ld, int64_t n, double *out)
{
    const int K = m->obj.n_outputs;
    for (int64_t i = 0; i < n * K; i++)
        out[i] = m->base_margin;
    int32_t idx[GBM_WALK_BLOCK];
    for (int t = 0; t < m->n_trees; t++) {
        const int32_t root = (int32_t)m->tree_ptr[t];
        const int k = t % K, depth = m->depth[t];
        for (int64_t i = 0; i < n; i++)
            idx[i] = root;
        if (m->n_cat_nodes == 0)
            for (int d = 0; d < depth; d++)
                for (int64_t i = 0; i < n; i++)
                    idx[i] = gbm_walk_step(&m->nodes[idx[i]], X + i * ld);
        else
            for (int d = 0; d < depth; d++)
                for (int64_t i = 0; i < n; i++)
                    idx[i] = gbm_walk_step_cat(m, &m->nodes[idx[i]], X + i * ld);
        for (int64_t i = 0; i < n; i++)
            out[i * K + k] += m->leaf[idx[i]];
    }
}

/* ---------------------------------------------------------------- AVX-512 */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define GBM_X86_WALK 1
#include <immintrin.h>

#define AVX512  __attribute__((target("avx512f,avx512vl,avx512dq")))
#define LANES   8
#define NGROUPS (GBM_WALK_BLOCK / LANES)
/* Outputs whose sums stay on the stack; wider models walk one output at a
 * time (the trees of output k are t = k, k + K, ...). */
#define MAX_K_STACK 32

/* Adds the leaf values of output k's trees t = k0, k0 + step, ... to
 * acc (GBM_WALK_BLOCK), groups 0 .. ng-1. rowoff: each lane's row offset
 * (in doubles) from X. */
AVX512 static void walk_avx512_trees(const cml_gbm *m, const double *X, const __m256i *rowoff,
                                     int ng, int t0, int step, double *acc)
{
    const double *nodes = (const double *)m->nodes; /* 16-byte nodes = 2 doubles */
    const __m256i one = _mm256_set1_epi32(1);
    const __m512i dl_bit = _mm512_set1_epi64(GBM_DEFAULT_LEFT);
    const __m512i fmask = _mm512_set1_epi64(GBM_FEATURE_MASK);
    for (int t = t0; t < m->n_trees; t += step) {
        const __m256i root = _mm256_set1_epi32((int32_t)m->tree_ptr[t]);
        __m256i idx[NGROUPS];
        for (int g = 0; g < ng; g++)
            idx[g] = root;
        for (int d = 0, moved = 1; d < m->depth[t] && moved; d++) {
            moved = 0;
            for (int g = 0; g < ng; g++) {
                const __m256i i2 = _mm256_add_epi32(idx[g], idx[g]);
                /* left child in the low half, feature word in the high half */
                const __m512i lf = _mm512_i32gather_epi64(_mm256_add_epi32(i2, one), nodes, 8);
                const __m256i left = _mm512_cvtepi64_epi32(lf);
                /* A split's children come after it, a leaf is its own left
                 * child: a group whose rows all sit on leaves is done, and
                 * skips the threshold and x gathers. */
                if (_mm256_cmpeq_epi32_mask(left, idx[g]) == 0xff) continue;
                moved = 1;
                const __m512d thr = _mm512_i32gather_pd(i2, nodes, 8);
                const __m512i fw = _mm512_srli_epi64(lf, 32); /* the feature word */
                const __m256i feat = _mm512_cvtepi64_epi32(_mm512_and_si512(fw, fmask));
                const __m512d v = _mm512_i32gather_pd(_mm256_add_epi32(rowoff[g], feat), X, 8);
                const __mmask8 lt = _mm512_cmp_pd_mask(v, thr, _CMP_LT_OQ);
                const __mmask8 nan = _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q);
                const __mmask8 dl = _mm512_test_epi64_mask(fw, dl_bit);
                const __mmask8 right = (__mmask8)(~(lt | (nan & dl)));
                const __m256i nx = _mm256_mask_add_epi32(left, right, left, one);
                idx[g] = nx;
            }
        }
        for (int g = 0; g < ng; g++) {
            double *a = acc + g * LANES;
            const __m512d lv = _mm512_i32gather_pd(idx[g], m->leaf, 8);
            _mm512_storeu_pd(a, _mm512_add_pd(_mm512_loadu_pd(a), lv));
        }
    }
}

AVX512 static void walk_avx512(const cml_gbm *m, const double *X, int64_t ld, int64_t n,
                               double *out)
{
    const int K = m->obj.n_outputs;
    const int ng = (int)((n + LANES - 1) / LANES);
    /* Lanes past n walk row 0 again; their sums are never read. */
    __m256i rowoff[NGROUPS];
    for (int g = 0; g < ng; g++) {
        int32_t o[LANES];
        for (int l = 0; l < LANES; l++) {
            const int64_t i = (int64_t)g * LANES + l;
            o[l] = i < n ? (int32_t)(i * ld) : 0;
        }
        rowoff[g] = _mm256_loadu_si256((const __m256i *)o);
    }
    double acc[MAX_K_STACK * GBM_WALK_BLOCK];
    if (K <= MAX_K_STACK) {
        for (int64_t i = 0; i < (int64_t)K * GBM_WALK_BLOCK; i++)
            acc[i] = m->base_margin;
        for (int k = 0; k < K; k++)
            walk_avx512_trees(m, X, rowoff, ng, k, K, acc + k * GBM_WALK_BLOCK);
        for (int64_t i = 0; i < n; i++)
            for (int k = 0; k < K; k++)
                out[i * K + k] = acc[k * GBM_WALK_BLOCK + i];
        return;
    }
    for (int k = 0; k < K; k++) {
        for (int64_t i = 0; i < GBM_WALK_BLOCK; i++)
            acc[i] = m->base_margin;
        walk_avx512_trees(m, X, rowoff, ng, k, K, acc);
        for (int64_t i = 0; i < n; i++)
            out[i * K + k] = acc[i];
    }
}

/* Whether the CPU runs the AVX-512 variant (the compiler's cached cpuid). */
static int cpu_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq");
}
#endif

/* ---------------------------------------------------------------- dispatch */

int gbm_walk_simd_ok(const cml_gbm *m, int64_t ld)
{
#ifdef GBM_X86_WALK
    /* gather indices are 32-bit: node index * 2 + 1, and row offsets */
    return cpu_has_avx512() && m->n_cat_nodes == 0 &&
           m->tree_ptr[m->n_trees] < ((int64_t)1 << 30) &&
           ld < (int64_t)INT32_MAX / GBM_WALK_BLOCK - 1;
#else
    (void)m;
    (void)ld;
    return 0;
#endif
}

void gbm_walk_block(const cml_gbm *m, const double *X, int64_t ld, int64_t n, double *out, int simd)
{
#ifdef GBM_X86_WALK
    if (simd && gbm_walk_simd_ok(m, ld)) {
        walk_avx512(m, X, ld, n, out);
        return;
    }
#else
    (void)simd;
#endif
    walk_portable(m, X, ld, n, out);
}
