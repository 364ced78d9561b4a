/*
 * cml/data.h — data in: CSV, LIBSVM and IDX readers, the column schema that
 * travels with a model, train/test splits and k-fold indices.
 *
 * A cml_table is what a reader returns: a dense row-major f64 matrix plus a
 * name and kind per column. String columns are categorical: their cells hold
 * level codes 0..k-1 (levels sorted by byte order, as sklearn's
 * OrdinalEncoder does), and the levels are kept so `predict` maps new data
 * through the very same codes. Missing cells ("", NA, NaN, ?) are NaN.
 */
#ifndef CML_DATA_H
#define CML_DATA_H

#include <stdint.h>

#include "cml/core.h"
#include "cml/gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Text columns hold free text (documents for a vectorizer): the reader
 * keeps each cell's string as it is in the file (quotes undone; no missing
 * markers: "NA" is the text "NA", an empty cell the empty document) and the
 * matrix cells are NaN. A column is text only when asked for
 * (cml_csv_opts.text_col, or a schema column of that kind). */
typedef enum cml_col_kind { CML_COL_NUMERIC = 0, CML_COL_CATEGORICAL, CML_COL_TEXT } cml_col_kind;

typedef struct cml_column {
    char *name; /* header text (or "c<j>" without a header) */
    cml_col_kind kind;
    /* categorical: (n_levels) sorted level names. Text, in a table a reader
     * returned: the cells' strings in row order (n_levels = rows; read them
     * through cml_table_text); in schemas and copies: none (n_levels 0). */
    int64_t n_levels;
    char **levels;
} cml_column;

typedef struct cml_table {
    int64_t rows, cols;
    double *data;        /* (rows, cols) row-major, owned */
    cml_column *columns; /* (cols), owned */
} cml_table;

void cml_table_free(cml_table *t);
/* Index of a column by name, or -1. */
int64_t cml_table_find(const cml_table *t, const char *name);
/* The (rows) NUL-terminated strings of text column j, or NULL when j is not
 * a text column holding its cells (cml_table_split_target keeps the kind,
 * not the cells). Valid as long as the table. */
const char *const *cml_table_text(const cml_table *t, int64_t j);
/* Dense view of all columns. */
cml_matrix cml_table_matrix(const cml_table *t);
/* Splits column `target` out: *X gets the other columns (owned, new table),
 * *y the target values (malloc'd, rows). The input table is left intact. */
cml_status cml_table_split_target(const cml_table *t, int64_t target, cml_table **X, double **y);

/* ---------------------------------------------------------------- CSV */

typedef struct cml_csv_opts {
    char sep;   /* ',' by default; '\t', ';' ... */
    int header; /* 1 (default): first row names the columns */
    /* With a schema (from a fitted model): columns are matched by name (or by
     * position without a header), their kinds and levels are fixed, and a
     * category not seen at fit time is a CML_ERR_FORMAT naming the cell
     * (documented behaviour: an unseen level is an error, never a silent
     * code). Columns named in the schema but absent: error. */
    const cml_column *schema;
    int64_t schema_cols;
    /* Name of a column that may be absent when a schema is given (the target
     * at predict time); NULL if none. */
    const char *optional_col;
    /* Without a schema: name of a column to read as text (CML_COL_TEXT)
     * rather than typed as numeric/categorical; NULL if none. A name the
     * header lacks is CML_ERR_ARG. With a schema, its text columns say it. */
    const char *text_col;
} cml_csv_opts;

/* Defaults: sep ',', header 1, no schema. */
cml_csv_opts cml_csv_opts_default(void);

/* RFC 4180 reader: quoted fields with embedded separators, quotes ("") and
 * newlines, CRLF or LF, UTF-8 BOM skipped. Errors name file:line:column:
 * ragged rows, unterminated quotes, NUL bytes, empty file, header only.
 * Numbers use a fast exact parser (correctly rounded, with strtod fallback). */
