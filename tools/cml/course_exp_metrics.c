/*
 * course_exp_metrics.c — the evaluation-metrics lesson: a logistic
 * regression on the digits images (1,797 8x8 digits, 75/25 stratified
 * split, seed 42, standardized pixels) scored with cml's metrics:
 * accuracy, balanced accuracy, macro F1, top-3 accuracy, log loss,
 * one-vs-rest ROC AUC; precision / recall / F1 per digit; the largest
 * confusions; and the ROC curve of the digit with the lowest F1.
 */
#include <stdlib.h>
#include <string.h>

#include "course_exp.h"

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

static cml_status exp_evaluation_metrics(course_run *r)
{
    enum { K = 10 };
    cr_data d;
    cr_split s = {0};
    cml_model *m = NULL;
    double *pred = NULL, *proba = NULL, *yb = NULL, *pb = NULL, *sc = NULL, *cm = NULL,
           *labels = NULL, *fpr = NULL, *tpr = NULL, *thr = NULL, *ys = NULL;
    int64_t nl = 0, np = 0;
    cml_status st = cr_load(r, "digits", NULL, &d);
    if (st != CML_OK) return st;
    if ((st = cr_split_make(&d, 0.25, 1, 42, &s))) goto done;
    cr_progress(r, 0.1, "fitting logistic regression on %lld digits", (long long)s.ntr);
    if ((st = cr_model("logistic_regression", "max_iter=500", 1, &m)) ||
        (st = cr_fit_predict(m, &s, &pred)))
        goto done;
    int64_t nc = cml_model_n_classes(m);
    const double *classes = cml_model_classes(m);
    proba = malloc(sizeof *proba * (size_t)(s.nte * nc));
    yb = malloc(sizeof *yb * (size_t)s.nte);
    pb = malloc(sizeof *pb * (size_t)s.nte);
    sc = malloc(sizeof *sc * (size_t)s.nte);
    if (!proba || !yb || !pb || !sc) {
        st = oom();
        goto done;
    }
    cml_matrix B = cr_test(&s);
    if ((st = cml_model_predict_proba(m, &B, proba))) goto done;
    double acc, bacc, f1m, top3, ll, auc;
    if ((st = cml_accuracy(s.yte, pred, s.nte, NULL, &acc)) ||
        (st = cml_balanced_accuracy(s.yte, pred, s.nte, NULL, &bacc)) ||
        (st = cml_precision_recall_f1(s.yte, pred, s.nte, NULL, CML_AVERAGE_MACRO, 1, NULL, NULL,
                                      &f1m)) ||
        (st = cml_top_k_accuracy(s.yte, proba, s.nte, classes, nc, 3, NULL, &top3)) ||
        (st = cml_log_loss(s.yte, proba, s.nte, classes, nc, NULL, &ll)) ||
        (st = cml_roc_auc_ovr(s.yte, proba, s.nte, classes, nc, NULL, CML_AVERAGE_MACRO, &auc)))
        goto done;
    if ((st = cr_metric(r, "accuracy", "accuracy (test set)", acc)) ||
        (st = cr_metric(r, "balanced_accuracy", "balanced accuracy", bacc)) ||
        (st = cr_metric(r, "f1_macro", "macro F1", f1m)) ||
        (st = cr_metric(r, "top_3_accuracy", "top-3 accuracy", top3)) ||
        (st = cr_metric(r, "log_loss", "log loss", ll)) ||
        (st = cr_metric(r, "roc_auc_ovr", "ROC AUC, one-vs-rest macro", auc)))
        goto done;

    /* per digit: one-vs-rest binary precision / recall / F1 */
    static const char *const cols[] = {"digit", "precision", "recall", "F1", "support"};
    if ((st = cr_table(r, 5, cols))) goto done;
    int worst = 0;
    double worst_f1 = 2;
    for (int64_t c = 0; c < nc; c++) {
        double p, rc, f, sup = 0;
        for (int64_t i = 0; i < s.nte; i++) {
            yb[i] = s.yte[i] == classes[c];
            pb[i] = pred[i] == classes[c];
            sup += yb[i];
        }
        if ((st = cml_precision_recall_f1(yb, pb, s.nte, NULL, CML_AVERAGE_BINARY, 1, &p, &rc, &f)))
            goto done;
        if (f < worst_f1) worst_f1 = f, worst = (int)c;
        if ((st = cr_row(r, "%g\t%.3f\t%.3f\t%.3f\t%.0f", classes[c], p, rc, f, sup))) goto done;
    }

    /* the largest confusions */
    if ((st = cml_confusion_matrix(s.yte, pred, s.nte, NULL, &labels, &nl, &cm))) goto done;
    for (int rank = 0; rank < 3; rank++) {
        int64_t bi = -1, bj = -1;
        for (int64_t i = 0; i < nl; i++)
            for (int64_t j = 0; j < nl; j++)
                if (i != j && cm[i * nl + j] > 0 && (bi < 0 || cm[i * nl + j] > cm[bi * nl + bj]))
                    bi = i, bj = j;
        if (bi < 0) break;
        if ((st = cr_note(r, "A true %g was predicted as %g %.0f time(s).", labels[bi], labels[bj],
                          cm[bi * nl + bj])))
            goto done;
        cm[bi * nl + bj] = 0; /* next largest */
    }
    if ((st = cr_note(r,
                      "Accuracy %.3f, macro F1 %.3f, top-3 accuracy %.3f: the right digit is "
                      "among the three most probable for all but %.0f of %lld test images.",
                      acc, f1m, top3, (1 - top3) * (double)s.nte, (long long)s.nte)))
        goto done;

    /* ROC of the hardest digit, one vs rest */
    for (int64_t i = 0; i < s.nte; i++) {
        yb[i] = s.yte[i] == classes[worst];
        sc[i] = proba[i * nc + worst];
    }
    double auc_w;
    if ((st = cml_roc_curve(yb, sc, s.nte, NULL, 1, &fpr, &tpr, &thr, &np)) ||
        (st = cml_roc_auc(yb, sc, s.nte, NULL, &auc_w)))
        goto done;
    if (!(ys = malloc(sizeof *ys * (size_t)(2 * np)))) {
        st = oom();
        goto done;
    }
    memcpy(ys, tpr, sizeof *ys * (size_t)np);
    memcpy(ys + np, fpr, sizeof *ys * (size_t)np);
    if ((st = cr_note(r,
                      "The digit with the lowest F1 is %g (F1 %.3f); its one-vs-rest ROC AUC "
                      "is %.4f.",
                      classes[worst], worst_f1, auc_w)))
        goto done;
    char title[128];
    snprintf(title, sizeof title, "One-vs-rest ROC for digit %g, the hardest (AUC %.4f)",
             classes[worst], auc_w);
    static const char *const rn[] = {"logistic regression", "chance"};
    if ((st = cml_plot_lines(cr_path(r, "roc_hardest.png"), fpr, ys, 2, np, rn, title,
                             "false-positive rate", "true-positive rate")) ||
        (st = cr_plot(r, "roc_hardest.png", "One-vs-rest ROC curve of the hardest digit")))
        goto done;
done:
    cml_model_free(m);
    free(pred);
    free(proba);
    free(yb);
    free(pb);
    free(sc);
    free(cm);
    free(labels);
    free(fpr);
    free(tpr);
    free(thr);
    free(ys);
    cr_split_free(&s);
    cr_data_free(&d);
    return st;
}

const course_experiment course_exp_evaluation_metrics = {"evaluation-metrics", "digits",
                                                         exp_evaluation_metrics};
