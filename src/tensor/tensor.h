/*
 * tensor.h — the deep-learning engine's graph layer (internal): tensors with
 * shape and strides, views, an arena-owned graph of ops recorded eagerly, and
 * reverse-mode autograd over it. This layer knows nothing of compute: every
 * forward and backward kernel lives in a backend behind cml_backend
 * (ggml's split), so a CUDA backend drops in without touching layer code.
 *
 * Shapes are row-major; strides are in elements. Element type is f32 for
 * training; f64 exists so the same kernels, compiled a second time for double,
 * can be checked against central finite differences (test_tensor_gradcheck).
 *
 * Thread-safety: a graph belongs to one thread. Many graphs may read the same
 * parameters at once (predict builds its own graph).
 */
#ifndef CML_TENSOR_H
#define CML_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"

#define CML_T_MAXDIM 4

typedef enum cml_dtype { CML_F32 = 0, CML_F64 = 1 } cml_dtype;

/* Ops; values only grow at the end. */
typedef enum cml_op {
    CML_OP_LEAF = 0, /* input or parameter */
    CML_OP_VIEW,     /* reshape/transpose/slice/broadcast: shares src data */
    CML_OP_CONTIG,   /* strided copy into a contiguous tensor */
    CML_OP_ADD,
    CML_OP_SUB,
    CML_OP_MUL,
    CML_OP_DIV,
    CML_OP_SCALE, /* x * fp[0] */
    CML_OP_RELU,
    CML_OP_GELU, /* erf form, PyTorch's default */
    CML_OP_SIGMOID,
    CML_OP_TANH,
    CML_OP_SOFTMAX,       /* over the last dim */
    CML_OP_LOG_SOFTMAX,   /* over the last dim */
    CML_OP_SUM,           /* ip[0] = 1: over the last dim, else all -> scalar */
    CML_OP_MEAN,          /* same */
    CML_OP_MATMUL,        /* (M,K)@(K,N); ip[0]/ip[1] transpose a/b */
    CML_OP_LINEAR,        /* x (N,K), W (M,K), b (M) or NULL -> x W^T + b */
    CML_OP_DROPOUT,       /* fp[0] = p; mask in aux */
    CML_OP_EMBEDDING,     /* table (V,D), ids in aux (int64) -> (n, D) */
    CML_OP_CONCAT,        /* along ip[0] */
    CML_OP_LAYERNORM,     /* last dim; src1 gamma, src2 beta; fp[0] eps */
    CML_OP_CONV2D,        /* x (N,C,H,W), w (O,C/g,KH,KW), b; ip: stride,pad,dil,groups */
    CML_OP_MAXPOOL2D,     /* ip: k, stride, pad */
    CML_OP_AVGPOOL2D,     /* ip: k, stride, pad (count_include_pad, PyTorch default) */
    CML_OP_BATCHNORM,     /* x (N,C,...), gamma, beta; ip[0] training, ip[1] fused ReLU; fp: eps,
                             momentum */
    CML_OP_LOSS,          /* pointwise losses: ip[0] = cml_loss_kind; scalar mean */
    CML_OP_CROSS_ENTROPY, /* logits (N,C), int64 targets; fp[0] smoothing */
    CML_OP__COUNT
} cml_op;

typedef enum cml_loss_kind {
    CML_LOSS_MSE = 0,
    CML_LOSS_L1,
    CML_LOSS_HUBER,     /* fp[0] = delta (PyTorch HuberLoss) */
    CML_LOSS_SMOOTH_L1, /* fp[0] = beta (PyTorch SmoothL1Loss) */
    CML_LOSS_BCE_LOGITS,
    CML_LOSS_FOCAL /* sigmoid focal (Lin et al. 2017): fp[0] alpha (<0: none), fp[1] gamma */
} cml_loss_kind;

