/*
 * test_tensor_gradcheck.c — every op's backward against central finite
 * differences, on the double instance of the CPU kernels (the same source as
 * the float engine, compiled for double), plus view semantics and the
 * errors of bad shapes.
 *
 * For an op f with inputs x_k, the scalar L = sum(f(x) * R) with a fixed
 * random R makes every output element matter; dL/dx from autograd must equal
 * (L(x + h e_i) - L(x - h e_i)) / 2h for every element i of every input.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "conv_threads.h"
#include "golden.h"
#include "tensor/tensor.h"

#define MAXIN 3

typedef struct gc_input {
    int ndim;
    int64_t shape[4];
    int grad;     /* 0: constant (e.g. a target) */
    int positive; /* values in [0.5, 1.5] (divisors, variances) */
} gc_input;

typedef cml_tensor *(*gc_build)(cml_graph *g, cml_tensor **in);

static int64_t numel(const gc_input *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n *= s->shape[i];
    return n;
}

/* L(x) and, when grads != NULL, dL/dx into grads. */
static double eval(gc_build f, int n_in, const gc_input *spec, double **x, double **grads,
                   int training)
{
    cml_graph *g = cml_graph_new(NULL);
    assert_non_null(g);
    cml_graph_set_training(g, training);
    cml_graph_seed(g, 7); /* same dropout mask every evaluation */
    cml_tensor *in[MAXIN] = {0};
    for (int k = 0; k < n_in; k++) {
        double *gr = grads && spec[k].grad ? grads[k] : NULL;
        if (gr) memset(gr, 0, (size_t)numel(&spec[k]) * sizeof(double));
        in[k] = cml_t_wrap(g, CML_F64, spec[k].ndim, spec[k].shape, x[k], gr);
    }
    cml_tensor *y = f(g, in);
    assert_non_null(y);
    /* L = sum(y * R), R a fixed pseudo-random pattern */
    cml_tensor *r = cml_t_new(g, CML_F64, y->ndim, y->shape);
    for (int64_t i = 0, n = cml_t_numel(y); i < n; i++)
        ((double *)r->data)[i] = sin(1.0 + 0.7 * (double)i);
    cml_tensor *loss = cml_t_sum(cml_t_mul(y, r), 0);
    assert_int_equal(cml_graph_status(g), CML_OK);
    double L = cml_t_get(loss, 0);
    if (grads) assert_int_equal(cml_graph_backward(g, loss), CML_OK);
    cml_graph_free(g);
    return L;
}

static void gradcheck(const char *name, gc_build f, int n_in, const gc_input *spec, int training)
{
    double *x[MAXIN] = {0}, *gr[MAXIN] = {0};
    cml_rng rng;
    cml_rng_seed(&rng, 42);
    for (int k = 0; k < n_in; k++) {
        int64_t n = numel(&spec[k]);
        x[k] = malloc((size_t)n * sizeof(double));
        gr[k] = malloc((size_t)n * sizeof(double));
        for (int64_t i = 0; i < n; i++)
            x[k][i] = spec[k].positive ? 0.5 + cml_rng_uniform(&rng) : cml_rng_normal(&rng);
    }
    eval(f, n_in, spec, x, gr, training);
    const double h = 1e-6;
    for (int k = 0; k < n_in; k++) {
        if (!spec[k].grad) continue;
        for (int64_t i = 0, n = numel(&spec[k]); i < n; i++) {
            double v = x[k][i];
            x[k][i] = v + h;
            double lp = eval(f, n_in, spec, x, NULL, training);
            x[k][i] = v - h;
            double lm = eval(f, n_in, spec, x, NULL, training);
            x[k][i] = v;
            double fd = (lp - lm) / (2 * h);
            if (fabs(fd - gr[k][i]) > 1e-6 + 1e-5 * fabs(fd))
                fail_msg("%s: input %d element %lld: autograd %.10g, finite diff %.10g", name, k,
                         (long long)i, gr[k][i], fd);
        }
    }
    for (int k = 0; k < n_in; k++) {
        free(x[k]);
        free(gr[k]);
    }
}

#define IN(nd, ...)                                                                                \
    {                                                                                              \
        nd, {__VA_ARGS__}, 1, 0                                                                    \
    }
#define INC(nd, ...)                                                                               \
    {                                                                                              \
        nd, {__VA_ARGS__}, 0, 0                                                                    \
    }
#define INP(nd, ...)                                                                               \
    {                                                                                              \
        nd, {__VA_ARGS__}, 1, 1                                                                    \
    }

