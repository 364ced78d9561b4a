/*
 * split.c — train/test splits, k-fold assignment, row gathering.
 *
 * Mirrors scikit-learn 1.2.1:
 *  - train_test_split / ShuffleSplit: n_test = ceil(test_size * n) for a
 *    fraction, n_train = n - n_test; a random permutation, test first.
 *  - StratifiedShuffleSplit: per-class train counts from
 *    _approximate_mode(class_counts, n_train), then test counts from
 *    _approximate_mode(remaining, n_test): floor of the proportional share,
 *    the leftover draws going to the classes with the largest remainders
 *    (ties broken at random). The per-class counts therefore equal sklearn's
 *    exactly whenever no tie is broken at random, and are one of sklearn's
 *    possible outcomes otherwise; indices differ (another RNG).
 *  - KFold: fold f gets n / k samples, the first n % k folds one more, in
 *    index order (after a seeded shuffle when asked).
 *  - StratifiedKFold: classes numbered by first appearance; the sorted codes
 *    are dealt round-robin to the folds (allocation[f][c] = #{p in class c's
 *    block of the sorted codes : p % k == f}), then each class's fold list
 *    is given to its samples in index order (shuffled first when asked).
 *    Without shuffle the folds equal sklearn's exactly.
 * Randomness: one cml_rng seeded from `seed`; results do not depend on the
 * thread count. Complexity: O(n log n) (class discovery), O(n) otherwise.
 * Thread-safety: reentrant.
 */
#include <math.h>
#include <string.h>

