/*
 * build_model.c — turns --algo, --param key=value and --prep specs into a
 * pipeline model. Preprocessing steps are ordinary transform estimators
 * from the registry; the short specs users type map onto them:
 *
 *   impute=mean|median|most_frequent|constant   simple_imputer strategy=...
 *   scale=standard | scale=minmax                standard_scaler / min_max_scaler
 *   poly=DEGREE                                  polynomial_features degree=...
 *   onehot                                       one_hot_encoder on the string columns
 *   NAME[:key=value,key=value]                   any transform estimator by name
 */
#include <string.h>

#include "cli.h"

/* Splits "key=value" in place-free fashion into the two buffers. */
static int split_kv(const char *s, char *key, size_t klen, const char **value)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || (size_t)(eq - s) >= klen) return 0;
    memcpy(key, s, (size_t)(eq - s));
    key[eq - s] = '\0';
    *value = eq + 1;
    return 1;
}

static int set_param(const cli_cmd *cmd, cml_model *m, const char *kv)
{
    char key[128];
    const char *value;
    if (!split_kv(kv, key, sizeof key, &value))
        return cli_usage(cmd, "--param expects key=value, got \"%s\"", kv);
    cml_status st = cml_model_set_param(m, key, value);
    return st == CML_OK ? CLI_OK : cli_fail_usage(st);
}

/* "0,3,5": indices of the categorical columns of X. */
static void categorical_columns(const cml_table *X, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int64_t j = 0; j < X->cols && used + 24 < len; j++)
        if (X->columns[j].kind == CML_COL_CATEGORICAL)
            used +=
                (size_t)snprintf(buf + used, len - used, "%s%lld", used ? "," : "", (long long)j);
}

static int make_step(const cli_cmd *cmd, const char *spec, const cml_table *X, cml_model **out)
{
    char name[64];
    const char *arg = NULL;
    const char *sep = strpbrk(spec, "=:");
    size_t n = sep ? (size_t)(sep - spec) : strlen(spec);
    if (n == 0 || n >= sizeof name) return cli_usage(cmd, "bad --prep \"%s\"", spec);
    memcpy(name, spec, n);
    name[n] = '\0';
    if (sep) arg = sep + 1;

    const char *algo = name, *key = NULL;
    if (!strcmp(name, "impute")) {
        algo = "simple_imputer";
        key = "strategy";
    } else if (!strcmp(name, "scale")) {
        if (!arg || !strcmp(arg, "standard"))
            algo = "standard_scaler";
        else if (!strcmp(arg, "minmax"))
            algo = "min_max_scaler";
        else
            return cli_usage(cmd, "--prep scale=%s: use scale=standard or scale=minmax", arg);
        arg = NULL;
    } else if (!strcmp(name, "poly")) {
        algo = "polynomial_features";
        key = "degree";
    } else if (!strcmp(name, "onehot")) {
        algo = "one_hot_encoder";
    }
    cml_model *m;
    cml_status st = cml_model_create(algo, &m);
    if (st != CML_OK) return cli_fail_usage(st);
    if (!cml_model_estimator(m)->transform) {
        cml_model_free(m);
        return cli_usage(cmd, "--prep %s: %s is not a transformer", spec, algo);
    }
    int rc = CLI_OK;
    if (!strcmp(algo, "one_hot_encoder")) {
        char cols[1024];
        categorical_columns(X, cols, sizeof cols);
        if (!cols[0]) {
            cli_error("--prep onehot: the data has no string (categorical) columns to encode");
            cml_model_free(m);
            return CLI_USAGE;
        }
        st = cml_model_set_param(m, "columns", cols);
        if (st != CML_OK) rc = cli_fail(st);
    }
    if (!rc && arg && key) {
        st = cml_model_set_param(m, key, arg);
        if (st != CML_OK) rc = cli_fail_usage(st);
    } else if (!rc && arg) {
        /* NAME:key=value,key=value */
        char buf[512];
        snprintf(buf, sizeof buf, "%s", arg);
        for (char *tok = strtok(buf, ","); tok && !rc; tok = strtok(NULL, ","))
            rc = set_param(cmd, m, tok);
    }
    if (rc) {
        cml_model_free(m);
        return rc;
    }
    *out = m;
    return CLI_OK;
}

/* Estimators that split on categories natively (gbm's
 * categorical_features) get the table's string columns, unless --param
 * names the parameter or --prep changes the columns first. */
static int auto_categorical(const cli_args *a, cml_model *m, const cml_table *X)
{
    static const char key[] = "categorical_features";
    const cml_estimator *est = cml_model_estimator(m);
    const char *const *vals;
    int has = 0;
    for (int i = 0; i < est->n_params; i++)
        has |= !strcmp(est->params[i].name, key);
    if (!has || !X || cli_get(a, "prep")) return CLI_OK;
    int n = cli_get_all(a, "param", &vals);
    for (int i = 0; i < n; i++)
        if (!strncmp(vals[i], key, sizeof key - 1) && vals[i][sizeof key - 1] == '=') return CLI_OK;
    char cols[CML_PARAM_STRLEN];
    categorical_columns(X, cols, sizeof cols);
    cml_status st = cols[0] ? cml_model_set_param(m, key, cols) : CML_OK;
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

int cli_build_model(const cli_args *a, const char *algo, const cml_table *X, cml_model **out)
{
    cml_model *m;
    const char *const *vals;
    *out = NULL;
    cml_status st = cml_model_create(algo, &m);
    if (st != CML_OK) return cli_fail_usage(st);
    int rc = CLI_OK;
    int n = cli_get_all(a, "param", &vals);
    for (int i = 0; i < n && !rc; i++)
        if (strncmp(vals[i], "vectorizer.", 11) != 0) /* fit --text: the vectorizer's */
            rc = set_param(a->cmd, m, vals[i]);
    if (!rc) rc = auto_categorical(a, m, X);
    n = cli_get_all(a, "prep", &vals);
    for (int i = 0; i < n && !rc; i++) {
        cml_model *step;
        rc = make_step(a->cmd, vals[i], X, &step);
        if (!rc) {
            st = cml_model_add_step(m, step);
            if (st != CML_OK) rc = cli_fail(st);
        }
    }
    if (rc) {
        cml_model_free(m);
        return rc;
    }
    *out = m;
    return CLI_OK;
}
