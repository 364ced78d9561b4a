/*
 * test_rag.c — the pieces above the indexes: chunking spans (fixed windows
 * with overlap, paragraph packing, headings, long paragraphs), rank fusion
 * against hand-computed RRF and weighted scores, the SQLite document store
 * (documents, metadata filters as bitmaps, chunks, info, persistence,
 * unsupported schemes), the CSV and folder corpus readers, and the
 * TF-IDF + SVD embedder (unit norm, save -> load bit-identical).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cml/rag.h"
#include "golden.h"

static void spans_are(const char *text, cml_chunk_opts o, const char *const *want, int64_t nw)
{
    cml_span *s;
    int64_t n;
    assert_int_equal(cml_chunk_text(text, strlen(text), &o, &s, &n), CML_OK);
    if (n != nw) {
        for (int64_t i = 0; i < n; i++)
            fprintf(stderr, "got [%.*s]\n", (int)(s[i].end - s[i].start), text + s[i].start);
    }
    assert_int_equal(n, nw);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(s[i].end - s[i].start, (int64_t)strlen(want[i]));
        assert_memory_equal(text + s[i].start, want[i], strlen(want[i]));
    }
    free(s);
}

static void test_chunk(void **state)
{
    (void)state;
    cml_chunk_opts o = {CML_CHUNK_FIXED, 4, 1};
    const char *t = "a b c d e f g h i j";
    const char *w1[] = {"a b c d", "d e f g", "g h i j"};
    spans_are(t, o, w1, 3);
    o.overlap = 0;
    const char *w2[] = {"a b c d", "e f g h", "i j"};
    spans_are(t, o, w2, 3);
    o = (cml_chunk_opts){CML_CHUNK_FIXED, 3, 2};
    const char *w3[] = {"a b", "b"};
    spans_are("  a b\n", (cml_chunk_opts){CML_CHUNK_FIXED, 3, 2}, w3, 1);
    spans_are("", o, NULL, 0);
    spans_are(" \n\t ", o, NULL, 0);

    /* paragraphs: packed while <= size words; heading starts a chunk; a
     * long paragraph is windowed */
    const char *doc = "p1 w\n\np2 x y\n  \np3\n# Head\nbody of it\n\n"
                      "l1 l2 l3 l4 l5 l6 l7\n\nend";
    o = (cml_chunk_opts){CML_CHUNK_PARAGRAPH, 5, 1};
    const char *w4[] = {"p1 w\n\np2 x y", "p3",       "# Head\nbody of it",
                        "l1 l2 l3 l4 l5", "l5 l6 l7", "end"};
    spans_are(doc, o, w4, 6);

    cml_span *s;
    int64_t n;
    o = (cml_chunk_opts){CML_CHUNK_FIXED, 3, 3};
    assert_int_equal(cml_chunk_text("a", 1, &o, &s, &n), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "overlap"));
    o = (cml_chunk_opts){7, 3, 0};
    assert_int_equal(cml_chunk_text("a", 1, &o, &s, &n), CML_ERR_ARG);
    o = (cml_chunk_opts){CML_CHUNK_FIXED, 0, 0};
    assert_int_equal(cml_chunk_text("a", 1, &o, &s, &n), CML_ERR_ARG);
}

