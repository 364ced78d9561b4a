/*
 * discrete_nb.c — the machinery shared by MultinomialNB, ComplementNB and
 * BernoulliNB (scikit-learn 1.2's _BaseDiscreteNB); the estimator entries
 * are multinomial_nb.c, complement_nb.c and bernoulli_nb.c.
 *
 * Sufficient statistics (additive, so partial_fit in chunks equals fit):
 *   N_c = sum_{i: y_i = c} w_i,   F_cj = sum_{i: y_i = c} w_i x_ij
 * (Bernoulli: x binarized as x > binarize first). With alpha' = max(alpha,
 * 1e-10) unless force_alpha:
 *   multinomial  theta_cj = log((F_cj + a) / sum_j (F_cj + a))
 *                jll_c(x) = x . theta_c + log P(c)
 *   complement   (Rennie et al., ICML 2003, sec. 3.1 and 3.3)
 *                w_cj = -log((A_j + a - F_cj) / sum_j (A_j + a - F_cj)),
 *                A_j = sum_c F_cj; with norm, w_cj = log(..) / sum_j log(..)
 *                jll_c(x) = x . w_c (+ log P(c) with a single class)
 *   bernoulli    theta_cj = log((F_cj + a) / (N_c + 2a)),
 *                jll_c(x) = x . (theta_c - log(1 - e^theta_c))
 *                           + log P(c) + sum_j log(1 - e^theta_cj)
 *   log P(c) = log(class_prior_c), or log(N_c / sum N) with fit_prior, or
 *   -log C.
 * Reductions over features use numpy's pairwise order; jll = X W' is one
 * dgemm, as sklearn's safe_sparse_dot.
 *
 * Sparse (CSR) input: fit and predict touch the stored entries only.
 * Cost: fit O(n d), predict O(n C d) (sparse: O(nnz) and O(nnz C)).
 * Thread-safety: predict is read-only.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "bayes/nb_internal.h"
#include "core/strbuf.h"
#include "neighbors/labels.h"

struct cml_discrete_nb {
    cml_discrete_nb_kind kind;
    cml_discrete_nb_params params;
    int64_t C, d;
    double *classes;       /* (C) */
    double *class_count;   /* (C) N_c */
    double *feature_count; /* (C, d) F_cj */
    double *flp;           /* (C, d) feature_log_prob_ */
    double *clp;           /* (C) class_log_prior_ */
    double *jll_w;         /* (C, d) weights of jll = X jll_w' + jll_b */
    double *jll_b;         /* (C) */
};

static const char *kind_name(cml_discrete_nb_kind k)
{
    static const char *names[] = {"multinomial_nb", "complement_nb", "bernoulli_nb"};
    return names[k];
}

void cml_discrete_nb_free(cml_discrete_nb *m)
{
    if (!m) return;
    free(m->classes);
    free(m->class_count);
    free(m->feature_count);
    free(m->flp);
    free(m->clp);
    free(m->jll_w);
    free(m->jll_b);
    free(m);
}

const char *cml_discrete_nb_params_check(cml_discrete_nb_kind kind, const cml_discrete_nb_params *p)
{
    if ((int)kind < CML_NB_MULTINOMIAL || kind > CML_NB_BERNOULLI)
        return "unknown naive Bayes kind";
    if (!(p->alpha >= 0.0) || isinf(p->alpha)) return "alpha must be a finite number >= 0";
    if (!isfinite(p->binarize)) return "binarize must be finite";
    double *v;
    int64_t n;
    if (nb_parse_list(p->class_prior, "class_prior", &v, &n) != CML_OK)
        return "class_prior must be comma-separated numbers, one per class";
    free(v);
    return NULL;
}

