/*
 * gbm_xgb_import.c — reads a model saved by XGBoost's save_model("x.json")
 * (the JSON schema of XGBoost 1.x/2.x: learner.gradient_booster.model.trees
 * with left_children / right_children / split_indices / split_conditions /
 * default_left / sum_hessian / loss_changes) into cml's gbm, so cml's
 * predict and TreeSHAP run on it with XGBoost's results.
 *
 * Exactness. XGBoost rounds features to float32 and sends x left iff
 * (float)x < c with c a float32 threshold; cml's gbm compares doubles
 * (x < t). The two agree for every finite double x when t is the smallest
 * double that rounds (to nearest, ties to even) to c: with p the float just
 * below c and m = (p + c) / 2 (exact in double), a tie x = m rounds to
 * whichever of p, c is even, so t = m if c is even, else the next double
 * after m. Leaf values and covers are XGBoost's float32 values; cml sums
 * them in double where XGBoost sums in float32, so margins differ by
 * XGBoost's own float rounding (~1e-7 relative).
 *
 * Categorical splits (enable_categorical=True; split_type 1, with
 * categories / categories_nodes / categories_segments / categories_sizes)
 * become cml's category sets with the bitset size XGBoost's JSON loader
 * gives them (words for the largest listed category), so unseen and
 * out-of-range codes route as XGBoost's predictor routes them.
 *
 * Supported: gbtree boosters with numerical and categorical splits
 * (num_parallel_tree >= 1, so boosted random forests / XGBRF* too),
 * objectives reg:squarederror (reg:linear), reg:absoluteerror,
 * reg:pseudohubererror, reg:quantileerror (one quantile), count:poisson,
 * binary:logistic, multi:softprob / multi:softmax. Trees are renumbered
 * breadth-first (cml stores siblings adjacent); deleted nodes are dropped.
 *
 * Complexity O(total nodes). Thread-safety: no shared state.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "ensemble/gbm_internal.h"

#define WHO "XGBoost import"

/* ---------------------------------------------------------------- JSON helpers */

static const cJSON *path_get(const cJSON *o, const char *const *keys)
{
    for (; o && *keys; keys++)
        o = cJSON_GetObjectItemCaseSensitive(o, *keys);
    return o;
}

/* A number written as a JSON number or as a string ("5E-1", XGBoost's
 * style for parameters). */
static int num_of(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 1;
    }
    if (cJSON_IsString(v) && v->valuestring) {
        /* XGBoost 2.x writes vector parameters as "[1.5E2]" */
        const char *s = v->valuestring;
        const int br = *s == '[';
        char *end;
        *out = strtod(s + br, &end);
        if (end == s + br) return 0;
        if (br && *end == ']') end++;
        return *end == '\0';
    }
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? 1.0 : 0.0;
        return 1;
    }
    if (cJSON_IsNull(v)) { /* XGBoost's bare NaN, see nan_to_null */
        *out = NAN;
        return 1;
    }
    return 0;
}

/* XGBoost writes the split_conditions of categorical splits as a bare
 * NaN, which is not JSON: a copy of text with every NaN token outside
 * strings turned into null (num_of reads null as NaN). */
static char *nan_to_null(const char *text, size_t len, size_t *out_len)
{
    size_t n_nan = 0;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        if (in_str) {
            if (text[i] == '\\')
                i++;
            else if (text[i] == '"')
                in_str = 0;
        } else if (text[i] == '"') {
            in_str = 1;
        } else if (i + 3 <= len && !memcmp(text + i, "NaN", 3)) {
            n_nan++;
        }
    }
    char *out = cml_malloc(len + n_nan + 1);
    if (!out) return NULL;
    size_t o = 0;
    in_str = 0;
    for (size_t i = 0; i < len; i++) {
        if (in_str) {
            if (text[i] == '\\' && i + 1 < len)
                out[o++] = text[i++];
            else if (text[i] == '"')
                in_str = 0;
        } else if (text[i] == '"') {
            in_str = 1;
        } else if (i + 3 <= len && !memcmp(text + i, "NaN", 3)) {
            memcpy(out + o, "null", 4);
            o += 4;
            i += 2;
            continue;
        }
        out[o++] = text[i];
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Array `name` of tree `t` with exactly n numbers into out (n). */
static cml_status num_array(const cJSON *t, const char *name, int64_t n, int tree, double *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(t, name);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return cml_fail(CML_ERR_FORMAT,
                        WHO ": tree %d: \"%s\" is missing or does not have %lld "
                            "entries",
                        tree, name, (long long)n);
    int64_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        if (!num_of(v, &out[i]))
            return cml_fail(CML_ERR_FORMAT, WHO ": tree %d: \"%s\"[%lld] is not a number", tree,
                            name, (long long)i);
        i++;
    }
    return CML_OK;
}

