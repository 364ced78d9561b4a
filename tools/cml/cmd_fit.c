/*
 * cmd_fit.c — `cml fit`: read a CSV, fit an estimator (with optional
 * preprocessing steps), save it with its column schema.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt opts[] = {
    {"algo", "NAME", 0, "estimator name or alias (cml algos lists them)"},
    {"data", "FILE", 0, "training data, CSV with a header"},
    {"target", "COL", 0, "target column (default: a column named target, else the last)"},
    {"model", "OUT", 0, "where to save the fitted model (GGUF)"},
    {"param", "KEY=VALUE", 1, "estimator parameter (cml algos NAME lists them)"},
    {"prep", "SPEC", 1, "preprocessing step: impute=median, scale=standard|minmax, poly=2, onehot"},
    {"valid", "FILE", 0, "validation CSV: evaluated after the fit"},
    {"append", "MODEL", 0,
     "update a saved model with --data (partial_fit: naive Bayes); --model OUT "
     "(default: MODEL itself)"},
    {"sep", "CHAR", 0, "field separator (default ,; \"tab\" for TSV)"},
    {"threads", "N", 0, "threads for parallel loops (default: $CML_NUM_THREADS or all cores)"},
    {"track", NULL, 0, "record the run (params, metrics, data and model sha256) in the store"},
    {"experiment", "NAME", 0,
     "experiment the tracked run belongs to (default \"default\"; implies --track)"},
    {"store", "PATH", 0, "tracking store (default $CML_STORE, else ./cml.db; implies --track)"},
    {"json", NULL, 0, "print one JSON object with results and timings"},
    {"quiet", NULL, 0, "no warnings or progress on stderr"},
    {NULL, NULL, 0, NULL}};

/* --append MODEL: partial_fit of a saved model on --data (columns by the
 * model's schema, target required), saved to --model or back to MODEL
 * (atomically). For the discrete naive Bayes models this equals one fit on
 * all the rows seen. */
