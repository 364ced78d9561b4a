/*
 * l1r_svc.c — L1-regularized L2-loss linear SVC in the primal, as
 * liblinear 2.x's solve_l1r_l2_svc (scikit-learn's LinearSVC with
 * penalty="l1", dual=False):
 *     min_w |w|_1 + sum_i C_i max(0, 1 - y_i w.x_i)^2,
 * with liblinear's bias feature (value `bias`, its weight L1-regularized
 * like the others, as sklearn's intercept_scaling).
 *
 * Method: coordinate descent over features (Yuan, Chang, Hsieh & Lin, "A
 * comparison of optimization methods and software for large-scale
 * L1-regularized linear classification", JMLR 11, 2010, sec. 4.1.2 and
 * appendix F): for feature j the one-variable Newton direction of the
 * loss's quadratic model plus |w_j| (soft-thresholding), then a backtracking
 * line search with sufficient decrease sigma = 0.01 that first tries liblinear's
 * cheap upper bound (appxcond) and only then evaluates the loss on the rows
 * of column j; b_i = 1 - y_i w.x_i is kept up to date. Features whose
 * minimum-norm subgradient is safely zero at w_j = 0 are shrunk out of the
 * active set, and the stop is the 1-norm of the subgradient falling to eps
 * times its first-epoch value, confirmed on all features. The coordinate
 * order is a random permutation per epoch (cml_rng; liblinear uses rand()),
 * so results agree with liblinear's to the tolerance, not bit for bit.
 *
 * Complexity: O(nnz) per epoch plus the column copy (CSC of y_i x_ij, built
 * once per problem). Thread-safety: one call per problem.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "svm/dcd.h"

/* Column-major copy of the problem's rows with y folded in: column j holds
 * (t, y_t x_{rows[t], j}) for the non-zero entries, t ascending. */
typedef struct csc {
    int64_t *ptr; /* (n + 1) */
    int64_t *row; /* (nnz) position t in 0..l-1 */
    double *val;  /* (nnz) y_t x_tj */
} csc;

static void csc_free(csc *c)
{
    free(c->ptr);
    free(c->row);
    free(c->val);
}

static cml_status build_csc(const dcd_problem *P, const signed char *y, csc *c)
{
    const dcd_data *D = P->D;
    int64_t l = P->l, n = dcd_w_size(D), d = D->d;
    memset(c, 0, sizeof *c);
    c->ptr = cml_calloc((size_t)n + 1, sizeof *c->ptr);
    if (!c->ptr) return CML_ERR_NOMEM;
    /* pass 1: counts per column */
    for (int64_t t = 0; t < l; t++) {
        int64_t i = P->rows[t];
        if (D->S) {
            for (int64_t k = D->S->indptr[i]; k < D->S->indptr[i + 1]; k++)
                c->ptr[D->S->indices[k] + 1] += D->S->data[k] != 0.0;
        } else {
            const double *x = cml_matrix_row(D->X, i);
            for (int64_t j = 0; j < d; j++)
                c->ptr[j + 1] += x[j] != 0.0;
        }
        if (D->bias > 0) c->ptr[d + 1]++;
    }
    for (int64_t j = 0; j < n; j++)
        c->ptr[j + 1] += c->ptr[j];
    int64_t nnz = c->ptr[n];
    int64_t *pos = cml_alloc_array(n, sizeof *pos);
    c->row = cml_alloc_array(nnz ? nnz : 1, sizeof *c->row);
    c->val = cml_alloc_array(nnz ? nnz : 1, sizeof *c->val);
    if (!pos || !c->row || !c->val) {
        free(pos);
        csc_free(c);
        return CML_ERR_NOMEM;
    }
    memcpy(pos, c->ptr, (size_t)n * sizeof *pos);
    /* pass 2: fill, rows in order so each column is ascending in t */
    for (int64_t t = 0; t < l; t++) {
        int64_t i = P->rows[t];
        if (D->S) {
            for (int64_t k = D->S->indptr[i]; k < D->S->indptr[i + 1]; k++) {
                if (D->S->data[k] == 0.0) continue;
                int64_t q = pos[D->S->indices[k]]++;
                c->row[q] = t;
                c->val[q] = y[t] * D->S->data[k];
            }
        } else {
            const double *x = cml_matrix_row(D->X, i);
            for (int64_t j = 0; j < d; j++) {
                if (x[j] == 0.0) continue;
                int64_t q = pos[j]++;
                c->row[q] = t;
                c->val[q] = y[t] * x[j];
            }
        }
        if (D->bias > 0) {
            int64_t q = pos[d]++;
            c->row[q] = t;
            c->val[q] = y[t] * D->bias;
        }
    }
    free(pos);
    return CML_OK;
}

