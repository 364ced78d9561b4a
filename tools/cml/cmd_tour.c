/*
 * cmd_tour.c — `cml tour`: the main job until the courses exist. Fits and
 * evaluates every registered estimator on the real data sets in data/
 * (75/25 split, stratified for classifiers, seed 42) and prints one table:
 * algorithm, task, data, held-out metric, fit and predict time.
 *
 * Data-driven from the registry, so a new estimator appears here by itself;
 * `tour_cases` only records where an estimator needs other data or
 * settings than its task's default (e.g. count-based naive Bayes on raw
 * pixel counts, without scaling).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cml/cluster.h"
#include "cml/metrics.h"

typedef struct tour_case {
    const char *algo;
    const char *data;   /* comma-separated data set names */
    const char *params; /* key=value;key=value (values may hold commas) */
    int scale;          /* standardize features first */
    const char *metric; /* NULL: the task's; "inliers": fraction labelled +1 */
} tour_case;

/* Estimators whose defaults for their task do not fit. */
static const tour_case tour_cases[] = {
    {"multinomial_nb", "digits", "", 0, NULL},
    {"complement_nb", "digits", "", 0, NULL},
    {"bernoulli_nb", "digits", "binarize=8", 0, NULL},
    /* kernel SVR is O(n^2) in memory and time: the small set only */
    {"svr", "diabetes", "", 1, NULL},
    /* an outlier detector: the share of rows it calls normal (nu = 0.1) */
    {"one_class_svm", "iris,wine", "nu=0.1", 1, "inliers"},
    /* the data sets of the unsupervised rows have 3 classes */
    {"kmeans", "iris,wine", "n_clusters=3", 1, NULL},
    {"mini_batch_kmeans", "iris,wine", "n_clusters=3", 1, NULL},
    {"dbscan", "iris", "eps=0.8;min_samples=8", 1, NULL},
    {"polynomial_features", "diabetes", "", 1, NULL},
    /* cut, color, clarity: the text columns of diamonds (price left out) */
    {"one_hot_encoder", "diamonds", "columns=1,2,3", 0, NULL},
    /* networks: short runs on the 8x8 digits (full Fashion-MNIST runs: bench/bench_nn.py) */
    {"mlp_classifier", "digits", "hidden_layer_sizes=64;epochs=15;learning_rate=0.005", 0, NULL},
    {"cnn_classifier", "digits", "arch=custom;spec=conv:8:3:1:1,bn,relu,maxpool:2;epochs=5", 0,
     NULL},
};

static const char *const classification_data = "iris,wine,breast_cancer,digits";
static const char *const regression_data = "diabetes,diamonds";
static const char *const unsupervised_data = "iris,wine";

static const tour_case *find_case(const char *algo)
{
    for (size_t i = 0; i < sizeof tour_cases / sizeof *tour_cases; i++)
        if (!strcmp(tour_cases[i].algo, algo)) return &tour_cases[i];
    return NULL;
}

typedef struct dataset {
    char name[32];
    cml_table *X;
    double *y;
} dataset;

