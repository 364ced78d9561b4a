/*
 * index.c — exact nearest-neighbour index: parameters, sklearn 1.2's
 * algorithm choice, brute-force search, and the public query API (the
 * trees are in tree.c).
 *
 * Problem: for each query q, the k training rows x_i of smallest dist(q,
 * x_i), ordered by (distance, index) — or all rows with dist <= radius.
 *
 * Brute force, euclidean and cosine (the BLAS path): a screening pass
 * computes S_i = |y_i|^2 - 2 q.y_i (euclidean; cosine: -q.y_i on unit rows)
 * for a block of queries against a block of training rows with one GEMM,
 * and keeps every i whose S_i lies within 2 tau of the current k-th
 * smallest (radius: within tau of the radius). tau is a rigorous bound on
 * |S_i - (exact value)|: with unit roundoff u of the GEMM precision,
 *     tau = 2.5 (d + 4) u (|q| + max_i |y_i|)^2 + d 2^-60,
 * which covers input rounding, the GEMM's summation error (Higham, Accuracy
 * and Stability of Numerical Algorithms, 2nd ed., eq. 3.5) and underflow.
 * The survivors are re-ranked with exact distances summed in feature order
 * (core/distance.h). Since S_k >= D_k - tau, every true neighbour (and
 * every row tied with the k-th) survives, so the result is exact.
 * When d > 15 the screening runs in float32 (sgemm: twice the flops of
 * dgemm) on rows centred at the column means of a fixed sample of rows and
 * scaled by a power of two; the wider tau only admits a few extra
 * candidates. A query block whose scaled values could overflow float falls
 * back to float64 screening. The k-NN threshold starts at the k-th smallest
 * S of the first tile (a subset's k-th is never below the true one), and
 * tiles are tested 64 values at a time branch-free, so the admitting loop
 * runs for few rows. The build is one parallel pass over the input (copy,
 * finiteness check, norms, float copy).
 * Manhattan and minkowski brute force compute exact distances directly.
 *
 * Parallel over query blocks (OpenMP); each block's work and result are
 * independent of the thread count. Cost: O(nq n d) flops at GEMM speed plus
 * O(nq n) comparisons; memory O(n d) for the float copy.
 *
 * Thread-safety: a built index is read-only; scratch is per call/thread.
 */
#include <cblas.h>
#include <float.h>
#include <string.h>

#include "data/data_internal.h" /* cml_big_alloc */
#include "neighbors/nn_internal.h"

/* ---------------------------------------------------------------- params */

cml_nn_params cml_nn_params_default(void)
{
    cml_nn_params p = {CML_NN_AUTO, 30, CML_NN_MINKOWSKI, 2.0, 5};
    return p;
}

const char *cml_nn_params_check(const cml_nn_params *p)
{
    if ((int)p->algorithm < CML_NN_AUTO || p->algorithm > CML_NN_BRUTE)
        return "algorithm must be one of auto, ball_tree, kd_tree, brute";
    if (p->leaf_size < 1) return "leaf_size must be >= 1";
    if ((int)p->metric < CML_NN_MINKOWSKI || p->metric > CML_NN_COSINE)
        return "metric must be one of minkowski, euclidean, manhattan, cosine";
    if (!(p->p >= 1.0) || isinf(p->p)) return "p must be a finite number >= 1";
    if (p->metric == CML_NN_COSINE &&
        (p->algorithm == CML_NN_KD_TREE || p->algorithm == CML_NN_BALL_TREE))
        return "metric cosine is only valid with algorithm brute (or auto), as in sklearn";
    return NULL;
}

/* sklearn: minkowski with p = 1 / 2 is run as manhattan / euclidean. */
static cml_dist effective_metric(const cml_nn_params *p)
{
    cml_dist m = {CML_DIST_EUCLIDEAN, 2.0};
    switch (p->metric) {
    case CML_NN_EUCLIDEAN: break;
    case CML_NN_MANHATTAN: m.kind = CML_DIST_MANHATTAN; break;
    case CML_NN_COSINE: m.kind = CML_DIST_COSINE; break;
    case CML_NN_MINKOWSKI:
        if (p->p == 1.0)
            m.kind = CML_DIST_MANHATTAN;
        else if (p->p != 2.0) {
            m.kind = CML_DIST_MINKOWSKI;
            m.p = p->p;
        }
        break;
    }
    return m;
}

/* sklearn 1.2 NeighborsBase._fit, algorithm == "auto". */
static cml_nn_algorithm choose_algorithm(const cml_nn_params *p, cml_dist m, int64_t n, int64_t d)
{
    if (p->algorithm != CML_NN_AUTO) return p->algorithm;
    if (d > 15 || (p->n_neighbors > 0 && p->n_neighbors >= n / 2)) return CML_NN_BRUTE;
    if (m.kind == CML_DIST_COSINE) return CML_NN_BRUTE; /* in neither tree's VALID_METRICS */
    return CML_NN_KD_TREE;
}

/* ---------------------------------------------------------------- heap */

