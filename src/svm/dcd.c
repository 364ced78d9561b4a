/*
 * dcd.c — dual coordinate descent for L2-regularized linear SVMs, as
 * liblinear 2.x implements it (the solvers scikit-learn's LinearSVC and
 * LinearSVR call with dual=True).
 *
 * SVC (Hsieh, Chang, Lin, Keerthi & Sundararajan, "A dual coordinate
 * descent method for large-scale linear SVM", ICML 2008, Algorithm 1):
 *     min_a 1/2 a'Qa + 1/2 sum_i D_ii a_i^2 - e'a,  0 <= a_i <= U_i,
 *     Q_ij = y_i y_j x_i.x_j,  hinge: D = 0, U_i = C_i;
 *     squared hinge: D_ii = 1/(2 C_i), U_i = inf,
 * one coordinate at a time in a random order per epoch, keeping
 * w = sum_i y_i a_i x_i, with shrinking of bounded coordinates whose
 * projected gradient shows they will stay put, and stopping when the spread
 * of projected gradients PGmax - PGmin <= eps (checked once more on all
 * coordinates before stopping).
 * SVR (Ho & Lin, JMLR 13, 2012, Algorithm 4): the same scheme on
 * beta in [-U_i, U_i] with the epsilon-insensitive (or squared) loss,
 * stopping when the 1-norm of the violations falls to eps times its value at
 * the first epoch.
 *
 * The intercept is liblinear's: a constant feature of value `bias` whose
 * weight is regularized like the others (sklearn's intercept_scaling).
 * The optimum is unique in w, so results agree with liblinear's to the
 * tolerance even though the random coordinate order differs (cml_rng).
 *
 * Complexity: O(nnz) per epoch. Thread-safety: one call per problem; the
 * estimators run classes in parallel, each with its own rng stream.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "svm/dcd.h"
#include "svm/kernel.h"

/* ---------------------------------------------------------------- rows */

static inline double row_dot(const dcd_data *D, int64_t i, const double *w)
{
    double s;
    if (D->X) {
        s = svm_dot(cml_matrix_row(D->X, i), w, D->d);
    } else {
        s = 0;
        for (int64_t t = D->S->indptr[i]; t < D->S->indptr[i + 1]; t++)
            s += D->S->data[t] * w[D->S->indices[t]];
    }
    return D->bias > 0 ? s + D->bias * w[D->d] : s;
}

static inline void row_axpy(const dcd_data *D, int64_t i, double a, double *w)
{
    if (D->X) {
        const double *x = cml_matrix_row(D->X, i);
        for (int64_t j = 0; j < D->d; j++)
            w[j] += a * x[j];
    } else {
        for (int64_t t = D->S->indptr[i]; t < D->S->indptr[i + 1]; t++)
            w[D->S->indices[t]] += a * D->S->data[t];
    }
    if (D->bias > 0) w[D->d] += a * D->bias;
}

static double row_nrm2_sq(const dcd_data *D, int64_t i)
{
    double s;
    if (D->X) {
        const double *x = cml_matrix_row(D->X, i);
        s = svm_dot(x, x, D->d);
    } else {
        s = 0;
        for (int64_t t = D->S->indptr[i]; t < D->S->indptr[i + 1]; t++)
            s += D->S->data[t] * D->S->data[t];
    }
    return D->bias > 0 ? s + D->bias * D->bias : s;
}

