/*
 * tfidf_vectorizer.c — scikit-learn 1.2's TfidfVectorizer: CountVectorizer
 * followed by TfidfTransformer.
 *
 * fit:       idf_j = ln(n' / df'_j) + 1, with n' = n + s, df'_j = df_j + s,
 *            s = 1 if smooth_idf else 0 (the "+1" keeps terms present in
 *            every document from being zeroed; sklearn's choice);
 * transform: x_dj = c_dj (1 if binary), x -> 1 + ln x if sublinear_tf,
 *            x *= idf_j if use_idf, then row d divided by
 *            sqrt(sum_j x_dj^2) (l2) or sum_j |x_dj| (l1); zero rows stay.
 * The per-row sums run left to right over ascending columns and divide
 * (not multiply by a reciprocal), as sklearn's inplace_csr_row_normalize_*.
 *
 * Complexity: fit as CountVectorizer plus O(nnz + V); transform O(nnz)
 * after counting, parallel over rows. Thread-safety: immutable once fitted.
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "text/text_internal.h"

struct cml_tfidf {
    cml_tfidf_params p;
    cml_count *count;
    double *idf; /* (n_features), NULL without use_idf */
};

static const cml_param_def tfidf_defs[] = {
    CML_TEXT_COUNT_PARAM_DEFS(cml_tfidf_params, count.),
    {"norm", CML_PARAM_ENUM, "l2", 0, 0, 0, "l2|l1|none",
     "row normalization: unit Euclidean (l2) or Manhattan (l1) norm, or none (sklearn's None)",
     offsetof(cml_tfidf_params, norm)},
    {"use_idf", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "weight counts by inverse document frequency", offsetof(cml_tfidf_params, use_idf)},
    {"smooth_idf", CML_PARAM_BOOL, "true", 0, 0, 0, NULL,
     "add one to document frequencies, as if one extra document held every term",
     offsetof(cml_tfidf_params, smooth_idf)},
    {"sublinear_tf", CML_PARAM_BOOL, "false", 0, 0, 0, NULL, "replace tf with 1 + ln(tf)",
     offsetof(cml_tfidf_params, sublinear_tf)},
};
#define N_TFIDF_DEFS ((int)(sizeof tfidf_defs / sizeof tfidf_defs[0]))

cml_tfidf_params cml_tfidf_params_default(void)
{
    cml_tfidf_params p;
    memset(&p, 0, sizeof p);
    CML_ASSERT(cml_params_init(tfidf_defs, N_TFIDF_DEFS, &p) == CML_OK);
    return p;
}

cml_status cml_tfidf_params_set(cml_tfidf_params *p, const char *key, const char *value)
{
    return cml_params_set(tfidf_defs, N_TFIDF_DEFS, p, key, value);
}

const cml_param_def *cml_tfidf_param_defs(int *n)
{
    if (n) *n = N_TFIDF_DEFS;
    return tfidf_defs;
}

const char *cml_tfidf_params_check(const cml_tfidf_params *p)
{
    static _Thread_local char msg[64];
    const char *m = cml_params_check(tfidf_defs, N_TFIDF_DEFS, p);
    if (m) return m;
    if (p->norm < CML_TFIDF_L2 || p->norm > CML_TFIDF_NONE) {
        snprintf(msg, sizeof msg, "norm must be l2, l1 or none (0..2), got %d", p->norm);
        return msg;
    }
    return cml_count_params_check(&p->count);
}

void cml_tfidf_free(cml_tfidf *m)
{
    if (!m) return;
    cml_count_free(m->count);
    free(m->idf);
    free(m);
}

/* Applies sublinear tf, idf and the row norm to X in place. */
static void weight(const cml_tfidf *m, cml_csr_owned *X)
{
    const cml_tfidf_params *p = &m->p;
    const double *idf = m->idf;
    int64_t rows = X->rows;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (X->nnz > 100000)
    for (int64_t d = 0; d < rows; d++) {
        int64_t a = X->indptr[d], b = X->indptr[d + 1];
        double *x = X->data;
        if (p->sublinear_tf)
            for (int64_t k = a; k < b; k++)
                x[k] = log(x[k]) + 1.0;
        if (idf)
            for (int64_t k = a; k < b; k++)
                x[k] *= idf[X->indices[k]];
        if (p->norm == CML_TFIDF_NONE) continue;
        double s = 0.0;
        if (p->norm == CML_TFIDF_L2) {
            for (int64_t k = a; k < b; k++)
                s += x[k] * x[k];
            if (s == 0.0) continue;
            s = sqrt(s);
        } else {
            for (int64_t k = a; k < b; k++)
                s += fabs(x[k]);
            if (s == 0.0) continue;
        }
        for (int64_t k = a; k < b; k++)
            x[k] /= s;
    }
}

