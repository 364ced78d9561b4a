/*
 * conv_threads.c — see conv_threads.h.
 */
#include "conv_threads.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cml/cml.h"
#include "tensor/tensor.h"

/* y = conv(x, w); gx, gw = gradients of sum(y * r) for a fixed r. */
static void run(int threads, const int64_t xs[4], const int64_t ws[4], int stride, int pad,
                const float *x, const float *w, float *y, int64_t ny, float *gx, float *gw)
{
    cml_set_num_threads(threads);
    cml_graph *g = cml_graph_new(NULL);
    memset(gx, 0, (size_t)(xs[0] * xs[1] * xs[2] * xs[3]) * sizeof(float));
    memset(gw, 0, (size_t)(ws[0] * ws[1] * ws[2] * ws[3]) * sizeof(float));
    cml_tensor *X = cml_t_wrap(g, CML_F32, 4, xs, (void *)x, gx);
    cml_tensor *W = cml_t_wrap(g, CML_F32, 4, ws, (void *)w, gw);
    cml_tensor *Y = cml_t_conv2d(X, W, NULL, stride, pad, 1, 1);
    cml_tensor *r = cml_t_new(g, CML_F32, Y->ndim, Y->shape);
    for (int64_t i = 0; i < ny; i++)
        ((float *)r->data)[i] = (float)sin(0.3 * (double)i);
    cml_tensor *L = cml_t_sum(cml_t_mul(Y, r), 0);
    assert_int_equal(cml_graph_status(g), CML_OK);
    assert_int_equal(cml_graph_backward(g, L), CML_OK);
    memcpy(y, Y->data, (size_t)ny * sizeof(float));
    cml_graph_free(g);
}

void conv_check_threads(const int64_t xs[4], const int64_t ws[4], int stride, int pad)
{
    const int64_t nx = xs[0] * xs[1] * xs[2] * xs[3], nw = ws[0] * ws[1] * ws[2] * ws[3];
    const int64_t oh = (xs[2] + 2 * pad - ws[2]) / stride + 1;
    const int64_t ow = (xs[3] + 2 * pad - ws[3]) / stride + 1;
    const int64_t ny = xs[0] * ws[0] * oh * ow;
    float *x = malloc((size_t)nx * sizeof(float)), *w = malloc((size_t)nw * sizeof(float));
    float *y[2], *gx[2], *gw[2];
    assert_true(x && w);
    for (int64_t i = 0; i < nx; i++)
        x[i] = (float)cos(0.1 * (double)i);
    for (int64_t i = 0; i < nw; i++)
        w[i] = (float)sin(0.7 * (double)i);
    for (int k = 0; k < 2; k++) {
        y[k] = malloc((size_t)ny * sizeof(float));
        gx[k] = malloc((size_t)nx * sizeof(float));
        gw[k] = malloc((size_t)nw * sizeof(float));
        assert_true(y[k] && gx[k] && gw[k]);
        run(k ? 3 : 1, xs, ws, stride, pad, x, w, y[k], ny, gx[k], gw[k]);
    }
    cml_set_num_threads(2);
    assert_memory_equal(y[0], y[1], (size_t)ny * sizeof(float));
    assert_memory_equal(gx[0], gx[1], (size_t)nx * sizeof(float));
    assert_memory_equal(gw[0], gw[1], (size_t)nw * sizeof(float));
    for (int k = 0; k < 2; k++) {
        free(y[k]);
        free(gx[k]);
        free(gw[k]);
    }
    free(x);
    free(w);
}
