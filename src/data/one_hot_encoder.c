/*
 * one_hot_encoder.c — OneHotEncoder over numeric codes: input column j with
 * categories c_j1 < ... < c_jK becomes K indicator columns,
 *     out_jk = [x_j == c_jk],
 * minus the dropped category's column when `drop` is set.
 *
 * Mirrors scikit-learn 1.2's OneHotEncoder(sparse_output=False): categories
 * are each column's distinct values ascending, NaN included as the last
 * category (sklearn 1.2 treats missing values as a category, via
 * utils._encode._unique); drop first|if_binary gives drop_idx_; an unknown
 * value at transform is an error naming row, column and value, or an
 * all-zero block with handle_unknown=ignore (with a logged warning when a
 * category is also dropped, since the two are then indistinguishable, as
 * sklearn warns); inverse_transform takes each block's argmax as sklearn
 * does. The `columns` parameter makes it the ColumnTransformer
 * ([("onehot", OneHotEncoder(), columns)], remainder="passthrough") users
 * write by hand: indicator blocks of the listed columns first, in the order
 * listed, then the other columns unchanged, ascending. Not supported:
 * handle_unknown=infrequent_if_exist, min_frequency, max_categories, a
 * user-given categories list or drop array, sparse output.
 *
 * Complexity: fit O(cols * rows log rows) (a sort per encoded column);
 * transform O(rows * (n_output + n_encoded log K)).
 * Thread-safety: a fitted encoder is immutable; transform allocates nothing.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/preprocess.h"
#include "core/internal.h"
#include "data/transform_common.h"

static const char NAME[] = "one_hot_encoder";

/* A file claiming more categories than this in total is corrupt. */
#define MAX_CATEGORIES ((int64_t)1 << 30)

struct cml_one_hot_encoder {
    int64_t n_features; /* input columns */
    int handle_unknown; /* cml_onehot_unknown */
    int64_t n_enc, n_pass;
    int64_t *enc_cols;  /* (n_enc) encoded input columns, in the order given */
    int64_t *pass_cols; /* (n_pass) the other input columns, ascending */
    int64_t *cat_off;   /* (n_enc + 1) categories of e: cats[cat_off[e] .. cat_off[e+1]) */
    double *cats;       /* (cat_off[n_enc]) ascending per column, NaN last if seen */
    int64_t *drop_idx;  /* (n_enc) dropped category index, -1 for none */
    int64_t *out_off;   /* (n_enc + 1) first output column of each block */
    int64_t n_out;      /* out_off[n_enc] + n_pass */
};

#define P(f) offsetof(cml_one_hot_encoder_params, f)
static const cml_param_def defs[] = {
    {"handle_unknown", CML_PARAM_ENUM, "error", 0, 0, 0, "error|ignore",
     "a category not seen at fit: error, or ignore (encode it as all zeros)", P(handle_unknown)},
    {"drop", CML_PARAM_ENUM, "none", 0, 0, 0, "none|first|if_binary",
     "drop no category, the first of each column, or the first of two-category columns", P(drop)},
    {"columns", CML_PARAM_STRING, "", 0, 0, 0, NULL,
     "0-based columns to encode, e.g. \"0,3,5\" (\"\" = all); the others pass through after",
     P(columns)},
};
#undef P
#define N_DEFS ((int)(sizeof defs / sizeof defs[0]))

cml_one_hot_encoder_params cml_one_hot_encoder_params_default(void)
{
    cml_one_hot_encoder_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(defs, N_DEFS, &p);
    return p;
}

const char *cml_one_hot_encoder_params_check(const cml_one_hot_encoder_params *p)
{
    static _Thread_local char msg[256];
    const char *m = cml_params_check(defs, N_DEFS, p);
    if (m) return m;
    int64_t *idx, n;
    /* Syntax and duplicates only: the range needs X. */
    if (cml_tr_parse_columns(p->columns, "columns", INT64_MAX, &idx, &n) != CML_OK) {
        snprintf(msg, sizeof msg, "%s", cml_last_error());
        return msg;
    }
    free(idx);
    return NULL;
}

void cml_one_hot_encoder_free(cml_one_hot_encoder *s)
{
    if (!s) return;
    free(s->enc_cols);
    free(s->pass_cols);
    free(s->cat_off);
    free(s->cats);
    free(s->drop_idx);
    free(s->out_off);
    free(s);
}

