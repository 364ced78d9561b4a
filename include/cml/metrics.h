/*
 * cml/metrics.h — classification, ranking and regression metrics with the
 * names and semantics of scikit-learn 1.2 (sklearn.metrics), plus a table of
 * metrics by name for the CLI (`cml eval --metric NAME`).
 *
 * Common conventions of every function here:
 *  - Inputs are borrowed arrays of n >= 1 doubles; nothing is kept.
 *  - Class labels are any finite doubles (0/1, -1/1, 0..k-1, ...), compared
 *    exactly (scikit-learn rejects non-integral float labels as
 *    "continuous"; cml accepts them). Where a function takes `classes`, it is the strictly
 * increasing list of the model's classes and probability/score matrices are row-major n x n_classes
 * with columns in that order (what predict_proba returns).
 *  - sample_weight may be NULL (all ones); otherwise n finite weights with the
 *    semantics of scikit-learn's sample_weight (a weighted mean whose weights
 *    must not sum to zero).
 *  - NaN or infinite inputs, n <= 0 and the label mismatches scikit-learn
 *    rejects give CML_ERR_ARG with a message naming the function, the array
 *    and the index (cml_last_error()); nothing ever crashes or prints.
 *  - Ill-defined values that scikit-learn sets to 0 with an
 *    UndefinedMetricWarning (zero_division="warn") are set to 0 here too, and
 *    the warning goes to the log callback (cml_log_set) at CML_LOG_WARN.
 *  - Results equal scikit-learn 1.2.1's: sums are done in NumPy's own order
 *    (pairwise summation in blocks of 8192), so most values are bit-identical.
 *
 * Thread-safety: every function is reentrant (no global state).
 */
#ifndef CML_METRICS_H
#define CML_METRICS_H

#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How per-class scores are combined (scikit-learn's `average`). */
typedef enum cml_average {
    CML_AVERAGE_BINARY = 0, /* only the class pos_label (two-class problems) */
    CML_AVERAGE_MICRO,      /* global counts of true/false positives */
    CML_AVERAGE_MACRO,      /* unweighted mean over classes */
    CML_AVERAGE_WEIGHTED    /* mean over classes weighted by their support */
} cml_average;

/* Short name ("binary", "micro", "macro", "weighted"); never NULL. */
const char *cml_average_name(cml_average avg);

/* ------------------------------------------------------- classification */

/* accuracy_score: (weighted) fraction of i with y_true[i] == y_pred[i]. */
cml_status cml_accuracy(const double *y_true, const double *y_pred, int64_t n,
                        const double *sample_weight, double *out);

/* balanced_accuracy_score (adjusted=False): mean over the classes present in
 * y_true of per-class recall. Classes only in y_pred are ignored (with a
 * warning logged), as in scikit-learn. */
cml_status cml_balanced_accuracy(const double *y_true, const double *y_pred, int64_t n,
                                 const double *sample_weight, double *out);

/* precision_recall_fscore_support with beta = 1 and zero_division="warn".
 * average = CML_AVERAGE_BINARY scores the class pos_label only and needs at
 * most two distinct labels in y_true and y_pred together; pos_label must be
 * one of them when there are two (scikit-learn's default pos_label is 1).
 * pos_label is ignored by the other averages. Labels are the sorted union of
 * y_true and y_pred. Any of precision, recall, f1 may be NULL. */
cml_status cml_precision_recall_f1(const double *y_true, const double *y_pred, int64_t n,
                                   const double *sample_weight, cml_average average,
                                   double pos_label, double *precision, double *recall, double *f1);

/* confusion_matrix: labels = sorted union of y_true and y_pred (n_labels of
 * them); matrix is n_labels x n_labels row-major, row = true label, column =
 * predicted label, entries the (weighted) counts (exact integers without
 * weights). *labels and *matrix are malloc'd: release each with free(). On
 * error they are set to NULL. */
cml_status cml_confusion_matrix(const double *y_true, const double *y_pred, int64_t n,
                                const double *sample_weight, double **labels, int64_t *n_labels,
                                double **matrix);

