/*
 * model.c — the generic, opaque cml_model over an estimator vtable: params,
 * fitted state, fit info, and an optional chain of preprocessing steps run
 * before the estimator (a pipeline). Everything the CLI, the server and the
 * courses do with a model goes through here.
 *
 * File layout (GGUF, see gguf.h): at the model's scope
 *   cml.kind, cml.schema_version, cml.version, cml.param.*, cml.fit.seconds,
 *   cml.fit.n_iter, cml.fit.converged, cml.steps (count),
 *   step.<i>.<the step's own keys>, then the estimator's own cml.fit.* keys
 *   and tensors.
 * Thread-safety: predict-side functions allocate their scratch per call.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cml/model.h"
#include "core/internal.h"
#include "core/strbuf.h"

struct cml_model {
    const cml_estimator *est;
    void *params; /* est->params_size bytes */
    void *state;  /* NULL until fitted */
    cml_fit_info info;
    double fit_seconds;
    cml_model **steps;
    int n_steps;
};

cml_status cml_model_create(const char *algo, cml_model **out)
{
    *out = NULL;
    const cml_estimator *est = cml_estimator_find(algo);
    if (!est) {
        int n;
        const cml_estimator *const *list = cml_estimator_list(&n);
        cml_sb sb;
        cml_sb_init(&sb);
        for (int i = 0; i < n; i++)
            cml_sb_printf(&sb, "%s%s", i ? ", " : "", list[i]->name);
        char *names = cml_sb_finish(&sb);
        cml_fail(CML_ERR_ARG, "unknown algorithm \"%s\"; known: %s. HINT: `cml algos` lists them",
                 algo, names ? names : "?");
        free(names);
        return CML_ERR_ARG;
    }
    cml_model *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    m->est = est;
    m->params = cml_calloc(1, est->params_size ? est->params_size : 1);
    m->info.objective = NAN;
    if (!m->params) {
        free(m);
        return CML_ERR_NOMEM;
    }
    cml_status st = cml_params_init(est->params, est->n_params, m->params);
    if (st != CML_OK) {
        cml_model_free(m);
        return st;
    }
    *out = m;
    return CML_OK;
}

void cml_model_free(cml_model *m)
{
    if (!m) return;
    if (m->state) m->est->free(m->state);
    for (int i = 0; i < m->n_steps; i++)
        cml_model_free(m->steps[i]);
    free(m->steps);
    free(m->params);
    free(m);
}

cml_status cml_model_set_param(cml_model *m, const char *key, const char *value)
{
    cml_status st = cml_params_set(m->est->params, m->est->n_params, m->params, key, value);
    if (st != CML_OK) return cml_fail_context(st, "%s", m->est->name);
    return CML_OK;
}

const cml_estimator *cml_model_estimator(const cml_model *m)
{
    return m->est;
}
const void *cml_model_params(const cml_model *m)
{
    return m->params;
}
const void *cml_model_state(const cml_model *m)
{
    return m->state;
}
int cml_model_is_fitted(const cml_model *m)
{
    return m->state != NULL;
}
const cml_fit_info *cml_model_fit_info(const cml_model *m)
{
    return &m->info;
}
double cml_model_fit_seconds(const cml_model *m)
{
    return m->fit_seconds;
}
int cml_model_n_steps(const cml_model *m)
{
    return m->n_steps;
}
const cml_model *cml_model_step(const cml_model *m, int i)
{
    return i >= 0 && i < m->n_steps ? m->steps[i] : NULL;
}

cml_status cml_model_add_step(cml_model *m, cml_model *step)
{
    if (!step->est->transform) {
        cml_status st = cml_fail(
            CML_ERR_ARG, "%s cannot be a preprocessing step: it has no transform", step->est->name);
        cml_model_free(step);
        return st;
    }
    cml_model **s = cml_realloc(m->steps, (size_t)(m->n_steps + 1) * sizeof *s);
    if (!s) {
        cml_model_free(step);
        return CML_ERR_NOMEM;
    }
    m->steps = s;
    m->steps[m->n_steps++] = step;
    return CML_OK;
}

static cml_status check_fitted(const cml_model *m)
{
    if (!m->state)
        return cml_fail(CML_ERR_NOT_FITTED, "%s is not fitted. HINT: call fit first", m->est->name);
    return CML_OK;
}

