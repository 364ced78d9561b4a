/*
 * tsne.c — t-distributed stochastic neighbour embedding, mirroring
 * scikit-learn 1.2's sklearn.manifold.TSNE (van der Maaten & Hinton, "Visualizing
 * Data using t-SNE", JMLR 9, 2008; Barnes-Hut: van der Maaten, JMLR 15, 2014).
 *
 * Objective: KL(P || Q) = sum_{i != j} p_ij log(p_ij / q_ij) where
 *   p_ij = (p_j|i + p_i|j) / sum, p_j|i = exp(-d_ij^2 beta_i) / Z_i with beta_i
 *          set so that row i has perplexity `perplexity` (embed_common.c);
 *   q_ij = (1 + |y_i - y_j|^2 / dof)^(-(dof + 1) / 2) / Z, dof = max(k - 1, 1).
 * Gradient: dC/dy_i = c sum_j (p_ij - q_ij) q_ij Z (y_i - y_j), c = 2 (dof + 1) / dof.
 *
 * method=exact: P over all pairs (dense, O(n^2) memory), exact gradient, O(n^2)
 *   per iteration.
 * method=barnes_hut: P only over the k = min(n - 1, 3 perplexity + 1) nearest
 *   neighbours (exact kNN through the shared neighbour index), symmetrised
 *   sparse; attractive forces over P's non-zeros, repulsive forces and Z by
 *   a quadtree (2-D) / octree (3-D) with the angle criterion (sptree.c).
 *   O(n (k + log n)) per iteration.
 * Optimisation exactly as sklearn's _tsne/_gradient_descent: 250 iterations
 * with P multiplied by early_exaggeration and momentum 0.5, then momentum 0.8
 * up to n_iter with fresh update and gains; per-coordinate gains (+0.2 when
 * the gradient changes sign against the update, x0.8 otherwise, min 0.01);
 * every 50 iterations the KL is evaluated and the phase stops after
 * n_iter_without_progress iterations without improvement or when the norm
 * of the gain-scaled gradient is <= min_grad_norm. kl_divergence_ is the
 * last KL evaluated, n_iter_ the last iteration index. Init "pca": the PCA
 * projection scaled so that its first column has standard deviation 1e-4;
 * "random": N(0, 1e-4^2). cml computes in double throughout (sklearn's
 * Barnes-Hut code uses float32), so runs agree with sklearn in quality
 * (KL, trustworthiness), not coordinate by coordinate.
 *
 * t-SNE has no transform of new points: the stored embedding is returned
 * for the fitted data only (checked by shape and a 64-bit fingerprint).
 *
 * Threads: the kNN, the perplexity search, both force terms and the tree
 * queries are parallel over points, each point's sums in a fixed order, and
 * Z and the KL are summed sequentially: results do not depend on the thread
 * count. Thread-safety: fit is reentrant; a fitted model is immutable.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/decomp.h"
#include "cml/embed.h"
#include "cml/model.h"
#include "core/internal.h"
#include "core/strbuf.h"
#include "decomp/embed_common.h"
#include "decomp/sptree.h"

#define MACHINE_EPSILON    DBL_EPSILON /* sklearn's np.finfo(np.double).eps */
#define EXPLORATION_N_ITER 250         /* sklearn's _EXPLORATION_N_ITER */
#define N_ITER_CHECK       50          /* sklearn's _N_ITER_CHECK */
/* Below this many points an iteration is too short to share (thread
 * wake-ups cost more than they save on a busy machine). */
#define PAR_MIN_N 256

struct cml_tsne {
    int64_t n, p, k;   /* samples, input features, components */
    double *embedding; /* (n, k) */
    double kl_divergence;
    double learning_rate; /* the rate used */
    int n_iter;
    uint64_t fingerprint; /* of the fitted X */
};

