/*
 * web_jobs.c — lesson experiments for `cml web`, each in its own process.
 *
 * A run is `EXE course run ID --json --progress --out OUT [--data-dir D]
 * [--quick]`, spawned with posix_spawn (the cml binary
 * itself), so a lesson that crashes or runs out of memory ends its own
 * process and never the server. One reader thread per run polls the
 * child's stdout (the result: one JSON object) and stderr (lines
 * `progress <fraction> <message>`, anything else kept as the log tail),
 * kills the child past the timeout, reaps it, and turns the result into
 * the job's JSON: the run's own object with a `url` added to each plot
 * (plots live under OUT and are served at /plots/...).
 *
 * Finished jobs are kept (the newest WEB_KEEP) so the page can fetch the
 * result after the run; older ones are dropped.
 *
 * Thread-safety: one mutex over the table; readers update a job under it.
 */
#define _GNU_SOURCE /* pipe2(O_CLOEXEC): no other thread's child inherits the pipes */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "web.h"

extern char **environ;

#define WEB_KEEP      32                /* jobs kept, running ones included */
#define WEB_MAX_OUT   ((size_t)8 << 20) /* result JSON larger than this is an error */
#define WEB_LOG_TAIL  4096              /* bytes of non-progress stderr kept */
#define WEB_MAX_STEPS 256               /* progress lines kept (the newest) */

typedef enum { JOB_RUNNING, JOB_DONE, JOB_FAILED } job_state;

typedef struct job_step {
    double t, fraction;
    char *message;
} job_step;

typedef struct job {
    int id;
    char lesson[96];
    int quick;
    pid_t pid;
    job_state state;
    double started, finished;
    double fraction;
    job_step steps[WEB_MAX_STEPS];
    int n_steps, first_step; /* ring buffer; total steps seen = dropped + n */
    long dropped_steps;
    char log[WEB_LOG_TAIL + 1]; /* tail of the other stderr lines */
    size_t log_len;
    char *result; /* the JSON object with plot urls (done) */
    char *error;  /* why it failed */
    pthread_t reader;
    int out_fd, err_fd;
    struct web_jobs *owner;
} job;

struct web_jobs {
    web_jobs_opts o;
    char *exe, *out_dir, *data_dir, *out_real;
    pthread_mutex_t mu;
    job *jobs[WEB_KEEP]; /* oldest first */
    int n_jobs, next_id;
};

static void job_free(job *jb)
{
    if (!jb) return;
    for (int i = 0; i < jb->n_steps; i++)
        free(jb->steps[(jb->first_step + i) % WEB_MAX_STEPS].message);
    free(jb->result);
    free(jb->error);
    free(jb);
}

cml_status web_jobs_create(const web_jobs_opts *o, web_jobs **out)
{
    *out = NULL;
    web_jobs *j = cml_calloc(1, sizeof *j);
    if (!j) return CML_ERR_NOMEM;
    pthread_mutex_init(&j->mu, NULL);
    j->o = *o;
    j->exe = cml_strdup(o->exe);
    j->out_dir = cml_strdup(o->out_dir);
    j->data_dir = o->data_dir ? cml_strdup(o->data_dir) : NULL;
    j->out_real = realpath(o->out_dir, NULL);
    if (!j->exe || !j->out_dir || (o->data_dir && !j->data_dir)) {
        web_jobs_free(j);
        return CML_ERR_NOMEM;
    }
    if (!j->out_real) {
        cml_status st = cml_fail(CML_ERR_IO, "out dir \"%s\": %s", o->out_dir, strerror(errno));
        web_jobs_free(j);
        return st;
    }
    if (j->o.max_running < 1) j->o.max_running = 1;
    j->next_id = 1;
    *out = j;
    return CML_OK;
}

/* ---------------------------------------------------------------- reading */

