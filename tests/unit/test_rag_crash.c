/*
 * test_rag_crash.c — crash safety of index files: a child process rewrites
 * an HNSW index and a BM25 index in a loop, alternating two versions (A and
 * B, of different sizes), and is killed with SIGKILL at a random moment;
 * the file must then open (mmap) and load (CRC checked) as exactly A or B,
 * never anything else (saves write PATH.tmp.PID, fsync, then rename). Runs
 * 12 kills per kind and reports how many landed inside a write (a temp file
 * was left behind).
 *
 * Everything runs with one thread, so fork() never copies a thread pool.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cml/index.h"
#include "golden.h"

#define DIM    32
#define TRIALS 12

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static cml_hnsw *make_hnsw(int64_t n, uint64_t seed)
{
    float *X = malloc((size_t)(n * DIM) * sizeof *X);
    for (int64_t i = 0; i < n * DIM; i++)
        X[i] = (float)(lcg(&seed) % 1000) / 1000.0f;
    cml_hnsw_params p = cml_hnsw_params_default();
    p.dim = DIM;
    p.max_elements = n;
    p.ef_construction = 40;
    cml_hnsw *h;
    assert_int_equal(cml_hnsw_create(&p, &h), CML_OK);
    assert_int_equal(cml_hnsw_add(h, X, n, NULL), CML_OK);
    free(X);
    return h;
}

static cml_bm25 *make_bm25(int64_t n, uint64_t seed)
{
    cml_bm25_params p = cml_bm25_params_default();
    cml_bm25 *b;
    assert_int_equal(cml_bm25_create(&p, &b), CML_OK);
    char doc[512];
    for (int64_t i = 0; i < n; i++) {
        char *q = doc;
        for (int j = 0; j < 40; j++)
            q += sprintf(q, "t%d ", (int)(lcg(&seed) % 3000));
        const char *d = doc;
        assert_int_equal(cml_bm25_add(b, &d, NULL, 1, NULL), CML_OK);
    }
    return b;
}

static int tmp_left(const char *path, pid_t pid)
{
    char t[128];
    snprintf(t, sizeof t, "%s.tmp.%ld", path, (long)pid);
    int left = access(t, F_OK) == 0;
    unlink(t);
    return left;
}

/* Forks a writer looping over save(A), save(B), kills it after a random
 * delay; returns 1 if the kill interrupted a write. */
static int kill_writer(int (*save)(int which, const char *path), const char *path, uint64_t *rng)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 0;; i ^= 1)
            if (save(i, path)) _exit(3);
    }
    struct timespec ts = {0, (long)(2000 + lcg(rng) % 40000) * 1000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status)); /* not an early exit: every save succeeded */
    return tmp_left(path, pid);
}

static cml_hnsw *HA, *HB;
static cml_bm25 *BA, *BB;

static int save_h(int which, const char *path)
{
    return cml_hnsw_save(which ? HB : HA, path) != CML_OK;
}

static int save_b(int which, const char *path)
{
    return cml_bm25_save(which ? BB : BA, path) != CML_OK;
}

static void test_hnsw_kill(void **state)
{
    (void)state;
    HA = make_hnsw(3000, 1);
    HB = make_hnsw(4000, 2);
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_crash_h_%d.gguf", (int)getpid());
    assert_int_equal(cml_hnsw_save(HA, path), CML_OK);
    float q[DIM] = {0.5f};
    int64_t la[10], lb[10], lg[10];
    float da[10], db[10], dg[10];
    assert_int_equal(cml_hnsw_search(HA, q, 10, NULL, la, da, NULL), CML_OK);
    assert_int_equal(cml_hnsw_search(HB, q, 10, NULL, lb, db, NULL), CML_OK);
    uint64_t rng = 42;
    int inside = 0;
    for (int t = 0; t < TRIALS; t++) {
        inside += kill_writer(save_h, path, &rng);
        for (int mode = 0; mode < 2; mode++) {
            cml_hnsw *g;
            assert_int_equal(mode ? cml_hnsw_load(path, &g) : cml_hnsw_open(path, &g), CML_OK);
            int64_t n = cml_hnsw_size(g);
            assert_true(n == 3000 || n == 4000);
            assert_int_equal(cml_hnsw_search(g, q, 10, NULL, lg, dg, NULL), CML_OK);
            assert_memory_equal(lg, n == 3000 ? la : lb, sizeof lg);
            assert_memory_equal(dg, n == 3000 ? da : db, sizeof dg);
            cml_hnsw_free(g);
        }
    }
    printf("hnsw: %d of %d kills landed inside a write; every reopen was version A or B\n", inside,
           TRIALS);
    unlink(path);
    cml_hnsw_free(HA);
    cml_hnsw_free(HB);
}

static void test_bm25_kill(void **state)
{
    (void)state;
    BA = make_bm25(2000, 3);
    BB = make_bm25(2600, 4);
    char path[64];
    snprintf(path, sizeof path, "/tmp/cml_test_crash_b_%d.gguf", (int)getpid());
    assert_int_equal(cml_bm25_save(BA, path), CML_OK);
    const char *q = "t1 t2 t3 t17 t2999";
    int64_t la[10], lb[10], lg[10];
    double sa[10], sb[10], sg[10];
    assert_int_equal(cml_bm25_search(BA, q, strlen(q), 10, NULL, la, sa, NULL), CML_OK);
    assert_int_equal(cml_bm25_search(BB, q, strlen(q), 10, NULL, lb, sb, NULL), CML_OK);
    uint64_t rng = 7;
    int inside = 0;
    for (int t = 0; t < TRIALS; t++) {
        inside += kill_writer(save_b, path, &rng);
        cml_bm25 *g;
        assert_int_equal(cml_bm25_load(path, &g), CML_OK);
        int64_t n = cml_bm25_n_docs(g);
        assert_true(n == 2000 || n == 2600);
        assert_int_equal(cml_bm25_search(g, q, strlen(q), 10, NULL, lg, sg, NULL), CML_OK);
        assert_memory_equal(lg, n == 2000 ? la : lb, sizeof lg);
        assert_memory_equal(sg, n == 2000 ? sa : sb, sizeof sg);
        cml_bm25_free(g);
    }
    printf("bm25: %d of %d kills landed inside a write; every reopen was version A or B\n", inside,
           TRIALS);
    unlink(path);
    cml_bm25_free(BA);
    cml_bm25_free(BB);
}

int main(void)
{
    cml_set_num_threads(1);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hnsw_kill),
                                       cmocka_unit_test(test_bm25_kill)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
