/*
 * test_hnsw.c — the vector index on real data (digits, 1797 x 64): SIMD
 * distance kernels against a double-precision reference; exact search
 * against a naive double-precision scan; HNSW recall@10 against exact
 * search for every metric, 1 and 2 threads; filtered search (bitmap and
 * predicate) at 10% selectivity; delete, slot reuse, replace; int8
 * quantization with and without re-ranking; save -> load / open (mmap)
 * giving identical results; corrupt files rejected; parameter and input
 * errors; determinism with one thread.
 *
 * Recall is tie-aware: digits are small integers, so many neighbours tie
 * exactly; a returned label counts when its true distance is <= the k-th
 * exact distance.
 */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/index.h"
#include "golden.h"
#include "index/hnsw_internal.h"
#include "index/kernels.h"

#define K 10

typedef struct data {
    float *X; /* (n, d) */
    int64_t n, d;
} data;

static data load_digits(void)
{
    double *X, *y;
    int64_t rows, cols;
    test_load_dataset("digits", &X, &rows, &cols, &y);
    data D = {malloc((size_t)(rows * cols) * sizeof(float)), rows, cols};
    for (int64_t i = 0; i < rows * cols; i++)
        D.X[i] = (float)X[i];
    free(X);
    free(y);
    return D;
}

static double ref_dist(cml_index_metric m, const float *a, const float *b, int64_t d)
{
    double s = 0, na = 0, nb = 0;
    for (int64_t j = 0; j < d; j++) {
        if (m == CML_METRIC_L2)
            s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
        else
            s += (double)a[j] * b[j];
        na += (double)a[j] * a[j];
        nb += (double)b[j] * b[j];
    }
    if (m == CML_METRIC_L2) return s;
    if (m == CML_METRIC_IP) return 1 - s;
    return 1 - s / ((sqrt(na) + 1e-30) * (sqrt(nb) + 1e-30));
}

/* Tie-aware recall@k of got (nq, k) labels = row indices into base. */
static double recall(cml_index_metric m, const float *base, int64_t n, const float *Q, int64_t nq,
                     int64_t d, const int64_t *got, const int64_t *allowed_rows_mask_or_null,
                     const unsigned char *allow)
{
    (void)allowed_rows_mask_or_null;
    double hits = 0, total = 0;
    double *dist = malloc((size_t)n * sizeof(double));
    for (int64_t q = 0; q < nq; q++) {
        int64_t na = 0;
        for (int64_t i = 0; i < n; i++) {
            if (allow && !allow[i]) continue;
            dist[na++] = ref_dist(m, Q + q * d, base + i * d, d);
        }
        /* k-th smallest by partial selection sort (n is small) */
        int64_t kk = K < na ? K : na;
        for (int64_t a = 0; a < kk; a++)
            for (int64_t b = a + 1; b < na; b++)
                if (dist[b] < dist[a]) {
                    double t = dist[a];
                    dist[a] = dist[b];
                    dist[b] = t;
                }
        double kth = kk ? dist[kk - 1] : 0;
        for (int64_t j = 0; j < kk; j++) {
            int64_t l = got[q * K + j];
            if (l >= 0 && l < n && (!allow || allow[l]) &&
                ref_dist(m, Q + q * d, base + l * d, d) <= kth + 1e-6 * (1 + fabs(kth)))
                hits++;
        }
        total += (double)kk;
    }
    free(dist);
    return total ? hits / total : 1.0;
}

/* Base = first NB rows of digits, queries = the rest. */
#define NB 1497

static cml_hnsw *build(const data *D, cml_index_metric m, int64_t M, int threads)
{
    cml_hnsw_params p = cml_hnsw_params_default();
    p.dim = D->d;
    p.metric = m;
    p.M = M;
    p.max_elements = NB;
    cml_hnsw *h = NULL;
    cml_set_num_threads(threads);
    assert_int_equal(cml_hnsw_create(&p, &h), CML_OK);
    assert_int_equal(cml_hnsw_add(h, D->X, NB, NULL), CML_OK);
    cml_set_num_threads(0);
    assert_int_equal(cml_hnsw_size(h), NB);
    return h;
}