/* ---- builders */
static cml_tensor *b_add_bc(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_add(in[0], in[1]);
}
static cml_tensor *b_add_relu(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_add_relu(in[0], in[1]);
}
static cml_tensor *b_add_relu_self(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_add_relu(in[0], in[0]); /* one source twice: both copies add up */
}
static cml_tensor *b_sub_bc(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_sub(in[0], in[1]);
}
static cml_tensor *b_mul_bc(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_mul(in[0], in[1]);
}
static cml_tensor *b_div(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_div(in[0], in[1]);
}
static cml_tensor *b_scale(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_scale(in[0], -2.5);
}
static cml_tensor *b_relu(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_relu(in[0]);
}
static cml_tensor *b_gelu(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_gelu(in[0]);
}
static cml_tensor *b_sigmoid(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_sigmoid(in[0]);
}
static cml_tensor *b_tanh(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_tanh(in[0]);
}
static cml_tensor *b_softmax(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_softmax(in[0]);
}
static cml_tensor *b_logsm(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_log_softmax(in[0]);
}
static cml_tensor *b_sum_last(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_sum(in[0], 1);
}
static cml_tensor *b_mean_all(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_mean(in[0], 0);
}
static cml_tensor *b_mean_last(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_mean(in[0], 1);
}
static cml_tensor *b_mm_nn(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_matmul(in[0], in[1], 0, 0);
}
static cml_tensor *b_mm_tn(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_matmul(in[0], in[1], 1, 0);
}
static cml_tensor *b_mm_nt(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_matmul(in[0], in[1], 0, 1);
}
static cml_tensor *b_mm_tt(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_matmul(in[0], in[1], 1, 1);
}
static cml_tensor *b_linear(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_linear(in[0], in[1], in[2]);
}
static cml_tensor *b_dropout(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_dropout(in[0], 0.4);
}
static cml_tensor *b_embedding(cml_graph *g, cml_tensor **in)
{
    (void)g;
    static const int64_t ids[5] = {3, 0, 3, 1, 4};
    return cml_t_embedding(in[0], ids, 5);
}
static cml_tensor *b_concat0(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_concat(in[0], in[1], 0);
}
static cml_tensor *b_concat1(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_concat(in[0], in[1], 1);
}
static cml_tensor *b_layernorm(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_layernorm(in[0], in[1], in[2], 1e-5);
}
static cml_tensor *b_conv(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_conv2d(in[0], in[1], in[2], 1, 1, 1, 1);
}
static cml_tensor *b_conv_sdg(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_conv2d(in[0], in[1], in[2], 2, 2, 2, 2);
}
static cml_tensor *b_maxpool(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_maxpool2d(in[0], 3, 2, 1);
}
static cml_tensor *b_avgpool(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_avgpool2d(in[0], 2, 2, 1);
}
static double bn_rm[3], bn_rv[3];
static cml_tensor *b_bn(cml_graph *g, cml_tensor **in)
{
    (void)g;
    for (int i = 0; i < 3; i++) {
        bn_rm[i] = 0.1 * i;
        bn_rv[i] = 1.0 + 0.5 * i;
    }
    return cml_t_batchnorm(in[0], in[1], in[2], bn_rm, bn_rv, 1e-5, 0.1);
}
static cml_tensor *b_bn_relu(cml_graph *g, cml_tensor **in)
{
    (void)g;
    for (int i = 0; i < 3; i++) {
        bn_rm[i] = 0.1 * i;
        bn_rv[i] = 1.0 + 0.5 * i;
    }
    return cml_t_batchnorm_relu(in[0], in[1], in[2], bn_rm, bn_rv, 1e-5, 0.1);
}
static cml_tensor *b_transpose(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_mul(cml_t_transpose(in[0], 0, 2), cml_t_transpose(in[0], 0, 2));
}
static cml_tensor *b_slice_reshape(cml_graph *g, cml_tensor **in)
{
    (void)g;
    int64_t sh[2] = {3, 2};
    return cml_t_tanh(cml_t_reshape(cml_t_slice(in[0], 1, 1, 4), 2, sh));
}
static cml_tensor *b_broadcast(cml_graph *g, cml_tensor **in)
{
    (void)g;
    int64_t sh[3] = {4, 2, 3};
    return cml_t_sigmoid(cml_t_broadcast(in[0], 3, sh));
}
static cml_loss_kind loss_kind;
static double loss_p0, loss_p1;
static cml_tensor *b_loss(cml_graph *g, cml_tensor **in)
{
    (void)g;
    return cml_t_loss(in[0], in[1], loss_kind, loss_p0, loss_p1);
}
static const double ce_w[4] = {0.5, 2.0, 1.0, 1.5};
static int ce_weighted;
static double ce_smooth;
static cml_tensor *b_ce(cml_graph *g, cml_tensor **in)
{
    (void)g;
    static const int64_t y[5] = {1, 3, 0, 2, 1};
    return cml_t_cross_entropy(in[0], y, ce_weighted ? ce_w : NULL, ce_smooth);
}