static void swap_i64(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

/* ---------------------------------------------------------------- SVC */

cml_status dcd_svc(const dcd_problem *P, const signed char *y, int hinge, double *w, int *n_iter)
{
    int64_t l = P->l, active_size = l, iter = 0;
    double *QD = cml_alloc_array(l, sizeof(double));
    double *alpha = cml_alloc_array(l, sizeof(double));
    double *diag = cml_alloc_array(l, sizeof(double));
    double *ub = cml_alloc_array(l, sizeof(double));
    int64_t *index = cml_alloc_array(l, sizeof(int64_t));
    cml_status st = CML_OK;
    if (!QD || !alpha || !diag || !ub || !index) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    /* PG: projected gradient, for shrinking and stopping */
    double PGmax_old = INFINITY, PGmin_old = -INFINITY;
    memset(w, 0, sizeof(double) * (size_t)dcd_w_size(P->D));
    for (int64_t i = 0; i < l; i++) {
        diag[i] = hinge ? 0 : 0.5 / P->C[i];
        ub[i] = hinge ? P->C[i] : INFINITY;
        alpha[i] = 0;
        QD[i] = diag[i] + row_nrm2_sq(P->D, P->rows[i]);
        index[i] = i;
    }
    while (iter < P->max_iter) {
        double PGmax_new = -INFINITY, PGmin_new = INFINITY;
        for (int64_t i = 0; i < active_size; i++)
            swap_i64(&index[i],
                     &index[i + (int64_t)cml_rng_below(P->rng, (uint64_t)(active_size - i))]);
        for (int64_t s = 0; s < active_size; s++) {
            int64_t i = index[s];
            double yi = y[i], C = ub[i];
            double G = yi * row_dot(P->D, P->rows[i], w) - 1 + alpha[i] * diag[i], PG = 0;
            if (alpha[i] == 0) {
                if (G > PGmax_old) {
                    active_size--;
                    swap_i64(&index[s], &index[active_size]);
                    s--;
                    continue;
                } else if (G < 0) {
                    PG = G;
                }
            } else if (alpha[i] == C) {
                if (G < PGmin_old) {
                    active_size--;
                    swap_i64(&index[s], &index[active_size]);
                    s--;
                    continue;
                } else if (G > 0) {
                    PG = G;
                }
            } else {
                PG = G;
            }
            PGmax_new = CML_MAX(PGmax_new, PG);
            PGmin_new = CML_MIN(PGmin_new, PG);
            if (fabs(PG) > 1.0e-12) {
                double alpha_old = alpha[i];
                alpha[i] = CML_MIN(CML_MAX(alpha[i] - G / QD[i], 0.0), C);
                row_axpy(P->D, P->rows[i], (alpha[i] - alpha_old) * yi, w);
            }
        }
        iter++;
        if (PGmax_new - PGmin_new <= P->eps) {
            if (active_size == l) break;
            /* Converged on the shrunk set: check once more on all. */
            active_size = l;
            PGmax_old = INFINITY;
            PGmin_old = -INFINITY;
            continue;
        }
        PGmax_old = PGmax_new;
        PGmin_old = PGmin_new;
        if (PGmax_old <= 0) PGmax_old = INFINITY;
        if (PGmin_old >= 0) PGmin_old = -INFINITY;
    }
    *n_iter = (int)iter;
done:
    free(QD);
    free(alpha);
    free(diag);
    free(ub);
    free(index);
    return st;
}

/* ---------------------------------------------------------------- SVR */

cml_status dcd_svr(const dcd_problem *P, const double *y, int squared, double p, double *w,
                   int *n_iter)
{
    int64_t l = P->l, active_size = l, iter = 0;
    double *beta = cml_alloc_array(l, sizeof(double));
    double *QD = cml_alloc_array(l, sizeof(double));
    int64_t *index = cml_alloc_array(l, sizeof(int64_t));
    cml_status st = CML_OK;
    if (!beta || !QD || !index) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    double Gmax_old = INFINITY, Gnorm1_init = -1.0;
    memset(w, 0, sizeof(double) * (size_t)dcd_w_size(P->D));
    for (int64_t i = 0; i < l; i++) {
        beta[i] = 0;
        QD[i] = row_nrm2_sq(P->D, P->rows[i]);
        index[i] = i;
    }
    while (iter < P->max_iter) {
        double Gmax_new = 0, Gnorm1_new = 0;
        for (int64_t i = 0; i < active_size; i++)
            swap_i64(&index[i],
                     &index[i + (int64_t)cml_rng_below(P->rng, (uint64_t)(active_size - i))]);
        for (int64_t s = 0; s < active_size; s++) {
            int64_t i = index[s];
            double lambda = squared ? 0.5 / P->C[i] : 0, upper = squared ? INFINITY : P->C[i];
            double G = -y[i] + lambda * beta[i] + row_dot(P->D, P->rows[i], w);
            double H = QD[i] + lambda;
            double Gp = G + p, Gn = G - p, violation = 0;
            if (beta[i] == 0) {
                if (Gp < 0)
                    violation = -Gp;
                else if (Gn > 0)
                    violation = Gn;
                else if (Gp > Gmax_old && Gn < -Gmax_old) {
                    active_size--;
                    swap_i64(&index[s], &index[active_size]);
                    s--;
                    continue;
                }
            } else if (beta[i] >= upper) {
                if (Gp > 0)
                    violation = Gp;
                else if (Gp < -Gmax_old) {
                    active_size--;
                    swap_i64(&index[s], &index[active_size]);
                    s--;
                    continue;
                }
            } else if (beta[i] <= -upper) {
                if (Gn < 0)
                    violation = -Gn;
                else if (Gn > Gmax_old) {
                    active_size--;
                    swap_i64(&index[s], &index[active_size]);
                    s--;
                    continue;
                }
            } else if (beta[i] > 0) {
                violation = fabs(Gp);
            } else {
                violation = fabs(Gn);
            }
            Gmax_new = CML_MAX(Gmax_new, violation);
            Gnorm1_new += violation;
            /* Newton direction of the one-variable piecewise quadratic */
            double d;
            if (Gp < H * beta[i])
                d = -Gp / H;
            else if (Gn > H * beta[i])
                d = -Gn / H;
            else
                d = -beta[i];
            if (fabs(d) < 1.0e-12) continue;
            double beta_old = beta[i];
            beta[i] = CML_MIN(CML_MAX(beta[i] + d, -upper), upper);
            d = beta[i] - beta_old;
            if (d != 0) row_axpy(P->D, P->rows[i], d, w);
        }
        if (iter == 0) Gnorm1_init = Gnorm1_new;
        iter++;
        if (Gnorm1_new <= P->eps * Gnorm1_init) {
            if (active_size == l) break;
            active_size = l;
            Gmax_old = INFINITY;
            continue;
        }
        Gmax_old = Gmax_new;
    }
    *n_iter = (int)iter;
done:
    free(beta);
    free(QD);
    free(index);
    return st;
}

/* ---------------------------------------------------------------- decision */

cml_status dcd_decision(const double *coef, const double *intercept, int64_t k, int64_t d,
                        const cml_matrix *X, const cml_csr *S, double *out)
{
    int64_t n = X ? X->rows : S->rows;
    if (X) {
        if (n > 0) cml_matrix_mul_wt(X, coef, k, out); /* row chunks over cml's threads */
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < k; c++)
                out[i * k + c] += intercept[c];
        return CML_OK;
    }
#pragma omp parallel for schedule(static) CML_OMP_THREADS if (n > 4096)
    for (int64_t i = 0; i < n; i++)
        for (int64_t c = 0; c < k; c++) {
            double s = intercept[c];
            for (int64_t t = S->indptr[i]; t < S->indptr[i + 1]; t++)
                s += S->data[t] * coef[c * d + S->indices[t]];
            out[i * k + c] = s;
        }
    return CML_OK;
}
