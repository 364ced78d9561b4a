/*
 * hnsw.c — Hierarchical Navigable Small World graphs for approximate
 * nearest-neighbour search (Malkov & Yashunin, TPAMI 2018).
 *
 * Algorithms (numbering of the paper):
 *   1 INSERT: draw level l = floor(-ln(U) / ln(M)); greedy descent from the
 *     entry point down to level l + 1 (ef = 1), then on each level
 *     min(l, L) .. 0 a SEARCH-LAYER with ef_construction, select M
 *     neighbours with the heuristic, link both ways, shrinking a neighbour's
 *     list with the heuristic when it overflows (M on levels >= 1, M0 = 2M on
 *     level 0).
 *   2 SEARCH-LAYER: best-first search with a min-heap frontier and a
 *     max-heap of the ef best; stops when the nearest frontier element is
 *     farther than the worst kept one.
 *   4 SELECT-NEIGHBORS-HEURISTIC: scan candidates nearest first, keep e if
 *     it is closer to the query than to every neighbour kept so far (no
 *     extendCandidates / keepPrunedConnections, as hnswlib).
 *   5 K-NN-SEARCH: greedy descent to level 1, SEARCH-LAYER at level 0 with
 *     max(ef, k), keep the k best.
 * Deleted and filtered-out nodes are walked through but never returned
 * (hnswlib's semantics); with a filter or deletions the search does not
 * stop before it holds ef allowed results.
 *
 * Parallel build (as hnswlib): one spinlock per node guards its link lists;
 * a global mutex guards the entry point and is held for the whole insertion
 * of a node that raises the top level. Levels are drawn in input order
 * before the parallel loop, so they do not depend on the thread count.
 *
 * Complexity: insertion O(log n ef_c M dim) expected; query
 * O(log n ef M0 dim). Memory: n (4 dim + 4 (2M + 1) + 21) bytes + upper
 * levels (~ n / M blocks of 4 (M + 1) bytes).
 * Thread-safety: see cml/index.h.
 */
#include <math.h>
#include <string.h>

#include "data/data_internal.h"
#include "index/hnsw_internal.h"

/* ---------------------------------------------------------------- params */

const char *cml_index_metric_name(cml_index_metric m)
{
    switch (m) {
    case CML_METRIC_L2: return "l2";
    case CML_METRIC_IP: return "ip";
    case CML_METRIC_COSINE: return "cosine";
    }
    return NULL;
}

cml_status cml_index_metric_parse(const char *name, cml_index_metric *out)
{
    for (int m = 0; m <= 2; m++)
        if (name && strcmp(name, cml_index_metric_name((cml_index_metric)m)) == 0) {
            *out = (cml_index_metric)m;
            return CML_OK;
        }
    return cml_fail(CML_ERR_ARG, "metric must be one of l2, ip, cosine; got \"%s\"",
                    name ? name : "(null)");
}

cml_hnsw_params cml_hnsw_params_default(void)
{
    cml_hnsw_params p = {0, CML_METRIC_L2, 16, 200, 50, 1000, 100};
    return p;
}

const char *cml_hnsw_params_check(const cml_hnsw_params *p)
{
    if (p->dim < 1 || p->dim > (1 << 24)) return "dim must be in [1, 16777216]";
    if (!cml_index_metric_name(p->metric)) return "metric must be l2, ip or cosine";
    if (p->M < 2 || p->M > 2048) return "M must be in [2, 2048]";
    if (p->ef_construction < 1 || p->ef_construction > (1 << 20))
        return "ef_construction must be in [1, 1048576]";
    if (p->ef_search < 1 || p->ef_search > (1 << 20)) return "ef_search must be in [1, 1048576]";
    if (p->max_elements < 0 || p->max_elements > INT32_MAX - 1)
        return "max_elements must be in [0, 2147483646]";
    return NULL;
}

cml_hnsw_query cml_hnsw_query_default(void)
{
    cml_hnsw_query q = {0, NULL, 1, -1};
    return q;
}

/* ---------------------------------------------------------------- label map */

