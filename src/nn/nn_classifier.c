/*
 * nn_classifier.c — `mlp_classifier` and `cnn_classifier`: neural-network
 * classifiers trained by minibatch gradient descent on the engine of
 * src/tensor (graph + autograd) and src/backend (compute).
 *
 * Objective: mean over a batch of the cross-entropy of softmax(f(x; theta))
 * against the label (with optional label smoothing and class weights, as
 * torch.nn.functional.cross_entropy), minimized by SGD (momentum, Nesterov),
 * Adam or AdamW with weight decay, a per-epoch learning-rate schedule
 * (constant, step, cosine; linear warm-up) and optional global-norm clipping.
 *
 * Training loop: each epoch shuffles the rows with the seeded RNG, runs the
 * batches, then scores the validation set (X_valid, or a validation_fraction
 * split when early_stopping is on) and reports train_loss / valid_loss /
 * valid_accuracy through cml_report_metric. Early stopping keeps the best
 * epoch's parameters (lowest validation loss) and stops after
 * n_iter_no_change epochs without improvement. A non-finite loss stops the
 * fit with the epoch and step where it appeared.
 *
 * Architectures: the MLP is "fc:h1,[bn,]act,[dropout:p,]fc:h2,...";
 * LeNet-5 (LeCun et al. 1998, with ReLU and max-pooling, padded to 28x28
 * inputs) is "conv:6:5:1:2,relu,maxpool:2,conv:16:5,relu,maxpool:2,fc:120,
 * relu,fc:84,relu"; ResNet-8 is a CIFAR-style ResNet (He et al. 2016, sec.
 * 4.2) with one basic block per stage: "conv:16:3:1:1,bn,relu,res:16,
 * res:32:2,res:64:2,gap". A final fc to the classes is always appended.
 *
 * Inputs are standardized with statistics of the training data (per
 * feature for the MLP, one global mean/std for images), kept in the model.
 *
 * Cost: per epoch O(n * flops(f)); memory: one batch's activations.
 * Thread-safety: predict is read-only on the model.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cml/nn.h"
#include "core/strbuf.h"
#include "neighbors/labels.h"
#include "nn/nn_internal.h"
#include "tensor/par.h"

/* ---------------------------------------------------------------- params */

#define P(f) offsetof(cml_net_params, f)
/* rows both classifiers share (one place, two tables) */
#define NN_COMMON_DEFS(NORMALIZE_DEFAULT)                                                            \
    {"dropout", CML_PARAM_DOUBLE,                                                                    \
     "0",       0,                                                                                   \
     1,         0,                                                                                   \
     NULL,      "dropout probability (MLP: after each hidden layer; CNN: before the classifier)",    \
     P(dropout)},                                                                                    \
        {"init",                                                                                     \
         CML_PARAM_ENUM,                                                                             \
         "default",                                                                                  \
         0,                                                                                          \
         0,                                                                                          \
         0,                                                                                          \
         "default|kaiming|xavier",                                                                   \
         "weight init: PyTorch's default, Kaiming normal, or Xavier uniform",                        \
         P(init)},                                                                                   \
        {"optimizer", CML_PARAM_ENUM, "adam", 0, 0, 0, "sgd|adam|adamw", "optimizer", P(optimizer)}, \
        {"learning_rate",         CML_PARAM_DOUBLE, "0.001", 0, 1e3, 1, NULL,                        \
         "initial learning rate", P(learning_rate)},                                                 \
        {"momentum", CML_PARAM_DOUBLE, "0.9", 0, 1, 0, NULL, "SGD momentum", P(momentum)},           \
        {"nesterov", CML_PARAM_BOOL, "false", 0, 1, 0, NULL, "Nesterov momentum (SGD)",              \
         P(nesterov)},                                                                               \
        {"weight_decay",                                                                             \
         CML_PARAM_DOUBLE,                                                                           \
         "0",                                                                                        \
         0,                                                                                          \
         1e3,                                                                                        \
         0,                                                                                          \
         NULL,                                                                                       \
         "L2 penalty (SGD, Adam) or decoupled decay (AdamW)",                                        \
         P(weight_decay)},                                                                           \
        {"beta_1", CML_PARAM_DOUBLE, "0.9", 0, 1, 0, NULL, "Adam first-moment decay", P(beta_1)},    \
        {"beta_2", CML_PARAM_DOUBLE, "0.999", 0, 1, 0, NULL, "Adam second-moment decay", P(beta_2)}, \
        {"epsilon", CML_PARAM_DOUBLE,           "1e-8",    0, 1, 1,                                  \
         NULL,      "Adam denominator epsilon", P(epsilon)},                                         \
        {"epochs", CML_PARAM_INT, "10", 1, 1e6, 0, NULL, "passes over the training data",            \
         P(epochs)},                                                                                 \
        {"batch_size", CML_PARAM_INT, "128", 1, 1e7, 0, NULL, "rows per gradient step",              \
         P(batch_size)},                                                                             \
        {"lr_schedule",                                                                              \
         CML_PARAM_ENUM,                                                                             \
         "constant",                                                                                 \
         0,                                                                                          \
         0,                                                                                          \
         0,                                                                                          \
         "constant|step|cosine",                                                                     \
         "per-epoch learning-rate schedule",                                                         \
         P(lr_schedule)},                                                                            \
        {"lr_step_size", CML_PARAM_INT, "10", 1, 1e6, 0, NULL, "step schedule: epochs per decay",    \
         P(lr_step_size)},                                                                           \
        {"lr_gamma", CML_PARAM_DOUBLE, "0.1", 0, 1, 1, NULL, "step schedule: decay factor",          \
         P(lr_gamma)},                                                                               \
        {"warmup_epochs", CML_PARAM_INT, "0", 0, 1e6, 0, NULL, "linear learning-rate warm-up",       \
         P(warmup_epochs)},                                                                          \
        {"max_grad_norm",                                                                            \
         CML_PARAM_DOUBLE,                                                                           \
         "0",                                                                                        \
         0,                                                                                          \
         1e30,                                                                                       \
         0,                                                                                          \
         NULL,                                                                                       \
         "clip the global gradient norm to this (0: off)",                                           \
         P(max_grad_norm)},                                                                          \
        {"label_smoothing", CML_PARAM_DOUBLE, "0", 0, 1, 0, NULL, "cross-entropy label smoothing",   \
         P(label_smoothing)},                                                                        \
        {"class_weight",                                                                             \
         CML_PARAM_STRING,                                                                           \
         "",                                                                                         \
         0,                                                                                          \
         0,                                                                                          \
         0,                                                                                          \
         NULL,                                                                                       \
         "\"\", \"balanced\" or \"w1,...,wC\" in sorted class order",                                \
         P(class_weight)},                                                                           \
        {"early_stopping",                                                                           \
         CML_PARAM_BOOL,                                                                             \
         "false",                                                                                    \
         0,                                                                                          \
         1,                                                                                          \
         0,                                                                                          \
         NULL,                                                                                       \
         "stop when the validation loss stops improving (keeps the best epoch)",                     \
         P(early_stopping)},                                                                         \
        {"validation_fraction",                                                                      \
         CML_PARAM_DOUBLE,                                                                           \
         "0.1",                                                                                      \
         0,                                                                                          \
         1,                                                                                          \
         1,                                                                                          \
         NULL,                                                                                       \
         "share of rows held out when early_stopping and no validation set",                         \
         P(validation_fraction)},                                                                    \
        {"n_iter_no_change",                                                                         \
         CML_PARAM_INT,                                                                              \
         "5",                                                                                        \
         1,                                                                                          \
         1e6,                                                                                        \
         0,                                                                                          \
         NULL,                                                                                       \
         "early stopping patience in epochs",                                                        \
         P(n_iter_no_change)},                                                                       \
        {"normalize",                                                                                \
         CML_PARAM_ENUM,                                                                             \
         NORMALIZE_DEFAULT,                                                                          \
         0,                                                                                          \
         0,                                                                                          \
         0,                                                                                          \
         "feature|global|none",                                                                      \
         "input standardization: per feature, one mean/std, or none",                                \
         P(normalize)},                                                                              \
        {"checkpoint",                                                                               \
         CML_PARAM_STRING,                                                                           \
         "",                                                                                         \
         0,                                                                                          \
         0,                                                                                          \
         0,                                                                                          \
         NULL,                                                                                       \
         "write a resumable training checkpoint (GGUF) to this path after every epoch",              \
         P(checkpoint)},                                                                             \
        {"resume", CML_PARAM_STRING,                                                                 \
         "",       0,                                                                                \
         0,        0,                                                                                \
         NULL,     "continue training exactly from this checkpoint",                                 \
         P(resume)},                                                                                 \
    {                                                                                                \
        "random_state", CML_PARAM_INT, "0", 0, 2147483647.0, 0, NULL,                                \
            "seed of initialization, shuffling and dropout", P(random_state)                         \
    }

