/*
 * umap_spectral.c — UMAP's spectral initialisation (umap-learn's
 * spectral_layout / multi_component_layout; Belkin & Niyogi, "Laplacian
 * Eigenmaps", 2003).
 *
 * For the fuzzy graph W (symmetric, n x n) with degrees D, the layout is the
 * eigenvectors 2..dim+1 (ascending eigenvalue) of the normalized Laplacian
 * L = I - D^-1/2 W D^-1/2, i.e. the largest eigenvectors of
 * M = D^-1/2 W D^-1/2 after the trivial one (eigenvalue 1, D^1/2 1).
 *   dense  (n <= 1000 by default): M as a dense matrix, LAPACK dsyevr for
 *          the dim + 1 largest eigenpairs; O(n^3) time, O(n^2) memory.
 *   Krylov (larger n): block Krylov subspace of M' = (I + M) / 2 (spectrum in
 *          [0, 1], so the wanted eigenvalues are the largest in magnitude)
 *          orthogonal to the known trivial eigenvector, with full
 *          re-orthogonalisation (classical Gram-Schmidt twice, through
 *          dgemv), Rayleigh-Ritz (dsyevr of Q^T M' Q) and thick restarts
 *          from the Ritz vectors until the residuals are below 1e-6 (at most
 *          30 cycles of 200 basis vectors): O(cycles (nnz + n 200) 200)
 *          time, O(n 200) memory. umap-learn uses ARPACK (eigsh, tol 1e-4)
 *          for the same purpose; an initialisation needs no more.
 * Disconnected graphs (umap-learn's multi_component_layout): each connected
 * component is laid out on its own, scaled to half the distance to the
 * nearest other component's meta-position, and shifted there. Meta
 * positions: +-unit vectors when there are at most 2 dim components (as
 * umap-learn), else the first dim principal components of the components'
 * centroids in data space, scaled to max |.| = 1 (umap-learn embeds the
 * centroids with a spectral embedding of exp(-distance^2) affinities, which
 * underflows for unscaled data; PCA keeps the same intent, the global
 * arrangement of the components). Components of fewer than 2 dim points are
 * placed uniformly at random in their box, as umap-learn.
 *
 * Determinism: eigenvector signs are fixed (largest-magnitude entry
 * positive); the Krylov start block comes from the seed; sparse products
 * are parallel over rows. Thread-safety: reentrant.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "cml/decomp.h"
#include "decomp/umap_internal.h"

#define KRYLOV_BASIS  200  /* basis vectors per cycle */
#define KRYLOV_CYCLES 30   /* thick restarts at most */
#define KRYLOV_TOL    1e-6 /* residual of the wanted Ritz pairs */

/* ---------------------------------------------------------------- helpers */

/* isqrt_deg[i] = 1 / sqrt(sum_j W_ij). */
static void inv_sqrt_degree(const cml_embed_csr *W, double *isd)
{
    for (int64_t i = 0; i < W->n; i++) {
        double s = 0.0;
        for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++)
            s += W->val[e];
        isd[i] = s > 0.0 ? 1.0 / sqrt(s) : 0.0;
    }
}

/* Largest-magnitude entry positive, so the layout does not depend on the
 * solver's arbitrary sign. v has n entries with stride `stride`. */
static void fix_sign(double *v, int64_t n, int64_t stride)
{
    double best = 0.0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(v[i * stride]) > fabs(best)) best = v[i * stride];
    if (best < 0)
        for (int64_t i = 0; i < n; i++)
            v[i * stride] = -v[i * stride];
}

/* ---------------------------------------------------------------- dense */

static cml_status eig_dense(const cml_embed_csr *W, const double *isd, int want, double *vec,
                            double *val)
{
    const int64_t n = W->n;
    cml_status st = CML_OK;
    double *A = cml_calloc((size_t)(n * n), sizeof(double));
    int *isuppz = cml_alloc_array(2 * want, sizeof(int));
    if (!A || !isuppz) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++)
            A[i * n + W->col[e]] = isd[i] * W->val[e] * isd[W->col[e]];
    lapack_int found = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)n, A,
                                     (lapack_int)n, 0.0, 0.0, (lapack_int)(n - want + 1),
                                     (lapack_int)n, 0.0, &found, val, vec, want, isuppz);
    if (info != 0 || found != want)
        st =
            cml_fail(CML_ERR_CONVERGENCE, "UMAP spectral init: dsyevr failed (info %d)", (int)info);
