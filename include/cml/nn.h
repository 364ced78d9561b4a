/*
 * cml/nn.h — neural-network classifiers on cml's deep-learning engine:
 * `mlp_classifier` (fully connected) and `cnn_classifier` (convolutional:
 * LeNet-5, ResNet-8 or a text spec). Both train with minibatch SGD / Adam /
 * AdamW on cross-entropy, on f32 tensors, and are ordinary estimators for
 * the generic cml_model layer (`cml fit --algo mlp_classifier`).
 *
 * Thread-safety: predict/predict_proba may run from many threads on one
 * fitted model (each call builds its own graph).
 */
#ifndef CML_NET_H
#define CML_NET_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cml_net_optimizer { CML_NET_SGD = 0, CML_NET_ADAM, CML_NET_ADAMW } cml_net_optimizer;

/* Parameters of both classifiers; `cml algos mlp_classifier` / `cnn_classifier`
 * lists the ones each takes, with their defaults and ranges. */
typedef struct cml_net_params {
    /* architecture */
    char hidden_layer_sizes[CML_PARAM_STRLEN]; /* MLP: "256,128" */
    int activation;                            /* MLP: relu|tanh|logistic|gelu */
    int batch_norm;                            /* MLP: BN after each hidden layer */
    double dropout;                     /* after each hidden layer (CNN: before the classifier) */
    int arch;                           /* CNN: lenet5|resnet8|custom */
    char spec[CML_PARAM_STRLEN];        /* CNN custom stack, see docs/nn.md */
    char input_shape[CML_PARAM_STRLEN]; /* CNN: "C,H,W" or "" = square, 1 channel */
    int init;                           /* default|kaiming|xavier */
    /* optimization */
    int optimizer;
    double learning_rate, momentum, weight_decay, beta_1, beta_2, epsilon;
    int nesterov;
    int epochs, batch_size;
    int lr_schedule; /* constant|step|cosine */
    int lr_step_size;
    double lr_gamma;
    int warmup_epochs;
    double max_grad_norm; /* 0: no clipping */
    double label_smoothing;
    char class_weight[CML_PARAM_STRLEN]; /* "" | "balanced" | "w1,...,wC" */
    int early_stopping;
    double validation_fraction;
    int n_iter_no_change;
    int normalize;                     /* feature|global|none */
    char checkpoint[CML_PARAM_STRLEN]; /* write a resumable checkpoint each epoch */
    char resume[CML_PARAM_STRLEN];     /* continue from this checkpoint */
    int random_state;
} cml_net_params;

typedef struct cml_net cml_net;

cml_net_params cml_mlp_classifier_params_default(void);
cml_net_params cml_cnn_classifier_params_default(void);
/* NULL or a message naming the parameter. cnn: 1 for cnn_classifier. */
const char *cml_net_params_check(const cml_net_params *p, int cnn);

/* Fits on X (rows, features) with labels y (any doubles; classes are the
 * sorted distinct values). X_valid/y_valid (may be NULL) are scored each
 * epoch; early stopping uses them, or a validation_fraction split of X.
 * A non-finite loss stops with CML_ERR_CONVERGENCE naming the epoch and step. */
cml_status cml_net_fit(const cml_net_params *p, int cnn, const cml_matrix *X, const double *y,
                       const cml_matrix *X_valid, const double *y_valid, cml_net **out);
cml_status cml_net_predict(const cml_net *m, const cml_matrix *X, double *out);
/* out: (rows, n_classes) softmax probabilities in class order. */
cml_status cml_net_predict_proba(const cml_net *m, const cml_matrix *X, double *out);
int64_t cml_net_n_classes(const cml_net *m);
int64_t cml_net_n_parameters(const cml_net *m);
/* Epochs actually run, and the per-epoch mean training loss (n_epochs). */
int cml_net_n_epochs(const cml_net *m);
const double *cml_net_loss_curve(const cml_net *m);
/* Weights (parameters and batch-norm running stats) as safetensors, named
 * fc0.weight, conv0.bias, bn0.running_mean... with PyTorch's shapes. Import
 * replaces the weights of a fitted network of the same architecture
 * (CML_ERR_FORMAT naming the tensor otherwise; the model is unchanged). */
cml_status cml_net_export_safetensors(const cml_net *m, const char *path);
cml_status cml_net_import_safetensors(cml_net *m, const char *path);
void cml_net_free(cml_net *m);

#ifdef __cplusplus
}
#endif
#endif /* CML_NET_H */
