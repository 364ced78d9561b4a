/*
 * cmd_runs.c — `cml runs`: list, show, compare and export the runs that
 * `cml fit --track` recorded (src/track), and the tracking helpers `fit`
 * uses (cli_tracking_*, cli_open_store).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---------------------------------------------------------------- store */

int cli_open_store(const cli_args *a, int create, cml_track **t, const char **path)
{
    const char *p = cli_get(a, "store");
    if (!p) p = getenv("CML_STORE");
    if (!p || !p[0]) p = "cml.db";
    *path = p;
    *t = NULL;
    if (!create && access(p, F_OK) != 0) {
        cli_error("no tracking store at %s. HINT: cml fit --track creates it; --store PATH (or "
                  "$CML_STORE) picks another",
                  p);
        return CLI_RUNTIME;
    }
    cml_status st = cml_track_open(p, t);
    if (st != CML_OK) return cli_fail(st);
    /* $CML_STORE_TIMEOUT: seconds a write waits for other writers (30) */
    const char *to = getenv("CML_STORE_TIMEOUT");
    if (to && to[0]) {
        char *end;
        double s = strtod(to, &end);
        if (end == to || *end || !(s >= 0) || s > 86400) {
            cli_error("$CML_STORE_TIMEOUT must be a number of seconds in [0, 86400], got \"%s\"",
                      to);
            cml_track_close(*t);
            *t = NULL;
            return CLI_USAGE;
        }
        cml_track_set_timeout(*t, s);
    }
    return CLI_OK;
}