done:
    free(A);
    free(isuppz);
    return st;
}

/* ---------------------------------------------------------------- Krylov */

/* y = (x + D^-1/2 W D^-1/2 x) / 2 */
static void apply_shifted(const cml_embed_csr *W, const double *isd, const double *x, double *y)
{
    const int64_t n = W->n;
#pragma omp parallel for schedule(static) CML_OMP_THREADS if (n > 20000)
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++)
            s += W->val[e] * isd[W->col[e]] * x[W->col[e]];
        y[i] = 0.5 * (x[i] + isd[i] * s);
    }
}

/* Orthonormalises column c of the column-major Q (n, c+1) against the
 * trivial eigenvector v1 and columns 0..c-1 (Gram-Schmidt twice); a column
 * that collapses is replaced by a random one. */
static void orthonormalize(double *Q, int64_t n, int c, const double *v1, double *h, cml_rng *rng)
{
    double *v = Q + (int64_t)c * n;
    for (int attempt = 0; attempt < 4; attempt++) {
        double before = cblas_dnrm2((int)n, v, 1);
        for (int pass = 0; pass < 2; pass++) {
            cblas_daxpy((int)n, -cblas_ddot((int)n, v1, 1, v, 1), v1, 1, v, 1);
            if (c == 0) continue;
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, c, 1.0, Q, (int)n, v, 1, 0.0, h, 1);
            cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, c, -1.0, Q, (int)n, h, 1, 1.0, v, 1);
        }
        double after = cblas_dnrm2((int)n, v, 1);
        if (after > 1e-8 * before && after > 0.0) {
            cblas_dscal((int)n, 1.0 / after, v, 1);
            return;
        }
        for (int64_t i = 0; i < n; i++)
            v[i] = cml_rng_normal(rng);
    }
}

/* Thick-restarted block Krylov for the dim largest eigenpairs of M' on the
 * complement of the trivial eigenvector v1 = D^1/2 1 / |D^1/2 1| (known
 * exactly for a connected graph, so it is projected out instead of found).
 * Each cycle builds a basis of KRYLOV_BASIS vectors from the current block,
 * Rayleigh-Ritz gives the new block; stops when every wanted residual
 * |M' x - mu x| is below KRYLOV_TOL or after KRYLOV_CYCLES cycles. */