/* ---------------------------------------------------------------- thresholds */

/* The double t with (x < t) == ((float)x < c) for every finite double x
 * (see the file comment). */
static double float_lt_threshold(float c)
{
    const float p = nextafterf(c, -INFINITY);
    const double mid = ((double)p + (double)c) / 2;
    uint32_t bits;
    memcpy(&bits, &c, sizeof bits);
    return (bits & 1u) ? nextafter(mid, INFINITY) : mid;
}

/* ---------------------------------------------------------------- objective */

static cml_status set_objective(const cJSON *learner, cml_gbm *m, int *is_clf)
{
    static const char *const k_name[] = {"objective", "name", NULL};
    const cJSON *on = path_get(learner, k_name);
    if (!cJSON_IsString(on))
        return cml_fail(CML_ERR_FORMAT, WHO ": learner.objective.name is missing");
    const char *name = on->valuestring;
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(learner, "objective");
    double v;
    m->obj.n_outputs = 1;
    m->obj.huber_slope = 1.0;
    m->obj.quantile_alpha = 0.5;
    m->obj.poisson_max_delta_step = 0.7;
    *is_clf = 0;
    if (!strcmp(name, "reg:squarederror") || !strcmp(name, "reg:linear")) {
        m->obj.kind = CML_GBM_SQUAREDERROR;
    } else if (!strcmp(name, "reg:absoluteerror")) {
        m->obj.kind = CML_GBM_ABSOLUTEERROR;
    } else if (!strcmp(name, "reg:pseudohubererror")) {
        m->obj.kind = CML_GBM_PSEUDOHUBER;
        static const char *const k[] = {"pseudohuber_param", "huber_slope", NULL};
        if (num_of(path_get(obj, k), &v)) m->obj.huber_slope = v;
    } else if (!strcmp(name, "reg:quantileerror")) {
        m->obj.kind = CML_GBM_QUANTILE;
    } else if (!strcmp(name, "count:poisson")) {
        m->obj.kind = CML_GBM_POISSON;
        static const char *const k[] = {"poisson_regression_param", "max_delta_step", NULL};
        if (num_of(path_get(obj, k), &v)) m->obj.poisson_max_delta_step = v;
    } else if (!strcmp(name, "binary:logistic")) {
        m->obj.kind = CML_GBM_LOGISTIC;
        *is_clf = 1;
    } else if (!strcmp(name, "multi:softprob") || !strcmp(name, "multi:softmax")) {
        m->obj.kind = CML_GBM_SOFTPROB;
        *is_clf = 1;
    } else {
        return cml_fail(CML_ERR_UNSUPPORTED,
                        WHO ": objective \"%s\" is not supported. HINT: cml imports "
                            "reg:squarederror, reg:absoluteerror, reg:pseudohubererror, "
                            "reg:quantileerror, count:poisson, binary:logistic and multi:softprob",
                        name);
    }
    return CML_OK;
}

/* ---------------------------------------------------------------- trees */

/* A tree's categorical split data: split_type per node, and per
 * categorical node (categories_nodes, ascending) its segment of the flat
 * categories list. */
typedef struct cat_info {
    double *type; /* (n) or NULL when the tree has no categorical split */
    double *nodes, *segs, *sizes, *cats;
    int64_t n_cat_nodes, n_cats;
} cat_info;

static void cat_info_free(cat_info *c)
{
    free(c->type);
    free(c->nodes);
    free(c->segs);
    free(c->sizes);
    free(c->cats);
    memset(c, 0, sizeof *c);
}

static cml_status cat_array(const cJSON *t, const char *name, int tree, int64_t *n, double **out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(t, name);
    if (!cJSON_IsArray(a))
        return cml_fail(CML_ERR_FORMAT, WHO ": tree %d has categorical splits but no \"%s\"", tree,
                        name);
    *n = cJSON_GetArraySize(a);
    *out = cml_alloc_array(CML_MAX(*n, 1), sizeof **out);
    if (!*out) return CML_ERR_NOMEM;
    return num_array(t, name, *n, tree, *out);
}