static const cml_param_def mlp_defs[] = {
    {"hidden_layer_sizes", CML_PARAM_STRING, "100", 0, 0, 0, NULL,
     "sizes of the hidden layers, e.g. \"256,128\"", P(hidden_layer_sizes)},
    {"activation", CML_PARAM_ENUM, "relu", 0, 0, 0, "relu|tanh|logistic|gelu",
     "hidden-layer activation", P(activation)},
    {"batch_norm", CML_PARAM_BOOL, "false", 0, 1, 0, NULL,
     "batch normalization after each hidden layer", P(batch_norm)},
    NN_COMMON_DEFS("feature"),
};
static const cml_param_def cnn_defs[] = {
    {"arch", CML_PARAM_ENUM, "lenet5", 0, 0, 0, "lenet5|resnet8|custom",
     "architecture; custom takes the layers from `spec`", P(arch)},
    {"spec", CML_PARAM_STRING, "", 0, 0, 0, NULL,
     "custom stack, e.g. \"conv:32:3:1:1,bn,relu,maxpool:2,fc:128,relu\" (see docs/nn.md)",
     P(spec)},
    {"input_shape", CML_PARAM_STRING, "", 0, 0, 0, NULL,
     "\"C,H,W\"; empty: one channel, square images", P(input_shape)},
    NN_COMMON_DEFS("global"),
};
#define N_MLP ((int)(sizeof mlp_defs / sizeof mlp_defs[0]))
#define N_CNN ((int)(sizeof cnn_defs / sizeof cnn_defs[0]))

static const char *const lenet5_spec =
    "conv:6:5:1:2,relu,maxpool:2,conv:16:5,relu,maxpool:2,fc:120,relu,fc:84,relu";
static const char *const resnet8_spec = "conv:16:3:1:1,bn,relu,res:16,res:32:2,res:64:2,gap";

struct cml_net {
    cml_net_params p;
    int cnn;
    nn_net net;
    int64_t C, F;
    double *classes; /* (C) */
    float *mu, *sd;  /* (n_norm) input standardization */
    int64_t n_norm;
    int n_epochs;
    double *loss_curve; /* (n_epochs) */
};

cml_net_params cml_mlp_classifier_params_default(void)
{
    cml_net_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(mlp_defs, N_MLP, &p);
    return p;
}

cml_net_params cml_cnn_classifier_params_default(void)
{
    cml_net_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(cnn_defs, N_CNN, &p);
    return p;
}

/* Parses "a,b,c" positive integers; returns the count or -1. */
static int parse_ints(const char *s, int64_t *out, int max)
{
    int n = 0;
    const char *p = s;
    while (*p == ' ')
        p++;
    if (!*p) return 0;
    for (;;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 1 || v > 100000000 || n == max) return -1;
        out[n++] = v;
        while (*end == ' ')
            end++;
        if (!*end) return n;
        if (*end != ',') return -1;
        p = end + 1;
    }
}

const char *cml_net_params_check(const cml_net_params *p, int cnn)
{
    static _Thread_local char msg[256];
    const char *m = cml_params_check(cnn ? cnn_defs : mlp_defs, cnn ? N_CNN : N_MLP, p);
    if (m) return m;
    int64_t v[64];
    if (!cnn && parse_ints(p->hidden_layer_sizes, v, 64) < 0)
        return "hidden_layer_sizes must be positive integers separated by commas, e.g. \"256,128\"";
    if (cnn && p->input_shape[0] && parse_ints(p->input_shape, v, 3) != 3)
        return "input_shape must be \"C,H,W\" (three positive integers) or empty";
    if (cnn && p->arch == 2 && !p->spec[0])
        return "arch=custom needs spec, e.g. spec=\"conv:16:3:1:1,relu,maxpool:2\"";
    if (p->class_weight[0] && strcmp(p->class_weight, "balanced")) {
        const char *s = p->class_weight;
        while (*s) {
            char *end;
            double w = strtod(s, &end);
            if (end == s || !(w >= 0) || (*end && *end != ',')) {
                snprintf(msg, sizeof msg,
                         "class_weight must be \"balanced\" or non-negative numbers separated "
                         "by commas, got \"%s\"",
                         p->class_weight);
                return msg;
            }
            s = *end ? end + 1 : end;
        }
    }
    return NULL;
}

