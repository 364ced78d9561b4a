/*
 * embed_text.c — TF-IDF + TruncatedSVD text embedding (latent semantic
 * analysis; Deerwester et al., "Indexing by Latent Semantic Analysis",
 * JASIS 1990), the dense side of hybrid search until cml has a neural text
 * encoder (cml/rag.h).
 *
 *   e(x) = normalize( tfidf(x) V_dim ),  V_dim = top right singular vectors
 *
 * Built from the existing estimators (cml_tfidf, cml_truncated_svd); the
 * projection is kept transposed, (n_features, dim), so embedding a sparse
 * row is a sum of `nnz` contiguous rows. Thread-safety: embed reads a const
 * embedder. Cost: fit = TF-IDF + randomized SVD; embed O(nnz dim).
 */
#include <math.h>
#include <string.h>

#include "cml/decomp.h"
#include "cml/gguf.h"
#include "cml/rag.h"
#include "cml/text.h"
#include "core/internal.h"

#define EMB_KIND "text_embedder"

struct cml_text_embedder {
    cml_tfidf *tfidf;
    double *compT; /* (n_features, dim) */
    int64_t n_features, dim;
};

void cml_text_embedder_free(cml_text_embedder *e)
{
    if (!e) return;
    cml_tfidf_free(e->tfidf);
    free(e->compT);
    free(e);
}

int64_t cml_text_embedder_dim(const cml_text_embedder *e)
{
    return e->dim;
}

static cml_tfidf_params tfidf_params(void)
{
    cml_tfidf_params p = cml_tfidf_params_default();
    p.sublinear_tf = 1; /* damp repeated words, the usual LSA weighting */
    p.count.stop_words = 1;
    return p;
}

cml_status cml_text_embedder_fit(const char *const *texts, int64_t n, int64_t dim,
                                 uint64_t random_state, cml_text_embedder **out)
{
    *out = NULL;
    if (n < 2)
        return cml_fail(CML_ERR_ARG, "text_embedder: needs >= 2 texts, got %lld", (long long)n);
    if (dim < 1) return cml_fail(CML_ERR_ARG, "text_embedder: dim must be >= 1");
    cml_status st = CML_OK;
    cml_csr_owned *X = NULL;
    cml_truncated_svd *svd = NULL;
    cml_text_embedder *e = cml_calloc(1, sizeof *e);
    if (!e) return CML_ERR_NOMEM;
    cml_tfidf_params tp = tfidf_params();
    CML_TRY(cml_tfidf_fit_transform(&tp, texts, n, &e->tfidf, &X));
    e->n_features = X->cols;
    int64_t d = CML_MIN(dim, CML_MIN(n, X->cols) - 1);
    if (d < 1) {
        st = cml_fail(CML_ERR_ARG,
                      "text_embedder: %lld features from %lld texts: too few for an "
                      "SVD; HINT: add more text",
                      (long long)X->cols, (long long)n);
        goto fail;
    }
    cml_truncated_svd_params sp = cml_truncated_svd_params_default();
    sp.n_components = (int)d;
    sp.random_state = (int)(random_state & 0x7fffffff);
    cml_csr v = {X->indptr, X->indices, X->data, X->rows, X->cols, X->nnz};
    CML_TRY(cml_truncated_svd_fit_csr(&sp, &v, &svd));
    e->dim = d;
    e->compT = cml_alloc_array(e->n_features * d, sizeof *e->compT);
    if (!e->compT) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    const double *C = cml_truncated_svd_components(svd); /* (d, n_features) */
    for (int64_t c = 0; c < d; c++)
        for (int64_t j = 0; j < e->n_features; j++)
            e->compT[j * d + c] = C[c * e->n_features + j];
    *out = e;
    e = NULL;
fail:
    cml_csr_owned_free(X);
    cml_truncated_svd_free(svd);
    cml_text_embedder_free(e);
    return st;
}

