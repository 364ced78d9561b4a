/*
 * plot.c — scatter, line and grid charts with cairo (see cml/plot.h).
 *
 * Layout: each panel is PANEL_W x PANEL_H with fixed margins for the title,
 * tick labels and axis labels; data limits are padded by 5%; ticks are
 * Heckbert's "nice numbers" (Graphics Gems I, 1990: steps of 1, 2 or 5 x
 * 10^k, five to eight per axis). A legend column is added on the right when
 * there are labels or named series. Text uses cairo's toy API with the
 * "sans-serif" face (fontconfig picks e.g. DejaVu Sans).
 *
 * Output: PNG through an image surface written at the end; SVG through
 * cairo's SVG surface into memory, written at the end with a <title>
 * element added; PDF through cairo's PDF surface with the title as
 * metadata. Write errors surface as the cairo status of the surface (or of
 * the file) and become CML_ERR_IO.
 *
 * Cost: O(points) drawing. Thread-safety: no shared state.
 */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "cml/plot.h"
#include "core/internal.h"

#define PANEL_W    800.0
#define PANEL_H    600.0
#define LEGEND_W   180.0
#define SUPTITLE_H 56.0
#define MARGIN_L   84.0
#define MARGIN_R   28.0
#define MARGIN_T   58.0
#define MARGIN_B   68.0
#define PI         3.14159265358979323846

typedef enum { FMT_PNG = 0, FMT_SVG, FMT_PDF } plot_format;

typedef struct rgb {
    double r, g, b;
} rgb;

#define HEX(h)                                                                                     \
    {                                                                                              \
        ((h) >> 16 & 255) / 255.0, ((h) >> 8 & 255) / 255.0, ((h)&255) / 255.0                     \
    }
/* Okabe & Ito 2008, ordered so the first colours are the most distinct on
 * white (yellow, the weakest, comes late). */
static const rgb okabe_ito[8] = {HEX(0x0072B2), HEX(0xE69F00), HEX(0x009E73), HEX(0xD55E00),
                                 HEX(0xCC79A7), HEX(0x56B4E9), HEX(0xF0E442), HEX(0x000000)};
/* matplotlib's tab10 (Vega category10). */
static const rgb tab10[10] = {HEX(0x1f77b4), HEX(0xff7f0e), HEX(0x2ca02c), HEX(0xd62728),
                              HEX(0x9467bd), HEX(0x8c564b), HEX(0xe377c2), HEX(0x7f7f7f),
                              HEX(0xbcbd22), HEX(0x17becf)};
static const rgb noise_grey = HEX(0xa0a0a0);
static const rgb single = HEX(0x0072B2);
#undef HEX

/* ---------------------------------------------------------------- canvas */

typedef struct canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    plot_format fmt;
    const char *path;
    const char *title; /* SVG <title>, PDF metadata; may be NULL */
    /* SVG: cairo writes into this buffer; the file is written at close */
    unsigned char *buf;
    size_t len, cap;
    int oom;
} canvas;

static cairo_status_t svg_sink(void *closure, const unsigned char *data, unsigned int length)
{
    canvas *c = closure;
    if (c->len + length > c->cap) {
        size_t cap = c->cap ? c->cap : 65536;
        while (cap < c->len + length)
            cap *= 2;
        unsigned char *nb = realloc(c->buf, cap);
        if (!nb) {
            c->oom = 1;
            return CAIRO_STATUS_NO_MEMORY;
        }
        c->buf = nb;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, length);
    c->len += length;
    return CAIRO_STATUS_SUCCESS;
}

/* Writes the SVG with a <title> element (the accessible name of the image,
 * and what a search for the title finds: cairo draws text as glyph
 * outlines) right after the opening <svg ...> tag. */
