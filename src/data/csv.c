/*
 * csv.c — RFC 4180 CSV reader and writer.
 *
 * Reading: the whole input is one buffer with a NUL sentinel; fields are
 * tokenized in place and numbers parsed straight from it by the exact parser
 * of data_internal.h (Clinger's fast path, strtod otherwise), so a numeric
 * cell costs one pass over its bytes and no copy.
 *
 * Records: a record ends at LF, CRLF, or the end of the input; records that
 * are empty (or a lone CR) are skipped wherever they are, as pandas does, so
 * trailing blank lines are harmless (consequence: a one-column file cannot
 * mark a missing value with an empty line; write NA). Line numbers in errors
 * count physical lines from 1 (the header is line 1, a BOM does not count),
 * so newlines inside quoted fields move later lines down exactly as an
 * editor shows them. Columns in errors are 1-based field indices.
 *
 * Typing (no schema): a column is numeric when every non-missing cell parses
 * completely as a number (spaces/tabs around it allowed unless they are the
 * separator); otherwise it is categorical, its levels the distinct
 * non-missing cell texts sorted by bytes (sklearn's OrdinalEncoder / numpy
 * unique order), cells holding the level index. Categorical columns are
 * found in the first pass and filled in a second pass over the same bytes.
 * Missing cells: "", NA, NaN, nan, ?, N/A, null (after trimming) -> NaN.
 *
 * With a schema (from a fitted model): file columns are matched to schema
 * columns by header name (by position without a header); extra file columns
 * are dropped; the table has exactly the schema's columns in schema order,
 * except `optional_col`, which the table simply does not contain when the
 * file lacks it (callers test cml_table_find(t, name) < 0). Categorical cells
 * map through the schema's levels; an unseen level is an error.
 *
 * Text columns (opts->text_col, or a schema column of kind text) are
 * skipped in the first pass and their cell strings kept in the second, as
 * they are in the file (see cml_col_kind in data.h), one allocation per
 * cell, in the column's `levels` (row order).
 *
 * Parallelism: when the data holds no '"' at all, records are exactly
 * lines, so the buffer is cut at newlines into one chunk per thread; each
 * chunk counts its records (memchr), the counts give each chunk its row
 * range, and chunks are parsed independently. The output does not depend on
 * the thread count, and the reported error is always the first in the file
 * (the earliest chunk's first error). Input with quotes is parsed serially.
 *
 * Complexity: O(bytes) time; memory: the input plus 8 bytes per cell (plus
 * 24 bytes per cell of categorical columns while their levels are built).
 * Thread-safety: reentrant; no global state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cml/data.h"
#include "data/data_internal.h"

#define CSV_MSG_LEN 640

/* How the cells of one file column are read in a pass. */
enum {
    MODE_SKIP = 0,   /* scanned, not stored */
    MODE_NUM,        /* number or missing; anything else flags the column categorical */
    MODE_NUM_STRICT, /* schema numeric: anything else is an error */
    MODE_CAT_SCHEMA, /* schema categorical: looked up in the schema's levels */
    MODE_COLLECT,    /* second pass: remember the cell text */
    MODE_TEXT        /* second pass, text column: the cell text, no missing markers */
};

/* Terminators of a field. */
enum { TERM_SEP = 0, TERM_NL, TERM_END };

typedef struct level_ref {
    const char *s;
    size_t n;
    int64_t code; /* index in the schema's level list; or a row while building levels */
} level_ref;

typedef struct level_index { /* one schema categorical column, sorted by text */
    level_ref *refs;
    int64_t n;
    int64_t schema_col;
} level_index;

typedef struct cell_ref { /* second pass: the text of one categorical cell */
    const char *s;
    size_t n;     /* SIZE_MAX: missing */
    int quoted2x; /* has doubled quotes to undo */
} cell_ref;

typedef struct cml_csv_ctx_view { /* what an error message needs to name a cell */
    const char *buf, *name, *colname;
} cml_csv_ctx_view;

typedef struct csv_ctx {
    const char *buf, *end; /* the input; *end == '\0' */
    const char *name;      /* for messages */
    char sep;
    int ws1, ws2;             /* bytes trimmed around cells (256 = none) */
    int64_t nf;               /* fields per record */
    int64_t nout;             /* output columns */
    const int64_t *dst;       /* (nf) output column of each field, or -1 */
    const uint8_t *mode;      /* (nf) MODE_* for this pass */
    const level_index *lvl;   /* (nout) schema categorical lookups (n = 0 otherwise) */
    const cml_column *schema; /* NULL without schema */
    const int64_t *schema_of; /* (nout) schema index of each output column */
    double *data;             /* (rows, nout); NULL when only counting */
    cell_ref **cells;         /* (nout) second pass: per-row cell texts, NULL if unused */
} csv_ctx;

typedef struct csv_chunk {
    const char *begin, *end;
    int64_t row0, rows;   /* first row and record count */
    int64_t line0, lines; /* first line and newline count */
    uint8_t *nonnum;      /* (nf) column had a cell that is not a number */
    cml_status st;
    int64_t eline, ecol;
    char emsg[CSV_MSG_LEN];
} csv_chunk;

typedef struct csv_field {
    const char *s; /* content (inside the quotes of a quoted field) */
    size_t n;
    int quoted, quoted2x;
} csv_field;

static const char *chunk_err(csv_chunk *ch, cml_status st, int64_t line, int64_t col,
                             const char *fmt, ...) CML_PRINTF(5, 6);

static const char *chunk_err(csv_chunk *ch, cml_status st, int64_t line, int64_t col,
                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ch->emsg, sizeof ch->emsg, fmt, ap);
    va_end(ap);
    ch->st = st;
    ch->eline = line;
    ch->ecol = col;
    return NULL;
}

