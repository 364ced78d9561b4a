/*
 * tree_params.c — parameter resolution shared by trees and forests, as
 * scikit-learn 1.2's BaseDecisionTree.fit and compute_sample_weight do it:
 * max_features (string forms), min_samples_split / min_samples_leaf (count
 * or fraction), class encoding and class weights (balanced, balanced on a
 * bootstrap sample, or an explicit map).
 * Thread-safety: pure functions; the check functions return messages in
 * thread-local storage.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "tree/cart.h"

static _Thread_local char msg_buf[256];

static int is_none(const char *s)
{
    return s[0] == '\0' || !strcmp(s, "None") || !strcmp(s, "none");
}

/* Parses max_features into a count (n_features known) or checks its syntax
 * (n_features < 0). Returns NULL or a message. */
static const char *parse_max_features(const char *s, int64_t d, int classifier, int64_t *out)
{
    if (is_none(s)) {
        *out = d;
        return NULL;
    }
    if (!strcmp(s, "sqrt") || (!strcmp(s, "auto") && classifier)) {
        *out = d > 0 ? CML_MAX(1, (int64_t)sqrt((double)d)) : 1;
        return NULL;
    }
    if (!strcmp(s, "auto")) {
        *out = d;
        return NULL;
    }
    if (!strcmp(s, "log2")) {
        *out = d > 0 ? CML_MAX(1, (int64_t)log2((double)d)) : 1;
        return NULL;
    }
    char *end;
    errno = 0;
    if (strpbrk(s, ".eE")) {
        double v = strtod(s, &end);
        if (end == s || *end || errno || !(v > 0.0 && v <= 1.0)) goto bad;
        *out = d > 0 ? CML_MAX(1, (int64_t)(v * (double)d)) : 1;
        return NULL;
    }
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < 1) goto bad;
    if (d >= 0 && v > d) {
        snprintf(msg_buf, sizeof msg_buf,
                 "max_features=%lld is more than the %lld features of X; HINT: use \"\" for all", v,
                 (long long)d);
        return msg_buf;
    }
    *out = v;
    return NULL;
bad:
    snprintf(msg_buf, sizeof msg_buf,
             "max_features=\"%s\" is not valid: use \"\" (all), \"sqrt\", \"log2\", an integer "
             ">= 1, or a fraction in (0, 1] written with a point (\"0.5\")",
             s);
    return msg_buf;
}

cml_status cml_cart_resolve_max_features(const char *s, int64_t n_features, int classifier,
                                         int64_t *out)
{
    const char *m = parse_max_features(s, n_features, classifier, out);
    return m ? cml_fail(CML_ERR_ARG, "%s", m) : CML_OK;
}

static const char *check_counts(double split, double leaf)
{
    if (!(split >= 2.0 && split == floor(split)) && !(split > 0.0 && split <= 1.0)) {
        snprintf(msg_buf, sizeof msg_buf,
                 "min_samples_split=%g must be an integer >= 2 or a fraction in (0, 1]", split);
        return msg_buf;
    }
    if (!(leaf >= 1.0 && leaf == floor(leaf)) && !(leaf > 0.0 && leaf < 1.0)) {
        snprintf(msg_buf, sizeof msg_buf,
                 "min_samples_leaf=%g must be an integer >= 1 or a fraction in (0, 1)", leaf);
        return msg_buf;
    }
    return NULL;
}

cml_status cml_cart_resolve_counts(double min_samples_split, double min_samples_leaf, int64_t n,
                                   int64_t *split, int64_t *leaf)
{
    const char *m = check_counts(min_samples_split, min_samples_leaf);
    if (m) return cml_fail(CML_ERR_ARG, "%s", m);
    int64_t l = min_samples_leaf >= 1.0 ? (int64_t)min_samples_leaf
                                        : (int64_t)ceil(min_samples_leaf * (double)n);
    int64_t s = min_samples_split >= 2.0 ? (int64_t)min_samples_split
                                         : CML_MAX(2, (int64_t)ceil(min_samples_split * (double)n));
    *leaf = l;
    *split = CML_MAX(s, 2 * l);
    return CML_OK;
}

