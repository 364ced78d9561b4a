/*
 * knn.c — k-nearest-neighbours classifier and regressor (shared code; the
 * two estimator entries are knn_classifier.c and knn_regressor.c).
 *
 * Model: keep the training rows; for a query, take its k nearest rows
 * N(q) (cml_nn_index) with weights w_i = 1 (uniform) or 1/dist_i
 * (distance; if some dist_i == 0, those rows get weight 1 and the others 0,
 * as sklearn's _get_weights). Then
 *   classifier: P(c | q) = sum_{i in N(q), y_i = c} w_i / sum_i w_i,
 *               prediction = the class of largest vote, ties to the smallest
 *               class (scipy.stats.mode / sklearn's weighted_mode);
 *   regressor:  yhat = sum_i w_i y_i / sum_i w_i.
 * Sums follow numpy's pairwise order (cml_np_sum) and predict_proba's
 * column-by-column accumulation, so values equal scikit-learn 1.2's bit for
 * bit whenever the neighbour lists are equal.
 *
 * Cost: one index query (see index.c / tree.c) plus O(nq k C).
 * Thread-safety: the fitted model is read-only; scratch is per call.
 */
#include <float.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "cml/model.h"
#include "core/strbuf.h"
#include "neighbors/knn_internal.h"
#include "neighbors/labels.h"

const cml_param_def cml_knn_param_defs[CML_KNN_N_PARAMS] = {
    {"n_neighbors", CML_PARAM_INT, "5", 1, INT_MAX, 0, NULL, "number of neighbours k",
     offsetof(cml_knn_params, n_neighbors)},
    {"weights", CML_PARAM_ENUM, "uniform", 0, 0, 0, "uniform|distance",
     "neighbour weights: equal, or 1/distance", offsetof(cml_knn_params, weights)},
    {"algorithm", CML_PARAM_ENUM, "auto", 0, 0, 0, "auto|ball_tree|kd_tree|brute",
     "search structure; auto follows scikit-learn's rule", offsetof(cml_knn_params, algorithm)},
    {"leaf_size", CML_PARAM_INT, "30", 1, INT_MAX, 0, NULL, "tree leaf size (speed only)",
     offsetof(cml_knn_params, leaf_size)},
    {"p", CML_PARAM_DOUBLE, "2", 1, DBL_MAX, 0, NULL,
     "minkowski power (1 = manhattan, 2 = euclidean)", offsetof(cml_knn_params, p)},
    {"metric", CML_PARAM_ENUM, "minkowski", 0, 0, 0, "minkowski|euclidean|manhattan|cosine",
     "distance metric (cosine: brute force only)", offsetof(cml_knn_params, metric)},
};
const int cml_knn_n_param_defs = CML_KNN_N_PARAMS;

struct cml_knn {
    cml_knn_params params;
    int classifier;
    int64_t n, d;
    cml_nn_index *index;
    double *y;      /* (n) regressor targets, or NULL */
    int32_t *codes; /* (n) classifier: class index of each row, or NULL */
    double *classes;
    int64_t n_classes;
};

cml_knn_params cml_knn_params_default(void)
{
    cml_knn_params p;
    cml_params_init(cml_knn_param_defs, cml_knn_n_param_defs, &p);
    return p;
}

static cml_nn_params index_params(const cml_knn_params *p)
{
    cml_nn_params q = cml_nn_params_default();
    q.algorithm = (cml_nn_algorithm)p->algorithm;
    q.leaf_size = p->leaf_size;
    q.metric = (cml_nn_metric)p->metric;
    q.p = p->p;
    q.n_neighbors = p->n_neighbors;
    return q;
}

const char *cml_knn_params_check(const cml_knn_params *p)
{
    const char *msg = cml_params_check(cml_knn_param_defs, cml_knn_n_param_defs, p);
    if (msg) return msg;
    cml_nn_params q = index_params(p);
    return cml_nn_params_check(&q);
}

void cml_knn_free(cml_knn *m)
{
    if (!m) return;
    cml_nn_index_free(m->index);
    free(m->y);
    free(m->codes);
    free(m->classes);
    free(m);
}

