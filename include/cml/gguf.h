/*
 * cml/gguf.h — the model container: GGUF v3 (the ggml/llama.cpp format).
 *
 * Layout (all little-endian): magic "GGUF", u32 version = 3, i64 tensor
 * count, i64 metadata count, metadata key/value pairs, tensor infos (name,
 * n_dims, dims, ggml type, offset), padding to `general.alignment` (32), then
 * tensor data, each tensor aligned. cml writes its keys under `cml.*` and
 * adds cml.crc32 (zlib CRC-32 of the whole tensor-data section) so silent
 * corruption of the payload is detected on load.
 *
 * Scopes: a writer or reader has a current key prefix (default ""); every
 * key and tensor name passed in is prefixed with it. A pipeline stores each
 * nested model under its own scope ("prep.0.") with the same code that
 * stores a top-level one.
 *
 * Files are read fully and validated before anything is returned: every
 * length, count, offset and type is bounds-checked, so a truncated or
 * corrupt file is a CML_ERR_FORMAT with a message naming the byte offset,
 * never a crash. A newer major version is CML_ERR_VERSION.
 */
#ifndef CML_GGUF_H
#define CML_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Metadata value types (GGUF spec numbering). */
typedef enum cml_gguf_vtype {
    CML_GGUF_U8 = 0,
    CML_GGUF_I8 = 1,
    CML_GGUF_U16 = 2,
    CML_GGUF_I16 = 3,
    CML_GGUF_U32 = 4,
    CML_GGUF_I32 = 5,
    CML_GGUF_F32 = 6,
    CML_GGUF_BOOL = 7,
    CML_GGUF_STRING = 8,
    CML_GGUF_ARRAY = 9,
    CML_GGUF_U64 = 10,
    CML_GGUF_I64 = 11,
    CML_GGUF_F64 = 12
} cml_gguf_vtype;

/* Tensor element types (ggml numbering; only the plain ones cml writes). */
typedef enum cml_gguf_ttype {
    CML_GGUF_T_F32 = 0,
    CML_GGUF_T_F16 = 1,
    CML_GGUF_T_I8 = 24,
    CML_GGUF_T_I16 = 25,
    CML_GGUF_T_I32 = 26,
    CML_GGUF_T_I64 = 27,
    CML_GGUF_T_F64 = 28
} cml_gguf_ttype;

#define CML_GGUF_MAX_DIMS 4

/* ---------------------------------------------------------------- writer */

typedef struct cml_gguf_writer cml_gguf_writer;

cml_gguf_writer *cml_gguf_writer_new(void); /* NULL + CML_ERR_NOMEM on failure */
void cml_gguf_writer_free(cml_gguf_writer *w);
/* Sets the prefix for the following keys/tensors (copied); NULL or "" = none. */
cml_status cml_gguf_writer_set_scope(cml_gguf_writer *w, const char *prefix);
const char *cml_gguf_writer_scope(const cml_gguf_writer *w);

/* Adding a key twice is CML_ERR_ARG (a bug in the caller). Values copied. */
cml_status cml_gguf_set_str(cml_gguf_writer *w, const char *key, const char *val);
cml_status cml_gguf_set_i64(cml_gguf_writer *w, const char *key, int64_t val);
cml_status cml_gguf_set_u32(cml_gguf_writer *w, const char *key, uint32_t val);
cml_status cml_gguf_set_f64(cml_gguf_writer *w, const char *key, double val);
cml_status cml_gguf_set_bool(cml_gguf_writer *w, const char *key, int val);
cml_status cml_gguf_set_arr_str(cml_gguf_writer *w, const char *key, const char *const *vals,
                                int64_t n);
cml_status cml_gguf_set_arr_i64(cml_gguf_writer *w, const char *key, const int64_t *vals,
                                int64_t n);
cml_status cml_gguf_set_arr_f64(cml_gguf_writer *w, const char *key, const double *vals, int64_t n);

/* Adds a tensor; data (product(dims) elements of type t) is copied.
 * dims[0] is the fastest-varying (ggml order): a row-major (rows, cols)
 * matrix is dims = {cols, rows}, n_dims = 2. Use cml_gguf_add_matrix. */
cml_status cml_gguf_add_tensor(cml_gguf_writer *w, const char *name, cml_gguf_ttype t, int n_dims,
                               const int64_t *dims, const void *data);
/* Convenience: row-major (rows, cols) doubles; rows == 1 stores a vector. */
cml_status cml_gguf_add_f64(cml_gguf_writer *w, const char *name, const double *data, int64_t rows,
                            int64_t cols);
cml_status cml_gguf_add_i64(cml_gguf_writer *w, const char *name, const int64_t *data, int64_t n);
cml_status cml_gguf_add_i32(cml_gguf_writer *w, const char *name, const int32_t *data, int64_t n);

/* Serializes to memory (caller frees *buf) or to a file atomically (written
 * to PATH.tmp.PID, fsync'd, renamed over PATH). */
