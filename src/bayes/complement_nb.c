/*
 * complement_nb.c — complement naive Bayes (scikit-learn 1.2's
 * ComplementNB), Rennie, Shih, Teevan & Karger, "Tackling the poor
 * assumptions of naive Bayes text classifiers", ICML 2003, sec. 3.1 (the
 * complement estimate) and 3.3 (weight normalisation, norm=true):
 *   w_cj = -log((A_j + alpha - F_cj) / sum_j (A_j + alpha - F_cj)),
 *   jll_c(x) = sum_j x_j w_cj, A_j = sum_c F_cj.
 * X >= 0. The shared code is in discrete_nb.c. Cost: fit O(n d), predict
 * O(n C d).
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
    {"fit_prior", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "learn class priors (used only with a single class, as sklearn)",
     offsetof(cml_discrete_nb_params, fit_prior)},
    {"class_prior", CML_PARAM_STRING, "", 0, 0, 0, NULL,
     "class priors \"p1,...,pC\" (used only with a single class)",
     offsetof(cml_discrete_nb_params, class_prior)},
    {"norm", CML_PARAM_BOOL, "false", 0, 0, 0, NULL, "second normalisation of the weights",
     offsetof(cml_discrete_nb_params, norm)},
};

NB_DISCRETE_ESTIMATOR(complement_nb, CML_NB_COMPLEMENT, defs, "cnb",
                      "complement naive Bayes (imbalanced text classes)");
