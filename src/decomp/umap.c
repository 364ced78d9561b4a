/*
 * umap.c — Uniform Manifold Approximation and Projection (McInnes, Healy &
 * Melville, arXiv:1802.03426, 2018), following umap-learn 0.5's defaults and
 * steps.
 *
 * Graph: the k nearest neighbours (k = n_neighbors, counting the point
 * itself): exact through the shared neighbour index below 4096 samples,
 * NN-descent (nndescent.c) from there, as umap-learn switches to pynndescent
 * (param knn forces either); per point rho_i = distance to
 * the nearest other point and sigma_i by bisection so that
 * sum_{j >= 1} exp(-max(0, d_ij - rho_i) / sigma_i) = log2(k) (umap-learn's
 * smooth_knn_dist, 64 steps, tolerance 1e-5, floor 1e-3 * mean distance);
 * memberships w_ij = exp(-max(0, d_ij - rho_i) / sigma_i), fuzzy union
 * W = A + A^T - A o A^T; edges below max(W) / n_epochs dropped.
 * Low-dimensional similarity 1 / (1 + a d^2b) with (a, b) fitted to min_dist
 * and spread (find_ab_params: Levenberg-Marquardt on umap-learn's grid).
 * Layout: spectral (umap_spectral.c) or uniform in [-10, 10], scaled to max
 * |.| = 10 plus N(0, 1e-4) noise (spectral), then each axis to [0, 10].
 * Optimisation: n_epochs of SGD on the fuzzy cross-entropy; edge e is
 * sampled every w_max / w_e epochs; each sample moves the head point towards
 * the tail by the clipped (|.| <= 4) gradient -2ab d^(2(b-1)) / (1 + a d^2b)
 * and away from negative_sample_rate random points by 2b / ((0.001 + d^2)
 * (1 + a d^2b)); the rate decays linearly from learning_rate to 0.
 *
 * Deterministic parallel SGD (cml's choice): umap-learn runs the edge loop
 * sequentially (or Hogwild-style, racy and not reproducible, when asked for
 * threads), each sampled edge (i, j) moving i by g and j by -g at once. Here
 * an epoch has two phases. Phase 1, parallel over points: point i takes the
 * steps of its own sampled edges and its negative samples, reading the other
 * points from a snapshot taken at the start of the epoch, and records the
 * pull -g of each sampled edge on its tail; the negative samples come from
 * a stream seeded by (random_state, epoch, i). Phase 2, parallel over
 * points: each point adds the pulls of the edges pointing at it, in a fixed
 * order. The result is a pure function of the data and the seed, whatever
 * the thread count. (Moving each point by two steps of its own instead of
 * taking the pulls, a simpler scheme, fragments clusters visibly on digits;
 * deferring the pulls to the end of the epoch does not.)
 *
 * Transform (umap-learn's transform): the k nearest training points of each
 * new point, memberships with rho = 0, initial position at their weighted
 * mean, then n_epochs / 3 (auto: 100 or 30) epochs at learning_rate / 4
 * moving only the new point against the fixed training embedding. cml
 * computes each row on its own (umap-learn normalises the edge weights and
 * the sigma floor over the whole batch): a row's result depends only on the
 * row, the model and the seed.
 *
 * Cost: kNN O(n^2 p) (brute), trees, or NN-descent (about max_iter n k^2 p);
 * graph O(n k); spectral see
 * umap_spectral.c; SGD O(n_epochs n k (1 + negative_sample_rate) dim).
 * Thread-safety: fit is reentrant; transform reads a const model.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/embed.h"
#include "cml/model.h"
#include "core/internal.h"
#include "core/strbuf.h"
#include "decomp/embed_common.h"
#include "decomp/nndescent.h"
#include "decomp/umap_internal.h"

#define SMOOTH_K_TOLERANCE 1e-5
#define MIN_K_DIST_SCALE   1e-3
#define CLIP               4.0

static const char *const init_names[] = {"spectral", "random", "spectral+components"};

struct cml_umap {
    cml_umap_params prm; /* the fit's parameters (transform uses them) */
    int64_t n, p, k;     /* samples, features, components */
    double *X;           /* (n, p) training rows, to place new points */
    double *embedding;   /* (n, k) */
    double a, b;
    int n_epochs;        /* epochs the fit ran */
    int init_used;       /* index into init_names */
    cml_nn_index *index; /* over X */
};

