/*
 * predict.c — the predict request of the model server, without HTTP:
 * body -> row-major double matrix (through the model's column schema) ->
 * cml_model_predict / cml_model_predict_proba -> JSON.
 *
 * Accepted bodies (docs/serve.md):
 *   {"rows": [[v, ...], ...]}        values in the model's feature order
 *   {"records": [{"col": v, ...}]}   by column name, any order; fields that
 *                                    are not features are ignored, as extra
 *                                    CSV columns are by `cml predict`
 *   text/csv with a header row       through the same CSV reader and schema
 *                                    as `cml predict`
 * plus an optional "proba": true. A model fitted with `cml fit --text COL`
 * has one feature, the text column, whose values are the documents as
 * strings ({"records": [{"text": "..."}]}, {"rows": [["..."]]} or a CSV
 * column); they go through the model's own vectorizer, so predictions equal
 * `cml predict`'s on the same documents. A value is a number, null (missing: NaN,
 * for estimators that take NaN) or, in a categorical column, one of the
 * levels seen at fit time as a string; its code is the level's index in the
 * sorted level list, exactly as the CSV reader encodes it, so a JSON request
 * and `cml predict` on the same rows give bit-identical predictions.
 *
 * Every rejection is a 400 whose message names the place: rows[i][j] or
 * records[i].column, the column's name, what was expected and what came.
 *
 * Complexity: O(rows * cols) to parse (plus log(levels) per categorical
 * cell and log(cols) per record field), then the model's predict.
 * Thread-safety: no shared mutable state (the model is const).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "serve/serve_internal.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static int utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

void serve_utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = utf8_len(p);
        if (n)
            p += n;
        else
            *p++ = '?';
    }
}

void serve_error_json(cml_sb *out, const char *msg)
{
    /* messages quote what the client sent, which may be any bytes; the
     * answer must stay valid UTF-8 JSON */
    char clean[1024];
    snprintf(clean, sizeof clean, "%s", msg);
    serve_utf8_clean(clean);
    cml_sb_puts(out, "{\"error\":");
    cml_sb_json_str(out, clean);
    cml_sb_puts(out, "}");
}

void serve_class_json(const serve_model *m, double v, cml_sb *out)
{
    const cml_column *t = m->target;
    if (t && t->kind == CML_COL_CATEGORICAL && v >= 0 && v < (double)t->n_levels && v == floor(v))
        cml_sb_json_str(out, t->levels[(int64_t)v]);
    else
        cml_sb_json_num(out, v);
}

void serve_input_free(serve_input *in)
{
    free(in->X);
    if (in->docs)
        for (int64_t i = 0; i < in->rows; i++)
            free(in->docs[i]);
    free(in->docs);
    memset(in, 0, sizeof *in);
}

static int is_text_model(const serve_model *m)
{
    return m->tfidf || m->count;
}

/* ---------------------------------------------------------------- values */

static const char *json_type(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsNumber(v)) return "a number";
    return "an invalid value";
}

/* Index of level s in a categorical column (levels sorted by strcmp, as
 * the schema guarantees), or -1. */
static int64_t find_level(const cml_column *c, const char *s)
{
    int64_t lo = 0, hi = c->n_levels;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->levels[mid], s);
        if (!cmp) return mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* "a", "b", "c" (up to ~300 bytes, then "..."). */
static void list_levels(const cml_column *c, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int64_t l = 0; l < c->n_levels; l++) {
        if (used + strlen(c->levels[l]) + 8 > len) {
            snprintf(buf + used, len - used, "%s...", l ? ", " : "");
            return;
        }
        used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", l ? ", " : "", c->levels[l]);
    }
}

/* One JSON value -> the double the model sees for column j (for a text
 * column, a copy of the document in *doc and NaN). `where` names the cell
 * ("rows[3][1]"). */
