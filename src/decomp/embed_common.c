/*
 * embed_common.c — shared machinery of t-SNE and UMAP (see embed_common.h)
 * and the trustworthiness score (cml/embed.h).
 *
 * Perplexity search: for row i, p_j = exp(-d_j beta) / Z with entropy
 * H = log Z + beta sum_j d_j p_j; bisection on beta until |H - log(perp)|
 * <= 1e-5, exactly the steps of sklearn's _binary_search_perplexity (start
 * beta = 1, double until bracketed, at most 100 steps), in double precision
 * (sklearn rounds the distances to float32 first).
 *
 * Trustworthiness (Venna & Kaski 2001, sklearn's formula): for each i the k
 * nearest neighbours in the embedding (exact, through the shared index) and
 * their ranks among i's neighbours in X, counted from exact squared
 * distances: rank(j) = 1 + #{l != i: d(i,l) < d(i,j)} + #{l < j: d(i,l) =
 * d(i,j)}. O(n^2 p) time, O(n) scratch per thread, parallel over rows with a
 * fixed-order final sum.
 *
 * Thread-safety: all functions are reentrant.
 */
#include <math.h>
#include <string.h>

#include "decomp/embed_common.h"

/* ---------------------------------------------------------------- kNN */

cml_nn_params cml_embed_nn_params(cml_embed_metric metric, int64_t k)
{
    cml_nn_params p = cml_nn_params_default();
    p.metric = metric == CML_EMBED_COSINE      ? CML_NN_COSINE
               : metric == CML_EMBED_MANHATTAN ? CML_NN_MANHATTAN
                                               : CML_NN_EUCLIDEAN;
    p.n_neighbors = k > INT32_MAX ? INT32_MAX : (int)k;
    return p;
}

cml_status cml_embed_knn_self(const cml_matrix *X, cml_embed_metric metric, int64_t k, double *dist,
                              int64_t *idx, cml_nn_index **ix_out)
{
    cml_nn_params np = cml_embed_nn_params(metric, k + 1);
    cml_nn_index *ix = NULL;
    CML_CHECK(cml_nn_index_build(&np, X, &ix));
    cml_status st = cml_nn_index_kneighbors_self(ix, k, dist, idx);
    if (st != CML_OK || !ix_out) {
        cml_nn_index_free(ix);
        ix = NULL;
    }
    if (ix_out) *ix_out = ix;
    return st;
}

/* ---------------------------------------------------------------- CSR */

void cml_embed_csr_free(cml_embed_csr *A)
{
    if (!A) return;
    free(A->indptr);
    free(A->col);
    free(A->val);
    memset(A, 0, sizeof *A);
}

/* Insertion sort of a short row by column (k is at most a few hundred). */
static void sort_row(int64_t *col, double *val, int64_t len)
{
    for (int64_t a = 1; a < len; a++) {
        int64_t c = col[a];
        double v = val[a];
        int64_t b = a - 1;
        while (b >= 0 && col[b] > c) {
            col[b + 1] = col[b];
            val[b + 1] = val[b];
            b--;
        }
        col[b + 1] = c;
        val[b + 1] = v;
    }
}

static double combine(cml_embed_symm mode, double a, double at)
{
    return mode == CML_EMBED_SYMM_SUM ? a + at : a + at - a * at;
}