void nn_heap_push(nn_heap *h, double r, int64_t i)
{
    int64_t c;
    if (h->n < h->k) { /* sift up */
        c = h->n++;
        while (c > 0) {
            int64_t par = (c - 1) / 2;
            if (!nn_before(h->r[par], h->i[par], r, i)) break;
            h->r[c] = h->r[par];
            h->i[c] = h->i[par];
            c = par;
        }
        h->r[c] = r;
        h->i[c] = i;
        return;
    }
    if (!nn_before(r, i, h->r[0], h->i[0])) return;
    c = 0; /* replace the root, sift down */
    for (;;) {
        int64_t l = 2 * c + 1, big = c;
        double br = r;
        int64_t bi = i;
        if (l < h->n && nn_before(br, bi, h->r[l], h->i[l])) {
            big = l;
            br = h->r[l];
            bi = h->i[l];
        }
        if (l + 1 < h->n && nn_before(br, bi, h->r[l + 1], h->i[l + 1])) big = l + 1;
        if (big == c) break;
        h->r[c] = h->r[big];
        h->i[c] = h->i[big];
        c = big;
    }
    h->r[c] = r;
    h->i[c] = i;
}

void nn_sort_pairs(double *r, int64_t *i, int64_t n)
{
    /* insertion sort for the usual short lists, heapsort beyond */
    if (n <= 32) {
        for (int64_t a = 1; a < n; a++) {
            double rv = r[a];
            int64_t iv = i[a], b = a;
            while (b > 0 && nn_before(rv, iv, r[b - 1], i[b - 1])) {
                r[b] = r[b - 1];
                i[b] = i[b - 1];
                b--;
            }
            r[b] = rv;
            i[b] = iv;
        }
        return;
    }
    /* heapsort on the (r, i) order: build a max-heap, pop to the end */
    for (int64_t s = n / 2 - 1; s >= 0; s--) {
        int64_t c = s;
        for (;;) {
            int64_t l = 2 * c + 1, big = c;
            if (l < n && nn_before(r[big], i[big], r[l], i[l])) big = l;
            if (l + 1 < n && nn_before(r[big], i[big], r[l + 1], i[l + 1])) big = l + 1;
            if (big == c) break;
            double tr = r[c];
            int64_t ti = i[c];
            r[c] = r[big];
            i[c] = i[big];
            r[big] = tr;
            i[big] = ti;
            c = big;
        }
    }
    for (int64_t end = n - 1; end > 0; end--) {
        double tr = r[0];
        int64_t ti = i[0];
        r[0] = r[end];
        i[0] = i[end];
        r[end] = tr;
        i[end] = ti;
        int64_t c = 0;
        for (;;) {
            int64_t l = 2 * c + 1, big = c;
            if (l < end && nn_before(r[big], i[big], r[l], i[l])) big = l;
            if (l + 1 < end && nn_before(r[big], i[big], r[l + 1], i[l + 1])) big = l + 1;
            if (big == c) break;
            tr = r[c];
            ti = i[c];
            r[c] = r[big];
            i[c] = i[big];
            r[big] = tr;
            i[big] = ti;
            c = big;
        }
    }
}

int nn_list_add(nn_list *l, double r, int64_t i)
{
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 16;
        double *nr = realloc(l->r, (size_t)cap * sizeof(double));
        if (!nr) return 0;
        l->r = nr;
        int64_t *ni = realloc(l->i, (size_t)cap * sizeof(int64_t));
        if (!ni) return 0;
        l->i = ni;
        l->cap = cap;
    }
    l->r[l->n] = r;
    l->i[l->n] = i;
    l->n++;
    return 1;
}

static void nn_list_free(nn_list *l)
{
    free(l->r);
    free(l->i);
    l->r = NULL;
    l->i = NULL;
    l->n = l->cap = 0;
}

/* ---------------------------------------------------------------- build */

/* Unit rows for cosine; zero rows stay zero (sklearn's normalize). */
static void normalize_row(const double *x, double *out, int64_t d)
{
    double s = 0.0;
    for (int64_t j = 0; j < d; j++)
        s += x[j] * x[j];
    double nrm = sqrt(s);
    for (int64_t j = 0; j < d; j++)
        out[j] = nrm > 0.0 ? x[j] / nrm : x[j];
}

static int uses_screening(const cml_nn_index *ix)
{
    return ix->algo == CML_NN_BRUTE &&
           (ix->dist.kind == CML_DIST_EUCLIDEAN || ix->dist.kind == CML_DIST_COSINE);
}

/* Rows sampled (evenly spaced, fixed) to choose the screening centre and
 * scale before the single pass over the data. */
#define BUILD_SAMPLE 1024

/* Centre (column means of a fixed sample of rows; zero for cosine, where
 * centring would change the angles) and power-of-two scale for the float32
 * screening copy. Any centre is valid, distances being translation
 * invariant: a good one shrinks the norms that scale tau. The scale only
 * keeps float away from overflow and underflow (its relative precision does
 * not depend on it); build_brute checks the rows it did not sample. */
