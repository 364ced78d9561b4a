/*
 * kernel.c — SVM kernels, the LRU kernel-row cache and the Q matrices of
 * C-SVC, one-class SVM and epsilon-SVR (see kernel.h).
 *
 * The cache and the Q matrices follow libsvm 3.x (Chang & Lin, "LIBSVM: a
 * library for support vector machines", ACM TIST 2011, section 5.1): one
 * entry per variable holding Q[i][0..len) as float, least-recently-used
 * eviction, and swap_index() keeping cached rows consistent when shrinking
 * permutes the variables. Where cml departs from libsvm is speed: a row is
 * filled by an OpenMP loop (libsvm is single-threaded) with a vectorized dot
 * product and a vectorizable exp (cml_exp, core/vexp.h), same-class kernel blocks are
 * shared between the one-vs-one pairs (svm_kshare), and prediction computes
 * kernel blocks with one dgemm.
 *
 * Complexity: a row costs O(len * n_features); the cache holds
 * cache_size MB / 4 bytes floats. Thread-safety: see kernel.h.
 */
#include <cblas.h>
#include <stdatomic.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/vexp.h"
#include "svm/kernel.h"

/* ---------------------------------------------------------------- kernels */

double svm_dot(const double *x, const double *y, int64_t n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (int u = 0; u < 8; u++)
            acc[u] += x[k + u] * y[k + u];
    double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; k < n; k++)
        s += x[k] * y[k];
    return s;
}

/* libsvm's powi: exponentiation by squaring, so poly kernels round as
 * libsvm's do (pow() would differ in the last bits). */
static double powi(double base, int times)
{
    double tmp = base, ret = 1.0;
    for (int t = times; t > 0; t /= 2) {
        if (t % 2 == 1) ret *= tmp;
        tmp = tmp * tmp;
    }
    return ret;
}

double svm_kernel_from_dot(const svm_kparams *kp, double dot, double xsq, double zsq)
{
    switch (kp->type) {
    case SVM_KERNEL_POLY: return powi(kp->gamma * dot + kp->coef0, kp->degree);
    case SVM_KERNEL_RBF: return exp(-kp->gamma * (xsq + zsq - 2 * dot));
    case SVM_KERNEL_SIGMOID: return tanh(kp->gamma * dot + kp->coef0);
    default: return dot;
    }
}

cml_status svm_gamma_resolve(const char *gamma, const cml_matrix *X, double *out)
{
    *out = 0;
    if (strcmp(gamma, "scale") == 0 || strcmp(gamma, "auto") == 0) {
        if (!X) return CML_OK;
        if (gamma[0] == 'a') {
            *out = 1.0 / (double)X->cols;
            return CML_OK;
        }
        /* sklearn: 1 / (n_features * X.var()), the variance over all cells
         * (two passes, for accuracy), and 1.0 when X is constant. */
        double n = (double)X->rows * (double)X->cols, mean = 0, var = 0;
        for (int64_t i = 0; i < X->rows; i++) {
            const double *r = cml_matrix_row(X, i);
            for (int64_t j = 0; j < X->cols; j++)
                mean += r[j];
        }
        mean /= n;
        for (int64_t i = 0; i < X->rows; i++) {
            const double *r = cml_matrix_row(X, i);
            for (int64_t j = 0; j < X->cols; j++)
                var += (r[j] - mean) * (r[j] - mean);
        }
        var /= n;
        *out = var != 0 ? 1.0 / ((double)X->cols * var) : 1.0;
        return CML_OK;
    }
    char *end;
    errno = 0;
    double v = strtod(gamma, &end);
    if (end == gamma || *end != '\0' || errno == ERANGE || !isfinite(v) || v < 0)
        return cml_fail(CML_ERR_ARG,
                        "gamma must be \"scale\", \"auto\" or a number >= 0, got \"%s\"", gamma);
    *out = v;
    return CML_OK;
}

void svm_kernel_block(const svm_kparams *kp, const cml_matrix *X, int64_t r0, int64_t r1,
                      const double *sv, const double *sv_sq, int64_t n_sv, double *K)
{
    int64_t m = r1 - r0, d = X->cols;
    if (m <= 0 || n_sv <= 0) return;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n_sv, (int)d, 1.0,
                X->data + r0 * X->ld, (int)X->ld, sv, (int)d, 0.0, K, (int)n_sv);
    if (kp->type == SVM_KERNEL_LINEAR) return;
    for (int64_t i = 0; i < m; i++) {
        double *k = K + i * n_sv;
        const double *x = cml_matrix_row(X, r0 + i);
        double xsq = kp->type == SVM_KERNEL_RBF ? svm_dot(x, x, d) : 0;
        for (int64_t s = 0; s < n_sv; s++)
            k[s] = svm_kernel_from_dot(kp, k[s], xsq, sv_sq ? sv_sq[s] : 0);
    }
}

