/*
 * min_max_scaler.c — MinMaxScaler: x'_ij = x_ij * scale_j + min_j, with
 *     scale_j = (hi - lo) / (data_max_j - data_min_j),  min_j = lo - data_min_j * scale_j
 * so each feature's observed range maps onto feature_range = (lo, hi).
 *
 * Mirrors scikit-learn 1.2's MinMaxScaler.partial_fit on a first call: the
 * minimum and maximum ignore NaN (np.nanmin / np.nanmax); a range below
 * 10 * DBL_EPSILON counts as 1 (_handle_zeros_in_scale) so a constant
 * feature maps to lo; transform multiplies then adds, inverse subtracts then
 * divides, in sklearn's order, so results agree bit for bit. NaN is kept by
 * transform; clip uses np.clip semantics (NaN stays NaN). An all-NaN feature
 * has NaN statistics and transforms to NaN, as in sklearn.
 *
 * Complexity: fit O(rows * cols), transform O(rows * cols).
 * Thread-safety: a fitted scaler is immutable; transform allocates nothing.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/preprocess.h"
#include "core/internal.h"
#include "data/transform_common.h"

static const char NAME[] = "min_max_scaler";

struct cml_min_max_scaler {
    int64_t n_features;
    double lo, hi; /* feature_range */
    int clip;
    int64_t n_samples_seen;
    /* One allocation of 5 * n_features doubles, named views into it. */
    double *buf;
    double *data_min, *data_max, *data_range, *scale, *min; /* (n_features) each */
};

#define P(f) offsetof(cml_min_max_scaler_params, f)
static const cml_param_def defs[] = {
    {"feature_range", CML_PARAM_STRING, "0,1", 0, 0, 0, NULL,
     "\"lo,hi\": the range each feature is mapped onto; lo < hi", P(feature_range)},
    {"clip", CML_PARAM_BOOL, "false", 0, 0, 0, NULL,
     "clip transformed values of new data to feature_range", P(clip)},
};
#undef P
#define N_DEFS ((int)(sizeof defs / sizeof defs[0]))

cml_min_max_scaler_params cml_min_max_scaler_params_default(void)
{
    cml_min_max_scaler_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(defs, N_DEFS, &p);
    return p;
}

/* Parses feature_range into lo, hi; NULL or a message. */
static const char *parse_range(const cml_min_max_scaler_params *p, double *lo, double *hi)
{
    static _Thread_local char msg[256];
    double r[2];
    if (cml_tr_parse_doubles(p->feature_range, "feature_range", r, 2) != CML_OK) {
        snprintf(msg, sizeof msg, "%s", cml_last_error());
        return msg;
    }
    if (!(r[0] < r[1])) {
        snprintf(msg, sizeof msg,
                 "parameter feature_range=\"%s\": the minimum must be smaller than the maximum",
                 p->feature_range);
        return msg;
    }
    *lo = r[0];
    *hi = r[1];
    return NULL;
}

const char *cml_min_max_scaler_params_check(const cml_min_max_scaler_params *p)
{
    double lo, hi;
    const char *msg = cml_params_check(defs, N_DEFS, p);
    return msg ? msg : parse_range(p, &lo, &hi);
}

void cml_min_max_scaler_free(cml_min_max_scaler *s)
{
    if (!s) return;
    free(s->buf);
    free(s);
}

static cml_status scaler_new(const cml_min_max_scaler_params *p, int64_t d,
                             cml_min_max_scaler **out)
{
    *out = NULL;
    double lo = 0, hi = 1;
    const char *msg = cml_params_check(defs, N_DEFS, p);
    if (!msg) msg = parse_range(p, &lo, &hi);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", NAME, msg);
    cml_min_max_scaler *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    s->buf = cml_alloc_array(5 * d, sizeof *s->buf);
    if (!s->buf) {
        free(s);
        return CML_ERR_NOMEM;
    }
    s->n_features = d;
    s->lo = lo;
    s->hi = hi;
    s->clip = p->clip;
    s->data_min = s->buf;
    s->data_max = s->buf + d;
    s->data_range = s->buf + 2 * d;
    s->scale = s->buf + 3 * d;
    s->min = s->buf + 4 * d;
    *out = s;
    return CML_OK;
}

/* scale_ and min_ from data_min_/data_max_, as sklearn computes them. */
static void derive(cml_min_max_scaler *s)
{
    for (int64_t j = 0; j < s->n_features; j++) {
        double range = s->data_max[j] - s->data_min[j];
        s->data_range[j] = range;
        s->scale[j] = (s->hi - s->lo) / (range < 10 * DBL_EPSILON ? 1.0 : range);
        s->min[j] = s->lo - s->data_min[j] * s->scale[j];
    }
}

cml_status cml_min_max_scaler_fit(const cml_min_max_scaler_params *p, const cml_matrix *X,
                                  cml_min_max_scaler **out)
{
    *out = NULL;
    cml_min_max_scaler *s;
    CML_CHECK(scaler_new(p, X->cols, &s));
    cml_status st = cml_tr_check_X(X, -1, 1, NAME);
    if (st != CML_OK) {
        cml_min_max_scaler_free(s);
        return st;
    }
    const int64_t d = X->cols;
    for (int64_t j = 0; j < d; j++) {
        s->data_min[j] = INFINITY;
        s->data_max[j] = -INFINITY;
    }
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        for (int64_t j = 0; j < d; j++) {
            /* Comparisons with NaN are false, so NaN never becomes a bound. */
            if (r[j] < s->data_min[j]) s->data_min[j] = r[j];
            if (r[j] > s->data_max[j]) s->data_max[j] = r[j];
        }
    }
    for (int64_t j = 0; j < d; j++)
        if (isinf(s->data_min[j])) s->data_min[j] = s->data_max[j] = NAN; /* all NaN */
    s->n_samples_seen = X->rows;
    derive(s);
    *out = s;
    return CML_OK;
}

