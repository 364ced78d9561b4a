/*
 * vocab.c — the open-addressing string map of vocab.h.
 *
 * Hash: 8 bytes at a time, each word xor-multiplied into the state and a
 * final avalanche (murmur3's fmix64), so short tokens cost a few multiplies.
 * Expected O(1) insert and lookup; the table doubles when half full.
 */
#include "text/vocab.h"

#include <string.h>

#include "core/internal.h"

#define EMPTY     UINT64_MAX
#define MAX_TERMS ((int64_t)UINT32_MAX - 1)

void cml_vocab_init(cml_vocab *v)
{
    memset(v, 0, sizeof *v);
}

void cml_vocab_free(cml_vocab *v)
{
    if (!v) return;
    free(v->pool);
    free(v->off);
    free(v->len);
    free(v->hash);
    free(v->slots);
    memset(v, 0, sizeof *v);
}

uint64_t cml_vocab_hash(const char *s, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t k;
        memcpy(&k, s, 8);
        h = (h ^ k) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        s += 8;
        len -= 8;
    }
    if (len) {
        uint64_t k = 0;
        memcpy(&k, s, len);
        h = (h ^ k) * 0xC4CEB9FE1A85EC53ull;
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

int64_t cml_vocab_find_h(const cml_vocab *v, const char *s, size_t len, uint64_t h)
{
    if (!v->slots) return -1;
    const uint64_t tag = h & 0xFFFFFFFF00000000ull;
    for (uint64_t i = h & v->mask;; i = (i + 1) & v->mask) {
        uint64_t e = v->slots[i];
        if (e == EMPTY) return -1;
        if ((e & 0xFFFFFFFF00000000ull) != tag) continue;
        uint32_t id = (uint32_t)e;
        if (v->len[id] == len && memcmp(v->pool + v->off[id], s, len) == 0) return id;
    }
}

int64_t cml_vocab_find(const cml_vocab *v, const char *s, size_t len)
{
    return cml_vocab_find_h(v, s, len, cml_vocab_hash(s, len));
}

/* Doubles the slot table (or creates it) and reinserts every id by its
 * stored hash. */
static cml_status grow_slots(cml_vocab *v)
{
    uint64_t size = v->slots ? (v->mask + 1) * 2 : 64;
    uint64_t *s = cml_alloc_array((int64_t)size, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    memset(s, 0xFF, size * sizeof *s);
    uint64_t mask = size - 1;
    for (int64_t id = 0; id < v->n; id++) {
        uint64_t i = v->hash[id] & mask;
        while (s[i] != EMPTY)
            i = (i + 1) & mask;
        s[i] = (v->hash[id] & 0xFFFFFFFF00000000ull) | (uint64_t)id;
    }
    free(v->slots);
    v->slots = s;
    v->mask = mask;
    return CML_OK;
}

static cml_status grow_terms(cml_vocab *v)
{
    int64_t cap = v->cap ? v->cap * 2 : 64;
    int64_t *off = cml_realloc(v->off, (size_t)cap * sizeof *off);
    if (!off) return CML_ERR_NOMEM;
    v->off = off;
    uint32_t *len = cml_realloc(v->len, (size_t)cap * sizeof *len);
    if (!len) return CML_ERR_NOMEM;
    v->len = len;
    uint64_t *hash = cml_realloc(v->hash, (size_t)cap * sizeof *hash);
    if (!hash) return CML_ERR_NOMEM;
    v->hash = hash;
    v->cap = cap;
    return CML_OK;
}

cml_status cml_vocab_intern(cml_vocab *v, const char *s, size_t len, int64_t *id, int *added)
{
    uint64_t h = cml_vocab_hash(s, len);
    int64_t f = cml_vocab_find_h(v, s, len, h);
    if (added) *added = f < 0;
    if (f >= 0) {
        *id = f;
        return CML_OK;
    }
    if (v->n >= MAX_TERMS || len > UINT32_MAX)
        return cml_fail(CML_ERR_NOMEM, "vocabulary: more than 2^32 - 2 terms or a term over 4 GB");
    if (!v->slots || (uint64_t)(v->n + 1) * 2 > v->mask + 1) CML_CHECK(grow_slots(v));
    if (v->n == v->cap) CML_CHECK(grow_terms(v));
    if (v->pool_len + len + 1 > v->pool_cap) {
        size_t cap = v->pool_cap ? v->pool_cap : 1024;
        while (cap < v->pool_len + len + 1)
            cap *= 2;
        char *p = cml_realloc(v->pool, cap);
        if (!p) return CML_ERR_NOMEM;
        v->pool = p;
        v->pool_cap = cap;
    }
    memcpy(v->pool + v->pool_len, s, len);
    v->pool[v->pool_len + len] = '\0';
    int64_t nid = v->n++;
    v->off[nid] = (int64_t)v->pool_len;
    v->len[nid] = (uint32_t)len;
    v->hash[nid] = h;
    v->pool_len += len + 1;
    uint64_t i = h & v->mask;
    while (v->slots[i] != EMPTY)
        i = (i + 1) & v->mask;
    v->slots[i] = (h & 0xFFFFFFFF00000000ull) | (uint64_t)nid;
    *id = nid;
    return CML_OK;
}
