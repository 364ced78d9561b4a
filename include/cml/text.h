/*
 * cml/text.h — text features: a Unicode tokenizer and scikit-learn 1.2's
 * CountVectorizer and TfidfVectorizer over UTF-8 documents.
 *
 * Analysis, exactly as sklearn's default analyzers on the decoded str:
 *   1. decode: documents are UTF-8; ill-formed bytes become U+FFFD, one per
 *      maximal ill-formed subpart (Python's bytes.decode("utf-8", "replace")),
 *      never an error;
 *   2. lowercase (default on): Python's str.lower() over all of Unicode 14
 *      (one-to-one mappings, U+0130 -> "i" U+0307, final sigma);
 *   3. strip_accents: "unicode" = NFKD then drop combining marks
 *      (sklearn's strip_accents_unicode), "ascii" = keep only the ASCII
 *      characters of the NFKD form (strip_accents_ascii); all code points;
 *   4. analyzer "word": the tokens of sklearn's token_pattern
 *      r"(?u)\b\w\w+\b", i.e. every maximal run of two or more word
 *      characters, where a word character is one for which Python's
 *      str.isalnum() is true (letters, decimal digits, other numerics such as
 *      U+00B2 or U+00BD) or '_'. Combining marks are not word characters (as in
 *      Python), so a decomposed "e" + U+0301 splits a word: use
 *      strip_accents to fold them. Then English stop words are removed (if
 *      asked) and word n-grams for n in ngram_range are joined by one space;
 *      analyzer "char": character n-grams of the text with runs of two or more
 *      whitespace characters replaced by one space (a lone \n stays, as in
 *      sklearn); "char_wb": n-grams inside each whitespace-separated word
 *      padded with one space on each side, with sklearn's short-word rule.
 * Where Python's re and this tokenizer could differ: none known for these
 * patterns; the character classes are generated from the same Python's
 * unicodedata (tests/gen/gen_text_tables.py), so a newer Unicode in another
 * Python may classify newly assigned characters differently.
 *
 * Vectorizers mirror sklearn's fit: vocabulary = distinct terms, pruned by
 * document frequency (min_df / max_df: an integer string such as "2" is a
 * count, a string with a point or exponent such as "0.5" or "1.0" a
 * proportion of the documents, as sklearn tells int from float), then
 * max_features keeps the most frequent terms with ties broken exactly as
 * numpy 1.24's argsort (introsort) breaks them in sklearn, and feature j is
 * the j-th term in code-point order (sklearn's sorted vocabulary). Output:
 * CSR with ascending column indices per row, counts or weights as doubles.
 *
 * Ownership: fitted objects copy what they keep; returned CSR matrices are
 * the caller's (cml_csr_owned_free). Thread-safety: a tokenizer and a fitted
 * vectorizer are immutable: transform and lookups may run from many threads;
 * a token iterator belongs to one thread.
 */
#ifndef CML_TEXT_H
#define CML_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "cml/core.h"
#include "cml/data.h"
#include "cml/gguf.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- tokenizer */

typedef enum cml_text_analyzer {
    CML_TEXT_WORD = 0,
    CML_TEXT_CHAR = 1,
    CML_TEXT_CHAR_WB = 2
} cml_text_analyzer;

typedef enum cml_text_accents {
    CML_TEXT_ACCENTS_NONE = 0,
    CML_TEXT_ACCENTS_ASCII = 1,
    CML_TEXT_ACCENTS_UNICODE = 2
} cml_text_accents;

typedef struct cml_tokenizer_opts {
    int analyzer;      /* cml_text_analyzer, default word */
    int lowercase;     /* default 1 */
    int strip_accents; /* cml_text_accents, default none */
    int stop_words;    /* 0 none (default), 1 English; word analyzer only */
    int ngram_min;     /* default 1; 1 <= ngram_min <= ngram_max */
    int ngram_max;     /* default 1 */
} cml_tokenizer_opts;

typedef struct cml_tokenizer cml_tokenizer;
typedef struct cml_token_iter cml_token_iter;

