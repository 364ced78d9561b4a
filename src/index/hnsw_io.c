/*
 * hnsw_io.c — HNSW persistence: save as GGUF, load (read + copy) and open
 * (mmap, searched in place).
 *
 * Layout: see cml_hnsw_save in cml/index.h; the in-memory arrays are the
 * tensors, so an opened index points straight into the mapping.
 *
 * Trust: a search follows links blindly, so before an index is returned
 * every field a search dereferences is checked — levels in [0, max_level],
 * upper-level blocks inside links_upper, link counts <= M0 (level 0) or M,
 * every neighbour id in [0, n) with a level >= the list's level, the entry
 * point at max_level. That is O(n + edges), one sequential pass over the
 * graph (measured in bench_hnsw as open time). Vector values are not
 * checked: a corrupted float gives a wrong distance, never a bad access.
 * load additionally verifies the file's CRC-32; open does not (it would
 * read the whole file).
 *
 * Thread-safety: save reads a const index (no search may mutate it; none
 * does); load/open create a new index.
 */
#include <string.h>

#include "index/hnsw_internal.h"

#define HNSW_KIND           "hnsw_index"
#define HNSW_SCHEMA_VERSION 1

/* ---------------------------------------------------------------- save */

cml_status cml_hnsw_save(const cml_hnsw *h, const char *path)
{
    cml_gguf_writer *w = cml_gguf_writer_new();
    if (!w) return CML_ERR_NOMEM;
    cml_status st = CML_OK;
    int64_t n = h->n;
    int64_t rng[4];
    for (int i = 0; i < 4; i++)
        rng[i] = (int64_t)h->rng.s[i];
    CML_TRY(cml_gguf_set_str(w, "cml.kind", HNSW_KIND));
    CML_TRY(cml_gguf_set_u32(w, "cml.schema_version", HNSW_SCHEMA_VERSION));
    CML_TRY(cml_gguf_set_str(w, "cml.version", CML_VERSION_STRING));
    CML_TRY(cml_gguf_set_str(w, "cml.index.metric", cml_index_metric_name(h->metric)));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.dim", h->dim));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.M", h->M));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.ef_construction", h->ef_construction));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.ef_search", h->ef_search));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.max_elements", h->cap));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.random_state", (int64_t)h->seed));
    CML_TRY(cml_gguf_set_arr_i64(w, "cml.index.rng_state", rng, 4));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.n", n));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.entry", h->entry));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.max_level", h->max_level));
    CML_TRY(cml_gguf_set_i64(w, "cml.index.upper_len", h->upper_len));
    CML_TRY(cml_gguf_set_bool(w, "cml.index.quantized", h->quantized));

    int64_t dv[2] = {h->dim, n}, dl[2] = {h->M0 + 1, n};
    CML_TRY(cml_gguf_add_tensor(w, "vectors", CML_GGUF_T_F32, 2, dv, h->vec));
    CML_TRY(cml_gguf_add_i64(w, "labels", h->labels, n));
    CML_TRY(cml_gguf_add_i32(w, "levels", h->level, n));
    CML_TRY(cml_gguf_add_tensor(w, "deleted", CML_GGUF_T_I8, 1, &n, h->deleted));
    CML_TRY(cml_gguf_add_tensor(w, "links0", CML_GGUF_T_I32, 2, dl, h->links0));
    CML_TRY(cml_gguf_add_i64(w, "upper_offsets", h->upper_off, n));
    CML_TRY(cml_gguf_add_i32(w, "links_upper", h->upper, h->upper_len));
    if (h->quantized) {
        int64_t d = h->dim;
        CML_TRY(cml_gguf_add_tensor(w, "q_min", CML_GGUF_T_F32, 1, &d, h->q_min));
        CML_TRY(cml_gguf_add_tensor(w, "q_scale", CML_GGUF_T_F32, 1, &d, h->q_scale));
        CML_TRY(cml_gguf_add_tensor(w, "codes", CML_GGUF_T_I8, 2, dv, h->codes));
    }
    st = cml_gguf_write_file(w, path);
fail:
    cml_gguf_writer_free(w);
    return st;
}

/* ---------------------------------------------------------------- load */

/* Tensor `name` of type t with exactly the given dims (ggml order). */
static cml_status tensor_exact(const cml_gguf *g, const char *name, cml_gguf_ttype t, int nd,
                               int64_t d0, int64_t d1, const void **data)
{
    int got_nd;
    int64_t dims[CML_GGUF_MAX_DIMS];
    CML_CHECK(cml_gguf_get_tensor(g, name, t, data, &got_nd, dims));
    if (got_nd != nd || dims[0] != d0 || (nd == 2 && dims[1] != d1))
        return cml_fail(CML_ERR_FORMAT, "%s: tensor %s has shape %lld x %lld, expected %lld x %lld",
                        cml_gguf_name(g), name, (long long)dims[0],
                        (long long)(got_nd > 1 ? dims[1] : 1), (long long)d0,
                        (long long)(nd > 1 ? d1 : 1));
    return CML_OK;
}