/* ---- tests */

static void test_elementwise(void **state)
{
    (void)state;
    gc_input same[2] = {IN(2, 3, 4), IN(2, 3, 4)};
    gc_input bc[2] = {IN(3, 2, 3, 4), IN(2, 1, 4)};
    gc_input divs[2] = {IN(2, 3, 4), INP(2, 3, 4)};
    gradcheck("add", b_add_bc, 2, same, 0);
    gradcheck("add broadcast", b_add_bc, 2, bc, 0);
    gradcheck("sub broadcast", b_sub_bc, 2, bc, 0);
    gradcheck("mul broadcast", b_mul_bc, 2, bc, 0);
    gradcheck("div", b_div, 2, divs, 0);
    gc_input one[1] = {IN(2, 3, 5)};
    gradcheck("scale", b_scale, 1, one, 0);
    gradcheck("relu", b_relu, 1, one, 0);
    gradcheck("gelu", b_gelu, 1, one, 0);
    gradcheck("sigmoid", b_sigmoid, 1, one, 0);
    gradcheck("tanh", b_tanh, 1, one, 0);
    gradcheck("softmax", b_softmax, 1, one, 0);
    gradcheck("log_softmax", b_logsm, 1, one, 0);
    gradcheck("sum last", b_sum_last, 1, one, 0);
    gradcheck("mean all", b_mean_all, 1, one, 0);
    gradcheck("mean last", b_mean_last, 1, one, 0);
}

static void test_views(void **state)
{
    (void)state;
    gc_input t3[1] = {IN(3, 2, 3, 4)};
    gradcheck("transpose", b_transpose, 1, t3, 0);
    gc_input t2[1] = {IN(2, 2, 5)};
    gradcheck("slice+reshape", b_slice_reshape, 1, t2, 0);
    gc_input b1[1] = {IN(2, 1, 3)};
    gradcheck("broadcast", b_broadcast, 1, b1, 0);
}

static void test_matmul_linear(void **state)
{
    (void)state;
    gc_input nn[2] = {IN(2, 3, 4), IN(2, 4, 5)};
    gc_input tn[2] = {IN(2, 4, 3), IN(2, 4, 5)};
    gc_input nt[2] = {IN(2, 3, 4), IN(2, 5, 4)};
    gc_input tt[2] = {IN(2, 4, 3), IN(2, 5, 4)};
    gradcheck("matmul", b_mm_nn, 2, nn, 0);
    gradcheck("matmul a^T", b_mm_tn, 2, tn, 0);
    gradcheck("matmul b^T", b_mm_nt, 2, nt, 0);
    gradcheck("matmul a^T b^T", b_mm_tt, 2, tt, 0);
    gc_input lin[3] = {IN(2, 4, 3), IN(2, 5, 3), IN(1, 5)};
    gradcheck("linear", b_linear, 3, lin, 0);
}

static void test_misc_ops(void **state)
{
    (void)state;
    gc_input d[1] = {IN(2, 4, 6)};
    gradcheck("dropout", b_dropout, 1, d, 1);
    gc_input e[1] = {IN(2, 5, 3)};
    gradcheck("embedding", b_embedding, 1, e, 0);
    gc_input c0[2] = {IN(2, 2, 3), IN(2, 3, 3)};
    gc_input c1[2] = {IN(3, 2, 2, 3), IN(3, 2, 1, 3)};
    gradcheck("concat dim 0", b_concat0, 2, c0, 0);
    gradcheck("concat dim 1", b_concat1, 2, c1, 0);
    gc_input ln[3] = {IN(2, 3, 6), IN(1, 6), IN(1, 6)};
    gradcheck("layernorm", b_layernorm, 3, ln, 0);
}

