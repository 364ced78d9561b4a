/*
 * course_lesson.c — reads one lesson file (courses/NN-section/MM-topic.md)
 * and checks it against the lesson format (docs/courses.md):
 *
 *   ---                      front matter: key: value, one per line;
 *   id: linear-regression    keys id, title, section, order, tags, live,
 *   ...                      data (live lessons), status (text-only ones)
 *   ---
 *   ## The idea              body: "## " headings, paragraphs, "- " bullets
 *   ...                      (continuation lines indented), fenced code,
 *                            **bold**, *italic*, `code` — nothing else.
 *
 * The required headings (The idea, When to use it, Strengths, Weaknesses,
 * Key concepts, and The experiment last for live lessons) must appear in
 * that order. Anything outside the subset (other heading levels, tables,
 * HTML, links, images, numbered lists, quotes, unbalanced ** or `) is an
 * error naming file:line, so both front ends can render every lesson.
 *
 * Cost: one pass over the text. Not thread-safe per lesson being built;
 * loaded lessons are immutable.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "course.h"

static const char *const required_headings[] = {"The idea", "When to use it", "Strengths",
                                                "Weaknesses", "Key concepts"};
#define N_REQUIRED ((int)(sizeof required_headings / sizeof *required_headings))
static const char experiment_heading[] = "The experiment";

typedef struct parser {
    const char *name;
    char *err;
    size_t errlen;
} parser;

static cml_status perr(parser *p, int line, const char *fmt, ...) CML_PRINTF(3, 4);
static cml_status perr(parser *p, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(p->err, p->errlen, "%s:%d: %s", p->name, line, msg);
    else
        snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
    return CML_ERR_FORMAT;
}

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* A line of the file: [s, s+len) without the newline (and without a
 * trailing \r). */
typedef struct line_t {
    const char *s;
    size_t len;
} line_t;

static int next_line(const char **pos, const char *end, line_t *ln)
{
    if (*pos >= end) return 0;
    const char *s = *pos, *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    *pos = nl ? nl + 1 : end;
    ln->s = s;
    ln->len = (size_t)(e - s);
    if (ln->len && s[ln->len - 1] == '\r') ln->len--;
    return 1;
}

static int line_is(const line_t *ln, const char *lit)
{
    size_t n = strlen(lit);
    return ln->len == n && memcmp(ln->s, lit, n) == 0;
}

static int line_starts(const line_t *ln, const char *lit)
{
    size_t n = strlen(lit);
    return ln->len >= n && memcmp(ln->s, lit, n) == 0;
}

