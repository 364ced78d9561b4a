/*
 * server.c — the HTTP side of the model server: libmicrohttpd (MHD) with its
 * internal thread pool, routing, API keys, rate limits, body limits, one
 * JSON log line per request, readiness, hot reload and graceful shutdown.
 *
 * A request goes through, in this order (each step may answer alone):
 *   route (404) -> method (405, with Allow) -> API key (401) -> rate limit
 *   (429, with Retry-After) -> model name (404) -> Content-Length (413) ->
 *   Content-Type (415) -> body accumulated up to --max-body (413) ->
 *   predict.c (400 naming the row and column) -> 200.
 * /health, /ready and /metrics never ask for a key: load balancers and
 * Prometheus scrape them without credentials (docs/serve.md says so).
 *
 * MHD calls the access handler once with the headers, once per piece of
 * body, and once more when the body is complete; the per-request state
 * (struct request) lives in *con_cls until MHD's completion callback, which
 * is where latency is measured (last byte sent), metrics are counted, the
 * log line is written and the in-flight gauge goes down.
 *
 * Shutdown: MHD_quiesce_daemon closes the listening socket (no new
 * connections), /ready turns 503, then we wait for the in-flight count to
 * reach zero (bounded), then stop the threads.
 *
 * Thread-safety: handlers run on MHD's pool threads; shared state is
 * atomics (metrics, ids, flags), the limiter's mutex and the slots' mutexes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "serve/serve_internal.h"

#define MAX_NAME 64

struct cml_server {
    cml_serve_opts o; /* host and api_key_file point at the copies below */
    char *host, *key_file;
    serve_slot **slots;
    int n_slots;
    serve_keys keys;
    int auth;
    serve_limiter limiter;
    int limited;
    serve_metrics metrics;
    struct MHD_Daemon *daemon;
    MHD_socket listen_fd; /* returned by quiesce; closed after stop */
    int port;
    _Atomic int ready, stopping;
    _Atomic uint64_t next_id;
    pthread_mutex_t reload_mu;
};

typedef struct request {
    uint64_t id;
    double t0;
    serve_route route;
    serve_method method;
    int status; /* 0 until a response is queued */
    char path[256];
    char remote[64];
    serve_slot *slot; /* model routes */
    char *body;       /* (cap) with room for a NUL after len */
    size_t len, cap, discarded;
    int too_large, is_csv, proba;
    int64_t rows;
    char *error; /* message for the log line */
} request;

cml_serve_opts cml_serve_opts_default(void)
{
    cml_serve_opts o;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.port = 8080;
    o.threads = 0;
    o.max_body = (size_t)8 << 20;
    o.timeout = 30;
    o.max_connections = 1024;
    o.log_requests = 1;
    return o;
}

/* ---------------------------------------------------------------- logging */