static cml_status svg_write(const canvas *c)
{
    FILE *f = fopen(c->path, "wb");
    if (!f) return cml_fail(CML_ERR_IO, "plot: cannot write %s", c->path);
    const unsigned char *end = c->buf + c->len;
    const unsigned char *svg = NULL, *gt = NULL;
    for (const unsigned char *q = c->buf; q + 4 <= end; q++)
        if (memcmp(q, "<svg", 4) == 0) {
            svg = q;
            break;
        }
    if (svg)
        for (const unsigned char *q = svg; q < end; q++)
            if (*q == '>') {
                gt = q + 1;
                break;
            }
    int ok = 1;
    if (gt && c->title && *c->title) {
        ok &= fwrite(c->buf, 1, (size_t)(gt - c->buf), f) == (size_t)(gt - c->buf);
        fputs("\n<title>", f);
        for (const char *t = c->title; *t; t++) {
            if (*t == '&')
                fputs("&amp;", f);
            else if (*t == '<')
                fputs("&lt;", f);
            else if (*t == '>')
                fputs("&gt;", f);
            else
                fputc(*t, f);
        }
        fputs("</title>", f);
        ok &= fwrite(gt, 1, (size_t)(end - gt), f) == (size_t)(end - gt);
    } else {
        ok &= fwrite(c->buf, 1, c->len, f) == c->len;
    }
    ok &= fclose(f) == 0;
    return ok ? CML_OK : cml_fail(CML_ERR_IO, "plot: cannot write %s", c->path);
}

static cml_status format_of(const char *path, plot_format *fmt)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && strcasecmp(dot, ".png") == 0)
        *fmt = FMT_PNG;
    else if (dot && strcasecmp(dot, ".svg") == 0)
        *fmt = FMT_SVG;
    else if (dot && strcasecmp(dot, ".pdf") == 0)
        *fmt = FMT_PDF;
    else
        return cml_fail(CML_ERR_ARG,
                        "plot: cannot tell the format of '%s' (HINT: end the file "
                        "name with .png, .svg or .pdf)",
                        path ? path : "(null)");
    return CML_OK;
}

static cml_status canvas_open(canvas *c, const char *path, double w, double h, const char *title)
{
    memset(c, 0, sizeof *c);
    CML_CHECK(format_of(path, &c->fmt));
    c->path = path;
    c->title = title;
    if (c->fmt == FMT_PNG) {
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)ceil(w), (int)ceil(h));
    } else if (c->fmt == FMT_SVG) {
        c->surface = cairo_svg_surface_create_for_stream(svg_sink, c, w, h);
    } else {
        c->surface = cairo_pdf_surface_create(path, w, h);
        if (title && *title && cairo_surface_status(c->surface) == CAIRO_STATUS_SUCCESS)
            cairo_pdf_surface_set_metadata(c->surface, CAIRO_PDF_METADATA_TITLE, title);
    }
    cairo_status_t cs = cairo_surface_status(c->surface);
    if (cs != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(c->surface);
        c->surface = NULL;
        return cml_fail(cs == CAIRO_STATUS_NO_MEMORY ? CML_ERR_NOMEM : CML_ERR_IO,
                        "plot: cannot create %s: %s", path, cairo_status_to_string(cs));
    }
    c->cr = cairo_create(c->surface);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    cairo_select_font_face(c->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    return CML_OK;
}

/* Writes (PNG) or finishes (SVG/PDF) and releases; on error the message
 * names the file. */
static cml_status canvas_close(canvas *c)
{
    if (!c->surface) return CML_OK;
    cairo_status_t cs = cairo_status(c->cr);
    cairo_destroy(c->cr);
    if (cs == CAIRO_STATUS_SUCCESS) {
        if (c->fmt == FMT_PNG)
            cs = cairo_surface_write_to_png(c->surface, c->path);
        else {
            cairo_surface_finish(c->surface);
            cs = cairo_surface_status(c->surface);
        }
    } else if (c->fmt != FMT_PNG) {
        cairo_surface_finish(c->surface);
    }
    cairo_surface_destroy(c->surface);
    c->surface = NULL;
    cml_status st = CML_OK;
    if (cs != CAIRO_STATUS_SUCCESS || c->oom)
        st = cml_fail(cs == CAIRO_STATUS_NO_MEMORY || c->oom ? CML_ERR_NOMEM : CML_ERR_IO,
                      "plot: cannot write %s: %s", c->path,
                      c->oom ? "out of memory" : cairo_status_to_string(cs));
    else if (c->fmt == FMT_SVG)
        st = svg_write(c);
    free(c->buf);
    c->buf = NULL;
    return st;
}

