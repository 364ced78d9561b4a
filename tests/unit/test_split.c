/*
 * test_split.c — train/test splits and k-fold against scikit-learn 1.2.1
 * (tests/gen/gen_split.py -> golden/split.txt): split sizes, per-class
 * counts of stratified splits (within sklearn's range over 300 seeds, which
 * is exact where no random tie-break is involved), StratifiedKFold / KFold
 * folds exactly, shuffled StratifiedKFold per-fold class counts; partitions,
 * determinism, errors; take_rows / take_vals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/data.h"
#include "helpers/golden.h"

static golden *G;

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/split.txt");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    return 0;
}

/* Every index 0..n-1 appears exactly once across train and test. */
static void assert_partition(const int64_t *tr, int64_t ntr, const int64_t *te, int64_t nte,
                             int64_t n)
{
    assert_int_equal(ntr + nte, n);
    char *seen = calloc((size_t)n, 1);
    for (int64_t i = 0; i < ntr; i++) {
        assert_true(tr[i] >= 0 && tr[i] < n);
        assert_int_equal(seen[tr[i]]++, 0);
    }
    for (int64_t i = 0; i < nte; i++) {
        assert_true(te[i] >= 0 && te[i] < n);
        assert_int_equal(seen[te[i]]++, 0);
    }
    free(seen);
}

static void count_classes(const double *y, const int64_t *idx, int64_t n, int64_t *cnt, int nc)
{
    memset(cnt, 0, sizeof(int64_t) * (size_t)nc);
    for (int64_t i = 0; i < n; i++)
        cnt[(int)y[idx[i]]]++;
}

static void test_stratified_counts(void **state)
{
    (void)state;
    const char *sets[] = {"iris", "wine", "breast_cancer"};
    const int pct[] = {25, 30};
    for (int s = 0; s < 3; s++) {
        int64_t n;
        char key[96];
        snprintf(key, sizeof key, "%s_y", sets[s]);
        const double *y = golden_get(G, key, NULL, &n);
        for (int t = 0; t < 2; t++) {
            int64_t nc;
            snprintf(key, sizeof key, "%s_%d_train_min", sets[s], pct[t]);
            const double *trmin = golden_get(G, key, NULL, &nc);
            snprintf(key, sizeof key, "%s_%d_train_max", sets[s], pct[t]);
            const double *trmax = golden_get(G, key, NULL, NULL);
            snprintf(key, sizeof key, "%s_%d_test_min", sets[s], pct[t]);
            const double *temin = golden_get(G, key, NULL, NULL);
            snprintf(key, sizeof key, "%s_%d_test_max", sets[s], pct[t]);
            const double *temax = golden_get(G, key, NULL, NULL);
            snprintf(key, sizeof key, "%s_%d_sizes", sets[s], pct[t]);
            const double *sizes = golden_get(G, key, NULL, NULL);
            for (uint64_t seed = 0; seed < 40; seed++) {
                int64_t *tr, *te, ntr, nte, ctr[16], cte[16];
                assert_int_equal(
                    cml_train_test_split(n, pct[t] / 100.0, y, 1, seed, &tr, &ntr, &te, &nte),
                    CML_OK);
                assert_int_equal(ntr, (int64_t)sizes[0]);
                assert_int_equal(nte, (int64_t)sizes[1]);
                assert_partition(tr, ntr, te, nte, n);
                count_classes(y, tr, ntr, ctr, (int)nc);
                count_classes(y, te, nte, cte, (int)nc);
                for (int64_t c = 0; c < nc; c++) {
                    if (ctr[c] < trmin[c] || ctr[c] > trmax[c] || cte[c] < temin[c] ||
                        cte[c] > temax[c])
                        fail_msg("%s test_size 0.%d seed %llu class %lld: train %lld (sklearn "
                                 "%g..%g), test %lld (sklearn %g..%g)",
                                 sets[s], pct[t], (unsigned long long)seed, (long long)c,
                                 (long long)ctr[c], trmin[c], trmax[c], (long long)cte[c], temin[c],
                                 temax[c]);
                }
                free(tr);
                free(te);
            }
        }
    }
}

