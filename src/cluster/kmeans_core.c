/*
 * kmeans_core.c — k-means building blocks (see kmeans_core.h).
 *
 * Objective: minimise the inertia  sum_i w_i ||x_i - c_{l(i)}||^2  over the
 * centres c and labels l. Lloyd (1982) alternates the E-step (nearest
 * centre) and the M-step (weighted means); Elkan (ICML 2003, "Using the
 * triangle inequality to accelerate k-means") skips distance computations
 * with an upper bound per sample and a lower bound per (sample, centre).
 * Both mirror scikit-learn 1.2's _k_means_lloyd.pyx / _k_means_elkan.pyx /
 * _k_means_common.pyx step by step (chunking, convergence tests, empty
 * cluster relocation, final E-step), so that from the same initial centres
 * the labels are identical and the centres agree to rounding.
 *
 * Lloyd's iteration reads only the rows whose label it cannot prove stays
 * (Hamerly 2010 bounds with a rounding margin, "Lloyd with bounds" below):
 * the same labels and centres as reading every row, which KM_LLOYD_PLAIN
 * still does.
 *
 * Complexity: Lloyd O(n k p) per iteration in the worst case, dominated by
 * one dgemm per 256-row chunk, O(n) bounds memory; Elkan the same worst
 * case, O(n k) bounds memory.
 * Parallelism: chunks are grouped into G groups, G a function of the problem
 * size only; each group sums its chunks' centre contributions sequentially
 * and groups are added in index order, so the centres (and everything after)
 * are bit-identical whatever the thread count.
 * Thread-safety: pure functions of their arguments.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "cluster/dist.h"
#include "cluster/kmeans_core.h"
#include "core/strbuf.h"

/* ---------------------------------------------------------------- helpers */

static inline int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Parallel regions only where the work (about n * p flops) pays for waking
 * the threads: on a busy machine a tiny region can cost more than it saves. */
#define KM_PAR_MIN (1 << 20)

static int64_t n_chunks_of(int64_t n)
{
    return (n + KM_CHUNK - 1) / KM_CHUNK;
}

/* Number of accumulation groups: depends on the sizes only (never on the
 * thread count), capped so the (G, k, p) partial sums stay under 256 MB. */
static int n_groups_of(int64_t n_chunks, int k, int64_t p)
{
    int64_t g = CML_MIN(n_chunks, 64);
    while (g > 1 && (double)g * (double)k * (double)p * 8.0 > 256e6)
        g /= 2;
    return (int)CML_MAX(g, 1);
}

/* Column sums of X in at most MEAN_GROUPS groups of row chunks, the groups
 * summed in index order: parallel, and the same bits whatever the thread
 * count (the group count depends on n only). */
#define MEAN_GROUPS 16

cml_status km_center_copy(const cml_matrix *X, double **Xc, double *mean, double *xsq)
{
    int64_t n = X->rows, p = X->cols, nc = n_chunks_of(n);
    int G = (int)CML_MIN(nc, MEAN_GROUPS);
    double *out = cml_alloc_array(n * p, sizeof(double));
    double *part = cml_calloc((size_t)G * (size_t)p, sizeof(double));
    if (!out || !part) {
        free(out);
        free(part);
        return CML_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(static) if (n * p > KM_PAR_MIN)
    for (int g = 0; g < G; g++) {
        double *acc = part + (int64_t)g * p;
        int64_t s = g * nc / G * KM_CHUNK, e = CML_MIN((g + 1) * nc / G * KM_CHUNK, n);
        for (int64_t i = s; i < e; i++) {
            const double *r = X->data + i * X->ld;
            for (int64_t j = 0; j < p; j++)
                acc[j] += r[j];
        }
    }
    for (int64_t j = 0; j < p; j++) {
        double s = 0.0;
        for (int g = 0; g < G; g++)
            s += part[(int64_t)g * p + j];
        mean[j] = s / (double)n;
    }
    free(part);
    /* The copy and its squared row norms in one pass: each row is still in
     * cache when its norm is taken. */
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(static) if (n * p > KM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        const double *r = X->data + i * X->ld;
        double *o = out + i * p, sq = 0.0;
        for (int64_t j = 0; j < p; j++) {
            o[j] = r[j] - mean[j];
            sq += o[j] * o[j];
        }
        if (xsq) xsq[i] = sq;
    }
    *Xc = out;
    return CML_OK;
}

double km_tolerance_centred(const double *xsq, int64_t n, int64_t p, double tol)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += xsq[i];
    return s / (double)n / (double)p * tol;
}

void km_row_sq_norms(const double *X, int64_t n, int64_t p, int64_t ld, double *out)
{
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(static) if (n * p > KM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        const double *r = X + i * ld;
        double s = 0.0;
        for (int64_t j = 0; j < p; j++)
            s += r[j] * r[j];
        out[i] = s;
    }
}

double km_tolerance(const double *X, int64_t n, int64_t p, int64_t ld, double tol)
{
    if (tol == 0.0) return 0.0;
    double *m = cml_calloc((size_t)p, sizeof(double));
    double *v = cml_calloc((size_t)p, sizeof(double));
    if (!m || !v) { /* no early stop on tolerance; the fit still converges on labels */
        free(m);
        free(v);
        return 0.0;
    }
    /* Two row-wise passes (cache friendly): means, then squared deviations. */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < p; j++)
            m[j] += X[i * ld + j];
    for (int64_t j = 0; j < p; j++)
        m[j] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < p; j++) {
            double t = X[i * ld + j] - m[j];
            v[j] += t * t;
        }
    double total = 0.0;
    for (int64_t j = 0; j < p; j++)
        total += v[j] / (double)n;
    free(m);
    free(v);
    return total / (double)p * tol;
}

/* ---------------------------------------------------------------- seeding */

/* dist (m, n): squared distances of the m rows `cand` to every row of X,
 * sklearn's _euclidean_distances(squared=True): ||c||^2 - 2 c.x + ||x||^2
 * clipped at 0. */
