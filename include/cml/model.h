/*
 * cml/model.h — the generic estimator layer: parameter tables, the estimator
 * vtable, the registry, and the opaque cml_model the CLI, the server and the
 * courses use.
 *
 * One source of truth for parameters: each estimator describes its params
 * struct with a static table of cml_param_def (name, type, default, range,
 * one-line doc, offset into the struct). Defaults, string parsing, range
 * validation, `cml algos NAME` and the cml.param.* metadata of saved models
 * all come from that table.
 *
 * Thread-safety: a fitted cml_model is immutable; predict/transform may be
 * called from many threads at once on one const model.
 */
#ifndef CML_MODEL_H
#define CML_MODEL_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- params */

typedef enum cml_param_type {
    CML_PARAM_INT = 0, /* int field */
    CML_PARAM_DOUBLE,  /* double field */
    CML_PARAM_BOOL,    /* int field, 0/1; accepts true/false/1/0/yes/no */
    CML_PARAM_ENUM,    /* int field: index into `choices` ("lbfgs|newton-cg") */
    CML_PARAM_STRING   /* char[CML_PARAM_STRLEN] field, checked by the estimator */
} cml_param_type;

#define CML_PARAM_STRLEN 128

typedef struct cml_param_def {
    const char *name; /* scikit-learn's name: "C", "max_iter", "l1_ratio" */
    cml_param_type type;
    const char *def;     /* default, as the user would type it */
    double min, max;     /* inclusive range for INT/DOUBLE (ignored otherwise) */
    int min_open;        /* 1: min itself is excluded (e.g. C > 0) */
    const char *choices; /* ENUM: "a|b|c" */
    const char *doc;     /* one line */
    size_t offset;       /* offsetof(params struct, field) */
} cml_param_def;

/* Sets every field of `params` from the table's defaults. */
cml_status cml_params_init(const cml_param_def *defs, int n_defs, void *params);
/* Parses value for key, range-checks it, stores it. Unknown key or bad value:
 * CML_ERR_ARG with a message listing valid names / the allowed range. */
cml_status cml_params_set(const cml_param_def *defs, int n_defs, void *params, const char *key,
                          const char *value);
/* Formats the current value of a parameter ("%.17g" for doubles) into buf. */
cml_status cml_params_get(const cml_param_def *defs, int n_defs, const void *params,
                          const char *key, char *buf, size_t buflen);
/* Range/enum check of every field: returns NULL or a static-lifetime message
 * in thread-local storage, liblinear's check_parameter() style. */
const char *cml_params_check(const cml_param_def *defs, int n_defs, const void *params);
/* Stores every parameter as cml.param.<name> (typed) / restores them. */
cml_status cml_params_save(const cml_param_def *defs, int n_defs, const void *params,
                           cml_gguf_writer *w);
cml_status cml_params_load(const cml_param_def *defs, int n_defs, void *params, const cml_gguf *g);

/* ---------------------------------------------------------------- vtable */

typedef enum cml_task {
    CML_TASK_REGRESSION = 0,
    CML_TASK_CLASSIFICATION,
    CML_TASK_TRANSFORM, /* scalers, PCA: transform only */
    CML_TASK_CLUSTER    /* fit-transform gives labels */
} cml_task;

/* What fit may report back; the estimator fills what applies. */
typedef struct cml_fit_info {
    int n_iter;       /* solver iterations (max over sub-problems), 0 if n/a */
    int converged;    /* 1 if every solver met its tolerance */
    double objective; /* final objective value, NAN if n/a */
} cml_fit_info;

/* Optional per-fit inputs beyond X and y. */
typedef struct cml_fit_opts {
    const double *sample_weight; /* (rows) or NULL */
    const cml_matrix *X_valid;   /* early-stopping / eval set or NULL */
    const double *y_valid;
} cml_fit_opts;

