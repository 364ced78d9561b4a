/*
 * hdbscan.c — HDBSCAN, mirroring scikit-learn 1.3's sklearn.cluster.HDBSCAN
 * (sklearn/cluster/_hdbscan/: hdbscan.py, _linkage.pyx, _tree.pyx, the
 * Prim/KD-tree path that algorithm="auto" takes for these metrics).
 *
 * Campello, Moulavi & Sander, "Density-based clustering based on
 * hierarchical density estimates" (PAKDD 2013); McInnes & Healy, "Accelerated
 * hierarchical density based clustering" (ICDMW 2017).
 *
 *  1. core_k(x) = distance to the k-th nearest row, x itself included
 *     (k = min_samples), from the neighbours index.
 *  2. Mutual reachability d_mr(a, b) = max(core_k(a), core_k(b), d(a, b) / alpha).
 *  3. Minimum spanning tree of d_mr by Prim's algorithm on the fly (no n^2
 *     matrix): sklearn's mst_from_data_matrix, including its tie rule (the
 *     first row with the smallest reachability is added; a row keeps its
 *     source edge unless a strictly shorter one appears).
 *  4. Edges sorted by weight (stably) and merged with a union-find into the
 *     single-linkage tree (scipy layout: left, right, distance, size; new
 *     nodes n, n+1, ...).
 *  5. Condensed tree (_condense_tree): walk the single-linkage tree
 *     breadth-first from the root; at each split, children with at least
 *     min_cluster_size points become new clusters when both are that big;
 *     otherwise the small side's points "fall out" of the parent at
 *     lambda = 1 / distance and the big side keeps the parent's label.
 *  6. Stability of cluster C = sum over its rows (lambda - lambda_birth(C)) *
 *     child_size; selection by excess of mass (eom: a cluster is kept when
 *     its stability is at least the sum of its selected descendants', and
 *     not larger than max_cluster_size) or the leaves; with
 *     cluster_selection_epsilon > 0, clusters born below that distance are
 *     replaced by their first ancestor born above it (_epsilon_search).
 *  7. Labels: a point belongs to its nearest selected ancestor, else noise
 *     (-1); clusters numbered in increasing condensed-tree label. Probabilities
 *     as sklearn's _get_probabilities, including its max_lambdas rule (the
 *     largest lambda of the last run of consecutive rows of each parent).
 *
 * Known differences from sklearn 1.3: equal MST weights are ordered stably
 * here (numpy's argsort default is not stable, so sklearn's order of tied
 * edges is an implementation detail); the epsilon search visits leaves in
 * ascending label order (sklearn iterates a Python set). Both can only
 * matter for exactly tied distances or nested epsilon selections.
 *
 * Cost: O(n^2 d) time for the spanning tree (parallel over candidate rows,
 * results independent of the thread count), O(n log n) for the trees; memory
 * O(n * min_samples) for the core distances, O(n) otherwise.
 * Thread-safety: fit is reentrant; a fitted model is immutable.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cml/hdbscan.h"
#include "cml/model.h"
#include "cml/neighbors.h"
#include "core/internal.h"
#include "core/strbuf.h"

struct cml_hdbscan {
    int64_t n, p, n_clusters;
    int64_t *labels; /* (n) */
    double *prob;    /* (n) */
    /* condensed tree */
    int64_t n_rows;
    int64_t *t_parent, *t_child, *t_size;
    double *t_lambda;
};

#define P(field) offsetof(cml_hdbscan_params, field)
static const cml_param_def hdb_params[] = {
    {"min_cluster_size", CML_PARAM_INT, "5", 2, INT32_MAX, 0, NULL,
     "smallest group kept as a cluster in the condensed tree", P(min_cluster_size)},
    {"min_samples", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL,
     "neighbours (self included) defining the core distance; 0 = None: min_cluster_size",
     P(min_samples)},
    {"cluster_selection_epsilon", CML_PARAM_DOUBLE, "0.0", 0, HUGE_VAL, 0, NULL,
     "clusters born below this distance merge into an ancestor", P(cluster_selection_epsilon)},
    {"max_cluster_size", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL,
     "eom selects no cluster larger than this; 0 = None (no limit)", P(max_cluster_size)},
    {"metric", CML_PARAM_ENUM, "euclidean", 0, 0, 0, "euclidean|manhattan", "distance", P(metric)},
    {"alpha", CML_PARAM_DOUBLE, "1.0", 0, HUGE_VAL, 1, NULL,
     "distance scaling in the mutual reachability (d / alpha)", P(alpha)},
    {"cluster_selection_method", CML_PARAM_ENUM, "eom", 0, 0, 0, "eom|leaf",
     "excess of mass (eom) or the leaves of the condensed tree", P(cluster_selection_method)},
    {"allow_single_cluster", CML_PARAM_BOOL, "false", 0, 0, 0, NULL,
     "allow the root as the only cluster", P(allow_single_cluster)},
};
#undef P
#define N_PARAMS ((int)(sizeof hdb_params / sizeof hdb_params[0]))

