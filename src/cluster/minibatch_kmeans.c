/*
 * minibatch_kmeans.c — MiniBatchKMeans (scikit-learn 1.2's
 * sklearn.cluster.MiniBatchKMeans), with partial_fit.
 *
 * Sculley, "Web-scale k-means clustering" (WWW 2010): each step draws a
 * batch (with replacement), assigns it to the nearest centres and moves
 * every centre to the running weighted mean of all the samples it was ever
 * given: c <- (c * W_c + sum_{batch members} w_i x_i) / (W_c + sum w_i).
 * Centres whose accumulated weight falls below reassignment_ratio times the
 * largest are re-seeded on random batch rows (sklearn's _mini_batch_step).
 * Stopping follows sklearn's _mini_batch_convergence: an exponentially
 * weighted average of the per-sample batch inertia that has not improved for
 * max_no_improvement steps, or (tol > 0) a small squared centre change.
 * Seeding: best of n_init k-means++/random inits on init_size random rows,
 * judged by the inertia on another random subset of init_size rows.
 *
 * The random streams differ from numpy's, so results match sklearn in
 * quality (inertia), not bit for bit.
 * Complexity: O(max_iter * n * k * p) in the worst case; memory
 * O(batch_size * p + init_size * p).
 * Thread-safety: fit is reentrant; partial_fit mutates its model;
 * predict/transform read a const model.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cluster/kmeans_core.h"
#include "cml/cluster.h"
#include "cml/model.h"
#include "core/internal.h"

struct cml_minibatch_kmeans {
    km_fitted f;     /* centres; labels/inertia of the fitted data (or last batch) */
    double *counts;  /* (k) accumulated sample weight per centre */
    int64_t n_steps; /* mini-batches processed */
    int64_t n_since_last_reassign;
    int64_t batch; /* effective batch size (reassignment schedule) */
    cml_rng rng;   /* continues across partial_fit calls */
};

#define P(field) offsetof(cml_minibatch_kmeans_params, field)
static const cml_param_def mbk_params[] = {
    {"n_clusters", CML_PARAM_INT, "8", 1, INT32_MAX, 0, NULL, "number of clusters", P(n_clusters)},
    {"init", CML_PARAM_STRING, "k-means++", 0, 0, 0, NULL,
     "seeding: k-means++ (greedy) or random rows", P(init)},
    {"max_iter", CML_PARAM_INT, "100", 1, INT32_MAX, 0, NULL,
     "passes over the data (in mini-batches)", P(max_iter)},
    {"batch_size", CML_PARAM_INT, "1024", 1, INT32_MAX, 0, NULL, "rows per mini-batch",
     P(batch_size)},
    {"tol", CML_PARAM_DOUBLE, "0", 0, HUGE_VAL, 0, NULL,
     "stop when the squared centre change <= tol * mean feature variance (0: off)", P(tol)},
    {"max_no_improvement", CML_PARAM_INT, "10", 0, INT32_MAX, 0, NULL,
     "stop after this many steps without a better smoothed inertia (0: never)",
     P(max_no_improvement)},
    {"init_size", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL,
     "rows used to seed (0: 3 * batch_size, at least 3 * n_clusters)", P(init_size)},
    {"n_init", CML_PARAM_INT, "3", 1, INT32_MAX, 0, NULL, "seeding attempts; the best is kept",
     P(n_init)},
    {"reassignment_ratio", CML_PARAM_DOUBLE, "0.01", 0, 1, 0, NULL,
     "re-seed centres with less than this fraction of the largest weight", P(reassignment_ratio)},
    {"random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL, "seed of the random generator",
     P(random_state)},
};
#undef P
#define N_PARAMS ((int)(sizeof mbk_params / sizeof mbk_params[0]))

cml_minibatch_kmeans_params cml_minibatch_kmeans_params_default(void)
{
    cml_minibatch_kmeans_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(mbk_params, N_PARAMS, &p);
    return p;
}

const char *cml_minibatch_kmeans_params_check(const cml_minibatch_kmeans_params *p)
{
    const char *msg = cml_params_check(mbk_params, N_PARAMS, p);
    if (msg) return msg;
    if (strcmp(p->init, "k-means++") != 0 && strcmp(p->init, "random") != 0)
        return "init must be \"k-means++\" or \"random\"";
    return NULL;
}

/* ---------------------------------------------------------------- helpers */

