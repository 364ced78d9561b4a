/*
 * course_render.c — lessons in the terminal and as JSON.
 *
 * Terminal: the lesson's Markdown subset becomes headings (bold, or
 * underlined with '-' without colour), paragraphs word-wrapped to the
 * width, bullets with a hanging indent, code blocks indented and not
 * wrapped. Inline **bold**, *italic* and `code` become ANSI styles when
 * colour is on; without colour the ** and * markers are dropped and `code`
 * keeps its backticks. Widths count UTF-8 code points, not bytes.
 *
 * JSON: the `cml course list/show --json` objects of docs/courses.md.
 *
 * Cost: linear in the text. Reentrant.
 */
#include <stdlib.h>
#include <string.h>

#include "course.h"

/* Style toggles inside a styled buffer: bytes that never occur in lesson
 * text (the parser rejects no control bytes but lessons are plain text). */
enum { ST_BOLD = 1, ST_ITALIC = 2, ST_CODE = 3 };

static const char *ansi_on[] = {"", "\033[1m", "\033[3m", "\033[36m"};
static const char *ansi_off[] = {"", "\033[22m", "\033[23m", "\033[39m"};

/* Rewrites inline markup of s[0..n) into style toggles (colour) or plain
 * text; returns a malloc'd string. */
static char *stylize(const char *s, size_t n, int colour)
{
    char *o = malloc(2 * n + 1), *w = o;
    if (!o) return NULL;
    int code = 0, italic = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\t') c = ' ';
        if (c == '`') {
            code = !code;
            if (colour)
                *w++ = ST_CODE;
            else
                *w++ = '`';
            continue;
        }
        if (!code && c == '*' && i + 1 < n && s[i + 1] == '*') {
            if (colour) *w++ = ST_BOLD;
            i++;
            continue;
        }
        if (!code && c == '*') {
            /* *italic*: opens before a non-space, closes after one */
            int opens = !italic && i + 1 < n && s[i + 1] != ' ' &&
                        (i == 0 || s[i - 1] == ' ' || s[i - 1] == '(');
            int closes = italic && i > 0 && s[i - 1] != ' ';
            if (opens || closes) {
                italic = !italic;
                if (colour) *w++ = ST_ITALIC;
                continue;
            }
        }
        *w++ = c;
    }
    *w = '\0';
    return o;
}

static size_t visible_len(const char *s, size_t n)
{
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ST_CODE || (c & 0xC0) == 0x80) continue;
        v++;
    }
    return v;
}

static void put_styled(FILE *f, const char *s, size_t n, int *state)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= ST_BOLD && c <= ST_CODE) {
            int bit = 1 << c;
            fputs((*state & bit) ? ansi_off[c] : ansi_on[c], f);
            *state ^= bit;
        } else {
            fputc(c, f);
        }
    }
}

/* Writes text wrapped to width: the first line after `first` (already
 * printed, of visible width indent), the next ones after `indent` spaces. */
static void wrap(FILE *f, const char *text, size_t indent, int width, int colour)
{
    char *s = stylize(text, strlen(text), colour);
    if (!s) return;
    int state = 0;
    size_t col = indent;
    int first_word = 1;
    for (char *p = s; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (!*p) break;
        char *e = p;
        while (*e && *e != ' ' && *e != '\n')
            e++;
        size_t wl = visible_len(p, (size_t)(e - p));
        if (!first_word && col + 1 + wl > (size_t)width) {
            if (state) fputs("\033[0m", f);
            fprintf(f, "\n%*s", (int)indent, "");
            if (state) /* restore the styles open across the break */
                for (int c = ST_BOLD; c <= ST_CODE; c++)
                    if (state & (1 << c)) fputs(ansi_on[c], f);
            col = indent;
        } else if (!first_word) {
            fputc(' ', f);
            col++;
        }
        put_styled(f, p, (size_t)(e - p), &state);
        col += wl;
        first_word = 0;
        p = e;
    }
    if (state) fputs("\033[0m", f);
    fputc('\n', f);
    free(s);
}