static cml_status chunk_fail(const csv_ctx *c, const csv_chunk *ch)
{
    if (ch->st == CML_ERR_NOMEM) return cml_fail(ch->st, "%s", ch->emsg);
    if (ch->ecol > 0)
        return cml_fail(ch->st, "%s:%lld:%lld: %s", c->name, (long long)ch->eline,
                        (long long)ch->ecol, ch->emsg);
    return cml_fail(ch->st, "%s:%lld: %s", c->name, (long long)ch->eline, ch->emsg);
}

/* If q is at a field terminator, returns the position after it and its
 * kind; else NULL. */
static inline const char *at_term(const csv_ctx *c, const char *q, int *term)
{
    char ch = *q;
    if (ch == c->sep) {
        *term = TERM_SEP;
        return q + 1;
    }
    if (ch == '\n') {
        *term = TERM_NL;
        return q + 1;
    }
    if (ch == '\r') {
        if (q[1] == '\n') {
            *term = TERM_NL;
            return q + 2;
        }
        if (q + 1 == c->end) {
            *term = TERM_END;
            return q + 1;
        }
        return NULL;
    }
    if (ch == '\0' && q == c->end) {
        *term = TERM_END;
        return q;
    }
    return NULL;
}

/* A record that is empty or a lone CR: skipped. Returns the position after
 * it, or NULL if the record at p is not blank. */
static inline const char *blank_record(const csv_ctx *c, const char *p, int *nl)
{
    if (*p == '\n') {
        *nl = 1;
        return p + 1;
    }
    if (*p == '\r' && (p[1] == '\n' || p + 1 == c->end)) {
        *nl = p[1] == '\n';
        return p + 1 + *nl;
    }
    return NULL;
}

static inline int is_ws(const csv_ctx *c, char ch)
{
    return (unsigned char)ch == c->ws1 || (unsigned char)ch == c->ws2;
}

/* Scans one field at p (quoted or not); returns the position after its
 * terminator, with the content in *f and the terminator in *term, and
 * advances *line past newlines in quoted content (the terminating newline is
 * the caller's). NULL after recording an error in ch. */
static const char *scan_field(const csv_ctx *c, const char *p, int64_t *line, int64_t col,
                              csv_field *f, int *term, csv_chunk *ch)
{
    const char *r;
    f->quoted = f->quoted2x = 0;
    if (*p == '"') {
        const char *q = p + 1;
        int64_t start_line = *line;
        f->quoted = 1;
        for (;;) {
            char x = *q;
            if (x == '"') {
                if (q[1] == '"') {
                    f->quoted2x = 1;
                    q += 2;
                    continue;
                }
                break;
            }
            if (x == '\n') {
                (*line)++;
            } else if (x == '\0') {
                if (q == c->end)
                    return chunk_err(ch, CML_ERR_FORMAT, start_line, col,
                                     "unterminated quoted field (the quote opened here is never "
                                     "closed). HINT: double quotes inside a quoted field (\"\")");
                return chunk_err(ch, CML_ERR_FORMAT, *line, col,
                                 "NUL byte: binary data, not a CSV text file");
            }
            q++;
        }
        f->s = p + 1;
        f->n = (size_t)(q - (p + 1));
        r = at_term(c, q + 1, term);
        if (!r) {
            char v[64];
            cml_quote_value(v, sizeof v, q + 1, 1);
            if (q[1] == '\0')
                return chunk_err(ch, CML_ERR_FORMAT, *line, col,
                                 "NUL byte: binary data, not a CSV text file");
            return chunk_err(ch, CML_ERR_FORMAT, *line, col,
                             "unexpected %s after a closing quote; expected a separator or the "
                             "end of the line",
                             v);
        }
        return r;
    }
    const char *q = p;
    for (;;) {
        r = at_term(c, q, term);
        if (r) break;
        if (*q == '\0')
            return chunk_err(ch, CML_ERR_FORMAT, *line, col,
                             "NUL byte: binary data, not a CSV text file");
        q++;
    }
    f->s = p;
    f->n = (size_t)(q - p);
    return r;
}

/* Content with surrounding spaces/tabs removed. */
static inline void trim(const csv_ctx *c, const char **s, size_t *n)
{
    const char *a = *s, *b = *s + *n;
    while (a < b && is_ws(c, *a))
        a++;
    while (b > a && is_ws(c, b[-1]))
        b--;
    *s = a;
    *n = (size_t)(b - a);
}

/* The missing-value spellings (exact case as listed in data.h). */
static int is_missing(const char *s, size_t n)
{
    static const char *const na[] = {"NA", "NaN", "nan", "?", "N/A", "null"};
    if (n == 0) return 1;
    if (n > 4) return 0;
    for (size_t i = 0; i < sizeof na / sizeof na[0]; i++)
        if (strlen(na[i]) == n && memcmp(na[i], s, n) == 0) return 1;
    return 0;
}

/* Parses trimmed content fully as a number. */
static int field_number(const char *s, size_t n, double *v)
{
    const char *r = cml_parse_double(s, v);
    return r && r == s + n;
}

static int span_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    int r = memcmp(a, b, na < nb ? na : nb);
    if (r) return r;
    return (na > nb) - (na < nb);
}

static int level_ref_cmp(const void *x, const void *y)
{
    const level_ref *a = x, *b = y;
    int r = span_cmp(a->s, a->n, b->s, b->n);
    if (r) return r;
    return (a->code > b->code) - (a->code < b->code); /* ties by row: deterministic */
}

