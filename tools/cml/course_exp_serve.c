/*
 * course_exp_serve.c — the serving lessons, against a real cml_server
 * (include/cml/serve.h) started in-process on 127.0.0.1 with a free port
 * and spoken to over TCP like any client would (a minimal HTTP/1.1 client
 * below: one request per connection).
 *
 * The model: a standard scaler + logistic regression pipeline fitted on the
 * iris training split (75/25 stratified, seed 42), saved as GGUF under the
 * run's folder and served as "iris".
 *
 *  fastapi-serving: one prediction exchange shown verbatim, /health and
 *    /ready, a burst of sequential requests (median and p99 latency,
 *    requests per second, latency curve), and parity: the served
 *    predictions and probabilities of the test flowers against the
 *    in-memory model's, value for value.
 *  prometheus: /metrics scraped before and after a mix of valid and
 *    invalid requests: request counters by route and status, the
 *    predictions counter against the rows sent, the latency histogram of
 *    the predict route with p50/p99 as histogram_quantile estimates them,
 *    and the process metrics.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "course_exp.h"

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

/* ---------------------------------------------------------------- HTTP client */

/* One request to 127.0.0.1:port; *status gets the HTTP status and *body
 * the response body (malloc'd, NUL-terminated). */
static cml_status http(int port, const char *method, const char *path, const char *body,
                       int *status, char **resp)
{
    *resp = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return cml_fail(CML_ERR_IO, "socket: %s", strerror(errno));
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return cml_fail(CML_ERR_IO, "connect to 127.0.0.1:%d: %s", port, strerror(errno));
    }
    size_t blen = body ? strlen(body) : 0;
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, blen);
    cml_status st = CML_OK;
    const char *parts[2] = {head, body};
    size_t lens[2] = {(size_t)hl, blen};
    for (int k = 0; k < 2 && st == CML_OK; k++)
        for (size_t off = 0; off < lens[k];) {
            ssize_t w = send(fd, parts[k] + off, lens[k] - off, MSG_NOSIGNAL);
            if (w <= 0) {
                st = cml_fail(CML_ERR_IO, "send: %s", strerror(errno));
                break;
            }
            off += (size_t)w;
        }
    size_t cap = 4096, len = 0;
    char *buf = st == CML_OK ? malloc(cap) : NULL;
    if (st == CML_OK && !buf) st = oom();
    while (st == CML_OK) {
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                st = oom();
                break;
            }
            buf = nb;
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) st = cml_fail(CML_ERR_IO, "recv: %s", strerror(errno));
        if (n <= 0) break;
        len += (size_t)n;
    }
    close(fd);
    if (st != CML_OK) {
        free(buf);
        return st;
    }
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) || !sep || sscanf(buf + 8, " %d", status) != 1) {
        free(buf);
        return cml_fail(CML_ERR_FORMAT, "%s %s: not an HTTP response", method, path);
    }
    memmove(buf, sep + 4, len - (size_t)(sep + 4 - buf) + 1);
    *resp = buf;
    return CML_OK;
}

/* ---------------------------------------------------------------- the served model */

typedef struct served {
    cr_data d;
    cr_split s;
    cml_model *m;
    cml_server *srv;
    int port;
} served;

static void served_free(served *v)
{
    if (v->srv) cml_server_shutdown(v->srv, 2.0);
    cml_server_free(v->srv);
    cml_model_free(v->m);
    cr_split_free(&v->s);
    cr_data_free(&v->d);
    memset(v, 0, sizeof *v);
}