/* Takes ownership of nothing; on success *out holds copies of X and y. */
static cml_status knn_fit(const cml_knn_params *p, const cml_matrix *X, const double *y,
                          int classifier, cml_knn **out)
{
    *out = NULL;
    const char *msg = cml_knn_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "k_neighbors: %s", msg);
    /* shape only: the index build rejects non-finite X in its copy pass */
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (!y) return cml_fail(CML_ERR_ARG, "k_neighbors: y is NULL");
    for (int64_t i = 0; i < X->rows; i++)
        if (!isfinite(y[i]))
            return cml_fail(CML_ERR_ARG, "k_neighbors: y row %lld is not finite", (long long)i + 1);
    if (p->n_neighbors > X->rows)
        return cml_fail(CML_ERR_ARG,
                        "k_neighbors: n_neighbors = %d is larger than the %lld training rows. "
                        "HINT: lower n_neighbors",
                        p->n_neighbors, (long long)X->rows);
    cml_knn *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    m->params = *p;
    m->classifier = classifier;
    m->n = X->rows;
    m->d = X->cols;
    if (classifier) {
        m->codes = cml_alloc_array(m->n, sizeof(int32_t));
        if (!m->codes) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(cml_labels_encode(y, m->n, &m->classes, &m->n_classes, m->codes));
    } else {
        m->y = cml_alloc_array(m->n, sizeof(double));
        if (!m->y) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        memcpy(m->y, y, (size_t)m->n * sizeof(double));
    }
    cml_nn_params q = index_params(p);
    CML_TRY(cml_nn_index_build(&q, X, &m->index));
    *out = m;
    return CML_OK;
fail:
    cml_knn_free(m);
    return st;
}

cml_status cml_knn_classifier_fit(const cml_knn_params *p, const cml_matrix *X, const double *y,
                                  cml_knn **out)
{
    return knn_fit(p, X, y, 1, out);
}

cml_status cml_knn_regressor_fit(const cml_knn_params *p, const cml_matrix *X, const double *y,
                                 cml_knn **out)
{
    return knn_fit(p, X, y, 0, out);
}

int cml_knn_is_classifier(const cml_knn *m)
{
    return m->classifier;
}
int64_t cml_knn_n_classes(const cml_knn *m)
{
    return m->classifier ? m->n_classes : 0;
}
const double *cml_knn_classes(const cml_knn *m)
{
    return m->classes;
}
const cml_nn_index *cml_knn_index(const cml_knn *m)
{
    return m->index;
}

cml_status cml_knn_kneighbors(const cml_knn *m, const cml_matrix *X, int64_t k, double *dist,
                              int64_t *idx)
{
    return cml_nn_index_kneighbors(m->index, X, k, dist, idx);
}

/* ---------------------------------------------------------------- predict */

/* Neighbours of X and their weights (sklearn's _get_weights). *w is NULL
 * for uniform weights. Caller frees *idx and *w. */
static cml_status neighbours_weights(const cml_knn *m, const cml_matrix *X, int64_t **idx,
                                     double **w)
{
    int64_t k = m->params.n_neighbors, nq = X->rows;
    *idx = NULL;
    *w = NULL;
    if (X->cols != m->d)
        return cml_fail(CML_ERR_ARG,
                        "k_neighbors: X has %lld features, but the model was fitted "
                        "with %lld",
                        (long long)X->cols, (long long)m->d);
    double *dist = cml_alloc_array(nq * k, sizeof(double));
    int64_t *ind = cml_alloc_array(nq * k, sizeof(int64_t));
    if (!dist || !ind) {
        free(dist);
        free(ind);
        return CML_ERR_NOMEM;
    }
    cml_status st = cml_nn_index_kneighbors(m->index, X, k, dist, ind);
    if (st != CML_OK) {
        free(dist);
        free(ind);
        return st;
    }
    if (m->params.weights == CML_KNN_DISTANCE) {
        for (int64_t q = 0; q < nq; q++) {
            double *r = dist + q * k;
            int any_inf = 0;
            for (int64_t a = 0; a < k; a++) {
                r[a] = 1.0 / r[a];
                any_inf |= isinf(r[a]);
            }
            if (any_inf) /* exact matches vote alone */
                for (int64_t a = 0; a < k; a++)
                    r[a] = isinf(r[a]) ? 1.0 : 0.0;
        }
        *w = dist;
    } else {
        free(dist);
    }
    *idx = ind;
    return CML_OK;
}

