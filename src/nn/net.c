/*
 * net.c — networks as a sequence of layers built from a small text spec,
 * with every parameter in one allocation (nn_store) and shape inference at
 * build time, so a spec that cannot run fails before training with the item
 * that is wrong.
 *
 * Layers: fully connected, conv2d, batch norm (1-D over features or 2-D over
 * channels), activations, dropout, max/avg pooling, global average pooling,
 * flatten, and the basic residual block of He et al. 2016 ("Deep residual
 * learning", Fig. 2 left; torchvision's BasicBlock: conv3x3-BN-ReLU-conv3x3-BN
 * plus an identity or 1x1-conv+BN projection shortcut, then ReLU).
 *
 * Initialization: "default" is PyTorch 1.13's (weights and biases uniform in
 * +-1/sqrt(fan_in), i.e. kaiming_uniform with a = sqrt(5)); "kaiming" is He
 * et al. 2015 normal with std sqrt(2/fan_in), zero bias; "xavier" is Glorot
 * & Bengio 2010 uniform in +-sqrt(6/(fan_in+fan_out)), zero bias. Batch norm
 * starts at gamma 1, beta 0, running mean 0, running var 1.
 *
 * Thread-safety: a built network is read-only in forward(eval); training
 * writes the batch-norm running statistics.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_internal.h"

/* ---------------------------------------------------------------- store */

int nn_store_declare(nn_store *s, const char *name, int ndim, const int64_t *shape)
{
    if (s->n_e == s->cap_e) {
        int cap = s->cap_e ? 2 * s->cap_e : 16;
        nn_pentry *e = cml_realloc(s->e, (size_t)cap * sizeof *e);
        if (!e) return -1;
        s->e = e;
        s->cap_e = cap;
    }
    nn_pentry *e = &s->e[s->n_e];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->ndim = ndim;
    e->n = 1;
    for (int i = 0; i < ndim; i++) {
        e->shape[i] = shape[i];
        e->n *= shape[i];
    }
    e->offset = s->n;
    s->n += e->n;
    return s->n_e++;
}

cml_status nn_store_alloc(nn_store *s, int with_grad)
{
    s->data = cml_alloc_array(s->n ? s->n : 1, sizeof(float));
    if (!s->data) return CML_ERR_NOMEM;
    if (with_grad) {
        s->grad = cml_calloc((size_t)(s->n ? s->n : 1), sizeof(float));
        if (!s->grad) return CML_ERR_NOMEM;
    }
    return CML_OK;
}

void nn_store_free(nn_store *s)
{
    free(s->data);
    free(s->grad);
    free(s->e);
    memset(s, 0, sizeof *s);
}

float *nn_store_ptr(const nn_store *s, int idx)
{
    return s->data + s->e[idx].offset;
}

cml_tensor *nn_store_tensor(const nn_store *s, int idx, cml_graph *g, int with_grad)
{
    const nn_pentry *e = &s->e[idx];
    return cml_t_wrap(g, CML_F32, e->ndim, e->shape, s->data + e->offset,
                      with_grad && s->grad ? s->grad + e->offset : NULL);
}

/* ---------------------------------------------------------------- spec parsing */

typedef struct shape_state {
    int ndim;        /* 1 or 3 */
    int64_t c, h, w; /* ndim 1: c = features */
} shape_state;

typedef struct build_ctx {
    nn_net *net;
    int item;
    char tok[64];
    int nconv, nbn, nfc;
} build_ctx;

static cml_status spec_err(const build_ctx *b, const char *fmt, ...) CML_PRINTF(2, 3);
static cml_status spec_err(const build_ctx *b, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cml_fail(CML_ERR_ARG, "spec item %d '%s': %s", b->item, b->tok, msg);
}

static cml_status push_layer(nn_net *net, const nn_layer *l)
{
    nn_layer *n = cml_realloc(net->layers, (size_t)(net->n_layers + 1) * sizeof *n);
    if (!n) return CML_ERR_NOMEM;
    net->layers = n;
    n[net->n_layers++] = *l;
    return CML_OK;
}

static nn_layer blank_layer(nn_lkind k)
{
    nn_layer l;
    memset(&l, 0, sizeof l);
    l.kind = k;
    l.w = l.b = l.bn_g = l.bn_b = l.bn_m = l.bn_v = -1;
    l.w2 = l.bn2_g = l.bn2_b = l.bn2_m = l.bn2_v = -1;
    l.wp = l.bnp_g = l.bnp_b = l.bnp_m = l.bnp_v = -1;
    return l;
}

