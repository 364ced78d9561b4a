/*
 * store.c — the tracking store: opening (schema, WAL), runs buffered in
 * memory and written in one transaction, and reading them back.
 *
 * Why a run is buffered and written whole at the end: "a run is either
 * recorded or not, never half" must hold when the writer is killed with
 * SIGKILL at any instruction. SQLite's atomic commit gives exactly that for
 * one transaction (in WAL mode a commit is the append of a frame with the
 * commit flag; a torn tail is ignored on recovery), so the whole run —
 * run row, params, per-step and final metrics — goes into one. MLflow
 * instead writes as it goes and leaves RUNNING rows behind a killed client.
 *
 * Concurrency: every write is BEGIN IMMEDIATE (takes the write lock up
 * front, so a transaction never fails half-way on a lock upgrade: no
 * SQLITE_BUSY_SNAPSHOT), waits through sqlite3_busy_timeout, and the whole
 * transaction is retried with a jittered sleep until the store's timeout.
 * Run ids are INTEGER PRIMARY KEY AUTOINCREMENT: assigned inside the
 * transaction, so unique across processes and never reused.
 *
 * Complexity: one INSERT per param/metric inside a single transaction
 * (about a microsecond each); reads are indexed by run id.
 * Thread-safety: one handle per thread (the connection is opened with
 * SQLITE_OPEN_NOMUTEX).
 */
/* realpath() */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "track/track_internal.h"

#define STORE_APP_ID  0x636d6c74 /* "cmlt": marks a file as a cml store */
#define STORE_VERSION 1          /* PRAGMA user_version of this schema */

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS experiments("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " experiment_id INTEGER NOT NULL REFERENCES experiments(id),"
    " status TEXT NOT NULL CHECK(status IN ('finished','failed','killed')),"
    " start_time REAL NOT NULL, end_time REAL NOT NULL, duration REAL NOT NULL,"
    " cml_version TEXT NOT NULL,"
    " data_path TEXT, data_sha256 TEXT, model_path TEXT, model_sha256 TEXT,"
    " n_params INTEGER NOT NULL, n_metrics INTEGER NOT NULL, n_step_metrics INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs(experiment_id, id);"
    "CREATE TABLE IF NOT EXISTS params("
    " run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS metrics("
    " run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL, value REAL,"
    " PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS step_metrics("
    " run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL, step INTEGER NOT NULL,"
    " value REAL, PRIMARY KEY(run_id, key, step)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS registered_models("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS model_versions("
    " model_id INTEGER NOT NULL REFERENCES registered_models(id), version INTEGER NOT NULL,"
    " run_id INTEGER NOT NULL REFERENCES runs(id), path TEXT NOT NULL, sha256 TEXT NOT NULL,"
    " created REAL NOT NULL, PRIMARY KEY(model_id, version)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS aliases("
    " model_id INTEGER NOT NULL REFERENCES registered_models(id), alias TEXT NOT NULL,"
    " version INTEGER NOT NULL, PRIMARY KEY(model_id, alias),"
    " FOREIGN KEY(model_id, version) REFERENCES model_versions(model_id, version)) WITHOUT ROWID;";

/* ---------------------------------------------------------------- helpers */

double track_wall_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

cml_status track_sql_fail(cml_track *t, int rc, const char *what)
{
    int prim = rc & 0xff;
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return cml_fail(CML_ERR_IO,
                        "%s: %s: the store is locked by another writer (waited %.0f s). HINT: "
                        "another process holds a write transaction on it; retry, or raise the "
                        "timeout",
                        t->path, what, t->timeout);
    if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT)
        return cml_fail(CML_ERR_FORMAT, "%s: %s: not a cml store, or corrupt (%s)", t->path, what,
                        sqlite3_errstr(rc));
    if (prim == SQLITE_NOMEM)
        return cml_fail(CML_ERR_NOMEM, "%s: %s: out of memory", t->path, what);
    return cml_fail(CML_ERR_IO, "%s: %s: %s", t->path, what,
                    t->db ? sqlite3_errmsg(t->db) : sqlite3_errstr(rc));
}

int track_prepare(cml_track *t, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(t->db, sql, -1, st, NULL);
}

char *track_col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return cml_strdup(s ? (const char *)s : "");
}

