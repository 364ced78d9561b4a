/*
 * store_internal.h — the document store's backend interface: cml_docstore
 * (store.c) checks arguments and dispatches to one of these tables. The
 * SQLite backend (store_sqlite.c) is the embedded default; a PostgreSQL
 * backend would be one more table with the same entries and a URI scheme
 * in store.c.
 */
#ifndef CML_RAG_STORE_INTERNAL_H
#define CML_RAG_STORE_INTERNAL_H

#include "cml/rag.h"

typedef struct cml_docstore_ops {
    const char *name;
    void (*close)(void *impl);
    cml_status (*begin)(void *impl);
    cml_status (*commit)(void *impl);
    cml_status (*add_doc)(void *impl, const cml_doc *d, int64_t *doc_id);
    cml_status (*add_chunk)(void *impl, int64_t doc_id, int64_t ord, cml_span span,
                            const char *text, int64_t vector_id, int64_t *chunk_id);
    cml_status (*get_chunk)(void *impl, int64_t chunk_id, cml_chunk_rec *out);
    cml_status (*count)(void *impl, int64_t *n_docs, int64_t *n_chunks);
    /* calls emit(user, chunk_id) for every chunk matching all pairs; also
     * reports the largest chunk id */
    cml_status (*filter)(void *impl, const char *const *kv, int64_t n_kv,
                         cml_status (*emit)(void *user, int64_t chunk_id), void *user,
                         int64_t *max_chunk_id);
    cml_status (*set_info)(void *impl, const char *key, const char *value);
    cml_status (*get_info)(void *impl, const char *key, char **value);
} cml_docstore_ops;

/* Opens (creating when absent) a SQLite store at path. */
cml_status cml_docstore_sqlite_open(const char *path, void **impl);
extern const cml_docstore_ops cml_docstore_sqlite_ops;

#endif
