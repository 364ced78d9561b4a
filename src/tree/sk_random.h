/*
 * sk_random.h — the two small generators scikit-learn's trees and forests
 * draw from, reproduced so that cml builds the same trees as scikit-learn
 * 1.2 for the same random_state (bit for bit, ties between equally good
 * splits included):
 *
 *  - numpy's legacy RandomState (MT19937, Matsumoto & Nishimura 1998, seeded
 *    by init_genrand) and its masked-rejection randint: scikit-learn draws a
 *    tree's splitter seed and each forest tree's random_state with it, and
 *    the bootstrap indices of each forest tree.
 *  - our_rand_r (sklearn/tree/_utils.pxd): a 32-bit xorshift that orders the
 *    features a node visits (Fisher-Yates) and draws extra-trees thresholds.
 *
 * Why not cml_rng: with max_features = all, scikit-learn still visits the
 * features in a random order and keeps the first of equally good splits, so
 * only its own generators give the same tree. Both are seeded from the
 * user's random_state exactly as scikit-learn seeds them, and each forest
 * tree's seeds are drawn up front in tree order, so results never depend on
 * the thread count. Neither generator is cryptographic.
 */
#ifndef CML_TREE_SK_RANDOM_H
#define CML_TREE_SK_RANDOM_H

#include <stdint.h>

/* sklearn's RAND_R_MAX (0x7FFFFFFF) and DEFAULT_SEED. */
#define CML_SK_RAND_R_MAX 0x7FFFFFFFu

/* MT19937 with numpy's legacy seeding (RandomState(seed), 0 <= seed < 2^32). */
typedef struct cml_mt19937 {
    uint32_t key[624];
    int pos;
} cml_mt19937;

void cml_mt_seed(cml_mt19937 *mt, uint32_t seed);
uint32_t cml_mt_next(cml_mt19937 *mt);
/* numpy RandomState.randint(0, high) for 1 <= high <= 2^32: masked
 * rejection on 32-bit draws, as numpy's legacy bounded integers. */
uint32_t cml_mt_randint(cml_mt19937 *mt, uint64_t high);

/* The splitter seed scikit-learn derives from a tree's random_state:
 * RandomState(random_state).randint(0, RAND_R_MAX). */
uint32_t cml_sk_splitter_seed(uint32_t random_state);

/* our_rand_r: xorshift32, result in [0, RAND_R_MAX]. */
static inline uint32_t cml_sk_rand_r(uint32_t *seed)
{
    if (*seed == 0) *seed = 1; /* DEFAULT_SEED: the state must never be 0 */
    *seed ^= (uint32_t)(*seed << 13);
    *seed ^= (uint32_t)(*seed >> 17);
    *seed ^= (uint32_t)(*seed << 5);
    return *seed % (CML_SK_RAND_R_MAX + 1u);
}

/* rand_int: uniform integer in [low, high), high > low. */
static inline int64_t cml_sk_rand_int(int64_t low, int64_t high, uint32_t *seed)
{
    return low + (int64_t)(cml_sk_rand_r(seed) % (uint32_t)(high - low));
}

/* rand_uniform: a double in [low, high] as scikit-learn computes it. */
static inline double cml_sk_rand_uniform(double low, double high, uint32_t *seed)
{
    return ((high - low) * (double)cml_sk_rand_r(seed) / (double)CML_SK_RAND_R_MAX) + low;
}

#endif
