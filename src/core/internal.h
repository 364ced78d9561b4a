/*
 * internal.h — helpers shared by every libcml source file; never installed.
 *
 * Errors: a failing function calls cml_fail(status, fmt, ...) which formats
 * the thread-local message and returns the status, so the idiom is
 *     if (n <= 0) return cml_fail(CML_ERR_ARG, "n_estimators must be > 0, got %d", n);
 * Allocation: cml_malloc/cml_calloc/cml_alloc_array set CML_ERR_NOMEM with
 * the size on failure and return NULL; callers `goto fail`.
 */
#ifndef CML_INTERNAL_H
#define CML_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cml/core.h"

#if defined(__GNUC__)
#define CML_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CML_UNUSED       __attribute__((unused))
#else
#define CML_PRINTF(a, b)
#define CML_UNUSED
#endif

/* Sets this thread's last error and returns s. */
cml_status cml_fail(cml_status s, const char *fmt, ...) CML_PRINTF(2, 3);
cml_status cml_failv(cml_status s, const char *fmt, va_list ap);
/* Prepends "context: " to the current message (e.g. the file name) and
 * returns s unchanged; lets a caller add where without knowing what. */
cml_status cml_fail_context(cml_status s, const char *fmt, ...) CML_PRINTF(2, 3);

/* Logs through the user's callback, if any. */
void cml_log(cml_log_level level, const char *fmt, ...) CML_PRINTF(2, 3);
int cml_log_enabled(void);

/* Checked allocation; on failure set CML_ERR_NOMEM and return NULL. */
void *cml_malloc(size_t bytes);
void *cml_calloc(size_t n, size_t size);
void *cml_realloc(void *p, size_t bytes);
/* n * size with overflow check (n < 0 is an error too). */
void *cml_alloc_array(int64_t n, size_t size);
char *cml_strdup(const char *s);

/* While a model file is being loaded, no single allocation may exceed a
 * budget derived from the file's size: a fitted model's memory is
 * proportional to its file, so a larger request can only come from a
 * corrupt or forged size field. Loaders check shapes first
 * (cml_gguf_expect); this is the net under every loader. Thread-local,
 * nests (the outermost budget holds). 0 = no limit. */
void cml_alloc_limit_push(size_t bytes);
void cml_alloc_limit_pop(void);

/* Bug in cml: abort with file:line. Not for user errors. */
#define CML_ASSERT(c)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "cml: internal error: %s:%d: assertion '%s' failed\n", __FILE__,       \
                    __LINE__, #c);                                                                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define CML_CHECK(expr)                                                                            \
    do {                                                                                           \
        cml_status cml_check_s_ = (expr);                                                          \
        if (cml_check_s_ != CML_OK) return cml_check_s_;                                           \
    } while (0)

/* Jump to `fail` with st set, the cleanup idiom of STYLE.md. */
#define CML_TRY(expr)                                                                              \
    do {                                                                                           \
        st = (expr);                                                                               \
        if (st != CML_OK) goto fail;                                                               \
    } while (0)

/* out (X->rows, R) = X Wᵀ with W row-major (R, X->cols), in row chunks
 * over cml's threads (same bits for any thread count). X->rows, X->ld and
 * X->cols must fit the BLAS int. */
void cml_matrix_mul_wt(const cml_matrix *X, const double *W, int64_t R, double *out);

#define CML_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CML_MAX(a, b) ((a) > (b) ? (a) : (b))

/* OpenMP helpers: a parallel region uses cml_get_num_threads() threads. */
#ifdef _OPENMP
#include <omp.h>
#define CML_OMP_THREADS num_threads(cml_get_num_threads())
#else
#define CML_OMP_THREADS
#endif

#endif /* CML_INTERNAL_H */