static void test_fuse(void **state)
{
    (void)state;
    int64_t la[] = {10, 20, 30, 20}; /* 20 repeated: first position counts */
    double sa[] = {9.0, 5.0, 1.0, 0.5};
    int64_t lb[] = {30, 40, -1, 10};
    double sb[] = {0.1, 0.3, 0.0, 0.9}; /* distances: lower is better */
    cml_ranked_list L[2] = {{la, sa, 4, 0, 1.0}, {lb, sb, 4, 1, 2.0}};
    int64_t lab[6], nf;
    double sc[6];
    assert_int_equal(cml_fuse(CML_FUSE_RRF, L, 2, 60, 6, lab, sc, &nf), CML_OK);
    assert_int_equal(nf, 4);
    /* 10: 1/61 + 2/63; 20: 1/62; 30: 1/63 + 2/61; 40: 2/62 */
    double w10 = 1 / 61.0 + 2 / 63.0, w20 = 1 / 62.0, w30 = 1 / 63.0 + 2 / 61.0, w40 = 2 / 62.0;
    assert_int_equal(lab[0], 30);
    assert_true(fabs(sc[0] - w30) < 1e-15);
    assert_int_equal(lab[1], 10);
    assert_true(fabs(sc[1] - w10) < 1e-15);
    assert_int_equal(lab[2], 40);
    assert_true(fabs(sc[2] - w40) < 1e-15);
    assert_int_equal(lab[3], 20);
    assert_true(fabs(sc[3] - w20) < 1e-15);
    assert_int_equal(lab[4], -1);
    assert_true(sc[4] == 0);

    assert_int_equal(cml_fuse(CML_FUSE_WEIGHTED, L, 2, 0, 6, lab, sc, &nf), CML_OK);
    /* list a: min 0.5 max 9 -> 10: 1, 20: 4.5/8.5, 30: 0.5/8.5;
     * list b (dist, min 0.1 max 0.9, weight 2): 30: 2, 40: 2*(0.6/0.8), 10: 0 */
    assert_int_equal(nf, 4);
    assert_int_equal(lab[0], 30);
    assert_true(fabs(sc[0] - (0.5 / 8.5 + 2.0)) < 1e-12);
    assert_int_equal(lab[1], 40);
    assert_true(fabs(sc[1] - 2 * (1 - 0.2 / 0.8)) < 1e-12);
    assert_int_equal(lab[2], 10);
    assert_true(fabs(sc[2] - 1.0) < 1e-12);
    assert_int_equal(lab[3], 20);

    /* equal scores in a list: every entry normalizes to 1; ties by label */
    int64_t lc[] = {7, 3};
    double scc[] = {2.0, 2.0};
    cml_ranked_list C = {lc, scc, 2, 0, 1.0};
    assert_int_equal(cml_fuse(CML_FUSE_WEIGHTED, &C, 1, 0, 1, lab, sc, &nf), CML_OK);
    assert_int_equal(lab[0], 3);
    assert_true(sc[0] == 1.0);

    assert_int_equal(cml_fuse(CML_FUSE_RRF, L, 2, 60, 0, lab, sc, &nf), CML_ERR_ARG);
    assert_int_equal(cml_fuse(CML_FUSE_RRF, L, 2, -1, 3, lab, sc, &nf), CML_ERR_ARG);
    assert_int_equal(cml_fuse((cml_fusion)5, L, 2, 60, 3, lab, sc, &nf), CML_ERR_ARG);
    L[1].weight = -1;
    assert_int_equal(cml_fuse(CML_FUSE_RRF, L, 2, 60, 3, lab, sc, &nf), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "weight"));
    assert_int_equal(cml_fuse(CML_FUSE_RRF, NULL, 0, 60, 2, lab, sc, &nf), CML_OK);
    assert_int_equal(nf, 0);
}