static double hnsw_recall(const data *D, const cml_hnsw *h, cml_index_metric m, int64_t ef,
                          const cml_hnsw_query *base_opt)
{
    int64_t nq = D->n - NB;
    int64_t *lab = malloc((size_t)(nq * K) * sizeof *lab);
    float *dist = malloc((size_t)(nq * K) * sizeof *dist);
    cml_hnsw_query o = base_opt ? *base_opt : cml_hnsw_query_default();
    o.ef = ef;
    assert_int_equal(cml_hnsw_search_batch(h, D->X + NB * D->d, nq, K, &o, lab, dist), CML_OK);
    for (int64_t q = 0; q < nq; q++)
        for (int j = 1; j < K; j++)
            assert_true(dist[q * K + j - 1] <= dist[q * K + j]);
    double r = recall(m, D->X, NB, D->X + NB * D->d, nq, D->d, lab, NULL, NULL);
    free(lab);
    free(dist);
    return r;
}

/* ---------------------------------------------------------------- kernels */

static void test_kernels(void **state)
{
    (void)state;
    const int64_t dims[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 784};
    cml_rng rng;
    cml_rng_seed(&rng, 1);
    int tested = 0;
    for (int v = 0; v < 3; v++) {
        const cml_index_kernels *k = cml_index_kernels_variant(v);
        if (!k) continue;
        tested++;
        for (size_t t = 0; t < sizeof dims / sizeof *dims; t++) {
            int64_t d = dims[t];
            float *a = malloc((size_t)d * 4), *b = malloc((size_t)d * 4),
                  *s = malloc((size_t)d * 4);
            uint8_t *c = malloc((size_t)d);
            for (int64_t j = 0; j < d; j++) {
                a[j] = (float)cml_rng_normal(&rng);
                b[j] = (float)cml_rng_normal(&rng);
                s[j] = (float)cml_rng_uniform(&rng) * 0.1f;
                c[j] = (uint8_t)cml_rng_below(&rng, 256);
            }
            double l2 = 0, dot = 0, l2u = 0, dotu = 0, mag = 0, magu = 0;
            for (int64_t j = 0; j < d; j++) {
                l2 += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
                dot += (double)a[j] * b[j];
                mag += fabs((double)a[j] * b[j]);
                double x = (double)a[j] - (double)s[j] * c[j];
                l2u += x * x;
                dotu += (double)s[j] * c[j];
                magu += fabs((double)s[j] * c[j]);
            }
            double tol = 1e-5 * (double)d;
            assert_true(fabs(k->l2_f32(a, b, d) - l2) <= tol * l2 + 1e-6);
            assert_true(fabs(k->dot_f32(a, b, d) - dot) <= tol * mag + 1e-6);
            assert_true(fabs(k->l2_u8(a, s, c, d) - l2u) <= tol * l2u + 1e-6);
            assert_true(fabs(k->dot_u8(s, c, d) - dotu) <= tol * magu + 1e-6);
            free(a);
            free(b);
            free(s);
            free(c);
        }
    }
    assert_true(tested >= 1);
    assert_non_null(cml_index_kernels_best());
}

/* ---------------------------------------------------------------- exact */