int cli_tracking_start(const cli_args *a, cli_tracking *tr)
{
    memset(tr, 0, sizeof *tr);
    int rc = cli_open_store(a, 1, &tr->store, &tr->store_path);
    if (rc) return rc;
    cml_status st = cml_track_run_start(tr->store, cli_get(a, "experiment"), &tr->run);
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

/* Every parameter of one estimator, as "<prefix><name>". */
static cml_status log_params(cml_track_run *run, const cml_model *m, const char *prefix)
{
    const cml_estimator *est = cml_model_estimator(m);
    for (int i = 0; i < est->n_params; i++) {
        char key[192], value[CML_PARAM_STRLEN + 32];
        cml_status st = cml_params_get(est->params, est->n_params, cml_model_params(m),
                                       est->params[i].name, value, sizeof value);
        snprintf(key, sizeof key, "%s%s", prefix, est->params[i].name);
        if (st == CML_OK && est->params[i].type == CML_PARAM_DOUBLE) {
            /* the shortest text that reads back as the same double: C=0.1,
             * not 0.10000000000000001 */
            double v = strtod(value, NULL);
            snprintf(value, sizeof value, "%.15g", v);
            if (strtod(value, NULL) != v) snprintf(value, sizeof value, "%.17g", v);
        }
        if (st == CML_OK) st = cml_track_log_param(run, key, value);
        if (st != CML_OK) return st;
    }
    return CML_OK;
}

int cli_tracking_params(cli_tracking *tr, const cli_args *a, const cml_model *m, const char *data,
                        const cml_column *target)
{
    cml_status st = cml_track_log_param(tr->run, "algo", cml_model_estimator(m)->name);
    if (st == CML_OK && target) st = cml_track_log_param(tr->run, "target", target->name);
    const char *valid = cli_get(a, "valid");
    char sha[65];
    if (st == CML_OK && valid) st = cml_track_log_param(tr->run, "valid", valid);
    /* the validation file's fingerprint too: valid_* metrics mean nothing
     * without knowing which rows they were computed on */
    if (st == CML_OK && valid && (st = cml_sha256_file(valid, sha)) == CML_OK)
        st = cml_track_log_param(tr->run, "valid_sha256", sha);
    if (st == CML_OK) st = log_params(tr->run, m, "");
    /* preprocessing steps: "<step>.<param>", e.g. standard_scaler.with_mean */
    for (int i = 0; st == CML_OK && i < cml_model_n_steps(m); i++) {
        const cml_model *step = cml_model_step(m, i);
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%s.", cml_model_estimator(step)->name);
        st = log_params(tr->run, step, prefix);
    }
    if (st == CML_OK) st = cml_track_log_data(tr->run, data);
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

void cli_tracking_hook(cli_tracking *tr, int on)
{
    cml_metric_hook_set(on ? cml_track_metric_listener : NULL, on ? tr->run : NULL);
}

void cli_tracking_metric(void *user, const char *name, double value)
{
    cli_tracking *tr = user;
    char key[128];
    snprintf(key, sizeof key, "valid_%s", name);
    cml_status st = cml_track_log_final(tr->run, key, value);
    if (st != CML_OK && !tr->error) tr->error = st;
}

int cli_tracking_end(cli_tracking *tr, cml_run_status status, int64_t *id)
{
    cml_track_run *run = tr->run;
    tr->run = NULL;
    if (tr->error) {
        cml_track_run_discard(run);
        return cli_fail(tr->error);
    }
    cml_status st = cml_track_run_end(run, status, id);
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

void cli_tracking_free(cli_tracking *tr)
{
    cml_metric_hook_set(NULL, NULL);
    cml_track_run_discard(tr->run);
    cml_track_close(tr->store);
    memset(tr, 0, sizeof *tr);
}

/* ---------------------------------------------------------------- formatting */

static void iso_time(double t, char *buf, size_t len)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *param_of(const cml_track_run_info *r, const char *key)
{
    for (int64_t i = 0; i < r->n_params; i++)
        if (!strcmp(r->params[i].key, key)) return r->params[i].text;
    return NULL;
}

/* One run as a JSON object; with_steps adds "step_metrics": {key: [[step, value]...]}. */
static cml_status run_json(cml_track *t, const cml_track_run_info *r, int with_steps, cml_sb *sb)
{
    char when[32];
    cml_sb_printf(sb, "{\"id\":%lld,\"experiment\":", (long long)r->id);
    cml_sb_json_str(sb, r->experiment);
    cml_sb_puts(sb, ",\"status\":");
    cml_sb_json_str(sb, r->status);
    iso_time(r->start_time, when, sizeof when);
    cml_sb_puts(sb, ",\"start\":");
    cml_sb_json_str(sb, when);
    cml_sb_puts(sb, ",\"start_time\":");
    cml_sb_json_num(sb, r->start_time);
    cml_sb_puts(sb, ",\"end_time\":");
    cml_sb_json_num(sb, r->end_time);
    cml_sb_puts(sb, ",\"duration\":");
    cml_sb_json_num(sb, r->duration);
    const char *const fields[] = {"cml_version",  r->cml_version, "data_path",  r->data_path,
                                  "data_sha256",  r->data_sha256, "model_path", r->model_path,
                                  "model_sha256", r->model_sha256};
    for (int i = 0; i < 10; i += 2) {
        cml_sb_printf(sb, ",\"%s\":", fields[i]);
        if (fields[i + 1][0])
            cml_sb_json_str(sb, fields[i + 1]);
        else
            cml_sb_puts(sb, "null");
    }
    cml_sb_puts(sb, ",\"params\":{");
    for (int64_t i = 0; i < r->n_params; i++) {
        if (i) cml_sb_puts(sb, ",");
        cml_sb_json_str(sb, r->params[i].key);
        cml_sb_puts(sb, ":");
        cml_sb_json_str(sb, r->params[i].text);
    }
    cml_sb_puts(sb, "},\"metrics\":{");
    for (int64_t i = 0; i < r->n_metrics; i++) {
        if (i) cml_sb_puts(sb, ",");
        cml_sb_json_str(sb, r->metrics[i].key);
        cml_sb_puts(sb, ":");
        cml_sb_json_num(sb, r->metrics[i].value);
    }
    cml_sb_printf(sb, "},\"n_step_metrics\":%lld", (long long)r->n_step_metrics);
    if (with_steps) {
        char **keys;
        int64_t nk;
        cml_status st = cml_track_metric_keys(t, r->id, &keys, &nk);
        if (st) return st;
        cml_sb_puts(sb, ",\"step_metrics\":{");
        for (int64_t k = 0; k < nk && st == CML_OK; k++) {
            int64_t *steps, n;
            double *vals;
            st = cml_track_metric_history(t, r->id, keys[k], &steps, &vals, &n);
            if (st) break;
            if (k) cml_sb_puts(sb, ",");
            cml_sb_json_str(sb, keys[k]);
            cml_sb_puts(sb, ":[");
            for (int64_t i = 0; i < n; i++) {
                cml_sb_printf(sb, "%s[%lld,", i ? "," : "", (long long)steps[i]);
                cml_sb_json_num(sb, vals[i]);
                cml_sb_puts(sb, "]");
            }
            cml_sb_puts(sb, "]");
            free(steps);
            free(vals);
        }
        cml_track_strings_free(keys, nk);
        if (st) return st;
        cml_sb_puts(sb, "}");
    }
    cml_sb_puts(sb, "}");
    return CML_OK;
}

/* Parses a run id argument. */
static int parse_id(const cli_cmd *cmd, const char *s, int64_t *id)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < 1)
        return cli_usage(cmd, "run id must be a whole number >= 1, got \"%s\"", s);
    *id = v;
    return CLI_OK;
}

/* Reads runs by id (positional[from..]) or, with none given, every run of
 * --experiment (or all), newest first. */
static int read_runs(const cli_args *a, cml_track *t, int from, cml_track_run_info ***out,
                     int64_t *n)
{
    int64_t *ids = NULL, n_ids = 0;
    *out = NULL;
    *n = 0;
    int rc = CLI_OK;
    if (a->n_positional > from) {
        n_ids = a->n_positional - from;
        ids = malloc(sizeof *ids * (size_t)n_ids);
        if (!ids) return cli_fail(CML_ERR_NOMEM);
        for (int64_t i = 0; i < n_ids && !rc; i++)
            rc = parse_id(a->cmd, a->positional[from + i], &ids[i]);
    } else {
        cml_status st = cml_track_run_list(t, cli_get(a, "experiment"), &ids, &n_ids);
        if (st) return cli_fail_usage(st);
    }
    if (!rc && n_ids && !(*out = calloc((size_t)n_ids, sizeof **out))) rc = cli_fail(CML_ERR_NOMEM);
    for (int64_t i = 0; i < n_ids && !rc; i++) {
        cml_status st = cml_track_run_get(t, ids[i], &(*out)[i]);
        if (st)
            rc = cli_fail(st); /* an unknown id is a runtime error: the store decides */
        else
            (*n)++;
    }
    free(ids);
    return rc;
}

static void free_runs(cml_track_run_info **r, int64_t n)
{
    for (int64_t i = 0; r && i < n; i++)
        cml_track_run_info_free(r[i]);
    free(r);
}

/* ---------------------------------------------------------------- verbs */

static int do_list(const cli_args *a, cml_track *t, cml_track_run_info **r, int64_t n)
{
    if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_puts(&sb, "{\"command\":\"runs list\",\"runs\":[");
        for (int64_t i = 0; i < n; i++) {
            if (i) cml_sb_puts(&sb, ",");
            if (run_json(t, r[i], 0, &sb)) {
                cml_sb_free(&sb);
                return cli_fail(CML_ERR_IO);
            }
        }
        cml_sb_puts(&sb, "]}");
        cli_json_print(&sb);
        return CLI_OK;
    }
    printf("%-6s %-16s %-9s %-20s %9s  %-24s %s\n", "id", "experiment", "status", "started (UTC)",
           "seconds", "algo", "model");
    for (int64_t i = 0; i < n; i++) {
        char when[32];
        iso_time(r[i]->start_time, when, sizeof when);
        const char *algo = param_of(r[i], "algo");
        printf("%-6lld %-16s %-9s %-20s %9.3f  %-24s %s\n", (long long)r[i]->id, r[i]->experiment,
               r[i]->status, when, r[i]->duration, algo ? algo : "-",
               r[i]->model_path[0] ? r[i]->model_path : "-");
    }
    return CLI_OK;
}

