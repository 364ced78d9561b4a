/*
 * web.h — the pieces of `cml web` (the local web app for the courses):
 *   web_jobs.c   lesson experiments run as child processes of the cml
 *                binary itself (`cml course run ID --json --progress`),
 *                their progress lines and result JSON
 *   web_sys.c    process RAM and CPU use for the status bar
 *   web_http.c   libmicrohttpd glue: static files from web/, plots from the
 *                out dir, the JSON API (docs/web.md)
 *   cmd_web.c    the command: options, signals, lifecycle
 * Thread-safety: the job table and the sampler have their own mutexes;
 * every function here may be called from the HTTP threads.
 */
#ifndef CML_WEB_H
#define CML_WEB_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/strbuf.h"

/* ---------------------------------------------------------------- jobs */

typedef struct web_jobs web_jobs;

typedef struct web_jobs_opts {
    const char *exe;      /* the cml binary to spawn (absolute path) */
    const char *out_dir;  /* absolute; passed as --out, plots served from it */
    const char *data_dir; /* --data-dir for the runs, or NULL */
    int quick;            /* every run gets --quick (the tests use it) */
    int max_running;      /* runs at the same time; more are refused (busy) */
    double timeout;       /* seconds a run may take before it is killed */
} web_jobs_opts;

/* Copies what it keeps. */
cml_status web_jobs_create(const web_jobs_opts *o, web_jobs **out);
/* Kills the runs still going (SIGTERM, then SIGKILL after 2 s), joins their
 * reader threads and frees. NULL: no-op. */
void web_jobs_free(web_jobs *j);

enum { WEB_RUN_STARTED = 0, WEB_RUN_ALREADY = 1, WEB_RUN_BUSY = -1, WEB_RUN_ERROR = -2 };
/* Starts lesson `id` (already validated as a live lesson). A run of the
 * same lesson still going is reused (WEB_RUN_ALREADY). Returns one of the
 * codes above; *job gets the job number (started or already). On
 * WEB_RUN_ERROR cml_last_error() says why (spawn failed). */
int web_jobs_start(web_jobs *j, const char *id, int quick, int *job);
/* Appends the job's JSON (docs/web.md) to sb; 0 when no such job. */
int web_jobs_json(web_jobs *j, int job, cml_sb *sb);
/* Appends {"running":[...], "recent":[...]} summaries. */
void web_jobs_list_json(web_jobs *j, cml_sb *sb);
/* Appends the running jobs as a JSON array of {job, lesson, fraction,
 * message}; *n_running and pids[] (up to max_pids) of the children. */
void web_jobs_running_json(web_jobs *j, cml_sb *sb, pid_t *pids, int max_pids, int *n_running);

/* ---------------------------------------------------------------- system */

typedef struct web_sys web_sys;

/* Starts a sampler thread (one sample per second) of this process's CPU
 * time (its own, its finished children's, and the running children's that
 * `jobs` reports) and resident memory. */
cml_status web_sys_create(web_jobs *jobs, web_sys **out);
void web_sys_free(web_sys *s);
/* Appends the members "rss_bytes", "children_rss_bytes", "mem_total_bytes",
 * "ram_percent", "cpu_percent" (of all the machine's cores), "cpus" to an
 * open JSON object (each preceded by a comma). */
void web_sys_json(web_sys *s, cml_sb *sb);

/* The measurements, exposed for tests: resident bytes of a process
 * (0 = self), total memory, and CPU ticks (user + system) of a process
 * (with its waited-for children's when self). 0 when unreadable. */
uint64_t web_proc_rss(pid_t pid);
uint64_t web_mem_total(void);
uint64_t web_proc_ticks(pid_t pid);

/* ---------------------------------------------------------------- tracking */

/* The runs of the tracking store at `store` (docs/web.md): appends the
 * JSON to sb and returns the HTTP status (200; 500 with cml_last_error()
 * set). A missing store is 200 with "available": false. */
int web_track_list_json(const char *store, cml_sb *sb);
/* One run with its metric curves; 404 for an unknown run or store. */
int web_track_run_json(const char *store, int64_t id, cml_sb *sb);

/* ---------------------------------------------------------------- http */

typedef struct web_opts {
    const char *host; /* address to bind */
    int port;         /* 0 = any free port */
    const char *web_dir;
    const char *courses_dir; /* NULL: the course code's default */
    const char *out_dir;
    const char *data_dir; /* NULL: the course code's default */
    const char *store;    /* tracking store (experiment pages) */
    int quick;
    int max_running;
    double run_timeout;
    int log_requests;
} web_opts;

typedef struct web_server web_server;

/* Resolves the directories, loads the catalogue in the background, starts
 * the sampler and binds. */
cml_status web_server_start(const web_opts *o, web_server **out);
int web_server_port(const web_server *s);
/* The lessons folder in use. */
const char *web_server_courses_dir(const web_server *s);
/* Stops listening, kills the runs still going, frees. NULL: no-op. */
void web_server_free(web_server *s);

/* Content type of a file name by its extension (tests use it). */
const char *web_content_type(const char *path);
/* 1 when a URL path (already percent-decoded) is safe to map under a
 * root: starts with '/', no "." or ".." segment, no hidden segment, no
 * backslash, no empty segment. */
int web_path_safe(const char *path);

#endif /* CML_WEB_H */
