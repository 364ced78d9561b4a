/*
 * tree_export.c — a fitted tree as text (scikit-learn 1.2's export_text) or
 * as Graphviz DOT (export_graphviz with its defaults), character for
 * character, number formatting included: text thresholds and values with
 * "%.{decimals}f"; DOT numbers as Python's str(round(x, precision)) (the
 * shortest repr of the correctly rounded value), class weights as numpy's
 * str() of the rounded array (with its line wrapping at 75 columns).
 * Complexity O(nodes). Thread-safety: reads the tree only.
 */
#include <float.h>
#include <string.h>

#include "core/strbuf.h"
#include "tree/tree_draw.h"
#include "tree/tree_model.h"

static const char *const CLF_CRIT[] = {"gini", "entropy", "log_loss"};
static const char *const REG_CRIT[] = {"squared_error", "friedman_mse", "absolute_error"};

cml_tree_export_opts cml_tree_export_opts_default(void)
{
    cml_tree_export_opts o = {NULL, NULL, 10, 2, 3, 3, 0};
    return o;
}

/* Python's repr(float): the shortest digits that round-trip, fixed notation
 * for exponents in [-4, 16), else d.ddde+XX. */
static void py_repr(double x, char *out, size_t len)
{
    if (isnan(x)) {
        snprintf(out, len, "nan");
        return;
    }
    if (isinf(x)) {
        snprintf(out, len, x > 0 ? "inf" : "-inf");
        return;
    }
    char buf[40], digits[24];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        if (strtod(buf, NULL) == x) break;
    }
    const char *s = buf;
    int neg = *s == '-';
    if (neg) s++;
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    int exp = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    char *o = out;
    size_t left = len;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(o, left, __VA_ARGS__);                                                   \
        if (w_ < 0 || (size_t)w_ >= left) return;                                                  \
        o += w_;                                                                                   \
        left -= (size_t)w_;                                                                        \
    } while (0)
    if (neg) PUT("-");
    if (exp >= 16 || exp < -4) {
        PUT("%c", digits[0]);
        if (nd > 1) PUT(".%s", digits + 1);
        PUT("e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp >= 0) {
        for (int i = 0; i <= exp; i++)
            PUT("%c", i < nd ? digits[i] : '0');
        PUT(".%s", nd > exp + 1 ? digits + exp + 1 : "0");
    } else {
        PUT("0.");
        for (int i = 0; i < -exp - 1; i++)
            PUT("0");
        PUT("%s", digits);
    }
#undef PUT
}

/* Python's round(x, p): the double nearest the correctly rounded decimal. */
static double py_round(double x, int p)
{
    char buf[400];
    snprintf(buf, sizeof buf, "%.*f", p, x);
    return strtod(buf, NULL);
}

/* numpy's around(x, p): rint(x * 10^p) / 10^p. */
static double np_around(double x, int p)
{
    double s = pow(10.0, p);
    return nearbyint(x * s) / s;
}

static void class_str(const cml_tree *t, const cml_tree_export_opts *o, int64_t c, char *buf,
                      size_t len)
{
    if (o->class_names)
        snprintf(buf, len, "%s", o->class_names[c]);
    else
        py_repr(t->classes[c], buf, len);
}

static int64_t argmax(const double *v, int64_t k)
{
    int64_t b = 0;
    for (int64_t c = 1; c < k; c++)
        if (v[c] > v[b]) b = c;
    return b;
}

/* Depth of the subtree at node (a leaf is 1), as sklearn's _compute_depth. */
static int64_t subtree_depth(const cml_dtree *d, int64_t node)
{
    if (d->nodes[node].left < 0) return 1;
    int64_t l = subtree_depth(d, d->nodes[node].left), r = subtree_depth(d, d->nodes[node].right);
    return 1 + (l > r ? l : r);
}

/* ---------------------------------------------------------------- text */

