/*
 * test_golden_nn.c — the engine against PyTorch 1.13 (tests/gen/gen_nn.py),
 * llm.c's method: a tiny MLP (BatchNorm1d in training mode, weighted and
 * label-smoothed cross-entropy) and a tiny CNN (conv, BatchNorm2d on running
 * stats, max-pool, dropout in eval mode) start from PyTorch's weights; the
 * logits, the loss and every parameter gradient must match within 1e-4
 * relative, and 10-step loss trajectories (SGD with Nesterov momentum and
 * weight decay, AdamW; SGD through BN in training mode) within 1e-3.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "golden.h"
#include "nn/nn_internal.h"

#define RTOL 1e-4
#define ATOL 1e-6

static golden *G;

static void load_net(nn_net *net, const char *pre, const char *spec, int nd, const int64_t *shape)
{
    assert_int_equal(nn_net_build(net, spec, nd, shape, 3, NN_INIT_DEFAULT, 0), CML_OK);
    char name[96];
    for (int i = 0; i < net->params.n_e; i++) {
        int64_t r, c;
        snprintf(name, sizeof name, "%s.p.%s", pre, net->params.e[i].name);
        const double *v = golden_get(G, name, &r, &c);
        assert_int_equal(r * c, net->params.e[i].n);
        float *p = nn_store_ptr(&net->params, i);
        for (int64_t k = 0; k < r * c; k++)
            p[k] = (float)v[k];
    }
    for (int i = 0; i < net->buffers.n_e; i++) {
        snprintf(name, sizeof name, "%s.b.%s", pre, net->buffers.e[i].name);
        if (!golden_has(G, name)) continue;
        const double *v = golden_get(G, name, NULL, NULL);
        float *p = nn_store_ptr(&net->buffers, i);
        for (int64_t k = 0; k < net->buffers.e[i].n; k++)
            p[k] = (float)v[k];
    }
}

typedef struct batch {
    float *x;
    int64_t *y, n, shape[4];
    int nd;
    double *w; /* class weights or NULL */
    double smoothing;
} batch;

static batch load_batch(const char *pre, int nd, const int64_t *in_shape)
{
    batch b;
    memset(&b, 0, sizeof b);
    char name[64];
    int64_t r, c;
    snprintf(name, sizeof name, "%s.x", pre);
    const double *x = golden_get(G, name, &r, &c);
    snprintf(name, sizeof name, "%s.y", pre);
    const double *y = golden_get(G, name, NULL, NULL);
    b.n = r;
    b.x = malloc((size_t)(r * c) * sizeof(float));
    b.y = malloc((size_t)r * sizeof(int64_t));
    for (int64_t i = 0; i < r * c; i++)
        b.x[i] = (float)x[i];
    for (int64_t i = 0; i < r; i++)
        b.y[i] = (int64_t)y[i];
    b.nd = nd + 1;
    b.shape[0] = r;
    memcpy(b.shape + 1, in_shape, (size_t)nd * sizeof *in_shape);
    return b;
}

/* forward + loss (+ backward when net->params.grad is set); returns loss */
static double step(nn_net *net, cml_graph *g, const batch *b, int training, cml_tensor **logits)
{
    cml_graph_reset(g);
    if (net->params.grad) memset(net->params.grad, 0, (size_t)net->params.n * sizeof(float));
    cml_tensor *x = cml_t_wrap(g, CML_F32, b->nd, b->shape, b->x, NULL);
    cml_tensor *z = nn_net_forward(net, g, x, training);
    cml_tensor *l = cml_t_cross_entropy(z, b->y, b->w, b->smoothing);
    assert_int_equal(cml_graph_status(g), CML_OK);
    assert_int_equal(cml_graph_backward(g, l), CML_OK);
    if (logits) *logits = z;
    return cml_t_get(l, 0);
}

