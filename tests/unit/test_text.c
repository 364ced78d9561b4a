/*
 * test_text.c — the tokenizer and the text vectorizers beyond the golden
 * comparisons: token order and n-gram rules spelled out by hand, ill-formed
 * UTF-8, iterator reuse, parameter parsing and every error path (messages
 * name the parameter), GGUF save -> load -> transform bit-identical under a
 * scope, corrupt files rejected, and fit and transform independent of the
 * thread count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/text.h"
#include "helpers/golden.h"

/* ---------------------------------------------------------------- helpers */

/* Tokens of text joined by '|' into out. */
static void tokens(const cml_tokenizer_opts *o, const char *text, size_t len, char *out, size_t cap)
{
    cml_tokenizer *t;
    cml_token_iter *it;
    assert_int_equal(cml_tokenizer_create(o, &t), CML_OK);
    assert_int_equal(cml_token_iter_create(t, &it), CML_OK);
    assert_int_equal(cml_token_iter_begin(it, text, len), CML_OK);
    const char *tok;
    size_t n;
    out[0] = '\0';
    size_t used = 0;
    while (cml_token_iter_next(it, &tok, &n)) {
        assert_true(used + n + 2 < cap);
        if (used) out[used++] = '|';
        memcpy(out + used, tok, n);
        used += n;
        out[used] = '\0';
    }
    assert_int_equal(cml_token_iter_next(it, &tok, &n), 0); /* stays at the end */
    cml_token_iter_free(it);
    cml_tokenizer_free(t);
}

#define EXPECT_TOKENS(o, text, want)                                                               \
    do {                                                                                           \
        char got_[1024];                                                                           \
        tokens(o, text, strlen(text), got_, sizeof got_);                                          \
        if (strcmp(got_, want) != 0)                                                               \
            fail_msg("tokens of \"%s\": \"%s\", want \"%s\"", text, got_, want);                   \
    } while (0)

static void expect_err(cml_status st, cml_status want, const char *needle)
{
    assert_int_equal(st, want);
    if (!strstr(cml_last_error(), needle))
        fail_msg("error \"%s\" does not mention \"%s\"", cml_last_error(), needle);
}

static int csr_equal(const cml_csr_owned *a, const cml_csr_owned *b)
{
    return a->rows == b->rows && a->cols == b->cols && a->nnz == b->nnz &&
           !memcmp(a->indptr, b->indptr, (size_t)(a->rows + 1) * 8) &&
           !memcmp(a->indices, b->indices, (size_t)a->nnz * 4) &&
           !memcmp(a->data, b->data, (size_t)a->nnz * 8);
}

static const char *const DOCS[] = {
    "The quick brown fox jumps over the lazy dog.",
    "Never jump over the lazy dog quickly; foxes are QUICK!",
    "Ελληνικά: ΟΔΟΣ και σοφός. Café naïve résumé.",
    "",
    "dog dog dog cat_1 cat_1 42 4",
};
#define NDOCS ((int64_t)(sizeof DOCS / sizeof DOCS[0]))

/* ---------------------------------------------------------------- tokenizer */

static void test_word_tokens(void **state)
{
    (void)state;
    cml_tokenizer_opts o = cml_tokenizer_opts_default();
    EXPECT_TOKENS(&o, "Hello, World! a bb _x_ x2 3.14", "hello|world|bb|_x_|x2|14");
    EXPECT_TOKENS(&o, "", "");
    EXPECT_TOKENS(&o, "a b c !", "");
    o.lowercase = 0;
    EXPECT_TOKENS(&o, "Hello WORLD", "Hello|WORLD");
    o.lowercase = 1;
    /* Unicode: capital sigma is final at a word end, combining marks split words */
    EXPECT_TOKENS(&o, "ΟΔΟΣ ΣΟΦΟΣ Σ", /* final sigma U+03C2 twice; a lone Σ is no token */
                  "\xce\xbf\xce\xb4\xce\xbf\xcf\x82|\xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x82");
    EXPECT_TOKENS(&o, "cafe\xcc\x81s", "cafe");
    o.strip_accents = CML_TEXT_ACCENTS_UNICODE;
    EXPECT_TOKENS(&o, "cafe\xcc\x81s Ångström İstanbul", "cafes|angstrom|istanbul");
    o.strip_accents = CML_TEXT_ACCENTS_ASCII;
    EXPECT_TOKENS(&o, "naïve ﬁne Ωmega 日本", "naive|fine|mega");
    o = cml_tokenizer_opts_default();
    o.stop_words = 1;
    EXPECT_TOKENS(&o, "The cat and THE dog", "cat|dog");
    o.lowercase = 0; /* the list is lowercase: "The" survives, as in sklearn */
    EXPECT_TOKENS(&o, "The cat and the dog", "The|cat|dog");
}

