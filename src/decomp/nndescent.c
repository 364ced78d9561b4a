/*
 * nndescent.c — NN-descent k-nearest-neighbour graph (see nndescent.h).
 *
 * Dong, Moses & Li, "Efficient k-nearest neighbor graph construction for
 * generic similarity measures" (WWW 2011), Algorithm 2 with sampling and
 * early termination, as pynndescent (umap-learn's kNN for large n) runs it:
 * every point keeps a bounded max-heap of its k best candidates, each flagged
 * new or old. Each iteration samples up to rho k new entries per point (then
 * flagged old), adds the reverse lists (sampled to rho k as well), and runs
 * the local join: every pair of a point's new candidates, and every (new,
 * old) pair, is measured and offered to both heaps. It stops after max_iter
 * iterations or when fewer than delta n k heap entries changed. The initial
 * graph is random (no random-projection trees).
 *
 * Determinism: every random choice comes from a stream seeded by (seed,
 * iteration, point); the join runs over blocks of points, generating the
 * candidate updates in parallel against the heaps as they stood before the
 * block (read-only), then applying them with each thread owning a fixed set
 * of target heaps and taking that heap's updates in block order. A heap
 * therefore receives the same offers in the same order whatever the thread
 * count, and the graph is a function of the data, k and the seed.
 *
 * Cost: about max_iter * n * (2 rho k)^2 distance evaluations (O(n k^2 p)
 * per iteration) instead of the O(n^2 p) of an exact search; memory O(n k)
 * plus one block of updates. Thread-safety: reentrant.
 */
#include <math.h>
#include <string.h>

#include "cluster/dist.h"
#include "decomp/embed_common.h"
#include "decomp/nndescent.h"

#define NND_BLOCK 1024 /* points per local-join block */

cml_nnd_params cml_nnd_params_default(void)
{
    cml_nnd_params p = {0.5, 0.001, 0};
    return p;
}

typedef struct nnd {
    const cml_matrix *X;
    cml_embed_metric metric;
    const double *norm; /* (n) row norms (cosine) or NULL */
    int64_t n, k;
    double *hd;  /* (n, k) max-heaps of candidate distances */
    int64_t *hi; /* (n, k) their indices (-1: empty slot) */
    char *hf;    /* (n, k) 1 = new (not yet joined) */
} nnd;

/* The distance used inside: squared euclidean (same order, cheaper). */
static double nnd_dist(const nnd *g, int64_t a, int64_t b)
{
    const double *x = cml_matrix_row(g->X, a), *y = cml_matrix_row(g->X, b);
    int64_t p = g->X->cols;
    if (g->metric == CML_EMBED_MANHATTAN) return cml_l1_dist(x, y, p);
    if (g->metric == CML_EMBED_COSINE) {
        if (g->norm[a] == 0.0 || g->norm[b] == 0.0) return 1.0;
        double s = 0.0;
        for (int64_t j = 0; j < p; j++)
            s += x[j] * y[j];
        return 1.0 - s / (g->norm[a] * g->norm[b]);
    }
    return cml_sq_dist(x, y, p);
}

/* (d, i) orders candidates: distance, then index (as the exact search). */
static inline int worse(double d1, int64_t i1, double d2, int64_t i2)
{
    return d1 > d2 || (d1 == d2 && i1 > i2);
}

/* Heap order: an empty slot (index -1) is worse than any candidate. */
static inline int slot_worse(double da, int64_t ia, double db, int64_t ib)
{
    if (ia < 0) return ib >= 0;
    return ib >= 0 && worse(da, ia, db, ib);
}