static void iso_time(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Emits one finished JSON line: {"time": ..., <members>}. */
static void emit(const cml_server *s, cml_sb *sb)
{
    char *line = cml_sb_finish(sb);
    if (line && s->o.log) s->o.log(line, s->o.log_user);
    free(line);
}

static void start_line(cml_sb *sb)
{
    char t[40];
    iso_time(t, sizeof t);
    cml_sb_init(sb);
    cml_sb_printf(sb, "{\"time\":\"%s\"", t);
}

/* {"time", "event": event, ["model": model], ["error": msg]} plus the
 * members in `extra` (already JSON, starting with ','), or none. */
static void log_event(const cml_server *s, const char *event, const char *model, const char *error,
                      const char *extra)
{
    if (!s->o.log) return;
    cml_sb sb;
    start_line(&sb);
    cml_sb_puts(&sb, ",\"event\":");
    cml_sb_json_str(&sb, event);
    if (model) {
        cml_sb_puts(&sb, ",\"model\":");
        cml_sb_json_str(&sb, model);
    }
    if (error) {
        cml_sb_puts(&sb, ",\"error\":");
        cml_sb_json_str(&sb, error);
    }
    if (extra) cml_sb_puts(&sb, extra);
    cml_sb_puts(&sb, "}");
    emit(s, &sb);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_event(cls, "http_error", NULL, msg, NULL);
}

static void log_request(const cml_server *s, const request *r, double seconds)
{
    if (!s->o.log || !s->o.log_requests) return;
    cml_sb sb;
    start_line(&sb);
    cml_sb_printf(&sb, ",\"id\":%llu,\"method\":", (unsigned long long)r->id);
    cml_sb_json_str(&sb, serve_method_label(r->method));
    cml_sb_puts(&sb, ",\"path\":");
    cml_sb_json_str(&sb, r->path);
    cml_sb_printf(&sb, ",\"route\":\"%s\",\"status\":%d,\"latency_ms\":%.3f",
                  serve_route_label(r->route), r->status, seconds * 1e3);
    if (r->slot) {
        cml_sb_puts(&sb, ",\"model\":");
        cml_sb_json_str(&sb, r->slot->name);
    }
    if (r->route == SR_PREDICT) cml_sb_printf(&sb, ",\"rows\":%lld", (long long)r->rows);
    cml_sb_puts(&sb, ",\"remote\":");
    cml_sb_json_str(&sb, r->remote);
    if (r->error) {
        cml_sb_puts(&sb, ",\"error\":");
        cml_sb_json_str(&sb, r->error);
    }
    cml_sb_puts(&sb, "}");
    emit(s, &sb);
}

/* ---------------------------------------------------------------- responses */

static enum MHD_Result respond(request *r, struct MHD_Connection *c, int status, char *body,
                               const char *type, const char *hname, const char *hvalue)
{
    static const char oom[] = "{\"error\":\"out of memory\"}";
    struct MHD_Response *resp;
    if (body)
        resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    else {
        status = 500;
        type = "application/json";
        resp = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    }
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    char id[32];
    snprintf(id, sizeof id, "%llu", (unsigned long long)r->id);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "X-Request-Id", id);
    if (hname) MHD_add_response_header(resp, hname, hvalue);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ret;
}

static enum MHD_Result respond_json(request *r, struct MHD_Connection *c, int status, cml_sb *sb)
{
    return respond(r, c, status, cml_sb_finish(sb), "application/json", NULL, NULL);
}

static enum MHD_Result respond_error(request *r, struct MHD_Connection *c, int status,
                                     const char *hname, const char *hvalue, const char *fmt, ...)
    CML_PRINTF(6, 7);

static enum MHD_Result respond_error(request *r, struct MHD_Connection *c, int status,
                                     const char *hname, const char *hvalue, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(r->error);
    r->error = strdup(msg);
    if (r->error) serve_utf8_clean(r->error);
    cml_sb sb;
    cml_sb_init(&sb);
    serve_error_json(&sb, msg);
    return respond(r, c, status, cml_sb_finish(&sb), "application/json", hname, hvalue);
}

/* ---------------------------------------------------------------- routes */

static serve_slot *find_slot(const cml_server *s, const char *name, size_t len)
{
    for (int i = 0; i < s->n_slots; i++)
        if (strlen(s->slots[i]->name) == len && !memcmp(s->slots[i]->name, name, len))
            return s->slots[i];
    return NULL;
}

/* Route of a path; *name / *name_len set for the model routes. */
static serve_route route_of(const char *url, const char **name, size_t *name_len)
{
    static const char prefix[] = "/v1/models/";
    *name = NULL;
    *name_len = 0;
    if (!strcmp(url, "/health")) return SR_HEALTH;
    if (!strcmp(url, "/ready")) return SR_READY;
    if (!strcmp(url, "/metrics")) return SR_METRICS;
    if (!strcmp(url, "/v1/models") || !strcmp(url, "/v1/models/")) return SR_MODELS;
    if (strncmp(url, prefix, sizeof prefix - 1)) return SR_OTHER;
    const char *n = url + sizeof prefix - 1, *slash = strchr(n, '/');
    *name = n;
    *name_len = slash ? (size_t)(slash - n) : strlen(n);
    if (!slash) return SR_MODEL;
    if (!strcmp(slash, "/predict") && slash > n) return SR_PREDICT;
    *name = NULL;
    *name_len = 0;
    return SR_OTHER;
}

