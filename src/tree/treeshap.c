/*
 * treeshap.c — exact TreeSHAP, the polynomial-time path algorithm of
 * Lundberg, Erion & Lee (2018), "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2.
 *
 * For a tree f and row x, the SHAP value of feature j is
 *   phi_j = sum over S subset of F\{j} of |S|!(M-|S|-1)!/M! [f_x(S+j) - f_x(S)]
 * with f_x(S) = E[f(x) | x_S] taken path-dependently: a split on a feature
 * in S follows x, a split on one outside S averages both children weighted
 * by their cover. Algorithm 2 computes all phi_j in one recursive pass by
 * carrying, along the root-to-leaf path, the proportion of subsets of each
 * size that reach the node (EXTEND), removing a feature when it reappears
 * deeper in the path (UNWIND), and crediting every path feature at each leaf
 * (UNWOUND sum). The bookkeeping mirrors XGBoost's RegTree::TreeShap
 * (src/tree/tree_model.cc), so that imported XGBoost models give its
 * pred_contribs; cml computes in double where XGBoost uses float.
 *
 * Local accuracy: sum_j phi_j + E[f] = f(x), E[f] = the root's cover-
 * weighted mean value, which is the extra (bias) column.
 *
 * Complexity: O(leaves * depth^2) per tree and row; memory O(depth^2) per
 * thread. Thread-safety: reads const trees; scratch is per thread.
 */
#include <math.h>
#include <string.h>

#include "tree/treeshap.h"

/* ---------------------------------------------------------------- trees */

cml_status shap_tree_alloc(shap_tree *t, int64_t n_nodes, int n_val)
{
    memset(t, 0, sizeof *t);
    t->n_nodes = n_nodes;
    t->n_val = n_val;
    t->scale = 1.0;
    t->nodes = cml_alloc_array(n_nodes, sizeof *t->nodes);
    t->cover = cml_alloc_array(n_nodes, sizeof *t->cover);
    t->value = cml_alloc_array(n_nodes * n_val, sizeof *t->value);
    if (!t->nodes || !t->cover || !t->value) {
        shap_tree_free(t);
        return CML_ERR_NOMEM;
    }
    memset(t->value, 0, (size_t)(n_nodes * n_val) * sizeof *t->value);
    memset(t->nodes, 0, (size_t)n_nodes * sizeof *t->nodes); /* numeric splits: cats = NULL */
    return CML_OK;
}

void shap_tree_free(shap_tree *t)
{
    if (!t) return;
    free(t->nodes);
    free(t->cover);
    free(t->value);
    t->nodes = NULL;
    t->cover = t->value = NULL;
}

cml_status shap_tree_finish(shap_tree *t)
{
    const int64_t n = t->n_nodes;
    const int V = t->n_val;
    if (n < 1) return cml_fail(CML_ERR_FORMAT, "TreeSHAP: empty tree");
    for (int64_t i = 0; i < n; i++) {
        const shap_node *nd = &t->nodes[i];
        if (nd->left < 0) continue;
        if (nd->left <= i || nd->right <= i || nd->left >= n || nd->right >= n || nd->feature < 0)
            return cml_fail(CML_ERR_FORMAT, "TreeSHAP: node %lld has bad children or feature",
                            (long long)i);
    }
    /* Children come after their parent, so one backward sweep sees both
     * children before the parent (XGBoost's FillNodeMeanValues divides by
     * the parent's own cover, not the children's sum: the same here). */
    for (int64_t i = n - 1; i >= 0; i--) {
        const shap_node *nd = &t->nodes[i];
        if (nd->left < 0) continue;
        const double cl = t->cover[nd->left], cr = t->cover[nd->right], c = t->cover[i];
        for (int k = 0; k < V; k++)
            t->value[i * V + k] = c > 0 ? (cl * t->value[(int64_t)nd->left * V + k] +
                                           cr * t->value[(int64_t)nd->right * V + k]) /
                                              c
                                        : 0.0;
    }
    /* Depth: a parent precedes its children, so a forward sweep works. */
    int64_t *depth = cml_alloc_array(n, sizeof *depth);
    if (!depth) return CML_ERR_NOMEM;
    depth[0] = 0;
    t->max_depth = 0;
    for (int64_t i = 0; i < n; i++) {
        const shap_node *nd = &t->nodes[i];
        if (nd->left < 0) continue;
        depth[nd->left] = depth[nd->right] = depth[i] + 1;
        t->max_depth = CML_MAX(t->max_depth, depth[i] + 1);
    }
    free(depth);
    return CML_OK;
}