static cml_status cat_info_read(const cJSON *jt, int ti, int64_t n, cat_info *ci)
{
    memset(ci, 0, sizeof *ci);
    const cJSON *jtype = cJSON_GetObjectItemCaseSensitive(jt, "split_type");
    int any = 0;
    if (cJSON_IsArray(jtype)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, jtype) any |= cJSON_IsNumber(v) && v->valuedouble != 0;
    }
    if (!any) return CML_OK;
    cml_status st;
    int64_t k1, k2, k3;
    ci->type = cml_alloc_array(n, sizeof *ci->type);
    if (!ci->type) return CML_ERR_NOMEM;
    CML_TRY(num_array(jt, "split_type", n, ti, ci->type));
    CML_TRY(cat_array(jt, "categories_nodes", ti, &k1, &ci->nodes));
    CML_TRY(cat_array(jt, "categories_segments", ti, &k2, &ci->segs));
    CML_TRY(cat_array(jt, "categories_sizes", ti, &k3, &ci->sizes));
    CML_TRY(cat_array(jt, "categories", ti, &ci->n_cats, &ci->cats));
    if (k1 != k2 || k1 != k3) {
        st = cml_fail(CML_ERR_FORMAT,
                      WHO ": tree %d: categories_nodes / _segments / _sizes differ "
                          "in length",
                      ti);
        goto fail;
    }
    ci->n_cat_nodes = k1;
    return CML_OK;
fail:
    cat_info_free(ci);
    return st;
}

/* The category set of XGBoost node x into tree out; *off its offset. */
static cml_status cat_split(const cat_info *ci, int ti, int32_t x, gbm_tree *out, int64_t *off)
{
    int64_t k = 0;
    while (k < ci->n_cat_nodes && ci->nodes[k] != x)
        k++;
    const double seg = k < ci->n_cat_nodes ? ci->segs[k] : -1,
                 size = k < ci->n_cat_nodes ? ci->sizes[k] : -1;
    if (!(seg >= 0 && size >= 0 && seg + size <= (double)ci->n_cats))
        return cml_fail(CML_ERR_FORMAT,
                        WHO ": tree %d node %d: categorical split without a valid "
                            "category segment",
                        ti, x);
    double mx = 0;
    for (int64_t i = (int64_t)seg; i < (int64_t)(seg + size); i++) {
        const double c = ci->cats[i];
        if (!(c >= 0 && c <= GBM_MAX_CAT) || c != floor(c))
            return cml_fail(CML_ERR_FORMAT,
                            WHO ": tree %d node %d: category %g is not a code in "
                                "[0, 2^24)",
                            ti, x, c);
        mx = fmax(mx, c);
    }
    /* XGBoost's loader sizes the set for its largest category */
    CML_CHECK(gbm_tree_add_catset(out, (int64_t)mx / 32 + 1, off));
    uint32_t *bits = out->cat_words + *off + 1;
    for (int64_t i = (int64_t)seg; i < (int64_t)(seg + size); i++) {
        const uint32_t c = (uint32_t)ci->cats[i];
        bits[c >> 5] |= 1u << (c & 31u);
    }
    return CML_OK;
}

