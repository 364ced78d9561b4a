/*
 * lbfgs.c — limited-memory BFGS for smooth unconstrained problems, written to
 * follow scipy's L-BFGS-B (Byrd, Lu, Nocedal & Zhu, SIAM J. Sci. Comput. 16(5),
 * 1995; Morales & Nocedal, ACM TOMS 38(1), 2011) step for step when there are
 * no bounds, plus the More-Thuente line search (More & Thuente, "Line search
 * algorithms with guaranteed sufficient decrease", ACM TOMS 20(3), 1994) that
 * it uses.
 *
 *   minimize f(x), x in R^n;  x_{k+1} = x_k + stp_k d_k,  d_k = -H_k g_k
 *
 * Without bounds, L-BFGS-B's generalized Cauchy point and subspace
 * minimization reduce to d = -B^{-1} g with the compact L-BFGS matrix, which
 * equals the classic two-loop recursion (Nocedal & Wright, Algorithm 7.4) with
 * H_0 = (s'y / y'y) I for the newest pair; we use the two-loop form (O(mn)
 * per iteration, no m x m factorizations). Everything that decides the path
 * mirrors the Fortran: the first step length 1/||d||, the search constants,
 * the curvature skip rule, the memory reset after a failed search, and the
 * order of the stopping tests, so that scikit-learn's n_iter_ and its
 * stopping point at a loose tol are reproduced, not just the optimum.
 *
 * Cost: one objective call per line-search trial plus O(m n) per iteration.
 * Thread-safety: reentrant; no global state.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "linear/lbfgs.h"

/* L-BFGS-B's fixed search constants (lnsrlb) and its "big" step bound. */
#define LB_FTOL   1e-3
#define LB_GTOL   0.9
#define LB_XTOL   0.1
#define LB_STPMAX 1e10

cml_lbfgs_opts cml_lbfgs_opts_default(void)
{
    cml_lbfgs_opts o;
    o.m = 10;
    o.max_iter = 15000;
    o.max_fun = 15000;
    o.max_ls = 20;
    o.gtol = 1e-5;
    o.ftol = 1e7 * DBL_EPSILON;
    return o;
}

/* ---------------------------------------------------------------- More-Thuente */

void cml_mt_init(cml_mt_state *s, double ftol, double gtol, double xtol, double stpmin,
                 double stpmax)
{
    memset(s, 0, sizeof *s);
    s->ftol = ftol;
    s->gtol = gtol;
    s->xtol = xtol;
    s->stpmin = stpmin;
    s->stpmax = stpmax;
}

/* Safeguarded cubic/quadratic step (dcstep): updates the interval
 * [stx, sty] known to contain a step satisfying both conditions and returns
 * the next trial step in *stp. The four cases are those of More & Thuente
 * section 4. */
