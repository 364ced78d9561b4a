/*
 * cmd_explain.c — `cml explain`: exact TreeSHAP contributions of a tree
 * model (decision tree, random forest, extra trees, gbm — or an XGBoost
 * model.json, imported) for every row of a CSV, and optionally the global
 * importance mean |SHAP| per feature.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt opts[] = {
    {"model", "FILE", 0, "fitted tree model (GGUF), or an XGBoost model saved as JSON"},
    {"data", "FILE", 0, "CSV with the model's feature columns (a target column is ignored)"},
    {"out", "FILE", 0, "where to write the contributions (CSV; - for stdout)"},
    {"summary", NULL, 0, "print mean |SHAP| per feature (global importance), largest first"},
    {"sep", "CHAR", 0, "field separator of the data"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"json", NULL, 0, "print one JSON object with timings (and the summary)"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

typedef struct imp {
    double v;
    int64_t j;
} imp;

static int cmp_imp(const void *a, const void *b)
{
    const imp *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? 1 : -1;
    return x->j < y->j ? -1 : (x->j > y->j);
}

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
    const char *out = cli_get(&a, "out");
    const int summary = cli_flag(&a, "summary");
    if (!out && !summary) return cli_usage(cmd, "give --out FILE, --summary, or both");

    cml_model *m = NULL;
    cml_gbm *xgb = NULL;
    cml_gguf *g = NULL;
    cml_column *target = NULL;
    cli_data d = {0};
    double *phi = NULL;
    char **names = NULL;
    imp *im = NULL;
    int64_t K = 0, F = 0;
    cml_status st;
    double t0 = cml_now();
    if (ends_with(mpath, ".json") || ends_with(mpath, ".JSON")) {
        /* XGBoost model: features are the CSV's columns in order. */
        if ((st = cml_gbm_import_xgboost(mpath, &xgb)) != CML_OK) return cli_fail(st);
        if ((rc = cli_load_train(&a, data, NULL, 0, &d))) goto done;
        K = cml_gbm_n_outputs(xgb);
        F = cml_gbm_n_features_in(xgb);
    } else {
        if ((st = cml_model_load(mpath, &m, &g)) != CML_OK) return cli_fail(st);
        if ((rc = cli_shap_check(m, mpath))) goto done;
        if ((rc = cli_load_for_model(&a, data, g, &d))) goto done;
        if ((st = cli_schema_target(g, &target)) != CML_OK) {
            rc = cli_fail(st);
            goto done;
        }
    }
    double load_s = cml_now() - t0;
    cml_matrix X = cml_table_matrix(d.X);
    t0 = cml_now();
    if (xgb) {
        phi = malloc(sizeof(double) * (size_t)(X.rows * K * (F + 1)));
        if (!phi) {
            rc = cli_fail(CML_ERR_NOMEM);
            goto done;
        }
        if ((st = cml_gbm_shap_values(xgb, &X, phi)) != CML_OK) {
            rc = cli_fail(st);
            goto done;
        }
    } else if ((rc = cli_shap(m, mpath, &X, &phi, &K, &F))) {
        goto done;
    }
    double shap_s = cml_now() - t0;
    const double *classes = NULL;
    if (xgb)
        cml_gbm_classes(xgb, &classes);
    else
        classes = cml_model_classes(m);
    /* binary gbm: one margin, no class prefix */
    names = cli_shap_names(&d, F, K, target, K > 1 ? classes : NULL, "");
    if (!names) {
        rc = cli_fail(CML_ERR_NOMEM);
        goto done;
    }
    if (out && (rc = cli_write_matrix(out, (const char *const *)names, phi, X.rows, K * (F + 1))))
        goto done;

    cml_sb sb;
    cml_sb_init(&sb);
    const int json = cli_flag(&a, "json");
    if (summary) {
        im = calloc((size_t)(K * F), sizeof *im);
        if (!im) {
            cml_sb_free(&sb);
            rc = cli_fail(CML_ERR_NOMEM);
            goto done;
        }
        for (int64_t k = 0; k < K; k++)
            for (int64_t j = 0; j < F; j++) {
                double s = 0;
                for (int64_t i = 0; i < X.rows; i++)
                    s += fabs(phi[(i * K + k) * (F + 1) + j]);
                im[k * F + j] = (imp){X.rows ? s / (double)X.rows : 0.0, k * (F + 1) + j};
            }
        qsort(im, (size_t)(K * F), sizeof *im, cmp_imp);
        if (!json) {
            printf("%-40s %14s\n", "feature", "mean |SHAP|");
            for (int64_t r = 0; r < K * F; r++)
                printf("%-40s %14.6g\n", names[im[r].j], im[r].v);
        }
    }
    if (json) {
        cml_sb_puts(&sb, "{\"command\":\"explain\",\"model\":");
        cml_sb_json_str(&sb, mpath);
        cml_sb_printf(&sb, ",\"rows\":%lld,\"outputs\":%lld,\"features\":%lld", (long long)X.rows,
                      (long long)K, (long long)F);
        if (summary) {
            cml_sb_puts(&sb, ",\"mean_abs_shap\":{");
            for (int64_t r = 0; r < K * F; r++) {
                if (r) cml_sb_puts(&sb, ",");
                cml_sb_json_str(&sb, names[im[r].j]);
                cml_sb_printf(&sb, ":%.17g", im[r].v);
            }
            cml_sb_puts(&sb, "}");
        }
        cml_sb_printf(&sb, ",\"load_seconds\":%.9f,\"shap_seconds\":%.9f}", load_s, shap_s);
        cli_json_print(&sb);
    } else {
        cml_sb_free(&sb);
    }
done:
    cli_names_free(names, K * (F + 1));
    free(im);
    free(phi);
    if (target) cml_columns_free(target, 1);
    cli_data_free(&d);
    cml_gguf_free(g);
    cml_model_free(m);
    cml_gbm_free(xgb);
    return rc;
}

const cli_cmd cli_cmd_explain = {
    "explain",
    "--model M.gguf|M.json --data FILE.csv [--out SHAP.csv] [--summary] [--json]",
    "exact TreeSHAP contributions of a tree model's predictions",
    "For each row: one column per feature (its contribution) and `bias` (the expected value), "
    "which sum to the prediction: the class probabilities of decision trees, random forests and "
    "extra trees (columns CLASS:feature), the raw margin of gbm models (per class for "
    "multi-class). An XGBoost model saved with save_model(\"m.json\") is imported (features = "
    "the CSV's columns in order) and gives XGBoost's pred_contribs. --summary ranks the "
    "features by mean |SHAP|.",
    opts,
    0,
    run};
