/*
 * cml/serve.h — an HTTP/JSON model server over the generic model layer.
 *
 * Serves any number of saved models (GGUF files written by `cml fit` or
 * cml_model_save) by name:
 *   POST /v1/models/{name}/predict   rows, records or a CSV body -> predictions
 *   GET  /v1/models[/{name}]         what is served: kind, task, features, classes
 *   GET  /health                     liveness (always 200 while the process runs)
 *   GET  /ready                      503 until every model is loaded, then 200
 *   GET  /metrics                    Prometheus text format 0.0.4
 * docs/serve.md describes the wire format, errors and metrics.
 *
 * Built on libmicrohttpd (its internal thread pool) and cJSON. The library
 * installs no signal handler and prints nothing: request and lifecycle log
 * lines (one JSON object each) go to the `log` callback. The command
 * (`cml serve`) wires SIGTERM/SIGINT to cml_server_shutdown and SIGHUP to
 * cml_server_reload.
 *
 * Thread-safety: request handling runs on the server's own threads. From the
 * owner's thread, cml_server_reload and cml_server_shutdown may be called
 * while requests are in flight; the other calls are for set-up and
 * tear-down only.
 */
#ifndef CML_SERVE_H
#define CML_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives one complete JSON object (no newline) per request or event. May
 * be called from several threads at once; it must write the line whole. */
typedef void (*cml_serve_log_fn)(const char *json_line, void *user);

typedef struct cml_serve_opts {
    const char *host;         /* numeric address or host name to bind; "127.0.0.1" */
    int port;                 /* 8080; 0 = any free port (see cml_server_port) */
    int threads;              /* worker threads; <= 0: the number of online CPUs */
    size_t max_body;          /* request bodies larger than this get 413; 8 MiB */
    int timeout;              /* seconds a connection may stay idle; 30 */
    int max_connections;      /* concurrent connections; 1024 */
    const char *api_key_file; /* one key per line ('#' comments); NULL = no auth */
    double rate_limit;        /* requests/s per API key (per client address
                                 without keys), burst 2x; 0 = no limit */
    int log_requests;         /* 1: a log line per request (default); 0: events only */
    cml_serve_log_fn log;     /* NULL = no log */
    void *log_user;
    /* (optional) Maps a model's reference (the `path` given to
     * cml_server_add_model) to the file to load, at every load and reload:
     * a registry entry "iris@champion" (src/track), so that a reload after
     * the alias moved serves the new version. Sets *path (malloc'd, the
     * server frees it; NULL: load ref itself) or fails with a message.
     * Called from the thread that calls cml_server_load/_reload. NULL:
     * references are paths. */
    cml_status (*resolve)(const char *ref, char **path, void *user);
    void *resolve_user;
} cml_serve_opts;

typedef struct cml_server cml_server;

/* The defaults above. */
cml_serve_opts cml_serve_opts_default(void);

/* Validates the options and reads the API key file (an empty or unreadable
 * key file is an error: serving with auth on and no key would lock everyone
 * out). Copies what it keeps. Nothing listens yet. */
cml_status cml_server_create(const cml_serve_opts *opts, cml_server **out);

/* Registers a model file under a name ([A-Za-z0-9_.-], at most 64 bytes,
 * unique). Does not load it: cml_server_load does. Before start only. */
cml_status cml_server_add_model(cml_server *s, const char *name, const char *path);

/* Binds and starts the worker threads. From here /health answers 200 and
 * /ready 503 until cml_server_load succeeds. */
cml_status cml_server_start(cml_server *s);

/* The port actually bound (useful with port 0); 0 before start. */
int cml_server_port(const cml_server *s);

/* Loads every registered model; on success /ready turns 200. On failure the
 * message names the model and file, and the server stays not ready. */
cml_status cml_server_load(cml_server *s);

/* Hot reload: reads every model file again and swaps each new version in
 * atomically; requests already running finish on the version they started
 * with. A model whose file fails to load keeps its old version (the error is
 * logged and returned; the other models are still reloaded). */
cml_status cml_server_reload(cml_server *s);

/* Graceful stop: stops accepting connections, turns /ready to 503, waits up
 * to drain_seconds for the requests in flight to finish, then stops the
 * threads. Returns the number of requests still in flight at the deadline
 * (0: every request finished). Safe to call twice. */
int64_t cml_server_shutdown(cml_server *s, double drain_seconds);

/* Requests currently being handled. */
int64_t cml_server_in_flight(const cml_server *s);

/* Shuts down (without draining) if still running, and frees. NULL: no-op. */
void cml_server_free(cml_server *s);

#ifdef __cplusplus
}
#endif
#endif /* CML_SERVE_H */