cml_hdbscan_params cml_hdbscan_params_default(void)
{
    cml_hdbscan_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(hdb_params, N_PARAMS, &p);
    return p;
}

const char *cml_hdbscan_params_check(const cml_hdbscan_params *p)
{
    return cml_params_check(hdb_params, N_PARAMS, p);
}

void cml_hdbscan_free(cml_hdbscan *m)
{
    if (!m) return;
    free(m->labels);
    free(m->prob);
    free(m->t_parent);
    free(m->t_child);
    free(m->t_size);
    free(m->t_lambda);
    free(m);
}

/* ---------------------------------------------------------------- MST */

static double pair_dist(const double *a, const double *b, int64_t p, int metric)
{
    double s = 0.0;
    if (metric == CML_HDBSCAN_MANHATTAN) {
        for (int64_t j = 0; j < p; j++)
            s += fabs(a[j] - b[j]);
        return s;
    }
    for (int64_t j = 0; j < p; j++) {
        double d = a[j] - b[j];
        s += d * d;
    }
    return sqrt(s);
}

typedef struct edge {
    int64_t a, b;
    double w;
    int64_t order; /* position in Prim's output: the stable tie-break */
} edge;

static int cmp_edge(const void *x, const void *y)
{
    const edge *e = x, *f = y;
    if (e->w < f->w) return -1;
    if (e->w > f->w) return 1;
    return (e->order > f->order) - (e->order < f->order);
}

/* sklearn's mst_from_data_matrix: n - 1 edges (source, new node, weight). */
static cml_status prim(const cml_matrix *X, const double *core, double alpha, int metric, edge *mst)
{
    int64_t n = X->rows, p = X->cols;
    char *in_tree = cml_calloc((size_t)n, 1);
    double *reach = cml_alloc_array(n, sizeof(double));
    int64_t *src = cml_calloc((size_t)n, sizeof(int64_t));
    if (!in_tree || !reach || !src) {
        free(in_tree);
        free(reach);
        free(src);
        return CML_ERR_NOMEM;
    }
    for (int64_t j = 0; j < n; j++)
        reach[j] = INFINITY;
    int64_t cur = 0;
    for (int64_t i = 0; i < n - 1; i++) {
        in_tree[cur] = 1;
        double cc = core[cur];
        const double *xc = cml_matrix_row(X, cur);
#pragma omp parallel for schedule(static) CML_OMP_THREADS
        for (int64_t j = 0; j < n; j++) {
            if (in_tree[j]) continue;
            double d = pair_dist(xc, cml_matrix_row(X, j), p, metric) / alpha;
            double mr = fmax(fmax(cc, core[j]), d);
            if (mr < reach[j]) { /* equal: keep the older source, as sklearn */
                reach[j] = mr;
                src[j] = cur;
            }
        }
        /* the first row with the smallest reachability (sklearn's scan) */
        double best = INFINITY;
        int64_t nxt = 0, from = 0;
        for (int64_t j = 0; j < n; j++)
            if (!in_tree[j] && reach[j] < best) {
                best = reach[j];
                nxt = j;
                from = src[j];
            }
        mst[i] = (edge){from, nxt, best, i};
        cur = nxt;
    }
    free(in_tree);
    free(reach);
    free(src);
    return CML_OK;
}

/* ---------------------------------------------------------------- trees */

typedef struct linkage {
    int64_t *left, *right, *size; /* (n - 1) */
    double *dist;
} linkage;

static int64_t uf_find(int64_t *parent, int64_t x)
{
    int64_t r = x;
    while (parent[r] != -1)
        r = parent[r];
    while (parent[x] != -1 && parent[x] != r) { /* path compression */
        int64_t nx = parent[x];
        parent[x] = r;
        x = nx;
    }
    return r;
}

