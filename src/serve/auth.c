/*
 * auth.c — API keys and rate limiting for the model server.
 *
 * Keys: a client sends `Authorization: Bearer KEY`; the key is compared
 * with every configured key in constant time: the loop runs over the
 * client's token (whose length the client knows anyway) for every key, and
 * folds differences with OR, so the time taken reveals neither where a
 * guess first differs nor which key matched (the remote timing attack on
 * memcmp/strcmp, see e.g. Crosby, Wallach & Riedi, "Opportunities and
 * limits of remote timing attacks", ACM TISSEC 2009).
 *
 * Rate limit: one token bucket per client (Turner 1986; the shaper of
 * RFC 2697 with one bucket): capacity `burst`, refilled at `rate` tokens/s;
 * a request takes one token or is refused with the time until one is due
 * (the Retry-After of the 429). The refill is computed lazily from the time
 * of the last request, so an idle client costs nothing.
 *
 * Complexity: key match O(n_keys * |token|); limiter O(1) expected per
 * request (open addressing, FNV-1a hash), O(slots) on the rare purge.
 * Thread-safety: keys are read-only after load; the limiter has a mutex.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "serve/serve_internal.h"

/* ---------------------------------------------------------------- keys */

void serve_keys_free(serve_keys *k)
{
    for (int i = 0; i < k->n; i++)
        free(k->keys[i]);
    free(k->keys);
    free(k->lens);
    memset(k, 0, sizeof *k);
}

static cml_status add_key(serve_keys *k, const char *s, size_t len)
{
    char **keys = cml_realloc(k->keys, sizeof *keys * (size_t)(k->n + 1));
    if (!keys) return CML_ERR_NOMEM;
    k->keys = keys;
    size_t *lens = cml_realloc(k->lens, sizeof *lens * (size_t)(k->n + 1));
    if (!lens) return CML_ERR_NOMEM;
    k->lens = lens;
    char *copy = cml_malloc(len + 1);
    if (!copy) return CML_ERR_NOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    k->keys[k->n] = copy;
    k->lens[k->n] = len;
    k->n++;
    return CML_OK;
}

cml_status serve_keys_parse(const char *text, size_t len, const char *name, serve_keys *out)
{
    cml_status st = CML_OK;
    memset(out, 0, sizeof *out);
    size_t i = 0;
    int line = 0;
    while (i < len) {
        size_t b = i, e;
        while (i < len && text[i] != '\n')
            i++;
        e = i++;
        line++;
        while (b < e && isspace((unsigned char)text[b]))
            b++;
        while (e > b && isspace((unsigned char)text[e - 1]))
            e--;
        if (b == e || text[b] == '#') continue;
        for (size_t j = b; j < e; j++)
            if (text[j] == '\0' || isspace((unsigned char)text[j]) ||
                !isprint((unsigned char)text[j])) {
                st = cml_fail(CML_ERR_FORMAT,
                              "%s:%d: an API key must be printable with no blanks inside", name,
                              line);
                goto fail;
            }
        CML_TRY(add_key(out, text + b, e - b));
    }
    if (!out->n) {
        st = cml_fail(CML_ERR_FORMAT,
                      "%s: no API key in the file (one key per line; # starts a comment)", name);
        goto fail;
    }
    return CML_OK;
fail:
    serve_keys_free(out);
    return st;
}

cml_status serve_keys_load(const char *path, serve_keys *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return cml_fail(CML_ERR_IO, "%s: cannot open API key file: %s", path, strerror(errno));
    enum { MAX = 1 << 20 };
    char *buf = cml_malloc(MAX + 1);
    if (!buf) {
        fclose(f);
        return CML_ERR_NOMEM;
    }
    size_t n = fread(buf, 1, MAX + 1, f);
    int err = ferror(f);
    fclose(f);
    cml_status st;
    if (err)
        st = cml_fail(CML_ERR_IO, "%s: read failed", path);
    else if (n > MAX)
        st = cml_fail(CML_ERR_FORMAT, "%s: API key file larger than 1 MiB", path);
    else
        st = serve_keys_parse(buf, n, path, out);
    free(buf);
    return st;
}

