/*
 * course_exp_nn.c — the neural-network lessons on Fashion-MNIST (28 x 28
 * grey images of ten kinds of clothing, pixels in [0, 1]):
 *
 *  mlp: a fully connected network (mlp_classifier, Adam) on the flattened
 *    pixels;
 *  cnn: LeNet-5 (cnn_classifier) on the same images, next to the same MLP
 *    trained on the same images (curves, accuracy, parameter count, and
 *    which test images one gets right and the other wrong).
 *
 * Both train through the generic cml_model layer with the test images as
 * the evaluation set, so the per-epoch train_loss / valid_loss /
 * valid_accuracy the library reports through its metric hook
 * (cml_metric_hook_set) give the loss curves; then test accuracy and
 * macro F1 with cml's metrics, the confusion matrix as a heatmap, the most
 * confused pair of classes, and a grid of misclassified images.
 *
 * Quick mode trains on 600 images for two or three epochs (a couple of
 * seconds); the full run on 20,000 training images, scored on the
 * 10,000 test images.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "course_exp.h"

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

/* Per-epoch curves collected from the metric hook (epochs are 1-based). */
enum { MAX_EPOCHS = 64 };
typedef struct curves {
    double train_loss[MAX_EPOCHS], valid_loss[MAX_EPOCHS], valid_acc[MAX_EPOCHS];
    int n; /* highest epoch seen */
    course_run *r;
    int epochs;    /* planned, for progress */
    double f0, f1; /* progress range */
} curves;

static void on_metric(void *user, const char *name, int64_t step, double value)
{
    curves *c = user;
    if (step < 1 || step > MAX_EPOCHS) return;
    double *dst = !strcmp(name, "train_loss")       ? c->train_loss
                  : !strcmp(name, "valid_loss")     ? c->valid_loss
                  : !strcmp(name, "valid_accuracy") ? c->valid_acc
                                                    : NULL;
    if (!dst) return;
    dst[step - 1] = value;
    if (step > c->n) c->n = (int)step;
    if (dst == c->valid_acc)
        cr_progress(c->r, c->f0 + (c->f1 - c->f0) * (double)step / c->epochs,
                    "epoch %lld of %d: held-out accuracy %.3f", (long long)step, c->epochs, value);
}

typedef struct net_setup {
    const char *algo;   /* mlp_classifier | cnn_classifier */
    const char *params; /* without epochs */
    const char *what;   /* "the MLP" */
    const char *short_name;
    int epochs;
} net_setup;

/* The images both lessons use. */
typedef struct fashion {
    double *Xtr, *ytr, *Xte, *yte;
    int64_t ntr, nte, p;
} fashion;

typedef struct net_result {
    curves c;
    double acc, f1, fit_s;
    int64_t n_params;
    double *pred; /* (nte) */
} net_result;

static cml_status train_net(course_run *r, const net_setup *ns, const fashion *d, double f0,
                            double f1, net_result *res)
{
    cml_model *m = NULL;
    char prm[512];
    snprintf(prm, sizeof prm, "%s;epochs=%d;random_state=0", ns->params, ns->epochs);
    memset(res, 0, sizeof *res);
    res->c.r = r;
    res->c.epochs = ns->epochs;
    res->c.f0 = f0;
    res->c.f1 = f1;
    cml_status st = cr_model(ns->algo, prm, 0, &m);
    if (st) return st;
    cml_matrix A = cml_matrix_view(d->Xtr, d->ntr, d->p), B = cml_matrix_view(d->Xte, d->nte, d->p);
    cml_fit_opts opts = {NULL, &B, d->yte};
    cr_progress(r, f0, "training %s: %s", ns->what, prm);
    cml_metric_hook_set(on_metric, &res->c);
    double t0 = cml_now();
    st = cml_model_fit(m, &A, d->ytr, &opts);
    res->fit_s = cml_now() - t0;
    cml_metric_hook_set(NULL, NULL);
    if (st == CML_OK && !(res->pred = malloc(sizeof *res->pred * (size_t)d->nte))) st = oom();
    if (st == CML_OK) st = cml_model_predict(m, &B, res->pred);
    if (st == CML_OK) st = cml_accuracy(d->yte, res->pred, d->nte, NULL, &res->acc);
    if (st == CML_OK)
        st = cml_precision_recall_f1(d->yte, res->pred, d->nte, NULL, CML_AVERAGE_MACRO, 1, NULL,
                                     NULL, &res->f1);
    if (st == CML_OK) res->n_params = cml_net_n_parameters(cml_model_state(m));
    cml_model_free(m);
    return st;
}