static void test_plain_sizes(void **state)
{
    (void)state;
    int64_t rows;
    const double *s = golden_get(G, "plain_sizes", &rows, NULL);
    for (int64_t r = 0; r < rows; r++) {
        const double *row = s + 4 * r;
        int64_t n = (int64_t)row[0], *tr, *te, ntr, nte;
        assert_int_equal(cml_train_test_split(n, row[1], NULL, 0, 7, &tr, &ntr, &te, &nte), CML_OK);
        assert_int_equal(ntr, (int64_t)row[2]);
        assert_int_equal(nte, (int64_t)row[3]);
        assert_partition(tr, ntr, te, nte, n);
        free(tr);
        free(te);
    }
    /* An absolute count. */
    int64_t *tr, *te, ntr, nte;
    assert_int_equal(cml_train_test_split(10, 3, NULL, 0, 1, &tr, &ntr, &te, &nte), CML_OK);
    assert_int_equal(nte, 3);
    assert_int_equal(ntr, 7);
    free(tr);
    free(te);
}

static void test_split_deterministic(void **state)
{
    (void)state;
    int64_t n;
    const double *y = golden_get(G, "wine_y", NULL, &n);
    for (int strat = 0; strat < 2; strat++) {
        int64_t *a, *b, *c, *d, na, nb, nc2, nd;
        assert_int_equal(cml_train_test_split(n, 0.3, y, strat, 42, &a, &na, &b, &nb), CML_OK);
        assert_int_equal(cml_train_test_split(n, 0.3, y, strat, 42, &c, &nc2, &d, &nd), CML_OK);
        assert_memory_equal(a, c, sizeof *a * (size_t)na);
        assert_memory_equal(b, d, sizeof *b * (size_t)nb);
        free(c);
        free(d);
        assert_int_equal(cml_train_test_split(n, 0.3, y, strat, 43, &c, &nc2, &d, &nd), CML_OK);
        assert_true(memcmp(b, d, sizeof *b * (size_t)nb) != 0);
        free(a);
        free(b);
        free(c);
        free(d);
    }
}

