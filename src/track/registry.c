/*
 * registry.c — the model registry (MLflow's registered models, versions and
 * aliases) in the tracking store.
 *
 * A version is a run's model file, frozen: registering checks that the
 * file still has the sha256 the run recorded (a later `cml fit --model`
 * to the same path would otherwise silently change what "iris@champion"
 * means) and copies it to <store>-artifacts/<name>/v<N>.gguf, written to a
 * temporary name and renamed into place, inside the transaction that
 * allocates N, so two processes registering at once get distinct numbers
 * and complete files. The copy's path is stored relative to the store's
 * directory, so a store moved with its artifacts keeps working.
 *
 * Thread-safety: as the handle (one thread at a time).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "track/track_internal.h"

#define NAME_MAX_LEN 64

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* Names become directory names: no "/", and no leading "." or "-". */
static cml_status check_name(const char *what, const char *s, int alias)
{
    size_t n = s ? strlen(s) : 0;
    int ok = n >= 1 && n <= NAME_MAX_LEN && s[0] != '.' && s[0] != '-';
    int digits = 1;
    for (size_t i = 0; ok && i < n; i++) {
        ok = name_char(s[i]);
        if (s[i] < '0' || s[i] > '9') digits = 0;
    }
    if (ok && alias && (digits || (s[0] >= '0' && s[0] <= '9'))) ok = 0;
    if (ok) return CML_OK;
    return cml_fail(CML_ERR_ARG,
                    "%s \"%s\" is invalid: use 1 to %d of A-Z a-z 0-9 _ . -, not starting "
                    "with . or -%s",
                    what, s ? s : "", NAME_MAX_LEN,
                    alias ? ", and starting with a letter or _ (name@3 means version 3)" : "");
}

/* Comma-separated values of column 0 of sql (?1 bound to arg if non-NULL,
 * ?2 to num) into buf, for error messages that list what exists. */
static void list_into(cml_track *t, const char *sql, const char *arg, int64_t num, char *buf,
                      size_t len)
{
    buf[0] = 0;
    sqlite3_stmt *st;
    if (track_prepare(t, sql, &st)) return;
    if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, num);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", used ? ", " : "", v ? (const char *)v : "");
    }
    sqlite3_finalize(st);
    if (!buf[0]) snprintf(buf, len, "none");
}

/* Id of a registered model, or a CML_ERR_ARG naming the models there are. */
static cml_status model_id(cml_track *t, const char *name, int64_t *id)
{
    sqlite3_stmt *st;
    int rc = track_prepare(t, "SELECT id FROM registered_models WHERE name = ?1", &st);
    if (rc) return track_sql_fail(t, rc, "registry");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return CML_OK;
    if (rc != SQLITE_DONE) return track_sql_fail(t, rc, "registry");
    char names[512];
    list_into(t, "SELECT name FROM registered_models WHERE ?2 = ?2 ORDER BY name", NULL, 0, names,
              sizeof names);
    return cml_fail(CML_ERR_ARG,
                    "no registered model \"%s\" in %s (models: %s). HINT: cml registry register "
                    "NAME RUN_ID",
                    name, t->path, names);
}

static cml_status version_exists(cml_track *t, const char *name, int64_t mid, int version)
{
    sqlite3_stmt *st;
    int rc =
        track_prepare(t, "SELECT 1 FROM model_versions WHERE model_id = ?1 AND version = ?2", &st);
    if (rc) return track_sql_fail(t, rc, "registry");
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_int(st, 2, version);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return CML_OK;
    if (rc != SQLITE_DONE) return track_sql_fail(t, rc, "registry");
    char versions[512];
    list_into(t,
              "SELECT version FROM model_versions v JOIN registered_models m ON m.id = v.model_id"
              " WHERE m.name = ?1 AND ?2 = ?2 ORDER BY version",
              name, 0, versions, sizeof versions);
    return cml_fail(CML_ERR_ARG, "model \"%s\" has no version %d (versions: %s)", name, version,
                    versions);
}

/* ---------------------------------------------------------------- register */

typedef struct reg_ctx {
    const char *name;
    int64_t run_id;
    const char *src; /* the run's model file */
    const char *sha; /* its recorded sha256 */
    int version;
} reg_ctx;

