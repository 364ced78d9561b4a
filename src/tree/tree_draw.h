/*
 * tree_draw.h — draws a binary tree of labelled boxes with cairo (PNG or
 * SVG), for `cml tree export --format png` of decision trees, forest trees
 * and boosted trees. Private to libcml.
 */
#ifndef CML_TREE_TREE_DRAW_H
#define CML_TREE_TREE_DRAW_H

#include <stdint.h>

#include "core/internal.h"

typedef struct tdraw_node {
    char *label;             /* lines separated by '\n' (owned by the caller) */
    int32_t left, right;     /* child indices into the node array; -1 for none */
    double rgb[3];           /* box fill, each in [0, 1] */
    const char *edge_lbl[2]; /* labels of the edges to left / right (may be NULL) */
} tdraw_node;

/*
 * Renders the tree rooted at nodes[0] to path (.png or .svg, by extension,
 * case-insensitive): each node a rounded box with its label lines centred,
 * children below their parent, edges labelled at their midpoints, an
 * optional title on top. Layout: every subtree gets the width of its
 * children side by side (or its own box if wider), a node is centred over
 * its children, levels are as tall as their tallest box. Errors:
 * CML_ERR_ARG (extension; a drawing over 32767 px wide or 200 Mpx: the
 * message hints at max_depth), CML_ERR_IO (cannot write).
 */
cml_status tdraw_render(const tdraw_node *nodes, int64_t n, const char *title, const char *path);

/* Fill colour of a node as scikit-learn's plot_tree: a class colour
 * (classifier: majority class, alpha = (p1 - p2) / (1 - p2) from the two
 * largest fractions) or one colour with alpha = (v - lo) / (hi - lo)
 * (regression), blended with white. */
void tdraw_class_color(const double *fractions, int64_t k, double rgb[3]);
void tdraw_value_color(double v, double lo, double hi, double rgb[3]);

#endif
