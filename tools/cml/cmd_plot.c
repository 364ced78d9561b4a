/*
 * cmd_plot.c — `cml plot KIND`: pictures from CSV files and models, PNG or
 * SVG (or PDF) by the --out extension, drawn by src/plot.
 *
 *   scatter      2-D points (an embedding from `cml transform`) coloured by a
 *                label column, with a legend.
 *   line         columns of a CSV against a column or the row index (loss
 *                curves, metrics per epoch).
 *   elbow        k-means inertia for k in [k-min, k-max] on a data file; the
 *                values are printed as CSV (k,inertia) on stdout.
 *   calibration  reliability diagram and expected calibration error, from a
 *                predictions CSV (`cml predict --proba` plus a truth column)
 *                or from --model and --data; prints JSON (ece and bins).
 *   confusion    annotated confusion matrix with class names, from --model and
 *                --data or a predictions CSV; prints JSON (labels, counts).
 *
 * Column options take a column name (or its 0-based position when no column
 * has that name).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cml/cluster.h"
#include "cml/metrics.h"
#include "cml/plot.h"

static const cli_opt opts[] = {
    {"data", "FILE", 0,
     "input CSV (scatter, line: the values; elbow: the data to cluster; "
     "calibration: predictions with proba_* columns, or data for --model)"},
    {"out", "FILE", 0, "picture to write: .png, .svg or .pdf"},
    {"x", "COL", 0, "scatter: x column (default: first); line: x column (default: row index)"},
    {"y", "COL", 1, "scatter: y column (default: second); line: columns to draw (default: all)"},
    {"label", "COL", 0, "scatter: label column (default: label, else target, if present)"},
    {"target", "COL", 0, "elbow: label column left out of the features"},
    {"k-min", "N", 0, "elbow: smallest k (default 1)"},
    {"k-max", "N", 0, "elbow: largest k (default 10)"},
    {"param", "KEY=VALUE", 1, "elbow: k-means parameter (n_init, random_state, ...)"},
    {"model", "FILE", 0,
     "calibration, confusion: fitted classifier (with --data holding the target)"},
    {"truth", "COL", 0,
     "calibration, confusion: true-label column of a predictions CSV (default: target)"},
    {"bins", "N", 0, "calibration: number of bins (default 10)"},
    {"strategy", "NAME", 0, "calibration: uniform (default) or quantile bins"},
    {"title", "TEXT", 0, "chart title"},
    {"xlabel", "TEXT", 0, "x axis label"},
    {"ylabel", "TEXT", 0, "y axis label"},
    {"sep", "CHAR", 0, "field separator of the CSV"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

/* ---------------------------------------------------------------- helpers */

