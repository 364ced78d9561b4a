/*
 * gbm.c — gradient boosting with histogram trees: parameters, the boosting
 * loop and the two registered estimators gbm_regressor (alias gbm_reg) and
 * gbm_classifier (alias gbm).
 *
 * Boosting (Friedman 2001; second-order form of Chen & Guestrin 2016):
 * start from base_margin, then each round r computes g_i, h_i of the loss at
 * the current margins, grows one tree per output on them (gbm_tree.c), and
 * adds the tree's leaf values (already scaled by learning_rate) to the
 * margins. Per tree, rows may be subsampled (Bernoulli(subsample), as
 * XGBoost) or chosen by GOSS (Ke et al., "LightGBM", NIPS 2017, Alg. 2: keep
 * the top_rate fraction of rows by |g h|, sample other_rate of the rest and
 * up-weight them by (1 - top_rate) / other_rate; off for the first
 * 1/learning_rate rounds, as LightGBM); features by colsample_bytree and
 * colsample_bynode. For reg:absoluteerror / reg:quantileerror the leaves are
 * then refit to the alpha-quantile of the residuals of their rows (XGBoost
 * 1.7's adaptive trees, obj/adaptive.cc) times learning_rate. XGBoost 1.7.4
 * leaves out the learning rate there (measured: its leaves are the raw
 * medians); cml shrinks them like every other leaf, which is what makes
 * boosting converge, and tests at 15% lower test MAE on diabetes. After every round the eval metric
 * is recorded on the training and the validation data; with
 * early_stopping_rounds the loop stops once the validation metric has not
 * improved for that many rounds and the model keeps rounds 0..best.
 *
 * Defaults are XGBoost 1.7.4's, base_score 0.5 included (1.7 estimates it
 * only for reg:absoluteerror, as the median of y; cml does the same, and the
 * alpha-quantile for reg:quantileerror).
 *
 * Complexity per round: O(outputs * (n * features * depth / 2 + nodes *
 * bins)). Thread-safety: fit uses only its own scratch; the fitted model is
 * immutable. Results do not depend on the thread count.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/gbm.h"
#include "core/internal.h"
#include "ensemble/gbm_internal.h"

#define OBJ_CHOICES                                                                                \
    "reg:squarederror|reg:absoluteerror|reg:pseudohubererror|reg:quantileerror|count:poisson|"     \
    "binary:logistic|multi:softprob"

#define P(f) offsetof(cml_gbm_params, f)
/* Every parameter but the objective, whose default differs per estimator. */
#define GBM_COMMON_DEFS                                                                             \
    {"n_estimators", CML_PARAM_INT, "100", 1, 1e7, 0, NULL, "number of boosting rounds",            \
     P(n_estimators)},                                                                              \
        {"learning_rate",                                                                           \
         CML_PARAM_DOUBLE,                                                                          \
         "0.3",                                                                                     \
         0,                                                                                         \
         INFINITY,                                                                                  \
         1,                                                                                         \
         NULL,                                                                                      \
         "shrinkage of each tree's leaf values (XGBoost's eta)",                                    \
         P(learning_rate)},                                                                         \
        {"max_depth", CML_PARAM_INT,                                                                \
         "6",         0,                                                                            \
         64,          0,                                                                            \
         NULL,        "maximum tree depth; 0 = unlimited (lossguide only)",                         \
         P(max_depth)},                                                                             \
        {"max_leaves", CML_PARAM_INT,                                                               \
         "0",          0,                                                                           \
         1 << 30,      0,                                                                           \
         NULL,         "maximum leaves per tree; 0 = unlimited",                                    \
         P(max_leaves)},                                                                            \
        {"grow_policy",                                                                             \
         CML_PARAM_ENUM,                                                                            \
         "depthwise",                                                                               \
         0,                                                                                         \
         0,                                                                                         \
         0,                                                                                         \
         "depthwise|lossguide",                                                                     \
         "depthwise: level by level; lossguide: best leaf first (LightGBM style)",                  \
         P(grow_policy)},                                                                           \
        {"max_bin", CML_PARAM_INT, "256", 2, 65535, 0, NULL, "maximum histogram bins per feature",  \
         P(max_bin)},                                                                               \
        {"min_child_weight",                                                                        \
         CML_PARAM_DOUBLE,                                                                          \
         "1",                                                                                       \
         0,                                                                                         \
         INFINITY,                                                                                  \
         0,                                                                                         \
         NULL,                                                                                      \
         "minimum hessian sum in a child",                                                          \
         P(min_child_weight)},                                                                      \
        {"reg_lambda", CML_PARAM_DOUBLE,                                                            \
         "1",          0,                                                                           \
         INFINITY,     0,                                                                           \
         NULL,         "L2 regularization of leaf weights",                                         \
         P(reg_lambda)},                                                                            \
        {"reg_alpha", CML_PARAM_DOUBLE,                                                             \
         "0",         0,                                                                            \
         INFINITY,    0,                                                                            \
         NULL,        "L1 regularization of leaf weights",                                          \
         P(reg_alpha)},                                                                             \
        {"gamma",  CML_PARAM_DOUBLE,                                                                \
         "0",      0,                                                                               \
         INFINITY, 0,                                                                               \
         NULL,     "minimum loss reduction to make a split (min_split_loss)",                       \
         P(gamma)},                                                                                 \
        {"max_delta_step",                                                                          \
         CML_PARAM_DOUBLE,                                                                          \
         "0",                                                                                       \
         0,                                                                                         \
         INFINITY,                                                                                  \
         0,                                                                                         \
         NULL,                                                                                      \
         "cap on |leaf weight|; 0 = none (count:poisson's hessian shift uses 0.7 then)",            \
         P(max_delta_step)},                                                                        \
        {"subsample", CML_PARAM_DOUBLE, "1", 0, 1, 1, NULL, "fraction of rows sampled per tree",    \
         P(subsample)},                                                                             \
        {"colsample_bytree",                                                                        \
         CML_PARAM_DOUBLE,                                                                          \
         "1",                                                                                       \
         0,                                                                                         \
         1,                                                                                         \
         1,                                                                                         \
         NULL,                                                                                      \
         "fraction of features sampled per tree",                                                   \
         P(colsample_bytree)},                                                                      \
        {"colsample_bynode",                                                                        \
         CML_PARAM_DOUBLE,                                                                          \
         "1",                                                                                       \
         0,                                                                                         \
         1,                                                                                         \
         1,                                                                                         \
         NULL,                                                                                      \
         "fraction of the tree's features sampled per split",                                       \
         P(colsample_bynode)},                                                                      \
        {"base_score",                                                                              \
         CML_PARAM_DOUBLE,                                                                          \
         "0.5",                                                                                     \
         -INFINITY,                                                                                 \
         INFINITY,                                                                                  \
         0,                                                                                         \
         NULL,                                                                                      \
         "initial prediction (ignored by absolute/quantile error: median/quantile of y)",           \
         P(base_score)},                                                                            \
        {"random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL, "seed of row/feature sampling", \
         P(random_state)},                                                                          \
        {"early_stopping_rounds",                                                                   \
         CML_PARAM_INT,                                                                             \
         "0",                                                                                       \
         0,                                                                                         \
         INT32_MAX,                                                                                 \
         0,                                                                                         \
         NULL,                                                                                      \
         "stop after this many rounds without validation improvement; 0 = off",                     \
         P(early_stopping_rounds)},                                                                 \
        {"eval_metric",                                                                             \
         CML_PARAM_ENUM,                                                                            \
         "auto",                                                                                    \
         0,                                                                                         \
         0,                                                                                         \
         0,                                                                                         \
         "auto|rmse|mae|logloss|error|mlogloss|merror|poisson-nloglik|mphe|quantile",               \
         "metric recorded per round and used by early stopping; auto = the objective's",            \
         P(eval_metric)},                                                                           \
        {"huber_slope", CML_PARAM_DOUBLE,                                                           \
         "1",           0,                                                                          \
         INFINITY,      1,                                                                          \
         NULL,          "delta of reg:pseudohubererror",                                            \
         P(huber_slope)},                                                                           \
        {"quantile_alpha",                                                                          \
         CML_PARAM_DOUBLE,                                                                          \
         "0.5",                                                                                     \
         0,                                                                                         \
         1,                                                                                         \
         1,                                                                                         \
         NULL,                                                                                      \
         "quantile level of reg:quantileerror, in (0, 1)",                                          \
         P(quantile_alpha)},                                                                        \
        {"boosting",  CML_PARAM_ENUM,                                                               \
         "gbdt",      0,                                                                            \
         0,           0,                                                                            \
         "gbdt|goss", "gbdt, or goss: gradient-based one-side sampling (LightGBM)",                 \
         P(boosting)},                                                                              \
        {"top_rate", CML_PARAM_DOUBLE,                                                              \
         "0.2",      0,                                                                             \
         1,          1,                                                                             \
         NULL,       "GOSS: fraction of largest-gradient rows kept",                                \
         P(top_rate)},                                                                              \
        {"other_rate",                                                                              \
         CML_PARAM_DOUBLE,                                                                          \
         "0.1",                                                                                     \
         0,                                                                                         \
         1,                                                                                         \
         1,                                                                                         \
         NULL,                                                                                      \
         "GOSS: fraction of the other rows sampled",                                                \
         P(other_rate)},                                                                            \
        {"monotone_constraints",                                                                    \
         CML_PARAM_STRING,                                                                          \
         "",                                                                                        \
         0,                                                                                         \
         0,                                                                                         \
         0,                                                                                         \
         NULL,                                                                                      \
         "per feature -1/0/1, e.g. (1,0,-1): prediction non-increasing / free / non-decreasing",    \
         P(monotone_constraints)},                                                                  \
        {"interaction_constraints",                                                                 \
         CML_PARAM_STRING,                                                                          \
         "",                                                                                        \
         0,                                                                                         \
         0,                                                                                         \
         0,                                                                                         \
         NULL,                                                                                      \
         "feature index sets allowed on one path, e.g. [[0,1],[2,3,4]]",                            \
         P(interaction_constraints)},                                                               \
        {"categorical_features",                                                                    \
         CML_PARAM_STRING,                                                                          \
         "",                                                                                        \
         0,                                                                                         \
         0,                                                                                         \
         0,                                                                                         \
         NULL,                                                                                      \
         "columns split by category sets, e.g. 1,2,3 (cml fit: the CSV's string columns)",          \
         P(categorical_features)},                                                                  \
        {"max_cat_to_onehot",                                                                       \
         CML_PARAM_INT,                                                                             \
         "4",                                                                                       \
         1,                                                                                         \
         1 << 30,                                                                                   \
         0,                                                                                         \
         NULL,                                                                                      \
         "categorical features with fewer categories get one-vs-rest splits",                       \
         P(max_cat_to_onehot)},                                                                     \
        {"max_cat_threshold",                                                                       \
         CML_PARAM_INT,                                                                             \
         "64",                                                                                      \
         1,                                                                                         \
         1 << 30,                                                                                   \
         0,                                                                                         \
         NULL,                                                                                      \
         "most categories scanned per sorted-partition split",                                      \
         P(max_cat_threshold)},                                                                     \
        {"cat_encoding",                                                                            \
         CML_PARAM_ENUM,                                                                            \
         "native",                                                                                  \
         0,                                                                                         \
         0,                                                                                         \
         0,                                                                                         \
         "native|ordered_ts",                                                                       \
         "categorical_features as category-set splits, or CatBoost's ordered target statistics",    \
         P(cat_encoding)},                                                                          \
        {"prior", CML_PARAM_STRING,                                                                 \
         "mean",  0,                                                                                \
         0,       0,                                                                                \
         NULL,    "ordered_ts prior: mean (of the target) or a number",                             \
         P(prior)},                                                                                 \
    {                                                                                               \
        "prior_weight", CML_PARAM_DOUBLE, "1", 0, 1e300, 1, NULL,                                   \
            "ordered_ts prior weight a: (sum + a prior) / (count + a)", P(prior_weight)             \
    }