/* ---------------------------------------------------------------- text */

/* Draws s with its anchor point (fractions ax, ay of its extent: 0 = left /
 * top, 0.5 = centre, 1 = right / bottom) at (x, y). */
static void text(cairo_t *cr, double x, double y, const char *s, double size, int bold, double ax,
                 double ay)
{
    if (!s || !*s) return;
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    cairo_text_extents(cr, s, &te);
    cairo_font_extents(cr, &fe);
    /* Vertical anchoring by the font's ascent/descent, so labels of one row
     * line up whatever their letters. */
    double h = fe.ascent + fe.descent;
    cairo_move_to(cr, x - te.x_advance * ax, y - h * ay + fe.ascent);
    cairo_show_text(cr, s);
}

/* ---------------------------------------------------------------- ticks */

static double nice_num(double x, int round_it)
{
    double e = floor(log10(x)), f = x / pow(10.0, e), nf;
    if (round_it)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10.0, e);
}

typedef struct axis {
    double lo, hi; /* data limits shown */
    double step;   /* tick spacing */
    double first;  /* first tick >= lo */
    int n_ticks;
    int decimals; /* for tick labels; -1: %g */
} axis;

/* Limits padded by 5% and nice ticks inside them. */
static void axis_make(axis *a, double mn, double mx)
{
    if (!(mx > mn)) {
        double d = fabs(mn) > 0 ? 0.1 * fabs(mn) : 0.5;
        mn -= d;
        mx += d;
    }
    double pad = 0.05 * (mx - mn);
    a->lo = mn - pad;
    a->hi = mx + pad;
    a->step = nice_num((a->hi - a->lo) / 6.0, 1);
    a->first = ceil(a->lo / a->step) * a->step;
    a->n_ticks = (int)floor((a->hi - a->first) / a->step + 1e-9) + 1;
    if (a->n_ticks > 20) a->n_ticks = 20;
    double big = fmax(fabs(a->lo), fabs(a->hi));
    a->decimals = (big >= 1e6 || a->step < 1e-4) ? -1 : (int)CML_MAX(0.0, -floor(log10(a->step)));
}

static void tick_label(const axis *a, double v, char *buf, size_t len)
{
    if (fabs(v) < a->step * 1e-9) v = 0.0; /* no "-0" */
    if (a->decimals < 0)
        snprintf(buf, len, "%g", v);
    else
        snprintf(buf, len, "%.*f", a->decimals, v);
}

/* ---------------------------------------------------------------- frame */

typedef struct frame {
    double l, r, t, b; /* plot area in device units */
    axis ax, ay;
} frame;

static double px(const frame *f, double x)
{
    return f->l + (x - f->ax.lo) / (f->ax.hi - f->ax.lo) * (f->r - f->l);
}

static double py(const frame *f, double y)
{
    return f->b - (y - f->ay.lo) / (f->ay.hi - f->ay.lo) * (f->b - f->t);
}