static void model_list(const cml_server *s, const serve_slot *only, cml_sb *sb)
{
    if (!only) cml_sb_puts(sb, "{\"models\":[");
    int first = 1;
    for (int i = 0; i < s->n_slots; i++) {
        serve_slot *slot = s->slots[i];
        if (only && slot != only) continue;
        serve_model *m = serve_slot_acquire(slot);
        cml_sb_printf(sb, "%s{\"name\":", first ? "" : ",");
        cml_sb_json_str(sb, slot->name);
        cml_sb_printf(sb, ",\"loaded\":%s,", m ? "true" : "false");
        if (m)
            cml_sb_puts(sb, m->info_json);
        else {
            cml_sb_puts(sb, "\"path\":");
            cml_sb_json_str(sb, slot->path);
        }
        cml_sb_puts(sb, "}");
        serve_model_release(m);
        first = 0;
    }
    if (!only) cml_sb_puts(sb, "]}");
}

static enum MHD_Result metrics_page(cml_server *s, request *r, struct MHD_Connection *c)
{
    serve_model_stats *st = calloc((size_t)s->n_slots + 1, sizeof *st);
    if (!st) return respond(r, c, 500, NULL, NULL, NULL, NULL);
    for (int i = 0; i < s->n_slots; i++) {
        serve_slot *slot = s->slots[i];
        serve_model *m = serve_slot_acquire(slot);
        st[i].name = slot->name;
        st[i].loaded = m != NULL;
        st[i].load_seconds = m ? m->load_seconds : 0;
        st[i].predictions = atomic_load(&slot->predictions);
        st[i].reloads_ok = atomic_load(&slot->reloads_ok);
        st[i].reloads_failed = atomic_load(&slot->reloads_failed);
        serve_model_release(m);
    }
    cml_sb sb;
    cml_sb_init(&sb);
    serve_metrics_render(&s->metrics, st, s->n_slots, &sb);
    free(st);
    return respond(r, c, 200, cml_sb_finish(&sb), "text/plain; version=0.0.4; charset=utf-8", NULL,
                   NULL);
}

/* 401 unless the Authorization header holds a configured key; *who gets
 * the rate-limit identity. */
static enum MHD_Result check_key(cml_server *s, request *r, struct MHD_Connection *c, char *who,
                                 size_t wlen, int *refused)
{
    *refused = 0;
    snprintf(who, wlen, "addr:%s", r->remote);
    if (!s->auth) return MHD_YES;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    static const char bearer[] = "Bearer ";
    *refused = 1;
    const char *challenge = "Bearer realm=\"cml\"";
    if (!h || strncasecmp(h, bearer, sizeof bearer - 1))
        return respond_error(r, c, 401, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge,
                             "missing API key: send the header \"Authorization: Bearer KEY\"");
    const char *tok = h + sizeof bearer - 1;
    while (*tok == ' ')
        tok++;
    size_t n = strlen(tok);
    while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
        n--;
    int which;
    if (!serve_keys_match(&s->keys, tok, n, &which))
        return respond_error(r, c, 401, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge,
                             "invalid API key");
    *refused = 0;
    snprintf(who, wlen, "key:%d", which);
    return MHD_YES;
}

static void remote_of(struct MHD_Connection *c, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, len, "?");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)len);
}

/* First call of a request: everything decided from the headers. Returns
 * with a response queued, or with r->slot set for a predict awaiting its
 * body. */
