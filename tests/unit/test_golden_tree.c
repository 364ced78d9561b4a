/*
 * test_golden_tree.c — decision trees against scikit-learn 1.2
 * (tests/golden/tree.txt, from tests/gen/gen_tree.py).
 *
 * cml reproduces scikit-learn's feature order and tie-breaking, so each
 * configuration's whole tree must match: same node numbering, split
 * features, thresholds (within 1e-12, in practice identical), node values,
 * impurities, sample counts; same predictions, leaf ids and accuracy on
 * held-out rows (exactly), probabilities and importances within 1e-10, and
 * the cost-complexity pruning path within 1e-10. Configurations cover
 * iris / wine / breast_cancer (gini, entropy, log_loss; depths 2, 3, 5 and
 * unlimited), diabetes (squared, Friedman and absolute error), best-first
 * growth (max_leaf_nodes), min_samples_leaf, class_weight=balanced, ccp_alpha
 * pruning, the random splitter (extra trees), max_features=8 on digits
 * (many constant features) and integer sample weights. Text and DOT
 * exports must equal export_text / export_graphviz output exactly
 * (tests/golden/tree_export.txt).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/metrics.h"
#include "cml/tree.h"
#include "golden.h"

static const char *DATASETS[] = {"iris", "wine", "breast_cancer", "diabetes", "digits"};
#define N_DS 5

typedef struct cfg {
    const char *name;
    int ds, clf, crit, depth, splitter, leaves, msl, mf, cw;
    double ccp;
    int seed, sw;
} cfg;

/* Keep in sync with CONFIGS in tests/gen/gen_tree.py (checked against .cfg). */
static const cfg CFGS[] = {
    {"iris_gini_d2", 0, 1, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0},
    {"iris_gini_d3", 0, 1, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"iris_gini_d5", 0, 1, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0},
    {"iris_gini_d0", 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"iris_entropy_d2", 0, 1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0},
    {"iris_entropy_d3", 0, 1, 1, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"iris_entropy_d5", 0, 1, 1, 5, 0, 0, 1, 0, 0, 0, 0, 0},
    {"iris_entropy_d0", 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"wine_gini_d2", 1, 1, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0},
    {"wine_gini_d3", 1, 1, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"wine_gini_d5", 1, 1, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0},
    {"wine_gini_d0", 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"wine_entropy_d2", 1, 1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0},
    {"wine_entropy_d3", 1, 1, 1, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"wine_entropy_d5", 1, 1, 1, 5, 0, 0, 1, 0, 0, 0, 0, 0},
    {"wine_entropy_d0", 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"breast_cancer_gini_d2", 2, 1, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0},
    {"breast_cancer_gini_d3", 2, 1, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"breast_cancer_gini_d5", 2, 1, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0},
    {"breast_cancer_gini_d0", 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"breast_cancer_entropy_d2", 2, 1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0},
    {"breast_cancer_entropy_d3", 2, 1, 1, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"breast_cancer_entropy_d5", 2, 1, 1, 5, 0, 0, 1, 0, 0, 0, 0, 0},
    {"breast_cancer_entropy_d0", 2, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_squared_error_d2", 3, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_squared_error_d3", 3, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_squared_error_d5", 3, 0, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_squared_error_d0", 3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_absolute_error_d2", 3, 0, 2, 2, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_absolute_error_d3", 3, 0, 2, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_absolute_error_d5", 3, 0, 2, 5, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_absolute_error_d0", 3, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"diabetes_friedman_d4", 3, 0, 1, 4, 0, 0, 1, 0, 0, 0, 0, 0},
    {"iris_seed7", 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 7, 0},
    {"iris_log_loss_d3", 0, 1, 2, 3, 0, 0, 1, 0, 0, 0, 0, 0},
    {"bc_leaves8", 2, 1, 0, 0, 0, 8, 1, 0, 0, 0, 0, 0},
    {"diabetes_leaves12", 3, 0, 0, 0, 0, 12, 1, 0, 0, 0, 0, 0},
    {"diabetes_leaf10", 3, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0},
    {"wine_balanced", 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0},
    {"bc_ccp", 2, 1, 0, 0, 0, 0, 1, 0, 0, 0.01, 0, 0},
    {"diabetes_ccp", 3, 0, 0, 0, 0, 0, 1, 0, 0, 50.0, 0, 0},
    {"iris_random", 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 3, 0},
    {"bc_random_d6", 2, 1, 1, 6, 1, 0, 1, 0, 0, 0, 5, 0},
    {"diabetes_random_d6", 3, 0, 0, 6, 1, 0, 1, 0, 0, 0, 11, 0},
    {"digits_sqrt_d6", 4, 1, 0, 6, 0, 0, 1, 8, 0, 0, 42, 0},
    {"digits_random_sqrt_d6", 4, 1, 0, 6, 1, 0, 1, 8, 0, 0, 42, 0},
    {"iris_weights", 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
    {"diabetes_weights_d5", 3, 0, 0, 5, 0, 0, 1, 0, 0, 0, 0, 1},
};
#define N_CFGS ((int)(sizeof CFGS / sizeof CFGS[0]))

static golden *G;
static double *X[N_DS], *Y[N_DS];
static int64_t NR[N_DS], NC[N_DS];
static double max_thr_diff, max_imp_diff, max_ccp_diff, max_proba_diff;

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/tree.txt");
    for (int d = 0; d < N_DS; d++)
        test_load_dataset(DATASETS[d], &X[d], &NR[d], &NC[d], &Y[d]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    printf("[ tree ] %d configurations vs scikit-learn 1.2: max |threshold diff| %.3g, max "
           "|importance diff| %.3g, max |proba diff| %.3g, max |ccp path diff| %.3g\n",
           N_CFGS, max_thr_diff, max_imp_diff, max_proba_diff, max_ccp_diff);
    golden_free(G);
    for (int d = 0; d < N_DS; d++) {
        free(X[d]);
        free(Y[d]);
    }
    return 0;
}

static const double *gget(const char *cfgname, const char *what, int64_t *n)
{
    char key[160];
    int64_t r, c;
    snprintf(key, sizeof key, "%s.%s", cfgname, what);
    const double *v = golden_get(G, key, &r, &c);
    if (n) *n = r * c;
    return v;
}

/* Train rows i % 4 != 0, test rows i % 4 == 0 (as the generator). */
static void split_rows(int ds, double **Xtr, double **ytr, int64_t *ntr, double **Xte, double **yte,
                       int64_t *nte)
{
    int64_t n = NR[ds], d = NC[ds];
    *Xtr = malloc(sizeof(double) * (size_t)(n * d));
    *Xte = malloc(sizeof(double) * (size_t)(n * d));
    *ytr = malloc(sizeof(double) * (size_t)n);
    *yte = malloc(sizeof(double) * (size_t)n);
    *ntr = *nte = 0;
    for (int64_t i = 0; i < n; i++) {
        int test = i % 4 == 0;
        double *dst = test ? *Xte + *nte * d : *Xtr + *ntr * d;
        memcpy(dst, X[ds] + i * d, sizeof(double) * (size_t)d);
        if (test)
            (*yte)[(*nte)++] = Y[ds][i];
        else
            (*ytr)[(*ntr)++] = Y[ds][i];
    }
}

static cml_tree_params params_of(const cfg *c)
{
    cml_tree_params p = cml_tree_params_default(c->clf ? CML_TREE_CLASSIFIER : CML_TREE_REGRESSOR);
    p.criterion = c->crit;
    p.max_depth = c->depth;
    p.splitter = c->splitter;
    p.max_leaf_nodes = c->leaves;
    p.min_samples_leaf = c->msl;
    if (c->mf) snprintf(p.max_features, sizeof p.max_features, "%d", c->mf);
    if (c->cw) snprintf(p.class_weight, sizeof p.class_weight, "balanced");
    p.ccp_alpha = c->ccp;
    p.random_state = c->seed;
    return p;
}

static void check_config(const cfg *c)
{
    int64_t n;
    const double *gc = gget(c->name, "cfg", &n);
    double mine[12] = {c->ds,  c->clf, c->crit, c->depth, c->splitter, c->leaves,
                       c->msl, c->mf,  c->cw,   c->ccp,   c->seed,     c->sw};
    if (n != 12) fail_msg("%s: cfg has %lld entries", c->name, (long long)n);
    for (int i = 0; i < 12; i++)
        if (gc[i] != mine[i])
            fail_msg("%s: cfg entry %d is %g in the golden file", c->name, i, gc[i]);

    double *Xtr, *ytr, *Xte, *yte;
    int64_t ntr, nte, d = NC[c->ds];
    split_rows(c->ds, &Xtr, &ytr, &ntr, &Xte, &yte, &nte);
    double *w = NULL;
    if (c->sw) {
        w = malloc(sizeof(double) * (size_t)ntr);
        for (int64_t i = 0; i < ntr; i++)
            w[i] = (double)(i * 7 % 3 + 1);
    }
    cml_matrix mtr = cml_matrix_view(Xtr, ntr, d), mte = cml_matrix_view(Xte, nte, d);
    cml_tree_params p = params_of(c);
    cml_tree_kind kind = c->clf ? CML_TREE_CLASSIFIER : CML_TREE_REGRESSOR;
    cml_tree *t = NULL;
    cml_status st = cml_tree_fit(kind, &p, &mtr, ytr, w, &t);
    if (st != CML_OK) fail_msg("%s: fit: %s", c->name, cml_last_error());

    /* structure */
    const double *feat = gget(c->name, "feature", &n);
    const double *thr = gget(c->name, "threshold", NULL), *left = gget(c->name, "left", NULL);
    const double *right = gget(c->name, "right", NULL), *imp = gget(c->name, "impurity", NULL);
    const double *ns = gget(c->name, "n", NULL), *wn = gget(c->name, "wn", NULL);
    int64_t nval;
    const double *val = gget(c->name, "value", &nval);
    if (cml_tree_node_count(t) != n)
        fail_msg("%s: %lld nodes, scikit-learn has %lld", c->name,
                 (long long)cml_tree_node_count(t), (long long)n);
    int64_t stride = cml_tree_value_stride(t);
    if (nval != n * stride) fail_msg("%s: value size", c->name);
    for (int64_t i = 0; i < n; i++) {
        cml_tree_node_info nd;
        assert_int_equal(cml_tree_node(t, i, &nd), CML_OK);
        if (nd.feature != (int64_t)feat[i] || nd.left != (int64_t)left[i] ||
            nd.right != (int64_t)right[i])
            fail_msg("%s: node %lld: feature %lld left %lld right %lld, scikit-learn %g %g %g",
                     c->name, (long long)i, (long long)nd.feature, (long long)nd.left,
                     (long long)nd.right, feat[i], left[i], right[i]);
        double dt = fabs(nd.threshold - thr[i]);
        if (dt > max_thr_diff) max_thr_diff = dt;
        if (dt > 1e-12)
            fail_msg("%s: node %lld threshold %.17g, scikit-learn %.17g", c->name, (long long)i,
                     nd.threshold, thr[i]);
        if (nd.n_node_samples != (int64_t)ns[i])
            fail_msg("%s: node %lld has %lld rows, scikit-learn %g", c->name, (long long)i,
                     (long long)nd.n_node_samples, ns[i]);
        char what[200];
        snprintf(what, sizeof what, "%s node %lld value", c->name, (long long)i);
        assert_close(nd.value, val + i * stride, stride, 1e-12, 1e-12, what);
        snprintf(what, sizeof what, "%s node %lld impurity", c->name, (long long)i);
        assert_close(&nd.impurity, imp + i, 1, 1e-10, 1e-12, what);
        snprintf(what, sizeof what, "%s node %lld weighted_n_node_samples", c->name, (long long)i);
        assert_close(&nd.weighted_n_node_samples, wn + i, 1, 1e-12, 0, what);
    }
    assert_int_equal(cml_tree_depth(t), (int64_t)gget(c->name, "depth", NULL)[0]);

    /* importances */
    const double *gi = gget(c->name, "imp", NULL);
    const double *fi = cml_tree_feature_importances(t);
    for (int64_t j = 0; j < d; j++)
        if (fabs(fi[j] - gi[j]) > max_imp_diff) max_imp_diff = fabs(fi[j] - gi[j]);
    assert_close(fi, gi, d, 0, 1e-10, c->name);

    /* predictions, leaves, probabilities, accuracy */
    double *pred = malloc(sizeof(double) * (size_t)nte);
    int64_t *leaf = malloc(sizeof(int64_t) * (size_t)nte);
    assert_int_equal(cml_tree_predict(t, &mte, pred), CML_OK);
    assert_int_equal(cml_tree_apply(t, &mte, leaf), CML_OK);
    const double *gp = gget(c->name, "pred", NULL), *gl = gget(c->name, "leaf", NULL);
    for (int64_t i = 0; i < nte; i++) {
        if (leaf[i] != (int64_t)gl[i])
            fail_msg("%s: test row %lld reaches leaf %lld, scikit-learn %g", c->name, (long long)i,
                     (long long)leaf[i], gl[i]);
        if (c->clf && pred[i] != gp[i])
            fail_msg("%s: test row %lld predicted %g, scikit-learn %g", c->name, (long long)i,
                     pred[i], gp[i]);
    }
    if (!c->clf) assert_close(pred, gp, nte, 1e-12, 1e-12, c->name);
    double acc, want = gget(c->name, "acc", NULL)[0];
    if (c->clf) {
        int64_t np;
        const double *gpr = gget(c->name, "proba", &np);
        int64_t k = cml_tree_n_classes(t), rows = np / k;
        double *pr = malloc(sizeof(double) * (size_t)(nte * k));
        assert_int_equal(cml_tree_predict_proba(t, &mte, pr), CML_OK);
        for (int64_t i = 0; i < rows * k; i++)
            if (fabs(pr[i] - gpr[i]) > max_proba_diff) max_proba_diff = fabs(pr[i] - gpr[i]);
        assert_close(pr, gpr, rows * k, 0, 1e-10, c->name);
        free(pr);
        assert_int_equal(cml_accuracy(yte, pred, nte, NULL, &acc), CML_OK);
        if (acc != want) fail_msg("%s: accuracy %.17g, scikit-learn %.17g", c->name, acc, want);
    } else {
        assert_int_equal(cml_r2(yte, pred, nte, NULL, &acc), CML_OK);
        assert_close(&acc, &want, 1, 1e-12, 1e-12, c->name);
    }

    /* cost-complexity pruning path */
    {
        char key[160];
        snprintf(key, sizeof key, "%s.ccp_alphas", c->name);
        if (golden_has(G, key)) {
            double *alphas, *imps;
            int64_t na, ng;
            assert_int_equal(
                cml_tree_cost_complexity_pruning_path(kind, &p, &mtr, ytr, w, &alphas, &imps, &na),
                CML_OK);
            const double *ga = gget(c->name, "ccp_alphas", &ng);
            const double *gim = gget(c->name, "ccp_imp", NULL);
            if (na != ng)
                fail_msg("%s: pruning path of %lld steps, scikit-learn %lld", c->name,
                         (long long)na, (long long)ng);
            for (int64_t i = 0; i < na; i++) {
                double e = fmax(fabs(alphas[i] - ga[i]), fabs(imps[i] - gim[i]));
                if (e > max_ccp_diff) max_ccp_diff = e;
            }
            assert_close(alphas, ga, na, 0, 1e-10, c->name);
            assert_close(imps, gim, na, 0, 1e-10, c->name);
            free(alphas);
            free(imps);
        }
    }
    free(pred);
    free(leaf);
    free(w);
    cml_tree_free(t);
    free(Xtr);
    free(ytr);
    free(Xte);
    free(yte);
}

static void test_configs(void **state)
{
    (void)state;
    for (int i = 0; i < N_CFGS; i++)
        check_config(&CFGS[i]);
}

/* A constant target and a single row give one leaf, as in scikit-learn. */
static void test_single_leaf(void **state)
{
    (void)state;
    int64_t n = NR[0], d = NC[0];
    double *yc = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        yc[i] = 3.5;
    cml_matrix m = cml_matrix_view(X[0], n, d);
    cml_tree_params p = cml_tree_params_default(CML_TREE_REGRESSOR);
    cml_tree *t;
    assert_int_equal(cml_tree_fit(CML_TREE_REGRESSOR, &p, &m, yc, NULL, &t), CML_OK);
    assert_int_equal(cml_tree_node_count(t), 1);
    cml_tree_node_info nd;
    cml_tree_node(t, 0, &nd);
    assert_true(nd.value[0] == golden_get(G, "const.leaf_value", NULL, NULL)[0]);
    cml_tree_free(t);
    free(yc);

    p = cml_tree_params_default(CML_TREE_CLASSIFIER);
    m = cml_matrix_view(X[0], 1, d);
    assert_int_equal(cml_tree_fit(CML_TREE_CLASSIFIER, &p, &m, Y[0], NULL, &t), CML_OK);
    assert_int_equal(cml_tree_node_count(t),
                     (int64_t)golden_get(G, "single.node_count", NULL, NULL)[0]);
    double pred;
    assert_int_equal(cml_tree_predict(t, &m, &pred), CML_OK);
    assert_true(pred == Y[0][0]);
    cml_tree_free(t);
}

/* ---------------------------------------------------------------- export */

/* Returns a malloc'd copy of block `name` of golden/tree_export.txt. */
static char *export_block(const char *name)
{
    FILE *fp = fopen("golden/tree_export.txt", "rb");
    if (!fp) fail_msg("cannot open golden/tree_export.txt");
    char head[256];
    while (fgets(head, sizeof head, fp)) {
        char nm[128];
        long nb;
        if (sscanf(head, "@@ %127s %ld", nm, &nb) != 2) fail_msg("bad block header: %s", head);
        char *buf = malloc((size_t)nb + 1);
        if (fread(buf, 1, (size_t)nb, fp) != (size_t)nb) fail_msg("short block %s", nm);
        buf[nb] = '\0';
        fgetc(fp); /* the newline after the block */
        if (!strcmp(nm, name)) {
            fclose(fp);
            return buf;
        }
        free(buf);
    }
    fclose(fp);
    fail_msg("no export block %s", name);
    return NULL;
}

static void expect_text(const char *name, char *got)
{
    char *want = export_block(name);
    if (!got) fail_msg("%s: export failed: %s", name, cml_last_error());
    if (strcmp(got, want))
        fail_msg("%s differs from scikit-learn:\n--- cml\n%s\n--- sklearn\n%s", name, got, want);
    free(want);
    free(got);
}

static cml_tree *fit_train(int ds, cml_tree_kind kind, int depth, int crit, const char *cw)
{
    double *Xtr, *ytr, *Xte, *yte;
    int64_t ntr, nte;
    split_rows(ds, &Xtr, &ytr, &ntr, &Xte, &yte, &nte);
    cml_tree_params p = cml_tree_params_default(kind);
    p.max_depth = depth;
    p.criterion = crit;
    snprintf(p.class_weight, sizeof p.class_weight, "%s", cw);
    cml_matrix m = cml_matrix_view(Xtr, ntr, NC[ds]);
    cml_tree *t;
    if (cml_tree_fit(kind, &p, &m, ytr, NULL, &t) != CML_OK) fail_msg("%s", cml_last_error());
    free(Xtr);
    free(ytr);
    free(Xte);
    free(yte);
    return t;
}

/* export_text and export_graphviz output, character for character. */
static void test_export(void **state)
{
    (void)state;
    static const char *iris_names[] = {"sepal_length_cm", "sepal_width_cm", "petal_length_cm",
                                       "petal_width_cm"};
    static const char *iris_classes[] = {"setosa", "versicolor", "virginica"};
    cml_tree *t = fit_train(0, CML_TREE_CLASSIFIER, 3, 0, "");
    expect_text("iris_d3_text", cml_tree_export_text(t, NULL));
    cml_tree_export_opts o = cml_tree_export_opts_default();
    o.feature_names = iris_names;
    o.show_weights = 1;
    o.decimals = 3;
    o.spacing = 2;
    expect_text("iris_d3_text_names_weights", cml_tree_export_text(t, &o));
    o = cml_tree_export_opts_default();
    o.max_depth = 1;
    expect_text("iris_d3_text_trunc", cml_tree_export_text(t, &o));
    expect_text("iris_d3_dot", cml_tree_export_dot(t, NULL));
    o = cml_tree_export_opts_default();
    o.max_depth = 1;
    o.feature_names = iris_names;
    o.class_names = iris_classes;
    expect_text("iris_d3_dot_trunc", cml_tree_export_dot(t, &o));
    o.spacing = 0;
    assert_null(cml_tree_export_text(t, &o));
    assert_non_null(strstr(cml_last_error(), "spacing"));
    cml_tree_free(t);

    t = fit_train(3, CML_TREE_REGRESSOR, 2, 0, "");
    expect_text("diabetes_d2_text", cml_tree_export_text(t, NULL));
    expect_text("diabetes_d2_dot", cml_tree_export_dot(t, NULL));
    cml_tree_free(t);
    t = fit_train(4, CML_TREE_CLASSIFIER, 2, 0, "");
    expect_text("digits_d2_dot", cml_tree_export_dot(t, NULL));
    cml_tree_free(t);
    t = fit_train(1, CML_TREE_CLASSIFIER, 2, 1, "balanced");
    expect_text("wine_bal_d2_dot", cml_tree_export_dot(t, NULL));
    cml_tree_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configs),
        cmocka_unit_test(test_single_leaf),
        cmocka_unit_test(test_export),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