/* The layer spec of this configuration (without the final classifier). */
static cml_status make_spec(const cml_net_params *p, int cnn, char *buf, size_t len)
{
    cml_sb sb;
    cml_sb_init(&sb);
    if (cnn) {
        cml_sb_puts(&sb, p->arch == 0 ? lenet5_spec : p->arch == 1 ? resnet8_spec : p->spec);
        if (p->dropout > 0) cml_sb_printf(&sb, ",dropout:%.17g", p->dropout);
    } else {
        static const char *const acts[] = {"relu", "tanh", "sigmoid", "gelu"};
        int64_t h[64];
        int n = parse_ints(p->hidden_layer_sizes, h, 64);
        for (int i = 0; i < n; i++) {
            cml_sb_printf(&sb, "%sfc:%lld", i ? "," : "", (long long)h[i]);
            if (p->batch_norm) cml_sb_puts(&sb, ",bn");
            cml_sb_printf(&sb, ",%s", acts[p->activation]);
            if (p->dropout > 0) cml_sb_printf(&sb, ",dropout:%.17g", p->dropout);
        }
    }
    char *s = cml_sb_finish(&sb);
    if (!s) return CML_ERR_NOMEM;
    if (strlen(s) >= len) {
        free(s);
        return cml_fail(CML_ERR_ARG, "network spec is too long");
    }
    strcpy(buf, s);
    free(s);
    return CML_OK;
}

/* Input shape: (F) for the MLP, (C,H,W) for the CNN. */
static cml_status input_shape(const cml_net_params *p, int cnn, int64_t F, int *ndim, int64_t *sh)
{
    if (!cnn) {
        *ndim = 1;
        sh[0] = F;
        return CML_OK;
    }
    *ndim = 3;
    if (p->input_shape[0]) {
        parse_ints(p->input_shape, sh, 3);
        if (sh[0] * sh[1] * sh[2] != F)
            return cml_fail(CML_ERR_ARG,
                            "input_shape=%s has %lld values but the data has %lld features",
                            p->input_shape, (long long)(sh[0] * sh[1] * sh[2]), (long long)F);
        return CML_OK;
    }
    int64_t s = (int64_t)llround(sqrt((double)F));
    if (s * s != F)
        return cml_fail(CML_ERR_ARG,
                        "cnn_classifier: %lld features are not a square image "
                        "(HINT: set input_shape=C,H,W)",
                        (long long)F);
    sh[0] = 1;
    sh[1] = sh[2] = s;
    return CML_OK;
}

static cml_status build_net(cml_net *m)
{
    char spec[1024];
    int nd;
    int64_t sh[3];
    CML_CHECK(make_spec(&m->p, m->cnn, spec, sizeof spec));
    CML_CHECK(input_shape(&m->p, m->cnn, m->F, &nd, sh));
    return nn_net_build(&m->net, spec, nd, sh, m->C, (nn_init)m->p.init,
                        (uint64_t)m->p.random_state);
}

void cml_net_free(cml_net *m)
{
    if (!m) return;
    nn_net_free(&m->net);
    free(m->classes);
    free(m->mu);
    free(m->sd);
    free(m->loss_curve);
    free(m);
}

/* ---------------------------------------------------------------- batches */

/* xb (B, F) floats = standardized rows idx[0..B) of X */
typedef struct batch_job {
    const cml_net *m;
    const cml_matrix *X;
    const int64_t *idx;
    float *xb;
} batch_job;

static void load_rows(void *ctx, int64_t lo, int64_t hi, int tid)
{
    (void)tid;
    const batch_job *b = ctx;
    const cml_net *m = b->m;
    int64_t F = m->F;
    for (int64_t i = lo; i < hi; i++) {
        const double *row = cml_matrix_row(b->X, b->idx ? b->idx[i] : i);
        float *o = b->xb + i * F;
        if (m->n_norm == F)
            for (int64_t j = 0; j < F; j++)
                o[j] = (float)((row[j] - m->mu[j]) / m->sd[j]);
        else if (m->n_norm == 1)
            for (int64_t j = 0; j < F; j++)
                o[j] = (float)((row[j] - m->mu[0]) / m->sd[0]);
        else
            for (int64_t j = 0; j < F; j++)
                o[j] = (float)row[j];
    }
}

static void load_batch(const cml_net *m, const cml_matrix *X, const int64_t *idx, int64_t B,
                       float *xb)
{
    batch_job b = {m, X, idx, xb};
    cml_par_for_min(B, 16384 / (m->F ? m->F : 1), B * m->F, 65536, load_rows, &b);
}

/* Rows per forward pass when no gradient is needed (predict, validation).
 * Fewer rows keep each op's output in cache and the arena small (the eager
 * graph keeps a pass's activations: 256 rows of ResNet-8 take ~400 MB), but
 * every op is one parallel loop, and (with OpenMP loops, before tensor/par.c)
 * on a machine with more runnable threads than cores each loop waited for a
 * descheduled thread: 64-row batches measured 3x slower there with 2
 * threads, 7% faster with one.
 * Networks on feature vectors (MLPs) keep a few KB per row, so they take
 * EVAL_BATCH_FLAT rows: each GEMM then packs its weights once per 1024 rows
 * instead of per 256, and the linear layers' column blocks give both
 * threads work (MLP inference of the 10,000 Fashion-MNIST test images at 2
 * threads: 49 -> 36 ms with both changes).
 * Eval-mode outputs are per row, so this does not change any result. */
#define EVAL_BATCH      256
#define EVAL_BATCH_FLAT 1024

static int64_t eval_batch(const cml_net *m)
{
    return m->net.in_ndim == 1 ? EVAL_BATCH_FLAT : EVAL_BATCH;
}

static cml_tensor *input_tensor(const cml_net *m, cml_graph *g, float *xb, int64_t B)
{
    int64_t sh[4] = {B, m->net.in_shape[0], m->net.in_shape[1], m->net.in_shape[2]};
    return cml_t_wrap(g, CML_F32, m->net.in_ndim + 1, sh, xb, NULL);
}

/* Softmax probabilities of rows [0, X->rows) into proba (rows, C), eval mode. */
static cml_status forward_proba(const cml_net *m, const cml_matrix *X, double *proba)
{
    const int64_t BS = eval_batch(m);
    cml_status st = CML_OK;
    cml_graph *g = cml_graph_new(NULL);
    float *xb = cml_alloc_array(BS * m->F, sizeof(float));
    if (!g || !xb) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t s = 0; s < X->rows; s += BS) {
        int64_t B = CML_MIN(BS, X->rows - s);
        cml_matrix sub = {cml_matrix_row(X, s), B, X->cols, X->ld};
        load_batch(m, &sub, NULL, B, xb);
        cml_graph_reset(g);
        cml_tensor *pr =
            cml_t_softmax(nn_net_forward(&m->net, g, input_tensor(m, g, xb, B), NN_INFER));
        CML_TRY(cml_graph_status(g));
        const float *pd = pr->data;
        for (int64_t i = 0; i < B * m->C; i++)
            proba[s * m->C + i] = pd[i];
    }
fail:
    cml_graph_free(g);
    free(xb);
    return st;
}

