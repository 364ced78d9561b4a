/*
 * metric_registry.c — metrics by name, for `cml eval --metric NAME` and any
 * program that picks a metric from a string: the table, lookup, and one
 * dispatch function over the typed metric functions.
 *
 * Names follow scikit-learn's scorer names where they are plain (accuracy,
 * f1_macro, roc_auc, r2...) and drop its "neg_" prefixes (mse, mae, log_loss
 * are losses: greater_is_better = 0). top_<k>_accuracy takes any k >= 1.
 * Thread-safe: the table is static const.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "metrics/metrics_internal.h"

typedef enum metric_kind {
    K_ACCURACY,
    K_BALANCED_ACCURACY,
    K_PRECISION,
    K_RECALL,
    K_F1,
    K_ROC_AUC,
    K_LOG_LOSS,
    K_TOP_K,
    K_R2,
    K_MSE,
    K_RMSE,
    K_MAE,
    K_EXPLAINED_VARIANCE
} metric_kind;

/* Public description and how to compute it, row for row. */
static const cml_metric_def defs[] = {
    {"accuracy", 0, 1, 1, "fraction of correct predictions"},
    {"balanced_accuracy", 0, 1, 1, "mean per-class recall over the classes of y_true"},
    {"precision", 0, 1, 1, "precision of the class 1 (binary targets)"},
    {"recall", 0, 1, 1, "recall of the class 1 (binary targets)"},
    {"f1", 0, 1, 1, "F1 score of the class 1 (binary targets)"},
    {"precision_micro", 0, 1, 1, "precision from global counts"},
    {"recall_micro", 0, 1, 1, "recall from global counts"},
    {"f1_micro", 0, 1, 1, "F1 from global counts"},
    {"precision_macro", 0, 1, 1, "unweighted mean of per-class precision"},
    {"recall_macro", 0, 1, 1, "unweighted mean of per-class recall"},
    {"f1_macro", 0, 1, 1, "unweighted mean of per-class F1"},
    {"precision_weighted", 0, 1, 1, "per-class precision weighted by support"},
    {"recall_weighted", 0, 1, 1, "per-class recall weighted by support"},
    {"f1_weighted", 0, 1, 1, "per-class F1 weighted by support"},
    {"roc_auc", 1, 1, 1,
     "area under the ROC curve (binary; one-vs-rest macro for more than two classes)"},
    {"log_loss", 1, 1, 0, "mean negative log-likelihood of the true class"},
    {"top_2_accuracy", 1, 1, 1, "true class among the 2 most probable (any top_<k>_accuracy)"},
    {"top_3_accuracy", 1, 1, 1, "true class among the 3 most probable (any top_<k>_accuracy)"},
    {"top_5_accuracy", 1, 1, 1, "true class among the 5 most probable (any top_<k>_accuracy)"},
    {"r2", 0, 0, 1, "coefficient of determination R^2"},
    {"mse", 0, 0, 0, "mean squared error"},
    {"rmse", 0, 0, 0, "root mean squared error"},
    {"mae", 0, 0, 0, "mean absolute error"},
    {"explained_variance", 0, 0, 1, "explained variance score"},
};

static const struct {
    metric_kind kind;
    cml_average avg;
    int k; /* top-k */
} impl[] = {
    {K_ACCURACY, 0, 0},
    {K_BALANCED_ACCURACY, 0, 0},
    {K_PRECISION, CML_AVERAGE_BINARY, 0},
    {K_RECALL, CML_AVERAGE_BINARY, 0},
    {K_F1, CML_AVERAGE_BINARY, 0},
    {K_PRECISION, CML_AVERAGE_MICRO, 0},
    {K_RECALL, CML_AVERAGE_MICRO, 0},
    {K_F1, CML_AVERAGE_MICRO, 0},
    {K_PRECISION, CML_AVERAGE_MACRO, 0},
    {K_RECALL, CML_AVERAGE_MACRO, 0},
    {K_F1, CML_AVERAGE_MACRO, 0},
    {K_PRECISION, CML_AVERAGE_WEIGHTED, 0},
    {K_RECALL, CML_AVERAGE_WEIGHTED, 0},
    {K_F1, CML_AVERAGE_WEIGHTED, 0},
    {K_ROC_AUC, 0, 0},
    {K_LOG_LOSS, 0, 0},
    {K_TOP_K, 0, 2},
    {K_TOP_K, 0, 3},
    {K_TOP_K, 0, 5},
    {K_R2, 0, 0},
    {K_MSE, 0, 0},
    {K_RMSE, 0, 0},
    {K_MAE, 0, 0},
    {K_EXPLAINED_VARIANCE, 0, 0},
};

#define N_DEFS ((int)(sizeof defs / sizeof defs[0]))
_Static_assert(sizeof defs / sizeof defs[0] == sizeof impl / sizeof impl[0],
               "defs and impl must have one row per metric");

/* The entry returned for a top_<k>_accuracy not in the table. */
static const cml_metric_def top_k_def = {"top_k_accuracy", 1, 1, 1,
                                         "true class among the k most probable"};

const cml_metric_def *cml_metric_list(int *n)
{
    if (n) *n = N_DEFS;
    return defs;
}

/* k of "top_<k>_accuracy" (decimal, 1..INT_MAX), or 0 when name is not of
 * that form. */
