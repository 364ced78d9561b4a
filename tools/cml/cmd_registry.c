/*
 * cmd_registry.c — `cml registry`: register a tracked run's model as a new
 * version of a name, list versions, move aliases (MLflow's model registry
 * over src/track), and resolve NAME@ALIAS to a file for scripts.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void version_json(cml_sb *sb, const cml_model_version *v)
{
    cml_sb_puts(sb, "{\"name\":");
    cml_sb_json_str(sb, v->name);
    cml_sb_printf(sb, ",\"version\":%d,\"run_id\":%lld,\"path\":", v->version,
                  (long long)v->run_id);
    cml_sb_json_str(sb, v->path);
    cml_sb_puts(sb, ",\"sha256\":");
    cml_sb_json_str(sb, v->sha256);
    cml_sb_puts(sb, ",\"created\":");
    cml_sb_json_num(sb, v->created);
    cml_sb_puts(sb, ",\"aliases\":[");
    const char *p = v->aliases;
    for (int first = 1; *p; first = 0) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char alias[128];
        snprintf(alias, sizeof alias, "%.*s", (int)(n < 127 ? n : 127), p);
        cml_sb_puts(sb, first ? "" : ",");
        cml_sb_json_str(sb, alias);
        p += n + (comma != NULL);
    }
    cml_sb_puts(sb, "]}");
}

static int print_versions(const cli_args *a, const cml_model_version *v, int64_t n)
{
    if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_puts(&sb, "{\"command\":\"registry list\",\"versions\":[");
        for (int64_t i = 0; i < n; i++) {
            if (i) cml_sb_puts(&sb, ",");
            version_json(&sb, &v[i]);
        }
        cml_sb_puts(&sb, "]}");
        cli_json_print(&sb);
        return CLI_OK;
    }
    printf("%-24s %7s %6s  %-20s %-18s %s\n", "name", "version", "run", "created (UTC)", "aliases",
           "sha256");
    for (int64_t i = 0; i < n; i++) {
        char when[32];
        time_t s = (time_t)v[i].created;
        struct tm tm;
        gmtime_r(&s, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("%-24s %7d %6lld  %-20s %-18s %.16s\n", v[i].name, v[i].version,
               (long long)v[i].run_id, when, v[i].aliases[0] ? v[i].aliases : "-", v[i].sha256);
    }
    return CLI_OK;
}

/* Splits "NAME@ALIAS" into name (buf) and alias. */
static int split_at(const cli_cmd *cmd, const char *spec, char *name, size_t len,
                    const char **alias)
{
    const char *at = strrchr(spec, '@');
    if (!at || at == spec || !at[1] || (size_t)(at - spec) >= len)
        return cli_usage(cmd, "want NAME@ALIAS, got \"%s\"", spec);
    memcpy(name, spec, (size_t)(at - spec));
    name[at - spec] = 0;
    *alias = at + 1;
    return CLI_OK;
}

static int parse_int(const cli_cmd *cmd, const char *what, const char *s, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < 1 || v > 1000000000)
        return cli_usage(cmd, "%s must be a whole number >= 1, got \"%s\"", what, s);
    *out = v;
    return CLI_OK;
}