#define P(field) offsetof(cml_tsne_params, field)
static const cml_param_def tsne_params[] = {
    {"n_components", CML_PARAM_INT, "2", 1, 1000000, 0, NULL,
     "dimension of the embedding (barnes_hut: 2 or 3)", P(n_components)},
    {"perplexity", CML_PARAM_DOUBLE, "30", 0, INFINITY, 1, NULL,
     "effective number of neighbours, < n_samples", P(perplexity)},
    {"early_exaggeration", CML_PARAM_DOUBLE, "12", 1, INFINITY, 0, NULL,
     "factor on P during the first 250 iterations", P(early_exaggeration)},
    {"learning_rate", CML_PARAM_STRING, "auto", 0, 0, 0, NULL,
     "auto = max(n_samples / early_exaggeration / 4, 50), or a number > 0", P(learning_rate)},
    {"n_iter", CML_PARAM_INT, "1000", 250, INT32_MAX, 0, NULL, "maximum number of iterations",
     P(n_iter)},
    {"n_iter_without_progress", CML_PARAM_INT, "300", -1, INT32_MAX, 0, NULL,
     "stop after this many iterations without progress (checked every 50)",
     P(n_iter_without_progress)},
    {"min_grad_norm", CML_PARAM_DOUBLE, "1e-7", 0, INFINITY, 0, NULL,
     "stop when the gradient norm falls below this", P(min_grad_norm)},
    {"metric", CML_PARAM_ENUM, "euclidean", 0, 0, 0, CML_EMBED_METRIC_CHOICES,
     "input-space distance (squared before the perplexity search)", P(metric)},
    {"init", CML_PARAM_ENUM, "pca", 0, 0, 0, "pca|random", "initial embedding", P(init)},
    {"method", CML_PARAM_ENUM, "barnes_hut", 0, 0, 0, "barnes_hut|exact",
     "gradient: Barnes-Hut O(n log n) or exact O(n^2)", P(method)},
    {"angle", CML_PARAM_DOUBLE, "0.5", 0, 1, 0, NULL, "Barnes-Hut opening angle theta", P(angle)},
    {"random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL, "seed of init=random and PCA",
     P(random_state)},
};
#undef P
#define N_PARAMS ((int)(sizeof tsne_params / sizeof tsne_params[0]))

/* ---------------------------------------------------------------- params */

/* learning_rate: "auto" (returns 0) or a positive number; -1 if invalid. */
static double parse_learning_rate(const char *s)
{
    if (strcmp(s, "auto") == 0) return 0.0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v <= 0) return -1.0;
    return v;
}

cml_tsne_params cml_tsne_params_default(void)
{
    cml_tsne_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(tsne_params, N_PARAMS, &p);
    return p;
}

const char *cml_tsne_params_check(const cml_tsne_params *p)
{
    const char *msg = cml_params_check(tsne_params, N_PARAMS, p);
    if (msg) return msg;
    if (parse_learning_rate(p->learning_rate) < 0)
        return "learning_rate must be auto or a number > 0";
    if (p->method == CML_TSNE_BARNES_HUT && p->n_components > 3)
        return "n_components must be <= 3 with method=barnes_hut (quadtree/octree) "
               "(HINT: use method=exact)";
    return NULL;
}

/* ---------------------------------------------------------------- objective */

/* What one gradient evaluation needs: the fixed P and scratch buffers. */
typedef struct tsne_obj {
    int method;
    int64_t n;
    int d;           /* embedding dimension */
    double dof;      /* degrees of freedom of the Student t */
    double theta2;   /* angle^2 */
    cml_embed_csr P; /* barnes_hut: symmetric sparse P, sums to 1 */
    double *Pd;      /* exact: (n, n) dense P, diagonal 0 */
    double *W;       /* exact: (n, n) scratch of q_ij Z */
    double *sum_q;   /* (n) per-point share of Z */
    double *err;     /* (n) per-point share of the KL */
    double *neg;     /* (n, d) repulsive forces (barnes_hut) */
    cml_sptree tree;
} tsne_obj;