/* Undoes "" -> " in a quoted field's content; dst holds n bytes. */
static size_t unquote(char *dst, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        dst[k++] = s[i];
        if (s[i] == '"') i++; /* content of a closed field: "" pairs only */
    }
    return k;
}

/* Schema categorical cell -> level code; 0 (error set) for an unseen level. */
static int lookup_level(const csv_ctx *c, const level_index *li, const csv_field *f, int64_t line,
                        int64_t col, double *code, csv_chunk *ch)
{
    char small[256];
    char *tmp = NULL;
    const char *s = f->s;
    size_t n = f->n;
    if (f->quoted2x) {
        tmp = n <= sizeof small ? small : malloc(n);
        if (!tmp) {
            chunk_err(ch, CML_ERR_NOMEM, line, col, "out of memory (%zu bytes)", n);
            return 0;
        }
        n = unquote(tmp, f->s, f->n);
        s = tmp;
    }
    int64_t lo = 0, hi = li->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int r = span_cmp(li->refs[mid].s, li->refs[mid].n, s, n);
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int found = lo < li->n && span_cmp(li->refs[lo].s, li->refs[lo].n, s, n) == 0;
    if (found) *code = (double)li->refs[lo].code;
    char v[64];
    cml_quote_value(v, sizeof v, s, n);
    if (tmp && tmp != small) free(tmp);
    if (found) return 1;
    const cml_column *sc = &c->schema[li->schema_col];
    char known[300];
    size_t k = 0;
    known[0] = '\0';
    for (int64_t i = 0; i < sc->n_levels && i < 5 && k < sizeof known - 64; i++) {
        char lv[64];
        cml_quote_value(lv, sizeof lv, sc->levels[i], strlen(sc->levels[i]));
        k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", lv);
    }
    chunk_err(ch, CML_ERR_FORMAT, line, col,
              "unseen category %s in column \"%s\" (known levels: %s%s). HINT: the model was "
              "fitted without this value; refit with data that has it",
              v, sc->name, known, sc->n_levels > 5 ? ", ..." : "");
    return 0;
}

/* One cell read through the generic path (quoted, non-numeric, or an odd
 * terminator); line is where the cell starts. Returns 0 after an error. */
static int store_field(const csv_ctx *c, csv_chunk *ch, int64_t row, int64_t j, int64_t line,
                       const csv_field *f)
{
    int mode = j < c->nf ? c->mode[j] : MODE_SKIP;
    if (mode == MODE_SKIP) return 1;
    int64_t o = c->dst[j];
    const char *s = f->s;
    size_t n = f->n;
    trim(c, &s, &n);
    int missing = !f->quoted2x && is_missing(s, n);
    if (mode == MODE_COLLECT || mode == MODE_TEXT) {
        cell_ref *cr = &c->cells[o][row];
        cr->s = f->s;
        cr->n = missing && mode == MODE_COLLECT ? SIZE_MAX : f->n;
        cr->quoted2x = f->quoted2x;
        return 1;
    }
    double *cell = c->data ? &c->data[row * c->nout + o] : NULL;
    double v = NAN;
    if (mode == MODE_CAT_SCHEMA) {
        if (!missing && !lookup_level(c, &c->lvl[o], f, line, j + 1, &v, ch)) return 0;
    } else if (!missing && (f->quoted2x || !field_number(s, n, &v))) {
        if (mode == MODE_NUM_STRICT) {
            char val[64];
            cml_quote_value(val, sizeof val, f->s, f->n);
            chunk_err(ch, CML_ERR_FORMAT, line, j + 1,
                      "expected a number, found %s (column \"%s\" is numeric in the model's "
                      "schema)",
                      val, c->schema[c->schema_of[o]].name);
            return 0;
        }
        ch->nonnum[j] = 1; /* categorical: codes come in the second pass */
        v = NAN;
    }
    if (cell) *cell = v;
    return 1;
}

/* Parses the records of ch into rows row0.., or only counts them when
 * c->data and c->cells are NULL (then ch->rows is set). */
static void parse_chunk(const csv_ctx *c, csv_chunk *ch, int counting)
{
    const char *p = ch->begin, *end = ch->end;
    int64_t line = ch->line0, row = ch->row0;
    const int64_t nf = c->nf, nout = c->nout;
    const char sep = c->sep;
    while (p < end) {
        int nl;
        const char *b = blank_record(c, p, &nl);
        if (b) {
            line += nl;
            p = b;
            continue;
        }
        if (!counting && row >= ch->row0 + ch->rows) {
            chunk_err(ch, CML_ERR_INTERNAL, line, 0, "record count changed between passes");
            return;
        }
        const int64_t rline = line;
        double *drow = c->data ? c->data + row * nout : NULL;
        int64_t j = 0;
        int term = TERM_END;
        for (;; j++) {
            /* Fast path: an unquoted number straight from the buffer. */
            if (drow && j < nf && (c->mode[j] == MODE_NUM || c->mode[j] == MODE_NUM_STRICT)) {
                const char *q = p;
                double v;
                while (is_ws(c, *q))
                    q++;
                const char *r = cml_parse_double(q, &v);
                if (r) {
                    while (is_ws(c, *r))
                        r++;
                    if (*r == sep) {
                        drow[c->dst[j]] = v;
                        p = r + 1;
                        continue;
                    }
                    const char *t = at_term(c, r, &term);
                    if (t) {
                        drow[c->dst[j]] = v;
                        p = t;
                        break;
                    }
                }
            }
            csv_field f;
            const int64_t fline = line;
            const char *t = scan_field(c, p, &line, j + 1, &f, &term, ch);
            if (!t) return;
            if (!counting && !store_field(c, ch, row, j, fline, &f)) return;
            p = t;
            if (term != TERM_SEP) break;
        }
        int64_t found = j + 1;
        if (found != nf) {
            chunk_err(ch, CML_ERR_FORMAT, rline, CML_MIN(found, nf) + 1,
                      "expected %lld fields, found %lld (ragged row)%s", (long long)nf,
                      (long long)found,
                      found < nf ? "" : ". HINT: quote fields that contain the separator");
            return;
        }
        if (term == TERM_NL) line++; /* the record's own newline */
        row++;
    }
    if (counting) ch->rows = row - ch->row0;
}

