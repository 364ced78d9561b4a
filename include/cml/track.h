/*
 * cml/track.h — experiment tracking and a model registry in one SQLite file.
 *
 * MLflow's concepts with a C API (MLflow has no C client: mlflow#666):
 *   experiment  a named group of runs ("default" unless given)
 *   run         one fit: params, per-step metrics (the training loop's
 *               reports), final metrics, the data file and its sha256, the
 *               model file and its sha256, cml version, duration, status
 *   registered model  a name; its versions are runs' model files, numbered
 *               1, 2, ...; aliases ("champion", "staging") point at versions
 *
 * Storage: SQLite in WAL mode (readers never block the writer). A run is
 * buffered in memory and written in one transaction by cml_track_run_end,
 * so a process killed at any point (SIGKILL included) leaves either the
 * whole run or none of it; every write takes the write lock up front
 * (BEGIN IMMEDIATE) and waits for other writers up to the store's timeout,
 * so many processes can record runs into one store at once. The schema is
 * described in docs/tracking.md.
 *
 * Thread-safety: a cml_track handle and the runs started from it belong to
 * one thread at a time; open one handle per thread (or process).
 */
#ifndef CML_TRACK_H
#define CML_TRACK_H

#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cml_track cml_track;
typedef struct cml_track_run cml_track_run;

/* Opens (creating it and its tables if needed) the store at path, e.g.
 * "cml.db". Errors: CML_ERR_IO (cannot open or create, or locked past the
 * timeout), CML_ERR_FORMAT (not a cml store, or corrupt), CML_ERR_VERSION
 * (written by a newer cml). Close with cml_track_close. */
cml_status cml_track_open(const char *path, cml_track **out);
/* How long a write waits for other writers before failing with CML_ERR_IO
 * ("locked"); default 30 s. */
void cml_track_set_timeout(cml_track *t, double seconds);
/* NULL: no-op. Runs still open are not written. */
void cml_track_close(cml_track *t);

/* ---------------------------------------------------------------- runs */

typedef enum cml_run_status {
    CML_RUN_FINISHED = 0,
    CML_RUN_FAILED,
    CML_RUN_KILLED /* stopped by the user (SIGINT) */
} cml_run_status;

/* Starts a run in experiment (NULL or "" = "default"); takes the start
 * time. Nothing is written until cml_track_run_end. */
cml_status cml_track_run_start(cml_track *t, const char *experiment, cml_track_run **out);
/* A parameter; logging a key twice keeps the last value. */
cml_status cml_track_log_param(cml_track_run *r, const char *key, const char *value);
/* A metric at a step (epoch, boosting round, iteration); the same (key,
 * step) twice keeps the last value. */
cml_status cml_track_log_metric(cml_track_run *r, const char *key, int64_t step, double value);
/* A final metric (validation accuracy, fit seconds...); last value kept. */
cml_status cml_track_log_final(cml_track_run *r, const char *key, double value);
/* Records the training data file (path as given, and its sha256). */
cml_status cml_track_log_data(cml_track_run *r, const char *path);
/* Records the model file written by the run (path and sha256). */
cml_status cml_track_log_model(cml_track_run *r, const char *path);
/* A cml_metric_fn (see cml_metric_hook_set) that logs each report into the
 * run given as user_data: cml_metric_hook_set(cml_track_metric_listener, r)
 * around a fit records its per-step metrics. An allocation failure is kept
 * and returned by cml_track_run_end. */
void cml_track_metric_listener(void *run, const char *name, int64_t step, double value);
/* Writes the run in one transaction with its end time, duration and
 * status, sets *id (may be NULL) to its run id, and frees r (even on
 * failure, when nothing is written). Run ids are unique in the store and
 * increase with commit order. */
cml_status cml_track_run_end(cml_track_run *r, cml_run_status status, int64_t *id);
/* Frees r without writing it. NULL: no-op. */
void cml_track_run_discard(cml_track_run *r);

/* A key and a value (params: text; metrics: number). */
typedef struct cml_track_kv {
    char *key;
    char *text; /* params */
    double value;
} cml_track_kv;

/* A recorded run, as read back. Strings are never NULL ("" when absent). */
typedef struct cml_track_run_info {
    int64_t id;
    char *experiment;
    char *status;                /* "finished", "failed", "killed" */
    double start_time, end_time; /* seconds since the Unix epoch */
    double duration;             /* seconds */
    char *cml_version;
    char *data_path, *data_sha256;
    char *model_path, *model_sha256;
    int64_t n_params;
    cml_track_kv *params; /* sorted by key */
    int64_t n_metrics;
    cml_track_kv *metrics;  /* final metrics, sorted by key */
    int64_t n_step_metrics; /* rows of per-step history */
} cml_track_run_info;