/* Offers (d, j) to heap u; 1 if it entered. */
static int heap_push(nnd *g, int64_t u, double d, int64_t j)
{
    int64_t k = g->k;
    double *hd = g->hd + u * k;
    int64_t *hi = g->hi + u * k;
    char *hf = g->hf + u * k;
    if (!slot_worse(hd[0], hi[0], d, j)) return 0;
    for (int64_t t = 0; t < k; t++)
        if (hi[t] == j) return 0;
    /* Replace the root and sift the newcomer down. */
    int64_t s = 0;
    for (;;) {
        int64_t l = 2 * s + 1, r = l + 1, m = -1;
        double md = d;
        int64_t mi = j;
        if (l < k && slot_worse(hd[l], hi[l], md, mi)) {
            m = l;
            md = hd[l];
            mi = hi[l];
        }
        if (r < k && slot_worse(hd[r], hi[r], md, mi)) m = r;
        if (m < 0) break;
        hd[s] = hd[m];
        hi[s] = hi[m];
        hf[s] = hf[m];
        s = m;
    }
    hd[s] = d;
    hi[s] = j;
    hf[s] = 1;
    return 1;
}

static void seed_point(cml_rng *r, uint64_t seed, int64_t iter, int64_t i, int64_t salt)
{
    cml_rng_seed(r, cml_embed_mix(cml_embed_mix(cml_embed_mix(seed) + (uint64_t)iter) +
                                  (uint64_t)i * 4 + (uint64_t)salt));
}

/* Keeps a uniform sample of at most s of list[0..len) in list[0..). */
static int64_t sample_down(cml_rng *r, int64_t *list, int64_t len, int64_t s)
{
    if (len <= s) return len;
    for (int64_t a = 0; a < s; a++) {
        int64_t b = a + (int64_t)cml_rng_below(r, (uint64_t)(len - a));
        int64_t t = list[a];
        list[a] = list[b];
        list[b] = t;
    }
    return s;
}

static void init_random(nnd *g, uint64_t seed)
{
    int64_t n = g->n, k = g->k;
#pragma omp parallel for schedule(static) CML_OMP_THREADS
    for (int64_t i = 0; i < n; i++) {
        for (int64_t t = 0; t < k; t++) {
            g->hd[i * k + t] = INFINITY;
            g->hi[i * k + t] = -1;
            g->hf[i * k + t] = 1;
        }
        cml_rng r;
        seed_point(&r, seed, 0, i, 0);
        if (2 * k >= n) { /* dense: the next k points, the join sorts them out */
            for (int64_t t = 1; t <= k; t++) {
                int64_t j = (i + t) % n;
                heap_push(g, i, nnd_dist(g, i, j), j);
            }
            continue;
        }
        int64_t filled = 0;
        while (filled < k) {
            int64_t j = (int64_t)cml_rng_below(&r, (uint64_t)n);
            if (j != i) filled += heap_push(g, i, nnd_dist(g, i, j), j);
        }
    }
}

typedef struct nnd_update {
    int64_t target, cand;
    double d;
} nnd_update;

/* Candidate lists of one iteration: fwd new (n, s), fwd old (n, k), reverse
 * new / old in CSR, each point's merged new / old lists. */
typedef struct nnd_lists {
    int64_t s;
    int64_t *fnew, *fold, *nf, *no; /* forward samples and their counts */
    int64_t *rnew_ptr, *rnew, *rold_ptr, *rold;
} nnd_lists;

static void lists_free(nnd_lists *L)
{
    free(L->fnew);
    free(L->fold);
    free(L->nf);
    free(L->no);
    free(L->rnew_ptr);
    free(L->rnew);
    free(L->rold_ptr);
    free(L->rold);
}

/* Reverse lists by counting: rev of j = the i (ascending) whose forward list
 * holds j. */
static cml_status reverse(int64_t n, const int64_t *fwd, const int64_t *cnt, int64_t width,
                          int64_t **ptr_out, int64_t **rev_out)
{
    int64_t *ptr = cml_calloc((size_t)n + 1, sizeof(int64_t));
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++)
        total += cnt[i];
    int64_t *rev = cml_alloc_array(CML_MAX(total, 1), sizeof(int64_t));
    int64_t *next = cml_alloc_array(n, sizeof(int64_t));
    if (!ptr || !rev || !next) {
        free(ptr);
        free(rev);
        free(next);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t t = 0; t < cnt[i]; t++)
            ptr[fwd[i * width + t] + 1]++;
    for (int64_t j = 0; j < n; j++)
        ptr[j + 1] += ptr[j];
    memcpy(next, ptr, (size_t)n * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++)
        for (int64_t t = 0; t < cnt[i]; t++)
            rev[next[fwd[i * width + t]]++] = i;
    free(next);
    *ptr_out = ptr;
    *rev_out = rev;
    return CML_OK;
}

