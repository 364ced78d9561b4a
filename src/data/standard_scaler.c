/*
 * standard_scaler.c — StandardScaler: z_ij = (x_ij - mean_j) / scale_j.
 *
 * Fit mirrors scikit-learn 1.2's StandardScaler.partial_fit on a first call
 * (sklearn.utils.extmath._incremental_mean_and_var): per feature j over its
 * n_j non-NaN values,
 *     mean_j = sum_i x_ij / n_j
 *     var_j  = (sum_i (x_ij - mean_j)^2 - (sum_i (x_ij - mean_j))^2 / n_j) / n_j
 * the corrected two-pass algorithm of Chan, Golub & LeVeque, "Algorithms for
 * computing the sample variance: analysis and recommendations" (1983): the
 * second term removes the rounding error of the first pass's mean. Sums run
 * row by row in input order, as numpy's axis-0 reduction does, so results
 * match sklearn to the last bit or nearly. scale_j = sqrt(var_j), set to 1
 * for a feature indistinguishable from a constant (sklearn's
 * _is_constant_feature bound: var <= n eps var + (n mean eps)^2).
 * NaN: ignored by fit, kept by transform (sklearn's allow-nan).
 *
 * Complexity: fit O(rows * cols) in two passes, transform O(rows * cols).
 * Thread-safety: a fitted scaler is immutable; transform allocates nothing.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/preprocess.h"
#include "core/internal.h"
#include "data/transform_common.h"

static const char NAME[] = "standard_scaler";

struct cml_standard_scaler {
    int64_t n_features;
    int with_mean, with_std;
    double *mean;    /* (n_features), NULL when !with_mean && !with_std */
    double *var;     /* (n_features), NULL when !with_std */
    double *scale;   /* (n_features), NULL when !with_std */
    int64_t *n_seen; /* (n_features) non-NaN count */
};

#define P(f) offsetof(cml_standard_scaler_params, f)
static const cml_param_def defs[] = {
    {"with_mean", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "centre each feature: subtract its mean before scaling", P(with_mean)},
    {"with_std", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "scale each feature to unit variance (divide by its standard deviation)", P(with_std)},
};
#undef P
#define N_DEFS ((int)(sizeof defs / sizeof defs[0]))

cml_standard_scaler_params cml_standard_scaler_params_default(void)
{
    cml_standard_scaler_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(defs, N_DEFS, &p);
    return p;
}

const char *cml_standard_scaler_params_check(const cml_standard_scaler_params *p)
{
    return cml_params_check(defs, N_DEFS, p);
}

void cml_standard_scaler_free(cml_standard_scaler *s)
{
    if (!s) return;
    free(s->mean);
    free(s->var);
    free(s->scale);
    free(s->n_seen);
    free(s);
}

/* Allocates the arrays the flags call for. */
static cml_status scaler_new(int64_t d, int with_mean, int with_std, cml_standard_scaler **out)
{
    cml_standard_scaler *s = cml_calloc(1, sizeof *s);
    *out = NULL;
    if (!s) return CML_ERR_NOMEM;
    s->n_features = d;
    s->with_mean = with_mean;
    s->with_std = with_std;
    s->n_seen = cml_alloc_array(d, sizeof *s->n_seen);
    if (!s->n_seen) goto fail;
    if (with_mean || with_std) {
        s->mean = cml_alloc_array(d, sizeof *s->mean);
        if (!s->mean) goto fail;
    }
    if (with_std) {
        s->var = cml_alloc_array(d, sizeof *s->var);
        s->scale = cml_alloc_array(d, sizeof *s->scale);
        if (!s->var || !s->scale) goto fail;
    }
    *out = s;
    return CML_OK;
fail:
    cml_standard_scaler_free(s);
    return CML_ERR_NOMEM;
}

/* sklearn's _is_constant_feature, evaluated in the same order. */
static int is_constant_feature(double var, double mean, int64_t n)
{
    double nd = (double)n;
    double upper = nd * DBL_EPSILON * var + (nd * mean * DBL_EPSILON) * (nd * mean * DBL_EPSILON);
    return var <= upper;
}

