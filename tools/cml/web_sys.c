/*
 * web_sys.c — what the web app's status bar shows about the machine: the
 * server's resident memory (and its running experiments'), as a share of
 * the machine's RAM, and CPU use as a share of all the machine's cores.
 *
 * CPU % is a rate, so it needs two readings: a sampler thread reads the
 * CPU ticks once a second (this process's user + system time, plus its
 * reaped children's, plus the running children's), and the status reports
 * the last interval: 100 * d(ticks) / (ticks_per_second * d(wall) * cpus).
 * A child's time moves from "running" to "reaped" when it ends, so the sum
 * stays continuous across a run's end. Linux /proc only; elsewhere the
 * numbers read 0.
 *
 * Thread-safety: the sampler writes the last reading under a mutex.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "web.h"

#define WEB_MAX_CHILDREN 64

struct web_sys {
    web_jobs *jobs;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int stop, started;
    double cpu_percent;
    long cpus;
};

uint64_t web_proc_rss(pid_t pid)
{
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
    else
        snprintf(path, sizeof path, "/proc/self/statm");
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long long size, resident;
    int ok = fscanf(f, "%llu %llu", &size, &resident) == 2;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return ok && page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}

uint64_t web_mem_total(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

uint64_t web_proc_ticks(pid_t pid)
{
    char path[64], buf[1024];
    if (pid)
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name (field 2) may hold spaces and ')': fields start after the last ')' */
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    unsigned long long v[15] = {0};
    /* fields 3..17: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime */
    char state;
    if (sscanf(p + 1, " %c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
               &state, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
               &v[11], &v[12], &v[13]) != 15)
        return 0;
    uint64_t t = v[10] + v[11];
    if (!pid) t += v[12] + v[13];
    return t;
}

static uint64_t total_ticks(web_sys *s)
{
    pid_t pids[WEB_MAX_CHILDREN];
    int n = 0;
    if (s->jobs) web_jobs_running_json(s->jobs, NULL, pids, WEB_MAX_CHILDREN, &n);
    uint64_t t = web_proc_ticks(0);
    for (int i = 0; i < n && i < WEB_MAX_CHILDREN; i++)
        t += web_proc_ticks(pids[i]);
    return t;
}

static void *sampler(void *arg)
{
    web_sys *s = arg;
    long hz = sysconf(_SC_CLK_TCK);
    double t0 = cml_now();
    uint64_t c0 = total_ticks(s);
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&s->wake, &s->mu, &until);
        if (s->stop) break;
        pthread_mutex_unlock(&s->mu);
        double t1 = cml_now();
        uint64_t c1 = total_ticks(s);
        pthread_mutex_lock(&s->mu);
        if (t1 > t0 && hz > 0) {
            /* a child reaped between the two reads can make the sum dip */
            double d = c1 > c0 ? (double)(c1 - c0) : 0;
            double pct = 100.0 * d / ((double)hz * (t1 - t0) * (double)s->cpus);
            s->cpu_percent = pct > 100 ? 100 : pct;
        }
        t0 = t1;
        c0 = c1;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

cml_status web_sys_create(web_jobs *jobs, web_sys **out)
{
    *out = NULL;
    web_sys *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    s->jobs = jobs;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    s->cpus = n > 0 ? n : 1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (pthread_create(&s->thread, NULL, sampler, s)) {
        web_sys_free(s);
        return cml_fail(CML_ERR_NOMEM, "cannot start the status sampler thread");
    }
    s->started = 1;
    *out = s;
    return CML_OK;
}

void web_sys_free(web_sys *s)
{
    if (!s) return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void web_sys_json(web_sys *s, cml_sb *sb)
{
    pid_t pids[WEB_MAX_CHILDREN];
    int n = 0;
    if (s->jobs) web_jobs_running_json(s->jobs, NULL, pids, WEB_MAX_CHILDREN, &n);
    uint64_t rss = web_proc_rss(0), child = 0, total = web_mem_total();
    for (int i = 0; i < n && i < WEB_MAX_CHILDREN; i++)
        child += web_proc_rss(pids[i]);
    pthread_mutex_lock(&s->mu);
    double cpu = s->cpu_percent;
    pthread_mutex_unlock(&s->mu);
    cml_sb_printf(sb,
                  ",\"rss_bytes\":%llu,\"children_rss_bytes\":%llu,\"mem_total_bytes\":%llu,"
                  "\"ram_percent\":",
                  (unsigned long long)rss, (unsigned long long)child, (unsigned long long)total);
    cml_sb_json_num(sb, total ? 100.0 * (double)(rss + child) / (double)total : 0);
    cml_sb_puts(sb, ",\"cpu_percent\":");
    cml_sb_json_num(sb, cpu);
    cml_sb_printf(sb, ",\"cpus\":%ld", s->cpus);
}
