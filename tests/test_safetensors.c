/* Safetensors reader/writer: round trips and every corruption gets a clear error. */
#include "cx_st.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *write_sample(const char *name)
{
    char *path = cx_test_tmp(name);
    cx_st_writer *w = cx_st_writer_alloc();
    double d[6] = {1, -2, 3.5, 1e300, -0.0, 7};
    float f[3] = {0.5f, -1.25f, 3.0f};
    int64_t i64[2] = {-5, 1LL << 40};
    uint8_t u8[4] = {0, 1, 255, 7}, b[2] = {1, 0};
    int64_t s23[2] = {2, 3}, s3[1] = {3}, s2[1] = {2}, s4[1] = {4};
    ck_assert_int_eq(cx_st_writer_add(w, "d", CX_DT_F64, 2, s23, d), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "f", CX_DT_F32, 1, s3, f), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "i", CX_DT_I64, 1, s2, i64), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "u", CX_DT_U8, 1, s4, u8), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "b", CX_DT_BOOL, 1, s2, b), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "d", CX_DT_F64, 1, s2, d), CX_ERR_VALUE);
    ck_assert_int_eq(cx_st_writer_meta(w, "origin", "test"), CX_OK);
    ck_assert_int_eq(cx_st_writer_write(w, path), CX_OK);
    cx_st_writer_free(w);
    return path;
}

START_TEST(round_trip_every_dtype)
{
    char *path = write_sample("rt.safetensors");
    cx_st_file *f;
    ck_assert_int_eq(cx_st_open(path, &f), CX_OK);
    ck_assert_uint_eq(f->ntensors, 5);
    ck_assert_str_eq(cx_st_meta(f, "origin"), "test");
    const cx_st_tensor *t = cx_st_find(f, "d");
    ck_assert_int_eq(t->ndim, 2);
    ck_assert_int_eq(t->shape[1], 3);
    ck_assert(cx_st_get(t, 3) == 1e300);
    ck_assert(signbit(cx_st_get(t, 4)));
    ck_assert(cx_st_get(cx_st_find(f, "f"), 1) == -1.25);
    ck_assert(cx_st_get(cx_st_find(f, "i"), 1) == (double)(1LL << 40));
    ck_assert(cx_st_get(cx_st_find(f, "u"), 2) == 255);
    ck_assert(cx_st_get(cx_st_find(f, "b"), 0) == 1);
    int64_t *iv;
    ck_assert_int_eq(cx_st_to_i64(f, cx_st_find(f, "i"), &iv), CX_OK);
    ck_assert_int_eq(iv[0], -5);
    free(iv);
    /* Data section is 8-byte aligned after the padded header. */
    ck_assert_uint_eq((size_t)(cx_st_find(f, "d")->data - f->buf) % 8, 0);
    cx_st_close(f);
    free(path);
}
END_TEST

START_TEST(typed_reader_checks)
{
    char *path = write_sample("typed.safetensors");
    cx_st_file *f;
    const cx_st_tensor *t;
    double *v;
    ck_assert_int_eq(cx_st_open(path, &f), CX_OK);
    int64_t want[2] = {2, -1};
    ck_assert_int_eq(cx_st_require(f, "d", CX_DTM_FLOAT, 2, want, &t), CX_OK);
    int64_t bad[2] = {3, 2};
    ck_assert_int_eq(cx_st_require(f, "d", CX_DTM_FLOAT, 2, bad, &t), CX_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "expected shape [3, 2], found [2, 3]"));
    ck_assert_int_eq(cx_st_require(f, "i", CX_DTM_FLOAT, -1, NULL, &t), CX_ERR_DTYPE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "tensor 'i': expected dtype F64|F32|F16|BF16, found I64"));
    ck_assert_int_eq(cx_st_read_f64(f, "nope", -1, NULL, &v), CX_ERR_MISSING);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "missing tensor 'nope'"));
    ck_assert_int_eq(cx_st_read_f64(f, "f", 1, (int64_t[]){3}, &v), CX_OK);
    ck_assert(v[2] == 3.0);
    free(v);
    cx_st_close(f);
    free(path);
}
END_TEST

START_TEST(nan_is_rejected)
{
    char *path = cx_test_tmp("nan.safetensors");
    cx_st_writer *w = cx_st_writer_alloc();
    float v[3] = {1, NAN, 2};
    ck_assert_int_eq(cx_st_writer_add(w, "w", CX_DT_F32, 1, (int64_t[]){3}, v), CX_OK);
    ck_assert_int_eq(cx_st_writer_write(w, path), CX_OK);
    cx_st_writer_free(w);
    cx_st_file *f;
    double *out;
    ck_assert_int_eq(cx_st_open(path, &f), CX_OK);
    ck_assert_int_eq(cx_st_read_f64(f, "w", 1, (int64_t[]){3}, &out), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "tensor 'w': element 1 is NaN"));
    cx_st_close(f);
    free(path);
}
END_TEST

/* Integers read from a float tensor: whole values within 64 bits only (a
 * fuzzed label of 2.2e35 was an undefined conversion before). */
