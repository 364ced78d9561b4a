/*
 * pca.c — principal component analysis (scikit-learn 1.2's
 * sklearn.decomposition.PCA).
 *
 * With Xc = X - mean (n, p), PCA finds the orthonormal directions V_k that
 * maximise the variance of Xc V_k: the top right singular vectors of
 * Xc = U S V^T, explained_variance = S^2 / (n - 1). Three solvers:
 *   full            LAPACK dgesdd of Xc, O(n p min(n, p)) — sklearn's "full";
 *   covariance_eigh dsyrk C = Xc^T Xc then dsyevd, O(n p^2 + p^3): much faster
 *                   for tall data; eigenvalues carry an absolute error of
 *                   ~eps * lambda_max, so tiny components are less accurate
 *                   than with "full" (sklearn >= 1.5 has the same solver);
 *   randomized      Halko et al. 2011 (svd.c), O(n p l * iterations) through
 *                   products with Xc; for tall data where it costs fewer
 *                   flops, the same algorithm (same draws) run on the
 *                   covariance matrix Xc^T Xc formed once by the covariance
 *                   route, O(n p^2) (see randomized_on_gram).
 * "auto" is sklearn 1.2's rule preceded by covariance_eigh for
 * n_features <= 1000 and n_samples >= 10 n_features (cml's choice, the rule
 * sklearn adopted in 1.5). Signs follow sklearn 1.2's svd_flip on U (for
 * covariance_eigh, on Xc V, a positive multiple of U). n_components may be a
 * count, a variance fraction, or "mle" (Minka, "Automatic choice of
 * dimensionality for PCA", NIPS 2000, as sklearn's _infer_dimension).
 *
 * Memory: a centred copy of X plus, for "full", U (n, min(n, p)); the
 * covariance routes (covariance_eigh, randomized on the Gram matrix) never
 * copy X whole: (G, p, p) partial covariances and (n, k) signs instead.
 * Thread-safety: fit is reentrant; transform reads a const model.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "cml/decomp.h"
#include "cml/model.h"
#include "core/internal.h"
#include "core/strbuf.h"
#include "decomp/svd.h"

#define PI 3.14159265358979323846

static const char *const solver_names[] = {"auto", "full", "covariance_eigh", "randomized"};

struct cml_pca {
    int64_t k, p, n;       /* components, features, training rows */
    double *components;    /* (k, p) rows = principal axes */
    double *ev, *evr, *sv; /* (k) explained variance, its ratio, singular values */
    double *mean;          /* (p) */
    double noise_variance;
    int whiten;
    int solver; /* resolved cml_pca_solver (never auto) */
};

#define P(field) offsetof(cml_pca_params, field)
static const cml_param_def pca_params[] = {
    {"n_components", CML_PARAM_STRING, "None", 0, 0, 0, NULL,
     "None (all), a count, a variance fraction in (0,1), or mle", P(n_components)},
    {"whiten", CML_PARAM_BOOL, "false", 0, 0, 0, NULL, "scale the components to unit variance",
     P(whiten)},
    {"svd_solver", CML_PARAM_ENUM, "auto", 0, 0, 0, "auto|full|covariance_eigh|randomized",
     "how the decomposition is computed", P(svd_solver)},
    {"iterated_power", CML_PARAM_STRING, "auto", 0, 0, 0, NULL,
     "power iterations of the randomized solver: auto (7 or 4) or a count", P(iterated_power)},
    {"n_oversamples", CML_PARAM_INT, "10", 1, INT32_MAX, 0, NULL,
     "extra random vectors of the randomized solver", P(n_oversamples)},
    {"power_iteration_normalizer", CML_PARAM_ENUM, "auto", 0, 0, 0, "auto|QR|LU|none",
     "normalisation between power iterations", P(power_iteration_normalizer)},
    {"random_state", CML_PARAM_INT, "0", 0, INT32_MAX, 0, NULL, "seed of the randomized solver",
     P(random_state)},
};
#undef P
#define N_PARAMS ((int)(sizeof pca_params / sizeof pca_params[0]))

/* ---------------------------------------------------------------- params */

typedef enum { NC_ALL, NC_COUNT, NC_FRACTION, NC_MLE } nc_kind;

static int parse_n_components(const char *s, nc_kind *kind, double *value)
{
    if (s[0] == '\0' || strcmp(s, "None") == 0 || strcmp(s, "none") == 0) {
        *kind = NC_ALL;
        return 1;
    }
    if (strcmp(s, "mle") == 0) {
        *kind = NC_MLE;
        return 1;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v <= 0) return 0;
    if (v < 1) {
        *kind = NC_FRACTION;
    } else {
        if (v != floor(v) || v > INT32_MAX) return 0;
        *kind = NC_COUNT;
    }
    *value = v;
    return 1;
}