static void test_ngrams(void **state)
{
    (void)state;
    cml_tokenizer_opts o = cml_tokenizer_opts_default();
    o.ngram_max = 2;
    EXPECT_TOKENS(&o, "a1 b2 c3", "a1|b2|c3|a1 b2|b2 c3");
    o.ngram_min = 2;
    o.ngram_max = 3;
    EXPECT_TOKENS(&o, "a1 b2 c3", "a1 b2|b2 c3|a1 b2 c3");
    EXPECT_TOKENS(&o, "a1", "");
    o = cml_tokenizer_opts_default();
    o.stop_words = 1;
    o.ngram_max = 2; /* stop words go before n-grams are built */
    EXPECT_TOKENS(&o, "cats and dogs", "cats|dogs|cats dogs");
}

static void test_char_analyzers(void **state)
{
    (void)state;
    cml_tokenizer_opts o = cml_tokenizer_opts_default();
    o.analyzer = CML_TEXT_CHAR;
    /* runs of >= 2 whitespace become one space; a lone \n stays */
    EXPECT_TOKENS(&o, "a  b\nc", "a| |b|\n|c");
    o.ngram_min = 2;
    o.ngram_max = 3;
    EXPECT_TOKENS(&o, "AbC", "ab|bc|abc");
    o.stop_words = 1; /* ignored for char analyzers, as sklearn */
    EXPECT_TOKENS(&o, "the", "th|he|the");
    o = cml_tokenizer_opts_default();
    o.analyzer = CML_TEXT_CHAR_WB;
    o.ngram_min = 3;
    o.ngram_max = 5;
    /* padded " ab " (4 chars): n=3 twice, n=4 once, then the word is done */
    EXPECT_TOKENS(&o, "ab", " ab|ab | ab ");
    /* " a " shorter than n: itself once */
    EXPECT_TOKENS(&o, "a", " a ");
    EXPECT_TOKENS(&o, "  \t ", "");
    o.ngram_min = o.ngram_max = 2;
    EXPECT_TOKENS(&o, "é\xe2\x80\x83z", " é|é | z|z ");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    cml_tokenizer_opts o = cml_tokenizer_opts_default();
    /* each maximal ill-formed subpart is one U+FFFD, a non-word character */
    EXPECT_TOKENS(&o,
                  "ab\xff"
                  "cd\xe2\x82"
                  "ef\xed\xa0\x80gh\xf4\x90zz\xc3",
                  "ab|cd|ef|gh|zz");
    o.analyzer = CML_TEXT_CHAR;
    EXPECT_TOKENS(&o,
                  "a\xe2\x82"
                  "b\xc0\xaf",
                  "a|\xef\xbf\xbd|b|\xef\xbf\xbd|\xef\xbf\xbd");
    /* embedded NULs through the length-based API: a non-word character */
    char nul[] = {'a', 'b', 0, 'c', 'd'};
    char out[64];
    cml_tokenizer_opts w = cml_tokenizer_opts_default();
    tokens(&w, nul, sizeof nul, out, sizeof out);
    assert_string_equal(out, "ab|cd");
}

