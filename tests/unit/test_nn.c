/*
 * test_nn.c — mlp_classifier and cnn_classifier through the typed and the
 * generic API: they learn (digits), are deterministic for a seed, save/load
 * to GGUF with bit-identical probabilities, stop early, and reject bad
 * parameters, bad specs and a diverging loss with messages that say where.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/model.h"
#include "cml/nn.h"
#include "golden.h"

static double *X, *y;
static int64_t n, d;

static double accuracy(const double *pred, const double *truth, int64_t k)
{
    int64_t ok = 0;
    for (int64_t i = 0; i < k; i++)
        ok += pred[i] == truth[i];
    return (double)ok / (double)k;
}

static cml_model *fit(const char *algo, const char *const *kv, int nkv)
{
    cml_model *m;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    for (int i = 0; i < nkv; i += 2)
        assert_int_equal(cml_model_set_param(m, kv[i], kv[i + 1]), CML_OK);
    cml_matrix A = cml_matrix_view(X, n, d);
    cml_status st = cml_model_fit(m, &A, y, NULL);
    if (st != CML_OK) fail_msg("fit %s: %s", algo, cml_last_error());
    return m;
}

static void test_mlp_learns_and_roundtrips(void **state)
{
    (void)state;
    const char *kv[] = {"hidden_layer_sizes", "64", "epochs",        "15",
                        "random_state",       "3",  "learning_rate", "0.005"};
    cml_model *m = fit("mlp_classifier", kv, 8);
    cml_matrix A = cml_matrix_view(X, n, d);
    double *p = malloc((size_t)n * sizeof *p), *pr = malloc((size_t)(n * 10) * sizeof *pr);
    double *pr2 = malloc((size_t)(n * 10) * sizeof *pr2);
    assert_int_equal(cml_model_predict(m, &A, p), CML_OK);
    double acc = accuracy(p, y, n);
    print_message("mlp digits train accuracy %.4f\n", acc);
    assert_true(acc > 0.97);
    /* the training loss goes down */
    const cml_net *net = cml_model_state(m);
    assert_int_equal(cml_net_n_epochs(net), 15);
    assert_true(cml_net_loss_curve(net)[14] < 0.5 * cml_net_loss_curve(net)[0]);
    /* save -> load -> identical probabilities */
    assert_int_equal(cml_model_predict_proba(m, &A, pr), CML_OK);
    char path[] = "/tmp/cml_test_nn_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    cml_model *m2;
    assert_int_equal(cml_model_load(path, &m2, NULL), CML_OK);
    assert_int_equal(cml_model_predict_proba(m2, &A, pr2), CML_OK);
    assert_memory_equal(pr, pr2, (size_t)(n * 10) * sizeof *pr);
    char *desc = cml_model_describe(m2);
    assert_non_null(strstr(desc, "fc0.weight"));
    free(desc);
    /* same seed, same model */
    cml_model *m3 = fit("mlp_classifier", kv, 8);
    assert_int_equal(cml_model_predict_proba(m3, &A, pr2), CML_OK);
    assert_memory_equal(pr, pr2, (size_t)(n * 10) * sizeof *pr);
    unlink(path);
    cml_model_free(m);
    cml_model_free(m2);
    cml_model_free(m3);
    free(p);
    free(pr);
    free(pr2);
}

static void test_mlp_options(void **state)
{
    (void)state;
    /* every optimizer / schedule / regularizer path trains */
    const char *kv[] = {"hidden_layer_sizes",
                        "24,16",
                        "batch_norm",
                        "true",
                        "dropout",
                        "0.1",
                        "activation",
                        "gelu",
                        "optimizer",
                        "sgd",
                        "learning_rate",
                        "0.05",
                        "nesterov",
                        "true",
                        "lr_schedule",
                        "cosine",
                        "warmup_epochs",
                        "1",
                        "max_grad_norm",
                        "5",
                        "label_smoothing",
                        "0.1",
                        "class_weight",
                        "balanced",
                        "epochs",
                        "8",
                        "init",
                        "kaiming"};
    cml_model *m = fit("mlp_classifier", kv, 28);
    cml_matrix A = cml_matrix_view(X, n, d);
    double *p = malloc((size_t)n * sizeof *p);
    assert_int_equal(cml_model_predict(m, &A, p), CML_OK);
    assert_true(accuracy(p, y, n) > 0.9);
    cml_model_free(m);
    /* early stopping on a held-out split stops before the epoch budget */
    const char *es[] = {"hidden_layer_sizes",
                        "16",
                        "optimizer",
                        "adamw",
                        "learning_rate",
                        "0.05",
                        "early_stopping",
                        "true",
                        "n_iter_no_change",
                        "2",
                        "epochs",
                        "300",
                        "init",
                        "xavier"};
    m = fit("mlp_classifier", es, 14);
    int ep = cml_net_n_epochs(cml_model_state(m));
    print_message("early stopping after %d epochs\n", ep);
    assert_true(ep < 300);
    assert_int_equal(cml_model_predict(m, &A, p), CML_OK);
    assert_true(accuracy(p, y, n) > 0.9);
    cml_model_free(m);
    free(p);
}