#define P(field) offsetof(cml_umap_params, field)
static const cml_param_def umap_params[] = {
    {"n_neighbors", CML_PARAM_INT, "15", 2, INT32_MAX, 0, NULL,
     "size of the local neighbourhood (counting the point), < n_samples", P(n_neighbors)},
    {"n_components", CML_PARAM_INT, "2", 1, 1000000, 0, NULL, "dimension of the embedding",
     P(n_components)},
    {"metric", CML_PARAM_ENUM, "euclidean", 0, 0, 0, CML_EMBED_METRIC_CHOICES,
     "input-space distance", P(metric)},
    {"n_epochs", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL,
     "SGD epochs; 0 = auto (500 up to 10000 samples, else 200)", P(n_epochs)},
    {"learning_rate", CML_PARAM_DOUBLE, "1", 0, INFINITY, 1, NULL, "initial SGD step",
     P(learning_rate)},
    {"init", CML_PARAM_ENUM, "spectral", 0, 0, 0, "spectral|random", "initial layout", P(init)},
    {"min_dist", CML_PARAM_DOUBLE, "0.1", 0, INFINITY, 0, NULL,
     "minimum distance of embedded points, <= spread", P(min_dist)},
    {"spread", CML_PARAM_DOUBLE, "1", 0, INFINITY, 1, NULL, "scale of the embedded points",
     P(spread)},
    {"negative_sample_rate", CML_PARAM_INT, "5", 0, 1000000, 0, NULL,
     "negative samples per positive sample", P(negative_sample_rate)},
    {"random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL, "seed", P(random_state)},
    {"knn", CML_PARAM_ENUM, "auto", 0, 0, 0, "auto|exact|nn_descent",
     "kNN graph: exact, NN-descent (approximate), or auto (exact below 4096 samples)", P(knn)},
};
#undef P
#define N_PARAMS ((int)(sizeof umap_params / sizeof umap_params[0]))

cml_umap_params cml_umap_params_default(void)
{
    cml_umap_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(umap_params, N_PARAMS, &p);
    return p;
}

const char *cml_umap_params_check(const cml_umap_params *p)
{
    const char *msg = cml_params_check(umap_params, N_PARAMS, p);
    if (msg) return msg;
    if (p->min_dist > p->spread) return "min_dist must be <= spread";
    return NULL;
}

/* ---------------------------------------------------------------- a, b */

/* Residuals r_t = 1 / (1 + a x^2b) - y_t and their Jacobian. */
static double ab_residuals(const double *x, const double *y, int n, double a, double b, double *J)
{
    double sse = 0.0;
    for (int t = 0; t < n; t++) {
        double x2b = x[t] > 0.0 ? pow(x[t], 2.0 * b) : 0.0;
        double den = 1.0 + a * x2b, r = 1.0 / den - y[t];
        sse += r * r;
        if (J) {
            J[2 * t] = -x2b / (den * den);
            J[2 * t + 1] = x[t] > 0.0 ? -a * x2b * 2.0 * log(x[t]) / (den * den) : 0.0;
        }
    }
    return sse;
}

cml_status cml_umap_find_ab_params(double spread, double min_dist, double *a_out, double *b_out)
{
    if (!(spread > 0.0) || !(min_dist >= 0.0) || min_dist > spread || !isfinite(spread))
        return cml_fail(CML_ERR_ARG,
                        "UMAP: min_dist (%g) must be in [0, spread] and spread (%g) > 0", min_dist,
                        spread);
    enum { N = 300 };
    double x[N], y[N], J[2 * N];
    for (int t = 0; t < N; t++) {
        /* np.linspace(0, 3 spread, 300) */
        x[t] = t == N - 1 ? 3.0 * spread : (double)t * (3.0 * spread / (N - 1));
        y[t] = x[t] < min_dist ? 1.0 : exp(-(x[t] - min_dist) / spread);
    }
    /* Levenberg-Marquardt from (1, 1), scipy curve_fit's start. */
    double a = 1.0, b = 1.0, lambda = 1e-3;
    double sse = ab_residuals(x, y, N, a, b, J);
    for (int it = 0; it < 500; it++) {
        double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
        for (int t = 0; t < N; t++) {
            double x2b = x[t] > 0.0 ? pow(x[t], 2.0 * b) : 0.0;
            double r = 1.0 / (1.0 + a * x2b) - y[t];
            g0 += J[2 * t] * r;
            g1 += J[2 * t + 1] * r;
            h00 += J[2 * t] * J[2 * t];
            h01 += J[2 * t] * J[2 * t + 1];
            h11 += J[2 * t + 1] * J[2 * t + 1];
        }
        int accepted = 0;
        while (lambda < 1e16) {
            double d00 = h00 * (1.0 + lambda), d11 = h11 * (1.0 + lambda);
            double det = d00 * d11 - h01 * h01;
            double da = -(d11 * g0 - h01 * g1) / det, db = -(d00 * g1 - h01 * g0) / det;
            double na = a + da, nb = b + db;
            double nsse = ab_residuals(x, y, N, na, nb, NULL);
            if (isfinite(nsse) && nsse <= sse) {
                double step = fabs(da) / (fabs(a) + 1e-300) + fabs(db) / (fabs(b) + 1e-300);
                a = na;
                b = nb;
                sse = ab_residuals(x, y, N, a, b, J);
                lambda = fmax(lambda / 10.0, 1e-12);
                accepted = 1;
                if (step < 1e-14) it = 1 << 30; /* converged */
                break;
            }
            lambda *= 10.0;
        }
        if (!accepted) break; /* no decrease possible: at the minimum */
        if (it >= 1 << 30) break;
    }
    *a_out = a;
    *b_out = b;
    return CML_OK;
}

/* ---------------------------------------------------------------- graph */

/* umap-learn's smooth_knn_dist on rows of (m, k) distances; column 0 is
 * skipped in the sums (it is the point itself at fit time; umap-learn skips
 * it at transform time too). local_connectivity is 1 (fit) or 0
 * (transform). mean_all: the floor's reference distance for rows with
 * rho = 0 (the mean of all distances at fit; the row's mean at transform). */
static void smooth_knn_dist(const double *dist, int64_t m, int64_t k, double local_connectivity,
                            int per_row_mean, double *sigma, double *rho)
{
    const double target = log2((double)k);
    double mean_all = 0.0;
    if (!per_row_mean) {
        for (int64_t t = 0; t < m * k; t++)
            mean_all += dist[t];
        mean_all /= (double)(m * k);
    }
#pragma omp parallel for schedule(static) CML_OMP_THREADS if (m * k > 100000)
    for (int64_t i = 0; i < m; i++) {
        const double *d = dist + i * k;
        double r = 0.0, row_mean = 0.0;
        for (int64_t j = 0; j < k; j++)
            row_mean += d[j];
        row_mean /= (double)k;
        if (local_connectivity > 0.0) {
            /* local_connectivity = 1: the first non-zero distance (rows are
             * sorted); if none, 0. */
            for (int64_t j = 0; j < k; j++)
                if (d[j] > 0.0) {
                    r = d[j];
                    break;
                }
        }
        double lo = 0.0, hi = INFINITY, mid = 1.0;
        for (int it = 0; it < 64; it++) {
            double psum = 0.0;
            for (int64_t j = 1; j < k; j++) {
                double t = d[j] - r;
                psum += t > 0.0 ? exp(-(t / mid)) : 1.0;
            }
            if (fabs(psum - target) < SMOOTH_K_TOLERANCE) break;
            if (psum > target) {
                hi = mid;
                mid = (lo + hi) / 2.0;
            } else {
                lo = mid;
                mid = hi == INFINITY ? mid * 2.0 : (lo + hi) / 2.0;
            }
        }
        double floor_ref = (r > 0.0 || per_row_mean) ? row_mean : mean_all;
        if (mid < MIN_K_DIST_SCALE * floor_ref) mid = MIN_K_DIST_SCALE * floor_ref;
        sigma[i] = mid;
        rho[i] = r;
    }
}

static inline double membership(double d, double rho, double sigma)
{
    return (d - rho <= 0.0 || sigma == 0.0) ? 1.0 : exp(-((d - rho) / sigma));
}

/* Drops the entries of W below max / n_epochs (umap-learn: set to 0, then
 * eliminate_zeros); returns max. */
static double prune(cml_embed_csr *W, int n_epochs)
{
    int64_t nnz = cml_embed_csr_nnz(W);
    double mx = 0.0;
    for (int64_t e = 0; e < nnz; e++)
        mx = fmax(mx, W->val[e]);
    double thr = mx / (double)n_epochs;
    int64_t w = 0;
    for (int64_t i = 0; i < W->n; i++) {
        int64_t e0 = W->indptr[i], e1 = W->indptr[i + 1];
        W->indptr[i] = w;
        for (int64_t e = e0; e < e1; e++)
            if (!(W->val[e] < thr)) {
                W->col[w] = W->col[e];
                W->val[w++] = W->val[e];
            }
    }
    W->indptr[W->n] = w;
    return mx;
}

/* ---------------------------------------------------------------- SGD */

static inline double clip4(double v)
{
    return v > CLIP ? CLIP : (v < -CLIP ? -CLIP : v);
}

/* One attraction step of y towards o. */
static inline void attract(double *y, const double *o, int dim, double a, double b, double alpha)
{
    double d2 = 0.0;
    for (int t = 0; t < dim; t++)
        d2 += (y[t] - o[t]) * (y[t] - o[t]);
    double c = 0.0;
    if (d2 > 0.0) {
        double pb = pow(d2, b); /* d2^(b-1) = pb / d2: one pow per step */
        c = -2.0 * a * b * (pb / d2) / (a * pb + 1.0);
    }
    for (int t = 0; t < dim; t++)
        y[t] += clip4(c * (y[t] - o[t])) * alpha;
}

/* One repulsion step of y away from o (gamma = 1). */
static inline void repel(double *y, const double *o, int dim, double a, double b, double alpha)
{
    double d2 = 0.0;
    for (int t = 0; t < dim; t++)
        d2 += (y[t] - o[t]) * (y[t] - o[t]);
    if (d2 > 0.0) {
        double c = 2.0 * b / ((0.001 + d2) * (a * pow(d2, b) + 1.0));
        for (int t = 0; t < dim; t++)
            y[t] += clip4(c * (y[t] - o[t])) * alpha;
    } else {
        for (int t = 0; t < dim; t++)
            y[t] += CLIP * alpha; /* umap-learn: coincident points pushed by +4 */
    }
}

/* Edge schedules (umap-learn's make_epochs_per_sample). */
typedef struct edge_sched {
    double *eps;      /* epochs per sample, w_max / w_e */
    double *next;     /* epoch of the next sample */
    double *eps_neg;  /* eps / negative_sample_rate */
    double *next_neg; /* epoch of the next negative samples */
} edge_sched;

static void sched_free(edge_sched *s)
{
    free(s->eps);
    free(s->next);
    free(s->eps_neg);
    free(s->next_neg);
}

static cml_status sched_init(edge_sched *s, const double *w, int64_t nnz, double w_max, int nsr)
{
    s->eps = cml_alloc_array(CML_MAX(nnz, 1), sizeof(double));
    s->next = cml_alloc_array(CML_MAX(nnz, 1), sizeof(double));
    s->eps_neg = cml_alloc_array(CML_MAX(nnz, 1), sizeof(double));
    s->next_neg = cml_alloc_array(CML_MAX(nnz, 1), sizeof(double));
    if (!s->eps || !s->next || !s->eps_neg || !s->next_neg) return CML_ERR_NOMEM;
    for (int64_t e = 0; e < nnz; e++) {
        /* n_epochs / (n_epochs * w / w_max), as umap-learn computes it */
        s->eps[e] = w[e] > 0.0 ? w_max / w[e] : -1.0;
        s->next[e] = s->eps[e];
        s->eps_neg[e] = nsr > 0 ? s->eps[e] / (double)nsr : INFINITY;
        s->next_neg[e] = s->eps_neg[e];
    }
    return CML_OK;
}

/* The training layout: see "Deterministic parallel SGD" in the header. */
/* Position of the reverse edge (j, i) of every edge (i, j) of the symmetric
 * W (columns ascending within rows, so a binary search finds it). */
static cml_status reverse_edges(const cml_embed_csr *W, int64_t *rev)
{
    for (int64_t i = 0; i < W->n; i++)
        for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++) {
            int64_t j = W->col[e], lo = W->indptr[j], hi = W->indptr[j + 1] - 1;
            rev[e] = -1;
            while (lo <= hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (W->col[mid] == i) {
                    rev[e] = mid;
                    break;
                }
                if (W->col[mid] < i)
                    lo = mid + 1;
                else
                    hi = mid - 1;
            }
            if (rev[e] < 0)
                return cml_fail(CML_ERR_INTERNAL, "UMAP: graph is not symmetric at (%lld, %lld)",
                                (long long)i, (long long)j);
        }
    return CML_OK;
}

