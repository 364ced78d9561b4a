/*
 * io.c — whole-file reads and message helpers shared by the data readers.
 *
 * Why read the whole file: every reader here tokenizes in place (no copies,
 * no fixed line buffers, so a 16 MB line is no different from a short one)
 * and the CSV reader splits the buffer between threads. A trailing NUL
 * sentinel lets the scanners stop on it instead of testing bounds per byte.
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE (Linux); harmless elsewhere */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/data_internal.h"

void *cml_big_alloc(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    if (bytes < 4 * huge) return cml_malloc(bytes);
    void *p = NULL;
    if (posix_memalign(&p, huge, bytes) != 0) {
        cml_fail(CML_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
    return p;
}

cml_status cml_read_file(const char *path, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!path) return cml_fail(CML_ERR_ARG, "file path is NULL");
    int fd = open(path, O_RDONLY);
    if (fd < 0) return cml_fail(CML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat stt;
    size_t cap = 1 << 16;
    if (fstat(fd, &stt) == 0) {
        if (S_ISDIR(stt.st_mode)) {
            close(fd);
            return cml_fail(CML_ERR_IO, "%s: cannot read: %s", path, strerror(EISDIR));
        }
        /* +2: the sentinel, and one byte of room so that the read that
         * returns 0 (end of file) does not first grow the buffer. */
        if (S_ISREG(stt.st_mode) && stt.st_size > 0) cap = (size_t)stt.st_size + 2;
    }
    char *b = cml_big_alloc(cap);
    if (!b) {
        close(fd);
        return CML_ERR_NOMEM;
    }
    size_t n = 0;
    for (;;) {
        if (n + 1 >= cap) { /* keep room for the sentinel; grow for pipes or growing files */
            size_t ncap = cap * 2;
            char *nb = cml_realloc(b, ncap);
            if (!nb) {
                free(b);
                close(fd);
                return CML_ERR_NOMEM;
            }
            b = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, b + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(b);
            close(fd);
            return cml_fail(CML_ERR_IO, "%s: cannot read: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return CML_OK;
}

void cml_quote_value(char *dst, size_t cap, const char *s, size_t n)
{
    const size_t max = 48;
    size_t k = 0;
    if (cap < 8) {
        if (cap) dst[0] = '\0';
        return;
    }
    dst[k++] = '"';
    for (size_t i = 0; i < n && i < max && k + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (n > max && k + 5 < cap) {
        memcpy(dst + k, "...", 3);
        k += 3;
    }
    dst[k++] = '"';
    dst[k] = '\0';
}

const char *cml_parse_double_slow(const char *start, const char *end, double *out)
{
    /* The grammar cml_parse_double matched is a subset of strtod's, and the
     * byte at `end` cannot extend it (hex needs a leading "0x", which the
     * grammar stops at), so strtod reads exactly [start, end). Checked
     * anyway: a disagreement reads as "not a number", never a wrong value. */
    char *e;
    double v = strtod(start, &e);
    if (e != end) return NULL;
    *out = v;
    return end;
}