static uint64_t mix64(uint64_t x)
{
    /* splitmix64 finalizer: labels are often consecutive integers */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static int64_t map_find(const hn_map *m, int64_t key)
{
    if (!m->cap) return -1;
    uint64_t mask = (uint64_t)m->cap - 1;
    for (uint64_t i = mix64((uint64_t)key) & mask;; i = (i + 1) & mask) {
        if (m->vals[i] < 0) return -1;
        if (m->keys[i] == key) return m->vals[i];
    }
}

static cml_status map_grow(hn_map *m, int64_t want)
{
    int64_t cap = 16;
    while (cap < 2 * want)
        cap *= 2;
    if (cap <= m->cap) return CML_OK;
    int64_t *keys = cml_alloc_array(cap, sizeof *keys);
    int32_t *vals = cml_alloc_array(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < cap; i++)
        vals[i] = -1;
    uint64_t mask = (uint64_t)cap - 1;
    for (int64_t j = 0; j < m->cap; j++) {
        if (m->vals[j] < 0) continue;
        uint64_t i = mix64((uint64_t)m->keys[j]) & mask;
        while (vals[i] >= 0)
            i = (i + 1) & mask;
        keys[i] = m->keys[j];
        vals[i] = m->vals[j];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return CML_OK;
}

/* Inserts or overwrites; room must have been made with map_grow. */
static void map_put(hn_map *m, int64_t key, int32_t val)
{
    uint64_t mask = (uint64_t)m->cap - 1;
    uint64_t i = mix64((uint64_t)key) & mask;
    while (m->vals[i] >= 0 && m->keys[i] != key)
        i = (i + 1) & mask;
    if (m->vals[i] < 0) m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
}

static void map_del(hn_map *m, int64_t key)
{
    if (!m->cap) return;
    uint64_t mask = (uint64_t)m->cap - 1;
    uint64_t i = mix64((uint64_t)key) & mask;
    while (m->vals[i] >= 0 && m->keys[i] != key)
        i = (i + 1) & mask;
    if (m->vals[i] < 0) return;
    m->n--;
    /* Backward shift: move later members of the probe run into the hole
     * when their home slot does not lie cyclically in (hole, j]. */
    uint64_t hole = i;
    for (uint64_t j = (i + 1) & mask; m->vals[j] >= 0; j = (j + 1) & mask) {
        uint64_t home = mix64((uint64_t)m->keys[j]) & mask;
        int in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (in_range) continue;
        m->keys[hole] = m->keys[j];
        m->vals[hole] = m->vals[j];
        hole = j;
    }
    m->vals[hole] = -1;
}

static void map_free(hn_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static cml_status push_free(cml_hnsw *h, int32_t slot)
{
    if (h->n_free == h->free_cap) {
        int64_t cap = h->free_cap ? 2 * h->free_cap : 64;
        int32_t *p = cml_realloc(h->free_slots, (size_t)cap * sizeof *p);
        if (!p) return CML_ERR_NOMEM;
        h->free_slots = p;
        h->free_cap = cap;
    }
    h->free_slots[h->n_free++] = slot;
    return CML_OK;
}

/* Builds the label map and the free-slot stack from the arrays (after a
 * load, or on first use). Deleted slots are stacked so the lowest is reused
 * first. */
static cml_status ensure_map(cml_hnsw *h)
{
    if (h->map_ready) return CML_OK;
    CML_CHECK(map_grow(&h->map, h->n + 1));
    for (int64_t i = 0; i < h->n; i++)
        map_put(&h->map, h->labels[i], (int32_t)i);
    h->n_free = 0;
    for (int64_t i = h->n - 1; i >= 0; i--)
        if (h->deleted[i]) CML_CHECK(push_free(h, (int32_t)i));
    h->map_ready = 1;
    return CML_OK;
}

/* ---------------------------------------------------------------- heaps */

static inline int pair_less(hn_pair a, hn_pair b)
{
    return a.d < b.d || (a.d == b.d && a.id < b.id);
}

static cml_status heap_reserve(hn_heap *hp, int64_t n)
{
    if (n <= hp->cap) return CML_OK;
    int64_t cap = hp->cap ? hp->cap : 64;
    while (cap < n)
        cap *= 2;
    hn_pair *a = cml_realloc(hp->a, (size_t)cap * sizeof *a);
    if (!a) return CML_ERR_NOMEM;
    hp->a = a;
    hp->cap = cap;
    return CML_OK;
}

/* max-heap on (d, id) when max != 0, else min-heap */
static inline int heap_above(hn_pair a, hn_pair b, int max)
{
    return max ? pair_less(b, a) : pair_less(a, b);
}

static inline void heap_push(hn_heap *hp, hn_pair x, int max)
{
    int64_t i = hp->n++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!heap_above(x, hp->a[p], max)) break;
        hp->a[i] = hp->a[p];
        i = p;
    }
    hp->a[i] = x;
}

static inline hn_pair heap_pop(hn_heap *hp, int max)
{
    hn_pair top = hp->a[0], x = hp->a[--hp->n];
    int64_t i = 0, n = hp->n;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_above(hp->a[c + 1], hp->a[c], max)) c++;
        if (!heap_above(hp->a[c], x, max)) break;
        hp->a[i] = hp->a[c];
        i = c;
    }
    if (n) hp->a[i] = x;
    return top;
}

static int cmp_pair(const void *a, const void *b)
{
    hn_pair x = *(const hn_pair *)a, y = *(const hn_pair *)b;
    return pair_less(x, y) ? -1 : pair_less(y, x) ? 1 : 0;
}

/* ---------------------------------------------------------------- scratch */

static void scratch_free(hn_scratch *s)
{
    if (!s) return;
    free(s->tag);
    free(s->top.a);
    free(s->cand.a);
    free(s->qbuf);
    free(s->nbuf);
    free(s->sel);
    free(s->sel2);
    free(s);
}

/* Takes a scratch sized for the index from the pool (or makes one). */
static hn_scratch *scratch_get(const cml_hnsw *h)
{
    hn_scratch *s = NULL;
    pthread_mutex_lock(&h->pool->mu);
    if (h->pool->n) s = h->pool->items[--h->pool->n];
    pthread_mutex_unlock(&h->pool->mu);
    if (!s) {
        s = cml_calloc(1, sizeof *s);
        if (!s) return NULL;
        s->qbuf = cml_alloc_array(2 * h->dim, sizeof(float));
        s->nbuf = cml_alloc_array(h->M0 + 1, sizeof(int32_t));
        if (!s->qbuf || !s->nbuf) goto fail;
    }
    if (s->tag_cap < h->cap) {
        free(s->tag);
        s->tag = cml_calloc((size_t)(h->cap ? h->cap : 1), sizeof(uint16_t));
        if (!s->tag) goto fail;
        s->tag_cap = h->cap;
        s->cur = 0;
    }
    int64_t need = CML_MAX(h->ef_construction, h->M0) + 1;
    if (s->sel_cap < need) {
        free(s->sel);
        free(s->sel2);
        s->sel = cml_alloc_array(need, sizeof(hn_pair));
        s->sel2 = cml_alloc_array(need, sizeof(hn_pair));
        if (!s->sel || !s->sel2) goto fail;
        s->sel_cap = need;
    }
    return s;
fail:
    scratch_free(s);
    return NULL;
}

static void scratch_put(const cml_hnsw *h, hn_scratch *s)
{
    hn_pool *p = h->pool;
    pthread_mutex_lock(&p->mu);
    if (p->n == p->cap) {
        int64_t cap = p->cap ? 2 * p->cap : 8;
        hn_scratch **items = realloc(p->items, (size_t)cap * sizeof *items);
        if (!items) {
            pthread_mutex_unlock(&p->mu);
            scratch_free(s);
            return;
        }
        p->items = items;
        p->cap = cap;
    }
    p->items[p->n++] = s;
    pthread_mutex_unlock(&p->mu);
}

/* Starts a new visited epoch; clears the marks when the counter wraps. */
static inline void visit_reset(hn_scratch *s)
{
    if (++s->cur == 0) {
        memset(s->tag, 0, (size_t)s->tag_cap * sizeof(uint16_t));
        s->cur = 1;
    }
}

/* ---------------------------------------------------------------- distances */

/* The query side of a search: what the distance to a stored node means. */
typedef struct qctx {
    const cml_hnsw *h;
    const float *q; /* f32 query (normalized for cosine) */
    int int8;       /* walk on codes */
    const float *a; /* int8: l2 a = q - min; ip w = q * scale */
    float cst;      /* int8 ip: 1 - sum q min */
} qctx;

