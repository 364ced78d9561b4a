/*
 * data.c — how the commands read data and remember its shape.
 *
 * Every model fitted by `cml fit` carries its column schema (names, kinds,
 * categorical levels of the features and of the target) under
 * cml.schema.*, so `predict`/`eval` read new files through the very same
 * codes and map class codes back to the original labels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define FEATURES_KEY "cml.schema.features"
#define TARGET_KEY   "cml.schema.target"

void cli_data_free(cli_data *d)
{
    cml_table_free(d->table);
    cml_table_free(d->X);
    free(d->y);
    if (d->target) cml_columns_free(d->target, 1);
    cml_csr_owned_free(d->Xs);
    memset(d, 0, sizeof *d);
}

/* --sep: one character, or "tab". */
static int csv_options(const cli_args *a, cml_csv_opts *o)
{
    *o = cml_csv_opts_default();
    o->text_col = cli_get(a, "text"); /* fit --text: that column's strings are kept */
    const char *sep = cli_get(a, "sep");
    if (!sep) return CLI_OK;
    if (!strcmp(sep, "tab") || !strcmp(sep, "\\t"))
        o->sep = '\t';
    else if (strlen(sep) == 1 && sep[0] != '"' && sep[0] != '\n' && sep[0] != '\r')
        o->sep = sep[0];
    else
        return cli_usage(a->cmd, "--sep must be one character (or \"tab\"), got \"%s\"", sep);
    return CLI_OK;
}

static void list_columns(const cml_table *t, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int64_t j = 0; j < t->cols && used + 8 < len; j++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", j ? ", " : "", t->columns[j].name);
}

/* ---------------------------------------------------------------- IDX */

/* An IDX image file (MNIST / Fashion-MNIST: "...-images-idx3-ubyte[.gz]") is
 * read as a table of pixel columns px0..px<d-1>, plus a "label" column from
 * the sibling labels file ("...-labels-idx1-ubyte[.gz]") when it exists, so
 * every command takes the Debian dataset-fashion-mnist files as they are. */
static int is_idx_images(const char *path)
{
    return strstr(path, "idx3-ubyte") != NULL;
}

