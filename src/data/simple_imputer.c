/*
 * simple_imputer.c — SimpleImputer: replaces each NaN of feature j by a
 * statistic s_j of the feature's observed (non-NaN) values:
 *     mean:          s_j = sum x_ij / n_j        (row-order sum, as numpy.ma)
 *     median:        middle order statistic, or the mean of the two middle ones
 *     most_frequent: the mode; ties go to the smallest value (scipy.stats.mode)
 *     constant:      s_j = fill_value
 *
 * Mirrors scikit-learn 1.2's SimpleImputer(missing_values=np.nan) on dense
 * input, including its handling of a feature with no observed value: its
 * statistic is NaN and the feature is dropped from the output (for
 * mean/median/most_frequent; a warning is logged through cml_log, where
 * sklearn 1.2 warns only with verbose), unless keep_empty_features, which
 * keeps it with statistic 0. With strategy constant every feature is kept.
 * One difference: if every feature would be dropped, fit fails (sklearn
 * returns an empty array no later step could use).
 *
 * Complexity: fit O(rows * cols) for mean/constant, O(cols * rows log rows)
 * for median/most_frequent (a sort per column); transform O(rows * cols).
 * Thread-safety: a fitted imputer is immutable; transform allocates nothing.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/preprocess.h"
#include "core/internal.h"
#include "data/transform_common.h"

static const char NAME[] = "simple_imputer";
static const char *const STRATEGY[] = {"mean", "median", "most_frequent", "constant"};

struct cml_simple_imputer {
    int64_t n_features;
    int64_t n_keep;
    double *statistics; /* (n_features); NaN for a dropped feature */
    int64_t *keep;      /* (n_keep) input columns kept, ascending */
};

#define P(f) offsetof(cml_simple_imputer_params, f)
static const cml_param_def defs[] = {
    {"strategy", CML_PARAM_ENUM, "mean", 0, 0, 0, "mean|median|most_frequent|constant",
     "statistic that replaces missing values (NaN) in each column", P(strategy)},
    {"fill_value", CML_PARAM_DOUBLE, "0", -INFINITY, INFINITY, 0, NULL,
     "value that replaces missing values when strategy=constant", P(fill_value)},
    {"keep_empty_features", CML_PARAM_BOOL, "false", 0, 0, 0, NULL,
     "keep columns with no observed value (filled with 0) instead of dropping them",
     P(keep_empty_features)},
};
#undef P
#define N_DEFS ((int)(sizeof defs / sizeof defs[0]))

cml_simple_imputer_params cml_simple_imputer_params_default(void)
{
    cml_simple_imputer_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(defs, N_DEFS, &p);
    return p;
}

const char *cml_simple_imputer_params_check(const cml_simple_imputer_params *p)
{
    static _Thread_local char msg[128];
    const char *m = cml_params_check(defs, N_DEFS, p);
    if (m) return m;
    if (!isfinite(p->fill_value)) {
        snprintf(msg, sizeof msg, "fill_value must be finite, got %g", p->fill_value);
        return msg;
    }
    return NULL;
}

void cml_simple_imputer_free(cml_simple_imputer *s)
{
    if (!s) return;
    free(s->statistics);
    free(s->keep);
    free(s);
}

static cml_status imputer_new(int64_t d, cml_simple_imputer **out)
{
    *out = NULL;
    cml_simple_imputer *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    s->n_features = d;
    s->statistics = cml_alloc_array(d, sizeof *s->statistics);
    s->keep = cml_alloc_array(d, sizeof *s->keep);
    if (!s->statistics || !s->keep) {
        cml_simple_imputer_free(s);
        return CML_ERR_NOMEM;
    }
    *out = s;
    return CML_OK;
}

/* The kept columns: all of them for constant (and keep_empty_features,
 * whose empty statistics are 0, not NaN), else those with a statistic. */
static cml_status select_kept(cml_simple_imputer *s, int strategy)
{
    s->n_keep = 0;
    for (int64_t j = 0; j < s->n_features; j++)
        if (strategy == CML_IMPUTE_CONSTANT || !isnan(s->statistics[j])) s->keep[s->n_keep++] = j;
    if (s->n_keep == 0)
        return cml_fail(CML_ERR_ARG,
                        "%s: every column is entirely missing (NaN), so strategy=%s drops them "
                        "all. HINT: use keep_empty_features=true or strategy=constant",
                        NAME, STRATEGY[strategy]);
    return CML_OK;
}

static void warn_dropped(const cml_simple_imputer *s, int strategy)
{
    if (s->n_keep == s->n_features || !cml_log_enabled()) return;
    char cols[256];
    size_t used = 0;
    cols[0] = '\0';
    for (int64_t j = 0; j < s->n_features && used + 24 < sizeof cols; j++)
        if (isnan(s->statistics[j]))
            used += (size_t)snprintf(cols + used, sizeof cols - used, "%s%lld", used ? ", " : "",
                                     (long long)j + 1);
    cml_log(CML_LOG_WARN,
            "%s: skipping column(s) %s without any observed value: at least one non-missing value "
            "is needed for strategy=%s; they are dropped from the output (%lld of %lld columns "
            "kept). HINT: keep_empty_features=true keeps them, filled with 0",
            NAME, cols, STRATEGY[strategy], (long long)s->n_keep, (long long)s->n_features);
}

/* Mode of sorted v[0..n): the value with the longest run, the smallest on ties. */
static double sorted_mode(const double *v, int64_t n)
{
    double best = v[0];
    int64_t best_run = 0;
    for (int64_t i = 0; i < n;) {
        int64_t k = i;
        while (k < n && v[k] == v[i])
            k++;
        if (k - i > best_run) { /* strict: an equal later run is a larger value */
            best_run = k - i;
            best = v[i];
        }
        i = k;
    }
    return best;
}