static inline const float *vec_at(const cml_hnsw *h, int64_t id)
{
    return h->vec + id * h->dim;
}

static inline float dist_vec(const cml_hnsw *h, const float *a, const float *b)
{
    return h->metric == CML_METRIC_L2 ? h->k->l2_f32(a, b, h->dim)
                                      : 1.0f - h->k->dot_f32(a, b, h->dim);
}

static inline float qdist(const qctx *c, int32_t id)
{
    const cml_hnsw *h = c->h;
    if (!c->int8) return dist_vec(h, c->q, vec_at(h, id));
    const uint8_t *code = h->codes + (int64_t)id * h->dim;
    return h->metric == CML_METRIC_L2 ? h->k->l2_u8(c->a, h->q_scale, code, h->dim)
                                      : c->cst - h->k->dot_u8(c->a, code, h->dim);
}

static inline void prefetch_node(const qctx *c, int32_t id)
{
    const cml_hnsw *h = c->h;
    const char *p =
        c->int8 ? (const char *)(h->codes + (int64_t)id * h->dim) : (const char *)vec_at(h, id);
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
}

static inline int32_t *links_at(const cml_hnsw *h, int64_t id, int lev)
{
    if (lev == 0) return h->links0 + id * (h->M0 + 1);
    return h->upper + h->upper_off[id] + (int64_t)(lev - 1) * (h->M + 1);
}

static inline void node_lock(const cml_hnsw *h, int32_t id)
{
    while (atomic_exchange_explicit(&h->locks[id], 1, memory_order_acquire))
        ;
}

static inline void node_unlock(const cml_hnsw *h, int32_t id)
{
    atomic_store_explicit(&h->locks[id], 0, memory_order_release);
}

/* Copies the list of id at lev into buf (under the node's lock while
 * building, when other threads may rewrite it); returns the count. */
static inline int32_t read_links(const cml_hnsw *h, int32_t id, int lev, int locked, int32_t *buf,
                                 const int32_t **out)
{
    const int32_t *lk = links_at(h, id, lev);
    if (!locked) {
        *out = lk + 1;
        return lk[0];
    }
    node_lock(h, id);
    int32_t cnt = lk[0];
    memcpy(buf, lk + 1, (size_t)cnt * sizeof *buf);
    node_unlock(h, id);
    *out = buf;
    return cnt;
}

/* ---------------------------------------------------------------- search */

static inline int label_allowed(const cml_hnsw_filter *f, int64_t label)
{
    if (f->bitmap &&
        (label < 0 || label >= f->bitmap_bits || !((f->bitmap[label >> 6] >> (label & 63)) & 1u)))
        return 0;
    return !f->allow || f->allow(label, f->user);
}

static inline int node_allowed(const cml_hnsw *h, const cml_hnsw_filter *f, int32_t id,
                               int32_t self)
{
    if (h->deleted[id] || id == self) return 0;
    return !f || label_allowed(f, h->labels[id]);
}

/* Greedy walk (ef = 1) from *cur down to level `stop` + 1. */
static void greedy_descent(const cml_hnsw *h, const qctx *c, int top_level, int stop, int locked,
                           hn_scratch *s, int32_t *cur, float *curd)
{
    for (int lev = top_level; lev > stop; lev--) {
        int changed = 1;
        while (changed) {
            changed = 0;
            const int32_t *nb;
            int32_t cnt = read_links(h, *cur, lev, locked, s->nbuf, &nb);
            for (int32_t j = 0; j < cnt; j++) {
                if (j + 1 < cnt) prefetch_node(c, nb[j + 1]);
                float d = qdist(c, nb[j]);
                if (d < *curd) {
                    *curd = d;
                    *cur = nb[j];
                    changed = 1;
                }
            }
        }
    }
}

/* Algorithm 2 on level lev from ep; leaves the ef best allowed nodes in
 * s->top (max-heap). `self` (or -1) is never kept (a slot being
 * re-inserted). Returns CML_ERR_NOMEM if the frontier cannot grow. */
static cml_status search_layer(const cml_hnsw *h, const qctx *c, int32_t ep, float ep_d, int lev,
                               int64_t ef, int locked, const cml_hnsw_filter *f, int32_t self,
                               hn_scratch *s)
{
    /* Without filter or deletions every frontier node is also kept, so the
     * classic stopping rule applies; with them, keep going until ef allowed
     * nodes are held (hnswlib). */
    int fill = f != NULL || h->n_deleted > 0 || self >= 0;
    s->top.n = s->cand.n = 0;
    CML_CHECK(heap_reserve(&s->top, ef + 2));
    CML_CHECK(heap_reserve(&s->cand, ef + 2));
    visit_reset(s);
    uint16_t cur = s->cur;
    s->tag[ep] = cur;
    float bound = INFINITY;
    hn_pair e = {ep_d, ep};
    if (node_allowed(h, f, ep, self)) {
        heap_push(&s->top, e, 1);
        bound = ep_d;
    }
    heap_push(&s->cand, e, 0);
    int32_t todo[4096 + 1];
    while (s->cand.n) {
        hn_pair x = s->cand.a[0];
        if (x.d > bound && (s->top.n >= ef || !fill)) break;
        heap_pop(&s->cand, 0);
        const int32_t *nb;
        int32_t cnt = read_links(h, x.id, lev, locked, s->nbuf, &nb);
        /* Collect the unvisited first so their vectors can be prefetched
         * while earlier distances are computed. */
        int32_t nt = 0;
        for (int32_t j = 0; j < cnt; j++) {
            int32_t id = nb[j];
            if (s->tag[id] == cur) continue;
            s->tag[id] = cur;
            todo[nt++] = id;
        }
        if (nt) prefetch_node(c, todo[0]);
        if (s->cand.n + nt + 1 > s->cand.cap) CML_CHECK(heap_reserve(&s->cand, s->cand.n + nt + 1));
        for (int32_t j = 0; j < nt; j++) {
            int32_t id = todo[j];
            if (j + 1 < nt) prefetch_node(c, todo[j + 1]);
            float d = qdist(c, id);
            if (s->top.n < ef || d < bound) {
                hn_pair y = {d, id};
                heap_push(&s->cand, y, 0);
                if (node_allowed(h, f, id, self)) {
                    heap_push(&s->top, y, 1);
                    if (s->top.n > ef) heap_pop(&s->top, 1);
                    bound = s->top.a[0].d;
                }
            }
        }
    }
    return CML_OK;
}

