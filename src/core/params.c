/*
 * params.c — the parameter tables: defaults, parsing, validation, and
 * persistence of every estimator's hyper-parameters from one static table
 * (see cml/model.h). Messages always list what would have been valid, since
 * the user reading them is usually typing on a command line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cml/model.h"
#include "core/internal.h"

static const cml_param_def *find_def(const cml_param_def *defs, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(defs[i].name, key) == 0) return &defs[i];
    return NULL;
}

static void list_names(const cml_param_def *defs, int n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used + 2 < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", defs[i].name);
    if (n == 0) snprintf(buf, len, "(none)");
}

/* Index of `value` in "a|b|c", or -1. */
static int choice_index(const char *choices, const char *value)
{
    int idx = 0;
    const char *p = choices;
    size_t vlen = strlen(value);
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && strncmp(p, value, len) == 0) return idx;
        idx++;
        if (!bar) break;
        p = bar + 1;
    }
    return -1;
}

/* Copies choice number idx of "a|b|c" into buf. */
static void choice_name(const char *choices, int idx, char *buf, size_t len)
{
    const char *p = choices;
    for (int i = 0; i < idx && p; i++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p) {
        snprintf(buf, len, "?");
        return;
    }
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n >= len) n = len - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

static cml_status range_error(const cml_param_def *d, const char *value)
{
    char lo[64], hi[64];
    snprintf(lo, sizeof lo, "%s%.17g", d->min_open ? "> " : ">= ", d->min);
    snprintf(hi, sizeof hi, "<= %.17g", d->max);
    if (isinf(d->max))
        return cml_fail(CML_ERR_ARG, "parameter %s=%s is out of range: must be %s", d->name, value,
                        lo);
    return cml_fail(CML_ERR_ARG, "parameter %s=%s is out of range: must be %s and %s", d->name,
                    value, lo, hi);
}

static int in_range(const cml_param_def *d, double v)
{
    if (isnan(v)) return 0;
    if (d->min_open ? !(v > d->min) : !(v >= d->min)) return 0;
    return v <= d->max;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
        !strcasecmp(v, "on")) {
        *out = 1;
        return 1;
    }
    if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
        !strcasecmp(v, "off")) {
        *out = 0;
        return 1;
    }
    return 0;
}

static cml_status set_one(const cml_param_def *d, void *params, const char *value)
{
    char *field = (char *)params + d->offset;
    char *end;
    switch (d->type) {
    case CML_PARAM_INT: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (end == value || *end || errno)
            return cml_fail(CML_ERR_ARG, "parameter %s expects an integer, got \"%s\"", d->name,
                            value);
        if (!in_range(d, (double)v) || v > INT32_MAX || v < INT32_MIN) return range_error(d, value);
        *(int *)field = (int)v;
        return CML_OK;
    }
    case CML_PARAM_DOUBLE: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno == ERANGE)
            return cml_fail(CML_ERR_ARG, "parameter %s expects a number, got \"%s\"", d->name,
                            value);
        if (!in_range(d, v)) return range_error(d, value);
        *(double *)field = v;
        return CML_OK;
    }
    case CML_PARAM_BOOL: {
        int b;
        if (!parse_bool(value, &b))
            return cml_fail(CML_ERR_ARG, "parameter %s expects true or false, got \"%s\"", d->name,
                            value);
        *(int *)field = b;
        return CML_OK;
    }
    case CML_PARAM_ENUM: {
        int idx = choice_index(d->choices, value);
        if (idx < 0)
            return cml_fail(CML_ERR_ARG, "parameter %s=\"%s\" is not one of: %s", d->name, value,
                            d->choices);
        *(int *)field = idx;
        return CML_OK;
    }
    case CML_PARAM_STRING:
        if (strlen(value) >= CML_PARAM_STRLEN)
            return cml_fail(CML_ERR_ARG, "parameter %s is longer than %d characters", d->name,
                            CML_PARAM_STRLEN - 1);
        snprintf(field, CML_PARAM_STRLEN, "%s", value);
        return CML_OK;
    }
    return cml_fail(CML_ERR_INTERNAL, "parameter %s has an unknown type", d->name);
}

cml_status cml_params_init(const cml_param_def *defs, int n_defs, void *params)
{
    for (int i = 0; i < n_defs; i++) {
        cml_status st = set_one(&defs[i], params, defs[i].def);
        if (st != CML_OK)
            return cml_fail_context(CML_ERR_INTERNAL, "default of parameter %s", defs[i].name);
    }
    return CML_OK;
}

cml_status cml_params_set(const cml_param_def *defs, int n_defs, void *params, const char *key,
                          const char *value)
{
    const cml_param_def *d = find_def(defs, n_defs, key);
    if (!d) {
        char names[1024];
        list_names(defs, n_defs, names, sizeof names);
        return cml_fail(CML_ERR_ARG, "unknown parameter \"%s\"; valid parameters: %s", key, names);
    }
    return set_one(d, params, value);
}

