/*
 * utf8.c — UTF-8 decoding with U+FFFD replacement, and the Unicode character
 * operations of utf8.h over the generated tables of unicode_data.c.
 *
 * Decoding follows the well-formed byte-sequence table of Unicode 14 §3.9
 * (Table 3-7): a lead byte fixes the number of continuation bytes and the
 * allowed range of the first one (E0: A0..BF, ED: 80..9F, F0: 90..BF,
 * F4: 80..8F), so overlongs, surrogates and values above U+10FFFF are
 * rejected at the first byte that cannot continue a well-formed sequence;
 * the bytes consumed so far (the maximal subpart) become one U+FFFD and
 * decoding resumes at the offending byte. CPython's "replace" handler does
 * the same, so documents with invalid bytes tokenize as in Python after
 * bytes.decode("utf-8", "replace").
 *
 * Lookups: ASCII is answered inline; other code points by binary search in
 * sorted range/pair tables (a few hundred to a few thousand entries), i.e.
 * O(log T) per non-ASCII character.
 */
#include "text/utf8.h"

#include <string.h>

#include "text/unicode_data.h"

size_t cml_utf8_decode(const char *s, size_t len, uint32_t *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        /* ASCII runs 8 bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            for (int k = 0; k < 8; k++)
                out[n + (size_t)k] = p[i + (size_t)k];
            n += 8;
            i += 8;
        }
        if (i >= len) break;
        unsigned b = p[i];
        if (b < 0x80) {
            out[n++] = b;
            i++;
            continue;
        }
        int need;
        uint32_t cp;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the first continuation byte */
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
            cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            cp = b & 0x0F;
            if (b == 0xE0) lo = 0xA0; /* no overlongs */
            if (b == 0xED) hi = 0x9F; /* no surrogates */
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            cp = b & 0x07;
            if (b == 0xF0) lo = 0x90; /* no overlongs */
            if (b == 0xF4) hi = 0x8F; /* <= U+10FFFF */
        } else {
            out[n++] = CML_UC_REPLACEMENT; /* 80..C1, F5..FF never start a sequence */
            i++;
            continue;
        }
        size_t j = i + 1;
        int k;
        for (k = 0; k < need; k++, j++) {
            if (j >= len) break;
            unsigned c = p[j];
            if (k == 0 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) break;
            cp = (cp << 6) | (c & 0x3F);
        }
        if (k == need) {
            out[n++] = cp;
            i = j;
        } else {
            out[n++] = CML_UC_REPLACEMENT; /* maximal subpart p[i..j) */
            i = j;
        }
    }
    return n;
}

int cml_utf8_encode_slow(uint32_t cp, char *buf)
{
    unsigned char *b = (unsigned char *)buf;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Is c inside one of the n inclusive (lo, hi) ranges of r? */
static int in_ranges(const uint32_t *r, int64_t n, uint32_t c)
{
    int64_t a = 0, b = n - 1;
    while (a <= b) {
        int64_t m = (a + b) / 2;
        if (c < r[2 * m])
            b = m - 1;
        else if (c > r[2 * m + 1])
            a = m + 1;
        else
            return 1;
    }
    return 0;
}

int cml_uc_is_word_slow(uint32_t c)
{
    return in_ranges(cml_uc_word, cml_uc_word_n, c);
}

int cml_uc_is_space_slow(uint32_t c)
{
    return in_ranges(cml_uc_space, cml_uc_space_n, c);
}

/* One-to-one lowercase of c (c itself when it has none). */
static uint32_t lower1(uint32_t c)
{
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    int64_t a = 0, b = cml_uc_lower_map_n - 1;
    while (a <= b) {
        int64_t m = (a + b) / 2;
        uint32_t k = cml_uc_lower_map[2 * m];
        if (c < k)
            b = m - 1;
        else if (c > k)
            a = m + 1;
        else
            return cml_uc_lower_map[2 * m + 1];
    }
    return c;
}

static int is_cased(uint32_t c)
{
    return in_ranges(cml_uc_cased, cml_uc_cased_n, c);
}

static int is_case_ignorable(uint32_t c)
{
    return in_ranges(cml_uc_case_ignorable, cml_uc_case_ignorable_n, c);
}

/* CPython's handle_capital_sigma: U+03A3 at i is final when a cased letter
 * precedes it and none follows (case-ignorable characters skipped both ways). */
static uint32_t sigma_at(const uint32_t *s, size_t n, size_t i)
{
    size_t j = i;
    while (j > 0 && is_case_ignorable(s[j - 1]))
        j--;
    if (j == 0 || !is_cased(s[j - 1])) return 0x3C3;
    for (j = i + 1; j < n && is_case_ignorable(s[j]); j++)
        ;
    return (j == n || !is_cased(s[j])) ? 0x3C2 : 0x3C3;
}

size_t cml_uc_lower(const uint32_t *src, size_t n, uint32_t *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = src[i];
        if (c < 0x80) {
            dst[o++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        } else if (c == 0x130) { /* LATIN CAPITAL I WITH DOT ABOVE: "i" + COMBINING DOT ABOVE */
            dst[o++] = 'i';
            dst[o++] = 0x307;
        } else if (c == 0x3A3) {
            dst[o++] = sigma_at(src, n, i);
        } else {
            dst[o++] = lower1(c);
        }
    }
    return o;
}

/* Index of c in cml_uc_strip_keys, or -1. */
static int64_t strip_index(uint32_t c)
{
    int64_t a = 0, b = cml_uc_strip_n - 1;
    while (a <= b) {
        int64_t m = (a + b) / 2;
        uint32_t k = cml_uc_strip_keys[m];
        if (c < k)
            b = m - 1;
        else if (c > k)
            a = m + 1;
        else
            return m;
    }
    return -1;
}

/* Emits cp into dst (if any) under the mode's filter; returns 1 if kept. */
static size_t put(uint32_t cp, int mode, uint32_t *dst, size_t o)
{
    if (mode == 1 && cp >= 0x80) return 0; /* ascii */
    if (dst) dst[o] = cp;
    return 1;
}

size_t cml_uc_strip_accents(const uint32_t *src, size_t n, int mode, uint32_t *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = src[i];
        if (c < 0x80) {
            if (dst) dst[o] = c;
            o++;
            continue;
        }
        if (c >= 0xAC00 && c <= 0xD7A3) {
            /* Hangul syllable: L V (T) jamo by the Unicode §3.12 arithmetic;
             * jamo are starters, non-ASCII (dropped in ascii mode). */
            uint32_t s = c - 0xAC00, t = s % 28;
            o += put(0x1100 + s / 588, mode, dst, o);
            o += put(0x1161 + (s % 588) / 28, mode, dst, o);
            if (t) o += put(0x11A7 + t, mode, dst, o);
            continue;
        }
        if (in_ranges(cml_uc_strip_empty, cml_uc_strip_empty_n, c)) continue;
        int64_t k = strip_index(c);
        if (k < 0) {
            o += put(c, mode, dst, o);
            continue;
        }
        for (uint32_t p = cml_uc_strip_off[k]; p < cml_uc_strip_off[k + 1]; p++)
            o += put(cml_uc_strip_pool[p], mode, dst, o);
    }
    return o;
}
