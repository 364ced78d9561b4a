/*
 * gbm_model.c — the fitted boosted ensemble: a flat array of 16-byte nodes
 * (threshold or leaf value, left child, feature + default-direction bit;
 * the right child is left + 1), prediction, feature importances, tree
 * access, save / load (GGUF) and describe.
 *
 * Prediction: margin(x)_k = base_margin + sum over trees t of output k of
 * leaf_t(x); a split sends x left iff x_f < threshold, NaN to its default
 * side; a categorical split sends x right iff its category is in the
 * split's set (catset_goes_left, XGBoost's rule). The walk itself is in
 * gbm_walk.c (blocks of rows, AVX-512 where the CPU has it); blocks run in
 * parallel and each row's sum runs in tree order, so results do not depend
 * on the thread count or the variant.
 *
 * Complexity: predict O(rows * trees * depth). Thread-safety: everything
 * here reads a const model; predict allocates nothing shared.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "core/strbuf.h"
#include "ensemble/gbm_internal.h"
#include "ensemble/gbm_walk.h"

static const char *OBJ_NAMES[] = {"reg:squarederror",  "reg:absoluteerror", "reg:pseudohubererror",
                                  "reg:quantileerror", "count:poisson",     "binary:logistic",
                                  "multi:softprob"};
#define N_OBJ ((int)(sizeof OBJ_NAMES / sizeof OBJ_NAMES[0]))

const char *gbm_objective_name(cml_gbm_objective o)
{
    return (int)o >= 0 && (int)o < N_OBJ ? OBJ_NAMES[o] : "?";
}

/* ---------------------------------------------------------------- building */

static void set_leaf(cml_gbm *m, int64_t j, double value)
{
    m->nodes[j].value = INFINITY;
    m->nodes[j].left = (int32_t)j;
    m->nodes[j].feature = GBM_DEFAULT_LEFT;
    m->leaf[j] = value;
}

/* cat = 1: thr is the offset of the node's set in m->cat_sets. */
static void set_split(cml_gbm *m, int64_t j, int64_t f, double thr, int dl, int cat, int64_t left)
{
    m->nodes[j].value = thr;
    m->nodes[j].left = (int32_t)left;
    m->nodes[j].feature = (uint32_t)f | (dl ? GBM_DEFAULT_LEFT : 0u) | (cat ? GBM_CATEGORICAL : 0u);
    m->leaf[j] = 0.0;
}

/* Room for n more words of category sets. */
static cml_status catset_reserve(cml_gbm *m, int64_t n)
{
    if (m->n_cat_words + n <= m->cat_cap) return CML_OK;
    int64_t cap = CML_MAX(2 * m->cat_cap, m->n_cat_words + n + 256);
    uint32_t *w = cml_realloc(m->cat_sets, (size_t)cap * sizeof *w);
    if (!w) return CML_ERR_NOMEM;
    m->cat_sets = w;
    m->cat_cap = cap;
    return CML_OK;
}

static inline int is_leaf(const gbm_node *nodes, int64_t j)
{
    return nodes[j].left == j;
}

cml_status gbm_model_add_tree(cml_gbm *m, const gbm_tree *t)
{
    int64_t base = m->n_trees ? m->tree_ptr[m->n_trees] : 0;
    if (base + t->n > INT32_MAX)
        return cml_fail(CML_ERR_ARG, "gbm: the ensemble exceeds 2^31 nodes. HINT: lower "
                                     "n_estimators or max_depth");
    if (m->n_trees + 1 >= m->trees_cap) {
        int cap = m->trees_cap ? 2 * m->trees_cap : 128;
        int64_t *tp = cml_realloc(m->tree_ptr, (size_t)(cap + 1) * sizeof *tp);
        if (tp) m->tree_ptr = tp;
        int32_t *dp = cml_realloc(m->depth, (size_t)(cap + 1) * sizeof *dp);
        if (dp) m->depth = dp;
        if (!tp || !dp) return CML_ERR_NOMEM;
        m->trees_cap = cap;
        if (m->n_trees == 0) m->tree_ptr[0] = 0;
    }
    if (base + t->n > m->node_cap) {
        int64_t cap = CML_MAX(2 * m->node_cap, base + t->n + 1024);
        gbm_node *nn = cml_realloc(m->nodes, (size_t)cap * sizeof *nn);
        if (nn) m->nodes = nn;
        double *ga = cml_realloc(m->gain, (size_t)cap * sizeof *ga);
        if (ga) m->gain = ga;
        double *co = cml_realloc(m->cover, (size_t)cap * sizeof *co);
        if (co) m->cover = co;
        double *lv = cml_realloc(m->leaf, (size_t)cap * sizeof *lv);
        if (lv) m->leaf = lv;
        if (!nn || !ga || !co || !lv) return CML_ERR_NOMEM;
        m->node_cap = cap;
    }
    CML_CHECK(catset_reserve(m, t->n_words));
    int32_t depth = 0;
    for (int j = 0; j < t->n; j++) {
        const gbm_tnode *s = &t->nodes[j];
        if (s->feature >= 0 && s->cat_off >= 0) {
            const uint32_t *set = t->cat_words + s->cat_off;
            const int64_t off = m->n_cat_words;
            memcpy(m->cat_sets + off, set, (size_t)(set[0] + 1) * sizeof *set);
            m->n_cat_words += set[0] + 1;
            m->n_cat_nodes++;
            set_split(m, base + j, s->feature, (double)off, s->default_left, 1, base + s->left);
        } else if (s->feature >= 0)
            set_split(m, base + j, s->feature, s->thr, s->default_left, 0, base + s->left);
        else
            set_leaf(m, base + j, s->value);
        m->gain[base + j] = s->feature >= 0 ? s->gain : 0.0;
        m->cover[base + j] = s->H;
        depth = CML_MAX(depth, s->depth);
    }
    m->depth[m->n_trees] = depth;
    m->n_trees++;
    m->tree_ptr[m->n_trees] = base + t->n;
    return CML_OK;
}

