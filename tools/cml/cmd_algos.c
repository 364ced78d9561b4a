/*
 * cmd_algos.c — `cml algos [NAME]`: the registry and each estimator's
 * parameters, printed from the same tables the library validates with.
 */
#include <math.h>
#include <string.h>

#include "cli.h"

static const char *task_name(cml_task t)
{
    switch (t) {
    case CML_TASK_REGRESSION: return "regression";
    case CML_TASK_CLASSIFICATION: return "classification";
    case CML_TASK_TRANSFORM: return "transform";
    case CML_TASK_CLUSTER: return "clustering";
    }
    return "?";
}

static const char *type_name(cml_param_type t)
{
    switch (t) {
    case CML_PARAM_INT: return "int";
    case CML_PARAM_DOUBLE: return "float";
    case CML_PARAM_BOOL: return "bool";
    case CML_PARAM_ENUM: return "choice";
    case CML_PARAM_STRING: return "string";
    }
    return "?";
}

/* "[0, inf)" / "(0, 1]" / choices. */
static void range_text(const cml_param_def *d, char *buf, size_t len)
{
    if (d->type == CML_PARAM_ENUM) {
        snprintf(buf, len, "%s", d->choices);
    } else if (d->type == CML_PARAM_INT || d->type == CML_PARAM_DOUBLE) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, isinf(d->min) ? "-inf" : "%.15g", d->min);
        snprintf(hi, sizeof hi, isinf(d->max) ? "inf" : "%.15g", d->max);
        snprintf(buf, len, "%s%s, %s%s", d->min_open ? "(" : "[", lo, hi,
                 isinf(d->max) ? ")" : "]");
    } else {
        buf[0] = '\0';
    }
}

static void json_estimator(cml_sb *sb, const cml_estimator *e, int with_params)
{
    cml_sb_puts(sb, "{\"name\":");
    cml_sb_json_str(sb, e->name);
    cml_sb_puts(sb, ",\"aliases\":");
    cml_sb_json_str(sb, e->aliases ? e->aliases : "");
    cml_sb_printf(sb, ",\"task\":\"%s\",\"summary\":", task_name(e->task));
    cml_sb_json_str(sb, e->summary);
    if (with_params) {
        cml_sb_puts(sb, ",\"params\":[");
        for (int i = 0; i < e->n_params; i++) {
            const cml_param_def *d = &e->params[i];
            char range[256];
            range_text(d, range, sizeof range);
            cml_sb_puts(sb, i ? ",{\"name\":" : "{\"name\":");
            cml_sb_json_str(sb, d->name);
            cml_sb_printf(sb, ",\"type\":\"%s\",\"default\":", type_name(d->type));
            cml_sb_json_str(sb, d->def);
            cml_sb_puts(sb, ",\"range\":");
            cml_sb_json_str(sb, range);
            cml_sb_puts(sb, ",\"doc\":");
            cml_sb_json_str(sb, d->doc);
            cml_sb_puts(sb, "}");
        }
        cml_sb_puts(sb, "]");
    }
    cml_sb_puts(sb, "}");
}

static const cli_opt opts[] = {{"json", NULL, 0, "print JSON"}, {NULL, NULL, 0, NULL}};

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    int json = cli_flag(&a, "json");
    int n;
    const cml_estimator *const *list = cml_estimator_list(&n);
    cml_sb sb;
    cml_sb_init(&sb);

    if (a.n_positional == 1) {
        const cml_estimator *e = cml_estimator_find(a.positional[0]);
        if (!e) {
            cml_model *probe;
            return cli_fail_usage(cml_model_create(a.positional[0], &probe));
        }
        if (json) {
            json_estimator(&sb, e, 1);
            cli_json_print(&sb);
            return CLI_OK;
        }
        printf("%s (%s)%s%s\n  %s\n\nparameters:\n", e->name, task_name(e->task),
               e->aliases && e->aliases[0] ? "  aliases: " : "", e->aliases ? e->aliases : "",
               e->summary);
        for (int i = 0; i < e->n_params; i++) {
            const cml_param_def *d = &e->params[i];
            char range[256];
            range_text(d, range, sizeof range);
            printf("  %-22s %-7s default %-10s %-24s %s\n", d->name, type_name(d->type), d->def,
                   range, d->doc);
        }
        return CLI_OK;
    }
    if (json) {
        cml_sb_puts(&sb, "{\"estimators\":[");
        for (int i = 0; i < n; i++) {
            if (i) cml_sb_puts(&sb, ",");
            json_estimator(&sb, list[i], 0);
        }
        cml_sb_puts(&sb, "]}");
        cli_json_print(&sb);
        return CLI_OK;
    }
    for (int i = 0; i < n; i++)
        printf("  %-28s %-15s %s\n", list[i]->name, task_name(list[i]->task), list[i]->summary);
    printf("\n%d estimators. `cml algos NAME` lists one's parameters.\n", n);
    return CLI_OK;
}

const cli_cmd cli_cmd_algos = {
    "algos", "[NAME] [--json]", "list estimators, or one estimator's parameters", NULL, opts, 1,
    run};
