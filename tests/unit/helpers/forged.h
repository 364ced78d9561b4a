/*
 * forged.h — test helpers for corrupt / forged model files: start a GGUF
 * writer holding the generic header of a model of some kind (cml.kind,
 * schema 1, no pipeline steps), let the test add the estimator's keys and
 * tensors with the public writer API, then load it through the generic
 * layer. Loaders must answer CML_ERR_FORMAT (or CML_ERR_NOMEM), never crash;
 * the sanitizer build proves the "never crash" part.
 */
#ifndef CML_TEST_FORGED_H
#define CML_TEST_FORGED_H

#include "cml/gguf.h"

/* A writer with cml.kind = kind, cml.schema_version = 1, cml.steps = 0. */
cml_gguf_writer *forged_begin(const char *kind);
/* Serializes w (and frees it), loads the bytes with cml_model_from_gguf and
 * returns that status; a model that loads is also applied to a 3-row input
 * (predict / predict_proba / decision_function / transform) and freed. */
cml_status forged_load(cml_gguf_writer *w);

#endif