/* Phase 1 of an epoch for point i: its own attraction steps and negative
 * samples (reading the others from the epoch's snapshot), and the pulls its
 * sampled edges exert on their tails, stored per edge in pull. */
static void sgd_point(const cml_umap *m, const cml_embed_csr *W, edge_sched *s, double *Y,
                      const double *snap, double *pull, int64_t i, int ep, double alpha,
                      uint64_t seed)
{
    const int64_t n = W->n;
    const int dim = (int)m->k;
    const double a = m->a, b = m->b;
    double *y = Y + i * dim;
    cml_rng rng;
    cml_rng_seed(&rng, seed ^ cml_embed_mix((uint64_t)ep * (uint64_t)n + (uint64_t)i));
    for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++) {
        if (s->eps[e] < 0.0 || s->next[e] > (double)ep) continue;
        const double *o = snap + W->col[e] * dim;
        double d2 = 0.0, c = 0.0;
        for (int t = 0; t < dim; t++)
            d2 += (y[t] - o[t]) * (y[t] - o[t]);
        if (d2 > 0.0) {
            double pb = pow(d2, b); /* d2^(b-1) = pb / d2: one pow per step */
            c = -2.0 * a * b * (pb / d2) / (a * pb + 1.0);
        }
        for (int t = 0; t < dim; t++) {
            double g = clip4(c * (y[t] - o[t])) * alpha;
            y[t] += g;
            pull[e * dim + t] = -g; /* umap-learn moves the tail by -g */
        }
        s->next[e] += s->eps[e];
        int64_t n_neg = (int64_t)(((double)ep - s->next_neg[e]) / s->eps_neg[e]);
        for (int64_t q = 0; q < n_neg; q++) {
            int64_t k = (int64_t)cml_rng_below(&rng, (uint64_t)n);
            if (k == i) continue;
            repel(y, snap + k * dim, dim, a, b, alpha);
        }
        if (n_neg > 0) s->next_neg[e] += (double)n_neg * s->eps_neg[e];
    }
}

