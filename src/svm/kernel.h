/*
 * kernel.h — SVM kernels, libsvm's LRU cache of kernel rows, and the three
 * Q matrices (C-SVC, one-class, epsilon-SVR) the SMO solver works on.
 *
 * Kernels (libsvm numbering, so saved models and sklearn agree):
 *   linear   K(x,z) = x.z
 *   poly     K(x,z) = (gamma x.z + coef0)^degree
 *   rbf      K(x,z) = exp(-gamma |x - z|^2)
 *   sigmoid  K(x,z) = tanh(gamma x.z + coef0)
 * Q entries are stored as float, exactly as libsvm's Qfloat: the solver then
 * follows the same path as libsvm (and sklearn) on the same data, and the
 * cache holds twice as many rows.
 *
 * Thread-safety: a Q matrix is owned by one solver; its rows are filled by an
 * OpenMP loop (each entry by one thread, so values never depend on the thread
 * count). svm_kernel_block is reentrant.
 */
#ifndef CML_SVM_KERNEL_H
#define CML_SVM_KERNEL_H

#include <stdint.h>

#include "cml/core.h"

typedef enum svm_kernel_type {
    SVM_KERNEL_LINEAR = 0,
    SVM_KERNEL_POLY = 1,
    SVM_KERNEL_RBF = 2,
    SVM_KERNEL_SIGMOID = 3
} svm_kernel_type;

/* The parameter-table choice string matching svm_kernel_type. */
#define SVM_KERNEL_CHOICES "linear|poly|rbf|sigmoid"

typedef struct svm_kparams {
    int type;     /* svm_kernel_type */
    int degree;   /* poly only */
    double gamma; /* resolved value ("scale"/"auto" already applied) */
    double coef0; /* poly, sigmoid */
} svm_kparams;

/* x.y over n doubles with 8 independent partial sums (vectorizes without
 * -ffast-math; the summation order is fixed, so results are reproducible). */
double svm_dot(const double *x, const double *y, int64_t n);

/* K(x, z) given x.z and, for rbf, |x|^2 and |z|^2. */
double svm_kernel_from_dot(const svm_kparams *kp, double dot, double xsq, double zsq);

/* Parses sklearn's gamma parameter: "scale" (1 / (n_features * X.var())),
 * "auto" (1 / n_features) or a number >= 0. X may be NULL only to validate
 * the string. Returns CML_ERR_ARG naming the parameter on a bad value. */
cml_status svm_gamma_resolve(const char *gamma, const cml_matrix *X, double *out);

/* Kernel values between rows r0..r1 of X and the n_sv rows of sv:
 * K[(i - r0) * n_sv + s] = K(x_i, sv_s). sv_sq: squared norms of sv rows
 * (rbf only, else may be NULL). Dot products through one dgemm. */
void svm_kernel_block(const svm_kparams *kp, const cml_matrix *X, int64_t r0, int64_t r1,
                      const double *sv, const double *sv_sq, int64_t n_sv, double *K);

/* ---------------------------------------------------------------- Q matrices */

typedef enum svm_q_kind { SVM_Q_SVC = 0, SVM_Q_ONE_CLASS, SVM_Q_SVR } svm_q_kind;

typedef struct svm_qmat svm_qmat;

/*
 * Kernel blocks shared by the one-vs-one sub-problems of a multi-class SVC:
 * K(a, b) for a, b of the same class, as float, filled lazily one row at a
 * time by whichever pair first needs it and then read by every pair that
 * contains the class (libsvm recomputes them in each of the k-1 pairs).
 * Rows are claimed with an atomic flag, so pairs running in parallel share
 * it without locks; a row being filled by another thread is computed
 * locally instead (same values: results never depend on timing).
 * Rows are indexed by position g in the class-grouped order rows[0..n).
 */
typedef struct svm_kshare svm_kshare;

/* *out = NULL (and CML_OK) when the blocks would exceed max_mb. */
cml_status svm_kshare_new(const cml_matrix *X, const int64_t *rows, const int64_t *start,
                          const int64_t *count, int64_t k, const svm_kparams *kp, double max_mb,
                          svm_kshare **out);
void svm_kshare_free(svm_kshare *s);
/* Megabytes the blocks take. */
double svm_kshare_mb(const svm_kshare *s);

/*
 * Builds the Q matrix of a sub-problem over rows[0..l) of X:
 *   SVC        Q_ij = y_i y_j K(x_i, x_j)          (size l)
 *   ONE_CLASS  Q_ij = K(x_i, x_j)                  (size l)
 *   SVR        Q over 2l variables: sign_i sign_j K(x_{i mod l}, x_{j mod l})
 * y (+1/-1) is used for SVC only. cache_mb sizes the LRU row cache as in
 * libsvm (at least two rows always fit). parallel: fill rows with OpenMP
 * (off when the caller already runs solvers in parallel). share (SVC only,
 * may be NULL) with gidx (l): the class-grouped position of each row, for
 * reading same-class kernel values from the shared blocks. X, rows, share
 * are borrowed until svm_qmat_free.
 */
cml_status svm_qmat_new(svm_q_kind kind, const cml_matrix *X, const int64_t *rows, int l,
                        const signed char *y, const svm_kparams *kp, double cache_mb, int parallel,
                        svm_kshare *share, const int *gidx, svm_qmat **out);
void svm_qmat_free(svm_qmat *q);

/* Row i of Q over the first len (permuted) columns; NULL with CML_ERR_NOMEM
 * set if the cache cannot grow. Valid until the second-next call (libsvm's
 * contract: the solver holds at most two rows at a time). */
const float *svm_qmat_row(svm_qmat *q, int i, int len);
/* The diagonal Q_ii, permuted along with the rows. */
const double *svm_qmat_diag(const svm_qmat *q);
/* Swaps variables i and j (the solver's shrinking permutes them). */
void svm_qmat_swap(svm_qmat *q, int i, int j);

#endif
