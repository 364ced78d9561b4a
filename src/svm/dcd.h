/*
 * dcd.h — liblinear's dual coordinate descent for L2-regularized linear
 * SVMs (LinearSVC, LinearSVR), over dense or CSR rows with liblinear's
 * bias feature, plus the linear decision function both estimators use.
 */
#ifndef CML_SVM_DCD_H
#define CML_SVM_DCD_H

#include "cml/core.h"
#include "cml/gguf.h"

/* Rows of a design matrix, dense or CSR, with an optional constant bias
 * feature appended (liblinear's -B: value `bias` when > 0, weight w[d]). */
typedef struct dcd_data {
    const cml_matrix *X; /* dense rows, or NULL */
    const cml_csr *S;    /* CSR rows, or NULL */
    int64_t d;           /* features, without the bias */
    double bias;         /* > 0: bias feature value (intercept_scaling); else none */
} dcd_data;

/* Number of weights: d, plus one for the bias. */
static inline int64_t dcd_w_size(const dcd_data *D)
{
    return D->d + (D->bias > 0);
}

/* One binary problem over rows[0..l): labels y (+1/-1) or targets, per-row
 * upper bounds C (C * weights), tolerance eps, at most max_iter epochs, the
 * coordinate order drawn from rng. w (dcd_w_size) receives the primal
 * weights. Returns the epochs run (max_iter when not converged). */
typedef struct dcd_problem {
    const dcd_data *D;
    const int64_t *rows; /* (l) */
    int64_t l;
    const double *C; /* (l) */
    double eps;
    int max_iter;
    cml_rng *rng;
} dcd_problem;

/* L2-loss (squared hinge, hinge = 0) or L1-loss (hinge = 1) SVC dual:
 * min_a 1/2 a'(Q + D)a - e'a, 0 <= a_i <= U_i (Hsieh et al., ICML 2008,
 * Algorithm 1 with shrinking; liblinear's solve_l2r_l1l2_svc). */
cml_status dcd_svc(const dcd_problem *P, const signed char *y, int hinge, double *w, int *n_iter);

/* L1-loss (epsilon-insensitive, squared = 0) or L2-loss (squared = 1) SVR
 * dual (Ho & Lin, "Large-scale linear support vector regression", JMLR 13,
 * 2012, Algorithm 4; liblinear's solve_l2r_l1l2_svr). p = epsilon. */
cml_status dcd_svr(const dcd_problem *P, const double *y, int squared, double p, double *w,
                   int *n_iter);

/* L1-regularized L2-loss SVC in the primal (l1r_svc.c; liblinear's
 * solve_l1r_l2_svc): min_w |w|_1 + sum_i C_i max(0, 1 - y_i w.x_i)^2 by
 * coordinate descent with line search (Yuan et al., JMLR 11, 2010).
 * P->eps is liblinear's primal tolerance (tol * max(min(#pos, #neg), 1) / l). */
cml_status l1r_l2_svc(const dcd_problem *P, const signed char *y, double *w, int *n_iter);

/* out (rows, k) = X coef' + intercept for dense X or CSR S (one is NULL);
 * coef (k, d). */
cml_status dcd_decision(const double *coef, const double *intercept, int64_t k, int64_t d,
                        const cml_matrix *X, const cml_csr *S, double *out);

#endif
