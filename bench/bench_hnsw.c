/*
 * bench_hnsw.c — HNSW benchmark driver: builds an index over base vectors,
 * runs the query set at several ef values and prints one JSON object.
 *
 *   bench_hnsw --base B --queries Q [--gt GT.ivecs] [--k 10] [--M 16]
 *              [--efc 200] [--ef 10,20,40,80,160,320] [--threads N]
 *              [--metric l2|ip|cosine] [--int8] [--save PATH] [--repeat 3]
 *
 * B and Q are .fvecs (int32 dim, then dim f32 per vector: the TEXMEX
 * format) or numeric .csv (header row, all columns are features). GT is
 * .ivecs ground truth (row ids, at least k per query); without it, exact
 * search (cml_index_exact_search) provides it. Recall@k is |found ∩ truth|
 * / k averaged over queries. Query time is the best of --repeat batch runs
 * (cml_hnsw_search_batch over all queries with N threads). With --save,
 * the index is saved, then opened with mmap (open_seconds), and the
 * opened index answers the first ef again (open_recall must equal recall).
 *
 * Output: {"impl":"cml","threads":N,"n":..,"dim":..,"build_seconds":..,
 *          "results":[{"ef":..,"recall":..,"qps":..,"seconds":..},...],
 *          "save_seconds":..,"open_seconds":..,"open_recall":..,"rss_open_kb":..}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/index.h"

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Reads .fvecs / .ivecs (4-byte elements) into a malloc'd (n, dim) array. */
static void *read_vecs(const char *path, int64_t *n, int64_t *dim)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_hnsw: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    int32_t d = 0;
    if (len < 4 || fread(&d, 4, 1, f) != 1 || d <= 0 || len % (4 + 4L * d)) {
        fprintf(stderr, "bench_hnsw: %s: not a vecs file\n", path);
        fclose(f);
        return NULL;
    }
    *dim = d;
    *n = len / (4 + 4L * d);
    char *out = malloc((size_t)(*n * d) * 4);
    fseek(f, 0, SEEK_SET);
    for (int64_t i = 0; i < *n; i++) {
        int32_t dd;
        if (fread(&dd, 4, 1, f) != 1 || dd != d ||
            fread(out + i * d * 4, 4, (size_t)d, f) != (size_t)d) {
            fprintf(stderr, "bench_hnsw: %s: bad row %lld\n", path, (long long)i);
            free(out);
            fclose(f);
            return NULL;
        }
    }
    fclose(f);
    return out;
}

/* Numeric CSV with a header; every column is a feature. */
static float *read_csv(const char *path, int64_t *n, int64_t *dim)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_hnsw: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *line = malloc(cap);
    int c;
    int64_t cols = 1, rows = 0, cap_v = 1 << 16, nv = 0;
    while ((c = fgetc(f)) != EOF && c != '\n')
        cols += c == ',';
    float *v = malloc((size_t)cap_v * 4);
    for (;;) {
        len = 0;
        while ((c = fgetc(f)) != EOF && c != '\n') {
            if (len + 1 >= cap) line = realloc(line, cap *= 2);
            line[len++] = (char)c;
        }
        line[len] = 0;
        if (len == 0 && c == EOF) break;
        if (len == 0) continue;
        char *p = line;
        for (int64_t j = 0; j < cols; j++) {
            if (nv == cap_v) v = realloc(v, (size_t)(cap_v *= 2) * 4);
            v[nv++] = strtof(p, &p);
            if (*p == ',') p++;
        }
        rows++;
    }
    free(line);
    fclose(f);
    *n = rows;
    *dim = cols;
    return v;
}