static int mkdir_ok(const char *p)
{
    return mkdir(p, 0777) == 0 || errno == EEXIST;
}

/* Copies src to dst through dst.tmp.<pid> and a rename, checking the bytes
 * copied have the expected sha256. */
static cml_status copy_file(const char *src, const char *dst, const char *sha)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid());
    FILE *in = fopen(src, "rb");
    if (!in) return cml_fail(CML_ERR_IO, "%s: cannot open: %s", src, strerror(errno));
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fclose(in);
        return cml_fail(CML_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    }
    char buf[1 << 16];
    size_t got;
    int bad = 0;
    while (!bad && (got = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, got, out) != got;
    bad = bad || ferror(in);
    fclose(in);
    if (fflush(out) || fsync(fileno(out))) bad = 1;
    if (fclose(out)) bad = 1;
    cml_status st = CML_OK;
    char got_sha[65];
    if (bad)
        st = cml_fail(CML_ERR_IO, "%s: copy failed: %s", tmp, strerror(errno));
    else if ((st = cml_sha256_file(tmp, got_sha)) == CML_OK && strcmp(got_sha, sha) != 0)
        st = cml_fail(CML_ERR_IO, "%s: changed while being copied", src);
    else if (st == CML_OK && rename(tmp, dst) != 0)
        st = cml_fail(CML_ERR_IO, "%s: cannot rename into place: %s", dst, strerror(errno));
    if (st) remove(tmp);
    return st;
}

