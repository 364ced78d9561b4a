/*
 * dbscan.c — DBSCAN (scikit-learn 1.2's sklearn.cluster.DBSCAN).
 *
 * Ester, Kriegel, Sander & Xu, "A density-based algorithm for discovering
 * clusters in large spatial databases with noise" (KDD 1996). A point is a
 * core point when the (weighted) count of points within eps of it, itself
 * included, is >= min_samples; clusters are the connected components of core
 * points (linked when within eps) plus the non-core points within eps of one
 * of them; everything else is noise (-1).
 *
 * Labels match sklearn exactly: clusters are grown in sklearn's order
 * (_dbscan_inner.pyx: scan the points in index order, start a cluster at each
 * unlabelled core point, depth-first over core points' neighbourhoods), so a
 * border point reachable from two clusters goes to the one started first,
 * and cluster numbers are the same.
 *
 * Neighbourhoods: as sklearn's NearestNeighbors(radius=eps) with
 * algorithm='auto' (a KD-tree for euclidean / manhattan with n_features <=
 * 15, else brute force): region_query.c's grid of eps-wide cells in 1 to
 * 3 dimensions, the shared neighbour index (a KD-tree radius query per
 * point, in parallel) up to 15, and region_query.c's blocked brute force
 * through BLAS beyond and for cosine. Both compare the exact distance (squared, for euclidean) with
 * eps as sklearn's tree does. Neighbour order within a row does not change the labels: each cluster
 * is grown to completion before the next one starts. Complexity: O(n log n + pairs) for tree
 * queries in low dimensions (O(n^2 p) brute force), O(n + pairs) for the expansion; memory O(n +
 * pairs). Thread-safety: fit is reentrant; a fitted model is immutable.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cluster/region_query.h"
#include "cml/cluster.h"
#include "cml/model.h"
#include "cml/neighbors.h"
#include "core/internal.h"
#include "core/strbuf.h"

struct cml_dbscan {
    int64_t n, p;       /* training rows, features */
    int64_t n_core;     /* core samples */
    int64_t n_clusters; /* clusters found (labels 0..n_clusters-1) */
    int64_t *labels;    /* (n), -1 = noise */
    int64_t *core;      /* (n_core) ascending indices of core samples */
    double *components; /* (n_core, p) copies of the core samples */
};

#define P(field) offsetof(cml_dbscan_params, field)
static const cml_param_def dbscan_params[] = {
    {"eps", CML_PARAM_DOUBLE, "0.5", 0, HUGE_VAL, 1, NULL,
     "neighbourhood radius (distance <= eps), > 0", P(eps)},
    {"min_samples", CML_PARAM_INT, "5", 1, INT32_MAX, 0, NULL,
     "neighbours (itself included) that make a core point", P(min_samples)},
    {"metric", CML_PARAM_ENUM, "euclidean", 0, 0, 0, "euclidean|manhattan|cosine",
     "distance between points", P(metric)},
};
#undef P
#define N_PARAMS ((int)(sizeof dbscan_params / sizeof dbscan_params[0]))

cml_dbscan_params cml_dbscan_params_default(void)
{
    cml_dbscan_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(dbscan_params, N_PARAMS, &p);
    return p;
}

const char *cml_dbscan_params_check(const cml_dbscan_params *p)
{
    return cml_params_check(dbscan_params, N_PARAMS, p);
}

void cml_dbscan_free(cml_dbscan *m)
{
    if (!m) return;
    free(m->labels);
    free(m->core);
    free(m->components);
    free(m);
}

/* sklearn's dbscan_inner: depth-first expansion from each unlabelled core
 * point in index order; non-core points are labelled but not expanded. */
static cml_status expand_clusters(const rq_neighborhoods *nb, const char *is_core, int64_t *labels,
                                  int64_t *n_clusters)
{
    int64_t n = nb->n, label = 0;
    int64_t *stack = cml_alloc_array(CML_MAX(nb->indptr[n], 1), sizeof(int64_t));
    if (!stack) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        labels[i] = -1;
    for (int64_t s = 0; s < n; s++) {
        if (labels[s] != -1 || !is_core[s]) continue;
        int64_t top = 0, i = s;
        for (;;) {
            if (labels[i] == -1) {
                labels[i] = label;
                if (is_core[i])
                    for (int64_t t = nb->indptr[i]; t < nb->indptr[i + 1]; t++)
                        if (labels[nb->indices[t]] == -1) stack[top++] = nb->indices[t];
            }
            if (top == 0) break;
            i = stack[--top];
        }
        label++;
    }
    /* A point is pushed at most once per core neighbour, so the stack never
     * holds more than the number of neighbour pairs. */
    free(stack);
    *n_clusters = label;
    return CML_OK;
}