/* Panel at (x0, y0) of PANEL_W x PANEL_H: grid, frame, ticks, labels. */
static void draw_frame(cairo_t *cr, frame *f, double x0, double y0, const char *title,
                       const char *xlabel, const char *ylabel)
{
    f->l = x0 + MARGIN_L;
    f->r = x0 + PANEL_W - MARGIN_R;
    f->t = y0 + MARGIN_T;
    f->b = y0 + PANEL_H - MARGIN_B;
    char buf[64];
    cairo_set_line_width(cr, 1.0);
    /* grid lines */
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    for (int t = 0; t < f->ax.n_ticks; t++) {
        double x = round(px(f, f->ax.first + t * f->ax.step)) + 0.5;
        cairo_move_to(cr, x, f->t);
        cairo_line_to(cr, x, f->b);
    }
    for (int t = 0; t < f->ay.n_ticks; t++) {
        double y = round(py(f, f->ay.first + t * f->ay.step)) + 0.5;
        cairo_move_to(cr, f->l, y);
        cairo_line_to(cr, f->r, y);
    }
    cairo_stroke(cr);
    /* frame, ticks, tick labels */
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    cairo_rectangle(cr, round(f->l) + 0.5, round(f->t) + 0.5, round(f->r - f->l),
                    round(f->b - f->t));
    cairo_stroke(cr);
    for (int t = 0; t < f->ax.n_ticks; t++) {
        double v = f->ax.first + t * f->ax.step, x = round(px(f, v)) + 0.5;
        cairo_move_to(cr, x, f->b);
        cairo_line_to(cr, x, f->b + 5);
        cairo_stroke(cr);
        tick_label(&f->ax, v, buf, sizeof buf);
        text(cr, x, f->b + 8, buf, 12, 0, 0.5, 0.0);
    }
    for (int t = 0; t < f->ay.n_ticks; t++) {
        double v = f->ay.first + t * f->ay.step, y = round(py(f, v)) + 0.5;
        cairo_move_to(cr, f->l - 5, y);
        cairo_line_to(cr, f->l, y);
        cairo_stroke(cr);
        tick_label(&f->ay, v, buf, sizeof buf);
        text(cr, f->l - 8, y, buf, 12, 0, 1.0, 0.5);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text(cr, 0.5 * (f->l + f->r), y0 + 0.5 * MARGIN_T, title, 18, 1, 0.5, 0.5);
    text(cr, 0.5 * (f->l + f->r), f->b + 34, xlabel, 14, 0, 0.5, 0.0);
    if (ylabel && *ylabel) {
        cairo_save(cr);
        cairo_translate(cr, x0 + 22, 0.5 * (f->t + f->b));
        cairo_rotate(cr, -PI / 2);
        text(cr, 0, 0, ylabel, 14, 0, 0.5, 0.5);
        cairo_restore(cr);
    }
}

static void clip_to(cairo_t *cr, const frame *f)
{
    cairo_save(cr);
    cairo_rectangle(cr, f->l, f->t, f->r - f->l, f->b - f->t);
    cairo_clip(cr);
}

/* ---------------------------------------------------------------- styles */

/* The distinct label values, ascending, of all panels. */
typedef struct classes {
    int64_t *values;
    int64_t n;
} classes;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static cml_status classes_make(classes *c, const cml_plot_panel *p, int n_panels)
{
    int64_t total = 0;
    c->values = NULL;
    c->n = 0;
    for (int k = 0; k < n_panels; k++)
        if (p[k].labels) total += p[k].n;
    if (total == 0) return CML_OK;
    c->values = cml_alloc_array(total, sizeof(int64_t));
    if (!c->values) return CML_ERR_NOMEM;
    int64_t w = 0;
    for (int k = 0; k < n_panels; k++)
        if (p[k].labels) {
            memcpy(c->values + w, p[k].labels, sizeof(int64_t) * (size_t)p[k].n);
            w += p[k].n;
        }
    qsort(c->values, (size_t)total, sizeof(int64_t), cmp_i64);
    int64_t u = 0;
    for (int64_t i = 0; i < total; i++)
        if (i == 0 || c->values[i] != c->values[u - 1]) c->values[u++] = c->values[i];
    c->n = u;
    return CML_OK;
}

static int64_t class_index(const classes *c, int64_t v)
{
    int64_t lo = 0, hi = c->n - 1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        if (c->values[mid] == v) return mid;
        if (c->values[mid] < v)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Colour and marker (0 circle, 1 square, 2 triangle) of style slot s out of
 * n_styles; value -1 is DBSCAN's noise. */
static void style_of(int64_t s, int64_t n_styles, int64_t value, rgb *col, int *marker)
{
    *marker = 0;
    if (value == -1) {
        *col = noise_grey;
        return;
    }
    if (n_styles <= 8) {
        *col = okabe_ito[s];
    } else {
        *col = tab10[s % 10];
        *marker = (int)((s / 10) % 3);
    }
}

static void mark(cairo_t *cr, double x, double y, double r, int marker)
{
    if (marker == 1) {
        cairo_rectangle(cr, x - 0.9 * r, y - 0.9 * r, 1.8 * r, 1.8 * r);
    } else if (marker == 2) {
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.05 * r, y + 0.7 * r);
        cairo_line_to(cr, x - 1.05 * r, y + 0.7 * r);
        cairo_close_path(cr);
    } else {
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * PI);
    }
}

