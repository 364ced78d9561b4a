/*
 * test_gbm_level.c — the level-by-level tree growth of narrow data
 * (gbm_tree.c grow_levels, gbm_hist.c gbm_hist_level) against the per-node
 * growth it replaces (gbm_grower_keep_rows(g, 1) forces that path), on
 * tall tables with missing values, a categorical feature, row subsamples,
 * colsample_bynode, max_leaves and monotone constraints:
 *  - the same tree: node for node the same split features, bins, default
 *    directions and children; sums, gains and leaf values equal up to the
 *    rounding of differently ordered histogram sums (1e-9 relative);
 *  - every row's final node (pos) is the leaf its bins lead to, ~leaf for
 *    rows outside the sample, and each leaf's hessian sum is its rows';
 *  - bit-identical trees and positions for 1, 2 and 3 threads (row chunks
 *    are fixed by the data, not by the thread count);
 *  - several trees grown together (gbm_grow_trees, a multi-class round)
 *    equal, bit for bit, the same trees grown one after the other;
 *  - integer-valued columns (binned through a look-up table) get the bins
 *    of the cuts' definition, #(cuts <= x), cell for cell.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/gbm.h"
#include "ensemble/gbm_internal.h"
#include "golden.h"

enum { N = 60000, F = 5 };

typedef struct fixture {
    double *X, *gh;
    int32_t *rows, *sample;
    int64_t n_sample;
    uint8_t is_cat[F];
} fixture;

/* y-free synthetic gradients: g depends on features 0, 1 and the category
 * (so trees have real splits), h in (0.05, 0.3) as logistic hessians. */
static void make(fixture *fx)
{
    cml_rng rng;
    cml_rng_seed(&rng, 11);
    fx->X = malloc(sizeof(double) * N * F);
    fx->gh = malloc(sizeof(double) * 2 * N);
    fx->rows = malloc(sizeof(int32_t) * N);
    fx->sample = malloc(sizeof(int32_t) * N);
    assert_non_null(fx->X);
    assert_non_null(fx->gh);
    assert_non_null(fx->rows);
    assert_non_null(fx->sample);
    memset(fx->is_cat, 0, sizeof fx->is_cat);
    fx->is_cat[3] = 1;
    fx->n_sample = 0;
    for (int64_t i = 0; i < N; i++) {
        double *x = fx->X + i * F;
        x[0] = cml_rng_normal(&rng);
        x[1] = (double)cml_rng_below(&rng, 7); /* few distinct values */
        x[2] = cml_rng_uniform(&rng) * 1000.0;
        x[3] = (double)cml_rng_below(&rng, 40); /* categorical codes */
        x[4] = cml_rng_normal(&rng);
        if (i % 13 == 0) x[0] = NAN;
        if (i % 29 == 0) x[3] = NAN;
        double sig = (x[0] > 0.3 ? 1.0 : -0.5) + 0.3 * x[1] + ((int)x[3] % 3 == 0 ? 0.8 : 0.0);
        if (isnan(sig)) sig = 0.4;
        fx->gh[2 * i] = sig + 0.5 * cml_rng_normal(&rng);
        fx->gh[2 * i + 1] = 0.05 + 0.25 * cml_rng_uniform(&rng);
        fx->rows[i] = (int32_t)i;
        if (cml_rng_uniform(&rng) < 0.7) fx->sample[fx->n_sample++] = (int32_t)i;
    }
}

static void fixture_free(fixture *fx)
{
    free(fx->X);
    free(fx->gh);
    free(fx->rows);
    free(fx->sample);
}

static void near(double a, double b, const char *what, int node)
{
    double tol = 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
    if (!(fabs(a - b) <= tol)) fail_msg("node %d: %s %.17g vs %.17g", node, what, a, b);
}

/* Grows one tree with (keep_rows) the per-node or the level path. The tree
 * is copied out (a grower's tree is reused by the next call). */
static void grow(const gbm_binned *b, const cml_gbm_params *p, const gbm_constraints *c,
                 int keep_rows, const fixture *fx, int sampled, gbm_tree *t, int32_t **pos)
{
    gbm_grower *g;
    assert_int_equal(gbm_grower_new(b, p, &g), CML_OK);
    gbm_grower_set_constraints(g, c);
    gbm_grower_keep_rows(g, keep_rows);
    cml_rng rng;
    cml_rng_seed(&rng, 5);
    memset(t, 0, sizeof *t);
    const int32_t *rows = sampled ? fx->sample : fx->rows;
    const int64_t n = sampled ? fx->n_sample : N;
    assert_int_equal(gbm_grow_tree(g, fx->gh, rows, n, NULL, &rng, t), CML_OK);
    *pos = NULL;
    if (t->pos) {
        *pos = malloc(sizeof(int32_t) * N);
        assert_non_null(*pos);
        memcpy(*pos, t->pos, sizeof(int32_t) * N);
    }
    t->pos = NULL;
    t->rows = NULL;
    gbm_grower_free(g);
}

