/*
 * graph.c — the engine's graph layer: an arena per step, tensors with shape
 * and strides, views, op nodes recorded eagerly (each op runs on creation
 * through the backend, PyTorch's define-by-run), and reverse-mode autograd.
 *
 * Autograd: nodes are appended in creation order, which is a topological
 * order; backward seeds d loss = 1 and calls the backend's backward of every
 * node that needs a gradient, last node first (Griewank & Walther,
 * "Evaluating Derivatives", ch. 3: the reverse sweep over a tape). Gradients
 * are contiguous buffers of each node's shape; views map theirs back onto
 * their source through gstride/goffset, so a broadcast view's backward is the
 * reduction over its broadcast dims.
 *
 * Nothing here computes on tensor elements except cml_t_get (a read for tests
 * and loss values): compute is the backend's.
 *
 * Cost: O(1) per node plus the kernels. Thread-safety: one graph per thread.
 */
#include <math.h>
#include <string.h>

#include "tensor/tensor.h"

#define ARENA_BLOCK ((size_t)1 << 20)

typedef struct arena_block {
    struct arena_block *next;
    size_t size, used;
    _Alignas(64) unsigned char mem[];
} arena_block;

struct cml_graph {
    const cml_backend *be;
    arena_block *blocks; /* most recent first */
    cml_tensor **nodes;
    int64_t n_nodes, cap_nodes;
    int training;
    void *scratch;
    size_t scratch_size;
    cml_rng rng;
    cml_status status;
};

size_t cml_dtype_size(cml_dtype dt)
{
    return dt == CML_F64 ? sizeof(double) : sizeof(float);
}

cml_graph *cml_graph_new(const cml_backend *be)
{
    cml_graph *g = cml_calloc(1, sizeof *g);
    if (!g) return NULL;
    g->be = be ? be : cml_backend_cpu();
    cml_rng_seed(&g->rng, 0);
    return g;
}

void cml_graph_reset(cml_graph *g)
{
    if (!g) return;
    if (g->be->sync) g->be->sync();
    /* one block as big as this step used, so the next step allocates nothing */
    size_t total = 0;
    for (arena_block *b = g->blocks; b; b = b->next)
        total += b->size;
    if (g->blocks && g->blocks->next) {
        for (arena_block *b = g->blocks; b;) {
            arena_block *next = b->next;
            free(b);
            b = next;
        }
        g->blocks = cml_malloc(sizeof(arena_block) + total);
        if (g->blocks) {
            g->blocks->next = NULL;
            g->blocks->size = total;
        }
        cml_clear_error(); /* a failed merge is not an error: the next alloc retries */
    }
    if (g->blocks) g->blocks->used = 0;
    g->n_nodes = 0;
    g->status = CML_OK;
}

void cml_graph_free(cml_graph *g)
{
    if (!g) return;
    if (g->be->sync) g->be->sync();
    for (arena_block *b = g->blocks; b;) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(g->nodes);
    free(g->scratch);
    free(g);
}

static void set_status(cml_graph *g, cml_status st)
{
    if (g->status == CML_OK) g->status = st;
}

void *cml_graph_alloc(cml_graph *g, size_t bytes, int zero)
{
    bytes = (bytes + 63) & ~(size_t)63;
    arena_block *b = g->blocks;
    /* first-fit in the current block only: allocation order is a stack */
    if (!b || b->size - b->used < bytes) {
        size_t size = bytes > ARENA_BLOCK ? bytes : ARENA_BLOCK;
        /* grow geometrically so a reset keeps one block big enough for a step */
        if (b && size < 2 * b->size) size = 2 * b->size;
        arena_block *nb = cml_malloc(sizeof *nb + size);
        if (!nb) {
            set_status(g, CML_ERR_NOMEM);
            return NULL;
        }
        nb->size = size;
        nb->used = 0;
        nb->next = b;
        g->blocks = b = nb;
    }
    void *p = b->mem + b->used;
    b->used += bytes;
    if (zero) memset(p, 0, bytes);
    return p;
}

void *cml_graph_scratch(cml_graph *g, size_t bytes)
{
    if (bytes > g->scratch_size) {
        free(g->scratch);
        g->scratch_size = 0;
        g->scratch = cml_malloc(bytes);
        if (!g->scratch) {
            set_status(g, CML_ERR_NOMEM);
            return NULL;
        }
        g->scratch_size = bytes;
    }
    return g->scratch;
}