static int parse_iterated_power(const char *s, int *n_iter)
{
    if (strcmp(s, "auto") == 0) {
        *n_iter = -1;
        return 1;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 1000000) return 0;
    *n_iter = (int)v;
    return 1;
}

cml_pca_params cml_pca_params_default(void)
{
    cml_pca_params p;
    memset(&p, 0, sizeof p);
    cml_params_init(pca_params, N_PARAMS, &p);
    return p;
}

const char *cml_pca_params_check(const cml_pca_params *p)
{
    const char *msg = cml_params_check(pca_params, N_PARAMS, p);
    if (msg) return msg;
    nc_kind kind;
    double v;
    int it;
    if (!parse_n_components(p->n_components, &kind, &v))
        return "n_components must be None, a positive integer, a fraction in (0, 1) or mle";
    if (!parse_iterated_power(p->iterated_power, &it))
        return "iterated_power must be auto or an integer >= 0";
    return NULL;
}

/* ---------------------------------------------------------------- helpers */

void cml_pca_free(cml_pca *m)
{
    if (!m) return;
    free(m->components);
    free(m->ev);
    free(m->evr);
    free(m->sv);
    free(m->mean);
    free(m);
}

/* The per-component arrays, once m->k is known. */
static cml_status pca_alloc(cml_pca *m)
{
    m->components = cml_alloc_array(m->k * m->p, sizeof(double));
    m->ev = cml_alloc_array(m->k, sizeof(double));
    m->evr = cml_alloc_array(m->k, sizeof(double));
    m->sv = cml_alloc_array(m->k, sizeof(double));
    if (!m->components || !m->ev || !m->evr || !m->sv) return CML_ERR_NOMEM;
    return CML_OK;
}

/* Xc = X - column means (contiguous copy); mean (p). */
static void column_means(const cml_matrix *X, double *mean)
{
    int64_t n = X->rows, p = X->cols;
    memset(mean, 0, (size_t)p * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < p; j++)
            mean[j] += X->data[i * X->ld + j];
    for (int64_t j = 0; j < p; j++)
        mean[j] /= (double)n;
}

/* Rows [s, e) of X minus the mean into out ((e - s), p). */
static void center_rows(const cml_matrix *X, const double *mean, int64_t s, int64_t e, double *out)
{
    int64_t p = X->cols;
    for (int64_t i = s; i < e; i++)
        for (int64_t j = 0; j < p; j++)
            out[(i - s) * p + j] = X->data[i * X->ld + j] - mean[j];
}

static cml_status center(const cml_matrix *X, double *mean, double **Xc)
{
    int64_t n = X->rows, p = X->cols;
    double *c = cml_alloc_array(n * p, sizeof(double));
    if (!c) return CML_ERR_NOMEM;
    column_means(X, mean);
#pragma omp parallel for num_threads(cml_get_num_threads()) schedule(static)
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < p; j++)
            c[i * p + j] = X->data[i * X->ld + j] - mean[j];
    *Xc = c;
    return CML_OK;
}

/* sklearn's _assess_dimension: log-likelihood of rank `rank` for the
 * spectrum (m values) under Minka's Laplace approximation. */
static double assess_dimension(const double *spec, int64_t m, int64_t rank, int64_t n)
{
    const double eps = 1e-15;
    if (spec[rank - 1] < eps) return -INFINITY;
    double pu = -(double)rank * log(2.0);
    for (int64_t i = 1; i <= rank; i++)
        pu += lgamma((double)(m - i + 1) / 2.0) - log(PI) * (double)(m - i + 1) / 2.0;
    double pl = 0.0;
    for (int64_t i = 0; i < rank; i++)
        pl += log(spec[i]);
    pl = -pl * (double)n / 2.0;
    double rest = 0.0;
    for (int64_t i = rank; i < m; i++)
        rest += spec[i];
    double v = CML_MAX(eps, rest / (double)(m - rank));
    double pv = -log(v) * (double)n * (double)(m - rank) / 2.0;
    double mm = (double)m * (double)rank - (double)rank * ((double)rank + 1.0) / 2.0;
    double pp = log(2.0 * PI) * (mm + (double)rank) / 2.0;
    double pa = 0.0;
    for (int64_t i = 0; i < rank; i++)
        for (int64_t j = i + 1; j < m; j++) {
            double sj = j < rank ? spec[j] : v;
            pa += log((spec[i] - spec[j]) * (1.0 / sj - 1.0 / spec[i])) + log((double)n);
        }
    return pu + pl + pv + pp - pa / 2.0 - (double)rank * log((double)n) / 2.0;
}

