/*
 * test_golden_decomp.c — PCA (full, covariance_eigh, randomized, auto) and
 * TruncatedSVD (dense and CSR) against scikit-learn 1.2
 * (tests/gen/gen_decomp.py -> golden/decomp.txt) on digits, wine
 * (standardized) and diabetes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml/decomp.h"
#include "golden.h"

static golden *G;
static const char *names[3] = {"digits", "wine", "diabetes"};
static const char *ncomp[3] = {"30", "None", "None"};
static double *data[3];
static int64_t rows[3], cols[3];

static int setup(void **state)
{
    (void)state;
    G = golden_load("golden/decomp.txt");
    double *y;
    for (int s = 0; s < 3; s++) {
        if (s == 1) { /* standardized wine comes from the golden file */
            const double *w = golden_get(G, "wine_X", &rows[1], &cols[1]);
            data[1] = malloc(sizeof(double) * (size_t)(rows[1] * cols[1]));
            memcpy(data[1], w, sizeof(double) * (size_t)(rows[1] * cols[1]));
            continue;
        }
        test_load_dataset(names[s], &data[s], &rows[s], &cols[s], &y);
        free(y);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++)
        free(data[s]);
    golden_free(G);
    return 0;
}

static const double *gget(const char *fmt, const char *a, int64_t *r, int64_t *c)
{
    char name[128];
    snprintf(name, sizeof name, fmt, a);
    return golden_get(G, name, r, c);
}

/* Max |got - want| over rows of (k, p) components, after aligning each
 * row's sign; *flips counts rows whose sign differed. */
static double comp_diff(const double *got, const double *want, int64_t k, int64_t p, int *flips)
{
    double worst = 0;
    *flips = 0;
    for (int64_t t = 0; t < k; t++) {
        double dot = 0;
        for (int64_t j = 0; j < p; j++)
            dot += got[t * p + j] * want[t * p + j];
        double sg = dot < 0 ? -1 : 1;
        *flips += dot < 0;
        for (int64_t j = 0; j < p; j++)
            worst = fmax(worst, fabs(sg * got[t * p + j] - want[t * p + j]));
    }
    return worst;
}

static double max_rel(const double *got, const double *want, int64_t n, double scale)
{
    double w = 0;
    for (int64_t i = 0; i < n; i++)
        w = fmax(w, fabs(got[i] - want[i]) / fmax(fabs(want[i]), scale));
    return w;
}

/* svd_solver=full: components (sign included) within 1e-8, variances
 * within 1e-10 relative, transform / inverse_transform within 1e-8. */
static void test_pca_full(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++) {
        cml_matrix X = cml_matrix_view(data[s], rows[s], cols[s]);
        for (int whiten = 0; whiten < 2; whiten++) {
            cml_pca_params p = cml_pca_params_default();
            p.svd_solver = CML_PCA_FULL;
            p.whiten = whiten;
            snprintf(p.n_components, sizeof p.n_components, "%s", ncomp[s]);
            cml_pca *m;
            assert_int_equal(cml_pca_fit(&p, &X, &m), CML_OK);
            int64_t k, pp;
            const double *wc = gget("%s_components", names[s], &k, &pp);
            assert_int_equal(cml_pca_n_components(m), k);
            assert_string_equal(cml_pca_solver_used(m), "full");
            int flips;
            double cd = comp_diff(cml_pca_components(m), wc, k, pp, &flips);
            double evd =
                max_rel(cml_pca_explained_variance(m), gget("%s_ev", names[s], 0, 0), k, 0);
            if (!whiten)
                print_message("%s full: components max diff %.3g (%d sign flips), explained "
                              "variance max rel diff %.3g\n",
                              names[s], cd, flips, evd);
            assert_true(cd < 1e-8);
            assert_int_equal(flips, 0);
            assert_true(evd < 1e-10);
            assert_close(cml_pca_explained_variance_ratio(m), gget("%s_evr", names[s], 0, 0), k,
                         1e-10, 0, "explained_variance_ratio");
            assert_close(cml_pca_singular_values(m), gget("%s_sv", names[s], 0, 0), k, 1e-10, 0,
                         "singular_values");
            assert_close(cml_pca_mean(m), gget("%s_mean", names[s], 0, 0), pp, 1e-12, 1e-12,
                         "mean");
            double nv = cml_pca_noise_variance(m);
            assert_close(&nv, gget("%s_noise", names[s], 0, 0), 1, 1e-10, 1e-12, "noise");

            char tag[64];
            snprintf(tag, sizeof tag, "%s_w%d", names[s], whiten);
            double *Z = malloc(sizeof(double) * 20 * (size_t)k);
            double *R = malloc(sizeof(double) * 20 * (size_t)pp);
            cml_matrix X20 = cml_matrix_view(data[s], 20, cols[s]);
            assert_int_equal(cml_pca_transform(m, &X20, Z), CML_OK);
            assert_close(Z, gget("%s_transform", tag, 0, 0), 20 * k, 1e-8, 1e-8, "transform");
            cml_matrix Zm = cml_matrix_view(Z, 20, k);
            assert_int_equal(cml_pca_inverse_transform(m, &Zm, R), CML_OK);
            assert_close(R, gget("%s_inverse", tag, 0, 0), 20 * pp, 1e-8, 1e-8,
                         "inverse_transform");
            free(Z);
            free(R);
            cml_pca_free(m);
        }
    }
}