/* Records and newlines in [begin, end) of quote-free input: records are
 * exactly the non-blank lines (the same rule as parse_chunk). */
static void count_lines(const csv_ctx *c, csv_chunk *ch)
{
    const char *p = ch->begin, *end = ch->end;
    int64_t rows = 0, lines = 0;
    while (p < end) {
        const char *nlp = memchr(p, '\n', (size_t)(end - p));
        const char *e = nlp ? nlp : end;
        size_t n = (size_t)(e - p);
        int blank = n == 0 || (n == 1 && *p == '\r');
        /* A lone CR mid-file is content (a field), not a blank record. */
        if (blank && n == 1 && !nlp && p + 1 != c->end) blank = 0;
        rows += !blank;
        if (!nlp) break;
        lines++;
        p = nlp + 1;
    }
    ch->rows = rows;
    ch->lines = lines;
}

/* ---------------------------------------------------------------- header */

typedef struct header {
    int64_t nf;
    char **names; /* (nf) owned, or NULL without a header */
} header;

static void header_free(header *h)
{
    if (h->names)
        for (int64_t j = 0; j < h->nf; j++)
            free(h->names[j]);
    free(h->names);
    h->names = NULL;
}

/* Reads the first record at *p: its field count, and the names when
 * keep_names. Advances *p and *line past it only when keep_names. */
static cml_status read_header(const csv_ctx *c, const char **p, int64_t *line, int keep_names,
                              header *h)
{
    csv_chunk ch;
    memset(&ch, 0, sizeof ch);
    const char *q = *p;
    int64_t ln = *line;
    int64_t cap = 0;
    h->nf = 0;
    h->names = NULL;
    for (;;) {
        csv_field f;
        int term;
        const char *t = scan_field(c, q, &ln, h->nf + 1, &f, &term, &ch);
        if (!t) {
            header_free(h);
            return chunk_fail(c, &ch);
        }
        if (keep_names) {
            if (h->nf == cap) {
                cap = cap ? 2 * cap : 16;
                char **nn = cml_realloc(h->names, (size_t)cap * sizeof *nn);
                if (!nn) {
                    header_free(h);
                    return CML_ERR_NOMEM;
                }
                h->names = nn;
            }
            char *name = cml_malloc(f.n + 24);
            if (!name) {
                header_free(h);
                return CML_ERR_NOMEM;
            }
            size_t n = f.quoted2x ? unquote(name, f.s, f.n) : (memcpy(name, f.s, f.n), f.n);
            name[n] = '\0';
            /* An unnamed column gets the name it would have without a header. */
            if (n == 0) snprintf(name, f.n + 24, "c%lld", (long long)h->nf);
            h->names[h->nf] = name;
        }
        h->nf++;
        q = t;
        if (term != TERM_SEP) {
            if (term == TERM_NL) ln++;
            break;
        }
    }
    if (keep_names) {
        *p = q;
        *line = ln;
    }
    return CML_OK;
}

typedef struct name_ref {
    const char *name;
    int64_t idx;
} name_ref;