static cml_status check_X(const cml_net *m, const cml_matrix *X)
{
    if (X->cols != m->F)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, the model was fitted on %lld",
                        m->cnn ? "cnn_classifier" : "mlp_classifier", (long long)X->cols,
                        (long long)m->F);
    return CML_OK;
}

cml_status cml_net_predict_proba(const cml_net *m, const cml_matrix *X, double *out)
{
    CML_CHECK(check_X(m, X));
    return forward_proba(m, X, out);
}

cml_status cml_net_predict(const cml_net *m, const cml_matrix *X, double *out)
{
    CML_CHECK(check_X(m, X));
    double *pr = cml_alloc_array(X->rows * m->C, sizeof(double));
    if (!pr) return CML_ERR_NOMEM;
    cml_status st = forward_proba(m, X, pr);
    for (int64_t i = 0; st == CML_OK && i < X->rows; i++) {
        int64_t best = 0;
        for (int64_t c = 1; c < m->C; c++)
            if (pr[i * m->C + c] > pr[i * m->C + best]) best = c;
        out[i] = m->classes[best];
    }
    free(pr);
    return st;
}

/* ---------------------------------------------------------------- fit */

/* Per-epoch progress is INFO when stderr is a terminal (someone watches),
 * DEBUG otherwise, so logs of batch jobs stay short. */
static cml_log_level progress_level(void)
{
    return isatty(STDERR_FILENO) ? CML_LOG_INFO : CML_LOG_DEBUG;
}

static cml_status standardize_stats(cml_net *m, const cml_matrix *X, const int64_t *rows, int64_t n)
{
    int mode = m->p.normalize; /* 0 feature, 1 global, 2 none */
    if (mode == 2) return CML_OK;
    m->n_norm = mode == 0 ? m->F : 1;
    m->mu = cml_alloc_array(m->n_norm, sizeof(float));
    m->sd = cml_alloc_array(m->n_norm, sizeof(float));
    double *s = cml_calloc((size_t)m->F, sizeof(double)),
           *s2 = cml_calloc((size_t)m->F, sizeof(double));
    if (!m->mu || !m->sd || !s || !s2) {
        free(s);
        free(s2);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        const double *r = cml_matrix_row(X, rows[i]);
        for (int64_t j = 0; j < m->F; j++) {
            s[j] += r[j];
            s2[j] += r[j] * r[j];
        }
    }
    if (mode == 1) {
        for (int64_t j = 1; j < m->F; j++) {
            s[0] += s[j];
            s2[0] += s2[j];
        }
    }
    double cnt = (double)n * (mode == 1 ? (double)m->F : 1.0);
    for (int64_t j = 0; j < m->n_norm; j++) {
        double mu = s[j] / cnt, var = s2[j] / cnt - mu * mu;
        m->mu[j] = (float)mu;
        /* constant features: scale 1, as sklearn's StandardScaler */
        m->sd[j] = var > 1e-12 * (1 + mu * mu) ? (float)sqrt(var) : 1.0f;
    }
    free(s);
    free(s2);
    return CML_OK;
}

static cml_status class_weights(const cml_net *m, const int32_t *codes, const int64_t *rows,
                                int64_t n, double **out)
{
    *out = NULL;
    if (!m->p.class_weight[0]) return CML_OK;
    double *w = cml_calloc((size_t)m->C, sizeof(double));
    if (!w) return CML_ERR_NOMEM;
    if (!strcmp(m->p.class_weight, "balanced")) {
        for (int64_t i = 0; i < n; i++)
            w[codes[rows[i]]] += 1;
        for (int64_t c = 0; c < m->C; c++) /* sklearn: n / (C * count) */
            w[c] = w[c] > 0 ? (double)n / ((double)m->C * w[c]) : 0;
    } else {
        const char *s = m->p.class_weight;
        int64_t c = 0;
        while (*s && c < m->C) {
            char *end;
            w[c++] = strtod(s, &end);
            s = *end ? end + 1 : end;
        }
        if (c != m->C || *s) {
            free(w);
            return cml_fail(CML_ERR_ARG, "class_weight has %s values than the %lld classes",
                            c < m->C ? "fewer" : "more", (long long)m->C);
        }
    }
    *out = w;
    return CML_OK;
}

typedef struct eval_result {
    double loss, accuracy;
} eval_result;

static cml_status evaluate(const cml_net *m, const cml_matrix *X, const int64_t *rows,
                           const int32_t *codes, int64_t n, eval_result *r)
{
    const int64_t BS = eval_batch(m);
    cml_status st = CML_OK;
    cml_graph *g = cml_graph_new(NULL);
    float *xb = cml_alloc_array(BS * m->F, sizeof(float));
    int64_t *yb = cml_alloc_array(BS, sizeof(int64_t));
    double loss = 0;
    int64_t correct = 0;
    if (!g || !xb || !yb) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t s = 0; s < n; s += BS) {
        int64_t B = CML_MIN(BS, n - s);
        load_batch(m, X, rows + s, B, xb);
        for (int64_t i = 0; i < B; i++)
            yb[i] = codes[rows[s + i]];
        cml_graph_reset(g);
        cml_tensor *lo = nn_net_forward(&m->net, g, input_tensor(m, g, xb, B), NN_INFER);
        cml_tensor *l = cml_t_cross_entropy(lo, yb, NULL, 0);
        CML_TRY(cml_graph_status(g));
        loss += cml_t_get(l, 0) * (double)B;
        const float *z = lo->data;
        for (int64_t i = 0; i < B; i++) {
            int64_t best = 0;
            for (int64_t c = 1; c < m->C; c++)
                if (z[i * m->C + c] > z[i * m->C + best]) best = c;
            correct += best == yb[i];
        }
    }
    r->loss = n ? loss / (double)n : NAN;
    r->accuracy = n ? (double)correct / (double)n : NAN;
fail:
    cml_graph_free(g);
    free(xb);
    free(yb);
    return st;
}

static cml_status save_store(const nn_store *s, const char *prefix, cml_gguf_writer *w);
static cml_status load_store(nn_store *s, const char *prefix, const cml_gguf *g);

/* ---------------------------------------------------------------- checkpoints */

/*
 * A checkpoint is a GGUF file holding everything the training loop needs to
 * continue exactly as if it had not stopped: parameters, batch-norm buffers,
 * the optimizer's moments and step count, both RNG states (shuffling and
 * dropout), the current row permutation, the early-stopping state and the
 * loss curve so far. An architecture signature guards against resuming a
 * different network.
 */
typedef struct ckpt_state {
    cml_rng *shuffle, *dropout;
    int64_t *rows, n_rows;
    nn_optim *opt;
    double *best;
    int *since_best;
    int64_t *step;
    float *best_p, *best_b; /* NULL without early stopping */
} ckpt_state;