static cml_status served_start(course_run *r, served *v)
{
    memset(v, 0, sizeof *v);
    cml_status st = cr_load(r, "iris", NULL, &v->d);
    if (st == CML_OK) st = cr_split_make(&v->d, 0.25, 1, 42, &v->s);
    if (st == CML_OK) st = cr_model("logistic_regression", "", 1, &v->m);
    cml_matrix A = cr_train(&v->s);
    if (st == CML_OK) st = cml_model_fit(v->m, &A, v->s.ytr, NULL);
    char path[4300];
    snprintf(path, sizeof path, "%s", cr_path(r, "iris.gguf"));
    if (st == CML_OK) st = cml_model_save(v->m, path, NULL, NULL);
    cml_serve_opts o = cml_serve_opts_default();
    o.port = 0; /* any free port: lessons may run side by side */
    o.threads = 2;
    o.log = NULL;
    if (st == CML_OK) st = cml_server_create(&o, &v->srv);
    if (st == CML_OK) st = cml_server_add_model(v->srv, "iris", path);
    if (st == CML_OK) st = cml_server_start(v->srv);
    if (st == CML_OK) st = cml_server_load(v->srv);
    if (st == CML_OK) v->port = cml_server_port(v->srv);
    if (st != CML_OK) served_free(v);
    cr_progress(r, 0.1, "serving the iris model on 127.0.0.1:%d", v->port);
    return st;
}

/* {"rows": [[...], ...], "proba": true|false} for rows [from, to) of X. */
static char *rows_body(const double *X, int64_t p, int64_t from, int64_t to, int proba)
{
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"rows\":[");
    for (int64_t i = from; i < to; i++) {
        if (i > from) cml_sb_puts(&sb, ",");
        cml_sb_json_arr(&sb, X + i * p, p);
    }
    cml_sb_printf(&sb, "],\"proba\":%s}", proba ? "true" : "false");
    return cml_sb_finish(&sb);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sends n single-row predictions one after another; lat gets the
 * latencies in ms, sorted; returns the wall time. */
static cml_status burst(course_run *r, const served *v, int64_t n, double *lat, double *wall)
{
    double t_all = cml_now();
    for (int64_t i = 0; i < n; i++) {
        char *body = rows_body(v->s.Xte, v->s.p, i % v->s.nte, i % v->s.nte + 1, 0), *resp;
        int status;
        if (!body) return oom();
        double t0 = cml_now();
        cml_status st = http(v->port, "POST", "/v1/models/iris/predict", body, &status, &resp);
        lat[i] = 1e3 * (cml_now() - t0);
        free(body);
        free(resp);
        if (st != CML_OK) return st;
        if (status != 200) return cml_fail(CML_ERR_INTERNAL, "predict answered %d", status);
        if ((i + 1) % 50 == 0)
            cr_progress(r, 0.3 + 0.5 * (double)(i + 1) / (double)n, "request %lld of %lld",
                        (long long)(i + 1), (long long)n);
    }
    *wall = cml_now() - t_all;
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    return CML_OK;
}

static double quantile_sorted(const double *v, int64_t n, double q)
{
    double pos = q * (double)(n - 1);
    int64_t lo = (int64_t)pos;
    return lo + 1 < n ? v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]) : v[n - 1];
}