/* ---------------------------------------------------------------- cache */

typedef struct cache_head {
    struct cache_head *prev, *next; /* circular LRU list */
    float *data;                    /* Q[i][0..len) */
    int len;
} cache_head;

typedef struct cache {
    cache_head *head; /* (n_entries) */
    cache_head lru;   /* sentinel: lru.next is the least recently used */
    int64_t size;     /* floats still free */
} cache;

static void lru_delete(cache_head *h)
{
    h->prev->next = h->next;
    h->next->prev = h->prev;
}

static void lru_insert(cache *c, cache_head *h)
{
    h->next = &c->lru;
    h->prev = c->lru.prev;
    h->prev->next = h;
    h->next->prev = h;
}

static cml_status cache_init(cache *c, int n, double cache_mb)
{
    c->head = cml_calloc((size_t)n, sizeof *c->head);
    if (!c->head) return CML_ERR_NOMEM;
    double bytes = cache_mb * (double)(1 << 20);
    int64_t size = bytes > 9e18 ? INT64_MAX / 8 : (int64_t)bytes;
    size /= (int64_t)sizeof(float);
    size -= (int64_t)n * (int64_t)sizeof(cache_head) / (int64_t)sizeof(float);
    /* Two full rows must fit: the solver holds Q_i and Q_j together. */
    c->size = CML_MAX(size, 2 * (int64_t)n);
    c->lru.next = c->lru.prev = &c->lru;
    return CML_OK;
}

static void cache_free(cache *c, int n)
{
    if (!c->head) return;
    for (int i = 0; i < n; i++)
        free(c->head[i].data);
    free(c->head);
    c->head = NULL;
}

/* libsvm's Cache::get_data: makes entry idx hold at least len floats and
 * returns the first position that must be (re)computed (>= len: none), or
 * -1 on allocation failure. */
static int cache_get(cache *c, int idx, float **data, int len)
{
    cache_head *h = &c->head[idx];
    if (h->len) lru_delete(h);
    int more = len - h->len;
    if (more > 0) {
        while (c->size < more) {
            cache_head *old = c->lru.next;
            lru_delete(old);
            free(old->data);
            c->size += old->len;
            old->data = NULL;
            old->len = 0;
        }
        float *p = cml_realloc(h->data, sizeof(float) * (size_t)len);
        if (!p) {
            if (h->len) lru_insert(c, h);
            return -1;
        }
        h->data = p;
        c->size -= more;
        int start = h->len;
        h->len = len;
        len = start;
    }
    lru_insert(c, h);
    *data = h->data;
    return len;
}

static void swap_int(int *a, int *b)
{
    int t = *a;
    *a = *b;
    *b = t;
}

static void cache_swap(cache *c, int i, int j)
{
    if (i == j) return;
    if (c->head[i].len) lru_delete(&c->head[i]);
    if (c->head[j].len) lru_delete(&c->head[j]);
    float *td = c->head[i].data;
    c->head[i].data = c->head[j].data;
    c->head[j].data = td;
    swap_int(&c->head[i].len, &c->head[j].len);
    if (c->head[i].len) lru_insert(c, &c->head[i]);
    if (c->head[j].len) lru_insert(c, &c->head[j]);
    if (i > j) swap_int(&i, &j);
    for (cache_head *h = c->lru.next; h != &c->lru;) {
        cache_head *next = h->next;
        if (h->len > i) {
            if (h->len > j) {
                float t = h->data[i];
                h->data[i] = h->data[j];
                h->data[j] = t;
            } else {
                /* The row covers i but not j: drop it, as libsvm does. */
                lru_delete(h);
                free(h->data);
                c->size += h->len;
                h->data = NULL;
                h->len = 0;
            }
        }
        h = next;
    }
}

/* ---------------------------------------------------------------- Q */

struct svm_qmat {
    svm_q_kind kind;
    int l;             /* variables: n, or 2n for SVR */
    int n;             /* data rows */
    int64_t d;         /* features */
    int parallel;      /* fill rows with OpenMP */
    svm_kparams kp;    /* kernel */
    const double **x;  /* (n) row pointers, permuted by swaps (not SVR) */
    double *x_sq;      /* (n) |x|^2, rbf only, permuted along */
    signed char *y;    /* (l) SVC: labels; SVR: signs (+1 for i < n) */
    int *index;        /* (l) SVR: data row of variable i */
    double *QD;        /* (l) diagonal */
    float *buf[2];     /* (l) SVR: the two rows handed out */
    int next_buf;      /* SVR */
    cache cache;       /* over l (SVC, one-class) or n (SVR) entries */
    svm_kshare *share; /* same-class blocks (SVC), or NULL */
    int *gidx;         /* (l) class-grouped position of each row, with share */
};

