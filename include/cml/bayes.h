/*
 * cml/bayes.h — naive Bayes classifiers mirroring scikit-learn 1.2:
 * GaussianNB, MultinomialNB, ComplementNB and BernoulliNB, with fit,
 * incremental partial_fit, predict, predict_proba, predict_log_proba and the
 * joint log-likelihood.
 *
 * Classes are the sorted distinct values of y (for partial_fit: of the
 * `classes` given on the first call); probability columns follow them.
 * Parameters take scikit-learn's names and defaults; priors / class_prior
 * are comma-separated numbers, one per class ("" = learn them).
 *
 * Thread-safety: a fitted model is read-only for the predict functions;
 * partial_fit modifies it and needs exclusive access.
 */
#ifndef CML_BAYES_H
#define CML_BAYES_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Gaussian */

typedef struct cml_gaussian_nb_params {
    char priors[CML_PARAM_STRLEN]; /* "" or "p1,...,pC": non-negative, sum 1 */
    double var_smoothing;          /* 1e-9: adds var_smoothing * max_j var(X_j) to variances */
} cml_gaussian_nb_params;

typedef struct cml_gaussian_nb cml_gaussian_nb;

cml_gaussian_nb_params cml_gaussian_nb_params_default(void);
const char *cml_gaussian_nb_params_check(const cml_gaussian_nb_params *p);

/* Fits on X (finite), y. Errors: CML_ERR_ARG (bad params or priors that do
 * not match the classes), CML_ERR_NOMEM. */
cml_status cml_gaussian_nb_fit(const cml_gaussian_nb_params *p, const cml_matrix *X,
                               const double *y, cml_gaussian_nb **out);

/* Incremental fit (sklearn's partial_fit): on the first call *model is NULL,
 * p and classes (n_classes values, any order) are required and a new model
 * is returned in *model; later calls update *model in place (p and classes
 * may be NULL; if given, classes must equal the first call's). Means and
 * variances are merged with Chan, Golub & LeVeque's pairwise update, as
 * sklearn does; epsilon is recomputed from each batch, as sklearn does, so a
 * chunked fit equals sklearn's chunked fit (and fit() up to that epsilon).
 * sample_weight (rows) may be NULL. A label of y not in classes:
 * CML_ERR_ARG. On error the model is left as it was. */
cml_status cml_gaussian_nb_partial_fit(cml_gaussian_nb **model, const cml_gaussian_nb_params *p,
                                       const cml_matrix *X, const double *y,
                                       const double *sample_weight, const double *classes,
                                       int64_t n_classes);

/* out (rows): class values. */
cml_status cml_gaussian_nb_predict(const cml_gaussian_nb *m, const cml_matrix *X, double *out);
/* out (rows, n_classes). */
cml_status cml_gaussian_nb_predict_proba(const cml_gaussian_nb *m, const cml_matrix *X,
                                         double *out);
cml_status cml_gaussian_nb_predict_log_proba(const cml_gaussian_nb *m, const cml_matrix *X,
                                             double *out);
/* log P(c) + log P(x | c), unnormalised (sklearn's predict_joint_log_proba). */
cml_status cml_gaussian_nb_joint_log_likelihood(const cml_gaussian_nb *m, const cml_matrix *X,
                                                double *out);

int64_t cml_gaussian_nb_n_classes(const cml_gaussian_nb *m);
int64_t cml_gaussian_nb_n_features(const cml_gaussian_nb *m);
const double *cml_gaussian_nb_classes(const cml_gaussian_nb *m);     /* (C) */
const double *cml_gaussian_nb_theta(const cml_gaussian_nb *m);       /* (C, d) means */
const double *cml_gaussian_nb_var(const cml_gaussian_nb *m);         /* (C, d) incl. epsilon */
const double *cml_gaussian_nb_class_count(const cml_gaussian_nb *m); /* (C) */
const double *cml_gaussian_nb_class_prior(const cml_gaussian_nb *m); /* (C) */
double cml_gaussian_nb_epsilon(const cml_gaussian_nb *m);
void cml_gaussian_nb_free(cml_gaussian_nb *m);

/* ---------------------------------------------------------------- discrete */

/* One parameter struct for the three discrete models; each uses the fields
 * its scikit-learn class has (defaults from its own table). */
typedef struct cml_discrete_nb_params {
    double alpha;                       /* 1.0: additive (Laplace/Lidstone) smoothing */
    int force_alpha;                    /* false: alpha < 1e-10 is raised to 1e-10 */
    int fit_prior;                      /* true: learn class priors from counts */
    char class_prior[CML_PARAM_STRLEN]; /* "" or "p1,...,pC" */
    int norm;                           /* complement only: false */
    double binarize;                    /* bernoulli only: 0.0; X > binarize -> 1 */
} cml_discrete_nb_params;

