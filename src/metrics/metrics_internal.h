/*
 * metrics_internal.h — helpers shared by the files of src/metrics; never installed.
 *
 * Why NumPy's summation order: scikit-learn's metrics are sums and means of
 * per-sample terms done by NumPy, whose np.add.reduce over a contiguous
 * double array is a pairwise sum (8 interleaved accumulators on blocks of at
 * most 128, halving above) applied to consecutive 8192-element buffers that
 * are accumulated in order. Replaying that order exactly makes our results
 * bit-identical to scikit-learn's instead of merely close (and pairwise
 * summation keeps the error O(log n) eps, far below a naive loop's O(n)).
 */
#ifndef CML_METRICS_INTERNAL_H
#define CML_METRICS_INTERNAL_H

#include <stdint.h>

#include "cml/metrics.h"
#include "core/internal.h"

/* np.sum(a[0..n)) in NumPy's order. n >= 0 (0 gives 0). */
double cml_m_sum(const double *a, int64_t n);

/* np.multiply(a, b).sum() in NumPy's order (products rounded, then summed). */
double cml_m_dot(const double *a, const double *b, int64_t n);

/* np.average(a, weights=w): sum(a)/n when w is NULL, else
 * dot(a, w) / sum(w); CML_ERR_ARG naming fn when the weights sum to zero. */
cml_status cml_m_average(const double *a, const double *w, int64_t n, const char *fn, double *out);

/* CML_ERR_ARG "fn: what[i] is NaN" at the first non-finite value. */
cml_status cml_m_check_finite(const double *a, int64_t n, const char *fn, const char *what);

/* The checks every (y_true, y_pred|score, sample_weight) metric starts with:
 * n >= 1, non-NULL arrays, finite values. b_what names the second array. */
cml_status cml_m_check_inputs(const double *y_true, const double *b, int64_t n,
                              const double *sample_weight, const char *fn, const char *b_what);

/* `classes` must be n_classes >= min_classes finite, strictly increasing
 * values (the columns of a probability matrix). */
cml_status cml_m_check_classes(const double *classes, int64_t n_classes, int64_t min_classes,
                               const char *fn);

/* Sorted distinct values of a[0..na) and b[0..nb) (b may be NULL), malloc'd
 * into *labels (free()); NaN must have been rejected before. */
cml_status cml_m_unique(const double *a, int64_t na, const double *b, int64_t nb, double **labels,
                        int64_t *n_labels);

/* Index of v in the sorted labels[0..n), or -1. */
int64_t cml_m_find_label(const double *labels, int64_t n, double v);

/* idx[i] = index of y[i] in classes; CML_ERR_ARG naming fn and what when a
 * value is not one of the classes. */
cml_status cml_m_encode(const double *y, int64_t n, const double *classes, int64_t n_classes,
                        int64_t *idx, const char *fn, const char *what);

/* Binary ROC AUC of 0/1 targets (the binarized y_true of scikit-learn's
 * _binary_roc_auc_score), shared by the binary, one-vs-rest and micro paths.
 * Requires both values present in y01. */
cml_status cml_m_binary_auc(const double *y01, const double *score, int64_t n,
                            const double *sample_weight, const char *fn, double *out);

#endif /* CML_METRICS_INTERNAL_H */
