/*
 * test_track.c — the tracking store and model registry (src/track):
 * sha256 against FIPS 180-2 vectors and sha256sum, a run written and read
 * back field by field (params, per-step metrics through the training-metric
 * hook, final metrics, NaN, data and model fingerprints), runs compared side
 * by side, the errors a user
 * meets (unknown run, not a store, newer schema, locked store), the
 * registry (versions, aliases, resolve, a model file changed after its
 * run), concurrent writers from several processes, and writers killed with
 * SIGKILL mid-run leaving a consistent store with every committed run whole.
 */
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cml/cml.h"
#include "helpers/golden.h"

static char dir[64];

static void path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cml_track_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void hex(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---------------------------------------------------------------- sha256 */

static void test_sha256_vectors(void **state)
{
    (void)state;
    uint8_t d[32];
    char h[65];
    cml_sha256("", 0, d);
    hex(d, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cml_sha256("abc", 3, d);
    hex(d, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cml_sha256(m, strlen(m), d);
    hex(d, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    cml_sha256(a, 1000000, d);
    free(a);
    hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* a real file, in 64 KiB reads: as `sha256sum data/iris.csv` prints it */
    assert_int_equal(cml_sha256_file("../data/iris.csv", h), CML_OK);
    assert_string_equal(h, "1e52d3d96ba49c50fe132731766e8b9b3d456d7b44163a4d62d2a256e19005e5");
    assert_int_equal(cml_sha256_file("../data/diamonds.csv", h), CML_OK);
    assert_int_equal(cml_sha256_file("/nonexistent/file", h), CML_ERR_IO);
}

/* ---------------------------------------------------------------- runs */

static cml_track *open_store(const char *name)
{
    char p[256];
    path_in(p, sizeof p, name);
    cml_track *t = NULL;
    assert_int_equal(cml_track_open(p, &t), CML_OK);
    return t;
}

static void test_run_roundtrip(void **state)
{
    (void)state;
    cml_track *t = open_store("rt.db");
    char model[256];
    path_in(model, sizeof model, "model.bin");
    write_file(model, "not really a model, but bytes to hash\n");

    cml_track_run *r;
    assert_int_equal(cml_track_run_start(t, "exp-a", &r), CML_OK);
    assert_int_equal(cml_track_log_param(r, "alpha", "0.5"), CML_OK);
    assert_int_equal(cml_track_log_param(r, "solver", "lbfgs"), CML_OK);
    assert_int_equal(cml_track_log_param(r, "alpha", "0.25"), CML_OK); /* last wins */
    /* per-step metrics the way a fit reports them: through the hook */
    cml_metric_hook_set(cml_track_metric_listener, r);
    assert_true(cml_metric_hook_active());
    for (int s = 0; s < 5; s++) {
        cml_report_metric("train_loss", s, 1.0 / (s + 1));
        cml_report_metric("valid_loss", s, 2.0 / (s + 1));
    }
    cml_metric_hook_set(NULL, NULL);
    cml_report_metric("train_loss", 99, 123); /* no hook: not recorded */
    assert_int_equal(cml_track_log_final(r, "accuracy", 0.9733), CML_OK);
    assert_int_equal(cml_track_log_final(r, "objective", NAN), CML_OK);
    assert_int_equal(cml_track_log_final(r, "accuracy", 0.98), CML_OK);
    assert_int_equal(cml_track_log_data(r, "../data/iris.csv"), CML_OK);
    assert_int_equal(cml_track_log_model(r, model), CML_OK);
    assert_int_equal(cml_track_log_param(r, "", "x"), CML_ERR_ARG);
    assert_int_equal(cml_track_log_data(r, "/nonexistent.csv"), CML_ERR_IO);
    int64_t id = 0;
    assert_int_equal(cml_track_run_end(r, CML_RUN_FINISHED, &id), CML_OK);
    assert_int_equal(id, 1);

    cml_track_run_info *info;
    assert_int_equal(cml_track_run_get(t, id, &info), CML_OK);
    assert_string_equal(info->experiment, "exp-a");
    assert_string_equal(info->status, "finished");
    assert_string_equal(info->cml_version, CML_VERSION_STRING);
    assert_true(info->end_time >= info->start_time && info->duration >= 0);
    assert_true(info->start_time > 1.6e9); /* wall clock, not a monotonic one */
    assert_string_equal(info->data_sha256,
                        "1e52d3d96ba49c50fe132731766e8b9b3d456d7b44163a4d62d2a256e19005e5");
    assert_true(info->data_path[0] == '/'); /* absolute: usable from another directory */
    char sha[65];
    assert_int_equal(cml_sha256_file(model, sha), CML_OK);
    assert_string_equal(info->model_sha256, sha);
    assert_int_equal(info->n_params, 2);
    assert_string_equal(info->params[0].key, "alpha");
    assert_string_equal(info->params[0].text, "0.25");
    assert_string_equal(info->params[1].text, "lbfgs");
    assert_int_equal(info->n_metrics, 2);
    assert_string_equal(info->metrics[0].key, "accuracy");
    assert_true(info->metrics[0].value == 0.98);
    assert_true(isnan(info->metrics[1].value));
    assert_int_equal(info->n_step_metrics, 10);
    cml_track_run_info_free(info);

    int64_t *steps, n;
    double *vals;
    assert_int_equal(cml_track_metric_history(t, id, "train_loss", &steps, &vals, &n), CML_OK);
    assert_int_equal(n, 5);
    for (int s = 0; s < 5; s++) {
        assert_int_equal(steps[s], s);
        assert_true(vals[s] == 1.0 / (s + 1)); /* doubles round-trip exactly */
    }
    free(steps);
    free(vals);
    assert_int_equal(cml_track_metric_history(t, id, "nope", &steps, &vals, &n), CML_OK);
    assert_int_equal(n, 0);
    char **keys;
    assert_int_equal(cml_track_metric_keys(t, id, &keys, &n), CML_OK);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0], "train_loss");
    assert_string_equal(keys[1], "valid_loss");
    cml_track_strings_free(keys, n);

    /* a second run, failed, in the default experiment; list is newest first */
    assert_int_equal(cml_track_run_start(t, NULL, &r), CML_OK);
    assert_int_equal(cml_track_run_end(r, CML_RUN_FAILED, &id), CML_OK);
    assert_int_equal(id, 2);
    int64_t *ids;
    assert_int_equal(cml_track_run_list(t, NULL, &ids, &n), CML_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 1);
    free(ids);
    assert_int_equal(cml_track_run_list(t, "exp-a", &ids, &n), CML_OK);
    assert_int_equal(n, 1);
    free(ids);
    assert_int_equal(cml_track_run_list(t, "nope", &ids, &n), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "no experiment \"nope\""));
    assert_int_equal(cml_track_run_get(t, 2, &info), CML_OK);
    assert_string_equal(info->experiment, "default");
    assert_string_equal(info->status, "failed");
    assert_string_equal(info->model_path, "");
    cml_track_run_info_free(info);
    assert_int_equal(cml_track_run_get(t, 42, &info), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "no run 42"));

    /* a discarded run writes nothing */
    assert_int_equal(cml_track_run_start(t, "exp-a", &r), CML_OK);
    cml_track_log_param(r, "x", "1");
    cml_track_run_discard(r);
    assert_int_equal(cml_track_run_list(t, NULL, &ids, &n), CML_OK);
    assert_int_equal(n, 2);
    free(ids);
    cml_track_close(t);

    /* reopened: WAL mode is stored in the file */
    char p[256];
    path_in(p, sizeof p, "rt.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Runs side by side, over the store test_run_roundtrip wrote. */
static void test_compare(void **state)
{
    (void)state;
    cml_track *t = open_store("rt.db");
    cml_track_run *r;
    assert_int_equal(cml_track_run_start(t, "exp-a", &r), CML_OK);
    cml_track_log_param(r, "alpha", "0.25");
    cml_track_log_param(r, "solver", "saga");
    cml_track_log_final(r, "accuracy", 0.5);
    int64_t id3;
    assert_int_equal(cml_track_run_end(r, CML_RUN_FINISHED, &id3), CML_OK);
    int64_t ids[3] = {1, 2, id3};
    cml_track_comparison *c;
    assert_int_equal(cml_track_compare(t, ids, 3, &c), CML_OK);
    assert_int_equal(c->n_runs, 3);
    assert_int_equal(c->runs[2]->id, id3);
    assert_int_equal(c->n_params, 2);
    assert_string_equal(c->param_keys[0], "alpha");
    assert_string_equal(c->param_keys[1], "solver");
    assert_string_equal(c->param_values[0], "0.25"); /* alpha, run 1 */
    assert_null(c->param_values[1]);                 /* run 2 has no params */
    assert_string_equal(c->param_values[2], "0.25");
    assert_true(c->param_differs[0]); /* absent in run 2 */
    assert_string_equal(c->param_values[3 + 2], "saga");
    assert_true(c->param_differs[1]);
    assert_int_equal(c->n_metrics, 2);
    assert_string_equal(c->metric_keys[0], "accuracy");
    assert_true(c->metric_has[0] && c->metric_values[0] == 0.98);
    assert_true(!c->metric_has[1] && isnan(c->metric_values[1]));
    assert_true(c->metric_has[2] && c->metric_values[2] == 0.5);
    assert_string_equal(c->metric_keys[1], "objective");
    assert_true(c->metric_has[3] && isnan(c->metric_values[3])); /* logged as NaN */
    assert_true(!c->metric_has[5]);
    cml_track_comparison_free(c);
    /* the same run twice: nothing differs */
    int64_t same[2] = {1, 1};
    assert_int_equal(cml_track_compare(t, same, 2, &c), CML_OK);
    assert_true(!c->param_differs[0] && !c->param_differs[1]);
    cml_track_comparison_free(c);
    int64_t unknown[2] = {1, 77};
    assert_int_equal(cml_track_compare(t, unknown, 2, &c), CML_ERR_ARG);
    assert_null(c);
    assert_int_equal(cml_track_compare(t, ids, 0, &c), CML_ERR_ARG);
    cml_track_close(t);
}

static void test_open_errors(void **state)
{
    (void)state;
    cml_track *t;
    char p[256];
    /* a text file */
    path_in(p, sizeof p, "text.db");
    write_file(p, "id,value\n1,2\n3,4\n5,6\n7,8\n9,10\n11,12\n13,14\n15,16\n17,18\n");
    assert_int_equal(cml_track_open(p, &t), CML_ERR_FORMAT);
    assert_null(t);
    /* some other SQLite database */
    path_in(p, sizeof p, "other.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE x(a)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cml_track_open(p, &t), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "not a cml store"));
    /* a store from a newer cml */
    t = open_store("newer.db");
    cml_track_close(t);
    path_in(p, sizeof p, "newer.db");
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cml_track_open(p, &t), CML_ERR_VERSION);
    /* a directory that does not exist */
    assert_int_equal(cml_track_open("/nonexistent/dir/cml.db", &t), CML_ERR_IO);
    assert_int_equal(cml_track_open("", &t), CML_ERR_ARG);
}

/* Another connection holds the write lock: a writer gives up after its
 * timeout with a message that says so, and succeeds once it is released. */
static void test_locked(void **state)
{
    (void)state;
    cml_track *t = open_store("locked.db");
    char p[256];
    path_in(p, sizeof p, "locked.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    cml_track_set_timeout(t, 0.3);
    cml_track_run *r;
    assert_int_equal(cml_track_run_start(t, "x", &r), CML_OK);
    double t0 = cml_now();
    assert_int_equal(cml_track_run_end(r, CML_RUN_FINISHED, NULL), CML_ERR_IO);
    double waited = cml_now() - t0;
    assert_non_null(strstr(cml_last_error(), "locked by another writer"));
    assert_true(waited >= 0.25 && waited < 5);
    /* readers are not blocked by the writer (WAL) */
    int64_t *ids, n;
    assert_int_equal(cml_track_run_list(t, NULL, &ids, &n), CML_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cml_track_run_start(t, "x", &r), CML_OK);
    assert_int_equal(cml_track_run_end(r, CML_RUN_FINISHED, NULL), CML_OK);
    cml_track_close(t);
}

/* ---------------------------------------------------------------- registry */

static int64_t run_with_model(cml_track *t, const char *model)
{
    cml_track_run *r;
    assert_int_equal(cml_track_run_start(t, "reg", &r), CML_OK);
    if (model) assert_int_equal(cml_track_log_model(r, model), CML_OK);
    int64_t id;
    assert_int_equal(cml_track_run_end(r, CML_RUN_FINISHED, &id), CML_OK);
    return id;
}

static void test_registry(void **state)
{
    (void)state;
    cml_track *t = open_store("reg.db");
    char m1[256], m2[256];
    path_in(m1, sizeof m1, "m1.gguf");
    path_in(m2, sizeof m2, "m2.gguf");
    write_file(m1, "model one\n");
    write_file(m2, "model two\n");
    int64_t r1 = run_with_model(t, m1), r2 = run_with_model(t, m2), r3 = run_with_model(t, NULL);
    int v = 0;
    assert_int_equal(cml_track_register(t, "iris", r1, &v), CML_OK);
    assert_int_equal(v, 1);
    assert_int_equal(cml_track_register(t, "iris", r2, &v), CML_OK);
    assert_int_equal(v, 2);
    assert_int_equal(cml_track_register(t, "other", r2, &v), CML_OK);
    assert_int_equal(v, 1);
    assert_int_equal(cml_track_register(t, "iris", r3, &v), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "recorded no model file"));
    assert_int_equal(cml_track_register(t, "iris", 999, &v), CML_ERR_ARG);
    assert_int_equal(cml_track_register(t, "../evil", r1, &v), CML_ERR_ARG);
    assert_int_equal(cml_track_register(t, "a/b", r1, &v), CML_ERR_ARG);
    assert_int_equal(cml_track_register(t, "", r1, &v), CML_ERR_ARG);

    /* aliases: set, move, resolve, delete */
    assert_int_equal(cml_track_set_alias(t, "iris", "champion", 1), CML_OK);
    assert_int_equal(cml_track_set_alias(t, "iris", "challenger", 2), CML_OK);
    cml_model_version *mv;
    assert_int_equal(cml_track_resolve(t, "iris@champion", &mv), CML_OK);
    assert_int_equal(mv->version, 1);
    assert_int_equal(mv->run_id, r1);
    char sha[65], sha1[65];
    assert_int_equal(cml_sha256_file(mv->path, sha), CML_OK); /* the registry's copy */
    assert_int_equal(cml_sha256_file(m1, sha1), CML_OK);
    assert_string_equal(sha, sha1);
    assert_string_equal(mv->sha256, sha1);
    assert_null(strstr(mv->path, "m1.gguf")); /* a copy, not the run's file */
    cml_model_version_free(mv);
    assert_int_equal(cml_track_set_alias(t, "iris", "champion", 2), CML_OK); /* moves */
    assert_int_equal(cml_track_resolve(t, "iris@champion", &mv), CML_OK);
    assert_int_equal(mv->version, 2);
    assert_string_equal(mv->aliases, "challenger,champion");
    cml_model_version_free(mv);
    assert_int_equal(cml_track_resolve(t, "iris@1", &mv), CML_OK);
    assert_int_equal(mv->version, 1);
    assert_string_equal(mv->aliases, "");
    cml_model_version_free(mv);
    assert_int_equal(cml_track_resolve(t, "iris", &mv), CML_OK); /* latest */
    assert_int_equal(mv->version, 2);
    cml_model_version_free(mv);

    assert_int_equal(cml_track_resolve(t, "iris@prod", &mv), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "no alias \"prod\" (aliases: challenger, champion)"));
    assert_null(mv);
    assert_int_equal(cml_track_resolve(t, "iris@7", &mv), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "no version 7 (versions: 1, 2)"));
    assert_int_equal(cml_track_resolve(t, "nope@champion", &mv), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "models: iris, other"));
    assert_int_equal(cml_track_set_alias(t, "iris", "x", 3), CML_ERR_ARG);
    assert_int_equal(cml_track_set_alias(t, "iris", "3", 1), CML_ERR_ARG); /* would read as v3 */
    assert_int_equal(cml_track_set_alias(t, "nope", "x", 1), CML_ERR_ARG);
    assert_int_equal(cml_track_delete_alias(t, "iris", "challenger"), CML_OK);
    assert_int_equal(cml_track_delete_alias(t, "iris", "challenger"), CML_ERR_ARG);
    assert_int_equal(cml_track_resolve(t, "iris@challenger", &mv), CML_ERR_ARG);

    cml_model_version *all;
    int64_t n;
    assert_int_equal(cml_track_versions(t, NULL, &all, &n), CML_OK);
    assert_int_equal(n, 3);
    assert_string_equal(all[0].name, "iris");
    assert_string_equal(all[2].name, "other");
    cml_model_versions_free(all, n);
    assert_int_equal(cml_track_versions(t, "iris", &all, &n), CML_OK);
    assert_int_equal(n, 2);
    cml_model_versions_free(all, n);
    assert_int_equal(cml_track_versions(t, "nope", &all, &n), CML_ERR_ARG);

    /* the run's file overwritten by a later fit: registering it is refused */
    write_file(m1, "model one, overwritten\n");
    assert_int_equal(cml_track_register(t, "iris", r1, &v), CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "has changed since run"));
    /* ... and the registered copy is untouched */
    assert_int_equal(cml_track_resolve(t, "iris@1", &mv), CML_OK);
    assert_int_equal(cml_sha256_file(mv->path, sha), CML_OK);
    assert_string_equal(sha, sha1);
    cml_model_version_free(mv);
    cml_track_close(t);
}