/* A leaf's line after its indent. */
static void text_leaf(cml_sb *sb, const cml_tree *t, const cml_tree_export_opts *o, int64_t node)
{
    const cml_dtree *d = t->t;
    const double *v = d->value + node * d->stride;
    if (t->classifier && !o->show_weights) {
        cml_sb_puts(sb, " class: ");
    } else {
        cml_sb_puts(sb, t->classifier ? " weights: [" : " value: [");
        for (int64_t c = 0; c < d->stride; c++)
            cml_sb_printf(sb, "%s%.*f", c ? ", " : "", o->decimals, v[c]);
        cml_sb_puts(sb, "]");
        if (t->classifier) cml_sb_puts(sb, " class: ");
    }
    if (t->classifier) {
        char cls[256];
        class_str(t, o, argmax(v, d->stride), cls, sizeof cls);
        cml_sb_puts(sb, cls);
    }
    cml_sb_puts(sb, "\n");
}

/* indent: ("|" + " " * spacing) * depth with its last spacing characters
 * turned into dashes, as export_text builds it. */
static void put_indent(cml_sb *sb, int64_t depth, int spacing)
{
    for (int64_t i = 0; i + 1 < depth; i++) {
        cml_sb_puts(sb, "|");
        cml_sb_printf(sb, "%*s", spacing, "");
    }
    cml_sb_puts(sb, "|");
    for (int s = 0; s < spacing; s++)
        cml_sb_puts(sb, "-");
}

static void text_rec(cml_sb *sb, const cml_tree *t, const cml_tree_export_opts *o, int64_t node,
                     int64_t depth)
{
    const cml_dtree *d = t->t;
    const cml_tnode *nd = &d->nodes[node];
    if (depth <= o->max_depth + 1) {
        if (nd->left >= 0) {
            for (int side = 0; side < 2; side++) {
                put_indent(sb, depth, o->spacing);
                if (o->feature_names)
                    cml_sb_printf(sb, " %s", o->feature_names[nd->feature]);
                else
                    cml_sb_printf(sb, " feature_%d", nd->feature);
                cml_sb_printf(sb, " %s %.*f\n", side ? "> " : "<=", o->decimals, nd->threshold);
                text_rec(sb, t, o, side ? nd->right : nd->left, depth + 1);
            }
        } else {
            put_indent(sb, depth, o->spacing);
            text_leaf(sb, t, o, node);
        }
    } else {
        put_indent(sb, depth, o->spacing);
        int64_t sd = subtree_depth(d, node);
        if (sd == 1)
            text_leaf(sb, t, o, node);
        else
            cml_sb_printf(sb, " truncated branch of depth %lld\n", (long long)sd);
    }
}

char *cml_tree_export_text(const cml_tree *t, const cml_tree_export_opts *opts)
{
    cml_tree_export_opts o = opts ? *opts : cml_tree_export_opts_default();
    if (o.max_depth < 0 || o.spacing <= 0 || o.spacing > 64 || o.decimals < 0 || o.decimals > 30) {
        cml_fail(CML_ERR_ARG,
                 "export_text: max_depth must be >= 0, spacing in [1, 64], decimals in [0, 30]");
        return NULL;
    }
    cml_sb sb;
    cml_sb_init(&sb);
    text_rec(&sb, t, &o, 0, 1);
    char *s = cml_sb_finish(&sb);
    if (!s) cml_fail(CML_ERR_NOMEM, "export_text: out of memory");
    return s;
}

/* ---------------------------------------------------------------- DOT */

/* numpy str() of a 1-D array of words, wrapped at 75 columns, then
 * sklearn's replacements ("b'" -> "'", "' '" -> ", ", "'" -> "",
 * "\n " -> "\\n"). words are the bare element texts. */
static void np_str_words(cml_sb *sb, char words[][40], int64_t k)
{
    /* numpy builds lines of "b'w'" words separated by ' ', a hanging
     * indent of one space, wrapping when a word would pass column 74. */
    size_t line = 1; /* the hanging indent (later the '[') */
    cml_sb_puts(sb, "[");
    for (int64_t c = 0; c < k; c++) {
        size_t wl = strlen(words[c]) + 3; /* b'...' */
        if (line + wl > 74 && line > 1) {
            /* the wrap: "'\n b'" turns into "\\n" after the replacements */
            cml_sb_puts(sb, "\\n");
            line = 1;
        } else if (c > 0) {
            cml_sb_puts(sb, ", ");
        }
        cml_sb_puts(sb, words[c]);
        line += wl + 1;
    }
    cml_sb_puts(sb, "]");
}

