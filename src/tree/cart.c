/*
 * cart.c — CART tree growth (Breiman, Friedman, Olshen & Stone 1984) as
 * scikit-learn 1.2 grows it, so that the same random_state gives the same
 * tree: DepthFirstTreeBuilder / BestFirstTreeBuilder, BestSplitter /
 * RandomSplitter, and the Gini, entropy, squared-error, Friedman-MSE and
 * absolute-error criteria (sklearn/tree/_tree.pyx, _splitter.pyx,
 * _criterion.pyx).
 *
 * A node with weighted class (or target) statistics T and weight w is split
 * at the threshold that maximizes the criterion's proxy improvement:
 *     Gini / entropy:  -w_R * i(R) - w_L * i(L)
 *     squared error:    S_L^2 / w_L + S_R^2 / w_R        (S = sum of w*y)
 *     Friedman MSE:    (w_R S_L - w_L S_R)^2 / (w_L w_R)
 *     absolute error:  -w_R * i(R) - w_L * i(L), i = weighted mean |y - median|
 * and the reported improvement is
 *     (w / w_root) * (i(node) - w_R/w * i(R) - w_L/w * i(L)).
 * Everything scikit-learn's choice depends on is reproduced: the features a
 * node visits and their order (Fisher-Yates with our_rand_r over a features
 * array that persists across nodes, with its bookkeeping of constant
 * features), strict '>' so the first of equal proxies wins, candidate
 * positions only between float32 values more than 1e-7 apart, thresholds
 * x_a/2 + x_b/2, the EPSILON tests, and the order nodes are visited (which
 * fixes both the node ids and the generator's sequence). The arithmetic of
 * each formula is written as scikit-learn writes it; sums taken in another
 * order can differ in the last bit for non-integer weights or targets.
 *
 * How a node finds its best threshold on a feature differs (the result does
 * not): rows are aggregated per distinct value, either in a histogram over
 * the value ranks present in the node (O(rows + ranks in range)) or, when
 * the node's ranks are sparse, after an LSD radix sort of the ranks
 * (O(rows)), and then the distinct values are scanned once. The absolute
 * error criterion evaluates each candidate in O(rows) (scikit-learn's is
 * also quadratic per node).
 *
 * NaN (cml's extension): NaN rows of the node are tried on both sides of
 * every candidate, plus the split "every non-NaN left, NaN right"
 * (threshold +inf); with no NaN in the node, NaN goes to the larger child.
 *
 * Complexity: O(depth * n * max_features) per tree for the histogram path.
 * Thread-safety: a build only reads cml_cart_data; its scratch is its own.
 */
#include <float.h>
#include <string.h>

#include "tree/cart.h"
#include "tree/sk_random.h"

/* sklearn: FEATURE_THRESHOLD (values closer than this are never split
 * apart) and EPSILON = np.finfo('double').eps. */
#define FEATURE_THRESHOLD 1e-7
#define EPSILON           DBL_EPSILON

/* ---------------------------------------------------------------- radix sort */

/* Sorts (key, idx) pairs by key (< 2^bits) with 8-bit LSD passes, stable.
 * Returns 1 when the result ended in the (k2, i2) buffers. */