static void test_exact(void **state)
{
    (void)state;
    data D = load_digits();
    int64_t nq = D.n - NB;
    int64_t *lab = malloc((size_t)(nq * K) * sizeof *lab);
    float *dist = malloc((size_t)(nq * K) * sizeof *dist);
    for (int m = 0; m < 3; m++) {
        assert_int_equal(cml_index_exact_search((cml_index_metric)m, D.X, NB, D.d, NULL,
                                                D.X + NB * D.d, nq, K, lab, dist),
                         CML_OK);
        assert_true(
            recall((cml_index_metric)m, D.X, NB, D.X + NB * D.d, nq, D.d, lab, NULL, NULL) == 1.0);
        for (int64_t q = 0; q < nq; q++)
            for (int j = 0; j < K; j++) {
                double r = ref_dist((cml_index_metric)m, D.X + (NB + q) * D.d,
                                    D.X + lab[q * K + j] * D.d, D.d);
                assert_true(fabs(dist[q * K + j] - r) <= 1e-4 * (1 + fabs(r)));
                if (j) assert_true(dist[q * K + j - 1] <= dist[q * K + j]);
            }
    }
    /* k > n pads with -1 / inf; labels are mapped */
    int64_t labels[3] = {100, 200, 300};
    int64_t l5[5];
    float d5[5];
    assert_int_equal(cml_index_exact_search(CML_METRIC_L2, D.X, 3, D.d, labels, D.X, 1, 5, l5, d5),
                     CML_OK);
    assert_int_equal(l5[0], 100);
    assert_true(d5[0] == 0.0f);
    assert_int_equal(l5[3], -1);
    assert_true(isinf(d5[4]));
    assert_int_equal(cml_index_exact_search(CML_METRIC_L2, D.X, 3, D.d, NULL, D.X, 1, 0, l5, d5),
                     CML_ERR_ARG);
    free(lab);
    free(dist);
    free(D.X);
}

/* ---------------------------------------------------------------- recall */

static void test_recall_metrics(void **state)
{
    (void)state;
    data D = load_digits();
    for (int m = 0; m < 3; m++) {
        cml_hnsw *h = build(&D, (cml_index_metric)m, 16, 1);
        double r100 = hnsw_recall(&D, h, (cml_index_metric)m, 100, NULL);
        double r10 = hnsw_recall(&D, h, (cml_index_metric)m, 10, NULL);
        printf("metric %s: recall@10 ef=10 %.4f ef=100 %.4f\n",
               cml_index_metric_name((cml_index_metric)m), r10, r100);
        assert_true(r100 >= 0.99);
        assert_true(r10 <= r100 + 1e-9);
        cml_hnsw_free(h);
    }
    /* two threads: graph may differ, recall must not */
    cml_hnsw *h = build(&D, CML_METRIC_L2, 16, 2);
    double r = hnsw_recall(&D, h, CML_METRIC_L2, 100, NULL);
    printf("2 threads l2: recall@10 ef=100 %.4f\n", r);
    assert_true(r >= 0.99);
    cml_hnsw_free(h);
    free(D.X);
}

static void test_determinism(void **state)
{
    (void)state;
    data D = load_digits();
    cml_hnsw *a = build(&D, CML_METRIC_L2, 8, 1), *b = build(&D, CML_METRIC_L2, 8, 1);
    int64_t nq = D.n - NB;
    int64_t *la = malloc((size_t)(nq * K) * 8), *lb = malloc((size_t)(nq * K) * 8);
    float *da = malloc((size_t)(nq * K) * 4), *db = malloc((size_t)(nq * K) * 4);
    cml_hnsw_query o = cml_hnsw_query_default();
    o.ef = 20;
    assert_int_equal(cml_hnsw_search_batch(a, D.X + NB * D.d, nq, K, &o, la, da), CML_OK);
    assert_int_equal(cml_hnsw_search_batch(b, D.X + NB * D.d, nq, K, &o, lb, db), CML_OK);
    assert_memory_equal(la, lb, (size_t)(nq * K) * 8);
    assert_memory_equal(da, db, (size_t)(nq * K) * 4);
    /* single-query API gives the batch's answer */
    int64_t l1[K], found;
    float d1[K];
    assert_int_equal(cml_hnsw_search(a, D.X + (NB + 5) * D.d, K, &o, l1, d1, &found), CML_OK);
    assert_int_equal(found, K);
    assert_memory_equal(l1, la + 5 * K, sizeof l1);
    cml_hnsw_free(a);
    cml_hnsw_free(b);
    free(la);
    free(lb);
    free(da);
    free(db);
    free(D.X);
}

