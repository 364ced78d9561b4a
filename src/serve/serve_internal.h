/*
 * serve_internal.h — the parts of the model server (src/serve) that are
 * independent of HTTP, so they can be unit-tested without a socket:
 *   metrics.c   counters, histograms, gauges and the Prometheus exposition
 *   auth.c      API keys (constant-time match) and the token-bucket limiter
 *   models.c    a loaded model version (model + column schema), reference
 *               counted slots for hot reload
 *   predict.c   request bodies (JSON rows / records, CSV) -> matrix ->
 *               predictions -> JSON
 *   server.c    libmicrohttpd glue: routing, auth, limits, logging, lifecycle
 * Never installed.
 */
#ifndef CML_SERVE_INTERNAL_H
#define CML_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cml/data.h"
#include "cml/model.h"
#include "cml/serve.h"
#include "cml/text.h"
#include "core/strbuf.h"

/* ---------------------------------------------------------------- metrics */

/* Route labels: a fixed set, so label cardinality is bounded whatever URLs
 * clients send (unknown paths are all "other"). */
typedef enum serve_route {
    SR_HEALTH = 0,
    SR_READY,
    SR_METRICS,
    SR_MODELS,  /* GET /v1/models */
    SR_MODEL,   /* GET /v1/models/{name} */
    SR_PREDICT, /* POST /v1/models/{name}/predict */
    SR_OTHER,
    SR_N
} serve_route;

typedef enum serve_method {
    SM_GET = 0,
    SM_HEAD,
    SM_POST,
    SM_PUT,
    SM_DELETE,
    SM_PATCH,
    SM_OPTIONS,
    SM_OTHER,
    SM_N
} serve_method;

/* Every status the server itself answers with; anything else counts as
 * the last entry ("other"). */
#define SERVE_STATUSES                                                                             \
    {                                                                                              \
        200, 400, 401, 404, 405, 413, 415, 429, 500, 503                                           \
    }
#define SERVE_N_STATUS 11
/* Latency histogram upper bounds, seconds (the +Inf bucket is implicit). */
#define SERVE_BUCKETS                                                                              \
    {                                                                                              \
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,  \
            5, 10                                                                                  \
    }
#define SERVE_N_BUCKETS 16

typedef struct serve_metrics {
    _Atomic uint64_t requests[SR_N][SM_N][SERVE_N_STATUS];
    _Atomic uint64_t bucket[SR_N][SERVE_N_BUCKETS + 1]; /* non-cumulative; last = +Inf only */
    _Atomic uint64_t sum_ns[SR_N];                      /* total latency, nanoseconds */
    _Atomic int64_t in_flight;
    double start_time; /* Unix time at creation: fallback for process_start_time_seconds */
} serve_metrics;

/* Per-model values for the exposition, snapshotted by the caller. */
typedef struct serve_model_stats {
    const char *name;
    int loaded;
    double load_seconds;  /* of the version now served */
    uint64_t predictions; /* rows predicted, all versions */
    uint64_t reloads_ok, reloads_failed;
} serve_model_stats;

void serve_metrics_init(serve_metrics *m);
const char *serve_route_label(serve_route r);
const char *serve_method_label(serve_method m);
serve_method serve_method_parse(const char *method);
/* Counts one finished request and its latency. Lock-free. */
void serve_metrics_observe(serve_metrics *m, serve_route r, serve_method meth, int status,
                           double seconds);
/* Appends the whole exposition (text format 0.0.4) to out. */
void serve_metrics_render(const serve_metrics *m, const serve_model_stats *models, int n_models,
                          cml_sb *out);
/* Appends a Prometheus label value with \\, \" and \n escaped. */
void serve_label_value(cml_sb *out, const char *v);

/* ---------------------------------------------------------------- auth */

typedef struct serve_keys {
    char **keys;
    size_t *lens;
    int n;
} serve_keys;

/* One key per line; surrounding blanks trimmed; blank lines and lines whose
 * first non-blank is '#' ignored. No key at all: CML_ERR_FORMAT. */
cml_status serve_keys_load(const char *path, serve_keys *out);
cml_status serve_keys_parse(const char *text, size_t len, const char *name, serve_keys *out);
void serve_keys_free(serve_keys *k);
/* 1 if tok equals a key. Runs in time that depends only on tok's length and
 * the number of keys, never on where a byte first differs or which key
 * matched. *which gets the matching key's index (or -1). */
int serve_keys_match(const serve_keys *k, const char *tok, size_t tlen, int *which);
/* Constant-time comparison for the above (exposed for tests). */
int serve_ct_equal(const char *key, size_t klen, const char *tok, size_t tlen);

/* Token bucket per client (API key or address): `rate` tokens/s, capacity
 * `burst`. Open addressing over a fixed table; buckets that have refilled
 * completely are indistinguishable from new ones and are dropped when the
 * table fills. */
