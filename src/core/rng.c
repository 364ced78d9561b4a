/*
 * rng.c — xoshiro256** 1.0 (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", 2018), seeded by splitmix64 so any 64-bit
 * seed, 0 included, gives a well-mixed non-zero state. See core.h for why
 * this generator. Not cryptographic.
 */
#include <math.h>

#include "core/internal.h"

/* 128-bit product for Lemire's method; GCC/Clang extension. */
__extension__ typedef unsigned __int128 cml_u128;

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void cml_rng_seed(cml_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

uint64_t cml_rng_u64(cml_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cml_rng_uniform(cml_rng *rng)
{
    /* top 53 bits -> [0,1) exactly representable */
    return (double)(cml_rng_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t cml_rng_below(cml_rng *rng, uint64_t n)
{
    /* Lemire 2019: multiply-shift with rejection of the biased low zone. */
    cml_u128 m = (cml_u128)cml_rng_u64(rng) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t thresh = -n % n;
        while (lo < thresh) {
            m = (cml_u128)cml_rng_u64(rng) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double cml_rng_normal(cml_rng *rng)
{
    double u, v, s;
    do {
        u = 2.0 * cml_rng_uniform(rng) - 1.0;
        v = 2.0 * cml_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

void cml_rng_shuffle_i64(cml_rng *rng, int64_t *idx, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)cml_rng_below(rng, (uint64_t)i + 1);
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

void cml_rng_jump(cml_rng *rng)
{
    static const uint64_t JUMP[] = {0x180ec6d33cfd0abaULL, 0xd5a61266f0c9392cULL,
                                    0xa9582618e03fc9aaULL, 0x39abdc4529b1661cULL};
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 64; b++) {
            if (JUMP[i] & (1ULL << b)) {
                s0 ^= rng->s[0];
                s1 ^= rng->s[1];
                s2 ^= rng->s[2];
                s3 ^= rng->s[3];
            }
            cml_rng_u64(rng);
        }
    rng->s[0] = s0;
    rng->s[1] = s1;
    rng->s[2] = s2;
    rng->s[3] = s3;
}