static void sq_dists_to_rows(const km_data *d, const double *cand, int m, double *dist)
{
    int64_t n = d->n, p = d->p, nc = n_chunks_of(n);
    double cc[64]; /* m <= 2 + log(k) trials */
    for (int t = 0; t < m; t++) {
        cc[t] = 0.0;
        for (int64_t j = 0; j < p; j++)
            cc[t] += cand[t * p + j] * cand[t * p + j];
    }
    /* One dgemm per chunk of rows inside cml's own parallel loop (BLAS then
     * single-threaded), as Lloyd's E-step: a multi-threaded BLAS call over
     * all of X synchronises its threads at every block, which costs several
     * times the work on a busy machine. Each entry's value does not depend
     * on the chunking. */
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(static) if (n * p > KM_PAR_MIN)
    for (int64_t c = 0; c < nc; c++) {
        int64_t s = c * KM_CHUNK, e = CML_MIN(s + KM_CHUNK, n);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, (int)(e - s), (int)p, -2.0, cand,
                    (int)p, d->X + s * d->ld, (int)d->ld, 0.0, dist + s, (int)n);
        for (int t = 0; t < m; t++) {
            double *row = dist + (int64_t)t * n;
            for (int64_t i = s; i < e; i++) {
                double v = row[i] + cc[t] + d->xsq[i];
                row[i] = v > 0.0 ? v : 0.0;
            }
        }
    }
}

/* Sum of v[0..n) in fixed-size blocks added in order: thread-count
 * independent. */
static double ordered_sum(const double *v, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

cml_status km_init_plusplus(const km_data *d, int k, cml_rng *rng, double *centers)
{
    int64_t n = d->n, p = d->p;
    int trials = 2 + (int)log((double)k);
    cml_status st = CML_OK;
    double *closest = cml_alloc_array(n, sizeof(double));
    double *cumsum = cml_alloc_array(n, sizeof(double));
    double *cand_dist = cml_alloc_array(n * trials, sizeof(double));
    double *cand = cml_alloc_array((int64_t)trials * p, sizeof(double));
    int64_t *cand_id = cml_alloc_array(trials, sizeof(int64_t));
    double *pot = cml_alloc_array(trials, sizeof(double));
    if (!closest || !cumsum || !cand_dist || !cand || !cand_id || !pot) {
        st = CML_ERR_NOMEM;
        goto fail;
    }

    int64_t first = (int64_t)cml_rng_below(rng, (uint64_t)n);
    memcpy(centers, d->X + first * d->ld, (size_t)p * sizeof(double));
    sq_dists_to_rows(d, centers, 1, closest);
    double current_pot = ordered_sum(closest, n);

    for (int c = 1; c < k; c++) {
        /* Sample candidates with probability proportional to the squared
         * distance to the closest centre: searchsorted(cumsum, u * pot). */
        double acc = 0.0;
        for (int64_t i = 0; i < n; i++) {
            acc += closest[i];
            cumsum[i] = acc;
        }
        for (int t = 0; t < trials; t++) {
            double r = cml_rng_uniform(rng) * current_pot;
            int64_t lo = 0, hi = n; /* first index with cumsum >= r */
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (cumsum[mid] < r)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            cand_id[t] = CML_MIN(lo, n - 1);
            memcpy(cand + (int64_t)t * p, d->X + cand_id[t] * d->ld, (size_t)p * sizeof(double));
        }
        sq_dists_to_rows(d, cand, trials, cand_dist);
        /* Potential of each candidate: sum_i min(closest_i, dist_ti). */
        for (int t = 0; t < trials; t++) {
            double *row = cand_dist + (int64_t)t * n;
            for (int64_t i = 0; i < n; i++)
                if (closest[i] < row[i]) row[i] = closest[i];
            pot[t] = ordered_sum(row, n);
        }
        int best = 0;
        for (int t = 1; t < trials; t++)
            if (pot[t] < pot[best]) best = t;
        current_pot = pot[best];
        memcpy(closest, cand_dist + (int64_t)best * n, (size_t)n * sizeof(double));
        memcpy(centers + (int64_t)c * p, d->X + cand_id[best] * d->ld, (size_t)p * sizeof(double));
    }
fail:
    free(closest);
    free(cumsum);
    free(cand_dist);
    free(cand);
    free(cand_id);
    free(pot);
    return st;
}

cml_status km_init_random(const km_data *d, int k, cml_rng *rng, double *centers)
{
    int64_t *idx = cml_alloc_array(d->n, sizeof(int64_t));
    if (!idx) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < d->n; i++)
        idx[i] = i;
    /* Partial Fisher-Yates: the first k slots are a uniform k-subset. */
    for (int c = 0; c < k; c++) {
        int64_t j = c + (int64_t)cml_rng_below(rng, (uint64_t)(d->n - c));
        int64_t t = idx[c];
        idx[c] = idx[j];
        idx[j] = t;
        memcpy(centers + (int64_t)c * d->p, d->X + idx[c] * d->ld, (size_t)d->p * sizeof(double));
    }
    free(idx);
    return CML_OK;
}

/* ---------------------------------------------------------------- workspace */

typedef struct km_ws {
    int k, T, G;
    int64_t n_chunks;
    double *dist;  /* (T, KM_CHUNK, k) per-thread distance blocks (Lloyd) */
    double *gsum;  /* (G, k, p) per-group weighted sums of members */
    double *gw;    /* (G, k) per-group member weights */
    double *csq;   /* (k) squared centre norms */
    double *shift; /* (k) centre shifts */
    double *cbuf;  /* (k, p) second centre buffer */
    double *far;   /* (n) squared distances for empty-cluster relocation */
    /* Running M-step state: the weighted sums, weights and (nonzero-weight)
     * member counts of the clusters under the current labels. Each iteration
     * adds only the rows whose label changed (as per-group deltas, reduced in
     * group order), so rows that stay put are not read again: Elkan then
     * touches only the rows its bounds cannot settle. */
    double *S, *W;
    int64_t *cnt, *gcnt; /* (k), (G, k) */
    int first;           /* next update counts every row as new */
} km_ws;