static void mt_cstep(double *stx, double *fx, double *dx, double *sty, double *fy, double *dy,
                     double *stp, double fp, double dp, int *brackt, double stpmin, double stpmax)
{
    double sgnd = dp * (*dx / fabs(*dx));
    double stpf, stpc, stpq, theta, s, gamma, p, q, r;

    if (fp > *fx) {
        /* Case 1: higher value, minimum bracketed. Cubic if closer to stx,
         * else the mean of cubic and quadratic steps. */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = fmax(fabs(theta), fmax(fabs(*dx), fabs(dp)));
        gamma = s * sqrt((theta / s) * (theta / s) - (*dx / s) * (dp / s));
        if (*stp < *stx) gamma = -gamma;
        p = (gamma - *dx) + theta;
        q = ((gamma - *dx) + gamma) + dp;
        r = p / q;
        stpc = *stx + r * (*stp - *stx);
        stpq = *stx + ((*dx / ((*fx - fp) / (*stp - *stx) + *dx)) / 2.0) * (*stp - *stx);
        stpf = fabs(stpc - *stx) < fabs(stpq - *stx) ? stpc : stpc + (stpq - stpc) / 2.0;
        *brackt = 1;
    } else if (sgnd < 0.0) {
        /* Case 2: lower value, derivatives of opposite sign: bracketed.
         * Cubic if farther from stp than the secant step. */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = fmax(fabs(theta), fmax(fabs(*dx), fabs(dp)));
        gamma = s * sqrt((theta / s) * (theta / s) - (*dx / s) * (dp / s));
        if (*stp > *stx) gamma = -gamma;
        p = (gamma - dp) + theta;
        q = ((gamma - dp) + gamma) + *dx;
        r = p / q;
        stpc = *stp + r * (*stx - *stp);
        stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        stpf = fabs(stpc - *stp) > fabs(stpq - *stp) ? stpc : stpq;
        *brackt = 1;
    } else if (fabs(dp) < fabs(*dx)) {
        /* Case 3: lower value, same sign, derivative magnitude decreases.
         * The cubic step is used only if the cubic tends to infinity in the
         * step's direction or its minimum lies beyond stp. */
        theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        s = fmax(fabs(theta), fmax(fabs(*dx), fabs(dp)));
        gamma = s * sqrt(fmax(0.0, (theta / s) * (theta / s) - (*dx / s) * (dp / s)));
        if (*stp > *stx) gamma = -gamma;
        p = (gamma - dp) + theta;
        q = (gamma + (*dx - dp)) + gamma;
        r = p / q;
        if (r < 0.0 && gamma != 0.0)
            stpc = *stp + r * (*stx - *stp);
        else if (*stp > *stx)
            stpc = stpmax;
        else
            stpc = stpmin;
        stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        if (*brackt) {
            stpf = fabs(stpc - *stp) < fabs(stpq - *stp) ? stpc : stpq;
            if (*stp > *stx)
                stpf = fmin(*stp + 0.66 * (*sty - *stp), stpf);
            else
                stpf = fmax(*stp + 0.66 * (*sty - *stp), stpf);
        } else {
            stpf = fabs(stpc - *stp) > fabs(stpq - *stp) ? stpc : stpq;
            stpf = fmin(stpmax, stpf);
            stpf = fmax(stpmin, stpf);
        }
    } else {
        /* Case 4: lower value, same sign, derivative does not decrease:
         * cubic step inside the bracket, else a bound. */
        if (*brackt) {
            theta = 3.0 * (fp - *fy) / (*sty - *stp) + *dy + dp;
            s = fmax(fabs(theta), fmax(fabs(*dy), fabs(dp)));
            gamma = s * sqrt((theta / s) * (theta / s) - (*dy / s) * (dp / s));
            if (*stp > *sty) gamma = -gamma;
            p = (gamma - dp) + theta;
            q = ((gamma - dp) + gamma) + *dy;
            r = p / q;
            stpf = *stp + r * (*sty - *stp);
        } else {
            stpf = *stp > *stx ? stpmax : stpmin;
        }
    }

    /* Update the interval that contains a minimizer. */
    if (fp > *fx) {
        *sty = *stp;
        *fy = fp;
        *dy = dp;
    } else {
        if (sgnd < 0.0) {
            *sty = *stx;
            *fy = *fx;
            *dy = *dx;
        }
        *stx = *stp;
        *fx = fp;
        *dx = dp;
    }
    *stp = stpf;
}

cml_mt_task cml_mt_step(cml_mt_state *s, double *stp, double f, double g)
{
    if (!s->started) {
        if (*stp < s->stpmin || *stp > s->stpmax || g >= 0.0 || s->ftol < 0 || s->gtol < 0 ||
            s->xtol < 0 || s->stpmin < 0 || s->stpmax < s->stpmin)
            return CML_MT_ERROR;
        s->started = 1;
        s->brackt = 0;
        s->stage = 1;
        s->finit = f;
        s->ginit = g;
        s->gtest = s->ftol * g;
        s->width = s->stpmax - s->stpmin;
        s->width1 = s->width / 0.5;
        s->stx = 0.0;
        s->fx = f;
        s->gx = g;
        s->sty = 0.0;
        s->fy = f;
        s->gy = g;
        s->stmin = 0.0;
        s->stmax = *stp + 4.0 * *stp;
        return CML_MT_EVAL;
    }

    /* Second stage once psi(stp) <= 0 and f'(stp) >= 0 (psi is f minus the
     * sufficient-decrease line). */
    double ftest = s->finit + *stp * s->gtest;
    if (s->stage == 1 && f <= ftest && g >= 0.0) s->stage = 2;

    /* Same test order as dcsrch: convergence overrides the warnings. */
    cml_mt_task task = CML_MT_EVAL;
    if (s->brackt && (*stp <= s->stmin || *stp >= s->stmax)) task = CML_MT_WARN;
    if (s->brackt && s->stmax - s->stmin <= s->xtol * s->stmax) task = CML_MT_WARN;
    if (*stp == s->stpmax && f <= ftest && g <= s->gtest) task = CML_MT_WARN;
    if (*stp == s->stpmin && (f > ftest || g >= s->gtest)) task = CML_MT_WARN;
    if (f <= ftest && fabs(g) <= s->gtol * (-s->ginit)) task = CML_MT_CONV;
    if (task != CML_MT_EVAL) return task;

    if (s->stage == 1 && f <= s->fx && f > ftest) {
        /* First stage with a lower but insufficient value: step on the
         * modified function psi, which keeps the interval well defined. */
        double fm = f - *stp * s->gtest, fxm = s->fx - s->stx * s->gtest;
        double fym = s->fy - s->sty * s->gtest, gm = g - s->gtest;
        double gxm = s->gx - s->gtest, gym = s->gy - s->gtest;
        mt_cstep(&s->stx, &fxm, &gxm, &s->sty, &fym, &gym, stp, fm, gm, &s->brackt, s->stmin,
                 s->stmax);
        s->fx = fxm + s->stx * s->gtest;
        s->fy = fym + s->sty * s->gtest;
        s->gx = gxm + s->gtest;
        s->gy = gym + s->gtest;
    } else {
        mt_cstep(&s->stx, &s->fx, &s->gx, &s->sty, &s->fy, &s->gy, stp, f, g, &s->brackt, s->stmin,
                 s->stmax);
    }

    /* Bisect when the bracket does not shrink fast enough. */
    if (s->brackt) {
        if (fabs(s->sty - s->stx) >= 0.66 * s->width1) *stp = s->stx + 0.5 * (s->sty - s->stx);
        s->width1 = s->width;
        s->width = fabs(s->sty - s->stx);
    }
    if (s->brackt) {
        s->stmin = fmin(s->stx, s->sty);
        s->stmax = fmax(s->stx, s->sty);
    } else {
        s->stmin = *stp + 1.1 * (*stp - s->stx);
        s->stmax = *stp + 4.0 * (*stp - s->stx);
    }
    *stp = fmax(*stp, s->stpmin);
    *stp = fmin(*stp, s->stpmax);
    /* No further progress possible: fall back to the best step so far. */
    if ((s->brackt && (*stp <= s->stmin || *stp >= s->stmax)) ||
        (s->brackt && s->stmax - s->stmin <= s->xtol * s->stmax))
        *stp = s->stx;
    return CML_MT_EVAL;
}