/* Gathers rows idx[0..m) of X (and their weights) into contiguous buffers. */
static void gather(const cml_matrix *X, const double *sw, const int64_t *idx, int64_t m, double *Xb,
                   double *wb)
{
    for (int64_t i = 0; i < m; i++) {
        memcpy(Xb + i * X->cols, X->data + idx[i] * X->ld, (size_t)X->cols * sizeof(double));
        wb[i] = sw ? sw[idx[i]] : 1.0;
    }
}

/* Working buffers of one fit or partial_fit call. */
typedef struct mb_ws {
    double *Xb, *wb, *xsq; /* (rows, p), (rows), (rows) */
    int64_t *idx, *labels; /* (rows) */
    double *sums, *wsum;   /* (k, p), (k) */
    int64_t rows;
} mb_ws;

static void mb_ws_free(mb_ws *ws)
{
    free(ws->Xb);
    free(ws->wb);
    free(ws->xsq);
    free(ws->idx);
    free(ws->labels);
    free(ws->sums);
    free(ws->wsum);
}

static cml_status mb_ws_init(mb_ws *ws, int64_t rows, int64_t p, int k)
{
    memset(ws, 0, sizeof *ws);
    ws->rows = rows;
    ws->Xb = cml_alloc_array(rows * p, sizeof(double));
    ws->wb = cml_alloc_array(rows, sizeof(double));
    ws->xsq = cml_alloc_array(rows, sizeof(double));
    ws->idx = cml_alloc_array(rows, sizeof(int64_t));
    ws->labels = cml_alloc_array(rows, sizeof(int64_t));
    ws->sums = cml_alloc_array((int64_t)k * p, sizeof(double));
    ws->wsum = cml_alloc_array(k, sizeof(double));
    if (!ws->Xb || !ws->wb || !ws->xsq || !ws->idx || !ws->labels || !ws->sums || !ws->wsum) {
        mb_ws_free(ws);
        return CML_ERR_NOMEM;
    }
    return CML_OK;
}

/* Labels and inertia of m contiguous rows against centers. */
static cml_status labels_inertia(const double *Xb, const double *wb, int64_t m, int64_t p,
                                 const double *centers, int k, int64_t *labels, double *inertia)
{
    CML_CHECK(km_assign(Xb, m, p, p, centers, k, labels));
    km_data d = {Xb, wb, NULL, m, p, p};
    *inertia = km_inertia(&d, centers, labels);
    return CML_OK;
}

/* Seeds k centres from init_size random rows (sklearn's _init_centroids
 * with init_size). */
static cml_status seed_centers(const cml_minibatch_kmeans_params *p, const cml_matrix *X,
                               int64_t init_size, cml_rng *rng, mb_ws *ws, double *centers)
{
    int64_t n = X->rows, m = n;
    if (init_size < n) {
        for (int64_t i = 0; i < init_size; i++)
            ws->idx[i] = (int64_t)cml_rng_below(rng, (uint64_t)n);
        m = init_size;
    } else {
        for (int64_t i = 0; i < n; i++)
            ws->idx[i] = i;
    }
    gather(X, NULL, ws->idx, m, ws->Xb, ws->wb);
    km_row_sq_norms(ws->Xb, m, X->cols, X->cols, ws->xsq);
    km_data d = {ws->Xb, ws->wb, ws->xsq, m, X->cols, X->cols};
    if (strcmp(p->init, "random") == 0) return km_init_random(&d, p->n_clusters, rng, centers);
    return km_init_plusplus(&d, p->n_clusters, rng, centers);
}

/* sklearn's _random_reassign: every 10 * k samples, or when a centre is
 * still empty. */
static int want_reassign(cml_minibatch_kmeans *m)
{
    m->n_since_last_reassign += m->batch;
    int any_zero = 0;
    for (int64_t c = 0; c < m->f.k; c++)
        any_zero |= m->counts[c] == 0.0;
    if (any_zero || m->n_since_last_reassign >= 10 * m->f.k) {
        m->n_since_last_reassign = 0;
        return 1;
    }
    return 0;
}

/* One step on the contiguous batch ws->Xb (rows): updates centers in place
 * and the counts; *inertia gets the batch inertia before the update. */