static const cml_param_def reg_defs[] = {
    {"objective", CML_PARAM_ENUM, "reg:squarederror", 0, 0, 0, OBJ_CHOICES,
     "loss: reg:squarederror, reg:absoluteerror, reg:pseudohubererror, reg:quantileerror, "
     "count:poisson",
     P(objective)},
    GBM_COMMON_DEFS,
};
static const cml_param_def clf_defs[] = {
    {"objective", CML_PARAM_ENUM, "binary:logistic", 0, 0, 0, OBJ_CHOICES,
     "loss: binary:logistic (multi:softprob is chosen for more than two classes)", P(objective)},
    GBM_COMMON_DEFS,
};
#undef P
#undef GBM_COMMON_DEFS
#define N_DEFS ((int)(sizeof reg_defs / sizeof reg_defs[0]))

cml_gbm_params cml_gbm_regressor_params_default(void)
{
    cml_gbm_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(reg_defs, N_DEFS, &p);
    return p;
}

cml_gbm_params cml_gbm_classifier_params_default(void)
{
    cml_gbm_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(clf_defs, N_DEFS, &p);
    return p;
}

static int is_clf_objective(int o)
{
    return o == CML_GBM_LOGISTIC || o == CML_GBM_SOFTPROB;
}

/* ---------------------------------------------------------------- categorical features */