/* Appends b[0..nb) to a (length *na) skipping values already present. */
static void merge_unique(int64_t *a, int64_t *na, const int64_t *b, int64_t nb)
{
    for (int64_t t = 0; t < nb; t++) {
        int64_t v = b[t], dup = 0;
        for (int64_t u = 0; u < *na && !dup; u++)
            dup = a[u] == v;
        if (!dup) a[(*na)++] = v;
    }
}

static cml_status build_lists(nnd *g, uint64_t seed, int64_t iter, int64_t s, nnd_lists *L)
{
    int64_t n = g->n, k = g->k;
    memset(L, 0, sizeof *L);
    L->s = s;
    L->fnew = cml_alloc_array(n * s, sizeof(int64_t));
    L->fold = cml_alloc_array(n * k, sizeof(int64_t));
    L->nf = cml_alloc_array(n, sizeof(int64_t));
    L->no = cml_alloc_array(n, sizeof(int64_t));
    if (!L->fnew || !L->fold || !L->nf || !L->no) return CML_ERR_NOMEM;
#pragma omp parallel for schedule(static) CML_OMP_THREADS
    for (int64_t i = 0; i < n; i++) {
        int64_t cand[1024], nc = 0, no = 0; /* k <= 1024 (checked by the caller) */
        for (int64_t t = 0; t < k; t++) {
            int64_t j = g->hi[i * k + t];
            if (j < 0) continue;
            if (g->hf[i * k + t])
                cand[nc++] = t;
            else
                L->fold[i * k + no++] = j;
        }
        cml_rng r;
        seed_point(&r, seed, iter, i, 1);
        nc = sample_down(&r, cand, nc, s);
        for (int64_t a = 0; a < nc; a++) {
            L->fnew[i * s + a] = g->hi[i * k + cand[a]];
            g->hf[i * k + cand[a]] = 0; /* joined from now on */
        }
        L->nf[i] = nc;
        L->no[i] = no;
    }
    cml_status st = reverse(n, L->fnew, L->nf, s, &L->rnew_ptr, &L->rnew);
    if (st == CML_OK) st = reverse(n, L->fold, L->no, k, &L->rold_ptr, &L->rold);
    return st;
}

/* Merged new and old candidate lists of point v (forward + sampled reverse).
 * nw holds up to 2s, od up to k + s entries. */
static void point_lists(const nnd_lists *L, int64_t k, uint64_t seed, int64_t iter, int64_t v,
                        int64_t *nw, int64_t *n_nw, int64_t *od, int64_t *n_od, int64_t *tmp)
{
    int64_t s = L->s;
    cml_rng r;
    seed_point(&r, seed, iter, v, 2);
    *n_nw = 0;
    merge_unique(nw, n_nw, L->fnew + v * s, L->nf[v]);
    int64_t len = L->rnew_ptr[v + 1] - L->rnew_ptr[v];
    memcpy(tmp, L->rnew + L->rnew_ptr[v], (size_t)len * sizeof(int64_t));
    merge_unique(nw, n_nw, tmp, sample_down(&r, tmp, len, s));
    *n_od = 0;
    merge_unique(od, n_od, L->fold + v * k, L->no[v]);
    len = L->rold_ptr[v + 1] - L->rold_ptr[v];
    memcpy(tmp, L->rold + L->rold_ptr[v], (size_t)len * sizeof(int64_t));
    merge_unique(od, n_od, tmp, sample_down(&r, tmp, len, s));
}

