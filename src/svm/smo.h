/*
 * smo.h — libsvm's SMO solver (Fan, Chen & Lin, JMLR 6, 2005) for
 *
 *     min_a  1/2 a' Q a + p' a   s.t.  y' a = delta,  0 <= a_i <= C_i
 *
 * with y_i = +1/-1, over a Q matrix from kernel.h.
 */
#ifndef CML_SVM_SMO_H
#define CML_SVM_SMO_H

#include "cml/core.h"
#include "svm/kernel.h"

typedef struct smo_result {
    double obj;    /* final objective value */
    double rho;    /* the decision function is sum_i y_i a_i K(x_i, x) - rho */
    int n_iter;    /* SMO iterations */
    int timed_out; /* 1 when max_iter stopped it */
} smo_result;

/*
 * Solves in place: alpha (l) holds a feasible start and receives the
 * solution. p, y, C (l) are read only (copied: shrinking permutes them).
 * eps: stopping tolerance on the maximal violating pair (libsvm's -e);
 * max_iter: -1 for no limit. Errors: CML_ERR_NOMEM.
 */
cml_status smo_solve(int l, svm_qmat *Q, const double *p, const signed char *y, double *alpha,
                     const double *C, double eps, int shrinking, int max_iter, smo_result *res);

#endif
