/*
 * par.c — cml_par_for (see par.h): a loop split into fixed blocks that the
 * caller and a pool of worker threads claim one at a time.
 *
 * Protocol. One 64-bit word holds the job: generation (32 bits), next block
 * (16), block count (16). The caller owns the pool for one loop (busy flag),
 * writes the job (fn, ctx, n, nb), zeroes the done count and publishes a new
 * generation; every thread, the caller first, then claims blocks by a
 * compare-and-swap on the word (a thread still holding an old generation
 * fails its CAS, so it can never take a block of a job it has not read).
 * The caller waits only while claimed blocks are unfinished: a worker that
 * is descheduled, or still asleep, when the loop starts simply claims
 * nothing, and the caller runs its share. That is the point of this file:
 * an OpenMP region's closing barrier waits for every team thread, which on
 * a machine shared with other processes costs a scheduler time slice per
 * loop whenever one of them is off-core.
 *
 * Workers spin (with pause) for CML_PAR_SPIN_S after their last block,
 * which covers the gaps between the loops of a training step, then sleep on
 * a condition variable; the caller signals only when someone sleeps
 * (sequentially consistent store/load pairs on the word and the sleeper
 * count rule out a lost wake-up).
 *
 * Cost: one CAS per block and one atomic add per block; a wake-up
 * (futex) only after a worker went to sleep.
 * Thread-safety: see par.h. The pool is process-wide (like OpenMP's) and
 * its threads live until the process exits.
 */
#include "tensor/par.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "core/internal.h"
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define CML_PAR_SPIN_S 2e-4 /* worker spin before sleeping, seconds */

static struct {
    _Atomic uint64_t word; /* gen << 32 | next << 16 | nb */
    atomic_int done;       /* blocks finished in the current job */
    atomic_int busy;       /* a caller owns the pool */
    atomic_int limit;      /* threads of the current job: workers with tid < limit claim */
    atomic_int sleeping;   /* workers waiting on cv */
    atomic_int nworkers;   /* started */
    cml_par_fn fn;         /* the job, written by the owner before publishing */
    void *ctx;
    int64_t n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* tid of the block this thread is running (0 outside blocks and on the
 * caller), and whether it is inside one (nested loops run serially). */
static _Thread_local int cur_tid, in_block;

static uint32_t word_gen(uint64_t w)
{
    return (uint32_t)(w >> 32);
}

/* Claims a block of generation gen: 1 and *b, or 0 when none is left. */
static int claim(uint32_t gen, int64_t *b)
{
    uint64_t w = atomic_load_explicit(&pool.word, memory_order_acquire);
    for (;;) {
        uint64_t next = (w >> 16) & 0xffff, nb = w & 0xffff;
        if (word_gen(w) != gen || next >= nb) return 0;
        if (atomic_compare_exchange_weak_explicit(&pool.word, &w, w + (UINT64_C(1) << 16),
                                                  memory_order_acq_rel, memory_order_acquire)) {
            *b = (int64_t)next;
            return 1;
        }
    }
}

/* Runs the blocks of generation gen this thread can claim. The job fields
 * are read after a successful claim: the owner rewrites them only once every
 * block of gen, this one included, is done. */
static void run_blocks(uint32_t gen, int tid, int64_t nb)
{
    int64_t b;
    while (claim(gen, &b)) {
        int64_t n = pool.n;
        in_block = 1;
        cur_tid = tid;
        pool.fn(pool.ctx, b * n / nb, (b + 1) * n / nb, tid);
        cur_tid = 0;
        in_block = 0;
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
    }
}

static void *worker_main(void *arg)
{
    int tid = (int)(intptr_t)arg;
    uint32_t seen = word_gen(atomic_load(&pool.word));
    for (;;) {
        uint64_t w = atomic_load_explicit(&pool.word, memory_order_acquire);
        if (word_gen(w) == seen) {
            double t0 = cml_now();
            for (int k = 1; word_gen(w) == seen; k++) {
                CPU_RELAX();
                if ((k & 255) == 0 && cml_now() - t0 > CML_PAR_SPIN_S) {
                    pthread_mutex_lock(&pool.mu);
                    atomic_fetch_add(&pool.sleeping, 1);
                    while (word_gen(atomic_load(&pool.word)) == seen)
                        pthread_cond_wait(&pool.cv, &pool.mu);
                    atomic_fetch_sub(&pool.sleeping, 1);
                    pthread_mutex_unlock(&pool.mu);
                    t0 = cml_now();
                }
                w = atomic_load_explicit(&pool.word, memory_order_acquire);
            }
        }
        seen = word_gen(w);
        if (tid < atomic_load_explicit(&pool.limit, memory_order_relaxed))
            run_blocks(seen, tid, (int64_t)(w & 0xffff));
    }
    return NULL;
}

/* Starts workers up to tid nthr - 1 (pool owned); fewer if the system refuses. */
static void grow(int nthr)
{
    int have = atomic_load(&pool.nworkers);
    while (have < nthr - 1 && have < CML_PAR_MAXTHREADS - 1) {
        pthread_t th;
        pthread_attr_t at;
        if (pthread_attr_init(&at)) return;
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&th, &at, worker_main, (void *)(intptr_t)(have + 1));
        pthread_attr_destroy(&at);
        if (rc) return;
        atomic_store(&pool.nworkers, ++have);
    }
}

void cml_par_for_min(int64_t n, int64_t grain, int64_t work, int64_t min_work, cml_par_fn fn,
                     void *ctx)
{
    if (work <= min_work) {
        if (n > 0) fn(ctx, 0, n, cur_tid);
    } else
        cml_par_for(n, grain, fn, ctx);
}

int cml_par_threads(void)
{
    return cml_get_num_threads();
}

void cml_par_for(int64_t n, int64_t grain, cml_par_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t nb = CML_MIN((n + grain - 1) / grain, CML_PAR_MAXBLOCKS);
    int nthr = cml_get_num_threads(), expect = 0;
    int serial = nb == 1 || nthr <= 1 || in_block;
#ifdef _OPENMP
    serial = serial || omp_in_parallel();
#endif
    if (serial || !atomic_compare_exchange_strong(&pool.busy, &expect, 1)) {
        int tid = cur_tid, inb = in_block;
        in_block = 1;
        for (int64_t b = 0; b < nb; b++)
            fn(ctx, b * n / nb, (b + 1) * n / nb, tid);
        in_block = inb;
        return;
    }
    grow(nthr);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.limit, nthr, memory_order_relaxed);
    uint32_t gen = word_gen(atomic_load_explicit(&pool.word, memory_order_relaxed)) + 1;
    atomic_store(&pool.word, (uint64_t)gen << 32 | (uint64_t)nb); /* seq_cst: see header */
    if (atomic_load(&pool.sleeping)) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.cv);
        pthread_mutex_unlock(&pool.mu);
    }
    run_blocks(gen, 0, nb);
    /* only blocks other threads claimed remain; yield now and then so a
     * preempted worker holding one gets this core */
    for (int k = 1; atomic_load_explicit(&pool.done, memory_order_acquire) < nb; k++) {
        CPU_RELAX();
        if ((k & 1023) == 0) sched_yield();
    }
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
}
