/*
 * tree_model.c — storage, importances, pruning and persistence of fitted
 * trees (see tree_model.h), shared by decision trees and forests.
 *
 * Feature importances (MDI, Breiman 2001 / scikit-learn's
 * compute_feature_importances): for every split node s on feature f,
 *     imp[f] += w_s * i_s - w_left * i_left - w_right * i_right,
 * divided by the root weight and normalized to sum 1.
 * Minimal cost-complexity pruning (Breiman, Friedman, Olshen & Stone 1984,
 * ch. 3.3), as scikit-learn's _cost_complexity_prune: with
 * R(t) = w_t * i_t / w_root, repeatedly collapse the internal node with the
 * smallest effective alpha (R(t) - R(T_t)) / (|leaves(T_t)| - 1) (first
 * index on ties) until the root is a leaf or the alpha exceeds ccp_alpha.
 * Each step is O(n_nodes), so the path costs O(n_nodes^2) at worst.
 * Predict-side walks (cml_dtree_apply_*) step CML_DTREE_LANES rows through
 * one tree together over its 16-byte float32 node copy: each step is
 * branch-free, so the lanes' dependent loads overlap; O(rows * depth).
 * Thread-safety: read-only functions may run concurrently on one tree.
 */
#include <float.h>
#include <string.h>

#include "tree/tree_model.h"

cml_dtree *cml_dtree_new(int64_t stride)
{
    cml_dtree *t = cml_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->stride = stride;
    return t;
}

void cml_dtree_free(cml_dtree *t)
{
    if (!t) return;
    free(t->nodes);
    free(t->value);
    free(t->impurity);
    free(t->n_samples);
    free(t->w_samples);
    free(t->proba);
    free(t->flat);
    free(t);
}

/* Grows every array to `cap` nodes. */
static cml_status dtree_reserve(cml_dtree *t, int64_t cap)
{
    if (cap <= t->cap) return CML_OK;
    if (cap > INT32_MAX) return cml_fail(CML_ERR_NOMEM, "tree: more than 2^31 nodes");
    cml_tnode *nd = cml_realloc(t->nodes, (size_t)cap * sizeof *nd);
    if (!nd) return CML_ERR_NOMEM;
    t->nodes = nd;
    double *v = cml_realloc(t->value, (size_t)(cap * t->stride) * sizeof *v);
    if (!v) return CML_ERR_NOMEM;
    t->value = v;
    double *im = cml_realloc(t->impurity, (size_t)cap * sizeof *im);
    if (!im) return CML_ERR_NOMEM;
    t->impurity = im;
    int64_t *ns = cml_realloc(t->n_samples, (size_t)cap * sizeof *ns);
    if (!ns) return CML_ERR_NOMEM;
    t->n_samples = ns;
    double *ws = cml_realloc(t->w_samples, (size_t)cap * sizeof *ws);
    if (!ws) return CML_ERR_NOMEM;
    t->w_samples = ws;
    t->cap = cap;
    return CML_OK;
}

int64_t cml_dtree_add_node(cml_dtree *t, int64_t parent, int is_left, int is_leaf, int64_t feature,
                           double threshold, int nan_left, double impurity, int64_t n_samples,
                           double w_samples)
{
    if (t->n_nodes == t->cap && dtree_reserve(t, t->cap ? 2 * t->cap : 15) != CML_OK) return -1;
    int64_t id = t->n_nodes++;
    cml_tnode *nd = &t->nodes[id];
    if (is_leaf) {
        nd->feature = CML_TREE_UNDEFINED;
        nd->threshold = CML_TREE_UNDEFINED;
        nd->nan_left = 0;
    } else {
        nd->feature = (int32_t)feature;
        nd->threshold = threshold;
        nd->nan_left = nan_left;
    }
    nd->left = nd->right = CML_TREE_LEAF;
    if (parent >= 0) {
        if (is_left)
            t->nodes[parent].left = (int32_t)id;
        else
            t->nodes[parent].right = (int32_t)id;
    }
    t->impurity[id] = impurity;
    t->n_samples[id] = n_samples;
    t->w_samples[id] = w_samples;
    memset(t->value + id * t->stride, 0, (size_t)t->stride * sizeof(double));
    return id;
}

