/*
 * test_metrics.c — src/metrics beyond the golden values: error paths (bad
 * sizes, NaN, label mismatches, zero weights), warnings through the log
 * callback, the metric table by name, and small worked examples from the
 * scikit-learn documentation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/metrics.h"
#include "helpers/golden.h"

/* The call fails with CML_ERR_ARG and a message containing `needle`. */
#define assert_arg_error(call, needle)                                                             \
    do {                                                                                           \
        cml_clear_error();                                                                         \
        assert_int_equal((call), CML_ERR_ARG);                                                     \
        if (!strstr(cml_last_error(), (needle)))                                                   \
            fail_msg("message '%s' lacks '%s'", cml_last_error(), (needle));                       \
    } while (0)

static const double yt4[4] = {0, 0, 1, 1};
static const double sc4[4] = {0.1, 0.4, 0.35, 0.8};

/* ------------------------------------------------------------- worked examples */

static void test_docstring_examples(void **state)
{
    (void)state;
    double v, p, r, f;
    /* roc_auc_score / roc_curve docstrings */
    assert_int_equal(cml_roc_auc(yt4, sc4, 4, NULL, &v), CML_OK);
    assert_true(v == 0.75);
    double *fpr, *tpr, *thr;
    int64_t m;
    assert_int_equal(cml_roc_curve(yt4, sc4, 4, NULL, 1.0, &fpr, &tpr, &thr, &m), CML_OK);
    const double fpr_w[] = {0, 0, 0.5, 0.5, 1}, tpr_w[] = {0, 0.5, 0.5, 1, 1};
    const double thr_w[] = {1.8, 0.8, 0.4, 0.35, 0.1};
    assert_int_equal(m, 5);
    assert_close(fpr, fpr_w, 5, 0, 0, "fpr");
    assert_close(tpr, tpr_w, 5, 0, 0, "tpr");
    assert_close(thr, thr_w, 5, 0, 0, "thresholds");
    free(fpr), free(tpr), free(thr);
    /* balanced_accuracy_score docstring */
    const double bt[] = {0, 1, 0, 0, 1, 0}, bp[] = {0, 1, 0, 0, 0, 1};
    assert_int_equal(cml_balanced_accuracy(bt, bp, 6, NULL, &v), CML_OK);
    assert_true(v == 0.625);
    /* precision_recall_fscore_support docstring (cat=0, dog=1, pig=2) */
    const double ct[] = {0, 1, 2, 0, 1, 2}, cp[] = {0, 2, 1, 0, 0, 1};
    assert_int_equal(cml_precision_recall_f1(ct, cp, 6, NULL, CML_AVERAGE_MACRO, 1, &p, &r, &f),
                     CML_OK);
    assert_true(fabs(p - 2.0 / 9) < 1e-15 && fabs(r - 1.0 / 3) < 1e-15 &&
                fabs(f - 0.8 / 3) < 1e-15);
    assert_int_equal(cml_precision_recall_f1(ct, cp, 6, NULL, CML_AVERAGE_MICRO, 1, &p, &r, &f),
                     CML_OK);
    assert_true(fabs(p - 1.0 / 3) < 1e-15 && fabs(r - 1.0 / 3) < 1e-15);
    /* accuracy_score docstring */
    const double at[] = {0, 1, 2, 3}, ap[] = {0, 2, 1, 3};
    assert_int_equal(cml_accuracy(at, ap, 4, NULL, &v), CML_OK);
    assert_true(v == 0.5);
    /* regression docstrings */
    const double rt[] = {3, -0.5, 2, 7}, rp[] = {2.5, 0.0, 2, 8};
    assert_int_equal(cml_mse(rt, rp, 4, NULL, &v), CML_OK);
    assert_true(v == 0.375);
    assert_int_equal(cml_mae(rt, rp, 4, NULL, &v), CML_OK);
    assert_true(v == 0.5);
    assert_int_equal(cml_r2(rt, rp, 4, NULL, &v), CML_OK);
    assert_true(fabs(v - 0.9486081370449679) < 1e-15);
    assert_int_equal(cml_explained_variance(rt, rp, 4, NULL, &v), CML_OK);
    assert_true(fabs(v - 0.9571734475374732) < 1e-15);
    /* log_loss docstring: labels "ham"/"spam" as 0/1 */
    const double lt[] = {0, 1, 1, 0}, lp[] = {.9, .1, .1, .9, .2, .8, .65, .35}, lc[] = {0, 1};
    assert_int_equal(cml_log_loss(lt, lp, 4, lc, 2, NULL, &v), CML_OK);
    assert_true(fabs(v - 0.21616187468057912) < 1e-15);
    /* top_k_accuracy_score docstring */
    const double kt[] = {0, 1, 2, 2}, kc[] = {0, 1, 2};
    const double ks[] = {0.5, 0.2, 0.2, 0.3, 0.4, 0.2, 0.2, 0.4, 0.3, 0.7, 0.2, 0.1};
    assert_int_equal(cml_top_k_accuracy(kt, ks, 4, kc, 3, 2, NULL, &v), CML_OK);
    assert_true(v == 0.75);
}

