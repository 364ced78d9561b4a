/*
 * vocab.h — a string -> dense id hash map (the vocabulary of the text
 * vectorizers and the stop-word set of the tokenizer).
 *
 * Terms are copied into one pool, each NUL-terminated; ids are 0..n-1 in
 * insertion order. Open addressing with linear probing over a power-of-two
 * table kept at most half full. A slot holds the id and 32 more bits of the
 * hash, so a probe rejects other terms without touching them (one cache
 * miss per lookup on a large vocabulary instead of four), and the full
 * hashes are kept so growth never rehashes strings.
 * Lookups on a const map are thread-safe.
 */
#ifndef CML_TEXT_VOCAB_H
#define CML_TEXT_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "cml/core.h"

typedef struct cml_vocab {
    char *pool; /* (pool_len) terms, each followed by a NUL */
    size_t pool_len, pool_cap;
    int64_t *off;   /* (n) byte offset of term i in pool */
    uint32_t *len;  /* (n) byte length of term i */
    uint64_t *hash; /* (n) hash of term i */
    int64_t n, cap;
    uint64_t *slots; /* (mask + 1) (hash >> 32) << 32 | id, or UINT64_MAX when empty */
    uint64_t mask;
} cml_vocab;

void cml_vocab_init(cml_vocab *v);
void cml_vocab_free(cml_vocab *v);
uint64_t cml_vocab_hash(const char *s, size_t len);
/* Id of s[0..len), inserting it when absent (*added set to 1 then, else 0;
 * added may be NULL). Errors: CML_ERR_NOMEM (also past 2^32 - 2 terms). */
cml_status cml_vocab_intern(cml_vocab *v, const char *s, size_t len, int64_t *id, int *added);
/* Id of s[0..len), or -1. */
int64_t cml_vocab_find(const cml_vocab *v, const char *s, size_t len);
/* Same with a precomputed cml_vocab_hash(s, len). */
int64_t cml_vocab_find_h(const cml_vocab *v, const char *s, size_t len, uint64_t h);

static inline const char *cml_vocab_term(const cml_vocab *v, int64_t id)
{
    return v->pool + v->off[id];
}

#endif