static int radix_pairs(uint32_t *k, int32_t *ix, uint32_t *k2, int32_t *i2, int64_t m, int bits)
{
    int passes = (bits + 7) / 8, in_tmp = 0;
    for (int ps = 0; ps < passes; ps++) {
        int shift = 8 * ps;
        int64_t cnt[257] = {0};
        uint32_t *sk = in_tmp ? k2 : k, *dk = in_tmp ? k : k2;
        int32_t *si = in_tmp ? i2 : ix, *di = in_tmp ? ix : i2;
        for (int64_t i = 0; i < m; i++)
            cnt[((sk[i] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            cnt[b + 1] += cnt[b];
        for (int64_t i = 0; i < m; i++) {
            int64_t o = cnt[(sk[i] >> shift) & 0xff]++;
            dk[o] = sk[i];
            di[o] = si[i];
        }
        in_tmp = !in_tmp;
    }
    return in_tmp;
}

static int bits_for(uint32_t v)
{
    int b = 0;
    while (v) {
        b++;
        v >>= 1;
    }
    return b;
}

/* Orders (key, idx) by key; small inputs by insertion sort. The result is
 * always left in (k, ix). */
static void sort_pairs(uint32_t *k, int32_t *ix, uint32_t *k2, int32_t *i2, int64_t m,
                       uint32_t max_key)
{
    if (m <= 48) {
        for (int64_t i = 1; i < m; i++) {
            uint32_t kk = k[i];
            int32_t ii = ix[i];
            int64_t j = i - 1;
            while (j >= 0 && k[j] > kk) {
                k[j + 1] = k[j];
                ix[j + 1] = ix[j];
                j--;
            }
            k[j + 1] = kk;
            ix[j + 1] = ii;
        }
        return;
    }
    if (radix_pairs(k, ix, k2, i2, m, bits_for(max_key))) {
        memcpy(k, k2, (size_t)m * sizeof *k);
        memcpy(ix, i2, (size_t)m * sizeof *ix);
    }
}

/* ---------------------------------------------------------------- data */

static uint32_t float_key(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

typedef struct yval {
    double y;
    int32_t i;
} yval;

static int yval_cmp(const void *a, const void *b)
{
    double x = ((const yval *)a)->y, z = ((const yval *)b)->y;
    return (x > z) - (x < z);
}

/* Dense ranks of the (finite) targets, for the absolute-error criterion. */
static cml_status target_ranks(cml_cart_data *D)
{
    const int64_t n = D->n;
    yval *v = cml_alloc_array(n, sizeof *v);
    D->yrank = cml_alloc_array(n, sizeof *D->yrank);
    if (!v || !D->yrank) {
        free(v);
        return CML_ERR_NOMEM;
    }
    for (int64_t i = 0; i < n; i++)
        v[i] = (yval){D->y[i], (int32_t)i};
    qsort(v, (size_t)n, sizeof *v, yval_cmp);
    uint32_t r = 0;
    for (int64_t a = 0; a < n; a++) {
        if (a > 0 && v[a].y != v[a - 1].y) r++;
        D->yrank[v[a].i] = r;
    }
    free(v);
    return CML_OK;
}

void cml_cart_data_free(cml_cart_data *D)
{
    free(D->yrank);
    free(D->xc);
    free(D->rank);
    free(D->rank_off);
    free(D->rank_w);
    free(D->vals);
    free(D->val_off);
    free(D->yi);
    free(D->y);
    memset(D, 0, sizeof *D);
}

/* Rows and columns of a tile of the float32 transposition of X. */
#define XC_TILE 64

/* D->rank from the 32-bit ranks (d, n): each column in the narrowest width
 * that holds its NaN code nv[f]. */
static cml_status pack_ranks(cml_cart_data *D, const uint32_t *rank32, const int64_t *nv)
{
    const int64_t n = D->n, d = D->d;
    int64_t off = 0;
    for (int64_t f = 0; f < d; f++) {
        D->rank_w[f] = nv[f] <= UINT8_MAX ? 1 : nv[f] <= UINT16_MAX ? 2 : 4;
        D->rank_off[f] = off;
        off += (n * D->rank_w[f] + 63) / 64 * 64;
    }
    D->rank = cml_alloc_array(off > 0 ? off : 1, 1);
    if (!D->rank) return CML_ERR_NOMEM;
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (n * d > 20000)
    for (int64_t f = 0; f < d; f++) {
        const uint32_t *src = rank32 + f * n;
        uint8_t *col = D->rank + D->rank_off[f];
        if (D->rank_w[f] == 1)
            for (int64_t i = 0; i < n; i++)
                col[i] = (uint8_t)src[i];
        else if (D->rank_w[f] == 2)
            for (int64_t i = 0; i < n; i++)
                ((uint16_t *)(void *)col)[i] = (uint16_t)src[i];
        else
            memcpy(col, src, (size_t)n * sizeof *src);
    }
    return CML_OK;
}

/* out[a] = rank on feature f of row s[a], a < m: the node's random reads,
 * in one tight loop apart from the histogram updates, so many of its cache
 * misses are in flight at once. */
static void gather_ranks(const cml_cart_data *D, int64_t f, const int32_t *s, int64_t m,
                         uint32_t *out)
{
    const uint8_t *col = D->rank + D->rank_off[f];
    if (D->rank_w[f] == 1) {
        for (int64_t a = 0; a < m; a++)
            out[a] = col[s[a]];
    } else if (D->rank_w[f] == 2) {
        const uint16_t *c = (const uint16_t *)(const void *)col;
        for (int64_t a = 0; a < m; a++)
            out[a] = c[s[a]];
    } else {
        const uint32_t *c = (const uint32_t *)(const void *)col;
        for (int64_t a = 0; a < m; a++)
            out[a] = c[s[a]];
    }
}

cml_status cml_cart_data_init(const cml_matrix *X, const double *y, const int32_t *y_index,
                              int64_t n_classes, cml_cart_data *D)
{
    memset(D, 0, sizeof *D);
    const int64_t n = X->rows, d = X->cols;
    if (n > INT32_MAX - 1)
        return cml_fail(CML_ERR_ARG, "trees take at most %d rows, got %lld", INT32_MAX - 1,
                        (long long)n);
    /* scikit-learn casts X to float32 and rejects what overflows it. */
    for (int64_t i = 0; i < n; i++) {
        const double *r = cml_matrix_row(X, i);
        for (int64_t j = 0; j < d; j++)
            if (isinf((float)r[j]))
                return cml_fail(CML_ERR_ARG,
                                "X row %lld, column %lld is %g: trees work in float32 (as "
                                "scikit-learn) and take finite values within +-3.4e38 or NaN",
                                (long long)i + 1, (long long)j + 1, r[j]);
    }
    cml_status st = CML_OK;
    float **fv = NULL;
    int64_t *nv = NULL;
    int failed = 0;
    D->n = n;
    D->d = d;
    D->n_classes = n_classes;
    D->xc = cml_alloc_array(n * d, sizeof *D->xc);
    uint32_t *rank32 = cml_alloc_array(n * d, sizeof *rank32);
    D->rank_off = cml_alloc_array(d, sizeof *D->rank_off);
    D->rank_w = cml_alloc_array(d, sizeof *D->rank_w);
    D->val_off = cml_alloc_array(d + 1, sizeof *D->val_off);
    fv = cml_calloc((size_t)d, sizeof *fv);
    nv = cml_calloc((size_t)d, sizeof *nv);
    if (n_classes > 0) {
        D->yi = cml_alloc_array(n, sizeof *D->yi);
        if (D->yi) memcpy(D->yi, y_index, (size_t)n * sizeof *D->yi);
    } else {
        D->y = cml_alloc_array(n, sizeof *D->y);
        if (D->y) memcpy(D->y, y, (size_t)n * sizeof *D->y);
    }
    if (!D->xc || !rank32 || !D->rank_off || !D->rank_w || !D->val_off || !fv || !nv ||
        (n_classes > 0 ? !D->yi : !D->y)) {
        st = CML_ERR_NOMEM;
        goto fail;
    }

    /* X to float32 columns tile by tile (rows read in order, columns
     * written in runs), so the per-feature passes below read contiguous
     * columns rather than one cache line of X per value. */
#pragma omp parallel for CML_OMP_THREADS schedule(static) if (n * d > 20000)
    for (int64_t i0 = 0; i0 < n; i0 += XC_TILE)
        for (int64_t j0 = 0; j0 < d; j0 += XC_TILE) {
            const int64_t i1 = CML_MIN(n, i0 + XC_TILE), j1 = CML_MIN(d, j0 + XC_TILE);
            for (int64_t i = i0; i < i1; i++) {
                const double *r = X->data + i * X->ld;
                for (int64_t j = j0; j < j1; j++) {
                    float v = (float)r[j];
                    D->xc[j * n + i] = v == 0.0f ? 0.0f : v; /* -0 and +0 are one value */
                }
            }
        }

#pragma omp parallel CML_OMP_THREADS if (n * d > 20000)
    {
        uint32_t *k = cml_alloc_array(2 * n, sizeof *k);
        int32_t *ix = cml_alloc_array(2 * n, sizeof *ix);
        if (!k || !ix) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic)
        for (int64_t f = 0; f < d; f++) {
            if (!k || !ix) continue;
            const float *col = D->xc + f * n;
            uint32_t *rk = rank32 + f * n;
            int64_t m = 0;
            for (int64_t i = 0; i < n; i++) {
                const float v = col[i];
                if (isnan(v)) continue;
                k[m] = float_key(v);
                ix[m++] = (int32_t)i;
            }
            if (radix_pairs(k, ix, k + n, ix + n, m, 32)) {
                memcpy(k, k + n, (size_t)m * sizeof *k);
                memcpy(ix, ix + n, (size_t)m * sizeof *ix);
            }
            int64_t nd = 0;
            for (int64_t a = 0; a < m; a++) {
                if (a == 0 || k[a] != k[a - 1]) nd++;
                rk[ix[a]] = (uint32_t)(nd - 1);
            }
            for (int64_t i = 0; i < n; i++)
                if (isnan(col[i])) rk[i] = (uint32_t)nd;
            float *vals = cml_alloc_array(nd > 0 ? nd : 1, sizeof *vals);
            if (!vals) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            nd = 0;
            for (int64_t a = 0; a < m; a++)
                if (a == 0 || k[a] != k[a - 1]) vals[nd++] = col[ix[a]];
            fv[f] = vals;
            nv[f] = nd;
        }
        free(k);
        free(ix);
    }
    if (failed) {
        st = cml_fail(CML_ERR_NOMEM, "out of memory preparing the tree data");
        goto fail;
    }
    D->val_off[0] = 0;
    for (int64_t f = 0; f < d; f++)
        D->val_off[f + 1] = D->val_off[f] + nv[f];
    D->vals = cml_alloc_array(D->val_off[d] > 0 ? D->val_off[d] : 1, sizeof *D->vals);
    if (!D->vals) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t f = 0; f < d; f++)
        memcpy(D->vals + D->val_off[f], fv[f], (size_t)nv[f] * sizeof(float));
    CML_TRY(pack_ranks(D, rank32, nv));
    if (n_classes == 0) st = target_ranks(D);
fail:
    free(rank32);
    if (fv)
        for (int64_t f = 0; f < d; f++)
            free(fv[f]);
    free(fv);
    free(nv);
    if (st != CML_OK) cml_cart_data_free(D);
    return st;
}

/* ---------------------------------------------------------------- build state */

typedef struct split_rec {
    int64_t feature;
    double threshold;
    int nan_left;
    int64_t pos; /* start + rows going left */
    double improvement, imp_left, imp_right;
} split_rec;

typedef struct ws {
    const cml_cart_data *D;
    const cml_cart_config *C;
    const double *sw; /* (D->n) or NULL */
    int64_t S;        /* statistics per row: n_classes, or 1 */
    int64_t n;        /* rows in the tree (non-zero weight) */
    int32_t *samples; /* (n) scikit-learn's samples array */
    /* Per position p of samples[], moved with it by the partition, so the
     * hot loops read them in order instead of gathering by row id. */
    double *pw;                         /* (n) weight of samples[p] */
    int32_t *pyc;                       /* (n) class index of samples[p] (classification) */
    double *pyv;                        /* (n) target of samples[p] (regression) */
    int64_t *features, *const_features; /* (d) */
    uint32_t seed;
    double w_root, min_weight_leaf;
    /* node statistics (scikit-learn's node_reset) */
    double w_node, sq_total;
    double *sum_total; /* (S) */
    /* scratch */
    uint32_t *key, *key2;       /* (n) */
    int32_t *idx, *idx2;        /* (n) */
    int64_t hist_cap;           /* bins */
    int64_t *gcnt;              /* (hist_cap) rows per value */
    double *gw;                 /* (hist_cap) weight per value */
    double *gstat;              /* (hist_cap, S) */
    double *val;                /* (S) the node's value */
    double *tmp, *tmp2, *nanst; /* (S), (2 S), (S) */
    /* absolute error */
    int32_t *ysort; /* (n) node rows by ascending y */
    uint8_t *side;  /* (D->n) 1 = left, 0 = right, 2 = NaN */
    double median;  /* of the node */
} ws;

static inline double row_w(const ws *W, int32_t s)
{
    return W->sw ? W->sw[s] : 1.0;
}

/* ---------------------------------------------------------------- criteria */

static double log2_sk(double x)
{
    return log(x) / log(2.0); /* sklearn/tree/_utils: log(x) = ln(x) / ln(2) */
}

/* Impurity of one side from its class weights c (S) and weight w. */
static double class_impurity(const ws *W, const double *c, double w)
{
    if (W->C->criterion == CML_CART_GINI) {
        double sq = 0.0;
        for (int64_t k = 0; k < W->S; k++)
            sq += c[k] * c[k];
        return 1.0 - sq / (w * w);
    }
    double e = 0.0;
    for (int64_t k = 0; k < W->S; k++) {
        double p = c[k];
        if (p > 0.0) {
            p /= w;
            e -= p * log2_sk(p);
        }
    }
    return e;
}

/* Proxy improvement of a split whose left side has statistics L, weight wl
 * (the right side is the node minus the left, as scikit-learn computes it). */
static double proxy(const ws *W, const double *L, double wl)
{
    const double wr = W->w_node - wl;
    switch (W->C->criterion) {
    case CML_CART_MSE: {
        double sr = W->sum_total[0] - L[0];
        return L[0] * L[0] / wl + sr * sr / wr;
    }
    case CML_CART_FRIEDMAN_MSE: {
        double sr = W->sum_total[0] - L[0];
        double diff = wr * L[0] - wl * sr;
        return diff * diff / (wl * wr);
    }
    case CML_CART_GINI: {
        /* class_impurity of both sides in one pass: the same sums in the
         * same order, without storing the right side's statistics */
        double sql = 0.0, sqr = 0.0;
        for (int64_t k = 0; k < W->S; k++) {
            const double l = L[k], r = W->sum_total[k] - l;
            sqr += r * r;
            sql += l * l;
        }
        return -wr * (1.0 - sqr / (wr * wr)) - wl * (1.0 - sql / (wl * wl));
    }
    default: {
        double *R = W->tmp2;
        for (int64_t k = 0; k < W->S; k++)
            R[k] = W->sum_total[k] - L[k];
        return -wr * class_impurity(W, R, wr) - wl * class_impurity(W, L, wl);
    }
    }
}

/* Weighted median of the node rows with side[s] == want (0/1), NaN rows
 * counted on side nan_side; W_side their weight. scikit-learn's
 * WeightedMedianCalculator: the smallest k with sum(w[0:k]) >= W/2; the mean
 * of the k-th and next value when the sum equals W/2 exactly. */
static double side_median(const ws *W, int64_t m, int want, int nan_side, double w_side)
{
    double half = w_side / 2.0, cum = 0.0;
    for (int64_t a = 0; a < m; a++) {
        int32_t s = W->ysort[a];
        int sd = W->side[s] == 2 ? nan_side : W->side[s];
        if (sd != want) continue;
        cum += row_w(W, s);
        if (cum >= half) {
            double v = W->D->y[s];
            if (cum != half) return v;
            for (int64_t b = a + 1; b < m; b++) {
                int32_t t = W->ysort[b];
                int st = W->side[t] == 2 ? nan_side : W->side[t];
                if (st == want) return (W->D->y[t] + v) / 2.0;
            }
            return v;
        }
    }
    return 0.0;
}

/* Absolute-error impurities of the current side[] assignment. */
static void mae_children(const ws *W, int64_t m, int nan_side, double wl, double wr, double *imp_l,
                         double *imp_r)
{
    double ml = side_median(W, m, 1, nan_side, wl), mr = side_median(W, m, 0, nan_side, wr);
    double al = 0.0, ar = 0.0;
    for (int64_t a = 0; a < m; a++) {
        int32_t s = W->ysort[a];
        int sd = W->side[s] == 2 ? nan_side : W->side[s];
        double y = W->D->y[s];
        if (sd)
            al += fabs(y - ml) * row_w(W, s);
        else
            ar += fabs(y - mr) * row_w(W, s);
    }
    *imp_l = al / wl;
    *imp_r = ar / wr;
}

/* scikit-learn's node_reset: node weight and statistics, in sample order. */
static void node_reset(ws *W, int64_t start, int64_t end)
{
    const int64_t S = W->S;
    const cml_cart_data *D = W->D;
    memset(W->sum_total, 0, (size_t)S * sizeof(double));
    W->w_node = 0.0;
    W->sq_total = 0.0;
    for (int64_t p = start; p < end; p++) {
        double w = W->pw[p];
        if (W->pyc) {
            W->sum_total[W->pyc[p]] += w;
        } else {
            double wy = w * W->pyv[p];
            W->sum_total[0] += wy;
            W->sq_total += wy * W->pyv[p];
        }
        W->w_node += w;
    }
    if (W->C->criterion == CML_CART_MAE) {
        int64_t m = end - start;
        /* Rows by ascending y: radix sort of their global y ranks. */
        for (int64_t p = start; p < end; p++) {
            W->key[p - start] = D->yrank[W->samples[p]];
            W->ysort[p - start] = W->samples[p];
        }
        sort_pairs(W->key, W->ysort, W->key2, W->idx2, m, (uint32_t)D->n);
        for (int64_t p = start; p < end; p++)
            W->side[W->samples[p]] = 1;
        W->median = side_median(W, m, 1, 1, W->w_node);
    }
}

static double node_impurity(ws *W, int64_t start, int64_t end)
{
    switch (W->C->criterion) {
    case CML_CART_MSE:
    case CML_CART_FRIEDMAN_MSE: {
        double mean = W->sum_total[0] / W->w_node;
        return W->sq_total / W->w_node - mean * mean;
    }
    case CML_CART_MAE: {
        double a = 0.0;
        for (int64_t p = start; p < end; p++) {
            int32_t s = W->samples[p];
            a += fabs(W->D->y[s] - W->median) * row_w(W, s);
        }
        return a / W->w_node;
    }
    default: return class_impurity(W, W->sum_total, W->w_node);
    }
}

static void node_value(const ws *W, double *dst)
{
    switch (W->C->criterion) {
    case CML_CART_MSE:
    case CML_CART_FRIEDMAN_MSE: dst[0] = W->sum_total[0] / W->w_node; break;
    case CML_CART_MAE: dst[0] = W->median; break;
    default: memcpy(dst, W->sum_total, (size_t)W->S * sizeof(double));
    }
}

/* Adds (sign +1) or removes (-1) the row at position p to statistics L. */
static inline void stat_add(const ws *W, double *L, int64_t p, double w, double sign)
{
    if (W->pyc)
        L[W->pyc[p]] += sign * w;
    else
        L[0] += sign * (w * W->pyv[p]);
}

/* After partitioning [start, pos) | [pos, end): children impurities and the
 * improvement, as scikit-learn's reset() + update(pos) + children_impurity()
 * + impurity_improvement() compute them. */
static void split_children(ws *W, int64_t start, int64_t pos, int64_t end, double impurity,
                           split_rec *b)
{
    double *L = W->tmp, wl;
    const int64_t S = W->S;
    if (pos - start <= end - pos) {
        memset(L, 0, (size_t)S * sizeof(double));
        wl = 0.0;
        for (int64_t p = start; p < pos; p++) {
            double w = W->pw[p];
            stat_add(W, L, p, w, 1.0);
            wl += w;
        }
    } else { /* reverse_reset, then remove the right rows from the end */
        memcpy(L, W->sum_total, (size_t)S * sizeof(double));
        wl = W->w_node;
        for (int64_t p = end - 1; p >= pos; p--) {
            double w = W->pw[p];
            stat_add(W, L, p, w, -1.0);
            wl -= w;
        }
    }
    const double wr = W->w_node - wl, wn = W->w_node;
    double il, ir;
    switch (W->C->criterion) {
    case CML_CART_MSE:
    case CML_CART_FRIEDMAN_MSE: {
        double sq_l = 0.0;
        for (int64_t p = start; p < pos; p++) {
            double y = W->pyv[p];
            sq_l += W->pw[p] * y * y;
        }
        double sq_r = W->sq_total - sq_l, sr = W->sum_total[0] - L[0];
        double ml = L[0] / wl, mr = sr / wr;
        il = sq_l / wl - ml * ml;
        ir = sq_r / wr - mr * mr;
        break;
    }
    case CML_CART_MAE: {
        for (int64_t p = start; p < end; p++)
            W->side[W->samples[p]] = p < pos;
        mae_children(W, end - start, 0, wl, wr, &il, &ir);
        break;
    }
    default: {
        double *R = W->tmp2;
        for (int64_t k = 0; k < S; k++)
            R[k] = W->sum_total[k] - L[k];
        il = class_impurity(W, L, wl);
        ir = class_impurity(W, R, wr);
    }
    }
    b->imp_left = il;
    b->imp_right = ir;
    if (W->C->criterion == CML_CART_FRIEDMAN_MSE) {
        double sr = W->sum_total[0] - L[0];
        double diff = wr * L[0] - wl * sr;
        b->improvement = diff * diff / (wl * wr * wn);
    } else {
        b->improvement = (wn / W->w_root) * (impurity - (wr / wn * ir) - (wl / wn * il));
    }
}

/* ---------------------------------------------------------------- candidate scan */

/* State of the scan of one feature. */
typedef struct scan {
    int64_t f, start, end, m;
    int64_t nan_cnt;
    double nan_w;
    double *best_proxy;
    split_rec *best;
} scan;

/* Tries the split whose left side holds L (wl, nl), with the node's NaN rows
 * on the left when nan_left. thr_a/thr_b: the values around the threshold
 * (thr_b NaN: threshold +inf). */
static void try_split(ws *W, scan *sc, const double *L, double wl, int64_t nl, int nan_left,
                      float va, float vb, int inf_thr)
{
    const int64_t S = W->S;
    const double *Lx = L;
    if (nan_left) {
        double *t = W->tmp;
        for (int64_t k = 0; k < S; k++)
            t[k] = L[k] + W->nanst[k];
        Lx = t;
        wl += sc->nan_w;
        nl += sc->nan_cnt;
    }
    int64_t nr = sc->m - nl;
    if (nl < W->C->min_samples_leaf || nr < W->C->min_samples_leaf) return;
    double wr = W->w_node - wl;
    if (wl < W->min_weight_leaf || wr < W->min_weight_leaf) return;
    double pr;
    if (W->C->criterion == CML_CART_MAE) {
        double il, ir;
        mae_children(W, sc->m, nan_left, wl, wr, &il, &ir);
        pr = -wr * ir - wl * il;
    } else {
        pr = proxy(W, Lx, wl);
    }
    if (!(pr > *sc->best_proxy)) return;
    *sc->best_proxy = pr;
    split_rec *b = sc->best;
    b->feature = sc->f;
    if (inf_thr) {
        b->threshold = INFINITY;
    } else {
        double t = (double)va / 2.0 + (double)vb / 2.0;
        if (t == (double)vb || isinf(t)) t = va;
        b->threshold = t;
    }
    b->nan_left = sc->nan_cnt > 0 ? nan_left : (nl >= nr);
    b->pos = sc->start + nl;
}

/* Scans the histogram bins [0, range) (rows, weight and statistics per
 * distinct value; bin b holds the value vb[b]), trying every boundary
 * between non-empty bins whose values are more than 1e-7 apart. */
static void scan_hist(ws *W, scan *sc, const int64_t *cnt, const double *gw, const double *gst,
                      const float *vb, int64_t range, double *L, double *wl, int64_t *nl)
{
    const int64_t S = W->S;
    int64_t prev = -1;
    for (int64_t b = 0; b < range; b++) {
        if (!cnt[b]) continue;
        if (prev >= 0 && (double)vb[b] > (double)vb[prev] + FEATURE_THRESHOLD) {
            try_split(W, sc, L, *wl, *nl, 0, vb[prev], vb[b], 0);
            if (sc->nan_cnt) try_split(W, sc, L, *wl, *nl, 1, vb[prev], vb[b], 0);
        }
        const double *g = gst + b * S;
        for (int64_t c = 0; c < S; c++)
            L[c] += g[c];
        *wl += gw[b];
        *nl += cnt[b];
        prev = b;
    }
}

/* Best split of the node on feature f (BestSplitter). Returns 1 when the
 * feature is constant in the node (scikit-learn then skips it). */
static int best_on_feature(ws *W, int64_t f, int64_t start, int64_t end, double *best_proxy,
                           split_rec *best)
{
    const cml_cart_data *D = W->D;
    const int64_t S = W->S, m = end - start;
    /* the node's ranks in sample order (key2 is free until sort_pairs) */
    uint32_t *rk = W->key2;
    gather_ranks(D, f, W->samples + start, m, rk);
    const float *v = D->vals + D->val_off[f];
    const uint32_t nv = (uint32_t)(D->val_off[f + 1] - D->val_off[f]);
    scan sc = {f, start, end, m, 0, 0.0, best_proxy, best};
    const int mae = W->C->criterion == CML_CART_MAE;
    double *L = W->tmp2 + S; /* scratch after R's (S) slots; see ws_alloc */
    memset(L, 0, (size_t)S * sizeof(double));
    double wl = 0.0;
    int64_t nl = 0;

    if (!mae && (int64_t)nv < W->hist_cap && (int64_t)nv <= 4 * m + 64) {
        /* Few distinct values: one pass straight into a histogram over all
         * of them, the last bin holding the NaN rows. */
        const int64_t nb = (int64_t)nv + 1;
        memset(W->gcnt, 0, (size_t)nb * sizeof(int64_t));
        memset(W->gw, 0, (size_t)nb * sizeof(double));
        memset(W->gstat, 0, (size_t)(nb * S) * sizeof(double));
        for (int64_t p = start; p < end; p++) {
            uint32_t r = rk[p - start];
            double w = W->pw[p];
            W->gcnt[r]++;
            W->gw[r] += w;
            stat_add(W, W->gstat + r * S, p, w, 1.0);
        }
        sc.nan_cnt = W->gcnt[nv];
        sc.nan_w = W->gw[nv];
        memcpy(W->nanst, W->gstat + (int64_t)nv * S, (size_t)S * sizeof(double));
        int64_t lo = 0, hi = (int64_t)nv - 1;
        while (lo < (int64_t)nv && !W->gcnt[lo])
            lo++;
        if (lo == (int64_t)nv) return 1; /* every row NaN */
        while (!W->gcnt[hi])
            hi--;
        if (sc.nan_cnt == 0 && (double)v[hi] <= (double)v[lo] + FEATURE_THRESHOLD) return 1;
        scan_hist(W, &sc, W->gcnt + lo, W->gw + lo, W->gstat + lo * S, v + lo, hi - lo + 1, L, &wl,
                  &nl);
        if (sc.nan_cnt) try_split(W, &sc, L, wl, nl, 0, 0.0f, 0.0f, 1);
        return 0;
    }

    uint32_t lo = UINT32_MAX, hi = 0;
    memset(W->nanst, 0, (size_t)S * sizeof(double));
    int64_t k = 0;
    for (int64_t p = start; p < end; p++) {
        uint32_t r = rk[p - start];
        if (r == nv) {
            double w = W->pw[p];
            sc.nan_cnt++;
            sc.nan_w += w;
            stat_add(W, W->nanst, p, w, 1.0);
            if (W->side) W->side[W->samples[p]] = 2;
            continue;
        }
        lo = r < lo ? r : lo;
        hi = r > hi ? r : hi;
        W->key[k] = r;
        W->idx[k++] = (int32_t)p; /* positions, not row ids */
    }
    if (k == 0) return 1;
    if (sc.nan_cnt == 0 && (double)v[hi] <= (double)v[lo] + FEATURE_THRESHOLD) return 1;
    const int64_t range = (int64_t)hi - lo + 1;

    if (!mae && range <= W->hist_cap && range <= 4 * k + 64) {
        /* histogram over the ranks in [lo, hi] */
        memset(W->gcnt, 0, (size_t)range * sizeof(int64_t));
        memset(W->gw, 0, (size_t)range * sizeof(double));
        memset(W->gstat, 0, (size_t)(range * S) * sizeof(double));
        for (int64_t a = 0; a < k; a++) {
            int32_t p = W->idx[a];
            int64_t b = W->key[a] - lo;
            double w = W->pw[p];
            W->gcnt[b]++;
            W->gw[b] += w;
            stat_add(W, W->gstat + b * S, p, w, 1.0);
        }
        scan_hist(W, &sc, W->gcnt, W->gw, W->gstat, v + lo, range, L, &wl, &nl);
    } else {
        for (int64_t a = 0; a < k; a++)
            W->key[a] -= lo;
        sort_pairs(W->key, W->idx, W->key2, W->idx2, k, hi - lo);
        if (mae)
            for (int64_t a = 0; a < k; a++)
                W->side[W->samples[W->idx[a]]] = 0;
        for (int64_t a = 0; a < k;) {
            if (a > 0) {
                float va = v[lo + W->key[a - 1]], vb = v[lo + W->key[a]];
                if ((double)vb > (double)va + FEATURE_THRESHOLD) {
                    try_split(W, &sc, L, wl, nl, 0, va, vb, 0);
                    if (sc.nan_cnt) try_split(W, &sc, L, wl, nl, 1, va, vb, 0);
                }
            }
            uint32_t r = W->key[a];
            for (; a < k && W->key[a] == r; a++) {
                int32_t p = W->idx[a];
                double w = W->pw[p];
                stat_add(W, L, p, w, 1.0);
                wl += w;
                nl++;
                if (mae) W->side[W->samples[p]] = 1;
            }
        }
    }
    if (sc.nan_cnt) try_split(W, &sc, L, wl, nl, 0, 0.0f, 0.0f, 1);
    return 0;
}

/* RandomSplitter on feature f: one uniform threshold between the node's
 * min and max. Returns 1 when the feature is constant in the node. */
static int random_on_feature(ws *W, int64_t f, int64_t start, int64_t end, double *best_proxy,
                             split_rec *best)
{
    const cml_cart_data *D = W->D;
    const int64_t S = W->S, m = end - start, n = D->n;
    const float *x = D->xc + f * n;
    scan sc = {f, start, end, m, 0, 0.0, best_proxy, best};
    float lo = INFINITY, hi = -INFINITY;
    memset(W->nanst, 0, (size_t)S * sizeof(double));
    for (int64_t p = start; p < end; p++) {
        int32_t s = W->samples[p];
        float xv = x[s];
        if (isnan(xv)) {
            double w = W->pw[p];
            sc.nan_cnt++;
            sc.nan_w += w;
            stat_add(W, W->nanst, p, w, 1.0);
            continue;
        }
        lo = xv < lo ? xv : lo;
        hi = xv > hi ? xv : hi;
    }
    if (sc.nan_cnt == m) return 1;
    if (sc.nan_cnt == 0 && (double)hi <= (double)lo + FEATURE_THRESHOLD) return 1;
    double thr = cml_sk_rand_uniform(lo, hi, &W->seed);
    if (thr == (double)hi) thr = lo;
    double *L = W->tmp2 + S;
    memset(L, 0, (size_t)S * sizeof(double));
    double wl = 0.0;
    int64_t nl = 0;
    for (int64_t p = start; p < end; p++) {
        int32_t s = W->samples[p];
        float xv = x[s];
        int left = !isnan(xv) && (double)xv <= thr;
        if (W->side) W->side[s] = isnan(xv) ? 2 : (uint8_t)left;
        if (!left) continue;
        double w = W->pw[p];
        stat_add(W, L, p, w, 1.0);
        wl += w;
        nl++;
    }
    /* The threshold itself is stored, not a midpoint: pass it through va/vb. */
    double saved = *best_proxy;
    try_split(W, &sc, L, wl, nl, 0, 0.0f, 0.0f, 0);
    if (*best_proxy != saved && best->feature == f) best->threshold = thr;
    if (sc.nan_cnt) {
        saved = *best_proxy;
        try_split(W, &sc, L, wl, nl, 1, 0.0f, 0.0f, 0);
        if (*best_proxy != saved && best->feature == f) best->threshold = thr;
    }
    return 0;
}

/* scikit-learn's node_split: visits up to max_features features in a
 * random order (Fisher-Yates over W->features, skipping known constants),
 * keeps the best split, partitions the node's rows. */
static void node_split(ws *W, int64_t start, int64_t end, double impurity, int64_t *n_constant,
                       split_rec *best)
{
    const int64_t n_features = W->D->d;
    int64_t *features = W->features, *constant_features = W->const_features;
    int64_t f_i = n_features, f_j, tmp;
    int64_t n_visited = 0, n_found_constants = 0, n_drawn_constants = 0;
    const int64_t n_known_constants = *n_constant;
    int64_t n_total_constants = n_known_constants;
    double best_proxy = -INFINITY;

    best->feature = 0;
    best->threshold = 0.0;
    best->nan_left = 0;
    best->pos = end;
    best->improvement = -INFINITY;
    best->imp_left = best->imp_right = INFINITY;

    while (f_i > n_total_constants &&
           (n_visited < W->C->max_features || n_visited <= n_found_constants + n_drawn_constants)) {
        n_visited++;
        f_j = cml_sk_rand_int(n_drawn_constants, f_i - n_found_constants, &W->seed);
        if (f_j < n_known_constants) {
            tmp = features[n_drawn_constants];
            features[n_drawn_constants] = features[f_j];
            features[f_j] = tmp;
            n_drawn_constants++;
            continue;
        }
        f_j += n_found_constants;
        int64_t f = features[f_j];
        int is_const;
        if (W->C->random_splitter) {
            /* The draw of the threshold comes after the constant check and
             * the bookkeeping below in scikit-learn, but both only read the
             * node; the generator sequence is the same. */
            is_const = random_on_feature(W, f, start, end, &best_proxy, best);
        } else {
            is_const = best_on_feature(W, f, start, end, &best_proxy, best);
        }
        if (is_const) {
            tmp = features[n_total_constants];
            features[n_total_constants] = features[f_j];
            features[f_j] = tmp;
            n_found_constants++;
            n_total_constants++;
            continue;
        }
        f_i--;
        tmp = features[f_i];
        features[f_i] = features[f_j];
        features[f_j] = tmp;
    }

    if (best->pos < end) {
        /* Partition by the routing predict uses: x <= threshold, NaN by flag. */
        const float *x = W->D->xc + best->feature * W->D->n;
        int64_t p = start, e = end;
        while (p < e) {
            int32_t s = W->samples[p];
            float xv = x[s];
            int left = isnan(xv) ? best->nan_left : ((double)xv <= best->threshold);
            if (left) {
                p++;
            } else {
                e--;
                W->samples[p] = W->samples[e];
                W->samples[e] = s;
                double tw = W->pw[p];
                W->pw[p] = W->pw[e];
                W->pw[e] = tw;
                if (W->pyc) {
                    int32_t ty = W->pyc[p];
                    W->pyc[p] = W->pyc[e];
                    W->pyc[e] = ty;
                } else {
                    double ty = W->pyv[p];
                    W->pyv[p] = W->pyv[e];
                    W->pyv[e] = ty;
                }
            }
        }
        CML_ASSERT(p == best->pos);
        split_children(W, start, best->pos, end, impurity, best);
    }
    /* Constant features known to the parent keep their order for siblings
     * and children; newly found ones are appended. */
    memcpy(features, constant_features, (size_t)n_known_constants * sizeof *features);
    memcpy(constant_features + n_known_constants, features + n_known_constants,
           (size_t)n_found_constants * sizeof *features);
    *n_constant = n_total_constants;
}

/* ---------------------------------------------------------------- builders */

static int is_leaf_node(const ws *W, int64_t depth, int64_t n_node, double impurity)
{
    const cml_cart_config *C = W->C;
    return depth >= C->max_depth || n_node < C->min_samples_split ||
           n_node < 2 * C->min_samples_leaf || W->w_node < 2 * W->min_weight_leaf ||
           impurity <= EPSILON;
}

typedef struct stack_rec {
    int64_t start, end, depth, parent, n_constant;
    int is_left;
    double impurity;
} stack_rec;

static cml_status build_depth_first(ws *W, cml_dtree *t)
{
    stack_rec *stack = cml_alloc_array(2 * W->n + 2, sizeof *stack);
    if (!stack) return CML_ERR_NOMEM;
    int64_t top = 0;
    stack[top++] = (stack_rec){0, W->n, 0, CML_TREE_UNDEFINED, 0, 0, INFINITY};
    int first = 1;
    t->max_depth = -1;
    while (top) {
        stack_rec r = stack[--top];
        int64_t n_node = r.end - r.start;
        node_reset(W, r.start, r.end);
        double impurity = r.impurity;
        if (first) {
            impurity = node_impurity(W, r.start, r.end);
            first = 0;
        }
        int is_leaf = is_leaf_node(W, r.depth, n_node, impurity);
        split_rec sp = {0, 0.0, 0, r.end, 0.0, 0.0, 0.0};
        int64_t n_constant = r.n_constant;
        double *val = W->val;
        node_value(W, val);
        if (!is_leaf) {
            node_split(W, r.start, r.end, impurity, &n_constant, &sp);
            is_leaf = sp.pos >= r.end || sp.improvement + EPSILON < W->C->min_impurity_decrease;
        }
        int64_t id = cml_dtree_add_node(t, r.parent, r.is_left, is_leaf, sp.feature, sp.threshold,
                                        sp.nan_left, impurity, n_node, W->w_node);
        if (id < 0) {
            free(stack);
            return CML_ERR_NOMEM;
        }
        memcpy(t->value + id * t->stride, val, (size_t)t->stride * sizeof(double));
        if (!is_leaf) {
            stack[top++] = (stack_rec){sp.pos, r.end, r.depth + 1, id, n_constant, 0, sp.imp_right};
            stack[top++] =
                (stack_rec){r.start, sp.pos, r.depth + 1, id, n_constant, 1, sp.imp_left};
        }
        if (r.depth > t->max_depth) t->max_depth = r.depth;
    }
    free(stack);
    return CML_OK;
}

/* Best-first growth: a max-heap of frontier records on improvement, with
 * libstdc++'s push_heap/pop_heap sift order, so ties pop as in
 * scikit-learn (which uses std::push_heap / std::pop_heap). */
typedef struct frontier {
    int64_t node_id, start, end, pos, depth;
    int is_leaf;
    double impurity, imp_left, imp_right, improvement;
} frontier;

static void heap_push(frontier *h, int64_t len) /* h[len-1] was just appended */
{
    frontier v = h[len - 1];
    int64_t hole = len - 1, parent = (hole - 1) / 2;
    while (hole > 0 && h[parent].improvement < v.improvement) {
        h[hole] = h[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    h[hole] = v;
}

static void heap_pop(frontier *h, int64_t len) /* moves the max to h[len-1] */
{
    if (len <= 1) return;
    frontier v = h[len - 1];
    h[len - 1] = h[0];
    int64_t n = len - 1, hole = 0, child = 0;
    while (child < (n - 1) / 2) {
        child = 2 * (child + 1);
        if (h[child].improvement < h[child - 1].improvement) child--;
        h[hole] = h[child];
        hole = child;
    }
    if ((n & 1) == 0 && child == (n - 2) / 2) {
        child = 2 * (child + 1);
        h[hole] = h[child - 1];
        hole = child - 1;
    }
    int64_t parent = (hole - 1) / 2;
    while (hole > 0 && h[parent].improvement < v.improvement) {
        h[hole] = h[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    h[hole] = v;
}

static cml_status add_split_node(ws *W, cml_dtree *t, int64_t start, int64_t end, double impurity,
                                 int is_first, int is_left, int64_t parent, int64_t depth,
                                 frontier *res)
{
    node_reset(W, start, end);
    if (is_first) impurity = node_impurity(W, start, end);
    int64_t n_node = end - start, n_constant = 0;
    int is_leaf = is_leaf_node(W, depth, n_node, impurity);
    split_rec sp = {0, 0.0, 0, end, 0.0, 0.0, 0.0};
    double *val = W->val;
    node_value(W, val);
    if (!is_leaf) {
        node_split(W, start, end, impurity, &n_constant, &sp);
        is_leaf = sp.pos >= end || sp.improvement + EPSILON < W->C->min_impurity_decrease;
    }
    int64_t id = cml_dtree_add_node(t, parent, is_left, is_leaf, sp.feature, sp.threshold,
                                    sp.nan_left, impurity, n_node, W->w_node);
    if (id < 0) return CML_ERR_NOMEM;
    memcpy(t->value + id * t->stride, val, (size_t)t->stride * sizeof(double));
    *res = (frontier){id, start, end, end, depth, 1, impurity, impurity, impurity, 0.0};
    if (!is_leaf) {
        res->pos = sp.pos;
        res->is_leaf = 0;
        res->improvement = sp.improvement;
        res->imp_left = sp.imp_left;
        res->imp_right = sp.imp_right;
    }
    return CML_OK;
}

static cml_status build_best_first(ws *W, cml_dtree *t)
{
    int64_t max_split = W->C->max_leaf_nodes - 1;
    /* at most max_leaf_nodes + 1 records, and never more than the nodes */
    frontier *h = cml_alloc_array(CML_MIN(2 * W->C->max_leaf_nodes, 2 * W->n) + 2, sizeof *h);
    if (!h) return CML_ERR_NOMEM;
    int64_t len = 0;
    cml_status st;
    t->max_depth = -1;
    frontier rec, l, r;
    CML_TRY(add_split_node(W, t, 0, W->n, INFINITY, 1, 1, CML_TREE_UNDEFINED, 0, &h[len++]));
    heap_push(h, len);
    while (len) {
        heap_pop(h, len);
        rec = h[--len];
        if (rec.is_leaf || max_split <= 0) {
            cml_dtree_make_leaf(t, rec.node_id);
        } else {
            max_split--;
            CML_TRY(add_split_node(W, t, rec.start, rec.pos, rec.imp_left, 0, 1, rec.node_id,
                                   rec.depth + 1, &l));
            CML_TRY(add_split_node(W, t, rec.pos, rec.end, rec.imp_right, 0, 0, rec.node_id,
                                   rec.depth + 1, &r));
            h[len++] = l;
            heap_push(h, len);
            h[len++] = r;
            heap_push(h, len);
        }
        if (rec.depth > t->max_depth) t->max_depth = rec.depth;
    }
    st = CML_OK;
fail:
    free(h);
    return st;
}

/* ---------------------------------------------------------------- entry */

static void ws_free(ws *W)
{
    free(W->samples);
    free(W->pw);
    free(W->pyc);
    free(W->pyv);
    free(W->features);
    free(W->const_features);
    free(W->sum_total);
    free(W->key);
    free(W->key2);
    free(W->idx);
    free(W->idx2);
    free(W->gcnt);
    free(W->gw);
    free(W->gstat);
    free(W->val);
    free(W->tmp);
    free(W->tmp2);
    free(W->nanst);
    free(W->ysort);
    free(W->side);
}

static cml_status ws_alloc(ws *W, const cml_cart_data *D)
{
    const int64_t n = D->n, d = D->d, S = W->S;
    int64_t maxv = 1;
    for (int64_t f = 0; f < d; f++)
        maxv = CML_MAX(maxv, D->val_off[f + 1] - D->val_off[f]);
    /* Histograms wider than 4 bins per row (+64) are never used (see
     * best_on_feature); one more bin holds the NaN rows. */
    W->hist_cap = CML_MIN(maxv + 1, 4 * n + 65);
    W->samples = cml_alloc_array(n, sizeof *W->samples);
    W->pw = cml_alloc_array(n, sizeof *W->pw);
    if (D->n_classes > 0)
        W->pyc = cml_alloc_array(n, sizeof *W->pyc);
    else
        W->pyv = cml_alloc_array(n, sizeof *W->pyv);
    if (!W->pw || (D->n_classes > 0 ? !W->pyc : !W->pyv)) return CML_ERR_NOMEM;
    W->features = cml_alloc_array(d, sizeof *W->features);
    W->const_features = cml_alloc_array(d, sizeof *W->const_features);
    W->sum_total = cml_alloc_array(S, sizeof(double));
    W->key = cml_alloc_array(n, sizeof *W->key);
    W->key2 = cml_alloc_array(n, sizeof *W->key2);
    W->idx = cml_alloc_array(n, sizeof *W->idx);
    W->idx2 = cml_alloc_array(n, sizeof *W->idx2);
    W->gcnt = cml_alloc_array(W->hist_cap, sizeof *W->gcnt);
    W->gw = cml_alloc_array(W->hist_cap, sizeof *W->gw);
    W->gstat = cml_alloc_array(W->hist_cap * S, sizeof *W->gstat);
    W->val = cml_alloc_array(S, sizeof(double));
    W->tmp = cml_alloc_array(S, sizeof(double));
    W->tmp2 = cml_alloc_array(2 * S, sizeof(double));
    W->nanst = cml_alloc_array(S, sizeof(double));
    if (!W->samples || !W->features || !W->const_features || !W->sum_total || !W->key || !W->key2 ||
        !W->idx || !W->idx2 || !W->gcnt || !W->gw || !W->gstat || !W->val || !W->tmp || !W->tmp2 ||
        !W->nanst)
        return CML_ERR_NOMEM;
    if (W->C->criterion == CML_CART_MAE) {
        W->ysort = cml_alloc_array(n, sizeof *W->ysort);
        W->side = cml_alloc_array(n, 1);
        if (!W->ysort || !W->side) return CML_ERR_NOMEM;
    }
    return CML_OK;
}

cml_status cml_cart_build(const cml_cart_data *D, const cml_cart_config *C, const double *sw,
                          cml_dtree **out)
{
    *out = NULL;
    ws W;
    memset(&W, 0, sizeof W);
    W.D = D;
    W.C = C;
    W.sw = sw;
    W.S = D->n_classes > 0 ? D->n_classes : 1;
    W.seed = C->seed;
    cml_dtree *t = NULL, *pruned = NULL;
    cml_status st;
    CML_TRY(ws_alloc(&W, D));
    /* scikit-learn's Splitter.init: rows of zero weight are left out. */
    double total = 0.0;
    for (int64_t i = 0; i < D->n; i++) {
        double w = sw ? sw[i] : 1.0;
        if (w != 0.0) {
            W.pw[W.n] = w;
            if (W.pyc)
                W.pyc[W.n] = D->yi[i];
            else
                W.pyv[W.n] = D->y[i];
            W.samples[W.n++] = (int32_t)i;
        }
        total += w;
    }
    W.w_root = total;
    if (W.n == 0 || !(total > 0)) {
        st = cml_fail(CML_ERR_ARG, "trees need a positive total sample weight");
        goto fail;
    }
    W.min_weight_leaf = C->min_weight_fraction_leaf * (sw ? total : (double)D->n);
    for (int64_t f = 0; f < D->d; f++)
        W.features[f] = W.const_features[f] = f;
    t = cml_dtree_new(W.S);
    if (!t) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (C->max_leaf_nodes < 0)
        CML_TRY(build_depth_first(&W, t));
    else
        CML_TRY(build_best_first(&W, t));
    if (C->ccp_alpha > 0.0) {
        CML_TRY(cml_dtree_prune(t, C->ccp_alpha, &pruned));
        cml_dtree_free(t);
        t = pruned;
    }
    CML_TRY(cml_dtree_finish(t, D->n_classes > 0));
    ws_free(&W);
    *out = t;
    return CML_OK;
fail:
    ws_free(&W);
    cml_dtree_free(t);
    return st;
}
