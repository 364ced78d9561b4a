/*
 * tree.c — KD-tree and ball tree, built as scikit-learn 1.2's BinaryTree
 * (sklearn/neighbors/_binary_tree.pxi) and searched depth-first.
 *
 * Build: the tree has n_levels = 1 + floor(log2(max(1, (n-1)/leaf_size)))
 * levels and 2^n_levels - 1 nodes in heap layout. A node over rows
 * [start, end) is split at mid = start + (end-start)/2 on the dimension of
 * largest spread (max - min, first such dimension), by a selection that
 * puts the rows with the mid smallest values (ties by index) on the left.
 * KD nodes keep the per-dimension bounding box; ball nodes the centroid
 * (mean of their rows) and the radius (largest distance to it).
 *
 * Query (sklearn's _query_single_depthfirst): a node is skipped when its
 * lower bound on the reduced distance exceeds the current k-th best, else
 * leaves scan their rows and inner nodes visit the nearer child first.
 * Ties: skipping needs a strict '>' so a node at exactly the k-th distance
 * is still visited and the smaller index wins (see nn_internal.h).
 *
 * Bounds are safe in floating point: the KD box gap g_j = max(0, lo_j - q_j,
 * q_j - hi_j) is <= |q_j - x_j| for every row x in the box (rounding is
 * monotone) and both sums run in the same order, so the box rdist never
 * exceeds a row's computed rdist. The ball bound |q - c| - r relies on the
 * triangle inequality, which rounding can break by a few ulps, so it is
 * lowered by a relative margin of 4 (d + 4) eps.
 *
 * Complexity: build O(n d log n); a query about O(log n) nodes in low
 * dimension, up to O(n d) when d is large (then brute force is better,
 * which AUTO picks). Thread-safety: queries only read the tree.
 */
#include <float.h>
#include <string.h>

#include "neighbors/nn_internal.h"

/* ---------------------------------------------------------------- build */

/* Quickselect on perm[lo, hi) by (X[perm][dim], perm): afterwards the
 * element of rank `nth` (0-based in the range) is in place, smaller ones
 * before it, larger after (std::nth_element with sklearn's comparator). */
static int key_less(const double *X, int64_t d, int dim, int64_t a, int64_t b)
{
    double va = X[a * d + dim], vb = X[b * d + dim];
    return va < vb || (va == vb && a < b);
}

static void select_nth(const double *X, int64_t d, int dim, int64_t *perm, int64_t lo, int64_t hi,
                       int64_t nth)
{
    int64_t target = lo + nth;
    while (hi - lo > 1) {
        /* median of three as pivot keeps sorted inputs O(n) */
        int64_t mid = lo + (hi - lo) / 2, a = perm[lo], b = perm[mid], c = perm[hi - 1];
        int64_t piv;
        if (key_less(X, d, dim, a, b))
            piv = key_less(X, d, dim, b, c) ? b : (key_less(X, d, dim, a, c) ? c : a);
        else
            piv = key_less(X, d, dim, a, c) ? a : (key_less(X, d, dim, b, c) ? c : b);
        /* three-way partition on distinct keys: < piv | piv | > piv */
        int64_t i = lo, j = hi - 1;
        while (i <= j) {
            while (key_less(X, d, dim, perm[i], piv))
                i++;
            while (key_less(X, d, dim, piv, perm[j]))
                j--;
            if (i <= j) {
                int64_t t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
                i++;
                j--;
            }
        }
        if (target <= j)
            hi = j + 1;
        else if (target >= i)
            lo = i;
        else
            return;
    }
}