/* The training layout: see "Deterministic parallel SGD" in the header. */
static cml_status optimize_fit(const cml_umap *m, const cml_embed_csr *W, double w_max, double *Y)
{
    const int64_t n = W->n, nnz = cml_embed_csr_nnz(W);
    const int dim = (int)m->k, n_epochs = m->n_epochs;
    const double lr = m->prm.learning_rate;
    const uint64_t seed = cml_embed_mix((uint64_t)m->prm.random_state);
    edge_sched s;
    memset(&s, 0, sizeof s);
    cml_status st = sched_init(&s, W->val, nnz, w_max, m->prm.negative_sample_rate);
    double *snap = cml_alloc_array(n * dim, sizeof(double));
    double *pull = cml_calloc((size_t)CML_MAX(nnz, 1) * (size_t)dim, sizeof(double));
    int64_t *rev = cml_alloc_array(CML_MAX(nnz, 1), sizeof(int64_t));
    if (st != CML_OK || !snap || !pull || !rev) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    CML_TRY(reverse_edges(W, rev));
#pragma omp parallel CML_OMP_THREADS if (nnz > 20000)
    for (int ep = 0; ep < n_epochs; ep++) {
        const double alpha = lr * (1.0 - (double)ep / (double)n_epochs);
#pragma omp for schedule(static)
        for (int64_t t = 0; t < n * dim; t++)
            snap[t] = Y[t];
#pragma omp for schedule(dynamic, 64)
        for (int64_t i = 0; i < n; i++)
            sgd_point(m, W, &s, Y, snap, pull, i, ep, alpha, seed);
            /* Phase 2: each point takes the pulls of the edges pointing at it,
             * in its row's order, and clears them. */
#pragma omp for schedule(dynamic, 64)
        for (int64_t j = 0; j < n; j++)
            for (int64_t e = W->indptr[j]; e < W->indptr[j + 1]; e++) {
                double *pe = pull + rev[e] * dim;
                for (int t = 0; t < dim; t++) {
                    Y[j * dim + t] += pe[t];
                    pe[t] = 0.0;
                }
            }
    }
fail:
done:
    sched_free(&s);
    free(snap);
    free(pull);
    free(rev);
    return st;
}

