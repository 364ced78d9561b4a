/*
 * cml/core.h — status codes, error messages, logging, RNG, threads and the
 * borrowed matrix views every other part of libcml takes as input.
 *
 * Thread-safety: everything here is safe to call from many threads. The last
 * error message is thread-local; the log callback and thread count are
 * process-wide settings meant to be set once at start-up.
 */
#ifndef CML_CORE_H
#define CML_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CML_VERSION_MAJOR  0
#define CML_VERSION_MINOR  1
#define CML_VERSION_PATCH  0
#define CML_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- status */

/* Every fallible call returns one of these. Values only ever grow at the
 * end: they are part of the ABI and of saved metadata. */
typedef enum cml_status {
    CML_OK = 0,
    CML_ERR_NOMEM,       /* allocation failed or a size overflowed */
    CML_ERR_ARG,         /* invalid argument or parameter */
    CML_ERR_IO,          /* open/read/write failed */
    CML_ERR_FORMAT,      /* malformed input data or model file */
    CML_ERR_VERSION,     /* model file written by a newer schema */
    CML_ERR_NOT_FITTED,  /* model used before fit */
    CML_ERR_UNSUPPORTED, /* valid request this build or estimator cannot do */
    CML_ERR_DEVICE,      /* accelerator error */
    CML_ERR_CONVERGENCE, /* a solver failed outright (not a mere max_iter) */
    CML_ERR_INTERNAL     /* a bug in cml: please report */
} cml_status;

/* Short stable name of a status ("ok", "nomem", "arg", ...). Never NULL. */
const char *cml_status_name(cml_status s);

/* The message of the last failing call on this thread, with context and,
 * where one helps, a "HINT: ..." suffix. Valid until the next failing call on
 * the same thread. Never NULL ("" when nothing failed). */
const char *cml_last_error(void);

/* Clears this thread's last error. */
void cml_clear_error(void);

/* ---------------------------------------------------------------- logging */

typedef enum cml_log_level {
    CML_LOG_DEBUG = 0,
    CML_LOG_INFO,
    CML_LOG_WARN,
    CML_LOG_ERROR
} cml_log_level;

typedef void (*cml_log_fn)(cml_log_level level, const char *msg, void *user_data);

/* Route library messages (convergence warnings, progress) to fn. The library
 * itself never prints: with no callback set, messages are dropped. Passing
 * NULL removes the callback. Set it once, before other threads use cml. */
void cml_log_set(cml_log_fn fn, void *user_data);

/*
 * Training metrics. Iterative fits report each step's metrics (e.g.
 * "train_loss" at epoch 3, "valid_logloss" at boosting round 120) through
 * cml_report_metric(); a listener installed with cml_metric_hook_set()
 * receives them. The hook is thread-local: install it in the thread that
 * calls fit. NULL removes it.
 */
typedef void (*cml_metric_fn)(void *user_data, const char *name, int64_t step, double value);
void cml_metric_hook_set(cml_metric_fn fn, void *user_data);
int cml_metric_hook_active(void);
void cml_report_metric(const char *name, int64_t step, double value);

/* ---------------------------------------------------------------- threads */

/* Number of OpenMP threads cml's parallel loops use. n <= 0 restores the
 * default: $CML_NUM_THREADS if set, else all cores OpenMP reports. Results
 * never depend on this number (reductions run in a fixed order). */
void cml_set_num_threads(int n);
int cml_get_num_threads(void);

/* ---------------------------------------------------------------- RNG */

/* xoshiro256** (Blackman & Vigna 2018), seeded through splitmix64.
 * Why this one: 256 bits of state, passes BigCrush, ~1 ns per draw, and a
 * jump() that splits one seed into 2^128 non-overlapping streams, so parallel
 * code gets per-task streams whose values do not depend on the thread count.
 * Plain value type: copy it to fork, no allocation. */
typedef struct cml_rng {
    uint64_t s[4];
} cml_rng;

void cml_rng_seed(cml_rng *rng, uint64_t seed);
uint64_t cml_rng_u64(cml_rng *rng);
/* Uniform double in [0, 1) with 53 random bits. */
double cml_rng_uniform(cml_rng *rng);
/* Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). n > 0. */
uint64_t cml_rng_below(cml_rng *rng, uint64_t n);
/* Standard normal deviate (Marsaglia polar method; no cached spare, so the
 * stream stays a pure function of the state). */
double cml_rng_normal(cml_rng *rng);
/* Fisher-Yates shuffle of idx[0..n). */
void cml_rng_shuffle_i64(cml_rng *rng, int64_t *idx, int64_t n);
/* Advance by 2^128 draws: call k times on a copy to get stream k. */
void cml_rng_jump(cml_rng *rng);

/* ---------------------------------------------------------------- matrices */

/* A borrowed, row-major dense matrix of doubles: element (i, j) is
 * data[i * ld + j], ld >= cols. cml never frees or keeps it. */
typedef struct cml_matrix {
    const double *data;
    int64_t rows, cols, ld;
} cml_matrix;

static inline cml_matrix cml_matrix_view(const double *data, int64_t rows, int64_t cols)
{
    cml_matrix m = {data, rows, cols, cols};
    return m;
}

static inline const double *cml_matrix_row(const cml_matrix *m, int64_t i)
{
    return m->data + i * m->ld;
}

/* A borrowed compressed-sparse-row matrix: row i holds the entries
 * indptr[i] .. indptr[i+1]-1 of (indices, data); column indices ascending
 * within a row. */
typedef struct cml_csr {
    const int64_t *indptr;  /* (rows + 1) */
    const int32_t *indices; /* (nnz) */
    const double *data;     /* (nnz) */
    int64_t rows, cols, nnz;
} cml_csr;

/* Checks shape and data of a dense view; returns CML_ERR_ARG with a message
 * naming `what` when rows/cols/ld are inconsistent, and, when !allow_nonfinite,
 * CML_ERR_ARG naming the first NaN/inf cell ("X row 3, column 2 is NaN"). */
cml_status cml_matrix_check(const cml_matrix *m, const char *what, int allow_nonfinite);

/* Checks indptr monotonicity, column bounds and ascending order. */
cml_status cml_csr_check(const cml_csr *m, const char *what);

/* ---------------------------------------------------------------- misc */

/* Seconds from a monotonic clock, for timings. */
double cml_now(void);

/* Which BLAS this build uses ("openblas", "blis", ...). */
const char *cml_blas_name(void);

/* Picks the BLAS kernels this CPU can run fastest where the BLAS's own
 * detection is known to fall short. BLIS 0.9 identifies AVX-512 CPUs by
 * model number and falls back to its AVX2 kernels on virtualised CPUs it
 * does not know, at about half the GEMM speed; when the CPU reports
 * AVX-512 (F, DQ, BW, VL) and FMA, this sets BLIS_ARCH_TYPE=skx for this
 * process unless the user already set it. Call it once at program start,
 * before any other thread runs and before the first cml call that uses the
 * BLAS (BLIS reads the variable when it initializes). Returns the kernel
 * family chosen ("skx"), or NULL when the kernels were left alone.
 * It also makes each BLAS call run on the calling thread (BLIS_NUM_THREADS=1
 * unless the user set BLIS_NUM_THREADS): cml parallelises around its BLAS
 * calls, and BLIS would otherwise take OMP_NUM_THREADS and fork inside every
 * small call of cml's parallel loops (docs/blas.md). The `cml` command
 * calls it; library users may. */
const char *cml_blas_autotune(void);

#ifdef __cplusplus
}
#endif
#endif /* CML_CORE_H */
