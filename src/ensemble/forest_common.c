/*
 * forest_common.c — random forests (Breiman 2001) and extremely randomized
 * trees (Geurts, Ernst & Wehenkel 2006) as scikit-learn 1.2's BaseForest
 * grows and uses them, plus permutation importance, Breiman's proximities
 * and proximity imputation (rfImpute).
 *
 * Fit: tree i's random_state is the i-th RandomState(random_state)
 * .randint(2^31 - 1); with bootstrap its sample is
 * RandomState(seed_i).randint(0, n, n_samples_bootstrap) and the tree is
 * grown with weights w * counts (times the balanced class weights of the
 * sample for class_weight=balanced_subsample); its splitter is seeded from
 * seed_i as a lone tree would be (see src/tree/sk_random.h). All seeds are
 * drawn first, in tree order, then the trees are grown in parallel
 * (OpenMP, dynamic schedule): the forest is the same for any thread count.
 * Predict: mean of the trees' leaf class fractions (classifiers) or values
 * (regressors), summed in tree order (see mean_leaf_vectors).
 * OOB (scikit-learn's _compute_oob_predictions): each row averages the
 * predictions of the trees whose bootstrap sample missed it.
 *
 * Complexity: fit O(n_estimators * tree); predict O(rows * n_estimators *
 * depth); proximity O(rows * sum over trees of the leaf sizes) time,
 * O(rows^2) memory. Thread-safety: a fitted forest is immutable.
 */
#include <string.h>

#include "cml/metrics.h"
#include "core/strbuf.h"
#include "ensemble/forest_common.h"
#include "tree/sk_random.h"

/* Predict: a chunk holds at most CHUNK_BYTES of float32 rows (so it stays in
 * L2 while every tree walks it: a walk reads one feature of a row per step,
 * so wide rows beyond L2 cost a miss a step), between CHUNK_MIN and
 * CHUNK_MAX rows. Fewer (row, tree) pairs than PAR_MIN predict on one
 * thread: a fork-join costs more than the walks. */
#define CHUNK_BYTES ((int64_t)1 << 20)
#define CHUNK_MIN   64
#define CHUNK_MAX   16384
#define SUM_BLOCK   256 /* rows per block of mean_by_trees' sums */
#define PAR_MIN     200000
/* Rows per block of cml_forest_apply. */
#define APPLY_BLOCK 64

int cml_forest_kind_is_classifier(cml_forest_kind kind)
{
    return kind == CML_RF_CLASSIFIER || kind == CML_ET_CLASSIFIER;
}

const char *cml_forest_kind_name(cml_forest_kind kind)
{
    static const char *names[] = {"random_forest_classifier", "random_forest_regressor",
                                  "extra_trees_classifier", "extra_trees_regressor"};
    return names[kind];
}

void cml_forest_free(cml_forest *f)
{
    if (!f) return;
    if (f->trees)
        for (int64_t i = 0; i < f->n_trees; i++)
            cml_tree_free(f->trees[i]);
    free(f->trees);
    free(f->classes);
    free(f->importances);
    free(f->oob);
    free(f);
}

cml_status cml_forest_finish(cml_forest *f)
{
    const int64_t d = f->n_features;
    free(f->importances);
    f->importances = cml_calloc((size_t)d, sizeof(double));
    if (!f->importances) return CML_ERR_NOMEM;
    /* np.mean over the trees with more than one node, then / sum. */
    int64_t used = 0;
    for (int64_t t = 0; t < f->n_trees; t++) {
        if (cml_tree_node_count(f->trees[t]) <= 1) continue;
        const double *fi = cml_tree_feature_importances(f->trees[t]);
        for (int64_t j = 0; j < d; j++)
            f->importances[j] += fi[j];
        used++;
    }
    if (used == 0) return CML_OK;
    for (int64_t j = 0; j < d; j++)
        f->importances[j] /= (double)used;
    double s = cml_np_sum(f->importances, d);
    for (int64_t j = 0; j < d; j++)
        f->importances[j] /= s;
    return CML_OK;
}

/* ---------------------------------------------------------------- fit */

/* n_samples_bootstrap (scikit-learn's _get_n_samples_bootstrap). */
static cml_status n_bootstrap(double max_samples, int64_t n, int64_t *out)
{
    if (max_samples == 0.0) {
        *out = n;
    } else if (max_samples <= 1.0) {
        /* Python's round(): half to even, as nearbyint in the default mode */
        *out = CML_MAX((int64_t)nearbyint((double)n * max_samples), 1);
    } else {
        if (max_samples != floor(max_samples) || max_samples > (double)n)
            return cml_fail(
                CML_ERR_ARG,
                "max_samples=%g must be a fraction in (0, 1] or an integer <= n_samples "
                "= %lld",
                max_samples, (long long)n);
        *out = (int64_t)max_samples;
    }
    return CML_OK;
}