/* Vote shares (rows, C) as sklearn's predict_proba. */
static void proba_rows(const cml_knn *m, int64_t nq, const int64_t *idx, const double *w,
                       double *out)
{
    int64_t k = m->params.n_neighbors, C = m->n_classes;
    for (int64_t q = 0; q < nq; q++) {
        double *o = out + q * C;
        for (int64_t c = 0; c < C; c++)
            o[c] = 0.0;
        for (int64_t a = 0; a < k; a++)
            o[m->codes[idx[q * k + a]]] += w ? w[q * k + a] : 1.0;
        double norm = cml_np_sum(o, C);
        if (norm == 0.0) norm = 1.0;
        for (int64_t c = 0; c < C; c++)
            o[c] /= norm;
    }
}

cml_status cml_knn_predict_proba(const cml_knn *m, const cml_matrix *X, double *out)
{
    if (!m->classifier)
        return cml_fail(CML_ERR_UNSUPPORTED, "k_neighbors_regressor has no predict_proba");
    int64_t *idx;
    double *w;
    CML_CHECK(neighbours_weights(m, X, &idx, &w));
    proba_rows(m, X->rows, idx, w, out);
    free(idx);
    free(w);
    return CML_OK;
}

cml_status cml_knn_predict(const cml_knn *m, const cml_matrix *X, double *out)
{
    int64_t *idx;
    double *w;
    CML_CHECK(neighbours_weights(m, X, &idx, &w));
    int64_t k = m->params.n_neighbors, nq = X->rows, C = m->n_classes;
    double *tmp = cml_alloc_array(CML_MAX(k, C), sizeof(double));
    double *votes = m->classifier ? cml_alloc_array(C, sizeof(double)) : NULL;
    cml_status st = CML_OK;
    if (!tmp || (m->classifier && !votes)) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    for (int64_t q = 0; q < nq; q++) {
        const int64_t *nb = idx + q * k;
        const double *wq = w ? w + q * k : NULL;
        if (!m->classifier) {
            /* uniform: np.mean; distance: np.sum(y w) / np.sum(w) */
            for (int64_t a = 0; a < k; a++)
                tmp[a] = wq ? m->y[nb[a]] * wq[a] : m->y[nb[a]];
            double num = cml_np_sum(tmp, k);
            out[q] = wq ? num / cml_np_sum(wq, k) : num / (double)k;
            continue;
        }
        if (!wq) { /* scipy.stats.mode: counts, smallest class among ties */
            for (int64_t c = 0; c < C; c++)
                votes[c] = 0.0;
            for (int64_t a = 0; a < k; a++)
                votes[m->codes[nb[a]]] += 1.0;
        } else { /* weighted_mode: np.sum over a masked copy of the weights */
            for (int64_t c = 0; c < C; c++) {
                for (int64_t a = 0; a < k; a++)
                    tmp[a] = m->codes[nb[a]] == c ? wq[a] : 0.0;
                votes[c] = cml_np_sum(tmp, k);
            }
        }
        int64_t best = 0;
        for (int64_t c = 1; c < C; c++)
            if (votes[c] > votes[best]) best = c;
        out[q] = m->classes[best];
    }
done:
    free(tmp);
    free(votes);
    free(idx);
    free(w);
    return st;
}

/* ---------------------------------------------------------------- vtable glue */

cml_status cml_knn_vt_fit(const void *params, const cml_matrix *X, const double *y,
                          const cml_fit_opts *opts, void **state, cml_fit_info *info,
                          int classifier)
{
    (void)info;
    if (opts && opts->sample_weight)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "k_neighbors does not take sample weights (as in scikit-learn)");
    cml_knn *m;
    CML_CHECK(knn_fit(params, X, y, classifier, &m));
    *state = m;
    return CML_OK;
}

cml_status cml_knn_vt_predict(const void *state, const cml_matrix *X, double *out)
{
    return cml_knn_predict(state, X, out);
}

cml_status cml_knn_vt_predict_proba(const void *state, const cml_matrix *X, double *out)
{
    return cml_knn_predict_proba(state, X, out);
}

int64_t cml_knn_vt_classes(const void *state, const double **classes)
{
    const cml_knn *m = state;
    *classes = m->classes;
    return m->n_classes;
}

int64_t cml_knn_vt_n_features_in(const void *state)
{
    return ((const cml_knn *)state)->d;
}

void cml_knn_vt_free(void *state)
{
    cml_knn_free(state);
}