void gbm_model_truncate(cml_gbm *m, int n_rounds)
{
    if (n_rounds >= m->n_rounds) return;
    m->n_rounds = n_rounds;
    m->n_trees = n_rounds * m->obj.n_outputs;
}

/* ---------------------------------------------------------------- predict */

void gbm_model_add_tree_margin(const cml_gbm *m, int t, const cml_matrix *X, double *margin)
{
    const int K = m->obj.n_outputs, k = t % K, depth = m->depth[t];
    const int32_t root = (int32_t)m->tree_ptr[t];
    const int cat = m->n_cat_nodes > 0;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (X->rows > 16384)
    for (int64_t i = 0; i < X->rows; i++) {
        int32_t j = root;
        const double *x = X->data + i * X->ld;
        for (int d = 0; d < depth; d++)
            j = cat ? gbm_walk_step_cat(m, &m->nodes[j], x) : gbm_walk_step(&m->nodes[j], x);
        margin[i * K + k] += m->leaf[j];
    }
}

static cml_status check_shape(const cml_gbm *m, const cml_matrix *X)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (X->cols != m->n_features)
        return cml_fail(CML_ERR_ARG, "gbm: X has %lld features, but the model was fitted with %lld",
                        (long long)X->cols, (long long)m->n_features);
    return CML_OK;
}

/* First row of X[lo, hi) holding an infinity, or -1. Branch-free over a
 * row so it vectorizes; reading rows whole also streams a block of wide
 * rows into cache before the walk (a walk touches few features per row but
 * across many lines, each otherwise a dependent miss). */
static int64_t first_inf_row(const cml_matrix *X, int64_t lo, int64_t hi)
{
    for (int64_t i = lo; i < hi; i++) {
        const double *r = X->data + i * X->ld;
        int bad = 0;
        for (int64_t j = 0; j < X->cols; j++)
            bad |= fabs(r[j]) == INFINITY;
        if (bad) return i;
    }
    return -1;
}

static cml_status fail_inf(const cml_matrix *X, int64_t i)
{
    int64_t j = 0;
    while (j < X->cols && !isinf(X->data[i * X->ld + j]))
        j++;
    return cml_fail(CML_ERR_ARG,
                    "gbm: X row %lld, column %lld is infinite. HINT: use NaN for a missing value",
                    (long long)i + 1, (long long)j + 1);
}

/* Margins of X as the trees see it (ordered TS already applied): blocks of
 * GBM_WALK_BLOCK rows (gbm_walk.c), in parallel, each checked for
 * infinities just before its walk (one pass over X instead of two). On an
 * infinity, CML_ERR_ARG names the first one. */
