/*
 * labels.h — class labels of classifiers (internal): the sorted distinct
 * values of y (sklearn's np.unique / LabelEncoder), codes into them, and
 * numpy's pairwise summation so vote and probability sums round exactly as
 * scikit-learn's do.
 *
 * Shared by neighbors/ and bayes/; a natural candidate for core/ later.
 */
#ifndef CML_LABELS_H
#define CML_LABELS_H

#include "core/npsum.h"
#include <stdint.h>

#include "core/internal.h"

/* *classes (malloc'd, ascending, distinct) and *n_classes from y (n finite
 * values); codes (optional, n) receives each row's class index. */
cml_status cml_labels_encode(const double *y, int64_t n, double **classes, int64_t *n_classes,
                             int32_t *codes);

/* Index of v in the ascending classes, or -1. */
int64_t cml_labels_find(const double *classes, int64_t n_classes, double v);

/* log(sum(exp(a))) as scipy.special.logsumexp: max-shifted, with the max
 * of a non-finite row handled as scipy does (all -inf -> -inf). */
double cml_logsumexp(const double *a, int64_t n);

#endif