cml_status cml_simple_imputer_fit(const cml_simple_imputer_params *p, const cml_matrix *X,
                                  cml_simple_imputer **out)
{
    *out = NULL;
    const char *msg = cml_simple_imputer_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", NAME, msg);
    CML_CHECK(cml_tr_check_X(X, -1, 1, NAME));
    const int64_t n = X->rows, d = X->cols;
    const double empty = p->keep_empty_features ? 0.0 : NAN;
    cml_simple_imputer *s;
    CML_CHECK(imputer_new(d, &s));
    cml_status st = CML_OK;
    double *buf = NULL;
    int64_t *cnt = NULL;

    switch (p->strategy) {
    case CML_IMPUTE_MEAN:
        cnt = cml_calloc((size_t)d, sizeof *cnt);
        if (!cnt) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        memset(s->statistics, 0, (size_t)d * sizeof *s->statistics);
        /* Row-order sums over the observed cells: numpy.ma fills masked cells with 0. */
        for (int64_t i = 0; i < n; i++) {
            const double *r = cml_matrix_row(X, i);
            for (int64_t j = 0; j < d; j++) {
                int nan = isnan(r[j]);
                s->statistics[j] += nan ? 0.0 : r[j];
                cnt[j] += !nan;
            }
        }
        for (int64_t j = 0; j < d; j++)
            s->statistics[j] = cnt[j] ? s->statistics[j] / (double)cnt[j] : empty;
        break;
    case CML_IMPUTE_MEDIAN:
    case CML_IMPUTE_MOST_FREQUENT:
        buf = cml_alloc_array(n, sizeof *buf);
        if (!buf) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        for (int64_t j = 0; j < d; j++) {
            int64_t m = cml_tr_sorted_column(X, j, buf);
            if (m == 0)
                s->statistics[j] = empty;
            else if (p->strategy == CML_IMPUTE_MOST_FREQUENT)
                s->statistics[j] = sorted_mode(buf, m);
            else if (m % 2)
                s->statistics[j] = buf[m / 2];
            else /* numpy: the sum of the two middle values, halved */
                s->statistics[j] = (buf[m / 2 - 1] + buf[m / 2]) / 2.0;
        }
        break;
    default:
        for (int64_t j = 0; j < d; j++)
            s->statistics[j] = p->fill_value;
    }
    CML_TRY(select_kept(s, p->strategy));
    warn_dropped(s, p->strategy);
    free(buf);
    free(cnt);
    *out = s;
    return CML_OK;
fail:
    free(buf);
    free(cnt);
    cml_simple_imputer_free(s);
    return st;
}

cml_status cml_simple_imputer_transform(const cml_simple_imputer *s, const cml_matrix *X,
                                        double *out)
{
    CML_CHECK(cml_tr_check_X(X, s->n_features, 1, NAME));
    const int64_t k = s->n_keep;
#pragma omp parallel for CML_OMP_THREADS if (X->rows * k > CML_TR_PAR_MIN)
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        double *o = out + i * k;
        for (int64_t c = 0; c < k; c++) {
            int64_t j = s->keep[c];
            o[c] = isnan(r[j]) ? s->statistics[j] : r[j];
        }
    }
    return CML_OK;
}

int64_t cml_simple_imputer_n_features_in(const cml_simple_imputer *s)
{
    return s->n_features;
}
int64_t cml_simple_imputer_n_output(const cml_simple_imputer *s)
{
    return s->n_keep;
}
const double *cml_simple_imputer_statistics(const cml_simple_imputer *s)
{
    return s->statistics;
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)info;
    CML_CHECK(cml_tr_no_weights(opts, NAME));
    cml_simple_imputer *s;
    CML_CHECK(cml_simple_imputer_fit(params, X, &s));
    *state = s;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_simple_imputer_transform(state, X, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_simple_imputer *)state)->n_features;
}

static int64_t v_n_output(const void *state)
{
    return ((const cml_simple_imputer *)state)->n_keep;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_simple_imputer *s = state;
    CML_CHECK(cml_tr_save_n_features(w, s->n_features));
    return cml_gguf_add_f64(w, "statistics", s->statistics, 1, s->n_features);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    const cml_simple_imputer_params *p = params;
    int64_t d;
    cml_simple_imputer *s;
    CML_CHECK(cml_tr_load_n_features(g, &d));
    CML_CHECK(cml_gguf_expect(g, "statistics", CML_GGUF_T_F64, 1, d)); /* before sizing */
    CML_CHECK(imputer_new(d, &s));
    cml_status st;
    CML_TRY(cml_gguf_read_f64(g, "statistics", 1, d, s->statistics));
    st = select_kept(s, p->strategy);
    if (st != CML_OK) {
        st = cml_fail_context(CML_ERR_FORMAT, "%s", cml_gguf_name(g));
        goto fail;
    }
    *state = s;
    return CML_OK;
fail:
    cml_simple_imputer_free(s);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_simple_imputer *s = state;
    cml_tr_field f[] = {
        {"statistics_", CML_TR_VECTOR, s->statistics, NULL, 1, s->n_features, NULL},
    };
    return cml_tr_describe(f, 1);
}

static void v_free(void *state)
{
    cml_simple_imputer_free(state);
}

const cml_estimator cml_est_simple_imputer = {
    .name = NAME,
    .aliases = "impute",
    .summary = "fill missing values (NaN) with each column's mean, median, mode or a constant",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_simple_imputer_params),
    .allows_nan = 1,
    .fit = v_fit,
    .transform = v_transform,
    .n_features_in = v_n_features,
    .n_transform_cols = v_n_output,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