static cml_status new_model(cml_discrete_nb_kind kind, const cml_discrete_nb_params *p,
                            const double *classes, int64_t C, int64_t d, cml_discrete_nb **out)
{
    *out = NULL;
    cml_discrete_nb *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->kind = kind;
    m->params = *p;
    m->C = C;
    m->d = d;
    m->classes = cml_alloc_array(C, sizeof(double));
    m->class_count = cml_calloc((size_t)C, sizeof(double));
    m->feature_count = cml_calloc((size_t)(C * d), sizeof(double));
    m->flp = cml_alloc_array(C * d, sizeof(double));
    m->clp = cml_alloc_array(C, sizeof(double));
    m->jll_w = cml_alloc_array(C * d, sizeof(double));
    m->jll_b = cml_alloc_array(C, sizeof(double));
    if (!m->classes || !m->class_count || !m->feature_count || !m->flp || !m->clp || !m->jll_w ||
        !m->jll_b) {
        cml_discrete_nb_free(m);
        return CML_ERR_NOMEM;
    }
    memcpy(m->classes, classes, (size_t)C * sizeof(double));
    *out = m;
    return CML_OK;
}

/* feature_log_prob_, class_log_prior_ and the jll weights from the counts
 * (sklearn's _update_feature_log_prob and _update_class_log_prior). */
static cml_status update_probs(cml_discrete_nb *m)
{
    int64_t C = m->C, d = m->d;
    const cml_discrete_nb_params *p = &m->params;
    double a = p->alpha < 1e-10 && !p->force_alpha ? 1e-10 : p->alpha; /* _check_alpha */
    double *row = cml_alloc_array(d, sizeof(double));
    double *all = cml_calloc((size_t)d, sizeof(double));
    if (!row || !all) {
        free(row);
        free(all);
        return CML_ERR_NOMEM;
    }
    if (m->kind == CML_NB_COMPLEMENT) /* feature_all_ = feature_count_.sum(axis=0) */
        for (int64_t c = 0; c < C; c++)
            for (int64_t j = 0; j < d; j++)
                all[j] += m->feature_count[c * d + j];
    for (int64_t c = 0; c < C; c++) {
        const double *fc = m->feature_count + c * d;
        double *flp = m->flp + c * d;
        switch (m->kind) {
        case CML_NB_MULTINOMIAL: {
            for (int64_t j = 0; j < d; j++)
                row[j] = fc[j] + a;
            double lcc = log(cml_np_sum(row, d));
            for (int64_t j = 0; j < d; j++)
                flp[j] = log(row[j]) - lcc;
            break;
        }
        case CML_NB_COMPLEMENT: {
            for (int64_t j = 0; j < d; j++)
                row[j] = all[j] + a - fc[j];
            double tot = cml_np_sum(row, d);
            for (int64_t j = 0; j < d; j++)
                flp[j] = log(row[j] / tot);
            if (p->norm) {
                double summed = cml_np_sum(flp, d);
                for (int64_t j = 0; j < d; j++)
                    flp[j] /= summed;
            } else {
                for (int64_t j = 0; j < d; j++)
                    flp[j] = -flp[j];
            }
            break;
        }
        case CML_NB_BERNOULLI: {
            double lcc = log(m->class_count[c] + a * 2);
            for (int64_t j = 0; j < d; j++)
                flp[j] = log(fc[j] + a) - lcc;
            break;
        }
        }
    }
    free(all);

    double *prior;
    int64_t np_;
    cml_status st = nb_parse_list(p->class_prior, "class_prior", &prior, &np_);
    if (st != CML_OK) {
        free(row);
        return st;
    }
    if (np_ > 0) {
        for (int64_t c = 0; c < C; c++)
            m->clp[c] = log(prior[c]);
    } else if (p->fit_prior) {
        double lt = log(cml_np_sum(m->class_count, C));
        for (int64_t c = 0; c < C; c++)
            m->clp[c] = log(m->class_count[c]) - lt;
    } else {
        for (int64_t c = 0; c < C; c++)
            m->clp[c] = -log((double)C);
    }
    free(prior);

    for (int64_t c = 0; c < C; c++) {
        const double *flp = m->flp + c * d;
        double *w = m->jll_w + c * d;
        if (m->kind == CML_NB_BERNOULLI) {
            for (int64_t j = 0; j < d; j++) {
                row[j] = log(1.0 - exp(flp[j])); /* neg_prob */
                w[j] = flp[j] - row[j];
            }
            m->jll_b[c] = m->clp[c] + cml_np_sum(row, d);
        } else {
            memcpy(w, flp, (size_t)d * sizeof(double));
            m->jll_b[c] = m->kind == CML_NB_MULTINOMIAL || C == 1 ? m->clp[c] : 0.0;
        }
    }
    free(row);
    return CML_OK;
}