void cml_dtree_make_leaf(cml_dtree *t, int64_t id)
{
    cml_tnode *nd = &t->nodes[id];
    nd->left = nd->right = CML_TREE_LEAF;
    nd->feature = CML_TREE_UNDEFINED;
    nd->threshold = CML_TREE_UNDEFINED;
    nd->nan_left = 0;
}

/* The largest float32 <= v (v not NaN; +-inf map to themselves): see
 * cml_fnode. */
static float float_at_or_below(double v)
{
    float f = (float)v;
    if ((double)f > v) f = nextafterf(f, -INFINITY);
    return f;
}

static cml_status build_flat(cml_dtree *t)
{
    free(t->flat);
    t->flat = cml_alloc_array(t->n_nodes, sizeof *t->flat);
    if (!t->flat) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < t->n_nodes; i++) {
        const cml_tnode *nd = &t->nodes[i];
        cml_fnode *q = &t->flat[i];
        if (nd->left < 0) {
            q->thr = 0.0f;
            q->feat = 0;
            q->child[0] = q->child[1] = (int32_t)i;
        } else {
            q->thr = float_at_or_below(nd->threshold);
            q->feat = (uint32_t)nd->feature | (nd->nan_left ? 0x80000000u : 0u);
            q->child[0] = nd->left;
            q->child[1] = nd->right;
        }
    }
    return CML_OK;
}

cml_status cml_dtree_finish(cml_dtree *t, int classifier)
{
    free(t->proba);
    t->proba = NULL;
    CML_CHECK(build_flat(t));
    if (!classifier) return CML_OK;
    const int64_t k = t->stride;
    t->proba = cml_alloc_array(t->n_nodes * k, sizeof(double));
    if (!t->proba) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < t->n_nodes; i++) {
        const double *v = t->value + i * k;
        double s = cml_np_sum(v, k);
        if (s == 0.0) s = 1.0;
        for (int64_t c = 0; c < k; c++)
            t->proba[i * k + c] = v[c] / s;
    }
    return CML_OK;
}

/* One step of a walk: the child of node q that a row x goes to (x rounded to
 * float32 first). NaN fails the compare, so it goes by the NaN bit. */
#define DEFINE_STEP(NAME, TYPE)                                                                    \
    static inline int32_t NAME(const cml_fnode *q, const TYPE *x)                                  \
    {                                                                                              \
        float v = (float)x[q->feat & 0x7fffffffu];                                                 \
        int left = (v <= q->thr) | ((int)(q->feat >> 31) & (v != v));                              \
        return q->child[!left];                                                                    \
    }
DEFINE_STEP(step_f32, float)
DEFINE_STEP(step_f64, double)

/* The lockstep walk of cml_dtree_apply_f32 with step function STEP and rows
 * of TYPE: leaves loop to themselves, so every lane steps until none moves;
 * the tail rows walk alone. */
#define APPLY_BODY(STEP, TYPE)                                                                     \
    const cml_fnode *nd = t->flat;                                                                 \
    int64_t i0 = 0;                                                                                \
    for (; i0 + CML_DTREE_LANES <= n; i0 += CML_DTREE_LANES) {                                     \
        int32_t id[CML_DTREE_LANES] = {0};                                                         \
        const TYPE *x0 = X + i0 * ld;                                                              \
        for (int moved = 1; moved;) {                                                              \
            moved = 0;                                                                             \
            for (int r = 0; r < CML_DTREE_LANES; r++) {                                            \
                int32_t nx = STEP(nd + id[r], x0 + r * ld);                                        \
                moved |= nx != id[r];                                                              \
                id[r] = nx;                                                                        \
            }                                                                                      \
        }                                                                                          \
        memcpy(leaf + i0, id, sizeof id);                                                          \
    }                                                                                              \
    for (; i0 < n; i0++) {                                                                         \
        int32_t i = 0, nx;                                                                         \
        while ((nx = STEP(nd + i, X + i0 * ld)) != i)                                              \
            i = nx;                                                                                \
        leaf[i0] = i;                                                                              \
    }

void cml_dtree_apply_f32(const cml_dtree *t, const float *X, int64_t ld, int64_t n, int32_t *leaf)
{
    APPLY_BODY(step_f32, float)
}

void cml_dtree_apply_f64(const cml_dtree *t, const double *X, int64_t ld, int64_t n, int32_t *leaf)
{
    APPLY_BODY(step_f64, double)
}

