#define _POSIX_C_SOURCE 200809L
#include "cx_st.h"
#include "cx_fileio.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cortile reads safetensors data in place and needs a little-endian host"
#endif

static const struct {
    const char *name;
    size_t size;
} dtype_info[CX_DT_COUNT] = {
    [CX_DT_F64] = {"F64", 8}, [CX_DT_F32] = {"F32", 4}, [CX_DT_F16] = {"F16", 2},
    [CX_DT_BF16] = {"BF16", 2}, [CX_DT_I64] = {"I64", 8}, [CX_DT_I32] = {"I32", 4},
    [CX_DT_I16] = {"I16", 2},   [CX_DT_I8] = {"I8", 1},   [CX_DT_U8] = {"U8", 1},
    [CX_DT_BOOL] = {"BOOL", 1},
};

const char *cx_dtype_name(cx_dtype dt) { return dt < CX_DT_COUNT ? dtype_info[dt].name : "?"; }
size_t cx_dtype_size(cx_dtype dt) { return dt < CX_DT_COUNT ? dtype_info[dt].size : 0; }

cx_dtype cx_dtype_parse(const char *name)
{
    for (int i = 0; i < CX_DT_COUNT; i++)
        if (strcmp(name, dtype_info[i].name) == 0) return (cx_dtype)i;
    return CX_DT_COUNT;
}

void cx_st_shape_str(int ndim, const int64_t *shape, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && n < len; i++) {
        if (shape[i] < 0)
            n += (size_t)snprintf(buf + n, len - n, "%s*", i ? ", " : "");
        else
            n += (size_t)snprintf(buf + n, len - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    }
    if (n < len) snprintf(buf + n, len - n, "]");
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void cx_st_close(cx_st_file *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->ntensors; i++) free(f->tensors[i].name);
    for (size_t i = 0; i < f->nmeta; i++) {
        free(f->meta_keys[i]);
        free(f->meta_values[i]);
    }
    free(f->meta_keys);
    free(f->meta_values);
    free(f->tensors);
    free(f->by_name);
    free(f->buf);
    free(f->path);
    free(f);
}

static cx_status parse_metadata(cx_st_file *f, const cJSON *meta)
{
    if (!cJSON_IsObject(meta))
        return cx_fail(CX_ERR_FORMAT, "%s: __metadata__ is not a JSON object", f->path);
    size_t n = (size_t)cJSON_GetArraySize(meta);
    f->meta_keys = calloc(n ? n : 1, sizeof(char *));
    f->meta_values = calloc(n ? n : 1, sizeof(char *));
    if (!f->meta_keys || !f->meta_values) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    const cJSON *item;
    cJSON_ArrayForEach(item, meta)
    {
        /* Metadata values are strings by the format; print others as JSON. */
        char *value = cJSON_IsString(item) ? dup_str(item->valuestring) : cJSON_PrintUnformatted(item);
        f->meta_keys[f->nmeta] = dup_str(item->string);
        f->meta_values[f->nmeta] = value;
        f->nmeta++;
        if (!value || !f->meta_keys[f->nmeta - 1])
            return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    }
    return CX_OK;
}