#include "cml/data.h"
#include "core/internal.h"

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorted distinct values of y (*classes, malloc'd) and each sample's class
 * index (*code, malloc'd). NaN in y is an error. */
static cml_status classes_of(const double *y, int64_t n, double **classes, int64_t *nc,
                             int64_t **code)
{
    *classes = NULL;
    *code = NULL;
    for (int64_t i = 0; i < n; i++)
        if (isnan(y[i]))
            return cml_fail(CML_ERR_ARG, "y[%lld] is NaN; stratification needs a label per sample",
                            (long long)i);
    double *u = cml_alloc_array(n, sizeof *u);
    int64_t *c = cml_alloc_array(n, sizeof *c);
    if (!u || !c) {
        free(u);
        free(c);
        return CML_ERR_NOMEM;
    }
    memcpy(u, y, (size_t)n * sizeof *u);
    qsort(u, (size_t)n, sizeof *u, dbl_cmp);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || u[i] != u[k - 1]) u[k++] = u[i];
    for (int64_t i = 0; i < n; i++) {
        int64_t lo = 0, hi = k;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (u[mid] < y[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        c[i] = lo;
    }
    *classes = u;
    *nc = k;
    *code = c;
    return CML_OK;
}

/* sklearn.utils.extmath._approximate_mode: n_draws split over classes in
 * proportion to counts, floors first, then one extra to each of the largest
 * remainders (ties at random). Same float expressions as numpy, so the
 * remainders and their ties are the same. scratch: 3k doubles + k int64. */
static void approximate_mode(const int64_t *counts, int64_t k, int64_t n_draws, cml_rng *rng,
                             int64_t *out, double *scratch, int64_t *pick)
{
    double *fl = scratch, *rem = scratch + k, *vals = scratch + 2 * k;
    int64_t total = 0;
    for (int64_t i = 0; i < k; i++)
        total += counts[i];
    double fsum = 0;
    for (int64_t i = 0; i < k; i++) {
        double cont = (double)counts[i] / (double)total * (double)n_draws;
        fl[i] = floor(cont);
        rem[i] = cont - fl[i];
        fsum += fl[i];
    }
    int64_t need = (int64_t)((double)n_draws - fsum);
    if (need > 0) {
        memcpy(vals, rem, (size_t)k * sizeof *vals);
        qsort(vals, (size_t)k, sizeof *vals, dbl_cmp);
        for (int64_t v = k - 1; v >= 0 && need > 0; v--) {
            if (v < k - 1 && vals[v] == vals[v + 1]) continue; /* distinct values, descending */
            int64_t m = 0;
            for (int64_t i = 0; i < k; i++)
                if (rem[i] == vals[v]) pick[m++] = i;
            int64_t add = CML_MIN(m, need);
            /* Random subset of size add: partial Fisher-Yates. */
            for (int64_t a = 0; a < add; a++) {
                int64_t r = a + (int64_t)cml_rng_below(rng, (uint64_t)(m - a));
                int64_t t = pick[a];
                pick[a] = pick[r];
                pick[r] = t;
                fl[pick[a]] += 1;
            }
            need -= add;
        }
    }
    for (int64_t i = 0; i < k; i++)
        out[i] = (int64_t)fl[i];
}

static cml_status stratified_split(int64_t n, const double *y, int64_t n_train, int64_t n_test,
                                   cml_rng *rng, int64_t *train, int64_t *test)
{
    double *classes = NULL, *scratch = NULL;
    int64_t *code = NULL, *counts = NULL, *start = NULL, *order = NULL, *ni = NULL, *ti = NULL,
            *pick = NULL;
    int64_t nc = 0;
    cml_status st;
    CML_TRY(classes_of(y, n, &classes, &nc, &code));
    counts = cml_calloc((size_t)nc, sizeof *counts);
    start = cml_calloc((size_t)nc + 1, sizeof *start);
    order = cml_alloc_array(n, sizeof *order);
    ni = cml_alloc_array(nc, sizeof *ni);
    ti = cml_alloc_array(nc, sizeof *ti);
    pick = cml_alloc_array(nc, sizeof *pick);
    scratch = cml_alloc_array(3 * nc, sizeof *scratch);
    if (!counts || !start || !order || !ni || !ti || !pick || !scratch) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < n; i++)
        counts[code[i]]++;
    for (int64_t c = 0; c < nc; c++) {
        if (counts[c] < 2) {
            st = cml_fail(CML_ERR_ARG,
                          "class %g has only %lld member; stratify needs at least 2 per class",
                          classes[c], (long long)counts[c]);
            goto fail;
        }
    }
    if (n_train < nc || n_test < nc) {
        st = cml_fail(CML_ERR_ARG,
                      "train size %lld and test size %lld must each be >= the number of classes "
                      "(%lld) to stratify",
                      (long long)n_train, (long long)n_test, (long long)nc);
        goto fail;
    }
    /* Samples grouped by class, index order inside a class (numpy's stable argsort). */
    for (int64_t c = 0; c < nc; c++)
        start[c + 1] = start[c] + counts[c];
    {
        int64_t *fill = ni; /* borrowed as a cursor before ni is computed */
        memcpy(fill, start, (size_t)nc * sizeof *fill);
        for (int64_t i = 0; i < n; i++)
            order[fill[code[i]]++] = i;
    }
    approximate_mode(counts, nc, n_train, rng, ni, scratch, pick);
    for (int64_t c = 0; c < nc; c++)
        counts[c] -= ni[c];
    approximate_mode(counts, nc, n_test, rng, ti, scratch, pick);
    int64_t a = 0, b = 0;
    for (int64_t c = 0; c < nc; c++) {
        int64_t *blk = order + start[c], m = start[c + 1] - start[c];
        cml_rng_shuffle_i64(rng, blk, m);
        for (int64_t i = 0; i < ni[c]; i++)
            train[a++] = blk[i];
        for (int64_t i = 0; i < ti[c]; i++)
            test[b++] = blk[ni[c] + i];
    }
    CML_ASSERT(a == n_train && b == n_test);
    cml_rng_shuffle_i64(rng, train, n_train);
    cml_rng_shuffle_i64(rng, test, n_test);
    st = CML_OK;
fail:
    free(classes);
    free(code);
    free(counts);
    free(start);
    free(order);
    free(ni);
    free(ti);
    free(pick);
    free(scratch);
    return st;
}

cml_status cml_train_test_split(int64_t n, double test_size, const double *y, int stratify,
                                uint64_t seed, int64_t **train, int64_t *n_train, int64_t **test,
                                int64_t *n_test)
{
    if (!train || !n_train || !test || !n_test)
        return cml_fail(CML_ERR_ARG, "cml_train_test_split: NULL output");
    *train = *test = NULL;
    *n_train = *n_test = 0;
    if (n < 2)
        return cml_fail(CML_ERR_ARG, "need at least 2 samples to split, got %lld", (long long)n);
    if (!(test_size > 0) || (test_size >= 1 && test_size != floor(test_size)))
        return cml_fail(CML_ERR_ARG,
                        "test_size must be a fraction in (0, 1) or a whole count >= 1, got %g",
                        test_size);
    if (stratify && !y) return cml_fail(CML_ERR_ARG, "stratify needs y (the class labels)");
    int64_t nt;
    if (test_size < 1) {
        nt = (int64_t)ceil(test_size * (double)n); /* sklearn rounds the test part up */
    } else {
        if (test_size >= (double)n)
            return cml_fail(CML_ERR_ARG,
                            "test_size = %g leaves no training samples (n = %lld). HINT: use a "
                            "fraction such as 0.25",
                            test_size, (long long)n);
        nt = (int64_t)test_size;
    }
    int64_t ntr = n - nt;
    if (nt < 1 || ntr < 1)
        return cml_fail(CML_ERR_ARG,
                        "test_size = %g with n = %lld gives %lld train and %lld test samples; "
                        "both must be >= 1",
                        test_size, (long long)n, (long long)ntr, (long long)nt);
    int64_t *tr = cml_alloc_array(ntr, sizeof *tr), *te = cml_alloc_array(nt, sizeof *te);
    if (!tr || !te) {
        free(tr);
        free(te);
        return CML_ERR_NOMEM;
    }
    cml_rng rng;
    cml_rng_seed(&rng, seed);
    cml_status st = CML_OK;
    if (stratify) {
        st = stratified_split(n, y, ntr, nt, &rng, tr, te);
    } else {
        int64_t *perm = cml_alloc_array(n, sizeof *perm);
        if (!perm) {
            st = CML_ERR_NOMEM;
        } else {
            for (int64_t i = 0; i < n; i++)
                perm[i] = i;
            cml_rng_shuffle_i64(&rng, perm, n);
            memcpy(te, perm, (size_t)nt * sizeof *te);
            memcpy(tr, perm + nt, (size_t)ntr * sizeof *tr);
            free(perm);
        }
    }
    if (st != CML_OK) {
        free(tr);
        free(te);
        return st;
    }
    *train = tr;
    *n_train = ntr;
    *test = te;
    *n_test = nt;
    return CML_OK;
}

static cml_status stratified_kfold(int64_t n, int k, const double *y, cml_rng *rng, int shuffle,
                                   int *fold)
{
    double *classes = NULL;
    int64_t *code = NULL, *first = NULL, *rank = NULL, *counts = NULL, *alloc = NULL;
    int *ff = NULL;
    int64_t nc = 0;
    cml_status st;
    CML_TRY(classes_of(y, n, &classes, &nc, &code));
    first = cml_alloc_array(nc, sizeof *first);
    rank = cml_alloc_array(nc, sizeof *rank);
    counts = cml_calloc((size_t)nc, sizeof *counts);
    alloc = cml_calloc((size_t)nc * (size_t)k, sizeof *alloc);
    ff = cml_alloc_array(n, sizeof *ff);
    if (!first || !rank || !counts || !alloc || !ff) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* Classes renumbered by first appearance, as StratifiedKFold encodes y. */
    for (int64_t c = 0; c < nc; c++)
        first[c] = -1;
    int64_t next = 0;
    for (int64_t i = 0; i < n; i++)
        if (first[code[i]] < 0) first[code[i]] = next++;
    for (int64_t i = 0; i < n; i++)
        code[i] = first[code[i]];
    for (int64_t i = 0; i < n; i++)
        counts[code[i]]++;
    int64_t min_count = n, max_count = 0;
    for (int64_t c = 0; c < nc; c++) {
        min_count = CML_MIN(min_count, counts[c]);
        max_count = CML_MAX(max_count, counts[c]);
    }
    if (k > max_count) {
        st = cml_fail(CML_ERR_ARG,
                      "k = %d is greater than the number of members in each class (largest "
                      "class: %lld)",
                      k, (long long)max_count);
        goto fail;
    }
    if (k > min_count)
        cml_log(CML_LOG_WARN,
                "the least populated class has only %lld members, fewer than k = %d folds",
                (long long)min_count, k);
    /* Deal the sorted codes round-robin: position p goes to fold p % k. */
    int64_t p = 0;
    for (int64_t c = 0; c < nc; c++)
        for (int64_t m = 0; m < counts[c]; m++, p++)
            alloc[c * k + p % k]++;
    int64_t off = 0;
    for (int64_t c = 0; c < nc; c++) {
        int *blk = ff + off;
        int64_t m = 0;
        for (int f = 0; f < k; f++)
            for (int64_t r = 0; r < alloc[c * k + f]; r++)
                blk[m++] = f;
        if (shuffle)
            for (int64_t i = m - 1; i > 0; i--) { /* Fisher-Yates */
                int64_t j = (int64_t)cml_rng_below(rng, (uint64_t)(i + 1));
                int t = blk[i];
                blk[i] = blk[j];
                blk[j] = t;
            }
        rank[c] = off;
        off += m;
    }
    for (int64_t i = 0; i < n; i++)
        fold[i] = ff[rank[code[i]]++];
    st = CML_OK;
fail:
    free(classes);
    free(code);
    free(first);
    free(rank);
    free(counts);
    free(alloc);
    free(ff);
    return st;
}

cml_status cml_kfold(int64_t n, int k, const double *y, int shuffle, uint64_t seed, int *fold)
{
    if (!fold) return cml_fail(CML_ERR_ARG, "cml_kfold: fold is NULL");
    if (n < 1) return cml_fail(CML_ERR_ARG, "cml_kfold: n must be >= 1, got %lld", (long long)n);
    if (k < 2 || k > n)
        return cml_fail(CML_ERR_ARG, "k (n_splits) must be in [2, n = %lld], got %d", (long long)n,
                        k);
    cml_rng rng;
    cml_rng_seed(&rng, seed);
    if (y) return stratified_kfold(n, k, y, &rng, shuffle, fold);
    int64_t *idx = cml_alloc_array(n, sizeof *idx);
    if (!idx) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    if (shuffle) cml_rng_shuffle_i64(&rng, idx, n);
    int64_t pos = 0;
    for (int f = 0; f < k; f++) {
        int64_t size = n / k + (f < n % k);
        for (int64_t m = 0; m < size; m++)
            fold[idx[pos++]] = f;
    }
    free(idx);
    return CML_OK;
}

cml_status cml_take_rows(const cml_matrix *X, const int64_t *idx, int64_t n, double **out)
{
    if (!X || !out || (n > 0 && !idx)) return cml_fail(CML_ERR_ARG, "cml_take_rows: NULL argument");
    *out = NULL;
    if (n < 0 || X->cols < 1 || X->ld < X->cols || !X->data)
        return cml_fail(CML_ERR_ARG, "cml_take_rows: bad shape (n %lld, cols %lld, ld %lld)",
                        (long long)n, (long long)X->cols, (long long)X->ld);
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= X->rows)
            return cml_fail(CML_ERR_ARG, "index %lld at position %lld is outside [0, %lld)",
                            (long long)idx[i], (long long)i, (long long)X->rows);
    if (n > INT64_MAX / X->cols) return cml_fail(CML_ERR_NOMEM, "cml_take_rows: too large");
    double *d = cml_alloc_array(n * X->cols, sizeof *d);
    if (!d) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        memcpy(d + i * X->cols, X->data + idx[i] * X->ld, (size_t)X->cols * sizeof *d);
    *out = d;
    return CML_OK;
}

cml_status cml_take_vals(const double *y, const int64_t *idx, int64_t n, double **out)
{
    if (!y || !out || n < 0 || (n > 0 && !idx))
        return cml_fail(CML_ERR_ARG, "cml_take_vals: NULL argument or n < 0");
    *out = NULL;
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0)
            return cml_fail(CML_ERR_ARG, "index %lld at position %lld is negative",
                            (long long)idx[i], (long long)i);
    double *d = cml_alloc_array(n, sizeof *d);
    if (!d) return CML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        d[i] = y[idx[i]];
    *out = d;
    return CML_OK;
}
