/*
 * gbm_constraints.c — parsing of XGBoost's monotone_constraints ("(1,0,-1)":
 * +1 the prediction may only increase with the feature, -1 only decrease,
 * 0 free; fewer entries than features are padded with 0) and
 * interaction_constraints ("[[0,1],[2,3,4]]": feature indices allowed to
 * appear together on a root-to-leaf path) into the arrays the tree grower
 * uses (gbm_tree.c applies them as XGBoost 1.7's TreeEvaluator and
 * FeatureInteractionConstraintHost do).
 *
 * Complexity O(length of the strings + n_sets * n_features / 64).
 * Thread-safety: pure functions.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "ensemble/gbm_internal.h"

static const char *skip_ws(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* Parses an integer; returns the position after it or NULL. */
static const char *parse_long(const char *s, long *v)
{
    char *end;
    s = skip_ws(s);
    if (!(*s == '-' || *s == '+' || isdigit((unsigned char)*s))) return NULL;
    *v = strtol(s, &end, 10);
    return end == s ? NULL : skip_ws(end);
}

static cml_status bad(const char *name, const char *text, const char *why)
{
    return cml_fail(CML_ERR_ARG, "%s = \"%s\": %s", name, text, why);
}

/* The sparse form "{index:c, index:c}" (braces optional), XGBoost's
 * Python dict form with feature indices: wide data needs no list of zeros.
 * Fills out->mono when n_features >= 0 and a constraint is non-zero. */
static cml_status parse_mono_sparse(const char *text, int64_t n_features, gbm_constraints *out)
{
    const char *s = skip_ws(text);
    const int brace = *s == '{';
    if (brace) s = skip_ws(s + 1);
    int8_t *mono = n_features > 0 ? cml_calloc((size_t)n_features, 1) : NULL;
    if (n_features > 0 && !mono) return CML_ERR_NOMEM;
    int any = 0;
    while (*s && *s != '}') {
        long idx, v;
        const char *e = parse_long(s, &idx);
        if (!e || *e != ':' || idx < 0 || !(e = parse_long(e + 1, &v)) || v < -1 || v > 1) {
            free(mono);
            return bad("monotone_constraints", text,
                       "expected index:constraint pairs such as \"{3:1, 7:-1}\" (constraint "
                       "-1, 0 or 1)");
        }
        if (n_features >= 0 && idx >= n_features) {
            free(mono);
            return cml_fail(CML_ERR_ARG,
                            "monotone_constraints: feature %ld does not exist (X has %lld "
                            "features)",
                            idx, (long long)n_features);
        }
        if (mono) mono[idx] = (int8_t)v;
        any |= v != 0;
        s = *e == ',' ? skip_ws(e + 1) : e;
    }
    if (brace != (*s == '}') || (brace && *skip_ws(s + 1))) {
        free(mono);
        return bad("monotone_constraints", text, "unbalanced braces");
    }
    if (any && mono)
        out->mono = mono;
    else
        free(mono);
    return CML_OK;
}