static int is_busy(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* A few milliseconds, different in each process, so writers that collided
 * do not collide again in lock-step. */
static void backoff(int attempt)
{
    cml_rng rng;
    cml_rng_seed(&rng, (uint64_t)getpid() * 0x9e3779b97f4a7c15ull + (uint64_t)attempt);
    long us = 1000 + (long)cml_rng_below(&rng, 1000u * (uint64_t)(attempt < 8 ? attempt + 1 : 8));
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

cml_status track_tx(cml_track *t, const char *what, track_tx_fn body, void *ctx)
{
    double deadline = cml_now() + t->timeout;
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            rc = body(t, ctx);
            if (rc == SQLITE_DONE) rc = SQLITE_OK;
            if (rc == SQLITE_OK) rc = sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL);
            if (rc == SQLITE_OK) return CML_OK;
            /* the message first: ROLLBACK resets sqlite3_errmsg */
            cml_status st = rc < 0 ? (cml_status)(-rc) : track_sql_fail(t, rc, what);
            sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
            if (rc < 0 || !is_busy(rc) || cml_now() >= deadline) return st;
        } else if (!is_busy(rc) || cml_now() >= deadline) {
            return track_sql_fail(t, rc, what);
        }
        backoff(attempt);
    }
}

/* ---------------------------------------------------------------- open */

static int schema_body(cml_track *t, void *ctx)
{
    int *version = ctx;
    sqlite3_stmt *st;
    int rc = track_prepare(t, "PRAGMA user_version", &st);
    if (rc) return rc;
    rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return rc;
    if (*version > STORE_VERSION) return SQLITE_OK; /* caller reports */
    if ((rc = sqlite3_exec(t->db, schema_sql, NULL, NULL, NULL))) return rc;
    if (*version == 0) {
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d; PRAGMA application_id=%d", STORE_VERSION,
                 STORE_APP_ID);
        if ((rc = sqlite3_exec(t->db, sql, NULL, NULL, NULL))) return rc;
    }
    return SQLITE_OK;
}

/* An existing database that is not ours: refuse rather than add tables. */
static cml_status check_app_id(cml_track *t)
{
    sqlite3_stmt *st;
    int rc = track_prepare(t,
                           "SELECT (SELECT application_id FROM pragma_application_id),"
                           " (SELECT count(*) FROM sqlite_master)",
                           &st);
    if (rc) return track_sql_fail(t, rc, "open");
    rc = sqlite3_step(st);
    int app = sqlite3_column_int(st, 0), n_objects = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return track_sql_fail(t, rc, "open");
    if (n_objects > 0 && app != STORE_APP_ID)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: an SQLite database, but not a cml store. HINT: pass another --store",
                        t->path);
    return CML_OK;
}