static cx_status parse_entry(cx_st_file *f, const cJSON *item, size_t data_size, cx_st_tensor *t)
{
    const char *name = item->string;
    if (!cJSON_IsObject(item))
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': header entry is not an object", f->path, name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsString(dtype))
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': missing string 'dtype'", f->path, name);
    if (!cJSON_IsArray(shape))
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': missing array 'shape'", f->path, name);
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': 'data_offsets' must be [begin, end]",
                       f->path, name);
    t->name = dup_str(name);
    if (!t->name) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    t->dtype = cx_dtype_parse(dtype->valuestring);
    if (t->dtype == CX_DT_COUNT)
        return cx_fail(CX_ERR_DTYPE, "%s: tensor '%s': unsupported dtype '%s'", f->path, name,
                       dtype->valuestring);
    t->ndim = cJSON_GetArraySize(shape);
    if (t->ndim > CX_ST_MAX_DIMS)
        return cx_fail(CX_ERR_SHAPE, "%s: tensor '%s': %d dimensions, at most %d supported",
                       f->path, name, t->ndim, CX_ST_MAX_DIMS);
    t->nelem = 1;
    for (int d = 0; d < t->ndim; d++) {
        const cJSON *e = cJSON_GetArrayItem(shape, d);
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble != floor(e->valuedouble) ||
            e->valuedouble > 9.0e15)
            return cx_fail(CX_ERR_SHAPE, "%s: tensor '%s': shape entry %d is not a size", f->path,
                           name, d);
        t->shape[d] = (int64_t)e->valuedouble;
        if (t->shape[d] && t->nelem > SIZE_MAX / 16 / (size_t)t->shape[d])
            return cx_fail(CX_ERR_SHAPE, "%s: tensor '%s': shape too large", f->path, name);
        t->nelem *= (size_t)t->shape[d];
    }
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble;
    double e = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)) ||
        b < 0 || e < b || b != floor(b) || e != floor(e))
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': invalid data_offsets", f->path, name);
    size_t begin = (size_t)b, end = (size_t)e;
    t->nbytes = t->nelem * cx_dtype_size(t->dtype);
    if (end - begin != t->nbytes) {
        char sh[128];
        cx_st_shape_str(t->ndim, t->shape, sh, sizeof sh);
        return cx_fail(CX_ERR_FORMAT,
                       "%s: tensor '%s': %s %s needs %zu bytes but data_offsets span %zu", f->path,
                       name, dtype->valuestring, sh, t->nbytes, end - begin);
    }
    if (end > data_size)
        return cx_fail(CX_ERR_FORMAT,
                       "%s: truncated: tensor '%s' needs bytes [%zu, %zu) of the data section, "
                       "which has %zu",
                       f->path, name, begin, end, data_size);
    t->data = f->buf + 8 + (f->size - 8 - data_size) + begin;
    return CX_OK;
}

typedef struct {
    const char *name;
    size_t index;
} named_index;

static int named_index_cmp(const void *a, const void *b)
{
    return strcmp(((const named_index *)a)->name, ((const named_index *)b)->name);
}

/* Names sorted once, so a lookup is a binary search (program files hold
 * tens of tensors per tile). */
