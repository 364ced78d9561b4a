/*
 * decision_tree.c — DecisionTreeClassifier and DecisionTreeRegressor
 * (scikit-learn 1.2): the typed API of cml/tree.h and the two registered
 * estimators decision_tree_classifier (alias tree) and
 * decision_tree_regressor. Growth is cart.c's; the fitted structure,
 * importances and pruning are tree_model.c's.
 *
 * A classifier's leaf value is the weighted count of each class; predict
 * returns the class of the largest count (the first on ties, as numpy's
 * argmax), predict_proba the counts divided by their sum. A regressor's
 * leaf value is the weighted mean (squared / Friedman error) or the
 * weighted median (absolute error).
 *
 * Complexity: fit as cart.c; predict O(rows * depth), parallel over blocks of
 * rows, each walked in lockstep (tree_model.c).
 * Thread-safety: a fitted tree is immutable; predict-side calls allocate
 * nothing shared.
 */
#include <stddef.h>
#include <string.h>

#include "core/strbuf.h"
#include "tree/cart.h"
#include "tree/sk_random.h"

static const char NAME_CLF[] = "decision_tree_classifier";
static const char NAME_REG[] = "decision_tree_regressor";

/* Rows below which predict stays on one thread (a lockstep walk costs about
 * 0.1 us a row: 30k rows take ~1 ms alone, less than waking threads on a
 * busy machine); rows per block of the walk (cml_dtree_apply_f64). */
#define PAR_ROWS 32768
#define BLOCK    256

#define P(f) offsetof(cml_tree_params, f)
#define TREE_COMMON_DEFS                                                                           \
    {"splitter",                                                                                   \
     CML_PARAM_ENUM,                                                                               \
     "best",                                                                                       \
     0,                                                                                            \
     0,                                                                                            \
     0,                                                                                            \
     "best|random",                                                                                \
     "best: best threshold of each feature; random: one random threshold per feature",             \
     P(splitter)},                                                                                 \
        {"max_depth", CML_PARAM_INT,                                                               \
         "0",         -1,                                                                          \
         INT32_MAX,   0,                                                                           \
         NULL,        "maximum depth; 0 or -1 = None (grow until leaves are pure)",                \
         P(max_depth)},                                                                            \
        {"min_samples_split",                                                                      \
         CML_PARAM_DOUBLE,                                                                         \
         "2",                                                                                      \
         0,                                                                                        \
         INFINITY,                                                                                 \
         1,                                                                                        \
         NULL,                                                                                     \
         "rows needed to split a node: integer >= 2, or a fraction in (0, 1] of the rows",         \
         P(min_samples_split)},                                                                    \
        {"min_samples_leaf",                                                                       \
         CML_PARAM_DOUBLE,                                                                         \
         "1",                                                                                      \
         0,                                                                                        \
         INFINITY,                                                                                 \
         1,                                                                                        \
         NULL,                                                                                     \
         "rows needed in each leaf: integer >= 1, or a fraction in (0, 1) of the rows",            \
         P(min_samples_leaf)},                                                                     \
        {"min_weight_fraction_leaf",                                                               \
         CML_PARAM_DOUBLE,                                                                         \
         "0",                                                                                      \
         0,                                                                                        \
         0.5,                                                                                      \
         0,                                                                                        \
         NULL,                                                                                     \
         "minimum fraction of the total sample weight in each leaf",                               \
         P(min_weight_fraction_leaf)},                                                             \
        {"max_features",                                                                           \
         CML_PARAM_STRING,                                                                         \
         "",                                                                                       \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         "features tried per split: \"\" = all, sqrt, log2, a count, or a fraction like 0.5",      \
         P(max_features)},                                                                         \
        {"random_state",                                                                           \
         CML_PARAM_INT,                                                                            \
         "0",                                                                                      \
         0,                                                                                        \
         INT32_MAX,                                                                                \
         0,                                                                                        \
         NULL,                                                                                     \
         "seed of the feature order (same trees as scikit-learn's for the same seed)",             \
         P(random_state)},                                                                         \
        {"max_leaf_nodes",                                                                         \
         CML_PARAM_INT,                                                                            \
         "0",                                                                                      \
         -1,                                                                                       \
         INT32_MAX,                                                                                \
         0,                                                                                        \
         NULL,                                                                                     \
         "grow best-first up to this many leaves; 0 or -1 = None (depth-first, unlimited)",        \
         P(max_leaf_nodes)},                                                                       \
    {                                                                                              \
        "min_impurity_decrease", CML_PARAM_DOUBLE, "0", 0, INFINITY, 0, NULL,                      \
            "split only if the weighted impurity decrease is at least this",                       \
            P(min_impurity_decrease)                                                               \
    }