cml_status cml_min_max_scaler_transform(const cml_min_max_scaler *s, const cml_matrix *X,
                                        double *out)
{
    CML_CHECK(cml_tr_check_X(X, s->n_features, 1, NAME));
    const int64_t d = s->n_features;
    const double lo = s->lo, hi = s->hi;
    const int clip = s->clip;
#pragma omp parallel for CML_OMP_THREADS if (X->rows * d > CML_TR_PAR_MIN)
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        double *o = out + i * d;
        for (int64_t j = 0; j < d; j++) {
            /* Two roundings (no fused multiply-add), as sklearn's X *= s; X += m. */
            double v = r[j] * s->scale[j];
            v += s->min[j];
            if (clip) v = v < lo ? lo : (v > hi ? hi : v); /* NaN falls through */
            o[j] = v;
        }
    }
    return CML_OK;
}

cml_status cml_min_max_scaler_inverse_transform(const cml_min_max_scaler *s, const cml_matrix *X,
                                                double *out)
{
    CML_CHECK(cml_tr_check_X(X, s->n_features, 1, NAME));
    const int64_t d = s->n_features;
#pragma omp parallel for CML_OMP_THREADS if (X->rows * d > CML_TR_PAR_MIN)
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        double *o = out + i * d;
        for (int64_t j = 0; j < d; j++)
            o[j] = (r[j] - s->min[j]) / s->scale[j];
    }
    return CML_OK;
}

int64_t cml_min_max_scaler_n_features_in(const cml_min_max_scaler *s)
{
    return s->n_features;
}
const double *cml_min_max_scaler_data_min(const cml_min_max_scaler *s)
{
    return s->data_min;
}
const double *cml_min_max_scaler_data_max(const cml_min_max_scaler *s)
{
    return s->data_max;
}
const double *cml_min_max_scaler_data_range(const cml_min_max_scaler *s)
{
    return s->data_range;
}
const double *cml_min_max_scaler_scale(const cml_min_max_scaler *s)
{
    return s->scale;
}
const double *cml_min_max_scaler_min(const cml_min_max_scaler *s)
{
    return s->min;
}
int64_t cml_min_max_scaler_n_samples_seen(const cml_min_max_scaler *s)
{
    return s->n_samples_seen;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)info;
    CML_CHECK(cml_tr_no_weights(opts, NAME));
    cml_min_max_scaler *s;
    CML_CHECK(cml_min_max_scaler_fit(params, X, &s));
    *state = s;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_min_max_scaler_transform(state, X, out);
}

static cml_status v_inverse(const void *state, const cml_matrix *X, double *out)
{
    return cml_min_max_scaler_inverse_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_min_max_scaler *)state)->n_features;
}

/* Only the observed bounds are stored: scale_ and min_ are recomputed on
 * load by the same code as fit, so they are bit-identical. */
static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_min_max_scaler *s = state;
    CML_CHECK(cml_tr_save_n_features(w, s->n_features));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_samples_seen", s->n_samples_seen));
    CML_CHECK(cml_gguf_add_f64(w, "data_min", s->data_min, 1, s->n_features));
    CML_CHECK(cml_gguf_add_f64(w, "data_max", s->data_max, 1, s->n_features));
    return CML_OK;
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    int64_t d;
    cml_min_max_scaler *s;
    CML_CHECK(cml_tr_load_n_features(g, &d));
    CML_CHECK(cml_gguf_expect(g, "data_min", CML_GGUF_T_F64, 1, d)); /* before sizing */
    cml_status st = scaler_new(params, d, &s);
    if (st != CML_OK) /* a bad feature_range in the file is corruption */
        return cml_fail_context(st == CML_ERR_NOMEM ? st : CML_ERR_FORMAT, "%s", cml_gguf_name(g));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_samples_seen", &s->n_samples_seen));
    CML_TRY(cml_gguf_read_f64(g, "data_min", 1, d, s->data_min));
    CML_TRY(cml_gguf_read_f64(g, "data_max", 1, d, s->data_max));
    derive(s);
    *state = s;
    return CML_OK;
fail:
    cml_min_max_scaler_free(s);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_min_max_scaler *s = state;
    const int64_t d = s->n_features;
    cml_tr_field f[] = {
        {"data_min_", CML_TR_VECTOR, s->data_min, NULL, 1, d, NULL},
        {"data_max_", CML_TR_VECTOR, s->data_max, NULL, 1, d, NULL},
        {"data_range_", CML_TR_VECTOR, s->data_range, NULL, 1, d, NULL},
        {"scale_", CML_TR_VECTOR, s->scale, NULL, 1, d, NULL},
        {"min_", CML_TR_VECTOR, s->min, NULL, 1, d, NULL},
        {"n_samples_seen_", CML_TR_SCALAR, NULL, &s->n_samples_seen, 1, 1, NULL},
    };
    return cml_tr_describe(f, (int)(sizeof f / sizeof f[0]));
}

static void v_free(void *state)
{
    cml_min_max_scaler_free(state);
}

const cml_estimator cml_est_min_max_scaler = {
    .name = NAME,
    .aliases = "minmax",
    .summary = "scale each feature to a range (default [0, 1]) by its observed min and max",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_min_max_scaler_params),
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
