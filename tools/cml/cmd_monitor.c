/*
 * cmd_monitor.c — `cml monitor drift`: per-feature PSI and KL divergence
 * between a reference CSV (the training data) and a current one, with
 * thresholds and an exit status for cron/CI alerting (src/metrics/drift.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { EXIT_DRIFT = 3 }; /* documented in docs/monitoring.md */

/* One column of a loaded file, wherever cli_load_train put it. */
typedef struct col_view {
    const cml_column *col;
    const double *v;
    int64_t stride;
} col_view;

static int find_col(const cli_data *d, const char *name, col_view *out)
{
    int64_t j = cml_table_find(d->X, name);
    if (j >= 0) {
        *out = (col_view){&d->X->columns[j], d->X->data + j, d->X->cols};
        return 1;
    }
    if (d->target && !strcmp(d->target->name, name)) {
        *out = (col_view){d->target, d->y, 1};
        return 1;
    }
    return 0;
}

/* Re-codes a categorical column into the sorted union of both files'
 * levels (each file codes its own levels), so codes mean the same thing. */
static int union_codes(const col_view *r, int64_t nr, const col_view *c, int64_t nc, double **rv,
                       double **cv, int64_t *k)
{
    const cml_column *a = r->col, *b = c->col;
    int64_t *ma = malloc(sizeof *ma * (size_t)(a->n_levels + 1));
    int64_t *mb = malloc(sizeof *mb * (size_t)(b->n_levels + 1));
    *rv = malloc(sizeof **rv * (size_t)nr);
    *cv = malloc(sizeof **cv * (size_t)nc);
    if (!ma || !mb || !*rv || !*cv) {
        free(ma);
        free(mb);
        return cli_fail(CML_ERR_NOMEM);
    }
    int64_t i = 0, j = 0, u = 0; /* merge of two sorted level lists */
    while (i < a->n_levels || j < b->n_levels) {
        int cmp = i == a->n_levels ? 1 : j == b->n_levels ? -1 : strcmp(a->levels[i], b->levels[j]);
        if (cmp <= 0) ma[i++] = u;
        if (cmp >= 0) mb[j++] = u;
        u++;
    }
    for (int64_t t = 0; t < nr; t++) {
        double v = r->v[t * r->stride];
        (*rv)[t] = v == v ? (double)ma[(int64_t)v] : v;
    }
    for (int64_t t = 0; t < nc; t++) {
        double v = c->v[t * c->stride];
        (*cv)[t] = v == v ? (double)mb[(int64_t)v] : v;
    }
    *k = u;
    free(ma);
    free(mb);
    return CLI_OK;
}

static int parse_double(const cli_cmd *cmd, const char *opt, const char *v, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= 0) || d > 1e300)
        return cli_usage(cmd, "--%s must be a number >= 0, got \"%s\"", opt, v);
    *out = d;
    return CLI_OK;
}

static int ignored(const cli_args *a, const char *name)
{
    const char *const *v;
    int n = cli_get_all(a, "ignore", &v);
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i], name)) return 1;
    return 0;
}

