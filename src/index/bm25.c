/*
 * bm25.c — Okapi BM25 / BM25+ over a compressed inverted index, with WAND
 * top-k (see cml/index.h for the scoring formula and references).
 *
 * Postings of a term: (doc-id gap, tf) pairs as LEB128 varints, the first
 * gap measured from -1 so every gap is >= 1. They are cut in blocks of
 * BM_BLOCK postings; per block the skip data holds the last doc id, the byte
 * end of the block, the largest tf and the smallest document length. A
 * cursor skips whole blocks whose last doc is below its target without
 * decoding them (next_geq). The per-term score upper bound used by WAND is
 *   w (k1 + 1) tfmax / (tfmax + k1 (1 - b + b lmin / avgdl)) + w delta,
 * maximized over blocks: the term score grows with tf and falls with |d|,
 * so it bounds every posting in the block whatever avgdl becomes after
 * later adds (nothing stored depends on N or avgdl).
 *
 * Strategy: WAND visits documents one at a time (~10-30 ns each) and pays
 * off only when it can skip; when the query's postings reach N / 8 (common
 * terms, small collections) term-at-a-time accumulation into an N-vector
 * (~1 ns per posting) is faster. Measured on the Python docs (31,826
 * chunks, 2.07M postings), best of 20, top-10: a six-word question 0.23 ms
 * term-at-a-time vs 0.36 ms WAND; four stop words 0.24 vs 0.75 ms; three
 * rarer terms 0.06 vs 0.02 ms (WAND's case).
 *
 * Exactness: WAND only skips documents whose upper bound cannot beat the
 * k-th score, so top-k equals the exhaustive ranking. Scores of one
 * document are always summed in query-term order (never cursor order), so
 * search and score_all give bit-identical values.
 *
 * Complexity: add O(tokens); score_all O(postings of the query terms);
 * search at most that, usually far less. Memory: the vocabulary, ~1-2 bytes
 * per posting field, 16 bytes of skip data per 128 postings.
 * Thread-safety: searches allocate their own cursors and token iterator.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cml/gguf.h"
#include "cml/index.h"
#include "core/internal.h"
#include "text/vocab.h"

#define BM_BLOCK          128
#define BM_KIND           "bm25_index"
#define BM_SCHEMA_VERSION 1
#define BM_END            INT32_MAX

typedef struct bm_block {
    int32_t last_doc; /* doc id of the block's last posting */
    uint32_t end;     /* byte end of the block in the term's postings */
    uint32_t max_tf;  /* largest tf in the block */
    uint32_t min_len; /* smallest document length in the block */
} bm_block;

typedef struct bm_term {
    uint8_t *post; /* (len) varint pairs */
    size_t len, cap;
    int64_t df;       /* postings */
    int32_t last_doc; /* -1 when empty */
    bm_block *blk;    /* (nblk) */
    int64_t nblk, blk_cap;
} bm_term;

struct cml_bm25 {
    cml_bm25_params p;
    cml_tokenizer *tok;
    cml_vocab vocab; /* term id -> terms[id] */
    bm_term *terms;  /* (terms_cap) */
    int64_t terms_cap;
    int32_t *doc_len; /* (docs_cap) tokens per document */
    int64_t *labels;  /* (docs_cap) */
    int64_t n_docs, docs_cap;
    int64_t sum_len; /* total tokens */
    int64_t n_post;
};

/* ---------------------------------------------------------------- params */

cml_bm25_params cml_bm25_params_default(void)
{
    cml_bm25_params p;
    p.k1 = 1.2;
    p.b = 0.75;
    p.delta = 0.0;
    p.tok = cml_tokenizer_opts_default();
    return p;
}

const char *cml_bm25_params_check(const cml_bm25_params *p)
{
    if (!p) return "params is NULL";
    if (!(p->k1 >= 0) || !isfinite(p->k1)) return "k1 must be a finite number >= 0";
    if (!(p->b >= 0 && p->b <= 1)) return "b must be in [0, 1]";
    if (!(p->delta >= 0) || !isfinite(p->delta)) return "delta must be a finite number >= 0";
    return cml_tokenizer_opts_check(&p->tok);
}

cml_status cml_bm25_create(const cml_bm25_params *p, cml_bm25 **out)
{
    *out = NULL;
    const char *msg = cml_bm25_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "bm25: %s", msg);
    cml_bm25 *b = cml_calloc(1, sizeof *b);
    if (!b) return CML_ERR_NOMEM;
    b->p = *p;
    cml_vocab_init(&b->vocab);
    cml_status st = cml_tokenizer_create(&p->tok, &b->tok);
    if (st != CML_OK) {
        cml_bm25_free(b);
        return st;
    }
    *out = b;
    return CML_OK;
}

void cml_bm25_free(cml_bm25 *b)
{
    if (!b) return;
    for (int64_t i = 0; i < b->vocab.n; i++) {
        free(b->terms[i].post);
        free(b->terms[i].blk);
    }
    free(b->terms);
    free(b->doc_len);
    free(b->labels);
    cml_vocab_free(&b->vocab);
    cml_tokenizer_free(b->tok);
    free(b);
}

