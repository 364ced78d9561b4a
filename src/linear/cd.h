/*
 * cd.h — coordinate descent for the elastic net on a dense column-major
 * design (the solver of sklearn's cd_fast.enet_coordinate_descent), and the
 * ElasticNet fit that Lasso shares.
 */
#ifndef CML_LINEAR_CD_H
#define CML_LINEAR_CD_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/linear.h"
#include "cml/model.h"
#include "linear/linear_common.h"

/* min_w 1/2 ||y - Xw||^2 + l1 ||w||_1 + l2/2 ||w||^2 (the n-scaled problem). */
typedef struct cml_cd_problem {
    const double *X; /* (n, p) column-major, ld = n */
    const double *y; /* (n) */
    int64_t n, p;
    double l1, l2; /* alpha*l1_ratio*n, alpha*(1-l1_ratio)*n */
    int max_iter;  /* sweeps, >= 1 */
    double tol;    /* unscaled: compared to max|dw|/max|w|; gap < tol*||y||^2 */
    int positive;  /* constrain w >= 0 */
    int random;    /* coordinates drawn at random (with replacement) */
    uint64_t seed; /* for random */
} cml_cd_problem;

typedef struct cml_cd_result {
    int n_iter;        /* sweeps done (sklearn's n_iter + 1) */
    double gap;        /* last duality gap computed (n-scaled) */
    double tol_scaled; /* tol * ||y||^2 */
    int converged;
    double objective; /* primal objective above at the end */
} cml_cd_result;

/* w: (p) start on input, solution on output. Never fails on numbers:
 * reaching max_iter logs a warning and returns CML_OK, converged = 0. */
cml_status cml_cd_enet(const cml_cd_problem *pb, double *w, cml_cd_result *res);

/* The same problem solved from Q = X^T X (full, symmetric, column-major
 * (p, p)) and q = X^T y (sklearn's enet_coordinate_descent_gram): same
 * updates, stopping rule, n_iter counting and RNG use; the gap is formed
 * from Q, q and ||y||^2 (pb->y is read, pb->X is not). */
cml_status cml_cd_enet_gram(const cml_cd_problem *pb, const double *Q, const double *q, double *w,
                            cml_cd_result *res);

/* Whether precompute (cml_cd_precompute) picks the Gram solver for an
 * n x p design: auto = n >= 1000 and n >= 2 p (cml's rule). */
int cml_cd_use_gram(int precompute, int64_t n, int64_t p);

/* ElasticNet.fit (Lasso.fit with l1_ratio = 1): checks, design, CD,
 * intercept. who names the estimator in messages. */
cml_status cml_enet_fit_linfit(const cml_elastic_net_params *p, const char *who,
                               const cml_matrix *X, const double *y, const double *sw,
                               cml_linfit *out, cml_fit_info *info);

/* The parameter rows Lasso and ElasticNet share, after alpha (and l1_ratio),
 * in sklearn's order; T is the params struct. */
#define CML_CD_PARAM_ROWS(T)                                                                       \
    {"fit_intercept",                                                                              \
     CML_PARAM_BOOL,                                                                               \
     "true",                                                                                       \
     0,                                                                                            \
     0,                                                                                            \
     0,                                                                                            \
     NULL,                                                                                         \
     "center X and y and fit an intercept (else the model passes through 0)",                      \
     offsetof(T, fit_intercept)},                                                                  \
        {"precompute",                                                                             \
         CML_PARAM_ENUM,                                                                           \
         "auto",                                                                                   \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         "auto|true|false",                                                                        \
         "solve from the Gram matrix X^T X (O(p^2) per sweep); auto (cml's default, sklearn's is " \
         "false) = when n_samples >= 1000 and >= 2 n_features; false = sklearn's exact path",      \
         offsetof(T, precompute)},                                                                 \
        {"max_iter",                                                                               \
         CML_PARAM_INT,                                                                            \
         "1000",                                                                                   \
         1,                                                                                        \
         INT_MAX,                                                                                  \
         0,                                                                                        \
         NULL,                                                                                     \
         "maximum number of coordinate-descent sweeps",                                            \
         offsetof(T, max_iter)},                                                                   \
        {"tol",                                                                                    \
         CML_PARAM_DOUBLE,                                                                         \
         "1e-4",                                                                                   \
         0,                                                                                        \
         INFINITY,                                                                                 \
         0,                                                                                        \
         NULL,                                                                                     \
         "stop when the duality gap < tol * ||y - mean(y)||^2 (checked when the largest update "   \
         "of a sweep < tol * max|coef|)",                                                          \
         offsetof(T, tol)},                                                                        \
        {"positive",                                                                               \
         CML_PARAM_BOOL,                                                                           \
         "false",                                                                                  \
         0,                                                                                        \
         0,                                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         "constrain the coefficients to >= 0",                                                     \
         offsetof(T, positive)},                                                                   \
        {"random_state",                                                                           \
         CML_PARAM_INT,                                                                            \
         "0",                                                                                      \
         0,                                                                                        \
         INT_MAX,                                                                                  \
         0,                                                                                        \
         NULL,                                                                                     \
         "seed for selection=random (cml's RNG: not sklearn's stream)",                            \
         offsetof(T, random_state)},                                                               \
    {                                                                                              \
        "selection", CML_PARAM_ENUM, "cyclic", 0, 0, 0, "cyclic|random",                           \
            "update coordinates in order, or draw one at random each step", offsetof(T, selection) \
    }

#endif