/* Each axis to [0, 10] (umap-learn 0.5, before the optimisation). */
static void rescale_0_10(double *Y, int64_t n, int dim)
{
    for (int t = 0; t < dim; t++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t i = 0; i < n; i++) {
            lo = fmin(lo, Y[i * dim + t]);
            hi = fmax(hi, Y[i * dim + t]);
        }
        double s = hi > lo ? 10.0 / (hi - lo) : 0.0;
        for (int64_t i = 0; i < n; i++)
            Y[i * dim + t] = (Y[i * dim + t] - lo) * s;
    }
}

/* ---------------------------------------------------------------- fit */

void cml_umap_free(cml_umap *m)
{
    if (!m) return;
    free(m->X);
    free(m->embedding);
    cml_nn_index_free(m->index);
    free(m);
}

/* Everything but the data-dependent arrays; shared by fit and load. */
static cml_status finish_model(cml_umap *m)
{
    cml_matrix Xm = cml_matrix_view(m->X, m->n, m->p);
    cml_nn_params np = cml_embed_nn_params((cml_embed_metric)m->prm.metric, m->prm.n_neighbors);
    return cml_nn_index_build(&np, &Xm, &m->index);
}

/* umap-learn's rule: exact kNN below 4096 samples, NN-descent from there. */
#define UMAP_NN_DESCENT_MIN_SAMPLES 4096

static int use_nn_descent(const cml_umap_params *p, int64_t n)
{
    if (p->knn == CML_UMAP_KNN_AUTO) return n >= UMAP_NN_DESCENT_MIN_SAMPLES;
    return p->knn == CML_UMAP_KNN_NN_DESCENT;
}