static int do_show(const cli_args *a, cml_track *t, cml_track_run_info *r)
{
    if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_status st = run_json(t, r, 1, &sb);
        if (st) {
            cml_sb_free(&sb);
            return cli_fail(st);
        }
        cli_json_print(&sb);
        return CLI_OK;
    }
    char when[32];
    iso_time(r->start_time, when, sizeof when);
    printf("run %lld  experiment %s  %s\n", (long long)r->id, r->experiment, r->status);
    printf("  started     %s, %.3f s, cml %s\n", when, r->duration, r->cml_version);
    if (r->data_path[0]) printf("  data        %s  sha256 %s\n", r->data_path, r->data_sha256);
    if (r->model_path[0]) printf("  model       %s  sha256 %s\n", r->model_path, r->model_sha256);
    printf("params:\n");
    for (int64_t i = 0; i < r->n_params; i++)
        printf("  %-28s %s\n", r->params[i].key, r->params[i].text);
    printf("metrics:\n");
    for (int64_t i = 0; i < r->n_metrics; i++)
        printf("  %-28s %.6g\n", r->metrics[i].key, r->metrics[i].value);
    char **keys;
    int64_t nk;
    cml_status st = cml_track_metric_keys(t, r->id, &keys, &nk);
    if (st) return cli_fail(st);
    if (nk) printf("per-step metrics (steps, first -> last):\n");
    for (int64_t k = 0; k < nk && st == CML_OK; k++) {
        int64_t *steps, m;
        double *vals;
        st = cml_track_metric_history(t, r->id, keys[k], &steps, &vals, &m);
        if (st == CML_OK && m)
            printf("  %-28s %lld steps, %.6g -> %.6g\n", keys[k], (long long)m, vals[0],
                   vals[m - 1]);
        if (st == CML_OK) {
            free(steps);
            free(vals);
        }
    }
    cml_track_strings_free(keys, nk);
    return st ? cli_fail(st) : CLI_OK;
}

