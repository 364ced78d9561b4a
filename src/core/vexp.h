/*
 * vexp.h — exp() that the compiler can vectorize.
 *
 * glibc's exp() is a scalar library call, so a loop over exp() runs one
 * element at a time; in softmax / log-loss evaluations (logistic regression,
 * boosting, networks) that call was the largest single cost in profiles
 * (about a quarter of a multinomial logistic regression fit). This inline,
 * branch-free version lets `for (k...) p[k] = cml_exp(z[k] - m)` become SIMD
 * code without -ffast-math.
 *
 * Method (Cody & Waite range reduction, as fdlibm's exp): k = round(x / ln2)
 * by the 1.5*2^52 rounding trick, r = x - k ln2 with ln2 split in two so the
 * product is exact, |r| <= ln2/2; exp(r) by its Taylor series to degree 13
 * (truncation < 5e-18 relative), Horner; then scaled by 2^k built in the
 * exponent bits. Accuracy: within 2 ulp of libm over [-708, 709.78]
 * (tests/unit/test_vexp.c checks it). Outside: x < -708 gives 0 (libm gives
 * a subnormal below 2.2e-308: irrelevant next to the max term of a softmax),
 * beyond ln(DBL_MAX) +inf, NaN gives NaN.
 */
#ifndef CML_VEXP_H
#define CML_VEXP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline double cml_exp(double x)
{
    const double log2e = 1.4426950408889634074;
    const double ln2_hi = 6.93147180369123816490e-01; /* 32 significant bits: k*ln2_hi exact */
    const double ln2_lo = 1.90821492927058770002e-10;
    const double shifter = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    double xc = x < -708.0 ? -708.0 : (x > 709.79 ? 709.79 : x);
    double kr = xc * log2e + shifter;
    double kd = kr - shifter;
    double r = (xc - kd * ln2_hi) - kd * ln2_lo;
    double p = 1.0 / 6227020800.0; /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* the integer k (-1021..1024) sits in the low bits of kr; 2^(k-1) is
     * (k - 1 + 1023) << 52, always a normal number, and the final exact
     * doubling reaches 2^1024 only where exp overflows anyway */
    uint64_t kb;
    memcpy(&kb, &kr, sizeof kb);
    uint64_t sb = (kb + 1022u) << 52;
    double scale;
    memcpy(&scale, &sb, sizeof scale);
    double y = (p * scale) * 2.0;
    y = x < -708.0 ? 0.0 : y;
    y = x > 709.79 ? INFINITY : y;
    return x != x ? x : y;
}

#endif
