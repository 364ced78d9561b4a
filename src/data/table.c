/*
 * table.c — the cml_table a reader returns (dense f64 cells plus column
 * names, kinds and categorical levels) and the column-metadata helpers.
 *
 * Ownership: a table owns its data and columns; cml_table_free releases
 * both. Column arrays made by cml_columns_copy / cml_columns_load are freed
 * with cml_columns_free. Complexity: O(rows * cols) for the copies, O(cols)
 * for lookups. Thread-safety: no shared state; a const table may be read by
 * many threads.
 */
#include <string.h>

#include "cml/data.h"
#include "core/internal.h"

void cml_columns_free(cml_column *cols, int64_t n)
{
    if (!cols) return;
    for (int64_t j = 0; j < n; j++) {
        free(cols[j].name);
        if (cols[j].levels)
            for (int64_t l = 0; l < cols[j].n_levels; l++)
                free(cols[j].levels[l]);
        free(cols[j].levels);
    }
    free(cols);
}

cml_status cml_columns_copy(const cml_column *src, int64_t n, cml_column **dst)
{
    if (!dst) return cml_fail(CML_ERR_ARG, "cml_columns_copy: dst is NULL");
    *dst = NULL;
    if (n < 0 || (n > 0 && !src))
        return cml_fail(CML_ERR_ARG, "cml_columns_copy: %lld columns from %s", (long long)n,
                        src ? "an array" : "NULL");
    cml_column *d = cml_calloc((size_t)(n ? n : 1), sizeof *d);
    if (!d) return CML_ERR_NOMEM;
    for (int64_t j = 0; j < n; j++) {
        const cml_column *s = &src[j];
        d[j].kind = s->kind;
        d[j].name = cml_strdup(s->name ? s->name : "");
        if (!d[j].name) goto fail;
        if (s->kind != CML_COL_CATEGORICAL) continue;
        if (s->n_levels < 0 || (s->n_levels > 0 && !s->levels)) {
            cml_columns_free(d, n);
            return cml_fail(CML_ERR_ARG, "column \"%s\": %lld levels but no level names",
                            s->name ? s->name : "", (long long)s->n_levels);
        }
        d[j].levels = cml_calloc((size_t)(s->n_levels ? s->n_levels : 1), sizeof *d[j].levels);
        if (!d[j].levels) goto fail;
        d[j].n_levels = s->n_levels;
        for (int64_t l = 0; l < s->n_levels; l++) {
            d[j].levels[l] = cml_strdup(s->levels[l] ? s->levels[l] : "");
            if (!d[j].levels[l]) goto fail;
        }
    }
    *dst = d;
    return CML_OK;
fail:
    cml_columns_free(d, n);
    return CML_ERR_NOMEM;
}

void cml_table_free(cml_table *t)
{
    if (!t) return;
    free(t->data);
    cml_columns_free(t->columns, t->cols);
    free(t);
}

const char *const *cml_table_text(const cml_table *t, int64_t j)
{
    if (!t || j < 0 || j >= t->cols) return NULL;
    const cml_column *c = &t->columns[j];
    if (c->kind != CML_COL_TEXT || c->n_levels != t->rows || !c->levels) return NULL;
    return (const char *const *)c->levels;
}

int64_t cml_table_find(const cml_table *t, const char *name)
{
    if (!t || !name) return -1;
    for (int64_t j = 0; j < t->cols; j++)
        if (t->columns[j].name && strcmp(t->columns[j].name, name) == 0) return j;
    return -1;
}

cml_matrix cml_table_matrix(const cml_table *t)
{
    return cml_matrix_view(t->data, t->rows, t->cols);
}

cml_status cml_table_split_target(const cml_table *t, int64_t target, cml_table **X, double **y)
{
    if (!t || !X || !y) return cml_fail(CML_ERR_ARG, "cml_table_split_target: NULL argument");
    *X = NULL;
    *y = NULL;
    if (target < 0 || target >= t->cols)
        return cml_fail(CML_ERR_ARG, "target column %lld out of range [0, %lld)", (long long)target,
                        (long long)t->cols);
    cml_status st = CML_OK;
    const int64_t nc = t->cols - 1, rows = t->rows;
    cml_table *x = cml_calloc(1, sizeof *x);
    double *yy = cml_alloc_array(rows, sizeof *yy);
    if (!x || !yy) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    x->rows = rows;
    x->data = cml_alloc_array(rows * nc, sizeof *x->data);
    x->columns = cml_calloc((size_t)(nc ? nc : 1), sizeof *x->columns);
    if (!x->data || !x->columns) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* Column metadata: copy the two runs around the target. */
    cml_column *part = NULL;
    for (int run = 0; run < 2; run++) {
        int64_t from = run ? target + 1 : 0, cnt = run ? t->cols - target - 1 : target;
        if (cnt == 0) continue;
        CML_TRY(cml_columns_copy(t->columns + from, cnt, &part));
        memcpy(x->columns + (run ? target : 0), part, (size_t)cnt * sizeof *part);
        x->cols += cnt;
        free(part);
    }
    for (int64_t i = 0; i < rows; i++) {
        const double *r = t->data + i * t->cols;
        double *d = x->data + i * nc;
        memcpy(d, r, (size_t)target * sizeof *d);
        memcpy(d + target, r + target + 1, (size_t)(nc - target) * sizeof *d);
        yy[i] = r[target];
    }
    *X = x;
    *y = yy;
    return CML_OK;
fail:
    cml_table_free(x);
    free(yy);
    return st;
}
