/*
 * cml/drift.h — data drift between a reference sample (the training data)
 * and a current one (what the model sees now), per feature: the population
 * stability index (PSI) and the Kullback-Leibler divergence on bins.
 *
 * Numeric features are binned on the reference's quantiles, categorical
 * ones by category; missing values (NaN) get a bin of their own. With p the
 * reference proportions and q the current ones, per bin (a proportion of 0
 * is replaced by `eps`, 1e-4 by default, so empty bins stay finite):
 *     PSI = sum (q - p) ln(q / p)        KL = D(q || p) = sum q ln(q / p)
 * PSI is the symmetrised KL divergence, D(q||p) + D(p||q). Usual reading of
 * PSI: < 0.1 stable, 0.1 to 0.25 moderate shift, > 0.25 major shift.
 * docs/monitoring.md has the details and the `cml monitor drift` command.
 *
 * Thread-safety: pure functions.
 */
#ifndef CML_DRIFT_H
#define CML_DRIFT_H

#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cml_drift_opts {
    int n_bins; /* quantile bins for numeric features; 10 */
    double eps; /* stands in for an empty bin's proportion; 1e-4 */
} cml_drift_opts;

cml_drift_opts cml_drift_opts_default(void);

typedef struct cml_drift {
    double psi;
    double kl;          /* D(current || reference) */
    int64_t n_bins;     /* bins used (ties merge quantile edges; + 1 if any NaN) */
    double ref_missing; /* share of NaN in the reference */
    double cur_missing; /* and in the current sample */
} cml_drift;

/* Numeric feature: ref[i * ref_stride] for i < n_ref, likewise cur. Bin
 * edges are the reference's quantiles at k / n_bins, k = 1 .. n_bins - 1
 * (numpy's default linear interpolation), duplicates dropped; a value
 * equal to an edge falls in the lower bin (right-closed bins, as
 * np.searchsorted(edges, x, side="left")). n_ref, n_cur >= 1. */
cml_status cml_drift_numeric(const double *ref, int64_t n_ref, int64_t ref_stride,
                             const double *cur, int64_t n_cur, int64_t cur_stride,
                             const cml_drift_opts *opts, cml_drift *out);

/* Categorical feature: codes 0 .. n_categories - 1 (or NaN = missing) in one
 * code space shared by both samples; a code outside it is CML_ERR_ARG. */
cml_status cml_drift_categorical(const double *ref, int64_t n_ref, int64_t ref_stride,
                                 const double *cur, int64_t n_cur, int64_t cur_stride,
                                 int64_t n_categories, const cml_drift_opts *opts, cml_drift *out);

#ifdef __cplusplus
}
#endif
#endif /* CML_DRIFT_H */