/* Upper bound of the updates point v's join can emit. */
static int64_t join_cap(const nnd_lists *L, int64_t k, int64_t v)
{
    int64_t nw = L->nf[v] + CML_MIN(L->rnew_ptr[v + 1] - L->rnew_ptr[v], L->s);
    int64_t od = L->no[v] + CML_MIN(L->rold_ptr[v + 1] - L->rold_ptr[v], L->s);
    (void)k;
    return nw * (nw - 1) + 2 * nw * od;
}

static inline void offer(const nnd *g, int64_t a, int64_t b, double d, nnd_update *u, int64_t *nu)
{
    int64_t k = g->k;
    if (slot_worse(g->hd[a * k], g->hi[a * k], d, b)) {
        u[*nu].target = a;
        u[*nu].cand = b;
        u[*nu].d = d;
        (*nu)++;
    }
}

/* One iteration's local join; returns the number of heap changes, or -1 on
 * out of memory. */
static int64_t local_join(nnd *g, const nnd_lists *L, uint64_t seed, int64_t iter)
{
    int64_t n = g->n, k = g->k, s = L->s, changes = 0;
    int T = cml_get_num_threads();
    int64_t *off = cml_alloc_array(NND_BLOCK + 1, sizeof(int64_t));
    int64_t max_rev = 0;
    for (int64_t v = 0; v < n; v++) {
        max_rev = CML_MAX(max_rev, L->rnew_ptr[v + 1] - L->rnew_ptr[v]);
        max_rev = CML_MAX(max_rev, L->rold_ptr[v + 1] - L->rold_ptr[v]);
    }
    int64_t per = 2 * s + (k + s) + max_rev; /* nw + od + tmp per thread */
    int64_t *scratch = cml_alloc_array((int64_t)T * per, sizeof(int64_t));
    int64_t *cnt = cml_alloc_array(NND_BLOCK, sizeof(int64_t));
    nnd_update *upd = NULL;
    int64_t upd_cap = 0;
    if (!off || !scratch || !cnt) {
        changes = -1;
        goto done;
    }
    for (int64_t b0 = 0; b0 < n && changes >= 0; b0 += NND_BLOCK) {
        int64_t b1 = CML_MIN(b0 + NND_BLOCK, n), m = b1 - b0;
        off[0] = 0;
        for (int64_t v = b0; v < b1; v++)
            off[v - b0 + 1] = off[v - b0] + join_cap(L, k, v);
        if (off[m] > upd_cap) {
            free(upd);
            upd_cap = off[m];
            upd = cml_alloc_array(CML_MAX(upd_cap, 1), sizeof(nnd_update));
            if (!upd) {
                changes = -1;
                break;
            }
        }
        /* Generate: heaps are read-only here. */
#pragma omp parallel for schedule(dynamic, 16) num_threads(T)
        for (int64_t v = b0; v < b1; v++) {
#ifdef _OPENMP
            int64_t *sc = scratch + (int64_t)omp_get_thread_num() * per;
#else
            int64_t *sc = scratch;
#endif
            int64_t *nw = sc, *od = sc + 2 * s, *tmp = sc + 2 * s + k + s, n_nw, n_od, nu = 0;
            nnd_update *u = upd + off[v - b0];
            point_lists(L, k, seed, iter, v, nw, &n_nw, od, &n_od, tmp);
            for (int64_t a = 0; a < n_nw; a++) {
                for (int64_t c = a + 1; c < n_nw; c++) {
                    if (nw[a] == nw[c]) continue;
                    double d = nnd_dist(g, nw[a], nw[c]);
                    offer(g, nw[a], nw[c], d, u, &nu);
                    offer(g, nw[c], nw[a], d, u, &nu);
                }
                for (int64_t c = 0; c < n_od; c++) {
                    if (nw[a] == od[c]) continue;
                    double d = nnd_dist(g, nw[a], od[c]);
                    offer(g, nw[a], od[c], d, u, &nu);
                    offer(g, od[c], nw[a], d, u, &nu);
                }
            }
            cnt[v - b0] = nu;
        }
        /* Apply: thread t owns the heaps u with u * T / n == t and takes
         * their offers in block order. */
#pragma omp parallel num_threads(T) reduction(+ : changes)
        {
#ifdef _OPENMP
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
            int t = 0, nt = 1;
#endif
            int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
            for (int64_t v = 0; v < m; v++)
                for (int64_t e = 0; e < cnt[v]; e++) {
                    const nnd_update *x = upd + off[v] + e;
                    if (x->target >= lo && x->target < hi)
                        changes += heap_push(g, x->target, x->d, x->cand);
                }
        }
    }
done:
    free(off);
    free(scratch);
    free(cnt);
    free(upd);
    return changes;
}

