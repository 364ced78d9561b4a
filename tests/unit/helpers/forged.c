/*
 * forged.c — forged model files for loader tests (see forged.h).
 */
#include "forged.h"

#include <stdlib.h>

#include "cml/model.h"
#include "golden.h"

cml_gguf_writer *forged_begin(const char *kind)
{
    cml_gguf_writer *w = cml_gguf_writer_new();
    assert_non_null(w);
    assert_int_equal(cml_gguf_set_str(w, "cml.kind", kind), CML_OK);
    assert_int_equal(cml_gguf_set_u32(w, "cml.schema_version", 1), CML_OK);
    assert_int_equal(cml_gguf_set_i64(w, "cml.steps", 0), CML_OK);
    return w;
}

typedef cml_status (*apply_fn)(const cml_model *m, const cml_matrix *X, double *out);

static void apply(const cml_model *m, const cml_matrix *X, apply_fn fn, int64_t cols)
{
    if (cols < 1 || cols > 4096) return;
    double *out = malloc(sizeof(double) * (size_t)(X->rows * cols));
    assert_non_null(out);
    fn(m, X, out); /* any status: only memory safety is asserted */
    free(out);
}

cml_status forged_load(cml_gguf_writer *w)
{
    uint8_t *buf;
    size_t len;
    cml_gguf *g;
    cml_model *m = NULL;
    assert_int_equal(cml_gguf_write_mem(w, &buf, &len), CML_OK);
    cml_gguf_writer_free(w);
    assert_int_equal(cml_gguf_read_mem(buf, len, "forged.gguf", &g), CML_OK);
    free(buf);
    cml_status st = cml_model_from_gguf(g, &m);
    cml_gguf_free(g);
    if (st != CML_OK) return st;
    int64_t d = cml_model_n_features_in(m);
    if (d >= 1 && d <= 4096) {
        double *x = calloc((size_t)(3 * d), sizeof(double));
        assert_non_null(x);
        for (int64_t i = 0; i < 3 * d; i++)
            x[i] = (double)(i % 5) - 2.0;
        cml_matrix X = cml_matrix_view(x, 3, d);
        apply(m, &X, cml_model_predict, 1);
        apply(m, &X, cml_model_predict_proba, cml_model_n_classes(m));
        apply(m, &X, cml_model_decision_function, cml_model_n_decision_cols(m));
        apply(m, &X, cml_model_transform, cml_model_n_transform_cols(m));
        free(x);
    }
    cml_model_free(m);
    return st;
}
