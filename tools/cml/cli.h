/*
 * cli.h — shared pieces of the `cml` command: option tables and parsing,
 * error reporting with the exit-code contract (0 ok, 1 runtime error,
 * 2 usage error), data loading with a model's schema, and JSON output.
 */
#ifndef CML_CLI_H
#define CML_CLI_H

#include <stdio.h>

#include "cml/cml.h"
#include "core/strbuf.h"

enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_USAGE = 2 };

/* ---------------------------------------------------------------- options */

typedef struct cli_opt {
    const char *name; /* without the leading "--" */
    const char *arg;  /* metavar ("FILE"), or NULL for a flag */
    int repeatable;
    const char *help;
} cli_opt;

typedef struct cli_cmd {
    const char *name;
    const char *usage;   /* one line after "cml NAME " */
    const char *summary; /* one line */
    const char *details; /* paragraph for --help, may be NULL */
    const cli_opt *opts; /* terminated by {NULL} */
    int max_positional;
    int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
} cli_cmd;

#define CLI_MAX_VALUES 64

typedef struct cli_args {
    const cli_cmd *cmd;
    const char *values[32][CLI_MAX_VALUES]; /* per option index */
    int counts[32];
    const char *positional[8];
    int n_positional;
} cli_args;

/* Parses argv (after the command name). Prints help and returns -1 for
 * --help; returns CLI_USAGE after printing the error; else CLI_OK. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a);
/* Last value of an option, or NULL. */
const char *cli_get(const cli_args *a, const char *name);
/* All values of a repeatable option. */
int cli_get_all(const cli_args *a, const char *name, const char *const **values);
int cli_flag(const cli_args *a, const char *name);
/* Required option: prints a usage error when absent (returns NULL). */
const char *cli_require(const cli_args *a, const char *name);
void cli_print_help(const cli_cmd *cmd, FILE *f);

/* ---------------------------------------------------------------- errors */

/* "cml: <msg>" on stderr. */
void cli_error(const char *fmt, ...) CML_PRINTF(1, 2);
/* Prints cml_last_error() and returns the runtime exit code (1): data,
 * model-file and numeric errors. */
int cli_fail(cml_status st);
/* Same for what the user typed (algorithm names, --param values):
 * CML_ERR_ARG is a usage error (2). */
int cli_fail_usage(cml_status st);
int cli_usage(const cli_cmd *cmd, const char *fmt, ...) CML_PRINTF(2, 3);
/* --NAME's value s as a whole number >= lo into *v; else a usage error. */
int cli_parse_i64(const cli_cmd *cmd, const char *name, const char *s, int64_t lo, int64_t *v);

/* Common run-time settings: --threads, --quiet; installs the log callback
 * (warnings to stderr unless quiet). Returns CLI_OK or CLI_USAGE. */
int cli_setup(const cli_args *a);
extern int cli_quiet;

/* ---------------------------------------------------------------- data */

/* A data set as the commands see it: the table, and the split into
 * features (all columns but the target / dropped ones) and target. */
typedef struct cli_data {
    cml_table *table;   /* as read */
    cml_table *X;       /* feature columns */
    double *y;          /* target values (NULL if no target) */
    cml_column *target; /* description of the target column (NULL if none) */
    cml_csr_owned *Xs;  /* text features (models fitted with --text), else NULL */
} cli_data;

void cli_data_free(cli_data *d);

/* How the target column is chosen: `target` may be NULL (column named
 * "target", else the last column). With require_target = 0 the target is
 * only split off when named explicitly or when a column called "target"
 * exists (unsupervised commands ignore the label column). */
int cli_load_train(const cli_args *a, const char *path, const char *target, int require_target,
                   cli_data *out);

/* Loads data for an already-fitted model: columns by the model's stored
 * schema (categorical codes identical to training); the target column is
 * optional (present: *y filled for eval). */
int cli_load_for_model(const cli_args *a, const char *path, const cml_gguf *g, cli_data *out);

/* Loads data through an explicit schema (features, then an optional
 * target column that may be absent from the file). */
int cli_load_with_schema(const cli_args *a, const char *path, const cml_column *features,
                         int64_t n_features, const cml_column *target, cli_data *out);

/* The schema stored with every model fitted by the command. */
typedef struct cli_schema {
    const cml_table *X;
    const cml_column *target; /* NULL for unsupervised */
} cli_schema;
cml_status cli_schema_hook(cml_gguf_writer *w, void *user);
/* Target column of a saved model (NULL when it has none); owned by caller. */
cml_status cli_schema_target(const cml_gguf *g, cml_column **target);

/* Text of a class value: the category name if the target was a string
 * column, else the number ("%.17g" trimmed). */
void cli_class_label(const cml_column *target, double v, char *buf, size_t len);

/* Builds a pipeline model from --algo, --param and --prep options. */
int cli_build_model(const cli_args *a, const char *algo, const cml_table *X, cml_model **out);

/* ---------------------------------------------------------------- text (text_features.c) */

/* The fitted vectorizer of `fit --text`: one of the two is set. */
typedef struct cli_vectorizer {
    cml_tfidf *tfidf;
    cml_count *count;
} cli_vectorizer;

void cli_vectorizer_free(cli_vectorizer *v);
/* Fits --vectorizer (with --param vectorizer.KEY=VALUE) on column col of
 * d (read as text) and sets d->Xs. Returns a CLI_* code. */
int cli_text_fit(const cli_args *a, const char *path, const char *col, cli_data *d,
                 cli_vectorizer *v);