/* One stderr line of a run (no newline, NUL-terminated, may be modified). */
static void take_line(job *jb, char *line, double now)
{
    static const char tag[] = "progress ";
    if (!strncmp(line, tag, sizeof tag - 1)) {
        char *end;
        double f = strtod(line + sizeof tag - 1, &end);
        if (end != line + sizeof tag - 1 && f >= 0 && f <= 1) {
            while (*end == ' ')
                end++;
            char *msg = strdup(end);
            if (!msg) return;
            int slot;
            if (jb->n_steps == WEB_MAX_STEPS) {
                slot = jb->first_step;
                free(jb->steps[slot].message);
                jb->first_step = (jb->first_step + 1) % WEB_MAX_STEPS;
                jb->dropped_steps++;
            } else
                slot = (jb->first_step + jb->n_steps++) % WEB_MAX_STEPS;
            jb->steps[slot] = (job_step){now - jb->started, f, msg};
            jb->fraction = f;
            return;
        }
    }
    /* keep the tail: drop whole old lines when full */
    size_t n = strlen(line);
    if (n > WEB_LOG_TAIL - 1) {
        line += n - (WEB_LOG_TAIL - 1);
        n = WEB_LOG_TAIL - 1;
    }
    while (jb->log_len + n + 1 > WEB_LOG_TAIL) {
        char *nl = memchr(jb->log, '\n', jb->log_len);
        size_t cut = nl ? (size_t)(nl - jb->log) + 1 : jb->log_len;
        memmove(jb->log, jb->log + cut, jb->log_len - cut);
        jb->log_len -= cut;
    }
    memcpy(jb->log + jb->log_len, line, n);
    jb->log_len += n;
    jb->log[jb->log_len++] = '\n';
    jb->log[jb->log_len] = '\0';
}

/* Adds "url": "/plots/REL" to each plot whose file lies under the out dir;
 * returns the new JSON text, or NULL with *why set. */
static char *with_plot_urls(const web_jobs *j, const char *text, const char **why)
{
    cJSON *root = cJSON_Parse(text);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *why = "the run did not print one JSON object on stdout";
        return NULL;
    }
    cJSON *plots = cJSON_GetObjectItemCaseSensitive(root, "plots");
    cJSON *p;
    size_t root_len = strlen(j->out_real);
    cJSON_ArrayForEach(p, plots)
    {
        cJSON *path = cJSON_GetObjectItemCaseSensitive(p, "path");
        if (!cJSON_IsString(path) || cJSON_GetObjectItemCaseSensitive(p, "url")) continue;
        char *real = realpath(path->valuestring, NULL);
        if (real && !strncmp(real, j->out_real, root_len) && real[root_len] == '/') {
            cml_sb sb;
            cml_sb_init(&sb);
            cml_sb_printf(&sb, "/plots%s", real + root_len);
            char *url = cml_sb_finish(&sb);
            if (url) cJSON_AddStringToObject(p, "url", url);
            free(url);
        }
        free(real);
    }
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!out) *why = "out of memory";
    return out;
}