static int register_body(cml_track *t, void *vctx)
{
    reg_ctx *c = vctx;
    sqlite3_stmt *st;
    int rc = track_prepare(
        t, "INSERT OR IGNORE INTO registered_models(name, created) VALUES(?1, ?2)", &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, track_wall_time());
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return rc;
    rc = track_prepare(t,
                       "SELECT m.id, coalesce(max(v.version), 0) + 1 FROM registered_models m"
                       " LEFT JOIN model_versions v ON v.model_id = m.id WHERE m.name = ?1",
                       &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int64_t mid = sqlite3_column_int64(st, 0);
    c->version = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return rc;

    /* <dir>/<store base>-artifacts/<name>/v<N>.gguf; stored relative to <dir> */
    const char *base = strrchr(t->path, '/');
    base = base ? base + 1 : t->path;
    char rel[512], abs_dir[4096], abs_path[4096];
    snprintf(rel, sizeof rel, "%s-artifacts", base);
    snprintf(abs_dir, sizeof abs_dir, "%s/%s", t->dir, rel);
    if (!mkdir_ok(abs_dir))
        return TRACK_CML(cml_fail(CML_ERR_IO, "%s: cannot create: %s", abs_dir, strerror(errno)));
    snprintf(rel + strlen(rel), sizeof rel - strlen(rel), "/%s", c->name);
    snprintf(abs_dir, sizeof abs_dir, "%s/%s", t->dir, rel);
    if (!mkdir_ok(abs_dir))
        return TRACK_CML(cml_fail(CML_ERR_IO, "%s: cannot create: %s", abs_dir, strerror(errno)));
    snprintf(rel + strlen(rel), sizeof rel - strlen(rel), "/v%d.gguf", c->version);
    snprintf(abs_path, sizeof abs_path, "%s/%s", t->dir, rel);
    cml_status s = copy_file(c->src, abs_path, c->sha);
    if (s) return TRACK_CML(s);

    rc = track_prepare(t, "INSERT INTO model_versions VALUES(?1, ?2, ?3, ?4, ?5, ?6)", &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_int(st, 2, c->version);
    sqlite3_bind_int64(st, 3, c->run_id);
    sqlite3_bind_text(st, 4, rel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->sha, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 6, track_wall_time());
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc;
}

cml_status cml_track_register(cml_track *t, const char *name, int64_t run_id, int *version)
{
    cml_status s = check_name("model name", name, 0);
    if (s) return s;
    cml_track_run_info *run;
    if ((s = cml_track_run_get(t, run_id, &run))) return s;
    if (!run->model_path[0]) {
        s = cml_fail(CML_ERR_ARG,
                     "run %lld recorded no model file. HINT: runs of cml fit --track record "
                     "their --model",
                     (long long)run_id);
        goto done;
    }
    char sha[65];
    if ((s = cml_sha256_file(run->model_path, sha))) {
        cml_fail_context(s, "run %lld's model file", (long long)run_id);
        goto done;
    }
    if (strcmp(sha, run->model_sha256) != 0) {
        s = cml_fail(CML_ERR_FORMAT,
                     "%s has changed since run %lld recorded it (sha256 %.12s..., now %.12s...). "
                     "HINT: a later fit wrote to the same --model path; register that run, or "
                     "refit",
                     run->model_path, (long long)run_id, run->model_sha256, sha);
        goto done;
    }
    reg_ctx c = {name, run_id, run->model_path, run->model_sha256, 0};
    if ((s = track_tx(t, "register model", register_body, &c)) == CML_OK && version)
        *version = c.version;
done:
    cml_track_run_info_free(run);
    return s;
}

/* ---------------------------------------------------------------- aliases */

typedef struct alias_ctx {
    const char *name, *alias;
    int version; /* 0: delete */
} alias_ctx;

static int alias_body(cml_track *t, void *vctx)
{
    alias_ctx *c = vctx;
    int64_t mid;
    cml_status s = model_id(t, c->name, &mid);
    if (!s && c->version) s = version_exists(t, c->name, mid, c->version);
    if (s) return TRACK_CML(s);
    sqlite3_stmt *st;
    int rc = track_prepare(t,
                           c->version ? "INSERT OR REPLACE INTO aliases VALUES(?1, ?2, ?3)"
                                      : "DELETE FROM aliases WHERE model_id = ?1 AND alias = ?2",
                           &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_text(st, 2, c->alias, -1, SQLITE_STATIC);
    if (c->version) sqlite3_bind_int(st, 3, c->version);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return rc;
    if (!c->version && sqlite3_changes(t->db) == 0)
        return TRACK_CML(
            cml_fail(CML_ERR_ARG, "model \"%s\" has no alias \"%s\"", c->name, c->alias));
    return SQLITE_OK;
}

cml_status cml_track_set_alias(cml_track *t, const char *name, const char *alias, int version)
{
    cml_status s = check_name("model name", name, 0);
    if (!s) s = check_name("alias", alias, 1);
    if (s) return s;
    if (version < 1) return cml_fail(CML_ERR_ARG, "version must be >= 1, got %d", version);
    alias_ctx c = {name, alias, version};
    return track_tx(t, "set alias", alias_body, &c);
}

cml_status cml_track_delete_alias(cml_track *t, const char *name, const char *alias)
{
    cml_status s = check_name("model name", name, 0);
    if (!s) s = check_name("alias", alias, 1);
    if (s) return s;
    alias_ctx c = {name, alias, 0};
    return track_tx(t, "delete alias", alias_body, &c);
}

/* ---------------------------------------------------------------- reading */

void cml_model_versions_free(cml_model_version *v, int64_t n)
{
    for (int64_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].path);
        free(v[i].sha256);
        free(v[i].aliases);
    }
    free(v);
}

void cml_model_version_free(cml_model_version *v)
{
    cml_model_versions_free(v, v ? 1 : 0);
}

/* Versions matching name (NULL: all) and version (0: all, -1: the latest
 * of name). Paths come back joined to the store's directory. */
static cml_status query_versions(cml_track *t, const char *name, int version,
                                 cml_model_version **out, int64_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = track_prepare(
        t,
        "SELECT m.name, v.version, v.run_id, v.path, v.sha256, v.created,"
        " coalesce((SELECT group_concat(alias, ',') FROM (SELECT alias FROM aliases a"
        "  WHERE a.model_id = v.model_id AND a.version = v.version ORDER BY alias)), '')"
        " FROM model_versions v JOIN registered_models m ON m.id = v.model_id"
        " WHERE (?1 IS NULL OR m.name = ?1)"
        "  AND (?2 = 0 OR v.version = ?2 OR (?2 = -1 AND v.version ="
        "   (SELECT max(version) FROM model_versions WHERE model_id = v.model_id)))"
        " ORDER BY m.name, v.version",
        &st);
    if (rc) return track_sql_fail(t, rc, "registry");
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_int(st, 2, version);
    int64_t cap = 0;
    cml_status s = CML_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            cml_model_version *v = cml_realloc(*out, sizeof *v * (size_t)cap);
            if (!v) {
                s = CML_ERR_NOMEM;
                break;
            }
            *out = v;
        }
        cml_model_version *v = &(*out)[(*n)++];
        memset(v, 0, sizeof *v);
        v->name = track_col_str(st, 0);
        v->version = sqlite3_column_int(st, 1);
        v->run_id = sqlite3_column_int64(st, 2);
        const unsigned char *rel = sqlite3_column_text(st, 3);
        size_t len = strlen(t->dir) + strlen((const char *)rel) + 2;
        if ((v->path = cml_malloc(len)))
            snprintf(v->path, len, "%s%s%s", rel[0] == '/' ? "" : t->dir, rel[0] == '/' ? "" : "/",
                     (const char *)rel);
        v->sha256 = track_col_str(st, 4);
        v->created = sqlite3_column_double(st, 5);
        v->aliases = track_col_str(st, 6);
        if (!v->name || !v->path || !v->sha256 || !v->aliases) {
            s = CML_ERR_NOMEM;
            break;
        }
    }
    if (!s && rc != SQLITE_DONE) s = track_sql_fail(t, rc, "registry");
    sqlite3_finalize(st);
    if (s) {
        cml_model_versions_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return s;
}