#define SERVE_LIMITER_SLOTS 4096
typedef struct serve_bucket {
    char who[64];
    double tokens, last;
    int used;
} serve_bucket;

typedef struct serve_limiter {
    double rate, burst;
    pthread_mutex_t mu;
    serve_bucket *slots; /* (SERVE_LIMITER_SLOTS) */
    int n_used;
} serve_limiter;

cml_status serve_limiter_init(serve_limiter *l, double rate, double burst);
void serve_limiter_free(serve_limiter *l);
/* Takes a token for `who` at time `now` (seconds, monotonic). Returns 0 if
 * allowed, else the seconds until a token is available (> 0). */
double serve_limiter_take(serve_limiter *l, const char *who, double now);

/* ---------------------------------------------------------------- models */

typedef struct serve_name_index {
    const char *name; /* points into features[index].name */
    int64_t index;
} serve_name_index;

/* One loaded, immutable version of a model file. Shared by the requests
 * running on it; freed when the last reference goes. */
typedef struct serve_model {
    cml_model *model;
    cml_column *features; /* (n_features) schema, in the model's column order */
    int64_t n_features;
    cml_column *target;        /* NULL when the file has no target schema */
    serve_name_index *by_name; /* (n_features) sorted by name, for records */
    const double *classes;     /* (n_classes) owned by model; NULL for regressors */
    int64_t n_classes;
    char *info_json; /* members of the object GET /v1/models shows, after "name" */
    /* A model fitted with `cml fit --text COL`: its one feature is the text
     * column and one of these is its fitted vectorizer (documents -> CSR
     * features); both NULL otherwise. */
    cml_tfidf *tfidf;
    cml_count *count;
    double load_seconds;
    _Atomic int64_t refs;
} serve_model;

/* Loads a model file and its schema. A model without a stored schema (made
 * through the C API) gets numeric features c0..c{n-1}. A text model (`cml
 * fit --text`) also gets its vectorizer, and its requests carry documents. A model that cannot
 * predict (a scaler, PCA) is refused with CML_ERR_UNSUPPORTED. refs = 1. */
cml_status serve_model_load(const char *path, serve_model **out);
/* Drops a reference; frees on the last. NULL: no-op. */
void serve_model_release(serve_model *m);
/* Index of a feature by exact name, or -1 (binary search over by_name). */
int64_t serve_model_feature(const serve_model *m, const char *name);

/* A served name and the version now behind it. */
typedef struct serve_slot {
    char name[65];
    char *path;
    pthread_mutex_t mu; /* guards cur: held only to swap it or take a reference */
    serve_model *cur;
    _Atomic uint64_t predictions, reloads_ok, reloads_failed;
} serve_slot;

/* A new reference to the current version (NULL while none is loaded). */
serve_model *serve_slot_acquire(serve_slot *s);
/* Installs m (taking over its reference) and releases the old version:
 * requests holding the old one keep it until they finish. */
void serve_slot_swap(serve_slot *s, serve_model *m);

/* ---------------------------------------------------------------- predict */

/* A parsed request: X (rows, cols) row-major, proba wanted or not. */
typedef struct serve_input {
    double *X;
    int64_t rows, cols;
    int proba;
    char **docs; /* text models: (rows) the documents, owned; else NULL */
} serve_input;

/* Parses a predict body into X through the model's schema. is_csv: a CSV
 * with a header row; else JSON {"rows": [[...]]} or {"records": [{...}]}
 * with optional "proba": bool (proba_default applies when absent). A text
 * model's text column takes strings (the documents go to in->docs). On
 * error returns an HTTP status (400) and writes the reason, naming the row
 * and column, into err. */
int serve_parse_input(const serve_model *m, const char *body, size_t len, int is_csv,
                      int proba_default, serve_input *in, char *err, size_t errlen);
void serve_input_free(serve_input *in);

/* The whole predict request: parse, predict (and predict_proba), render
 * {"model", "predictions", ["classes", "probabilities"]} into out. Returns
 * the HTTP status; on error out holds {"error": "..."} and err the message
 * alone (for the log). *rows gets the row count (0 on a parse error).
 * body[len] must be a readable NUL. */
int serve_predict(const serve_model *m, const char *name, const char *body, size_t len, int is_csv,
                  int proba_default, cml_sb *out, int64_t *rows, char *err, size_t errlen);

/* Replaces each byte that is not part of valid UTF-8 with '?', in place. */
void serve_utf8_clean(char *s);
/* Appends {"error": msg} (msg made valid UTF-8). */
void serve_error_json(cml_sb *out, const char *msg);
/* Appends a class value as JSON: the label string when the target column
 * was text, else the number. */
void serve_class_json(const serve_model *m, double v, cml_sb *out);

#endif /* CML_SERVE_INTERNAL_H */