/* Bootstrap counts of tree seed `seed` (scikit-learn's
 * _generate_sample_indices + bincount). */
static void bootstrap_counts(uint32_t seed, int64_t n, int64_t n_boot, double *counts)
{
    cml_mt19937 mt;
    cml_mt_seed(&mt, seed);
    memset(counts, 0, (size_t)n * sizeof *counts);
    for (int64_t i = 0; i < n_boot; i++)
        counts[cml_mt_randint(&mt, (uint64_t)n)] += 1.0;
}

/* Out-of-bag predictions and score (scikit-learn's
 * _compute_oob_predictions / _set_oob_score_and_attributes). */
static cml_status compute_oob(cml_forest *f, const cml_cart_data *D, const cml_matrix *X,
                              const double *y, const uint32_t *seeds, int64_t n_boot)
{
    const int64_t n = X->rows, T = f->n_trees, k = f->classifier ? f->n_classes : 1;
    cml_status st = CML_OK;
    uint8_t *inbag = cml_alloc_array(n * T, 1);
    double *acc = cml_calloc((size_t)(n * k), sizeof(double));
    double *pred = cml_alloc_array(n, sizeof(double));
    int failed = 0;
    if (!inbag || !acc || !pred) {
        st = CML_ERR_NOMEM;
        goto done;
    }
#pragma omp parallel CML_OMP_THREADS
    {
        double *cnt = cml_alloc_array(n, sizeof *cnt);
        if (!cnt) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int64_t t = 0; t < T; t++) {
            if (!cnt) continue;
            bootstrap_counts(seeds[t], n, n_boot, cnt);
            for (int64_t i = 0; i < n; i++)
                inbag[t * n + i] = cnt[i] > 0;
        }
        free(cnt);
    }
    if (failed) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    int64_t never = 0;
#pragma omp parallel for CML_OMP_THREADS reduction(+ : never) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        const double *row = cml_matrix_row(X, i);
        double *a = acc + i * k;
        int64_t m = 0;
        for (int64_t t = 0; t < T; t++) {
            if (inbag[t * n + i]) continue;
            const cml_dtree *dt = f->trees[t]->t;
            int64_t leaf = cml_dtree_leaf(dt, row);
            const double *v = f->classifier ? dt->proba + leaf * k : dt->value + leaf;
            for (int64_t c = 0; c < k; c++)
                a[c] += v[c];
            m++;
        }
        if (m == 0) {
            never++;
            m = 1;
        }
        for (int64_t c = 0; c < k; c++)
            a[c] /= (double)m;
        if (f->classifier) {
            int64_t b = 0;
            for (int64_t c = 1; c < k; c++)
                if (a[c] > a[b]) b = c;
            pred[i] = (double)b;
        } else {
            pred[i] = a[0];
        }
    }
    if (never)
        cml_log(CML_LOG_WARN,
                "%s: %lld rows were in every bootstrap sample, so their OOB prediction is 0; "
                "HINT: use more estimators",
                cml_forest_kind_name(f->kind), (long long)never);
    if (f->classifier) {
        /* accuracy of the argmax class index against the encoded target */
        int64_t hit = 0;
        for (int64_t i = 0; i < n; i++)
            hit += pred[i] == (double)D->yi[i];
        f->oob_score = (double)hit / (double)n;
    } else {
        CML_TRY(cml_r2(y, pred, n, NULL, &f->oob_score));
    }
    f->oob = acc;
    acc = NULL;
    f->n_oob_rows = n;
fail:
done:
    free(inbag);
    free(acc);
    free(pred);
    return st;
}

