/*
 * cml/index.h — dense vector indexes for embeddings: HNSW approximate
 * nearest-neighbour search (Malkov & Yashunin, "Efficient and robust
 * approximate nearest neighbor search using Hierarchical Navigable Small
 * World graphs", TPAMI 2018) and exact brute-force search as its oracle.
 *
 * Vectors are f32 (embeddings). Distances, as hnswlib reports them:
 *   CML_METRIC_L2      squared euclidean  sum_j (x_j - q_j)^2
 *   CML_METRIC_IP      1 - x.q            (smaller is closer)
 *   CML_METRIC_COSINE  1 - cos(x, q)      (vectors normalized when added;
 *                                          a zero vector stays zero)
 * Labels are caller-chosen int64 values (hnswlib's "ids").
 *
 * Thread-safety: searches on a const index may run from many threads at
 * once (per-query scratch comes from a locked pool inside the index).
 * add / mark_deleted / resize / quantize need exclusive access: no search
 * may run at the same time.
 *
 * Determinism: node levels are drawn from a cml_rng seeded by random_state,
 * in input order, before any parallel work. With one thread, building is
 * fully deterministic for a seed. With several threads, insertions
 * interleave (as in hnswlib), so the graph, and hence approximate results,
 * may differ between runs and thread counts; recall does not change in
 * expectation. Searches are deterministic for a given graph.
 */
#ifndef CML_INDEX_H
#define CML_INDEX_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/text.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cml_index_metric {
    CML_METRIC_L2 = 0,
    CML_METRIC_IP = 1,
    CML_METRIC_COSINE = 2
} cml_index_metric;

/* "l2", "ip", "cosine"; NULL for an unknown value. */
const char *cml_index_metric_name(cml_index_metric m);
/* Parses the names above; CML_ERR_ARG listing them otherwise. */
cml_status cml_index_metric_parse(const char *name, cml_index_metric *out);

/* ---------------------------------------------------------------- exact */

/* Exact k nearest rows of X (n, dim) for each row of Q (nq, dim), both
 * row-major f32. Candidates are screened with BLAS sgemm over blocks
 * (|x|^2 - 2 x.q for l2, x.q for ip/cosine; parallel over queries), then
 * the 2k best are re-scored with the direct f32 kernels and the k best
 * kept, sorted by (distance, row). out_labels / out_dists are (nq, k),
 * caller-owned; labels[row] is reported (row itself when labels is NULL);
 * rows beyond n (k > n) get label -1 and distance +inf.
 * Errors: CML_ERR_ARG (sizes, k < 1), CML_ERR_NOMEM. Cost O(nq n dim). */
cml_status cml_index_exact_search(cml_index_metric metric, const float *X, int64_t n, int64_t dim,
                                  const int64_t *labels, const float *Q, int64_t nq, int64_t k,
                                  int64_t *out_labels, float *out_dists);

/* ---------------------------------------------------------------- HNSW */

typedef struct cml_hnsw_params {
    int64_t dim;             /* vector length, >= 1 (required) */
    cml_index_metric metric; /* CML_METRIC_L2 */
    int64_t M;               /* 16; links per node on levels >= 1 (2M on level 0), 2..2048 */
    int64_t ef_construction; /* 200; candidate list size while building, >= 1 */
    int64_t ef_search;       /* 50; default candidate list size for queries, >= 1 */
    int64_t max_elements;    /* 1000; capacity (slots), grown with cml_hnsw_resize */
    uint64_t random_state;   /* 100 (hnswlib's default seed) */
} cml_hnsw_params;

cml_hnsw_params cml_hnsw_params_default(void);
/* NULL if valid, else a static message naming the bad field and range. */
const char *cml_hnsw_params_check(const cml_hnsw_params *p);

typedef struct cml_hnsw cml_hnsw;

/* Creates an empty index. CML_ERR_ARG (bad params), CML_ERR_NOMEM. */
cml_status cml_hnsw_create(const cml_hnsw_params *p, cml_hnsw **out);
/* Frees the index (and unmaps an opened file). NULL is a no-op. */
void cml_hnsw_free(cml_hnsw *h);

