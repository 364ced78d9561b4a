/*
 * corpus.c — documents from a folder of text/HTML files or from a CSV text
 * column (cml/rag.h), the input of `cml index build` and of the retrieval
 * tests.
 *
 * Folder order is deterministic: entries sorted with strcmp at every level,
 * so document ids (and hence index labels) do not depend on the file
 * system's readdir order. Complexity: O(total bytes + entries log entries).
 * Thread-safety: no shared state.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cml/data.h"
#include "cml/rag.h"
#include "core/internal.h"

#define CORPUS_MAX_DEPTH 32

static void doc_free(cml_doc *d)
{
    free(d->source);
    free(d->title);
    free(d->text);
    for (int64_t i = 0; i < 2 * d->n_meta; i++)
        free(d->meta[i]);
    free(d->meta);
}

void cml_corpus_free(cml_corpus *c)
{
    if (!c) return;
    for (int64_t i = 0; i < c->n; i++)
        doc_free(&c->docs[i]);
    free(c->docs);
    memset(c, 0, sizeof *c);
}

cml_status cml_corpus_add(cml_corpus *c, const char *source, const char *title, const char *text,
                          const char *const *meta, int64_t n_meta)
{
    if (c->n == c->cap) {
        int64_t cap = c->cap ? c->cap * 2 : 64;
        cml_doc *q = cml_realloc(c->docs, (size_t)cap * sizeof *q);
        if (!q) return CML_ERR_NOMEM;
        c->docs = q;
        c->cap = cap;
    }
    cml_doc d = {0};
    d.source = cml_strdup(source ? source : "");
    d.title = cml_strdup(title ? title : "");
    d.text = cml_strdup(text ? text : "");
    d.meta = n_meta > 0 ? cml_calloc((size_t)(2 * n_meta), sizeof *d.meta) : NULL;
    int ok = d.source && d.title && d.text && (n_meta <= 0 || d.meta);
    if (ok && n_meta > 0) {
        d.n_meta = n_meta;
        for (int64_t i = 0; i < 2 * n_meta && ok; i++)
            ok = (d.meta[i] = cml_strdup(meta[i] ? meta[i] : "")) != NULL;
    }
    if (!ok) {
        doc_free(&d);
        return CML_ERR_NOMEM;
    }
    c->docs[c->n++] = d;
    return CML_OK;
}

static cml_status read_all(const char *path, char **buf, size_t *len)
{
    *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return cml_fail(CML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = cml_malloc(cap);
    cml_status st = CML_OK;
    if (!b) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *q = cml_realloc(b, cap * 2);
            if (!q) {
                st = CML_ERR_NOMEM;
                goto done;
            }
            b = q;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    if (ferror(f)) st = cml_fail(CML_ERR_IO, "%s: read error", path);
    b[n] = 0;
done:
    fclose(f);
    if (st != CML_OK) {
        free(b);
        return st;
    }
    *buf = b;
    *len = n;
    return CML_OK;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    if (a < b) return 0;
    for (size_t i = 0; i < b; i++) {
        char c = s[a - b + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != suf[i]) return 0;
    }
    return 1;
}

static cml_status add_file(cml_corpus *c, const char *path, const char *rel, int split_html)
{
    char *buf = NULL;
    size_t len = 0;
    CML_CHECK(read_all(path, &buf, &len));
    cml_status st = CML_OK;
    int html = ends_with(rel, ".html") || ends_with(rel, ".htm");
    const char *dot = strrchr(rel, '.');
    const char *slash = strrchr(rel, '/');
    const char *ext = dot && (!slash || dot > slash) ? dot + 1 : "";
    if (html && split_html) {
        cml_html_section *sec = NULL;
        int64_t ns = 0;
        CML_TRY(cml_html_sections(buf, len, &sec, &ns));
        for (int64_t i = 0; i < ns && st == CML_OK; i++) {
            const char *meta[6] = {"source", rel, "title", sec[i].heading, "ext", ext};
            int blank = 1;
            for (const char *p = sec[i].body; *p && blank; p++)
                blank = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
            if (!blank) st = cml_corpus_add(c, rel, sec[i].heading, sec[i].body, meta, 3);
        }
        cml_html_sections_free(sec, ns);
    } else if (html) {
        char *text = NULL;
        CML_TRY(cml_html_to_text(buf, len, &text, NULL));
        const char *meta[6] = {"source", rel, "title", "", "ext", ext};
        st = cml_corpus_add(c, rel, "", text, meta, 3);
        free(text);
    } else {
        const char *meta[6] = {"source", rel, "title", "", "ext", ext};
        st = cml_corpus_add(c, rel, "", buf, meta, 3);
    }
fail:
    free(buf);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static cml_status walk(cml_corpus *c, const char *root, const char *rel, int depth, int split_html)
{
    if (depth > CORPUS_MAX_DEPTH)
        return cml_fail(CML_ERR_IO, "%s/%s: folders nested deeper than %d", root, rel,
                        CORPUS_MAX_DEPTH);
    size_t plen = strlen(root) + strlen(rel) + 2;
    char *dpath = cml_malloc(plen);
    if (!dpath) return CML_ERR_NOMEM;
    snprintf(dpath, plen, rel[0] ? "%s/%s" : "%s%s", root, rel);
    DIR *d = opendir(dpath);
    if (!d) {
        cml_status st = cml_fail(CML_ERR_IO, "%s: cannot open folder: %s", dpath, strerror(errno));
        free(dpath);
        return st;
    }
    char **names = NULL;
    int64_t n = 0, cap = 0;
    cml_status st = CML_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **q = cml_realloc(names, (size_t)cap * sizeof *q);
            if (!q) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
            names = q;
        }
        if (!(names[n] = cml_strdup(e->d_name))) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        n++;
    }
    if (n > 1) qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int64_t i = 0; i < n && st == CML_OK; i++) {
        size_t rl = strlen(rel) + strlen(names[i]) + 2;
        size_t fl = strlen(dpath) + strlen(names[i]) + 2;
        char *r = cml_malloc(rl), *full = cml_malloc(fl);
        if (!r || !full) {
            free(r);
            free(full);
            st = CML_ERR_NOMEM;
            break;
        }
        snprintf(r, rl, rel[0] ? "%s/%s" : "%s%s", rel, names[i]);
        snprintf(full, fl, "%s/%s", dpath, names[i]);
        struct stat sb;
        if (stat(full, &sb) != 0)
            st = cml_fail(CML_ERR_IO, "%s: %s", full, strerror(errno));
        else if (S_ISDIR(sb.st_mode))
            st = walk(c, root, r, depth + 1, split_html);
        else if (S_ISREG(sb.st_mode))
            st = add_file(c, full, r, split_html);
        free(r);
        free(full);
    }
fail:
    for (int64_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    free(dpath);
    return st;
}

cml_status cml_corpus_from_dir(const char *dir, int split_html, cml_corpus *out)
{
    memset(out, 0, sizeof *out);
    cml_status st = walk(out, dir, "", 0, split_html);
    if (st != CML_OK) cml_corpus_free(out);
    return st;
}

/* Text of cell (r, j): the category's level, "" for missing, else the
 * number in shortest round-trip form. */