static void screen_frame(cml_nn_index *ix, const cml_matrix *X, int cosine, double *c)
{
    int64_t n = ix->n, d = ix->d, step = (n + BUILD_SAMPLE - 1) / BUILD_SAMPLE, cnt = 0;
    double *tmp = cosine ? ix->Xn : NULL; /* scratch row: Xn is filled later */
    for (int64_t j = 0; j < d; j++)
        c[j] = 0.0;
    if (!cosine) {
        for (int64_t i = 0; i < n; i += step, cnt++) {
            const double *x = cml_matrix_row(X, i);
            for (int64_t j = 0; j < d; j++)
                c[j] += x[j];
        }
        for (int64_t j = 0; j < d; j++)
            c[j] /= (double)cnt;
    }
    double amax = 0.0;
    for (int64_t i = 0; i < n; i += step) {
        const double *x = cml_matrix_row(X, i);
        if (cosine) {
            normalize_row(x, tmp, d);
            x = tmp;
        }
        for (int64_t j = 0; j < d; j++)
            amax = fmax(amax, fabs(x[j] - c[j]));
    }
    int e = 0;
    if (amax > 0.0) frexp(amax, &e);
    ix->scale = ldexp(1.0, -e); /* exact: sampled |scaled| in [0, 1) */
}

/* Writes S32 row i and its squared norm from B_i; returns max |scaled|. */
static double screen_row(cml_nn_index *ix, const double *b, int64_t i)
{
    int64_t d = ix->d;
    const double *c = ix->center;
    double scale = ix->scale, s = 0.0, m = 0.0;
    float *dst = ix->S32 + i * d;
    for (int64_t j = 0; j < d; j++) {
        double v = (b[j] - c[j]) * scale;
        float f = (float)v;
        dst[j] = f;
        s += (double)f * (double)f;
        m = fabs(v) > m ? fabs(v) : m;
    }
    ix->s32sq[i] = s;
    return m;
}

/* Brute-force storage in one parallel pass over the input: copies the rows
 * (cosine: and their unit versions), checks they are finite, and for the
 * screening path computes |B_i|^2 and the float32 screening copy. Reading
 * and writing the data once matters: for 60k x 784 doubles the build is
 * memory bound (mostly the kernel zeroing fresh pages). */
static cml_status build_brute(cml_nn_index *ix, const cml_matrix *X)
{
    int64_t n = ix->n, d = ix->d;
    int cosine = ix->dist.kind == CML_DIST_COSINE, screen = uses_screening(ix);
    int f32 = screen && d > 15;
    cml_status st = CML_OK;
    ix->X = cml_big_alloc((size_t)(n * d) * sizeof(double));
    if (cosine) ix->Xn = cml_big_alloc((size_t)(n * d) * sizeof(double));
    if (screen) ix->xsq = cml_alloc_array(n, sizeof(double));
    double *rowmax = f32 ? cml_alloc_array(n, sizeof(double)) : NULL;
    char *bad = cml_alloc_array(n, 1);
    if (f32) {
        ix->S32 = cml_big_alloc((size_t)(n * d) * sizeof(float));
        ix->s32sq = cml_alloc_array(n, sizeof(double));
        ix->center = cml_alloc_array(d, sizeof(double));
    }
    if (!ix->X || (cosine && !ix->Xn) || (screen && !ix->xsq) || !bad ||
        (f32 && (!rowmax || !ix->S32 || !ix->s32sq || !ix->center))) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    if (f32) screen_frame(ix, X, cosine, ix->center);
#pragma omp parallel for schedule(static) CML_OMP_THREADS
    for (int64_t i = 0; i < n; i++) {
        const double *x = cml_matrix_row(X, i);
        double *dst = ix->X + i * d;
        int finite = 1;
        for (int64_t j = 0; j < d; j++) {
            dst[j] = x[j];
            finite &= isfinite(x[j]) != 0;
        }
        bad[i] = !finite;
        if (!finite || !screen) continue;
        if (cosine) normalize_row(x, ix->Xn + i * d, d);
        const double *b = cosine ? ix->Xn + i * d : dst;
        double s = 0.0;
        for (int64_t j = 0; j < d; j++)
            s += b[j] * b[j];
        ix->xsq[i] = s;
        if (f32) rowmax[i] = screen_row(ix, b, i);
    }
    for (int64_t i = 0; i < n; i++)
        if (bad[i]) {
            st = cml_matrix_check(X, "X", 0); /* names the first bad cell */
            goto done;
        }
    if (!screen) goto done;
    ix->xmax = 0.0;
    for (int64_t i = 0; i < n; i++) /* a max is exact in any order */
        ix->xmax = fmax(ix->xmax, sqrt(ix->xsq[i]));
    if (!f32) goto done; /* float64 screening on X itself */
    double amax = 0.0;
    for (int64_t i = 0; i < n; i++)
        amax = fmax(amax, rowmax[i]);
    if (!(amax <= 0x1p60)) {
        /* an unsampled row is far larger than the sample: rescale so that
         * GEMM sums of squares stay far from float overflow */
        int e = 0;
        frexp(amax, &e);
        ix->scale = ldexp(ix->scale, -e);
        const double *B = cosine ? ix->Xn : ix->X;
#pragma omp parallel for schedule(static) CML_OMP_THREADS
        for (int64_t i = 0; i < n; i++)
            screen_row(ix, B + i * d, i);
    }
    ix->s32max = 0.0;
    for (int64_t i = 0; i < n; i++)
        ix->s32max = fmax(ix->s32max, sqrt(ix->s32sq[i]));
done:
    free(rowmax);
    free(bad);
    return st;
}