static cml_status minibatch_step(cml_minibatch_kmeans *m, mb_ws *ws, int64_t rows, int reassign,
                                 double ratio, double *inertia)
{
    int k = (int)m->f.k;
    int64_t p = m->f.p;
    double *C = m->f.centers;
    CML_CHECK(labels_inertia(ws->Xb, ws->wb, rows, p, C, k, ws->labels, inertia));

    memset(ws->sums, 0, (size_t)k * (size_t)p * sizeof(double));
    memset(ws->wsum, 0, (size_t)k * sizeof(double));
    for (int64_t i = 0; i < rows; i++) {
        int64_t c = ws->labels[i];
        const double *x = ws->Xb + i * p;
        for (int64_t j = 0; j < p; j++)
            ws->sums[c * p + j] += ws->wb[i] * x[j];
        ws->wsum[c] += ws->wb[i];
    }
    /* Running mean over everything the centre has absorbed so far. */
    for (int c = 0; c < k; c++) {
        if (ws->wsum[c] <= 0.0) continue;
        double *row = C + (int64_t)c * p;
        double total = m->counts[c] + ws->wsum[c];
        for (int64_t j = 0; j < p; j++)
            row[j] = (row[j] * m->counts[c] + ws->sums[c * p + j]) / total;
        m->counts[c] = total;
    }

    if (!reassign || ratio <= 0.0) return CML_OK;
    double cmax = 0.0;
    for (int c = 0; c < k; c++)
        cmax = CML_MAX(cmax, m->counts[c]);
    char *move = cml_calloc((size_t)k, 1);
    int64_t *order = cml_alloc_array(k, sizeof(int64_t));
    if (!move || !order) {
        free(move);
        free(order);
        return CML_ERR_NOMEM;
    }
    int64_t n_move = 0;
    for (int c = 0; c < k; c++)
        n_move += move[c] = m->counts[c] < ratio * cmax;
    /* At most half a batch of new centres: keep the heaviest ones. */
    if ((double)n_move > 0.5 * (double)rows) {
        for (int c = 0; c < k; c++)
            order[c] = c;
        for (int a = 1; a < k; a++) { /* stable insertion sort by count */
            int64_t v = order[a];
            int b = a - 1;
            for (; b >= 0 && m->counts[order[b]] > m->counts[v]; b--)
                order[b + 1] = order[b];
            order[b + 1] = v;
        }
        for (int64_t r = (int64_t)(0.5 * (double)rows); r < k; r++)
            move[order[r]] = 0;
        n_move = 0;
        for (int c = 0; c < k; c++)
            n_move += move[c];
    }
    if (n_move > 0) {
        /* Distinct batch rows, uniformly (partial Fisher-Yates on idx). */
        for (int64_t i = 0; i < rows; i++)
            ws->idx[i] = i;
        int64_t t = 0;
        for (int c = 0; c < k; c++) {
            if (!move[c]) continue;
            int64_t j = t + (int64_t)cml_rng_below(&m->rng, (uint64_t)(rows - t));
            int64_t tmp = ws->idx[t];
            ws->idx[t] = ws->idx[j];
            ws->idx[j] = tmp;
            memcpy(C + (int64_t)c * p, ws->Xb + ws->idx[t] * p, (size_t)p * sizeof(double));
            t++;
        }
        /* Reset their counts to the smallest kept one, not to 0, so they
         * are not reassigned at once (sklearn's heuristic). */
        double cmin = INFINITY;
        for (int c = 0; c < k; c++)
            if (!move[c]) cmin = CML_MIN(cmin, m->counts[c]);
        if (isfinite(cmin))
            for (int c = 0; c < k; c++)
                if (move[c]) m->counts[c] = cmin;
    }
    free(move);
    free(order);
    return CML_OK;
}

static cml_status mb_new(int k, int64_t p, cml_minibatch_kmeans **out)
{
    cml_minibatch_kmeans *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->f.k = k;
    m->f.p = p;
    m->f.centers = cml_alloc_array((int64_t)k * p, sizeof(double));
    m->counts = cml_calloc((size_t)k, sizeof(double));
    if (!m->f.centers || !m->counts) {
        cml_minibatch_kmeans_free(m);
        return CML_ERR_NOMEM;
    }
    *out = m;
    return CML_OK;
}