/* ---------------------------------------------------------------- postings */

static size_t put_varint(uint8_t *o, uint32_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        o[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    o[n++] = (uint8_t)v;
    return n;
}

/* Decodes one varint from p[*pos..end); 0 on a truncated or over-long one
 * (more than 32 bits). Trusted (validated) data goes through the same code. */
static int get_varint(const uint8_t *p, size_t end, size_t *pos, uint32_t *v)
{
    uint32_t r = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
        if (*pos >= end) return 0;
        uint8_t c = p[(*pos)++];
        if (shift == 28 && (c & 0xF0)) return 0;
        r |= (uint32_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return 1;
        }
    }
    return 0;
}

/* Makes room for one more posting (10 bytes: two varints) and its block,
 * so that term_append cannot fail. */
static cml_status term_reserve(bm_term *t)
{
    if (t->len + 10 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        if (cap > UINT32_MAX)
            return cml_fail(CML_ERR_NOMEM, "bm25: a term's postings exceed 4 GiB");
        uint8_t *q = cml_realloc(t->post, cap);
        if (!q) return CML_ERR_NOMEM;
        t->post = q;
        t->cap = cap;
    }
    if (t->df % BM_BLOCK == 0 && t->nblk == t->blk_cap) {
        int64_t cap = t->blk_cap ? t->blk_cap * 2 : 1;
        bm_block *q = cml_realloc(t->blk, (size_t)cap * sizeof *q);
        if (!q) return CML_ERR_NOMEM;
        t->blk = q;
        t->blk_cap = cap;
    }
    return CML_OK;
}

/* Appends (doc, tf) to a term (after term_reserve), opening a new block
 * every BM_BLOCK postings. */
static void term_append(bm_term *t, int32_t doc, uint32_t tf, uint32_t dl)
{
    if (t->df % BM_BLOCK == 0) t->blk[t->nblk++] = (bm_block){doc, 0, 0, UINT32_MAX};
    t->len += put_varint(t->post + t->len, (uint32_t)(doc - t->last_doc));
    t->len += put_varint(t->post + t->len, tf);
    bm_block *bk = &t->blk[t->nblk - 1];
    bk->last_doc = doc;
    bk->end = (uint32_t)t->len;
    if (tf > bk->max_tf) bk->max_tf = tf;
    if (dl < bk->min_len) bk->min_len = dl;
    t->last_doc = doc;
    t->df++;
}

static cml_status grow_terms(cml_bm25 *b, int64_t need)
{
    if (need <= b->terms_cap) return CML_OK;
    int64_t cap = b->terms_cap ? b->terms_cap : 256;
    while (cap < need)
        cap *= 2;
    bm_term *q = cml_realloc(b->terms, (size_t)cap * sizeof *q);
    if (!q) return CML_ERR_NOMEM;
    memset(q + b->terms_cap, 0, (size_t)(cap - b->terms_cap) * sizeof *q);
    for (int64_t i = b->terms_cap; i < cap; i++)
        q[i].last_doc = -1;
    b->terms = q;
    b->terms_cap = cap;
    return CML_OK;
}

static cml_status grow_docs(cml_bm25 *b, int64_t need)
{
    if (need <= b->docs_cap) return CML_OK;
    int64_t cap = b->docs_cap ? b->docs_cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    int32_t *dl = cml_realloc(b->doc_len, (size_t)cap * sizeof *dl);
    if (!dl) return CML_ERR_NOMEM;
    b->doc_len = dl;
    int64_t *lb = cml_realloc(b->labels, (size_t)cap * sizeof *lb);
    if (!lb) return CML_ERR_NOMEM;
    b->labels = lb;
    b->docs_cap = cap;
    return CML_OK;
}

/* Per-document term counting: cnt[id] for the ids in `touched`. */
typedef struct bm_counter {
    uint32_t *cnt;
    int64_t *touched;
    int64_t n, cap, n_touched, cap_touched;
} bm_counter;

static cml_status counter_bump(bm_counter *c, int64_t id)
{
    if (id >= c->cap) {
        int64_t cap = c->cap ? c->cap * 2 : 1024;
        while (cap <= id)
            cap *= 2;
        uint32_t *q = cml_realloc(c->cnt, (size_t)cap * sizeof *q);
        if (!q) return CML_ERR_NOMEM;
        memset(q + c->cap, 0, (size_t)(cap - c->cap) * sizeof *q);
        c->cnt = q;
        c->cap = cap;
    }
    if (c->cnt[id]++ == 0) {
        if (c->n_touched == c->cap_touched) {
            int64_t cap = c->cap_touched ? c->cap_touched * 2 : 256;
            int64_t *q = cml_realloc(c->touched, (size_t)cap * sizeof *q);
            if (!q) return CML_ERR_NOMEM;
            c->touched = q;
            c->cap_touched = cap;
        }
        c->touched[c->n_touched++] = id;
    }
    return CML_OK;
}