/* ---------------------------------------------------------------- the path */

typedef struct path_el {
    int64_t feature;
    double zero; /* fraction of "feature unknown" flow that went this way */
    double one;  /* 1 if x itself goes this way, else 0 */
    double pweight;
} path_el;

/* EXTEND: adds a feature with its zero/one fractions to the path of
 * length depth (elements 0..depth-1), updating the subset-size weights. */
/* inv[k] = 1 / k: the path arithmetic divides only by small integers and
 * by one fractions, which are 0 or 1 (a path element is either followed by
 * x or not), so every division becomes a multiplication. Divisions were
 * most of the cost. */
static void extend_path(path_el *p, int64_t depth, double zero, double one, int64_t feature,
                        const double *inv)
{
    p[depth].feature = feature;
    p[depth].zero = zero;
    p[depth].one = one;
    p[depth].pweight = depth == 0 ? 1.0 : 0.0;
    const double r = inv[depth + 1];
    for (int64_t i = depth - 1; i >= 0; i--) {
        p[i + 1].pweight += one * p[i].pweight * (double)(i + 1) * r;
        p[i].pweight = zero * p[i].pweight * (double)(depth - i) * r;
    }
}

/* UNWIND: removes element idx from the path of length depth + 1 (the
 * inverse of extend_path for that element). */
static void unwind_path(path_el *p, int64_t depth, int64_t idx, const double *inv)
{
    const double one = p[idx].one, zero = p[idx].zero;
    const double r = inv[depth + 1], d1 = (double)(depth + 1);
    double next = p[depth].pweight;
    if (one != 0) { /* one == 1 */
        for (int64_t i = depth - 1; i >= 0; i--) {
            const double tmp = p[i].pweight;
            p[i].pweight = next * d1 * inv[i + 1];
            next = tmp - p[i].pweight * zero * (double)(depth - i) * r;
        }
    } else {
        const double zinv = 1.0 / zero;
        for (int64_t i = depth - 1; i >= 0; i--)
            p[i].pweight = p[i].pweight * d1 * zinv * inv[depth - i];
    }
    for (int64_t i = idx; i < depth; i++) {
        p[i].feature = p[i + 1].feature;
        p[i].zero = p[i + 1].zero;
        p[i].one = p[i + 1].one;
    }
}

/* Sum of the weights the path would have with element idx unwound, without
 * modifying it: the Shapley weight of that feature at a leaf. */
static double unwound_sum(const path_el *p, int64_t depth, int64_t idx, const double *inv)
{
    const double one = p[idx].one, zero = p[idx].zero;
    const double r = inv[depth + 1], d1 = (double)(depth + 1);
    double next = p[depth].pweight, total = 0;
    if (one != 0) { /* one == 1 */
        for (int64_t i = depth - 1; i >= 0; i--) {
            const double tmp = next * d1 * inv[i + 1];
            total += tmp;
            next = p[i].pweight - tmp * zero * ((double)(depth - i) * r);
        }
    } else if (zero != 0) {
        const double zinv = 1.0 / zero;
        for (int64_t i = depth - 1; i >= 0; i--)
            total += p[i].pweight * zinv * d1 * inv[depth - i];
    }
    return total;
}

typedef struct shap_ctx {
    const shap_tree *t;
    const double *x;
    double *phi;       /* (n_out, n_features + 1) of this row */
    int64_t ldp;       /* n_features + 1 */
    double scale;      /* tree scale */
    const double *inv; /* inv[k] = 1 / k */
} shap_ctx;

static int goes_left(const shap_tree *t, const shap_node *nd, double x)
{
    if (nd->cats) return catset_goes_left(nd->cats, x, nd->nan_left);
    if (t->rule == SHAP_RULE_LE_F32) {
        float v = (float)x;
        return isnan(v) ? nd->nan_left : (double)v <= nd->thr;
    }
    return isnan(x) ? nd->nan_left : x < nd->thr;
}

