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
 * Level pass (gbm_hist_level, depthwise trees on narrow data): one
 * sequential scan of all rows per tree level routes each row from its node
 * to the child it goes to (a per-row node id instead of partitioned row
 * lists, so no gathers through row indices) and adds the rows of the nodes
 * that need a histogram (the smaller child of every split; the larger is
 * parent - smaller). With a handful of features, feature blocks give
 * threads nothing to share, so the rows are cut in chunks: each chunk sums
 * into its own histograms, reduced in chunk order. The chunk count depends
 * on the data only (rows, histograms, slots), so the sums, and the model,
 * are the same for any thread count. Several trees' passes (a multi-class
 * round) share one parallel region, with (tree, chunk) as the work items.
 *
 * Complexity: O(|node| * features) adds; memory traffic |node| * features
 * bytes; a level pass reads every row's node id and split bin plus the
 * counted rows' bins and gradients, and reduces (chunks - 1) x histograms.
 * Thread-safety: writes only `hist` (level pass: `pos`, `out`, scratch).
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

/* ---------------------------------------------------------------- level pass */

/* Rows per chunk of the level pass: at least LEVEL_CHUNK_MIN, and at least
 * the histogram cells a chunk zeroes and reduces (so that overhead stays
 * below the adds it parallelises); the chunk count is a power of two <=
 * LEVEL_MAX_CHUNKS (balanced on 2, 4, 8, 16 threads). */
#define LEVEL_CHUNK_MIN  8192
#define LEVEL_MAX_CHUNKS 16

static int level_chunks(const gbm_binned *b, int n_out)
{
    const int64_t per = CML_MAX((int64_t)LEVEL_CHUNK_MIN, (int64_t)n_out * b->n_slots);
    int nc = 1;
    while (2 * nc <= LEVEL_MAX_CHUNKS && (int64_t)(2 * nc) * per <= b->rows)
        nc *= 2;
    return nc;
}

int64_t gbm_hist_level_scratch(const gbm_binned *b, int n_out)
{
    return (int64_t)(level_chunks(b, n_out) - 1) * n_out * 2 * b->n_slots;
}

/* One chunk of the level pass, in blocks of LEVEL_BLOCK rows: route every
 * row (branch-free: a node not split routes to itself), noting the
 * histogram it counts in and listing the counted rows, then add them.
 * The list keeps the adds free of the unpredictable "is this row counted"
 * branch; the short routing loop keeps its state in registers. CAT: the
 * binned matrix has categorical features (a split may route by table). */
#define LEVEL_BLOCK 2048
#define DEFINE_LEVEL_KERNEL(NAME, T, CAT)                                                          \
    static void NAME(const T *bins, int64_t F, const int32_t *hoff, const int32_t *feats, int nf,  \
                     const double *gh, int32_t *pos, const gbm_route *route, const int32_t *slot,  \
                     double *const *out, double *sc, int64_t hs, int root, int64_t lo, int64_t hi) \
    {                                                                                              \
        int32_t sl[LEVEL_BLOCK], idx[LEVEL_BLOCK];                                                 \
        for (int64_t r0 = lo; r0 < hi; r0 += LEVEL_BLOCK) {                                        \
            const int len = (int)CML_MIN(hi - r0, LEVEL_BLOCK);                                    \
            const T *bb0 = bins + r0 * F;                                                          \
            int32_t *pb = pos + r0;                                                                \
            int m = 0;                                                                             \
            if (root) /* nothing to route: the sampled rows all count, in histogram 0 */           \
                for (int j = 0; j < len; j++) {                                                    \
                    sl[j] = 0;                                                                     \
                    idx[m] = j;                                                                    \
                    m += pb[j] >= 0;                                                               \
                }                                                                                  \
            else                                                                                   \
                for (int j = 0; j < len; j++) {                                                    \
                    const int32_t p = pb[j], out_of_sample = p < 0;                                \
                    const gbm_route *rt = &route[out_of_sample ? ~p : p];                          \
                    const int32_t bv = bb0[j * F + rt->feature];                                   \
                    int gl = (bv < rt->tbin) | (bv == rt->miss_left);                              \
                    if (CAT && rt->lt) gl = rt->lt[bv];                                            \
                    const int32_t nd = rt->left + !gl;                                             \
                    pb[j] = out_of_sample ? ~nd : nd;                                              \
                    const int32_t sv = slot[nd];                                                   \
                    sl[j] = sv;                                                                    \
                    idx[m] = j;                                                                    \
                    m += !out_of_sample & (sv >= 0);                                               \
                }                                                                                  \
            for (int t = 0; t < m; t++) {                                                          \
                const int j = idx[t];                                                              \
                const int64_t r = r0 + j;                                                          \
                const T *br = bb0 + (int64_t)j * F;                                                \
                double *h = sc ? sc + sl[j] * hs : out[sl[j]];                                     \
                const double g = gh[2 * r], hh = gh[2 * r + 1];                                    \
                if (nf == F) /* every feature: no feature list to read */                          \
                    for (int64_t f = 0; f < F; f++) {                                              \
                        double *c = h + 2 * ((int64_t)hoff[f] + br[f]);                            \
                        c[0] += g;                                                                 \
                        c[1] += hh;                                                                \
                    }                                                                              \
                else                                                                               \
                    for (int k = 0; k < nf; k++) {                                                 \
                        const int32_t f = feats[k];                                                \
                        double *c = h + 2 * ((int64_t)hoff[f] + br[f]);                            \
                        c[0] += g;                                                                 \
                        c[1] += hh;                                                                \
                    }                                                                              \
            }                                                                                      \
        }                                                                                          \
    }