static void ws_free(km_ws *ws)
{
    free(ws->dist);
    free(ws->gsum);
    free(ws->gw);
    free(ws->csq);
    free(ws->shift);
    free(ws->cbuf);
    free(ws->far);
    free(ws->S);
    free(ws->W);
    free(ws->cnt);
    free(ws->gcnt);
}

static cml_status ws_init(km_ws *ws, const km_data *d, int k, int with_sums)
{
    memset(ws, 0, sizeof *ws);
    ws->k = k;
    ws->T = cml_get_num_threads();
    ws->n_chunks = n_chunks_of(d->n);
    ws->G = with_sums ? n_groups_of(ws->n_chunks, k, d->p) : 1;
    ws->dist = cml_alloc_array((int64_t)ws->T * KM_CHUNK * k, sizeof(double));
    ws->csq = cml_alloc_array(k, sizeof(double));
    ws->shift = cml_alloc_array(k, sizeof(double));
    if (!ws->dist || !ws->csq || !ws->shift) goto fail;
    if (with_sums) {
        ws->gsum = cml_alloc_array((int64_t)ws->G * k * d->p, sizeof(double));
        ws->gw = cml_alloc_array((int64_t)ws->G * k, sizeof(double));
        ws->cbuf = cml_alloc_array((int64_t)k * d->p, sizeof(double));
        ws->far = cml_alloc_array(d->n, sizeof(double));
        ws->S = cml_calloc((size_t)k * (size_t)d->p, sizeof(double));
        ws->W = cml_calloc((size_t)k, sizeof(double));
        ws->cnt = cml_calloc((size_t)k, sizeof(int64_t));
        ws->gcnt = cml_alloc_array((int64_t)ws->G * k, sizeof(int64_t));
        ws->first = 1;
        if (!ws->gsum || !ws->gw || !ws->cbuf || !ws->far || !ws->S || !ws->W || !ws->cnt ||
            !ws->gcnt)
            goto fail;
    }
    return CML_OK;
fail:
    ws_free(ws);
    return CML_ERR_NOMEM;
}

/* Moves row x (weight w) from cluster `from` (-1: none) to `to` in the
 * group's deltas. */
static inline void move_row(double *gsum, double *gw, int64_t *gcnt, int64_t from, int64_t to,
                            const double *x, double w, int64_t p)
{
    double *t = gsum + to * p;
    for (int64_t j = 0; j < p; j++)
        t[j] += x[j] * w;
    gw[to] += w;
    gcnt[to] += w != 0.0;
    if (from < 0) return;
    double *f = gsum + from * p;
    for (int64_t j = 0; j < p; j++)
        f[j] -= x[j] * w;
    gw[from] -= w;
    gcnt[from] -= w != 0.0;
}

static void clear_deltas(km_ws *ws, int64_t p)
{
    memset(ws->gsum, 0, (size_t)ws->G * (size_t)ws->k * (size_t)p * sizeof(double));
    memset(ws->gw, 0, (size_t)ws->G * (size_t)ws->k * sizeof(double));
    memset(ws->gcnt, 0, (size_t)ws->G * (size_t)ws->k * sizeof(int64_t));
}

/* Adds the groups' deltas (in group order: thread-count independent) to the
 * running sums, then copies them to sums / wsum for the M-step. A cluster
 * left without members is reset to exact zeros, so rounding residue of the
 * removals can never pass for a weight (sklearn tests wsum == 0). */
static void commit_deltas(km_ws *ws, int64_t p, double *sums, double *wsum)
{
    int k = ws->k;
    int64_t kp = (int64_t)k * p;
    for (int g = 0; g < ws->G; g++) {
        const double *s = ws->gsum + g * kp;
        for (int64_t j = 0; j < kp; j++)
            ws->S[j] += s[j];
        for (int c = 0; c < k; c++) {
            ws->W[c] += ws->gw[(int64_t)g * k + c];
            ws->cnt[c] += ws->gcnt[(int64_t)g * k + c];
        }
    }
    for (int c = 0; c < k; c++)
        if (ws->cnt[c] == 0) {
            ws->W[c] = 0.0;
            memset(ws->S + (int64_t)c * p, 0, (size_t)p * sizeof(double));
        }
    memcpy(sums, ws->S, (size_t)kp * sizeof(double));
    memcpy(wsum, ws->W, (size_t)k * sizeof(double));
    ws->first = 0;
}

/* ---------------------------------------------------------------- M-step */

/* sklearn's _relocate_empty_clusters_dense: each empty cluster takes the
 * sample farthest from its centre (largest first), moving its weight. */
static void relocate_empty(const km_data *d, km_ws *ws, const double *c_old, double *sums,
                           double *wsum, const int64_t *labels)
{
    int k = ws->k;
    int64_t p = d->p, n = d->n;
    int n_empty = 0;
    for (int c = 0; c < k; c++)
        n_empty += wsum[c] == 0.0;
    if (n_empty == 0) return;
    double dmax = 0.0;
    for (int64_t i = 0; i < n; i++) {
        ws->far[i] = cml_sq_dist(d->X + i * d->ld, c_old + labels[i] * p, p);
        if (ws->far[i] > dmax) dmax = ws->far[i];
    }
    if (dmax == 0.0) return; /* more clusters than distinct points */
    for (int c = 0; c < k; c++) {
        if (wsum[c] != 0.0) continue;
        int64_t far = 0;
        for (int64_t i = 1; i < n; i++)
            if (ws->far[i] > ws->far[far]) far = i;
        ws->far[far] = -1.0; /* taken */
        const double *x = d->X + far * d->ld;
        double w = d->w[far];
        int64_t old = labels[far];
        for (int64_t j = 0; j < p; j++) {
            sums[old * p + j] -= x[j] * w;
            sums[(int64_t)c * p + j] = x[j] * w;
        }
        wsum[c] = w;
        wsum[old] -= w;
    }
}

