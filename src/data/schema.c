/*
 * schema.c — the column schema a model carries: names, kinds and
 * categorical levels of the columns it was fitted on, stored in the GGUF
 * container so predict-time CSV reading maps categories to the very same
 * codes.
 *
 * Keys (under the writer's current scope):
 *   <prefix>.names      string array (n)
 *   <prefix>.kinds      i64 array (n): 0 numeric, 1 categorical, 2 text (cml_col_kind)
 *   <prefix>.levels.<j> string array, for each categorical column j
 * Loading validates everything (counts agree, kinds known, levels present,
 * distinct and sorted by bytes as the CSV reader makes them), so a corrupt
 * model is a CML_ERR_FORMAT naming the key, never a crash.
 * Complexity: O(total string bytes). Thread-safety: reentrant (a reader's
 * scope is its only mutable state: see gguf.h).
 */
#include <stdio.h>
#include <string.h>

#include "cml/data.h"
#include "core/internal.h"

cml_status cml_columns_save(cml_gguf_writer *w, const char *key_prefix, const cml_column *cols,
                            int64_t n)
{
    if (!w || !key_prefix || (n > 0 && !cols) || n < 0)
        return cml_fail(CML_ERR_ARG, "cml_columns_save: NULL argument or n < 0");
    cml_status st = CML_OK;
    size_t klen = strlen(key_prefix) + 40;
    char *key = cml_malloc(klen);
    const char **names = cml_calloc((size_t)(n ? n : 1), sizeof *names);
    int64_t *kinds = cml_calloc((size_t)(n ? n : 1), sizeof *kinds);
    if (!key || !names || !kinds) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t j = 0; j < n; j++) {
        if (!cols[j].name) {
            st = cml_fail(CML_ERR_ARG, "column %lld has no name", (long long)j);
            goto fail;
        }
        if (cols[j].kind != CML_COL_NUMERIC && cols[j].kind != CML_COL_CATEGORICAL &&
            cols[j].kind != CML_COL_TEXT) {
            st = cml_fail(CML_ERR_ARG, "column \"%s\" has unknown kind %d", cols[j].name,
                          (int)cols[j].kind);
            goto fail;
        }
        names[j] = cols[j].name;
        kinds[j] = cols[j].kind;
    }
    snprintf(key, klen, "%s.names", key_prefix);
    CML_TRY(cml_gguf_set_arr_str(w, key, names, n));
    snprintf(key, klen, "%s.kinds", key_prefix);
    CML_TRY(cml_gguf_set_arr_i64(w, key, kinds, n));
    for (int64_t j = 0; j < n; j++) {
        if (cols[j].kind != CML_COL_CATEGORICAL) continue;
        if (cols[j].n_levels < 0 || (cols[j].n_levels > 0 && !cols[j].levels)) {
            st = cml_fail(CML_ERR_ARG, "column \"%s\": %lld levels but no level names",
                          cols[j].name, (long long)cols[j].n_levels);
            goto fail;
        }
        snprintf(key, klen, "%s.levels.%lld", key_prefix, (long long)j);
        CML_TRY(
            cml_gguf_set_arr_str(w, key, (const char *const *)cols[j].levels, cols[j].n_levels));
    }
fail:
    free(key);
    free(names);
    free(kinds);
    return st;
}

cml_status cml_columns_load(const cml_gguf *g, const char *key_prefix, cml_column **cols,
                            int64_t *n)
{
    if (!g || !key_prefix || !cols || !n)
        return cml_fail(CML_ERR_ARG, "cml_columns_load: NULL argument");
    *cols = NULL;
    *n = 0;
    cml_status st = CML_OK;
    const char *gname = cml_gguf_name(g);
    size_t klen = strlen(key_prefix) + 40;
    char *key = cml_malloc(klen);
    const char **names = NULL, **levels = NULL;
    int64_t *kinds = NULL, nn = 0, nk = 0;
    cml_column *c = NULL;
    if (!key) return CML_ERR_NOMEM;
    snprintf(key, klen, "%s.names", key_prefix);
    CML_TRY(cml_gguf_get_arr_str(g, key, &names, &nn));
    snprintf(key, klen, "%s.kinds", key_prefix);
    CML_TRY(cml_gguf_get_arr_i64(g, key, &kinds, &nk));
    if (nk != nn) {
        st = cml_fail(CML_ERR_FORMAT, "%s: key %s: %lld kinds for %lld column names", gname, key,
                      (long long)nk, (long long)nn);
        goto fail;
    }
    c = cml_calloc((size_t)(nn ? nn : 1), sizeof *c);
    if (!c) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    for (int64_t j = 0; j < nn; j++) {
        if (kinds[j] != CML_COL_NUMERIC && kinds[j] != CML_COL_CATEGORICAL &&
            kinds[j] != CML_COL_TEXT) {
            st = cml_fail(CML_ERR_FORMAT, "%s: key %s: column %lld has unknown kind %lld", gname,
                          key, (long long)j, (long long)kinds[j]);
            goto fail;
        }
        c[j].kind = (cml_col_kind)kinds[j];
        c[j].name = cml_strdup(names[j]);
        if (!c[j].name) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
    }
    for (int64_t j = 0; j < nn; j++) {
        if (c[j].kind != CML_COL_CATEGORICAL) continue;
        int64_t nl = 0;
        snprintf(key, klen, "%s.levels.%lld", key_prefix, (long long)j);
        CML_TRY(cml_gguf_get_arr_str(g, key, &levels, &nl));
        c[j].levels = cml_calloc((size_t)(nl ? nl : 1), sizeof *c[j].levels);
        if (!c[j].levels) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        for (int64_t l = 0; l < nl; l++) {
            /* The CSV reader's lookup relies on distinct levels; it sorts its own copy. */
            if (l > 0 && strcmp(levels[l - 1], levels[l]) >= 0) {
                st = cml_fail(CML_ERR_FORMAT,
                              "%s: key %s: levels must be distinct and sorted (\"%s\" then "
                              "\"%s\")",
                              gname, key, levels[l - 1], levels[l]);
                goto fail;
            }
            c[j].levels[l] = cml_strdup(levels[l]);
            if (!c[j].levels[l]) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
            c[j].n_levels = l + 1;
        }
        free(levels);
        levels = NULL;
    }
    *cols = c;
    *n = nn;
    c = NULL;
fail:
    cml_columns_free(c, nn);
    free(levels);
    free(names);
    free(kinds);
    free(key);
    return st;
}