typedef struct cml_tensor cml_tensor;
struct cml_tensor {
    cml_op op;
    cml_dtype dtype;
    int ndim;
    int64_t shape[CML_T_MAXDIM];
    int64_t stride[CML_T_MAXDIM]; /* of data, in elements */
    void *data;                   /* first element */
    void *grad;                   /* contiguous, shape-sized; NULL if no gradient flows here */
    int requires_grad;            /* gradient wanted (parameters) or flows through (ops) */
    int grad_external;            /* grad buffer owned elsewhere (parameter store) */
    int grad_fresh; /* during backward: grad allocated, nothing written yet (see cml_backend) */
    cml_tensor *src[3];
    int32_t ip[8];
    double fp[4];
    void *aux;  /* op-private saved data (masks, stats, indices), arena-owned */
    void *aux2; /* second one (e.g. class weights, running stats) */
    /* VIEW only: how this view maps onto a contiguous copy of src, for the
     * gradient (gstride in elements of src's contiguous layout). */
    int64_t gstride[CML_T_MAXDIM];
    int64_t goffset;
    struct cml_graph *g;
};

/* ---------------------------------------------------------------- backend */

/*
 * A compute backend. forward() fills node->data (and aux) from its sources;
 * backward() adds the node's gradient contribution into the grad of every
 * source whose requires_grad is set. Graph-owned grads are not zeroed up
 * front: the first contribution to one (in backward order) finds its
 * grad_fresh flag set, and if assigns(node, i) says so the kernel overwrites
 * that source's grad instead of adding (saving a zeroing pass and a read of
 * the zeros); otherwise the graph zeroes it just before the call.
 * Entries marked (optional) may be NULL.
 */
typedef struct cml_backend {
    const char *name;
    /* 1 if this backend runs node's op with its dtype and parameters. */
    int (*supports_op)(const cml_tensor *node);
    cml_status (*forward)(cml_tensor *node);
    cml_status (*backward)(cml_tensor *node);
    /* Sets n elements of dtype at p to zero. */
    void (*zero)(void *p, int64_t n, cml_dtype dtype);
    /* (optional) called before a graph's memory is released */
    void (*sync)(void);
    /* (optional) 1 if backward(node) overwrites the grad of node->src[i]
     * when that source's grad_fresh is set (and clears nothing itself) */
    int (*assigns)(const cml_tensor *node, int i);
} cml_backend;

const cml_backend *cml_backend_cpu(void);

/* ---------------------------------------------------------------- graph */

typedef struct cml_graph cml_graph;

/* A new graph on the CPU backend. NULL + CML_ERR_NOMEM on failure. */
cml_graph *cml_graph_new(const cml_backend *be);
/* Forgets every node and reuses the arena's memory (one step's tensors). */
void cml_graph_reset(cml_graph *g);
void cml_graph_free(cml_graph *g);
/* Arena allocation that lives until the next reset (zeroed when zero). */
void *cml_graph_alloc(cml_graph *g, size_t bytes, int zero);
/* Scratch memory for one kernel call: at least `bytes`, contents undefined,
 * valid until the next call (reused, so big temporaries such as im2col
 * buffers do not pile up in the arena). NULL + CML_ERR_NOMEM on failure. */
void *cml_graph_scratch(cml_graph *g, size_t bytes);
/* Training mode: dropout and batch norm behave as in training. */
void cml_graph_set_training(cml_graph *g, int training);
int cml_graph_training(const cml_graph *g);
/* Seed of the graph's RNG (dropout masks). */
void cml_graph_seed(cml_graph *g, uint64_t seed);
struct cml_rng *cml_graph_rng(cml_graph *g);
/* The first error of the graph: once an op fails, later ops return NULL
 * without running, so a forward pass checks once at the end. */
cml_status cml_graph_status(const cml_graph *g);

/* Leaf of the given shape; data zeroed (arena). */
cml_tensor *cml_t_new(cml_graph *g, cml_dtype dt, int ndim, const int64_t *shape);
/* Leaf over caller memory (parameters, inputs); grad (may be NULL) is the
 * caller's accumulator: then requires_grad is set. */
cml_tensor *cml_t_wrap(cml_graph *g, cml_dtype dt, int ndim, const int64_t *shape, void *data,
                       void *grad);
int64_t cml_t_numel(const cml_tensor *t);
int cml_t_is_contiguous(const cml_tensor *t);
size_t cml_dtype_size(cml_dtype dt);