/* One XGBoost tree, renumbered breadth-first into gbm_tree's layout. */
static cml_status import_tree(const cJSON *jt, int ti, int64_t n_features, gbm_tree *out,
                              double *buf, int32_t *order)
{
    double num_nodes;
    static const char *const k_nn[] = {"tree_param", "num_nodes", NULL};
    if (!num_of(path_get(jt, k_nn), &num_nodes) || num_nodes < 1 || num_nodes > INT32_MAX / 2)
        return cml_fail(CML_ERR_FORMAT, WHO ": tree %d: tree_param.num_nodes is missing or bad",
                        ti);
    const int64_t n = (int64_t)num_nodes;
    double *L = buf, *R = buf + n, *F = buf + 2 * n, *C = buf + 3 * n, *D = buf + 4 * n,
           *H = buf + 5 * n, *G = buf + 6 * n;
    CML_CHECK(num_array(jt, "left_children", n, ti, L));
    CML_CHECK(num_array(jt, "right_children", n, ti, R));
    CML_CHECK(num_array(jt, "split_indices", n, ti, F));
    CML_CHECK(num_array(jt, "split_conditions", n, ti, C));
    CML_CHECK(num_array(jt, "default_left", n, ti, D));
    CML_CHECK(num_array(jt, "sum_hessian", n, ti, H));
    CML_CHECK(num_array(jt, "loss_changes", n, ti, G));
    cat_info ci;
    CML_CHECK(cat_info_read(jt, ti, n, &ci));
    /* Breadth-first: order[k] = XGBoost id of cml's node k. */
    gbm_tnode *nodes = cml_alloc_array(n, sizeof *nodes);
    if (!nodes) {
        cat_info_free(&ci);
        return CML_ERR_NOMEM;
    }
    int64_t head = 0, tail = 1;
    order[0] = 0;
    nodes[0].depth = 0;
    cml_status s = CML_OK;
    while (head < tail) {
        const int64_t k = head++;
        const int32_t x = order[k];
        gbm_tnode *nd = &nodes[k];
        const int32_t depth = nd->depth;
        memset(nd, 0, sizeof *nd);
        nd->depth = depth;
        nd->H = H[x];
        nd->cat_off = -1;
        const int32_t l = (int32_t)L[x], r = (int32_t)R[x];
        if (l == -1 && r == -1) {
            nd->feature = -1;
            nd->left = -1;
            nd->value = (double)(float)C[x]; /* a leaf's split_condition is its value */
            if (!isfinite(nd->value)) {
                s = cml_fail(CML_ERR_FORMAT, WHO ": tree %d leaf %d has no finite value", ti, x);
                goto fail;
            }
            continue;
        }
        const int is_cat = ci.type && ci.type[x] != 0;
        if (l < 0 || r < 0 || l >= n || r >= n || tail + 2 > n || F[x] < 0 ||
            F[x] >= (double)n_features || (!is_cat && !isfinite(C[x]))) {
            s = cml_fail(CML_ERR_FORMAT,
                         WHO ": tree %d node %d: bad children, feature or "
                             "threshold",
                         ti, x);
            goto fail;
        }
        nd->feature = (int32_t)F[x];
        nd->thr = float_lt_threshold((float)C[x]);
        if (is_cat) {
            s = cat_split(&ci, ti, x, out, &nd->cat_off);
            if (s != CML_OK) goto fail;
            nd->thr = NAN;
        }
        nd->default_left = D[x] != 0;
        nd->gain = (double)(float)G[x];
        nd->left = (int32_t)tail;
        order[tail] = l;
        order[tail + 1] = r;
        nodes[tail].depth = nodes[tail + 1].depth = nd->depth + 1;
        tail += 2;
    }
    out->nodes = nodes;
    out->n = (int)tail;
    out->cap = (int)n;
    out->rows = NULL;
    cat_info_free(&ci);
    return CML_OK;
fail:
    free(nodes);
    cat_info_free(&ci);
    return s;
}

/* ---------------------------------------------------------------- entry */