static void test_split_errors(void **state)
{
    (void)state;
    int64_t *tr, *te, ntr, nte;
    const double y[] = {0, 0, 0, 1, 1, 2, 2, 2, 2, 2};
    assert_int_equal(cml_train_test_split(10, 0, NULL, 0, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "test_size"));
    assert_int_equal(cml_train_test_split(10, -0.5, NULL, 0, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_int_equal(cml_train_test_split(10, NAN, NULL, 0, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_int_equal(cml_train_test_split(10, 1.5, NULL, 0, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_int_equal(cml_train_test_split(10, 10, NULL, 0, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "no training samples"));
    /* ceil(0.95 * 10) = 10 test samples: no train. */
    assert_int_equal(cml_train_test_split(10, 0.95, NULL, 0, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_int_equal(cml_train_test_split(1, 0.5, NULL, 0, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_int_equal(cml_train_test_split(10, 0.5, NULL, 1, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    /* A class with one member cannot be stratified. */
    const double y1[] = {0, 0, 0, 1, 2, 2, 2, 2, 2, 2};
    assert_int_equal(cml_train_test_split(10, 0.5, y1, 1, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "only 1 member"));
    /* 2 test samples for 3 classes. */
    assert_int_equal(cml_train_test_split(10, 2, y, 1, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "number of classes"));
    const double yn[] = {0, 0, NAN, 1, 1, 1};
    assert_int_equal(cml_train_test_split(6, 0.5, yn, 1, 0, &tr, &ntr, &te, &nte), CML_ERR_ARG);
    assert_int_equal(cml_train_test_split(10, 0.3, y, 1, 0, &tr, &ntr, &te, &nte), CML_OK);
    assert_int_equal(nte, 3);
    free(tr);
    free(te);
}

static void test_kfold_golden(void **state)
{
    (void)state;
    const char *sets[] = {"iris", "wine", "breast_cancer", "digits"};
    for (int s = 0; s < 4; s++) {
        char key[96];
        int64_t n;
        snprintf(key, sizeof key, "%s_y", sets[s]);
        const double *y = golden_get(G, key, NULL, &n);
        int *fold = malloc(sizeof(int) * (size_t)n);
        for (int k = 3; k <= 7; k += 2) {
            snprintf(key, sizeof key, "%s_skf%d", sets[s], k);
            const double *want = golden_get(G, key, NULL, NULL);
            assert_int_equal(cml_kfold(n, k, y, 0, 0, fold), CML_OK);
            for (int64_t i = 0; i < n; i++)
                if (fold[i] != (int)want[i])
                    fail_msg("%s StratifiedKFold(%d) sample %lld: fold %d, sklearn %g", sets[s], k,
                             (long long)i, fold[i], want[i]);
            snprintf(key, sizeof key, "%s_kf%d", sets[s], k);
            want = golden_get(G, key, NULL, NULL);
            assert_int_equal(cml_kfold(n, k, NULL, 0, 0, fold), CML_OK);
            for (int64_t i = 0; i < n; i++)
                assert_int_equal(fold[i], (int)want[i]);
            /* Shuffled: other folds, same per-fold class counts as sklearn's. */
            int64_t nc;
            snprintf(key, sizeof key, "%s_skf%d_counts", sets[s], k);
            const double *cnt = golden_get(G, key, NULL, &nc);
            assert_int_equal(cml_kfold(n, k, y, 1, 5, fold), CML_OK);
            int64_t got[16 * 16] = {0};
            for (int64_t i = 0; i < n; i++)
                got[fold[i] * nc + (int)y[i]]++;
            for (int64_t f = 0; f < k * nc; f++)
                assert_int_equal(got[f], (int64_t)cnt[f]);
            /* Shuffled plain KFold: fold sizes n / k (+1 for the first n % k). */
            assert_int_equal(cml_kfold(n, k, NULL, 1, 5, fold), CML_OK);
            int64_t sz[8] = {0};
            for (int64_t i = 0; i < n; i++)
                sz[fold[i]]++;
            for (int f = 0; f < k; f++)
                assert_int_equal(sz[f], n / k + (f < n % k));
        }
        free(fold);
    }
}

static void test_kfold_errors(void **state)
{
    (void)state;
    int fold[10];
    const double y[] = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2};
    assert_int_equal(cml_kfold(10, 1, NULL, 0, 0, fold), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "k (n_splits)"));
    assert_int_equal(cml_kfold(10, 11, NULL, 0, 0, fold), CML_ERR_ARG);
    assert_int_equal(cml_kfold(10, 10, NULL, 0, 0, fold), CML_OK);
    assert_int_equal(cml_kfold(10, 5, y, 0, 0, fold), CML_ERR_ARG); /* every class < 5 */
    assert_non_null(strstr(cml_last_error(), "members"));
    assert_int_equal(cml_kfold(10, 4, y, 0, 0, fold), CML_OK); /* largest class has 4 */
    assert_int_equal(cml_kfold(10, 3, y, 1, 3, fold), CML_OK);
    int again[10];
    assert_int_equal(cml_kfold(10, 3, y, 1, 3, again), CML_OK);
    assert_memory_equal(fold, again, sizeof fold);
}

static void test_take(void **state)
{
    (void)state;
    const double x[] = {0, 1, 2, 10, 11, 12, 20, 21, 22};
    cml_matrix X = cml_matrix_view(x, 3, 3);
    const int64_t idx[] = {2, 0, 2};
    double *out;
    assert_int_equal(cml_take_rows(&X, idx, 3, &out), CML_OK);
    const double want[] = {20, 21, 22, 0, 1, 2, 20, 21, 22};
    assert_memory_equal(out, want, sizeof want);
    free(out);
    const int64_t bad[] = {0, 3};
    assert_int_equal(cml_take_rows(&X, bad, 2, &out), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "position 1"));
    const double y[] = {5, 6, 7};
    assert_int_equal(cml_take_vals(y, idx, 3, &out), CML_OK);
    assert_true(out[0] == 7 && out[1] == 5 && out[2] == 7);
    free(out);
    const int64_t neg[] = {-1};
    assert_int_equal(cml_take_vals(y, neg, 1, &out), CML_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stratified_counts),
        cmocka_unit_test(test_plain_sizes),
        cmocka_unit_test(test_split_deterministic),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_kfold_golden),
        cmocka_unit_test(test_kfold_errors),
        cmocka_unit_test(test_take),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