/* Views (no copy). */
cml_tensor *cml_t_reshape(cml_tensor *a, int ndim, const int64_t *shape);
cml_tensor *cml_t_transpose(cml_tensor *a, int d0, int d1);
cml_tensor *cml_t_slice(cml_tensor *a, int dim, int64_t start, int64_t stop);
cml_tensor *cml_t_broadcast(cml_tensor *a, int ndim, const int64_t *shape);
cml_tensor *cml_t_contiguous(cml_tensor *a);

/* Ops (eager: computed on creation). Binary elementwise ops broadcast numpy-style. */
cml_tensor *cml_t_add(cml_tensor *a, cml_tensor *b);
cml_tensor *cml_t_sub(cml_tensor *a, cml_tensor *b);
cml_tensor *cml_t_mul(cml_tensor *a, cml_tensor *b);
cml_tensor *cml_t_div(cml_tensor *a, cml_tensor *b);
cml_tensor *cml_t_scale(cml_tensor *a, double c);
cml_tensor *cml_t_relu(cml_tensor *a);
/* relu(a + b) as one op (CML_OP_ADD with ip[0] = 1): one pass forward and
 * one backward instead of two each; the same bits as cml_t_relu(cml_t_add()). */
cml_tensor *cml_t_add_relu(cml_tensor *a, cml_tensor *b);
cml_tensor *cml_t_gelu(cml_tensor *a);
cml_tensor *cml_t_sigmoid(cml_tensor *a);
cml_tensor *cml_t_tanh(cml_tensor *a);
cml_tensor *cml_t_softmax(cml_tensor *a);
cml_tensor *cml_t_log_softmax(cml_tensor *a);
cml_tensor *cml_t_sum(cml_tensor *a, int last_dim_only);
cml_tensor *cml_t_mean(cml_tensor *a, int last_dim_only);
cml_tensor *cml_t_matmul(cml_tensor *a, cml_tensor *b, int trans_a, int trans_b);
cml_tensor *cml_t_linear(cml_tensor *x, cml_tensor *w, cml_tensor *b);
cml_tensor *cml_t_dropout(cml_tensor *a, double p);
cml_tensor *cml_t_embedding(cml_tensor *table, const int64_t *ids, int64_t n);
cml_tensor *cml_t_concat(cml_tensor *a, cml_tensor *b, int dim);
cml_tensor *cml_t_layernorm(cml_tensor *x, cml_tensor *gamma, cml_tensor *beta, double eps);
cml_tensor *cml_t_conv2d(cml_tensor *x, cml_tensor *w, cml_tensor *b, int stride, int pad, int dil,
                         int groups);
cml_tensor *cml_t_maxpool2d(cml_tensor *x, int k, int stride, int pad);
cml_tensor *cml_t_avgpool2d(cml_tensor *x, int k, int stride, int pad);
/* running_mean/var (C) of the same dtype are read in eval mode and updated
 * (PyTorch's momentum rule, unbiased variance) in training mode. */
cml_tensor *cml_t_batchnorm(cml_tensor *x, cml_tensor *gamma, cml_tensor *beta, void *running_mean,
                            void *running_var, double eps, double momentum);
/* relu(batchnorm(x)) as one op (ip[1] = 1): the same values and gradients as
 * the two ops, without the ReLU's passes over the activations. */
cml_tensor *cml_t_batchnorm_relu(cml_tensor *x, cml_tensor *gamma, cml_tensor *beta,
                                 void *running_mean, void *running_var, double eps,
                                 double momentum);
cml_tensor *cml_t_loss(cml_tensor *x, cml_tensor *target, cml_loss_kind kind, double p0, double p1);
/* Mean over rows of -sum_c q_c log softmax(x)_c with q the label-smoothed
 * one-hot target; class_weight (C) or NULL weights each row by its class
 * (PyTorch's weighted mean). */
cml_tensor *cml_t_cross_entropy(cml_tensor *logits, const int64_t *targets,
                                const double *class_weight, double smoothing);

/* Reverse-mode autograd: seeds d(loss)/d(loss) = 1 (loss must be a scalar)
 * and runs every node's backward in reverse creation order. */
cml_status cml_graph_backward(cml_graph *g, cml_tensor *loss);

/* Element i (in logical row-major order) as a double, for tests and loss values. */
double cml_t_get(const cml_tensor *t, int64_t i);

#endif