/* log_loss (eps="auto", i.e. 2.22e-16 for doubles, as in scikit-learn 1.2.1):
 * -mean_i log(p[i, y_true[i]]) with p clipped to [eps, 1-eps] and each row
 * renormalized to sum 1. proba is n x n_classes (n_classes >= 2). Every
 * y_true must be one of classes (scikit-learn silently scores an unknown
 * label as 0 loss when `labels` is given; cml rejects it). */
cml_status cml_log_loss(const double *y_true, const double *proba, int64_t n, const double *classes,
                        int64_t n_classes, const double *sample_weight, double *out);

/* ------------------------------------------------------- ranking */

/* roc_curve(drop_intermediate=True) for scores of the class pos_label:
 * thresholds are the distinct scores in decreasing order, with collinear
 * points dropped, preceded by (largest score + 1) so the curve starts at
 * (0, 0) (the 1.2 convention; 1.3 uses +inf). Samples with zero weight are
 * ignored. Needs at least one positive and one negative sample (scikit-learn
 * returns NaN rates there; cml gives CML_ERR_ARG). *fpr, *tpr, *thresholds
 * (n_points each) are malloc'd: release each with free(). */
cml_status cml_roc_curve(const double *y_true, const double *score, int64_t n,
                         const double *sample_weight, double pos_label, double **fpr, double **tpr,
                         double **thresholds, int64_t *n_points);

/* roc_auc_score for a two-class y_true: score[i] is the score (probability,
 * decision value) of the larger of the two labels in y_true, which is the
 * positive class. Area under roc_curve by the trapezoidal rule, so tied
 * scores count one half. y_true must hold exactly two distinct labels. */
cml_status cml_roc_auc(const double *y_true, const double *score, int64_t n,
                       const double *sample_weight, double *out);

/* roc_auc_score(multi_class="ovr", labels=classes) from a probability matrix
 * proba (n x n_classes, n_classes >= 3, rows summing to 1 within
 * numpy.allclose). average: CML_AVERAGE_MACRO (the usual), _WEIGHTED (by
 * class prevalence) or _MICRO. Every class must occur in y_true and y_true
 * may hold no other label. */
cml_status cml_roc_auc_ovr(const double *y_true, const double *proba, int64_t n,
                           const double *classes, int64_t n_classes, const double *sample_weight,
                           cml_average average, double *out);

/* top_k_accuracy_score(k, labels=classes): fraction of samples whose true
 * class is among the k highest scores of its row. Ties rank the class with
 * the larger index first (scikit-learn's reversed stable argsort). With
 * n_classes == 2, column 1 is the score of classes[1] and scikit-learn's
 * binary rule applies: for k = 1 the prediction is classes[1] when that
 * score > 0.5 (if all scores lie in [0, 1]) or > 0 (otherwise); k >= 2 scores
 * 1. k >= n_classes gives 1 with a logged warning. */
cml_status cml_top_k_accuracy(const double *y_true, const double *score, int64_t n,
                              const double *classes, int64_t n_classes, int k,
                              const double *sample_weight, double *out);

/* ------------------------------------------------------- calibration */

/* How calibration_curve cuts [0, 1] into bins. */
typedef enum cml_calibration_strategy {
    CML_CALIBRATION_UNIFORM = 0, /* n_bins equal widths */
    CML_CALIBRATION_QUANTILE     /* edges at the quantiles of y_prob (np.percentile, linear) */
} cml_calibration_strategy;

/* sklearn.calibration.calibration_curve (1.2.1) — the data of a
 * reliability diagram. y_true holds at most two labels; the positive one is
 * pos_label, or, when pos_label is NaN, 1 if the labels are a subset of
 * {0, 1} or {-1, 1} (anything else is CML_ERR_ARG, as in scikit-learn).
 * y_prob (n, in [0, 1]) is the predicted probability of the positive class.
 * Sample i goes to bin b = number of inner edges < y_prob[i] (NumPy's
 * searchsorted). For each non-empty bin, in increasing order, prob_true is
 * the fraction of positives, prob_pred the mean y_prob and count the number
 * of samples; empty bins are dropped (*n_out <= n_bins). prob_true,
 * prob_pred and count (any may be NULL) must hold n_bins values. n_bins >= 1.
 * Errors: CML_ERR_ARG (n < 1, non-finite input, y_prob outside [0, 1],
 * more than two labels, n_bins < 1). */
