/*
 * newton_cg.h — truncated Newton (Newton-CG) minimizer with the stopping
 * rules of scikit-learn's sklearn.utils.optimize._newton_cg (1.2), shared by
 * the linear models that offer solver="newton-cg". Internal header.
 */
#ifndef CML_LINEAR_NEWTON_CG_H
#define CML_LINEAR_NEWTON_CG_H

#include <stdint.h>

#include "cml/core.h"
#include "linear/lbfgs.h"

typedef struct cml_newton_cg_ops {
    /* f(x) and its gradient (the line search evaluates trial points). */
    cml_lbfgs_fn fg;
    /* Gradient at x, and prepare Hessian-vector products at x. */
    cml_status (*grad_hess)(const double *x, double *grad, void *user);
    /* out = H v with H the Hessian at the x last given to grad_hess. */
    cml_status (*hessp)(const double *v, double *out, void *user);
    void *user;
} cml_newton_cg_ops;

typedef struct cml_newton_cg_result {
    int n_iter;    /* Newton steps taken (sklearn's n_iter_) */
    int converged; /* max_i |g_i| <= tol reached */
    int ls_failed; /* stopped because the line search failed */
    double gnorm;  /* max_i |g_i| at the last gradient evaluation */
} cml_newton_cg_result;

/*
 * Minimizes from x (n, updated in place). Each iteration: stop if
 * max|g| <= tol; else solve H p = -g by CG from 0 until sum|r| <=
 * min(0.5, sqrt(sum|g|)) * sum|g| (at most max_inner + 1 steps, stopping at
 * non-positive curvature as sklearn does), then a More-Thuente search
 * (c1 = 1e-4, c2 = 0.9, steps in [1e-8, 50], first trial
 * min(1, 2.02 (f_k - f_{k-1}) / g'p) like scipy's line_search_wolfe1).
 * Returns CML_OK also at max_iter or on a failed search (see res).
 */
cml_status cml_newton_cg_minimize(int64_t n, double *x, const cml_newton_cg_ops *ops, int max_iter,
                                  double tol, int max_inner, cml_newton_cg_result *res);

#endif