static cml_status predict_margin_raw(const cml_gbm *m, const cml_matrix *X, double *out)
{
    const int K = m->obj.n_outputs;
    const int64_t n = X->rows, nblk = (n + GBM_WALK_BLOCK - 1) / GBM_WALK_BLOCK;
    int64_t bad = n;
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic, 4) if (nblk > 1)
    for (int64_t bi = 0; bi < nblk; bi++) {
        const int64_t lo = bi * GBM_WALK_BLOCK, hi = CML_MIN(n, lo + GBM_WALK_BLOCK);
        const int64_t b = first_inf_row(X, lo, hi);
        if (b >= 0) {
#pragma omp critical(gbm_predict_inf)
            bad = CML_MIN(bad, b);
            continue;
        }
        gbm_walk_block(m, X->data + lo * X->ld, X->ld, hi - lo, out + lo * K, 1);
    }
    return bad < n ? fail_inf(X, bad) : CML_OK;
}

cml_status cml_gbm_predict_margin(const cml_gbm *m, const cml_matrix *X, double *out)
{
    CML_CHECK(check_shape(m, X));
    if (m->ts.n == 0) return predict_margin_raw(m, X, out);
    /* the encoding reads the raw codes: reject infinities before it */
    const int64_t b = first_inf_row(X, 0, X->rows);
    if (b >= 0) return fail_inf(X, b);
    double *Xt;
    CML_CHECK(gbm_ts_apply(&m->ts, X, &Xt));
    const cml_matrix V = cml_matrix_view(Xt, X->rows, X->cols);
    cml_status st = predict_margin_raw(m, &V, out);
    free(Xt);
    return st;
}

/* Margins into a fresh buffer, then fn per row. */
static cml_status predict_with(const cml_gbm *m, const cml_matrix *X, double *out, int labels)
{
    const int K = m->obj.n_outputs;
    double *mg = cml_alloc_array(X->rows * K, sizeof *mg);
    if (!mg) return CML_ERR_NOMEM;
    cml_status st = cml_gbm_predict_margin(m, X, mg);
    if (st != CML_OK) {
        free(mg);
        return st;
    }
    const int64_t width = m->obj.kind == CML_GBM_LOGISTIC ? 2 : K;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (X->rows > 4096)
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = mg + i * K;
        if (labels && m->classes) {
            int64_t c = 0;
            if (m->obj.kind == CML_GBM_LOGISTIC)
                c = r[0] > 0.0; /* p > 0.5 */
            else
                for (int k = 1; k < K; k++)
                    if (r[k] > r[c]) c = k;
            out[i] = m->classes[c];
        } else if (!labels && m->obj.kind == CML_GBM_LOGISTIC) {
            double p;
            gbm_obj_transform(&m->obj, r, &p);
            out[i * width] = 1.0 - p;
            out[i * width + 1] = p;
        } else {
            gbm_obj_transform(&m->obj, r, out + i * width);
        }
    }
    free(mg);
    return CML_OK;
}

cml_status cml_gbm_predict(const cml_gbm *m, const cml_matrix *X, double *out)
{
    return predict_with(m, X, out, 1);
}

cml_status cml_gbm_predict_proba(const cml_gbm *m, const cml_matrix *X, double *out)
{
    if (!m->classes)
        return cml_fail(CML_ERR_UNSUPPORTED, "gbm: predict_proba needs a classifier, this model "
                                             "is a regressor");
    return predict_with(m, X, out, 0);
}

/* ---------------------------------------------------------------- getters */

int64_t cml_gbm_n_features_in(const cml_gbm *m)
{
    return m->n_features;
}
int cml_gbm_n_outputs(const cml_gbm *m)
{
    return m->obj.n_outputs;
}
int64_t cml_gbm_classes(const cml_gbm *m, const double **classes)
{
    *classes = m->classes;
    return m->classes ? m->n_classes : 0;
}
int cml_gbm_n_rounds(const cml_gbm *m)
{
    return m->n_rounds;
}
int cml_gbm_n_trees(const cml_gbm *m)
{
    return m->n_trees;
}
cml_gbm_objective cml_gbm_objective_of(const cml_gbm *m)
{
    return m->obj.kind;
}
cml_gbm_metric cml_gbm_eval_metric(const cml_gbm *m)
{
    return m->metric;
}
double cml_gbm_base_margin(const cml_gbm *m)
{
    return m->base_margin;
}
int cml_gbm_best_iteration(const cml_gbm *m)
{
    return m->best_iteration;
}

const double *cml_gbm_eval_history(const cml_gbm *m, int set, int *n)
{
    const double *h = set == 0 ? m->hist_train : set == 1 ? m->hist_valid : NULL;
    *n = h ? m->n_hist : 0;
    return h;
}