/* Divides sums by weights (sklearn's _average_centers): an empty cluster is
 * put on the heaviest one rather than at the origin. */
static void average_centers(double *centers, const double *wsum, int k, int64_t p)
{
    int heaviest = 0;
    for (int c = 1; c < k; c++)
        if (wsum[c] > wsum[heaviest]) heaviest = c;
    for (int c = 0; c < k; c++) {
        double *row = centers + (int64_t)c * p;
        if (wsum[c] > 0.0) {
            double a = 1.0 / wsum[c];
            for (int64_t j = 0; j < p; j++)
                row[j] *= a;
        } else {
            memcpy(row, centers + (int64_t)heaviest * p, (size_t)p * sizeof(double));
        }
    }
}

static double center_shifts(const double *c_old, const double *c_new, int k, int64_t p,
                            double *shift)
{
    double tot = 0.0;
    for (int c = 0; c < k; c++) {
        shift[c] = sqrt(cml_sq_dist(c_old + (int64_t)c * p, c_new + (int64_t)c * p, p));
        tot += shift[c] * shift[c];
    }
    return tot;
}

/* ---------------------------------------------------------------- Lloyd */

/* E-step on rows [s, e): dist = ||c||^2 - 2 X C^T (the ||x||^2 term does not
 * change the argmin), argmin per row, first minimum on ties as sklearn. */
static void lloyd_chunk(const double *X, int64_t ld, int64_t p, int64_t s, int64_t e, int k,
                        const double *C, const double *csq, double *dist, int64_t *labels,
                        km_ws *ws, int g, const double *w)
{
    int64_t kp = (int64_t)k * p;
    int64_t m = e - s;
    for (int64_t i = 0; i < m; i++)
        memcpy(dist + i * k, csq, (size_t)k * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, k, (int)p, -2.0, X + s * ld,
                (int)ld, C, (int)p, 1.0, dist, k);
    for (int64_t i = 0; i < m; i++) {
        const double *r = dist + i * k;
        double best = r[0];
        int64_t label = 0;
        for (int j = 1; j < k; j++)
            if (r[j] < best) {
                best = r[j];
                label = j;
            }
        int64_t old = ws && !ws->first ? labels[s + i] : -1;
        labels[s + i] = label;
        if (ws && old != label)
            move_row(ws->gsum + g * kp, ws->gw + (int64_t)g * k, ws->gcnt + (int64_t)g * k, old,
                     label, X + (s + i) * ld, w[s + i], p);
    }
}

static void center_norms(const double *C, int k, int64_t p, double *csq)
{
    for (int c = 0; c < k; c++) {
        double s = 0.0;
        for (int64_t j = 0; j < p; j++)
            s += C[c * p + j] * C[c * p + j];
        csq[c] = s;
    }
}

/* One Lloyd iteration (sklearn's lloyd_iter_chunked_dense). With c_new NULL,
 * E-step only. */
static void lloyd_iter(const km_data *d, km_ws *ws, const double *c_old, double *c_new,
                       double *wsum, int64_t *labels)
{
    int k = ws->k;
    int64_t p = d->p;
    int update = c_new != NULL;
    int G = update ? ws->G : (int)CML_MIN(ws->n_chunks, 1024);
    center_norms(c_old, k, p, ws->csq);
    if (update) clear_deltas(ws, p);
#pragma omp parallel for num_threads(ws->T) schedule(dynamic, 1) if (d->n * p * k > KM_PAR_MIN)
    for (int g = 0; g < G; g++) {
        double *dist = ws->dist + (int64_t)thread_id() * KM_CHUNK * k;
        int64_t c0 = g * ws->n_chunks / G, c1 = (g + 1) * ws->n_chunks / G;
        for (int64_t ch = c0; ch < c1; ch++) {
            int64_t s = ch * KM_CHUNK, e = CML_MIN(s + KM_CHUNK, d->n);
            lloyd_chunk(d->X, d->ld, p, s, e, k, c_old, ws->csq, dist, labels, update ? ws : NULL,
                        g, d->w);
        }
    }
    if (!update) return;
    commit_deltas(ws, p, c_new, wsum);
    relocate_empty(d, ws, c_old, c_new, wsum, labels);
    average_centers(c_new, wsum, k, p);
}

/* ---------------------------------------------------------------- Lloyd with bounds */

/* Lloyd's iteration that does not read the rows whose label provably stays
 * (Hamerly, "Making k-means even faster", SDM 2010: one upper bound on the
 * distance to the own centre, one lower bound on the distance to every other
 * centre, moved by the centre shifts). It must give the labels of the plain
 * iteration above, which ranks centres by the dgemm expression
 * ||c||^2 - 2 x.c, whose rounding can swap two nearly tied centres. So a row
 * is skipped only when lower^2 - upper^2 exceeds eps_i, a bound on that
 * expression's error for this row:
 *   eps_i = 8 (p + 2) DBL_EPSILON (||x_i|| + max_j ||c_j||)^2,
 * twice gamma_(p+2) (Higham, Accuracy and Stability, 3.1) times the
 * Cauchy-Schwarz bound of |c|^2 + 2 |x.c| + |x|^2, times 2 again for the
 * bounds' own rounding (they are set from the same expression, and moved by
 * shifts inflated by 1e-12). Then every skipped row's exact nearest centre
 * beats the others by more than the expression's error, so the plain
 * iteration would have kept it too; every other row goes through the same
 * dgemm as the plain iteration (gathered into a buffer: BLIS computes each
 * entry the same way whatever the rows around it). Labels, centres and
 * iteration counts are the plain iteration's; what changes is that late
 * iterations read only the few rows near a boundary. */