cml_status cml_text_embed(const cml_text_embedder *e, const char *const *texts, int64_t n,
                          float *out)
{
    cml_csr_owned *X = NULL;
    CML_CHECK(cml_tfidf_transform(e->tfidf, texts, n, &X));
    int64_t d = e->dim;
    double *acc = cml_alloc_array(d, sizeof *acc);
    if (!acc) {
        cml_csr_owned_free(X);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        memset(acc, 0, (size_t)d * sizeof *acc);
        for (int64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++) {
            const double *row = e->compT + (int64_t)X->indices[p] * d;
            double v = X->data[p];
            for (int64_t c = 0; c < d; c++)
                acc[c] += v * row[c];
        }
        double nn = 0;
        for (int64_t c = 0; c < d; c++)
            nn += acc[c] * acc[c];
        double inv = nn > 0 ? 1.0 / sqrt(nn) : 0.0;
        for (int64_t c = 0; c < d; c++)
            out[i * d + c] = (float)(acc[c] * inv);
    }
    free(acc);
    cml_csr_owned_free(X);
    return CML_OK;
}

cml_status cml_text_embedder_save(const cml_text_embedder *e, const char *path)
{
    cml_gguf_writer *w = cml_gguf_writer_new();
    if (!w) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    CML_TRY(cml_gguf_set_str(w, "cml.kind", EMB_KIND));
    CML_TRY(cml_gguf_set_u32(w, "cml.schema_version", 1));
    CML_TRY(cml_gguf_set_str(w, "cml.version", CML_VERSION_STRING));
    CML_TRY(cml_gguf_add_f64(w, "embed.components", e->compT, e->n_features, e->dim));
    CML_TRY(cml_gguf_writer_set_scope(w, "tfidf."));
    CML_TRY(cml_tfidf_save(e->tfidf, w));
    CML_TRY(cml_gguf_writer_set_scope(w, NULL));
    st = cml_gguf_write_file(w, path);
fail:
    cml_gguf_writer_free(w);
    return st;
}

cml_status cml_text_embedder_load(const char *path, cml_text_embedder **out)
{
    *out = NULL;
    cml_gguf *g = NULL;
    CML_CHECK(cml_gguf_read_file(path, &g));
    cml_status st = CML_OK;
    cml_text_embedder *e = cml_calloc(1, sizeof *e);
    const char *kind;
    int64_t ver;
    int nd;
    int64_t dims[CML_GGUF_MAX_DIMS];
    const void *data;
    if (!e) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_get_str(g, "cml.kind", &kind));
    if (strcmp(kind, EMB_KIND) != 0) {
        st = cml_fail(CML_ERR_FORMAT, "%s: cml.kind is \"%s\", expected \"%s\"", path, kind,
                      EMB_KIND);
        goto fail;
    }
    CML_TRY(cml_gguf_get_i64(g, "cml.schema_version", &ver));
    if (ver != 1) {
        st = cml_fail(ver > 1 ? CML_ERR_VERSION : CML_ERR_FORMAT,
                      "%s: text embedder schema version %lld (this cml reads 1)", path,
                      (long long)ver);
        goto fail;
    }
    CML_TRY(cml_gguf_set_scope(g, "tfidf."));
    CML_TRY(cml_tfidf_load(g, &e->tfidf));
    CML_TRY(cml_gguf_set_scope(g, NULL));
    CML_TRY(cml_gguf_get_tensor(g, "embed.components", CML_GGUF_T_F64, &data, &nd, dims));
    e->n_features = cml_tfidf_n_features(e->tfidf);
    if (nd != 2 || dims[1] != e->n_features || dims[0] < 1) {
        st = cml_fail(CML_ERR_FORMAT, "%s: embed.components must be (%lld, dim)", path,
                      (long long)e->n_features);
        goto fail;
    }
    e->dim = dims[0];
    e->compT = cml_alloc_array(e->n_features * e->dim, sizeof *e->compT);
    if (!e->compT) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    memcpy(e->compT, data, (size_t)(e->n_features * e->dim) * sizeof *e->compT);
    for (int64_t i = 0; i < e->n_features * e->dim; i++)
        if (!isfinite(e->compT[i])) {
            st = cml_fail(CML_ERR_FORMAT, "%s: embed.components holds a non-finite value", path);
            goto fail;
        }
    *out = e;
    e = NULL;
fail:
    cml_text_embedder_free(e);
    cml_gguf_free(g);
    return st;
}