static void test_cnn_custom_spec(void **state)
{
    (void)state;
    const char *kv[] = {
        "arch",   "custom", "spec",          "conv:8:3:1:1,bn,relu,maxpool:2,res:8,gap",
        "epochs", "5",      "learning_rate", "0.01"};
    cml_model *m = fit("cnn_classifier", kv, 8);
    cml_matrix A = cml_matrix_view(X, n, d);
    double *p = malloc((size_t)n * sizeof *p);
    assert_int_equal(cml_model_predict(m, &A, p), CML_OK);
    double acc = accuracy(p, y, n);
    print_message("cnn digits train accuracy %.4f\n", acc);
    assert_true(acc > 0.8);
    free(p);
    cml_model_free(m);
}

static void expect_fit_error(const char *algo, const char *key, const char *value, cml_status want,
                             const char *needle)
{
    cml_model *m;
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    cml_status st = cml_model_set_param(m, key, value);
    if (st == CML_OK) {
        cml_model_set_param(m, "epochs", "1");
        cml_matrix A = cml_matrix_view(X, n, d);
        st = cml_model_fit(m, &A, y, NULL);
    }
    if (st != want || !strstr(cml_last_error(), needle))
        fail_msg("%s %s=%s: status %d, message '%s' (wanted '%s')", algo, key, value, st,
                 cml_last_error(), needle);
    cml_model_free(m);
}

static void test_errors(void **state)
{
    (void)state;
    expect_fit_error("mlp_classifier", "hidden_layer_sizes", "32,x", CML_ERR_ARG,
                     "hidden_layer_sizes");
    expect_fit_error("mlp_classifier", "optimizer", "rmsprop", CML_ERR_ARG, "sgd");
    expect_fit_error("mlp_classifier", "class_weight", "1,2", CML_ERR_ARG, "class_weight");
    expect_fit_error("cnn_classifier", "input_shape", "3,8,8", CML_ERR_ARG, "input_shape");
    /* LeNet-5 needs images bigger than 8x8: the item and the sizes are named */
    expect_fit_error("cnn_classifier", "arch", "lenet5", CML_ERR_ARG, "smaller than");
    cml_model *m;
    assert_int_equal(cml_model_create("cnn_classifier", &m), CML_OK);
    cml_model_set_param(m, "arch", "custom");
    cml_model_set_param(m, "spec", "fc:10,conv:4:3");
    cml_matrix A = cml_matrix_view(X, n, d);
    assert_int_equal(cml_model_fit(m, &A, y, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "spec item 2 'conv:4:3'"));
    cml_model_set_param(m, "spec", "conv:4:3,swish");
    assert_int_equal(cml_model_fit(m, &A, y, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "unknown layer 'swish'"));
    cml_model_free(m);
}

static void test_nan_loss_reported(void **state)
{
    (void)state;
    /* features so large that the logits overflow float: the loss is not finite at step 1 */
    double *big = malloc((size_t)(n * d) * sizeof *big);
    for (int64_t i = 0; i < n * d; i++)
        big[i] = X[i] * 1e38 + 1e38; /* beyond float: inf, then NaN */
    cml_net_params p = cml_mlp_classifier_params_default();
    p.normalize = 2;
    p.epochs = 2;
    cml_matrix A = cml_matrix_view(big, n, d);
    cml_net *m = NULL;
    assert_int_equal(cml_net_fit(&p, 0, &A, y, NULL, NULL, &m), CML_ERR_CONVERGENCE);
    assert_null(m);
    assert_non_null(strstr(cml_last_error(), "epoch 1, step 1"));
    free(big);
}

/* A run stopped after 2 epochs and resumed from its checkpoint ends exactly
 * where an uninterrupted 4-epoch run does (optimizer state, both RNGs, the
 * row order); a checkpoint of another architecture is refused. */