static cml_status eig_krylov(const cml_embed_csr *W, const double *isd, int want, uint64_t seed,
                             double *vec, double *val)
{
    const int64_t n = W->n;
    const int dim = want - 1;
    int b = CML_MAX(2 * dim, 8);
    int64_t m64 = CML_MIN((int64_t)KRYLOV_BASIS, n / 2);
    int n_blocks = (int)CML_MAX(m64 / b, 2);
    int m = n_blocks * b;
    if (m + 1 > n) return eig_dense(W, isd, want, vec, val); /* tiny graph */
    cml_status st = CML_OK;
    double *Q = cml_alloc_array(n * m, sizeof(double));
    double *AQ = cml_alloc_array(n * m, sizeof(double));
    double *X = cml_alloc_array(n * b, sizeof(double));
    double *AX = cml_alloc_array(n * b, sizeof(double));
    double *v1 = cml_alloc_array(n, sizeof(double));
    double *T = cml_alloc_array((int64_t)m * m, sizeof(double));
    double *U = cml_alloc_array((int64_t)m * b, sizeof(double));
    double *mu = cml_alloc_array(m, sizeof(double));
    double *h = cml_alloc_array(m, sizeof(double));
    int *isuppz = cml_alloc_array(2 * b, sizeof(int));
    if (!Q || !AQ || !X || !AX || !v1 || !T || !U || !mu || !h || !isuppz) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    double s1 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        v1[i] = 1.0 / isd[i]; /* sqrt(degree) */
        s1 += v1[i] * v1[i];
    }
    cblas_dscal((int)n, 1.0 / sqrt(s1), v1, 1);
    cml_rng rng;
    cml_rng_seed(&rng, seed);
    for (int64_t t = 0; t < n * b; t++)
        X[t] = cml_rng_normal(&rng);
    for (int cycle = 0; cycle < KRYLOV_CYCLES; cycle++) {
        for (int c = 0; c < m; c++) {
            double *v = Q + (int64_t)c * n;
            memcpy(v, c < b ? X + (int64_t)c * n : AQ + (int64_t)(c - b) * n,
                   sizeof(double) * (size_t)n);
            orthonormalize(Q, n, c, v1, h, &rng);
            apply_shifted(W, isd, v, AQ + (int64_t)c * n);
        }
        /* Rayleigh-Ritz: T = Q^T M' Q, symmetrised against rounding. */
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, m, m, (int)n, 1.0, Q, (int)n, AQ,
                    (int)n, 0.0, T, m);
        for (int i = 0; i < m; i++)
            for (int j = i + 1; j < m; j++)
                T[i + (int64_t)j * m] = T[j + (int64_t)i * m] =
                    0.5 * (T[i + (int64_t)j * m] + T[j + (int64_t)i * m]);
        lapack_int found = 0;
        lapack_int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'U', m, T, m, 0.0, 0.0,
                                         m - b + 1, m, 0.0, &found, mu, U, m, isuppz);
        if (info != 0 || found != b) {
            st = cml_fail(CML_ERR_CONVERGENCE, "UMAP spectral init: dsyevr failed (info %d)",
                          (int)info);
            goto done;
        }
        /* Ritz vectors X = Q U and M' X = AQ U (n, b), column-major. */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, b, m, 1.0, Q, (int)n, U, m,
                    0.0, X, (int)n);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, b, m, 1.0, AQ, (int)n, U, m,
                    0.0, AX, (int)n);
        double worst = 0.0;
        for (int t = b - dim; t < b; t++) {
            cblas_daxpy((int)n, -mu[t], X + (int64_t)t * n, 1, AX + (int64_t)t * n, 1);
            worst = fmax(worst, cblas_dnrm2((int)n, AX + (int64_t)t * n, 1));
        }
        if (worst < KRYLOV_TOL) break;
    }
    /* vec (n, want) row-major in ascending order of M's eigenvalues
     * (2 mu - 1): the wanted Ritz vectors, then v1 (eigenvalue 1). */
    for (int t = 0; t < dim; t++) {
        const double *x = X + (int64_t)(b - dim + t) * n;
        for (int64_t i = 0; i < n; i++)
            vec[i * want + t] = x[i];
        val[t] = 2.0 * mu[b - dim + t] - 1.0;
    }
    for (int64_t i = 0; i < n; i++)
        vec[i * want + dim] = v1[i];
    val[dim] = 1.0;
done:
    free(Q);
    free(AQ);
    free(X);
    free(AX);
    free(v1);
    free(T);
    free(U);
    free(mu);
    free(h);
    free(isuppz);
    return st;
}

cml_status cml_umap_spectral_connected(const cml_embed_csr *W, int dim, cml_umap_eig how,
                                       uint64_t seed, double *out, double *eigvals)
{
    const int64_t n = W->n;
    const int want = dim + 1;
    if (n <= want)
        return cml_fail(CML_ERR_INTERNAL, "UMAP spectral init: %lld vertices for %d vectors",
                        (long long)n, dim);
    cml_status st;
    double *isd = cml_alloc_array(n, sizeof(double));
    double *vec = cml_alloc_array(n * want, sizeof(double));
    double val[64];
    double *v = want <= 64 ? val : cml_alloc_array(want, sizeof(double));
    if (!isd || !vec || !v) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    inv_sqrt_degree(W, isd);
    if (how == CML_UMAP_EIG_AUTO)
        how = n <= CML_UMAP_DENSE_MAX ? CML_UMAP_EIG_DENSE : CML_UMAP_EIG_KRYLOV;
    if (how == CML_UMAP_EIG_DENSE)
        CML_TRY(eig_dense(W, isd, want, vec, v));
    else
        CML_TRY(eig_krylov(W, isd, want, seed, vec, v));
    /* Both solvers return M's eigenvalues ascending: the last is the trivial
     * one; L's eigenvalues 2..dim+1 are columns want-2 down to 0. */
    for (int t = 0; t < dim; t++) {
        int col = want - 2 - t;
        for (int64_t i = 0; i < n; i++)
            out[i * dim + t] = vec[i * want + col];
        fix_sign(out + t, n, dim);
    }
    if (eigvals)
        for (int t = 0; t < want; t++)
            eigvals[t] = 1.0 - v[want - 1 - t];
    st = CML_OK;
fail:
    free(isd);
    free(vec);
    if (v != val) free(v);
    return st;
}