cml_status cml_nn_index_build(const cml_nn_params *p, const cml_matrix *X, cml_nn_index **out)
{
    *out = NULL;
    const char *msg = cml_nn_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "nearest neighbours: %s", msg);
    CML_CHECK(cml_matrix_check(X, "X", 1)); /* shape; finiteness below */
    cml_nn_index *ix = cml_calloc(1, sizeof *ix);
    if (!ix) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    ix->params = *p;
    ix->n = X->rows;
    ix->d = X->cols;
    ix->dist = effective_metric(p);
    ix->algo = choose_algorithm(p, ix->dist, ix->n, ix->d);
    ix->scale = 1.0;
    if (ix->algo == CML_NN_BRUTE) {
        CML_TRY(build_brute(ix, X));
    } else {
        CML_TRY(cml_matrix_check(X, "X", 0));
        CML_TRY(nn_tree_build(ix, X));
    }
    *out = ix;
    return CML_OK;
fail:
    cml_nn_index_free(ix);
    return st;
}

void cml_nn_index_free(cml_nn_index *ix)
{
    if (!ix) return;
    free(ix->X);
    free(ix->Xn);
    free(ix->perm);
    free(ix->pos);
    free(ix->xsq);
    free(ix->S32);
    free(ix->center);
    free(ix->s32sq);
    free(ix->nodes);
    free(ix->bounds);
    free(ix);
}

cml_nn_algorithm cml_nn_index_algorithm(const cml_nn_index *ix)
{
    return ix->algo;
}
int64_t cml_nn_index_n_samples(const cml_nn_index *ix)
{
    return ix->n;
}
int64_t cml_nn_index_n_features(const cml_nn_index *ix)
{
    return ix->d;
}

/* ---------------------------------------------------------------- brute */

/* Exact rdist between a prepared query and stored row i (original index). */
static inline double exact_rdist(const cml_nn_index *ix, const double *q, int64_t i)
{
    if (ix->dist.kind == CML_DIST_COSINE) {
        const double *x = ix->Xn + i * ix->d;
        /* rows and query are unit (or zero) vectors: 1 - q.x, clipped to
         * [0, 2] as sklearn's cosine_distances */
        double s = 0.0;
        for (int64_t j = 0; j < ix->d; j++)
            s += q[j] * x[j];
        double r = 1.0 - s;
        return r < 0.0 ? 0.0 : (r > 2.0 ? 2.0 : r);
    }
    return cml_dist_rdist(&ix->dist, q, ix->X + i * ix->d, ix->d);
}

/* Screening candidates of one query: (S, index) pairs. */
typedef struct cand_list {
    double *s;
    int64_t *i;
    int64_t n, cap;
    double thresh; /* admit S <= thresh */
    double tau;
} cand_list;

static double kth_smallest(double *v, int64_t n, int64_t k) /* 0-based k, reorders v */
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double piv = v[lo + (hi - lo) / 2];
        int64_t a = lo, b = hi;
        while (a <= b) {
            while (v[a] < piv)
                a++;
            while (v[b] > piv)
                b--;
            if (a <= b) {
                double t = v[a];
                v[a] = v[b];
                v[b] = t;
                a++;
                b--;
            }
        }
        if (k <= b)
            hi = b;
        else if (k >= a)
            lo = a;
        else
            return v[k];
    }
    return v[k];
}

/* Keeps only candidates within 2 tau of the k-th smallest S; grows the list
 * when near-ties keep it full. scratch holds cap doubles. Returns 0 on
 * NOMEM. */
static int cand_compact(cand_list *c, int64_t k, double *scratch)
{
    memcpy(scratch, c->s, (size_t)c->n * sizeof(double));
    double kth = kth_smallest(scratch, c->n, k - 1);
    double t = kth + 2.0 * c->tau;
    c->thresh = t < c->thresh ? t : c->thresh;
    int64_t m = 0;
    for (int64_t a = 0; a < c->n; a++)
        if (c->s[a] <= c->thresh) {
            c->s[m] = c->s[a];
            c->i[m] = c->i[a];
            m++;
        }
    c->n = m;
    if (m > c->cap / 2) {
        int64_t cap = 2 * c->cap;
        double *ns = realloc(c->s, (size_t)cap * sizeof(double));
        if (!ns) return 0;
        c->s = ns;
        int64_t *ni = realloc(c->i, (size_t)cap * sizeof(int64_t));
        if (!ni) return 0;
        c->i = ni;
        c->cap = cap;
    }
    return 1;
}

/* Per-thread scratch of the screening search. */
typedef struct screen_ws {
    int64_t qb, nb, d;
    double *q64;     /* (qb, d) prepared queries (cosine: unit rows) */
    float *q32;      /* (qb, d) screening queries in float */
    double *tile64;  /* (qb, nb) */
    float *tile32;   /* (qb, nb) */
    cand_list *cand; /* (qb) */
    double *scratch; /* (max cap) */
    int64_t scratch_cap;
} screen_ws;