static enum MHD_Result begin(cml_server *s, request *r, struct MHD_Connection *c, const char *url)
{
    const char *name;
    size_t name_len;
    snprintf(r->path, sizeof r->path, "%s", url);
    serve_utf8_clean(r->path); /* logged as JSON */
    remote_of(c, r->remote, sizeof r->remote);
    r->route = route_of(url, &name, &name_len);
    if (r->route == SR_OTHER)
        return respond_error(r, c, 404, NULL, NULL,
                             "no route %s; routes: POST /v1/models/{name}/predict, GET /v1/models, "
                             "GET /v1/models/{name}, GET /health, GET /ready, GET /metrics",
                             r->path);
    int is_get = r->method == SM_GET || r->method == SM_HEAD;
    if (r->route == SR_PREDICT ? r->method != SM_POST : !is_get) {
        const char *allow = r->route == SR_PREDICT ? "POST" : "GET, HEAD";
        return respond_error(r, c, 405, MHD_HTTP_HEADER_ALLOW, allow,
                             "method %s not allowed on %s (allowed: %s)",
                             serve_method_label(r->method), serve_route_label(r->route), allow);
    }
    if (r->route == SR_MODELS || r->route == SR_MODEL || r->route == SR_PREDICT) {
        char who[80];
        int refused;
        enum MHD_Result ret = check_key(s, r, c, who, sizeof who, &refused);
        if (refused) return ret;
        if (s->limited) {
            double wait = serve_limiter_take(&s->limiter, who, cml_now());
            if (wait > 0) {
                char after[32];
                snprintf(after, sizeof after, "%.0f", ceil(wait));
                return respond_error(r, c, 429, MHD_HTTP_HEADER_RETRY_AFTER, after,
                                     "rate limit of %g requests/s (burst %g) exceeded; retry in "
                                     "%s s",
                                     s->limiter.rate, s->limiter.burst, after);
            }
        }
    }
    if (name) {
        r->slot = find_slot(s, name, name_len);
        if (!r->slot) {
            char names[512];
            size_t used = 0;
            names[0] = '\0';
            for (int i = 0; i < s->n_slots && used + MAX_NAME + 4 < sizeof names; i++)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                         s->slots[i]->name);
            return respond_error(r, c, 404, NULL, NULL, "unknown model \"%.*s\"; models: %s",
                                 (int)(name_len < 100 ? name_len : 100), name, names);
        }
    }
    cml_sb sb;
    cml_sb_init(&sb);
    switch (r->route) {
    case SR_HEALTH: cml_sb_puts(&sb, "{\"status\":\"ok\"}"); return respond_json(r, c, 200, &sb);
    case SR_READY: {
        int ready = atomic_load(&s->ready) && !atomic_load(&s->stopping);
        cml_sb_printf(&sb, "{\"status\":\"%s\"}",
                      ready                       ? "ready"
                      : atomic_load(&s->stopping) ? "stopping"
                                                  : "loading");
        return respond_json(r, c, ready ? 200 : 503, &sb);
    }
    case SR_METRICS: cml_sb_free(&sb); return metrics_page(s, r, c);
    case SR_MODELS: model_list(s, NULL, &sb); return respond_json(r, c, 200, &sb);
    case SR_MODEL: model_list(s, r->slot, &sb); return respond_json(r, c, 200, &sb);
    default: cml_sb_free(&sb); break;
    }

    /* predict: check what the headers tell before reading the body */
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (!errno && end != cl && n > s->o.max_body)
            return respond_error(r, c, 413, NULL, NULL,
                                 "body of %llu bytes exceeds the limit of %zu bytes (--max-body)",
                                 n, s->o.max_body);
        if (!errno && end != cl && n > 0) {
            r->body = malloc((size_t)n + 1);
            if (r->body) r->cap = (size_t)n + 1;
        }
    }
    const char *type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type && !strncasecmp(type, "text/csv", 8))
        r->is_csv = 1;
    else if (type && strncasecmp(type, "application/json", 16) &&
             strncasecmp(type, "application/x-www-form-urlencoded", 33) &&
             strncasecmp(type, "*/*", 3) && strncasecmp(type, "text/plain", 10))
        return respond_error(r, c, 415, NULL, NULL,
                             "Content-Type \"%.100s\" not supported; send application/json or "
                             "text/csv",
                             type);
    const char *p = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "proba");
    r->proba = p && (!strcmp(p, "true") || !strcmp(p, "1"));
    return MHD_YES;
}

/* A piece of body: kept up to max_body, then discarded (MHD does not let a
 * response be queued while body data is being delivered; the 413 goes out
 * when the body ends). A client that keeps sending far beyond the limit is
 * disconnected. */
