/*
 * course_exp_retrieval.c — the retrieval lessons on the Python FAQ (the
 * HTML pages of Debian's python3.11-doc): every FAQ entry whose heading is
 * a question gives a pair; the answers are the documents, the questions
 * the queries, and each question's one relevant document is its own
 * answer (the pairs of tests/unit/test_golden_bm25.c).
 *
 *  semantic-search: a retriever (cml/rag.h: document store, BM25 index,
 *    LSA text embeddings in an HNSW cosine index) with one chunk per
 *    answer; BM25 vs dense vs hybrid (reciprocal rank fusion): recall@1,
 *    @5, @10 and MRR@10, recall@k for k = 1..20, and questions only one
 *    method answers.
 *  rag-pipeline: the retrieval half of RAG: answers cut into small and
 *    large chunks (paragraph mode); a question is answered when a chunk of
 *    its answer is retrieved; recall@5 (the context an LLM would get),
 *    MRR@10, the context's length in words, latency per query; one worked
 *    example.
 *
 * Indexes are built in a temporary folder under the run's output folder
 * and removed afterwards. Dense search depends on the HNSW graph, which is
 * built in parallel: its numbers can vary in the third decimal. Latencies
 * vary from run to run.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cml/rag.h"
#include "course_exp.h"

#define FAQ_DIR "/usr/share/doc/python3.11/html/faq"
#define KMAX    20

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

/* The question -> answer pairs as a corpus: document i is answer i, its
 * title the question, its source "faq:i" (how a hit finds its pair). */
typedef struct faq {
    cml_corpus pairs;
    const char **q; /* (n) borrowed from pairs */
    int64_t n;
} faq;

static int is_question(const char *h)
{
    size_t L = strlen(h);
    for (;;) { /* trailing whitespace and the pilcrow (U+00B6) of Sphinx headings */
        if (L && strchr(" \t\n\r\f\v", h[L - 1]))
            L--;
        else if (L >= 2 && (unsigned char)h[L - 2] == 0xC2 && (unsigned char)h[L - 1] == 0xB6)
            L -= 2;
        else
            break;
    }
    return L && h[L - 1] == '?';
}

static cml_status faq_load(faq *f)
{
    cml_corpus all;
    memset(f, 0, sizeof *f);
    struct stat sb;
    if (stat(FAQ_DIR, &sb) || !S_ISDIR(sb.st_mode))
        return cml_fail(CML_ERR_IO,
                        "%s: no such folder; HINT: install the Debian package python3.11-doc",
                        FAQ_DIR);
    cml_status st = cml_corpus_from_dir(FAQ_DIR, 1, &all);
    if (st) return st;
    memset(&f->pairs, 0, sizeof f->pairs);
    for (int64_t i = 0; i < all.n && st == CML_OK; i++) {
        if (!is_question(all.docs[i].title)) continue;
        char src[32];
        snprintf(src, sizeof src, "faq:%lld", (long long)f->n);
        st = cml_corpus_add(&f->pairs, src, all.docs[i].title, all.docs[i].text, NULL, 0);
        f->n += st == CML_OK;
    }
    cml_corpus_free(&all);
    if (st == CML_OK && !(f->q = malloc(sizeof *f->q * (size_t)(f->n ? f->n : 1)))) st = oom();
    for (int64_t i = 0; st == CML_OK && i < f->n; i++)
        f->q[i] = f->pairs.docs[i].title;
    if (st == CML_OK && f->n < 10)
        st = cml_fail(CML_ERR_FORMAT, "%s: only %lld question headings", FAQ_DIR, (long long)f->n);
    return st;
}

static void faq_free(faq *f)
{
    free(f->q);
    cml_corpus_free(&f->pairs);
}

/* ---------------------------------------------------------------- an index */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A retriever built in a fresh temporary folder under the run's output;
 * pair_of[chunk id] = the pair the chunk belongs to. */
