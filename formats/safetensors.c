/* cx_st reader: the whole file parsed and checked against the format at open,
 * then typed access to its tensors. */
#define _POSIX_C_SOURCE 200809L
#include "cx_st.h"
#include "st_internal.h"
#include "cx_fileio.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cortile reads safetensors data in place and needs a little-endian host"
#endif
_Static_assert(SIZE_MAX / 8 >= CX_ST_MAX_ELEMS, "a tensor's bytes must fit in size_t");

static const struct {
    const char *name;
    size_t size;
} dtype_info[CX_DT_COUNT] = {
    [CX_DT_F64] = {"F64", 8},   [CX_DT_F32] = {"F32", 4}, [CX_DT_F16] = {"F16", 2},
    [CX_DT_BF16] = {"BF16", 2}, [CX_DT_I64] = {"I64", 8}, [CX_DT_I32] = {"I32", 4},
    [CX_DT_I16] = {"I16", 2},   [CX_DT_I8] = {"I8", 1},   [CX_DT_U8] = {"U8", 1},
    [CX_DT_BOOL] = {"BOOL", 1},
};

const char *cx_dtype_name(cx_dtype dt)
{
    return dt < CX_DT_COUNT ? dtype_info[dt].name : "?";
}
size_t cx_dtype_size(cx_dtype dt)
{
    return dt < CX_DT_COUNT ? dtype_info[dt].size : 0;
}

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
    for (size_t i = 0; i < f->ntensors; i++)
        free(f->tensors[i].name);
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

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 when invalid:
 * the second-byte ranges rule out overlong forms, surrogates and code
 * points above U+10FFFF. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] > 0x8f))
        return 0;
    return len;
}

int st_utf8_valid(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0, len; i < n; i += len)
        if (!(len = utf8_len((const uint8_t *)s + i, n - i))) return 0;
    return 1;
}

/* Checked before any product, so none can overflow. */
int st_shape_elems(int ndim, const int64_t *shape, uint64_t *nelem)
{
    uint64_t span = 1;
    int zero = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) return 0;
        if (shape[d] == 0) {
            zero = 1;
            continue;
        }
        if ((uint64_t)shape[d] > CX_ST_MAX_ELEMS / span) return 0;
        span *= (uint64_t)shape[d];
    }
    *nelem = zero ? 0 : span;
    return 1;
}

/* cJSON does not check any of this: it skips a BOM and every byte <= 0x20
 * as whitespace (NUL too), ends a string at "\u0000" and takes any bytes in
 * strings. So the raw header is checked first, in one pass. */
static cx_status check_header_bytes(const char *label, const uint8_t *h, size_t n)
{
    if (n == 0 || h[0] != '{')
        return cx_fail(CX_ERR_FORMAT,
                       "%s: header: not a valid JSON object (it must start with '{')", label);
    for (size_t i = 0, len; i < n; i += len) {
        uint8_t c = h[i];
        if (c == 0)
            return cx_fail(CX_ERR_FORMAT, "%s: header: NUL byte at byte %zu of the header", label,
                           i);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return cx_fail(CX_ERR_FORMAT,
                           "%s: header: control byte 0x%02x at byte %zu of the header", label, c,
                           i);
        if (c == '\\' && i + 1 < n && h[i + 1] < 0x80) {
            if (h[i + 1] == 'u' && n - i >= 6 && memcmp(h + i + 2, "0000", 4) == 0)
                return cx_fail(CX_ERR_FORMAT,
                               "%s: header: escaped NUL (\\u0000) at byte %zu of the header", label,
                               i);
            len = 2; /* the escaped character cannot end the string */
        } else if (!(len = utf8_len(h + i, n - i))) {
            return cx_fail(CX_ERR_FORMAT, "%s: header: invalid UTF-8 at byte %zu of the header",
                           label, i);
        }
    }
    return CX_OK;
}

/* cJSON stops after the top-level value; only whitespace may follow (the
 * format pads the header with spaces). */
static cx_status parse_header_json(const char *label, const uint8_t *h, size_t n, cJSON **out)
{
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts((const char *)h, n, &end, 0);
    if (!cJSON_IsObject(*out))
        return cx_fail(CX_ERR_FORMAT, "%s: header: not a valid JSON object", label);
    for (size_t i = (size_t)((const uint8_t *)end - h); i < n; i++)
        if (h[i] != ' ' && h[i] != '\t' && h[i] != '\n' && h[i] != '\r')
            return cx_fail(CX_ERR_FORMAT,
                           "%s: header: byte 0x%02x after the JSON object, at byte %zu of the "
                           "header (only whitespace may follow it)",
                           label, h[i], i);
    return CX_OK;
}