static int name_ref_cmp(const void *x, const void *y)
{
    const name_ref *a = x, *b = y;
    int r = strcmp(a->name, b->name);
    if (r) return r;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Sorted (name, index) pairs, for duplicate checks and lookups. */
static name_ref *sorted_names(char *const *names, const cml_column *cols, int64_t n)
{
    name_ref *r = cml_alloc_array(n, sizeof *r);
    if (!r) return NULL;
    for (int64_t i = 0; i < n; i++) {
        r[i].name = names ? names[i] : cols[i].name;
        r[i].idx = i;
    }
    qsort(r, (size_t)n, sizeof *r, name_ref_cmp);
    return r;
}

static int64_t find_name(const name_ref *r, int64_t n, const char *name)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (strcmp(r[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(r[lo].name, name) == 0 ? r[lo].idx : -1;
}

/* ---------------------------------------------------------------- reader */

static cml_status check_opts(const cml_csv_opts *o)
{
    unsigned char s = (unsigned char)o->sep;
    if (s == '"' || s == '\n' || s == '\r' || s == '\0' || s == '.' || s == '+' || s == '-' ||
        (s >= '0' && s <= '9') || ((s | 0x20) >= 'a' && (s | 0x20) <= 'z') || s >= 0x80)
        return cml_fail(CML_ERR_ARG,
                        "sep must be a punctuation or whitespace byte (',' ';' '\\t' '|' ' '...), "
                        "got 0x%02x",
                        s);
    if (o->schema_cols < 0 || (o->schema_cols > 0 && !o->schema))
        return cml_fail(CML_ERR_ARG, "schema_cols = %lld with schema %s", (long long)o->schema_cols,
                        o->schema ? "set" : "NULL");
    for (int64_t i = 0; i < o->schema_cols; i++) {
        const cml_column *sc = &o->schema[i];
        if (!sc->name) return cml_fail(CML_ERR_ARG, "schema column %lld has no name", (long long)i);
        if (sc->kind == CML_COL_CATEGORICAL && sc->n_levels > 0 && !sc->levels)
            return cml_fail(CML_ERR_ARG, "schema column \"%s\" has no levels", sc->name);
    }
    return CML_OK;
}

cml_csv_opts cml_csv_opts_default(void)
{
    cml_csv_opts o;
    memset(&o, 0, sizeof o);
    o.sep = ',';
    o.header = 1;
    return o;
}

/* Everything parse() allocates, freed in one place. */
typedef struct csv_state {
    header h;
    int64_t *dst, *schema_of;
    uint8_t *mode, *nonnum;
    level_index *lvl;
    csv_chunk *chunks;
    cell_ref **cells;
    name_ref *fsorted, *ssorted;
    cml_table *t;
    int64_t text_field; /* no schema: the field read as text, or -1 */
} csv_state;

static void state_free(csv_state *s, int64_t nout)
{
    header_free(&s->h);
    free(s->dst);
    free(s->schema_of);
    free(s->mode);
    free(s->nonnum);
    if (s->lvl)
        for (int64_t o = 0; o < nout; o++)
            free(s->lvl[o].refs);
    free(s->lvl);
    free(s->chunks);
    if (s->cells)
        for (int64_t o = 0; o < nout; o++)
            free(s->cells[o]);
    free(s->cells);
    free(s->fsorted);
    free(s->ssorted);
    cml_table_free(s->t);
}

/* Maps file fields to output columns; fills s->dst, s->schema_of, the
 * column metadata of s->t and the pass-1 modes. */
static cml_status map_columns(const csv_ctx *c, const cml_csv_opts *o, int64_t line_hdr,
                              csv_state *s, int64_t *nout)
{
    const int64_t nf = s->h.nf;
    s->dst = cml_alloc_array(nf, sizeof *s->dst);
    s->mode = cml_calloc((size_t)nf, 1);
    if (!s->dst || !s->mode) return CML_ERR_NOMEM;
    if (s->h.names) {
        s->fsorted = sorted_names(s->h.names, NULL, nf);
        if (!s->fsorted) return CML_ERR_NOMEM;
        for (int64_t i = 1; i < nf; i++)
            if (strcmp(s->fsorted[i].name, s->fsorted[i - 1].name) == 0)
                return cml_fail(CML_ERR_FORMAT,
                                "%s:%lld:%lld: duplicate column name \"%s\" (also column %lld)",
                                c->name, (long long)line_hdr, (long long)s->fsorted[i].idx + 1,
                                s->fsorted[i].name, (long long)s->fsorted[i - 1].idx + 1);
    }
    if (!o->schema_cols) {
        for (int64_t j = 0; j < nf; j++) {
            s->dst[j] = j;
            s->mode[j] = MODE_NUM;
        }
        *nout = nf;
        if (o->text_col) {
            int64_t t = -1;
            for (int64_t j = 0; j < nf && t < 0; j++) {
                char tmp[32];
                snprintf(tmp, sizeof tmp, "c%lld", (long long)j);
                if (strcmp(s->h.names ? s->h.names[j] : tmp, o->text_col) == 0) t = j;
            }
            if (t < 0)
                return cml_fail(CML_ERR_ARG, "%s: no column named \"%s\" (the text column)",
                                c->name, o->text_col);
            s->mode[t] = MODE_SKIP; /* its cells are read in the second pass */
            s->text_field = t;
        }
        return CML_OK;
    }
    /* Schema: where is each schema column in the file? */
    const int64_t ns = o->schema_cols;
    int64_t *where = cml_alloc_array(ns, sizeof *where);
    if (!where) return CML_ERR_NOMEM;
    int64_t opt = -1;
    for (int64_t i = 0; i < ns; i++)
        if (o->optional_col && strcmp(o->schema[i].name, o->optional_col) == 0) opt = i;
    if (s->h.names) {
        for (int64_t i = 0; i < ns; i++)
            where[i] = find_name(s->fsorted, nf, o->schema[i].name);
    } else if (nf == ns) {
        for (int64_t i = 0; i < ns; i++)
            where[i] = i;
    } else if (opt >= 0 && nf == ns - 1) {
        for (int64_t i = 0, j = 0; i < ns; i++)
            where[i] = i == opt ? -1 : j++;
    } else {
        free(where);
        return cml_fail(CML_ERR_FORMAT,
                        "%s:%lld: %lld fields, but the model's schema has %lld columns. HINT: "
                        "without a header, columns are matched by position",
                        c->name, (long long)line_hdr, (long long)nf, (long long)ns);
    }
    for (int64_t i = 0; i < ns; i++) {
        if (where[i] >= 0 || i == opt) continue;
        cml_status st = cml_fail(CML_ERR_FORMAT,
                                 "%s:%lld: column \"%s\" of the model's schema is missing from "
                                 "the header. HINT: predict needs the columns the model was "
                                 "fitted on",
                                 c->name, (long long)line_hdr, o->schema[i].name);
        free(where);
        return st;
    }
    int64_t n = 0;
    for (int64_t j = 0; j < nf; j++)
        s->dst[j] = -1;
    s->schema_of = cml_alloc_array(ns, sizeof *s->schema_of);
    if (!s->schema_of) {
        free(where);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < ns; i++) {
        if (where[i] < 0) continue;
        s->dst[where[i]] = n;
        s->schema_of[n] = i;
        s->mode[where[i]] = o->schema[i].kind == CML_COL_CATEGORICAL ? MODE_CAT_SCHEMA
                            : o->schema[i].kind == CML_COL_TEXT      ? MODE_SKIP
                                                                     : MODE_NUM_STRICT;
        n++;
    }
    free(where);
    *nout = n;
    return CML_OK;
}

/* Sorted level lookups for the schema's categorical columns. */
static cml_status build_level_index(const cml_csv_opts *o, csv_state *s, int64_t nout)
{
    s->lvl = cml_calloc((size_t)nout, sizeof *s->lvl);
    if (!s->lvl) return CML_ERR_NOMEM;
    for (int64_t k = 0; k < nout; k++) {
        const cml_column *sc = &o->schema[s->schema_of[k]];
        s->lvl[k].schema_col = s->schema_of[k];
        if (sc->kind != CML_COL_CATEGORICAL || sc->n_levels <= 0) continue;
        s->lvl[k].refs = cml_alloc_array(sc->n_levels, sizeof(level_ref));
        if (!s->lvl[k].refs) return CML_ERR_NOMEM;
        for (int64_t i = 0; i < sc->n_levels; i++) {
            s->lvl[k].refs[i].s = sc->levels[i];
            s->lvl[k].refs[i].n = strlen(sc->levels[i]);
            s->lvl[k].refs[i].code = i;
        }
        s->lvl[k].n = sc->n_levels;
        qsort(s->lvl[k].refs, (size_t)sc->n_levels, sizeof(level_ref), level_ref_cmp);
    }
    return CML_OK;
}

/* Column metadata of the output table. */
static cml_status fill_columns(const cml_csv_opts *o, csv_state *s, int64_t nout)
{
    cml_table *t = s->t;
    t->columns = cml_calloc((size_t)(nout ? nout : 1), sizeof *t->columns);
    if (!t->columns) return CML_ERR_NOMEM;
    t->cols = nout;
    if (o->schema_cols) {
        for (int64_t k = 0; k < nout; k++) {
            cml_column *one = NULL;
            CML_CHECK(cml_columns_copy(&o->schema[s->schema_of[k]], 1, &one));
            t->columns[k] = *one;
            free(one);
        }
        return CML_OK;
    }
    for (int64_t j = 0; j < nout; j++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "c%lld", (long long)j);
        t->columns[j].name = cml_strdup(s->h.names ? s->h.names[j] : tmp);
        if (!t->columns[j].name) return CML_ERR_NOMEM;
        t->columns[j].kind = j == s->text_field ? CML_COL_TEXT : CML_COL_NUMERIC;
    }
    return CML_OK;
}

/* Levels and codes of one inferred categorical column from its cell texts. */
/* Whether a cell's text is a number (surrounding blanks allowed). */
static int cell_is_number(const cell_ref *c)
{
    const char *s = c->s, *e = c->s + c->n;
    double v;
    if (c->quoted2x) return 0;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (s == e) return 0;
    const char *r = cml_parse_double(s, &v);
    return r == e;
}

/*
 * A column with some text cells is categorical, unless numbers are the
 * majority of its non-missing cells: then the text is far likelier a typo
 * or an unmarked missing value than a category ("12", "15", "abc", "11"),
 * and silently turning the whole column into categories would hide it. That
 * case is an error naming the first offending cell.
 */
static cml_status check_mostly_numeric(const cml_csv_ctx_view *v, const cell_ref *cells,
                                       int64_t rows, int64_t field)
{
    int64_t num = 0, text = 0, first = -1;
    for (int64_t i = 0; i < rows; i++) {
        if (cells[i].n == SIZE_MAX) continue;
        if (cell_is_number(&cells[i]))
            num++;
        else {
            text++;
            if (first < 0) first = i;
        }
    }
    if (num <= text) return CML_OK;
    /* the cell's text for a one-line message: control bytes as '?' */
    char shown[44];
    size_t k = 0;
    for (; k < cells[first].n && k < 40; k++) {
        unsigned char ch = (unsigned char)cells[first].s[k];
        shown[k] = ch < 0x20 ? '?' : (char)ch;
    }
    shown[k] = '\0';
    /* the line: newlines before the cell (quoted fields may hold some) */
    int64_t line = 1;
    for (const char *p = v->buf; p < cells[first].s; p++)
        line += *p == '\n';
    return cml_fail(CML_ERR_FORMAT,
                    "%s:%lld:%lld: expected a number, found \"%s\" (column \"%s\" holds numbers "
                    "in %lld of its %lld filled rows). HINT: fix the cell, or write NA for a "
                    "missing value",
                    v->name, (long long)line, (long long)field + 1, shown, v->colname,
                    (long long)num, (long long)(num + text));
}

static cml_status build_levels(const cell_ref *cells, int64_t rows, double *data, int64_t nout,
                               int64_t o, cml_column *col)
{
    cml_status st = CML_OK;
    size_t unq_bytes = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < rows; i++) {
        if (cells[i].n == SIZE_MAX) continue;
        n++;
        if (cells[i].quoted2x) unq_bytes += cells[i].n;
    }
    level_ref *r = cml_alloc_array(n, sizeof *r);
    char *unq = cml_malloc(unq_bytes);
    if (!r || !unq) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    size_t used = 0;
    int64_t k = 0;
    for (int64_t i = 0; i < rows; i++) {
        const cell_ref *cr = &cells[i];
        if (cr->n == SIZE_MAX) continue;
        r[k].s = cr->s;
        r[k].n = cr->n;
        if (cr->quoted2x) {
            r[k].s = unq + used;
            r[k].n = unquote(unq + used, cr->s, cr->n);
            used += r[k].n;
        }
        r[k].code = i;
        k++;
    }
    qsort(r, (size_t)n, sizeof *r, level_ref_cmp);
    int64_t nlev = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || span_cmp(r[i].s, r[i].n, r[i - 1].s, r[i - 1].n) != 0) nlev++;
        data[r[i].code * nout + o] = (double)(nlev - 1);
    }
    col->kind = CML_COL_CATEGORICAL;
    col->levels = cml_calloc((size_t)(nlev ? nlev : 1), sizeof *col->levels);
    if (!col->levels) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    col->n_levels = nlev;
    for (int64_t i = 0, l = 0; i < n; i++) {
        if (i > 0 && span_cmp(r[i].s, r[i].n, r[i - 1].s, r[i - 1].n) == 0) continue;
        char *lv = cml_malloc(r[i].n + 1);
        if (!lv) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        memcpy(lv, r[i].s, r[i].n);
        lv[r[i].n] = '\0';
        col->levels[l++] = lv;
    }