static int read_idx_table(const char *path, cml_table **out)
{
    double *img = NULL, *lab = NULL;
    int64_t n, d, ln = 0, lc = 0;
    *out = NULL;
    cml_status st = cml_idx_read(path, &img, &n, &d);
    if (st != CML_OK) return cli_fail(st);
    /* labels: same name with images-idx3 -> labels-idx1 */
    const char *at = strstr(path, "images-idx3");
    char lpath[4096];
    int have_labels = 0;
    if (at && strlen(path) < sizeof lpath) {
        size_t pre = (size_t)(at - path);
        snprintf(lpath, sizeof lpath, "%.*slabels-idx1%s", (int)pre, path,
                 at + strlen("images-idx3"));
        FILE *f = fopen(lpath, "rb");
        if (f) {
            fclose(f);
            st = cml_idx_read(lpath, &lab, &ln, &lc);
            if (st != CML_OK) {
                free(img);
                return cli_fail(st);
            }
            if (ln != n || lc != 1) {
                cli_error("%s: %lld labels for %lld images in %s", lpath, (long long)ln,
                          (long long)n, path);
                free(img);
                free(lab);
                return CLI_RUNTIME;
            }
            have_labels = 1;
        }
    }
    const int64_t cols = d + have_labels;
    cml_table *t = calloc(1, sizeof *t);
    double *data = malloc(sizeof(double) * (size_t)(n * cols));
    cml_column *c = calloc((size_t)cols, sizeof *c);
    int rc = CLI_OK;
    if (!t || !data || !c) {
        free(t);
        free(data);
        free(c);
        rc = cli_fail(CML_ERR_NOMEM);
        goto done;
    }
    t->rows = n;
    t->cols = cols;
    t->data = data;
    t->columns = c;
    for (int64_t j = 0; j < cols; j++) {
        char name[32];
        if (j < d)
            snprintf(name, sizeof name, "px%lld", (long long)j);
        else
            snprintf(name, sizeof name, "label");
        c[j].name = strdup(name);
        if (!c[j].name) {
            cml_table_free(t);
            rc = cli_fail(CML_ERR_NOMEM);
            goto done;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        memcpy(data + i * cols, img + i * d, sizeof(double) * (size_t)d);
        if (have_labels) data[i * cols + d] = lab[i];
    }
    *out = t;
done:
    free(img);
    free(lab);
    return rc;
}

static int split(const char *path, cli_data *d, int64_t target)
{
    cml_status st;
    if (target < 0) {
        /* unsupervised: every column is a feature */
        d->X = d->table;
        d->table = NULL;
        return CLI_OK;
    }
    if (d->table->cols < 2) {
        cli_error("%s: only one column; need at least one feature besides the target", path);
        return CLI_RUNTIME;
    }
    st = cml_table_split_target(d->table, target, &d->X, &d->y);
    if (st != CML_OK) return cli_fail(st);
    st = cml_columns_copy(&d->table->columns[target], 1, &d->target);
    if (st != CML_OK) return cli_fail(st);
    return CLI_OK;
}

int cli_load_train(const cli_args *a, const char *path, const char *target, int require_target,
                   cli_data *out)
{
    cml_csv_opts o;
    memset(out, 0, sizeof *out);
    int rc = csv_options(a, &o);
    if (rc) return rc;
    if (is_idx_images(path)) {
        if ((rc = read_idx_table(path, &out->table))) return rc;
    } else {
        cml_status st = cml_csv_read(path, &o, &out->table);
        if (st != CML_OK) return cli_fail(st);
    }
    int64_t t = -1;
    if (target) {
        t = cml_table_find(out->table, target);
        if (t < 0) {
            char cols[1024];
            list_columns(out->table, cols, sizeof cols);
            cli_error("%s: no column named \"%s\" (--target); columns: %s", path, target, cols);
            cli_data_free(out);
            return CLI_USAGE;
        }
    } else {
        t = cml_table_find(out->table, "target");
        if (t < 0 && require_target) t = out->table->cols - 1;
        if (require_target && is_idx_images(path) && cml_table_find(out->table, "label") < 0) {
            cli_error("%s: no labels file next to it (expected the same name with "
                      "labels-idx1 for images-idx3)",
                      path);
            cli_data_free(out);
            return CLI_RUNTIME;
        }
    }
    rc = split(path, out, t);
    if (rc) cli_data_free(out);
    return rc;
}

cml_status cli_schema_target(const cml_gguf *g, cml_column **target)
{
    int64_t n;
    char key[128];
    *target = NULL;
    snprintf(key, sizeof key, "%s.names", TARGET_KEY);
    if (!cml_gguf_has(g, key)) return CML_OK;
    CML_CHECK(cml_columns_load(g, TARGET_KEY, target, &n));
    if (n != 1) {
        cml_columns_free(*target, n);
        *target = NULL;
        return cml_fail(CML_ERR_FORMAT, "%s: bad target schema", cml_gguf_name(g));
    }
    return CML_OK;
}

int cli_load_with_schema(const cli_args *a, const char *path, const cml_column *features,
                         int64_t n_features, const cml_column *target, cli_data *out)
{
    cml_csv_opts o;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = csv_options(a, &o))) return rc;
    if (is_idx_images(path)) {
        /* the model's features must be this file's pixel columns, in order */
        if ((rc = read_idx_table(path, &out->table))) return rc;
        int64_t d = out->table->cols - (cml_table_find(out->table, "label") >= 0);
        for (int64_t j = 0; j < n_features && j < d && !rc; j++)
            if (strcmp(features[j].name, out->table->columns[j].name)) rc = 1;
        if (rc || d != n_features) {
            cli_error("%s: %lld pixel columns, but the model was fitted on %lld features%s", path,
                      (long long)d, (long long)n_features,
                      rc ? " with other names (not an IDX-trained model)" : "");
            cli_data_free(out);
            return CLI_RUNTIME;
        }
        rc = split(path, out, target && out->table->cols == n_features + 1 ? n_features : -1);
        if (rc) cli_data_free(out);
        return rc;
    }
    /* features + (optional) target in one pass, matched by name */
    cml_column *all = calloc((size_t)n_features + 1, sizeof *all);
    if (!all) return cli_fail(CML_ERR_NOMEM);
    memcpy(all, features, (size_t)n_features * sizeof *all);
    if (target) all[n_features] = *target;
    o.schema = all;
    o.schema_cols = n_features + (target != NULL);
    o.optional_col = target ? target->name : NULL;
    cml_status st = cml_csv_read(path, &o, &out->table);
    free(all); /* shallow: the columns belong to the caller */
    if (st != CML_OK) return cli_fail(st);
    rc = split(path, out, target && out->table->cols == n_features + 1 ? n_features : -1);
    if (rc) cli_data_free(out);
    return rc;
}

int cli_load_for_model(const cli_args *a, const char *path, const cml_gguf *g, cli_data *out)
{
    cml_column *feat = NULL, *target = NULL;
    int64_t n_feat = 0;
    char key[128];
    memset(out, 0, sizeof *out);
    snprintf(key, sizeof key, "%s.names", FEATURES_KEY);
    if (!cml_gguf_has(g, key)) {
        /* a model made through the C API: take the file as it is */
        return cli_load_train(a, path, cli_get(a, "target"), 0, out);
    }
    cml_status st = cml_columns_load(g, FEATURES_KEY, &feat, &n_feat);
    if (st == CML_OK) st = cli_schema_target(g, &target);
    int rc = st == CML_OK ? cli_load_with_schema(a, path, feat, n_feat, target, out) : cli_fail(st);
    if (rc == CLI_OK && cli_text_is_model(g)) {
        rc = cli_text_features(g, out);
        if (rc) cli_data_free(out);
    }
    cml_columns_free(feat, n_feat);
    if (target) cml_columns_free(target, 1);
    return rc;
}

cml_status cli_schema_hook(cml_gguf_writer *w, void *user)
{
    const cli_schema *s = user;
    CML_CHECK(cml_columns_save(w, FEATURES_KEY, s->X->columns, s->X->cols));
    if (s->target) CML_CHECK(cml_columns_save(w, TARGET_KEY, s->target, 1));
    return CML_OK;
}

void cli_class_label(const cml_column *target, double v, char *buf, size_t len)
{
    if (target && target->kind == CML_COL_CATEGORICAL && v >= 0 && v < (double)target->n_levels &&
        v == floor(v)) {
        snprintf(buf, len, "%s", target->levels[(int64_t)v]);
        return;
    }
    /* shortest of %.15g / %.17g that round-trips */
    snprintf(buf, len, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, len, "%.17g", v);
}