static void test_conv_pool_bn(void **state)
{
    (void)state;
    gc_input c[3] = {IN(4, 2, 3, 5, 4), IN(4, 4, 3, 3, 3), IN(1, 4)};
    gradcheck("conv2d", b_conv, 3, c, 0);
    gc_input cg[3] = {IN(4, 2, 4, 7, 6), IN(4, 6, 2, 3, 2), IN(1, 6)};
    gradcheck("conv2d stride/pad/dilation/groups", b_conv_sdg, 3, cg, 0);
    /* 17x17 outputs: one image per chunk, 20 chunks in 16 dW slots (two share one);
     * the input is held constant to keep the finite differences few (dX per chunk is
     * covered above and by test_conv_thread_independent) */
    gc_input cm[3] = {INC(4, 20, 1, 17, 17), IN(4, 2, 1, 3, 3), IN(1, 2)};
    gradcheck("conv2d many chunks", b_conv, 3, cm, 0);
    gc_input p[1] = {IN(4, 2, 2, 5, 6)};
    gradcheck("maxpool", b_maxpool, 1, p, 0);
    gradcheck("avgpool", b_avgpool, 1, p, 0);
    gc_input bn[3] = {IN(4, 4, 3, 2, 2), IN(1, 3), IN(1, 3)};
    gradcheck("batchnorm train", b_bn, 3, bn, 1);
    gradcheck("batchnorm eval", b_bn, 3, bn, 0);
    gc_input bn2[3] = {IN(2, 5, 3), IN(1, 3), IN(1, 3)};
    gradcheck("batchnorm 1d", b_bn, 3, bn2, 1);
    gradcheck("batchnorm+relu train", b_bn_relu, 3, bn, 1);
    gradcheck("batchnorm+relu eval", b_bn_relu, 3, bn, 0);
    /* 86 KB images: blocks of 3 images and a short last block of 2, merged by
     * Chan's update (x held constant to keep the finite differences few; dx
     * across blocks is checked in test_bn_blocks) */
    gc_input bnb[3] = {INC(4, 5, 3, 60, 60), IN(1, 3), IN(1, 3)};
    gradcheck("batchnorm many blocks", b_bn, 3, bnb, 1);
    gradcheck("batchnorm+relu many blocks", b_bn_relu, 3, bnb, 1);
    gc_input ar[2] = {IN(4, 2, 3, 4, 5), IN(4, 2, 3, 4, 5)};
    gradcheck("add+relu", b_add_relu, 2, ar, 0);
    gradcheck("add+relu of x and x", b_add_relu_self, 1, ar, 0);
    gc_input arb[2] = {IN(2, 4, 5), IN(1, 5)};
    gradcheck("add+relu broadcast", b_add_relu, 2, arb, 0);
}

/* For the fused-op tests: copies out (4-d, nx floats) to y, then runs the
 * backward of sum(out * r) for a fixed r and frees the graph. */
static void fused_run_backward(cml_graph *g, cml_tensor *out, const int64_t *xs, int64_t nx,
                               float *y)
{
    cml_tensor *r = cml_t_new(g, CML_F32, 4, xs);
    assert_non_null(r);
    for (int64_t i = 0; i < nx; i++)
        ((float *)r->data)[i] = (float)cos(0.11 * (double)i);
    cml_tensor *loss = cml_t_sum(cml_t_mul(out, r), 0);
    assert_int_equal(cml_graph_status(g), CML_OK);
    memcpy(y, out->data, (size_t)nx * sizeof *y);
    assert_int_equal(cml_graph_backward(g, loss), CML_OK);
    cml_graph_free(g);
}

/* cml_t_add_relu is relu(add(a, b)) bit for bit in float: output and both
 * gradients, above the parallel threshold. */
static void test_add_relu_fused_equals_ops(void **state)
{
    (void)state;
    enum { NX = 8 * 5 * 30 * 30 };
    const int64_t xs[4] = {8, 5, 30, 30}, nx = NX;
    static float a[NX], b[NX], ga[2][NX], gb[2][NX], y[2][NX];
    for (int64_t i = 0; i < nx; i++) {
        a[i] = (float)sin(0.37 * (double)i) * 2.0f;
        b[i] = (float)cos(0.23 * (double)i);
    }
    for (int fused = 0; fused < 2; fused++) {
        memset(ga[fused], 0, sizeof ga[fused]);
        memset(gb[fused], 0, sizeof gb[fused]);
        cml_graph *g = cml_graph_new(NULL);
        assert_non_null(g);
        cml_tensor *A = cml_t_wrap(g, CML_F32, 4, xs, a, ga[fused]);
        cml_tensor *B = cml_t_wrap(g, CML_F32, 4, xs, b, gb[fused]);
        cml_tensor *out = fused ? cml_t_add_relu(A, B) : cml_t_relu(cml_t_add(A, B));
        fused_run_backward(g, out, xs, nx, y[fused]);
    }
    assert_memory_equal(y[0], y[1], sizeof y[0]);
    assert_memory_equal(ga[0], ga[1], sizeof ga[0]);
    assert_memory_equal(gb[0], gb[1], sizeof gb[0]);
}

/* cml_t_batchnorm_relu is relu(batchnorm(x)) bit for bit in float: output and
 * the gradients of x, gamma, beta (training and eval; a 2-thread pool run). */
