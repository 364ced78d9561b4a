/*
 * cml/preprocess.h — preprocessing transformers with scikit-learn 1.2
 * semantics: StandardScaler, MinMaxScaler, SimpleImputer,
 * PolynomialFeatures and OneHotEncoder.
 *
 * Each one is also a registered estimator of task CML_TASK_TRANSFORM
 * (registry names standard_scaler/standard, min_max_scaler/minmax,
 * simple_imputer/impute, polynomial_features/poly, one_hot_encoder/onehot),
 * so a cml_model chains them as pipeline steps (cml_model_add_step) and the
 * CLI's `--prep` options map onto them. The typed API below is the primary
 * one; the vtable entries are thin wrappers over it.
 *
 * Common contract:
 *  - `_fit(params, X, out)`: X is a borrowed (rows, cols) view; a fit takes
 *    no target (a transformer ignores y, as sklearn's fit(X, y=None)). The
 *    fitted object copies what it keeps; free it with `_free` (NULL is a
 *    no-op). Infinite values are always rejected (CML_ERR_ARG naming the
 *    cell), as sklearn's check_array does; NaN (missing) is accepted where
 *    the estimator's comment says so.
 *  - `_transform(s, X, out)`: X must have n_features_in columns; out is
 *    (rows, _n_output(s)) row-major, caller-allocated. Safe to call from many
 *    threads on one const fitted object.
 *  - `_inverse_transform(s, X, out)`: X is (rows, _n_output(s)); out is
 *    (rows, n_features_in).
 *  - Getters return pointers into the fitted object (valid until `_free`),
 *    or NULL where sklearn's attribute is None.
 *  - Errors: CML_ERR_ARG with cml_last_error() naming the parameter, the row
 *    and column (1-based, as every cml data message), or the value.
 */
#ifndef CML_PREPROCESS_H
#define CML_PREPROCESS_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- standard_scaler */

/* z = (x - mean_) / scale_. NaN is ignored when fitting (per-feature counts
 * in n_samples_seen_) and kept as NaN by transform. sample_weight is not
 * supported. */
typedef struct cml_standard_scaler_params {
    int with_mean; /* bool, default true: centre */
    int with_std;  /* bool, default true: scale to unit variance */
} cml_standard_scaler_params;

typedef struct cml_standard_scaler cml_standard_scaler;

cml_standard_scaler_params cml_standard_scaler_params_default(void);
const char *cml_standard_scaler_params_check(const cml_standard_scaler_params *p);
cml_status cml_standard_scaler_fit(const cml_standard_scaler_params *p, const cml_matrix *X,
                                   cml_standard_scaler **out);
cml_status cml_standard_scaler_transform(const cml_standard_scaler *s, const cml_matrix *X,
                                         double *out);
cml_status cml_standard_scaler_inverse_transform(const cml_standard_scaler *s, const cml_matrix *X,
                                                 double *out);
int64_t cml_standard_scaler_n_features_in(const cml_standard_scaler *s);
/* (n_features_in) each. mean_: NULL when with_mean = with_std = false;
 * var_ and scale_: NULL when with_std = false (sklearn's None). */
const double *cml_standard_scaler_mean(const cml_standard_scaler *s);
const double *cml_standard_scaler_var(const cml_standard_scaler *s);
const double *cml_standard_scaler_scale(const cml_standard_scaler *s);
/* (n_features_in) non-NaN samples seen per feature (sklearn reports one int
 * when they are all equal). */
const int64_t *cml_standard_scaler_n_samples_seen(const cml_standard_scaler *s);
void cml_standard_scaler_free(cml_standard_scaler *s);

/* ---------------------------------------------------------------- min_max_scaler */

/* x' = x * scale_ + min_, scale_ = (hi - lo) / (data_max_ - data_min_)
 * (a zero range counts as 1). NaN ignored in fit, kept by transform. */
typedef struct cml_min_max_scaler_params {
    char feature_range[CML_PARAM_STRLEN]; /* "lo,hi", default "0,1"; lo < hi */
    int clip;                             /* bool, default false: clip output to [lo, hi] */
} cml_min_max_scaler_params;

