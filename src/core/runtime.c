/*
 * runtime.c — thread count, monotonic clock, build facts.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"

/* 0 = not yet resolved. Written once at start-up by the user (or lazily on
 * first read, where a benign race writes the same value). */
static int n_threads;

static int default_threads(void)
{
    const char *env = getenv("CML_NUM_THREADS");
    if (env) {
        int n = atoi(env);
        if (n > 0) return n;
    }
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

void cml_set_num_threads(int n)
{
    n_threads = n > 0 ? n : default_threads();
}

int cml_get_num_threads(void)
{
    if (n_threads <= 0) cml_set_num_threads(0);
    return n_threads;
}

double cml_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *cml_blas_name(void)
{
#ifdef CML_BLAS_NAME
    return CML_BLAS_NAME;
#else
    return "unknown";
#endif
}

const char *cml_blas_autotune(void)
{
#if defined(CML_BLAS_BLIS)
    /* cml owns the threads (docs/blas.md): each BLAS call runs on the thread
     * that makes it. BLIS would otherwise take its count from
     * OMP_NUM_THREADS, which users set for other programs, and fork for
     * every small call inside cml's parallel loops (OLS on diamonds: 15 ms
     * -> 92 ms with OMP_NUM_THREADS=2). BLIS_NUM_THREADS is read first, so
     * setting it shadows OMP_NUM_THREADS; a BLIS_NUM_THREADS the user set
     * is theirs. */
    setenv("BLIS_NUM_THREADS", "1", 0);
#endif
#if defined(CML_BLAS_BLIS) && (defined(__x86_64__) || defined(__i386__))
    if (getenv("BLIS_ARCH_TYPE")) return NULL; /* the user's choice wins */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("fma")) {
        setenv("BLIS_ARCH_TYPE", "skx", 0);
        return "skx";
    }
#endif
    return NULL;
}
