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

/* Grid, frame, ticks and labels around the plot area already set in f;
 * the y label is centred at x = ylabel_x. An axis with n_ticks = 0 gets no
 * ticks (categorical axes label themselves). */
static void decorate_frame(cairo_t *cr, const frame *f, double ylabel_x, const char *title,
                           const char *xlabel, const char *ylabel)
{
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
    text(cr, 0.5 * (f->l + f->r), f->t - 0.5 * MARGIN_T, title, 18, 1, 0.5, 0.5);
    text(cr, 0.5 * (f->l + f->r), f->b + 34, xlabel, 14, 0, 0.5, 0.0);
    if (ylabel && *ylabel) {
        cairo_save(cr);
        cairo_translate(cr, ylabel_x, 0.5 * (f->t + f->b));
        cairo_rotate(cr, -PI / 2);
        text(cr, 0, 0, ylabel, 14, 0, 0.5, 0.5);
        cairo_restore(cr);
    }
}

/* Panel at (x0, y0) of PANEL_W x PANEL_H with the standard margins. */
static void draw_frame(cairo_t *cr, frame *f, double x0, double y0, const char *title,
                       const char *xlabel, const char *ylabel)
{
    f->l = x0 + MARGIN_L;
    f->r = x0 + PANEL_W - MARGIN_R;
    f->t = y0 + MARGIN_T;
    f->b = y0 + PANEL_H - MARGIN_B;
    decorate_frame(cr, f, x0 + 22, title, xlabel, ylabel);
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

/* ---------------------------------------------------------------- bars */

static double text_width(cairo_t *cr, const char *s, double size)
{
    if (!s || !*s) return 0.0;
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Name of category i: names[i] shortened to LABEL_MAX characters (so one
 * long feature name cannot eat the plot), else the index. */
#define LABEL_MAX 40
static const char *category_name(const char *const *names, int64_t i, char *buf, size_t len)
{
    if (!names || !names[i]) {
        snprintf(buf, len, "%lld", (long long)i);
        return buf;
    }
    size_t l = strlen(names[i]);
    if (l <= LABEL_MAX) return names[i];
    snprintf(buf, len, "%.*s...", LABEL_MAX - 3, names[i]);
    return buf;
}

static double max_name_width(cairo_t *cr, const char *const *names, int64_t n, double size)
{
    char buf[64];
    double w = 0;
    for (int64_t i = 0; i < n; i++)
        w = fmax(w, text_width(cr, category_name(names, i, buf, sizeof buf), size));
    return w;
}

static const rgb bar_pos = {0x00 / 255.0, 0x72 / 255.0, 0xB2 / 255.0};
static const rgb bar_neg = {0xD5 / 255.0, 0x5E / 255.0, 0x00 / 255.0};

cml_status cml_plot_bars(const char *path, const double *values, int64_t n,
                         const char *const *names, int horizontal, const char *title,
                         const char *xlabel, const char *ylabel)
{
    if (!values || n < 1 || n > CML_PLOT_MAX_BARS)
        return cml_fail(CML_ERR_ARG, "plot: bars need 1 <= n <= %d values, got %lld",
                        CML_PLOT_MAX_BARS, (long long)n);
    plot_format fmt;
    CML_CHECK(format_of(path, &fmt));
    double vmn, vmx;
    if (finite_range(values, n, &vmn, &vmx) != CML_OK)
        return cml_fail(CML_ERR_ARG, "plot: bars have no finite value");
    vmn = fmin(vmn, 0.0); /* bars start at zero */
    vmx = fmax(vmx, 0.0);

    /* Measure the category labels on a scratch surface to size the margins. */
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *mc = cairo_create(scratch);
    double lab_w = max_name_width(mc, names, n, 12);
    cairo_destroy(mc);
    cairo_surface_destroy(scratch);

    /* Slot per bar: roomy for few bars, down to 2 units for many; labels
     * only where a slot is tall/wide enough to read them. */
    double slot = n <= 40 ? 24.0 : fmax(2.0, 960.0 / (double)n);
    int show_names = horizontal ? slot >= 10.0 : 1;
    int annotate = n <= 30;
    double W, H, ml, mb;
    int rotate = 0;
    if (horizontal) {
        ml = show_names ? fmin(fmax(MARGIN_L, lab_w + 56), 360.0) : MARGIN_L;
        mb = MARGIN_B;
        W = PANEL_W + (ml - MARGIN_L);
        H = fmax(PANEL_H, MARGIN_T + mb + (double)n * slot);
    } else {
        /* Widen for many bars, but not beyond a screen's width. */
        double plot_w = fmax(PANEL_W - MARGIN_L - MARGIN_R, fmin((double)n * 14.0, 1600.0));
        double col = plot_w / (double)n;
        show_names = col >= 9.0;
        rotate = show_names && lab_w > col - 4;
        ml = MARGIN_L;
        mb = rotate ? fmin(lab_w * 0.72 + 56, 260.0) : MARGIN_B;
        W = MARGIN_L + MARGIN_R + plot_w;
        H = PANEL_H + (mb - MARGIN_B);
    }
    canvas c;
    CML_CHECK(canvas_open(&c, path, W, H, title));
    cairo_t *cr = c.cr;
    frame f;
    f.l = ml;
    f.r = W - MARGIN_R;
    f.t = MARGIN_T;
    f.b = H - mb;
    axis *va = horizontal ? &f.ax : &f.ay, *ca = horizontal ? &f.ay : &f.ax;
    axis_make(va, vmn, vmx);
    /* No padding beyond zero: one-signed bars stand on the frame. */
    if (vmn >= 0) va->lo = 0.0;
    if (vmx <= 0) va->hi = 0.0;
    va->first = ceil(va->lo / va->step - 1e-9) * va->step;
    va->n_ticks = CML_MIN((int)floor((va->hi - va->first) / va->step + 1e-9) + 1, 20);
    /* Categories at 0..n-1; the first is at the top for horizontal bars
     * (reading order), at the left for vertical ones. */
    ca->lo = -0.6;
    ca->hi = (double)n - 0.4;
    ca->n_ticks = 0;
    if (horizontal) {
        ca->lo = -((double)n - 0.4);
        ca->hi = 0.6;
    }
    /* The category axis label sits left of the names (horizontal) or below
     * the rotated names (vertical). */
    decorate_frame(cr, &f, 18, title, horizontal ? xlabel : NULL, ylabel);
    if (!horizontal && xlabel && *xlabel) {
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text(cr, 0.5 * (f.l + f.r), H - 26, xlabel, 14, 0, 0.5, 0.5);
    }
    char buf[64];
    double half = 0.38;
    clip_to(cr, &f);
    for (int64_t i = 0; i < n; i++) {
        double v = values[i];
        if (!isfinite(v)) continue;
        const rgb *col = v < 0 ? &bar_neg : &bar_pos;
        cairo_set_source_rgb(cr, col->r, col->g, col->b);
        double p0, p1, q0, q1; /* value and category extents in device units */
        if (horizontal) {
            p0 = px(&f, 0.0);
            p1 = px(&f, v);
            q0 = py(&f, -(double)i + half);
            q1 = py(&f, -(double)i - half);
            cairo_rectangle(cr, fmin(p0, p1), q0, fabs(p1 - p0), q1 - q0);
        } else {
            p0 = py(&f, 0.0);
            p1 = py(&f, v);
            q0 = px(&f, (double)i - half);
            q1 = px(&f, (double)i + half);
            cairo_rectangle(cr, q0, fmin(p0, p1), q1 - q0, fabs(p1 - p0));
        }
        cairo_fill(cr);
    }
    /* zero line */
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1.2);
    if (horizontal) {
        cairo_move_to(cr, px(&f, 0.0), f.t);
        cairo_line_to(cr, px(&f, 0.0), f.b);
    } else {
        cairo_move_to(cr, f.l, py(&f, 0.0));
        cairo_line_to(cr, f.r, py(&f, 0.0));
    }
    cairo_stroke(cr);
    if (annotate) {
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        for (int64_t i = 0; i < n; i++) {
            double v = values[i];
            if (!isfinite(v)) continue;
            snprintf(buf, sizeof buf, "%.3g", v);
            if (horizontal)
                text(cr, px(&f, v) + (v < 0 ? -4 : 4), py(&f, -(double)i), buf, 11, 0,
                     v < 0 ? 1.0 : 0.0, 0.5);
            else
                text(cr, px(&f, (double)i), py(&f, v) + (v < 0 ? 3 : -3), buf, 11, 0, 0.5,
                     v < 0 ? 0.0 : 1.0);
        }
    }
    cairo_restore(cr);
    if (show_names) {
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        for (int64_t i = 0; i < n; i++) {
            const char *s = category_name(names, i, buf, sizeof buf);
            if (horizontal) {
                text(cr, f.l - 8, py(&f, -(double)i), s, fmin(12, slot - 2), 0, 1.0, 0.5);
            } else if (rotate) {
                cairo_save(cr);
                cairo_translate(cr, px(&f, (double)i), f.b + 8);
                cairo_rotate(cr, -PI / 4);
                text(cr, 0, 0, s, 12, 0, 1.0, 0.5);
                cairo_restore(cr);
            } else {
                text(cr, px(&f, (double)i), f.b + 8, s, 12, 0, 0.5, 0.0);
            }
        }
    }
    return canvas_close(&c);
}

/* ---------------------------------------------------------------- heatmap */

/* Piecewise-linear colour maps through evenly spaced anchors. viridis
 * (matplotlib's default, perceptually uniform, the default of sklearn's
 * ConfusionMatrixDisplay) for one-signed data; RdBu reversed (ColorBrewer),
 * symmetric about zero, for data of both signs (coefficients,
 * correlations). */
#define HEX(h)                                                                                     \
    {                                                                                              \
        ((h) >> 16 & 255) / 255.0, ((h) >> 8 & 255) / 255.0, ((h)&255) / 255.0                     \
    }
static const rgb viridis[10] = {HEX(0x440154), HEX(0x482878), HEX(0x3e4989), HEX(0x31688e),
                                HEX(0x26828e), HEX(0x1f9e89), HEX(0x35b779), HEX(0x6ece58),
                                HEX(0xb5de2b), HEX(0xfde725)};
static const rgb rdbu_r[11] = {HEX(0x053061), HEX(0x2166ac), HEX(0x4393c3), HEX(0x92c5de),
                               HEX(0xd1e5f0), HEX(0xf7f7f7), HEX(0xfddbc7), HEX(0xf4a582),
                               HEX(0xd6604d), HEX(0xb2182b), HEX(0x67001f)};
#undef HEX

static rgb cmap(int diverging, double t)
{
    const rgb *a = diverging ? rdbu_r : viridis;
    int n = diverging ? 11 : 10;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double u = t * (n - 1);
    int k = (int)floor(u);
    if (k >= n - 1) return a[n - 1];
    double w = u - k;
    rgb r = {a[k].r + w * (a[k + 1].r - a[k].r), a[k].g + w * (a[k + 1].g - a[k].g),
             a[k].b + w * (a[k + 1].b - a[k].b)};
    return r;
}

/* Cell text: integers as such (counts), else three significant digits. */
static void cell_label(double v, int integral, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    else if (integral)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.3g", v);
}

cml_status cml_plot_heatmap(const char *path, const double *m, int64_t rows, int64_t cols,
                            const char *const *row_names, const char *const *col_names,
                            int annotate, const char *title, const char *xlabel, const char *ylabel)
{
    if (!m || rows < 1 || cols < 1 || rows > CML_PLOT_MAX_CELLS || cols > CML_PLOT_MAX_CELLS)
        return cml_fail(CML_ERR_ARG, "plot: heatmap needs 1 <= rows, cols <= %d, got %lld x %lld",
                        CML_PLOT_MAX_CELLS, (long long)rows, (long long)cols);
    plot_format fmt;
    CML_CHECK(format_of(path, &fmt));
    double vmn, vmx;
    if (finite_range(m, rows * cols, &vmn, &vmx) != CML_OK)
        return cml_fail(CML_ERR_ARG, "plot: heatmap has no finite value");
    int integral = 1;
    for (int64_t i = 0; i < rows * cols; i++)
        if (isfinite(m[i]) && (m[i] != floor(m[i]) || fabs(m[i]) >= 1e15)) integral = 0;
    int diverging = vmn < 0 && vmx > 0;
    double lo = vmn, hi = vmx;
    if (diverging) {
        hi = fmax(-vmn, vmx);
        lo = -hi;
    } else if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }

    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *mc = cairo_create(scratch);
    double rw = max_name_width(mc, row_names, rows, 12);
    double cw = max_name_width(mc, col_names, cols, 12);
    cairo_destroy(mc);
    cairo_surface_destroy(scratch);

    double big = (double)CML_MAX(rows, cols);
    double cell = fmin(fmax(520.0 / big, 4.0), 130.0);
    double plot_w = cell * (double)cols, plot_h = cell * (double)rows;
    int show_rows = cell >= 9.0, show_cols = cell >= 9.0;
    int rotate = show_cols && cw > cell - 4;
    double ml = 48.0 + (show_rows ? rw + 12 : 0);
    double mb = 52.0 + (show_cols ? (rotate ? cw * 0.72 + 12 : 22) : 0);
    double cbar_w = 110.0;
    double W = fmax(ml + plot_w + cbar_w, 420.0), H = MARGIN_T + plot_h + mb;
    canvas c;
    CML_CHECK(canvas_open(&c, path, W, H, title));
    cairo_t *cr = c.cr;
    frame f;
    f.l = ml;
    f.t = MARGIN_T;
    f.r = ml + plot_w;
    f.b = MARGIN_T + plot_h;
    f.ax = (axis){0, (double)cols, 1, 0, 0, 0};
    f.ay = (axis){0, (double)rows, 1, 0, 0, 0};
    char buf[64];
    double fs = fmin(fmax(cell * 0.28, 8.0), 18.0);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double v = m[i * cols + j];
            double x = f.l + (double)j * cell, y = f.t + (double)i * cell;
            rgb col = {0.85, 0.85, 0.85}; /* non-finite cells: light grey */
            if (isfinite(v)) col = cmap(diverging, (v - lo) / (hi - lo));
            cairo_set_source_rgb(cr, col.r, col.g, col.b);
            /* a hair of overlap avoids seams between cells in viewers */
            cairo_rectangle(cr, x, y, cell + 0.3, cell + 0.3);
            cairo_fill(cr);
            if (!annotate) continue;
            cell_label(v, integral, buf, sizeof buf);
            if (text_width(cr, buf, fs) > cell - 3 || cell < 14) continue;
            /* Rec. 709 luma picks the text colour that stays readable. */
            double luma = 0.2126 * col.r + 0.7152 * col.g + 0.0722 * col.b;
            double ink = luma < 0.5 ? 1.0 : 0.0;
            cairo_set_source_rgb(cr, ink, ink, ink);
            text(cr, x + cell / 2, y + cell / 2, buf, fs, 0, 0.5, 0.5);
        }
    decorate_frame(cr, &f, 18, title, NULL, NULL);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (show_rows)
        for (int64_t i = 0; i < rows; i++)
            text(cr, f.l - 6, f.t + ((double)i + 0.5) * cell,
                 category_name(row_names, i, buf, sizeof buf), 12, 0, 1.0, 0.5);
    if (show_cols)
        for (int64_t j = 0; j < cols; j++) {
            const char *s = category_name(col_names, j, buf, sizeof buf);
            double x = f.l + ((double)j + 0.5) * cell;
            if (rotate) {
                cairo_save(cr);
                cairo_translate(cr, x, f.b + 6);
                cairo_rotate(cr, -PI / 4);
                text(cr, 0, 0, s, 12, 0, 1.0, 0.5);
                cairo_restore(cr);
            } else {
                text(cr, x, f.b + 6, s, 12, 0, 0.5, 0.0);
            }
        }
    text(cr, 0.5 * (f.l + f.r), H - 22, xlabel, 14, 0, 0.5, 0.5);
    if (ylabel && *ylabel) {
        cairo_save(cr);
        cairo_translate(cr, 18, 0.5 * (f.t + f.b));
        cairo_rotate(cr, -PI / 2);
        text(cr, 0, 0, ylabel, 14, 0, 0.5, 0.5);
        cairo_restore(cr);
    }
    /* Colour bar with nice ticks inside [lo, hi]. */
    double bx = f.r + 24, bw = 18, bt = f.t, bb = f.b;
    /* One linear gradient through the map's anchors: the same piecewise-
     * linear colours as the cells, without seams between bands. */
    cairo_pattern_t *grad = cairo_pattern_create_linear(0, bb, 0, bt);
    int n_anchor = diverging ? 11 : 10;
    for (int k = 0; k < n_anchor; k++) {
        rgb col = cmap(diverging, (double)k / (n_anchor - 1));
        cairo_pattern_add_color_stop_rgb(grad, (double)k / (n_anchor - 1), col.r, col.g, col.b);
    }
    cairo_set_source(cr, grad);
    cairo_rectangle(cr, bx, bt, bw, bb - bt);
    cairo_fill(cr);
    cairo_pattern_destroy(grad);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, bx, bt, bw, bb - bt);
    cairo_stroke(cr);
    axis ca;
    ca.lo = lo;
    ca.hi = hi;
    ca.step = nice_num((hi - lo) / 5.0, 1);
    ca.first = ceil(lo / ca.step - 1e-9) * ca.step;
    ca.n_ticks = (int)floor((hi - ca.first) / ca.step + 1e-9) + 1;
    double bigv = fmax(fabs(lo), fabs(hi));
    ca.decimals = (bigv >= 1e6 || ca.step < 1e-4) ? -1 : (int)CML_MAX(0.0, -floor(log10(ca.step)));
    for (int t = 0; t < ca.n_ticks && t < 20; t++) {
        double v = ca.first + t * ca.step;
        double y = bb - (v - lo) / (hi - lo) * (bb - bt);
        cairo_move_to(cr, bx + bw, y);
        cairo_line_to(cr, bx + bw + 4, y);
        cairo_stroke(cr);
        tick_label(&ca, v, buf, sizeof buf);
        text(cr, bx + bw + 7, y, buf, 11, 0, 0.0, 0.5);
    }
    return canvas_close(&c);
}