cml_tokenizer_opts cml_tokenizer_opts_default(void);
/* NULL when valid, else a message naming the option (thread-local). */
const char *cml_tokenizer_opts_check(const cml_tokenizer_opts *o);
/* Errors: CML_ERR_ARG (bad options), CML_ERR_NOMEM. */
cml_status cml_tokenizer_create(const cml_tokenizer_opts *o, cml_tokenizer **out);
const cml_tokenizer_opts *cml_tokenizer_options(const cml_tokenizer *t);
void cml_tokenizer_free(cml_tokenizer *t);

/* A token iterator: scratch buffers for one thread, reusable across texts.
 * The tokenizer must outlive it. */
cml_status cml_token_iter_create(const cml_tokenizer *t, cml_token_iter **out);
/* Analyzes text[0..len) (UTF-8, may hold ill-formed bytes and NULs) and
 * positions the iterator before its first token. Errors: CML_ERR_NOMEM. */
cml_status cml_token_iter_begin(cml_token_iter *it, const char *text, size_t len);
/* Next token, in sklearn's order (unigrams left to right, then bigrams, ...):
 * returns 1 and sets *tok (UTF-8, not NUL-terminated, valid until the next
 * call on the iterator) and *len, or 0 at the end. */
int cml_token_iter_next(cml_token_iter *it, const char **tok, size_t *len);
void cml_token_iter_free(cml_token_iter *it);

/* scikit-learn's ENGLISH_STOP_WORDS (318 words, sorted; static storage). */
const char *const *cml_text_stop_words_english(int64_t *n);

/* ---------------------------------------------------------------- CountVectorizer */

/* Parameters with sklearn's names, defaults and string forms (the table
 * behind cml_count_params_set and the saved cml.param.* keys). */
typedef struct cml_count_params {
    int lowercase;                       /* true */
    int strip_accents;                   /* none|ascii|unicode: none */
    int stop_words;                      /* none|english: none */
    int analyzer;                        /* word|char|char_wb: word */
    char ngram_range[CML_PARAM_STRLEN];  /* "1,1": "min_n,max_n" */
    char min_df[CML_PARAM_STRLEN];       /* "1": int >= 1 count or float in [0, 1] */
    char max_df[CML_PARAM_STRLEN];       /* "1.0": same forms */
    char max_features[CML_PARAM_STRLEN]; /* "None" or an int >= 1 */
    int binary;                          /* false: counts become 1 */
} cml_count_params;

typedef struct cml_count cml_count;

cml_count_params cml_count_params_default(void);
/* Sets one parameter from its string form ("min_df", "0.01"); unknown key
 * or bad value: CML_ERR_ARG listing the valid names / values. */
cml_status cml_count_params_set(cml_count_params *p, const char *key, const char *value);
/* NULL when valid, else a message naming the parameter. */
const char *cml_count_params_check(const cml_count_params *p);
/* The parameter table (for listings such as `cml algos`). */
const cml_param_def *cml_count_param_defs(int *n);

/*
 * Learns the vocabulary of docs[0..n) (NUL-terminated UTF-8 strings).
 * Errors (CML_ERR_ARG): bad parameters, a NULL document, n < 1, "empty
 * vocabulary; perhaps the documents only contain stop words", max_df
 * corresponding to fewer documents than min_df, "After pruning, no terms
 * remain. Try a lower min_df or a higher max_df."; CML_ERR_NOMEM.
 * fit_transform also returns the document-term matrix of docs (*X may be
 * NULL to skip it), the same as transform would give.
 */
cml_status cml_count_fit(const cml_count_params *p, const char *const *docs, int64_t n,
                         cml_count **out);
cml_status cml_count_fit_transform(const cml_count_params *p, const char *const *docs, int64_t n,
                                   cml_count **out, cml_csr_owned **X);
/* (n, n_features) counts (1 with binary); terms outside the vocabulary are
 * ignored. Parallel over documents (OpenMP); the result does not depend on
 * the thread count. */
cml_status cml_count_transform(const cml_count *m, const char *const *docs, int64_t n,
                               cml_csr_owned **X);
int64_t cml_count_n_features(const cml_count *m);
/* get_feature_names_out: term j (NUL-terminated, owned by the model), or
 * NULL when j is out of range. */
