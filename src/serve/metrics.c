/*
 * metrics.c — the server's Prometheus metrics: request counters, a latency
 * histogram per route, an in-flight gauge, per-model gauges and counters,
 * and the standard process_* metrics, exposed in the text format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Conventions followed (those `promtool check metrics` enforces): base
 * units (seconds, bytes), counters end in _total, every family has HELP and
 * TYPE lines before its samples, histogram buckets are cumulative with a
 * final le="+Inf" equal to _count, label values escaped (\\ \" \n).
 * Label cardinality is bounded: routes, methods and statuses come from fixed
 * sets, models from the command line.
 *
 * Thread-safety: every counter is a C11 atomic updated with relaxed order
 * (each is an independent monotonic count; no ordering between them is
 * promised). A scrape that races with requests may see a histogram whose
 * _sum lags its buckets by a request; _count is derived from the buckets
 * read, so the +Inf bucket always equals _count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/serve_internal.h"

static const int statuses[SERVE_N_STATUS - 1] = SERVE_STATUSES;
static const double bounds[SERVE_N_BUCKETS] = SERVE_BUCKETS;

static const char *const route_labels[SR_N] = {
    "/health", "/ready", "/metrics", "/v1/models", "/v1/models/{name}", "/v1/models/{name}/predict",
    "other"};
static const char *const method_labels[SM_N] = {"GET",    "HEAD",  "POST",    "PUT",
                                                "DELETE", "PATCH", "OPTIONS", "other"};

static double unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void serve_metrics_init(serve_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->start_time = unix_now();
}

const char *serve_route_label(serve_route r)
{
    return (int)r >= 0 && (int)r < SR_N ? route_labels[r] : "other";
}

const char *serve_method_label(serve_method m)
{
    return (int)m >= 0 && (int)m < SM_N ? method_labels[m] : "other";
}

serve_method serve_method_parse(const char *method)
{
    for (int i = 0; i < SM_OTHER; i++)
        if (!strcmp(method, method_labels[i])) return (serve_method)i;
    return SM_OTHER;
}

static int status_index(int status)
{
    for (int i = 0; i < SERVE_N_STATUS - 1; i++)
        if (statuses[i] == status) return i;
    return SERVE_N_STATUS - 1;
}

void serve_metrics_observe(serve_metrics *m, serve_route r, serve_method meth, int status,
                           double seconds)
{
    if ((int)r < 0 || (int)r >= SR_N) r = SR_OTHER;
    if ((int)meth < 0 || (int)meth >= SM_N) meth = SM_OTHER;
    atomic_fetch_add_explicit(&m->requests[r][meth][status_index(status)], 1, memory_order_relaxed);
    if (!(seconds >= 0)) seconds = 0; /* NaN or a clock step: count it as instant */
    int b = 0;
    while (b < SERVE_N_BUCKETS && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&m->bucket[r][b], 1, memory_order_relaxed);
    double ns = seconds * 1e9;
    atomic_fetch_add_explicit(&m->sum_ns[r], ns < 1.8e19 ? (uint64_t)ns : 0, memory_order_relaxed);
}

void serve_label_value(cml_sb *out, const char *v)
{
    char buf[2] = {0, 0};
    for (; *v; v++) {
        switch (*v) {
        case '\\': cml_sb_puts(out, "\\\\"); break;
        case '"': cml_sb_puts(out, "\\\""); break;
        case '\n': cml_sb_puts(out, "\\n"); break;
        default: buf[0] = *v; cml_sb_puts(out, buf);
        }
    }
}

static void family(cml_sb *out, const char *name, const char *type, const char *help)
{
    cml_sb_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---------------------------------------------------------------- process */

/* Resident set size from /proc/self/statm (pages); -1 where unavailable. */
static double resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    unsigned long long size = 0, rss = 0;
    int n = fscanf(f, "%llu %llu", &size, &rss);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (double)rss * (double)page : -1;
}

/* Process start as Unix time: boot time (btime in /proc/stat) plus the
 * start tick of /proc/self/stat field 22, as the official client libraries
 * compute it; `fallback` when /proc is missing. */