fail:
    free(r);
    free(unq);
    return st;
}

/* The strings of a text column from its cell texts (quotes undone), in one
 * block; the matrix cells are NaN. */
static cml_status build_text(const cell_ref *cells, int64_t rows, double *data, int64_t nout,
                             int64_t o, cml_column *col)
{
    col->levels = cml_calloc((size_t)(rows ? rows : 1), sizeof *col->levels);
    if (!col->levels) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < rows; i++) {
        char *d = cml_malloc(cells[i].n + 1);
        if (!d) return CML_ERR_NOMEM; /* the cells so far are freed with the column */
        size_t n = cells[i].quoted2x ? unquote(d, cells[i].s, cells[i].n) : cells[i].n;
        if (!cells[i].quoted2x) memcpy(d, cells[i].s, n);
        d[n] = '\0';
        col->levels[i] = d;
        col->n_levels = i + 1;
        data[i * nout + o] = NAN;
    }
    return CML_OK;
}

/* Runs one pass over all chunks in parallel; the first error in file order wins. */
static cml_status run_pass(const csv_ctx *c, csv_chunk *chunks, int nchunks, int counting)
{
    for (int k = 0; k < nchunks; k++)
        chunks[k].st = CML_OK;
#pragma omp parallel for num_threads(nchunks) schedule(static, 1) if (nchunks > 1)
    for (int k = 0; k < nchunks; k++)
        parse_chunk(c, &chunks[k], counting);
    for (int k = 0; k < nchunks; k++)
        if (chunks[k].st != CML_OK) return chunk_fail(c, &chunks[k]);
    return CML_OK;
}

