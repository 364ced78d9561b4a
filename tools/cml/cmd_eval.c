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

int cli_evaluate(const cml_model *m, const cli_data *d, const char *const *names, int n_names,
                 cml_sb *json, FILE *text, double *predict_seconds)
{
    int64_t n = d->X->rows, nc = cml_model_n_classes(m);
    int classify = cml_model_estimator(m)->task == CML_TASK_CLASSIFICATION;
    int has_proba = classify && cml_model_estimator(m)->predict_proba != NULL;
    int defaults = names == NULL;
    if (defaults) {
        names = classify ? default_classification : default_regression;
        n_names = classify ? (int)(sizeof default_classification / sizeof *names)
                           : (int)(sizeof default_regression / sizeof *names);
    }
    double *pred = malloc(sizeof(double) * (size_t)n);
    double *proba = has_proba ? malloc(sizeof(double) * (size_t)(n * nc)) : NULL;
    int rc = CLI_OK;
    if (!pred || (has_proba && !proba)) {
        free(pred);
        free(proba);
        return cli_fail(CML_ERR_NOMEM);
    }
    double t0 = cml_now();
    cml_status st = cli_model_predict(m, d, pred);
    if (st == CML_OK && has_proba) st = cli_model_predict_proba(m, d, proba);
    if (predict_seconds) *predict_seconds = cml_now() - t0;
    if (st != CML_OK) {
        rc = cli_fail(st);
        goto done;
    }
    if (json) cml_sb_puts(json, ",\"metrics\":{");
    int first = 1;
    for (int i = 0; i < n_names; i++) {
        const cml_metric_def *def = find_metric(names[i]);
        /* top_<k>_accuracy is parsed by the library; skip the lookup then */
        if (def && def->needs_proba && !has_proba) {
            if (defaults) continue;
            cli_error("metric %s needs probabilities; %s has none", names[i],
                      cml_model_estimator(m)->name);
            rc = CLI_USAGE;
            goto done;
        }
        double v;
        st = cml_metric_compute(names[i], d->y, pred, proba, cml_model_classes(m), nc, n, NULL, &v);
        if (st != CML_OK) {
            if (defaults) continue; /* e.g. roc_auc on a single-class sample */
            rc = cli_fail(st);
            goto done;
        }
        if (json) {
            cml_sb_printf(json, "%s", first ? "" : ",");
            cml_sb_json_str(json, names[i]);
            cml_sb_puts(json, ":");
            cml_sb_json_num(json, v);
        }
        if (text) fprintf(text, "  %-20s %.6g\n", names[i], v);
        first = 0;
    }
    if (json) cml_sb_puts(json, "}");
done:
    free(pred);
    free(proba);
    return rc;
}

static const cli_opt opts[] = {
    {"model", "FILE", 0, "fitted model (GGUF)"},
    {"data", "FILE", 0, "labelled CSV (same columns as at fit, with the target)"},
    {"target", "COL", 0, "target column, for models made through the C API"},
    {"metric", "NAME", 1, "metric to compute (default: the standard set for the task)"},
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
    "--model M.gguf --data FILE.csv [--metric NAME]... [--json]",
    "evaluate a saved model on labelled data",
    "Default metrics: accuracy, balanced_accuracy, precision/recall/f1 (macro), log_loss and "
    "roc_auc for classifiers; r2, rmse, mae, mse, explained_variance for regressors.",
    opts,
    0,
    run};