static int64_t infer_dimension(const double *spec, int64_t m, int64_t n)
{
    int64_t best = 0;
    double best_ll = -INFINITY;
    for (int64_t r = 1; r < m; r++) {
        double ll = assess_dimension(spec, m, r, n);
        if (ll > best_ll) { /* first maximum, as np.argmax */
            best_ll = ll;
            best = r;
        }
    }
    return best;
}

/* Number of components for a full spectrum ev_ratio (m). */
static int64_t choose_k(nc_kind kind, double value, const double *ev, const double *ratio,
                        int64_t m, int64_t n)
{
    if (kind == NC_COUNT) return (int64_t)value;
    if (kind == NC_ALL) return m;
    if (kind == NC_MLE) return infer_dimension(ev, m, n);
    /* Fewest components whose cumulated ratio exceeds value
     * (searchsorted(cumsum, value, side="right") + 1). */
    double acc = 0.0;
    int64_t k = 0;
    while (k < m) {
        acc += ratio[k];
        if (acc > value) break;
        k++;
    }
    return CML_MIN(k + 1, m);
}

/* ---------------------------------------------------------------- solvers */

/* sklearn divides 0 by 0 on data without variance and returns NaN ratios
 * with a warning; such data has no principal axes to report. */
static cml_status no_variance(void)
{
    return cml_fail(CML_ERR_ARG,
                    "PCA: every column of X is constant (total variance 0), so there are no "
                    "principal components (HINT: check that the data was read as intended)");
}

/* Explained variance S^2 / (n - 1) and its ratio to total_var, both (ms),
 * allocated. */
static cml_status spectrum_of(const double *S, int64_t ms, int64_t n, double total_var, double **ev,
                              double **ratio)
{
    *ev = *ratio = NULL;
    if (!(total_var > 0.0)) return no_variance();
    *ev = cml_alloc_array(ms, sizeof(double));
    *ratio = cml_alloc_array(ms, sizeof(double));
    if (!*ev || !*ratio) {
        free(*ev);
        free(*ratio);
        *ev = *ratio = NULL;
        return CML_ERR_NOMEM;
    }
    for (int64_t t = 0; t < ms; t++) {
        (*ev)[t] = S[t] * S[t] / (double)(n - 1);
        (*ratio)[t] = (*ev)[t] / total_var;
    }
    return CML_OK;
}

/* Fills m from the full spectrum: S (ms) singular values, Vt (ms, p) axes
 * (already sign-fixed), total variance. */
static cml_status finish_full(cml_pca *m, nc_kind kind, double value, const double *S,
                              const double *Vt, int64_t ms, double total_var)
{
    double *ev, *ratio;
    cml_status st = spectrum_of(S, ms, m->n, total_var, &ev, &ratio);
    if (st != CML_OK) return st;
    m->k = choose_k(kind, value, ev, ratio, ms, m->n);
    if (m->k < 1) {
        st = cml_fail(CML_ERR_ARG, "pca: n_components resolved to %lld; need at least 1",
                      (long long)m->k);
        goto fail;
    }
    double noise = 0.0;
    if (m->k < CML_MIN(m->n, m->p)) {
        for (int64_t t = m->k; t < ms; t++)
            noise += ev[t];
        noise /= (double)(ms - m->k);
    }
    m->noise_variance = noise;
    CML_TRY(pca_alloc(m));
    memcpy(m->components, Vt, (size_t)(m->k * m->p) * sizeof(double));
    for (int64_t t = 0; t < m->k; t++) {
        m->ev[t] = ev[t];
        m->evr[t] = ratio[t];
        m->sv[t] = S[t];
    }
fail:
    free(ev);
    free(ratio);
    return st;
}

static cml_status fit_full(cml_pca *m, double *Xc, nc_kind kind, double value)
{
    int64_t n = m->n, p = m->p, ms = CML_MIN(n, p);
    cml_status st;
    double *S = cml_alloc_array(ms, sizeof(double));
    double *U = cml_alloc_array(n * ms, sizeof(double));
    double *Vt = cml_alloc_array(ms * p, sizeof(double));
    if (!S || !U || !Vt) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(dc_svd_full(Xc, n, p, S, U, Vt));
    dc_svd_flip(U, n, ms, Vt, ms, p);
    double total = 0.0;
    for (int64_t t = 0; t < ms; t++)
        total += S[t] * S[t] / (double)(n - 1);
    st = finish_full(m, kind, value, S, Vt, ms, total);
fail:
    free(S);
    free(U);
    free(Vt);
    return st;
}