cml_status cml_bm25_add(cml_bm25 *b, const char *const *texts, const size_t *lens, int64_t n,
                        const int64_t *labels)
{
    if (n < 0 || (n > 0 && !texts)) return cml_fail(CML_ERR_ARG, "bm25_add: n must be >= 0");
    if (n > (int64_t)INT32_MAX - 1 - b->n_docs)
        return cml_fail(CML_ERR_ARG, "bm25_add: more than 2^31 - 2 documents");
    cml_status st = CML_OK;
    cml_token_iter *it = NULL;
    bm_counter c = {0};
    CML_TRY(grow_docs(b, b->n_docs + n));
    CML_TRY(cml_token_iter_create(b->tok, &it));
    for (int64_t i = 0; i < n; i++) {
        const char *text = texts[i] ? texts[i] : "";
        size_t len = lens ? lens[i] : strlen(text);
        CML_TRY(cml_token_iter_begin(it, text, len));
        const char *tk;
        size_t tl;
        int64_t ntok = 0;
        c.n_touched = 0;
        while (cml_token_iter_next(it, &tk, &tl)) {
            int64_t id;
            /* room for a new term first, so terms[] always covers the vocabulary */
            CML_TRY(grow_terms(b, b->vocab.n + 1));
            CML_TRY(cml_vocab_intern(&b->vocab, tk, tl, &id, NULL));
            CML_TRY(counter_bump(&c, id));
            ntok++;
        }
        if (ntok > INT32_MAX) {
            for (int64_t r = 0; r < c.n_touched; r++)
                c.cnt[c.touched[r]] = 0;
            st = cml_fail(CML_ERR_ARG, "bm25_add: document %lld has more than 2^31 - 1 tokens",
                          (long long)i);
            goto fail;
        }
        int32_t doc = (int32_t)b->n_docs;
        /* reserve everything first: a failure leaves the index unchanged */
        for (int64_t j = 0; j < c.n_touched; j++) {
            st = term_reserve(&b->terms[c.touched[j]]);
            if (st != CML_OK) {
                for (int64_t r = 0; r < c.n_touched; r++)
                    c.cnt[c.touched[r]] = 0;
                goto fail;
            }
        }
        for (int64_t j = 0; j < c.n_touched; j++) {
            int64_t id = c.touched[j];
            term_append(&b->terms[id], doc, c.cnt[id], (uint32_t)ntok);
            c.cnt[id] = 0;
        }
        b->doc_len[doc] = (int32_t)ntok;
        b->labels[doc] = labels ? labels[i] : b->n_docs;
        b->n_docs++;
        b->sum_len += ntok;
        b->n_post += c.n_touched;
    }
fail:
    free(c.cnt);
    free(c.touched);
    cml_token_iter_free(it);
    return st;
}

/* ---------------------------------------------------------------- getters */

int64_t cml_bm25_n_docs(const cml_bm25 *b)
{
    return b->n_docs;
}
int64_t cml_bm25_n_terms(const cml_bm25 *b)
{
    return b->vocab.n;
}
int64_t cml_bm25_n_postings(const cml_bm25 *b)
{
    return b->n_post;
}
double cml_bm25_avgdl(const cml_bm25 *b)
{
    return b->n_docs ? (double)b->sum_len / (double)b->n_docs : 0.0;
}
cml_bm25_params cml_bm25_get_params(const cml_bm25 *b)
{
    return b->p;
}

int64_t cml_bm25_postings_bytes(const cml_bm25 *b)
{
    int64_t s = 0;
    for (int64_t i = 0; i < b->vocab.n; i++)
        s += (int64_t)b->terms[i].len;
    return s;
}

int64_t cml_bm25_doc_label(const cml_bm25 *b, int64_t i)
{
    return i >= 0 && i < b->n_docs ? b->labels[i] : -1;
}

int64_t cml_bm25_doc_len(const cml_bm25 *b, int64_t i)
{
    return i >= 0 && i < b->n_docs ? b->doc_len[i] : -1;
}

int64_t cml_bm25_df(const cml_bm25 *b, const char *term, size_t len)
{
    int64_t id = cml_vocab_find(&b->vocab, term, len);
    return id < 0 ? 0 : b->terms[id].df;
}

/* ---------------------------------------------------------------- scoring */

/* A query: distinct known terms in order of first occurrence, each with its
 * weight qtf * idf. */
typedef struct bm_query {
    int64_t *term; /* (n) term ids */
    double *w;     /* (n) */
    int64_t n;
} bm_query;

static void query_free(bm_query *q)
{
    free(q->term);
    free(q->w);
}