/* X >= 0 for the multinomial and complement models (sklearn's
 * check_non_negative); exactly one of X (dense) and S (CSR) is given. */
static cml_status check_non_negative(const cml_discrete_nb *m, const cml_matrix *X,
                                     const cml_csr *S)
{
    if (m->kind == CML_NB_BERNOULLI) return CML_OK;
    int64_t n = X ? X->rows : S->rows;
    for (int64_t i = 0; i < n; i++) {
        int64_t k0 = X ? 0 : S->indptr[i], k1 = X ? X->cols : S->indptr[i + 1];
        for (int64_t k = k0; k < k1; k++) {
            double v = X ? cml_matrix_row(X, i)[k] : S->data[k];
            if (v < 0.0)
                return cml_fail(CML_ERR_ARG,
                                "%s: negative value %.17g at X row %lld, column %lld; the "
                                "model needs counts or frequencies (X >= 0)",
                                kind_name(m->kind), v, (long long)i + 1,
                                (long long)(X ? k : S->indices[k]) + 1);
        }
    }
    return CML_OK;
}

/* Row chunks of the dense count pass: a fixed number (not one per thread),
 * each with its own partial counts added in chunk order, so F is the same
 * sum whatever the thread count; fewer when the partials would be large. */
#define COUNT_CHUNKS 8

/* Dense batch counts in one pass over X, which also checks it (finite;
 * >= 0 unless Bernoulli): rows in fixed chunks, streamed through
 * vectorizable loops. The batch sums are added to the counts only when X
 * is valid (m unchanged on error), as sklearn's feature_count_ += Y'X. */
static cml_status dense_counts(cml_discrete_nb *m, const cml_matrix *X, const int32_t *codes,
                               const double *sw)
{
    int64_t n = X->rows, d = m->d, C = m->C;
    int64_t n_ch = C * d > (1 << 20) ? 1 : CML_MIN(COUNT_CHUNKS, n);
    int bern = m->kind == CML_NB_BERNOULLI, bad = 0;
    double thr = m->params.binarize;
    double *P = cml_calloc((size_t)(n_ch * C * d), sizeof(double));
    if (!P) return CML_ERR_NOMEM;
#pragma omp parallel for schedule(static, 1) reduction(|                                           \
                                                       : bad)                                      \
    CML_OMP_THREADS if (n * d > (1 << 16))
    for (int64_t ch = 0; ch < n_ch; ch++) {
        double *Pc = P + ch * C * d;
        for (int64_t i = n * ch / n_ch; i < n * (ch + 1) / n_ch; i++) {
            const double *restrict x = cml_matrix_row(X, i);
            double *restrict f = Pc + (int64_t)codes[i] * d;
            double w = sw ? sw[i] : 1.0;
            int b = 0;
            if (bern) {
                for (int64_t j = 0; j < d; j++) {
                    b |= !isfinite(x[j]);
                    f[j] += x[j] > thr ? w : 0.0;
                }
            } else {
                for (int64_t j = 0; j < d; j++) {
                    b |= !(x[j] >= 0.0) | (x[j] > DBL_MAX); /* negative, NaN or inf */
                    f[j] += w * x[j];
                }
            }
            bad |= b;
        }
    }
    cml_status st = CML_OK;
    if (bad) { /* the slow checks name the first bad cell */
        st = cml_matrix_check(X, "X", 0);
        if (st == CML_OK) st = check_non_negative(m, X, NULL);
    } else {
        for (int64_t ch = 1; ch < n_ch; ch++)
            for (int64_t k = 0; k < C * d; k++)
                P[k] += P[ch * C * d + k];
        for (int64_t k = 0; k < C * d; k++)
            m->feature_count[k] += P[k];
        for (int64_t i = 0; i < n; i++)
            m->class_count[codes[i]] += sw ? sw[i] : 1.0;
    }
    free(P);
    return st;
}