static const char *cell_text(const cml_table *t, int64_t r, int64_t j, char *buf, size_t n)
{
    double v = t->data[r * t->cols + j];
    if (isnan(v)) return "";
    const cml_column *c = &t->columns[j];
    if (c->kind == CML_COL_CATEGORICAL) {
        int64_t code = (int64_t)v;
        return code >= 0 && code < c->n_levels ? c->levels[code] : "";
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

cml_status cml_corpus_from_csv(const char *path, const char *column, cml_corpus *out)
{
    memset(out, 0, sizeof *out);
    cml_table *t = NULL;
    cml_csv_opts o = cml_csv_opts_default();
    CML_CHECK(cml_csv_read(path, &o, &t));
    cml_status st = CML_OK;
    const char **meta = NULL;
    char(*nums)[32] = NULL;
    int64_t j = cml_table_find(t, column);
    if (j < 0) {
        char list[512];
        size_t off = 0;
        list[0] = 0;
        for (int64_t c = 0; c < t->cols && off < sizeof list - 1; c++)
            off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", c ? ", " : "",
                                    t->columns[c].name);
        st = cml_fail(CML_ERR_ARG, "%s: no column named \"%s\"; columns: %s", path, column, list);
        goto fail;
    }
    meta = cml_alloc_array(2 * t->cols, sizeof *meta);
    nums = cml_alloc_array(t->cols + 1, sizeof *nums);
    if (!meta || !nums) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t r = 0; r < t->rows; r++) {
        int64_t nm = 0;
        for (int64_t c = 0; c < t->cols; c++) {
            if (c == j) continue;
            meta[2 * nm] = t->columns[c].name;
            meta[2 * nm + 1] = cell_text(t, r, c, nums[c], sizeof nums[c]);
            nm++;
        }
        char src[64];
        const char *base = strrchr(path, '/');
        snprintf(src, sizeof src, "%.40s:%lld", base ? base + 1 : path, (long long)r + 1);
        CML_TRY(cml_corpus_add(out, src, "", cell_text(t, r, j, nums[t->cols], sizeof nums[0]),
                               meta, nm));
    }
fail:
    free(meta);
    free(nums);
    cml_table_free(t);
    if (st != CML_OK) cml_corpus_free(out);
    return st;
}