cml_status cml_calibration_curve(const double *y_true, const double *y_prob, int64_t n,
                                 double pos_label, int n_bins, cml_calibration_strategy strategy,
                                 double *prob_true, double *prob_pred, int64_t *count,
                                 int64_t *n_out);

/* Expected calibration error over the bins of cml_calibration_curve (same
 * inputs): sum over non-empty bins of count/n * |prob_true - prob_pred|
 * (Naeini et al. 2015; Guo et al. 2017, eq. 3). 0 = perfectly calibrated,
 * at most 1. */
cml_status cml_expected_calibration_error(const double *y_true, const double *y_prob, int64_t n,
                                          double pos_label, int n_bins,
                                          cml_calibration_strategy strategy, double *out);

/* Top-label reduction of a multi-class problem to a binary one (Guo et al.
 * 2017): confidence[i] = the largest probability of row i (the first on
 * ties, as argmax), correct[i] = 1 if that column's class is y_true[i] else
 * 0. Calibrating (correct, confidence) with pos_label 1 gives the top-label
 * reliability diagram and ECE. proba is n x n_classes row-major, columns in
 * the order of the strictly increasing classes (n_classes >= 2). */
cml_status cml_calibration_top_label(const double *y_true, const double *proba, int64_t n,
                                     const double *classes, int64_t n_classes, double *confidence,
                                     double *correct);

/* ------------------------------------------------------- regression */

/* r2_score (force_finite=True): 1 - SS_res / SS_tot; 1 for perfect
 * predictions, 0 when y_true is constant but predictions are not; NaN (with a
 * logged warning) when n < 2, as in scikit-learn. */
cml_status cml_r2(const double *y_true, const double *y_pred, int64_t n,
                  const double *sample_weight, double *out);
/* mean_squared_error. */
cml_status cml_mse(const double *y_true, const double *y_pred, int64_t n,
                   const double *sample_weight, double *out);
/* mean_squared_error(squared=False) = sqrt(mse). */
cml_status cml_rmse(const double *y_true, const double *y_pred, int64_t n,
                    const double *sample_weight, double *out);
/* mean_absolute_error. */
cml_status cml_mae(const double *y_true, const double *y_pred, int64_t n,
                   const double *sample_weight, double *out);
/* explained_variance_score (force_finite=True):
 * 1 - Var(y_true - y_pred) / Var(y_true). */
cml_status cml_explained_variance(const double *y_true, const double *y_pred, int64_t n,
                                  const double *sample_weight, double *out);

/* ------------------------------------------------------- metrics by name */

typedef struct cml_metric_def {
    const char *name;       /* e.g. "f1_macro", "roc_auc", "top_2_accuracy" */
    int needs_proba;        /* 1: computed from predict_proba, 0: from predict */
    int for_classification; /* 1: classifier metric, 0: regression metric */
    int greater_is_better;  /* 1 for scores (accuracy, r2), 0 for losses (mse) */
    const char *doc;        /* one line */
} cml_metric_def;

/* The table of named metrics (static storage; *n receives its length).
 * Besides the names listed, any "top_<k>_accuracy" with k >= 1 is valid. */
const cml_metric_def *cml_metric_list(int *n);

/* The entry of `name` (top_<k>_accuracy resolves to a generic entry), or
 * NULL when unknown. */
const cml_metric_def *cml_metric_find(const char *name);

/* Computes metric `name` into *out. y_pred (predicted labels or values) is
 * needed by metrics with needs_proba = 0, proba (n x n_classes, columns in
 * classes order) and classes by those with needs_proba = 1; the other
 * pointer may be NULL. Binary precision/recall/f1 use pos_label = 1 as
 * scikit-learn's scorers do; roc_auc is binary (column 1 of proba) when
 * n_classes == 2 and one-vs-rest macro when n_classes > 2. sample_weight may
 * be NULL. An unknown name gives CML_ERR_ARG with the list of valid names. */
cml_status cml_metric_compute(const char *name, const double *y_true, const double *y_pred,
                              const double *proba, const double *classes, int64_t n_classes,
                              int64_t n, const double *sample_weight, double *out);

#ifdef __cplusplus
}
#endif

#endif /* CML_METRICS_H */
