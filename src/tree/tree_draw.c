/*
 * tree_draw.c — a binary tree of labelled boxes drawn with cairo (see
 * tree_draw.h): the picture of scikit-learn's plot_tree, as PNG or SVG.
 *
 * Layout (a simple tidy layout, Reingold-Tilford without contour
 * compaction): post-order, a subtree's width is max(own box, left subtree +
 * gap + right subtree); children sit side by side under their parent, which
 * is centred over their centres. Row height per depth = its tallest box.
 * Text is measured with cairo on a scratch surface first, so the picture is
 * sized before drawing. Complexity O(nodes). Thread-safety: no shared
 * state (cairo surfaces are per call).
 */
#include <cairo-svg.h>
#include <cairo.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "tree/tree_draw.h"

#define FONT_SIZE   13.0
#define TITLE_SIZE  16.0
#define PAD         8.0  /* inside a box */
#define HGAP        18.0 /* between sibling subtrees */
#define VGAP        56.0 /* between rows (room for edge labels) */
#define MARGIN      20.0
#define CML_PI      3.14159265358979323846
#define MAX_SIDE_PX 32767.0
#define MAX_PIXELS  200e6

typedef struct box {
    double w, h;   /* box size */
    double sw;     /* subtree width */
    double cx, y;  /* centre x, top y */
    int32_t depth; /* root 0 */
} box;

/* Width of the widest line and the number of lines of a label. */
static void measure(cairo_t *cr, const char *label, double *w, int *lines)
{
    char buf[512];
    *w = 0;
    *lines = 0;
    const char *s = label ? label : "";
    for (;;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len >= sizeof buf) len = sizeof buf - 1;
        memcpy(buf, s, len);
        buf[len] = 0;
        cairo_text_extents_t te;
        cairo_text_extents(cr, buf, &te);
        *w = fmax(*w, te.x_advance);
        (*lines)++;
        if (!e) break;
        s = e + 1;
    }
}

/* Post-order subtree widths; depth via the parent. Iterative over an
 * explicit stack so that deep trees cannot overflow the C stack. */
static cml_status layout_widths(const tdraw_node *nodes, int64_t n, box *b)
{
    int32_t *stack = cml_alloc_array(2 * n + 2, sizeof *stack);
    if (!stack) return CML_ERR_NOMEM;
    int64_t sp = 0;
    stack[sp++] = 0;
    stack[sp++] = 0; /* (node, state): 0 = enter, 1 = children done */
    b[0].depth = 0;
    while (sp > 0) {
        const int32_t state = stack[--sp], i = stack[--sp];
        const tdraw_node *nd = &nodes[i];
        if (state == 0 && (nd->left >= 0 || nd->right >= 0)) {
            stack[sp++] = i;
            stack[sp++] = 1;
            for (int c = 0; c < 2; c++) {
                int32_t ch = c ? nd->right : nd->left;
                if (ch < 0) continue;
                b[ch].depth = b[i].depth + 1;
                stack[sp++] = ch;
                stack[sp++] = 0;
            }
            continue;
        }
        double cw = 0;
        int nc = 0;
        if (nd->left >= 0) cw += b[nd->left].sw, nc++;
        if (nd->right >= 0) cw += b[nd->right].sw, nc++;
        if (nc == 2) cw += HGAP;
        b[i].sw = fmax(b[i].w, cw);
    }
    free(stack);
    return CML_OK;
}

/* Pre-order positions: the subtree of i occupies [x0, x0 + sw). */
static void layout_place(const tdraw_node *nodes, box *b, int32_t i, double x0, const double *row_y)
{
    const tdraw_node *nd = &nodes[i];
    b[i].y = row_y[b[i].depth];
    if (nd->left < 0 && nd->right < 0) {
        b[i].cx = x0 + b[i].sw / 2;
        return;
    }
    double cw = (nd->left >= 0 ? b[nd->left].sw : 0) + (nd->right >= 0 ? b[nd->right].sw : 0) +
                (nd->left >= 0 && nd->right >= 0 ? HGAP : 0);
    double x = x0 + (b[i].sw - cw) / 2, sum = 0;
    int nc = 0;
    for (int c = 0; c < 2; c++) {
        int32_t ch = c ? nd->right : nd->left;
        if (ch < 0) continue;
        layout_place(nodes, b, ch, x, row_y);
        sum += b[ch].cx;
        nc++;
        x += b[ch].sw + HGAP;
    }
    b[i].cx = sum / nc;
}

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -CML_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, CML_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, CML_PI / 2, CML_PI);
    cairo_arc(cr, x + r, y + r, r, CML_PI, 3 * CML_PI / 2);
    cairo_close_path(cr);
}