static const char *class_name(const char *const *names, int64_t v, char *buf, size_t len)
{
    if (v == -1) {
        snprintf(buf, len, "noise (-1)");
        return buf;
    }
    if (names && v >= 0) {
        int64_t k = 0;
        while (names[k] && k < v)
            k++;
        if (k == v && names[k]) return names[k];
    }
    snprintf(buf, len, "%lld", (long long)v);
    return buf;
}

/* Legend column at x0 from y0: one entry per style, as many as fit. */
static void draw_legend(cairo_t *cr, double x0, double y0, double bottom, int64_t n,
                        const char *const *names, const classes *cls, int lines, int n_lines)
{
    const double row = 22.0;
    char buf[64];
    int64_t fit = (int64_t)((bottom - y0) / row);
    int64_t shown = n <= fit ? n : CML_MAX(fit - 1, 0);
    for (int64_t s = 0; s < shown; s++) {
        double y = y0 + (double)s * row + row / 2;
        rgb col;
        int marker;
        int64_t v = cls ? cls->values[s] : s;
        style_of(s, cls ? cls->n : n_lines, cls ? v : 0, &col, &marker);
        cairo_set_source_rgb(cr, col.r, col.g, col.b);
        if (lines) {
            cairo_set_line_width(cr, 2.5);
            cairo_move_to(cr, x0, y);
            cairo_line_to(cr, x0 + 26, y);
            cairo_stroke(cr);
        } else {
            mark(cr, x0 + 13, y, 6.0, marker);
            cairo_fill(cr);
        }
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        const char *label =
            cls ? class_name(names, v, buf, sizeof buf) : (names && names[s] ? names[s] : "");
        text(cr, x0 + 34, y, label, 13, 0, 0.0, 0.5);
    }
    if (shown < n) {
        snprintf(buf, sizeof buf, "... %lld more", (long long)(n - shown));
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        text(cr, x0 + 34, y0 + (double)shown * row + row / 2, buf, 13, 0, 0.0, 0.5);
    }
}

/* ---------------------------------------------------------------- scatter */

static cml_status finite_range(const double *v, int64_t n, double *mn, double *mx)
{
    *mn = INFINITY;
    *mx = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            *mn = fmin(*mn, v[i]);
            *mx = fmax(*mx, v[i]);
        }
    return *mn <= *mx ? CML_OK : CML_ERR_ARG;
}

