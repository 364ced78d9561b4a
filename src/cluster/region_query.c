/*
 * region_query.c — all fixed-radius neighbourhoods by blocked brute force
 * (see region_query.h). Stand-in for the shared KD/ball-tree index.
 *
 * Euclidean: per (256 query rows) x (2048 reference rows) tile, one dgemm
 * gives ||q||^2 + ||r||^2 - 2 q.r; pairs within eps^2 plus a rounding margin
 * (a bound on the expansion's cancellation error) are confirmed with the
 * exact sum of squared differences, so the answer is that of an exact
 * search, as scikit-learn's KD tree. Cosine: one dgemm of unit rows, as
 * sklearn's cosine_distances. Manhattan: a direct, vectorizable loop.
 *
 * In 1 to 3 dimensions (euclidean / manhattan) a uniform grid of cells a
 * little wider than eps replaces the brute force when it has at most a few
 * cells per point: a point's neighbours lie in its own and the 3^p - 1
 * adjacent cells, and each candidate is checked with the exact distance.
 *
 * Complexity: brute O(n^2 p); grid O(n + candidate pairs); memory O(n +
 * number of neighbour pairs).
 * Parallel over query blocks (each writes its own list, concatenated in block
 * order): output identical for any thread count. Thread-safe.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "cluster/dist.h"
#include "cluster/region_query.h"

#define RQ_QB 256  /* query rows per block */
#define RQ_RB 2048 /* reference rows per tile */

typedef struct rq_block {
    int64_t *pairs; /* (len, 2): local query row, reference index */
    int64_t len, cap;
    int failed;
} rq_block;

static void push(rq_block *b, int64_t i, int64_t j)
{
    if (b->failed) return;
    if (b->len == b->cap) {
        int64_t cap = b->cap ? 2 * b->cap : 1024;
        int64_t *p = realloc(b->pairs, (size_t)cap * 2 * sizeof(int64_t));
        if (!p) {
            b->failed = 1;
            return;
        }
        b->pairs = p;
        b->cap = cap;
    }
    b->pairs[2 * b->len] = i;
    b->pairs[2 * b->len + 1] = j;
    b->len++;
}

/* Pairs of query rows [q0, q1) within eps of any row, in (row, index) order
 * per tile, tiles in ascending order. `aux` holds squared norms (euclidean)
 * or unit rows (cosine); tile is (RQ_QB, RQ_RB) scratch. */