static void same_tree(const gbm_tree *a, const gbm_tree *b)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        const gbm_tnode *x = &a->nodes[i], *y = &b->nodes[i];
        if (x->feature != y->feature || x->tbin != y->tbin || x->left != y->left ||
            x->default_left != y->default_left || x->depth != y->depth ||
            (x->cat_off < 0) != (y->cat_off < 0))
            fail_msg("node %d: split (%d, %d, %d, %d) vs (%d, %d, %d, %d)", i, x->feature, x->tbin,
                     x->left, x->default_left, y->feature, y->tbin, y->left, y->default_left);
        near(x->G, y->G, "G", i);
        near(x->H, y->H, "H", i);
        near(x->gain, y->gain, "gain", i);
        near(x->value, y->value, "value", i);
        if (x->cat_off >= 0) {
            const uint32_t *sa = a->cat_words + x->cat_off, *sb = b->cat_words + y->cat_off;
            assert_int_equal(sa[0], sb[0]);
            assert_memory_equal(sa + 1, sb + 1, sa[0] * sizeof *sa);
        }
    }
}

/* The leaf row r's bins lead to (the routing of the fitted model). */
static int32_t leaf_of(const gbm_tree *t, const gbm_binned *b, int64_t r)
{
    int32_t id = 0;
    while (t->nodes[id].feature >= 0) {
        const gbm_tnode *nd = &t->nodes[id];
        const int32_t f = nd->feature, bb = gbm_bin_at(b, r, f);
        int left = bb == b->nbins[f] ? nd->default_left : bb < nd->tbin;
        if (nd->cat_off >= 0 && bb != b->nbins[f])
            left = catset_goes_left(t->cat_words + nd->cat_off, b->cuts.values[b->cuts.ptr[f] + bb],
                                    nd->default_left);
        id = nd->left + !left;
    }
    return id;
}

static void check_pos(const gbm_tree *t, const gbm_binned *b, const int32_t *pos, const fixture *fx,
                      int sampled)
{
    uint8_t *in = calloc(N, 1);
    double *H = calloc((size_t)t->n, sizeof *H);
    assert_non_null(in);
    assert_non_null(H);
    const int32_t *rows = sampled ? fx->sample : fx->rows;
    const int64_t n = sampled ? fx->n_sample : N;
    for (int64_t i = 0; i < n; i++)
        in[rows[i]] = 1;
    for (int64_t r = 0; r < N; r++) {
        const int32_t want = leaf_of(t, b, r);
        const int32_t got = pos[r] < 0 ? ~pos[r] : pos[r];
        if (got != want || (pos[r] >= 0) != in[r])
            fail_msg("row %lld: pos %d, leaf %d, in sample %d", (long long)r, pos[r], want, in[r]);
        if (in[r]) H[got] += fx->gh[2 * r + 1];
    }
    for (int i = 0; i < t->n; i++)
        if (t->nodes[i].feature < 0) near(H[i], t->nodes[i].H, "leaf H of its rows", i);
    free(in);
    free(H);
}

static void run_case(const fixture *fx, const cml_gbm_params *p, int sampled)
{
    gbm_binned b;
    const cml_matrix Xm = cml_matrix_view(fx->X, N, F);
    assert_int_equal(gbm_binned_build(&Xm, NULL, p->max_bin, fx->is_cat, &b), CML_OK);
    gbm_constraints c;
    assert_int_equal(gbm_constraints_parse(p, F, &c), CML_OK);
    gbm_tree ref, lev;
    int32_t *pos_ref, *pos;
    grow(&b, p, &c, 1, fx, sampled, &ref, &pos_ref);
    assert_null(pos_ref);
    cml_set_num_threads(1);
    grow(&b, p, &c, 0, fx, sampled, &lev, &pos);
    assert_non_null(pos);
    assert_true(ref.n > 7); /* a real tree */
    same_tree(&ref, &lev);
    check_pos(&lev, &b, pos, fx, sampled);
    for (int th = 2; th <= 3; th++) {
        cml_set_num_threads(th);
        gbm_tree t2;
        int32_t *pos2;
        grow(&b, p, &c, 0, fx, sampled, &t2, &pos2);
        assert_int_equal(t2.n, lev.n);
        for (int i = 0; i < lev.n; i++)
            if (memcmp(&t2.nodes[i], &lev.nodes[i], sizeof lev.nodes[i]) != 0)
                fail_msg("threads=%d: node %d differs", th, i);
        assert_memory_equal(pos2, pos, sizeof(int32_t) * N);
        gbm_tree_free(&t2);
        free(pos2);
    }
    cml_set_num_threads(0);
    gbm_tree_free(&ref);
    gbm_tree_free(&lev);
    free(pos);
    gbm_constraints_free(&c);
    gbm_binned_free(&b);
}