/* ---------------------------------------------------------------- build */

/* Algorithm 4 over cand[0..nc) sorted nearest first: keeps at most m, each
 * closer to the base point than to every node kept before it. Output in
 * out (nearest first); returns the count. */
static int64_t select_heuristic(const cml_hnsw *h, const hn_pair *cand, int64_t nc, int64_t m,
                                hn_pair *out)
{
    if (nc <= m) {
        memcpy(out, cand, (size_t)nc * sizeof *out);
        return nc;
    }
    int64_t no = 0;
    for (int64_t i = 0; i < nc && no < m; i++) {
        const float *v = vec_at(h, cand[i].id);
        int good = 1;
        for (int64_t r = 0; r < no; r++)
            if (dist_vec(h, v, vec_at(h, out[r].id)) < cand[i].d) {
                good = 0;
                break;
            }
        if (good) out[no++] = cand[i];
    }
    return no;
}

/*
 * In a parallel build a node can be found at level lev before its own
 * insertion has connected it there: another thread's greedy descent reaches
 * it through its links at a higher level, descends from it, finds its empty
 * list at lev and links itself to it (the reverse link lands in our list).
 * Overwriting our list then would drop that thread's only way in, leaving
 * its node unreachable (seen: exact-ef searches on 175 FAQ vectors missing
 * up to a third of the true neighbours in half the 2-thread builds).
 * hnswlib avoids it by holding the new node's lock for the whole insertion;
 * here the links already present are merged with ours and the heuristic
 * picks among both. Called under id's lock; returns 0 if out of memory (the
 * caller then writes its own selection, the old behaviour).
 */
static int merge_links(const cml_hnsw *h, int32_t id, const float *v, int32_t *lk,
                       const hn_pair *sel, int64_t ns, int64_t mmax)
{
    (void)id;
    const int32_t have = lk[0];
    hn_pair *cand = malloc(sizeof *cand * (size_t)(ns + have));
    hn_pair *kept = malloc(sizeof *kept * (size_t)(ns + have));
    if (!cand || !kept) {
        free(cand);
        free(kept);
        return 0;
    }
    int64_t nc = 0;
    for (int64_t i = 0; i < ns; i++)
        cand[nc++] = sel[i];
    for (int32_t j = 0; j < have; j++) {
        int32_t o = lk[1 + j], dup = 0;
        for (int64_t i = 0; i < ns && !dup; i++)
            dup = sel[i].id == o;
        if (dup) continue;
        cand[nc].id = o;
        cand[nc].d = dist_vec(h, v, vec_at(h, o));
        nc++;
    }
    qsort(cand, (size_t)nc, sizeof *cand, cmp_pair);
    int64_t nk = select_heuristic(h, cand, nc, mmax, kept);
    lk[0] = (int32_t)nk;
    for (int64_t j = 0; j < nk; j++)
        lk[1 + j] = kept[j].id;
    free(cand);
    free(kept);
    return 1;
}

/* Links node id (already searched: candidates in s->top) at level lev and
 * adds the reverse links. Returns the nearest selected node (next entry
 * point), or -1 if there was none. */
static int32_t connect_node(cml_hnsw *h, int32_t id, int lev, int fresh, hn_scratch *s)
{
    int64_t nc = s->top.n;
    for (int64_t i = nc - 1; i >= 0; i--)
        s->sel[i] = heap_pop(&s->top, 1); /* ascending */
    int64_t ns = select_heuristic(h, s->sel, nc, h->M, s->sel2);
    hn_pair *sel = s->sel2;

    int32_t *lk = links_at(h, id, lev);
    int64_t mmax = lev ? h->M : h->M0;
    const float *v = vec_at(h, id);
    node_lock(h, id);
    /* a re-inserted slot's old list is replaced, a fresh slot's merged */
    if (!fresh || lk[0] == 0 || !merge_links(h, id, v, lk, sel, ns, mmax)) {
        lk[0] = (int32_t)ns;
        for (int64_t i = 0; i < ns; i++)
            lk[1 + i] = sel[i].id;
    }
    node_unlock(h, id);

    for (int64_t i = 0; i < ns; i++) {
        int32_t o = sel[i].id;
        int32_t *ol = links_at(h, o, lev);
        node_lock(h, o);
        int32_t cnt = ol[0], present = 0;
        for (int32_t j = 0; j < cnt && !present; j++)
            present = ol[1 + j] == id; /* a re-inserted slot may already be linked */
        if (!present) {
            if (cnt < mmax) {
                ol[1 + cnt] = id;
                ol[0] = cnt + 1;
            } else {
                /* Overflow: re-select o's list among its links and id. The
                 * sel buffer is free again (sel2 holds our choice). */
                hn_pair *cand = s->sel;
                const float *ov = vec_at(h, o);
                cand[0].d = dist_vec(h, v, ov);
                cand[0].id = id;
                for (int32_t j = 0; j < cnt; j++) {
                    cand[1 + j].id = ol[1 + j];
                    cand[1 + j].d = dist_vec(h, ov, vec_at(h, ol[1 + j]));
                }
                qsort(cand, (size_t)cnt + 1, sizeof *cand, cmp_pair);
                hn_pair kept[4097];
                int64_t nk = select_heuristic(h, cand, cnt + 1, mmax, kept);
                ol[0] = (int32_t)nk;
                for (int64_t j = 0; j < nk; j++)
                    ol[1 + j] = kept[j].id;
            }
        }
        node_unlock(h, o);
    }
    return ns ? sel[0].id : -1;
}

/* Algorithm 1 for slot id at level `level` (vector, label, level and empty
 * link lists already in place). */
