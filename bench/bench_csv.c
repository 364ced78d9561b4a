/*
 * bench_csv.c — times cml_csv_read on one file: best of 3 runs (or -n N),
 * file read included (the same work numpy.loadtxt / pandas.read_csv do).
 * Threads: $CML_NUM_THREADS. Prints one JSON line:
 *   {"file":..., "bytes":..., "seconds":..., "mb_per_s":..., "rows":..., "cols":...,
 *    "threads":..., "cpu_seconds":...}
 * MB = 10^6 bytes. cpu_seconds is the process CPU time (all threads) of the
 * best run: on a loaded machine it shows the work apart from waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cml/data.h"

int main(int argc, char **argv)
{
    const char *path = NULL;
    int reps = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (!path || reps < 1) {
        fprintf(stderr, "usage: bench_csv [-n REPS] FILE.csv\n");
        return 2;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    double best = 1e300, best_cpu = 0;
    int64_t rows = 0, cols = 0;
    for (int r = 0; r < reps; r++) {
        cml_table *t = NULL;
        struct timespec c0, c1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
        double t0 = cml_now();
        cml_status s = cml_csv_read(path, NULL, &t);
        double dt = cml_now() - t0;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        if (s != CML_OK) {
            fprintf(stderr, "bench_csv: %s\n", cml_last_error());
            return 1;
        }
        rows = t->rows;
        cols = t->cols;
        cml_table_free(t);
        if (dt < best) {
            best = dt;
            best_cpu = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
        }
    }
    printf("{\"file\":\"%s\", \"bytes\":%lld, \"seconds\":%.6f, \"mb_per_s\":%.1f, \"rows\":%lld, "
           "\"cols\":%lld, \"threads\":%d, \"cpu_seconds\":%.6f}\n",
           path, (long long)st.st_size, best, (double)st.st_size / best / 1e6, (long long)rows,
           (long long)cols, cml_get_num_threads(), best_cpu);
    return 0;
}
