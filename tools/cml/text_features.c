/*
 * text_features.c — `cml fit --text COL`: a column of documents becomes a
 * fitted vectorizer (TfidfVectorizer or CountVectorizer, cml/text.h) saved
 * in the model file, and `predict` / `eval` turn the same column of new
 * files into the same features.
 *
 * What the model file holds besides the estimator: the feature schema is the
 * text column alone (kind text; every other column of a file is ignored, at
 * fit and at predict, except the target), the target's schema, the key
 * cml.text.column, and the vectorizer under the scope "text." (its
 * cml.kind, cml.param.*, vocabulary and idf: see cml_tfidf_save).
 * Estimators with sparse entries (linear_svc, logistic_regression,
 * multinomial_nb, complement_nb, bernoulli_nb) get the CSR matrix; the
 * others (and a sparse fit that answers CML_ERR_UNSUPPORTED, such as
 * logistic_regression's cd solver) a dense copy, refused above
 * DENSE_MAX_BYTES with a hint to cap the vocabulary.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TEXT_SCOPE      "text."
#define TEXT_COLUMN_KEY "cml.text.column"
#define PARAM_PREFIX    "vectorizer."
/* 2 GiB: a dense copy beyond it is almost surely a mistake on a laptop. */
#define DENSE_MAX_BYTES ((int64_t)1 << 31)

void cli_vectorizer_free(cli_vectorizer *v)
{
    cml_tfidf_free(v->tfidf);
    cml_count_free(v->count);
    v->tfidf = NULL;
    v->count = NULL;
}

static cml_status vectorize(const cli_vectorizer *v, const char *const *docs, int64_t n,
                            cml_csr_owned **X)
{
    return v->tfidf ? cml_tfidf_transform(v->tfidf, docs, n, X)
                    : cml_count_transform(v->count, docs, n, X);
}

/* The documents of the text column, from whichever table kept them. */
static const char *const *column_text(const cli_data *d, const char *col)
{
    const cml_table *t = d->table ? d->table : d->X;
    return cml_table_text(t, cml_table_find(t, col));
}

/* A column of numbers given as --text is a mistake worth naming. */
static int all_numbers(const char *const *docs, int64_t n)
{
    int64_t filled = 0;
    for (int64_t i = 0; i < n; i++) {
        const char *s = docs[i];
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s) continue;
        char *end;
        errno = 0;
        (void)strtod(s, &end);
        while (*end == ' ' || *end == '\t')
            end++;
        if (end == s || *end) return 0;
        filled++;
    }
    return filled > 0;
}

int cli_text_fit(const cli_args *a, const char *path, const char *col, cli_data *d,
                 cli_vectorizer *v)
{
    memset(v, 0, sizeof *v);
    if (d->target && strcmp(d->target->name, col) == 0)
        return cli_usage(a->cmd,
                         "--text %s is also the target column. HINT: --target names the "
                         "label column",
                         col);
    const char *kind = cli_get(a, "vectorizer");
    if (!kind) kind = "tfidf";
    int tfidf = strcmp(kind, "tfidf") == 0;
    if (!tfidf && strcmp(kind, "count") != 0)
        return cli_usage(a->cmd, "--vectorizer must be tfidf or count, got \"%s\"", kind);
    cml_tfidf_params tp = cml_tfidf_params_default();
    cml_count_params cp = cml_count_params_default();
    const char *const *vals;
    int n = cli_get_all(a, "param", &vals);
    for (int i = 0; i < n; i++) {
        if (strncmp(vals[i], PARAM_PREFIX, strlen(PARAM_PREFIX)) != 0) continue;
        char key[128];
        const char *kv = vals[i] + strlen(PARAM_PREFIX), *eq = strchr(kv, '=');
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key)
            return cli_usage(a->cmd, "--param expects vectorizer.key=value, got \"%s\"", vals[i]);
        memcpy(key, kv, (size_t)(eq - kv));
        key[eq - kv] = '\0';
        cml_status st =
            tfidf ? cml_tfidf_params_set(&tp, key, eq + 1) : cml_count_params_set(&cp, key, eq + 1);
        if (st != CML_OK) return cli_fail_usage(cml_fail_context(st, "--param %s", vals[i]));
    }
    const char *const *docs = column_text(d, col);
    int64_t rows = d->X->rows;
    if (!docs) {
        cli_error("%s: column \"%s\" was not read as text", path, col);
        return CLI_RUNTIME;
    }
    if (all_numbers(docs, rows)) {
        cli_error("%s: column \"%s\" (--text) holds numbers, not text. HINT: --text names a "
                  "column of documents; numeric columns are ignored with --text",
                  path, col);
        return CLI_USAGE;
    }
    cml_status st = tfidf ? cml_tfidf_fit_transform(&tp, docs, rows, &v->tfidf, &d->Xs)
                          : cml_count_fit_transform(&cp, docs, rows, &v->count, &d->Xs);
    if (st != CML_OK) return cli_fail(cml_fail_context(st, "%s: column \"%s\"", path, col));
    return CLI_OK;
}

/* What the save hook needs. */
typedef struct text_hook {
    const char *col;
    const cml_column *target;
    const cli_vectorizer *v;
} text_hook;