static void query_block(const double *X, int64_t n, int64_t p, int64_t ld, rq_metric metric,
                        double eps, const double *aux, int64_t q0, int64_t q1, double *tile,
                        rq_block *out)
{
    int64_t m = q1 - q0;
    double eps2 = eps * eps;
    /* Bound on |fl(||q||^2 + ||r||^2 - 2 q.r) - exact| relative to the norms. */
    double rel = 4.0 * (double)(p + 4) * DBL_EPSILON;
    for (int64_t r0 = 0; r0 < n; r0 += RQ_RB) {
        int64_t r1 = CML_MIN(r0 + RQ_RB, n), w = r1 - r0;
        if (metric == RQ_MANHATTAN) {
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = r0; j < r1; j++)
                    if (cml_l1_dist(X + (q0 + i) * ld, X + j * ld, p) <= eps) push(out, i, j);
            continue;
        }
        if (metric == RQ_EUCLIDEAN) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)w, (int)p, -2.0,
                        X + q0 * ld, (int)ld, X + r0 * ld, (int)ld, 0.0, tile, (int)w);
            for (int64_t i = 0; i < m; i++) {
                double qq = aux[q0 + i];
                const double *row = tile + i * w;
                for (int64_t j = 0; j < w; j++) {
                    double norms = qq + aux[r0 + j];
                    if (row[j] + norms <= eps2 + rel * norms &&
                        cml_sq_dist(X + (q0 + i) * ld, X + (r0 + j) * ld, p) <= eps2)
                        push(out, i, r0 + j);
                }
            }
        } else { /* cosine: 1 - similarity of unit rows, clipped to [0, 2] */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)w, (int)p, 1.0,
                        aux + q0 * p, (int)p, aux + r0 * p, (int)p, 0.0, tile, (int)w);
            for (int64_t i = 0; i < m; i++) {
                const double *row = tile + i * w;
                for (int64_t j = 0; j < w; j++) {
                    double d = 1.0 - row[j];
                    d = d < 0.0 ? 0.0 : (d > 2.0 ? 2.0 : d);
                    if (d <= eps) push(out, i, r0 + j);
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- grid */

#define RQ_GRID_MAX_DIM 3
/* Cells per point above which the grid is not worth its memory. */
#define RQ_GRID_CELLS_PER_POINT 4

typedef struct rq_grid {
    int p;
    double lo[RQ_GRID_MAX_DIM], size;
    int64_t ncell[RQ_GRID_MAX_DIM], stride[RQ_GRID_MAX_DIM];
    int64_t *start; /* (cells + 1) offsets into order */
    int64_t *order; /* (n) rows sorted by cell (ascending row within a cell) */
} rq_grid;

/* Cell size: eps widened by a relative 1e-6 so that two points within eps
 * always fall in the same or adjacent cells despite rounding in the
 * division (its error is ~1e-16 of the cell index). */
static double grid_cell_size(double eps)
{
    return eps * (1.0 + 1e-6);
}

/* Number of cells of the grid over X, or -1 when it does not apply. */
static int64_t grid_cells(const cml_matrix *X, rq_metric metric, double eps, double *lo,
                          int64_t *ncell)
{
    int64_t n = X->rows, p = X->cols;
    if (metric == RQ_COSINE || p > RQ_GRID_MAX_DIM || n < 1) return -1;
    double limit = (double)RQ_GRID_CELLS_PER_POINT * (double)n + 1024.0, cells = 1.0;
    for (int64_t j = 0; j < p; j++) {
        double mn = X->data[j], mx = X->data[j];
        for (int64_t i = 1; i < n; i++) {
            double v = X->data[i * X->ld + j];
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        double c = floor((mx - mn) / grid_cell_size(eps)) + 1.0;
        cells *= c;
        if (!(cells <= limit)) return -1;
        if (lo) lo[j] = mn;
        if (ncell) ncell[j] = (int64_t)c;
    }
    return (int64_t)cells;
}

int rq_grid_applies(const cml_matrix *X, rq_metric metric, double eps)
{
    return grid_cells(X, metric, eps, NULL, NULL) > 0;
}

static int64_t grid_coord(const rq_grid *g, double v, int j)
{
    int64_t c = (int64_t)floor((v - g->lo[j]) / g->size);
    return c < 0 ? 0 : (c >= g->ncell[j] ? g->ncell[j] - 1 : c);
}

static int64_t grid_cell_of(const rq_grid *g, const double *x)
{
    int64_t cell = 0;
    for (int j = 0; j < g->p; j++)
        cell += grid_coord(g, x[j], j) * g->stride[j];
    return cell;
}

static cml_status grid_build(const cml_matrix *X, rq_metric metric, double eps, rq_grid *g)
{
    int64_t n = X->rows;
    memset(g, 0, sizeof *g);
    g->p = (int)X->cols;
    g->size = grid_cell_size(eps);
    int64_t cells = grid_cells(X, metric, eps, g->lo, g->ncell);
    int64_t s = 1;
    for (int j = 0; j < g->p; j++) {
        g->stride[j] = s;
        s *= g->ncell[j];
    }
    g->start = cml_calloc((size_t)cells + 2, sizeof(int64_t));
    g->order = cml_alloc_array(n, sizeof(int64_t));
    int64_t *cell = cml_alloc_array(n, sizeof(int64_t));
    if (!g->start || !g->order || !cell) {
        free(cell);
        return CML_ERR_NOMEM;
    }
    /* Counting sort by cell, stable: rows ascending within a cell. */
    for (int64_t i = 0; i < n; i++) {
        cell[i] = grid_cell_of(g, X->data + i * X->ld);
        g->start[cell[i] + 2]++;
    }
    for (int64_t c = 0; c < cells; c++)
        g->start[c + 2] += g->start[c + 1];
    for (int64_t i = 0; i < n; i++)
        g->order[g->start[cell[i] + 1]++] = i;
    free(cell);
    return CML_OK;
}

static void grid_free(rq_grid *g)
{
    free(g->start);
    free(g->order);
}

/* Pairs of query rows [q0, q1) within eps, from the 3^p cells around each
 * query's own. */
static void grid_query_block(const double *X, int64_t ld, int64_t p, rq_metric metric, double eps,
                             const rq_grid *g, int64_t q0, int64_t q1, rq_block *out)
{
    double eps2 = eps * eps;
    int n_adj = 1;
    for (int64_t j = 0; j < p; j++)
        n_adj *= 3;
    for (int64_t i = q0; i < q1; i++) {
        const double *x = X + i * ld;
        int64_t c[RQ_GRID_MAX_DIM];
        for (int j = 0; j < (int)p; j++)
            c[j] = grid_coord(g, x[j], j);
        for (int o = 0; o < n_adj; o++) {
            int64_t cell = 0;
            int ok = 1;
            for (int j = 0, r = o; j < (int)p; j++, r /= 3) {
                int64_t cj = c[j] + r % 3 - 1;
                if (cj < 0 || cj >= g->ncell[j]) ok = 0;
                cell += cj * g->stride[j];
            }
            if (!ok) continue;
            for (int64_t t = g->start[cell]; t < g->start[cell + 1]; t++) {
                int64_t r = g->order[t];
                const double *y = X + r * ld;
                int in = metric == RQ_MANHATTAN ? cml_l1_dist(x, y, p) <= eps
                                                : cml_sq_dist(x, y, p) <= eps2;
                if (in) push(out, i - q0, r);
            }
        }
    }
}

/* Squared norms (euclidean) or a copy with unit rows (cosine; zero rows
 * stay zero, as sklearn's normalize). */
static double *make_aux(const cml_matrix *X, rq_metric metric)
{
    int64_t n = X->rows, p = X->cols;
    if (metric == RQ_MANHATTAN) return cml_malloc(1);
    double *aux = cml_alloc_array(metric == RQ_EUCLIDEAN ? n : n * p, sizeof(double));
    if (!aux) return NULL;
    for (int64_t i = 0; i < n; i++) {
        const double *r = X->data + i * X->ld;
        double s = 0.0;
        for (int64_t j = 0; j < p; j++)
            s += r[j] * r[j];
        if (metric == RQ_EUCLIDEAN) {
            aux[i] = s;
        } else {
            double inv = s > 0.0 ? 1.0 / sqrt(s) : 1.0;
            for (int64_t j = 0; j < p; j++)
                aux[i * p + j] = r[j] * inv;
        }
    }
    return aux;
}

cml_status rq_radius_neighbors(const cml_matrix *X, rq_metric metric, double eps,
                               rq_neighborhoods *out)
{
    int64_t n = X->rows, p = X->cols;
    int64_t nb = (n + RQ_QB - 1) / RQ_QB;
    int T = cml_get_num_threads();
    cml_status st = CML_OK;
    memset(out, 0, sizeof *out);
    rq_grid grid = {0};
    int use_grid = rq_grid_applies(X, metric, eps);
    rq_block *blocks = cml_calloc((size_t)nb, sizeof(rq_block));
    double *tiles = use_grid ? NULL : cml_alloc_array((int64_t)T * RQ_QB * RQ_RB, sizeof(double));
    double *aux = use_grid ? NULL : make_aux(X, metric);
    if (!blocks || (!use_grid && (!tiles || !aux))) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    if (use_grid) CML_TRY(grid_build(X, metric, eps, &grid));
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
    for (int64_t b = 0; b < nb; b++) {
        if (use_grid) {
            grid_query_block(X->data, X->ld, p, metric, eps, &grid, b * RQ_QB,
                             CML_MIN((b + 1) * RQ_QB, n), &blocks[b]);
            continue;
        }
#ifdef _OPENMP
        double *tile = tiles + (int64_t)omp_get_thread_num() * RQ_QB * RQ_RB;
#else
        double *tile = tiles;
#endif
        query_block(X->data, n, p, X->ld, metric, eps, aux, b * RQ_QB, CML_MIN((b + 1) * RQ_QB, n),
                    tile, &blocks[b]);
    }
    int64_t total = 0;
    for (int64_t b = 0; b < nb; b++) {
        if (blocks[b].failed) {
            st = cml_fail(CML_ERR_NOMEM,
                          "out of memory storing DBSCAN neighbourhoods (%lld so "
                          "far). HINT: a smaller eps gives fewer neighbours",
                          (long long)total);
            goto fail;
        }
        total += blocks[b].len;
    }
    out->n = n;
    out->indptr = cml_calloc((size_t)n + 1, sizeof(int64_t));
    out->indices = cml_alloc_array(CML_MAX(total, 1), sizeof(int64_t));
    if (!out->indptr || !out->indices) {
        st = CML_ERR_NOMEM;
        goto fail;
    }
    /* Counting sort of each block's pairs by row: stable, so every row's
     * neighbours keep their search order. */
    for (int64_t b = 0; b < nb; b++)
        for (int64_t t = 0; t < blocks[b].len; t++)
            out->indptr[b * RQ_QB + blocks[b].pairs[2 * t] + 1]++;
    for (int64_t i = 0; i < n; i++)
        out->indptr[i + 1] += out->indptr[i];
    {
        int64_t *next = cml_alloc_array(n, sizeof(int64_t));
        if (!next) {
            st = CML_ERR_NOMEM;
            goto fail;
        }
        memcpy(next, out->indptr, (size_t)n * sizeof(int64_t));
        for (int64_t b = 0; b < nb; b++)
            for (int64_t t = 0; t < blocks[b].len; t++) {
                int64_t i = b * RQ_QB + blocks[b].pairs[2 * t];
                out->indices[next[i]++] = blocks[b].pairs[2 * t + 1];
            }
        free(next);
    }
fail:
    if (st != CML_OK) rq_free(out);
    for (int64_t b = 0; blocks && b < nb; b++)
        free(blocks[b].pairs);
    free(blocks);
    free(tiles);
    free(aux);
    grid_free(&grid);
    return st;
}

void rq_free(rq_neighborhoods *nb)
{
    if (!nb) return;
    free(nb->indptr);
    free(nb->indices);
    memset(nb, 0, sizeof *nb);
}
