/*
 * retriever.c — an index folder tying the pieces together (cml/rag.h):
 * documents are chunked into the store, chunk texts go into BM25 and, with
 * dense search, through the TF-IDF + SVD embedder into an HNSW cosine
 * index; queries run BM25, dense or both fused (RRF or weighted).
 *
 * Files: DIR/docs.sqlite, DIR/bm25.gguf, DIR/embedder.gguf, DIR/hnsw.gguf.
 * Build settings live in the store's info table (retriever.* keys), so an
 * add chunks new documents as the build did.
 * Complexity: build = chunking + BM25 O(tokens) + TF-IDF/SVD + HNSW build;
 * search = BM25 WAND + one embedding + one HNSW search + fusion.
 * Thread-safety: one thread per retriever (the store handle is not shared).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cml/rag.h"
#include "core/internal.h"

struct cml_retriever {
    char *dir;
    cml_retriever_opts o;
    cml_docstore *store;
    cml_bm25 *bm25;
    cml_text_embedder *emb; /* NULL without dense search */
    cml_hnsw *hnsw;
};

cml_retriever_opts cml_retriever_opts_default(void)
{
    cml_retriever_opts o;
    o.chunk = cml_chunk_opts_default();
    o.bm25 = cml_bm25_params_default();
    o.dim = 128;
    o.M = 16;
    o.ef_construction = 200;
    o.random_state = 0;
    return o;
}

cml_search_opts cml_search_opts_default(void)
{
    cml_search_opts o;
    o.mode = CML_SEARCH_HYBRID;
    o.fusion = CML_FUSE_RRF;
    o.rrf_k = 60;
    o.w_sparse = 1;
    o.w_dense = 1;
    o.depth = 100;
    o.ef = 0;
    o.filter = NULL;
    o.n_filter = 0;
    return o;
}

void cml_retriever_free(cml_retriever *r)
{
    if (!r) return;
    cml_docstore_close(r->store);
    cml_bm25_free(r->bm25);
    cml_text_embedder_free(r->emb);
    cml_hnsw_free(r->hnsw);
    free(r->dir);
    free(r);
}

cml_docstore *cml_retriever_store(cml_retriever *r)
{
    return r->store;
}
const cml_bm25 *cml_retriever_bm25(const cml_retriever *r)
{
    return r->bm25;
}
const cml_hnsw *cml_retriever_hnsw(const cml_retriever *r)
{
    return r->hnsw;
}
const cml_text_embedder *cml_retriever_embedder(const cml_retriever *r)
{
    return r->emb;
}
cml_retriever_opts cml_retriever_get_opts(const cml_retriever *r)
{
    return r->o;
}

/* DIR/name into buf. */
static const char *path_in(const cml_retriever *r, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", r->dir, name);
    return buf;
}

#define PATH_MAX_LEN 4096

/* ---------------------------------------------------------------- settings */

static cml_status info_set_i64(cml_docstore *s, const char *key, int64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    return cml_docstore_set_info(s, key, b);
}

static cml_status info_get_i64(cml_docstore *s, const char *dir, const char *key, int64_t *v)
{
    char *t = NULL;
    CML_CHECK(cml_docstore_get_info(s, key, &t));
    char *end = NULL;
    long long x = t ? strtoll(t, &end, 10) : 0;
    int ok = t && end && *end == 0 && end != t;
    free(t);
    if (!ok)
        return cml_fail(CML_ERR_FORMAT, "%s/docs.sqlite: setting %s is missing or not an integer",
                        dir, key);
    *v = x;
    return CML_OK;
}

