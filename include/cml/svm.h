/*
 * cml/svm.h — support vector machines: SVC, SVR and OneClassSVM (libsvm's
 * SMO solver, kernels linear/poly/rbf/sigmoid) and LinearSVC / LinearSVR
 * (liblinear's dual coordinate descent), with scikit-learn 1.2's parameter
 * names, defaults and fitted attributes.
 *
 * Parity: on the same data, SVC/SVR/OneClassSVM follow libsvm's iterates
 * (same working-set selection, shrinking, float kernel cache), so support
 * vectors, dual coefficients and decision values agree with scikit-learn's
 * to solver precision. LinearSVC/LinearSVR reach the same optimum as
 * liblinear (the random order of coordinates differs, so agreement is
 * within the tolerance `tol`).
 *
 * Ownership: fit allocates the model; free it with the matching _free
 * (NULL is a no-op). Getters return pointers into the model, valid until
 * it is freed. Fitted models are immutable: predict-side calls may run
 * concurrently on one model. All matrices are row-major.
 */
#ifndef CML_SVM_H
#define CML_SVM_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel choice (libsvm numbering); parameter strings "linear", "poly",
 * "rbf", "sigmoid". */
typedef enum cml_svm_kernel {
    CML_SVM_KERNEL_LINEAR = 0,
    CML_SVM_KERNEL_POLY,
    CML_SVM_KERNEL_RBF,
    CML_SVM_KERNEL_SIGMOID
} cml_svm_kernel;

/* ================================================================ SVC */

typedef enum cml_svc_shape { CML_SVC_OVR = 0, CML_SVC_OVO } cml_svc_shape;

typedef struct cml_svc_params {
    double C;                            /* > 0, default 1 */
    int kernel;                          /* cml_svm_kernel, default rbf */
    int degree;                          /* poly, default 3 */
    char gamma[CML_PARAM_STRLEN];        /* "scale" (default), "auto" or a number >= 0 */
    double coef0;                        /* poly/sigmoid, default 0 */
    int shrinking;                       /* default 1 */
    int probability;                     /* Platt scaling (5-fold CV), default 0 */
    double tol;                          /* > 0, default 1e-3 */
    double cache_size;                   /* MB, default 200 */
    char class_weight[CML_PARAM_STRLEN]; /* "none", "balanced" or "label:w,label:w" */
    int max_iter;                        /* -1 (default): no limit */
    int decision_function_shape;         /* cml_svc_shape, default ovr */
    int break_ties;                      /* default 0 */
    int random_state;                    /* seeds the probability CV folds */
} cml_svc_params;

typedef struct cml_svc cml_svc;

cml_svc_params cml_svc_params_default(void);
/* NULL when valid, else a message naming the parameter (thread-local). */
const char *cml_svc_params_check(const cml_svc_params *p);
/* Fits C-SVC, one-vs-one over the sorted classes of y. A single class in y,
 * bad params or non-finite input: CML_ERR_ARG. */
cml_status cml_svc_fit(const cml_svc_params *p, const cml_matrix *X, const double *y,
                       cml_svc **out);
/* Same with per-sample weights (NULL: all 1) multiplying C; rows of zero
 * weight are left out, as in libsvm. */
cml_status cml_svc_fit_weighted(const cml_svc_params *p, const cml_matrix *X, const double *y,
                                const double *sample_weight, cml_svc **out);
/* out (rows): class values, by libsvm's one-vs-one vote (ties: the first
 * class), or the argmax of the ovr decision when break_ties is set. */
cml_status cml_svc_predict(const cml_svc *m, const cml_matrix *X, double *out);
/* out (rows, cml_svc_n_decision_cols): binary: one column, > 0 means
 * classes[1]; ovo: one column per pair (i<j, positive means class i);
 * ovr: sklearn's votes + transformed confidences. */
cml_status cml_svc_decision_function(const cml_svc *m, const cml_matrix *X, double *out);
int64_t cml_svc_n_decision_cols(const cml_svc *m);
/* out (rows, n_classes); needs probability=true at fit, else
 * CML_ERR_UNSUPPORTED. */
cml_status cml_svc_predict_proba(const cml_svc *m, const cml_matrix *X, double *out);

int64_t cml_svc_n_classes(const cml_svc *m);
const double *cml_svc_classes(const cml_svc *m); /* (n_classes) ascending */
int64_t cml_svc_n_features_in(const cml_svc *m);
int64_t cml_svc_n_sv(const cml_svc *m);
const int64_t *cml_svc_support(const cml_svc *m);        /* (n_sv) row indices, sklearn support_ */
const double *cml_svc_support_vectors(const cml_svc *m); /* (n_sv, n_features) */
const int64_t *cml_svc_n_support(const cml_svc *m);      /* (n_classes) */
/* (n_classes - 1, n_sv): sklearn's dual_coef_ (libsvm layout; negated for
 * two classes, as sklearn does). */