const char *cml_cart_check_common(const char *max_features, double min_samples_split,
                                  double min_samples_leaf, int max_leaf_nodes)
{
    int64_t dummy;
    const char *m = parse_max_features(max_features, -1, 1, &dummy);
    if (m) return m;
    m = check_counts(min_samples_split, min_samples_leaf);
    if (m) return m;
    if (max_leaf_nodes == 1) {
        snprintf(msg_buf, sizeof msg_buf,
                 "max_leaf_nodes=1 is not valid: use 0 or -1 (None) or a value >= 2");
        return msg_buf;
    }
    return NULL;
}

/* ---------------------------------------------------------------- classes */

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Index of v in sorted c[0..k), or -1. */
static int64_t find_class(const double *c, int64_t k, double v)
{
    int64_t lo = 0, hi = k;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (c[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < k && c[lo] == v ? lo : -1;
}

cml_status cml_cart_encode_classes(const double *y, int64_t n, double **classes, int64_t *n_classes,
                                   int32_t *y_index)
{
    *classes = NULL;
    double *c = cml_alloc_array(n, sizeof *c);
    if (!c) return CML_ERR_NOMEM;
    memcpy(c, y, (size_t)n * sizeof *c);
    qsort(c, (size_t)n, sizeof *c, dbl_cmp);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || c[i] != c[k - 1]) c[k++] = c[i];
    for (int64_t i = 0; i < n; i++)
        y_index[i] = (int32_t)find_class(c, k, y[i]);
    double *shrunk = cml_realloc(c, (size_t)k * sizeof *c);
    *classes = shrunk ? shrunk : c;
    *n_classes = k;
    return CML_OK;
}

/* Parses "label:weight,..." into per-class weights (1 where unlisted).
 * Returns NULL or a message. classes NULL: syntax check only. */
static const char *parse_weight_map(const char *spec, const double *classes, int64_t k, double *cw)
{
    for (int64_t c = 0; c < k; c++)
        cw[c] = 1.0;
    const char *p = spec;
    while (*p) {
        char *end;
        while (isspace((unsigned char)*p))
            p++;
        double label = strtod(p, &end);
        if (end == p) goto bad;
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (*p != ':' && *p != '=') goto bad;
        p++;
        double w = strtod(p, &end);
        if (end == p || !(w >= 0.0) || isinf(w)) goto bad;
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == ',')
            p++;
        else if (*p)
            goto bad;
        if (classes) {
            int64_t i = find_class(classes, k, label);
            if (i < 0) {
                snprintf(msg_buf, sizeof msg_buf, "class_weight names class %g, which is not in y",
                         label);
                return msg_buf;
            }
            cw[i] = w;
        }
    }
    return NULL;
bad:
    snprintf(msg_buf, sizeof msg_buf,
             "class_weight=\"%s\" is not valid: use \"\" (none), \"balanced\", or a map "
             "\"label:weight,label:weight\" with weights >= 0",
             spec);
    return msg_buf;
}

const char *cml_cart_check_class_weight(const char *spec, int allow_subsample)
{
    if (is_none(spec) || !strcmp(spec, "balanced")) return NULL;
    if (!strcmp(spec, "balanced_subsample")) {
        if (allow_subsample) return NULL;
        snprintf(msg_buf, sizeof msg_buf,
                 "class_weight=\"balanced_subsample\" is for forests; use \"balanced\"");
        return msg_buf;
    }
    double dummy;
    return parse_weight_map(spec, NULL, 0, &dummy);
}

