/*
 * kmeans_core.h — the k-means building blocks shared by KMeans and
 * MiniBatchKMeans (src/cluster/kmeans.c, minibatch_kmeans.c): greedy
 * k-means++ and random seeding, the Lloyd and Elkan iterations, the E-step
 * (nearest centre through BLAS), inertia and distances. Private to libcml.
 *
 * Data are row-major (n, p) with leading dimension ld. Labels are int64_t in
 * [0, k). Every parallel reduction runs in a fixed order, so results do not
 * depend on the thread count.
 */
#ifndef CML_KMEANS_CORE_H
#define CML_KMEANS_CORE_H

#include <stdint.h>

#include "cml/gguf.h"
#include "core/internal.h"

/* Rows per E-step chunk: sklearn's CHUNK_SIZE. A (256, k) distance block
 * and the chunk of X stay in cache while its centre sums are accumulated. */
#define KM_CHUNK 256

/* One data set to cluster. */
typedef struct km_data {
    const double *X;   /* (n, p), leading dimension ld */
    const double *w;   /* (n) sample weights, never NULL */
    const double *xsq; /* (n) squared row norms (k-means++, bounded Lloyd; may be NULL) */
    int64_t n, p, ld;
} km_data;

/* Copies X centred on its column means into *Xc (n, p) contiguous, the
 * means into mean (p) and, unless xsq is NULL, the squared norms of the
 * centred rows into xsq (n): sklearn centres before clustering for
 * accuracy. One read of X for the means, one for the copy. */
cml_status km_center_copy(const cml_matrix *X, double **Xc, double *mean, double *xsq);
/* Squared row norms of (n, p) contiguous X into out (n). */
void km_row_sq_norms(const double *X, int64_t n, int64_t p, int64_t ld, double *out);
/* sklearn's _tolerance: tol * mean over features of the column variance. */
double km_tolerance(const double *X, int64_t n, int64_t p, int64_t ld, double tol);
/* The same from the squared norms of the centred rows (sum_i xsq_i / (n p)
 * is the mean column variance), without another pass over X. */
double km_tolerance_centred(const double *xsq, int64_t n, int64_t p, double tol);

/* Greedy k-means++ (Arthur & Vassilvitskii 2007, with sklearn's
 * 2 + floor(ln k) local trials per centre, keeping the candidate with the
 * smallest potential). centers (k, p) out. */
cml_status km_init_plusplus(const km_data *d, int k, cml_rng *rng, double *centers);
/* k distinct rows drawn uniformly (sklearn: permutation(n)[:k]). */
cml_status km_init_random(const km_data *d, int k, cml_rng *rng, double *centers);

/* km_run's iterations. KM_LLOYD skips the rows whose label provably stays
 * (bounds with a rounding margin, see kmeans_core.c) when d->xsq is given,
 * and is then the same computation as KM_LLOYD_PLAIN (labels, centres and
 * iteration counts identical), which reads every row every iteration. */
enum { KM_LLOYD = 0, KM_ELKAN = 1, KM_LLOYD_PLAIN = 2 };

/* One full k-means run from centers (k, p) (in: initial, out: final), algo
 * one of KM_LLOYD / KM_ELKAN / KM_LLOYD_PLAIN, sklearn's
 * _kmeans_single_{lloyd,elkan}: stops on unchanged labels or when the
 * squared centre shift <= tol (absolute), then re-runs the E-step so labels
 * match the centres. */
cml_status km_run(const km_data *d, int k, int algo, int max_iter, double tol, double *centers,
                  int64_t *labels, double *inertia, int *n_iter);

/* E-step only: labels (n) of the nearest centre, ranking centres by
 * ||c||^2 - 2 x.c as sklearn does (one dgemm per chunk). Parallel. */
cml_status km_assign(const double *X, int64_t n, int64_t p, int64_t ld, const double *centers,
                     int k, int64_t *labels);
/* out (n, k): Euclidean distances to the centres (sklearn's
 * euclidean_distances through the dot-product expansion). */
cml_status km_distances(const double *X, int64_t n, int64_t p, int64_t ld, const double *centers,
                        int k, double *out);
/* Sum of w_i ||x_i - c_{label_i}||^2, exact differences, fixed-order sum. */
double km_inertia(const km_data *d, const double *centers, const int64_t *labels);
/* Whether two labelings are equal up to a permutation of the labels. */
int km_same_clustering(const int64_t *a, const int64_t *b, int64_t n, int k);

/* Model state shared by both k-means flavours' save/load/describe. */
typedef struct km_fitted {
    int64_t k, p, n; /* clusters, features, training rows */
    double *centers; /* (k, p) */
    int64_t *labels; /* (n) labels of the training rows */
    double inertia;
    int n_iter;
} km_fitted;

cml_status km_fitted_save(const km_fitted *f, cml_gguf_writer *w);
cml_status km_fitted_load(const cml_gguf *g, km_fitted *f);
char *km_fitted_describe(const km_fitted *f, const char *extra_json);
void km_fitted_clear(km_fitted *f);
/* Shape checks of a predict-side X against the model. */
cml_status km_check_X(const km_fitted *f, const cml_matrix *X);

/* Fit-time checks shared by both flavours: X finite, n_samples >= k,
 * sample weights finite and >= 0 (sw may be NULL). */
cml_status km_check_fit_inputs(const cml_matrix *X, const double *sw, int k);
/* E-step labels as doubles (the generic layer's predict). */
cml_status km_predict_doubles(const km_fitted *f, const cml_matrix *X, double *out);

#endif
