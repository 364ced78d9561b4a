/*
 * cmd_info.c — `cml info MODEL`: a saved model as JSON (kind, version,
 * params, fit info, fitted attributes, column schema, tensors).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static void json_columns(cml_sb *sb, const cml_column *c, int64_t n)
{
    cml_sb_puts(sb, "[");
    for (int64_t j = 0; j < n; j++) {
        cml_sb_puts(sb, j ? ",{\"name\":" : "{\"name\":");
        cml_sb_json_str(sb, c[j].name);
        cml_sb_printf(sb, ",\"kind\":\"%s\"",
                      c[j].kind == CML_COL_CATEGORICAL ? "categorical"
                      : c[j].kind == CML_COL_TEXT      ? "text"
                                                       : "numeric");
        if (c[j].kind == CML_COL_CATEGORICAL) {
            cml_sb_puts(sb, ",\"levels\":[");
            for (int64_t k = 0; k < c[j].n_levels; k++) {
                if (k) cml_sb_puts(sb, ",");
                cml_sb_json_str(sb, c[j].levels[k]);
            }
            cml_sb_puts(sb, "]");
        }
        cml_sb_puts(sb, "}");
    }
    cml_sb_puts(sb, "]");
}

static const cli_opt opts[] = {{NULL, NULL, 0, NULL}};

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (a.n_positional != 1) return cli_usage(cmd, "expected one model file");
    const char *path = a.positional[0];
    cml_model *m;
    cml_gguf *g;
    cml_status st = cml_model_load(path, &m, &g);
    if (st != CML_OK) return cli_fail(st);

    cml_sb sb;
    cml_sb_init(&sb);
    struct stat sbuf;
    cml_sb_puts(&sb, "{\"file\":");
    cml_sb_json_str(&sb, path);
    cml_sb_printf(&sb, ",\"bytes\":%lld,\"gguf_version\":%u",
                  stat(path, &sbuf) == 0 ? (long long)sbuf.st_size : -1LL, cml_gguf_version(g));
    const char *ver = NULL;
    if (cml_gguf_get_str(g, "cml.version", &ver) == CML_OK) {
        cml_sb_puts(&sb, ",\"cml_version\":");
        cml_sb_json_str(&sb, ver);
    }
    char *desc = cml_model_describe(m);
    cml_sb_puts(&sb, ",\"model\":");
    cml_sb_puts(&sb, desc ? desc : "null");
    free(desc);

    cml_column *cols = NULL, *target = NULL;
    int64_t n = 0;
    if (cml_gguf_has(g, "cml.schema.features.names") &&
        cml_columns_load(g, "cml.schema.features", &cols, &n) == CML_OK) {
        cml_sb_puts(&sb, ",\"schema\":{\"features\":");
        json_columns(&sb, cols, n);
        if (cli_schema_target(g, &target) == CML_OK && target) {
            cml_sb_puts(&sb, ",\"target\":");
            json_columns(&sb, target, 1);
            cml_columns_free(target, 1);
        }
        cml_sb_puts(&sb, "}");
        cml_columns_free(cols, n);
    }
    cml_sb_puts(&sb, ",\"tensors\":[");
    for (int64_t i = 0; i < cml_gguf_n_tensors(g); i++) {
        int64_t dims[CML_GGUF_MAX_DIMS];
        int nd = cml_gguf_tensor_dims(g, i, dims);
        cml_sb_puts(&sb, i ? ",{\"name\":" : "{\"name\":");
        cml_sb_json_str(&sb, cml_gguf_tensor_name(g, i));
        cml_sb_printf(&sb, ",\"type\":%d,\"shape\":[", (int)cml_gguf_tensor_type(g, i));
        for (int d = nd - 1; d >= 0; d--) /* row-major order for readers */
            cml_sb_printf(&sb, "%lld%s", (long long)dims[d], d ? "," : "");
        cml_sb_puts(&sb, "]}");
    }
    cml_sb_puts(&sb, "]}");
    cli_json_print(&sb);
    cml_gguf_free(g);
    cml_model_free(m);
    return CLI_OK;
}

const cli_cmd cli_cmd_info = {"info", "MODEL.gguf", "print a saved model as JSON", NULL, opts,
                              1,      run};