cml_status cml_gbm_feature_importances(const cml_gbm *m, cml_gbm_importance type, double *out)
{
    if ((int)type < 0 || type > CML_GBM_IMP_TOTAL_COVER)
        return cml_fail(CML_ERR_ARG, "gbm: unknown importance type %d", (int)type);
    double *cnt = cml_calloc((size_t)m->n_features, sizeof *cnt);
    if (!cnt) return CML_ERR_NOMEM;
    memset(out, 0, (size_t)m->n_features * sizeof *out);
    for (int64_t j = 0; j < m->tree_ptr[m->n_trees]; j++) {
        const gbm_node *nd = &m->nodes[j];
        if (is_leaf(m->nodes, j)) continue;
        int64_t f = nd->feature & GBM_FEATURE_MASK;
        cnt[f] += 1.0;
        if (type == CML_GBM_IMP_GAIN || type == CML_GBM_IMP_TOTAL_GAIN) out[f] += m->gain[j];
        if (type == CML_GBM_IMP_COVER || type == CML_GBM_IMP_TOTAL_COVER) out[f] += m->cover[j];
    }
    for (int64_t f = 0; f < m->n_features; f++) {
        if (type == CML_GBM_IMP_WEIGHT) out[f] = cnt[f];
        if ((type == CML_GBM_IMP_GAIN || type == CML_GBM_IMP_COVER) && cnt[f] > 0) out[f] /= cnt[f];
    }
    free(cnt);
    return CML_OK;
}

int cml_gbm_tree_size(const cml_gbm *m, int t)
{
    if (t < 0 || t >= m->n_trees) return 0;
    return (int)(m->tree_ptr[t + 1] - m->tree_ptr[t]);
}

cml_status cml_gbm_tree_node(const cml_gbm *m, int t, int node, cml_gbm_node *out)
{
    int size = cml_gbm_tree_size(m, t);
    if (node < 0 || node >= size)
        return cml_fail(CML_ERR_ARG, "gbm: tree %d has no node %d (it has %d)", t, node, size);
    const int64_t base = m->tree_ptr[t];
    const gbm_node *nd = &m->nodes[base + node];
    memset(out, 0, sizeof *out);
    out->is_leaf = is_leaf(m->nodes, base + node);
    out->feature = out->is_leaf ? -1 : (int)(nd->feature & GBM_FEATURE_MASK);
    out->is_categorical = !out->is_leaf && (nd->feature & GBM_CATEGORICAL);
    out->threshold = out->is_leaf || out->is_categorical ? NAN : nd->value;
    out->default_left = !out->is_leaf && (nd->feature & GBM_DEFAULT_LEFT);
    out->left = out->is_leaf ? -1 : (int)(nd->left - base);
    out->right = out->is_leaf ? -1 : (int)(nd->left - base + 1);
    out->value = m->leaf[base + node];
    out->gain = m->gain[base + node];
    out->cover = m->cover[base + node];
    return CML_OK;
}

int cml_gbm_node_categories(const cml_gbm *m, int t, int node, int32_t *out, int cap,
                            int64_t *range)
{
    if (node < 0 || node >= cml_gbm_tree_size(m, t)) return -1;
    const int64_t j = m->tree_ptr[t] + node;
    if (is_leaf(m->nodes, j) || !(m->nodes[j].feature & GBM_CATEGORICAL)) return -1;
    const uint32_t *set = gbm_node_catset(m, j);
    if (range) *range = 32 * (int64_t)set[0];
    int n = 0;
    for (int64_t c = 0; c < 32 * (int64_t)set[0]; c++)
        if ((set[1 + (c >> 5)] >> (c & 31)) & 1u) {
            if (n < cap) out[n] = (int32_t)c;
            n++;
        }
    return n;
}

void cml_gbm_free(cml_gbm *m)
{
    if (!m) return;
    free(m->cat_sets);
    gbm_ts_free(&m->ts);
    free(m->classes);
    free(m->tree_ptr);
    free(m->nodes);
    free(m->gain);
    free(m->cover);
    free(m->leaf);
    free(m->depth);
    free(m->hist_train);
    free(m->hist_valid);
    free(m);
}

/* ---------------------------------------------------------------- save / load */

