/*
 * cmd_course.c — `cml course`: the lessons of courses/ in the terminal.
 *
 *   cml course list [--json]                 sections, topics, which are live
 *   cml course show ID [--json]              one lesson, rendered or as JSON
 *   cml course run ID [--out DIR] [--data-dir DIR] [--quick] [--json] [--progress]
 *   cml course run --all [...]               every live lesson + a summary table
 *   cml course check                         parse every lesson (exit 1 on error)
 *
 * The JSON objects are the contract of docs/courses.md (cml web reads them).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "course_exp.h"

static const cli_opt opts[] = {
    {"json", NULL, 0, "print one JSON object on stdout"},
    {"courses", "DIR", 0, "the lessons folder (default: $CML_COURSES, ./courses, or next to cml)"},
    {"out", "DIR", 0, "run: plots go to DIR/<id>/ (default out)"},
    {"data-dir", "DIR", 0,
     "run: folder with iris.csv, diabetes.csv, ... (default: $CML_DATA, ./data, or next to cml)"},
    {"quick", NULL, 0, "run: the small settings (a few seconds per lesson)"},
    {"progress", NULL, 0, "run: progress lines \"progress F MESSAGE\" on stderr"},
    {"all", NULL, 0, "run: every live lesson, then a summary table"},
    {"store", "PATH", 0,
     "run: record runs in this tracking store (default $CML_STORE, else ./cml.db "
     "when it exists)"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

static int want_colour(int json)
{
    const char *nc = getenv("NO_COLOR");
    return !json && isatty(STDOUT_FILENO) && !(nc && nc[0]);
}

static int term_width(void)
{
    struct winsize ws;
    int w = 80;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        w = ws.ws_col;
    return w > 100 ? 100 : w;
}

static int load_catalog(const cli_args *a, course_catalog *c)
{
    char dir[4096], err[1024];
    if (cli_get(a, "courses"))
        snprintf(dir, sizeof dir, "%s", cli_get(a, "courses"));
    else
        course_default_dir(dir, sizeof dir);
    if (course_catalog_load(dir, c, err, sizeof err) != CML_OK) {
        cli_error("%s", err);
        return CLI_RUNTIME;
    }
    return CLI_OK;
}

static int cmd_list(const cli_args *a, const course_catalog *c)
{
    if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        course_json_list(&sb, c);
        cli_json_print(&sb);
        return CLI_OK;
    }
    int colour = want_colour(0), n_live = 0;
    for (int s = 0; s < c->n_sections; s++) {
        const course_section *sec = &c->sections[s];
        printf("%s%s%s\n", colour ? "\033[1m" : "", sec->title, colour ? "\033[0m" : "");
        for (int i = 0; i < sec->count; i++) {
            const course_lesson *l = &c->lessons[sec->first + i];
            n_live += l->live;
            printf("  %2d  %-24s %-40s %s%s\n", l->order, l->id, l->title,
                   l->live ? "live: " : "text", l->live ? l->data : "");
        }
        printf("\n");
    }
    printf("%d lessons, %d live. `cml course show ID` to read one, `cml course run ID` to run "
           "its experiment.\n",
           c->n_lessons, n_live);
    return CLI_OK;
}

static int cmd_show(const cli_args *a, const course_catalog *c, const char *id)
{
    const course_lesson *l = course_find(c, id);
    if (!l) {
        cli_error("no lesson \"%s\" (HINT: `cml course list` shows the ids)", id);
        return CLI_USAGE;
    }
    if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        course_json_show(&sb, c, l);
        cli_json_print(&sb);
        return CLI_OK;
    }
    course_render(stdout, c, l, want_colour(0), term_width());
    return CLI_OK;
}

/* Which experiment a lesson runs; prints the reason when none. */
static const course_experiment *experiment_of(const course_lesson *l)
{
    const course_experiment *e = course_experiment_find(l->id);
    if (!l->live) {
        cli_error("lesson \"%s\" is text only%s%s", l->id, l->status[0] ? ": " : "", l->status);
        return NULL;
    }
    if (!e) cli_error("lesson \"%s\" is marked live but cml has no experiment for it yet", l->id);
    return e;
}