/* ---------------------------------------------------------------- components */

/* Connected components by breadth-first search; labels in order of the
 * first vertex. Returns the count. */
static int64_t components(const cml_embed_csr *W, int64_t *label, int64_t *queue)
{
    const int64_t n = W->n;
    for (int64_t i = 0; i < n; i++)
        label[i] = -1;
    int64_t nc = 0;
    for (int64_t s = 0; s < n; s++) {
        if (label[s] >= 0) continue;
        int64_t head = 0, tail = 0;
        queue[tail++] = s;
        label[s] = nc;
        while (head < tail) {
            int64_t i = queue[head++];
            for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++)
                if (label[W->col[e]] < 0) {
                    label[W->col[e]] = nc;
                    queue[tail++] = W->col[e];
                }
        }
        nc++;
    }
    return nc;
}

/* Meta-positions (nc, dim) of the components (see the file header). */
static cml_status meta_layout(const cml_matrix *X, const int64_t *label, int64_t nc, int dim,
                              double *meta)
{
    const int64_t n = X->rows, p = X->cols;
    memset(meta, 0, sizeof(double) * (size_t)(nc * dim));
    if (nc <= 2 * dim) {
        int64_t k = (nc + 1) / 2;
        for (int64_t c = 0; c < nc; c++)
            meta[c * dim + (c % k)] = c < k ? 1.0 : -1.0;
        return CML_OK;
    }
    if (p < dim) { /* too few features for PCA: a circle in the first two axes */
        for (int64_t c = 0; c < nc; c++) {
            double t = 2.0 * 3.14159265358979323846 * (double)c / (double)nc;
            meta[c * dim] = cos(t);
            if (dim > 1) meta[c * dim + 1] = sin(t);
        }
        return CML_OK;
    }
    cml_status st;
    double *cent = cml_calloc((size_t)(nc * p), sizeof(double));
    double *cnt = cml_calloc((size_t)nc, sizeof(double));
    cml_pca *pca = NULL;
    if (!cent || !cnt) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n; i++) {
        const double *x = cml_matrix_row(X, i);
        cnt[label[i]] += 1.0;
        for (int64_t j = 0; j < p; j++)
            cent[label[i] * p + j] += x[j];
    }
    for (int64_t c = 0; c < nc; c++)
        for (int64_t j = 0; j < p; j++)
            cent[c * p + j] /= cnt[c];
    cml_pca_params pp = cml_pca_params_default();
    snprintf(pp.n_components, sizeof pp.n_components, "%d", dim);
    cml_matrix C = cml_matrix_view(cent, nc, p);
    CML_TRY(cml_pca_fit(&pp, &C, &pca));
    CML_TRY(cml_pca_transform(pca, &C, meta));
    double mx = 0.0;
    for (int64_t t = 0; t < nc * dim; t++)
        mx = fmax(mx, fabs(meta[t]));
    if (mx > 0.0)
        for (int64_t t = 0; t < nc * dim; t++)
            meta[t] /= mx;
fail:
    cml_pca_free(pca);
    free(cent);
    free(cnt);
    return st;
}

/* The subgraph of W on the vertices of component c (local ids in `local`). */
static cml_status subgraph(const cml_embed_csr *W, const int64_t *label, int64_t c,
                           const int64_t *local, const int64_t *members, int64_t size,
                           cml_embed_csr *S)
{
    memset(S, 0, sizeof *S);
    int64_t nnz = 0;
    for (int64_t a = 0; a < size; a++)
        nnz += W->indptr[members[a] + 1] - W->indptr[members[a]];
    S->indptr = cml_alloc_array(size + 1, sizeof(int64_t));
    S->col = cml_alloc_array(CML_MAX(nnz, 1), sizeof(int64_t));
    S->val = cml_alloc_array(CML_MAX(nnz, 1), sizeof(double));
    if (!S->indptr || !S->col || !S->val) {
        cml_embed_csr_free(S);
        return CML_ERR_NOMEM;
    }
    int64_t w = 0;
    S->indptr[0] = 0;
    for (int64_t a = 0; a < size; a++) {
        int64_t i = members[a];
        for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++) {
            CML_ASSERT(label[W->col[e]] == c);
            S->col[w] = local[W->col[e]];
            S->val[w++] = W->val[e];
        }
        S->indptr[a + 1] = w;
    }
    S->n = size;
    return CML_OK;
}

