/*
 * tokenize.c — the tokenizer of cml/text.h: scikit-learn 1.2's
 * build_analyzer() for analyzer = word | char | char_wb with the default
 * preprocessor, token_pattern r"(?u)\b\w\w+\b" and no custom tokenizer.
 *
 * Pipeline per text (sklearn's order): decode UTF-8 -> str.lower() ->
 * strip_accents -> analyzer. Word tokens: with \w a single character class,
 * \b\w\w+\b matches exactly the maximal runs of >= 2 word characters (a
 * match cannot start or end inside a run, and greedy \w+ reaches the run's
 * end), so tokens are found in one linear scan instead of a regex engine.
 * N-grams follow sklearn's _word_ngrams / _char_ngrams / _char_wb_ngrams,
 * including their order and char_wb's rule that a padded word shorter than
 * n yields itself once and ends that word's n-gram loop.
 *
 * Complexity: O(len) to analyze plus O(1) per emitted n-gram (each is a
 * slice of one buffer). Memory: iterator scratch reused across texts, about
 * 30 bytes per input byte for words and up to 70 for the char analyzers.
 * Thread-safety: a tokenizer is immutable; an iterator is one thread's.
 */
#include "text/tokenize.h"

#include <string.h>

#include "core/internal.h"
#include "text/utf8.h"

const char *const *cml_text_stop_words_english(int64_t *n)
{
    if (n) *n = cml_stop_words_english_n;
    return cml_stop_words_english;
}

cml_tokenizer_opts cml_tokenizer_opts_default(void)
{
    cml_tokenizer_opts o = {CML_TEXT_WORD, 1, CML_TEXT_ACCENTS_NONE, 0, 1, 1};
    return o;
}

const char *cml_tokenizer_opts_check(const cml_tokenizer_opts *o)
{
    static _Thread_local char msg[160];
    if (o->analyzer < CML_TEXT_WORD || o->analyzer > CML_TEXT_CHAR_WB)
        snprintf(msg, sizeof msg, "analyzer must be word, char or char_wb (0..2), got %d",
                 o->analyzer);
    else if (o->strip_accents < CML_TEXT_ACCENTS_NONE ||
             o->strip_accents > CML_TEXT_ACCENTS_UNICODE)
        snprintf(msg, sizeof msg, "strip_accents must be none, ascii or unicode (0..2), got %d",
                 o->strip_accents);
    else if (o->stop_words != 0 && o->stop_words != 1)
        snprintf(msg, sizeof msg, "stop_words must be none or english (0 or 1), got %d",
                 o->stop_words);
    else if (o->ngram_min < 1 || o->ngram_max < o->ngram_min)
        snprintf(msg, sizeof msg,
                 "ngram_range=(%d, %d) is invalid: need 1 <= min_n <= max_n (lower boundary "
                 "larger than the upper boundary, or below 1)",
                 o->ngram_min, o->ngram_max);
    else
        return NULL;
    return msg;
}

cml_status cml_tokenizer_create(const cml_tokenizer_opts *o, cml_tokenizer **out)
{
    *out = NULL;
    const char *msg = cml_tokenizer_opts_check(o);
    if (msg) return cml_fail(CML_ERR_ARG, "tokenizer: %s", msg);
    cml_tokenizer *t = cml_calloc(1, sizeof *t);
    if (!t) return CML_ERR_NOMEM;
    t->o = *o;
    t->o.lowercase = o->lowercase != 0;
    cml_vocab_init(&t->stop);
    /* sklearn ignores stop_words unless analyzer == "word" */
    if (o->stop_words && o->analyzer == CML_TEXT_WORD) {
        for (int64_t i = 0; i < cml_stop_words_english_n; i++) {
            int64_t id;
            const char *w = cml_stop_words_english[i];
            cml_status st = cml_vocab_intern(&t->stop, w, strlen(w), &id, NULL);
            if (st) {
                cml_tokenizer_free(t);
                return st;
            }
        }
    }
    *out = t;
    return CML_OK;
}

const cml_tokenizer_opts *cml_tokenizer_options(const cml_tokenizer *t)
{
    return &t->o;
}

void cml_tokenizer_free(cml_tokenizer *t)
{
    if (!t) return;
    cml_vocab_free(&t->stop);
    free(t);
}

cml_status cml_token_iter_create(const cml_tokenizer *t, cml_token_iter **out)
{
    *out = cml_calloc(1, sizeof **out);
    if (!*out) return CML_ERR_NOMEM;
    (*out)->t = t;
    return CML_OK;
}

void cml_token_iter_free(cml_token_iter *it)
{
    if (!it) return;
    free(it->cp);
    free(it->cp2);
    free(it->buf);
    free(it->s);
    free(it->e);
    free(it->seg_lo);
    free(it->seg_hi);
    free(it);
}

