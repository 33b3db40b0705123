/* cx_st: safetensors files (read and write).
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON header
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
 * "__metadata__": {"k": "v"}}, then the raw little-endian C-order data.
 * A file is read whole and validated at open, against the format's rules:
 * the header is UTF-8 JSON without NUL, an object starting with '{' and
 * padded only with whitespace; tensor names (and metadata keys) appear once;
 * metadata values are strings; every tensor's byte range holds exactly
 * dtype x shape; and the ranges, sorted, tile the data section from 0 to its
 * end without overlaps, holes or trailing bytes. */
#ifndef CX_ST_H
#define CX_ST_H

#include "cx_status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CX_DT_F64,
    CX_DT_F32,
    CX_DT_F16,
    CX_DT_BF16,
    CX_DT_I64,
    CX_DT_I32,
    CX_DT_I16,
    CX_DT_I8,
    CX_DT_U8,
    CX_DT_BOOL,
    CX_DT_COUNT
} cx_dtype;

/* Bit masks of accepted dtypes for the typed readers. */
#define CX_DTM(dt) (1u << (dt))
#define CX_DTM_FLOAT                                                                               \
    (CX_DTM(CX_DT_F64) | CX_DTM(CX_DT_F32) | CX_DTM(CX_DT_F16) | CX_DTM(CX_DT_BF16))
#define CX_DTM_INT                                                                                 \
    (CX_DTM(CX_DT_I64) | CX_DTM(CX_DT_I32) | CX_DTM(CX_DT_I16) | CX_DTM(CX_DT_I8) |                \
     CX_DTM(CX_DT_U8))

enum { CX_ST_MAX_DIMS = 8 };
/* Limits on what a file may claim: the header length (as the reference
 * implementation), and the elements of one tensor counting its non-zero
 * extents only, so that any product of extents, times an element size or
 * a model dimension, fits in 64 bits. The writer keeps to them too. */
#define CX_ST_MAX_HEADER 100000000ull
#define CX_ST_MAX_ELEMS (1ull << 40)

typedef struct {
    char *name;
    cx_dtype dtype;
    int ndim;
    int64_t shape[CX_ST_MAX_DIMS];
    size_t nelem;
    const uint8_t *data; /* points into the file buffer; may be unaligned */
    size_t nbytes;
} cx_st_tensor;

typedef struct {
    char *path;
    uint8_t *buf;
    size_t size;
    size_t ntensors;
    cx_st_tensor *tensors;
    size_t *by_name; /* tensor indices sorted by name, for cx_st_find */
    size_t nmeta;
    char **meta_keys;
    char **meta_values;
} cx_st_file;

const char *cx_dtype_name(cx_dtype dt);
size_t cx_dtype_size(cx_dtype dt);
/* Parses "F32" etc.; returns CX_DT_COUNT when unknown. */
cx_dtype cx_dtype_parse(const char *name);

cx_status cx_st_open(const char *path, cx_st_file **out);
/* Parses an in-memory image; takes ownership of buf (freed by cx_st_close). */
cx_status cx_st_parse(const char *label, uint8_t *buf, size_t size, cx_st_file **out);
void cx_st_close(cx_st_file *f);

/* NULL when absent. */
const cx_st_tensor *cx_st_find(const cx_st_file *f, const char *name);
/* NULL when absent. */
const char *cx_st_meta(const cx_st_file *f, const char *key);

/* Looks up `name`, checks its dtype against `dtype_mask` and its shape
 * against `shape` (ndim entries; -1 matches any extent). On failure the
 * message names file, tensor, expected vs found. ndim < 0 skips the shape check. */
cx_status cx_st_require(const cx_st_file *f, const char *name, unsigned dtype_mask, int ndim,
                        const int64_t *shape, const cx_st_tensor **out);

/* Converts any numeric tensor to a fresh double array (caller frees).
 * `finite` rejects NaN/Inf, naming the first bad element. */
cx_status cx_st_to_f64(const cx_st_file *f, const cx_st_tensor *t, int finite, double **out);
cx_status cx_st_to_i64(const cx_st_file *f, const cx_st_tensor *t, int64_t **out);

/* require + to_f64 in one call. */
cx_status cx_st_read_f64(const cx_st_file *f, const char *name, int ndim, const int64_t *shape,
                         double **out);

/* Element i of a numeric tensor as double (no bounds check). */
double cx_st_get(const cx_st_tensor *t, size_t i);

/* Formats a shape as "[3, 2000, 2]". */
void cx_st_shape_str(int ndim, const int64_t *shape, char *buf, size_t len);

/* Writer: collects tensors (copied) and writes the file atomically. */
typedef struct cx_st_writer cx_st_writer;
cx_st_writer *cx_st_writer_alloc(void);
void cx_st_writer_free(cx_st_writer *w);
cx_status cx_st_writer_add(cx_st_writer *w, const char *name, cx_dtype dtype, int ndim,
                           const int64_t *shape, const void *data);
/* cx_st_writer_add without the copy: the writer takes `data` (malloc'd,
 * dtype x shape bytes) and frees it, also when the call fails. */
cx_status cx_st_writer_take(cx_st_writer *w, const char *name, cx_dtype dtype, int ndim,
                            const int64_t *shape, void *data);
cx_status cx_st_writer_meta(cx_st_writer *w, const char *key, const char *value);
cx_status cx_st_writer_write(const cx_st_writer *w, const char *path);

#ifdef __cplusplus
}
#endif
#endif