/* Allocates everything but cats for n_enc encoded columns among d. */
static cml_status encoder_new(int64_t d, int64_t n_enc, int handle_unknown,
                              cml_one_hot_encoder **out)
{
    *out = NULL;
    cml_one_hot_encoder *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    s->n_features = d;
    s->n_enc = n_enc;
    s->n_pass = d - n_enc;
    s->handle_unknown = handle_unknown;
    s->enc_cols = cml_alloc_array(n_enc, sizeof *s->enc_cols);
    s->pass_cols = cml_alloc_array(CML_MAX(s->n_pass, 1), sizeof *s->pass_cols);
    s->cat_off = cml_alloc_array(n_enc + 1, sizeof *s->cat_off);
    s->drop_idx = cml_alloc_array(n_enc, sizeof *s->drop_idx);
    s->out_off = cml_alloc_array(n_enc + 1, sizeof *s->out_off);
    if (!s->enc_cols || !s->pass_cols || !s->cat_off || !s->drop_idx || !s->out_off) {
        cml_one_hot_encoder_free(s);
        return CML_ERR_NOMEM;
    }
    *out = s;
    return CML_OK;
}

/* pass_cols (the complement of enc_cols, ascending), out_off and n_out;
 * enc_cols must be distinct and in range. */
static cml_status finish_layout(cml_one_hot_encoder *s)
{
    char *is_enc = cml_calloc((size_t)s->n_features, 1);
    if (!is_enc) return CML_ERR_NOMEM;
    for (int64_t e = 0; e < s->n_enc; e++)
        is_enc[s->enc_cols[e]] = 1;
    int64_t np = 0;
    for (int64_t j = 0; j < s->n_features; j++)
        if (!is_enc[j]) s->pass_cols[np++] = j;
    free(is_enc);
    s->out_off[0] = 0;
    for (int64_t e = 0; e < s->n_enc; e++) {
        int64_t k = s->cat_off[e + 1] - s->cat_off[e];
        s->out_off[e + 1] = s->out_off[e] + k - (s->drop_idx[e] >= 0);
    }
    s->n_out = s->out_off[s->n_enc] + s->n_pass;
    return CML_OK;
}

static int64_t drop_index(int drop, int64_t n_cats)
{
    if (drop == CML_ONEHOT_DROP_FIRST) return 0;
    if (drop == CML_ONEHOT_DROP_IF_BINARY && n_cats == 2) return 0;
    return -1;
}

cml_status cml_one_hot_encoder_fit(const cml_one_hot_encoder_params *p, const cml_matrix *X,
                                   cml_one_hot_encoder **out)
{
    *out = NULL;
    const char *msg = cml_one_hot_encoder_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", NAME, msg);
    CML_CHECK(cml_tr_check_X(X, -1, 1, NAME));
    const int64_t n = X->rows, d = X->cols;
    int64_t *cols, n_enc;
    CML_CHECK(cml_tr_parse_columns(p->columns, "columns", d, &cols, &n_enc));
    cml_one_hot_encoder *s = NULL;
    double *buf = NULL;
    cml_status st;
    CML_TRY(encoder_new(d, n_enc ? n_enc : d, p->handle_unknown, &s));
    for (int64_t e = 0; e < s->n_enc; e++)
        s->enc_cols[e] = n_enc ? cols[e] : e;

    buf = cml_alloc_array(n, sizeof *buf);
    if (!buf) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    int64_t cap = 0;
    s->cat_off[0] = 0;
    for (int64_t e = 0; e < s->n_enc; e++) {
        int64_t m = cml_tr_sorted_column(X, s->enc_cols[e], buf);
        int64_t k = 0; /* unique in place; -0.0 == 0.0 is one category, as np.unique */
        for (int64_t i = 0; i < m; i++)
            if (k == 0 || buf[i] != buf[k - 1]) buf[k++] = buf[i];
        if (m < n) buf[k++] = NAN; /* missing values: one category, sorted last */
        int64_t off = s->cat_off[e];
        if (off + k > cap) {
            int64_t want = CML_MAX(2 * cap, off + k);
            double *c = cml_realloc(s->cats, (size_t)want * sizeof *c);
            if (!c) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
            s->cats = c;
            cap = want;
        }
        memcpy(s->cats + off, buf, (size_t)k * sizeof *buf);
        s->cat_off[e + 1] = off + k;
        s->drop_idx[e] = drop_index(p->drop, k);
    }
    CML_TRY(finish_layout(s));
    free(buf);
    free(cols);
    *out = s;
    return CML_OK;
fail:
    free(buf);
    free(cols);
    cml_one_hot_encoder_free(s);
    return st;
}