cml_status cml_forest_fit(cml_forest_kind kind, const cml_forest_params *p, const cml_matrix *X,
                          const double *y, const double *sample_weight, cml_forest **out)
{
    *out = NULL;
    const char *who = cml_forest_kind_name(kind);
    const int clf = cml_forest_kind_is_classifier(kind);
    const char *m = cml_forest_params_check(kind, p);
    if (m) return cml_fail(CML_ERR_ARG, "%s: %s", who, m);
    CML_CHECK(cml_cart_check_inputs(X, y, sample_weight, who));
    const int64_t n = X->rows, d = X->cols, T = p->n_estimators;
    cml_status st = CML_OK;
    cml_cart_data D;
    memset(&D, 0, sizeof D);
    cml_cart_config C;
    int32_t *yi = NULL;
    double *base_w = NULL;
    uint32_t *seeds = NULL;
    cml_status *tst = NULL;
    int64_t n_boot = n;
    int subsample = clf && p->bootstrap && !strcmp(p->class_weight, "balanced_subsample");
    cml_forest *f = cml_calloc(1, sizeof *f);
    if (!f) return CML_ERR_NOMEM;
    f->kind = kind;
    f->classifier = clf;
    f->n_features = d;
    f->oob_score = NAN;
    if (clf) {
        yi = cml_alloc_array(n, sizeof *yi);
        if (!yi) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(cml_cart_encode_classes(y, n, &f->classes, &f->n_classes, yi));
    }
    int splitter = kind == CML_ET_CLASSIFIER || kind == CML_ET_REGRESSOR;
    CML_TRY(cml_cart_make_config(clf, p->criterion, splitter, p->max_depth, p->min_samples_split,
                                 p->min_samples_leaf, p->min_weight_fraction_leaf, p->max_features,
                                 p->max_leaf_nodes, p->min_impurity_decrease, p->ccp_alpha, n, d,
                                 &C));
    f->max_features = C.max_features;
    if (p->bootstrap) CML_TRY(n_bootstrap(p->max_samples, n, &n_boot));
    /* Weights shared by every tree: sample_weight times class weights
     * (balanced_subsample without bootstrap is plain balanced, as sklearn). */
    int has_cw = clf && p->class_weight[0] && strcmp(p->class_weight, "None") &&
                 strcmp(p->class_weight, "none");
    if (sample_weight || (has_cw && !subsample)) {
        base_w = cml_alloc_array(n, sizeof *base_w);
        if (!base_w) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        for (int64_t i = 0; i < n; i++)
            base_w[i] = sample_weight ? sample_weight[i] : 1.0;
        if (has_cw && !subsample)
            CML_TRY(cml_cart_class_weight(p->class_weight, 1, yi, f->classes, f->n_classes, n, NULL,
                                          base_w));
    }
    /* Tree seeds: scikit-learn's _set_random_states, in tree order. */
    seeds = cml_alloc_array(T, sizeof *seeds);
    f->trees = cml_calloc((size_t)T, sizeof *f->trees);
    tst = cml_alloc_array(T, sizeof *tst);
    if (!seeds || !f->trees || !tst) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    f->n_trees = T;
    {
        cml_mt19937 mt;
        cml_mt_seed(&mt, (uint32_t)p->random_state);
        for (int64_t t = 0; t < T; t++)
            seeds[t] = cml_mt_randint(&mt, 2147483647u);
    }
    CML_TRY(cml_cart_data_init(X, y, yi, clf ? f->n_classes : 0, &D));

#pragma omp parallel CML_OMP_THREADS
    {
        double *w = p->bootstrap ? cml_alloc_array(n, sizeof *w) : NULL;
        double *cnt = p->bootstrap ? cml_alloc_array(n, sizeof *cnt) : NULL;
        int ok = !p->bootstrap || (w && cnt);
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < T; t++) {
            if (!ok) {
                tst[t] = cml_fail(CML_ERR_NOMEM, "out of memory growing tree %lld", (long long)t);
                continue;
            }
            cml_cart_config Ct = C;
            Ct.seed = cml_sk_splitter_seed(seeds[t]);
            const double *tw = base_w;
            tst[t] = CML_OK;
            if (p->bootstrap) {
                bootstrap_counts(seeds[t], n, n_boot, cnt);
                for (int64_t i = 0; i < n; i++)
                    w[i] = (base_w ? base_w[i] : 1.0) * cnt[i];
                if (subsample)
                    tst[t] = cml_cart_class_weight("balanced", 0, yi, f->classes, f->n_classes, n,
                                                   cnt, w);
                tw = w;
            }
            cml_dtree *dt = NULL;
            if (tst[t] == CML_OK) tst[t] = cml_cart_build(&D, &Ct, tw, &dt);
            if (tst[t] == CML_OK)
                tst[t] = cml_tree_wrap(dt, clf, p->criterion, d, f->classes, f->n_classes,
                                       C.max_features, &f->trees[t]);
        }
        free(w);
        free(cnt);
    }
    /* A worker's message is in its own thread's storage: say it again here. */
    for (int64_t t = 0; t < T; t++)
        if (tst[t] != CML_OK) {
            st = cml_fail(
                tst[t], "tree %lld of %lld could not be grown: %s", (long long)t + 1, (long long)T,
                tst[t] == CML_ERR_NOMEM ? "out of memory"
                                        : "its sample has no positive weight. HINT: check "
                                          "class_weight and sample_weight");
            goto fail;
        }
    CML_TRY(cml_forest_finish(f));
    if (p->oob_score) CML_TRY(compute_oob(f, &D, X, y, seeds, n_boot));
    cml_cart_data_free(&D);
    free(yi);
    free(base_w);
    free(seeds);
    free(tst);
    *out = f;
    return CML_OK;
