/*
 * cmd_index.c — `cml index build|add|info INDEX`: retrieval indexes.
 *
 * A text index (from a folder of text/HTML files or a CSV text column) is
 * a cml_retriever folder: document store, BM25 and, unless --dim 0, the
 * TF-IDF + SVD embedder and an HNSW cosine index. A vector index (from
 * --vectors: .fvecs, .npy or .csv) is a folder holding hnsw.gguf only;
 * labels are row numbers, continued by `add`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const cli_opt opts[] = {
    {"docs", "FOLDER", 0, "text / HTML files to index (recursively; HTML cut at headings)"},
    {"csv", "FILE", 0, "CSV whose --text-column holds the documents (other columns: metadata)"},
    {"text-column", "COL", 0, "text column of --csv (default: text)"},
    {"vectors", "FILE", 0, "vectors to index instead of text (.fvecs, .npy, .csv)"},
    {"no-split-html", NULL, 0, "one document per HTML file instead of one per section"},
    {"chunk", "MODE", 0, "paragraph (default), fixed, or none (one chunk per document)"},
    {"chunk-size", "N", 0, "words per chunk (default 200)"},
    {"chunk-overlap", "N", 0, "words shared by consecutive fixed chunks (default 40)"},
    {"dim", "N", 0, "dense embedding dimension (TF-IDF + SVD; default 128, 0 = BM25 only)"},
    {"k1", "X", 0, "BM25 k1 (default 1.2)"},
    {"b", "X", 0, "BM25 b (default 0.75)"},
    {"delta", "X", 0, "BM25+ delta (default 0 = Okapi BM25)"},
    {"stop-words", NULL, 0, "drop English stop words in BM25"},
    {"metric", "NAME", 0, "vector index metric: l2 (default), ip, cosine"},
    {"M", "N", 0, "HNSW links per node (default 16)"},
    {"ef-construction", "N", 0, "HNSW build candidate list (default 200)"},
    {"seed", "N", 0, "random seed (SVD, HNSW levels; default 0)"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"json", NULL, 0, "print one JSON object"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

static int parse_f64(const cli_cmd *cmd, const char *name, const char *s, double *v)
{
    char *end = NULL;
    double x = strtod(s, &end);
    if (!end || *end || end == s)
        return cli_usage(cmd, "--%s must be a number, got \"%s\"", name, s);
    *v = x;
    return CLI_OK;
}

/* Reads --docs or --csv into c. */
static int read_corpus(const cli_args *a, cml_corpus *c)
{
    const char *docs = cli_get(a, "docs"), *csv = cli_get(a, "csv");
    if (!!docs + !!csv != 1)
        return cli_usage(a->cmd, "give exactly one of --docs FOLDER, --csv FILE, --vectors FILE");
    cml_status st;
    if (docs)
        st = cml_corpus_from_dir(docs, !cli_flag(a, "no-split-html"), c);
    else {
        const char *col = cli_get(a, "text-column");
        st = cml_corpus_from_csv(csv, col ? col : "text", c);
    }
    return st == CML_OK ? CLI_OK : st == CML_ERR_ARG ? cli_fail_usage(st) : cli_fail(st);
}

static int is_vector_index(const char *dir)
{
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/docs.sqlite", dir);
    if (stat(p, &sb) == 0) return 0;
    snprintf(p, sizeof p, "%s/hnsw.gguf", dir);
    return stat(p, &sb) == 0;
}

/* ---------------------------------------------------------------- vectors */

