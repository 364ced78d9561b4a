/*
 * web_track.c — the experiment pages' data for `cml web`: runs recorded in
 * the tracking store (include/cml/track.h; `cml fit --track`, `cml runs`)
 * as JSON.
 *   GET /api/experiments            the runs, newest first (up to 500), each
 *                                   with its params and final metrics
 *   GET /api/experiments/runs/ID    one run, plus the per-step history of
 *                                   every metric it logged (the curves)
 * The store is opened per request, read-only in effect: a handle belongs to
 * one thread (track.h), SQLite's WAL lets these reads run while `cml fit
 * --track` writes, and opening costs far less than a page load. A store
 * that does not exist is reported as {"available": false} and is not
 * created.
 *
 * Thread-safety: nothing shared; each call opens its own handle.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/track.h"
#include "web.h"

#define WEB_MAX_RUNS 500

static void kv_object(cml_sb *sb, const cml_track_kv *kv, int64_t n, int text)
{
    cml_sb_puts(sb, "{");
    for (int64_t i = 0; i < n; i++) {
        if (i) cml_sb_puts(sb, ",");
        cml_sb_json_str(sb, kv[i].key);
        cml_sb_puts(sb, ":");
        if (text)
            cml_sb_json_str(sb, kv[i].text);
        else
            cml_sb_json_num(sb, kv[i].value);
    }
    cml_sb_puts(sb, "}");
}

/* The run's members (no braces). */
static void run_members(cml_sb *sb, const cml_track_run_info *r)
{
    cml_sb_printf(sb, "\"id\":%lld,\"experiment\":", (long long)r->id);
    cml_sb_json_str(sb, r->experiment);
    cml_sb_puts(sb, ",\"status\":");
    cml_sb_json_str(sb, r->status);
    cml_sb_puts(sb, ",\"start_time\":");
    cml_sb_json_num(sb, r->start_time);
    cml_sb_puts(sb, ",\"end_time\":");
    cml_sb_json_num(sb, r->end_time);
    cml_sb_puts(sb, ",\"duration\":");
    cml_sb_json_num(sb, r->duration);
    cml_sb_puts(sb, ",\"cml_version\":");
    cml_sb_json_str(sb, r->cml_version);
    cml_sb_puts(sb, ",\"data_path\":");
    cml_sb_json_str(sb, r->data_path);
    cml_sb_puts(sb, ",\"data_sha256\":");
    cml_sb_json_str(sb, r->data_sha256);
    cml_sb_puts(sb, ",\"model_path\":");
    cml_sb_json_str(sb, r->model_path);
    cml_sb_puts(sb, ",\"model_sha256\":");
    cml_sb_json_str(sb, r->model_sha256);
    cml_sb_puts(sb, ",\"params\":");
    kv_object(sb, r->params, r->n_params, 1);
    cml_sb_puts(sb, ",\"metrics\":");
    kv_object(sb, r->metrics, r->n_metrics, 0);
    cml_sb_printf(sb, ",\"n_step_metrics\":%lld", (long long)r->n_step_metrics);
}

/* Opens the store if it exists: 1 and *t; 0 (absent, *t NULL); -1 (error,
 * message in cml_last_error()). */
static int open_store(const char *path, cml_track **t)
{
    *t = NULL;
    if (access(path, F_OK) != 0) return 0;
    return cml_track_open(path, t) == CML_OK ? 1 : -1;
}

int web_track_list_json(const char *store, cml_sb *sb)
{
    cml_track *t;
    int rc = open_store(store, &t);
    if (rc < 0) return 500;
    cml_sb_puts(sb, "{\"store\":");
    cml_sb_json_str(sb, store);
    if (rc == 0) {
        cml_sb_puts(sb, ",\"available\":false,\"runs\":[]}");
        return 200;
    }
    int64_t *ids = NULL, n = 0;
    if (cml_track_run_list(t, NULL, &ids, &n) != CML_OK) {
        cml_track_close(t);
        return 500;
    }
    cml_sb_printf(sb, ",\"available\":true,\"total\":%lld,\"runs\":[", (long long)n);
    int status = 200;
    for (int64_t i = 0, shown = 0; i < n && shown < WEB_MAX_RUNS; i++) {
        cml_track_run_info *r;
        if (cml_track_run_get(t, ids[i], &r) != CML_OK) {
            status = 500;
            break;
        }
        cml_sb_puts(sb, shown++ ? ",{" : "{");
        run_members(sb, r);
        cml_sb_puts(sb, "}");
        cml_track_run_info_free(r);
    }
    cml_sb_puts(sb, "]}");
    free(ids);
    cml_track_close(t);
    return status;
}

int web_track_run_json(const char *store, int64_t id, cml_sb *sb)
{
    cml_track *t;
    int rc = open_store(store, &t);
    if (rc < 0) return 500;
    if (rc == 0) {
        cml_fail(CML_ERR_ARG, "no tracking store at %s", store);
        return 404;
    }
    cml_track_run_info *r = NULL;
    char **keys = NULL;
    int64_t n_keys = 0;
    int status = 200;
    cml_status st = cml_track_run_get(t, id, &r);
    if (st != CML_OK) {
        status = st == CML_ERR_ARG ? 404 : 500;
        goto done;
    }
    if (cml_track_metric_keys(t, id, &keys, &n_keys) != CML_OK) {
        status = 500;
        goto done;
    }
    cml_sb_puts(sb, "{");
    run_members(sb, r);
    cml_sb_puts(sb, ",\"curves\":{");
    for (int64_t k = 0; k < n_keys; k++) {
        int64_t *steps = NULL, n = 0;
        double *values = NULL;
        if (cml_track_metric_history(t, id, keys[k], &steps, &values, &n) != CML_OK) {
            status = 500;
            goto done;
        }
        if (k) cml_sb_puts(sb, ",");
        cml_sb_json_str(sb, keys[k]);
        cml_sb_puts(sb, ":{\"steps\":[");
        for (int64_t i = 0; i < n; i++)
            cml_sb_printf(sb, "%s%lld", i ? "," : "", (long long)steps[i]);
        cml_sb_puts(sb, "],\"values\":");
        cml_sb_json_arr(sb, values, n);
        cml_sb_puts(sb, "}");
        free(steps);
        free(values);
    }
    cml_sb_puts(sb, "}}");
done:
    cml_track_strings_free(keys, n_keys);
    cml_track_run_info_free(r);
    cml_track_close(t);
    return status;
}