static void test_bn_relu_fused_equals_ops(void **state)
{
    (void)state;
    enum { NX = 8 * 5 * 30 * 30 }; /* above the parallel threshold */
    const int64_t xs[4] = {8, 5, 30, 30}, cs[1] = {5}, nx = NX;
    static float x[NX], gx[2][NX], y[2][NX];
    float ga[5], be[5], gg[2][5], gb[2][5];
    for (int64_t i = 0; i < nx; i++)
        x[i] = (float)sin(0.37 * (double)i) * 2.0f;
    for (int i = 0; i < 5; i++) {
        ga[i] = 0.5f + 0.2f * (float)i;
        be[i] = 0.3f * (float)(i - 2);
    }
    for (int training = 0; training < 2; training++) {
        for (int fused = 0; fused < 2; fused++) {
            float rm[5] = {0.1f, 0, -0.1f, 0.2f, 0}, rv[5] = {1, 2, 0.5f, 1.5f, 1};
            memset(gx[fused], 0, sizeof gx[fused]);
            memset(gg[fused], 0, sizeof gg[fused]);
            memset(gb[fused], 0, sizeof gb[fused]);
            cml_graph *g = cml_graph_new(NULL);
            assert_non_null(g);
            cml_graph_set_training(g, training);
            cml_tensor *X = cml_t_wrap(g, CML_F32, 4, xs, x, gx[fused]);
            cml_tensor *G = cml_t_wrap(g, CML_F32, 1, cs, ga, gg[fused]);
            cml_tensor *B = cml_t_wrap(g, CML_F32, 1, cs, be, gb[fused]);
            cml_tensor *out = fused ? cml_t_batchnorm_relu(X, G, B, rm, rv, 1e-5, 0.1)
                                    : cml_t_relu(cml_t_batchnorm(X, G, B, rm, rv, 1e-5, 0.1));
            fused_run_backward(g, out, xs, nx, y[fused]);
        }
        assert_memory_equal(y[0], y[1], sizeof y[0]);
        assert_memory_equal(gx[0], gx[1], sizeof gx[0]);
        assert_memory_equal(gg[0], gg[1], sizeof gg[0]);
        assert_memory_equal(gb[0], gb[1], sizeof gb[0]);
    }
}

/* Batch norm + ReLU over several image blocks (64 KB images: blocks of 4,
 * the last of 1) on data far from zero mean, against the textbook formulas
 * in double (means that drift across images: the blocks' means differ, so a
 * wrong merge shows): output, running statistics and the gradients of x, gamma and
 * beta; and the same bits with 1 and 3 threads. */
static void test_bn_blocks(void **state)
{
    (void)state;
    enum { N = 13, C = 4, S = 64 * 64, NX = N * C * S };
    const int64_t xs[4] = {N, C, 64, 64}, cs[1] = {C};
    static float x[NX], gx[2][NX], y[2][NX];
    float ga[C] = {0.5f, 1.0f, 1.5f, 2.0f}, be[C] = {-0.3f, 0.1f, 0.2f, 0}, gg[2][C], gb[2][C];
    float rm[2][C], rv[2][C];
    for (int64_t i = 0; i < NX; i++)
        x[i] = 40.0f + 1.5f * (float)(i / (C * S)) + 10.0f * (float)(i / S % C) +
               3.0f * (float)sin(0.37 * (double)i); /* block means differ */
    for (int run = 0; run < 2; run++) {
        cml_set_num_threads(run ? 3 : 1);
        for (int c = 0; c < C; c++) {
            rm[run][c] = 0.5f;
            rv[run][c] = 2.0f;
        }
        memset(gx[run], 0, sizeof gx[run]);
        memset(gg[run], 0, sizeof gg[run]);
        memset(gb[run], 0, sizeof gb[run]);
        cml_graph *g = cml_graph_new(NULL);
        assert_non_null(g);
        cml_graph_set_training(g, 1);
        cml_tensor *X = cml_t_wrap(g, CML_F32, 4, xs, x, gx[run]);
        cml_tensor *G = cml_t_wrap(g, CML_F32, 1, cs, ga, gg[run]);
        cml_tensor *B = cml_t_wrap(g, CML_F32, 1, cs, be, gb[run]);
        fused_run_backward(g, cml_t_batchnorm_relu(X, G, B, rm[run], rv[run], 1e-5, 0.1), xs, NX,
                           y[run]);
    }
    cml_set_num_threads(2);
    assert_memory_equal(y[0], y[1], sizeof y[0]);
    assert_memory_equal(gx[0], gx[1], sizeof gx[0]);
    assert_memory_equal(gg[0], gg[1], sizeof gg[0]);
    assert_memory_equal(gb[0], gb[1], sizeof gb[0]);
    assert_memory_equal(rm[0], rm[1], sizeof rm[0]);
    assert_memory_equal(rv[0], rv[1], sizeof rv[0]);
    double M = (double)N * S;
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0, sg = 0, sgx = 0;
        for (int n = 0; n < N; n++)
            for (int i = 0; i < S; i++)
                m += x[(n * C + c) * S + i];
        m /= M;
        for (int n = 0; n < N; n++)
            for (int i = 0; i < S; i++)
                v += (x[(n * C + c) * S + i] - m) * (x[(n * C + c) * S + i] - m);
        v /= M;
        double r = 1 / sqrt(v + 1e-5);
        assert_float_equal(rm[0][c], 0.9 * 0.5 + 0.1 * m, 1e-5 * fabs(m));
        assert_float_equal(rv[0][c], 0.9 * 2.0 + 0.1 * v * M / (M - 1), 1e-5);
        for (int pass = 0; pass < 2; pass++)
            for (int n = 0; n < N; n++)
                for (int i = 0; i < S; i++) {
                    int64_t k = (n * C + c) * S + i;
                    double xh = (x[k] - m) * r, yk = ga[c] * xh + be[c];
                    /* d sum(y R) / dy, masked by the output's own sign (a
                     * double y within rounding of 0 could fall either side) */
                    double gk = y[0][k] > 0 ? cos(0.11 * (double)k) : 0;
                    if (pass == 0) {
                        assert_float_equal(y[0][k], yk > 0 ? yk : 0, 1e-4);
                        sg += gk;
                        sgx += gk * xh;
                        continue;
                    }
                    double dx = ga[c] * r * (gk - sg / M - xh * sgx / M);
                    assert_float_equal(gx[0][k], dx, 1e-6);
                }
        assert_float_equal(gb[0][c], sg, 1e-4 * (1 + fabs(sg)));
        assert_float_equal(gg[0][c], sgx, 1e-4 * (1 + fabs(sgx)));
    }
}

