/*
 * web_http.c — the HTTP side of `cml web` on libmicrohttpd (the library
 * src/serve uses; its JSON error body, UTF-8 cleaning and method names are
 * reused from serve_internal.h).
 *
 * Routes (docs/web.md has the bodies):
 *   GET  /api/status          RAM %, CPU %, catalogue loading state, runs
 *   GET  /api/catalogue       `cml course list --json`
 *   GET  /api/lessons/ID      `cml course show ID --json`
 *   POST /api/run/ID          starts the lesson's experiment -> 202 {job}
 *   GET  /api/run/JOB         progress lines, then the result or the error
 *   GET  /api/runs            recent runs
 *   GET  /api/experiments     runs of the tracking store (web_track.c)
 *   GET  /api/experiments/runs/ID   one of them with its metric curves
 *   GET  /plots/PATH          files under the out dir (the runs' plots)
 *   GET  /PATH                the front end's static files under web/
 * Unknown API paths get 404, a known path with another method 405 (with
 * Allow), a path with a "..", "." or hidden segment 403.
 *
 * Files are mapped by joining the decoded URL path to the root, resolving
 * it with realpath and checking that the result still lies under the
 * root's own realpath, so neither ".." nor a symlink leads out.
 *
 * A POST that carries an Origin header must come from this server's own
 * origin: a page on another site cannot start runs on the user's machine.
 * On loopback, the Host header must name loopback too (DNS rebinding).
 *
 * The catalogue is loaded once, on a thread of its own, so the first page
 * can show "loading lessons" and a broken lesson file shows its error.
 *
 * Thread-safety: handlers run on MHD's thread pool; the catalogue is
 * immutable once published (under cat_mu), jobs and sampler lock their own.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "course.h"
#include "serve/serve_internal.h"
#include "web.h"

#define WEB_MAX_BODY ((size_t)64 << 10) /* POST bodies are not used; more is refused */

typedef enum { CAT_LOADING, CAT_READY, CAT_ERROR } cat_state;

struct web_server {
    web_opts o;
    char *web_real, *out_real; /* roots for files, as realpath gives them */
    char courses_dir[PATH_MAX];
    web_jobs *jobs;
    web_sys *sys;
    struct MHD_Daemon *daemon;
    int port;
    int loopback; /* bound to a loopback address: Host must name one */
    double started;

    pthread_mutex_t cat_mu;
    pthread_t cat_thread;
    int cat_thread_started;
    cat_state cat_state;
    course_catalog cat; /* valid when CAT_READY */
    char cat_error[1024];
    double cat_seconds;
};

typedef struct request {
    double t0;   /* when the headers arrived */
    size_t body; /* bytes of body seen (and dropped) */
} request;

/* ---------------------------------------------------------------- files */

const char *web_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".png", "image/png"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/markdown; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
        {".pdf", "application/pdf"},
        {".woff2", "font/woff2"},
    };
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

int web_path_safe(const char *path)
{
    if (path[0] != '/' || strchr(path, '\\')) return 0;
    const char *seg = path + 1;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        /* an empty segment is only allowed last ("/", "/dir/") */
        if (n == 0 && end) return 0;
        if (n > 0 && seg[0] == '.') return 0; /* ".", "..", hidden files */
        if (!end) return 1;
        seg = end + 1;
    }
}

/* ---------------------------------------------------------------- responses */

static void add_common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
}

