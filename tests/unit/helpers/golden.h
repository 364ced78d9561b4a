/*
 * golden.h — test helpers: golden files written by tests/gen/golden.py and a
 * loader for the numeric data CSV files (tests run from tests/, so data is
 * "../data/NAME.csv" and golden files "golden/NAME.txt").
 */
#ifndef CML_TEST_GOLDEN_H
#define CML_TEST_GOLDEN_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

typedef struct golden golden;

/* Loads a golden file; fails the test (cmocka) if it cannot. */
golden *golden_load(const char *path);
/* Array by name; fails the test if absent. rows/cols may be NULL. */
const double *golden_get(const golden *g, const char *name, int64_t *rows, int64_t *cols);
int golden_has(const golden *g, const char *name);
void golden_free(golden *g);

/* Loads ../data/<name>.csv (numeric, header, target last): X (rows, cols)
 * and y (rows), malloc'd. Test-only: does not use libcml's CSV reader, so
 * estimator tests do not depend on it. */
void test_load_dataset(const char *name, double **X, int64_t *rows, int64_t *cols, double **y);

/* |a-b| <= atol + rtol*|b| elementwise, with a message naming the first
 * failing index; NaNs must match. */
void assert_close(const double *got, const double *want, int64_t n, double rtol, double atol,
                  const char *what);

#endif