/* n_components as a fraction and "mle" pick sklearn's count. */
static void test_pca_n_components_rules(void **state)
{
    (void)state;
    const char *spec[2] = {"0.95", "mle"};
    const char *key[2] = {"%s_frac95_k", "%s_mle_k"};
    for (int s = 0; s < 3; s++)
        for (int t = 0; t < 2; t++) {
            cml_matrix X = cml_matrix_view(data[s], rows[s], cols[s]);
            cml_pca_params p = cml_pca_params_default();
            p.svd_solver = CML_PCA_FULL;
            snprintf(p.n_components, sizeof p.n_components, "%s", spec[t]);
            cml_pca *m;
            assert_int_equal(cml_pca_fit(&p, &X, &m), CML_OK);
            assert_int_equal(cml_pca_n_components(m), (int64_t)*gget(key[t], names[s], 0, 0));
            cml_pca_free(m);
        }
}

/* covariance_eigh (and auto, which picks it for tall digits): the same
 * answer to the accuracy of an eigendecomposition of X^T X. */
static void test_pca_covariance(void **state)
{
    (void)state;
    for (int s = 0; s < 3; s++) {
        cml_matrix X = cml_matrix_view(data[s], rows[s], cols[s]);
        cml_pca_params p = cml_pca_params_default();
        p.svd_solver = s == 0 ? CML_PCA_AUTO : CML_PCA_COVARIANCE_EIGH;
        snprintf(p.n_components, sizeof p.n_components, "%s", ncomp[s]);
        cml_pca *m;
        assert_int_equal(cml_pca_fit(&p, &X, &m), CML_OK);
        assert_string_equal(cml_pca_solver_used(m), "covariance_eigh");
        int64_t k, pp;
        const double *wc = gget("%s_components", names[s], &k, &pp);
        const double *ev = gget("%s_ev", names[s], 0, 0);
        int flips;
        double cd = comp_diff(cml_pca_components(m), wc, k, pp, &flips);
        double evd = max_rel(cml_pca_explained_variance(m), ev, k, 0);
        print_message("%s covariance_eigh: components max diff %.3g (%d sign flips), explained "
                      "variance max rel diff %.3g\n",
                      names[s], cd, flips, evd);
        assert_true(cd < 1e-8);
        assert_int_equal(flips, 0);
        assert_true(evd < 1e-9);
        cml_pca_free(m);
    }
}