static cml_status get_key(const cml_gguf *g, const char *key, int64_t lo, int64_t hi, int64_t *v)
{
    CML_CHECK(cml_gguf_get_i64(g, key, v));
    if (*v < lo || *v > hi)
        return cml_fail(CML_ERR_FORMAT, "%s: %s = %lld is out of range [%lld, %lld]",
                        cml_gguf_name(g), key, (long long)*v, (long long)lo, (long long)hi);
    return CML_OK;
}

/* Checks one link list: count <= mmax and every id a node of level >= lev.
 * Returns 0 when bad. */
static int list_ok(const cml_hnsw *h, const int32_t *lk, int64_t mmax, int lev)
{
    int32_t cnt = lk[0];
    if (cnt < 0 || cnt > mmax) return 0;
    int ok = 1;
    for (int32_t j = 0; j < cnt; j++) {
        int32_t id = lk[1 + j];
        ok &= id >= 0 && id < h->n;
        if (!ok) return 0;
        ok &= h->level[id] >= lev;
    }
    return ok;
}

/* The structural validation described in the header comment. */
static cml_status validate_graph(const cml_hnsw *h, const char *name)
{
    int64_t bad = -1;
    for (int64_t i = 0; i < h->n; i++) {
        int32_t l = h->level[i];
        if (l < 0 || l > h->max_level) {
            bad = i;
            break;
        }
        if (l > 0) {
            int64_t off = h->upper_off[i];
            if (off < 0 || off > h->upper_len || (int64_t)l * (h->M + 1) > h->upper_len - off) {
                bad = i;
                break;
            }
        }
    }
    if (bad >= 0)
        return cml_fail(CML_ERR_FORMAT, "%s: node %lld has a bad level or upper-level offset", name,
                        (long long)bad);
    int failed = 0;
#pragma omp parallel for CML_OMP_THREADS schedule(static) reduction(| : failed)
    for (int64_t i = 0; i < h->n; i++) {
        int ok = list_ok(h, h->links0 + i * (h->M0 + 1), h->M0, 0);
        for (int l = 1; ok && l <= h->level[i]; l++)
            ok = list_ok(h, h->upper + h->upper_off[i] + (int64_t)(l - 1) * (h->M + 1), h->M, l);
        failed |= !ok;
    }
    if (failed)
        return cml_fail(CML_ERR_FORMAT,
                        "%s: a neighbour list has a bad count or an id out of range: the file is "
                        "corrupt",
                        name);
    if (h->n == 0 ? h->entry != -1 || h->max_level != -1
                  : h->entry < 0 || h->entry >= h->n || h->level[h->entry] != h->max_level)
        return cml_fail(CML_ERR_FORMAT, "%s: bad entry point %d (max_level %d)", name,
                        (int)h->entry, (int)h->max_level);
    return CML_OK;
}

