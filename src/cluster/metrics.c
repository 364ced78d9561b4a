/*
 * metrics.c — clustering metrics, scikit-learn 1.2's sklearn.metrics.cluster:
 * silhouette (Rousseeuw 1987), Davies-Bouldin (1979), Calinski-Harabasz
 * (1974) from the data; adjusted Rand (Hubert & Arabie 1985), mutual
 * information, NMI (arithmetic normalisation), homogeneity, completeness and
 * V-measure (Rosenberg & Hirschberg 2007) from two labelings.
 *
 * Labels are doubles compared by value; they are encoded to 0..k-1 in
 * ascending order (sklearn's LabelEncoder), so per-cluster loops and sums run
 * in sklearn's order. Formulas follow sklearn's code term by term (e.g. its
 * clipping of tiny MI terms, its dot-product expansion of Euclidean
 * distances) so the results agree to ~1e-13.
 *
 * Complexity: label metrics O(n log n) (a sparse contingency table from a
 * sort); silhouette O(n^2 p) through blocked dgemm, parallel over row blocks
 * with per-row results (thread-count independent); the others O(n p).
 * Thread-safety: pure functions.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "cml/cluster.h"
#include "core/internal.h"

__extension__ typedef __int128 cml_i128;

/* ---------------------------------------------------------------- labels */

typedef struct enc_item {
    double v;
    int64_t i;
} enc_item;

static int cmp_item(const void *a, const void *b)
{
    const enc_item *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* codes (n) = rank of each label among the sorted distinct values;
 * *k = their count. */
static cml_status encode(const double *y, int64_t n, const char *what, int64_t *codes, int64_t *k)
{
    if (!y) return cml_fail(CML_ERR_ARG, "%s is NULL", what);
    for (int64_t i = 0; i < n; i++)
        if (isnan(y[i]))
            return cml_fail(CML_ERR_ARG, "%s[%lld] is NaN; labels must be numbers", what,
                            (long long)i);
    enc_item *it = cml_alloc_array(n, sizeof(enc_item));
    if (!it) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        it[i] = (enc_item){y[i], i};
    qsort(it, (size_t)n, sizeof *it, cmp_item);
    int64_t c = -1;
    for (int64_t t = 0; t < n; t++) {
        if (t == 0 || it[t].v != it[t - 1].v) c++;
        codes[it[t].i] = c;
    }
    *k = c + 1;
    free(it);
    return CML_OK;
}

/* ------------------------------------------------------------ contingency */

/* Sparse contingency table in row-major order: nz entries (a, b, count)
 * plus the marginals. */
typedef struct contingency {
    int64_t n, ka, kb, nz;
    int64_t *a, *b, *count; /* (nz) */
    int64_t *ra, *rb;       /* (ka), (kb) marginals */
} contingency;

static void cont_free(contingency *c)
{
    free(c->a);
    free(c->b);
    free(c->count);
    free(c->ra);
    free(c->rb);
}

static int cmp_pair(const void *x, const void *y)
{
    const int64_t *p = x, *q = y;
    if (p[0] != q[0]) return p[0] < q[0] ? -1 : 1;
    return (p[1] > q[1]) - (p[1] < q[1]);
}

static cml_status contingency_of(const double *ya, const double *yb, int64_t n, contingency *c)
{
    memset(c, 0, sizeof *c);
    if (n < 1) return cml_fail(CML_ERR_ARG, "labels are empty (n = %lld)", (long long)n);
    cml_status st;
    int64_t *ca = cml_alloc_array(n, sizeof(int64_t));
    int64_t *cb = cml_alloc_array(n, sizeof(int64_t));
    int64_t *pairs = cml_alloc_array(2 * n, sizeof(int64_t));
    if (!ca || !cb || !pairs) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    CML_TRY(encode(ya, n, "labels_true", ca, &c->ka));
    CML_TRY(encode(yb, n, "labels_pred", cb, &c->kb));
    for (int64_t i = 0; i < n; i++) {
        pairs[2 * i] = ca[i];
        pairs[2 * i + 1] = cb[i];
    }
    qsort(pairs, (size_t)n, 2 * sizeof(int64_t), cmp_pair);
    c->n = n;
    c->a = cml_alloc_array(n, sizeof(int64_t));
    c->b = cml_alloc_array(n, sizeof(int64_t));
    c->count = cml_alloc_array(n, sizeof(int64_t));
    c->ra = cml_calloc((size_t)c->ka, sizeof(int64_t));
    c->rb = cml_calloc((size_t)c->kb, sizeof(int64_t));
    if (!c->a || !c->b || !c->count || !c->ra || !c->rb) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t a = pairs[2 * i], b = pairs[2 * i + 1];
        if (c->nz == 0 || c->a[c->nz - 1] != a || c->b[c->nz - 1] != b) {
            c->a[c->nz] = a;
            c->b[c->nz] = b;
            c->count[c->nz++] = 0;
        }
        c->count[c->nz - 1]++;
        c->ra[a]++;
        c->rb[b]++;
    }
    st = CML_OK;
fail:
    if (st != CML_OK) cont_free(c);
    free(ca);
    free(cb);
    free(pairs);
    return st;
}

