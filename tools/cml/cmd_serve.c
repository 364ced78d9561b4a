/*
 * cmd_serve.c — `cml serve`: serve saved models over HTTP (src/serve).
 *
 * Signals are taken synchronously: SIGINT, SIGTERM and SIGHUP are blocked
 * before the server's threads start (they inherit the mask) and this thread
 * waits for them with sigwait, so reload and shutdown run as ordinary code,
 * not in a signal handler. SIGHUP reloads every model file; SIGTERM/SIGINT
 * stop accepting, let in-flight requests finish (up to --drain seconds) and
 * exit 0.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cml/serve.h"

static const cli_opt opts[] = {
    {"model", "NAME=PATH", 1,
     "serve the model file PATH as NAME (URL /v1/models/NAME/predict); NAME=REG@ALIAS, "
     "NAME=REG@VERSION or REG@ALIAS serve a registry version (cml registry)"},
    {"store", "PATH", 0, "tracking store for registry models (default $CML_STORE, else ./cml.db)"},
    {"host", "ADDR", 0, "address to bind (default 127.0.0.1; 0.0.0.0 for every interface)"},
    {"port", "N", 0, "TCP port (default 8080; 0 picks a free one, logged at start)"},
    {"threads", "N", 0, "HTTP worker threads (default: number of CPUs)"},
    {"predict-threads", "N", 0, "OpenMP threads inside one prediction (default 1)"},
    {"max-body", "BYTES", 0, "largest request body; larger gets 413 (default 8388608)"},
    {"timeout", "SECONDS", 0, "close connections idle this long (default 30; 0 = never)"},
    {"max-connections", "N", 0, "concurrent connections (default 1024)"},
    {"api-key-file", "FILE", 0, "require Authorization: Bearer KEY, keys one per line"},
    {"rate-limit", "RPS", 0, "requests/s per API key (per address without keys), burst 2x"},
    {"drain", "SECONDS", 0, "on SIGTERM, wait this long for in-flight requests (default 30)"},
    {"quiet", NULL, 0, "no per-request log lines (start, reload and stop are still logged)"},
    {NULL, NULL, 0, NULL}};

/* One JSON line on stderr, written whole even with many threads logging. */
static void log_line(const char *line, void *user)
{
    size_t n = strlen(line);
    flockfile(stderr);
    fwrite(line, 1, n, stderr);
    fputc('\n', stderr);
    funlockfile(stderr);
}

static int parse_long(const cli_cmd *cmd, const char *opt, const char *v, long lo, long hi,
                      long *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < lo || n > hi)
        return cli_usage(cmd, "--%s must be a whole number in [%ld, %ld], got \"%s\"", opt, lo, hi,
                         v);
    *out = n;
    return CLI_OK;
}

/* Reads the numeric options into o. */
static int read_opts(const cli_cmd *cmd, const cli_args *a, cml_serve_opts *o, double *drain)
{
    long n = 0;
    int rc;
    const char *v;
    if ((v = cli_get(a, "host"))) o->host = v;
    if ((v = cli_get(a, "port"))) {
        if ((rc = parse_long(cmd, "port", v, 0, 65535, &n))) return rc;
        o->port = (int)n;
    }
    if ((v = cli_get(a, "threads"))) {
        if ((rc = parse_long(cmd, "threads", v, 1, 1024, &n))) return rc;
        o->threads = (int)n;
    }
    if ((v = cli_get(a, "predict-threads"))) {
        if ((rc = parse_long(cmd, "predict-threads", v, 1, 4096, &n))) return rc;
        cml_set_num_threads((int)n);
    } else {
        /* concurrency comes from the HTTP threads; one OpenMP team per request would
         * oversubscribe the cores */
        cml_set_num_threads(1);
    }
    if ((v = cli_get(a, "max-body"))) {
        if ((rc = parse_long(cmd, "max-body", v, 1, 1L << 32, &n))) return rc;
        o->max_body = (size_t)n;
    }
    if ((v = cli_get(a, "timeout"))) {
        if ((rc = parse_long(cmd, "timeout", v, 0, 86400, &n))) return rc;
        o->timeout = (int)n;
    }
    if ((v = cli_get(a, "max-connections"))) {
        if ((rc = parse_long(cmd, "max-connections", v, 1, 1000000, &n))) return rc;
        o->max_connections = (int)n;
    }
    if ((v = cli_get(a, "drain"))) {
        if ((rc = parse_long(cmd, "drain", v, 0, 86400, &n))) return rc;
        *drain = (double)n;
    }
    if ((v = cli_get(a, "rate-limit"))) {
        char *end;
        double r = strtod(v, &end);
        if (end == v || *end || !(r > 0) || r > 1e9)
            return cli_usage(cmd, "--rate-limit must be a number of requests/s > 0, got \"%s\"", v);
        o->rate_limit = r;
    }
    o->api_key_file = cli_get(a, "api-key-file");
    o->log_requests = !cli_flag(a, "quiet");
    return CLI_OK;
}