static const cml_param_def clf_defs[] = {
    {"criterion", CML_PARAM_ENUM, "gini", 0, 0, 0, "gini|entropy|log_loss",
     "split quality: Gini impurity, or entropy in bits (log_loss is the same)", P(criterion)},
    TREE_COMMON_DEFS,
    {"class_weight", CML_PARAM_STRING, "", 0, 0, 0, NULL,
     "\"\" (none), balanced, or a map \"label:weight,label:weight\"", P(class_weight)},
    {"ccp_alpha", CML_PARAM_DOUBLE, "0", 0, INFINITY, 0, NULL,
     "minimal cost-complexity pruning strength (0 = no pruning)", P(ccp_alpha)},
};

static const cml_param_def reg_defs[] = {
    {"criterion", CML_PARAM_ENUM, "squared_error", 0, 0, 0,
     "squared_error|friedman_mse|absolute_error",
     "split quality: squared error (mean leaves), Friedman's MSE, or absolute error (median "
     "leaves)",
     P(criterion)},
    TREE_COMMON_DEFS,
    {"ccp_alpha", CML_PARAM_DOUBLE, "0", 0, INFINITY, 0, NULL,
     "minimal cost-complexity pruning strength (0 = no pruning)", P(ccp_alpha)},
};
#undef P
#define N_CLF ((int)(sizeof clf_defs / sizeof clf_defs[0]))
#define N_REG ((int)(sizeof reg_defs / sizeof reg_defs[0]))

static const char *kind_name(cml_tree_kind k)
{
    return k == CML_TREE_CLASSIFIER ? NAME_CLF : NAME_REG;
}

cml_tree_params cml_tree_params_default(cml_tree_kind kind)
{
    cml_tree_params p;
    memset(&p, 0, sizeof p);
    if (kind == CML_TREE_CLASSIFIER)
        cml_params_init(clf_defs, N_CLF, &p);
    else
        cml_params_init(reg_defs, N_REG, &p);
    return p;
}

const char *cml_tree_params_check(cml_tree_kind kind, const cml_tree_params *p)
{
    const char *m = kind == CML_TREE_CLASSIFIER ? cml_params_check(clf_defs, N_CLF, p)
                                                : cml_params_check(reg_defs, N_REG, p);
    if (m) return m;
    m = cml_cart_check_common(p->max_features, p->min_samples_split, p->min_samples_leaf,
                              p->max_leaf_nodes);
    if (m) return m;
    if (kind == CML_TREE_CLASSIFIER) return cml_cart_check_class_weight(p->class_weight, 0);
    return NULL;
}

void cml_tree_free(cml_tree *t)
{
    if (!t) return;
    free(t->classes);
    free(t->importances);
    cml_dtree_free(t->t);
    free(t);
}

cml_status cml_tree_wrap(cml_dtree *dt, int classifier, int criterion, int64_t n_features,
                         const double *classes, int64_t n_classes, int64_t max_features,
                         cml_tree **out)
{
    *out = NULL;
    cml_tree *t = cml_calloc(1, sizeof *t);
    if (!t) {
        cml_dtree_free(dt);
        return CML_ERR_NOMEM;
    }
    t->t = dt;
    t->classifier = classifier;
    t->criterion = criterion;
    t->n_features = n_features;
    t->n_classes = classifier ? n_classes : 0;
    t->max_features = max_features;
    t->importances = cml_alloc_array(n_features, sizeof(double));
    if (classifier) {
        t->classes = cml_alloc_array(n_classes, sizeof(double));
        if (t->classes) memcpy(t->classes, classes, (size_t)n_classes * sizeof(double));
    }
    if (!t->importances || (classifier && !t->classes)) {
        cml_tree_free(t);
        return CML_ERR_NOMEM;
    }
    cml_dtree_importances(dt, n_features, 1, t->importances);
    *out = t;
    return CML_OK;
}

