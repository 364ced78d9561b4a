/*
 * test_golden_bm25.c — BM25 on the Python FAQ (Debian python3.11-doc)
 * against tests/gen/gen_bm25.py, the textbook formula in Python on the same
 * text (HTML cut at headings and stripped by the rule of cml_html_to_text,
 * restated with Python's re; tokens from sklearn's analyzer):
 *   - every document's token count equals Python's (the HTML rule and the
 *     tokenizer agree on the whole corpus);
 *   - exhaustive scores (cml_bm25_score_all) of every 3rd question against
 *     all 175 answers within 1e-9, for k1=1.2 b=0.75 and for k1=0.9 b=0.4
 *     delta=0.5 (BM25+);
 *   - WAND top-10 (cml_bm25_search) of every question equals Python's
 *     ranking (score descending, index ascending), and equals the
 *     exhaustive top-10 bit for bit;
 *   - the same after save -> load;
 * and retrieval quality on the FAQ's question -> answer pairs (each
 * question's own answer is its one relevant document): recall@1,
 * recall@10 and MRR@10 of BM25, dense (TF-IDF + TruncatedSVD embeddings,
 * exact cosine search) and hybrid (RRF and weighted fusion of the two
 * top-100 lists), printed and checked against floors set below the
 * measured values.
 * Skips (77) when the FAQ folder is absent (scripts/deps installs it).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cml/index.h"
#include "cml/rag.h"
#include "golden.h"

#define FAQ "/usr/share/doc/python3.11/html/faq"

typedef struct faq {
    cml_corpus c;
    const char **q, **a; /* (n) questions, answers */
    int64_t n;
} faq;

/* The FAQ entries: sections whose heading, without trailing whitespace
 * and pilcrows (U+00B6, C2 B6), ends with '?'. */
static faq load_faq(void)
{
    faq f = {0};
    assert_int_equal(cml_corpus_from_dir(FAQ, 1, &f.c), CML_OK);
    f.q = malloc((size_t)f.c.n * sizeof *f.q);
    f.a = malloc((size_t)f.c.n * sizeof *f.a);
    for (int64_t i = 0; i < f.c.n; i++) {
        const char *h = f.c.docs[i].title;
        size_t L = strlen(h);
        for (;;) {
            if (L && strchr(" \t\n\r\f\v", h[L - 1]))
                L--;
            else if (L >= 2 && (unsigned char)h[L - 2] == 0xC2 && (unsigned char)h[L - 1] == 0xB6)
                L -= 2;
            else
                break;
        }
        if (L && h[L - 1] == '?') {
            f.q[f.n] = h;
            f.a[f.n++] = f.c.docs[i].text;
        }
    }
    return f;
}

static void faq_free(faq *f)
{
    free(f->q);
    free(f->a);
    cml_corpus_free(&f->c);
}

static void check_index(const cml_bm25 *b, const faq *f, const golden *g, const char *what)
{
    int64_t rows, cols;
    const double *dl = golden_get(g, "doc_len", &rows, &cols);
    assert_int_equal(cols, f->n);
    assert_int_equal(cml_bm25_n_docs(b), f->n);
    for (int64_t i = 0; i < f->n; i++)
        assert_int_equal(cml_bm25_doc_len(b, i), (int64_t)dl[i]);

    const double *sub = golden_get(g, "rows", NULL, &rows);
    const double *S = golden_get(g, "scores", NULL, NULL);
    double *s = malloc((size_t)f->n * sizeof *s);
    double maxd = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t qi = (int64_t)sub[r];
        assert_int_equal(cml_bm25_score_all(b, f->q[qi], strlen(f->q[qi]), s), CML_OK);
        for (int64_t j = 0; j < f->n; j++)
            maxd = fmax(maxd, fabs(s[j] - S[r * f->n + j]));
        assert_close(s, S + r * f->n, f->n, 0, 1e-9, what);
    }
    printf("%s: max |cml - textbook| over %lld x %lld scores: %.3g\n", what, (long long)rows,
           (long long)f->n, maxd);

    /* top-10 of every question: WAND vs Python and vs exhaustive */
    const double *top = golden_get(g, "top10", &rows, &cols);
    assert_int_equal(rows, f->n);
    int64_t lab[10];
    double sc[10];
    for (int64_t qi = 0; qi < f->n; qi++) {
        int64_t nf;
        assert_int_equal(cml_bm25_score_all(b, f->q[qi], strlen(f->q[qi]), s), CML_OK);
        int64_t lw[10];
        double sw[10];
        assert_int_equal(cml_bm25_search(b, f->q[qi], strlen(f->q[qi]), 10, NULL, lab, sc, &nf),
                         CML_OK);
        assert_int_equal(
            cml_bm25_search_wand(b, f->q[qi], strlen(f->q[qi]), 10, NULL, lw, sw, NULL), CML_OK);
        assert_memory_equal(lw, lab, sizeof lw);
        assert_memory_equal(sw, sc, sizeof sw);
        for (int64_t j = 0; j < 10; j++) {
            int64_t want = (int64_t)top[qi * 10 + j];
            if (want < 0) {
                assert_int_equal(lab[j], -1);
                assert_true(j >= nf);
                continue;
            }
            /* Python sums in another order: a near-tie may swap; then the
             * scores must agree */
            if (lab[j] != want) assert_true(fabs(s[lab[j]] - s[want]) < 1e-9);
            assert_true(sc[j] == s[lab[j]]); /* bit-identical to exhaustive */
        }
    }
    free(s);
}