/* Rows per centred block of the covariance route: the centred copy of X is
 * never formed whole (for tall data it is most of the memory traffic and a
 * large allocation); each block is centred exactly as the copy would be. */
#define COV_BLOCK 1024
/* Partial covariances summed in a fixed order: at most this many, and at
 * most 256 MB of them. */
#define COV_GROUPS 8

static int cov_groups(int64_t n_blocks, int64_t p)
{
    int64_t g = CML_MIN(n_blocks, COV_GROUPS);
    while (g > 1 && (double)g * (double)p * (double)p * 8.0 > 256e6)
        g /= 2;
    return (int)CML_MAX(g, 1);
}

static inline int thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* sklearn's iterated_power="auto": 7 power iterations for a small k
 * (< 10% of min(n, p)), else 4. */
static int randomized_n_iter(const cml_pca_params *prm, int64_t k, int64_t ms)
{
    int n_iter = -1;
    parse_iterated_power(prm->iterated_power, &n_iter);
    if (n_iter < 0) n_iter = (double)k < 0.1 * (double)ms ? 7 : 4;
    return n_iter;
}

/* Whether randomized PCA runs on the covariance (Gram) matrix: for tall
 * data whenever forming Xc^T Xc (n p^2 flops) plus the sign pass (2 n p k)
 * costs no more than the products with Xc themselves (4 (n_iter + 1) n p l,
 * l = k + n_oversamples). Fashion-MNIST 60000 x 784, k = 50: 784 + 100
 * against 1920, i.e. 37 GFLOP once instead of 90. Both routes compute the
 * same randomized SVD (svd.c), only the arithmetic differs. */
static int randomized_on_gram(const cml_pca_params *prm, int64_t n, int64_t p, int64_t k)
{
    int64_t ms = CML_MIN(n, p), l = CML_MIN(k + (int64_t)prm->n_oversamples, ms);
    int n_iter = randomized_n_iter(prm, k, ms);
    return n >= p && (double)p + 2.0 * (double)k <= 4.0 * (n_iter + 1.0) * (double)l;
}

/* A randomized solve's k components: S (k), Vt (k, p) already sign-fixed,
 * total variance of X; the noise variance is the variance left over,
 * averaged over the min(n, p) - k dimensions not kept (sklearn). */
static cml_status finish_truncated(cml_pca *m, const double *S, const double *Vt, int64_t k,
                                   double total)
{
    int64_t ms = CML_MIN(m->n, m->p);
    if (!(total > 0.0)) return no_variance();
    m->k = k;
    CML_CHECK(pca_alloc(m));
    memcpy(m->components, Vt, (size_t)(k * m->p) * sizeof(double));
    double sum_ev = 0.0;
    for (int64_t t = 0; t < k; t++) {
        m->sv[t] = S[t];
        m->ev[t] = S[t] * S[t] / (double)(m->n - 1);
        m->evr[t] = m->ev[t] / total;
        sum_ev += m->ev[t];
    }
    m->noise_variance = k < ms ? (total - sum_ev) / (double)(ms - k) : 0.0;
    return CML_OK;
}

/* The covariance route, shared by covariance_eigh (rnd == NULL: dsyevd of
 * C, every component) and randomized on the Gram matrix (rnd: the k_req
 * leading components by dc_randomized_svd_gram on C).
 * Threads are cml's own, over groups of row blocks, each BLAS call then
 * single-threaded inside the parallel region: a multi-threaded BLAS call
 * per block synchronises its threads at every step, which on a busy
 * machine costs several times the work itself. Group g's blocks are summed
 * in order and the groups in index order, so C does not depend on the
 * thread count. */