cml_status gbm_model_save(const cml_gbm *m, cml_gguf_writer *w)
{
    const int64_t nn = m->tree_ptr[m->n_trees];
    cml_status st = CML_OK;
    int32_t *left = NULL, *feat = NULL;
    double *val = NULL;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features_in", m->n_features));
    CML_CHECK(cml_gguf_set_str(w, "cml.fit.objective", OBJ_NAMES[m->obj.kind]));
    CML_CHECK(cml_gguf_set_str(w, "cml.fit.eval_metric", gbm_metric_name(m->metric)));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_outputs", m->obj.n_outputs));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.huber_slope", m->obj.huber_slope));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.quantile_alpha", m->obj.quantile_alpha));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.poisson_max_delta_step", m->obj.poisson_max_delta_step));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.base_margin", m->base_margin));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_rounds", m->n_rounds));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.best_iteration", m->best_iteration));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", m->classes ? m->n_classes : 0));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_hist", m->n_hist));
    CML_CHECK(cml_gguf_set_bool(w, "cml.fit.has_eval_valid", m->n_hist > 0 && m->hist_valid));
    if (m->classes) CML_CHECK(cml_gguf_add_f64(w, "classes", m->classes, 1, m->n_classes));
    if (m->n_hist > 0) {
        CML_CHECK(cml_gguf_add_f64(w, "eval_train", m->hist_train, 1, m->n_hist));
        if (m->hist_valid)
            CML_CHECK(cml_gguf_add_f64(w, "eval_valid", m->hist_valid, 1, m->n_hist));
    }
    CML_CHECK(cml_gguf_add_i64(w, "tree_ptr", m->tree_ptr, m->n_trees + 1));
    left = cml_alloc_array(nn, sizeof *left);
    feat = cml_alloc_array(nn, sizeof *feat);
    val = cml_alloc_array(nn, sizeof *val);
    if (!left || !feat || !val) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* In the file a leaf is left = -1 with its value; the in-memory
     * fixed-point encoding is rebuilt by load. */
    for (int64_t j = 0; j < nn; j++) {
        int leaf = is_leaf(m->nodes, j);
        left[j] = leaf ? -1 : m->nodes[j].left;
        feat[j] = leaf ? 0 : (int32_t)m->nodes[j].feature; /* default bit = sign */
        val[j] = leaf ? m->leaf[j] : m->nodes[j].value;
    }
    CML_TRY(cml_gguf_add_i32(w, "node_left", left, nn));
    CML_TRY(cml_gguf_add_i32(w, "node_feature", feat, nn));
    CML_TRY(cml_gguf_add_f64(w, "node_value", val, 1, nn));
    CML_TRY(cml_gguf_add_f64(w, "node_gain", m->gain, 1, nn));
    CML_TRY(cml_gguf_add_f64(w, "node_cover", m->cover, 1, nn));
    /* Schema 2: category sets of the categorical splits (a numeric-only
     * model writes none, so its file is schema 1's). */
    if (m->n_cat_words > 0) {
        CML_TRY(cml_gguf_set_i64(w, "cml.fit.n_cat_words", m->n_cat_words));
        CML_TRY(cml_gguf_add_i32(w, "cat_sets", (const int32_t *)m->cat_sets, m->n_cat_words));
    }
    /* ... and the ordered target statistics (cat_encoding=ordered_ts) */
    if (m->ts.n > 0) {
        CML_TRY(cml_gguf_set_i64(w, "cml.fit.n_ts", m->ts.n));
        CML_TRY(cml_gguf_set_f64(w, "cml.fit.ts_prior", m->ts.prior));
        CML_TRY(cml_gguf_add_i32(w, "ts_feature", m->ts.feature, m->ts.n));
        CML_TRY(cml_gguf_add_i64(w, "ts_ptr", m->ts.ptr, m->ts.n + 1));
        CML_TRY(cml_gguf_add_f64(w, "ts_values", m->ts.values, 1, CML_MAX(m->ts.ptr[m->ts.n], 1)));
    }
fail:
    free(left);
    free(feat);
    free(val);
    return st;
}

static cml_status load_i64(const cml_gguf *g, const char *key, int64_t lo, int64_t hi, int64_t *v)
{
    CML_CHECK(cml_gguf_get_i64(g, key, v));
    if (*v < lo || *v > hi)
        return cml_fail(CML_ERR_FORMAT, "%s: %s = %lld is out of range [%lld, %lld]",
                        cml_gguf_name(g), key, (long long)*v, (long long)lo, (long long)hi);
    return CML_OK;
}

