/*
 * cmd_neighbors.c — `cml neighbors`: the training rows nearest to each
 * query row of a fitted k-neighbours model (k_neighbors_classifier or
 * k_neighbors_regressor), as the C API's cml_nn_index_kneighbors and
 * cml_nn_index_radius_neighbors return them (sklearn's kneighbors /
 * radius_neighbors(sort_results=True)).
 *
 * Output: CSV in long form, one line per (query, neighbour):
 *   query,rank,index,distance
 * query and index are 0-based row numbers (data rows, header excluded) of
 * the query file and of the training data; rank counts from 0 in order of
 * ascending distance, ties by ascending index. With --radius every training
 * row within distance <= R is listed (a query may have none); with both
 * --radius and -k, the first k of those. The query rows go through the
 * model's preprocessing steps first, as at predict.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cml/neighbors.h"

static const cli_opt opts[] = {
    {"model", "FILE", 0, "fitted k_neighbors_classifier / k_neighbors_regressor (GGUF)"},
    {"data", "FILE", 0, "CSV of query rows (same feature columns as at fit)"},
    {"k", "N", 0, "neighbours per query (default: the model's n_neighbors); also -k N"},
    {"radius", "R", 0, "all neighbours within distance <= R instead"},
    {"out", "FILE", 0, "CSV query,rank,index,distance (default: - for stdout)"},
    {"sep", "CHAR", 0, "field separator of the data"},
    {"threads", "N", 0, "threads for parallel loops"},
    {"quiet", NULL, 0, "no warnings on stderr"},
    {NULL, NULL, 0, NULL}};

/* Runs the model's preprocessing steps on X; *owned is the buffer (or NULL
 * when there are none). */
static cml_status preprocess(const cml_model *m, const cml_matrix *X, cml_matrix *out,
                             double **owned)
{
    *owned = NULL;
    *out = *X;
    for (int i = 0; i < cml_model_n_steps(m); i++) {
        const cml_model *s = cml_model_step(m, i);
        int64_t cols = cml_model_n_transform_cols(s);
        double *buf = malloc(sizeof(double) * (size_t)(X->rows * cols));
        if (!buf) {
            free(*owned);
            *owned = NULL;
            return CML_ERR_NOMEM;
        }
        cml_status st = cml_model_transform(s, out, buf);
        free(*owned);
        *owned = buf;
        if (st != CML_OK) {
            free(buf);
            *owned = NULL;
            return st;
        }
        *out = cml_matrix_view(buf, X->rows, cols);
    }
    return CML_OK;
}

static int write_rows(FILE *f, int64_t q, const int64_t *idx, const double *dist, int64_t n)
{
    for (int64_t r = 0; r < n; r++)
        fprintf(f, "%lld,%lld,%lld,%.17g\n", (long long)q, (long long)r, (long long)idx[r],
                dist[r]);
    return ferror(f) ? CLI_RUNTIME : CLI_OK;
}