static cml_status fit_covariance(cml_pca *m, const cml_matrix *X, nc_kind kind, double value,
                                 const cml_pca_params *rnd, int64_t k_req)
{
    int64_t n = m->n, p = m->p, ms = CML_MIN(n, p);
    int64_t blk = CML_MIN(n, COV_BLOCK), nb = (n + blk - 1) / blk;
    int T = cml_get_num_threads(), G = cov_groups(nb, p);
    cml_status st;
    double *C = cml_alloc_array((int64_t)G * p * p, sizeof(double));
    double *w = cml_alloc_array(p, sizeof(double));
    double *S = cml_alloc_array(ms, sizeof(double));
    double *Vt = cml_alloc_array(ms * p, sizeof(double));
    double *B = cml_alloc_array((int64_t)T * blk * p, sizeof(double));
    double *Z = NULL;
    if (!C || !w || !S || !Vt || !B) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* C_g = sum of Xc_b^T Xc_b over group g's blocks (upper triangles). */
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
    for (int g = 0; g < G; g++) {
        double *Bt = B + (int64_t)thread_num() * blk * p, *Cg = C + (int64_t)g * p * p;
        for (int64_t b = g * nb / G; b < (g + 1) * nb / G; b++) {
            int64_t s = b * blk, e = CML_MIN(s + blk, n);
            center_rows(X, m->mean, s, e, Bt);
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)(e - s), 1.0, Bt,
                        (int)p, b == g * nb / G ? 0.0 : 1.0, Cg, (int)p);
        }
    }
    for (int g = 1; g < G; g++)
        for (int64_t i = 0; i < p; i++)
            for (int64_t j = i; j < p; j++)
                C[i * p + j] += C[(int64_t)g * p * p + i * p + j];
    double trace = 0.0;
    for (int64_t j = 0; j < p; j++)
        trace += C[j * p + j];
    double total = trace / (double)(n - 1);
    int64_t k;
    if (rnd) {
        /* The variance check first: on constant data C is 0 and the sketch
         * has no range to find. */
        if (!(total > 0.0)) {
            st = no_variance();
            goto fail;
        }
        k = k_req;
        cml_rng rng;
        cml_rng_seed(&rng, (uint64_t)rnd->random_state);
        CML_TRY(dc_randomized_svd_gram(C, n, p, k, rnd->n_oversamples,
                                       randomized_n_iter(rnd, k, ms),
                                       rnd->power_iteration_normalizer, &rng, S, Vt));
    } else {
        lapack_int info =
            LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)p, C, (lapack_int)p, w);
        if (info != 0) {
            st = cml_fail(info > 0 ? CML_ERR_CONVERGENCE : CML_ERR_INTERNAL,
                          "pca: covariance eigendecomposition failed (dsyevd info=%d)", (int)info);
            goto fail;
        }
        /* Ascending eigenpairs in columns -> descending rows of Vt. Rounding
         * can make null eigenvalues slightly negative: clip at 0. */
        for (int64_t t = 0; t < ms; t++) {
            int64_t col = p - 1 - t;
            S[t] = sqrt(CML_MAX(w[col], 0.0));
            for (int64_t j = 0; j < p; j++)
                Vt[t * p + j] = C[j * p + col];
        }
        /* Only the kept components need signs, so choose k first
         * (finish_full chooses the same k again from the same numbers). */
        double *ev, *ratio;
        CML_TRY(spectrum_of(S, ms, n, total, &ev, &ratio));
        k = CML_MAX(1, choose_k(kind, value, ev, ratio, ms, n));
        free(ev);
        free(ratio);
    }
    /* Signs as svd_flip on U: Z = Xc V is U S, same column signs. */
    Z = cml_alloc_array(n * k, sizeof(double));
    if (!Z) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
#pragma omp parallel for num_threads(T) schedule(static)
    for (int64_t b = 0; b < nb; b++) {
        double *Bt = B + (int64_t)thread_num() * blk * p;
        int64_t s = b * blk, e = CML_MIN(s + blk, n);
        center_rows(X, m->mean, s, e, Bt);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(e - s), (int)k, (int)p, 1.0, Bt,
                    (int)p, Vt, (int)p, 0.0, Z + s * k, (int)k);
    }
    dc_svd_flip(Z, n, k, Vt, k, p);
    if (rnd)
        st = finish_truncated(m, S, Vt, k, total);
    else
        st = finish_full(m, kind, value, S, Vt, ms, total);
fail:
    free(C);
    free(w);
    free(S);
    free(Vt);
    free(B);
    free(Z);
    return st;
}

/* Randomized SVD through products with the centred copy Xc (wide data, or
 * so many features that the Gram matrix costs more than the products). */