void cml_graph_set_training(cml_graph *g, int training)
{
    g->training = training;
}
int cml_graph_training(const cml_graph *g)
{
    return g->training;
}
void cml_graph_seed(cml_graph *g, uint64_t seed)
{
    cml_rng_seed(&g->rng, seed);
}
cml_rng *cml_graph_rng(cml_graph *g)
{
    return &g->rng;
}
cml_status cml_graph_status(const cml_graph *g)
{
    return g->status;
}

int64_t cml_t_numel(const cml_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

static void contiguous_strides(int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= shape[i];
    }
}

int cml_t_is_contiguous(const cml_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s) return 0;
        s *= t->shape[i];
    }
    return 1;
}

static int push_node(cml_graph *g, cml_tensor *t)
{
    if (g->n_nodes == g->cap_nodes) {
        int64_t cap = g->cap_nodes ? 2 * g->cap_nodes : 256;
        cml_tensor **n = cml_realloc(g->nodes, (size_t)cap * sizeof *n);
        if (!n) {
            set_status(g, CML_ERR_NOMEM);
            return 0;
        }
        g->nodes = n;
        g->cap_nodes = cap;
    }
    g->nodes[g->n_nodes++] = t;
    return 1;
}

/* A node header with shape; data is not allocated. */
static cml_tensor *node_header(cml_graph *g, cml_op op, cml_dtype dt, int ndim,
                               const int64_t *shape)
{
    if (g->status != CML_OK) return NULL;
    if (ndim < 0 || ndim > CML_T_MAXDIM) {
        set_status(g, cml_fail(CML_ERR_ARG, "tensor rank %d: must be 0..%d", ndim, CML_T_MAXDIM));
        return NULL;
    }
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0) {
            set_status(g, cml_fail(CML_ERR_ARG, "tensor dim %d is negative (%lld)", i,
                                   (long long)shape[i]));
            return NULL;
        }
    cml_tensor *t = cml_graph_alloc(g, sizeof *t, 1);
    if (!t) return NULL;
    t->op = op;
    t->dtype = dt;
    t->ndim = ndim;
    t->g = g;
    if (ndim) memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    contiguous_strides(ndim, t->shape, t->stride);
    if (!push_node(g, t)) return NULL;
    return t;
}

cml_tensor *cml_t_new(cml_graph *g, cml_dtype dt, int ndim, const int64_t *shape)
{
    cml_tensor *t = node_header(g, CML_OP_LEAF, dt, ndim, shape);
    if (!t) return NULL;
    t->data = cml_graph_alloc(g, (size_t)cml_t_numel(t) * cml_dtype_size(dt), 1);
    return t->data ? t : NULL;
}

cml_tensor *cml_t_wrap(cml_graph *g, cml_dtype dt, int ndim, const int64_t *shape, void *data,
                       void *grad)
{
    cml_tensor *t = node_header(g, CML_OP_LEAF, dt, ndim, shape);
    if (!t) return NULL;
    t->data = data;
    t->grad = grad;
    t->grad_external = grad != NULL;
    t->requires_grad = grad != NULL;
    return t;
}

/* ---------------------------------------------------------------- views */

static cml_tensor *view_of(cml_tensor *a, int ndim, const int64_t *shape)
{
    cml_tensor *t = node_header(a->g, CML_OP_VIEW, a->dtype, ndim, shape);
    if (!t) return NULL;
    t->src[0] = a;
    t->requires_grad = a->requires_grad;
    return t;
}

cml_tensor *cml_t_contiguous(cml_tensor *a);

cml_tensor *cml_t_reshape(cml_tensor *a, int ndim, const int64_t *shape)
{
    if (!a) return NULL;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    if (n != cml_t_numel(a)) {
        set_status(a->g, cml_fail(CML_ERR_ARG, "reshape: %lld elements into a shape of %lld",
                                  (long long)cml_t_numel(a), (long long)n));
        return NULL;
    }
    a = cml_t_contiguous(a);
    if (!a) return NULL;
    cml_tensor *t = view_of(a, ndim, shape);
    if (!t) return NULL;
    t->data = a->data;
    contiguous_strides(ndim, t->shape, t->gstride);
    return t;
}