/*
 * An estimator: a static const instance per algorithm, found by name in the
 * registry. `state` is the estimator's own fitted struct (opaque here).
 * Entries marked (optional) may be NULL.
 */
typedef struct cml_estimator {
    const char *name;    /* snake_case of sklearn's class: "logistic_regression" */
    const char *aliases; /* comma-separated short names: "logreg,lr" or "" */
    const char *summary; /* one line for `cml algos` */
    cml_task task;
    int schema_version; /* of this estimator's saved fields; bump on change */
    const cml_param_def *params;
    int n_params;
    size_t params_size; /* sizeof the params struct */
    /* Allow NaN in X at fit/predict (trees, imputers); else rejected up front. */
    int allows_nan;
    /* fit rejects non-finite X itself (its first pass over X does it), so
     * the generic layer skips its own scan: one pass over memory fewer. */
    int validates_input;

    cml_status (*fit)(const void *params, const cml_matrix *X, const double *y,
                      const cml_fit_opts *opts, void **state, cml_fit_info *info);
    /* out: (rows) predictions — class labels as doubles for classifiers. */
    cml_status (*predict)(const void *state, const cml_matrix *X, double *out);
    /* (optional) out: (rows, n_classes) row-major. */
    cml_status (*predict_proba)(const void *state, const cml_matrix *X, double *out);
    /* (optional) out: (rows, n_decision_cols(state)). */
    cml_status (*decision_function)(const void *state, const cml_matrix *X, double *out);
    /* (optional) out: (rows, n_transform_cols(state)). */
    cml_status (*transform)(const void *state, const cml_matrix *X, double *out);
    /* (optional) inverse of transform, out: (rows, n_features_in). */
    cml_status (*inverse_transform)(const void *state, const cml_matrix *X, double *out);
    /* (optional) labels the fit assigned to the training rows (clustering:
     * DBSCAN, k-means; -1 = noise): returns the row count, sets *labels. */
    int64_t (*labels)(const void *state, const int64_t **labels);
    /* (optional) classes, ascending: returns count, sets *classes. */
    int64_t (*classes)(const void *state, const double **classes);
    int64_t (*n_features_in)(const void *state);
    /* (optional) */
    int64_t (*n_transform_cols)(const void *state);
    int64_t (*n_decision_cols)(const void *state);
    /* Writes fitted fields under cml.fit.* (metadata) and tensors. */
    cml_status (*save)(const void *state, const void *params, cml_gguf_writer *w);
    /* Rebuilds state from a file; params already restored. */
    cml_status (*load)(const cml_gguf *g, const void *params, int schema_version, void **state);
    /* (optional) JSON object text of the fitted attributes for `cml info`
     * (coefficients, intercepts...). Caller frees with free(). */
    char *(*describe)(const void *state);
    void (*free)(void *state);
    /* (optional) incremental fit, sklearn's partial_fit: updates a fitted
     * state in place with the rows of X, y. What the first fit fixed (the
     * classes, the number of features) stays; a label outside the classes
     * is CML_ERR_ARG. On error the state is left as it was. */
    cml_status (*partial_fit)(const void *params, void *state, const cml_matrix *X, const double *y,
                              const cml_fit_opts *opts, cml_fit_info *info);
} cml_estimator;

/* Registry: NULL if unknown. Matches name or any alias, case-sensitive. */
const cml_estimator *cml_estimator_find(const char *name);
/* All registered estimators, in registry order; *n set to the count. */
const cml_estimator *const *cml_estimator_list(int *n);

/* ---------------------------------------------------------------- model */

typedef struct cml_model cml_model;

/* New unfitted model for an estimator name/alias with default params.
 * Unknown name: CML_ERR_ARG listing the known names. */
cml_status cml_model_create(const char *algo, cml_model **out);
/* Sets a parameter by name from a string (the CLI's key=value). */
cml_status cml_model_set_param(cml_model *m, const char *key, const char *value);
const cml_estimator *cml_model_estimator(const cml_model *m);
const void *cml_model_params(const cml_model *m);