/* One batch (sklearn's partial_fit body) over dense X or CSR S (one of
 * them NULL). m is unchanged on error. The sparse sums add the stored
 * entries of each row in row order, the dense ones every entry: the
 * implicit zeros add nothing, so both give the same counts. */
static cml_status partial_fit_into(cml_discrete_nb *m, const cml_matrix *X, const cml_csr *S,
                                   const double *y, const double *sw)
{
    const char *who = kind_name(m->kind);
    int64_t n = X ? X->rows : S->rows, d = m->d, C = m->C;
    int64_t cols = X ? X->cols : S->cols;
    if (cols != d)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but earlier batches had %lld", who,
                        (long long)cols, (long long)d);
    if (S) CML_CHECK(check_non_negative(m, NULL, S));
    double thr = m->params.binarize;
    if (S && m->kind == CML_NB_BERNOULLI && thr < 0.0)
        return cml_fail(CML_ERR_ARG,
                        "%s: binarize = %g < 0 would turn every implicit zero of sparse X into 1 "
                        "(scikit-learn refuses it too). HINT: use binarize >= 0 or dense X",
                        who, thr);
    double *prior;
    int64_t np_;
    CML_CHECK(nb_parse_list(m->params.class_prior, "class_prior", &prior, &np_));
    free(prior);
    if (np_ > 0 && np_ != C)
        return cml_fail(CML_ERR_ARG, "%s: %lld class_prior values given for %lld classes", who,
                        (long long)np_, (long long)C);
    int32_t *codes = cml_alloc_array(n, sizeof(int32_t));
    if (!codes) return CML_ERR_NOMEM;
    cml_status st = nb_encode_y(y, n, m->classes, C, codes);
    if (st != CML_OK) {
        free(codes);
        return st;
    }
    if (X) {
        st = dense_counts(m, X, codes, sw);
        free(codes);
        return st == CML_OK ? update_probs(m) : st;
    }
    for (int64_t i = 0; i < n; i++) {
        double w = sw ? sw[i] : 1.0;
        double *fc = m->feature_count + (int64_t)codes[i] * d;
        m->class_count[codes[i]] += w;
        if (S) {
            for (int64_t k = S->indptr[i]; k < S->indptr[i + 1]; k++)
                fc[S->indices[k]] +=
                    m->kind == CML_NB_BERNOULLI ? (S->data[k] > thr ? w : 0.0) : w * S->data[k];
            continue;
        }
        const double *x = cml_matrix_row(X, i);
        if (m->kind == CML_NB_BERNOULLI)
            for (int64_t j = 0; j < d; j++)
                fc[j] += x[j] > thr ? w : 0.0;
        else
            for (int64_t j = 0; j < d; j++)
                fc[j] += w * x[j];
    }
    free(codes);
    return update_probs(m);
}

