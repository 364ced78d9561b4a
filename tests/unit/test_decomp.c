/*
 * test_decomp.c — PCA and TruncatedSVD beyond sklearn parity: errors,
 * the generic model layer (fit -> save -> load -> transform bit-identical),
 * whitening, reconstruction, thread-count independence.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cml/decomp.h"
#include "cml/model.h"
#include "decomp/svd.h"
#include "forged.h"
#include "golden.h"

static double *X;
static int64_t n, p;

static int setup(void **state)
{
    (void)state;
    double *y;
    test_load_dataset("wine", &X, &n, &p, &y);
    free(y);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(X);
    return 0;
}

static void test_errors(void **state)
{
    (void)state;
    cml_matrix Xm = cml_matrix_view(X, n, p);
    cml_pca *m;
    cml_pca_params pp = cml_pca_params_default();
    snprintf(pp.n_components, sizeof pp.n_components, "14"); /* wine has 13 features */
    assert_int_equal(cml_pca_fit(&pp, &Xm, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "n_components"));
    assert_non_null(strstr(cml_last_error(), "min(n_samples, n_features)=13"));
    snprintf(pp.n_components, sizeof pp.n_components, "abc");
    assert_int_equal(cml_pca_fit(&pp, &Xm, &m), CML_ERR_ARG);
    snprintf(pp.n_components, sizeof pp.n_components, "2.5");
    assert_int_equal(cml_pca_fit(&pp, &Xm, &m), CML_ERR_ARG);
    snprintf(pp.n_components, sizeof pp.n_components, "0.9");
    pp.svd_solver = CML_PCA_RANDOMIZED;
    assert_int_equal(cml_pca_fit(&pp, &Xm, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "randomized"));
    /* No variance at all: every solver refuses it (sklearn: NaN ratios). */
    double same[30 * 4];
    for (int i = 0; i < 30 * 4; i++)
        same[i] = (double)(i % 4);
    cml_matrix S = cml_matrix_view(same, 30, 4);
    for (int s = CML_PCA_AUTO; s <= CML_PCA_RANDOMIZED; s++) {
        pp = cml_pca_params_default();
        pp.svd_solver = s;
        snprintf(pp.n_components, sizeof pp.n_components, "2");
        assert_int_equal(cml_pca_fit(&pp, &S, &m), CML_ERR_ARG);
        assert_non_null(strstr(cml_last_error(), "constant"));
    }
    pp = cml_pca_params_default();
    snprintf(pp.iterated_power, sizeof pp.iterated_power, "lots");
    assert_int_equal(cml_pca_fit(&pp, &Xm, &m), CML_ERR_ARG);
    pp = cml_pca_params_default();
    snprintf(pp.n_components, sizeof pp.n_components, "mle");
    cml_matrix wide = cml_matrix_view(X, 5, p);
    assert_int_equal(cml_pca_fit(&pp, &wide, &m), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "mle"));
    cml_matrix one = cml_matrix_view(X, 1, p);
    pp = cml_pca_params_default();
    assert_int_equal(cml_pca_fit(&pp, &one, &m), CML_ERR_ARG);

    cml_truncated_svd *t;
    cml_truncated_svd_params tp = cml_truncated_svd_params_default();
    tp.n_components = 20;
    assert_int_equal(cml_truncated_svd_fit(&tp, &Xm, &t), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "n_components"));

    /* transform with the wrong width */
    pp = cml_pca_params_default();
    assert_int_equal(cml_pca_fit(&pp, &Xm, &m), CML_OK);
    cml_matrix narrow = cml_matrix_view(X, 10, 5);
    double out[200];
    assert_int_equal(cml_pca_transform(m, &narrow, out), CML_ERR_ARG);
    cml_pca_free(m);
}

