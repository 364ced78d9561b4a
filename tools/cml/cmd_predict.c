/*
 * cmd_predict.c — `cml predict`: apply a saved model to a CSV.
 */
#include <stdlib.h>

#include "cli.h"

static const cli_opt opts[] = {
    {"model", "FILE", 0, "fitted model (GGUF)"},
    {"data", "FILE", 0, "CSV with the same feature columns as at fit (a target column is ignored)"},
    {"out", "FILE", 0, "where to write predictions (CSV; - for stdout)"},
    {"proba", NULL, 0, "also write class probabilities (proba_<class> columns)"},
    {"contrib", NULL, 0,
     "also write TreeSHAP contributions (contrib_<feature>, contrib_bias columns; tree models)"},
    {"sep", "CHAR", 0, "field separator of the data"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"json", NULL, 0, "print one JSON object with timings"},
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
    const char *out = cli_require(&a, "out");
    if (!out) return CLI_USAGE;
    int want_proba = cli_flag(&a, "proba");
    const int want_contrib = cli_flag(&a, "contrib");

    cml_model *m = NULL;
    cml_gguf *g = NULL;
    cli_data d = {0};
    double *pred = NULL, *proba = NULL, *phi = NULL;
    char **names = NULL;
    int64_t K = 0, F = 0;
    double t0 = cml_now();
    cml_status st = cml_model_load(mpath, &m, &g);
    if (st != CML_OK) return cli_fail(st);
    if ((rc = cli_load_for_model(&a, data, g, &d))) goto done;
    double load_s = cml_now() - t0;

    cml_matrix X = cml_table_matrix(d.X);
    int64_t nc = cml_model_n_classes(m);
    if (want_contrib && (rc = cli_shap_check(m, mpath))) goto done;
    if (want_proba && !nc) {
        cli_error("--proba: %s is not a classifier", cml_model_estimator(m)->name);
        rc = CLI_USAGE;
        goto done;
    }
    pred = malloc(sizeof(double) * (size_t)X.rows);
    proba = want_proba ? malloc(sizeof(double) * (size_t)(X.rows * nc)) : NULL;
    if (!pred || (want_proba && !proba)) {
        rc = cli_fail(CML_ERR_NOMEM);
        goto done;
    }
    t0 = cml_now();
    st = cli_model_predict(m, &d, pred);
    if (st == CML_OK && want_proba) st = cli_model_predict_proba(m, &d, proba);
    if (st != CML_OK) {
        rc = cli_fail(st);
        goto done;
    }
    if (want_contrib && (rc = cli_shap(m, mpath, &X, &phi, &K, &F))) goto done;
    double predict_s = cml_now() - t0;
    cml_column *target = NULL;
    st = cli_schema_target(g, &target);
    if (st != CML_OK) {
        rc = cli_fail(st);
        goto done;
    }
    if (want_contrib) {
        names = cli_shap_names(&d, F, K, target, K > 1 ? cml_model_classes(m) : NULL, "contrib_");
        if (!names) {
            if (target) cml_columns_free(target, 1);
            rc = cli_fail(CML_ERR_NOMEM);
            goto done;
        }
    }
    t0 = cml_now();
    rc = cli_write_predictions(out, target, pred, proba, cml_model_classes(m), nc, X.rows,
                               (const char *const *)names, phi, K * (F + 1));
    double save_s = cml_now() - t0;
    if (target) cml_columns_free(target, 1);
    if (!rc && cli_flag(&a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_puts(&sb, "{\"command\":\"predict\",\"model\":");
        cml_sb_json_str(&sb, mpath);
        cml_sb_printf(&sb,
                      ",\"rows\":%lld,\"load_seconds\":%.9f,\"predict_seconds\":%.9f,"
                      "\"save_seconds\":%.9f}",
                      (long long)X.rows, load_s, predict_s, save_s);
        cli_json_print(&sb);
    }
done:
    free(pred);
    free(proba);
    free(phi);
    cli_names_free(names, K * (F + 1));
    cli_data_free(&d);
    cml_gguf_free(g);
    cml_model_free(m);
    return rc;
}

const cli_cmd cli_cmd_predict = {
    "predict",
    "--model M.gguf --data FILE.csv --out PRED.csv [--proba] [--contrib] [--json]",
    "predict with a saved model",
    "Columns are matched by name with the model's schema; a category not seen at fit time is an "
    "error naming the cell. Output: a `prediction` column (class labels as in the training file) "
    "and "
    "proba_<class> columns with --proba. --contrib adds the exact TreeSHAP contributions of a "
    "tree model (as `cml explain`): per output, contrib_<feature> and contrib_bias, summing to "
    "the raw margin of a gbm (per class for multi-class) or to the probabilities / value of "
    "trees and forests.",
    opts,
    0,
    run};