typedef struct lloyd_bounds {
    double *upper;  /* (n) >= distance to the own centre */
    double *lower;  /* (n) <= distance to every other centre */
    double *gbuf;   /* (T, KM_CHUNK, p) gathered rows */
    int64_t *gidx;  /* (T, KM_CHUNK) their row indices */
    double eps_fac; /* 8 (p + 2) DBL_EPSILON */
    int ready;      /* bounds set by a previous iteration */
} lloyd_bounds;

static void bounds_free(lloyd_bounds *b)
{
    free(b->upper);
    free(b->lower);
    free(b->gbuf);
    free(b->gidx);
}

static cml_status bounds_init(lloyd_bounds *b, const km_data *d, int T)
{
    memset(b, 0, sizeof *b);
    b->upper = cml_alloc_array(d->n, sizeof(double));
    b->lower = cml_alloc_array(d->n, sizeof(double));
    b->gbuf = cml_alloc_array((int64_t)T * KM_CHUNK * d->p, sizeof(double));
    b->gidx = cml_alloc_array((int64_t)T * KM_CHUNK, sizeof(int64_t));
    b->eps_fac = 8.0 * (double)(d->p + 2) * DBL_EPSILON;
    if (!b->upper || !b->lower || !b->gbuf || !b->gidx) {
        bounds_free(b);
        return CML_ERR_NOMEM;
    }
    return CML_OK;
}

/* The largest centre shift, the index of that centre, and the second
 * largest: a row's other centres moved by at most the largest shift among
 * them. Inflated against the rounding of the shifts themselves. */
typedef struct shift_max {
    double first, second;
    int arg;
} shift_max;

static shift_max shifts_max(const double *shift, int k)
{
    shift_max m = {0.0, 0.0, -1};
    for (int c = 0; c < k; c++) {
        if (shift[c] > m.first) {
            m.second = m.first;
            m.first = shift[c];
            m.arg = c;
        } else if (shift[c] > m.second) {
            m.second = shift[c];
        }
    }
    m.first *= 1.0 + 1e-12;
    m.second *= 1.0 + 1e-12;
    return m;
}

/* Rows [s, e) of one group (see lloyd_iter for the other arguments). */
static void lloyd_chunk_bounded(const km_data *d, int64_t s, int64_t e, int k, const double *C,
                                const double *csq, double cmax, const double *shift, shift_max sm,
                                lloyd_bounds *b, int tid, double *dist, int64_t *labels, km_ws *ws,
                                int g)
{
    int64_t p = d->p, kp = (int64_t)k * p, m = 0;
    double *gbuf = b->gbuf + (int64_t)tid * KM_CHUNK * p;
    int64_t *gidx = b->gidx + (int64_t)tid * KM_CHUNK;
    for (int64_t i = s; i < e; i++) {
        if (b->ready) {
            int64_t a = labels[i];
            double up = (b->upper[i] + shift[a] * (1.0 + 1e-12)) * (1.0 + DBL_EPSILON);
            double lo = (b->lower[i] - (a == sm.arg ? sm.second : sm.first)) * (1.0 - DBL_EPSILON);
            b->upper[i] = up;
            b->lower[i] = lo;
            double xn = sqrt(d->xsq[i]) + cmax;
            if (lo > up && (lo - up) * (lo + up) > b->eps_fac * xn * xn) continue;
        }
        gidx[m++] = i;
    }
    if (m == 0) return;
    /* Every row needed (early iterations): the chunk in place; else gather. */
    const double *A = d->X + s * d->ld;
    int64_t lda = d->ld;
    if (m < e - s) {
        for (int64_t t = 0; t < m; t++)
            memcpy(gbuf + t * p, d->X + gidx[t] * d->ld, (size_t)p * sizeof(double));
        A = gbuf;
        lda = p;
    }
    for (int64_t t = 0; t < m; t++)
        memcpy(dist + t * k, csq, (size_t)k * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, k, (int)p, -2.0, A, (int)lda, C,
                (int)p, 1.0, dist, k);
    for (int64_t t = 0; t < m; t++) {
        const double *r = dist + t * k;
        int64_t i = gidx[t], label = 0;
        double best = r[0], second = INFINITY;
        for (int j = 1; j < k; j++) {
            if (r[j] < best) {
                second = best;
                best = r[j];
                label = j;
            } else if (r[j] < second) {
                second = r[j];
            }
        }
        /* Squared distances are the expression plus ||x||^2, within eps. */
        double xn = sqrt(d->xsq[i]) + cmax, eps = b->eps_fac * xn * xn;
        b->upper[i] = sqrt(CML_MAX(best + d->xsq[i] + eps, 0.0));
        b->lower[i] = k > 1 ? sqrt(CML_MAX(second + d->xsq[i] - eps, 0.0)) : INFINITY;
        int64_t old = !ws->first ? labels[i] : -1;
        labels[i] = label;
        if (old != label)
            move_row(ws->gsum + g * kp, ws->gw + (int64_t)g * k, ws->gcnt + (int64_t)g * k, old,
                     label, A + t * lda, d->w[i], p);
    }
}

/* One Lloyd iteration with bounds (an update: c_new != NULL). ws->shift
 * holds the shifts that brought the previous centres to c_old. */
