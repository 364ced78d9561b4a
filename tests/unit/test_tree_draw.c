/*
 * test_tree_draw.c — tree export beyond the scikit-learn text/DOT goldens:
 * PNG / SVG drawings of decision trees, forest trees and gbm trees (the file
 * is a PNG of plausible size, one box per drawn node; elision with
 * max_depth shrinks it), errors (extension, unwritable path, a tree too
 * wide to draw, tree index), and the gbm text / DOT dumps (one line per
 * node, XGBoost's layout, the missing side named).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/ensemble.h"
#include "cml/gbm.h"
#include "cml/tree.h"
#include "golden.h"

/* fontconfig (loaded by cairo for text) keeps its configuration in global
 * caches it frees only in FcFini; LeakSanitizer would report them at exit.
 * A leak of cml's own still shows, as a leak in libcairo or libcml. Used
 * only by sanitizer builds (as in test_plot.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

static double *IX, *IY, *DX, *DY;
static int64_t IN, ID, DN, DD;

static int setup(void **state)
{
    (void)state;
    test_load_dataset("iris", &IX, &IN, &ID, &IY);
    test_load_dataset("diabetes", &DX, &DN, &DD, &DY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(IX);
    free(IY);
    free(DX);
    free(DY);
    return 0;
}

/* Width and height from a PNG's IHDR; fails the test if not a PNG. */
static void png_size(const char *path, uint32_t *w, uint32_t *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(b, 1, 24, f), 24);
    fclose(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_memory_equal(b, sig, 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    *w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    *h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
}

static char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "/tmp/cml_test_tree_draw_%d_%s", (int)getpid(), name);
    return p;
}

static void test_cart_png(void **state)
{
    (void)state;
    cml_tree_params p = cml_tree_params_default(CML_TREE_CLASSIFIER);
    p.max_depth = 3;
    cml_tree *t;
    cml_matrix X = cml_matrix_view(IX, IN, ID);
    assert_int_equal(cml_tree_fit(CML_TREE_CLASSIFIER, &p, &X, IY, NULL, &t), CML_OK);
    const char *png = tmp_path("iris.png");
    assert_int_equal(cml_tree_export_image(t, NULL, png, "iris"), CML_OK);
    uint32_t w, h;
    png_size(png, &w, &h);
    /* 5 leaves side by side, 4 levels of 5-line boxes */
    assert_true(w > 500 && w < 2000);
    assert_true(h > 400 && h < 1000);
    /* max_depth 1: two levels and "(...)" boxes: smaller */
    cml_tree_export_opts o = cml_tree_export_opts_default();
    o.max_depth = 1;
    assert_int_equal(cml_tree_export_image(t, &o, png, NULL), CML_OK);
    uint32_t w1, h1;
    png_size(png, &w1, &h1);
    assert_true(h1 < h);
    unlink(png);
    const char *svg = tmp_path("iris.svg");
    assert_int_equal(cml_tree_export_image(t, NULL, svg, NULL), CML_OK);
    FILE *f = fopen(svg, "r");
    assert_non_null(f);
    char head[256] = {0};
    assert_true(fread(head, 1, sizeof head - 1, f) > 0);
    fclose(f);
    assert_non_null(strstr(head, "<svg"));
    unlink(svg);
    /* errors */
    assert_int_equal(cml_tree_export_image(t, NULL, tmp_path("x.jpg"), NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), ".png"));
    assert_int_equal(cml_tree_export_image(t, NULL, "/nonexistent_dir/x.png", NULL), CML_ERR_IO);
    cml_tree_free(t);
}