const char *cml_count_feature_name(const cml_count *m, int64_t j);
/* vocabulary_: the feature index of term[0..len), or -1. */
int64_t cml_count_lookup(const cml_count *m, const char *term, size_t len);
const cml_count_params *cml_count_get_params(const cml_count *m);
/* The tokenizer the model analyzes documents with (owned by the model). */
const cml_tokenizer *cml_count_tokenizer(const cml_count *m);
/* Saves params (cml.param.*), cml.kind = "count_vectorizer" and the
 * vocabulary (cml.fit.vocabulary, string array in feature order) under the
 * writer's current scope. */
cml_status cml_count_save(const cml_count *m, cml_gguf_writer *w);
/* Loads from the reader's current scope; a missing key, unsorted or
 * duplicate vocabulary, or bad parameters: CML_ERR_FORMAT. */
cml_status cml_count_load(const cml_gguf *g, cml_count **out);
void cml_count_free(cml_count *m);

/* ---------------------------------------------------------------- TfidfVectorizer */

typedef enum cml_tfidf_norm {
    CML_TFIDF_L2 = 0,
    CML_TFIDF_L1 = 1,
    CML_TFIDF_NONE = 2
} cml_tfidf_norm;

typedef struct cml_tfidf_params {
    cml_count_params count; /* every CountVectorizer parameter */
    int norm;               /* l2|l1|none (sklearn's None): l2 */
    int use_idf;            /* true */
    int smooth_idf;         /* true: idf = ln((1 + n) / (1 + df)) + 1 */
    int sublinear_tf;       /* false: tf -> 1 + ln(tf) */
} cml_tfidf_params;

typedef struct cml_tfidf cml_tfidf;

cml_tfidf_params cml_tfidf_params_default(void);
cml_status cml_tfidf_params_set(cml_tfidf_params *p, const char *key, const char *value);
const char *cml_tfidf_params_check(const cml_tfidf_params *p);
const cml_param_def *cml_tfidf_param_defs(int *n);

/* Same contract as the count functions. The weights: x = count (1 if
 * binary), x -> 1 + ln x if sublinear_tf, x *= idf[j] if use_idf with
 * idf[j] = ln(n / df_j) + 1 (n and df_j plus 1 with smooth_idf), then each
 * row divided by its l2 or l1 norm (rows of zeros stay zero). */
cml_status cml_tfidf_fit(const cml_tfidf_params *p, const char *const *docs, int64_t n,
                         cml_tfidf **out);
cml_status cml_tfidf_fit_transform(const cml_tfidf_params *p, const char *const *docs, int64_t n,
                                   cml_tfidf **out, cml_csr_owned **X);
cml_status cml_tfidf_transform(const cml_tfidf *m, const char *const *docs, int64_t n,
                               cml_csr_owned **X);
int64_t cml_tfidf_n_features(const cml_tfidf *m);
const char *cml_tfidf_feature_name(const cml_tfidf *m, int64_t j);
int64_t cml_tfidf_lookup(const cml_tfidf *m, const char *term, size_t len);
/* idf_ (n_features), or NULL when use_idf is false. */
const double *cml_tfidf_idf(const cml_tfidf *m);
const cml_tfidf_params *cml_tfidf_get_params(const cml_tfidf *m);
/* The underlying fitted CountVectorizer (owned by the model). */
const cml_count *cml_tfidf_counter(const cml_tfidf *m);
/* cml.kind = "tfidf_vectorizer", params, vocabulary and, with use_idf, the
 * tensor "idf" (f64, n_features), under the writer's current scope. */
cml_status cml_tfidf_save(const cml_tfidf *m, cml_gguf_writer *w);
/* Errors as cml_count_load; also an idf of the wrong length or not finite
 * and >= 1: CML_ERR_FORMAT. */
cml_status cml_tfidf_load(const cml_gguf *g, cml_tfidf **out);
void cml_tfidf_free(cml_tfidf *m);

/* Either vectorizer saved under the reader's current scope, by its
 * cml.kind: sets *tfidf or *count (the other stays NULL). Another kind is
 * CML_ERR_FORMAT naming the file. */
cml_status cml_vectorizer_load(const cml_gguf *g, cml_tfidf **tfidf, cml_count **count);

#ifdef __cplusplus
}
#endif
#endif /* CML_TEXT_H */