static enum MHD_Result queue(struct MHD_Connection *c, int status, struct MHD_Response *resp,
                             const char *type)
{
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    add_common_headers(resp);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Sends text (owned, freed here; NULL = out of memory -> 500). */
static enum MHD_Result send_text(struct MHD_Connection *c, int status, char *body, const char *type,
                                 const char *hname, const char *hvalue)
{
    static const char oom[] = "{\"error\":\"out of memory\"}";
    struct MHD_Response *resp;
    if (!body) {
        status = 500;
        type = "application/json";
        resp = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
        if (!resp) free(body);
    }
    if (resp && hname) MHD_add_response_header(resp, hname, hvalue);
    if (resp) MHD_add_response_header(resp, "Cache-Control", "no-store");
    return queue(c, status, resp, type);
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, cml_sb *sb)
{
    return send_text(c, status, cml_sb_finish(sb), "application/json", NULL, NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *hname,
                                  const char *hvalue, const char *fmt, ...) CML_PRINTF(5, 6);

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *hname,
                                  const char *hvalue, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cml_sb sb;
    cml_sb_init(&sb);
    serve_error_json(&sb, msg);
    return send_text(c, status, cml_sb_finish(&sb), "application/json", hname, hvalue);
}

static enum MHD_Result not_allowed(struct MHD_Connection *c, const char *method, const char *url,
                                   const char *allow)
{
    return send_error(c, 405, MHD_HTTP_HEADER_ALLOW, allow,
                      "method %.16s not allowed on %.200s (allowed: %s)", method, url, allow);
}

/* A file under root (a realpath) named by the URL path rel ("/x/y"). */
static enum MHD_Result send_file(struct MHD_Connection *c, const char *root, const char *rel)
{
    if (!web_path_safe(rel))
        return send_error(c, 403, NULL, NULL,
                          "path %.200s is not allowed (no \".\", \"..\" or "
                          "hidden segments)",
                          rel);
    char path[PATH_MAX];
    size_t rl = strlen(rel);
    int n = snprintf(path, sizeof path, "%s%s%s", root, rel,
                     rl && rel[rl - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof path)
        return send_error(c, 404, NULL, NULL, "no file %.200s", rel);
    char *real = realpath(path, NULL);
    size_t root_len = strlen(root);
    if (!real) return send_error(c, 404, NULL, NULL, "no file %.200s", rel);
    if (strncmp(real, root, root_len) || real[root_len] != '/') {
        free(real);
        return send_error(c, 403, NULL, NULL, "path %.200s leads outside the served folder", rel);
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    free(real);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        return send_error(c, 404, NULL, NULL, "no file %.200s", rel);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    if (!strcmp(web_content_type(path), "text/html; charset=utf-8"))
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                "base-uri 'none'; frame-ancestors 'none'");
    return queue(c, 200, resp, web_content_type(path));
}

/* ---------------------------------------------------------------- catalogue */

static void *load_catalogue(void *arg)
{
    web_server *s = arg;
    course_catalog cat;
    char err[1024] = "";
    double t0 = cml_now();
    cml_status st = course_catalog_load(s->courses_dir, &cat, err, sizeof err);
    pthread_mutex_lock(&s->cat_mu);
    s->cat_seconds = cml_now() - t0;
    if (st == CML_OK) {
        s->cat = cat;
        s->cat_state = CAT_READY;
    } else {
        snprintf(s->cat_error, sizeof s->cat_error, "%s",
                 err[0]             ? err
                 : cml_last_error() ? cml_last_error()
                                    : "cannot load the lessons");
        s->cat_state = CAT_ERROR;
    }
    pthread_mutex_unlock(&s->cat_mu);
    return NULL;
}

/* The loaded catalogue, or NULL after answering 503 (*ret). The catalogue
 * is never freed while the server runs, so the pointer stays valid. */
static const course_catalog *catalogue(web_server *s, struct MHD_Connection *c,
                                       enum MHD_Result *ret)
{
    pthread_mutex_lock(&s->cat_mu);
    cat_state st = s->cat_state;
    char err[1024];
    snprintf(err, sizeof err, "%s", s->cat_error);
    pthread_mutex_unlock(&s->cat_mu);
    if (st == CAT_READY) return &s->cat;
    if (st == CAT_LOADING)
        *ret = send_error(c, 503, MHD_HTTP_HEADER_RETRY_AFTER, "1", "the lessons are loading");
    else
        *ret = send_error(c, 503, NULL, NULL, "the lessons could not be loaded: %s", err);
    return NULL;
}

/* Lesson ids are kebab-case; anything else cannot name a lesson. */
static int id_ok(const char *id)
{
    size_t n = strlen(id);
    return n > 0 && n <= 64 && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static enum MHD_Result api_status(web_server *s, struct MHD_Connection *c)
{
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb, "{\"version\":\"%s\",\"uptime_seconds\":%.3f", CML_VERSION_STRING,
                  cml_now() - s->started);
    web_sys_json(s->sys, &sb);
    pthread_mutex_lock(&s->cat_mu);
    static const char *const names[] = {"loading", "ready", "error"};
    cml_sb_printf(&sb, ",\"catalogue\":{\"state\":\"%s\"", names[s->cat_state]);
    if (s->cat_state == CAT_READY) {
        int live = 0;
        for (int i = 0; i < s->cat.n_lessons; i++)
            live += s->cat.lessons[i].live != 0;
        cml_sb_printf(&sb, ",\"lessons\":%d,\"live\":%d,\"seconds\":%.6f", s->cat.n_lessons, live,
                      s->cat_seconds);
    }
    if (s->cat_state == CAT_ERROR) {
        cml_sb_puts(&sb, ",\"error\":");
        cml_sb_json_str(&sb, s->cat_error);
    }
    cml_sb_puts(&sb, ",\"dir\":");
    cml_sb_json_str(&sb, s->courses_dir);
    pthread_mutex_unlock(&s->cat_mu);
    int n;
    cml_sb_puts(&sb, "},\"runs\":");
    web_jobs_running_json(s->jobs, &sb, NULL, 0, &n);
    cml_sb_puts(&sb, "}");
    return send_json(c, 200, &sb);
}

/* 1 when the request may start a run: no Origin header (curl, same-origin
 * GETs), or an Origin equal to http://<Host>. */
static int same_origin(struct MHD_Connection *c)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (!origin) return 1;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    static const char scheme[] = "http://";
    return host && !strncmp(origin, scheme, sizeof scheme - 1) &&
           !strcmp(origin + sizeof scheme - 1, host);
}

static enum MHD_Result api_run_start(web_server *s, struct MHD_Connection *c, const char *id)
{
    enum MHD_Result ret;
    if (!same_origin(c))
        return send_error(c, 403, NULL, NULL, "runs can only be started from this server's pages");
    const course_catalog *cat = catalogue(s, c, &ret);
    if (!cat) return ret;
    const course_lesson *l = id_ok(id) ? course_find(cat, id) : NULL;
    if (!l) return send_error(c, 404, NULL, NULL, "no lesson \"%.100s\"", id);
    if (!l->live)
        return send_error(c, 409, NULL, NULL,
                          "lesson \"%s\" has no experiment to run (it is text only)", id);
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "quick");
    int quick = q && (!strcmp(q, "1") || !strcmp(q, "true"));
    int job;
    int rc = web_jobs_start(s->jobs, id, quick, &job);
    if (rc == WEB_RUN_BUSY)
        return send_error(c, 503, MHD_HTTP_HEADER_RETRY_AFTER, "5",
                          "%d runs are already going; try again when one ends", s->o.max_running);
    if (rc == WEB_RUN_ERROR)
        return send_error(c, 500, NULL, NULL, "cannot start the run: %s", cml_last_error());
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb, "{\"job\":%d,\"lesson\":", job);
    cml_sb_json_str(&sb, id);
    cml_sb_printf(&sb, ",\"already_running\":%s,\"url\":\"/api/run/%d\"}",
                  rc == WEB_RUN_ALREADY ? "true" : "false", job);
    char loc[32];
    snprintf(loc, sizeof loc, "/api/run/%d", job);
    return send_text(c, rc == WEB_RUN_ALREADY ? 200 : 202, cml_sb_finish(&sb), "application/json",
                     MHD_HTTP_HEADER_LOCATION, loc);
}

