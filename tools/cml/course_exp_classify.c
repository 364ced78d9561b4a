/*
 * course_exp_classify.c — the experiments of the supervised classification
 * lessons (75/25 stratified split, seed 42, features standardized on the
 * train part where the model needs it):
 *
 *  logistic-regression (breast cancer): ROC curve and AUC, reliability
 *    diagram and Brier score, accuracy / precision / recall / F1 with the
 *    malignant class as the positive one.
 *  svm (breast cancer): linear vs RBF kernel, train/test accuracy over C
 *    on a log scale, support vectors per setting.
 *  knn (iris): PCA projection of the flowers, train/test accuracy vs k.
 *  decision-tree (iris): the tree of depth 3 as text, train/test accuracy
 *    vs max_depth, feature importances.
 *  random-forest (breast cancer): OOB error vs number of trees, test
 *    accuracy next to OOB accuracy, top features.
 *
 * Models through the generic cml_model layer; fitted attributes through the
 * family's typed getters on cml_model_state().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "course_exp.h"

/* In breast_cancer.csv (scikit-learn's export) 0 = malignant, 1 = benign. */
#define MALIGNANT 0.0

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

/* Index order of v (n) by decreasing value. */
static void rank_desc(const double *v, int64_t n, int64_t *idx)
{
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t i = 1; i < n; i++) /* insertion sort: n is a few dozen */
        for (int64_t j = i; j > 0 && v[idx[j]] > v[idx[j - 1]]; j--) {
            int64_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
}

/* Table "feature, importance" of the top k and a note on the leader. */
static cml_status report_importances(course_run *r, const cml_table *X, const double *imp,
                                     int64_t k)
{
    int64_t p = X->cols, *idx = malloc(sizeof *idx * (size_t)p);
    if (!idx) return oom();
    rank_desc(imp, p, idx);
    static const char *const cols[] = {"rank", "feature", "importance"};
    cml_status st = cr_table(r, 3, cols);
    for (int64_t i = 0; i < k && i < p && st == CML_OK; i++)
        st = cr_row(r, "%lld\t%s\t%.3f", (long long)(i + 1), X->columns[idx[i]].name, imp[idx[i]]);
    double top3 = 0;
    for (int64_t i = 0; i < 3 && i < p; i++)
        top3 += imp[idx[i]];
    if (st == CML_OK)
        st = cr_note(r,
                     "The most important feature is %s (%.3f of the total importance); the top "
                     "three together carry %.0f%%.",
                     X->columns[idx[0]].name, imp[idx[0]], 100 * top3);
    free(idx);
    return st;
}

/* ---------------------------------------------------------------- logistic regression */