/* Metrics, the per-epoch table, loss curves (with ref's for comparison),
 * confusion heatmap, most frequent mistake, misclassified images. */
static cml_status report_net(course_run *r, const net_setup *ns, const fashion *d,
                             const net_result *res, const net_setup *ref_ns, const net_result *ref)
{
    enum { SIDE = 28, N_SHOW = 20 };
    const curves *c = &res->c;
    double *xs = NULL, *ys = NULL, *labels = NULL, *cm = NULL, *pix = NULL;
    char(*caps)[64] = NULL;
    const char **capp = NULL;
    int64_t nl = 0;
    cml_status st;
    if ((st = cr_metric(r, "accuracy", "test accuracy", res->acc)) ||
        (st = cr_metric(r, "f1_macro", "macro F1 (ten classes)", res->f1)) ||
        (st = cr_metric(r, "parameters", "trainable parameters", (double)res->n_params)) ||
        (st = cr_metric(r, "epochs", "epochs trained", c->n)) ||
        (st = cr_metric(r, "final_train_loss", "training loss, last epoch",
                        c->n ? c->train_loss[c->n - 1] : 0)) ||
        (st = cr_metric(r, "fit_seconds", "training time, seconds", res->fit_s)))
        return st;
    if (ref) {
        char l1[96], l2[96];
        snprintf(l1, sizeof l1, "%s: test accuracy", ref_ns->short_name);
        snprintf(l2, sizeof l2, "%s: trainable parameters", ref_ns->short_name);
        if ((st = cr_metric(r, "ref_accuracy", l1, ref->acc)) ||
            (st = cr_metric(r, "ref_parameters", l2, (double)ref->n_params)))
            return st;
    }

    /* the curves */
    static const char *const cols[] = {"epoch", "train loss", "held-out loss", "held-out accuracy"};
    if ((st = cr_table(r, 4, cols))) return st;
    int ne = c->n, nr = ref ? ref->c.n : 0, nx = ne > nr ? ne : nr;
    xs = malloc(sizeof *xs * (size_t)(nx ? nx : 1));
    ys = calloc((size_t)(4 * (nx ? nx : 1)), sizeof *ys);
    if (!xs || !ys) {
        st = oom();
        goto done;
    }
    for (int e = 0; e < ne; e++)
        if ((st = cr_row(r, "%d\t%.4f\t%.4f\t%.4f", e + 1, c->train_loss[e], c->valid_loss[e],
                         c->valid_acc[e])))
            goto done;
    /* series padded with NaN (no point) where one network ran fewer epochs */
    for (int e = 0; e < nx; e++) {
        xs[e] = e + 1;
        ys[e] = e < ne ? c->train_loss[e] : NAN;
        ys[nx + e] = e < ne ? c->valid_loss[e] : NAN;
        ys[2 * nx + e] = e < nr ? ref->c.train_loss[e] : NAN;
        ys[3 * nx + e] = e < nr ? ref->c.valid_loss[e] : NAN;
    }
    if (nx >= 1) {
        char n0[64], n1[64], n2[64], n3[64], title[128];
        snprintf(n0, sizeof n0, "%s training", ns->short_name);
        snprintf(n1, sizeof n1, "%s held-out", ns->short_name);
        snprintf(n2, sizeof n2, "%s training", ref ? ref_ns->short_name : "");
        snprintf(n3, sizeof n3, "%s held-out", ref ? ref_ns->short_name : "");
        const char *ln[4] = {n0, n1, n2, n3};
        snprintf(title, sizeof title, "%s on Fashion-MNIST: cross-entropy per epoch",
                 ref ? "CNN vs MLP" : ns->short_name);
        if ((st = cml_plot_lines(cr_path(r, "loss_curves.png"), xs, ys, ref ? 4 : 2, nx, ln, title,
                                 "epoch", "cross-entropy")) ||
            (st = cr_plot(r, "loss_curves.png",
                          ref ? "Training and held-out loss per epoch, CNN and MLP"
                              : "Training and held-out loss per epoch")))
            goto done;
    }
    if (ne >= 1 &&
        (st = cr_note(r,
                      "Training loss went from %.3f after epoch 1 to %.3f after epoch %d; the "
                      "held-out loss from %.3f to %.3f.",
                      c->train_loss[0], c->train_loss[ne - 1], ne, c->valid_loss[0],
                      c->valid_loss[ne - 1])))
        goto done;

    /* the confusion matrix and its largest off-diagonal cell */
    if ((st = cr_confusion_plot(r, "confusion.png", d->yte, res->pred, d->nte, cr_fashion_names,
                                "Fashion-MNIST: true vs predicted class (test set)",
                                "Confusion matrix (test set)")) ||
        (st = cml_confusion_matrix(d->yte, res->pred, d->nte, NULL, &labels, &nl, &cm)))
        goto done;
    int64_t bi = -1, bj = -1;
    for (int64_t i = 0; i < nl; i++)
        for (int64_t j = 0; j < nl; j++)
            if (i != j && cm[i * nl + j] > 0 && (bi < 0 || cm[i * nl + j] > cm[bi * nl + bj]))
                bi = i, bj = j;
    if (bi >= 0 && labels[bi] >= 0 && labels[bi] < 10 && labels[bj] >= 0 && labels[bj] < 10 &&
        (st = cr_note(r, "The most frequent mistake: %s taken for %s, %.0f of %lld test images.",
                      cr_fashion_names[(int)labels[bi]], cr_fashion_names[(int)labels[bj]],
                      cm[bi * nl + bj], (long long)d->nte)))
        goto done;
    if ((st = cr_note(r, "%s has %lld trainable parameters and took %.2f s for %d epochs.",
                      ns->what, (long long)res->n_params, res->fit_s, ne)))
        goto done;
    if (ref) {
        int64_t fixed = 0, broke = 0;
        for (int64_t i = 0; i < d->nte; i++) {
            int ok = res->pred[i] == d->yte[i], ok_ref = ref->pred[i] == d->yte[i];
            fixed += ok && !ok_ref;
            broke += !ok && ok_ref;
        }
        if ((st = cr_note(r,
                          "On the same %lld test images the %s gets %lld right that the %s got "
                          "wrong, and %lld wrong that the %s got right.",
                          (long long)d->nte, ns->short_name, (long long)fixed, ref_ns->short_name,
                          (long long)broke, ref_ns->short_name)))
            goto done;
    }

    /* misclassified examples */
    int64_t n_wrong = 0;
    for (int64_t i = 0; i < d->nte; i++)
        n_wrong += res->pred[i] != d->yte[i];
    int64_t n_show = n_wrong < N_SHOW ? n_wrong : N_SHOW, p = d->p;
    if (n_show > 0) {
        pix = malloc(sizeof *pix * (size_t)(n_show * p));
        caps = malloc(sizeof *caps * (size_t)n_show);
        capp = malloc(sizeof *capp * (size_t)n_show);
        if (!pix || !caps || !capp) {
            st = oom();
            goto done;
        }
        int64_t k = 0;
        for (int64_t i = 0; i < d->nte && k < n_show; i++) {
            if (res->pred[i] == d->yte[i]) continue;
            memcpy(pix + k * p, d->Xte + i * p, sizeof *pix * (size_t)p);
            int t = (int)d->yte[i], q = (int)res->pred[i];
            snprintf(caps[k], sizeof caps[k], "true %s\npred %s",
                     t >= 0 && t < 10 ? cr_fashion_names[t] : "?",
                     q >= 0 && q < 10 ? cr_fashion_names[q] : "?");
            capp[k] = caps[k];
            k++;
        }
        char title[128];
        snprintf(title, sizeof title, "The first %lld of %lld misclassified test images",
                 (long long)n_show, (long long)n_wrong);
        if ((st = cml_plot_images(cr_path(r, "misclassified.png"), pix, n_show, SIDE, SIDE, 5, capp,
                                  title)) ||
            (st = cr_plot(r, "misclassified.png", "Misclassified test images, true vs predicted")))
            goto done;
    }
done:
    free(xs);
    free(ys);
    free(labels);
    free(cm);
    free(pix);
    free(caps);
    free(capp);
    return st;
}

