/* cx_st writer: tensors collected (copied or taken) and written atomically,
 * in the order added, contiguous from offset 0, header padded with spaces. */
#define _POSIX_C_SOURCE 200809L
#include "cx_st.h"
#include "cx_fileio.h"
#include "st_internal.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    cx_dtype dtype;
    int ndim;
    int64_t shape[CX_ST_MAX_DIMS];
    uint8_t *data;
    size_t nbytes;
} writer_entry;

struct cx_st_writer {
    writer_entry *entries;
    size_t n, cap;
    size_t *slots; /* names: open addressing, entry index + 1 (0: empty) */
    size_t mask;
    cJSON *meta;
};

static size_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

/* Slot of name, or of the empty slot where it would go. */
static size_t name_slot(const cx_st_writer *w, const char *name)
{
    size_t i = name_hash(name) & w->mask;
    while (w->slots[i] && strcmp(w->entries[w->slots[i] - 1].name, name) != 0)
        i = (i + 1) & w->mask;
    return i;
}

/* Keeps the name table at most half full. */
static int names_reserve(cx_st_writer *w, size_t n)
{
    if (w->slots && 2 * n <= w->mask + 1) return 1;
    size_t cap = w->slots ? 2 * (w->mask + 1) : 64;
    while (cap < 2 * n)
        cap *= 2;
    size_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return 0;
    free(w->slots);
    w->slots = slots;
    w->mask = cap - 1;
    for (size_t i = 0; i < w->n; i++)
        w->slots[name_slot(w, w->entries[i].name)] = i + 1;
    return 1;
}

cx_st_writer *cx_st_writer_alloc(void)
{
    cx_st_writer *w = calloc(1, sizeof *w);
    if (w) w->meta = cJSON_CreateObject();
    if (w && !w->meta) {
        free(w);
        w = NULL;
    }
    return w;
}

void cx_st_writer_free(cx_st_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->entries[i].name);
        free(w->entries[i].data);
    }
    free(w->entries);
    free(w->slots);
    cJSON_Delete(w->meta);
    free(w);
}

/* Appends an entry for data (owned when take, else copied). */
static cx_status writer_push(cx_st_writer *w, const char *name, cx_dtype dtype, int ndim,
                             const int64_t *shape, const void *data, void *take)
{
    uint64_t nelem;
    if (ndim < 0 || ndim > CX_ST_MAX_DIMS || dtype >= CX_DT_COUNT)
        return cx_fail(CX_ERR_VALUE, "tensor '%s': invalid dtype or rank", name);
    /* Nothing the reader would refuse: its limits, UTF-8, no metadata name. */
    if (!st_shape_elems(ndim, shape, &nelem))
        return cx_fail(CX_ERR_VALUE, "tensor '%s': negative extent or more than %llu elements",
                       name, (unsigned long long)CX_ST_MAX_ELEMS);
    if (!st_utf8_valid(name) || strcmp(name, "__metadata__") == 0)
        return cx_fail(CX_ERR_VALUE, "tensor '%s': not a valid tensor name", name);
    if (!names_reserve(w, w->n + 1))
        return cx_fail(CX_ERR_NOMEM, "tensor '%s': out of memory", name);
    size_t slot = name_slot(w, name);
    if (w->slots[slot]) return cx_fail(CX_ERR_VALUE, "tensor '%s' added twice", name);
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        writer_entry *grown = realloc(w->entries, cap * sizeof *grown);
        if (!grown) return cx_fail(CX_ERR_NOMEM, "tensor '%s': out of memory", name);
        w->entries = grown;
        w->cap = cap;
    }
    writer_entry *e = &w->entries[w->n];
    e->nbytes = (size_t)nelem * cx_dtype_size(dtype);
    e->name = strdup(name);
    e->data = take ? take : malloc(e->nbytes ? e->nbytes : 1);
    if (!e->name || !e->data) {
        free(e->name);
        if (!take) free(e->data);
        return cx_fail(CX_ERR_NOMEM, "tensor '%s': out of memory", name);
    }
    if (e->nbytes && !take) memcpy(e->data, data, e->nbytes);
    e->dtype = dtype;
    e->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        e->shape[d] = shape[d];
    w->slots[slot] = ++w->n;
    return CX_OK;
}