static cml_status save_settings(cml_retriever *r)
{
    cml_docstore *s = r->store;
    CML_CHECK(cml_docstore_set_info(s, "retriever.kind", "cml_retriever"));
    CML_CHECK(info_set_i64(s, "retriever.chunk.mode", r->o.chunk.mode));
    CML_CHECK(info_set_i64(s, "retriever.chunk.size", r->o.chunk.size));
    CML_CHECK(info_set_i64(s, "retriever.chunk.overlap", r->o.chunk.overlap));
    CML_CHECK(info_set_i64(s, "retriever.dim", r->emb ? cml_text_embedder_dim(r->emb) : 0));
    CML_CHECK(info_set_i64(s, "retriever.M", r->o.M));
    CML_CHECK(info_set_i64(s, "retriever.ef_construction", r->o.ef_construction));
    return info_set_i64(s, "retriever.random_state", (int64_t)r->o.random_state);
}

static cml_status load_settings(cml_retriever *r)
{
    cml_docstore *s = r->store;
    int64_t v;
    CML_CHECK(info_get_i64(s, r->dir, "retriever.chunk.mode", &v));
    r->o.chunk.mode = (int)v;
    CML_CHECK(info_get_i64(s, r->dir, "retriever.chunk.size", &r->o.chunk.size));
    CML_CHECK(info_get_i64(s, r->dir, "retriever.chunk.overlap", &r->o.chunk.overlap));
    CML_CHECK(info_get_i64(s, r->dir, "retriever.dim", &r->o.dim));
    CML_CHECK(info_get_i64(s, r->dir, "retriever.M", &r->o.M));
    CML_CHECK(info_get_i64(s, r->dir, "retriever.ef_construction", &r->o.ef_construction));
    CML_CHECK(info_get_i64(s, r->dir, "retriever.random_state", &v));
    r->o.random_state = (uint64_t)v;
    if (r->o.chunk.size != 0 && cml_chunk_opts_check(&r->o.chunk))
        return cml_fail(CML_ERR_FORMAT, "%s/docs.sqlite: bad chunk settings: %s", r->dir,
                        cml_chunk_opts_check(&r->o.chunk));
    return CML_OK;
}

/* ---------------------------------------------------------------- ingest */

typedef struct chunk_list {
    char **text; /* (n) owned */
    int64_t *id; /* (n) store chunk ids */
    int64_t n, cap;
} chunk_list;

static void chunks_free(chunk_list *c)
{
    for (int64_t i = 0; i < c->n; i++)
        free(c->text[i]);
    free(c->text);
    free(c->id);
}

static cml_status chunks_push(chunk_list *c, const char *s, size_t len, int64_t id)
{
    if (c->n == c->cap) {
        int64_t cap = c->cap ? c->cap * 2 : 256;
        char **t = cml_realloc(c->text, (size_t)cap * sizeof *t);
        if (!t) return CML_ERR_NOMEM;
        c->text = t;
        int64_t *q = cml_realloc(c->id, (size_t)cap * sizeof *q);
        if (!q) return CML_ERR_NOMEM;
        c->id = q;
        c->cap = cap;
    }
    char *d = cml_malloc(len + 1);
    if (!d) return CML_ERR_NOMEM;
    memcpy(d, s, len);
    d[len] = 0;
    c->text[c->n] = d;
    c->id[c->n++] = id;
    return CML_OK;
}

/* Stores documents and their chunks (inside the caller's transaction). */
static cml_status ingest(cml_retriever *r, const cml_corpus *docs, chunk_list *out)
{
    for (int64_t i = 0; i < docs->n; i++) {
        const cml_doc *d = &docs->docs[i];
        int64_t doc_id;
        CML_CHECK(cml_docstore_add_doc(r->store, d, &doc_id));
        size_t len = strlen(d->text);
        cml_span *sp = NULL, whole = {0, (int64_t)len};
        int64_t ns = 0;
        if (r->o.chunk.size == 0) {
            sp = &whole;
            ns = len > 0;
        } else {
            CML_CHECK(cml_chunk_text(d->text, len, &r->o.chunk, &sp, &ns));
        }
        cml_status st = CML_OK;
        for (int64_t c = 0; c < ns && st == CML_OK; c++) {
            size_t cl = (size_t)(sp[c].end - sp[c].start);
            char *t = cml_malloc(cl + 1);
            if (!t) {
                st = CML_ERR_NOMEM;
                break;
            }
            memcpy(t, d->text + sp[c].start, cl);
            t[cl] = 0;
            int64_t cid;
            st = cml_docstore_add_chunk(r->store, doc_id, c, sp[c], t, -1, &cid);
            if (st == CML_OK) st = chunks_push(out, t, cl, cid);
            free(t);
        }
        if (sp != &whole) free(sp);
        if (st != CML_OK) return st;
    }
    return CML_OK;
}