cml_status nb_discrete_partial_fit(cml_discrete_nb_kind kind, cml_discrete_nb **model,
                                   const cml_discrete_nb_params *p, const cml_matrix *X,
                                   const double *y, const double *sw, const double *classes,
                                   int64_t n_classes)
{
    const char *who = kind_name(kind);
    /* shape and target here; X's values are checked in the count pass */
    CML_CHECK(cml_matrix_check(X, "X", 1));
    CML_CHECK(nb_check_target(X->rows, y, sw, who));
    if (*model) {
        if ((*model)->kind != kind)
            return cml_fail(CML_ERR_ARG, "%s partial_fit given a %s model", who,
                            kind_name((*model)->kind));
        CML_CHECK(nb_classes_again(classes, n_classes, (*model)->classes, (*model)->C));
        return partial_fit_into(*model, X, NULL, y, sw);
    }
    if (!p) return cml_fail(CML_ERR_ARG, "%s: params are needed on the first partial_fit", who);
    const char *msg = cml_discrete_nb_params_check(kind, p);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", who, msg);
    double *cls;
    int64_t C;
    CML_CHECK(nb_classes_first(classes, n_classes, &cls, &C));
    cml_discrete_nb *m;
    cml_status st = new_model(kind, p, cls, C, X->cols, &m);
    free(cls);
    CML_CHECK(st);
    st = partial_fit_into(m, X, NULL, y, sw);
    if (st != CML_OK) {
        cml_discrete_nb_free(m);
        return st;
    }
    *model = m;
    return CML_OK;
}

cml_status nb_discrete_fit(cml_discrete_nb_kind kind, const cml_discrete_nb_params *p,
                           const cml_matrix *X, const double *y, const double *sw,
                           cml_discrete_nb **out)
{
    *out = NULL;
    CML_CHECK(cml_matrix_check(X, "X", 1));
    CML_CHECK(nb_check_target(X->rows, y, sw, kind_name(kind)));
    double *cls;
    int64_t C;
    CML_CHECK(cml_labels_encode(y, X->rows, &cls, &C, NULL));
    cml_status st = nb_discrete_partial_fit(kind, out, p, X, y, sw, cls, C);
    free(cls);
    return st;
}

/* Sparse fit: classes from y, then one batch over the CSR rows. */
cml_status nb_discrete_fit_csr(cml_discrete_nb_kind kind, const cml_discrete_nb_params *p,
                               const cml_csr *X, const double *y, const double *sw,
                               cml_discrete_nb **out)
{
    *out = NULL;
    const char *who = kind_name(kind);
    CML_CHECK(cml_csr_check(X, "X"));
    for (int64_t k = 0; k < X->nnz; k++)
        if (!isfinite(X->data[k]))
            return cml_fail(CML_ERR_ARG, "%s: X has a non-finite value (stored entry %lld)", who,
                            (long long)k);
    CML_CHECK(nb_check_target(X->rows, y, sw, who));
    if (!p) return cml_fail(CML_ERR_ARG, "%s: params are NULL", who);
    const char *msg = cml_discrete_nb_params_check(kind, p);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", who, msg);
    double *cls;
    int64_t C;
    CML_CHECK(cml_labels_encode(y, X->rows, &cls, &C, NULL));
    cml_discrete_nb *m;
    cml_status st = new_model(kind, p, cls, C, X->cols, &m);
    free(cls);
    CML_CHECK(st);
    st = partial_fit_into(m, NULL, X, y, sw);
    if (st != CML_OK) {
        cml_discrete_nb_free(m);
        return st;
    }
    *out = m;
    return CML_OK;
}

cml_status cml_discrete_nb_fit_csr(cml_discrete_nb_kind kind, const cml_discrete_nb_params *p,
                                   const cml_csr *X, const double *y, const double *sample_weight,
                                   cml_discrete_nb **out)
{
    if ((int)kind < CML_NB_MULTINOMIAL || kind > CML_NB_BERNOULLI) {
        *out = NULL;
        return cml_fail(CML_ERR_ARG, "unknown naive Bayes kind %d", (int)kind);
    }
    return nb_discrete_fit_csr(kind, p, X, y, sample_weight, out);
}

/* ---------------------------------------------------------------- predict */