static cml_status fit_randomized(cml_pca *m, const cml_pca_params *prm, double *Xc, int64_t k)
{
    int64_t n = m->n, p = m->p, ms = CML_MIN(n, p);
    cml_status st;
    double *S = cml_alloc_array(k, sizeof(double));
    double *Vt = cml_alloc_array(k * p, sizeof(double));
    if (!S || !Vt) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    cml_rng rng;
    cml_rng_seed(&rng, (uint64_t)prm->random_state);
    cml_matrix A = cml_matrix_view(Xc, n, p);
    dc_linop op = dc_dense_op(&A);
    CML_TRY(dc_randomized_svd(&op, k, prm->n_oversamples, randomized_n_iter(prm, k, ms),
                              prm->power_iteration_normalizer, &rng, NULL, S, Vt));
    double total = 0.0;
    for (int64_t t = 0; t < n * p; t++)
        total += Xc[t] * Xc[t];
    st = finish_truncated(m, S, Vt, k, total / (double)(n - 1));
fail:
    free(S);
    free(Vt);
    return st;
}

/* ---------------------------------------------------------------- fit */

cml_status cml_pca_fit(const cml_pca_params *prm, const cml_matrix *X, cml_pca **out)
{
    *out = NULL;
    const char *msg = cml_pca_params_check(prm);
    if (msg) return cml_fail(CML_ERR_ARG, "pca: %s", msg);
    CML_CHECK(cml_matrix_check(X, "X", 0));
    int64_t n = X->rows, p = X->cols, ms = CML_MIN(n, p);
    if (n < 2) return cml_fail(CML_ERR_ARG, "pca: need at least 2 samples, got %lld", (long long)n);
    nc_kind kind;
    double value = 0;
    parse_n_components(prm->n_components, &kind, &value);
    if (kind == NC_COUNT && value > (double)ms)
        return cml_fail(CML_ERR_ARG,
                        "pca: n_components=%s must be between 1 and min(n_samples, "
                        "n_features)=%lld",
                        prm->n_components, (long long)ms);
    if (kind == NC_MLE && n < p)
        return cml_fail(CML_ERR_ARG,
                        "pca: n_components=mle is only supported if n_samples >= n_features "
                        "(%lld < %lld)",
                        (long long)n, (long long)p);

    int solver = prm->svd_solver;
    int64_t k_req = kind == NC_COUNT ? (int64_t)value : ms;
    if (solver == CML_PCA_AUTO) {
        if (p <= 1000 && n >= 10 * p)
            solver = CML_PCA_COVARIANCE_EIGH;
        else if (CML_MAX(n, p) <= 500 || kind == NC_MLE)
            solver = CML_PCA_FULL;
        else if (kind == NC_COUNT && (double)k_req < 0.8 * (double)ms)
            solver = CML_PCA_RANDOMIZED;
        else
            solver = CML_PCA_FULL;
    }
    if (solver == CML_PCA_RANDOMIZED && (kind == NC_FRACTION || kind == NC_MLE))
        return cml_fail(CML_ERR_ARG,
                        "pca: n_components=%s needs the full spectrum; it cannot be used with "
                        "svd_solver=randomized. HINT: use svd_solver=full or auto",
                        prm->n_components);

    cml_status st;
    double *Xc = NULL;
    cml_pca *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->n = n;
    m->p = p;
    m->whiten = prm->whiten;
    m->solver = solver;
    m->mean = cml_alloc_array(p, sizeof(double));
    if (!m->mean) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (solver == CML_PCA_COVARIANCE_EIGH ||
        (solver == CML_PCA_RANDOMIZED && randomized_on_gram(prm, n, p, k_req))) {
        column_means(X, m->mean);
        st = fit_covariance(m, X, kind, value, solver == CML_PCA_RANDOMIZED ? prm : NULL, k_req);
    } else {
        CML_TRY(center(X, m->mean, &Xc));
        if (solver == CML_PCA_FULL)
            st = fit_full(m, Xc, kind, value);
        else
            st = fit_randomized(m, prm, Xc, k_req);
    }
    if (st != CML_OK) goto fail;
    *out = m;
    m = NULL;
fail:
    free(Xc);
    cml_pca_free(m);
    return st;
}

/* ---------------------------------------------------------------- transform */

#define TR_CHUNK 1024

cml_status cml_pca_transform(const cml_pca *m, const cml_matrix *X, double *out)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    if (X->cols != m->p)
        return cml_fail(CML_ERR_ARG, "pca: X has %lld features, but PCA was fitted with %lld",
                        (long long)X->cols, (long long)m->p);
    int64_t n = X->rows, p = m->p, k = m->k;
    int64_t chunk = CML_MIN(n, TR_CHUNK), n_chunks = (n + chunk - 1) / chunk;
    int T = cml_get_num_threads();
    double *buf = cml_alloc_array((int64_t)T * chunk * p, sizeof(double));
    if (!buf) return CML_ERR_NOMEM;
        /* Centre first (as sklearn), chunk by chunk, then one dgemm per chunk. */