cml_status cml_standard_scaler_fit(const cml_standard_scaler_params *p, const cml_matrix *X,
                                   cml_standard_scaler **out)
{
    *out = NULL;
    const char *msg = cml_standard_scaler_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", NAME, msg);
    CML_CHECK(cml_tr_check_X(X, -1, 1, NAME));
    const int64_t n = X->rows, d = X->cols;
    cml_standard_scaler *s;
    CML_CHECK(scaler_new(d, p->with_mean, p->with_std, &s));
    double *sum = cml_calloc((size_t)d, sizeof *sum);
    double *corr = cml_calloc((size_t)d, sizeof *corr);
    double *sq = cml_calloc((size_t)d, sizeof *sq);
    if (!sum || !corr || !sq) goto nomem;

    memset(s->n_seen, 0, (size_t)d * sizeof *s->n_seen);
    /* Pass 1: sums row by row (numpy's axis-0 order); NaN adds 0 as nansum. */
    for (int64_t i = 0; i < n; i++) {
        const double *r = cml_matrix_row(X, i);
        for (int64_t j = 0; j < d; j++) {
            int nan = isnan(r[j]);
            sum[j] += nan ? 0.0 : r[j];
            s->n_seen[j] += !nan;
        }
    }
    if (s->mean)
        for (int64_t j = 0; j < d; j++)
            s->mean[j] = sum[j] / (double)s->n_seen[j]; /* 0/0 = NaN for an all-NaN column */
    if (s->with_std) {
        /* Pass 2: deviations from the first-pass mean and their correction. */
        for (int64_t i = 0; i < n; i++) {
            const double *r = cml_matrix_row(X, i);
            for (int64_t j = 0; j < d; j++) {
                double t = r[j] - s->mean[j];
                int nan = isnan(t);
                corr[j] += nan ? 0.0 : t;
                sq[j] += nan ? 0.0 : t * t;
            }
        }
        for (int64_t j = 0; j < d; j++) {
            double cnt = (double)s->n_seen[j];
            s->var[j] = (sq[j] - corr[j] * corr[j] / cnt) / cnt;
            s->scale[j] = sqrt(s->var[j]);
            /* A (near-)constant feature is left unscaled, as sklearn. */
            if (is_constant_feature(s->var[j], s->mean[j], s->n_seen[j])) s->scale[j] = 1.0;
        }
    }
    free(sum);
    free(corr);
    free(sq);
    *out = s;
    return CML_OK;
nomem:
    free(sum);
    free(corr);
    free(sq);
    cml_standard_scaler_free(s);
    return CML_ERR_NOMEM;
}

cml_status cml_standard_scaler_transform(const cml_standard_scaler *s, const cml_matrix *X,
                                         double *out)
{
    CML_CHECK(cml_tr_check_X(X, s->n_features, 1, NAME));
    const int64_t d = s->n_features;
    const double *mean = s->with_mean ? s->mean : NULL, *scale = s->scale;
#pragma omp parallel for CML_OMP_THREADS if (X->rows * d > CML_TR_PAR_MIN)
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        double *o = out + i * d;
        for (int64_t j = 0; j < d; j++) {
            double v = r[j];
            if (mean) v -= mean[j];
            if (scale) v /= scale[j]; /* divide, not multiply by 1/scale: sklearn's rounding */
            o[j] = v;
        }
    }
    return CML_OK;
}

cml_status cml_standard_scaler_inverse_transform(const cml_standard_scaler *s, const cml_matrix *X,
                                                 double *out)
{
    CML_CHECK(cml_tr_check_X(X, s->n_features, 1, NAME));
    const int64_t d = s->n_features;
    const double *mean = s->with_mean ? s->mean : NULL, *scale = s->scale;
#pragma omp parallel for CML_OMP_THREADS if (X->rows * d > CML_TR_PAR_MIN)
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        double *o = out + i * d;
        for (int64_t j = 0; j < d; j++) {
            double v = r[j];
            if (scale) v *= scale[j];
            if (mean) v += mean[j];
            o[j] = v;
        }
    }
    return CML_OK;
}