void course_render_markdown(FILE *f, const char *md, int colour, int width)
{
    const char *p = md;
    int in_code = 0, blank_before = 0;
    /* the paragraph or bullet being gathered */
    char *blk = NULL;
    size_t blen = 0, bcap = 0;
    int bullet = 0;
#define FLUSH()                                                                                    \
    do {                                                                                           \
        if (blen) {                                                                                \
            blk[blen] = '\0';                                                                      \
            if (bullet) fputs(colour ? "  \xe2\x80\xa2 " : "  - ", f);                             \
            wrap(f, blk, bullet ? 4 : 0, width, colour);                                           \
        }                                                                                          \
        blen = 0;                                                                                  \
        bullet = 0;                                                                                \
    } while (0)
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && p[n - 1] == '\r') n--;
        if (n >= 3 && !strncmp(p, "```", 3)) {
            FLUSH();
            in_code = !in_code;
        } else if (in_code) {
            fprintf(f, "    %s%.*s%s\n", colour ? "\033[2m" : "", (int)n, p,
                    colour ? "\033[22m" : "");
        } else if (strspn(p, " \t") >= n) {
            FLUSH();
            blank_before = 1;
        } else {
            int new_bullet = n >= 2 && p[0] == '-' && p[1] == ' ';
            if (new_bullet) FLUSH();
            if (!blen && !new_bullet && blank_before) fputc('\n', f);
            if (!blen && new_bullet && blank_before && !bullet) fputc('\n', f);
            blank_before = 0;
            const char *t = new_bullet ? p + 2 : p;
            size_t tn = n - (size_t)(t - p);
            if (blen + tn + 2 > bcap) {
                size_t nc = (blen + tn + 2) * 2;
                char *nb = realloc(blk, nc);
                if (!nb) break;
                blk = nb;
                bcap = nc;
            }
            if (blen) blk[blen++] = ' ';
            memcpy(blk + blen, t, tn);
            blen += tn;
            if (new_bullet) bullet = 1;
        }
        p = e ? e + 1 : p + strlen(p);
    }
    FLUSH();
#undef FLUSH
    free(blk);
}

static void heading(FILE *f, const char *text, char underline, int colour)
{
    if (colour) {
        fprintf(f, "\033[1;4m%s\033[0m\n", text);
        return;
    }
    fprintf(f, "%s\n", text);
    for (size_t i = visible_len(text, strlen(text)); i > 0; i--)
        fputc(underline, f);
    fputc('\n', f);
}

void course_render(FILE *f, const course_catalog *c, const course_lesson *l, int colour, int width)
{
    const course_section *s = course_section_of(c, l);
    heading(f, l->title, '=', colour);
    char meta[1024];
    snprintf(meta, sizeof meta, "%s%s%s%s%s", s ? s->title : l->section, l->tags[0] ? " · " : "",
             l->tags, l->live ? " · live experiment on " : " · text only", l->live ? l->data : "");
    wrap(f, meta, 0, width, 0);
    if (l->status[0]) {
        fputc('\n', f);
        fputs(colour ? "\033[33mNot in cml yet:\033[39m " : "Not in cml yet: ", f);
        wrap(f, l->status, 0, width, colour);
    }
    for (int i = 0; i < l->n_parts; i++) {
        fputc('\n', f);
        heading(f, l->parts[i].heading, '-', colour);
        course_render_markdown(f, l->parts[i].markdown, colour, width);
    }
}

/* ---------------------------------------------------------------- JSON */

static void json_topic_fields(cml_sb *sb, const course_lesson *l)
{
    cml_sb_puts(sb, "\"id\":");
    cml_sb_json_str(sb, l->id);
    cml_sb_puts(sb, ",\"title\":");
    cml_sb_json_str(sb, l->title);
    cml_sb_printf(sb, ",\"order\":%d,\"tags\":", l->order);
    cml_sb_json_str(sb, l->tags);
    cml_sb_printf(sb, ",\"live\":%s,\"runnable\":%s,\"data\":", l->live ? "true" : "false",
                  l->live && course_experiment_find(l->id) ? "true" : "false");
    cml_sb_json_str(sb, l->data);
}

void course_json_list(cml_sb *sb, const course_catalog *c)
{
    cml_sb_puts(sb, "{\"sections\":[");
    for (int s = 0; s < c->n_sections; s++) {
        const course_section *sec = &c->sections[s];
        cml_sb_puts(sb, s ? ",{\"id\":" : "{\"id\":");
        cml_sb_json_str(sb, sec->id);
        cml_sb_puts(sb, ",\"title\":");
        cml_sb_json_str(sb, sec->title);
        cml_sb_puts(sb, ",\"topics\":[");
        for (int i = 0; i < sec->count; i++) {
            cml_sb_puts(sb, i ? ",{" : "{");
            json_topic_fields(sb, &c->lessons[sec->first + i]);
            cml_sb_puts(sb, "}");
        }
        cml_sb_puts(sb, "]}");
    }
    cml_sb_puts(sb, "]}");
}

void course_json_show(cml_sb *sb, const course_catalog *c, const course_lesson *l)
{
    const course_section *s = course_section_of(c, l);
    cml_sb_puts(sb, "{");
    json_topic_fields(sb, l);
    cml_sb_puts(sb, ",\"section\":");
    cml_sb_json_str(sb, l->section);
    cml_sb_puts(sb, ",\"section_title\":");
    cml_sb_json_str(sb, s ? s->title : l->section);
    cml_sb_puts(sb, ",\"status\":");
    cml_sb_json_str(sb, l->status);
    cml_sb_puts(sb, ",\"sections\":[");
    for (int i = 0; i < l->n_parts; i++) {
        cml_sb_puts(sb, i ? ",{\"heading\":" : "{\"heading\":");
        cml_sb_json_str(sb, l->parts[i].heading);
        cml_sb_puts(sb, ",\"markdown\":");
        cml_sb_json_str(sb, l->parts[i].markdown);
        cml_sb_puts(sb, "}");
    }
    cml_sb_puts(sb, "]}");
}
