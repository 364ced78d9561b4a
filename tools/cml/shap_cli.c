/*
 * shap_cli.c — TreeSHAP for the commands: `cml explain` and
 * `cml predict --contrib` share the computation on a loaded model and the
 * contribution column names.
 */
#include <stdlib.h>

#include "cli.h"

int cli_shap_check(const cml_model *m, const char *mpath)
{
    if (cml_shap_n_outputs(m) > 0) return CLI_OK;
    cli_error("%s: %s is not a tree model. HINT: SHAP contributions exist for decision "
              "trees, random forests, extra trees and gbm models",
              mpath, cml_model_estimator(m)->name);
    return CLI_USAGE;
}

int cli_shap(const cml_model *m, const char *mpath, const cml_matrix *X, double **phi, int64_t *K,
             int64_t *F)
{
    *phi = NULL;
    int rc = cli_shap_check(m, mpath);
    if (rc) return rc;
    *K = cml_shap_n_outputs(m);
    *F = cml_shap_n_features(m);
    *phi = malloc(sizeof(double) * (size_t)(X->rows * *K * (*F + 1)));
    if (!*phi) return cli_fail(CML_ERR_NOMEM);
    cml_status st = cml_shap_values(m, X, *phi);
    if (st != CML_OK) {
        free(*phi);
        *phi = NULL;
        return cli_fail(st);
    }
    return CLI_OK;
}

char **cli_shap_names(const cli_data *d, int64_t F, int64_t K, const cml_column *target,
                      const double *classes, const char *prefix)
{
    char **names = calloc((size_t)(K * (F + 1)), sizeof *names);
    if (!names) return NULL;
    for (int64_t k = 0; k < K; k++) {
        char cls[128] = "";
        if (K > 1) {
            if (classes)
                cli_class_label(target, classes[k], cls, sizeof cls);
            else
                snprintf(cls, sizeof cls, "%lld", (long long)k);
        }
        for (int64_t j = 0; j <= F; j++) {
            char feat[256];
            if (j == F)
                snprintf(feat, sizeof feat, "bias");
            else if (d->X->cols == F)
                snprintf(feat, sizeof feat, "%s", d->X->columns[j].name);
            else
                snprintf(feat, sizeof feat, "x%lld", (long long)j);
            cml_sb sb;
            cml_sb_init(&sb);
            cml_sb_puts(&sb, prefix);
            if (K > 1) cml_sb_printf(&sb, "%s:", cls);
            cml_sb_puts(&sb, feat);
            names[k * (F + 1) + j] = cml_sb_finish(&sb);
            if (!names[k * (F + 1) + j]) {
                cli_names_free(names, K * (F + 1));
                return NULL;
            }
        }
    }
    return names;
}

void cli_names_free(char **names, int64_t n)
{
    if (!names) return;
    for (int64_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
