/* idx reader: the real MNIST test set (when the shared fixtures exist), and
 * synthetic files that round trip or are broken in every way we can think of. */
#include "cx_idx.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Asserts status and the exact error message; label is substituted for %s. */
static void expect_error(cx_status got, cx_status want, const char *fmt, const char *label)
{
    char msg[1024];
    snprintf(msg, sizeof msg, fmt, label, label);
    ck_assert_msg(got == want, "status %s, want %s (%s)", cx_status_name(got), cx_status_name(want),
                  cx_last_error());
    ck_assert_str_eq(cx_last_error(), msg);
}

/* A well-formed idx image: header for dims, then bytes 0, 7, 14, ... */
static uint8_t *make_idx(int ndim, const uint32_t *dims, size_t *size)
{
    size_t bytes = 1;
    for (int i = 0; i < ndim; i++)
        bytes *= dims[i];
    *size = 4 + 4 * (size_t)ndim + bytes;
    uint8_t *buf = malloc(*size);
    buf[0] = buf[1] = 0;
    buf[2] = 0x08;
    buf[3] = (uint8_t)ndim;
    for (int i = 0; i < ndim; i++)
        for (int b = 0; b < 4; b++)
            buf[4 + 4 * i + b] = (uint8_t)(dims[i] >> (24 - 8 * b));
    for (size_t i = 0; i < bytes; i++)
        buf[4 + 4 * ndim + i] = (uint8_t)(i * 7);
    return buf;
}

static char *write_gzip(const char *name, const uint8_t *data, size_t n)
{
    char *path = cx_test_tmp(name);
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, data, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(gz), Z_OK);
    return path;
}

static unsigned long pixel_sum(const cx_idx *images, size_t i)
{
    unsigned long sum = 0;
    for (size_t k = 0; k < images->item_size; k++)
        sum += images->data[i * images->item_size + k];
    return sum;
}

START_TEST(mnist_test_set)
{
    char *img = cx_test_shared("reference/mnist/t10k-images-idx3-ubyte.gz");
    char *lab = cx_test_shared("reference/mnist/t10k-labels-idx1-ubyte.gz");
    if (!img || !lab) {
        printf("mnist_test_set: shared MNIST fixtures absent, skipped\n");
        free(img);
        free(lab);
        return;
    }
    cx_idx *images, *labels;
    ck_assert_msg(cx_idx_load_mnist(img, lab, &images, &labels) == CX_OK, "%s", cx_last_error());
    ck_assert_int_eq(images->ndim, 3);
    ck_assert_uint_eq(images->count, 10000);
    ck_assert_uint_eq(images->dims[1], 28);
    ck_assert_uint_eq(images->dims[2], 28);
    ck_assert_uint_eq(images->item_size, 784);
    ck_assert_int_eq(labels->ndim, 1);
    ck_assert_uint_eq(labels->count, 10000);
    ck_assert_uint_eq(labels->item_size, 1);
    static const uint8_t first[5] = {7, 2, 1, 0, 4};
    ck_assert_mem_eq(labels->data, first, 5);
    /* Reference sums computed with Python's gzip + struct. */
    ck_assert_uint_eq(pixel_sum(images, 0), 18454);
    ck_assert_uint_eq(pixel_sum(images, 9999), 41833);
    unsigned long label_sum = 0;
    for (size_t i = 0; i < labels->count; i++)
        label_sum += labels->data[i];
    ck_assert_uint_eq(label_sum, 44434);
    cx_idx_free(images);
    cx_idx_free(labels);
    /* Swapped arguments are caught by the shape check. */
    expect_error(cx_idx_load_mnist(lab, img, &images, &labels), CX_ERR_SHAPE,
                 "%s: expected MNIST images [N, 28, 28], found [10000]", lab);
    ck_assert_ptr_null(images);
    ck_assert_ptr_null(labels);
    free(img);
    free(lab);
}
END_TEST