static int run_one(const cli_args *a, const course_catalog *c, const char *id)
{
    const course_lesson *l = course_find(c, id);
    if (!l) {
        cli_error("no lesson \"%s\" (HINT: `cml course list` shows the ids)", id);
        return CLI_USAGE;
    }
    const course_experiment *e = experiment_of(l);
    if (!e) return CLI_RUNTIME;
    const char *out = cli_get(a, "out") ? cli_get(a, "out") : "out";
    char data_buf[4096];
    const char *data = cli_get(a, "data-dir");
    if (!data) {
        course_default_data_dir(data_buf, sizeof data_buf);
        data = data_buf;
    }
    int json = cli_flag(a, "json"), colour = want_colour(json), width = term_width();
    course_run r;
    double secs = 0;
    cml_status st =
        course_run_exec(e, l, out, data, cli_flag(a, "quick"), cli_flag(a, "progress"), &r, &secs);
    if (st != CML_OK) {
        course_run_free(&r);
        cli_error("course run %s: %s", l->id, cml_last_error());
        return CLI_RUNTIME;
    }
    if (json) {
        cml_sb sb;
        cml_sb_init(&sb);
        course_run_json(&sb, l, e, &r, secs);
        cli_json_print(&sb);
    } else {
        printf("%s%s%s — %s\n", colour ? "\033[1m" : "", l->title, colour ? "\033[0m" : "",
               course_section_of(c, l) ? course_section_of(c, l)->title : l->section);
        for (int i = 0; i < l->n_parts; i++)
            if (!strcmp(l->parts[i].heading, "The experiment")) {
                printf("\n");
                course_render_markdown(stdout, l->parts[i].markdown, colour, width);
            }
        printf("\n%sMeasured just now on %s (%.2f s%s):%s\n", colour ? "\033[1m" : "", e->data,
               secs, r.quick ? ", quick settings" : "", colour ? "\033[0m" : "");
        course_run_print(stdout, &r, colour, width);
    }
    course_run_free(&r);
    return CLI_OK;
}

static int run_all(const cli_args *a, const course_catalog *c)
{
    const char *out = cli_get(a, "out") ? cli_get(a, "out") : "out";
    char data_buf[4096];
    const char *data = cli_get(a, "data-dir");
    if (!data) {
        course_default_data_dir(data_buf, sizeof data_buf);
        data = data_buf;
    }
    int json = cli_flag(a, "json"), quick = cli_flag(a, "quick");
    int n_run = 0, n_failed = 0, n_skipped = 0;
    double total = cml_now();
    cml_sb sb;
    cml_sb_init(&sb);
    if (json)
        cml_sb_printf(&sb, "{\"quick\":%s,\"runs\":[", quick ? "true" : "false");
    else
        printf("cml %s: every live lesson on its real data (%s settings; %d threads, BLAS %s)\n\n"
               "%-22s %-14s %-44s %11s %8s\n",
               CML_VERSION_STRING, quick ? "quick" : "full", cml_get_num_threads(), cml_blas_name(),
               "topic", "data", "metric", "value", "seconds");
    for (int i = 0; i < c->n_lessons; i++) {
        const course_lesson *l = &c->lessons[i];
        if (!l->live) continue;
        const course_experiment *e = course_experiment_find(l->id);
        if (!e) { /* the library part it needs has not landed in this build */
            n_skipped++;
            if (json) {
                cml_sb_puts(&sb, n_run + n_skipped > 1 ? ",{\"id\":" : "{\"id\":");
                cml_sb_json_str(&sb, l->id);
                cml_sb_puts(&sb, ",\"skipped\":\"no experiment in this build yet\"}");
            } else {
                printf("%-22s %-14s (no experiment in this build yet)\n", l->id, l->data);
            }
            continue;
        }
        course_run r;
        double secs = 0;
        cml_status st = course_run_exec(e, l, out, data, quick, cli_flag(a, "progress"), &r, &secs);
        n_run++;
        n_failed += st != CML_OK;
        if (json) {
            if (n_run + n_skipped > 1) cml_sb_puts(&sb, ",");
            if (st == CML_OK) {
                course_run_json(&sb, l, e, &r, secs);
            } else {
                cml_sb_puts(&sb, "{\"id\":");
                cml_sb_json_str(&sb, l->id);
                cml_sb_puts(&sb, ",\"error\":");
                cml_sb_json_str(&sb, cml_last_error());
                cml_sb_puts(&sb, "}");
            }
        } else if (st != CML_OK) {
            printf("%-22s %-14s FAILED: %s\n", l->id, e->data, cml_last_error());
        } else {
            printf("%-22s %-14s ", l->id, e->data);
            course_pad(stdout, r.n_metrics ? r.metrics[0].label : "(no metric)", 44);
            double v = r.n_metrics ? r.metrics[0].value : 0;
            if (r.n_metrics && v == floor(v) && fabs(v) < 1e12) /* counts read as counts */
                printf(" %11.0f %8.2f\n", v, secs);
            else if (r.n_metrics)
                printf(" %11.4f %8.2f\n", v, secs);
            else
                printf(" %11s %8.2f\n", "", secs);
        }
        course_run_free(&r);
        fflush(stdout);
    }
    total = cml_now() - total;
    if (json) {
        cml_sb_printf(&sb, "],\"ran\":%d,\"failed\":%d,\"skipped\":%d,\"seconds\":%.3f}", n_run,
                      n_failed, n_skipped, total);
        cli_json_print(&sb);
    } else {
        printf("\n%d live lessons run in %.1f s, %d failed", n_run, total, n_failed);
        if (n_skipped) printf(", %d waiting for their part of libcml", n_skipped);
        printf(". Plots are in %s/<topic>/.\n", out);
    }
    return n_failed ? CLI_RUNTIME : CLI_OK;
}

