/*
 * cmd_tree.c — `cml tree export MODEL`: one tree of a saved decision tree,
 * random forest / extra trees or gbm model (or an XGBoost model.json) as
 * text, Graphviz DOT, or a PNG / SVG drawing.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_opt opts[] = {
    {"tree", "N", 0, "which tree of a forest or gbm (default 0)"},
    {"format", "F", 0, "text | dot | png | svg (default: from --out's extension, else text)"},
    {"out", "FILE", 0, "where to write (default stdout for text / dot; required for png / svg)"},
    {"max-depth", "D", 0, "deepest level shown; deeper branches elided (default: all; text 10)"},
    {"title", "TEXT", 0, "title drawn above the tree (png / svg)"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int write_text(const char *out, const char *s)
{
    FILE *f = out && strcmp(out, "-") ? fopen(out, "w") : stdout;
    if (!f) {
        cli_error("cannot write %s", out);
        return CLI_RUNTIME;
    }
    fputs(s, f);
    if (s[0] && s[strlen(s) - 1] != '\n') fputc('\n', f);
    int bad = ferror(f);
    if (f != stdout) bad |= fclose(f) != 0;
    if (bad) {
        cli_error("cannot write %s", out);
        return CLI_RUNTIME;
    }
    return CLI_OK;
}

static int parse_int(const cli_cmd *cmd, const char *opt, const char *v, int lo, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end || x < lo || x > 1000000)
        return cli_usage(cmd, "--%s: expected an integer >= %d, got \"%s\"", opt, lo, v);
    *out = (int)x;
    return CLI_OK;
}

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    if (a.n_positional != 2 || strcmp(a.positional[0], "export"))
        return cli_usage(cmd, "expected `cml tree export MODEL`");
    const char *mpath = a.positional[1];
    const char *out = cli_get(&a, "out"), *fmt = cli_get(&a, "format");
    const char *title = cli_get(&a, "title");
    int tree = 0, max_depth = -1;
    if (cli_get(&a, "tree") && (rc = parse_int(cmd, "tree", cli_get(&a, "tree"), 0, &tree)))
        return rc;
    if (cli_get(&a, "max-depth") &&
        (rc = parse_int(cmd, "max-depth", cli_get(&a, "max-depth"), 0, &max_depth)))
        return rc;
    if (!fmt)
        fmt = out && ends_with(out, ".png")   ? "png"
              : out && ends_with(out, ".svg") ? "svg"
              : out && ends_with(out, ".dot") ? "dot"
                                              : "text";
    const int image = !strcmp(fmt, "png") || !strcmp(fmt, "svg");
    if (!image && strcmp(fmt, "text") && strcmp(fmt, "dot"))
        return cli_usage(cmd, "--format: expected text, dot, png or svg, got \"%s\"", fmt);
    if (image && !out) return cli_usage(cmd, "--format %s needs --out FILE.%s", fmt, fmt);
    if (image && !ends_with(out, !strcmp(fmt, "png") ? ".png" : ".svg"))
        return cli_usage(cmd, "--out %s: a %s drawing needs a file name ending in .%s", out, fmt,
                         fmt);

    cml_model *m = NULL;
    cml_gbm *xgb = NULL;
    cml_gguf *g = NULL;
    cml_column *feat = NULL, *target = NULL;
    int64_t n_feat = 0;
    const char **fnames = NULL, **cnames = NULL;
    char(*cbuf)[128] = NULL;
    char *text = NULL;
    cml_status st = CML_OK;
    const cml_tree *dt = NULL;
    const cml_gbm *gb = NULL;
    if (ends_with(mpath, ".json")) {
        if ((st = cml_gbm_import_xgboost(mpath, &xgb)) != CML_OK) return cli_fail(st);
        gb = xgb;
    } else {
        if ((st = cml_model_load(mpath, &m, &g)) != CML_OK) return cli_fail(st);
        const char *kind = cml_model_estimator(m)->name;
        const void *s = cml_model_state(m);
        if (!strncmp(kind, "decision_tree_", 14)) {
            if (tree != 0) {
                rc = cli_usage(cmd, "--tree %d: a decision tree has only tree 0", tree);
                goto done;
            }
            dt = s;
        } else if (!strncmp(kind, "random_forest_", 14) || !strncmp(kind, "extra_trees_", 12)) {
            const int64_t nt = cml_forest_n_estimators(s);
            if (tree >= nt) {
                rc = cli_usage(cmd, "--tree %d: the forest has trees 0 .. %lld", tree,
                               (long long)nt - 1);
                goto done;
            }
            dt = cml_forest_tree(s, tree);
        } else if (!strncmp(kind, "gbm_", 4)) {
            gb = s;
        } else {
            cli_error("%s: %s is not a tree model. HINT: tree export works for decision trees, "
                      "random forests, extra trees and gbm models",
                      mpath, kind);
            rc = CLI_USAGE;
            goto done;
        }
        /* Feature names from the schema `cml fit` stored, when the trees
         * see the file's columns (no preprocessing step in between). */
        if (cml_model_n_steps(m) == 0 && cml_gguf_has(g, "cml.schema.features.names")) {
            if ((st = cml_columns_load(g, "cml.schema.features", &feat, &n_feat)) != CML_OK ||
                (st = cli_schema_target(g, &target)) != CML_OK) {
                rc = cli_fail(st);
                goto done;
            }
            if (n_feat == cml_model_n_features_in(m)) {
                fnames = malloc(sizeof *fnames * (size_t)n_feat);
                if (!fnames) {
                    rc = cli_fail(CML_ERR_NOMEM);
                    goto done;
                }
                for (int64_t j = 0; j < n_feat; j++)
                    fnames[j] = feat[j].name;
            }
        }
        const int64_t nc = cml_model_n_classes(m);
        if (dt && nc > 0 && target) {
            cbuf = malloc(sizeof *cbuf * (size_t)nc);
            cnames = malloc(sizeof *cnames * (size_t)nc);
            if (!cbuf || !cnames) {
                rc = cli_fail(CML_ERR_NOMEM);
                goto done;
            }
            for (int64_t k = 0; k < nc; k++) {
                cli_class_label(target, cml_model_classes(m)[k], cbuf[k], sizeof cbuf[k]);
                cnames[k] = cbuf[k];
            }
        }
    }
    if (gb && tree >= cml_gbm_n_trees(gb)) {
        rc =
            cli_usage(cmd, "--tree %d: the model has trees 0 .. %d", tree, cml_gbm_n_trees(gb) - 1);
        goto done;
    }
    if (dt) {
        cml_tree_export_opts o = cml_tree_export_opts_default();
        o.feature_names = fnames;
        o.class_names = cnames;
        o.max_depth = max_depth >= 0 ? max_depth : (strcmp(fmt, "text") ? -1 : 10);
        if (image)
            st = cml_tree_export_image(dt, &o, out, title);
        else if (!(text = !strcmp(fmt, "text") ? cml_tree_export_text(dt, &o)
                                               : cml_tree_export_dot(dt, &o)))
            st = CML_ERR_NOMEM;
    } else {
        if (image)
            st = cml_gbm_export_image(gb, tree, fnames, max_depth, out, title);
        else if (!(text = !strcmp(fmt, "text") ? cml_gbm_export_text(gb, tree, fnames)
                                               : cml_gbm_export_dot(gb, tree, fnames)))
            st = CML_ERR_NOMEM;
    }
    if (st != CML_OK) {
        rc = cli_fail(st);
        goto done;
    }
    if (text) rc = write_text(out, text);
done:
    free(text);
    free(fnames);
    free(cnames);
    free(cbuf);
    if (feat) cml_columns_free(feat, n_feat);
    if (target) cml_columns_free(target, 1);
    cml_gguf_free(g);
    cml_model_free(m);
    cml_gbm_free(xgb);
    return rc;
}

const cli_cmd cli_cmd_tree = {
    "tree",
    "export MODEL [--tree N] [--format text|dot|png|svg] [--out FILE] [--max-depth D]",
    "show one tree of a tree model: text, Graphviz DOT, or a drawing",
    "MODEL: a decision tree, random forest, extra trees or gbm model saved by `cml fit`, or an "
    "XGBoost model saved as JSON. Decision and forest trees print as scikit-learn's export_text "
    "/ export_graphviz and draw as plot_tree (split, impurity, samples, value, class; edges "
    "True / False); gbm trees print as XGBoost's dump with stats and draw with gain, cover and "
    "leaf values (edges yes / no, the missing side marked).",
    opts,
    2,
    run};
