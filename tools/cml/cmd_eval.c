/*
 * cmd_eval.c — `cml eval`: metrics of a saved model on labelled data, and
 * cli_evaluate(), shared with `fit --valid` and the tour.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cml/metrics.h"

static const char *const default_classification[] = {
    "accuracy", "balanced_accuracy", "precision_macro", "recall_macro",
    "f1_macro", "log_loss",          "roc_auc"};
static const char *const default_regression[] = {"r2", "rmse", "mae", "mse", "explained_variance"};

static const cml_metric_def *find_metric(const char *name)
{
    int n;
    const cml_metric_def *list = cml_metric_list(&n);
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i].name, name)) return &list[i];
    return NULL;
}

/* Scores predictions (rows n) against y with every metric in names; writes
 * "name":value pairs to json, "  name value" lines to text, and calls emit.
 * With the default set, metrics that do not apply (roc_auc on one class,
 * log_loss without probabilities) are skipped instead of failing. */
static int score(const cml_model *m, const double *y, const double *pred, const double *proba,
                 int64_t n, const char *const *names, int n_names, int defaults, cml_sb *json,
                 FILE *text, const char *indent, cli_metric_fn emit, void *user)
{
    int64_t nc = cml_model_n_classes(m);
    if (json) cml_sb_puts(json, "{");
    int first = 1;
    for (int i = 0; i < n_names; i++) {
        const cml_metric_def *def = find_metric(names[i]);
        /* top_<k>_accuracy is parsed by the library; skip the lookup then */
        if (def && def->needs_proba && !proba) {
            if (defaults) continue;
            cli_error("metric %s needs probabilities; %s has none", names[i],
                      cml_model_estimator(m)->name);
            return CLI_USAGE;
        }
        double v;
        cml_status st =
            cml_metric_compute(names[i], y, pred, proba, cml_model_classes(m), nc, n, NULL, &v);
        if (st != CML_OK) {
            if (defaults) continue; /* e.g. roc_auc on a single-class sample */
            return cli_fail(st);
        }
        if (json) {
            cml_sb_printf(json, "%s", first ? "" : ",");
            cml_sb_json_str(json, names[i]);
            cml_sb_puts(json, ":");
            cml_sb_json_num(json, v);
        }
        if (text) fprintf(text, "%s%-20s %.6g\n", indent, names[i], v);
        if (emit) emit(user, names[i], v);
        first = 0;
    }
    if (json) cml_sb_puts(json, "}");
    return CLI_OK;
}

/* Predictions (and probabilities, for classifiers that have them) of m on
 * d; malloc'd. */
