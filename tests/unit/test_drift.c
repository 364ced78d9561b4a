/*
 * test_drift.c — PSI and KL divergence (src/metrics/drift.c) against numpy
 * (tests/gen/gen_drift.py: np.quantile edges, np.searchsorted bins) on real
 * data: diamonds of cut "Ideal" against cut "Fair", numeric columns with 10
 * and 5 bins and the categorical color and clarity, and iris against its
 * virginica rows; plus the properties a user relies on (identical samples
 * give 0, PSI is the symmetrised KL, missing values get their own bin) and
 * the argument errors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/cml.h"
#include "helpers/golden.h"

/* rows of diamonds with cut == level, gathered column-major per column */
typedef struct subset {
    double *v; /* (cols, n) */
    int64_t n;
} subset;

static subset gather(const cml_table *t, int64_t cut_col, int64_t level)
{
    subset s = {malloc(sizeof(double) * (size_t)(t->rows * t->cols)), 0};
    assert_non_null(s.v);
    for (int64_t i = 0; i < t->rows; i++)
        if (t->data[i * t->cols + cut_col] == (double)level) s.n++;
    int64_t r = 0;
    for (int64_t i = 0; i < t->rows; i++) {
        if (t->data[i * t->cols + cut_col] != (double)level) continue;
        for (int64_t j = 0; j < t->cols; j++)
            s.v[j * s.n + r] = t->data[i * t->cols + j];
        r++;
    }
    return s;
}

static int64_t level_of(const cml_column *c, const char *name)
{
    for (int64_t k = 0; k < c->n_levels; k++)
        if (!strcmp(c->levels[k], name)) return k;
    fail_msg("no level %s", name);
    return -1;
}

static void check_row(const cml_drift *d, const double *want, const char *what)
{
    double got[3] = {d->psi, d->kl, (double)d->n_bins};
    assert_close(got, want, 3, 1e-13, 0, what);
}

static void test_diamonds(void **state)
{
    (void)state;
    golden *g = golden_load("golden/drift.txt");
    cml_table *t;
    cml_csv_opts o = cml_csv_opts_default();
    assert_int_equal(cml_csv_read("../data/diamonds.csv", &o, &t), CML_OK);
    int64_t cut = cml_table_find(t, "cut");
    assert_true(cut >= 0);
    subset ref = gather(t, cut, level_of(&t->columns[cut], "Ideal"));
    subset cur = gather(t, cut, level_of(&t->columns[cut], "Fair"));
    const double *rows = golden_get(g, "diamonds_rows", NULL, NULL);
    assert_int_equal(ref.n, (int64_t)rows[0]);
    assert_int_equal(cur.n, (int64_t)rows[1]);

    const char *numeric[] = {"carat", "depth", "table", "price", "x", "y", "z"};
    int bins[] = {10, 5};
    for (int b = 0; b < 2; b++) {
        char name[64];
        snprintf(name, sizeof name, "diamonds_numeric_bins%d", bins[b]);
        const double *want = golden_get(g, name, NULL, NULL);
        cml_drift_opts opts = cml_drift_opts_default();
        opts.n_bins = bins[b];
        for (int f = 0; f < 7; f++) {
            int64_t j = cml_table_find(t, numeric[f]);
            cml_drift d;
            assert_int_equal(cml_drift_numeric(ref.v + j * ref.n, ref.n, 1, cur.v + j * cur.n,
                                               cur.n, 1, &opts, &d),
                             CML_OK);
            check_row(&d, want + 3 * f, numeric[f]);
            assert_true(d.ref_missing == 0 && d.cur_missing == 0);
        }
    }
    const char *cats[] = {"color", "clarity"};
    const double *want = golden_get(g, "diamonds_categorical", NULL, NULL);
    for (int f = 0; f < 2; f++) {
        int64_t j = cml_table_find(t, cats[f]);
        cml_drift d;
        assert_int_equal(cml_drift_categorical(ref.v + j * ref.n, ref.n, 1, cur.v + j * cur.n,
                                               cur.n, 1, t->columns[j].n_levels, NULL, &d),
                         CML_OK);
        check_row(&d, want + 3 * f, cats[f]);
        /* same bins both ways: PSI = D(q||p) + D(p||q) */
        cml_drift back;
        assert_int_equal(cml_drift_categorical(cur.v + j * cur.n, cur.n, 1, ref.v + j * ref.n,
                                               ref.n, 1, t->columns[j].n_levels, NULL, &back),
                         CML_OK);
        assert_true(fabs(d.psi - (d.kl + back.kl)) < 1e-12 * d.psi);
        assert_true(back.psi == d.psi || fabs(back.psi - d.psi) < 1e-15);
    }
    /* strided input (a row-major table) gives the same numbers */
    cml_drift a, b;
    int64_t price = cml_table_find(t, "price");
    assert_int_equal(cml_drift_numeric(t->data + price, t->rows, t->cols, cur.v + price * cur.n,
                                       cur.n, 1, NULL, &a),
                     CML_OK);
    double *all = malloc(sizeof(double) * (size_t)t->rows);
    assert_non_null(all);
    for (int64_t i = 0; i < t->rows; i++)
        all[i] = t->data[i * t->cols + price];
    assert_int_equal(cml_drift_numeric(all, t->rows, 1, cur.v + price * cur.n, cur.n, 1, NULL, &b),
                     CML_OK);
    assert_true(a.psi == b.psi && a.kl == b.kl);
    free(all);
    free(ref.v);
    free(cur.v);
    cml_table_free(t);
    golden_free(g);
}

