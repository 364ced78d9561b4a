/*
 * test_golden_metrics.c — every metric of src/metrics against scikit-learn
 * 1.2.1 on real predictions (tests/gen/gen_metrics.py): models fitted on
 * iris, wine, breast cancer, digits and diabetes, edge cases, with and
 * without sample weights, and n = 20000 inputs replayed from an LCG.
 *
 * Tolerance: 1e-12 relative (1e-15 absolute near 0). The test also counts
 * how many values are bit-identical and prints the largest relative
 * difference it saw.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/metrics.h"
#include "helpers/golden.h"

#define RTOL 1e-12
#define ATOL 1e-15

static golden *G;
static double max_rel;
static int64_t n_checked, n_exact;

static void check(const double *got, const double *want, int64_t n, const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(got[i] - want[i]);
        double rel = want[i] != 0.0 ? d / fabs(want[i]) : d;
        if (!(isnan(got[i]) && isnan(want[i])) && rel > max_rel) max_rel = rel;
        n_checked++;
        n_exact += got[i] == want[i] || (isnan(got[i]) && isnan(want[i]));
    }
    assert_close(got, want, n, RTOL, ATOL, what);
}

static void check1(double got, double want, const char *what)
{
    check(&got, &want, 1, what);
}

static const double *get(const char *c, const char *field, int64_t *rows, int64_t *cols)
{
    char name[160];
    snprintf(name, sizeof name, "%s.%s", c, field);
    return golden_get(G, name, rows, cols);
}

static int has(const char *c, const char *field)
{
    char name[160];
    snprintf(name, sizeof name, "%s.%s", c, field);
    return golden_has(G, name);
}

static void label(char *buf, size_t len, const char *c, const char *what, int weighted)
{
    snprintf(buf, len, "%s %s%s", c, what, weighted ? " (weighted)" : "");
}

/* ------------------------------------------------------------- classification */

static void check_roc(const char *c, const char *key, const double *y, const double *score,
                      int64_t n, const double *w, double pos_label)
{
    char f[160];
    int64_t m_want;
    snprintf(f, sizeof f, "%s_fpr", key);
    const double *fpr_want = get(c, f, NULL, &m_want);
    snprintf(f, sizeof f, "%s_tpr", key);
    const double *tpr_want = get(c, f, NULL, NULL);
    snprintf(f, sizeof f, "%s_thr", key);
    const double *thr_want = get(c, f, NULL, NULL);
    double *fpr, *tpr, *thr;
    int64_t m;
    assert_int_equal(cml_roc_curve(y, score, n, w, pos_label, &fpr, &tpr, &thr, &m), CML_OK);
    char what[200];
    snprintf(what, sizeof what, "%s %s n_points", c, key);
    if (m != m_want) fail_msg("%s: got %lld, want %lld", what, (long long)m, (long long)m_want);
    label(what, sizeof what, c, key, 0);
    check(fpr, fpr_want, m, what);
    check(tpr, tpr_want, m, what);
    check(thr, thr_want, m, what);
    free(fpr);
    free(tpr);
    free(thr);
}