static inline double q_kernel(const svm_qmat *q, int i, int j)
{
    double dot = svm_dot(q->x[i], q->x[j], q->d);
    return svm_kernel_from_dot(&q->kp, dot, q->x_sq ? q->x_sq[i] : 0, q->x_sq ? q->x_sq[j] : 0);
}

/* Rows shorter than this many multiply-adds are filled serially: the OpenMP
 * fork/join would cost more than it saves. */
#define Q_PAR_MIN_WORK 32768
/* A row is filled in chunks: dot products first, then one vectorizable
 * pass of the kernel's outer function. */
#define Q_CHUNK 256

/* The rbf value from |x|^2, |z|^2 and x.z, as libsvm orders it. One inline
 * function for the Q rows and the shared blocks: identical values. */
static inline double rbf_value(double neg_gamma, double xsq, double zsq, double dot)
{
    /* cml_exp: vectorizable (glibc's exp is scalar without -ffast-math);
     * the rows are stored as float, where it agrees with glibc's exp after
     * rounding except in ~1e-8 of the cases, by one float ulp */
    return cml_exp(neg_gamma * (xsq + zsq - 2 * dot));
}

/* data[j] = s_i s_j K(i, j) for j in [c0, c1), s = y (SVC) or 1, given the
 * dot products dot[j - c0] and |x|^2 of the rows. */
static void transform_chunk(const svm_kparams *kp, const signed char *y, int i, double xsq_i,
                            const double *xsq, int c0, int c1, const double *dot, float *data)
{
    double si = y ? y[i] : 1.0;
    if (kp->type == SVM_KERNEL_RBF) {
        double g = -kp->gamma;
        if (y)
            for (int j = c0; j < c1; j++)
                data[j] = (float)(si * y[j] * rbf_value(g, xsq_i, xsq[j], dot[j - c0]));
        else
            for (int j = c0; j < c1; j++)
                data[j] = (float)rbf_value(g, xsq_i, xsq[j], dot[j - c0]);
        return;
    }
    for (int j = c0; j < c1; j++) {
        double k = svm_kernel_from_dot(kp, dot[j - c0], 0, 0);
        data[j] = (float)(y ? si * y[j] * k : k);
    }
}

/* ---------------------------------------------------------------- shared blocks */

enum { ROW_EMPTY = 0, ROW_FILLING = 1, ROW_READY = 2 };

struct svm_kshare {
    int64_t k, n, d;
    svm_kparams kp;
    int64_t *start, *count; /* (k) class blocks in the grouped order */
    int *cls;               /* (n) class of grouped position g */
    const double **x;       /* (n) rows in grouped order */
    double *x_sq;           /* (n) rbf */
    float **blk;            /* (k) count_c x count_c, row-major */
    atomic_uchar *state;    /* (n) ROW_* */
    double mb;
};

void svm_kshare_free(svm_kshare *s)
{
    if (!s) return;
    if (s->blk)
        for (int64_t c = 0; c < s->k; c++)
            free(s->blk[c]);
    free(s->blk);
    free(s->start);
    free(s->count);
    free(s->cls);
    free((void *)s->x);
    free(s->x_sq);
    free((void *)s->state);
    free(s);
}

double svm_kshare_mb(const svm_kshare *s)
{
    return s ? s->mb : 0;
}