START_TEST(synthetic_round_trip)
{
    /* Hand-built bytes: checks the reader independently of the writer. */
    uint32_t dims[3] = {3, 2, 5};
    size_t size;
    uint8_t *bytes = make_idx(3, dims, &size);
    char *path = cx_test_tmp("hand.idx");
    cx_test_write(path, bytes, size);
    cx_idx *idx;
    ck_assert_int_eq(cx_idx_load(path, &idx), CX_OK);
    ck_assert_int_eq(idx->ndim, 3);
    ck_assert_uint_eq(idx->count, 3);
    ck_assert_uint_eq(idx->item_size, 10);
    ck_assert_uint_eq(idx->dims[2], 5);
    ck_assert_str_eq(idx->path, path);
    ck_assert_mem_eq(idx->data, bytes + 16, 30);
    /* The writer reproduces the same bytes; gzip reads back the same data. */
    char *written = cx_test_tmp("written.idx");
    ck_assert_int_eq(cx_idx_write(written, idx->ndim, idx->dims, idx->data), CX_OK);
    size_t n;
    uint8_t *again = (uint8_t *)cx_test_slurp(written, &n);
    ck_assert_uint_eq(n, size);
    ck_assert_mem_eq(again, bytes, size);
    char *gz = write_gzip("hand.idx.gz", bytes, size);
    cx_idx *zidx;
    ck_assert_int_eq(cx_idx_load(gz, &zidx), CX_OK);
    ck_assert_uint_eq(zidx->count, 3);
    ck_assert_mem_eq(zidx->data, idx->data, 30);
    /* Labels have one byte per item; an empty set is valid. */
    uint32_t ldims[1] = {4}, edims[3] = {0, 28, 28};
    cx_idx *lab, *empty;
    free(bytes);
    bytes = make_idx(1, ldims, &size);
    ck_assert_int_eq(cx_idx_parse("labels", bytes, size, &lab), CX_OK);
    ck_assert_uint_eq(lab->item_size, 1);
    ck_assert_uint_eq(lab->data[3], 21);
    bytes = make_idx(3, edims, &size);
    ck_assert_int_eq(cx_idx_parse("empty", bytes, size, &empty), CX_OK);
    ck_assert_uint_eq(empty->count, 0);
    ck_assert_uint_eq(empty->item_size, 784);
    ck_assert_int_eq(cx_idx_write(written, 5, dims, again), CX_ERR_VALUE);
    cx_idx_free(lab);
    cx_idx_free(empty);
    cx_idx_free(zidx);
    cx_idx_free(idx);
    free(again);
    free(gz);
    free(written);
    free(path);
}
END_TEST

static void expect_parse_error(uint8_t *buf, size_t size, cx_status want, const char *fmt)
{
    cx_idx *idx = (cx_idx *)1;
    expect_error(cx_idx_parse("mem.idx", buf, size, &idx), want, fmt, "mem.idx");
    ck_assert_ptr_null(idx);
}