static void draw_label(cairo_t *cr, const char *label, double cx, double y, double line_h,
                       double ascent)
{
    char buf[512];
    const char *s = label ? label : "";
    int k = 0;
    for (;;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len >= sizeof buf) len = sizeof buf - 1;
        memcpy(buf, s, len);
        buf[len] = 0;
        cairo_text_extents_t te;
        cairo_text_extents(cr, buf, &te);
        cairo_move_to(cr, cx - te.x_advance / 2, y + k * line_h + ascent);
        cairo_show_text(cr, buf);
        k++;
        if (!e) break;
        s = e + 1;
    }
}

static int has_ext(const char *path, const char *ext)
{
    size_t a = strlen(path), b = strlen(ext);
    if (a < b) return 0;
    for (size_t i = 0; i < b; i++)
        if (tolower((unsigned char)path[a - b + i]) != ext[i]) return 0;
    return 1;
}

cml_status tdraw_render(const tdraw_node *nodes, int64_t n, const char *title, const char *path)
{
    const int svg = has_ext(path, ".svg");
    if (!svg && !has_ext(path, ".png"))
        return cml_fail(CML_ERR_ARG, "tree drawing: %s: the file name must end in .png or .svg",
                        path);
    if (n < 1 || n > INT32_MAX / 2) return cml_fail(CML_ERR_ARG, "tree drawing: bad node count");
    cml_status st = CML_OK;
    box *b = cml_calloc((size_t)n, sizeof *b);
    double *row_h = cml_calloc((size_t)n + 1, sizeof *row_h);
    double *row_y = cml_calloc((size_t)n + 1, sizeof *row_y);
    cairo_surface_t *surf = NULL;
    cairo_t *cr = NULL;
    if (!b || !row_h || !row_y) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    /* Measure on a scratch surface. */
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *mc = cairo_create(scratch);
    cairo_select_font_face(mc, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(mc, FONT_SIZE);
    cairo_font_extents_t fe;
    cairo_font_extents(mc, &fe);
    const double line_h = fe.height, ascent = fe.ascent;
    for (int64_t i = 0; i < n; i++) {
        double w;
        int lines;
        measure(mc, nodes[i].label, &w, &lines);
        b[i].w = w + 2 * PAD;
        b[i].h = lines * line_h + 2 * PAD;
    }
    double title_w = 0;
    if (title) {
        cairo_set_font_size(mc, TITLE_SIZE);
        cairo_text_extents_t te;
        cairo_text_extents(mc, title, &te);
        title_w = te.x_advance;
    }
    cairo_destroy(mc);
    cairo_surface_destroy(scratch);

    st = layout_widths(nodes, n, b);
    if (st != CML_OK) goto done;
    int32_t max_depth = 0;
    for (int64_t i = 0; i < n; i++) {
        max_depth = b[i].depth > max_depth ? b[i].depth : max_depth;
        row_h[b[i].depth] = fmax(row_h[b[i].depth], b[i].h);
    }
    const double top = MARGIN + (title ? TITLE_SIZE * 2 : 0);
    row_y[0] = top;
    for (int32_t d = 1; d <= max_depth; d++)
        row_y[d] = row_y[d - 1] + row_h[d - 1] + VGAP;
    const double W = fmax(b[0].sw, title_w) + 2 * MARGIN;
    const double H = row_y[max_depth] + row_h[max_depth] + MARGIN;
    if (W > MAX_SIDE_PX || H > MAX_SIDE_PX || W * H > MAX_PIXELS) {
        st = cml_fail(CML_ERR_ARG,
                      "tree drawing: %.0f x %.0f px is too large to draw. HINT: limit the depth "
                      "drawn (--max-depth, e.g. 4)",
                      W, H);
        goto done;
    }
    layout_place(nodes, b, 0, (W - b[0].sw) / 2, row_y);

    surf = svg ? cairo_svg_surface_create(path, W, H)
               : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)ceil(W), (int)ceil(H));
    cr = cairo_create(surf);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        st = cml_fail(CML_ERR_IO, "tree drawing: cannot create %s: %s", path,
                      cairo_status_to_string(cairo_status(cr)));
        goto done;
    }
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    if (title) {
        cairo_set_font_size(cr, TITLE_SIZE);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, (W - title_w) / 2, MARGIN + TITLE_SIZE);
        cairo_show_text(cr, title);
    }
    cairo_set_font_size(cr, FONT_SIZE);
    /* Edges first, so boxes cover their ends; labels on a white patch. */
    cairo_set_line_width(cr, 1.2);
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < 2; c++) {
            int32_t ch = c ? nodes[i].right : nodes[i].left;
            if (ch < 0) continue;
            const double x0 = b[i].cx, y0 = b[i].y + b[i].h, x1 = b[ch].cx, y1 = b[ch].y;
            cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
            cairo_move_to(cr, x0, y0);
            cairo_line_to(cr, x1, y1);
            cairo_stroke(cr);
            /* arrow head at the child */
            const double a = atan2(y1 - y0, x1 - x0), L = 8;
            cairo_move_to(cr, x1, y1);
            cairo_line_to(cr, x1 - L * cos(a - 0.35), y1 - L * sin(a - 0.35));
            cairo_line_to(cr, x1 - L * cos(a + 0.35), y1 - L * sin(a + 0.35));
            cairo_close_path(cr);
            cairo_fill(cr);
            const char *el = nodes[i].edge_lbl[c];
            if (el && *el) {
                cairo_text_extents_t te;
                cairo_set_font_size(cr, FONT_SIZE - 2);
                cairo_text_extents(cr, el, &te);
                const double mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
                cairo_set_source_rgb(cr, 1, 1, 1);
                cairo_rectangle(cr, mx - te.x_advance / 2 - 3, my - line_h / 2 - 1,
                                te.x_advance + 6, line_h + 2);
                cairo_fill(cr);
                cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
                cairo_move_to(cr, mx - te.x_advance / 2, my - line_h / 2 + ascent - 1);
                cairo_show_text(cr, el);
                cairo_set_font_size(cr, FONT_SIZE);
            }
        }
    for (int64_t i = 0; i < n; i++) {
        const double x = b[i].cx - b[i].w / 2, y = b[i].y;
        rounded_rect(cr, x, y, b[i].w, b[i].h, 6);
        cairo_set_source_rgb(cr, nodes[i].rgb[0], nodes[i].rgb[1], nodes[i].rgb[2]);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_set_line_width(cr, 1.0);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        draw_label(cr, nodes[i].label, b[i].cx, y + PAD, line_h, ascent);
    }
    cairo_status_t cs = cairo_status(cr);
    if (cs == CAIRO_STATUS_SUCCESS) {
        if (svg) {
            cairo_surface_finish(surf);
            cs = cairo_surface_status(surf);
        } else {
            cs = cairo_surface_write_to_png(surf, path);
        }
    }
    if (cs != CAIRO_STATUS_SUCCESS)
        st = cml_fail(cs == CAIRO_STATUS_NO_MEMORY ? CML_ERR_NOMEM : CML_ERR_IO,
                      "tree drawing: cannot write %s: %s", path, cairo_status_to_string(cs));
