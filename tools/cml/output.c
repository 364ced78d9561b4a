/*
 * output.c — CSV outputs of the commands. Numbers use the library's writer
 * (%.17g, round-trips); predictions are written here because their
 * `prediction` column may hold the user's string labels.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_write_matrix(const char *path, const char *const *names, const double *m, int64_t rows,
                     int64_t cols)
{
    cml_matrix v = cml_matrix_view(m, rows, cols);
    cml_status st = cml_csv_write(strcmp(path, "-") ? path : "/dev/stdout", &v, names);
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

/* RFC 4180 quoting when a label holds a separator, quote or newline. */
static void put_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int cli_write_predictions(const char *path, const cml_column *target, const double *pred,
                          const double *proba, const double *classes, int64_t n_classes,
                          int64_t rows, const char *const *extra_names, const double *extra,
                          int64_t n_extra)
{
    int to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    char buf[512];
    if (!f) {
        cli_error("%s: cannot create: %s", path, strerror(errno));
        return CLI_RUNTIME;
    }
    fputs("prediction", f);
    if (proba)
        for (int64_t k = 0; k < n_classes; k++) {
            char name[560];
            cli_class_label(target, classes[k], buf, sizeof buf);
            snprintf(name, sizeof name, "proba_%s", buf);
            fputc(',', f);
            put_field(f, name);
        }
    for (int64_t j = 0; j < n_extra; j++) {
        fputc(',', f);
        put_field(f, extra_names[j]);
    }
    fputc('\n', f);
    for (int64_t i = 0; i < rows; i++) {
        cli_class_label(target, pred[i], buf, sizeof buf);
        put_field(f, buf);
        if (proba)
            for (int64_t k = 0; k < n_classes; k++)
                fprintf(f, ",%.17g", proba[i * n_classes + k]);
        for (int64_t j = 0; j < n_extra; j++)
            fprintf(f, ",%.17g", extra[i * n_extra + j]);
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (!to_stdout) bad |= fclose(f) != 0;
    if (bad) {
        cli_error("%s: write failed", path);
        return CLI_RUNTIME;
    }
    return CLI_OK;
}
