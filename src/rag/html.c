/*
 * html.c — HTML to plain text and heading sections (cml/rag.h), by a fixed
 * rule rather than a full HTML5 parser: documents only need their words for
 * search, and a rule short enough to restate in Python
 * (tests/gen/gen_bm25.py) lets the BM25 golden test compare scores on the
 * same text on both sides.
 *
 * Each step of the rule is one linear pass into a new buffer, mirroring one
 * re.sub of the Python version (comments, then script/style, then tags,
 * then entities). Python's \b and \s are approximated on bytes: a word
 * character is an ASCII letter, digit, '_' or any byte >= 0x80; whitespace
 * is ASCII whitespace.
 * Complexity: O(len) per pass except step 2, which searches for the
 * closing tag (O(len) per unterminated <script>). Pure functions.
 */
#include <string.h>

#include "cml/rag.h"
#include "core/internal.h"

typedef struct hbuf {
    char *p;
    size_t n, cap;
} hbuf;

static int hb_put(hbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = cml_realloc(b->p, cap);
        if (!q) return 0;
        b->p = q;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 1;
}

static int is_word(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c >= 0x80;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* s[0..n) starts with the ASCII word w, case-insensitively. */
static int starts_ci(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n < k) return 0;
    for (size_t i = 0; i < k; i++)
        if (lower((unsigned char)s[i]) != w[i]) return 0;
    return 1;
}

/* Step 1: comments. */
static int pass_comments(const char *s, size_t n, hbuf *o)
{
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        size_t j = lt ? (size_t)(lt - s) : n;
        if (!hb_put(o, s + i, j - i)) return 0;
        if (j == n) break;
        if (n - j >= 4 && memcmp(s + j, "<!--", 4) == 0) {
            size_t k = j + 4;
            while (k + 3 <= n && memcmp(s + k, "-->", 3) != 0)
                k++;
            i = k + 3 <= n ? k + 3 : n;
        } else {
            if (!hb_put(o, s + j, 1)) return 0;
            i = j + 1;
        }
    }
    return 1;
}

/* End (one past '>') of "</name\s*>" starting at s[k], or 0. */
static size_t close_tag_at(const char *s, size_t n, size_t k, const char *name)
{
    size_t L = strlen(name);
    if (n - k < 2 + L || s[k] != '<' || s[k + 1] != '/' || !starts_ci(s + k + 2, n - k - 2, name))
        return 0;
    size_t m = k + 2 + L;
    while (m < n && is_space((unsigned char)s[m]))
        m++;
    return m < n && s[m] == '>' ? m + 1 : 0;
}

/* Step 2: <script>/<style> elements. Returns the end of the element that
 * starts at s[j] ('<'), or 0 when there is none there. */
static size_t element_end(const char *s, size_t n, size_t j)
{
    static const char *const names[] = {"script", "style"};
    for (int t = 0; t < 2; t++) {
        const char *nm = names[t];
        size_t L = strlen(nm);
        if (!starts_ci(s + j + 1, n - j - 1, nm)) continue;
        size_t k = j + 1 + L;
        if (k < n && is_word((unsigned char)s[k])) continue;
        const char *gt = memchr(s + k, '>', n - k);
        if (!gt) return 0;
        for (size_t m = (size_t)(gt - s) + 1; m < n; m++) {
            if (s[m] != '<') continue;
            size_t e = close_tag_at(s, n, m, nm);
            if (e) return e;
        }
        return 0;
    }
    return 0;
}

static int pass_elements(const char *s, size_t n, hbuf *o)
{
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        size_t j = lt ? (size_t)(lt - s) : n;
        if (!hb_put(o, s + i, j - i)) return 0;
        if (j == n) break;
        size_t e = element_end(s, n, j);
        if (e) {
            i = e;
        } else {
            if (!hb_put(o, s + j, 1)) return 0;
            i = j + 1;
        }
    }
    return 1;
}

/* Step 3: tags -> one space. */
static int pass_tags(const char *s, size_t n, hbuf *o)
{
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        size_t j = lt ? (size_t)(lt - s) : n;
        if (!hb_put(o, s + i, j - i)) return 0;
        if (j == n) break;
        const char *gt = memchr(s + j, '>', n - j);
        if (!gt) return hb_put(o, s + j, n - j);
        if (!hb_put(o, " ", 1)) return 0;
        i = (size_t)(gt - s) + 1;
    }
    return 1;
}

static size_t utf8_put(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The entity at s[j] ('&'): its length and UTF-8 in out[], or 0. */
static size_t entity_at(const char *s, size_t n, size_t j, char *out, size_t *olen)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } named[] = {{"amp;", '&'},  {"lt;", '<'},    {"gt;", '>'},
                 {"quot;", '"'}, {"apos;", '\''}, {"nbsp;", 0xA0}};
    const char *p = s + j + 1;
    size_t m = n - j - 1;
    for (size_t t = 0; t < sizeof named / sizeof named[0]; t++) {
        size_t L = strlen(named[t].name);
        if (m >= L && memcmp(p, named[t].name, L) == 0) {
            *olen = utf8_put(out, named[t].cp);
            return L + 1;
        }
    }
    if (m < 3 || p[0] != '#') return 0;
    int hex = p[1] == 'x' || p[1] == 'X';
    size_t k = hex ? 2 : 1, d0 = k;
    uint32_t v = 0;
    while (k < m) {
        int dv = hex ? hexval((unsigned char)p[k]) : (p[k] >= '0' && p[k] <= '9' ? p[k] - '0' : -1);
        if (dv < 0) break;
        if (v <= 0x10FFFF) v = v * (hex ? 16u : 10u) + (uint32_t)dv; /* saturates past the range */
        k++;
    }
    if (k == d0 || k >= m || p[k] != ';') return 0;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *olen = utf8_put(out, v);
    return k + 2;
}

