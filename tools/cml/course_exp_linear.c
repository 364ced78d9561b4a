/*
 * course_exp_linear.c — the experiments of the linear-model lessons, on the
 * diabetes data (442 patients, 10 measurements, disease progression after
 * one year; 75/25 split, seed 42, features standardized on the train part):
 *
 *  linear-regression: ordinary least squares vs Ridge (alpha = 10) vs Lasso
 *    (alpha = 2): test R² and RMSE, the coefficients side by side, how many
 *    Lasso set to exactly zero, predicted-vs-actual and residual plots, and
 *    the Lasso coefficient paths over alpha.
 *  polynomial-regression: disease progression from BMI alone with
 *    polynomials of degree 1..12: train and test RMSE per degree (where
 *    the test error turns up is overfitting) and the fitted curves.
 *
 * Everything goes through the generic cml_model layer (pipelines with
 * standard_scaler / polynomial_features steps) and cml metrics.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "course_exp.h"

/* Coefficients of the final estimator of a fitted linear pipeline. */
static const double *linear_coef(const cml_model *m)
{
    const char *name = cml_model_estimator(m)->name;
    const void *s = cml_model_state(m);
    if (!strcmp(name, "linear_regression")) return cml_linear_regression_coef(s, NULL);
    if (!strcmp(name, "ridge")) return cml_ridge_coef(s, NULL);
    if (!strcmp(name, "lasso")) return cml_lasso_coef(s, NULL);
    return NULL;
}