static void check_forward_backward(nn_net *net, const char *pre, const batch *b, int training)
{
    cml_graph *g = cml_graph_new(NULL);
    cml_tensor *z;
    double loss = step(net, g, b, training, &z);
    char name[96];
    int64_t n = cml_t_numel(z);
    double *zd = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        zd[i] = cml_t_get(z, i);
    snprintf(name, sizeof name, "%s.logits", pre);
    assert_close(zd, golden_get(G, name, NULL, NULL), n, RTOL, ATOL, name);
    snprintf(name, sizeof name, "%s.loss", pre);
    assert_close(&loss, golden_get(G, name, NULL, NULL), 1, RTOL, 0, name);
    double maxrel = 0;
    for (int i = 0; i < net->params.n_e; i++) {
        const nn_pentry *e = &net->params.e[i];
        double *gd = malloc((size_t)e->n * sizeof(double));
        for (int64_t k = 0; k < e->n; k++)
            gd[k] = net->params.grad[e->offset + k];
        snprintf(name, sizeof name, "%s.g.%s", pre, e->name);
        const double *want = golden_get(G, name, NULL, NULL);
        assert_close(gd, want, e->n, RTOL, ATOL, name);
        for (int64_t k = 0; k < e->n; k++)
            if (fabs(want[k]) > 1e-3) maxrel = fmax(maxrel, fabs(gd[k] - want[k]) / fabs(want[k]));
        free(gd);
    }
    print_message("%s: max relative gradient difference vs PyTorch %.2e\n", pre, maxrel);
    free(zd);
    cml_graph_free(g);
}

static void check_trajectory(nn_net *net, const char *name, const batch *b, nn_opt_kind kind,
                             double lr, double mom, int nesterov, double wd)
{
    nn_optim o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    o.momentum = mom;
    o.nesterov = nesterov;
    o.weight_decay = wd;
    o.beta1 = 0.9;
    o.beta2 = 0.999;
    o.eps = 1e-8;
    assert_int_equal(nn_optim_init(&o, net->params.n), CML_OK);
    cml_graph *g = cml_graph_new(NULL);
    double traj[10];
    for (int s = 0; s < 10; s++) {
        traj[s] = step(net, g, b, 1, NULL);
        nn_optim_step(&o, net->params.data, net->params.grad, net->params.n, lr);
    }
    assert_close(traj, golden_get(G, name, NULL, NULL), 10, 1e-3, 0, name);
    nn_optim_free(&o);
    cml_graph_free(g);
}

static const char *const mlp_spec = "fc:8,bn,relu,fc:5,tanh";
static const char *const cnn_spec = "conv:4:3:1:1,bn,relu,maxpool:2,conv:6:3,relu,dropout:0.5";

static void test_mlp(void **state)
{
    (void)state;
    int64_t in[1] = {6};
    batch b = load_batch("mlp", 1, in);
    b.w = (double *)golden_get(G, "mlp.class_weight", NULL, NULL);
    b.smoothing = 0.1;
    nn_net net;
    load_net(&net, "mlp", mlp_spec, 1, in);
    check_forward_backward(&net, "mlp", &b, 1);
    nn_net_free(&net);
    load_net(&net, "mlp", mlp_spec, 1, in);
    check_trajectory(&net, "mlp.traj.sgd", &b, NN_SGD, 0.05, 0.9, 1, 0.01);
    nn_net_free(&net);
    load_net(&net, "mlp", mlp_spec, 1, in);
    check_trajectory(&net, "mlp.traj.adamw", &b, NN_ADAMW, 0.01, 0, 0, 0.1);
    nn_net_free(&net);
    free(b.x);
    free(b.y);
}