#pragma omp parallel for num_threads(T) schedule(static)
    for (int64_t c = 0; c < n_chunks; c++) {
#ifdef _OPENMP
        double *b = buf + (int64_t)omp_get_thread_num() * chunk * p;
#else
        double *b = buf;
#endif
        int64_t s = c * chunk, e = CML_MIN(s + chunk, n);
        center_rows(X, m->mean, s, e, b);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(e - s), (int)k, (int)p, 1.0, b,
                    (int)p, m->components, (int)p, 0.0, out + s * k, (int)k);
        if (m->whiten)
            for (int64_t i = s; i < e; i++)
                for (int64_t t = 0; t < k; t++)
                    out[i * k + t] /= sqrt(m->ev[t]);
    }
    free(buf);
    return CML_OK;
}

cml_status cml_pca_inverse_transform(const cml_pca *m, const cml_matrix *Z, double *out)
{
    CML_CHECK(cml_matrix_check(Z, "Z", 0));
    if (Z->cols != m->k)
        return cml_fail(CML_ERR_ARG, "pca: inverse_transform input has %lld columns, expected %lld",
                        (long long)Z->cols, (long long)m->k);
    int64_t p = m->p, k = m->k;
    const double *W = m->components;
    double *scaled = NULL;
    if (m->whiten) {
        scaled = cml_alloc_array(k * p, sizeof(double));
        if (!scaled) return CML_ERR_NOMEM;
        for (int64_t t = 0; t < k; t++)
            for (int64_t j = 0; j < p; j++)
                scaled[t * p + j] = sqrt(m->ev[t]) * m->components[t * p + j];
        W = scaled;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Z->rows, (int)p, (int)k, 1.0,
                Z->data, (int)Z->ld, W, (int)p, 0.0, out, (int)p);
    for (int64_t i = 0; i < Z->rows; i++)
        for (int64_t j = 0; j < p; j++)
            out[i * p + j] += m->mean[j];
    free(scaled);
    return CML_OK;
}

int64_t cml_pca_n_components(const cml_pca *m)
{
    return m->k;
}
int64_t cml_pca_n_features(const cml_pca *m)
{
    return m->p;
}
int64_t cml_pca_n_samples(const cml_pca *m)
{
    return m->n;
}
const double *cml_pca_components(const cml_pca *m)
{
    return m->components;
}
const double *cml_pca_explained_variance(const cml_pca *m)
{
    return m->ev;
}
const double *cml_pca_explained_variance_ratio(const cml_pca *m)
{
    return m->evr;
}
const double *cml_pca_singular_values(const cml_pca *m)
{
    return m->sv;
}
const double *cml_pca_mean(const cml_pca *m)
{
    return m->mean;
}
double cml_pca_noise_variance(const cml_pca *m)
{
    return m->noise_variance;
}
const char *cml_pca_solver_used(const cml_pca *m)
{
    return solver_names[m->solver];
}

/* ---------------------------------------------------------------- vtable */

static cml_status v_fit(const void *params, const cml_matrix *X, const double *y,
                        const cml_fit_opts *opts, void **state, cml_fit_info *info)
{
    (void)y;
    (void)opts;
    cml_pca *m;
    CML_CHECK(cml_pca_fit(params, X, &m));
    info->n_iter = 0;
    info->converged = 1;
    *state = m;
    return CML_OK;
}

static cml_status v_transform(const void *state, const cml_matrix *X, double *out)
{
    return cml_pca_transform(state, X, out);
}

static cml_status v_inverse(const void *state, const cml_matrix *Z, double *out)
{
    return cml_pca_inverse_transform(state, Z, out);
}

static int64_t v_n_features(const void *state)
{
    return ((const cml_pca *)state)->p;
}

static int64_t v_n_cols(const void *state)
{
    return ((const cml_pca *)state)->k;
}

static cml_status v_save(const void *state, const void *params, cml_gguf_writer *w)
{
    (void)params;
    const cml_pca *m = state;
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_components", m->k));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features", m->p));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_samples", m->n));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.noise_variance", m->noise_variance));
    CML_CHECK(cml_gguf_set_str(w, "cml.fit.svd_solver", solver_names[m->solver]));
    CML_CHECK(cml_gguf_add_f64(w, "components", m->components, m->k, m->p));
    CML_CHECK(cml_gguf_add_f64(w, "explained_variance", m->ev, 1, m->k));
    CML_CHECK(cml_gguf_add_f64(w, "explained_variance_ratio", m->evr, 1, m->k));
    CML_CHECK(cml_gguf_add_f64(w, "singular_values", m->sv, 1, m->k));
    return cml_gguf_add_f64(w, "mean", m->mean, 1, m->p);
}