/* Tied top scores: the larger class index ranks first (reversed stable
 * argsort), so class 2 wins a tie with class 0 at k = 1. */
static void test_top_k_ties(void **state)
{
    (void)state;
    const double c[] = {0, 1, 2}, s[] = {0.4, 0.2, 0.4};
    const double y0[] = {0}, y2[] = {2};
    double v;
    assert_int_equal(cml_top_k_accuracy(y2, s, 1, c, 3, 1, NULL, &v), CML_OK);
    assert_true(v == 1.0);
    assert_int_equal(cml_top_k_accuracy(y0, s, 1, c, 3, 1, NULL, &v), CML_OK);
    assert_true(v == 0.0);
    assert_int_equal(cml_top_k_accuracy(y0, s, 1, c, 3, 2, NULL, &v), CML_OK);
    assert_true(v == 1.0);
}

/* All scores tied: a single diagonal segment, AUC exactly one half. */
static void test_auc_all_tied(void **state)
{
    (void)state;
    const double y[] = {0, 1, 0, 1, 1}, s[] = {0.3, 0.3, 0.3, 0.3, 0.3};
    double v;
    assert_int_equal(cml_roc_auc(y, s, 5, NULL, &v), CML_OK);
    assert_true(v == 0.5);
    /* reversing the scores mirrors the AUC */
    const double s2[] = {0.9, 0.1, 0.8, 0.2, 0.3};
    assert_int_equal(cml_roc_auc(y, s2, 5, NULL, &v), CML_OK);
    assert_true(v == 0.0);
}

/* ------------------------------------------------------------- errors */