/* Index of v among the categories of e, or -1. */
static int64_t find_category(const cml_one_hot_encoder *s, int64_t e, double v)
{
    const double *c = s->cats + s->cat_off[e];
    int64_t k = s->cat_off[e + 1] - s->cat_off[e];
    int has_nan = k > 0 && isnan(c[k - 1]);
    if (isnan(v)) return has_nan ? k - 1 : -1;
    int64_t lo = 0, hi = k - has_nan; /* binary search in [lo, hi) */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k - has_nan && c[lo] == v ? lo : -1;
}

static cml_status unknown_error(const cml_one_hot_encoder *s, int64_t i, int64_t e, double v)
{
    char list[160];
    size_t used = 0;
    int64_t k = s->cat_off[e + 1] - s->cat_off[e];
    list[0] = '\0';
    int64_t c = 0;
    for (; c < k && used + 32 < sizeof list; c++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%.17g", c ? ", " : "",
                                 s->cats[s->cat_off[e] + c]);
    if (c < k) snprintf(list + used, sizeof list - used, ", ...");
    return cml_fail(CML_ERR_ARG,
                    "%s: X row %lld, column %lld has category %.17g, not seen at fit (categories: "
                    "%s). HINT: handle_unknown=ignore encodes unseen categories as all zeros",
                    NAME, (long long)i + 1, (long long)s->enc_cols[e] + 1, v, list);
}

cml_status cml_one_hot_encoder_transform(const cml_one_hot_encoder *s, const cml_matrix *X,
                                         double *out)
{
    CML_CHECK(cml_tr_check_X(X, s->n_features, 1, NAME));
    const int64_t w = s->n_out, base = s->out_off[s->n_enc];
    int64_t n_unknown_dropped = 0;
    for (int64_t i = 0; i < X->rows; i++) {
        const double *x = cml_matrix_row(X, i);
        double *o = out + i * w;
        memset(o, 0, (size_t)base * sizeof *o);
        for (int64_t e = 0; e < s->n_enc; e++) {
            double v = x[s->enc_cols[e]];
            int64_t k = find_category(s, e, v), drop = s->drop_idx[e];
            if (k < 0) {
                if (s->handle_unknown == CML_ONEHOT_ERROR) return unknown_error(s, i, e, v);
                n_unknown_dropped += drop >= 0;
                continue; /* ignore: an all-zero block */
            }
            if (k == drop) continue;
            o[s->out_off[e] + k - (drop >= 0 && k > drop)] = 1.0;
        }
        for (int64_t q = 0; q < s->n_pass; q++)
            o[base + q] = x[s->pass_cols[q]];
    }
    if (n_unknown_dropped)
        cml_log(CML_LOG_WARN,
                "%s: %lld unknown categories were encoded as all zeros, the same code as the "
                "dropped category of their column",
                NAME, (long long)n_unknown_dropped);
    return CML_OK;
}