static int convert(const serve_model *m, int64_t j, const cJSON *v, double *out, char **doc,
                   const char *where, char *err, size_t errlen)
{
    const cml_column *c = &m->features[j];
    if (c->kind == CML_COL_TEXT) {
        if (!doc) { /* a text column outside a text model: nothing can read it */
            snprintf(err, errlen, "%s (column \"%s\"): the model has no vectorizer for text", where,
                     c->name);
            return 400;
        }
        if (!cJSON_IsString(v)) {
            snprintf(err, errlen,
                     "%s (column \"%s\"): text column expects the document as a string, got %s",
                     where, c->name, json_type(v));
            return 400;
        }
        *out = NAN;
        free(*doc); /* only reached once per cell: records reject repeats first */
        *doc = cml_strdup(v->valuestring);
        if (!*doc) {
            snprintf(err, errlen, "out of memory");
            return 500;
        }
        return 0;
    }
    if (cJSON_IsNull(v)) {
        *out = NAN;
        return 0;
    }
    if (c->kind == CML_COL_CATEGORICAL) {
        if (!cJSON_IsString(v)) {
            snprintf(err, errlen,
                     "%s (column \"%s\"): categorical column expects one of its levels as a "
                     "string, got %s",
                     where, c->name, json_type(v));
            return 400;
        }
        int64_t code = find_level(c, v->valuestring);
        if (code < 0) {
            char known[320];
            list_levels(c, known, sizeof known);
            snprintf(err, errlen,
                     "%s: unknown category \"%s\" in column \"%s\" (known levels: %s). HINT: the "
                     "model only knows the categories it was fitted on",
                     where, v->valuestring, c->name, known);
            return 400;
        }
        *out = (double)code;
        return 0;
    }
    if (!cJSON_IsNumber(v)) {
        if (cJSON_IsString(v))
            snprintf(err, errlen, "%s (column \"%s\"): expected a number, got the string \"%.80s\"",
                     where, c->name, v->valuestring);
        else
            snprintf(err, errlen, "%s (column \"%s\"): expected a number or null, got %s", where,
                     c->name, json_type(v));
        return 400;
    }
    if (!isfinite(v->valuedouble)) {
        snprintf(err, errlen, "%s (column \"%s\"): number out of the range of a double", where,
                 c->name);
        return 400;
    }
    *out = v->valuedouble;
    return 0;
}

/* ---------------------------------------------------------------- JSON */

static int parse_rows(const serve_model *m, const cJSON *rows, serve_input *in, char *err,
                      size_t errlen)
{
    const int64_t nf = m->n_features;
    int64_t i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        if (!cJSON_IsArray(row)) {
            snprintf(err, errlen, "rows[%lld]: expected an array of %lld values, got %s",
                     (long long)i, (long long)nf, json_type(row));
            return 400;
        }
        int64_t n = cJSON_GetArraySize(row);
        if (n != nf) {
            snprintf(err, errlen,
                     "rows[%lld]: %lld values, but the model takes %lld features (in this order: "
                     "%s%s%s%s)",
                     (long long)i, (long long)n, (long long)nf, m->features[0].name,
                     nf > 1 ? ", " : "", nf > 1 ? m->features[1].name : "", nf > 2 ? ", ..." : "");
            return 400;
        }
        int64_t j = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, row)
        {
            char where[64];
            snprintf(where, sizeof where, "rows[%lld][%lld]", (long long)i, (long long)j);
            int s = convert(m, j, v, &in->X[i * nf + j], in->docs ? &in->docs[i] : NULL, where, err,
                            errlen);
            if (s) return s;
            j++;
        }
        i++;
    }
    return 0;
}

static int parse_records(const serve_model *m, const cJSON *recs, serve_input *in, char *err,
                         size_t errlen)
{
    const int64_t nf = m->n_features;
    unsigned char *seen = cml_malloc((size_t)nf);
    if (!seen) {
        snprintf(err, errlen, "out of memory");
        return 500;
    }
    int status = 0;
    int64_t i = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, recs)
    {
        if (!cJSON_IsObject(rec)) {
            snprintf(err, errlen,
                     "records[%lld]: expected an object {\"column\": value, ...}, got %s",
                     (long long)i, json_type(rec));
            status = 400;
            goto done;
        }
        memset(seen, 0, (size_t)nf);
        const cJSON *v;
        cJSON_ArrayForEach(v, rec)
        {
            int64_t j = serve_model_feature(m, v->string);
            if (j < 0) continue; /* not a feature: ignored, like an extra CSV column */
            char where[160];
            snprintf(where, sizeof where, "records[%lld].%.120s", (long long)i, v->string);
            if (seen[j]) {
                snprintf(err, errlen, "%s: column given twice", where);
                status = 400;
                goto done;
            }
            seen[j] = 1;
            status = convert(m, j, v, &in->X[i * nf + j], in->docs ? &in->docs[i] : NULL, where,
                             err, errlen);
            if (status) goto done;
        }
        for (int64_t j = 0; j < nf; j++)
            if (!seen[j]) {
                snprintf(err, errlen,
                         "records[%lld]: missing column \"%s\" (use null for a missing value)",
                         (long long)i, m->features[j].name);
                status = 400;
                goto done;
            }
        i++;
    }
done:
    free(seen);
    return status;
}

