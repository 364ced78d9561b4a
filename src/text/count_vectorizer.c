/*
 * count_vectorizer.c — scikit-learn 1.2's CountVectorizer: vocabulary
 * learning with document-frequency pruning and max_features, and the
 * document-term count matrix (CSR).
 *
 * fit (sklearn's fit_transform without a fixed vocabulary):
 *   counts c_dt of every analyzed term t in document d (1 if binary);
 *   df_t = #{d : c_dt > 0}, tf_t = sum_d c_dt;
 *   keep t iff low <= df_t <= high, with low/high = min_df/max_df as given
 *   (int) or times the number of documents (float); then, if more than
 *   max_features remain, the first max_features of argsort(-tf) over the
 *   kept terms in sorted order, argsort being numpy 1.24's default
 *   (unstable) introsort, reproduced below because ties at the cut decide
 *   which terms survive and sklearn inherits numpy's tie order;
 *   features = kept terms in code-point order (Python's sorted()).
 *
 * Complexity: analysis O(total text), vocabulary O(V log V) to sort, pruning
 * O(V log V), matrix O(nnz + V). fit counts blocks of documents in
 * parallel, each block with its own hash map, merged in block order;
 * transform is parallel over documents with per-thread token iterators and
 * a read-only vocabulary. Both give the same output for any thread count.
 * Thread-safety: a fitted model is immutable.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "text/text_internal.h"

static const cml_param_def count_defs[] = {CML_TEXT_COUNT_PARAM_DEFS(cml_count_params, )};
#define N_COUNT_DEFS ((int)(sizeof count_defs / sizeof count_defs[0]))

cml_count_params cml_count_params_default(void)
{
    cml_count_params p;
    memset(&p, 0, sizeof p);
    CML_ASSERT(cml_params_init(count_defs, N_COUNT_DEFS, &p) == CML_OK);
    return p;
}

cml_status cml_count_params_set(cml_count_params *p, const char *key, const char *value)
{
    return cml_params_set(count_defs, N_COUNT_DEFS, p, key, value);
}

const cml_param_def *cml_count_param_defs(int *n)
{
    if (n) *n = N_COUNT_DEFS;
    return count_defs;
}

const char *cml_count_params_check(const cml_count_params *p)
{
    cml_text_cfg c;
    return cml_text_resolve(p, &c);
}

/* ---------------------------------------------------------------- parameters */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Parses an int (digits only, optional '+', surrounding spaces) into *v;
 * returns 1 on success. */
static int parse_int(const char *s, long long *v)
{
    s = skip_ws(s);
    if (*s == '+') s++;
    if (!isdigit((unsigned char)*s)) return 0;
    errno = 0;
    char *end;
    *v = strtoll(s, &end, 10);
    return errno == 0 && *skip_ws(end) == '\0';
}

/* min_df / max_df as sklearn types them: an integer literal is a count
 * (>= 1), anything else a float proportion in [0, 1]. */
static const char *parse_df(const char *name, const char *s, double *v, int *frac, char *msg,
                            size_t len)
{
    long long i;
    if (parse_int(s, &i)) {
        if (i < 1) {
            snprintf(msg, len, "%s=%s: an int count must be >= 1 (or give a float in [0, 1])", name,
                     s);
            return msg;
        }
        *v = (double)i;
        *frac = 0;
        return NULL;
    }
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *skip_ws(end) != '\0' || !isfinite(d) || d < 0.0 || d > 1.0) {
        snprintf(msg, len,
                 "%s=\"%s\" is invalid: expected an int count >= 1 (\"2\") or a float proportion "
                 "in [0, 1] (\"0.5\")",
                 name, s);
        return msg;
    }
    *v = d;
    *frac = 1;
    return NULL;
}

