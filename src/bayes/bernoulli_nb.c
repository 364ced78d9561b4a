/*
 * bernoulli_nb.c — Bernoulli naive Bayes (scikit-learn 1.2's BernoulliNB)
 * for binary features (x > binarize counts as 1):
 *   jll_c(x) = log P(c) + sum_j [x_j log p_cj + (1 - x_j) log(1 - p_cj)],
 *   p_cj = (F_cj + alpha) / (N_c + 2 alpha).
 * McCallum & Nigam (AAAI-98 workshop), sec. 2.1. The shared code is in
 * discrete_nb.c. Cost: fit O(n d), predict O(n C d).
 */
#include <float.h>
#include <stddef.h>
#include <string.h>

#include "bayes/nb_internal.h"

static const cml_param_def defs[] = {
    {"alpha", CML_PARAM_DOUBLE, "1.0", 0, DBL_MAX, 0, NULL, "additive (Laplace/Lidstone) smoothing",
     offsetof(cml_discrete_nb_params, alpha)},
    {"force_alpha", CML_PARAM_BOOL, "false", 0, 0, 0, NULL,
     "keep alpha below 1e-10 as given (else raised to 1e-10)",
     offsetof(cml_discrete_nb_params, force_alpha)},
    {"binarize", CML_PARAM_DOUBLE, "0.0", -DBL_MAX, DBL_MAX, 0, NULL,
     "threshold: features > binarize are 1, others 0", offsetof(cml_discrete_nb_params, binarize)},
    {"fit_prior", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "learn class priors (false: uniform priors)", offsetof(cml_discrete_nb_params, fit_prior)},
    {"class_prior", CML_PARAM_STRING, "", 0, 0, 0, NULL,
     "class priors \"p1,...,pC\" (sorted class order); empty: see fit_prior",
     offsetof(cml_discrete_nb_params, class_prior)},
};

NB_DISCRETE_ESTIMATOR(bernoulli_nb, CML_NB_BERNOULLI, defs, "bnb",
                      "Bernoulli naive Bayes for binary / binarized features");