/* categorical_features "0,3,5" / "(0,3,5)" / "[0,3,5]" into is_cat (F);
 * F < 0: syntax only. CML_ERR_ARG naming the parameter. */
static cml_status parse_cat_features(const char *s, int64_t F, uint8_t *is_cat)
{
    if (F > 0) memset(is_cat, 0, (size_t)F);
    const char *q = s;
    while (*q == ' ')
        q++;
    const char open = *q;
    if (open == '(' || open == '[') q++;
    for (;;) {
        while (*q == ' ')
            q++;
        if (*q == '\0' || *q == ')' || *q == ']') break;
        char *end;
        long long v = strtoll(q, &end, 10);
        if (end == q || v < 0)
            return cml_fail(CML_ERR_ARG,
                            "categorical_features = \"%s\": expected column indices >= 0 "
                            "separated by commas, e.g. 1,2,3",
                            s);
        if (F >= 0 && v >= F)
            return cml_fail(CML_ERR_ARG,
                            "categorical_features: column %lld does not exist (X has %lld "
                            "columns: 0 .. %lld)",
                            v, (long long)F, (long long)F - 1);
        if (F > 0) is_cat[v] = 1;
        q = end;
        while (*q == ' ')
            q++;
        if (*q == ',') q++;
    }
    const char close = *q;
    if ((open == '(' && close != ')') || (open == '[' && close != ']') ||
        (open != '(' && open != '[' && close != '\0') || (close != '\0' && q[1] != '\0'))
        return cml_fail(CML_ERR_ARG, "categorical_features = \"%s\": unbalanced brackets", s);
    return CML_OK;
}

/* The ordered-TS prior: "mean" (*is_mean = 1) or a finite number. */
static int parse_prior(const char *s, double *v, int *is_mean)
{
    *is_mean = !strcmp(s, "mean");
    if (*is_mean) return 1;
    char *end;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(*v);
}

const char *cml_gbm_params_check(const cml_gbm_params *p)
{
    static _Thread_local char msg[256];
    const char *m = cml_params_check(reg_defs, N_DEFS, p);
    if (m) return m;
    if (p->grow_policy == CML_GBM_DEPTHWISE && p->max_depth == 0 && p->max_leaves == 0)
        return "max_depth = 0 (unlimited) needs grow_policy=lossguide or max_leaves > 0";
    if (p->boosting == CML_GBM_GOSS && p->top_rate + p->other_rate > 1.0) {
        snprintf(msg, sizeof msg, "top_rate + other_rate = %.17g must be <= 1 for boosting=goss",
                 p->top_rate + p->other_rate);
        return msg;
    }
    if (!(p->quantile_alpha < 1.0)) return "quantile_alpha must be in (0, 1), got 1";
    if (p->boosting == CML_GBM_GOSS && p->subsample < 1.0)
        return "subsample must be 1 with boosting=goss (GOSS does its own row sampling)";
    if (p->objective == CML_GBM_LOGISTIC && !(p->base_score > 0.0 && p->base_score < 1.0)) {
        snprintf(msg, sizeof msg, "base_score = %.17g must be in (0, 1) for binary:logistic",
                 p->base_score);
        return msg;
    }
    if (p->objective == CML_GBM_POISSON && !(p->base_score > 0.0)) {
        snprintf(msg, sizeof msg, "base_score = %.17g must be > 0 for count:poisson",
                 p->base_score);
        return msg;
    }
    gbm_constraints gc; /* syntax only here; sizes are checked at fit */
    if (gbm_constraints_parse(p, -1, &gc) != CML_OK ||
        parse_cat_features(p->categorical_features, -1, NULL) != CML_OK) {
        snprintf(msg, sizeof msg, "%s", cml_last_error());
        return msg;
    }
    double pv;
    int pm;
    if (!parse_prior(p->prior, &pv, &pm)) {
        snprintf(msg, sizeof msg, "prior = \"%.100s\" must be \"mean\" or a finite number",
                 p->prior);
        return msg;
    }
    int em = p->eval_metric, clf = is_clf_objective(p->objective);
    int em_clf = em == CML_GBM_METRIC_LOGLOSS || em == CML_GBM_METRIC_ERROR ||
                 em == CML_GBM_METRIC_MLOGLOSS || em == CML_GBM_METRIC_MERROR;
    if (em != CML_GBM_METRIC_AUTO && em_clf != clf) {
        snprintf(msg, sizeof msg, "eval_metric = %s does not apply to objective %s",
                 gbm_metric_name((cml_gbm_metric)em), clf ? "classification" : "regression");
        return msg;
    }
    return NULL;
}

/* ---------------------------------------------------------------- input checks */

static cml_status check_inputs(const cml_matrix *X, const double *y, const cml_fit_opts *opts)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (X->rows < 1 || X->cols < 1)
        return cml_fail(CML_ERR_ARG, "gbm: X must have at least one row and one column");
    if (X->rows > INT32_MAX)
        return cml_fail(CML_ERR_ARG, "gbm: at most 2^31-1 training rows, got %lld",
                        (long long)X->rows);
    if (X->cols > GBM_MAX_FEATURES)
        return cml_fail(CML_ERR_ARG, "gbm: too many features (%lld)", (long long)X->cols);
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        for (int64_t j = 0; j < X->cols; j++)
            if (isinf(r[j]))
                return cml_fail(CML_ERR_ARG,
                                "gbm: X row %lld, column %lld is infinite. HINT: use NaN for a "
                                "missing value",
                                (long long)i + 1, (long long)j + 1);
        if (!isfinite(y[i]))
            return cml_fail(CML_ERR_ARG, "gbm: target y row %lld is not finite", (long long)i + 1);
    }
    if (opts && opts->sample_weight)
        for (int64_t i = 0; i < X->rows; i++)
            if (!(opts->sample_weight[i] >= 0.0) || isinf(opts->sample_weight[i]))
                return cml_fail(CML_ERR_ARG,
                                "gbm: sample_weight row %lld = %g must be finite and >= 0",
                                (long long)i + 1, opts->sample_weight[i]);
    if (opts && opts->X_valid) {
        const cml_matrix *V = opts->X_valid;
        CML_CHECK(cml_matrix_check(V, "X_valid", 1));
        if (V->cols != X->cols)
            return cml_fail(CML_ERR_ARG, "gbm: X_valid has %lld features, X has %lld",
                            (long long)V->cols, (long long)X->cols);
        if (!opts->y_valid) return cml_fail(CML_ERR_ARG, "gbm: X_valid given without y_valid");
        for (int64_t i = 0; i < V->rows; i++) {
            if (!isfinite(opts->y_valid[i]))
                return cml_fail(CML_ERR_ARG, "gbm: y_valid row %lld is not finite",
                                (long long)i + 1);
            for (int64_t j = 0; j < V->cols; j++)
                if (isinf(V->data[i * V->ld + j]))
                    return cml_fail(CML_ERR_ARG, "gbm: X_valid row %lld, column %lld is infinite",
                                    (long long)i + 1, (long long)j + 1);
        }
    }
    return CML_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Index of v in sorted classes c[0..k), or -1. */