static int load_dataset(const char *dir, const char *name, const char *target, dataset *ds)
{
    char path[1024];
    cml_table *t;
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    cml_csv_opts o = cml_csv_opts_default();
    cml_status st = cml_csv_read(path, &o, &t);
    if (st != CML_OK) return cli_fail(st);
    snprintf(ds->name, sizeof ds->name, "%s", name);
    int64_t col = cml_table_find(t, target);
    if (col < 0) {
        cml_table_free(t);
        cli_error("%s: no column %s", path, target);
        return CLI_RUNTIME;
    }
    st = cml_table_split_target(t, col, &ds->X, &ds->y);
    cml_table_free(t);
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

typedef struct row_result {
    const char *metric;
    double value;
    double fit_s, predict_s;
    const char *note;
} row_result;

/* One estimator on one data set. Returns CLI_OK, or an exit code when the
 * library refused (the row is then printed with the error). */
static int run_case(const cml_estimator *e, const tour_case *c, const dataset *ds, row_result *r)
{
    int supervised = e->task == CML_TASK_CLASSIFICATION || e->task == CML_TASK_REGRESSION;
    int64_t n = ds->X->rows, p = ds->X->cols;
    int64_t *tr = NULL, *te = NULL, ntr = 0, nte = 0;
    double *Xtr = NULL, *Xte = NULL, *ytr = NULL, *yte = NULL, *out = NULL;
    cml_model *m = NULL, *scaler = NULL;
    cml_matrix X = cml_table_matrix(ds->X);
    int rc = CLI_RUNTIME;
    cml_status st;
    memset(r, 0, sizeof *r);

    if ((st = cml_model_create(e->name, &m)) != CML_OK) goto fail;
    if (c && c->params[0]) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", c->params);
        for (char *kv = strtok(buf, ";"); kv; kv = strtok(NULL, ";")) {
            char *eq = strchr(kv, '=');
            if (!eq) continue;
            *eq = '\0';
            if ((st = cml_model_set_param(m, kv, eq + 1)) != CML_OK) goto fail;
        }
    }
    if ((c ? c->scale : 1) && e->task != CML_TASK_TRANSFORM &&
        cml_estimator_find("standard_scaler")) {
        if ((st = cml_model_create("standard_scaler", &scaler)) != CML_OK) goto fail;
        st = cml_model_add_step(m, scaler);
        scaler = NULL;
        if (st != CML_OK) goto fail;
    }

    if (supervised) {
        st = cml_train_test_split(n, 0.25, ds->y, e->task == CML_TASK_CLASSIFICATION, 42, &tr, &ntr,
                                  &te, &nte);
        if (st == CML_OK) st = cml_take_rows(&X, tr, ntr, &Xtr);
        if (st == CML_OK) st = cml_take_rows(&X, te, nte, &Xte);
        if (st == CML_OK) st = cml_take_vals(ds->y, tr, ntr, &ytr);
        if (st == CML_OK) st = cml_take_vals(ds->y, te, nte, &yte);
        if (st != CML_OK) goto fail;
        cml_matrix A = cml_matrix_view(Xtr, ntr, p), B = cml_matrix_view(Xte, nte, p);
        if ((st = cml_model_fit(m, &A, ytr, NULL)) != CML_OK) goto fail;
        r->fit_s = cml_model_fit_seconds(m);
        out = malloc(sizeof(double) * (size_t)nte);
        if (!out) goto fail;
        double t0 = cml_now();
        if ((st = cml_model_predict(m, &B, out)) != CML_OK) goto fail;
        r->predict_s = cml_now() - t0;
        r->metric = e->task == CML_TASK_CLASSIFICATION ? "accuracy" : "r2";
        st = cml_metric_compute(r->metric, yte, out, NULL, NULL, 0, nte, NULL, &r->value);
        if (st != CML_OK) goto fail;
    } else {
        if ((st = cml_model_fit(m, &X, NULL, NULL)) != CML_OK) goto fail;
        r->fit_s = cml_model_fit_seconds(m);
        if (e->task == CML_TASK_CLUSTER) {
            const int64_t *labels;
            int64_t nl = cml_model_labels(m, &labels);
            out = malloc(sizeof(double) * (size_t)n);
            if (!out) goto fail;
            double t0 = cml_now();
            if (nl == n)
                for (int64_t i = 0; i < n; i++)
                    out[i] = (double)labels[i];
            else if ((st = cml_model_predict(m, &X, out)) != CML_OK)
                goto fail;
            r->predict_s = cml_now() - t0;
            if (c && c->metric && !strcmp(c->metric, "inliers")) {
                r->metric = "inlier_share";
                r->value = 0;
                for (int64_t i = 0; i < n; i++)
                    r->value += out[i] > 0;
                r->value /= (double)n;
            } else {
                /* agreement of clusters with the true classes, up to renaming */
                r->metric = "adjusted_rand";
                if ((st = cml_adjusted_rand_score(ds->y, out, n, &r->value)) != CML_OK) goto fail;
            }
        } else {
            int64_t cols = cml_model_n_transform_cols(m);
            out = malloc(sizeof(double) * (size_t)(n * cols));
            if (!out) goto fail;
            double t0 = cml_now();
            if ((st = cml_model_transform(m, &X, out)) != CML_OK) goto fail;
            r->predict_s = cml_now() - t0;
            r->metric = "output_columns";
            r->value = (double)cols;
        }
    }
    rc = CLI_OK;
    goto done;
fail:
    r->note = cml_last_error();
done:
    cml_model_free(m);
    cml_model_free(scaler);
    free(tr);
    free(te);
    free(Xtr);
    free(Xte);
    free(ytr);
    free(yte);
    free(out);
    return rc;
}

