/*
 * test_bm25.c — the BM25 index beyond the golden corpus: top-k (auto, WAND
 * and term-at-a-time strategies) equals exhaustive scoring on a synthetic Zipf corpus with long
 * (many-block) postings, for several k, with bitmap and predicate filters, and after incremental
 * adds; labels; empty index; parameter and argument errors; save -> load identical; every
 * truncation and byte flip of a saved file rejected with CML_ERR_FORMAT (or, when the flip is
 * harmless, a working index) and never a crash; the HTML-to-text rule on edge cases.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/index.h"
#include "cml/rag.h"
#include "golden.h"

#define NDOC 3000

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Documents of 5..80 words over a 400-word vocabulary with a Zipf-like
 * skew (word w drawn as floor(400 u^3)), so frequent terms have postings
 * spanning many 128-entry blocks. */
static char **make_docs(int64_t n, uint64_t seed)
{
    char **d = malloc((size_t)n * sizeof *d);
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        int len = 5 + (int)(lcg(&s) % 76);
        d[i] = malloc((size_t)len * 8 + 1);
        char *p = d[i];
        for (int j = 0; j < len; j++) {
            double u = (double)(lcg(&s) % 1000000) / 1e6;
            p += sprintf(p, "w%d ", (int)(400 * u * u * u));
        }
        *p = 0;
    }
    return d;
}

static void free_docs(char **d, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        free(d[i]);
    free(d);
}