/* Ensures *p holds at least n elements of size sz (contents not kept). */
static cml_status reserve(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap) return CML_OK;
    size_t c = *cap ? *cap : 256;
    while (c < n)
        c *= 2;
    void *q = cml_alloc_array((int64_t)c, sz);
    if (!q) return CML_ERR_NOMEM;
    free(*p);
    *p = q;
    *cap = c;
    return CML_OK;
}

/* word analyzer: maximal runs of >= 2 word characters, stop words dropped,
 * kept tokens written to buf one space apart. */
static cml_status analyze_words(cml_token_iter *it, const uint32_t *cp, size_t n)
{
    CML_CHECK(reserve((void **)&it->buf, &it->cap_buf, 5 * n + 1, 1));
    CML_CHECK(reserve((void **)&it->s, &it->cap_items, n / 2 + 1, sizeof(int64_t)));
    CML_CHECK(reserve((void **)&it->e, &it->cap_e, it->cap_items, sizeof(int64_t)));
    const cml_vocab *stop = &it->t->stop;
    int64_t k = 0, b = 0;
    size_t i = 0;
    while (i < n) {
        if (!cml_uc_is_word(cp[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && cml_uc_is_word(cp[j]))
            j++;
        if (j - i >= 2) {
            int64_t start = b;
            for (size_t q = i; q < j; q++)
                b += cml_utf8_encode(cp[q], it->buf + b);
            if (stop->n && cml_vocab_find(stop, it->buf + start, (size_t)(b - start)) >= 0) {
                b = start; /* a stop word: forget it */
            } else {
                it->s[k] = start;
                it->e[k++] = b;
                it->buf[b++] = ' ';
            }
        }
        i = j;
    }
    it->n_items = k;
    return CML_OK;
}

/* char analyzers: the text with runs of >= 2 whitespace characters made one
 * space (sklearn's _white_spaces.sub(" ", doc)); for char_wb, the words of
 * str.split() written as " word " segments. Items are characters. */
static cml_status analyze_chars(cml_token_iter *it, const uint32_t *cp, size_t n, int wb)
{
    CML_CHECK(reserve((void **)&it->buf, &it->cap_buf, 4 * n + 2 * n + 2, 1));
    CML_CHECK(reserve((void **)&it->s, &it->cap_items, 3 * n + 2, sizeof(int64_t)));
    CML_CHECK(reserve((void **)&it->e, &it->cap_e, it->cap_items, sizeof(int64_t)));
    int64_t k = 0, b = 0;
    if (!wb) {
        for (size_t i = 0; i < n;) {
            uint32_t c = cp[i];
            size_t j = i + 1;
            if (cml_uc_is_space(c)) {
                while (j < n && cml_uc_is_space(cp[j]))
                    j++;
                if (j - i >= 2)
                    c = ' ';
                else
                    j = i + 1;
            }
            it->s[k] = b;
            b += cml_utf8_encode(c, it->buf + b);
            it->e[k++] = b;
            i = j;
        }
        it->n_items = k;
        return CML_OK;
    }
    CML_CHECK(reserve((void **)&it->seg_lo, &it->cap_segs, n / 2 + 1, sizeof(int64_t)));
    CML_CHECK(reserve((void **)&it->seg_hi, &it->cap_seg_hi, it->cap_segs, sizeof(int64_t)));
    int64_t g = 0;
    for (size_t i = 0; i < n;) {
        if (cml_uc_is_space(cp[i])) {
            i++;
            continue;
        }
        it->seg_lo[g] = k;
        it->s[k] = b;
        it->buf[b++] = ' ';
        it->e[k++] = b;
        for (; i < n && !cml_uc_is_space(cp[i]); i++) {
            it->s[k] = b;
            b += cml_utf8_encode(cp[i], it->buf + b);
            it->e[k++] = b;
        }
        it->s[k] = b;
        it->buf[b++] = ' ';
        it->e[k++] = b;
        it->seg_hi[g++] = k;
    }
    it->n_items = k;
    it->n_segs = g;
    return CML_OK;
}

static int is_ascii(const char *s, size_t n)
{
    size_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)s[i];
    return !(acc & 0x8080808080808080ull);
}

/* word analyzer on pure-ASCII text, straight from the bytes: the same
 * tokens as decode -> lower -> strip -> analyze_words (ASCII is its own
 * decoding, lowercasing is A-Z only, and both strip modes keep ASCII), in
 * one pass instead of four. */
static cml_status analyze_words_ascii(cml_token_iter *it, const char *text, size_t n)
{
    CML_CHECK(reserve((void **)&it->buf, &it->cap_buf, n + n / 2 + 1, 1));
    CML_CHECK(reserve((void **)&it->s, &it->cap_items, n / 2 + 1, sizeof(int64_t)));
    CML_CHECK(reserve((void **)&it->e, &it->cap_e, it->cap_items, sizeof(int64_t)));
    const cml_vocab *stop = &it->t->stop;
    const int lower = it->t->o.lowercase;
    const unsigned char *p = (const unsigned char *)text;
    int64_t k = 0, b = 0;
    size_t i = 0;
    while (i < n) {
        if (!cml_uc_is_word(p[i])) {
            i++;
            continue;
        }
        size_t j = i;
        int64_t start = b;
        for (; j < n && cml_uc_is_word(p[j]); j++)
            it->buf[b++] = (char)((lower && p[j] >= 'A' && p[j] <= 'Z') ? p[j] + 32 : p[j]);
        if (j - i < 2 ||
            (stop->n && cml_vocab_find(stop, it->buf + start, (size_t)(b - start)) >= 0)) {
            b = start; /* a single character or a stop word */
        } else {
            it->s[k] = start;
            it->e[k++] = b;
            it->buf[b++] = ' ';
        }
        i = j;
    }
    it->n_items = k;
    return CML_OK;
}

cml_status cml_token_iter_begin(cml_token_iter *it, const char *text, size_t len)
{
    const cml_tokenizer_opts *o = &it->t->o;
    it->n_items = it->n_segs = 0;
    it->n = o->ngram_min;
    it->i = it->g = it->off = 0;
    it->first = 1;
    it->stop_seg = 0;
    if (len > (SIZE_MAX / 64)) return cml_fail(CML_ERR_NOMEM, "tokenizer: text of %zu bytes", len);
    if (o->analyzer == CML_TEXT_WORD && is_ascii(text, len))
        return analyze_words_ascii(it, text, len);
    CML_CHECK(reserve((void **)&it->cp, &it->cap_cp, len + 1, sizeof(uint32_t)));
    size_t n = cml_utf8_decode(text, len, it->cp);
    uint32_t *cp = it->cp;
    if (o->lowercase) {
        CML_CHECK(reserve((void **)&it->cp2, &it->cap_cp2, 2 * n + 1, sizeof(uint32_t)));
        n = cml_uc_lower(it->cp, n, it->cp2);
        cp = it->cp2;
    }
    if (o->strip_accents != CML_TEXT_ACCENTS_NONE) {
        size_t m = cml_uc_strip_accents(cp, n, o->strip_accents, NULL);
        uint32_t **dst = cp == it->cp ? &it->cp2 : &it->cp;
        size_t *dcap = cp == it->cp ? &it->cap_cp2 : &it->cap_cp;
        CML_CHECK(reserve((void **)dst, dcap, m + 1, sizeof(uint32_t)));
        n = cml_uc_strip_accents(cp, n, o->strip_accents, *dst);
        cp = *dst;
    }
    if (o->analyzer == CML_TEXT_WORD) return analyze_words(it, cp, n);
    return analyze_chars(it, cp, n, o->analyzer == CML_TEXT_CHAR_WB);
}

/* word and char analyzers: for n = ngram_min..ngram_max, for each start i,
 * the slice from item i to item i+n-1 (none once n exceeds the items). */
static int next_linear(cml_token_iter *it, const char **tok, size_t *len)
{
    int max_n = it->t->o.ngram_max;
    while (it->n <= max_n && it->n <= it->n_items) {
        if (it->i + it->n <= it->n_items) {
            int64_t a = it->s[it->i], z = it->e[it->i + it->n - 1];
            *tok = it->buf + a;
            *len = (size_t)(z - a);
            it->i++;
            return 1;
        }
        it->n++;
        it->i = 0;
    }
    return 0;
}

/* char_wb: sklearn's loop per padded word w (length L):
 *   for n in min_n..max_n: emit w[0:n]; offset = 0
 *       while offset + n < L: offset += 1; emit w[offset:offset+n]
 *       if offset == 0: break            (w shorter than or as long as n) */
static int next_wb(cml_token_iter *it, const char **tok, size_t *len)
{
    const cml_tokenizer_opts *o = &it->t->o;
    while (it->g < it->n_segs) {
        int64_t lo = it->seg_lo[it->g], L = it->seg_hi[it->g] - lo;
        if (it->n > o->ngram_max || it->stop_seg) {
            it->g++;
            it->n = o->ngram_min;
            it->off = 0;
            it->first = 1;
            it->stop_seg = 0;
            continue;
        }
        int64_t from, cnt;
        if (it->first) {
            it->first = 0;
            from = 0;
            cnt = CML_MIN((int64_t)it->n, L);
        } else if (it->off + it->n < L) {
            from = ++it->off;
            cnt = it->n;
        } else {
            if (it->off == 0)
                it->stop_seg = 1;
            else {
                it->n++;
                it->off = 0;
                it->first = 1;
            }
            continue;
        }
        int64_t a = it->s[lo + from], z = it->e[lo + from + cnt - 1];
        *tok = it->buf + a;
        *len = (size_t)(z - a);
        return 1;
    }
    return 0;
}

int cml_token_iter_next(cml_token_iter *it, const char **tok, size_t *len)
{
    if (it->t->o.analyzer == CML_TEXT_CHAR_WB) return next_wb(it, tok, len);
    return next_linear(it, tok, len);
}
