/*
 * hnsw_internal.h — the HNSW index structure shared by hnsw.c (graph,
 * search) and hnsw_io.c (save, load, mmap open). Never installed.
 *
 * Memory layout (the same in memory and in the file, so an opened file is
 * searched in place):
 *   vec       (cap, dim)     f32 vectors, normalized for cosine
 *   labels    (cap)          i64 user labels
 *   level     (cap)          i32 top level of each node
 *   deleted   (cap)          u8, 1 = marked deleted
 *   links0    (cap, M0 + 1)  i32 level-0 list: count, then up to M0 ids
 *   upper_off (cap)          i64 offset into `upper` of the node's level-1
 *                            block; level l >= 1 is at upper_off + (l-1)(M+1)
 *   upper     (upper_len)    i32 blocks of (M + 1): count, then up to M ids
 *   codes     (cap, dim)     u8 int8-quantized vectors (when quantized)
 */
#ifndef CML_HNSW_INTERNAL_H
#define CML_HNSW_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cml/gguf.h"
#include "cml/index.h"
#include "core/internal.h"
#include "index/kernels.h"

#define HNSW_MAX_LEVEL                                                                             \
    64 /* P(level >= 64) = M^-64: never drawn; a file claiming more is corrupt                     \
        */

typedef struct hn_pair {
    float d;
    int32_t id;
} hn_pair;

typedef struct hn_heap {
    hn_pair *a;
    int64_t n, cap;
} hn_heap;

/* Per-query scratch, reused through the index's pool. */
typedef struct hn_scratch {
    uint16_t *tag; /* (tag_cap) visited marks: tag[id] == cur means visited */
    int64_t tag_cap;
    uint16_t cur;
    hn_heap top;   /* max-heap: the ef best allowed so far */
    hn_heap cand;  /* min-heap: the frontier */
    float *qbuf;   /* (2 dim) query copy and its int8 transform */
    int32_t *nbuf; /* (M0 + 1) link copy / unvisited neighbours */
    hn_pair *sel;  /* (max(ef_c, M0) + 1) heuristic input/output */
    hn_pair *sel2;
    int64_t sel_cap;
} hn_scratch;

typedef struct hn_pool {
    pthread_mutex_t mu;
    hn_scratch **items;
    int64_t n, cap;
} hn_pool;

/* Label -> slot map: open addressing, linear probing, backward-shift
 * deletion (no tombstones). */
typedef struct hn_map {
    int64_t *keys;
    int32_t *vals;  /* -1 = empty */
    int64_t cap, n; /* cap a power of two, n <= cap / 2 */
} hn_map;

struct cml_hnsw {
    int64_t dim;
    cml_index_metric metric;
    int64_t M, M0, ef_construction, ef_search;
    uint64_t seed;
    double mult; /* 1 / ln(M): level = floor(-ln(U) mult) */
    cml_rng rng; /* level draws, advanced in input order */
    const cml_index_kernels *k;

    int64_t n, cap; /* slots in use (live + deleted), capacity */
    int64_t n_deleted;
    int32_t entry; /* -1 when empty */
    int32_t max_level;

    float *vec;
    int64_t *labels;
    int32_t *level;
    uint8_t *deleted;
    int32_t *links0;
    int64_t *upper_off;
    int32_t *upper;
    int64_t upper_len, upper_cap;

    int quantized;
    float *q_min, *q_scale; /* (dim) */
    uint8_t *codes;

    /* Built on first need (add, mark_deleted, get_vector). */
    int map_ready;
    hn_map map;
    int32_t *free_slots; /* stack of deleted slots (entries re-checked when popped) */
    int64_t n_free, free_cap;

    _Atomic unsigned char *locks; /* (cap) per-node spinlocks while building */
    pthread_mutex_t global;       /* entry point / max level while building */

    hn_pool *pool; /* scratch for searches on a const index */

    /* Opened with cml_hnsw_open: the arrays above point into this mapping
     * (read-only) until the first mutation copies them. */
    cml_gguf *mapped;
    int64_t cap_saved; /* mapped: the max_elements restored by the first mutation */
};

/* Allocates an index shell for params (no storage yet). */
cml_status cml_hnsw_shell(const cml_hnsw_params *p, cml_hnsw **out);
/* Grows or shrinks storage to cap slots, copying into owned memory (also
 * the way an opened, mapped index becomes mutable). */
cml_status cml_hnsw_reserve(cml_hnsw *h, int64_t cap);

#endif