static cx_status parse_metadata(cx_st_file *f, const cJSON *meta)
{
    if (f->meta_keys)
        return cx_fail(CX_ERR_FORMAT, "%s: header: __metadata__ appears twice", f->path);
    if (!cJSON_IsObject(meta))
        return cx_fail(CX_ERR_FORMAT, "%s: header: __metadata__ is not a JSON object", f->path);
    size_t n = (size_t)cJSON_GetArraySize(meta);
    f->meta_keys = calloc(n ? n : 1, sizeof(char *));
    f->meta_values = calloc(n ? n : 1, sizeof(char *));
    if (!f->meta_keys || !f->meta_values)
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    const cJSON *item;
    cJSON_ArrayForEach(item, meta)
    {
        /* The format's metadata is a string-to-string map. */
        if (!cJSON_IsString(item))
            return cx_fail(CX_ERR_FORMAT, "%s: header: __metadata__ '%s' is not a string", f->path,
                           item->string);
        f->meta_keys[f->nmeta] = dup_str(item->string);
        f->meta_values[f->nmeta] = dup_str(item->valuestring);
        f->nmeta++;
        if (!f->meta_keys[f->nmeta - 1] || !f->meta_values[f->nmeta - 1])
            return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    }
    return CX_OK;
}

/* An entry's dtype, shape and data_offsets: cJSON keeps a repeated key, and
 * a lookup would silently take the first. */
static cx_status entry_fields(const cx_st_file *f, const cJSON *item, const cJSON *out[3])
{
    static const char *const keys[3] = {"dtype", "shape", "data_offsets"};
    const cJSON *c;
    out[0] = out[1] = out[2] = NULL;
    cJSON_ArrayForEach(c, item)
    {
        for (int k = 0; k < 3; k++) {
            if (strcmp(c->string, keys[k]) != 0) continue;
            if (out[k])
                return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': key '%s' appears twice", f->path,
                               item->string, keys[k]);
            out[k] = c;
        }
    }
    return CX_OK;
}

/* A JSON number that is an exact integer in [0, 2^53] (exact in a double). */
static int json_uint(const cJSON *e, uint64_t *out)
{
    if (!cJSON_IsNumber(e)) return 0;
    double v = e->valuedouble;
    if (!(v >= 0 && v <= 9007199254740992.0) || v != floor(v)) return 0;
    *out = (uint64_t)v;
    return 1;
}

static cx_status parse_dtype(const cx_st_file *f, const char *name, const cJSON *dtype,
                             cx_st_tensor *t)
{
    if (!dtype || !cJSON_IsString(dtype))
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': missing string 'dtype'", f->path, name);
    t->dtype = cx_dtype_parse(dtype->valuestring);
    if (t->dtype != CX_DT_COUNT) return CX_OK;
    /* Echoed only when short and printable, so the message stays one line. */
    const char *s = dtype->valuestring;
    int plain = strlen(s) <= 16;
    for (const char *c = s; plain && *c; c++)
        plain = *c >= 0x20 && *c < 0x7f;
    return cx_fail(CX_ERR_DTYPE, "%s: tensor '%s': unsupported dtype '%s'", f->path, name,
                   plain ? s : "?");
}

static cx_status parse_shape(const cx_st_file *f, const char *name, const cJSON *shape,
                             cx_st_tensor *t)
{
    if (!cJSON_IsArray(shape))
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': missing array 'shape'", f->path, name);
    t->ndim = cJSON_GetArraySize(shape);
    if (t->ndim > CX_ST_MAX_DIMS)
        return cx_fail(CX_ERR_SHAPE, "%s: tensor '%s': %d dimensions, at most %d supported",
                       f->path, name, t->ndim, CX_ST_MAX_DIMS);
    int d = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, shape)
    {
        uint64_t v;
        if (!json_uint(e, &v))
            return cx_fail(CX_ERR_SHAPE, "%s: tensor '%s': shape entry %d is not a size", f->path,
                           name, d);
        t->shape[d++] = (int64_t)v;
    }
    uint64_t nelem;
    if (!st_shape_elems(t->ndim, t->shape, &nelem)) {
        char sh[256];
        cx_st_shape_str(t->ndim, t->shape, sh, sizeof sh);
        return cx_fail(CX_ERR_SHAPE, "%s: tensor '%s': shape %s has more than %llu elements",
                       f->path, name, sh, (unsigned long long)CX_ST_MAX_ELEMS);
    }
    t->nelem = (size_t)nelem;
    t->nbytes = t->nelem * cx_dtype_size(t->dtype);
    return CX_OK;
}

