/*
 * newton_cg.c — truncated Newton minimization (Nocedal & Wright, "Numerical
 * Optimization", 2nd ed., Algorithm 7.1 "line search Newton-CG"), with the
 * exact stopping rules of scikit-learn 1.2's _newton_cg / _cg and the
 * scipy line_search_wolfe1 step (More-Thuente, see lbfgs.c):
 *
 *   p_k ~= argmin_p g'p + p'Hp/2  by CG,  x_{k+1} = x_k + a_k p_k.
 *
 * The Hessian is only touched through Hessian-vector products, so the cost
 * per iteration is one gradient plus (CG steps) Hessian products; for GLMs
 * each product is two passes over X.
 * Thread-safety: reentrant; the callbacks own any parallelism.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "linear/newton_cg.h"

/* scipy line_search_wolfe1 defaults as _newton_cg calls it. */
#define NCG_C1       1e-4
#define NCG_C2       0.9
#define NCG_XTOL     1e-14
#define NCG_STPMIN   1e-8
#define NCG_STPMAX   50.0
#define NCG_LS_EVALS 100

/* sklearn _cg: approximately solves H p = -g, starting from p = 0. */
static cml_status cg_solve(int64_t n, const cml_newton_cg_ops *ops, const double *g, int max_inner,
                           double tol, double *p, double *r, double *q, double *Aq)
{
    const int n_ = (int)n;
    memset(p, 0, (size_t)n * sizeof(double));
    memcpy(r, g, (size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        q[i] = -g[i];
    double rr0 = cblas_ddot(n_, r, 1, r, 1);
    for (int i = 0; i <= max_inner; i++) {
        if (cblas_dasum(n_, r, 1) <= tol) break;
        CML_CHECK(ops->hessp(q, Aq, ops->user));
        double curv = cblas_ddot(n_, q, 1, Aq, 1);
        if (curv >= 0.0 && curv <= 3.0 * DBL_EPSILON) break;
        if (curv < 0.0) {
            /* Negative curvature: at the first step fall back to steepest
             * descent scaled by the curvature, later keep what we have. */
            if (i == 0) cblas_daxpy(n_, rr0 / curv, q, 1, p, 1);
            break;
        }
        double alpha = rr0 / curv;
        cblas_daxpy(n_, alpha, q, 1, p, 1);
        cblas_daxpy(n_, alpha, Aq, 1, r, 1);
        double rr1 = cblas_ddot(n_, r, 1, r, 1);
        double beta = rr1 / rr0;
        for (int64_t k = 0; k < n; k++)
            q[k] = -r[k] + beta * q[k];
        rr0 = rr1;
    }
    return CML_OK;
}

cml_status cml_newton_cg_minimize(int64_t n, double *x, const cml_newton_cg_ops *ops, int max_iter,
                                  double tol, int max_inner, cml_newton_cg_result *res)
{
    if (n <= 0 || n > INT32_MAX)
        return cml_fail(CML_ERR_ARG, "newton-cg: bad problem size %lld", (long long)n);
    const int n_ = (int)n;
    cml_status st = CML_OK;
    /* g, p, r, q, Aq, xt (trial point), gt (its gradient) */
    double *work = cml_alloc_array(7 * n, sizeof(double));
    if (!work) return CML_ERR_NOMEM;
    double *g = work, *p = work + n, *r = work + 2 * n, *q = work + 3 * n, *Aq = work + 4 * n;
    double *xt = work + 5 * n, *gt = work + 6 * n;
    memset(res, 0, sizeof *res);

    double fval, old_fval = 0.0;
    int have_old = 0;
    CML_TRY(ops->fg(x, &fval, gt, ops->user));
    while (res->n_iter < max_iter) {
        CML_TRY(ops->grad_hess(x, g, ops->user));
        double gmax = 0.0;
        for (int64_t i = 0; i < n; i++)
            gmax = fmax(gmax, fabs(g[i]));
        res->gnorm = gmax;
        if (gmax <= tol) {
            res->converged = 1;
            break;
        }
        double gsum = cblas_dasum(n_, g, 1);
        double eta = fmin(0.5, sqrt(gsum));
        CML_TRY(cg_solve(n, ops, g, max_inner, eta * gsum, p, r, q, Aq));

        /* line_search_wolfe1: first trial from the last decrease. */
        double derphi0 = cblas_ddot(n_, g, 1, p, 1);
        double stp = 1.0;
        if (have_old && derphi0 != 0.0) {
            stp = fmin(1.0, 1.01 * 2.0 * (fval - old_fval) / derphi0);
            if (!(stp > 0.0)) stp = 1.0; /* also -0 when f did not move */
        }
        cml_mt_state ls;
        cml_mt_init(&ls, NCG_C1, NCG_C2, NCG_XTOL, NCG_STPMIN, NCG_STPMAX);
        cml_mt_task task = cml_mt_step(&ls, &stp, fval, derphi0);
        double ft = fval;
        for (int e = 0; e < NCG_LS_EVALS && task == CML_MT_EVAL; e++) {
            for (int64_t i = 0; i < n; i++)
                xt[i] = x[i] + stp * p[i];
            CML_TRY(ops->fg(xt, &ft, gt, ops->user));
            task = cml_mt_step(&ls, &stp, ft, cblas_ddot(n_, gt, 1, p, 1));
        }
        if (task != CML_MT_CONV) {
            /* Near the optimum f is flat to rounding and the search can fail
             * on noise (sklearn then retries with scipy's line_search_wolfe2,
             * which accepts the full step there). Accept the Newton step if
             * f does not rise beyond rounding and the slope shrinks. */
            for (int64_t i = 0; i < n; i++)
                xt[i] = x[i] + p[i];
            CML_TRY(ops->fg(xt, &ft, gt, ops->user));
            stp = 1.0;
            if (ft <= fval + 4 * DBL_EPSILON * fabs(fval) &&
                fabs(cblas_ddot(n_, gt, 1, p, 1)) <= NCG_C2 * fabs(derphi0))
                task = CML_MT_CONV;
        }
        if (task != CML_MT_CONV) {
            res->ls_failed = 1;
            break;
        }
        old_fval = fval;
        have_old = 1;
        fval = ft;
        cblas_daxpy(n_, stp, p, 1, x, 1);
        res->n_iter++;
    }
fail:
    free(work);
    return st;
}