/* Inserts the n rows of X (n, dim), f32, row-major, with labels[i] (NULL:
 * labels are size()+i... i.e. the current slot count + i, as hnswlib).
 * A label already in the index replaces that vector (its slot is
 * re-inserted). Slots of deleted vectors are reused before new slots.
 * Rows are inserted in parallel (OpenMP, per-node locks) except reused
 * slots, which are re-inserted one at a time first. Errors: CML_ERR_ARG
 * (non-finite values; more vectors than max_elements, with a hint to
 * resize; a label repeated within X), CML_ERR_NOMEM. An index opened with
 * cml_hnsw_open is first copied into memory. Cost O(n log N ef_c M dim). */
cml_status cml_hnsw_add(cml_hnsw *h, const float *X, int64_t n, const int64_t *labels);

/* Marks a label deleted: searches no longer return it, but still walk
 * through its node (the graph stays connected, as in hnswlib); its slot is
 * reused by later adds. CML_ERR_ARG if the label is absent or already
 * deleted. */
cml_status cml_hnsw_mark_deleted(cml_hnsw *h, int64_t label);

/* Changes the capacity to max_elements (>= the slots in use; CML_ERR_ARG
 * otherwise). */
cml_status cml_hnsw_resize(cml_hnsw *h, int64_t max_elements);

int64_t cml_hnsw_size(const cml_hnsw *h);      /* live (not deleted) vectors */
int64_t cml_hnsw_n_deleted(const cml_hnsw *h); /* deleted, not yet reused */
int64_t cml_hnsw_capacity(const cml_hnsw *h);  /* max_elements */
int64_t cml_hnsw_dim(const cml_hnsw *h);
cml_index_metric cml_hnsw_metric(const cml_hnsw *h);
int cml_hnsw_is_quantized(const cml_hnsw *h);
/* The build/query parameters of the index (dim, metric, M, ...). */
cml_hnsw_params cml_hnsw_get_params(const cml_hnsw *h);
/* Sets the default ef for queries (>= 1). */
cml_status cml_hnsw_set_ef(cml_hnsw *h, int64_t ef);
/* 1 and the stored (normalized, for cosine) vector copied to out (dim
 * floats) if the label is live; 0 otherwise. */
int cml_hnsw_get_vector(cml_hnsw *h, int64_t label, float *out);

/* Int8 scalar quantization: per dimension, min/max over the vectors now in
 * the index map [min, max] to codes 0..255 (later adds are clamped to the
 * range). Queries then walk the graph on the codes (4x less memory traffic,
 * asymmetric distance: f32 query against decoded codes) and, by default,
 * re-rank their ef candidates on the f32 originals, which stay stored. The
 * graph is unchanged. Calling it again retrains on the current vectors. */
cml_status cml_hnsw_quantize_int8(cml_hnsw *h);

/* Filter: a label is returned only if allowed. Filtered-out nodes are still
 * walked through (as hnswlib's filter), so recall holds at moderate
 * selectivity; at very low selectivity the search explores much of the
 * graph (use exact search on the allowed subset there). */
typedef struct cml_hnsw_filter {
    /* Caller predicate: nonzero = allowed; called from the searching thread
     * (from several at once in batch search). NULL = no predicate. */
    int (*allow)(int64_t label, void *user);
    void *user;
    /* Bitmap over labels: label l is allowed iff 0 <= l < bitmap_bits and
     * bit (l % 64) of bitmap[l / 64] is set. NULL = no bitmap. When both
     * are given, a label must pass both. */
    const uint64_t *bitmap;
    int64_t bitmap_bits;
} cml_hnsw_filter;

typedef struct cml_hnsw_query {
    int64_t ef;                    /* 0: the index's ef_search; the search uses max(ef, k) */
    const cml_hnsw_filter *filter; /* NULL: every live label */
    /* Quantized indexes: 1 (default) walks the graph on int8 codes, 0 on f32. */
    int use_int8;
    /* With int8: how many of the best candidates to re-score on f32
     * originals (-1, the default: all ef; 0: report int8 distances). */
    int64_t rerank;
} cml_hnsw_query;

cml_hnsw_query cml_hnsw_query_default(void);

/* k nearest live labels of q (dim floats), sorted by distance ascending;
 * labels / dists hold k entries (caller-owned); fewer than k found (small
 * index, filter) → the rest are label -1, distance +inf, and *n_found
 * (may be NULL) says how many are real. opt NULL = defaults. Errors:
 * CML_ERR_ARG (k < 1, non-finite query), CML_ERR_NOMEM. */
cml_status cml_hnsw_search(const cml_hnsw *h, const float *q, int64_t k, const cml_hnsw_query *opt,
                           int64_t *labels, float *dists, int64_t *n_found);