cml_tensor *cml_t_transpose(cml_tensor *a, int d0, int d1)
{
    if (!a) return NULL;
    if (d0 < 0 || d1 < 0 || d0 >= a->ndim || d1 >= a->ndim) {
        set_status(a->g, cml_fail(CML_ERR_ARG, "transpose: dims %d,%d of a rank-%d tensor", d0, d1,
                                  a->ndim));
        return NULL;
    }
    int64_t shape[CML_T_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[d0] = a->shape[d1];
    shape[d1] = a->shape[d0];
    cml_tensor *t = view_of(a, a->ndim, shape);
    if (!t) return NULL;
    t->data = a->data;
    memcpy(t->stride, a->stride, sizeof t->stride);
    t->stride[d0] = a->stride[d1];
    t->stride[d1] = a->stride[d0];
    int64_t cs[CML_T_MAXDIM];
    contiguous_strides(a->ndim, a->shape, cs);
    memcpy(t->gstride, cs, sizeof cs);
    t->gstride[d0] = cs[d1];
    t->gstride[d1] = cs[d0];
    return t;
}

cml_tensor *cml_t_slice(cml_tensor *a, int dim, int64_t start, int64_t stop)
{
    if (!a) return NULL;
    if (dim < 0 || dim >= a->ndim || start < 0 || stop > a->shape[dim] || start > stop) {
        set_status(a->g, cml_fail(CML_ERR_ARG, "slice [%lld:%lld] of dim %d is out of range",
                                  (long long)start, (long long)stop, dim));
        return NULL;
    }
    int64_t shape[CML_T_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[dim] = stop - start;
    cml_tensor *t = view_of(a, a->ndim, shape);
    if (!t) return NULL;
    t->data = (char *)a->data + (size_t)(start * a->stride[dim]) * cml_dtype_size(a->dtype);
    memcpy(t->stride, a->stride, sizeof t->stride);
    contiguous_strides(a->ndim, a->shape, t->gstride);
    t->goffset = start * t->gstride[dim];
    return t;
}

cml_tensor *cml_t_broadcast(cml_tensor *a, int ndim, const int64_t *shape)
{
    if (!a) return NULL;
    int off = ndim - a->ndim;
    int ok = off >= 0;
    for (int i = 0; ok && i < a->ndim; i++)
        ok = a->shape[i] == shape[off + i] || a->shape[i] == 1;
    if (!ok) {
        set_status(a->g, cml_fail(CML_ERR_ARG, "broadcast: shapes are not compatible"));
        return NULL;
    }
    cml_tensor *t = view_of(a, ndim, shape);
    if (!t) return NULL;
    t->data = a->data;
    int64_t cs[CML_T_MAXDIM];
    contiguous_strides(a->ndim, a->shape, cs);
    for (int i = 0; i < ndim; i++) {
        int j = i - off;
        int bc = j < 0 || (a->shape[j] == 1 && shape[i] != 1);
        t->stride[i] = bc ? 0 : a->stride[j];
        t->gstride[i] = bc ? 0 : cs[j];
    }
    return t;
}

/* ---------------------------------------------------------------- ops */

/* A new op node with contiguous arena data, run forward by the backend. */
static cml_tensor *op_new(cml_graph *g, cml_op op, cml_dtype dt, int ndim, const int64_t *shape,
                          cml_tensor *a, cml_tensor *b, cml_tensor *c)
{
    cml_tensor *t = node_header(g, op, dt, ndim, shape);
    if (!t) return NULL;
    t->src[0] = a;
    t->src[1] = b;
    t->src[2] = c;
    for (int i = 0; i < 3; i++)
        if (t->src[i] && t->src[i]->requires_grad) t->requires_grad = 1;
    t->data = cml_graph_alloc(g, (size_t)cml_t_numel(t) * cml_dtype_size(dt), 0);
    if (!t->data) return NULL;
    return t;
}

static cml_tensor *run(cml_tensor *t)
{
    if (!t) return NULL;
    cml_graph *g = t->g;
    if (!g->be->supports_op(t)) {
        set_status(g, cml_fail(CML_ERR_UNSUPPORTED, "backend %s does not support op %d",
                               g->be->name, (int)t->op));
        return NULL;
    }
    cml_status st = g->be->forward(t);
    if (st != CML_OK) {
        set_status(g, st);
        return NULL;
    }
    return t;
}

cml_tensor *cml_t_contiguous(cml_tensor *a)
{
    if (!a || cml_t_is_contiguous(a)) return a;
    return run(op_new(a->g, CML_OP_CONTIG, a->dtype, a->ndim, a->shape, a, NULL, NULL));
}

static int same_shape(const cml_tensor *a, const cml_tensor *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static int check_pair(cml_tensor *a, cml_tensor *b, const char *what)
{
    if (!a || !b) return 0;
    if (a->g != b->g || a->dtype != b->dtype) {
        set_status(a->g, cml_fail(CML_ERR_ARG, "%s: tensors of different graphs or dtypes", what));
        return 0;
    }
    return 1;
}

/* ip0: the op's ip[0] (1 on ADD: a ReLU follows, cml_t_add_relu) */
static cml_tensor *binary_ip(cml_op op, cml_tensor *a, cml_tensor *b, const char *what, int ip0)
{
    if (!check_pair(a, b, what)) return NULL;
    if (!same_shape(a, b)) {
        /* numpy broadcasting: align right, 1 stretches */
        int nd = CML_MAX(a->ndim, b->ndim);
        int64_t shape[CML_T_MAXDIM];
        for (int i = 0; i < nd; i++) {
            int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
            int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
            if (da != db && da != 1 && db != 1) {
                set_status(a->g, cml_fail(CML_ERR_ARG,
                                          "%s: shapes do not broadcast (dim %d: %lld vs %lld)",
                                          what, i, (long long)da, (long long)db));
                return NULL;
            }
            shape[i] = da == 1 ? db : da;
        }
        a = cml_t_broadcast(a, nd, shape);
        b = cml_t_broadcast(b, nd, shape);
    }
    a = cml_t_contiguous(a);
    b = cml_t_contiguous(b);
    if (!a || !b) return NULL;
    cml_tensor *t = op_new(a->g, op, a->dtype, a->ndim, a->shape, a, b, NULL);
    if (t) t->ip[0] = ip0;
    return run(t);
}

static cml_tensor *binary(cml_op op, cml_tensor *a, cml_tensor *b, const char *what)
{
    return binary_ip(op, a, b, what, 0);
}

cml_tensor *cml_t_add(cml_tensor *a, cml_tensor *b)
{
    return binary(CML_OP_ADD, a, b, "add");
}
cml_tensor *cml_t_add_relu(cml_tensor *a, cml_tensor *b)
{
    return binary_ip(CML_OP_ADD, a, b, "add", 1);
}
cml_tensor *cml_t_sub(cml_tensor *a, cml_tensor *b)
{
    return binary(CML_OP_SUB, a, b, "sub");
}
cml_tensor *cml_t_mul(cml_tensor *a, cml_tensor *b)
{
    return binary(CML_OP_MUL, a, b, "mul");
}
cml_tensor *cml_t_div(cml_tensor *a, cml_tensor *b)
{
    return binary(CML_OP_DIV, a, b, "div");
}

static cml_tensor *unary(cml_op op, cml_tensor *a)
{
    a = cml_t_contiguous(a);
    if (!a) return NULL;
    return run(op_new(a->g, op, a->dtype, a->ndim, a->shape, a, NULL, NULL));
}

cml_tensor *cml_t_scale(cml_tensor *a, double c)
{
    a = cml_t_contiguous(a);
    if (!a) return NULL;
    cml_tensor *t = op_new(a->g, CML_OP_SCALE, a->dtype, a->ndim, a->shape, a, NULL, NULL);
    if (t) t->fp[0] = c;
    return run(t);
}
cml_tensor *cml_t_relu(cml_tensor *a)
{
    return unary(CML_OP_RELU, a);
}
cml_tensor *cml_t_gelu(cml_tensor *a)
{
    return unary(CML_OP_GELU, a);
}
cml_tensor *cml_t_sigmoid(cml_tensor *a)
{
    return unary(CML_OP_SIGMOID, a);
}
cml_tensor *cml_t_tanh(cml_tensor *a)
{
    return unary(CML_OP_TANH, a);
}
cml_tensor *cml_t_softmax(cml_tensor *a)
{
    return unary(CML_OP_SOFTMAX, a);
}
cml_tensor *cml_t_log_softmax(cml_tensor *a)
{
    return unary(CML_OP_LOG_SOFTMAX, a);
}

static cml_tensor *reduce(cml_op op, cml_tensor *a, int last)
{
    a = cml_t_contiguous(a);
    if (!a) return NULL;
    int64_t shape[CML_T_MAXDIM];
    int nd = 0;
    if (last && a->ndim > 0) {
        nd = a->ndim - 1;
        memcpy(shape, a->shape, (size_t)nd * sizeof *shape);
    }
    cml_tensor *t = op_new(a->g, op, a->dtype, nd, shape, a, NULL, NULL);
    if (t) t->ip[0] = last && a->ndim > 0;
    return run(t);
}
cml_tensor *cml_t_sum(cml_tensor *a, int last)
{
    return reduce(CML_OP_SUM, a, last);
}
cml_tensor *cml_t_mean(cml_tensor *a, int last)
{
    return reduce(CML_OP_MEAN, a, last);
}

static cml_status shape_error(cml_graph *g, const char *fmt, ...) CML_PRINTF(2, 3);
static cml_status shape_error(cml_graph *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cml_status st = cml_failv(CML_ERR_ARG, fmt, ap);
    va_end(ap);
    set_status(g, st);
    return st;
}

cml_tensor *cml_t_matmul(cml_tensor *a, cml_tensor *b, int ta, int tb)
{
    if (!check_pair(a, b, "matmul")) return NULL;
    if (a->ndim != 2 || b->ndim != 2) {
        shape_error(a->g, "matmul: needs 2-D tensors, got rank %d and %d", a->ndim, b->ndim);
        return NULL;
    }
    int64_t m = ta ? a->shape[1] : a->shape[0], k = ta ? a->shape[0] : a->shape[1];
    int64_t k2 = tb ? b->shape[1] : b->shape[0], n = tb ? b->shape[0] : b->shape[1];
    if (k != k2) {
        shape_error(a->g, "matmul: inner dims differ (%lld vs %lld)", (long long)k, (long long)k2);
        return NULL;
    }
    a = cml_t_contiguous(a);
    b = cml_t_contiguous(b);
    if (!a || !b) return NULL;
    int64_t shape[2] = {m, n};
    cml_tensor *t = op_new(a->g, CML_OP_MATMUL, a->dtype, 2, shape, a, b, NULL);
    if (t) {
        t->ip[0] = ta;
        t->ip[1] = tb;
    }
    return run(t);
}

cml_tensor *cml_t_linear(cml_tensor *x, cml_tensor *w, cml_tensor *b)
{
    if (!check_pair(x, w, "linear")) return NULL;
    if (x->ndim != 2 || w->ndim != 2 || x->shape[1] != w->shape[1] ||
        (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))) {
        shape_error(x->g, "linear: input has %lld features, the layer expects %lld",
                    (long long)(x->ndim == 2 ? x->shape[1] : -1), (long long)w->shape[1]);
        return NULL;
    }
    x = cml_t_contiguous(x);
    if (!x) return NULL;
    int64_t shape[2] = {x->shape[0], w->shape[0]};
    return run(op_new(x->g, CML_OP_LINEAR, x->dtype, 2, shape, x, w, b));
}

cml_tensor *cml_t_dropout(cml_tensor *a, double p)
{
    if (!a) return NULL;
    if (!a->g->training || p <= 0) return a; /* identity in eval mode */
    a = cml_t_contiguous(a);
    if (!a) return NULL;
    cml_tensor *t = op_new(a->g, CML_OP_DROPOUT, a->dtype, a->ndim, a->shape, a, NULL, NULL);
    if (!t) return NULL;
    t->fp[0] = p;
    t->aux = cml_graph_alloc(a->g, (size_t)cml_t_numel(a), 0);
    if (!t->aux) return NULL;
    /* mask drawn here (graph layer owns the RNG stream), applied by the backend */
    unsigned char *mask = t->aux;
    for (int64_t i = 0, n = cml_t_numel(a); i < n; i++)
        mask[i] = cml_rng_uniform(&a->g->rng) >= p;
    return run(t);
}

cml_tensor *cml_t_embedding(cml_tensor *table, const int64_t *ids, int64_t n)
{
    if (!table) return NULL;
    if (table->ndim != 2) {
        shape_error(table->g, "embedding: table must be 2-D");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= table->shape[0]) {
            shape_error(table->g, "embedding: id %lld at position %lld is outside [0, %lld)",
                        (long long)ids[i], (long long)i, (long long)table->shape[0]);
            return NULL;
        }
    table = cml_t_contiguous(table);
    if (!table) return NULL;
    int64_t shape[2] = {n, table->shape[1]};
    cml_tensor *t = op_new(table->g, CML_OP_EMBEDDING, table->dtype, 2, shape, table, NULL, NULL);
    if (!t) return NULL;
    t->aux = cml_graph_alloc(table->g, (size_t)n * sizeof(int64_t), 0);
    if (!t->aux) return NULL;
    memcpy(t->aux, ids, (size_t)n * sizeof(int64_t));
    return run(t);
}

cml_tensor *cml_t_concat(cml_tensor *a, cml_tensor *b, int dim)
{
    if (!check_pair(a, b, "concat")) return NULL;
    int ok = a->ndim == b->ndim && dim >= 0 && dim < a->ndim;
    for (int i = 0; ok && i < a->ndim; i++)
        ok = i == dim || a->shape[i] == b->shape[i];
    if (!ok) {
        shape_error(a->g, "concat: shapes differ outside dim %d", dim);
        return NULL;
    }
    a = cml_t_contiguous(a);
    b = cml_t_contiguous(b);
    if (!a || !b) return NULL;
    int64_t shape[CML_T_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[dim] += b->shape[dim];
    cml_tensor *t = op_new(a->g, CML_OP_CONCAT, a->dtype, a->ndim, shape, a, b, NULL);
    if (t) t->ip[0] = dim;
    return run(t);
}

cml_tensor *cml_t_layernorm(cml_tensor *x, cml_tensor *gamma, cml_tensor *beta, double eps)
{
    if (!check_pair(x, gamma, "layernorm") || !check_pair(x, beta, "layernorm")) return NULL;
    int64_t d = x->ndim ? x->shape[x->ndim - 1] : 1;
    if (cml_t_numel(gamma) != d || cml_t_numel(beta) != d) {
        shape_error(x->g, "layernorm: gamma/beta must have %lld elements", (long long)d);
        return NULL;
    }
    x = cml_t_contiguous(x);
    if (!x) return NULL;
    cml_tensor *t = op_new(x->g, CML_OP_LAYERNORM, x->dtype, x->ndim, x->shape, x, gamma, beta);
    if (!t) return NULL;
    t->fp[0] = eps;
    /* per-row mean and 1/std, saved for backward */
    t->aux =
        cml_graph_alloc(x->g, (size_t)(2 * (cml_t_numel(x) / (d ? d : 1))) * sizeof(double), 0);
    if (!t->aux) return NULL;
    return run(t);
}

static int64_t conv_out(int64_t in, int k, int stride, int pad, int dil)
{
    return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
}

cml_tensor *cml_t_conv2d(cml_tensor *x, cml_tensor *w, cml_tensor *b, int stride, int pad, int dil,
                         int groups)
{
    if (!check_pair(x, w, "conv2d")) return NULL;
    if (x->ndim != 4 || w->ndim != 4 || stride < 1 || pad < 0 || dil < 1 || groups < 1) {
        shape_error(x->g, "conv2d: needs x (N,C,H,W) and w (O,C/groups,KH,KW), stride >= 1, "
                          "padding >= 0, dilation >= 1, groups >= 1");
        return NULL;
    }
    int64_t C = x->shape[1], O = w->shape[0];
    if (C % groups || O % groups || w->shape[1] != C / groups) {
        shape_error(x->g, "conv2d: input has %lld channels but the weight expects %lld x %d groups",
                    (long long)C, (long long)w->shape[1], groups);
        return NULL;
    }
    if (b && (b->ndim != 1 || b->shape[0] != O)) {
        shape_error(x->g, "conv2d: bias must have %lld elements", (long long)O);
        return NULL;
    }
    int64_t OH = conv_out(x->shape[2], (int)w->shape[2], stride, pad, dil);
    int64_t OW = conv_out(x->shape[3], (int)w->shape[3], stride, pad, dil);
    if (OH < 1 || OW < 1) {
        shape_error(x->g, "conv2d: input %lldx%lld is smaller than the %lldx%lld kernel",
                    (long long)x->shape[2], (long long)x->shape[3], (long long)w->shape[2],
                    (long long)w->shape[3]);
        return NULL;
    }
    x = cml_t_contiguous(x);
    w = cml_t_contiguous(w);
    if (!x || !w) return NULL;
    int64_t shape[4] = {x->shape[0], O, OH, OW};
    cml_tensor *t = op_new(x->g, CML_OP_CONV2D, x->dtype, 4, shape, x, w, b);
    if (!t) return NULL;
    t->ip[0] = stride;
    t->ip[1] = pad;
    t->ip[2] = dil;
    t->ip[3] = groups;
    return run(t);
}

static cml_tensor *pool(cml_op op, cml_tensor *x, int k, int stride, int pad)
{
    if (!x) return NULL;
    if (x->ndim != 4 || k < 1 || stride < 1 || pad < 0 || 2 * pad > k) {
        shape_error(x->g, "pool: needs x (N,C,H,W), kernel >= 1, stride >= 1, 0 <= padding <= "
                          "kernel/2");
        return NULL;
    }
    int64_t OH = conv_out(x->shape[2], k, stride, pad, 1);
    int64_t OW = conv_out(x->shape[3], k, stride, pad, 1);
    if (OH < 1 || OW < 1) {
        shape_error(x->g, "pool: input %lldx%lld is smaller than the %dx%d window",
                    (long long)x->shape[2], (long long)x->shape[3], k, k);
        return NULL;
    }
    x = cml_t_contiguous(x);
    if (!x) return NULL;
    int64_t shape[4] = {x->shape[0], x->shape[1], OH, OW};
    cml_tensor *t = op_new(x->g, op, x->dtype, 4, shape, x, NULL, NULL);
    if (!t) return NULL;
    t->ip[0] = k;
    t->ip[1] = stride;
    t->ip[2] = pad;
    if (op == CML_OP_MAXPOOL2D) {
        t->aux = cml_graph_alloc(x->g, (size_t)cml_t_numel(t) * sizeof(int32_t), 0);
        if (!t->aux) return NULL;
    }
    return run(t);
}
cml_tensor *cml_t_maxpool2d(cml_tensor *x, int k, int stride, int pad)
{
    return pool(CML_OP_MAXPOOL2D, x, k, stride, pad);
}
cml_tensor *cml_t_avgpool2d(cml_tensor *x, int k, int stride, int pad)
{
    return pool(CML_OP_AVGPOOL2D, x, k, stride, pad);
}

static cml_tensor *batchnorm(cml_tensor *x, cml_tensor *gamma, cml_tensor *beta, void *running_mean,
                             void *running_var, double eps, double momentum, int relu)
{
    if (!check_pair(x, gamma, "batchnorm") || !check_pair(x, beta, "batchnorm")) return NULL;
    if (x->ndim < 2 || cml_t_numel(gamma) != x->shape[1] || cml_t_numel(beta) != x->shape[1]) {
        shape_error(x->g, "batchnorm: needs x (N,C,...) and gamma/beta of C elements");
        return NULL;
    }
    int training = x->g->training;
    int64_t nc = x->shape[0] * x->shape[1], spatial = nc ? cml_t_numel(x) / nc : 0;
    if (training && x->shape[0] * spatial < 2) {
        shape_error(x->g, "batchnorm: training needs more than 1 value per channel "
                          "(HINT: use batch_size >= 2)");
        return NULL;
    }
    x = cml_t_contiguous(x);
    if (!x) return NULL;
    cml_tensor *t = op_new(x->g, CML_OP_BATCHNORM, x->dtype, x->ndim, x->shape, x, gamma, beta);
    if (!t) return NULL;
    t->ip[0] = training;
    t->ip[1] = relu;
    t->fp[0] = eps;
    t->fp[1] = momentum;
    /* aux: per-channel mean and 1/std used (batch stats in training) */
    t->aux = cml_graph_alloc(x->g, (size_t)(2 * x->shape[1]) * sizeof(double), 0);
    if (!t->aux) return NULL;
    /* aux2: the running stats as a pointer pair {mean, var} */
    void **rv = cml_graph_alloc(x->g, 2 * sizeof(void *), 0);
    if (!rv) return NULL;
    rv[0] = running_mean;
    rv[1] = running_var;
    t->aux2 = rv;
    return run(t);
}

cml_tensor *cml_t_batchnorm(cml_tensor *x, cml_tensor *gamma, cml_tensor *beta, void *running_mean,
                            void *running_var, double eps, double momentum)
{
    return batchnorm(x, gamma, beta, running_mean, running_var, eps, momentum, 0);
}

cml_tensor *cml_t_batchnorm_relu(cml_tensor *x, cml_tensor *gamma, cml_tensor *beta,
                                 void *running_mean, void *running_var, double eps, double momentum)
{
    return batchnorm(x, gamma, beta, running_mean, running_var, eps, momentum, 1);
}

cml_tensor *cml_t_loss(cml_tensor *x, cml_tensor *target, cml_loss_kind kind, double p0, double p1)
{
    if (!check_pair(x, target, "loss")) return NULL;
    if (!same_shape(x, target)) {
        shape_error(x->g, "loss: prediction and target shapes differ");
        return NULL;
    }
    x = cml_t_contiguous(x);
    target = cml_t_contiguous(target);
    if (!x || !target) return NULL;
    cml_tensor *t = op_new(x->g, CML_OP_LOSS, x->dtype, 0, NULL, x, target, NULL);
    if (!t) return NULL;
    t->ip[0] = (int32_t)kind;
    t->fp[0] = p0;
    t->fp[1] = p1;
    return run(t);
}

cml_tensor *cml_t_cross_entropy(cml_tensor *logits, const int64_t *targets,
                                const double *class_weight, double smoothing)
{
    if (!logits) return NULL;
    if (logits->ndim != 2) {
        shape_error(logits->g, "cross_entropy: logits must be (N, C)");
        return NULL;
    }
    int64_t N = logits->shape[0], C = logits->shape[1];
    for (int64_t i = 0; i < N; i++)
        if (targets[i] < 0 || targets[i] >= C) {
            shape_error(logits->g, "cross_entropy: target %lld of row %lld is outside [0, %lld)",
                        (long long)targets[i], (long long)i, (long long)C);
            return NULL;
        }
    logits = cml_t_contiguous(logits);
    if (!logits) return NULL;
    cml_tensor *t =
        op_new(logits->g, CML_OP_CROSS_ENTROPY, logits->dtype, 0, NULL, logits, NULL, NULL);
    if (!t) return NULL;
    t->fp[0] = smoothing;
    int64_t *tg = cml_graph_alloc(logits->g, (size_t)N * sizeof *tg, 0);
    if (!tg) return NULL;
    memcpy(tg, targets, (size_t)N * sizeof *tg);
    t->aux = tg;
    if (class_weight) {
        double *w = cml_graph_alloc(logits->g, (size_t)C * sizeof *w, 0);
        if (!w) return NULL;
        memcpy(w, class_weight, (size_t)C * sizeof *w);
        t->aux2 = w;
    }
    return run(t);
}

/* ---------------------------------------------------------------- autograd */

cml_status cml_graph_backward(cml_graph *g, cml_tensor *loss)
{
    if (g->status != CML_OK) return g->status;
    if (!loss || cml_t_numel(loss) != 1)
        return cml_fail(CML_ERR_ARG, "backward: the loss must be a scalar tensor");
    if (!loss->requires_grad) return CML_OK; /* nothing to differentiate */
    for (int64_t i = 0; i < g->n_nodes; i++) {
        cml_tensor *t = g->nodes[i];
        if (!t->requires_grad || t->grad_external) continue;
        t->grad = cml_graph_alloc(g, (size_t)cml_t_numel(t) * cml_dtype_size(t->dtype), 0);
        if (!t->grad) return g->status;
        t->grad_fresh = 1;
    }
    if (loss->grad_fresh) {
        g->be->zero(loss->grad, 1, loss->dtype);
        loss->grad_fresh = 0;
    }
    if (loss->dtype == CML_F64)
        *(double *)loss->grad += 1.0;
    else
        *(float *)loss->grad += 1.0f;
    int64_t last = -1;
    for (int64_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i] == loss) last = i;
    for (int64_t i = last; i >= 0; i--) {
        cml_tensor *t = g->nodes[i];
        if (!t->requires_grad || t->op == CML_OP_LEAF) continue;
        /* no gradient reached t: every backward is linear in t's gradient,
         * so its contribution is zero */
        if (t->grad_fresh) continue;
        for (int k = 0; k < 3; k++) {
            cml_tensor *s = t->src[k];
            if (!s || !s->requires_grad || !s->grad_fresh) continue;
            /* a source used twice by one op gets two contributions: zero it */
            int dup = 0;
            for (int j = 0; j < 3; j++)
                dup |= j != k && t->src[j] == s;
            if (dup || !g->be->assigns || !g->be->assigns(t, k)) {
                g->be->zero(s->grad, cml_t_numel(s), s->dtype);
                s->grad_fresh = 0;
            }
        }
        CML_CHECK(g->be->backward(t));
        for (int k = 0; k < 3; k++)
            if (t->src[k]) t->src[k]->grad_fresh = 0;
    }
    /* grads nothing reached read as zero */
    for (int64_t i = 0; i < g->n_nodes; i++) {
        cml_tensor *t = g->nodes[i];
        if (!t->grad_fresh) continue;
        g->be->zero(t->grad, cml_t_numel(t), t->dtype);
        t->grad_fresh = 0;
    }
    return CML_OK;
}

double cml_t_get(const cml_tensor *t, int64_t i)
{
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        off += (i % t->shape[d]) * t->stride[d];
        i /= t->shape[d];
    }
    return t->dtype == CML_F64 ? ((const double *)t->data)[off] : ((const float *)t->data)[off];
}
