/*
 * cml/linear.h — linear models: least squares, ridge, lasso and elastic net
 * regression (and, below, logistic regression), f64, with scikit-learn 1.2
 * semantics: same parameters, defaults, objectives and fitted attributes.
 *
 * Ownership: fitted models are opaque, copy what they keep and are freed with
 * their own _free (NULL is a no-op). Inputs are borrowed for the call only.
 * Thread-safety: _predict and the getters only read the model, so one fitted
 * model may serve many threads at once. Fitting is independent per model.
 *
 * The same estimators are registered for the generic layer (cml/model.h) as
 * "linear_regression" (alias "ols"), "ridge", "lasso", "elastic_net" (alias
 * "enet"); save/load go through cml_model_save / cml_model_load there.
 */
#ifndef CML_LINEAR_H
#define CML_LINEAR_H

#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- regression ---- */

/*
 * Every regressor predicts X·coef + intercept. sample_weight (rows, >= 0,
 * not all 0; NULL = all ones) enters as sklearn's: weighted means for the
 * intercept, then rows scaled by sqrt(weight). Errors: CML_ERR_ARG for bad
 * parameters (message names the parameter and its range), mismatched
 * shapes, NaN/inf in X or y, negative weights; CML_ERR_NOMEM;
 * CML_ERR_CONVERGENCE only when LAPACK itself fails (an SVD that does not
 * converge). Reaching max_iter is not an error (see the CD estimators).
 */

/* --- LinearRegression: min_w ||y - Xw - b||^2 (ordinary least squares). */
typedef struct cml_linear_regression_params {
    int fit_intercept; /* bool, default 1 */
} cml_linear_regression_params;

typedef struct cml_linear_regression cml_linear_regression;

cml_linear_regression_params cml_linear_regression_params_default(void);
/* NULL when valid, else a message naming the parameter (thread-local). */
const char *cml_linear_regression_params_check(const cml_linear_regression_params *p);
/* Minimum-norm least squares by SVD (LAPACK dgelsd, rcond = machine
 * epsilon, exactly scipy.linalg.lstsq which sklearn calls), so rank-deficient
 * X gets sklearn's solution. *out is NULL on failure. */
cml_status cml_linear_regression_fit(const cml_linear_regression_params *p, const cml_matrix *X,
                                     const double *y, cml_linear_regression **out);
cml_status cml_linear_regression_fit_weighted(const cml_linear_regression_params *p,
                                              const cml_matrix *X, const double *y,
                                              const double *sample_weight,
                                              cml_linear_regression **out);
/* out: (X->rows). X->cols must equal the fitted feature count. */
cml_status cml_linear_regression_predict(const cml_linear_regression *m, const cml_matrix *X,
                                         double *out);
/* coef_ (n_features), owned by the model; *n_features may be NULL. */
const double *cml_linear_regression_coef(const cml_linear_regression *m, int64_t *n_features);
double cml_linear_regression_intercept(const cml_linear_regression *m);
/* rank_ of the (centered, weighted) design and its singular values
 * (singular_ in sklearn; min(rows, cols) values, descending). */
int64_t cml_linear_regression_rank(const cml_linear_regression *m);
const double *cml_linear_regression_singular_values(const cml_linear_regression *m, int64_t *n);
void cml_linear_regression_free(cml_linear_regression *m);

/* --- Ridge: min_w ||y - Xw - b||^2 + alpha ||w||^2. */
typedef enum cml_ridge_solver {
    CML_RIDGE_AUTO = 0,    /* cholesky (sklearn's choice for dense X) */
    CML_RIDGE_SVD = 1,     /* LAPACK dgesdd; shrinks each singular direction */
    CML_RIDGE_CHOLESKY = 2 /* normal equations (or the kernel form X X^T when
                              cols > rows) by dposv; falls back as sklearn does
                              when the matrix is not positive definite */
} cml_ridge_solver;

typedef struct cml_ridge_params {
    double alpha;      /* >= 0, default 1.0 */
    int fit_intercept; /* bool, default 1 */
    int solver;        /* cml_ridge_solver, default CML_RIDGE_AUTO */
} cml_ridge_params;

typedef struct cml_ridge cml_ridge;

cml_ridge_params cml_ridge_params_default(void);
const char *cml_ridge_params_check(const cml_ridge_params *p);
cml_status cml_ridge_fit(const cml_ridge_params *p, const cml_matrix *X, const double *y,
                         cml_ridge **out);
cml_status cml_ridge_fit_weighted(const cml_ridge_params *p, const cml_matrix *X, const double *y,
                                  const double *sample_weight, cml_ridge **out);
cml_status cml_ridge_predict(const cml_ridge *m, const cml_matrix *X, double *out);
const double *cml_ridge_coef(const cml_ridge *m, int64_t *n_features);
double cml_ridge_intercept(const cml_ridge *m);
void cml_ridge_free(cml_ridge *m);