static void lloyd_iter_bounded(const km_data *d, km_ws *ws, lloyd_bounds *b, const double *c_old,
                               double *c_new, double *wsum, int64_t *labels)
{
    int k = ws->k;
    int64_t p = d->p;
    center_norms(c_old, k, p, ws->csq);
    double cmax = 0.0;
    for (int c = 0; c < k; c++)
        cmax = CML_MAX(cmax, sqrt(ws->csq[c]));
    cmax *= 1.0 + 1e-12;
    shift_max sm = shifts_max(ws->shift, k);
    clear_deltas(ws, p);
#pragma omp parallel for num_threads(ws->T) schedule(dynamic, 1) if (d->n * p * k > KM_PAR_MIN)
    for (int g = 0; g < ws->G; g++) {
        int tid = thread_id();
        double *dist = ws->dist + (int64_t)tid * KM_CHUNK * k;
        int64_t c0 = g * ws->n_chunks / ws->G, c1 = (g + 1) * ws->n_chunks / ws->G;
        for (int64_t ch = c0; ch < c1; ch++) {
            int64_t s = ch * KM_CHUNK, e = CML_MIN(s + KM_CHUNK, d->n);
            lloyd_chunk_bounded(d, s, e, k, c_old, ws->csq, cmax, ws->shift, sm, b, tid, dist,
                                labels, ws, g);
        }
    }
    b->ready = 1;
    commit_deltas(ws, p, c_new, wsum);
    relocate_empty(d, ws, c_old, c_new, wsum, labels);
    average_centers(c_new, wsum, k, p);
}

/* ---------------------------------------------------------------- Elkan */

typedef struct elkan_state {
    double *half;  /* (k, k) half distances between centres */
    double *next;  /* (k) half distance to the closest other centre */
    double *upper; /* (n) upper bound of the distance to the own centre */
    double *lower; /* (n, k) lower bounds of the distances to every centre */
} elkan_state;

static void elkan_center_distances(const double *C, int k, int64_t p, elkan_state *es)
{
    for (int a = 0; a < k; a++) {
        es->half[(int64_t)a * k + a] = 0.0;
        for (int b = a + 1; b < k; b++) {
            double h = sqrt(cml_sq_dist(C + (int64_t)a * p, C + (int64_t)b * p, p)) / 2.0;
            es->half[(int64_t)a * k + b] = es->half[(int64_t)b * k + a] = h;
        }
    }
    for (int a = 0; a < k; a++) {
        double m = INFINITY;
        for (int b = 0; b < k; b++)
            if (b != a && es->half[(int64_t)b * k + a] < m) m = es->half[(int64_t)b * k + a];
        es->next[a] = m;
    }
}

/* sklearn's init_bounds_dense. */
static void elkan_init_bounds(const km_data *d, const double *C, int k, elkan_state *es,
                              int64_t *labels)
{
    int64_t p = d->p;
#pragma omp parallel for num_threads(cml_get_num_threads())                                        \
    schedule(static) if (d->n * p * k > KM_PAR_MIN)
    for (int64_t i = 0; i < d->n; i++) {
        const double *x = d->X + i * d->ld;
        double *lb = es->lower + i * k;
        int best = 0;
        double min_dist = sqrt(cml_sq_dist(x, C, p));
        lb[0] = min_dist;
        for (int j = 1; j < k; j++) {
            if (min_dist > es->half[(int64_t)best * k + j]) {
                double dist = sqrt(cml_sq_dist(x, C + (int64_t)j * p, p));
                lb[j] = dist;
                if (dist < min_dist) {
                    min_dist = dist;
                    best = j;
                }
            }
        }
        labels[i] = best;
        es->upper[i] = min_dist;
    }
}

/* Elkan E-step for row i (sklearn's _update_chunk_dense of _k_means_elkan). */
static void elkan_row(const km_data *d, const double *C, int k, elkan_state *es, int64_t *labels,
                      int64_t i)
{
    int64_t p = d->p;
    const double *x = d->X + i * d->ld;
    double *lb = es->lower + i * k;
    double ub = es->upper[i];
    int64_t label = labels[i];
    int tight = 0;
    if (!(es->next[label] >= ub)) {
        for (int j = 0; j < k; j++) {
            const double hj = es->half[label * k + j];
            if (j != label && ub > lb[j] && ub > hj) {
                if (!tight) {
                    ub = sqrt(cml_sq_dist(x, C + label * p, p));
                    lb[label] = ub;
                    tight = 1;
                }
                if (ub > lb[j] || ub > es->half[label * k + j]) {
                    double dist = sqrt(cml_sq_dist(x, C + (int64_t)j * p, p));
                    lb[j] = dist;
                    if (dist < ub) {
                        label = j;
                        ub = dist;
                    }
                }
            }
        }
        labels[i] = label;
        es->upper[i] = ub;
    }
}

static void elkan_iter(const km_data *d, km_ws *ws, elkan_state *es, const double *c_old,
                       double *c_new, double *wsum, int64_t *labels)
{
    int k = ws->k;
    int64_t p = d->p, kp = (int64_t)k * p;
    int update = c_new != NULL;
    int G = update ? ws->G : (int)CML_MIN(ws->n_chunks, 1024);
    if (update) clear_deltas(ws, p);
#pragma omp parallel for num_threads(ws->T) schedule(dynamic, 1) if (d->n * p * k > KM_PAR_MIN)
    for (int g = 0; g < G; g++) {
        int64_t c0 = g * ws->n_chunks / G, c1 = (g + 1) * ws->n_chunks / G;
        int64_t s = c0 * KM_CHUNK, e = CML_MIN(c1 * KM_CHUNK, d->n);
        for (int64_t i = s; i < e; i++) {
            int64_t old = update && !ws->first ? labels[i] : -1;
            elkan_row(d, c_old, k, es, labels, i);
            if (update && labels[i] != old)
                move_row(ws->gsum + g * kp, ws->gw + (int64_t)g * k, ws->gcnt + (int64_t)g * k, old,
                         labels[i], d->X + i * d->ld, d->w[i], p);
        }
    }
    if (!update) return;
    commit_deltas(ws, p, c_new, wsum);
    relocate_empty(d, ws, c_old, c_new, wsum, labels);
    average_centers(c_new, wsum, k, p);
    center_shifts(c_old, c_new, k, p, ws->shift);
#pragma omp parallel for num_threads(ws->T) schedule(static) if (d->n * k > KM_PAR_MIN)
    for (int64_t i = 0; i < d->n; i++) {
        es->upper[i] += ws->shift[labels[i]];
        double *lb = es->lower + i * k;
        for (int j = 0; j < k; j++) {
            lb[j] -= ws->shift[j];
            if (lb[j] < 0.0) lb[j] = 0.0;
        }
    }
}