static void ws_free(screen_ws *w)
{
    if (!w) return;
    free(w->q64);
    free(w->q32);
    free(w->tile64);
    free(w->tile32);
    if (w->cand)
        for (int64_t a = 0; a < w->qb; a++) {
            free(w->cand[a].s);
            free(w->cand[a].i);
        }
    free(w->cand);
    free(w->scratch);
}

static int ws_init(screen_ws *w, int64_t qb, int64_t nb, int64_t d, int64_t cap0)
{
    memset(w, 0, sizeof *w);
    w->qb = qb;
    w->nb = nb;
    w->d = d;
    w->q64 = malloc((size_t)(qb * d) * sizeof(double));
    w->q32 = malloc((size_t)(qb * d) * sizeof(float));
    w->tile64 = malloc((size_t)(qb * nb) * sizeof(double));
    w->tile32 = malloc((size_t)(qb * nb) * sizeof(float));
    w->cand = calloc((size_t)qb, sizeof(cand_list));
    w->scratch_cap = cap0;
    w->scratch = malloc((size_t)cap0 * sizeof(double));
    if (!w->q64 || !w->q32 || !w->tile64 || !w->tile32 || !w->cand || !w->scratch) return 0;
    for (int64_t a = 0; a < qb; a++) {
        w->cand[a].cap = cap0;
        w->cand[a].s = malloc((size_t)cap0 * sizeof(double));
        w->cand[a].i = malloc((size_t)cap0 * sizeof(int64_t));
        if (!w->cand[a].s || !w->cand[a].i) return 0;
    }
    return 1;
}

/* Grows w->scratch to hold n doubles. Returns 0 on NOMEM. */
static int ensure_scratch(screen_ws *w, int64_t n)
{
    if (w->scratch_cap >= n) return 1;
    double *ns = realloc(w->scratch, (size_t)n * sizeof(double));
    if (!ns) return 0;
    w->scratch = ns;
    w->scratch_cap = n;
    return 1;
}

/* What a brute query computes: k nearest (k > 0) or a radius (k == 0). */
typedef struct brute_job {
    int64_t k;
    double radius_rdist;
    double *dist; /* k-NN output (nq, k) */
    int64_t *idx;
    nn_list *lists; /* radius output (nq) */
} brute_job;

/* Prepares query rows [q0, q0+m) into w->q64 (cosine: unit rows). */
static void prepare_queries(const cml_nn_index *ix, const cml_matrix *Q, int64_t q0, int64_t m,
                            screen_ws *w)
{
    for (int64_t a = 0; a < m; a++) {
        const double *q = cml_matrix_row(Q, q0 + a);
        if (ix->dist.kind == CML_DIST_COSINE)
            normalize_row(q, w->q64 + a * ix->d, ix->d);
        else
            memcpy(w->q64 + a * ix->d, q, (size_t)ix->d * sizeof(double));
    }
}

/* Finishes one query from its screening survivors (or, for exact metrics,
 * from its heap): exact rdists, (r, i) order, output. Returns 0 on NOMEM. */
static int finish_knn(const cml_nn_index *ix, const double *q, cand_list *c, const brute_job *job,
                      int64_t qi)
{
    for (int64_t a = 0; a < c->n; a++)
        c->s[a] = exact_rdist(ix, q, c->i[a]);
    nn_sort_pairs(c->s, c->i, c->n);
    for (int64_t a = 0; a < job->k; a++) {
        job->dist[qi * job->k + a] = cml_dist_from_rdist(&ix->dist, c->s[a]);
        job->idx[qi * job->k + a] = c->i[a];
    }
    return 1;
}

/* Screening values are tested in chunks: once a query's threshold is tight
 * almost no chunk holds a candidate, and this branch-free pass vectorizes
 * where the admitting loop cannot. */
#define SCAN_CHUNK 64

/* sv[j] = S_j = t_j + ysq_j (t from t32 or t64; ysq NULL for cosine) for n
 * <= SCAN_CHUNK values, in the double arithmetic of the admission test;
 * returns whether some S_j <= thresh. */
static int chunk_values(const float *t32, const double *t64, const double *ysq, int64_t n,
                        double thresh, double *restrict sv)
{
    int any = 0;
    for (int64_t j = 0; j < n; j++) {
        double s = t32 ? (double)t32[j] : t64[j];
        sv[j] = ysq ? s + ysq[j] : s;
    }
    for (int64_t j = 0; j < n; j++)
        any |= sv[j] <= thresh;
    return any;
}

