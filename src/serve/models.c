/*
 * models.c — what the server serves: a loaded model version (the fitted
 * model, its column schema, its description) and the slot that maps a name
 * to the version now current, for hot reload.
 *
 * Reload without dropping a request: a version is reference counted. A
 * request takes a reference under the slot's mutex (a pointer copy and an
 * increment: the mutex is never held across a prediction) and drops it when
 * done; a reload loads the new file completely outside any lock, swaps the
 * pointer under the mutex and drops the slot's reference to the old
 * version, which is freed by whichever thread lets go of it last. So an
 * in-flight request always finishes on the version it started with, and a
 * reload never waits for requests (the read-copy-update idea with a
 * reference count in place of grace periods).
 *
 * Thread-safety: a serve_model is immutable after load (cml_model_predict is
 * safe on a const model from many threads); refs is atomic.
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "serve/serve_internal.h"

#define FEATURES_KEY "cml.schema.features"
#define TARGET_KEY   "cml.schema.target"
/* Where `cml fit --text` puts the vectorizer (tools/cml/text_features.c). */
#define TEXT_COLUMN_KEY "cml.text.column"
#define TEXT_SCOPE      "text."

static const char *task_name(cml_task t)
{
    switch (t) {
    case CML_TASK_REGRESSION: return "regression";
    case CML_TASK_CLASSIFICATION: return "classification";
    case CML_TASK_TRANSFORM: return "transform";
    case CML_TASK_CLUSTER: return "cluster";
    }
    return "unknown";
}

static void free_model(serve_model *m)
{
    cml_model_free(m->model);
    cml_tfidf_free(m->tfidf);
    cml_count_free(m->count);
    cml_columns_free(m->features, m->n_features);
    if (m->target) cml_columns_free(m->target, 1);
    free(m->by_name);
    free(m->info_json);
    free(m);
}

void serve_model_release(serve_model *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) free_model(m);
}

static int by_name_cmp(const void *a, const void *b)
{
    return strcmp(((const serve_name_index *)a)->name, ((const serve_name_index *)b)->name);
}

int64_t serve_model_feature(const serve_model *m, const char *name)
{
    int64_t lo = 0, hi = m->n_features;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->by_name[mid].name, name);
        if (!c) return m->by_name[mid].index;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The vectorizer of a `cml fit --text` model (under the scope "text."), or
 * nothing for other models. */
static cml_status load_vectorizer(serve_model *m, cml_gguf *g, const char *path)
{
    if (!cml_gguf_has(g, TEXT_COLUMN_KEY)) return CML_OK;
    (void)path; /* the reader's errors name the file */
    CML_CHECK(cml_gguf_set_scope(g, TEXT_SCOPE));
    cml_status st = cml_vectorizer_load(g, &m->tfidf, &m->count);
    cml_gguf_set_scope(g, "");
    return st;
}

/* Features c0..c{n-1}, all numeric: a model saved through the C API. */
static cml_status default_features(int64_t n, cml_column **out)
{
    cml_column *c = cml_alloc_array(n ? n : 1, sizeof *c);
    if (!c) return CML_ERR_NOMEM;
    memset(c, 0, sizeof *c * (size_t)(n ? n : 1));
    for (int64_t j = 0; j < n; j++) {
        char name[32];
        snprintf(name, sizeof name, "c%lld", (long long)j);
        c[j].name = cml_strdup(name);
        if (!c[j].name) {
            cml_columns_free(c, j);
            return CML_ERR_NOMEM;
        }
    }
    *out = c;
    return CML_OK;
}

static cml_status load_schema(serve_model *m, const cml_gguf *g, const char *path)
{
    char key[128];
    int64_t nf = cml_model_n_features_in(m->model), n = 0;
    snprintf(key, sizeof key, "%s.names", FEATURES_KEY);
    int text = m->tfidf || m->count;
    if (text && !cml_gguf_has(g, key))
        return cml_fail(CML_ERR_FORMAT, "%s: a text model without its column schema", path);
    if (cml_gguf_has(g, key)) {
        CML_CHECK(cml_columns_load(g, FEATURES_KEY, &m->features, &n));
        m->n_features = n;
        if (text) {
            /* one text column; the model's features are the vocabulary's */
            int64_t nv = m->tfidf ? cml_tfidf_n_features(m->tfidf) : cml_count_n_features(m->count);
            if (n != 1 || m->features[0].kind != CML_COL_TEXT || (nf > 0 && nv != nf))
                return cml_fail(CML_ERR_FORMAT,
                                "%s: a text model needs one text column and a vectorizer of "
                                "%lld terms; the file has %lld columns and %lld terms",
                                path, (long long)nf, (long long)n, (long long)nv);
        } else if (nf > 0 && n != nf)
            return cml_fail(CML_ERR_FORMAT,
                            "%s: the column schema has %lld features but the model takes %lld",
                            path, (long long)n, (long long)nf);
    } else {
        if (nf <= 0)
            return cml_fail(CML_ERR_FORMAT,
                            "%s: the model has no column schema and no feature count", path);
        CML_CHECK(default_features(nf, &m->features));
        m->n_features = nf;
    }
    snprintf(key, sizeof key, "%s.names", TARGET_KEY);
    if (cml_gguf_has(g, key)) {
        CML_CHECK(cml_columns_load(g, TARGET_KEY, &m->target, &n));
        if (n != 1) {
            cml_columns_free(m->target, n);
            m->target = NULL;
            return cml_fail(CML_ERR_FORMAT, "%s: bad target schema (%lld columns)", path,
                            (long long)n);
        }
    }
    m->by_name = cml_alloc_array(m->n_features ? m->n_features : 1, sizeof *m->by_name);
    if (!m->by_name) return CML_ERR_NOMEM;
    for (int64_t j = 0; j < m->n_features; j++) {
        m->by_name[j].name = m->features[j].name;
        m->by_name[j].index = j;
    }
    qsort(m->by_name, (size_t)m->n_features, sizeof *m->by_name, by_name_cmp);
    return CML_OK;
}