/* Fits the raw tree (no wrapper): shared by fit and the pruning path. */
static cml_status fit_dtree(cml_tree_kind kind, const cml_tree_params *p, const cml_matrix *X,
                            const double *y, const double *sample_weight, double ccp_alpha,
                            cml_dtree **out, double **classes_out, int64_t *n_classes_out,
                            int64_t *max_features_out)
{
    const char *who = kind_name(kind);
    const int clf = kind == CML_TREE_CLASSIFIER;
    *out = NULL;
    *classes_out = NULL;
    const char *m = cml_tree_params_check(kind, p);
    if (m) return cml_fail(CML_ERR_ARG, "%s: %s", who, m);
    CML_CHECK(cml_cart_check_inputs(X, y, sample_weight, who));
    const int64_t n = X->rows;
    cml_status st = CML_OK;
    cml_cart_data D;
    memset(&D, 0, sizeof D);
    cml_cart_config C;
    int32_t *yi = NULL;
    double *classes = NULL, *w = NULL;
    int64_t k = 0;
    if (clf) {
        yi = cml_alloc_array(n, sizeof *yi);
        if (!yi) return CML_ERR_NOMEM;
        CML_TRY(cml_cart_encode_classes(y, n, &classes, &k, yi));
    }
    CML_TRY(cml_cart_make_config(clf, p->criterion, p->splitter, p->max_depth, p->min_samples_split,
                                 p->min_samples_leaf, p->min_weight_fraction_leaf, p->max_features,
                                 p->max_leaf_nodes, p->min_impurity_decrease, ccp_alpha, n, X->cols,
                                 &C));
    C.seed = cml_sk_splitter_seed((uint32_t)p->random_state);
    if (sample_weight || (clf && p->class_weight[0] && strcmp(p->class_weight, "None") &&
                          strcmp(p->class_weight, "none"))) {
        w = cml_alloc_array(n, sizeof *w);
        if (!w) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        for (int64_t i = 0; i < n; i++)
            w[i] = sample_weight ? sample_weight[i] : 1.0;
        if (clf) CML_TRY(cml_cart_class_weight(p->class_weight, 0, yi, classes, k, n, NULL, w));
    }
    CML_TRY(cml_cart_data_init(X, y, yi, k, &D));
    CML_TRY(cml_cart_build(&D, &C, w, out));
    *classes_out = classes;
    classes = NULL;
    *n_classes_out = k;
    *max_features_out = C.max_features;
fail:
    if (st != CML_OK) cml_fail_context(st, "%s", who);
    cml_cart_data_free(&D);
    free(yi);
    free(classes);
    free(w);
    return st;
}

cml_status cml_tree_fit(cml_tree_kind kind, const cml_tree_params *p, const cml_matrix *X,
                        const double *y, const double *sample_weight, cml_tree **out)
{
    *out = NULL;
    cml_dtree *dt;
    double *classes;
    int64_t k = 0, mf = 0;
    CML_CHECK(fit_dtree(kind, p, X, y, sample_weight, p->ccp_alpha, &dt, &classes, &k, &mf));
    cml_status st =
        cml_tree_wrap(dt, kind == CML_TREE_CLASSIFIER, p->criterion, X->cols, classes, k, mf, out);
    free(classes);
    return st;
}

cml_status cml_tree_cost_complexity_pruning_path(cml_tree_kind kind, const cml_tree_params *p,
                                                 const cml_matrix *X, const double *y,
                                                 const double *sample_weight, double **ccp_alphas,
                                                 double **impurities, int64_t *n)
{
    *ccp_alphas = *impurities = NULL;
    *n = 0;
    cml_dtree *dt;
    double *classes;
    int64_t k = 0, mf = 0;
    CML_CHECK(fit_dtree(kind, p, X, y, sample_weight, 0.0, &dt, &classes, &k, &mf));
    cml_status st = cml_dtree_ccp_path(dt, ccp_alphas, impurities, n);
    cml_dtree_free(dt);
    free(classes);
    return st;
}