/* A parallel build must leave every node reachable: a search for a node's
 * own vector with ef >= n explores everything reachable, so the node comes
 * back (up to exact duplicates at distance 0). Regression test: a node found
 * at a level before its own insertion had connected it there used to lose
 * the links other threads had added to it, orphaning them. */
static void test_parallel_build_reachable(void **state)
{
    (void)state;
    data D = load_digits();
    const int64_t n = 200;
    int64_t lab[K];
    float dist[K];
    int64_t found;
    for (int rep = 0; rep < 12; rep++) {
        cml_hnsw_params p = cml_hnsw_params_default();
        p.dim = D.d;
        p.M = 16;
        p.ef_construction = 200;
        p.max_elements = n;
        p.random_state = (uint64_t)rep;
        cml_hnsw *h = NULL;
        cml_set_num_threads(2);
        assert_int_equal(cml_hnsw_create(&p, &h), CML_OK);
        assert_int_equal(cml_hnsw_add(h, D.X, n, NULL), CML_OK);
        cml_set_num_threads(0);
        cml_hnsw_query o = cml_hnsw_query_default();
        o.ef = n;
        int64_t lost = 0;
        for (int64_t i = 0; i < n; i++) {
            assert_int_equal(cml_hnsw_search(h, D.X + i * D.d, K, &o, lab, dist, &found), CML_OK);
            int hit = dist[K - 1] == 0.0f;
            for (int j = 0; j < K && !hit; j++)
                hit = lab[j] == i;
            lost += !hit;
        }
        if (lost)
            fail_msg("build %d (2 threads): %lld of %lld nodes unreachable", rep, (long long)lost,
                     (long long)n);
        cml_hnsw_free(h);
    }
    free(D.X);
}

/* ---------------------------------------------------------------- filter */

static int allow_mod10(int64_t label, void *user)
{
    return label % 10 == *(int *)user;
}

static void test_filter(void **state)
{
    (void)state;
    data D = load_digits();
    cml_hnsw *h = build(&D, CML_METRIC_L2, 16, 2);
    int64_t nq = D.n - NB;
    unsigned char *allow = calloc(NB, 1);
    uint64_t bitmap[(NB + 63) / 64] = {0};
    for (int64_t i = 0; i < NB; i++)
        if (i % 10 == 3) {
            allow[i] = 1;
            bitmap[i / 64] |= 1ull << (i % 64);
        }
    int64_t *lab = malloc((size_t)(nq * K) * 8), *lab2 = malloc((size_t)(nq * K) * 8);
    float *dist = malloc((size_t)(nq * K) * 4), *dist2 = malloc((size_t)(nq * K) * 4);
    cml_hnsw_filter f = {NULL, NULL, bitmap, NB};
    cml_hnsw_query o = cml_hnsw_query_default();
    o.ef = 100;
    o.filter = &f;
    assert_int_equal(cml_hnsw_search_batch(h, D.X + NB * D.d, nq, K, &o, lab, dist), CML_OK);
    for (int64_t i = 0; i < nq * K; i++)
        assert_true(lab[i] >= 0 && lab[i] % 10 == 3);
    double r = recall(CML_METRIC_L2, D.X, NB, D.X + NB * D.d, nq, D.d, lab, NULL, allow);
    printf("filtered (10%%) recall@10 ef=100: %.4f\n", r);
    assert_true(r >= 0.95);
    /* the predicate gives the bitmap's answer */
    int three = 3;
    cml_hnsw_filter fp = {allow_mod10, &three, NULL, 0};
    o.filter = &fp;
    assert_int_equal(cml_hnsw_search_batch(h, D.X + NB * D.d, nq, K, &o, lab2, dist2), CML_OK);
    assert_memory_equal(lab, lab2, (size_t)(nq * K) * 8);
    /* an empty filter returns nothing */
    cml_hnsw_filter none = {NULL, NULL, bitmap, 0};
    o.filter = &none;
    int64_t found = -1;
    assert_int_equal(cml_hnsw_search(h, D.X, K, &o, lab, dist, &found), CML_OK);
    assert_int_equal(found, 0);
    assert_int_equal(lab[0], -1);
    cml_hnsw_free(h);
    free(allow);
    free(lab);
    free(lab2);
    free(dist);
    free(dist2);
    free(D.X);
}