/* jll of CSR rows: out[i, c] = sum over the stored entries, in column
 * order, of x_ij w_cj, plus b_c (scipy's CSR x dense product, as sklearn's
 * safe_sparse_dot on sparse X). Bernoulli binarizes the stored entries;
 * implicit zeros stay 0 (binarize >= 0 is checked at fit). */
static cml_status jll_csr(const cml_discrete_nb *m, const cml_csr *S, double *out)
{
    int64_t C = m->C, d = m->d;
    const char *who = kind_name(m->kind);
    CML_CHECK(cml_csr_check(S, "X"));
    if (S->cols != d)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but the model was fitted with %lld",
                        who, (long long)S->cols, (long long)d);
    for (int64_t k = 0; k < S->nnz; k++)
        if (!isfinite(S->data[k]))
            return cml_fail(CML_ERR_ARG, "%s: X has a non-finite value (stored entry %lld)", who,
                            (long long)k);
    int bern = m->kind == CML_NB_BERNOULLI;
    double thr = m->params.binarize;
#pragma omp parallel for schedule(static) CML_OMP_THREADS if (S->nnz * C > (1 << 18))
    for (int64_t i = 0; i < S->rows; i++) {
        double *r = out + i * C;
        for (int64_t c = 0; c < C; c++) {
            const double *w = m->jll_w + c * d;
            double acc = 0.0;
            for (int64_t k = S->indptr[i]; k < S->indptr[i + 1]; k++) {
                double x = bern ? (S->data[k] > thr ? 1.0 : 0.0) : S->data[k];
                acc += x * w[S->indices[k]];
            }
            r[c] = acc + m->jll_b[c];
        }
    }
    return CML_OK;
}

cml_status cml_discrete_nb_joint_log_likelihood_csr(const cml_discrete_nb *m, const cml_csr *X,
                                                    double *out)
{
    return jll_csr(m, X, out);
}

cml_status cml_discrete_nb_predict_log_proba_csr(const cml_discrete_nb *m, const cml_csr *X,
                                                 double *out)
{
    CML_CHECK(jll_csr(m, X, out));
    nb_log_normalize(out, X->rows, m->C);
    return CML_OK;
}

cml_status cml_discrete_nb_predict_proba_csr(const cml_discrete_nb *m, const cml_csr *X,
                                             double *out)
{
    CML_CHECK(cml_discrete_nb_predict_log_proba_csr(m, X, out));
    for (int64_t i = 0; i < X->rows * m->C; i++)
        out[i] = exp(out[i]);
    return CML_OK;
}

cml_status cml_discrete_nb_predict_csr(const cml_discrete_nb *m, const cml_csr *X, double *out)
{
    CML_CHECK(cml_csr_check(X, "X"));
    double *j = cml_alloc_array(X->rows * m->C, sizeof(double));
    if (!j) return CML_ERR_NOMEM;
    cml_status st = jll_csr(m, X, j);
    if (st == CML_OK) nb_argmax_classes(j, X->rows, m->classes, m->C, out);
    free(j);
    return st;
}

/* Rows per dgemm of the dense jll: fixed blocks (not one per thread), each
 * a single-threaded BLAS call inside our parallel loop, so the numbers do
 * not depend on the thread count and no BLAS thread pool competes with
 * OpenMP's. */
#define JLL_ROWS 512