static int name_index(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

/* The ordered-TS tables: columns in range, offsets ascending. */
static cml_status load_ts(const cml_gguf *g, cml_gbm *m)
{
    gbm_ts *ts = &m->ts;
    int64_t n;
    CML_CHECK(load_i64(g, "cml.fit.n_ts", 1, m->n_features, &n));
    CML_CHECK(cml_gguf_get_f64(g, "cml.fit.ts_prior", &ts->prior));
    CML_CHECK(cml_gguf_expect(g, "ts_feature", CML_GGUF_T_I32, 1, n));
    CML_CHECK(cml_gguf_expect(g, "ts_ptr", CML_GGUF_T_I64, 1, n + 1));
    ts->feature = cml_alloc_array(n, sizeof *ts->feature);
    ts->ptr = cml_alloc_array(n + 1, sizeof *ts->ptr);
    if (!ts->feature || !ts->ptr) return CML_ERR_NOMEM;
    ts->n = n; /* freed with m from here on */
    CML_CHECK(cml_gguf_read_i32(g, "ts_feature", n, ts->feature));
    CML_CHECK(cml_gguf_read_i64(g, "ts_ptr", n + 1, ts->ptr));
    int ok = ts->ptr[0] == 0;
    for (int64_t k = 0; k < n && ok; k++)
        ok = ts->feature[k] >= 0 && ts->feature[k] < m->n_features &&
             ts->ptr[k + 1] >= ts->ptr[k] && ts->ptr[k + 1] <= INT32_MAX;
    if (!ok)
        return cml_fail(CML_ERR_FORMAT, "%s: gbm ordered target statistics are corrupt",
                        cml_gguf_name(g));
    const int64_t nv = CML_MAX(ts->ptr[n], 1);
    CML_CHECK(cml_gguf_expect(g, "ts_values", CML_GGUF_T_F64, 1, nv));
    ts->values = cml_alloc_array(nv, sizeof *ts->values);
    if (!ts->values) return CML_ERR_NOMEM;
    return cml_gguf_read_f64(g, "ts_values", 1, nv, ts->values);
}

/* A categorical split's offset must name a whole set inside cat_sets. */
static int catset_valid(const cml_gbm *m, double off)
{
    if (!(off >= 0 && off < (double)m->n_cat_words) || off != floor(off)) return 0;
    const int64_t o = (int64_t)off;
    return m->cat_sets[o] >= 1 && o + 1 + (int64_t)m->cat_sets[o] <= m->n_cat_words;
}

cml_status gbm_model_load(const cml_gguf *g, cml_gbm **out)
{
    cml_status st = CML_OK;
    const char *s;
    int64_t v, n_outputs, n_classes, n_hist;
    int32_t *left = NULL, *feat = NULL;
    double *val = NULL;
    const char *gname = cml_gguf_name(g);
    *out = NULL;
    cml_gbm *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;

    CML_TRY(load_i64(g, "cml.fit.n_features_in", 1, GBM_MAX_FEATURES, &m->n_features));
    CML_TRY(cml_gguf_get_str(g, "cml.fit.objective", &s));
    int oi = name_index(OBJ_NAMES, N_OBJ, s);
    if (oi < 0) {
        st = cml_fail(CML_ERR_FORMAT, "%s: unknown objective \"%s\"", gname, s);
        goto fail;
    }
    m->obj.kind = (cml_gbm_objective)oi;
    CML_TRY(cml_gguf_get_str(g, "cml.fit.eval_metric", &s));
    int mi = -1;
    for (int i = 1; i <= CML_GBM_METRIC_QUANTILE; i++)
        if (strcmp(gbm_metric_name((cml_gbm_metric)i), s) == 0) mi = i;
    if (mi < 0) {
        st = cml_fail(CML_ERR_FORMAT, "%s: unknown eval metric \"%s\"", gname, s);
        goto fail;
    }
    m->metric = (cml_gbm_metric)mi;
    CML_TRY(load_i64(g, "cml.fit.n_outputs", 1, 1 << 20, &n_outputs));
    m->obj.n_outputs = (int)n_outputs;
    if ((m->obj.kind == CML_GBM_SOFTPROB) != (n_outputs > 1)) {
        st = cml_fail(CML_ERR_FORMAT, "%s: %lld outputs do not fit objective %s", gname,
                      (long long)n_outputs, OBJ_NAMES[oi]);
        goto fail;
    }
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.huber_slope", &m->obj.huber_slope));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.quantile_alpha", &m->obj.quantile_alpha));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.poisson_max_delta_step", &m->obj.poisson_max_delta_step));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.base_margin", &m->base_margin));
    CML_TRY(load_i64(g, "cml.fit.n_rounds", 1, INT32_MAX / n_outputs, &v));
    m->n_rounds = (int)v;
    m->n_trees = m->trees_cap = (int)(v * n_outputs);
    CML_TRY(load_i64(g, "cml.fit.best_iteration", 0, m->n_rounds - 1, &v));
    m->best_iteration = (int)v;
    CML_TRY(load_i64(g, "cml.fit.n_classes", 0, 1 << 20, &n_classes));
    if (n_classes == 1 || (n_classes > 0) != (m->obj.kind >= CML_GBM_LOGISTIC) ||
        (n_classes > 2 && n_classes != n_outputs)) {
        st = cml_fail(CML_ERR_FORMAT, "%s: %lld classes do not fit objective %s", gname,
                      (long long)n_classes, OBJ_NAMES[oi]);
        goto fail;
    }
    if (n_classes > 0) {
        CML_TRY(cml_gguf_expect(g, "classes", CML_GGUF_T_F64, 1, n_classes));
        m->n_classes = n_classes;
        m->classes = cml_alloc_array(n_classes, sizeof *m->classes);
        if (!m->classes) goto nomem;
        CML_TRY(cml_gguf_read_f64(g, "classes", 1, n_classes, m->classes));
    }
    CML_TRY(load_i64(g, "cml.fit.n_hist", 0, INT32_MAX, &n_hist));
    m->n_hist = (int)n_hist;
    if (n_hist > 0) {
        CML_TRY(cml_gguf_expect(g, "eval_train", CML_GGUF_T_F64, 1, n_hist));
        m->hist_train = cml_alloc_array(n_hist, sizeof(double));
        if (!m->hist_train) goto nomem;
        CML_TRY(cml_gguf_read_f64(g, "eval_train", 1, n_hist, m->hist_train));
        int has_valid;
        CML_TRY(cml_gguf_get_bool(g, "cml.fit.has_eval_valid", &has_valid));
        if (has_valid) {
            CML_TRY(cml_gguf_expect(g, "eval_valid", CML_GGUF_T_F64, 1, n_hist));
            m->hist_valid = cml_alloc_array(n_hist, sizeof(double));
            if (!m->hist_valid) goto nomem;
            CML_TRY(cml_gguf_read_f64(g, "eval_valid", 1, n_hist, m->hist_valid));
        }
    }

    /* shapes before sizes: every count must match a tensor the file holds */
    CML_TRY(cml_gguf_expect(g, "tree_ptr", CML_GGUF_T_I64, 1, (int64_t)m->n_trees + 1));
    m->tree_ptr = cml_alloc_array((int64_t)m->n_trees + 1, sizeof *m->tree_ptr);
    if (!m->tree_ptr) goto nomem;
    CML_TRY(cml_gguf_read_i64(g, "tree_ptr", (int64_t)m->n_trees + 1, m->tree_ptr));
    if (m->tree_ptr[0] != 0) goto corrupt;
    for (int t = 0; t < m->n_trees; t++)
        if (m->tree_ptr[t + 1] <= m->tree_ptr[t] || m->tree_ptr[t + 1] > INT32_MAX) goto corrupt;
    const int64_t nn = m->tree_ptr[m->n_trees];
    CML_TRY(cml_gguf_expect(g, "node_left", CML_GGUF_T_I32, 1, nn));
    m->node_cap = nn;
    m->nodes = cml_alloc_array(nn, sizeof *m->nodes);
    m->gain = cml_alloc_array(nn, sizeof *m->gain);
    m->cover = cml_alloc_array(nn, sizeof *m->cover);
    m->leaf = cml_alloc_array(nn, sizeof *m->leaf);
    m->depth = cml_alloc_array((int64_t)m->n_trees + 1, sizeof *m->depth);
    left = cml_alloc_array(nn, sizeof *left);
    feat = cml_alloc_array(nn, sizeof *feat);
    val = cml_alloc_array(nn, sizeof *val);
    if (!m->nodes || !m->gain || !m->cover || !m->leaf || !m->depth || !left || !feat || !val)
        goto nomem;
    CML_TRY(cml_gguf_read_i32(g, "node_left", nn, left));
    CML_TRY(cml_gguf_read_i32(g, "node_feature", nn, feat));
    CML_TRY(cml_gguf_read_f64(g, "node_value", 1, nn, val));
    CML_TRY(cml_gguf_read_f64(g, "node_gain", 1, nn, m->gain));
    CML_TRY(cml_gguf_read_f64(g, "node_cover", 1, nn, m->cover));
    if (cml_gguf_has(g, "cml.fit.n_cat_words")) {
        CML_TRY(load_i64(g, "cml.fit.n_cat_words", 1, INT32_MAX, &v));
        CML_TRY(cml_gguf_expect(g, "cat_sets", CML_GGUF_T_I32, 1, v));
        m->cat_sets = cml_alloc_array(v, sizeof *m->cat_sets);
        if (!m->cat_sets) goto nomem;
        m->n_cat_words = m->cat_cap = v;
        CML_TRY(cml_gguf_read_i32(g, "cat_sets", v, (int32_t *)m->cat_sets));
    }
    if (cml_gguf_has(g, "cml.fit.n_ts")) CML_TRY(load_ts(g, m));
    /* Children must lie after their parent inside the same tree: walks end,
     * and depths can be computed in one forward pass. */
    int32_t *nd_depth = cml_calloc((size_t)nn, sizeof *nd_depth);
    if (!nd_depth) goto nomem;
    for (int t = 0; t < m->n_trees && st == CML_OK; t++) {
        m->depth[t] = 0;
        nd_depth[m->tree_ptr[t]] = 0;
        for (int64_t j = m->tree_ptr[t]; j < m->tree_ptr[t + 1]; j++) {
            if (left[j] == -1) {
                set_leaf(m, j, val[j]);
                continue;
            }
            const int cat = ((uint32_t)feat[j] & GBM_CATEGORICAL) != 0;
            if (left[j] <= j || left[j] + 1 >= m->tree_ptr[t + 1] ||
                (int64_t)((uint32_t)feat[j] & GBM_FEATURE_MASK) >= m->n_features || isnan(val[j]) ||
                (cat && !catset_valid(m, val[j]))) {
                st = CML_ERR_FORMAT;
                break;
            }
            m->n_cat_nodes += cat;
            set_split(m, j, (uint32_t)feat[j] & GBM_FEATURE_MASK, val[j],
                      ((uint32_t)feat[j] & GBM_DEFAULT_LEFT) != 0, cat, left[j]);
            /* a forged file may give a node two parents: keep the longest
             * path, so the lock-step walk of `depth` steps reaches a leaf */
            nd_depth[left[j]] = CML_MAX(nd_depth[left[j]], nd_depth[j] + 1);
            nd_depth[left[j] + 1] = CML_MAX(nd_depth[left[j] + 1], nd_depth[j] + 1);
            m->depth[t] = CML_MAX(m->depth[t], nd_depth[j] + 1);
        }
    }
    free(nd_depth);
    if (st != CML_OK) goto corrupt;
    free(left);
    free(feat);
    free(val);
    *out = m;
    return CML_OK;