/* Input below this size per thread is not worth splitting. The fuzz build
 * sets it to a few bytes so that chunk boundaries get fuzzed too. */
#ifndef CML_CSV_MIN_CHUNK
#define CML_CSV_MIN_CHUNK (1u << 20)
#endif

static cml_status parse(const char *buf, size_t len, const char *name, const cml_csv_opts *opts,
                        cml_table **out)
{
    cml_csv_opts dflt = cml_csv_opts_default();
    const cml_csv_opts *o = opts ? opts : &dflt;
    csv_state s;
    memset(&s, 0, sizeof s);
    s.text_field = -1;
    int64_t nout = 0;
    cml_status st;
    CML_CHECK(check_opts(o));

    csv_ctx c;
    memset(&c, 0, sizeof c);
    c.buf = buf;
    c.end = buf + len;
    c.name = name;
    c.sep = o->sep;
    c.ws1 = o->sep == ' ' ? 256 : ' ';
    c.ws2 = o->sep == '\t' ? 256 : '\t';
    c.schema = o->schema_cols ? o->schema : NULL;

    const char *p = buf;
    int64_t line = 1;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* UTF-8 BOM */
    for (;;) {                                                 /* blank lines before the header */
        int nl;
        const char *b = blank_record(&c, p, &nl);
        if (!b) break;
        line += nl;
        p = b;
    }
    if (p >= c.end) return cml_fail(CML_ERR_FORMAT, "%s: empty file", name);
    const int64_t line_hdr = line;
    CML_TRY(read_header(&c, &p, &line, o->header != 0, &s.h));
    c.nf = s.h.nf;
    CML_TRY(map_columns(&c, o, line_hdr, &s, &nout));
    c.nout = nout;
    c.dst = s.dst;
    c.mode = s.mode;
    c.schema_of = s.schema_of;
    if (o->schema_cols) {
        CML_TRY(build_level_index(o, &s, nout));
        c.lvl = s.lvl;
    }

    /* Chunks: one per thread for quote-free input, else one. */
    const size_t body = (size_t)(c.end - p);
    const int quotes = memchr(p, '"', body) != NULL;
    int nchunks = 1;
    if (!quotes) {
        int nt = cml_get_num_threads();
        size_t by_size = body / CML_CSV_MIN_CHUNK;
        nchunks = (int)CML_MAX(1, CML_MIN((size_t)nt, by_size));
    }
    s.chunks = cml_calloc((size_t)nchunks, sizeof *s.chunks);
    s.nonnum = cml_calloc((size_t)nchunks, (size_t)(c.nf ? c.nf : 1));
    if (!s.chunks || !s.nonnum) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    const char *cut = p;
    for (int k = 0; k < nchunks; k++) {
        csv_chunk *ch = &s.chunks[k];
        ch->begin = cut;
        if (k == nchunks - 1) {
            cut = c.end;
        } else {
            const char *aim = p + body / (size_t)nchunks * (size_t)(k + 1);
            if (aim < cut) aim = cut;
            const char *nl = memchr(aim, '\n', (size_t)(c.end - aim));
            cut = nl ? nl + 1 : c.end;
        }
        ch->end = cut;
        ch->nonnum = s.nonnum + (size_t)k * (size_t)c.nf;
    }
    int64_t rows = 0;
    if (quotes) {
        s.chunks[0].line0 = line;
        CML_TRY(run_pass(&c, s.chunks, 1, 1));
        rows = s.chunks[0].rows;
    } else {
#pragma omp parallel for num_threads(nchunks) schedule(static, 1) if (nchunks > 1)
        for (int k = 0; k < nchunks; k++)
            count_lines(&c, &s.chunks[k]);
        int64_t ln = line;
        for (int k = 0; k < nchunks; k++) {
            s.chunks[k].row0 = rows;
            s.chunks[k].line0 = ln;
            rows += s.chunks[k].rows;
            ln += s.chunks[k].lines;
        }
    }
    if (rows == 0) {
        st = cml_fail(CML_ERR_FORMAT, "%s: header only, no data rows", name);
        goto fail;
    }

    s.t = cml_calloc(1, sizeof *s.t);
    if (!s.t) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (nout > 0 && rows > INT64_MAX / 8 / nout) {
        st = cml_fail(CML_ERR_NOMEM, "%s: %lld rows x %lld columns is too large", name,
                      (long long)rows, (long long)nout);
        goto fail;
    }
    s.t->rows = rows;
    s.t->data = cml_big_alloc((size_t)(rows * nout) * sizeof(double));
    if (!s.t->data) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(fill_columns(o, &s, nout));
    c.data = s.t->data;
    CML_TRY(run_pass(&c, s.chunks, nchunks, 0));

    /* Second pass for the texts of text columns and (no schema) of the
     * columns a non-numeric cell made categorical. */
    int64_t ncollect = 0;
    for (int64_t j = 0; j < c.nf; j++) {
        int64_t oc = s.dst[j];
        uint8_t any = 0;
        if (!o->schema_cols)
            for (int k = 0; k < nchunks; k++)
                any |= s.chunks[k].nonnum[j];
        int text = oc >= 0 && s.t->columns[oc].kind == CML_COL_TEXT;
        s.mode[j] = text ? MODE_TEXT : any ? MODE_COLLECT : MODE_SKIP;
        ncollect += text || any;
    }
    if (ncollect) {
        s.cells = cml_calloc((size_t)nout, sizeof *s.cells);
        if (!s.cells) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        for (int64_t j = 0; j < c.nf; j++)
            if (s.mode[j] != MODE_SKIP) {
                s.cells[s.dst[j]] = cml_alloc_array(rows, sizeof(cell_ref));
                if (!s.cells[s.dst[j]]) {
                    st = CML_ERR_NOMEM;
                    goto fail;
                }
            }
        c.cells = s.cells;
        c.data = NULL;
        CML_TRY(run_pass(&c, s.chunks, nchunks, 0));
        for (int64_t j = 0; j < c.nf; j++) {
            if (s.mode[j] == MODE_SKIP) continue;
            int64_t oc = s.dst[j];
            if (s.mode[j] == MODE_TEXT) {
                CML_TRY(build_text(s.cells[oc], rows, s.t->data, nout, oc, &s.t->columns[oc]));
                continue;
            }
            cml_csv_ctx_view v = {c.buf, name, s.t->columns[oc].name};
            CML_TRY(check_mostly_numeric(&v, s.cells[oc], rows, j));
            CML_TRY(build_levels(s.cells[oc], rows, s.t->data, nout, oc, &s.t->columns[oc]));
        }
    }
    *out = s.t;
    s.t = NULL;
    state_free(&s, nout);
    return CML_OK;
fail:
    state_free(&s, nout);
    return st;
}