/* sklearn's entropy of a labeling from its class counts. */
static double entropy_of(const int64_t *counts, int64_t k, int64_t n)
{
    if (k == 1) return 0.0;
    double h = 0.0, ln = log((double)n);
    for (int64_t i = 0; i < k; i++)
        if (counts[i] > 0) h += ((double)counts[i] / (double)n) * (log((double)counts[i]) - ln);
    return -h;
}

/* sklearn's mutual_info_score from a contingency table (natural log). */
static double mutual_info(const contingency *c)
{
    if (c->ka == 1 || c->kb == 1) return 0.0;
    double N = (double)c->n, lnN = log(N), mi = 0.0;
    for (int64_t t = 0; t < c->nz; t++) {
        double cm = (double)c->count[t] / N;
        double outer = (double)c->ra[c->a[t]] * (double)c->rb[c->b[t]];
        double log_outer = -log(outer) + lnN + lnN;
        double term = cm * (log((double)c->count[t]) - lnN) + cm * log_outer;
        if (fabs(term) < DBL_EPSILON) term = 0.0;
        mi += term;
    }
    return mi < 0.0 ? 0.0 : mi;
}

cml_status cml_mutual_info_score(const double *labels_true, const double *labels_pred, int64_t n,
                                 double *out)
{
    contingency c;
    CML_CHECK(contingency_of(labels_true, labels_pred, n, &c));
    *out = mutual_info(&c);
    cont_free(&c);
    return CML_OK;
}

cml_status cml_normalized_mutual_info_score(const double *labels_true, const double *labels_pred,
                                            int64_t n, double *out)
{
    contingency c;
    CML_CHECK(contingency_of(labels_true, labels_pred, n, &c));
    if (c.ka == 1 && c.kb == 1) {
        *out = 1.0; /* both labelings are a single cluster: perfect agreement */
    } else {
        double mi = mutual_info(&c);
        if (mi == 0.0) {
            *out = 0.0;
        } else {
            double ht = entropy_of(c.ra, c.ka, c.n), hp = entropy_of(c.rb, c.kb, c.n);
            double norm = CML_MAX((ht + hp) / 2.0, DBL_EPSILON);
            *out = mi / norm;
        }
    }
    cont_free(&c);
    return CML_OK;
}

cml_status cml_homogeneity_completeness_v_measure(const double *labels_true,
                                                  const double *labels_pred, int64_t n, double *h,
                                                  double *c, double *v)
{
    contingency t;
    CML_CHECK(contingency_of(labels_true, labels_pred, n, &t));
    double hc = entropy_of(t.ra, t.ka, t.n), hk = entropy_of(t.rb, t.kb, t.n);
    double mi = mutual_info(&t);
    double hom = hc != 0.0 ? mi / hc : 1.0;
    double com = hk != 0.0 ? mi / hk : 1.0;
    double vm = hom + com == 0.0 ? 0.0 : 2.0 * hom * com / (hom + com);
    if (h) *h = hom;
    if (c) *c = com;
    if (v) *v = vm;
    cont_free(&t);
    return CML_OK;
}

