/*
 * cmd_import.c — `cml import xgboost MODEL.json --out MODEL.gguf`: converts
 * a model saved by XGBoost's save_model("model.json") (gbtree; numerical
 * and categorical splits) into a cml gbm model file, so `cml predict`,
 * `cml explain`, `cml serve`... use it without the JSON. The conversion is
 * cml_gbm_import_xgboost_model (src/ensemble/gbm_xgb_import.c): predictions
 * equal XGBoost's up to its float32 summation.
 */
#include <string.h>

#include "cli.h"

static const cli_opt opts[] = {{"out", "FILE", 0, "where to write the cml model (GGUF)"},
                               {"json", NULL, 0, "print one JSON object with what was imported"},
                               {"quiet", NULL, 0, "no warnings on stderr"},
                               {NULL, NULL, 0, NULL}};

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (a.n_positional != 2) return cli_usage(cmd, "expected a format and a model file");
    if (strcmp(a.positional[0], "xgboost"))
        return cli_usage(cmd, "unknown format \"%s\" (known: xgboost)", a.positional[0]);
    const char *in = a.positional[1];
    const char *out = cli_require(&a, "out");
    if (!out) return CLI_USAGE;
    double t0 = cml_now();
    cml_model *m = NULL;
    cml_status st = cml_gbm_import_xgboost_model(in, &m);
    if (st == CML_OK) st = cml_model_save(m, out, NULL, NULL);
    if (st != CML_OK) {
        cml_model_free(m);
        return cli_fail(st);
    }
    const cml_gbm *g = cml_model_state(m);
    if (cli_flag(&a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_puts(&sb, "{\"command\":\"import\",\"format\":\"xgboost\",\"model\":");
        cml_sb_json_str(&sb, in);
        cml_sb_puts(&sb, ",\"out\":");
        cml_sb_json_str(&sb, out);
        cml_sb_puts(&sb, ",\"kind\":");
        cml_sb_json_str(&sb, cml_model_estimator(m)->name);
        cml_sb_printf(&sb, ",\"features\":%lld,\"trees\":%d,\"seconds\":%.9f}",
                      (long long)cml_gbm_n_features_in(g), cml_gbm_n_trees(g), cml_now() - t0);
        cli_json_print(&sb);
    } else if (!cli_flag(&a, "quiet")) {
        printf("imported %s (%s, %d trees, %lld features) -> %s\n", in,
               cml_model_estimator(m)->name, cml_gbm_n_trees(g),
               (long long)cml_gbm_n_features_in(g), out);
    }
    cml_model_free(m);
    return CLI_OK;
}

const cli_cmd cli_cmd_import = {
    "import",
    "xgboost MODEL.json --out MODEL.gguf [--json]",
    "convert an XGBoost model (save_model JSON) into a cml model file",
    "Reads a gbtree model saved by XGBoost's Booster.save_model(\"m.json\") (or "
    "XGBRegressor / XGBClassifier.save_model), numerical and categorical splits, objectives "
    "reg:squarederror, reg:absoluteerror, reg:pseudohubererror, reg:quantileerror, "
    "count:poisson, binary:logistic, multi:softprob / softmax, and writes a gbm_regressor or "
    "gbm_classifier GGUF. Features are positional: `cml predict` takes the CSV's columns in "
    "order (a column named by --target, or the last one, is the target), categorical ones as "
    "the codes XGBoost saw. Classifiers get the classes 0 .. K-1.",
    opts,
    2,
    run};