/* ---------------------------------------------------------------- predict */

static cml_status check_X(const cml_tree *t, const cml_matrix *X)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (X->cols != t->n_features)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but the tree was fitted with %lld",
                        t->classifier ? NAME_CLF : NAME_REG, (long long)X->cols,
                        (long long)t->n_features);
    return CML_OK;
}

/* First index of the largest of v[0..k) (numpy's argmax). */
static int64_t argmax(const double *v, int64_t k)
{
    int64_t b = 0;
    for (int64_t c = 1; c < k; c++)
        if (v[c] > v[b]) b = c;
    return b;
}

cml_status cml_tree_predict(const cml_tree *t, const cml_matrix *X, double *out)
{
    CML_CHECK(check_X(t, X));
    const cml_dtree *d = t->t;
    const int64_t nb = (X->rows + BLOCK - 1) / BLOCK;
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic) if (X->rows > PAR_ROWS)
    for (int64_t b = 0; b < nb; b++) {
        int32_t leaf[BLOCK];
        const int64_t r0 = b * BLOCK, m = CML_MIN(BLOCK, X->rows - r0);
        cml_dtree_apply_f64(t->t, cml_matrix_row(X, r0), X->ld, m, leaf);
        for (int64_t i = 0; i < m; i++) {
            const double *v = d->value + (int64_t)leaf[i] * d->stride;
            out[r0 + i] = t->classifier ? t->classes[argmax(v, d->stride)] : v[0];
        }
    }
    return CML_OK;
}

cml_status cml_tree_predict_proba(const cml_tree *t, const cml_matrix *X, double *out)
{
    if (!t->classifier)
        return cml_fail(CML_ERR_UNSUPPORTED, "%s has no predict_proba: it is a regressor",
                        NAME_REG);
    CML_CHECK(check_X(t, X));
    const cml_dtree *d = t->t;
    const int64_t k = d->stride, nb = (X->rows + BLOCK - 1) / BLOCK;
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic) if (X->rows > PAR_ROWS)
    for (int64_t b = 0; b < nb; b++) {
        int32_t leaf[BLOCK];
        const int64_t r0 = b * BLOCK, m = CML_MIN(BLOCK, X->rows - r0);
        cml_dtree_apply_f64(t->t, cml_matrix_row(X, r0), X->ld, m, leaf);
        for (int64_t i = 0; i < m; i++)
            memcpy(out + (r0 + i) * k, d->proba + (int64_t)leaf[i] * k, (size_t)k * sizeof(double));
    }
    return CML_OK;
}

cml_status cml_tree_apply(const cml_tree *t, const cml_matrix *X, int64_t *leaf)
{
    CML_CHECK(check_X(t, X));
    const int64_t nb = (X->rows + BLOCK - 1) / BLOCK;
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic) if (X->rows > PAR_ROWS)
    for (int64_t b = 0; b < nb; b++) {
        int32_t lb[BLOCK];
        const int64_t r0 = b * BLOCK, m = CML_MIN(BLOCK, X->rows - r0);
        cml_dtree_apply_f64(t->t, cml_matrix_row(X, r0), X->ld, m, lb);
        for (int64_t i = 0; i < m; i++)
            leaf[r0 + i] = lb[i];
    }
    return CML_OK;
}

/* Walks one row from the root, writing visited node ids into ids (if not
 * NULL); returns the count. */
static int64_t walk(const cml_dtree *d, const double *row, int64_t *ids)
{
    int64_t i = 0, c = 0;
    for (;;) {
        if (ids) ids[c] = i;
        c++;
        const cml_tnode *nd = &d->nodes[i];
        if (nd->left < 0) return c;
        float v = (float)row[nd->feature];
        int go_left = isnan(v) ? nd->nan_left : ((double)v <= nd->threshold);
        i = go_left ? nd->left : nd->right;
    }
}