static int read_csv(const cli_args *a, const char *path, cml_table **t)
{
    cml_csv_opts o = cml_csv_opts_default();
    const char *sep = cli_get(a, "sep");
    if (sep) {
        if (!strcmp(sep, "tab") || !strcmp(sep, "\\t"))
            o.sep = '\t';
        else if (strlen(sep) == 1)
            o.sep = sep[0];
        else
            return cli_usage(a->cmd, "--sep must be one character (or \"tab\"), got \"%s\"", sep);
    }
    cml_status st = cml_csv_read(path, &o, t);
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

/* Column by name, else by 0-based position; -1 and an error if neither. */
static int64_t column_of(const cml_table *t, const char *path, const char *spec, int report)
{
    int64_t j = cml_table_find(t, spec);
    if (j >= 0) return j;
    char *end;
    long v = strtol(spec, &end, 10);
    if (*spec && !*end && v >= 0 && v < t->cols) return v;
    if (report) {
        char names[512];
        size_t used = 0;
        names[0] = '\0';
        for (int64_t k = 0; k < t->cols && used + 8 < sizeof names; k++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "",
                                     t->columns[k].name);
        cli_error("%s: no column \"%s\" (columns: %s)", path, spec, names);
    }
    return -1;
}

/* Column j as a new array. */
static double *column_copy(const cml_table *t, int64_t j)
{
    double *v = malloc(sizeof(double) * (size_t)t->rows);
    if (v)
        for (int64_t i = 0; i < t->rows; i++)
            v[i] = t->data[i * t->cols + j];
    return v;
}

static int parse_int(const cli_args *a, const char *name, int def, int lo, int hi, int *out)
{
    const char *s = cli_get(a, name);
    *out = def;
    if (!s) return CLI_OK;
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return cli_usage(a->cmd, "--%s must be an integer in [%d, %d], got \"%s\"", name, lo, hi,
                         s);
    *out = (int)v;
    return CLI_OK;
}

static int finish(const char *out, cml_status st)
{
    if (st != CML_OK) return cli_fail_usage(st);
    if (!cli_quiet) fprintf(stderr, "cml: wrote %s\n", out);
    return CLI_OK;
}

/* ---------------------------------------------------------------- scatter */

static int plot_scatter(const cli_args *a, const char *data, const char *out)
{
    cml_table *t;
    int rc = read_csv(a, data, &t);
    if (rc) return rc;
    int64_t *labels = NULL;
    const char **names = NULL;
    double *x = NULL, *y = NULL;
    int64_t jl = -1;
    const char *lspec = cli_get(a, "label");
    if (lspec) {
        if ((jl = column_of(t, data, lspec, 1)) < 0) goto usage;
    } else {
        jl = cml_table_find(t, "label");
        if (jl < 0) jl = cml_table_find(t, "target");
    }
    /* x, y: named, else the first two columns that are not the label. */
    int64_t jx = -1, jy = -1;
    const char *const *ys;
    int ny = cli_get_all(a, "y", &ys);
    if (cli_get(a, "x") && (jx = column_of(t, data, cli_get(a, "x"), 1)) < 0) goto usage;
    if (ny > 1) {
        cli_usage(a->cmd, "scatter takes one --y column");
        goto usage;
    }
    if (ny == 1 && (jy = column_of(t, data, ys[0], 1)) < 0) goto usage;
    for (int64_t j = 0; j < t->cols && (jx < 0 || jy < 0); j++) {
        if (j == jl || j == jx || j == jy) continue;
        if (jx < 0)
            jx = j;
        else
            jy = j;
    }
    if (jx < 0 || jy < 0) {
        cli_error("%s: scatter needs two coordinate columns besides the label", data);
        goto usage;
    }
    x = column_copy(t, jx);
    y = column_copy(t, jy);
    if (!x || !y) goto nomem;
    if (jl >= 0) {
        const cml_column *c = &t->columns[jl];
        labels = malloc(sizeof(int64_t) * (size_t)t->rows);
        if (!labels) goto nomem;
        for (int64_t i = 0; i < t->rows; i++) {
            double v = t->data[i * t->cols + jl];
            if (!(v == floor(v) && fabs(v) < 1e15)) {
                cli_error("%s: label column \"%s\" holds %.17g at row %lld, not a class "
                          "(HINT: labels are integers or strings)",
                          data, c->name, v, (long long)i + 1);
                goto usage;
            }
            labels[i] = (int64_t)v;
        }
        if (c->kind == CML_COL_CATEGORICAL) {
            names = calloc((size_t)c->n_levels + 1, sizeof *names);
            if (!names) goto nomem;
            for (int64_t k = 0; k < c->n_levels; k++)
                names[k] = c->levels[k];
        }
    }
    const char *title = cli_get(a, "title");
    cml_status st =
        cml_plot_scatter(out, x, y, t->rows, labels, names, title ? title : "Scatter",
                         cli_get(a, "xlabel") ? cli_get(a, "xlabel") : t->columns[jx].name,
                         cli_get(a, "ylabel") ? cli_get(a, "ylabel") : t->columns[jy].name);
    rc = finish(out, st);
    goto done;
nomem:
    rc = cli_fail(CML_ERR_NOMEM);
    goto done;
usage:
    rc = CLI_USAGE;
done:
    free(x);
    free(y);
    free(labels);
    free(names);
    cml_table_free(t);
    return rc;
}

/* ---------------------------------------------------------------- line */

static int plot_line(const cli_args *a, const char *data, const char *out)
{
    cml_table *t;
    int rc = read_csv(a, data, &t);
    if (rc) return rc;
    int64_t jx = -1;
    double *xs = NULL, *ys = NULL;
    int64_t *cols = NULL;
    const char **names = NULL;
    int n_series = 0;
    if (cli_get(a, "x") && (jx = column_of(t, data, cli_get(a, "x"), 1)) < 0) goto usage;
    const char *const *yspec;
    int ny = cli_get_all(a, "y", &yspec);
    cols = malloc(sizeof(int64_t) * (size_t)t->cols);
    names = calloc((size_t)t->cols + 1, sizeof *names);
    if (!cols || !names) goto nomem;
    if (ny > 0) {
        for (int k = 0; k < ny; k++)
            if ((cols[n_series++] = column_of(t, data, yspec[k], 1)) < 0) goto usage;
    } else {
        for (int64_t j = 0; j < t->cols; j++)
            if (j != jx) cols[n_series++] = j;
    }
    if (n_series == 0) {
        cli_error("%s: no column to draw besides the x column", data);
        goto usage;
    }
    ys = malloc(sizeof(double) * (size_t)(n_series * t->rows));
    if (!ys) goto nomem;
    for (int s = 0; s < n_series; s++) {
        names[s] = t->columns[cols[s]].name;
        for (int64_t i = 0; i < t->rows; i++)
            ys[s * t->rows + i] = t->data[i * t->cols + cols[s]];
    }
    if (jx >= 0 && !(xs = column_copy(t, jx))) goto nomem;
    const char *title = cli_get(a, "title");
    const char *xl = cli_get(a, "xlabel"), *yl = cli_get(a, "ylabel");
    cml_status st = cml_plot_lines(out, xs, ys, n_series, t->rows, names, title ? title : data,
                                   xl ? xl : (jx >= 0 ? t->columns[jx].name : "row"),
                                   yl ? yl : (n_series == 1 ? names[0] : NULL));
    rc = finish(out, st);
    goto done;
nomem:
    rc = cli_fail(CML_ERR_NOMEM);
    goto done;
usage:
    rc = CLI_USAGE;
done:
    free(xs);
    free(ys);
    free(cols);
    free(names);
    cml_table_free(t);
    return rc;
}

/* ---------------------------------------------------------------- elbow */

static int plot_elbow(const cli_args *a, const char *data, const char *out)
{
    int k_min, k_max, rc;
    if ((rc = parse_int(a, "k-min", 1, 1, 100000, &k_min))) return rc;
    if ((rc = parse_int(a, "k-max", 10, 1, 100000, &k_max))) return rc;
    if (k_max < k_min)
        return cli_usage(a->cmd, "--k-max (%d) must be >= --k-min (%d)", k_max, k_min);
    cli_data d = {0};
    if ((rc = cli_load_train(a, data, cli_get(a, "target"), 0, &d))) return rc;
    cml_matrix X = cml_table_matrix(d.X);
    if (k_max > X.rows) {
        cli_error("%s: --k-max %d exceeds the number of rows (%lld)", data, k_max,
                  (long long)X.rows);
        cli_data_free(&d);
        return CLI_USAGE;
    }
    int nk = k_max - k_min + 1;
    double *ks = malloc(sizeof(double) * (size_t)nk),
           *inertia = malloc(sizeof(double) * (size_t)nk);
    cml_model *m = NULL;
    cml_status st = CML_OK;
    if (!ks || !inertia) {
        rc = cli_fail(CML_ERR_NOMEM);
        goto done;
    }
    const char *const *params;
    int np = cli_get_all(a, "param", &params);
    for (int k = k_min; k <= k_max; k++) {
        if ((st = cml_model_create("kmeans", &m)) != CML_OK) break;
        for (int p = 0; p < np && st == CML_OK; p++) {
            char key[128];
            const char *eq = strchr(params[p], '=');
            if (!eq || eq == params[p] || (size_t)(eq - params[p]) >= sizeof key) {
                cml_model_free(m);
                m = NULL;
                rc = cli_usage(a->cmd, "--param takes KEY=VALUE, got \"%s\"", params[p]);
                goto done;
            }
            memcpy(key, params[p], (size_t)(eq - params[p]));
            key[eq - params[p]] = '\0';
            if (!strcmp(key, "n_clusters")) {
                cml_model_free(m);
                m = NULL;
                rc = cli_usage(a->cmd, "n_clusters is set by --k-min/--k-max");
                goto done;
            }
            st = cml_model_set_param(m, key, eq + 1);
        }
        char kb[16];
        snprintf(kb, sizeof kb, "%d", k);
        if (st == CML_OK) st = cml_model_set_param(m, "n_clusters", kb);
        if (st == CML_OK) st = cml_model_fit(m, &X, NULL, NULL);
        if (st != CML_OK) break;
        ks[k - k_min] = k;
        inertia[k - k_min] = cml_kmeans_inertia((const cml_kmeans *)cml_model_state(m));
        cml_model_free(m);
        m = NULL;
    }
    if (st != CML_OK) {
        rc = cli_fail_usage(st);
        goto done;
    }
    printf("k,inertia\n");
    for (int i = 0; i < nk; i++)
        printf("%d,%.17g\n", (int)ks[i], inertia[i]);
    const char *title = cli_get(a, "title");
    st = cml_plot_lines(out, ks, inertia, 1, nk, NULL, title ? title : "Elbow: k-means inertia",
                        cli_get(a, "xlabel") ? cli_get(a, "xlabel") : "k (number of clusters)",
                        cli_get(a, "ylabel") ? cli_get(a, "ylabel")
                                             : "inertia (sum of squared distances)");
    rc = finish(out, st);
done:
    cml_model_free(m);
    free(ks);
    free(inertia);
    cli_data_free(&d);
    return rc;
}

/* ---------------------------------------------------------------- calibration */

/* (y_true, y_prob) of a binary problem or of the top-label reduction, from
 * probabilities P (n x k, columns in classes order) and labels y. */
static cml_status binary_view(const double *y, const double *P, int64_t n, const double *classes,
                              int64_t k, double *yt, double *yp, int *top_label)
{
    if (k == 2) {
        *top_label = 0;
        for (int64_t i = 0; i < n; i++) {
            if (y[i] != classes[0] && y[i] != classes[1])
                return cml_fail(CML_ERR_ARG,
                                "calibration: row %lld has label %.17g, not a class of the "
                                "probabilities",
                                (long long)i + 1, y[i]);
            yt[i] = y[i] == classes[1] ? 1.0 : 0.0;
            yp[i] = P[i * 2 + 1];
        }
        return CML_OK;
    }
    *top_label = 1;
    return cml_calibration_top_label(y, P, n, classes, k, yp, yt);
}

static int plot_calibration(const cli_args *a, const char *data, const char *out)
{
    int bins, rc;
    if ((rc = parse_int(a, "bins", 10, 1, 1000, &bins))) return rc;
    cml_calibration_strategy strat = CML_CALIBRATION_UNIFORM;
    const char *sname = cli_get(a, "strategy");
    if (sname && !strcmp(sname, "quantile"))
        strat = CML_CALIBRATION_QUANTILE;
    else if (sname && strcmp(sname, "uniform"))
        return cli_usage(a->cmd, "--strategy must be uniform or quantile, got \"%s\"", sname);
    double *P = NULL, *y = NULL, *classes = NULL, *yt = NULL, *yp = NULL;
    double *pt = NULL, *pp = NULL, *xs = NULL, *ys = NULL;
    int64_t *cnt = NULL, n = 0, k = 0;
    cml_table *t = NULL;
    cml_model *m = NULL;
    cml_gguf *g = NULL;
    cli_data d = {0};
    cml_status st;
    const char *mpath = cli_get(a, "model");
    if (mpath) {
        /* Model + data with the target: predict_proba here. */
        if ((st = cml_model_load(mpath, &m, &g)) != CML_OK) return cli_fail(st);
        k = cml_model_n_classes(m);
        if (k < 2 || !cml_model_estimator(m)->predict_proba) {
            cli_error("%s: %s gives no class probabilities (HINT: calibration needs a "
                      "classifier with predict_proba)",
                      mpath, cml_model_estimator(m)->name);
            rc = CLI_USAGE;
            goto done;
        }
        if ((rc = cli_load_for_model(a, data, g, &d))) goto done;
        if (!d.y) {
            cli_error("%s: no target column; calibration needs the true labels", data);
            rc = CLI_USAGE;
            goto done;
        }
        cml_matrix X = cml_table_matrix(d.X);
        n = X.rows;
        P = malloc(sizeof(double) * (size_t)(n * k));
        classes = malloc(sizeof(double) * (size_t)k);
        if (!P || !classes) goto nomem;
        memcpy(classes, cml_model_classes(m), sizeof(double) * (size_t)k);
        if ((st = cml_model_predict_proba(m, &X, P)) != CML_OK) {
            rc = cli_fail(st);
            goto done;
        }
        y = d.y;
        d.y = NULL;
    } else {
        /* Predictions CSV: proba_<class> columns and a truth column. */
        if ((rc = read_csv(a, data, &t))) return rc;
        const char *tname = cli_get(a, "truth") ? cli_get(a, "truth") : "target";
        int64_t jt = column_of(t, data, tname, 1);
        if (jt < 0) {
            rc = CLI_USAGE;
            goto done;
        }
        const cml_column *tc = &t->columns[jt];
        int64_t *pc = malloc(sizeof(int64_t) * (size_t)t->cols);
        classes = malloc(sizeof(double) * (size_t)t->cols);
        if (!pc || !classes) {
            free(pc);
            goto nomem;
        }
        /* Class of each proba column: its suffix, as the truth column reads
         * it (a level of a string column, else a number). */
        for (int64_t j = 0; j < t->cols; j++) {
            const char *nm = t->columns[j].name;
            if (strncmp(nm, "proba_", 6)) continue;
            double c = NAN;
            if (tc->kind == CML_COL_CATEGORICAL) {
                for (int64_t l = 0; l < tc->n_levels; l++)
                    if (!strcmp(tc->levels[l], nm + 6)) c = (double)l;
            } else {
                char *end;
                c = strtod(nm + 6, &end);
                if (*end || end == nm + 6) c = NAN;
            }
            if (isnan(c)) {
                cli_error("%s: column %s names no value of the truth column \"%s\"", data, nm,
                          tc->name);
                free(pc);
                rc = CLI_USAGE;
                goto done;
            }
            if (k > 0 && !(c > classes[k - 1])) {
                cli_error("%s: proba_* columns must follow the sorted classes (%s is out of "
                          "order)",
                          data, nm);
                free(pc);
                rc = CLI_USAGE;
                goto done;
            }
            pc[k] = j;
            classes[k++] = c;
        }
        if (k < 2) {
            cli_error("%s: need at least two proba_<class> columns (HINT: cml predict --proba "
                      "writes them; add the true labels as a column)",
                      data);
            free(pc);
            rc = CLI_USAGE;
            goto done;
        }
        n = t->rows;
        P = malloc(sizeof(double) * (size_t)(n * k));
        y = column_copy(t, jt);
        if (!P || !y) {
            free(pc);
            goto nomem;
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < k; c++)
                P[i * k + c] = t->data[i * t->cols + pc[c]];
        free(pc);
    }
    yt = malloc(sizeof(double) * (size_t)n);
    yp = malloc(sizeof(double) * (size_t)n);
    pt = malloc(sizeof(double) * (size_t)bins);
    pp = malloc(sizeof(double) * (size_t)bins);
    cnt = malloc(sizeof(int64_t) * (size_t)bins);
    xs = malloc(sizeof(double) * (size_t)(bins + 2));
    ys = malloc(sizeof(double) * (size_t)(2 * (bins + 2)));
    if (!yt || !yp || !pt || !pp || !cnt || !xs || !ys) goto nomem;
    int top = 0;
    int64_t nb = 0;
    double ece = 0;
    if ((st = binary_view(y, P, n, classes, k, yt, yp, &top)) != CML_OK ||
        (st = cml_calibration_curve(yt, yp, n, 1.0, bins, strat, pt, pp, cnt, &nb)) != CML_OK ||
        (st = cml_expected_calibration_error(yt, yp, n, 1.0, bins, strat, &ece)) != CML_OK) {
        rc = cli_fail_usage(st);
        goto done;
    }
    /* JSON on stdout: what the picture shows, in numbers. */
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb,
                  "{\"kind\":\"%s\",\"n\":%lld,\"n_bins\":%d,\"strategy\":\"%s\",\"ece\":%.17g",
                  top ? "top_label" : "binary", (long long)n, bins,
                  strat == CML_CALIBRATION_QUANTILE ? "quantile" : "uniform", ece);
    if (!top) cml_sb_printf(&sb, ",\"positive_class\":%.17g", classes[1]);
    cml_sb_puts(&sb, ",\"bins\":[");
    for (int64_t b = 0; b < nb; b++)
        cml_sb_printf(&sb, "%s{\"prob_pred\":%.17g,\"prob_true\":%.17g,\"count\":%lld}",
                      b ? "," : "", pp[b], pt[b], (long long)cnt[b]);
    cml_sb_puts(&sb, "]}");
    cli_json_print(&sb);
    /* Reliability diagram: the diagonal through 0 and 1 and the curve at the
     * bins' mean predictions (NaN at the ends so it spans only its bins). */
    xs[0] = 0.0;
    xs[nb + 1] = 1.0;
    ys[0] = 0.0;
    ys[nb + 1] = 1.0;
    ys[nb + 2] = NAN;
    ys[2 * nb + 3] = NAN;
    for (int64_t b = 0; b < nb; b++) {
        xs[b + 1] = pp[b];
        ys[b + 1] = pp[b];
        ys[nb + 2 + b + 1] = pt[b];
    }
    char title[160];
    if (cli_get(a, "title"))
        snprintf(title, sizeof title, "%s (ECE %.4f)", cli_get(a, "title"), ece);
    else
        snprintf(title, sizeof title, "Reliability diagram%s (ECE %.4f)", top ? ", top label" : "",
                 ece);
    const char *names[2] = {"perfectly calibrated", top ? "model (top label)" : "model"};
    st = cml_plot_lines(out, xs, ys, 2, nb + 2, names, title,
                        cli_get(a, "xlabel") ? cli_get(a, "xlabel") : "mean predicted probability",
                        cli_get(a, "ylabel") ? cli_get(a, "ylabel")
                        : top                ? "fraction correct"
                                             : "fraction of positives");
    rc = finish(out, st);
    goto done;
nomem:
    rc = cli_fail(CML_ERR_NOMEM);
done:
    free(P);
    free(y);
    free(classes);
    free(yt);
    free(yp);
    free(pt);
    free(pp);
    free(cnt);
    free(xs);
    free(ys);
    cml_table_free(t);
    cli_data_free(&d);
    cml_gguf_free(g);
    cml_model_free(m);
    return rc;
}