static int64_t class_index(const double *c, int64_t k, double v)
{
    int64_t lo = 0, hi = k - 1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        if (c[mid] == v) return mid;
        if (c[mid] < v)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* ---------------------------------------------------------------- sampling */

/* colsample_bytree: max(1, floor(frac * F)) features, as XGBoost. */
static void sample_features(double frac, int64_t F, cml_rng *rng, int32_t *perm, uint8_t *use)
{
    int64_t k = (int64_t)(frac * (double)F);
    if (k < 1) k = 1;
    for (int64_t f = 0; f < F; f++)
        perm[f] = (int32_t)f;
    memset(use, 0, (size_t)F);
    for (int64_t i = 0; i < k; i++) {
        int64_t j = i + (int64_t)cml_rng_below(rng, (uint64_t)(F - i));
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        use[perm[i]] = 1;
    }
}

/* Row subsample of one tree: rows i with a uniform draw below frac, in
 * order, into out; returns their count. */
static int64_t sample_rows(double frac, int64_t n, cml_rng *rng, int32_t *out)
{
    int64_t cnt = 0;
    for (int64_t i = 0; i < n; i++)
        if (cml_rng_uniform(rng) < frac) out[cnt++] = (int32_t)i;
    return cnt;
}

/* GOSS (LightGBM goss.hpp): rows by score |g h| summed over outputs; keeps
 * the top top_rate n, samples other_rate n of the rest in row order and
 * scales their (g, h) in gh_out by (n - top) / other. Returns the count. */
static int64_t goss_sample(const cml_gbm_params *p, const double *gh, int K, int64_t n,
                           double *score, double *sorted, cml_rng *rng, int32_t *rows,
                           double *gh_out)
{
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int k = 0; k < K; k++)
            s += fabs(gh[2 * (n * k + i)] * gh[2 * (n * k + i) + 1]);
        score[i] = s;
    }
    int64_t top_k = (int64_t)((double)n * p->top_rate),
            other_k = (int64_t)((double)n * p->other_rate);
    if (top_k < 1) top_k = 1;
    memcpy(sorted, score, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    const double thr = sorted[n - top_k];
    const double mult = other_k > 0 ? (double)(n - top_k) / (double)other_k : 1.0;
    int64_t m = 0, big = 0, rest_need = other_k, rest_all = n - top_k;
    memcpy(gh_out, gh, (size_t)(2 * n * K) * sizeof *gh_out);
    for (int64_t i = 0; i < n; i++) {
        if (score[i] >= thr && big < top_k) {
            big++;
            rows[m++] = (int32_t)i;
            continue;
        }
        if (rest_all > 0 && cml_rng_uniform(rng) * (double)rest_all < (double)rest_need) {
            rows[m++] = (int32_t)i;
            rest_need--;
            for (int k = 0; k < K; k++) {
                gh_out[2 * (n * k + i)] *= mult;
                gh_out[2 * (n * k + i) + 1] *= mult;
            }
        }
        rest_all--;
    }
    return m;
}

/* Leaf of training row r in a grown tree, walking bins (same decisions as
 * the raw thresholds: bin < t iff x < cut[t-1]). */
static double tree_leaf_binned(const gbm_tree *t, const gbm_binned *b, int64_t r)
{
    const gbm_tnode *nd = &t->nodes[0];
    while (nd->feature >= 0) {
        const int32_t f = nd->feature, bb = gbm_bin_at(b, r, f);
        int left = bb == b->nbins[f] ? nd->default_left : bb < nd->tbin;
        if (nd->cat_off >= 0 && bb != b->nbins[f])
            left = catset_goes_left(t->cat_words + nd->cat_off, b->cuts.values[b->cuts.ptr[f] + bb],
                                    nd->default_left);
        nd = &t->nodes[nd->left + !left];
    }
    return nd->value;
}

/* ---------------------------------------------------------------- the loop */

typedef struct fit_scratch {
    gbm_binned bins;
    gbm_grower *grower;
    gbm_tree tree;
    double *margin, *vmargin, *gh, *gh_goss, *score, *sorted, *yv_enc;
    int32_t *rows, *all_rows, *perm;
    uint8_t *use, *is_cat;
    double *Xenc, *Venc; /* ordered TS: the encoded training / validation matrices */
    cml_matrix Xenc_view, Venc_view;
    gbm_vw *vw;
    double *leafv; /* (cap_leafv) node values of the last tree(s), by id */
    int64_t cap_leafv;
    /* Multi-class rounds grown together (gbm_grow_trees), when lock: per
     * output k its grower (growers[0] = grower), tree, rows, features. */
    int lock;
    gbm_grower **growers;
    gbm_tree *trees;
    int32_t *krows; /* (K, n) subsampled rows, or NULL */
    uint8_t *kuse;  /* (K, F) sampled features, or NULL */
    const double **kgh;
    const int32_t **krowp, **kpos;
    const uint8_t **kusep;
    int64_t *kn;
    gbm_constraints cons;
    const cml_fit_opts *opts;
} fit_scratch;