/* One block of queries through GEMM screening. Returns 0 on NOMEM. */
static int screen_block(const cml_nn_index *ix, const cml_matrix *Q, int64_t q0, int64_t m,
                        const brute_job *job, screen_ws *w)
{
    int64_t n = ix->n, d = ix->d;
    int cosine = ix->dist.kind == CML_DIST_COSINE;
    prepare_queries(ix, Q, q0, m, w);

    /* float screening unless a scaled query could overflow float */
    int f32 = ix->S32 != NULL;
    if (f32) {
        for (int64_t a = 0; a < m * d && f32; a++) {
            double v = (w->q64[a] - ix->center[a % d]) * ix->scale;
            if (!(fabs(v) <= 0x1p60)) f32 = 0;
        }
    }
    double u = f32 ? 0x1p-24 + 0x1p-53 : 0x1p-53;
    double ymax = f32 ? ix->s32max : ix->xmax;
    const double *ysq = f32 ? ix->s32sq : ix->xsq;

    for (int64_t a = 0; a < m; a++) {
        double qq = 0.0;
        for (int64_t j = 0; j < d; j++) {
            double v = w->q64[a * d + j];
            if (f32) {
                v = (v - ix->center[j]) * ix->scale;
                w->q32[a * d + j] = (float)v;
            }
            qq += v * v;
        }
        double qn = sqrt(qq), span = qn + ymax, sc2 = f32 ? ix->scale * ix->scale : 1.0;
        cand_list *c = &w->cand[a];
        c->n = 0;
        c->tau = 2.5 * (double)(d + 4) * u * span * span + (double)d * 0x1p-60;
        if (job->k > 0) {
            c->thresh = INFINITY;
        } else if (cosine) { /* S = -q.y = rdist - 1 */
            c->thresh = sc2 * (job->radius_rdist - 1.0) + c->tau;
        } else { /* S = |y|^2 - 2 q.y = scale^2 D - |q|^2 */
            c->thresh = sc2 * job->radius_rdist - qq + c->tau;
        }
    }
    double coef = cosine ? -1.0 : -2.0;
    for (int64_t j0 = 0; j0 < n; j0 += w->nb) {
        int64_t nb = CML_MIN(w->nb, n - j0);
        if (f32)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)nb, (int)d,
                        (float)coef, w->q32, (int)d, ix->S32 + j0 * d, (int)d, 0.0f, w->tile32,
                        (int)nb);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)nb, (int)d, coef,
                        w->q64, (int)d, (ix->Xn ? ix->Xn : ix->X) + j0 * d, (int)d, 0.0, w->tile64,
                        (int)nb);
        for (int64_t a = 0; a < m; a++) {
            cand_list *c = &w->cand[a];
            const float *t32 = f32 ? w->tile32 + a * nb : NULL;
            const double *t64 = f32 ? NULL : w->tile64 + a * nb;
            const double *yq = cosine ? NULL : ysq + j0;
            if (j0 == 0 && job->k > 0 && job->k <= nb) {
                /* Seed the threshold with the k-th smallest S of this first
                 * tile (a subset's k-th is >= the k-th of all rows, so the
                 * invariant of cand_compact holds): later tiles then admit
                 * about k rows per tile seen instead of filling the list
                 * again and again while it tightens. */
                if (!ensure_scratch(w, nb)) return 0;
                for (int64_t j = 0; j < nb; j += SCAN_CHUNK)
                    chunk_values(t32 ? t32 + j : NULL, t64 ? t64 + j : NULL, yq ? yq + j : NULL,
                                 CML_MIN(SCAN_CHUNK, nb - j), 0.0, w->scratch + j);
                c->thresh = kth_smallest(w->scratch, nb, job->k - 1) + 2.0 * c->tau;
            }
            for (int64_t j1 = 0; j1 < nb; j1 += SCAN_CHUNK) {
                double sv[SCAN_CHUNK];
                int64_t len = CML_MIN(SCAN_CHUNK, nb - j1);
                if (!chunk_values(t32 ? t32 + j1 : NULL, t64 ? t64 + j1 : NULL, yq ? yq + j1 : NULL,
                                  len, c->thresh, sv))
                    continue;
                for (int64_t jj = 0; jj < len; jj++) {
                    double s = sv[jj];
                    int64_t j = j1 + jj;
                    if (!(s <= c->thresh)) continue;
                    if (c->n == c->cap) {
                        if (job->k > 0) {
                            if (!ensure_scratch(w, c->cap) || !cand_compact(c, job->k, w->scratch))
                                return 0;
                            if (!(s <= c->thresh)) continue;
                        } else {
                            int64_t cap = 2 * c->cap;
                            double *ns = realloc(c->s, (size_t)cap * sizeof(double));
                            if (!ns) return 0;
                            c->s = ns;
                            int64_t *ni = realloc(c->i, (size_t)cap * sizeof(int64_t));
                            if (!ni) return 0;
                            c->i = ni;
                            c->cap = cap;
                        }
                    }
                    c->s[c->n] = s;
                    c->i[c->n] = j0 + j;
                    c->n++;
                }
            }
        }
    }
    for (int64_t a = 0; a < m; a++) {
        cand_list *c = &w->cand[a];
        const double *q = w->q64 + a * d;
        if (job->k > 0) {
            /* the list holds up to cap admitted rows since its last
             * compaction: drop those the final threshold rejects before the
             * (memory-bound) exact distances */
            if (c->n > job->k &&
                (!ensure_scratch(w, c->cap) || !cand_compact(c, job->k, w->scratch)))
                return 0;
            if (!finish_knn(ix, q, c, job, q0 + a)) return 0;
        } else {
            nn_list *l = &job->lists[q0 + a];
            for (int64_t b = 0; b < c->n; b++) {
                double r = exact_rdist(ix, q, c->i[b]);
                if (r <= job->radius_rdist && !nn_list_add(l, r, c->i[b])) return 0;
            }
        }
    }
    return 1;
}