/* The server's resolve hook: a reference with an '@' that is not an
 * existing file is a registry entry, looked up in the store at every load
 * and reload (so SIGHUP follows a moved alias), and its file checked
 * against the sha256 the registry recorded. */
static cml_status resolve_ref(const char *ref, char **path, void *user)
{
    const char *store = user;
    *path = NULL;
    if (!strchr(ref, '@') || access(ref, F_OK) == 0) return CML_OK;
    if (access(store, F_OK) != 0)
        return cml_fail(CML_ERR_IO,
                        "%s: no tracking store at %s for registry model %s. HINT: --store PATH",
                        ref, store, ref);
    cml_track *t;
    cml_model_version *v = NULL;
    cml_status st = cml_track_open(store, &t);
    if (st == CML_OK) st = cml_track_resolve(t, ref, &v);
    cml_track_close(t);
    char sha[65];
    if (st == CML_OK) st = cml_sha256_file(v->path, sha);
    if (st == CML_OK && strcmp(sha, v->sha256) != 0)
        st = cml_fail(CML_ERR_FORMAT,
                      "%s: %s does not have the sha256 the registry recorded; it was modified", ref,
                      v->path);
    if (st == CML_OK && !(*path = strdup(v->path))) st = CML_ERR_NOMEM;
    cml_model_version_free(v);
    return st;
}

static int add_models(const cli_cmd *cmd, const cli_args *a, cml_server *s)
{
    const char *const *models;
    int n = cli_get_all(a, "model", &models);
    if (!n) return cli_usage(cmd, "give at least one --model NAME=PATH");
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(models[i], '=');
        const char *at = strchr(models[i], '@');
        /* REG@ALIAS alone: served under the registry name */
        const char *end = eq ? eq : at, *ref = eq ? eq + 1 : models[i];
        if (!end || end == models[i] || !end[1])
            return cli_usage(cmd, "--model wants NAME=PATH or REG@ALIAS, got \"%s\"", models[i]);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(end - models[i] < 127 ? end - models[i] : 127),
                 models[i]);
        cml_status st = cml_server_add_model(s, name, ref);
        if (st != CML_OK) return cli_fail_usage(st);
    }
    return CLI_OK;
}

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    cml_serve_opts o = cml_serve_opts_default();
    double drain = 30;
    if ((rc = read_opts(cmd, &a, &o, &drain))) return rc;
    o.log = log_line;
    const char *store = cli_get(&a, "store");
    if (!store) store = getenv("CML_STORE");
    o.resolve = resolve_ref;
    o.resolve_user = (void *)(store && store[0] ? store : "cml.db");

    cml_server *s = NULL;
    cml_status st = cml_server_create(&o, &s);
    if (st != CML_OK) return cli_fail_usage(st);
    if ((rc = add_models(cmd, &a, s))) {
        cml_server_free(s);
        return rc;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up must not kill the server */

    st = cml_server_start(s);
    if (st == CML_OK) st = cml_server_load(s);
    if (st != CML_OK) {
        rc = cli_fail(st);
        cml_server_free(s);
        return rc;
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig)) continue;
        if (sig == SIGHUP) {
            /* a failed reload keeps the old model; the server logged why */
            cml_server_reload(s);
            continue;
        }
        break;
    }
    int64_t left = cml_server_shutdown(s, drain);
    cml_server_free(s);
    if (left) {
        cli_error("stopped with %lld request(s) unfinished after --drain %.0f s", (long long)left,
                  drain);
        return CLI_RUNTIME;
    }
    return CLI_OK;
}

const cli_cmd cli_cmd_serve = {
    "serve",
    "--model NAME=PATH [--model NAME=PATH]... [--host ADDR] [--port N] [--threads N] "
    "[--api-key-file FILE] [--rate-limit RPS]",
    "serve models over HTTP (JSON/CSV predict, Prometheus /metrics)",
    "Routes: POST /v1/models/NAME/predict with {\"rows\": [[...]]}, {\"records\": [{\"col\": v}]} "
    "or a text/csv body (add \"proba\": true or ?proba=true for probabilities); a model fitted "
    "with `cml fit --text COL` takes the documents as strings ({\"records\": [{\"COL\": "
    "\"...\"}]}) through its own vectorizer; GET /v1/models, "
    "/health, /ready, /metrics. One JSON log line per request on stderr. SIGHUP reloads the "
    "model files (a failed reload keeps the old model) and looks registry aliases up again, so "
    "after `cml registry alias iris@champion 3` a SIGHUP serves version 3; SIGTERM/SIGINT "
    "drain and exit 0. "
    "/health, /ready and /metrics need no API key. See docs/serve.md.",
    opts,
    0,
    run};
