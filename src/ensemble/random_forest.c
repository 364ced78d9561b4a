/*
 * random_forest.c — the four forest estimators of scikit-learn 1.2:
 * RandomForestClassifier (random_forest_classifier, alias rf),
 * RandomForestRegressor (random_forest_regressor, alias rf_regressor),
 * ExtraTreesClassifier (extra_trees_classifier) and ExtraTreesRegressor
 * (extra_trees_regressor): their parameter tables (defaults differ by kind:
 * max_features sqrt / 1.0, bootstrap true / false), the typed
 * params_default / params_check, and the registry entries. The forest
 * itself is forest_common.c's.
 * Thread-safety: as forest_common.c.
 */
#include <stddef.h>
#include <string.h>

#include "ensemble/forest_common.h"

#define P(f) offsetof(cml_forest_params, f)
#define CRIT_CLF                                                                                   \
    {                                                                                              \
        "criterion", CML_PARAM_ENUM, "gini", 0, 0, 0, "gini|entropy|log_loss",                     \
            "split quality: Gini impurity, or entropy in bits (log_loss is the same)",             \
            P(criterion)                                                                           \
    }
#define CRIT_REG                                                                                   \
    {                                                                                              \
        "criterion", CML_PARAM_ENUM, "squared_error", 0, 0, 0,                                     \
            "squared_error|friedman_mse|absolute_error",                                           \
            "split quality: squared error, Friedman's MSE, or absolute error", P(criterion)        \
    }
#define MAXF(def)                                                                                  \
    {                                                                                              \
        "max_features", CML_PARAM_STRING, def, 0, 0, 0, NULL,                                      \
            "features tried per split: sqrt, log2, \"\" = all, a count, or a fraction like 0.5",   \
            P(max_features)                                                                        \
    }
#define BOOT(def)                                                                                  \
    {                                                                                              \
        "bootstrap", CML_PARAM_BOOL, def, 0, 0, 0, NULL,                                           \
            "grow each tree on a bootstrap sample (else on all rows)", P(bootstrap)                \
    }
#define COMMON                                                                                     \
    {                                                                                              \
        "n_estimators", CML_PARAM_INT,     "100",          1, 1000000, 0,                          \
        NULL,           "number of trees", P(n_estimators)},                                       \
        {"max_depth", CML_PARAM_INT,                                                               \
         "0",         -1,                                                                          \
         INT32_MAX,   0,                                                                           \
         NULL,        "maximum depth of each tree; 0 or -1 = None (unlimited)",                    \
         P(max_depth)},                                                                            \
        {"min_samples_split",                                                                      \
         CML_PARAM_DOUBLE,                                                                         \
         "2",                                                                                      \
         0,                                                                                        \
         INFINITY,                                                                                 \
         1,                                                                                        \
         NULL,                                                                                     \
         "rows needed to split a node: integer >= 2, or a fraction in (0, 1]",                     \
         P(min_samples_split)},                                                                    \
        {"min_samples_leaf",                                                                       \
         CML_PARAM_DOUBLE,                                                                         \
         "1",                                                                                      \
         0,                                                                                        \
         INFINITY,                                                                                 \
         1,                                                                                        \
         NULL,                                                                                     \
         "rows needed in each leaf: integer >= 1, or a fraction in (0, 1)",                        \
         P(min_samples_leaf)},                                                                     \
    {                                                                                              \
        "min_weight_fraction_leaf", CML_PARAM_DOUBLE, "0", 0, 0.5, 0, NULL,                        \
            "minimum fraction of the total sample weight in each leaf",                            \
            P(min_weight_fraction_leaf)                                                            \
    }
#define COMMON2                                                                                    \
    {"max_leaf_nodes",                                                                             \
     CML_PARAM_INT,                                                                                \
     "0",                                                                                          \
     -1,                                                                                           \
     INT32_MAX,                                                                                    \
     0,                                                                                            \
     NULL,                                                                                         \
     "grow each tree best-first up to this many leaves; 0 or -1 = None",                           \
     P(max_leaf_nodes)},                                                                           \
    {                                                                                              \
        "min_impurity_decrease", CML_PARAM_DOUBLE, "0", 0, INFINITY, 0, NULL,                      \
            "split only if the weighted impurity decrease is at least this",                       \
            P(min_impurity_decrease)                                                               \
    }
