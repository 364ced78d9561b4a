/*
 * store.c — the document store's public interface (cml/rag.h): URI
 * dispatch to a backend (store_internal.h), argument checks, and the
 * filter bitmap built from the backend's matching chunk ids.
 * Thread-safety: one thread per handle.
 */
#include <string.h>

#include "core/internal.h"
#include "rag/store_internal.h"

struct cml_docstore {
    const cml_docstore_ops *ops;
    void *impl;
};

cml_status cml_docstore_open(const char *uri, cml_docstore **out)
{
    *out = NULL;
    if (!uri || !*uri) return cml_fail(CML_ERR_ARG, "docstore: empty location");
    const char *path = uri;
    if (strncmp(uri, "sqlite:", 7) == 0) {
        path = uri + 7;
    } else {
        const char *colon = strstr(uri, "://");
        if (colon)
            return cml_fail(CML_ERR_UNSUPPORTED,
                            "docstore: \"%.*s\" stores are not built into this cml; HINT: use a "
                            "file path or sqlite:PATH",
                            (int)(colon - uri), uri);
    }
    cml_docstore *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    s->ops = &cml_docstore_sqlite_ops;
    cml_status st = cml_docstore_sqlite_open(path, &s->impl);
    if (st != CML_OK) {
        free(s);
        return st;
    }
    *out = s;
    return CML_OK;
}

void cml_docstore_close(cml_docstore *s)
{
    if (!s) return;
    s->ops->close(s->impl);
    free(s);
}

cml_status cml_docstore_begin(cml_docstore *s)
{
    return s->ops->begin(s->impl);
}
cml_status cml_docstore_commit(cml_docstore *s)
{
    return s->ops->commit(s->impl);
}

cml_status cml_docstore_add_doc(cml_docstore *s, const cml_doc *d, int64_t *doc_id)
{
    if (!d) return cml_fail(CML_ERR_ARG, "docstore: document is NULL");
    return s->ops->add_doc(s->impl, d, doc_id);
}

cml_status cml_docstore_add_chunk(cml_docstore *s, int64_t doc_id, int64_t ord, cml_span span,
                                  const char *text, int64_t vector_id, int64_t *chunk_id)
{
    if (span.start < 0 || span.end < span.start)
        return cml_fail(CML_ERR_ARG, "docstore: bad chunk span [%lld, %lld)", (long long)span.start,
                        (long long)span.end);
    return s->ops->add_chunk(s->impl, doc_id, ord, span, text ? text : "", vector_id, chunk_id);
}

cml_status cml_docstore_get_chunk(cml_docstore *s, int64_t chunk_id, cml_chunk_rec *out)
{
    memset(out, 0, sizeof *out);
    return s->ops->get_chunk(s->impl, chunk_id, out);
}

void cml_chunk_rec_free(cml_chunk_rec *r)
{
    if (!r) return;
    free(r->text);
    free(r->source);
    free(r->title);
    memset(r, 0, sizeof *r);
}

cml_status cml_docstore_count(cml_docstore *s, int64_t *n_docs, int64_t *n_chunks)
{
    return s->ops->count(s->impl, n_docs, n_chunks);
}

typedef struct ids {
    int64_t *a;
    int64_t n, cap;
} ids;

static cml_status collect(void *user, int64_t id)
{
    ids *v = user;
    if (v->n == v->cap) {
        int64_t cap = v->cap ? v->cap * 2 : 256;
        int64_t *q = cml_realloc(v->a, (size_t)cap * sizeof *q);
        if (!q) return CML_ERR_NOMEM;
        v->a = q;
        v->cap = cap;
    }
    v->a[v->n++] = id;
    return CML_OK;
}

cml_status cml_docstore_filter(cml_docstore *s, const char *const *kv, int64_t n_kv,
                               uint64_t **bitmap, int64_t *bits, int64_t *n_match)
{
    *bitmap = NULL;
    *bits = 0;
    if (n_kv < 0 || (n_kv > 0 && !kv)) return cml_fail(CML_ERR_ARG, "docstore: bad filter");
    for (int64_t i = 0; i < 2 * n_kv; i++)
        if (!kv[i]) return cml_fail(CML_ERR_ARG, "docstore: filter key or value is NULL");
    ids v = {0};
    int64_t max_id = 0;
    cml_status st = s->ops->filter(s->impl, kv, n_kv, collect, &v, &max_id);
    if (st != CML_OK) {
        free(v.a);
        return st;
    }
    int64_t nb = max_id + 1;
    uint64_t *bm = cml_calloc((size_t)((nb + 63) / 64 ? (nb + 63) / 64 : 1), sizeof *bm);
    if (!bm) {
        free(v.a);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < v.n; i++)
        if (v.a[i] >= 0 && v.a[i] < nb) bm[v.a[i] / 64] |= 1ULL << (v.a[i] % 64);
    if (n_match) *n_match = v.n;
    free(v.a);
    *bitmap = bm;
    *bits = nb;
    return CML_OK;
}

cml_status cml_docstore_set_info(cml_docstore *s, const char *key, const char *value)
{
    return s->ops->set_info(s->impl, key, value);
}

cml_status cml_docstore_get_info(cml_docstore *s, const char *key, char **value)
{
    *value = NULL;
    return s->ops->get_info(s->impl, key, value);
}
