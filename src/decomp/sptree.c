/*
 * sptree.c — quadtree / octree for Barnes-Hut t-SNE (see sptree.h).
 *
 * Build: the root box is the data's bounding box widened as sklearn's
 * _QuadTree does (max = max(max (1 + 1e-3 sign(max)), max + 1e-3)); a node
 * splits its box at the centre along every dimension, so boxes keep the
 * root's aspect ratio and max_w2 is the squared largest side, as in sklearn.
 * Points are distributed by a stable counting sort, so the tree (and every
 * sum over it) depends only on the point coordinates. O(n depth) time.
 *
 * Query: depth-first, children in fixed order, so each point's repulsion is
 * a fixed-order sum: results do not depend on which thread runs the query.
 * A leaf counts as its points at their common position, less the query
 * point when it is one of them (sklearn skips a whole leaf that coincides
 * with the query point, which differs only when points are duplicated).
 */
#include <math.h>
#include <string.h>

#include "decomp/sptree.h"

void cml_sptree_free(cml_sptree *t)
{
    if (!t) return;
    free(t->node);
    free(t->leaf_of);
    free(t->perm);
    free(t->lo);
    free(t->hi);
    free(t->box);
    memset(t, 0, sizeof *t);
}

static int grow(void **p, int64_t cap, size_t size)
{
    void *q = cml_realloc(*p, (size_t)cap * size);
    if (!q) return 0;
    *p = q;
    return 1;
}

/* Room for `need` nodes. */
static cml_status reserve(cml_sptree *t, int64_t need)
{
    if (need <= t->cap) return CML_OK;
    int64_t cap = CML_MAX(need, 2 * t->cap);
    cap = CML_MAX(cap, 64);
    if (!grow((void **)&t->node, cap, sizeof(cml_sptree_node)) ||
        !grow((void **)&t->lo, cap, sizeof(int64_t)) ||
        !grow((void **)&t->hi, cap, sizeof(int64_t)) ||
        !grow((void **)&t->box, cap * 2 * t->d, sizeof(double)))
        return CML_ERR_NOMEM;
    t->cap = cap;
    return CML_OK;
}

/* Fills node v (lo, hi and box already set) and builds its subtree. */
static cml_status build_node(cml_sptree *t, const double *Y, int64_t v, int depth, int64_t *tmp,
                             uint8_t *code)
{
    const int d = t->d;
    int64_t lo = t->lo[v], hi = t->hi[v];
    double sum[CML_SPTREE_MAX_DIM] = {0}, pmin[CML_SPTREE_MAX_DIM], pmax[CML_SPTREE_MAX_DIM];
    for (int a = 0; a < d; a++) {
        pmin[a] = INFINITY;
        pmax[a] = -INFINITY;
    }
    for (int64_t s = lo; s < hi; s++) {
        const double *y = Y + t->perm[s] * d;
        for (int a = 0; a < d; a++) {
            sum[a] += y[a];
            pmin[a] = fmin(pmin[a], y[a]);
            pmax[a] = fmax(pmax[a], y[a]);
        }
    }
    const double *box = t->box + v * 2 * d;
    cml_sptree_node *nd = &t->node[v];
    double w2 = 0.0;
    int identical = 1;
    memset(nd, 0, sizeof *nd);
    for (int a = 0; a < d; a++) {
        nd->bary[a] = sum[a] / (double)(hi - lo);
        double w = box[d + a] - box[a];
        w2 = fmax(w2, w * w);
        identical &= pmin[a] == pmax[a];
    }
    nd->max_w2 = w2;
    nd->count = (double)(hi - lo);
    nd->first_child = -1;
    nd->n_children = 0;
    if (hi - lo == 1 || identical || depth >= CML_SPTREE_MAX_DEPTH) {
        for (int64_t s = lo; s < hi; s++)
            t->leaf_of[t->perm[s]] = v;
        return CML_OK;
    }

    /* Child code: bit a set when the point lies in the upper half of dim a. */
    double mid[CML_SPTREE_MAX_DIM];
    for (int a = 0; a < d; a++)
        mid[a] = 0.5 * (box[a] + box[d + a]);
    int64_t bucket[1 << CML_SPTREE_MAX_DIM] = {0};
    for (int64_t s = lo; s < hi; s++) {
        const double *y = Y + t->perm[s] * d;
        uint8_t c = 0;
        for (int a = 0; a < d; a++)
            c |= (uint8_t)((y[a] >= mid[a]) << a);
        code[s] = c;
        bucket[c]++;
    }
    const int nb = 1 << d;
    int64_t start[1 << CML_SPTREE_MAX_DIM];
    int n_children = 0;
    int64_t off = lo;
    for (int c = 0; c < nb; c++) {
        start[c] = off;
        off += bucket[c];
        n_children += bucket[c] > 0;
    }
    int64_t pos[1 << CML_SPTREE_MAX_DIM];
    memcpy(pos, start, sizeof pos);
    for (int64_t s = lo; s < hi; s++)
        tmp[pos[code[s]]++] = t->perm[s];
    memcpy(t->perm + lo, tmp + lo, sizeof(int64_t) * (size_t)(hi - lo));

    int64_t first = t->n_nodes;
    CML_CHECK(reserve(t, first + n_children));
    t->n_nodes += n_children;
    t->node[v].first_child = first;
    t->node[v].n_children = n_children;
    int64_t u = first;
    for (int c = 0; c < nb; c++) {
        if (!bucket[c]) continue;
        t->lo[u] = start[c];
        t->hi[u] = start[c] + bucket[c];
        const double *pb = t->box + v * 2 * d;
        double *cb = t->box + u * 2 * d;
        for (int a = 0; a < d; a++) {
            int upper = (c >> a) & 1;
            cb[a] = upper ? mid[a] : pb[a];
            cb[d + a] = upper ? pb[d + a] : mid[a];
        }
        u++;
    }
    for (int64_t w = first; w < first + n_children; w++)
        CML_CHECK(build_node(t, Y, w, depth + 1, tmp, code));
    return CML_OK;
}