fail:
    cml_fail_context(st, "%s", who);
    cml_cart_data_free(&D);
    free(yi);
    free(base_w);
    free(seeds);
    free(tst);
    cml_forest_free(f);
    return st;
}

/* ---------------------------------------------------------------- predict */

static cml_status check_X(const cml_forest *f, const cml_matrix *X)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (X->cols != f->n_features)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but the forest was fitted with %lld",
                        cml_forest_kind_name(f->kind), (long long)X->cols,
                        (long long)f->n_features);
    return CML_OK;
}

/* mean_leaf_vectors over few chunks: per chunk, like scikit-learn, the trees
 * walk all its rows in parallel over trees (a deep tree, MBs, is read once
 * per chunk), writing leaf ids; then the sums run in parallel over rows, in
 * tree order for each row. */
static cml_status mean_by_trees(const cml_forest *f, const cml_matrix *X, int64_t chunk, int par,
                                double *out)
{
    const int64_t k = f->classifier ? f->n_classes : 1, T = f->n_trees, d = X->cols;
    int32_t *leaf = cml_alloc_array(T * chunk, sizeof *leaf);
    float *xf = cml_alloc_array(chunk * d, sizeof *xf);
    if (!leaf || !xf) {
        free(leaf);
        free(xf);
        return CML_ERR_NOMEM;
    }
    for (int64_t c0 = 0; c0 < X->rows; c0 += chunk) {
        const int64_t m = CML_MIN(chunk, X->rows - c0);
        cml_dtree_rows_f32(X, c0, m, xf);
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic) if (par)
        for (int64_t t = 0; t < T; t++)
            cml_dtree_apply_f32(f->trees[t]->t, xf, d, m, leaf + t * chunk);
        const int64_t nb = (m + SUM_BLOCK - 1) / SUM_BLOCK;
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic) if (par && nb > 1)
        for (int64_t b = 0; b < nb; b++) {
            const int64_t i0 = b * SUM_BLOCK, i1 = CML_MIN(m, i0 + SUM_BLOCK);
            double *o0 = out + (c0 + i0) * k;
            memset(o0, 0, (size_t)((i1 - i0) * k) * sizeof(double));
            for (int64_t t = 0; t < T; t++) {
                const cml_dtree *dt = f->trees[t]->t;
                const double *src = f->classifier ? dt->proba : dt->value;
                const int32_t *lt = leaf + t * chunk;
                for (int64_t i = i0; i < i1; i++) {
                    const double *v = src + (int64_t)lt[i] * k;
                    double *o = out + (c0 + i) * k;
                    for (int64_t c = 0; c < k; c++)
                        o[c] += v[c];
                }
            }
            for (int64_t i = 0; i < (i1 - i0) * k; i++)
                o0[i] /= (double)T;
        }
    }
    free(leaf);
    free(xf);
    return CML_OK;
}

/* Mean over trees of each row's leaf vector (proba or value): out (rows, k).
 * Rows go in chunks, rounded to float32 once (as scikit-learn does) and
 * sized to stay in cache while every tree walks them; each chunk's rows then
 * add their leaf vectors tree after tree, so every row sums in tree order
 * and the result depends neither on the thread count nor on the chunking.
 * With enough chunks (wide rows, many rows) the chunks run in parallel: one
 * fork-join for the whole call and no barrier between trees, so a stalled
 * thread on a busy machine holds up no other; with few, mean_by_trees. */
static cml_status mean_leaf_vectors(const cml_forest *f, const cml_matrix *X, double *out)
{
    const int64_t k = f->classifier ? f->n_classes : 1, T = f->n_trees, d = X->cols;
    const int64_t n = X->rows;
    const int par = n * T > PAR_MIN;
    int64_t chunk = CML_MAX(CHUNK_MIN, CML_MIN(CHUNK_MAX, CHUNK_BYTES / (4 * d)));
    chunk = CML_MAX(1, CML_MIN(chunk, n));
    const int64_t nc = (n + chunk - 1) / chunk;
    /* Too few chunks to share among the threads: share each chunk's trees. */
    if (par && nc < 2 * (int64_t)cml_get_num_threads()) return mean_by_trees(f, X, chunk, par, out);
    int failed = 0;
#pragma omp parallel CML_OMP_THREADS if (par && nc > 1)
    {
        int32_t *leaf = cml_alloc_array(chunk, sizeof *leaf);
        float *xf = cml_alloc_array(chunk * d, sizeof *xf);
        if (!leaf || !xf) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic)
        for (int64_t c = 0; c < nc; c++) {
            if (!leaf || !xf) continue;
            const int64_t c0 = c * chunk, m = CML_MIN(chunk, n - c0);
            double *o = out + c0 * k;
            cml_dtree_rows_f32(X, c0, m, xf);
            memset(o, 0, (size_t)(m * k) * sizeof(double));
            for (int64_t t = 0; t < T; t++) {
                const cml_dtree *dt = f->trees[t]->t;
                const double *src = f->classifier ? dt->proba : dt->value;
                cml_dtree_apply_f32(dt, xf, d, m, leaf);
                for (int64_t i = 0; i < m; i++) {
                    const double *v = src + (int64_t)leaf[i] * k;
                    for (int64_t j = 0; j < k; j++)
                        o[i * k + j] += v[j];
                }
            }
            for (int64_t i = 0; i < m * k; i++)
                o[i] /= (double)T;
        }
        free(leaf);
        free(xf);
    }
    return failed ? CML_ERR_NOMEM : CML_OK;
}