/* The loss's gradient and (half) curvature along feature j at b:
 *   G = -sum_{t: b_t > 0} C_t a_tj b_t,  H = sum_{t: b_t > 0} C_t a_tj^2,
 * written branch-free (the sign of b_t is unpredictable) and with C_t
 * factored out when it is one value c (Cv == NULL). */
static void grad_hess(const csc *A, int64_t j, const double *b, const double *Cv, double c,
                      double *G, double *H)
{
    double g = 0.0, h = 0.0;
    const int64_t *row = A->row;
    const double *val = A->val;
    if (!Cv) {
        for (int64_t q = A->ptr[j]; q < A->ptr[j + 1]; q++) {
            double bt = b[row[q]], on = bt > 0 ? 1.0 : 0.0;
            g -= val[q] * bt * on;
            h += val[q] * val[q] * on;
        }
        *G = c * g;
        *H = c * h;
        return;
    }
    for (int64_t q = A->ptr[j]; q < A->ptr[j + 1]; q++) {
        int64_t t = row[q];
        double bt = b[t], v = bt > 0 ? Cv[t] * val[q] : 0.0;
        g -= v * bt;
        h += v * val[q];
    }
    *G = g;
    *H = h;
}

/* Moves b by d_diff along feature j (b_t += d_diff a_tj) and returns the
 * new loss on the rows of column j, sum C_t max(b_t, 0)^2; with old, also
 * the loss before the move into *old. Branch-free as grad_hess. */
static double move_loss(const csc *A, int64_t j, double *b, const double *Cv, double c,
                        double d_diff, double *old)
{
    double lo = 0.0, ln = 0.0;
    const int64_t *row = A->row;
    const double *val = A->val;
    for (int64_t q = A->ptr[j]; q < A->ptr[j + 1]; q++) {
        int64_t t = row[q];
        double ct = Cv ? Cv[t] : 1.0, bo = b[t], bn = bo + d_diff * val[q];
        b[t] = bn;
        bo = bo > 0 ? bo : 0.0;
        bn = bn > 0 ? bn : 0.0;
        lo += ct * bo * bo;
        ln += ct * bn * bn;
    }
    if (old) *old = Cv ? lo : c * lo;
    return Cv ? ln : c * ln;
}

