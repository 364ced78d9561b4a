/*
 * conv_threads.h — the check that a conv2d's forward pass, input gradient
 * and weight gradient are bit-identical with 1 and 3 threads, shared by
 * test_tensor_gradcheck (the im2col path) and test_tensor_conv (the direct
 * path). Leaves the library at 2 threads.
 */
#ifndef CML_TEST_CONV_THREADS_H
#define CML_TEST_CONV_THREADS_H

#include <stdint.h>

/* X (xs: N, C, H, W) convolved with W (ws: O, C, KH, KW), stride and pad
 * as cml_t_conv2d takes them, dilation 1, one group. */
void conv_check_threads(const int64_t xs[4], const int64_t ws[4], int stride, int pad);

#endif