void cml_dtree_rows_f32(const cml_matrix *X, int64_t r0, int64_t m, float *xf)
{
    const int64_t d = X->cols;
    for (int64_t i = 0; i < m; i++) {
        const double *r = cml_matrix_row(X, r0 + i);
        for (int64_t j = 0; j < d; j++)
            xf[i * d + j] = (float)r[j];
    }
}

void cml_dtree_importances(const cml_dtree *t, int64_t n_features, int normalize, double *out)
{
    memset(out, 0, (size_t)n_features * sizeof *out);
    const cml_tnode *nd = t->nodes;
    for (int64_t i = 0; i < t->n_nodes; i++) {
        if (nd[i].left < 0) continue;
        int64_t l = nd[i].left, r = nd[i].right;
        out[nd[i].feature] += t->w_samples[i] * t->impurity[i] - t->w_samples[l] * t->impurity[l] -
                              t->w_samples[r] * t->impurity[r];
    }
    for (int64_t f = 0; f < n_features; f++)
        out[f] /= t->w_samples[0];
    if (normalize) {
        double s = cml_np_sum(out, n_features);
        if (s > 0.0)
            for (int64_t f = 0; f < n_features; f++)
                out[f] /= s;
    }
}

/* ---------------------------------------------------------------- pruning */

/* The pruning loop shared by the path and by pruning at one alpha.
 * ccp_alpha < 0: record the whole path into alphas/impurities (n_nodes
 * slots each); else stop before the first alpha > ccp_alpha. On return
 * leaves[i] marks the leaves of the pruned tree. */
static cml_status ccp_run(const cml_dtree *t, double ccp_alpha, uint8_t *leaves, double *alphas,
                          double *impurities, int64_t *count)
{
    const int64_t n = t->n_nodes;
    const cml_tnode *nd = t->nodes;
    cml_status st = CML_OK;
    if (n < 1 || n > INT32_MAX) return cml_fail(CML_ERR_INTERNAL, "pruning: bad node count");
    double *r_node = cml_alloc_array(n, sizeof *r_node);
    double *r_branch = cml_calloc((size_t)n, sizeof *r_branch);
    int64_t *parent = cml_alloc_array(n, sizeof *parent);
    int64_t *n_leaves = cml_calloc((size_t)n, sizeof *n_leaves);
    int64_t *stack = cml_alloc_array(n, sizeof *stack);
    uint8_t *cand = cml_calloc((size_t)n, 1);
    uint8_t *in_sub = cml_alloc_array(n, 1);
    if (!r_node || !r_branch || !parent || !n_leaves || !stack || !cand || !in_sub) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    const double total_w = t->w_samples[0];
    for (int64_t i = 0; i < n; i++)
        r_node[i] = t->w_samples[i] * t->impurity[i] / total_w;
    memset(in_sub, 1, (size_t)n);
    memset(leaves, 0, (size_t)n);
    /* Parents and leaves; the node ids are increasing down the tree, so a
     * forward pass sets every parent before its children are read. */
    parent[0] = CML_TREE_UNDEFINED;
    for (int64_t i = 0; i < n; i++) {
        if (nd[i].left < 0) {
            leaves[i] = 1;
        } else {
            parent[nd[i].left] = i;
            parent[nd[i].right] = i;
        }
    }
    for (int64_t leaf = 0; leaf < n; leaf++) {
        if (!leaves[leaf]) continue;
        r_branch[leaf] = r_node[leaf];
        double cur = r_node[leaf];
        for (int64_t j = leaf; j != 0;) {
            int64_t p = parent[j];
            r_branch[p] += cur;
            n_leaves[p] += 1;
            j = p;
        }
    }
    for (int64_t i = 0; i < n; i++)
        cand[i] = !leaves[i];
    int64_t cnt = 0;
    if (alphas) {
        alphas[cnt] = 0.0;
        impurities[cnt] = r_branch[0];
        cnt++;
    }
    while (cand[0]) {
        double eff = DBL_MAX;
        int64_t best = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!cand[i]) continue;
            double a = (r_node[i] - r_branch[i]) / (double)(n_leaves[i] - 1);
            if (a < eff) {
                eff = a;
                best = i;
            }
        }
        if (ccp_alpha >= 0 && ccp_alpha < eff) break;
        int64_t top = 0;
        stack[top++] = best;
        while (top) {
            int64_t j = stack[--top];
            if (!in_sub[j]) continue;
            cand[j] = 0;
            leaves[j] = 0;
            in_sub[j] = 0;
            if (nd[j].left >= 0) {
                stack[top++] = nd[j].left;
                stack[top++] = nd[j].right;
            }
        }
        leaves[best] = 1;
        in_sub[best] = 1;
        int64_t pruned = n_leaves[best] - 1;
        n_leaves[best] = 0;
        double r_diff = r_node[best] - r_branch[best];
        r_branch[best] = r_node[best];
        for (int64_t j = parent[best]; j != CML_TREE_UNDEFINED; j = parent[j]) {
            n_leaves[j] -= pruned;
            r_branch[j] += r_diff;
        }
        if (alphas) {
            alphas[cnt] = eff;
            impurities[cnt] = r_branch[0];
            cnt++;
        }
    }
    if (count) *count = cnt;
