/*
 * test_tensor_conv.c — conv2d's two CPU paths (the direct stride-1 "same"
 * kernels and im2col + GEMM for every other shape) against a naive
 * convolution in double: output, dX, dW and db, on odd shapes (batch 1,
 * channel counts that are not a multiple of the kernels' blocks, 1x1 and
 * 5x5 kernels, stride 2, dilation, groups, no padding, more chunks than dW
 * slots, stride-2 rows longer than one vector, cells no tap reads), in
 * float and double; one input shared by two convs (the gradient stored by
 * the first backward, added to by the second); dW alone when the input
 * takes no gradient; and thread-count
 * independence of the direct path's results, bit for bit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv_threads.h"
#include "golden.h"
#include "tensor/tensor.h"

typedef struct conv_case {
    int64_t N, C, H, W, O, K;
    int s, p, d, gr;
} conv_case;

static int64_t out_dim(int64_t in, const conv_case *c)
{
    return (in + 2 * c->p - c->d * (c->K - 1) - 1) / c->s + 1;
}

/* y = conv(x, w) + b; given dY = r: dx, dw, db (all double, naive loops) */
static void reference(const conv_case *c, const double *x, const double *w, const double *b,
                      const double *r, double *y, double *dx, double *dw, double *db)
{
    int64_t OH = out_dim(c->H, c), OW = out_dim(c->W, c), Cg = c->C / c->gr, Og = c->O / c->gr;
    memset(dx, 0, (size_t)(c->N * c->C * c->H * c->W) * sizeof *dx);
    memset(dw, 0, (size_t)(c->O * Cg * c->K * c->K) * sizeof *dw);
    memset(db, 0, (size_t)c->O * sizeof *db);
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t o = 0; o < c->O; o++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    int64_t yi = ((n * c->O + o) * OH + oh) * OW + ow;
                    double s = b[o];
                    for (int64_t ci = 0; ci < Cg; ci++)
                        for (int64_t kh = 0; kh < c->K; kh++)
                            for (int64_t kw = 0; kw < c->K; kw++) {
                                int64_t ih = oh * c->s - c->p + kh * c->d;
                                int64_t iw = ow * c->s - c->p + kw * c->d;
                                if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                                int64_t ch = (o / Og) * Cg + ci;
                                int64_t xi = ((n * c->C + ch) * c->H + ih) * c->W + iw;
                                int64_t wi = ((o * Cg + ci) * c->K + kh) * c->K + kw;
                                s += w[wi] * x[xi];
                                dx[xi] += w[wi] * r[yi];
                                dw[wi] += x[xi] * r[yi];
                            }
                    y[yi] = s;
                    db[o] += r[yi];
                }
}

static double max_abs(const double *a, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

/* |engine - reference| <= tol * max|reference| elementwise */
static void expect_close(const char *what, const conv_case *c, const cml_tensor *t,
                         const void *data, const double *ref, int64_t n, double tol)
{
    double scale = fmax(max_abs(ref, n), 1e-12), worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = t->dtype == CML_F64 ? ((const double *)data)[i] : ((const float *)data)[i];
        worst = fmax(worst, fabs(v - ref[i]) / scale);
    }
    if (!(worst <= tol))
        fail_msg("%s: conv N%lld C%lld %lldx%lld -> O%lld K%lld s%d p%d d%d g%d: relative error "
                 "%.3g > %.3g",
                 what, (long long)c->N, (long long)c->C, (long long)c->H, (long long)c->W,
                 (long long)c->O, (long long)c->K, c->s, c->p, c->d, c->gr, worst, tol);
}

static void fill(double *a, int64_t n, cml_rng *rng)
{
    for (int64_t i = 0; i < n; i++)
        a[i] = 2 * cml_rng_uniform(rng) - 1;
}

/* xgrad 0: the input takes no gradient (a network's first layer), only dW
 * and db are computed and checked */