/* --- Lasso and ElasticNet by coordinate descent:
 *   min_w 1/(2n) ||y - Xw - b||^2 + alpha*l1_ratio*||w||_1
 *                                 + alpha*(1 - l1_ratio)/2 * ||w||^2
 * (Lasso is l1_ratio = 1). Stops when the duality gap is below
 * tol * ||y - mean(y)||^2, checked each time the largest coefficient change
 * of a sweep falls below tol * max|w| (sklearn's cd_fast rule), so n_iter
 * and dual_gap compare with sklearn's n_iter_ and dual_gap_. Reaching
 * max_iter logs a CML_LOG_WARN and leaves converged = 0; the model is kept.
 * selection = random draws coordinates from cml_rng seeded with random_state
 * (deterministic, but not sklearn's random stream). */
typedef enum cml_cd_selection { CML_CD_CYCLIC = 0, CML_CD_RANDOM = 1 } cml_cd_selection;
/* precompute: solve from the Gram matrix Q = X^T X and q = X^T y (sklearn's
 * enet_coordinate_descent_gram, O(p^2) per sweep instead of O(n p)) or from
 * X itself. auto, cml's default (sklearn's default is False), uses Q when
 * n_samples >= 1000 and n_samples >= 2 * n_features. Both paths do the same
 * updates and stop on the same rule, so results agree to rounding (and
 * n_iter to +-1); precompute=false reproduces sklearn's default path. */
typedef enum cml_cd_precompute {
    CML_CD_PRECOMPUTE_AUTO = 0,
    CML_CD_PRECOMPUTE_TRUE = 1,
    CML_CD_PRECOMPUTE_FALSE = 2
} cml_cd_precompute;

typedef struct cml_elastic_net_params {
    double alpha;      /* >= 0, default 1.0 (0 is allowed with a warning) */
    double l1_ratio;   /* in [0, 1], default 0.5 */
    int fit_intercept; /* bool, default 1 */
    int max_iter;      /* >= 1, default 1000 (sweeps over all features) */
    double tol;        /* >= 0, default 1e-4 */
    int positive;      /* bool, default 0: constrain coef >= 0 */
    int random_state;  /* >= 0, default 0: seed of selection=random */
    int selection;     /* cml_cd_selection, default CML_CD_CYCLIC */
    int precompute;    /* cml_cd_precompute, default CML_CD_PRECOMPUTE_AUTO */
} cml_elastic_net_params;

typedef struct cml_lasso_params {
    double alpha; /* >= 0, default 1.0 */
    int fit_intercept;
    int max_iter;
    double tol;
    int positive;
    int random_state;
    int selection;
    int precompute; /* cml_cd_precompute */
} cml_lasso_params;

typedef struct cml_elastic_net cml_elastic_net;
typedef struct cml_lasso cml_lasso;

cml_elastic_net_params cml_elastic_net_params_default(void);
const char *cml_elastic_net_params_check(const cml_elastic_net_params *p);
/* sample_weight is rescaled to sum to rows first, as sklearn does. */
cml_status cml_elastic_net_fit(const cml_elastic_net_params *p, const cml_matrix *X,
                               const double *y, cml_elastic_net **out);
cml_status cml_elastic_net_fit_weighted(const cml_elastic_net_params *p, const cml_matrix *X,
                                        const double *y, const double *sample_weight,
                                        cml_elastic_net **out);
cml_status cml_elastic_net_predict(const cml_elastic_net *m, const cml_matrix *X, double *out);
const double *cml_elastic_net_coef(const cml_elastic_net *m, int64_t *n_features);
double cml_elastic_net_intercept(const cml_elastic_net *m);
int cml_elastic_net_n_iter(const cml_elastic_net *m);      /* sklearn's n_iter_ */
double cml_elastic_net_dual_gap(const cml_elastic_net *m); /* sklearn's dual_gap_ */
int cml_elastic_net_converged(const cml_elastic_net *m);
void cml_elastic_net_free(cml_elastic_net *m);

cml_lasso_params cml_lasso_params_default(void);
const char *cml_lasso_params_check(const cml_lasso_params *p);
cml_status cml_lasso_fit(const cml_lasso_params *p, const cml_matrix *X, const double *y,
                         cml_lasso **out);
cml_status cml_lasso_fit_weighted(const cml_lasso_params *p, const cml_matrix *X, const double *y,
                                  const double *sample_weight, cml_lasso **out);
cml_status cml_lasso_predict(const cml_lasso *m, const cml_matrix *X, double *out);
const double *cml_lasso_coef(const cml_lasso *m, int64_t *n_features);
double cml_lasso_intercept(const cml_lasso *m);
int cml_lasso_n_iter(const cml_lasso *m);
double cml_lasso_dual_gap(const cml_lasso *m);
int cml_lasso_converged(const cml_lasso *m);
void cml_lasso_free(cml_lasso *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_LINEAR_H */