static int vectors_build_or_add(const cli_args *a, const char *dir, int add)
{
    const cli_cmd *cmd = a->cmd;
    float *X = NULL;
    int64_t n, d;
    double t0 = cml_now();
    cml_status st = cml_vectors_read(cli_get(a, "vectors"), &X, &n, &d);
    if (st != CML_OK) return cli_fail(st);
    double t_load = cml_now() - t0;
    char p[4096];
    snprintf(p, sizeof p, "%s/hnsw.gguf", dir);
    cml_hnsw *h = NULL;
    int64_t *labels = malloc((size_t)(n ? n : 1) * sizeof *labels);
    int rc = CLI_OK;
    if (!labels) {
        rc = cli_fail(CML_ERR_NOMEM);
        goto done;
    }
    if (add) {
        if ((st = cml_hnsw_load(p, &h)) != CML_OK) {
            rc = cli_fail(st);
            goto done;
        }
    } else {
        cml_hnsw_params hp = cml_hnsw_params_default();
        hp.dim = d;
        hp.max_elements = n > 0 ? n : 1;
        const char *m = cli_get(a, "metric");
        if (m && (st = cml_index_metric_parse(m, &hp.metric)) != CML_OK) {
            rc = cli_fail_usage(st);
            goto done;
        }
        const char *s;
        if ((s = cli_get(a, "M")) && (rc = cli_parse_i64(cmd, "M", s, 2, &hp.M))) goto done;
        if ((s = cli_get(a, "ef-construction")) &&
            (rc = cli_parse_i64(cmd, "ef-construction", s, 1, &hp.ef_construction)))
            goto done;
        int64_t seed = 0;
        if ((s = cli_get(a, "seed"))) {
            if ((rc = cli_parse_i64(cmd, "seed", s, 0, &seed))) goto done;
            hp.random_state = (uint64_t)seed;
        }
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            cli_error("%s: cannot create the index folder: %s", dir, strerror(errno));
            rc = CLI_RUNTIME;
            goto done;
        }
        if ((st = cml_hnsw_create(&hp, &h)) != CML_OK) {
            rc = cli_fail_usage(st);
            goto done;
        }
    }
    if (cml_hnsw_dim(h) != d) {
        cli_error("%s has %lld-dim vectors, the index %lld", cli_get(a, "vectors"), (long long)d,
                  (long long)cml_hnsw_dim(h));
        rc = CLI_RUNTIME;
        goto done;
    }
    int64_t base = cml_hnsw_size(h) + cml_hnsw_n_deleted(h);
    for (int64_t i = 0; i < n; i++)
        labels[i] = base + i;
    double t1 = cml_now();
    if (base + n > cml_hnsw_capacity(h)) st = cml_hnsw_resize(h, base + n);
    if (st == CML_OK) st = cml_hnsw_add(h, X, n, labels);
    double t_build = cml_now() - t1;
    if (st == CML_OK) st = cml_hnsw_save(h, p);
    if (st != CML_OK) {
        rc = cli_fail(st);
        goto done;
    }
    if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_puts(&sb, "{\"index\":");
        cml_sb_json_str(&sb, dir);
        cml_sb_printf(&sb,
                      ",\"kind\":\"vectors\",\"added\":%lld,\"size\":%lld,\"dim\":%lld,"
                      "\"load_seconds\":%.6f,\"build_seconds\":%.6f}",
                      (long long)n, (long long)cml_hnsw_size(h), (long long)d, t_load, t_build);
        cli_json_print(&sb);
    } else if (!cli_quiet) {
        fprintf(stderr, "cml: %s: %lld vectors (%lld-dim) %s, %lld in the index\n", dir,
                (long long)n, (long long)d, add ? "added" : "indexed", (long long)cml_hnsw_size(h));
    }
done:
    free(X);
    free(labels);
    cml_hnsw_free(h);
    return rc;
}

/* ---------------------------------------------------------------- text */

static int text_opts(const cli_args *a, cml_retriever_opts *o)
{
    const cli_cmd *cmd = a->cmd;
    const char *s;
    int rc;
    if ((s = cli_get(a, "chunk"))) {
        if (!strcmp(s, "paragraph"))
            o->chunk.mode = CML_CHUNK_PARAGRAPH;
        else if (!strcmp(s, "fixed"))
            o->chunk.mode = CML_CHUNK_FIXED;
        else if (!strcmp(s, "none"))
            o->chunk.size = 0;
        else
            return cli_usage(cmd, "--chunk must be paragraph, fixed or none, got \"%s\"", s);
    }
    if (o->chunk.size != 0) {
        if ((s = cli_get(a, "chunk-size")) &&
            (rc = cli_parse_i64(cmd, "chunk-size", s, 1, &o->chunk.size)))
            return rc;
        if ((s = cli_get(a, "chunk-overlap")) &&
            (rc = cli_parse_i64(cmd, "chunk-overlap", s, 0, &o->chunk.overlap)))
            return rc;
        if (o->chunk.overlap >= o->chunk.size) {
            if (cli_get(a, "chunk-overlap"))
                return cli_usage(cmd, "--chunk-overlap must be smaller than --chunk-size");
            o->chunk.overlap = o->chunk.size / 5;
        }
    }
    if ((s = cli_get(a, "dim")) && (rc = cli_parse_i64(cmd, "dim", s, 0, &o->dim))) return rc;
    if ((s = cli_get(a, "k1")) && (rc = parse_f64(cmd, "k1", s, &o->bm25.k1))) return rc;
    if ((s = cli_get(a, "b")) && (rc = parse_f64(cmd, "b", s, &o->bm25.b))) return rc;
    if ((s = cli_get(a, "delta")) && (rc = parse_f64(cmd, "delta", s, &o->bm25.delta))) return rc;
    if (cli_flag(a, "stop-words")) o->bm25.tok.stop_words = 1;
    if ((s = cli_get(a, "M")) && (rc = cli_parse_i64(cmd, "M", s, 2, &o->M))) return rc;
    if ((s = cli_get(a, "ef-construction")) &&
        (rc = cli_parse_i64(cmd, "ef-construction", s, 1, &o->ef_construction)))
        return rc;
    int64_t seed = 0;
    if ((s = cli_get(a, "seed"))) {
        if ((rc = cli_parse_i64(cmd, "seed", s, 0, &seed))) return rc;
        o->random_state = (uint64_t)seed;
    }
    const char *msg = cml_bm25_params_check(&o->bm25);
    if (msg) return cli_usage(cmd, "%s", msg);
    return CLI_OK;
}