static cml_status insert_node(cml_hnsw *h, int32_t id, int level, int fresh, hn_scratch *s)
{
    pthread_mutex_lock(&h->global);
    int32_t ep = h->entry;
    int maxl = h->max_level;
    int hold = level > maxl;
    if (ep < 0) {
        h->entry = id;
        h->max_level = level;
        pthread_mutex_unlock(&h->global);
        return CML_OK;
    }
    if (!hold) pthread_mutex_unlock(&h->global);

    qctx c = {h, vec_at(h, id), 0, NULL, 0};
    float epd = qdist(&c, ep);
    greedy_descent(h, &c, maxl, level, 1, s, &ep, &epd);
    cml_status st = CML_OK;
    for (int lev = CML_MIN(level, maxl); lev >= 0; lev--) {
        st = search_layer(h, &c, ep, epd, lev, h->ef_construction, 1, NULL, id, s);
        if (st != CML_OK) break;
        int32_t next = connect_node(h, id, lev, fresh, s);
        if (next >= 0) {
            ep = next;
            epd = qdist(&c, ep);
        }
    }
    if (hold) {
        if (st == CML_OK) {
            h->entry = id;
            h->max_level = level;
        }
        pthread_mutex_unlock(&h->global);
    }
    return st;
}

/* ---------------------------------------------------------------- storage */

cml_status cml_hnsw_shell(const cml_hnsw_params *p, cml_hnsw **out)
{
    *out = NULL;
    const char *msg = cml_hnsw_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "HNSW: %s", msg);
    cml_hnsw *h = cml_calloc(1, sizeof *h);
    if (!h) return CML_ERR_NOMEM;
    h->pool = cml_calloc(1, sizeof *h->pool);
    if (!h->pool) {
        free(h);
        return CML_ERR_NOMEM;
    }
    pthread_mutex_init(&h->pool->mu, NULL);
    pthread_mutex_init(&h->global, NULL);
    h->dim = p->dim;
    h->metric = p->metric;
    h->M = p->M;
    h->M0 = 2 * p->M;
    h->ef_construction = p->ef_construction;
    h->ef_search = p->ef_search;
    h->seed = p->random_state;
    h->mult = 1.0 / log((double)p->M);
    cml_rng_seed(&h->rng, p->random_state);
    h->k = cml_index_kernels_best();
    h->entry = -1;
    h->max_level = -1;
    *out = h;
    return CML_OK;
}

/* Swaps *old for a fresh array of `cap` elements holding its first `keep`. */
static cml_status grow_array(void **arr, int64_t keep, int64_t cap, size_t es, int owned)
{
    void *p = cml_big_alloc((size_t)(cap ? cap : 1) * es);
    if (!p) return CML_ERR_NOMEM;
    if (keep) memcpy(p, *arr, (size_t)keep * es);
    if (owned) free(*arr);
    *arr = p;
    return CML_OK;
}

cml_status cml_hnsw_reserve(cml_hnsw *h, int64_t cap)
{
    if (cap < h->n)
        return cml_fail(CML_ERR_ARG, "HNSW: capacity %lld below the %lld slots in use",
                        (long long)cap, (long long)h->n);
    if (cap > INT32_MAX - 1) return cml_fail(CML_ERR_ARG, "HNSW: max_elements above 2^31 - 2");
    if ((uint64_t)cap > SIZE_MAX / sizeof(float) / (uint64_t)(h->dim + h->M0 + 1))
        return cml_fail(CML_ERR_NOMEM, "HNSW: %lld elements do not fit in memory", (long long)cap);
    int owned = h->mapped == NULL;
    /* New arrays are built first; the index changes only once all exist. */
    void *arr[8] = {h->vec,    h->labels,    h->level, h->deleted,
                    h->links0, h->upper_off, h->codes, NULL};
    const size_t es[7] = {(size_t)h->dim * 4, 8, 4, 1, (size_t)(h->M0 + 1) * 4, 8, (size_t)h->dim};
    void *fresh[7] = {0};
    int na = h->quantized ? 7 : 6;
    cml_status st = CML_OK;
    for (int i = 0; i < na; i++) {
        fresh[i] = arr[i];
        st = grow_array(&fresh[i], h->n, cap, es[i], 0);
        if (st != CML_OK) {
            fresh[i] = NULL;
            for (int j = 0; j < i; j++)
                free(fresh[j]);
            return st;
        }
    }
    _Atomic unsigned char *locks = cml_calloc((size_t)(cap ? cap : 1), 1);
    int32_t *upper = h->upper;
    float *qmin = h->q_min, *qscale = h->q_scale;
    if (!owned) {
        /* copy what lives in the mapping and is not resized here */
        upper = cml_alloc_array(CML_MAX(h->upper_len, 1), sizeof(int32_t));
        qmin = h->quantized ? cml_alloc_array(h->dim, sizeof(float)) : NULL;
        qscale = h->quantized ? cml_alloc_array(h->dim, sizeof(float)) : NULL;
        if (upper && h->upper_len) memcpy(upper, h->upper, (size_t)h->upper_len * 4);
        if (qmin) memcpy(qmin, h->q_min, (size_t)h->dim * 4);
        if (qscale) memcpy(qscale, h->q_scale, (size_t)h->dim * 4);
    }
    if (!locks || (!owned && (!upper || (h->quantized && (!qmin || !qscale))))) {
        for (int i = 0; i < na; i++)
            free(fresh[i]);
        free((void *)locks);
        if (!owned) {
            free(upper);
            free(qmin);
            free(qscale);
        }
        return CML_ERR_NOMEM;
    }
    if (owned)
        for (int i = 0; i < na; i++)
            free(arr[i]);
    h->vec = fresh[0];
    h->labels = fresh[1];
    h->level = fresh[2];
    h->deleted = fresh[3];
    h->links0 = fresh[4];
    h->upper_off = fresh[5];
    h->codes = fresh[6];
    free((void *)h->locks);
    h->locks = locks;
    if (!owned) {
        h->upper = upper;
        h->upper_cap = CML_MAX(h->upper_len, 1);
        h->q_min = qmin;
        h->q_scale = qscale;
        cml_gguf_free(h->mapped);
        h->mapped = NULL;
    }
    h->cap = cap;
    return CML_OK;
}

static cml_status upper_reserve(cml_hnsw *h, int64_t len)
{
    if (len <= h->upper_cap) return CML_OK;
    int64_t cap = h->upper_cap ? h->upper_cap : 1024;
    while (cap < len)
        cap *= 2;
    int32_t *p = cml_realloc(h->upper, (size_t)cap * sizeof *p);
    if (!p) return CML_ERR_NOMEM;
    h->upper = p;
    h->upper_cap = cap;
    return CML_OK;
}