static void test_iterator_reuse(void **state)
{
    (void)state;
    cml_tokenizer_opts o = cml_tokenizer_opts_default();
    o.ngram_max = 2;
    cml_tokenizer *t;
    cml_token_iter *it;
    assert_int_equal(cml_tokenizer_create(&o, &t), CML_OK);
    assert_int_equal(cml_token_iter_create(t, &it), CML_OK);
    size_t big = 100000;
    char *text = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        text[i] = (i % 7 == 6) ? ' ' : (char)('a' + i % 5);
    text[big] = '\0';
    const char *tok;
    size_t len;
    int64_t count = 0;
    assert_int_equal(cml_token_iter_begin(it, text, big), CML_OK);
    while (cml_token_iter_next(it, &tok, &len))
        count++;
    int64_t words = 0;
    for (size_t i = 0; i < big; i++)
        words += text[i] != ' ' && (i == 0 || text[i - 1] == ' ');
    assert_int_equal(count, 2 * words - 1);
    assert_int_equal(cml_token_iter_begin(it, "xy zw", 5), CML_OK); /* shorter text after */
    assert_int_equal(cml_token_iter_next(it, &tok, &len), 1);
    assert_true(len == 2 && memcmp(tok, "xy", 2) == 0);
    free(text);
    cml_token_iter_free(it);
    cml_tokenizer_free(t);
    int64_t n;
    const char *const *sw = cml_text_stop_words_english(&n);
    assert_int_equal(n, 318);
    for (int64_t i = 1; i < n; i++)
        assert_true(strcmp(sw[i - 1], sw[i]) < 0);
}

/* ---------------------------------------------------------------- parameters */