#define COMMON3                                                                                    \
    {"oob_score", CML_PARAM_BOOL,                                                                  \
     "false",     0,                                                                               \
     0,           0,                                                                               \
     NULL,        "estimate the score on out-of-bag rows (needs bootstrap)",                       \
     P(oob_score)},                                                                                \
        {"n_jobs",  CML_PARAM_INT,                                                                 \
         "0",       -1,                                                                            \
         INT32_MAX, 0,                                                                             \
         NULL,      "ignored (scikit-learn compatibility): cml uses --threads / CML_NUM_THREADS",  \
         P(n_jobs)},                                                                               \
    {                                                                                              \
        "random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL,                                 \
            "seed (same forest as scikit-learn's for the same seed)", P(random_state)              \
    }
#define TAIL                                                                                       \
    {"ccp_alpha", CML_PARAM_DOUBLE,                                                                \
     "0",         0,                                                                               \
     INFINITY,    0,                                                                               \
     NULL,        "minimal cost-complexity pruning strength of each tree",                         \
     P(ccp_alpha)},                                                                                \
    {                                                                                              \
        "max_samples", CML_PARAM_DOUBLE, "0", 0, INFINITY, 0, NULL,                                \
            "bootstrap size: 0 = all rows, a fraction in (0, 1], or a count > 1", P(max_samples)   \
    }
#define CW                                                                                         \
    {                                                                                              \
        "class_weight", CML_PARAM_STRING, "", 0, 0, 0, NULL,                                       \
            "\"\" (none), balanced, balanced_subsample, or \"label:weight,...\"", P(class_weight)  \
    }

static const cml_param_def rf_clf_defs[] = {COMMON,       CRIT_CLF, MAXF("sqrt"), COMMON2,
                                            BOOT("true"), COMMON3,  CW,           TAIL};
static const cml_param_def rf_reg_defs[] = {COMMON,       CRIT_REG, MAXF("1.0"), COMMON2,
                                            BOOT("true"), COMMON3,  TAIL};
static const cml_param_def et_clf_defs[] = {COMMON,        CRIT_CLF, MAXF("sqrt"), COMMON2,
                                            BOOT("false"), COMMON3,  CW,           TAIL};
static const cml_param_def et_reg_defs[] = {COMMON,        CRIT_REG, MAXF("1.0"), COMMON2,
                                            BOOT("false"), COMMON3,  TAIL};
#undef P

#define NDEFS(a) ((int)(sizeof a / sizeof a[0]))

static const cml_param_def *defs_of(cml_forest_kind kind, int *n)
{
    switch (kind) {
    case CML_RF_CLASSIFIER: *n = NDEFS(rf_clf_defs); return rf_clf_defs;
    case CML_RF_REGRESSOR: *n = NDEFS(rf_reg_defs); return rf_reg_defs;
    case CML_ET_CLASSIFIER: *n = NDEFS(et_clf_defs); return et_clf_defs;
    default: *n = NDEFS(et_reg_defs); return et_reg_defs;
    }
}

cml_forest_params cml_forest_params_default(cml_forest_kind kind)
{
    cml_forest_params p;
    memset(&p, 0, sizeof p);
    int n;
    const cml_param_def *defs = defs_of(kind, &n);
    cml_params_init(defs, n, &p);
    return p;
}

const char *cml_forest_params_check(cml_forest_kind kind, const cml_forest_params *p)
{
    static _Thread_local char msg[160];
    int n;
    const cml_param_def *defs = defs_of(kind, &n);
    const char *m = cml_params_check(defs, n, p);
    if (m) return m;
    m = cml_cart_check_common(p->max_features, p->min_samples_split, p->min_samples_leaf,
                              p->max_leaf_nodes);
    if (m) return m;
    if (cml_forest_kind_is_classifier(kind)) {
        m = cml_cart_check_class_weight(p->class_weight, 1);
        if (m) return m;
    }
    if (p->oob_score && !p->bootstrap) {
        snprintf(msg, sizeof msg,
                 "oob_score=true needs bootstrap=true (out-of-bag rows exist only with "
                 "bootstrap sampling)");
        return msg;
    }
    if (p->max_samples != 0.0 && !p->bootstrap) {
        snprintf(msg, sizeof msg,
                 "max_samples=%g needs bootstrap=true (it sizes the bootstrap sample)",
                 p->max_samples);
        return msg;
    }
    if (p->max_samples != 0.0 && p->max_samples > 1.0 && p->max_samples != floor(p->max_samples)) {
        snprintf(msg, sizeof msg,
                 "max_samples=%g must be 0 (all), a fraction in (0, 1] or an integer count",
                 p->max_samples);
        return msg;
    }
    return NULL;
}

/* ---------------------------------------------------------------- vtable */

static cml_status fit_kind(cml_forest_kind kind, const void *params, const cml_matrix *X,
                           const double *y, const cml_fit_opts *opts, void **state)
{
    cml_forest *f;
    CML_CHECK(cml_forest_fit(kind, params, X, y, opts ? opts->sample_weight : NULL, &f));
    *state = f;
    return CML_OK;
}

static cml_status v_predict(const void *state, const cml_matrix *X, double *out)
{
    return cml_forest_predict(state, X, out);
}

static cml_status v_predict_proba(const void *state, const cml_matrix *X, double *out)
{
    return cml_forest_predict_proba(state, X, out);
}

static int64_t v_classes(const void *state, const double **classes)
{
    const cml_forest *f = state;
    *classes = f->classes;
    return f->n_classes;
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_forest *)state)->n_features;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    return cml_forest_save(state, w);
}

