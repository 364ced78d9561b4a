/*
 * alloc.c — checked allocation. Every failure sets CML_ERR_NOMEM with the
 * size asked for, so "out of memory" always says how much.
 */
#include <stdint.h>
#include <string.h>

#include "core/internal.h"

void *cml_malloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) cml_fail(CML_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
    return p;
}

void *cml_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) cml_fail(CML_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *cml_realloc(void *p, size_t bytes)
{
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