static cml_status declare_bn(build_ctx *b, int64_t C, int *g, int *be, int *m, int *v)
{
    char name[40];
    int idx = b->nbn++;
    snprintf(name, sizeof name, "bn%d.weight", idx);
    *g = nn_store_declare(&b->net->params, name, 1, &C);
    snprintf(name, sizeof name, "bn%d.bias", idx);
    *be = nn_store_declare(&b->net->params, name, 1, &C);
    snprintf(name, sizeof name, "bn%d.running_mean", idx);
    *m = nn_store_declare(&b->net->buffers, name, 1, &C);
    snprintf(name, sizeof name, "bn%d.running_var", idx);
    *v = nn_store_declare(&b->net->buffers, name, 1, &C);
    return *g < 0 || *be < 0 || *m < 0 || *v < 0 ? CML_ERR_NOMEM : CML_OK;
}

static cml_status declare_conv(build_ctx *b, int64_t O, int64_t Cg, int64_t k, int bias, int *w,
                               int *bi)
{
    char name[40];
    int idx = b->nconv++;
    int64_t sh[4] = {O, Cg, k, k};
    snprintf(name, sizeof name, "conv%d.weight", idx);
    *w = nn_store_declare(&b->net->params, name, 4, sh);
    *bi = -1;
    if (bias) {
        snprintf(name, sizeof name, "conv%d.bias", idx);
        *bi = nn_store_declare(&b->net->params, name, 1, &O);
    }
    return *w < 0 || (bias && *bi < 0) ? CML_ERR_NOMEM : CML_OK;
}