/* Builds an index whose arrays point into g (taking ownership of g). */
static cml_status from_reader(cml_gguf *g, cml_hnsw **out)
{
    *out = NULL;
    cml_status st = CML_OK;
    cml_hnsw *h = NULL;
    const char *name = cml_gguf_name(g), *kind = NULL, *metric = NULL;
    int64_t ver, dim, M, efc, efs, cap, seed, n, entry, maxl, ulen;
    int64_t *rng = NULL, nrng = 0;
    int quant = 0;
    CML_TRY(cml_gguf_get_str(g, "cml.kind", &kind));
    if (strcmp(kind, HNSW_KIND) != 0) {
        st = cml_fail(CML_ERR_FORMAT, "%s: holds a \"%s\", not an HNSW index", name, kind);
        goto fail;
    }
    CML_TRY(cml_gguf_get_i64(g, "cml.schema_version", &ver));
    if (ver > HNSW_SCHEMA_VERSION) {
        st = cml_fail(CML_ERR_VERSION,
                      "%s: HNSW schema version %lld is newer than this cml reads (%d). HINT: "
                      "upgrade cml",
                      name, (long long)ver, HNSW_SCHEMA_VERSION);
        goto fail;
    }
    CML_TRY(cml_gguf_get_str(g, "cml.index.metric", &metric));
    cml_hnsw_params p = cml_hnsw_params_default();
    st = cml_index_metric_parse(metric, &p.metric);
    if (st != CML_OK) {
        st = cml_fail(CML_ERR_FORMAT, "%s: unknown metric \"%s\"", name, metric);
        goto fail;
    }
    CML_TRY(get_key(g, "cml.index.dim", 1, 1 << 24, &dim));
    CML_TRY(get_key(g, "cml.index.M", 2, 2048, &M));
    CML_TRY(get_key(g, "cml.index.ef_construction", 1, 1 << 20, &efc));
    CML_TRY(get_key(g, "cml.index.ef_search", 1, 1 << 20, &efs));
    CML_TRY(get_key(g, "cml.index.max_elements", 0, INT32_MAX - 1, &cap));
    CML_TRY(cml_gguf_get_i64(g, "cml.index.random_state", &seed));
    CML_TRY(get_key(g, "cml.index.n", 0, cap, &n));
    CML_TRY(get_key(g, "cml.index.entry", -1, n - 1, &entry));
    CML_TRY(get_key(g, "cml.index.max_level", -1, HNSW_MAX_LEVEL - 1, &maxl));
    CML_TRY(get_key(g, "cml.index.upper_len", 0, INT64_MAX / 8, &ulen));
    CML_TRY(cml_gguf_get_bool(g, "cml.index.quantized", &quant));
    CML_TRY(cml_gguf_get_arr_i64(g, "cml.index.rng_state", &rng, &nrng));
    if (nrng != 4) {
        st = cml_fail(CML_ERR_FORMAT, "%s: cml.index.rng_state must hold 4 values", name);
        goto fail;
    }
    p.dim = dim;
    p.M = M;
    p.ef_construction = efc;
    p.ef_search = efs;
    p.max_elements = cap;
    p.random_state = (uint64_t)seed;
    CML_TRY(cml_hnsw_shell(&p, &h));
    h->mapped = g; /* from here h owns g; its arrays point into it */
    g = NULL;
    for (int i = 0; i < 4; i++)
        h->rng.s[i] = (uint64_t)rng[i];
    h->n = n;
    h->cap = n; /* the mapping holds n slots; the first mutation grows to max_elements */
    h->cap_saved = cap;
    h->entry = (int32_t)entry;
    h->max_level = (int32_t)maxl;
    h->upper_len = ulen;

    const cml_gguf *r = h->mapped;
    const void *vp;
    CML_TRY(tensor_exact(r, "vectors", CML_GGUF_T_F32, 2, dim, n, &vp));
    h->vec = (float *)vp;
    CML_TRY(tensor_exact(r, "labels", CML_GGUF_T_I64, 1, n, 0, &vp));
    h->labels = (int64_t *)vp;
    CML_TRY(tensor_exact(r, "levels", CML_GGUF_T_I32, 1, n, 0, &vp));
    h->level = (int32_t *)vp;
    CML_TRY(tensor_exact(r, "deleted", CML_GGUF_T_I8, 1, n, 0, &vp));
    h->deleted = (uint8_t *)vp;
    CML_TRY(tensor_exact(r, "links0", CML_GGUF_T_I32, 2, 2 * M + 1, n, &vp));
    h->links0 = (int32_t *)vp;
    CML_TRY(tensor_exact(r, "upper_offsets", CML_GGUF_T_I64, 1, n, 0, &vp));
    h->upper_off = (int64_t *)vp;
    CML_TRY(tensor_exact(r, "links_upper", CML_GGUF_T_I32, 1, ulen, 0, &vp));
    h->upper = (int32_t *)vp;
    h->upper_cap = ulen;
    if (quant) {
        CML_TRY(tensor_exact(r, "q_min", CML_GGUF_T_F32, 1, dim, 0, &vp));
        h->q_min = (float *)vp;
        CML_TRY(tensor_exact(r, "q_scale", CML_GGUF_T_F32, 1, dim, 0, &vp));
        h->q_scale = (float *)vp;
        CML_TRY(tensor_exact(r, "codes", CML_GGUF_T_I8, 2, dim, n, &vp));
        h->codes = (uint8_t *)vp;
        h->quantized = 1;
    }
    for (int64_t i = 0; i < n; i++)
        h->n_deleted += h->deleted[i] != 0;
    CML_TRY(validate_graph(h, name));
    free(rng);
    *out = h;
    return CML_OK;
fail:
    free(rng);
    cml_hnsw_free(h);
    cml_gguf_free(g);
    return st;
}

cml_status cml_hnsw_open(const char *path, cml_hnsw **out)
{
    *out = NULL;
    cml_gguf *g;
    CML_CHECK(cml_gguf_map_file(path, &g));
    return from_reader(g, out);
}

cml_status cml_hnsw_load(const char *path, cml_hnsw **out)
{
    *out = NULL;
    cml_gguf *g;
    cml_hnsw *h;
    CML_CHECK(cml_gguf_read_file(path, &g));
    CML_CHECK(from_reader(g, &h));
    /* copy into owned memory at full capacity; frees the reader */
    cml_status st = cml_hnsw_reserve(h, h->cap_saved);
    if (st != CML_OK) {
        cml_hnsw_free(h);
        return st;
    }
    *out = h;
    return CML_OK;
}