static cml_status load_fashion(course_run *r, int64_t ntr, int64_t nte, fashion *d)
{
    memset(d, 0, sizeof *d);
    d->ntr = ntr;
    d->nte = nte;
    cr_progress(r, 0.02, "reading %lld + %lld Fashion-MNIST images", (long long)ntr,
                (long long)nte);
    return cr_load_fashion(ntr, nte, &d->Xtr, &d->ytr, &d->Xte, &d->yte, &d->p);
}

static void fashion_free(fashion *d)
{
    free(d->Xtr);
    free(d->ytr);
    free(d->Xte);
    free(d->yte);
}

/* The MLP of both lessons. */
static const net_setup mlp_full = {"mlp_classifier",
                                   "hidden_layer_sizes=256,128;learning_rate=0.001",
                                   "The MLP (784-256-128-10)", "MLP", 10};
static const net_setup mlp_quick = {"mlp_classifier", "hidden_layer_sizes=64;learning_rate=0.002",
                                    "The MLP (784-64-10)", "MLP", 3};
static const net_setup cnn_full = {"cnn_classifier", "arch=lenet5;learning_rate=0.003", "LeNet-5",
                                   "CNN", 8};
static const net_setup cnn_quick = {
    "cnn_classifier", "arch=lenet5;learning_rate=0.002;batch_size=32", "LeNet-5", "CNN", 2};