typedef enum cml_discrete_nb_kind {
    CML_NB_MULTINOMIAL = 0,
    CML_NB_COMPLEMENT,
    CML_NB_BERNOULLI
} cml_discrete_nb_kind;

/* A fitted MultinomialNB, ComplementNB or BernoulliNB. */
typedef struct cml_discrete_nb cml_discrete_nb;

cml_discrete_nb_params cml_multinomial_nb_params_default(void);
cml_discrete_nb_params cml_complement_nb_params_default(void);
cml_discrete_nb_params cml_bernoulli_nb_params_default(void);
const char *cml_discrete_nb_params_check(cml_discrete_nb_kind kind,
                                         const cml_discrete_nb_params *p);

/* Fit. Multinomial and complement need X >= 0 (else CML_ERR_ARG, as
 * sklearn's check_non_negative). */
cml_status cml_multinomial_nb_fit(const cml_discrete_nb_params *p, const cml_matrix *X,
                                  const double *y, cml_discrete_nb **out);
cml_status cml_complement_nb_fit(const cml_discrete_nb_params *p, const cml_matrix *X,
                                 const double *y, cml_discrete_nb **out);
cml_status cml_bernoulli_nb_fit(const cml_discrete_nb_params *p, const cml_matrix *X,
                                const double *y, cml_discrete_nb **out);

/* Incremental fit, same contract as cml_gaussian_nb_partial_fit; counts
 * add up, so chunks give exactly what one fit on all rows gives. Passing a
 * model of another kind is CML_ERR_ARG. */
cml_status cml_multinomial_nb_partial_fit(cml_discrete_nb **model, const cml_discrete_nb_params *p,
                                          const cml_matrix *X, const double *y,
                                          const double *sample_weight, const double *classes,
                                          int64_t n_classes);
cml_status cml_complement_nb_partial_fit(cml_discrete_nb **model, const cml_discrete_nb_params *p,
                                         const cml_matrix *X, const double *y,
                                         const double *sample_weight, const double *classes,
                                         int64_t n_classes);
cml_status cml_bernoulli_nb_partial_fit(cml_discrete_nb **model, const cml_discrete_nb_params *p,
                                        const cml_matrix *X, const double *y,
                                        const double *sample_weight, const double *classes,
                                        int64_t n_classes);

cml_status cml_discrete_nb_predict(const cml_discrete_nb *m, const cml_matrix *X, double *out);
cml_status cml_discrete_nb_predict_proba(const cml_discrete_nb *m, const cml_matrix *X,
                                         double *out);
cml_status cml_discrete_nb_predict_log_proba(const cml_discrete_nb *m, const cml_matrix *X,
                                             double *out);
cml_status cml_discrete_nb_joint_log_likelihood(const cml_discrete_nb *m, const cml_matrix *X,
                                                double *out);

/* Sparse (CSR) input, e.g. text features from cml_tfidf_transform: the
 * same model as the dense calls on the densified X (feature counts are sums
 * of the stored entries in row order). kind picks the model; sample_weight
 * may be NULL. Bernoulli with binarize < 0 on sparse X is CML_ERR_ARG, as
 * in scikit-learn (every implicit zero would become 1). */
cml_status cml_discrete_nb_fit_csr(cml_discrete_nb_kind kind, const cml_discrete_nb_params *p,
                                   const cml_csr *X, const double *y, const double *sample_weight,
                                   cml_discrete_nb **out);
cml_status cml_discrete_nb_predict_csr(const cml_discrete_nb *m, const cml_csr *X, double *out);
cml_status cml_discrete_nb_predict_proba_csr(const cml_discrete_nb *m, const cml_csr *X,
                                             double *out);
cml_status cml_discrete_nb_predict_log_proba_csr(const cml_discrete_nb *m, const cml_csr *X,
                                                 double *out);
cml_status cml_discrete_nb_joint_log_likelihood_csr(const cml_discrete_nb *m, const cml_csr *X,
                                                    double *out);

cml_discrete_nb_kind cml_discrete_nb_kind_of(const cml_discrete_nb *m);
int64_t cml_discrete_nb_n_classes(const cml_discrete_nb *m);
int64_t cml_discrete_nb_n_features(const cml_discrete_nb *m);
const double *cml_discrete_nb_classes(const cml_discrete_nb *m);          /* (C) */
const double *cml_discrete_nb_class_count(const cml_discrete_nb *m);      /* (C) */
const double *cml_discrete_nb_feature_count(const cml_discrete_nb *m);    /* (C, d) */
const double *cml_discrete_nb_feature_log_prob(const cml_discrete_nb *m); /* (C, d) */
const double *cml_discrete_nb_class_log_prior(const cml_discrete_nb *m);  /* (C) */
void cml_discrete_nb_free(cml_discrete_nb *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_BAYES_H */