cml_status cml_sptree_build(cml_sptree *t, const double *Y, int64_t n, int d)
{
    if (d < 1 || d > CML_SPTREE_MAX_DIM || n < 1)
        return cml_fail(CML_ERR_INTERNAL, "sptree: bad dimension %d or size %lld", d, (long long)n);
    if (t->d != d) {
        cml_sptree_free(t);
        t->d = d;
    }
    if (t->n != n) {
        free(t->perm);
        free(t->leaf_of);
        t->perm = cml_alloc_array(n, sizeof(int64_t));
        t->leaf_of = cml_alloc_array(n, sizeof(int64_t));
        if (!t->perm || !t->leaf_of) return CML_ERR_NOMEM;
        t->n = n;
    }
    int64_t *tmp = cml_alloc_array(n, sizeof(int64_t));
    uint8_t *code = cml_alloc_array(n, sizeof(uint8_t));
    cml_status st = CML_ERR_NOMEM;
    if (!tmp || !code) goto done;
    CML_TRY(reserve(t, 1));
    for (int64_t s = 0; s < n; s++)
        t->perm[s] = s;
    t->n_nodes = 1;
    t->lo[0] = 0;
    t->hi[0] = n;
    for (int a = 0; a < d; a++) {
        double mn = INFINITY, mx = -INFINITY;
        for (int64_t s = 0; s < n; s++) {
            mn = fmin(mn, Y[s * d + a]);
            mx = fmax(mx, Y[s * d + a]);
        }
        /* sklearn: maxs = np.maximum(maxs * (1 + 1e-3 * np.sign(maxs)), maxs + 1e-3) */
        double sg = mx > 0 ? 1.0 : (mx < 0 ? -1.0 : 0.0);
        mx = fmax(mx * (1.0 + 1e-3 * sg), mx + 1e-3);
        t->box[a] = mn;
        t->box[d + a] = mx;
    }
    CML_TRY(build_node(t, Y, 0, 0, tmp, code));
fail:
done:
    free(tmp);
    free(code);
    return st;
}

double cml_sptree_repulsion(const cml_sptree *t, const double *Y, int64_t i, double theta2,
                            double dof, double *neg)
{
    const int d = t->d;
    const double *yi = Y + i * d;
    const double expo = (dof + 1.0) / 2.0;
    const int64_t own_leaf = t->leaf_of[i];
    double sum_q = 0.0, acc[CML_SPTREE_MAX_DIM] = {0};
    int64_t stack[CML_SPTREE_MAX_DEPTH * (1 << CML_SPTREE_MAX_DIM) + 8];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
        int64_t v = stack[--top];
        const cml_sptree_node *nd = &t->node[v];
        double dx[CML_SPTREE_MAX_DIM], d2 = 0.0;
        for (int a = 0; a < d; a++) {
            dx[a] = yi[a] - nd->bary[a];
            d2 += dx[a] * dx[a];
        }
        int leaf = nd->first_child < 0;
        if (leaf || nd->max_w2 < theta2 * d2) {
            /* A leaf (one point, or identical points: the query point
             * itself excluded) or a node far enough to act as `count`
             * points at its centre of mass. */
            double cnt = nd->count - (double)(v == own_leaf);
            if (cnt <= 0.0) continue;
            double q = dof / (dof + d2);
            if (dof != 1.0) q = pow(q, expo);
            sum_q += cnt * q;
            for (int a = 0; a < d; a++)
                acc[a] += cnt * q * q * dx[a];
            continue;
        }
        /* Push children in reverse so they are visited in order. */
        for (int c = nd->n_children - 1; c >= 0; c--)
            stack[top++] = nd->first_child + c;
    }
    for (int a = 0; a < d; a++)
        neg[a] = acc[a];
    return sum_q;
}