static cml_status arch_signature(const cml_net *m, char *buf, size_t len)
{
    char spec[1024];
    CML_CHECK(make_spec(&m->p, m->cnn, spec, sizeof spec));
    snprintf(buf, len, "%s|%s|in=%lld|classes=%lld|optimizer=%d|normalize=%d",
             m->cnn ? "cnn" : "mlp", spec, (long long)m->F, (long long)m->C, m->p.optimizer,
             m->p.normalize);
    return CML_OK;
}

static cml_status ckpt_save(const char *path, const cml_net *m, const ckpt_state *cs, int epoch)
{
    cml_status st = CML_OK;
    char sig[1200];
    cml_gguf_writer *w = cml_gguf_writer_new();
    if (!w) return CML_ERR_NOMEM;
    int64_t rng[8];
    for (int k = 0; k < 4; k++) {
        rng[k] = (int64_t)cs->shuffle->s[k];
        rng[4 + k] = (int64_t)cs->dropout->s[k];
    }
    CML_TRY(arch_signature(m, sig, sizeof sig));
    CML_TRY(cml_gguf_set_str(w, "cml.kind", "nn_checkpoint"));
    CML_TRY(cml_gguf_set_str(w, "cml.ckpt.arch", sig));
    CML_TRY(cml_gguf_set_i64(w, "cml.ckpt.epoch", epoch));
    CML_TRY(cml_gguf_set_i64(w, "cml.ckpt.step", *cs->step));
    CML_TRY(cml_gguf_set_i64(w, "cml.ckpt.opt_t", cs->opt->t));
    CML_TRY(cml_gguf_set_f64(w, "cml.ckpt.best", *cs->best));
    CML_TRY(cml_gguf_set_i64(w, "cml.ckpt.since_best", *cs->since_best));
    CML_TRY(cml_gguf_set_arr_i64(w, "cml.ckpt.rng", rng, 8));
    CML_TRY(cml_gguf_add_i64(w, "rows", cs->rows, cs->n_rows));
    CML_TRY(cml_gguf_add_f64(w, "loss_curve", m->loss_curve, 1, epoch));
    CML_TRY(cml_gguf_add_tensor(w, "opt.m", CML_GGUF_T_F32, 1, &cs->opt->n, cs->opt->m));
    CML_TRY(cml_gguf_add_tensor(w, "opt.v", CML_GGUF_T_F32, 1, &cs->opt->n, cs->opt->v));
    if (cs->best_p) {
        CML_TRY(
            cml_gguf_add_tensor(w, "best.params", CML_GGUF_T_F32, 1, &m->net.params.n, cs->best_p));
        CML_TRY(cml_gguf_add_tensor(w, "best.buffers", CML_GGUF_T_F32, 1, &m->net.buffers.n,
                                    cs->best_b));
    }
    CML_TRY(save_store(&m->net.params, "param.", w));
    CML_TRY(save_store(&m->net.buffers, "buffer.", w));
    CML_TRY(cml_gguf_write_file(w, path));
fail:
    cml_gguf_writer_free(w);
    return st;
}

static cml_status copy_f32(const cml_gguf *g, const char *name, int64_t n, float *dst)
{
    const void *d;
    int nd;
    int64_t dims[4];
    CML_CHECK(cml_gguf_get_tensor(g, name, CML_GGUF_T_F32, &d, &nd, dims));
    if (nd != 1 || dims[0] != n)
        return cml_fail(CML_ERR_FORMAT, "%s: checkpoint tensor %s has the wrong size",
                        cml_gguf_name(g), name);
    memcpy(dst, d, (size_t)n * sizeof(float));
    return CML_OK;
}

static cml_status ckpt_load(const char *path, cml_net *m, ckpt_state *cs, int *epoch)
{
    cml_gguf *g = NULL;
    cml_status st = cml_gguf_read_file(path, &g);
    if (st != CML_OK) return cml_fail_context(st, "resume");
    char sig[1200];
    const char *have;
    int64_t ep, step, t, sb, *rng = NULL, nrng;
    double best;
    CML_TRY(arch_signature(m, sig, sizeof sig));
    if (cml_gguf_get_str(g, "cml.ckpt.arch", &have) != CML_OK)
        CML_TRY(cml_fail(CML_ERR_FORMAT, "%s is not a training checkpoint", path));
    if (strcmp(have, sig))
        CML_TRY(cml_fail(CML_ERR_ARG,
                         "checkpoint %s holds another architecture (%s) than this model (%s) "
                         "(HINT: resume with the parameters and data of the run that wrote it)",
                         path, have, sig));
    CML_TRY(cml_gguf_get_i64(g, "cml.ckpt.epoch", &ep));
    CML_TRY(cml_gguf_get_i64(g, "cml.ckpt.step", &step));
    CML_TRY(cml_gguf_get_i64(g, "cml.ckpt.opt_t", &t));
    CML_TRY(cml_gguf_get_i64(g, "cml.ckpt.since_best", &sb));
    CML_TRY(cml_gguf_get_f64(g, "cml.ckpt.best", &best));
    CML_TRY(cml_gguf_get_arr_i64(g, "cml.ckpt.rng", &rng, &nrng));
    if (ep < 0 || ep > m->p.epochs || nrng != 8 || t < 0 || step < 0)
        CML_TRY(cml_fail(CML_ERR_FORMAT, "%s: bad checkpoint state (epoch %lld of %d)", path,
                         (long long)ep, m->p.epochs));
    CML_TRY(cml_gguf_read_i64(g, "rows", cs->n_rows, cs->rows));
    for (int64_t i = 0; i < cs->n_rows; i++)
        if (cs->rows[i] < 0 || cs->rows[i] >= cs->n_rows)
            CML_TRY(cml_fail(CML_ERR_FORMAT, "%s: bad row permutation", path));
    if (ep) CML_TRY(cml_gguf_read_f64(g, "loss_curve", 1, ep, m->loss_curve));
    CML_TRY(copy_f32(g, "opt.m", cs->opt->n, cs->opt->m));
    CML_TRY(copy_f32(g, "opt.v", cs->opt->n, cs->opt->v));
    if (cs->best_p && cml_gguf_has(g, "best.params")) {
        CML_TRY(copy_f32(g, "best.params", m->net.params.n, cs->best_p));
        CML_TRY(copy_f32(g, "best.buffers", m->net.buffers.n, cs->best_b));
    }
    CML_TRY(load_store(&m->net.params, "param.", g));
    CML_TRY(load_store(&m->net.buffers, "buffer.", g));
    for (int k = 0; k < 4; k++) {
        cs->shuffle->s[k] = (uint64_t)rng[k];
        cs->dropout->s[k] = (uint64_t)rng[4 + k];
    }
    cs->opt->t = t;
    *cs->step = step;
    *cs->best = best;
    *cs->since_best = (int)sb;
    *epoch = (int)ep;
    m->n_epochs = (int)ep;
fail:
    free(rng);
    cml_gguf_free(g);
    return st;
}