/* Loading the catalogue checks every lesson: `check` reports, and lists
 * the live lessons whose experiment is not in this build yet (their
 * library part is still being written; not an error). An experiment
 * registered for a lesson that is not live, or for another data set than
 * the lesson names, is an error. */
static int cmd_check(const course_catalog *c)
{
    int n_live = 0, n_exp = 0, bad = 0, n;
    for (int i = 0; i < c->n_lessons; i++) {
        const course_lesson *l = &c->lessons[i];
        n_live += l->live;
        if (!l->live) continue;
        const course_experiment *e = course_experiment_find(l->id);
        if (!e)
            printf("pending: %s is live but has no experiment in this build yet\n", l->id);
        else if (strcmp(e->data, l->data)) {
            printf("error: %s: the lesson says data %s, the experiment uses %s\n", l->id, l->data,
                   e->data);
            bad = 1;
        } else
            n_exp++;
    }
    course_experiment_at(0, &n);
    for (int i = 0; i < n; i++) {
        const course_lesson *l = course_find(c, course_experiment_at(i, &n)->id);
        if (l && !l->live) { /* (a catalogue without the lesson: a test fixture) */
            printf("error: experiment %s has no live lesson\n", course_experiment_at(i, &n)->id);
            bad = 1;
        }
    }
    printf("%d sections, %d lessons parse; %d live, %d of them with an experiment\n", c->n_sections,
           c->n_lessons, n_live, n_exp);
    return bad ? CLI_RUNTIME : CLI_OK;
}

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    /* --store reaches the recorder the same way `cml web --store` does: single
     * threaded here, before any lesson runs */
    if (cli_get(&a, "store") && setenv("CML_STORE", cli_get(&a, "store"), 1))
        return cli_usage(cmd, "cannot use --store \"%s\"", cli_get(&a, "store"));
    if (a.n_positional < 1) return cli_usage(cmd, "expected list, show, run or check");
    const char *verb = a.positional[0];
    int all = cli_flag(&a, "all");
    int want = !strcmp(verb, "show") || (!strcmp(verb, "run") && !all) ? 2 : 1;
    if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "run") &&
        strcmp(verb, "check"))
        return cli_usage(cmd, "unknown subcommand \"%s\" (list, show, run, check)", verb);
    if (a.n_positional != want && want == 2) return cli_usage(cmd, "%s needs one lesson id", verb);
    if (a.n_positional != want)
        return cli_usage(cmd, "%s takes no lesson id%s", verb, all ? " with --all" : "");
    course_catalog c;
    if ((rc = load_catalog(&a, &c))) return rc;
    if (!strcmp(verb, "list"))
        rc = cmd_list(&a, &c);
    else if (!strcmp(verb, "show"))
        rc = cmd_show(&a, &c, a.positional[1]);
    else if (!strcmp(verb, "check"))
        rc = cmd_check(&c);
    else
        rc = all ? run_all(&a, &c) : run_one(&a, &c, a.positional[1]);
    course_catalog_free(&c);
    return rc;
}

const cli_cmd cli_cmd_course = {
    "course",
    "list|show ID|run ID|run --all|check [--json] [--out DIR] [--data-dir DIR] [--quick] "
    "[--progress]",
    "the lessons: read them, run their experiments on real data",
    "Every lesson of courses/ (one per topic of courses/topics.txt). Live lessons run an\n"
    "experiment with libcml on a real data set: its numbers are measured at run time and its\n"
    "plots are written to OUT/<id>/ as PNG.",
    opts,
    2,
    run};