static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d)
{
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

/* Parses "name:a:b:c" into name and up to 6 numbers; returns the count or -1. */
static int split_item(const char *tok, char *name, size_t nlen, double *num)
{
    const char *colon = strchr(tok, ':');
    size_t len = colon ? (size_t)(colon - tok) : strlen(tok);
    if (len == 0 || len >= nlen) return -1;
    memcpy(name, tok, len);
    name[len] = '\0';
    int n = 0;
    while (colon) {
        if (n == 6) return -1;
        char *end;
        num[n] = strtod(colon + 1, &end);
        if (end == colon + 1 || (*end && *end != ':')) return -1;
        n++;
        colon = *end == ':' ? end : NULL;
    }
    return n;
}

static int is_int(double v, double lo)
{
    return v == floor(v) && v >= lo && v < 1e9;
}

static cml_status add_flatten(build_ctx *b, shape_state *s)
{
    if (s->ndim == 1) return CML_OK;
    nn_layer l = blank_layer(NN_FLATTEN);
    CML_CHECK(push_layer(b->net, &l));
    s->c = s->c * s->h * s->w;
    s->ndim = 1;
    return CML_OK;
}

static cml_status add_fc(build_ctx *b, shape_state *s, int64_t out)
{
    CML_CHECK(add_flatten(b, s));
    nn_layer l = blank_layer(NN_FC);
    l.out = out;
    char name[40];
    int idx = b->nfc++;
    int64_t sh[2] = {out, s->c};
    snprintf(name, sizeof name, "fc%d.weight", idx);
    l.w = nn_store_declare(&b->net->params, name, 2, sh);
    snprintf(name, sizeof name, "fc%d.bias", idx);
    l.b = nn_store_declare(&b->net->params, name, 1, &out);
    if (l.w < 0 || l.b < 0) return CML_ERR_NOMEM;
    s->c = out;
    return push_layer(b->net, &l);
}

static cml_status need_image(const build_ctx *b, const shape_state *s)
{
    if (s->ndim == 3) return CML_OK;
    return spec_err(b,
                    "needs an image input (C,H,W) but gets %lld features "
                    "(HINT: put image layers before fc/gap/flatten, or set input_shape=C,H,W)",
                    (long long)s->c);
}

static cml_status parse_item(build_ctx *b, shape_state *s)
{
    char name[16];
    double v[6];
    int n = split_item(b->tok, name, sizeof name, v);
    if (n < 0) return spec_err(b, "expected name[:number...] (e.g. conv:16:3 or dropout:0.5)");
    for (int i = 0; i < n; i++)
        if (strcmp(name, "dropout") && !is_int(v[i], 0))
            return spec_err(b, "argument %d must be a non-negative integer", i + 1);
    nn_layer l = blank_layer(NN_ACT);
    if (!strcmp(name, "fc") || !strcmp(name, "linear")) {
        if (n != 1 || v[0] < 1) return spec_err(b, "expected fc:OUT with OUT >= 1");
        return add_fc(b, s, (int64_t)v[0]);
    }
    if (!strcmp(name, "conv")) {
        CML_CHECK(need_image(b, s));
        if (n < 2) return spec_err(b, "expected conv:OUT:K[:stride[:pad[:dilation[:groups]]]]");
        l.kind = NN_CONV;
        l.out = (int64_t)v[0];
        l.k = (int64_t)v[1];
        l.stride = n > 2 ? (int64_t)v[2] : 1;
        l.pad = n > 3 ? (int64_t)v[3] : 0;
        l.dil = n > 4 ? (int64_t)v[4] : 1;
        l.groups = n > 5 ? (int64_t)v[5] : 1;
        if (l.out < 1 || l.k < 1 || l.stride < 1 || l.dil < 1 || l.groups < 1)
            return spec_err(b, "OUT, K, stride, dilation and groups must be >= 1");
        if (s->c % l.groups || l.out % l.groups)
            return spec_err(b, "groups=%lld must divide the input channels (%lld) and OUT",
                            (long long)l.groups, (long long)s->c);
        int64_t oh = out_size(s->h, l.k, l.stride, l.pad, l.dil);
        int64_t ow = out_size(s->w, l.k, l.stride, l.pad, l.dil);
        if (oh < 1 || ow < 1)
            return spec_err(b, "input %lldx%lld is smaller than the %lldx%lld kernel",
                            (long long)s->h, (long long)s->w, (long long)l.k, (long long)l.k);
        CML_CHECK(declare_conv(b, l.out, s->c / l.groups, l.k, 1, &l.w, &l.b));
        s->c = l.out;
        s->h = oh;
        s->w = ow;
        return push_layer(b->net, &l);
    }
    if (!strcmp(name, "bn") || !strcmp(name, "batchnorm")) {
        if (n) return spec_err(b, "takes no arguments");
        l.kind = NN_BN;
        CML_CHECK(declare_bn(b, s->c, &l.bn_g, &l.bn_b, &l.bn_m, &l.bn_v));
        return push_layer(b->net, &l);
    }
    static const char *const acts[] = {"relu", "tanh", "sigmoid", "gelu"};
    for (int a = 0; a < 4; a++)
        if (!strcmp(name, acts[a])) {
            if (n) return spec_err(b, "takes no arguments");
            l.act = a;
            return push_layer(b->net, &l);
        }
    if (!strcmp(name, "dropout")) {
        if (n != 1 || !(v[0] >= 0 && v[0] < 1))
            return spec_err(b, "expected dropout:P, 0 <= P < 1");
        l.kind = NN_DROPOUT;
        l.p = v[0];
        return push_layer(b->net, &l);
    }
    if (!strcmp(name, "maxpool") || !strcmp(name, "avgpool")) {
        CML_CHECK(need_image(b, s));
        if (n < 1 || v[0] < 1) return spec_err(b, "expected %s:K[:stride[:pad]]", name);
        l.kind = name[0] == 'm' ? NN_MAXPOOL : NN_AVGPOOL;
        l.k = (int64_t)v[0];
        l.stride = n > 1 ? (int64_t)v[1] : l.k;
        l.pad = n > 2 ? (int64_t)v[2] : 0;
        if (l.stride < 1 || 2 * l.pad > l.k) return spec_err(b, "needs stride >= 1, pad <= K/2");
        int64_t oh = out_size(s->h, l.k, l.stride, l.pad, 1);
        int64_t ow = out_size(s->w, l.k, l.stride, l.pad, 1);
        if (oh < 1 || ow < 1)
            return spec_err(b, "input %lldx%lld is smaller than the %lldx%lld window",
                            (long long)s->h, (long long)s->w, (long long)l.k, (long long)l.k);
        s->h = oh;
        s->w = ow;
        return push_layer(b->net, &l);
    }
    if (!strcmp(name, "gap")) {
        CML_CHECK(need_image(b, s));
        if (n) return spec_err(b, "takes no arguments");
        l.kind = NN_GAP;
        s->ndim = 1;
        return push_layer(b->net, &l);
    }
    if (!strcmp(name, "flatten")) {
        if (n) return spec_err(b, "takes no arguments");
        return add_flatten(b, s);
    }
    if (!strcmp(name, "res")) {
        CML_CHECK(need_image(b, s));
        if (n < 1 || n > 2 || v[0] < 1) return spec_err(b, "expected res:OUT[:stride]");
        l.kind = NN_RES;
        l.out = (int64_t)v[0];
        l.stride = n > 1 ? (int64_t)v[1] : 1;
        if (l.stride < 1) return spec_err(b, "stride must be >= 1");
        int64_t oh = out_size(s->h, 3, l.stride, 1, 1), ow = out_size(s->w, 3, l.stride, 1, 1);
        int bi;
        CML_CHECK(declare_conv(b, l.out, s->c, 3, 0, &l.w, &bi));
        CML_CHECK(declare_bn(b, l.out, &l.bn_g, &l.bn_b, &l.bn_m, &l.bn_v));
        CML_CHECK(declare_conv(b, l.out, l.out, 3, 0, &l.w2, &bi));
        CML_CHECK(declare_bn(b, l.out, &l.bn2_g, &l.bn2_b, &l.bn2_m, &l.bn2_v));
        if (l.stride != 1 || l.out != s->c) {
            CML_CHECK(declare_conv(b, l.out, s->c, 1, 0, &l.wp, &bi));
            CML_CHECK(declare_bn(b, l.out, &l.bnp_g, &l.bnp_b, &l.bnp_m, &l.bnp_v));
        }
        s->c = l.out;
        s->h = oh;
        s->w = ow;
        return push_layer(b->net, &l);
    }
    return spec_err(b,
                    "unknown layer '%s' (known: fc, conv, bn, relu, tanh, sigmoid, gelu, "
                    "dropout, maxpool, avgpool, gap, flatten, res)",
                    name);
}

/* ---------------------------------------------------------------- init */

static void init_uniform(float *p, int64_t n, double bound, cml_rng *rng)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)((2 * cml_rng_uniform(rng) - 1) * bound);
}

