/*
 * cmd_search.c — `cml search INDEX`: BM25, dense or hybrid search of a text
 * index built by `cml index build` (metadata filters, RRF or weighted
 * fusion), or k-nearest-neighbour search of a vector index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const cli_opt opts[] = {
    {"query", "TEXT", 0, "text query (text index)"},
    {"mode", "MODE", 0, "bm25, dense or hybrid (default: hybrid, bm25 without a dense index)"},
    {"k", "N", 0, "results to return (default 10; -k N works too)"},
    {"filter", "KEY=VALUE", 1, "only chunks whose document has this metadata (repeatable: all)"},
    {"fusion", "NAME", 0, "hybrid fusion: rrf (default) or weighted"},
    {"weights", "S,D", 0, "hybrid list weights, sparse,dense (default 1,1)"},
    {"rrf-k", "X", 0, "RRF constant (default 60)"},
    {"depth", "N", 0, "candidates per list before fusing (default 100)"},
    {"ef", "N", 0, "HNSW candidate list size (default max(depth, 64))"},
    {"vector", "V1,V2,...", 0, "query vector (vector index)"},
    {"queries", "FILE", 0, "query vectors (.fvecs/.npy/.csv) for a vector index; CSV out"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"json", NULL, 0, "print one JSON object"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

/* The first `max` characters of s with whitespace runs as one space. */
static void snippet(cml_sb *sb, const char *s, int max)
{
    char buf[512];
    int n = 0, sp = 0;
    for (; *s && n < max && n < (int)sizeof buf - 4; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            sp = n > 0;
            continue;
        }
        if (sp) buf[n++] = ' ';
        sp = 0;
        buf[n++] = (char)c;
    }
    /* do not cut a UTF-8 sequence */
    while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
        n--;
    if (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0xC0) n--;
    buf[n] = 0;
    cml_sb_puts(sb, buf);
}