/* Labels and inertia of the whole X (sklearn's compute_labels=True). */
static cml_status final_labels(cml_minibatch_kmeans *m, const cml_matrix *X, const double *sw)
{
    int64_t n = X->rows;
    int64_t *labels = cml_alloc_array(n, sizeof(int64_t));
    double *w = cml_alloc_array(n, sizeof(double));
    if (!labels || !w) {
        free(labels);
        free(w);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < n; i++)
        w[i] = sw ? sw[i] : 1.0;
    cml_status st = km_assign(X->data, n, X->cols, X->ld, m->f.centers, (int)m->f.k, labels);
    if (st == CML_OK) {
        km_data d = {X->data, w, NULL, n, X->cols, X->ld};
        m->f.inertia = km_inertia(&d, m->f.centers, labels);
        free(m->f.labels);
        m->f.labels = labels;
        m->f.n = n;
        labels = NULL;
    }
    free(labels);
    free(w);
    return st;
}

static int64_t effective_init_size(const cml_minibatch_kmeans_params *p, int64_t n, int64_t batch)
{
    int64_t s = p->init_size > 0 ? p->init_size : 3 * batch;
    if (s < p->n_clusters) s = 3 * (int64_t)p->n_clusters;
    return CML_MIN(s, n);
}

/* ---------------------------------------------------------------- fit */

typedef struct ewa_state {
    double ewa, ewa_min;
    int have_ewa, have_min, no_improvement;
} ewa_state;

/* sklearn's _mini_batch_convergence. */
static int converged(const cml_minibatch_kmeans_params *p, ewa_state *e, int64_t step, int64_t n,
                     int64_t batch, double diff, double tol, double batch_inertia)
{
    batch_inertia /= (double)batch;
    if (step + 1 == 1) return 0;
    if (!e->have_ewa) {
        e->ewa = batch_inertia;
        e->have_ewa = 1;
    } else {
        double alpha = CML_MIN((double)batch * 2.0 / ((double)n + 1.0), 1.0);
        e->ewa = e->ewa * (1.0 - alpha) + batch_inertia * alpha;
    }
    if (tol > 0.0 && diff <= tol) return 1;
    if (!e->have_min || e->ewa < e->ewa_min) {
        e->no_improvement = 0;
        e->ewa_min = e->ewa;
        e->have_min = 1;
    } else {
        e->no_improvement++;
    }
    return p->max_no_improvement > 0 && e->no_improvement >= p->max_no_improvement;
}

cml_status cml_minibatch_kmeans_fit(const cml_minibatch_kmeans_params *p, const cml_matrix *X,
                                    const double *sw, cml_minibatch_kmeans **out)
{
    *out = NULL;
    const char *msg = cml_minibatch_kmeans_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "minibatch_kmeans: %s", msg);
    CML_CHECK(km_check_fit_inputs(X, sw, p->n_clusters));
    int k = p->n_clusters;
    int64_t n = X->rows, d = X->cols;
    int64_t batch = CML_MIN((int64_t)p->batch_size, n);
    int64_t init_size = effective_init_size(p, n, batch);
    double tol = km_tolerance(X->data, n, d, X->ld, p->tol);

    cml_status st;
    mb_ws ws;
    cml_minibatch_kmeans *m = NULL;
    double *cand = NULL, *valid_X = NULL, *valid_w = NULL, *prev = NULL;
    int64_t *valid_lab = NULL;
    CML_CHECK(mb_ws_init(&ws, CML_MAX(batch, init_size), d, k));
    CML_TRY(mb_new(k, d, &m));
    m->batch = batch;
    cml_rng_seed(&m->rng, (uint64_t)p->random_state);
    cand = cml_alloc_array((int64_t)k * d, sizeof(double));
    prev = cml_alloc_array((int64_t)k * d, sizeof(double));
    valid_X = cml_alloc_array(init_size * d, sizeof(double));
    valid_w = cml_alloc_array(init_size, sizeof(double));
    valid_lab = cml_alloc_array(init_size, sizeof(int64_t));
    if (!cand || !prev || !valid_X || !valid_w || !valid_lab) {
        st = CML_ERR_NOMEM;
        goto fail;
    }

    /* Validation subset judging the n_init seedings. */
    for (int64_t i = 0; i < init_size; i++)
        ws.idx[i] = (int64_t)cml_rng_below(&m->rng, (uint64_t)n);
    gather(X, sw, ws.idx, init_size, valid_X, valid_w);
    double best = INFINITY;
    for (int r = 0; r < p->n_init; r++) {
        double inertia;
        CML_TRY(seed_centers(p, X, init_size, &m->rng, &ws, cand));
        CML_TRY(labels_inertia(valid_X, valid_w, init_size, d, cand, k, valid_lab, &inertia));
        if (r == 0 || inertia < best) {
            best = inertia;
            memcpy(m->f.centers, cand, (size_t)(k * d) * sizeof(double));
        }
    }

    ewa_state e = {0};
    int64_t n_steps = ((int64_t)p->max_iter * n) / batch, i;
    for (i = 0; i < n_steps; i++) {
        for (int64_t b = 0; b < batch; b++)
            ws.idx[b] = (int64_t)cml_rng_below(&m->rng, (uint64_t)n);
        gather(X, sw, ws.idx, batch, ws.Xb, ws.wb);
        if (tol > 0.0) memcpy(prev, m->f.centers, (size_t)(k * d) * sizeof(double));
        double batch_inertia, diff = 0.0;
        CML_TRY(
            minibatch_step(m, &ws, batch, want_reassign(m), p->reassignment_ratio, &batch_inertia));
        if (tol > 0.0)
            for (int64_t t = 0; t < k * d; t++)
                diff += (m->f.centers[t] - prev[t]) * (m->f.centers[t] - prev[t]);
        if (converged(p, &e, i, n, batch, diff, tol, batch_inertia)) break;
    }
    m->n_steps = i < n_steps ? i + 1 : n_steps;
    m->f.n_iter = (int)ceil((double)(m->n_steps * batch) / (double)n);
    CML_TRY(final_labels(m, X, sw));
    *out = m;
    m = NULL;