/* sklearn's make_single_linkage over the sorted edges. */
static cml_status single_linkage(const edge *e, int64_t n, linkage *L)
{
    int64_t *parent = cml_alloc_array(2 * n - 1, sizeof(int64_t));
    int64_t *size = cml_calloc((size_t)(2 * n - 1), sizeof(int64_t));
    if (!parent || !size) {
        free(parent);
        free(size);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < 2 * n - 1; i++)
        parent[i] = -1;
    for (int64_t i = 0; i < n; i++)
        size[i] = 1;
    int64_t next = n;
    for (int64_t i = 0; i < n - 1; i++) {
        int64_t a = uf_find(parent, e[i].a), b = uf_find(parent, e[i].b);
        L->left[i] = a;
        L->right[i] = b;
        L->dist[i] = e[i].w;
        L->size[i] = size[a] + size[b];
        parent[a] = parent[b] = next;
        size[next] = size[a] + size[b];
        next++;
    }
    free(parent);
    free(size);
    return CML_OK;
}

/* Breadth-first listing of the single-linkage subtree under node (left
 * before right), sklearn's bfs_from_hierarchy. Returns the count. */
static int64_t bfs_hier(const linkage *L, int64_t n, int64_t node, int64_t *out)
{
    int64_t head = 0, tail = 0;
    out[tail++] = node;
    while (head < tail) {
        int64_t x = out[head++];
        if (x >= n) {
            out[tail++] = L->left[x - n];
            out[tail++] = L->right[x - n];
        }
    }
    return tail;
}

typedef struct ctree {
    int64_t rows;
    int64_t *parent, *child, *size;
    double *lambda;
} ctree;

static void ct_push(ctree *t, int64_t parent, int64_t child, double lambda, int64_t size)
{
    t->parent[t->rows] = parent;
    t->child[t->rows] = child;
    t->lambda[t->rows] = lambda;
    t->size[t->rows] = size;
    t->rows++;
}

/* Points of the subtree under node fall out of cluster `label`. */
static void fall_out(const linkage *L, int64_t n, int64_t node, int64_t label, double lambda,
                     int64_t *buf, char *ignore, ctree *t)
{
    int64_t k = bfs_hier(L, n, node, buf);
    for (int64_t s = 0; s < k; s++) {
        if (buf[s] < n) ct_push(t, label, buf[s], lambda, 1);
        ignore[buf[s]] = 1;
    }
}

/* sklearn's _condense_tree. t's arrays hold 3n rows. */
static cml_status condense(const linkage *L, int64_t n, int64_t mcs, ctree *t)
{
    int64_t root = 2 * (n - 1), total = root + 1;
    int64_t *order = cml_alloc_array(total, sizeof(int64_t));
    int64_t *buf = cml_alloc_array(total, sizeof(int64_t));
    int64_t *relabel = cml_alloc_array(total, sizeof(int64_t));
    char *ignore = cml_calloc((size_t)total, 1);
    if (!order || !buf || !relabel || !ignore) {
        free(order);
        free(buf);
        free(relabel);
        free(ignore);
        return CML_ERR_NOMEM;
    }
    int64_t next_label = n + 1;
    relabel[root] = n;
    int64_t k = bfs_hier(L, n, root, order);
    for (int64_t s = 0; s < k; s++) {
        int64_t node = order[s];
        if (ignore[node] || node < n) continue;
        int64_t r = node - n, left = L->left[r], right = L->right[r];
        double lambda = L->dist[r] > 0.0 ? 1.0 / L->dist[r] : INFINITY;
        int64_t lc = left >= n ? L->size[left - n] : 1;
        int64_t rc = right >= n ? L->size[right - n] : 1;
        if (lc >= mcs && rc >= mcs) {
            relabel[left] = next_label++;
            ct_push(t, relabel[node], relabel[left], lambda, lc);
            relabel[right] = next_label++;
            ct_push(t, relabel[node], relabel[right], lambda, rc);
        } else if (lc < mcs && rc < mcs) {
            fall_out(L, n, left, relabel[node], lambda, buf, ignore, t);
            fall_out(L, n, right, relabel[node], lambda, buf, ignore, t);
        } else if (lc < mcs) {
            relabel[right] = relabel[node];
            fall_out(L, n, left, relabel[node], lambda, buf, ignore, t);
        } else {
            relabel[left] = relabel[node];
            fall_out(L, n, right, relabel[node], lambda, buf, ignore, t);
        }
    }
    free(order);
    free(buf);
    free(relabel);
    free(ignore);
    return CML_OK;
}