static void test_faq_golden(void **state)
{
    (void)state;
    faq f = load_faq();
    assert_int_equal(f.n, 175);
    golden *g = golden_load("golden/bm25_faq.txt");
    cml_bm25_params p = cml_bm25_params_default();
    cml_bm25 *b;
    assert_int_equal(cml_bm25_create(&p, &b), CML_OK);
    assert_int_equal(cml_bm25_add(b, f.a, NULL, f.n, NULL), CML_OK);
    check_index(b, &f, g, "bm25 k1=1.2 b=0.75");

    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_bm25_golden_%d.gguf", (int)getpid());
    assert_int_equal(cml_bm25_save(b, path), CML_OK);
    cml_bm25 *b2;
    assert_int_equal(cml_bm25_load(path, &b2), CML_OK);
    check_index(b2, &f, g, "bm25 after save/load");
    struct stat sb;
    stat(path, &sb);
    printf("index: %lld docs, %lld terms, %lld postings in %lld bytes (file %lld bytes)\n",
           (long long)cml_bm25_n_docs(b), (long long)cml_bm25_n_terms(b),
           (long long)cml_bm25_n_postings(b), (long long)cml_bm25_postings_bytes(b),
           (long long)sb.st_size);
    unlink(path);
    cml_bm25_free(b2);
    cml_bm25_free(b);

    /* BM25+ with other k1, b */
    p.k1 = 0.9;
    p.b = 0.4;
    p.delta = 0.5;
    assert_int_equal(cml_bm25_create(&p, &b), CML_OK);
    assert_int_equal(cml_bm25_add(b, f.a, NULL, f.n, NULL), CML_OK);
    int64_t rows;
    const double *sub = golden_get(g, "rows2", NULL, &rows);
    const double *S = golden_get(g, "scores2", NULL, NULL);
    double *s = malloc((size_t)f.n * sizeof *s);
    for (int64_t r = 0; r < rows; r++) {
        int64_t qi = (int64_t)sub[r];
        assert_int_equal(cml_bm25_score_all(b, f.q[qi], strlen(f.q[qi]), s), CML_OK);
        assert_close(s, S + r * f.n, f.n, 0, 1e-9, "bm25+ k1=0.9 b=0.4 delta=0.5");
    }
    free(s);
    cml_bm25_free(b);
    golden_free(g);
    faq_free(&f);
}

typedef struct quality {
    double r1, r10, mrr;
} quality;

/* ranks (nq, 100) labels = document index; question i's answer is doc i */
static quality measure(const int64_t *ranked, int64_t nq, int64_t depth)
{
    quality q = {0, 0, 0};
    for (int64_t i = 0; i < nq; i++)
        for (int64_t j = 0; j < depth && j < 10; j++)
            if (ranked[i * depth + j] == i) {
                q.r1 += j == 0;
                q.r10 += 1;
                q.mrr += 1.0 / (double)(j + 1);
            }
    q.r1 /= (double)nq;
    q.r10 /= (double)nq;
    q.mrr /= (double)nq;
    return q;
}

#define DEPTH 100