fail:
    cml_minibatch_kmeans_free(m);
    mb_ws_free(&ws);
    free(cand);
    free(prev);
    free(valid_X);
    free(valid_w);
    free(valid_lab);
    return st;
}

cml_status cml_minibatch_kmeans_partial_fit(const cml_minibatch_kmeans_params *p,
                                            cml_minibatch_kmeans **mp, const cml_matrix *X,
                                            const double *sw)
{
    cml_minibatch_kmeans *m = *mp;
    int k = p->n_clusters;
    if (!m) {
        const char *msg = cml_minibatch_kmeans_params_check(p);
        if (msg) return cml_fail(CML_ERR_ARG, "minibatch_kmeans: %s", msg);
        CML_CHECK(km_check_fit_inputs(X, sw, k));
    } else {
        if (k != m->f.k)
            return cml_fail(CML_ERR_ARG,
                            "minibatch_kmeans: n_clusters=%d differs from the model's %lld", k,
                            (long long)m->f.k);
        CML_CHECK(km_check_X(&m->f, X));
        if (sw)
            for (int64_t i = 0; i < X->rows; i++)
                if (!isfinite(sw[i]) || sw[i] < 0)
                    return cml_fail(CML_ERR_ARG, "sample_weight[%lld] = %g; must be finite, >= 0",
                                    (long long)i, sw[i]);
    }
    int64_t n = X->rows, d = X->cols;
    cml_status st;
    mb_ws ws;
    cml_minibatch_kmeans *fresh = NULL;
    int64_t init_size = 0;
    if (!m) {
        int64_t batch = CML_MIN((int64_t)p->batch_size, n);
        init_size = effective_init_size(p, n, batch);
        CML_CHECK(mb_new(k, d, &fresh));
        fresh->batch = batch;
        cml_rng_seed(&fresh->rng, (uint64_t)p->random_state);
        m = fresh;
    }
    st = mb_ws_init(&ws, CML_MAX(n, init_size), d, k);
    if (st != CML_OK) {
        cml_minibatch_kmeans_free(fresh);
        return st;
    }
    if (fresh) CML_TRY(seed_centers(p, X, init_size, &m->rng, &ws, m->f.centers));
    for (int64_t i = 0; i < n; i++)
        ws.idx[i] = i;
    gather(X, sw, ws.idx, n, ws.Xb, ws.wb);
    double batch_inertia;
    CML_TRY(minibatch_step(m, &ws, n, want_reassign(m), p->reassignment_ratio, &batch_inertia));
    CML_TRY(final_labels(m, X, sw));
    m->n_steps++;
    m->f.n_iter = (int)CML_MIN(m->n_steps, INT32_MAX);
    *mp = m;
    fresh = NULL;
fail:
    cml_minibatch_kmeans_free(fresh);
    mb_ws_free(&ws);
    return st;
}

cml_status cml_minibatch_kmeans_predict(const cml_minibatch_kmeans *m, const cml_matrix *X,
                                        int64_t *labels)
{
    CML_CHECK(km_check_X(&m->f, X));
    return km_assign(X->data, X->rows, X->cols, X->ld, m->f.centers, (int)m->f.k, labels);
}

