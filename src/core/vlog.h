/*
 * vlog.h — cml_ln, a log() that the compiler can vectorize; first used
 * for the training metric of boosting (log loss: one log per row per
 * round), kept in core beside cml_exp for any loop of logs.
 *
 * glibc's log() is a scalar library call; in the one pass over the margins
 * that gives a boosting round its gradients and its training metric, that
 * call was ~9% of a binary flights fit. This inline, branch-free version
 * lets `for (i...) l[i] = cml_ln(q[i])` become SIMD code without
 * -ffast-math (the companion of cml_exp, core/vexp.h).
 *
 * Method: fdlibm's e_log.c. x = 2^k (1 + f) with 1 + f in [sqrt(2)/2,
 * sqrt(2)); s = f / (2 + f); log(1 + f) = f - hfsq + s (hfsq + R(s^2)),
 * hfsq = f^2 / 2, R the degree-14 minimax polynomial Lg1..Lg7 (error
 * < 2^-58.45); k ln2 added with ln2 split in two so k ln2_hi is exact. The
 * exponent is read from the bits and converted to a double by the 2^52
 * trick, so no int/double conversion instruction is needed. Accuracy: within
 * 1 ulp of libm (tests/unit/test_gbm_obj.c checks it over many decades).
 * Special values as libm: log(0) = -inf, log(x < 0) = NaN, log(inf) = inf,
 * NaN gives NaN; subnormals are scaled by 2^54 first.
 */
#ifndef CML_CORE_VLOG_H
#define CML_CORE_VLOG_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline double cml_ln(double x)
{
    const double ln2_hi = 6.93147180369123816490e-01; /* high 32 bits of ln 2 */
    const double ln2_lo = 1.90821492927058770002e-10;
    const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                 Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                 Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                 Lg7 = 1.479819860511658591e-01;
    const int sub = x < 2.2250738585072014e-308;         /* subnormal (or <= 0: fixed below) */
    const double xs = sub ? x * 18014398509481984.0 : x; /* x 2^54 */
    uint64_t u;
    memcpy(&u, &xs, sizeof u);
    /* mantissa in [1, 2), then halved when above sqrt(2) (k one higher) */
    const uint64_t mb = (u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &mb, sizeof m);
    /* biased exponent e as a double: the bits 0x433 << 52 | e are 2^52 + e */
    const uint64_t eb = (u >> 52) | 0x4330000000000000ull;
    double e;
    memcpy(&e, &eb, sizeof e);
    const int hi = m > 1.4142135623730951;
    double k = (e - 4503599627370496.0) - 1023.0 - (sub ? 54.0 : 0.0) + (hi ? 1.0 : 0.0);
    m = hi ? m * 0.5 : m;
    const double f = m - 1.0;
    const double s = f / (2.0 + f), z = s * s, w = z * z;
    const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    const double R = t2 + t1, hfsq = 0.5 * f * f;
    double y = k * ln2_hi - ((hfsq - (s * (hfsq + R) + k * ln2_lo)) - f);
    y = x == 0.0 ? -INFINITY : y;
    y = x < 0.0 ? NAN : y;
    y = x == INFINITY ? x : y;
    return x != x ? x : y;
}

#endif
