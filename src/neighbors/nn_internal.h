/*
 * nn_internal.h — the neighbour index's representation, shared by the
 * brute-force searcher (index.c) and the trees (tree.c). Internal.
 *
 * Ordering contract used everywhere: a candidate (r, i) — reduced distance
 * r, original training index i — precedes (r', i') iff r < r' or (r == r'
 * and i < i'). Every searcher returns the k smallest candidates in this
 * order, so all algorithms give identical answers.
 */
#ifndef CML_NN_INTERNAL_H
#define CML_NN_INTERNAL_H

#include <stdint.h>

#include "cml/neighbors.h"
#include "core/distance.h"
#include "core/internal.h"

typedef struct nn_node {
    int64_t start, end; /* rows [start, end) of the storage order */
    int is_leaf;
    double radius; /* ball tree: max distance from the centroid to a row */
} nn_node;

struct cml_nn_index {
    cml_nn_params params;  /* as given */
    cml_nn_algorithm algo; /* effective, never AUTO */
    cml_dist dist;         /* effective metric (minkowski p=1/2 mapped) */
    int64_t n, d;
    double *X;     /* (n, d) training rows in storage order */
    double *Xn;    /* (n, d) cosine: the rows scaled to unit norm, else NULL */
    int64_t *perm; /* (n) storage position -> original index (trees) or NULL */
    int64_t *pos;  /* (n) original index -> storage position (trees) or NULL */

    /* brute force, euclidean and cosine: dgemm screening (see index.c) */
    double *xsq;    /* (n) |B_i|^2, B = Xn for cosine, else X */
    double xmax;    /* max_i |B_i| */
    float *S32;     /* (n, d) f32 screening copy (X - center) * scale, or NULL */
    double *center; /* (d) with S32: column means (euclidean) or zeros (cosine) */
    double scale;   /* power of two */
    double *s32sq;  /* (n) |S32_i|^2 in f64 */
    double s32max;  /* max_i |S32_i| */

    /* trees */
    int64_t n_nodes;
    nn_node *nodes; /* (n_nodes) heap layout: children of i are 2i+1, 2i+2 */
    double *bounds; /* kd: (n_nodes, 2, d) lower then upper; ball: (n_nodes, d) centroids */
};

/* ---------------------------------------------------------------- heap */

/* A bounded max-heap of the k best (r, i) pairs seen so far. */
typedef struct nn_heap {
    double *r;
    int64_t *i;
    int64_t k, n;
} nn_heap;

static inline int nn_before(double r1, int64_t i1, double r2, int64_t i2)
{
    return r1 < r2 || (r1 == r2 && i1 < i2);
}

/* Largest kept rdist, +inf while the heap is not full. */
static inline double nn_heap_bound(const nn_heap *h)
{
    return h->n < h->k ? INFINITY : h->r[0];
}

void nn_heap_push(nn_heap *h, double r, int64_t i);
/* Sorts the kept pairs ascending in place (destroys the heap shape). */
void nn_sort_pairs(double *r, int64_t *i, int64_t n);

/* ---------------------------------------------------------------- trees */

cml_status nn_tree_build(cml_nn_index *ix, const cml_matrix *X);
/* k-NN of one query q (d values): fills h (k slots) with (rdist, original
 * index) pairs. */
void nn_tree_knn(const cml_nn_index *ix, const double *q, nn_heap *h);

/* Growable (rdist, index) list for radius queries. Returns 0 on NOMEM. */
typedef struct nn_list {
    double *r;
    int64_t *i;
    int64_t n, cap;
} nn_list;
int nn_list_add(nn_list *l, double r, int64_t i);
void nn_tree_radius(const cml_nn_index *ix, const double *q, double r_rdist, nn_list *out,
                    int *nomem);

/* Copies the training rows, in their original order, into out (n, d). */
void nn_index_rows(const cml_nn_index *ix, double *out);

#endif /* CML_NN_INTERNAL_H */