/* ---------------------------------------------------------------- driver */

cml_status km_run(const km_data *d, int k, int algo, int max_iter, double tol, double *centers,
                  int64_t *labels, double *inertia, int *n_iter)
{
    int64_t n = d->n, p = d->p;
    int elkan = algo == KM_ELKAN, bounded = algo == KM_LLOYD && d->xsq != NULL;
    km_ws ws;
    elkan_state es = {0};
    lloyd_bounds lb = {0};
    cml_status st = ws_init(&ws, d, k, 1);
    if (st != CML_OK) return st;
    double *wsum = cml_alloc_array(k, sizeof(double));
    int64_t *labels_old = cml_alloc_array(n, sizeof(int64_t));
    if (!wsum || !labels_old) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (bounded && (st = bounds_init(&lb, d, ws.T)) != CML_OK) goto fail;
    if (elkan) {
        es.half = cml_alloc_array((int64_t)k * k, sizeof(double));
        es.next = cml_alloc_array(k, sizeof(double));
        es.upper = cml_alloc_array(n, sizeof(double));
        es.lower = cml_alloc_array(n * k, sizeof(double));
        if (!es.half || !es.next || !es.upper || !es.lower) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        memset(es.lower, 0, (size_t)(n * k) * sizeof(double));
    }
    for (int64_t i = 0; i < n; i++)
        labels_old[i] = -1;

    double *c_cur = centers, *c_nxt = ws.cbuf;
    if (elkan) {
        elkan_center_distances(c_cur, k, p, &es);
        elkan_init_bounds(d, c_cur, k, &es, labels);
    }
    int strict = 0, it;
    for (it = 0; it < max_iter; it++) {
        if (elkan) {
            elkan_iter(d, &ws, &es, c_cur, c_nxt, wsum, labels);
            elkan_center_distances(c_nxt, k, p, &es);
        } else if (bounded) {
            lloyd_iter_bounded(d, &ws, &lb, c_cur, c_nxt, wsum, labels);
        } else {
            lloyd_iter(d, &ws, c_cur, c_nxt, wsum, labels);
        }
        double shift_tot = center_shifts(c_cur, c_nxt, k, p, ws.shift);
        double *t = c_cur;
        c_cur = c_nxt;
        c_nxt = t;
        if (memcmp(labels, labels_old, (size_t)n * sizeof(int64_t)) == 0) {
            strict = 1;
            break;
        }
        if (shift_tot <= tol) break;
        memcpy(labels_old, labels, (size_t)n * sizeof(int64_t));
    }
    if (it == max_iter) it--; /* sklearn reports i + 1 with i the last loop index */
    if (!strict) {
        /* Re-run the E-step so the labels match the final centres. */
        if (elkan)
            elkan_iter(d, &ws, &es, c_cur, NULL, NULL, labels);
        else
            lloyd_iter(d, &ws, c_cur, NULL, NULL, labels);
    }
    if (c_cur != centers) memcpy(centers, c_cur, (size_t)(k * p) * sizeof(double));
    *inertia = km_inertia(d, centers, labels);
    *n_iter = it + 1;
fail:
    ws_free(&ws);
    bounds_free(&lb);
    free(wsum);
    free(labels_old);
    free(es.half);
    free(es.next);
    free(es.upper);
    free(es.lower);
    return st;
}

cml_status km_assign(const double *X, int64_t n, int64_t p, int64_t ld, const double *centers,
                     int k, int64_t *labels)
{
    km_data d = {X, NULL, NULL, n, p, ld};
    km_ws ws;
    CML_CHECK(ws_init(&ws, &d, k, 0));
    lloyd_iter(&d, &ws, centers, NULL, NULL, labels);
    ws_free(&ws);
    return CML_OK;
}

cml_status km_distances(const double *X, int64_t n, int64_t p, int64_t ld, const double *centers,
                        int k, double *out)
{
    double *csq = cml_alloc_array(k, sizeof(double));
    if (!csq) return CML_ERR_NOMEM;
    center_norms(centers, k, p, csq);
    int64_t n_chunks = n_chunks_of(n);
#pragma omp parallel for num_threads(cml_get_num_threads())                                        \
    schedule(static) if (n * p * k > KM_PAR_MIN)
    for (int64_t ch = 0; ch < n_chunks; ch++) {
        int64_t s = ch * KM_CHUNK, e = CML_MIN(s + KM_CHUNK, n);
        double *o = out + s * k;
        for (int64_t i = s; i < e; i++) {
            const double *x = X + i * ld;
            double xx = 0.0;
            for (int64_t j = 0; j < p; j++)
                xx += x[j] * x[j];
            for (int c = 0; c < k; c++)
                o[(i - s) * k + c] = xx + csq[c];
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(e - s), k, (int)p, -2.0,
                    X + s * ld, (int)ld, centers, (int)p, 1.0, o, k);
        for (int64_t t = 0; t < (e - s) * k; t++)
            o[t] = o[t] > 0.0 ? sqrt(o[t]) : 0.0;
    }
    free(csq);
    return CML_OK;
}

double km_inertia(const km_data *d, const double *centers, const int64_t *labels)
{
    int64_t n_chunks = n_chunks_of(d->n);
    double *part = cml_alloc_array(n_chunks, sizeof(double));
    if (!part) { /* fall back to a sequential sum rather than failing */
        double s = 0.0;
        for (int64_t i = 0; i < d->n; i++)
            s += cml_sq_dist(d->X + i * d->ld, centers + labels[i] * d->p, d->p) * d->w[i];
        return s;
    }
#pragma omp parallel for num_threads(cml_get_num_threads())                                        \
    schedule(static) if (d->n * d->p > KM_PAR_MIN)
    for (int64_t ch = 0; ch < n_chunks; ch++) {
        int64_t s = ch * KM_CHUNK, e = CML_MIN(s + KM_CHUNK, d->n);
        double acc = 0.0;
        for (int64_t i = s; i < e; i++)
            acc += cml_sq_dist(d->X + i * d->ld, centers + labels[i] * d->p, d->p) * d->w[i];
        part[ch] = acc;
    }
    double s = ordered_sum(part, n_chunks);
    free(part);
    return s;
}

