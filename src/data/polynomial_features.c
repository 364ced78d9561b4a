/*
 * polynomial_features.c — PolynomialFeatures: every monomial
 * x_i1 * x_i2 * ... * x_ik (i1 <= ... <= ik, or i1 < ... < ik with
 * interaction_only) of degree k = 0..degree, the constant 1 first when
 * include_bias.
 *
 * Mirrors scikit-learn 1.2's dense PolynomialFeatures.transform: the columns
 * are laid out in its order (degree by degree; within a degree, the
 * lexicographic order of itertools.combinations_with_replacement, or of
 * combinations) and each degree-k column is computed as sklearn does, as
 * one degree-(k-1) column times one feature:
 *     (x_i1 ... x_ik) = (x_i2 ... x_ik) * x_i1
 * so outputs match sklearn bit for bit. At fit the layout is recorded as
 * (parent column, feature) pairs by replaying sklearn's block loop, so
 * transform is one multiply per output cell. NaN is rejected, as sklearn's
 * check_array does here.
 *
 * Complexity: fit O(n_output); transform O(rows * n_output).
 * Thread-safety: a fitted object is immutable; transform allocates nothing.
 */
#include <stddef.h>
#include <string.h>

#include "cml/preprocess.h"
#include "core/internal.h"
#include "data/transform_common.h"

static const char NAME[] = "polynomial_features";

/* More output columns than this is a mistake, not a feature map: refuse
 * before allocating (16 bytes of layout per column, 8 per output cell). */
#define MAX_OUTPUT ((int64_t)1 << 26)
/* describe prints powers_ only up to this many entries. */
#define MAX_DESCRIBE_POWERS ((int64_t)1 << 20)

struct cml_polynomial_features {
    int64_t n_features;
    int degree, interaction_only, include_bias;
    int64_t n_out;
    /* Column c = out[parent[c]] * x[feat[c]]; parent -1: c = x[feat[c]]
     * (degree 1), or 1 when feat is -1 too (the bias). */
    int64_t *parent; /* (n_out) */
    int64_t *feat;   /* (n_out) */
};

#define P(f) offsetof(cml_polynomial_features_params, f)
static const cml_param_def defs[] = {
    {"degree", CML_PARAM_INT, "2", 0, 1000, 0, NULL, "maximal degree of the monomials", P(degree)},
    {"interaction_only", CML_PARAM_BOOL, "false", 0, 0, 0, NULL,
     "only products of distinct features (no x^2, x^3...)", P(interaction_only)},
    {"include_bias", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "add the constant column of ones (the degree-0 term) first", P(include_bias)},
};
#undef P
#define N_DEFS ((int)(sizeof defs / sizeof defs[0]))

cml_polynomial_features_params cml_polynomial_features_params_default(void)
{
    cml_polynomial_features_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(defs, N_DEFS, &p);
    return p;
}

const char *cml_polynomial_features_params_check(const cml_polynomial_features_params *p)
{
    const char *m = cml_params_check(defs, N_DEFS, p);
    if (m) return m;
    if (p->degree == 0 && !p->include_bias)
        return "degree=0 with include_bias=false would give an empty output (no columns)";
    return NULL;
}

void cml_polynomial_features_free(cml_polynomial_features *s)
{
    if (!s) return;
    free(s->parent);
    free(s->feat);
    free(s);
}

/*
 * Replays sklearn's column loop for d features. With parent/feat NULL it
 * only counts. Returns the column count, or -1 when it would pass
 * MAX_OUTPUT. index[f] is the first column of the previous degree's block
 * whose leading feature is f; a degree-k block for feature f is the
 * previous degree's columns from index[f] (from index[f+1] with
 * interaction_only) to the end, each times x_f.
 */
static int64_t layout(int64_t d, const cml_polynomial_features_params *p, int64_t *index,
                      int64_t *next_index, int64_t *parent, int64_t *feat)
{
    int64_t col = 0;
    if (p->include_bias) {
        if (parent) parent[0] = feat[0] = -1;
        col = 1;
    }
    if (p->degree == 0) return col;
    if (d > MAX_OUTPUT - col) return -1;
    for (int64_t f = 0; f < d; f++) {
        if (parent) {
            parent[col + f] = -1;
            feat[col + f] = f;
        }
        index[f] = col + f;
    }
    col += d;
    index[d] = col;
    int64_t len = d + 1;
    for (int k = 2; k <= p->degree; k++) {
        int64_t end = index[len - 1], n_next = 0;
        for (int64_t f = 0; f < d && f + 1 < len; f++) {
            int64_t start = index[f];
            next_index[n_next++] = col;
            if (p->interaction_only) start += index[f + 1] - index[f];
            if (end - start <= 0) break;
            if (end - start > MAX_OUTPUT - col) return -1;
            if (parent)
                for (int64_t c = 0; c < end - start; c++) {
                    parent[col + c] = start + c;
                    feat[col + c] = f;
                }
            col += end - start;
        }
        next_index[n_next++] = col;
        memcpy(index, next_index, (size_t)n_next * sizeof *index);
        len = n_next;
    }
    return col;
}