static cml_status embed_add(cml_retriever *r, const chunk_list *c)
{
    if (!r->emb || c->n == 0) return CML_OK;
    int64_t d = cml_text_embedder_dim(r->emb);
    float *Z = cml_alloc_array(c->n * d, sizeof *Z);
    if (!Z) return CML_ERR_NOMEM;
    cml_status st = cml_text_embed(r->emb, (const char *const *)c->text, c->n, Z);
    if (st == CML_OK &&
        cml_hnsw_size(r->hnsw) + cml_hnsw_n_deleted(r->hnsw) + c->n > cml_hnsw_capacity(r->hnsw))
        st = cml_hnsw_resize(r->hnsw, cml_hnsw_size(r->hnsw) + cml_hnsw_n_deleted(r->hnsw) + c->n);
    if (st == CML_OK) st = cml_hnsw_add(r->hnsw, Z, c->n, c->id);
    free(Z);
    return st;
}

static cml_status save_indexes(cml_retriever *r)
{
    char p[PATH_MAX_LEN];
    CML_CHECK(cml_bm25_save(r->bm25, path_in(r, "bm25.gguf", p, sizeof p)));
    if (r->emb) {
        CML_CHECK(cml_text_embedder_save(r->emb, path_in(r, "embedder.gguf", p, sizeof p)));
        CML_CHECK(cml_hnsw_save(r->hnsw, path_in(r, "hnsw.gguf", p, sizeof p)));
    }
    return CML_OK;
}

cml_status cml_retriever_build(const char *dir, const cml_retriever_opts *o, const cml_corpus *docs,
                               cml_retriever **out)
{
    *out = NULL;
    const char *msg = cml_bm25_params_check(&o->bm25);
    if (msg) return cml_fail(CML_ERR_ARG, "retriever: %s", msg);
    if (o->chunk.size != 0 && (msg = cml_chunk_opts_check(&o->chunk)))
        return cml_fail(CML_ERR_ARG, "retriever: %s", msg);
    if (o->dim < 0)
        return cml_fail(CML_ERR_ARG, "retriever: dim must be >= 0 (0 = no dense index)");
    if (strlen(dir) > PATH_MAX_LEN - 32) return cml_fail(CML_ERR_ARG, "retriever: path too long");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return cml_fail(CML_ERR_IO, "%s: cannot create the index folder: %s", dir, strerror(errno));
    char p[PATH_MAX_LEN];
    struct stat sb;
    snprintf(p, sizeof p, "%s/docs.sqlite", dir);
    if (stat(p, &sb) == 0)
        return cml_fail(CML_ERR_ARG, "%s already holds an index; HINT: cml index add, or remove it",
                        dir);
    cml_status st = CML_OK;
    chunk_list c = {0};
    cml_retriever *r = cml_calloc(1, sizeof *r);
    if (!r || !(r->dir = cml_strdup(dir))) {
        free(r);
        return CML_ERR_NOMEM;
    }
    r->o = *o;
    CML_TRY(cml_docstore_open(p, &r->store));
    CML_TRY(cml_docstore_begin(r->store));
    CML_TRY(ingest(r, docs, &c));
    if (c.n == 0) {
        st = cml_fail(CML_ERR_ARG, "retriever: the documents hold no text to index");
        goto fail;
    }
    CML_TRY(cml_bm25_create(&o->bm25, &r->bm25));
    CML_TRY(cml_bm25_add(r->bm25, (const char *const *)c.text, NULL, c.n, c.id));
    if (o->dim > 0) {
        if (c.n < 3) {
            st = cml_fail(CML_ERR_ARG,
                          "retriever: dense search needs >= 3 chunks, got %lld; "
                          "HINT: --dim 0 for BM25 only",
                          (long long)c.n);
            goto fail;
        }
        CML_TRY(cml_text_embedder_fit((const char *const *)c.text, c.n, o->dim, o->random_state,
                                      &r->emb));
        cml_hnsw_params hp = cml_hnsw_params_default();
        hp.dim = cml_text_embedder_dim(r->emb);
        hp.metric = CML_METRIC_COSINE;
        hp.M = o->M;
        hp.ef_construction = o->ef_construction;
        hp.max_elements = c.n;
        hp.random_state = o->random_state;
        CML_TRY(cml_hnsw_create(&hp, &r->hnsw));
        CML_TRY(embed_add(r, &c));
    }
    CML_TRY(save_settings(r));
    CML_TRY(save_indexes(r));
    CML_TRY(cml_docstore_commit(r->store));
    chunks_free(&c);
    *out = r;
    return CML_OK;
fail:
    chunks_free(&c);
    cml_retriever_free(r);
    return st;
}