static void draw_scatter_panel(cairo_t *cr, double x0, double y0, const cml_plot_panel *p,
                               const classes *cls)
{
    frame f;
    double xmn, xmx, ymn, ymx;
    int64_t n = p->n;
    /* Only points finite in both coordinates set the limits. */
    xmn = ymn = INFINITY;
    xmx = ymx = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(p->x[i]) && isfinite(p->y[i])) {
            xmn = fmin(xmn, p->x[i]);
            xmx = fmax(xmx, p->x[i]);
            ymn = fmin(ymn, p->y[i]);
            ymx = fmax(ymx, p->y[i]);
        }
    axis_make(&f.ax, xmn, xmx);
    axis_make(&f.ay, ymn, ymx);
    draw_frame(cr, &f, x0, y0, p->title, p->xlabel, p->ylabel);
    double r = n > 20000 ? 1.4 : n > 5000 ? 2.0 : n > 1000 ? 2.8 : n > 200 ? 3.6 : 4.5;
    clip_to(cr, &f);
    if (!p->labels || !cls || cls->n == 0) {
        cairo_set_source_rgba(cr, single.r, single.g, single.b, 0.75);
        for (int64_t i = 0; i < n; i++)
            if (isfinite(p->x[i]) && isfinite(p->y[i]))
                mark(cr, px(&f, p->x[i]), py(&f, p->y[i]), r, 0);
        cairo_fill(cr);
    } else if (cls->n > 32) {
        /* Many classes: one lookup per point rather than a pass per class. */
        for (int64_t i = 0; i < n; i++) {
            if (!isfinite(p->x[i]) || !isfinite(p->y[i])) continue;
            int64_t s = class_index(cls, p->labels[i]);
            rgb col;
            int marker;
            style_of(s, cls->n, p->labels[i], &col, &marker);
            cairo_set_source_rgba(cr, col.r, col.g, col.b, 0.75);
            mark(cr, px(&f, p->x[i]), py(&f, p->y[i]), r, marker);
            cairo_fill(cr);
        }
    } else {
        /* One path per class keeps SVG files small; classes are drawn in
         * ascending order. */
        for (int64_t s = 0; s < cls->n; s++) {
            rgb col;
            int marker;
            style_of(s, cls->n, cls->values[s], &col, &marker);
            cairo_set_source_rgba(cr, col.r, col.g, col.b, 0.75);
            for (int64_t i = 0; i < n; i++)
                if (p->labels[i] == cls->values[s] && isfinite(p->x[i]) && isfinite(p->y[i]))
                    mark(cr, px(&f, p->x[i]), py(&f, p->y[i]), r, marker);
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
}

static cml_status check_panel(const cml_plot_panel *p, int k)
{
    double a, b;
    if (!p->x || !p->y || p->n < 1)
        return cml_fail(CML_ERR_ARG, "plot: panel %d has no points (n = %lld)", k, (long long)p->n);
    if (finite_range(p->x, p->n, &a, &b) != CML_OK || finite_range(p->y, p->n, &a, &b) != CML_OK)
        return cml_fail(CML_ERR_ARG, "plot: panel %d has no finite point", k);
    for (int64_t i = 0; i < p->n; i++)
        if (isfinite(p->x[i]) && isfinite(p->y[i])) return CML_OK;
    return cml_fail(CML_ERR_ARG, "plot: panel %d has no point finite in both x and y", k);
}

cml_status cml_plot_grid(const char *path, const cml_plot_panel *panels, int n_panels, int n_cols,
                         const char *const *label_names, const char *title)
{
    if (!panels || n_panels < 1)
        return cml_fail(CML_ERR_ARG, "plot: n_panels must be >= 1, got %d", n_panels);
    plot_format fmt;
    CML_CHECK(format_of(path, &fmt));
    for (int k = 0; k < n_panels; k++)
        CML_CHECK(check_panel(&panels[k], k));
    if (n_cols <= 0 || n_cols > n_panels) n_cols = n_panels;
    int n_rows = (n_panels + n_cols - 1) / n_cols;
    classes cls;
    CML_CHECK(classes_make(&cls, panels, n_panels));
    double top = title && *title ? SUPTITLE_H : 0.0;
    double W = n_cols * PANEL_W + (cls.n > 0 ? LEGEND_W : 0.0), H = n_rows * PANEL_H + top;
    canvas c;
    cml_status st = canvas_open(&c, path, W, H, title && *title ? title : panels[0].title);
    if (st != CML_OK) {
        free(cls.values);
        return st;
    }
    cairo_t *cr = c.cr;
    if (top > 0) {
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        text(cr, 0.5 * n_cols * PANEL_W, 0.55 * SUPTITLE_H, title, 22, 1, 0.5, 0.5);
    }
    for (int k = 0; k < n_panels; k++)
        draw_scatter_panel(cr, (k % n_cols) * PANEL_W, top + (k / n_cols) * PANEL_H, &panels[k],
                           &cls);
    if (cls.n > 0)
        draw_legend(cr, n_cols * PANEL_W + 6, top + MARGIN_T, H - 20, cls.n, label_names, &cls, 0,
                    0);
    st = canvas_close(&c);
    free(cls.values);
    return st;
}

cml_status cml_plot_scatter(const char *path, const double *x, const double *y, int64_t n,
                            const int64_t *labels, const char *const *label_names,
                            const char *title, const char *xlabel, const char *ylabel)
{
    cml_plot_panel p = {x, y, n, labels, title, xlabel, ylabel};
    return cml_plot_grid(path, &p, 1, 1, label_names, NULL);
}

/* ---------------------------------------------------------------- lines */

cml_status cml_plot_lines(const char *path, const double *xs, const double *ys, int n_series,
                          int64_t n, const char *const *series_names, const char *title,
                          const char *xlabel, const char *ylabel)
{
    if (!ys || n_series < 1 || n < 1)
        return cml_fail(CML_ERR_ARG, "plot: lines need n_series >= 1 and n >= 1 (got %d, %lld)",
                        n_series, (long long)n);
    plot_format fmt;
    CML_CHECK(format_of(path, &fmt));
    double xmn = 0, xmx = (double)(n - 1), ymn, ymx;
    if (xs && finite_range(xs, n, &xmn, &xmx) != CML_OK)
        return cml_fail(CML_ERR_ARG, "plot: no finite x value");
    if (finite_range(ys, (int64_t)n_series * n, &ymn, &ymx) != CML_OK)
        return cml_fail(CML_ERR_ARG, "plot: no finite y value");
    int legend = series_names != NULL;
    canvas c;
    CML_CHECK(canvas_open(&c, path, PANEL_W + (legend ? LEGEND_W : 0.0), PANEL_H, title));
    cairo_t *cr = c.cr;
    frame f;
    axis_make(&f.ax, xmn, xmx);
    axis_make(&f.ay, ymn, ymx);
    draw_frame(cr, &f, 0, 0, title, xlabel, ylabel);
    clip_to(cr, &f);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (int s = 0; s < n_series; s++) {
        const double *yv = ys + (int64_t)s * n;
        rgb col;
        int marker;
        style_of(s, n_series, 0, &col, &marker);
        cairo_set_source_rgb(cr, col.r, col.g, col.b);
        cairo_set_line_width(cr, 2.2);
        int pen = 0;
        for (int64_t i = 0; i < n; i++) {
            double xv = xs ? xs[i] : (double)i;
            if (!isfinite(xv) || !isfinite(yv[i])) {
                pen = 0;
                continue;
            }
            if (pen)
                cairo_line_to(cr, px(&f, xv), py(&f, yv[i]));
            else
                cairo_move_to(cr, px(&f, xv), py(&f, yv[i]));
            pen = 1;
        }
        cairo_stroke(cr);
        if (n <= 40) {
            for (int64_t i = 0; i < n; i++) {
                double xv = xs ? xs[i] : (double)i;
                if (isfinite(xv) && isfinite(yv[i]))
                    mark(cr, px(&f, xv), py(&f, yv[i]), 3.5, marker);
            }
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
    if (legend)
        draw_legend(cr, PANEL_W + 6, MARGIN_T, PANEL_H - 20, n_series, series_names, NULL, 1,
                    n_series);
    return canvas_close(&c);
}