static void *reader_main(void *arg)
{
    job *jb = arg;
    web_jobs *j = jb->owner;
    char *out = NULL, errbuf[8192];
    size_t out_len = 0, out_cap = 0, err_len = 0;
    int too_big = 0, killed = 0;
    struct pollfd fds[2] = {{jb->out_fd, POLLIN, 0}, {jb->err_fd, POLLIN, 0}};
    double deadline = jb->started + j->o.timeout;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        double left = deadline - cml_now();
        if (left <= 0 && !killed) {
            kill(jb->pid, SIGKILL);
            killed = 1;
        }
        int ms = left > 0 ? (int)CML_MIN(left * 1000 + 1, 1000) : 1000;
        int rc = poll(fds, 2, ms);
        if (rc < 0 && errno != EINTR) break;
        if (rc <= 0) continue;
        if (fds[0].fd >= 0 && fds[0].revents) {
            char buf[16384];
            ssize_t n = read(fds[0].fd, buf, sizeof buf);
            if (n <= 0) {
                close(fds[0].fd);
                fds[0].fd = -1;
            } else if (!too_big) {
                if (out_len + (size_t)n + 1 > WEB_MAX_OUT)
                    too_big = 1;
                else {
                    if (out_len + (size_t)n + 1 > out_cap) {
                        size_t cap = out_cap ? out_cap * 2 : 65536;
                        while (cap < out_len + (size_t)n + 1)
                            cap *= 2;
                        char *b = realloc(out, cap);
                        if (!b) {
                            too_big = 1;
                            continue;
                        }
                        out = b;
                        out_cap = cap;
                    }
                    memcpy(out + out_len, buf, (size_t)n);
                    out_len += (size_t)n;
                }
            }
        }
        if (fds[1].fd >= 0 && fds[1].revents) {
            ssize_t n = read(fds[1].fd, errbuf + err_len, sizeof errbuf - 1 - err_len);
            if (n <= 0) {
                close(fds[1].fd);
                fds[1].fd = -1;
                n = 0;
            }
            err_len += (size_t)n;
            double now = cml_now();
            pthread_mutex_lock(&j->mu);
            char *start = errbuf, *nl;
            while ((nl = memchr(start, '\n', err_len - (size_t)(start - errbuf)))) {
                *nl = '\0';
                take_line(jb, start, now);
                start = nl + 1;
            }
            size_t rest = err_len - (size_t)(start - errbuf);
            /* a line longer than the buffer, or the last one without '\n' */
            if (rest == sizeof errbuf - 1 || (fds[1].fd < 0 && rest)) {
                errbuf[err_len] = '\0';
                take_line(jb, start, now);
                rest = 0;
            } else
                memmove(errbuf, start, rest);
            err_len = rest;
            pthread_mutex_unlock(&j->mu);
        }
    }
    int status = 0;
    while (waitpid(jb->pid, &status, 0) < 0 && errno == EINTR) {
    }

    char *result = NULL, *error = NULL;
    const char *why = NULL;
    char msg[256];
    if (killed) {
        snprintf(msg, sizeof msg, "the run took longer than %g s and was stopped", j->o.timeout);
        why = msg;
    } else if (WIFSIGNALED(status)) {
        snprintf(msg, sizeof msg, "the run was ended by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        why = msg;
    } else if (WEXITSTATUS(status) != 0) {
        snprintf(msg, sizeof msg, "the run exited with status %d", WEXITSTATUS(status));
        why = msg;
    } else if (too_big)
        why = "the run's output was larger than 8 MiB";
    else if (!out_len)
        why = "the run printed nothing on stdout";
    else {
        out[out_len] = '\0';
        result = with_plot_urls(j, out, &why);
    }
    if (!result) error = strdup(why ? why : "unknown failure");
    free(out);

    pthread_mutex_lock(&j->mu);
    jb->finished = cml_now();
    jb->result = result;
    jb->error = error;
    jb->state = result ? JOB_DONE : JOB_FAILED;
    if (result) jb->fraction = 1;
    jb->pid = 0;
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---------------------------------------------------------------- start */

static job *find(web_jobs *j, int id)
{
    for (int i = 0; i < j->n_jobs; i++)
        if (j->jobs[i]->id == id) return j->jobs[i];
    return NULL;
}

/* Drops the oldest finished job to make room; 0 when every slot runs. */
static int make_room(web_jobs *j)
{
    if (j->n_jobs < WEB_KEEP) return 1;
    for (int i = 0; i < j->n_jobs; i++) {
        job *jb = j->jobs[i];
        if (jb->state == JOB_RUNNING) continue;
        pthread_join(jb->reader, NULL); /* already returned: it set the state last */
        job_free(jb);
        memmove(j->jobs + i, j->jobs + i + 1, sizeof *j->jobs * (size_t)(j->n_jobs - i - 1));
        j->n_jobs--;
        return 1;
    }
    return 0;
}

static cml_status spawn(web_jobs *j, job *jb)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    int fa_ok = 0;
    cml_status st = CML_OK;
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
        st = cml_fail(CML_ERR_IO, "pipe: %s", strerror(errno));
        goto fail;
    }
    const char *argv[16];
    int n = 0;
    argv[n++] = j->exe;
    argv[n++] = "course";
    argv[n++] = "run";
    argv[n++] = jb->lesson;
    argv[n++] = "--json";
    argv[n++] = "--progress";
    argv[n++] = "--out";
    argv[n++] = j->out_dir;
    if (j->data_dir) {
        argv[n++] = "--data-dir";
        argv[n++] = j->data_dir;
    }
    if (jb->quick) argv[n++] = "--quick";
    argv[n] = NULL;
    if (posix_spawn_file_actions_init(&fa)) {
        st = cml_fail(CML_ERR_NOMEM, "posix_spawn_file_actions_init failed");
        goto fail;
    }
    fa_ok = 1;
    int rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc) rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (!rc) rc = posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    if (!rc) rc = posix_spawn(&jb->pid, j->exe, &fa, NULL, (char *const *)argv, environ);
    if (rc) {
        st = cml_fail(CML_ERR_IO, "cannot start %s: %s", j->exe, strerror(rc));
        goto fail;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    jb->out_fd = out[0];
    jb->err_fd = err[0];
    return CML_OK;
fail:
    if (fa_ok) posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0) close(out[i]);
        if (err[i] >= 0) close(err[i]);
    }
    return st;
}

