/*
 * course_exp_index.c — the vector-databases lesson: Fashion-MNIST images
 * as 784-dimensional vectors (pixels scaled to [0, 1]) in cml's HNSW index
 * (include/cml/index.h), queried with test images. Exact search on the
 * same vectors (BLAS-screened brute force) gives the true 10 nearest
 * neighbours; recall@10 is the share of them the index returns.
 *
 * Two graphs, sparse (M = 8) and dense (M = 24), each queried with ef from
 * 10 to 320: recall@10 and queries per second per setting, build times,
 * and one brute-force pass over the queries for reference. Full run:
 * 10,000 indexed images and 500 queries; --quick: 1,000 and 50. Recall
 * varies slightly between runs: cml_hnsw_add inserts in parallel, so the
 * graph depends on thread timing.
 */
#include <stdlib.h>
#include <string.h>

#include "course_exp.h"

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

static float *to_f32(const double *v, int64_t n)
{
    float *f = malloc(sizeof *f * (size_t)n);
    if (f)
        for (int64_t i = 0; i < n; i++)
            f[i] = (float)v[i];
    return f;
}

/* Share of true neighbours found, over nq queries of k each. */
static double recall_at(const int64_t *found, const int64_t *truth, int64_t nq, int64_t k)
{
    int64_t hit = 0;
    for (int64_t q = 0; q < nq; q++)
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < k; j++)
                if (found[q * k + i] == truth[q * k + j]) {
                    hit++;
                    break;
                }
    return (double)hit / (double)(nq * k);
}

