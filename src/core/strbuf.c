/*
 * strbuf.c — see strbuf.h.
 */
#include "core/strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cml_sb_init(cml_sb *sb)
{
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    sb->failed = 0;
}

static int reserve(cml_sb *sb, size_t extra)
{
    if (sb->failed) return 0;
    if (sb->len + extra + 1 <= sb->cap) return 1;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *p = cml_realloc(sb->buf, cap);
    if (!p) {
        sb->failed = 1;
        return 0;
    }
    sb->buf = p;
    sb->cap = cap;
    return 1;
}

void cml_sb_printf(cml_sb *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(sb, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void cml_sb_puts(cml_sb *sb, const char *s)
{
    size_t n = strlen(s);
    if (!reserve(sb, n)) return;
    memcpy(sb->buf + sb->len, s, n + 1);
    sb->len += n;
}

void cml_sb_json_str(cml_sb *sb, const char *s)
{
    cml_sb_puts(sb, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': cml_sb_puts(sb, "\\\""); break;
        case '\\': cml_sb_puts(sb, "\\\\"); break;
        case '\n': cml_sb_puts(sb, "\\n"); break;
        case '\r': cml_sb_puts(sb, "\\r"); break;
        case '\t': cml_sb_puts(sb, "\\t"); break;
        default:
            if (*p < 0x20)
                cml_sb_printf(sb, "\\u%04x", *p);
            else {
                char c[2] = {(char)*p, 0};
                cml_sb_puts(sb, c);
            }
        }
    }
    cml_sb_puts(sb, "\"");
}

void cml_sb_json_num(cml_sb *sb, double v)
{
    if (isfinite(v))
        cml_sb_printf(sb, "%.17g", v);
    else
        cml_sb_puts(sb, "null");
}

void cml_sb_json_arr(cml_sb *sb, const double *v, int64_t n)
{
    cml_sb_puts(sb, "[");
    for (int64_t i = 0; i < n; i++) {
        if (i) cml_sb_puts(sb, ",");
        cml_sb_json_num(sb, v[i]);
    }
    cml_sb_puts(sb, "]");
}

char *cml_sb_finish(cml_sb *sb)
{
    if (sb->failed) {
        free(sb->buf);
        sb->buf = NULL;
        return NULL;
    }
    if (!sb->buf && !reserve(sb, 0)) return NULL;
    if (sb->len == 0) sb->buf[0] = '\0';
    char *out = sb->buf;
    sb->buf = NULL;
    return out;
}

void cml_sb_free(cml_sb *sb)
{
    free(sb->buf);
    sb->buf = NULL;
}
