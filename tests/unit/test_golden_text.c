/*
 * test_golden_text.c — CountVectorizer / TfidfVectorizer against
 * scikit-learn 1.2.1 (golden files from tests/gen/gen_text.py):
 *   - 14 settings on all 2200 documents of data/text/spam.csv: shape, the
 *     vocabulary (CRC-32 of every term), count matrices exactly (CRC-32 of
 *     indptr, indices and counts), tf-idf structure exactly and values per
 *     row within 1e-12, idf_ of every feature within 1e-12;
 *   - 13 settings on tricky documents (Unicode case and accents in several
 *     scripts, final sigma, numerics, underscores, whitespace kinds, CJK,
 *     astral characters, compatibility forms, ill-formed UTF-8, an empty
 *     document, stop words only): every term and every matrix entry;
 *   - the numpy-1.24 argsort behind max_features' tie-breaking, including
 *     inputs that push numpy's introsort into its heapsort;
 *   - end to end: TfidfVectorizer(max_features=3000) on a fixed 75/25 split
 *     of spam.csv, then MultinomialNB (predictions identical to sklearn's)
 *     and LogisticRegression (accuracy within 0.005 of sklearn's).
 * Documents come through libcml's CSV reader; their byte lengths are
 * checked against Python's csv module first.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cml/bayes.h"
#include "cml/data.h"
#include "cml/logreg.h"
#include "cml/text.h"
#include "helpers/golden.h"
#include "text/text_internal.h"

static golden *G, *GT;

/* ---------------------------------------------------------------- strings file */

typedef struct sblock {
    char name[96];
    int64_t n;
    char **items; /* (n) NUL-terminated (no item holds a NUL) */
} sblock;

static sblock *SB;
static int64_t NSB;

static char *unescape(const char *s, size_t n)
{
    char *o = malloc(n + 1), *p = o;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            *p++ = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 'n')
            *p++ = '\n';
        else if (c == 'r')
            *p++ = '\r';
        else if (c == 't')
            *p++ = '\t';
        else if (c == '\\')
            *p++ = '\\';
        else if (c == 'x') {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            *p++ = (char)strtol(hex, NULL, 16);
            i += 2;
        } else
            fail_msg("bad escape \\%c", c);
    }
    *p = '\0';
    return o;
}

static void strings_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    char *p = buf, *end = buf + len;
    sblock *cur = NULL;
    int64_t k = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (cur && k < cur->n) {
            cur->items[k++] = unescape(p, n);
        } else if (*p == '$') {
            SB = realloc(SB, (size_t)(NSB + 1) * sizeof *SB);
            cur = &SB[NSB++];
            long long cnt;
            assert_int_equal(sscanf(p + 1, "%95s %lld", cur->name, &cnt), 2);
            cur->n = cnt;
            cur->items = calloc((size_t)cnt + 1, sizeof *cur->items);
            k = 0;
        } else {
            assert_true(*p == '#' || n == 0);
        }
        p += n + 1;
    }
    free(buf);
}

static const sblock *strings_get(const char *name)
{
    for (int64_t i = 0; i < NSB; i++)
        if (strcmp(SB[i].name, name) == 0) return &SB[i];
    fail_msg("strings block %s missing", name);
    return NULL;
}

static void strings_free(void)
{
    for (int64_t i = 0; i < NSB; i++) {
        for (int64_t k = 0; k < SB[i].n; k++)
            free(SB[i].items[k]);
        free(SB[i].items);
    }
    free(SB);
}

/* ---------------------------------------------------------------- helpers */

static const char **SPAM;
static double *LABEL;
static int64_t NSPAM;
static cml_table *SPAM_TABLE;

/* spam.csv through libcml's reader: the text column is categorical, so each
 * document is its level's text. */