static const cli_opt opts[] = {
    {"store", "PATH", 0, "tracking store (default $CML_STORE, else ./cml.db)"},
    {"delete", NULL, 0, "alias: remove NAME@ALIAS instead of setting it"},
    {"json", NULL, 0, "print one JSON object"},
    {NULL, NULL, 0, NULL}};

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (a.n_positional < 1)
        return cli_usage(cmd, "which one: register, list, versions, alias or resolve?");
    const char *verb = a.positional[0];
    int np = a.n_positional - 1;
    const char *const *p = a.positional + 1;
    long long num = 0;
    char name[128];
    const char *alias = NULL;
    /* check the arguments before opening the store */
    if (!strcmp(verb, "register")) {
        if (np != 2) return cli_usage(cmd, "registry register NAME RUN_ID");
        if ((rc = parse_int(cmd, "RUN_ID", p[1], &num))) return rc;
    } else if (!strcmp(verb, "list") || !strcmp(verb, "versions")) {
        if (np > 1 || (!strcmp(verb, "versions") && np != 1))
            return cli_usage(cmd, "registry %s %s", verb, np > 1 ? "[NAME]" : "NAME");
    } else if (!strcmp(verb, "alias")) {
        int del = cli_flag(&a, "delete");
        if (np != (del ? 1 : 2))
            return cli_usage(cmd, del ? "registry alias --delete NAME@ALIAS"
                                      : "registry alias NAME@ALIAS VERSION");
        if ((rc = split_at(cmd, p[0], name, sizeof name, &alias))) return rc;
        if (!del && (rc = parse_int(cmd, "VERSION", p[1], &num))) return rc;
    } else if (!strcmp(verb, "resolve")) {
        if (np != 1) return cli_usage(cmd, "registry resolve NAME[@ALIAS|@VERSION]");
    } else {
        return cli_usage(cmd,
                         "unknown subcommand \"%s\"; valid: register, list, versions, alias, "
                         "resolve",
                         verb);
    }
    cml_track *t;
    const char *path;
    if ((rc = cli_open_store(&a, 0, &t, &path))) return rc;
    cml_status st = CML_OK;
    int json = cli_flag(&a, "json");
    if (!strcmp(verb, "register")) {
        int version = 0;
        st = cml_track_register(t, p[0], num, &version);
        if (st == CML_OK && json)
            printf("{\"command\":\"registry register\",\"name\":\"%s\",\"version\":%d,"
                   "\"run_id\":%lld}\n",
                   p[0], version, num); /* the name is [A-Za-z0-9_.-]: no escaping needed */
        else if (st == CML_OK)
            printf("registered run %lld as %s version %d\n", num, p[0], version);
    } else if (!strcmp(verb, "list") || !strcmp(verb, "versions")) {
        cml_model_version *v;
        int64_t n;
        st = cml_track_versions(t, np ? p[0] : NULL, &v, &n);
        if (st == CML_OK) {
            rc = print_versions(&a, v, n);
            cml_model_versions_free(v, n);
        }
    } else if (!strcmp(verb, "alias")) {
        if (cli_flag(&a, "delete"))
            st = cml_track_delete_alias(t, name, alias);
        else
            st = cml_track_set_alias(t, name, alias, (int)num);
        if (st == CML_OK && !json && num) printf("%s@%s -> version %lld\n", name, alias, num);
        if (st == CML_OK && !json && !num) printf("removed %s@%s\n", name, alias);
        if (st == CML_OK && json)
            printf("{\"command\":\"registry alias\",\"name\":\"%s\",\"alias\":\"%s\","
                   "\"version\":%lld}\n",
                   name, alias, num);
    } else {
        cml_model_version *v;
        st = cml_track_resolve(t, p[0], &v);
        if (st == CML_OK) {
            if (json) {
                cml_sb sb;
                cml_sb_init(&sb);
                version_json(&sb, v);
                cli_json_print(&sb);
            } else {
                printf("%s\n", v->path);
            }
            cml_model_version_free(v);
        }
    }
    if (st != CML_OK) rc = cli_fail(st);
    cml_track_close(t);
    return rc;
}

const cli_cmd cli_cmd_registry = {
    "registry",
    "register NAME RUN_ID | list [NAME] | versions NAME | alias NAME@ALIAS VERSION | alias "
    "--delete NAME@ALIAS | resolve NAME[@ALIAS|@VERSION] [--store PATH] [--json]",
    "model registry: versions of named models from tracked runs, and aliases",
    "register copies the run's model file (checked against the sha256 the run recorded) into "
    "<store>-artifacts/NAME/vN.gguf as version N = last + 1. alias points NAME@ALIAS at a "
    "version (moving it if it pointed elsewhere). resolve prints the file NAME@ALIAS, NAME@N or "
    "NAME (latest version) stands for. cml serve --model NAME@ALIAS serves it. See "
    "docs/tracking.md.",
    opts,
    3,
    run};