int64_t cml_standard_scaler_n_features_in(const cml_standard_scaler *s)
{
    return s->n_features;
}
const double *cml_standard_scaler_mean(const cml_standard_scaler *s)
{
    return s->mean;
}
const double *cml_standard_scaler_var(const cml_standard_scaler *s)
{
    return s->var;
}
const double *cml_standard_scaler_scale(const cml_standard_scaler *s)
{
    return s->scale;
}
const int64_t *cml_standard_scaler_n_samples_seen(const cml_standard_scaler *s)
{
    return s->n_seen;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)info;
    CML_CHECK(cml_tr_no_weights(opts, NAME));
    cml_standard_scaler *s;
    CML_CHECK(cml_standard_scaler_fit(params, X, &s));
    *state = s;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_standard_scaler_transform(state, X, out);
}

static cml_status v_inverse(const void *state, const cml_matrix *X, double *out)
{
    return cml_standard_scaler_inverse_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_standard_scaler *)state)->n_features;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_standard_scaler *s = state;
    CML_CHECK(cml_tr_save_n_features(w, s->n_features));
    CML_CHECK(cml_gguf_add_i64(w, "n_samples_seen", s->n_seen, s->n_features));
    if (s->mean) CML_CHECK(cml_gguf_add_f64(w, "mean", s->mean, 1, s->n_features));
    if (s->var) CML_CHECK(cml_gguf_add_f64(w, "var", s->var, 1, s->n_features));
    if (s->scale) CML_CHECK(cml_gguf_add_f64(w, "scale", s->scale, 1, s->n_features));
    return CML_OK;
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    const cml_standard_scaler_params *p = params;
    int64_t d;
    cml_standard_scaler *s;
    CML_CHECK(cml_tr_load_n_features(g, &d));
    CML_CHECK(cml_gguf_expect(g, "n_samples_seen", CML_GGUF_T_I64, 1, d)); /* before sizing */
    CML_CHECK(scaler_new(d, p->with_mean, p->with_std, &s));
    cml_status st;
    CML_TRY(cml_gguf_read_i64(g, "n_samples_seen", d, s->n_seen));
    if (s->mean) CML_TRY(cml_gguf_read_f64(g, "mean", 1, d, s->mean));
    if (s->var) CML_TRY(cml_gguf_read_f64(g, "var", 1, d, s->var));
    if (s->scale) CML_TRY(cml_gguf_read_f64(g, "scale", 1, d, s->scale));
    *state = s;
    return CML_OK;
fail:
    cml_standard_scaler_free(s);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_standard_scaler *s = state;
    const int64_t d = s->n_features;
    int same = 1;
    for (int64_t j = 1; j < d; j++)
        same &= s->n_seen[j] == s->n_seen[0];
    /* sklearn reduces n_samples_seen_ to one int when no feature had NaN. */
    cml_tr_field f[] = {
        {"mean_", s->mean ? CML_TR_VECTOR : CML_TR_NULL, s->mean, NULL, 1, d, NULL},
        {"var_", s->var ? CML_TR_VECTOR : CML_TR_NULL, s->var, NULL, 1, d, NULL},
        {"scale_", s->scale ? CML_TR_VECTOR : CML_TR_NULL, s->scale, NULL, 1, d, NULL},
        {"n_samples_seen_", same ? CML_TR_SCALAR : CML_TR_VECTOR, NULL, s->n_seen, 1, d, NULL},
    };
    return cml_tr_describe(f, (int)(sizeof f / sizeof f[0]));
}

static void v_free(void *state)
{
    cml_standard_scaler_free(state);
}

const cml_estimator cml_est_standard_scaler = {
    .name = NAME,
    .aliases = "standard",
    .summary = "standardize features: subtract the mean, divide by the standard deviation",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_standard_scaler_params),
    .allows_nan = 1,
    .fit = v_fit,
    .transform = v_transform,
    .inverse_transform = v_inverse,
    .n_features_in = v_n_features,
    .n_transform_cols = v_n_features,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
