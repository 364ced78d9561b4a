/*
 * fuzz_serve_body.c — libFuzzer target for the HTTP predict bodies `cml
 * serve` accepts: JSON {"rows": ...} / {"records": ...} (with "proba") and
 * CSV with a header, parsed through a real model's schema (a logistic
 * regression fitted once on data/iris.csv, so run from the repository
 * root), then predicted and rendered. Any bytes must give a 2xx or a 4xx
 * with a message, never a crash, hang or leak. The first input byte picks
 * the format (bit 0 set: CSV) and the model (bit 1 set: a text model, as
 * `cml fit --text text` makes: a TF-IDF vectorizer and MultinomialNB fitted
 * on a few built-in documents, whose requests carry documents as strings);
 * the rest is the body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/cml.h"
#include "core/strbuf.h"
#include "serve/serve_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static serve_model *model;

static serve_model *load_model(void)
{
    char path[64];
    cml_table *t = NULL, *X = NULL;
    double *y = NULL;
    cml_model *m = NULL;
    serve_model *sm = NULL;
    cml_csv_opts o = cml_csv_opts_default();
    snprintf(path, sizeof path, "/tmp/fuzz_serve_%d.gguf", (int)getpid());
    if (cml_csv_read("data/iris.csv", &o, &t) != CML_OK ||
        cml_table_split_target(t, t->cols - 1, &X, &y) != CML_OK ||
        cml_model_create("logistic_regression", &m) != CML_OK)
        goto done;
    cml_matrix A = cml_table_matrix(X);
    if (cml_model_fit(m, &A, y, NULL) == CML_OK && cml_model_save(m, path, NULL, NULL) == CML_OK)
        serve_model_load(path, &sm);
    unlink(path);
done:
    cml_model_free(m);
    cml_table_free(t);
    cml_table_free(X);
    free(y);
    if (!sm) {
        fprintf(stderr, "fuzz_serve_body: cannot build the model (run from the repo root): %s\n",
                cml_last_error());
        abort();
    }
    return sm;
}

/* The keys `cml fit --text text` writes (tools/cml/text_features.c): the
 * schema (one text column), cml.text.column and the vectorizer under
 * "text.". */
static cml_status text_hook(cml_gguf_writer *w, void *user)
{
    cml_column col = {(char *)"text", CML_COL_TEXT, 0, NULL};
    CML_CHECK(cml_columns_save(w, "cml.schema.features", &col, 1));
    CML_CHECK(cml_gguf_set_str(w, "cml.text.column", "text"));
    CML_CHECK(cml_gguf_writer_set_scope(w, "text."));
    cml_status st = cml_tfidf_save(user, w);
    cml_gguf_writer_set_scope(w, "");
    return st;
}

static serve_model *load_text_model(void)
{
    static const char *docs[] = {"win free money now", "cheap meds offer",
                                 "free prize click",   "meeting at noon",
                                 "see you at lunch",   "the report is attached"};
    static const double y[] = {1, 1, 1, 0, 0, 0};
    char path[64];
    cml_tfidf_params tp = cml_tfidf_params_default();
    cml_tfidf *v = NULL;
    cml_csr_owned *S = NULL;
    cml_model *m = NULL;
    serve_model *sm = NULL;
    snprintf(path, sizeof path, "/tmp/fuzz_serve_text_%d.gguf", (int)getpid());
    if (cml_tfidf_fit_transform(&tp, docs, 6, &v, &S) == CML_OK &&
        cml_model_create("multinomial_nb", &m) == CML_OK) {
        cml_csr X = cml_csr_owned_view(S);
        if (cml_model_fit_csr(m, &X, y, NULL) == CML_OK &&
            cml_model_save(m, path, text_hook, v) == CML_OK)
            serve_model_load(path, &sm);
        unlink(path);
    }
    cml_model_free(m);
    cml_csr_owned_free(S);
    cml_tfidf_free(v);
    if (!sm) {
        fprintf(stderr, "fuzz_serve_body: cannot build the text model: %s\n", cml_last_error());
        abort();
    }
    return sm;
}

static serve_model *text_model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model) model = load_model();
    if (!text_model) text_model = load_text_model();
    if (size < 1) return 0;
    int is_csv = data[0] & 1;
    char *body = malloc(size); /* size - 1 bytes + the NUL serve_predict wants */
    if (!body) return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    cml_sb out;
    cml_sb_init(&out);
    int64_t rows = 0;
    char err[256];
    int text = (data[0] & 2) != 0;
    int status = serve_predict(text ? text_model : model, text ? "spam" : "iris", body, size - 1,
                               is_csv, 0, &out, &rows, err, sizeof err);
    if (status != 200 && (status < 400 || status > 499)) abort(); /* only 200 or a 4xx */
    free(cml_sb_finish(&out));
    free(body);
    return 0;
}