done:
    if (cr) cairo_destroy(cr);
    if (surf) cairo_surface_destroy(surf);
    free(b);
    free(row_h);
    free(row_y);
    return st;
}

/* ---------------------------------------------------------------- colours */

/* matplotlib's tab10, as the plots of src/plot use beyond 8 classes. */
static const double PALETTE[10][3] = {
    {0x1f / 255.0, 0x77 / 255.0, 0xb4 / 255.0}, {0xff / 255.0, 0x7f / 255.0, 0x0e / 255.0},
    {0x2c / 255.0, 0xa0 / 255.0, 0x2c / 255.0}, {0xd6 / 255.0, 0x27 / 255.0, 0x28 / 255.0},
    {0x94 / 255.0, 0x67 / 255.0, 0xbd / 255.0}, {0x8c / 255.0, 0x56 / 255.0, 0x4b / 255.0},
    {0xe3 / 255.0, 0x77 / 255.0, 0xc2 / 255.0}, {0x7f / 255.0, 0x7f / 255.0, 0x7f / 255.0},
    {0xbc / 255.0, 0xbd / 255.0, 0x22 / 255.0}, {0x17 / 255.0, 0xbe / 255.0, 0xcf / 255.0}};

static void blend(const double *col, double alpha, double rgb[3])
{
    alpha = fmin(1.0, fmax(0.0, alpha));
    for (int c = 0; c < 3; c++)
        rgb[c] = alpha * col[c] + (1 - alpha) * 1.0;
}

void tdraw_class_color(const double *fr, int64_t k, double rgb[3])
{
    int64_t a = 0;
    for (int64_t c = 1; c < k; c++)
        if (fr[c] > fr[a]) a = c;
    double p1 = fr[a], p2 = 0, s = 0;
    for (int64_t c = 0; c < k; c++) {
        s += fr[c];
        if (c != a) p2 = fmax(p2, fr[c]);
    }
    if (s > 0) {
        p1 /= s;
        p2 /= s;
    }
    /* scikit-learn's get_color: alpha = (p1 - p2) / (1 - p2) */
    blend(PALETTE[a % 10], p2 < 1 ? (p1 - p2) / (1 - p2) : 0.0, rgb);
}

void tdraw_value_color(double v, double lo, double hi, double rgb[3])
{
    static const double orange[3] = {0xe5 / 255.0, 0x81 / 255.0, 0x39 / 255.0};
    blend(orange, hi > lo ? (v - lo) / (hi - lo) : 0.0, rgb);
}