done:
    free(r_node);
    free(r_branch);
    free(parent);
    free(n_leaves);
    free(stack);
    free(cand);
    free(in_sub);
    return st;
}

cml_status cml_dtree_ccp_path(const cml_dtree *t, double **alphas, double **impurities, int64_t *n)
{
    *alphas = *impurities = NULL;
    *n = 0;
    uint8_t *leaves = cml_alloc_array(t->n_nodes, 1);
    double *a = cml_alloc_array(t->n_nodes, sizeof *a);
    double *im = cml_alloc_array(t->n_nodes, sizeof *im);
    cml_status st = CML_ERR_NOMEM;
    if (leaves && a && im) st = ccp_run(t, -1.0, leaves, a, im, n);
    free(leaves);
    if (st != CML_OK) {
        free(a);
        free(im);
        return st;
    }
    *alphas = a;
    *impurities = im;
    return CML_OK;
}

cml_status cml_dtree_prune(const cml_dtree *t, double ccp_alpha, cml_dtree **out)
{
    *out = NULL;
    const int64_t n = t->n_nodes;
    uint8_t *leaves = cml_alloc_array(n, 1);
    /* (orig id, depth, new parent, is_left) records of a depth-first copy */
    int64_t *stack = cml_alloc_array(4 * n, sizeof *stack);
    cml_dtree *p = cml_dtree_new(t->stride);
    cml_status st = CML_OK;
    if (!leaves || !stack || !p) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(ccp_run(t, ccp_alpha, leaves, NULL, NULL, NULL));
    /* Copy in scikit-learn's order (_build_pruned_tree): a stack, right child
     * pushed first, so ids stay depth-first left-first. */
    int64_t top = 0;
    stack[0] = 0, stack[1] = 0, stack[2] = CML_TREE_UNDEFINED, stack[3] = 0;
    top = 1;
    p->max_depth = -1;
    while (top) {
        top--;
        int64_t o = stack[4 * top], depth = stack[4 * top + 1], par = stack[4 * top + 2];
        int is_left = (int)stack[4 * top + 3];
        int is_leaf = leaves[o];
        const cml_tnode *nd = &t->nodes[o];
        int64_t id =
            cml_dtree_add_node(p, par, is_left, is_leaf, nd->feature, nd->threshold, nd->nan_left,
                               t->impurity[o], t->n_samples[o], t->w_samples[o]);
        if (id < 0) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        memcpy(p->value + id * p->stride, t->value + o * t->stride,
               (size_t)t->stride * sizeof(double));
        if (!is_leaf) {
            int64_t *r = stack + 4 * top;
            r[0] = nd->right, r[1] = depth + 1, r[2] = id, r[3] = 0;
            r[4] = nd->left, r[5] = depth + 1, r[6] = id, r[7] = 1;
            top += 2;
        }
        if (depth > p->max_depth) p->max_depth = depth;
    }
    free(leaves);
    free(stack);
    *out = p;
    return CML_OK;
fail:
    free(leaves);
    free(stack);
    cml_dtree_free(p);
    return st;
}

/* ---------------------------------------------------------------- validation */