cml_status cml_tree_decision_path(const cml_tree *t, const cml_matrix *X, int64_t **indptr,
                                  int64_t **indices)
{
    *indptr = *indices = NULL;
    CML_CHECK(check_X(t, X));
    int64_t *ip = cml_alloc_array(X->rows + 1, sizeof *ip);
    if (!ip) return CML_ERR_NOMEM;
    ip[0] = 0;
    for (int64_t i = 0; i < X->rows; i++)
        ip[i + 1] = ip[i] + walk(t->t, cml_matrix_row(X, i), NULL);
    int64_t *ix = cml_alloc_array(ip[X->rows] > 0 ? ip[X->rows] : 1, sizeof *ix);
    if (!ix) {
        free(ip);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < X->rows; i++)
        walk(t->t, cml_matrix_row(X, i), ix + ip[i]);
    *indptr = ip;
    *indices = ix;
    return CML_OK;
}

/* ---------------------------------------------------------------- getters */

int cml_tree_is_classifier(const cml_tree *t)
{
    return t->classifier;
}
int64_t cml_tree_n_features_in(const cml_tree *t)
{
    return t->n_features;
}
int64_t cml_tree_n_classes(const cml_tree *t)
{
    return t->n_classes;
}
const double *cml_tree_classes(const cml_tree *t)
{
    return t->classifier ? t->classes : NULL;
}
const double *cml_tree_feature_importances(const cml_tree *t)
{
    return t->importances;
}
int64_t cml_tree_max_features(const cml_tree *t)
{
    return t->max_features;
}
int64_t cml_tree_node_count(const cml_tree *t)
{
    return t->t->n_nodes;
}
int64_t cml_tree_n_leaves(const cml_tree *t)
{
    int64_t c = 0;
    for (int64_t i = 0; i < t->t->n_nodes; i++)
        c += t->t->nodes[i].left < 0;
    return c;
}
int64_t cml_tree_depth(const cml_tree *t)
{
    return t->t->max_depth;
}
int64_t cml_tree_value_stride(const cml_tree *t)
{
    return t->t->stride;
}

cml_status cml_tree_node(const cml_tree *t, int64_t i, cml_tree_node_info *out)
{
    const cml_dtree *d = t->t;
    if (i < 0 || i >= d->n_nodes)
        return cml_fail(CML_ERR_ARG, "node %lld is out of range [0, %lld)", (long long)i,
                        (long long)d->n_nodes);
    const cml_tnode *nd = &d->nodes[i];
    out->left = nd->left;
    out->right = nd->right;
    out->feature = nd->feature;
    out->threshold = nd->threshold;
    out->nan_left = nd->nan_left;
    out->impurity = d->impurity[i];
    out->n_node_samples = d->n_samples[i];
    out->weighted_n_node_samples = d->w_samples[i];
    out->value = d->value + i * d->stride;
    return CML_OK;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit_kind(cml_tree_kind kind, const void *params, const cml_matrix *X,
                             const double *y, const cml_fit_opts *opts, void **state)
{
    cml_tree *t;
    CML_CHECK(cml_tree_fit(kind, params, X, y, opts ? opts->sample_weight : NULL, &t));
    *state = t;
    return CML_OK;
}

static cml_status v_fit_clf(const void *params, const cml_matrix *X, const double *y,
                            const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)info;
    return v_fit_kind(CML_TREE_CLASSIFIER, params, X, y, opts, state);
}

static cml_status v_fit_reg(const void *params, const cml_matrix *X, const double *y,
                            const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)info;
    return v_fit_kind(CML_TREE_REGRESSOR, params, X, y, opts, state);
}

static cml_status v_predict(const void *state, const cml_matrix *X, double *out)
{
    return cml_tree_predict(state, X, out);
}

static cml_status v_predict_proba(const void *state, const cml_matrix *X, double *out)
{
    return cml_tree_predict_proba(state, X, out);
}

static int64_t v_classes(const void *state, const double **classes)
{
    const cml_tree *t = state;
    *classes = t->classes;
    return t->n_classes;
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_tree *)state)->n_features;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_tree *t = state;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features_in", t->n_features));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", t->n_classes));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.max_features", t->max_features));
    if (t->classifier) CML_CHECK(cml_gguf_add_f64(w, "classes", t->classes, 1, t->n_classes));
    return cml_dtree_save_all(w, &t->t, 1);
}