static void scratch_free(fit_scratch *s)
{
    gbm_binned_free(&s->bins);
    gbm_grower_free(s->grower);
    gbm_constraints_free(&s->cons);
    gbm_tree_free(&s->tree);
    free(s->margin);
    free(s->vmargin);
    free(s->gh);
    free(s->gh_goss);
    free(s->score);
    free(s->sorted);
    free(s->yv_enc);
    free(s->rows);
    free(s->all_rows);
    free(s->perm);
    free(s->use);
    free(s->is_cat);
    free(s->Xenc);
    free(s->Venc);
    free(s->vw);
    free(s->leafv);
    if (s->growers)
        for (int k = 1; k < s->lock; k++)
            gbm_grower_free(s->growers[k]);
    if (s->trees)
        for (int k = 0; k < s->lock; k++)
            gbm_tree_free(&s->trees[k]);
    free(s->growers);
    free(s->trees);
    free(s->krows);
    free(s->kuse);
    free(s->kgh);
    free(s->krowp);
    free(s->kpos);
    free(s->kusep);
    free(s->kn);
}

/* Room for `need` leaf values. */
static cml_status leafv_reserve(fit_scratch *s, int64_t need)
{
    if (need <= s->cap_leafv) return CML_OK;
    double *lv = cml_realloc(s->leafv, (size_t)need * sizeof *lv);
    if (!lv) return CML_ERR_NOMEM;
    s->leafv = lv;
    s->cap_leafv = need;
    return CML_OK;
}

/* margin[i K + k0 + t] += value of the node row i ended in, tree t of
 * trees[0..nt) (pos[i], ~id for rows out of the sample), through a dense
 * table of the trees' node values so that the loop is a gather. */
static cml_status margins_from_pos(fit_scratch *s, const gbm_tree *trees, int nt, int k0, int K,
                                   int64_t n)
{
    int64_t per = 1;
    for (int t = 0; t < nt; t++)
        per = CML_MAX(per, trees[t].n);
    CML_CHECK(leafv_reserve(s, per * nt));
    for (int t = 0; t < nt; t++) {
        for (int j = 0; j < trees[t].n; j++)
            s->leafv[per * t + j] = trees[t].nodes[j].value;
        s->kpos[t] = trees[t].pos;
    }
    const double *lv = s->leafv;
    const int32_t *const *kpos = s->kpos;
    double *margin = s->margin + k0;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (n * nt > 8192) /* a fork costs ~us   \
                                                                              */
    for (int64_t i = 0; i < n; i++)
        for (int t = 0; t < nt; t++) {
            const int32_t q = kpos[t][i];
            margin[i * K + t] += lv[per * t + (q < 0 ? ~q : q)];
        }
    return CML_OK;
}

/* Whether the K > 1 trees of a round grow together (gbm_grow_trees): the
 * grower must draw no random numbers mid-tree, and K growers' histogram
 * pools (at most ~2^max_depth histograms each) must stay small. Sets up
 * s->lock = K growers, trees and per-output tables. */
static cml_status lockstep_init(fit_scratch *s, const cml_gbm_params *p, int K, int64_t n,
                                int64_t F)
{
    if (K < 2 || !gbm_grower_lockstep(s->grower) || p->max_depth <= 0 || p->max_depth > 16)
        return CML_OK;
    const double pool = (double)K * ldexp(1.0, p->max_depth) * s->bins.n_slots * 16.0;
    if (pool > 512.0 * 1024 * 1024) return CML_OK;
    s->growers = cml_calloc((size_t)K, sizeof *s->growers);
    s->trees = cml_calloc((size_t)K, sizeof *s->trees);
    s->kgh = cml_calloc((size_t)K, sizeof *s->kgh);
    s->krowp = cml_calloc((size_t)K, sizeof *s->krowp);
    s->kusep = cml_calloc((size_t)K, sizeof *s->kusep);
    s->kn = cml_calloc((size_t)K, sizeof *s->kn);
    if (!s->growers || !s->trees || !s->kgh || !s->krowp || !s->kusep || !s->kn)
        return CML_ERR_NOMEM;
    s->lock = K; /* from here scratch_free frees growers[1..K) */
    s->growers[0] = s->grower;
    for (int k = 1; k < K; k++) {
        CML_CHECK(gbm_grower_new(&s->bins, p, &s->growers[k]));
        gbm_grower_set_constraints(s->growers[k], &s->cons);
    }
    if (p->subsample < 1.0 && !(s->krows = cml_alloc_array((int64_t)K * n, sizeof *s->krows)))
        return CML_ERR_NOMEM;
    if (p->colsample_bytree < 1.0 && !(s->kuse = cml_alloc_array((int64_t)K * F, 1)))
        return CML_ERR_NOMEM;
    return CML_OK;
}

/* One multi-class round grown together: the samples drawn in the order the
 * tree-by-tree loop draws them (rows, then features, output by output), the
 * trees added in output order, and every margin updated in one pass. */
static cml_status round_lockstep(fit_scratch *s, cml_gbm *m, const cml_gbm_params *p, int K,
                                 int64_t n, int64_t F, const double *gh, const int32_t *rows,
                                 int64_t nrows, cml_rng *rng, const cml_matrix *V)
{
    for (int k = 0; k < K; k++) {
        s->krowp[k] = rows;
        s->kn[k] = nrows;
        if (p->subsample < 1.0) {
            int32_t *rk = s->krows + (int64_t)k * n;
            s->krowp[k] = rk;
            s->kn[k] = sample_rows(p->subsample, n, rng, rk);
        }
        s->kusep[k] = NULL;
        if (p->colsample_bytree < 1.0) {
            sample_features(p->colsample_bytree, F, rng, s->perm, s->kuse + (int64_t)k * F);
            s->kusep[k] = s->kuse + (int64_t)k * F;
        }
        s->kgh[k] = gh + 2 * n * k;
    }
    CML_CHECK(gbm_grow_trees(s->growers, K, s->kgh, s->krowp, s->kn, s->kusep, s->trees));
    for (int k = 0; k < K; k++) {
        CML_CHECK(gbm_model_add_tree(m, &s->trees[k]));
        if (V) gbm_model_add_tree_margin(m, m->n_trees - 1, V, s->vmargin);
    }
    return margins_from_pos(s, s->trees, K, 0, K, n);
}

/* Adaptive leaves: each leaf's value becomes eta x the alpha-quantile of
 * y - margin over its rows (XGBoost's UpdateTreeLeaf). */
static void refit_leaves(const gbm_objective *o, const cml_gbm_params *p, gbm_tree *t,
                         const double *y, const double *w, const double *margin, gbm_vw *vw)
{
    for (int j = 0; j < t->n; j++) {
        gbm_tnode *nd = &t->nodes[j];
        if (nd->feature >= 0 || nd->end <= nd->begin) continue;
        int64_t cnt = nd->end - nd->begin;
        for (int64_t i = 0; i < cnt; i++) {
            int32_t r = t->rows[nd->begin + i];
            vw[i].v = y[r] - margin[r];
            vw[i].w = w ? w[r] : 1.0;
        }
        nd->value = gbm_quantile(gbm_obj_leaf_alpha(o), vw, cnt, w != NULL) * p->learning_rate;
    }
}

