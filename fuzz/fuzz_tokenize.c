/*
 * fuzz_tokenize.c — libFuzzer target for the text tokenizer and the
 * CountVectorizer (src/text/).
 *
 * Bytes 0-1 pick the options (analyzer, lowercase, strip_accents, stop
 * words, ngram_range within 1..3); the rest is the text, arbitrary bytes
 * (ill-formed UTF-8 and NULs included). Beyond "no crash, no leak, no UB",
 * it checks properties:
 *   - every token is non-empty, well-formed UTF-8; word unigrams hold no
 *     space; the iterator stays at its end once exhausted;
 *   - with lowercase and no accent stripping, a word unigram tokenizes to
 *     itself (str.lower() is idempotent and keeps word characters);
 *   - a CountVectorizer fitted on the text cut at newlines either fails
 *     with CML_ERR_ARG or gives strictly sorted feature names that look up
 *     to their own index, ascending columns per row, and transform equal to
 *     fit_transform bit for bit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/text.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_tokenize: property violated: %s\n", what);
        abort();
    }
}

/* Well-formed UTF-8 (Unicode Table 3-7)? */
static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned b = s[i];
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (b < 0x80) {
            i++;
            continue;
        } else if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            if (b == 0xE0) lo = 0xA0;
            if (b == 0xED) hi = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            if (b == 0xF0) lo = 0x90;
            if (b == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n) return 0;
            unsigned c = s[i + k];
            if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return 0;
        }
        i += need + 1;
    }
    return 1;
}

static void tokenize_props(const cml_tokenizer_opts *o, const char *text, size_t len)
{
    cml_tokenizer *t, *t1 = NULL;
    cml_token_iter *it, *it1 = NULL;
    if (cml_tokenizer_create(o, &t) != CML_OK) return;
    if (cml_token_iter_create(t, &it) != CML_OK) {
        cml_tokenizer_free(t);
        return;
    }
    int idem = o->analyzer == CML_TEXT_WORD && o->lowercase && !o->strip_accents;
    if (idem) {
        cml_tokenizer_opts u = cml_tokenizer_opts_default();
        check(cml_tokenizer_create(&u, &t1) == CML_OK, "default tokenizer");
        check(cml_token_iter_create(t1, &it1) == CML_OK, "iterator");
    }
    if (cml_token_iter_begin(it, text, len) == CML_OK) {
        const char *tok;
        size_t n;
        int64_t i = 0;
        while (cml_token_iter_next(it, &tok, &n)) {
            check(n > 0, "empty token");
            check(utf8_ok((const unsigned char *)tok, n), "token is not well-formed UTF-8");
            int unigram = o->ngram_min == 1 && !memchr(tok, ' ', n);
            if (o->analyzer == CML_TEXT_WORD && o->ngram_max == 1)
                check(!memchr(tok, ' ', n), "word unigram with a space");
            if (idem && unigram) {
                const char *t2;
                size_t n2;
                check(cml_token_iter_begin(it1, tok, n) == CML_OK, "re-tokenize");
                check(cml_token_iter_next(it1, &t2, &n2) == 1 && n2 == n && !memcmp(t2, tok, n),
                      "a lowercase word token does not tokenize to itself");
                check(cml_token_iter_next(it1, &t2, &n2) == 0, "a word token splits");
            }
            i++;
        }
        check(cml_token_iter_next(it, &tok, &n) == 0, "iterator restarted after its end");
    }
    cml_token_iter_free(it1);
    cml_tokenizer_free(t1);
    cml_token_iter_free(it);
    cml_tokenizer_free(t);
}

static void vectorizer_props(const cml_tokenizer_opts *o, const char *text, size_t len)
{
    /* documents: the text cut at newlines (and so at NULs, as C strings) */
    char *buf = malloc(len + 1);
    const char *docs[16];
    int64_t nd = 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *p = buf;
    while (nd < 16) {
        docs[nd++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    cml_count_params cp = cml_count_params_default();
    static const char *an[] = {"word", "char", "char_wb"}, *sa[] = {"none", "ascii", "unicode"};
    char ng[16];
    snprintf(ng, sizeof ng, "%d,%d", o->ngram_min, o->ngram_max);
    cml_count_params_set(&cp, "analyzer", an[o->analyzer]);
    cml_count_params_set(&cp, "strip_accents", sa[o->strip_accents]);
    cml_count_params_set(&cp, "stop_words", o->stop_words ? "english" : "none");
    cml_count_params_set(&cp, "lowercase", o->lowercase ? "true" : "false");
    cml_count_params_set(&cp, "ngram_range", ng);
    if (nd > 2) cml_count_params_set(&cp, "max_features", "7");
    cml_count *m;
    cml_csr_owned *X = NULL, *Y = NULL;
    cml_status st = cml_count_fit_transform(&cp, docs, nd, &m, &X);
    if (st != CML_OK) {
        check(st == CML_ERR_ARG && !m && !X, "fit failed other than with CML_ERR_ARG");
        free(buf);
        return;
    }
    int64_t V = cml_count_n_features(m);
    for (int64_t j = 0; j < V; j++) {
        const char *a = cml_count_feature_name(m, j);
        if (j) check(strcmp(cml_count_feature_name(m, j - 1), a) < 0, "names not sorted");
        check(cml_count_lookup(m, a, strlen(a)) == j, "lookup of a name");
    }
    for (int64_t d = 0; d < X->rows; d++)
        for (int64_t k = X->indptr[d] + 1; k < X->indptr[d + 1]; k++)
            check(X->indices[k - 1] < X->indices[k], "columns not ascending");
    check(cml_count_transform(m, docs, nd, &Y) == CML_OK, "transform");
    check(Y->nnz == X->nnz && !memcmp(Y->indptr, X->indptr, (size_t)(nd + 1) * 8) &&
              !memcmp(Y->indices, X->indices, (size_t)X->nnz * 4) &&
              !memcmp(Y->data, X->data, (size_t)X->nnz * 8),
          "transform differs from fit_transform");
    cml_csr_owned_free(X);
    cml_csr_owned_free(Y);
    cml_count_free(m);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    cml_tokenizer_opts o = cml_tokenizer_opts_default();
    o.analyzer = data[0] % 3;
    o.lowercase = (data[0] >> 2) & 1;
    o.strip_accents = ((data[0] >> 3) & 3) % 3;
    o.stop_words = (data[0] >> 5) & 1;
    o.ngram_min = 1 + data[1] % 3;
    o.ngram_max = o.ngram_min + (data[1] >> 2) % 2;
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    tokenize_props(&o, text, len);
    vectorizer_props(&o, text, len);
    return 0;
}