static const cli_opt opts[] = {
    {"data-dir", "DIR", 0,
     "folder with iris.csv, wine.csv, breast_cancer.csv, digits.csv, diabetes.csv"},
    {"algo", "NAME", 1, "only these estimators"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"json", NULL, 0, "print the results as one JSON object"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

static int wanted(const cli_args *a, const cml_estimator *e)
{
    const char *const *names;
    int n = cli_get_all(a, "algo", &names);
    if (!n) return 1;
    for (int i = 0; i < n; i++)
        if (cml_estimator_find(names[i]) == e) return 1;
    return 0;
}

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    const char *dir = cli_get(&a, "data-dir") ? cli_get(&a, "data-dir") : "data";
    int json = cli_flag(&a, "json");

    static const char *const names[] = {"iris",   "wine",     "breast_cancer",
                                        "digits", "diabetes", "diamonds"};
    static const char *const targets[] = {"target", "target", "target",
                                          "target", "target", "price"};
    enum { N_DATA = sizeof names / sizeof *names };
    dataset data[N_DATA];
    memset(data, 0, sizeof data);
    for (int i = 0; i < N_DATA; i++)
        if ((rc = load_dataset(dir, names[i], targets[i], &data[i]))) goto done;

    int n_est, n_rows = 0, n_failed = 0;
    const cml_estimator *const *list = cml_estimator_list(&n_est);
    cml_sb sb;
    cml_sb_init(&sb);
    if (json)
        cml_sb_printf(&sb, "{\"command\":\"tour\",\"threads\":%d,\"blas\":\"%s\",\"rows\":[",
                      cml_get_num_threads(), cml_blas_name());
    else
        printf("cml %s tour: every estimator on real data (75/25 split, seed 42; %d threads, BLAS "
               "%s)\n\n%-28s %-14s %-14s %-15s %9s %10s %11s\n",
               CML_VERSION_STRING, cml_get_num_threads(), cml_blas_name(), "algorithm", "task",
               "data", "metric (test)", "value", "fit ms", "predict ms");
    for (int i = 0; i < n_est; i++) {
        const cml_estimator *e = list[i];
        if (!wanted(&a, e)) continue;
        const tour_case *c = find_case(e->name);
        const char *sets = c && c->data                         ? c->data
                           : e->task == CML_TASK_CLASSIFICATION ? classification_data
                           : e->task == CML_TASK_REGRESSION     ? regression_data
                                                                : unsupervised_data;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", sets);
        char *save = NULL;
        for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
            const dataset *ds = NULL;
            for (int k = 0; k < N_DATA; k++)
                if (!strcmp(data[k].name, s)) ds = &data[k];
            if (!ds) continue;
            row_result r;
            int bad = run_case(e, c, ds, &r) != CLI_OK;
            n_failed += bad;
            const char *task = e->task == CML_TASK_CLASSIFICATION ? "classification"
                               : e->task == CML_TASK_REGRESSION   ? "regression"
                               : e->task == CML_TASK_CLUSTER      ? "clustering"
                                                                  : "transform";
            if (json) {
                cml_sb_puts(&sb, n_rows ? ",{\"algo\":" : "{\"algo\":");
                cml_sb_json_str(&sb, e->name);
                cml_sb_printf(&sb, ",\"task\":\"%s\",\"data\":\"%s\"", task, ds->name);
                if (bad) {
                    cml_sb_puts(&sb, ",\"error\":");
                    cml_sb_json_str(&sb, r.note);
                } else {
                    cml_sb_printf(&sb, ",\"metric\":\"%s\",\"value\":", r.metric);
                    cml_sb_json_num(&sb, r.value);
                    cml_sb_printf(&sb, ",\"fit_seconds\":%.9f,\"predict_seconds\":%.9f", r.fit_s,
                                  r.predict_s);
                }
                cml_sb_puts(&sb, "}");
            } else if (bad) {
                printf("%-28s %-14s %-14s FAILED: %s\n", e->name, task, ds->name, r.note);
            } else {
                printf("%-28s %-14s %-14s %-15s %9.4f %10.2f %11.3f\n", e->name, task, ds->name,
                       r.metric, r.value, 1e3 * r.fit_s, 1e3 * r.predict_s);
            }
            n_rows++;
        }
    }
    if (json) {
        cml_sb_printf(&sb, "],\"failed\":%d}", n_failed);
        cli_json_print(&sb);
    } else {
        printf("\n%d runs, %d failed. Try: cml fit --algo logistic_regression --data "
               "%s/breast_cancer.csv --prep scale=standard --model m.gguf\n",
               n_rows, n_failed, dir);
    }
    rc = n_failed ? CLI_RUNTIME : CLI_OK;
done:
    for (int i = 0; i < N_DATA; i++) {
        cml_table_free(data[i].X);
        free(data[i].y);
    }
    return rc;
}

const cli_cmd cli_cmd_tour = {"tour",
                              "[--data-dir DIR] [--algo NAME]... [--json]",
                              "fit and evaluate every estimator on the bundled real data sets",
                              NULL,
                              opts,
                              0,
                              run};