static void classification_case(const char *c)
{
    int64_t n, L = 0;
    const double *y = get(c, "y_true", NULL, &n);
    const double *p = get(c, "y_pred", NULL, NULL);
    const double *wv = get(c, "w", NULL, NULL);
    char what[200];
    for (int weighted = 0; weighted < 2; weighted++) {
        const double *w = weighted ? wv : NULL;
        double v, pr, rc, f1;
        label(what, sizeof what, c, "accuracy", weighted);
        assert_int_equal(cml_accuracy(y, p, n, w, &v), CML_OK);
        check1(v, get(c, "acc", NULL, NULL)[weighted], what);
        label(what, sizeof what, c, "balanced_accuracy", weighted);
        assert_int_equal(cml_balanced_accuracy(y, p, n, w, &v), CML_OK);
        check1(v, get(c, "bacc", NULL, NULL)[weighted], what);

        static const struct {
            cml_average avg;
            const char *key;
        } avgs[] = {{CML_AVERAGE_MICRO, "prf_micro"},
                    {CML_AVERAGE_MACRO, "prf_macro"},
                    {CML_AVERAGE_WEIGHTED, "prf_weighted"},
                    {CML_AVERAGE_BINARY, "prf_binary"}};
        for (int a = 0; a < 4; a++) {
            if (!has(c, avgs[a].key)) continue;
            double pos = has(c, "pos_label") ? get(c, "pos_label", NULL, NULL)[0] : 1.0;
            label(what, sizeof what, c, avgs[a].key, weighted);
            assert_int_equal(cml_precision_recall_f1(y, p, n, w, avgs[a].avg, pos, &pr, &rc, &f1),
                             CML_OK);
            double got[3] = {pr, rc, f1};
            check(got, get(c, avgs[a].key, NULL, NULL) + 3 * weighted, 3, what);
        }

        double *labels, *cm;
        int64_t nl, nl_want;
        assert_int_equal(cml_confusion_matrix(y, p, n, w, &labels, &nl, &cm), CML_OK);
        const double *labels_want = get(c, "cm_labels", NULL, &nl_want);
        assert_int_equal(nl, nl_want);
        label(what, sizeof what, c, "confusion_matrix labels", weighted);
        check(labels, labels_want, nl, what);
        label(what, sizeof what, c, "confusion_matrix", weighted);
        check(cm, get(c, weighted ? "cm_w" : "cm", NULL, NULL), nl * nl, what);
        free(labels);
        free(cm);

        if (!has(c, "proba")) continue;
        const double *proba = get(c, "proba", NULL, NULL);
        const double *classes = get(c, "classes", NULL, &L);
        label(what, sizeof what, c, "log_loss", weighted);
        assert_int_equal(cml_log_loss(y, proba, n, classes, L, w, &v), CML_OK);
        check1(v, get(c, "log_loss", NULL, NULL)[weighted], what);

        double *col = malloc(sizeof(double) * (size_t)n);
        for (int64_t i = 0; i < n; i++)
            col[i] = proba[i * L + 1];
        if (L == 2) {
            label(what, sizeof what, c, "roc_auc", weighted);
            assert_int_equal(cml_roc_auc(y, col, n, w, &v), CML_OK);
            check1(v, get(c, "auc", NULL, NULL)[weighted], what);
        } else {
            static const cml_average ovr[3] = {CML_AVERAGE_MACRO, CML_AVERAGE_WEIGHTED,
                                               CML_AVERAGE_MICRO};
            const double *want = get(c, "auc_ovr", NULL, NULL) + 3 * weighted;
            for (int a = 0; a < 3; a++) {
                snprintf(what, sizeof what, "%s roc_auc_ovr %s%s", c, cml_average_name(ovr[a]),
                         weighted ? " (weighted)" : "");
                assert_int_equal(cml_roc_auc_ovr(y, proba, n, classes, L, w, ovr[a], &v), CML_OK);
                check1(v, want[a], what);
            }
        }
        int64_t nk;
        const double *ks = get(c, "ks", NULL, &nk);
        const double *topk = get(c, "topk", NULL, NULL) + nk * weighted;
        for (int64_t j = 0; j < nk; j++) {
            snprintf(what, sizeof what, "%s top_%d_accuracy%s", c, (int)ks[j],
                     weighted ? " (weighted)" : "");
            assert_int_equal(cml_top_k_accuracy(y, proba, n, classes, L, (int)ks[j], w, &v),
                             CML_OK);
            check1(v, topk[j], what);
        }
        check_roc(c, weighted ? "roc_w" : "roc", y, col, n, w, classes[1]);
        free(col);
    }
}