cml_status cml_retriever_open(const char *dir, cml_retriever **out)
{
    *out = NULL;
    if (strlen(dir) > PATH_MAX_LEN - 32) return cml_fail(CML_ERR_ARG, "retriever: path too long");
    char p[PATH_MAX_LEN];
    struct stat sb;
    snprintf(p, sizeof p, "%s/docs.sqlite", dir);
    if (stat(p, &sb) != 0)
        return cml_fail(CML_ERR_IO,
                        "%s: no index here (docs.sqlite missing); HINT: cml index build", dir);
    cml_status st = CML_OK;
    cml_retriever *r = cml_calloc(1, sizeof *r);
    if (!r || !(r->dir = cml_strdup(dir))) {
        free(r);
        return CML_ERR_NOMEM;
    }
    r->o = cml_retriever_opts_default();
    CML_TRY(cml_docstore_open(p, &r->store));
    CML_TRY(load_settings(r));
    CML_TRY(cml_bm25_load(path_in(r, "bm25.gguf", p, sizeof p), &r->bm25));
    r->o.bm25 = cml_bm25_get_params(r->bm25);
    if (r->o.dim > 0) {
        CML_TRY(cml_text_embedder_load(path_in(r, "embedder.gguf", p, sizeof p), &r->emb));
        CML_TRY(cml_hnsw_open(path_in(r, "hnsw.gguf", p, sizeof p), &r->hnsw));
        if (cml_hnsw_dim(r->hnsw) != cml_text_embedder_dim(r->emb)) {
            st = cml_fail(CML_ERR_FORMAT, "%s: hnsw.gguf has dimension %lld, the embedder %lld",
                          dir, (long long)cml_hnsw_dim(r->hnsw),
                          (long long)cml_text_embedder_dim(r->emb));
            goto fail;
        }
    }
    *out = r;
    return CML_OK;
fail:
    cml_retriever_free(r);
    return st;
}

cml_status cml_retriever_add(cml_retriever *r, const cml_corpus *docs)
{
    chunk_list c = {0};
    cml_status st = CML_OK;
    CML_TRY(cml_docstore_begin(r->store));
    CML_TRY(ingest(r, docs, &c));
    CML_TRY(cml_bm25_add(r->bm25, (const char *const *)c.text, NULL, c.n, c.id));
    CML_TRY(embed_add(r, &c));
    CML_TRY(save_indexes(r));
    CML_TRY(cml_docstore_commit(r->store));
fail:
    /* on failure the store's transaction is still open: it rolls back when
     * the handle closes, and the index files were not replaced unless the
     * failure came after their renames (see the header) */
    chunks_free(&c);
    return st;
}