/* The box text of a node, as export_graphviz / plot_tree write it; lines
 * separated by nl ("\\n" inside DOT's quotes, "\n" for drawing). */
static void node_label(cml_sb *sb, const cml_tree *t, const cml_tree_export_opts *o, int64_t node,
                       const char *nl)
{
    const cml_dtree *d = t->t;
    const cml_tnode *nd = &d->nodes[node];
    char num[64];
    if (nd->left >= 0) {
        if (o->feature_names)
            cml_sb_puts(sb, o->feature_names[nd->feature]);
        else
            cml_sb_printf(sb, "x[%d]", nd->feature);
        py_repr(py_round(nd->threshold, o->precision), num, sizeof num);
        cml_sb_printf(sb, " <= %s%s", num, nl);
    }
    const char *crit = t->classifier ? CLF_CRIT[t->criterion] : REG_CRIT[t->criterion];
    py_repr(py_round(d->impurity[node], o->precision), num, sizeof num);
    cml_sb_printf(sb, "%s = %s%s", crit, num, nl);
    cml_sb_printf(sb, "samples = %lld%s", (long long)d->n_samples[node], nl);
    cml_sb_puts(sb, "value = ");
    const double *v = d->value + node * d->stride;
    const int64_t k = d->stride;
    if (!t->classifier) {
        py_repr(np_around(v[0], o->precision), num, sizeof num);
        cml_sb_puts(sb, num);
    } else {
        char(*words)[40] = malloc((size_t)k * sizeof *words);
        if (!words) {
            sb->failed = 1;
            return;
        }
        int integral = 1;
        for (int64_t c = 0; c < k; c++)
            integral &= fmod(v[c], 1.0) == 0.0;
        for (int64_t c = 0; c < k; c++) {
            if (integral)
                snprintf(words[c], sizeof words[c], "%.0f", v[c]);
            else
                py_repr(np_around(v[c], o->precision), words[c], sizeof words[c]);
        }
        np_str_words(sb, words, k);
        free(words);
        if (o->class_names) {
            cml_sb_printf(sb, "%sclass = %s", nl, o->class_names[argmax(v, k)]);
        }
    }
}

static void dot_rec(cml_sb *sb, const cml_tree *t, const cml_tree_export_opts *o, int64_t node,
                    int64_t parent, int64_t depth)
{
    const cml_tnode *nd = &t->t->nodes[node];
    if (o->max_depth < 0 || depth <= o->max_depth) {
        cml_sb_printf(sb, "%lld [label=\"", (long long)node);
        node_label(sb, t, o, node, "\\n");
        cml_sb_puts(sb, "\"] ;\n");
        if (parent >= 0) {
            cml_sb_printf(sb, "%lld -> %lld", (long long)parent, (long long)node);
            if (parent == 0)
                cml_sb_printf(sb, " [labeldistance=2.5, labelangle=%s]",
                              node == 1 ? "45, headlabel=\"True\"" : "-45, headlabel=\"False\"");
            cml_sb_puts(sb, " ;\n");
        }
        if (nd->left >= 0) {
            dot_rec(sb, t, o, nd->left, node, depth + 1);
            dot_rec(sb, t, o, nd->right, node, depth + 1);
        }
    } else {
        cml_sb_printf(sb, "%lld [label=\"(...)\"] ;\n", (long long)node);
        if (parent >= 0) cml_sb_printf(sb, "%lld -> %lld ;\n", (long long)parent, (long long)node);
    }
}

char *cml_tree_export_dot(const cml_tree *t, const cml_tree_export_opts *opts)
{
    cml_tree_export_opts o = opts ? *opts : cml_tree_export_opts_default();
    if (!opts) o.max_depth = -1;
    if (o.precision < 0 || o.precision > 30) {
        cml_fail(CML_ERR_ARG, "export_dot: precision must be in [0, 30], got %d", o.precision);
        return NULL;
    }
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "digraph Tree {\nnode [shape=box, fontname=\"helvetica\"] ;\n"
                     "edge [fontname=\"helvetica\"] ;\n");
    dot_rec(&sb, t, &o, 0, -1, 0);
    cml_sb_puts(&sb, "}");
    char *s = cml_sb_finish(&sb);
    if (!s) cml_fail(CML_ERR_NOMEM, "export_dot: out of memory");
    return s;
}