static double process_start(double fallback)
{
    char buf[1024];
    double btime = -1, ticks = -1;
    FILE *f = fopen("/proc/stat", "r");
    if (f) {
        while (fgets(buf, sizeof buf, f))
            if (!strncmp(buf, "btime ", 6)) {
                btime = strtod(buf + 6, NULL);
                break;
            }
        fclose(f);
    }
    f = fopen("/proc/self/stat", "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* the command name (field 2) may hold spaces and ')': skip to the last ')' */
        char *p = strrchr(buf, ')');
        for (int field = 2; p && field < 22; field++)
            p = strchr(p + 1, ' ');
        if (p) ticks = strtod(p + 1, NULL);
    }
    long hz = sysconf(_SC_CLK_TCK);
    if (btime < 0 || ticks < 0 || hz <= 0) return fallback;
    return btime + ticks / (double)hz;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return -1;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- render */

static uint64_t load(const _Atomic uint64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static void render_requests(const serve_metrics *m, cml_sb *out)
{
    family(out, "cml_http_requests_total", "counter",
           "HTTP requests answered, by route, method and status code.");
    for (int r = 0; r < SR_N; r++)
        for (int k = 0; k < SM_N; k++)
            for (int s = 0; s < SERVE_N_STATUS; s++) {
                uint64_t v = load(&m->requests[r][k][s]);
                if (!v) continue;
                cml_sb_printf(out, "cml_http_requests_total{route=\"%s\",method=\"%s\",status=\"",
                              route_labels[r], method_labels[k]);
                if (s < SERVE_N_STATUS - 1)
                    cml_sb_printf(out, "%d", statuses[s]);
                else
                    cml_sb_puts(out, "other");
                cml_sb_printf(out, "\"} %llu\n", (unsigned long long)v);
            }
}

static void render_latency(const serve_metrics *m, cml_sb *out)
{
    family(out, "cml_http_request_duration_seconds", "histogram",
           "Time from the request's headers to its last response byte, by route.");
    for (int r = 0; r < SR_N; r++) {
        uint64_t cum = 0;
        for (int b = 0; b <= SERVE_N_BUCKETS; b++) {
            cum += load(&m->bucket[r][b]);
            cml_sb_printf(out, "cml_http_request_duration_seconds_bucket{route=\"%s\",le=\"",
                          route_labels[r]);
            if (b < SERVE_N_BUCKETS)
                cml_sb_printf(out, "%g", bounds[b]);
            else
                cml_sb_puts(out, "+Inf");
            cml_sb_printf(out, "\"} %llu\n", (unsigned long long)cum);
        }
        cml_sb_printf(out, "cml_http_request_duration_seconds_sum{route=\"%s\"} %.17g\n",
                      route_labels[r], (double)load(&m->sum_ns[r]) * 1e-9);
        cml_sb_printf(out, "cml_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                      route_labels[r], (unsigned long long)cum);
    }
}

static void model_sample(cml_sb *out, const char *metric, const char *model, const char *extra)
{
    cml_sb_printf(out, "%s{model=\"", metric);
    serve_label_value(out, model);
    cml_sb_printf(out, "\"%s} ", extra ? extra : "");
}

static void render_models(const serve_model_stats *s, int n, cml_sb *out)
{
    family(out, "cml_model_loaded", "gauge", "1 when a version of the model is being served.");
    for (int i = 0; i < n; i++) {
        model_sample(out, "cml_model_loaded", s[i].name, NULL);
        cml_sb_printf(out, "%d\n", s[i].loaded ? 1 : 0);
    }
    family(out, "cml_model_load_seconds", "gauge",
           "Seconds it took to load the model version now served.");
    for (int i = 0; i < n; i++) {
        if (!s[i].loaded) continue;
        model_sample(out, "cml_model_load_seconds", s[i].name, NULL);
        cml_sb_printf(out, "%.17g\n", s[i].load_seconds);
    }
    family(out, "cml_predictions_total", "counter", "Rows predicted, by model.");
    for (int i = 0; i < n; i++) {
        model_sample(out, "cml_predictions_total", s[i].name, NULL);
        cml_sb_printf(out, "%llu\n", (unsigned long long)s[i].predictions);
    }
    family(out, "cml_model_reloads_total", "counter",
           "Hot reloads (SIGHUP) by model and result; a failed one keeps the old version.");
    for (int i = 0; i < n; i++) {
        model_sample(out, "cml_model_reloads_total", s[i].name, ",result=\"ok\"");
        cml_sb_printf(out, "%llu\n", (unsigned long long)s[i].reloads_ok);
        model_sample(out, "cml_model_reloads_total", s[i].name, ",result=\"error\"");
        cml_sb_printf(out, "%llu\n", (unsigned long long)s[i].reloads_failed);
    }
}

void serve_metrics_render(const serve_metrics *m, const serve_model_stats *models, int n_models,
                          cml_sb *out)
{
    render_requests(m, out);
    render_latency(m, out);
    family(out, "cml_http_requests_in_flight", "gauge", "Requests being handled right now.");
    cml_sb_printf(out, "cml_http_requests_in_flight %lld\n",
                  (long long)atomic_load_explicit(&m->in_flight, memory_order_relaxed));
    render_models(models, n_models, out);

    double rss = resident_bytes(), cpu = cpu_seconds();
    if (rss >= 0) {
        family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        cml_sb_printf(out, "process_resident_memory_bytes %.17g\n", rss);
    }
    if (cpu >= 0) {
        family(out, "process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.");
        cml_sb_printf(out, "process_cpu_seconds_total %.17g\n", cpu);
    }
    family(out, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
    cml_sb_printf(out, "process_start_time_seconds %.17g\n", process_start(m->start_time));
}