/* ---------------------------------------------------------------- delete */

static void test_delete_reuse(void **state)
{
    (void)state;
    data D = load_digits();
    cml_hnsw *h = build(&D, CML_METRIC_L2, 16, 2);
    int64_t nq = D.n - NB;
    unsigned char *allow = malloc(NB);
    for (int64_t i = 0; i < NB; i++) {
        allow[i] = i % 5 != 0;
        if (!allow[i]) assert_int_equal(cml_hnsw_mark_deleted(h, i), CML_OK);
    }
    assert_int_equal(cml_hnsw_mark_deleted(h, 0), CML_ERR_ARG); /* twice */
    assert_int_equal(cml_hnsw_mark_deleted(h, 99999), CML_ERR_ARG);
    assert_int_equal(cml_hnsw_size(h), NB - 300);
    assert_int_equal(cml_hnsw_n_deleted(h), 300);
    int64_t *lab = malloc((size_t)(nq * K) * 8);
    float *dist = malloc((size_t)(nq * K) * 4);
    cml_hnsw_query o = cml_hnsw_query_default();
    o.ef = 100;
    assert_int_equal(cml_hnsw_search_batch(h, D.X + NB * D.d, nq, K, &o, lab, dist), CML_OK);
    for (int64_t i = 0; i < nq * K; i++)
        assert_true(lab[i] % 5 != 0);
    double r = recall(CML_METRIC_L2, D.X, NB, D.X + NB * D.d, nq, D.d, lab, NULL, allow);
    printf("after deleting 20%%: recall@10 %.4f\n", r);
    assert_true(r >= 0.98);

    /* Re-add the deleted vectors under new labels: they take the deleted
     * slots (the index is full: a fresh slot would be an error). */
    float *re = malloc((size_t)(300 * D.d) * 4);
    int64_t relab[300];
    for (int64_t i = 0; i < 300; i++) {
        memcpy(re + i * D.d, D.X + (i * 5) * D.d, (size_t)D.d * 4);
        relab[i] = 10000 + i * 5;
    }
    assert_int_equal(cml_hnsw_add(h, re, 300, relab), CML_OK);
    assert_int_equal(cml_hnsw_size(h), NB);
    assert_int_equal(cml_hnsw_n_deleted(h), 0);
    assert_int_equal(cml_hnsw_capacity(h), NB);
    /* full now: one more is an error that names resize */
    int64_t extra = 777777;
    assert_int_equal(cml_hnsw_add(h, D.X, 1, &extra), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "resize"));
    assert_int_equal(cml_hnsw_search_batch(h, D.X + NB * D.d, nq, K, &o, lab, dist), CML_OK);
    for (int64_t i = 0; i < nq * K; i++)
        if (lab[i] >= 10000) lab[i] -= 10000; /* back to row numbers */
    r = recall(CML_METRIC_L2, D.X, NB, D.X + NB * D.d, nq, D.d, lab, NULL, NULL);
    printf("after re-adding into reused slots: recall@10 %.4f\n", r);
    assert_true(r >= 0.98);

    /* Replacing a live label moves its vector: searching the new vector
     * finds it at distance 0. */
    int64_t l7 = 7;
    const float *q = D.X + (NB + 1) * D.d;
    assert_int_equal(cml_hnsw_add(h, q, 1, &l7), CML_OK);
    int64_t l1[K];
    float d1[K];
    assert_int_equal(cml_hnsw_search(h, q, K, &o, l1, d1, NULL), CML_OK);
    assert_true(d1[0] == 0.0f);
    int seen7 = 0;
    for (int j = 0; j < K; j++)
        seen7 |= l1[j] == 7 && d1[j] == 0.0f;
    assert_true(seen7);
    float v[64];
    assert_int_equal(cml_hnsw_get_vector(h, 7, v), 1);
    assert_memory_equal(v, q, sizeof v);
    assert_int_equal(cml_hnsw_get_vector(h, 424242, v), 0);

    /* resize then add fresh */
    assert_int_equal(cml_hnsw_resize(h, 10), CML_ERR_ARG);
    assert_int_equal(cml_hnsw_resize(h, NB + 10), CML_OK);
    assert_int_equal(cml_hnsw_add(h, D.X, 1, &extra), CML_OK);
    assert_int_equal(cml_hnsw_size(h), NB + 1);
    cml_hnsw_free(h);
    free(re);
    free(allow);
    free(lab);
    free(dist);
    free(D.X);
}