static void obj_free(tsne_obj *o)
{
    cml_embed_csr_free(&o->P);
    free(o->Pd);
    free(o->W);
    free(o->sum_q);
    free(o->err);
    free(o->neg);
    cml_sptree_free(&o->tree);
}

/* q_ij Z from a squared distance (sklearn's convention for the dof power). */
static inline double qz(double d2, double dof, double expo)
{
    double q = dof / (dof + d2);
    return dof != 1.0 ? pow(q, expo) : q;
}

/* Barnes-Hut gradient (sklearn's _barnes_hut_tsne.gradient): grad_i =
 * c (sum_j exag p_ij q_ij Z (y_i - y_j) - neg_i / Z). */
static cml_status grad_bh(tsne_obj *o, const double *Y, double exag, int compute_error,
                          double *grad, double *error)
{
    const int64_t n = o->n;
    const int d = o->d;
    const double dof = o->dof, expo = (dof + 1.0) / 2.0, c = 2.0 * (dof + 1.0) / dof;
    CML_CHECK(cml_sptree_build(&o->tree, Y, n, d));
    const cml_sptree *tree = &o->tree;
#pragma omp parallel for schedule(dynamic, 64) CML_OMP_THREADS if (n >= PAR_MIN_N)
    for (int64_t s = 0; s < n; s++) {
        /* Tree order: consecutive queries walk nearly the same nodes. */
        int64_t i = tree->perm[s];
        o->sum_q[i] = cml_sptree_repulsion(tree, Y, i, o->theta2, dof, o->neg + i * d);
    }
    double Z = 0.0;
    for (int64_t i = 0; i < n; i++)
        Z += o->sum_q[i];
    const double tiny = FLT_MIN; /* sklearn's FLOAT32_TINY */
    const int64_t *ptr = o->P.indptr, *col = o->P.col;
    const double *val = o->P.val;
#pragma omp parallel for schedule(dynamic, 64) CML_OMP_THREADS if (n >= PAR_MIN_N)
    for (int64_t i = 0; i < n; i++) {
        double pos[CML_SPTREE_MAX_DIM] = {0}, kl = 0.0;
        const double *yi = Y + i * d;
        for (int64_t e = ptr[i]; e < ptr[i + 1]; e++) {
            const double *yj = Y + col[e] * d;
            double dx[CML_SPTREE_MAX_DIM], d2 = 0.0;
            for (int a = 0; a < d; a++) {
                dx[a] = yi[a] - yj[a];
                d2 += dx[a] * dx[a];
            }
            double q = qz(d2, dof, expo), pij = exag * val[e];
            if (compute_error) kl += pij * log(fmax(pij, tiny) / fmax(q / Z, tiny));
            for (int a = 0; a < d; a++)
                pos[a] += pij * q * dx[a];
        }
        for (int a = 0; a < d; a++)
            grad[i * d + a] = c * (pos[a] - o->neg[i * d + a] / Z);
        o->err[i] = kl;
    }
    if (compute_error) {
        double kl = 0.0;
        for (int64_t i = 0; i < n; i++)
            kl += o->err[i];
        *error = kl;
    }
    return CML_OK;
}

/* Exact gradient (sklearn's _kl_divergence) with Q = max(q_ij, eps). */
static void grad_exact(tsne_obj *o, const double *Y, double exag, int compute_error, double *grad,
                       double *error)
{
    const int64_t n = o->n;
    const int d = o->d;
    const double dof = o->dof, expo = (dof + 1.0) / 2.0, c = 2.0 * (dof + 1.0) / dof;
    double *W = o->W;
#pragma omp parallel for schedule(static) CML_OMP_THREADS if (n >= PAR_MIN_N)
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < n; j++) {
            double d2 = 0.0;
            for (int a = 0; a < d; a++) {
                double t = Y[i * d + a] - Y[j * d + a];
                d2 += t * t;
            }
            /* (1 + d2 / dof)^(-(dof + 1) / 2) as sklearn writes it */
            double w = dof == 1.0 ? 1.0 / (d2 + 1.0) : pow(d2 / dof + 1.0, -expo);
            w = j == i ? 0.0 : w;
            W[i * n + j] = w;
            s += w;
        }
        o->sum_q[i] = s;
    }
    double Z = 0.0;
    for (int64_t i = 0; i < n; i++)
        Z += o->sum_q[i];