cml_status cml_csv_read_mem(const char *buf, size_t len, const char *name, const cml_csv_opts *opts,
                            cml_table **out)
{
    if (!out) return cml_fail(CML_ERR_ARG, "out is NULL");
    *out = NULL;
    if (!buf && len) return cml_fail(CML_ERR_ARG, "buf is NULL");
    /* A private copy provides the NUL sentinel the scanners rely on. */
    char *copy = cml_malloc(len + 1);
    if (!copy) return CML_ERR_NOMEM;
    if (len) memcpy(copy, buf, len);
    copy[len] = '\0';
    cml_status st = parse(copy, len, name ? name : "<memory>", opts, out);
    free(copy);
    return st;
}

cml_status cml_csv_read(const char *path, const cml_csv_opts *opts, cml_table **out)
{
    if (!out) return cml_fail(CML_ERR_ARG, "out is NULL");
    *out = NULL;
    char *buf;
    size_t len;
    CML_CHECK(cml_read_file(path, &buf, &len));
    cml_status st = parse(buf, len, path, opts, out);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------- writer */

static void put_name(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

cml_status cml_csv_write(const char *path, const cml_matrix *m, const char *const *names)
{
    if (!path || !m) return cml_fail(CML_ERR_ARG, "cml_csv_write: path or matrix is NULL");
    if (m->rows < 0 || m->cols <= 0 || m->ld < m->cols || (m->rows > 0 && !m->data))
        return cml_fail(CML_ERR_ARG, "cml_csv_write: bad matrix shape (%lld, %lld), ld %lld",
                        (long long)m->rows, (long long)m->cols, (long long)m->ld);
    FILE *f = fopen(path, "wb");
    if (!f) return cml_fail(CML_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
    for (int64_t j = 0; j < m->cols; j++) {
        if (j) fputc(',', f);
        if (names && names[j]) {
            put_name(f, names[j]);
        } else {
            fprintf(f, "c%lld", (long long)j);
        }
    }
    fputc('\n', f);
    for (int64_t i = 0; i < m->rows; i++) {
        const double *r = m->data + i * m->ld;
        for (int64_t j = 0; j < m->cols; j++) {
            if (j) fputc(',', f);
            if (!isnan(r[j])) fprintf(f, "%.17g", r[j]); /* NaN: empty field = missing */
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) return cml_fail(CML_ERR_IO, "%s: write failed: %s", path, strerror(e));
    return CML_OK;
}