cml_status cml_net_fit(const cml_net_params *p, int cnn, const cml_matrix *X, const double *y,
                       const cml_matrix *Xv, const double *yv, cml_net **out)
{
    *out = NULL;
    const char *msg = cml_net_params_check(p, cnn);
    if (msg) return cml_fail(CML_ERR_ARG, "%s", msg);
    if (X->rows < 1 || X->cols < 1) return cml_fail(CML_ERR_ARG, "nn: X is empty");
    cml_status st = CML_OK;
    cml_net *m = cml_calloc(1, sizeof *m);
    int32_t *codes = NULL, *vcodes = NULL;
    int64_t *rows = NULL, *vrows = NULL;
    double *cw = NULL;
    float *xb = NULL, *best_p = NULL, *best_b = NULL;
    int64_t *yb = NULL;
    cml_graph *g = NULL;
    nn_optim opt = {0};
    int own_v = 0;
    if (!m) return CML_ERR_NOMEM;
    m->p = *p;
    m->cnn = cnn;
    m->F = X->cols;
    codes = cml_alloc_array(X->rows, sizeof *codes);
    if (!codes) goto nomem;
    CML_TRY(cml_labels_encode(y, X->rows, &m->classes, &m->C, codes));
    if (m->C < 2)
        CML_TRY(cml_fail(CML_ERR_ARG, "nn: y has a single class; a classifier needs two or more"));
    CML_TRY(build_net(m));

    /* training / validation rows */
    cml_rng rng;
    cml_rng_seed(&rng, (uint64_t)p->random_state ^ 0x5eedULL);
    int64_t n = X->rows, nv = 0;
    rows = cml_alloc_array(n, sizeof *rows);
    if (!rows) goto nomem;
    for (int64_t i = 0; i < n; i++)
        rows[i] = i;
    const cml_matrix *VX = X;
    if (Xv && yv) {
        if (Xv->cols != X->cols)
            CML_TRY(cml_fail(CML_ERR_ARG, "nn: the validation set has %lld features, X has %lld",
                             (long long)Xv->cols, (long long)X->cols));
        VX = Xv;
        nv = Xv->rows;
        vrows = cml_alloc_array(nv, sizeof *vrows);
        own_v = 1;
        vcodes = cml_alloc_array(nv, sizeof *vcodes);
        if (!vrows || !vcodes) goto nomem;
        for (int64_t i = 0; i < nv; i++) {
            vrows[i] = i;
            int64_t c = cml_labels_find(m->classes, m->C, yv[i]);
            if (c < 0)
                CML_TRY(cml_fail(CML_ERR_ARG,
                                 "nn: validation label %g (row %lld) is not a "
                                 "class of the training data",
                                 yv[i], (long long)i));
            vcodes[i] = (int32_t)c;
        }
    } else if (p->early_stopping) {
        cml_rng_shuffle_i64(&rng, rows, n);
        nv = (int64_t)ceil(p->validation_fraction * (double)n);
        if (nv < 1 || nv >= n)
            CML_TRY(cml_fail(CML_ERR_ARG,
                             "validation_fraction=%g leaves %lld validation rows of "
                             "%lld",
                             p->validation_fraction, (long long)nv, (long long)n));
        n -= nv;
        vrows = rows + n; /* the tail of the shuffled rows */
        vcodes = codes;
    }
    CML_TRY(standardize_stats(m, X, rows, n));
    CML_TRY(class_weights(m, codes, rows, n, &cw));

    int64_t BS = CML_MIN((int64_t)p->batch_size, n);
    xb = cml_alloc_array(BS * m->F, sizeof *xb);
    yb = cml_alloc_array(BS, sizeof *yb);
    m->loss_curve = cml_alloc_array(p->epochs, sizeof(double));
    g = cml_graph_new(NULL);
    if (!xb || !yb || !m->loss_curve || !g) goto nomem;
    nn_store *ps = &m->net.params;
    opt.kind = (nn_opt_kind)p->optimizer;
    opt.momentum = p->momentum;
    opt.nesterov = p->nesterov;
    opt.weight_decay = p->weight_decay;
    opt.beta1 = p->beta_1;
    opt.beta2 = p->beta_2;
    opt.eps = p->epsilon;
    CML_TRY(nn_optim_init(&opt, ps->n));
    cml_graph_seed(g, (uint64_t)p->random_state * 2654435761ULL + 1);

    double best = INFINITY;
    int since_best = 0;
    int have_valid = nv > 0;
    if (have_valid && p->early_stopping) {
        best_p = cml_alloc_array(ps->n ? ps->n : 1, sizeof(float));
        best_b = cml_alloc_array(m->net.buffers.n ? m->net.buffers.n : 1, sizeof(float));
        if (!best_p || !best_b) goto nomem;
    }
    int64_t step = 0;
    int start = 0;
    if (p->resume[0]) {
        ckpt_state cs = {&rng,  cml_graph_rng(g), rows,  X->rows, &opt,
                         &best, &since_best,      &step, best_p,  best_b};
        CML_TRY(ckpt_load(p->resume, m, &cs, &start));
    }
    for (int e = start; e < p->epochs; e++) {
        double lr = nn_lr_at((nn_sched)p->lr_schedule, p->learning_rate, e, p->epochs,
                             p->lr_step_size, p->lr_gamma, p->warmup_epochs);
        cml_rng_shuffle_i64(&rng, rows, n);
        double sum = 0;
        for (int64_t s = 0; s < n; s += BS) {
            int64_t B = CML_MIN(BS, n - s);
            /* a last batch of one row cannot train batch norm: fold it in */
            if (B == 1 && s > 0) break;
            load_batch(m, X, rows + s, B, xb);
            for (int64_t i = 0; i < B; i++)
                yb[i] = codes[rows[s + i]];
            cml_graph_reset(g);
            memset(ps->grad, 0, (size_t)ps->n * sizeof(float));
            cml_tensor *lo = nn_net_forward(&m->net, g, input_tensor(m, g, xb, B), NN_TRAIN);
            cml_tensor *l = cml_t_cross_entropy(lo, yb, cw, p->label_smoothing);
            CML_TRY(cml_graph_status(g));
            double lv = cml_t_get(l, 0);
            step++;
            if (!isfinite(lv))
                CML_TRY(cml_fail(CML_ERR_CONVERGENCE,
                                 "nn: the training loss is %s at epoch %d, step %lld "
                                 "(HINT: lower learning_rate, set max_grad_norm, or check the "
                                 "input for extreme values)",
                                 isnan(lv) ? "NaN" : "infinite", e + 1, (long long)step));
            CML_TRY(cml_graph_backward(g, l));
            if (p->max_grad_norm > 0) nn_clip_grad_norm(ps->grad, ps->n, p->max_grad_norm);
            nn_optim_step(&opt, ps->data, ps->grad, ps->n, lr);
            sum += lv * (double)B;
        }
        m->loss_curve[e] = sum / (double)n;
        m->n_epochs = e + 1;
        cml_report_metric("train_loss", e + 1, m->loss_curve[e]);
        int stop = 0;
        if (!have_valid) {
            cml_log(progress_level(), "epoch %d/%d: train_loss %.5f", e + 1, p->epochs,
                    m->loss_curve[e]);
        } else {
            eval_result r;
            CML_TRY(evaluate(m, VX, vrows, vcodes, nv, &r));
            cml_report_metric("valid_loss", e + 1, r.loss);
            cml_report_metric("valid_accuracy", e + 1, r.accuracy);
            cml_log(progress_level(),
                    "epoch %d/%d: train_loss %.5f valid_loss %.5f valid_accuracy %.4f", e + 1,
                    p->epochs, m->loss_curve[e], r.loss, r.accuracy);
            if (p->early_stopping && r.loss < best) {
                best = r.loss;
                since_best = 0;
                memcpy(best_p, ps->data, (size_t)ps->n * sizeof(float));
                memcpy(best_b, m->net.buffers.data, (size_t)m->net.buffers.n * sizeof(float));
            } else if (p->early_stopping && ++since_best >= p->n_iter_no_change) {
                stop = 1;
            }
        }
        if (p->checkpoint[0]) {
            ckpt_state cs = {&rng,  cml_graph_rng(g), rows,  X->rows, &opt,
                             &best, &since_best,      &step, best_p,  best_b};
            CML_TRY(ckpt_save(p->checkpoint, m, &cs, e + 1));
        }
        if (stop) break;
    }
    if (best_p && isfinite(best)) {
        memcpy(ps->data, best_p, (size_t)ps->n * sizeof(float));
        memcpy(m->net.buffers.data, best_b, (size_t)m->net.buffers.n * sizeof(float));
    }
    /* the gradient buffer is training state: drop it from the fitted model */
    free(ps->grad);
    ps->grad = NULL;
    *out = m;
    m = NULL;
    goto done;
nomem:
    st = CML_ERR_NOMEM;
fail:
done:
    cml_graph_free(g);
    nn_optim_free(&opt);
    if (vcodes != codes) free(vcodes);
    if (own_v) free(vrows);
    free(codes);
    free(rows);
    free(cw);
    free(xb);
    free(yb);
    free(best_p);
    free(best_b);
    cml_net_free(m);
    return st;
}