static enum MHD_Result take_body(cml_server *s, request *r, const char *data, size_t n)
{
    if (!r->too_large && r->len + n > s->o.max_body) {
        r->too_large = 1;
        free(r->body);
        r->body = NULL;
        r->discarded = r->len;
        r->len = r->cap = 0;
    }
    if (r->too_large) {
        r->discarded += n;
        return r->discarded > s->o.max_body + ((size_t)64 << 20) ? MHD_NO : MHD_YES;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        if (cap > s->o.max_body + 1) cap = s->o.max_body + 1;
        char *b = realloc(r->body, cap);
        if (!b) return MHD_NO;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    return MHD_YES;
}

static enum MHD_Result finish_predict(cml_server *s, request *r, struct MHD_Connection *c)
{
    if (r->too_large)
        return respond_error(r, c, 413, NULL, NULL,
                             "body of %zu bytes exceeds the limit of %zu bytes (--max-body)",
                             r->discarded, s->o.max_body);
    serve_model *m = serve_slot_acquire(r->slot);
    if (!m)
        return respond_error(r, c, 503, MHD_HTTP_HEADER_RETRY_AFTER, "1",
                             "model \"%s\" is not loaded yet", r->slot->name);
    static const char empty[] = "";
    const char *body = empty;
    if (r->body) {
        r->body[r->len] = '\0'; /* cap > len always holds (one byte kept for this) */
        body = r->body;
    }
    char err[768];
    cml_sb sb;
    cml_sb_init(&sb);
    int status = serve_predict(m, r->slot->name, body, r->len, r->is_csv, r->proba, &sb, &r->rows,
                               err, sizeof err);
    serve_model_release(m);
    if (status == 200)
        atomic_fetch_add_explicit(&r->slot->predictions, (uint64_t)r->rows, memory_order_relaxed);
    else if ((r->error = strdup(err)))
        serve_utf8_clean(r->error);
    return respond_json(r, c, status, &sb);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    cml_server *s = cls;
    request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        r->t0 = cml_now();
        r->id = atomic_fetch_add(&s->next_id, 1) + 1;
        r->method = serve_method_parse(method);
        atomic_fetch_add(&s->metrics.in_flight, 1);
        *con_cls = r;
        return begin(s, r, c, url);
    }
    if (*upload_size) {
        enum MHD_Result ret = take_body(s, r, upload, *upload_size);
        *upload_size = 0;
        return ret;
    }
    return finish_predict(s, r, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    cml_server *s = cls;
    request *r = *con_cls;
    if (!r) return;
    double seconds = cml_now() - r->t0;
    if (r->status) serve_metrics_observe(&s->metrics, r->route, r->method, r->status, seconds);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->error)
        r->error = strdup(r->status ? "connection closed before the response was sent"
                                    : "connection closed before a response");
    log_request(s, r, seconds);
    atomic_fetch_sub(&s->metrics.in_flight, 1);
    free(r->body);
    free(r->error);
    free(r);
    *con_cls = NULL;
}

/* ---------------------------------------------------------------- lifecycle */

cml_status cml_server_create(const cml_serve_opts *opts, cml_server **out)
{
    *out = NULL;
    cml_serve_opts o = opts ? *opts : cml_serve_opts_default();
    if (!o.host || !*o.host) return cml_fail(CML_ERR_ARG, "host must be an address or host name");
    if (o.port < 0 || o.port > 65535)
        return cml_fail(CML_ERR_ARG, "port must be in [0, 65535], got %d", o.port);
    if (o.threads > 1024)
        return cml_fail(CML_ERR_ARG, "threads must be <= 1024, got %d", o.threads);
    if (o.max_body < 1 || o.max_body > ((size_t)1 << 32))
        return cml_fail(CML_ERR_ARG, "max_body must be in [1, 4 GiB], got %zu", o.max_body);
    if (o.timeout < 0) return cml_fail(CML_ERR_ARG, "timeout must be >= 0, got %d", o.timeout);
    if (o.max_connections < 1)
        return cml_fail(CML_ERR_ARG, "max_connections must be >= 1, got %d", o.max_connections);
    if (!(o.rate_limit >= 0) || !isfinite(o.rate_limit))
        return cml_fail(CML_ERR_ARG, "rate_limit must be >= 0 requests/s, got %g", o.rate_limit);
    if (o.threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = n > 0 ? (int)CML_MIN(n, 256) : 1;
    }

    cml_status st = CML_OK;
    cml_server *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    serve_metrics_init(&s->metrics);
    pthread_mutex_init(&s->reload_mu, NULL);
    s->listen_fd = MHD_INVALID_SOCKET;
    s->host = cml_strdup(o.host);
    if (!s->host) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    o.host = s->host;
    if (o.api_key_file) {
        s->key_file = cml_strdup(o.api_key_file);
        if (!s->key_file) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        o.api_key_file = s->key_file;
        CML_TRY(serve_keys_load(s->key_file, &s->keys));
        s->auth = 1;
    }
    if (o.rate_limit > 0) {
        CML_TRY(serve_limiter_init(&s->limiter, o.rate_limit, 2 * o.rate_limit));
        s->limited = 1;
    }
    s->o = o;
    *out = s;
    return CML_OK;
fail:
    cml_server_free(s);
    return st;
}

