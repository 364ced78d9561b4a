/*
 * sptree.h — the space-partitioning tree of Barnes-Hut t-SNE (internal): a
 * quadtree in 2-D, an octree in 3-D (van der Maaten, "Accelerating t-SNE
 * using tree-based algorithms", JMLR 15, 2014; sklearn's _QuadTree).
 *
 * Built top-down over a fixed point set; each node keeps its box's squared
 * largest width, the centre of mass and the count of the points below it.
 * Leaves hold one point, or several identical points (or points still
 * together after CML_SPTREE_MAX_DEPTH splits).
 *
 * Thread-safety: a built tree is read-only; queries may run concurrently.
 */
#ifndef CML_SPTREE_H
#define CML_SPTREE_H

#include <stdint.h>

#include "core/internal.h"

#define CML_SPTREE_MAX_DIM   3
#define CML_SPTREE_MAX_DEPTH 48

typedef struct cml_sptree {
    int d;                /* 2 or 3 */
    int64_t n;            /* points */
    int64_t n_nodes, cap; /* nodes used, allocated */
    double *bary;         /* (cap, d) centre of mass */
    double *max_w2;       /* (cap) squared largest box width */
    int64_t *count;       /* (cap) points below the node */
    int64_t *first_child; /* (cap) index of the first child, -1 for a leaf */
    int32_t *n_children;  /* (cap) non-empty children, stored contiguously */
    int64_t *lo, *hi;     /* (cap) the node's points are perm[lo .. hi) */
    int64_t *perm;        /* (n) point ids grouped by node */
    double *box;          /* (cap, 2d) scratch of the build: min, max per dim */
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
