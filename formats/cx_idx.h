/* cx_idx: idx files (the MNIST format), plain or gzip-compressed.
 *
 * Format: a big-endian magic 0x0000TTNN (TT element type, NN dims), NN
 * big-endian u32 dims, then the data in C order. cortile reads u8 data
 * (TT = 0x08): images 0x00000803 [N, rows, cols], labels 0x00000801 [N].
 * A file is read whole and its data length must match the dims exactly. */
#ifndef CX_IDX_H
#define CX_IDX_H

#include "cx_status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CX_IDX_MAX_DIMS = 4, CX_MNIST_SIDE = 28, CX_MNIST_CLASSES = 10 };

typedef struct {
    char *path;
    int ndim;
    uint32_t dims[CX_IDX_MAX_DIMS];
    size_t count;        /* dims[0]: number of items (images, labels) */
    size_t item_size;    /* bytes per item: product of dims[1..] (1 for labels) */
    const uint8_t *data; /* count * item_size bytes, points into buf */
    uint8_t *buf;        /* the whole decompressed file */
} cx_idx;

/* Reads a plain or gzip idx file; errors name the file and what is wrong
 * (bad magic, truncated header or data, trailing bytes, corrupt gzip). */
cx_status cx_idx_load(const char *path, cx_idx **out);
/* Parses an in-memory image; takes ownership of buf (freed on failure too). */
cx_status cx_idx_parse(const char *label, uint8_t *buf, size_t size, cx_idx **out);
void cx_idx_free(cx_idx *idx);

/* Writes u8 data as a plain idx file (atomically). */
cx_status cx_idx_write(const char *path, int ndim, const uint32_t *dims, const uint8_t *data);

/* Loads an MNIST pair: images [N, 28, 28] and labels [N] with values 0..9.
 * On failure both outputs are NULL. */
cx_status cx_idx_load_mnist(const char *images_path, const char *labels_path, cx_idx **images,
                            cx_idx **labels);
/* The MNIST test set of a folder: t10k-images-idx3-ubyte and
 * t10k-labels-idx1-ubyte, each gzipped (.gz) or not. */
cx_status cx_idx_load_mnist_dir(const char *dir, cx_idx **images, cx_idx **labels);

#ifdef __cplusplus
}
#endif
#endif