static void test_faq_quality(void **state)
{
    (void)state;
    faq f = load_faq();
    int64_t n = f.n;
    int64_t *lb = malloc((size_t)(n * DEPTH) * sizeof *lb),
            *ld = malloc((size_t)(n * DEPTH) * sizeof *ld);
    int64_t *lh = malloc((size_t)(n * DEPTH) * sizeof *lh),
            *lw = malloc((size_t)(n * DEPTH) * sizeof *lw);
    double *sb = malloc((size_t)(n * DEPTH) * sizeof *sb),
           *sh = malloc((size_t)(n * DEPTH) * sizeof *sh);
    float *dd = malloc((size_t)(n * DEPTH) * sizeof *dd);

    /* sparse */
    cml_bm25_params p = cml_bm25_params_default();
    cml_bm25 *b;
    assert_int_equal(cml_bm25_create(&p, &b), CML_OK);
    assert_int_equal(cml_bm25_add(b, f.a, NULL, n, NULL), CML_OK);
    for (int64_t i = 0; i < n; i++)
        assert_int_equal(cml_bm25_search(b, f.q[i], strlen(f.q[i]), DEPTH, NULL, lb + i * DEPTH,
                                         sb + i * DEPTH, NULL),
                         CML_OK);

    /* dense: LSA embeddings of the answers, questions embedded alike */
    cml_text_embedder *e;
    assert_int_equal(cml_text_embedder_fit(f.a, n, 128, 0, &e), CML_OK);
    int64_t dim = cml_text_embedder_dim(e);
    float *A = malloc((size_t)(n * dim) * sizeof *A), *Q = malloc((size_t)(n * dim) * sizeof *Q);
    assert_int_equal(cml_text_embed(e, f.a, n, A), CML_OK);
    assert_int_equal(cml_text_embed(e, f.q, n, Q), CML_OK);
    /* exact cosine search: at 175 documents it is the right tool, and it
     * keeps these numbers independent of the graph (see test_hnsw for HNSW
     * recall against exact search) */
    assert_int_equal(
        cml_index_exact_search(CML_METRIC_COSINE, A, n, dim, NULL, Q, n, DEPTH, ld, dd), CML_OK);

    /* hybrid */
    for (int64_t i = 0; i < n; i++) {
        double dsc[DEPTH];
        for (int j = 0; j < DEPTH; j++)
            dsc[j] = dd[i * DEPTH + j];
        cml_ranked_list L[2] = {{lb + i * DEPTH, sb + i * DEPTH, DEPTH, 0, 1.0},
                                {ld + i * DEPTH, dsc, DEPTH, 1, 1.0}};
        assert_int_equal(
            cml_fuse(CML_FUSE_RRF, L, 2, 60, DEPTH, lh + i * DEPTH, sh + i * DEPTH, NULL), CML_OK);
        assert_int_equal(
            cml_fuse(CML_FUSE_WEIGHTED, L, 2, 0, DEPTH, lw + i * DEPTH, sh + i * DEPTH, NULL),
            CML_OK);
    }
    quality qb = measure(lb, n, DEPTH), qd = measure(ld, n, DEPTH), qh = measure(lh, n, DEPTH),
            qw = measure(lw, n, DEPTH);
    printf("Python FAQ, %lld question -> answer pairs:\n", (long long)n);
    printf("  %-34s recall@1 %.3f  recall@10 %.3f  MRR@10 %.3f\n", "BM25 (k1=1.2, b=0.75)", qb.r1,
           qb.r10, qb.mrr);
    printf("  %-34s recall@1 %.3f  recall@10 %.3f  MRR@10 %.3f\n",
           "dense (LSA 128-d, exact cosine)", qd.r1, qd.r10, qd.mrr);
    printf("  %-34s recall@1 %.3f  recall@10 %.3f  MRR@10 %.3f\n", "hybrid RRF (k=60)", qh.r1,
           qh.r10, qh.mrr);
    printf("  %-34s recall@1 %.3f  recall@10 %.3f  MRR@10 %.3f\n", "hybrid weighted (1:1, min-max)",
           qw.r1, qw.r10, qw.mrr);
    printf("  (dense dim %lld)\n", (long long)dim);
    /* floors a few points under the measured values (0.800 / 0.817 / 0.840 /
     * 0.834 recall@10), for BLAS rounding differences in the SVD */
    assert_true(qb.r10 >= 0.78 && qb.mrr >= 0.58);
    assert_true(qd.r10 >= 0.77 && qd.mrr >= 0.56);
    assert_true(qh.r10 >= 0.80 && qh.mrr >= 0.62);
    assert_true(qw.r10 >= 0.80 && qw.mrr >= 0.62);
    free(A);
    free(Q);
    free(lb);
    free(ld);
    free(lh);
    free(lw);
    free(sb);
    free(sh);
    free(dd);
    cml_text_embedder_free(e);
    cml_bm25_free(b);
    faq_free(&f);
}

int main(void)
{
    struct stat sb;
    if (stat(FAQ, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr,
                "test_golden_bm25: skipped: %s is missing (Debian package python3.11-doc; "
                "scripts/deps installs it)\n",
                FAQ);
        return 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_faq_golden),
                                       cmocka_unit_test(test_faq_quality)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
