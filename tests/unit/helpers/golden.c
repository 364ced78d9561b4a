/*
 * golden.c — see golden.h.
 */
#include "golden.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char name[128];
    int64_t rows, cols;
    double *v;
} entry;

struct golden {
    entry *e;
    int n;
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    if (len) *len = (size_t)n;
    return buf;
}

golden *golden_load(const char *path)
{
    char *buf = slurp(path, NULL);
    if (!buf) fail_msg("cannot read golden file %s (run tests from tests/)", path);
    golden *g = calloc(1, sizeof *g);
    char *p = buf;
    while (*p) {
        char *eol = strchr(p, '\n');
        if (eol) *eol = '\0';
        if (*p == '@') {
            entry e;
            long long r, c;
            if (sscanf(p + 1, "%127s %lld %lld", e.name, &r, &c) != 3)
                fail_msg("%s: bad header line '%s'", path, p);
            e.rows = r;
            e.cols = c;
            e.v = malloc(sizeof(double) * (size_t)(r * c > 0 ? r * c : 1));
            char *q = eol ? eol + 1 : p + strlen(p);
            for (int64_t k = 0; k < r * c; k++) {
                char *end;
                e.v[k] = strtod(q, &end);
                if (end == q) fail_msg("%s: array %s: expected %lld values", path, e.name, r * c);
                q = end;
            }
            g->e = realloc(g->e, sizeof(entry) * (size_t)(g->n + 1));
            g->e[g->n++] = e;
            eol = strchr(q, '\n');
            if (!eol) break;
            p = eol + 1;
            continue;
        }
        if (!eol) break;
        p = eol + 1;
    }
    free(buf);
    return g;
}

int golden_has(const golden *g, const char *name)
{
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->e[i].name, name) == 0) return 1;
    return 0;
}

const double *golden_get(const golden *g, const char *name, int64_t *rows, int64_t *cols)
{
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->e[i].name, name) == 0) {
            if (rows) *rows = g->e[i].rows;
            if (cols) *cols = g->e[i].cols;
            return g->e[i].v;
        }
    fail_msg("golden array '%s' not found", name);
    return NULL;
}

void golden_free(golden *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++)
        free(g->e[i].v);
    free(g->e);
    free(g);
}

void test_load_dataset(const char *name, double **X, int64_t *rows, int64_t *cols, double **y)
{
    char path[256];
    snprintf(path, sizeof path, "../data/%s.csv", name);
    char *buf = slurp(path, NULL);
    if (!buf) fail_msg("cannot read %s", path);
    char *p = strchr(buf, '\n');
    int64_t ncol = 1;
    for (char *q = buf; q < p; q++)
        ncol += *q == ',';
    int64_t nrow = 0;
    for (char *q = p + 1; *q; q++)
        nrow += *q == '\n';
    double *x = malloc(sizeof(double) * (size_t)(nrow * (ncol - 1)));
    double *t = malloc(sizeof(double) * (size_t)nrow);
    char *q = p + 1;
    for (int64_t i = 0; i < nrow; i++)
        for (int64_t j = 0; j < ncol; j++) {
            char *end;
            double v = strtod(q, &end);
            if (end == q)
                fail_msg("%s: row %lld col %lld not numeric", path, (long long)i + 2,
                         (long long)j + 1);
            if (j < ncol - 1)
                x[i * (ncol - 1) + j] = v;
            else
                t[i] = v;
            q = end + 1;
        }
    free(buf);
    *X = x;
    *y = t;
    *rows = nrow;
    *cols = ncol - 1;
}

void assert_close(const double *got, const double *want, int64_t n, double rtol, double atol,
                  const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        double a = got[i], b = want[i];
        if (isnan(a) && isnan(b)) continue;
        if (!(fabs(a - b) <= atol + rtol * fabs(b)))
            fail_msg("%s[%lld]: got %.17g, want %.17g (rtol %g, atol %g)", what, (long long)i, a, b,
                     rtol, atol);
    }
}