typedef struct index {
    char dir[4300];
    cml_retriever *ret;
    int64_t *pair_of, n_ids, n_chunks;
} index_t;

static cml_status index_build(course_run *r, const faq *f, int64_t chunk_size, index_t *ix)
{
    memset(ix, 0, sizeof *ix);
    snprintf(ix->dir, sizeof ix->dir, "%s/index.XXXXXX", r->out_dir);
    if (!mkdtemp(ix->dir)) return cml_fail(CML_ERR_IO, "%s: %s", ix->dir, strerror(errno));
    /* cml_retriever_build wants a folder that holds no index: a fresh
     * subfolder */
    strcat(ix->dir, "/idx");
    cml_retriever_opts o = cml_retriever_opts_default();
    o.chunk.size = chunk_size;
    if (chunk_size > 0 && o.chunk.overlap >= chunk_size) o.chunk.overlap = chunk_size / 5;
    cml_status st = cml_retriever_build(ix->dir, &o, &f->pairs, &ix->ret);
    int64_t n_docs = 0;
    if (st == CML_OK) st = cml_docstore_count(cml_retriever_store(ix->ret), &n_docs, &ix->n_chunks);
    /* chunk ids: look each up once (ids are small integers) */
    ix->n_ids = 2 * ix->n_chunks + 16;
    if (st == CML_OK && !(ix->pair_of = malloc(sizeof *ix->pair_of * (size_t)ix->n_ids)))
        st = oom();
    for (int64_t id = 0; st == CML_OK && id < ix->n_ids; id++) {
        cml_chunk_rec rec;
        ix->pair_of[id] = -1;
        if (cml_docstore_get_chunk(cml_retriever_store(ix->ret), id, &rec) != CML_OK) continue;
        if (!strncmp(rec.source, "faq:", 4)) ix->pair_of[id] = strtoll(rec.source + 4, NULL, 10);
        cml_chunk_rec_free(&rec);
    }
    return st;
}