typedef struct ranked {
    double s;
    int64_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int allow_mod(int64_t label, void *user)
{
    return label % *(int *)user == 0;
}

/* WAND top-k against the exhaustive ranking (bit-identical scores). */
static void check_topk(const cml_bm25 *b, const char *q, int64_t k, const cml_hnsw_filter *f,
                       const unsigned char *allowed)
{
    int64_t n = cml_bm25_n_docs(b);
    double *s = malloc((size_t)n * sizeof *s);
    ranked *r = malloc((size_t)n * sizeof *r);
    int64_t *lab = malloc((size_t)k * sizeof *lab);
    double *sc = malloc((size_t)k * sizeof *sc);
    assert_int_equal(cml_bm25_score_all(b, q, strlen(q), s), CML_OK);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (s[i] > 0 && (!allowed || allowed[i])) r[m++] = (ranked){s[i], i};
    qsort(r, (size_t)m, sizeof *r, cmp_ranked);
    for (int strategy = 0; strategy < 3; strategy++) {
        int64_t nf = -1;
        cml_status st = strategy == 0   ? cml_bm25_search(b, q, strlen(q), k, f, lab, sc, &nf)
                        : strategy == 1 ? cml_bm25_search_wand(b, q, strlen(q), k, f, lab, sc, &nf)
                                        : cml_bm25_search_taat(b, q, strlen(q), k, f, lab, sc, &nf);
        assert_int_equal(st, CML_OK);
        assert_int_equal(nf, m < k ? m : k);
        for (int64_t j = 0; j < k; j++) {
            if (j < m) {
                assert_int_equal(lab[j], cml_bm25_doc_label(b, r[j].i));
                assert_true(sc[j] == r[j].s);
            } else {
                assert_int_equal(lab[j], -1);
            }
        }
    }
    free(s);
    free(r);
    free(lab);
    free(sc);
}

static void test_wand_exact(void **state)
{
    (void)state;
    char **docs = make_docs(NDOC, 7);
    char **qs = make_docs(60, 99);
    cml_bm25_params p = cml_bm25_params_default();
    cml_bm25 *b;
    assert_int_equal(cml_bm25_create(&p, &b), CML_OK);
    /* incremental: three batches */
    assert_int_equal(cml_bm25_add(b, (const char *const *)docs, NULL, 1000, NULL), CML_OK);
    assert_int_equal(cml_bm25_add(b, (const char *const *)docs + 1000, NULL, 1, NULL), CML_OK);
    assert_int_equal(cml_bm25_add(b, (const char *const *)docs + 1001, NULL, NDOC - 1001, NULL),
                     CML_OK);
    assert_int_equal(cml_bm25_n_docs(b), NDOC);
    assert_true(cml_bm25_df(b, "w0", 2) > 1000); /* many blocks */

    unsigned char *allowed = malloc(NDOC);
    uint64_t bits[(NDOC + 63) / 64];
    memset(bits, 0, sizeof bits);
    for (int64_t i = 0; i < NDOC; i++) {
        allowed[i] = i % 10 == 3;
        if (allowed[i]) bits[i / 64] |= 1ULL << (i % 64);
    }
    cml_hnsw_filter fb = {NULL, NULL, bits, NDOC};
    int mod = 7;
    unsigned char *allowed7 = malloc(NDOC);
    for (int64_t i = 0; i < NDOC; i++)
        allowed7[i] = i % 7 == 0;
    cml_hnsw_filter fp = {allow_mod, &mod, NULL, 0};
    for (int qi = 0; qi < 60; qi++) {
        /* short queries: the first 2..6 words */
        char q[64];
        int words = 2 + qi % 5, w = 0;
        size_t L = 0;
        for (const char *c = qs[qi]; *c && L < sizeof q - 1; c++) {
            if (*c == ' ' && ++w == words) break;
            q[L++] = *c;
        }
        q[L] = 0;
        check_topk(b, q, 1, NULL, NULL);
        check_topk(b, q, 10, NULL, NULL);
        check_topk(b, q, 100, NULL, NULL);
        check_topk(b, q, 10, &fb, allowed);
        check_topk(b, q, 10, &fp, allowed7);
    }
    /* the same index built in one batch scores identically */
    cml_bm25 *b1;
    assert_int_equal(cml_bm25_create(&p, &b1), CML_OK);
    assert_int_equal(cml_bm25_add(b1, (const char *const *)docs, NULL, NDOC, NULL), CML_OK);
    double *s0 = malloc(NDOC * sizeof *s0), *s1 = malloc(NDOC * sizeof *s1);
    assert_int_equal(cml_bm25_score_all(b, qs[0], strlen(qs[0]), s0), CML_OK);
    assert_int_equal(cml_bm25_score_all(b1, qs[0], strlen(qs[0]), s1), CML_OK);
    assert_memory_equal(s0, s1, NDOC * sizeof *s0);
    /* no query term known: nothing found */
    int64_t lab[3], nf;
    double sc[3];
    assert_int_equal(cml_bm25_search(b, "zz yy", 5, 3, NULL, lab, sc, &nf), CML_OK);
    assert_int_equal(nf, 0);
    assert_int_equal(lab[0], -1);
    free(s0);
    free(s1);
    free(allowed);
    free(allowed7);
    cml_bm25_free(b1);
    cml_bm25_free(b);
    free_docs(docs, NDOC);
    free_docs(qs, 60);
}

static void test_labels_empty_errors(void **state)
{
    (void)state;
    cml_bm25_params p = cml_bm25_params_default();
    cml_bm25 *b = NULL;
    p.k1 = -1;
    assert_int_equal(cml_bm25_create(&p, &b), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "k1"));
    p = cml_bm25_params_default();
    p.b = 1.5;
    assert_int_equal(cml_bm25_create(&p, &b), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "b must"));
    p = cml_bm25_params_default();
    p.delta = NAN;
    assert_int_equal(cml_bm25_create(&p, &b), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "delta"));
    p = cml_bm25_params_default();
    p.tok.ngram_min = 3;
    p.tok.ngram_max = 2;
    assert_int_equal(cml_bm25_create(&p, &b), CML_ERR_ARG);
    assert_null(b);

    p = cml_bm25_params_default();
    assert_int_equal(cml_bm25_create(&p, &b), CML_OK);
    int64_t lab[4], nf;
    double sc[4];
    assert_int_equal(cml_bm25_search(b, "x", 1, 0, NULL, lab, sc, &nf), CML_ERR_ARG);
    assert_int_equal(cml_bm25_search(b, "hello", 5, 4, NULL, lab, sc, &nf), CML_OK);
    assert_int_equal(nf, 0);
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_bm25_%d.gguf", (int)getpid());
    assert_int_equal(cml_bm25_save(b, path), CML_OK); /* empty index round-trips */
    cml_bm25 *e;
    assert_int_equal(cml_bm25_load(path, &e), CML_OK);
    assert_int_equal(cml_bm25_n_docs(e), 0);
    cml_bm25_free(e);

    const char *docs[] = {"the cat sat on the mat", "dogs and cats", "", "Cat CAT cat"};
    int64_t labels[] = {100, 200, 300, 400};
    assert_int_equal(cml_bm25_add(b, docs, NULL, 4, labels), CML_OK);
    assert_int_equal(cml_bm25_search(b, "cat", 3, 4, NULL, lab, sc, &nf), CML_OK);
    assert_int_equal(nf, 2); /* "cats" is another term */
    assert_int_equal(lab[0], 400);
    assert_int_equal(lab[1], 100);
    assert_int_equal(lab[2], -1);
    assert_int_equal(cml_bm25_doc_len(b, 2), 0);
    assert_int_equal(cml_bm25_doc_len(b, 9), -1);
    assert_true(fabs(cml_bm25_avgdl(b) - (6 + 3 + 0 + 3) / 4.0) < 1e-15);
    /* hand check of doc 400: tf 3, |d| 3, N 4, df 2 */
    double idf = log(1 + (4 - 2 + 0.5) / (2 + 0.5));
    double want = idf * 3 * 2.2 / (3 + 1.2 * (0.25 + 0.75 * 3 / 3.0));
    assert_true(fabs(sc[0] - want) < 1e-12);
    unlink(path);
    cml_bm25_free(b);
}