/* ---------------------------------------------------------------- confusion */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Codes of two string columns re-expressed as indices into the sorted union
 * of their levels (each column has its own levels). names: the union,
 * borrowed from the table, NULL-terminated. */
static int union_levels(const cml_column *ct, const cml_column *cp, double *yt, double *yp,
                        int64_t n, const char ***names)
{
    int64_t m = ct->n_levels + cp->n_levels, u = 0;
    const char **all = malloc(sizeof(char *) * (size_t)(m + 1));
    if (!all) return cli_fail(CML_ERR_NOMEM);
    for (int64_t k = 0; k < ct->n_levels; k++)
        all[u++] = ct->levels[k];
    for (int64_t k = 0; k < cp->n_levels; k++)
        all[u++] = cp->levels[k];
    qsort(all, (size_t)u, sizeof *all, cmp_str);
    int64_t w = 0;
    for (int64_t k = 0; k < u; k++)
        if (w == 0 || strcmp(all[k], all[w - 1])) all[w++] = all[k];
    all[w] = NULL;
    for (int pass = 0; pass < 2; pass++) {
        const cml_column *c = pass ? cp : ct;
        double *v = pass ? yp : yt;
        for (int64_t i = 0; i < n; i++) {
            const char *key = c->levels[(int64_t)v[i]];
            const char **hit = bsearch(&key, all, (size_t)w, sizeof *all, cmp_str);
            v[i] = (double)(hit - all);
        }
    }
    *names = all;
    return CLI_OK;
}

