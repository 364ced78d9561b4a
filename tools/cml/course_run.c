/*
 * course_run.c — the runner of `cml course run`: prepares the output
 * folder, times an experiment, collects what it reports (metrics, table,
 * plots, notes) and writes it as JSON or text; plus the helpers
 * experiments share (course_exp.h): data sets of data/ and Fashion-MNIST,
 * seeded splits, models through the generic cml_model layer.
 *
 * Thread-safety: one run per course_run; helpers are reentrant.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "course_exp.h"

/* ---------------------------------------------------------------- results */

static char *vfmt(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static cml_status grow(void **arr, int n, size_t elem)
{
    void *p = realloc(*arr, elem * (size_t)(n + 1));
    if (!p) return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    *arr = p;
    return CML_OK;
}

void cr_progress(course_run *r, double frac, const char *fmt, ...)
{
    if (!r->progress) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "progress %.3f ", frac < 0 ? 0 : frac > 1 ? 1 : frac);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
    va_end(ap);
}

cml_status cr_metric(course_run *r, const char *name, const char *label, double value)
{
    if (grow((void **)&r->metrics, r->n_metrics, sizeof *r->metrics)) return CML_ERR_NOMEM;
    course_metric *m = &r->metrics[r->n_metrics];
    m->name = strdup(name);
    m->label = strdup(label);
    m->value = value;
    r->n_metrics++;
    return m->name && m->label ? CML_OK : cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

cml_status cr_note(course_run *r, const char *fmt, ...)
{
    if (grow((void **)&r->notes, r->n_notes, sizeof *r->notes)) return CML_ERR_NOMEM;
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    if (!s) return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    r->notes[r->n_notes++] = s;
    return CML_OK;
}

cml_status cr_table(course_run *r, int n, const char *const *columns)
{
    if (r->n_columns) return cml_fail(CML_ERR_INTERNAL, "course: the table header is set twice");
    if (!(r->columns = calloc((size_t)n, sizeof *r->columns)))
        return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    r->n_columns = n;
    for (int j = 0; j < n; j++)
        if (!(r->columns[j] = strdup(columns[j])))
            return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    return CML_OK;
}

cml_status cr_row(course_run *r, const char *fmt, ...)
{
    if (!r->n_columns) return cml_fail(CML_ERR_INTERNAL, "course: a table row before its header");
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    if (!s) return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    char **nc = realloc(r->cells, sizeof *nc * (size_t)(r->n_rows + 1) * (size_t)r->n_columns);
    if (!nc) {
        free(s);
        return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    }
    r->cells = nc;
    char **row = nc + (size_t)r->n_rows * (size_t)r->n_columns;
    char *p = s;
    for (int j = 0; j < r->n_columns; j++) {
        char *tab = p ? strchr(p, '\t') : NULL;
        if (tab) *tab = '\0';
        row[j] = strdup(p ? p : "");
        p = tab ? tab + 1 : NULL;
    }
    r->n_rows++;
    free(s);
    for (int j = 0; j < r->n_columns; j++)
        if (!row[j]) return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    return CML_OK;
}

const char *cr_path(course_run *r, const char *file)
{
    snprintf(r->pathbuf, sizeof r->pathbuf, "%s/%s", r->out_dir, file);
    return r->pathbuf;
}

cml_status cr_plot(course_run *r, const char *file, const char *title)
{
    if (grow((void **)&r->plots, r->n_plots, sizeof *r->plots)) return CML_ERR_NOMEM;
    course_plot *p = &r->plots[r->n_plots];
    p->path = strdup(cr_path(r, file));
    p->title = strdup(title);
    r->n_plots++;
    return p->path && p->title ? CML_OK : cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

void course_run_free(course_run *r)
{
    for (int i = 0; i < r->n_metrics; i++) {
        free(r->metrics[i].name);
        free(r->metrics[i].label);
    }
    free(r->metrics);
    for (int j = 0; j < r->n_columns; j++)
        free(r->columns[j]);
    free(r->columns);
    for (int64_t i = 0; i < (int64_t)r->n_rows * r->n_columns; i++)
        free(r->cells[i]);
    free(r->cells);
    for (int i = 0; i < r->n_plots; i++) {
        free(r->plots[i].path);
        free(r->plots[i].title);
    }
    free(r->plots);
    for (int i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    memset(r, 0, sizeof *r);
}

/* mkdir -p */
static cml_status make_dirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return cml_fail(CML_ERR_IO, "%s: cannot create folder: %s", buf, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    return CML_OK;
}

cml_status course_run_exec(const course_experiment *e, const course_lesson *l, const char *out_dir,
                           const char *data_dir, int quick, int progress, course_run *r,
                           double *seconds)
{
    memset(r, 0, sizeof *r);
    r->id = l->id;
    r->data_dir = data_dir;
    r->quick = quick;
    r->progress = progress;
    if ((size_t)snprintf(r->out_dir, sizeof r->out_dir, "%s/%s", out_dir, l->id) >=
        sizeof r->out_dir)
        return cml_fail(CML_ERR_ARG, "--out %s: path too long", out_dir);
    cml_status st = make_dirs(r->out_dir);
    if (st != CML_OK) return st;
    cr_progress(r, 0, "starting %s on %s", l->id, e->data);
    double t0 = cml_now();
    st = e->fn(r);
    *seconds = cml_now() - t0;
    if (st == CML_OK) cr_progress(r, 1, "done in %.2f s", *seconds);
    return st;
}

/* ---------------------------------------------------------------- output */

void course_run_json(cml_sb *sb, const course_lesson *l, const course_experiment *e,
                     const course_run *r, double seconds)
{
    cml_sb_puts(sb, "{\"id\":");
    cml_sb_json_str(sb, l->id);
    cml_sb_puts(sb, ",\"title\":");
    cml_sb_json_str(sb, l->title);
    cml_sb_puts(sb, ",\"data\":");
    cml_sb_json_str(sb, e->data);
    cml_sb_printf(sb, ",\"seconds\":%.6f,\"quick\":%s,\"metrics\":[", seconds,
                  r->quick ? "true" : "false");
    for (int i = 0; i < r->n_metrics; i++) {
        cml_sb_puts(sb, i ? ",{\"name\":" : "{\"name\":");
        cml_sb_json_str(sb, r->metrics[i].name);
        cml_sb_puts(sb, ",\"label\":");
        cml_sb_json_str(sb, r->metrics[i].label);
        cml_sb_puts(sb, ",\"value\":");
        cml_sb_json_num(sb, r->metrics[i].value);
        cml_sb_puts(sb, "}");
    }
    cml_sb_puts(sb, "]");
    if (r->n_columns) {
        cml_sb_puts(sb, ",\"table\":{\"columns\":[");
        for (int j = 0; j < r->n_columns; j++) {
            if (j) cml_sb_puts(sb, ",");
            cml_sb_json_str(sb, r->columns[j]);
        }
        cml_sb_puts(sb, "],\"rows\":[");
        for (int i = 0; i < r->n_rows; i++) {
            cml_sb_puts(sb, i ? ",[" : "[");
            for (int j = 0; j < r->n_columns; j++) {
                if (j) cml_sb_puts(sb, ",");
                cml_sb_json_str(sb, r->cells[(size_t)i * (size_t)r->n_columns + (size_t)j]);
            }
            cml_sb_puts(sb, "]");
        }
        cml_sb_puts(sb, "]}");
    }
    cml_sb_puts(sb, ",\"plots\":[");
    for (int i = 0; i < r->n_plots; i++) {
        cml_sb_puts(sb, i ? ",{\"path\":" : "{\"path\":");
        cml_sb_json_str(sb, r->plots[i].path);
        cml_sb_puts(sb, ",\"title\":");
        cml_sb_json_str(sb, r->plots[i].title);
        cml_sb_puts(sb, "}");
    }
    cml_sb_puts(sb, "],\"notes\":[");
    for (int i = 0; i < r->n_notes; i++) {
        if (i) cml_sb_puts(sb, ",");
        cml_sb_json_str(sb, r->notes[i]);
    }
    cml_sb_puts(sb, "]}");
}

static size_t utf8_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void course_pad(FILE *f, const char *s, size_t width)
{
    fputs(s, f);
    for (size_t w = utf8_width(s); w < width; w++)
        fputc(' ', f);
}

void course_run_print(FILE *f, const course_run *r, int colour, int width)
{
    const char *b = colour ? "\033[1m" : "", *nb = colour ? "\033[22m" : "";
    if (r->n_metrics) {
        size_t lw = 0;
        for (int i = 0; i < r->n_metrics; i++)
            if (utf8_width(r->metrics[i].label) > lw) lw = utf8_width(r->metrics[i].label);
        for (int i = 0; i < r->n_metrics; i++) {
            fputs("  ", f);
            course_pad(f, r->metrics[i].label, lw);
            fprintf(f, "  %s%.6g%s\n", b, r->metrics[i].value, nb);
        }
    }
    if (r->n_columns) {
        size_t *w = calloc((size_t)r->n_columns, sizeof *w);
        if (w) {
            for (int j = 0; j < r->n_columns; j++) {
                w[j] = utf8_width(r->columns[j]);
                for (int i = 0; i < r->n_rows; i++) {
                    size_t cw = utf8_width(r->cells[(size_t)i * (size_t)r->n_columns + (size_t)j]);
                    if (cw > w[j]) w[j] = cw;
                }
            }
            fputc('\n', f);
            fputs("  ", f);
            for (int j = 0; j < r->n_columns; j++) {
                fputs(b, f);
                course_pad(f, r->columns[j], w[j] + 2);
                fputs(nb, f);
            }
            fputc('\n', f);
            for (int i = 0; i < r->n_rows; i++) {
                fputs("  ", f);
                for (int j = 0; j < r->n_columns; j++)
                    course_pad(f, r->cells[(size_t)i * (size_t)r->n_columns + (size_t)j], w[j] + 2);
                fputc('\n', f);
            }
            free(w);
        }
    }
    if (r->n_notes) {
        fputc('\n', f);
        for (int i = 0; i < r->n_notes; i++) {
            cml_sb sb;
            cml_sb_init(&sb);
            cml_sb_printf(&sb, "- %s", r->notes[i]);
            char *md = cml_sb_finish(&sb);
            if (md) course_render_markdown(f, md, colour, width);
            free(md);
        }
    }
    if (r->n_plots) {
        fputc('\n', f);
        for (int i = 0; i < r->n_plots; i++)
            fprintf(f, "  plot: %s  (%s)\n", r->plots[i].path, r->plots[i].title);
    }
}

/* ---------------------------------------------------------------- data */

cml_status cr_load(const course_run *r, const char *name, const char *target, cr_data *d)
{
    memset(d, 0, sizeof *d);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.csv", r->data_dir, name);
    cml_csv_opts o = cml_csv_opts_default();
    cml_table *t = NULL;
    cml_status st = cml_csv_read(path, &o, &t);
    if (st != CML_OK) return st;
    int64_t col = cml_table_find(t, target ? target : "target");
    if (col < 0) {
        cml_table_free(t);
        return cml_fail(CML_ERR_FORMAT, "%s: no column \"%s\"", path, target ? target : "target");
    }
    st = cml_table_split_target(t, col, &d->X, &d->y);
    cml_table_free(t);
    if (st != CML_OK) return st;
    d->n = d->X->rows;
    d->p = d->X->cols;
    return CML_OK;
}

void cr_data_free(cr_data *d)
{
    cml_table_free(d->X);
    free(d->y);
    memset(d, 0, sizeof *d);
}

const char *const cr_fashion_names[10] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                          "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                          "Bag",         "Ankle boot"};

/* The first n items of an IDX file, gzip'd or not: zlib reads only the
 * header and those items, the count in the header is set to n, and the
 * library's IDX reader parses the result. The 60,000 training images as
 * doubles would take 376 MB; the lessons need a few thousand. */
static cml_status idx_head(const char *path, int64_t n, double **data, int64_t *rows, int64_t *cols)
{
    unsigned char head[4 + 4 * 4];
    gzFile f = gzopen(path, "rb");
    if (!f) return cml_fail(CML_ERR_IO, "%s: cannot open", path);
    cml_status st = CML_OK;
    unsigned char *buf = NULL;
    int nd = 0;
    if (gzread(f, head, 4) != 4 || head[0] || head[1] || (nd = head[3]) < 1 || nd > 4 ||
        gzread(f, head + 4, (unsigned)(4 * nd)) != 4 * nd)
        st = cml_fail(CML_ERR_FORMAT, "%s: not an IDX file", path);
    size_t esize = head[2] == 0x08 || head[2] == 0x09   ? 1
                   : head[2] == 0x0B                    ? 2
                   : head[2] == 0x0C || head[2] == 0x0D ? 4
                   : head[2] == 0x0E                    ? 8
                                                        : 0;
    if (st == CML_OK && !esize) st = cml_fail(CML_ERR_FORMAT, "%s: unknown IDX type", path);
    uint32_t dims[4] = {0};
    size_t item = esize;
    for (int d = 0; st == CML_OK && d < nd; d++) {
        const unsigned char *b = head + 4 + 4 * d;
        dims[d] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (d) item *= dims[d];
    }
    if (st == CML_OK && (uint64_t)n < dims[0]) { /* keep n items: rewrite the count */
        dims[0] = (uint32_t)n;
        head[4] = (unsigned char)(n >> 24);
        head[5] = (unsigned char)(n >> 16);
        head[6] = (unsigned char)(n >> 8);
        head[7] = (unsigned char)n;
    }
    size_t hl = 4 + 4 * (size_t)nd, body = item * dims[0];
    if (st == CML_OK && !(buf = malloc(hl + body)))
        st = cml_fail(CML_ERR_NOMEM, "course: out of memory");
    if (st == CML_OK) {
        memcpy(buf, head, hl);
        size_t got = 0;
        while (got < body) {
            unsigned chunk = body - got > (1u << 30) ? 1u << 30 : (unsigned)(body - got);
            int r = gzread(f, buf + hl + got, chunk);
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got < body) st = cml_fail(CML_ERR_FORMAT, "%s: truncated", path);
    }
    gzclose(f);
    if (st == CML_OK) st = cml_idx_read_mem(buf, hl + body, path, data, rows, cols);
    free(buf);
    return st;
}

static cml_status fashion_part(const char *images, const char *labels, int64_t n, double **X,
                               double **y, int64_t *p)
{
    static const char dir[] = "/usr/share/datasets/fashion-mnist";
    char pi[256], pl[256];
    snprintf(pi, sizeof pi, "%s/%s", dir, images);
    snprintf(pl, sizeof pl, "%s/%s", dir, labels);
    double *img = NULL, *lab = NULL;
    int64_t rows, cols, lrows, lcols;
    cml_status st = idx_head(pi, n, &img, &rows, &cols);
    if (st != CML_OK)
        return cml_fail_context(st, "Fashion-MNIST (HINT: Debian package dataset-fashion-mnist, "
                                    "installed by scripts/deps)");
    if ((st = idx_head(pl, n, &lab, &lrows, &lcols)) != CML_OK) {
        free(img);
        return st;
    }
    if (lrows != rows || rows != n) {
        free(img);
        free(lab);
        return cml_fail(CML_ERR_FORMAT, "%s: %lld labels for %lld images (wanted %lld)", pl,
                        (long long)lrows, (long long)rows, (long long)n);
    }
    for (int64_t i = 0; i < n * cols; i++) /* pixels to [0, 1] */
        img[i] /= 255.0;
    *X = img;
    *y = lab;
    *p = cols;
    return CML_OK;
}

cml_status cr_load_fashion(int64_t n_train, int64_t n_test, double **Xtr, double **ytr,
                           double **Xte, double **yte, int64_t *p)
{
    *Xtr = *ytr = *Xte = *yte = NULL;
    cml_status st = fashion_part("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                 n_train, Xtr, ytr, p);
    if (st == CML_OK)
        st = fashion_part("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", n_test, Xte,
                          yte, p);
    if (st != CML_OK) {
        free(*Xtr);
        free(*ytr);
        *Xtr = *ytr = NULL;
    }
    return st;
}

cml_status cr_split_make(const cr_data *d, double test_size, int stratify, uint64_t seed,
                         cr_split *s)
{
    memset(s, 0, sizeof *s);
    int64_t *tr = NULL, *te = NULL;
    cml_matrix X = cml_table_matrix(d->X);
    cml_status st =
        cml_train_test_split(d->n, test_size, d->y, stratify, seed, &tr, &s->ntr, &te, &s->nte);
    if (st == CML_OK) st = cml_take_rows(&X, tr, s->ntr, &s->Xtr);
    if (st == CML_OK) st = cml_take_rows(&X, te, s->nte, &s->Xte);
    if (st == CML_OK) st = cml_take_vals(d->y, tr, s->ntr, &s->ytr);
    if (st == CML_OK) st = cml_take_vals(d->y, te, s->nte, &s->yte);
    s->p = d->p;
    free(tr);
    free(te);
    if (st != CML_OK) cr_split_free(s);
    return st;
}

void cr_split_free(cr_split *s)
{
    free(s->Xtr);
    free(s->Xte);
    free(s->ytr);
    free(s->yte);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- models */

cml_status cr_model(const char *algo, const char *params, int scale, cml_model **out)
{
    cml_model *m = NULL, *sc = NULL;
    cml_status st = cml_model_create(algo, &m);
    if (st != CML_OK) return st;
    if (params && params[0]) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", params);
        char *save = NULL;
        for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq) {
                cml_model_free(m);
                return cml_fail(CML_ERR_INTERNAL, "course: parameter \"%s\" lacks '='", kv);
            }
            *eq = '\0';
            if ((st = cml_model_set_param(m, kv, eq + 1)) != CML_OK) {
                cml_model_free(m);
                return st;
            }
        }
    }
    if (scale) {
        if ((st = cml_model_create("standard_scaler", &sc)) != CML_OK ||
            (st = cml_model_add_step(m, sc)) != CML_OK) {
            cml_model_free(m);
            return st;
        }
    }
    *out = m;
    return CML_OK;
}

cml_status cr_fit_predict(cml_model *m, const cr_split *s, double **pred)
{
    *pred = NULL;
    cml_matrix A = cr_train(s), B = cr_test(s);
    cml_status st = cml_model_fit(m, &A, s->ytr, NULL);
    if (st != CML_OK) return st;
    double *out = malloc(sizeof *out * (size_t)s->nte);
    if (!out) return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    if ((st = cml_model_predict(m, &B, out)) != CML_OK) {
        free(out);
        return st;
    }
    *pred = out;
    return CML_OK;
}

static cml_status score_on(const cml_model *m, const double *X, const double *y, int64_t n,
                           int64_t p, double *score)
{
    cml_matrix v = cml_matrix_view(X, n, p);
    double *pred = malloc(sizeof *pred * (size_t)n);
    if (!pred) return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    cml_status st = cml_model_predict(m, &v, pred);
    if (st == CML_OK)
        st = cml_model_estimator(m)->task == CML_TASK_CLASSIFICATION
                 ? cml_accuracy(y, pred, n, NULL, score)
                 : cml_r2(y, pred, n, NULL, score);
    free(pred);
    return st;
}

cml_status cr_fit_score(cml_model *m, const cr_split *s, double *score)
{
    cml_matrix A = cr_train(s);
    cml_status st = cml_model_fit(m, &A, s->ytr, NULL);
    return st == CML_OK ? score_on(m, s->Xte, s->yte, s->nte, s->p, score) : st;
}

cml_status cr_sweep(course_run *r, const cr_split *s, const char *algo, const char *fixed,
                    const char *param, const double *vals, int n, int scale, double *train_score,
                    double *test_score, double f0, double f1)
{
    for (int i = 0; i < n; i++) {
        char prm[512];
        snprintf(prm, sizeof prm, "%s%s%s=%.17g", fixed ? fixed : "", fixed && fixed[0] ? ";" : "",
                 param, vals[i]);
        cml_model *m = NULL;
        cml_status st = cr_model(algo, prm, scale, &m);
        cml_matrix A = cr_train(s);
        if (st == CML_OK) st = cml_model_fit(m, &A, s->ytr, NULL);
        if (st == CML_OK && train_score)
            st = score_on(m, s->Xtr, s->ytr, s->ntr, s->p, &train_score[i]);
        if (st == CML_OK) st = score_on(m, s->Xte, s->yte, s->nte, s->p, &test_score[i]);
        cml_model_free(m);
        if (st != CML_OK) return st;
        cr_progress(r, f0 + (f1 - f0) * (i + 1) / n, "%s: %s = %g (%d of %d)", algo, param, vals[i],
                    i + 1, n);
    }
    return CML_OK;
}

cml_status cr_standardize(double *X, int64_t rows, int64_t cols)
{
    cml_model *m;
    cml_status st = cml_model_create("standard_scaler", &m);
    if (st != CML_OK) return st;
    cml_matrix v = cml_matrix_view(X, rows, cols);
    double *out = malloc(sizeof *out * (size_t)(rows * cols));
    if (!out) st = cml_fail(CML_ERR_NOMEM, "course: out of memory");
    if (st == CML_OK) st = cml_model_fit(m, &v, NULL, NULL);
    if (st == CML_OK) st = cml_model_transform(m, &v, out);
    if (st == CML_OK) memcpy(X, out, sizeof *out * (size_t)(rows * cols));
    free(out);
    cml_model_free(m);
    return st;
}

double *cr_dup(const double *v, int64_t n)
{
    double *d = malloc(sizeof *d * (size_t)(n > 0 ? n : 1));
    if (d && n > 0) memcpy(d, v, sizeof *d * (size_t)n);
    return d;
}

int64_t *cr_labels(const double *y, int64_t n)
{
    int64_t *l = malloc(sizeof *l * (size_t)(n > 0 ? n : 1));
    if (l)
        for (int64_t i = 0; i < n; i++)
            l[i] = (int64_t)y[i];
    return l;
}

const char *const cr_iris_names[4] = {"setosa", "versicolor", "virginica", NULL};

cml_status cr_pca2(const double *X, int64_t n, int64_t p, double *xy)
{
    double *Z = cr_dup(X, n * p);
    if (!Z) return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    cml_model *m = NULL;
    cml_status st = cr_standardize(Z, n, p);
    if (st == CML_OK) st = cr_model("pca", "n_components=2", 0, &m);
    cml_matrix v = cml_matrix_view(Z, n, p);
    if (st == CML_OK) st = cml_model_fit(m, &v, NULL, NULL);
    if (st == CML_OK) st = cml_model_transform(m, &v, xy);
    cml_model_free(m);
    free(Z);
    return st;
}

cml_status cr_unzip(const double *xy, int64_t n, double **x, double **y)
{
    *x = malloc(sizeof **x * (size_t)n);
    *y = malloc(sizeof **y * (size_t)n);
    if (!*x || !*y) {
        free(*x);
        free(*y);
        *x = *y = NULL;
        return cml_fail(CML_ERR_NOMEM, "course: out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        (*x)[i] = xy[2 * i];
        (*y)[i] = xy[2 * i + 1];
    }
    return CML_OK;
}

cml_status cr_scatter_xy(const char *path, const double *xy, int64_t n, const int64_t *labels,
                         const char *const *names, const char *title, const char *xlabel,
                         const char *ylabel)
{
    double *x, *y;
    cml_status st = cr_unzip(xy, n, &x, &y);
    if (st == CML_OK) st = cml_plot_scatter(path, x, y, n, labels, names, title, xlabel, ylabel);
    free(x);
    free(y);
    return st;
}

/* LeakSanitizer (ASan builds only; unused otherwise): fontconfig, which
 * cairo loads for the text of every plot, keeps its configuration in
 * process-wide caches that are never freed. Not our leak; the unit tests
 * of src/plot suppress it the same way. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* ...and says nothing about it on stderr, where `--progress` lines go. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