cml_status cml_server_add_model(cml_server *s, const char *name, const char *path)
{
    size_t n = name ? strlen(name) : 0;
    if (s->daemon) return cml_fail(CML_ERR_ARG, "models must be added before the server starts");
    if (n == 0 || n > MAX_NAME ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789_.-") != n)
        return cml_fail(CML_ERR_ARG,
                        "model name \"%s\": use 1 to %d characters from A-Z a-z 0-9 _ . - (it "
                        "becomes part of the URL)",
                        name ? name : "", MAX_NAME);
    if (!path || !*path) return cml_fail(CML_ERR_ARG, "model \"%s\": empty path", name);
    if (find_slot(s, name, n)) return cml_fail(CML_ERR_ARG, "model name \"%s\" given twice", name);
    serve_slot **slots = cml_realloc(s->slots, sizeof *slots * (size_t)(s->n_slots + 1));
    if (!slots) return CML_ERR_NOMEM;
    s->slots = slots;
    serve_slot *slot = cml_calloc(1, sizeof *slot);
    if (!slot) return CML_ERR_NOMEM;
    slot->path = cml_strdup(path);
    if (!slot->path) {
        free(slot);
        return CML_ERR_NOMEM;
    }
    memcpy(slot->name, name, n + 1);
    pthread_mutex_init(&slot->mu, NULL);
    s->slots[s->n_slots++] = slot;
    return CML_OK;
}

/* host:port -> socket address (numeric or a name the resolver knows). */
static cml_status resolve(const char *host, int port, struct sockaddr_storage *addr, int *v6)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc || !res)
        return cml_fail(CML_ERR_ARG, "host \"%s\": %s", host, rc ? gai_strerror(rc) : "no address");
    memset(addr, 0, sizeof *addr);
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    if (*v6)
        ((struct sockaddr_in6 *)(void *)addr)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)(void *)addr)->sin_port = htons((uint16_t)port);
    return CML_OK;
}

cml_status cml_server_start(cml_server *s)
{
    if (s->daemon) return cml_fail(CML_ERR_ARG, "server already started");
    struct sockaddr_storage addr;
    int v6 = 0;
    CML_CHECK(resolve(s->host, s->o.port, &addr, &v6));
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (v6) flags |= MHD_USE_IPv6;
    errno = 0;
    /* the logger must be the first option, or MHD prints its own messages */
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->o.port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_logger, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)s->o.threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->o.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o.timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)128 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->daemon)
        return cml_fail(CML_ERR_IO, "cannot listen on %s port %d%s%s. HINT: is the port in use?",
                        s->host, s->o.port, errno ? ": " : "", errno ? strerror(errno) : "");
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di && di->port ? di->port : s->o.port;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, ",\"host\":");
    cml_sb_json_str(&sb, s->host);
    cml_sb_printf(&sb, ",\"port\":%d,\"threads\":%d,\"auth\":%s,\"rate_limit\":%g", s->port,
                  s->o.threads, s->auth ? "true" : "false", s->o.rate_limit);
    char *extra = cml_sb_finish(&sb);
    log_event(s, "listening", NULL, NULL, extra ? extra : "");
    free(extra);
    return CML_OK;
}