START_TEST(truncated_and_padded)
{
    uint32_t dims[3] = {2, 2, 2};
    size_t size;
    uint8_t *buf = make_idx(3, dims, &size);
    expect_parse_error(buf, size - 1, CX_ERR_FORMAT,
                       "%s: truncated: dims [2, 2, 2] need 8 data bytes, found 7");
    buf = make_idx(3, dims, &size);
    expect_parse_error(buf, 10, CX_ERR_FORMAT,
                       "%s: truncated: idx header needs 16 bytes, file has 10");
    buf = make_idx(3, dims, &size);
    expect_parse_error(buf, 3, CX_ERR_FORMAT,
                       "%s: truncated: 3 bytes, too short for an idx header");
    buf = make_idx(3, dims, &size);
    buf = realloc(buf, size + 5);
    expect_parse_error(buf, size + 5, CX_ERR_FORMAT,
                       "%s: 5 unexpected bytes after the [2, 2, 2] data");
    uint32_t zero[3] = {2, 0, 28};
    buf = make_idx(3, zero, &size);
    expect_parse_error(buf, size, CX_ERR_FORMAT, "%s: idx dims [2, 0, 28] are zero or too large");
    /* Dims whose product overflows size_t. */
    static const uint8_t huge[20] = {0,   0,   8,   4,   255, 255, 255, 255, 255, 255,
                                     255, 255, 255, 255, 255, 255, 0,   0,   0,   1};
    buf = malloc(sizeof huge);
    memcpy(buf, huge, sizeof huge);
    expect_parse_error(
        buf, sizeof huge, CX_ERR_FORMAT,
        "%s: idx dims [4294967295, 4294967295, 4294967295, 1] are zero or too large");
    /* A real file cut at every length fails cleanly, on disk too. */
    uint8_t *whole = make_idx(3, dims, &size);
    for (size_t cut = 0; cut < size; cut++) {
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, whole, cut);
        cx_idx *idx;
        ck_assert_int_eq(cx_idx_parse("cut", part, cut, &idx), CX_ERR_FORMAT);
    }
    char *path = cx_test_tmp("cut.idx");
    cx_test_write(path, whole, size - 3);
    cx_idx *idx;
    expect_error(cx_idx_load(path, &idx), CX_ERR_FORMAT,
                 "%s: truncated: dims [2, 2, 2] need 8 data bytes, found 5", path);
    free(path);
    free(whole);
}
END_TEST

START_TEST(bad_magic)
{
    static const struct {
        uint8_t magic[4];
        cx_status want;
        const char *msg;
    } cases[] = {
        {{0x12, 0x34, 0x56, 0x78},
         CX_ERR_FORMAT,
         "%s: not an idx file: magic 0x12345678 (expected 0x000008NN, NN = dims)"},
        {{0x03, 0x08, 0x00, 0x00},
         CX_ERR_FORMAT, /* byte-swapped by a little-endian writer */
         "%s: not an idx file: magic 0x03080000 (expected 0x000008NN, NN = dims)"},
        {{0x00, 0x00, 0x07, 0x01},
         CX_ERR_FORMAT,
         "%s: not an idx file: magic 0x00000701 (expected 0x000008NN, NN = dims)"},
        {{0x00, 0x00, 0x08, 0x00},
         CX_ERR_FORMAT,
         "%s: not an idx file: magic 0x00000800 (expected 0x000008NN, NN = dims)"},
        {{0x00, 0x00, 0x0D, 0x01},
         CX_ERR_UNSUPPORTED,
         "%s: idx element type f32 is not supported (only u8)"},
        {{0x00, 0x00, 0x08, 0x05},
         CX_ERR_UNSUPPORTED,
         "%s: idx file has 5 dims, at most 4 are supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t *buf = malloc(64);
        memset(buf, 0, 64);
        memcpy(buf, cases[i].magic, 4);
        expect_parse_error(buf, 64, cases[i].want, cases[i].msg);
    }
}
END_TEST

START_TEST(corrupt_gzip)
{
    uint32_t dims[3] = {4, 28, 28};
    size_t size, n;
    uint8_t *bytes = make_idx(3, dims, &size);
    char *path = write_gzip("ok.idx.gz", bytes, size);
    uint8_t *gz = (uint8_t *)cx_test_slurp(path, &n);
    cx_idx *idx = NULL;
    ck_assert_int_eq(cx_idx_load(path, &idx), CX_OK);
    cx_idx_free(idx);
    /* Cut short, a flipped byte in the stream, a flipped CRC. */
    char *bad = cx_test_tmp("bad.idx.gz");
    cx_test_write(bad, gz, n / 2);
    expect_error(cx_idx_load(bad, &idx), CX_ERR_FORMAT,
                 "%s: corrupt gzip data: unexpected end of file", bad);
    ck_assert_ptr_null(idx);
    gz[n / 2] ^= 0x55;
    cx_test_write(bad, gz, n);
    ck_assert_int_eq(cx_idx_load(bad, &idx), CX_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "corrupt gzip data"));
    gz[n / 2] ^= 0x55;
    gz[n - 6] ^= 0x01;
    cx_test_write(bad, gz, n);
    expect_error(cx_idx_load(bad, &idx), CX_ERR_FORMAT,
                 "%s: corrupt gzip data: incorrect data check", bad);
    /* A valid gzip of something that is not idx. */
    char *text = write_gzip("text.gz", (const uint8_t *)"hello, world\n", 13);
    expect_error(cx_idx_load(text, &idx), CX_ERR_FORMAT,
                 "%s: not an idx file: magic 0x68656c6c (expected 0x000008NN, NN = dims)", text);
    expect_error(cx_idx_load("/nonexistent/x.idx.gz", &idx), CX_ERR_IO,
                 "%s: cannot open: No such file or directory", "/nonexistent/x.idx.gz");
    free(text);
    free(bad);
    free(gz);
    free(path);
    free(bytes);
}
END_TEST

