/*
 * test_plot.c — cml_plot_*: PNG files have the PNG signature and the
 * documented size (800 x 600 per panel, +180 for a legend), SVG files carry
 * the title, PDF files start with %PDF; label handling (names, DBSCAN's -1,
 * many classes), NaN points and lines, and the error paths (extension,
 * unwritable path, empty or non-finite data). The files are written to
 * out/ (tests/out/, ignored by git) so they can be looked at.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cairo.h>

#include "cml/plot.h"
#include "golden.h"

/* fontconfig (loaded by cairo for text) keeps its configuration in global
 * caches it frees only in FcFini; LeakSanitizer would report them at exit.
 * A leak of cml's own (an unreleased cairo surface, say) still shows, as a
 * leak in libcairo or libcml. Used only by sanitizer builds. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

static int setup(void **state)
{
    (void)state;
    mkdir("out", 0755);
    return 0;
}

/* Width and height from the IHDR chunk, after checking the signature. */
static void png_size(const char *path, uint32_t *w, uint32_t *h)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char b[24];
    assert_int_equal(fread(b, 1, 24, f), 24);
    fclose(f);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    *w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    *h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
}

static char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)*len + 1);
    assert_int_equal(fread(s, 1, (size_t)*len, f), (size_t)*len);
    s[*len] = '\0';
    fclose(f);
    return s;
}

/* Three Gaussian blobs, labels 0..2, plus a few noise points (-1). */
static void blobs(double *x, double *y, int64_t *lab, int n)
{
    cml_rng r;
    cml_rng_seed(&r, 7);
    for (int i = 0; i < n; i++) {
        int c = i % 3;
        x[i] = 10.0 * c + cml_rng_normal(&r);
        y[i] = (c == 1 ? 8.0 : 0.0) + cml_rng_normal(&r);
        lab[i] = i % 25 == 0 ? -1 : c;
    }
}

static void test_scatter(void **state)
{
    (void)state;
    enum { N = 600 };
    double x[N], y[N];
    int64_t lab[N];
    blobs(x, y, lab, N);
    static const char *const names[] = {"setosa", "versicolor", "virginica", NULL};
    uint32_t w, h;
    assert_int_equal(cml_plot_scatter("out/plot_scatter.png", x, y, N, lab, names,
                                      "Three blobs & noise", "feature 1", "feature 2"),
                     CML_OK);
    png_size("out/plot_scatter.png", &w, &h);
    assert_int_equal(w, 980);
    assert_int_equal(h, 600);
    /* No labels: no legend column. */
    assert_int_equal(
        cml_plot_scatter("out/plot_plain.png", x, y, N, NULL, NULL, "Plain", NULL, NULL), CML_OK);
    png_size("out/plot_plain.png", &w, &h);
    assert_int_equal(w, 800);
    assert_int_equal(h, 600);
    /* SVG: the title is in a <title> element, escaped. */
    assert_int_equal(cml_plot_scatter("out/plot_scatter.svg", x, y, N, lab, names,
                                      "Three blobs & noise", "feature 1", "feature 2"),
                     CML_OK);
    long len;
    char *svg = slurp("out/plot_scatter.svg", &len);
    assert_true(len > 1000);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "<title>Three blobs &amp; noise</title>"));
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
    /* PDF (upper-case extension works too). */
    assert_int_equal(cml_plot_scatter("out/plot_scatter.PDF", x, y, N, lab, NULL, "PDF", "x", "y"),
                     CML_OK);
    char *pdf = slurp("out/plot_scatter.PDF", &len);
    assert_true(len > 500 && memcmp(pdf, "%PDF", 4) == 0);
    free(pdf);
}

static void test_scatter_nan_and_many_classes(void **state)
{
    (void)state;
    enum { N = 400 };
    double x[N], y[N];
    int64_t lab[N];
    for (int i = 0; i < N; i++) {
        x[i] = cos(i * 0.1) * i;
        y[i] = sin(i * 0.1) * i;
        lab[i] = i / 8; /* 50 classes: markers vary, legend truncated */
    }
    x[3] = NAN;
    y[7] = INFINITY;
    assert_int_equal(
        cml_plot_scatter("out/plot_many.png", x, y, N, lab, NULL, "Spiral, 50 labels", "x", "y"),
        CML_OK);
    uint32_t w, h;
    png_size("out/plot_many.png", &w, &h);
    assert_int_equal(w, 980);
    /* A constant column still gets a sensible axis. */
    double c[3] = {5, 5, 5};
    assert_int_equal(
        cml_plot_scatter("out/plot_const.png", c, c, 3, NULL, NULL, "constant", NULL, NULL),
        CML_OK);
}