static int parse_json(const serve_model *m, const char *body, size_t len, int proba_default,
                      serve_input *in, char *err, size_t errlen)
{
    if (memchr(body, '\0', len)) {
        snprintf(err, errlen, "malformed JSON: NUL byte in the body");
        return 400;
    }
    const char *end = NULL;
    /* body[len] is the NUL the server appends: len + 1 lets cJSON check that
     * nothing but blanks follows the value */
    cJSON *root = cJSON_ParseWithLengthOpts(body, len + 1, &end, 1);
    int status = 0;
    if (!root) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        snprintf(err, errlen, "malformed JSON at byte %zu: \"%.24s\"", at, body + at);
        return 400;
    }
    const cJSON *rows = NULL, *recs = NULL, *item;
    in->proba = proba_default;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen,
                 "expected a JSON object {\"rows\": [[...]]} or {\"records\": [{...}]}, got %s",
                 json_type(root));
        status = 400;
        goto done;
    }
    cJSON_ArrayForEach(item, root)
    {
        if (!strcmp(item->string, "rows"))
            rows = item;
        else if (!strcmp(item->string, "records"))
            recs = item;
        else if (!strcmp(item->string, "proba")) {
            if (!cJSON_IsBool(item)) {
                snprintf(err, errlen, "\"proba\" must be true or false, got %s", json_type(item));
                status = 400;
                goto done;
            }
            in->proba = cJSON_IsTrue(item);
        } else {
            snprintf(err, errlen,
                     "unknown field \"%.80s\"; the body takes \"rows\" or \"records\", and "
                     "optionally \"proba\"",
                     item->string);
            status = 400;
            goto done;
        }
    }
    if (!!rows == !!recs) {
        snprintf(err, errlen,
                 rows ? "give either \"rows\" or \"records\", not both"
                      : "missing \"rows\" (array of arrays) or \"records\" (array "
                        "of objects)");
        status = 400;
        goto done;
    }
    const cJSON *data = rows ? rows : recs;
    if (!cJSON_IsArray(data)) {
        snprintf(err, errlen, "\"%s\" must be an array, got %s", rows ? "rows" : "records",
                 json_type(data));
        status = 400;
        goto done;
    }
    in->rows = cJSON_GetArraySize(data);
    in->cols = m->n_features;
    if (in->rows == 0) {
        snprintf(err, errlen, "\"%s\" is empty: send at least one row", rows ? "rows" : "records");
        status = 400;
        goto done;
    }
    in->X = cml_alloc_array(in->rows * in->cols, sizeof(double));
    if (is_text_model(m)) in->docs = cml_calloc((size_t)in->rows, sizeof *in->docs);
    if (!in->X || (is_text_model(m) && !in->docs)) {
        snprintf(err, errlen, "out of memory for %lld rows", (long long)in->rows);
        status = 500;
        goto done;
    }
    status = rows ? parse_rows(m, rows, in, err, errlen) : parse_records(m, recs, in, err, errlen);
done:
    cJSON_Delete(root);
    return status;
}

/* ---------------------------------------------------------------- CSV */

static int parse_csv(const serve_model *m, const char *body, size_t len, int proba_default,
                     serve_input *in, char *err, size_t errlen)
{
    const int64_t nf = m->n_features;
    in->proba = proba_default;
    /* features + the target, which may be present (ignored) or absent */
    cml_column *all = cml_calloc((size_t)nf + 1, sizeof *all);
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return 500;
    }
    memcpy(all, m->features, (size_t)nf * sizeof *all);
    if (m->target) all[nf] = *m->target;
    cml_csv_opts o = cml_csv_opts_default();
    o.schema = all;
    o.schema_cols = nf + (m->target != NULL);
    o.optional_col = m->target ? m->target->name : NULL;
    cml_table *t = NULL;
    cml_status st = cml_csv_read_mem(body, len, "body", &o, &t);
    free(all); /* shallow: the columns belong to the model */
    if (st != CML_OK) {
        snprintf(err, errlen, "%s", cml_last_error());
        return st == CML_ERR_NOMEM ? 500 : 400;
    }
    in->rows = t->rows;
    in->cols = nf;
    in->X = cml_alloc_array(in->rows * nf, sizeof(double));
    if (!in->X) {
        cml_table_free(t);
        snprintf(err, errlen, "out of memory for %lld rows", (long long)in->rows);
        return 500;
    }
    /* the table has the schema's columns in schema order (the target last) */
    for (int64_t i = 0; i < t->rows; i++)
        memcpy(&in->X[i * nf], &t->data[i * t->cols], (size_t)nf * sizeof(double));
    if (is_text_model(m)) { /* the text column is feature 0 (load_schema) */
        const char *const *docs = cml_table_text(t, 0);
        in->docs = cml_calloc((size_t)in->rows, sizeof *in->docs);
        for (int64_t i = 0; in->docs && docs && i < t->rows; i++)
            if (!(in->docs[i] = cml_strdup(docs[i]))) break;
        if (!docs || !in->docs || (in->rows && !in->docs[in->rows - 1])) {
            cml_table_free(t);
            snprintf(err, errlen, docs ? "out of memory" : "the text column was not read as text");
            return 500;
        }
    }
    cml_table_free(t);
    return 0;
}