corrupt:
    st = cml_fail(CML_ERR_FORMAT, "%s: gbm trees are corrupt (bad node links or features)", gname);
    goto fail;
nomem:
    st = CML_ERR_NOMEM;
fail:
    free(left);
    free(feat);
    free(val);
    cml_gbm_free(m);
    return st;
}

char *gbm_model_describe(const cml_gbm *m)
{
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"objective\":");
    cml_sb_json_str(&sb, OBJ_NAMES[m->obj.kind]);
    cml_sb_puts(&sb, ",\"eval_metric\":");
    cml_sb_json_str(&sb, gbm_metric_name(m->metric));
    cml_sb_printf(&sb, ",\"n_rounds\":%d,\"n_trees\":%d,\"best_iteration\":%d,\"n_nodes\":%lld",
                  m->n_rounds, m->n_trees, m->best_iteration, (long long)m->tree_ptr[m->n_trees]);
    cml_sb_printf(&sb, ",\"n_categorical_splits\":%lld", (long long)m->n_cat_nodes);
    if (m->ts.n > 0) {
        cml_sb_puts(&sb, ",\"ordered_ts_features\":[");
        for (int64_t k = 0; k < m->ts.n; k++)
            cml_sb_printf(&sb, "%s%d", k ? "," : "", m->ts.feature[k]);
        cml_sb_puts(&sb, "],\"ordered_ts_prior\":");
        cml_sb_json_num(&sb, m->ts.prior);
    }
    cml_sb_puts(&sb, ",\"base_margin\":");
    cml_sb_json_num(&sb, m->base_margin);
    double *imp = cml_alloc_array(m->n_features, sizeof *imp);
    if (imp && cml_gbm_feature_importances(m, CML_GBM_IMP_GAIN, imp) == CML_OK) {
        cml_sb_puts(&sb, ",\"feature_importances_gain\":");
        cml_sb_json_arr(&sb, imp, m->n_features);
    }
    free(imp);
    if (m->n_hist > 0) {
        cml_sb_puts(&sb, ",\"eval_train\":");
        cml_sb_json_arr(&sb, m->hist_train, m->n_hist);
        if (m->hist_valid) {
            cml_sb_puts(&sb, ",\"eval_valid\":");
            cml_sb_json_arr(&sb, m->hist_valid, m->n_hist);
        }
    }
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}