static void test_save_corrupt(void **state)
{
    (void)state;
    char **docs = make_docs(300, 3);
    cml_bm25_params p = cml_bm25_params_default();
    p.delta = 0.25;
    p.tok.stop_words = 1;
    cml_bm25 *b;
    assert_int_equal(cml_bm25_create(&p, &b), CML_OK);
    assert_int_equal(cml_bm25_add(b, (const char *const *)docs, NULL, 300, NULL), CML_OK);
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_bm25c_%d.gguf", (int)getpid());
    assert_int_equal(cml_bm25_save(b, path), CML_OK);
    cml_bm25 *b2;
    assert_int_equal(cml_bm25_load(path, &b2), CML_OK);
    cml_bm25_params p2 = cml_bm25_get_params(b2);
    assert_true(p2.delta == 0.25 && p2.tok.stop_words == 1);
    double s0[300], s1[300];
    assert_int_equal(cml_bm25_score_all(b, docs[5], strlen(docs[5]), s0), CML_OK);
    assert_int_equal(cml_bm25_score_all(b2, docs[5], strlen(docs[5]), s1), CML_OK);
    assert_memory_equal(s0, s1, sizeof s0);
    cml_bm25_free(b2);

    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(len);
    assert_int_equal(fread(buf, 1, len, f), len);
    fclose(f);
    /* truncations */
    for (size_t L = 0; L < len; L += 1 + L / 16) {
        cml_status st = cml_bm25_load_mem(buf, L, "trunc", &b2);
        assert_int_equal(st, CML_ERR_FORMAT);
        assert_null(b2);
    }
    /* byte flips: the CRC catches payload flips; header flips are
     * validated; either way no crash and no half-built index */
    int ok = 0;
    for (size_t i = 0; i < len; i += 1 + i / 64) {
        buf[i] ^= 0x5A;
        cml_status st = cml_bm25_load_mem(buf, len, "flip", &b2);
        if (st == CML_OK) {
            ok++;
            assert_int_equal(cml_bm25_score_all(b2, docs[1], strlen(docs[1]), s1), CML_OK);
            cml_bm25_free(b2);
        } else {
            assert_true(st == CML_ERR_FORMAT || st == CML_ERR_VERSION || st == CML_ERR_NOMEM ||
                        st == CML_ERR_UNSUPPORTED);
        }
        buf[i] ^= 0x5A;
    }
    (void)ok;
    /* another kind of file */
    assert_int_equal(cml_bm25_load("golden/bm25_faq.txt", &b2), CML_ERR_FORMAT);
    free(buf);
    unlink(path);
    cml_bm25_free(b);
    free_docs(docs, 300);
}

static void html_is(const char *in, const char *want)
{
    char *t;
    size_t n;
    assert_int_equal(cml_html_to_text(in, strlen(in), &t, &n), CML_OK);
    assert_string_equal(t, want);
    assert_int_equal(n, strlen(want));
    free(t);
}

static void test_html(void **state)
{
    (void)state;
    html_is("<p>a<b>b</b>c</p>", " a b c ");
    html_is("x<!-- <p>hidden</p> -->y", "xy");
    html_is("x<!-- unterminated", "x");
    html_is("a<SCRIPT type=x>if (a<b) f();</script >b", "ab");
    html_is("a<style>p{}</STYLE>b<scripts>c", "ab c");
    html_is("a<script>never closed", "a never closed");
    html_is("1 < 2 and no tag", "1 < 2 and no tag");
    html_is("&lt;b&gt; &amp;amp; &quot;&apos;&#39;&#x41;&#X42;", "<b> &amp; \"''AB");
    html_is("&nbsp;&#233;&#x1F600;", "\xC2\xA0\xC3\xA9\xF0\x9F\x98\x80");
    html_is("&#0; &#xD800; &#1114112; &#99999999999999999999; &bogus; &#; &#x; &amp",
            "&#0; &#xD800; &#1114112; &#99999999999999999999; &bogus; &#; &#x; &amp");
    cml_html_section *s;
    int64_t n;
    const char *h = "pre<h1 id=a>Title<a>&para;</a></h1>intro<h2>Q1?</H2>ans<h3x>no</h3x><h7>x</h7>"
                    "<h2>unclosed";
    assert_int_equal(cml_html_sections(h, strlen(h), &s, &n), CML_OK);
    assert_int_equal(n, 3);
    assert_int_equal(s[0].level, 0);
    assert_string_equal(s[0].body, "pre");
    assert_int_equal(s[1].level, 1);
    assert_string_equal(s[1].heading, "Title &para; ");
    assert_string_equal(s[1].body, "intro");
    assert_int_equal(s[2].level, 2);
    assert_string_equal(s[2].heading, "Q1?");
    assert_string_equal(s[2].body, "ans no  x  unclosed");
    cml_html_sections_free(s, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wand_exact),
        cmocka_unit_test(test_labels_empty_errors),
        cmocka_unit_test(test_save_corrupt),
        cmocka_unit_test(test_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