cml_status cml_forest_predict_proba(const cml_forest *f, const cml_matrix *X, double *out)
{
    if (!f->classifier)
        return cml_fail(CML_ERR_UNSUPPORTED, "%s has no predict_proba: it is a regressor",
                        cml_forest_kind_name(f->kind));
    CML_CHECK(check_X(f, X));
    return mean_leaf_vectors(f, X, out);
}

cml_status cml_forest_predict(const cml_forest *f, const cml_matrix *X, double *out)
{
    CML_CHECK(check_X(f, X));
    if (!f->classifier) return mean_leaf_vectors(f, X, out);
    const int64_t k = f->n_classes;
    double *pr = cml_alloc_array(X->rows * k, sizeof *pr);
    if (!pr) return CML_ERR_NOMEM;
    cml_status st = mean_leaf_vectors(f, X, pr);
    if (st != CML_OK) {
        free(pr);
        return st;
    }
    for (int64_t i = 0; i < X->rows; i++) {
        const double *v = pr + i * k;
        int64_t b = 0;
        for (int64_t c = 1; c < k; c++)
            if (v[c] > v[b]) b = c;
        out[i] = f->classes[b];
    }
    free(pr);
    return CML_OK;
}

cml_status cml_forest_apply(const cml_forest *f, const cml_matrix *X, int64_t *leaf)
{
    CML_CHECK(check_X(f, X));
    const int64_t T = f->n_trees;
    const int64_t nb = (X->rows + APPLY_BLOCK - 1) / APPLY_BLOCK;
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic) if (X->rows * T > 20000)
    for (int64_t b = 0; b < nb; b++) {
        int32_t lb[APPLY_BLOCK];
        const int64_t r0 = b * APPLY_BLOCK, m = CML_MIN(APPLY_BLOCK, X->rows - r0);
        for (int64_t t = 0; t < T; t++) {
            cml_dtree_apply_f64(f->trees[t]->t, cml_matrix_row(X, r0), X->ld, m, lb);
            for (int64_t i = 0; i < m; i++)
                leaf[(r0 + i) * T + t] = lb[i];
        }
    }
    return CML_OK;
}

/* ---------------------------------------------------------------- getters */

int cml_forest_is_classifier(const cml_forest *f)
{
    return f->classifier;
}
int64_t cml_forest_n_estimators(const cml_forest *f)
{
    return f->n_trees;
}
int64_t cml_forest_n_features_in(const cml_forest *f)
{
    return f->n_features;
}
int64_t cml_forest_n_classes(const cml_forest *f)
{
    return f->n_classes;
}
const double *cml_forest_classes(const cml_forest *f)
{
    return f->classifier ? f->classes : NULL;
}
const cml_tree *cml_forest_tree(const cml_forest *f, int64_t i)
{
    return i >= 0 && i < f->n_trees ? f->trees[i] : NULL;
}
const double *cml_forest_feature_importances(const cml_forest *f)
{
    return f->importances;
}
double cml_forest_oob_score(const cml_forest *f)
{
    return f->oob_score;
}
const double *cml_forest_oob_decision(const cml_forest *f, int64_t *rows)
{
    if (rows) *rows = f->n_oob_rows;
    return f->oob;
}

/* ---------------------------------------------------------------- permutation importance */

static cml_status score_of(const cml_forest *f, const cml_matrix *X, const double *y, double *pred,
                           double *out)
{
    CML_CHECK(cml_forest_predict(f, X, pred));
    return f->classifier ? cml_accuracy(y, pred, X->rows, NULL, out)
                         : cml_r2(y, pred, X->rows, NULL, out);
}