typedef struct cml_min_max_scaler cml_min_max_scaler;

cml_min_max_scaler_params cml_min_max_scaler_params_default(void);
const char *cml_min_max_scaler_params_check(const cml_min_max_scaler_params *p);
cml_status cml_min_max_scaler_fit(const cml_min_max_scaler_params *p, const cml_matrix *X,
                                  cml_min_max_scaler **out);
cml_status cml_min_max_scaler_transform(const cml_min_max_scaler *s, const cml_matrix *X,
                                        double *out);
cml_status cml_min_max_scaler_inverse_transform(const cml_min_max_scaler *s, const cml_matrix *X,
                                                double *out);
int64_t cml_min_max_scaler_n_features_in(const cml_min_max_scaler *s);
/* (n_features_in) each. */
const double *cml_min_max_scaler_data_min(const cml_min_max_scaler *s);
const double *cml_min_max_scaler_data_max(const cml_min_max_scaler *s);
const double *cml_min_max_scaler_data_range(const cml_min_max_scaler *s);
const double *cml_min_max_scaler_scale(const cml_min_max_scaler *s);
const double *cml_min_max_scaler_min(const cml_min_max_scaler *s);
int64_t cml_min_max_scaler_n_samples_seen(const cml_min_max_scaler *s);
void cml_min_max_scaler_free(cml_min_max_scaler *s);

/* ---------------------------------------------------------------- simple_imputer */

/* Replaces NaN (the only missing-value marker) by a per-column statistic.
 * A column with no observed value at fit has statistic NaN and is DROPPED
 * from the output for mean/median/most_frequent (sklearn 1.2; a warning is
 * logged), unless keep_empty_features, which keeps it and fills it with 0.
 * With strategy constant every column is kept. add_indicator is not
 * supported. */
typedef enum cml_impute_strategy {
    CML_IMPUTE_MEAN = 0,
    CML_IMPUTE_MEDIAN,
    CML_IMPUTE_MOST_FREQUENT, /* ties: the smallest value, as sklearn */
    CML_IMPUTE_CONSTANT
} cml_impute_strategy;

typedef struct cml_simple_imputer_params {
    int strategy;            /* cml_impute_strategy, default mean */
    double fill_value;       /* strategy constant; default 0 (sklearn's None for numbers) */
    int keep_empty_features; /* bool, default false */
} cml_simple_imputer_params;

typedef struct cml_simple_imputer cml_simple_imputer;

cml_simple_imputer_params cml_simple_imputer_params_default(void);
const char *cml_simple_imputer_params_check(const cml_simple_imputer_params *p);
cml_status cml_simple_imputer_fit(const cml_simple_imputer_params *p, const cml_matrix *X,
                                  cml_simple_imputer **out);
/* out: (rows, _n_output(s)): the kept columns, in input order. */
cml_status cml_simple_imputer_transform(const cml_simple_imputer *s, const cml_matrix *X,
                                        double *out);
int64_t cml_simple_imputer_n_features_in(const cml_simple_imputer *s);
int64_t cml_simple_imputer_n_output(const cml_simple_imputer *s);
/* (n_features_in): the fill value per column (NaN for a dropped column). */
const double *cml_simple_imputer_statistics(const cml_simple_imputer *s);
void cml_simple_imputer_free(cml_simple_imputer *s);

/* ---------------------------------------------------------------- polynomial_features */

/* All monomials of the features up to `degree`, in sklearn's column order
 * (degree by degree, each degree in itertools.combinations_with_replacement
 * order, or combinations when interaction_only). NaN is rejected. */
typedef struct cml_polynomial_features_params {
    int degree;           /* default 2, >= 0 */
    int interaction_only; /* bool, default false */
    int include_bias;     /* bool, default true */
} cml_polynomial_features_params;

typedef struct cml_polynomial_features cml_polynomial_features;

cml_polynomial_features_params cml_polynomial_features_params_default(void);
const char *cml_polynomial_features_params_check(const cml_polynomial_features_params *p);
cml_status cml_polynomial_features_fit(const cml_polynomial_features_params *p, const cml_matrix *X,
                                       cml_polynomial_features **out);
