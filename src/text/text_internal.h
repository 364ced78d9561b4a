/*
 * text_internal.h — what count_vectorizer.c and tfidf_vectorizer.c share:
 * the CountVectorizer parameter rows (one definition, used by both tables),
 * the parameters resolved from their string forms, and the fitted struct.
 */
#ifndef CML_TEXT_INTERNAL_H
#define CML_TEXT_INTERNAL_H

#include <stddef.h>

#include "cml/text.h"
#include "text/tokenize.h"
#include "text/vocab.h"

/* The CountVectorizer rows of a parameter table whose struct T holds the
 * count parameters at member prefix F (empty, or `count.`). */
#define CML_TEXT_COUNT_PARAM_DEFS(T, F)                                                            \
    {"lowercase",                                                                                  \
     CML_PARAM_BOOL,                                                                               \
     "true",                                                                                       \
     0,                                                                                            \
     0,                                                                                            \
     0,                                                                                            \
     NULL,                                                                                         \
     "convert to lowercase (Python's str.lower) before tokenizing",                                \
     offsetof(T, F lowercase)},                                                                    \
        {"strip_accents",                                                                          \
         CML_PARAM_ENUM,                                                                           \
         "none",                                                                                   \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         "none|ascii|unicode",                                                                     \
         "remove accents: NFKD then drop combining marks (unicode) or non-ASCII (ascii)",          \
         offsetof(T, F strip_accents)},                                                            \
        {"stop_words",                                                                             \
         CML_PARAM_ENUM,                                                                           \
         "none",                                                                                   \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         "none|english",                                                                           \
         "drop sklearn's English stop words (word analyzer only)",                                 \
         offsetof(T, F stop_words)},                                                               \
        {"analyzer",                                                                               \
         CML_PARAM_ENUM,                                                                           \
         "word",                                                                                   \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         "word|char|char_wb",                                                                      \
         "features from word n-grams, character n-grams, or character n-grams inside words",       \
         offsetof(T, F analyzer)},                                                                 \
        {"ngram_range",                                                                            \
         CML_PARAM_STRING,                                                                         \
         "1,1",                                                                                    \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         "min_n,max_n: the n-gram sizes extracted, 1 <= min_n <= max_n",                           \
         offsetof(T, F ngram_range)},                                                              \
        {"min_df",                                                                                 \
         CML_PARAM_STRING,                                                                         \
         "1",                                                                                      \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         "drop terms in fewer documents: an int count >= 1 or a float proportion in [0, 1]",       \
         offsetof(T, F min_df)},                                                                   \
        {"max_df",                                                                                 \
         CML_PARAM_STRING,                                                                         \
         "1.0",                                                                                    \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         "drop terms in more documents: an int count >= 1 or a float proportion in [0, 1]",        \
         offsetof(T, F max_df)},                                                                   \
        {"max_features",                                                                           \
         CML_PARAM_STRING,                                                                         \
         "None",                                                                                   \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         "keep only the most frequent terms: None or an int >= 1",                                 \
         offsetof(T, F max_features)},                                                             \
    {                                                                                              \
        "binary", CML_PARAM_BOOL, "false", 0, 0, 0, NULL, "set every non-zero count to 1",         \
            offsetof(T, F binary)                                                                  \
    }

/* Parameters resolved from their string forms. */
typedef struct cml_text_cfg {
    cml_tokenizer_opts tok;
    double min_df, max_df;        /* counts, or proportions when *_frac */
    int min_df_frac, max_df_frac; /* 1: the value is a float proportion */
    int64_t max_features;         /* 0: None */
    int binary;
} cml_text_cfg;

/* NULL when p is valid (and *c filled), else a thread-local message naming
 * the parameter. */
const char *cml_text_resolve(const cml_count_params *p, cml_text_cfg *c);

struct cml_count {
    cml_count_params p;
    cml_text_cfg cfg;
    cml_tokenizer *tok;
    cml_vocab vocab; /* term id == feature index; terms in code-point order */
};

/* Builds a fitted count model from params and a sorted term list (load,
 * and the end of fit). Terms are copied. Errors: CML_ERR_ARG for params,
 * CML_ERR_FORMAT (with `where` in the message) for unsorted/duplicate terms. */
cml_status cml_text_count_from_terms(const cml_count_params *p, const char *const *terms,
                                     const size_t *lens, int64_t n, const char *where,
                                     cml_count **out);

/* numpy 1.24's argsort(kind="quicksort") of v[0..n) into idx (see
 * count_vectorizer.c); exposed for its unit test against numpy. */
void cml_text_np_argsort(const double *v, int64_t *idx, int64_t n);

/* An owned CSR with room for nnz entries (indptr zeroed by the caller). */
cml_status cml_text_csr_alloc(int64_t rows, int64_t cols, int64_t nnz, cml_csr_owned **out);

/* GGUF pieces shared by both vectorizers, under the current scope:
 * cml.kind check, and the vocabulary (cml.fit.vocabulary) written / read
 * back into a model with params p. */
cml_status cml_text_check_kind(const cml_gguf *g, const char *want);
cml_status cml_text_save_vocab(const cml_count *m, cml_gguf_writer *w);
cml_status cml_text_load_vocab(const cml_gguf *g, const cml_count_params *p, cml_count **out);

#endif