static cml_status query_parse(const cml_bm25 *b, const char *text, size_t len, bm_query *q)
{
    memset(q, 0, sizeof *q);
    cml_token_iter *it = NULL;
    int64_t cap = 0;
    cml_status st = cml_token_iter_create(b->tok, &it);
    if (st != CML_OK) return st;
    CML_TRY(cml_token_iter_begin(it, text ? text : "", text ? len : 0));
    const char *tk;
    size_t tl;
    while (cml_token_iter_next(it, &tk, &tl)) {
        int64_t id = cml_vocab_find(&b->vocab, tk, tl);
        if (id < 0) continue;
        int64_t j = 0;
        while (j < q->n && q->term[j] != id)
            j++;
        if (j == q->n) {
            if (q->n == cap) {
                cap = cap ? cap * 2 : 8;
                int64_t *t2 = cml_realloc(q->term, (size_t)cap * sizeof *t2);
                if (!t2) {
                    st = CML_ERR_NOMEM;
                    goto fail;
                }
                q->term = t2;
                double *w2 = cml_realloc(q->w, (size_t)cap * sizeof *w2);
                if (!w2) {
                    st = CML_ERR_NOMEM;
                    goto fail;
                }
                q->w = w2;
            }
            q->term[q->n] = id;
            q->w[q->n++] = 0.0;
        }
        q->w[j] += 1.0; /* query term frequency for now */
    }
    {
        double N = (double)b->n_docs;
        for (int64_t j = 0; j < q->n; j++) {
            double df = (double)b->terms[q->term[j]].df;
            q->w[j] *= log(1.0 + (N - df + 0.5) / (df + 0.5));
        }
    }
fail:
    cml_token_iter_free(it);
    if (st != CML_OK) query_free(q);
    return st;
}

/* Shared constants of the term score. */
typedef struct bm_norm {
    double k1p1, k1a, k1bl; /* k1 + 1, k1 (1 - b), k1 b / avgdl */
    double delta;
} bm_norm;

static bm_norm norm_of(const cml_bm25 *b)
{
    double avgdl = cml_bm25_avgdl(b);
    bm_norm n;
    n.k1p1 = b->p.k1 + 1.0;
    n.k1a = b->p.k1 * (1.0 - b->p.b);
    n.k1bl = avgdl > 0 ? b->p.k1 * b->p.b / avgdl : 0.0;
    n.delta = b->p.delta;
    return n;
}

static inline double term_score(const bm_norm *n, double w, uint32_t tf, uint32_t dl)
{
    double t = (double)tf;
    return w * (t * n->k1p1 / (t + (n->k1a + n->k1bl * (double)dl)) + n->delta);
}

/* Term-at-a-time: adds every posting's contribution to scores[doc], in
 * query-term order (the order WAND sums a document in). */
static void accumulate(const cml_bm25 *b, const bm_query *q, const bm_norm *nm, double *scores)
{
    for (int64_t i = 0; i < b->n_docs; i++)
        scores[i] = 0.0;
    for (int64_t j = 0; j < q->n; j++) {
        const bm_term *t = &b->terms[q->term[j]];
        size_t pos = 0;
        int32_t doc = -1;
        uint32_t gap, tf;
        while (get_varint(t->post, t->len, &pos, &gap) && get_varint(t->post, t->len, &pos, &tf)) {
            doc += (int32_t)gap;
            scores[doc] += term_score(nm, q->w[j], tf, (uint32_t)b->doc_len[doc]);
        }
    }
}

cml_status cml_bm25_score_all(const cml_bm25 *b, const char *query, size_t len, double *scores)
{
    bm_query q;
    CML_CHECK(query_parse(b, query, len, &q));
    bm_norm nm = norm_of(b);
    accumulate(b, &q, &nm, scores);
    query_free(&q);
    return CML_OK;
}

/* ---------------------------------------------------------------- WAND */

typedef struct bm_cursor {
    const bm_term *t;
    double w, ub; /* weight and score upper bound */
    size_t pos;   /* byte position of the next posting */
    int64_t blk;  /* block of the current posting */
    int64_t idx;  /* index of the current posting */
    int32_t doc;  /* current doc, BM_END when exhausted */
    uint32_t tf;
} bm_cursor;

/* Moves to the next posting. */
static void cur_next(bm_cursor *c)
{
    uint32_t gap, tf;
    if (c->idx + 1 >= c->t->df || !get_varint(c->t->post, c->t->len, &c->pos, &gap) ||
        !get_varint(c->t->post, c->t->len, &c->pos, &tf)) {
        c->doc = BM_END;
        return;
    }
    c->idx++;
    c->blk = c->idx / BM_BLOCK;
    c->doc += (int32_t)gap;
    c->tf = tf;
}

static void cur_start(bm_cursor *c)
{
    c->pos = 0;
    c->blk = 0;
    c->idx = -1;
    c->doc = -1;
    cur_next(c);
}

/* Moves to the first posting with doc >= target, skipping whole blocks. */
static void cur_next_geq(bm_cursor *c, int32_t target)
{
    if (c->doc >= target) return;
    const bm_term *t = c->t;
    if (t->blk[c->blk].last_doc < target) {
        int64_t k = c->blk;
        while (k < t->nblk && t->blk[k].last_doc < target)
            k++;
        if (k == t->nblk) {
            c->doc = BM_END;
            return;
        }
        /* position just before block k's first posting */
        c->pos = t->blk[k - 1].end;
        c->doc = t->blk[k - 1].last_doc;
        c->idx = k * BM_BLOCK - 1;
    }
    do
        cur_next(c);
    while (c->doc < target);
}

/* Result heap: the worst kept result (lowest score, then highest doc) on top. */
typedef struct bm_hit {
    double s;
    int32_t doc;
} bm_hit;