/* Brute force with exact distances for every pair (manhattan, minkowski). */
static int direct_block(const cml_nn_index *ix, const cml_matrix *Q, int64_t q0, int64_t m,
                        const brute_job *job, screen_ws *w)
{
    for (int64_t a = 0; a < m; a++) {
        const double *q = cml_matrix_row(Q, q0 + a);
        if (job->k > 0) {
            nn_heap h = {w->cand[a].s, w->cand[a].i, job->k, 0};
            for (int64_t i = 0; i < ix->n; i++)
                nn_heap_push(&h, cml_dist_rdist(&ix->dist, q, ix->X + i * ix->d, ix->d), i);
            cand_list c = w->cand[a];
            c.n = h.n;
            if (!finish_knn(ix, q, &c, job, q0 + a)) return 0;
        } else {
            for (int64_t i = 0; i < ix->n; i++) {
                double r = cml_dist_rdist(&ix->dist, q, ix->X + i * ix->d, ix->d);
                if (r <= job->radius_rdist && !nn_list_add(&job->lists[q0 + a], r, i)) return 0;
            }
        }
    }
    return 1;
}

static cml_status run_brute(const cml_nn_index *ix, const cml_matrix *Q, const brute_job *job)
{
    int64_t nq = Q->rows;
    int threads = cml_get_num_threads();
    /* blocks small enough that every thread gets several, large enough for
     * an efficient GEMM */
    int64_t qb = (nq + 4 * threads - 1) / (4 * threads);
    qb = CML_MAX(16, CML_MIN(256, qb));
    int64_t nb = CML_MIN(ix->n, 2048);
    int64_t cap0 = CML_MAX(2 * job->k + 32, 256);
    int64_t n_blocks = (nq + qb - 1) / qb;
    int screened = uses_screening(ix);
    int failed = 0;
#pragma omp parallel CML_OMP_THREADS
    {
        screen_ws w;
        int ok = ws_init(&w, qb, screened ? nb : 1, ix->d, cap0);
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < n_blocks; b++) {
            if (!ok) continue;
            int64_t q0 = b * qb, m = CML_MIN(qb, nq - q0);
            ok = screened ? screen_block(ix, Q, q0, m, job, &w)
                          : direct_block(ix, Q, q0, m, job, &w);
        }
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
        ws_free(&w);
    }
    if (failed) return cml_fail(CML_ERR_NOMEM, "nearest neighbours: out of memory in a query");
    return CML_OK;
}

/* ---------------------------------------------------------------- queries */

static cml_status check_query(const cml_nn_index *ix, const cml_matrix *Q)
{
    if (!ix) return cml_fail(CML_ERR_ARG, "nearest neighbours: index is NULL");
    CML_CHECK(cml_matrix_check(Q, "query X", 0));
    if (Q->cols != ix->d)
        return cml_fail(CML_ERR_ARG,
                        "nearest neighbours: query X has %lld features, the index was built "
                        "with %lld",
                        (long long)Q->cols, (long long)ix->d);
    return CML_OK;
}

static cml_status tree_knn_all(const cml_nn_index *ix, const cml_matrix *Q, int64_t k, double *dist,
                               int64_t *idx)
{
    int failed = 0;
#pragma omp parallel CML_OMP_THREADS
    {
        double *hr = malloc((size_t)k * sizeof(double));
        int64_t *hi = malloc((size_t)k * sizeof(int64_t));
        if (!hr || !hi) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (int64_t q = 0; q < Q->rows; q++) {
            if (!hr || !hi) continue;
            nn_heap h = {hr, hi, k, 0};
            nn_tree_knn(ix, cml_matrix_row(Q, q), &h);
            nn_sort_pairs(hr, hi, k);
            for (int64_t a = 0; a < k; a++) {
                dist[q * k + a] = cml_dist_from_rdist(&ix->dist, hr[a]);
                idx[q * k + a] = hi[a];
            }
        }
        free(hr);
        free(hi);
    }
    if (failed) return cml_fail(CML_ERR_NOMEM, "nearest neighbours: out of memory in a query");
    return CML_OK;
}

cml_status cml_nn_index_kneighbors(const cml_nn_index *ix, const cml_matrix *Q, int64_t k,
                                   double *dist, int64_t *idx)
{
    CML_CHECK(check_query(ix, Q));
    if (k < 1 || k > ix->n)
        return cml_fail(CML_ERR_ARG,
                        "nearest neighbours: k = %lld must be in [1, n_samples = %lld]. HINT: "
                        "lower n_neighbors",
                        (long long)k, (long long)ix->n);
    if (!dist || !idx) return cml_fail(CML_ERR_ARG, "nearest neighbours: output arrays are NULL");
    if (ix->algo != CML_NN_BRUTE) return tree_knn_all(ix, Q, k, dist, idx);
    brute_job job = {k, 0.0, dist, idx, NULL};
    return run_brute(ix, Q, &job);
}