cml_status svm_kshare_new(const cml_matrix *X, const int64_t *rows, const int64_t *start,
                          const int64_t *count, int64_t k, const svm_kparams *kp, double max_mb,
                          svm_kshare **out)
{
    *out = NULL;
    double floats = 0;
    int64_t n = 0;
    for (int64_t c = 0; c < k; c++) {
        floats += (double)count[c] * (double)count[c];
        n += count[c];
    }
    double mb = floats * sizeof(float) / (double)(1 << 20);
    if (mb > max_mb) return CML_OK;
    svm_kshare *s = cml_calloc(1, sizeof *s);
    if (!s) return CML_ERR_NOMEM;
    s->k = k;
    s->n = n;
    s->d = X->cols;
    s->kp = *kp;
    s->mb = mb;
    s->start = cml_alloc_array(k, sizeof(int64_t));
    s->count = cml_alloc_array(k, sizeof(int64_t));
    s->cls = cml_alloc_array(n, sizeof(int));
    s->x = cml_alloc_array(n, sizeof(double *));
    s->x_sq = cml_alloc_array(n, sizeof(double));
    s->blk = cml_calloc((size_t)k, sizeof(float *));
    s->state = cml_calloc((size_t)n, sizeof(atomic_uchar));
    if (!s->start || !s->count || !s->cls || !s->x || !s->x_sq || !s->blk || !s->state) goto fail;
    for (int64_t c = 0; c < k; c++) {
        s->start[c] = start[c];
        s->count[c] = count[c];
        s->blk[c] = cml_alloc_array(CML_MAX(count[c] * count[c], 1), sizeof(float));
        if (!s->blk[c]) goto fail;
        for (int64_t t = 0; t < count[c]; t++)
            s->cls[start[c] + t] = (int)c;
    }
    for (int64_t g = 0; g < n; g++) {
        s->x[g] = cml_matrix_row(X, rows[g]);
        s->x_sq[g] = kp->type == SVM_KERNEL_RBF ? svm_dot(s->x[g], s->x[g], s->d) : 0;
        atomic_init(&s->state[g], ROW_EMPTY);
    }
    *out = s;
    return CML_OK;
fail:
    svm_kshare_free(s);
    return CML_ERR_NOMEM;
}

/* Row g of its class block: ready, or filled now if no other thread has
 * claimed it; NULL while another thread fills it. */
static const float *kshare_row(svm_kshare *s, int g)
{
    int c = s->cls[g];
    int64_t m = s->count[c];
    float *row = s->blk[c] + (int64_t)(g - s->start[c]) * m;
    unsigned char st = atomic_load_explicit(&s->state[g], memory_order_acquire);
    if (st == ROW_READY) return row;
    unsigned char expect = ROW_EMPTY;
    if (st != ROW_EMPTY || !atomic_compare_exchange_strong(&s->state[g], &expect, ROW_FILLING))
        return NULL;
    const double **xb = s->x + s->start[c];
    const double *xsq = s->x_sq + s->start[c];
    for (int64_t c0 = 0; c0 < m; c0 += Q_CHUNK) {
        double dot[Q_CHUNK];
        int c1 = (int)CML_MIN(c0 + Q_CHUNK, m);
        for (int b = (int)c0; b < c1; b++)
            dot[b - c0] = svm_dot(s->x[g], xb[b], s->d);
        transform_chunk(&s->kp, NULL, 0, s->x_sq[g], xsq, (int)c0, c1, dot, row);
    }
    atomic_store_explicit(&s->state[g], ROW_READY, memory_order_release);
    return row;
}

static void fill_row(svm_qmat *q, int i, int start, int len, float *data)
{
    int par = q->parallel && (int64_t)(len - start) * q->d >= Q_PAR_MIN_WORK;
    int n_chunks = (len - start + Q_CHUNK - 1) / Q_CHUNK;
    const signed char *y = q->kind == SVM_Q_SVC ? q->y : NULL;
    /* Same-class values (y_j = y_i within a pair) from the shared block. */
    const float *srow = q->share ? kshare_row(q->share, q->gidx[i]) : NULL;
    int base = srow ? (int)q->share->start[q->share->cls[q->gidx[i]]] : 0;
    (void)par;
#pragma omp parallel for schedule(static) if (par) CML_OMP_THREADS
    for (int c = 0; c < n_chunks; c++) {
        double dot[Q_CHUNK];
        int c0 = start + c * Q_CHUNK, c1 = CML_MIN(c0 + Q_CHUNK, len);
        const double *xi = q->x[i];
        for (int j = c0; j < c1; j++)
            dot[j - c0] = srow && y[j] == y[i] ? 0.0 : svm_dot(xi, q->x[j], q->d);
        transform_chunk(&q->kp, y, i, q->x_sq ? q->x_sq[i] : 0, q->x_sq, c0, c1, dot, data);
        if (srow)
            for (int j = c0; j < c1; j++)
                if (y[j] == y[i]) data[j] = srow[q->gidx[j] - base];
    }
}