DEFINE_LEVEL_KERNEL(level_u8, uint8_t, 0)
DEFINE_LEVEL_KERNEL(level_u16, uint16_t, 0)
DEFINE_LEVEL_KERNEL(level_u8_cat, uint8_t, 1)
DEFINE_LEVEL_KERNEL(level_u16_cat, uint16_t, 1)
#undef DEFINE_LEVEL_KERNEL
/* The kernels' types, for the choice made once per pass. */
typedef void (*level_kern8)(const uint8_t *, int64_t, const int32_t *, const int32_t *, int,
                            const double *, int32_t *, const gbm_route *, const int32_t *,
                            double *const *, double *, int64_t, int, int64_t, int64_t);
typedef void (*level_kern16)(const uint16_t *, int64_t, const int32_t *, const int32_t *, int,
                             const double *, int32_t *, const gbm_route *, const int32_t *,
                             double *const *, double *, int64_t, int, int64_t, int64_t);

void gbm_hist_level(const gbm_binned *b, const gbm_level_job *jobs, int n_jobs)
{
    const int64_t n = b->rows, hs = 2 * (int64_t)b->n_slots;
    /* Job j's chunk c's histograms: out[] for c = 0, its scratch blocks
     * after; then out[s] += chunk 1, 2, ... in that order, element by
     * element. Work items are (job, chunk), then (job, histogram, block), so
     * the trees of one round share one parallel region per level; each job
     * is summed exactly as it would be alone. */
    const int64_t blk = 4096, nblk = (hs + blk - 1) / blk;
    const level_kern8 kern8 = b->is_cat ? level_u8_cat : level_u8;
    const level_kern16 kern16 = b->is_cat ? level_u16_cat : level_u16;
    int64_t n_items = 0, n_red = 0;
    for (int j = 0; j < n_jobs; j++) {
        const int nc = level_chunks(b, jobs[j].n_out);
        n_items += nc;
        if (nc > 1) n_red += (int64_t)jobs[j].n_out * nblk;
    }
#pragma omp parallel CML_OMP_THREADS if (n_items > 1)
    {
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < n_items; t++) {
            int j = 0, nc = level_chunks(b, jobs[0].n_out);
            int64_t c = t;
            while (c >= nc) {
                c -= nc;
                nc = level_chunks(b, jobs[++j].n_out);
            }
            const gbm_level_job *jb = &jobs[j];
            const int n_out = jb->n_out;
            double *sc = c == 0 || n_out == 0 ? NULL : jb->scratch + (c - 1) * n_out * hs;
            for (int s = 0; s < n_out; s++)
                memset(sc ? sc + s * hs : jb->out[s], 0, (size_t)hs * sizeof(double));
            const int64_t lo = n * c / nc, hi = n * (c + 1) / nc;
            if (b->wide)
                kern16(b->b16, b->cols, b->hoff, jb->feats, jb->nf, jb->gh, jb->pos, jb->route,
                       jb->slot, jb->out, sc, hs, jb->root, lo, hi);
            else
                kern8(b->b8, b->cols, b->hoff, jb->feats, jb->nf, jb->gh, jb->pos, jb->route,
                      jb->slot, jb->out, sc, hs, jb->root, lo, hi);
        }
#pragma omp for schedule(static)
        for (int64_t t = 0; t < n_red; t++) {
            int j = 0, nc;
            int64_t u = t;
            for (;; j++) {
                nc = level_chunks(b, jobs[j].n_out);
                if (nc == 1) continue;
                const int64_t cnt = (int64_t)jobs[j].n_out * nblk;
                if (u < cnt) break;
                u -= cnt;
            }
            const gbm_level_job *jb = &jobs[j];
            const int s = (int)(u / nblk);
            const int64_t i0 = (u % nblk) * blk, i1 = CML_MIN(hs, i0 + blk);
            double *o = jb->out[s];
            for (int c = 1; c < nc; c++) {
                const double *src = jb->scratch + ((int64_t)(c - 1) * jb->n_out + s) * hs;
                for (int64_t i = i0; i < i1; i++)
                    o[i] += src[i];
            }
        }
    }
}