static void round_trip(const char *algo, const char *k1, const char *v1, const char *k2,
                       const char *v2)
{
    cml_matrix Xm = cml_matrix_view(X, n, p);
    cml_model *m, *l;
    char path[256];
    snprintf(path, sizeof path, "/tmp/cml_test_decomp_%s_%d.gguf", algo, (int)getpid());
    assert_int_equal(cml_model_create(algo, &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, k1, v1), CML_OK);
    if (k2) assert_int_equal(cml_model_set_param(m, k2, v2), CML_OK);
    assert_int_equal(cml_model_fit(m, &Xm, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    assert_int_equal(cml_model_load(path, &l, NULL), CML_OK);
    int64_t k = cml_model_n_transform_cols(l);
    assert_int_equal(k, cml_model_n_transform_cols(m));
    double *a = malloc(sizeof(double) * (size_t)(n * k)),
           *b = malloc(sizeof(double) * (size_t)(n * k));
    assert_int_equal(cml_model_transform(m, &Xm, a), CML_OK);
    assert_int_equal(cml_model_transform(l, &Xm, b), CML_OK);
    assert_memory_equal(a, b, sizeof(double) * (size_t)(n * k));
    char *d = cml_model_describe(l);
    assert_non_null(d);
    free(d);
    free(a);
    free(b);
    cml_model_free(m);
    cml_model_free(l);
    unlink(path);
}

static void test_save_load(void **state)
{
    (void)state;
    round_trip("pca", "n_components", "5", "svd_solver", "full");
    round_trip("pca", "n_components", "0.99", "whiten", "true");
    round_trip("pca", "svd_solver", "covariance_eigh", NULL, NULL);
    round_trip("pca", "svd_solver", "randomized", "n_components", "3");
    round_trip("truncated_svd", "n_components", "4", NULL, NULL);
}

/* Whitened training scores have unit variance (ddof 1) and zero mean; with
 * all components, inverse_transform reconstructs X. */
static void test_whiten_and_reconstruct(void **state)
{
    (void)state;
    cml_matrix Xm = cml_matrix_view(X, n, p);
    for (int solver = 1; solver <= 2; solver++) {
        cml_pca_params pp = cml_pca_params_default();
        pp.whiten = 1;
        pp.svd_solver = solver;
        cml_pca *m;
        assert_int_equal(cml_pca_fit(&pp, &Xm, &m), CML_OK);
        int64_t k = cml_pca_n_components(m);
        assert_int_equal(k, p);
        double *Z = malloc(sizeof(double) * (size_t)(n * k));
        double *R = malloc(sizeof(double) * (size_t)(n * p));
        assert_int_equal(cml_pca_transform(m, &Xm, Z), CML_OK);
        for (int64_t t = 0; t < k; t++) {
            double s = 0, s2 = 0;
            for (int64_t i = 0; i < n; i++) {
                s += Z[i * k + t];
                s2 += Z[i * k + t] * Z[i * k + t];
            }
            assert_true(fabs(s / (double)n) < 1e-9);
            assert_true(fabs(s2 / (double)(n - 1) - 1.0) < 1e-8);
        }
        cml_matrix Zm = cml_matrix_view(Z, n, k);
        assert_int_equal(cml_pca_inverse_transform(m, &Zm, R), CML_OK);
        assert_close(R, X, n * p, 1e-9, 1e-9, "reconstruction");
        free(Z);
        free(R);
        cml_pca_free(m);
    }
}

static void test_thread_independence(void **state)
{
    (void)state;
    cml_matrix Xm = cml_matrix_view(X, n, p);
    cml_pca_params pp = cml_pca_params_default();
    pp.svd_solver = CML_PCA_RANDOMIZED;
    snprintf(pp.n_components, sizeof pp.n_components, "3");
    cml_pca *a, *b;
    cml_set_num_threads(1);
    assert_int_equal(cml_pca_fit(&pp, &Xm, &a), CML_OK);
    cml_set_num_threads(3);
    assert_int_equal(cml_pca_fit(&pp, &Xm, &b), CML_OK);
    assert_memory_equal(cml_pca_components(a), cml_pca_components(b), sizeof(double) * 3 * 13);
    cml_pca_free(a);
    cml_pca_free(b);
    cml_set_num_threads(0);
}

/* Upper triangle of A^T A for a row-major (r, c) A: the Gram matrix the
 * covariance route forms with dsyrk, here by plain loops. */
static void gram_of(const double *A, int64_t r, int64_t c, double *M)
{
    for (int64_t a = 0; a < c; a++)
        for (int64_t b = a; b < c; b++) {
            double s = 0;
            for (int64_t i = 0; i < r; i++)
                s += A[i * c + a] * A[i * c + b];
            M[a * c + b] = s;
        }
}

/* Max over the k rows of |a - (+-)b|, each row's sign aligned. */
static double rows_diff(const double *a, const double *b, int64_t k, int64_t c)
{
    double d = 0;
    for (int64_t j = 0; j < k; j++) {
        double dot = 0;
        for (int64_t t = 0; t < c; t++)
            dot += a[j * c + t] * b[j * c + t];
        for (int64_t t = 0; t < c; t++)
            d = fmax(d, fabs(a[j * c + t] - (dot < 0 ? -1 : 1) * b[j * c + t]));
    }
    return d;
}

/* The randomized SVD through the Gram matrix (PCA's route for tall data)
 * is the operator route's algorithm: with the same seed it gives the same
 * singular values and right vectors up to rounding and sign, for every
 * normalizer, and on a rank-deficient matrix whose sketch (l = 13) is wider
 * than its rank (4), where the Gram route must drop the null directions.
 * Raw wine (its proline column dominates) is ill-conditioned: there the
 * Gram route, which squares the condition, is still within 1e-10 of the
 * exact SVD, and without a normalizer the operator route is the less
 * accurate one (its sketch is not orthonormalised before the last product). */
static void test_randomized_gram_route(void **state)
{
    (void)state;
    int64_t r2 = 120, c2 = 20, rank = 4;
    double *low = malloc(sizeof(double) * (size_t)(r2 * c2));
    cml_rng g;
    cml_rng_seed(&g, 7);
    double L[120 * 4], R[4 * 20];
    for (int t = 0; t < 120 * 4; t++)
        L[t] = cml_rng_normal(&g);
    for (int t = 0; t < 4 * 20; t++)
        R[t] = cml_rng_normal(&g);
    for (int64_t i = 0; i < r2; i++)
        for (int64_t j = 0; j < c2; j++) {
            double s = 0;
            for (int64_t t = 0; t < rank; t++)
                s += L[i * rank + t] * R[t * c2 + j];
            low[i * c2 + j] = s;
        }
    const double *mats[2] = {X, low};
    int64_t rs[2] = {n, r2}, cs[2] = {p, c2};
    int norms[4] = {CML_POWER_LU, CML_POWER_QR, CML_POWER_NONE, CML_POWER_AUTO};
    int iters[4] = {7, 4, 2, 0};
    for (int d = 0; d < 2; d++) {
        int64_t r = rs[d], c = cs[d], k = 3;
        double *M = malloc(sizeof(double) * (size_t)(c * c));
        double *Ac = malloc(sizeof(double) * (size_t)(r * c));
        double *Se = malloc(sizeof(double) * (size_t)c),
               *Ue = malloc(sizeof(double) * (size_t)(r * c));
        double *Ve = malloc(sizeof(double) * (size_t)(c * c));
        memcpy(Ac, mats[d], sizeof(double) * (size_t)(r * c));
        assert_int_equal(dc_svd_full(Ac, r, c, Se, Ue, Ve), CML_OK);
        gram_of(mats[d], r, c, M);
        cml_matrix A = cml_matrix_view(mats[d], r, c);
        dc_linop op = dc_dense_op(&A);
        for (int v = 0; v < 4; v++) {
            double S1[3], S2[3], V1[3 * 20], V2[3 * 20];
            cml_rng a, b;
            cml_rng_seed(&a, 42);
            cml_rng_seed(&b, 42);
            assert_int_equal(dc_randomized_svd(&op, k, 10, iters[v], norms[v], &a, NULL, S1, V1),
                             CML_OK);
            assert_int_equal(dc_randomized_svd_gram(M, r, c, k, 10, iters[v], norms[v], &b, S2, V2),
                             CML_OK);
            double sd = 0, e1 = 0, e2 = 0;
            for (int64_t j = 0; j < k; j++) {
                sd = fmax(sd, fabs(S1[j] - S2[j]) / S1[j]);
                e1 = fmax(e1, fabs(S1[j] - Se[j]) / Se[j]);
                e2 = fmax(e2, fabs(S2[j] - Se[j]) / Se[j]);
            }
            double vd = rows_diff(V1, V2, k, c);
            double ve1 = rows_diff(V1, Ve, k, c), ve2 = rows_diff(V2, Ve, k, c);
            print_message("%s, normalizer %d, n_iter %d: Gram vs operator route: singular values "
                          "rel diff %.3g, components %.3g; vs exact: operator %.3g / %.3g, Gram "
                          "%.3g / %.3g\n",
                          d ? "rank-4 120x20" : "raw wine", norms[v], iters[v], sd, vd, e1, ve1, e2,
                          ve2);
            assert_true(e2 < 1e-10 && ve2 < 1e-9);
            assert_true(sd < 1e-10 && vd < fmax(1e-9, 2 * ve1));
        }
        free(M);
        free(Ac);
        free(Se);
        free(Ue);
        free(Ve);
    }
    free(low);
}

/* Forged files (loader audit): component / feature counts the components
 * tensor does not hold are format errors before anything is sized. */
static void test_forged_files(void **state)
{
    (void)state;
    double c[4] = {1, 0, 0, 1};
    for (int k = 0; k < 2; k++) {
        cml_gguf_writer *w = forged_begin(k ? "truncated_svd" : "pca");
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_components", 2), CML_OK);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_features", (int64_t)1 << 30), CML_OK);
        assert_int_equal(cml_gguf_set_i64(w, "cml.fit.n_samples", 10), CML_OK);
        assert_int_equal(cml_gguf_set_f64(w, "cml.fit.noise_variance", 0), CML_OK);
        assert_int_equal(cml_gguf_set_str(w, "cml.fit.svd_solver", "full"), CML_OK);
        assert_int_equal(cml_gguf_add_f64(w, "components", c, 2, 2), CML_OK);
        assert_int_equal(forged_load(w), CML_ERR_FORMAT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_whiten_and_reconstruct),
        cmocka_unit_test(test_thread_independence),
        cmocka_unit_test(test_randomized_gram_route),
        cmocka_unit_test(test_forged_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
