/*
 * course_exp_track.c — the lessons on the tracking store:
 *
 *  experiment-tracking (breast cancer): a sweep of standardized logistic
 *    regressions over C, each fit recorded as a run of a fresh store
 *    (OUT/experiment-tracking/tracking.db) with its parameters, the data
 *    file's sha256, the L-BFGS objective per iteration (the library's
 *    metric hook), test accuracy and F1 (malignant positive) and the saved
 *    model; the runs are then read back and compared through the store
 *    (cml_track_compare), and the best one registered and aliased.
 *  sqlite (iris): four classifiers recorded as runs of a fresh store, which
 *    is then opened as a plain SQLite database: its tables, one SQL query
 *    ranking the runs, WAL snapshot isolation (a reader keeps its view
 *    while a run is written), one transaction per row vs one for all rows
 *    on a scratch file with the store's settings (WAL, synchronous=FULL),
 *    and the file's size.
 *
 * Each lesson starts from an empty store in its output folder, so the
 * numbers are those of this run; the files stay for `cml runs --store`.
 * Timings vary from run to run; everything else is deterministic.
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cml/track.h"
#include "course_exp.h"

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

/* Removes the store at r's folder/name with its WAL companions and the
 * registry copies a previous run made, so the lesson starts empty. */
static cml_status fresh_store(course_run *r, const char *name, const char *model_name, int versions,
                              char *path, size_t size)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, size, "%s/%s%s", r->out_dir, name, suffix[i]);
        if (unlink(path) && errno != ENOENT)
            return cml_fail(CML_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    }
    if (model_name) {
        for (int v = 1; v <= versions; v++) {
            snprintf(path, size, "%s/%s-artifacts/%s/v%d.gguf", r->out_dir, name, model_name, v);
            unlink(path);
        }
        snprintf(path, size, "%s/%s-artifacts/%s", r->out_dir, name, model_name);
        rmdir(path);
        snprintf(path, size, "%s/%s-artifacts", r->out_dir, name);
        rmdir(path);
    }
    if ((size_t)snprintf(path, size, "%s/%s", r->out_dir, name) >= size)
        return cml_fail(CML_ERR_ARG, "course: output path too long");
    return CML_OK;
}

static int metric_row(const cml_track_comparison *c, const char *key)
{
    for (int64_t i = 0; i < c->n_metrics; i++)
        if (!strcmp(c->metric_keys[i], key)) return (int)i;
    return -1;
}

/* ---------------------------------------------------------------- tracking */

#define TRACK_MODEL "breast-cancer-logreg"