static cml_gbm_params base_params(void)
{
    cml_gbm_params p = cml_gbm_regressor_params_default();
    p.max_depth = 6;
    p.reg_lambda = 1.0;
    return p;
}

static void test_level_numeric(void **state)
{
    (void)state;
    fixture fx;
    make(&fx);
    memset(fx.is_cat, 0, sizeof fx.is_cat); /* codes as ordinal numbers */
    cml_gbm_params p = base_params();
    run_case(&fx, &p, 0);
    run_case(&fx, &p, 1); /* rows outside the sample are routed, not counted */
    p.max_bin = 300;      /* u16 bins */
    run_case(&fx, &p, 0);
    fixture_free(&fx);
}

static void test_level_categorical(void **state)
{
    (void)state;
    fixture fx;
    make(&fx);
    cml_gbm_params p = base_params();
    run_case(&fx, &p, 0);     /* 40 categories: sorted partitions */
    p.max_cat_to_onehot = 64; /* one-vs-rest */
    run_case(&fx, &p, 1);
    fixture_free(&fx);
}

static void test_level_controls(void **state)
{
    (void)state;
    fixture fx;
    make(&fx);
    cml_gbm_params p = base_params();
    p.colsample_bynode = 0.6; /* the same draws, in the same node order */
    run_case(&fx, &p, 0);
    p = base_params();
    p.max_leaves = 11; /* stops mid-level */
    p.max_depth = 8;
    run_case(&fx, &p, 0);
    p = base_params();
    strcpy(p.monotone_constraints, "(1,0,-1,0,1)");
    p.min_child_weight = 5.0;
    p.gamma = 0.5;
    run_case(&fx, &p, 1);
    fixture_free(&fx);
}

/* gbm_grow_trees (the trees of a multi-class round grown together, one
 * pass per level for all) against gbm_grow_tree one tree after the other:
 * bit-identical trees, category sets and row positions, for trees that stop
 * at different depths, with their own gradients, row samples and feature
 * sets, at 1 and 3 threads. */
static void lockstep_case(const fixture *fx, const cml_gbm_params *p)
{
    enum { K = 4 };
    gbm_binned b;
    const cml_matrix Xm = cml_matrix_view(fx->X, N, F);
    assert_int_equal(gbm_binned_build(&Xm, NULL, p->max_bin, fx->is_cat, &b), CML_OK);
    gbm_constraints c;
    assert_int_equal(gbm_constraints_parse(p, F, &c), CML_OK);
    double *gh = malloc(sizeof(double) * 2 * N * K);
    assert_non_null(gh);
    for (int k = 0; k < K; k++) /* per output: other gradients, weaker ones stop earlier */
        for (int64_t i = 0; i < N; i++) {
            const double scale = k == 3 ? 0.02 : 1.0 - 0.3 * k;
            gh[2 * (N * k + i)] = scale * fx->gh[2 * ((i + 977 * k) % N)];
            gh[2 * (N * k + i) + 1] = fx->gh[2 * i + 1];
        }
    uint8_t use_some[F] = {1, 1, 0, 1, 1};
    const double *ghk[K];
    const int32_t *rows[K];
    int64_t n[K];
    const uint8_t *use[K];
    for (int k = 0; k < K; k++) {
        ghk[k] = gh + 2 * N * k;
        rows[k] = k == 1 ? fx->sample : fx->rows;
        n[k] = k == 1 ? fx->n_sample : N;
        use[k] = k == 2 ? use_some : NULL;
    }
    gbm_tree want[K];
    int32_t *want_pos[K];
    gbm_grower *g[K];
    for (int k = 0; k < K; k++) {
        assert_int_equal(gbm_grower_new(&b, p, &g[k]), CML_OK);
        gbm_grower_set_constraints(g[k], &c);
        memset(&want[k], 0, sizeof want[k]);
    }
    assert_true(gbm_grower_lockstep(g[0]));
    cml_set_num_threads(1);
    for (int k = 0; k < K; k++) {
        assert_int_equal(gbm_grow_tree(g[0], ghk[k], rows[k], n[k], use[k], NULL, &want[k]),
                         CML_OK);
        want_pos[k] = malloc(sizeof(int32_t) * N);
        assert_non_null(want_pos[k]);
        memcpy(want_pos[k], want[k].pos, sizeof(int32_t) * N);
    }
    assert_true(want[0].n > 7 && want[3].n < want[0].n); /* real trees, of other sizes */
    for (int th = 1; th <= 3; th += 2) {
        cml_set_num_threads(th);
        gbm_tree got[K];
        memset(got, 0, sizeof got);
        assert_int_equal(gbm_grow_trees(g, K, ghk, rows, n, use, got), CML_OK);
        for (int k = 0; k < K; k++) {
            assert_int_equal(got[k].n, want[k].n);
            for (int i = 0; i < want[k].n; i++)
                if (memcmp(&got[k].nodes[i], &want[k].nodes[i], sizeof want[k].nodes[i]) != 0)
                    fail_msg("threads=%d, tree %d: node %d differs", th, k, i);
            assert_int_equal(got[k].n_words, want[k].n_words);
            if (want[k].n_words > 0)
                assert_memory_equal(got[k].cat_words, want[k].cat_words,
                                    sizeof(uint32_t) * (size_t)want[k].n_words);
            assert_memory_equal(got[k].pos, want_pos[k], sizeof(int32_t) * N);
            gbm_tree_free(&got[k]);
        }
    }
    cml_set_num_threads(0);
    for (int k = 0; k < K; k++) {
        gbm_tree_free(&want[k]);
        free(want_pos[k]);
        gbm_grower_free(g[k]);
    }
    free(gh);
    gbm_constraints_free(&c);
    gbm_binned_free(&b);
}