static cx_status index_names(cx_st_file *f)
{
    size_t n = f->ntensors;
    named_index *tmp = malloc((n ? n : 1) * sizeof *tmp);
    f->by_name = malloc((n ? n : 1) * sizeof *f->by_name);
    if (!tmp || !f->by_name) {
        free(tmp);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = (named_index){f->tensors[i].name, i};
    qsort(tmp, n, sizeof *tmp, named_index_cmp);
    for (size_t i = 0; i < n; i++)
        f->by_name[i] = tmp[i].index;
    free(tmp);
    return CX_OK;
}

cx_status cx_st_parse(const char *label, uint8_t *buf, size_t size, cx_st_file **out)
{
    *out = NULL;
    cx_st_file *f = calloc(1, sizeof *f);
    if (!f) {
        free(buf);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", label);
    }
    f->path = dup_str(label);
    f->buf = buf;
    f->size = size;
    cx_status st = CX_OK;
    cJSON *header = NULL;
    if (size < 8) {
        st = cx_fail(CX_ERR_FORMAT, "%s: truncated: %zu bytes, a safetensors file has at least 8",
                     label, size);
        goto done;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | buf[i];
    if (hlen > size - 8) {
        st = cx_fail(CX_ERR_FORMAT, "%s: truncated: header claims %llu bytes, file has %zu after the length",
                     label, (unsigned long long)hlen, size - 8);
        goto done;
    }
    header = cJSON_ParseWithLength((const char *)buf + 8, (size_t)hlen);
    if (!cJSON_IsObject(header)) {
        st = cx_fail(CX_ERR_FORMAT, "%s: header is not a valid JSON object", label);
        goto done;
    }
    size_t n = (size_t)cJSON_GetArraySize(header);
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    if (!f->tensors) {
        st = cx_fail(CX_ERR_NOMEM, "%s: out of memory", label);
        goto done;
    }
    size_t data_size = size - 8 - (size_t)hlen;
    const cJSON *item;
    cJSON_ArrayForEach(item, header)
    {
        if (strcmp(item->string, "__metadata__") == 0)
            st = parse_metadata(f, item);
        else
            st = parse_entry(f, item, data_size, &f->tensors[f->ntensors++]);
        if (st != CX_OK) goto done;
    }
    st = index_names(f);
done:
    cJSON_Delete(header);
    if (st != CX_OK) {
        cx_st_close(f);
        return st;
    }
    *out = f;
    return CX_OK;
}

cx_status cx_st_open(const char *path, cx_st_file **out)
{
    uint8_t *buf;
    size_t size;
    *out = NULL;
    CX_TRY(cx_read_file(path, &buf, &size));
    return cx_st_parse(path, buf, size, out);
}

const cx_st_tensor *cx_st_find(const cx_st_file *f, const char *name)
{
    size_t lo = 0, hi = f->ntensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->tensors[f->by_name[mid]].name, name);
        if (c == 0) return &f->tensors[f->by_name[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *cx_st_meta(const cx_st_file *f, const char *key)
{
    for (size_t i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

static void dtype_mask_str(unsigned mask, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < CX_DT_COUNT && n < len; i++)
        if (mask & CX_DTM(i)) n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", dtype_info[i].name);
}

cx_status cx_st_require(const cx_st_file *f, const char *name, unsigned dtype_mask, int ndim,
                        const int64_t *shape, const cx_st_tensor **out)
{
    const cx_st_tensor *t = cx_st_find(f, name);
    *out = NULL;
    if (!t) return cx_fail(CX_ERR_MISSING, "%s: missing tensor '%s'", f->path, name);
    if (!(dtype_mask & CX_DTM(t->dtype))) {
        char want[64];
        dtype_mask_str(dtype_mask, want, sizeof want);
        return cx_fail(CX_ERR_DTYPE, "%s: tensor '%s': expected dtype %s, found %s", f->path, name,
                       want, cx_dtype_name(t->dtype));
    }
    int ok = ndim < 0 || t->ndim == ndim;
    for (int d = 0; ok && ndim >= 0 && d < ndim; d++) ok = shape[d] < 0 || shape[d] == t->shape[d];
    if (!ok) {
        char want[128], found[128];
        cx_st_shape_str(ndim, shape, want, sizeof want);
        cx_st_shape_str(t->ndim, t->shape, found, sizeof found);
        return cx_fail(CX_ERR_SHAPE, "%s: tensor '%s': expected shape %s, found %s", f->path, name,
                       want, found);
    }
    *out = t;
    return CX_OK;
}

static double half_to_double(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp(mant, -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexp(mant | 0x400, exp - 25);
    return sign ? -v : v;
}

double cx_st_get(const cx_st_tensor *t, size_t i)
{
    const uint8_t *p = t->data + i * cx_dtype_size(t->dtype);
    switch (t->dtype) {
    case CX_DT_F64: {
        double v;
        memcpy(&v, p, 8);
        return v;
    }
    case CX_DT_F32: {
        float v;
        memcpy(&v, p, 4);
        return v;
    }
    case CX_DT_F16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return half_to_double(v);
    }
    case CX_DT_BF16: {
        uint16_t v;
        memcpy(&v, p, 2);
        uint32_t bits = (uint32_t)v << 16;
        float fv;
        memcpy(&fv, &bits, 4);
        return fv;
    }
    case CX_DT_I64: {
        int64_t v;
        memcpy(&v, p, 8);
        return (double)v;
    }
    case CX_DT_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case CX_DT_I16: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case CX_DT_I8: return (int8_t)p[0];
    case CX_DT_U8: return p[0];
    case CX_DT_BOOL: return p[0] != 0;
    case CX_DT_COUNT: break;
    }
    return NAN;
}

cx_status cx_st_to_f64(const cx_st_file *f, const cx_st_tensor *t, int finite, double **out)
{
    double *v = malloc((t->nelem ? t->nelem : 1) * sizeof *v);
    *out = NULL;
    if (!v) return cx_fail(CX_ERR_NOMEM, "%s: tensor '%s': out of memory", f->path, t->name);
    if (t->dtype == CX_DT_F64)
        memcpy(v, t->data, t->nbytes);
    else
        for (size_t i = 0; i < t->nelem; i++) v[i] = cx_st_get(t, i);
    for (size_t i = 0; finite && i < t->nelem; i++) {
        if (!isfinite(v[i])) {
            cx_status st = cx_fail(CX_ERR_VALUE, "%s: tensor '%s': element %zu is %s", f->path,
                                   t->name, i, isnan(v[i]) ? "NaN" : "infinite");
            free(v);
            return st;
        }
    }
    *out = v;
    return CX_OK;
}

cx_status cx_st_to_i64(const cx_st_file *f, const cx_st_tensor *t, int64_t **out)
{
    int64_t *v = malloc((t->nelem ? t->nelem : 1) * sizeof *v);
    *out = NULL;
    if (!v) return cx_fail(CX_ERR_NOMEM, "%s: tensor '%s': out of memory", f->path, t->name);
    for (size_t i = 0; i < t->nelem; i++) {
        if (t->dtype == CX_DT_I64) {
            memcpy(&v[i], t->data + 8 * i, 8);
        } else {
            double d = cx_st_get(t, i);
            if (d != floor(d)) {
                free(v);
                return cx_fail(CX_ERR_DTYPE, "%s: tensor '%s': element %zu is not an integer",
                               f->path, t->name, i);
            }
            v[i] = (int64_t)d;
        }
    }
    *out = v;
    return CX_OK;
}

cx_status cx_st_read_f64(const cx_st_file *f, const char *name, int ndim, const int64_t *shape,
                         double **out)
{
    const cx_st_tensor *t;
    *out = NULL;
    CX_TRY(cx_st_require(f, name, CX_DTM_FLOAT, ndim, shape, &t));
    return cx_st_to_f64(f, t, 1, out);
}

/* ---- writer ---- */

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
    if (ndim < 0 || ndim > CX_ST_MAX_DIMS || dtype >= CX_DT_COUNT)
        return cx_fail(CX_ERR_VALUE, "tensor '%s': invalid dtype or rank", name);
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
    size_t nelem = 1;
    for (int d = 0; d < ndim; d++) nelem *= (size_t)shape[d];
    e->nbytes = nelem * cx_dtype_size(dtype);
    e->name = dup_str(name);
    e->data = take ? take : malloc(e->nbytes ? e->nbytes : 1);
    if (!e->name || !e->data) {
        free(e->name);
        if (!take) free(e->data);
        return cx_fail(CX_ERR_NOMEM, "tensor '%s': out of memory", name);
    }
    if (e->nbytes && !take) memcpy(e->data, data, e->nbytes);
    e->dtype = dtype;
    e->ndim = ndim;
    for (int d = 0; d < ndim; d++) e->shape[d] = shape[d];
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
        for (int d = 0; d < e->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)e->shape[d]));
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
    memcpy(padded, text, tlen); /* NOLINT(bugprone-not-null-terminated-result): padded, not a C string */
    memset(padded + tlen, ' ', hlen - tlen);
    free(text);
    uint8_t lenbuf[8];
    for (int i = 0; i < 8; i++) lenbuf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
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
