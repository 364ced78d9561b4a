/*
 * smo.c — the SMO decomposition solver of libsvm (class Solver in svm.cpp,
 * 3.x, as scikit-learn ships it), written out in C.
 *
 * Problem: min_a f(a) = 1/2 a'Qa + p'a  s.t. y'a = delta, 0 <= a_i <= C_i.
 * Each iteration picks the working set {i, j} with libsvm's second-order rule
 * (WSS 3 of Fan, Chen & Lin, "Working set selection using second order
 * information for training SVM", JMLR 6:1889-1918, 2005):
 *     i = argmax { -y_t G_t : t in I_up },
 *     j = argmin { -(b_it)^2 / a_it : t in I_low, -y_t G_t < -y_i G_i },
 * solves the two-variable sub-problem analytically with clipping, and stops
 * when m(a) - M(a) < eps. Shrinking (section 4 of the same paper and libsvm's
 * implementation document, Chang & Lin 2011, section 5.1) drops bounded
 * variables that are unlikely to move, every min(l, 1000) iterations;
 * G_bar = sum over upper-bounded a_j of C_j Q_j lets the full gradient be
 * rebuilt (reconstruct_gradient) before the final check. rho is the mean of
 * y_i G_i over free variables, else the midpoint of the feasible interval.
 *
 * Every branch, tie-break (>=, <=) and constant (TAU = 1e-12) is libsvm's
 * (the working-set scans are rearranged to vectorize but select the same
 * pair), so on the same Q the iterates are libsvm's: on the golden tests the
 * iteration counts are identical and decision values agree with
 * scikit-learn's to ~1e-12.
 *
 * Complexity: O(active_size) per iteration plus two Q rows (cached).
 * Thread-safety: one call owns its Q; calls on different Qs may run in
 * parallel.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "svm/smo.h"

#define TAU 1e-12

enum { LOWER_BOUND = 0, UPPER_BOUND = 1, FREE = 2 };

typedef struct solver {
    int l, active_size, unshrink;
    svm_qmat *Q;
    const double *QD; /* (l) the Q diagonal, permuted by the Q matrix itself */
    double eps;
    signed char *y;     /* (l) */
    double *G;          /* (l) gradient Q a + p */
    double *G_bar;      /* (l) sum of C_j Q_j over upper-bounded j */
    char *status;       /* (l) LOWER_BOUND / UPPER_BOUND / FREE */
    double *alpha;      /* (l) */
    double *p;          /* (l) */
    double *C;          /* (l) */
    int *active_set;    /* (l) original index of each position */
    double *buf, *buf2; /* (l) scratch of the working-set selection */
} solver;

static void update_status(solver *s, int i)
{
    if (s->alpha[i] >= s->C[i])
        s->status[i] = UPPER_BOUND;
    else if (s->alpha[i] <= 0)
        s->status[i] = LOWER_BOUND;
    else
        s->status[i] = FREE;
}

static inline int is_upper(const solver *s, int i)
{
    return s->status[i] == UPPER_BOUND;
}
static inline int is_lower(const solver *s, int i)
{
    return s->status[i] == LOWER_BOUND;
}
static inline int is_free(const solver *s, int i)
{
    return s->status[i] == FREE;
}

#define SWAP(T, a, b)                                                                              \
    do {                                                                                           \
        T t_ = (a);                                                                                \
        (a) = (b);                                                                                 \
        (b) = t_;                                                                                  \
    } while (0)

static void swap_index(solver *s, int i, int j)
{
    svm_qmat_swap(s->Q, i, j);
    SWAP(signed char, s->y[i], s->y[j]);
    SWAP(double, s->G[i], s->G[j]);
    SWAP(char, s->status[i], s->status[j]);
    SWAP(double, s->alpha[i], s->alpha[j]);
    SWAP(double, s->p[i], s->p[j]);
    SWAP(int, s->active_set[i], s->active_set[j]);
    SWAP(double, s->G_bar[i], s->G_bar[j]);
    SWAP(double, s->C[i], s->C[j]);
}

/* Rebuilds G of the shrunk variables from G_bar and the free ones, choosing
 * the cheaper of the two loop orders as libsvm does. */
static cml_status reconstruct_gradient(solver *s)
{
    int l = s->l, as = s->active_size, nr_free = 0;
    if (as == l) return CML_OK;
    for (int j = as; j < l; j++)
        s->G[j] = s->G_bar[j] + s->p[j];
    for (int j = 0; j < as; j++)
        if (is_free(s, j)) nr_free++;
    if ((int64_t)nr_free * l > 2 * (int64_t)as * (l - as)) {
        for (int i = as; i < l; i++) {
            const float *Q_i = svm_qmat_row(s->Q, i, as);
            if (!Q_i) return CML_ERR_NOMEM;
            for (int j = 0; j < as; j++)
                if (is_free(s, j)) s->G[i] += s->alpha[j] * Q_i[j];
        }
    } else {
        for (int i = 0; i < as; i++)
            if (is_free(s, i)) {
                const float *Q_i = svm_qmat_row(s->Q, i, l);
                if (!Q_i) return CML_ERR_NOMEM;
                double alpha_i = s->alpha[i];
                for (int j = as; j < l; j++)
                    s->G[j] += alpha_i * Q_i[j];
            }
    }
    return CML_OK;
}