/* RECURSE of Algorithm 2 at node j; the parent's path (depth + 1 elements)
 * starts at parent, this node's copy right after it. */
static void recurse(const shap_ctx *c, int64_t j, int64_t depth, const path_el *parent,
                    double pzero, double pone, int64_t pfeature)
{
    const shap_tree *t = c->t;
    const shap_node *nd = &t->nodes[j];
    path_el *path = (path_el *)parent + depth + 1;
    memcpy(path, parent, (size_t)(depth + 1) * sizeof *path);
    extend_path(path, depth, pzero, pone, pfeature, c->inv);

    if (nd->left < 0) {
        const double *v = t->value + j * t->n_val;
        for (int64_t i = 1; i <= depth; i++) {
            const double w =
                unwound_sum(path, depth, i, c->inv) * (path[i].one - path[i].zero) * c->scale;
            double *ph = c->phi + (int64_t)t->out0 * c->ldp + path[i].feature;
            for (int k = 0; k < t->n_val; k++)
                ph[k * c->ldp] += w * v[k];
        }
        return;
    }
    const int64_t f = nd->feature;
    const int64_t hot = goes_left(t, nd, c->x[f]) ? nd->left : nd->right;
    const int64_t cold = hot == nd->left ? nd->right : nd->left;
    const double w = t->cover[j];
    /* A zero-cover node (possible in imported models) sends nothing down. */
    const double hot_zero = w > 0 ? t->cover[hot] / w : 0.0;
    const double cold_zero = w > 0 ? t->cover[cold] / w : 0.0;
    double in_zero = 1, in_one = 1;
    /* A feature already on the path is unwound and re-extended here with
     * the product of its fractions, so each feature appears once. */
    int64_t k = 0;
    for (; k <= depth; k++)
        if (path[k].feature == f) break;
    if (k != depth + 1) {
        in_zero = path[k].zero;
        in_one = path[k].one;
        unwind_path(path, depth, k, c->inv);
        depth -= 1;
    }
    recurse(c, hot, depth + 1, path, hot_zero * in_zero, in_one, f);
    recurse(c, cold, depth + 1, path, cold_zero * in_zero, 0.0, f);
}

cml_status shap_run(const shap_tree *trees, int64_t n_trees, const cml_matrix *X, int64_t n_out,
                    double *out)
{
    int64_t D = 0;
    for (int64_t t = 0; t < n_trees; t++)
        D = CML_MAX(D, trees[t].max_depth);
    /* Path copies: level l holds l + 1 elements, levels 0 .. D + 1. */
    const int64_t path_len = (D + 2) * (D + 3) / 2 + 1;
    const int64_t ldp = X->cols + 1;
    double *inv = cml_alloc_array(D + 4, sizeof *inv);
    if (!inv) return CML_ERR_NOMEM;
    inv[0] = 0;
    for (int64_t k = 1; k < D + 4; k++)
        inv[k] = 1.0 / (double)k;
    cml_status st = CML_OK;
#pragma omp parallel CML_OMP_THREADS
    {
        path_el *path = cml_alloc_array(path_len, sizeof *path);
        if (!path) {
#pragma omp critical
            st = CML_ERR_NOMEM;
        }
#pragma omp for schedule(dynamic, 16)
        for (int64_t i = 0; i < X->rows; i++) {
            if (!path) continue;
            double *phi = out + i * n_out * ldp;
            for (int64_t t = 0; t < n_trees; t++) {
                const shap_tree *tr = &trees[t];
                shap_ctx c = {tr, X->data + i * X->ld, phi, ldp, tr->scale, inv};
                for (int k = 0; k < tr->n_val; k++)
                    phi[(tr->out0 + k) * ldp + X->cols] += tr->scale * tr->value[k];
                if (tr->nodes[0].left >= 0) {
                    path[0].feature = -1;
                    recurse(&c, 0, 0, path, 1.0, 1.0, -1);
                }
            }
        }
        free(path);
    }
    free(inv);
    return st;
}