static int predict_all(const cml_model *m, const cli_data *d, double **pred, double **proba,
                       double *seconds)
{
    int64_t n = d->X->rows, nc = cml_model_n_classes(m);
    int classify = cml_model_estimator(m)->task == CML_TASK_CLASSIFICATION;
    int has_proba = classify && cml_model_estimator(m)->predict_proba != NULL;
    cml_matrix X = cml_table_matrix(d->X);
    *pred = malloc(sizeof(double) * (size_t)(n ? n : 1));
    *proba = has_proba ? malloc(sizeof(double) * (size_t)(n * nc > 0 ? n * nc : 1)) : NULL;
    if (!*pred || (has_proba && !*proba)) return cli_fail(CML_ERR_NOMEM);
    double t0 = cml_now();
    cml_status st = cml_model_predict(m, &X, *pred);
    if (st == CML_OK && has_proba) st = cml_model_predict_proba(m, &X, *proba);
    if (seconds) *seconds = cml_now() - t0;
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

static int default_names(const cml_model *m, const char *const **names)
{
    if (cml_model_estimator(m)->task == CML_TASK_CLASSIFICATION) {
        *names = default_classification;
        return (int)(sizeof default_classification / sizeof *default_classification);
    }
    *names = default_regression;
    return (int)(sizeof default_regression / sizeof *default_regression);
}

int cli_evaluate_ex(const cml_model *m, const cli_data *d, const char *const *names, int n_names,
                    cml_sb *json, FILE *text, double *predict_seconds, cli_metric_fn emit,
                    void *user)
{
    int defaults = names == NULL;
    if (defaults) n_names = default_names(m, &names);
    double *pred = NULL, *proba = NULL;
    int rc = predict_all(m, d, &pred, &proba, predict_seconds);
    if (rc == CLI_OK) {
        if (json) cml_sb_puts(json, ",\"metrics\":");
        rc = score(m, d->y, pred, proba, d->X->rows, names, n_names, defaults, json, text, "  ",
                   emit, user);
    }
    free(pred);
    free(proba);
    return rc;
}

int cli_evaluate(const cml_model *m, const cli_data *d, const char *const *names, int n_names,
                 cml_sb *json, FILE *text, double *predict_seconds)
{
    return cli_evaluate_ex(m, d, names, n_names, json, text, predict_seconds, NULL, NULL);
}

/* ---------------------------------------------------------------- slices */

#define MAX_SLICES 1000

/* The --by column of the file, one value per row, and its levels when it is
 * categorical. Read with every column of the file (the model's schema keeps
 * only its features): a column that is not a feature (a region, a date
 * bucket) is the usual slicing key. */
typedef struct by_column {
    cli_data raw;
    const double *v; /* (rows) */
    int64_t stride;
    const cml_column *col;
} by_column;

static int load_by(const cli_args *a, const char *path, const char *name, int64_t rows,
                   by_column *b)
{
    memset(b, 0, sizeof *b);
    int rc = cli_load_train(a, path, NULL, 0, &b->raw);
    if (rc) return rc;
    int64_t j = cml_table_find(b->raw.X, name);
    if (j >= 0) {
        b->v = b->raw.X->data + j;
        b->stride = b->raw.X->cols;
        b->col = &b->raw.X->columns[j];
    } else if (b->raw.target && !strcmp(b->raw.target->name, name)) {
        b->v = b->raw.y;
        b->stride = 1;
        b->col = b->raw.target;
    } else {
        cli_error("%s: no column named \"%s\" (--by)", path, name);
        return CLI_USAGE;
    }
    if (b->raw.X->rows != rows) {
        cli_error("%s: read %lld rows for --by, %lld for the model", path,
                  (long long)b->raw.X->rows, (long long)rows);
        return CLI_RUNTIME;
    }
    return CLI_OK;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Metrics on each group of rows sharing a --by value (NaN: the group
 * "missing"), groups in ascending value order (level order for text). */
static int eval_slices(const cml_model *m, const cli_data *d, const by_column *b,
                       const char *const *names, int n_names, cml_sb *json, FILE *text)
{
    int64_t n = d->X->rows, nc = cml_model_n_classes(m);
    double *pred = NULL, *proba = NULL, *keys = malloc(sizeof(double) * (size_t)(n ? n : 1));
    double *ys = malloc(sizeof(double) * (size_t)(n ? n : 1));
    double *ps = malloc(sizeof(double) * (size_t)(n ? n : 1));
    double *qs = nc ? malloc(sizeof(double) * (size_t)(n * nc > 0 ? n * nc : 1)) : NULL;
    int rc = CLI_OK;
    if (!keys || !ys || !ps || (nc && !qs)) {
        rc = cli_fail(CML_ERR_NOMEM);
        goto done;
    }
    if ((rc = predict_all(m, d, &pred, &proba, NULL))) goto done;
    int64_t n_keys = 0, n_missing = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = b->v[i * b->stride];
        if (v == v)
            keys[n_keys++] = v;
        else
            n_missing++;
    }
    qsort(keys, (size_t)n_keys, sizeof *keys, cmp_double);
    int64_t u = 0;
    for (int64_t i = 0; i < n_keys; i++)
        if (!u || keys[i] != keys[u - 1]) keys[u++] = keys[i];
    if (u + (n_missing > 0) > MAX_SLICES) {
        cli_error("--by %s has %lld distinct values; at most %d slices. HINT: slice by a "
                  "categorical column or a binned copy of this one",
                  b->col->name, (long long)u, MAX_SLICES);
        rc = CLI_USAGE;
        goto done;
    }
    if (json) {
        cml_sb_puts(json, ",\"by\":");
        cml_sb_json_str(json, b->col->name);
        cml_sb_puts(json, ",\"slices\":[");
    }
    for (int64_t k = 0; k < u + (n_missing > 0); k++) {
        int missing = k == u;
        int64_t r = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = b->v[i * b->stride];
            if (missing ? v == v : v != keys[k]) continue;
            ys[r] = d->y[i];
            ps[r] = pred[i];
            if (proba) memcpy(qs + r * nc, proba + i * nc, sizeof(double) * (size_t)nc);
            r++;
        }
        char label[256];
        if (missing)
            snprintf(label, sizeof label, "(missing)");
        else
            cli_class_label(b->col, keys[k], label, sizeof label);
        if (json) {
            cml_sb_puts(json, k ? ",{\"value\":" : "{\"value\":");
            if (missing)
                cml_sb_puts(json, "null");
            else if (b->col->kind == CML_COL_CATEGORICAL)
                cml_sb_json_str(json, label);
            else
                cml_sb_json_num(json, keys[k]);
            cml_sb_printf(json, ",\"rows\":%lld,\"metrics\":", (long long)r);
        }
        if (text) fprintf(text, "%s = %s (%lld rows):\n", b->col->name, label, (long long)r);
        /* a metric undefined on one slice (roc_auc on a one-class slice) is
         * left out of that slice, as with the defaults */
        rc =
            score(m, ys, ps, proba ? qs : NULL, r, names, n_names, 1, json, text, "  ", NULL, NULL);
        if (rc) goto done;
        if (json) cml_sb_puts(json, "}");
    }
    if (json) cml_sb_puts(json, "]");
done:
    free(pred);
    free(proba);
    free(keys);
    free(ys);
    free(ps);
    free(qs);
    return rc;
}