static void check_case(const conv_case *c, cml_dtype dt, int xgrad)
{
    int64_t OH = out_dim(c->H, c), OW = out_dim(c->W, c), Cg = c->C / c->gr;
    int64_t nx = c->N * c->C * c->H * c->W, nw = c->O * Cg * c->K * c->K,
            ny = c->N * c->O * OH * OW;
    double *x = malloc((size_t)nx * sizeof *x), *w = malloc((size_t)nw * sizeof *w);
    double *b = malloc((size_t)c->O * sizeof *b), *r = malloc((size_t)ny * sizeof *r);
    double *y = malloc((size_t)ny * sizeof *y), *dx = malloc((size_t)nx * sizeof *dx);
    double *dw = malloc((size_t)nw * sizeof *dw), *db = malloc((size_t)c->O * sizeof *db);
    assert_true(x && w && b && r && y && dx && dw && db);
    cml_rng rng;
    cml_rng_seed(&rng, 11);
    fill(x, nx, &rng);
    fill(w, nw, &rng);
    fill(b, c->O, &rng);
    fill(r, ny, &rng);
    reference(c, x, w, b, r, y, dx, dw, db);

    cml_graph *g = cml_graph_new(NULL);
    int64_t xs[4] = {c->N, c->C, c->H, c->W}, ws[4] = {c->O, Cg, c->K, c->K}, bs[1] = {c->O};
    size_t es = cml_dtype_size(dt);
    void *xd = malloc((size_t)nx * es), *wd = malloc((size_t)nw * es), *bd = malloc(c->O * es);
    void *gx = calloc((size_t)nx, es), *gw = calloc((size_t)nw, es), *gb = calloc(c->O, es);
    assert_true(xd && wd && bd && gx && gw && gb);
    for (int64_t i = 0; i < nx; i++)
        dt == CML_F64 ? (((double *)xd)[i] = x[i]) : (((float *)xd)[i] = (float)x[i]);
    for (int64_t i = 0; i < nw; i++)
        dt == CML_F64 ? (((double *)wd)[i] = w[i]) : (((float *)wd)[i] = (float)w[i]);
    for (int64_t i = 0; i < c->O; i++)
        dt == CML_F64 ? (((double *)bd)[i] = b[i]) : (((float *)bd)[i] = (float)b[i]);
    cml_tensor *X = cml_t_wrap(g, dt, 4, xs, xd, xgrad ? gx : NULL);
    cml_tensor *Wt = cml_t_wrap(g, dt, 4, ws, wd, gw);
    cml_tensor *B = cml_t_wrap(g, dt, 1, bs, bd, gb);
    cml_tensor *Y = cml_t_conv2d(X, Wt, B, c->s, c->p, c->d, c->gr);
    assert_non_null(Y);
    cml_tensor *R = cml_t_new(g, dt, 4, Y->shape);
    for (int64_t i = 0; i < ny; i++)
        dt == CML_F64 ? (((double *)R->data)[i] = r[i]) : (((float *)R->data)[i] = (float)r[i]);
    cml_tensor *L = cml_t_sum(cml_t_mul(Y, R), 0);
    assert_int_equal(cml_graph_status(g), CML_OK);
    assert_int_equal(cml_graph_backward(g, L), CML_OK);
    double tol = dt == CML_F64 ? 1e-12 : 2e-5;
    expect_close("y", c, Y, Y->data, y, ny, tol);
    if (xgrad) expect_close("dx", c, X, gx, dx, nx, tol);
    expect_close("dw", c, Wt, gw, dw, nw, tol);
    expect_close("db", c, B, gb, db, c->O, tol);
    cml_graph_free(g);
    free(xd), free(wd), free(bd), free(gx), free(gw), free(gb);
    free(x), free(w), free(b), free(r), free(y), free(dx), free(dw), free(db);
}