/* ---------------------------------------------------------------- int8 */

static void test_quantized(void **state)
{
    (void)state;
    data D = load_digits();
    for (int m = 0; m < 3; m += 2) {
        cml_hnsw *h = build(&D, (cml_index_metric)m, 16, 2);
        double rf = hnsw_recall(&D, h, (cml_index_metric)m, 100, NULL);
        assert_int_equal(cml_hnsw_quantize_int8(h), CML_OK);
        assert_true(cml_hnsw_is_quantized(h));
        cml_hnsw_query o = cml_hnsw_query_default();
        double rr = hnsw_recall(&D, h, (cml_index_metric)m, 100, &o);
        o.rerank = 0;
        double rq = hnsw_recall(&D, h, (cml_index_metric)m, 100, &o);
        printf("%s: f32 %.4f  int8+rerank %.4f  int8 only %.4f\n",
               cml_index_metric_name((cml_index_metric)m), rf, rr, rq);
        assert_true(rr >= 0.98);
        assert_true(rq >= 0.90);
        o.use_int8 = 0;
        assert_true(hnsw_recall(&D, h, (cml_index_metric)m, 100, &o) == rf);
        cml_hnsw_free(h);
    }
    free(D.X);
}

/* ---------------------------------------------------------------- I/O */

static void same_results(const data *D, const cml_hnsw *a, const cml_hnsw *b)
{
    int64_t nq = D->n - NB;
    int64_t *la = malloc((size_t)(nq * K) * 8), *lb = malloc((size_t)(nq * K) * 8);
    float *da = malloc((size_t)(nq * K) * 4), *db = malloc((size_t)(nq * K) * 4);
    cml_hnsw_query o = cml_hnsw_query_default();
    o.ef = 40;
    assert_int_equal(cml_hnsw_search_batch(a, D->X + NB * D->d, nq, K, &o, la, da), CML_OK);
    assert_int_equal(cml_hnsw_search_batch(b, D->X + NB * D->d, nq, K, &o, lb, db), CML_OK);
    assert_memory_equal(la, lb, (size_t)(nq * K) * 8);
    assert_memory_equal(da, db, (size_t)(nq * K) * 4);
    free(la);
    free(lb);
    free(da);
    free(db);
}

static char *read_all(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)*len);
    assert_int_equal(fread(b, 1, (size_t)*len, f), (size_t)*len);
    fclose(f);
    return b;
}

static void write_all(const char *path, const char *b, long len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
}