/* ---------------------------------------------------------------- selection */

/* Per-cluster facts, indexed by label - n (0 = the root). */
typedef struct clusters {
    int64_t n, count;  /* n points; count = max label - n + 1 */
    double *stability; /* _compute_stability */
    double *birth;     /* lambda where the cluster appears (root: 0) */
    int64_t *up;       /* parent cluster label (root: -1) */
    int64_t *csize;    /* child_size at birth (root: see select) */
    char *is_parent;   /* has cluster children */
    char *is_cluster;  /* selection */
    char *is_key;      /* a key of sklearn's is_cluster dict */
} clusters;

static void clusters_free(clusters *c)
{
    free(c->stability);
    free(c->birth);
    free(c->up);
    free(c->csize);
    free(c->is_parent);
    free(c->is_cluster);
    free(c->is_key);
}

static cml_status clusters_make(const ctree *t, int64_t n, clusters *c)
{
    memset(c, 0, sizeof *c);
    int64_t max_parent = n;
    for (int64_t r = 0; r < t->rows; r++)
        max_parent = CML_MAX(max_parent, t->parent[r]);
    c->n = n;
    c->count = max_parent - n + 1;
    int64_t K = c->count;
    c->stability = cml_calloc((size_t)K, sizeof(double));
    c->birth = cml_calloc((size_t)K, sizeof(double));
    c->up = cml_alloc_array(K, sizeof(int64_t));
    c->csize = cml_calloc((size_t)K, sizeof(int64_t));
    c->is_parent = cml_calloc((size_t)K, 1);
    c->is_cluster = cml_calloc((size_t)K, 1);
    c->is_key = cml_calloc((size_t)K, 1);
    if (!c->stability || !c->birth || !c->up || !c->csize || !c->is_parent || !c->is_cluster ||
        !c->is_key) {
        clusters_free(c);
        return CML_ERR_NOMEM;
    }
    for (int64_t k = 0; k < K; k++)
        c->up[k] = -1;
    for (int64_t r = 0; r < t->rows; r++)
        if (t->size[r] > 1) { /* the cluster tree */
            int64_t k = t->child[r] - n;
            c->birth[k] = t->lambda[r];
            c->up[k] = t->parent[r];
            c->csize[k] = t->size[r];
            c->is_parent[t->parent[r] - n] = 1;
        }
    c->birth[0] = 0.0;
    for (int64_t r = 0; r < t->rows; r++)
        c->stability[t->parent[r] - n] +=
            (t->lambda[r] - c->birth[t->parent[r] - n]) * (double)t->size[r];
    return CML_OK;
}

/* Is label a a descendant of (or equal to) label b in the cluster tree?
 * Ancestors carry smaller labels (the tree is numbered breadth-first), so
 * the walk stops as soon as it passes below b. */
static int under(const clusters *c, int64_t a, int64_t b)
{
    while (a > b)
        a = c->up[a - c->n];
    return a == b;
}

/* sklearn's _traverse_upwards. */
static int64_t traverse_up(const clusters *c, double eps, int64_t leaf, int allow_single)
{
    int64_t root = c->n;
    for (;;) {
        int64_t parent = c->up[leaf - c->n];
        if (parent == root) return allow_single ? parent : leaf;
        double parent_eps = 1.0 / c->birth[parent - c->n];
        if (parent_eps > eps) return parent;
        leaf = parent;
    }
}

/* sklearn's _epsilon_search over the candidate set cand (flags by label);
 * writes the result into sel. Candidates in ascending label order. */
static void epsilon_search(const clusters *c, const char *cand, double eps, int allow_single,
                           char *sel, char *processed)
{
    int64_t K = c->count;
    memset(sel, 0, (size_t)K);
    memset(processed, 0, (size_t)K);
    for (int64_t k = 0; k < K; k++) {
        if (!cand[k]) continue;
        int64_t leaf = c->n + k;
        double leaf_eps = k == 0 ? INFINITY : 1.0 / c->birth[k];
        if (leaf_eps < eps) {
            if (processed[k]) continue;
            int64_t e = traverse_up(c, eps, leaf, allow_single);
            sel[e - c->n] = 1;
            for (int64_t q = 0; q < K; q++)
                if (q != e - c->n && under(c, c->n + q, e)) processed[q] = 1;
        } else {
            sel[k] = 1;
        }
    }
}