cml_status cml_params_get(const cml_param_def *defs, int n_defs, const void *params,
                          const char *key, char *buf, size_t buflen)
{
    const cml_param_def *d = find_def(defs, n_defs, key);
    if (!d) return cml_fail(CML_ERR_ARG, "unknown parameter \"%s\"", key);
    const char *field = (const char *)params + d->offset;
    switch (d->type) {
    case CML_PARAM_INT: snprintf(buf, buflen, "%d", *(const int *)field); break;
    case CML_PARAM_DOUBLE: snprintf(buf, buflen, "%.17g", *(const double *)field); break;
    case CML_PARAM_BOOL: snprintf(buf, buflen, "%s", *(const int *)field ? "true" : "false"); break;
    case CML_PARAM_ENUM: choice_name(d->choices, *(const int *)field, buf, buflen); break;
    case CML_PARAM_STRING: snprintf(buf, buflen, "%s", field); break;
    }
    return CML_OK;
}

const char *cml_params_check(const cml_param_def *defs, int n_defs, const void *params)
{
    static _Thread_local char msg[256];
    for (int i = 0; i < n_defs; i++) {
        const cml_param_def *d = &defs[i];
        const char *field = (const char *)params + d->offset;
        double v;
        switch (d->type) {
        case CML_PARAM_INT: v = *(const int *)field; break;
        case CML_PARAM_DOUBLE: v = *(const double *)field; break;
        case CML_PARAM_ENUM: {
            int idx = *(const int *)field;
            char probe[64];
            choice_name(d->choices, idx, probe, sizeof probe);
            if (idx < 0 || strcmp(probe, "?") == 0) {
                snprintf(msg, sizeof msg, "%s: invalid choice %d (valid: %s)", d->name, idx,
                         d->choices);
                return msg;
            }
            continue;
        }
        default: continue;
        }
        if (!in_range(d, v)) {
            snprintf(msg, sizeof msg, "%s = %.17g is out of range [%s%.17g, %.17g]", d->name, v,
                     d->min_open ? "(" : "", d->min, d->max);
            return msg;
        }
    }
    return NULL;
}

cml_status cml_params_save(const cml_param_def *defs, int n_defs, const void *params,
                           cml_gguf_writer *w)
{
    char key[256], buf[CML_PARAM_STRLEN + 8];
    for (int i = 0; i < n_defs; i++) {
        const cml_param_def *d = &defs[i];
        const char *field = (const char *)params + d->offset;
        snprintf(key, sizeof key, "cml.param.%s", d->name);
        cml_status st;
        switch (d->type) {
        case CML_PARAM_INT: st = cml_gguf_set_i64(w, key, *(const int *)field); break;
        case CML_PARAM_DOUBLE: st = cml_gguf_set_f64(w, key, *(const double *)field); break;
        case CML_PARAM_BOOL: st = cml_gguf_set_bool(w, key, *(const int *)field); break;
        default: /* enums stored by name so reordering choices can never remap them */
            cml_params_get(defs, n_defs, params, d->name, buf, sizeof buf);
            st = cml_gguf_set_str(w, key, buf);
        }
        if (st != CML_OK) return st;
    }
    return CML_OK;
}

cml_status cml_params_load(const cml_param_def *defs, int n_defs, void *params, const cml_gguf *g)
{
    char key[256], buf[64];
    cml_status st = cml_params_init(defs, n_defs, params);
    if (st != CML_OK) return st;
    for (int i = 0; i < n_defs; i++) {
        const cml_param_def *d = &defs[i];
        char *field = (char *)params + d->offset;
        snprintf(key, sizeof key, "cml.param.%s", d->name);
        /* A parameter added after the file was written keeps its default. */
        if (!cml_gguf_has(g, key)) continue;
        switch (d->type) {
        case CML_PARAM_INT: {
            int64_t v;
            CML_CHECK(cml_gguf_get_i64(g, key, &v));
            snprintf(buf, sizeof buf, "%lld", (long long)v);
            st = set_one(d, params, buf);
            break;
        }
        case CML_PARAM_DOUBLE: {
            double v;
            CML_CHECK(cml_gguf_get_f64(g, key, &v));
            if (!in_range(d, v))
                return cml_fail(CML_ERR_FORMAT, "%s: %s = %.17g is out of range", cml_gguf_name(g),
                                key, v);
            *(double *)field = v;
            st = CML_OK;
            break;
        }
        case CML_PARAM_BOOL: {
            int v;
            CML_CHECK(cml_gguf_get_bool(g, key, &v));
            *(int *)field = v != 0;
            st = CML_OK;
            break;
        }
        default: {
            const char *s;
            CML_CHECK(cml_gguf_get_str(g, key, &s));
            st = set_one(d, params, s);
        }
        }
        if (st != CML_OK) return cml_fail_context(CML_ERR_FORMAT, "%s: %s", cml_gguf_name(g), key);
    }
    return CML_OK;
}