static char *v_describe(const void *state)
{
    return cml_forest_describe(state);
}

static void v_free(void *state)
{
    cml_forest_free(state);
}

/* One fit and one load wrapper per kind (the vtable has no kind argument). */
#define KIND_WRAPPERS(sym, kind)                                                                   \
    static cml_status v_fit_##sym(const void *params, const cml_matrix *X, const double *y,        \
                                  const cml_fit_opts *opts, void **state, cml_fit_info *info)      \
    {                                                                                              \
        (void)info;                                                                                \
        return fit_kind(kind, params, X, y, opts, state);                                          \
    }                                                                                              \
    static cml_status v_load_##sym(const cml_gguf *g, const void *params, int schema_version,      \
                                   void **state)                                                   \
    {                                                                                              \
        (void)schema_version;                                                                      \
        return cml_forest_load(kind, g, ((const cml_forest_params *)params)->criterion,            \
                               (cml_forest **)state);                                              \
    }

KIND_WRAPPERS(rf_clf, CML_RF_CLASSIFIER)
KIND_WRAPPERS(rf_reg, CML_RF_REGRESSOR)
KIND_WRAPPERS(et_clf, CML_ET_CLASSIFIER)
KIND_WRAPPERS(et_reg, CML_ET_REGRESSOR)

#define FOREST_ESTIMATOR(sym, nm, alias, summ, task_, defs, clf)                                   \
    const cml_estimator cml_est_##nm = {                                                           \
        .name = #nm,                                                                               \
        .aliases = alias,                                                                          \
        .summary = summ,                                                                           \
        .task = task_,                                                                             \
        .schema_version = 1,                                                                       \
        .params = defs,                                                                            \
        .n_params = NDEFS(defs),                                                                   \
        .params_size = sizeof(cml_forest_params),                                                  \
        .allows_nan = 1,                                                                           \
        .fit = v_fit_##sym,                                                                        \
        .predict = v_predict,                                                                      \
        .predict_proba = clf ? v_predict_proba : NULL,                                             \
        .classes = clf ? v_classes : NULL,                                                         \
        .n_features_in = v_n_features,                                                             \
        .save = v_save,                                                                            \
        .load = v_load_##sym,                                                                      \
        .describe = v_describe,                                                                    \
        .free = v_free,                                                                            \
    }

FOREST_ESTIMATOR(rf_clf, random_forest_classifier, "rf",
                 "random forest classifier (scikit-learn's forests, parallel over trees)",
                 CML_TASK_CLASSIFICATION, rf_clf_defs, 1);
FOREST_ESTIMATOR(rf_reg, random_forest_regressor, "rf_regressor",
                 "random forest regressor (scikit-learn's forests, parallel over trees)",
                 CML_TASK_REGRESSION, rf_reg_defs, 0);
FOREST_ESTIMATOR(et_clf, extra_trees_classifier, "",
                 "extremely randomized trees classifier (random thresholds, no bootstrap)",
                 CML_TASK_CLASSIFICATION, et_clf_defs, 1);
FOREST_ESTIMATOR(et_reg, extra_trees_regressor, "",
                 "extremely randomized trees regressor (random thresholds, no bootstrap)",
                 CML_TASK_REGRESSION, et_reg_defs, 0);