cml_status cml_homogeneity_score(const double *labels_true, const double *labels_pred, int64_t n,
                                 double *out)
{
    return cml_homogeneity_completeness_v_measure(labels_true, labels_pred, n, out, NULL, NULL);
}

cml_status cml_completeness_score(const double *labels_true, const double *labels_pred, int64_t n,
                                  double *out)
{
    return cml_homogeneity_completeness_v_measure(labels_true, labels_pred, n, NULL, out, NULL);
}

cml_status cml_v_measure_score(const double *labels_true, const double *labels_pred, int64_t n,
                               double *out)
{
    return cml_homogeneity_completeness_v_measure(labels_true, labels_pred, n, NULL, NULL, out);
}

cml_status cml_adjusted_rand_score(const double *labels_true, const double *labels_pred, int64_t n,
                                   double *out)
{
    contingency c;
    CML_CHECK(contingency_of(labels_true, labels_pred, n, &c));
    /* sklearn's pair_confusion_matrix, in exact integers. */
    cml_i128 ss = 0, ck = 0, cc = 0, N = n;
    for (int64_t t = 0; t < c.nz; t++) {
        cml_i128 v = c.count[t];
        ss += v * v;
        ck += v * c.rb[c.b[t]];
        cc += v * c.ra[c.a[t]];
    }
    cml_i128 tp = ss - N, fp = ck - ss, fn = cc - ss, tn = N * N - fp - fn - ss;
    cont_free(&c);
    if (fn == 0 && fp == 0) {
        *out = 1.0;
        return CML_OK;
    }
    cml_i128 num = tp * tn - fn * fp;
    cml_i128 den = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
    *out = 2.0 * (double)num / (double)den;
    return CML_OK;
}

/* --------------------------------------------------------- data-based scores */

/* Encodes labels for an X-based score and checks sklearn's
 * check_number_of_labels: 2 <= n_labels <= n_samples - 1. */
static cml_status labels_for_X(const cml_matrix *X, const double *labels, int64_t *codes,
                               int64_t *k, const char *who)
{
    CML_CHECK(cml_matrix_check(X, "X", 0));
    CML_CHECK(encode(labels, X->rows, "labels", codes, k));
    if (*k < 2 || *k > X->rows - 1)
        return cml_fail(CML_ERR_ARG,
                        "%s: number of labels is %lld; valid values are 2 to n_samples - 1 "
                        "(inclusive) = %lld",
                        who, (long long)*k, (long long)(X->rows - 1));
    return CML_OK;
}

/* Cluster sizes and centroids (sequential sums, as numpy's mean(axis=0)). */
static cml_status centroids_of(const cml_matrix *X, const int64_t *codes, int64_t k,
                               int64_t **sizes, double **cent)
{
    int64_t p = X->cols;
    *sizes = cml_calloc((size_t)k, sizeof(int64_t));
    *cent = cml_calloc((size_t)(k * p), sizeof(double));
    if (!*sizes || !*cent) {
        free(*sizes);
        free(*cent);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < X->rows; i++) {
        const double *r = X->data + i * X->ld;
        double *c = *cent + codes[i] * p;
        for (int64_t j = 0; j < p; j++)
            c[j] += r[j];
        (*sizes)[codes[i]]++;
    }
    for (int64_t c = 0; c < k; c++)
        for (int64_t j = 0; j < p; j++)
            (*cent)[c * p + j] /= (double)(*sizes)[c];
    return CML_OK;
}