static int do_compare(const cli_args *a, const cml_track_comparison *c)
{
    int64_t n = c->n_runs;
    if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_puts(&sb, "{\"command\":\"runs compare\",\"runs\":[");
        for (int64_t i = 0; i < n; i++)
            cml_sb_printf(&sb, "%s%lld", i ? "," : "", (long long)c->runs[i]->id);
        cml_sb_puts(&sb, "],\"params\":{");
        for (int64_t k = 0; k < c->n_params; k++) {
            cml_sb_printf(&sb, "%s", k ? "," : "");
            cml_sb_json_str(&sb, c->param_keys[k]);
            cml_sb_puts(&sb, ":[");
            for (int64_t i = 0; i < n; i++) {
                const char *v = c->param_values[k * n + i];
                if (i) cml_sb_puts(&sb, ",");
                if (v)
                    cml_sb_json_str(&sb, v);
                else
                    cml_sb_puts(&sb, "null");
            }
            cml_sb_puts(&sb, "]");
        }
        cml_sb_puts(&sb, "},\"metrics\":{");
        for (int64_t k = 0; k < c->n_metrics; k++) {
            cml_sb_printf(&sb, "%s", k ? "," : "");
            cml_sb_json_str(&sb, c->metric_keys[k]);
            cml_sb_puts(&sb, ":[");
            for (int64_t i = 0; i < n; i++) {
                if (i) cml_sb_puts(&sb, ",");
                if (c->metric_has[k * n + i])
                    cml_sb_json_num(&sb, c->metric_values[k * n + i]);
                else
                    cml_sb_puts(&sb, "null");
            }
            cml_sb_puts(&sb, "]");
        }
        cml_sb_puts(&sb, "}}");
        cli_json_print(&sb);
        return CLI_OK;
    }
    /* a table: one column per run; '*' marks params that differ */
    printf("  %-30s", "run");
    for (int64_t i = 0; i < n; i++)
        printf(" %16lld", (long long)c->runs[i]->id);
    printf("\nparams:\n");
    for (int64_t k = 0; k < c->n_params; k++) {
        printf("%c %-30s", c->param_differs[k] ? '*' : ' ', c->param_keys[k]);
        for (int64_t i = 0; i < n; i++) {
            const char *v = c->param_values[k * n + i];
            printf(" %16.16s", v ? v : "-");
        }
        printf("\n");
    }
    printf("metrics:\n");
    for (int64_t k = 0; k < c->n_metrics; k++) {
        printf("  %-30s", c->metric_keys[k]);
        for (int64_t i = 0; i < n; i++) {
            if (c->metric_has[k * n + i])
                printf(" %16.6g", c->metric_values[k * n + i]);
            else
                printf(" %16s", "-");
        }
        printf("\n");
    }
    return CLI_OK;
}

