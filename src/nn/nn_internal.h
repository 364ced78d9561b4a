/*
 * nn_internal.h — networks, optimizers and the training loop of the
 * deep-learning estimators (internal). Layer code builds graphs through
 * tensor/tensor.h only and never touches a backend.
 */
#ifndef CML_NN_INTERNAL_H
#define CML_NN_INTERNAL_H

#include <stdint.h>

#include "cml/gguf.h"
#include "tensor/tensor.h"

/* ---------------------------------------------------------------- parameters */

/*
 * All parameters of a network in one allocation, with named views (llm.c's
 * layout): zero-grad, the optimizer, clipping and save are one loop each.
 */
typedef struct nn_pentry {
    char name[40];
    int ndim;
    int64_t shape[CML_T_MAXDIM];
    int64_t offset, n;
} nn_pentry;

typedef struct nn_store {
    float *data; /* (n) */
    float *grad; /* (n) or NULL (buffers) */
    int64_t n;
    nn_pentry *e;
    int n_e, cap_e;
} nn_store;

/* Declares an entry (before nn_store_alloc); returns its index or -1. */
int nn_store_declare(nn_store *s, const char *name, int ndim, const int64_t *shape);
cml_status nn_store_alloc(nn_store *s, int with_grad);
void nn_store_free(nn_store *s);
float *nn_store_ptr(const nn_store *s, int idx);
/* Leaf tensor over entry idx (grad accumulates into the store when training). */
cml_tensor *nn_store_tensor(const nn_store *s, int idx, cml_graph *g, int with_grad);

/* safetensors files of the entries of several stores (one name space);
 * read checks names, dtype F32, shapes and offsets (CML_ERR_FORMAT). */
cml_status nn_safetensors_write(const char *path, const nn_store *const *stores, int n_stores);
cml_status nn_safetensors_read(const char *path, nn_store *const *stores, int n_stores);

/* ---------------------------------------------------------------- networks */

typedef enum nn_lkind {
    NN_FC = 0,
    NN_CONV,
    NN_BN,
    NN_ACT,
    NN_DROPOUT,
    NN_MAXPOOL,
    NN_AVGPOOL,
    NN_GAP,
    NN_FLATTEN,
    NN_RES
} nn_lkind;

typedef enum nn_act { NN_RELU = 0, NN_TANH, NN_SIGMOID, NN_GELU } nn_act;

typedef struct nn_layer {
    nn_lkind kind;
    int act;
    int64_t out, k, stride, pad, dil, groups;
    double p;
    /* parameter / buffer indices: w, b, then batch-norm gamma, beta (params)
     * and running mean, var (buffers); res blocks: conv1, bn1, conv2, bn2,
     * and the projection conv + bn when the shape changes (-1 if none) */
    int w, b, bn_g, bn_b, bn_m, bn_v;
    int w2, bn2_g, bn2_b, bn2_m, bn2_v;
    int wp, bnp_g, bnp_b, bnp_m, bnp_v;
} nn_layer;

typedef struct nn_net {
    nn_layer *layers;
    int n_layers;
    int in_ndim; /* 1: (F) features; 3: (C,H,W) images */
    int64_t in_shape[3];
    int64_t n_out;
    nn_store params, buffers;
} nn_net;

typedef enum nn_init { NN_INIT_DEFAULT = 0, NN_INIT_KAIMING, NN_INIT_XAVIER } nn_init;

/* Builds a network from a text spec (see docs/nn.md): items separated by
 * commas, e.g. "conv:6:5:1:2,relu,maxpool:2,flatten,fc:120,relu"; a final
 * fc:n_out is appended. Shape errors name the item. Parameters initialized
 * from seed. */
cml_status nn_net_build(nn_net *net, const char *spec, int in_ndim, const int64_t *in_shape,
                        int64_t n_out, nn_init init, uint64_t seed);
void nn_net_free(nn_net *net);
/* Modes of nn_net_forward. */
enum {
    NN_EVAL = 0,  /* dropout off, batch norm on running stats; gradients flow */
    NN_TRAIN = 1, /* dropout on, batch norm on batch statistics (updating the running ones) */
    NN_INFER = 2  /* NN_EVAL without gradients: batch norm after a conv is folded into it */
};
/* x (N, in_shape...) -> logits (N, n_out); mode is one of NN_EVAL, NN_TRAIN, NN_INFER. */
cml_tensor *nn_net_forward(const nn_net *net, cml_graph *g, cml_tensor *x, int mode);

/* ---------------------------------------------------------------- optimizers */

typedef enum nn_opt_kind { NN_SGD = 0, NN_ADAM, NN_ADAMW } nn_opt_kind;

typedef struct nn_optim {
    nn_opt_kind kind;
    double lr, momentum, weight_decay, beta1, beta2, eps;
    int nesterov;
    int64_t t;    /* steps taken */
    float *m, *v; /* (n) state: momentum buffer / first and second moments */
    int64_t n;
} nn_optim;

cml_status nn_optim_init(nn_optim *o, int64_t n);
void nn_optim_free(nn_optim *o);
/* One update of all parameters (PyTorch 1.13's SGD/Adam/AdamW formulas). */
void nn_optim_step(nn_optim *o, float *p, const float *g, int64_t n, double lr);
/* Scales grads so their global L2 norm is <= max_norm; returns the norm. */
double nn_clip_grad_norm(float *g, int64_t n, double max_norm);

typedef enum nn_sched { NN_SCHED_CONSTANT = 0, NN_SCHED_STEP, NN_SCHED_COSINE } nn_sched;
/* Learning rate of epoch e (0-based) of E, after linear warm-up. */
double nn_lr_at(nn_sched s, double base, int e, int E, int step_size, double gamma, int warmup);

#endif