cml_status cml_nnd_knn(const cml_matrix *X, cml_embed_metric metric, int64_t k,
                       const cml_nnd_params *prm, uint64_t seed, double *dist, int64_t *idx,
                       int *n_iter)
{
    int64_t n = X->rows;
    if (k < 1 || k >= n)
        return cml_fail(CML_ERR_ARG,
                        "NN-descent: k (%lld) must be between 1 and n_samples - 1 (%lld)",
                        (long long)k, (long long)(n - 1));
    if (k > 1024)
        return cml_fail(CML_ERR_ARG, "NN-descent: k (%lld) must be at most 1024", (long long)k);
    cml_status st = CML_OK;
    nnd g = {X, metric, NULL, n, k, NULL, NULL, NULL};
    double *norm = NULL;
    g.hd = cml_alloc_array(n * k, sizeof(double));
    g.hi = cml_alloc_array(n * k, sizeof(int64_t));
    g.hf = cml_alloc_array(n * k, 1);
    if (metric == CML_EMBED_COSINE) {
        norm = cml_alloc_array(n, sizeof(double));
        if (norm)
            for (int64_t i = 0; i < n; i++) {
                const double *x = cml_matrix_row(X, i);
                double s = 0.0;
                for (int64_t j = 0; j < X->cols; j++)
                    s += x[j] * x[j];
                norm[i] = sqrt(s);
            }
        g.norm = norm;
    }
    if (!g.hd || !g.hi || !g.hf || (metric == CML_EMBED_COSINE && !norm)) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    init_random(&g, seed);
    int max_iter = prm->max_iter > 0 ? prm->max_iter : (int)CML_MAX(5.0, round(log2((double)n)));
    int64_t s = CML_MAX(1, (int64_t)ceil(prm->rho * (double)k));
    int it = 0;
    while (it < max_iter) {
        nnd_lists L;
        st = build_lists(&g, seed, it + 1, s, &L);
        int64_t changes = st == CML_OK ? local_join(&g, &L, seed, it + 1) : -1;
        lists_free(&L);
        if (changes < 0) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        it++;
        if ((double)changes <= prm->delta * (double)n * (double)k) break;
    }
    if (n_iter) *n_iter = it;
        /* Heaps to ascending rows (insertion sort: k is small). */
#pragma omp parallel for schedule(static) CML_OMP_THREADS
    for (int64_t i = 0; i < n; i++) {
        double *d = dist + i * k;
        int64_t *j = idx + i * k;
        for (int64_t t = 0; t < k; t++) {
            double dv = g.hd[i * k + t];
            int64_t jv = g.hi[i * k + t];
            int64_t b = t - 1;
            while (b >= 0 && worse(d[b], j[b], dv, jv)) {
                d[b + 1] = d[b];
                j[b + 1] = j[b];
                b--;
            }
            d[b + 1] = dv;
            j[b + 1] = jv;
        }
        if (metric == CML_EMBED_EUCLIDEAN)
            for (int64_t t = 0; t < k; t++)
                d[t] = sqrt(d[t]);
    }
fail:
    free(g.hd);
    free(g.hi);
    free(g.hf);
    free(norm);
    return st;
}
