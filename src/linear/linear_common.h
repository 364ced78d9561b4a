/*
 * linear_common.h — what the four regression linear models share: input
 * checks, the centered and weighted design matrix (sklearn's
 * _preprocess_data + _rescale_data), the fitted state (coef, intercept and
 * solver extras), predict X·coef + intercept, save/load and describe.
 *
 * Every public model struct (struct cml_ridge, ...) has a cml_linfit as its
 * first and only member, so the vtable entries below take the state as a
 * cml_linfit through the first-member rule and serve all four estimators.
 */
#ifndef CML_LINEAR_COMMON_H
#define CML_LINEAR_COMMON_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/gguf.h"
#include "cml/model.h"

/* Which solver extras a fitted model carries (saved and required on load). */
enum { CML_LINFIT_SVD = 1, CML_LINFIT_CD = 2 };

typedef struct cml_linfit {
    int64_t n_features;
    double *coef;     /* (n_features) */
    double intercept; /* 0 when fit_intercept is false */
    int extras;       /* CML_LINFIT_* bits */
    /* CML_LINFIT_SVD (LinearRegression): rank_ and singular_ */
    int64_t rank;
    int64_t n_singular;
    double *singular; /* (n_singular), descending */
    /* CML_LINFIT_CD (Lasso, ElasticNet) */
    int n_iter;      /* sweeps done, sklearn's n_iter_ */
    double dual_gap; /* final duality gap / n_samples, sklearn's dual_gap_ */
    int converged;   /* gap < tol reached before max_iter */
} cml_linfit;

/* The design a solver sees, sklearn's convention: with an intercept, X and y
 * are centered on their (weighted) means; then rows are scaled by sqrt(w),
 * so ||yd - Xd w||^2 = sum_i w_i (y_i - b - x_i·w)^2. */
typedef struct cml_lin_design {
    int64_t n, p;
    int col_major;    /* layout of X */
    double *X;        /* (n, p) column-major (ld = n) or row-major (ld = p), owned */
    double *y;        /* (n), owned */
    double *x_offset; /* (p) weighted column means; zeros without intercept */
    double y_offset;  /* weighted mean of y; 0 without intercept */
} cml_lin_design;

/* Checks X (finite, non-empty), y (finite) and sample_weight (finite, >= 0,
 * positive sum) for estimator `who`; CML_ERR_ARG naming the culprit. */
cml_status cml_lin_check_input(const char *who, const cml_matrix *X, const double *y,
                               const double *sample_weight);
/* The same checks but X's values: for solvers whose first pass over X
 * rejects non-finite values itself (cml_lin_normal_eq). */
cml_status cml_lin_check_input_shape(const char *who, const cml_matrix *X, const double *y,
                                     const double *sample_weight);

/* Builds the design. sw may be NULL (all ones). sw_sum_to_n rescales the
 * weights to sum to n first (ElasticNet.fit does; the others do not).
 * col_major picks the layout of d->X. */
cml_status cml_lin_design_build(const cml_matrix *X, const double *y, const double *sw,
                                int fit_intercept, int sw_sum_to_n, int col_major,
                                cml_lin_design *d);
void cml_lin_design_free(cml_lin_design *d);

/* The normal equations without the (n, p) design copy: G = Xc^T Xc (upper
 * triangle, column-major (p, p)) and Xty = Xc^T yc, where Xc, yc are the
 * centered, sqrt(w)-scaled X and y of cml_lin_design_build, plus the offsets.
 * One pass over X (in-cache blocks merged exactly, see the .c); it also
 * rejects non-finite X, so callers skip cml_matrix_check. */
cml_status cml_lin_normal_eq(const cml_matrix *X, const double *y, const double *sw,
                             int fit_intercept, double *G, double *Xty, double *x_offset,
                             double *y_offset);

/* The design of a Gram-matrix solver without the (n, p) copy: G = Xc^T Xc
 * (full, symmetric, column-major (p, p)) and Xty = Xc^T yc by
 * cml_lin_normal_eq, and d with y (the centered, scaled yc), the offsets
 * and X = NULL. Weights as cml_lin_design_build (sw_sum_to_n alike).
 * Rejects non-finite X, as cml_lin_normal_eq does. */
cml_status cml_lin_gram_design(const cml_matrix *X, const double *y, const double *sw,
                               int fit_intercept, int sw_sum_to_n, double *G, double *Xty,
                               cml_lin_design *d);

/* The second pass of Cholesky QR (CholQR2) on the same centered, scaled
 * design: given R1 (upper, column-major (p, p)) with Xc = Q1 R1, returns
 * G2 = Q1^T Q1 (upper triangle) and z = Q1^T yc. Reads X once, stores no
 * (n, p) copy; x_offset / y_offset as cml_lin_normal_eq returned them. */
cml_status cml_lin_cholqr_pass(const cml_matrix *X, const double *y, const double *sw,
                               const double *x_offset, double y_offset, const double *R1,
                               double *G2, double *z);

/* The R factor of the centered, sqrt(w)-scaled [Xc yc] (q = p + 1 columns)
 * by TSQR: R is (q, q), column-major, upper triangular (zeros below), so
 * Xc = Q R[0:p, 0:p], R[0:p, p] = Q^T yc and |R[p, p]| is the residual norm
 * of the least-squares fit. Reads X once, stores no (n, p) copy; offsets as
 * cml_lin_normal_eq returned them; X must be finite (that pass checked). */
cml_status cml_lin_tsqr(const cml_matrix *X, const double *y, const double *sw,
                        const double *x_offset, double y_offset, double *R);

/* Allocates coef (zeros) for p features; other fields zero / n.a. */
cml_status cml_linfit_init(cml_linfit *f, int64_t p);
/* intercept = y_offset - x_offset·coef (sklearn's _set_intercept). */
void cml_linfit_set_intercept(cml_linfit *f, const cml_lin_design *d, int fit_intercept);
/* Frees the arrays (not f itself). */
void cml_linfit_clear(cml_linfit *f);

/* out = X·coef + intercept through cblas_dgemv; reads f only. */
cml_status cml_linfit_predict(const cml_linfit *f, const cml_matrix *X, double *out);

/* Allocates a model struct of `size` bytes (a struct whose first member is a
 * cml_linfit) and moves *f into it (f's arrays now belong to the result). */
void *cml_linfit_wrap(cml_linfit *f, size_t size);

/* Vtable entries shared by the four estimators (state = a cml_linfit). */
cml_status cml_linfit_vt_predict(const void *state, const cml_matrix *X, double *out);
int64_t cml_linfit_vt_n_features(const void *state);
cml_status cml_linfit_vt_save(const void *state, const void *params, cml_gguf_writer *w);
char *cml_linfit_vt_describe(const void *state);
void cml_linfit_vt_free(void *state);
/* Load for an estimator whose models carry `extras` and are `size` bytes. */
cml_status cml_linfit_load(const cml_gguf *g, int extras, size_t size, void **state);

#endif