cml_status cml_hnsw_create(const cml_hnsw_params *p, cml_hnsw **out)
{
    cml_hnsw *h;
    CML_CHECK(cml_hnsw_shell(p, &h));
    cml_status st = cml_hnsw_reserve(h, p->max_elements);
    if (st == CML_OK) st = upper_reserve(h, 1024);
    if (st == CML_OK) st = ensure_map(h);
    if (st != CML_OK) {
        cml_hnsw_free(h);
        return st;
    }
    *out = h;
    return CML_OK;
}

void cml_hnsw_free(cml_hnsw *h)
{
    if (!h) return;
    if (!h->mapped) {
        free(h->vec);
        free(h->labels);
        free(h->level);
        free(h->deleted);
        free(h->links0);
        free(h->upper_off);
        free(h->codes);
        free(h->upper);
        free(h->q_min);
        free(h->q_scale);
    }
    cml_gguf_free(h->mapped);
    free((void *)h->locks);
    map_free(&h->map);
    free(h->free_slots);
    if (h->pool) {
        for (int64_t i = 0; i < h->pool->n; i++)
            scratch_free(h->pool->items[i]);
        free(h->pool->items);
        pthread_mutex_destroy(&h->pool->mu);
        free(h->pool);
    }
    pthread_mutex_destroy(&h->global);
    free(h);
}

cml_status cml_hnsw_resize(cml_hnsw *h, int64_t max_elements)
{
    if (max_elements < h->n)
        return cml_fail(CML_ERR_ARG,
                        "HNSW resize: max_elements %lld is below the %lld slots in use",
                        (long long)max_elements, (long long)h->n);
    return cml_hnsw_reserve(h, max_elements);
}

/* The first mutation of an opened index copies it into memory. */
static cml_status make_mutable(cml_hnsw *h)
{
    if (h->mapped) CML_CHECK(cml_hnsw_reserve(h, CML_MAX(h->cap_saved, h->n)));
    return ensure_map(h);
}

/* ---------------------------------------------------------------- quantize */

static void encode_row(const cml_hnsw *h, const float *x, uint8_t *code)
{
    for (int64_t j = 0; j < h->dim; j++) {
        float sc = h->q_scale[j];
        float t = sc > 0 ? (x[j] - h->q_min[j]) / sc : 0.0f;
        t = t < 0 ? 0 : t > 255 ? 255 : t;
        code[j] = (uint8_t)lrintf(t);
    }
}

cml_status cml_hnsw_quantize_int8(cml_hnsw *h)
{
    CML_CHECK(make_mutable(h));
    float *qmin = cml_alloc_array(h->dim, sizeof(float));
    float *qscale = cml_alloc_array(h->dim, sizeof(float));
    uint8_t *codes =
        h->codes ? h->codes : cml_big_alloc((size_t)(h->cap ? h->cap : 1) * (size_t)h->dim);
    if (!qmin || !qscale || !codes) {
        free(qmin);
        free(qscale);
        if (codes != h->codes) free(codes);
        return CML_ERR_NOMEM;
    }
    for (int64_t j = 0; j < h->dim; j++) {
        qmin[j] = INFINITY;
        qscale[j] = -INFINITY; /* max, for now */
    }
    int64_t live = 0;
    for (int64_t i = 0; i < h->n; i++) {
        if (h->deleted[i]) continue;
        live++;
        const float *x = vec_at(h, i);
        for (int64_t j = 0; j < h->dim; j++) {
            qmin[j] = x[j] < qmin[j] ? x[j] : qmin[j];
            qscale[j] = x[j] > qscale[j] ? x[j] : qscale[j];
        }
    }
    for (int64_t j = 0; j < h->dim; j++) {
        if (!live) qmin[j] = qscale[j] = 0;
        qscale[j] = (qscale[j] - qmin[j]) / 255.0f;
    }
    free(h->q_min);
    free(h->q_scale);
    h->q_min = qmin;
    h->q_scale = qscale;
    h->codes = codes;
    h->quantized = 1;
#pragma omp parallel for CML_OMP_THREADS schedule(static)
    for (int64_t i = 0; i < h->n; i++)
        encode_row(h, vec_at(h, i), h->codes + i * h->dim);
    return CML_OK;
}

/* ---------------------------------------------------------------- add */

static int all_finite(const float *x, int64_t n)
{
    int ok = 1;
    for (int64_t i = 0; i < n; i++)
        ok &= isfinite(x[i]) != 0;
    return ok;
}

/* Stores x in slot id (normalized for cosine, encoded when quantized). */
static void store_vector(cml_hnsw *h, int64_t id, const float *x)
{
    float *v = h->vec + id * h->dim;
    memcpy(v, x, (size_t)h->dim * sizeof *v);
    if (h->metric == CML_METRIC_COSINE) {
        float nrm = sqrtf(h->k->dot_f32(v, v, h->dim));
        /* hnswlib's 1 / (|x| + 1e-30): a zero vector stays zero */
        float inv = 1.0f / (nrm + 1e-30f);
        for (int64_t j = 0; j < h->dim; j++)
            v[j] *= inv;
    }
    if (h->quantized) encode_row(h, v, h->codes + id * h->dim);
}

static int draw_level(cml_hnsw *h)
{
    double u = 1.0 - cml_rng_uniform(&h->rng); /* (0, 1] */
    double l = floor(-log(u) * h->mult);
    return l > HNSW_MAX_LEVEL - 1 ? HNSW_MAX_LEVEL - 1 : (int)l;
}