/* [begin, end) must hold exactly dtype x shape and lie in the data section;
 * whether the tensors tile the section is checked over all of them later. */
static cx_status parse_offsets(const cx_st_file *f, const char *name, const cJSON *offs,
                               size_t data_size, cx_st_tensor *t)
{
    uint64_t begin, end;
    if (!offs || !cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': 'data_offsets' must be [begin, end]",
                       f->path, name);
    if (!json_uint(offs->child, &begin) || !json_uint(offs->child->next, &end) || end < begin)
        return cx_fail(CX_ERR_FORMAT,
                       "%s: tensor '%s': invalid data_offsets (want integers 0 <= begin <= end)",
                       f->path, name);
    if (end - begin != t->nbytes) {
        char sh[256];
        cx_st_shape_str(t->ndim, t->shape, sh, sizeof sh);
        return cx_fail(CX_ERR_FORMAT,
                       "%s: tensor '%s': %s %s needs %zu bytes but data_offsets span %llu", f->path,
                       name, cx_dtype_name(t->dtype), sh, t->nbytes,
                       (unsigned long long)(end - begin));
    }
    if (end > data_size)
        return cx_fail(CX_ERR_FORMAT,
                       "%s: truncated: tensor '%s' needs bytes [%llu, %llu) of the data section, "
                       "which has %zu",
                       f->path, name, (unsigned long long)begin, (unsigned long long)end,
                       data_size);
    t->data = f->buf + (f->size - data_size) + begin;
    return CX_OK;
}

static cx_status parse_entry(cx_st_file *f, const cJSON *item, size_t data_size, cx_st_tensor *t)
{
    const char *name = item->string;
    const cJSON *fields[3];
    if (!cJSON_IsObject(item))
        return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': header entry is not an object", f->path,
                       name);
    t->name = dup_str(name);
    if (!t->name) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    CX_TRY(entry_fields(f, item, fields));
    CX_TRY(parse_dtype(f, name, fields[0], t));
    CX_TRY(parse_shape(f, name, fields[1], t));
    return parse_offsets(f, name, fields[2], data_size, t);
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

