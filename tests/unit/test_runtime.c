/*
 * test_runtime.c — the process-wide runtime settings users rely on: the
 * thread count (--threads / CML_NUM_THREADS) and cml_blas_autotune's promise
 * that BLAS calls run on the calling thread unless the user asked for BLAS
 * threads (docs/blas.md, "Threads: let cml own them").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cml/cml.h"

static void test_thread_count(void **state)
{
    (void)state;
    setenv("CML_NUM_THREADS", "3", 1);
    cml_set_num_threads(0); /* 0: from the environment */
    assert_int_equal(cml_get_num_threads(), 3);
    cml_set_num_threads(5);
    assert_int_equal(cml_get_num_threads(), 5);
    setenv("CML_NUM_THREADS", "zero", 1); /* not a count: ignored, all cores */
    cml_set_num_threads(0);
    assert_true(cml_get_num_threads() >= 1);
    unsetenv("CML_NUM_THREADS");
}

/* OMP_NUM_THREADS set for other programs must not make BLIS thread cml's
 * calls; a BLIS_NUM_THREADS the user set stays. Run before any BLAS call:
 * BLIS reads the variables when it initializes. */
static void test_blas_threads(void **state)
{
    (void)state;
    if (strcmp(cml_blas_name(), "blis") != 0) skip();
    setenv("OMP_NUM_THREADS", "4", 1);
    unsetenv("BLIS_NUM_THREADS");
    cml_blas_autotune();
    assert_non_null(getenv("BLIS_NUM_THREADS"));
    assert_string_equal(getenv("BLIS_NUM_THREADS"), "1");
    setenv("BLIS_NUM_THREADS", "2", 1);
    cml_blas_autotune();
    assert_string_equal(getenv("BLIS_NUM_THREADS"), "2");
    unsetenv("BLIS_NUM_THREADS");
    unsetenv("OMP_NUM_THREADS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thread_count),
        cmocka_unit_test(test_blas_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
