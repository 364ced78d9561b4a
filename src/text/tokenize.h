/*
 * tokenize.h — internals of the tokenizer (cml/text.h) shared by the
 * vectorizers: the tokenizer and iterator structs and the stop-word table.
 */
#ifndef CML_TEXT_TOKENIZE_H
#define CML_TEXT_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include "cml/text.h"
#include "text/vocab.h"

/* Generated (stop_words.c): sklearn's ENGLISH_STOP_WORDS, sorted. */
extern const char *const cml_stop_words_english[];
extern const int64_t cml_stop_words_english_n;

struct cml_tokenizer {
    cml_tokenizer_opts o;
    cml_vocab stop; /* empty unless stop_words (word analyzer) */
};

/*
 * After begin(), the analyzed text is a UTF-8 buffer `buf` and a list of
 * `n_items` items: word tokens (word analyzer; kept tokens written one space
 * apart, so the n-gram of items i..i+n-1 is the slice [s[i], e[i+n-1]) of
 * buf), or characters (char analyzers; for char_wb, each word is written
 * padded as " word " and seg_lo/seg_hi give its item range). Every n-gram is
 * therefore a slice of buf: no per-token copies.
 */
struct cml_token_iter {
    const cml_tokenizer *t;
    uint32_t *cp, *cp2; /* code point work buffers */
    size_t cap_cp, cap_cp2;
    char *buf; /* (cap_buf) UTF-8 of the analyzed text */
    size_t cap_buf;
    int64_t *s, *e; /* (cap_items) byte start / end of each item */
    size_t cap_items, cap_e;
    int64_t *seg_lo, *seg_hi; /* (cap_segs) char_wb word item ranges */
    size_t cap_segs, cap_seg_hi;
    int64_t n_items, n_segs;
    /* emission state */
    int n;          /* current n-gram size */
    int64_t i;      /* next start item (word, char) */
    int64_t g, off; /* char_wb: segment, offset in it */
    int first, stop_seg;
};

#endif