static const conv_case cases[] = {
    /* direct path: stride 1, pad (K-1)/2, no dilation or groups */
    {70, 32, 20, 20, 8, 3, 1, 1, 1, 1},  /* 18 chunks > 16 dW slots (35 in double) */
    {1, 3, 5, 4, 4, 3, 1, 1, 1, 1},      /* batch 1, C and O below one block */
    {3, 5, 9, 7, 6, 5, 1, 2, 1, 1},      /* 5x5, 25 taps */
    {2, 4, 6, 6, 9, 1, 1, 0, 1, 1},      /* 1x1, no padding, O past one block */
    {5, 1, 28, 28, 6, 5, 1, 2, 1, 1},    /* LeNet's first layer */
    {3, 4, 7, 6, 5, 3, 1, 2, 1, 1},      /* pad past "same": output 9x8 */
    {5, 4, 9, 9, 6, 3, 2, 1, 1, 1},      /* stride 2, odd input: 5x5 */
    {40, 16, 28, 28, 32, 3, 2, 1, 1, 1}, /* ResNet's 16 -> 32 downsampling (fwd, dW: lanes) */
    {3, 6, 8, 7, 10, 1, 2, 0, 1, 1},     /* 1x1 stride 2 projection */
    {2, 3, 8, 8, 4, 5, 2, 2, 1, 1},      /* 5x5 stride 2 */
    {2, 3, 9, 37, 5, 3, 2, 1, 1, 1},     /* stride 2, rows of 19 cells: a full and a short vector */
    {2, 3, 9, 33, 4, 2, 2, 0, 1, 1},     /* 2x2 stride 2: last row and column read by no tap */
    /* lanes path (AVX-512 float builds): output channels a multiple of 16,
     * at most 14x14 outputs, kernel side 3..7; dX there too for stride 1
     * with input channels a multiple of 32 */
    {5, 32, 7, 7, 64, 3, 1, 1, 1, 1},   /* ResNet-8's 7x7 block: fwd, dW and dX, 4-vector blocks */
    {3, 64, 6, 5, 96, 3, 1, 1, 1, 1},   /* 64 + 32 output channels, non-square, dX 4-vector */
    {4, 32, 9, 9, 32, 5, 1, 2, 1, 1},   /* 5x5, 81 positions, 25 taps */
    {2, 7, 13, 11, 32, 3, 2, 1, 1, 1},  /* stride 2, odd sides: 7x6 outputs */
    {3, 32, 8, 8, 32, 3, 1, 0, 1, 1},   /* no padding: 6x6 */
    {3, 32, 13, 11, 32, 3, 2, 1, 1, 1}, /* stride 2, odd sides, 32 input channels */
    {2, 16, 11, 9, 32, 5, 2, 2, 1, 1},  /* 5x5 stride 2 */
    {3, 6, 14, 14, 16, 5, 1, 0, 1, 1},  /* LeNet's second conv: 1-vector blocks, dX by im2col */
    {2, 5, 9, 9, 48, 3, 2, 1, 1, 1},    /* 32 + 16 output channels, stride 2 */
    /* im2col + GEMM */
    {3, 4, 9, 9, 4, 3, 2, 0, 1, 1},   /* stride 2 without padding: a tap reads past the grid */
    {2, 3, 10, 10, 4, 3, 3, 1, 1, 1}, /* stride 3 */
    {3, 4, 9, 8, 4, 3, 1, 2, 2, 1},   /* dilation */
    {2, 4, 7, 7, 6, 3, 1, 1, 1, 2},   /* groups */
    {4, 3, 8, 8, 5, 3, 1, 0, 1, 1},   /* no padding */
    {1, 2, 7, 5, 3, 1, 1, 0, 2, 1},   /* 1x1 dilated (any dilation goes to im2col), batch 1 */
};

static void test_conv_paths_f32(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(&cases[i], CML_F32, 1);
}

static void test_conv_paths_f64(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(&cases[i], CML_F64, 1);
}

/* to dtype dt */
static void *convert(const double *a, int64_t n, cml_dtype dt)
{
    void *d = malloc((size_t)n * cml_dtype_size(dt));
    assert_non_null(d);
    for (int64_t i = 0; i < n; i++)
        dt == CML_F64 ? (((double *)d)[i] = a[i]) : (((float *)d)[i] = (float)a[i]);
    return d;
}

/*
 * One input feeding two convs (a ResNet block's main path and shortcut):
 * the first conv to run its backward stores the input's gradient, the
 * second adds to it (the direct path's "=" and "+=" unpacking). The input
 * is relu(X) with X > 0, an intermediate whose gradient starts fresh, and
 * dX = dX1 + dX2 against the naive reference.
 */