static enum MHD_Result api_run_get(web_server *s, struct MHD_Connection *c, const char *arg)
{
    char *end;
    errno = 0;
    long id = strtol(arg, &end, 10);
    cml_sb sb;
    cml_sb_init(&sb);
    if (end == arg || *end || errno || id <= 0 || id > INT32_MAX ||
        !web_jobs_json(s->jobs, (int)id, &sb)) {
        cml_sb_free(&sb);
        return send_error(c, 404, NULL, NULL,
                          "no run %.40s (runs are numbered from 1; the "
                          "newest are kept)",
                          arg);
    }
    return send_json(c, 200, &sb);
}

static enum MHD_Result api(web_server *s, struct MHD_Connection *c, const char *url,
                           const char *method)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST");
    enum MHD_Result ret;
    cml_sb sb;
    const char *p = url + 4; /* after "/api" */
    if (!strcmp(p, "/status") || !strcmp(p, "/catalogue") || !strcmp(p, "/runs")) {
        if (!get) return not_allowed(c, method, url, "GET, HEAD");
        if (!strcmp(p, "/status")) return api_status(s, c);
        if (!strcmp(p, "/runs")) {
            cml_sb_init(&sb);
            web_jobs_list_json(s->jobs, &sb);
            return send_json(c, 200, &sb);
        }
        const course_catalog *cat = catalogue(s, c, &ret);
        if (!cat) return ret;
        cml_sb_init(&sb);
        course_json_list(&sb, cat);
        return send_json(c, 200, &sb);
    }
    static const char lessons[] = "/lessons/", run[] = "/run/", trun[] = "/experiments/runs/";
    if (!strcmp(p, "/experiments") || !strncmp(p, trun, sizeof trun - 1)) {
        if (!get) return not_allowed(c, method, url, "GET, HEAD");
        cml_sb_init(&sb);
        int status;
        if (!strcmp(p, "/experiments"))
            status = web_track_list_json(s->o.store, &sb);
        else {
            const char *arg = p + sizeof trun - 1;
            char *end;
            errno = 0;
            long long id = strtoll(arg, &end, 10);
            status = end == arg || *end || errno || id <= 0
                         ? (cml_fail(CML_ERR_ARG, "no run %.40s", arg), 404)
                         : web_track_run_json(s->o.store, id, &sb);
        }
        if (status == 200) return send_json(c, 200, &sb);
        cml_sb_free(&sb);
        return send_error(c, status, NULL, NULL, "%s", cml_last_error());
    }
    if (!strncmp(p, lessons, sizeof lessons - 1) && p[sizeof lessons - 1]) {
        if (!get) return not_allowed(c, method, url, "GET, HEAD");
        const char *id = p + sizeof lessons - 1;
        const course_catalog *cat = catalogue(s, c, &ret);
        if (!cat) return ret;
        const course_lesson *l = id_ok(id) ? course_find(cat, id) : NULL;
        if (!l) return send_error(c, 404, NULL, NULL, "no lesson \"%.100s\"", id);
        cml_sb_init(&sb);
        course_json_show(&sb, cat, l);
        return send_json(c, 200, &sb);
    }
    if (!strncmp(p, run, sizeof run - 1) && p[sizeof run - 1]) {
        if (post) return api_run_start(s, c, p + sizeof run - 1);
        if (get) return api_run_get(s, c, p + sizeof run - 1);
        return not_allowed(c, method, url, "GET, HEAD, POST");
    }
    return send_error(c, 404, NULL, NULL,
                      "no API route %.200s; routes: GET /api/status, GET /api/catalogue, GET "
                      "/api/lessons/ID, POST /api/run/ID, GET /api/run/JOB, GET /api/runs, GET "
                      "/api/experiments, GET /api/experiments/runs/ID",
                      url);
}

