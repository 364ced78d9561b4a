/*
 * kmeans.c — KMeans (scikit-learn 1.2's sklearn.cluster.KMeans).
 *
 * Minimises the inertia sum_i w_i ||x_i - c_{l(i)}||^2 with n_init restarts
 * from greedy k-means++ (or random rows, or given centres) and keeps the run
 * with the lowest inertia, skipping a run whose clustering equals the best so
 * far up to a permutation (sklearn's _is_same_clustering rule). Data are
 * centred on their column means before clustering and the mean added back to
 * the centres, as sklearn does for accuracy. The iterations themselves are in
 * kmeans_core.c (Lloyd 1982; Elkan 2003).
 *
 * Defaults are sklearn 1.2's: n_init = 10 (1.4 changes it to "auto", i.e. 1
 * run for k-means++); random_state defaults to 0 here (sklearn: None, fresh
 * entropy) so that fits are reproducible.
 *
 * Complexity: O(n_init * max_iter * n * k * p) time, O(n * p) extra memory
 * (the centred copy) plus O(n * k) for Elkan's bounds.
 * Thread-safety: fit is reentrant; predict/transform read a const model.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cluster/kmeans_core.h"
#include "cml/cluster.h"
#include "cml/model.h"
#include "core/internal.h"

struct cml_kmeans {
    km_fitted f;
};

#define P(field) offsetof(cml_kmeans_params, field)
static const cml_param_def kmeans_params[] = {
    {"n_clusters", CML_PARAM_INT, "8", 1, INT32_MAX, 0, NULL, "number of clusters", P(n_clusters)},
    {"init", CML_PARAM_STRING, "k-means++", 0, 0, 0, NULL,
     "seeding: k-means++ (greedy, 2+ln(k) trials) or random rows", P(init)},
    {"n_init", CML_PARAM_INT, "10", 1, INT32_MAX, 0, NULL,
     "runs from different seeds; the lowest inertia wins (sklearn 1.2 default)", P(n_init)},
    {"max_iter", CML_PARAM_INT, "300", 1, INT32_MAX, 0, NULL, "iterations per run", P(max_iter)},
    {"tol", CML_PARAM_DOUBLE, "1e-4", 0, HUGE_VAL, 0, NULL,
     "stop when the squared centre shift <= tol * mean feature variance", P(tol)},
    {"algorithm", CML_PARAM_ENUM, "lloyd", 0, 0, 0, "lloyd|elkan",
     "lloyd (BLAS distances) or elkan (triangle-inequality bounds)", P(algorithm)},
    {"random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL, "seed of the random generator",
     P(random_state)},
};
#undef P
#define N_PARAMS ((int)(sizeof kmeans_params / sizeof kmeans_params[0]))

cml_kmeans_params cml_kmeans_params_default(void)
{
    cml_kmeans_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(kmeans_params, N_PARAMS, &p);
    return p;
}

const char *cml_kmeans_params_check(const cml_kmeans_params *p)
{
    const char *msg = cml_params_check(kmeans_params, N_PARAMS, p);
    if (msg) return msg;
    if (strcmp(p->init, "k-means++") != 0 && strcmp(p->init, "random") != 0)
        return "init must be \"k-means++\" or \"random\" (explicit centres: cml_kmeans_fit_from)";
    return NULL;
}

static cml_status kmeans_fit_impl(const cml_kmeans_params *p, const cml_matrix *X, const double *sw,
                                  const cml_matrix *init, cml_kmeans **out)
{
    *out = NULL;
    const char *msg = cml_kmeans_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "kmeans: %s", msg);
    CML_CHECK(km_check_fit_inputs(X, sw, p->n_clusters));
    int k = p->n_clusters;
    int64_t n = X->rows, d = X->cols;
    if (init) {
        CML_CHECK(cml_matrix_check(init, "init centres", 0));
        if (init->rows != k || init->cols != d)
            return cml_fail(CML_ERR_ARG,
                            "init centres have shape (%lld, %lld); expected (n_clusters=%d, "
                            "n_features=%lld)",
                            (long long)init->rows, (long long)init->cols, k, (long long)d);
    }

    cml_status st = CML_OK;
    double *Xc = NULL, *w = NULL, *xsq = NULL, *cand = NULL;
    int64_t *labels = NULL;
    cml_kmeans *m = cml_calloc(1, sizeof *m);
    double *mean = cml_alloc_array(d, sizeof(double));
    if (!m || !mean) goto nomem;
    m->f.k = k;
    m->f.p = d;
    m->f.n = n;
    m->f.centers = cml_alloc_array(k * d, sizeof(double));
    m->f.labels = cml_alloc_array(n, sizeof(int64_t));
    cand = cml_alloc_array(k * d, sizeof(double));
    labels = cml_alloc_array(n, sizeof(int64_t));
    w = cml_alloc_array(n, sizeof(double));
    xsq = cml_alloc_array(n, sizeof(double));
    if (!m->f.centers || !m->f.labels || !cand || !labels || !w || !xsq) goto nomem;
    CML_TRY(km_center_copy(X, &Xc, mean, xsq));
    for (int64_t i = 0; i < n; i++)
        w[i] = sw ? sw[i] : 1.0;
    double tol = km_tolerance_centred(xsq, n, d, p->tol);
    km_data data = {Xc, w, xsq, n, d, d};

    cml_rng rng;
    cml_rng_seed(&rng, (uint64_t)p->random_state);
    int runs = init ? 1 : p->n_init;
    int have_best = 0;
    for (int r = 0; r < runs; r++) {
        if (init) {
            for (int c = 0; c < k; c++)
                for (int64_t j = 0; j < d; j++)
                    cand[c * d + j] = init->data[c * init->ld + j] - mean[j];
        } else if (strcmp(p->init, "random") == 0) {
            CML_TRY(km_init_random(&data, k, &rng, cand));
        } else {
            CML_TRY(km_init_plusplus(&data, k, &rng, cand));
        }
        double inertia;
        int n_iter;
        CML_TRY(km_run(&data, k, p->algorithm == CML_KMEANS_ELKAN ? KM_ELKAN : KM_LLOYD,
                       p->max_iter, tol, cand, labels, &inertia, &n_iter));
        /* sklearn keeps a later run only if it is strictly better and not
         * the same partition (rounding can make a relabelled copy "better"). */
        if (!have_best ||
            (inertia < m->f.inertia && !km_same_clustering(labels, m->f.labels, n, k))) {
            have_best = 1;
            m->f.inertia = inertia;
            m->f.n_iter = n_iter;
            memcpy(m->f.centers, cand, (size_t)(k * d) * sizeof(double));
            memcpy(m->f.labels, labels, (size_t)n * sizeof(int64_t));
        }
    }
    for (int c = 0; c < k; c++)
        for (int64_t j = 0; j < d; j++)
            m->f.centers[c * d + j] += mean[j];
    {
        int distinct = 0;
        char *seen = cml_calloc((size_t)k, 1);
        if (seen) {
            for (int64_t i = 0; i < n; i++)
                if (!seen[m->f.labels[i]]) seen[m->f.labels[i]] = 1, distinct++;
            if (distinct < k)
                cml_log(CML_LOG_WARN,
                        "kmeans: %d distinct clusters found, fewer than n_clusters=%d (duplicate "
                        "points in X?)",
                        distinct, k);
            free(seen);
        }
    }
    *out = m;
    m = NULL;
    goto done;
