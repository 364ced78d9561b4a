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