static void load_spam(void)
{
    cml_csv_opts o = cml_csv_opts_default();
    assert_int_equal(cml_csv_read("../data/text/spam.csv", &o, &SPAM_TABLE), CML_OK);
    cml_table *t = SPAM_TABLE;
    int64_t jt = cml_table_find(t, "text"), jl = cml_table_find(t, "label");
    assert_true(jt >= 0 && jl >= 0);
    assert_int_equal(t->columns[jt].kind, CML_COL_CATEGORICAL);
    NSPAM = t->rows;
    SPAM = malloc((size_t)NSPAM * sizeof *SPAM);
    LABEL = malloc((size_t)NSPAM * sizeof *LABEL);
    int64_t r, c;
    const double *len = golden_get(G, "spam.doc_len", &r, &c);
    const double *lab = golden_get(G, "spam.label", &r, &c);
    assert_int_equal(c, NSPAM);
    for (int64_t i = 0; i < NSPAM; i++) {
        double code = t->data[i * t->cols + jt];
        assert_false(isnan(code));
        SPAM[i] = t->columns[jt].levels[(int64_t)code];
        assert_int_equal(strlen(SPAM[i]), (size_t)len[i]);
        LABEL[i] = strcmp(t->columns[jl].levels[(int64_t)t->data[i * t->cols + jl]], "spam") == 0;
        assert_true(LABEL[i] == lab[i]);
    }
}

static void set_params(cml_tfidf_params *p, const sblock *b)
{
    *p = cml_tfidf_params_default();
    for (int64_t k = 0; k < b->n; k++) {
        char kv[256];
        snprintf(kv, sizeof kv, "%s", b->items[k]);
        char *eq = strchr(kv, '=');
        assert_non_null(eq);
        *eq = '\0';
        if (cml_tfidf_params_set(p, kv, eq + 1) != CML_OK) fail_msg("%s", cml_last_error());
    }
}

/* Fits the case's vectorizer; returns the feature names through the
 * count model of either kind. */
typedef struct fitted {
    cml_count *count;
    cml_tfidf *tfidf;
    const cml_count *names;
    cml_csr_owned *X;
} fitted;

static fitted fit_case(int is_tfidf, const cml_tfidf_params *p, const char *const *docs, int64_t n)
{
    fitted f = {NULL, NULL, NULL, NULL};
    cml_status st;
    if (is_tfidf) {
        st = cml_tfidf_fit_transform(p, docs, n, &f.tfidf, &f.X);
        if (!st) f.names = cml_tfidf_counter(f.tfidf);
    } else {
        st = cml_count_fit_transform(&p->count, docs, n, &f.count, &f.X);
        f.names = f.count;
    }
    if (st != CML_OK) fail_msg("fit: %s", cml_last_error());
    return f;
}

static void fitted_free(fitted *f)
{
    cml_count_free(f->count);
    cml_tfidf_free(f->tfidf);
    cml_csr_owned_free(f->X);
}

static uint32_t vocab_crc(const cml_count *m)
{
    uLong c = crc32(0L, Z_NULL, 0);
    for (int64_t j = 0; j < cml_count_n_features(m); j++) {
        const char *t = cml_count_feature_name(m, j);
        if (j) c = crc32(c, (const Bytef *)"", 1);
        c = crc32(c, (const Bytef *)t, (uInt)strlen(t));
    }
    return (uint32_t)c;
}

static uint32_t csr_crc(const cml_csr_owned *X, int with_counts)
{
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32(c, (const Bytef *)X->indptr, (uInt)((X->rows + 1) * 8)); /* little-endian host */
    c = crc32(c, (const Bytef *)X->indices, (uInt)(X->nnz * 4));
    if (with_counts)
        for (int64_t k = 0; k < X->nnz; k++) {
            int64_t v = (int64_t)X->data[k];
            assert_true((double)v == X->data[k]);
            c = crc32(c, (const Bytef *)&v, 8);
        }
    return (uint32_t)c;
}

static double gscalar(const char *name)
{
    return golden_get(G, name, NULL, NULL)[0];
}

/* ---------------------------------------------------------------- spam cases */

