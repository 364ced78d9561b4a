/*
 * optim.c — optimizers, learning-rate schedules and gradient clipping, each a
 * single loop over the one parameter array (see nn_store).
 *
 * Formulas are PyTorch 1.13's, so trajectories match torch.optim:
 *   SGD:   g += wd p;  b = mu b + g (b = g at the first step);
 *          g = g + mu b (Nesterov) or b;  p -= lr g
 *   Adam:  g += wd p (L2);  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *          p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *          (Kingma & Ba 2015, Alg. 1)
 *   AdamW: p *= 1 - lr wd, then Adam without the L2 term
 *          (Loshchilov & Hutter 2019, "Decoupled weight decay", Alg. 2)
 * Clipping: torch.nn.utils.clip_grad_norm_ (scale by max/(norm + 1e-6)).
 *
 * Cost: O(n) per step. Thread-safety: one optimizer per training run.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "tensor/par.h"

cml_status nn_optim_init(nn_optim *o, int64_t n)
{
    o->t = 0;
    o->n = n;
    o->m = cml_calloc((size_t)(n ? n : 1), sizeof(float));
    o->v = cml_calloc((size_t)(n ? n : 1), sizeof(float));
    if (!o->m || !o->v) {
        nn_optim_free(o);
        return CML_ERR_NOMEM;
    }
    return CML_OK;
}

void nn_optim_free(nn_optim *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

/* One optimizer update over parameters [lo, hi) (a block of cml_par_for). */
typedef struct optim_job {
    nn_optim *o;
    float *p;
    const float *g;
    double lr;
    float step, sbc2; /* Adam: lr / (1 - b1^t), sqrt(1 - b2^t) */
} optim_job;

static void optim_range(void *ctx, int64_t lo, int64_t hi, int tid)
{
    (void)tid;
    const optim_job *j = ctx;
    const nn_optim *o = j->o;
    float *p = j->p, *m = o->m, *v = o->v;
    const float *g = j->g;
    const float wd = (float)o->weight_decay, flr = (float)j->lr;
    if (o->kind == NN_SGD) {
        const float mu = (float)o->momentum;
        const int first = o->t == 1, nest = o->nesterov;
        for (int64_t i = lo; i < hi; i++) {
            float gi = g[i] + wd * p[i];
            if (mu != 0) {
                m[i] = first ? gi : mu * m[i] + gi;
                gi = nest ? gi + mu * m[i] : m[i];
            }
            p[i] -= flr * gi;
        }
        return;
    }
    const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
    const float step = j->step, sbc2 = j->sbc2;
    const int adamw = o->kind == NN_ADAMW;
    const float decay = (float)(1.0 - j->lr * o->weight_decay);
    for (int64_t i = lo; i < hi; i++) {
        float gi = g[i];
        if (adamw)
            p[i] *= decay;
        else
            gi += wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] -= step * m[i] / (sqrtf(v[i]) / sbc2 + eps);
    }
}

void nn_optim_step(nn_optim *o, float *p, const float *g, int64_t n, double lr)
{
    o->t++;
    const double bc1 = 1 - pow(o->beta1, (double)o->t), bc2 = 1 - pow(o->beta2, (double)o->t);
    optim_job j = {o, p, g, lr, (float)(lr / bc1), (float)sqrt(bc2)};
    cml_par_for_min(n, 16384, n, 65536, optim_range, &j);
}

double nn_clip_grad_norm(float *g, int64_t n, double max_norm)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    double norm = sqrt(s);
    if (max_norm > 0 && norm > max_norm) {
        float c = (float)(max_norm / (norm + 1e-6));
        for (int64_t i = 0; i < n; i++)
            g[i] *= c;
    }
    return norm;
}

double nn_lr_at(nn_sched s, double base, int e, int E, int step_size, double gamma, int warmup)
{
    double lr = base;
    if (s == NN_SCHED_STEP && step_size > 0)
        lr = base * pow(gamma, (double)(e / step_size));
    else if (s == NN_SCHED_COSINE && E > 0)
        lr = base * 0.5 * (1 + cos(3.14159265358979323846 * (double)e / (double)E));
    if (warmup > 0 && e < warmup) lr *= (double)(e + 1) / (double)(warmup + 1);
    return lr;
}