cml_status cml_umap_fit(const cml_umap_params *p, const cml_matrix *X, cml_umap **out)
{
    *out = NULL;
    const char *msg = cml_umap_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "UMAP: %s", msg);
    CML_CHECK(cml_matrix_check(X, "X", 0));
    const int64_t n = X->rows, p_ = X->cols, k = p->n_neighbors;
    const int dim = p->n_components;
    if (k >= n)
        return cml_fail(CML_ERR_ARG,
                        "UMAP: n_neighbors (%lld) must be less than n_samples (%lld) "
                        "(HINT: n_neighbors between 5 and 50 suits most data)",
                        (long long)k, (long long)n);
    CML_CHECK(cml_embed_check_spread(X, "UMAP"));
    cml_status st;
    cml_umap *m = cml_calloc(1, sizeof *m);
    double *dist = NULL, *sigma = NULL, *rho = NULL, *val = NULL;
    int64_t *idx = NULL;
    cml_embed_csr W;
    memset(&W, 0, sizeof W);
    if (!m) return CML_ERR_NOMEM;
    m->prm = *p;
    m->n = n;
    m->p = p_;
    m->k = dim;
    m->n_epochs = p->n_epochs > 0 ? p->n_epochs : (n <= 10000 ? 500 : 200);
    CML_TRY(cml_umap_find_ab_params(p->spread, p->min_dist, &m->a, &m->b));
    m->X = cml_alloc_array(n * p_, sizeof(double));
    m->embedding = cml_alloc_array(n * dim, sizeof(double));
    /* (n, k) with the point itself in column 0, as umap-learn's kNN. */
    dist = cml_alloc_array(n * k, sizeof(double));
    idx = cml_alloc_array(n * k, sizeof(int64_t));
    val = cml_alloc_array(n * (k - 1), sizeof(double));
    sigma = cml_alloc_array(n, sizeof(double));
    rho = cml_alloc_array(n, sizeof(double));
    if (!m->X || !m->embedding || !dist || !idx || !val || !sigma || !rho) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(m->X + i * p_, cml_matrix_row(X, i), sizeof(double) * (size_t)p_);
    CML_TRY(finish_model(m));
    {
        /* Neighbours other than self go to columns 1..k-1. */
        double *d1 = cml_alloc_array(n * (k - 1), sizeof(double));
        int64_t *i1 = cml_alloc_array(n * (k - 1), sizeof(int64_t));
        if (!d1 || !i1) {
            free(d1);
            free(i1);
            st = CML_ERR_NOMEM;
            goto fail;
        }
        if (use_nn_descent(p, n)) {
            cml_nnd_params np = cml_nnd_params_default();
            st = cml_nnd_knn(X, (cml_embed_metric)p->metric, k - 1, &np, (uint64_t)p->random_state,
                             d1, i1, NULL);
        } else {
            st = cml_nn_index_kneighbors_self(m->index, k - 1, d1, i1);
        }
        for (int64_t i = 0; i < n && st == CML_OK; i++) {
            dist[i * k] = 0.0;
            idx[i * k] = i;
            memcpy(dist + i * k + 1, d1 + i * (k - 1), sizeof(double) * (size_t)(k - 1));
            memcpy(idx + i * k + 1, i1 + i * (k - 1), sizeof(int64_t) * (size_t)(k - 1));
        }
        free(d1);
        free(i1);
        if (st != CML_OK) goto fail;
    }
    smooth_knn_dist(dist, n, k, 1.0, 0, sigma, rho);
    /* Memberships of the k - 1 other neighbours (self has weight 0). */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 1; j < k; j++) {
            val[i * (k - 1) + j - 1] = membership(dist[i * k + j], rho[i], sigma[i]);
            idx[i * (k - 1) + j - 1] = idx[i * k + j]; /* compact in place: j-1 < i*k+j */
        }
    CML_TRY(cml_embed_symmetrize(n, k - 1, idx, val, CML_EMBED_SYMM_FUZZY_UNION, &W));
    double w_max = prune(&W, m->n_epochs);

    /* Initial layout. */
    cml_rng rng;
    cml_rng_seed(&rng, (uint64_t)p->random_state);
    if (p->init == CML_UMAP_INIT_RANDOM || n <= (int64_t)dim + 1) {
        for (int64_t t = 0; t < n * dim; t++)
            m->embedding[t] = 20.0 * cml_rng_uniform(&rng) - 10.0;
        m->init_used = 1;
    } else {
        int64_t ncomp = 1;
        CML_TRY(cml_umap_spectral_layout(X, &W, dim, cml_embed_mix((uint64_t)p->random_state),
                                         m->embedding, &ncomp));
        m->init_used = ncomp > 1 ? 2 : 0;
        double mx = 0.0;
        for (int64_t t = 0; t < n * dim; t++)
            mx = fmax(mx, fabs(m->embedding[t]));
        double expansion = mx > 0.0 ? 10.0 / mx : 1.0;
        for (int64_t t = 0; t < n * dim; t++)
            m->embedding[t] = m->embedding[t] * expansion + 1e-4 * cml_rng_normal(&rng);
    }
    rescale_0_10(m->embedding, n, dim);
    CML_TRY(optimize_fit(m, &W, w_max, m->embedding));
    st = CML_OK;
    *out = m;
    m = NULL;