nomem:
    st = CML_ERR_NOMEM;
fail:
done:
    cml_kmeans_free(m);
    free(mean);
    free(Xc);
    free(w);
    free(xsq);
    free(cand);
    free(labels);
    return st;
}

cml_status cml_kmeans_fit(const cml_kmeans_params *p, const cml_matrix *X,
                          const double *sample_weight, cml_kmeans **out)
{
    return kmeans_fit_impl(p, X, sample_weight, NULL, out);
}

cml_status cml_kmeans_fit_from(const cml_kmeans_params *p, const cml_matrix *X,
                               const double *sample_weight, const cml_matrix *init_centers,
                               cml_kmeans **out)
{
    if (!init_centers) {
        *out = NULL;
        return cml_fail(CML_ERR_ARG, "kmeans: init_centers is NULL");
    }
    return kmeans_fit_impl(p, X, sample_weight, init_centers, out);
}

cml_status cml_kmeans_predict(const cml_kmeans *m, const cml_matrix *X, int64_t *labels)
{
    CML_CHECK(km_check_X(&m->f, X));
    return km_assign(X->data, X->rows, X->cols, X->ld, m->f.centers, (int)m->f.k, labels);
}

cml_status cml_kmeans_transform(const cml_kmeans *m, const cml_matrix *X, double *out)
{
    CML_CHECK(km_check_X(&m->f, X));
    return km_distances(X->data, X->rows, X->cols, X->ld, m->f.centers, (int)m->f.k, out);
}