#pragma omp parallel for schedule(static) CML_OMP_THREADS if (n >= PAR_MIN_N)
    for (int64_t i = 0; i < n; i++) {
        double kl = 0.0, *gi = grad + i * d;
        const double *yi = Y + i * d;
        for (int a = 0; a < d; a++)
            gi[a] = 0.0;
        for (int64_t j = 0; j < n; j++) {
            if (j == i) continue;
            double w = W[i * n + j], q = fmax(w / Z, MACHINE_EPSILON),
                   pij = exag * o->Pd[i * n + j];
            if (compute_error) kl += pij * log(fmax(pij, MACHINE_EPSILON) / q);
            double f = (pij - q) * w;
            for (int a = 0; a < d; a++)
                gi[a] += f * (yi[a] - Y[j * d + a]);
        }
        for (int a = 0; a < d; a++)
            gi[a] *= c;
        o->err[i] = kl;
    }
    if (compute_error) {
        double kl = 0.0;
        for (int64_t i = 0; i < n; i++)
            kl += o->err[i];
        *error = kl;
    }
}

static cml_status objective(tsne_obj *o, const double *Y, double exag, int compute_error,
                            double *grad, double *error)
{
    *error = NAN;
    if (o->method == CML_TSNE_EXACT) {
        grad_exact(o, Y, exag, compute_error, grad, error);
        return CML_OK;
    }
    return grad_bh(o, Y, exag, compute_error, grad, error);
}

/* ---------------------------------------------------------------- optimiser */

typedef struct descent {
    int it, n_iter; /* iterations [it, n_iter) */
    double momentum, learning_rate, exaggeration, min_grad_norm;
    int n_iter_without_progress;
} descent;

/* sklearn's _gradient_descent: returns the last KL evaluated in *error and
 * the last iteration index in *last. update and gains start afresh. */
static cml_status gradient_descent(tsne_obj *o, double *Y, const descent *s, double *error,
                                   int *last)
{
    const int64_t m = o->n * o->d;
    cml_status st = CML_OK;
    double *update = cml_calloc((size_t)m, sizeof(double));
    double *gains = cml_alloc_array(m, sizeof(double));
    double *grad = cml_alloc_array(m, sizeof(double));
    if (!update || !gains || !grad) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t t = 0; t < m; t++)
        gains[t] = 1.0;
    double err = DBL_MAX, best_error = DBL_MAX;
    int best_iter = s->it, i = s->it;
    for (i = s->it; i < s->n_iter; i++) {
        int check = (i + 1) % N_ITER_CHECK == 0;
        double e;
        CML_TRY(objective(o, Y, s->exaggeration, check || i == s->n_iter - 1, grad, &e));
        if (!isnan(e)) err = e;
        double norm2 = 0.0;
        for (int64_t t = 0; t < m; t++) {
            if (update[t] * grad[t] < 0.0)
                gains[t] += 0.2;
            else
                gains[t] *= 0.8;
            if (gains[t] < 0.01) gains[t] = 0.01;
            grad[t] *= gains[t];
            update[t] = s->momentum * update[t] - s->learning_rate * grad[t];
            Y[t] += update[t];
            norm2 += grad[t] * grad[t];
        }
        if (check) {
            if (err < best_error) {
                best_error = err;
                best_iter = i;
            } else if (i - best_iter > s->n_iter_without_progress) {
                break;
            }
            if (sqrt(norm2) <= s->min_grad_norm) break;
        }
    }
    /* Python's loop variable stays at the last value it took. */
    *last = i < s->n_iter ? i : (s->n_iter > s->it ? s->n_iter - 1 : s->it);
    *error = err;
fail:
    free(update);
    free(gains);
    free(grad);
    return st;
}

