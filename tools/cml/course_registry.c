/*
 * course_registry.c — the live experiments, one per lesson id. Each is
 * defined in its family's file (course_exp_<family>.c); adding one is one
 * line in EXPERIMENTS below.
 */
#include <string.h>

#include "course.h"

#define EXPERIMENTS(X)                                                                             \
    X(linear_regression)                                                                           \
    X(polynomial_regression)                                                                       \
    X(logistic_regression)                                                                         \
    X(svm)                                                                                         \
    X(knn)                                                                                         \
    X(decision_tree)                                                                               \
    X(random_forest)                                                                               \
    X(k_means)                                                                                     \
    X(dbscan)                                                                                      \
    X(pca_tsne_umap)                                                                               \
    X(naive_bayes)                                                                                 \
    X(text_classification)                                                                         \
    X(gradient_boosting)                                                                           \
    X(evaluation_metrics)                                                                          \
    X(vector_databases)                                                                            \
    X(fastapi_serving)                                                                             \
    X(prometheus)                                                                                  \
    X(tokenization)                                                                                \
    X(experiment_tracking)                                                                         \
    X(sqlite)                                                                                      \
    X(semantic_search)                                                                             \
    X(rag_pipeline)                                                                                \
    X(mlp)                                                                                         \
    X(cnn)

#define DECLARE(sym) extern const course_experiment course_exp_##sym;
EXPERIMENTS(DECLARE)
#undef DECLARE

#define ENTRY(sym) &course_exp_##sym,
static const course_experiment *const registry[] = {EXPERIMENTS(ENTRY)};
#undef ENTRY

enum { N_EXPERIMENTS = sizeof registry / sizeof *registry };

const course_experiment *course_experiment_find(const char *id)
{
    for (int i = 0; i < N_EXPERIMENTS; i++)
        if (!strcmp(registry[i]->id, id)) return registry[i];
    return NULL;
}

const course_experiment *course_experiment_at(int i, int *n)
{
    *n = N_EXPERIMENTS;
    return i >= 0 && i < N_EXPERIMENTS ? registry[i] : NULL;
}