static cml_status exp_experiment_tracking(course_run *r)
{
    static const double c_full[] = {1e-3, 1e-2, 0.1, 1, 10, 100, 1000};
    static const double c_quick[] = {1e-2, 1, 100};
    const double *cs = r->quick ? c_quick : c_full;
    int n = r->quick ? 3 : 7;
    char store[4300], data_path[4300], mpath[4300];
    cr_data d;
    cr_split s = {0};
    cml_track *t = NULL;
    cml_track_run *run = NULL;
    cml_track_comparison *cmp = NULL;
    cml_model *m = NULL;
    cml_model_version *mv = NULL;
    double *pred = NULL, *curve = NULL, *xs = NULL, *ys = NULL;
    int64_t *steps = NULL, n_steps = 0, ids[7];
    int *order = NULL;
    cml_status st = cr_load(r, "breast_cancer", NULL, &d);
    if (st != CML_OK) return st;
    snprintf(data_path, sizeof data_path, "%s/breast_cancer.csv", r->data_dir);
    if ((st = cr_split_make(&d, 0.25, 1, 42, &s)) ||
        (st = fresh_store(r, "tracking.db", TRACK_MODEL, 1, store, sizeof store)) ||
        (st = cml_track_open(store, &t)))
        goto done;

    for (int i = 0; i < n; i++) {
        cr_progress(r, 0.05 + 0.7 * i / n, "run %d of %d: logistic regression, C = %g", i + 1, n,
                    cs[i]);
        /* max_iter 1000 lets the weakly penalized fits converge; C = 1
         * converges well before the default 100, so its model is the
         * logistic-regression lesson's */
        char buf[64], cstr[32];
        snprintf(cstr, sizeof cstr, "%.15g", cs[i]);
        snprintf(buf, sizeof buf, "C=%s;max_iter=1000", cstr);
        if ((st = cml_track_run_start(t, "breast-cancer-sweep", &run)) ||
            (st = cml_track_log_param(run, "algo", "logistic_regression")) ||
            (st = cml_track_log_param(run, "C", cstr)) ||
            (st = cml_track_log_param(run, "max_iter", "1000")) ||
            (st = cml_track_log_param(run, "scaler", "standard_scaler")) ||
            (st = cml_track_log_param(run, "split", "75/25 stratified, seed 42")) ||
            (st = cml_track_log_data(run, data_path)) ||
            (st = cr_model("logistic_regression", buf, 1, &m)))
            goto done;
        /* the L-BFGS objective of every iteration goes into the run */
        cml_metric_hook_set(cml_track_metric_listener, run);
        double t0 = cml_now();
        st = cr_fit_predict(m, &s, &pred);
        double fit_s = cml_now() - t0;
        cml_metric_hook_set(NULL, NULL);
        if (st) goto done;
        double acc, f1;
        /* malignant (label 0) is the positive class, as in the
         * logistic-regression lesson */
        if ((st = cml_accuracy(s.yte, pred, s.nte, NULL, &acc)) ||
            (st = cml_precision_recall_f1(s.yte, pred, s.nte, NULL, CML_AVERAGE_BINARY, 0, NULL,
                                          NULL, &f1)))
            goto done;
        snprintf(mpath, sizeof mpath, "%s/model-%d.gguf", r->out_dir, i + 1);
        if ((st = cml_track_log_final(run, "accuracy", acc)) ||
            (st = cml_track_log_final(run, "f1", f1)) ||
            (st = cml_track_log_final(run, "fit_seconds", fit_s)) ||
            (st = cml_model_save(m, mpath, NULL, NULL)) || (st = cml_track_log_model(run, mpath)))
            goto done;
        st = cml_track_run_end(run, CML_RUN_FINISHED, &ids[i]);
        run = NULL;
        if (st) goto done;
        cml_model_free(m);
        m = NULL;
        free(pred);
        pred = NULL;
    }

    /* everything below is read back from the store */
    cr_progress(r, 0.8, "comparing %d runs from %s", n, store);
    if ((st = cml_track_compare(t, ids, n, &cmp))) goto done;
    int ka = metric_row(cmp, "accuracy"), kf = metric_row(cmp, "f1");
    if (ka < 0 || kf < 0) {
        st = cml_fail(CML_ERR_INTERNAL, "course: the store lost the runs' metrics");
        goto done;
    }
    const double *acc_r = cmp->metric_values + (int64_t)ka * n;
    const double *f1_r = cmp->metric_values + (int64_t)kf * n;
    if (!(order = malloc(sizeof *order * (size_t)n))) {
        st = oom();
        goto done;
    }
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) /* by F1 descending, then run id */
        for (int j = i; j > 0 && f1_r[order[j]] > f1_r[order[j - 1]]; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    static const char *const cols[] = {"run", "C", "accuracy", "F1", "objective steps", "seconds"};
    if ((st = cr_table(r, 6, cols))) goto done;
    int same_data = 1;
    for (int k = 0; k < n; k++) {
        const cml_track_run_info *ri = cmp->runs[order[k]];
        const char *cval = "";
        for (int64_t p = 0; p < ri->n_params; p++)
            if (!strcmp(ri->params[p].key, "C")) cval = ri->params[p].text;
        if (strcmp(ri->data_sha256, cmp->runs[0]->data_sha256)) same_data = 0;
        if ((st = cr_row(r, "%lld\t%s\t%.4f\t%.4f\t%lld\t%.3f", (long long)ri->id, cval,
                         acc_r[order[k]], f1_r[order[k]], (long long)ri->n_step_metrics,
                         ri->duration)))
            goto done;
    }
    int best = order[0];
    int64_t best_id = cmp->runs[best]->id;
    int version = 0;
    cr_progress(r, 0.9, "registering run %lld", (long long)best_id);
    if ((st = cml_track_register(t, TRACK_MODEL, best_id, &version)) ||
        (st = cml_track_set_alias(t, TRACK_MODEL, "champion", version)) ||
        (st = cml_track_resolve(t, TRACK_MODEL "@champion", &mv)) ||
        (st = cml_track_metric_history(t, best_id, "objective", &steps, &curve, &n_steps)))
        goto done;
    if ((st = cr_metric(r, "runs", "runs recorded", n)) ||
        (st = cr_metric(r, "best_f1", "best test F1 (malignant positive)", f1_r[best])) ||
        (st = cr_metric(r, "best_accuracy", "test accuracy of that run", acc_r[best])) ||
        (st = cr_metric(r, "best_C", "its C", cs[best])) ||
        (st = cr_metric(r, "registered_version", "registered model version", version)))
        goto done;
    if ((st = cr_note(r,
                      "Run %lld (C = %g) has the best test F1, %.4f; it is registered as %s "
                      "version %d with the alias champion, copied to %s (sha256 %.12s...).",
                      (long long)best_id, cs[best], f1_r[best], mv->name, mv->version, mv->path,
                      mv->sha256)) ||
        (st = cr_note(r, "%s %d runs recorded the data file with sha256 %.12s...: %s.",
                      same_data ? "All" : "Not all", n, cmp->runs[0]->data_sha256,
                      same_data ? "the comparison is on the same data" : "they differ")) ||
        (st = cr_note(r,
                      "The best run's L-BFGS objective was recorded at %lld iterations, from "
                      "%.4g to %.4g.",
                      (long long)n_steps, n_steps ? curve[0] : 0.0,
                      n_steps ? curve[n_steps - 1] : 0.0)) ||
        (st = cr_note(r, "Browse the store: cml runs list --store %s", store)))
        goto done;

    /* plots: the sweep as a tracking UI draws it, and the best run's curve */
    xs = malloc(sizeof *xs * (size_t)(n > n_steps ? n : n_steps));
    ys = malloc(sizeof *ys * (size_t)(2 * n));
    if (!xs || !ys) {
        st = oom();
        goto done;
    }
    for (int i = 0; i < n; i++) {
        xs[i] = log10(cs[i]);
        ys[i] = acc_r[i];
        ys[n + i] = f1_r[i];
    }
    static const char *const sn[] = {"accuracy", "F1 (malignant)"};
    if ((st = cml_plot_lines(cr_path(r, "sweep.png"), xs, ys, 2, n, sn,
                             "Test scores of the recorded runs", "log10 C", "score")) ||
        (st = cr_plot(r, "sweep.png", "Test accuracy and F1 against C, read from the store")))
        goto done;
    if (n_steps > 1) {
        for (int64_t i = 0; i < n_steps; i++)
            xs[i] = (double)steps[i];
        static const char *const on[] = {"objective"};
        char title[128];
        snprintf(title, sizeof title, "L-BFGS objective of run %lld (C = %g)", (long long)best_id,
                 cs[best]);
        if ((st = cml_plot_lines(cr_path(r, "objective.png"), xs, curve, 1, n_steps, on, title,
                                 "iteration", "penalized log loss")) ||
            (st = cr_plot(r, "objective.png", "The best run's per-iteration history")))
            goto done;
    }
done:
    cml_metric_hook_set(NULL, NULL);
    cml_track_run_discard(run);
    cml_track_comparison_free(cmp);
    cml_model_version_free(mv);
    cml_track_close(t);
    cml_model_free(m);
    free(pred);
    free(curve);
    free(steps);
    free(xs);
    free(ys);
    free(order);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

const course_experiment course_exp_experiment_tracking = {"experiment-tracking", "breast_cancer",
                                                          exp_experiment_tracking};

/* ---------------------------------------------------------------- sqlite */

static cml_status sql_fail(sqlite3 *db, const char *what)
{
    return cml_fail(CML_ERR_IO, "sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static cml_status sql_open(const char *path, sqlite3 **db)
{
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        return sql_fail(*db, path);
    sqlite3_busy_timeout(*db, 10000);
    return CML_OK;
}

/* One integer from a query (the first column of its first row). */
static cml_status sql_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) return sql_fail(db, sql);
    int rc = sqlite3_step(q);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CML_OK : sql_fail(db, sql);
}

/* Inserts n rows into bench(run, step, value): autocommit (one
 * transaction, so one WAL sync, per row) or all inside one transaction. */
static cml_status insert_rows(sqlite3 *db, int n, int one_tx, double *seconds)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_exec(db, "DELETE FROM bench", NULL, NULL, NULL) != SQLITE_OK)
        return sql_fail(db, "DELETE");
    if (sqlite3_prepare_v2(db, "INSERT INTO bench(run, step, value) VALUES(?, ?, ?)", -1, &q,
                           NULL) != SQLITE_OK)
        return sql_fail(db, "INSERT");
    double t0 = cml_now();
    cml_status st = CML_OK;
    if (one_tx && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        st = sql_fail(db, "BEGIN");
    for (int i = 0; i < n && st == CML_OK; i++) {
        sqlite3_bind_int(q, 1, i / 100);
        sqlite3_bind_int(q, 2, i % 100);
        sqlite3_bind_double(q, 3, 1.0 / (1 + i));
        if (sqlite3_step(q) != SQLITE_DONE) st = sql_fail(db, "INSERT");
        sqlite3_reset(q);
    }
    if (st == CML_OK && one_tx && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        st = sql_fail(db, "COMMIT");
    *seconds = cml_now() - t0;
    sqlite3_finalize(q);
    return st;
}

static cml_status exp_sqlite(course_run *r)
{
    static const char *const algos[] = {"logistic_regression", "k_neighbors_classifier",
                                        "decision_tree_classifier", "gaussian_nb"};
    enum { N_ALGOS = 4 };
    int n_rows = r->quick ? 100 : 1000;
    char store[4300], bench[4300], sql[512];
    cr_data d;
    cr_split s = {0};
    cml_track *t = NULL;
    cml_track_run *run = NULL;
    cml_model *m = NULL;
    sqlite3 *db = NULL, *reader = NULL, *bdb = NULL;
    sqlite3_stmt *q = NULL;
    cml_sb tables;
    cml_sb_init(&tables);
    cml_status st = cr_load(r, "iris", NULL, &d);
    if (st != CML_OK) return st;
    if ((st = cr_split_make(&d, 0.25, 1, 42, &s)) ||
        (st = fresh_store(r, "store.db", NULL, 0, store, sizeof store)) ||
        (st = fresh_store(r, "bench.db", NULL, 0, bench, sizeof bench)) ||
        (st = cml_track_open(store, &t)))
        goto done;
    for (int i = 0; i < N_ALGOS; i++) {
        cr_progress(r, 0.05 + 0.4 * i / N_ALGOS, "fitting %s and recording the run", algos[i]);
        double acc;
        if ((st = cr_model(algos[i], NULL, 1, &m)) || (st = cr_fit_score(m, &s, &acc)) ||
            (st = cml_track_run_start(t, "iris", &run)) ||
            (st = cml_track_log_param(run, "algo", algos[i])) ||
            (st = cml_track_log_final(run, "accuracy", acc)))
            goto done;
        st = cml_track_run_end(run, CML_RUN_FINISHED, NULL);
        run = NULL;
        cml_model_free(m);
        m = NULL;
        if (st) goto done;
    }

    /* the store as a plain SQLite database */
    cr_progress(r, 0.5, "opening %s with SQLite", store);
    if ((st = sql_open(store, &db))) goto done;
    if (sqlite3_prepare_v2(db,
                           "SELECT m.name, (SELECT count(*) FROM pragma_table_info(m.name)) "
                           "FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE "
                           "'sqlite_%' ORDER BY m.name",
                           -1, &q, NULL) != SQLITE_OK) {
        st = sql_fail(db, "schema");
        goto done;
    }
    int n_tables = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        int64_t rows;
        char *cq = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", name);
        if (!cq) {
            st = oom();
            goto done;
        }
        st = sql_int(db, cq, &rows);
        sqlite3_free(cq);
        if (st) goto done;
        cml_sb_printf(&tables, "%s%s (%d columns, %lld row%s)", n_tables ? ", " : "", name,
                      sqlite3_column_int(q, 1), (long long)rows, rows == 1 ? "" : "s");
        n_tables++;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc != SQLITE_DONE) {
        st = sql_fail(db, "schema");
        goto done;
    }

    /* one statement ranks the runs: the join of runs, params and metrics */
    static const char *const rank_sql = "SELECT r.id, p.value, m.value FROM runs r "
                                        "JOIN params p ON p.run_id = r.id AND p.key = 'algo' "
                                        "JOIN metrics m ON m.run_id = r.id AND m.key = 'accuracy' "
                                        "ORDER BY m.value DESC, r.id";
    static const char *const cols[] = {"rank", "run", "algo", "accuracy"};
    if ((st = cr_table(r, 4, cols))) goto done;
    if (sqlite3_prepare_v2(db, rank_sql, -1, &q, NULL) != SQLITE_OK) {
        st = sql_fail(db, "ranking query");
        goto done;
    }
    int rank = 0;
    double best_acc = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (!rank) best_acc = sqlite3_column_double(q, 2);
        if ((st = cr_row(r, "%d\t%lld\t%s\t%.4f", ++rank, (long long)sqlite3_column_int64(q, 0),
                         (const char *)sqlite3_column_text(q, 1), sqlite3_column_double(q, 2))))
            goto done;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc != SQLITE_DONE) {
        st = sql_fail(db, "ranking query");
        goto done;
    }

    /* WAL: a reader's transaction keeps its snapshot while a run is
     * written, and nobody waits */
    cr_progress(r, 0.6, "WAL: reading while a run is written");
    char mode[16] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    q = NULL;
    int64_t before, during, after;
    if ((st = sql_open(store, &reader))) goto done;
    if (sqlite3_exec(reader, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        st = sql_fail(reader, "BEGIN");
        goto done;
    }
    if ((st = sql_int(reader, "SELECT count(*) FROM runs", &before)) ||
        (st = cml_track_run_start(t, "iris", &run)) ||
        (st = cml_track_log_param(run, "algo", "written during a read")))
        goto done;
    double tw = cml_now();
    st = cml_track_run_end(run, CML_RUN_FINISHED, NULL);
    tw = cml_now() - tw;
    run = NULL;
    if (st || (st = sql_int(reader, "SELECT count(*) FROM runs", &during))) goto done;
    if (sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        st = sql_fail(reader, "COMMIT");
        goto done;
    }
    if ((st = sql_int(reader, "SELECT count(*) FROM runs", &after))) goto done;

    /* transactions: the same rows, one commit each vs one commit */
    cr_progress(r, 0.7, "inserting %d rows, one transaction per row", n_rows);
    double t_each, t_one;
    if ((st = sql_open(bench, &bdb))) goto done;
    if (sqlite3_exec(bdb,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE bench("
                     "id INTEGER PRIMARY KEY, run INTEGER, step INTEGER, value REAL)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        st = sql_fail(bdb, "bench table");
        goto done;
    }
    if ((st = insert_rows(bdb, n_rows, 0, &t_each))) goto done;
    cr_progress(r, 0.85, "inserting %d rows in one transaction", n_rows);
    if ((st = insert_rows(bdb, n_rows, 1, &t_one))) goto done;
    sqlite3_close(bdb);
    bdb = NULL;

    int64_t page_size, page_count;
    if ((st = sql_int(db, "PRAGMA page_size", &page_size)) ||
        (st = sql_int(db, "PRAGMA page_count", &page_count)))
        goto done;
    /* closing every connection checkpoints the WAL into the main file */
    sqlite3_close(reader);
    reader = NULL;
    sqlite3_close(db);
    db = NULL;
    cml_track_close(t);
    t = NULL;
    struct stat sb;
    if (stat(store, &sb)) {
        st = cml_fail(CML_ERR_IO, "%s: %s", store, strerror(errno));
        goto done;
    }
    snprintf(sql, sizeof sql, "%s-wal", store);
    int wal_left = access(sql, F_OK) == 0;

    double rps_each = n_rows / (t_each > 0 ? t_each : 1e-9);
    double rps_one = n_rows / (t_one > 0 ? t_one : 1e-9);
    if ((st = cr_metric(r, "runs", "runs in the store", (double)after)) ||
        (st = cr_metric(r, "best_accuracy", "best accuracy, by SQL", best_acc)) ||
        (st = cr_metric(r, "tables", "tables in the store", n_tables)) ||
        (st = cr_metric(r, "rows_per_s_per_row_tx", "rows/s, one transaction per row", rps_each)) ||
        (st = cr_metric(r, "rows_per_s_one_tx", "rows/s, one transaction", rps_one)) ||
        (st = cr_metric(r, "tx_speedup", "speed-up of one transaction", t_each / t_one)) ||
        (st = cr_metric(r, "file_bytes", "store file size, bytes", (double)sb.st_size)))
        goto done;
    if ((st = cr_note(r, "The store has %d tables: %s.", n_tables, tables.buf ? tables.buf : "")) ||
        (st = cr_note(r, "Ranking query: %s", rank_sql)) ||
        (st = cr_note(r,
                      "Journal mode %s: a reader inside a transaction counted %lld runs, a run "
                      "was committed meanwhile in %.1f ms without waiting for it, the reader "
                      "still counted %lld, and %lld once its transaction ended.",
                      mode, (long long)before, 1e3 * tw, (long long)during, (long long)after)) ||
        (st = cr_note(r,
                      "%d rows took %.3f s with one transaction per row (each commit waits "
                      "for the disk) and %.4f s in one transaction: %.0f times faster.",
                      n_rows, t_each, t_one, t_each / t_one)) ||
        (st = cr_note(r,
                      "The whole history is one file of %lld bytes (%lld pages of %lld "
                      "bytes)%s.",
                      (long long)sb.st_size, (long long)page_count, (long long)page_size,
                      wal_left ? ", plus its -wal file"
                               : "; the WAL was checkpointed into it on close")) ||
        (st = cr_note(r, "Open it yourself: sqlite3 %s", store)))
        goto done;
    /* log scale: the two rates are orders of magnitude apart */
    double bars[2] = {log10(rps_each), log10(rps_one)};
    static const char *const bn[] = {"one transaction per row", "one transaction"};
    char title[128];
    snprintf(title, sizeof title, "Inserting %d rows into SQLite (WAL, synchronous=FULL)", n_rows);
    if ((st = cml_plot_bars(cr_path(r, "transactions.png"), bars, 2, bn, 1, title,
                            "rows per second", NULL)) ||
        (st = cr_plot(r, "transactions.png", "Rows per second: one transaction per row vs one")))
        goto done;
done:
    sqlite3_finalize(q);
    sqlite3_close(bdb);
    sqlite3_close(reader);
    sqlite3_close(db);
    cml_track_run_discard(run);
    cml_track_close(t);
    cml_model_free(m);
    cml_sb_free(&tables);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

const course_experiment course_exp_sqlite = {"sqlite", "iris", exp_sqlite};