static void test_store(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_store_%d.sqlite", (int)getpid());
    unlink(path);
    cml_docstore *s;
    assert_int_equal(cml_docstore_open("postgres://u@h/db", &s), CML_ERR_UNSUPPORTED);
    assert_null(s);
    assert_int_equal(cml_docstore_open(path, &s), CML_OK);
    cml_corpus c = {0};
    const char *m1[] = {"lang", "en", "year", "2020"};
    const char *m2[] = {"lang", "fr", "year", "2020"};
    assert_int_equal(cml_corpus_add(&c, "a.txt", "A", "alpha text. second part", m1, 2), CML_OK);
    assert_int_equal(cml_corpus_add(&c, "b.txt", "B", "beta", m2, 2), CML_OK);
    assert_int_equal(cml_docstore_begin(s), CML_OK);
    int64_t d1, d2, c1, c2, c3;
    assert_int_equal(cml_docstore_add_doc(s, &c.docs[0], &d1), CML_OK);
    assert_int_equal(cml_docstore_add_doc(s, &c.docs[1], &d2), CML_OK);
    assert_int_equal(cml_docstore_add_chunk(s, d1, 0, (cml_span){0, 11}, "alpha text.", -1, &c1),
                     CML_OK);
    assert_int_equal(cml_docstore_add_chunk(s, d1, 1, (cml_span){12, 23}, "second part", 77, &c2),
                     CML_OK);
    assert_int_equal(cml_docstore_add_chunk(s, d2, 0, (cml_span){0, 4}, "beta", -1, &c3), CML_OK);
    assert_int_equal(cml_docstore_add_chunk(s, d2, 1, (cml_span){5, 4}, "x", -1, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_docstore_set_info(s, "embed.dim", "64"), CML_OK);
    assert_int_equal(cml_docstore_commit(s), CML_OK);
    cml_docstore_close(s);

    assert_int_equal(cml_docstore_open(path, &s), CML_OK); /* persisted */
    int64_t nd, nc;
    assert_int_equal(cml_docstore_count(s, &nd, &nc), CML_OK);
    assert_int_equal(nd, 2);
    assert_int_equal(nc, 3);
    cml_chunk_rec r;
    assert_int_equal(cml_docstore_get_chunk(s, c2, &r), CML_OK);
    assert_string_equal(r.text, "second part");
    assert_string_equal(r.source, "a.txt");
    assert_string_equal(r.title, "A");
    assert_int_equal(r.doc_id, d1);
    assert_int_equal(r.vector_id, 77);
    cml_chunk_rec_free(&r);
    assert_int_equal(cml_docstore_get_chunk(s, c3, &r), CML_OK);
    assert_int_equal(r.vector_id, c3);
    cml_chunk_rec_free(&r);
    assert_int_equal(cml_docstore_get_chunk(s, 999, &r), CML_ERR_ARG);
    char *v;
    assert_int_equal(cml_docstore_get_info(s, "embed.dim", &v), CML_OK);
    assert_string_equal(v, "64");
    free(v);
    assert_int_equal(cml_docstore_get_info(s, "nope", &v), CML_OK);
    assert_null(v);

    uint64_t *bm;
    int64_t bits, nm;
    const char *f1[] = {"lang", "en"};
    assert_int_equal(cml_docstore_filter(s, f1, 1, &bm, &bits, &nm), CML_OK);
    assert_int_equal(bits, c3 + 1);
    assert_int_equal(nm, 2);
    assert_true((bm[c1 / 64] >> (c1 % 64)) & 1);
    assert_true((bm[c2 / 64] >> (c2 % 64)) & 1);
    assert_false((bm[c3 / 64] >> (c3 % 64)) & 1);
    free(bm);
    const char *f2[] = {"year", "2020", "lang", "fr"};
    assert_int_equal(cml_docstore_filter(s, f2, 2, &bm, &bits, &nm), CML_OK);
    assert_int_equal(nm, 1);
    assert_true((bm[c3 / 64] >> (c3 % 64)) & 1);
    free(bm);
    const char *f3[] = {"year", "1999"};
    assert_int_equal(cml_docstore_filter(s, f3, 1, &bm, &bits, &nm), CML_OK);
    assert_int_equal(nm, 0);
    free(bm);
    cml_docstore_close(s);
    cml_corpus_free(&c);
    unlink(path);
}

static void test_corpus(void **state)
{
    (void)state;
    char dir[64], p[128];
    snprintf(dir, sizeof dir, "/tmp/cml_test_corpus_%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/sub", dir);
    mkdir(p, 0700);
    const char *files[][2] = {{"b.txt", "plain b"},
                              {"a.html", "<h1>T</h1><p>x &amp; y</p><h2>S?</h2>z"},
                              {"sub/c.md", "# md"},
                              {".hidden", "no"}};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i][0]);
        FILE *f = fopen(p, "w");
        fputs(files[i][1], f);
        fclose(f);
    }
    cml_corpus c;
    assert_int_equal(cml_corpus_from_dir(dir, 1, &c), CML_OK);
    assert_int_equal(c.n, 4); /* a.html: 2 sections (empty preamble dropped), b.txt, sub/c.md */
    assert_string_equal(c.docs[0].source, "a.html");
    assert_string_equal(c.docs[0].title, "T");
    assert_string_equal(c.docs[0].text, " x & y ");
    assert_string_equal(c.docs[1].title, "S?");
    assert_string_equal(c.docs[2].source, "b.txt");
    assert_string_equal(c.docs[3].source, "sub/c.md");
    assert_string_equal(c.docs[3].meta[4], "ext");
    assert_string_equal(c.docs[3].meta[5], "md");
    cml_corpus_free(&c);
    assert_int_equal(cml_corpus_from_dir(dir, 0, &c), CML_OK);
    assert_int_equal(c.n, 3);
    cml_corpus_free(&c);
    assert_int_equal(cml_corpus_from_dir("/nonexistent/dir", 0, &c), CML_ERR_IO);

    snprintf(p, sizeof p, "%s/t.csv", dir);
    FILE *f = fopen(p, "w");
    fputs("id,body,lang\n1,\"hello, world\",en\n2,bonjour,fr\n3,,en\n", f);
    fclose(f);
    assert_int_equal(cml_corpus_from_csv(p, "body", &c), CML_OK);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.docs[0].text, "hello, world");
    assert_string_equal(c.docs[2].text, "");
    assert_int_equal(c.docs[1].n_meta, 2);
    assert_string_equal(c.docs[1].meta[0], "id");
    assert_string_equal(c.docs[1].meta[1], "2");
    assert_string_equal(c.docs[1].meta[3], "fr");
    assert_string_equal(c.docs[0].source, "t.csv:1");
    cml_corpus_free(&c);
    assert_int_equal(cml_corpus_from_csv(p, "text", &c), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "body"));
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_embedder(void **state)
{
    (void)state;
    const char *docs[] = {"the cat sat on the mat",        "dogs chase cats in the park",
                          "python lists and dictionaries", "a python dictionary maps keys",
                          "cats and dogs are pets",        "sort a list in python"};
    cml_text_embedder *e;
    assert_int_equal(cml_text_embedder_fit(docs, 1, 4, 0, &e), CML_ERR_ARG);
    assert_int_equal(cml_text_embedder_fit(docs, 6, 100, 0, &e), CML_OK);
    int64_t d = cml_text_embedder_dim(e);
    assert_int_equal(d, 5); /* clipped to n - 1 */
    float *z = malloc(6 * (size_t)d * sizeof *z), *z2 = malloc(6 * (size_t)d * sizeof *z2);
    assert_int_equal(cml_text_embed(e, docs, 6, z), CML_OK);
    for (int i = 0; i < 6; i++) {
        double nn = 0;
        for (int64_t c = 0; c < d; c++)
            nn += (double)z[i * d + c] * z[i * d + c];
        assert_true(fabs(nn - 1) < 1e-5);
    }
    /* topic structure: python docs closer to each other than to pets */
    double s23 = 0, s24 = 0;
    for (int64_t c = 0; c < d; c++) {
        s23 += (double)z[2 * d + c] * z[3 * d + c];
        s24 += (double)z[2 * d + c] * z[4 * d + c];
    }
    assert_true(s23 > s24);
    const char *none[] = {"zzzz qqqq"};
    assert_int_equal(cml_text_embed(e, none, 1, z2), CML_OK);
    for (int64_t c = 0; c < d; c++)
        assert_true(z2[c] == 0.0f);
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_embed_%d.gguf", (int)getpid());
    assert_int_equal(cml_text_embedder_save(e, path), CML_OK);
    cml_text_embedder *e2;
    assert_int_equal(cml_text_embedder_load(path, &e2), CML_OK);
    assert_int_equal(cml_text_embed(e2, docs, 6, z2), CML_OK);
    assert_memory_equal(z, z2, 6 * (size_t)d * sizeof *z);
    cml_text_embedder_free(e2);
    assert_int_equal(cml_text_embedder_load("golden/bm25_faq.txt", &e2), CML_ERR_FORMAT);
    unlink(path);
    free(z);
    free(z2);
    cml_text_embedder_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk),    cmocka_unit_test(test_fuse),
        cmocka_unit_test(test_store),    cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_embedder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