cml_status cml_dtree_validate(const cml_dtree *t, int64_t n_features, const char *what)
{
    if (t->n_nodes < 1) return cml_fail(CML_ERR_FORMAT, "%s: a tree has no node", what);
    for (int64_t i = 0; i < t->n_nodes; i++) {
        const cml_tnode *nd = &t->nodes[i];
        int leaf = nd->left < 0 || nd->right < 0;
        if (leaf && (nd->left != CML_TREE_LEAF || nd->right != CML_TREE_LEAF))
            return cml_fail(CML_ERR_FORMAT, "%s: node %lld has one child", what, (long long)i);
        if (leaf) continue;
        /* Children after their parent: traversal always terminates. */
        if (nd->left <= i || nd->right <= i || nd->left >= t->n_nodes || nd->right >= t->n_nodes)
            return cml_fail(CML_ERR_FORMAT, "%s: node %lld has bad children %d, %d", what,
                            (long long)i, nd->left, nd->right);
        if (nd->feature < 0 || nd->feature >= n_features)
            return cml_fail(CML_ERR_FORMAT, "%s: node %lld splits on feature %d of %lld", what,
                            (long long)i, nd->feature, (long long)n_features);
        if (isnan(nd->threshold))
            return cml_fail(CML_ERR_FORMAT, "%s: node %lld has a NaN threshold", what,
                            (long long)i);
        if (nd->nan_left != 0 && nd->nan_left != 1)
            return cml_fail(CML_ERR_FORMAT, "%s: node %lld has a bad NaN direction", what,
                            (long long)i);
    }
    return CML_OK;
}

/* ---------------------------------------------------------------- save / load */

cml_status cml_dtree_save_all(cml_gguf_writer *w, cml_dtree *const *trees, int64_t n)
{
    int64_t total = 0, stride = trees[0]->stride;
    for (int64_t i = 0; i < n; i++)
        total += trees[i]->n_nodes;
    cml_status st = CML_OK;
    int64_t *off = cml_alloc_array(n + 1, sizeof *off);
    int64_t *depth = cml_alloc_array(n, sizeof *depth);
    int32_t *i32 = cml_alloc_array(4 * total, sizeof *i32);
    double *f64 = cml_alloc_array(total * (3 + stride), sizeof *f64);
    int64_t *ns = cml_alloc_array(total, sizeof *ns);
    if (!off || !depth || !i32 || !f64 || !ns) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    int32_t *feat = i32, *left = i32 + total, *right = i32 + 2 * total, *nanl = i32 + 3 * total;
    double *thr = f64, *imp = f64 + total, *wns = f64 + 2 * total, *val = f64 + 3 * total;
    off[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        const cml_dtree *t = trees[i];
        int64_t o = off[i];
        for (int64_t j = 0; j < t->n_nodes; j++) {
            feat[o + j] = t->nodes[j].feature;
            left[o + j] = t->nodes[j].left;
            right[o + j] = t->nodes[j].right;
            nanl[o + j] = t->nodes[j].nan_left;
            thr[o + j] = t->nodes[j].threshold;
        }
        memcpy(imp + o, t->impurity, (size_t)t->n_nodes * sizeof(double));
        memcpy(wns + o, t->w_samples, (size_t)t->n_nodes * sizeof(double));
        memcpy(ns + o, t->n_samples, (size_t)t->n_nodes * sizeof(int64_t));
        memcpy(val + o * stride, t->value, (size_t)(t->n_nodes * stride) * sizeof(double));
        off[i + 1] = o + t->n_nodes;
        depth[i] = t->max_depth;
    }
    CML_TRY(cml_gguf_add_i64(w, "tree_offsets", off, n + 1));
    CML_TRY(cml_gguf_set_arr_i64(w, "cml.fit.tree_max_depth", depth, n));
    CML_TRY(cml_gguf_add_i32(w, "node_feature", feat, total));
    CML_TRY(cml_gguf_add_i32(w, "node_left", left, total));
    CML_TRY(cml_gguf_add_i32(w, "node_right", right, total));
    CML_TRY(cml_gguf_add_i32(w, "node_nan_left", nanl, total));
    CML_TRY(cml_gguf_add_f64(w, "node_threshold", thr, 1, total));
    CML_TRY(cml_gguf_add_f64(w, "node_impurity", imp, 1, total));
    CML_TRY(cml_gguf_add_f64(w, "node_weighted_n_samples", wns, 1, total));
    CML_TRY(cml_gguf_add_i64(w, "node_n_samples", ns, total));
    CML_TRY(cml_gguf_add_f64(w, "node_value", val, total, stride));
done:
fail:
    free(off);
    free(depth);
    free(i32);
    free(f64);
    free(ns);
    return st;
}