static int run_neighbors(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if ((rc = cli_setup(&a))) return rc;
    if (a.n_positional) return cli_usage(cmd, "unexpected argument \"%s\"", a.positional[0]);
    const char *mpath = cli_require(&a, "model");
    if (!mpath) return CLI_USAGE;
    const char *data = cli_require(&a, "data");
    if (!data) return CLI_USAGE;
    const char *out = cli_get(&a, "out") ? cli_get(&a, "out") : "-";
    long long k = 0;
    double radius = -1;
    if (cli_get(&a, "k")) {
        char *end;
        k = strtoll(cli_get(&a, "k"), &end, 10);
        if (*end || end == cli_get(&a, "k") || k < 1)
            return cli_usage(cmd, "-k must be an integer >= 1, got \"%s\"", cli_get(&a, "k"));
    }
    if (cli_get(&a, "radius")) {
        char *end;
        radius = strtod(cli_get(&a, "radius"), &end);
        if (*end || end == cli_get(&a, "radius") || !(radius >= 0) || radius > 1e300)
            return cli_usage(cmd, "--radius must be a finite number >= 0, got \"%s\"",
                             cli_get(&a, "radius"));
    }

    cml_model *m;
    cml_gguf *g;
    cml_status st = cml_model_load(mpath, &m, &g);
    if (st != CML_OK) return cli_fail(st);
    const char *name = cml_model_estimator(m)->name;
    cli_data d = {0};
    double *owned = NULL, *dist = NULL;
    int64_t *idx = NULL;
    cml_nn_radius_result *rr = NULL;
    FILE *f = NULL;
    if (strcmp(name, "k_neighbors_classifier") && strcmp(name, "k_neighbors_regressor")) {
        cli_error("%s: %s has no neighbours to query (HINT: fit k_neighbors_classifier or "
                  "k_neighbors_regressor)",
                  mpath, name);
        rc = CLI_USAGE;
        goto done;
    }
    const cml_knn *knn = cml_model_state(m);
    const cml_nn_index *ix = cml_knn_index(knn);
    int64_t n_train = cml_nn_index_n_samples(ix);
    if (k == 0 && radius < 0) {
        char buf[32];
        if (cml_params_get(cml_model_estimator(m)->params, cml_model_estimator(m)->n_params,
                           cml_model_params(m), "n_neighbors", buf, sizeof buf) == CML_OK)
            k = atoll(buf);
        if (k < 1) k = 5;
    }
    if (k > n_train) {
        cli_error("-k %lld exceeds the %lld training rows of %s", k, (long long)n_train, mpath);
        rc = CLI_USAGE;
        goto done;
    }
    if ((rc = cli_load_for_model(&a, data, g, &d))) goto done;
    cml_matrix Q0 = cml_table_matrix(d.X), Q;
    if ((st = cml_matrix_check(&Q0, "query", 0)) != CML_OK ||
        (st = preprocess(m, &Q0, &Q, &owned)) != CML_OK) {
        rc = cli_fail(st);
        goto done;
    }
    if (radius >= 0) {
        if ((st = cml_nn_index_radius_neighbors(ix, &Q, radius, &rr)) != CML_OK) {
            rc = cli_fail(st);
            goto done;
        }
    } else {
        dist = malloc(sizeof(double) * (size_t)(Q.rows * k));
        idx = malloc(sizeof(int64_t) * (size_t)(Q.rows * k));
        if (!dist || !idx) {
            rc = cli_fail(CML_ERR_NOMEM);
            goto done;
        }
        if ((st = cml_nn_index_kneighbors(ix, &Q, k, dist, idx)) != CML_OK) {
            rc = cli_fail(st);
            goto done;
        }
    }
    f = strcmp(out, "-") ? fopen(out, "w") : stdout;
    if (!f) {
        cli_error("%s: cannot create", out);
        rc = CLI_RUNTIME;
        goto done;
    }
    fputs("query,rank,index,distance\n", f);
    for (int64_t q = 0; q < Q.rows && !rc; q++) {
        if (rr) {
            int64_t o = rr->offsets[q], n = rr->offsets[q + 1] - o;
            if (k > 0 && n > k) n = k;
            rc = write_rows(f, q, rr->indices + o, rr->distances + o, n);
        } else {
            rc = write_rows(f, q, idx + q * k, dist + q * k, k);
        }
    }
    if (f != stdout && fclose(f) != 0) rc = CLI_RUNTIME;
    if (f == stdout) fflush(stdout);
    if (rc) cli_error("%s: write failed", out);
done:
    free(owned);
    free(dist);
    free(idx);
    cml_nn_radius_result_free(rr);
    cli_data_free(&d);
    cml_gguf_free(g);
    cml_model_free(m);
    return rc;
}

/* Accepts the short form -k N (and -kN) besides --k N. */
static int run(const cli_cmd *cmd, int argc, char **argv)
{
    char **args = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!args) return cli_fail(CML_ERR_NOMEM);
    char buf[64];
    for (int i = 0; i < argc; i++) {
        args[i] = argv[i];
        if (!strcmp(argv[i], "-k")) {
            args[i] = "--k";
        } else if (!strncmp(argv[i], "-k", 2) && argv[i][2] != '-' && strlen(argv[i]) < 40) {
            snprintf(buf, sizeof buf, "--k=%s", argv[i] + 2);
            args[i] = buf;
        }
    }
    args[argc] = NULL;
    int rc = run_neighbors(cmd, argc, args);
    free(args);
    return rc;
}

const cli_cmd cli_cmd_neighbors = {
    "neighbors",
    "--model MODEL.gguf --data QUERY.csv [-k N] [--radius R] [--out FILE]",
    "nearest training rows of each query row (k-neighbours models)",
    "Writes query,rank,index,distance (0-based rows; by ascending distance, ties by index).\n"
    "-k N: the N nearest (default: the model's n_neighbors). --radius R: every row within\n"
    "distance <= R (with -k: at most N of them).",
    opts,
    0,
    run};
