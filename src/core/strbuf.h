/*
 * strbuf.h — a growable string for building JSON and messages. Errors are
 * sticky: after a failed allocation every append is a no-op and
 * cml_sb_finish returns NULL, so callers check once at the end.
 */
#ifndef CML_STRBUF_H
#define CML_STRBUF_H

#include <stddef.h>

#include "core/internal.h"

typedef struct cml_sb {
    char *buf;
    size_t len, cap;
    int failed;
} cml_sb;

void cml_sb_init(cml_sb *sb);
void cml_sb_printf(cml_sb *sb, const char *fmt, ...) CML_PRINTF(2, 3);
void cml_sb_puts(cml_sb *sb, const char *s);
/* Appends s as a quoted JSON string with escapes. */
void cml_sb_json_str(cml_sb *sb, const char *s);
/* Appends a double as JSON: %.17g, or null for NaN/inf (JSON has neither). */
void cml_sb_json_num(cml_sb *sb, double v);
/* Appends a JSON array of n doubles. */
void cml_sb_json_arr(cml_sb *sb, const double *v, int64_t n);
/* Returns the malloc'd string (caller frees), or NULL after a failure. */
char *cml_sb_finish(cml_sb *sb);
void cml_sb_free(cml_sb *sb);

#endif