cml_status cml_nn_index_kneighbors_self(const cml_nn_index *ix, int64_t k, double *dist,
                                        int64_t *idx)
{
    if (!ix) return cml_fail(CML_ERR_ARG, "nearest neighbours: index is NULL");
    if (k < 1 || k >= ix->n)
        return cml_fail(CML_ERR_ARG,
                        "nearest neighbours: k = %lld must be in [1, n_samples - 1 = %lld]",
                        (long long)k, (long long)ix->n - 1);
    int64_t n = ix->n, k1 = k + 1;
    double *d1 = cml_alloc_array(n * k1, sizeof(double));
    int64_t *i1 = cml_alloc_array(n * k1, sizeof(int64_t));
    cml_status st = CML_OK;
    if (!d1 || !i1) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    /* Stored rows are the training rows; trees store them in tree order,
     * mapped back through perm. */
    cml_matrix S = cml_matrix_view(ix->X, n, ix->d);
    st = cml_nn_index_kneighbors(ix, &S, k1, d1, i1);
    if (st != CML_OK) goto done;
    for (int64_t s = 0; s < n; s++) {
        int64_t self = ix->perm ? ix->perm[s] : s, drop = 0;
        for (int64_t a = 0; a < k1; a++)
            if (i1[s * k1 + a] == self) {
                drop = a;
                break;
            }
        for (int64_t a = 0, b = 0; a < k1; a++) {
            if (a == drop) continue;
            dist[self * k + b] = d1[s * k1 + a];
            idx[self * k + b] = i1[s * k1 + a];
            b++;
        }
    }
done:
    free(d1);
    free(i1);
    return st;
}

void cml_nn_radius_result_free(cml_nn_radius_result *r)
{
    if (!r) return;
    free(r->offsets);
    free(r->indices);
    free(r->distances);
    free(r);
}

cml_status cml_nn_index_radius_neighbors(const cml_nn_index *ix, const cml_matrix *Q, double radius,
                                         cml_nn_radius_result **out)
{
    *out = NULL;
    CML_CHECK(check_query(ix, Q));
    if (!(radius >= 0.0) || isinf(radius))
        return cml_fail(CML_ERR_ARG, "nearest neighbours: radius must be finite and >= 0, got %g",
                        radius);
    int64_t nq = Q->rows;
    double r_rdist = cml_dist_to_rdist(&ix->dist, radius);
    nn_list *lists = cml_calloc((size_t)nq, sizeof(nn_list));
    cml_nn_radius_result *res = cml_calloc(1, sizeof *res);
    cml_status st = CML_OK;
    if (!lists || !res) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (ix->algo == CML_NN_BRUTE) {
        brute_job job = {0, r_rdist, NULL, NULL, lists};
        CML_TRY(run_brute(ix, Q, &job));
    } else {
        int nomem = 0;
#pragma omp parallel for schedule(dynamic, 16) CML_OMP_THREADS
        for (int64_t q = 0; q < nq; q++) {
            int bad = 0;
            nn_tree_radius(ix, cml_matrix_row(Q, q), r_rdist, &lists[q], &bad);
            if (bad) {
#pragma omp atomic write
                nomem = 1;
            }
        }
        if (nomem) {
            st = cml_fail(CML_ERR_NOMEM, "nearest neighbours: out of memory in a radius query");
            goto fail;
        }
    }
    res->n_queries = nq;
    res->offsets = cml_alloc_array(nq + 1, sizeof(int64_t));
    if (!res->offsets) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    res->offsets[0] = 0;
    for (int64_t q = 0; q < nq; q++)
        res->offsets[q + 1] = res->offsets[q] + lists[q].n;
    int64_t total = res->offsets[nq];
    res->indices = cml_alloc_array(CML_MAX(total, 1), sizeof(int64_t));
    res->distances = cml_alloc_array(CML_MAX(total, 1), sizeof(double));
    if (!res->indices || !res->distances) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t q = 0; q < nq; q++) {
        nn_list *l = &lists[q];
        nn_sort_pairs(l->r, l->i, l->n);
        for (int64_t a = 0; a < l->n; a++) {
            res->indices[res->offsets[q] + a] = l->i[a];
            res->distances[res->offsets[q] + a] = cml_dist_from_rdist(&ix->dist, l->r[a]);
        }
        nn_list_free(l);
    }
    free(lists);
    *out = res;
    return CML_OK;
fail:
    if (lists)
        for (int64_t q = 0; q < nq; q++)
            nn_list_free(&lists[q]);
    free(lists);
    cml_nn_radius_result_free(res);
    return st;
}

void nn_index_rows(const cml_nn_index *ix, double *out)
{
    for (int64_t s = 0; s < ix->n; s++) {
        int64_t i = ix->perm ? ix->perm[s] : s;
        memcpy(out + i * ix->d, ix->X + s * ix->d, (size_t)ix->d * sizeof(double));
    }
}