static int line_blank(const line_t *ln)
{
    for (size_t i = 0; i < ln->len; i++)
        if (!isspace((unsigned char)ln->s[i])) return 0;
    return 1;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static int kebab(const char *s)
{
    if (!*s || *s == '-') return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-')) return 0;
    return 1;
}

/* ---------------------------------------------------------------- front matter */

static cml_status set_key(parser *p, course_lesson *l, int line, const char *key, size_t klen,
                          const char *val, size_t vlen)
{
    static const char *const keys[] = {"id",   "title", "section", "order",
                                       "tags", "live",  "data",    "status"};
    char **slot = NULL;
    int k = -1;
    for (int i = 0; i < (int)(sizeof keys / sizeof *keys); i++)
        if (strlen(keys[i]) == klen && !memcmp(keys[i], key, klen)) k = i;
    if (k < 0)
        return perr(p, line,
                    "unknown front-matter key \"%.*s\" (valid: id, title, section, order, tags, "
                    "live, data, status)",
                    (int)klen, key);
    char *v = dup_range(val, vlen);
    if (!v) return CML_ERR_NOMEM;
    switch (k) {
    case 0: slot = &l->id; break;
    case 1: slot = &l->title; break;
    case 2: slot = &l->section; break;
    case 4: slot = &l->tags; break;
    case 6: slot = &l->data; break;
    case 7: slot = &l->status; break;
    case 3: {
        char *e;
        long o = strtol(v, &e, 10);
        int bad = !vlen || *e || o < 1 || o > 99;
        free(v);
        if (bad)
            return perr(p, line, "order must be a whole number 1..99, found \"%.*s\"", (int)vlen,
                        val);
        if (l->order) return perr(p, line, "front-matter key \"order\" given twice");
        l->order = (int)o;
        return CML_OK;
    }
    case 5: {
        int live = !strcmp(v, "yes") ? 1 : !strcmp(v, "no") ? 0 : -1;
        free(v);
        if (live < 0)
            return perr(p, line, "live must be yes or no, found \"%.*s\"", (int)vlen, val);
        if (l->live >= 0) return perr(p, line, "front-matter key \"live\" given twice");
        l->live = live;
        return CML_OK;
    }
    default: break;
    }
    if (*slot) {
        free(v);
        return perr(p, line, "front-matter key \"%.*s\" given twice", (int)klen, key);
    }
    *slot = v;
    return CML_OK;
}

/* Parses the front matter; *pos is left after the closing "---". */
static cml_status parse_front(parser *p, course_lesson *l, const char **pos, const char *end,
                              int *lineno)
{
    line_t ln;
    if (!next_line(pos, end, &ln) || !line_is(&ln, "---"))
        return perr(p, 1,
                    "a lesson starts with a front-matter block: a line \"---\", key: value "
                    "lines, and \"---\"");
    *lineno = 1;
    int open_line = 1;
    for (;;) {
        if (!next_line(pos, end, &ln))
            return perr(p, open_line, "front matter opened here is never closed by \"---\"");
        (*lineno)++;
        if (line_is(&ln, "---")) break;
        if (line_blank(&ln)) continue;
        const char *colon = memchr(ln.s, ':', ln.len);
        if (!colon)
            return perr(p, *lineno, "expected \"key: value\" in the front matter, found \"%.*s\"",
                        (int)(ln.len > 60 ? 60 : ln.len), ln.s);
        const char *k = ln.s, *v = colon + 1;
        size_t kl = (size_t)(colon - ln.s), vl = ln.len - kl - 1;
        trim(&k, &kl);
        trim(&v, &vl);
        cml_status st = set_key(p, l, *lineno, k, kl, v, vl);
        if (st != CML_OK) return st;
    }
    int end_line = *lineno;
    if (!l->id) return perr(p, end_line, "front matter lacks \"id\"");
    if (!kebab(l->id)) return perr(p, end_line, "id \"%s\" is not kebab-case (a-z, 0-9, -)", l->id);
    if (!l->title || !l->title[0]) return perr(p, end_line, "front matter lacks \"title\"");
    if (!l->section) return perr(p, end_line, "front matter lacks \"section\"");
    if (!kebab(l->section))
        return perr(p, end_line, "section \"%s\" is not kebab-case (a-z, 0-9, -)", l->section);
    if (!l->order) return perr(p, end_line, "front matter lacks \"order\"");
    if (l->live < 0) return perr(p, end_line, "front matter lacks \"live\" (yes or no)");
    if (l->live && (!l->data || !l->data[0]))
        return perr(p, end_line, "a live lesson names its data set (\"data: NAME\")");
    if (l->live && l->status && l->status[0])
        return perr(p, end_line, "\"status\" is for text-only lessons (live: no)");
    /* optional keys become "" so readers never test for NULL */
    if (!l->tags && !(l->tags = dup_range("", 0))) return CML_ERR_NOMEM;
    if (!l->data && !(l->data = dup_range("", 0))) return CML_ERR_NOMEM;
    if (!l->status && !(l->status = dup_range("", 0))) return CML_ERR_NOMEM;
    return CML_OK;
}

/* ---------------------------------------------------------------- body */

/* Inline markup of one block (paragraph or bullet item): ** and ` must
 * pair up, and nothing outside the subset may appear. */
static cml_status check_inline(parser *p, int line, const char *s, size_t n)
{
    size_t bold = 0, ticks = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '`') {
            ticks++;
            continue;
        }
        if (ticks % 2) continue; /* inside `code` anything goes */
        if (s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
            bold++;
            i++;
        } else if (s[i] == '<' && i + 1 < n &&
                   (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/'))
            return perr(p, line, "HTML is not part of the lesson format (found \"<%c\")", s[i + 1]);
        else if (s[i] == '!' && i + 1 < n && s[i + 1] == '[')
            return perr(p, line, "images are not part of the lesson format");
        else if (s[i] == ']' && i + 1 < n && s[i + 1] == '(')
            return perr(p, line, "links are not part of the lesson format");
    }
    if (ticks % 2) return perr(p, line, "unbalanced ` (a `code` span is not closed)");
    if (bold % 2) return perr(p, line, "unbalanced ** (a **bold** span is not closed)");
    return CML_OK;
}

static int is_numbered(const line_t *ln)
{
    size_t i = 0;
    while (i < ln->len && isdigit((unsigned char)ln->s[i]))
        i++;
    return i > 0 && i + 1 < ln->len && (ln->s[i] == '.' || ln->s[i] == ')') && ln->s[i + 1] == ' ';
}

static cml_status add_part(course_lesson *l, const char *heading, size_t hlen, int line)
{
    course_part *np = realloc(l->parts, sizeof *np * (size_t)(l->n_parts + 1));
    if (!np) return CML_ERR_NOMEM;
    l->parts = np;
    course_part *pt = &l->parts[l->n_parts];
    memset(pt, 0, sizeof *pt);
    pt->line = line;
    if (!(pt->heading = dup_range(heading, hlen))) return CML_ERR_NOMEM;
    l->n_parts++;
    return CML_OK;
}

/* Closes the part: its markdown is body[from, to) with blank lines at both
 * ends dropped. */
static cml_status close_part(course_lesson *l, const char *from, const char *to)
{
    if (!l->n_parts) return CML_OK;
    while (from < to && (*from == '\n' || *from == '\r' || *from == ' ' || *from == '\t')) {
        /* keep leading spaces of a first line (an indented code block
         * never starts a part, so dropping them is safe) */
        from++;
    }
    while (to > from && isspace((unsigned char)to[-1]))
        to--;
    course_part *pt = &l->parts[l->n_parts - 1];
    return (pt->markdown = dup_range(from, (size_t)(to - from))) ? CML_OK : CML_ERR_NOMEM;
}

static cml_status parse_body(parser *p, course_lesson *l, const char *pos, const char *end,
                             int lineno)
{
    line_t ln;
    int in_fence = 0, fence_line = 0;
    const char *part_start = pos;
    /* the block being accumulated for inline checks */
    const char *blk = NULL;
    size_t blk_len = 0;
    int blk_line = 0, in_bullet = 0;
    cml_status st;

#define FLUSH_BLOCK()                                                                              \
    do {                                                                                           \
        if (blk && (st = check_inline(p, blk_line, blk, blk_len)) != CML_OK) return st;            \
        blk = NULL;                                                                                \
        blk_len = 0;                                                                               \
        in_bullet = 0;                                                                             \
    } while (0)

    for (const char *cur = pos; next_line(&cur, end, &ln);) {
        lineno++;
        if (in_fence) {
            if (line_starts(&ln, "```")) in_fence = 0;
            continue;
        }
        if (line_starts(&ln, "```")) {
            FLUSH_BLOCK();
            if (!l->n_parts) return perr(p, lineno, "text before the first \"## \" heading");
            in_fence = 1;
            fence_line = lineno;
            continue;
        }
        if (line_blank(&ln)) {
            FLUSH_BLOCK();
            continue;
        }
        if (ln.s[0] == '#') {
            FLUSH_BLOCK();
            if (!line_starts(&ln, "## ") || line_starts(&ln, "## #"))
                return perr(p, lineno,
                            "only \"## \" headings are part of the lesson format (the title is in "
                            "the front matter)");
            const char *h = ln.s + 3;
            size_t hl = ln.len - 3;
            trim(&h, &hl);
            if (!hl) return perr(p, lineno, "empty heading");
            if ((st = close_part(l, part_start, ln.s)) != CML_OK) return st;
            if (l->n_parts && !l->parts[l->n_parts - 1].markdown[0])
                return perr(p, l->parts[l->n_parts - 1].line, "section \"%s\" is empty",
                            l->parts[l->n_parts - 1].heading);
            if ((st = add_part(l, h, hl, lineno)) != CML_OK) return st;
            part_start = cur;
            continue;
        }
        if (!l->n_parts) return perr(p, lineno, "text before the first \"## \" heading");
        if (ln.s[0] == '|') return perr(p, lineno, "tables are not part of the lesson format");
        if (ln.s[0] == '>') return perr(p, lineno, "quotes are not part of the lesson format");
        if (line_starts(&ln, "* ") || line_starts(&ln, "+ "))
            return perr(p, lineno, "bullets start with \"- \"");
        if (is_numbered(&ln))
            return perr(p, lineno, "numbered lists are not part of the lesson format; use \"- \"");
        if (ln.s[0] == ' ' || ln.s[0] == '\t') {
            const char *t = ln.s;
            size_t tl = ln.len;
            trim(&t, &tl);
            if (tl >= 2 && t[0] == '-' && t[1] == ' ')
                return perr(p, lineno, "bullets have one level only");
            if (!in_bullet && !blk)
                return perr(p, lineno,
                            "indented text outside a bullet (code goes in a ``` fenced block)");
        }
        if (line_starts(&ln, "- ")) {
            FLUSH_BLOCK();
            in_bullet = 1;
        }
        if (!blk) {
            blk = ln.s;
            blk_line = lineno;
        }
        blk_len = (size_t)(ln.s + ln.len - blk);
    }
    if (in_fence) return perr(p, fence_line, "code block opened here is never closed by ```");
    FLUSH_BLOCK();
#undef FLUSH_BLOCK
    if ((st = close_part(l, part_start, end)) != CML_OK) return st;
    if (!l->n_parts) return perr(p, lineno, "the lesson has no \"## \" sections");
    if (!l->parts[l->n_parts - 1].markdown[0])
        return perr(p, l->parts[l->n_parts - 1].line, "section \"%s\" is empty",
                    l->parts[l->n_parts - 1].heading);

    /* required headings, in order; The experiment last iff live */
    int next = 0;
    for (int i = 0; i < l->n_parts; i++) {
        const char *h = l->parts[i].heading;
        for (int j = 0; j < i; j++)
            if (!strcmp(l->parts[j].heading, h))
                return perr(p, l->parts[i].line, "heading \"%s\" appears twice", h);
        if (next < N_REQUIRED && !strcmp(h, required_headings[next])) {
            next++;
            continue;
        }
        for (int j = next + 1; j < N_REQUIRED; j++)
            if (!strcmp(h, required_headings[j]))
                return perr(p, l->parts[i].line,
                            "expected \"## %s\" before \"## %s\" (required, in this order: The "
                            "idea, When to use it, Strengths, Weaknesses, Key concepts)",
                            required_headings[next], h);
        if (!strcmp(h, experiment_heading)) {
            if (!l->live)
                return perr(p, l->parts[i].line,
                            "\"## The experiment\" is for live lessons (live: yes)");
            if (i != l->n_parts - 1)
                return perr(p, l->parts[i].line, "\"## The experiment\" is the last section");
        }
    }
    if (next < N_REQUIRED)
        return perr(p, 0, "missing required section \"## %s\"", required_headings[next]);
    if (l->live && strcmp(l->parts[l->n_parts - 1].heading, experiment_heading))
        return perr(p, 0, "a live lesson ends with \"## The experiment\"");
    return CML_OK;
}

/* ---------------------------------------------------------------- API */

void course_lesson_free(course_lesson *l)
{
    if (!l) return;
    free(l->path);
    free(l->id);
    free(l->title);
    free(l->section);
    free(l->tags);
    free(l->data);
    free(l->status);
    for (int i = 0; i < l->n_parts; i++) {
        free(l->parts[i].heading);
        free(l->parts[i].markdown);
    }
    free(l->parts);
    memset(l, 0, sizeof *l);
}

cml_status course_lesson_parse(const char *text, size_t len, const char *name, course_lesson *out,
                               char *err, size_t errlen)
{
    parser p = {name, err, errlen};
    memset(out, 0, sizeof *out);
    out->live = -1;
    if (err && errlen) err[0] = '\0';
    /* control bytes: binary junk, and the renderer's style marks */
    for (size_t i = 0, line = 1; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') line++;
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
            course_lesson_free(out);
            return perr(&p, (int)line, "control byte 0x%02x: a lesson is plain UTF-8 text", c);
        }
    }
    const char *pos = text, *end = text + len;
    int lineno = 0;
    cml_status st = parse_front(&p, out, &pos, end, &lineno);
    if (st == CML_OK) st = parse_body(&p, out, pos, end, lineno);
    if (st == CML_OK && !(out->path = dup_range(name, strlen(name)))) st = CML_ERR_NOMEM;
    if (st != CML_OK) {
        if (st == CML_ERR_NOMEM) snprintf(err, errlen, "%s: out of memory", name);
        course_lesson_free(out);
    }
    return st;
}

cml_status course_lesson_load(const char *path, course_lesson *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return CML_ERR_IO;
    }
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) break;
        if (cap >= ((size_t)1 << 22)) { /* 4 MiB: no lesson is that long */
            free(buf);
            fclose(f);
            snprintf(err, errlen, "%s: larger than 4 MiB, not a lesson", path);
            return CML_ERR_FORMAT;
        }
        char *nb = realloc(buf, cap *= 2);
        if (!nb) free(buf);
        buf = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return CML_ERR_NOMEM;
    }
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return CML_ERR_IO;
    }
    cml_status st = course_lesson_parse(buf, len, path, out, err, errlen);
    free(buf);
    return st;
}