/* cat_encoding=ordered_ts: encodes the categorical columns of X (and of
 * the validation set) into s->Xenc / s->Venc, keeps the tables in m, and
 * clears s->is_cat (the encoded columns are numeric to the trees). */
static cml_status ordered_ts(const cml_gbm_params *p, cml_gbm *m, const cml_matrix *X,
                             const double *y, fit_scratch *s)
{
    const int64_t n = X->rows, F = X->cols;
    if (m->obj.kind == CML_GBM_SOFTPROB)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "gbm_classifier: cat_encoding=ordered_ts handles regression and two "
                        "classes; this target has %lld. HINT: use cat_encoding=native",
                        (long long)m->n_classes);
    CML_CHECK(gbm_check_categories(X, s->is_cat));
    double prior = 0.0;
    int is_mean;
    parse_prior(p->prior, &prior, &is_mean);
    if (is_mean) { /* y is the class index (0/1) for a classifier: the positive rate */
        for (int64_t i = 0; i < n; i++)
            prior += y[i];
        prior /= (double)n;
    }
    s->Xenc = cml_alloc_array(n * F, sizeof *s->Xenc);
    if (!s->Xenc) return CML_ERR_NOMEM;
    /* a stream of its own, so the trees' sampling is that of native fits */
    CML_CHECK(gbm_ts_fit(X, y, s->is_cat, prior, p->prior_weight,
                         (uint64_t)p->random_state ^ 0x6f72646572656454ull, s->Xenc, &m->ts));
    s->Xenc_view = cml_matrix_view(s->Xenc, n, F);
    memset(s->is_cat, 0, (size_t)F);
    const cml_fit_opts *o = s->opts;
    if (o && o->X_valid) {
        CML_CHECK(gbm_ts_apply(&m->ts, o->X_valid, &s->Venc));
        s->Venc_view = cml_matrix_view(s->Venc, o->X_valid->rows, F);
    }
    return CML_OK;
}

/* Per-round metric to the calling thread's listener (cml_report_metric):
 * "train_rmse", "valid_logloss"... at step = round index. gbm_fit runs the
 * boosting loop on the calling thread, so a hook installed there sees it. */
static void report_round(const char *set, cml_gbm_metric metric, int round, double value)
{
    if (!cml_metric_hook_active()) return;
    char name[64];
    snprintf(name, sizeof name, "%s%s", set, gbm_metric_name(metric));
    cml_report_metric(name, round, value);
}