cml_status cml_embed_symmetrize(int64_t n, int64_t k, const int64_t *idx, const double *val,
                                cml_embed_symm mode, cml_embed_csr *out)
{
    cml_status st = CML_OK;
    memset(out, 0, sizeof *out);
    int64_t nnz = n * k;
    /* A: rows sorted by column. T = A^T by counting sort on the column, so
     * each row of T is ascending too (rows of A are visited in order). */
    int64_t *acol = cml_alloc_array(nnz, sizeof(int64_t));
    double *aval = cml_alloc_array(nnz, sizeof(double));
    int64_t *tptr = cml_calloc((size_t)n + 1, sizeof(int64_t));
    int64_t *tcol = cml_alloc_array(nnz, sizeof(int64_t));
    double *tval = cml_alloc_array(nnz, sizeof(double));
    int64_t *fill = cml_alloc_array(n, sizeof(int64_t));
    out->indptr = cml_calloc((size_t)n + 1, sizeof(int64_t));
    if (!acol || !aval || !tptr || !tcol || !tval || !fill || !out->indptr) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    memcpy(acol, idx, sizeof(int64_t) * (size_t)nnz);
    memcpy(aval, val, sizeof(double) * (size_t)nnz);
    for (int64_t i = 0; i < n; i++)
        sort_row(acol + i * k, aval + i * k, k);
    for (int64_t e = 0; e < nnz; e++)
        tptr[acol[e] + 1]++;
    for (int64_t i = 0; i < n; i++)
        tptr[i + 1] += tptr[i];
    memcpy(fill, tptr, sizeof(int64_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        for (int64_t a = 0; a < k; a++) {
            int64_t e = fill[acol[i * k + a]]++;
            tcol[e] = i;
            tval[e] = aval[i * k + a];
        }
    /* Two passes over the merged rows: count, then fill. */
    for (int pass = 0; pass < 2; pass++) {
        int64_t w = 0;
        for (int64_t i = 0; i < n; i++) {
            int64_t a = i * k, ae = a + k, t = tptr[i], te = tptr[i + 1];
            while (a < ae || t < te) {
                int64_t c;
                double va = 0.0, vt = 0.0;
                if (t >= te || (a < ae && acol[a] < tcol[t])) {
                    c = acol[a];
                    va = aval[a++];
                } else if (a >= ae || tcol[t] < acol[a]) {
                    c = tcol[t];
                    vt = tval[t++];
                } else {
                    c = acol[a];
                    va = aval[a++];
                    vt = tval[t++];
                }
                double v = combine(mode, va, vt);
                if (v == 0.0) continue;
                if (pass == 1) {
                    out->col[w] = c;
                    out->val[w] = v;
                }
                w++;
            }
            if (pass == 0) out->indptr[i + 1] = w;
        }
        if (pass == 0) {
            out->col = cml_alloc_array(CML_MAX(w, 1), sizeof(int64_t));
            out->val = cml_alloc_array(CML_MAX(w, 1), sizeof(double));
            if (!out->col || !out->val) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
        }
    }
    out->n = n;
    goto done;
fail:
    cml_embed_csr_free(out);
done:
    free(acol);
    free(aval);
    free(tptr);
    free(tcol);
    free(tval);
    free(fill);
    return st;
}

/* ---------------------------------------------------------------- perplexity */

void cml_embed_perplexity_search(const double *sqdist, int64_t n, int64_t k, double perplexity,
                                 double *P)
{
    const int n_steps = 100;
    const double tol = 1e-5;
    const double desired_entropy = log(perplexity);
    const int all_points = k >= n; /* dense rows: skip the diagonal */
#pragma omp parallel for schedule(static) CML_OMP_THREADS
    for (int64_t i = 0; i < n; i++) {
        const double *d = sqdist + i * k;
        double *p = P + i * k;
        double beta_min = -INFINITY, beta_max = INFINITY, beta = 1.0;
        for (int step = 0; step < n_steps; step++) {
            double sum_p = 0.0;
            for (int64_t j = 0; j < k; j++) {
                p[j] = (all_points && j == i) ? 0.0 : exp(-d[j] * beta);
                sum_p += p[j];
            }
            if (sum_p == 0.0) sum_p = 1e-8; /* sklearn's EPSILON_DBL */
            double sum_dp = 0.0;
            for (int64_t j = 0; j < k; j++) {
                p[j] /= sum_p;
                sum_dp += d[j] * p[j];
            }
            double diff = log(sum_p) + beta * sum_dp - desired_entropy;
            if (fabs(diff) <= tol) break;
            if (diff > 0.0) {
                beta_min = beta;
                beta = beta_max == INFINITY ? beta * 2.0 : (beta + beta_max) / 2.0;
            } else {
                beta_max = beta;
                beta = beta_min == -INFINITY ? beta / 2.0 : (beta + beta_min) / 2.0;
            }
        }
    }
}

/* ---------------------------------------------------------------- hashing */

uint64_t cml_embed_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t cml_embed_fingerprint(const cml_matrix *X)
{
    uint64_t h = cml_embed_mix((uint64_t)X->rows) ^ cml_embed_mix((uint64_t)X->cols + 1);
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = cml_matrix_row(X, i);
        for (int64_t j = 0; j < X->cols; j++) {
            uint64_t bits;
            memcpy(&bits, &r[j], sizeof bits);
            h = cml_embed_mix(h ^ bits);
        }
    }
    return h;
}

/* ---------------------------------------------------------------- trustworthiness */

cml_status cml_trustworthiness(const cml_matrix *X, const cml_matrix *E, int k, double *out)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    CML_CHECK(cml_matrix_check(E, "X_embedded", 0));
    int64_t n = X->rows;
    if (E->rows != n)
        return cml_fail(CML_ERR_ARG, "trustworthiness: X has %lld rows, X_embedded %lld",
                        (long long)n, (long long)E->rows);
    if (k < 1 || (double)k >= n / 2.0)
        return cml_fail(CML_ERR_ARG,
                        "trustworthiness: n_neighbors (%d) should be >= 1 and less than "
                        "n_samples / 2 (%g)",
                        k, n / 2.0);
    cml_status st;
    int64_t *nbr = cml_alloc_array(n * k, sizeof(int64_t));
    double *nd = cml_alloc_array(n * k, sizeof(double));
    double *penalty = cml_alloc_array(n, sizeof(double));
    int oom = 0;
    if (!nbr || !nd || !penalty) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_embed_knn_self(E, CML_EMBED_EUCLIDEAN, k, nd, nbr, NULL));
    const int64_t p = X->cols;
