/*
 * store_sqlite.c — the SQLite backend of the document store.
 *
 * Schema (version 1, in table info under "schema_version"):
 *   documents(id INTEGER PRIMARY KEY, source, title, text)
 *   metadata(doc_id, key, value)          index on (key, value)
 *   chunks(id INTEGER PRIMARY KEY, doc_id, ord, start, end, text, vector_id)
 *   info(key PRIMARY KEY, value)
 * Statements are prepared once per handle. Filters are one SQL query with
 * an EXISTS per key=value pair, answered from the (key, value) index.
 * Writes outside begin/commit are one transaction each (SQLite's default);
 * inside, one for the batch. Thread-safety: one thread per handle.
 */
#include <sqlite3.h>
#include <string.h>

#include "core/internal.h"
#include "core/strbuf.h"
#include "rag/store_internal.h"

#define SQL_SCHEMA_VERSION "1"

typedef struct sq {
    sqlite3 *db;
    sqlite3_stmt *ins_doc, *ins_meta, *ins_chunk, *get_chunk;
    char *path;
} sq;

static cml_status sq_err(sq *s, const char *what)
{
    return cml_fail(CML_ERR_IO, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static void sq_close(void *impl)
{
    sq *s = impl;
    if (!s) return;
    sqlite3_finalize(s->ins_doc);
    sqlite3_finalize(s->ins_meta);
    sqlite3_finalize(s->ins_chunk);
    sqlite3_finalize(s->get_chunk);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static cml_status sq_exec(sq *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cml_status st = cml_fail(CML_ERR_IO, "%s: %s", s->path, msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return st;
    }
    return CML_OK;
}

static cml_status sq_get_info(void *impl, const char *key, char **value);

cml_status cml_docstore_sqlite_open(const char *path, void **impl)
{
    *impl = NULL;
    sq *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    s->path = cml_strdup(path);
    if (!s->path) {
        free(s);
        return CML_ERR_NOMEM;
    }
    cml_status st = CML_OK;
    char *ver = NULL;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        st = cml_fail(CML_ERR_IO, "%s: cannot open the document store: %s", path,
                      s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    CML_TRY(sq_exec(s, "PRAGMA foreign_keys=ON;"
                       "CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT);"
                       "CREATE TABLE IF NOT EXISTS documents(id INTEGER PRIMARY KEY, source TEXT, "
                       "title TEXT, text TEXT);"
                       "CREATE TABLE IF NOT EXISTS metadata(doc_id INTEGER NOT NULL REFERENCES "
                       "documents(id), key TEXT NOT NULL, value TEXT);"
                       "CREATE INDEX IF NOT EXISTS metadata_kv ON metadata(key, value, doc_id);"
                       "CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY, doc_id INTEGER "
                       "NOT NULL REFERENCES documents(id), ord INTEGER, start INTEGER, end "
                       "INTEGER, text TEXT, vector_id INTEGER);"
                       "CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);"
                       "INSERT OR IGNORE INTO info VALUES('schema_version', '" SQL_SCHEMA_VERSION
                       "');"));
    CML_TRY(sq_get_info(s, "schema_version", &ver));
    if (!ver || strcmp(ver, SQL_SCHEMA_VERSION) != 0) {
        st = cml_fail(CML_ERR_VERSION, "%s: document store schema version %s, this cml reads %s",
                      path, ver ? ver : "(none)", SQL_SCHEMA_VERSION);
        goto fail;
    }
    if (sqlite3_prepare_v2(s->db, "INSERT INTO documents(source, title, text) VALUES(?,?,?)", -1,
                           &s->ins_doc, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "INSERT INTO metadata(doc_id, key, value) VALUES(?,?,?)", -1,
                           &s->ins_meta, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO chunks(doc_id, ord, start, end, text, vector_id) "
                           "VALUES(?,?,?,?,?,?)",
                           -1, &s->ins_chunk, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "SELECT c.doc_id, c.vector_id, c.text, d.source, d.title FROM chunks c "
                           "JOIN documents d ON d.id = c.doc_id WHERE c.id = ?",
                           -1, &s->get_chunk, NULL) != SQLITE_OK) {
        st = sq_err(s, "prepare");
        goto fail;
    }
    free(ver);
    *impl = s;
    return CML_OK;
fail:
    free(ver);
    sq_close(s);
    return st;
}

static cml_status sq_begin(void *impl)
{
    return sq_exec(impl, "BEGIN");
}
static cml_status sq_commit(void *impl)
{
    return sq_exec(impl, "COMMIT");
}

static cml_status step_done(sq *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? CML_OK : sq_err(s, what);
}

static cml_status sq_add_doc(void *impl, const cml_doc *d, int64_t *doc_id)
{
    sq *s = impl;
    sqlite3_bind_text(s->ins_doc, 1, d->source ? d->source : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s->ins_doc, 2, d->title ? d->title : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s->ins_doc, 3, d->text ? d->text : "", -1, SQLITE_STATIC);
    CML_CHECK(step_done(s, s->ins_doc, "insert document"));
    int64_t id = sqlite3_last_insert_rowid(s->db);
    for (int64_t i = 0; i < d->n_meta; i++) {
        sqlite3_bind_int64(s->ins_meta, 1, id);
        sqlite3_bind_text(s->ins_meta, 2, d->meta[2 * i], -1, SQLITE_STATIC);
        sqlite3_bind_text(s->ins_meta, 3, d->meta[2 * i + 1], -1, SQLITE_STATIC);
        CML_CHECK(step_done(s, s->ins_meta, "insert metadata"));
    }
    if (doc_id) *doc_id = id;
    return CML_OK;
}

static cml_status sq_add_chunk(void *impl, int64_t doc_id, int64_t ord, cml_span span,
                               const char *text, int64_t vector_id, int64_t *chunk_id)
{
    sq *s = impl;
    sqlite3_bind_int64(s->ins_chunk, 1, doc_id);
    sqlite3_bind_int64(s->ins_chunk, 2, ord);
    sqlite3_bind_int64(s->ins_chunk, 3, span.start);
    sqlite3_bind_int64(s->ins_chunk, 4, span.end);
    sqlite3_bind_text(s->ins_chunk, 5, text, -1, SQLITE_STATIC);
    if (vector_id >= 0)
        sqlite3_bind_int64(s->ins_chunk, 6, vector_id);
    else
        sqlite3_bind_null(s->ins_chunk, 6);
    CML_CHECK(step_done(s, s->ins_chunk, "insert chunk"));
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (vector_id < 0) {
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE chunks SET vector_id = id WHERE id = %lld",
                 (long long)id);
        CML_CHECK(sq_exec(s, sql));
    }
    if (chunk_id) *chunk_id = id;
    return CML_OK;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return cml_strdup(t ? (const char *)t : "");
}

static cml_status sq_get_chunk(void *impl, int64_t chunk_id, cml_chunk_rec *out)
{
    sq *s = impl;
    sqlite3_bind_int64(s->get_chunk, 1, chunk_id);
    int rc = sqlite3_step(s->get_chunk);
    cml_status st = CML_OK;
    if (rc == SQLITE_ROW) {
        out->chunk_id = chunk_id;
        out->doc_id = sqlite3_column_int64(s->get_chunk, 0);
        out->vector_id = sqlite3_column_int64(s->get_chunk, 1);
        out->text = col_dup(s->get_chunk, 2);
        out->source = col_dup(s->get_chunk, 3);
        out->title = col_dup(s->get_chunk, 4);
        if (!out->text || !out->source || !out->title) {
            cml_chunk_rec_free(out);
            st = CML_ERR_NOMEM;
        }
    } else if (rc == SQLITE_DONE) {
        st = cml_fail(CML_ERR_ARG, "%s: no chunk with id %lld", s->path, (long long)chunk_id);
    } else {
        st = sq_err(s, "read chunk");
    }
    sqlite3_reset(s->get_chunk);
    sqlite3_clear_bindings(s->get_chunk);
    return st;
}

static cml_status scalar(sq *s, const char *sql, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return sq_err(s, sql);
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CML_OK : sq_err(s, sql);
}

static cml_status sq_count(void *impl, int64_t *n_docs, int64_t *n_chunks)
{
    sq *s = impl;
    int64_t a = 0, b = 0;
    CML_CHECK(scalar(s, "SELECT count(*) FROM documents", &a));
    CML_CHECK(scalar(s, "SELECT count(*) FROM chunks", &b));
    if (n_docs) *n_docs = a;
    if (n_chunks) *n_chunks = b;
    return CML_OK;
}

static cml_status sq_filter(void *impl, const char *const *kv, int64_t n_kv,
                            cml_status (*emit)(void *user, int64_t chunk_id), void *user,
                            int64_t *max_chunk_id)
{
    sq *s = impl;
    CML_CHECK(scalar(s, "SELECT coalesce(max(id), 0) FROM chunks", max_chunk_id));
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "SELECT c.id FROM chunks c WHERE 1");
    for (int64_t i = 0; i < n_kv; i++)
        cml_sb_puts(&sb, " AND EXISTS (SELECT 1 FROM metadata m WHERE m.doc_id = c.doc_id AND "
                         "m.key = ? AND m.value = ?)");
    char *sql = cml_sb_finish(&sb);
    if (!sql) return CML_ERR_NOMEM;
    sqlite3_stmt *st = NULL;
    cml_status rs = CML_OK;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rs = sq_err(s, "filter");
        goto done;
    }
    for (int64_t i = 0; i < 2 * n_kv; i++)
        sqlite3_bind_text(st, (int)i + 1, kv[i], -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && rs == CML_OK)
        rs = emit(user, sqlite3_column_int64(st, 0));
    if (rs == CML_OK && rc != SQLITE_DONE) rs = sq_err(s, "filter");
done:
    sqlite3_finalize(st);
    free(sql);
    return rs;
}

static cml_status sq_set_info(void *impl, const char *key, const char *value)
{
    sq *s = impl;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO info VALUES(?, ?)", -1, &st, NULL) !=
        SQLITE_OK)
        return sq_err(s, "info");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CML_OK : sq_err(s, "info");
}

static cml_status sq_get_info(void *impl, const char *key, char **value)
{
    sq *s = impl;
    *value = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM info WHERE key = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return sq_err(s, "info");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    cml_status r = CML_OK;
    if (rc == SQLITE_ROW) {
        if (!(*value = col_dup(st, 0))) r = CML_ERR_NOMEM;
    } else if (rc != SQLITE_DONE) {
        r = sq_err(s, "info");
    }
    sqlite3_finalize(st);
    return r;
}

const cml_docstore_ops cml_docstore_sqlite_ops = {
    "sqlite",     sq_close, sq_begin,  sq_commit,   sq_add_doc,  sq_add_chunk,
    sq_get_chunk, sq_count, sq_filter, sq_set_info, sq_get_info,
};