/* Equal names are neighbours in the sorted index. */
static cx_status check_names(const cx_st_file *f)
{
    for (size_t i = 1; i < f->ntensors; i++) {
        const char *name = f->tensors[f->by_name[i]].name;
        if (strcmp(f->tensors[f->by_name[i - 1]].name, name) == 0)
            return cx_fail(CX_ERR_FORMAT, "%s: tensor '%s': name appears twice in the header",
                           f->path, name);
    }
    return CX_OK;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static cx_status check_meta_keys(const cx_st_file *f)
{
    if (f->nmeta < 2) return CX_OK;
    const char **keys = malloc(f->nmeta * sizeof *keys);
    if (!keys) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    memcpy(keys, f->meta_keys, f->nmeta * sizeof *keys);
    qsort(keys, f->nmeta, sizeof *keys, str_ptr_cmp);
    cx_status st = CX_OK;
    for (size_t i = 1; i < f->nmeta && st == CX_OK; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            st = cx_fail(CX_ERR_FORMAT, "%s: header: __metadata__ key '%s' appears twice", f->path,
                         keys[i]);
    free(keys);
    return st;
}

typedef struct {
    uint64_t begin, end;
    size_t index;
} byte_span;

static int byte_span_cmp(const void *a, const void *b)
{
    const byte_span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* s is the first span in offset order that does not start where the ones
 * before it end (at `covered`, the end of `prev`). */
static cx_status coverage_error(const cx_st_file *f, const byte_span *s, const byte_span *prev,
                                uint64_t covered)
{
    const char *name = f->tensors[s->index].name;
    unsigned long long b = s->begin, e = s->end, c = covered;
    if (s->begin > covered)
        return cx_fail(CX_ERR_FORMAT,
                       "%s: tensor '%s': data_offsets [%llu, %llu) leave a hole: bytes [%llu, "
                       "%llu) of the data section belong to no tensor",
                       f->path, name, b, e, c, b);
    return cx_fail(CX_ERR_FORMAT,
                   "%s: tensor '%s': data_offsets [%llu, %llu) overlap tensor '%s' [%llu, %llu)",
                   f->path, name, b, e, f->tensors[prev->index].name,
                   (unsigned long long)prev->begin, (unsigned long long)prev->end);
}

/* The format wants the data section entirely indexed, without holes: the
 * tensors, in offset order, must tile [0, data_size) exactly. */
static cx_status check_coverage(const cx_st_file *f, size_t data_size)
{
    size_t n = f->ntensors;
    const uint8_t *base = f->buf + (f->size - data_size);
    byte_span *s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    for (size_t i = 0; i < n; i++) {
        uint64_t begin = (uint64_t)(f->tensors[i].data - base);
        s[i] = (byte_span){begin, begin + f->tensors[i].nbytes, i};
    }
    qsort(s, n, sizeof *s, byte_span_cmp);
    cx_status st = CX_OK;
    uint64_t covered = 0;
    for (size_t i = 0; i < n && st == CX_OK; i++) {
        if (s[i].begin != covered) st = coverage_error(f, &s[i], i ? &s[i - 1] : NULL, covered);
        covered = s[i].end;
    }
    if (st == CX_OK && covered != data_size)
        st = cx_fail(CX_ERR_FORMAT,
                     "%s: header: %llu trailing bytes: the tensors cover [0, %llu) of a "
                     "%zu-byte data section",
                     f->path, (unsigned long long)(data_size - covered),
                     (unsigned long long)covered, data_size);
    free(s);
    return st;
}

/* What no single entry shows, in one pass over the parsed header: names
 * given twice (via the sorted name index) and how the tensors cover the
 * data section (via the sorted offsets). */
static cx_status check_header(cx_st_file *f, size_t data_size)
{
    CX_TRY(index_names(f));
    CX_TRY(check_names(f));
    CX_TRY(check_meta_keys(f));
    return check_coverage(f, data_size);
}

/* The 8-byte length and its limits; *hlen gets it. */
static cx_status header_length(const char *label, const uint8_t *buf, size_t size, size_t *hlen)
{
    if (size < 8)
        return cx_fail(CX_ERR_FORMAT,
                       "%s: header: truncated: %zu bytes, the header length alone takes 8", label,
                       size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | buf[i];
    if (n > CX_ST_MAX_HEADER)
        return cx_fail(CX_ERR_FORMAT, "%s: header: length %llu is more than the %llu allowed",
                       label, (unsigned long long)n, (unsigned long long)CX_ST_MAX_HEADER);
    if (n > size - 8)
        return cx_fail(CX_ERR_FORMAT,
                       "%s: truncated: header claims %llu bytes, file has %zu after the length",
                       label, (unsigned long long)n, size - 8);
    *hlen = (size_t)n;
    return CX_OK;
}

static cx_status parse_entries(cx_st_file *f, const cJSON *header, size_t data_size)
{
    size_t n = (size_t)cJSON_GetArraySize(header);
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    if (!f->tensors) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", f->path);
    const cJSON *item;
    cJSON_ArrayForEach(item, header)
    {
        if (strcmp(item->string, "__metadata__") == 0)
            CX_TRY(parse_metadata(f, item));
        else
            CX_TRY(parse_entry(f, item, data_size, &f->tensors[f->ntensors++]));
    }
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
    cJSON *header = NULL;
    size_t hlen = 0;
    cx_status st = f->path ? CX_OK : cx_fail(CX_ERR_NOMEM, "%s: out of memory", label);
    if (st == CX_OK) st = header_length(label, buf, size, &hlen);
    if (st == CX_OK) st = check_header_bytes(label, buf + 8, hlen);
    if (st == CX_OK) st = parse_header_json(label, buf + 8, hlen, &header);
    if (st == CX_OK) st = parse_entries(f, header, size - 8 - hlen);
    if (st == CX_OK) st = check_header(f, size - 8 - hlen);
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
        if (mask & CX_DTM(i))
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "", dtype_info[i].name);
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
    for (int d = 0; ok && ndim >= 0 && d < ndim; d++)
        ok = shape[d] < 0 || shape[d] == t->shape[d];
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
    case CX_DT_I8:
        return (int8_t)p[0];
    case CX_DT_U8:
        return p[0];
    case CX_DT_BOOL:
        return p[0] != 0;
    case CX_DT_COUNT:
        break;
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
        for (size_t i = 0; i < t->nelem; i++)
            v[i] = cx_st_get(t, i);
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
            /* 2^63 is exact in double; beyond it the conversion is undefined */
            if (!(d >= -0x1p63 && d < 0x1p63)) {
                free(v);
                return cx_fail(CX_ERR_VALUE,
                               "%s: tensor '%s': element %zu (%g) is out of the 64-bit "
                               "integer range",
                               f->path, t->name, i, d);
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