cml_status cml_hnsw_add(cml_hnsw *h, const float *X, int64_t n, const int64_t *labels)
{
    if (n < 0 || (n > 0 && !X)) return cml_fail(CML_ERR_ARG, "HNSW add: n must be >= 0 with X");
    if (n == 0) return CML_OK;
    for (int64_t i = 0; i < n; i++)
        if (!all_finite(X + i * h->dim, h->dim))
            return cml_fail(CML_ERR_ARG, "HNSW add: row %lld has a NaN or infinite value",
                            (long long)i);
    CML_CHECK(make_mutable(h));
    cml_status st = CML_OK;
    const int64_t n0 = h->n; /* default labels: n0 + i, as hnswlib */
    int32_t *slot = cml_alloc_array(n, sizeof *slot);
    int32_t *order = cml_alloc_array(n, sizeof *order);
    hn_map seen = {0};
    if (!slot || !order || map_grow(&seen, n) != CML_OK) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* Plan first, change nothing until the batch is known to fit. */
    int64_t reuse_own = 0, new_labels = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t lab = labels ? labels[i] : n0 + i;
        if (map_find(&seen, lab) >= 0) {
            st = cml_fail(CML_ERR_ARG, "HNSW add: label %lld appears twice in one batch",
                          (long long)lab);
            goto fail;
        }
        map_put(&seen, lab, 0);
        int64_t id = map_find(&h->map, lab);
        if (id < 0)
            new_labels++;
        else if (h->deleted[id])
            reuse_own++;
    }
    int64_t spare = h->n_deleted - reuse_own; /* deleted slots left for new labels */
    int64_t fresh_needed = new_labels > spare ? new_labels - spare : 0;
    if (h->n + fresh_needed > h->cap) {
        st = cml_fail(CML_ERR_ARG,
                      "HNSW add: %lld vectors would exceed max_elements = %lld. HINT: call "
                      "cml_hnsw_resize first",
                      (long long)(h->n - h->n_deleted + n), (long long)h->cap);
        goto fail;
    }
    CML_TRY(map_grow(&h->map, h->n + fresh_needed + 1));

    /* Assign slots: a known label keeps its slot, new labels take deleted
     * slots (lowest first) before fresh ones. */
    int64_t n_reuse = 0, n_fresh = 0, upper_add = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t lab = labels ? labels[i] : n0 + i;
        int64_t id = map_find(&h->map, lab);
        if (id >= 0) {
            if (h->deleted[id]) {
                h->deleted[id] = 0;
                h->n_deleted--;
            }
            slot[i] = (int32_t)id;
            order[n_reuse++] = (int32_t)i;
            continue;
        }
        while (h->n_free && !h->deleted[h->free_slots[h->n_free - 1]])
            h->n_free--; /* stale: re-added under its own label */
        if (h->n_free && h->n_deleted > 0) {
            id = h->free_slots[--h->n_free];
            map_del(&h->map, h->labels[id]);
            h->deleted[id] = 0;
            h->n_deleted--;
            h->labels[id] = lab;
            map_put(&h->map, lab, (int32_t)id);
            slot[i] = (int32_t)id;
            order[n_reuse++] = (int32_t)i;
            continue;
        }
        id = h->n++;
        h->labels[id] = lab;
        h->level[id] = draw_level(h);
        h->deleted[id] = 0;
        h->links0[id * (h->M0 + 1)] = 0;
        h->upper_off[id] = h->upper_len + upper_add;
        upper_add += (int64_t)h->level[id] * (h->M + 1);
        map_put(&h->map, lab, (int32_t)id);
        slot[i] = (int32_t)id;
        order[n - 1 - n_fresh++] = (int32_t)i;
    }
    CML_TRY(upper_reserve(h, h->upper_len + upper_add + 1));
    for (int64_t i = 0; i < n_fresh; i++) {
        int64_t id = slot[order[n - 1 - i]];
        for (int l = 0; l < h->level[id]; l++)
            h->upper[h->upper_off[id] + (int64_t)l * (h->M + 1)] = 0;
    }
    h->upper_len += upper_add;

    /* Re-inserted slots one at a time: their nodes are already reachable,
     * so rewriting a vector must not race with other insertions. */
    for (int64_t r = 0; r < n_reuse && st == CML_OK; r++) {
        int64_t i = order[r];
        store_vector(h, slot[i], X + i * h->dim);
        hn_scratch *s = scratch_get(h);
        if (!s) {
            st = CML_ERR_NOMEM;
            break;
        }
        st = insert_node(h, slot[i], h->level[slot[i]], 0, s);
        scratch_put(h, s);
    }
    if (st != CML_OK) goto fail;
    /* Fresh slots are unreachable until linked: store, then insert in
     * parallel, in input order with one thread. */
    for (int64_t f = 0; f < n_fresh; f++) {
        int64_t i = order[n - 1 - f];
        store_vector(h, slot[i], X + i * h->dim);
    }
    int failed = 0;
#pragma omp parallel CML_OMP_THREADS
    {
        hn_scratch *s = scratch_get(h);
        if (!s) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t f = 0; f < n_fresh; f++) {
            if (!s) continue;
            int64_t i = order[n - 1 - f];
            if (insert_node(h, slot[i], h->level[slot[i]], 1, s) != CML_OK) {
#pragma omp atomic write
                failed = 1;
            }
        }
        if (s) scratch_put(h, s);
    }
    if (failed) st = cml_fail(CML_ERR_NOMEM, "HNSW add: out of memory while inserting");
fail:
    free(slot);
    free(order);
    map_free(&seen);
    return st;
}

cml_status cml_hnsw_mark_deleted(cml_hnsw *h, int64_t label)
{
    CML_CHECK(make_mutable(h));
    int64_t id = map_find(&h->map, label);
    if (id < 0 || h->deleted[id])
        return cml_fail(CML_ERR_ARG, "HNSW mark_deleted: label %lld is not in the index%s",
                        (long long)label, id >= 0 ? " (already deleted)" : "");
    CML_CHECK(push_free(h, (int32_t)id));
    h->deleted[id] = 1;
    h->n_deleted++;
    return CML_OK;
}

/* ---------------------------------------------------------------- getters */

int64_t cml_hnsw_size(const cml_hnsw *h)
{
    return h->n - h->n_deleted;
}
int64_t cml_hnsw_n_deleted(const cml_hnsw *h)
{
    return h->n_deleted;
}
int64_t cml_hnsw_capacity(const cml_hnsw *h)
{
    return h->mapped ? h->cap_saved : h->cap;
}
int64_t cml_hnsw_dim(const cml_hnsw *h)
{
    return h->dim;
}
cml_index_metric cml_hnsw_metric(const cml_hnsw *h)
{
    return h->metric;
}
int cml_hnsw_is_quantized(const cml_hnsw *h)
{
    return h->quantized;
}

cml_hnsw_params cml_hnsw_get_params(const cml_hnsw *h)
{
    cml_hnsw_params p = {
        h->dim, h->metric, h->M, h->ef_construction, h->ef_search, cml_hnsw_capacity(h), h->seed};
    return p;
}