/* Saves m with the text schema (col, target) and the vectorizer. */
cml_status cli_text_save(const cml_model *m, const char *path, const char *col,
                         const cml_column *target, const cli_vectorizer *v);
/* Whether a model file was fitted with --text. */
int cli_text_is_model(const cml_gguf *g);
/* Vectorizes the text column of d (loaded through the model's schema) with
 * the model's vectorizer into d->Xs. */
int cli_text_features(const cml_gguf *g, cli_data *d);
/* fit / predict / predict_proba on d->Xs when set (sparse entries, else a
 * dense copy), else on d->X. */
cml_status cli_model_fit(cml_model *m, const cli_data *d, const cml_fit_opts *opts);
cml_status cli_model_predict(const cml_model *m, const cli_data *d, double *out);
cml_status cli_model_predict_proba(const cml_model *m, const cli_data *d, double *out);

/* ---------------------------------------------------------------- output */

/* Writes a numeric CSV with a header ("-" = stdout). names NULL: c0,c1,... */
int cli_write_matrix(const char *path, const char *const *names, const double *m, int64_t rows,
                     int64_t cols);
/* Writes predictions: a `prediction` column (class labels as the user's
 * strings when the target was a string column), when proba != NULL
 * proba_<class> columns, then n_extra columns extra (rows, n_extra) named
 * extra_names (n_extra 0: none). "-" = stdout. */
int cli_write_predictions(const char *path, const cml_column *target, const double *pred,
                          const double *proba, const double *classes, int64_t n_classes,
                          int64_t rows, const char *const *extra_names, const double *extra,
                          int64_t n_extra);

/* TreeSHAP (shap_cli.c): *phi (rows, *K outputs, *F + 1) malloc'd for a
 * tree model (CLI_USAGE naming mpath otherwise); column names
 * "<prefix>[<class>:]<feature>" and "<prefix>[<class>:]bias" (features
 * named from d when F matches its columns, else x0, x1...). */
int cli_shap(const cml_model *m, const char *mpath, const cml_matrix *X, double **phi, int64_t *K,
             int64_t *F);
int cli_shap_check(const cml_model *m, const char *mpath); /* CLI_USAGE if not a tree model */
char **cli_shap_names(const cli_data *d, int64_t F, int64_t K, const cml_column *target,
                      const double *classes, const char *prefix);
void cli_names_free(char **names, int64_t n);

/* ---------------------------------------------------------------- evaluation */

/* Computes metrics of a fitted model on data with a target. names NULL:
 * the defaults for the model's task. Adds "metrics": {...} to json (if
 * non-NULL) and prints a table to text (if non-NULL). */
int cli_evaluate(const cml_model *m, const cli_data *d, const char *const *names, int n_names,
                 cml_sb *json, FILE *text, double *predict_seconds);

/* Same, also calling emit(user, name, value) for each metric computed
 * (emit may be NULL): `fit --track` records them. */
typedef void (*cli_metric_fn)(void *user, const char *name, double value);
int cli_evaluate_ex(const cml_model *m, const cli_data *d, const char *const *names, int n_names,
                    cml_sb *json, FILE *text, double *predict_seconds, cli_metric_fn emit,
                    void *user);

/* JSON helpers for --json: prints the finished object on stdout. */
void cli_json_print(cml_sb *sb);

/* ---------------------------------------------------------------- tracking */

/* Opens the store named by --store, else $CML_STORE, else ./cml.db. With
 * create = 0 a missing store is an error (readers never create one). */
int cli_open_store(const cli_args *a, int create, cml_track **t, const char **path);

/* A run that `fit --track` is recording (cmd_runs.c). */
typedef struct cli_tracking {
    cml_track *store;
    cml_track_run *run;
    const char *store_path;
    cml_status error; /* first failure inside cli_tracking_metric */
} cli_tracking;

int cli_tracking_start(const cli_args *a, cli_tracking *tr);
/* Logs algo, target, every estimator and preprocessing parameter, and the
 * data file's sha256. */
int cli_tracking_params(cli_tracking *tr, const cli_args *a, const cml_model *m, const char *data,
                        const cml_column *target);
/* Installs (on = 1) or removes the training-metric hook for this thread. */
void cli_tracking_hook(cli_tracking *tr, int on);
/* A cli_metric_fn: logs name as the final metric valid_<name>. */
void cli_tracking_metric(void *tr, const char *name, double value);
/* Writes the run; CLI exit code. */
int cli_tracking_end(cli_tracking *tr, cml_run_status status, int64_t *id);
void cli_tracking_free(cli_tracking *tr);

/* ---------------------------------------------------------------- commands */

extern const cli_cmd cli_cmd_fit, cli_cmd_predict, cli_cmd_transform, cli_cmd_fit_transform,
    cli_cmd_eval, cli_cmd_algos, cli_cmd_info, cli_cmd_tour;
extern const cli_cmd cli_cmd_index, cli_cmd_search;
extern const cli_cmd cli_cmd_serve;
/* one per line, so adding a command never conflicts with another */
extern const cli_cmd cli_cmd_course;
extern const cli_cmd cli_cmd_runs;
extern const cli_cmd cli_cmd_registry;
extern const cli_cmd cli_cmd_monitor;
extern const cli_cmd cli_cmd_web;
extern const cli_cmd cli_cmd_plot;
extern const cli_cmd cli_cmd_neighbors;
extern const cli_cmd cli_cmd_explain;
extern const cli_cmd cli_cmd_import;
extern const cli_cmd cli_cmd_tree;

#endif
