#define _POSIX_C_SOURCE 200809L
#include "cx_idx.h"
#include "cx_fileio.h"
#include "cx_st.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IDX_U8 = 0x08 };

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void dims_str(const cx_idx *idx, char *buf, size_t len)
{
    int64_t shape[CX_IDX_MAX_DIMS];
    for (int i = 0; i < idx->ndim; i++)
        shape[i] = idx->dims[i];
    cx_st_shape_str(idx->ndim, shape, buf, len);
}

static const char *type_name(int type)
{
    switch (type) {
    case 0x08:
        return "u8";
    case 0x09:
        return "i8";
    case 0x0B:
        return "i16";
    case 0x0C:
        return "i32";
    case 0x0D:
        return "f32";
    case 0x0E:
        return "f64";
    }
    return NULL;
}

/* Checks the magic number and sets ndim. */
static cx_status parse_magic(const char *label, const uint8_t *buf, size_t size, cx_idx *idx)
{
    if (size < 4)
        return cx_fail(CX_ERR_FORMAT, "%s: truncated: %zu bytes, too short for an idx header",
                       label, size);
    uint32_t magic = be32(buf);
    int type = buf[2], ndim = buf[3];
    if (buf[0] || buf[1] || !type_name(type) || ndim == 0)
        return cx_fail(CX_ERR_FORMAT,
                       "%s: not an idx file: magic 0x%08x (expected 0x000008NN, NN = dims)", label,
                       magic);
    if (type != IDX_U8)
        return cx_fail(CX_ERR_UNSUPPORTED, "%s: idx element type %s is not supported (only u8)",
                       label, type_name(type));
    if (ndim > CX_IDX_MAX_DIMS)
        return cx_fail(CX_ERR_UNSUPPORTED, "%s: idx file has %d dims, at most %d are supported",
                       label, ndim, CX_IDX_MAX_DIMS);
    idx->ndim = ndim;
    return CX_OK;
}

/* Product of n factors; 0 when it overflows size_t (never a valid answer here). */
static size_t checked_product(const uint32_t *f, int n)
{
    size_t p = 1;
    for (int i = 0; i < n; i++) {
        if (f[i] && p > SIZE_MAX / f[i]) return 0;
        p *= f[i];
    }
    return p;
}

/* Reads the dims and checks that the data after them matches exactly. */
static cx_status parse_dims(const char *label, const uint8_t *buf, size_t size, cx_idx *idx)
{
    size_t header = 4 + 4 * (size_t)idx->ndim;
    if (size < header)
        return cx_fail(CX_ERR_FORMAT, "%s: truncated: idx header needs %zu bytes, file has %zu",
                       label, header, size);
    for (int i = 0; i < idx->ndim; i++)
        idx->dims[i] = be32(buf + 4 + 4 * i);
    idx->count = idx->dims[0];
    idx->item_size = checked_product(idx->dims + 1, idx->ndim - 1);
    size_t bytes = checked_product(idx->dims, idx->ndim);
    char shape[96];
    dims_str(idx, shape, sizeof shape);
    if (!idx->item_size || (idx->count && !bytes))
        return cx_fail(CX_ERR_FORMAT, "%s: idx dims %s are zero or too large", label, shape);
    if (size - header < bytes)
        return cx_fail(CX_ERR_FORMAT, "%s: truncated: dims %s need %zu data bytes, found %zu",
                       label, shape, bytes, size - header);
    if (size - header > bytes)
        return cx_fail(CX_ERR_FORMAT, "%s: %zu unexpected bytes after the %s data", label,
                       size - header - bytes, shape);
    idx->data = buf + header;
    return CX_OK;
}

cx_status cx_idx_parse(const char *label, uint8_t *buf, size_t size, cx_idx **out)
{
    *out = NULL;
    cx_idx *idx = calloc(1, sizeof *idx);
    if (!idx || !(idx->path = strdup(label))) {
        free(idx);
        free(buf);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory", label);
    }
    idx->buf = buf;
    cx_status st = parse_magic(label, buf, size, idx);
    if (st == CX_OK) st = parse_dims(label, buf, size, idx);
    if (st != CX_OK) {
        cx_idx_free(idx);
        return st;
    }
    *out = idx;
    return CX_OK;
}