static void test_iris_logreg(void **state)
{
    (void)state;
    classification_case("iris_logreg");
}
static void test_iris_stump(void **state)
{
    (void)state;
    classification_case("iris_stump");
}
static void test_wine_gnb(void **state)
{
    (void)state;
    classification_case("wine_gnb");
}
static void test_bc_logreg(void **state)
{
    (void)state;
    classification_case("bc_logreg");
}
static void test_bc_tree(void **state)
{
    (void)state;
    classification_case("bc_tree");
}
static void test_digits_logreg(void **state)
{
    (void)state;
    classification_case("digits_logreg");
}
static void test_edge_ties_perfect(void **state)
{
    (void)state;
    classification_case("bc_ties");
}
static void test_edge_pm1_labels(void **state)
{
    (void)state;
    classification_case("pm1");
}
static void test_edge_odd_labels(void **state)
{
    (void)state;
    classification_case("odd_labels");
}
static void test_edge_single_label(void **state)
{
    (void)state;
    classification_case("all_zero");
}

/* ------------------------------------------------------------- regression */

typedef cml_status (*reg_fn)(const double *, const double *, int64_t, const double *, double *);
static const reg_fn reg_fns[5] = {cml_r2, cml_mse, cml_rmse, cml_mae, cml_explained_variance};
static const char *const reg_names[5] = {"r2", "mse", "rmse", "mae", "explained_variance"};

static void regression_values(const char *c, const double *yt, const double *yp, const double *wv,
                              int64_t n)
{
    const double *want = get(c, "values", NULL, NULL);
    char what[200];
    for (int weighted = 0; weighted < 2; weighted++)
        for (int m = 0; m < 5; m++) {
            double v;
            label(what, sizeof what, c, reg_names[m], weighted);
            assert_int_equal(reg_fns[m](yt, yp, n, weighted ? wv : NULL, &v), CML_OK);
            check1(v, want[5 * weighted + m], what);
        }
}

static void regression_case(const char *c)
{
    int64_t n;
    const double *yt = get(c, "y_true", NULL, &n);
    regression_values(c, yt, get(c, "y_pred", NULL, NULL), get(c, "w", NULL, NULL), n);
}

static void test_regression_diabetes(void **state)
{
    (void)state;
    regression_case("diab_linear");
    regression_case("diab_ridge");
}

static void test_regression_edges(void **state)
{
    (void)state;
    regression_case("perfect");
    regression_case("const_true");
    regression_case("const_both");
}

/* ------------------------------------------------------------- big, LCG inputs */

/* The generator's 64-bit LCG (Knuth's MMIX constants): n uniforms in [0, 1). */
static double *lcg(uint64_t seed, int64_t n)
{
    double *u = malloc(sizeof(double) * (size_t)n);
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        u[i] = (double)(s >> 11) * 0x1p-53;
    }
    return u;
}

#define BIG_N 20000

static void test_big_regression(void **state)
{
    (void)state;
    double *u1 = lcg(1, BIG_N), *u2 = lcg(2, BIG_N), *u3 = lcg(3, BIG_N);
    double *yt = malloc(sizeof(double) * BIG_N), *yp = malloc(sizeof(double) * BIG_N);
    double *w = malloc(sizeof(double) * BIG_N);
    for (int i = 0; i < BIG_N; i++) {
        yt[i] = 100 * u1[i] - 50;
        yp[i] = yt[i] + (u2[i] - 0.5) * 10;
        w[i] = 2 * u3[i];
    }
    regression_values("big_reg", yt, yp, w, BIG_N);
    free(u1), free(u2), free(u3), free(yt), free(yp), free(w);
}