/* Fits (replacing any earlier fit). Validates params and X first. */
cml_status cml_model_fit(cml_model *m, const cml_matrix *X, const double *y,
                         const cml_fit_opts *opts);
int cml_model_is_fitted(const cml_model *m);

/* Incremental fit (sklearn's partial_fit) for estimators with a partial_fit
 * entry (the naive Bayes family): an unfitted model is
 * fitted on X, y (classes: those of y); a fitted one — also one loaded from
 * a file — is updated with the new rows. Preprocessing steps are applied as
 * they were fitted, never refitted. For the discrete naive Bayes models the
 * result equals one fit on all rows; for GaussianNB it equals sklearn's
 * partial_fit sequence. Errors: CML_ERR_UNSUPPORTED (no partial_fit),
 * CML_ERR_ARG (shape, labels; the model is unchanged). */
cml_status cml_model_partial_fit(cml_model *m, const cml_matrix *X, const double *y,
                                 const cml_fit_opts *opts);
/* 1 if the model's estimator supports cml_model_partial_fit. */
int cml_model_can_partial_fit(const cml_model *m);
const cml_fit_info *cml_model_fit_info(const cml_model *m);
double cml_model_fit_seconds(const cml_model *m);

cml_status cml_model_predict(const cml_model *m, const cml_matrix *X, double *out);
cml_status cml_model_predict_proba(const cml_model *m, const cml_matrix *X, double *out);
cml_status cml_model_decision_function(const cml_model *m, const cml_matrix *X, double *out);
cml_status cml_model_transform(const cml_model *m, const cml_matrix *X, double *out);
int64_t cml_model_n_classes(const cml_model *m); /* 0 for non-classifiers */
/* Labels of the training rows (clusterers); 0 and NULL if the estimator has
 * none. Valid as long as the model. */
int64_t cml_model_labels(const cml_model *m, const int64_t **labels);
const double *cml_model_classes(const cml_model *m);
int64_t cml_model_n_features_in(const cml_model *m);
int64_t cml_model_n_transform_cols(const cml_model *m);
int64_t cml_model_n_decision_cols(const cml_model *m);

/* Pipelines: preprocessing steps (transform estimators) run in order before
 * the final estimator, at fit and at predict, and are saved in the same file.
 * Takes ownership of `step` (also on failure). Add steps before fit. */
cml_status cml_model_add_step(cml_model *m, cml_model *step);
int cml_model_n_steps(const cml_model *m);
const cml_model *cml_model_step(const cml_model *m, int i);
/* The estimator's own fitted state (for typed getters); NULL if unfitted. */
const void *cml_model_state(const cml_model *m);

/* Attach arbitrary extra metadata / tensors the caller wants saved with the
 * model (the CLI stores the column schema and preprocessing chain this way).
 * Called with the writer before the estimator writes its own fields. */
typedef cml_status (*cml_model_save_hook)(cml_gguf_writer *w, void *user);

/* Saves atomically (temp file + rename): a crash leaves the old file or the
 * new one, never a torn one. */
cml_status cml_model_save(const cml_model *m, const char *path, cml_model_save_hook hook,
                          void *user);
/* Loads a model; *gguf_out (optional) receives the parsed file so the caller
 * can read its own extra keys; free it with cml_gguf_free. */
cml_status cml_model_load(const char *path, cml_model **out, cml_gguf **gguf_out);
/* Same, from an already-parsed container. */
cml_status cml_model_from_gguf(const cml_gguf *g, cml_model **out);
/* Writes into an open writer (for pipelines that nest models). */
cml_status cml_model_write(const cml_model *m, cml_gguf_writer *w);

/* JSON description (kind, version, params, fit info, fitted attributes);
 * caller frees. */
char *cml_model_describe(const cml_model *m);

void cml_model_free(cml_model *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_MODEL_H */