static cml_status jll(const void *model, const cml_matrix *X, double *out)
{
    const cml_discrete_nb *m = model;
    int64_t C = m->C, d = m->d, n = X->rows, n_blk = (n + JLL_ROWS - 1) / JLL_ROWS;
    const char *who = kind_name(m->kind);
    /* Shape only up front: a NaN or inf in X always makes its jll row
     * non-finite (NaN * w = NaN, inf * w = +-inf or NaN for any w, and BLAS
     * multiplies every entry), so X's values are scanned only when the
     * (n, C) output shows one: one pass over X fewer. */
    CML_CHECK(nb_check_X_shape(X, d, who));
    int bern = m->kind == CML_NB_BERNOULLI, failed = 0, finite = 1;
    double thr = m->params.binarize;
#pragma omp parallel CML_OMP_THREADS if (n_blk > 1)
    {
        /* Bernoulli: this block's rows binarized */
        double *bin = bern ? malloc((size_t)(CML_MIN(n, JLL_ROWS) * d) * sizeof(double)) : NULL;
        if (bern && !bin) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1) reduction(& : finite)
        for (int64_t b = 0; b < n_blk; b++) {
            if (bern && !bin) continue;
            int64_t r0 = b * JLL_ROWS, rows = CML_MIN(JLL_ROWS, n - r0);
            const double *A = cml_matrix_row(X, r0);
            int64_t lda = X->ld;
            if (bern) {
                for (int64_t i = 0; i < rows; i++) {
                    const double *x = cml_matrix_row(X, r0 + i);
                    for (int64_t j = 0; j < d; j++) /* binarizing would hide NaN / inf */
                        bin[i * d + j] = isfinite(x[j]) ? (x[j] > thr ? 1.0 : 0.0) : x[j];
                }
                A = bin;
                lda = d;
            }
            double *o = out + r0 * C;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)C, (int)d, 1.0, A,
                        (int)lda, m->jll_w, (int)d, 0.0, o, (int)C);
            for (int64_t i = 0; i < rows; i++)
                for (int64_t c = 0; c < C; c++) {
                    o[i * C + c] += m->jll_b[c];
                    finite &= isfinite(o[i * C + c]) != 0;
                }
        }
        free(bin);
    }
    if (failed) return cml_fail(CML_ERR_NOMEM, "%s: out of memory in predict", who);
    if (!finite) return nb_check_X(X, d, who); /* names a bad cell, if any */
    return CML_OK;
}

cml_status cml_discrete_nb_joint_log_likelihood(const cml_discrete_nb *m, const cml_matrix *X,
                                                double *out)
{
    return jll(m, X, out);
}
cml_status cml_discrete_nb_predict(const cml_discrete_nb *m, const cml_matrix *X, double *out)
{
    return nb_predict(m, jll, m->classes, m->C, X, out);
}
cml_status cml_discrete_nb_predict_proba(const cml_discrete_nb *m, const cml_matrix *X, double *out)
{
    return nb_predict_proba(m, jll, m->C, X, out);
}
cml_status cml_discrete_nb_predict_log_proba(const cml_discrete_nb *m, const cml_matrix *X,
                                             double *out)
{
    return nb_predict_log_proba(m, jll, m->C, X, out);
}

cml_discrete_nb_kind cml_discrete_nb_kind_of(const cml_discrete_nb *m)
{
    return m->kind;
}
int64_t cml_discrete_nb_n_classes(const cml_discrete_nb *m)
{
    return m->C;
}
int64_t cml_discrete_nb_n_features(const cml_discrete_nb *m)
{
    return m->d;
}
const double *cml_discrete_nb_classes(const cml_discrete_nb *m)
{
    return m->classes;
}
const double *cml_discrete_nb_class_count(const cml_discrete_nb *m)
{
    return m->class_count;
}
const double *cml_discrete_nb_feature_count(const cml_discrete_nb *m)
{
    return m->feature_count;
}
const double *cml_discrete_nb_feature_log_prob(const cml_discrete_nb *m)
{
    return m->flp;
}
const double *cml_discrete_nb_class_log_prior(const cml_discrete_nb *m)
{
    return m->clp;
}

/* ---------------------------------------------------------------- vtable */