cml_status cml_one_hot_encoder_inverse_transform(const cml_one_hot_encoder *s, const cml_matrix *X,
                                                 double *out)
{
    CML_CHECK(cml_tr_check_X(X, s->n_out, 1, NAME));
    const int64_t d = s->n_features, base = s->out_off[s->n_enc];
    for (int64_t i = 0; i < X->rows; i++) {
        const double *x = cml_matrix_row(X, i);
        double *o = out + i * d;
        for (int64_t e = 0; e < s->n_enc; e++) {
            const double *cats = s->cats + s->cat_off[e];
            const double *blk = x + s->out_off[e];
            int64_t width = s->out_off[e + 1] - s->out_off[e], drop = s->drop_idx[e];
            double value;
            if (width == 0) { /* a single category, dropped: every row is it */
                o[s->enc_cols[e]] = cats[drop];
                continue;
            }
            int64_t best = 0;
            double sum = blk[0];
            for (int64_t c = 1; c < width; c++) {
                if (blk[c] > blk[best]) best = c; /* first maximum, as np.argmax */
                sum += blk[c];
            }
            value = cats[best + (drop >= 0 && best >= drop)];
            if (sum == 0) { /* all zeros: the dropped category, or unknown */
                if (drop >= 0)
                    value = cats[drop];
                else if (s->handle_unknown == CML_ONEHOT_IGNORE)
                    value = NAN; /* sklearn gives None */
                else
                    return cml_fail(CML_ERR_ARG,
                                    "%s: inverse_transform: X row %lld is all zeros in the block "
                                    "of column %lld, which cannot be inverted with drop=none and "
                                    "handle_unknown=error",
                                    NAME, (long long)i + 1, (long long)s->enc_cols[e] + 1);
            }
            o[s->enc_cols[e]] = value;
        }
        for (int64_t q = 0; q < s->n_pass; q++)
            o[s->pass_cols[q]] = x[base + q];
    }
    return CML_OK;
}

int64_t cml_one_hot_encoder_n_features_in(const cml_one_hot_encoder *s)
{
    return s->n_features;
}
int64_t cml_one_hot_encoder_n_output(const cml_one_hot_encoder *s)
{
    return s->n_out;
}
int64_t cml_one_hot_encoder_n_encoded(const cml_one_hot_encoder *s)
{
    return s->n_enc;
}
int64_t cml_one_hot_encoder_encoded_column(const cml_one_hot_encoder *s, int64_t e)
{
    return e >= 0 && e < s->n_enc ? s->enc_cols[e] : -1;
}
const double *cml_one_hot_encoder_categories(const cml_one_hot_encoder *s, int64_t e, int64_t *n)
{
    if (e < 0 || e >= s->n_enc) {
        *n = 0;
        return NULL;
    }
    *n = s->cat_off[e + 1] - s->cat_off[e];
    return s->cats + s->cat_off[e];
}
int64_t cml_one_hot_encoder_drop_idx(const cml_one_hot_encoder *s, int64_t e)
{
    return e >= 0 && e < s->n_enc ? s->drop_idx[e] : -1;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)info;
    CML_CHECK(cml_tr_no_weights(opts, NAME));
    cml_one_hot_encoder *s;
    CML_CHECK(cml_one_hot_encoder_fit(params, X, &s));
    *state = s;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_one_hot_encoder_transform(state, X, out);
}

static cml_status v_inverse(const void *state, const cml_matrix *X, double *out)
{
    return cml_one_hot_encoder_inverse_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_one_hot_encoder *)state)->n_features;
}

static int64_t v_n_output(const void *state)
{
    return ((const cml_one_hot_encoder *)state)->n_out;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_one_hot_encoder *s = state;
    int64_t *counts = cml_alloc_array(s->n_enc, sizeof *counts);
    if (!counts) return CML_ERR_NOMEM;
    for (int64_t e = 0; e < s->n_enc; e++)
        counts[e] = s->cat_off[e + 1] - s->cat_off[e];
    cml_status st;
    CML_TRY(cml_tr_save_n_features(w, s->n_features));
    CML_TRY(cml_gguf_set_i64(w, "cml.fit.n_encoded", s->n_enc));
    CML_TRY(cml_gguf_add_i64(w, "encoded_columns", s->enc_cols, s->n_enc));
    CML_TRY(cml_gguf_add_i64(w, "category_counts", counts, s->n_enc));
    CML_TRY(cml_gguf_add_f64(w, "categories", s->cats, 1, s->cat_off[s->n_enc]));
    CML_TRY(cml_gguf_add_i64(w, "drop_idx", s->drop_idx, s->n_enc));
fail:
    free(counts);
    return st;
}

/* Everything transform indexes with is checked, so a corrupt file is a
 * CML_ERR_FORMAT and never an out-of-bounds access. */