static void test_iris(void **state)
{
    (void)state;
    golden *g = golden_load("golden/drift.txt");
    double *X, *y;
    int64_t n, p;
    test_load_dataset("iris", &X, &n, &p, &y);
    int64_t nv = 0;
    double *virg = malloc(sizeof(double) * (size_t)(n * p));
    assert_non_null(virg);
    for (int64_t i = 0; i < n; i++)
        if (y[i] == 2) memcpy(virg + p * nv++, X + p * i, sizeof(double) * (size_t)p);
    const double *want = golden_get(g, "iris_virginica_bins10", NULL, NULL);
    for (int64_t j = 0; j < p; j++) {
        cml_drift d, same;
        assert_int_equal(cml_drift_numeric(X + j, n, p, virg + j, nv, p, NULL, &d), CML_OK);
        check_row(&d, want + 3 * j, "iris virginica");
        /* a sample against itself: no drift */
        assert_int_equal(cml_drift_numeric(X + j, n, p, X + j, n, p, NULL, &same), CML_OK);
        assert_true(same.psi == 0 && same.kl == 0);
    }
    free(virg);
    free(X);
    free(y);
    golden_free(g);
}

/* Missing values get a bin of their own, on both sides. */
static void test_missing_and_errors(void **state)
{
    (void)state;
    double ref[8] = {1, 2, 3, 4, 5, 6, 7, NAN}, cur[4] = {NAN, NAN, 2, 6};
    cml_drift_opts o = cml_drift_opts_default();
    o.n_bins = 2; /* one edge: the reference median of 1..7, 4 */
    cml_drift d;
    assert_int_equal(cml_drift_numeric(ref, 8, 1, cur, 4, 1, &o, &d), CML_OK);
    assert_true(d.ref_missing == 1.0 / 8 && d.cur_missing == 0.5);
    assert_int_equal(d.n_bins, 3);
    /* by hand: p = (4/8, 3/8, 1/8), q = (1/4, 1/4, 2/4) */
    double p[3] = {0.5, 0.375, 0.125}, q[3] = {0.25, 0.25, 0.5}, psi = 0, kl = 0;
    for (int b = 0; b < 3; b++) {
        psi += (q[b] - p[b]) * log(q[b] / p[b]);
        kl += q[b] * log(q[b] / p[b]);
    }
    assert_true(fabs(d.psi - psi) < 1e-15 && fabs(d.kl - kl) < 1e-15);
    /* a bin empty in the current sample counts as eps, keeping PSI finite */
    double cur2[2] = {1, 2};
    assert_int_equal(cml_drift_numeric(ref, 7, 1, cur2, 2, 1, &o, &d), CML_OK);
    assert_true(isfinite(d.psi) && d.psi > 1);

    double codes[4] = {0, 1, 2, NAN}, bad[2] = {0, 3}, frac[1] = {0.5};
    assert_int_equal(cml_drift_categorical(codes, 4, 1, codes, 4, 1, 3, NULL, &d), CML_OK);
    assert_true(d.psi == 0);
    assert_int_equal(cml_drift_categorical(codes, 4, 1, bad, 2, 1, 3, NULL, &d), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "current row 1: category code 3"));
    assert_int_equal(cml_drift_categorical(codes, 4, 1, frac, 1, 1, 3, NULL, &d), CML_ERR_ARG);
    o.n_bins = 1;
    assert_int_equal(cml_drift_numeric(ref, 8, 1, cur, 4, 1, &o, &d), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "n_bins"));
    o = cml_drift_opts_default();
    o.eps = 0;
    assert_int_equal(cml_drift_numeric(ref, 8, 1, cur, 4, 1, &o, &d), CML_ERR_ARG);
    assert_int_equal(cml_drift_numeric(ref, 0, 1, cur, 4, 1, NULL, &d), CML_ERR_ARG);
    double inf[2] = {1, INFINITY};
    assert_int_equal(cml_drift_numeric(inf, 2, 1, cur, 4, 1, NULL, &d), CML_ERR_ARG);
    assert_int_equal(cml_drift_numeric(ref, 8, 1, inf, 2, 1, NULL, &d), CML_ERR_ARG);
    /* all-missing reference: one (empty) numeric bin plus the NaN bin */
    double nan2[2] = {NAN, NAN};
    assert_int_equal(cml_drift_numeric(nan2, 2, 1, cur, 4, 1, NULL, &d), CML_OK);
    assert_true(d.ref_missing == 1 && isfinite(d.psi));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diamonds),
        cmocka_unit_test(test_iris),
        cmocka_unit_test(test_missing_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
