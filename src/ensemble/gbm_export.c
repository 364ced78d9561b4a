/*
 * gbm_export.c — one boosted tree as text (XGBoost's get_dump(with_stats=
 * True) layout: "id:[f<thr] yes=..,no=..,missing=..,gain=..,cover=.." and
 * "id:leaf=..,cover=..", one tab per depth, depth-first; a categorical split
 * is XGBoost's "id:[f:{1,4}] yes=<right>,no=<left>,..." with the categories
 * that go right, so "yes" is the right child), as Graphviz DOT
 * (XGBoost's to_graphviz look: split boxes, leaf ellipses, edges "yes" /
 * "no" with the missing side marked) and as a PNG/SVG drawing
 * (src/tree/tree_draw.c). Node ids are cml_gbm_tree_node's.
 *
 * Complexity O(nodes). Thread-safety: reads a const model.
 */
#include <math.h>
#include <string.h>

#include "core/strbuf.h"
#include "ensemble/gbm_internal.h"
#include "tree/tree_draw.h"

static cml_status check_tree(const cml_gbm *m, int tree)
{
    if (tree < 0 || tree >= cml_gbm_n_trees(m))
        return cml_fail(CML_ERR_ARG,
                        "gbm export: tree %d does not exist (the model has %d: 0 .. %d)", tree,
                        cml_gbm_n_trees(m), cml_gbm_n_trees(m) - 1);
    return CML_OK;
}

static void feat_name(cml_sb *sb, const char *const *names, int f)
{
    if (names)
        cml_sb_puts(sb, names[f]);
    else
        cml_sb_printf(sb, "f%d", f);
}

/* "{1,4,7}": the categories that go right at a categorical split. */
static void cat_set_str(cml_sb *sb, const cml_gbm *m, int tree, int node)
{
    int n = cml_gbm_node_categories(m, tree, node, NULL, 0, NULL);
    int32_t *c = n > 0 ? cml_alloc_array(n, sizeof *c) : NULL;
    if (n > 0 && !c) {
        sb->failed = 1;
        return;
    }
    if (n > 0) cml_gbm_node_categories(m, tree, node, c, n, NULL);
    cml_sb_puts(sb, "{");
    for (int i = 0; i < n; i++)
        cml_sb_printf(sb, "%s%d", i ? "," : "", c[i]);
    cml_sb_puts(sb, "}");
    free(c);
}

/* The condition of a split as "f<thr" / "f:{1,4}", and its yes / no
 * children (the categorical "yes" is the set's side, the right child). */
static void split_cond(cml_sb *sb, const cml_gbm *m, int tree, int node, const cml_gbm_node *nd,
                       const char *const *names, const char *numfmt, int *yes, int *no)
{
    feat_name(sb, names, nd->feature);
    if (nd->is_categorical) {
        cml_sb_puts(sb, ":");
        cat_set_str(sb, m, tree, node);
        *yes = nd->right;
        *no = nd->left;
    } else {
        cml_sb_printf(sb, numfmt, nd->threshold);
        *yes = nd->left;
        *no = nd->right;
    }
}

static void text_rec(cml_sb *sb, const cml_gbm *m, int tree, int node, int depth,
                     const char *const *names)
{
    cml_gbm_node nd;
    if (cml_gbm_tree_node(m, tree, node, &nd) != CML_OK) {
        sb->failed = 1;
        return;
    }
    for (int i = 0; i < depth; i++)
        cml_sb_puts(sb, "\t");
    if (nd.is_leaf) {
        cml_sb_printf(sb, "%d:leaf=%.9g,cover=%.9g\n", node, nd.value, nd.cover);
        return;
    }
    int yes, no;
    cml_sb_printf(sb, "%d:[", node);
    split_cond(sb, m, tree, node, &nd, names, "<%.9g", &yes, &no);
    cml_sb_printf(sb, "] yes=%d,no=%d,missing=%d,gain=%.9g,cover=%.9g\n", yes, no,
                  nd.default_left ? nd.left : nd.right, nd.gain, nd.cover);
    text_rec(sb, m, tree, nd.left, depth + 1, names);
    text_rec(sb, m, tree, nd.right, depth + 1, names);
}

char *cml_gbm_export_text(const cml_gbm *m, int tree, const char *const *feature_names)
{
    if (check_tree(m, tree) != CML_OK) return NULL;
    cml_sb sb;
    cml_sb_init(&sb);
    text_rec(&sb, m, tree, 0, 0, feature_names);
    char *s = cml_sb_finish(&sb);
    if (!s) cml_fail(CML_ERR_NOMEM, "gbm export: out of memory");
    return s;
}

