/*
 * safetensors.c — network weights as safetensors (the format of Hugging
 * Face's `safetensors`, what PyTorch users load with safetensors.torch):
 *   8 bytes: little-endian u64 N, the header size
 *   N bytes: JSON {"name": {"dtype": "F32", "shape": [...],
 *                           "data_offsets": [begin, end]}, ..., "__metadata__": {...}}
 *   the data: each tensor's bytes, little-endian, at [begin, end) after the header.
 * Tensor names are the engine's (fc0.weight, conv1.bias, bn0.running_mean...),
 * shapes PyTorch's (Linear (out, in), Conv2d (O, C/g, KH, KW)), so a state
 * dict maps over by renaming. Reads check every offset and shape against the
 * file size and the architecture: a corrupt file is CML_ERR_FORMAT, never a
 * crash. (This machine is little-endian, as the format; a big-endian host
 * would need byte swaps, which cml does not support.)
 *
 * Cost: O(size). Thread-safety: none needed (reads/writes a file).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "nn/nn_internal.h"

cml_status nn_safetensors_write(const char *path, const nn_store *const *stores, int n_stores)
{
    cml_sb sb;
    cml_sb_init(&sb);
    cml_sb_puts(&sb, "{\"__metadata__\":{\"format\":\"pt\",\"producer\":\"cml\"}");
    int64_t off = 0;
    for (int s = 0; s < n_stores; s++)
        for (int i = 0; i < stores[s]->n_e; i++) {
            const nn_pentry *e = &stores[s]->e[i];
            cml_sb_puts(&sb, ",");
            cml_sb_json_str(&sb, e->name);
            cml_sb_puts(&sb, ":{\"dtype\":\"F32\",\"shape\":[");
            for (int k = 0; k < e->ndim; k++)
                cml_sb_printf(&sb, "%s%lld", k ? "," : "", (long long)e->shape[k]);
            cml_sb_printf(&sb, "],\"data_offsets\":[%lld,%lld]}", (long long)off,
                          (long long)(off + e->n * 4));
            off += e->n * 4;
        }
    cml_sb_puts(&sb, "}");
    /* pad the header with spaces to a multiple of 8 (the format's alignment) */
    while (!sb.failed && sb.len % 8)
        cml_sb_puts(&sb, " ");
    char *hdr = cml_sb_finish(&sb);
    if (!hdr) return CML_ERR_NOMEM;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(hdr);
        return cml_fail(CML_ERR_IO, "%s: cannot open for writing", path);
    }
    uint64_t n = strlen(hdr);
    unsigned char len8[8];
    for (int k = 0; k < 8; k++)
        len8[k] = (unsigned char)(n >> (8 * k));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(hdr, 1, n, f) == n;
    for (int s = 0; ok && s < n_stores; s++)
        ok =
            fwrite(stores[s]->data, sizeof(float), (size_t)stores[s]->n, f) == (size_t)stores[s]->n;
    ok = fclose(f) == 0 && ok;
    free(hdr);
    return ok ? CML_OK : cml_fail(CML_ERR_IO, "%s: write failed", path);
}

static cml_status fmt(const char *path, const char *what)
{
    return cml_fail(CML_ERR_FORMAT, "%s: not a valid safetensors file: %s", path, what);
}

cml_status nn_safetensors_read(const char *path, nn_store *const *stores, int n_stores)
{
    cml_status st = CML_OK;
    unsigned char *buf = NULL;
    cJSON *j = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return cml_fail(CML_ERR_IO, "%s: cannot open", path);
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return cml_fail(CML_ERR_IO, "%s: cannot seek", path);
    }
    long size = ftell(f);
    rewind(f);
    if (size < 8) {
        fclose(f);
        return fmt(path, "shorter than its 8-byte header length");
    }
    buf = cml_malloc((size_t)size + 1);
    if (!buf) {
        fclose(f);
        return CML_ERR_NOMEM;
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) CML_TRY(cml_fail(CML_ERR_IO, "%s: read failed", path));
    uint64_t hn = 0;
    for (int k = 0; k < 8; k++)
        hn |= (uint64_t)buf[k] << (8 * k);
    if (hn > (uint64_t)size - 8) CML_TRY(fmt(path, "header length beyond the end of the file"));
    char save = (char)buf[8 + hn];
    buf[8 + hn] = '\0';
    j = cJSON_Parse((const char *)buf + 8);
    buf[8 + hn] = (unsigned char)save;
    if (!cJSON_IsObject(j)) CML_TRY(fmt(path, "the header is not a JSON object"));
    const unsigned char *data = buf + 8 + hn;
    uint64_t dsize = (uint64_t)size - 8 - hn;
    for (int s = 0; s < n_stores; s++)
        for (int i = 0; i < stores[s]->n_e; i++) {
            const nn_pentry *e = &stores[s]->e[i];
            cJSON *t = cJSON_GetObjectItemCaseSensitive(j, e->name);
            if (!cJSON_IsObject(t))
                CML_TRY(cml_fail(CML_ERR_FORMAT,
                                 "%s: tensor %s is missing (HINT: the file holds another "
                                 "architecture)",
                                 path, e->name));
            cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
            cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
            cJSON *of = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
            if (!cJSON_IsString(dt) || strcmp(dt->valuestring, "F32"))
                CML_TRY(
                    cml_fail(CML_ERR_FORMAT, "%s: tensor %s must have dtype F32", path, e->name));
            int ok = cJSON_IsArray(sh) && cJSON_GetArraySize(sh) == e->ndim;
            for (int k = 0; ok && k < e->ndim; k++) {
                cJSON *v = cJSON_GetArrayItem(sh, k);
                ok = cJSON_IsNumber(v) && v->valuedouble == (double)e->shape[k];
            }
            if (!ok)
                CML_TRY(cml_fail(CML_ERR_FORMAT,
                                 "%s: tensor %s has another shape than the architecture's "
                                 "(HINT: the file holds another architecture)",
                                 path, e->name));
            cJSON *b = cJSON_GetArrayItem(of, 0), *en = cJSON_GetArrayItem(of, 1);
            if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 || !cJSON_IsNumber(b) ||
                !cJSON_IsNumber(en) || b->valuedouble < 0 ||
                en->valuedouble - b->valuedouble != (double)(e->n * 4) ||
                en->valuedouble > (double)dsize)
                CML_TRY(fmt(path, "data_offsets out of range"));
            memcpy(stores[s]->data + e->offset, data + (uint64_t)b->valuedouble, (size_t)e->n * 4);
        }
fail:
    cJSON_Delete(j);
    free(buf);
    return st;
}