static cml_status exp_fastapi_serving(course_run *r)
{
    served v;
    cml_status st = served_start(r, &v);
    if (st != CML_OK) return st;
    char *body = NULL, *resp = NULL;
    double *lat = NULL, *mine = NULL, *mine_p = NULL, *xs = NULL;
    cJSON *json = NULL;
    int status;
    int64_t n_burst = r->quick ? 50 : 500;

    /* the exchange, verbatim */
    if (!(body = rows_body(v.s.Xte, v.s.p, 0, 1, 1))) {
        st = oom();
        goto done;
    }
    if ((st = http(v.port, "POST", "/v1/models/iris/predict", body, &status, &resp))) goto done;
    if ((st = cr_note(r, "POST /v1/models/iris/predict %s answered %d: %s", body, status, resp)))
        goto done;
    free(body);
    free(resp);
    body = resp = NULL;
    int health, ready;
    if ((st = http(v.port, "GET", "/health", NULL, &health, &resp))) goto done;
    free(resp);
    resp = NULL;
    if ((st = http(v.port, "GET", "/ready", NULL, &ready, &resp))) goto done;
    if ((st = cr_note(r, "GET /health answered %d and GET /ready %d (%s).", health, ready, resp)))
        goto done;
    free(resp);
    resp = NULL;

    /* latency of sequential single-row requests */
    lat = malloc(sizeof *lat * (size_t)n_burst);
    xs = malloc(sizeof *xs * (size_t)n_burst);
    if (!lat || !xs) {
        st = oom();
        goto done;
    }
    double wall = 0;
    if ((st = burst(r, &v, n_burst, lat, &wall))) goto done;
    double p50 = quantile_sorted(lat, n_burst, 0.5), p99 = quantile_sorted(lat, n_burst, 0.99);

    /* parity: every test flower in one request, with probabilities */
    int64_t nte = v.s.nte, nc = cml_model_n_classes(v.m);
    if (!(body = rows_body(v.s.Xte, v.s.p, 0, nte, 1))) {
        st = oom();
        goto done;
    }
    if ((st = http(v.port, "POST", "/v1/models/iris/predict", body, &status, &resp))) goto done;
    mine = malloc(sizeof *mine * (size_t)nte);
    mine_p = malloc(sizeof *mine_p * (size_t)(nte * nc));
    if (!mine || !mine_p) {
        st = oom();
        goto done;
    }
    cml_matrix B = cr_test(&v.s);
    if ((st = cml_model_predict(v.m, &B, mine)) || (st = cml_model_predict_proba(v.m, &B, mine_p)))
        goto done;
    json = cJSON_Parse(resp);
    const cJSON *preds = cJSON_GetObjectItemCaseSensitive(json, "predictions");
    const cJSON *probs = cJSON_GetObjectItemCaseSensitive(json, "probabilities");
    if (status != 200 || cJSON_GetArraySize(preds) != nte || cJSON_GetArraySize(probs) != nte) {
        st = cml_fail(CML_ERR_INTERNAL, "batch predict answered %d: %.200s", status, resp);
        goto done;
    }
    int64_t same = 0, same_p = 0;
    for (int64_t i = 0; i < nte; i++) {
        const cJSON *pi = cJSON_GetArrayItem(preds, (int)i),
                    *ri = cJSON_GetArrayItem(probs, (int)i);
        same += cJSON_IsNumber(pi) && pi->valuedouble == mine[i];
        int row_same = cJSON_GetArraySize(ri) == nc;
        for (int64_t c = 0; row_same && c < nc; c++) {
            const cJSON *x = cJSON_GetArrayItem(ri, (int)c);
            row_same = cJSON_IsNumber(x) && x->valuedouble == mine_p[i * nc + c];
        }
        same_p += row_same;
    }
    double acc;
    if ((st = cml_accuracy(v.s.yte, mine, nte, NULL, &acc))) goto done;
    if ((st = cr_metric(r, "latency_p50_ms", "median latency of one prediction (ms)", p50)) ||
        (st = cr_metric(r, "latency_p99_ms", "99th percentile latency (ms)", p99)) ||
        (st = cr_metric(r, "requests_per_second", "sequential requests per second",
                        (double)n_burst / wall)) ||
        (st = cr_metric(r, "parity", "served predictions identical to in-memory",
                        (double)same / (double)nte)) ||
        (st = cr_metric(r, "parity_proba", "served probability rows identical to in-memory",
                        (double)same_p / (double)nte)) ||
        (st = cr_metric(r, "accuracy", "test accuracy of the served model", acc)))
        goto done;
    if ((st = cr_note(r,
                      "%lld sequential requests: median %.3f ms, p99 %.3f ms (%.1fx the "
                      "median), %.0f requests per second.",
                      (long long)n_burst, p50, p99, p99 / p50, (double)n_burst / wall)) ||
        (st = cr_note(r,
                      "Parity: %lld of %lld served predictions and %lld of %lld probability "
                      "rows are identical to the in-memory model's, bit for bit.",
                      (long long)same, (long long)nte, (long long)same_p, (long long)nte)))
        goto done;
    for (int64_t i = 0; i < n_burst; i++)
        xs[i] = 100.0 * (double)(i + 1) / (double)n_burst;
    static const char *const ln[] = {"latency"};
    if ((st = cml_plot_lines(cr_path(r, "latency.png"), xs, lat, 1, n_burst, ln,
                             "cml serve: latency of sequential predictions (sorted)",
                             "percentile of requests", "latency (ms)")) ||
        (st = cr_plot(r, "latency.png", "Latency by percentile")))
        goto done;
done:
    cJSON_Delete(json);
    free(body);
    free(resp);
    free(lat);
    free(xs);
    free(mine);
    free(mine_p);
    served_free(&v);
    return st;
}