/* sklearn's NearestNeighbors 'auto' rule takes a tree up to this width. */
#define DBSCAN_TREE_MAX_FEATURES 15

/* Every row's eps-neighbourhood (itself included) as CSR. */
static cml_status neighborhoods(const cml_dbscan_params *p, const cml_matrix *X,
                                rq_neighborhoods *nb)
{
    if (p->metric == CML_DBSCAN_COSINE || X->cols > DBSCAN_TREE_MAX_FEATURES ||
        rq_grid_applies(X, (rq_metric)p->metric, p->eps))
        return rq_radius_neighbors(X, (rq_metric)p->metric, p->eps, nb);
    cml_nn_params np = cml_nn_params_default();
    np.algorithm = CML_NN_KD_TREE;
    np.metric = p->metric == CML_DBSCAN_MANHATTAN ? CML_NN_MANHATTAN : CML_NN_EUCLIDEAN;
    cml_nn_index *ix = NULL;
    cml_nn_radius_result *r = NULL;
    cml_status st;
    CML_TRY(cml_nn_index_build(&np, X, &ix));
    CML_TRY(cml_nn_index_radius_neighbors(ix, X, p->eps, &r));
    /* Take the CSR arrays over (both sides allocate with malloc). */
    nb->n = r->n_queries;
    nb->indptr = r->offsets;
    nb->indices = r->indices;
    r->offsets = r->indices = NULL;
fail:
    cml_nn_radius_result_free(r);
    cml_nn_index_free(ix);
    return st;
}

cml_status cml_dbscan_fit(const cml_dbscan_params *p, const cml_matrix *X,
                          const double *sample_weight, cml_dbscan **out)
{
    *out = NULL;
    const char *msg = cml_dbscan_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "dbscan: %s", msg);
    CML_CHECK(cml_matrix_check(X, "X", 0));
    int64_t n = X->rows, d = X->cols;
    if (sample_weight)
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(sample_weight[i]))
                return cml_fail(CML_ERR_ARG, "dbscan: sample_weight[%lld] is not finite",
                                (long long)i);

    cml_status st;
    rq_neighborhoods nb = {0};
    char *is_core = NULL;
    cml_dbscan *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->n = n;
    m->p = d;
    CML_TRY(neighborhoods(p, X, &nb));
    is_core = cml_calloc((size_t)n, 1);
    m->labels = cml_alloc_array(n, sizeof(int64_t));
    if (!is_core || !m->labels) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n; i++) {
        double count = 0.0;
        if (sample_weight) {
            for (int64_t t = nb.indptr[i]; t < nb.indptr[i + 1]; t++)
                count += sample_weight[nb.indices[t]];
        } else {
            count = (double)(nb.indptr[i + 1] - nb.indptr[i]);
        }
        is_core[i] = count >= (double)p->min_samples;
        m->n_core += is_core[i];
    }
    CML_TRY(expand_clusters(&nb, is_core, m->labels, &m->n_clusters));
    m->core = cml_alloc_array(CML_MAX(m->n_core, 1), sizeof(int64_t));
    m->components = cml_alloc_array(CML_MAX(m->n_core, 1) * d, sizeof(double));
    if (!m->core || !m->components) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0, c = 0; i < n; i++)
        if (is_core[i]) {
            m->core[c] = i;
            memcpy(m->components + c * d, X->data + i * X->ld, (size_t)d * sizeof(double));
            c++;
        }
    *out = m;
    m = NULL;
fail:
    rq_free(&nb);
    free(is_core);
    cml_dbscan_free(m);
    return st;
}

const int64_t *cml_dbscan_labels(const cml_dbscan *m)
{
    return m->labels;
}
int64_t cml_dbscan_n_samples(const cml_dbscan *m)
{
    return m->n;
}
int64_t cml_dbscan_n_clusters(const cml_dbscan *m)
{
    return m->n_clusters;
}
const int64_t *cml_dbscan_core_sample_indices(const cml_dbscan *m, int64_t *n)
{
    *n = m->n_core;
    return m->core;
}
const double *cml_dbscan_components(const cml_dbscan *m)
{
    return m->components;
}

/* ---------------------------------------------------------------- vtable */

/*
 * DBSCAN has no predict or transform in sklearn (new points are not
 * assigned), so those entries stay NULL and the generic layer answers
 * CML_ERR_UNSUPPORTED. Its result is the labels of the fitted rows, given
 * through the vtable's labels() entry (what `cml fit-transform` writes).
 */