cx_status cx_idx_load(const char *path, cx_idx **out)
{
    uint8_t *buf;
    size_t size;
    *out = NULL;
    CX_TRY(cx_read_gzip_file(path, &buf, &size));
    return cx_idx_parse(path, buf, size, out);
}

void cx_idx_free(cx_idx *idx)
{
    if (!idx) return;
    free(idx->path);
    free(idx->buf);
    free(idx);
}

cx_status cx_idx_write(const char *path, int ndim, const uint32_t *dims, const uint8_t *data)
{
    if (ndim < 1 || ndim > CX_IDX_MAX_DIMS)
        return cx_fail(CX_ERR_VALUE, "%s: cannot write an idx file with %d dims", path, ndim);
    uint8_t header[4 + 4 * CX_IDX_MAX_DIMS] = {0, 0, IDX_U8, (uint8_t)ndim};
    size_t bytes = 1;
    for (int i = 0; i < ndim; i++) {
        put_be32(header + 4 + 4 * i, dims[i]);
        bytes *= dims[i];
    }
    const void *parts[2] = {header, data};
    size_t sizes[2] = {4 + 4 * (size_t)ndim, bytes};
    return cx_write_file_atomic(path, parts, sizes, 2);
}

static cx_status check_mnist(const cx_idx *images, const cx_idx *labels)
{
    char shape[96];
    if (images->ndim != 3 || images->dims[1] != CX_MNIST_SIDE || images->dims[2] != CX_MNIST_SIDE) {
        dims_str(images, shape, sizeof shape);
        return cx_fail(CX_ERR_SHAPE, "%s: expected MNIST images [N, 28, 28], found %s",
                       images->path, shape);
    }
    if (labels->ndim != 1) {
        dims_str(labels, shape, sizeof shape);
        return cx_fail(CX_ERR_SHAPE, "%s: expected MNIST labels [N], found %s", labels->path,
                       shape);
    }
    if (labels->count != images->count)
        return cx_fail(CX_ERR_SHAPE, "%s: %zu labels for %zu images in %s", labels->path,
                       labels->count, images->count, images->path);
    for (size_t i = 0; i < labels->count; i++)
        if (labels->data[i] >= CX_MNIST_CLASSES)
            return cx_fail(CX_ERR_VALUE, "%s: label %zu is %d, not a digit 0..9", labels->path, i,
                           labels->data[i]);
    return CX_OK;
}

cx_status cx_idx_load_mnist(const char *images_path, const char *labels_path, cx_idx **images,
                            cx_idx **labels)
{
    *images = *labels = NULL;
    cx_status st = cx_idx_load(images_path, images);
    if (st == CX_OK) st = cx_idx_load(labels_path, labels);
    if (st == CX_OK) st = check_mnist(*images, *labels);
    if (st != CX_OK) {
        cx_idx_free(*images);
        cx_idx_free(*labels);
        *images = *labels = NULL;
    }
    return st;
}

/* dir/name.gz when present, else dir/name. */
static char *find_idx(const char *dir, const char *name)
{
    char gz[128];
    snprintf(gz, sizeof gz, "%s.gz", name);
    char *path = cx_path_join(dir, gz);
    if (path && cx_path_exists(path)) return path;
    free(path);
    return cx_path_join(dir, name);
}

cx_status cx_idx_load_mnist_dir(const char *dir, cx_idx **images, cx_idx **labels)
{
    *images = *labels = NULL;
    char *img_path = find_idx(dir, "t10k-images-idx3-ubyte");
    char *lab_path = find_idx(dir, "t10k-labels-idx1-ubyte");
    cx_status st = img_path && lab_path ? cx_idx_load_mnist(img_path, lab_path, images, labels)
                                        : cx_fail(CX_ERR_NOMEM, "out of memory");
    free(img_path);
    free(lab_path);
    return st;
}
