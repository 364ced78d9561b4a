/*
 * gbm_ts.c — CatBoost's ordered target statistics for categorical features
 * (Prokhorenkova et al., "CatBoost: unbiased boosting with categorical
 * features", NeurIPS 2018, sec. 3.2 "ordered TS"), the gbm's
 * cat_encoding=ordered_ts.
 *
 * Fit: draw one random permutation sigma of the training rows (cml_rng,
 * seeded by random_state); walking the rows in that order, row i's
 * category c is replaced by
 *     TS_i = (sum of y_j over the rows j before i in sigma with x_j = c + a p)
 *            / (count of those rows + a)
 * (a = prior_weight > 0, p = prior, by default the mean of y), so a row's
 * encoding never sees its own target: the target leakage that a greedy
 * (all-rows) statistic has — and the prediction shift it causes — is gone.
 * Predict: the statistic over all training rows, (S_c + a p) / (N_c + a);
 * a category never seen at fit (and any code out of the table) gets p; NaN
 * stays NaN (the trees' missing direction). The encoded columns are then
 * ordinary numeric features for the histogram trees.
 *
 * Targets: the regression y, or for a binary classifier the indicator of
 * the second class (CatBoost's Borders/Counter CTRs for multi-class keep one
 * statistic per class; cml does not: multi-class is refused).
 *
 * Complexity O(rows * categorical features) plus one table of (largest
 * code + 1) doubles per feature. Thread-safety: pure functions; the tables
 * are read-only after fit.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "ensemble/gbm_internal.h"

void gbm_ts_free(gbm_ts *ts)
{
    if (!ts) return;
    free(ts->feature);
    free(ts->ptr);
    free(ts->values);
    memset(ts, 0, sizeof *ts);
}

cml_status gbm_ts_fit(const cml_matrix *X, const double *t, const uint8_t *is_cat, double prior,
                      double prior_weight, uint64_t seed, double *Xenc, gbm_ts *out)
{
    const int64_t n = X->rows, F = X->cols;
    cml_status st = CML_OK;
    int64_t *perm = NULL;
    double *sum = NULL, *cnt = NULL;
    memset(out, 0, sizeof *out);
    out->prior = prior;
    for (int64_t i = 0; i < n; i++)
        memcpy(Xenc + i * F, X->data + i * X->ld, (size_t)F * sizeof *Xenc);
    int64_t nf = 0, total = 0;
    for (int64_t f = 0; f < F; f++)
        if (is_cat[f]) {
            double mx = -1;
            for (int64_t i = 0; i < n; i++)
                mx = fmax(mx, X->data[i * X->ld + f]); /* fmax skips NaN */
            total += (int64_t)mx + 1;
            nf++;
        }
    if (nf == 0) return CML_OK;
    out->feature = cml_alloc_array(nf, sizeof *out->feature);
    out->ptr = cml_alloc_array(nf + 1, sizeof *out->ptr);
    out->values = cml_alloc_array(CML_MAX(total, 1), sizeof *out->values);
    perm = cml_alloc_array(n, sizeof *perm);
    if (!out->feature || !out->ptr || !out->values || !perm) goto nomem;
    cml_rng rng;
    cml_rng_seed(&rng, seed);
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        const int64_t j = (int64_t)cml_rng_below(&rng, (uint64_t)(i + 1));
        const int64_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    out->ptr[0] = 0;
    for (int64_t f = 0; f < F; f++) {
        if (!is_cat[f]) continue;
        const int64_t k = out->n; /* its table: values[ptr[k] .. ptr[k + 1]) */
        double mx = -1;
        for (int64_t i = 0; i < n; i++)
            mx = fmax(mx, X->data[i * X->ld + f]);
        const int64_t nc = (int64_t)mx + 1;
        sum = cml_calloc((size_t)CML_MAX(nc, 1), sizeof *sum);
        cnt = cml_calloc((size_t)CML_MAX(nc, 1), sizeof *cnt);
        if (!sum || !cnt) goto nomem;
        for (int64_t r = 0; r < n; r++) { /* ordered: rows before i in perm only */
            const int64_t i = perm[r];
            const double x = X->data[i * X->ld + f];
            if (isnan(x)) continue;
            const int64_t c = (int64_t)x;
            Xenc[i * F + f] = (sum[c] + prior_weight * prior) / (cnt[c] + prior_weight);
            sum[c] += t[i];
            cnt[c] += 1.0;
        }
        double *v = out->values + out->ptr[k];
        for (int64_t c = 0; c < nc; c++)
            v[c] = (sum[c] + prior_weight * prior) / (cnt[c] + prior_weight);
        free(sum);
        free(cnt);
        sum = cnt = NULL;
        out->feature[k] = (int32_t)f;
        out->ptr[k + 1] = out->ptr[k] + nc;
        out->n++;
    }
    free(perm);
    return CML_OK;
nomem:
    st = CML_ERR_NOMEM;
    free(perm);
    free(sum);
    free(cnt);
    gbm_ts_free(out);
    return st;
}

cml_status gbm_ts_apply(const gbm_ts *ts, const cml_matrix *X, double **out)
{
    const int64_t n = X->rows, F = X->cols;
    double *Y = cml_alloc_array(CML_MAX(n * F, 1), sizeof *Y);
    if (!Y) return CML_ERR_NOMEM;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (n > 8192)
    for (int64_t i = 0; i < n; i++) {
        double *y = Y + i * F;
        memcpy(y, X->data + i * X->ld, (size_t)F * sizeof *y);
        for (int64_t k = 0; k < ts->n; k++) {
            const int32_t f = ts->feature[k];
            const double x = y[f];
            const int64_t nc = ts->ptr[k + 1] - ts->ptr[k];
            if (isnan(x)) continue;
            /* (int64_t) truncates as the categorical splits do */
            y[f] = (x >= 0 && x < (double)nc) ? ts->values[ts->ptr[k] + (int64_t)x] : ts->prior;
        }
    }
    *out = Y;
    return CML_OK;
}