static void test_lines(void **state)
{
    (void)state;
    enum { N = 120 };
    double xs[N], ys[2 * N];
    for (int i = 0; i < N; i++) {
        xs[i] = i + 1;
        ys[i] = 2.3 * exp(-i / 25.0) + 0.05; /* training loss */
        ys[N + i] = 2.3 * exp(-i / 30.0) + 0.12 + 0.02 * sin(i);
    }
    ys[N + 50] = NAN; /* a gap */
    static const char *const series[] = {"train", "validation"};
    assert_int_equal(cml_plot_lines("out/plot_loss.png", xs, ys, 2, N, series, "Loss per epoch",
                                    "epoch", "cross-entropy"),
                     CML_OK);
    uint32_t w, h;
    png_size("out/plot_loss.png", &w, &h);
    assert_int_equal(w, 980);
    assert_int_equal(h, 600);
    /* Elbow plot: few points get markers; no names, no legend. */
    double inertia[9] = {3900, 2100, 1250, 900, 780, 700, 640, 600, 570};
    double k[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_int_equal(cml_plot_lines("out/plot_elbow.svg", k, inertia, 1, 9, NULL,
                                    "Elbow: k-means inertia", "k", "inertia"),
                     CML_OK);
    long len;
    char *svg = slurp("out/plot_elbow.svg", &len);
    assert_non_null(strstr(svg, "<title>Elbow: k-means inertia</title>"));
    free(svg);
    /* xs = NULL: 0..n-1. */
    assert_int_equal(
        cml_plot_lines("out/plot_index.png", NULL, inertia, 1, 9, NULL, NULL, NULL, NULL), CML_OK);
    png_size("out/plot_index.png", &w, &h);
    assert_int_equal(w, 800);
}

static void test_grid(void **state)
{
    (void)state;
    enum { N = 300 };
    double x[N], y[N];
    int64_t lab[N];
    blobs(x, y, lab, N);
    cml_plot_panel p[4] = {
        {x, y, N, lab, "a", "x", "y"},
        {y, x, N, lab, "b", "y", "x"},
        {x, x, N, NULL, "c", NULL, NULL},
        {y, y, N, lab, "d", NULL, NULL},
    };
    assert_int_equal(cml_plot_grid("out/plot_grid.png", p, 4, 2, NULL, "Two by two"), CML_OK);
    uint32_t w, h;
    png_size("out/plot_grid.png", &w, &h);
    assert_int_equal(w, 2 * 800 + 180);
    assert_int_equal(h, 2 * 600 + 56);
    assert_int_equal(cml_plot_grid("out/plot_row.png", p, 3, 0, NULL, NULL), CML_OK);
    png_size("out/plot_row.png", &w, &h);
    assert_int_equal(w, 3 * 800 + 180);
    assert_int_equal(h, 600);
}

static void test_errors(void **state)
{
    (void)state;
    double x[3] = {1, 2, 3}, nan3[3] = {NAN, NAN, NAN};
    assert_int_equal(cml_plot_scatter("out/plot.jpg", x, x, 3, NULL, NULL, "t", NULL, NULL),
                     CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), ".png, .svg or .pdf"));
    assert_int_equal(cml_plot_scatter("out/noext", x, x, 3, NULL, NULL, "t", NULL, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_plot_scatter("out/plot_e.png", x, x, 0, NULL, NULL, "t", NULL, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_plot_scatter("out/plot_e.png", nan3, x, 3, NULL, NULL, "t", NULL, NULL),
                     CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "finite"));
    /* x finite where y is not and vice versa: no usable point. */
    double a[2] = {1, NAN}, b[2] = {NAN, 1};
    assert_int_equal(cml_plot_scatter("out/plot_e.png", a, b, 2, NULL, NULL, "t", NULL, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_plot_lines("out/plot_e.png", NULL, nan3, 1, 3, NULL, "t", NULL, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_plot_lines("out/plot_e.png", NULL, x, 0, 3, NULL, "t", NULL, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_plot_grid("out/plot_e.png", NULL, 0, 1, NULL, NULL), CML_ERR_ARG);
    for (int f = 0; f < 3; f++) {
        const char *path = f == 0   ? "no-such-dir/p.png"
                           : f == 1 ? "no-such-dir/p.svg"
                                    : "no-such-dir/p.pdf";
        assert_int_equal(cml_plot_scatter(path, x, x, 3, NULL, NULL, "t", NULL, NULL), CML_ERR_IO);
        assert_non_null(strstr(cml_last_error(), "no-such-dir"));
    }
}

/* Pixels of exactly colour 0xRRGGBB in a PNG written by the plot code. */
static long count_colour(const char *path, uint32_t rgb)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    long count = 0;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            uint32_t v = ((const uint32_t *)(const void *)(d + r * stride))[c];
            count += (v & 0xffffffu) == rgb;
        }
    cairo_surface_destroy(s);
    return count;
}

static uint32_t pixel_at(const char *path, int x, int y)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    int stride = cairo_image_surface_get_stride(s);
    uint32_t v =
        ((const uint32_t *)(const void *)(cairo_image_surface_get_data(s) + y * stride))[x];
    cairo_surface_destroy(s);
    return v & 0xffffffu;
}