int km_same_clustering(const int64_t *a, const int64_t *b, int64_t n, int k)
{
    int64_t *map = cml_alloc_array(k, sizeof(int64_t));
    if (!map) return 0;
    for (int c = 0; c < k; c++)
        map[c] = -1;
    int same = 1;
    for (int64_t i = 0; i < n && same; i++) {
        if (map[a[i]] == -1)
            map[a[i]] = b[i];
        else if (map[a[i]] != b[i])
            same = 0;
    }
    free(map);
    return same;
}

/* ---------------------------------------------------------------- model I/O */

cml_status km_check_X(const km_fitted *f, const cml_matrix *X)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    if (X->cols != f->p)
        return cml_fail(CML_ERR_ARG, "X has %lld features, but the model was fitted with %lld",
                        (long long)X->cols, (long long)f->p);
    return CML_OK;
}

/* Validates the inputs shared by KMeans and MiniBatchKMeans fits. */
cml_status km_check_fit_inputs(const cml_matrix *X, const double *sw, int k)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    if (X->rows < k)
        return cml_fail(CML_ERR_ARG,
                        "n_samples=%lld should be >= n_clusters=%d. HINT: lower n_clusters",
                        (long long)X->rows, k);
    if (sw)
        for (int64_t i = 0; i < X->rows; i++)
            if (!isfinite(sw[i]) || sw[i] < 0)
                return cml_fail(CML_ERR_ARG,
                                "sample_weight[%lld] = %g; weights must be finite and >= 0",
                                (long long)i, sw[i]);
    return CML_OK;
}

/* Labels as doubles through the E-step (shared by both k-means flavours via
 * km_fitted). */
cml_status km_predict_doubles(const km_fitted *f, const cml_matrix *X, double *out)
{
    int64_t *labels = cml_alloc_array(X->rows, sizeof(int64_t));
    if (!labels) return CML_ERR_NOMEM;
    cml_status st = km_assign(X->data, X->rows, X->cols, X->ld, f->centers, (int)f->k, labels);
    for (int64_t i = 0; st == CML_OK && i < X->rows; i++)
        out[i] = (double)labels[i];
    free(labels);
    return st;
}

cml_status km_fitted_save(const km_fitted *f, cml_gguf_writer *w)
{
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_clusters", f->k));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", f->p));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_samples", f->n));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.inertia", f->inertia));
    CML_CHECK(cml_gguf_add_f64(w, "cluster_centers", f->centers, f->k, f->p));
    return cml_gguf_add_i64(w, "labels", f->labels, f->n);
}

void km_fitted_clear(km_fitted *f)
{
    free(f->centers);
    free(f->labels);
    memset(f, 0, sizeof *f);
}

cml_status km_fitted_load(const cml_gguf *g, km_fitted *f)
{
    cml_status st;
    int64_t it = 0;
    memset(f, 0, sizeof *f);
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_clusters", &f->k));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &f->p));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_samples", &f->n));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.inertia", &f->inertia));
    if (cml_gguf_has(g, "cml.fit.n_iter")) CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_iter", &it));
    if (it < 0 || it > INT32_MAX || f->k < 1 || f->k > INT32_MAX || f->p < 1 || f->p > INT32_MAX ||
        f->n < 1) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad k-means shape (k=%lld, p=%lld, n=%lld)",
                      cml_gguf_name(g), (long long)f->k, (long long)f->p, (long long)f->n);
        goto fail;
    }
    f->n_iter = (int)it;
    /* the tensors must hold these shapes before anything is sized from them
     * (cml_gguf_expect is overflow-safe) */
    CML_TRY(cml_gguf_expect(g, "cluster_centers", CML_GGUF_T_F64, f->k, f->p));
    CML_TRY(cml_gguf_expect(g, "labels", CML_GGUF_T_I64, 1, f->n));
    f->centers = cml_alloc_array(f->k * f->p, sizeof(double));
    f->labels = cml_alloc_array(f->n, sizeof(int64_t));
    if (!f->centers || !f->labels) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "cluster_centers", f->k, f->p, f->centers));
    CML_TRY(cml_gguf_read_i64(g, "labels", f->n, f->labels));
    for (int64_t i = 0; i < f->n; i++)
        if (f->labels[i] < 0 || f->labels[i] >= f->k) {
            st = cml_fail(CML_ERR_FORMAT, "%s: label %lld of row %lld is out of [0, %lld)",
                          cml_gguf_name(g), (long long)f->labels[i], (long long)i, (long long)f->k);
            goto fail;
        }
    return CML_OK;
fail:
    km_fitted_clear(f);
    return st;
}

char *km_fitted_describe(const km_fitted *f, const char *extra_json)
{
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb, "{\"n_clusters\":%lld,\"n_features_in\":%lld,\"inertia\":", (long long)f->k,
                  (long long)f->p);
    cml_sb_json_num(&sb, f->inertia);
    cml_sb_printf(&sb, ",\"n_iter\":%d%s%s,\"cluster_centers\":[", f->n_iter, extra_json ? "," : "",
                  extra_json ? extra_json : "");
    for (int64_t c = 0; c < f->k; c++) {
        if (c) cml_sb_puts(&sb, ",");
        cml_sb_json_arr(&sb, f->centers + c * f->p, f->p);
    }
    cml_sb_puts(&sb, "]}");
    return cml_sb_finish(&sb);
}