static cml_status select_clusters(const cml_hdbscan_params *p, const ctree *t, clusters *c)
{
    int64_t K = c->count, n = c->n;
    int allow = p->allow_single_cluster;
    double eps = p->cluster_selection_epsilon;
    int64_t max_size = p->max_cluster_size > 0 ? p->max_cluster_size : n + 1;
    int has_tree = 0;
    for (int64_t k = 1; k < K; k++)
        has_tree |= c->up[k] != -1;
    for (int64_t k = allow ? 0 : 1; k < K; k++)
        c->is_key[k] = c->is_cluster[k] = 1;
    if (allow) { /* sklearn: the root's "size" is the sum of its cluster children's */
        c->csize[0] = 0;
        for (int64_t k = 1; k < K; k++)
            if (c->up[k] == n) c->csize[0] += c->csize[k];
    }
    char *sel = cml_calloc((size_t)K, 1), *processed = cml_calloc((size_t)K, 1);
    if (!sel || !processed) {
        free(sel);
        free(processed);
        return CML_ERR_NOMEM;
    }
    if (p->cluster_selection_method == CML_HDBSCAN_EOM) {
        double *stab = c->stability;
        for (int64_t k = K - 1; k >= (allow ? 0 : 1); k--) {
            double sub = 0.0;
            for (int64_t q = k + 1; q < K; q++) /* children have larger labels */
                if (c->up[q] == n + k) sub += stab[q];
            if (sub > stab[k] || c->csize[k] > max_size) {
                c->is_cluster[k] = 0;
                stab[k] = sub;
            } else {
                for (int64_t q = k + 1; q < K; q++)
                    if (under(c, n + q, n + k)) c->is_cluster[q] = 0;
            }
        }
        if (eps != 0.0 && has_tree) {
            int64_t n_sel = 0, only = -1;
            for (int64_t k = 0; k < K; k++)
                if (c->is_cluster[k]) n_sel++, only = k;
            if (n_sel == 1 && only == 0) {
                memset(sel, 0, (size_t)K);
                if (allow) sel[0] = 1;
            } else {
                epsilon_search(c, c->is_cluster, eps, allow, sel, processed);
            }
            for (int64_t k = 0; k < K; k++)
                if (c->is_key[k]) c->is_cluster[k] = sel[k];
        }
    } else {
        char *leaves = processed; /* reused: leaves first, then scratch */
        char *lv = cml_calloc((size_t)K, 1);
        if (!lv) {
            free(sel);
            free(processed);
            return CML_ERR_NOMEM;
        }
        int64_t n_leaves = 0;
        for (int64_t k = 1; k < K; k++)
            if (c->up[k] != -1 && !c->is_parent[k]) lv[k] = 1, n_leaves++;
        if (n_leaves == 0) {
            memset(c->is_cluster, 0, (size_t)K);
            c->is_key[0] = c->is_cluster[0] = 1;
        }
        if (eps != 0.0)
            epsilon_search(c, lv, eps, allow, sel, leaves);
        else
            memcpy(sel, lv, (size_t)K);
        for (int64_t k = 0; k < K; k++)
            if (c->is_key[k]) c->is_cluster[k] = sel[k];
        free(lv);
    }
    (void)t;
    free(sel);
    free(processed);
    return CML_OK;
}