cml_status cml_umap_spectral_layout(const cml_matrix *X, const cml_embed_csr *W, int dim,
                                    uint64_t seed, double *out, int64_t *n_components)
{
    const int64_t n = W->n;
    cml_status st;
    int64_t *label = cml_alloc_array(n, sizeof(int64_t));
    int64_t *order = cml_alloc_array(n, sizeof(int64_t));
    int64_t *local = cml_alloc_array(n, sizeof(int64_t));
    double *meta = NULL, *emb = NULL;
    int64_t *start = NULL, *fillp = NULL;
    cml_embed_csr S;
    memset(&S, 0, sizeof S);
    if (!label || !order || !local) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    int64_t nc = components(W, label, order);
    *n_components = nc;
    if (nc == 1) {
        CML_TRY(cml_umap_spectral_connected(W, dim, CML_UMAP_EIG_AUTO, seed, out, NULL));
        goto done;
    }
    meta = cml_alloc_array(nc * dim, sizeof(double));
    emb = cml_alloc_array(n * dim, sizeof(double));
    if (!meta || !emb) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(meta_layout(X, label, nc, dim, meta));
    /* Members of each component in index order: a stable counting sort. */
    start = cml_calloc((size_t)nc + 1, sizeof(int64_t));
    fillp = cml_alloc_array(nc, sizeof(int64_t));
    if (!start || !fillp) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n; i++)
        start[label[i] + 1]++;
    for (int64_t c = 0; c < nc; c++)
        start[c + 1] += start[c];
    memcpy(fillp, start, sizeof(int64_t) * (size_t)nc);
    for (int64_t i = 0; i < n; i++) {
        int64_t slot = fillp[label[i]]++;
        order[slot] = i;
        local[i] = slot - start[label[i]];
    }
    cml_rng rng;
    cml_rng_seed(&rng, seed ^ 0x5bd1e995ULL);
    for (int64_t c = 0; c < nc && st == CML_OK; c++) {
        const int64_t *members = order + start[c];
        int64_t size = start[c + 1] - start[c];
        const double *mc = meta + c * dim;
        double range = INFINITY;
        for (int64_t o = 0; o < nc; o++) {
            double d2 = 0.0;
            for (int a = 0; a < dim; a++)
                d2 += (mc[a] - meta[o * dim + a]) * (mc[a] - meta[o * dim + a]);
            if (d2 > 0.0) range = fmin(range, sqrt(d2));
        }
        range = isfinite(range) ? range / 2.0 : 1.0;
        if (size < 2 * dim || size <= dim + 1) {
            for (int64_t a = 0; a < size; a++)
                for (int t = 0; t < dim; t++)
                    out[members[a] * dim + t] = mc[t] + range * (2.0 * cml_rng_uniform(&rng) - 1.0);
            continue;
        }
        st = subgraph(W, label, c, local, members, size, &S);
        if (st == CML_OK)
            st = cml_umap_spectral_connected(&S, dim, CML_UMAP_EIG_AUTO,
                                             cml_embed_mix(seed + (uint64_t)c), emb, NULL);
        cml_embed_csr_free(&S);
        if (st != CML_OK) break;
        double mx = 0.0;
        for (int64_t t = 0; t < size * dim; t++)
            mx = fmax(mx, fabs(emb[t]));
        double scale = mx > 0.0 ? range / mx : 0.0;
        for (int64_t a = 0; a < size; a++)
            for (int t = 0; t < dim; t++)
                out[members[a] * dim + t] = emb[a * dim + t] * scale + mc[t];
    }
    if (st != CML_OK) goto fail;
done:
    st = CML_OK;
fail:
    free(start);
    free(fillp);
    free(label);
    free(order);
    free(local);
    free(meta);
    free(emb);
    return st;
}