/* Writes an idx file with the writer (the reader is checked against hand-built bytes above). */
static char *write_idx(const char *name, int ndim, const uint32_t *dims, const uint8_t *data)
{
    char *path = cx_test_tmp(name);
    ck_assert_int_eq(cx_idx_write(path, ndim, dims, data), CX_OK);
    return path;
}

START_TEST(mnist_pair_checks)
{
    static uint8_t pixels[3 * 28 * 28];
    static const uint8_t digits[3] = {0, 5, 9}, not_digits[3] = {0, 5, 10};
    uint32_t idims[3] = {3, 28, 28}, small[3] = {3, 14, 14}, l3[1] = {3}, l2[1] = {2};
    char *img = write_idx("img.idx", 3, idims, pixels), *lab = write_idx("lab.idx", 1, l3, digits);
    char *two = write_idx("lab2.idx", 1, l2, digits),
         *bad = write_idx("lab10.idx", 1, l3, not_digits);
    char *tiny = write_idx("small.idx", 3, small, pixels);
    cx_idx *images, *labels;
    ck_assert_int_eq(cx_idx_load_mnist(img, lab, &images, &labels), CX_OK);
    ck_assert_uint_eq(labels->data[2], 9);
    cx_idx_free(images);
    cx_idx_free(labels);
    ck_assert_int_eq(cx_idx_load_mnist(img, two, &images, &labels), CX_ERR_SHAPE);
    char want[1024];
    snprintf(want, sizeof want, "%s: 2 labels for 3 images in %s", two, img);
    ck_assert_str_eq(cx_last_error(), want);
    ck_assert_ptr_null(images);
    ck_assert_ptr_null(labels);
    expect_error(cx_idx_load_mnist(img, bad, &images, &labels), CX_ERR_VALUE,
                 "%s: label 2 is 10, not a digit 0..9", bad);
    expect_error(cx_idx_load_mnist(tiny, lab, &images, &labels), CX_ERR_SHAPE,
                 "%s: expected MNIST images [N, 28, 28], found [3, 14, 14]", tiny);
    expect_error(cx_idx_load_mnist(img, img, &images, &labels), CX_ERR_SHAPE,
                 "%s: expected MNIST labels [N], found [3, 28, 28]", img);
    expect_error(cx_idx_load_mnist(img, "/nonexistent/l.idx", &images, &labels), CX_ERR_IO,
                 "%s: cannot open: No such file or directory", "/nonexistent/l.idx");
    ck_assert_ptr_null(images);
    free(img);
    free(lab);
    free(two);
    free(bad);
    free(tiny);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("idx");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, mnist_test_set);
    tcase_add_test(tc, synthetic_round_trip);
    tcase_add_test(tc, truncated_and_padded);
    tcase_add_test(tc, bad_magic);
    tcase_add_test(tc, corrupt_gzip);
    tcase_add_test(tc, mnist_pair_checks);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
