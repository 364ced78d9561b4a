/*
 * test_tensor_par.c — cml_par_for (tensor/par.h): every index runs exactly
 * once, in the documented fixed blocks, with tids below cml_par_threads(),
 * for 1..4 threads; a loop nested in a block and loops started by two
 * threads at once run correctly (serially where the pool is taken); many
 * short loops in a row (the shape of a training step) lose nothing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "golden.h"
#include "cml/core.h"
#include "tensor/par.h"

typedef struct hits {
    atomic_int *count;  /* (n) times index i ran */
    int64_t *block_lo;  /* (n) lo of the block that ran index i */
    int64_t *block_hi;  /* (n) hi of it */
    atomic_int bad_tid; /* tids out of range seen */
    int nthr;
} hits;

static void mark(void *ctx, int64_t lo, int64_t hi, int tid)
{
    hits *h = ctx;
    if (tid < 0 || tid >= h->nthr || tid >= CML_PAR_MAXTHREADS) atomic_fetch_add(&h->bad_tid, 1);
    for (int64_t i = lo; i < hi; i++) {
        atomic_fetch_add(&h->count[i], 1);
        h->block_lo[i] = lo;
        h->block_hi[i] = hi;
    }
}

static void check_loop(int64_t n, int64_t grain, int nthr)
{
    cml_set_num_threads(nthr);
    hits h = {calloc((size_t)n, sizeof(atomic_int)), calloc((size_t)n, sizeof(int64_t)),
              calloc((size_t)n, sizeof(int64_t)), 0, cml_par_threads()};
    assert_non_null(h.count);
    cml_par_for(n, grain, mark, &h);
    int64_t g = grain < 1 ? 1 : grain, nb = (n + g - 1) / g;
    if (nb > CML_PAR_MAXBLOCKS) nb = CML_PAR_MAXBLOCKS;
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = b * n / nb; i < (b + 1) * n / nb; i++) {
            assert_int_equal(atomic_load(&h.count[i]), 1);
            assert_int_equal(h.block_lo[i], b * n / nb);
            assert_int_equal(h.block_hi[i], (b + 1) * n / nb);
        }
    assert_int_equal(atomic_load(&h.bad_tid), 0);
    free(h.count);
    free(h.block_lo);
    free(h.block_hi);
}

static void test_blocks(void **state)
{
    (void)state;
    const int64_t ns[] = {1, 2, 7, 100, 1000, 16385, 100003};
    const int64_t grains[] = {0, 1, 3, 64, 16384};
    for (int t = 1; t <= 4; t++)
        for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
            for (size_t k = 0; k < sizeof grains / sizeof *grains; k++)
                check_loop(ns[i], grains[k], t);
    /* more blocks than CML_PAR_MAXBLOCKS are grouped */
    check_loop(3 * CML_PAR_MAXBLOCKS + 5, 1, 2);
    cml_par_for(0, 1, mark, NULL); /* n = 0: nothing runs (a NULL ctx would crash) */
}

/* a block that runs a loop of its own: that one runs serially on the block's thread */
typedef struct nest {
    hits *inner;
    int64_t m;
} nest;

static void outer(void *ctx, int64_t lo, int64_t hi, int tid)
{
    nest *ns = ctx;
    (void)tid;
    for (int64_t i = lo; i < hi; i++)
        cml_par_for(ns->m, 1, mark, &ns->inner[i]);
}

static void test_nested(void **state)
{
    (void)state;
    cml_set_num_threads(2);
    enum { N = 8, M = 50 };
    hits in[N];
    for (int i = 0; i < N; i++) {
        in[i] = (hits){calloc(M, sizeof(atomic_int)), calloc(M, sizeof(int64_t)),
                       calloc(M, sizeof(int64_t)), 0, 2};
        assert_non_null(in[i].count);
    }
    nest ns = {in, M};
    cml_par_for(N, 1, outer, &ns);
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < M; k++)
            assert_int_equal(atomic_load(&in[i].count[k]), 1);
        assert_int_equal(atomic_load(&in[i].bad_tid), 0);
        free(in[i].count);
        free(in[i].block_lo);
        free(in[i].block_hi);
    }
}

/* two threads each running 200 loops at once: one may hold the pool while
 * the other runs serially; every index of every loop runs once */
static void *caller(void *arg)
{
    hits *h = arg;
    for (int r = 0; r < 200; r++)
        cml_par_for(1000, 10, mark, h);
    return NULL;
}

static void test_concurrent_callers(void **state)
{
    (void)state;
    cml_set_num_threads(3);
    hits h[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        h[i] = (hits){calloc(1000, sizeof(atomic_int)), calloc(1000, sizeof(int64_t)),
                      calloc(1000, sizeof(int64_t)), 0, 3};
        assert_non_null(h[i].count);
        assert_int_equal(pthread_create(&th[i], NULL, caller, &h[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < 1000; k++)
            assert_int_equal(atomic_load(&h[i].count[k]), 200);
        assert_int_equal(atomic_load(&h[i].bad_tid), 0);
        free(h[i].count);
        free(h[i].block_lo);
        free(h[i].block_hi);
    }
}

/* 20000 tiny loops back to back (workers mostly spinning between them) and
 * a loop after the workers went to sleep */
static void add_one(void *ctx, int64_t lo, int64_t hi, int tid)
{
    (void)tid;
    int64_t *v = ctx;
    for (int64_t i = lo; i < hi; i++)
        v[i]++;
}

static void test_many_loops(void **state)
{
    (void)state;
    cml_set_num_threads(2);
    int64_t v[64] = {0};
    for (int r = 0; r < 20000; r++)
        cml_par_for(64, 4, add_one, v);
    struct timespec ts = {0, 20 * 1000 * 1000}; /* 20 ms: workers sleep */
    nanosleep(&ts, NULL);
    cml_par_for(64, 4, add_one, v);
    for (int i = 0; i < 64; i++)
        assert_int_equal(v[i], 20001);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_concurrent_callers),
        cmocka_unit_test(test_many_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