/* Runs the preprocessing chain on X. *Xout views either X itself (no steps)
 * or *owned (malloc'd; caller frees). */
static cml_status run_steps(const cml_model *m, const cml_matrix *X, cml_matrix *Xout,
                            double **owned)
{
    *owned = NULL;
    *Xout = *X;
    for (int i = 0; i < m->n_steps; i++) {
        const cml_model *s = m->steps[i];
        int64_t cols = cml_model_n_transform_cols(s);
        double *buf = cml_alloc_array(Xout->rows * cols, sizeof(double));
        if (!buf) goto fail;
        cml_status st = cml_model_transform(s, Xout, buf);
        if (st != CML_OK) {
            free(buf);
            free(*owned);
            *owned = NULL;
            return st;
        }
        free(*owned);
        *owned = buf;
        *Xout = cml_matrix_view(buf, X->rows, cols);
    }
    return CML_OK;
fail:
    free(*owned);
    *owned = NULL;
    return CML_ERR_NOMEM;
}

static cml_status check_input(const cml_model *m, const cml_matrix *X)
{
    CML_CHECK(cml_matrix_check(X, "X", m->est->allows_nan));
    int64_t want = m->est->n_features_in ? m->est->n_features_in(m->state) : X->cols;
    if (X->cols != want)
        return cml_fail(CML_ERR_ARG, "%s: X has %lld features, but the model was fitted with %lld",
                        m->est->name, (long long)X->cols, (long long)want);
    return CML_OK;
}

cml_status cml_model_fit(cml_model *m, const cml_matrix *X, const double *y,
                         const cml_fit_opts *opts)
{
    const char *msg = cml_params_check(m->est->params, m->est->n_params, m->params);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", m->est->name, msg);
    if (m->est->task != CML_TASK_TRANSFORM && m->est->task != CML_TASK_CLUSTER && !y)
        return cml_fail(CML_ERR_ARG, "%s needs a target y", m->est->name);
    if (y)
        for (int64_t i = 0; i < X->rows; i++)
            if (!isfinite(y[i]))
                return cml_fail(CML_ERR_ARG,
                                "target y row %lld is %s; the target must be finite. HINT: drop "
                                "rows with a missing target",
                                (long long)i + 1, isnan(y[i]) ? "NaN (missing)" : "infinite");

    double t0 = cml_now();
    cml_matrix Xcur = *X;
    double *owned = NULL;
    cml_status st = CML_OK;
    for (int i = 0; i < m->n_steps; i++) {
        cml_model *s = m->steps[i];
        CML_TRY(cml_model_fit(s, &Xcur, y, NULL));
        int64_t cols = cml_model_n_transform_cols(s);
        double *buf = cml_alloc_array(X->rows * cols, sizeof(double));
        if (!buf) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        st = cml_model_transform(s, &Xcur, buf);
        free(owned);
        owned = buf;
        if (st != CML_OK) goto fail;
        Xcur = cml_matrix_view(buf, X->rows, cols);
    }
    if (!m->est->validates_input) CML_TRY(cml_matrix_check(&Xcur, "X", m->est->allows_nan));

    void *state = NULL;
    cml_fit_info info = {0, 1, NAN};
    CML_TRY(m->est->fit(m->params, &Xcur, y, opts, &state, &info));
    if (m->state) m->est->free(m->state);
    m->state = state;
    m->info = info;
    m->fit_seconds = cml_now() - t0;
fail:
    free(owned);
    return st;
}

int cml_model_can_partial_fit(const cml_model *m)
{
    return m && m->est->partial_fit != NULL;
}