const double *cml_kmeans_centers(const cml_kmeans *m)
{
    return m->f.centers;
}
const int64_t *cml_kmeans_labels(const cml_kmeans *m)
{
    return m->f.labels;
}
int64_t cml_kmeans_n_samples(const cml_kmeans *m)
{
    return m->f.n;
}
int64_t cml_kmeans_n_clusters(const cml_kmeans *m)
{
    return m->f.k;
}
int64_t cml_kmeans_n_features(const cml_kmeans *m)
{
    return m->f.p;
}
double cml_kmeans_inertia(const cml_kmeans *m)
{
    return m->f.inertia;
}
int cml_kmeans_n_iter(const cml_kmeans *m)
{
    return m->f.n_iter;
}

void cml_kmeans_free(cml_kmeans *m)
{
    if (!m) return;
    km_fitted_clear(&m->f);
    free(m);
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y; /* clustering ignores y, as sklearn */
    cml_kmeans *m;
    const cml_kmeans_params *p = params;
    CML_CHECK(cml_kmeans_fit(p, X, opts ? opts->sample_weight : NULL, &m));
    info->n_iter = m->f.n_iter;
    info->converged = m->f.n_iter < p->max_iter;
    info->objective = m->f.inertia;
    *state = m;
    return CML_OK;
}

static cml_status v_predict(const void *state, const cml_matrix *X, double *out)
{
    return km_predict_doubles(&((const cml_kmeans *)state)->f, X, out);
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_kmeans_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_kmeans *)state)->f.p;
}

static int64_t v_n_cols(const void *state)
{
    return ((const cml_kmeans *)state)->f.k;
}

/* Labels of the training rows: the vtable's labels() entry. */
static int64_t v_fit_labels(const void *state, const int64_t **labels)
{
    const cml_kmeans *m = state;
    *labels = m->f.labels;
    return m->f.n;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    return km_fitted_save(&((const cml_kmeans *)state)->f, w);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    (void)schema_version;
    cml_kmeans *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    cml_status st = km_fitted_load(g, &m->f);
    if (st != CML_OK) {
        free(m);
        return st;
    }
    *state = m;
    return CML_OK;
}

static char *v_describe(const void *state)
{
    return km_fitted_describe(&((const cml_kmeans *)state)->f, NULL);
}

static void v_free(void *state)
{
    cml_kmeans_free(state);
}

const cml_estimator cml_est_kmeans = {
    .name = "kmeans",
    .aliases = "k_means",
    .summary = "k-means clustering (Lloyd or Elkan, greedy k-means++ seeding)",
    .task = CML_TASK_CLUSTER,
    .schema_version = 1,
    .params = kmeans_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_kmeans_params),
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