static cml_status exp_logistic_regression(course_run *r)
{
    cr_data d;
    cr_split s = {0};
    cml_model *m = NULL;
    double *proba = NULL, *pred = NULL, *p1 = NULL, *fpr = NULL, *tpr = NULL, *thr = NULL;
    double *diag = NULL;
    int64_t np = 0;
    cml_status st = cr_load(r, "breast_cancer", NULL, &d);
    if (st != CML_OK) return st;
    if ((st = cr_split_make(&d, 0.25, 1, 42, &s)) ||
        (st = cr_model("logistic_regression", "", 1, &m)))
        goto done;
    cr_progress(r, 0.2, "fitting logistic regression on %lld biopsies", (long long)s.ntr);
    if ((st = cr_fit_predict(m, &s, &pred))) goto done;
    proba = malloc(sizeof *proba * (size_t)(2 * s.nte));
    p1 = malloc(sizeof *p1 * (size_t)s.nte);
    if (!proba || !p1) {
        st = oom();
        goto done;
    }
    cml_matrix B = cr_test(&s);
    if ((st = cml_model_predict_proba(m, &B, proba))) goto done;
    for (int64_t i = 0; i < s.nte; i++)
        p1[i] = proba[2 * i + 1]; /* P(benign) */
    double auc, acc, prec, rec, f1, brier;
    if ((st = cml_roc_auc(s.yte, p1, s.nte, NULL, &auc)) ||
        (st = cml_accuracy(s.yte, pred, s.nte, NULL, &acc)) ||
        (st = cml_precision_recall_f1(s.yte, pred, s.nte, NULL, CML_AVERAGE_BINARY, MALIGNANT,
                                      &prec, &rec, &f1)) ||
        (st = cml_mse(s.yte, p1, s.nte, NULL, &brier)))
        goto done;
    if ((st = cr_metric(r, "roc_auc", "ROC AUC (test set)", auc)) ||
        (st = cr_metric(r, "accuracy", "accuracy (test set)", acc)) ||
        (st = cr_metric(r, "precision_malignant", "precision, malignant as positive", prec)) ||
        (st = cr_metric(r, "recall_malignant", "recall, malignant as positive", rec)) ||
        (st = cr_metric(r, "f1_malignant", "F1, malignant as positive", f1)) ||
        (st = cr_metric(r, "brier", "Brier score (mean squared probability error)", brier)))
        goto done;
    int64_t n_mal = 0, missed = 0, false_alarm = 0;
    for (int64_t i = 0; i < s.nte; i++) {
        n_mal += s.yte[i] == MALIGNANT;
        missed += s.yte[i] == MALIGNANT && pred[i] != MALIGNANT;
        false_alarm += s.yte[i] != MALIGNANT && pred[i] == MALIGNANT;
    }
    if ((st = cr_note(r,
                      "Of %lld malignant tumours in the test set the model missed %lld; it raised "
                      "%lld false alarm(s) among %lld benign ones.",
                      (long long)n_mal, (long long)missed, (long long)false_alarm,
                      (long long)(s.nte - n_mal))))
        goto done;

    /* ROC curve, with the chance diagonal as a second line */
    if ((st = cml_roc_curve(s.yte, p1, s.nte, NULL, 1.0, &fpr, &tpr, &thr, &np))) goto done;
    if (!(diag = malloc(sizeof *diag * (size_t)(2 * np)))) {
        st = oom();
        goto done;
    }
    memcpy(diag, tpr, sizeof *diag * (size_t)np);
    memcpy(diag + np, fpr, sizeof *diag * (size_t)np);
    static const char *const rn[] = {"logistic regression", "chance"};
    char title[128];
    snprintf(title, sizeof title, "ROC curve, breast cancer test set (AUC %.3f)", auc);
    if ((st = cml_plot_lines(cr_path(r, "roc.png"), fpr, diag, 2, np, rn, title,
                             "false-positive rate", "true-positive rate")) ||
        (st = cr_plot(r, "roc.png", "ROC curve (test set)")))
        goto done;

    /* reliability diagram: 10 equal-width bins of P(benign) */
    enum { BINS = 10 };
    double sum_p[BINS] = {0}, sum_y[BINS] = {0}, cnt[BINS] = {0}, xs[BINS], ys[2 * BINS];
    for (int64_t i = 0; i < s.nte; i++) {
        int b = (int)(p1[i] * BINS);
        b = b >= BINS ? BINS - 1 : b;
        sum_p[b] += p1[i];
        sum_y[b] += s.yte[i] == 1.0;
        cnt[b]++;
    }
    int nb = 0;
    for (int b = 0; b < BINS; b++)
        if (cnt[b] > 0) {
            xs[nb] = sum_p[b] / cnt[b];
            ys[nb] = sum_y[b] / cnt[b];
            nb++;
        }
    double middle = 0;
    for (int b = 1; b < BINS - 1; b++)
        middle += cnt[b];
    if ((st = cr_note(r,
                      "%.0f of the %lld test tumours get a probability of benign between 0.1 and "
                      "0.9; the middle points of the reliability diagram rest on these few cases.",
                      middle, (long long)s.nte)))
        goto done;
    for (int b = 0; b < nb; b++) /* second series (row nb..2nb): the diagonal */
        ys[nb + b] = xs[b];
    static const char *const cn[] = {"observed", "perfectly calibrated"};
    if ((st = cml_plot_lines(cr_path(r, "reliability.png"), xs, ys, 2, nb, cn,
                             "Reliability diagram (test set, 10 bins)", "mean predicted P(benign)",
                             "observed fraction benign")) ||
        (st = cr_plot(r, "reliability.png", "Reliability diagram (test set)")))
        goto done;
    cr_progress(r, 0.9, "ROC and reliability plots written");
done:
    cml_model_free(m);
    free(proba);
    free(pred);
    free(p1);
    free(fpr);
    free(tpr);
    free(thr);
    free(diag);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

/* ---------------------------------------------------------------- SVM */

static cml_status exp_svm(course_run *r)
{
    static const double full_c[] = {1e-3, 1e-2, 1e-1, 1, 10, 100, 1000};
    static const double quick_c[] = {1e-2, 1, 100};
    const double *cs = r->quick ? quick_c : full_c;
    int nc = r->quick ? 3 : 7;
    static const char *const kernels[] = {"linear", "rbf"};
    cr_data d;
    cr_split s = {0};
    double logc[7], acc[4 * 7];
    cml_status st = cr_load(r, "breast_cancer", NULL, &d);
    if (st != CML_OK) return st;
    if ((st = cr_split_make(&d, 0.25, 1, 42, &s))) goto done;
    static const char *const cols[] = {"kernel", "C", "train accuracy", "test accuracy",
                                       "support vectors"};
    if ((st = cr_table(r, 5, cols))) goto done;
    double at1[2] = {0, 0};
    int64_t sv_lo = 0, sv_hi = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nc; i++) {
            char prm[96];
            snprintf(prm, sizeof prm, "kernel=%s;C=%.17g", kernels[k], cs[i]);
            cml_model *m = NULL;
            if ((st = cr_model("svc", prm, 1, &m))) goto done;
            double tr, te;
            cml_matrix A = cr_train(&s);
            st = cml_model_fit(m, &A, s.ytr, NULL);
            double *pred = NULL;
            if (st == CML_OK) {
                cml_matrix B = cr_test(&s);
                pred = malloc(sizeof *pred * (size_t)(s.ntr > s.nte ? s.ntr : s.nte));
                st = pred ? cml_model_predict(m, &A, pred) : oom();
                if (st == CML_OK) st = cml_accuracy(s.ytr, pred, s.ntr, NULL, &tr);
                if (st == CML_OK) st = cml_model_predict(m, &B, pred);
                if (st == CML_OK) st = cml_accuracy(s.yte, pred, s.nte, NULL, &te);
            }
            free(pred);
            int64_t nsv = st == CML_OK ? cml_svc_n_sv(cml_model_state(m)) : 0;
            cml_model_free(m);
            if (st != CML_OK) goto done;
            logc[i] = log10(cs[i]);
            acc[(2 * k) * nc + i] = tr;
            acc[(2 * k + 1) * nc + i] = te;
            if (cs[i] == 1.0) at1[k] = te;
            if (k == 1 && i == 0) sv_lo = nsv;
            if (k == 1 && i == nc - 1) sv_hi = nsv;
            if ((st = cr_row(r, "%s\t%g\t%.3f\t%.3f\t%lld", kernels[k], cs[i], tr, te,
                             (long long)nsv)))
                goto done;
            cr_progress(r, (k * nc + i + 1) / (2.0 * nc), "%s kernel, C = %g", kernels[k], cs[i]);
        }
    if ((st = cr_metric(r, "accuracy_rbf", "RBF kernel, C = 1: test accuracy", at1[1])) ||
        (st = cr_metric(r, "accuracy_linear", "linear kernel, C = 1: test accuracy", at1[0])))
        goto done;
    if ((st = cr_note(r,
                      "With C = 1 the RBF kernel scores %.3f and the linear kernel %.3f on the "
                      "test set.",
                      at1[1], at1[0])) ||
        (st = cr_note(r, "The RBF model keeps %lld support vectors at C = %g and %lld at C = %g.",
                      (long long)sv_lo, cs[0], (long long)sv_hi, cs[nc - 1])))
        goto done;
    static const char *const sn[] = {"linear, train", "linear, test", "RBF, train", "RBF, test"};
    if ((st = cml_plot_lines(cr_path(r, "accuracy_vs_c.png"), logc, acc, 4, nc, sn,
                             "SVM on breast cancer: accuracy vs C", "log10(C)", "accuracy")) ||
        (st = cr_plot(r, "accuracy_vs_c.png", "Train and test accuracy vs C, both kernels")))
        goto done;
done:
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

/* ---------------------------------------------------------------- KNN */

static cml_status exp_knn(course_run *r)
{
    cr_data d;
    cr_split s = {0};
    int kmax = r->quick ? 10 : 30;
    double ks[30], acc[60], *xy = NULL;
    int64_t *lab = NULL;
    cml_status st = cr_load(r, "iris", NULL, &d);
    if (st != CML_OK) return st;
    if ((st = cr_split_make(&d, 0.25, 1, 42, &s))) goto done;
    xy = malloc(sizeof *xy * (size_t)(2 * d.n));
    lab = cr_labels(d.y, d.n);
    if (!xy || !lab) {
        st = oom();
        goto done;
    }
    cml_matrix X = cml_table_matrix(d.X);
    if ((st = cr_pca2(X.data, d.n, d.p, xy)) ||
        (st = cr_scatter_xy(cr_path(r, "pca.png"), xy, d.n, lab, cr_iris_names,
                            "Iris on its first two principal components", "PC1", "PC2")) ||
        (st = cr_plot(r, "pca.png", "PCA projection of iris, coloured by species")))
        goto done;
    for (int k = 1; k <= kmax; k++)
        ks[k - 1] = k;
    if ((st = cr_sweep(r, &s, "k_neighbors_classifier", "", "n_neighbors", ks, kmax, 1, acc,
                       acc + kmax, 0.1, 0.95)))
        goto done;
    int best = 0;
    for (int i = 1; i < kmax; i++)
        if (acc[kmax + i] > acc[kmax + best]) best = i; /* first (smallest) k on ties */
    if ((st = cr_metric(r, "accuracy_best_k", "test accuracy at the best k", acc[kmax + best])) ||
        (st = cr_metric(r, "best_k", "best k (smallest on ties)", best + 1)) ||
        (st = cr_metric(r, "accuracy_k1", "test accuracy at k = 1", acc[kmax])))
        goto done;
    if ((st = cr_note(r,
                      "At k = 1 the train accuracy is %.3f (each flower is its own nearest "
                      "neighbour); the test accuracy is %.3f.",
                      acc[0], acc[kmax])) ||
        (st = cr_note(r,
                      "The best test accuracy, %.3f, is first reached at k = %d; at k = %d it "
                      "is %.3f.",
                      acc[kmax + best], best + 1, kmax, acc[2 * kmax - 1])))
        goto done;
    static const char *const sn[] = {"train", "test"};
    if ((st = cml_plot_lines(cr_path(r, "accuracy_vs_k.png"), ks, acc, 2, kmax, sn,
                             "k-nearest neighbours on iris: accuracy vs k", "k (neighbours)",
                             "accuracy")) ||
        (st = cr_plot(r, "accuracy_vs_k.png", "Train and test accuracy vs k")))
        goto done;
done:
    free(xy);
    free(lab);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

/* ---------------------------------------------------------------- decision tree */

static cml_status exp_decision_tree(course_run *r)
{
    cr_data d;
    cr_split s = {0};
    cml_model *m = NULL;
    char *text = NULL;
    enum { MAXD = 8 };
    double depths[MAXD], acc[2 * MAXD];
    cml_status st = cr_load(r, "iris", NULL, &d);
    if (st != CML_OK) return st;
    if ((st = cr_split_make(&d, 0.25, 1, 42, &s))) goto done;
    for (int i = 0; i < MAXD; i++)
        depths[i] = i + 1;
    if ((st = cr_sweep(r, &s, "decision_tree_classifier", "random_state=0", "max_depth", depths,
                       MAXD, 0, acc, acc + MAXD, 0.1, 0.7)))
        goto done;
    /* the shallow tree, drawn as text */
    double te3;
    if ((st = cr_model("decision_tree_classifier", "max_depth=3;random_state=0", 0, &m)) ||
        (st = cr_fit_score(m, &s, &te3)))
        goto done;
    const cml_tree *t = cml_model_state(m);
    const char *fn[8];
    for (int64_t j = 0; j < d.p && j < 8; j++)
        fn[j] = d.X->columns[j].name;
    cml_tree_export_opts o = cml_tree_export_opts_default();
    o.feature_names = fn;
    o.class_names = cr_iris_names;
    if (!(text = cml_tree_export_text(t, &o))) {
        st = CML_ERR_INTERNAL;
        goto done;
    }
    static const char *const cols[] = {"the tree of depth 3 (export_text)"};
    if ((st = cr_table(r, 1, cols))) goto done;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if ((st = cr_row(r, "%s", line))) goto done;
    }
    if ((st = cr_metric(r, "accuracy_depth3", "test accuracy at max_depth = 3", te3)) ||
        (st = cr_metric(r, "accuracy_full", "test accuracy, fully grown", acc[2 * MAXD - 1])) ||
        (st = cr_metric(r, "leaves_depth3", "leaves of the depth-3 tree",
                        (double)cml_tree_n_leaves(t))))
        goto done;
    int first_perfect = 0;
    for (int i = MAXD - 1; i >= 0 && acc[i] == 1.0; i--)
        first_perfect = i + 1;
    if (first_perfect &&
        (st = cr_note(r,
                      "Training accuracy reaches 1.0 at max_depth = %d; test accuracy there "
                      "is %.3f.",
                      first_perfect, acc[MAXD + first_perfect - 1])))
        goto done;
    const double *imp = cml_tree_feature_importances(t);
    int64_t top = 0;
    for (int64_t j = 1; j < d.p; j++)
        if (imp[j] > imp[top]) top = j;
    if ((st = cr_note(r, "The depth-3 tree gives %s %.2f of the total importance.",
                      d.X->columns[top].name, imp[top])))
        goto done;
    static const char *const sn[] = {"train", "test"};
    if ((st = cml_plot_lines(cr_path(r, "accuracy_vs_depth.png"), depths, acc, 2, MAXD, sn,
                             "Decision tree on iris: accuracy vs max_depth", "max_depth",
                             "accuracy")) ||
        (st = cr_plot(r, "accuracy_vs_depth.png", "Train and test accuracy vs max_depth")))
        goto done;
done:
    free(text);
    cml_model_free(m);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

/* ---------------------------------------------------------------- random forest */

static cml_status exp_random_forest(course_run *r)
{
    /* from 20 trees up: with fewer, some rows fall in every bootstrap
     * sample and have no out-of-bag vote (P = 0.632^n per row) */
    static const double full_n[] = {20, 30, 50, 70, 100, 150, 200, 250, 300};
    static const double quick_n[] = {20, 30, 50};
    const double *ns = r->quick ? quick_n : full_n;
    int nn = r->quick ? 3 : 9;
    cr_data d;
    cr_split s = {0};
    double oob_err[2 * 9];
    cml_model *last = NULL;
    cml_status st = cr_load(r, "breast_cancer", NULL, &d);
    if (st != CML_OK) return st;
    if ((st = cr_split_make(&d, 0.25, 1, 42, &s))) goto done;
    double test_acc = 0, oob_acc = 0;
    for (int i = 0; i < nn; i++) {
        char prm[96];
        snprintf(prm, sizeof prm, "n_estimators=%d;oob_score=true;random_state=0", (int)ns[i]);
        cml_model_free(last);
        last = NULL;
        if ((st = cr_model("random_forest_classifier", prm, 0, &last)) ||
            (st = cr_fit_score(last, &s, &test_acc)))
            goto done;
        oob_acc = cml_forest_oob_score(cml_model_state(last));
        oob_err[i] = 1 - oob_acc;
        oob_err[nn + i] = 1 - test_acc;
        cr_progress(r, 0.9 * (i + 1) / nn, "forest of %d trees", (int)ns[i]);
    }
    if ((st = cr_metric(r, "accuracy", "test accuracy", test_acc)) ||
        (st = cr_metric(r, "oob_accuracy", "out-of-bag accuracy", oob_acc)) ||
        (st = cr_metric(r, "n_trees", "trees in the final forest", ns[nn - 1])))
        goto done;
    if ((st = cr_note(r,
                      "With %d trees the out-of-bag error is %.3f and the test error %.3f; "
                      "with %d trees the OOB error was %.3f.",
                      (int)ns[nn - 1], oob_err[nn - 1], oob_err[2 * nn - 1], (int)ns[0],
                      oob_err[0])))
        goto done;
    if ((st =
             report_importances(r, d.X, cml_forest_feature_importances(cml_model_state(last)), 10)))
        goto done;
    static const char *const sn[] = {"out-of-bag error", "test error"};
    if ((st = cml_plot_lines(cr_path(r, "oob_error.png"), ns, oob_err, 2, nn, sn,
                             "Random forest on breast cancer: error vs number of trees",
                             "number of trees", "error rate")) ||
        (st = cr_plot(r, "oob_error.png", "OOB and test error vs number of trees")))
        goto done;
done:
    cml_model_free(last);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

const course_experiment course_exp_logistic_regression = {"logistic-regression", "breast_cancer",
                                                          exp_logistic_regression};
const course_experiment course_exp_svm = {"svm", "breast_cancer", exp_svm};
const course_experiment course_exp_knn = {"knn", "iris", exp_knn};
const course_experiment course_exp_decision_tree = {"decision-tree", "iris", exp_decision_tree};
const course_experiment course_exp_random_forest = {"random-forest", "breast_cancer",
                                                    exp_random_forest};