static int plot_confusion(const cli_args *a, const char *data, const char *out)
{
    double *yt = NULL, *yp = NULL, *labels = NULL, *cm = NULL;
    const char **lnames = NULL, **union_names = NULL;
    char **owned = NULL;
    int64_t n = 0, k = 0;
    cml_table *t = NULL;
    cml_model *m = NULL;
    cml_gguf *g = NULL;
    cli_data d = {0};
    cml_status st;
    int rc = CLI_OK;
    const cml_column *target = NULL; /* names of class values (model path) */
    const char *mpath = cli_get(a, "model");
    if (mpath) {
        if ((st = cml_model_load(mpath, &m, &g)) != CML_OK) return cli_fail(st);
        if (cml_model_n_classes(m) < 1) {
            cli_error("%s: %s is not a classifier", mpath, cml_model_estimator(m)->name);
            rc = CLI_USAGE;
            goto done;
        }
        if ((rc = cli_load_for_model(a, data, g, &d))) goto done;
        if (!d.y) {
            cli_error("%s: no target column; the confusion matrix needs the true labels", data);
            rc = CLI_USAGE;
            goto done;
        }
        cml_matrix X = cml_table_matrix(d.X);
        n = X.rows;
        yp = malloc(sizeof(double) * (size_t)n);
        if (!yp) goto nomem;
        if ((st = cml_model_predict(m, &X, yp)) != CML_OK) {
            rc = cli_fail(st);
            goto done;
        }
        yt = d.y;
        d.y = NULL;
        target = d.target;
    } else {
        if ((rc = read_csv(a, data, &t))) return rc;
        const char *tname = cli_get(a, "truth") ? cli_get(a, "truth") : "target";
        int64_t jt = column_of(t, data, tname, 1), jp = -1;
        if (jt >= 0) jp = column_of(t, data, "prediction", 1);
        if (jt < 0 || jp < 0) {
            rc = CLI_USAGE;
            goto done;
        }
        const cml_column *ct = &t->columns[jt], *cp = &t->columns[jp];
        n = t->rows;
        yt = column_copy(t, jt);
        yp = column_copy(t, jp);
        if (!yt || !yp) goto nomem;
        if (ct->kind != cp->kind) {
            cli_error("%s: \"%s\" and \"prediction\" must both hold text or both numbers", data,
                      ct->name);
            rc = CLI_USAGE;
            goto done;
        }
        if (ct->kind == CML_COL_CATEGORICAL && (rc = union_levels(ct, cp, yt, yp, n, &union_names)))
            goto done;
    }
    if ((st = cml_confusion_matrix(yt, yp, n, NULL, &labels, &k, &cm)) != CML_OK) {
        rc = cli_fail_usage(st);
        goto done;
    }
    lnames = calloc((size_t)k + 1, sizeof *lnames);
    owned = calloc((size_t)k + 1, sizeof *owned);
    if (!lnames || !owned) goto nomem;
    for (int64_t c = 0; c < k; c++) {
        if (union_names) {
            lnames[c] = union_names[(int64_t)labels[c]];
            continue;
        }
        char buf[256];
        cli_class_label(target, labels[c], buf, sizeof buf);
        if (!(owned[c] = strdup(buf))) goto nomem;
        lnames[c] = owned[c];
    }
    double correct = 0;
    for (int64_t c = 0; c < k; c++)
        correct += cm[c * k + c];
    /* JSON on stdout: labels and counts, rows = true class */
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb, "{\"n\":%lld,\"accuracy\":%.17g,\"labels\":[", (long long)n,
                  correct / (double)n);
    for (int64_t c = 0; c < k; c++) {
        if (c) cml_sb_puts(&sb, ",");
        cml_sb_json_str(&sb, lnames[c]);
    }
    cml_sb_puts(&sb, "],\"matrix\":[");
    for (int64_t r = 0; r < k; r++) {
        cml_sb_puts(&sb, r ? ",[" : "[");
        for (int64_t c = 0; c < k; c++)
            cml_sb_printf(&sb, "%s%.17g", c ? "," : "", cm[r * k + c]);
        cml_sb_puts(&sb, "]");
    }
    cml_sb_puts(&sb, "]}");
    cli_json_print(&sb);
    char title[160];
    snprintf(title, sizeof title, "%s (accuracy %.3f)",
             cli_get(a, "title") ? cli_get(a, "title") : "Confusion matrix", correct / (double)n);
    st = cml_plot_heatmap(out, cm, k, k, lnames, lnames, 1, title,
                          cli_get(a, "xlabel") ? cli_get(a, "xlabel") : "predicted class",
                          cli_get(a, "ylabel") ? cli_get(a, "ylabel") : "true class");
    rc = finish(out, st);
    goto done;