static void check_idf(const char *name, const cml_tfidf *m, const cml_csr_owned *X)
{
    char key[128];
    snprintf(key, sizeof key, "%s.idf_by_df", name);
    const double *idf = cml_tfidf_idf(m);
    if (!golden_has(G, key)) {
        assert_null(idf);
        return;
    }
    assert_non_null(idf);
    int64_t r, c;
    const double *g = golden_get(G, key, &r, &c);
    assert_int_equal(r, 2);
    double *df = calloc((size_t)X->cols, sizeof *df);
    for (int64_t k = 0; k < X->nnz; k++)
        df[X->indices[k]] += 1.0;
    double worst = 0;
    for (int64_t j = 0; j < X->cols; j++) {
        int64_t a = 0, b = c - 1; /* distinct dfs are sorted */
        while (a < b) {
            int64_t mid = (a + b) / 2;
            if (g[mid] < df[j])
                a = mid + 1;
            else
                b = mid;
        }
        assert_true(g[a] == df[j]);
        double e = fabs(idf[j] - g[c + a]) / g[c + a];
        if (e > worst) worst = e;
    }
    free(df);
    if (worst > 1e-12) fail_msg("%s: idf_ relative error %g", name, worst);
}

static void check_tfidf_values(const char *name, const cml_csr_owned *X)
{
    char key[128];
    int64_t r, c;
    snprintf(key, sizeof key, "%s.rowsum", name);
    const double *rs = golden_get(GT, key, &r, &c);
    assert_int_equal(c, X->rows);
    double worst = 0;
    for (int64_t d = 0; d < X->rows; d++) {
        double s = 0;
        for (int64_t k = X->indptr[d]; k < X->indptr[d + 1]; k++) {
            int64_t j = X->indices[k];
            s += X->data[k] * (1.0 + (double)((37 * j) % 101) / 101.0);
        }
        double e = fabs(s - rs[d]) / (fabs(rs[d]) > 1 ? fabs(rs[d]) : 1);
        if (e > worst) worst = e;
    }
    if (worst > 1e-12) fail_msg("%s: row sums differ by %g", name, worst);
    snprintf(key, sizeof key, "%s.head", name);
    const double *head = golden_get(G, key, &r, &c);
    assert_int_equal(c, X->indptr[3]);
    assert_close(X->data, head, c, 1e-12, 0, key);
}

static void test_spam_cases(void **state)
{
    (void)state;
    const sblock *cases = strings_get("spam.cases");
    for (int64_t i = 0; i < cases->n; i++) {
        const char *name = cases->items[i];
        char key[128];
        snprintf(key, sizeof key, "%s.params", name);
        cml_tfidf_params p;
        set_params(&p, strings_get(key));
        int is_tfidf = name[0] == 't';
        fitted f = fit_case(is_tfidf, &p, SPAM, NSPAM);
        snprintf(key, sizeof key, "%s.shape", name);
        const double *shape = golden_get(G, key, NULL, NULL);
        if (f.X->rows != (int64_t)shape[0] || f.X->cols != (int64_t)shape[1] ||
            f.X->nnz != (int64_t)shape[2])
            fail_msg("%s: shape %lld x %lld nnz %lld, sklearn %g x %g nnz %g", name,
                     (long long)f.X->rows, (long long)f.X->cols, (long long)f.X->nnz, shape[0],
                     shape[1], shape[2]);
        snprintf(key, sizeof key, "%s.vocab_crc", name);
        if (vocab_crc(f.names) != (uint32_t)gscalar(key)) fail_msg("%s: vocabulary differs", name);
        if (!is_tfidf) {
            snprintf(key, sizeof key, "%s.crc", name);
            if (csr_crc(f.X, 1) != (uint32_t)gscalar(key)) fail_msg("%s: counts differ", name);
        } else {
            snprintf(key, sizeof key, "%s.struct_crc", name);
            if (csr_crc(f.X, 0) != (uint32_t)gscalar(key)) fail_msg("%s: structure differs", name);
            check_tfidf_values(name, f.X);
            check_idf(name, f.tfidf, f.X);
        }
        /* transform of the training documents gives fit_transform's matrix */
        if (i % 4 == 0) {
            cml_csr_owned *T;
            cml_status st = is_tfidf ? cml_tfidf_transform(f.tfidf, SPAM, NSPAM, &T)
                                     : cml_count_transform(f.count, SPAM, NSPAM, &T);
            assert_int_equal(st, CML_OK);
            assert_int_equal(T->nnz, f.X->nnz);
            assert_memory_equal(T->indptr, f.X->indptr, (size_t)(T->rows + 1) * 8);
            assert_memory_equal(T->indices, f.X->indices, (size_t)T->nnz * 4);
            assert_memory_equal(T->data, f.X->data, (size_t)T->nnz * 8);
            cml_csr_owned_free(T);
        }
        fitted_free(&f);
    }
}