static cml_status save_hook(cml_gguf_writer *w, void *user)
{
    const text_hook *h = user;
    cml_column text = {(char *)h->col, CML_COL_TEXT, 0, NULL};
    cml_table view = {0, 1, NULL, &text};
    cli_schema schema = {&view, h->target};
    CML_CHECK(cli_schema_hook(w, &schema));
    CML_CHECK(cml_gguf_set_str(w, TEXT_COLUMN_KEY, h->col));
    CML_CHECK(cml_gguf_writer_set_scope(w, TEXT_SCOPE));
    cml_status st = h->v->tfidf ? cml_tfidf_save(h->v->tfidf, w) : cml_count_save(h->v->count, w);
    cml_gguf_writer_set_scope(w, "");
    return st;
}

cml_status cli_text_save(const cml_model *m, const char *path, const char *col,
                         const cml_column *target, const cli_vectorizer *v)
{
    text_hook h = {col, target, v};
    return cml_model_save(m, path, save_hook, &h);
}

int cli_text_is_model(const cml_gguf *g)
{
    return cml_gguf_has(g, TEXT_COLUMN_KEY);
}

int cli_text_features(const cml_gguf *g_const, cli_data *d)
{
    cml_gguf *g = (cml_gguf *)g_const; /* the scope is the reader's only mutable state */
    const char *col;
    cli_vectorizer v = {NULL, NULL};
    cml_status st = cml_gguf_get_str(g, TEXT_COLUMN_KEY, &col);
    if (st != CML_OK) return cli_fail(st);
    const char *const *docs = column_text(d, col);
    if (!docs) {
        cli_error("%s: the text column \"%s\" was not read as text", cml_gguf_name(g), col);
        return CLI_RUNTIME;
    }
    CML_TRY(cml_gguf_set_scope(g, TEXT_SCOPE));
    CML_TRY(cml_vectorizer_load(g, &v.tfidf, &v.count));
    cml_gguf_set_scope(g, "");
    st = vectorize(&v, docs, d->X->rows, &d->Xs);
fail:
    cml_gguf_set_scope(g, "");
    cli_vectorizer_free(&v);
    return st == CML_OK ? CLI_OK : cli_fail(st);
}

/* ---------------------------------------------------------------- dispatch */

/* Dense copy of the text features for estimators without sparse entries. */
static cml_status densify(const cml_model *m, const cml_csr_owned *S, double **out)
{
    if (S->cols > 0 && S->rows > DENSE_MAX_BYTES / 8 / S->cols)
        return cml_fail(CML_ERR_NOMEM,
                        "%s takes dense input only, and %lld documents x %lld terms would need "
                        "%.1f GB. HINT: --param vectorizer.max_features=5000 (or min_df), or a "
                        "sparse-capable estimator: linear_svc, logistic_regression (lbfgs), "
                        "multinomial_nb, complement_nb, bernoulli_nb",
                        cml_model_estimator(m)->name, (long long)S->rows, (long long)S->cols,
                        (double)S->rows * (double)S->cols * 8e-9);
    cml_csr v = cml_csr_owned_view(S);
    return cml_csr_to_dense(&v, out);
}

cml_status cli_model_fit(cml_model *m, const cli_data *d, const cml_fit_opts *opts)
{
    if (!d->Xs) {
        cml_matrix X = cml_table_matrix(d->X);
        return cml_model_fit(m, &X, d->y, opts);
    }
    cml_csr S = cml_csr_owned_view(d->Xs);
    if (cml_model_accepts_csr(m)) {
        cml_status st = cml_model_fit_csr(m, &S, d->y, opts);
        /* e.g. logistic_regression's cd solver: dense only, like the estimators without entries */
        if (st != CML_ERR_UNSUPPORTED) return st;
    }
    double *D;
    CML_CHECK(densify(m, d->Xs, &D));
    cml_matrix X = cml_matrix_view(D, S.rows, S.cols);
    cml_status st = cml_model_fit(m, &X, d->y, opts);
    free(D);
    return st;
}

typedef cml_status (*dense_fn)(const cml_model *, const cml_matrix *, double *);
typedef cml_status (*sparse_fn)(const cml_model *, const cml_csr *, double *);

static cml_status apply(const cml_model *m, const cli_data *d, double *out, dense_fn dense,
                        sparse_fn sparse, int has_sparse)
{
    if (!d->Xs) {
        cml_matrix X = cml_table_matrix(d->X);
        return dense(m, &X, out);
    }
    cml_csr S = cml_csr_owned_view(d->Xs);
    if (has_sparse) return sparse(m, &S, out);
    double *D;
    CML_CHECK(densify(m, d->Xs, &D));
    cml_matrix X = cml_matrix_view(D, S.rows, S.cols);
    cml_status st = dense(m, &X, out);
    free(D);
    return st;
}

cml_status cli_model_predict(const cml_model *m, const cli_data *d, double *out)
{
    return apply(m, d, out, cml_model_predict, cml_model_predict_csr,
                 cml_model_estimator(m)->predict_csr != NULL);
}

cml_status cli_model_predict_proba(const cml_model *m, const cli_data *d, double *out)
{
    return apply(m, d, out, cml_model_predict_proba, cml_model_predict_proba_csr,
                 cml_model_estimator(m)->predict_proba_csr != NULL);
}