static void index_free(index_t *ix)
{
    cml_retriever_free(ix->ret);
    free(ix->pair_of);
    char *slash = strrchr(ix->dir, '/');
    if (slash && !strcmp(slash, "/idx")) {
        *slash = '\0';
        nftw(ix->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

static int64_t pair_of(const index_t *ix, int64_t id)
{
    return id >= 0 && id < ix->n_ids ? ix->pair_of[id] : -1;
}

/* Every question searched with one mode: rank[i] = 1-based rank of the
 * first chunk of pair i among the top KMAX (0: not found); hits (n, KMAX)
 * and their scores kept for examples (may be NULL); words = mean words in
 * the top-5 chunks; seconds = total search time. */
static cml_status run_queries(const faq *f, index_t *ix, int mode, int *rank, int64_t *hits,
                              double *hit_scores, double *words, double *seconds)
{
    cml_search_opts so = cml_search_opts_default();
    so.mode = mode;
    int64_t ids[KMAX];
    double sc[KMAX], w = 0;
    double t = 0;
    for (int64_t i = 0; i < f->n; i++) {
        int64_t nf = 0;
        double t0 = cml_now();
        cml_status st = cml_retriever_search(ix->ret, f->q[i], KMAX, &so, ids, sc, &nf);
        t += cml_now() - t0;
        if (st) return st;
        rank[i] = 0;
        for (int64_t j = 0; j < nf && !rank[i]; j++)
            if (pair_of(ix, ids[j]) == i) rank[i] = (int)j + 1;
        if (hits) memcpy(hits + i * KMAX, ids, sizeof ids);
        if (hit_scores) memcpy(hit_scores + i * KMAX, sc, sizeof sc);
        if (words) {
            for (int64_t j = 0; j < nf && j < 5; j++) {
                cml_chunk_rec rec;
                if (cml_docstore_get_chunk(cml_retriever_store(ix->ret), ids[j], &rec)) continue;
                int in_word = 0;
                for (const char *p = rec.text; *p; p++) {
                    int ws = strchr(" \t\n\r\f\v", *p) != NULL;
                    w += !ws && !in_word;
                    in_word = !ws;
                }
                cml_chunk_rec_free(&rec);
            }
        }
    }
    if (words) *words = w / (double)f->n;
    *seconds = t;
    return CML_OK;
}

static double recall_at(const int *rank, int64_t n, int k)
{
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++)
        c += rank[i] >= 1 && rank[i] <= k;
    return (double)c / (double)n;
}

static double mrr_at(const int *rank, int64_t n, int k)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        if (rank[i] >= 1 && rank[i] <= k) s += 1.0 / rank[i];
    return s / (double)n;
}

/* The question text on one line, shortened for a note. */
static void one_line(const char *s, char *out, size_t size)
{
    size_t o = 0;
    while (*s && strchr(" \t\n\r\f\v", *s))
        s++;
    for (; *s && o + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == 0xC2 && (unsigned char)s[1] == 0xB6) { /* pilcrow */
            s++;
            continue;
        }
        out[o++] = strchr("\t\n\r\f\v", c) ? ' ' : (char)c;
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

static const char *const mode_names[3] = {"BM25", "dense", "hybrid"};
static const char *const mode_keys[3] = {"bm25", "dense", "hybrid"};

/* ---------------------------------------------------------------- semantic search */

static cml_status exp_semantic_search(course_run *r)
{
    faq f;
    index_t ix;
    int *rank = NULL;
    double *curves = NULL, *ks = NULL;
    memset(&ix, 0, sizeof ix);
    cr_progress(r, 0.02, "reading the Python FAQ");
    cml_status st = faq_load(&f);
    if (st) return st;
    cr_progress(r, 0.1, "indexing %lld answers: BM25 and LSA embeddings in HNSW", (long long)f.n);
    if ((st = index_build(r, &f, 0, &ix))) goto done;
    rank = malloc(sizeof *rank * (size_t)(3 * f.n));
    curves = malloc(sizeof *curves * 3 * KMAX);
    ks = malloc(sizeof *ks * KMAX);
    if (!rank || !curves || !ks) {
        st = oom();
        goto done;
    }
    static const char *const cols[] = {"method",    "recall@1", "recall@5",
                                       "recall@10", "MRR@10",   "ms per query"};
    if ((st = cr_table(r, 6, cols))) goto done;
    for (int m = 0; m < 3; m++) {
        cr_progress(r, 0.4 + 0.15 * m, "%lld questions, %s search", (long long)f.n, mode_names[m]);
        double secs;
        int *rk = rank + m * f.n;
        if ((st = run_queries(&f, &ix, m, rk, NULL, NULL, NULL, &secs))) goto done;
        for (int k = 1; k <= KMAX; k++)
            curves[m * KMAX + k - 1] = recall_at(rk, f.n, k);
        char key[64], label[96];
        snprintf(key, sizeof key, "recall10_%s", mode_keys[m]);
        snprintf(label, sizeof label, "%s: recall@10", mode_names[m]);
        if ((st = cr_metric(r, key, label, recall_at(rk, f.n, 10)))) goto done;
        snprintf(key, sizeof key, "mrr10_%s", mode_keys[m]);
        snprintf(label, sizeof label, "%s: MRR@10", mode_names[m]);
        if ((st = cr_metric(r, key, label, mrr_at(rk, f.n, 10))) ||
            (st = cr_row(r, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f", mode_names[m],
                         recall_at(rk, f.n, 1), recall_at(rk, f.n, 5), recall_at(rk, f.n, 10),
                         mrr_at(rk, f.n, 10), 1e3 * secs / (double)f.n)))
            goto done;
    }
    if ((st = cr_metric(r, "questions", "question -> answer pairs", (double)f.n))) goto done;

    /* questions only one method answers (first in FAQ order) */
    int64_t only[2] = {-1, -1}, n_only[2] = {0, 0};
    for (int64_t i = 0; i < f.n; i++) {
        int b = rank[i], d = rank[f.n + i];
        if (d == 1 && (b == 0 || b > 10)) n_only[1]++, only[1] = only[1] < 0 ? i : only[1];
        if (b == 1 && (d == 0 || d > 10)) n_only[0]++, only[0] = only[0] < 0 ? i : only[0];
    }
    char q[256];
    if (only[1] >= 0) {
        one_line(f.q[only[1]], q, sizeof q);
        if ((st = cr_note(r,
                          "Dense search ranks the answer first and BM25 misses it in the top 10 "
                          "for %lld question(s), e.g. \"%s\"",
                          (long long)n_only[1], q)))
            goto done;
    }
    if (only[0] >= 0) {
        one_line(f.q[only[0]], q, sizeof q);
        if ((st = cr_note(r,
                          "BM25 ranks the answer first and dense search misses it in the top 10 "
                          "for %lld question(s), e.g. \"%s\"",
                          (long long)n_only[0], q)))
            goto done;
    }
    if ((st = cr_note(r,
                      "Hybrid search (reciprocal rank fusion of both lists) finds the answer in "
                      "the top 10 for %.1f%% of the questions, BM25 for %.1f%%, dense for %.1f%%.",
                      100 * curves[2 * KMAX + 9], 100 * curves[9], 100 * curves[KMAX + 9])))
        goto done;

    for (int k = 0; k < KMAX; k++)
        ks[k] = k + 1;
    char title[128];
    snprintf(title, sizeof title, "Python FAQ, %lld questions: recall@k", (long long)f.n);
    if ((st = cml_plot_lines(cr_path(r, "recall_at_k.png"), ks, curves, 3, KMAX, mode_names, title,
                             "k (results returned)", "recall@k")) ||
        (st = cr_plot(r, "recall_at_k.png", "Recall@k for BM25, dense and hybrid search")))
        goto done;
done:
    free(rank);
    free(curves);
    free(ks);
    index_free(&ix);
    faq_free(&f);
    return st;
}

/* ---------------------------------------------------------------- RAG */

static cml_status exp_rag_pipeline(course_run *r)
{
    static const int64_t sizes[] = {40, 200};
    enum { NS = 2, TOPK = 5 };
    faq f;
    index_t ix;
    int *rank = NULL;
    int64_t *hits = NULL;
    double *hs = NULL, bars[NS * 3];
    char bar_names[NS * 3][48];
    const char *bn[NS * 3];
    memset(&ix, 0, sizeof ix);
    cr_progress(r, 0.02, "reading the Python FAQ");
    cml_status st = faq_load(&f);
    if (st) return st;
    rank = malloc(sizeof *rank * (size_t)f.n);
    hits = malloc(sizeof *hits * (size_t)(f.n * KMAX));
    hs = malloc(sizeof *hs * (size_t)(f.n * KMAX));
    if (!rank || !hits || !hs) {
        st = oom();
        goto done;
    }
    static const char *const cols[] = {"chunk size (words)", "chunks", "method",
                                       "recall@5",           "MRR@10", "words in top 5",
                                       "ms per query"};
    if ((st = cr_table(r, 7, cols))) goto done;
    for (int s = 0; s < NS; s++) {
        cr_progress(r, 0.05 + 0.45 * s, "chunks of up to %lld words: building the indexes",
                    (long long)sizes[s]);
        if ((st = index_build(r, &f, sizes[s], &ix))) goto done;
        for (int m = 0; m < 3; m++) {
            double secs, words;
            if ((st = run_queries(&f, &ix, m, rank, hits, hs, &words, &secs))) goto done;
            double rc = recall_at(rank, f.n, TOPK), mrr = mrr_at(rank, f.n, 10);
            if ((st = cr_row(r, "%lld\t%lld\t%s\t%.3f\t%.3f\t%.0f\t%.3f", (long long)sizes[s],
                             (long long)ix.n_chunks, mode_names[m], rc, mrr, words,
                             1e3 * secs / (double)f.n)))
                goto done;
            bars[s * 3 + m] = rc;
            snprintf(bar_names[s * 3 + m], sizeof bar_names[0], "%s, %lld-word chunks",
                     mode_names[m], (long long)sizes[s]);
            bn[s * 3 + m] = bar_names[s * 3 + m];
            if (m == 2) { /* hybrid: the pipeline's retriever */
                char key[64], label[96];
                snprintf(key, sizeof key, "recall5_hybrid_%lld", (long long)sizes[s]);
                snprintf(label, sizeof label, "hybrid recall@5, %lld-word chunks",
                         (long long)sizes[s]);
                if ((st = cr_metric(r, key, label, rc))) goto done;
                snprintf(key, sizeof key, "ms_per_query_%lld", (long long)sizes[s]);
                snprintf(label, sizeof label, "hybrid ms per query, %lld-word chunks",
                         (long long)sizes[s]);
                if ((st = cr_metric(r, key, label, 1e3 * secs / (double)f.n))) goto done;
                snprintf(key, sizeof key, "context_words_%lld", (long long)sizes[s]);
                snprintf(label, sizeof label, "words handed to the LLM, %lld-word chunks",
                         (long long)sizes[s]);
                if ((st = cr_metric(r, key, label, words))) goto done;
            }
            cr_progress(r, 0.05 + 0.45 * s + 0.15 * (m + 1), "%lld-word chunks: %s done",
                        (long long)sizes[s], mode_names[m]);
        }
        /* the worked example: the first question, hybrid, small chunks */
        if (s == 0) {
            char q[256];
            one_line(f.q[0], q, sizeof q);
            char where[64] = "not among the first 20";
            if (rank[0]) snprintf(where, sizeof where, "at rank %d", rank[0]);
            if ((st = cr_note(r,
                              "Worked example (hybrid, %lld-word chunks): \"%s\" The first "
                              "chunk of its answer comes %s; the top three:",
                              (long long)sizes[s], q, where)))
                goto done;
            for (int j = 0; j < 3; j++) {
                int64_t id = hits[j];
                cml_chunk_rec rec;
                if (id < 0 || cml_docstore_get_chunk(cml_retriever_store(ix.ret), id, &rec))
                    continue;
                char text[160], title[160];
                one_line(rec.text, text, sizeof text);
                one_line(rec.title, title, sizeof title);
                st = cr_note(r, "  #%d (score %.4f, from \"%s\"%s): %s...", j + 1, hs[j], title,
                             pair_of(&ix, id) == 0 ? ", the right answer" : "", text);
                cml_chunk_rec_free(&rec);
                if (st) goto done;
            }
        }
        index_free(&ix);
        memset(&ix, 0, sizeof ix);
    }
    if ((st = cr_metric(r, "questions", "question -> answer pairs", (double)f.n))) goto done;
    if ((st = cr_note(r, "cml has no language model: these are the passages that would be pasted "
                         "into its prompt; generation is not run.")))
        goto done;
    if ((st = cml_plot_bars(cr_path(r, "recall_by_chunks.png"), bars, NS * 3, bn, 1,
                            "Python FAQ: is the answer among the 5 chunks retrieved?", "recall@5",
                            NULL)) ||
        (st = cr_plot(r, "recall_by_chunks.png", "Recall@5 by method and chunk size")))
        goto done;
done:
    free(rank);
    free(hits);
    free(hs);
    index_free(&ix);
    faq_free(&f);
    return st;
}

const course_experiment course_exp_semantic_search = {"semantic-search", "python-faq",
                                                      exp_semantic_search};
const course_experiment course_exp_rag_pipeline = {"rag-pipeline", "python-faq", exp_rag_pipeline};