static inline int hit_worse(bm_hit a, bm_hit b)
{
    return a.s < b.s || (a.s == b.s && a.doc > b.doc);
}

static void heap_sift_down(bm_hit *h, int64_t n, int64_t i)
{
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && hit_worse(h[l], h[m])) m = l;
        if (r < n && hit_worse(h[r], h[m])) m = r;
        if (m == i) return;
        bm_hit t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_push(bm_hit *h, int64_t *n, bm_hit x)
{
    int64_t i = (*n)++;
    h[i] = x;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!hit_worse(h[i], h[p])) break;
        bm_hit t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int cmp_hit_best(const void *a, const void *b)
{
    const bm_hit *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

static int doc_allowed(const cml_bm25 *b, const cml_hnsw_filter *f, int32_t doc)
{
    if (!f) return 1;
    int64_t l = b->labels[doc];
    if (f->bitmap && (l < 0 || l >= f->bitmap_bits || !((f->bitmap[l / 64] >> (l % 64)) & 1)))
        return 0;
    return !f->allow || f->allow(l, f->user);
}

/* Keeps the kk best of the documents offered in increasing doc order. */
static inline void offer(bm_hit *heap, int64_t *nh, int64_t kk, double s, int32_t doc)
{
    bm_hit h = {s, doc};
    if (*nh < kk)
        heap_push(heap, nh, h);
    else if (hit_worse(heap[0], h)) {
        heap[0] = h;
        heap_sift_down(heap, *nh, 0);
    }
}

enum { BM_AUTO = 0, BM_WAND = 1, BM_TAAT = 2 };

static cml_status search_impl(const cml_bm25 *b, const char *query, size_t len, int64_t k,
                              const cml_hnsw_filter *filter, int64_t *labels, double *scores,
                              int64_t *n_found, int strategy)
{
    if (k < 1) return cml_fail(CML_ERR_ARG, "bm25_search: k must be >= 1, got %lld", (long long)k);
    bm_query q;
    CML_CHECK(query_parse(b, query, len, &q));
    cml_status st = CML_OK;
    bm_norm nm = norm_of(b);
    int64_t kk = CML_MIN(k, b->n_docs);
    bm_cursor *cur = cml_alloc_array(q.n ? q.n : 1, sizeof *cur);
    bm_cursor **ord = cml_alloc_array(q.n ? q.n : 1, sizeof *ord);
    bm_hit *heap = cml_alloc_array(kk ? kk : 1, sizeof *heap);
    int64_t nh = 0;
    double *acc = NULL;
    if (!cur || !ord || !heap) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (strategy == BM_AUTO) {
        /* Term-at-a-time costs ~1 ns per posting plus a pass over the
         * documents; WAND ~10-30 ns per document it visits and wins only
         * when it can skip, i.e. when the postings are few next to N. */
        int64_t sum_df = 0;
        for (int64_t j = 0; j < q.n; j++)
            sum_df += b->terms[q.term[j]].df;
        strategy = b->n_docs <= 8 * sum_df ? BM_TAAT : BM_WAND;
    }
    if (strategy == BM_TAAT && kk > 0 && q.n > 0) {
        acc = cml_alloc_array(b->n_docs, sizeof *acc);
        if (!acc) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        accumulate(b, &q, &nm, acc);
        for (int32_t d = 0; d < (int32_t)b->n_docs; d++)
            if (acc[d] > 0 && (nh < kk || acc[d] > heap[0].s) && doc_allowed(b, filter, d))
                offer(heap, &nh, kk, acc[d], d);
        kk = 0; /* skip WAND */
    }
    for (int64_t j = 0; j < q.n && kk > 0; j++) {
        bm_cursor *c = &cur[j];
        c->t = &b->terms[q.term[j]];
        c->w = q.w[j];
        c->ub = 0.0;
        for (int64_t bk = 0; bk < c->t->nblk; bk++) {
            double u = term_score(&nm, c->w, c->t->blk[bk].max_tf, c->t->blk[bk].min_len);
            if (u > c->ub) c->ub = u;
        }
        /* a bound summed in another order than the score may round below
         * it by an ulp: widen it so WAND never drops a true top-k doc */
        c->ub = c->ub * (1.0 + 1e-12) + 1e-300;
        cur_start(c);
        ord[j] = c;
    }
    while (kk > 0) {
        /* insertion sort of the cursors by current doc: few terms, nearly
         * sorted from the previous round */
        for (int64_t i = 1; i < q.n; i++) {
            bm_cursor *x = ord[i];
            int64_t j = i - 1;
            while (j >= 0 && ord[j]->doc > x->doc) {
                ord[j + 1] = ord[j];
                j--;
            }
            ord[j + 1] = x;
        }
        double theta = nh == kk ? heap[0].s : -1.0;
        double ubsum = 0.0;
        int64_t pv = -1;
        for (int64_t i = 0; i < q.n && ord[i]->doc != BM_END; i++) {
            ubsum += ord[i]->ub;
            if (ubsum > theta) {
                pv = i;
                break;
            }
        }
        if (pv < 0) break;
        int32_t pdoc = ord[pv]->doc;
        if (ord[0]->doc == pdoc) {
            /* every cursor up to the pivot sits on pdoc: score it in query
             * term order (bit-identical to score_all) */
            if (doc_allowed(b, filter, pdoc)) {
                uint32_t dl = (uint32_t)b->doc_len[pdoc];
                double s = 0.0;
                for (int64_t j = 0; j < q.n; j++)
                    if (cur[j].doc == pdoc) s += term_score(&nm, cur[j].w, cur[j].tf, dl);
                offer(heap, &nh, kk, s, pdoc);
            }
            for (int64_t i = 0; i < q.n && ord[i]->doc == pdoc; i++)
                cur_next(ord[i]);
        } else {
            /* advance the preceding cursor with the largest bound to pdoc */
            int64_t best = 0;
            for (int64_t i = 1; i < pv; i++)
                if (ord[i]->doc < pdoc && ord[i]->ub > ord[best]->ub) best = i;
            cur_next_geq(ord[best], pdoc);
        }
    }
    qsort(heap, (size_t)nh, sizeof *heap, cmp_hit_best);
    for (int64_t i = 0; i < k; i++) {
        labels[i] = i < nh ? b->labels[heap[i].doc] : -1;
        scores[i] = i < nh ? heap[i].s : 0.0;
    }
    if (n_found) *n_found = nh;
fail:
    free(acc);
    free(cur);
    free(ord);
    free(heap);
    query_free(&q);
    return st;
}

cml_status cml_bm25_search(const cml_bm25 *b, const char *query, size_t len, int64_t k,
                           const cml_hnsw_filter *filter, int64_t *labels, double *scores,
                           int64_t *n_found)
{
    return search_impl(b, query, len, k, filter, labels, scores, n_found, BM_AUTO);
}

cml_status cml_bm25_search_wand(const cml_bm25 *b, const char *query, size_t len, int64_t k,
                                const cml_hnsw_filter *filter, int64_t *labels, double *scores,
                                int64_t *n_found)
{
    return search_impl(b, query, len, k, filter, labels, scores, n_found, BM_WAND);
}

cml_status cml_bm25_search_taat(const cml_bm25 *b, const char *query, size_t len, int64_t k,
                                const cml_hnsw_filter *filter, int64_t *labels, double *scores,
                                int64_t *n_found)
{
    return search_impl(b, query, len, k, filter, labels, scores, n_found, BM_TAAT);
}

/* ---------------------------------------------------------------- save */

cml_status cml_bm25_save(const cml_bm25 *b, const char *path)
{
    cml_gguf_writer *w = cml_gguf_writer_new();
    if (!w) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    int64_t nt = b->vocab.n, total = cml_bm25_postings_bytes(b);
    uint8_t *post = cml_malloc(total ? (size_t)total : 1);
    int64_t *off = cml_alloc_array(nt + 1, sizeof *off);
    int64_t *df = cml_alloc_array(nt ? nt : 1, sizeof *df);
    const char **terms = cml_alloc_array(nt ? nt : 1, sizeof *terms);
    if (!post || !off || !df || !terms) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    off[0] = 0;
    for (int64_t i = 0; i < nt; i++) {
        if (b->terms[i].len) memcpy(post + off[i], b->terms[i].post, b->terms[i].len);
        off[i + 1] = off[i] + (int64_t)b->terms[i].len;
        df[i] = b->terms[i].df;
        terms[i] = cml_vocab_term(&b->vocab, i);
    }
    const cml_tokenizer_opts *o = &b->p.tok;
    CML_TRY(cml_gguf_set_str(w, "cml.kind", BM_KIND));
    CML_TRY(cml_gguf_set_u32(w, "cml.schema_version", BM_SCHEMA_VERSION));
    CML_TRY(cml_gguf_set_str(w, "cml.version", CML_VERSION_STRING));
    CML_TRY(cml_gguf_set_f64(w, "cml.index.k1", b->p.k1));
    CML_TRY(cml_gguf_set_f64(w, "cml.index.b", b->p.b));
    CML_TRY(cml_gguf_set_f64(w, "cml.index.delta", b->p.delta));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.tok.analyzer", o->analyzer));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.tok.lowercase", o->lowercase));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.tok.strip_accents", o->strip_accents));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.tok.stop_words", o->stop_words));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.tok.ngram_min", o->ngram_min));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.tok.ngram_max", o->ngram_max));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.n_docs", b->n_docs));
    CML_TRY(cml_gguf_set_arr_str(w, "cml.index.terms", terms, nt));
    CML_TRY(cml_gguf_add_tensor(w, "postings", CML_GGUF_T_I8, 1, &total, post));
    CML_TRY(cml_gguf_add_i64(w, "term_offsets", off, nt + 1));
    CML_TRY(cml_gguf_add_i64(w, "df", df, nt));
    CML_TRY(cml_gguf_add_i32(w, "doc_len", b->doc_len, b->n_docs));
    CML_TRY(cml_gguf_add_i64(w, "labels", b->labels, b->n_docs));
    st = cml_gguf_write_file(w, path);