int64_t cml_net_n_classes(const cml_net *m)
{
    return m->C;
}
int64_t cml_net_n_parameters(const cml_net *m)
{
    return m->net.params.n;
}
int cml_net_n_epochs(const cml_net *m)
{
    return m->n_epochs;
}
const double *cml_net_loss_curve(const cml_net *m)
{
    return m->loss_curve;
}

/* ---------------------------------------------------------------- save / load */

static cml_status save_store(const nn_store *s, const char *prefix, cml_gguf_writer *w)
{
    char name[64];
    for (int i = 0; i < s->n_e; i++) {
        int64_t n = s->e[i].n;
        snprintf(name, sizeof name, "%s%s", prefix, s->e[i].name);
        CML_CHECK(cml_gguf_add_tensor(w, name, CML_GGUF_T_F32, 1, &n, s->data + s->e[i].offset));
    }
    return CML_OK;
}

static cml_status load_store(nn_store *s, const char *prefix, const cml_gguf *g)
{
    char name[64];
    for (int i = 0; i < s->n_e; i++) {
        const void *d;
        int nd;
        int64_t dims[4];
        snprintf(name, sizeof name, "%s%s", prefix, s->e[i].name);
        CML_CHECK(cml_gguf_get_tensor(g, name, CML_GGUF_T_F32, &d, &nd, dims));
        if (nd != 1 || dims[0] != s->e[i].n)
            return cml_fail(CML_ERR_FORMAT,
                            "%s: tensor %s has %lld values, the architecture needs %lld "
                            "(HINT: the file holds another architecture)",
                            cml_gguf_name(g), name, (long long)(nd == 1 ? dims[0] : -1),
                            (long long)s->e[i].n);
        memcpy(s->data + s->e[i].offset, d, (size_t)s->e[i].n * sizeof(float));
    }
    return CML_OK;
}

static cml_status nn_save(const cml_net *m, cml_gguf_writer *w)
{
    CML_CHECK(cml_gguf_add_f64(w, "classes", m->classes, 1, m->C));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->F));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_epochs", m->n_epochs));
    CML_CHECK(cml_gguf_add_f64(w, "loss_curve", m->loss_curve, 1, m->n_epochs));
    if (m->n_norm) {
        CML_CHECK(cml_gguf_add_tensor(w, "input_mean", CML_GGUF_T_F32, 1, &m->n_norm, m->mu));
        CML_CHECK(cml_gguf_add_tensor(w, "input_std", CML_GGUF_T_F32, 1, &m->n_norm, m->sd));
    }
    CML_CHECK(save_store(&m->net.params, "param.", w));
    return save_store(&m->net.buffers, "buffer.", w);
}

static cml_status nn_load(const cml_gguf *g, const cml_net_params *p, int cnn, cml_net **out)
{
    *out = NULL;
    cml_status st = CML_OK;
    cml_net *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->p = *p;
    m->cnn = cnn;
    int64_t ep;
    const void *d;
    int nd;
    int64_t dims[4];
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &m->F));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_epochs", &ep));
    CML_TRY(cml_gguf_get_tensor(g, "classes", CML_GGUF_T_F64, &d, &nd, dims));
    if (m->F < 1 || ep < 0 || ep > p->epochs || nd != 1 || dims[0] < 2)
        CML_TRY(cml_fail(CML_ERR_FORMAT, "%s: bad network metadata", cml_gguf_name(g)));
    m->C = dims[0];
    m->n_epochs = (int)ep;
    m->classes = cml_alloc_array(m->C, sizeof(double));
    m->loss_curve = cml_alloc_array(ep ? ep : 1, sizeof(double));
    if (!m->classes || !m->loss_curve) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "classes", 1, m->C, m->classes));
    if (ep) CML_TRY(cml_gguf_read_f64(g, "loss_curve", 1, ep, m->loss_curve));
    if (p->normalize != 2) {
        m->n_norm = p->normalize == 0 ? m->F : 1;
        m->mu = cml_alloc_array(m->n_norm, sizeof(float));
        m->sd = cml_alloc_array(m->n_norm, sizeof(float));
        if (!m->mu || !m->sd) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        const char *nm[2] = {"input_mean", "input_std"};
        float *dst[2] = {m->mu, m->sd};
        for (int k = 0; k < 2; k++) {
            CML_TRY(cml_gguf_get_tensor(g, nm[k], CML_GGUF_T_F32, &d, &nd, dims));
            if (nd != 1 || dims[0] != m->n_norm)
                CML_TRY(
                    cml_fail(CML_ERR_FORMAT, "%s: %s has the wrong size", cml_gguf_name(g), nm[k]));
            memcpy(dst[k], d, (size_t)m->n_norm * sizeof(float));
        }
    }
    CML_TRY(build_net(m));
    free(m->net.params.grad);
    m->net.params.grad = NULL;
    CML_TRY(load_store(&m->net.params, "param.", g));
    CML_TRY(load_store(&m->net.buffers, "buffer.", g));
    *out = m;
    return CML_OK;