cml_status cml_gguf_write_mem(cml_gguf_writer *w, uint8_t **buf, size_t *len);
cml_status cml_gguf_write_file(cml_gguf_writer *w, const char *path);

/* ---------------------------------------------------------------- reader */

typedef struct cml_gguf cml_gguf;

/* Parses a whole file / buffer (the buffer is copied). `name` is used in
 * error messages. */
cml_status cml_gguf_read_file(const char *path, cml_gguf **out);
cml_status cml_gguf_read_mem(const void *buf, size_t len, const char *name, cml_gguf **out);
void cml_gguf_free(cml_gguf *g);
/* Maps the file (read-only mmap) instead of reading it: the header is
 * parsed and validated as by cml_gguf_read_file, tensor pointers point into
 * the mapping (valid until cml_gguf_free, which unmaps), and the cml.crc32
 * of the data section is NOT verified, so opening costs O(header) and pages
 * are read only when touched. Callers must validate tensor contents they
 * rely on (e.g. indices). */
cml_status cml_gguf_map_file(const char *path, cml_gguf **out);

/* The reader's scope works like the writer's; it is the only mutable part
 * of a reader, so give each thread its own cml_gguf if scopes differ. */
cml_status cml_gguf_set_scope(cml_gguf *g, const char *prefix);
const char *cml_gguf_scope(const cml_gguf *g);
const char *cml_gguf_name(const cml_gguf *g); /* file name for messages */
uint32_t cml_gguf_version(const cml_gguf *g);
/* Size in bytes of the parsed file. */
size_t cml_gguf_size(const cml_gguf *g);

/* Getters return CML_ERR_FORMAT naming the key when it is missing or of
 * another type ("model.gguf: key cml.fit.n_classes: missing"). Integers are
 * accepted from any integer type that fits. Returned pointers live as long
 * as the reader. */
int cml_gguf_has(const cml_gguf *g, const char *key);
cml_status cml_gguf_get_str(const cml_gguf *g, const char *key, const char **val);
cml_status cml_gguf_get_i64(const cml_gguf *g, const char *key, int64_t *val);
cml_status cml_gguf_get_f64(const cml_gguf *g, const char *key, double *val);
cml_status cml_gguf_get_bool(const cml_gguf *g, const char *key, int *val);
/* Arrays: *n set to the length; strings array returns a freshly allocated
 * array of pointers into the reader (free the array only). */
cml_status cml_gguf_get_arr_str(const cml_gguf *g, const char *key, const char ***vals, int64_t *n);
cml_status cml_gguf_get_arr_i64(const cml_gguf *g, const char *key, int64_t **vals, int64_t *n);
cml_status cml_gguf_get_arr_f64(const cml_gguf *g, const char *key, double **vals, int64_t *n);

/* Tensor lookup with type check: returns a pointer into the reader's buffer
 * (aligned for the type). dims may be NULL; else receives up to 4 dims. */
cml_status cml_gguf_get_tensor(const cml_gguf *g, const char *name, cml_gguf_ttype t,
                               const void **data, int *n_dims, int64_t *dims);
/* Checks that tensor `name` exists with type t and shape (rows, cols)
 * without copying it. Loaders call this before allocating from sizes read
 * in the metadata: a tensor's size is bounded by the file's, so a forged
 * count can never make a loader allocate more than the file holds. */
cml_status cml_gguf_expect(const cml_gguf *g, const char *name, cml_gguf_ttype t, int64_t rows,
                           int64_t cols);
/* Copies a row-major (rows, cols) f64 tensor after checking its shape. */
cml_status cml_gguf_read_f64(const cml_gguf *g, const char *name, int64_t rows, int64_t cols,
                             double *out);
cml_status cml_gguf_read_i64(const cml_gguf *g, const char *name, int64_t n, int64_t *out);
cml_status cml_gguf_read_i32(const cml_gguf *g, const char *name, int64_t n, int32_t *out);

/* Iteration for `cml info` / dumps (unscoped: full key names). */
int64_t cml_gguf_n_kv(const cml_gguf *g);
const char *cml_gguf_kv_key(const cml_gguf *g, int64_t i);
cml_gguf_vtype cml_gguf_kv_type(const cml_gguf *g, int64_t i);
/* Writes the value as JSON text into a malloc'd string (arrays as lists,
 * long arrays truncated with "..."). Caller frees. */
char *cml_gguf_kv_json(const cml_gguf *g, int64_t i, int64_t max_items);
int64_t cml_gguf_n_tensors(const cml_gguf *g);
const char *cml_gguf_tensor_name(const cml_gguf *g, int64_t i);
cml_gguf_ttype cml_gguf_tensor_type(const cml_gguf *g, int64_t i);
int cml_gguf_tensor_dims(const cml_gguf *g, int64_t i, int64_t *dims);

#ifdef __cplusplus
}
#endif
#endif /* CML_GGUF_H */
