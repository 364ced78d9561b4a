/*
 * multinomial_nb.c — multinomial naive Bayes (scikit-learn 1.2's
 * MultinomialNB) for counts or frequencies, X >= 0:
 *   jll_c(x) = log P(c) + sum_j x_j log theta_cj,
 *   theta_cj = (F_cj + alpha) / sum_j (F_cj + alpha).
 * McCallum & Nigam, "A comparison of event models for naive Bayes text
 * classification" (AAAI-98 workshop), sec. 2.2. The shared code is in
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
    {"fit_prior", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "learn class priors (false: uniform priors)", offsetof(cml_discrete_nb_params, fit_prior)},
    {"class_prior", CML_PARAM_STRING, "", 0, 0, 0, NULL,
     "class priors \"p1,...,pC\" (sorted class order); empty: see fit_prior",
     offsetof(cml_discrete_nb_params, class_prior)},
};

NB_DISCRETE_ESTIMATOR(multinomial_nb, CML_NB_MULTINOMIAL, defs, "mnb",
                      "multinomial naive Bayes for counts / frequencies");
