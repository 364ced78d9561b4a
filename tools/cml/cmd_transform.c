/*
 * cmd_transform.c — `cml transform` (apply a fitted transformer) and
 * `cml fit-transform` (fit an unsupervised estimator and write its output:
 * the transformed data, or for clusterers the label of each row).
 */
#include <stdlib.h>

#include "cli.h"

static const cli_opt transform_opts[] = {
    {"model", "FILE", 0, "fitted transformer (GGUF)"},
    {"data", "FILE", 0, "CSV with the same feature columns as at fit"},
    {"out", "FILE", 0, "where to write the result (CSV c0,c1,...; - for stdout)"},
    {"sep", "CHAR", 0, "field separator of the data"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"json", NULL, 0, "print one JSON object with timings"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

static const cli_opt fit_transform_opts[] = {
    {"algo", "NAME", 0, "estimator (a transformer or a clusterer)"},
    {"data", "FILE", 0, "CSV; a column named target (or --target COL) is left out"},
    {"target", "COL", 0, "label column to leave out of the features"},
    {"out", "FILE", 0, "where to write the result (- for stdout)"},
    {"param", "KEY=VALUE", 1, "estimator parameter"},
    {"prep", "SPEC", 1, "preprocessing step before the estimator"},
    {"model", "OUT", 0, "also save the fitted model"},
    {"sep", "CHAR", 0, "field separator of the data"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"json", NULL, 0, "print one JSON object with timings"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

/* Writes the model's output for X: labels for clusterers, else transform. */
static int write_output(const cml_model *m, const cml_matrix *X, int use_labels, const char *out,
                        double *seconds)
{
    int64_t cols = use_labels ? 1 : cml_model_n_transform_cols(m);
    double *buf = malloc(sizeof(double) * (size_t)(X->rows * (cols ? cols : 1)));
    if (!buf) return cli_fail(CML_ERR_NOMEM);
    double t0 = cml_now();
    cml_status st = CML_OK;
    if (use_labels) {
        const int64_t *labels;
        int64_t n = cml_model_labels(m, &labels);
        if (n == X->rows)
            for (int64_t i = 0; i < n; i++)
                buf[i] = (double)labels[i];
        else
            st = cml_model_predict(m, X, buf);
    } else {
        st = cml_model_transform(m, X, buf);
    }
    *seconds = cml_now() - t0;
    int rc = st == CML_OK ? CLI_OK : cli_fail(st);
    if (!rc) {
        const char *label[] = {"label"};
        rc = cli_write_matrix(out, use_labels ? label : NULL, buf, X->rows, cols);
    }
    free(buf);
    return rc;
}

static void print_json(const char *cmd, const cml_model *m, int64_t rows, double load_s,
                       double fit_s, double tr_s)
{
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb, "{\"command\":\"%s\",\"algo\":", cmd);
    cml_sb_json_str(&sb, cml_model_estimator(m)->name);
    cml_sb_printf(&sb, ",\"rows\":%lld,\"load_seconds\":%.9f", (long long)rows, load_s);
    if (fit_s >= 0) cml_sb_printf(&sb, ",\"fit_seconds\":%.9f", fit_s);
    cml_sb_printf(&sb, ",\"transform_seconds\":%.9f}", tr_s);
    cli_json_print(&sb);
}

static int run_transform(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    const char *mpath = cli_require(&a, "model");
    if (!mpath) return CLI_USAGE;
    const char *data = cli_require(&a, "data");
    if (!data) return CLI_USAGE;
    const char *out = cli_require(&a, "out");
    if (!out) return CLI_USAGE;

    cml_model *m;
    cml_gguf *g;
    cli_data d = {0};
    double t0 = cml_now(), tr_s;
    cml_status st = cml_model_load(mpath, &m, &g);
    if (st != CML_OK) return cli_fail(st);
    if (!cml_model_estimator(m)->transform) {
        cli_error("%s: %s has no transform. HINT: use cml predict", mpath,
                  cml_model_estimator(m)->name);
        rc = CLI_USAGE;
    } else if (!(rc = cli_load_for_model(&a, data, g, &d))) {
        double load_s = cml_now() - t0;
        cml_matrix X = cml_table_matrix(d.X);
        rc = write_output(m, &X, 0, out, &tr_s);
        if (!rc && cli_flag(&a, "json")) print_json("transform", m, X.rows, load_s, -1, tr_s);
    }
    cli_data_free(&d);
    cml_gguf_free(g);
    cml_model_free(m);
    return rc;
}

static int run_fit_transform(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    const char *algo = cli_require(&a, "algo");
    if (!algo) return CLI_USAGE;
    const char *data = cli_require(&a, "data");
    if (!data) return CLI_USAGE;
    const char *out = cli_require(&a, "out");
    if (!out) return CLI_USAGE;

    cli_data d = {0};
    cml_model *m = NULL;
    double t0 = cml_now(), tr_s;
    if ((rc = cli_load_train(&a, data, cli_get(&a, "target"), 0, &d))) return rc;
    double load_s = cml_now() - t0;
    if ((rc = cli_build_model(&a, algo, d.X, &m))) goto done;
    const cml_estimator *est = cml_model_estimator(m);
    int use_labels = est->task == CML_TASK_CLUSTER;
    if (!use_labels && !est->transform) {
        cli_error("%s is not a transformer or clusterer. HINT: use cml fit", est->name);
        rc = CLI_USAGE;
        goto done;
    }
    cml_matrix X = cml_table_matrix(d.X);
    cml_status st = cml_model_fit(m, &X, d.y, NULL);
    if (st != CML_OK) {
        rc = cli_fail(st);
        goto done;
    }
    if ((rc = write_output(m, &X, use_labels, out, &tr_s))) goto done;
    const char *mpath = cli_get(&a, "model");
    if (mpath) {
        cli_schema schema = {d.X, NULL};
        st = cml_model_save(m, mpath, cli_schema_hook, &schema);
        if (st != CML_OK) {
            rc = cli_fail(st);
            goto done;
        }
    }
    if (cli_flag(&a, "json"))
        print_json("fit-transform", m, X.rows, load_s, cml_model_fit_seconds(m), tr_s);
done:
    cml_model_free(m);
    cli_data_free(&d);
    return rc;
}

const cli_cmd cli_cmd_transform = {"transform",
                                   "--model M.gguf --data FILE.csv --out OUT.csv [--json]",
                                   "apply a fitted transformer (scaler, PCA...) to a CSV",
                                   NULL,
                                   transform_opts,
                                   0,
                                   run_transform};

const cli_cmd cli_cmd_fit_transform = {
    "fit-transform",
    "--algo NAME --data FILE.csv --out OUT.csv [--param key=value]... [--model OUT.gguf]",
    "fit an unsupervised estimator and write its output (transform, or cluster labels)",
    "Clusterers write one `label` column (-1 = noise); transformers write c0,c1,...",
    fit_transform_opts,
    0,
    run_fit_transform};