int web_jobs_start(web_jobs *j, const char *id, int quick, int *job_id)
{
    *job_id = 0;
    pthread_mutex_lock(&j->mu);
    int running = 0;
    for (int i = 0; i < j->n_jobs; i++) {
        job *jb = j->jobs[i];
        if (jb->state != JOB_RUNNING) continue;
        running++;
        if (!strcmp(jb->lesson, id)) {
            *job_id = jb->id;
            pthread_mutex_unlock(&j->mu);
            return WEB_RUN_ALREADY;
        }
    }
    if (running >= j->o.max_running || !make_room(j)) {
        pthread_mutex_unlock(&j->mu);
        return WEB_RUN_BUSY;
    }
    job *jb = cml_calloc(1, sizeof *jb);
    if (!jb) {
        pthread_mutex_unlock(&j->mu);
        return WEB_RUN_ERROR;
    }
    snprintf(jb->lesson, sizeof jb->lesson, "%s", id);
    jb->quick = quick || j->o.quick;
    jb->owner = j;
    jb->state = JOB_RUNNING;
    jb->started = cml_now();
    if (spawn(j, jb) != CML_OK) {
        free(jb);
        pthread_mutex_unlock(&j->mu);
        return WEB_RUN_ERROR;
    }
    jb->id = j->next_id++;
    if (pthread_create(&jb->reader, NULL, reader_main, jb)) {
        kill(jb->pid, SIGKILL);
        waitpid(jb->pid, NULL, 0);
        close(jb->out_fd);
        close(jb->err_fd);
        free(jb);
        pthread_mutex_unlock(&j->mu);
        cml_fail(CML_ERR_NOMEM, "cannot start a reader thread");
        return WEB_RUN_ERROR;
    }
    j->jobs[j->n_jobs++] = jb;
    *job_id = jb->id;
    pthread_mutex_unlock(&j->mu);
    return WEB_RUN_STARTED;
}

/* ---------------------------------------------------------------- JSON */

static const char *state_name(job_state s)
{
    return s == JOB_RUNNING ? "running" : s == JOB_DONE ? "done" : "failed";
}

/* {job, lesson, state, quick, seconds, fraction, message} without the
 * closing brace. */
static void job_head(const job *jb, cml_sb *sb)
{
    double end = jb->state == JOB_RUNNING ? cml_now() : jb->finished;
    cml_sb_printf(sb, "{\"job\":%d,\"lesson\":", jb->id);
    cml_sb_json_str(sb, jb->lesson);
    cml_sb_printf(sb, ",\"state\":\"%s\",\"quick\":%s,\"seconds\":%.3f,\"fraction\":",
                  state_name(jb->state), jb->quick ? "true" : "false", end - jb->started);
    cml_sb_json_num(sb, jb->fraction);
    cml_sb_puts(sb, ",\"message\":");
    if (jb->n_steps)
        cml_sb_json_str(sb, jb->steps[(jb->first_step + jb->n_steps - 1) % WEB_MAX_STEPS].message);
    else
        cml_sb_json_str(sb, jb->state == JOB_RUNNING ? "starting" : "");
}