cml_status cml_track_open(const char *path, cml_track **out)
{
    *out = NULL;
    if (!path || !path[0]) return cml_fail(CML_ERR_ARG, "store path is empty");
    cml_track *t = cml_calloc(1, sizeof *t);
    if (!t) return CML_ERR_NOMEM;
    cml_status st = CML_ERR_NOMEM;
    t->timeout = 30;
    if (!(t->path = cml_strdup(path))) goto fail;
    const char *slash = strrchr(path, '/');
    t->dir = slash ? cml_malloc((size_t)(slash - path) + 2) : cml_strdup(".");
    if (!t->dir) goto fail;
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        memcpy(t->dir, path, n);
        t->dir[n] = 0;
    }
    int rc = sqlite3_open_v2(
        path, &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        st = cml_fail(CML_ERR_IO, "%s: cannot open the store: %s", path,
                      t->db ? sqlite3_errmsg(t->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(t->db, (int)(t->timeout * 1000));
    if ((st = check_app_id(t))) goto fail;
    /* WAL: readers never block the writer nor see half a commit. The mode is
     * stored in the file; switching needs a moment of exclusive access, so
     * it is retried like any write. FULL sync: a committed run survives a
     * power cut, not only a killed process (one fsync per run). */
    double deadline = cml_now() + t->timeout;
    for (int attempt = 0;; attempt++) {
        rc = sqlite3_exec(t->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK || !is_busy(rc) || cml_now() >= deadline) break;
        backoff(attempt);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(t->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", NULL, NULL,
                          NULL);
    if (rc != SQLITE_OK) {
        st = track_sql_fail(t, rc, "open");
        goto fail;
    }
    /* an existing store needs no write lock to open: readers and writers
     * then wait only for what they do, under their own timeout */
    int version = 0;
    sqlite3_stmt *q;
    if ((rc = track_prepare(t, "PRAGMA user_version", &q)) == SQLITE_OK) {
        rc = sqlite3_step(q);
        version = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
        sqlite3_finalize(q);
    }
    if (rc != SQLITE_ROW) {
        st = track_sql_fail(t, rc, "open");
        goto fail;
    }
    if (version < STORE_VERSION && (st = track_tx(t, "create tables", schema_body, &version)))
        goto fail;
    if (version > STORE_VERSION) {
        st = cml_fail(CML_ERR_VERSION,
                      "%s: store schema version %d is newer than this cml's (%d). HINT: use a "
                      "newer cml",
                      path, version, STORE_VERSION);
        goto fail;
    }
    *out = t;
    return CML_OK;
fail:
    cml_track_close(t);
    return st;
}

void cml_track_set_timeout(cml_track *t, double seconds)
{
    if (!t) return;
    t->timeout = seconds > 0 ? seconds : 0;
    sqlite3_busy_timeout(t->db, (int)(t->timeout * 1000));
}

void cml_track_close(cml_track *t)
{
    if (!t) return;
    sqlite3_close(t->db);
    free(t->path);
    free(t->dir);
    free(t);
}

/* ---------------------------------------------------------------- runs */

typedef struct run_entry {
    char *key;
    char *text; /* params */
    int64_t step;
    double value;
} run_entry;

typedef struct entry_list {
    run_entry *v;
    int64_t n, cap;
} entry_list;

struct cml_track_run {
    cml_track *t;
    char *experiment;
    double start_wall, start_mono;
    entry_list params, finals, steps;
    char *data_path, *model_path;
    char data_sha[65], model_sha[65];
    cml_status error; /* first failure inside the metric listener */
};

static void entries_free(entry_list *l)
{
    for (int64_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].text);
    }
    free(l->v);
}

static cml_status entry_add(entry_list *l, const char *key, const char *text, int64_t step,
                            double value)
{
    if (!key || !key[0]) return cml_fail(CML_ERR_ARG, "metric or param key is empty");
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 16;
        run_entry *v = cml_realloc(l->v, sizeof *v * (size_t)cap);
        if (!v) return CML_ERR_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    run_entry *e = &l->v[l->n];
    e->key = cml_strdup(key);
    e->text = text ? cml_strdup(text) : NULL;
    if (!e->key || (text && !e->text)) {
        free(e->key);
        free(e->text);
        return CML_ERR_NOMEM;
    }
    e->step = step;
    e->value = value;
    l->n++;
    return CML_OK;
}

cml_status cml_track_run_start(cml_track *t, const char *experiment, cml_track_run **out)
{
    *out = NULL;
    if (!t) return cml_fail(CML_ERR_ARG, "store is NULL");
    cml_track_run *r = cml_calloc(1, sizeof *r);
    if (!r) return CML_ERR_NOMEM;
    r->t = t;
    r->experiment = cml_strdup(experiment && experiment[0] ? experiment : "default");
    if (!r->experiment) {
        free(r);
        return CML_ERR_NOMEM;
    }
    r->start_wall = track_wall_time();
    r->start_mono = cml_now();
    *out = r;
    return CML_OK;
}

cml_status cml_track_log_param(cml_track_run *r, const char *key, const char *value)
{
    return entry_add(&r->params, key, value ? value : "", 0, 0);
}

cml_status cml_track_log_metric(cml_track_run *r, const char *key, int64_t step, double value)
{
    return entry_add(&r->steps, key, NULL, step, value);
}

cml_status cml_track_log_final(cml_track_run *r, const char *key, double value)
{
    return entry_add(&r->finals, key, NULL, 0, value);
}

/* Keeps the absolute path: `cml registry register` and `cml runs show` may
 * run from another directory than the fit. */
static cml_status log_file(const char *path, char **keep, char sha[65])
{
    cml_status st = cml_sha256_file(path, sha);
    if (st) return st;
    char *abs = realpath(path, NULL);
    char *p = cml_strdup(abs ? abs : path);
    free(abs);
    if (!p) return CML_ERR_NOMEM;
    free(*keep);
    *keep = p;
    return CML_OK;
}

cml_status cml_track_log_data(cml_track_run *r, const char *path)
{
    return log_file(path, &r->data_path, r->data_sha);
}

cml_status cml_track_log_model(cml_track_run *r, const char *path)
{
    return log_file(path, &r->model_path, r->model_sha);
}

void cml_track_metric_listener(void *run, const char *name, int64_t step, double value)
{
    cml_track_run *r = run;
    cml_status st = cml_track_log_metric(r, name, step, value);
    if (st && !r->error) r->error = st;
}

void cml_track_run_discard(cml_track_run *r)
{
    if (!r) return;
    entries_free(&r->params);
    entries_free(&r->finals);
    entries_free(&r->steps);
    free(r->experiment);
    free(r->data_path);
    free(r->model_path);
    free(r);
}

typedef struct end_ctx {
    cml_track_run *r;
    const char *status;
    double end_wall, duration;
    int64_t id;
} end_ctx;

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Inserts every entry of l with `sql` (run_id, key, value[, step]). */
static int insert_entries(cml_track *t, const char *sql, int64_t id, const entry_list *l,
                          int with_step)
{
    sqlite3_stmt *st;
    int rc = track_prepare(t, sql, &st);
    if (rc) return rc;
    for (int64_t i = 0; i < l->n && rc == SQLITE_OK; i++) {
        const run_entry *e = &l->v[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, e->key, -1, SQLITE_STATIC);
        if (e->text)
            sqlite3_bind_text(st, 3, e->text, -1, SQLITE_STATIC);
        else if (e->value == e->value)
            sqlite3_bind_double(st, 3, e->value);
        else
            sqlite3_bind_null(st, 3); /* SQLite has no NaN: NULL reads back as NaN */
        if (with_step) sqlite3_bind_int64(st, 4, e->step);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

static int end_body(cml_track *t, void *vctx)
{
    end_ctx *c = vctx;
    cml_track_run *r = c->r;
    sqlite3_stmt *st;
    int rc =
        track_prepare(t, "INSERT OR IGNORE INTO experiments(name, created) VALUES(?1, ?2)", &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, r->experiment, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, c->end_wall);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return rc;

    rc = track_prepare(t,
                       "INSERT INTO runs(experiment_id, status, start_time, end_time, duration,"
                       " cml_version, data_path, data_sha256, model_path, model_sha256, n_params,"
                       " n_metrics, n_step_metrics)"
                       " SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, 0, 0"
                       " FROM experiments WHERE name = ?1",
                       &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, r->experiment, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->status, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, r->start_wall);
    sqlite3_bind_double(st, 4, c->end_wall);
    sqlite3_bind_double(st, 5, c->duration);
    sqlite3_bind_text(st, 6, CML_VERSION_STRING, -1, SQLITE_STATIC);
    bind_text_or_null(st, 7, r->data_path);
    bind_text_or_null(st, 8, r->data_path ? r->data_sha : NULL);
    bind_text_or_null(st, 9, r->model_path);
    bind_text_or_null(st, 10, r->model_path ? r->model_sha : NULL);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return rc;
    c->id = sqlite3_last_insert_rowid(t->db);

    /* INSERT OR REPLACE: a key logged twice keeps its last value */
    if ((rc = insert_entries(t, "INSERT OR REPLACE INTO params VALUES(?1, ?2, ?3)", c->id,
                             &r->params, 0)))
        return rc;
    if ((rc = insert_entries(t, "INSERT OR REPLACE INTO metrics VALUES(?1, ?2, ?3)", c->id,
                             &r->finals, 0)))
        return rc;
    if ((rc = insert_entries(t, "INSERT OR REPLACE INTO step_metrics VALUES(?1, ?2, ?4, ?3)", c->id,
                             &r->steps, 1)))
        return rc;
    /* the counts make a half-written run detectable by a plain query */
    rc = track_prepare(t,
                       "UPDATE runs SET"
                       " n_params = (SELECT count(*) FROM params WHERE run_id = ?1),"
                       " n_metrics = (SELECT count(*) FROM metrics WHERE run_id = ?1),"
                       " n_step_metrics = (SELECT count(*) FROM step_metrics WHERE run_id = ?1)"
                       " WHERE id = ?1",
                       &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, c->id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

cml_status cml_track_run_end(cml_track_run *r, cml_run_status status, int64_t *id)
{
    if (!r) return cml_fail(CML_ERR_ARG, "run is NULL");
    static const char *const names[] = {"finished", "failed", "killed"};
    cml_status st = r->error;
    if (st) {
        cml_fail(st, "run not recorded: a metric report failed (%s)", cml_status_name(st));
    } else if ((unsigned)status > CML_RUN_KILLED) {
        st = cml_fail(CML_ERR_ARG, "run status must be finished, failed or killed, got %d",
                      (int)status);
    } else {
        end_ctx c = {r, names[status], track_wall_time(), cml_now() - r->start_mono, 0};
        st = track_tx(r->t, "record run", end_body, &c);
        if (st == CML_OK && id) *id = c.id;
    }
    cml_track_run_discard(r);
    return st;
}

/* ---------------------------------------------------------------- reading */

/* Reads (key, value) rows of one run from `sql` (?1 = run id). */
static cml_status read_kv(cml_track *t, const char *sql, int64_t id, int text, cml_track_kv **out,
                          int64_t *n)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    int rc = track_prepare(t, sql, &st);
    if (rc) return track_sql_fail(t, rc, "read run");
    sqlite3_bind_int64(st, 1, id);
    int64_t cap = 0;
    cml_status s = CML_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            cml_track_kv *v = cml_realloc(*out, sizeof *v * (size_t)cap);
            if (!v) {
                s = CML_ERR_NOMEM;
                break;
            }
            *out = v;
        }
        cml_track_kv *e = &(*out)[*n];
        memset(e, 0, sizeof *e);
        e->key = track_col_str(st, 0);
        e->value = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
        e->text = text ? track_col_str(st, 1) : NULL;
        (*n)++;
        if (!e->key || (text && !e->text)) {
            s = CML_ERR_NOMEM;
            break;
        }
    }
    if (!s && rc != SQLITE_DONE) s = track_sql_fail(t, rc, "read run");
    sqlite3_finalize(st);
    return s;
}

static void kv_free(cml_track_kv *v, int64_t n)
{
    for (int64_t i = 0; v && i < n; i++) {
        free(v[i].key);
        free(v[i].text);
    }
    free(v);
}

void cml_track_run_info_free(cml_track_run_info *r)
{
    if (!r) return;
    free(r->experiment);
    free(r->status);
    free(r->cml_version);
    free(r->data_path);
    free(r->data_sha256);
    free(r->model_path);
    free(r->model_sha256);
    kv_free(r->params, r->n_params);
    kv_free(r->metrics, r->n_metrics);
    free(r);
}

cml_status cml_track_run_get(cml_track *t, int64_t id, cml_track_run_info **out)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = track_prepare(t,
                           "SELECT e.name, r.status, r.start_time, r.end_time, r.duration,"
                           " r.cml_version, r.data_path, r.data_sha256, r.model_path,"
                           " r.model_sha256, r.n_step_metrics"
                           " FROM runs r JOIN experiments e ON e.id = r.experiment_id"
                           " WHERE r.id = ?1",
                           &st);
    if (rc) return track_sql_fail(t, rc, "read run");
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return cml_fail(CML_ERR_ARG, "no run %lld in %s. HINT: cml runs list shows the ids",
                        (long long)id, t->path);
    }
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return track_sql_fail(t, rc, "read run");
    }
    cml_status s = CML_ERR_NOMEM;
    cml_track_run_info *r = cml_calloc(1, sizeof *r);
    if (!r) goto fail;
    r->id = id;
    r->experiment = track_col_str(st, 0);
    r->status = track_col_str(st, 1);
    r->start_time = sqlite3_column_double(st, 2);
    r->end_time = sqlite3_column_double(st, 3);
    r->duration = sqlite3_column_double(st, 4);
    r->cml_version = track_col_str(st, 5);
    r->data_path = track_col_str(st, 6);
    r->data_sha256 = track_col_str(st, 7);
    r->model_path = track_col_str(st, 8);
    r->model_sha256 = track_col_str(st, 9);
    r->n_step_metrics = sqlite3_column_int64(st, 10);
    if (!r->experiment || !r->status || !r->cml_version || !r->data_path || !r->data_sha256 ||
        !r->model_path || !r->model_sha256)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    if ((s = read_kv(t, "SELECT key, value FROM params WHERE run_id = ?1 ORDER BY key", id, 1,
                     &r->params, &r->n_params)))
        goto fail;
    if ((s = read_kv(t, "SELECT key, value FROM metrics WHERE run_id = ?1 ORDER BY key", id, 0,
                     &r->metrics, &r->n_metrics)))
        goto fail;
    *out = r;
    return CML_OK;
