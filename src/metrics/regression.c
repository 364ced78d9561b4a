/*
 * regression.c — regression metrics: R^2, mean squared error, its root, mean
 * absolute error and explained variance.
 *
 * Definitions (scikit-learn 1.2.1, sklearn/metrics/_regression.py), with
 * d_i = y_i - yhat_i, w_i the sample weights and avg the weighted mean:
 *   mse  = avg(d^2)            rmse = sqrt(mse)          mae = avg(|d|)
 *   r2   = 1 - sum w d^2 / sum w (y - avg(y))^2
 *   explained variance = 1 - avg((d - avg(d))^2) / avg((y - avg(y))^2)
 * With force_finite=True (the default): a zero numerator gives 1 and a zero
 * denominator with a nonzero numerator gives 0, instead of NaN / -inf.
 * Each term is formed as scikit-learn writes it and summed in NumPy's
 * pairwise order (common.c), so the values match scikit-learn's bit for bit
 * in practice.
 *
 * Complexity O(n) time, O(n) scratch. Thread-safe.
 */
#include <math.h>

#include "metrics/metrics_internal.h"

/* What the per-sample term array holds before it is averaged. */
typedef enum term_kind { TERM_SQUARED, TERM_ABSOLUTE } term_kind;

/* avg over samples of d^2 or |d| (np.average of (y_true - y_pred) ** 2 or
 * np.abs(y_pred - y_true)). */
static cml_status mean_error(const double *y_true, const double *y_pred, int64_t n, const double *w,
                             term_kind kind, const char *fn, double *out)
{
    CML_CHECK(cml_m_check_inputs(y_true, y_pred, n, w, fn, "y_pred"));
    double *e = cml_alloc_array(n, sizeof *e);
    if (!e) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) {
        double d = y_true[i] - y_pred[i];
        e[i] = kind == TERM_SQUARED ? d * d : fabs(y_pred[i] - y_true[i]);
    }
    cml_status st = cml_m_average(e, w, n, fn, out);
    free(e);
    return st;
}

cml_status cml_mse(const double *y_true, const double *y_pred, int64_t n,
                   const double *sample_weight, double *out)
{
    return mean_error(y_true, y_pred, n, sample_weight, TERM_SQUARED, "mse", out);
}

cml_status cml_rmse(const double *y_true, const double *y_pred, int64_t n,
                    const double *sample_weight, double *out)
{
    double mse;
    CML_CHECK(mean_error(y_true, y_pred, n, sample_weight, TERM_SQUARED, "rmse", &mse));
    *out = sqrt(mse);
    return CML_OK;
}

cml_status cml_mae(const double *y_true, const double *y_pred, int64_t n,
                   const double *sample_weight, double *out)
{
    return mean_error(y_true, y_pred, n, sample_weight, TERM_ABSOLUTE, "mae", out);
}

/* _assemble_r2_explained_variance with force_finite=True. */
static double assemble_score(double numerator, double denominator)
{
    if (numerator == 0.0) return 1.0;
    if (denominator == 0.0) return 0.0;
    return 1.0 - numerator / denominator;
}

cml_status cml_r2(const double *y_true, const double *y_pred, int64_t n,
                  const double *sample_weight, double *out)
{
    static const char fn[] = "r2";
    CML_CHECK(cml_m_check_inputs(y_true, y_pred, n, sample_weight, fn, "y_pred"));
    if (n < 2) {
        cml_log(CML_LOG_WARN, "%s: R^2 score is not well-defined with less than two samples", fn);
        *out = NAN;
        return CML_OK;
    }
    double *e = cml_alloc_array(n, sizeof *e);
    if (!e) return CML_ERR_NOMEM;
    const double *w = sample_weight;
    double y_avg;
    cml_status st = cml_m_average(y_true, w, n, fn, &y_avg);
    if (st != CML_OK) goto fail;
    /* (weight * (y_true - y_pred) ** 2).sum(): weight is the scalar 1.0
     * without sample weights, and 1.0 * x == x */
    for (int64_t i = 0; i < n; i++) {
        double d = y_true[i] - y_pred[i];
        e[i] = w ? w[i] * (d * d) : d * d;
    }
    double num = cml_m_sum(e, n);
    for (int64_t i = 0; i < n; i++) {
        double d = y_true[i] - y_avg;
        e[i] = w ? w[i] * (d * d) : d * d;
    }
    double den = cml_m_sum(e, n);
    *out = assemble_score(num, den);
fail:
    free(e);
    return st;
}

cml_status cml_explained_variance(const double *y_true, const double *y_pred, int64_t n,
                                  const double *sample_weight, double *out)
{
    static const char fn[] = "explained_variance";
    CML_CHECK(cml_m_check_inputs(y_true, y_pred, n, sample_weight, fn, "y_pred"));
    double *e = cml_alloc_array(n, sizeof *e);
    if (!e) return CML_ERR_NOMEM;
    const double *w = sample_weight;
    double diff_avg, num, y_avg, den;
    cml_status st;
    for (int64_t i = 0; i < n; i++)
        e[i] = y_true[i] - y_pred[i];
    CML_TRY(cml_m_average(e, w, n, fn, &diff_avg));
    for (int64_t i = 0; i < n; i++) {
        double d = (y_true[i] - y_pred[i]) - diff_avg;
        e[i] = d * d;
    }
    CML_TRY(cml_m_average(e, w, n, fn, &num));
    CML_TRY(cml_m_average(y_true, w, n, fn, &y_avg));
    for (int64_t i = 0; i < n; i++) {
        double d = y_true[i] - y_avg;
        e[i] = d * d;
    }
    CML_TRY(cml_m_average(e, w, n, fn, &den));
    *out = assemble_score(num, den);
fail:
    free(e);
    return st;
}
