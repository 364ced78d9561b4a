/*
 * logreg_impl.h — what the logistic-regression files share (internal): the
 * weighted problem the solvers see and its loss, gradient and Hessian
 * products (logreg_loss.c), and the L1/elastic-net solver (logreg_cd.c).
 *
 * Parameters of one problem are a row-major (R, p + fi) block w: row k holds
 * the coefficients of class k (columns 0..p-1) and, with an intercept, its
 * intercept in column p. R = 1 for the binary sigmoid form, R = K >= 2 for
 * the softmax form (scikit-learn's full K-row parametrization).
 */
#ifndef CML_LINEAR_LOGREG_IMPL_H
#define CML_LINEAR_LOGREG_IMPL_H

#include <math.h>
#include <stdint.h>

#include "cml/core.h"

typedef struct lr_problem {
    const double *X; /* (n, p) row-major, leading dimension ldx; NULL with S */
    int64_t ldx, n, p;
    const cml_csr *S; /* CSR rows (n, p) instead of X, or NULL (lr_problem_use_csr) */
    const double *y;  /* (n) binary: 0/1; softmax: class index 0..K-1 */
    const double *sw; /* (n) sample weight x class weight, never NULL */
    int K;            /* 1: sigmoid; >= 2: softmax over K rows */
    int fi;           /* 1 with an intercept column */
    double l2;        /* strength of 1/2 ||coef||^2 (intercepts excluded) */
    int64_t dim;      /* K * (p + fi): length of w */
    /* scratch, owned, (n, K) each */
    double *raw;     /* decision values X w' + b */
    double *G;       /* weighted pointwise gradient d loss / d raw */
    double *H;       /* sigmoid: sw p (1 - p) (n); softmax: probabilities (n, K) */
    double *T;       /* Hessian-product scratch */
    double *partial; /* (n_chunks, 1 + K) fixed-order reduction slots */
    double *gpart;   /* (n_chunks, dim) per-chunk gradients of the fused pass, or NULL */
    int64_t n_chunks;
    /* the few-class kernel (dense X, 2 <= K <= LR_SKINNY_MAX_K), else NULL:
     * w transposed to (p, kp) with kp = K rounded up to 8, per-thread
     * gradient tiles (n_threads, p * kp) and one row of p zeros */
    double *wt, *gt, *zero_row;
    int kp;
} lr_problem;

/* Rows per reduction chunk: sums are formed per chunk, then added in chunk
 * order, so results do not depend on the OpenMP thread count. */
#define LR_CHUNK 512
/* Most classes for the few-class kernel of the fused evaluation */
#define LR_SKINNY_MAX_K 16

/* Element counts below which a loop stays serial: a parallel region costs
 * tens of microseconds (milliseconds on a loaded machine), more than small
 * passes (iris, digits) take. LR_PAR_EXP: loops with an exp/log per element;
 * LR_PAR_CHEAP: adds and multiplies only. */
#define LR_PAR_EXP   (1 << 16)
#define LR_PAR_CHEAP (1 << 19)

/* Sets the fields and allocates scratch; lr_problem_free releases it. */
cml_status lr_problem_init(lr_problem *pb, const double *X, int64_t ldx, int64_t n, int64_t p,
                           const double *y, const double *sw, int K, int fit_intercept, double l2);
void lr_problem_free(lr_problem *pb);
/* After init: the design is the CSR S (n, p) instead of dense X. */
void lr_problem_use_csr(lr_problem *pb, const cml_csr *S);

/* raw = X w' + b. */
void lr_decision(const lr_problem *pb, const double *w);
/* Weighted loss sum at pb->raw, with the pointwise gradient in pb->G and,
 * when want_hess, the Hessian data in pb->H. No penalty term. */
double lr_pointwise(lr_problem *pb, int want_hess);
/* Weighted loss sum at raw + t * delta (n, K) without touching pb's state. */
double lr_loss_at(lr_problem *pb, const double *delta, double t);
/* f = sum_i s_i loss_i + l2/2 ||coef||^2 and its gradient (dim). When
 * want_hess, also prepares lr_hessp at w. */
void lr_loss_grad(lr_problem *pb, const double *w, double *f, double *grad, int want_hess);
/* out = H v, H the Hessian at the w of the last lr_loss_grad(want_hess=1). */
void lr_hessp(lr_problem *pb, const double *v, double *out);
/* Column sums of an (n, K) array A into out[k * stride], summed per chunk
 * and then in chunk order. */
void lr_colsum(lr_problem *pb, const double *A, double *out, int64_t stride);

/* Numerically stable helpers. */
static inline double lr_expit(double z)
{
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/*
 * Minimizes sum_i s_i loss_i + l2/2 ||coef||^2 + l1 ||coef||_1 (intercepts
 * unpenalized) by proximal Newton with coordinate descent on each quadratic
 * model (see logreg_cd.c). w (dim) starts at its given value. Stops when the
 * minimum-norm subgradient has max-norm <= tol, after max_iter Newton steps,
 * or when no descent is possible.
 */
typedef struct lr_cd_result {
    int n_iter, converged;
    double opt; /* final max-norm of the minimum-norm subgradient */
} lr_cd_result;
cml_status lr_cd_solve(lr_problem *pb, double l1, double *w, int max_iter, double tol,
                       lr_cd_result *res);

#endif