/* ---------------------------------------------------------------- drawing */

typedef struct draw_ctx {
    const cml_tree *t;
    const cml_tree_export_opts *o;
    tdraw_node *dn;
    int64_t n;
    double lo, hi; /* regression value range, for colours */
    cml_status st;
} draw_ctx;

/* Appends node (and, within max_depth, its subtree) in pre-order; returns
 * its drawing index. */
static int32_t draw_rec(draw_ctx *c, int64_t node, int64_t depth)
{
    const cml_dtree *d = c->t->t;
    const cml_tnode *nd = &d->nodes[node];
    const int32_t me = (int32_t)c->n++;
    tdraw_node *dn = &c->dn[me];
    dn->left = dn->right = -1;
    if (c->o->max_depth >= 0 && depth > c->o->max_depth) {
        dn->label = strdup("(...)");
        dn->rgb[0] = dn->rgb[1] = dn->rgb[2] = 0.94;
        if (!dn->label) c->st = CML_ERR_NOMEM;
        return me;
    }
    cml_sb sb;
    cml_sb_init(&sb);
    node_label(&sb, c->t, c->o, node, "\n");
    dn->label = cml_sb_finish(&sb);
    if (!dn->label) c->st = CML_ERR_NOMEM;
    const double *v = d->value + node * d->stride;
    if (c->t->classifier)
        tdraw_class_color(v, d->stride, dn->rgb);
    else
        tdraw_value_color(v[0], c->lo, c->hi, dn->rgb);
    if (nd->left >= 0) {
        dn->edge_lbl[0] = "True";
        dn->edge_lbl[1] = "False";
        const int32_t l = draw_rec(c, nd->left, depth + 1);
        const int32_t r = draw_rec(c, nd->right, depth + 1);
        c->dn[me].left = l;
        c->dn[me].right = r;
    }
    return me;
}

cml_status cml_tree_export_image(const cml_tree *t, const cml_tree_export_opts *opts,
                                 const char *path, const char *title)
{
    cml_tree_export_opts o = opts ? *opts : cml_tree_export_opts_default();
    if (!opts) o.max_depth = -1;
    if (o.precision < 0 || o.precision > 30)
        return cml_fail(CML_ERR_ARG, "export_image: precision must be in [0, 30], got %d",
                        o.precision);
    const cml_dtree *d = t->t;
    /* Class names default to the class values, so boxes always say which
     * class wins (plot_tree needs class_names for that). */
    char(*cls)[32] = NULL;
    const char **cls_ptr = NULL;
    draw_ctx c = {t, &o, NULL, 0, 0, 0, CML_OK};
    if (t->classifier && !o.class_names) {
        cls = malloc((size_t)t->n_classes * sizeof *cls);
        cls_ptr = malloc((size_t)t->n_classes * sizeof *cls_ptr);
        if (!cls || !cls_ptr) {
            c.st = CML_ERR_NOMEM;
            goto done;
        }
        for (int64_t k = 0; k < t->n_classes; k++) {
            py_repr(t->classes[k], cls[k], sizeof cls[k]);
            /* integral class values read better without ".0" */
            size_t L = strlen(cls[k]);
            if (L > 2 && !strcmp(cls[k] + L - 2, ".0")) cls[k][L - 2] = 0;
            cls_ptr[k] = cls[k];
        }
        o.class_names = cls_ptr;
    }
    c.dn = cml_calloc((size_t)d->n_nodes, sizeof *c.dn);
    if (!c.dn) {
        c.st = CML_ERR_NOMEM;
        goto done;
    }
    c.lo = INFINITY;
    c.hi = -INFINITY;
    for (int64_t i = 0; i < d->n_nodes && !t->classifier; i++) {
        c.lo = fmin(c.lo, d->value[i * d->stride]);
        c.hi = fmax(c.hi, d->value[i * d->stride]);
    }
    draw_rec(&c, 0, 0);
    if (c.st == CML_OK) c.st = tdraw_render(c.dn, c.n, title, path);
done:
    if (c.dn)
        for (int64_t i = 0; i < c.n; i++)
            free(c.dn[i].label);
    free(c.dn);
    free(cls);
    free(cls_ptr);
    return c.st;
}