static void test_params(void **state)
{
    (void)state;
    cml_count_params p = cml_count_params_default();
    assert_null(cml_count_params_check(&p));
    assert_string_equal(p.ngram_range, "1,1");
    assert_string_equal(p.min_df, "1");
    assert_string_equal(p.max_df, "1.0");
    assert_string_equal(p.max_features, "None");
    assert_int_equal(p.lowercase, 1);
    struct {
        const char *key, *val, *needle;
    } bad[] = {
        {"min_df", "0", "min_df"},
        {"min_df", "1.5", "min_df"},
        {"max_df", "abc", "max_df"},
        {"max_df", "-0.1", "max_df"},
        {"ngram_range", "2,1", "ngram_range"},
        {"ngram_range", "0,1", "ngram_range"},
        {"ngram_range", "1", "ngram_range"},
        {"ngram_range", "1,x", "ngram_range"},
        {"max_features", "0", "max_features"},
        {"max_features", "1.5", "max_features"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cml_count_params q = cml_count_params_default();
        assert_int_equal(cml_count_params_set(&q, bad[i].key, bad[i].val), CML_OK);
        const char *msg = cml_count_params_check(&q);
        assert_non_null(msg);
        if (!strstr(msg, bad[i].needle)) fail_msg("\"%s\" lacks %s", msg, bad[i].needle);
        cml_count *m;
        expect_err(cml_count_fit(&q, DOCS, NDOCS, &m), CML_ERR_ARG, bad[i].needle);
        assert_null(m);
    }
    assert_int_equal(cml_count_params_set(&p, "ngram_range", "(1, 2)"), CML_OK);
    assert_int_equal(cml_count_params_set(&p, "min_df", "0.0"), CML_OK);
    assert_int_equal(cml_count_params_set(&p, "max_df", "3"), CML_OK);
    assert_int_equal(cml_count_params_set(&p, "max_features", "10"), CML_OK);
    assert_null(cml_count_params_check(&p));
    expect_err(cml_count_params_set(&p, "analyzer", "chars"), CML_ERR_ARG, "analyzer");
    expect_err(cml_count_params_set(&p, "token_pattern", "x"), CML_ERR_ARG, "token_pattern");
    cml_tfidf_params t = cml_tfidf_params_default();
    assert_null(cml_tfidf_params_check(&t));
    assert_int_equal(t.norm, CML_TFIDF_L2);
    assert_int_equal(cml_tfidf_params_set(&t, "norm", "none"), CML_OK);
    assert_int_equal(cml_tfidf_params_set(&t, "min_df", "2"), CML_OK);
    assert_string_equal(t.count.min_df, "2");
    expect_err(cml_tfidf_params_set(&t, "norm", "l3"), CML_ERR_ARG, "norm");
    int n;
    assert_non_null(cml_count_param_defs(&n));
    assert_int_equal(n, 9);
    assert_non_null(cml_tfidf_param_defs(&n));
    assert_int_equal(n, 13);
}

static void test_fit_errors(void **state)
{
    (void)state;
    cml_count *m;
    cml_count_params p = cml_count_params_default();
    const char *stop_only[] = {"the and of", "a is it", ""};
    assert_int_equal(cml_count_params_set(&p, "stop_words", "english"), CML_OK);
    expect_err(cml_count_fit(&p, stop_only, 3, &m), CML_ERR_ARG,
               "empty vocabulary; perhaps the documents only contain stop words");
    p = cml_count_params_default();
    const char *empty[] = {"", "!", "a b"};
    expect_err(cml_count_fit(&p, empty, 3, &m), CML_ERR_ARG, "empty vocabulary");
    assert_int_equal(cml_count_params_set(&p, "min_df", "3"), CML_OK);
    assert_int_equal(cml_count_params_set(&p, "max_df", "2"), CML_OK);
    expect_err(cml_count_fit(&p, DOCS, NDOCS, &m), CML_ERR_ARG,
               "max_df corresponds to < documents than min_df");
    p = cml_count_params_default();
    assert_int_equal(cml_count_params_set(&p, "min_df", "2"), CML_OK);
    const char *distinct[] = {"aa bb", "cc dd", "ee"};
    expect_err(cml_count_fit(&p, distinct, 3, &m), CML_ERR_ARG,
               "After pruning, no terms remain. Try a lower min_df or a higher max_df.");
    p = cml_count_params_default();
    const char *with_null[] = {"ok doc", NULL};
    expect_err(cml_count_fit(&p, with_null, 2, &m), CML_ERR_ARG, "document 1 is NULL");
    expect_err(cml_count_fit(&p, DOCS, 0, &m), CML_ERR_ARG, "at least one document");
    cml_tfidf *t;
    cml_tfidf_params tp = cml_tfidf_params_default();
    tp.norm = 7;
    expect_err(cml_tfidf_fit(&tp, DOCS, NDOCS, &t), CML_ERR_ARG, "norm");
    assert_null(t);
}

/* ---------------------------------------------------------------- semantics */

static void test_count_semantics(void **state)
{
    (void)state;
    cml_count_params p = cml_count_params_default();
    cml_count *m;
    cml_csr_owned *X;
    assert_int_equal(cml_count_fit_transform(&p, DOCS, NDOCS, &m, &X), CML_OK);
    /* sorted vocabulary, lookups, out-of-range names */
    int64_t V = cml_count_n_features(m);
    for (int64_t j = 1; j < V; j++)
        assert_true(strcmp(cml_count_feature_name(m, j - 1), cml_count_feature_name(m, j)) < 0);
    assert_null(cml_count_feature_name(m, V));
    assert_null(cml_count_feature_name(m, -1));
    int64_t dog = cml_count_lookup(m, "dog", 3), cat = cml_count_lookup(m, "cat_1", 5);
    assert_true(dog >= 0 && cat >= 0);
    assert_int_equal(cml_count_lookup(m, "4", 1), -1); /* single characters are no tokens */
    assert_int_equal(cml_count_lookup(m, "ΟΔΟΣ", strlen("ΟΔΟΣ")), -1);
    const char *odos = "\xce\xbf\xce\xb4\xce\xbf\xcf\x82"; /* with final sigma */
    assert_true(cml_count_lookup(m, odos, strlen(odos)) >= 0);
    /* row 3 is the empty document; row 4 counts dog 3 times */
    assert_int_equal(X->indptr[4] - X->indptr[3], 0);
    for (int64_t k = X->indptr[4]; k < X->indptr[5]; k++) {
        if (X->indices[k] == dog) assert_true(X->data[k] == 3.0);
        if (X->indices[k] == cat) assert_true(X->data[k] == 2.0);
        if (k > X->indptr[4]) assert_true(X->indices[k] > X->indices[k - 1]);
    }
    /* unknown words are ignored at transform */
    const char *news[] = {"zebra dog DOG unicorn", "nothing known here at all"};
    cml_csr_owned *Y;
    assert_int_equal(cml_count_transform(m, news, 2, &Y), CML_OK);
    assert_int_equal(Y->nnz, 1);
    assert_int_equal(Y->indices[0], dog);
    assert_true(Y->data[0] == 2.0);
    assert_int_equal(Y->indptr[2], 1);
    cml_csr_owned_free(Y);
    cml_csr_owned_free(X);
    cml_count_free(m);

    /* binary, max_features keeps the most frequent */
    assert_int_equal(cml_count_params_set(&p, "binary", "true"), CML_OK);
    assert_int_equal(cml_count_params_set(&p, "max_features", "1"), CML_OK);
    const char *d2[] = {"x1 x1 x1 y2", "y2 z3", "y2"};
    assert_int_equal(cml_count_fit_transform(&p, d2, 3, &m, &X), CML_OK);
    assert_int_equal(cml_count_n_features(m), 1);
    assert_string_equal(cml_count_feature_name(m, 0), "y2"); /* binary: tf = df */
    for (int64_t k = 0; k < X->nnz; k++)
        assert_true(X->data[k] == 1.0);
    cml_csr_owned_free(X);
    cml_count_free(m);
}

static void test_tfidf_semantics(void **state)
{
    (void)state;
    cml_tfidf_params p = cml_tfidf_params_default();
    cml_tfidf *m;
    cml_csr_owned *X;
    const char *d[] = {"aa bb bb", "aa cc", "aa"};
    assert_int_equal(cml_tfidf_fit_transform(&p, d, 3, &m, &X), CML_OK);
    const double *idf = cml_tfidf_idf(m);
    /* smooth: ln(4 / (df + 1)) + 1 */
    assert_true(fabs(idf[0] - 1.0) < 1e-15);
    assert_true(fabs(idf[1] - (log(4.0 / 2.0) + 1.0)) < 1e-15);
    /* l2 rows */
    for (int64_t r = 0; r < X->rows; r++) {
        double s = 0;
        for (int64_t k = X->indptr[r]; k < X->indptr[r + 1]; k++)
            s += X->data[k] * X->data[k];
        assert_true(fabs(s - 1.0) < 1e-15);
    }
    /* a document with no known term stays a zero row (no division by zero) */
    const char *unk[] = {"zz yy"};
    cml_csr_owned *Y;
    assert_int_equal(cml_tfidf_transform(m, unk, 1, &Y), CML_OK);
    assert_int_equal(Y->nnz, 0);
    cml_csr_owned_free(Y);
    cml_csr_owned_free(X);
    cml_tfidf_free(m);
    p.use_idf = 0;
    p.norm = CML_TFIDF_NONE;
    p.sublinear_tf = 1;
    assert_int_equal(cml_tfidf_fit_transform(&p, d, 3, &m, &X), CML_OK);
    assert_null(cml_tfidf_idf(m));
    assert_true(X->data[1] == 1.0 + log(2.0)); /* "bb" twice */
    cml_csr_owned_free(X);
    cml_tfidf_free(m);
}

/* ---------------------------------------------------------------- threads */

static void test_threads(void **state)
{
    (void)state;
    enum { N = 400 };
    const char **docs = malloc(N * sizeof *docs);
    char **owned = malloc(N * sizeof *owned);
    for (int i = 0; i < N; i++) {
        owned[i] = malloc(256);
        snprintf(owned[i], 256, "%s w%d w%d %s", DOCS[i % NDOCS], i % 17, i % 5,
                 DOCS[(i + 2) % NDOCS]);
        docs[i] = owned[i];
    }
    cml_tfidf_params p = cml_tfidf_params_default();
    assert_int_equal(cml_tfidf_params_set(&p, "ngram_range", "1,2"), CML_OK);
    cml_tfidf *m;
    cml_csr_owned *F, *A, *B;
    int saved = cml_get_num_threads();
    assert_int_equal(cml_tfidf_fit_transform(&p, docs, N, &m, &F), CML_OK);
    cml_set_num_threads(1);
    assert_int_equal(cml_tfidf_transform(m, docs, N, &A), CML_OK);
    cml_set_num_threads(3);
    assert_int_equal(cml_tfidf_transform(m, docs, N, &B), CML_OK);
    /* fit counts blocks of >= 64 documents per thread: 1 vs 3 blocks */
    cml_tfidf *m3;
    cml_csr_owned *F3;
    assert_int_equal(cml_tfidf_fit_transform(&p, docs, N, &m3, &F3), CML_OK);
    cml_set_num_threads(1);
    cml_tfidf *m1;
    cml_csr_owned *F1;
    assert_int_equal(cml_tfidf_fit_transform(&p, docs, N, &m1, &F1), CML_OK);
    cml_set_num_threads(saved);
    assert_true(csr_equal(A, B));
    assert_true(csr_equal(A, F));
    assert_true(csr_equal(F1, F3));
    assert_true(csr_equal(F1, F));
    assert_int_equal(cml_tfidf_n_features(m1), cml_tfidf_n_features(m3));
    for (int64_t j = 0; j < cml_tfidf_n_features(m1); j++)
        assert_string_equal(cml_tfidf_feature_name(m1, j), cml_tfidf_feature_name(m3, j));
    assert_memory_equal(cml_tfidf_idf(m1), cml_tfidf_idf(m3),
                        (size_t)cml_tfidf_n_features(m1) * sizeof(double));
    cml_csr_owned_free(F1);
    cml_csr_owned_free(F3);
    cml_tfidf_free(m1);
    cml_tfidf_free(m3);
    cml_csr_owned_free(A);
    cml_csr_owned_free(B);
    cml_csr_owned_free(F);
    cml_tfidf_free(m);
    for (int i = 0; i < N; i++)
        free(owned[i]);
    free(owned);
    free(docs);
}

/* ---------------------------------------------------------------- GGUF */

static cml_gguf *reread(cml_gguf_writer *w, const char *scope)
{
    uint8_t *buf;
    size_t len;
    cml_gguf *g;
    assert_int_equal(cml_gguf_write_mem(w, &buf, &len), CML_OK);
    assert_int_equal(cml_gguf_read_mem(buf, len, "mem.gguf", &g), CML_OK);
    free(buf);
    assert_int_equal(cml_gguf_set_scope(g, scope), CML_OK);
    return g;
}

static void test_save_load(void **state)
{
    (void)state;
    cml_tfidf_params p = cml_tfidf_params_default();
    assert_int_equal(cml_tfidf_params_set(&p, "ngram_range", "1,2"), CML_OK);
    assert_int_equal(cml_tfidf_params_set(&p, "strip_accents", "unicode"), CML_OK);
    assert_int_equal(cml_tfidf_params_set(&p, "sublinear_tf", "true"), CML_OK);
    assert_int_equal(cml_tfidf_params_set(&p, "min_df", "0.2"), CML_OK);
    cml_tfidf *m, *m2;
    assert_int_equal(cml_tfidf_fit(&p, DOCS, NDOCS, &m), CML_OK);
    cml_count_params cp = cml_count_params_default();
    assert_int_equal(cml_count_params_set(&cp, "analyzer", "char_wb"), CML_OK);
    assert_int_equal(cml_count_params_set(&cp, "ngram_range", "2,3"), CML_OK);
    cml_count *c, *c2;
    assert_int_equal(cml_count_fit(&cp, DOCS, NDOCS, &c), CML_OK);

    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_int_equal(cml_gguf_writer_set_scope(w, "text.0."), CML_OK);
    assert_int_equal(cml_tfidf_save(m, w), CML_OK);
    assert_int_equal(cml_gguf_writer_set_scope(w, "text.1."), CML_OK);
    assert_int_equal(cml_count_save(c, w), CML_OK);
    cml_gguf *g = reread(w, "text.0.");
    assert_int_equal(cml_tfidf_load(g, &m2), CML_OK);
    expect_err(cml_count_load(g, &c2), CML_ERR_FORMAT, "tfidf_vectorizer"); /* wrong kind */
    assert_int_equal(cml_gguf_set_scope(g, "text.1."), CML_OK);
    assert_int_equal(cml_count_load(g, &c2), CML_OK);
    cml_gguf_free(g);
    cml_gguf_writer_free(w);

    assert_string_equal(cml_tfidf_get_params(m2)->count.ngram_range, "1,2");
    assert_int_equal(cml_tfidf_get_params(m2)->sublinear_tf, 1);
    assert_int_equal(cml_tfidf_n_features(m2), cml_tfidf_n_features(m));
    assert_memory_equal(cml_tfidf_idf(m2), cml_tfidf_idf(m),
                        (size_t)cml_tfidf_n_features(m) * sizeof(double));
    const char *news[] = {"the lazy fox résumé", "ΟΔΟΣ quick quick dog", ""};
    cml_csr_owned *A, *B;
    assert_int_equal(cml_tfidf_transform(m, news, 3, &A), CML_OK);
    assert_int_equal(cml_tfidf_transform(m2, news, 3, &B), CML_OK);
    assert_true(csr_equal(A, B));
    assert_true(A->nnz > 0);
    cml_csr_owned_free(A);
    cml_csr_owned_free(B);
    assert_int_equal(cml_count_transform(c, news, 3, &A), CML_OK);
    assert_int_equal(cml_count_transform(c2, news, 3, &B), CML_OK);
    assert_true(csr_equal(A, B));
    cml_csr_owned_free(A);
    cml_csr_owned_free(B);
    cml_tfidf_free(m);
    cml_tfidf_free(m2);
    cml_count_free(c);
    cml_count_free(c2);
}

/* Hand-built files with one thing wrong each. */
static void test_corrupt(void **state)
{
    (void)state;
    const char *unsorted[] = {"bb", "aa"}, *dup[] = {"aa", "aa"}, *ok[] = {"aa", "bb"};
    struct {
        const char *kind;
        const char *const *vocab;
        int64_t nv;
        int idf_len; /* -1: none */
        double idf0;
        const char *min_df, *needle;
    } cases[] = {
        {"count_vectorizer", unsorted, 2, -1, 0, "1", "not strictly sorted"},
        {"count_vectorizer", dup, 2, -1, 0, "1", "not strictly sorted"},
        {"count_vectorizer", ok, 0, -1, 0, "1", "vocabulary"},
        {"count_vectorizer", ok, 2, -1, 0, "1.5", "min_df"},
        {"pca", ok, 2, -1, 0, "1", "cml.kind"},
        {"tfidf_vectorizer", ok, 2, -1, 0, "1", "idf"},
        {"tfidf_vectorizer", ok, 2, 3, 1.5, "1", "idf"},
        {"tfidf_vectorizer", ok, 2, 2, 0.5, "1", "idf[0]"},
        {"tfidf_vectorizer", ok, 2, 2, NAN, "1", "idf[0]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cml_gguf_writer *w = cml_gguf_writer_new();
        assert_int_equal(cml_gguf_set_str(w, "cml.kind", cases[i].kind), CML_OK);
        assert_int_equal(cml_gguf_set_str(w, "cml.param.min_df", cases[i].min_df), CML_OK);
        if (cases[i].nv)
            assert_int_equal(
                cml_gguf_set_arr_str(w, "cml.fit.vocabulary", cases[i].vocab, cases[i].nv), CML_OK);
        if (cases[i].idf_len > 0) {
            double idf[3] = {cases[i].idf0, 2.0, 2.0};
            assert_int_equal(cml_gguf_add_f64(w, "idf", idf, 1, cases[i].idf_len), CML_OK);
        }
        cml_gguf *g = reread(w, "");
        cml_status st;
        if (strcmp(cases[i].kind, "tfidf_vectorizer") == 0) {
            cml_tfidf *m;
            st = cml_tfidf_load(g, &m);
            assert_null(m);
        } else {
            cml_count *m;
            st = cml_count_load(g, &m);
            assert_null(m);
        }
        expect_err(st, CML_ERR_FORMAT, cases[i].needle);
        cml_gguf_free(g);
        cml_gguf_writer_free(w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_tokens),     cmocka_unit_test(test_ngrams),
        cmocka_unit_test(test_char_analyzers),  cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_iterator_reuse),  cmocka_unit_test(test_params),
        cmocka_unit_test(test_fit_errors),      cmocka_unit_test(test_count_semantics),
        cmocka_unit_test(test_tfidf_semantics), cmocka_unit_test(test_threads),
        cmocka_unit_test(test_save_load),       cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