static void print_summary(const cli_args *a, cml_retriever *r, const char *dir, const char *what,
                          int64_t n_docs_in, double seconds)
{
    int64_t nd = 0, nc = 0;
    cml_docstore_count(cml_retriever_store(r), &nd, &nc);
    const cml_hnsw *h = cml_retriever_hnsw(r);
    if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_puts(&sb, "{\"index\":");
        cml_sb_json_str(&sb, dir);
        cml_sb_printf(&sb,
                      ",\"kind\":\"text\",\"%s\":%lld,\"documents\":%lld,\"chunks\":%lld,"
                      "\"terms\":%lld,\"dense_dim\":%lld,\"seconds\":%.6f}",
                      what, (long long)n_docs_in, (long long)nd, (long long)nc,
                      (long long)cml_bm25_n_terms(cml_retriever_bm25(r)),
                      (long long)(h ? cml_hnsw_dim(h) : 0), seconds);
        cli_json_print(&sb);
    } else if (!cli_quiet) {
        fprintf(stderr, "cml: %s: %lld documents %s; %lld documents, %lld chunks in the index\n",
                dir, (long long)n_docs_in, what, (long long)nd, (long long)nc);
    }
}

static int text_build(const cli_args *a, const char *dir)
{
    cml_retriever_opts o = cml_retriever_opts_default();
    int rc = text_opts(a, &o);
    if (rc) return rc;
    cml_corpus c;
    if ((rc = read_corpus(a, &c))) return rc;
    cml_retriever *r = NULL;
    double t0 = cml_now();
    cml_status st = cml_retriever_build(dir, &o, &c, &r);
    if (st != CML_OK) {
        cml_corpus_free(&c);
        return st == CML_ERR_ARG ? cli_fail_usage(st) : cli_fail(st);
    }
    print_summary(a, r, dir, "indexed", c.n, cml_now() - t0);
    cml_retriever_free(r);
    cml_corpus_free(&c);
    return CLI_OK;
}

static int text_add(const cli_args *a, const char *dir)
{
    cml_corpus c;
    int rc = read_corpus(a, &c);
    if (rc) return rc;
    cml_retriever *r = NULL;
    double t0 = cml_now();
    cml_status st = cml_retriever_open(dir, &r);
    if (st == CML_OK) st = cml_retriever_add(r, &c);
    if (st != CML_OK) {
        cml_retriever_free(r);
        cml_corpus_free(&c);
        return cli_fail(st);
    }
    print_summary(a, r, dir, "added", c.n, cml_now() - t0);
    cml_retriever_free(r);
    cml_corpus_free(&c);
    return CLI_OK;
}

/* ---------------------------------------------------------------- info */

static void json_hnsw(cml_sb *sb, const cml_hnsw *h)
{
    cml_hnsw_params p = cml_hnsw_get_params(h);
    cml_sb_printf(
        sb,
        "{\"size\":%lld,\"deleted\":%lld,\"capacity\":%lld,\"dim\":%lld,\"metric\":\"%s\","
        "\"M\":%lld,\"ef_construction\":%lld,\"ef_search\":%lld,\"quantized\":%s}",
        (long long)cml_hnsw_size(h), (long long)cml_hnsw_n_deleted(h),
        (long long)cml_hnsw_capacity(h), (long long)p.dim, cml_index_metric_name(p.metric),
        (long long)p.M, (long long)p.ef_construction, (long long)p.ef_search,
        cml_hnsw_is_quantized(h) ? "true" : "false");
}