const double *cml_svc_dual_coef(const cml_svc *m);
/* (n_classes (n_classes - 1) / 2): sklearn's intercept_. */
const double *cml_svc_intercept(const cml_svc *m);
const int *cml_svc_n_iter(const cml_svc *m); /* (n pairs) SMO iterations */
double cml_svc_gamma(const cml_svc *m);      /* the gamma used (sklearn _gamma) */
/* Platt parameters per pair (sklearn probA_ / probB_), NULL without
 * probability. */
const double *cml_svc_prob_a(const cml_svc *m);
const double *cml_svc_prob_b(const cml_svc *m);
void cml_svc_free(cml_svc *m);

/* ================================================================ SVR */

typedef struct cml_svr_params {
    int kernel, degree;
    char gamma[CML_PARAM_STRLEN];
    double coef0, tol, C, epsilon; /* C > 0 (1), epsilon >= 0 (0.1) */
    int shrinking;
    double cache_size;
    int max_iter;
} cml_svr_params;

typedef struct cml_svr cml_svr;

cml_svr_params cml_svr_params_default(void);
const char *cml_svr_params_check(const cml_svr_params *p);
cml_status cml_svr_fit(const cml_svr_params *p, const cml_matrix *X, const double *y,
                       cml_svr **out);
cml_status cml_svr_fit_weighted(const cml_svr_params *p, const cml_matrix *X, const double *y,
                                const double *sample_weight, cml_svr **out);
cml_status cml_svr_predict(const cml_svr *m, const cml_matrix *X, double *out);
int64_t cml_svr_n_features_in(const cml_svr *m);
int64_t cml_svr_n_sv(const cml_svr *m);
const int64_t *cml_svr_support(const cml_svr *m);
const double *cml_svr_support_vectors(const cml_svr *m);
const double *cml_svr_dual_coef(const cml_svr *m); /* (1, n_sv) */
double cml_svr_intercept(const cml_svr *m);
int cml_svr_n_iter(const cml_svr *m);
double cml_svr_gamma(const cml_svr *m);
void cml_svr_free(cml_svr *m);

/* ================================================================ OneClassSVM */

typedef struct cml_one_class_svm_params {
    int kernel, degree;
    char gamma[CML_PARAM_STRLEN];
    double coef0, tol, nu; /* nu in (0, 1], default 0.5 */
    int shrinking;
    double cache_size;
    int max_iter;
} cml_one_class_svm_params;

typedef struct cml_one_class_svm cml_one_class_svm;

cml_one_class_svm_params cml_one_class_svm_params_default(void);
const char *cml_one_class_svm_params_check(const cml_one_class_svm_params *p);
cml_status cml_one_class_svm_fit(const cml_one_class_svm_params *p, const cml_matrix *X,
                                 const double *sample_weight, cml_one_class_svm **out);
/* out (rows): +1 inlier, -1 outlier (decision > 0). */
cml_status cml_one_class_svm_predict(const cml_one_class_svm *m, const cml_matrix *X, double *out);
/* out (rows): sum_s dual_coef_s K(sv_s, x) + intercept (= score - offset). */
cml_status cml_one_class_svm_decision_function(const cml_one_class_svm *m, const cml_matrix *X,
                                               double *out);
cml_status cml_one_class_svm_score_samples(const cml_one_class_svm *m, const cml_matrix *X,
                                           double *out);
int64_t cml_one_class_svm_n_features_in(const cml_one_class_svm *m);
int64_t cml_one_class_svm_n_sv(const cml_one_class_svm *m);
const int64_t *cml_one_class_svm_support(const cml_one_class_svm *m);
const double *cml_one_class_svm_support_vectors(const cml_one_class_svm *m);
const double *cml_one_class_svm_dual_coef(const cml_one_class_svm *m); /* (1, n_sv) */
double cml_one_class_svm_intercept(const cml_one_class_svm *m);
double cml_one_class_svm_offset(const cml_one_class_svm *m); /* sklearn offset_ = -intercept_ */
int cml_one_class_svm_n_iter(const cml_one_class_svm *m);
void cml_one_class_svm_free(cml_one_class_svm *m);

/* ================================================================ LinearSVC */

typedef enum cml_linear_svc_loss { CML_LSVC_SQUARED_HINGE = 0, CML_LSVC_HINGE } cml_linear_svc_loss;

typedef enum cml_linear_svc_penalty { CML_LSVC_L2 = 0, CML_LSVC_L1 } cml_linear_svc_penalty;

