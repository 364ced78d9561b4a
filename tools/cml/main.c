/*
 * main.c — `cml`: one command to fit, predict, evaluate, transform and
 * inspect models. Dispatches to tools/cml/cmd_<verb>.c.
 */
#include <string.h>

#include "cli.h"

/* one per line, so adding a command never conflicts with another */
/* clang-format off */
static const cli_cmd *const commands[] = {
    &cli_cmd_fit,
    &cli_cmd_predict,
    &cli_cmd_transform,
    &cli_cmd_fit_transform,
    &cli_cmd_eval,
    &cli_cmd_algos,
    &cli_cmd_info,
    &cli_cmd_tour,
    &cli_cmd_serve,
    &cli_cmd_course,
    &cli_cmd_runs,
    &cli_cmd_registry,
    &cli_cmd_monitor,
    &cli_cmd_web,
    &cli_cmd_plot,
    &cli_cmd_neighbors,
    &cli_cmd_explain,
    &cli_cmd_import,
    &cli_cmd_tree,
    &cli_cmd_index,
    &cli_cmd_search,
};
/* clang-format on */

static void usage(FILE *f)
{
    fprintf(f, "cml %s — machine learning in C\n\nusage: cml COMMAND [options]\n\ncommands:\n",
            CML_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\n`cml COMMAND --help` for a command's options. Exit status: 0 ok, 1 runtime "
               "error, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    /* before any thread or BLAS call: see cml_blas_autotune() */
    cml_blas_autotune();
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("cml %s (BLAS: %s)\n", CML_VERSION_STRING, cml_blas_name());
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i]->name))
            return commands[i]->run(commands[i], argc - 2, argv + 2);
    cli_error("unknown command \"%s\"", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