static int info(const cli_args *a, const char *dir)
{
    (void)a;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"index\":");
    cml_sb_json_str(&sb, dir);
    if (is_vector_index(dir)) {
        char p[4096];
        snprintf(p, sizeof p, "%s/hnsw.gguf", dir);
        cml_hnsw *h;
        double t0 = cml_now();
        cml_status st = cml_hnsw_open(p, &h);
        if (st != CML_OK) {
            cml_sb_free(&sb);
            return cli_fail(st);
        }
        cml_sb_printf(&sb, ",\"kind\":\"vectors\",\"open_seconds\":%.6f,\"hnsw\":", cml_now() - t0);
        json_hnsw(&sb, h);
        cml_hnsw_free(h);
    } else {
        cml_retriever *r;
        double t0 = cml_now();
        cml_status st = cml_retriever_open(dir, &r);
        if (st != CML_OK) {
            cml_sb_free(&sb);
            return cli_fail(st);
        }
        double t_open = cml_now() - t0;
        int64_t nd = 0, nc = 0;
        cml_docstore_count(cml_retriever_store(r), &nd, &nc);
        cml_retriever_opts o = cml_retriever_get_opts(r);
        const cml_bm25 *b = cml_retriever_bm25(r);
        cml_sb_printf(&sb,
                      ",\"kind\":\"text\",\"open_seconds\":%.6f,\"documents\":%lld,\"chunks\":%lld,"
                      "\"chunking\":{\"mode\":\"%s\",\"size\":%lld,\"overlap\":%lld},"
                      "\"bm25\":{\"k1\":%.17g,\"b\":%.17g,\"delta\":%.17g,\"stop_words\":%s,"
                      "\"docs\":%lld,\"terms\":%lld,\"postings\":%lld,\"postings_bytes\":%lld,"
                      "\"avgdl\":%.17g}",
                      t_open, (long long)nd, (long long)nc,
                      o.chunk.size == 0                     ? "none"
                      : o.chunk.mode == CML_CHUNK_PARAGRAPH ? "paragraph"
                                                            : "fixed",
                      (long long)o.chunk.size, (long long)o.chunk.overlap, o.bm25.k1, o.bm25.b,
                      o.bm25.delta, o.bm25.tok.stop_words ? "true" : "false",
                      (long long)cml_bm25_n_docs(b), (long long)cml_bm25_n_terms(b),
                      (long long)cml_bm25_n_postings(b), (long long)cml_bm25_postings_bytes(b),
                      cml_bm25_avgdl(b));
        const cml_hnsw *h = cml_retriever_hnsw(r);
        if (h) {
            cml_sb_puts(&sb, ",\"dense\":{\"embedding\":\"tfidf+truncated_svd\",\"hnsw\":");
            json_hnsw(&sb, h);
            cml_sb_puts(&sb, "}");
        } else {
            cml_sb_puts(&sb, ",\"dense\":null");
        }
        cml_retriever_free(r);
    }
    cml_sb_puts(&sb, "}");
    cli_json_print(&sb);
    return CLI_OK;
}

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    if (a.n_positional != 2)
        return cli_usage(cmd, "expected an action (build, add, info) and INDEX");
    const char *act = a.positional[0], *dir = a.positional[1];
    int vec = cli_get(&a, "vectors") != NULL;
    if (!strcmp(act, "info")) return info(&a, dir);
    if (!strcmp(act, "build")) {
        if (vec && (cli_get(&a, "docs") || cli_get(&a, "csv")))
            return cli_usage(cmd, "give exactly one of --docs FOLDER, --csv FILE, --vectors FILE");
        return vec ? vectors_build_or_add(&a, dir, 0) : text_build(&a, dir);
    }
    if (!strcmp(act, "add")) {
        if (vec != is_vector_index(dir))
            return cli_usage(cmd,
                             vec ? "%s is a text index: add --docs or --csv"
                                 : "%s is a vector index: add --vectors",
                             dir);
        return vec ? vectors_build_or_add(&a, dir, 1) : text_add(&a, dir);
    }
    return cli_usage(cmd, "unknown action \"%s\"; expected build, add or info", act);
}

const cli_cmd cli_cmd_index = {
    "index",
    "build|add|info INDEX [--docs FOLDER | --csv FILE --text-column COL | --vectors FILE]",
    "build, extend or describe a retrieval index (BM25 + dense HNSW + document store)",
    "A text index (--docs or --csv) is a folder: docs.sqlite (documents, chunks, metadata), "
    "bm25.gguf, and with --dim > 0 embedder.gguf (TF-IDF + TruncatedSVD) and hnsw.gguf (cosine). "
    "A vector index (--vectors .fvecs/.npy/.csv) holds hnsw.gguf; labels are row numbers. "
    "`add` appends documents or vectors with the settings of the build; `info` prints JSON. "
    "Search with `cml search INDEX`.",
    opts,
    2,
    run};