fail:
    cml_umap_free(m);
    cml_embed_csr_free(&W);
    free(dist);
    free(idx);
    free(val);
    free(sigma);
    free(rho);
    return st;
}

/* ---------------------------------------------------------------- transform */

cml_status cml_umap_transform(const cml_umap *m, const cml_matrix *X, double *out)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    if (X->cols != m->p)
        return cml_fail(CML_ERR_ARG, "UMAP transform: X has %lld features, the model %lld",
                        (long long)X->cols, (long long)m->p);
    const int64_t q = X->rows, k = m->prm.n_neighbors;
    const int dim = (int)m->k, nsr = m->prm.negative_sample_rate;
    const int n_epochs =
        m->prm.n_epochs > 0 ? CML_MAX(m->prm.n_epochs / 3, 1) : (q <= 10000 ? 100 : 30);
    const double a = m->a, b = m->b, alpha0 = m->prm.learning_rate / 4.0;
    if (q == 0) return CML_OK;
    cml_status st;
    double *dist = cml_alloc_array(q * k, sizeof(double));
    int64_t *idx = cml_alloc_array(q * k, sizeof(int64_t));
    double *sigma = cml_alloc_array(q, sizeof(double));
    double *rho = cml_alloc_array(q, sizeof(double));
    /* Per-edge schedule: (q, k) each. */
    double *next = cml_alloc_array(q * k, sizeof(double));
    double *next_neg = cml_alloc_array(q * k, sizeof(double));
    if (!dist || !idx || !sigma || !rho || !next || !next_neg) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_nn_index_kneighbors(m->index, X, k, dist, idx));
    smooth_knn_dist(dist, q, k, 0.0, 1, sigma, rho);
    const uint64_t seed = cml_embed_mix((uint64_t)m->prm.random_state ^ 0x7a3cULL);
#pragma omp parallel for schedule(dynamic, 16) CML_OMP_THREADS if (q > 16)
    for (int64_t i = 0; i < q; i++) {
        double *y = out + i * dim, *wt = dist + i * k; /* weights overwrite distances */
        const int64_t *nb = idx + i * k;
        double w_sum = 0.0, w_max = 0.0;
        int64_t exact = -1;
        for (int64_t j = 0; j < k; j++) {
            wt[j] = membership(wt[j], rho[i], sigma[i]);
            w_sum += wt[j];
            w_max = fmax(w_max, wt[j]);
            if (wt[j] == 1.0 && exact < 0) exact = nb[j];
        }
        /* Initial position: the weighted mean of the neighbours, or the
         * neighbour it coincides with (umap-learn's init_graph_transform). */
        for (int t = 0; t < dim; t++)
            y[t] = 0.0;
        if (exact >= 0) {
            for (int t = 0; t < dim; t++)
                y[t] = m->embedding[exact * dim + t];
        } else if (!(w_sum > 0.0)) { /* every weight underflowed: plain mean */
            for (int64_t j = 0; j < k; j++)
                for (int t = 0; t < dim; t++)
                    y[t] += m->embedding[nb[j] * dim + t] / (double)k;
        } else {
            for (int64_t j = 0; j < k; j++)
                for (int t = 0; t < dim; t++)
                    y[t] += wt[j] / w_sum * m->embedding[nb[j] * dim + t];
        }
        /* Per-row seed from the row's values: a point's result does not
         * depend on the batch it comes in. */
        cml_matrix row = cml_matrix_view(cml_matrix_row(X, i), 1, X->cols);
        cml_rng rng;
        cml_rng_seed(&rng, seed ^ cml_embed_fingerprint(&row));
        double *nx = next + i * k, *nn = next_neg + i * k;
        const double thr = w_max / (double)n_epochs;
        for (int64_t j = 0; j < k; j++) {
            nx[j] = w_max / wt[j];
            nn[j] = nsr > 0 ? nx[j] / nsr : INFINITY;
        }
        for (int ep = 0; ep < n_epochs; ep++) {
            double alpha = alpha0 * (1.0 - (double)ep / (double)n_epochs);
            for (int64_t j = 0; j < k; j++) {
                if (wt[j] < thr || nx[j] > (double)ep) continue;
                double eps = w_max / wt[j], eps_neg = nsr > 0 ? eps / nsr : INFINITY;
                attract(y, m->embedding + nb[j] * dim, dim, a, b, alpha);
                nx[j] += eps;
                int64_t n_neg = (int64_t)(((double)ep - nn[j]) / eps_neg);
                for (int64_t s = 0; s < n_neg; s++) {
                    int64_t kk = (int64_t)cml_rng_below(&rng, (uint64_t)m->n);
                    repel(y, m->embedding + kk * dim, dim, a, b, alpha);
                }
                if (n_neg > 0) nn[j] += (double)n_neg * eps_neg;
            }
        }
    }
    st = CML_OK;