cml_status cml_silhouette_samples(const cml_matrix *X, const double *labels, double *out)
{
    int64_t n = X ? X->rows : 0, p = X ? X->cols : 0, k;
    int64_t *codes = cml_alloc_array(CML_MAX(n, 1), sizeof(int64_t));
    if (!codes) return CML_ERR_NOMEM;
    cml_status st = labels_for_X(X, labels, codes, &k, "silhouette");
    if (st != CML_OK) {
        free(codes);
        return st;
    }
    int T = cml_get_num_threads();
    /* Rows per distance block: a function of n only, ~16 MB per thread. */
    int64_t SIL_BLOCK = CML_MAX(8, CML_MIN(256, ((int64_t)1 << 21) / n));
    int64_t nb = (n + SIL_BLOCK - 1) / SIL_BLOCK;
    int64_t *freq = cml_calloc((size_t)k, sizeof(int64_t));
    double *xx = cml_alloc_array(n, sizeof(double));
    double *D = cml_alloc_array((int64_t)T * SIL_BLOCK * n, sizeof(double));
    double *cd = cml_alloc_array((int64_t)T * k, sizeof(double));
    if (!freq || !xx || !D || !cd) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n; i++) {
        freq[codes[i]]++;
        const double *r = X->data + i * X->ld;
        double s = 0.0;
        for (int64_t j = 0; j < p; j++)
            s += r[j] * r[j];
        xx[i] = s;
    }
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
    for (int64_t b = 0; b < nb; b++) {
#ifdef _OPENMP
        int tid = omp_get_thread_num();
#else
        int tid = 0;
#endif
        int64_t s = b * SIL_BLOCK, e = CML_MIN(s + SIL_BLOCK, n), m = e - s;
        double *Db = D + (int64_t)tid * SIL_BLOCK * n, *sums = cd + (int64_t)tid * k;
        /* sklearn's euclidean_distances: sqrt(max(0, -2 x.y + |x|^2 + |y|^2)),
         * with the diagonal set to 0. */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)p, -2.0,
                    X->data + s * X->ld, (int)X->ld, X->data, (int)X->ld, 0.0, Db, (int)n);
        for (int64_t i = 0; i < m; i++) {
            double *row = Db + i * n;
            memset(sums, 0, (size_t)k * sizeof(double));
            for (int64_t j = 0; j < n; j++) {
                double d2 = row[j] + xx[s + i] + xx[j];
                double d = (j == s + i || d2 <= 0.0) ? 0.0 : sqrt(d2);
                sums[codes[j]] += d;
            }
            int64_t own = codes[s + i];
            double a = sums[own], bmin = INFINITY;
            for (int64_t c = 0; c < k; c++)
                if (c != own) bmin = CML_MIN(bmin, sums[c] / (double)freq[c]);
            /* A singleton cluster has silhouette 0 (sklearn's nan_to_num). */
            if (freq[own] <= 1) {
                out[s + i] = 0.0;
                continue;
            }
            a /= (double)(freq[own] - 1);
            double den = CML_MAX(a, bmin);
            out[s + i] = den > 0.0 ? (bmin - a) / den : 0.0;
        }
    }
fail:
    free(codes);
    free(freq);
    free(xx);
    free(D);
    free(cd);
    return st;
}

cml_status cml_silhouette_score(const cml_matrix *X, const double *labels, double *out)
{
    int64_t n = X ? X->rows : 0;
    double *s = cml_alloc_array(CML_MAX(n, 1), sizeof(double));
    if (!s) return CML_ERR_NOMEM;
    cml_status st = cml_silhouette_samples(X, labels, s);
    if (st == CML_OK) {
        double acc = 0.0;
        for (int64_t i = 0; i < n; i++)
            acc += s[i];
        *out = acc / (double)n;
    }
    free(s);
    return st;
}