cml_status cml_forest_permutation_importance(const cml_forest *f, const cml_matrix *X,
                                             const double *y, int n_repeats, int random_state,
                                             double *mean, double *std, double *raw)
{
    CML_CHECK(check_X(f, X));
    if (n_repeats < 1)
        return cml_fail(CML_ERR_ARG, "permutation importance: n_repeats=%d must be >= 1",
                        n_repeats);
    const int64_t n = X->rows, d = X->cols;
    double *pred = cml_alloc_array(n, sizeof *pred), base;
    double *all = cml_alloc_array(d * n_repeats, sizeof *all);
    cml_status st = CML_OK;
    if (!pred || !all) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    CML_TRY(score_of(f, X, y, pred, &base));
    /* One feature per iteration; its shuffles use its own stream, and the
     * forest's own predict runs single-threaded inside (nested regions are
     * off), so the result is independent of the thread count. */
    cml_status fst = CML_OK;
#pragma omp parallel CML_OMP_THREADS
    {
        double *Xp = cml_alloc_array(n * d, sizeof *Xp);
        double *pp = cml_alloc_array(n, sizeof *pp);
        int64_t *perm = cml_alloc_array(n, sizeof *perm);
        int ok = Xp && pp && perm;
        if (ok)
            for (int64_t i = 0; i < n; i++)
                memcpy(Xp + i * d, cml_matrix_row(X, i), (size_t)d * sizeof(double));
#pragma omp for schedule(dynamic)
        for (int64_t j = 0; j < d; j++) {
            if (!ok) {
#pragma omp critical
                fst = CML_ERR_NOMEM;
                continue;
            }
            cml_rng rng;
            cml_rng_seed(&rng, (uint64_t)random_state);
            for (int64_t s = 0; s < j; s++)
                cml_rng_jump(&rng);
            for (int r = 0; r < n_repeats; r++) {
                for (int64_t i = 0; i < n; i++)
                    perm[i] = i;
                cml_rng_shuffle_i64(&rng, perm, n);
                for (int64_t i = 0; i < n; i++)
                    Xp[i * d + j] = X->data[perm[i] * X->ld + j];
                cml_matrix mp = cml_matrix_view(Xp, n, d);
                double sc;
                cml_status s2 = score_of(f, &mp, y, pp, &sc);
                if (s2 != CML_OK) {
#pragma omp critical
                    fst = s2;
                    sc = NAN;
                }
                all[j * n_repeats + r] = base - sc;
            }
            for (int64_t i = 0; i < n; i++) /* restore the column */
                Xp[i * d + j] = X->data[i * X->ld + j];
        }
        free(Xp);
        free(pp);
        free(perm);
    }
    CML_TRY(fst);
    for (int64_t j = 0; j < d; j++) {
        const double *a = all + j * n_repeats;
        double m = 0.0, v = 0.0;
        for (int r = 0; r < n_repeats; r++)
            m += a[r];
        m /= n_repeats;
        for (int r = 0; r < n_repeats; r++)
            v += (a[r] - m) * (a[r] - m);
        mean[j] = m;
        std[j] = sqrt(v / n_repeats);
    }
    if (raw) memcpy(raw, all, (size_t)(d * n_repeats) * sizeof(double));
fail:
done:
    free(pred);
    free(all);
    return st;
}

/* ---------------------------------------------------------------- proximity */

cml_status cml_forest_proximity(const cml_forest *f, const cml_matrix *X, double *out)
{
    CML_CHECK(check_X(f, X));
    const int64_t n = X->rows, T = f->n_trees;
    cml_status st = CML_OK;
    int64_t *leaf = cml_alloc_array(n * T, sizeof *leaf);
    /* per tree: rows grouped by leaf (counting sort), with offsets per node */
    int32_t *rows_by_leaf = cml_alloc_array(n * T, sizeof *rows_by_leaf);
    int64_t *off = NULL, *off_at = cml_alloc_array(T + 1, sizeof *off_at);
    if (!leaf || !rows_by_leaf || !off_at) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    CML_TRY(cml_forest_apply(f, X, leaf));
    off_at[0] = 0;
    for (int64_t t = 0; t < T; t++)
        off_at[t + 1] = off_at[t] + f->trees[t]->t->n_nodes + 1;
    off = cml_calloc((size_t)off_at[T], sizeof *off);
    if (!off) {
        st = CML_ERR_NOMEM;
        goto done;
    }
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic)
    for (int64_t t = 0; t < T; t++) {
        int64_t *o = off + off_at[t];
        int64_t nn = f->trees[t]->t->n_nodes;
        for (int64_t i = 0; i < n; i++)
            o[leaf[i * T + t] + 1]++;
        for (int64_t l = 0; l < nn; l++)
            o[l + 1] += o[l];
        /* fill, then shift the offsets back */
        int32_t *r = rows_by_leaf + t * n;
        for (int64_t i = 0; i < n; i++)
            r[o[leaf[i * T + t]]++] = (int32_t)i;
        for (int64_t l = nn; l > 0; l--)
            o[l] = o[l - 1];
        o[0] = 0;
    }
    /* Row i of the output belongs to one thread: no write conflicts. */
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic, 16)
    for (int64_t i = 0; i < n; i++) {
        double *pi = out + i * n;
        memset(pi, 0, (size_t)n * sizeof *pi);
        for (int64_t t = 0; t < T; t++) {
            const int64_t *o = off + off_at[t];
            int64_t l = leaf[i * T + t];
            const int32_t *r = rows_by_leaf + t * n;
            for (int64_t a = o[l]; a < o[l + 1]; a++)
                pi[r[a]] += 1.0;
        }
        for (int64_t j = 0; j < n; j++)
            pi[j] /= (double)T;
    }