static int drift(const cli_cmd *cmd, const cli_args *a)
{
    const char *ref = cli_require(a, "ref");
    if (!ref) return CLI_USAGE;
    const char *cur = cli_require(a, "cur");
    if (!cur) return CLI_USAGE;
    cml_drift_opts o = cml_drift_opts_default();
    double psi_max = 0.2, kl_max = -1;
    int rc;
    const char *v;
    if ((v = cli_get(a, "bins"))) {
        char *end;
        long n = strtol(v, &end, 10);
        if (end == v || *end || n < 2 || n > 1000)
            return cli_usage(cmd, "--bins must be a whole number in [2, 1000], got \"%s\"", v);
        o.n_bins = (int)n;
    }
    if ((v = cli_get(a, "psi-threshold")) && (rc = parse_double(cmd, "psi-threshold", v, &psi_max)))
        return rc;
    if ((v = cli_get(a, "kl-threshold")) && (rc = parse_double(cmd, "kl-threshold", v, &kl_max)))
        return rc;

    cli_data dr = {0}, dc = {0};
    if ((rc = cli_load_train(a, ref, NULL, 0, &dr))) return rc;
    if ((rc = cli_load_train(a, cur, NULL, 0, &dc))) {
        cli_data_free(&dr);
        return rc;
    }
    int64_t nr = dr.X->rows, nc = dc.X->rows;
    int64_t ncols = dr.X->cols + (dr.target != NULL);
    int json = cli_flag(a, "json"), n_drift = 0, n_checked = 0;
    cml_sb sb, drifted;
    cml_sb_init(&sb);
    cml_sb_init(&drifted);
    if (json) {
        cml_sb_puts(&sb, "{\"command\":\"monitor drift\",\"ref\":");
        cml_sb_json_str(&sb, ref);
        cml_sb_puts(&sb, ",\"cur\":");
        cml_sb_json_str(&sb, cur);
        cml_sb_printf(&sb, ",\"ref_rows\":%lld,\"cur_rows\":%lld,\"bins\":%d,\"psi_threshold\":",
                      (long long)nr, (long long)nc, o.n_bins);
        cml_sb_json_num(&sb, psi_max);
        cml_sb_puts(&sb, ",\"kl_threshold\":");
        if (kl_max >= 0)
            cml_sb_json_num(&sb, kl_max);
        else
            cml_sb_puts(&sb, "null");
        cml_sb_puts(&sb, ",\"features\":[");
    } else {
        printf("%s (%lld rows) -> %s (%lld rows)\n", ref, (long long)nr, cur, (long long)nc);
        printf("%-24s %-11s %10s %10s %5s %9s %9s\n", "feature", "kind", "psi", "kl", "bins",
               "ref_nan", "cur_nan");
    }
    int first = 1;
    for (int64_t j = 0; j < ncols && !rc; j++) {
        col_view r = {0}, c = {0};
        const char *name = j < dr.X->cols ? dr.X->columns[j].name : dr.target->name;
        find_col(&dr, name, &r);
        if (ignored(a, name)) continue;
        if (!find_col(&dc, name, &c)) {
            cli_error("%s: no column \"%s\" (it is in %s). HINT: --ignore %s skips it", cur, name,
                      ref, name);
            rc = CLI_RUNTIME;
            break;
        }
        int cat = r.col->kind == CML_COL_CATEGORICAL;
        if (cat != (c.col->kind == CML_COL_CATEGORICAL)) {
            cli_error("column \"%s\" is %s in %s but %s in %s", name, cat ? "text" : "numeric", ref,
                      cat ? "numeric" : "text", cur);
            rc = CLI_RUNTIME;
            break;
        }
        cml_drift d;
        cml_status st;
        if (cat) {
            double *rv = NULL, *cv = NULL;
            int64_t k = 0;
            rc = union_codes(&r, nr, &c, nc, &rv, &cv, &k);
            st = rc ? CML_OK : cml_drift_categorical(rv, nr, 1, cv, nc, 1, k, &o, &d);
            free(rv);
            free(cv);
            if (rc) break;
        } else {
            st = cml_drift_numeric(r.v, nr, r.stride, c.v, nc, c.stride, &o, &d);
        }
        if (st != CML_OK) {
            cml_fail_context(st, "column \"%s\"", name);
            rc = cli_fail(st);
            break;
        }
        n_checked++;
        int hit = d.psi > psi_max || (kl_max >= 0 && d.kl > kl_max);
        if (hit) {
            cml_sb_puts(&drifted, n_drift ? "," : "");
            cml_sb_json_str(&drifted, name);
            n_drift++;
        }
        if (json) {
            cml_sb_puts(&sb, first ? "{\"name\":" : ",{\"name\":");
            cml_sb_json_str(&sb, name);
            cml_sb_printf(&sb, ",\"kind\":\"%s\",\"psi\":", cat ? "categorical" : "numeric");
            cml_sb_json_num(&sb, d.psi);
            cml_sb_puts(&sb, ",\"kl\":");
            cml_sb_json_num(&sb, d.kl);
            cml_sb_printf(&sb, ",\"bins\":%lld,\"ref_missing\":", (long long)d.n_bins);
            cml_sb_json_num(&sb, d.ref_missing);
            cml_sb_puts(&sb, ",\"cur_missing\":");
            cml_sb_json_num(&sb, d.cur_missing);
            cml_sb_printf(&sb, ",\"drift\":%s}", hit ? "true" : "false");
        } else {
            printf("%-24s %-11s %10.4f %10.4f %5lld %9.4f %9.4f%s\n", name,
                   cat ? "categorical" : "numeric", d.psi, d.kl, (long long)d.n_bins, d.ref_missing,
                   d.cur_missing, hit ? "  DRIFT" : "");
        }
        first = 0;
    }
    char *dl = cml_sb_finish(&drifted);
    if (!rc && json) {
        cml_sb_printf(&sb, "],\"drifted\":[%s],\"drift\":%s}", dl ? dl : "",
                      n_drift ? "true" : "false");
        cli_json_print(&sb);
    } else {
        cml_sb_free(&sb);
        if (!rc)
            printf("%d of %d features drifted (psi > %g%s)\n", n_drift, n_checked, psi_max,
                   kl_max >= 0 ? " or kl above its threshold" : "");
    }
    free(dl);
    cli_data_free(&dr);
    cli_data_free(&dc);
    if (!rc && n_drift) rc = EXIT_DRIFT;
    return rc;
}

static const cli_opt opts[] = {
    {"ref", "FILE", 0, "reference CSV (e.g. the training data)"},
    {"cur", "FILE", 0, "current CSV (e.g. last week's requests)"},
    {"bins", "N", 0, "reference-quantile bins for numeric columns (default 10)"},
    {"psi-threshold", "X", 0, "a column drifts when its PSI exceeds X (default 0.2)"},
    {"kl-threshold", "X", 0, "... or when its KL divergence exceeds X (default: not checked)"},
    {"ignore", "COL", 1, "leave a column out (ids, timestamps)"},
    {"sep", "CHAR", 0, "field separator of both files"},
    {"json", NULL, 0, "print one JSON object"},
    {NULL, NULL, 0, NULL}};

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (a.n_positional != 1 || strcmp(a.positional[0], "drift"))
        return cli_usage(cmd, "the one monitor check so far is drift: cml monitor drift --ref "
                              "REF.csv --cur CUR.csv");
    return drift(cmd, &a);
}

const cli_cmd cli_cmd_monitor = {
    "monitor",
    "drift --ref REF.csv --cur CUR.csv [--bins N] [--psi-threshold X] [--kl-threshold X] "
    "[--ignore COL]... [--json]",
    "data drift per column: PSI and KL divergence; exit 3 when a threshold is exceeded",
    "Numeric columns are binned on the reference's quantiles, text columns by category; missing "
    "values get a bin of their own. PSI = sum (q - p) ln(q/p), KL = sum q ln(q/p) with p, q the "
    "reference and current bin shares (an empty bin counts as 1e-4). Exit status: 0 no drift, "
    "3 drift above a threshold (for cron/CI alerts), 1 runtime error, 2 usage error. See "
    "docs/monitoring.md.",
    opts,
    1,
    run};