static void init_params(nn_net *net, nn_init init, uint64_t seed)
{
    cml_rng rng;
    cml_rng_seed(&rng, seed);
    nn_store *s = &net->params;
    for (int i = 0; i < s->n_e; i++) {
        nn_pentry *e = &s->e[i];
        float *p = s->data + e->offset;
        const char *dot = strrchr(e->name, '.');
        int is_bn = !strncmp(e->name, "bn", 2);
        if (is_bn) {
            for (int64_t j = 0; j < e->n; j++)
                p[j] = !strcmp(dot, ".weight") ? 1.0f : 0.0f;
            continue;
        }
        if (!strcmp(dot, ".weight")) {
            int64_t fan_in = e->n / e->shape[0];
            int64_t fan_out = e->shape[0] * (e->ndim == 4 ? e->shape[2] * e->shape[3] : 1);
            if (init == NN_INIT_KAIMING)
                for (int64_t j = 0; j < e->n; j++)
                    p[j] = (float)(cml_rng_normal(&rng) * sqrt(2.0 / (double)fan_in));
            else if (init == NN_INIT_XAVIER)
                init_uniform(p, e->n, sqrt(6.0 / (double)(fan_in + fan_out)), &rng);
            else
                init_uniform(p, e->n, 1.0 / sqrt((double)fan_in), &rng);
        } else { /* bias: fan_in of the weight declared just before */
            const nn_pentry *w = &s->e[i - 1];
            if (init == NN_INIT_DEFAULT)
                init_uniform(p, e->n, 1.0 / sqrt((double)(w->n / w->shape[0])), &rng);
            else
                memset(p, 0, (size_t)e->n * sizeof *p);
        }
    }
    nn_store *bu = &net->buffers;
    for (int i = 0; i < bu->n_e; i++) {
        nn_pentry *e = &bu->e[i];
        float v = strstr(e->name, "running_var") ? 1.0f : 0.0f;
        for (int64_t j = 0; j < e->n; j++)
            bu->data[e->offset + j] = v;
    }
}

