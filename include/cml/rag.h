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
#include "cml/index.h"

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

/* ---------------------------------------------------------------- chunking */

typedef enum cml_chunk_mode {
    CML_CHUNK_FIXED = 0,    /* windows of `size` words, `overlap` words shared */
    CML_CHUNK_PARAGRAPH = 1 /* whole paragraphs packed up to `size` words */
} cml_chunk_mode;

typedef struct cml_chunk_opts {
    int mode;        /* cml_chunk_mode, default paragraph */
    int64_t size;    /* 200 words per chunk, >= 1 */
    int64_t overlap; /* 40 words, 0 <= overlap < size */
} cml_chunk_opts;

typedef struct cml_span {
    int64_t start, end; /* byte range [start, end) of the text */
} cml_span;

cml_chunk_opts cml_chunk_opts_default(void);
/* NULL if valid, else a message naming the field. */
const char *cml_chunk_opts_check(const cml_chunk_opts *o);

/* Cuts text[0..len) into chunks. Words are maximal runs of bytes other than
 * ASCII whitespace. Fixed: word windows starting every size - overlap words
 * until one reaches the last word. Paragraph: paragraphs are separated by
 * blank lines, and a line starting with '#' (a Markdown heading) starts a
 * new paragraph and a new chunk; consecutive paragraphs are packed while the
 * chunk stays within `size` words; a paragraph longer than `size` is cut by
 * the fixed rule (with overlap). Each span runs from its first word's first
 * byte to its last word's last byte; text without words gives no chunk.
 * *out (caller frees) may be NULL when *n is 0. CML_ERR_ARG, CML_ERR_NOMEM. */
cml_status cml_chunk_text(const char *text, size_t len, const cml_chunk_opts *o, cml_span **out,
                          int64_t *n);

/* ---------------------------------------------------------------- fusion */

/* One ranked list to fuse: labels best first (label < 0 entries skipped;
 * a repeated label counts at its first, best, position). */
typedef struct cml_ranked_list {
    const int64_t *labels; /* (n) */
    const double *scores;  /* (n); unused by RRF */
    int64_t n;
    int lower_is_better; /* 1 for distances (HNSW), 0 for scores (BM25) */
    double weight;       /* >= 0 */
} cml_ranked_list;

typedef enum cml_fusion {
    /* Reciprocal rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009):
     * sum over lists of weight / (rrf_k + rank), rank 1-based. */
    CML_FUSE_RRF = 0,
    /* Weighted score fusion: each list's scores min-max normalized to
     * [0, 1] (1 = its best; every entry 1 when all are equal), then
     * sum of weight * normalized score; absent from a list = 0. */
    CML_FUSE_WEIGHTED = 1
} cml_fusion;

/* Fuses n_lists lists into the k best labels, sorted by fused score
 * descending then label ascending; labels / scores hold k entries
 * (missing: label -1, score 0); *n_found (may be NULL) says how many are
 * real. rrf_k (60 is customary) is used by RRF only, >= 0. Errors:
 * CML_ERR_ARG (k < 1, negative or non-finite weight, bad method, rrf_k),
 * CML_ERR_NOMEM. O(L log L), L = total entries. */
cml_status cml_fuse(cml_fusion method, const cml_ranked_list *lists, int64_t n_lists, double rrf_k,
                    int64_t k, int64_t *labels, double *scores, int64_t *n_found);

/* ---------------------------------------------------------------- embedding */

/* A first real text embedding: TF-IDF (cml_tfidf, sublinear tf, English
 * stop words, min_df 1) projected on the top `dim` right singular vectors
 * of the TF-IDF matrix (TruncatedSVD, i.e. latent semantic analysis;
 * Deerwester et al. 1990), each vector L2-normalized (for cosine / inner
 * product search). Immutable once fitted: embed is thread-safe. */
typedef struct cml_text_embedder cml_text_embedder;

/* Fits on n texts; dim is clipped to min(n, n_features) - 1 (>= 1).
 * Errors: CML_ERR_ARG (n < 2, dim < 1, empty vocabulary), CML_ERR_NOMEM. */
cml_status cml_text_embedder_fit(const char *const *texts, int64_t n, int64_t dim,
                                 uint64_t random_state, cml_text_embedder **out);
int64_t cml_text_embedder_dim(const cml_text_embedder *e);
/* out (n, dim) f32 row-major; a text with no known term embeds to zeros. */
cml_status cml_text_embed(const cml_text_embedder *e, const char *const *texts, int64_t n,
                          float *out);
/* GGUF: cml.kind = "text_embedder", the TF-IDF under scope "tfidf.", the
 * projection as tensor "embed.components" (n_features, dim). */
cml_status cml_text_embedder_save(const cml_text_embedder *e, const char *path);
cml_status cml_text_embedder_load(const char *path, cml_text_embedder **out);
void cml_text_embedder_free(cml_text_embedder *e);

/* ---------------------------------------------------------------- store */

/*
 * Document store: documents (source, title, text), their metadata
 * (key/value pairs, for filters) and chunks (byte span, text, the id the
 * indexes use). Chunk ids are the labels of the BM25 and vector indexes.
 * The interface is backend-neutral; "sqlite:PATH" or a plain PATH opens
 * the embedded SQLite backend (created when absent), other schemes
 * ("postgres://...") are CML_ERR_UNSUPPORTED in this build.
 */
typedef struct cml_docstore cml_docstore;