/* Saved: the training rows (tensor fit_X, original order) and targets
 * (classes + y_codes, or y); the index is rebuilt on load, which is
 * deterministic, so predictions after load are bit-identical. */
cml_status cml_knn_vt_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_knn *m = state;
    double *rows = cml_alloc_array(m->n * m->d, sizeof(double));
    if (!rows) return CML_ERR_NOMEM;
    nn_index_rows(m->index, rows);
    cml_status st = cml_gguf_add_f64(w, "fit_X", rows, m->n, m->d);
    free(rows);
    CML_CHECK(st);
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_samples", m->n));
    if (m->classifier) {
        CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", m->n_classes));
        CML_CHECK(cml_gguf_add_f64(w, "classes", m->classes, 1, m->n_classes));
        return cml_gguf_add_i32(w, "y_codes", m->codes, m->n);
    }
    return cml_gguf_add_f64(w, "y", m->y, 1, m->n);
}

cml_status cml_knn_vt_load(const cml_gguf *g, const void *params, int schema_version, void **state,
                           int classifier)
{
    (void)schema_version;
    const cml_knn_params *p = params;
    *state = NULL;
    int64_t n, dims[CML_GGUF_MAX_DIMS];
    int nd;
    const void *data;
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_samples", &n));
    CML_CHECK(cml_gguf_get_tensor(g, "fit_X", CML_GGUF_T_F64, &data, &nd, dims));
    if (nd != 2 || dims[1] != n || n < 1 || dims[0] < 1 || n < p->n_neighbors)
        return cml_fail(CML_ERR_FORMAT, "%s: tensor fit_X has a bad shape for %lld samples",
                        cml_gguf_name(g), (long long)n);
    cml_matrix X = cml_matrix_view(data, n, dims[0]);
    double *y = cml_alloc_array(n, sizeof(double));
    if (!y) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    cml_knn *m = NULL;
    if (classifier) {
        int64_t C;
        double *classes = NULL;
        int32_t *codes = cml_alloc_array(n, sizeof(int32_t));
        st = codes ? CML_OK : CML_ERR_NOMEM;
        if (st == CML_OK) st = cml_gguf_get_i64(g, "cml.fit.n_classes", &C);
        if (st == CML_OK && (C < 1 || C > n))
            st = cml_fail(CML_ERR_FORMAT, "%s: bad class count %lld", cml_gguf_name(g),
                          (long long)C);
        if (st == CML_OK) {
            classes = cml_alloc_array(C, sizeof(double));
            st = classes ? CML_OK : CML_ERR_NOMEM;
        }
        if (st == CML_OK) st = cml_gguf_read_f64(g, "classes", 1, C, classes);
        if (st == CML_OK) st = cml_gguf_read_i32(g, "y_codes", n, codes);
        for (int64_t i = 0; st == CML_OK && i < n; i++) {
            if (codes[i] < 0 || codes[i] >= C)
                st = cml_fail(CML_ERR_FORMAT, "%s: y_codes[%lld] out of range", cml_gguf_name(g),
                              (long long)i);
            else
                y[i] = classes[codes[i]];
        }
        for (int64_t c = 1; st == CML_OK && c < C; c++)
            if (!(classes[c] > classes[c - 1]))
                st = cml_fail(CML_ERR_FORMAT, "%s: classes not ascending", cml_gguf_name(g));
        free(classes);
        free(codes);
    } else {
        st = cml_gguf_read_f64(g, "y", 1, n, y);
    }
    if (st == CML_OK) st = knn_fit(p, &X, y, classifier, &m);
    free(y);
    if (st != CML_OK)
        return st == CML_ERR_ARG ? cml_fail_context(CML_ERR_FORMAT, "%s", cml_gguf_name(g)) : st;
    *state = m;
    return CML_OK;
}

char *cml_knn_vt_describe(const void *state)
{
    static const char *algos[] = {"auto", "ball_tree", "kd_tree", "brute"};
    const cml_knn *m = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb, "{\"n_samples_fit\":%lld,\"fit_method\":\"%s\"", (long long)m->n,
                  algos[cml_nn_index_algorithm(m->index)]);
    if (m->classifier) {
        cml_sb_puts(&sb, ",\"classes\":");
        cml_sb_json_arr(&sb, m->classes, m->n_classes);
    }
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}