fail:
    sqlite3_finalize(st);
    cml_track_run_info_free(r);
    return s;
}

static cml_status experiment_id(cml_track *t, const char *name, int64_t *id)
{
    sqlite3_stmt *st;
    int rc = track_prepare(t, "SELECT id FROM experiments WHERE name = ?1", &st);
    if (rc) return track_sql_fail(t, rc, "list runs");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return CML_OK;
    if (rc != SQLITE_DONE) return track_sql_fail(t, rc, "list runs");
    return cml_fail(CML_ERR_ARG, "no experiment \"%s\" in %s", name, t->path);
}

/* Collects column 0 (int64) of every row of a prepared statement. */
static cml_status collect_ids(cml_track *t, sqlite3_stmt *st, int64_t **ids, int64_t *n)
{
    int64_t cap = 0;
    int rc;
    cml_status s = CML_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *v = cml_realloc(*ids, sizeof *v * (size_t)cap);
            if (!v) {
                s = CML_ERR_NOMEM;
                break;
            }
            *ids = v;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (!s && rc != SQLITE_DONE) s = track_sql_fail(t, rc, "list runs");
    if (s) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return s;
}

cml_status cml_track_run_list(cml_track *t, const char *experiment, int64_t **ids, int64_t *n)
{
    *ids = NULL;
    *n = 0;
    int64_t exp = -1;
    cml_status s;
    if (experiment && (s = experiment_id(t, experiment, &exp))) return s;
    sqlite3_stmt *st;
    int rc =
        track_prepare(t,
                      experiment ? "SELECT id FROM runs WHERE experiment_id = ?1 ORDER BY id DESC"
                                 : "SELECT id FROM runs ORDER BY id DESC",
                      &st);
    if (rc) return track_sql_fail(t, rc, "list runs");
    if (experiment) sqlite3_bind_int64(st, 1, exp);
    s = collect_ids(t, st, ids, n);
    sqlite3_finalize(st);
    return s;
}

