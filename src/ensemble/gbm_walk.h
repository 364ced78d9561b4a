/*
 * gbm_walk.h — the prediction walk of a fitted boosted ensemble over a block
 * of rows (gbm_walk.c). Private to libcml.
 */
#ifndef CML_ENSEMBLE_GBM_WALK_H
#define CML_ENSEMBLE_GBM_WALK_H

#include "ensemble/gbm_internal.h"

/* One step of the walk from node nd for row x; a leaf maps to itself. A
 * model without categorical splits never has the GBM_CATEGORICAL bit, so
 * the mask keeps the numeric walk as it is. NaN goes to the default side. */
static inline int32_t gbm_walk_step(const gbm_node *nd, const double *x)
{
    uint32_t fi = nd->feature;
    double v = x[fi & GBM_FEATURE_MASK];
    int right = !(v < nd->value);
    if (v != v) right = !(fi & GBM_DEFAULT_LEFT);
    return nd->left + right;
}

/* A step that also knows categorical splits (XGBoost's rule,
 * catset_goes_left). */
static inline int32_t gbm_walk_step_cat(const cml_gbm *m, const gbm_node *nd, const double *x)
{
    const uint32_t fi = nd->feature;
    if (!(fi & GBM_CATEGORICAL)) return gbm_walk_step(nd, x);
    const double v = x[fi & GBM_FEATURE_MASK];
    const uint32_t *set = m->cat_sets + (int64_t)nd->value;
    return nd->left + !catset_goes_left(set, v, (fi & GBM_DEFAULT_LEFT) != 0);
}

/* Rows of one block: a block's rows stay in cache while every tree walks
 * them, and its per-output sums fit on the stack. */
#define GBM_WALK_BLOCK 64

/* Margins of rows X[0 .. n) (row i at X + i * ld, n <= GBM_WALK_BLOCK,
 * n_features wide, no infinity) into out (n, n_outputs) row-major:
 * base_margin plus each tree's leaf value, added in tree order, so every
 * variant gives the same bits. The SIMD variant is used when the CPU has it
 * (checked once) and the model has no categorical split; `simd` = 0 forces
 * the portable one (tests). Thread-safe: reads m only. */
void gbm_walk_block(const cml_gbm *m, const double *X, int64_t ld, int64_t n, double *out,
                    int simd);

/* 1 when gbm_walk_block(..., simd = 1) takes the SIMD path for m on rows of
 * stride ld (the CPU has AVX-512, no categorical split, indices fit in 32
 * bits). */
int gbm_walk_simd_ok(const cml_gbm *m, int64_t ld);

#endif