/* The same for the nq rows of Q, parallel over queries (OpenMP);
 * labels / dists are (nq, k). */
cml_status cml_hnsw_search_batch(const cml_hnsw *h, const float *Q, int64_t nq, int64_t k,
                                 const cml_hnsw_query *opt, int64_t *labels, float *dists);

/* Saves the index as GGUF (atomically: temp file, fsync, rename). Layout:
 * tensors vectors f32 (n, dim), labels i64 (n), levels i32 (n), deleted i8
 * (n), links0 i32 (n, 2M+1) (count then ids, level 0), upper_offsets i64
 * (n) and links_upper i32 (levels >= 1, blocks of M+1 per level), plus
 * q_min / q_scale f32 (dim) and codes i8 (n, dim) when quantized; keys
 * cml.kind = "hnsw_index", cml.schema_version, cml.index.*. */
cml_status cml_hnsw_save(const cml_hnsw *h, const char *path);

/* Reads the whole file into memory (CRC-32 of the data verified). */
cml_status cml_hnsw_load(const char *path, cml_hnsw **out);

/* Maps the file (mmap, read-only): O(header + graph validation); vectors are
 * paged in only as queries touch them. The payload CRC is not computed
 * (that would read the whole file); instead every structural field the
 * search trusts (levels, offsets, link counts, every neighbour id < n, the
 * entry point) is validated eagerly, so a corrupt file is CML_ERR_FORMAT
 * and never a crash; corrupted vector values just give wrong distances.
 * The first mutation copies the index into memory. */
cml_status cml_hnsw_open(const char *path, cml_hnsw **out);

/* ---------------------------------------------------------------- BM25 */

/*
 * Okapi BM25 over an inverted index (Robertson & Zaragoza, "The Probabilistic
 * Relevance Framework: BM25 and Beyond", FnTIR 2009, eq. 3.x), with the
 * BM25+ lower bound (Lv & Zhai, CIKM 2011) when delta > 0:
 *
 *   score(q, d) = sum over query tokens t (repeats count each time) of
 *       idf(t) * ( tf(t,d) (k1 + 1) / (tf(t,d) + k1 (1 - b + b |d| / avgdl)) + delta )
 *   for terms with tf(t,d) > 0, where
 *   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))      (always > 0, as Lucene)
 *
 * N = documents, |d| = tokens of d, avgdl = mean |d|. Documents are
 * analyzed by the text tokenizer (cml/text.h; default: sklearn's word
 * analyzer, lowercased). Postings are compressed (doc-id gaps and term
 * frequencies as LEB128 varints) in blocks of 128 with skip data (last doc
 * id, byte end, max tf, min |d|); top-k uses WAND (Broder et al., CIKM 2003)
 * with per-term upper bounds from the block maxima, or term-at-a-time
 * accumulation when the query's postings are dense; either way results
 * equal an exhaustive scoring (ties broken by insertion order).
 *
 * Thread-safety: searches / scoring on a const index may run from many
 * threads; add needs exclusive access.
 */
typedef struct cml_bm25_params {
    double k1;              /* 1.2; term-frequency saturation, >= 0 */
    double b;               /* 0.75; length normalization, in [0, 1] */
    double delta;           /* 0 (Okapi); > 0: BM25+ */
    cml_tokenizer_opts tok; /* the tokenizer's defaults */
} cml_bm25_params;

cml_bm25_params cml_bm25_params_default(void);
/* NULL if valid, else a message naming the field and its range. */
const char *cml_bm25_params_check(const cml_bm25_params *p);

typedef struct cml_bm25 cml_bm25;

/* Empty index. CML_ERR_ARG (bad params), CML_ERR_NOMEM. */
cml_status cml_bm25_create(const cml_bm25_params *p, cml_bm25 **out);
void cml_bm25_free(cml_bm25 *b);

/* Appends n documents texts[i][0..lens[i]) (UTF-8; lens NULL: NUL-
 * terminated) with labels[i] (NULL: the document's position, 0, 1, ...).
 * Errors: CML_ERR_ARG (more than 2^31 - 1 documents or tokens in one
 * document), CML_ERR_NOMEM; on error the index is unchanged for documents
 * not yet added (documents are added one by one, in order). */
cml_status cml_bm25_add(cml_bm25 *b, const char *const *texts, const size_t *lens, int64_t n,
                        const int64_t *labels);

