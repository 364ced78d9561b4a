/*
 * sk_random.c — MT19937 with numpy's legacy RandomState seeding and bounded
 * integers (see sk_random.h for why cml's trees reproduce them). The
 * generator is the reference MT19937 (Matsumoto & Nishimura, ACM TOMACS
 * 1998): init_genrand seeding, 624-word state, standard tempering.
 * Thread-safety: a cml_mt19937 is a plain value; one per thread.
 */
#include "tree/sk_random.h"

#define MT_N 624
#define MT_M 397

void cml_mt_seed(cml_mt19937 *mt, uint32_t seed)
{
    mt->key[0] = seed;
    for (int i = 1; i < MT_N; i++)
        mt->key[i] = 1812433253u * (mt->key[i - 1] ^ (mt->key[i - 1] >> 30)) + (uint32_t)i;
    mt->pos = MT_N;
}

static void mt_twist(cml_mt19937 *mt)
{
    for (int k = 0; k < MT_N; k++) {
        uint32_t y = (mt->key[k] & 0x80000000u) | (mt->key[(k + 1) % MT_N] & 0x7fffffffu);
        mt->key[k] = mt->key[(k + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    mt->pos = 0;
}

uint32_t cml_mt_next(cml_mt19937 *mt)
{
    if (mt->pos >= MT_N) mt_twist(mt);
    uint32_t y = mt->key[mt->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint32_t cml_mt_randint(cml_mt19937 *mt, uint64_t high)
{
    uint64_t rng = high - 1; /* numpy draws from [0, rng] */
    if (rng == 0) return 0;
    if (rng == 0xFFFFFFFFu) return cml_mt_next(mt);
    uint32_t mask = (uint32_t)rng;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    uint32_t v;
    while ((v = cml_mt_next(mt) & mask) > rng) {
    }
    return v;
}

uint32_t cml_sk_splitter_seed(uint32_t random_state)
{
    cml_mt19937 mt;
    cml_mt_seed(&mt, random_state);
    return cml_mt_randint(&mt, CML_SK_RAND_R_MAX);
}