/* RFC 4180: quote a field holding the separator, a quote or a newline. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A header cell "<prefix><key>", quoted as one field when it must be. */
static void csv_field_prefixed(FILE *f, const char *prefix, const char *key)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s", prefix, key);
    csv_field(f, buf);
}

static int do_export(const cli_args *a, cml_track *t, cml_track_run_info **r, int64_t n)
{
    const char *format = cli_get(a, "format");
    if (!format) format = "csv";
    if (strcmp(format, "csv") && strcmp(format, "json"))
        return cli_usage(a->cmd, "--format must be csv or json, got \"%s\"", format);
    const char *path = cli_get(a, "out");
    FILE *f = path && strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        cli_error("%s: cannot write", path);
        return CLI_RUNTIME;
    }
    int rc = CLI_OK;
    if (!strcmp(format, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_puts(&sb, "[");
        for (int64_t i = 0; i < n && !rc; i++) {
            if (i) cml_sb_puts(&sb, ",\n");
            cml_status st = run_json(t, r[i], 1, &sb);
            if (st) rc = cli_fail(st);
        }
        cml_sb_puts(&sb, "]");
        char *s = cml_sb_finish(&sb);
        if (!s && !rc) rc = cli_fail(CML_ERR_NOMEM);
        if (s && !rc) fprintf(f, "%s\n", s);
        free(s);
    } else {
        /* the comparison of every run gives the union of keys: the columns */
        int64_t *ids = malloc(sizeof *ids * (size_t)(n ? n : 1));
        cml_track_comparison *c = NULL;
        cml_status st = ids ? CML_OK : CML_ERR_NOMEM;
        for (int64_t i = 0; ids && i < n; i++)
            ids[i] = r[i]->id;
        if (st == CML_OK && n) st = cml_track_compare(t, ids, n, &c);
        free(ids);
        if (st != CML_OK) rc = cli_fail(st);
        if (!rc) {
            fputs("id,experiment,status,start_time,end_time,duration,cml_version,data_path,"
                  "data_sha256,model_path,model_sha256",
                  f);
            for (int64_t k = 0; c && k < c->n_params; k++) {
                fputs(",", f);
                csv_field_prefixed(f, "param.", c->param_keys[k]);
            }
            for (int64_t k = 0; c && k < c->n_metrics; k++) {
                fputs(",", f);
                csv_field_prefixed(f, "metric.", c->metric_keys[k]);
            }
            fputc('\n', f);
            for (int64_t i = 0; i < n; i++) {
                fprintf(f, "%lld,", (long long)r[i]->id);
                csv_field(f, r[i]->experiment);
                fprintf(f, ",%s,%.17g,%.17g,%.17g,", r[i]->status, r[i]->start_time, r[i]->end_time,
                        r[i]->duration);
                const char *const s[] = {r[i]->cml_version, r[i]->data_path, r[i]->data_sha256,
                                         r[i]->model_path, r[i]->model_sha256};
                for (int j = 0; j < 5; j++) {
                    if (j) fputc(',', f);
                    csv_field(f, s[j]);
                }
                for (int64_t k = 0; k < c->n_params; k++) {
                    const char *v = c->param_values[k * n + i];
                    fputc(',', f);
                    if (v) csv_field(f, v);
                }
                for (int64_t k = 0; k < c->n_metrics; k++) {
                    double v = c->metric_values[k * n + i];
                    if (c->metric_has[k * n + i] && !isnan(v))
                        fprintf(f, ",%.17g", v);
                    else
                        fputc(',', f);
                }
                fputc('\n', f);
            }
        }
        cml_track_comparison_free(c);
    }
    if (f != stdout && fclose(f) && !rc) {
        cli_error("%s: write failed", path);
        rc = CLI_RUNTIME;
    }
    return rc;
}