/* Reads run id. Unknown id: CML_ERR_ARG ("no run 42 in cml.db"). Free with
 * cml_track_run_info_free. */
cml_status cml_track_run_get(cml_track *t, int64_t id, cml_track_run_info **out);
void cml_track_run_info_free(cml_track_run_info *info);

/* Run ids, newest first, of one experiment (NULL: all). *ids is malloc'd
 * (free()); NULL when *n == 0. Unknown experiment: CML_ERR_ARG. */
cml_status cml_track_run_list(cml_track *t, const char *experiment, int64_t **ids, int64_t *n);

/* The per-step history of one metric of a run, by step: *steps and
 * *values malloc'd (free()). A key the run never logged gives *n = 0. */
cml_status cml_track_metric_history(cml_track *t, int64_t id, const char *key, int64_t **steps,
                                    double **values, int64_t *n);
/* Distinct per-step metric keys of a run, sorted; free with
 * cml_track_strings_free. */
cml_status cml_track_metric_keys(cml_track *t, int64_t id, char ***keys, int64_t *n);
void cml_track_strings_free(char **s, int64_t n);

/* Runs side by side: the union of their param and final-metric keys
 * (sorted), one column per run, in the order of ids. */
typedef struct cml_track_comparison {
    int64_t n_runs;
    cml_track_run_info **runs; /* (n_runs) as cml_track_run_get reads them */
    int64_t n_params;
    char **param_keys;            /* (n_params) */
    const char **param_values;    /* (n_params, n_runs) row-major; NULL: the run lacks it */
    unsigned char *param_differs; /* (n_params) 1 when not every run has the same value */
    int64_t n_metrics;
    char **metric_keys;        /* (n_metrics) */
    double *metric_values;     /* (n_metrics, n_runs) row-major */
    unsigned char *metric_has; /* (n_metrics, n_runs) 0: the run lacks it (value NaN) */
} cml_track_comparison;

/* Reads runs ids[0..n) (n >= 1) and lines them up. An unknown id is
 * CML_ERR_ARG. Free with cml_track_comparison_free. */
cml_status cml_track_compare(cml_track *t, const int64_t *ids, int64_t n,
                             cml_track_comparison **out);
void cml_track_comparison_free(cml_track_comparison *c);

/* ---------------------------------------------------------------- registry */

/* A version of a registered model. */
typedef struct cml_model_version {
    char *name;
    int version;
    int64_t run_id;
    char *path;   /* the registry's own copy of the model file */
    char *sha256; /* of that file */
    double created;
    char *aliases; /* comma-separated, "" when none */
} cml_model_version;

/* Registers the model file of run run_id as the next version of name
 * (created on first use; [A-Za-z0-9_.-], 1 to 64 bytes). The file must
 * still have the sha256 the run recorded (else CML_ERR_FORMAT: it changed
 * since); it is copied to <store dir>/cml-artifacts/<name>/v<version>.gguf
 * so later fits that overwrite the original cannot change a registered
 * version. *version (may be NULL) receives the new number. */
cml_status cml_track_register(cml_track *t, const char *name, int64_t run_id, int *version);
/* Points name@alias at version (moving it if it pointed elsewhere).
 * Aliases are [A-Za-z_][A-Za-z0-9_.-]* (not all digits: "name@3" means
 * version 3). Unknown name or version: CML_ERR_ARG. */
cml_status cml_track_set_alias(cml_track *t, const char *name, const char *alias, int version);
/* Removes an alias; one that does not exist is CML_ERR_ARG. */
cml_status cml_track_delete_alias(cml_track *t, const char *name, const char *alias);
/* Resolves "name@alias", "name@VERSION" or "name" (the latest version).
 * Unknown name, alias or version: CML_ERR_ARG naming what exists. Free with
 * cml_model_version_free. */
cml_status cml_track_resolve(cml_track *t, const char *spec, cml_model_version **out);
/* Versions of name (NULL: of every model), by name then version. Free
 * with cml_model_versions_free. */
cml_status cml_track_versions(cml_track *t, const char *name, cml_model_version **out, int64_t *n);
void cml_model_version_free(cml_model_version *v);
void cml_model_versions_free(cml_model_version *v, int64_t n);

/* ---------------------------------------------------------------- files */

/* sha256 of a file as 64 lowercase hex digits plus NUL. CML_ERR_IO if it
 * cannot be read. */
cml_status cml_sha256_file(const char *path, char hex[65]);
/* sha256 of a buffer (FIPS 180-4). */
void cml_sha256(const void *data, size_t n, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif
#endif /* CML_TRACK_H */