static int run_append(const cli_args *a)
{
    const char *in = cli_get(a, "append");
    const char *data = cli_require(a, "data");
    if (!data) return CLI_USAGE;
    const char *out = cli_get(a, "model") ? cli_get(a, "model") : in;
    if (cli_get(a, "prep") || cli_get(a, "param") || cli_get(a, "target"))
        return cli_usage(a->cmd, "--append takes the model as saved: no --prep, --param or "
                                 "--target");
    if (cli_flag(a, "track") || cli_get(a, "experiment") || cli_get(a, "store"))
        return cli_usage(a->cmd, "--append does not record runs: drop --track, --experiment "
                                 "and --store");
    cml_model *m;
    cml_gguf *g;
    cli_data d = {0};
    cml_status st = cml_model_load(in, &m, &g);
    if (st != CML_OK) return cli_fail(st);
    const char *algo = cli_get(a, "algo");
    const cml_estimator *est = cml_model_estimator(m);
    int rc = CLI_OK;
    if (algo && cml_estimator_find(algo) != est) {
        cli_error("--algo %s does not match the model in %s (%s)", algo, in, est->name);
        rc = CLI_USAGE;
    } else if (!cml_model_can_partial_fit(m)) {
        cli_error("%s: %s cannot be updated (no partial_fit). HINT: refit on all the data; the "
                  "naive Bayes models support --append",
                  in, est->name);
        rc = CLI_USAGE;
    } else if (!(rc = cli_load_for_model(a, data, g, &d)) && !d.y) {
        cli_error("%s: no target column; --append needs the labels", data);
        rc = CLI_USAGE;
    }
    if (!rc) {
        cml_matrix X = cml_table_matrix(d.X);
        double t0 = cml_now();
        st = cml_model_partial_fit(m, &X, d.y, NULL);
        double fit_s = cml_now() - t0;
        cli_schema schema = {d.X, d.target};
        if (st == CML_OK) st = cml_model_save(m, out, cli_schema_hook, &schema);
        if (st != CML_OK)
            rc = cli_fail(st);
        else if (cli_flag(a, "json"))
            printf("{\"command\":\"fit\",\"append\":true,\"algo\":\"%s\",\"rows\":%lld,"
                   "\"fit_seconds\":%.9f}\n",
                   est->name, (long long)X.rows, fit_s);
        else
            printf("updated %s with %lld rows in %.4f s -> %s\n", est->name, (long long)X.rows,
                   fit_s, out);
    }
    cli_data_free(&d);
    cml_gguf_free(g);
    cml_model_free(m);
    return rc;
}

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    if (cli_get(&a, "append")) return run_append(&a);
    const char *algo = cli_require(&a, "algo");
    if (!algo) return CLI_USAGE;
    const char *data = cli_require(&a, "data");
    if (!data) return CLI_USAGE;
    const char *out = cli_require(&a, "model");
    if (!out) return CLI_USAGE;

    const cml_estimator *est = cml_estimator_find(algo);
    if (!est) {
        cml_model *probe;
        return cli_fail_usage(cml_model_create(algo, &probe)); /* the message lists names */
    }
    int supervised = est->task == CML_TASK_CLASSIFICATION || est->task == CML_TASK_REGRESSION;

    cli_data d = {0}, v = {0};
    cml_model *m = NULL;
    cli_tracking tr = {0};
    int track = cli_flag(&a, "track") || cli_get(&a, "experiment") || cli_get(&a, "store");
    /* the store first: a bad --store fails before the fit, not after */
    if (track && (rc = cli_tracking_start(&a, &tr))) return rc;
    double t0 = cml_now();
    rc = cli_load_train(&a, data, cli_get(&a, "target"), supervised, &d);
    if (rc) goto done;
    double load_s = cml_now() - t0;
    if (est->task == CML_TASK_REGRESSION && d.target && d.target->kind == CML_COL_CATEGORICAL) {
        cli_error("%s: target column \"%s\" holds text, but %s is a regressor. HINT: pick a "
                  "classifier or another --target",
                  data, d.target->name, est->name);
        rc = CLI_USAGE;
        goto done;
    }
    if ((rc = cli_build_model(&a, est->name, d.X, &m))) goto done;

    const char *valid = cli_get(&a, "valid");
    if (valid && (rc = cli_load_with_schema(&a, valid, d.X->columns, d.X->cols, d.target, &v)))
        goto done;
    if (valid && !v.y) {
        cli_error("%s: no target column \"%s\"", valid, d.target ? d.target->name : "target");
        rc = CLI_RUNTIME;
        goto done;
    }

    cml_matrix X = cml_table_matrix(d.X);
    cml_matrix Xv = valid ? cml_table_matrix(v.X) : X;
    cml_fit_opts fo = {NULL, valid ? &Xv : NULL, valid ? v.y : NULL};
    if (track && (rc = cli_tracking_params(&tr, &a, m, data, d.target))) goto done;
    if (track) cli_tracking_hook(&tr, 1);
    cml_status st = cml_model_fit(m, &X, d.y, &fo);
    if (track) cli_tracking_hook(&tr, 0);
    if (st != CML_OK) {
        rc = cli_fail(st);
        if (track) cli_tracking_end(&tr, CML_RUN_FAILED, NULL); /* the failure is recorded too */
        goto done;
    }
    double fit_s = cml_model_fit_seconds(m);

    t0 = cml_now();
    cli_schema schema = {d.X, d.target};
    st = cml_model_save(m, out, cli_schema_hook, &schema);
    if (st != CML_OK) {
        rc = cli_fail(st);
        if (track) {
            cml_track_log_final(tr.run, "fit_seconds", fit_s);
            cli_tracking_end(&tr, CML_RUN_FAILED, NULL); /* fitted, but no model file */
        }
        goto done;
    }
    double save_s = cml_now() - t0;

    const cml_fit_info *info = cml_model_fit_info(m);
    int json = cli_flag(&a, "json");
    cml_sb sb;
    cml_sb_init(&sb);
    if (json) {
        cml_sb_puts(&sb, "{\"command\":\"fit\",\"algo\":");
        cml_sb_json_str(&sb, est->name);
        cml_sb_puts(&sb, ",\"model\":");
        cml_sb_json_str(&sb, out);
        cml_sb_printf(&sb, ",\"rows\":%lld,\"features\":%lld", (long long)d.X->rows,
                      (long long)d.X->cols);
        if (cml_model_n_classes(m))
            cml_sb_printf(&sb, ",\"classes\":%lld", (long long)cml_model_n_classes(m));
        cml_sb_printf(&sb, ",\"n_iter\":%d,\"converged\":%s", info->n_iter,
                      info->converged ? "true" : "false");
        cml_sb_printf(&sb, ",\"load_seconds\":%.9f,\"fit_seconds\":%.9f,\"save_seconds\":%.9f",
                      load_s, fit_s, save_s);
    } else {
        printf("fitted %s on %lld rows x %lld features in %.4f s", est->name, (long long)d.X->rows,
               (long long)d.X->cols, fit_s);
        if (info->n_iter)
            printf(" (%d iterations%s)", info->n_iter, info->converged ? "" : ", NOT converged");
        printf(" -> %s\n", out);
    }
    if (valid) {
        if (!json) printf("validation (%s, %lld rows):\n", valid, (long long)v.X->rows);
        rc = cli_evaluate_ex(m, &v, NULL, 0, json ? &sb : NULL, json ? NULL : stdout, NULL,
                             track ? cli_tracking_metric : NULL, &tr);
    }
    if (track && !rc) {
        cml_track_log_final(tr.run, "fit_seconds", fit_s);
        cml_track_log_final(tr.run, "n_iter", info->n_iter);
        cml_track_log_final(tr.run, "converged", info->converged);
        if (info->objective == info->objective)
            cml_track_log_final(tr.run, "objective", info->objective);
        st = cml_track_log_model(tr.run, out);
        if (st != CML_OK) rc = cli_fail(st);
        int64_t run_id = 0;
        if (!rc) rc = cli_tracking_end(&tr, CML_RUN_FINISHED, &run_id);
        if (!rc && json) cml_sb_printf(&sb, ",\"run_id\":%lld", (long long)run_id);
        if (!rc && !json) printf("recorded run %lld in %s\n", (long long)run_id, tr.store_path);
    }
    if (json) {
        cml_sb_puts(&sb, "}");
        if (!rc)
            cli_json_print(&sb);
        else
            cml_sb_free(&sb);
    }
done:
    cli_tracking_free(&tr);
    cml_model_free(m);
    cli_data_free(&d);
    cli_data_free(&v);
    return rc;
}

const cli_cmd cli_cmd_fit = {
    "fit",
    "--algo NAME --data TRAIN.csv [--target COL] --model OUT.gguf [--param key=value]... "
    "[--prep SPEC]... [--valid FILE] [--track [--experiment NAME] [--store PATH]] [--threads N] "
    "[--json]",
    "fit an estimator on a CSV and save it",
    "String columns become categorical codes; their levels are saved with the model so predict "
    "maps new files the same way. Preprocessing steps (--prep) are fitted on the training data and "
    "saved inside the model; predict applies them. --track records the run in a SQLite store "
    "(cml runs, cml registry; docs/tracking.md): every estimator parameter, the per-step "
    "metrics the training loop reports, validation metrics (valid_<name>), fit time, the sha256 "
    "of the data and model files; the run is written in one transaction after the model is "
    "saved, so an interrupted fit records nothing.",
    opts,
    0,
    run};