typedef struct cml_linear_svc_params {
    int penalty;              /* cml_linear_svc_penalty, default l2; l1 needs dual = 0 */
    int loss;                 /* cml_linear_svc_loss, default squared_hinge */
    int dual;                 /* default 1; 0: primal (l1: primal CD; l2: same model as dual) */
    double tol;               /* default 1e-4 */
    double C;                 /* default 1 */
    int fit_intercept;        /* default 1 */
    double intercept_scaling; /* default 1: the bias feature's value (regularized) */
    char class_weight[CML_PARAM_STRLEN];
    int random_state; /* seeds the coordinate order */
    int max_iter;     /* default 1000 epochs */
} cml_linear_svc_params;

typedef struct cml_linear_svc cml_linear_svc;

cml_linear_svc_params cml_linear_svc_params_default(void);
const char *cml_linear_svc_params_check(const cml_linear_svc_params *p);
cml_status cml_linear_svc_fit(const cml_linear_svc_params *p, const cml_matrix *X, const double *y,
                              cml_linear_svc **out);
cml_status cml_linear_svc_fit_weighted(const cml_linear_svc_params *p, const cml_matrix *X,
                                       const double *y, const double *sample_weight,
                                       cml_linear_svc **out);
/* Sparse input (text features): same model as the dense fit. */
cml_status cml_linear_svc_fit_csr(const cml_linear_svc_params *p, const cml_csr *X, const double *y,
                                  cml_linear_svc **out);
cml_status cml_linear_svc_predict(const cml_linear_svc *m, const cml_matrix *X, double *out);
cml_status cml_linear_svc_predict_csr(const cml_linear_svc *m, const cml_csr *X, double *out);
/* out (rows, 1) for two classes (> 0: classes[1]), else (rows, n_classes). */
cml_status cml_linear_svc_decision_function(const cml_linear_svc *m, const cml_matrix *X,
                                            double *out);
cml_status cml_linear_svc_decision_function_csr(const cml_linear_svc *m, const cml_csr *X,
                                                double *out);
int64_t cml_linear_svc_n_decision_cols(const cml_linear_svc *m);
int64_t cml_linear_svc_n_classes(const cml_linear_svc *m);
const double *cml_linear_svc_classes(const cml_linear_svc *m);
int64_t cml_linear_svc_n_features_in(const cml_linear_svc *m);
const double *cml_linear_svc_coef(const cml_linear_svc *m);      /* (n_decision_cols, n_features) */
const double *cml_linear_svc_intercept(const cml_linear_svc *m); /* (n_decision_cols) */
int cml_linear_svc_n_iter(const cml_linear_svc *m);              /* max over classes */
void cml_linear_svc_free(cml_linear_svc *m);

/* ================================================================ LinearSVR */

typedef enum cml_linear_svr_loss {
    CML_LSVR_EPSILON_INSENSITIVE = 0,
    CML_LSVR_SQUARED_EPSILON_INSENSITIVE
} cml_linear_svr_loss;

typedef struct cml_linear_svr_params {
    double epsilon; /* default 0 */
    double tol;     /* default 1e-4 */
    double C;       /* default 1 */
    int loss;       /* cml_linear_svr_loss */
    int fit_intercept;
    double intercept_scaling;
    int dual; /* true only */
    int random_state;
    int max_iter; /* default 1000 */
} cml_linear_svr_params;

typedef struct cml_linear_svr cml_linear_svr;

cml_linear_svr_params cml_linear_svr_params_default(void);
const char *cml_linear_svr_params_check(const cml_linear_svr_params *p);
cml_status cml_linear_svr_fit(const cml_linear_svr_params *p, const cml_matrix *X, const double *y,
                              cml_linear_svr **out);
cml_status cml_linear_svr_fit_weighted(const cml_linear_svr_params *p, const cml_matrix *X,
                                       const double *y, const double *sample_weight,
                                       cml_linear_svr **out);
cml_status cml_linear_svr_fit_csr(const cml_linear_svr_params *p, const cml_csr *X, const double *y,
                                  cml_linear_svr **out);
cml_status cml_linear_svr_predict(const cml_linear_svr *m, const cml_matrix *X, double *out);
cml_status cml_linear_svr_predict_csr(const cml_linear_svr *m, const cml_csr *X, double *out);
int64_t cml_linear_svr_n_features_in(const cml_linear_svr *m);
const double *cml_linear_svr_coef(const cml_linear_svr *m); /* (n_features) */
double cml_linear_svr_intercept(const cml_linear_svr *m);
int cml_linear_svr_n_iter(const cml_linear_svr *m);
void cml_linear_svr_free(cml_linear_svr *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_SVM_H */
