/*
 * cml/embed.h — non-linear embeddings: t-SNE (scikit-learn 1.2's
 * sklearn.manifold.TSNE), UMAP (McInnes, Healy & Melville 2018, after
 * umap-learn 0.5) and the trustworthiness score that measures both
 * (sklearn.manifold.trustworthiness).
 *
 * Typed API per estimator: _params_default, _params_check (NULL or a
 * message), _fit, getters, _transform, _free; the generic layer
 * (cml_model_create("tsne") / ("umap")) wraps the same code.
 *
 * t-SNE cannot embed new points: its objective couples every training row.
 * cml_tsne_transform (and the generic transform) therefore only gives back
 * the stored embedding, and only for the very data it was fitted on (same
 * shape and the same 64-bit fingerprint of the values); anything else is
 * CML_ERR_UNSUPPORTED. The generic fit-transform path (fit, then transform
 * of the same X) thus works for t-SNE as it does for UMAP.
 *
 * Ownership: fitted models copy what they keep; getters return pointers into
 * the model, valid until it is freed. Thread-safety: a fitted model is
 * immutable; transform may run from many threads at once. Fits are
 * parallel (OpenMP) and their results do not depend on the thread count.
 */
#ifndef CML_EMBED_H
#define CML_EMBED_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ t-SNE */

typedef enum cml_tsne_method { CML_TSNE_BARNES_HUT = 0, CML_TSNE_EXACT } cml_tsne_method;
typedef enum cml_tsne_init { CML_TSNE_INIT_PCA = 0, CML_TSNE_INIT_RANDOM } cml_tsne_init;
/* Input-space metric; its distances are squared before the perplexity
 * search, as sklearn does for every metric. */
typedef enum cml_embed_metric {
    CML_EMBED_EUCLIDEAN = 0,
    CML_EMBED_COSINE,
    CML_EMBED_MANHATTAN
} cml_embed_metric;

typedef struct cml_tsne_params {
    int n_components;                     /* 2 (barnes_hut: 2 or 3) */
    double perplexity;                    /* 30, < n_samples */
    double early_exaggeration;            /* 12 */
    char learning_rate[CML_PARAM_STRLEN]; /* "auto" = max(n / early_exaggeration / 4, 50), or > 0 */
    int n_iter;                           /* 1000, >= 250 */
    int n_iter_without_progress;          /* 300 */
    double min_grad_norm;                 /* 1e-7 */
    int metric;                           /* cml_embed_metric: euclidean */
    int init;                             /* cml_tsne_init: pca (sklearn 1.2's default) */
    int method;                           /* cml_tsne_method: barnes_hut */
    double angle;                         /* 0.5, Barnes-Hut theta */
    int random_state;                     /* 0 (sklearn: None) */
} cml_tsne_params;

typedef struct cml_tsne cml_tsne;

cml_tsne_params cml_tsne_params_default(void);
/* NULL if valid, else a message naming the parameter (thread-local). */
const char *cml_tsne_params_check(const cml_tsne_params *p);
/* Embeds the rows of X (finite, n_samples >= 2, perplexity < n_samples).
 * Errors: CML_ERR_ARG naming the parameter, CML_ERR_NOMEM. */
cml_status cml_tsne_fit(const cml_tsne_params *p, const cml_matrix *X, cml_tsne **out);
/* out (rows, n_components): the stored embedding when X is the fitted data
 * (same shape and fingerprint), else CML_ERR_UNSUPPORTED. */
cml_status cml_tsne_transform(const cml_tsne *m, const cml_matrix *X, double *out);
const double *cml_tsne_embedding(const cml_tsne *m); /* (n_samples, n_components) */
int64_t cml_tsne_n_samples(const cml_tsne *m);
int64_t cml_tsne_n_features(const cml_tsne *m);
int64_t cml_tsne_n_components(const cml_tsne *m);
double cml_tsne_kl_divergence(const cml_tsne *m); /* sklearn's kl_divergence_ */
int cml_tsne_n_iter(const cml_tsne *m);           /* sklearn's n_iter_ */
double cml_tsne_learning_rate(const cml_tsne *m); /* the rate used (learning_rate_) */
void cml_tsne_free(cml_tsne *m);