/* ---------------------------------------------------------------- images */

cml_status cml_plot_images(const char *path, const double *pixels, int64_t n, int64_t height,
                           int64_t width, int n_cols, const char *const *captions,
                           const char *title)
{
    if (!pixels || n < 1 || n > CML_PLOT_MAX_IMAGES)
        return cml_fail(CML_ERR_ARG, "plot: images need 1 <= n <= %d, got %lld",
                        CML_PLOT_MAX_IMAGES, (long long)n);
    if (height < 1 || width < 1 || height > 4096 || width > 4096)
        return cml_fail(CML_ERR_ARG,
                        "plot: image height and width must be in [1, 4096], got %lld x %lld",
                        (long long)height, (long long)width);
    plot_format fmt;
    CML_CHECK(format_of(path, &fmt));
    int64_t px_n = height * width;
    double lo, hi;
    if (finite_range(pixels, n * px_n, &lo, &hi) != CML_OK)
        return cml_fail(CML_ERR_ARG, "plot: images have no finite pixel");
    if (!(hi > lo)) hi = lo + 1.0;
    if (n_cols <= 0) n_cols = (int)CML_MIN(n, (int64_t)10);
    if (n_cols > n) n_cols = (int)n;
    int64_t n_rows = (n + n_cols - 1) / n_cols;
    /* Integer magnification (crisp pixels) to about 112 units per image. */
    double scale = fmax(1.0, floor(112.0 / (double)CML_MAX(height, width)));
    int cap_lines = 0;
    if (captions)
        for (int64_t i = 0; i < n; i++) {
            int l = captions[i] && *captions[i] ? 1 : 0;
            for (const char *q = captions[i]; q && *q; q++)
                l += *q == '\n';
            cap_lines = CML_MAX(cap_lines, l);
        }
    cap_lines = CML_MIN(cap_lines, 3);
    double iw = (double)width * scale, ih = (double)height * scale;
    double cw = fmax(iw + 16, 120.0), chh = ih + 12 + 16.0 * cap_lines;
    double top = title && *title ? 48.0 : 8.0;
    double W = n_cols * cw + 16, H = top + (double)n_rows * chh + 8;
    canvas c;
    CML_CHECK(canvas_open(&c, path, W, H, title));
    cairo_t *cr = c.cr;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)width, (int)height);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        (void)canvas_close(&c);
        return cml_fail(CML_ERR_NOMEM, "plot: cannot allocate a %lld x %lld image",
                        (long long)width, (long long)height);
    }
    if (title && *title) {
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        text(cr, W / 2, 26, title, 18, 1, 0.5, 0.5);
    }
    int stride = cairo_image_surface_get_stride(img);
    for (int64_t k = 0; k < n; k++) {
        const double *p = pixels + k * px_n;
        cairo_surface_flush(img);
        unsigned char *data = cairo_image_surface_get_data(img);
        for (int64_t r = 0; r < height; r++) {
            uint32_t *row = (uint32_t *)(void *)(data + r * stride);
            for (int64_t q = 0; q < width; q++) {
                double v = p[r * width + q];
                /* ink on paper: high values dark (matplotlib's "binary"). */
                double t = isfinite(v) ? (v - lo) / (hi - lo) : 0.0;
                uint32_t g = (uint32_t)lround(255.0 * (1.0 - t));
                row[q] = 0xff000000u | g << 16 | g << 8 | g;
            }
        }
        cairo_surface_mark_dirty(img);
        double x0 = 8 + (double)(k % n_cols) * cw + (cw - iw) / 2;
        double y0 = top + (double)(k / n_cols) * chh + 4;
        cairo_save(cr);
        cairo_translate(cr, x0, y0);
        cairo_scale(cr, scale, scale);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_rectangle(cr, 0, 0, (double)width, (double)height);
        cairo_fill(cr);
        cairo_restore(cr);
        cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
        cairo_set_line_width(cr, 1.0);
        cairo_rectangle(cr, x0 - 0.5, y0 - 0.5, iw + 1, ih + 1);
        cairo_stroke(cr);
        if (captions && captions[k]) {
            /* one caption line per '\n'-separated part, at most three */
            char line[128];
            const char *s = captions[k];
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            for (int l = 0; l < cap_lines && *s; l++) {
                const char *e = strchr(s, '\n');
                size_t len = e ? (size_t)(e - s) : strlen(s);
                snprintf(line, sizeof line, "%.*s", (int)CML_MIN(len, sizeof line - 1), s);
                text(cr, x0 + iw / 2, y0 + ih + 6 + 16.0 * l, line, 12, 0, 0.5, 0.0);
                s += len;
                if (*s == '\n') s++;
            }
        }
    }
    cairo_surface_destroy(img);
    return canvas_close(&c);
}
