/*
 * alloc.c — checked allocation. Every failure sets CML_ERR_NOMEM with the
 * size asked for, so "out of memory" always says how much.
 */
#include <stdint.h>
#include <string.h>

#include "core/internal.h"

static _Thread_local size_t alloc_limit;
static _Thread_local int alloc_depth;

void cml_alloc_limit_push(size_t bytes)
{
    if (alloc_depth++ == 0) alloc_limit = bytes;
}

void cml_alloc_limit_pop(void)
{
    if (alloc_depth > 0 && --alloc_depth == 0) alloc_limit = 0;
}

/* 1 (error set) when a load-time request is beyond what the file justifies. */
static int over_limit(size_t bytes)
{
    if (!alloc_limit || bytes <= alloc_limit) return 0;
    cml_fail(CML_ERR_NOMEM,
             "model file asks for %zu bytes, far more than its size justifies: the file is "
             "corrupt or forged",
             bytes);
    return 1;
}

void *cml_malloc(size_t bytes)
{
    if (over_limit(bytes)) return NULL;
    void *p = malloc(bytes ? bytes : 1);
    if (!p) cml_fail(CML_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
    return p;
}

void *cml_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        cml_fail(CML_ERR_NOMEM, "array of %zu x %zu bytes is too large", n, size);
        return NULL;
    }
    if (over_limit(n * size)) return NULL;
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) cml_fail(CML_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *cml_realloc(void *p, size_t bytes)
{
    if (over_limit(bytes)) return NULL;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q) cml_fail(CML_ERR_NOMEM, "out of memory reallocating %zu bytes", bytes);
    return q;
}

void *cml_alloc_array(int64_t n, size_t size)
{
    if (n < 0 || (size && (uint64_t)n > SIZE_MAX / size)) {
        cml_fail(CML_ERR_NOMEM, "array of %lld elements of %zu bytes is too large", (long long)n,
                 size);
        return NULL;
    }
    return cml_malloc((size_t)n * size);
}

char *cml_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = cml_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