cml_status cml_davies_bouldin_score(const cml_matrix *X, const double *labels, double *out)
{
    int64_t n = X ? X->rows : 0, p = X ? X->cols : 0, k;
    int64_t *codes = cml_alloc_array(CML_MAX(n, 1), sizeof(int64_t)), *sizes = NULL;
    double *cent = NULL, *intra = NULL, *cc = NULL;
    if (!codes) return CML_ERR_NOMEM;
    cml_status st;
    CML_TRY(labels_for_X(X, labels, codes, &k, "davies_bouldin_score"));
    CML_TRY(centroids_of(X, codes, k, &sizes, &cent));
    intra = cml_calloc((size_t)k, sizeof(double));
    cc = cml_alloc_array(k, sizeof(double));
    if (!intra || !cc) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t c = 0; c < k; c++) {
        double s = 0.0;
        for (int64_t j = 0; j < p; j++)
            s += cent[c * p + j] * cent[c * p + j];
        cc[c] = s;
    }
    /* Mean distance to the own centroid, through sklearn's expansion. */
    for (int64_t i = 0; i < n; i++) {
        const double *r = X->data + i * X->ld, *c = cent + codes[i] * p;
        double xc = 0.0, xx = 0.0;
        for (int64_t j = 0; j < p; j++) {
            xc += r[j] * c[j];
            xx += r[j] * r[j];
        }
        double d2 = -2.0 * xc + xx + cc[codes[i]];
        intra[codes[i]] += d2 > 0.0 ? sqrt(d2) : 0.0;
    }
    int all_zero = 1, cent_zero = 1;
    for (int64_t c = 0; c < k; c++) {
        intra[c] /= (double)sizes[c];
        all_zero &= fabs(intra[c]) <= 1e-8; /* np.allclose(x, 0) */
    }
    double total = 0.0;
    for (int64_t a = 0; a < k; a++) {
        double best = -INFINITY;
        for (int64_t b = 0; b < k; b++) {
            if (a == b) continue;
            double dot = 0.0;
            for (int64_t j = 0; j < p; j++)
                dot += cent[a * p + j] * cent[b * p + j];
            double d2 = -2.0 * dot + cc[a] + cc[b];
            double d = d2 > 0.0 ? sqrt(d2) : 0.0;
            cent_zero &= fabs(d) <= 1e-8;
            double r = d == 0.0 ? 0.0 : (intra[a] + intra[b]) / d;
            best = CML_MAX(best, r);
        }
        total += best;
    }
    *out = (all_zero || cent_zero) ? 0.0 : total / (double)k;
    st = CML_OK;
fail:
    free(codes);
    free(sizes);
    free(cent);
    free(intra);
    free(cc);
    return st;
}

cml_status cml_calinski_harabasz_score(const cml_matrix *X, const double *labels, double *out)
{
    int64_t n = X ? X->rows : 0, p = X ? X->cols : 0, k;
    int64_t *codes = cml_alloc_array(CML_MAX(n, 1), sizeof(int64_t)), *sizes = NULL;
    double *cent = NULL, *mean = NULL;
    if (!codes) return CML_ERR_NOMEM;
    cml_status st;
    CML_TRY(labels_for_X(X, labels, codes, &k, "calinski_harabasz_score"));
    CML_TRY(centroids_of(X, codes, k, &sizes, &cent));
    mean = cml_calloc((size_t)p, sizeof(double));
    if (!mean) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < p; j++)
            mean[j] += X->data[i * X->ld + j];
    for (int64_t j = 0; j < p; j++)
        mean[j] /= (double)n;
    double extra = 0.0, intra = 0.0;
    for (int64_t c = 0; c < k; c++) {
        double s = 0.0;
        for (int64_t j = 0; j < p; j++)
            s += (cent[c * p + j] - mean[j]) * (cent[c * p + j] - mean[j]);
        extra += (double)sizes[c] * s;
    }
    for (int64_t i = 0; i < n; i++) {
        const double *r = X->data + i * X->ld, *c = cent + codes[i] * p;
        for (int64_t j = 0; j < p; j++)
            intra += (r[j] - c[j]) * (r[j] - c[j]);
    }
    *out = intra == 0.0 ? 1.0 : extra * (double)(n - k) / (intra * ((double)k - 1.0));
    st = CML_OK;
fail:
    free(codes);
    free(sizes);
    free(cent);
    free(mean);
    return st;
}