/* ---------------------------------------------------------------- tricky documents */

static void test_tricky(void **state)
{
    (void)state;
    const sblock *docs = strings_get("tricky.docs");
    const sblock *cases = strings_get("tricky.cases");
    for (int64_t i = 0; i < cases->n; i++) {
        const char *name = cases->items[i];
        char key[128];
        snprintf(key, sizeof key, "tricky.%s.params", name);
        cml_tfidf_params p;
        set_params(&p, strings_get(key));
        int is_tfidf = strncmp(name, "tfidf", 5) == 0;
        fitted f = fit_case(is_tfidf, &p, (const char *const *)docs->items, docs->n);
        snprintf(key, sizeof key, "tricky.%s.vocab", name);
        const sblock *v = strings_get(key);
        assert_int_equal(cml_count_n_features(f.names), v->n);
        for (int64_t j = 0; j < v->n; j++) {
            if (strcmp(cml_count_feature_name(f.names, j), v->items[j]) != 0)
                fail_msg("tricky.%s: feature %lld is \"%s\", sklearn \"%s\"", name, (long long)j,
                         cml_count_feature_name(f.names, j), v->items[j]);
            assert_int_equal(cml_count_lookup(f.names, v->items[j], strlen(v->items[j])), j);
        }
        int64_t r, c;
        snprintf(key, sizeof key, "tricky.%s.indptr", name);
        const double *ip = golden_get(G, key, &r, &c);
        assert_int_equal(c, f.X->rows + 1);
        for (int64_t d = 0; d <= f.X->rows; d++)
            assert_int_equal(f.X->indptr[d], (int64_t)ip[d]);
        snprintf(key, sizeof key, "tricky.%s.indices", name);
        const double *ix = golden_get(G, key, &r, &c);
        assert_int_equal(c, f.X->nnz);
        for (int64_t k = 0; k < f.X->nnz; k++)
            assert_int_equal(f.X->indices[k], (int64_t)ix[k]);
        snprintf(key, sizeof key, "tricky.%s.data", name);
        const double *dv = golden_get(G, key, &r, &c);
        assert_close(f.X->data, dv, f.X->nnz, is_tfidf ? 1e-12 : 0, 0, key);
        fitted_free(&f);
    }
}

/* ---------------------------------------------------------------- argsort */

static void test_np_argsort(void **state)
{
    (void)state;
    const char *names[] = {"ties", "ties_small", "organ", "m3killer"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char key[64];
        int64_t r, n;
        snprintf(key, sizeof key, "argsort.%s.v", names[i]);
        const double *v = golden_get(G, key, &r, &n);
        snprintf(key, sizeof key, "argsort.%s.idx", names[i]);
        const double *want = golden_get(G, key, &r, &n);
        int64_t *idx = malloc((size_t)n * sizeof *idx);
        cml_text_np_argsort(v, idx, n);
        for (int64_t k = 0; k < n; k++)
            if (idx[k] != (int64_t)want[k])
                fail_msg("argsort.%s: position %lld is %lld, numpy %g", names[i], (long long)k,
                         (long long)idx[k], want[k]);
        free(idx);
    }
}

/* ---------------------------------------------------------------- end to end */