static cml_status v_load(const cml_gguf *g, const void *params, int schema_version, void **state)
{
    (void)schema_version;
    const cml_pca_params *prm = params;
    cml_status st;
    const char *solver;
    cml_pca *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->whiten = prm->whiten;
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_components", &m->k));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_features", &m->p));
    CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_samples", &m->n));
    CML_TRY(cml_gguf_get_f64(g, "cml.fit.noise_variance", &m->noise_variance));
    CML_TRY(cml_gguf_get_str(g, "cml.fit.svd_solver", &solver));
    m->solver = -1;
    for (int s = 1; s < 4; s++)
        if (strcmp(solver, solver_names[s]) == 0) m->solver = s;
    if (m->solver < 0 || m->k < 1 || m->p < 1 || m->k > m->p || m->p > INT32_MAX || m->n < 2 ||
        m->p > INT64_MAX / 8 / m->k) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad PCA shape or solver (k=%lld, p=%lld, %s)",
                      cml_gguf_name(g), (long long)m->k, (long long)m->p, solver);
        goto fail;
    }
    /* shapes before sizes: k and p must match tensors the file holds */
    CML_TRY(cml_gguf_expect(g, "components", CML_GGUF_T_F64, m->k, m->p));
    CML_TRY(pca_alloc(m));
    m->mean = cml_alloc_array(m->p, sizeof(double));
    if (!m->mean) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(cml_gguf_read_f64(g, "components", m->k, m->p, m->components));
    CML_TRY(cml_gguf_read_f64(g, "explained_variance", 1, m->k, m->ev));
    CML_TRY(cml_gguf_read_f64(g, "explained_variance_ratio", 1, m->k, m->evr));
    CML_TRY(cml_gguf_read_f64(g, "singular_values", 1, m->k, m->sv));
    CML_TRY(cml_gguf_read_f64(g, "mean", 1, m->p, m->mean));
    *state = m;
    return CML_OK;
fail:
    cml_pca_free(m);
    return st;
}

static char *v_describe(const void *state)
{
    const cml_pca *m = state;
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_printf(&sb,
                  "{\"n_components\":%lld,\"n_features_in\":%lld,\"svd_solver\":", (long long)m->k,
                  (long long)m->p);
    cml_sb_json_str(&sb, solver_names[m->solver]);
    cml_sb_puts(&sb, ",\"noise_variance\":");
    cml_sb_json_num(&sb, m->noise_variance);
    cml_sb_puts(&sb, ",\"explained_variance\":");
    cml_sb_json_arr(&sb, m->ev, m->k);
    cml_sb_puts(&sb, ",\"explained_variance_ratio\":");
    cml_sb_json_arr(&sb, m->evr, m->k);
    cml_sb_puts(&sb, ",\"singular_values\":");
    cml_sb_json_arr(&sb, m->sv, m->k);
    cml_sb_puts(&sb, ",\"mean\":");
    cml_sb_json_arr(&sb, m->mean, m->p);
    cml_sb_puts(&sb, ",\"components\":[");
    for (int64_t t = 0; t < m->k; t++) {
        if (t) cml_sb_puts(&sb, ",");
        cml_sb_json_arr(&sb, m->components + t * m->p, m->p);
    }
    cml_sb_puts(&sb, "]}");
    return cml_sb_finish(&sb);
}

static void v_free(void *state)
{
    cml_pca_free(state);
}

const cml_estimator cml_est_pca = {
    .name = "pca",
    .aliases = "",
    .summary = "principal component analysis (full SVD, covariance eigh or randomized)",
    .task = CML_TASK_TRANSFORM,
    .schema_version = 1,
    .params = pca_params,
    .n_params = N_PARAMS,
    .params_size = sizeof(cml_pca_params),
    .allows_nan = 0,
    .fit = v_fit,
    .predict = NULL,
    .transform = v_transform,
    .inverse_transform = v_inverse,
    .n_features_in = v_n_features,
    .n_transform_cols = v_n_cols,
    .save = v_save,
    .load = v_load,
    .describe = v_describe,
    .free = v_free,
};