fail:
done:
    free(leaf);
    free(rows_by_leaf);
    free(off);
    free(off_at);
    return st;
}

/* ---------------------------------------------------------------- rfImpute */

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

cml_status cml_forest_impute(cml_forest_kind kind, const cml_forest_params *p, const cml_matrix *X,
                             const double *y, int n_iter, double *out)
{
    const char *who = cml_forest_kind_name(kind);
    if (n_iter < 1) return cml_fail(CML_ERR_ARG, "%s impute: n_iter=%d must be >= 1", who, n_iter);
    CML_CHECK(cml_matrix_check(X, "X", 1));
    const int64_t n = X->rows, d = X->cols;
    cml_status st = CML_OK;
    double *col = cml_alloc_array(n, sizeof *col);
    double *prox = cml_alloc_array(n * n, sizeof *prox);
    cml_forest *f = NULL;
    if (!col || !prox) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    /* na.roughfix: each column's median of the observed values */
    for (int64_t j = 0; j < d; j++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = X->data[i * X->ld + j];
            out[i * d + j] = v;
            if (!isnan(v)) col[m++] = v;
        }
        if (m == 0) {
            st = cml_fail(CML_ERR_ARG, "%s impute: column %lld has no observed value", who,
                          (long long)j + 1);
            goto done;
        }
        qsort(col, (size_t)m, sizeof *col, dcmp);
        double med = m % 2 ? col[m / 2] : (col[m / 2 - 1] + col[m / 2]) / 2.0;
        for (int64_t i = 0; i < n; i++)
            if (isnan(out[i * d + j])) out[i * d + j] = med;
    }
    cml_matrix filled = cml_matrix_view(out, n, d);
    for (int it = 0; it < n_iter; it++) {
        CML_TRY(cml_forest_fit(kind, p, &filled, y, NULL, &f));
        CML_TRY(cml_forest_proximity(f, &filled, prox));
        cml_forest_free(f);
        f = NULL;
        /* each missing cell: proximity-weighted mean of its column's
         * observed values (reads X for "observed", writes only NaN cells) */
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic)
        for (int64_t i = 0; i < n; i++) {
            const double *pi = prox + i * n;
            for (int64_t j = 0; j < d; j++) {
                if (!isnan(X->data[i * X->ld + j])) continue;
                double num = 0.0, den = 0.0;
                for (int64_t k = 0; k < n; k++) {
                    double v = X->data[k * X->ld + j];
                    if (isnan(v)) continue;
                    num += pi[k] * v;
                    den += pi[k];
                }
                if (den > 0) out[i * d + j] = num / den;
            }
        }
    }
fail:
done:
    cml_forest_free(f);
    free(col);
    free(prox);
    return st;
}

/* ---------------------------------------------------------------- save / load */

cml_status cml_forest_save(const cml_forest *f, cml_gguf_writer *w)
{
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_features_in", f->n_features));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_classes", f->n_classes));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.max_features", f->max_features));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_estimators", f->n_trees));
    if (f->classifier) CML_CHECK(cml_gguf_add_f64(w, "classes", f->classes, 1, f->n_classes));
    if (f->oob) {
        CML_CHECK(cml_gguf_set_f64(w, "cml.fit.oob_score", f->oob_score));
        CML_CHECK(cml_gguf_add_f64(w, "oob_decision", f->oob, f->n_oob_rows,
                                   f->classifier ? f->n_classes : 1));
    }
    cml_dtree **dts = cml_alloc_array(f->n_trees, sizeof *dts);
    if (!dts) return CML_ERR_NOMEM;
    for (int64_t t = 0; t < f->n_trees; t++)
        dts[t] = f->trees[t]->t;
    cml_status st = cml_dtree_save_all(w, dts, f->n_trees);
    free(dts);
    return st;
}