START_TEST(integers_from_floats_stay_in_range)
{
    char *path = cx_test_tmp("big.safetensors");
    cx_st_writer *w = cx_st_writer_alloc();
    double big[2] = {3, 2.2473e35}, edge[2] = {-0x1p63, 0x1p62};
    ck_assert_int_eq(cx_st_writer_add(w, "big", CX_DT_F64, 1, (int64_t[]){2}, big), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "edge", CX_DT_F64, 1, (int64_t[]){2}, edge), CX_OK);
    ck_assert_int_eq(cx_st_writer_write(w, path), CX_OK);
    cx_st_writer_free(w);
    cx_st_file *f;
    int64_t *v = NULL;
    ck_assert_int_eq(cx_st_open(path, &f), CX_OK);
    ck_assert_int_eq(cx_st_to_i64(f, cx_st_find(f, "big"), &v), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "tensor 'big': element 1"));
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "out of the 64-bit integer range"));
    ck_assert_int_eq(cx_st_to_i64(f, cx_st_find(f, "edge"), &v), CX_OK);
    ck_assert(v[0] == INT64_MIN && v[1] == (int64_t)1 << 62);
    free(v);
    cx_st_close(f);
    free(path);
}
END_TEST

static uint8_t *image(const char *header, size_t data_bytes, size_t *n)
{
    size_t h = strlen(header);
    *n = 8 + h + data_bytes;
    uint8_t *buf = calloc(*n, 1);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(buf + 8, header, h);
    return buf;
}

static void expect_parse_error(const char *header, size_t data_bytes, cx_status want,
                               const char *fragment)
{
    size_t n;
    uint8_t *buf = image(header, data_bytes, &n);
    cx_st_file *f = NULL;
    cx_status st = cx_st_parse("mem.safetensors", buf, n, &f);
    ck_assert_msg(st == want, "header %s: status %d, want %d (%s)", header, st, want, cx_last_error());
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(cx_last_error(), fragment), "message '%s' lacks '%s'", cx_last_error(), fragment);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "mem.safetensors"));
}

START_TEST(corrupt_headers)
{
    expect_parse_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
                       CX_ERR_FORMAT, "truncated: tensor 'a' needs bytes [0, 16)");
    expect_parse_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", 16,
                       CX_ERR_FORMAT, "needs 16 bytes but data_offsets span 12");
    expect_parse_error("{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
                       CX_ERR_DTYPE, "unsupported dtype 'Q7'");
    expect_parse_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
                       CX_ERR_SHAPE, "shape entry 0 is not a size");
    expect_parse_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, CX_ERR_FORMAT, "data_offsets");
    expect_parse_error("{\"a\":", 4, CX_ERR_FORMAT, "not a valid JSON object");
    expect_parse_error("[1,2]", 0, CX_ERR_FORMAT, "not a valid JSON object");
}
END_TEST

START_TEST(truncated_files)
{
    size_t n;
    cx_st_file *f;
    uint8_t *buf = malloc(4);
    ck_assert_int_eq(cx_st_parse("t.safetensors", buf, 4, &f), CX_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "truncated"));
    buf = image("{}", 0, &n);
    buf[0] = 200; /* header longer than the file */
    ck_assert_int_eq(cx_st_parse("t.safetensors", buf, n, &f), CX_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "truncated: header claims 200 bytes"));
    /* A real file cut short at every length fails cleanly, never crashes. */
    char *path = write_sample("cut.safetensors");
    uint8_t *whole;
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    size_t size = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    whole = malloc(size);
    ck_assert_uint_eq(fread(whole, 1, size, fp), size);
    fclose(fp);
    for (size_t cut = 0; cut < size; cut++) {
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, whole, cut);
        ck_assert_int_ne(cx_st_parse("cut", part, cut, &f), CX_OK);
    }
    free(whole);
    free(path);
}
END_TEST

START_TEST(missing_file)
{
    cx_st_file *f;
    ck_assert_int_eq(cx_st_open("/nonexistent/x.safetensors", &f), CX_ERR_IO);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "/nonexistent/x.safetensors: cannot open"));
}
END_TEST

START_TEST(compare_cli)
{
    char *a = write_sample("cmp_a.safetensors");
    char *b = cx_test_tmp("cmp_b.safetensors");
    cx_st_writer *w = cx_st_writer_alloc();
    double d[6] = {1, -2, 3.5 + 1e-6, 1e300, -0.0, 7};
    ck_assert_int_eq(cx_st_writer_add(w, "d", CX_DT_F64, 2, (int64_t[]){2, 3}, d), CX_OK);
    ck_assert_int_eq(cx_st_writer_write(w, b), CX_OK);
    cx_st_writer_free(w);
    char args[1024], *out;
    snprintf(args, sizeof args, "compare '%s' '%s' --tol 1e-5 --json", a, b);
    ck_assert_int_eq(cx_test_cli(args, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"max_abs\":\t1.00000000"));
    free(out);
    snprintf(args, sizeof args, "compare '%s' '%s' --tol 1e-7", a, b);
    ck_assert_int_eq(cx_test_cli(args, &out, NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "EXCEEDS TOL"));
    free(out);
    snprintf(args, sizeof args, "compare '%s' '%s' --tol 1e-6 --rel --tensor d", a, b);
    ck_assert_int_eq(cx_test_cli(args, &out, NULL), 0);
    free(out);
    snprintf(args, sizeof args, "compare '%s' '%s' --tensor f", a, b);
    ck_assert_int_eq(cx_test_cli(args, NULL, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "tensor 'f' is not in both"));
    free(out);
    ck_assert_int_eq(cx_test_cli("compare onlyone", NULL, NULL), 2);
    free(a);
    free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trip_every_dtype);
    tcase_add_test(tc, typed_reader_checks);
    tcase_add_test(tc, nan_is_rejected);
    tcase_add_test(tc, integers_from_floats_stay_in_range);
    tcase_add_test(tc, corrupt_headers);
    tcase_add_test(tc, truncated_files);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, compare_cli);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
