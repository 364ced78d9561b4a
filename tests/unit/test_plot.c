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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scatter), cmocka_unit_test(test_scatter_nan_and_many_classes),
        cmocka_unit_test(test_lines),   cmocka_unit_test(test_grid),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