static int text_search(const cli_args *a, const char *dir, int64_t k)
{
    const cli_cmd *cmd = a->cmd;
    const char *query = cli_get(a, "query");
    if (!query) return cli_usage(cmd, "--query TEXT is required for a text index");
    cml_search_opts so = cml_search_opts_default();
    const char *s;
    int rc;
    if ((s = cli_get(a, "mode"))) {
        if (!strcmp(s, "bm25"))
            so.mode = CML_SEARCH_BM25;
        else if (!strcmp(s, "dense"))
            so.mode = CML_SEARCH_DENSE;
        else if (!strcmp(s, "hybrid"))
            so.mode = CML_SEARCH_HYBRID;
        else
            return cli_usage(cmd, "--mode must be bm25, dense or hybrid, got \"%s\"", s);
    }
    if ((s = cli_get(a, "fusion"))) {
        if (!strcmp(s, "rrf"))
            so.fusion = CML_FUSE_RRF;
        else if (!strcmp(s, "weighted"))
            so.fusion = CML_FUSE_WEIGHTED;
        else
            return cli_usage(cmd, "--fusion must be rrf or weighted, got \"%s\"", s);
    }
    if ((s = cli_get(a, "weights"))) {
        char *end;
        so.w_sparse = strtod(s, &end);
        if (*end != ',' || !(so.w_sparse >= 0))
            return cli_usage(cmd, "--weights must be S,D (two numbers >= 0), got \"%s\"", s);
        char *e2;
        so.w_dense = strtod(end + 1, &e2);
        if (*e2 || e2 == end + 1 || !(so.w_dense >= 0))
            return cli_usage(cmd, "--weights must be S,D (two numbers >= 0), got \"%s\"", s);
    }
    if ((s = cli_get(a, "rrf-k"))) {
        char *end;
        so.rrf_k = strtod(s, &end);
        if (*end || end == s || !(so.rrf_k >= 0))
            return cli_usage(cmd, "--rrf-k must be a number >= 0, got \"%s\"", s);
    }
    if ((s = cli_get(a, "depth")) && (rc = cli_parse_i64(cmd, "depth", s, 1, &so.depth))) return rc;
    if ((s = cli_get(a, "ef")) && (rc = cli_parse_i64(cmd, "ef", s, 1, &so.ef))) return rc;
    const char *const *fv;
    int nf = cli_get_all(a, "filter", &fv);
    char **kv = calloc((size_t)(2 * nf + 1), sizeof *kv);
    if (!kv) return cli_fail(CML_ERR_NOMEM);
    for (int i = 0; i < nf; i++) {
        const char *eq = strchr(fv[i], '=');
        if (!eq || eq == fv[i]) {
            for (int j = 0; j < 2 * i; j++)
                free(kv[j]);
            free(kv);
            return cli_usage(cmd, "--filter must be KEY=VALUE, got \"%s\"", fv[i]);
        }
        kv[2 * i] = strndup(fv[i], (size_t)(eq - fv[i]));
        kv[2 * i + 1] = strdup(eq + 1);
    }
    so.filter = (const char *const *)kv;
    so.n_filter = nf;

    cml_retriever *r = NULL;
    int64_t *ids = malloc((size_t)k * sizeof *ids);
    double *sc = malloc((size_t)k * sizeof *sc);
    int64_t found = 0;
    double t0 = cml_now();
    cml_status st = ids && sc ? cml_retriever_open(dir, &r) : CML_ERR_NOMEM;
    double t_open = cml_now() - t0, t_search = 0;
    if (st == CML_OK) {
        t0 = cml_now();
        st = cml_retriever_search(r, query, k, &so, ids, sc, &found);
        t_search = cml_now() - t0;
    }
    if (st != CML_OK) {
        rc = st == CML_ERR_ARG ? cli_fail_usage(st) : cli_fail(st);
        goto done;
    }
    int json = cli_flag(a, "json");
    cml_sb sb;
    cml_sb_init(&sb);
    const char *mode_name = so.mode == CML_SEARCH_BM25    ? "bm25"
                            : so.mode == CML_SEARCH_DENSE ? "dense"
                            : cml_retriever_hnsw(r)       ? "hybrid"
                                                          : "bm25";
    if (json) {
        cml_sb_puts(&sb, "{\"query\":");
        cml_sb_json_str(&sb, query);
        cml_sb_printf(&sb, ",\"mode\":\"%s\",\"k\":%lld,\"results\":[", mode_name, (long long)k);
    }
    int64_t shown = 0;
    for (int64_t i = 0; i < found; i++) {
        cml_chunk_rec rec;
        /* an index entry the store lacks (interrupted add) is skipped */
        if (cml_docstore_get_chunk(cml_retriever_store(r), ids[i], &rec) != CML_OK) continue;
        shown++;
        if (json) {
            cml_sb_printf(&sb, "%s{\"rank\":%lld,\"chunk_id\":%lld,\"doc_id\":%lld,\"score\":",
                          shown > 1 ? "," : "", (long long)shown, (long long)rec.chunk_id,
                          (long long)rec.doc_id);
            cml_sb_json_num(&sb, sc[i]);
            cml_sb_puts(&sb, ",\"source\":");
            cml_sb_json_str(&sb, rec.source);
            cml_sb_puts(&sb, ",\"title\":");
            cml_sb_json_str(&sb, rec.title);
            cml_sb_puts(&sb, ",\"text\":");
            cml_sb_json_str(&sb, rec.text);
            cml_sb_puts(&sb, "}");
        } else {
            cml_sb_printf(&sb, "%2lld. %.4f  %s", (long long)shown, sc[i], rec.source);
            if (rec.title[0]) {
                cml_sb_puts(&sb, " — ");
                snippet(&sb, rec.title, 80);
            }
            cml_sb_printf(&sb, "  [chunk %lld]\n    ", (long long)rec.chunk_id);
            snippet(&sb, rec.text, 160);
            cml_sb_puts(&sb, "\n");
        }
        cml_chunk_rec_free(&rec);
    }
    if (json) {
        cml_sb_printf(&sb, "],\"open_seconds\":%.6f,\"search_seconds\":%.6f}", t_open, t_search);
        cli_json_print(&sb);
    } else {
        char *out = cml_sb_finish(&sb);
        fputs(out ? out : "", stdout);
        if (!shown && !cli_quiet) fprintf(stderr, "cml: no results\n");
        free(out);
    }
    rc = CLI_OK;
done:
    for (int i = 0; i < 2 * nf; i++)
        free(kv[i]);
    free(kv);
    free(ids);
    free(sc);
    cml_retriever_free(r);
    return rc;
}