#define FULL_TRAIN  20000
#define FULL_TEST   10000
#define QUICK_TRAIN 600
#define QUICK_TEST  200

static cml_status exp_mlp(course_run *r)
{
    fashion d;
    net_result res = {0};
    cml_status st =
        load_fashion(r, r->quick ? QUICK_TRAIN : FULL_TRAIN, r->quick ? QUICK_TEST : FULL_TEST, &d);
    const net_setup *ns = r->quick ? &mlp_quick : &mlp_full;
    if (st == CML_OK) st = train_net(r, ns, &d, 0.05, 0.9, &res);
    if (st == CML_OK) st = report_net(r, ns, &d, &res, NULL, NULL);
    free(res.pred);
    fashion_free(&d);
    return st;
}

static cml_status exp_cnn(course_run *r)
{
    fashion d;
    net_result res = {0}, ref = {0};
    cml_status st =
        load_fashion(r, r->quick ? QUICK_TRAIN : FULL_TRAIN, r->quick ? QUICK_TEST : FULL_TEST, &d);
    const net_setup *ns = r->quick ? &cnn_quick : &cnn_full;
    const net_setup *rs = r->quick ? &mlp_quick : &mlp_full;
    if (st == CML_OK) st = train_net(r, rs, &d, 0.05, 0.25, &ref);
    if (st == CML_OK) st = train_net(r, ns, &d, 0.25, 0.9, &res);
    if (st == CML_OK) st = report_net(r, ns, &d, &res, rs, &ref);
    free(res.pred);
    free(ref.pred);
    fashion_free(&d);
    return st;
}

const course_experiment course_exp_mlp = {"mlp", "fashion-mnist", exp_mlp};
const course_experiment course_exp_cnn = {"cnn", "fashion-mnist", exp_cnn};