/* Builds the layout for d features; CML_ERR_ARG when it is too large. */
static cml_status build(const cml_polynomial_features_params *p, int64_t d,
                        cml_polynomial_features **out)
{
    *out = NULL;
    cml_status st = CML_OK;
    cml_polynomial_features *s = cml_calloc(1, sizeof *s);
    int64_t *index = cml_alloc_array(d + 2, sizeof *index);
    int64_t *next_index = cml_alloc_array(d + 2, sizeof *next_index);
    if (!s || !index || !next_index) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    s->n_features = d;
    s->degree = p->degree;
    s->interaction_only = p->interaction_only;
    s->include_bias = p->include_bias;
    s->n_out = layout(d, p, index, next_index, NULL, NULL);
    if (s->n_out < 0) {
        st = cml_fail(CML_ERR_ARG,
                      "%s: degree=%d on %lld features gives more than %lld output columns. "
                      "HINT: lower degree, use interaction_only=true, or select features first",
                      NAME, p->degree, (long long)d, (long long)MAX_OUTPUT);
        goto fail;
    }
    s->parent = cml_alloc_array(s->n_out, sizeof *s->parent);
    s->feat = cml_alloc_array(s->n_out, sizeof *s->feat);
    if (!s->parent || !s->feat) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    layout(d, p, index, next_index, s->parent, s->feat);
    free(index);
    free(next_index);
    *out = s;
    return CML_OK;
fail:
    free(index);
    free(next_index);
    cml_polynomial_features_free(s);
    return st;
}

cml_status cml_polynomial_features_fit(const cml_polynomial_features_params *p, const cml_matrix *X,
                                       cml_polynomial_features **out)
{
    *out = NULL;
    const char *msg = cml_polynomial_features_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", NAME, msg);
    CML_CHECK(cml_tr_check_X(X, -1, 0, NAME));
    return build(p, X->cols, out);
}

cml_status cml_polynomial_features_transform(const cml_polynomial_features *s, const cml_matrix *X,
                                             double *out)
{
    CML_CHECK(cml_tr_check_X(X, s->n_features, 0, NAME));
    const int64_t n_out = s->n_out;
    const int64_t *parent = s->parent, *feat = s->feat;
#pragma omp parallel for CML_OMP_THREADS if (X->rows * n_out > CML_TR_PAR_MIN)
    for (int64_t i = 0; i < X->rows; i++) {
        const double *x = cml_matrix_row(X, i);
        double *o = out + i * n_out;
        for (int64_t c = 0; c < n_out; c++) {
            if (parent[c] >= 0)
                o[c] = o[parent[c]] * x[feat[c]]; /* parent < c: already computed */
            else
                o[c] = feat[c] >= 0 ? x[feat[c]] : 1.0;
        }
    }
    return CML_OK;
}

int64_t cml_polynomial_features_n_features_in(const cml_polynomial_features *s)
{
    return s->n_features;
}

int64_t cml_polynomial_features_n_output(const cml_polynomial_features *s)
{
    return s->n_out;
}

void cml_polynomial_features_powers(const cml_polynomial_features *s, int64_t *powers)
{
    const int64_t d = s->n_features;
    for (int64_t c = 0; c < s->n_out; c++) {
        int64_t *row = powers + c * d;
        if (s->parent[c] >= 0)
            memcpy(row, powers + s->parent[c] * d, (size_t)d * sizeof *row);
        else
            memset(row, 0, (size_t)d * sizeof *row);
        if (s->feat[c] >= 0) row[s->feat[c]]++;
    }
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)info;
    CML_CHECK(cml_tr_no_weights(opts, NAME));
    cml_polynomial_features *s;
    CML_CHECK(cml_polynomial_features_fit(params, X, &s));
    *state = s;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_polynomial_features_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_polynomial_features *)state)->n_features;
}

static int64_t v_n_output(const void *state)
{
    return ((const cml_polynomial_features *)state)->n_out;
}

/* The layout is a pure function of the params and n_features_in: only the
 * count is stored, as a check on the rebuilt layout. */
static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_polynomial_features *s = state;
    CML_CHECK(cml_tr_save_n_features(w, s->n_features));
    return cml_gguf_set_i64(w, "cml.fit.n_output_features", s->n_out);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    int64_t d, n_out;
    cml_polynomial_features *s;
    CML_CHECK(cml_tr_load_n_features(g, &d));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_output_features", &n_out));
    const char *msg = cml_polynomial_features_params_check(params);
    if (msg) return cml_fail(CML_ERR_FORMAT, "%s: %s: %s", cml_gguf_name(g), NAME, msg);
    cml_status st = build(params, d, &s);
    if (st != CML_OK)
        return cml_fail_context(st == CML_ERR_NOMEM ? st : CML_ERR_FORMAT, "%s", cml_gguf_name(g));
    if (s->n_out != n_out) {
        int64_t want = s->n_out; /* read before the free */
        cml_polynomial_features_free(s);
        return cml_fail(CML_ERR_FORMAT,
                        "%s: cml.fit.n_output_features = %lld, but the parameters give %lld",
                        cml_gguf_name(g), (long long)n_out, (long long)want);
    }
    *state = s;
    return CML_OK;
}

static char *v_describe(const void *state)
{
    const cml_polynomial_features *s = state;
    int64_t *powers = NULL;
    if (s->n_out <= MAX_DESCRIBE_POWERS / s->n_features) {
        powers = cml_alloc_array(s->n_out * s->n_features, sizeof *powers);
        if (!powers) return NULL;
        cml_polynomial_features_powers(s, powers);
    }
    cml_tr_field f[] = {
        {"n_output_features_", CML_TR_SCALAR, NULL, &s->n_out, 1, 1, NULL},
        /* null when too large to print usefully */
        {"powers_", powers ? CML_TR_MATRIX : CML_TR_NULL, NULL, powers, s->n_out, s->n_features,
         NULL},
    };
    char *json = cml_tr_describe(f, 2);
    free(powers);
    return json;
}

static void v_free(void *state)
{
    cml_polynomial_features_free(state);
}

const cml_estimator cml_est_polynomial_features = {
    .name = NAME,
    .aliases = "poly",
    .summary = "all products of features up to a degree (polynomial and interaction terms)",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_polynomial_features_params),
    .allows_nan = 0,
    .fit = v_fit,
    .transform = v_transform,
    .n_features_in = v_n_features,
    .n_transform_cols = v_n_output,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
