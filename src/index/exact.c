/*
 * exact.c — exact k-nearest-neighbour search over f32 vectors, the recall
 * oracle for the HNSW index.
 *
 * Screening: for a block of queries Q_b and a block of rows X_b, one sgemm
 * gives G = Q_b X_b^T; the screening score is |x|^2 - 2 q.x for l2 (the
 * query's |q|^2 is the same for every row) and -q.x for ip / cosine. Each
 * query keeps the kk = min(n, 2k) best scores in a max-heap. Then the kk
 * survivors are re-scored with the direct kernels (sum (x - q)^2 has no
 * cancellation, unlike the expansion) and the k best kept, sorted by
 * (distance, row). The 2k margin absorbs the expansion's rounding (~1e-6
 * relative) at the k-th place.
 *
 * Complexity O(nq n dim) flops in sgemm, O(nq n log k) for selection;
 * memory O(QB XB) scratch. Parallel: sgemm threads inside the BLAS, the
 * selection over queries with OpenMP; results do not depend on the thread
 * count. Thread-safety: pure (no shared state).
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "cml/index.h"
#include "core/internal.h"
#include "index/kernels.h"

#define QB 256  /* queries per block */
#define XB 2048 /* rows per block */

typedef struct ex_pair {
    float d;
    int64_t row;
} ex_pair;

static inline int ex_less(ex_pair a, ex_pair b)
{
    return a.d < b.d || (a.d == b.d && a.row < b.row);
}

/* Replaces the max of a full max-heap h[0..n) by x and sifts down. */
static void heap_replace_top(ex_pair *h, int64_t n, ex_pair x)
{
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && ex_less(h[c], h[c + 1])) c++;
        if (!ex_less(x, h[c])) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static void heap_push_max(ex_pair *h, int64_t n, ex_pair x)
{
    int64_t i = n;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!ex_less(h[p], x)) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static int cmp_ex(const void *a, const void *b)
{
    ex_pair x = *(const ex_pair *)a, y = *(const ex_pair *)b;
    return ex_less(x, y) ? -1 : ex_less(y, x) ? 1 : 0;
}

/* Rows normalized to unit length (zero rows stay zero), as the HNSW index
 * stores cosine vectors. */
static float *normalized_copy(const float *X, int64_t n, int64_t dim, const cml_index_kernels *k)
{
    float *Y = cml_alloc_array(n * dim, sizeof(float));
    if (!Y) return NULL;
#pragma omp parallel for CML_OMP_THREADS schedule(static)
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * dim;
        float inv = 1.0f / (sqrtf(k->dot_f32(x, x, dim)) + 1e-30f);
        for (int64_t j = 0; j < dim; j++)
            Y[i * dim + j] = x[j] * inv;
    }
    return Y;
}

cml_status cml_index_exact_search(cml_index_metric metric, const float *X, int64_t n, int64_t dim,
                                  const int64_t *labels, const float *Q, int64_t nq, int64_t k,
                                  int64_t *out_labels, float *out_dists)
{
    if (!cml_index_metric_name(metric)) return cml_fail(CML_ERR_ARG, "exact search: bad metric");
    if (dim < 1 || n < 0 || nq < 0)
        return cml_fail(CML_ERR_ARG, "exact search: need dim >= 1, n >= 0, nq >= 0");
    if (k < 1) return cml_fail(CML_ERR_ARG, "exact search: k must be >= 1, got %lld", (long long)k);
    const cml_index_kernels *kern = cml_index_kernels_best();
    int64_t kk = CML_MIN(n, 2 * k);
    cml_status st = CML_OK;
    float *Xn = NULL, *Qn = NULL, *G = NULL, *xsq = NULL;
    ex_pair *heaps = NULL;
    if (metric == CML_METRIC_COSINE) {
        Xn = normalized_copy(X, n, dim, kern);
        Qn = normalized_copy(Q, nq, dim, kern);
        if (!Xn || !Qn) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        X = Xn;
        Q = Qn;
    }
    G = cml_alloc_array((int64_t)QB * XB, sizeof(float));
    xsq = cml_alloc_array(CML_MAX(n, 1), sizeof(float));
    heaps = cml_alloc_array(CML_MAX(QB * kk, 1), sizeof(ex_pair));
    if (!G || !xsq || !heaps) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
#pragma omp parallel for CML_OMP_THREADS schedule(static)
    for (int64_t i = 0; i < n; i++)
        xsq[i] = metric == CML_METRIC_L2 ? kern->dot_f32(X + i * dim, X + i * dim, dim) : 0.0f;

    for (int64_t q0 = 0; q0 < nq; q0 += QB) {
        int64_t qb = CML_MIN(QB, nq - q0);
        int64_t filled = 0; /* heap sizes: same for every query of the block */
        for (int64_t x0 = 0; x0 < n; x0 += XB) {
            int64_t xb = CML_MIN(XB, n - x0);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)qb, (int)xb, (int)dim, 1.0f,
                        Q + q0 * dim, (int)dim, X + x0 * dim, (int)dim, 0.0f, G, (int)xb);
#pragma omp parallel for CML_OMP_THREADS schedule(static)
            for (int64_t a = 0; a < qb; a++) {
                ex_pair *hp = heaps + a * kk;
                const float *g = G + a * xb;
                int64_t m = filled;
                for (int64_t b = 0; b < xb; b++) {
                    float s = metric == CML_METRIC_L2 ? xsq[x0 + b] - 2.0f * g[b] : -g[b];
                    ex_pair e = {s, x0 + b};
                    if (m < kk)
                        heap_push_max(hp, m++, e);
                    else if (ex_less(e, hp[0]))
                        heap_replace_top(hp, kk, e);
                }
            }
            filled = CML_MIN(kk, filled + xb);
        }
#pragma omp parallel for CML_OMP_THREADS schedule(static)
        for (int64_t a = 0; a < qb; a++) {
            ex_pair *hp = heaps + a * kk;
            const float *q = Q + (q0 + a) * dim;
            for (int64_t j = 0; j < kk; j++) {
                const float *x = X + hp[j].row * dim;
                hp[j].d = metric == CML_METRIC_L2 ? kern->l2_f32(q, x, dim)
                                                  : 1.0f - kern->dot_f32(q, x, dim);
            }
            qsort(hp, (size_t)kk, sizeof *hp, cmp_ex);
            int64_t *ol = out_labels + (q0 + a) * k;
            float *od = out_dists + (q0 + a) * k;
            for (int64_t j = 0; j < k; j++) {
                ol[j] = j < kk ? (labels ? labels[hp[j].row] : hp[j].row) : -1;
                od[j] = j < kk ? hp[j].d : INFINITY;
            }
        }
    }
fail:
    free(Xn);
    free(Qn);
    free(G);
    free(xsq);
    free(heaps);
    return st;
}
