/*
 * data_internal.h — helpers shared by the readers in src/data/: whole-file
 * reads with a NUL sentinel, the exact decimal parser, and value quoting
 * for error messages. Never installed.
 */
#ifndef CML_DATA_INTERNAL_H
#define CML_DATA_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"

/* Reads a whole file into a malloc'd buffer of *len bytes followed by one
 * NUL byte (a sentinel that lets scanners stop without bounds checks; *len
 * excludes it). CML_ERR_IO "<path>: <strerror>" on failure. */
cml_status cml_read_file(const char *path, char **buf, size_t *len);

/* malloc for big buffers (>= 8 MB): 2 MB aligned and advised to use
 * transparent huge pages, which removes most first-touch page faults (a
 * fifth of the CSV reader's time with 4 KB pages). Free with free(). */
void *cml_big_alloc(size_t bytes);

/* Writes s[0..n) as a quoted, printable excerpt for error messages:
 * "abc" (control bytes shown as '?', cut to ~48 bytes with "..."). */
void cml_quote_value(char *dst, size_t cap, const char *s, size_t n);

/* ---------------------------------------------------------------- numbers */

/* Slow path of cml_parse_double: strtod on [start, end), which the fast
 * parser has already matched against the decimal grammar. Returns end, or
 * NULL if strtod disagrees on the extent (it never should). Assumes the "C"
 * LC_NUMERIC locale, which is the default: libcml never calls setlocale. */
const char *cml_parse_double_slow(const char *start, const char *end, double *out);

/* Exact powers of ten: every 10^k for k <= 22 is a double without rounding
 * (5^22 < 2^53), the basis of Clinger's fast path. */
static const double cml_pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                           1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static inline int cml_is_digit(char c)
{
    return (unsigned)(c - '0') < 10u;
}

/* Parses a decimal number at p: [+-] digits [. digits] [(e|E) [+-] digits]
 * (at least one mantissa digit), or [+-]inf / infinity (any case). Returns
 * the position after it, or NULL if p does not start a number. The text must
 * be followed by a byte that is not part of a number (the NUL sentinel of
 * cml_read_file, a separator, a quote...): the parser reads until one.
 *
 * Result is bit-identical to strtod: with a mantissa of at most 19
 * significant digits that is <= 2^53 and a decimal exponent |e| <= 22 both
 * operands are exact doubles, so one IEEE multiply or divide rounds
 * correctly (Clinger 1990, "How to read floating point numbers accurately",
 * fast path). Everything else (long mantissas, big exponents, subnormals)
 * goes to strtod. */
static inline const char *cml_parse_double(const char *p, double *out)
{
    const char *start = p;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    } else if (*p == '+') {
        p++;
    }
    uint64_t m = 0;
    int nd = 0;      /* significant digits in m */
    int64_t e10 = 0; /* value = m * 10^e10 */
    int many = 0;    /* more than 19 significant digits: strtod decides */
    int digits = 0;  /* any mantissa digit seen */
    while (*p == '0') {
        p++;
        digits = 1;
    }
    while (cml_is_digit(*p)) {
        if (nd < 19) {
            m = m * 10 + (uint64_t)(*p - '0');
            nd++;
        } else {
            many = 1;
        }
        p++;
        digits = 1;
    }
    if (*p == '.') {
        p++;
        if (nd == 0)
            while (*p == '0') {
                p++;
                e10--;
                digits = 1;
            }
        while (cml_is_digit(*p)) {
            if (nd < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                nd++;
                e10--;
            } else {
                many = 1;
            }
            p++;
            digits = 1;
        }
    }
    if (!digits) {
        /* "inf" / "infinity", any case, as strtod accepts them. */
        if ((p[0] | 0x20) == 'i' && (p[1] | 0x20) == 'n' && (p[2] | 0x20) == 'f') {
            p += 3;
            static const char rest[] = "inity";
            int k = 0;
            while (k < 5 && (p[k] | 0x20) == rest[k])
                k++;
            if (k == 5) p += 5;
            *out = neg ? -INFINITY : INFINITY;
            return p;
        }
        return NULL;
    }
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        int eneg = 0;
        if (*q == '-') {
            eneg = 1;
            q++;
        } else if (*q == '+') {
            q++;
        }
        if (cml_is_digit(*q)) {
            int64_t x = 0;
            while (cml_is_digit(*q)) {
                if (x < 100000000) x = x * 10 + (*q - '0'); /* saturate: far past any double */
                q++;
            }
            e10 += eneg ? -x : x;
            p = q;
        }
    }
    if (!many) {
        if (m == 0) {
            *out = neg ? -0.0 : 0.0;
            return p;
        }
        if (m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
            double v = (double)m;
            v = e10 >= 0 ? v * cml_pow10_exact[e10] : v / cml_pow10_exact[-e10];
            *out = neg ? -v : v;
            return p;
        }
    }
    return cml_parse_double_slow(start, p, out);
}

#endif