nomem:
    rc = cli_fail(CML_ERR_NOMEM);
done:
    if (owned)
        for (int64_t c = 0; c < k; c++)
            free(owned[c]);
    free(owned);
    free(lnames);
    free(union_names);
    free(labels);
    free(cm);
    free(yt);
    free(yp);
    cml_table_free(t);
    cli_data_free(&d);
    cml_gguf_free(g);
    cml_model_free(m);
    return rc;
}

/* ---------------------------------------------------------------- dispatch */

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    if (a.n_positional != 1)
        return cli_usage(cmd, "expected one kind: scatter, line, elbow, calibration or confusion");
    const char *kind = a.positional[0];
    const char *data = cli_require(&a, "data");
    if (!data) return CLI_USAGE;
    const char *out = cli_require(&a, "out");
    if (!out) return CLI_USAGE;
    if (!strcmp(kind, "scatter")) return plot_scatter(&a, data, out);
    if (!strcmp(kind, "line")) return plot_line(&a, data, out);
    if (!strcmp(kind, "elbow")) return plot_elbow(&a, data, out);
    if (!strcmp(kind, "calibration")) return plot_calibration(&a, data, out);
    if (!strcmp(kind, "confusion")) return plot_confusion(&a, data, out);
    return cli_usage(cmd, "unknown kind \"%s\" (scatter, line, elbow, calibration, confusion)",
                     kind);
}

const cli_cmd cli_cmd_plot = {
    "plot",
    "KIND --data FILE --out FILE.png|svg [options]",
    "draw a chart: scatter, line, elbow, calibration or confusion",
    "scatter: 2-D points coloured by a label column.  line: CSV columns against --x or the row\n"
    "index (loss curves).  elbow: k-means inertia for k in [--k-min, --k-max], printed as CSV.\n"
    "calibration: reliability diagram and expected calibration error (printed as JSON) from a\n"
    "predictions CSV (proba_<class> columns of `cml predict --proba` plus --truth COL) or from\n"
    "--model and --data; two classes: the second is positive; more: top-label calibration.\n"
    "confusion: annotated confusion matrix (rows = true class) from --model and --data, or from\n"
    "a predictions CSV (prediction column plus --truth COL); counts printed as JSON.",
    opts,
    1,
    run};