cml_status gbm_constraints_parse(const cml_gbm_params *p, int64_t n_features, gbm_constraints *out)
{
    memset(out, 0, sizeof *out);
    cml_status st = CML_OK;
    /* ---- monotone: "(c0, c1, ...)", "[..]", a bare list, or "{i:c, ...}" */
    const char *s = skip_ws(p->monotone_constraints);
    if (strchr(s, ':')) {
        CML_CHECK(parse_mono_sparse(s, n_features, out));
        s = "";
    }
    if (*s) {
        const char close = *s == '(' ? ')' : *s == '[' ? ']' : 0;
        if (close) s++;
        int64_t cap = 16, n = 0;
        int8_t *mono = cml_alloc_array(cap, 1);
        if (!mono) return CML_ERR_NOMEM;
        s = skip_ws(s);
        while (*s && *s != close) {
            long v;
            const char *e = parse_long(s, &v);
            if (!e || v < -1 || v > 1) {
                free(mono);
                return bad("monotone_constraints", p->monotone_constraints,
                           "expected a list of -1, 0 or 1 such as \"(1,0,-1)\"");
            }
            if (n == cap) {
                int8_t *nm = cml_realloc(mono, (size_t)(cap *= 2));
                if (!nm) {
                    free(mono);
                    return CML_ERR_NOMEM;
                }
                mono = nm;
            }
            mono[n++] = (int8_t)v;
            s = *e == ',' ? skip_ws(e + 1) : e;
            if (e == s && *s && *s != close) {
                free(mono);
                return bad("monotone_constraints", p->monotone_constraints,
                           "entries must be separated by commas");
            }
        }
        if (close && *s != close) {
            free(mono);
            return bad("monotone_constraints", p->monotone_constraints, "missing closing bracket");
        }
        if (n_features >= 0 && n > n_features) {
            free(mono);
            return cml_fail(CML_ERR_ARG,
                            "monotone_constraints has %lld entries but X has %lld features",
                            (long long)n, (long long)n_features);
        }
        int any = 0;
        for (int64_t j = 0; j < n; j++)
            any |= mono[j] != 0;
        if (n_features < 0 || !any) {
            free(mono);
        } else { /* pad with 0 to n_features, as XGBoost */
            int8_t *full = cml_calloc((size_t)n_features, 1);
            if (!full) {
                free(mono);
                return CML_ERR_NOMEM;
            }
            memcpy(full, mono, (size_t)n);
            free(mono);
            out->mono = full;
        }
    }
    /* ---- interactions: "[[0,1],[2,3,4]]" */
    s = skip_ws(p->interaction_constraints);
    if (!*s) return CML_OK;
    const char *const text = p->interaction_constraints;
    if (*s != '[') return bad("interaction_constraints", text, "expected [[i,j,...],[k,...]]");
    s = skip_ws(s + 1);
    const int64_t F = n_features < 0 ? 0 : n_features;
    out->words = (F + 63) / 64;
    int cap_sets = 0;
    while (*s == '[') {
        if (out->n_sets == cap_sets) {
            cap_sets = cap_sets ? 2 * cap_sets : 8;
            uint64_t *ns = cml_realloc(out->sets, (size_t)cap_sets *
                                                      (size_t)CML_MAX(out->words, 1) * sizeof *ns);
            if (!ns) {
                st = CML_ERR_NOMEM;
                goto fail;
            }
            out->sets = ns;
        }
        uint64_t *set = out->sets + (int64_t)out->n_sets * out->words;
        memset(set, 0, (size_t)out->words * sizeof *set);
        out->n_sets++;
        s = skip_ws(s + 1);
        while (*s && *s != ']') {
            long v;
            const char *e = parse_long(s, &v);
            if (!e || v < 0) {
                st = bad("interaction_constraints", text,
                         "expected lists of feature indices (>= 0) such as [[0,1],[2,3]]");
                goto fail;
            }
            if (n_features >= 0 && v >= n_features) {
                st = cml_fail(CML_ERR_ARG,
                              "interaction_constraints: feature %ld does not exist "
                              "(X has %lld features)",
                              v, (long long)n_features);
                goto fail;
            }
            if (n_features >= 0) set[v / 64] |= (uint64_t)1 << (v % 64);
            s = *e == ',' ? skip_ws(e + 1) : e;
        }
        if (*s != ']') {
            st = bad("interaction_constraints", text, "missing ]");
            goto fail;
        }
        s = skip_ws(s + 1);
        if (*s == ',') s = skip_ws(s + 1);
    }
    if (*s != ']' || *skip_ws(s + 1)) {
        st = bad("interaction_constraints", text, "expected [[i,j,...],[k,...]]");
        goto fail;
    }
    if (n_features < 0 || out->n_sets == 0) {
        free(out->sets);
        out->sets = NULL;
        out->n_sets = 0;
    }
    return CML_OK;
fail:
    gbm_constraints_free(out);
    return st;
}

void gbm_constraints_free(gbm_constraints *c)
{
    if (!c) return;
    free(c->mono);
    free(c->sets);
    memset(c, 0, sizeof *c);
}