int serve_parse_input(const serve_model *m, const char *body, size_t len, int is_csv,
                      int proba_default, serve_input *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    err[0] = '\0';
    int status = is_csv ? parse_csv(m, body, len, proba_default, in, err, errlen)
                        : parse_json(m, body, len, proba_default, in, err, errlen);
    if (status) serve_input_free(in);
    return status;
}

/* ---------------------------------------------------------------- predict */

/* Library errors on a request: bad data is the client's (400), the rest ours. */
static int status_of(cml_status st)
{
    return st == CML_ERR_ARG || st == CML_ERR_FORMAT ? 400 : 500;
}

/* A text model's predictions: the documents through the model's vectorizer
 * (CSR), then the estimator's sparse entries, or its dense ones on a copy
 * for estimators without them, as `cml predict` does. proba may be NULL. */
static cml_status predict_text(const serve_model *m, const serve_input *in, double *pred,
                               double *proba)
{
    const char *const *docs = (const char *const *)in->docs;
    cml_csr_owned *S = NULL;
    double *D = NULL;
    cml_status st = m->tfidf ? cml_tfidf_transform(m->tfidf, docs, in->rows, &S)
                             : cml_count_transform(m->count, docs, in->rows, &S);
    if (st != CML_OK) return st;
    cml_csr v = cml_csr_owned_view(S);
    const cml_estimator *est = cml_model_estimator(m->model);
    if (est->predict_csr && (!proba || est->predict_proba_csr)) {
        st = cml_model_predict_csr(m->model, &v, pred);
        if (st == CML_OK && proba) st = cml_model_predict_proba_csr(m->model, &v, proba);
    } else {
        st = cml_csr_to_dense(&v, &D);
        cml_matrix X = cml_matrix_view(D, v.rows, v.cols);
        if (st == CML_OK) st = cml_model_predict(m->model, &X, pred);
        if (st == CML_OK && proba) st = cml_model_predict_proba(m->model, &X, proba);
    }
    free(D);
    cml_csr_owned_free(S);
    return st;
}

int serve_predict(const serve_model *m, const char *name, const char *body, size_t len, int is_csv,
                  int proba_default, cml_sb *out, int64_t *rows, char *err, size_t errlen)
{
    serve_input in;
    err[0] = '\0';
    double *pred = NULL, *proba = NULL;
    *rows = 0;
    int status = serve_parse_input(m, body, len, is_csv, proba_default, &in, err, errlen);
    if (status) goto fail;
    *rows = in.rows;
    const int64_t nc = m->n_classes;
    if (in.proba && !nc) {
        snprintf(err, errlen,
                 "\"proba\": model \"%s\" (%s) is not a classifier; it has no probabilities", name,
                 cml_model_estimator(m->model)->name);
        status = 400;
        goto fail;
    }
    pred = cml_alloc_array(in.rows, sizeof *pred);
    proba = in.proba ? cml_alloc_array(in.rows * nc, sizeof *proba) : NULL;
    if (!pred || (in.proba && !proba)) {
        snprintf(err, errlen, "out of memory for %lld rows", (long long)in.rows);
        status = 500;
        goto fail;
    }
    cml_status st;
    if (is_text_model(m)) {
        st = predict_text(m, &in, pred, proba);
    } else {
        cml_matrix X = cml_matrix_view(in.X, in.rows, in.cols);
        st = cml_model_predict(m->model, &X, pred);
        if (st == CML_OK && proba) st = cml_model_predict_proba(m->model, &X, proba);
    }
    if (st != CML_OK) {
        snprintf(err, errlen, "%s", cml_last_error()[0] ? cml_last_error() : "predict failed");
        status = status_of(st);
        goto fail;
    }

    cml_sb_puts(out, "{\"model\":");
    cml_sb_json_str(out, name);
    cml_sb_puts(out, ",\"predictions\":[");
    for (int64_t i = 0; i < in.rows; i++) {
        if (i) cml_sb_puts(out, ",");
        if (nc)
            serve_class_json(m, pred[i], out);
        else
            cml_sb_json_num(out, pred[i]);
    }
    cml_sb_puts(out, "]");
    if (proba) {
        cml_sb_puts(out, ",\"classes\":[");
        for (int64_t k = 0; k < nc; k++) {
            if (k) cml_sb_puts(out, ",");
            serve_class_json(m, m->classes[k], out);
        }
        cml_sb_puts(out, "],\"probabilities\":[");
        for (int64_t i = 0; i < in.rows; i++) {
            if (i) cml_sb_puts(out, ",");
            cml_sb_json_arr(out, proba + i * nc, nc);
        }
        cml_sb_puts(out, "]");
    }
    cml_sb_puts(out, "}");
    free(pred);
    free(proba);
    serve_input_free(&in);
    return 200;
fail:
    free(pred);
    free(proba);
    serve_input_free(&in);
    serve_error_json(out, err);
    return status;
}