cml_status cml_csv_read(const char *path, const cml_csv_opts *opts, cml_table **out);
cml_status cml_csv_read_mem(const char *buf, size_t len, const char *name, const cml_csv_opts *opts,
                            cml_table **out);

/* Writes a matrix as CSV with the given header names (NULL: c0,c1,...),
 * doubles with %.17g so values round-trip. */
cml_status cml_csv_write(const char *path, const cml_matrix *m, const char *const *names);

/* ---------------------------------------------------------------- LIBSVM */

/* svmlight/LIBSVM: "label idx:val idx:val ..." with 1-based ascending
 * indices; '#' comments. Returns an owned CSR and labels. n_features is the
 * largest index seen (or min_features if larger). */
typedef struct cml_csr_owned {
    int64_t *indptr;
    int32_t *indices;
    double *data;
    int64_t rows, cols, nnz;
} cml_csr_owned;

cml_status cml_libsvm_read(const char *path, int64_t min_features, cml_csr_owned **X, double **y);
cml_status cml_libsvm_read_mem(const char *buf, size_t len, const char *name, int64_t min_features,
                               cml_csr_owned **X, double **y);
void cml_csr_owned_free(cml_csr_owned *m);
static inline cml_csr cml_csr_owned_view(const cml_csr_owned *m)
{
    cml_csr v = {m->indptr, m->indices, m->data, m->rows, m->cols, m->nnz};
    return v;
}
/* Dense copy (rows, cols) of a CSR, malloc'd. */
cml_status cml_csr_to_dense(const cml_csr *m, double **out);

/* ---------------------------------------------------------------- IDX */

/* MNIST-style IDX (big-endian header: magic 0x000008TT, dims), gzip'd or
 * raw (detected by magic). Returns the values as doubles (u8 images are left
 * in 0..255) and the dims. A 3-D (n, 28, 28) file becomes rows = n,
 * cols = 28*28. */
cml_status cml_idx_read(const char *path, double **data, int64_t *rows, int64_t *cols);
cml_status cml_idx_read_mem(const void *buf, size_t len, const char *name, double **data,
                            int64_t *rows, int64_t *cols);

/* ---------------------------------------------------------------- schema */

/* Stores / restores column names, kinds and levels under `key_prefix`
 * (e.g. "cml.schema.features"). Loaded columns are owned: free with
 * cml_columns_free. */
cml_status cml_columns_save(cml_gguf_writer *w, const char *key_prefix, const cml_column *cols,
                            int64_t n);
cml_status cml_columns_load(const cml_gguf *g, const char *key_prefix, cml_column **cols,
                            int64_t *n);
void cml_columns_free(cml_column *cols, int64_t n);
cml_status cml_columns_copy(const cml_column *src, int64_t n, cml_column **dst);

/* ---------------------------------------------------------------- splits */

/* Seeded shuffle split. test_size in (0,1) is a fraction (rounded up as
 * sklearn does), >= 1 an absolute count. With y and stratify, each class is
 * split in proportion (sklearn's StratifiedShuffleSplit allocation).
 * *train / *test are malloc'd index arrays. */
cml_status cml_train_test_split(int64_t n, double test_size, const double *y, int stratify,
                                uint64_t seed, int64_t **train, int64_t *n_train, int64_t **test,
                                int64_t *n_test);

/* K-fold: fold[i] in 0..k-1 for each sample. shuffle with seed; stratified
 * when y != NULL (each fold gets each class in proportion). */
cml_status cml_kfold(int64_t n, int k, const double *y, int shuffle, uint64_t seed, int *fold);

/* Gathers rows idx[0..n) of X into a new malloc'd (n, X->cols) matrix. */
cml_status cml_take_rows(const cml_matrix *X, const int64_t *idx, int64_t n, double **out);
cml_status cml_take_vals(const double *y, const int64_t *idx, int64_t n, double **out);

#ifdef __cplusplus
}
#endif
#endif /* CML_DATA_H */