cml_status cml_track_metric_history(cml_track *t, int64_t id, const char *key, int64_t **steps,
                                    double **values, int64_t *n)
{
    *steps = NULL;
    *values = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = track_prepare(t,
                           "SELECT step, value FROM step_metrics WHERE run_id = ?1 AND key = ?2"
                           " ORDER BY step",
                           &st);
    if (rc) return track_sql_fail(t, rc, "read metric history");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int64_t cap = 0;
    cml_status s = CML_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *a = cml_realloc(*steps, sizeof *a * (size_t)cap);
            if (a) *steps = a;
            double *b = a ? cml_realloc(*values, sizeof *b * (size_t)cap) : NULL;
            if (!b) {
                s = CML_ERR_NOMEM;
                break;
            }
            *values = b;
        }
        (*steps)[*n] = sqlite3_column_int64(st, 0);
        (*values)[*n] =
            sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
        (*n)++;
    }
    if (!s && rc != SQLITE_DONE) s = track_sql_fail(t, rc, "read metric history");
    sqlite3_finalize(st);
    if (s) {
        free(*steps);
        free(*values);
        *steps = NULL;
        *values = NULL;
        *n = 0;
    }
    return s;
}

void cml_track_strings_free(char **s, int64_t n)
{
    for (int64_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

cml_status cml_track_metric_keys(cml_track *t, int64_t id, char ***keys, int64_t *n)
{
    *keys = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = track_prepare(
        t, "SELECT DISTINCT key FROM step_metrics WHERE run_id = ?1 ORDER BY key", &st);
    if (rc) return track_sql_fail(t, rc, "read metric keys");
    sqlite3_bind_int64(st, 1, id);
    int64_t cap = 0;
    cml_status s = CML_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            char **v = cml_realloc(*keys, sizeof *v * (size_t)cap);
            if (!v) {
                s = CML_ERR_NOMEM;
                break;
            }
            *keys = v;
        }
        if (!((*keys)[*n] = track_col_str(st, 0))) {
            s = CML_ERR_NOMEM;
            break;
        }
        (*n)++;
    }
    if (!s && rc != SQLITE_DONE) s = track_sql_fail(t, rc, "read metric keys");
    sqlite3_finalize(st);
    if (s) {
        cml_track_strings_free(*keys, *n);
        *keys = NULL;
        *n = 0;
    }
    return s;
}