cml_status cml_model_partial_fit(cml_model *m, const cml_matrix *X, const double *y,
                                 const cml_fit_opts *opts)
{
    if (!m->est->partial_fit)
        return cml_fail(CML_ERR_UNSUPPORTED,
                        "%s has no partial_fit (incremental fit). HINT: refit on all the data; "
                        "the naive Bayes models support it",
                        m->est->name);
    if (!m->state) return cml_model_fit(m, X, y, opts);
    const char *msg = cml_params_check(m->est->params, m->est->n_params, m->params);
    if (msg) return cml_fail(CML_ERR_ARG, "%s: %s", m->est->name, msg);
    if (m->est->task != CML_TASK_TRANSFORM && m->est->task != CML_TASK_CLUSTER && !y)
        return cml_fail(CML_ERR_ARG, "%s needs a target y", m->est->name);
    if (y)
        for (int64_t i = 0; i < X->rows; i++)
            if (!isfinite(y[i]))
                return cml_fail(CML_ERR_ARG, "target y row %lld is %s; the target must be finite",
                                (long long)i + 1, isnan(y[i]) ? "NaN (missing)" : "infinite");
    double t0 = cml_now();
    cml_matrix Xs;
    double *owned;
    if (m->n_steps) CML_CHECK(cml_matrix_check(X, "X", m->steps[0]->est->allows_nan));
    CML_CHECK(run_steps(m, X, &Xs, &owned));
    cml_status st = check_input(m, &Xs);
    cml_fit_info info = m->info;
    if (st == CML_OK) st = m->est->partial_fit(m->params, m->state, &Xs, y, opts, &info);
    free(owned);
    if (st == CML_OK) {
        m->info = info;
        m->fit_seconds += cml_now() - t0;
    }
    return st;
}

/* Shared shape of the four predict-side calls: steps, checks, then fn. */
typedef cml_status (*apply_fn)(const void *state, const cml_matrix *X, double *out);

static cml_status apply(const cml_model *m, const cml_matrix *X, double *out, apply_fn fn,
                        const char *what)
{
    CML_CHECK(check_fitted(m));
    if (!fn) return cml_fail(CML_ERR_UNSUPPORTED, "%s has no %s", m->est->name, what);
    cml_matrix Xs;
    double *owned;
    if (m->n_steps) CML_CHECK(cml_matrix_check(X, "X", m->steps[0]->est->allows_nan));
    CML_CHECK(run_steps(m, X, &Xs, &owned));
    cml_status st = check_input(m, &Xs);
    if (st == CML_OK) st = fn(m->state, &Xs, out);
    free(owned);
    return st;
}

cml_status cml_model_predict(const cml_model *m, const cml_matrix *X, double *out)
{
    return apply(m, X, out, m->est->predict, "predict");
}

cml_status cml_model_predict_proba(const cml_model *m, const cml_matrix *X, double *out)
{
    return apply(m, X, out, m->est->predict_proba, "predict_proba (probabilities)");
}

cml_status cml_model_decision_function(const cml_model *m, const cml_matrix *X, double *out)
{
    return apply(m, X, out, m->est->decision_function, "decision_function");
}

cml_status cml_model_transform(const cml_model *m, const cml_matrix *X, double *out)
{
    return apply(m, X, out, m->est->transform, "transform");
}

int64_t cml_model_n_classes(const cml_model *m)
{
    const double *c;
    if (!m->state || !m->est->classes) return 0;
    return m->est->classes(m->state, &c);
}

int64_t cml_model_labels(const cml_model *m, const int64_t **labels)
{
    *labels = NULL;
    if (!m->state || !m->est->labels) return 0;
    return m->est->labels(m->state, labels);
}

const double *cml_model_classes(const cml_model *m)
{
    const double *c = NULL;
    if (m->state && m->est->classes) m->est->classes(m->state, &c);
    return c;
}

int64_t cml_model_n_features_in(const cml_model *m)
{
    if (m->n_steps) return cml_model_n_features_in(m->steps[0]);
    return m->state && m->est->n_features_in ? m->est->n_features_in(m->state) : 0;
}

int64_t cml_model_n_transform_cols(const cml_model *m)
{
    return m->state && m->est->n_transform_cols ? m->est->n_transform_cols(m->state) : 0;
}

int64_t cml_model_n_decision_cols(const cml_model *m)
{
    if (!m->state) return 0;
    if (m->est->n_decision_cols) return m->est->n_decision_cols(m->state);
    return 1;
}

/* ---------------------------------------------------------------- save/load */

static cml_status scoped(cml_gguf_writer *w, const char *base, const char *suffix)
{
    char scope[256];
    snprintf(scope, sizeof scope, "%s%s", base, suffix);
    return cml_gguf_writer_set_scope(w, scope);
}