/* ================================================================ UMAP */

typedef enum cml_umap_init { CML_UMAP_INIT_SPECTRAL = 0, CML_UMAP_INIT_RANDOM } cml_umap_init;

typedef enum cml_umap_knn {
    CML_UMAP_KNN_AUTO = 0,
    CML_UMAP_KNN_EXACT,
    CML_UMAP_KNN_NN_DESCENT
} cml_umap_knn;

typedef struct cml_umap_params {
    int n_neighbors;          /* 15, counting the point itself (umap-learn), < n_samples */
    int n_components;         /* 2 */
    int metric;               /* cml_embed_metric: euclidean (cosine, manhattan) */
    int n_epochs;             /* 0 = auto: 500 if n_samples <= 10000 else 200 */
    double learning_rate;     /* 1.0 */
    int init;                 /* cml_umap_init: spectral */
    double min_dist;          /* 0.1, <= spread */
    double spread;            /* 1.0 */
    int negative_sample_rate; /* 5 negative samples per positive one */
    int random_state;         /* 0 */
    /* cml_umap_knn: the kNN graph; auto = exact below 4096 samples, else
     * NN-descent (umap-learn's switch; its force_approximation_algorithm
     * is nn_descent here). */
    int knn;
} cml_umap_params;

typedef struct cml_umap cml_umap;

cml_umap_params cml_umap_params_default(void);
const char *cml_umap_params_check(const cml_umap_params *p);
/* Embeds the rows of X (finite, n_neighbors < n_samples). Keeps a copy of X
 * to place new points. Errors: CML_ERR_ARG naming the parameter,
 * CML_ERR_NOMEM. */
cml_status cml_umap_fit(const cml_umap_params *p, const cml_matrix *X, cml_umap **out);
/* out (rows, n_components): new points placed against the fixed training
 * embedding (umap-learn's transform). Each row's result depends only on
 * that row, the model and random_state (not on the other rows or the
 * thread count). */
cml_status cml_umap_transform(const cml_umap *m, const cml_matrix *X, double *out);
const double *cml_umap_embedding(const cml_umap *m); /* (n_samples, n_components) */
int64_t cml_umap_n_samples(const cml_umap *m);
int64_t cml_umap_n_features(const cml_umap *m);
int64_t cml_umap_n_components(const cml_umap *m);
double cml_umap_a(const cml_umap *m); /* curve parameters fitted from min_dist, spread */
double cml_umap_b(const cml_umap *m);
/* "spectral", "random", or "spectral+components" when the kNN graph had
 * several connected components (each laid out on its own). */
const char *cml_umap_init_used(const cml_umap *m);
void cml_umap_free(cml_umap *m);

/* a, b of 1 / (1 + a d^(2b)) fitted by least squares to the curve that is 1
 * below min_dist and exp(-(d - min_dist) / spread) above, on 300 points of
 * [0, 3 spread] (umap-learn's find_ab_params, Levenberg-Marquardt from
 * (1, 1) as scipy's curve_fit). 0 < min_dist <= spread. */
cml_status cml_umap_find_ab_params(double spread, double min_dist, double *a, double *b);

/* ================================================================ quality */

/* Trustworthiness T(k) of embedding E (n, q) of X (n, p) (Venna & Kaski
 * 2001; sklearn.manifold.trustworthiness with metric euclidean):
 *   T = 1 - 2 / (n k (2n - 3k - 1)) sum_i sum_{j in N_k^E(i)} max(0, r(i, j) - k)
 * where N_k^E(i) are the k nearest neighbours of i in E and r(i, j) is the
 * rank of j among i's neighbours in X. 1 <= k < n / 2. Cost O(n^2 p),
 * memory O(n) per thread. */
cml_status cml_trustworthiness(const cml_matrix *X, const cml_matrix *E, int k, double *out);

#ifdef __cplusplus
}
#endif
#endif /* CML_EMBED_H */