/* ---------------------------------------------------------------- P */

/* Barnes-Hut: conditional P over the kNN graph, symmetrised, normalised. */
static cml_status joint_p_nn(const cml_tsne_params *p, const cml_matrix *X, tsne_obj *o)
{
    const int64_t n = X->rows;
    int64_t k = CML_MIN(n - 1, (int64_t)(3.0 * p->perplexity + 1.0));
    cml_status st;
    double *dist = cml_alloc_array(n * k, sizeof(double));
    double *cond = cml_alloc_array(n * k, sizeof(double));
    int64_t *idx = cml_alloc_array(n * k, sizeof(int64_t));
    if (!dist || !cond || !idx) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_embed_knn_self(X, (cml_embed_metric)p->metric, k, dist, idx, NULL));
    for (int64_t t = 0; t < n * k; t++)
        dist[t] *= dist[t];
    cml_embed_perplexity_search(dist, n, k, p->perplexity, cond);
    CML_TRY(cml_embed_symmetrize(n, k, idx, cond, CML_EMBED_SYMM_SUM, &o->P));
    int64_t nnz = cml_embed_csr_nnz(&o->P);
    double sum = 0.0;
    for (int64_t e = 0; e < nnz; e++)
        sum += o->P.val[e];
    sum = fmax(sum, MACHINE_EPSILON);
    for (int64_t e = 0; e < nnz; e++)
        o->P.val[e] /= sum;
fail:
    free(dist);
    free(cond);
    free(idx);
    return st;
}

/* Exact: conditional P over all pairs, P = max((P + P^T) / sum, eps). */
static cml_status joint_p_dense(const cml_tsne_params *p, const cml_matrix *X, tsne_obj *o)
{
    const int64_t n = X->rows, k = n - 1;
    cml_status st;
    double *dist = cml_alloc_array(n * k, sizeof(double));
    int64_t *idx = cml_alloc_array(n * k, sizeof(int64_t));
    double *sq = cml_calloc((size_t)(n * n), sizeof(double));
    o->Pd = cml_alloc_array(n * n, sizeof(double));
    if (!dist || !idx || !sq || !o->Pd) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_embed_knn_self(X, (cml_embed_metric)p->metric, k, dist, idx, NULL));
    for (int64_t i = 0; i < n; i++)
        for (int64_t a = 0; a < k; a++)
            sq[i * n + idx[i * k + a]] = dist[i * k + a] * dist[i * k + a];
    cml_embed_perplexity_search(sq, n, n, p->perplexity, o->Pd);
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < n; j++) {
            double v = o->Pd[i * n + j] + o->Pd[j * n + i];
            o->Pd[i * n + j] = o->Pd[j * n + i] = v;
            sum += 2.0 * v;
        }
    sum = fmax(sum, MACHINE_EPSILON);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            o->Pd[i * n + j] = i == j ? 0.0 : fmax(o->Pd[i * n + j] / sum, MACHINE_EPSILON);
fail:
    free(dist);
    free(idx);
    free(sq);
    return st;
}

/* ---------------------------------------------------------------- init */

static cml_status init_embedding(const cml_tsne_params *p, const cml_matrix *X, double *Y)
{
    const int64_t n = X->rows;
    const int d = p->n_components;
    if (p->init == CML_TSNE_INIT_RANDOM) {
        cml_rng rng;
        cml_rng_seed(&rng, (uint64_t)p->random_state);
        for (int64_t t = 0; t < n * d; t++)
            Y[t] = 1e-4 * cml_rng_normal(&rng);
        return CML_OK;
    }
    cml_pca_params pp = cml_pca_params_default();
    snprintf(pp.n_components, sizeof pp.n_components, "%d", d);
    pp.random_state = p->random_state;
    cml_pca *pca = NULL;
    cml_status st = cml_pca_fit(&pp, X, &pca);
    if (st != CML_OK) return cml_fail_context(st, "t-SNE init=pca");
    st = cml_pca_transform(pca, X, Y);
    cml_pca_free(pca);
    CML_CHECK(st);
    /* Rescale so that PC1 has standard deviation 1e-4 (sklearn issue #18018). */
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < n; i++)
        mean += Y[i * d];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++)
        var += (Y[i * d] - mean) * (Y[i * d] - mean);
    double sd = sqrt(var / (double)n);
    if (!(sd > 0.0))
        return cml_fail(CML_ERR_ARG, "t-SNE init=pca: the first principal component is constant "
                                     "(HINT: use init=random)");
    for (int64_t t = 0; t < n * d; t++)
        Y[t] = Y[t] / sd * 1e-4;
    return CML_OK;
}