cx_status cx_st_writer_add(cx_st_writer *w, const char *name, cx_dtype dtype, int ndim,
                           const int64_t *shape, const void *data)
{
    return writer_push(w, name, dtype, ndim, shape, data, NULL);
}

cx_status cx_st_writer_take(cx_st_writer *w, const char *name, cx_dtype dtype, int ndim,
                            const int64_t *shape, void *data)
{
    if (!data) return cx_fail(CX_ERR_NOMEM, "tensor '%s': out of memory", name);
    cx_status st = writer_push(w, name, dtype, ndim, shape, NULL, data);
    if (st != CX_OK) free(data);
    return st;
}

cx_status cx_st_writer_meta(cx_st_writer *w, const char *key, const char *value)
{
    if (!st_utf8_valid(key) || !st_utf8_valid(value))
        return cx_fail(CX_ERR_VALUE, "metadata '%s': not valid UTF-8", key);
    cJSON_DeleteItemFromObjectCaseSensitive(w->meta, key);
    if (!cJSON_AddStringToObject(w->meta, key, value))
        return cx_fail(CX_ERR_NOMEM, "metadata '%s': out of memory", key);
    return CX_OK;
}

cx_status cx_st_writer_write(const cx_st_writer *w, const char *path)
{
    cJSON *header = cJSON_CreateObject();
    cx_status st = CX_OK;
    if (!header) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    if (cJSON_GetArraySize(w->meta) > 0)
        cJSON_AddItemToObject(header, "__metadata__", cJSON_Duplicate(w->meta, 1));
    size_t offset = 0;
    for (size_t i = 0; i < w->n; i++) {
        const writer_entry *e = &w->entries[i];
        cJSON *obj = cJSON_AddObjectToObject(header, e->name);
        cJSON *shape = cJSON_CreateArray();
        cJSON *offs = cJSON_CreateArray();
        if (!obj || !shape || !offs) {
            cJSON_Delete(shape);
            cJSON_Delete(offs);
            cJSON_Delete(header);
            return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
        }
        cJSON_AddStringToObject(obj, "dtype", cx_dtype_name(e->dtype));
        for (int d = 0; d < e->ndim; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)e->shape[d]));
        cJSON_AddItemToObject(obj, "shape", shape);
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(offset + e->nbytes)));
        cJSON_AddItemToObject(obj, "data_offsets", offs);
        offset += e->nbytes;
    }
    char *text = cJSON_PrintUnformatted(header);
    cJSON_Delete(header);
    if (!text) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    /* Pad the header with spaces so the data section starts 8-byte aligned. */
    size_t tlen = strlen(text), hlen = (tlen + 7) & ~(size_t)7;
    char *padded = malloc(hlen);
    if (!padded) {
        free(text);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    }
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): padded, not a C string */
    memcpy(padded, text, tlen);
    memset(padded + tlen, ' ', hlen - tlen);
    free(text);
    uint8_t lenbuf[8];
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    size_t nparts = 2 + w->n;
    const void **parts = malloc(nparts * sizeof *parts);
    size_t *sizes = malloc(nparts * sizeof *sizes);
    if (!parts || !sizes) {
        st = cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    } else {
        parts[0] = lenbuf;
        sizes[0] = 8;
        parts[1] = padded;
        sizes[1] = hlen;
        for (size_t i = 0; i < w->n; i++) {
            parts[2 + i] = w->entries[i].data;
            sizes[2 + i] = w->entries[i].nbytes;
        }
        st = cx_write_file_atomic(path, parts, sizes, nparts);
    }
    free(parts);
    free(sizes);
    free(padded);
    return st;
}