static int parse_top_k(const char *name)
{
    static const char prefix[] = "top_", suffix[] = "_accuracy";
    size_t len = strlen(name), lp = sizeof prefix - 1, ls = sizeof suffix - 1;
    if (len <= lp + ls || strncmp(name, prefix, lp) != 0 || strcmp(name + len - ls, suffix) != 0)
        return 0;
    long k = 0;
    for (const char *p = name + lp; p < name + len - ls; p++) {
        if (*p < '0' || *p > '9') return 0;
        k = k * 10 + (*p - '0');
        if (k > INT_MAX) return 0;
    }
    return (int)k;
}

static int find_index(const char *name)
{
    for (int i = 0; i < N_DEFS; i++)
        if (strcmp(defs[i].name, name) == 0) return i;
    return -1;
}

const cml_metric_def *cml_metric_find(const char *name)
{
    if (!name) return NULL;
    int i = find_index(name);
    if (i >= 0) return &defs[i];
    return parse_top_k(name) > 0 ? &top_k_def : NULL;
}

static cml_status unknown_metric(const char *name)
{
    cml_sb sb;
    cml_sb_init(&sb);
    for (int i = 0; i < N_DEFS; i++)
        cml_sb_printf(&sb, "%s%s", i ? ", " : "", defs[i].name);
    char *list = cml_sb_finish(&sb);
    cml_status st =
        cml_fail(CML_ERR_ARG, "unknown metric '%s'; valid metrics: %s, top_<k>_accuracy",
                 name ? name : "(null)", list ? list : "(out of memory)");
    free(list);
    return st;
}

/* Binary ROC AUC from a two-column probability matrix: column 1 is the
 * probability of classes[1], the positive class. */
static cml_status roc_auc_two_columns(const double *y_true, const double *proba, int64_t n,
                                      const double *classes, const double *w, double *out)
{
    CML_CHECK(cml_m_check_inputs(y_true, proba, n, w, "roc_auc", "proba"));
    CML_CHECK(cml_m_check_classes(classes, 2, 2, "roc_auc"));
    for (int64_t i = 0; i < n; i++)
        if (y_true[i] != classes[0] && y_true[i] != classes[1])
            return cml_fail(CML_ERR_ARG,
                            "roc_auc: y_true[%lld] = %.17g is not one of the classes %.17g, %.17g",
                            (long long)i, y_true[i], classes[0], classes[1]);
    double *col = cml_alloc_array(n, sizeof *col);
    if (!col) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        col[i] = proba[2 * i + 1];
    cml_status st = cml_roc_auc(y_true, col, n, w, out);
    free(col);
    return st;
}

cml_status cml_metric_compute(const char *name, const double *y_true, const double *y_pred,
                              const double *proba, const double *classes, int64_t n_classes,
                              int64_t n, const double *sample_weight, double *out)
{
    if (!out) return cml_fail(CML_ERR_ARG, "metric: out is NULL");
    int i = name ? find_index(name) : -1;
    metric_kind kind;
    cml_average avg = CML_AVERAGE_BINARY;
    int k = 0;
    if (i >= 0) {
        kind = impl[i].kind, avg = impl[i].avg, k = impl[i].k;
    } else if (name && (k = parse_top_k(name)) > 0) {
        kind = K_TOP_K;
    } else {
        return unknown_metric(name);
    }
    const cml_metric_def *def = i >= 0 ? &defs[i] : &top_k_def;
    if (def->needs_proba && (!proba || !classes))
        return cml_fail(CML_ERR_ARG,
                        "metric '%s' needs predicted probabilities and the classes "
                        "(HINT: the model must support predict_proba)",
                        name);
    if (!def->needs_proba && !y_pred)
        return cml_fail(CML_ERR_ARG, "metric '%s' needs predictions (y_pred is NULL)", name);

    const double *w = sample_weight;
    const double *yp = y_pred;
    switch (kind) {
    case K_ACCURACY: return cml_accuracy(y_true, yp, n, w, out);
    case K_BALANCED_ACCURACY: return cml_balanced_accuracy(y_true, yp, n, w, out);
    case K_PRECISION: return cml_precision_recall_f1(y_true, yp, n, w, avg, 1.0, out, NULL, NULL);
    case K_RECALL: return cml_precision_recall_f1(y_true, yp, n, w, avg, 1.0, NULL, out, NULL);
    case K_F1: return cml_precision_recall_f1(y_true, yp, n, w, avg, 1.0, NULL, NULL, out);
    case K_ROC_AUC:
        if (n_classes == 2) return roc_auc_two_columns(y_true, proba, n, classes, w, out);
        return cml_roc_auc_ovr(y_true, proba, n, classes, n_classes, w, CML_AVERAGE_MACRO, out);
    case K_LOG_LOSS: return cml_log_loss(y_true, proba, n, classes, n_classes, w, out);
    case K_TOP_K: return cml_top_k_accuracy(y_true, proba, n, classes, n_classes, k, w, out);
    case K_R2: return cml_r2(y_true, yp, n, w, out);
    case K_MSE: return cml_mse(y_true, yp, n, w, out);
    case K_RMSE: return cml_rmse(y_true, yp, n, w, out);
    case K_MAE: return cml_mae(y_true, yp, n, w, out);
    case K_EXPLAINED_VARIANCE: return cml_explained_variance(y_true, yp, n, w, out);
    }
    return cml_fail(CML_ERR_INTERNAL, "metric '%s': no implementation", name);
}