static void test_save_open(void **state)
{
    (void)state;
    data D = load_digits();
    char path[64], bad[64];
    snprintf(path, sizeof path, "/tmp/cml_test_hnsw_%d.gguf", (int)getpid());
    snprintf(bad, sizeof bad, "/tmp/cml_test_hnsw_bad_%d.gguf", (int)getpid());
    for (int quant = 0; quant < 2; quant++) {
        cml_hnsw *h = build(&D, CML_METRIC_COSINE, 16, 2);
        for (int64_t i = 0; i < 50; i++)
            assert_int_equal(cml_hnsw_mark_deleted(h, i * 7), CML_OK);
        if (quant) assert_int_equal(cml_hnsw_quantize_int8(h), CML_OK);
        assert_int_equal(cml_hnsw_save(h, path), CML_OK);
        cml_hnsw *o = NULL, *l = NULL;
        assert_int_equal(cml_hnsw_open(path, &o), CML_OK);
        assert_int_equal(cml_hnsw_load(path, &l), CML_OK);
        assert_int_equal(cml_hnsw_size(o), NB - 50);
        assert_int_equal(cml_hnsw_is_quantized(o), quant);
        assert_int_equal(cml_hnsw_capacity(o), NB);
        same_results(&D, h, o);
        same_results(&D, h, l);
        /* the opened index becomes mutable on its first change, and then
         * keeps answering as the original does after the same change */
        assert_int_equal(cml_hnsw_mark_deleted(o, 1), CML_OK);
        assert_int_equal(cml_hnsw_mark_deleted(h, 1), CML_OK);
        same_results(&D, h, o);
        assert_int_equal(cml_hnsw_add(o, D.X + 7 * D.d, 1, (int64_t[]){7}), CML_OK);
        assert_int_equal(cml_hnsw_add(h, D.X + 7 * D.d, 1, (int64_t[]){7}), CML_OK);
        same_results(&D, h, o);
        cml_hnsw_free(o);
        cml_hnsw_free(l);
        cml_hnsw_free(h);
    }

    /* Corruption: the original file, then damaged copies. */
    long len;
    char *orig = read_all(path, &len);
    cml_hnsw *x = NULL;
    /* truncated anywhere: rejected by open and load */
    const long cuts[] = {0, 3, 20, 200, len / 3, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_all(bad, orig, cuts[i]);
        cml_status s1 = cml_hnsw_open(bad, &x);
        assert_true(s1 == CML_ERR_FORMAT);
        assert_null(x);
        assert_true(cml_hnsw_load(bad, &x) == CML_ERR_FORMAT);
    }
    /* targeted: a neighbour id out of range, and a link count too large,
     * written where the file holds node 0's level-0 list */
    {
        cml_hnsw *o;
        assert_int_equal(cml_hnsw_open(path, &o), CML_OK);
        size_t rl = (size_t)(o->M0 + 1) * sizeof(int32_t);
        int32_t *row = malloc(rl);
        memcpy(row, o->links0, rl);
        assert_true(row[0] > 0);
        cml_hnsw_free(o);
        char *at = memmem(orig, (size_t)len, row, rl);
        assert_non_null(at);
        char *c = malloc((size_t)len);
        const int32_t bad_vals[][2] = {{1, NB + 5}, {1, -3}, {0, 1000}};
        for (int v = 0; v < 3; v++) {
            memcpy(c, orig, (size_t)len);
            int32_t val = bad_vals[v][1];
            memcpy(c + (at - orig) + 4 * bad_vals[v][0], &val, 4);
            write_all(bad, c, len);
            assert_int_equal(cml_hnsw_open(bad, &x), CML_ERR_FORMAT);
            assert_null(x);
            assert_int_equal(cml_hnsw_load(bad, &x), CML_ERR_FORMAT); /* CRC or graph check */
        }
        free(c);
        free(row);
    }
    /* byte flips over the whole file: open never crashes; with the CRC,
     * load rejects every flip in the tensor data */
    int rejected = 0, total = 0;
    for (long pos = 0; pos < len; pos += len / 400 + 1) {
        char *c = malloc((size_t)len);
        memcpy(c, orig, (size_t)len);
        c[pos] = (char)(c[pos] ^ 0x5a);
        write_all(bad, c, len);
        cml_status st = cml_hnsw_open(bad, &x);
        if (st == CML_OK) {
            int64_t l1[K];
            float d1[K];
            assert_int_equal(cml_hnsw_search(x, D.X, K, NULL, l1, d1, NULL), CML_OK);
            cml_hnsw_free(x);
        } else {
            assert_true(st == CML_ERR_FORMAT || st == CML_ERR_VERSION || st == CML_ERR_UNSUPPORTED);
        }
        st = cml_hnsw_load(bad, &x);
        total++;
        if (st != CML_OK) rejected++;
        cml_hnsw_free(x);
        free(c);
    }
    printf("byte flips: load rejected %d of %d\n", rejected, total);
    assert_true(rejected >= total * 9 / 10);
    /* not an index */
    write_all(bad, "GGUF", 4);
    assert_int_equal(cml_hnsw_open(bad, &x), CML_ERR_FORMAT);
    assert_int_equal(cml_hnsw_open("/nonexistent/x.gguf", &x), CML_ERR_IO);
    free(orig);
    unlink(path);
    unlink(bad);
    free(D.X);
}