cml_status cml_dtree_load_all(const cml_gguf *g, int64_t n, int64_t stride, int64_t n_features,
                              int classifier, cml_dtree **trees)
{
    const char *name = cml_gguf_name(g);
    int64_t *off = NULL, *depth = NULL, *ns = NULL, nd = 0, dims[CML_GGUF_MAX_DIMS];
    int32_t *i32 = NULL;
    double *f64 = NULL;
    const void *raw;
    int n_dims;
    cml_status st = CML_OK;
    for (int64_t i = 0; i < n; i++)
        trees[i] = NULL;
    off = cml_alloc_array(n + 1, sizeof *off);
    if (!off) return CML_ERR_NOMEM;
    CML_TRY(cml_gguf_read_i64(g, "tree_offsets", n + 1, off));
    CML_TRY(cml_gguf_get_arr_i64(g, "cml.fit.tree_max_depth", &depth, &nd));
    if (nd != n) {
        st = cml_fail(CML_ERR_FORMAT, "%s: %lld tree depths for %lld trees", name, (long long)nd,
                      (long long)n);
        goto fail;
    }
    CML_TRY(cml_gguf_get_tensor(g, "node_feature", CML_GGUF_T_I32, &raw, &n_dims, dims));
    const int64_t total = dims[0];
    if (n_dims != 1 || off[0] != 0 || off[n] != total) {
        st = cml_fail(CML_ERR_FORMAT, "%s: tree offsets do not match the node arrays", name);
        goto fail;
    }
    for (int64_t i = 0; i < n; i++)
        if (off[i + 1] <= off[i] || off[i + 1] - off[i] > INT32_MAX) {
            st = cml_fail(CML_ERR_FORMAT, "%s: bad tree offsets", name);
            goto fail;
        }
    i32 = cml_alloc_array(4 * total, sizeof *i32);
    f64 = cml_alloc_array(total * (3 + stride), sizeof *f64);
    ns = cml_alloc_array(total, sizeof *ns);
    if (!i32 || !f64 || !ns) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_i32(g, "node_feature", total, i32));
    CML_TRY(cml_gguf_read_i32(g, "node_left", total, i32 + total));
    CML_TRY(cml_gguf_read_i32(g, "node_right", total, i32 + 2 * total));
    CML_TRY(cml_gguf_read_i32(g, "node_nan_left", total, i32 + 3 * total));
    CML_TRY(cml_gguf_read_f64(g, "node_threshold", 1, total, f64));
    CML_TRY(cml_gguf_read_f64(g, "node_impurity", 1, total, f64 + total));
    CML_TRY(cml_gguf_read_f64(g, "node_weighted_n_samples", 1, total, f64 + 2 * total));
    CML_TRY(cml_gguf_read_i64(g, "node_n_samples", total, ns));
    CML_TRY(cml_gguf_read_f64(g, "node_value", total, stride, f64 + 3 * total));
    for (int64_t i = 0; i < n; i++) {
        int64_t o = off[i], m = off[i + 1] - off[i];
        cml_dtree *t = trees[i] = cml_dtree_new(stride);
        if (!t || dtree_reserve(t, m) != CML_OK) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        t->n_nodes = m;
        t->max_depth = depth[i];
        for (int64_t j = 0; j < m; j++) {
            cml_tnode *x = &t->nodes[j];
            x->feature = i32[o + j];
            x->left = i32[o + j + total];
            x->right = i32[o + j + 2 * total];
            x->nan_left = i32[o + j + 3 * total];
            x->threshold = f64[o + j];
        }
        memcpy(t->impurity, f64 + total + o, (size_t)m * sizeof(double));
        memcpy(t->w_samples, f64 + 2 * total + o, (size_t)m * sizeof(double));
        memcpy(t->n_samples, ns + o, (size_t)m * sizeof(int64_t));
        memcpy(t->value, f64 + 3 * total + o * stride, (size_t)(m * stride) * sizeof(double));
        CML_TRY(cml_dtree_validate(t, n_features, name));
        CML_TRY(cml_dtree_finish(t, classifier));
    }
    free(off);
    free(depth);
    free(i32);
    free(f64);
    free(ns);
    return CML_OK;
fail:
    for (int64_t i = 0; i < n; i++) {
        cml_dtree_free(trees[i]);
        trees[i] = NULL;
    }
    free(off);
    free(depth);
    free(i32);
    free(f64);
    free(ns);
    return st;
}