const char *cml_text_resolve(const cml_count_params *p, cml_text_cfg *c)
{
    static _Thread_local char msg[320];
    memset(c, 0, sizeof *c);
    c->tok = cml_tokenizer_opts_default();
    c->tok.lowercase = p->lowercase != 0;
    c->tok.strip_accents = p->strip_accents;
    c->tok.stop_words = p->stop_words;
    c->tok.analyzer = p->analyzer;
    c->binary = p->binary != 0;
    /* ngram_range: "a,b", also "(a, b)" as Python prints it */
    char buf[CML_PARAM_STRLEN];
    snprintf(buf, sizeof buf, "%s", p->ngram_range);
    char *s = buf, *z = buf + strlen(buf);
    while (*s == ' ' || *s == '(')
        s++;
    while (z > s && (z[-1] == ' ' || z[-1] == ')'))
        *--z = '\0';
    char *comma = strchr(s, ',');
    long long a, b;
    if (!comma || (*comma = '\0', !parse_int(s, &a)) || !parse_int(comma + 1, &b) ||
        a > INT32_MAX || b > INT32_MAX) {
        snprintf(msg, sizeof msg,
                 "ngram_range=\"%s\" is invalid: expected \"min_n,max_n\" with integers 1 <= "
                 "min_n <= max_n, e.g. \"1,2\"",
                 p->ngram_range);
        return msg;
    }
    if (a < 1 || a > b) {
        snprintf(msg, sizeof msg,
                 "Invalid value for ngram_range=(%lld, %lld): need 1 <= min_n <= max_n (lower "
                 "boundary larger than the upper boundary, or below 1)",
                 a, b);
        return msg;
    }
    c->tok.ngram_min = (int)a;
    c->tok.ngram_max = (int)b;
    const char *e = cml_tokenizer_opts_check(&c->tok);
    if (e) return e;
    if (parse_df("min_df", p->min_df, &c->min_df, &c->min_df_frac, msg, sizeof msg)) return msg;
    if (parse_df("max_df", p->max_df, &c->max_df, &c->max_df_frac, msg, sizeof msg)) return msg;
    long long mf;
    const char *t = skip_ws(p->max_features);
    if (strncmp(t, "None", 4) == 0 && *skip_ws(t + 4) == '\0') {
        c->max_features = 0;
    } else if (parse_int(p->max_features, &mf) && mf >= 1) {
        c->max_features = mf;
    } else {
        snprintf(msg, sizeof msg, "max_features=\"%s\" is invalid: expected None or an int >= 1",
                 p->max_features);
        return msg;
    }
    return NULL;
}

/* ---------------------------------------------------------------- sorting */

/* numpy 1.24's argsort(kind="quicksort") for doubles (npysort/quicksort.cpp
 * aquicksort_ and heapsort.cpp aheapsort_): median-of-3 introsort with
 * insertion sort below 16 elements and heapsort past 2*floor(log2 n) levels.
 * Unstable; reproduced step for step so equal keys come out in numpy's
 * order. tosort holds 0..num-1 on entry. */