/* ---------------------------------------------------------------- errors */

static void test_errors(void **state)
{
    (void)state;
    cml_hnsw_params p = cml_hnsw_params_default();
    cml_hnsw *h = NULL;
    assert_int_equal(cml_hnsw_create(&p, &h), CML_ERR_ARG); /* dim 0 */
    assert_non_null(strstr(cml_last_error(), "dim"));
    p.dim = 4;
    p.M = 1;
    assert_int_equal(cml_hnsw_create(&p, &h), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "M must be"));
    p.M = 16;
    p.ef_construction = 0;
    assert_non_null(cml_hnsw_params_check(&p));
    p.ef_construction = 200;
    p.metric = (cml_index_metric)7;
    assert_int_equal(cml_hnsw_create(&p, &h), CML_ERR_ARG);
    p.metric = CML_METRIC_IP;
    p.max_elements = 4;
    assert_int_equal(cml_hnsw_create(&p, &h), CML_OK);
    cml_index_metric m;
    assert_int_equal(cml_index_metric_parse("dot", &m), CML_ERR_ARG);
    assert_int_equal(cml_index_metric_parse("cosine", &m), CML_OK);
    assert_int_equal(m, CML_METRIC_COSINE);

    float x[8] = {1, 2, 3, 4, 5, 6, 7, NAN};
    int64_t lab[2] = {5, 5};
    assert_int_equal(cml_hnsw_add(h, x, 2, NULL), CML_ERR_ARG); /* NaN */
    x[7] = 8;
    assert_int_equal(cml_hnsw_add(h, x, 2, lab), CML_ERR_ARG); /* repeated label */
    assert_int_equal(cml_hnsw_size(h), 0);
    /* empty index: searches return nothing */
    int64_t l[3], found = -1;
    float d[3];
    assert_int_equal(cml_hnsw_search(h, x, 3, NULL, l, d, &found), CML_OK);
    assert_int_equal(found, 0);
    assert_int_equal(cml_hnsw_add(h, x, 2, NULL), CML_OK);
    assert_int_equal(cml_hnsw_search(h, x, 3, NULL, l, d, &found), CML_OK);
    assert_int_equal(found, 2);
    assert_int_equal(l[2], -1);
    /* ip: 1 - x.q, nearest = largest dot */
    assert_int_equal(l[0], 1);
    assert_true(fabsf(d[0] - (1.0f - (5 + 12 + 21 + 32))) < 1e-4f);
    assert_int_equal(cml_hnsw_search(h, x, 0, NULL, l, d, NULL), CML_ERR_ARG);
    x[0] = INFINITY;
    assert_int_equal(cml_hnsw_search(h, x, 3, NULL, l, d, NULL), CML_ERR_ARG);
    assert_int_equal(cml_hnsw_set_ef(h, 0), CML_ERR_ARG);
    assert_int_equal(cml_hnsw_set_ef(h, 10), CML_OK);
    assert_int_equal(cml_hnsw_get_params(h).ef_search, 10);
    cml_hnsw_free(h);
    cml_hnsw_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels),        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_recall_metrics), cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_filter),         cmocka_unit_test(test_delete_reuse),
        cmocka_unit_test(test_quantized),      cmocka_unit_test(test_save_open),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_parallel_build_reachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