fail:
    free(post);
    free(off);
    free(df);
    free(terms);
    cml_gguf_writer_free(w);
    return st;
}

/* ---------------------------------------------------------------- load */

static cml_status key_range(const cml_gguf *g, const char *key, int64_t lo, int64_t hi, int64_t *v)
{
    CML_CHECK(cml_gguf_get_i64(g, key, v));
    if (*v < lo || *v > hi)
        return cml_fail(CML_ERR_FORMAT, "%s: %s = %lld is out of range [%lld, %lld]",
                        cml_gguf_name(g), key, (long long)*v, (long long)lo, (long long)hi);
    return CML_OK;
}

/* Decodes every posting of term id from the file (the validation) and
 * re-appends it, which rebuilds the skip blocks. */
static cml_status load_term(cml_bm25 *b, const cml_gguf *g, int64_t id, const uint8_t *p,
                            size_t len, int64_t df, int64_t *tok_sum)
{
    bm_term *t = &b->terms[id];
    size_t pos = 0;
    int64_t doc = -1;
    int64_t cnt = 0;
    while (pos < len) {
        uint32_t gap, tf;
        if (!get_varint(p, len, &pos, &gap) || !get_varint(p, len, &pos, &tf) || gap == 0 ||
            tf == 0 || doc + (int64_t)gap >= b->n_docs)
            return cml_fail(CML_ERR_FORMAT,
                            "%s: postings of term %lld are corrupt near byte %zu (bad varint, "
                            "doc id or tf)",
                            cml_gguf_name(g), (long long)id, pos);
        doc += gap;
        if (tf > (uint32_t)b->doc_len[doc])
            return cml_fail(CML_ERR_FORMAT, "%s: term %lld: tf %u exceeds document %lld's length",
                            cml_gguf_name(g), (long long)id, tf, (long long)doc);
        CML_CHECK(term_reserve(t));
        term_append(t, (int32_t)doc, tf, (uint32_t)b->doc_len[doc]);
        tok_sum[doc] += tf;
        cnt++;
    }
    if (cnt != df)
        return cml_fail(CML_ERR_FORMAT, "%s: term %lld: df %lld but %lld postings",
                        cml_gguf_name(g), (long long)id, (long long)df, (long long)cnt);
    /* term_append re-encodes the same values: the bytes must be identical,
     * otherwise the file held non-canonical (over-long) varints */
    if (t->len != len || (len && memcmp(t->post, p, len) != 0))
        return cml_fail(CML_ERR_FORMAT, "%s: term %lld: non-canonical varints", cml_gguf_name(g),
                        (long long)id);
    return CML_OK;
}