cml_status cml_polynomial_features_transform(const cml_polynomial_features *s, const cml_matrix *X,
                                             double *out);
int64_t cml_polynomial_features_n_features_in(const cml_polynomial_features *s);
/* sklearn's n_output_features_. */
int64_t cml_polynomial_features_n_output(const cml_polynomial_features *s);
/* Fills powers (n_output, n_features_in) row-major: sklearn's powers_. */
void cml_polynomial_features_powers(const cml_polynomial_features *s, int64_t *powers);
void cml_polynomial_features_free(cml_polynomial_features *s);

/* ---------------------------------------------------------------- one_hot_encoder */

/* One indicator column per category of each encoded input column; the
 * categories of a column are its distinct values, ascending, with NaN (if
 * seen) as the last category, as sklearn 1.2 does. Inputs are numeric codes
 * (the CSV reader turns string columns into codes).
 *
 * `columns` selects which input columns to encode ("0,3,5", 0-based, in that
 * order; "" = all). Output layout, as sklearn's
 * ColumnTransformer([("onehot", OneHotEncoder(), columns)],
 * remainder="passthrough"): first the indicator blocks of the encoded
 * columns in the order given, then the other columns unchanged, ascending.
 * handle_unknown=infrequent_if_exist, min_frequency and max_categories are
 * not supported; output is dense. */
typedef enum cml_onehot_unknown { CML_ONEHOT_ERROR = 0, CML_ONEHOT_IGNORE } cml_onehot_unknown;
typedef enum cml_onehot_drop {
    CML_ONEHOT_DROP_NONE = 0,
    CML_ONEHOT_DROP_FIRST,
    CML_ONEHOT_DROP_IF_BINARY
} cml_onehot_drop;

typedef struct cml_one_hot_encoder_params {
    int handle_unknown;             /* cml_onehot_unknown, default error */
    int drop;                       /* cml_onehot_drop, default none */
    char columns[CML_PARAM_STRLEN]; /* "" = all */
} cml_one_hot_encoder_params;

typedef struct cml_one_hot_encoder cml_one_hot_encoder;

cml_one_hot_encoder_params cml_one_hot_encoder_params_default(void);
const char *cml_one_hot_encoder_params_check(const cml_one_hot_encoder_params *p);
cml_status cml_one_hot_encoder_fit(const cml_one_hot_encoder_params *p, const cml_matrix *X,
                                   cml_one_hot_encoder **out);
/* A category not seen at fit: CML_ERR_ARG naming row, column and value with
 * handle_unknown=error; an all-zero block with ignore. */
cml_status cml_one_hot_encoder_transform(const cml_one_hot_encoder *s, const cml_matrix *X,
                                         double *out);
/* Per block: the category of the largest entry (first on ties). An all-zero
 * block gives the dropped category when one was dropped, else NaN with
 * handle_unknown=ignore (sklearn gives None) and CML_ERR_ARG with error. */
cml_status cml_one_hot_encoder_inverse_transform(const cml_one_hot_encoder *s, const cml_matrix *X,
                                                 double *out);
int64_t cml_one_hot_encoder_n_features_in(const cml_one_hot_encoder *s);
int64_t cml_one_hot_encoder_n_output(const cml_one_hot_encoder *s);
/* Number of encoded input columns, and the input column of encoded one e. */
int64_t cml_one_hot_encoder_n_encoded(const cml_one_hot_encoder *s);
int64_t cml_one_hot_encoder_encoded_column(const cml_one_hot_encoder *s, int64_t e);
/* categories_[e]: *n set to the count. */
const double *cml_one_hot_encoder_categories(const cml_one_hot_encoder *s, int64_t e, int64_t *n);
/* drop_idx_[e], or -1 when nothing is dropped for it (sklearn's None). */
int64_t cml_one_hot_encoder_drop_idx(const cml_one_hot_encoder *s, int64_t e);
void cml_one_hot_encoder_free(cml_one_hot_encoder *s);

#ifdef __cplusplus
}
#endif
#endif /* CML_PREPROCESS_H */