fail:
    cml_net_free(m);
    return st;
}

static char *nn_describe(const cml_net *m)
{
    cml_sb sb;
    char spec[1024];
    cml_sb_init(&sb);
    if (make_spec(&m->p, m->cnn, spec, sizeof spec) != CML_OK) spec[0] = '\0';
    cml_sb_puts(&sb, "{\"spec\":");
    cml_sb_json_str(&sb, spec);
    cml_sb_printf(&sb,
                  ",\"n_parameters\":%lld,\"n_epochs\":%d,\"classes\":", (long long)m->net.params.n,
                  m->n_epochs);
    cml_sb_json_arr(&sb, m->classes, m->C);
    cml_sb_puts(&sb, ",\"loss_curve\":");
    cml_sb_json_arr(&sb, m->loss_curve, m->n_epochs);
    cml_sb_puts(&sb, ",\"parameters\":[");
    for (int i = 0; i < m->net.params.n_e; i++) {
        const nn_pentry *e = &m->net.params.e[i];
        cml_sb_printf(&sb, "%s{\"name\":", i ? "," : "");
        cml_sb_json_str(&sb, e->name);
        cml_sb_puts(&sb, ",\"shape\":[");
        for (int k = 0; k < e->ndim; k++)
            cml_sb_printf(&sb, "%s%lld", k ? "," : "", (long long)e->shape[k]);
        cml_sb_puts(&sb, "]}");
    }
    cml_sb_puts(&sb, "]}");
    return cml_sb_finish(&sb);
}

cml_status cml_net_export_safetensors(const cml_net *m, const char *path)
{
    const nn_store *st[2] = {&m->net.params, &m->net.buffers};
    return nn_safetensors_write(path, st, 2);
}

cml_status cml_net_import_safetensors(cml_net *m, const char *path)
{
    /* read into copies: a failed import leaves the model as it was */
    nn_store p = m->net.params, b = m->net.buffers;
    p.grad = NULL;
    p.data = cml_alloc_array(p.n ? p.n : 1, sizeof(float));
    b.data = cml_alloc_array(b.n ? b.n : 1, sizeof(float));
    cml_status st = CML_ERR_NOMEM;
    if (p.data && b.data) {
        nn_store *sp[2] = {&p, &b};
        st = nn_safetensors_read(path, sp, 2);
    }
    if (st == CML_OK) {
        memcpy(m->net.params.data, p.data, (size_t)p.n * sizeof(float));
        memcpy(m->net.buffers.data, b.data, (size_t)b.n * sizeof(float));
    }
    free(p.data);
    free(b.data);
    return st;
}

/* ---------------------------------------------------------------- vtable */

#define NN_VTABLE(NAME, CNN)                                                                       \
    static cml_status NAME##_vt_fit(const void *params, const cml_matrix *X, const double *y,      \
                                    const cml_fit_opts *opts, void **state, cml_fit_info *info)    \
    {                                                                                              \
        cml_net *m;                                                                                \
        CML_CHECK(cml_net_fit(params, CNN, X, y, opts ? opts->X_valid : NULL,                      \
                              opts ? opts->y_valid : NULL, &m));                                   \
        info->n_iter = m->n_epochs;                                                                \
        info->converged = 1;                                                                       \
        info->objective = m->n_epochs ? m->loss_curve[m->n_epochs - 1] : NAN;                      \
        *state = m;                                                                                \
        return CML_OK;                                                                             \
    }                                                                                              \
    static cml_status NAME##_vt_load(const cml_gguf *g, const void *params, int schema,            \
                                     void **state)                                                 \
    {                                                                                              \
        (void)schema;                                                                              \
        return nn_load(g, params, CNN, (cml_net **)state);                                         \
    }

NN_VTABLE(mlp, 0)
NN_VTABLE(cnn, 1)

static cml_status vt_predict(const void *s, const cml_matrix *X, double *out)
{
    return cml_net_predict(s, X, out);
}
static cml_status vt_predict_proba(const void *s, const cml_matrix *X, double *out)
{
    return cml_net_predict_proba(s, X, out);
}
static int64_t vt_classes(const void *s, const double **classes)
{
    const cml_net *m = s;
    *classes = m->classes;
    return m->C;
}
static int64_t vt_n_features_in(const void *s)
{
    return ((const cml_net *)s)->F;
}
static cml_status vt_save(const void *s, const void *params, cml_gguf_writer *w)
{
    (void)params;
    return nn_save(s, w);
}
static char *vt_describe(const void *s)
{
    return nn_describe(s);
}
static void vt_free(void *s)
{
    cml_net_free(s);
}

#define NN_ESTIMATOR(NAME, ALIAS, SUMMARY, DEFS, N)                                                \
    const cml_estimator cml_est_##NAME##_classifier = {                                            \
        .name = #NAME "_classifier",                                                               \
        .aliases = ALIAS,                                                                          \
        .summary = SUMMARY,                                                                        \
        .task = CML_TASK_CLASSIFICATION,                                                           \
        .schema_version = 1,                                                                       \
        .params = DEFS,                                                                            \
        .n_params = N,                                                                             \
        .params_size = sizeof(cml_net_params),                                                     \
        .fit = NAME##_vt_fit,                                                                      \
        .predict = vt_predict,                                                                     \
        .predict_proba = vt_predict_proba,                                                         \
        .classes = vt_classes,                                                                     \
        .n_features_in = vt_n_features_in,                                                         \
        .save = vt_save,                                                                           \
        .load = NAME##_vt_load,                                                                    \
        .describe = vt_describe,                                                                   \
        .free = vt_free,                                                                           \
    }

NN_ESTIMATOR(mlp, "mlp", "multi-layer perceptron classifier (SGD/Adam/AdamW, cross-entropy)",
             mlp_defs, N_MLP);
NN_ESTIMATOR(cnn, "cnn", "convolutional network classifier: LeNet-5, ResNet-8 or a layer spec",
             cnn_defs, N_CNN);