cml_status svm_qmat_new(svm_q_kind kind, const cml_matrix *X, const int64_t *rows, int n,
                        const signed char *y, const svm_kparams *kp, double cache_mb, int parallel,
                        svm_kshare *share, const int *gidx, svm_qmat **out)
{
    *out = NULL;
    svm_qmat *q = cml_calloc(1, sizeof *q);
    if (!q) return CML_ERR_NOMEM;
    q->kind = kind;
    q->n = n;
    q->l = kind == SVM_Q_SVR ? 2 * n : n;
    q->d = X->cols;
    q->parallel = parallel;
    q->kp = *kp;
    q->x = cml_alloc_array(n, sizeof *q->x);
    q->QD = cml_alloc_array(q->l, sizeof *q->QD);
    if (!q->x || !q->QD) goto fail;
    for (int i = 0; i < n; i++)
        q->x[i] = cml_matrix_row(X, rows ? rows[i] : i);
    if (kp->type == SVM_KERNEL_RBF) {
        q->x_sq = cml_alloc_array(n, sizeof *q->x_sq);
        if (!q->x_sq) goto fail;
        for (int i = 0; i < n; i++)
            q->x_sq[i] = svm_dot(q->x[i], q->x[i], q->d);
    }
    if (kind == SVM_Q_SVC || kind == SVM_Q_SVR) {
        q->y = cml_alloc_array(q->l, 1);
        if (!q->y) goto fail;
    }
    if (kind == SVM_Q_SVC) memcpy(q->y, y, (size_t)n);
    if (kind == SVM_Q_SVC && share && gidx) {
        q->share = share;
        q->gidx = cml_alloc_array(n, sizeof(int));
        if (!q->gidx) goto fail;
        memcpy(q->gidx, gidx, sizeof(int) * (size_t)n);
    }
    if (kind == SVM_Q_SVR) {
        q->index = cml_alloc_array(q->l, sizeof *q->index);
        q->buf[0] = cml_alloc_array(q->l, sizeof(float));
        q->buf[1] = cml_alloc_array(q->l, sizeof(float));
        if (!q->index || !q->buf[0] || !q->buf[1]) goto fail;
        for (int k = 0; k < n; k++) {
            q->y[k] = 1;
            q->y[k + n] = -1;
            q->index[k] = k;
            q->index[k + n] = k;
        }
    }
    for (int i = 0; i < n; i++)
        q->QD[i] = q_kernel(q, i, i);
    if (kind == SVM_Q_SVR)
        for (int i = 0; i < n; i++)
            q->QD[i + n] = q->QD[i];
    if (cache_init(&q->cache, n, cache_mb) != CML_OK) goto fail;
    *out = q;
    return CML_OK;
fail:
    svm_qmat_free(q);
    return CML_ERR_NOMEM;
}

void svm_qmat_free(svm_qmat *q)
{
    if (!q) return;
    cache_free(&q->cache, q->n);
    free(q->x);
    free(q->x_sq);
    free(q->y);
    free(q->index);
    free(q->gidx);
    free(q->QD);
    free(q->buf[0]);
    free(q->buf[1]);
    free(q);
}

const float *svm_qmat_row(svm_qmat *q, int i, int len)
{
    float *data;
    if (q->kind != SVM_Q_SVR) {
        int start = cache_get(&q->cache, i, &data, len);
        if (start < 0) return NULL;
        if (start < len) fill_row(q, i, start, len, data);
        return data;
    }
    /* SVR: the cache holds K rows of the n data points; a Q row over the 2n
     * variables is gathered from it with signs (libsvm's SVR_Q). */
    int real_i = q->index[i];
    int start = cache_get(&q->cache, real_i, &data, q->n);
    if (start < 0) return NULL;
    if (start < q->n) fill_row(q, real_i, start, q->n, data);
    float *buf = q->buf[q->next_buf];
    q->next_buf = 1 - q->next_buf;
    float si = (float)q->y[i];
    for (int j = 0; j < len; j++)
        buf[j] = si * (float)q->y[j] * data[q->index[j]];
    return buf;
}

const double *svm_qmat_diag(const svm_qmat *q)
{
    return q->QD;
}

void svm_qmat_swap(svm_qmat *q, int i, int j)
{
    double td = q->QD[i];
    q->QD[i] = q->QD[j];
    q->QD[j] = td;
    if (q->kind == SVM_Q_SVR) {
        signed char ts = q->y[i];
        q->y[i] = q->y[j];
        q->y[j] = ts;
        swap_int(&q->index[i], &q->index[j]);
        return;
    }
    cache_swap(&q->cache, i, j);
    const double *tx = q->x[i];
    q->x[i] = q->x[j];
    q->x[j] = tx;
    if (q->x_sq) {
        td = q->x_sq[i];
        q->x_sq[i] = q->x_sq[j];
        q->x_sq[j] = td;
    }
    if (q->gidx) swap_int(&q->gidx[i], &q->gidx[j]);
    if (q->kind == SVM_Q_SVC) {
        signed char ty = q->y[i];
        q->y[i] = q->y[j];
        q->y[j] = ty;
    }
}