/* sklearn's do_labelling and _get_probabilities. */
static cml_status label_points(const cml_hdbscan_params *p, const ctree *t, const clusters *c,
                               cml_hdbscan *m)
{
    int64_t n = c->n, K = c->count, root = n;
    int64_t size = n + K; /* labels 0 .. max_parent */
    int64_t *uf = cml_alloc_array(size, sizeof(int64_t));
    int64_t *map = cml_alloc_array(K, sizeof(int64_t)); /* label - n -> cluster number */
    int64_t *rev = cml_alloc_array(K, sizeof(int64_t));
    double *deaths = cml_calloc((size_t)K, sizeof(double));
    double *point_lambda = cml_alloc_array(n, sizeof(double));
    if (!uf || !map || !rev || !deaths || !point_lambda) {
        free(uf);
        free(map);
        free(rev);
        free(deaths);
        free(point_lambda);
        return CML_ERR_NOMEM;
    }
    int64_t n_clusters = 0;
    for (int64_t k = 0; k < K; k++) {
        map[k] = -1;
        if (c->is_cluster[k]) {
            map[k] = n_clusters;
            rev[n_clusters++] = n + k;
        }
    }
    /* Union of every row whose child is not a selected cluster; the parent's
     * root always wins (the child is still a singleton then), so a point's
     * representative is its nearest selected ancestor or the root. */
    for (int64_t i = 0; i < size; i++)
        uf[i] = -1;
    for (int64_t r = 0; r < t->rows; r++) {
        int64_t ch = t->child[r];
        if (ch >= n && c->is_cluster[ch - n]) continue;
        uf[ch] = uf_find(uf, t->parent[r]);
    }
    double root_max = 0.0;
    for (int64_t r = 0; r < t->rows; r++) {
        if (t->child[r] < n) point_lambda[t->child[r]] = t->lambda[r];
        if (t->parent[r] == root) root_max = fmax(root_max, t->lambda[r]);
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t cl = uf_find(uf, i);
        int64_t lab = -1;
        if (cl == root) {
            if (n_clusters == 1 && p->allow_single_cluster) {
                double thr = p->cluster_selection_epsilon != 0.0
                                 ? 1.0 / p->cluster_selection_epsilon
                                 : root_max;
                if (point_lambda[i] >= thr) lab = map[0];
            }
        } else if (cl > root) {
            lab = map[cl - n];
        }
        m->labels[i] = lab;
    }
    /* max_lambdas: runs of consecutive rows with the same parent */
    int64_t cur = t->parent[0];
    double mx = t->lambda[0];
    for (int64_t r = 1; r < t->rows; r++) {
        if (t->parent[r] == cur) {
            mx = fmax(mx, t->lambda[r]);
        } else {
            deaths[cur - n] = mx;
            cur = t->parent[r];
            mx = t->lambda[r];
        }
    }
    deaths[cur - n] = mx;
    for (int64_t i = 0; i < n; i++)
        m->prob[i] = 0.0;
    for (int64_t r = 0; r < t->rows; r++) {
        int64_t pt = t->child[r];
        if (pt >= root || m->labels[pt] == -1) continue;
        double ml = deaths[rev[m->labels[pt]] - n];
        if (ml == 0.0 || !isfinite(t->lambda[r]))
            m->prob[pt] = 1.0;
        else
            m->prob[pt] = fmin(t->lambda[r], ml) / ml;
    }
    m->n_clusters = n_clusters;
    free(uf);
    free(map);
    free(rev);
    free(deaths);
    free(point_lambda);
    return CML_OK;
}

/* ---------------------------------------------------------------- fit */

cml_status cml_hdbscan_fit(const cml_hdbscan_params *p, const cml_matrix *X, cml_hdbscan **out)
{
    *out = NULL;
    const char *msg = cml_hdbscan_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "hdbscan: %s", msg);
    CML_CHECK(cml_matrix_check(X, "X", 0));
    int64_t n = X->rows;
    if (n < 2)
        return cml_fail(CML_ERR_ARG, "hdbscan: needs at least 2 rows, got %lld", (long long)n);
    int64_t ms = p->min_samples > 0 ? p->min_samples : p->min_cluster_size;
    if (ms > n)
        return cml_fail(CML_ERR_ARG,
                        "hdbscan: min_samples (%lld) must be at most the number of samples in X "
                        "(%lld)%s",
                        (long long)ms, (long long)n,
                        p->min_samples > 0 ? ""
                                           : " (HINT: min_samples defaults to min_cluster_size)");
    cml_status st = CML_OK;
    cml_nn_index *ix = NULL;
    double *kd = NULL, *core = NULL;
    int64_t *ki = NULL;
    edge *mst = NULL;
    linkage L = {0};
    ctree t = {0};
    clusters c = {0};
    cml_hdbscan *m = cml_calloc(1, sizeof *m);
    kd = cml_alloc_array(n * ms, sizeof(double));
    ki = cml_alloc_array(n * ms, sizeof(int64_t));
    core = cml_alloc_array(n, sizeof(double));
    mst = cml_alloc_array(n - 1, sizeof(edge));
    L.left = cml_alloc_array(n - 1, sizeof(int64_t));
    L.right = cml_alloc_array(n - 1, sizeof(int64_t));
    L.size = cml_alloc_array(n - 1, sizeof(int64_t));
    L.dist = cml_alloc_array(n - 1, sizeof(double));
    t.parent = cml_alloc_array(3 * n, sizeof(int64_t));
    t.child = cml_alloc_array(3 * n, sizeof(int64_t));
    t.size = cml_alloc_array(3 * n, sizeof(int64_t));
    t.lambda = cml_alloc_array(3 * n, sizeof(double));
    if (!m || !kd || !ki || !core || !mst || !L.left || !L.right || !L.size || !L.dist ||
        !t.parent || !t.child || !t.size || !t.lambda) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    m->n = n;
    m->p = X->cols;
    m->labels = cml_alloc_array(n, sizeof(int64_t));
    m->prob = cml_alloc_array(n, sizeof(double));
    if (!m->labels || !m->prob) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* 1. core distances: the ms-th neighbour, the row itself counted */
    cml_nn_params np = cml_nn_params_default();
    np.metric = p->metric == CML_HDBSCAN_MANHATTAN ? CML_NN_MANHATTAN : CML_NN_EUCLIDEAN;
    np.n_neighbors = (int)ms;
    CML_TRY(cml_nn_index_build(&np, X, &ix));
    CML_TRY(cml_nn_index_kneighbors(ix, X, ms, kd, ki));
    for (int64_t i = 0; i < n; i++)
        core[i] = kd[i * ms + ms - 1];
    cml_nn_index_free(ix);
    ix = NULL;
    free(kd);
    free(ki);
    kd = NULL;
    ki = NULL;
    /* 2-4. spanning tree, single linkage */
    CML_TRY(prim(X, core, p->alpha, p->metric, mst));
    qsort(mst, (size_t)(n - 1), sizeof(edge), cmp_edge);
    CML_TRY(single_linkage(mst, n, &L));
    /* 5-7. condensed tree, selection, labels */
    CML_TRY(condense(&L, n, p->min_cluster_size, &t));
    CML_TRY(clusters_make(&t, n, &c));
    CML_TRY(select_clusters(p, &t, &c));
    CML_TRY(label_points(p, &t, &c, m));
    m->n_rows = t.rows;
    m->t_parent = t.parent;
    m->t_child = t.child;
    m->t_size = t.size;
    m->t_lambda = t.lambda;
    t.parent = t.child = t.size = NULL;
    t.lambda = NULL;
    *out = m;
    m = NULL;
