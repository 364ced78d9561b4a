/*
 * cml/rag.h — retrieval building blocks above the indexes (cml/index.h):
 * HTML to text, chunking, hybrid fusion of ranked lists, and a document
 * store (SQLite) holding documents, their chunks, metadata for filters and
 * the ids the indexes use.
 *
 * Thread-safety: the HTML and chunking functions and the fusion functions
 * are pure; a document store handle belongs to one thread at a time.
 */
#ifndef CML_RAG_H
#define CML_RAG_H

#include <stddef.h>
#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- HTML */

/* HTML to text by a fixed rule (tests/gen/gen_bm25.py applies the same one
 * with Python's re):
 *   1. drop comments  <!-- ... -->  (an unterminated one runs to the end);
 *   2. drop <script ...>...</script> and <style ...>...</style> elements
 *      (names case-insensitive, the first closing tag ends the element);
 *   3. replace every other tag <...> by one space (a '<' with no later '>'
 *      stays as text);
 *   4. decode &amp; &lt; &gt; &quot; &apos; &nbsp; (U+00A0) and numeric
 *      references &#N; &#xH; to Unicode scalar values 1..U+10FFFF other
 *      than surrogates (anything else is left as written).
 * Whitespace is kept as is. *out (NUL-terminated, *out_len bytes without
 * the NUL; out_len may be NULL) is the caller's to free. CML_ERR_NOMEM. */
cml_status cml_html_to_text(const char *html, size_t len, char **out, size_t *out_len);

/* An HTML page cut at its headings: section 0 is the text before the first
 * heading (level 0, heading ""); then one section per <hN ...>...</hN>
 * element (N = 1..6; the first closing </hN> of the same N ends it) whose
 * body runs to the next heading. Heading and body go through
 * cml_html_to_text. */
typedef struct cml_html_section {
    int level;     /* 0 for the preamble, else N */
    char *heading; /* text of the heading element */
    char *body;    /* text up to the next heading */
} cml_html_section;

cml_status cml_html_sections(const char *html, size_t len, cml_html_section **out, int64_t *n);
void cml_html_sections_free(cml_html_section *s, int64_t n);

/* ---------------------------------------------------------------- corpus */

/* A document as read from a folder or a CSV file. meta holds n_meta
 * key/value pairs (meta[2i] = key, meta[2i+1] = value) used by filters. */
typedef struct cml_doc {
    char *source; /* file path relative to the folder, or "FILE:ROW" (1-based data row) */
    char *title;  /* heading of an HTML section, else "" */
    char *text;
    char **meta; /* (2 n_meta) */
    int64_t n_meta;
} cml_doc;

typedef struct cml_corpus {
    cml_doc *docs; /* (n) */
    int64_t n, cap;
} cml_corpus;

/* Reads every regular file under dir (recursively, names sorted by byte
 * order, hidden entries skipped; at most 32 levels). Files ending in .html
 * or .htm are converted by cml_html_to_text, or with split_html cut into
 * their sections (cml_html_sections; each non-empty section is a document
 * titled by its heading); other files are taken as UTF-8 text, one
 * document each. Metadata: source, title, ext. Errors: CML_ERR_IO (names
 * the path), CML_ERR_NOMEM. *out is initialized here; cml_corpus_free. */
cml_status cml_corpus_from_dir(const char *dir, int split_html, cml_corpus *out);
/* One document per data row of a CSV file: the text is column `column`
 * (a string column, or the numbers as written); every other column becomes
 * metadata (key = header name). Errors: those of cml_csv_read, CML_ERR_ARG
 * (no such column: the message lists the columns). */
cml_status cml_corpus_from_csv(const char *path, const char *column, cml_corpus *out);
/* Appends one document (strings copied; meta may be NULL). */
cml_status cml_corpus_add(cml_corpus *c, const char *source, const char *title, const char *text,
                          const char *const *meta, int64_t n_meta);
void cml_corpus_free(cml_corpus *c);

#ifdef __cplusplus
}
#endif
#endif /* CML_RAG_H */
