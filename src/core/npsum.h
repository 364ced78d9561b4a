/*
 * npsum.h — summation in numpy's order, for bit-level parity with
 * scikit-learn where it sums with np.sum.
 */
#ifndef CML_NPSUM_H
#define CML_NPSUM_H

#include <stdint.h>

/* Sum of a[0..n) in numpy's order (pairwise_sum in numpy/core/src/umath/
 * loops_utils.h: sequential below 8 items, eight accumulators up to 128,
 * halves beyond), which is how np.sum reduces a contiguous axis. */
double cml_np_sum(const double *a, int64_t n);

#endif