/* A linear layer big enough to run in blocks (columns of y, rows of dx and
 * dW, over threads): the same bits with 1 and 3 threads, and the values of
 * whole BLAS calls (the BLAS's edge tiles round differently when a block
 * ends elsewhere, so to float precision): output, dx, dW and db. */
static void expect_close_f(const float *a, const float *b, int n)
{
    for (int i = 0; i < n; i++)
        assert_float_equal(a[i], b[i], 1e-5 * (1 + fabs(b[i])));
}

static void test_linear_blocks(void **state)
{
    (void)state;
    enum { N = 300, K = 200, M = 272 }; /* 272 = two 128-column blocks and a short one */
    const int64_t xs[2] = {N, K}, ws[2] = {M, K}, bs[1] = {M};
    static float x[N * K], w[M * K], b[M], r[N * M], y[2][N * M], ref[N * M];
    static float gx[2][N * K], gw[2][M * K], gb[2][M], rx[N * K], rw[M * K];
    for (int i = 0; i < N * K; i++)
        x[i] = (float)sin(0.1 * i);
    for (int i = 0; i < M * K; i++)
        w[i] = (float)cos(0.07 * i);
    for (int i = 0; i < M; i++)
        b[i] = (float)(0.01 * i);
    for (int i = 0; i < N * M; i++)
        r[i] = (float)cos(0.13 * i);
    /* references: one call each */
    for (int i = 0; i < N; i++)
        memcpy(ref + i * M, b, sizeof b);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, M, K, 1, x, K, w, K, 1, ref, M);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, K, M, 1, r, M, w, K, 0, rx, K);
    memset(rw, 0, sizeof rw);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, K, N, 1, r, M, x, K, 1, rw, K);
    for (int run = 0; run < 2; run++) {
        cml_set_num_threads(run ? 3 : 1);
        memset(gx[run], 0, sizeof gx[run]);
        memset(gw[run], 0, sizeof gw[run]);
        memset(gb[run], 0, sizeof gb[run]);
        cml_graph *g = cml_graph_new(NULL);
        cml_tensor *X = cml_t_wrap(g, CML_F32, 2, xs, x, gx[run]);
        cml_tensor *W = cml_t_wrap(g, CML_F32, 2, ws, w, gw[run]);
        cml_tensor *B = cml_t_wrap(g, CML_F32, 1, bs, b, gb[run]);
        cml_tensor *Y = cml_t_linear(X, W, B);
        cml_tensor *R = cml_t_wrap(g, CML_F32, 2, Y->shape, r, NULL);
        cml_tensor *L = cml_t_sum(cml_t_mul(Y, R), 0);
        assert_int_equal(cml_graph_status(g), CML_OK);
        memcpy(y[run], Y->data, sizeof y[run]);
        assert_int_equal(cml_graph_backward(g, L), CML_OK);
        cml_graph_free(g);
    }
    cml_set_num_threads(2);
    assert_memory_equal(y[0], y[1], sizeof y[0]);
    assert_memory_equal(gx[0], gx[1], sizeof gx[0]);
    assert_memory_equal(gw[0], gw[1], sizeof gw[0]);
    assert_memory_equal(gb[0], gb[1], sizeof gb[0]);
    expect_close_f(y[0], ref, N * M);
    expect_close_f(gx[0], rx, N * K);
    expect_close_f(gw[0], rw, M * K);
}