int web_jobs_json(web_jobs *j, int id, cml_sb *sb)
{
    pthread_mutex_lock(&j->mu);
    job *jb = find(j, id);
    if (!jb) {
        pthread_mutex_unlock(&j->mu);
        return 0;
    }
    job_head(jb, sb);
    cml_sb_printf(sb, ",\"progress_dropped\":%ld,\"progress\":[", jb->dropped_steps);
    for (int i = 0; i < jb->n_steps; i++) {
        const job_step *s = &jb->steps[(jb->first_step + i) % WEB_MAX_STEPS];
        cml_sb_printf(sb, "%s{\"t\":%.3f,\"fraction\":", i ? "," : "", s->t);
        cml_sb_json_num(sb, s->fraction);
        cml_sb_puts(sb, ",\"message\":");
        cml_sb_json_str(sb, s->message);
        cml_sb_puts(sb, "}");
    }
    cml_sb_puts(sb, "],\"log\":");
    cml_sb_json_str(sb, jb->log);
    if (jb->error) {
        cml_sb_puts(sb, ",\"error\":");
        cml_sb_json_str(sb, jb->error);
    }
    cml_sb_puts(sb, ",\"result\":");
    cml_sb_puts(sb, jb->result ? jb->result : "null");
    cml_sb_puts(sb, "}");
    pthread_mutex_unlock(&j->mu);
    return 1;
}

void web_jobs_list_json(web_jobs *j, cml_sb *sb)
{
    pthread_mutex_lock(&j->mu);
    cml_sb_puts(sb, "{\"jobs\":[");
    for (int i = j->n_jobs - 1, first = 1; i >= 0; i--, first = 0) {
        if (!first) cml_sb_puts(sb, ",");
        job_head(j->jobs[i], sb);
        cml_sb_puts(sb, "}");
    }
    cml_sb_puts(sb, "]}");
    pthread_mutex_unlock(&j->mu);
}

void web_jobs_running_json(web_jobs *j, cml_sb *sb, pid_t *pids, int max_pids, int *n_running)
{
    int n = 0;
    pthread_mutex_lock(&j->mu);
    if (sb) cml_sb_puts(sb, "[");
    for (int i = 0; i < j->n_jobs; i++) {
        job *jb = j->jobs[i];
        if (jb->state != JOB_RUNNING) continue;
        if (sb) {
            if (n) cml_sb_puts(sb, ",");
            job_head(jb, sb);
            cml_sb_puts(sb, "}");
        }
        if (pids && n < max_pids) pids[n] = jb->pid;
        n++;
    }
    if (sb) cml_sb_puts(sb, "]");
    pthread_mutex_unlock(&j->mu);
    *n_running = n;
}

/* ---------------------------------------------------------------- stop */

void web_jobs_free(web_jobs *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    for (int i = 0; i < j->n_jobs; i++)
        if (j->jobs[i]->state == JOB_RUNNING && j->jobs[i]->pid > 0) kill(j->jobs[i]->pid, SIGTERM);
    pthread_mutex_unlock(&j->mu);
    /* give them 2 s to exit, then force; the readers reap them */
    double deadline = cml_now() + 2;
    for (;;) {
        int n;
        web_jobs_running_json(j, NULL, NULL, 0, &n);
        if (!n) break;
        if (cml_now() > deadline) {
            pthread_mutex_lock(&j->mu);
            for (int i = 0; i < j->n_jobs; i++)
                if (j->jobs[i]->state == JOB_RUNNING && j->jobs[i]->pid > 0)
                    kill(j->jobs[i]->pid, SIGKILL);
            pthread_mutex_unlock(&j->mu);
            deadline = cml_now() + 3600;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < j->n_jobs; i++) {
        pthread_join(j->jobs[i]->reader, NULL);
        job_free(j->jobs[i]);
    }
    pthread_mutex_destroy(&j->mu);
    free(j->exe);
    free(j->out_dir);
    free(j->data_dir);
    free(j->out_real);
    free(j);
}