static void check_pair(const conv_case *c1, const conv_case *c2, cml_dtype dt)
{
    const conv_case *cs[2] = {c1, c2};
    int64_t nx = c1->N * c1->C * c1->H * c1->W, nw[2], ny[2];
    double *x = malloc((size_t)nx * sizeof *x), *dx = calloc((size_t)nx, sizeof *dx);
    double *dxk = malloc((size_t)nx * sizeof *dx);
    assert_true(x && dx && dxk);
    double *w[2], *b[2], *r[2], *y[2], *dw[2], *db[2];
    cml_rng rng;
    cml_rng_seed(&rng, 5);
    for (int64_t i = 0; i < nx; i++)
        x[i] = 0.1 + cml_rng_uniform(&rng);
    cml_graph *g = cml_graph_new(NULL);
    int64_t xs[4] = {c1->N, c1->C, c1->H, c1->W};
    void *xd = convert(x, nx, dt), *gx = calloc((size_t)nx, cml_dtype_size(dt));
    assert_non_null(gx);
    cml_tensor *X = cml_t_wrap(g, dt, 4, xs, xd, gx), *Xi = cml_t_relu(X), *L = NULL, *Wt[2];
    void *wd[2], *gw[2];
    for (int k = 0; k < 2; k++) {
        const conv_case *c = cs[k];
        nw[k] = c->O * c->C * c->K * c->K;
        ny[k] = c->N * c->O * out_dim(c->H, c) * out_dim(c->W, c);
        w[k] = malloc((size_t)nw[k] * sizeof(double));
        b[k] = calloc((size_t)c->O, sizeof(double));
        r[k] = malloc((size_t)ny[k] * sizeof(double));
        y[k] = malloc((size_t)ny[k] * sizeof(double));
        dw[k] = malloc((size_t)nw[k] * sizeof(double));
        db[k] = malloc((size_t)c->O * sizeof(double));
        assert_true(w[k] && b[k] && r[k] && y[k] && dw[k] && db[k]);
        fill(w[k], nw[k], &rng);
        fill(r[k], ny[k], &rng);
        reference(c, x, w[k], b[k], r[k], y[k], dxk, dw[k], db[k]);
        for (int64_t i = 0; i < nx; i++)
            dx[i] += dxk[i];
        int64_t ws[4] = {c->O, c->C, c->K, c->K};
        wd[k] = convert(w[k], nw[k], dt);
        gw[k] = calloc((size_t)nw[k], cml_dtype_size(dt));
        assert_non_null(gw[k]);
        Wt[k] = cml_t_wrap(g, dt, 4, ws, wd[k], gw[k]);
        cml_tensor *Y = cml_t_conv2d(Xi, Wt[k], NULL, c->s, c->p, 1, 1);
        assert_non_null(Y);
        cml_tensor *R = cml_t_new(g, dt, 4, Y->shape);
        void *rd = convert(r[k], ny[k], dt);
        memcpy(R->data, rd, (size_t)ny[k] * cml_dtype_size(dt));
        free(rd);
        cml_tensor *Lk = cml_t_sum(cml_t_mul(Y, R), 0);
        L = L ? cml_t_add(L, Lk) : Lk;
    }
    assert_int_equal(cml_graph_status(g), CML_OK);
    assert_int_equal(cml_graph_backward(g, L), CML_OK);
    double tol = dt == CML_F64 ? 1e-12 : 2e-5;
    expect_close("dx of two convs", c1, X, gx, dx, nx, tol);
    for (int k = 0; k < 2; k++) {
        expect_close("dw", cs[k], Wt[k], gw[k], dw[k], nw[k], tol);
        free(w[k]), free(b[k]), free(r[k]), free(y[k]), free(dw[k]), free(db[k]);
        free(wd[k]), free(gw[k]);
    }
    cml_graph_free(g);
    free(x), free(dx), free(dxk), free(xd), free(gx);
}

/* pairs of direct-path convs of one input */
static const conv_case pairs[][2] = {
    /* 3x3 stride 2 and its 1x1 stride-2 shortcut, odd rows of 19 cells */
    {{3, 3, 9, 37, 5, 3, 2, 1, 1, 1}, {3, 3, 9, 37, 6, 1, 2, 0, 1, 1}},
    /* two stride-1 3x3 convs */
    {{2, 4, 7, 7, 5, 3, 1, 1, 1, 1}, {2, 4, 7, 7, 3, 3, 1, 1, 1, 1}},
    /* 2x2 stride 2 leaves the last row and column to the 1x1 */
    {{2, 3, 9, 33, 4, 2, 2, 0, 1, 1}, {2, 3, 9, 33, 4, 1, 2, 0, 1, 1}},
    /* the 1x1 first: the 3x3 adds to a gradient with untouched cells */
    {{2, 3, 9, 33, 4, 1, 2, 0, 1, 1}, {2, 3, 9, 33, 4, 2, 2, 0, 1, 1}},
    /* 5x5 and 3x3 stride 2 */
    {{2, 3, 8, 20, 5, 5, 2, 2, 1, 1}, {2, 3, 8, 20, 4, 3, 2, 1, 1, 1}},
};

static void test_conv_shared_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        check_pair(&pairs[i][0], &pairs[i][1], CML_F32);
        check_pair(&pairs[i][0], &pairs[i][1], CML_F64);
    }
}

/* convs whose input takes no gradient: dW gathers dY's transpose straight
 * from the images where it can (O a multiple of 16) */
static const conv_case dw_only[] = {
    {37, 1, 28, 28, 16, 3, 1, 1, 1, 1}, /* a first layer: 10 chunks, the last of 1 image */
    {9, 3, 15, 15, 32, 3, 2, 1, 1, 1},  /* stride 2, odd input */
    {5, 2, 9, 9, 8, 3, 1, 1, 1, 1},     /* O = 8: through the packed dY */
};