static cml_status exp_linear_regression(course_run *r)
{
    static const char *const algos[] = {"linear_regression", "ridge", "lasso"};
    static const char *const params[] = {"", "alpha=10", "alpha=2"};
    static const char *const names[] = {"OLS", "Ridge (alpha=10)", "Lasso (alpha=2)"};
    cr_data d;
    cr_split s;
    cml_model *m[3] = {NULL, NULL, NULL};
    double *pred[3] = {NULL, NULL, NULL}, *paths = NULL, *alphas = NULL, *resid = NULL;
    cml_status st = cr_load(r, "diabetes", NULL, &d);
    if (st != CML_OK) return st;
    if ((st = cr_split_make(&d, 0.25, 0, 42, &s)) != CML_OK) goto done;
    cr_progress(r, 0.1, "fitting OLS, Ridge and Lasso on %lld patients", (long long)s.ntr);
    for (int k = 0; k < 3; k++) {
        if ((st = cr_model(algos[k], params[k], 1, &m[k])) != CML_OK) goto done;
        if ((st = cr_fit_predict(m[k], &s, &pred[k])) != CML_OK) goto done;
        double r2, rmse;
        if ((st = cml_r2(s.yte, pred[k], s.nte, NULL, &r2)) != CML_OK) goto done;
        if ((st = cml_rmse(s.yte, pred[k], s.nte, NULL, &rmse)) != CML_OK) goto done;
        static const char *const keys[][2] = {{"r2_test_ols", "rmse_test_ols"},
                                              {"r2_test_ridge", "rmse_test_ridge"},
                                              {"r2_test_lasso", "rmse_test_lasso"}};
        char l1[96], l2[96];
        snprintf(l1, sizeof l1, "%s: R² on the test set", names[k]);
        snprintf(l2, sizeof l2, "%s: RMSE on the test set", names[k]);
        if ((st = cr_metric(r, keys[k][0], l1, r2)) != CML_OK) goto done;
        if ((st = cr_metric(r, keys[k][1], l2, rmse)) != CML_OK) goto done;
    }
    const double *c[3];
    for (int k = 0; k < 3; k++)
        if (!(c[k] = linear_coef(m[k]))) {
            st = cml_fail(CML_ERR_INTERNAL, "course: no coefficients");
            goto done;
        }
    static const char *const cols[] = {"feature", "OLS", "Ridge", "Lasso"};
    if ((st = cr_table(r, 4, cols)) != CML_OK) goto done;
    int zeros = 0, biggest = 0;
    for (int64_t j = 0; j < s.p; j++) {
        if ((st = cr_row(r, "%s\t%.2f\t%.2f\t%.2f", d.X->columns[j].name, c[0][j], c[1][j],
                         c[2][j])) != CML_OK)
            goto done;
        zeros += c[2][j] == 0.0;
        if (fabs(c[0][j]) > fabs(c[0][biggest])) biggest = (int)j;
    }
    double shrink = 0, norm = 0;
    for (int64_t j = 0; j < s.p; j++) {
        shrink += c[1][j] * c[1][j];
        norm += c[0][j] * c[0][j];
    }
    if ((st = cr_metric(r, "lasso_zero_coefs", "Lasso: coefficients exactly zero", zeros)) !=
        CML_OK)
        goto done;
    if ((st = cr_note(r, "Lasso set %d of %lld coefficients to exactly zero.", zeros,
                      (long long)s.p)) != CML_OK)
        goto done;
    if ((st = cr_note(r,
                      "Ridge shrank the coefficient vector to %.0f%% of the OLS length "
                      "(L2 norm %.1f vs %.1f).",
                      100 * sqrt(shrink / norm), sqrt(shrink), sqrt(norm))) != CML_OK)
        goto done;
    if ((st = cr_note(r, "The largest OLS coefficient is %s (%.1f per standard deviation).",
                      d.X->columns[biggest].name, c[0][biggest])) != CML_OK)
        goto done;

    /* predicted vs actual, residuals */
    cr_progress(r, 0.4, "plotting predictions and residuals");
    if (!(resid = malloc(sizeof *resid * (size_t)s.nte))) {
        st = cml_fail(CML_ERR_NOMEM, "course: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < s.nte; i++)
        resid[i] = s.yte[i] - pred[0][i];
    if ((st = cml_plot_scatter(cr_path(r, "fitted_vs_true.png"), s.yte, pred[0], s.nte, NULL, NULL,
                               "OLS on diabetes: fitted vs true (test set)", "true progression",
                               "fitted progression")) != CML_OK ||
        (st = cr_plot(r, "fitted_vs_true.png", "Fitted vs true (OLS, test set)")))
        goto done;
    if ((st = cml_plot_scatter(cr_path(r, "residuals.png"), pred[0], resid, s.nte, NULL, NULL,
                               "OLS residuals (test set): no pattern is good news",
                               "predicted progression", "actual - predicted")) != CML_OK ||
        (st = cr_plot(r, "residuals.png", "Residuals vs prediction (OLS, test set)")))
        goto done;

    /* Lasso path: coefficient j against log10(alpha) */
    int n_alpha = r->quick ? 8 : 30;
    alphas = malloc(sizeof *alphas * (size_t)n_alpha);
    paths = malloc(sizeof *paths * (size_t)(n_alpha * s.p));
    if (!alphas || !paths) {
        st = cml_fail(CML_ERR_NOMEM, "course: out of memory");
        goto done;
    }
    for (int a = 0; a < n_alpha; a++) {
        double la = -2 + 4.0 * a / (n_alpha - 1); /* alpha from 0.01 to 100 */
        char prm[64];
        snprintf(prm, sizeof prm, "alpha=%.17g", pow(10, la));
        alphas[a] = la;
        cml_model *lm = NULL;
        cml_matrix A = cr_train(&s);
        if ((st = cr_model("lasso", prm, 1, &lm)) != CML_OK) goto done;
        st = cml_model_fit(lm, &A, s.ytr, NULL);
        const double *lc = st == CML_OK ? linear_coef(lm) : NULL;
        for (int64_t j = 0; lc && j < s.p; j++)
            paths[j * n_alpha + a] = lc[j];
        cml_model_free(lm);
        if (st != CML_OK) goto done;
        cr_progress(r, 0.5 + 0.45 * (a + 1) / n_alpha, "Lasso path: alpha %d of %d", a + 1,
                    n_alpha);
    }
    const char *series[32];
    for (int64_t j = 0; j < s.p && j < 32; j++)
        series[j] = d.X->columns[j].name;
    if ((st = cml_plot_lines(cr_path(r, "lasso_path.png"), alphas, paths, (int)s.p, n_alpha, series,
                             "Lasso coefficient paths: larger alpha, more exact zeros",
                             "log10(alpha)", "coefficient (standardized feature)")) != CML_OK ||
        (st = cr_plot(r, "lasso_path.png", "Lasso coefficient paths over alpha")))
        goto done;
done:
    for (int k = 0; k < 3; k++) {
        cml_model_free(m[k]);
        free(pred[k]);
    }
    free(paths);
    free(alphas);
    free(resid);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

/* degree-d polynomial of standardized BMI, standardized again so high
 * powers stay well scaled for the least-squares solve */
static cml_status poly_model(int degree, cml_model **out)
{
    char prm[64];
    cml_model *m = NULL, *step = NULL;
    cml_status st = cml_model_create("linear_regression", &m);
    const char *steps[] = {"standard_scaler", "polynomial_features", "standard_scaler"};
    for (int k = 0; k < 3 && st == CML_OK; k++) {
        if ((st = cml_model_create(steps[k], &step)) != CML_OK) break;
        if (k == 1) {
            snprintf(prm, sizeof prm, "%d", degree);
            st = cml_model_set_param(step, "degree", prm);
            if (st == CML_OK) st = cml_model_set_param(step, "include_bias", "false");
            if (st != CML_OK) {
                cml_model_free(step);
                break;
            }
        }
        st = cml_model_add_step(m, step);
    }
    if (st != CML_OK) {
        cml_model_free(m);
        return st;
    }
    *out = m;
    return CML_OK;
}

static cml_status exp_polynomial_regression(course_run *r)
{
    enum { MAX_DEG = 12, GRID = 120 };
    cr_data d;
    cr_split s = {0};
    double *xtr = NULL, *xte = NULL, *ptr = NULL, *pte = NULL;
    double curves[3 * GRID], grid[GRID], err[2 * MAX_DEG], degs[MAX_DEG];
    static const int shown[3] = {1, 3, 12};
    cml_status st = cr_load(r, "diabetes", NULL, &d);
    if (st != CML_OK) return st;
    int64_t bmi = cml_table_find(d.X, "bmi");
    if (bmi < 0) {
        st = cml_fail(CML_ERR_FORMAT, "diabetes.csv: no column bmi");
        goto done;
    }
    if ((st = cr_split_make(&d, 0.25, 0, 42, &s)) != CML_OK) goto done;
    xtr = malloc(sizeof *xtr * (size_t)s.ntr);
    xte = malloc(sizeof *xte * (size_t)s.nte);
    ptr = malloc(sizeof *ptr * (size_t)s.ntr);
    pte = malloc(sizeof *pte * (size_t)s.nte);
    if (!xtr || !xte || !ptr || !pte) {
        st = cml_fail(CML_ERR_NOMEM, "course: out of memory");
        goto done;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < s.ntr; i++) {
        xtr[i] = s.Xtr[i * s.p + bmi];
        lo = fmin(lo, xtr[i]);
        hi = fmax(hi, xtr[i]);
    }
    for (int64_t i = 0; i < s.nte; i++)
        xte[i] = s.Xte[i * s.p + bmi];
    for (int g = 0; g < GRID; g++)
        grid[g] = lo + (hi - lo) * g / (GRID - 1);
    cml_matrix A = cml_matrix_view(xtr, s.ntr, 1), B = cml_matrix_view(xte, s.nte, 1),
               G = cml_matrix_view(grid, GRID, 1);
    static const char *const cols[] = {"degree", "train RMSE", "test RMSE", "test R²"};
    if ((st = cr_table(r, 4, cols)) != CML_OK) goto done;
    int max_deg = r->quick ? 6 : MAX_DEG, best = 1;
    for (int deg = 1; deg <= max_deg; deg++) {
        cml_model *m = NULL;
        double rtr, rte, r2;
        if ((st = poly_model(deg, &m)) != CML_OK) goto done;
        st = cml_model_fit(m, &A, s.ytr, NULL);
        if (st == CML_OK) st = cml_model_predict(m, &A, ptr);
        if (st == CML_OK) st = cml_model_predict(m, &B, pte);
        for (int k = 0; k < 3 && st == CML_OK; k++)
            if (shown[k] == deg || (r->quick && k == 2 && deg == max_deg))
                st = cml_model_predict(m, &G, curves + k * GRID);
        cml_model_free(m);
        if (st == CML_OK) st = cml_rmse(s.ytr, ptr, s.ntr, NULL, &rtr);
        if (st == CML_OK) st = cml_rmse(s.yte, pte, s.nte, NULL, &rte);
        if (st == CML_OK) st = cml_r2(s.yte, pte, s.nte, NULL, &r2);
        if (st != CML_OK) goto done;
        degs[deg - 1] = deg;
        err[deg - 1] = rtr;
        err[max_deg + deg - 1] = rte;
        if (rte < err[max_deg + best - 1]) best = deg;
        if ((st = cr_row(r, "%d\t%.2f\t%.2f\t%.3f", deg, rtr, rte, r2)) != CML_OK) goto done;
        cr_progress(r, 0.9 * deg / max_deg, "degree %d of %d", deg, max_deg);
    }
    /* the train error falls with every degree; the test error tells */
    if ((st = cr_metric(r, "rmse_test_best", "test RMSE at the best degree",
                        err[max_deg + best - 1])) ||
        (st = cr_metric(r, "best_degree", "degree with the lowest test RMSE", best)) ||
        (st = cr_metric(r, "rmse_test_degree1", "test RMSE of the straight line (degree 1)",
                        err[max_deg])) ||
        (st = cr_metric(r, "rmse_test_max_degree", "test RMSE at the highest degree",
                        err[2 * max_deg - 1])) ||
        (st = cr_metric(r, "rmse_train_max_degree", "train RMSE at the highest degree",
                        err[max_deg - 1])))
        goto done;
    if ((st = cr_note(r,
                      "Going from degree 1 to %d lowered the train RMSE from %.2f to %.2f while "
                      "the test RMSE went from %.2f to %.2f.",
                      max_deg, err[0], err[max_deg - 1], err[max_deg], err[2 * max_deg - 1])))
        goto done;
    if ((st = cr_note(r, "The lowest test RMSE (%.2f) is at degree %d.", err[max_deg + best - 1],
                      best)))
        goto done;
    static const char *const en[] = {"train RMSE", "test RMSE"};
    if ((st = cml_plot_lines(cr_path(r, "error_vs_degree.png"), degs, err, 2, max_deg, en,
                             "Polynomial degree vs error (diabetes, BMI only)", "polynomial degree",
                             "RMSE")) ||
        (st = cr_plot(r, "error_vs_degree.png", "Train and test RMSE vs polynomial degree")))
        goto done;
    char n3[32];
    snprintf(n3, sizeof n3, "degree %d", r->quick ? max_deg : shown[2]);
    const char *cn[] = {"degree 1", "degree 3", n3};
    if ((st = cml_plot_lines(cr_path(r, "fitted_curves.png"), grid, curves, 3, GRID, cn,
                             "Fitted curves: progression as a polynomial of BMI", "BMI",
                             "predicted progression")) ||
        (st = cr_plot(r, "fitted_curves.png", "Fitted polynomials of BMI")))
        goto done;
    if ((st = cml_plot_scatter(cr_path(r, "data.png"), xtr, s.ytr, s.ntr, NULL, NULL,
                               "The training data: BMI vs disease progression", "BMI",
                               "progression after one year")) ||
        (st = cr_plot(r, "data.png", "The training data")))
        goto done;
done:
    free(xtr);
    free(xte);
    free(ptr);
    free(pte);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

const course_experiment course_exp_linear_regression = {"linear-regression", "diabetes",
                                                        exp_linear_regression};
const course_experiment course_exp_polynomial_regression = {"polynomial-regression", "diabetes",
                                                            exp_polynomial_regression};
