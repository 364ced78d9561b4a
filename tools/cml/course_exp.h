/*
 * course_exp.h — what an experiment of `cml course run` works with: the run
 * it fills (metrics, a table, plots, computed notes, progress) and small
 * helpers over the public libcml API for the common steps (load a data set
 * of data/, split it, build a model through the generic layer with an
 * optional standard-scaler step, fit and predict).
 *
 * Every experiment is a function `cml_status fn(course_run *r)` registered
 * in course_registry.c; it computes its numbers on real data with libcml
 * and never invents one. r->quick asks for the small settings the tests use
 * (a couple of seconds at most).
 *
 * Not thread-safe: one run at a time per course_run.
 */
#ifndef CML_COURSE_EXP_H
#define CML_COURSE_EXP_H

#include "course.h"

typedef struct course_metric {
    char *name, *label;
    double value;
} course_metric;

typedef struct course_plot {
    char *path, *title;
} course_plot;

struct course_run {
    /* inputs */
    const char *id;       /* lesson id */
    const char *data_dir; /* folder with iris.csv, ... */
    char out_dir[4096];   /* OUT/<id>, created before the experiment runs */
    int quick;            /* small settings */
    int progress;         /* print "progress F MSG" lines on stderr */
    /* results */
    course_metric *metrics;
    int n_metrics;
    char **columns; /* (n_columns) table header, may be 0 columns */
    int n_columns;
    char **cells; /* (n_rows, n_columns) */
    int n_rows;
    course_plot *plots;
    int n_plots;
    char **notes;
    int n_notes;
    char pathbuf[4200]; /* cr_path's result */
};

/* ---------------------------------------------------------------- the runner */

/* Runs experiment e for lesson l: creates OUT/<id>/, times the run, fills
 * r (initialized here; release with course_run_free). On failure the
 * message is in cml_last_error(). */
cml_status course_run_exec(const course_experiment *e, const course_lesson *l, const char *out_dir,
                           const char *data_dir, int quick, int progress, course_run *r,
                           double *seconds);
void course_run_free(course_run *r);
/* The `cml course run --json` object. */
void course_run_json(cml_sb *sb, const course_lesson *l, const course_experiment *e,
                     const course_run *r, double seconds);
/* The results as text: metrics, table, notes, plots. */
void course_run_print(FILE *f, const course_run *r, int colour, int width);

/* Writes s and pads it with spaces to width characters (UTF-8 aware). */
void course_pad(FILE *f, const char *s, size_t width);

/* ---------------------------------------------------------------- results */

/* "progress <frac> <message>" on stderr when r->progress. */
void cr_progress(course_run *r, double frac, const char *fmt, ...) CML_PRINTF(3, 4);
/* A headline number: name is a stable key ("r2_test"), label the words
 * shown next to it ("R² on the test set"). */
cml_status cr_metric(course_run *r, const char *name, const char *label, double value);
/* A computed sentence ("Lasso set 4 of 10 coefficients to exactly zero"). */
cml_status cr_note(course_run *r, const char *fmt, ...) CML_PRINTF(2, 3);
/* Table header: n column names. Call once, before cr_row. */
cml_status cr_table(course_run *r, int n, const char *const *columns);
/* One table row: the formatted text split at '\t' into the cells. */
cml_status cr_row(course_run *r, const char *fmt, ...) CML_PRINTF(2, 3);
/* Full path of a plot file under the run's folder (valid until the next
 * call); register it with cr_plot once written. */
const char *cr_path(course_run *r, const char *file);
cml_status cr_plot(course_run *r, const char *file, const char *title);

/* ---------------------------------------------------------------- data */

/* A data set of data/ split into features and target. */
typedef struct cr_data {
    cml_table *X; /* feature columns (names in X->columns) */
    double *y;    /* (X->rows) target */
    int64_t n, p;
} cr_data;

/* Loads DATA_DIR/<name>.csv; the target is the column `target` (NULL:
 * "target"). */
cml_status cr_load(const course_run *r, const char *name, const char *target, cr_data *d);
void cr_data_free(cr_data *d);
/* Fashion-MNIST (IDX, Debian dataset-fashion-mnist): the first n_train
 * training images and n_test test images, pixels scaled to [0, 1]. */
cml_status cr_load_fashion(int64_t n_train, int64_t n_test, double **Xtr, double **ytr,
                           double **Xte, double **yte, int64_t *p);
extern const char *const cr_fashion_names[10];

/* A seeded train/test split (stratified for classification). */
typedef struct cr_split {
    double *Xtr, *Xte, *ytr, *yte; /* (ntr, p), (nte, p), (ntr), (nte) */
    int64_t ntr, nte, p;
} cr_split;

cml_status cr_split_make(const cr_data *d, double test_size, int stratify, uint64_t seed,
                         cr_split *s);
void cr_split_free(cr_split *s);
static inline cml_matrix cr_train(const cr_split *s)
{
    return cml_matrix_view(s->Xtr, s->ntr, s->p);
}
static inline cml_matrix cr_test(const cr_split *s)
{
    return cml_matrix_view(s->Xte, s->nte, s->p);
}

/* ---------------------------------------------------------------- models */

/* A model by registry name with "key=value;key=value" parameters (NULL or
 * "" for the defaults), preceded by a standard_scaler step when scale. */
cml_status cr_model(const char *algo, const char *params, int scale, cml_model **out);
/* Fits on the train part and predicts the test part into *pred (malloc'd,
 * nte values). */
cml_status cr_fit_predict(cml_model *m, const cr_split *s, double **pred);
/* Fits and returns the test-set score: accuracy (classifiers) or R²
 * (regressors). */
cml_status cr_fit_score(cml_model *m, const cr_split *s, double *score);
/* For each value v of vals: a model algo with "fixed;param=v", fitted on
 * the train part; train_score[i] / test_score[i] get its accuracy (or R²)
 * on both parts (train_score may be NULL). Progress from f0 to f1. */
cml_status cr_sweep(course_run *r, const cr_split *s, const char *algo, const char *fixed,
                    const char *param, const double *vals, int n, int scale, double *train_score,
                    double *test_score, double f0, double f1);
/* Standardizes X (rows, cols) in place with the mean and standard deviation
 * of its own columns (constant columns are left centred): for plots and
 * unsupervised experiments on the whole data set. Uses the library's
 * standard_scaler. */
cml_status cr_standardize(double *X, int64_t rows, int64_t cols);

/* 2-D PCA projection of X (n, p), standardized first, into xy (n, 2). */
cml_status cr_pca2(const double *X, int64_t n, int64_t p, double *xy);
/* Scatter plot of the points xy (n, 2) coloured by labels (may be NULL). */
cml_status cr_scatter_xy(const char *path, const double *xy, int64_t n, const int64_t *labels,
                         const char *const *names, const char *title, const char *xlabel,
                         const char *ylabel);
/* Columns of xy (n, 2) as two new arrays (free both). */
cml_status cr_unzip(const double *xy, int64_t n, double **x, double **y);
extern const char *const cr_iris_names[4]; /* setosa, versicolor, virginica, NULL */

/* A malloc'd copy of an array, or NULL. */
double *cr_dup(const double *v, int64_t n);
/* Labels (n) as int64 for plots (malloc'd). */
int64_t *cr_labels(const double *y, int64_t n);

#endif