/* Step 4: entities. */
static int pass_entities(const char *s, size_t n, hbuf *o)
{
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t j = amp ? (size_t)(amp - s) : n;
        if (!hb_put(o, s + i, j - i)) return 0;
        if (j == n) break;
        char u[4];
        size_t ul = 0, el = entity_at(s, n, j, u, &ul);
        if (el) {
            if (!hb_put(o, u, ul)) return 0;
            i = j + el;
        } else {
            if (!hb_put(o, "&", 1)) return 0;
            i = j + 1;
        }
    }
    return 1;
}

cml_status cml_html_to_text(const char *html, size_t len, char **out, size_t *out_len)
{
    *out = NULL;
    hbuf a = {0}, b = {0};
    int ok = hb_put(&a, "", 0) && pass_comments(html, len, &a);
    ok = ok && hb_put(&b, "", 0) && pass_elements(a.p, a.n, &b);
    a.n = 0;
    ok = ok && pass_tags(b.p, b.n, &a);
    b.n = 0;
    ok = ok && pass_entities(a.p, a.n, &b);
    free(a.p);
    if (!ok) {
        free(b.p);
        return CML_ERR_NOMEM;
    }
    *out = b.p;
    if (out_len) *out_len = b.n;
    return CML_OK;
}

/* ---------------------------------------------------------------- sections */

/* A heading element at s[j]: sets *lev, the inner range and the end. */
static int heading_at(const char *s, size_t n, size_t j, int *lev, size_t *in0, size_t *in1,
                      size_t *end)
{
    if (n - j < 4 || s[j] != '<' || lower((unsigned char)s[j + 1]) != 'h' || s[j + 2] < '1' ||
        s[j + 2] > '6' || (j + 3 < n && is_word((unsigned char)s[j + 3])))
        return 0;
    const char *gt = memchr(s + j + 3, '>', n - j - 3);
    if (!gt) return 0;
    char name[3] = {'h', s[j + 2], 0};
    for (size_t m = (size_t)(gt - s) + 1; m < n; m++) {
        if (s[m] != '<') continue;
        size_t e = close_tag_at(s, n, m, name);
        if (e) {
            *lev = s[j + 2] - '0';
            *in0 = (size_t)(gt - s) + 1;
            *in1 = m;
            *end = e;
            return 1;
        }
    }
    return 0;
}

void cml_html_sections_free(cml_html_section *s, int64_t n)
{
    if (!s) return;
    for (int64_t i = 0; i < n; i++) {
        free(s[i].heading);
        free(s[i].body);
    }
    free(s);
}

cml_status cml_html_sections(const char *html, size_t len, cml_html_section **out, int64_t *n)
{
    *out = NULL;
    *n = 0;
    cml_html_section *sec = NULL;
    int64_t ns = 0, cap = 0;
    cml_status st = CML_OK;
    size_t body0 = 0; /* start of the current section's body */
    size_t i = 0;
    int lev = 0;
    size_t in0 = 0, in1 = 0, end = 0;
    char *heading = NULL;
    for (;;) {
        /* next heading at or after i */
        size_t j = i;
        int found = 0, nlev = 0;
        size_t n0 = 0, n1 = 0, ne = 0;
        while (j < len) {
            const char *lt = memchr(html + j, '<', len - j);
            if (!lt) break;
            j = (size_t)(lt - html);
            if (heading_at(html, len, j, &nlev, &n0, &n1, &ne)) {
                found = 1;
                break;
            }
            j++;
        }
        size_t body1 = found ? j : len;
        if (ns == cap) {
            cap = cap ? cap * 2 : 16;
            cml_html_section *q = cml_realloc(sec, (size_t)cap * sizeof *q);
            if (!q) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
            sec = q;
        }
        sec[ns].level = lev;
        sec[ns].heading = NULL;
        sec[ns].body = NULL;
        ns++;
        if (heading) {
            sec[ns - 1].heading = heading;
            heading = NULL;
        } else {
            CML_TRY(cml_html_to_text("", 0, &sec[ns - 1].heading, NULL));
        }
        CML_TRY(cml_html_to_text(html + body0, body1 - body0, &sec[ns - 1].body, NULL));
        if (!found) break;
        lev = nlev;
        in0 = n0;
        in1 = n1;
        end = ne;
        CML_TRY(cml_html_to_text(html + in0, in1 - in0, &heading, NULL));
        body0 = end;
        i = end;
    }
    *out = sec;
    *n = ns;
    return CML_OK;
fail:
    free(heading);
    cml_html_sections_free(sec, ns);
    return st;
}
