/*
 * compare.c — runs side by side (cml_track_compare): the union of their
 * param and final-metric keys, one column per run, and which params
 * differ. `cml runs compare` prints it and `cml runs export` writes it as
 * CSV.
 *
 * Complexity: O(R K log K) for R runs with K keys (sorted merge of each
 * run's already-sorted keys into the union). Thread-safety: as the handle.
 */
#include <math.h>
#include <string.h>

#include "track/track_internal.h"

void cml_track_comparison_free(cml_track_comparison *c)
{
    if (!c) return;
    for (int64_t i = 0; c->runs && i < c->n_runs; i++)
        cml_track_run_info_free(c->runs[i]);
    free(c->runs);
    cml_track_strings_free(c->param_keys, c->n_params);
    cml_track_strings_free(c->metric_keys, c->n_metrics);
    free(c->param_values);
    free(c->param_differs);
    free(c->metric_values);
    free(c->metric_has);
    free(c);
}

static const char *kv_key(const cml_track_run_info *r, int metrics, int64_t j)
{
    return metrics ? r->metrics[j].key : r->params[j].key;
}

/* Sorted union of the keys of every run (params or metrics). */
static cml_status union_keys(cml_track_run_info **runs, int64_t n, int metrics, char ***out,
                             int64_t *nk)
{
    int64_t cap = 0;
    *out = NULL;
    *nk = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t m = metrics ? runs[i]->n_metrics : runs[i]->n_params;
        for (int64_t j = 0; j < m; j++) {
            const char *k = kv_key(runs[i], metrics, j);
            int64_t lo = 0, hi = *nk; /* binary search for k's place */
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (strcmp((*out)[mid], k) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < *nk && !strcmp((*out)[lo], k)) continue;
            if (*nk == cap) {
                cap = cap ? 2 * cap : 16;
                char **v = cml_realloc(*out, sizeof *v * (size_t)cap);
                if (!v) return CML_ERR_NOMEM;
                *out = v;
            }
            char *copy = cml_strdup(k);
            if (!copy) return CML_ERR_NOMEM;
            memmove(*out + lo + 1, *out + lo, sizeof **out * (size_t)(*nk - lo));
            (*out)[lo] = copy;
            (*nk)++;
        }
    }
    return CML_OK;
}

/* Index of key in a run's sorted kv array, or -1. */
static int64_t find_key(const cml_track_kv *kv, int64_t n, const char *key)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(kv[mid].key, key);
        if (!c) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

cml_status cml_track_compare(cml_track *t, const int64_t *ids, int64_t n,
                             cml_track_comparison **out)
{
    *out = NULL;
    if (n < 1)
        return cml_fail(CML_ERR_ARG, "compare needs at least one run, got %lld", (long long)n);
    cml_track_comparison *c = cml_calloc(1, sizeof *c);
    if (!c) return CML_ERR_NOMEM;
    cml_status st = CML_ERR_NOMEM;
    if (!(c->runs = cml_calloc((size_t)n, sizeof *c->runs))) goto fail;
    for (; c->n_runs < n; c->n_runs++)
        if ((st = cml_track_run_get(t, ids[c->n_runs], &c->runs[c->n_runs]))) goto fail;
    if ((st = union_keys(c->runs, n, 0, &c->param_keys, &c->n_params))) goto fail;
    if ((st = union_keys(c->runs, n, 1, &c->metric_keys, &c->n_metrics))) goto fail;
    st = CML_ERR_NOMEM;
    c->param_values = cml_alloc_array(c->n_params * n + 1, sizeof *c->param_values);
    c->param_differs = cml_calloc((size_t)c->n_params + 1, 1);
    c->metric_values = cml_alloc_array(c->n_metrics * n + 1, sizeof *c->metric_values);
    c->metric_has = cml_calloc((size_t)(c->n_metrics * n) + 1, 1);
    if (!c->param_values || !c->param_differs || !c->metric_values || !c->metric_has) goto fail;
    for (int64_t k = 0; k < c->n_params; k++) {
        for (int64_t i = 0; i < n; i++) {
            const cml_track_run_info *r = c->runs[i];
            int64_t j = find_key(r->params, r->n_params, c->param_keys[k]);
            const char *v = j >= 0 ? r->params[j].text : NULL;
            const char *first = c->param_values[k * n];
            c->param_values[k * n + i] = v;
            if (i && (!v != !first || (v && strcmp(v, first)))) c->param_differs[k] = 1;
        }
    }
    for (int64_t k = 0; k < c->n_metrics; k++) {
        for (int64_t i = 0; i < n; i++) {
            const cml_track_run_info *r = c->runs[i];
            int64_t j = find_key(r->metrics, r->n_metrics, c->metric_keys[k]);
            c->metric_values[k * n + i] = j >= 0 ? r->metrics[j].value : NAN;
            c->metric_has[k * n + i] = j >= 0;
        }
    }
    *out = c;
    return CML_OK;
fail:
    cml_track_comparison_free(c);
    return st;
}
