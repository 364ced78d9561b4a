/*
 * fusion.c — hybrid search: fusing ranked lists (BM25 scores, vector
 * distances) by reciprocal rank fusion or weighted min-max-normalized
 * scores (cml/rag.h).
 *
 * RRF: Cormack, Clarke & Buettcher, "Reciprocal Rank Fusion outperforms
 * Condorcet and individual Rank Learning Methods", SIGIR 2009:
 *   fused(d) = sum_l w_l / (rrf_k + rank_l(d)).
 * Weighted: fused(d) = sum_l w_l * (s_l(d) - min_l) / (max_l - min_l)
 * (reversed for distances), the convex-combination fusion of e.g. Bruch et
 * al., "An Analysis of Fusion Functions for Hybrid Retrieval", TOIS 2023.
 *
 * Determinism: contributions are gathered, sorted by (label, list), and
 * summed in list order, so the result does not depend on hash or thread
 * order. Complexity O(L log L), L = entries. Pure function.
 */
#include <math.h>
#include <string.h>

#include "cml/rag.h"
#include "core/internal.h"

typedef struct contrib {
    int64_t label;
    int64_t list;
    double v;
} contrib;

static int cmp_contrib(const void *a, const void *b)
{
    const contrib *x = a, *y = b;
    if (x->label != y->label) return x->label < y->label ? -1 : 1;
    return (x->list > y->list) - (x->list < y->list);
}

typedef struct fused {
    int64_t label;
    double s;
} fused;

static int cmp_fused(const void *a, const void *b)
{
    const fused *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->label > y->label) - (x->label < y->label);
}

cml_status cml_fuse(cml_fusion method, const cml_ranked_list *lists, int64_t n_lists, double rrf_k,
                    int64_t k, int64_t *labels, double *scores, int64_t *n_found)
{
    if (k < 1) return cml_fail(CML_ERR_ARG, "fuse: k must be >= 1, got %lld", (long long)k);
    if (method != CML_FUSE_RRF && method != CML_FUSE_WEIGHTED)
        return cml_fail(CML_ERR_ARG, "fuse: method must be rrf (0) or weighted (1), got %d",
                        (int)method);
    if (method == CML_FUSE_RRF && !(rrf_k >= 0 && isfinite(rrf_k)))
        return cml_fail(CML_ERR_ARG, "fuse: rrf_k must be a finite number >= 0");
    if (n_lists < 0 || (n_lists > 0 && !lists))
        return cml_fail(CML_ERR_ARG, "fuse: n_lists must be >= 0");
    int64_t total = 0;
    for (int64_t l = 0; l < n_lists; l++) {
        if (!(lists[l].weight >= 0 && isfinite(lists[l].weight)))
            return cml_fail(CML_ERR_ARG, "fuse: list %lld: weight must be finite and >= 0",
                            (long long)l);
        if (lists[l].n < 0 || (lists[l].n > 0 && !lists[l].labels) ||
            (method == CML_FUSE_WEIGHTED && lists[l].n > 0 && !lists[l].scores))
            return cml_fail(CML_ERR_ARG, "fuse: list %lld: bad length or missing arrays",
                            (long long)l);
        total += lists[l].n;
    }
    contrib *c = cml_alloc_array(total ? total : 1, sizeof *c);
    fused *f = cml_alloc_array(total ? total : 1, sizeof *f);
    if (!c || !f) {
        free(c);
        free(f);
        return CML_ERR_NOMEM;
    }
    int64_t nc = 0;
    for (int64_t l = 0; l < n_lists; l++) {
        const cml_ranked_list *L = &lists[l];
        double lo = INFINITY, hi = -INFINITY;
        if (method == CML_FUSE_WEIGHTED)
            for (int64_t i = 0; i < L->n; i++)
                if (L->labels[i] >= 0 && isfinite(L->scores[i])) {
                    lo = fmin(lo, L->scores[i]);
                    hi = fmax(hi, L->scores[i]);
                }
        int64_t rank = 0;
        for (int64_t i = 0; i < L->n; i++) {
            if (L->labels[i] < 0) continue;
            rank++;
            double v;
            if (method == CML_FUSE_RRF) {
                v = L->weight / (rrf_k + (double)rank);
            } else {
                double s = L->scores[i];
                if (!isfinite(s)) continue;
                double t = hi > lo ? (s - lo) / (hi - lo) : 1.0;
                v = L->weight * (L->lower_is_better ? (hi > lo ? 1.0 - t : 1.0) : t);
            }
            c[nc++] = (contrib){L->labels[i], l, v};
        }
    }
    qsort(c, (size_t)nc, sizeof *c, cmp_contrib);
    int64_t nf = 0;
    for (int64_t i = 0; i < nc;) {
        int64_t j = i;
        double s = 0;
        while (j < nc && c[j].label == c[i].label) {
            /* a label repeated within one list counts once (first = best) */
            if (j == i || c[j].list != c[j - 1].list) s += c[j].v;
            j++;
        }
        f[nf++] = (fused){c[i].label, s};
        i = j;
    }
    qsort(f, (size_t)nf, sizeof *f, cmp_fused);
    for (int64_t i = 0; i < k; i++) {
        labels[i] = i < nf ? f[i].label : -1;
        scores[i] = i < nf ? f[i].s : 0.0;
    }
    if (n_found) *n_found = CML_MIN(nf, k);
    free(c);
    free(f);
    return CML_OK;
}