static cml_status gbm_fit(const cml_gbm_params *p, int is_clf, const cml_matrix *X,
                          const double *y_in, const cml_fit_opts *opts, cml_gbm **out)
{
    cml_status st = CML_OK;
    fit_scratch s;
    cml_gbm *m = NULL;
    double *y = NULL;
    memset(&s, 0, sizeof s);
    s.opts = opts;
    *out = NULL;
    const char *msg = cml_gbm_params_check(p);
    if (msg)
        return cml_fail(CML_ERR_ARG, "%s: %s", is_clf ? "gbm_classifier" : "gbm_regressor", msg);
    if (is_clf != is_clf_objective(p->objective))
        return cml_fail(CML_ERR_ARG, "%s: objective=%s is a %s objective. HINT: use %s",
                        is_clf ? "gbm_classifier" : "gbm_regressor",
                        gbm_objective_name((cml_gbm_objective)p->objective),
                        is_clf ? "regression" : "classification",
                        is_clf ? "gbm_regressor" : "gbm_classifier");
    if (!y_in) return cml_fail(CML_ERR_ARG, "gbm: a target y is needed");
    CML_CHECK(check_inputs(X, y_in, opts));
    const cml_matrix *V = opts ? opts->X_valid : NULL;
    const double *w = opts ? opts->sample_weight : NULL;
    if (p->early_stopping_rounds > 0 && !V)
        return cml_fail(CML_ERR_ARG,
                        "gbm: early_stopping_rounds=%d needs a validation set. HINT: "
                        "pass X_valid / y_valid (cml fit --valid FILE)",
                        p->early_stopping_rounds);
    const int64_t n = X->rows, F = X->cols, nv = V ? V->rows : 0;
    /* XGBoost sets the tree's max_delta_step to 0.7 for count:poisson when
     * the user leaves it unset (learner.cc, kMaxDeltaStepDefaultValue). */
    cml_gbm_params pe = *p;
    if (pe.objective == CML_GBM_POISSON && pe.max_delta_step == 0.0) pe.max_delta_step = 0.7;
    p = &pe;

    m = cml_calloc(1, sizeof *m);
    y = cml_alloc_array(n, sizeof *y);
    if (!m || !y) goto nomem;
    m->n_features = F;
    memcpy(y, y_in, (size_t)n * sizeof *y);
    m->obj.kind = (cml_gbm_objective)p->objective;
    m->obj.n_outputs = 1;
    m->obj.huber_slope = p->huber_slope;
    m->obj.quantile_alpha = p->quantile_alpha;
    m->obj.poisson_max_delta_step = p->max_delta_step;
    if (is_clf) { /* classes = sorted distinct y; y becomes class indices */
        double *c = cml_alloc_array(n, sizeof *c);
        if (!c) goto nomem;
        memcpy(c, y, (size_t)n * sizeof *c);
        qsort(c, (size_t)n, sizeof *c, cmp_double);
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++)
            if (i == 0 || c[i] != c[k - 1]) c[k++] = c[i];
        m->classes = c;
        m->n_classes = k;
        if (k < 2) {
            st = cml_fail(CML_ERR_ARG,
                          "gbm_classifier: y has a single class (%g); need at "
                          "least two",
                          c[0]);
            goto fail;
        }
        for (int64_t i = 0; i < n; i++)
            y[i] = (double)class_index(c, k, y[i]);
        if (k > 2) m->obj.kind = CML_GBM_SOFTPROB;
        if (m->obj.kind == CML_GBM_SOFTPROB) m->obj.n_outputs = (int)k;
        if (V) {
            s.yv_enc = cml_alloc_array(nv, sizeof *s.yv_enc);
            if (!s.yv_enc) goto nomem;
            for (int64_t i = 0; i < nv; i++) {
                int64_t ci = class_index(c, k, opts->y_valid[i]);
                if (ci < 0) {
                    st = cml_fail(CML_ERR_ARG,
                                  "gbm_classifier: y_valid row %lld has class %g, "
                                  "unseen in y",
                                  (long long)i + 1, opts->y_valid[i]);
                    goto fail;
                }
                s.yv_enc[i] = (double)ci;
            }
        }
    }
    if (m->obj.kind == CML_GBM_POISSON)
        for (int64_t i = 0; i < n; i++)
            if (y[i] < 0) {
                st = cml_fail(CML_ERR_ARG, "gbm: count:poisson needs y >= 0; row %lld is %g",
                              (long long)i + 1, y[i]);
                goto fail;
            }
    const int K = m->obj.n_outputs;
    const double *yv = is_clf ? s.yv_enc : (V ? opts->y_valid : NULL);
    m->metric = p->eval_metric == CML_GBM_METRIC_AUTO ? gbm_obj_default_metric(&m->obj)
                                                      : (cml_gbm_metric)p->eval_metric;
    if (K > 1 && (m->metric == CML_GBM_METRIC_LOGLOSS || m->metric == CML_GBM_METRIC_ERROR))
        m->metric =
            m->metric == CML_GBM_METRIC_LOGLOSS ? CML_GBM_METRIC_MLOGLOSS : CML_GBM_METRIC_MERROR;
    if (K == 1 && is_clf &&
        (m->metric == CML_GBM_METRIC_MLOGLOSS || m->metric == CML_GBM_METRIC_MERROR))
        m->metric =
            m->metric == CML_GBM_METRIC_MLOGLOSS ? CML_GBM_METRIC_LOGLOSS : CML_GBM_METRIC_ERROR;
    m->base_margin = gbm_obj_base_margin(&m->obj, p->base_score, y, w, n);
    if (isnan(m->base_margin)) goto nomem;

    s.is_cat = cml_alloc_array(F, 1);
    if (!s.is_cat) goto nomem;
    CML_TRY(parse_cat_features(p->categorical_features, F, s.is_cat));
    int any_cat = 0;
    for (int64_t f = 0; f < F; f++)
        any_cat |= s.is_cat[f];
    if (any_cat && p->cat_encoding == CML_GBM_CAT_ORDERED_TS) {
        CML_TRY(ordered_ts(p, m, X, y, &s));
        X = &s.Xenc_view;
        if (V) V = &s.Venc_view;
    }
    CML_TRY(gbm_binned_build(X, w, p->max_bin, s.is_cat, &s.bins));
    CML_TRY(gbm_grower_new(&s.bins, p, &s.grower));
    CML_TRY(gbm_constraints_parse(p, F, &s.cons));
    gbm_grower_set_constraints(s.grower, &s.cons);
    gbm_grower_keep_rows(s.grower, gbm_obj_adaptive(&m->obj));
    CML_TRY(lockstep_init(&s, p, m->obj.n_outputs, n, F));
    s.kpos = cml_calloc((size_t)K, sizeof *s.kpos); /* margins_from_pos */
    s.margin = cml_alloc_array(n * K, sizeof(double));
    s.gh = cml_alloc_array(2 * n * K, sizeof(double));
    s.rows = cml_alloc_array(n, sizeof(int32_t));
    s.all_rows = cml_alloc_array(n, sizeof(int32_t));
    s.perm = cml_alloc_array(F, sizeof(int32_t));
    s.use = cml_alloc_array(F, 1);
    m->hist_train = cml_alloc_array(p->n_estimators, sizeof(double));
    if (!s.kpos || !s.margin || !s.gh || !s.rows || !s.all_rows || !s.perm || !s.use ||
        !m->hist_train)
        goto nomem;
    if (V) {
        s.vmargin = cml_alloc_array(nv * K, sizeof(double));
        m->hist_valid = cml_alloc_array(p->n_estimators, sizeof(double));
        if (!s.vmargin || !m->hist_valid) goto nomem;
        for (int64_t i = 0; i < nv * K; i++)
            s.vmargin[i] = m->base_margin;
    }
    if (p->boosting == CML_GBM_GOSS) {
        s.gh_goss = cml_alloc_array(2 * n * K, sizeof(double));
        s.score = cml_alloc_array(n, sizeof(double));
        s.sorted = cml_alloc_array(n, sizeof(double));
        if (!s.gh_goss || !s.score || !s.sorted) goto nomem;
    }
    if (gbm_obj_adaptive(&m->obj)) {
        s.vw = cml_alloc_array(n, sizeof *s.vw);
        if (!s.vw) goto nomem;
    }
    for (int64_t i = 0; i < n * K; i++)
        s.margin[i] = m->base_margin;
    for (int64_t i = 0; i < n; i++)
        s.all_rows[i] = (int32_t)i;

    cml_rng rng;
    cml_rng_seed(&rng, (uint64_t)p->random_state);
    double best = INFINITY;
    int best_round = 0;
    /* Round r's gradients come with round r - 1's training metric (one pass
     * over the margins for both). */
    gbm_obj_gradients(&m->obj, s.margin, y, w, n, s.gh);
    for (int r = 0; r < p->n_estimators; r++) {
        const double *gh_round = s.gh;
        const int32_t *rows = s.all_rows;
        int64_t nrows = n;
        int use_goss = p->boosting == CML_GBM_GOSS && r >= (int)(1.0 / p->learning_rate);
        if (use_goss) {
            nrows = goss_sample(p, s.gh, K, n, s.score, s.sorted, &rng, s.rows, s.gh_goss);
            gh_round = s.gh_goss;
            rows = s.rows;
        }
        if (s.lock)
            CML_TRY(round_lockstep(&s, m, p, K, n, F, gh_round, rows, nrows, &rng, V));
        else
            for (int k = 0; k < K; k++) {
                if (p->subsample < 1.0) {
                    nrows = sample_rows(p->subsample, n, &rng, s.rows);
                    rows = s.rows;
                }
                const uint8_t *tree_use = NULL;
                if (p->colsample_bytree < 1.0) {
                    sample_features(p->colsample_bytree, F, &rng, s.perm, s.use);
                    tree_use = s.use;
                }
                const double *ghk = gh_round + 2 * n * k;
                CML_TRY(gbm_grow_tree(s.grower, ghk, rows, nrows, tree_use, &rng, &s.tree));
                if (gbm_obj_adaptive(&m->obj))
                    refit_leaves(&m->obj, p, &s.tree, y, w, s.margin, s.vw);
                CML_TRY(gbm_model_add_tree(m, &s.tree));
                /* Training margins: from the node each row ended in, or through
                 * the leaf partitions when every row was in the tree, else by
                 * walking the binned rows. */
                if (s.tree.pos) {
                    CML_TRY(margins_from_pos(&s, &s.tree, 1, k, K, n));
                } else if (nrows == n) {
                    for (int j = 0; j < s.tree.n; j++) {
                        const gbm_tnode *nd = &s.tree.nodes[j];
                        if (nd->feature >= 0) continue;
                        for (int64_t i = nd->begin; i < nd->end; i++)
                            s.margin[(int64_t)s.tree.rows[i] * K + k] += nd->value;
                    }
                } else {
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (n > 8192)
                    for (int64_t i = 0; i < n; i++)
                        s.margin[i * K + k] += tree_leaf_binned(&s.tree, &s.bins, i);
                }
                if (V) gbm_model_add_tree_margin(m, m->n_trees - 1, V, s.vmargin);
            }
        m->n_rounds = r + 1;
        m->n_hist = r + 1;
        m->hist_train[r] = gbm_metric_and_gradients(m->metric, &m->obj, s.margin, y, w, n,
                                                    r + 1 < p->n_estimators ? s.gh : NULL);
        report_round("train_", m->metric, r, m->hist_train[r]);
        if (V) {
            double v = gbm_metric_eval(m->metric, &m->obj, s.vmargin, yv, NULL, nv);
            m->hist_valid[r] = v;
            report_round("valid_", m->metric, r, v);
            if (v < best) { /* XGBoost's EarlyStopping: strictly better */
                best = v;
                best_round = r;
            }
            if (p->early_stopping_rounds > 0 && r - best_round >= p->early_stopping_rounds) break;
        }
    }
    m->best_iteration = m->n_rounds - 1;
    if (p->early_stopping_rounds > 0) {
        m->best_iteration = best_round;
        gbm_model_truncate(m, best_round + 1);
    }
    scratch_free(&s);
    free(y);
    *out = m;
    return CML_OK;