cml_status cml_tfidf_fit_transform(const cml_tfidf_params *p, const char *const *docs, int64_t n,
                                   cml_tfidf **out, cml_csr_owned **X)
{
    *out = NULL;
    if (X) *X = NULL;
    const char *msg = cml_tfidf_params_check(p);
    if (msg) return cml_fail(CML_ERR_ARG, "TfidfVectorizer: %s", msg);
    cml_tfidf *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->p = *p;
    cml_csr_owned *C = NULL;
    cml_status st;
    CML_TRY(cml_count_fit_transform(&p->count, docs, n, &m->count, &C));
    int64_t nf = C->cols;
    if (p->use_idf) {
        m->idf = cml_calloc((size_t)nf, sizeof *m->idf);
        if (!m->idf) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        for (int64_t k = 0; k < C->nnz; k++)
            m->idf[C->indices[k]] += 1.0; /* df */
        double s = p->smooth_idf ? 1.0 : 0.0, ns = (double)n + s;
        for (int64_t j = 0; j < nf; j++)
            m->idf[j] = log(ns / (m->idf[j] + s)) + 1.0;
    }
    if (X) {
        weight(m, C);
        *X = C;
        C = NULL;
    }
    cml_csr_owned_free(C);
    *out = m;
    return CML_OK;
fail:
    cml_csr_owned_free(C);
    cml_tfidf_free(m);
    return st;
}

cml_status cml_tfidf_fit(const cml_tfidf_params *p, const char *const *docs, int64_t n,
                         cml_tfidf **out)
{
    return cml_tfidf_fit_transform(p, docs, n, out, NULL);
}

cml_status cml_tfidf_transform(const cml_tfidf *m, const char *const *docs, int64_t n,
                               cml_csr_owned **X)
{
    CML_CHECK(cml_count_transform(m->count, docs, n, X));
    weight(m, *X);
    return CML_OK;
}

int64_t cml_tfidf_n_features(const cml_tfidf *m)
{
    return cml_count_n_features(m->count);
}

const char *cml_tfidf_feature_name(const cml_tfidf *m, int64_t j)
{
    return cml_count_feature_name(m->count, j);
}

int64_t cml_tfidf_lookup(const cml_tfidf *m, const char *term, size_t len)
{
    return cml_count_lookup(m->count, term, len);
}

const double *cml_tfidf_idf(const cml_tfidf *m)
{
    return m->idf;
}

const cml_tfidf_params *cml_tfidf_get_params(const cml_tfidf *m)
{
    return &m->p;
}

const cml_count *cml_tfidf_counter(const cml_tfidf *m)
{
    return m->count;
}

cml_status cml_tfidf_save(const cml_tfidf *m, cml_gguf_writer *w)
{
    CML_CHECK(cml_gguf_set_str(w, "cml.kind", "tfidf_vectorizer"));
    CML_CHECK(cml_params_save(tfidf_defs, N_TFIDF_DEFS, &m->p, w));
    CML_CHECK(cml_text_save_vocab(m->count, w));
    if (m->idf) CML_CHECK(cml_gguf_add_f64(w, "idf", m->idf, 1, cml_count_n_features(m->count)));
    return CML_OK;
}

cml_status cml_tfidf_load(const cml_gguf *g, cml_tfidf **out)
{
    *out = NULL;
    CML_CHECK(cml_text_check_kind(g, "tfidf_vectorizer"));
    cml_tfidf *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    cml_status st;
    CML_TRY(cml_params_load(tfidf_defs, N_TFIDF_DEFS, &m->p, g));
    const char *msg = cml_tfidf_params_check(&m->p);
    if (msg) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad TfidfVectorizer parameters: %s", cml_gguf_name(g),
                      msg);
        goto fail;
    }
    CML_TRY(cml_text_load_vocab(g, &m->p.count, &m->count));
    if (m->p.use_idf) {
        int64_t nf = cml_count_n_features(m->count);
        m->idf = cml_alloc_array(nf, sizeof *m->idf);
        if (!m->idf) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(cml_gguf_read_f64(g, "idf", 1, nf, m->idf));
        for (int64_t j = 0; j < nf; j++)
            if (!(m->idf[j] >= 1.0) || !isfinite(m->idf[j])) {
                st = cml_fail(CML_ERR_FORMAT, "%s: idf[%lld] = %g is not a finite value >= 1",
                              cml_gguf_name(g), (long long)j, m->idf[j]);
                goto fail;
            }
    }
    *out = m;
    return CML_OK;
fail:
    cml_tfidf_free(m);
    return st;
}

cml_status cml_vectorizer_load(const cml_gguf *g, cml_tfidf **tfidf, cml_count **count)
{
    const char *kind;
    *tfidf = NULL;
    *count = NULL;
    CML_CHECK(cml_gguf_get_str(g, "cml.kind", &kind));
    if (strcmp(kind, "tfidf_vectorizer") == 0) return cml_tfidf_load(g, tfidf);
    if (strcmp(kind, "count_vectorizer") == 0) return cml_count_load(g, count);
    return cml_fail(CML_ERR_FORMAT, "%s: unknown vectorizer kind \"%s\"", cml_gguf_name(g), kind);
}
