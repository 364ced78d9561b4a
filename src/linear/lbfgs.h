/*
 * lbfgs.h — smooth unconstrained minimizers shared by the linear models (and
 * any other estimator with a differentiable objective): L-BFGS with scipy's
 * L-BFGS-B semantics, and the More-Thuente line search it uses.
 *
 * Internal header (never installed). Thread-safety: every call works on its
 * own state; the callbacks decide whether they parallelize.
 */
#ifndef CML_LINEAR_LBFGS_H
#define CML_LINEAR_LBFGS_H

#include <stdint.h>

#include "cml/core.h"

/* Objective: writes f(x) to *f and its gradient (n) to grad. A status other
 * than CML_OK aborts the minimizer and is returned unchanged. */
typedef cml_status (*cml_lbfgs_fn)(const double *x, double *f, double *grad, void *user);

typedef struct cml_lbfgs_opts {
    int m;        /* history pairs kept (scipy maxcor, default 10) */
    int max_iter; /* iterations (scipy maxiter); default 15000 */
    int max_fun;  /* function evaluations (scipy maxfun); default 15000 */
    int max_ls;   /* evaluations per line search (scipy maxls); default 20 */
    /* Stop when max_i |g_i| <= gtol (scipy gtol / Fortran pgtol); 1e-5. */
    double gtol;
    /* Stop when (f_old - f) / max(|f_old|, |f|, 1) <= ftol (scipy ftol =
     * factr * eps); default 2.2204460492503131e-09 (factr = 1e7). */
    double ftol;
} cml_lbfgs_opts;

/* scipy.optimize.minimize(method="L-BFGS-B") defaults. */
cml_lbfgs_opts cml_lbfgs_opts_default(void);

typedef enum cml_lbfgs_stop {
    CML_LBFGS_GTOL = 0, /* converged: gradient norm */
    CML_LBFGS_FTOL,     /* converged: relative reduction of f */
    CML_LBFGS_MAX_ITER, /* not converged: iteration limit */
    CML_LBFGS_MAX_FUN,  /* not converged: evaluation limit */
    CML_LBFGS_ABNORMAL  /* line search failed with an empty memory */
} cml_lbfgs_stop;

typedef struct cml_lbfgs_result {
    int n_iter;          /* scipy's nit */
    int n_fev;           /* objective evaluations */
    double f;            /* final objective */
    double gnorm;        /* final max_i |g_i| */
    cml_lbfgs_stop stop; /* why it stopped */
} cml_lbfgs_result;

/* 1 for GTOL/FTOL, 0 otherwise. */
static inline int cml_lbfgs_converged(cml_lbfgs_stop s)
{
    return s == CML_LBFGS_GTOL || s == CML_LBFGS_FTOL;
}

/*
 * Minimizes fn from x (n, updated in place to the final iterate).
 * Reproduces L-BFGS-B 3.0 without bounds as scipy 1.10 drives it (what
 * scikit-learn 1.2's LogisticRegression(solver="lbfgs") calls): first step
 * -g with length 1/||g||, later steps -H g with the limited-memory inverse
 * Hessian scaled by y's/y'y, More-Thuente search (ftol 1e-3, gtol 0.9,
 * xtol 0.1), pair skipped when s'y <= eps * (-g's), memory reset on a failed
 * search, the same stopping tests in the same order. So iteration counts and
 * the stopping point agree with scipy up to floating-point rounding.
 * Returns CML_OK also when a limit is hit (see res->stop); CML_ERR_NOMEM, or
 * a callback's error.
 */
cml_status cml_lbfgs_minimize(int64_t n, double *x, cml_lbfgs_fn fn, void *user,
                              const cml_lbfgs_opts *opts, cml_lbfgs_result *res);

/* ---------------------------------------------------------------- search */

/*
 * More-Thuente line search (MINPACK-2 dcsrch/dcstep; More & Thuente, ACM
 * TOMS 20(3), 1994) in reverse communication: it finds stp with
 *   f(stp) <= f(0) + ftol*stp*f'(0)  and  |f'(stp)| <= gtol*|f'(0)|.
 * Usage: cml_mt_init(&s, ...); stp = first trial step;
 *   r = cml_mt_step(&s, &stp, f(0), f'(0));
 *   while (r == CML_MT_EVAL) r = cml_mt_step(&s, &stp, f(stp), f'(stp));
 */
typedef enum cml_mt_task {
    CML_MT_EVAL = 0, /* evaluate f and f' at the new *stp and call again */
    CML_MT_CONV,     /* both conditions hold at *stp */
    CML_MT_WARN,     /* no further progress possible; *stp is the best step */
    CML_MT_ERROR     /* bad input (g0 >= 0, stp out of bounds...) */
} cml_mt_task;

typedef struct cml_mt_state {
    double ftol, gtol, xtol, stpmin, stpmax;
    int brackt, stage, started;
    double finit, ginit, gtest;
    double stx, fx, gx, sty, fy, gy, stmin, stmax, width, width1;
} cml_mt_state;

void cml_mt_init(cml_mt_state *s, double ftol, double gtol, double xtol, double stpmin,
                 double stpmax);
/* One step of the search (see above): f, g are the objective and its
 * directional derivative at *stp, or at 0 on the first call. Updates *stp. */
cml_mt_task cml_mt_step(cml_mt_state *s, double *stp, double f, double g);

#endif