cml_status cml_cart_class_weight(const char *spec, int allow_subsample, const int32_t *y_index,
                                 const double *classes, int64_t n_classes, int64_t n,
                                 const double *counts_from, double *w)
{
    const char *m = cml_cart_check_class_weight(spec, allow_subsample);
    if (m) return cml_fail(CML_ERR_ARG, "%s", m);
    if (is_none(spec)) return CML_OK;
    double *cw = cml_alloc_array(n_classes, sizeof *cw);
    if (!cw) return CML_ERR_NOMEM;
    if (!strncmp(spec, "balanced", 8)) {
        /* compute_class_weight("balanced"): n / (n_present * count_k), over
         * the rows (or the bootstrap sample) given; absent classes weigh 0. */
        memset(cw, 0, (size_t)n_classes * sizeof *cw);
        double tot = 0.0;
        for (int64_t i = 0; i < n; i++) {
            double c = counts_from ? counts_from[i] : 1.0;
            cw[y_index[i]] += c;
            tot += c;
        }
        int64_t present = 0;
        for (int64_t c = 0; c < n_classes; c++)
            present += cw[c] > 0;
        for (int64_t c = 0; c < n_classes; c++)
            cw[c] = cw[c] > 0 ? tot / ((double)present * cw[c]) : 0.0;
    } else {
        m = parse_weight_map(spec, classes, n_classes, cw);
        if (m) {
            free(cw);
            return cml_fail(CML_ERR_ARG, "%s", m);
        }
    }
    for (int64_t i = 0; i < n; i++)
        w[i] *= cw[y_index[i]];
    free(cw);
    return CML_OK;
}

/* ---------------------------------------------------------------- glue */

cml_status cml_cart_make_config(int classifier, int criterion, int splitter, int max_depth,
                                double min_samples_split, double min_samples_leaf,
                                double min_weight_fraction_leaf, const char *max_features,
                                int max_leaf_nodes, double min_impurity_decrease, double ccp_alpha,
                                int64_t n, int64_t d, cml_cart_config *C)
{
    memset(C, 0, sizeof *C);
    static const cml_cart_criterion clf[] = {CML_CART_GINI, CML_CART_ENTROPY, CML_CART_ENTROPY};
    static const cml_cart_criterion reg[] = {CML_CART_MSE, CML_CART_FRIEDMAN_MSE, CML_CART_MAE};
    if (criterion < 0 || criterion > 2)
        return cml_fail(CML_ERR_ARG, "criterion index %d is out of range", criterion);
    C->criterion = classifier ? clf[criterion] : reg[criterion];
    C->random_splitter = splitter == 1;
    C->max_depth = max_depth <= 0 ? INT32_MAX : max_depth;
    CML_CHECK(cml_cart_resolve_counts(min_samples_split, min_samples_leaf, n, &C->min_samples_split,
                                      &C->min_samples_leaf));
    C->min_weight_fraction_leaf = min_weight_fraction_leaf;
    CML_CHECK(cml_cart_resolve_max_features(max_features, d, classifier, &C->max_features));
    if (max_leaf_nodes == 1)
        return cml_fail(CML_ERR_ARG, "max_leaf_nodes=1 is not valid: use 0 or -1 (None) or >= 2");
    C->max_leaf_nodes = max_leaf_nodes <= 0 ? -1 : max_leaf_nodes;
    C->min_impurity_decrease = min_impurity_decrease;
    C->ccp_alpha = ccp_alpha;
    return CML_OK;
}

cml_status cml_cart_check_inputs(const cml_matrix *X, const double *y, const double *sw,
                                 const char *who)
{
    CML_CHECK(cml_matrix_check(X, "X", 1));
    if (X->rows < 1 || X->cols < 1)
        return cml_fail(CML_ERR_ARG,
                        "%s: X must have at least one row and one column, got %lld x %lld", who,
                        (long long)X->rows, (long long)X->cols);
    if (!y) return cml_fail(CML_ERR_ARG, "%s needs a target y", who);
    for (int64_t i = 0; i < X->rows; i++)
        if (!isfinite(y[i]))
            return cml_fail(CML_ERR_ARG, "%s: target y row %lld is not finite", who,
                            (long long)i + 1);
    if (sw) {
        double tot = 0.0;
        for (int64_t i = 0; i < X->rows; i++) {
            if (!isfinite(sw[i]) || sw[i] < 0)
                return cml_fail(CML_ERR_ARG,
                                "%s: sample_weight row %lld is %g; weights must be finite and >= 0",
                                who, (long long)i + 1, sw[i]);
            tot += sw[i];
        }
        if (!(tot > 0))
            return cml_fail(CML_ERR_ARG,
                            "%s: sample_weight sums to 0; some weight must be positive", who);
    }
    return CML_OK;
}