int serve_ct_equal(const char *key, size_t klen, const char *tok, size_t tlen)
{
    /* volatile: keeps the compiler from turning the fold into an early exit */
    volatile unsigned char acc = (unsigned char)(klen != tlen || klen == 0);
    for (size_t i = 0; i < tlen; i++)
        acc |= (unsigned char)(tok[i] ^ key[klen ? i % klen : 0]);
    return acc == 0;
}

int serve_keys_match(const serve_keys *k, const char *tok, size_t tlen, int *which)
{
    int found = -1;
    for (int i = 0; i < k->n; i++) {
        int eq = serve_ct_equal(k->keys[i], k->lens[i], tok, tlen);
        /* branch-free select: no early exit on a match */
        found = eq ? i : found;
    }
    if (which) *which = found;
    return found >= 0;
}

/* ---------------------------------------------------------------- limiter */

cml_status serve_limiter_init(serve_limiter *l, double rate, double burst)
{
    memset(l, 0, sizeof *l);
    if (!(rate > 0) || !(burst >= 1))
        return cml_fail(CML_ERR_ARG, "rate limit must be > 0 requests/s with burst >= 1, got %g/%g",
                        rate, burst);
    l->slots = cml_calloc(SERVE_LIMITER_SLOTS, sizeof *l->slots);
    if (!l->slots) return CML_ERR_NOMEM;
    l->rate = rate;
    l->burst = burst;
    pthread_mutex_init(&l->mu, NULL);
    return CML_OK;
}

void serve_limiter_free(serve_limiter *l)
{
    if (!l->slots) return;
    pthread_mutex_destroy(&l->mu);
    free(l->slots);
    memset(l, 0, sizeof *l);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static serve_bucket *probe(serve_bucket *slots, const char *who)
{
    uint64_t i = fnv1a(who) % SERVE_LIMITER_SLOTS;
    for (int n = 0; n < SERVE_LIMITER_SLOTS; n++, i = (i + 1) % SERVE_LIMITER_SLOTS)
        if (!slots[i].used || !strcmp(slots[i].who, who)) return &slots[i];
    return NULL;
}

/* Drops buckets that have refilled to capacity (same as absent); the table
 * is rebuilt because linear probing cannot delete in place. */
static void purge(serve_limiter *l, double now)
{
    serve_bucket *old = l->slots, *fresh = calloc(SERVE_LIMITER_SLOTS, sizeof *fresh);
    if (!fresh) return; /* keep the full table; new clients go untracked */
    l->n_used = 0;
    for (int i = 0; i < SERVE_LIMITER_SLOTS; i++) {
        if (!old[i].used || old[i].tokens + (now - old[i].last) * l->rate >= l->burst) continue;
        *probe(fresh, old[i].who) = old[i];
        l->n_used++;
    }
    free(old);
    l->slots = fresh;
}

double serve_limiter_take(serve_limiter *l, const char *who_in, double now)
{
    char who[sizeof l->slots[0].who];
    snprintf(who, sizeof who, "%s", who_in); /* the key as stored */
    double wait = 0;
    pthread_mutex_lock(&l->mu);
    serve_bucket *b = probe(l->slots, who);
    if (b && !b->used && l->n_used >= SERVE_LIMITER_SLOTS * 3 / 4) {
        purge(l, now);
        b = l->n_used < SERVE_LIMITER_SLOTS * 3 / 4 ? probe(l->slots, who) : NULL;
    }
    if (b) {
        if (!b->used) {
            snprintf(b->who, sizeof b->who, "%s", who);
            b->used = 1;
            b->tokens = l->burst;
            b->last = now;
            l->n_used++;
        }
        double t = b->tokens + (now - b->last) * l->rate;
        b->tokens = t < l->burst ? t : l->burst;
        b->last = now;
        if (b->tokens >= 1)
            b->tokens -= 1;
        else
            wait = (1 - b->tokens) / l->rate;
    }
    /* b == NULL: more than 3/4 of the table is busy clients; this one goes
     * untracked (allowed) rather than evicting someone who is limited */
    pthread_mutex_unlock(&l->mu);
    return wait;
}