static void test_losses(void **state)
{
    (void)state;
    gc_input reg[2] = {IN(2, 4, 3), IN(2, 4, 3)};
    gc_input bin[2] = {IN(2, 4, 3), {2, {4, 3}, 0, 1}};
    struct {
        cml_loss_kind k;
        double p0, p1;
        const char *name;
        gc_input *in;
    } cases[] = {{CML_LOSS_MSE, 0, 0, "mse", reg},
                 {CML_LOSS_L1, 0, 0, "l1", reg},
                 {CML_LOSS_HUBER, 0.7, 0, "huber", reg},
                 {CML_LOSS_SMOOTH_L1, 0.7, 0, "smooth_l1", reg},
                 {CML_LOSS_BCE_LOGITS, 0, 0, "bce_with_logits", bin},
                 {CML_LOSS_FOCAL, 0.25, 2, "focal", bin},
                 {CML_LOSS_FOCAL, -1, 1.5, "focal no alpha", bin}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        loss_kind = cases[i].k;
        loss_p0 = cases[i].p0;
        loss_p1 = cases[i].p1;
        gradcheck(cases[i].name, b_loss, 2, cases[i].in, 0);
    }
    gc_input ce[1] = {IN(2, 5, 4)};
    ce_weighted = 0;
    ce_smooth = 0;
    gradcheck("cross_entropy", b_ce, 1, ce, 0);
    ce_weighted = 1;
    ce_smooth = 0.1;
    gradcheck("cross_entropy weighted smoothed", b_ce, 1, ce, 0);
}

/* Values of the loss functions themselves, against closed forms. */
static void test_loss_values(void **state)
{
    (void)state;
    cml_graph *g = cml_graph_new(NULL);
    double x[2] = {2.0, -1.0}, t[2] = {1.0, 0.0};
    int64_t sh[1] = {2};
    cml_tensor *X = cml_t_wrap(g, CML_F64, 1, sh, x, NULL),
               *T = cml_t_wrap(g, CML_F64, 1, sh, t, NULL);
    double bce = (log1p(exp(-2.0)) + log1p(exp(-1.0))) / 2;
    assert_true(fabs(cml_t_get(cml_t_loss(X, T, CML_LOSS_BCE_LOGITS, 0, 0), 0) - bce) < 1e-12);
    assert_true(fabs(cml_t_get(cml_t_loss(X, T, CML_LOSS_MSE, 0, 0), 0) - 1.0) < 1e-12);
    /* huber(delta=0.5): both |d| = 1 -> 0.5 * (1 - 0.25) */
    assert_true(fabs(cml_t_get(cml_t_loss(X, T, CML_LOSS_HUBER, 0.5, 0), 0) - 0.375) < 1e-12);
    /* cross entropy of uniform logits is log C */
    double z[6] = {0};
    int64_t s2[2] = {2, 3}, y[2] = {0, 2};
    cml_tensor *Z = cml_t_wrap(g, CML_F64, 2, s2, z, NULL);
    assert_true(fabs(cml_t_get(cml_t_cross_entropy(Z, y, NULL, 0.2), 0) - log(3.0)) < 1e-12);
    assert_int_equal(cml_graph_status(g), CML_OK);
    cml_graph_free(g);
}

