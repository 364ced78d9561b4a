/*
 * course_exp_boosting.c — the gradient-boosting lesson: cml's histogram
 * GBM regressor (XGBoost's parameters) on the diamonds data (53,940 stones;
 * carat, cut, colour, clarity, dimensions; target price), split 60/20/20
 * into train / validation / test with seed 42. Early stopping watches the
 * validation RMSE (30 rounds of patience).
 *
 * Reports: test RMSE and R², rounds kept, learning curves (train and
 * validation RMSE per round) for a high (0.3) and a low (0.05) learning
 * rate, and the features ranked by total split gain. --quick uses a 10%
 * sample of the stones and fewer rounds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "course_exp.h"

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

static cml_status exp_gradient_boosting(course_run *r)
{
    static const double rates[2] = {0.3, 0.05};
    cr_data d;
    cr_split outer = {0}, inner = {0};
    cml_model *m[2] = {NULL, NULL};
    double *curves = NULL, *xs = NULL, *pred = NULL, *imp = NULL;
    int64_t *idx = NULL;
    cml_status st = cr_load(r, "diamonds", "price", &d);
    if (st != CML_OK) return st;
    if (r->quick) { /* a 10% sample: the "test" part of a 90/10 split */
        cr_split sample;
        if ((st = cr_split_make(&d, 0.1, 0, 7, &sample))) goto done;
        cml_table t = {sample.nte, d.p, sample.Xte, NULL}; /* a view: only the matrix is read */
        cr_data small = {&t, sample.yte, sample.nte, d.p};
        st = cr_split_make(&small, 0.2, 0, 42, &outer);
        cr_split_free(&sample);
    } else {
        st = cr_split_make(&d, 0.2, 0, 42, &outer);
    }
    if (st != CML_OK) goto done;
    /* validation: a quarter of the remaining 80% (20% of all) */
    {
        cr_data rest = {NULL, outer.ytr, outer.ntr, outer.p};
        cml_table t = {outer.ntr, outer.p, outer.Xtr, NULL};
        rest.X = &t;
        if ((st = cr_split_make(&rest, 0.25, 0, 42, &inner))) goto done;
    }
    int n_est = r->quick ? 200 : 1000;
    cml_matrix A = cr_train(&inner), V = cr_test(&inner), T = cr_test(&outer);
    cml_fit_opts opts = {NULL, &V, inner.yte};
    int n_hist[2] = {0, 0}, best[2] = {0, 0};
    const double *hist[2][2];
    for (int k = 0; k < 2; k++) {
        char prm[128];
        snprintf(prm, sizeof prm,
                 "n_estimators=%d;learning_rate=%g;early_stopping_rounds=30;random_state=0", n_est,
                 rates[k]);
        if ((st = cr_model("gbm_regressor", prm, 0, &m[k]))) goto done;
        cr_progress(r, 0.05 + 0.45 * k, "boosting with learning rate %g on %lld stones", rates[k],
                    (long long)inner.ntr);
        if ((st = cml_model_fit(m[k], &A, inner.ytr, &opts))) goto done;
        const cml_gbm *g = cml_model_state(m[k]);
        hist[k][0] = cml_gbm_eval_history(g, 0, &n_hist[k]);
        hist[k][1] = cml_gbm_eval_history(g, 1, &n_hist[k]);
        best[k] = cml_gbm_best_iteration(g);
        if (!hist[k][0] || !hist[k][1]) {
            st = cml_fail(CML_ERR_INTERNAL, "course: no evaluation history");
            goto done;
        }
    }
    /* test scores of the high-rate model (the library's default rate) */
    if (!(pred = malloc(sizeof *pred * (size_t)outer.nte))) {
        st = oom();
        goto done;
    }
    double rmse[2], r2[2];
    for (int k = 0; k < 2; k++)
        if ((st = cml_model_predict(m[k], &T, pred)) ||
            (st = cml_rmse(outer.yte, pred, outer.nte, NULL, &rmse[k])) ||
            (st = cml_r2(outer.yte, pred, outer.nte, NULL, &r2[k])))
            goto done;
    const cml_gbm *g0 = cml_model_state(m[0]), *g1 = cml_model_state(m[1]);
    if ((st = cr_metric(r, "rmse_test", "test RMSE in dollars (learning rate 0.3)", rmse[0])) ||
        (st = cr_metric(r, "r2_test", "test R² (learning rate 0.3)", r2[0])) ||
        (st = cr_metric(r, "rounds_kept", "rounds kept by early stopping (rate 0.3)",
                        cml_gbm_n_rounds(g0))) ||
        (st = cr_metric(r, "rmse_test_low_rate", "test RMSE (learning rate 0.05)", rmse[1])) ||
        (st =
             cr_metric(r, "rounds_kept_low_rate", "rounds kept (rate 0.05)", cml_gbm_n_rounds(g1))))
        goto done;
    for (int k = 0; k < 2; k++)
        if ((st = cr_note(r,
                          "Learning rate %g: validation RMSE was best at round %d (%.1f); "
                          "training ran %d rounds, and the test RMSE is %.1f.",
                          rates[k], best[k] + 1, hist[k][1][best[k]], n_hist[k], rmse[k])))
            goto done;

    /* learning curves of both rates over the longer run (NaN pads) */
    int len = n_hist[0] > n_hist[1] ? n_hist[0] : n_hist[1];
    curves = malloc(sizeof *curves * (size_t)(4 * len));
    xs = malloc(sizeof *xs * (size_t)len);
    if (!curves || !xs) {
        st = oom();
        goto done;
    }
    for (int i = 0; i < len; i++) {
        xs[i] = i + 1;
        for (int k = 0; k < 2; k++)
            for (int set = 0; set < 2; set++)
                curves[(2 * k + set) * len + i] = i < n_hist[k] ? hist[k][set][i] : NAN;
    }
    static const char *const sn[] = {"rate 0.3, train", "rate 0.3, validation", "rate 0.05, train",
                                     "rate 0.05, validation"};
    char title[160];
    snprintf(title, sizeof title,
             "GBM on diamonds: RMSE per round (early stopping kept %d and %d rounds)",
             cml_gbm_n_rounds(g0), cml_gbm_n_rounds(g1));
    if ((st = cml_plot_lines(cr_path(r, "learning_curves.png"), xs, curves, 4, len, sn, title,
                             "boosting round", "RMSE (dollars)")) ||
        (st = cr_plot(r, "learning_curves.png", "Learning curves for two learning rates")))
        goto done;

    /* features by total gain */
    imp = malloc(sizeof *imp * (size_t)d.p);
    idx = malloc(sizeof *idx * (size_t)d.p);
    if (!imp || !idx) {
        st = oom();
        goto done;
    }
    if ((st = cml_gbm_feature_importances(g0, CML_GBM_IMP_TOTAL_GAIN, imp))) goto done;
    double total = 0;
    for (int64_t j = 0; j < d.p; j++) {
        total += imp[j];
        idx[j] = j;
    }
    for (int64_t i = 1; i < d.p; i++) /* insertion sort by gain, largest first */
        for (int64_t j = i; j > 0 && imp[idx[j]] > imp[idx[j - 1]]; j--) {
            int64_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    static const char *const cols[] = {"rank", "feature", "share of total gain"};
    if ((st = cr_table(r, 3, cols))) goto done;
    for (int64_t i = 0; i < d.p; i++)
        if ((st = cr_row(r, "%lld\t%s\t%.3f", (long long)(i + 1), d.X->columns[idx[i]].name,
                         total > 0 ? imp[idx[i]] / total : 0)))
            goto done;
    if ((st = cr_note(r, "%s carries %.0f%% of the total split gain.", d.X->columns[idx[0]].name,
                      total > 0 ? 100 * imp[idx[0]] / total : 0)))
        goto done;
done:
    for (int k = 0; k < 2; k++)
        cml_model_free(m[k]);
    free(curves);
    free(xs);
    free(pred);
    free(imp);
    free(idx);
    cr_split_free(&inner);
    cr_split_free(&outer);
    cr_data_free(&d);
    return st;
}

const course_experiment course_exp_gradient_boosting = {"gradient-boosting", "diamonds",
                                                        exp_gradient_boosting};