/* ---------------------------------------------------------------- search */

cml_status cml_retriever_search(cml_retriever *r, const char *query, int64_t k,
                                const cml_search_opts *o, int64_t *chunk_ids, double *scores,
                                int64_t *n_found)
{
    if (k < 1) return cml_fail(CML_ERR_ARG, "search: k must be >= 1, got %lld", (long long)k);
    int mode = o->mode;
    if (mode < CML_SEARCH_BM25 || mode > CML_SEARCH_HYBRID)
        return cml_fail(CML_ERR_ARG, "search: mode must be bm25, dense or hybrid");
    if (mode != CML_SEARCH_BM25 && !r->emb) {
        if (mode == CML_SEARCH_DENSE)
            return cml_fail(CML_ERR_ARG,
                            "search: %s has no dense index; HINT: --mode bm25, or "
                            "rebuild with --dim > 0",
                            r->dir);
        mode = CML_SEARCH_BM25;
    }
    cml_status st = CML_OK;
    uint64_t *bm = NULL;
    int64_t bits = 0;
    cml_hnsw_filter filt = {NULL, NULL, NULL, 0};
    const cml_hnsw_filter *f = NULL;
    if (o->n_filter > 0) {
        CML_CHECK(cml_docstore_filter(r->store, o->filter, o->n_filter, &bm, &bits, NULL));
        filt.bitmap = bm;
        filt.bitmap_bits = bits;
        f = &filt;
    }
    int64_t depth = mode == CML_SEARCH_HYBRID ? CML_MAX(o->depth, k) : k;
    int64_t *lb = cml_alloc_array(depth, sizeof *lb), *ld = cml_alloc_array(depth, sizeof *ld);
    double *sb = cml_alloc_array(depth, sizeof *sb), *sd = cml_alloc_array(depth, sizeof *sd);
    float *dd = cml_alloc_array(depth, sizeof *dd), *q = NULL;
    int64_t nb = 0, nd = 0;
    if (!lb || !ld || !sb || !sd || !dd) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (mode != CML_SEARCH_DENSE)
        CML_TRY(cml_bm25_search(r->bm25, query, strlen(query), depth, f, lb, sb, &nb));
    if (mode != CML_SEARCH_BM25) {
        int64_t d = cml_text_embedder_dim(r->emb);
        q = cml_alloc_array(d, sizeof *q);
        if (!q) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(cml_text_embed(r->emb, &query, 1, q));
        cml_hnsw_query hq = cml_hnsw_query_default();
        hq.ef = o->ef > 0 ? o->ef : CML_MAX(depth, 64);
        hq.filter = f;
        CML_TRY(cml_hnsw_search(r->hnsw, q, depth, &hq, ld, dd, &nd));
        for (int64_t i = 0; i < depth; i++)
            sd[i] = i < nd ? 1.0 - (double)dd[i] : 0.0; /* cosine similarity */
    }
    if (mode == CML_SEARCH_BM25 || mode == CML_SEARCH_DENSE) {
        const int64_t *l = mode == CML_SEARCH_BM25 ? lb : ld;
        const double *s = mode == CML_SEARCH_BM25 ? sb : sd;
        for (int64_t i = 0; i < k; i++) {
            chunk_ids[i] = l[i];
            scores[i] = s[i];
        }
        if (n_found) *n_found = mode == CML_SEARCH_BM25 ? nb : nd;
    } else {
        cml_ranked_list L[2] = {{lb, sb, nb, 0, o->w_sparse}, {ld, sd, nd, 0, o->w_dense}};
        CML_TRY(cml_fuse((cml_fusion)o->fusion, L, 2, o->rrf_k, k, chunk_ids, scores, n_found));
    }
fail:
    free(bm);
    free(lb);
    free(ld);
    free(sb);
    free(sd);
    free(dd);
    free(q);
    return st;
}