int cml_server_port(const cml_server *s)
{
    return s->daemon ? s->port : 0;
}

int64_t cml_server_in_flight(const cml_server *s)
{
    return atomic_load(&s->metrics.in_flight);
}

/* Loads slot i's file; on success swaps it in. */
static cml_status load_slot(cml_server *s, serve_slot *slot, int reload)
{
    serve_model *m = NULL;
    char *file = NULL;
    cml_status st = s->o.resolve ? s->o.resolve(slot->path, &file, s->o.resolve_user) : CML_OK;
    if (st == CML_OK) st = serve_model_load(file ? file : slot->path, &m);
    free(file);
    if (st != CML_OK) {
        cml_fail_context(st, "model \"%s\"", slot->name);
        if (reload) atomic_fetch_add(&slot->reloads_failed, 1);
        log_event(s, reload ? "reload_failed" : "load_failed", slot->name, cml_last_error(), NULL);
        return st;
    }
    char extra[128];
    snprintf(extra, sizeof extra, ",\"seconds\":%.6f", m->load_seconds);
    serve_slot_swap(slot, m);
    if (reload) atomic_fetch_add(&slot->reloads_ok, 1);
    log_event(s, reload ? "reloaded" : "loaded", slot->name, NULL, extra);
    return CML_OK;
}

cml_status cml_server_load(cml_server *s)
{
    if (!s->n_slots) return cml_fail(CML_ERR_ARG, "no model to serve");
    pthread_mutex_lock(&s->reload_mu);
    cml_status st = CML_OK;
    for (int i = 0; i < s->n_slots && st == CML_OK; i++)
        if (!s->slots[i]->cur) st = load_slot(s, s->slots[i], 0);
    pthread_mutex_unlock(&s->reload_mu);
    if (st == CML_OK) {
        atomic_store(&s->ready, 1);
        log_event(s, "ready", NULL, NULL, NULL);
    }
    return st;
}

cml_status cml_server_reload(cml_server *s)
{
    cml_status first = CML_OK;
    char msg[512] = "";
    pthread_mutex_lock(&s->reload_mu);
    for (int i = 0; i < s->n_slots; i++) {
        cml_status st = load_slot(s, s->slots[i], 1);
        if (st != CML_OK && first == CML_OK) {
            first = st;
            snprintf(msg, sizeof msg, "%s", cml_last_error());
        }
    }
    pthread_mutex_unlock(&s->reload_mu);
    if (first != CML_OK) return cml_fail(first, "%s", msg);
    return CML_OK;
}

int64_t cml_server_shutdown(cml_server *s, double drain_seconds)
{
    if (!s || !s->daemon) return 0;
    atomic_store(&s->stopping, 1);
    s->listen_fd = MHD_quiesce_daemon(s->daemon);
    char extra[64];
    snprintf(extra, sizeof extra, ",\"in_flight\":%lld", (long long)cml_server_in_flight(s));
    log_event(s, "draining", NULL, NULL, extra);
    double deadline = cml_now() + (drain_seconds > 0 ? drain_seconds : 0);
    while (cml_server_in_flight(s) > 0 && cml_now() < deadline) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int64_t left = cml_server_in_flight(s);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    if (s->listen_fd != MHD_INVALID_SOCKET) close(s->listen_fd);
    s->listen_fd = MHD_INVALID_SOCKET;
    snprintf(extra, sizeof extra, ",\"unfinished\":%lld", (long long)left);
    log_event(s, "stopped", NULL, NULL, extra);
    return left;
}

void cml_server_free(cml_server *s)
{
    if (!s) return;
    cml_server_shutdown(s, 0);
    for (int i = 0; i < s->n_slots; i++) {
        serve_model_release(s->slots[i]->cur);
        pthread_mutex_destroy(&s->slots[i]->mu);
        free(s->slots[i]->path);
        free(s->slots[i]);
    }
    free(s->slots);
    serve_keys_free(&s->keys);
    if (s->limited) serve_limiter_free(&s->limiter);
    pthread_mutex_destroy(&s->reload_mu);
    free(s->host);
    free(s->key_file);
    free(s);
}