static void np_aheapsort(const double *v, int64_t *tosort, int64_t n)
{
    int64_t *a = tosort - 1; /* 1-based heap indexing, as numpy */
    int64_t i, j, l, tmp;
    for (l = n >> 1; l > 0; --l) {
        tmp = a[l];
        for (i = l, j = l << 1; j <= n;) {
            if (j < n && v[a[j]] < v[a[j + 1]]) j += 1;
            if (v[tmp] < v[a[j]]) {
                a[i] = a[j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        a[i] = tmp;
    }
    for (; n > 1;) {
        tmp = a[n];
        a[n] = a[1];
        n -= 1;
        for (i = 1, j = 2; j <= n;) {
            if (j < n && v[a[j]] < v[a[j + 1]]) j++;
            if (v[tmp] < v[a[j]]) {
                a[i] = a[j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        a[i] = tmp;
    }
}

#define NP_SMALL_QUICKSORT 15
#define NP_QS_STACK        128

static void np_aquicksort(const double *v, int64_t *tosort, int64_t num)
{
    int64_t *pl = tosort, *pr = tosort + num - 1;
    int64_t *stack[NP_QS_STACK], **sptr = stack;
    int64_t *pm, *pi, *pj, *pk, vi, tmp;
    int depth[NP_QS_STACK], *psdepth = depth;
    int cdepth = 0;
    for (int64_t m = num; m > 1; m >>= 1)
        cdepth++; /* npy_get_msb */
    cdepth *= 2;
    double vp;
#define NP_SWAP(a, b) (tmp = (a), (a) = (b), (b) = tmp)
    for (;;) {
        if (cdepth < 0) {
            np_aheapsort(v, pl, pr - pl + 1);
            goto stack_pop;
        }
        while ((pr - pl) > NP_SMALL_QUICKSORT) {
            pm = pl + ((pr - pl) >> 1);
            if (v[*pm] < v[*pl]) NP_SWAP(*pm, *pl);
            if (v[*pr] < v[*pm]) NP_SWAP(*pr, *pm);
            if (v[*pm] < v[*pl]) NP_SWAP(*pm, *pl);
            vp = v[*pm];
            pi = pl;
            pj = pr - 1;
            NP_SWAP(*pm, *pj);
            for (;;) {
                do
                    ++pi;
                while (v[*pi] < vp);
                do
                    --pj;
                while (vp < v[*pj]);
                if (pi >= pj) break;
                NP_SWAP(*pi, *pj);
            }
            pk = pr - 1;
            NP_SWAP(*pi, *pk);
            /* push the larger partition, loop on the smaller */
            if (pi - pl < pr - pi) {
                *sptr++ = pi + 1;
                *sptr++ = pr;
                pr = pi - 1;
            } else {
                *sptr++ = pl;
                *sptr++ = pi - 1;
                pl = pi + 1;
            }
            *psdepth++ = --cdepth;
        }
        for (pi = pl + 1; pi <= pr; ++pi) {
            vi = *pi;
            vp = v[vi];
            pj = pi;
            pk = pi - 1;
            while (pj > pl && vp < v[*pk])
                *pj-- = *pk--;
            *pj = vi;
        }
    stack_pop:
        if (sptr == stack) break;
        pr = *(--sptr);
        pl = *(--sptr);
        cdepth = *(--psdepth);
    }
#undef NP_SWAP
}

void cml_text_np_argsort(const double *v, int64_t *idx, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    if (n > 1) np_aquicksort(v, idx, n);
}

/* Code-point order of two vocabulary terms (bytewise on UTF-8, shorter
 * first on a common prefix: the order of Python's str comparison). */
static int term_cmp(const cml_vocab *v, int64_t a, int64_t b)
{
    uint32_t la = v->len[a], lb = v->len[b];
    int r = memcmp(cml_vocab_term(v, a), cml_vocab_term(v, b), la < lb ? la : lb);
    if (r) return r;
    return (la > lb) - (la < lb);
}

/* Merge sort of ids by term (distinct terms: stability is moot). */
static void sort_terms(const cml_vocab *v, int64_t *ids, int64_t *tmp, int64_t n)
{
    if (n < 2) return;
    if (n <= 16) {
        for (int64_t i = 1; i < n; i++) {
            int64_t x = ids[i], j = i;
            while (j > 0 && term_cmp(v, ids[j - 1], x) > 0) {
                ids[j] = ids[j - 1];
                j--;
            }
            ids[j] = x;
        }
        return;
    }
    int64_t h = n / 2;
    sort_terms(v, ids, tmp, h);
    sort_terms(v, ids + h, tmp, n - h);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = term_cmp(v, ids[i], ids[j]) <= 0 ? ids[i++] : ids[j++];
    while (i < h)
        tmp[k++] = ids[i++];
    while (j < n)
        tmp[k++] = ids[j++];
    memcpy(ids, tmp, (size_t)n * sizeof *ids);
}

/* ---------------------------------------------------------------- model */

static cml_status new_model(const cml_count_params *p, cml_count **out)
{
    *out = NULL;
    cml_count *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->p = *p;
    cml_vocab_init(&m->vocab);
    const char *msg = cml_text_resolve(p, &m->cfg);
    if (msg) {
        free(m);
        return cml_fail(CML_ERR_ARG, "CountVectorizer: %s", msg);
    }
    cml_status st = cml_tokenizer_create(&m->cfg.tok, &m->tok);
    if (st) {
        free(m);
        return st;
    }
    *out = m;
    return CML_OK;
}

void cml_count_free(cml_count *m)
{
    if (!m) return;
    cml_tokenizer_free(m->tok);
    cml_vocab_free(&m->vocab);
    free(m);
}

cml_status cml_text_count_from_terms(const cml_count_params *p, const char *const *terms,
                                     const size_t *lens, int64_t n, const char *where,
                                     cml_count **out)
{
    cml_count *m;
    CML_CHECK(new_model(p, &m));
    cml_status st = CML_OK;
    if (n < 1 || n > INT32_MAX) {
        st = cml_fail(CML_ERR_FORMAT, "%s: vocabulary of %lld terms (need 1 .. 2^31 - 1)", where,
                      (long long)n);
        goto fail;
    }
    for (int64_t i = 0; i < n; i++) {
        size_t l = lens ? lens[i] : strlen(terms[i]);
        if (i > 0) {
            size_t pl = lens ? lens[i - 1] : strlen(terms[i - 1]);
            int r = memcmp(terms[i - 1], terms[i], pl < l ? pl : l);
            if (r > 0 || (r == 0 && pl >= l)) {
                st = cml_fail(CML_ERR_FORMAT,
                              "%s: vocabulary is not strictly sorted at term %lld (duplicate or "
                              "out of order)",
                              where, (long long)i);
                goto fail;
            }
        }
        int64_t id;
        CML_TRY(cml_vocab_intern(&m->vocab, terms[i], l, &id, NULL));
    }
    *out = m;
    return CML_OK;
fail:
    cml_count_free(m);
    return st;
}

/* ---------------------------------------------------------------- fit */

/* Per-fit scratch: the raw vocabulary and the (term id, count) entries of
 * every document in order. */
typedef struct fit_state {
    cml_vocab raw;
    uint32_t *ent_id; /* (nnz) raw term id */
    double *ent_cnt;  /* (nnz) */
    int64_t nnz, cap;
    int64_t *row_end; /* (n_docs) entries of doc d end at row_end[d] */
    int64_t *last;    /* (raw cap) last document a raw term was seen in */
    int64_t *where;   /* (raw cap) its entry position there */
    int64_t last_cap;
} fit_state;

static void fit_state_free(fit_state *f)
{
    cml_vocab_free(&f->raw);
    free(f->ent_id);
    free(f->ent_cnt);
    free(f->row_end);
    free(f->last);
    free(f->where);
}

static cml_status count_docs(const cml_count *m, const char *const *docs, int64_t n, fit_state *f)
{
    cml_token_iter *it = NULL;
    cml_status st;
    CML_TRY(cml_token_iter_create(m->tok, &it));
    f->row_end = cml_alloc_array(n, sizeof *f->row_end);
    if (!f->row_end) goto nomem;
    for (int64_t d = 0; d < n; d++) {
        CML_TRY(cml_token_iter_begin(it, docs[d], strlen(docs[d])));
        const char *tok;
        size_t len;
        while (cml_token_iter_next(it, &tok, &len)) {
            int64_t id;
            CML_TRY(cml_vocab_intern(&f->raw, tok, len, &id, NULL));
            if (id >= f->last_cap) {
                int64_t cap = f->last_cap ? f->last_cap * 2 : 1024;
                int64_t *a = cml_realloc(f->last, (size_t)cap * sizeof *a);
                if (!a) goto nomem;
                f->last = a;
                a = cml_realloc(f->where, (size_t)cap * sizeof *a);
                if (!a) goto nomem;
                f->where = a;
                for (int64_t i = f->last_cap; i < cap; i++)
                    f->last[i] = -1;
                f->last_cap = cap;
            }
            if (f->last[id] == d) {
                f->ent_cnt[f->where[id]] += 1.0;
                continue;
            }
            if (f->nnz == f->cap) {
                int64_t cap = f->cap ? f->cap * 2 : 4096;
                uint32_t *a = cml_realloc(f->ent_id, (size_t)cap * sizeof *a);
                if (!a) goto nomem;
                f->ent_id = a;
                double *c = cml_realloc(f->ent_cnt, (size_t)cap * sizeof *c);
                if (!c) goto nomem;
                f->ent_cnt = c;
                f->cap = cap;
            }
            f->last[id] = d;
            f->where[id] = f->nnz;
            f->ent_id[f->nnz] = (uint32_t)id;
            f->ent_cnt[f->nnz++] = 1.0;
        }
        f->row_end[d] = f->nnz;
    }
    cml_token_iter_free(it);
    return CML_OK;
nomem:
    st = CML_ERR_NOMEM;
fail:
    cml_token_iter_free(it);
    return st;
}

/* count_docs over nt contiguous blocks of documents in parallel, each with
 * its own vocabulary, then merged into f: the blocks' terms are interned
 * in block order and their entries renumbered. Rows never mix between
 * blocks and the features are sorted afterwards, so the result is the same
 * for every nt. */
static cml_status count_docs_parallel(const cml_count *m, const char *const *docs, int64_t n,
                                      int nt, fit_state *f)
{
    fit_state *fs = cml_calloc((size_t)nt, sizeof *fs);
    int64_t *map = NULL;
    cml_status st = CML_OK;
    if (!fs) return CML_ERR_NOMEM;
    int failed = 0;
#pragma omp parallel num_threads(nt) reduction(| : failed)
    {
#ifdef _OPENMP
        int t = omp_get_thread_num();
#else
        int t = 0;
#endif
        int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
        cml_vocab_init(&fs[t].raw);
        if (count_docs(m, docs + lo, hi - lo, &fs[t]) != CML_OK) failed = 1;
    }
    if (failed) {
        st = cml_fail(CML_ERR_NOMEM, "CountVectorizer fit: out of memory while counting terms");
        goto done;
    }
    int64_t nnz = 0, maxv = 0;
    for (int t = 0; t < nt; t++) {
        nnz += fs[t].nnz;
        maxv = CML_MAX(maxv, fs[t].raw.n);
    }
    f->ent_id = cml_alloc_array(nnz > 0 ? nnz : 1, sizeof *f->ent_id);
    f->ent_cnt = cml_alloc_array(nnz > 0 ? nnz : 1, sizeof *f->ent_cnt);
    f->row_end = cml_alloc_array(n, sizeof *f->row_end);
    map = cml_alloc_array(maxv > 0 ? maxv : 1, sizeof *map);
    if (!f->ent_id || !f->ent_cnt || !f->row_end || !map) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    f->nnz = f->cap = nnz;
    int64_t q = 0;
    for (int t = 0; t < nt; t++) {
        const fit_state *b = &fs[t];
        for (int64_t l = 0; l < b->raw.n; l++) {
            st =
                cml_vocab_intern(&f->raw, cml_vocab_term(&b->raw, l), b->raw.len[l], &map[l], NULL);
            if (st) goto done;
        }
        int64_t base = q, lo = n * t / nt, hi = n * (t + 1) / nt;
        for (int64_t k = 0; k < b->nnz; k++) {
            f->ent_id[q] = (uint32_t)map[b->ent_id[k]];
            f->ent_cnt[q++] = b->ent_cnt[k];
        }
        for (int64_t d = lo; d < hi; d++)
            f->row_end[d] = base + b->row_end[d - lo];
    }
done:
    for (int t = 0; t < nt; t++)
        fit_state_free(&fs[t]);
    free(fs);
    free(map);
    return st;
}

static cml_status check_docs(const char *const *docs, int64_t n, const char *who)
{
    if (!docs || n < 1)
        return cml_fail(CML_ERR_ARG, "%s: need at least one document, got %lld", who, (long long)n);
    for (int64_t d = 0; d < n; d++)
        if (!docs[d]) return cml_fail(CML_ERR_ARG, "%s: document %lld is NULL", who, (long long)d);
    return CML_OK;
}

cml_status cml_text_csr_alloc(int64_t rows, int64_t cols, int64_t nnz, cml_csr_owned **out)
{
    cml_csr_owned *X = cml_calloc(1, sizeof *X);
    if (!X) return CML_ERR_NOMEM;
    X->rows = rows;
    X->cols = cols;
    X->nnz = nnz;
    X->indptr = cml_alloc_array(rows + 1, sizeof *X->indptr);
    X->indices = cml_alloc_array(nnz > 0 ? nnz : 1, sizeof *X->indices);
    X->data = cml_alloc_array(nnz > 0 ? nnz : 1, sizeof *X->data);
    if (!X->indptr || !X->indices || !X->data) {
        cml_csr_owned_free(X);
        return CML_ERR_NOMEM;
    }
    *out = X;
    return CML_OK;
}

cml_status cml_count_fit_transform(const cml_count_params *p, const char *const *docs, int64_t n,
                                   cml_count **out, cml_csr_owned **X)
{
    *out = NULL;
    if (X) *X = NULL;
    CML_CHECK(check_docs(docs, n, "CountVectorizer fit"));
    cml_count *m = NULL;
    fit_state f;
    memset(&f, 0, sizeof f);
    cml_vocab_init(&f.raw);
    int64_t *order = NULL, *tmp = NULL, *rank = NULL, *newidx = NULL, *colptr = NULL;
    int64_t *colrow = NULL;
    double *df = NULL, *tf = NULL, *colval = NULL;
    cml_csr_owned *R = NULL;
    cml_status st;
    CML_TRY(new_model(p, &m));
    const cml_text_cfg *c = &m->cfg;
    /* blocks of >= 64 documents per thread: below that, merging costs more
     * than it saves */
    int nt = CML_MIN(cml_get_num_threads(), (int)CML_MIN(n / 64, 256));
    if (nt > 1)
        CML_TRY(count_docs_parallel(m, docs, n, nt, &f));
    else
        CML_TRY(count_docs(m, docs, n, &f));
    int64_t V = f.raw.n;
    if (V == 0) {
        st = cml_fail(CML_ERR_ARG,
                      "empty vocabulary; perhaps the documents only contain stop words. HINT: "
                      "check the text column, or use stop_words=none / analyzer=char");
        goto fail;
    }
    if (c->binary)
        for (int64_t k = 0; k < f.nnz; k++)
            f.ent_cnt[k] = 1.0;
    /* sorted positions of the raw terms */
    order = cml_alloc_array(V, sizeof *order);
    tmp = cml_alloc_array(V, sizeof *tmp);
    rank = cml_alloc_array(V, sizeof *rank);
    df = cml_calloc((size_t)V, sizeof *df);
    tf = cml_calloc((size_t)V, sizeof *tf);
    newidx = cml_alloc_array(V, sizeof *newidx);
    if (!order || !tmp || !rank || !df || !tf || !newidx) goto nomem;
    for (int64_t i = 0; i < V; i++)
        order[i] = i;
    sort_terms(&f.raw, order, tmp, V);
    for (int64_t i = 0; i < V; i++)
        rank[order[i]] = i;
    for (int64_t k = 0; k < f.nnz; k++) {
        int64_t r = rank[f.ent_id[k]];
        df[r] += 1.0;
        tf[r] += f.ent_cnt[k];
    }
    /* document-frequency window, as sklearn: ints are counts, floats times n */
    double high = c->max_df_frac ? c->max_df * (double)n : c->max_df;
    double low = c->min_df_frac ? c->min_df * (double)n : c->min_df;
    if (high < low) {
        st = cml_fail(CML_ERR_ARG,
                      "max_df corresponds to < documents than min_df (max_df=%s gives %.17g "
                      "documents, min_df=%s gives %.17g, over %lld documents)",
                      p->max_df, high, p->min_df, low, (long long)n);
        goto fail;
    }
    int64_t kept = 0;
    for (int64_t r = 0; r < V; r++) {
        int keep = df[r] <= high && df[r] >= low;
        newidx[r] = keep ? 0 : -1;
        kept += keep;
    }
    if (c->max_features && kept > c->max_features) {
        /* (-tf)[mask].argsort()[:limit], positions taken in sorted-term order */
        int64_t j = 0;
        for (int64_t r = 0; r < V; r++)
            if (newidx[r] == 0) {
                tmp[j] = r;       /* masked position -> term position */
                df[j++] = -tf[r]; /* df is free from here: reuse it for the keys */
            }
        cml_text_np_argsort(df, order, kept);
        for (int64_t r = 0; r < V; r++)
            newidx[r] = -1;
        for (int64_t q = 0; q < c->max_features; q++)
            newidx[tmp[order[q]]] = 0;
        kept = c->max_features;
    }
    if (kept == 0) {
        st = cml_fail(CML_ERR_ARG, "After pruning, no terms remain. Try a lower min_df or a "
                                   "higher max_df.");
        goto fail;
    }
    if (kept > INT32_MAX) {
        st = cml_fail(CML_ERR_NOMEM, "CountVectorizer: %lld features exceed 2^31 - 1",
                      (long long)kept);
        goto fail;
    }
    /* final vocabulary: kept terms in sorted order (order[] is recomputed:
     * the argsort above reused it) */
    for (int64_t i = 0; i < V; i++)
        order[rank[i]] = i;
    int64_t nf = 0;
    for (int64_t r = 0; r < V; r++) {
        if (newidx[r] < 0) continue;
        newidx[r] = nf++;
        int64_t id, raw = order[r];
        CML_TRY(
            cml_vocab_intern(&m->vocab, cml_vocab_term(&f.raw, raw), f.raw.len[raw], &id, NULL));
    }
    if (X) {
        /* counting sort of the kept entries by column, then back to rows:
         * each row's columns come out ascending, O(nnz + V + n) */
        int64_t nnz = 0;
        for (int64_t k = 0; k < f.nnz; k++)
            nnz += newidx[rank[f.ent_id[k]]] >= 0;
        CML_TRY(cml_text_csr_alloc(n, nf, nnz, &R));
        colptr = cml_calloc((size_t)nf + 1, sizeof *colptr);
        colrow = cml_alloc_array(nnz > 0 ? nnz : 1, sizeof *colrow);
        colval = cml_alloc_array(nnz > 0 ? nnz : 1, sizeof *colval);
        if (!colptr || !colrow || !colval) goto nomem;
        for (int64_t k = 0; k < f.nnz; k++) {
            int64_t j = newidx[rank[f.ent_id[k]]];
            if (j >= 0) colptr[j + 1]++;
        }
        for (int64_t j = 0; j < nf; j++)
            colptr[j + 1] += colptr[j];
        memset(R->indptr, 0, (size_t)(n + 1) * sizeof *R->indptr);
        for (int64_t d = 0, k = 0; d < n; d++)
            for (; k < f.row_end[d]; k++) {
                int64_t j = newidx[rank[f.ent_id[k]]];
                if (j < 0) continue;
                colrow[colptr[j]] = d;
                colval[colptr[j]++] = f.ent_cnt[k];
                R->indptr[d + 1]++;
            }
        for (int64_t d = 0; d < n; d++)
            R->indptr[d + 1] += R->indptr[d];
        /* colptr[j] now ends column j; walk columns in order */
        int64_t *fill = cml_alloc_array(n, sizeof *fill);
        if (!fill) goto nomem;
        memcpy(fill, R->indptr, (size_t)n * sizeof *fill);
        for (int64_t j = 0, k = 0; j < nf; j++)
            for (; k < colptr[j]; k++) {
                int64_t d = colrow[k], q = fill[d]++;
                R->indices[q] = (int32_t)j;
                R->data[q] = colval[k];
            }
        free(fill);
        *X = R;
        R = NULL;
    }
    *out = m;
    m = NULL;
    st = CML_OK;
    goto done;
nomem:
    st = CML_ERR_NOMEM;
fail:
done:
    cml_count_free(m);
    cml_csr_owned_free(R);
    fit_state_free(&f);
    free(order);
    free(tmp);
    free(rank);
    free(df);
    free(tf);
    free(newidx);
    free(colptr);
    free(colrow);
    free(colval);
    return st;
}

cml_status cml_count_fit(const cml_count_params *p, const char *const *docs, int64_t n,
                         cml_count **out)
{
    return cml_count_fit_transform(p, docs, n, out, NULL);
}

/* ---------------------------------------------------------------- transform */

/* Ascending sort of a document's distinct feature ids (distinct: no ties):
 * quicksort with median-of-3 and insertion sort below 24, recursion on the
 * smaller side; no comparison callbacks, as rows hold ~100 ids. */
static void sort_i32(int32_t *a, int64_t n)
{
    while (n > 24) {
        int32_t x = a[0], y = a[n / 2], z = a[n - 1];
        int32_t piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < piv)
                i++;
            while (a[j] > piv)
                j--;
            if (i >= j) break;
            int32_t t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
        /* a[0..j] <= piv <= a[j+1..n) */
        if (j + 1 < n - j - 1) {
            sort_i32(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_i32(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (int64_t i = 1; i < n; i++) {
        int32_t x = a[i];
        int64_t j = i;
        while (j > 0 && a[j - 1] > x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

/* One thread's output: entries of consecutive documents it handled, and
 * its scratch: pos[j] = slot of feature j in the current document (-1 when
 * absent), so counting is O(1) per token without hashing twice. */
typedef struct row_buf {
    int32_t *idx;
    double *val;
    int64_t n, cap;
    int32_t *uniq; /* distinct features of the current document */
    double *cnt;   /* their counts, by slot */
    int64_t ucap;
    int32_t *pos; /* (n_features) */
} row_buf;

static int rb_reserve(int32_t **a, double **v, int64_t *cap, int64_t need)
{
    if (need <= *cap) return 1;
    int64_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    int32_t *na = realloc(*a, (size_t)c * sizeof *na);
    if (!na) return 0;
    *a = na;
    double *nv = realloc(*v, (size_t)c * sizeof *nv);
    if (!nv) return 0;
    *v = nv;
    *cap = c;
    return 1;
}

/* Counts of one document appended to rb (columns ascending); returns the
 * number of entries, or -1 on allocation failure. */
static int64_t count_one(const cml_count *m, cml_token_iter *it, const char *doc, row_buf *rb)
{
    if (cml_token_iter_begin(it, doc, strlen(doc)) != CML_OK) return -1;
    const char *tok;
    size_t len;
    int64_t k = 0;
    while (cml_token_iter_next(it, &tok, &len)) {
        int64_t j = cml_vocab_find(&m->vocab, tok, len);
        if (j < 0) continue;
        if (rb->pos[j] >= 0) {
            rb->cnt[rb->pos[j]] += 1.0;
            continue;
        }
        if (!rb_reserve(&rb->uniq, &rb->cnt, &rb->ucap, k + 1)) return -1;
        rb->pos[j] = (int32_t)k;
        rb->uniq[k] = (int32_t)j;
        rb->cnt[k++] = 1.0;
    }
    sort_i32(rb->uniq, k);
    if (!rb_reserve(&rb->idx, &rb->val, &rb->cap, rb->n + k)) return -1;
    for (int64_t a = 0; a < k; a++) {
        int32_t j = rb->uniq[a];
        rb->idx[rb->n] = j;
        rb->val[rb->n++] = m->cfg.binary ? 1.0 : rb->cnt[rb->pos[j]];
        rb->pos[j] = -1;
    }
    return k;
}

cml_status cml_count_transform(const cml_count *m, const char *const *docs, int64_t n,
                               cml_csr_owned **X)
{
    *X = NULL;
    CML_CHECK(check_docs(docs, n, "CountVectorizer transform"));
    int nt = cml_get_num_threads();
    if (nt < 1) nt = 1;
    if (nt > n) nt = (int)n;
    row_buf *rb = cml_calloc((size_t)nt, sizeof *rb);
    int64_t *nnz_row = cml_alloc_array(n, sizeof *nnz_row);
    cml_csr_owned *R = NULL;
    cml_status st = CML_OK;
    if (!rb || !nnz_row) goto nomem;
    int failed = 0;
    /* Static contiguous blocks: thread t handles documents [n*t/nt, n*(t+1)/nt)
     * and appends them in order, so assembling is a copy per block. */
#pragma omp parallel num_threads(nt) reduction(| : failed)
    {
#ifdef _OPENMP
        int t = omp_get_thread_num();
#else
        int t = 0;
#endif
        int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
        cml_token_iter *it = NULL;
        int64_t nf = cml_count_n_features(m);
        rb[t].pos = cml_alloc_array(nf, sizeof *rb[t].pos);
        if (cml_token_iter_create(m->tok, &it) != CML_OK || !rb[t].pos)
            failed = 1;
        else
            memset(rb[t].pos, 0xFF, (size_t)nf * sizeof *rb[t].pos); /* all -1 */
        for (int64_t d = lo; d < hi && !failed; d++) {
            int64_t k = count_one(m, it, docs[d], &rb[t]);
            if (k < 0) failed = 1;
            nnz_row[d] = k;
        }
        cml_token_iter_free(it);
    }
    if (failed) goto nomem;
    int64_t nnz = 0;
    for (int t = 0; t < nt; t++)
        nnz += rb[t].n;
    CML_TRY(cml_text_csr_alloc(n, cml_count_n_features(m), nnz, &R));
    R->indptr[0] = 0;
    for (int64_t d = 0; d < n; d++)
        R->indptr[d + 1] = R->indptr[d] + nnz_row[d];
    int64_t q = 0;
    for (int t = 0; t < nt; t++) {
        if (!rb[t].n) continue;
        memcpy(R->indices + q, rb[t].idx, (size_t)rb[t].n * sizeof *R->indices);
        memcpy(R->data + q, rb[t].val, (size_t)rb[t].n * sizeof *R->data);
        q += rb[t].n;
    }
    *X = R;
    R = NULL;
    goto done;
nomem:
    st = cml_fail(CML_ERR_NOMEM, "CountVectorizer transform: out of memory");
fail:
done:
    if (rb)
        for (int t = 0; t < nt; t++) {
            free(rb[t].idx);
            free(rb[t].val);
            free(rb[t].uniq);
            free(rb[t].cnt);
            free(rb[t].pos);
        }
    free(rb);
    free(nnz_row);
    cml_csr_owned_free(R);
    return st;
}

/* ---------------------------------------------------------------- getters, I/O */

int64_t cml_count_n_features(const cml_count *m)
{
    return m->vocab.n;
}

const char *cml_count_feature_name(const cml_count *m, int64_t j)
{
    if (j < 0 || j >= m->vocab.n) return NULL;
    return cml_vocab_term(&m->vocab, j);
}

int64_t cml_count_lookup(const cml_count *m, const char *term, size_t len)
{
    return cml_vocab_find(&m->vocab, term, len);
}

const cml_count_params *cml_count_get_params(const cml_count *m)
{
    return &m->p;
}

const cml_tokenizer *cml_count_tokenizer(const cml_count *m)
{
    return m->tok;
}

cml_status cml_text_save_vocab(const cml_count *m, cml_gguf_writer *w)
{
    const char **terms = cml_alloc_array(m->vocab.n, sizeof *terms);
    if (!terms) return CML_ERR_NOMEM;
    for (int64_t j = 0; j < m->vocab.n; j++)
        terms[j] = cml_vocab_term(&m->vocab, j);
    cml_status st = cml_gguf_set_arr_str(w, "cml.fit.vocabulary", terms, m->vocab.n);
    free(terms);
    return st;
}

cml_status cml_text_load_vocab(const cml_gguf *g, const cml_count_params *p, cml_count **out)
{
    const char **terms = NULL;
    int64_t n;
    *out = NULL;
    CML_CHECK(cml_gguf_get_arr_str(g, "cml.fit.vocabulary", &terms, &n));
    const char *msg = cml_count_params_check(p);
    cml_status st;
    if (msg)
        st = cml_fail(CML_ERR_FORMAT, "%s: bad text vectorizer parameters: %s", cml_gguf_name(g),
                      msg);
    else
        st = cml_text_count_from_terms(p, terms, NULL, n, cml_gguf_name(g), out);
    free(terms);
    return st;
}

cml_status cml_count_save(const cml_count *m, cml_gguf_writer *w)
{
    CML_CHECK(cml_gguf_set_str(w, "cml.kind", "count_vectorizer"));
    CML_CHECK(cml_params_save(count_defs, N_COUNT_DEFS, &m->p, w));
    return cml_text_save_vocab(m, w);
}

cml_status cml_text_check_kind(const cml_gguf *g, const char *want)
{
    const char *kind;
    CML_CHECK(cml_gguf_get_str(g, "cml.kind", &kind));
    if (strcmp(kind, want) != 0)
        return cml_fail(CML_ERR_FORMAT, "%s: cml.kind is \"%s\", expected \"%s\"", cml_gguf_name(g),
                        kind, want);
    return CML_OK;
}

cml_status cml_count_load(const cml_gguf *g, cml_count **out)
{
    *out = NULL;
    CML_CHECK(cml_text_check_kind(g, "count_vectorizer"));
    cml_count_params p;
    CML_CHECK(cml_params_load(count_defs, N_COUNT_DEFS, &p, g));
    return cml_text_load_vocab(g, &p, out);
}