static cml_status import_json(const cJSON *root, cml_gbm **out)
{
    static const char *const k_learner[] = {"learner", NULL};
    static const char *const k_model[] = {"gradient_booster", "model", NULL};
    static const char *const k_gbname[] = {"gradient_booster", "name", NULL};
    static const char *const k_lmp[] = {"learner_model_param", NULL};
    const cJSON *learner = path_get(root, k_learner);
    if (!cJSON_IsObject(learner))
        return cml_fail(CML_ERR_FORMAT, WHO ": no \"learner\" object. HINT: save the model "
                                            "with booster.save_model(\"model.json\")");
    const cJSON *gbname = path_get(learner, k_gbname);
    if (!cJSON_IsString(gbname) || strcmp(gbname->valuestring, "gbtree"))
        return cml_fail(CML_ERR_UNSUPPORTED, WHO ": booster \"%s\" is not supported (only gbtree)",
                        cJSON_IsString(gbname) ? gbname->valuestring : "?");
    const cJSON *model = path_get(learner, k_model), *lmp = path_get(learner, k_lmp);
    const cJSON *trees = cJSON_GetObjectItemCaseSensitive(model, "trees");
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(model, "tree_info");
    double nf, ncls = 0, base_score = 0.5, npar = 1;
    if (!cJSON_IsArray(trees) || !cJSON_IsArray(info) ||
        cJSON_GetArraySize(trees) != cJSON_GetArraySize(info) ||
        !num_of(cJSON_GetObjectItemCaseSensitive(lmp, "num_feature"), &nf) || nf < 1 ||
        nf > (double)GBM_MAX_FEATURES)
        return cml_fail(CML_ERR_FORMAT, WHO ": trees, tree_info or num_feature missing or bad");
    num_of(cJSON_GetObjectItemCaseSensitive(lmp, "num_class"), &ncls);
    num_of(cJSON_GetObjectItemCaseSensitive(lmp, "base_score"), &base_score);
    static const char *const k_npar[] = {"gbtree_model_param", "num_parallel_tree", NULL};
    num_of(path_get(model, k_npar), &npar);
    if (!(npar >= 1))
        return cml_fail(CML_ERR_FORMAT, WHO ": num_parallel_tree = %g must be >= 1", npar);

    cml_status st = CML_OK;
    double *buf = NULL;
    int32_t *order = NULL;
    const cJSON **jlist = NULL;
    int *fill = NULL;
    gbm_tree tr = {0};
    int is_clf;
    cml_gbm *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->n_features = (int64_t)nf;
    CML_TRY(set_objective(learner, m, &is_clf));
    if (m->obj.kind == CML_GBM_SOFTPROB) {
        if (ncls < 2 || ncls > 1e6) {
            st = cml_fail(CML_ERR_FORMAT, WHO ": num_class = %g for a multi-class objective", ncls);
            goto fail;
        }
        m->obj.n_outputs = (int)ncls;
    }
    if (is_clf) { /* XGBoost's labels are 0 .. K-1 */
        m->n_classes = m->obj.kind == CML_GBM_SOFTPROB ? (int64_t)ncls : 2;
        m->classes = cml_alloc_array(m->n_classes, sizeof *m->classes);
        if (!m->classes) goto nomem;
        for (int64_t c = 0; c < m->n_classes; c++)
            m->classes[c] = (double)c;
    }
    /* base_score -> margin as XGBoost's ProbToMargin, in float32 as there. */
    const float bs = (float)base_score;
    if (m->obj.kind == CML_GBM_LOGISTIC)
        m->base_margin = (double)(-logf(1.0f / bs - 1.0f));
    else if (m->obj.kind == CML_GBM_POISSON)
        m->base_margin = (double)logf(bs);
    else
        m->base_margin = (double)bs;
    m->metric = gbm_obj_default_metric(&m->obj);

    const int K = m->obj.n_outputs, nt = cJSON_GetArraySize(trees);
    if (nt % K) {
        st = cml_fail(CML_ERR_FORMAT, WHO ": %d trees is not a multiple of %d outputs", nt, K);
        goto fail;
    }
    /* cml's layout: tree t serves output t % K. XGBoost's tree_info names
     * each tree's output; with num_parallel_tree > 1 (boosted random
     * forests, XGBRF*) a round holds several trees per output, so the trees
     * are regrouped as the j-th tree of output 0, 1, ..., K-1 for j = 0, 1,
     * ... (the margin is a sum: the order only changes rounding). */
    jlist = cml_calloc((size_t)CML_MAX(nt, 1), sizeof *jlist);
    fill = cml_calloc((size_t)K, sizeof *fill);
    if (!jlist || !fill) goto nomem;
    const int per = nt / K;
    int t = 0;
    const cJSON *jt, *ji = info->child;
    cJSON_ArrayForEach(jt, trees)
    {
        double grp;
        if (!num_of(ji, &grp) || grp < 0 || grp >= K || fill[(int)grp] >= per) {
            st = cml_fail(CML_ERR_FORMAT,
                          WHO ": tree_info[%d] is not an output in [0, %d) or the outputs have "
                              "unequal tree counts",
                          t, K);
            goto fail;
        }
        jlist[(int)grp * per + fill[(int)grp]++] = jt;
        ji = ji->next;
        t++;
    }
    for (t = 0; t < nt; t++) {
        jt = jlist[(t % K) * per + t / K];
        double nn;
        static const char *const k_nn[] = {"tree_param", "num_nodes", NULL};
        if (!num_of(path_get(jt, k_nn), &nn) || nn < 1 || nn > INT32_MAX / 2) {
            st = cml_fail(CML_ERR_FORMAT, WHO ": tree %d: tree_param.num_nodes is bad", t);
            goto fail;
        }
        free(buf);
        free(order);
        buf = cml_alloc_array((int64_t)nn * 7, sizeof *buf);
        order = cml_alloc_array((int64_t)nn, sizeof *order);
        if (!buf || !order) goto nomem;
        CML_TRY(import_tree(jt, t, m->n_features, &tr, buf, order));
        st = gbm_model_add_tree(m, &tr);
        gbm_tree_free(&tr);
        memset(&tr, 0, sizeof tr);
        if (st != CML_OK) goto fail;
    }
    m->n_rounds = nt / K;
    m->best_iteration = m->n_rounds - 1;
    if (m->n_trees == 0) { /* no trees: a model that predicts the base margin */
        st = cml_fail(CML_ERR_FORMAT, WHO ": the model has no trees");
        goto fail;
    }
    free(buf);
    free(order);
    free(jlist);
    free(fill);
    *out = m;
    return CML_OK;
nomem:
    st = CML_ERR_NOMEM;
fail:
    free(buf);
    free(order);
    free(jlist);
    free(fill);
    cml_gbm_free(m);
    return st;
}

