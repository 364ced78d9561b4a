/*
 * cml/logreg.h — logistic regression (binary, one-vs-rest and multinomial),
 * f64, with scikit-learn 1.2's LogisticRegression semantics: same parameter
 * names and defaults, same objective, same fitted attributes.
 *
 *   l2:         min  C sum_i s_i loss_i + 1/2 ||W||^2
 *   l1:         min  C sum_i s_i loss_i + ||W||_1
 *   elasticnet: min  C sum_i s_i loss_i + r ||W||_1 + (1 - r)/2 ||W||^2
 *   none:       min  sum_i s_i loss_i
 * with s_i = sample_weight_i x class_weight(y_i), the intercept never
 * penalized, loss the binary log-loss (one coef row) or the softmax
 * cross-entropy over K coef rows (K >= 3 classes, or multi_class =
 * multinomial).
 *
 * Ownership: the fitted model is opaque, copies what it keeps and is freed
 * with cml_logreg_free (NULL is a no-op). Inputs are borrowed for the call.
 * Thread-safety: predict-side calls and getters only read the model.
 * Generic layer: registered as "logistic_regression" (aliases "logreg", "lr");
 * save/load go through cml_model_save / cml_model_load.
 */
#ifndef CML_LOGREG_H
#define CML_LOGREG_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cml_logreg_penalty {
    CML_LOGREG_L2 = 0,
    CML_LOGREG_L1 = 1,
    CML_LOGREG_ELASTICNET = 2,
    CML_LOGREG_NONE = 3
} cml_logreg_penalty;

typedef enum cml_logreg_solver {
    /* L-BFGS reproducing scipy's L-BFGS-B path (l2 / none) */
    CML_LOGREG_LBFGS = 0,
    /* truncated Newton with Hessian-vector products (l2 / none) */
    CML_LOGREG_NEWTON_CG = 1,
    /* proximal Newton + coordinate descent (every penalty; the one for l1 and
     * elasticnet) */
    CML_LOGREG_CD = 2,
    /* accepted for scikit-learn parameter sets: runs CML_LOGREG_CD, which
     * minimizes the same objective as sklearn's saga (cml has no SAGA) */
    CML_LOGREG_SAGA = 3
} cml_logreg_solver;

typedef enum cml_logreg_multi {
    CML_LOGREG_AUTO = 0, /* ovr for 2 classes, multinomial for more */
    CML_LOGREG_OVR = 1,
    CML_LOGREG_MULTINOMIAL = 2
} cml_logreg_multi;

typedef struct cml_logreg_params {
    int penalty;       /* cml_logreg_penalty, default l2 */
    double C;          /* > 0, default 1.0; inverse regularization strength */
    double l1_ratio;   /* [0, 1], default 0.5; used only by elasticnet (sklearn's
                          default is None, which elasticnet rejects) */
    int fit_intercept; /* bool, default 1 */
    /* "none" (default), "balanced" (n / (n_classes * count), per one-vs-rest
     * problem under ovr as sklearn does), or "v:w,v:w" weights by class value
     * ("0:1.5,1:3"; classes not named keep 1). */
    char class_weight[CML_PARAM_STRLEN];
    int max_iter;     /* >= 1, default 100 */
    double tol;       /* >= 0, default 1e-4: max-norm of the (sub)gradient of
                         the objective divided by C */
    int solver;       /* cml_logreg_solver, default lbfgs */
    int multi_class;  /* cml_logreg_multi, default auto */
    int random_state; /* default 0; unused: every solver here is deterministic */
} cml_logreg_params;

typedef struct cml_logreg cml_logreg;

cml_logreg_params cml_logreg_params_default(void);
/* NULL when valid, else a message naming the parameter (thread-local). Also
 * rejects penalty/solver pairs that do not go together. */
const char *cml_logreg_params_check(const cml_logreg_params *p);

/*
 * Fits on X (rows, cols) and class labels y (rows; any finite values, the
 * sorted distinct ones become the classes). sample_weight (rows, finite,
 * >= 0) may be NULL. info (may be NULL) gets the largest n_iter over the
 * sub-problems and whether all converged; not converging is not an error
 * (a CML_LOG_WARN is logged, the model is kept). Errors: CML_ERR_ARG for bad
 * parameters, shapes, NaN/inf, negative weights, fewer than 2 classes or a
 * bad class_weight; CML_ERR_NOMEM. *out is NULL on failure.
 */
cml_status cml_logreg_fit(const cml_logreg_params *p, const cml_matrix *X, const double *y,
                          cml_logreg **out);
cml_status cml_logreg_fit_weighted(const cml_logreg_params *p, const cml_matrix *X, const double *y,
                                   const double *sample_weight, cml_fit_info *info,
                                   cml_logreg **out);

/* out (rows): class values; binary: classes[1] iff decision > 0; else the
 * argmax of the decision values, ties to the first class. */
cml_status cml_logreg_predict(const cml_logreg *m, const cml_matrix *X, double *out);
/* out (rows, n_classes), columns in classes order: binary [1-p, p];
 * multinomial softmax; ovr sigmoids normalized to sum 1 (sklearn). */
cml_status cml_logreg_predict_proba(const cml_logreg *m, const cml_matrix *X, double *out);
/* out (rows, cml_logreg_n_coef_rows): X coef' + intercept. */
cml_status cml_logreg_decision_function(const cml_logreg *m, const cml_matrix *X, double *out);

/* Sparse (CSR) input, e.g. text features: the same model as the dense calls
 * (solvers lbfgs and newton-cg; cd/saga give CML_ERR_UNSUPPORTED). The
 * solvers touch X only through X v and X' a, computed over the stored
 * entries, so a fit costs O(nnz) per product instead of O(n p). */
cml_status cml_logreg_fit_csr(const cml_logreg_params *p, const cml_csr *X, const double *y,
                              const double *sample_weight, cml_fit_info *info, cml_logreg **out);
cml_status cml_logreg_predict_csr(const cml_logreg *m, const cml_csr *X, double *out);
cml_status cml_logreg_predict_proba_csr(const cml_logreg *m, const cml_csr *X, double *out);
cml_status cml_logreg_decision_function_csr(const cml_logreg *m, const cml_csr *X, double *out);

/* coef_ (n_rows, n_features) row-major, owned by the model; n_rows is 1 for
 * two classes, else n_classes. Pointers may be NULL. */
const double *cml_logreg_coef(const cml_logreg *m, int64_t *n_rows, int64_t *n_features);
/* intercept_ (n_rows); zeros without fit_intercept. */
const double *cml_logreg_intercept(const cml_logreg *m);
int64_t cml_logreg_n_coef_rows(const cml_logreg *m);
int64_t cml_logreg_n_features(const cml_logreg *m);
/* classes_ ascending; returns the count. */
int64_t cml_logreg_classes(const cml_logreg *m, const double **classes);
/* n_iter_: one entry per solved problem (n_classes for ovr with more than
 * two classes, else 1); returns the count. */
int64_t cml_logreg_n_iter(const cml_logreg *m, const int **n_iter);
int cml_logreg_converged(const cml_logreg *m);
/* 1 when probabilities are a softmax (multinomial), 0 for sigmoid/ovr. */
int cml_logreg_is_multinomial(const cml_logreg *m);
void cml_logreg_free(cml_logreg *m);

/* The generic-layer estimator (also reachable by name in the registry). */
extern const cml_estimator cml_est_logistic_regression;

#ifdef __cplusplus
}
#endif
#endif /* CML_LOGREG_H */