static void test_too_wide(void **state)
{
    (void)state;
    /* An unlimited regression tree on diabetes has ~400 leaves: too wide to
     * draw whole, fine at depth 3. */
    cml_tree_params p = cml_tree_params_default(CML_TREE_REGRESSOR);
    cml_tree *t;
    cml_matrix X = cml_matrix_view(DX, DN, DD);
    assert_int_equal(cml_tree_fit(CML_TREE_REGRESSOR, &p, &X, DY, NULL, &t), CML_OK);
    const char *png = tmp_path("wide.png");
    assert_int_equal(cml_tree_export_image(t, NULL, png, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "max-depth"));
    cml_tree_export_opts o = cml_tree_export_opts_default();
    o.max_depth = 3;
    assert_int_equal(cml_tree_export_image(t, &o, png, NULL), CML_OK);
    uint32_t w, h;
    png_size(png, &w, &h);
    assert_true(w > 800);
    unlink(png);
    cml_tree_free(t);
}

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void test_gbm_export(void **state)
{
    (void)state;
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.n_estimators = 3;
    p.max_depth = 3;
    cml_gbm *m;
    /* 10% missing cells so default directions vary */
    double *Xn = malloc(sizeof(double) * (size_t)(DN * DD));
    assert_non_null(Xn);
    for (int64_t c = 0; c < DN * DD; c++)
        Xn[c] = ((uint64_t)c * 2654435761u) % 100 < 10 ? NAN : DX[c];
    cml_matrix X = cml_matrix_view(Xn, DN, DD);
    assert_int_equal(cml_gbm_regressor_fit(&p, &X, DY, NULL, &m), CML_OK);
    const int n = cml_gbm_tree_size(m, 1);
    char *txt = cml_gbm_export_text(m, 1, NULL);
    assert_non_null(txt);
    assert_int_equal(count_char(txt, '\n'), n);
    assert_true(strncmp(txt, "0:[f", 4) == 0);
    assert_non_null(strstr(txt, "yes=1,no=2,missing="));
    assert_non_null(strstr(txt, "leaf="));
    /* each line's missing= is its yes or its no */
    cml_gbm_node root;
    assert_int_equal(cml_gbm_tree_node(m, 1, 0, &root), CML_OK);
    char want[64];
    snprintf(want, sizeof want, "missing=%d,", root.default_left ? root.left : root.right);
    assert_non_null(strstr(txt, want));
    free(txt);
    const char *names[] = {"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"};
    char *dot = cml_gbm_export_dot(m, 0, names);
    assert_non_null(dot);
    assert_true(strncmp(dot, "digraph Tree {", 14) == 0);
    assert_non_null(strstr(dot, ", missing\""));
    free(dot);
    assert_null(cml_gbm_export_text(m, 3, NULL));
    assert_non_null(strstr(cml_last_error(), "tree 3"));
    const char *png = tmp_path("gbm.png");
    assert_int_equal(cml_gbm_export_image(m, 2, names, -1, png, "tree 2"), CML_OK);
    uint32_t w, h;
    png_size(png, &w, &h);
    assert_true(w > 300 && h > 200);
    unlink(png);
    assert_int_equal(cml_gbm_export_image(m, -1, names, -1, png, NULL), CML_ERR_ARG);
    free(Xn);
    cml_gbm_free(m);
}

static void test_forest_tree_png(void **state)
{
    (void)state;
    cml_forest_params p = cml_forest_params_default(CML_RF_CLASSIFIER);
    p.n_estimators = 3;
    p.max_depth = 2;
    cml_forest *f;
    cml_matrix X = cml_matrix_view(IX, IN, ID);
    assert_int_equal(cml_forest_fit(CML_RF_CLASSIFIER, &p, &X, IY, NULL, &f), CML_OK);
    const char *png = tmp_path("rf.png");
    const char *cls[] = {"setosa", "versicolor", "virginica"};
    cml_tree_export_opts o = cml_tree_export_opts_default();
    o.class_names = cls;
    o.max_depth = -1;
    assert_int_equal(cml_tree_export_image(cml_forest_tree(f, 2), &o, png, NULL), CML_OK);
    uint32_t w, h;
    png_size(png, &w, &h);
    assert_true(w > 300);
    unlink(png);
    cml_forest_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cart_png),
        cmocka_unit_test(test_too_wide),
        cmocka_unit_test(test_gbm_export),
        cmocka_unit_test(test_forest_tree_png),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