nomem:
    st = CML_ERR_NOMEM;
fail:
    scratch_free(&s);
    free(y);
    cml_gbm_free(m);
    return st;
}

cml_status cml_gbm_regressor_fit(const cml_gbm_params *p, const cml_matrix *X, const double *y,
                                 const cml_fit_opts *opts, cml_gbm **out)
{
    return gbm_fit(p, 0, X, y, opts, out);
}

cml_status cml_gbm_classifier_fit(const cml_gbm_params *p, const cml_matrix *X, const double *y,
                                  const cml_fit_opts *opts, cml_gbm **out)
{
    return gbm_fit(p, 1, X, y, opts, out);
}

/* ---------------------------------------------------------------- vtables */

static cml_status v_fit_reg(const void *params, const cml_matrix *X, const double *y,
                            const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_gbm *m;
    CML_CHECK(cml_gbm_regressor_fit(params, X, y, opts, &m));
    info->n_iter = m->n_hist;
    info->objective = m->hist_train[m->n_hist - 1];
    *state = m;
    return CML_OK;
}

static cml_status v_fit_clf(const void *params, const cml_matrix *X, const double *y,
                            const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    cml_gbm *m;
    CML_CHECK(cml_gbm_classifier_fit(params, X, y, opts, &m));
    info->n_iter = m->n_hist;
    info->objective = m->hist_train[m->n_hist - 1];
    *state = m;
    return CML_OK;
}

static cml_status v_predict(const void *state, const cml_matrix *X, double *out)
{
    return cml_gbm_predict(state, X, out);
}

static cml_status v_predict_proba(const void *state, const cml_matrix *X, double *out)
{
    return cml_gbm_predict_proba(state, X, out);
}

static cml_status v_margin(const void *state, const cml_matrix *X, double *out)
{
    return cml_gbm_predict_margin(state, X, out);
}

static int64_t v_classes(const void *state, const double **classes)
{
    return cml_gbm_classes(state, classes);
}

static int64_t v_n_features(const void *state)
{
    return cml_gbm_n_features_in(state);
}

static int64_t v_n_decision(const void *state)
{
    return cml_gbm_n_outputs(state);
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    return gbm_model_save(state, w);
}

static cml_status load_task(const cml_gguf *g, int is_clf, void **state)
{
    cml_gbm *m;
    CML_CHECK(gbm_model_load(g, &m));
    if ((m->classes != NULL) != is_clf) {
        cml_gbm_free(m);
        return cml_fail(CML_ERR_FORMAT, "%s: the trees are a %s, the file says %s",
                        cml_gguf_name(g), is_clf ? "regressor" : "classifier",
                        is_clf ? "gbm_classifier" : "gbm_regressor");
    }
    *state = m;
    return CML_OK;
}

static cml_status v_load_reg(const cml_gguf *g, const void *params, int schema_version,
                             void **state)
{
    (void)params;
    (void)schema_version;
    return load_task(g, 0, state);
}

static cml_status v_load_clf(const cml_gguf *g, const void *params, int schema_version,
                             void **state)
{
    (void)params;
    (void)schema_version;
    return load_task(g, 1, state);
}

static char *v_describe(const void *state)
{
    return gbm_model_describe(state);
}

static void v_free(void *state)
{
    cml_gbm_free(state);
}

const cml_estimator cml_est_gbm_regressor = {
    .name = "gbm_regressor",
    .aliases = "gbm_reg",
    .summary = "gradient-boosted histogram trees for regression (XGBoost hist)",
    .task = CML_TASK_REGRESSION,
    .schema_version = 2,
    .params = reg_defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_gbm_params),
    .allows_nan = 1,
    .fit = v_fit_reg,
    .predict = v_predict,
    .n_features_in = v_n_features,
    .save = v_save,
    .load = v_load_reg,
    .describe = v_describe,
    .free = v_free,
};

const cml_estimator cml_est_gbm_classifier = {
    .name = "gbm_classifier",
    .aliases = "gbm",
    .summary = "gradient-boosted histogram trees for classification (XGBoost hist)",
    .task = CML_TASK_CLASSIFICATION,
    .schema_version = 2,
    .params = clf_defs,
    .n_params = N_DEFS,
    .params_size = sizeof(cml_gbm_params),
    .allows_nan = 1,
    .fit = v_fit_clf,
    .predict = v_predict,
    .predict_proba = v_predict_proba,
    .decision_function = v_margin,
    .classes = v_classes,
    .n_features_in = v_n_features,
    .n_decision_cols = v_n_decision,
    .save = v_save,
    .load = v_load_clf,
    .describe = v_describe,
    .free = v_free,
};