int64_t cml_bm25_n_docs(const cml_bm25 *b);
int64_t cml_bm25_n_terms(const cml_bm25 *b);
int64_t cml_bm25_n_postings(const cml_bm25 *b);
/* Bytes of compressed postings (varints). */
int64_t cml_bm25_postings_bytes(const cml_bm25 *b);
double cml_bm25_avgdl(const cml_bm25 *b);
cml_bm25_params cml_bm25_get_params(const cml_bm25 *b);
/* Label / token count of document i (insertion order); -1 if out of range. */
int64_t cml_bm25_doc_label(const cml_bm25 *b, int64_t i);
int64_t cml_bm25_doc_len(const cml_bm25 *b, int64_t i);
/* Document frequency of a term (0 when unknown). */
int64_t cml_bm25_df(const cml_bm25 *b, const char *term, size_t len);

/* Exhaustive scoring: scores[i] (n_docs doubles, caller-owned) is the score
 * of document i (0 when it holds no query term). The reference the top-k
 * search is tested against. Errors: CML_ERR_NOMEM. O(postings of q). */
cml_status cml_bm25_score_all(const cml_bm25 *b, const char *query, size_t len, double *scores);

/* Top-k documents for a query, sorted by score descending then insertion
 * order; only documents with a query term are returned. The strategy is
 * chosen per query: term-at-a-time accumulation over all documents when the
 * query's postings are at least N / 8 (nothing to skip; ~1 ns a posting),
 * else WAND; both give the same results bit for bit. labels /
 * scores hold k entries (caller-owned); missing ones are label -1, score 0;
 * *n_found (may be NULL) = how many are real. filter (NULL = none) is
 * HNSW's label filter. Errors: CML_ERR_ARG (k < 1), CML_ERR_NOMEM. */
cml_status cml_bm25_search(const cml_bm25 *b, const char *query, size_t len, int64_t k,
                           const cml_hnsw_filter *filter, int64_t *labels, double *scores,
                           int64_t *n_found);
/* The same with the strategy forced (tests, benchmarks): WAND, or
 * term-at-a-time (O(N) scratch per call). */
cml_status cml_bm25_search_wand(const cml_bm25 *b, const char *query, size_t len, int64_t k,
                                const cml_hnsw_filter *filter, int64_t *labels, double *scores,
                                int64_t *n_found);
cml_status cml_bm25_search_taat(const cml_bm25 *b, const char *query, size_t len, int64_t k,
                                const cml_hnsw_filter *filter, int64_t *labels, double *scores,
                                int64_t *n_found);

/* GGUF (atomic: temp file, fsync, rename): keys cml.kind = "bm25_index",
 * cml.schema_version, cml.index.* (k1, b, delta, tokenizer options,
 * n_docs), string array cml.index.terms; tensors postings i8 (bytes),
 * term_offsets i64 (n_terms + 1), df i64 (n_terms), doc_len i32 (n_docs),
 * labels i64 (n_docs). */
cml_status cml_bm25_save(const cml_bm25 *b, const char *path);
/* Reads and validates everything a search trusts (offsets, every varint,
 * doc ids increasing and < n_docs, tf >= 1, df and per-document token sums
 * consistent, distinct terms); a corrupt file is CML_ERR_FORMAT, never a
 * crash. Block skip data is rebuilt while decoding. */
cml_status cml_bm25_load(const char *path, cml_bm25 **out);
cml_status cml_bm25_load_mem(const void *buf, size_t len, const char *name, cml_bm25 **out);

/* ---------------------------------------------------------------- vector files */

/* Reads a matrix of vectors, chosen by the file name's extension:
 *   .fvecs  TEXMEX format: per vector an int32 dim then dim f32 (all dims equal)
 *   .npy    NumPy 1.0/2.0/3.0 array, 2-d (or 1-d = one vector), C order,
 *           little-endian <f4 or <f8 (f8 rounded to f32)
 *   .csv    numeric CSV with a header row (cml_csv_read), every column
 * *X (n, dim) f32 row-major is the caller's. Errors: CML_ERR_IO,
 * CML_ERR_FORMAT (ragged fvecs, bad npy header, non-finite values,
 * unsupported dtype/order; the message names the file), CML_ERR_ARG
 * (unknown extension), CML_ERR_NOMEM. */
cml_status cml_vectors_read(const char *path, float **X, int64_t *n, int64_t *dim);

#ifdef __cplusplus
}
#endif
#endif /* CML_INDEX_H */
