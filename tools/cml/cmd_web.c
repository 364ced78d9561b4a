/*
 * cmd_web.c — `cml web`: the courses as a local web app (web_http.c serves
 * web/ and the JSON API; lessons run as child processes, web_jobs.c).
 *
 * Signals are taken synchronously as in `cml serve`: SIGINT and SIGTERM are
 * blocked before any thread starts (the threads inherit the mask) and this
 * thread waits for them with sigwait; on either, the server stops
 * listening, ends the runs still going and exits 0. The lessons folder given
 * with --courses (and the store given with --store) is exported as
 * $CML_COURSES ($CML_STORE) before any thread starts, so the runs the server
 * spawns read the same lessons and record into the same store.
 */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "web.h"

static const cli_opt opts[] = {
    {"port", "N", 0, "TCP port (default 8080; 0 picks a free one, printed at start)"},
    {"host", "ADDR", 0, "address to bind (default 127.0.0.1: this machine only)"},
    {"courses", "DIR", 0, "lessons folder (default $CML_COURSES, ./courses, or next to cml)"},
    {"out", "DIR", 0, "where runs write their plots (default out)"},
    {"data-dir", "DIR", 0, "data sets folder passed to the runs (default: theirs)"},
    {"web", "DIR", 0, "front-end files (default ./web, or next to cml)"},
    {"store", "PATH", 0,
     "tracking store for the experiment pages (default $CML_STORE, else cml.db)"},
    {"quick", NULL, 0, "run every experiment with its small test settings"},
    {"max-runs", "N", 0, "experiments running at the same time (default 2)"},
    {"run-timeout", "SECONDS", 0, "stop a run that takes longer (default 1800)"},
    {"quiet", NULL, 0, "no log line per request"},
    {NULL, NULL, 0, NULL}};

static int dir_has(const char *dir, const char *file)
{
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* ./web, else <exe dir>/../web (build/cml -> web/), else
 * <exe dir>/../share/cml/web (installed). */
static void default_web_dir(char *buf, size_t len)
{
    snprintf(buf, len, "web");
    if (dir_has("web", "index.html")) return;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = '\0';
    static const char *const rel[] = {"../web", "../share/cml/web"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char cand[PATH_MAX];
        snprintf(cand, sizeof cand, "%s/%s", exe, rel[i]);
        if (dir_has(cand, "index.html")) {
            snprintf(buf, len, "%s", cand);
            return;
        }
    }
}

static int parse_num(const cli_cmd *cmd, const char *opt, const char *v, double lo, double hi,
                     double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi))
        return cli_usage(cmd, "--%s must be a number in [%g, %g], got \"%s\"", opt, lo, hi, v);
    *out = x;
    return CLI_OK;
}

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    web_opts o = {.host = "127.0.0.1",
                  .port = 8080,
                  .out_dir = "out",
                  .max_running = 2,
                  .run_timeout = 1800,
                  .log_requests = !cli_flag(&a, "quiet"),
                  .quick = cli_flag(&a, "quick")};
    const char *v;
    double x = 0;
    if ((v = cli_get(&a, "host"))) o.host = v;
    if ((v = cli_get(&a, "port"))) {
        if ((rc = parse_num(cmd, "port", v, 0, 65535, &x))) return rc;
        if (x != (int)x) return cli_usage(cmd, "--port must be a whole number, got \"%s\"", v);
        o.port = (int)x;
    }
    if ((v = cli_get(&a, "max-runs"))) {
        if ((rc = parse_num(cmd, "max-runs", v, 1, 64, &x))) return rc;
        o.max_running = (int)x;
    }
    if ((v = cli_get(&a, "run-timeout"))) {
        if ((rc = parse_num(cmd, "run-timeout", v, 1, 7 * 86400, &x))) return rc;
        o.run_timeout = x;
    }
    if ((v = cli_get(&a, "out"))) o.out_dir = v;
    o.data_dir = cli_get(&a, "data-dir");
    o.courses_dir = cli_get(&a, "courses");
    /* the same default as `cml runs` */
    o.store = cli_get(&a, "store");
    if (!o.store) o.store = getenv("CML_STORE");
    if (!o.store || !o.store[0]) o.store = "cml.db";
    char web_dir[PATH_MAX];
    if ((v = cli_get(&a, "web")))
        snprintf(web_dir, sizeof web_dir, "%s", v);
    else
        default_web_dir(web_dir, sizeof web_dir);
    o.web_dir = web_dir;
    /* before any thread: setenv is not thread-safe; the runs inherit it */
    if ((o.courses_dir && setenv("CML_COURSES", o.courses_dir, 1)) ||
        (cli_get(&a, "store") && setenv("CML_STORE", o.store, 1))) {
        cli_error("cannot set CML_COURSES / CML_STORE");
        return CLI_RUNTIME;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a browser that hangs up must not end the server */

    web_server *s = NULL;
    cml_status st = web_server_start(&o, &s);
    if (st != CML_OK) return cli_fail(st);
    /* a machine-readable line first (tests read the port from it), then the invitation */
    fprintf(stderr, "{\"event\":\"listening\",\"host\":\"%s\",\"port\":%d}\n", o.host,
            web_server_port(s));
    int v6 = strchr(o.host, ':') != NULL;
    fprintf(stderr, "cml web: open http://%s%s%s:%d/ (lessons: %s; Ctrl-C stops)\n", v6 ? "[" : "",
            o.host, v6 ? "]" : "", web_server_port(s), web_server_courses_dir(s));
    fflush(stderr);

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "cml web: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    web_server_free(s);
    return CLI_OK;
}

const cli_cmd cli_cmd_web = {
    "web",
    "[--port N] [--host ADDR] [--courses DIR] [--out DIR] [--data-dir DIR]",
    "the courses as a local web app: lessons, live runs, plots",
    "Serves the lessons of courses/ and the front end of web/ on http://HOST:PORT/. The Run "
    "button of a live lesson starts `cml course run ID` as a child process (so a failing "
    "lesson never stops the server) and the page shows its progress, then its metrics, "
    "notes, table and plots. JSON API: /api/status, /api/catalogue, /api/lessons/ID, "
    "POST /api/run/ID, /api/run/JOB (docs/web.md).",
    opts,
    0,
    run};