cml_status cml_model_write(const cml_model *m, cml_gguf_writer *w)
{
    CML_CHECK(check_fitted(m));
    char base[256], sub[64];
    snprintf(base, sizeof base, "%s", cml_gguf_writer_scope(w));
    CML_CHECK(cml_gguf_set_str(w, "cml.kind", m->est->name));
    CML_CHECK(cml_gguf_set_u32(w, "cml.schema_version", (uint32_t)m->est->schema_version));
    CML_CHECK(cml_gguf_set_str(w, "cml.version", CML_VERSION_STRING));
    CML_CHECK(cml_params_save(m->est->params, m->est->n_params, m->params, w));
    CML_CHECK(cml_gguf_set_f64(w, "cml.fit.seconds", m->fit_seconds));
    CML_CHECK(cml_gguf_set_i64(w, "cml.fit.n_iter", m->info.n_iter));
    CML_CHECK(cml_gguf_set_bool(w, "cml.fit.converged", m->info.converged));
    CML_CHECK(cml_gguf_set_i64(w, "cml.steps", m->n_steps));
    for (int i = 0; i < m->n_steps; i++) {
        snprintf(sub, sizeof sub, "step.%d.", i);
        CML_CHECK(scoped(w, base, sub));
        cml_status st = cml_model_write(m->steps[i], w);
        CML_CHECK(cml_gguf_writer_set_scope(w, base));
        if (st != CML_OK) return st;
    }
    return m->est->save(m->state, m->params, w);
}

cml_status cml_model_save(const cml_model *m, const char *path, cml_model_save_hook hook,
                          void *user)
{
    CML_CHECK(check_fitted(m));
    cml_gguf_writer *w = cml_gguf_writer_new();
    if (!w) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    if (hook) CML_TRY(hook(w, user));
    CML_TRY(cml_gguf_writer_set_scope(w, ""));
    CML_TRY(cml_model_write(m, w));
    CML_TRY(cml_gguf_write_file(w, path));
fail:
    cml_gguf_writer_free(w);
    return st;
}

cml_status cml_model_from_gguf(const cml_gguf *g_const, cml_model **out)
{
    /* The scope is the reader's only mutable state (see gguf.h); nested
     * loads move it and restore it before returning. */
    cml_gguf *g = (cml_gguf *)g_const;
    const char *kind;
    int64_t ver, n_steps;
    cml_model *m = NULL;
    cml_status st;
    char base[192], sub[256];
    *out = NULL;
    snprintf(base, sizeof base, "%s", cml_gguf_scope(g));

    CML_CHECK(cml_gguf_get_str(g, "cml.kind", &kind));
    const cml_estimator *est = cml_estimator_find(kind);
    if (!est)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: model kind \"%s\" is unknown to this cml (%s). HINT: it may have been "
                        "written by a newer cml",
                        cml_gguf_name(g), kind, CML_VERSION_STRING);
    CML_CHECK(cml_gguf_get_i64(g, "cml.schema_version", &ver));
    if (ver > est->schema_version)
        return cml_fail(CML_ERR_VERSION,
                        "%s: %s schema version %lld is newer than this cml reads (%d). HINT: "
                        "upgrade cml",
                        cml_gguf_name(g), kind, (long long)ver, est->schema_version);
    if (ver < 1)
        return cml_fail(CML_ERR_FORMAT, "%s: bad schema version %lld", cml_gguf_name(g),
                        (long long)ver);

    CML_CHECK(cml_model_create(est->name, &m));
    CML_TRY(cml_params_load(est->params, est->n_params, m->params, g));
    if (cml_gguf_has(g, "cml.fit.seconds"))
        CML_TRY(cml_gguf_get_f64(g, "cml.fit.seconds", &m->fit_seconds));
    if (cml_gguf_has(g, "cml.fit.n_iter")) {
        int64_t it;
        CML_TRY(cml_gguf_get_i64(g, "cml.fit.n_iter", &it));
        m->info.n_iter = (int)it;
    }
    if (cml_gguf_has(g, "cml.fit.converged"))
        CML_TRY(cml_gguf_get_bool(g, "cml.fit.converged", &m->info.converged));
    CML_TRY(cml_gguf_get_i64(g, "cml.steps", &n_steps));
    if (n_steps < 0 || n_steps > 64) {
        st = cml_fail(CML_ERR_FORMAT, "%s: bad step count %lld", cml_gguf_name(g),
                      (long long)n_steps);
        goto fail;
    }
    for (int64_t i = 0; i < n_steps; i++) {
        cml_model *step;
        snprintf(sub, sizeof sub, "%.180sstep.%lld.", base, (long long)i);
        CML_TRY(cml_gguf_set_scope(g, sub));
        st = cml_model_from_gguf(g, &step);
        cml_gguf_set_scope(g, base);
        if (st != CML_OK) goto fail;
        CML_TRY(cml_model_add_step(m, step));
    }
    /* 64x the file + 64 MiB covers every estimator's rebuilt state (trees,
     * indexes, caches) with room to spare; see cml_alloc_limit_push */
    cml_alloc_limit_push(64 * cml_gguf_size(g) + ((size_t)64 << 20));
    st = est->load(g, m->params, (int)ver, &m->state);
    cml_alloc_limit_pop();
    if (st != CML_OK) goto fail;
    *out = m;
    return CML_OK;