/* ---------------------------------------------------------------- L-BFGS */

static double max_abs(int64_t n, const double *v)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(v[i]));
    return m;
}

typedef struct lbfgs_mem {
    int m, col, head; /* capacity, pairs stored, index of the oldest pair */
    double *S, *Y;    /* (m, n) pairs s = x_{k+1} - x_k, y = g_{k+1} - g_k */
    double *rho;      /* (m) 1 / s'y */
    double *alpha;    /* (m) two-loop scratch */
    double gamma;     /* H_0 = gamma I, gamma = s'y / y'y of the newest pair */
} lbfgs_mem;

/* d = -H g by the two-loop recursion over the stored pairs. */
static void lbfgs_direction(const lbfgs_mem *mem, int64_t n, const double *g, double *d)
{
    const int n_ = (int)n;
    for (int64_t i = 0; i < n; i++)
        d[i] = -g[i];
    if (mem->col == 0) return;
    for (int k = mem->col - 1; k >= 0; k--) {
        int j = (mem->head + k) % mem->m;
        const double *s = mem->S + (int64_t)j * n, *y = mem->Y + (int64_t)j * n;
        mem->alpha[j] = mem->rho[j] * cblas_ddot(n_, s, 1, d, 1);
        cblas_daxpy(n_, -mem->alpha[j], y, 1, d, 1);
    }
    cblas_dscal(n_, mem->gamma, d, 1);
    for (int k = 0; k < mem->col; k++) {
        int j = (mem->head + k) % mem->m;
        const double *s = mem->S + (int64_t)j * n, *y = mem->Y + (int64_t)j * n;
        double beta = mem->rho[j] * cblas_ddot(n_, y, 1, d, 1);
        cblas_daxpy(n_, mem->alpha[j] - beta, s, 1, d, 1);
    }
}

/* Appends a pair, dropping the oldest when full. */
static void lbfgs_push(lbfgs_mem *mem, int64_t n, const double *s, const double *y, double sy,
                       double yy)
{
    int j;
    if (mem->col < mem->m) {
        j = (mem->head + mem->col) % mem->m;
        mem->col++;
    } else {
        j = mem->head;
        mem->head = (mem->head + 1) % mem->m;
    }
    memcpy(mem->S + (int64_t)j * n, s, (size_t)n * sizeof(double));
    memcpy(mem->Y + (int64_t)j * n, y, (size_t)n * sizeof(double));
    mem->rho[j] = 1.0 / sy;
    mem->gamma = sy / yy;
}