cml_status nn_net_build(nn_net *net, const char *spec, int in_ndim, const int64_t *in_shape,
                        int64_t n_out, nn_init init, uint64_t seed)
{
    memset(net, 0, sizeof *net);
    net->in_ndim = in_ndim;
    memcpy(net->in_shape, in_shape, (size_t)in_ndim * sizeof *in_shape);
    net->n_out = n_out;
    build_ctx b = {net, 0, "", 0, 0, 0};
    shape_state s = {in_ndim, in_shape[0], in_ndim == 3 ? in_shape[1] : 1,
                     in_ndim == 3 ? in_shape[2] : 1};
    cml_status st = CML_OK;
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        /* trim blanks */
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        b.item++;
        if (len == 0 || len >= sizeof b.tok) {
            snprintf(b.tok, sizeof b.tok, "%.*s", (int)(len < 60 ? len : 60), p);
            st = spec_err(&b, len ? "item too long" : "empty item");
            goto fail;
        }
        memcpy(b.tok, p, len);
        b.tok[len] = '\0';
        CML_TRY(parse_item(&b, &s));
        if (!comma) break;
        p = comma + 1;
    }
    CML_TRY(add_fc(&b, &s, n_out));
    CML_TRY(nn_store_alloc(&net->params, 1));
    CML_TRY(nn_store_alloc(&net->buffers, 0));
    init_params(net, init, seed);
    return CML_OK;
fail:
    nn_net_free(net);
    return st;
}

void nn_net_free(nn_net *net)
{
    free(net->layers);
    nn_store_free(&net->params);
    nn_store_free(&net->buffers);
    memset(net, 0, sizeof *net);
}

/* ---------------------------------------------------------------- forward */

#define BN_EPS      1e-5
#define BN_MOMENTUM 0.1

/* batch norm, followed by a ReLU as one op when relu is set */
static cml_tensor *bn(const nn_net *net, cml_graph *g, cml_tensor *x, int gi, int bi, int mi,
                      int vi, int relu)
{
    return (relu ? cml_t_batchnorm_relu : cml_t_batchnorm)(
        x, nn_store_tensor(&net->params, gi, g, 1), nn_store_tensor(&net->params, bi, g, 1),
        nn_store_ptr(&net->buffers, mi), nn_store_ptr(&net->buffers, vi), BN_EPS, BN_MOMENTUM);
}

static cml_tensor *conv(const nn_net *net, cml_graph *g, cml_tensor *x, int wi, int bi, int s,
                        int p, int d, int gr)
{
    return cml_t_conv2d(x, nn_store_tensor(&net->params, wi, g, 1),
                        bi >= 0 ? nn_store_tensor(&net->params, bi, g, 1) : NULL, s, p, d, gr);
}

/*
 * conv then batch norm on running stats, folded into one conv for inference
 * (no gradient wanted): with a_o = gamma_o / sqrt(var_o + eps),
 *   W'_o = a_o W_o,   b'_o = beta_o + a_o (b_o - mean_o),
 * which saves the batch norm's pass over the activations. Equal to the two ops
 * up to float rounding; the folded weights live in the graph's arena.
 */
static cml_tensor *conv_bn(const nn_net *net, cml_graph *g, cml_tensor *x, int wi, int bi,
                           const int64_t *sp, int gi, int bbi, int mi, int vi, int mode, int relu)
{
    int s = (int)sp[0], p = (int)sp[1], d = (int)sp[2], gr = (int)sp[3];
    if (mode != NN_INFER || !x)
        return bn(net, g, conv(net, g, x, wi, bi, s, p, d, gr), gi, bbi, mi, vi, relu);
    const nn_pentry *e = &net->params.e[wi];
    cml_tensor *w = cml_t_new(g, CML_F32, e->ndim, e->shape);
    cml_tensor *b = cml_t_new(g, CML_F32, 1, e->shape);
    if (!w || !b) return NULL;
    const float *w0 = nn_store_ptr(&net->params, wi),
                *b0 = bi >= 0 ? nn_store_ptr(&net->params, bi) : NULL;
    const float *ga = nn_store_ptr(&net->params, gi), *be = nn_store_ptr(&net->params, bbi);
    const float *rm = nn_store_ptr(&net->buffers, mi), *rv = nn_store_ptr(&net->buffers, vi);
    int64_t O = e->shape[0], per = O ? cml_t_numel(w) / O : 0;
    float *wd = w->data, *bd = b->data;
    for (int64_t o = 0; o < O; o++) {
        double a = ga[o] / sqrt((double)rv[o] + BN_EPS);
        for (int64_t i = 0; i < per; i++)
            wd[o * per + i] = (float)(a * w0[o * per + i]);
        bd[o] = (float)(be[o] + a * ((b0 ? b0[o] : 0) - rm[o]));
    }
    cml_tensor *y = cml_t_conv2d(x, w, b, s, p, d, gr);
    return relu ? cml_t_relu(y) : y;
}