static void test_bars(void **state)
{
    (void)state;
    /* Coefficients with both signs and long names: horizontal. */
    double coef[6] = {1.8, -0.7, 0.25, -2.2, 0.0, NAN};
    static const char *const names[] = {"petal length (cm)",
                                        "sepal width (cm)",
                                        "a very long feature name that must be shortened here",
                                        "mean concave points",
                                        "zero",
                                        "missing"};
    assert_int_equal(cml_plot_bars("out/plot_coef.png", coef, 6, names, 1,
                                   "Logistic regression coefficients", "coefficient", NULL),
                     CML_OK);
    uint32_t w, h;
    png_size("out/plot_coef.png", &w, &h);
    assert_true(w > 800 && w <= 800 + 360); /* margin grown for the names */
    assert_int_equal(h, 600);
    /* Both bar colours present, each in a sizeable area. */
    assert_true(count_colour("out/plot_coef.png", 0x0072B2) > 2000);
    assert_true(count_colour("out/plot_coef.png", 0xD55E00) > 2000);
    /* All positive, vertical, no names; SVG. */
    double imp[5] = {0.4, 0.3, 0.15, 0.1, 0.05};
    assert_int_equal(cml_plot_bars("out/plot_importance.svg", imp, 5, NULL, 0,
                                   "Feature importances", "feature", "importance"),
                     CML_OK);
    long len;
    char *svg = slurp("out/plot_importance.svg", &len);
    assert_non_null(strstr(svg, "<title>Feature importances</title>"));
    free(svg);
    assert_int_equal(
        cml_plot_bars("out/plot_importance.png", imp, 5, NULL, 0, "imp", "feature", NULL), CML_OK);
    assert_int_equal(count_colour("out/plot_importance.png", 0xD55E00), 0);
    /* 784 pixel importances, vertical: the chart widens, names dropped. */
    double *many = malloc(784 * sizeof *many);
    for (int i = 0; i < 784; i++)
        many[i] = sin(i * 0.05);
    assert_int_equal(cml_plot_bars("out/plot_many_bars.png", many, 784, NULL, 0, "784", NULL, NULL),
                     CML_OK);
    png_size("out/plot_many_bars.png", &w, &h);
    assert_true(w > 800 && w <= 1800);
    assert_int_equal(
        cml_plot_bars("out/plot_many_hbars.png", many, 784, NULL, 1, "784", NULL, NULL), CML_OK);
    free(many);
    /* errors */
    double nan1[1] = {NAN};
    assert_int_equal(cml_plot_bars("out/plot_e.png", nan1, 1, NULL, 0, NULL, NULL, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_plot_bars("out/plot_e.png", imp, 0, NULL, 0, NULL, NULL, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_plot_bars("out/plot_e.gif", imp, 5, NULL, 0, NULL, NULL, NULL),
                     CML_ERR_ARG);
    assert_int_equal(cml_plot_bars("no-such-dir/b.png", imp, 5, NULL, 0, NULL, NULL, NULL),
                     CML_ERR_IO);
}

static void test_heatmap(void **state)
{
    (void)state;
    /* A confusion matrix: counts, class names, viridis ends present. */
    double cm[9] = {50, 0, 0, 0, 47, 3, 0, 2, 48};
    static const char *const cls[] = {"setosa", "versicolor", "virginica"};
    assert_int_equal(cml_plot_heatmap("out/plot_confusion.png", cm, 3, 3, cls, cls, 1,
                                      "Confusion matrix", "predicted", "true"),
                     CML_OK);
    assert_true(count_colour("out/plot_confusion.png", 0xfde725) > 5000); /* max = 50 */
    assert_true(count_colour("out/plot_confusion.png", 0x440154) > 5000); /* min = 0 */
    assert_int_equal(cml_plot_heatmap("out/plot_confusion.svg", cm, 3, 3, cls, cls, 1,
                                      "Confusion matrix", "predicted", "true"),
                     CML_OK);
    long len;
    char *svg = slurp("out/plot_confusion.svg", &len);
    assert_non_null(strstr(svg, "<title>Confusion matrix</title>"));
    free(svg);
    /* Both signs: diverging map, symmetric — -1 is the darkest blue, 1 the
     * darkest red; non-integral annotations; a NaN cell. */
    double corr[6] = {1.0, -1.0, 0.25, NAN, 0.0, -0.5};
    assert_int_equal(
        cml_plot_heatmap("out/plot_corr.png", corr, 2, 3, NULL, NULL, 1, "corr", NULL, NULL),
        CML_OK);
    assert_true(count_colour("out/plot_corr.png", 0x053061) > 5000);
    assert_true(count_colour("out/plot_corr.png", 0x67001f) > 5000);
    /* 10 x 10 digits confusion; a 200 x 200 matrix (cells too small for
     * text: no annotation, still a picture). */
    double *big = malloc(200 * 200 * sizeof *big);
    for (int i = 0; i < 200 * 200; i++)
        big[i] = (i % 200 == i / 200) ? 100 : i % 7;
    assert_int_equal(cml_plot_heatmap("out/plot_big_heat.png", big, 200, 200, NULL, NULL, 1,
                                      "200 x 200", NULL, NULL),
                     CML_OK);
    free(big);
    double constant[4] = {3, 3, 3, 3};
    assert_int_equal(cml_plot_heatmap("out/plot_const_heat.png", constant, 2, 2, NULL, NULL, 1,
                                      NULL, NULL, NULL),
                     CML_OK);
    double nan2[2] = {NAN, NAN};
    assert_int_equal(
        cml_plot_heatmap("out/plot_e.png", nan2, 1, 2, NULL, NULL, 1, NULL, NULL, NULL),
        CML_ERR_ARG);
    assert_int_equal(cml_plot_heatmap("out/plot_e.png", cm, 0, 3, NULL, NULL, 1, NULL, NULL, NULL),
                     CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "rows"));
}

static void test_images(void **state)
{
    (void)state;
    /* Four 28 x 28 images: image k has a bright square at row 4k.. */
    enum { N = 4, S = 28 };
    double *px = calloc(N * S * S, sizeof *px);
    for (int k = 0; k < N; k++)
        for (int r = 0; r < S; r++)
            for (int c = 0; c < S; c++)
                px[k * S * S + r * S + c] =
                    (r >= 4 * k && r < 4 * k + 6 && c >= 10 && c < 18) ? 255.0 : 0.0;
    static const char *const caps[] = {"true 4\npred 9", "true 7\npred 1", "x", "y"};
    assert_int_equal(
        cml_plot_images("out/plot_images.png", px, N, S, S, 2, caps, "Misclassified digits"),
        CML_OK);
    uint32_t w, h;
    png_size("out/plot_images.png", &w, &h);
    /* 2 columns of 128 units + 16; title 48 + 2 rows of (112 + 12 + 2 x 16) + 8 */
    assert_int_equal(w, 2 * 128 + 16);
    assert_int_equal(h, 48 + 2 * (112 + 12 + 32) + 8);
    /* Image 0 sits at (16, 52), magnified 4x: its bright square (rows 0..5,
     * columns 10..17) is black, the rest white. */
    assert_int_equal(pixel_at("out/plot_images.png", 16 + 4 * 12 + 2, 52 + 4 * 2 + 2), 0x000000);
    assert_int_equal(pixel_at("out/plot_images.png", 16 + 4 * 2 + 2, 52 + 4 * 2 + 2), 0xffffff);
    assert_int_equal(pixel_at("out/plot_images.png", 16 + 4 * 12 + 2, 52 + 4 * 20 + 2), 0xffffff);
    assert_int_equal(cml_plot_images("out/plot_images.svg", px, N, S, S, 0, NULL, NULL), CML_OK);
    assert_int_equal(cml_plot_images("out/plot_e.png", px, 0, S, S, 0, NULL, NULL), CML_ERR_ARG);
    assert_int_equal(cml_plot_images("out/plot_e.png", px, N, 0, S, 0, NULL, NULL), CML_ERR_ARG);
    for (int i = 0; i < N * S * S; i++)
        px[i] = NAN;
    assert_int_equal(cml_plot_images("out/plot_e.png", px, N, S, S, 0, NULL, NULL), CML_ERR_ARG);
    free(px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scatter), cmocka_unit_test(test_scatter_nan_and_many_classes),
        cmocka_unit_test(test_lines),   cmocka_unit_test(test_grid),
        cmocka_unit_test(test_errors),  cmocka_unit_test(test_bars),
        cmocka_unit_test(test_heatmap), cmocka_unit_test(test_images),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