static void test_level_lockstep(void **state)
{
    (void)state;
    fixture fx;
    make(&fx);
    cml_gbm_params p = base_params();
    lockstep_case(&fx, &p); /* categorical feature 3 */
    strcpy(p.monotone_constraints, "(1,0,-1,0,1)");
    p.max_leaves = 20;
    lockstep_case(&fx, &p);
    memset(fx.is_cat, 0, sizeof fx.is_cat);
    p = base_params();
    p.max_bin = 300; /* u16 bins */
    lockstep_case(&fx, &p);
    fixture_free(&fx);
}

/* Integer-valued columns bin through a table (gbm_bin.c): every cell must
 * still be #(cuts <= x) clamped to the last bin, including values a hair
 * above an integer and negative ranges. */
static void test_integer_column_bins(void **state)
{
    (void)state;
    enum { R = 5000, C = 3 };
    double *X = malloc(sizeof(double) * R * C);
    assert_non_null(X);
    cml_rng rng;
    cml_rng_seed(&rng, 3);
    for (int i = 0; i < R; i++) {
        X[i * C] = (double)cml_rng_below(&rng, 1440);          /* > max_bin values: quantiles */
        X[i * C + 1] = (double)cml_rng_below(&rng, 60) - 30.0; /* one bin per value */
        X[i * C + 2] = (double)cml_rng_below(&rng, 50) - 20.0;
    }
    X[7 * C + 1] = 5.0 + ldexp(1.0, -40); /* its own distinct value next to 5 */
    X[8 * C + 2] = 2.5;
    X[9 * C + 2] = NAN;
    const cml_matrix Xm = cml_matrix_view(X, R, C);
    for (int mb = 16; mb <= 256; mb *= 16) {
        gbm_binned b;
        assert_int_equal(gbm_binned_build(&Xm, NULL, mb, NULL, &b), CML_OK);
        for (int64_t f = 0; f < C; f++) {
            const double *c = b.cuts.values + b.cuts.ptr[f];
            const int32_t nb = b.nbins[f];
            for (int64_t i = 0; i < R; i++) {
                const double x = X[i * C + f];
                int32_t want = nb;
                if (!isnan(x)) {
                    want = 0;
                    while (want < nb && c[want] <= x)
                        want++;
                    if (want > nb - 1) want = nb - 1;
                }
                if (gbm_bin_at(&b, i, f) != want)
                    fail_msg("max_bin %d, row %lld, feature %lld (x = %.17g): bin %d, want %d", mb,
                             (long long)i, (long long)f, x, gbm_bin_at(&b, i, f), want);
            }
        }
        gbm_binned_free(&b);
    }
    free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_numeric),       cmocka_unit_test(test_level_categorical),
        cmocka_unit_test(test_level_controls),      cmocka_unit_test(test_level_lockstep),
        cmocka_unit_test(test_integer_column_bins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