static cml_status validate_loaded(const cml_gguf *g, const cml_one_hot_encoder *s)
{
    const char *why = NULL;
    char *seen = cml_calloc((size_t)s->n_features, 1);
    if (!seen) return CML_ERR_NOMEM;
    for (int64_t e = 0; e < s->n_enc && !why; e++) {
        int64_t j = s->enc_cols[e], k = s->cat_off[e + 1] - s->cat_off[e];
        const double *c = s->cats + s->cat_off[e];
        if (j < 0 || j >= s->n_features || seen[j]++)
            why = "encoded_columns out of range or repeated";
        else if (s->drop_idx[e] < -1 || s->drop_idx[e] >= k)
            why = "drop_idx out of range";
        for (int64_t m = 1; m < k && !why; m++)
            if (!(c[m - 1] < c[m]) && !(isnan(c[m]) && m == k - 1 && !isnan(c[m - 1])))
                why = "categories not strictly ascending";
    }
    free(seen);
    if (why) return cml_fail(CML_ERR_FORMAT, "%s: %s: %s", cml_gguf_name(g), NAME, why);
    return CML_OK;
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    const cml_one_hot_encoder_params *p = params;
    int64_t d, n_enc, *counts = NULL;
    cml_one_hot_encoder *s = NULL;
    cml_status st;
    CML_CHECK(cml_tr_load_n_features(g, &d));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_encoded", &n_enc));
    if (n_enc < 1 || n_enc > d)
        return cml_fail(CML_ERR_FORMAT, "%s: cml.fit.n_encoded = %lld is out of range",
                        cml_gguf_name(g), (long long)n_enc);
    CML_CHECK(cml_gguf_expect(g, "encoded_columns", CML_GGUF_T_I64, 1, n_enc)); /* before sizing */
    CML_TRY(encoder_new(d, n_enc, p->handle_unknown, &s));
    CML_TRY(cml_gguf_read_i64(g, "encoded_columns", n_enc, s->enc_cols));
    CML_TRY(cml_gguf_read_i64(g, "drop_idx", n_enc, s->drop_idx));
    CML_TRY(cml_tr_load_i64(g, "category_counts", n_enc, &counts));
    s->cat_off[0] = 0;
    for (int64_t e = 0; e < n_enc; e++) {
        if (counts[e] < 1 || counts[e] > MAX_CATEGORIES - s->cat_off[e]) {
            st = cml_fail(CML_ERR_FORMAT, "%s: category_counts[%lld] = %lld is out of range",
                          cml_gguf_name(g), (long long)e, (long long)counts[e]);
            goto fail;
        }
        s->cat_off[e + 1] = s->cat_off[e] + counts[e];
    }
    CML_TRY(cml_tr_load_f64(g, "categories", 1, s->cat_off[n_enc], &s->cats));
    CML_TRY(validate_loaded(g, s));
    CML_TRY(finish_layout(s));
    free(counts);
    *state = s;
    return CML_OK;
fail:
    free(counts);
    cml_one_hot_encoder_free(s);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_one_hot_encoder *s = state;
    int any_drop = 0;
    for (int64_t e = 0; e < s->n_enc; e++)
        any_drop |= s->drop_idx[e] >= 0;
    cml_tr_field f[] = {
        {"categories_", CML_TR_RAGGED, s->cats, NULL, s->n_enc, 0, s->cat_off},
        /* null as sklearn's None when nothing is dropped; else -1 marks None */
        {"drop_idx_", any_drop ? CML_TR_VECTOR : CML_TR_NULL, NULL, s->drop_idx, 1, s->n_enc, NULL},
        {"encoded_columns", CML_TR_VECTOR, NULL, s->enc_cols, 1, s->n_enc, NULL},
        {"passthrough_columns", s->n_pass ? CML_TR_VECTOR : CML_TR_NULL, NULL, s->pass_cols, 1,
         s->n_pass, NULL},
        {"n_output_features", CML_TR_SCALAR, NULL, &s->n_out, 1, 1, NULL},
    };
    return cml_tr_describe(f, (int)(sizeof f / sizeof f[0]));
}

static void v_free(void *state)
{
    cml_one_hot_encoder_free(state);
}

const cml_estimator cml_est_one_hot_encoder = {
    .name = NAME,
    .aliases = "onehot",
    .summary = "one indicator column per category of the selected (categorical) columns",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_one_hot_encoder_params),
    .allows_nan = 1,
    .fit = v_fit,
    .transform = v_transform,
    .inverse_transform = v_inverse,
    .n_features_in = v_n_features,
    .n_transform_cols = v_n_output,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