cml_status cml_hnsw_set_ef(cml_hnsw *h, int64_t ef)
{
    if (ef < 1 || ef > (1 << 20))
        return cml_fail(CML_ERR_ARG, "HNSW: ef_search must be in [1, 1048576], got %lld",
                        (long long)ef);
    h->ef_search = ef;
    return CML_OK;
}

int cml_hnsw_get_vector(cml_hnsw *h, int64_t label, float *out)
{
    if (ensure_map(h) != CML_OK) return 0;
    int64_t id = map_find(&h->map, label);
    if (id < 0 || h->deleted[id]) return 0;
    memcpy(out, vec_at(h, id), (size_t)h->dim * sizeof *out);
    return 1;
}

/* ---------------------------------------------------------------- query */

/* Algorithm 5 for one query with scratch s; fills k results. */
static cml_status knn_one(const cml_hnsw *h, const float *q, int64_t k, const cml_hnsw_query *o,
                          hn_scratch *s, int64_t *labels, float *dists, int64_t *n_found)
{
    int64_t got = 0;
    if (h->entry >= 0 && h->n > h->n_deleted) {
        float *qv = s->qbuf;
        memcpy(qv, q, (size_t)h->dim * sizeof *qv);
        if (h->metric == CML_METRIC_COSINE) {
            float inv = 1.0f / (sqrtf(h->k->dot_f32(qv, qv, h->dim)) + 1e-30f);
            for (int64_t j = 0; j < h->dim; j++)
                qv[j] *= inv;
        }
        qctx c = {h, qv, h->quantized && o->use_int8, NULL, 0};
        if (c.int8) {
            float *a = s->qbuf + h->dim;
            if (h->metric == CML_METRIC_L2) {
                for (int64_t j = 0; j < h->dim; j++)
                    a[j] = qv[j] - h->q_min[j];
            } else {
                double cst = 0;
                for (int64_t j = 0; j < h->dim; j++) {
                    a[j] = qv[j] * h->q_scale[j];
                    cst += (double)qv[j] * h->q_min[j];
                }
                c.cst = (float)(1.0 - cst);
            }
            c.a = a;
        }
        int64_t ef = o->ef > 0 ? o->ef : h->ef_search;
        ef = CML_MAX(ef, k);
        int32_t ep = h->entry;
        float epd = qdist(&c, ep);
        greedy_descent(h, &c, h->max_level, 0, 0, s, &ep, &epd);
        CML_CHECK(search_layer(h, &c, ep, epd, 0, ef, 0, o->filter, -1, s));
        int64_t nc = s->top.n;
        CML_CHECK(heap_reserve(&s->cand, nc + 1)); /* reuse as the result buffer */
        hn_pair *res = s->cand.a;
        for (int64_t i = nc - 1; i >= 0; i--)
            res[i] = heap_pop(&s->top, 1);
        if (c.int8 && o->rerank != 0) {
            int64_t r = o->rerank < 0 ? nc : CML_MIN(nc, CML_MAX(o->rerank, k));
            for (int64_t i = 0; i < r; i++)
                res[i].d = dist_vec(h, qv, vec_at(h, res[i].id));
            qsort(res, (size_t)r, sizeof *res, cmp_pair);
        }
        got = CML_MIN(k, nc);
        for (int64_t i = 0; i < got; i++) {
            labels[i] = h->labels[res[i].id];
            dists[i] = res[i].d;
        }
    }
    for (int64_t i = got; i < k; i++) {
        labels[i] = -1;
        dists[i] = INFINITY;
    }
    if (n_found) *n_found = got;
    return CML_OK;
}

static cml_status check_query(const cml_hnsw *h, int64_t k, const cml_hnsw_query *o)
{
    if (k < 1) return cml_fail(CML_ERR_ARG, "HNSW search: k must be >= 1, got %lld", (long long)k);
    if (o->ef < 0 || o->ef > (1 << 20))
        return cml_fail(CML_ERR_ARG, "HNSW search: ef must be in [0, 1048576], got %lld",
                        (long long)o->ef);
    if (o->filter && o->filter->bitmap && o->filter->bitmap_bits < 0)
        return cml_fail(CML_ERR_ARG, "HNSW search: filter bitmap_bits must be >= 0");
    (void)h;
    return CML_OK;
}

cml_status cml_hnsw_search(const cml_hnsw *h, const float *q, int64_t k, const cml_hnsw_query *opt,
                           int64_t *labels, float *dists, int64_t *n_found)
{
    cml_hnsw_query o = opt ? *opt : cml_hnsw_query_default();
    CML_CHECK(check_query(h, k, &o));
    if (!all_finite(q, h->dim))
        return cml_fail(CML_ERR_ARG, "HNSW search: the query has a NaN or infinite value");
    hn_scratch *s = scratch_get(h);
    if (!s) return CML_ERR_NOMEM;
    cml_status st = knn_one(h, q, k, &o, s, labels, dists, n_found);
    scratch_put(h, s);
    return st;
}

cml_status cml_hnsw_search_batch(const cml_hnsw *h, const float *Q, int64_t nq, int64_t k,
                                 const cml_hnsw_query *opt, int64_t *labels, float *dists)
{
    cml_hnsw_query o = opt ? *opt : cml_hnsw_query_default();
    CML_CHECK(check_query(h, k, &o));
    if (nq < 0) return cml_fail(CML_ERR_ARG, "HNSW search: nq must be >= 0");
    for (int64_t i = 0; i < nq; i++)
        if (!all_finite(Q + i * h->dim, h->dim))
            return cml_fail(CML_ERR_ARG, "HNSW search: query row %lld has a NaN or infinite value",
                            (long long)i);
    int failed = 0;
#pragma omp parallel CML_OMP_THREADS if (nq > 1)
    {
        hn_scratch *s = scratch_get(h);
#pragma omp for schedule(dynamic, 4)
        for (int64_t i = 0; i < nq; i++) {
            if (!s || knn_one(h, Q + i * h->dim, k, &o, s, labels + i * k, dists + i * k, NULL) !=
                          CML_OK) {
#pragma omp atomic write
                failed = 1;
            }
        }
        if (s) scratch_put(h, s);
    }
    if (failed) return cml_fail(CML_ERR_NOMEM, "HNSW search: out of memory");
    return CML_OK;
}
