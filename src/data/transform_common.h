/*
 * transform_common.h — plumbing shared by the preprocessing transformers
 * (standard_scaler.c, min_max_scaler.c, simple_imputer.c,
 * polynomial_features.c, one_hot_encoder.c): input validation, sorted
 * column extraction, parsing of list-valued string params, save/load of
 * fitted arrays and the JSON of `describe`. Private to libcml.
 */
#ifndef CML_DATA_TRANSFORM_COMMON_H
#define CML_DATA_TRANSFORM_COMMON_H

#include <stdint.h>

#include "cml/gguf.h"
#include "cml/model.h"

/* Largest feature count a saved transformer may claim; a bigger one in a
 * file is corruption, not data (it bounds the allocations done by load). */
#define CML_TR_MAX_FEATURES ((int64_t)1 << 28)

/* Below this many cells a transform runs on one thread: spawning threads
 * costs more than the elementwise work. */
#define CML_TR_PAR_MIN ((int64_t)1 << 15)

/* Transformers take no sample weights: CML_ERR_UNSUPPORTED when opts has
 * any, rather than silently ignoring them. */
cml_status cml_tr_no_weights(const cml_fit_opts *opts, const char *who);

/* Validates X for a transformer `who`: shape, no infinite cell, no NaN
 * unless allow_nan, and cols == n_features when n_features >= 0. Messages
 * name the row and column (1-based). */
cml_status cml_tr_check_X(const cml_matrix *X, int64_t n_features, int allow_nan, const char *who);

/* Copies the non-NaN values of column j into buf (X->rows doubles) sorted
 * ascending; returns their count. */
int64_t cml_tr_sorted_column(const cml_matrix *X, int64_t j, double *buf);

/* Parses "a,b,..." (blanks allowed around numbers) into exactly `want`
 * doubles; CML_ERR_ARG naming `param` otherwise. */
cml_status cml_tr_parse_doubles(const char *s, const char *param, double *out, int want);
/* Parses "i,j,..." into distinct 0-based column indices < n_cols (malloc'd,
 * *n set); "" gives *out = NULL, *n = 0. */
cml_status cml_tr_parse_columns(const char *s, const char *param, int64_t n_cols, int64_t **out,
                                int64_t *n);

/* ---------------------------------------------------------------- save / load */

/* cml.fit.n_features_in, bounded on load to [1, CML_TR_MAX_FEATURES]. */
cml_status cml_tr_save_n_features(cml_gguf_writer *w, int64_t n);
cml_status cml_tr_load_n_features(const cml_gguf *g, int64_t *n);
/* Allocates and reads a (rows, cols) f64 / (n) i64 tensor, checking shape. */
cml_status cml_tr_load_f64(const cml_gguf *g, const char *name, int64_t rows, int64_t cols,
                           double **out);
cml_status cml_tr_load_i64(const cml_gguf *g, const char *name, int64_t n, int64_t **out);

/* ---------------------------------------------------------------- describe */

typedef enum cml_tr_shape {
    CML_TR_NULL = 0, /* sklearn's None */
    CML_TR_SCALAR,   /* one number: f64[0] or i64[0] */
    CML_TR_VECTOR,   /* cols numbers */
    CML_TR_MATRIX,   /* rows arrays of cols numbers */
    CML_TR_RAGGED    /* rows arrays, row r = [offsets[r], offsets[r+1]) */
} cml_tr_shape;

/* One fitted attribute; exactly one of f64 / i64 is used (i64 when set). */
typedef struct cml_tr_field {
    const char *name;
    cml_tr_shape shape;
    const double *f64;
    const int64_t *i64;
    int64_t rows, cols;
    const int64_t *offsets; /* CML_TR_RAGGED only: (rows + 1) */
} cml_tr_field;

/* JSON object {"name": value, ...} of the fields; malloc'd, NULL on OOM. */
char *cml_tr_describe(const cml_tr_field *fields, int n);

#endif
