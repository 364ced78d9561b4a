/*
 * sptree.h — the space-partitioning tree of Barnes-Hut t-SNE (internal): a
 * quadtree in 2-D, an octree in 3-D (van der Maaten, "Accelerating t-SNE
 * using tree-based algorithms", JMLR 15, 2014; sklearn's _QuadTree).
 *
 * Built top-down over a fixed point set; each node keeps its box's squared
 * largest width, the centre of mass and the count of the points below it.
 * Leaves hold one point, or several identical points (or, in the
 * pathological case of points closer than 2^-48 of the data's extent,
 * points still together after CML_SPTREE_MAX_DEPTH splits, which are then
 * treated as one point at their centre of mass).
 *
 * Thread-safety: a built tree is read-only; queries may run concurrently.
 */
#ifndef CML_SPTREE_H
#define CML_SPTREE_H

#include <stdint.h>

#include "core/internal.h"

#define CML_SPTREE_MAX_DIM   3
#define CML_SPTREE_MAX_DEPTH 48

/* The fields a query reads, packed in one cache line. */
typedef struct cml_sptree_node {
    double bary[CML_SPTREE_MAX_DIM]; /* centre of mass */
    double max_w2;                   /* squared largest box width */
    double count;                    /* points below the node */
    int64_t first_child;             /* index of the first child, -1 for a leaf */
    int32_t n_children;              /* non-empty children, stored contiguously */
} cml_sptree_node;

typedef struct cml_sptree {
    int d;                 /* 2 or 3 */
    int64_t n;             /* points */
    int64_t n_nodes, cap;  /* nodes used, allocated */
    cml_sptree_node *node; /* (cap) */
    int64_t *leaf_of;      /* (n) the leaf holding each point */
    int64_t *perm;         /* (n) point ids grouped by node (tree order) */
    int64_t *lo, *hi;      /* (cap) build scratch: the node's points are perm[lo .. hi) */
    double *box;           /* (cap, 2d) build scratch: min, max per dim */
} cml_sptree;

/* Builds the tree over the n points Y (n, d), 1 <= d <= 3. The tree struct
 * may be reused across calls (buffers grow as needed); free with
 * cml_sptree_free. */
cml_status cml_sptree_build(cml_sptree *t, const double *Y, int64_t n, int d);
void cml_sptree_free(cml_sptree *t);

/* Repulsive part of the t-SNE gradient for point i (Barnes-Hut): returns
 * sum_j q_ij Z (the point's share of the normaliser Z) and sets
 * neg[0..d) = sum_j (q_ij Z)^2 (y_i - y_j), summarising a node as one
 * point at its centre of mass when max_w2 / |y_i - centre|^2 < theta2.
 * q_ij Z = (dof / (dof + |y_i - y_j|^2))^((dof + 1) / 2), as sklearn. */
double cml_sptree_repulsion(const cml_sptree *t, const double *Y, int64_t i, double theta2,
                            double dof, double *neg);

#endif