/* ---------------------------------------------------------------- fit */

void cml_tsne_free(cml_tsne *m)
{
    if (!m) return;
    free(m->embedding);
    free(m);
}

cml_status cml_tsne_fit(const cml_tsne_params *p, const cml_matrix *X, cml_tsne **out)
{
    *out = NULL;
    const char *msg = cml_tsne_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "t-SNE: %s", msg);
    CML_CHECK(cml_matrix_check(X, "X", 0));
    const int64_t n = X->rows;
    const int d = p->n_components;
    if (n < 2) return cml_fail(CML_ERR_ARG, "t-SNE needs n_samples >= 2, got %lld", (long long)n);
    if (p->perplexity >= (double)n)
        return cml_fail(CML_ERR_ARG,
                        "t-SNE: perplexity (%g) must be less than n_samples (%lld) "
                        "(HINT: perplexity between 5 and 50 suits most data)",
                        p->perplexity, (long long)n);
    CML_CHECK(cml_embed_check_spread(X, "t-SNE"));
    cml_status st;
    tsne_obj o;
    memset(&o, 0, sizeof o);
    cml_tsne *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->n = n;
    m->p = X->cols;
    m->k = d;
    m->fingerprint = cml_embed_fingerprint(X);
    double lr = parse_learning_rate(p->learning_rate);
    m->learning_rate = lr > 0 ? lr : fmax((double)n / p->early_exaggeration / 4.0, 50.0);

    o.method = p->method;
    o.n = n;
    o.d = d;
    o.dof = CML_MAX(d - 1, 1);
    o.theta2 = p->angle * p->angle;
    m->embedding = cml_alloc_array(n * d, sizeof(double));
    o.sum_q = cml_alloc_array(n, sizeof(double));
    o.err = cml_alloc_array(n, sizeof(double));
    if (!m->embedding || !o.sum_q || !o.err) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (p->method == CML_TSNE_EXACT) {
        o.W = cml_alloc_array(n * n, sizeof(double));
        if (!o.W) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(joint_p_dense(p, X, &o));
    } else {
        o.neg = cml_alloc_array(n * d, sizeof(double));
        if (!o.neg) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(joint_p_nn(p, X, &o));
    }
    CML_TRY(init_embedding(p, X, m->embedding));

    /* Phase 1: early exaggeration, momentum 0.5. */
    descent s = {.it = 0,
                 .n_iter = EXPLORATION_N_ITER,
                 .momentum = 0.5,
                 .learning_rate = m->learning_rate,
                 .exaggeration = p->early_exaggeration,
                 .min_grad_norm = p->min_grad_norm,
                 .n_iter_without_progress = EXPLORATION_N_ITER};
    int it;
    double kl;
    CML_TRY(gradient_descent(&o, m->embedding, &s, &kl, &it));
    /* Phase 2: sklearn always runs it (its condition `it < 250` holds). */
    s.it = it + 1;
    s.n_iter = p->n_iter;
    s.momentum = 0.8;
    s.exaggeration = 1.0;
    s.n_iter_without_progress = p->n_iter_without_progress;
    CML_TRY(gradient_descent(&o, m->embedding, &s, &kl, &it));
    m->n_iter = it;
    m->kl_divergence = kl;
    obj_free(&o);
    *out = m;
    return CML_OK;
fail:
    obj_free(&o);
    cml_tsne_free(m);
    return st;
}