static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    cml_dbscan *m;
    CML_CHECK(cml_dbscan_fit(params, X, opts ? opts->sample_weight : NULL, &m));
    info->n_iter = 0;
    info->converged = 1;
    *state = m;
    return CML_OK;
}

static int64_t v_fit_labels(const void *state, const int64_t **labels)
{
    const cml_dbscan *m = state;
    *labels = m->labels;
    return m->n;
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_dbscan *)state)->p;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_dbscan *m = state;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_samples", m->n));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->p));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_core", m->n_core));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_clusters", m->n_clusters));
    CML_CHECK(cml_gguf_add_i64(w, "labels", m->labels, m->n));
    if (m->n_core == 0) return CML_OK; /* no empty tensors */
    CML_CHECK(cml_gguf_add_i64(w, "core_sample_indices", m->core, m->n_core));
    return cml_gguf_add_f64(w, "components", m->components, m->n_core, m->p);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    (void)schema_version;
    cml_status st;
    cml_dbscan *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_samples", &m->n));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &m->p));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_core", &m->n_core));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_clusters", &m->n_clusters));
    if (m->n < 1 || m->p < 1 || m->n_core < 0 || m->n_core > m->n || m->n_clusters < 0 ||
        m->n_clusters > m->n || m->p > INT64_MAX / 8 / m->n) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad DBSCAN shape (n=%lld, p=%lld, n_core=%lld)",
                      cml_gguf_name(g), (long long)m->n, (long long)m->p, (long long)m->n_core);
        goto fail;
    }
    /* shapes before sizes: n, n_core and p must match tensors the file holds */
    CML_TRY(cml_gguf_expect(g, "labels", CML_GGUF_T_I64, 1, m->n));
    if (m->n_core > 0) {
        CML_TRY(cml_gguf_expect(g, "core_sample_indices", CML_GGUF_T_I64, 1, m->n_core));
        CML_TRY(cml_gguf_expect(g, "components", CML_GGUF_T_F64, m->n_core, m->p));
    }
    m->labels = cml_alloc_array(m->n, sizeof(int64_t));
    m->core = cml_alloc_array(CML_MAX(m->n_core, 1), sizeof(int64_t));
    m->components = cml_alloc_array(CML_MAX(m->n_core, 1) * m->p, sizeof(double));
    if (!m->labels || !m->core || !m->components) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_i64(g, "labels", m->n, m->labels));
    for (int64_t i = 0; i < m->n; i++)
        if (m->labels[i] < -1 || m->labels[i] >= m->n_clusters) {
            st = cml_fail(CML_ERR_FORMAT, "%s: DBSCAN label %lld out of range", cml_gguf_name(g),
                          (long long)m->labels[i]);
            goto fail;
        }
    if (m->n_core > 0) {
        CML_TRY(cml_gguf_read_i64(g, "core_sample_indices", m->n_core, m->core));
        CML_TRY(cml_gguf_read_f64(g, "components", m->n_core, m->p, m->components));
        for (int64_t c = 0; c < m->n_core; c++)
            if (m->core[c] < 0 || m->core[c] >= m->n) {
                st = cml_fail(CML_ERR_FORMAT, "%s: core sample index out of range",
                              cml_gguf_name(g));
                goto fail;
            }
    }
    *state = m;
    return CML_OK;
fail:
    cml_dbscan_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_dbscan *m = state;
    int64_t noise = 0;
    for (int64_t i = 0; i < m->n; i++)
        noise += m->labels[i] == -1;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb,
                  "{\"n_clusters\":%lld,\"n_core_samples\":%lld,\"n_noise\":%lld,"
                  "\"n_samples\":%lld,\"n_features_in\":%lld}",
                  (long long)m->n_clusters, (long long)m->n_core, (long long)noise, (long long)m->n,
                  (long long)m->p);
    return cml_sb_finish(&sb);
}

static void v_free(void *state)
{
    cml_dbscan_free(state);
}

const cml_estimator cml_est_dbscan = {
    .name = "dbscan",
    .aliases = "",
    .summary = "density-based clustering with noise (DBSCAN, Ester et al. 1996)",
    .task = CML_TASK_CLUSTER,
    .schema_version = 1,
    .params = dbscan_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_dbscan_params),
    .allows_nan = 0,
    .fit = v_fit,
    .predict = NULL,
    .labels = v_fit_labels,
    .n_features_in = v_n_features,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
