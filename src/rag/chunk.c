/*
 * chunk.c — cutting documents into retrievable chunks (cml/rag.h): fixed
 * word windows with overlap, and paragraph/heading-aware packing.
 *
 * Why words and not bytes or tokens: a word count is what users size
 * chunks by (and what embedding models' limits roughly follow), and a span
 * never splits a word or a UTF-8 sequence since words are runs of
 * non-whitespace bytes.
 * Complexity O(len). Pure function.
 */
#include <string.h>

#include "cml/rag.h"
#include "core/internal.h"

cml_chunk_opts cml_chunk_opts_default(void)
{
    cml_chunk_opts o = {CML_CHUNK_PARAGRAPH, 200, 40};
    return o;
}

const char *cml_chunk_opts_check(const cml_chunk_opts *o)
{
    if (o->mode != CML_CHUNK_FIXED && o->mode != CML_CHUNK_PARAGRAPH)
        return "chunk mode must be fixed (0) or paragraph (1)";
    if (o->size < 1) return "chunk size must be >= 1 word";
    if (o->overlap < 0 || o->overlap >= o->size) return "chunk overlap must be in [0, size)";
    return NULL;
}

static int ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

typedef struct word {
    int64_t s, e;
    int para_start; /* first word of a paragraph */
    int heading;    /* first word of a '#' line */
} word;

typedef struct spans {
    cml_span *a;
    int64_t n, cap;
} spans;

static int push(spans *v, int64_t s, int64_t e)
{
    if (v->n == v->cap) {
        int64_t cap = v->cap ? v->cap * 2 : 16;
        cml_span *q = cml_realloc(v->a, (size_t)cap * sizeof *q);
        if (!q) return 0;
        v->a = q;
        v->cap = cap;
    }
    v->a[v->n++] = (cml_span){s, e};
    return 1;
}

/* Fixed windows over words w[a..b). */
static int windows(spans *v, const word *w, int64_t a, int64_t b, int64_t size, int64_t overlap)
{
    int64_t step = size - overlap;
    for (int64_t i = a; i < b; i += step) {
        int64_t j = CML_MIN(i + size, b);
        if (!push(v, w[i].s, w[j - 1].e)) return 0;
        if (j == b) break;
    }
    return 1;
}

cml_status cml_chunk_text(const char *text, size_t len, const cml_chunk_opts *o, cml_span **out,
                          int64_t *n)
{
    *out = NULL;
    *n = 0;
    const char *msg = cml_chunk_opts_check(o);
    if (msg) return cml_fail(CML_ERR_ARG, "chunk: %s", msg);
    word *w = NULL;
    int64_t nw = 0, cap = 0;
    spans v = {0};
    /* words, with paragraph / heading marks */
    int newlines = 2; /* newlines since the last word: start of text = new paragraph */
    int line_start = 1;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (ws(c)) {
            /* two newlines with only whitespace between = a blank line */
            if (c == '\n') {
                newlines++;
                line_start = 1;
            }
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && !ws((unsigned char)text[j]))
            j++;
        if (nw == cap) {
            cap = cap ? cap * 2 : 256;
            word *q = cml_realloc(w, (size_t)cap * sizeof *q);
            if (!q) goto nomem;
            w = q;
        }
        w[nw].s = (int64_t)i;
        w[nw].e = (int64_t)j;
        w[nw].heading = line_start && c == '#';
        w[nw].para_start = newlines >= 2 || w[nw].heading;
        nw++;
        newlines = 0;
        line_start = 0;
        i = j;
    }
    if (o->mode == CML_CHUNK_FIXED) {
        if (nw && !windows(&v, w, 0, nw, o->size, o->overlap)) goto nomem;
    } else {
        int64_t cs = -1; /* first word of the open chunk */
        for (int64_t p = 0; p < nw;) {
            int64_t q = p + 1;
            while (q < nw && !w[q].para_start)
                q++;
            int64_t pw = q - p;
            /* close the open chunk if this paragraph does not fit or is a heading */
            if (cs >= 0 && (w[p].heading || (p - cs) + pw > o->size)) {
                if (!push(&v, w[cs].s, w[p - 1].e)) goto nomem;
                cs = -1;
            }
            if (pw > o->size) {
                if (!windows(&v, w, p, q, o->size, o->overlap)) goto nomem;
            } else if (cs < 0) {
                cs = p;
            }
            p = q;
        }
        if (cs >= 0 && !push(&v, w[cs].s, w[nw - 1].e)) goto nomem;
    }
    free(w);
    *out = v.a;
    *n = v.n;
    return CML_OK;
nomem:
    free(w);
    free(v.a);
    return CML_ERR_NOMEM;
}