static const cli_opt opts[] = {
    {"store", "PATH", 0, "tracking store (default $CML_STORE, else ./cml.db)"},
    {"experiment", "NAME", 0, "only the runs of this experiment (list, export)"},
    {"format", "csv|json", 0, "export format (default csv)"},
    {"out", "FILE", 0, "export to FILE instead of stdout"},
    {"json", NULL, 0, "print one JSON object (list, show, compare)"},
    {NULL, NULL, 0, NULL}};

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (a.n_positional < 1) return cli_usage(cmd, "which one: list, show, compare or export?");
    const char *verb = a.positional[0];
    int from = 1;
    if (!strcmp(verb, "show") && a.n_positional != 2)
        return cli_usage(cmd, "runs show takes one run id");
    if (!strcmp(verb, "compare") && a.n_positional < 3)
        return cli_usage(cmd, "runs compare takes two or more run ids");
    if ((!strcmp(verb, "list") || !strcmp(verb, "export")) && a.n_positional > 1)
        return cli_usage(cmd, "runs %s takes no run id (--experiment NAME selects)", verb);
    if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "compare") &&
        strcmp(verb, "export"))
        return cli_usage(cmd, "unknown subcommand \"%s\"; valid: list, show, compare, export",
                         verb);
    if (!strcmp(verb, "show") || !strcmp(verb, "compare")) {
        for (int i = from; i < a.n_positional; i++) {
            int64_t id;
            if ((rc = parse_id(cmd, a.positional[i], &id))) return rc;
        }
    }
    cml_track *t;
    const char *path;
    if ((rc = cli_open_store(&a, 0, &t, &path))) return rc;
    cml_track_run_info **runs = NULL;
    int64_t n = 0;
    rc = read_runs(&a, t, from, &runs, &n);
    if (!rc) {
        if (!strcmp(verb, "list"))
            rc = do_list(&a, t, runs, n);
        else if (!strcmp(verb, "show"))
            rc = do_show(&a, t, runs[0]);
        else if (!strcmp(verb, "compare")) {
            int64_t ids[8];
            cml_track_comparison *c;
            for (int64_t i = 0; i < n; i++)
                ids[i] = runs[i]->id;
            cml_status st = cml_track_compare(t, ids, n, &c);
            rc = st == CML_OK ? do_compare(&a, c) : cli_fail(st);
            cml_track_comparison_free(c);
        } else
            rc = do_export(&a, t, runs, n);
    }
    free_runs(runs, n);
    cml_track_close(t);
    return rc;
}

const cli_cmd cli_cmd_runs = {
    "runs",
    "list | show ID | compare ID ID... | export [--format csv|json] [--store PATH] "
    "[--experiment NAME] [--json]",
    "list, show, compare and export tracked runs (cml fit --track records them)",
    "list: newest first. show: params, final metrics, per-step metric summaries, data and model "
    "sha256. compare: params and metrics side by side ('*' marks params that differ). export: "
    "one CSV row per run (param.<key>, metric.<key> columns) or a JSON array with the per-step "
    "histories. See docs/tracking.md.",
    opts,
    8,
    run};