static void test_bad_sizes_and_nulls(void **state)
{
    (void)state;
    double v, *a, *b, *c;
    int64_t m;
    const double cl[] = {0, 1};
    assert_arg_error(cml_accuracy(yt4, sc4, 0, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_balanced_accuracy(yt4, sc4, -3, NULL, &v), "n must be >= 1");
    assert_arg_error(
        cml_precision_recall_f1(yt4, yt4, 0, NULL, CML_AVERAGE_MACRO, 1, &v, NULL, NULL),
        "n must be >= 1");
    assert_arg_error(cml_confusion_matrix(yt4, yt4, 0, NULL, &a, &m, &b), "n must be >= 1");
    assert_arg_error(cml_log_loss(yt4, sc4, 0, cl, 2, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_roc_auc(yt4, sc4, 0, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_roc_curve(yt4, sc4, 0, NULL, 1, &a, &b, &c, &m), "n must be >= 1");
    assert_arg_error(cml_roc_auc_ovr(yt4, sc4, 0, cl, 3, NULL, CML_AVERAGE_MACRO, &v),
                     "n must be >= 1");
    assert_arg_error(cml_top_k_accuracy(yt4, sc4, 0, cl, 2, 1, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_r2(yt4, sc4, 0, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_mse(yt4, sc4, 0, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_rmse(yt4, sc4, -1, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_mae(yt4, sc4, 0, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_explained_variance(yt4, sc4, 0, NULL, &v), "n must be >= 1");
    assert_arg_error(cml_accuracy(NULL, sc4, 4, NULL, &v), "y_true is NULL");
    assert_arg_error(cml_mse(yt4, NULL, 4, NULL, &v), "y_pred is NULL");
    assert_arg_error(cml_confusion_matrix(yt4, yt4, 4, NULL, NULL, &m, &b), "must not be NULL");
    assert_arg_error(cml_roc_curve(yt4, sc4, 4, NULL, 1, &a, NULL, &c, &m), "must not be NULL");
}

static void test_nan_inputs(void **state)
{
    (void)state;
    double v, *a, *b, *c;
    int64_t m;
    const double nan_y[] = {0, NAN, 1, 1}, inf_s[] = {0.1, 0.2, INFINITY, 0.3};
    const double w_nan[] = {1, 1, 1, NAN}, cl[] = {0, 1};
    const double p_nan[] = {0.5, 0.5, NAN, 0.5, 0.2, 0.8, 0.1, 0.9};
    assert_arg_error(cml_accuracy(nan_y, yt4, 4, NULL, &v), "y_true[1] is NaN");
    assert_arg_error(cml_accuracy(yt4, nan_y, 4, NULL, &v), "y_pred[1] is NaN");
    assert_arg_error(
        cml_precision_recall_f1(yt4, yt4, 4, w_nan, CML_AVERAGE_MACRO, 1, &v, NULL, NULL),
        "sample_weight[3] is NaN");
    assert_arg_error(cml_confusion_matrix(nan_y, yt4, 4, NULL, &a, &m, &b), "NaN");
    assert_arg_error(cml_roc_auc(yt4, inf_s, 4, NULL, &v), "score[2] is infinite");
    assert_arg_error(cml_roc_curve(nan_y, sc4, 4, NULL, 1, &a, &b, &c, &m), "NaN");
    assert_arg_error(cml_log_loss(yt4, p_nan, 4, cl, 2, NULL, &v), "proba[2] is NaN");
    assert_arg_error(cml_top_k_accuracy(yt4, p_nan, 4, cl, 2, 1, NULL, &v), "score[2] is NaN");
    assert_arg_error(cml_r2(yt4, nan_y, 4, NULL, &v), "NaN");
    assert_arg_error(cml_explained_variance(nan_y, yt4, 4, NULL, &v), "NaN");
    assert_arg_error(cml_mae(yt4, sc4, 4, w_nan, &v), "sample_weight[3] is NaN");
}

static void test_label_mismatches(void **state)
{
    (void)state;
    double v;
    const double cl2[] = {0, 1}, cl3[] = {0, 1, 2}, bad_order[] = {0, 2, 1};
    const double p2[] = {0.5, 0.5, 0.6, 0.4, 0.2, 0.8, 0.1, 0.9};
    /* log_loss: y_true label 5 is not a class (scikit-learn silently scores 0) */
    const double y5[] = {0, 1, 5, 1};
    assert_arg_error(cml_log_loss(y5, p2, 4, cl2, 2, NULL, &v), "y_true[2] = 5 is not one of");
    assert_arg_error(cml_log_loss(yt4, p2, 4, cl2, 1, NULL, &v), "n_classes must be >= 2");
    const double dup[] = {1, 1};
    assert_arg_error(cml_log_loss(yt4, p2, 4, dup, 2, NULL, &v), "strictly increasing");
    /* binary average: pos_label absent with two labels, or three labels */
    assert_arg_error(
        cml_precision_recall_f1(yt4, yt4, 4, NULL, CML_AVERAGE_BINARY, 2, &v, NULL, NULL),
        "pos_label=2 is not a valid label");
    const double y3[] = {0, 1, 2, 1};
    assert_arg_error(
        cml_precision_recall_f1(y3, y3, 4, NULL, CML_AVERAGE_BINARY, 1, &v, NULL, NULL),
        "average='binary'");
    assert_arg_error(cml_precision_recall_f1(y3, y3, 4, NULL, (cml_average)17, 1, &v, NULL, NULL),
                     "average must be");
    /* ROC AUC: one class, or three classes with a 1-D score */
    const double y1[] = {1, 1, 1, 1};
    assert_arg_error(cml_roc_auc(y1, sc4, 4, NULL, &v), "only one class present");
    assert_arg_error(cml_roc_auc(y3, sc4, 4, NULL, &v), "more than two labels");
    /* roc_curve without positives / negatives; every weight zero */
    double *a, *b, *c;
    int64_t m;
    assert_arg_error(cml_roc_curve(yt4, sc4, 4, NULL, 7, &a, &b, &c, &m), "no positive sample");
    assert_arg_error(cml_roc_curve(y1, sc4, 4, NULL, 1, &a, &b, &c, &m), "no negative sample");
    const double w0[] = {0, 0, 0, 0};
    assert_arg_error(cml_roc_curve(yt4, sc4, 4, w0, 1, &a, &b, &c, &m), "every sample_weight");
    /* one-vs-rest: rows not summing to one, a class never true, n_classes 2,
     * unsorted classes, micro/macro/weighted only */
    const double p3[] = {0.2, 0.3, 0.5, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4, 0.6, 0.2, 0.2};
    const double p3_bad[] = {0.2, 0.3, 0.6, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4, 0.6, 0.2, 0.2};
    assert_arg_error(cml_roc_auc_ovr(y3, p3_bad, 4, cl3, 3, NULL, CML_AVERAGE_MACRO, &v),
                     "row 0 of proba sums to");
    const double y01[] = {0, 1, 0, 1};
    assert_arg_error(cml_roc_auc_ovr(y01, p3, 4, cl3, 3, NULL, CML_AVERAGE_MACRO, &v),
                     "only one class present");
    assert_arg_error(cml_roc_auc_ovr(y01, p2, 4, cl2, 2, NULL, CML_AVERAGE_MACRO, &v),
                     "use cml_roc_auc");
    assert_arg_error(cml_roc_auc_ovr(y3, p3, 4, bad_order, 3, NULL, CML_AVERAGE_MACRO, &v),
                     "strictly increasing");
    assert_arg_error(cml_roc_auc_ovr(y3, p3, 4, cl3, 3, NULL, CML_AVERAGE_BINARY, &v),
                     "average must be macro, weighted or micro");
    const double y9[] = {0, 1, 9, 2};
    assert_arg_error(cml_roc_auc_ovr(y9, p3, 4, cl3, 3, NULL, CML_AVERAGE_MACRO, &v),
                     "y_true[2] = 9");
    /* top-k */
    assert_arg_error(cml_top_k_accuracy(y3, p3, 4, cl3, 3, 0, NULL, &v), "k must be >= 1");
    assert_arg_error(cml_top_k_accuracy(y9, p3, 4, cl3, 3, 1, NULL, &v), "y_true[2] = 9");
}

static void test_zero_weights(void **state)
{
    (void)state;
    double v;
    const double w0[] = {0, 0, 0, 0}, cl[] = {0, 1};
    const double p2[] = {0.5, 0.5, 0.6, 0.4, 0.2, 0.8, 0.1, 0.9};
    assert_arg_error(cml_accuracy(yt4, yt4, 4, w0, &v), "sums to zero");
    assert_arg_error(cml_mse(yt4, sc4, 4, w0, &v), "sums to zero");
    assert_arg_error(cml_log_loss(yt4, p2, 4, cl, 2, w0, &v), "sums to zero");
    assert_arg_error(cml_balanced_accuracy(yt4, yt4, 4, w0, &v), "nonzero total weight");
    /* weighted precision with no weighted true sample: 0 (zero_division) */
    assert_int_equal(
        cml_precision_recall_f1(yt4, yt4, 4, w0, CML_AVERAGE_WEIGHTED, 1, &v, NULL, NULL), CML_OK);
    assert_true(v == 0.0);
}

/* r2 with one sample is NaN (scikit-learn's value) with a warning. */
static int n_warnings;
static char last_warning[512];
static void on_log(cml_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level == CML_LOG_WARN) {
        n_warnings++;
        strncpy(last_warning, msg, sizeof last_warning - 1);
    }
}

static void test_warnings(void **state)
{
    (void)state;
    double v;
    cml_log_set(on_log, NULL);
    const double one[] = {2.0}, other[] = {3.0};
    n_warnings = 0;
    assert_int_equal(cml_r2(one, other, 1, NULL, &v), CML_OK);
    assert_true(isnan(v));
    assert_int_equal(n_warnings, 1);
    assert_non_null(strstr(last_warning, "two samples"));
    /* class 2 never predicted: its precision is 0 (zero_division) */
    const double t[] = {0, 1, 2, 2}, p[] = {0, 1, 1, 0};
    n_warnings = 0;
    assert_int_equal(cml_precision_recall_f1(t, p, 4, NULL, CML_AVERAGE_MACRO, 1, &v, NULL, NULL),
                     CML_OK);
    assert_true(v == 1.0 / 3);
    assert_int_equal(n_warnings, 1);
    assert_non_null(strstr(last_warning, "precision is ill-defined"));
    /* class 3 only in y_pred */
    const double p3[] = {0, 1, 2, 3};
    n_warnings = 0;
    assert_int_equal(cml_balanced_accuracy(t, p3, 4, NULL, &v), CML_OK);
    assert_int_equal(n_warnings, 1);
    assert_non_null(strstr(last_warning, "not in y_true"));
    cml_log_set(NULL, NULL);
}

/* Results never depend on scratch state: a repeated call is identical. */
static void test_repeatable(void **state)
{
    (void)state;
    double a, b;
    assert_int_equal(cml_roc_auc(yt4, sc4, 4, NULL, &a), CML_OK);
    assert_int_equal(cml_roc_auc(yt4, sc4, 4, NULL, &b), CML_OK);
    assert_memory_equal(&a, &b, sizeof a);
}

/* ------------------------------------------------------------- by name */

static void test_metric_table(void **state)
{
    (void)state;
    int n = 0;
    const cml_metric_def *defs = cml_metric_list(&n);
    assert_true(n >= 24);
    static const char *const required[] = {"accuracy",
                                           "balanced_accuracy",
                                           "precision_macro",
                                           "recall_macro",
                                           "f1_macro",
                                           "precision_micro",
                                           "recall_micro",
                                           "f1_micro",
                                           "precision_weighted",
                                           "recall_weighted",
                                           "f1_weighted",
                                           "precision",
                                           "recall",
                                           "f1",
                                           "roc_auc",
                                           "log_loss",
                                           "top_2_accuracy",
                                           "r2",
                                           "mse",
                                           "rmse",
                                           "mae",
                                           "explained_variance"};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        const cml_metric_def *d = cml_metric_find(required[i]);
        if (!d) fail_msg("metric %s missing", required[i]);
        assert_string_equal(d->name, required[i]);
        assert_true(d->doc && d->doc[0]);
    }
    for (int i = 0; i < n; i++)
        assert_ptr_equal(cml_metric_find(defs[i].name), &defs[i]);
    assert_true(cml_metric_find("log_loss")->needs_proba);
    assert_false(cml_metric_find("log_loss")->greater_is_better);
    assert_false(cml_metric_find("mse")->for_classification);
    assert_non_null(cml_metric_find("top_7_accuracy"));
    assert_null(cml_metric_find("top_0_accuracy"));
    assert_null(cml_metric_find("top_x_accuracy"));
    assert_null(cml_metric_find("top__accuracy"));
    assert_null(cml_metric_find("accuracy2"));
    assert_null(cml_metric_find(NULL));
    double v;
    assert_arg_error(cml_metric_compute("acuracy", yt4, yt4, NULL, NULL, 0, 4, NULL, &v),
                     "unknown metric 'acuracy'; valid metrics: accuracy,");
    assert_arg_error(cml_metric_compute("f2", yt4, yt4, NULL, NULL, 0, 4, NULL, &v),
                     "top_<k>_accuracy");
    assert_arg_error(cml_metric_compute("log_loss", yt4, yt4, NULL, NULL, 0, 4, NULL, &v),
                     "needs predicted probabilities");
    assert_arg_error(cml_metric_compute("mse", yt4, NULL, NULL, NULL, 0, 4, NULL, &v),
                     "needs predictions");
}

/* Every named metric equals the typed function it stands for, on the
 * golden iris (3 classes) and breast cancer (2 classes) predictions. */
static void compare_named(const golden *g, const char *c)
{
    char key[128];
    int64_t n, L;
    snprintf(key, sizeof key, "%s.y_true", c);
    const double *y = golden_get(g, key, NULL, &n);
    snprintf(key, sizeof key, "%s.y_pred", c);
    const double *p = golden_get(g, key, NULL, NULL);
    snprintf(key, sizeof key, "%s.proba", c);
    const double *pr = golden_get(g, key, NULL, NULL);
    snprintf(key, sizeof key, "%s.classes", c);
    const double *cl = golden_get(g, key, NULL, &L);
    snprintf(key, sizeof key, "%s.w", c);
    const double *w = golden_get(g, key, NULL, NULL);

    double got, want, pw, rw, fw;
    static const struct {
        const char *suffix;
        cml_average avg;
    } avgs[] = {{"_micro", CML_AVERAGE_MICRO},
                {"_macro", CML_AVERAGE_MACRO},
                {"_weighted", CML_AVERAGE_WEIGHTED},
                {"", CML_AVERAGE_BINARY}};
    for (int a = 0; a < 4; a++) {
        if (avgs[a].avg == CML_AVERAGE_BINARY && L > 2) continue;
        assert_int_equal(cml_precision_recall_f1(y, p, n, w, avgs[a].avg, 1.0, &pw, &rw, &fw),
                         CML_OK);
        const double wants[3] = {pw, rw, fw};
        static const char *const stems[3] = {"precision", "recall", "f1"};
        for (int s = 0; s < 3; s++) {
            snprintf(key, sizeof key, "%s%s", stems[s], avgs[a].suffix);
            assert_int_equal(cml_metric_compute(key, y, p, NULL, NULL, 0, n, w, &got), CML_OK);
            assert_true(got == wants[s]);
        }
    }
    assert_int_equal(cml_metric_compute("accuracy", y, p, NULL, NULL, 0, n, w, &got), CML_OK);
    assert_int_equal(cml_accuracy(y, p, n, w, &want), CML_OK);
    assert_true(got == want);
    assert_int_equal(cml_metric_compute("log_loss", y, NULL, pr, cl, L, n, w, &got), CML_OK);
    assert_int_equal(cml_log_loss(y, pr, n, cl, L, w, &want), CML_OK);
    assert_true(got == want);
    assert_int_equal(cml_metric_compute("roc_auc", y, NULL, pr, cl, L, n, w, &got), CML_OK);
    if (L == 2) {
        double *col = malloc(sizeof(double) * (size_t)n);
        for (int64_t i = 0; i < n; i++)
            col[i] = pr[2 * i + 1];
        assert_int_equal(cml_roc_auc(y, col, n, w, &want), CML_OK);
        free(col);
    } else {
        assert_int_equal(cml_roc_auc_ovr(y, pr, n, cl, L, w, CML_AVERAGE_MACRO, &want), CML_OK);
    }
    assert_true(got == want);
    assert_int_equal(cml_metric_compute("top_2_accuracy", y, NULL, pr, cl, L, n, w, &got), CML_OK);
    assert_int_equal(cml_top_k_accuracy(y, pr, n, cl, L, 2, w, &want), CML_OK);
    assert_true(got == want);
    assert_int_equal(cml_metric_compute("top_1_accuracy", y, NULL, pr, cl, L, n, NULL, &got),
                     CML_OK);
    assert_int_equal(cml_top_k_accuracy(y, pr, n, cl, L, 1, NULL, &want), CML_OK);
    assert_true(got == want);
}

static void test_metric_compute_matches_typed(void **state)
{
    (void)state;
    golden *g = golden_load("golden/metrics.txt");
    compare_named(g, "iris_logreg");
    compare_named(g, "bc_logreg");
    /* regression names on the diabetes predictions */
    int64_t n;
    const double *y = golden_get(g, "diab_linear.y_true", NULL, &n);
    const double *p = golden_get(g, "diab_linear.y_pred", NULL, NULL);
    static const char *const names[] = {"r2", "mse", "rmse", "mae", "explained_variance"};
    cml_status (*const fns[])(const double *, const double *, int64_t, const double *, double *) = {
        cml_r2, cml_mse, cml_rmse, cml_mae, cml_explained_variance};
    for (int m = 0; m < 5; m++) {
        double got, want;
        assert_int_equal(cml_metric_compute(names[m], y, p, NULL, NULL, 0, n, NULL, &got), CML_OK);
        assert_int_equal(fns[m](y, p, n, NULL, &want), CML_OK);
        assert_true(got == want);
    }
    /* binary names score pos_label 1: labels {0, 2} make it invalid */
    const double t02[] = {0, 2, 2, 0};
    double v;
    assert_arg_error(cml_metric_compute("f1", t02, t02, NULL, NULL, 0, 4, NULL, &v),
                     "pos_label=1 is not a valid label");
    golden_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docstring_examples),
        cmocka_unit_test(test_top_k_ties),
        cmocka_unit_test(test_auc_all_tied),
        cmocka_unit_test(test_bad_sizes_and_nulls),
        cmocka_unit_test(test_nan_inputs),
        cmocka_unit_test(test_label_mismatches),
        cmocka_unit_test(test_zero_weights),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_repeatable),
        cmocka_unit_test(test_metric_table),
        cmocka_unit_test(test_metric_compute_matches_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