/* The float and double instances are the same code: results agree to f32 precision. */
static void test_f32_matches_f64(void **state)
{
    (void)state;
    cml_graph *g = cml_graph_new(NULL);
    int64_t xs[4] = {2, 3, 6, 6}, ws[4] = {4, 3, 3, 3};
    cml_tensor *x64 = cml_t_new(g, CML_F64, 4, xs), *w64 = cml_t_new(g, CML_F64, 4, ws);
    cml_tensor *x32 = cml_t_new(g, CML_F32, 4, xs), *w32 = cml_t_new(g, CML_F32, 4, ws);
    for (int64_t i = 0; i < cml_t_numel(x64); i++)
        ((double *)x64->data)[i] = ((float *)x32->data)[i] = (float)sin((double)i);
    for (int64_t i = 0; i < cml_t_numel(w64); i++)
        ((double *)w64->data)[i] = ((float *)w32->data)[i] = (float)cos((double)i);
    cml_tensor *y64 =
        cml_t_gelu(cml_t_maxpool2d(cml_t_conv2d(x64, w64, NULL, 1, 1, 1, 1), 2, 2, 0));
    cml_tensor *y32 =
        cml_t_gelu(cml_t_maxpool2d(cml_t_conv2d(x32, w32, NULL, 1, 1, 1, 1), 2, 2, 0));
    assert_int_equal(cml_graph_status(g), CML_OK);
    for (int64_t i = 0; i < cml_t_numel(y64); i++)
        assert_true(fabs(cml_t_get(y64, i) - cml_t_get(y32, i)) < 1e-4);
    cml_graph_free(g);
}

static void test_shape_errors(void **state)
{
    (void)state;
    cml_graph *g = cml_graph_new(NULL);
    int64_t a[2] = {3, 4}, b[2] = {5, 6};
    cml_tensor *A = cml_t_new(g, CML_F32, 2, a), *B = cml_t_new(g, CML_F32, 2, b);
    assert_null(cml_t_matmul(A, B, 0, 0));
    assert_int_equal(cml_graph_status(g), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "matmul"));
    /* once failed, later ops return NULL without running */
    assert_null(cml_t_relu(A));
    cml_graph_reset(g);
    assert_null(cml_t_add(A = cml_t_new(g, CML_F32, 2, a), cml_t_new(g, CML_F32, 2, b)));
    assert_non_null(strstr(cml_last_error(), "broadcast"));
    cml_graph_reset(g);
    int64_t x[4] = {1, 1, 3, 3}, w[4] = {2, 1, 5, 5};
    assert_null(
        cml_t_conv2d(cml_t_new(g, CML_F32, 4, x), cml_t_new(g, CML_F32, 4, w), NULL, 1, 0, 1, 1));
    assert_non_null(strstr(cml_last_error(), "smaller than"));
    cml_graph_free(g);
}

/* conv2d output and gradients (f32, several chunks and dW slots) are
 * bit-identical whatever the thread count. */
static void test_conv_thread_independent(void **state)
{
    (void)state;
    const int64_t xs[4] = {37, 3, 20, 20}, ws[4] = {8, 3, 3, 3};
    conv_check_threads(xs, ws, 2, 1);
}

/* Grads are not zeroed up front: a node with several consumers sums them
 * (the first overwrites, the rest add), an op using one source twice gets
 * both terms, and a node no gradient reaches reads as zero. */
static void test_grad_accumulation(void **state)
{
    (void)state;
    cml_graph *g = cml_graph_new(NULL);
    int64_t sh[1] = {5};
    float xd[5] = {-2, -0.5f, 0.25f, 1, 3}, gx[5] = {0};
    cml_tensor *x = cml_t_wrap(g, CML_F32, 1, sh, xd, gx);
    cml_tensor *h = cml_t_scale(x, 2);                         /* h = 2x */
    cml_tensor *dead = cml_t_relu(h);                          /* not in the loss */
    cml_tensor *u = cml_t_add(cml_t_relu(h), cml_t_mul(h, h)); /* relu(h) + h^2 */
    cml_tensor *L = cml_t_sum(cml_t_add(u, h), 0);             /* + h */
    assert_int_equal(cml_graph_status(g), CML_OK);
    assert_int_equal(cml_graph_backward(g, L), CML_OK);
    for (int i = 0; i < 5; i++) {
        float hv = 2 * xd[i];
        /* dL/dh = [h > 0] + 2h + 1, dL/dx = 2 dL/dh */
        assert_float_equal(((float *)h->grad)[i], (hv > 0) + 2 * hv + 1, 1e-6);
        assert_float_equal(gx[i], 2 * ((hv > 0) + 2 * hv + 1), 1e-6);
        assert_float_equal(((float *)dead->grad)[i], 0, 0);
    }
    cml_graph_free(g);
}

int main(void)
{
    cml_set_num_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_matmul_linear),
        cmocka_unit_test(test_misc_ops),
        cmocka_unit_test(test_conv_pool_bn),
        cmocka_unit_test(test_bn_relu_fused_equals_ops),
        cmocka_unit_test(test_bn_blocks),
        cmocka_unit_test(test_linear_blocks),
        cmocka_unit_test(test_add_relu_fused_equals_ops),
        cmocka_unit_test(test_losses),
        cmocka_unit_test(test_loss_values),
        cmocka_unit_test(test_f32_matches_f64),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_conv_thread_independent),
        cmocka_unit_test(test_grad_accumulation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