static void column_json(const cml_column *c, cml_sb *sb)
{
    cml_sb_puts(sb, "{\"name\":");
    cml_sb_json_str(sb, c->name);
    cml_sb_printf(sb, ",\"kind\":\"%s\"",
                  c->kind == CML_COL_CATEGORICAL ? "categorical"
                  : c->kind == CML_COL_TEXT      ? "text"
                                                 : "numeric");
    if (c->kind == CML_COL_CATEGORICAL) {
        cml_sb_puts(sb, ",\"levels\":[");
        for (int64_t l = 0; l < c->n_levels; l++) {
            if (l) cml_sb_puts(sb, ",");
            cml_sb_json_str(sb, c->levels[l]);
        }
        cml_sb_puts(sb, "]");
    }
    cml_sb_puts(sb, "}");
}

static cml_status build_info(serve_model *m, const char *path)
{
    const cml_estimator *est = cml_model_estimator(m->model);
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "\"path\":");
    cml_sb_json_str(&sb, path);
    cml_sb_puts(&sb, ",\"kind\":");
    cml_sb_json_str(&sb, est->name);
    cml_sb_printf(&sb, ",\"task\":\"%s\",\"n_features\":%lld,\"features\":[", task_name(est->task),
                  (long long)m->n_features);
    for (int64_t j = 0; j < m->n_features; j++) {
        if (j) cml_sb_puts(&sb, ",");
        column_json(&m->features[j], &sb);
    }
    cml_sb_puts(&sb, "],\"target\":");
    if (m->target)
        column_json(m->target, &sb);
    else
        cml_sb_puts(&sb, "null");
    if (m->n_classes) {
        cml_sb_puts(&sb, ",\"classes\":[");
        for (int64_t k = 0; k < m->n_classes; k++) {
            if (k) cml_sb_puts(&sb, ",");
            serve_class_json(m, m->classes[k], &sb);
        }
        cml_sb_puts(&sb, "]");
    }
    cml_sb_printf(&sb, ",\"load_seconds\":%.17g", m->load_seconds);
    m->info_json = cml_sb_finish(&sb);
    return m->info_json ? CML_OK : cml_fail(CML_ERR_NOMEM, "out of memory describing %s", path);
}

cml_status serve_model_load(const char *path, serve_model **out)
{
    cml_status st = CML_OK;
    cml_gguf *g = NULL;
    double t0 = cml_now();
    *out = NULL;
    serve_model *m = cml_calloc(1, sizeof *m);
    if (!m) return CML_ERR_NOMEM;
    atomic_init(&m->refs, 1);
    CML_TRY(cml_model_load(path, &m->model, &g));
    const cml_estimator *est = cml_model_estimator(m->model);
    if (!est->predict) {
        st = cml_fail(CML_ERR_UNSUPPORTED,
                      "%s: a %s model cannot predict. HINT: cml serve serves estimators that "
                      "predict (classifiers, regressors, clusterers with predict)",
                      path, est->name);
        goto fail;
    }
    CML_TRY(load_vectorizer(m, g, path));
    CML_TRY(load_schema(m, g, path));
    m->n_classes = cml_model_n_classes(m->model);
    m->classes = m->n_classes ? cml_model_classes(m->model) : NULL;
    m->load_seconds = cml_now() - t0;
    CML_TRY(build_info(m, path));
    cml_gguf_free(g);
    *out = m;
    return CML_OK;
fail:
    cml_gguf_free(g);
    free_model(m);
    return st;
}

serve_model *serve_slot_acquire(serve_slot *s)
{
    pthread_mutex_lock(&s->mu);
    serve_model *m = s->cur;
    if (m) atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->mu);
    return m;
}

void serve_slot_swap(serve_slot *s, serve_model *m)
{
    pthread_mutex_lock(&s->mu);
    serve_model *old = s->cur;
    s->cur = m;
    pthread_mutex_unlock(&s->mu);
    serve_model_release(old);
}