cml_status cml_lbfgs_minimize(int64_t n, double *x, cml_lbfgs_fn fn, void *user,
                              const cml_lbfgs_opts *opts, cml_lbfgs_result *res)
{
    cml_lbfgs_opts o = opts ? *opts : cml_lbfgs_opts_default();
    if (n <= 0 || n > INT32_MAX || o.m < 1)
        return cml_fail(CML_ERR_ARG, "lbfgs: bad problem size n=%lld, m=%d", (long long)n, o.m);
    cml_status st = CML_OK;
    lbfgs_mem mem = {0};
    mem.m = o.m;
    /* g, d, t (x at the start of the search), r (its gradient, then y) */
    double *work = cml_alloc_array(4 * n, sizeof(double));
    mem.S = cml_alloc_array((int64_t)o.m * n, sizeof(double));
    mem.Y = cml_alloc_array((int64_t)o.m * n, sizeof(double));
    mem.rho = cml_alloc_array(o.m, sizeof(double));
    mem.alpha = cml_alloc_array(o.m, sizeof(double));
    if (!work || !mem.S || !mem.Y || !mem.rho || !mem.alpha) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    double *g = work, *d = work + n, *t = work + 2 * n, *r = work + 3 * n;
    const int n_ = (int)n;
    double f;
    memset(res, 0, sizeof *res);

    CML_TRY(fn(x, &f, g, user));
    res->n_fev = 1;
    double gnorm = max_abs(n, g);
    if (gnorm <= o.gtol) {
        res->stop = CML_LBFGS_GTOL;
        goto done;
    }

    int iter = 0; /* Fortran's iter: decides the first step length */
    for (;;) {
        lbfgs_direction(&mem, n, g, d);
        double dnorm = sqrt(cblas_ddot(n_, d, 1, d, 1));
        double stp = iter == 0 ? fmin(1.0 / dnorm, LB_STPMAX) : 1.0;
        memcpy(t, x, (size_t)n * sizeof(double));
        memcpy(r, g, (size_t)n * sizeof(double));
        double fold = f;
        double gdold = cblas_ddot(n_, g, 1, d, 1), gd = gdold;
        int ok = gdold < 0.0; /* not a descent direction: the search is impossible */
        if (ok) {
            cml_mt_state ls;
            cml_mt_init(&ls, LB_FTOL, LB_GTOL, LB_XTOL, 0.0, LB_STPMAX);
            cml_mt_task task = cml_mt_step(&ls, &stp, f, gdold);
            int ifun = 0;
            while (task == CML_MT_EVAL) {
                if (ifun >= o.max_ls) break;
                if (stp == 1.0)
                    for (int64_t i = 0; i < n; i++)
                        x[i] = t[i] + d[i];
                else
                    for (int64_t i = 0; i < n; i++)
                        x[i] = stp * d[i] + t[i];
                CML_TRY(fn(x, &f, g, user));
                res->n_fev++;
                ifun++;
                gd = cblas_ddot(n_, g, 1, d, 1);
                task = cml_mt_step(&ls, &stp, f, gd);
            }
            ok = task == CML_MT_CONV || task == CML_MT_WARN;
        }
        if (!ok) {
            /* Restore the previous iterate; with an empty memory this is the
             * end (scipy's ABNORMAL_TERMINATION_IN_LNSRCH), else the memory
             * is dropped and the iteration restarts along -g. */
            memcpy(x, t, (size_t)n * sizeof(double));
            memcpy(g, r, (size_t)n * sizeof(double));
            f = fold;
            if (mem.col == 0) {
                res->stop = CML_LBFGS_ABNORMAL;
                goto done;
            }
            mem.col = 0;
            mem.head = 0;
            continue;
        }

        iter++;
        res->n_iter++;
        cml_report_metric("objective", res->n_iter, f); /* tracking / loss curves */
        gnorm = max_abs(n, g);
        /* scipy checks its limits before the convergence tests. */
        if (res->n_iter >= o.max_iter) {
            res->stop = CML_LBFGS_MAX_ITER;
            goto done;
        }
        if (res->n_fev > o.max_fun) {
            res->stop = CML_LBFGS_MAX_FUN;
            goto done;
        }
        if (gnorm <= o.gtol) {
            res->stop = CML_LBFGS_GTOL;
            goto done;
        }
        if (fold - f <= o.ftol * fmax(fmax(fabs(fold), fabs(f)), 1.0)) {
            res->stop = CML_LBFGS_FTOL;
            goto done;
        }

        /* New pair s = stp d, y = g - g_old; skipped when the curvature s'y
         * is not safely positive (L-BFGS-B's rule, relative to -g's). */
        for (int64_t i = 0; i < n; i++)
            r[i] = g[i] - r[i];
        double yy = cblas_ddot(n_, r, 1, r, 1), sy, ref;
        if (stp == 1.0) {
            sy = gd - gdold;
            ref = -gdold;
        } else {
            sy = (gd - gdold) * stp;
            cblas_dscal(n_, stp, d, 1);
            ref = -gdold * stp;
        }
        if (sy > DBL_EPSILON * ref) lbfgs_push(&mem, n, d, r, sy, yy);
    }
done:
    res->f = f;
    res->gnorm = max_abs(n, g);
fail:
    free(work);
    free(mem.S);
    free(mem.Y);
    free(mem.rho);
    free(mem.alpha);
    return st;
}