cml_status cml_gbm_import_xgboost_json(const char *text, size_t len, cml_gbm **out)
{
    *out = NULL;
    size_t clen;
    char *clean = nan_to_null(text, len, &clen);
    if (!clean) return CML_ERR_NOMEM;
    cJSON *root = cJSON_ParseWithLength(clean, clen);
    free(clean);
    if (!root)
        return cml_fail(CML_ERR_FORMAT, WHO ": not valid JSON. HINT: save the model with "
                                            "booster.save_model(\"model.json\") (UBJSON and the "
                                            "binary format are not read)");
    cml_status st = import_json(root, out);
    cJSON_Delete(root);
    return st;
}

cml_status cml_gbm_import_xgboost(const char *path, cml_gbm **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return cml_fail(CML_ERR_IO, WHO ": cannot open %s", path);
    char *text = NULL;
    size_t len = 0, cap = 0;
    cml_status st = CML_OK;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? 2 * cap : 1 << 20;
            char *nt = cml_realloc(text, cap);
            if (!nt) {
                st = CML_ERR_NOMEM;
                goto done;
            }
            text = nt;
        }
        size_t r = fread(text + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    if (ferror(f)) {
        st = cml_fail(CML_ERR_IO, WHO ": cannot read %s", path);
        goto done;
    }
    st = cml_gbm_import_xgboost_json(text, len, out);
done:
    fclose(f);
    free(text);
    return st;
}

/* ---------------------------------------------------------------- as a cml_model */

extern const cml_estimator cml_est_gbm_classifier, cml_est_gbm_regressor;

cml_status cml_gbm_import_xgboost_model(const char *path, cml_model **out)
{
    *out = NULL;
    cml_gbm *m;
    CML_CHECK(cml_gbm_import_xgboost(path, &m));
    const cml_estimator *est = m->classes ? &cml_est_gbm_classifier : &cml_est_gbm_regressor;
    cml_gbm_params p;
    cml_gguf_writer *w = NULL;
    cml_gguf *g = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    cml_status st;
    CML_TRY(cml_params_init(est->params, est->n_params, &p));
    p.n_estimators = m->n_rounds;
    p.objective = (int)m->obj.kind;
    /* The generic layer builds models only by fitting or loading, so the
     * imported state goes through the container it loads: the header keys
     * of cml_model_write (core/model.c), then the estimator's own fields. */
    w = cml_gguf_writer_new();
    if (!w) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_set_str(w, "cml.kind", est->name));
    CML_TRY(cml_gguf_set_u32(w, "cml.schema_version", (uint32_t)est->schema_version));
    CML_TRY(cml_gguf_set_str(w, "cml.version", CML_VERSION_STRING));
    CML_TRY(cml_params_save(est->params, est->n_params, &p, w));
    CML_TRY(cml_gguf_set_i64(w, "cml.steps", 0));
    CML_TRY(cml_gguf_set_str(w, "cml.fit.imported_from", "xgboost"));
    CML_TRY(est->save(m, &p, w));
    CML_TRY(cml_gguf_write_mem(w, &buf, &len));
    CML_TRY(cml_gguf_read_mem(buf, len, path, &g));
    st = cml_model_from_gguf(g, out);
fail:
    cml_gguf_free(g);
    free(buf);
    cml_gguf_writer_free(w);
    cml_gbm_free(m);
    return st;
}