static void test_spam_pipeline(void **state)
{
    (void)state;
    int64_t r, n;
    const double *perm = golden_get(G, "e2e.perm", &r, &n);
    assert_int_equal(n, NSPAM);
    const int64_t ntr = 1650, nte = n - ntr;
    const char **tr = malloc((size_t)ntr * sizeof *tr), **te = malloc((size_t)nte * sizeof *te);
    double *ytr = malloc((size_t)ntr * sizeof *ytr), *yte = malloc((size_t)nte * sizeof *yte);
    for (int64_t i = 0; i < n; i++) {
        int64_t d = (int64_t)perm[i];
        if (i < ntr) {
            tr[i] = SPAM[d];
            ytr[i] = LABEL[d];
        } else {
            te[i - ntr] = SPAM[d];
            yte[i - ntr] = LABEL[d];
        }
    }
    cml_tfidf_params p = cml_tfidf_params_default();
    assert_int_equal(cml_tfidf_params_set(&p, "max_features", "3000"), CML_OK);
    cml_tfidf *tv;
    cml_csr_owned *Str, *Ste;
    assert_int_equal(cml_tfidf_fit_transform(&p, tr, ntr, &tv, &Str), CML_OK);
    assert_int_equal(cml_tfidf_transform(tv, te, nte, &Ste), CML_OK);
    cml_csr vtr = cml_csr_owned_view(Str), vte = cml_csr_owned_view(Ste);
    double *Dtr, *Dte;
    assert_int_equal(cml_csr_to_dense(&vtr, &Dtr), CML_OK);
    assert_int_equal(cml_csr_to_dense(&vte, &Dte), CML_OK);
    cml_matrix Mtr = cml_matrix_view(Dtr, ntr, Str->cols),
               Mte = cml_matrix_view(Dte, nte, Ste->cols);
    double *pred = malloc((size_t)nte * sizeof *pred);

    cml_discrete_nb_params nbp = cml_multinomial_nb_params_default();
    cml_discrete_nb *nb;
    assert_int_equal(cml_multinomial_nb_fit(&nbp, &Mtr, ytr, &nb), CML_OK);
    assert_int_equal(cml_discrete_nb_predict(nb, &Mte, pred), CML_OK);
    const double *nb_want = golden_get(G, "e2e.nb_pred", &r, &n);
    assert_int_equal(n, nte);
    double acc = 0;
    for (int64_t i = 0; i < nte; i++) {
        assert_true(pred[i] == nb_want[i]);
        acc += pred[i] == yte[i];
    }
    acc /= (double)nte;
    assert_true(fabs(acc - gscalar("e2e.nb_acc")) < 1e-12);

    cml_logreg_params lp = cml_logreg_params_default();
    cml_logreg *lr;
    assert_int_equal(cml_logreg_fit(&lp, &Mtr, ytr, &lr), CML_OK);
    assert_int_equal(cml_logreg_predict(lr, &Mte, pred), CML_OK);
    double lacc = 0;
    for (int64_t i = 0; i < nte; i++)
        lacc += pred[i] == yte[i];
    lacc /= (double)nte;
    printf("spam pipeline: MultinomialNB %.4f (sklearn %.4f), LogisticRegression %.4f (sklearn "
           "%.4f)\n",
           acc, gscalar("e2e.nb_acc"), lacc, gscalar("e2e.lr_acc"));
    assert_true(fabs(lacc - gscalar("e2e.lr_acc")) <= 0.005);

    cml_logreg_free(lr);
    cml_discrete_nb_free(nb);
    free(pred);
    free(Dtr);
    free(Dte);
    cml_csr_owned_free(Str);
    cml_csr_owned_free(Ste);
    cml_tfidf_free(tv);
    free(tr);
    free(te);
    free(ytr);
    free(yte);
}

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/text.txt");
    GT = golden_load("golden/text_tfidf.txt");
    strings_load("golden/text_strings.txt");
    load_spam();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    golden_free(G);
    golden_free(GT);
    strings_free();
    free(SPAM);
    free(LABEL);
    cml_table_free(SPAM_TABLE);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_np_argsort),
        cmocka_unit_test(test_tricky),
        cmocka_unit_test(test_spam_cases),
        cmocka_unit_test(test_spam_pipeline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