cml_status nb_discrete_vt_predict(const void *s, const cml_matrix *X, double *out)
{
    return cml_discrete_nb_predict(s, X, out);
}
cml_status nb_discrete_vt_predict_proba(const void *s, const cml_matrix *X, double *out)
{
    return cml_discrete_nb_predict_proba(s, X, out);
}
cml_status nb_discrete_vt_predict_csr(const void *s, const cml_csr *X, double *out)
{
    return cml_discrete_nb_predict_csr(s, X, out);
}
cml_status nb_discrete_vt_predict_proba_csr(const void *s, const cml_csr *X, double *out)
{
    return cml_discrete_nb_predict_proba_csr(s, X, out);
}
int64_t nb_discrete_vt_classes(const void *s, const double **classes)
{
    const cml_discrete_nb *m = s;
    *classes = m->classes;
    return m->C;
}
int64_t nb_discrete_vt_n_features_in(const void *s)
{
    return ((const cml_discrete_nb *)s)->d;
}
void nb_discrete_vt_free(void *s)
{
    cml_discrete_nb_free(s);
}

/* Saved: classes and the counts; the log-probabilities are recomputed on
 * load by the same code, so predictions after load are bit-identical. */
cml_status nb_discrete_vt_save(const void *s, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_discrete_nb *m = s;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", m->C));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->d));
    CML_CHECK(cml_gguf_add_f64(w, "classes", m->classes, 1, m->C));
    CML_CHECK(cml_gguf_add_f64(w, "class_count", m->class_count, 1, m->C));
    return cml_gguf_add_f64(w, "feature_count", m->feature_count, m->C, m->d);
}

cml_status nb_discrete_vt_load(cml_discrete_nb_kind kind, const cml_gguf *g, const void *params,
                               void **state)
{
    *state = NULL;
    int64_t C, d;
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_classes", &C));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features", &d));
    if (C < 1 || d < 1 || C > INT32_MAX || d > INT32_MAX)
        return cml_fail(CML_ERR_FORMAT, "%s: bad %s shape (%lld classes, %lld features)",
                        cml_gguf_name(g), kind_name(kind), (long long)C, (long long)d);
    /* shapes before sizes (overflow-safe): C * d is then bounded by the file */
    CML_CHECK(cml_gguf_expect(g, "class_count", CML_GGUF_T_F64, 1, C));
    CML_CHECK(cml_gguf_expect(g, "feature_count", CML_GGUF_T_F64, C, d));
    /* update_probs reads one class_prior per class */
    const cml_discrete_nb_params *p = params;
    double *prior;
    int64_t np_;
    cml_status pst = nb_parse_list(p->class_prior, "class_prior", &prior, &np_);
    free(prior);
    if (pst != CML_OK || (np_ > 0 && np_ != C))
        return cml_fail(CML_ERR_FORMAT, "%s: %s: class_prior does not give one value per class",
                        cml_gguf_name(g), kind_name(kind));
    double *cls;
    CML_CHECK(nb_read_f64(g, "classes", 1, C, &cls));
    cml_discrete_nb *m;
    cml_status st = new_model(kind, params, cls, C, d, &m);
    free(cls);
    CML_CHECK(st);
    CML_TRY(cml_gguf_read_f64(g, "class_count", 1, C, m->class_count));
    CML_TRY(cml_gguf_read_f64(g, "feature_count", C, d, m->feature_count));
    for (int64_t c = 1; c < C; c++)
        if (!(m->classes[c] > m->classes[c - 1])) {
            st = cml_fail(CML_ERR_FORMAT, "%s: classes not ascending", cml_gguf_name(g));
            goto fail;
        }
    CML_TRY(update_probs(m));
    *state = m;
    return CML_OK;
fail:
    cml_discrete_nb_free(m);
    return st;
}

char *nb_discrete_vt_describe(const void *s)
{
    const cml_discrete_nb *m = s;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"class_count\":");
    cml_sb_json_arr(&sb, m->class_count, m->C);
    cml_sb_puts(&sb, ",\"class_log_prior\":");
    cml_sb_json_arr(&sb, m->clp, m->C);
    cml_sb_puts(&sb, ",\"feature_log_prob\":");
    cml_sb_json_arr(&sb, m->flp, m->C * m->d);
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}