/* 1 unless the server listens on loopback and the request names another
 * host: a page of another site whose name an attacker points at 127.0.0.1
 * (DNS rebinding) would otherwise count as same-origin. No Host header
 * (HTTP/1.0 clients) is allowed. */
static int host_allowed(const web_server *s, struct MHD_Connection *c)
{
    if (!s->loopback) return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!h) return 1;
    size_t n;
    if (h[0] == '[') {
        const char *end = strchr(h, ']');
        if (!end) return 0;
        h++;
        n = (size_t)(end - h);
    } else {
        const char *colon = strchr(h, ':');
        n = colon ? (size_t)(colon - h) : strlen(h);
    }
    static const char *const names[] = {"127.0.0.1", "localhost", "::1"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && !strncasecmp(h, names[i], n)) return 1;
    return 0;
}

static enum MHD_Result route(web_server *s, struct MHD_Connection *c, const char *url,
                             const char *method)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!host_allowed(s, c))
        return send_error(c, 403, NULL, NULL,
                          "this server answers to 127.0.0.1, localhost and [::1] only (it listens "
                          "on loopback)");
    if (!strcmp(url, "/api") || !strncmp(url, "/api/", 5)) return api(s, c, url, method);
    if (!get) return not_allowed(c, method, url, "GET, HEAD");
    static const char plots[] = "/plots/";
    if (!strncmp(url, plots, sizeof plots - 1)) return send_file(c, s->out_real, url + 6);
    return send_file(c, s->web_real, url);
}

/* ---------------------------------------------------------------- MHD glue */

static void log_request(web_server *s, struct MHD_Connection *c, const char *method,
                        const char *url, double seconds)
{
    if (!s->o.log_requests) return;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"method\":");
    cml_sb_json_str(&sb, method);
    char path[256];
    snprintf(path, sizeof path, "%s", url);
    serve_utf8_clean(path);
    cml_sb_puts(&sb, ",\"path\":");
    cml_sb_json_str(&sb, path);
    cml_sb_printf(&sb, ",\"status\":%u,\"ms\":%.3f}\n", ci ? ci->http_status : 0u, seconds * 1e3);
    char *line = cml_sb_finish(&sb);
    if (line) {
        flockfile(stderr);
        fputs(line, stderr);
        funlockfile(stderr);
    }
    free(line);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    web_server *s = cls;
    request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        r->t0 = cml_now();
        *con_cls = r;
        return MHD_YES; /* answer once the (ignored) body has arrived */
    }
    if (*upload_size) {
        r->body += *upload_size;
        *upload_size = 0;
        return r->body > WEB_MAX_BODY ? MHD_NO : MHD_YES;
    }
    enum MHD_Result ret = route(s, c, url, method);
    log_request(s, c, method, url, cml_now() - r->t0);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    free(*con_cls);
    *con_cls = NULL;
}

