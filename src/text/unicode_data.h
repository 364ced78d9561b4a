/*
 * unicode_data.h — the generated character tables of unicode_data.c (made by
 * tests/gen/gen_text_tables.py from the unicodedata of the Python that runs
 * scikit-learn 1.2.1: Python 3.11, Unicode 14.0.0). All code points, all
 * planes. Range tables hold n (lo, hi) pairs, inclusive, ascending and
 * disjoint; lookups are binary searches (utf8.c).
 *
 *   cml_uc_word            \w of Python's re for str patterns: str.isalnum()
 *                          (categories L*, Nd, Nl, No and other numerics) or '_'.
 *                          Combining marks (Mn, Mc) are not \w in Python.
 *   cml_uc_space           str.isspace(): \s of re, separators of str.split().
 *   cml_uc_lower_map       (cp, lower) pairs, sorted by cp, of str.lower()'s
 *                          one-to-one mappings. The only one-to-many mapping,
 *                          U+0130 -> "i\u0307", and the final-sigma rule are
 *                          handled in code (utf8.c).
 *   cml_uc_cased           characters that are Cased and not Case_Ignorable
 *   cml_uc_case_ignorable  Case_Ignorable characters (final-sigma context)
 *   cml_uc_strip_empty     characters whose NFKD holds only combining marks
 *                          (strip_accents removes them)
 *   cml_uc_strip_keys/off/pool  other characters whose NFKD without combining
 *                          marks differs from themselves: key i maps to
 *                          pool[off[i] .. off[i+1]). Hangul syllables are
 *                          decomposed in code.
 */
#ifndef CML_TEXT_UNICODE_DATA_H
#define CML_TEXT_UNICODE_DATA_H

#include <stdint.h>

extern const uint32_t cml_uc_word[];
extern const int64_t cml_uc_word_n;
extern const uint32_t cml_uc_space[];
extern const int64_t cml_uc_space_n;
extern const uint32_t cml_uc_lower_map[];
extern const int64_t cml_uc_lower_map_n;
extern const uint32_t cml_uc_cased[];
extern const int64_t cml_uc_cased_n;
extern const uint32_t cml_uc_case_ignorable[];
extern const int64_t cml_uc_case_ignorable_n;
extern const uint32_t cml_uc_strip_empty[];
extern const int64_t cml_uc_strip_empty_n;
extern const uint32_t cml_uc_strip_keys[];
extern const uint16_t cml_uc_strip_off[];
extern const uint32_t cml_uc_strip_pool[];
extern const int64_t cml_uc_strip_n;

#endif