static int vector_search(const cli_args *a, const char *dir, int64_t k)
{
    const cli_cmd *cmd = a->cmd;
    const char *vs = cli_get(a, "vector"), *qf = cli_get(a, "queries");
    if (!!vs + !!qf != 1)
        return cli_usage(cmd, "a vector index needs --vector V1,V2,... or --queries FILE");
    char p[4096];
    snprintf(p, sizeof p, "%s/hnsw.gguf", dir);
    cml_hnsw *h = NULL;
    double t0 = cml_now();
    cml_status st = cml_hnsw_open(p, &h);
    double t_open = cml_now() - t0;
    if (st != CML_OK) return cli_fail(st);
    int64_t d = cml_hnsw_dim(h), nq = 0, qd = 0;
    float *Q = NULL;
    int rc = CLI_OK;
    if (vs) {
        Q = malloc((size_t)d * sizeof *Q);
        const char *c = vs;
        while (Q && *c) {
            char *end;
            double v = strtod(c, &end);
            if (end == c || qd >= d) {
                rc = cli_usage(cmd, "--vector must be %lld comma-separated numbers", (long long)d);
                goto done;
            }
            Q[qd++] = (float)v;
            c = *end == ',' ? end + 1 : end;
            if (*end && *end != ',') {
                rc = cli_usage(cmd, "--vector must be %lld comma-separated numbers", (long long)d);
                goto done;
            }
        }
        nq = 1;
    } else if ((st = cml_vectors_read(qf, &Q, &nq, &qd)) != CML_OK) {
        rc = cli_fail(st);
        goto done;
    }
    if (qd != d) {
        cli_error("query vectors have %lld values, the index %lld", (long long)qd, (long long)d);
        rc = CLI_USAGE;
        goto done;
    }
    cml_hnsw_query hq = cml_hnsw_query_default();
    const char *s;
    if ((s = cli_get(a, "ef")) && (rc = cli_parse_i64(cmd, "ef", s, 1, &hq.ef))) goto done;
    int64_t *lab = malloc((size_t)(nq * k) * sizeof *lab);
    float *dist = malloc((size_t)(nq * k) * sizeof *dist);
    t0 = cml_now();
    st = lab && dist ? cml_hnsw_search_batch(h, Q, nq, k, &hq, lab, dist) : CML_ERR_NOMEM;
    double t_search = cml_now() - t0;
    if (st != CML_OK) {
        rc = cli_fail(st);
    } else if (cli_flag(a, "json")) {
        cml_sb sb;
        cml_sb_init(&sb);
        cml_sb_printf(&sb, "{\"queries\":%lld,\"k\":%lld,\"results\":[", (long long)nq,
                      (long long)k);
        for (int64_t q = 0; q < nq; q++) {
            cml_sb_puts(&sb, q ? ",{\"labels\":[" : "{\"labels\":[");
            for (int64_t j = 0; j < k; j++)
                cml_sb_printf(&sb, "%s%lld", j ? "," : "", (long long)lab[q * k + j]);
            cml_sb_puts(&sb, "],\"distances\":[");
            for (int64_t j = 0; j < k; j++) {
                if (j) cml_sb_puts(&sb, ",");
                cml_sb_json_num(&sb, dist[q * k + j]);
            }
            cml_sb_puts(&sb, "]}");
        }
        cml_sb_printf(&sb, "],\"open_seconds\":%.6f,\"search_seconds\":%.6f}", t_open, t_search);
        cli_json_print(&sb);
    } else {
        printf("query,rank,label,distance\n");
        for (int64_t q = 0; q < nq; q++)
            for (int64_t j = 0; j < k; j++)
                if (lab[q * k + j] >= 0)
                    printf("%lld,%lld,%lld,%.9g\n", (long long)q, (long long)j + 1,
                           (long long)lab[q * k + j], dist[q * k + j]);
    }
    free(lab);
    free(dist);
done:
    free(Q);
    cml_hnsw_free(h);
    return rc;
}

static int run(const cli_cmd *cmd, int argc, char **argv)
{
    /* -k N is accepted as --k N */
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "-k")) argv[i] = "--k";
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    if (a.n_positional != 1) return cli_usage(cmd, "expected one INDEX folder");
    const char *dir = a.positional[0];
    int64_t k = 10;
    const char *s = cli_get(&a, "k");
    if (s && (rc = cli_parse_i64(cmd, "k", s, 1, &k))) return rc;
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/docs.sqlite", dir);
    if (stat(p, &sb) == 0) return text_search(&a, dir, k);
    snprintf(p, sizeof p, "%s/hnsw.gguf", dir);
    if (stat(p, &sb) == 0) return vector_search(&a, dir, k);
    cli_error("%s: not an index (no docs.sqlite or hnsw.gguf); HINT: cml index build", dir);
    return CLI_RUNTIME;
}

const cli_cmd cli_cmd_search = {
    "search",
    "INDEX --query TEXT [--mode bm25|dense|hybrid] [-k N] [--filter KEY=VALUE]...",
    "search a retrieval index: BM25, dense (HNSW), or hybrid (RRF / weighted fusion)",
    "Text index: prints rank, score, source, title and a snippet per chunk (--json: full "
    "records and timings). Scores: BM25 score, cosine similarity (dense), fused score (hybrid). "
    "Filters keep chunks whose document has every KEY=VALUE (folder indexes: source, title, ext; "
    "CSV indexes: the other columns). Vector index: --vector or --queries, CSV "
    "query,rank,label,distance.",
    opts,
    1,
    run};