fail:
    free(dist);
    free(idx);
    free(sigma);
    free(rho);
    free(next);
    free(next_neg);
    return st;
}

/* ---------------------------------------------------------------- getters */

const double *cml_umap_embedding(const cml_umap *m)
{
    return m->embedding;
}
int64_t cml_umap_n_samples(const cml_umap *m)
{
    return m->n;
}
int64_t cml_umap_n_features(const cml_umap *m)
{
    return m->p;
}
int64_t cml_umap_n_components(const cml_umap *m)
{
    return m->k;
}
double cml_umap_a(const cml_umap *m)
{
    return m->a;
}
double cml_umap_b(const cml_umap *m)
{
    return m->b;
}
const char *cml_umap_init_used(const cml_umap *m)
{
    return init_names[m->init_used];
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)opts;
    cml_umap *m;
    CML_CHECK(cml_umap_fit(params, X, &m));
    info->n_iter = m->n_epochs;
    info->converged = 1;
    *state = m;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_umap_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_umap *)state)->p;
}

static int64_t v_n_cols(const void *state)
{
    return ((const cml_umap *)state)->k;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_umap *m = state;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_samples", m->n));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->p));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_components", m->k));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_epochs", m->n_epochs));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.a", m->a));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.b", m->b));
    CML_CHECK(cml_gguf_set_str(w, "cml.fit.init", init_names[m->init_used]));
    CML_CHECK(cml_gguf_add_f64(w, "X", m->X, m->n, m->p));
    return cml_gguf_add_f64(w, "embedding", m->embedding, m->n, m->k);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    cml_status st;
    int64_t ep;
    const char *init;
    cml_umap *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->prm = *(const cml_umap_params *)params;
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_samples", &m->n));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &m->p));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_components", &m->k));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_epochs", &ep));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.a", &m->a));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.b", &m->b));
    CML_TRY(cml_gguf_get_str(g, "cml.fit.init", &init));
    m->init_used = -1;
    for (int t = 0; t < 3; t++)
        if (strcmp(init, init_names[t]) == 0) m->init_used = t;
    if (m->init_used < 0 || m->n < 2 || m->p < 1 || m->k < 1 || m->k != m->prm.n_components ||
        m->prm.n_neighbors >= m->n || ep < 1 || ep > INT32_MAX || !(m->a > 0) || !(m->b > 0) ||
        m->p > INT64_MAX / 8 / m->n || m->k > INT64_MAX / 8 / m->n) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad UMAP fields (n=%lld, p=%lld, k=%lld, init=%s)",
                      cml_gguf_name(g), (long long)m->n, (long long)m->p, (long long)m->k, init);
        goto fail;
    }
    m->n_epochs = (int)ep;
    m->X = cml_alloc_array(m->n * m->p, sizeof(double));
    m->embedding = cml_alloc_array(m->n * m->k, sizeof(double));
    if (!m->X || !m->embedding) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "X", m->n, m->p, m->X));
    CML_TRY(cml_gguf_read_f64(g, "embedding", m->n, m->k, m->embedding));
    cml_matrix Xm = cml_matrix_view(m->X, m->n, m->p),
               Em = cml_matrix_view(m->embedding, m->n, m->k);
    if (cml_matrix_check(&Xm, "X", 0) != CML_OK ||
        cml_matrix_check(&Em, "embedding", 0) != CML_OK) {
        st = cml_fail_context(CML_ERR_FORMAT, "%s", cml_gguf_name(g));
        goto fail;
    }
    CML_TRY(finish_model(m));
    *state = m;
    return CML_OK;
fail:
    cml_umap_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_umap *m = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb,
                  "{\"n_samples\":%lld,\"n_features_in\":%lld,\"n_components\":%lld,"
                  "\"n_epochs\":%d,\"init\":",
                  (long long)m->n, (long long)m->p, (long long)m->k, m->n_epochs);
    cml_sb_json_str(&sb, init_names[m->init_used]);
    cml_sb_puts(&sb, ",\"a\":");
    cml_sb_json_num(&sb, m->a);
    cml_sb_puts(&sb, ",\"b\":");
    cml_sb_json_num(&sb, m->b);
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}

static void v_free(void *state)
{
    cml_umap_free(state);
}

const cml_estimator cml_est_umap = {
    .name = "umap",
    .aliases = "",
    .summary = "UMAP embedding (fuzzy kNN graph, spectral init, SGD); transforms new points",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = umap_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_umap_params),
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