static float *read_any(const char *path, int64_t *n, int64_t *dim)
{
    if (ends_with(path, ".csv")) return read_csv(path, n, dim);
    return read_vecs(path, n, dim);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char buf[256];
    long kb = -1;
    while (f && fgets(buf, sizeof buf, f))
        if (strncmp(buf, "VmRSS:", 6) == 0) kb = strtol(buf + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

static double recall_at(const int64_t *got, const int32_t *gt, int64_t gt_k, int64_t nq, int64_t k)
{
    double hits = 0;
    for (int64_t q = 0; q < nq; q++)
        for (int64_t j = 0; j < k; j++)
            for (int64_t t = 0; t < k; t++)
                if (got[q * k + j] == gt[q * gt_k + t]) {
                    hits++;
                    break;
                }
    return hits / (double)(nq * k);
}

static int die(const char *what)
{
    fprintf(stderr, "bench_hnsw: %s: %s\n", what, cml_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *base = NULL, *queries = NULL, *gtp = NULL, *save = NULL,
               *efs = "10,20,40,80,160,320";
    const char *metric = "l2";
    int64_t k = 10, M = 16, efc = 200;
    int threads = 1, int8 = 0, repeat = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v && strcmp(a, "--int8") != 0) {
            fprintf(stderr, "bench_hnsw: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--base") == 0)
            base = v;
        else if (strcmp(a, "--queries") == 0)
            queries = v;
        else if (strcmp(a, "--gt") == 0)
            gtp = v;
        else if (strcmp(a, "--save") == 0)
            save = v;
        else if (strcmp(a, "--ef") == 0)
            efs = v;
        else if (strcmp(a, "--metric") == 0)
            metric = v;
        else if (strcmp(a, "--k") == 0)
            k = atoll(v);
        else if (strcmp(a, "--M") == 0)
            M = atoll(v);
        else if (strcmp(a, "--efc") == 0)
            efc = atoll(v);
        else if (strcmp(a, "--threads") == 0)
            threads = atoi(v);
        else if (strcmp(a, "--repeat") == 0)
            repeat = atoi(v);
        else if (strcmp(a, "--int8") == 0) {
            int8 = 1;
            continue;
        } else {
            fprintf(stderr, "bench_hnsw: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (!base || !queries) {
        fprintf(stderr, "usage: bench_hnsw --base B.fvecs --queries Q.fvecs [--gt GT.ivecs] ...\n");
        return 2;
    }
    cml_blas_autotune();
    cml_set_num_threads(threads);
    int64_t n, d, nq, dq, gt_n = 0, gt_k = 0;
    float *X = read_any(base, &n, &d), *Q = read_any(queries, &nq, &dq);
    if (!X || !Q || d != dq) return 1;
    int32_t *gt = NULL;
    if (gtp) {
        gt = read_vecs(gtp, &gt_n, &gt_k);
        if (!gt || gt_n != nq || gt_k < k) return 1;
    }
    cml_hnsw_params p = cml_hnsw_params_default();
    p.dim = d;
    p.M = M;
    p.ef_construction = efc;
    p.max_elements = n;
    if (cml_index_metric_parse(metric, &p.metric) != CML_OK) return die("metric");
    if (!gt) {
        int64_t *l = malloc((size_t)(nq * k) * 8);
        float *dd = malloc((size_t)(nq * k) * 4);
        if (cml_index_exact_search(p.metric, X, n, d, NULL, Q, nq, k, l, dd) != CML_OK)
            return die("exact search");
        gt = malloc((size_t)(nq * k) * 4);
        for (int64_t i = 0; i < nq * k; i++)
            gt[i] = (int32_t)l[i];
        gt_k = k;
        free(l);
        free(dd);
    }
    cml_hnsw *h;
    if (cml_hnsw_create(&p, &h) != CML_OK) return die("create");
    double t0 = cml_now();
    if (cml_hnsw_add(h, X, n, NULL) != CML_OK) return die("add");
    double build = cml_now() - t0;
    if (int8 && cml_hnsw_quantize_int8(h) != CML_OK) return die("quantize");

    int64_t *lab = malloc((size_t)(nq * k) * 8);
    float *dist = malloc((size_t)(nq * k) * 4);
    printf("{\"impl\":\"cml%s\",\"threads\":%d,\"n\":%lld,\"nq\":%lld,\"dim\":%lld,\"M\":%lld,"
           "\"ef_construction\":%lld,\"metric\":\"%s\",\"build_seconds\":%.4f,\"results\":[",
           int8 ? "-int8" : "", threads, (long long)n, (long long)nq, (long long)d, (long long)M,
           (long long)efc, metric, build);
    const char *e = efs;
    int first = 1;
    double first_recall = -1;
    int64_t first_ef = 0;
    while (*e) {
        int64_t ef = strtoll(e, (char **)&e, 10);
        if (*e == ',') e++;
        cml_hnsw_query o = cml_hnsw_query_default();
        o.ef = ef;
        double best = 1e30;
        for (int r = 0; r < repeat; r++) {
            double s = cml_now();
            if (cml_hnsw_search_batch(h, Q, nq, k, &o, lab, dist) != CML_OK) return die("search");
            s = cml_now() - s;
            best = s < best ? s : best;
        }
        double rec = recall_at(lab, gt, gt_k, nq, k);
        if (first) {
            first_recall = rec;
            first_ef = ef;
        }
        printf("%s{\"ef\":%lld,\"recall\":%.5f,\"qps\":%.1f,\"seconds\":%.4f}", first ? "" : ",",
               (long long)ef, rec, (double)nq / best, best);
        first = 0;
        fflush(stdout);
    }
    printf("]");
    if (save) {
        double s = cml_now();
        if (cml_hnsw_save(h, save) != CML_OK) return die("save");
        double save_s = cml_now() - s;
        cml_hnsw_free(h);
        h = NULL;
        long rss0 = rss_kb();
        s = cml_now();
        cml_hnsw *o;
        if (cml_hnsw_open(save, &o) != CML_OK) return die("open");
        double open_s = cml_now() - s;
        long rss1 = rss_kb();
        cml_hnsw_query qo = cml_hnsw_query_default();
        qo.ef = first_ef;
        if (cml_hnsw_search_batch(o, Q, nq, k, &qo, lab, dist) != CML_OK) return die("search");
        printf(",\"save_seconds\":%.4f,\"open_seconds\":%.5f,\"rss_open_kb\":%ld,"
               "\"open_recall\":%.5f,\"first_recall\":%.5f",
               save_s, open_s, rss1 - rss0, recall_at(lab, gt, gt_k, nq, k), first_recall);
        cml_hnsw_free(o);
    }
    printf("}\n");
    cml_hnsw_free(h);
    free(X);
    free(Q);
    free(gt);
    free(lab);
    free(dist);
    return 0;
}