/* ---------------------------------------------------------------- Prometheus */

/* Value of the sample whose line starts with `series` (name and labels,
 * exactly as exposed), or 0 when absent (counters start at 0). */
static double sample(const char *page, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = page; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ') return strtod(p + n + 1, NULL);
    return 0;
}

static cml_status exp_prometheus(course_run *r)
{
    served v;
    cml_status st = served_start(r, &v);
    if (st != CML_OK) return st;
    char *before = NULL, *after = NULL, *resp = NULL, *body = NULL;
    int status;
    int64_t n_ok = r->quick ? 20 : 200, n_bad = r->quick ? 5 : 50, rows_sent = 0;
    if ((st = http(v.port, "GET", "/metrics", NULL, &status, &before))) goto done;
    /* traffic: valid predictions of 1..3 rows, malformed bodies, an unknown model */
    for (int64_t i = 0; i < n_ok; i++) {
        int64_t from = i % (v.s.nte - 3), k = 1 + i % 3;
        if (!(body = rows_body(v.s.Xte, v.s.p, from, from + k, 0))) {
            st = oom();
            goto done;
        }
        if ((st = http(v.port, "POST", "/v1/models/iris/predict", body, &status, &resp))) goto done;
        rows_sent += status == 200 ? k : 0;
        free(body);
        free(resp);
        body = resp = NULL;
    }
    for (int64_t i = 0; i < n_bad; i++) {
        const char *path = i % 2 ? "/v1/models/nope/predict" : "/v1/models/iris/predict";
        const char *bad = i % 2 ? "{\"rows\":[[1,2,3,4]]}" : "{\"rows\":[[1,2,3]]}";
        if ((st = http(v.port, "POST", path, bad, &status, &resp))) goto done;
        free(resp);
        resp = NULL;
    }
    cr_progress(r, 0.7, "sent %lld valid and %lld invalid requests", (long long)n_ok,
                (long long)n_bad);
    if ((st = http(v.port, "GET", "/metrics", NULL, &status, &after))) goto done;

    /* counters by route and status: the lines of the page after the traffic */
    static const char *const cols[] = {"route", "status", "requests (before)", "requests (after)"};
    if ((st = cr_table(r, 4, cols))) goto done;
    static const char prefix[] = "cml_http_requests_total{";
    for (const char *p = after; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, sizeof prefix - 1)) continue;
        const char *sp = strchr(p, ' '), *ro = strstr(p, "route=\""), *stt = strstr(p, "status=\"");
        if (!sp || !ro || !stt || ro > sp || stt > sp) continue;
        char series[512], route[128], code[16];
        snprintf(series, sizeof series, "%.*s", (int)(sp - p), p);
        sscanf(ro + 7, "%127[^\"]", route);
        sscanf(stt + 8, "%15[^\"]", code);
        if ((st = cr_row(r, "%s\t%s\t%.0f\t%.0f", route, code, sample(before, series),
                         strtod(sp + 1, NULL))))
            goto done;
    }
    double preds = sample(after, "cml_predictions_total{model=\"iris\"}");
    if ((st =
             cr_metric(r, "predictions_total", "cml_predictions_total after the traffic", preds)) ||
        (st = cr_metric(r, "rows_sent", "rows sent in successful requests", (double)rows_sent)))
        goto done;
    if ((st = cr_note(r,
                      "The predictions counter reads %.0f; the successful requests carried %lld "
                      "rows.",
                      preds, (long long)rows_sent)))
        goto done;

    /* the predict route's latency histogram: cumulative buckets */
    double le[64], cum[64];
    int nb = 0;
    static const char hp[] =
        "cml_http_request_duration_seconds_bucket{route=\"/v1/models/{name}/predict\",le=\"";
    for (const char *p = after; p && *p && nb < 64;
         p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, hp, sizeof hp - 1)) continue;
        const char *q = p + sizeof hp - 1;
        if (!strncmp(q, "+Inf", 4)) continue;
        le[nb] = strtod(q, NULL);
        const char *sp = strchr(q, ' ');
        cum[nb] = sp ? strtod(sp + 1, NULL) : 0;
        nb++;
    }
    double total = sample(after, "cml_http_request_duration_seconds_count{route=\"/v1/models/"
                                 "{name}/predict\"}");
    if (nb < 2 || total <= 0) {
        st = cml_fail(CML_ERR_FORMAT, "/metrics: no latency histogram for the predict route");
        goto done;
    }
    /* histogram_quantile: linear interpolation inside the bucket that
     * holds rank q * count (the lowest bucket starts at 0) */
    double qs[2] = {0.5, 0.99}, qv[2];
    for (int k = 0; k < 2; k++) {
        double rank = qs[k] * total;
        qv[k] = le[nb - 1];
        for (int b = 0; b < nb; b++)
            if (cum[b] >= rank) {
                double lo = b ? le[b - 1] : 0, clo = b ? cum[b - 1] : 0;
                qv[k] = cum[b] > clo ? lo + (le[b] - lo) * (rank - clo) / (cum[b] - clo) : le[b];
                break;
            }
    }
    double rss = sample(after, "process_resident_memory_bytes");
    double cpu = sample(after, "process_cpu_seconds_total");
    if ((st = cr_metric(r, "p50_ms", "p50 latency from the histogram (ms)", 1e3 * qv[0])) ||
        (st = cr_metric(r, "p99_ms", "p99 latency from the histogram (ms)", 1e3 * qv[1])) ||
        (st = cr_metric(r, "rss_mib", "resident memory (MiB)", rss / 1048576.0)) ||
        (st = cr_metric(r, "cpu_seconds", "process CPU seconds", cpu)))
        goto done;
    /* an excerpt of the raw page: the TYPE line and first sample of each kind */
    static const char *const kinds[] = {"# TYPE cml_http_requests_total",
                                        "# TYPE cml_http_requests_in_flight",
                                        "# TYPE cml_http_request_duration_seconds"};
    for (int k = 0; k < 3; k++) {
        const char *t = strstr(after, kinds[k]);
        if (!t) continue;
        const char *e1 = strchr(t, '\n'), *e2 = e1 ? strchr(e1 + 1, '\n') : NULL;
        if (!e2) continue;
        if ((st = cr_note(r, "`%.*s` then `%.*s`", (int)(e1 - t), t, (int)(e2 - e1 - 1), e1 + 1)))
            goto done;
    }
    double x_ms[64], frac[64];
    for (int b = 0; b < nb; b++) {
        x_ms[b] = log10(1e3 * le[b]);
        frac[b] = cum[b] / total;
    }
    static const char *const hn[] = {"share of requests at or under the bound"};
    if ((st = cml_plot_lines(cr_path(r, "latency_histogram.png"), x_ms, frac, 1, nb, hn,
                             "cml_http_request_duration_seconds (predict route), cumulative",
                             "log10(bucket bound in ms)", "share of requests")) ||
        (st = cr_plot(r, "latency_histogram.png",
                      "Cumulative latency histogram of the predict "
                      "route")))
        goto done;
done:
    free(before);
    free(after);
    free(resp);
    free(body);
    served_free(&v);
    return st;
}

const course_experiment course_exp_fastapi_serving = {"fastapi-serving", "iris",
                                                      exp_fastapi_serving};
const course_experiment course_exp_prometheus = {"prometheus", "iris", exp_prometheus};