cml_status cml_docstore_open(const char *uri, cml_docstore **out);
void cml_docstore_close(cml_docstore *s);
/* Groups writes in one transaction (much faster for bulk loads). */
cml_status cml_docstore_begin(cml_docstore *s);
cml_status cml_docstore_commit(cml_docstore *s);
cml_status cml_docstore_add_doc(cml_docstore *s, const cml_doc *d, int64_t *doc_id);
/* vector_id < 0: the chunk's own id. */
cml_status cml_docstore_add_chunk(cml_docstore *s, int64_t doc_id, int64_t ord, cml_span span,
                                  const char *text, int64_t vector_id, int64_t *chunk_id);

typedef struct cml_chunk_rec {
    int64_t chunk_id, doc_id, vector_id;
    char *text, *source, *title; /* owned */
} cml_chunk_rec;

/* CML_ERR_ARG when the chunk does not exist. */
cml_status cml_docstore_get_chunk(cml_docstore *s, int64_t chunk_id, cml_chunk_rec *out);
void cml_chunk_rec_free(cml_chunk_rec *r);
cml_status cml_docstore_count(cml_docstore *s, int64_t *n_docs, int64_t *n_chunks);
/* Bitmap over chunk ids (bit i set = chunk i's document has every
 * key = value pair of kv, n_kv pairs); *bits = largest chunk id + 1.
 * The caller frees *bitmap. Usable as cml_hnsw_filter.bitmap. */
cml_status cml_docstore_filter(cml_docstore *s, const char *const *kv, int64_t n_kv,
                               uint64_t **bitmap, int64_t *bits, int64_t *n_match);
/* Free-form settings of an index built on the store (key -> text). */
cml_status cml_docstore_set_info(cml_docstore *s, const char *key, const char *value);
/* *value malloc'd, NULL when absent. */
cml_status cml_docstore_get_info(cml_docstore *s, const char *key, char **value);

/* ---------------------------------------------------------------- retriever */

/*
 * A retriever: an index folder holding the document store (docs.sqlite),
 * the BM25 index of the chunks (bm25.gguf) and, when dense search is on,
 * the text embedder (embedder.gguf) and an HNSW cosine index of the chunk
 * embeddings (hnsw.gguf, opened by mmap). Labels in both indexes are the
 * store's chunk ids. Each index file is replaced atomically (temp file,
 * fsync, rename) and the store's transaction commits last, so a crash
 * leaves every file either old or new; a crash between the renames and the
 * commit can leave index entries whose chunks the store does not have,
 * which searches skip. One thread per retriever.
 */
typedef struct cml_retriever_opts {
    cml_chunk_opts chunk;    /* chunking; chunk.size = 0: one chunk per document */
    cml_bm25_params bm25;    /* BM25 parameters */
    int64_t dim;             /* 128: embedding dimension (LSA); 0 = no dense index */
    int64_t M;               /* 16: HNSW links per node */
    int64_t ef_construction; /* 200 */
    uint64_t random_state;   /* 0: SVD and HNSW seeds */
} cml_retriever_opts;

cml_retriever_opts cml_retriever_opts_default(void);

typedef struct cml_retriever cml_retriever;

/* Builds a new index folder `dir` (created; it must not already hold an
 * index) from the documents. Errors: CML_ERR_ARG (options, an existing
 * index, no text to index), CML_ERR_IO, CML_ERR_NOMEM. */
cml_status cml_retriever_build(const char *dir, const cml_retriever_opts *o, const cml_corpus *docs,
                               cml_retriever **out);
/* Opens an index folder (errors name the missing or corrupt file). */
cml_status cml_retriever_open(const char *dir, cml_retriever **out);
/* Adds documents (chunked as at build; embedded with the existing
 * embedder, whose vocabulary is fixed at build) and saves. */
cml_status cml_retriever_add(cml_retriever *r, const cml_corpus *docs);
void cml_retriever_free(cml_retriever *r);

typedef enum cml_search_mode {
    CML_SEARCH_BM25 = 0,
    CML_SEARCH_DENSE = 1,
    CML_SEARCH_HYBRID = 2
} cml_search_mode;

typedef struct cml_search_opts {
    int mode;                  /* cml_search_mode, default hybrid (bm25 without a dense index) */
    int fusion;                /* cml_fusion, default RRF */
    double rrf_k;              /* 60 */
    double w_sparse, w_dense;  /* 1, 1: list weights in the fusion */
    int64_t depth;             /* 100: candidates from each list before fusing (>= k used) */
    int64_t ef;                /* 0: max(depth, 64) for the HNSW search */
    const char *const *filter; /* n_filter key/value pairs every hit's document must have */
    int64_t n_filter;
} cml_search_opts;

cml_search_opts cml_search_opts_default(void);

/* The k best chunks for a text query: chunk ids and scores (BM25 score,
 * cosine similarity for dense, fused score for hybrid), best first;
 * missing entries are -1 / 0 and *n_found says how many are real.
 * Errors: CML_ERR_ARG (k < 1, dense mode without a dense index),
 * CML_ERR_IO (store), CML_ERR_NOMEM. */
cml_status cml_retriever_search(cml_retriever *r, const char *query, int64_t k,
                                const cml_search_opts *o, int64_t *chunk_ids, double *scores,
                                int64_t *n_found);

/* Borrowed parts (valid until free): the store, the BM25 index, and the
 * dense index and embedder (NULL without dense search). */
cml_docstore *cml_retriever_store(cml_retriever *r);
const cml_bm25 *cml_retriever_bm25(const cml_retriever *r);
const cml_hnsw *cml_retriever_hnsw(const cml_retriever *r);
const cml_text_embedder *cml_retriever_embedder(const cml_retriever *r);
cml_retriever_opts cml_retriever_get_opts(const cml_retriever *r);

#ifdef __cplusplus
}
#endif
#endif /* CML_RAG_H */
