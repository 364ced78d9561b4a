/*
 * gbm_hist.c — gradient/hessian histograms of a tree node (XGBoost's
 * GHistBuilder): for every feature f and bin b,
 *     hist[f][b] = ( sum_{i in node, bin(i,f) = b} g_i , ... h_i )
 * plus the subtraction trick (sibling = parent - child) that lets a tree
 * build only the smaller child of every split.
 *
 * Layout and parallelism: the binned matrix is row-major, so a node's rows
 * are read as contiguous byte runs. Features are grouped in blocks whose
 * histogram slice fits in L2 (~256 KB); each block is one OpenMP task that
 * walks the node's rows in order. Every feature's sums are therefore done
 * by one thread in row order: the histogram is bit-identical whatever the
 * thread count, without per-thread copies to merge.
 *
 * Complexity: O(|node| * features) adds; memory traffic |node| * features
 * bytes. Thread-safety: writes only `hist`.
 */
#include <string.h>

#include "core/internal.h"
#include "ensemble/gbm_internal.h"

/* Slots per block: 16384 (G, H) pairs = 256 KB. */
#define BLOCK_SLOTS 16384
/* Below this many cell updates (~1 ms) a node is built on one thread: on a
 * loaded machine a fork/join can cost more than the work it splits. */
#define PAR_MIN_CELLS ((int64_t)1 << 20)

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif
#define PF_DIST 16

/* One kernel per bin width; the body is the same, only the cell type differs. */
#define DEFINE_BLOCK_KERNEL(NAME, T)                                                               \
    static void NAME(const T *bins, int64_t F, const int32_t *hoff, const int32_t *feats, int nf,  \
                     const double *gh, const int32_t *rows, int64_t n, double *hist)               \
    {                                                                                              \
        const int32_t f0 = feats[0];                                                               \
        for (int64_t i = 0; i < n; i++) {                                                          \
            if (i + PF_DIST < n) PREFETCH(bins + (int64_t)rows[i + PF_DIST] * F + f0);             \
            const int32_t r = rows[i];                                                             \
            const T *b = bins + (int64_t)r * F;                                                    \
            const double g = gh[2 * (int64_t)r], h = gh[2 * (int64_t)r + 1];                       \
            for (int k = 0; k < nf; k++) {                                                         \
                const int32_t f = feats[k];                                                        \
                double *p = hist + 2 * ((int64_t)hoff[f] + b[f]);                                  \
                p[0] += g;                                                                         \
                p[1] += h;                                                                         \
            }                                                                                      \
        }                                                                                          \
    }
DEFINE_BLOCK_KERNEL(block_u8, uint8_t)
DEFINE_BLOCK_KERNEL(block_u16, uint16_t)
#undef DEFINE_BLOCK_KERNEL

void gbm_hist_build(const gbm_binned *b, const double *gh, const int32_t *rows, int64_t n,
                    const uint8_t *use, double *hist)
{
    const int64_t F = b->cols;
    /* Feature list of the used features and its block boundaries. A small
     * stack buffer covers common widths; wider data allocates. */
    int32_t stack_feats[1024], stack_blk[1025];
    int32_t *feats = stack_feats, *blk = stack_blk;
    if (F > 1024) {
        feats = malloc((size_t)F * sizeof *feats);
        blk = malloc((size_t)(F + 1) * sizeof *blk);
        if (!feats || !blk) { /* degrade to one feature at a time, no extra memory */
            free(feats);
            free(blk);
            for (int64_t f = 0; f < F; f++) {
                if (use && !use[f]) continue;
                int32_t one = (int32_t)f;
                memset(hist + 2 * (int64_t)b->hoff[f], 0,
                       2 * sizeof(double) * (size_t)(b->nbins[f] + 1));
                if (b->wide)
                    block_u16(b->b16, F, b->hoff, &one, 1, gh, rows, n, hist);
                else
                    block_u8(b->b8, F, b->hoff, &one, 1, gh, rows, n, hist);
            }
            return;
        }
    }
    int nf = 0, nblk = 0;
    int64_t slots = 0;
    blk[0] = 0;
    for (int64_t f = 0; f < F; f++) {
        if (use && !use[f]) continue;
        int32_t s = b->nbins[f] + 1;
        if (nf > blk[nblk] && slots + s > BLOCK_SLOTS) {
            blk[++nblk] = nf;
            slots = 0;
        }
        feats[nf++] = (int32_t)f;
        slots += s;
    }
    if (nf > blk[nblk]) blk[++nblk] = nf;

#pragma omp parallel for CML_OMP_THREADS schedule(dynamic, 1) if (n * nf > PAR_MIN_CELLS)
    for (int k = 0; k < nblk; k++) {
        const int32_t *bf = feats + blk[k];
        int cnt = blk[k + 1] - blk[k];
        for (int j = 0; j < cnt; j++)
            memset(hist + 2 * (int64_t)b->hoff[bf[j]], 0,
                   2 * sizeof(double) * (size_t)(b->nbins[bf[j]] + 1));
        if (b->wide)
            block_u16(b->b16, F, b->hoff, bf, cnt, gh, rows, n, hist);
        else
            block_u8(b->b8, F, b->hoff, bf, cnt, gh, rows, n, hist);
    }
    if (feats != stack_feats) {
        free(feats);
        free(blk);
    }
}

void gbm_hist_subtract(const double *parent, const double *child, int32_t n_slots, double *out)
{
    const int64_t m = 2 * (int64_t)n_slots;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (m > PAR_MIN_CELLS)
    for (int64_t i = 0; i < m; i++)
        out[i] = parent[i] - child[i];
}