/* max of v[0..n) (-inf when n = 0): eight running maxima vectorize. */
static double vec_max(const double *v, int n)
{
    double m[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
                   -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int t = 0;
    for (; t + 8 <= n; t += 8)
        for (int u = 0; u < 8; u++)
            m[u] = v[t + u] > m[u] ? v[t + u] : m[u];
    double best = -INFINITY;
    for (int u = 0; u < 8; u++)
        best = m[u] > best ? m[u] : best;
    for (; t < n; t++)
        best = v[t] > best ? v[t] : best;
    return best;
}

/* Index of the last maximum of v[0..n), or -1 if every value is -inf: the
 * element libsvm's ">=" scan keeps. */
static int last_argmax(const double *v, int n, double *vmax)
{
    double best = vec_max(v, n);
    *vmax = best;
    if (best == -INFINITY) return -1;
    int t = n - 1;
    while (v[t] != best)
        t--;
    return t;
}

/* WSS 3. Returns 1 when optimal within eps, 0 with (*out_i, *out_j) set,
 * -1 on allocation failure. libsvm's two scans are rewritten as branch-free
 * passes over scratch vectors, which vectorize; they select the same pair,
 * ties included (the last index wins). status: LOWER_BOUND = 0,
 * UPPER_BOUND = 1, so t is in I_up iff status != [y = +1] and in I_low iff
 * status != [y = -1]. */
static int select_working_set(solver *s, int *out_i, int *out_j)
{
    const signed char *y = s->y;
    const double *G = s->G, *QD = s->QD;
    const char *status = s->status;
    double *v = s->buf, *w = s->buf2;
    int n = s->active_size;

    /* i = argmax { -y_t G_t : t in I_up } (a mask added, not a select of
     * the product: GCC will not speculate a multiply under -ftrapping-math,
     * and this form vectorizes) */
    for (int t = 0; t < n; t++) {
        double mask = status[t] != (y[t] > 0) ? 0.0 : -INFINITY;
        v[t] = mask - y[t] * G[t];
    }
    double Gmax;
    int i = last_argmax(v, n, &Gmax);
    if (i == -1) return 1; /* Gmax = -inf: optimal, as libsvm concludes */
    const float *Q_i = svm_qmat_row(s->Q, i, n);
    if (!Q_i) return -1;

    /* Over I_low: Gmax2 = max y_j G_j, and j = argmin of the objective
     * decrease -(b_ij)^2 / a_ij among b_ij > 0 (negated: last argmax). */
    double yi2 = 2.0 * y[i], QDi = QD[i];
    for (int t = 0; t < n; t++) {
        int low = status[t] != (y[t] < 0);
        double yG = y[t] * G[t], grad_diff = Gmax + yG;
        double quad_coef = QDi + QD[t] - yi2 * y[t] * Q_i[t];
        quad_coef = quad_coef > 0 ? quad_coef : TAU;
        double gain = (grad_diff * grad_diff) / quad_coef;
        v[t] = (low & (grad_diff > 0)) ? gain : -INFINITY;
        w[t] = low ? yG : -INFINITY;
    }
    double Gmax2 = vec_max(w, n), gain_max;
    int j = last_argmax(v, n, &gain_max);
    if (Gmax + Gmax2 < s->eps || j == -1) return 1;
    *out_i = i;
    *out_j = j;
    return 0;
}

static int be_shrunk(const solver *s, int i, double Gmax1, double Gmax2)
{
    if (is_upper(s, i)) return s->y[i] == +1 ? -s->G[i] > Gmax1 : -s->G[i] > Gmax2;
    if (is_lower(s, i)) return s->y[i] == +1 ? s->G[i] > Gmax2 : s->G[i] > Gmax1;
    return 0;
}

static cml_status do_shrinking(solver *s)
{
    double Gmax1 = -INFINITY; /* max { -y_i G_i | i in I_up } */
    double Gmax2 = -INFINITY; /* max {  y_i G_i | i in I_low } */
    for (int i = 0; i < s->active_size; i++) {
        double g = s->G[i];
        if (s->y[i] == +1) {
            if (!is_upper(s, i) && -g >= Gmax1) Gmax1 = -g;
            if (!is_lower(s, i) && g >= Gmax2) Gmax2 = g;
        } else {
            if (!is_upper(s, i) && -g >= Gmax2) Gmax2 = -g;
            if (!is_lower(s, i) && g >= Gmax1) Gmax1 = g;
        }
    }
    /* Close to the end: un-shrink once so the final stretch sees every
     * variable (libsvm's "*" in its progress output). */
    if (!s->unshrink && Gmax1 + Gmax2 <= s->eps * 10) {
        s->unshrink = 1;
        CML_CHECK(reconstruct_gradient(s));
        s->active_size = s->l;
    }
    for (int i = 0; i < s->active_size; i++)
        if (be_shrunk(s, i, Gmax1, Gmax2)) {
            s->active_size--;
            while (s->active_size > i) {
                if (!be_shrunk(s, s->active_size, Gmax1, Gmax2)) {
                    swap_index(s, i, s->active_size);
                    break;
                }
                s->active_size--;
            }
        }
    return CML_OK;
}

static double calculate_rho(const solver *s)
{
    int nr_free = 0;
    double ub = INFINITY, lb = -INFINITY, sum_free = 0;
    for (int i = 0; i < s->active_size; i++) {
        double yG = s->y[i] * s->G[i];
        if (is_upper(s, i)) {
            if (s->y[i] == -1)
                ub = CML_MIN(ub, yG);
            else
                lb = CML_MAX(lb, yG);
        } else if (is_lower(s, i)) {
            if (s->y[i] == +1)
                ub = CML_MIN(ub, yG);
            else
                lb = CML_MAX(lb, yG);
        } else {
            ++nr_free;
            sum_free += yG;
        }
    }
    return nr_free > 0 ? sum_free / nr_free : (ub + lb) / 2;
}

/* The analytic two-variable step with clipping to the box (libsvm verbatim:
 * the order of the clipping tests matters when both bounds are hit). */
static void update_pair(solver *s, int i, int j, const float *Q_i)
{
    double *alpha = s->alpha, C_i = s->C[i], C_j = s->C[j];
    const double *QD = s->QD, *G = s->G;
    if (s->y[i] != s->y[j]) {
        double quad_coef = QD[i] + QD[j] + 2 * Q_i[j];
        if (quad_coef <= 0) quad_coef = TAU;
        double delta = (-G[i] - G[j]) / quad_coef;
        double diff = alpha[i] - alpha[j];
        alpha[i] += delta;
        alpha[j] += delta;
        if (diff > 0) {
            if (alpha[j] < 0) {
                alpha[j] = 0;
                alpha[i] = diff;
            }
        } else {
            if (alpha[i] < 0) {
                alpha[i] = 0;
                alpha[j] = -diff;
            }
        }
        if (diff > C_i - C_j) {
            if (alpha[i] > C_i) {
                alpha[i] = C_i;
                alpha[j] = C_i - diff;
            }
        } else {
            if (alpha[j] > C_j) {
                alpha[j] = C_j;
                alpha[i] = C_j + diff;
            }
        }
    } else {
        double quad_coef = QD[i] + QD[j] - 2 * Q_i[j];
        if (quad_coef <= 0) quad_coef = TAU;
        double delta = (G[i] - G[j]) / quad_coef;
        double sum = alpha[i] + alpha[j];
        alpha[i] -= delta;
        alpha[j] += delta;
        if (sum > C_i) {
            if (alpha[i] > C_i) {
                alpha[i] = C_i;
                alpha[j] = sum - C_i;
            }
        } else {
            if (alpha[j] < 0) {
                alpha[j] = 0;
                alpha[i] = sum;
            }
        }
        if (sum > C_j) {
            if (alpha[j] > C_j) {
                alpha[j] = C_j;
                alpha[i] = sum - C_j;
            }
        } else {
            if (alpha[i] < 0) {
                alpha[i] = 0;
                alpha[j] = sum;
            }
        }
    }
}

/* G_bar += sign * C_k Q_k when variable k enters/leaves the upper bound. */
static cml_status update_G_bar(solver *s, int k, int was_upper)
{
    if (was_upper == is_upper(s, k)) return CML_OK;
    const float *Q_k = svm_qmat_row(s->Q, k, s->l);
    if (!Q_k) return CML_ERR_NOMEM;
    double c = was_upper ? -s->C[k] : s->C[k];
    for (int t = 0; t < s->l; t++)
        s->G_bar[t] += c * Q_k[t];
    return CML_OK;
}

static cml_status solve_loop(solver *s, int shrinking, int max_iter, int *n_iter, int *timed_out)
{
    int l = s->l, iter = 0;
    int counter = CML_MIN(l, 1000) + 1;
    *timed_out = 0;
    for (;;) {
        if (max_iter != -1 && iter >= max_iter) {
            *timed_out = 1;
            break;
        }
        if (--counter == 0) {
            counter = CML_MIN(l, 1000);
            if (shrinking) CML_CHECK(do_shrinking(s));
        }
        int i = 0, j = 0;
        int r = select_working_set(s, &i, &j);
        if (r < 0) return CML_ERR_NOMEM;
        if (r == 1) {
            /* Optimal on the active set: rebuild the whole gradient and
             * check again on all variables. */
            CML_CHECK(reconstruct_gradient(s));
            s->active_size = l;
            r = select_working_set(s, &i, &j);
            if (r < 0) return CML_ERR_NOMEM;
            if (r == 1) break;
            counter = 1; /* shrink at the next iteration */
        }
        ++iter;

        const float *Q_i = svm_qmat_row(s->Q, i, s->active_size);
        if (!Q_i) return CML_ERR_NOMEM;
        const float *Q_j = svm_qmat_row(s->Q, j, s->active_size);
        if (!Q_j) return CML_ERR_NOMEM;
        double old_alpha_i = s->alpha[i], old_alpha_j = s->alpha[j];
        update_pair(s, i, j, Q_i);

        double dai = s->alpha[i] - old_alpha_i, daj = s->alpha[j] - old_alpha_j;
        double *G = s->G;
        for (int k = 0; k < s->active_size; k++)
            G[k] += Q_i[k] * dai + Q_j[k] * daj;

        int ui = is_upper(s, i), uj = is_upper(s, j);
        update_status(s, i);
        update_status(s, j);
        CML_CHECK(update_G_bar(s, i, ui));
        CML_CHECK(update_G_bar(s, j, uj));
    }
    *n_iter = iter;
    return CML_OK;
}

cml_status smo_solve(int l, svm_qmat *Q, const double *p, const signed char *y, double *alpha,
                     const double *C, double eps, int shrinking, int max_iter, smo_result *res)
{
    cml_status st = CML_OK;
    solver s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    s.l = l;
    s.Q = Q;
    s.QD = svm_qmat_diag(Q);
    s.eps = eps;
    s.y = cml_alloc_array(l, 1);
    s.G = cml_alloc_array(l, sizeof(double));
    s.G_bar = cml_alloc_array(l, sizeof(double));
    s.status = cml_alloc_array(l, 1);
    s.alpha = cml_alloc_array(l, sizeof(double));
    s.p = cml_alloc_array(l, sizeof(double));
    s.C = cml_alloc_array(l, sizeof(double));
    s.active_set = cml_alloc_array(l, sizeof(int));
    s.buf = cml_alloc_array(l, sizeof(double));
    s.buf2 = cml_alloc_array(l, sizeof(double));
    if (!s.y || !s.G || !s.G_bar || !s.status || !s.alpha || !s.p || !s.C || !s.active_set ||
        !s.buf || !s.buf2) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    memcpy(s.y, y, (size_t)l);
    memcpy(s.alpha, alpha, sizeof(double) * (size_t)l);
    memcpy(s.p, p, sizeof(double) * (size_t)l);
    memcpy(s.C, C, sizeof(double) * (size_t)l);
    for (int i = 0; i < l; i++) {
        update_status(&s, i);
        s.active_set[i] = i;
        s.G[i] = s.p[i];
        s.G_bar[i] = 0;
    }
    s.active_size = l;
    for (int i = 0; i < l; i++)
        if (!is_lower(&s, i)) {
            const float *Q_i = svm_qmat_row(Q, i, l);
            if (!Q_i) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
            double alpha_i = s.alpha[i];
            for (int j = 0; j < l; j++)
                s.G[j] += alpha_i * Q_i[j];
            if (is_upper(&s, i))
                for (int j = 0; j < l; j++)
                    s.G_bar[j] += s.C[i] * Q_i[j];
        }

    CML_TRY(solve_loop(&s, shrinking, max_iter, &res->n_iter, &res->timed_out));
    /* max_iter may stop with variables still shrunk: their gradient is
     * needed for rho and the objective. */
    CML_TRY(reconstruct_gradient(&s));
    s.active_size = l;
    res->rho = calculate_rho(&s);
    double v = 0;
    for (int i = 0; i < l; i++)
        v += s.alpha[i] * (s.G[i] + s.p[i]);
    res->obj = v / 2;
    for (int i = 0; i < l; i++)
        alpha[s.active_set[i]] = s.alpha[i];
fail:
    free(s.y);
    free(s.G);
    free(s.G_bar);
    free(s.status);
    free(s.alpha);
    free(s.p);
    free(s.C);
    free(s.active_set);
    free(s.buf);
    free(s.buf2);
    if (st == CML_ERR_NOMEM) cml_fail(st, "SVM solver: out of memory (l = %d variables)", l);
    return st;
}