static int split_dim(const double *X, int64_t d, const int64_t *perm, int64_t start, int64_t end)
{
    int best = 0;
    double best_spread = -1.0;
    for (int64_t j = 0; j < d; j++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t r = start; r < end; r++) {
            double v = X[perm[r] * d + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (hi - lo > best_spread) {
            best_spread = hi - lo;
            best = (int)j;
        }
    }
    return best;
}

static void init_node(cml_nn_index *ix, const double *X, int64_t node)
{
    nn_node *nd = &ix->nodes[node];
    int64_t d = ix->d;
    if (ix->algo == CML_NN_KD_TREE) {
        double *lo = ix->bounds + node * 2 * d, *hi = lo + d;
        for (int64_t j = 0; j < d; j++) {
            lo[j] = INFINITY;
            hi[j] = -INFINITY;
        }
        for (int64_t r = nd->start; r < nd->end; r++) {
            const double *x = X + ix->perm[r] * d;
            for (int64_t j = 0; j < d; j++) {
                lo[j] = x[j] < lo[j] ? x[j] : lo[j];
                hi[j] = x[j] > hi[j] ? x[j] : hi[j];
            }
        }
        nd->radius = 0.0;
        return;
    }
    double *c = ix->bounds + node * d;
    for (int64_t j = 0; j < d; j++)
        c[j] = 0.0;
    for (int64_t r = nd->start; r < nd->end; r++) {
        const double *x = X + ix->perm[r] * d;
        for (int64_t j = 0; j < d; j++)
            c[j] += x[j];
    }
    for (int64_t j = 0; j < d; j++)
        c[j] /= (double)(nd->end - nd->start);
    double rmax = 0.0;
    for (int64_t r = nd->start; r < nd->end; r++) {
        double rd = cml_dist_rdist(&ix->dist, X + ix->perm[r] * d, c, d);
        rmax = rd > rmax ? rd : rmax;
    }
    nd->radius = cml_dist_from_rdist(&ix->dist, rmax);
}

static void build_rec(cml_nn_index *ix, const double *X, int64_t node, int64_t start, int64_t end)
{
    nn_node *nd = &ix->nodes[node];
    nd->start = start;
    nd->end = end;
    init_node(ix, X, node);
    if (2 * node + 1 >= ix->n_nodes || end - start < 2) {
        nd->is_leaf = 1;
        return;
    }
    nd->is_leaf = 0;
    int64_t mid = (end - start) / 2;
    int dim = split_dim(X, ix->d, ix->perm, start, end);
    select_nth(X, ix->d, dim, ix->perm, start, end, mid);
    build_rec(ix, X, 2 * node + 1, start, start + mid);
    build_rec(ix, X, 2 * node + 2, start + mid, end);
}

cml_status nn_tree_build(cml_nn_index *ix, const cml_matrix *X)
{
    int64_t n = X->rows, d = X->cols;
    double ratio = (double)(n - 1) / (double)ix->params.leaf_size;
    int levels = 1 + (int)floor(log2(ratio > 1.0 ? ratio : 1.0));
    if (levels > 40) levels = 40;
    ix->n_nodes = ((int64_t)1 << levels) - 1;
    ix->nodes = cml_calloc((size_t)ix->n_nodes, sizeof(nn_node));
    int64_t per_node = ix->algo == CML_NN_KD_TREE ? 2 * d : d;
    ix->bounds = cml_alloc_array(ix->n_nodes * per_node, sizeof(double));
    ix->perm = cml_alloc_array(n, sizeof(int64_t));
    ix->pos = cml_alloc_array(n, sizeof(int64_t));
    ix->X = cml_alloc_array(n * d, sizeof(double));
    double *Xc = cml_alloc_array(n * d, sizeof(double)); /* contiguous original order */
    if (!ix->nodes || !ix->bounds || !ix->perm || !ix->pos || !ix->X || !Xc) {
        free(Xc);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        memcpy(Xc + i * d, cml_matrix_row(X, i), (size_t)d * sizeof(double));
        ix->perm[i] = i;
    }
    build_rec(ix, Xc, 0, 0, n);
    /* Store rows in tree order so a leaf scan reads contiguous memory. */
    for (int64_t s = 0; s < n; s++) {
        memcpy(ix->X + s * d, Xc + ix->perm[s] * d, (size_t)d * sizeof(double));
        ix->pos[ix->perm[s]] = s;
    }
    free(Xc);
    return CML_OK;
}

/* ---------------------------------------------------------------- bounds */

/* Lower bound of the rdist from q to any row of the node. */
static double node_min_rdist(const cml_nn_index *ix, int64_t node, const double *q)
{
    int64_t d = ix->d;
    if (ix->algo == CML_NN_KD_TREE) {
        const double *lo = ix->bounds + node * 2 * d, *hi = lo + d;
        double s = 0.0;
        for (int64_t j = 0; j < d; j++) {
            double g = lo[j] - q[j], g2 = q[j] - hi[j];
            g = g > g2 ? g : g2;
            g = g > 0.0 ? g : 0.0;
            switch (ix->dist.kind) {
            case CML_DIST_EUCLIDEAN:
            case CML_DIST_SQEUCLIDEAN: s += g * g; break;
            case CML_DIST_MINKOWSKI: s += pow(g, ix->dist.p); break;
            default: s += g;
            }
        }
        return s;
    }
    double dc = cml_dist_eval(&ix->dist, q, ix->bounds + node * d, d);
    double r = ix->nodes[node].radius;
    double lb = dc - r - 4.0 * (double)(d + 4) * DBL_EPSILON * (dc + r);
    return lb > 0.0 ? cml_dist_to_rdist(&ix->dist, lb) : 0.0;
}

/* ---------------------------------------------------------------- queries */

static void knn_rec(const cml_nn_index *ix, const double *q, nn_heap *h, int64_t node, double lb)
{
    if (lb > nn_heap_bound(h)) return;
    const nn_node *nd = &ix->nodes[node];
    if (nd->is_leaf) {
        for (int64_t s = nd->start; s < nd->end; s++) {
            double r = cml_dist_rdist(&ix->dist, q, ix->X + s * ix->d, ix->d);
            nn_heap_push(h, r, ix->perm[s]);
        }
        return;
    }
    int64_t a = 2 * node + 1, b = a + 1;
    double la = node_min_rdist(ix, a, q), lbb = node_min_rdist(ix, b, q);
    if (la <= lbb) {
        knn_rec(ix, q, h, a, la);
        knn_rec(ix, q, h, b, lbb);
    } else {
        knn_rec(ix, q, h, b, lbb);
        knn_rec(ix, q, h, a, la);
    }
}

void nn_tree_knn(const cml_nn_index *ix, const double *q, nn_heap *h)
{
    knn_rec(ix, q, h, 0, node_min_rdist(ix, 0, q));
}

static void radius_rec(const cml_nn_index *ix, const double *q, double r_rdist, nn_list *out,
                       int *nomem, int64_t node)
{
    if (*nomem || node_min_rdist(ix, node, q) > r_rdist) return;
    const nn_node *nd = &ix->nodes[node];
    if (nd->is_leaf) {
        for (int64_t s = nd->start; s < nd->end; s++) {
            double r = cml_dist_rdist(&ix->dist, q, ix->X + s * ix->d, ix->d);
            if (r <= r_rdist && !nn_list_add(out, r, ix->perm[s])) {
                *nomem = 1;
                return;
            }
        }
        return;
    }
    radius_rec(ix, q, r_rdist, out, nomem, 2 * node + 1);
    radius_rec(ix, q, r_rdist, out, nomem, 2 * node + 2);
}

void nn_tree_radius(const cml_nn_index *ix, const double *q, double r_rdist, nn_list *out,
                    int *nomem)
{
    radius_rec(ix, q, r_rdist, out, nomem, 0);
}