/* Bounds on what a file may claim (they bound load's allocations). */
#define MAX_LOAD_DIM   ((int64_t)1 << 28)
#define MAX_LOAD_TREES ((int64_t)1 << 24)

cml_status cml_forest_load(cml_forest_kind kind, const cml_gguf *g, int criterion, cml_forest **out)
{
    *out = NULL;
    const char *name = cml_gguf_name(g);
    int64_t d, k, mf, T;
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_features_in", &d));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_classes", &k));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.max_features", &mf));
    CML_CHECK(cml_gguf_get_i64(g, "cml.fit.n_estimators", &T));
    const int clf = cml_forest_kind_is_classifier(kind);
    if (d < 1 || d > MAX_LOAD_DIM || (clf ? (k < 1 || k > MAX_LOAD_DIM) : k != 0) || mf < 1 ||
        mf > d || T < 1 || T > MAX_LOAD_TREES)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: bad forest dimensions (features %lld, classes %lld, trees %lld)", name,
                        (long long)d, (long long)k, (long long)T);
    cml_status st = CML_OK;
    cml_dtree **dts = NULL;
    cml_forest *f = cml_calloc(1, sizeof *f);
    if (!f) return CML_ERR_NOMEM;
    f->kind = kind;
    f->classifier = clf;
    f->n_features = d;
    f->n_classes = k;
    f->max_features = mf;
    f->oob_score = NAN;
    if (clf) {
        f->classes = cml_alloc_array(k, sizeof *f->classes);
        if (!f->classes) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(cml_gguf_read_f64(g, "classes", 1, k, f->classes));
    }
    if (cml_gguf_has(g, "cml.fit.oob_score")) {
        int64_t dims[CML_GGUF_MAX_DIMS];
        const void *raw;
        int nd;
        CML_TRY(cml_gguf_get_f64(g, "cml.fit.oob_score", &f->oob_score));
        CML_TRY(cml_gguf_get_tensor(g, "oob_decision", CML_GGUF_T_F64, &raw, &nd, dims));
        int64_t cols = clf ? k : 1, rows = nd == 2 ? dims[1] : dims[0];
        if (rows < 1 || rows > ((int64_t)1 << 40) / cols) {
            st = cml_fail(CML_ERR_FORMAT, "%s: bad oob_decision shape", name);
            goto fail;
        }
        f->oob = cml_alloc_array(rows * cols, sizeof *f->oob);
        if (!f->oob) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        CML_TRY(cml_gguf_read_f64(g, "oob_decision", rows, cols, f->oob));
        f->n_oob_rows = rows;
    }
    dts = cml_calloc((size_t)T, sizeof *dts);
    f->trees = cml_calloc((size_t)T, sizeof *f->trees);
    if (!dts || !f->trees) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    f->n_trees = T;
    CML_TRY(cml_dtree_load_all(g, T, clf ? k : 1, d, clf, dts));
    for (int64_t t = 0; t < T; t++) {
        st = cml_tree_wrap(dts[t], clf, criterion, d, f->classes, k, mf, &f->trees[t]);
        dts[t] = NULL;
        if (st != CML_OK) goto fail;
    }
    CML_TRY(cml_forest_finish(f));
    free(dts);
    *out = f;
    return CML_OK;
fail:
    if (dts)
        for (int64_t t = 0; t < T; t++)
            cml_dtree_free(dts[t]);
    free(dts);
    cml_forest_free(f);
    return st;
}

char *cml_forest_describe(const cml_forest *f)
{
    cml_sb sb;
    cml_sb_init(&sb);
    int64_t nodes = 0;
    for (int64_t t = 0; t < f->n_trees; t++)
        nodes += cml_tree_node_count(f->trees[t]);
    cml_sb_printf(&sb,
                  "{\"n_estimators\":%lld,\"n_features_in_\":%lld,\"max_features_\":%lld,"
                  "\"total_nodes\":%lld",
                  (long long)f->n_trees, (long long)f->n_features, (long long)f->max_features,
                  (long long)nodes);
    if (f->classifier) {
        cml_sb_printf(&sb, ",\"n_classes_\":%lld,\"classes_\":", (long long)f->n_classes);
        cml_sb_json_arr(&sb, f->classes, f->n_classes);
    }
    if (f->oob) {
        cml_sb_puts(&sb, ",\"oob_score_\":");
        cml_sb_json_num(&sb, f->oob_score);
    }
    cml_sb_puts(&sb, ",\"feature_importances_\":");
    cml_sb_json_arr(&sb, f->importances, f->n_features);
    cml_sb_puts(&sb, "}");
    return cml_sb_finish(&sb);
}