fail:
    cml_nn_index_free(ix);
    free(kd);
    free(ki);
    free(core);
    free(mst);
    free(L.left);
    free(L.right);
    free(L.size);
    free(L.dist);
    free(t.parent);
    free(t.child);
    free(t.size);
    free(t.lambda);
    clusters_free(&c);
    cml_hdbscan_free(m);
    return st;
}

int64_t cml_hdbscan_n_samples(const cml_hdbscan *m)
{
    return m->n;
}
int64_t cml_hdbscan_n_features(const cml_hdbscan *m)
{
    return m->p;
}
int64_t cml_hdbscan_n_clusters(const cml_hdbscan *m)
{
    return m->n_clusters;
}
const int64_t *cml_hdbscan_labels(const cml_hdbscan *m)
{
    return m->labels;
}
const double *cml_hdbscan_probabilities(const cml_hdbscan *m)
{
    return m->prob;
}
int64_t cml_hdbscan_condensed_tree(const cml_hdbscan *m, const int64_t **parent,
                                   const int64_t **child, const double **lambda_val,
                                   const int64_t **child_size)
{
    if (parent) *parent = m->t_parent;
    if (child) *child = m->t_child;
    if (lambda_val) *lambda_val = m->t_lambda;
    if (child_size) *child_size = m->t_size;
    return m->n_rows;
}

/* ---------------------------------------------------------------- vtable */

/* Like DBSCAN (and sklearn's HDBSCAN), no predict: the result is the labels
 * of the fitted rows, through the labels() entry. */
static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    if (opts && opts->sample_weight)
        return cml_fail(CML_ERR_ARG, "hdbscan: sample_weight is not supported (as in sklearn)");
    cml_hdbscan *m;
    CML_CHECK(cml_hdbscan_fit(params, X, &m));
    info->n_iter = 0;
    info->converged = 1;
    *state = m;
    return CML_OK;
}