/* randomized: explained variance within 1e-3 relative of the exact one. */
static void test_pca_randomized(void **state)
{
    (void)state;
    cml_matrix X = cml_matrix_view(data[0], rows[0], cols[0]);
    cml_pca_params p = cml_pca_params_default();
    p.svd_solver = CML_PCA_RANDOMIZED;
    snprintf(p.n_components, sizeof p.n_components, "10");
    cml_pca *m;
    assert_int_equal(cml_pca_fit(&p, &X, &m), CML_OK);
    const double *ev = gget("%s_ev", "digits", 0, 0);
    double evd = max_rel(cml_pca_explained_variance(m), ev, 10, 0);
    int flips;
    double cd =
        comp_diff(cml_pca_components(m), gget("%s_components", "digits", 0, 0), 10, 64, &flips);
    print_message("digits randomized (10 comps): explained variance max rel diff %.3g, "
                  "components max diff %.3g, %d sign flips\n",
                  evd, cd, flips);
    assert_true(evd < 1e-3);
    cml_pca_free(m);
}

/* TruncatedSVD: singular values / variances within 1e-3 of sklearn's
 * randomized run; CSR input gives the dense answer. */
static void test_truncated_svd(void **state)
{
    (void)state;
    int64_t n = rows[0], d = cols[0];
    cml_matrix X = cml_matrix_view(data[0], n, d);
    /* CSR copy of digits (about half the pixels are 0). */
    int64_t *indptr = calloc((size_t)n + 1, sizeof(int64_t));
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)(n * d));
    double *val = malloc(sizeof(double) * (size_t)(n * d));
    int64_t nnz = 0;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < d; j++)
            if (data[0][i * d + j] != 0) {
                idx[nnz] = (int32_t)j;
                val[nnz++] = data[0][i * d + j];
            }
        indptr[i + 1] = nnz;
    }
    cml_csr C = {indptr, idx, val, n, d, nnz};
    for (int k = 2; k <= 5; k += 3) {
        char key[32];
        cml_truncated_svd_params p = cml_truncated_svd_params_default();
        p.n_components = k;
        cml_truncated_svd *m, *mc;
        assert_int_equal(cml_truncated_svd_fit(&p, &X, &m), CML_OK);
        assert_int_equal(cml_truncated_svd_fit_csr(&p, &C, &mc), CML_OK);
        snprintf(key, sizeof key, "tsvd%d_sv", k);
        const double *sv = golden_get(G, key, NULL, NULL);
        snprintf(key, sizeof key, "tsvd%d_ev", k);
        const double *ev = golden_get(G, key, NULL, NULL);
        snprintf(key, sizeof key, "tsvd%d_components", k);
        const double *wc = golden_get(G, key, NULL, NULL);
        int flips;
        double svd = max_rel(cml_truncated_svd_singular_values(m), sv, k, 0);
        double evd = max_rel(cml_truncated_svd_explained_variance(m), ev, k, 0);
        double cd = comp_diff(cml_truncated_svd_components(m), wc, k, d, &flips);
        print_message("truncated_svd k=%d: singular values rel diff %.3g, explained variance "
                      "%.3g, components %.3g (%d flips)\n",
                      k, svd, evd, cd, flips);
        assert_true(svd < 1e-3);
        assert_true(evd < 1e-3);
        assert_int_equal(flips, 0);
        assert_close(cml_truncated_svd_components(mc), cml_truncated_svd_components(m), k * d, 1e-8,
                     1e-10, "CSR vs dense components");
        double *Z = malloc(sizeof(double) * (size_t)(n * k));
        double *Zc = malloc(sizeof(double) * (size_t)(n * k));
        assert_int_equal(cml_truncated_svd_transform(m, &X, Z), CML_OK);
        assert_int_equal(cml_truncated_svd_transform_csr(m, &C, Zc), CML_OK);
        assert_close(Zc, Z, n * k, 1e-12, 1e-10, "CSR vs dense transform");
        free(Z);
        free(Zc);
        cml_truncated_svd_free(m);
        cml_truncated_svd_free(mc);
    }
    free(indptr);
    free(idx);
    free(val);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pca_full),       cmocka_unit_test(test_pca_n_components_rules),
        cmocka_unit_test(test_pca_covariance), cmocka_unit_test(test_pca_randomized),
        cmocka_unit_test(test_truncated_svd),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