cml_status cml_track_versions(cml_track *t, const char *name, cml_model_version **out, int64_t *n)
{
    int64_t mid;
    cml_status s;
    *out = NULL;
    *n = 0;
    if (name && (s = model_id(t, name, &mid))) return s;
    return query_versions(t, name, 0, out, n);
}

cml_status cml_track_resolve(cml_track *t, const char *spec, cml_model_version **out)
{
    *out = NULL;
    char name[NAME_MAX_LEN + 2], tail[NAME_MAX_LEN + 2] = "";
    const char *at = strrchr(spec, '@');
    size_t nlen = at ? (size_t)(at - spec) : strlen(spec);
    if (nlen > NAME_MAX_LEN || (at && strlen(at + 1) > NAME_MAX_LEN))
        return cml_fail(CML_ERR_ARG, "registry spec \"%s\" is too long", spec);
    memcpy(name, spec, nlen);
    name[nlen] = 0;
    if (at) snprintf(tail, sizeof tail, "%s", at + 1);
    cml_status s = check_name("model name", name, 0);
    if (s) return s;
    int64_t mid;
    if ((s = model_id(t, name, &mid))) return s;
    int version = -1; /* latest */
    if (at) {
        char *end;
        long v = strtol(tail, &end, 10);
        if (tail[0] >= '0' && tail[0] <= '9' && !*end) {
            if (v < 1 || v > 1000000000) return version_exists(t, name, mid, 0);
            version = (int)v;
            if ((s = version_exists(t, name, mid, version))) return s;
        } else {
            if ((s = check_name("alias", tail, 1))) return s;
            sqlite3_stmt *st;
            int rc = track_prepare(
                t, "SELECT version FROM aliases WHERE model_id = ?1 AND alias = ?2", &st);
            if (rc) return track_sql_fail(t, rc, "registry");
            sqlite3_bind_int64(st, 1, mid);
            sqlite3_bind_text(st, 2, tail, -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
            version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
            sqlite3_finalize(st);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) return track_sql_fail(t, rc, "registry");
            if (rc == SQLITE_DONE) {
                char aliases[512];
                list_into(t,
                          "SELECT alias FROM aliases a JOIN registered_models m ON m.id ="
                          " a.model_id WHERE m.name = ?1 AND ?2 = ?2 ORDER BY alias",
                          name, 0, aliases, sizeof aliases);
                return cml_fail(CML_ERR_ARG,
                                "model \"%s\" has no alias \"%s\" (aliases: %s). HINT: cml "
                                "registry alias %s@%s VERSION",
                                name, tail, aliases, name, tail);
            }
        }
    }
    int64_t n;
    if ((s = query_versions(t, name, version, out, &n))) return s;
    if (n != 1) {
        cml_model_versions_free(*out, n);
        *out = NULL;
        return cml_fail(CML_ERR_ARG, "model \"%s\" has no versions", name);
    }
    return CML_OK;
}