/* ---------------------------------------------------------------- lifecycle */

static cml_status resolve(const char *host, int port, struct sockaddr_storage *addr, int *v6)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc || !res)
        return cml_fail(CML_ERR_ARG, "host \"%s\": %s", host, rc ? gai_strerror(rc) : "no address");
    memset(addr, 0, sizeof *addr);
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return CML_OK;
}

/* realpath of a folder that must exist; *out owned by the caller. */
static cml_status real_dir(const char *what, const char *dir, char **out)
{
    *out = realpath(dir, NULL);
    struct stat st;
    if (!*out || stat(*out, &st) || !S_ISDIR(st.st_mode)) {
        free(*out);
        *out = NULL;
        return cml_fail(CML_ERR_IO, "%s \"%s\" is not a readable folder%s%s", what, dir,
                        errno ? ": " : "", errno ? strerror(errno) : "");
    }
    return CML_OK;
}

cml_status web_server_start(const web_opts *o, web_server **out)
{
    *out = NULL;
    cml_status st = CML_OK;
    web_server *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    s->o = *o;
    s->started = cml_now();
    s->loopback = !strcmp(o->host, "127.0.0.1") || !strcasecmp(o->host, "localhost") ||
                  !strcmp(o->host, "::1");
    pthread_mutex_init(&s->cat_mu, NULL);
    if (o->courses_dir)
        snprintf(s->courses_dir, sizeof s->courses_dir, "%s", o->courses_dir);
    else
        course_default_dir(s->courses_dir, sizeof s->courses_dir);
    CML_TRY(real_dir("web folder (--web)", o->web_dir, &s->web_real));
    if (mkdir(o->out_dir, 0777) && errno != EEXIST) {
        st = cml_fail(CML_ERR_IO, "cannot create the out folder \"%s\": %s", o->out_dir,
                      strerror(errno));
        goto fail;
    }
    CML_TRY(real_dir("out folder (--out)", o->out_dir, &s->out_real));

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        st = cml_fail(CML_ERR_IO, "cannot find the cml binary (/proc/self/exe): %s",
                      strerror(errno));
        goto fail;
    }
    exe[n] = '\0';
    web_jobs_opts jo = {.exe = exe,
                        .out_dir = s->out_real,
                        .data_dir = o->data_dir,
                        .quick = o->quick,
                        .max_running = o->max_running,
                        .timeout = o->run_timeout};
    CML_TRY(web_jobs_create(&jo, &s->jobs));
    CML_TRY(web_sys_create(s->jobs, &s->sys));

    if (pthread_create(&s->cat_thread, NULL, load_catalogue, s)) {
        st = cml_fail(CML_ERR_NOMEM, "cannot start the catalogue thread");
        goto fail;
    }
    s->cat_thread_started = 1;

    struct sockaddr_storage addr;
    int v6 = 0;
    CML_TRY(resolve(o->host, o->port, &addr, &v6));
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (v6) flags |= MHD_USE_IPv6;
    errno = 0;
    s->daemon =
        MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, 4u,
                         MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        st = cml_fail(CML_ERR_IO, "cannot listen on %s port %d%s%s. HINT: is the port in use?",
                      o->host, o->port, errno ? ": " : "", errno ? strerror(errno) : "");
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di && di->port ? di->port : o->port;
    *out = s;
    return CML_OK;
fail:
    web_server_free(s);
    return st;
}

int web_server_port(const web_server *s)
{
    return s->port;
}

const char *web_server_courses_dir(const web_server *s)
{
    return s->courses_dir;
}

void web_server_free(web_server *s)
{
    if (!s) return;
    if (s->daemon) MHD_stop_daemon(s->daemon);
    web_sys_free(s->sys);
    web_jobs_free(s->jobs);
    if (s->cat_thread_started) pthread_join(s->cat_thread, NULL);
    if (s->cat_state == CAT_READY) course_catalog_free(&s->cat);
    pthread_mutex_destroy(&s->cat_mu);
    free(s->web_real);
    free(s->out_real);
    free(s);
}