char *cml_gbm_export_dot(const cml_gbm *m, int tree, const char *const *feature_names)
{
    if (check_tree(m, tree) != CML_OK) return NULL;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "digraph Tree {\ngraph [rankdir=TB] ;\nnode [fontname=\"helvetica\"] ;\n"
                     "edge [fontname=\"helvetica\"] ;\n");
    const int n = cml_gbm_tree_size(m, tree);
    for (int j = 0; j < n; j++) {
        cml_gbm_node nd;
        if (cml_gbm_tree_node(m, tree, j, &nd) != CML_OK) {
            sb.failed = 1;
            break;
        }
        if (nd.is_leaf) {
            cml_sb_printf(&sb, "%d [label=\"leaf=%.6g\\ncover=%.6g\", shape=ellipse] ;\n", j,
                          nd.value, nd.cover);
            continue;
        }
        int yes, no;
        cml_sb_printf(&sb, "%d [label=\"", j);
        split_cond(&sb, m, tree, j, &nd, feature_names, "<%.6g", &yes, &no);
        cml_sb_printf(&sb, "\\ngain=%.6g\\ncover=%.6g\", shape=box] ;\n", nd.gain, nd.cover);
        const int miss = nd.default_left ? nd.left : nd.right;
        cml_sb_printf(&sb, "%d -> %d [label=\"yes%s\", color=\"#0000FF\"] ;\n", j, yes,
                      miss == yes ? ", missing" : "");
        cml_sb_printf(&sb, "%d -> %d [label=\"no%s\", color=\"#FF0000\"] ;\n", j, no,
                      miss == no ? ", missing" : "");
    }
    cml_sb_puts(&sb, "}");
    char *s = cml_sb_finish(&sb);
    if (!s) cml_fail(CML_ERR_NOMEM, "gbm export: out of memory");
    return s;
}

typedef struct draw_ctx {
    const cml_gbm *m;
    int tree, max_depth;
    const char *const *names;
    tdraw_node *dn;
    int64_t n;
    double maxabs;
    cml_status st;
} draw_ctx;

static int32_t draw_rec(draw_ctx *c, int node, int depth)
{
    cml_gbm_node nd;
    const int32_t me = (int32_t)c->n++;
    tdraw_node *dn = &c->dn[me];
    dn->left = dn->right = -1;
    if (cml_gbm_tree_node(c->m, c->tree, node, &nd) != CML_OK) {
        c->st = CML_ERR_FORMAT;
        return me;
    }
    cml_sb sb;
    cml_sb_init(&sb);
    if (c->max_depth >= 0 && depth > c->max_depth) {
        cml_sb_puts(&sb, "(...)");
        dn->rgb[0] = dn->rgb[1] = dn->rgb[2] = 0.94;
    } else if (nd.is_leaf) {
        cml_sb_printf(&sb, "leaf = %.6g\ncover = %.6g", nd.value, nd.cover);
        /* positive leaves orange, negative blue, by |value| */
        static const double pos[3] = {0xe5 / 255.0, 0x81 / 255.0, 0x39 / 255.0},
                            neg[3] = {0x39 / 255.0, 0x8b / 255.0, 0xe5 / 255.0};
        const double a = c->maxabs > 0 ? fabs(nd.value) / c->maxabs : 0;
        for (int k = 0; k < 3; k++)
            dn->rgb[k] = a * (nd.value >= 0 ? pos[k] : neg[k]) + (1 - a);
    } else {
        int yes, no;
        split_cond(&sb, c->m, c->tree, node, &nd, c->names, " < %.6g", &yes, &no);
        cml_sb_printf(&sb, "\ngain = %.6g\ncover = %.6g", nd.gain, nd.cover);
        dn->rgb[0] = dn->rgb[1] = dn->rgb[2] = 0.97;
        /* edges are drawn left, right; a categorical "yes" is the right one */
        const int cat = nd.is_categorical;
        dn->edge_lbl[0] =
            nd.default_left ? (cat ? "no, missing" : "yes, missing") : (cat ? "no" : "yes");
        dn->edge_lbl[1] =
            nd.default_left ? (cat ? "yes" : "no") : (cat ? "yes, missing" : "no, missing");
        (void)yes;
        (void)no;
    }
    dn->label = cml_sb_finish(&sb);
    if (!dn->label) c->st = CML_ERR_NOMEM;
    if (!nd.is_leaf && !(c->max_depth >= 0 && depth > c->max_depth)) {
        const int32_t l = draw_rec(c, nd.left, depth + 1);
        const int32_t r = draw_rec(c, nd.right, depth + 1);
        c->dn[me].left = l;
        c->dn[me].right = r;
    }
    return me;
}

cml_status cml_gbm_export_image(const cml_gbm *m, int tree, const char *const *feature_names,
                                int max_depth, const char *path, const char *title)
{
    CML_CHECK(check_tree(m, tree));
    const int n = cml_gbm_tree_size(m, tree);
    draw_ctx c = {m, tree, max_depth, feature_names, NULL, 0, 0, CML_OK};
    for (int j = 0; j < n; j++) {
        cml_gbm_node nd;
        CML_CHECK(cml_gbm_tree_node(m, tree, j, &nd));
        if (nd.is_leaf) c.maxabs = fmax(c.maxabs, fabs(nd.value));
    }
    c.dn = cml_calloc((size_t)n, sizeof *c.dn);
    if (!c.dn) return CML_ERR_NOMEM;
    draw_rec(&c, 0, 0);
    if (c.st == CML_OK) c.st = tdraw_render(c.dn, c.n, title, path);
    for (int64_t i = 0; i < c.n; i++)
        free(c.dn[i].label);
    free(c.dn);
    return c.st;
}