#pragma omp parallel CML_OMP_THREADS
    {
        double *d = cml_alloc_array(n, sizeof(double));
        if (!d) {
#pragma omp atomic write
            oom = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (int64_t i = 0; i < n; i++) {
            if (!d) continue;
            const double *xi = cml_matrix_row(X, i);
            for (int64_t l = 0; l < n; l++) {
                const double *xl = cml_matrix_row(X, l);
                double s = 0.0;
                for (int64_t j = 0; j < p; j++) {
                    double t = xi[j] - xl[j];
                    s += t * t;
                }
                d[l] = s;
            }
            d[i] = INFINITY;
            double pen = 0.0;
            for (int a = 0; a < k; a++) {
                int64_t j = nbr[i * k + a];
                double dj = d[j];
                int64_t rank = 1;
                for (int64_t l = 0; l < n; l++)
                    rank += (d[l] < dj) | ((d[l] == dj) & (l < j));
                if (rank > k) pen += (double)(rank - k);
            }
            penalty[i] = pen;
        }
        free(d);
    }
    if (oom) {
        st = cml_fail(CML_ERR_NOMEM, "trustworthiness: out of memory for %lld distances",
                      (long long)n);
        goto fail;
    }
    double t = 0.0;
    for (int64_t i = 0; i < n; i++)
        t += penalty[i];
    *out = 1.0 - t * (2.0 / ((double)n * k * (2.0 * n - 3.0 * k - 1.0)));
    st = CML_OK;
fail:
    free(nbr);
    free(nd);
    free(penalty);
    return st;
}

cml_status cml_embed_check_spread(const cml_matrix *X, const char *who)
{
    const double *r0 = X->data;
    for (int64_t i = 1; i < X->rows; i++) {
        const double *r = X->data + i * X->ld;
        for (int64_t j = 0; j < X->cols; j++)
            if (r[j] != r0[j]) return CML_OK;
    }
    return cml_fail(CML_ERR_ARG,
                    "%s: every column of X is constant (all %lld rows are the same point), so "
                    "there are no neighbours to preserve (HINT: check that the data was read as "
                    "intended)",
                    who, (long long)X->rows);
}
