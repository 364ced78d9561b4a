/*
 * utf8.h — UTF-8 decoding/encoding and the character operations the text
 * tokenizer needs, with Python 3.11 str semantics (what scikit-learn's
 * analyzers run on): \w and \s classes, str.lower(), and the NFKD-based
 * accent stripping of sklearn's strip_accents_unicode / strip_accents_ascii.
 * Every code point of every plane is covered (tables: unicode_data.h).
 *
 * Thread-safety: pure functions over caller buffers.
 */
#ifndef CML_TEXT_UTF8_H
#define CML_TEXT_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define CML_UC_REPLACEMENT 0xFFFDu

/* Decodes s[0..len) into out (room for len code points) and returns the
 * count. Ill-formed input never fails: each maximal subpart of an ill-formed
 * sequence (Unicode 14 §3.9, "U+FFFD substitution of maximal subparts") becomes
 * one U+FFFD, which is exactly Python's bytes.decode("utf-8", "replace").
 * Surrogates (ED A0..BF ..) and overlong forms are ill-formed. NUL bytes are
 * decoded as U+0000. */
size_t cml_utf8_decode(const char *s, size_t len, uint32_t *out);

/* Writes the UTF-8 form of cp (< 0x110000, not a surrogate) to buf (4 bytes
 * of room) and returns its length 1..4. */
int cml_utf8_encode_slow(uint32_t cp, char *buf);
static inline int cml_utf8_encode(uint32_t cp, char *buf)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    return cml_utf8_encode_slow(cp, buf);
}

/* UTF-8 length of cp. */
static inline int cml_utf8_len(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* Table lookups for code points >= 0x80 (utf8.c). */
int cml_uc_is_word_slow(uint32_t c);
int cml_uc_is_space_slow(uint32_t c);

/* \w of Python's re on str patterns: str.isalnum() or '_'. Inline ASCII
 * test first: tokenizing is dominated by this call. */
static inline int cml_uc_is_word(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
    return cml_uc_is_word_slow(c);
}

/* str.isspace(): \s of re and the separators of str.split(). */
static inline int cml_uc_is_space(uint32_t c)
{
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return cml_uc_is_space_slow(c);
}

/* str.lower() of src[0..n) into dst (room for 2n: U+0130 becomes two code
 * points), returning the count. Capital sigma becomes final sigma U+03C2 in
 * the Final_Sigma context (preceded by a cased letter, not followed by one,
 * case-ignorable characters skipped), as CPython does; no other
 * context- or language-sensitive rule applies (Python has none). */
size_t cml_uc_lower(const uint32_t *src, size_t n, uint32_t *dst);

/* Accent stripping of src[0..n) into dst, returning the count written; call
 * with dst NULL to get the count only. mode 2 ("unicode"): each character
 * becomes its NFKD decomposition without combining marks (sklearn's
 * strip_accents_unicode; ASCII text is left unchanged). mode 1 ("ascii"): the
 * ASCII characters of each character's NFKD decomposition
 * (strip_accents_ascii: everything else is dropped). Either mode equals
 * sklearn's whole-string normalization because the marks that canonical
 * reordering would move are the ones removed. */
size_t cml_uc_strip_accents(const uint32_t *src, size_t n, int mode, uint32_t *dst);

#endif
