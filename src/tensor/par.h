/*
 * par.h — the deep-learning engine's parallel loop (internal): a fixed split
 * of [0, n) into blocks that a small process-wide thread pool claims one at a
 * time, the calling thread included.
 *
 * Why not an OpenMP parallel for: a training step of a small CNN is ~60 short
 * loops (0.1–5 ms each). An OpenMP region ends in a barrier that every team
 * thread must reach, so on a machine where another process holds a core,
 * each loop waits for a descheduled thread (measured on ResNet-8 with one
 * busy neighbour: 2-thread steps 3x slower than 1-thread ones). Here a
 * thread that has not started yet claims nothing and is not waited for: the
 * caller runs the blocks itself, and only blocks already taken are waited on.
 *
 * Determinism: the blocks depend on n and grain only (never on the thread
 * count or on who runs them), so a kernel whose blocks write disjoint outputs
 * (or fixed per-block partials) gives the same bits with any thread count.
 *
 * Thread-safety: any thread may call cml_par_for. One call at a time uses the
 * pool; a call made while it is busy (another thread's loop, or a loop nested
 * in a block or in an OpenMP region) runs its blocks serially on the caller.
 */
#ifndef CML_TENSOR_PAR_H
#define CML_TENSOR_PAR_H

#include <stdint.h>

/* A block [lo, hi) of a loop run by thread tid (0 <= tid < cml_par_threads(),
 * 0 for the caller): the index of per-thread scratch. */
typedef void (*cml_par_fn)(void *ctx, int64_t lo, int64_t hi, int tid);

/* Runs fn over [0, n) split into min(ceil(n / grain), CML_PAR_MAXBLOCKS)
 * blocks of near-equal size (block b = [b*n/nb, (b+1)*n/nb)), on up to
 * cml_get_num_threads() threads; returns when every block is done. A single
 * block runs on the caller. grain < 1 counts as 1. */
void cml_par_for(int64_t n, int64_t grain, cml_par_fn fn, void *ctx);

/* cml_par_for when the loop is worth a parallel run (work, e.g. elements
 * touched, above min_work), else fn(ctx, 0, n, 0) on the caller: one call
 * instead of each site's own threshold test. */
void cml_par_for_min(int64_t n, int64_t grain, int64_t work, int64_t min_work, cml_par_fn fn,
                     void *ctx);

/* Upper bound of the tid a block may see, for sizing per-thread scratch:
 * cml_get_num_threads() at the time of the call. */
int cml_par_threads(void);

#define CML_PAR_MAXBLOCKS  4096
#define CML_PAR_MAXTHREADS 256 /* tid < CML_PAR_MAXTHREADS always */

#endif