fail:
    cml_gguf_set_scope(g, base);
    cml_model_free(m);
    return st;
}

cml_status cml_model_load(const char *path, cml_model **out, cml_gguf **gguf_out)
{
    cml_gguf *g;
    *out = NULL;
    if (gguf_out) *gguf_out = NULL;
    CML_CHECK(cml_gguf_read_file(path, &g));
    cml_status st = cml_model_from_gguf(g, out);
    if (st == CML_OK && gguf_out)
        *gguf_out = g;
    else
        cml_gguf_free(g);
    return st;
}

/* ---------------------------------------------------------------- describe */

static void describe_into(const cml_model *m, cml_sb *sb)
{
    char val[CML_PARAM_STRLEN + 8];
    cml_sb_puts(sb, "{\"kind\":");
    cml_sb_json_str(sb, m->est->name);
    cml_sb_printf(sb, ",\"schema_version\":%d,\"params\":{", m->est->schema_version);
    for (int i = 0; i < m->est->n_params; i++) {
        const cml_param_def *d = &m->est->params[i];
        cml_params_get(m->est->params, m->est->n_params, m->params, d->name, val, sizeof val);
        cml_sb_printf(sb, "%s", i ? "," : "");
        cml_sb_json_str(sb, d->name);
        cml_sb_puts(sb, ":");
        if (d->type == CML_PARAM_INT || d->type == CML_PARAM_DOUBLE || d->type == CML_PARAM_BOOL)
            cml_sb_puts(sb, val);
        else
            cml_sb_json_str(sb, val);
    }
    cml_sb_puts(sb, "}");
    if (m->state) {
        cml_sb_puts(sb, ",\"fit\":{\"seconds\":");
        cml_sb_json_num(sb, m->fit_seconds);
        cml_sb_printf(sb, ",\"n_iter\":%d,\"converged\":%s,\"n_features_in\":%lld", m->info.n_iter,
                      m->info.converged ? "true" : "false", (long long)cml_model_n_features_in(m));
        int64_t nc = cml_model_n_classes(m);
        if (nc > 0) {
            cml_sb_puts(sb, ",\"classes\":");
            cml_sb_json_arr(sb, cml_model_classes(m), nc);
        }
        cml_sb_puts(sb, "}");
        if (m->est->describe) {
            char *attrs = m->est->describe(m->state);
            if (attrs) {
                cml_sb_puts(sb, ",\"attributes\":");
                cml_sb_puts(sb, attrs);
                free(attrs);
            }
        }
    }
    if (m->n_steps) {
        cml_sb_puts(sb, ",\"steps\":[");
        for (int i = 0; i < m->n_steps; i++) {
            if (i) cml_sb_puts(sb, ",");
            describe_into(m->steps[i], sb);
        }
        cml_sb_puts(sb, "]");
    }
    cml_sb_puts(sb, "}");
}

char *cml_model_describe(const cml_model *m)
{
    cml_sb sb;
    cml_sb_init(&sb);
    describe_into(m, &sb);
    return cml_sb_finish(&sb);
}
