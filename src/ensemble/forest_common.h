/*
 * forest_common.h — the fitted forest shared by random forests and extra
 * trees (src/ensemble/random_forest.c holds their parameter tables and
 * registry entries). Private to libcml.
 */
#ifndef CML_ENSEMBLE_FOREST_COMMON_H
#define CML_ENSEMBLE_FOREST_COMMON_H

#include "cml/ensemble.h"
#include "tree/cart.h"

struct cml_forest {
    cml_forest_kind kind;
    int classifier;
    int64_t n_features;
    int64_t n_classes;    /* 0 for regressors */
    double *classes;      /* (n_classes) */
    int64_t max_features; /* resolved */
    int64_t n_trees;
    cml_tree **trees;    /* (n_trees) */
    double *importances; /* (n_features) */
    double oob_score;    /* NaN without oob_score */
    int64_t n_oob_rows;  /* training rows of oob (0 without oob_score) */
    double *oob;         /* (n_oob_rows, n_classes or 1) */
};

int cml_forest_kind_is_classifier(cml_forest_kind kind);
const char *cml_forest_kind_name(cml_forest_kind kind);

/* Recomputes feature_importances_ from the trees. */
cml_status cml_forest_finish(cml_forest *f);

/* GGUF fields of a fitted forest (cml.fit.* keys, classes, oob, trees). */
cml_status cml_forest_save(const cml_forest *f, cml_gguf_writer *w);
cml_status cml_forest_load(cml_forest_kind kind, const cml_gguf *g, int criterion,
                           cml_forest **out);
char *cml_forest_describe(const cml_forest *f);

#endif