static cml_status load_from(const cml_gguf *g, cml_bm25 **out)
{
    *out = NULL;
    const char *name = cml_gguf_name(g), *kind = NULL;
    cml_status st = cml_gguf_get_str(g, "cml.kind", &kind);
    if (st != CML_OK) return st;
    if (strcmp(kind, BM_KIND) != 0)
        return cml_fail(CML_ERR_FORMAT, "%s: cml.kind is \"%s\", expected \"%s\"", name, kind,
                        BM_KIND);
    int64_t ver;
    CML_CHECK(cml_gguf_get_i64(g, "cml.schema_version", &ver));
    if (ver > BM_SCHEMA_VERSION)
        return cml_fail(CML_ERR_VERSION,
                        "%s: BM25 schema version %lld is newer than this cml's (%d); HINT: "
                        "upgrade cml",
                        name, (long long)ver, BM_SCHEMA_VERSION);
    if (ver < 1)
        return cml_fail(CML_ERR_FORMAT, "%s: bad schema version %lld", name, (long long)ver);
    cml_bm25_params p = cml_bm25_params_default();
    int64_t v;
    CML_CHECK(cml_gguf_get_f64(g, "cml.index.k1", &p.k1));
    CML_CHECK(cml_gguf_get_f64(g, "cml.index.b", &p.b));
    CML_CHECK(cml_gguf_get_f64(g, "cml.index.delta", &p.delta));
    CML_CHECK(key_range(g, "cml.index.tok.analyzer", 0, 2, &v));
    p.tok.analyzer = (int)v;
    CML_CHECK(key_range(g, "cml.index.tok.lowercase", 0, 1, &v));
    p.tok.lowercase = (int)v;
    CML_CHECK(key_range(g, "cml.index.tok.strip_accents", 0, 2, &v));
    p.tok.strip_accents = (int)v;
    CML_CHECK(key_range(g, "cml.index.tok.stop_words", 0, 1, &v));
    p.tok.stop_words = (int)v;
    CML_CHECK(key_range(g, "cml.index.tok.ngram_min", 1, 1000, &v));
    p.tok.ngram_min = (int)v;
    CML_CHECK(key_range(g, "cml.index.tok.ngram_max", 1, 1000, &v));
    p.tok.ngram_max = (int)v;
    const char *msg = cml_bm25_params_check(&p);
    if (msg) return cml_fail(CML_ERR_FORMAT, "%s: bad BM25 parameters: %s", name, msg);
    int64_t n_docs;
    CML_CHECK(key_range(g, "cml.index.n_docs", 0, INT32_MAX - 1, &n_docs));

    const char **terms = NULL;
    int64_t nt = 0;
    const int64_t *off, *df, *labels;
    const int32_t *dlen;
    const uint8_t *post;
    int nd;
    int64_t dims[CML_GGUF_MAX_DIMS];
    int64_t *tok_sum = NULL;
    cml_bm25 *b = NULL;
    CML_CHECK(cml_gguf_get_arr_str(g, "cml.index.terms", &terms, &nt));
    CML_TRY(cml_gguf_get_tensor(g, "postings", CML_GGUF_T_I8, (const void **)&post, &nd, dims));
    if (nd != 1) {
        st = cml_fail(CML_ERR_FORMAT, "%s: tensor postings must be 1-d", name);
        goto fail;
    }
    int64_t total = dims[0];
    CML_TRY(cml_gguf_expect(g, "term_offsets", CML_GGUF_T_I64, 1, nt + 1));
    CML_TRY(cml_gguf_expect(g, "df", CML_GGUF_T_I64, 1, nt));
    CML_TRY(cml_gguf_expect(g, "doc_len", CML_GGUF_T_I32, 1, n_docs));
    CML_TRY(cml_gguf_expect(g, "labels", CML_GGUF_T_I64, 1, n_docs));
    CML_TRY(
        cml_gguf_get_tensor(g, "term_offsets", CML_GGUF_T_I64, (const void **)&off, NULL, NULL));
    CML_TRY(cml_gguf_get_tensor(g, "df", CML_GGUF_T_I64, (const void **)&df, NULL, NULL));
    CML_TRY(cml_gguf_get_tensor(g, "doc_len", CML_GGUF_T_I32, (const void **)&dlen, NULL, NULL));
    CML_TRY(cml_gguf_get_tensor(g, "labels", CML_GGUF_T_I64, (const void **)&labels, NULL, NULL));

    CML_TRY(cml_bm25_create(&p, &b));
    CML_TRY(grow_docs(b, n_docs));
    CML_TRY(grow_terms(b, nt));
    tok_sum = cml_calloc(n_docs ? (size_t)n_docs : 1, sizeof *tok_sum);
    if (!tok_sum) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n_docs; i++) {
        if (dlen[i] < 0) {
            st = cml_fail(CML_ERR_FORMAT, "%s: document %lld has a negative length", name,
                          (long long)i);
            goto fail;
        }
        b->doc_len[i] = dlen[i];
        b->labels[i] = labels[i];
        b->sum_len += dlen[i];
    }
    b->n_docs = n_docs;
    for (int64_t i = 0; i < nt; i++) {
        int64_t id;
        int added;
        CML_TRY(cml_vocab_intern(&b->vocab, terms[i], strlen(terms[i]), &id, &added));
        if (!added) {
            st = cml_fail(CML_ERR_FORMAT, "%s: term %lld (\"%s\") is repeated", name, (long long)i,
                          terms[i]);
            goto fail;
        }
        if (off[i] < 0 || off[i + 1] < off[i] || off[i + 1] > total || (i == 0 && off[0] != 0)) {
            st = cml_fail(CML_ERR_FORMAT, "%s: term_offsets[%lld] out of order or range", name,
                          (long long)i);
            goto fail;
        }
        CML_TRY(load_term(b, g, i, post + off[i], (size_t)(off[i + 1] - off[i]), df[i], tok_sum));
        b->n_post += df[i];
    }
    if ((nt > 0 ? off[nt] : 0) != total) {
        st = cml_fail(CML_ERR_FORMAT, "%s: postings hold %lld bytes, offsets cover %lld", name,
                      (long long)total, (long long)(nt > 0 ? off[nt] : 0));
        goto fail;
    }
    for (int64_t i = 0; i < n_docs; i++)
        if (tok_sum[i] != dlen[i]) {
            st = cml_fail(CML_ERR_FORMAT,
                          "%s: document %lld: length %d but its postings sum to %lld", name,
                          (long long)i, dlen[i], (long long)tok_sum[i]);
            goto fail;
        }
    *out = b;
    b = NULL;
fail:
    free(terms);
    free(tok_sum);
    cml_bm25_free(b);
    return st;
}

cml_status cml_bm25_load_mem(const void *buf, size_t len, const char *name, cml_bm25 **out)
{
    *out = NULL;
    cml_gguf *g = NULL;
    cml_alloc_limit_push(len * 16 + (1u << 20));
    cml_status st = cml_gguf_read_mem(buf, len, name, &g);
    if (st == CML_OK) st = load_from(g, out);
    cml_alloc_limit_pop();
    cml_gguf_free(g);
    return st;
}

cml_status cml_bm25_load(const char *path, cml_bm25 **out)
{
    *out = NULL;
    cml_gguf *g = NULL;
    cml_status st = cml_gguf_read_file(path, &g);
    if (st != CML_OK) return st;
    cml_alloc_limit_push(cml_gguf_size(g) * 16 + (1u << 20));
    st = load_from(g, out);
    cml_alloc_limit_pop();
    cml_gguf_free(g);
    return st;
}