/* 1 if layer i is a ReLU (a batch norm before it takes it in: cml_t_batchnorm_relu) */
static int relu_at(const nn_net *net, int i)
{
    return i < net->n_layers && net->layers[i].kind == NN_ACT && net->layers[i].act == NN_RELU;
}

cml_tensor *nn_net_forward(const nn_net *net, cml_graph *g, cml_tensor *x, int mode)
{
    int tr = mode == NN_TRAIN;
    cml_graph_set_training(g, tr);
    for (int i = 0; i < net->n_layers && x; i++) {
        const nn_layer *l = &net->layers[i];
        switch (l->kind) {
        case NN_FC:
            x = cml_t_linear(x, nn_store_tensor(&net->params, l->w, g, 1),
                             nn_store_tensor(&net->params, l->b, g, 1));
            break;
        case NN_CONV:
            if (mode == NN_INFER && i + 1 < net->n_layers && net->layers[i + 1].kind == NN_BN) {
                const nn_layer *nb = &net->layers[++i];
                int64_t sp[4] = {l->stride, l->pad, l->dil, l->groups};
                x = conv_bn(net, g, x, l->w, l->b, sp, nb->bn_g, nb->bn_b, nb->bn_m, nb->bn_v, mode,
                            0);
                break;
            }
            x = conv(net, g, x, l->w, l->b, (int)l->stride, (int)l->pad, (int)l->dil,
                     (int)l->groups);
            break;
        case NN_BN: {
            int relu = relu_at(net, i + 1);
            x = bn(net, g, x, l->bn_g, l->bn_b, l->bn_m, l->bn_v, relu);
            i += relu; /* the ReLU is done */
            break;
        }
        case NN_ACT:
            x = l->act == NN_RELU   ? cml_t_relu(x)
                : l->act == NN_TANH ? cml_t_tanh(x)
                : l->act == NN_GELU ? cml_t_gelu(x)
                                    : cml_t_sigmoid(x);
            break;
        case NN_DROPOUT: x = cml_t_dropout(x, l->p); break;
        case NN_MAXPOOL: x = cml_t_maxpool2d(x, (int)l->k, (int)l->stride, (int)l->pad); break;
        case NN_AVGPOOL: x = cml_t_avgpool2d(x, (int)l->k, (int)l->stride, (int)l->pad); break;
        case NN_GAP: {
            int64_t sh[3] = {x->shape[0], x->shape[1], x->shape[2] * x->shape[3]};
            x = cml_t_mean(cml_t_reshape(x, 3, sh), 1);
            break;
        }
        case NN_FLATTEN: {
            int64_t sh[2] = {x->shape[0], cml_t_numel(x) / (x->shape[0] ? x->shape[0] : 1)};
            x = cml_t_reshape(x, 2, sh);
            break;
        }
        case NN_RES: {
            int64_t s1[4] = {l->stride, 1, 1, 1}, s2[4] = {1, 1, 1, 1},
                    sp[4] = {l->stride, 0, 1, 1};
            cml_tensor *h =
                conv_bn(net, g, x, l->w, -1, s1, l->bn_g, l->bn_b, l->bn_m, l->bn_v, mode, 1);
            h = conv_bn(net, g, h, l->w2, -1, s2, l->bn2_g, l->bn2_b, l->bn2_m, l->bn2_v, mode, 0);
            cml_tensor *sc = x;
            if (l->wp >= 0)
                sc = conv_bn(net, g, x, l->wp, -1, sp, l->bnp_g, l->bnp_b, l->bnp_m, l->bnp_v, mode,
                             0);
            x = cml_t_add_relu(h, sc);
            break;
        }
        }
    }
    return x;
}