cml_status cml_tsne_transform(const cml_tsne *m, const cml_matrix *X, double *out)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (X->rows != m->n || X->cols != m->p || cml_embed_fingerprint(X) != m->fingerprint)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "t-SNE cannot embed new points: transform only returns the embedding of "
                        "the data it was fitted on (%lld x %lld) (HINT: use umap, or "
                        "fit-transform)",
                        (long long)m->n, (long long)m->p);
    memcpy(out, m->embedding, sizeof(double) * (size_t)(m->n * m->k));
    return CML_OK;
}

const double *cml_tsne_embedding(const cml_tsne *m)
{
    return m->embedding;
}
int64_t cml_tsne_n_samples(const cml_tsne *m)
{
    return m->n;
}
int64_t cml_tsne_n_features(const cml_tsne *m)
{
    return m->p;
}
int64_t cml_tsne_n_components(const cml_tsne *m)
{
    return m->k;
}
double cml_tsne_kl_divergence(const cml_tsne *m)
{
    return m->kl_divergence;
}
int cml_tsne_n_iter(const cml_tsne *m)
{
    return m->n_iter;
}
double cml_tsne_learning_rate(const cml_tsne *m)
{
    return m->learning_rate;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)opts;
    cml_tsne *m;
    CML_CHECK(cml_tsne_fit(params, X, &m));
    info->n_iter = m->n_iter + 1;
    info->converged = 1;
    info->objective = m->kl_divergence;
    *state = m;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_tsne_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_tsne *)state)->p;
}

static int64_t v_n_cols(const void *state)
{
    return ((const cml_tsne *)state)->k;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_tsne *m = state;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_samples", m->n));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->p));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_components", m->k));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.last_iter", m->n_iter));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.kl_divergence", m->kl_divergence));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.learning_rate", m->learning_rate));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.fingerprint", (int64_t)m->fingerprint));
    return cml_gguf_add_f64(w, "embedding", m->embedding, m->n, m->k);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    (void)schema_version;
    cml_status st;
    int64_t it, fp;
    cml_tsne *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_samples", &m->n));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &m->p));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_components", &m->k));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.last_iter", &it));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.kl_divergence", &m->kl_divergence));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.learning_rate", &m->learning_rate));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.fingerprint", &fp));
    if (m->n < 2 || m->p < 1 || m->k < 1 || it < 0 || it > INT32_MAX ||
        m->k > INT64_MAX / 8 / m->n) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad t-SNE shape (n=%lld, p=%lld, k=%lld)",
                      cml_gguf_name(g), (long long)m->n, (long long)m->p, (long long)m->k);
        goto fail;
    }
    m->n_iter = (int)it;
    m->fingerprint = (uint64_t)fp;
    m->embedding = cml_alloc_array(m->n * m->k, sizeof(double));
    if (!m->embedding) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "embedding", m->n, m->k, m->embedding));
    *state = m;
    return CML_OK;
fail:
    cml_tsne_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_tsne *m = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb, "{\"n_samples\":%lld,\"n_features_in\":%lld,\"n_components\":%lld,",
                  (long long)m->n, (long long)m->p, (long long)m->k);
    cml_sb_printf(&sb, "\"n_iter\":%d,\"kl_divergence\":", m->n_iter);
    cml_sb_json_num(&sb, m->kl_divergence);
    cml_sb_puts(&sb, ",\"learning_rate\":");
    cml_sb_json_num(&sb, m->learning_rate);
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}

static void v_free(void *state)
{
    cml_tsne_free(state);
}

const cml_estimator cml_est_tsne = {
    .name = "tsne",
    .aliases = "t_sne",
    .summary = "t-SNE embedding (Barnes-Hut or exact); transform returns the fitted embedding",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = tsne_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_tsne_params),
    .allows_nan = 0,
    .fit = v_fit,
    .predict = NULL,
    .transform = v_transform,
    .n_features_in = v_n_features,
    .n_transform_cols = v_n_cols,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