static void test_checkpoint_resume(void **state)
{
    (void)state;
    char path[] = "/tmp/cml_test_ckpt_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *full[] = {"hidden_layer_sizes", "16", "dropout", "0.2", "epochs", "4",
                          "random_state",       "5"};
    const char *first[] = {"hidden_layer_sizes", "16", "dropout",    "0.2", "epochs", "2",
                           "random_state",       "5",  "checkpoint", path};
    const char *rest[] = {"hidden_layer_sizes", "16", "dropout", "0.2", "epochs", "4",
                          "random_state",       "5",  "resume",  path};
    cml_model *a = fit("mlp_classifier", full, 8);
    cml_model *b1 = fit("mlp_classifier", first, 10);
    cml_model *b = fit("mlp_classifier", rest, 10);
    cml_matrix A = cml_matrix_view(X, n, d);
    double *pa = malloc((size_t)(n * 10) * sizeof *pa), *pb = malloc((size_t)(n * 10) * sizeof *pb);
    assert_int_equal(cml_model_predict_proba(a, &A, pa), CML_OK);
    assert_int_equal(cml_model_predict_proba(b, &A, pb), CML_OK);
    assert_memory_equal(pa, pb, (size_t)(n * 10) * sizeof *pa);
    assert_memory_equal(cml_net_loss_curve(cml_model_state(a)),
                        cml_net_loss_curve(cml_model_state(b)), 4 * sizeof(double));
    /* another architecture: a clear error */
    cml_model *c;
    assert_int_equal(cml_model_create("mlp_classifier", &c), CML_OK);
    cml_model_set_param(c, "hidden_layer_sizes", "32");
    cml_model_set_param(c, "resume", path);
    assert_int_equal(cml_model_fit(c, &A, y, NULL), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "another architecture"));
    unlink(path);
    cml_model_free(a);
    cml_model_free(b1);
    cml_model_free(b);
    cml_model_free(c);
    free(pa);
    free(pb);
}

/* Weights out as safetensors and back into another model of the same
 * architecture give the same predictions; other architectures and a
 * truncated file are refused. */
static void test_safetensors(void **state)
{
    (void)state;
    char path[] = "/tmp/cml_test_st_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *ka[] = {"hidden_layer_sizes", "16", "batch_norm", "true", "epochs", "3",
                        "random_state",       "1"};
    const char *kb[] = {"hidden_layer_sizes", "16", "batch_norm", "true", "epochs", "1",
                        "random_state",       "2"};
    const char *kc[] = {"hidden_layer_sizes", "8", "epochs", "1"};
    cml_model *a = fit("mlp_classifier", ka, 8), *b = fit("mlp_classifier", kb, 8);
    cml_model *c = fit("mlp_classifier", kc, 4);
    assert_int_equal(cml_net_export_safetensors(cml_model_state(a), path), CML_OK);
    assert_int_equal(cml_net_import_safetensors((cml_net *)cml_model_state(b), path), CML_OK);
    cml_matrix A = cml_matrix_view(X, n, d);
    double *pa = malloc((size_t)(n * 10) * sizeof *pa), *pb = malloc((size_t)(n * 10) * sizeof *pb);
    assert_int_equal(cml_model_predict_proba(a, &A, pa), CML_OK);
    assert_int_equal(cml_model_predict_proba(b, &A, pb), CML_OK);
    assert_memory_equal(pa, pb, (size_t)(n * 10) * sizeof *pa);
    assert_int_equal(cml_net_import_safetensors((cml_net *)cml_model_state(c), path),
                     CML_ERR_FORMAT);
    assert_non_null(strstr(cml_last_error(), "another architecture"));
    assert_int_equal(truncate(path, 100), 0);
    assert_int_equal(cml_net_import_safetensors((cml_net *)cml_model_state(b), path),
                     CML_ERR_FORMAT);
    unlink(path);
    cml_model_free(a);
    cml_model_free(b);
    cml_model_free(c);
    free(pa);
    free(pb);
}

typedef struct metric_count {
    int train, valid, acc;
    int64_t last_step;
} metric_count;

static void on_metric(void *user, const char *name, int64_t step, double value)
{
    metric_count *c = user;
    assert_true(isfinite(value));
    c->train += !strcmp(name, "train_loss");
    c->valid += !strcmp(name, "valid_loss");
    c->acc += !strcmp(name, "valid_accuracy");
    c->last_step = step;
}

/* Each epoch reports train_loss, valid_loss and valid_accuracy through the
 * metric hook, from the fitting thread. */
static void test_metric_hook(void **state)
{
    (void)state;
    metric_count c = {0, 0, 0, 0};
    cml_metric_hook_set(on_metric, &c);
    cml_net_params p = cml_mlp_classifier_params_default();
    p.epochs = 3;
    cml_matrix A = cml_matrix_view(X, n, d);
    cml_net *m;
    assert_int_equal(cml_net_fit(&p, 0, &A, y, &A, y, &m), CML_OK);
    cml_metric_hook_set(NULL, NULL);
    assert_int_equal(c.train, 3);
    assert_int_equal(c.valid, 3);
    assert_int_equal(c.acc, 3);
    assert_int_equal(c.last_step, 3);
    cml_net_free(m);
}

int main(void)
{
    test_load_dataset("digits", &X, &n, &d, &y);
    cml_set_num_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp_learns_and_roundtrips),
        cmocka_unit_test(test_mlp_options),
        cmocka_unit_test(test_cnn_custom_spec),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nan_loss_reported),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_safetensors),
        cmocka_unit_test(test_metric_hook),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    free(X);
    free(y);
    return r;
}