static cml_status exp_vector_databases(course_run *r)
{
    enum { K = 10, NEF = 6 };
    static const int64_t efs[NEF] = {10, 20, 40, 80, 160, 320};
    static const int64_t Ms[2] = {8, 24};
    int64_t n = r->quick ? 1000 : 10000, nq = r->quick ? 50 : 500, p = 0;
    double *Xtr = NULL, *ytr = NULL, *Xte = NULL, *yte = NULL;
    float *X = NULL, *Q = NULL, *dist = NULL;
    int64_t *truth = NULL, *found = NULL;
    cml_hnsw *h = NULL;
    double xs[NEF], recall[2 * NEF], qps[2 * NEF];
    cr_progress(r, 0.02, "loading Fashion-MNIST");
    cml_status st = cr_load_fashion(n, nq, &Xtr, &ytr, &Xte, &yte, &p);
    if (st != CML_OK) return st;
    X = to_f32(Xtr, n * p);
    Q = to_f32(Xte, nq * p);
    truth = malloc(sizeof *truth * (size_t)(nq * K));
    found = malloc(sizeof *found * (size_t)(nq * K));
    dist = malloc(sizeof *dist * (size_t)(nq * K));
    if (!X || !Q || !truth || !found || !dist) {
        st = oom();
        goto done;
    }
    double t0 = cml_now();
    if ((st = cml_index_exact_search(CML_METRIC_L2, X, n, p, NULL, Q, nq, K, truth, dist)))
        goto done;
    double exact_s = cml_now() - t0;
    static const char *const cols[] = {"M", "ef", "recall@10", "queries per second"};
    if ((st = cr_table(r, 4, cols))) goto done;
    double build_s[2];
    for (int g = 0; g < 2; g++) {
        cml_hnsw_params hp = cml_hnsw_params_default();
        hp.dim = p;
        hp.M = Ms[g];
        hp.max_elements = n;
        hp.ef_construction =
            100; /* half the default: recall stays high here, the build twice as fast */
        cr_progress(r, 0.1 + 0.45 * g, "building HNSW with M = %lld over %lld images",
                    (long long)Ms[g], (long long)n);
        t0 = cml_now();
        if ((st = cml_hnsw_create(&hp, &h)) || (st = cml_hnsw_add(h, X, n, NULL))) goto done;
        build_s[g] = cml_now() - t0;
        for (int e = 0; e < NEF; e++) {
            cml_hnsw_query q = cml_hnsw_query_default();
            q.ef = efs[e];
            t0 = cml_now();
            if ((st = cml_hnsw_search_batch(h, Q, nq, K, &q, found, dist))) goto done;
            double secs = cml_now() - t0;
            xs[e] = (double)efs[e];
            recall[g * NEF + e] = recall_at(found, truth, nq, K);
            qps[g * NEF + e] = secs > 0 ? (double)nq / secs : 0;
            if ((st = cr_row(r, "%lld\t%lld\t%.3f\t%.0f", (long long)Ms[g], (long long)efs[e],
                             recall[g * NEF + e], qps[g * NEF + e])))
                goto done;
        }
        cml_hnsw_free(h);
        h = NULL;
    }
    /* the headline: the dense graph at ef = 40, and where each reaches 0.99 */
    if ((st = cr_metric(r, "recall_at_10", "recall@10, M = 24, ef = 40", recall[NEF + 2])) ||
        (st = cr_metric(r, "recall_at_10_sparse", "recall@10, M = 8, ef = 40", recall[2])) ||
        (st =
             cr_metric(r, "qps_dense_ef40", "queries per second, M = 24, ef = 40", qps[NEF + 2])) ||
        (st = cr_metric(r, "qps_exact", "queries per second, exact search",
                        exact_s > 0 ? (double)nq / exact_s : 0)) ||
        (st = cr_metric(r, "build_seconds_dense", "build time, M = 24 (seconds)", build_s[1])) ||
        (st = cr_metric(r, "build_seconds_sparse", "build time, M = 8 (seconds)", build_s[0])))
        goto done;
    for (int g = 0; g < 2; g++) {
        int e99 = -1;
        for (int e = NEF - 1; e >= 0; e--)
            if (recall[g * NEF + e] >= 0.99) e99 = e;
        if (e99 >= 0)
            st = cr_note(r,
                         "M = %lld reaches recall@10 >= 0.99 at ef = %lld, answering %.0f "
                         "queries per second (exact search: %.0f).",
                         (long long)Ms[g], (long long)efs[e99], qps[g * NEF + e99],
                         (double)nq / exact_s);
        else
            st = cr_note(r, "M = %lld stays below recall@10 0.99 up to ef = %lld (%.3f).",
                         (long long)Ms[g], (long long)efs[NEF - 1], recall[g * NEF + NEF - 1]);
        if (st) goto done;
    }
    if ((st = cr_note(r,
                      "Building the graphs took %.2f s (M = 8) and %.2f s (M = 24); one exact "
                      "pass over the %lld queries took %.3f s.",
                      build_s[0], build_s[1], (long long)nq, exact_s)))
        goto done;
    static const char *const sn[] = {"M = 8", "M = 24"};
    char title[128];
    snprintf(title, sizeof title, "HNSW on %lld Fashion-MNIST images: recall@10 vs ef",
             (long long)n);
    if ((st = cml_plot_lines(cr_path(r, "recall_vs_ef.png"), xs, recall, 2, NEF, sn, title,
                             "ef (candidate list size)", "recall@10")) ||
        (st = cr_plot(r, "recall_vs_ef.png", "Recall@10 vs ef for a sparse and a dense graph")) ||
        (st = cml_plot_lines(cr_path(r, "qps_vs_ef.png"), xs, qps, 2, NEF, sn,
                             "HNSW: queries per second vs ef", "ef (candidate list size)",
                             "queries per second")) ||
        (st = cr_plot(r, "qps_vs_ef.png", "Query speed vs ef")))
        goto done;
done:
    cml_hnsw_free(h);
    free(Xtr);
    free(ytr);
    free(Xte);
    free(yte);
    free(X);
    free(Q);
    free(truth);
    free(found);
    free(dist);
    return st;
}

const course_experiment course_exp_vector_databases = {"vector-databases", "fashion-mnist",
                                                       exp_vector_databases};