/* ---------------------------------------------------------------- processes */

enum { N_STEPS = 50 };

/* A run with a known shape: 3 params (one naming the writer), N_STEPS
 * per-step metrics, 1 final metric; used to check runs are whole. */
static cml_status write_run(cml_track *t, int writer, int k, int steps, int64_t *id)
{
    cml_track_run *r;
    cml_status st = cml_track_run_start(t, "conc", &r);
    if (st) return st;
    char v[32];
    snprintf(v, sizeof v, "%d", writer);
    cml_track_log_param(r, "writer", v);
    snprintf(v, sizeof v, "%d", k);
    cml_track_log_param(r, "k", v);
    snprintf(v, sizeof v, "%d", steps);
    cml_track_log_param(r, "steps", v);
    for (int s = 0; s < steps; s++)
        cml_track_log_metric(r, "loss", s, 1.0 / (s + 1));
    cml_track_log_final(r, "final", writer * 1000 + k);
    return cml_track_run_end(r, CML_RUN_FINISHED, id);
}

/* Every run in the store is whole: its params, final metric and per-step
 * history all there, and matching the counts in its row. Returns the count. */
static int64_t check_store(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE); /* no orphan params/metrics */
    sqlite3_finalize(st);
    const char *sql = "SELECT r.id, r.n_params, r.n_metrics, r.n_step_metrics,"
                      " (SELECT count(*) FROM params p WHERE p.run_id = r.id),"
                      " (SELECT count(*) FROM metrics m WHERE m.run_id = r.id),"
                      " (SELECT count(*) FROM step_metrics s WHERE s.run_id = r.id),"
                      " (SELECT value FROM params p WHERE p.run_id = r.id AND p.key = 'steps')"
                      " FROM runs r";
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        n++;
        assert_int_equal(sqlite3_column_int(st, 1), 3);
        assert_int_equal(sqlite3_column_int(st, 2), 1);
        assert_int_equal(sqlite3_column_int(st, 4), 3);
        assert_int_equal(sqlite3_column_int(st, 5), 1);
        int steps = atoi((const char *)sqlite3_column_text(st, 7));
        assert_int_equal(sqlite3_column_int(st, 3), steps);
        assert_int_equal(sqlite3_column_int(st, 6), steps);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_concurrent_writers(void **state)
{
    (void)state;
    enum { PROCS = 4, RUNS = 20 };
    char p[256];
    path_in(p, sizeof p, "conc.db");
    pid_t pid[PROCS];
    for (int w = 0; w < PROCS; w++) {
        pid[w] = fork();
        assert_true(pid[w] >= 0);
        if (pid[w] == 0) {
            /* each process opens the store itself, all at once: creating the
             * tables and switching to WAL race too */
            cml_track *t;
            if (cml_track_open(p, &t)) _exit(10);
            for (int k = 0; k < RUNS; k++)
                if (write_run(t, w, k, N_STEPS, NULL)) {
                    fprintf(stderr, "writer %d: %s\n", w, cml_last_error());
                    _exit(11);
                }
            cml_track_close(t);
            _exit(0);
        }
    }
    for (int w = 0; w < PROCS; w++) {
        int status;
        assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(check_store(p), PROCS * RUNS);
    /* every (writer, k) exactly once, ids unique */
    cml_track *t = open_store("conc.db");
    int64_t *ids, n;
    assert_int_equal(cml_track_run_list(t, "conc", &ids, &n), CML_OK);
    assert_int_equal(n, PROCS * RUNS);
    int seen[PROCS][RUNS] = {{0}};
    for (int64_t i = 0; i < n; i++) {
        if (i) assert_true(ids[i] < ids[i - 1]);
        cml_track_run_info *r;
        assert_int_equal(cml_track_run_get(t, ids[i], &r), CML_OK);
        int w = (int)r->metrics[0].value / 1000, k = (int)r->metrics[0].value % 1000;
        assert_true(w >= 0 && w < PROCS && k >= 0 && k < RUNS);
        seen[w][k]++;
        cml_track_run_info_free(r);
    }
    free(ids);
    for (int w = 0; w < PROCS; w++)
        for (int k = 0; k < RUNS; k++)
            assert_int_equal(seen[w][k], 1);
    cml_track_close(t);
}

/* Writers with big runs (so a commit takes a while) killed with SIGKILL at
 * random moments, some of them inside a commit: afterwards the store passes
 * integrity_check, every run in it is whole, and it takes new runs. */
static void test_sigkill(void **state)
{
    (void)state;
    enum { STEPS = 5000, KILLS = 12 };
    char p[256];
    path_in(p, sizeof p, "kill.db");
    cml_track *t0 = open_store("kill.db");
    cml_track_close(t0);
    cml_rng rng;
    cml_rng_seed(&rng, 7);
    int64_t before = 0;
    for (int kill_no = 0; kill_no < KILLS; kill_no++) {
        int pipefd[2];
        assert_int_equal(pipe(pipefd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(pipefd[0]);
            cml_track *t;
            if (cml_track_open(p, &t)) _exit(10);
            char c = 1;
            if (write(pipefd[1], &c, 1) != 1) _exit(12);
            for (int k = 0;; k++)
                if (write_run(t, kill_no, k, STEPS, NULL)) _exit(11);
        }
        close(pipefd[1]);
        char c;
        assert_int_equal(read(pipefd[0], &c, 1), 1); /* store open, writing starts */
        close(pipefd[0]);
        /* 0 to 200 ms: before, during and between commits */
        struct timespec ts = {0, (long)cml_rng_below(&rng, 200) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        int64_t now = check_store(p);
        assert_true(now >= before);
        before = now;
    }
    /* still writable, and the runs committed before it are unchanged */
    cml_track *t = open_store("kill.db");
    int64_t id;
    assert_int_equal(write_run(t, 99, 0, 10, &id), CML_OK);
    cml_track_close(t);
    assert_int_equal(check_store(p), before + 1);
    print_message("sigkill: %lld runs committed across %d killed writers\n", (long long)before,
                  KILLS);
}

/* Processes registering versions of one model at once get distinct,
 * consecutive numbers and complete copies. */
static void test_concurrent_register(void **state)
{
    (void)state;
    enum { PROCS = 3, EACH = 5 };
    cml_track *t = open_store("creg.db");
    char model[256], p[256];
    path_in(model, sizeof model, "creg.gguf");
    path_in(p, sizeof p, "creg.db");
    write_file(model, "a model registered many times\n");
    int64_t run = run_with_model(t, model);
    cml_track_close(t);
    pid_t pid[PROCS];
    for (int w = 0; w < PROCS; w++) {
        pid[w] = fork();
        assert_true(pid[w] >= 0);
        if (pid[w] == 0) {
            cml_track *c;
            if (cml_track_open(p, &c)) _exit(10);
            for (int k = 0; k < EACH; k++)
                if (cml_track_register(c, "many", run, NULL)) _exit(11);
            cml_track_close(c);
            _exit(0);
        }
    }
    for (int w = 0; w < PROCS; w++) {
        int status;
        assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    t = open_store("creg.db");
    cml_model_version *v;
    int64_t n;
    assert_int_equal(cml_track_versions(t, "many", &v, &n), CML_OK);
    assert_int_equal(n, PROCS * EACH);
    char want[65], got[65];
    assert_int_equal(cml_sha256_file(model, want), CML_OK);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(v[i].version, i + 1);
        assert_int_equal(cml_sha256_file(v[i].path, got), CML_OK);
        assert_string_equal(got, want);
    }
    cml_model_versions_free(v, n);
    cml_track_close(t);
}

/* A truncated or overwritten store gives an error, never a crash. */
static void test_corrupt_store(void **state)
{
    (void)state;
    cml_track *t = open_store("corrupt.db");
    for (int k = 0; k < 30; k++)
        write_run(t, 0, k, 200, NULL);
    cml_track_close(t);
    char p[256];
    path_in(p, sizeof p, "corrupt.db");
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    assert_true(size > 16384);
    /* scribble over the middle pages: b-tree pages of the tables */
    fseek(f, size / 2, SEEK_SET);
    for (int i = 0; i < 8192; i++)
        fputc(i * 7 & 0xff, f);
    fclose(f);
    cml_status st = cml_track_open(p, &t);
    if (st == CML_OK) {
        int64_t *ids, n = 0, bad = 0;
        st = cml_track_run_list(t, NULL, &ids, &n);
        for (int64_t i = 0; st == CML_OK && i < n; i++) {
            cml_track_run_info *r;
            int64_t *steps, m;
            double *vals;
            cml_status s1 = cml_track_run_get(t, ids[i], &r);
            if (s1 == CML_OK) cml_track_run_info_free(r);
            cml_status s2 = cml_track_metric_history(t, ids[i], "loss", &steps, &vals, &m);
            if (s2 == CML_OK) {
                free(steps);
                free(vals);
            }
            if (s1 || s2) {
                assert_true((s1 == CML_OK || s1 == CML_ERR_FORMAT) &&
                            (s2 == CML_OK || s2 == CML_ERR_FORMAT));
                bad++;
            }
        }
        if (st == CML_OK) free(ids);
        print_message("corrupt store: %lld runs listed, %lld unreadable\n", (long long)n,
                      (long long)bad);
        assert_true(st != CML_OK || bad > 0); /* the damage is noticed, not read as data */
        cml_track_close(t);
    } else {
        assert_true(st == CML_ERR_FORMAT || st == CML_ERR_IO);
    }
    /* truncated to its first page */
    assert_int_equal(truncate(p, 4096), 0);
    st = cml_track_open(p, &t);
    if (st == CML_OK) {
        int64_t *ids, n;
        st = cml_track_run_list(t, NULL, &ids, &n);
        if (st == CML_OK) free(ids);
        cml_track_close(t);
    }
    assert_true(st == CML_OK || st == CML_ERR_FORMAT || st == CML_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_run_roundtrip),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_locked),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_concurrent_writers),
        cmocka_unit_test(test_sigkill),
        cmocka_unit_test(test_concurrent_register),
        cmocka_unit_test(test_corrupt_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