static void test_big_binary(void **state)
{
    (void)state;
    double *u1 = lcg(1, BIG_N), *u2 = lcg(2, BIG_N), *u3 = lcg(3, BIG_N);
    double *y = malloc(sizeof(double) * BIG_N), *s = malloc(sizeof(double) * BIG_N);
    double *p = malloc(sizeof(double) * BIG_N), *w = malloc(sizeof(double) * BIG_N);
    for (int i = 0; i < BIG_N; i++) {
        y[i] = u1[i] >= 0.4;
        s[i] = floor(u2[i] * 1000) / 1000;
        p[i] = s[i] >= 0.5;
        w[i] = 2 * u3[i];
    }
    const double *want = get("big_bin", "values", NULL, NULL);
    for (int weighted = 0; weighted < 2; weighted++) {
        const double *wt = weighted ? w : NULL;
        double got[8];
        assert_int_equal(cml_accuracy(y, p, BIG_N, wt, &got[0]), CML_OK);
        assert_int_equal(cml_roc_auc(y, s, BIG_N, wt, &got[1]), CML_OK);
        assert_int_equal(cml_precision_recall_f1(y, p, BIG_N, wt, CML_AVERAGE_WEIGHTED, 1.0,
                                                 &got[2], &got[3], &got[4]),
                         CML_OK);
        assert_int_equal(cml_precision_recall_f1(y, p, BIG_N, wt, CML_AVERAGE_BINARY, 1.0, &got[5],
                                                 &got[6], &got[7]),
                         CML_OK);
        check(got, want + 8 * weighted, 8,
              weighted ? "big_bin acc/auc/prf (weighted)" : "big_bin acc/auc/prf");
    }
    free(u1), free(u2), free(u3), free(y), free(s), free(p), free(w);
}

static void test_big_multiclass(void **state)
{
    (void)state;
    enum { L = 10 };
    double *raw = lcg(4, (int64_t)BIG_N * L), *u5 = lcg(5, BIG_N), *u3 = lcg(3, BIG_N);
    double *proba = malloc(sizeof(double) * BIG_N * L), *y = malloc(sizeof(double) * BIG_N);
    double *w = malloc(sizeof(double) * BIG_N), classes[L];
    for (int c = 0; c < L; c++)
        classes[c] = c;
    for (int i = 0; i < BIG_N; i++) {
        double s = 0.0;
        for (int c = 0; c < L; c++)
            s += raw[i * L + c];
        for (int c = 0; c < L; c++)
            proba[i * L + c] = raw[i * L + c] / s;
        y[i] = floor(u5[i] * L);
        w[i] = 2 * u3[i];
    }
    const double *want = get("big_mc", "values", NULL, NULL);
    for (int weighted = 0; weighted < 2; weighted++) {
        const double *wt = weighted ? w : NULL;
        double got[4];
        assert_int_equal(cml_log_loss(y, proba, BIG_N, classes, L, wt, &got[0]), CML_OK);
        assert_int_equal(
            cml_roc_auc_ovr(y, proba, BIG_N, classes, L, wt, CML_AVERAGE_MACRO, &got[1]), CML_OK);
        assert_int_equal(
            cml_roc_auc_ovr(y, proba, BIG_N, classes, L, wt, CML_AVERAGE_WEIGHTED, &got[2]),
            CML_OK);
        assert_int_equal(cml_top_k_accuracy(y, proba, BIG_N, classes, L, 3, wt, &got[3]), CML_OK);
        check(got, want + 4 * weighted, 4,
              weighted ? "big_mc log_loss/auc/top3 (weighted)" : "big_mc log_loss/auc/top3");
    }
    free(raw), free(u5), free(u3), free(proba), free(y), free(w);
}

/* Last: the summary of every comparison above. */
static void test_summary(void **state)
{
    (void)state;
    print_message("metrics vs scikit-learn: %lld values, %lld bit-identical, max rel diff %.3g\n",
                  (long long)n_checked, (long long)n_exact, max_rel);
    assert_true(n_checked > 0);
}

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/metrics.txt");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iris_logreg),
        cmocka_unit_test(test_iris_stump),
        cmocka_unit_test(test_wine_gnb),
        cmocka_unit_test(test_bc_logreg),
        cmocka_unit_test(test_bc_tree),
        cmocka_unit_test(test_digits_logreg),
        cmocka_unit_test(test_edge_ties_perfect),
        cmocka_unit_test(test_edge_pm1_labels),
        cmocka_unit_test(test_edge_odd_labels),
        cmocka_unit_test(test_edge_single_label),
        cmocka_unit_test(test_regression_diabetes),
        cmocka_unit_test(test_regression_edges),
        cmocka_unit_test(test_big_regression),
        cmocka_unit_test(test_big_binary),
        cmocka_unit_test(test_big_multiclass),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