static const cli_opt opts[] = {
    {"model", "FILE", 0, "fitted model (GGUF)"},
    {"data", "FILE", 0, "labelled CSV (same columns as at fit, with the target)"},
    {"target", "COL", 0, "target column, for models made through the C API"},
    {"metric", "NAME", 1, "metric to compute (default: the standard set for the task)"},
    {"by", "COLUMN", 0, "also compute the metrics on each group of rows sharing a value of COLUMN"},
    {"sep", "CHAR", 0, "field separator of the data"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"json", NULL, 0, "print one JSON object"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    const char *mpath = cli_require(&a, "model");
    if (!mpath) return CLI_USAGE;
    const char *data = cli_require(&a, "data");
    if (!data) return CLI_USAGE;

    const char *const *metrics;
    int n_metrics = cli_get_all(&a, "metric", &metrics);
    for (int i = 0; i < n_metrics; i++) {
        int n;
        const cml_metric_def *list = cml_metric_list(&n);
        if (!find_metric(metrics[i]) && strncmp(metrics[i], "top_", 4) != 0) {
            char names[1024] = "";
            for (int k = 0; k < n; k++) {
                strncat(names, k ? ", " : "", sizeof names - strlen(names) - 1);
                strncat(names, list[k].name, sizeof names - strlen(names) - 1);
            }
            return cli_usage(cmd, "unknown metric \"%s\"; valid: %s", metrics[i], names);
        }
    }
    cml_model *m;
    cml_gguf *g;
    cli_data d = {0};
    double t0 = cml_now(), predict_s = 0;
    cml_status st = cml_model_load(mpath, &m, &g);
    if (st != CML_OK) return cli_fail(st);
    int kind = cml_model_estimator(m)->task;
    if (kind != CML_TASK_CLASSIFICATION && kind != CML_TASK_REGRESSION) {
        cli_error("%s: %s is not a supervised model; nothing to evaluate", mpath,
                  cml_model_estimator(m)->name);
        rc = CLI_USAGE;
        goto done;
    }
    if ((rc = cli_load_for_model(&a, data, g, &d))) goto done;
    double load_s = cml_now() - t0;
    if (!d.y) {
        cli_error("%s: no target column to evaluate against", data);
        rc = CLI_RUNTIME;
        goto done;
    }
    int json = cli_flag(&a, "json");
    cml_sb sb;
    cml_sb_init(&sb);
    if (json) {
        cml_sb_puts(&sb, "{\"command\":\"eval\",\"model\":");
        cml_sb_json_str(&sb, mpath);
        cml_sb_printf(&sb, ",\"rows\":%lld", (long long)d.X->rows);
    } else {
        printf("%s on %s (%lld rows):\n", cml_model_estimator(m)->name, data, (long long)d.X->rows);
    }
    rc = cli_evaluate(m, &d, n_metrics ? metrics : NULL, n_metrics, json ? &sb : NULL,
                      json ? NULL : stdout, &predict_s);
    const char *by = cli_get(&a, "by");
    if (!rc && by) {
        by_column b;
        const char *const *names = n_metrics ? metrics : NULL;
        int n_names = n_metrics ? n_metrics : default_names(m, &names);
        rc = load_by(&a, data, by, d.X->rows, &b);
        if (!rc)
            rc = eval_slices(m, &d, &b, names, n_names, json ? &sb : NULL, json ? NULL : stdout);
        cli_data_free(&b.raw);
    }
    if (json) {
        cml_sb_printf(&sb, ",\"load_seconds\":%.9f,\"predict_seconds\":%.9f}", load_s, predict_s);
        if (!rc)
            cli_json_print(&sb);
        else
            cml_sb_free(&sb);
    }
done:
    cli_data_free(&d);
    cml_gguf_free(g);
    cml_model_free(m);
    return rc;
}

const cli_cmd cli_cmd_eval = {
    "eval",
    "--model M.gguf --data FILE.csv [--metric NAME]... [--by COLUMN] [--json]",
    "evaluate a saved model on labelled data",
    "Default metrics: accuracy, balanced_accuracy, precision/recall/f1 (macro), log_loss and "
    "roc_auc for classifiers; r2, rmse, mae, mse, explained_variance for regressors. --by COLUMN "
    "adds the same metrics on each slice of rows sharing a value of COLUMN (any column of the "
    "file, feature or not; missing values form their own slice); a metric undefined on a slice "
    "(roc_auc on one class) is left out of that slice.",
    opts,
    0,
    run};