static int64_t v_labels(const void *state, const int64_t **labels)
{
    const cml_hdbscan *m = state;
    *labels = m->labels;
    return m->n;
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_hdbscan *)state)->p;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_hdbscan *m = state;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_samples", m->n));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->p));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_clusters", m->n_clusters));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.tree_rows", m->n_rows));
    CML_CHECK(cml_gguf_add_i64(w, "labels", m->labels, m->n));
    CML_CHECK(cml_gguf_add_f64(w, "probabilities", m->prob, 1, m->n));
    CML_CHECK(cml_gguf_add_i64(w, "tree_parent", m->t_parent, m->n_rows));
    CML_CHECK(cml_gguf_add_i64(w, "tree_child", m->t_child, m->n_rows));
    CML_CHECK(cml_gguf_add_i64(w, "tree_size", m->t_size, m->n_rows));
    return cml_gguf_add_f64(w, "tree_lambda", m->t_lambda, 1, m->n_rows);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)params;
    (void)schema_version;
    cml_status st;
    cml_hdbscan *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_samples", &m->n));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &m->p));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_clusters", &m->n_clusters));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.tree_rows", &m->n_rows));
    if (m->n < 2 || m->p < 1 || m->n_clusters < 0 || m->n_clusters > m->n || m->n_rows < 1 ||
        m->n_rows > 3 * m->n) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad HDBSCAN shape (n=%lld, p=%lld, clusters=%lld)",
                      cml_gguf_name(g), (long long)m->n, (long long)m->p, (long long)m->n_clusters);
        goto fail;
    }
    CML_TRY(cml_gguf_expect(g, "labels", CML_GGUF_T_I64, 1, m->n));
    CML_TRY(cml_gguf_expect(g, "probabilities", CML_GGUF_T_F64, 1, m->n));
    CML_TRY(cml_gguf_expect(g, "tree_parent", CML_GGUF_T_I64, 1, m->n_rows));
    CML_TRY(cml_gguf_expect(g, "tree_child", CML_GGUF_T_I64, 1, m->n_rows));
    CML_TRY(cml_gguf_expect(g, "tree_size", CML_GGUF_T_I64, 1, m->n_rows));
    CML_TRY(cml_gguf_expect(g, "tree_lambda", CML_GGUF_T_F64, 1, m->n_rows));
    m->labels = cml_alloc_array(m->n, sizeof(int64_t));
    m->prob = cml_alloc_array(m->n, sizeof(double));
    m->t_parent = cml_alloc_array(m->n_rows, sizeof(int64_t));
    m->t_child = cml_alloc_array(m->n_rows, sizeof(int64_t));
    m->t_size = cml_alloc_array(m->n_rows, sizeof(int64_t));
    m->t_lambda = cml_alloc_array(m->n_rows, sizeof(double));
    if (!m->labels || !m->prob || !m->t_parent || !m->t_child || !m->t_size || !m->t_lambda) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_i64(g, "labels", m->n, m->labels));
    CML_TRY(cml_gguf_read_f64(g, "probabilities", 1, m->n, m->prob));
    CML_TRY(cml_gguf_read_i64(g, "tree_parent", m->n_rows, m->t_parent));
    CML_TRY(cml_gguf_read_i64(g, "tree_child", m->n_rows, m->t_child));
    CML_TRY(cml_gguf_read_i64(g, "tree_size", m->n_rows, m->t_size));
    CML_TRY(cml_gguf_read_f64(g, "tree_lambda", 1, m->n_rows, m->t_lambda));
    for (int64_t i = 0; i < m->n; i++)
        if (m->labels[i] < -1 || m->labels[i] >= m->n_clusters) {
            st = cml_fail(CML_ERR_FORMAT, "%s: HDBSCAN label %lld out of range", cml_gguf_name(g),
                          (long long)m->labels[i]);
            goto fail;
        }
    *state = m;
    return CML_OK;
fail:
    cml_hdbscan_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_hdbscan *m = state;
    int64_t noise = 0;
    for (int64_t i = 0; i < m->n; i++)
        noise += m->labels[i] == -1;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb,
                  "{\"n_clusters\":%lld,\"n_noise\":%lld,\"n_samples\":%lld,"
                  "\"n_features_in\":%lld,\"condensed_tree_rows\":%lld}",
                  (long long)m->n_clusters, (long long)noise, (long long)m->n, (long long)m->p,
                  (long long)m->n_rows);
    return cml_sb_finish(&sb);
}

static void v_free(void *state)
{
    cml_hdbscan_free(state);
}

const cml_estimator cml_est_hdbscan = {
    .name = "hdbscan",
    .aliases = "",
    .summary = "hierarchical density-based clustering with noise (HDBSCAN, sklearn 1.3)",
    .task = CML_TASK_CLUSTER,
    .schema_version = 1,
    .params = hdb_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_hdbscan_params),
    .allows_nan = 0,
    .fit = v_fit,
    .predict = NULL,
    .labels = v_labels,
    .n_features_in = v_n_features,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
