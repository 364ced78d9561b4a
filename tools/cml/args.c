/*
 * args.c — option parsing from each command's static table, help text,
 * error printing with the exit-code contract, logging to stderr.
 *
 * Accepted forms: --name VALUE, --name=VALUE, flags --name. A value that
 * starts with "--" is still taken as the value when the option needs one
 * (users write --param alpha=-1, not ambiguous). "--" ends options.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_quiet;

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("cml: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_fail(cml_status st)
{
    const char *msg = cml_last_error();
    cli_error("%s", msg[0] ? msg : cml_status_name(st));
    return CLI_RUNTIME;
}

int cli_fail_usage(cml_status st)
{
    cli_fail(st);
    return st == CML_ERR_ARG ? CLI_USAGE : CLI_RUNTIME;
}

int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cml %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: cml %s %s  (see cml %s --help)\n", cmd->name, cmd->usage, cmd->name);
    return CLI_USAGE;
}

void cli_print_help(const cli_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: cml %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->details) fprintf(f, "\n%s\n", cmd->details);
    fprintf(f, "\noptions:\n");
    for (const cli_opt *o = cmd->opts; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-26s %s%s\n", left, o->help, o->repeatable ? " (repeatable)" : "");
    }
    fprintf(f, "  %-26s %s\n", "--help", "show this help");
}

static int find_opt(const cli_cmd *cmd, const char *name, size_t len)
{
    for (int i = 0; cmd->opts[i].name; i++)
        if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0)
            return i;
    return -1;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    int only_positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (!only_positional && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            cli_print_help(cmd, stdout);
            return -1;
        }
        if (!only_positional && strncmp(arg, "--", 2) == 0) {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            int k = find_opt(cmd, name, len);
            if (k < 0) {
                char valid[1024] = "";
                for (const cli_opt *o = cmd->opts; o->name; o++) {
                    strncat(valid, " --", sizeof valid - strlen(valid) - 1);
                    strncat(valid, o->name, sizeof valid - strlen(valid) - 1);
                }
                return cli_usage(cmd, "unknown option --%.*s; valid:%s", (int)len, name, valid);
            }
            const cli_opt *o = &cmd->opts[k];
            const char *value = "1";
            if (o->arg) {
                if (eq)
                    value = eq + 1;
                else if (i + 1 < argc)
                    value = argv[++i];
                else
                    return cli_usage(cmd, "option --%s needs a value (%s)", o->name, o->arg);
            } else if (eq) {
                return cli_usage(cmd, "option --%s takes no value", o->name);
            }
            if (a->counts[k] > 0 && !o->repeatable) {
                return cli_usage(cmd, "option --%s given twice", o->name);
            }
            if (a->counts[k] == CLI_MAX_VALUES)
                return cli_usage(cmd, "option --%s given more than %d times", o->name,
                                 CLI_MAX_VALUES);
            a->values[k][a->counts[k]++] = value;
            continue;
        }
        if (a->n_positional >= cmd->max_positional || a->n_positional >= 8)
            return cli_usage(cmd, "unexpected argument \"%s\"", arg);
        a->positional[a->n_positional++] = arg;
    }
    return CLI_OK;
}

const char *cli_get(const cli_args *a, const char *name)
{
    int k = find_opt(a->cmd, name, strlen(name));
    return k >= 0 && a->counts[k] ? a->values[k][a->counts[k] - 1] : NULL;
}

int cli_get_all(const cli_args *a, const char *name, const char *const **values)
{
    int k = find_opt(a->cmd, name, strlen(name));
    if (k < 0) {
        *values = NULL;
        return 0;
    }
    *values = a->values[k];
    return a->counts[k];
}

int cli_flag(const cli_args *a, const char *name)
{
    return cli_get(a, name) != NULL;
}

const char *cli_require(const cli_args *a, const char *name)
{
    const char *v = cli_get(a, name);
    if (!v) cli_usage(a->cmd, "missing required option --%s", name);
    return v;
}

static void log_to_stderr(cml_log_level level, const char *msg, void *user)
{
    (void)user;
    if (cli_quiet && level < CML_LOG_ERROR) return;
    if (level == CML_LOG_DEBUG) return;
    fprintf(stderr, "cml: %s%s\n", level >= CML_LOG_WARN ? "warning: " : "", msg);
}

int cli_setup(const cli_args *a)
{
    cli_quiet = cli_get(a, "quiet") != NULL;
    cml_log_set(log_to_stderr, NULL);
    const char *t = cli_get(a, "threads");
    if (t) {
        char *end;
        long n = strtol(t, &end, 10);
        if (end == t || *end || n < 1 || n > 4096)
            return cli_usage(a->cmd, "--threads must be a whole number >= 1, got \"%s\"", t);
        cml_set_num_threads((int)n);
    }
    return CLI_OK;
}

void cli_json_print(cml_sb *sb)
{
    char *s = cml_sb_finish(sb);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
}

int cli_parse_i64(const cli_cmd *cmd, const char *name, const char *s, int64_t lo, int64_t *v)
{
    char *end = NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || !end || *end || end == s || x < lo)
        return cli_usage(cmd, "--%s must be a whole number >= %lld, got \"%s\"", name,
                         (long long)lo, s);
    *v = x;
    return CLI_OK;
}