/* Largest class / feature count a file may claim (bounds load's allocations). */
#define MAX_LOAD_DIM ((int64_t)1 << 28)

static cml_status v_load_kind(cml_tree_kind kind, const cml_gguf *g, const void *params,
                              void **state)
{
    const cml_tree_params *p = params;
    const int clf = kind == CML_TREE_CLASSIFIER;
    int64_t d, k, mf;
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features_in", &d));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_classes", &k));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.max_features", &mf));
    if (d < 1 || d > MAX_LOAD_DIM || (clf ? (k < 1 || k > MAX_LOAD_DIM) : k != 0) || mf < 1 ||
        mf > d)
        return cml_fail(CML_ERR_FORMAT, "%s: bad tree dimensions (features %lld, classes %lld)",
                        cml_gguf_name(g), (long long)d, (long long)k);
    double *classes = NULL;
    if (clf) {
        classes = cml_alloc_array(k, sizeof *classes);
        if (!classes) return CML_ERR_NOMEM;
        cml_status st = cml_gguf_read_f64(g, "classes", 1, k, classes);
        if (st != CML_OK) {
            free(classes);
            return st;
        }
    }
    cml_dtree *dt;
    cml_status st = cml_dtree_load_all(g, 1, clf ? k : 1, d, clf, &dt);
    if (st == CML_OK)
        st = cml_tree_wrap(dt, clf, p->criterion, d, classes, k, mf, (cml_tree **)state);
    free(classes);
    return st;
}

static cml_status v_load_clf(const cml_gguf *g, const void *params, int schema_version,
                             void **state)
{
    (void)schema_version;
    return v_load_kind(CML_TREE_CLASSIFIER, g, params, state);
}

static cml_status v_load_reg(const cml_gguf *g, const void *params, int schema_version,
                             void **state)
{
    (void)schema_version;
    return v_load_kind(CML_TREE_REGRESSOR, g, params, state);
}

static char *v_describe(const void *state)
{
    const cml_tree *t = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb,
                  "{\"n_features_in_\":%lld,\"max_features_\":%lld,\"node_count\":%lld,"
                  "\"n_leaves\":%lld,\"max_depth\":%lld",
                  (long long)t->n_features, (long long)t->max_features, (long long)t->t->n_nodes,
                  (long long)cml_tree_n_leaves(t), (long long)t->t->max_depth);
    if (t->classifier) {
        cml_sb_printf(&sb, ",\"n_classes_\":%lld,\"classes_\":", (long long)t->n_classes);
        cml_sb_json_arr(&sb, t->classes, t->n_classes);
    }
    cml_sb_puts(&sb, ",\"feature_importances_\":");
    cml_sb_json_arr(&sb, t->importances, t->n_features);
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}

static void v_free(void *state)
{
    cml_tree_free(state);
}

const cml_estimator cml_est_decision_tree_classifier = {
    .name = NAME_CLF,
    .aliases = "tree",
    .summary = "CART decision tree classifier (scikit-learn's trees, NaN-aware)",
    .task = CML_TASK_CLASSIFICATION,
    .schema_version = 1,
    .params = clf_defs,
    .n_params = N_CLF,
    .params_size = sizeof(cml_tree_params),
    .allows_nan = 1,
    .fit = v_fit_clf,
    .predict = v_predict,
    .predict_proba = v_predict_proba,
    .classes = v_classes,
    .n_features_in = v_n_features,
    .save = v_save,
    .load = v_load_clf,
    .describe = v_describe,
    .free = v_free,
};

const cml_estimator cml_est_decision_tree_regressor = {
    .name = NAME_REG,
    .aliases = "",
    .summary = "CART decision tree regressor (scikit-learn's trees, NaN-aware)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 1,
    .params = reg_defs,
    .n_params = N_REG,
    .params_size = sizeof(cml_tree_params),
    .allows_nan = 1,
    .fit = v_fit_reg,
    .predict = v_predict,
    .n_features_in = v_n_features,
    .save = v_save,
    .load = v_load_reg,
    .describe = v_describe,
    .free = v_free,
};