cml_status cml_minibatch_kmeans_transform(const cml_minibatch_kmeans *m, const cml_matrix *X,
                                          double *out)
{
    CML_CHECK(km_check_X(&m->f, X));
    return km_distances(X->data, X->rows, X->cols, X->ld, m->f.centers, (int)m->f.k, out);
}

const double *cml_minibatch_kmeans_centers(const cml_minibatch_kmeans *m)
{
    return m->f.centers;
}
const int64_t *cml_minibatch_kmeans_labels(const cml_minibatch_kmeans *m)
{
    return m->f.labels;
}
int64_t cml_minibatch_kmeans_n_samples(const cml_minibatch_kmeans *m)
{
    return m->f.n;
}
double cml_minibatch_kmeans_inertia(const cml_minibatch_kmeans *m)
{
    return m->f.inertia;
}
int cml_minibatch_kmeans_n_iter(const cml_minibatch_kmeans *m)
{
    return m->f.n_iter;
}
int64_t cml_minibatch_kmeans_n_steps(const cml_minibatch_kmeans *m)
{
    return m->n_steps;
}

void cml_minibatch_kmeans_free(cml_minibatch_kmeans *m)
{
    if (!m) return;
    km_fitted_clear(&m->f);
    free(m->counts);
    free(m);
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    cml_minibatch_kmeans *m;
    const cml_minibatch_kmeans_params *p = params;
    CML_CHECK(cml_minibatch_kmeans_fit(p, X, opts ? opts->sample_weight : NULL, &m));
    info->n_iter = m->f.n_iter;
    info->converged = m->f.n_iter < p->max_iter;
    info->objective = m->f.inertia;
    *state = m;
    return CML_OK;
}

static cml_status v_predict(const void *state, const cml_matrix *X, double *out)
{
    return km_predict_doubles(&((const cml_minibatch_kmeans *)state)->f, X, out);
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_minibatch_kmeans_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_minibatch_kmeans *)state)->f.p;
}

static int64_t v_n_cols(const void *state)
{
    return ((const cml_minibatch_kmeans *)state)->f.k;
}

/* Labels of the training rows: the vtable's labels() entry. */
static int64_t v_fit_labels(const void *state, const int64_t **labels)
{
    const cml_minibatch_kmeans *m = state;
    *labels = m->f.labels;
    return m->f.n;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_minibatch_kmeans *m = state;
    CML_CHECK(km_fitted_save(&m->f, w));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_steps", m->n_steps));
    return cml_gguf_add_f64(w, "counts", m->counts, 1, m->f.k);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    const cml_minibatch_kmeans_params *p = params;
    cml_minibatch_kmeans *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    cml_status st;
    CML_TRY(km_fitted_load(g, &m->f));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_steps", &m->n_steps));
    if (m->n_steps < 0) {
        st = cml_fail(CML_ERR_FORMAT, "%s: cml.fit.n_steps = %lld is negative", cml_gguf_name(g),
                      (long long)m->n_steps);
        goto fail;
    }
    m->counts = cml_alloc_array(m->f.k, sizeof(double));
    if (!m->counts) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "counts", 1, m->f.k, m->counts));
    m->batch = CML_MIN((int64_t)p->batch_size, m->f.n);
    cml_rng_seed(&m->rng, (uint64_t)p->random_state);
    *state = m;
    return CML_OK;
fail:
    cml_minibatch_kmeans_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_minibatch_kmeans *m = state;
    char extra[64];
    snprintf(extra, sizeof extra, "\"n_steps\":%lld", (long long)m->n_steps);
    return km_fitted_describe(&m->f, extra);
}

static void v_free(void *state)
{
    cml_minibatch_kmeans_free(state);
}

const cml_estimator cml_est_minibatch_kmeans = {
    .name = "mini_batch_kmeans",
    .aliases = "minibatch_kmeans",
    .summary = "mini-batch k-means clustering (Sculley 2010), sklearn's MiniBatchKMeans",
    .task = CML_TASK_CLUSTER,
    .schema_version = 1,
    .params = mbk_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_minibatch_kmeans_params),
    .allows_nan = 0,
    .fit = v_fit,
    .predict = v_predict,
    .transform = v_transform,
    .labels = v_fit_labels,
    .n_features_in = v_n_features,
    .n_transform_cols = v_n_cols,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