cml_status l1r_l2_svc(const dcd_problem *P, const signed char *y, double *w, int *n_iter)
{
    const int64_t l = P->l, n = dcd_w_size(P->D);
    const double *C = P->C, sigma = 0.01;
    const int max_num_linesearch = 20;
    csc A;
    CML_CHECK(build_csc(P, y, &A));
    int64_t *index = cml_alloc_array(n, sizeof *index);
    double *b = cml_alloc_array(l, sizeof *b);
    double *xj_sq = cml_calloc((size_t)n, sizeof *xj_sq);
    if (!index || !b || !xj_sq) {
        csc_free(&A);
        free(index);
        free(b);
        free(xj_sq);
        return CML_ERR_NOMEM;
    }
    for (int64_t t = 0; t < l; t++)
        b[t] = 1.0;
    for (int64_t j = 0; j < n; j++) {
        index[j] = j;
        w[j] = 0.0;
        for (int64_t q = A.ptr[j]; q < A.ptr[j + 1]; q++)
            xj_sq[j] += C[A.row[q]] * A.val[q] * A.val[q];
    }

    /* one C for every row (no class or sample weights): factored out of
     * the inner loops, cuni = 0 otherwise */
    double cuni = C[0];
    for (int64_t t = 1; t < l && cuni > 0; t++)
        if (C[t] != cuni) cuni = 0.0;

    int iter = 0;
    int64_t active_size = n;
    double Gmax_old = INFINITY, Gnorm1_init = -1.0;
    while (iter < P->max_iter) {
        double Gmax_new = 0.0, Gnorm1_new = 0.0;
        for (int64_t j = 0; j < active_size; j++) {
            int64_t i = j + (int64_t)cml_rng_below(P->rng, (uint64_t)(active_size - j));
            int64_t tmp = index[i];
            index[i] = index[j];
            index[j] = tmp;
        }
        for (int64_t s = 0; s < active_size; s++) {
            int64_t j = index[s];
            double G_loss, H;
            grad_hess(&A, j, b, cuni > 0 ? NULL : C, cuni, &G_loss, &H);
            G_loss *= 2;
            double G = G_loss;
            H = fmax(2 * H, 1e-12);
            double Gp = G + 1, Gn = G - 1, violation = 0.0;
            if (w[j] == 0) {
                if (Gp < 0)
                    violation = -Gp;
                else if (Gn > 0)
                    violation = Gn;
                else if (Gp > Gmax_old / (double)l && Gn < -Gmax_old / (double)l) {
                    /* safely zero: shrink j out of the active set */
                    active_size--;
                    index[s] = index[active_size];
                    index[active_size] = j;
                    s--;
                    continue;
                }
            } else if (w[j] > 0) {
                violation = fabs(Gp);
            } else {
                violation = fabs(Gn);
            }
            Gmax_new = fmax(Gmax_new, violation);
            Gnorm1_new += violation;

            /* Newton direction of the quadratic model + |w_j| (soft threshold) */
            double d;
            if (Gp < H * w[j])
                d = -Gp / H;
            else if (Gn > H * w[j])
                d = -Gn / H;
            else
                d = -w[j];
            if (fabs(d) < 1.0e-12) continue;

            double delta = fabs(w[j] + d) - fabs(w[j]) + G * d;
            double d_old = 0.0, loss_old = 0.0, loss_new;
            int num_linesearch;
            for (num_linesearch = 0; num_linesearch < max_num_linesearch; num_linesearch++) {
                double d_diff = d_old - d;
                double cond = fabs(w[j] + d) - fabs(w[j]) - sigma * delta;
                /* upper bound of the loss change: accept without touching the rows */
                double appxcond = xj_sq[j] * d * d + G_loss * d + cond;
                if (appxcond <= 0) {
                    for (int64_t q = A.ptr[j]; q < A.ptr[j + 1]; q++)
                        b[A.row[q]] += d_diff * A.val[q];
                    break;
                }
                loss_new = move_loss(&A, j, b, cuni > 0 ? NULL : C, cuni, d_diff,
                                     num_linesearch == 0 ? &loss_old : NULL);
                cond = cond + loss_new - loss_old;
                if (cond <= 0) break;
                d_old = d;
                d *= 0.5;
                delta *= 0.5;
            }
            w[j] += d;
            if (num_linesearch >= max_num_linesearch) {
                /* the line search failed: b has drifted; recompute it exactly */
                for (int64_t t = 0; t < l; t++)
                    b[t] = 1.0;
                for (int64_t k = 0; k < n; k++) {
                    if (w[k] == 0) continue;
                    for (int64_t q = A.ptr[k]; q < A.ptr[k + 1]; q++)
                        b[A.row[q]] -= w[k] * A.val[q];
                }
            }
        }
        if (iter == 0) Gnorm1_init = Gnorm1_new;
        iter++;
        if (Gnorm1_new <= P->eps * Gnorm1_init) {
            if (active_size == n) break;
            active_size = n; /* confirm on every feature before stopping */
            Gmax_old = INFINITY;
            continue;
        }
        Gmax_old = Gmax_new;
    }
    *n_iter = iter;
    csc_free(&A);
    free(index);
    free(b);
    free(xj_sq);
    return CML_OK;
}