static void test_conv_dw_only(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dw_only / sizeof *dw_only; i++) {
        check_case(&dw_only[i], CML_F32, 0);
        check_case(&dw_only[i], CML_F64, 0);
    }
}

/* Direct-path conv (10 chunks, 10 dW slots): y, dX, dW bit-identical for 1 and 3 threads. */
static void test_direct_thread_independent(void **state)
{
    (void)state;
    const int64_t xs[4] = {37, 3, 42, 42}, ws[4] = {8, 3, 3, 3};
    conv_check_threads(xs, ws, 1, 1);
}

/* dX written into a fresh graph-owned gradient (the conv's input is an op's
 * output: the kernels assign) equals dX added into a caller's zeroed one,
 * bit for bit, on the lanes (7x7) and padded-flat (28x28, and the
 * stride-2 phase planes) paths. */
static void test_dx_fresh_equals_accumulated(void **state)
{
    (void)state;
    const int64_t shapes[3][2][4] = {{{4, 32, 7, 7}, {64, 32, 3, 3}},
                                     {{2, 16, 28, 28}, {16, 16, 3, 3}},
                                     {{3, 16, 13, 13}, {32, 16, 3, 3}}}; /* stride 2 */
    for (int s = 0; s < 3; s++) {
        const int64_t *xs = shapes[s][0], *ws = shapes[s][1];
        int64_t nx = xs[0] * xs[1] * xs[2] * xs[3], nw = ws[0] * ws[1] * ws[2] * ws[3];
        float *x = malloc((size_t)nx * sizeof *x), *w = malloc((size_t)nw * sizeof *w);
        float *gx[2] = {calloc((size_t)nx, sizeof(float)), calloc((size_t)nx, sizeof(float))};
        assert_true(x && w && gx[0] && gx[1]);
        for (int64_t i = 0; i < nx; i++)
            x[i] = (float)sin(0.3 * (double)i);
        for (int64_t i = 0; i < nw; i++)
            w[i] = (float)cos(0.7 * (double)i);
        for (int route = 0; route < 2; route++) {
            cml_graph *g = cml_graph_new(NULL);
            cml_tensor *X = cml_t_wrap(g, CML_F32, 4, xs, x, gx[route]);
            cml_tensor *W = cml_t_wrap(g, CML_F32, 4, ws, w, NULL);
            cml_tensor *in = route ? cml_t_scale(X, 1.0) : X; /* x 1: exact both ways */
            cml_tensor *Y = cml_t_conv2d(in, W, NULL, s == 2 ? 2 : 1, 1, 1, 1);
            cml_tensor *R = cml_t_new(g, CML_F32, 4, Y->shape);
            for (int64_t i = 0; i < cml_t_numel(Y); i++)
                ((float *)R->data)[i] = (float)cos(0.11 * (double)i);
            cml_tensor *L = cml_t_sum(cml_t_mul(Y, R), 0);
            assert_int_equal(cml_graph_status(g), CML_OK);
            assert_int_equal(cml_graph_backward(g, L), CML_OK);
            cml_graph_free(g);
        }
        assert_memory_equal(gx[0], gx[1], (size_t)nx * sizeof(float));
        free(x), free(w), free(gx[0]), free(gx[1]);
    }
}

/* Lanes-path convs (fwd, dW, and dX for the stride-1 one): bit-identical
 * for 1 and 3 threads. */
static void test_lanes_thread_independent(void **state)
{
    (void)state;
    const int64_t xs[4] = {23, 32, 7, 7}, ws[4] = {64, 32, 3, 3};
    conv_check_threads(xs, ws, 1, 1);
    const int64_t xs2[4] = {19, 16, 14, 14}, ws2[4] = {32, 16, 3, 3};
    conv_check_threads(xs2, ws2, 2, 1);
    const int64_t xs3[4] = {37, 6, 14, 14}, ws3[4] = {16, 6, 5, 5}; /* LeNet's second conv */
    conv_check_threads(xs3, ws3, 1, 0);
}

int main(void)
{
    cml_set_num_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_paths_f32),
        cmocka_unit_test(test_conv_paths_f64),
        cmocka_unit_test(test_direct_thread_independent),
        cmocka_unit_test(test_lanes_thread_independent),
        cmocka_unit_test(test_dx_fresh_equals_accumulated),
        cmocka_unit_test(test_conv_shared_input),
        cmocka_unit_test(test_conv_dw_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