static void test_cnn(void **state)
{
    (void)state;
    int64_t in[3] = {1, 8, 8};
    batch b = load_batch("cnn", 3, in);
    nn_net net;
    load_net(&net, "cnn", cnn_spec, 3, in);
    check_forward_backward(&net, "cnn", &b, 0);
    /* inference mode (batch norm folded into the conv) gives PyTorch's logits too */
    cml_graph *g = cml_graph_new(NULL);
    cml_tensor *z =
        nn_net_forward(&net, g, cml_t_wrap(g, CML_F32, b.nd, b.shape, b.x, NULL), NN_INFER);
    assert_int_equal(cml_graph_status(g), CML_OK);
    double zd[64];
    assert_true(cml_t_numel(z) <= 64);
    for (int64_t i = 0; i < cml_t_numel(z); i++)
        zd[i] = cml_t_get(z, i);
    assert_close(zd, golden_get(G, "cnn.logits", NULL, NULL), cml_t_numel(z), RTOL, ATOL,
                 "cnn.logits (inference)");
    cml_graph_free(g);
    nn_net_free(&net);
    /* training-mode trajectory with dropout off (masks differ between libraries) */
    load_net(&net, "cnn", cnn_spec, 3, in);
    for (int i = 0; i < net.n_layers; i++)
        if (net.layers[i].kind == NN_DROPOUT) net.layers[i].p = 0;
    check_trajectory(&net, "cnn.traj.sgd", &b, NN_SGD, 0.05, 0.9, 0, 0);
    double rm[4], rv[4];
    for (int k = 0; k < 4; k++) {
        rm[k] = nn_store_ptr(&net.buffers, 0)[k];
        rv[k] = nn_store_ptr(&net.buffers, 1)[k];
    }
    assert_close(rm, golden_get(G, "cnn.traj.running_mean", NULL, NULL), 4, 1e-3, 1e-6,
                 "running_mean");
    assert_close(rv, golden_get(G, "cnn.traj.running_var", NULL, NULL), 4, 1e-3, 1e-6,
                 "running_var");
    nn_net_free(&net);
    free(b.x);
    free(b.y);
}

/* Residual blocks with batch norm on (non-trivial) running stats: inference
 * mode, which folds every conv + batch norm pair, matches eval mode. */
static void test_infer_folds_batch_norm(void **state)
{
    (void)state;
    int64_t in[3] = {2, 8, 8}, sh[4] = {3, 2, 8, 8};
    nn_net net;
    assert_int_equal(
        nn_net_build(&net, "conv:4:3:1:1,bn,relu,res:4,res:8:2,gap", 3, in, 3, NN_INIT_DEFAULT, 7),
        CML_OK);
    cml_rng rng;
    cml_rng_seed(&rng, 3);
    for (int64_t i = 0; i < net.buffers.n; i++) /* means near 0, variances near 1 */
        net.buffers.data[i] = (float)(0.5 + cml_rng_uniform(&rng));
    for (int64_t i = 0; i < net.params.n; i++)
        net.params.data[i] += (float)(0.1 * (cml_rng_uniform(&rng) - 0.5));
    float x[3 * 2 * 8 * 8];
    for (int i = 0; i < 3 * 2 * 8 * 8; i++)
        x[i] = (float)(2 * cml_rng_uniform(&rng) - 1);
    cml_graph *g1 = cml_graph_new(NULL), *g2 = cml_graph_new(NULL);
    cml_tensor *a = nn_net_forward(&net, g1, cml_t_wrap(g1, CML_F32, 4, sh, x, NULL), NN_EVAL);
    cml_tensor *f = nn_net_forward(&net, g2, cml_t_wrap(g2, CML_F32, 4, sh, x, NULL), NN_INFER);
    assert_int_equal(cml_graph_status(g1), CML_OK);
    assert_int_equal(cml_graph_status(g2), CML_OK);
    assert_int_equal(cml_t_numel(a), 9);
    double ad[9], fd[9];
    for (int i = 0; i < 9; i++) {
        ad[i] = cml_t_get(a, i);
        fd[i] = cml_t_get(f, i);
    }
    assert_close(fd, ad, 9, 1e-5, 1e-6, "inference vs eval logits");
    cml_graph_free(g1);
    cml_graph_free(g2);
    nn_net_free(&net);
}

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/nn_engine.txt");
    return 0;
}
static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_mlp), cmocka_unit_test(test_cnn),
                                       cmocka_unit_test(test_infer_folds_batch_norm)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
