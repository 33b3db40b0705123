/* Malformed safetensors files, one per rule of the format: each is refused by
 * cx_st_open with the right status and, through every reader of the CLI
 * (compare, a checkpoint, a model input, a program's tensors), with exit 1 and one stderr line
 * naming the file and the tensor or 'header', leaving an existing output
 * alone. Headers are written by hand as raw bytes, so that they can hold
 * what no writer makes: overlaps, holes, duplicates, NULs, bad UTF-8. */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "cx_st.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The 8-byte length `len`, then n header bytes, then `data` zero bytes. */
static void write_raw(const char *path, uint64_t len, const char *header, size_t n, size_t data)
{
    uint8_t *buf = calloc(8 + n + data + 1, 1);
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(len >> (8 * i));
    memcpy(buf + 8, header, n);
    cx_test_write(path, buf, 8 + n + data);
    free(buf);
}

/* A header of sizeof(h) - 1 bytes (NULs inside count) with `data` bytes after. */
#define IMAGE(fn, h, data)                                                                         \
    static void fn(const char *p)                                                                  \
    {                                                                                              \
        write_raw(p, sizeof h - 1, h, sizeof h - 1, data);                                         \
    }

/* One header entry; shape and offsets as JSON text. */
#define T(name, dtype, shape, offsets)                                                             \
    "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offsets "}"
#define A4 T("a", "F32", "[1]", "[0,4]") /* a good first entry over bytes [0, 4) */

/* header length */
static void too_short(const char *p)
{
    cx_test_write(p, "\x02\0\0\0", 4);
}
static void length_lies(const char *p)
{
    write_raw(p, 200, "{}", 2, 0);
}
static void length_huge(const char *p)
{
    write_raw(p, 1ull << 63, "{}", 2, 0);
}
IMAGE(empty_header, "", 0)
/* JSON */
IMAGE(not_json, "{\"a\":", 4)
IMAGE(not_object, "[1,2]", 0)
IMAGE(leading_space, " {" A4 "}", 4)
IMAGE(byte_order_mark, "\xef\xbb\xbf{" A4 "}", 4)
IMAGE(trailing_garbage, "{" A4 "} x", 4)
IMAGE(nul_in_name, "{" T("a\0b", "F32", "[1]", "[0,4]") "}", 4)
IMAGE(nul_in_padding, "{" A4 "} \0  ", 4)
IMAGE(escaped_nul, "{" T("a\\u0000b", "F32", "[1]", "[0,4]") "}", 4)
IMAGE(control_byte, "{" T("a\x01", "F32", "[1]", "[0,4]") "}", 4)
/* UTF-8 */
IMAGE(utf8_stray_byte, "{" T("a\xff", "F32", "[1]", "[0,4]") "}", 4)
IMAGE(utf8_overlong, "{" T("a\xc0\xaf", "F32", "[1]", "[0,4]") "}", 4)
IMAGE(utf8_surrogate, "{" T("a\xed\xa0\x80", "F32", "[1]", "[0,4]") "}", 4)
IMAGE(utf8_cut, "{" T("a\xe2\x82", "F32", "[1]", "[0,4]") "}", 4)
IMAGE(utf8_too_high, "{" T("a\xf4\x90\x80\x80", "F32", "[1]", "[0,4]") "}", 4)
IMAGE(utf8_in_metadata, "{\"__metadata__\":{\"k\":\"\xfe\"}," A4 "}", 4)
/* entries and dtype */
IMAGE(entry_not_object, "{\"a\":5}", 0)
IMAGE(dtype_unknown, "{" T("a", "Q7", "[1]", "[0,1]") "}", 1)
IMAGE(dtype_missing, "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4)
IMAGE(dtype_twice,
      "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"U8\",\"shape\":[4],"
      "\"data_offsets\":[0,4]}}",
      4)
/* shape */
IMAGE(shape_negative, "{" T("a", "F32", "[-1]", "[0,4]") "}", 4)
IMAGE(shape_fraction, "{" T("a", "F32", "[1.5]", "[0,4]") "}", 4)
IMAGE(shape_not_array, "{" T("a", "F32", "4", "[0,4]") "}", 4)
IMAGE(shape_rank, "{" T("a", "F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]") "}", 4)
IMAGE(shape_overflow, "{" T("a", "U8", "[4294967296,4294967296,4294967296]", "[0,4]") "}", 4)
IMAGE(shape_empty_huge, "{" T("a", "F32", "[0,4294967296,1278]", "[0,0]") "}", 0)
/* data_offsets */
IMAGE(offsets_missing, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4)
IMAGE(offsets_three, "{" T("a", "F32", "[1]", "[0,4,8]") "}", 8)
IMAGE(offsets_reversed, "{" T("a", "F32", "[0]", "[4,0]") "}", 4)
IMAGE(offsets_negative, "{" T("a", "F32", "[1]", "[-4,0]") "}", 4)
IMAGE(offsets_huge, "{" T("a", "F32", "[1]", "[1e300,1e300]") "}", 4)
IMAGE(offsets_text, "{" T("a", "F32", "[1]", "[\"0\",4]") "}", 4)
IMAGE(span_mismatch, "{" T("a", "F32", "[4]", "[0,12]") "}", 16)
IMAGE(tensor_truncated, "{" T("a", "F32", "[4]", "[0,16]") "}", 8)
/* coverage of the data section */
IMAGE(overlap, "{" T("a", "F32", "[2]", "[0,8]") "," T("b", "F32", "[2]", "[4,12]") "}", 12)
IMAGE(same_range, "{" T("a", "F32", "[2]", "[0,8]") "," T("b", "I64", "[1]", "[0,8]") "}", 8)
IMAGE(empty_inside, "{" T("a", "F32", "[2]", "[0,8]") "," T("z", "F32", "[0]", "[4,4]") "}", 8)
IMAGE(hole_between, "{" A4 "," T("b", "F32", "[1]", "[8,12]") "}", 12)
IMAGE(hole_at_start, "{" T("a", "F32", "[1]", "[4,8]") "}", 8)
IMAGE(trailing_bytes, "{" A4 "}", 8)
IMAGE(no_tensors_but_data, "{}", 4)
/* names */
IMAGE(duplicate_name, "{" A4 "," T("a", "F32", "[1]", "[4,8]") "}", 8)
IMAGE(duplicate_escaped, "{" A4 "," T("\\u0061", "F32", "[1]", "[4,8]") "}", 8)
/* metadata */
IMAGE(meta_not_object, "{\"__metadata__\":\"x\"," A4 "}", 4)
IMAGE(meta_twice,
      "{\"__metadata__\":{\"k\":\"1\"}," A4 ",\"__metadata__\":{\"j\":\"2\",\"i\":\"3\"}}", 4)
IMAGE(meta_not_string, "{\"__metadata__\":{\"k\":1}," A4 "}", 4)
IMAGE(meta_key_twice, "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," A4 "}", 4)

typedef struct {
    const char *name;
    void (*write)(const char *path);
    cx_status status;
    const char *frags[3]; /* besides the path; NULL-terminated */
} bad_case;

static const bad_case CASES[] = {
    {"too_short", too_short, CX_ERR_FORMAT, {"header: truncated: 4 bytes"}},
    {"length_lies", length_lies, CX_ERR_FORMAT, {"truncated: header claims 200 bytes"}},
    {"length_huge",
     length_huge,
     CX_ERR_FORMAT,
     {"header: length 9223372036854775808 is more than the 100000000 allowed"}},
    {"empty_header", empty_header, CX_ERR_FORMAT, {"header: not a valid JSON object"}},
    {"not_json", not_json, CX_ERR_FORMAT, {"header: not a valid JSON object"}},
    {"not_object", not_object, CX_ERR_FORMAT, {"header: not a valid JSON object"}},
    {"leading_space", leading_space, CX_ERR_FORMAT, {"header:", "must start with '{'"}},
    {"byte_order_mark", byte_order_mark, CX_ERR_FORMAT, {"header:", "must start with '{'"}},
    {"trailing_garbage",
     trailing_garbage,
     CX_ERR_FORMAT,
     {"header: byte 0x78 after the JSON object", "only whitespace may follow it"}},
    {"nul_in_name", nul_in_name, CX_ERR_FORMAT, {"header: NUL byte at byte 3 of the header"}},
    {"nul_in_padding", nul_in_padding, CX_ERR_FORMAT, {"header: NUL byte at byte"}},
    {"escaped_nul", escaped_nul, CX_ERR_FORMAT, {"header: escaped NUL (\\u0000) at byte 3"}},
    {"control_byte", control_byte, CX_ERR_FORMAT, {"header: control byte 0x01 at byte 3"}},
    {"utf8_stray_byte", utf8_stray_byte, CX_ERR_FORMAT, {"header: invalid UTF-8 at byte 3"}},
    {"utf8_overlong", utf8_overlong, CX_ERR_FORMAT, {"header: invalid UTF-8 at byte 3"}},
    {"utf8_surrogate", utf8_surrogate, CX_ERR_FORMAT, {"header: invalid UTF-8 at byte 3"}},
    {"utf8_cut", utf8_cut, CX_ERR_FORMAT, {"header: invalid UTF-8 at byte 3"}},
    {"utf8_too_high", utf8_too_high, CX_ERR_FORMAT, {"header: invalid UTF-8 at byte 3"}},
    {"utf8_in_metadata", utf8_in_metadata, CX_ERR_FORMAT, {"header: invalid UTF-8 at byte 22"}},
    {"entry_not_object",
     entry_not_object,
     CX_ERR_FORMAT,
     {"tensor 'a': header entry is not an object"}},
    {"dtype_unknown", dtype_unknown, CX_ERR_DTYPE, {"tensor 'a': unsupported dtype 'Q7'"}},
    {"dtype_missing", dtype_missing, CX_ERR_FORMAT, {"tensor 'a': missing string 'dtype'"}},
    {"dtype_twice", dtype_twice, CX_ERR_FORMAT, {"tensor 'a': key 'dtype' appears twice"}},
    {"shape_negative", shape_negative, CX_ERR_SHAPE, {"tensor 'a': shape entry 0 is not a size"}},
    {"shape_fraction", shape_fraction, CX_ERR_SHAPE, {"tensor 'a': shape entry 0 is not a size"}},
    {"shape_not_array", shape_not_array, CX_ERR_FORMAT, {"tensor 'a': missing array 'shape'"}},
    {"shape_rank", shape_rank, CX_ERR_SHAPE, {"tensor 'a': 9 dimensions, at most 8 supported"}},
    {"shape_overflow",
     shape_overflow,
     CX_ERR_SHAPE,
     {"tensor 'a': shape [4294967296, 4294967296, 4294967296] has more than 1099511627776 "
      "elements"}},
    {"shape_empty_huge",
     shape_empty_huge,
     CX_ERR_SHAPE,
     {"tensor 'a': shape [0, 4294967296, 1278] has more than"}},
    {"offsets_missing",
     offsets_missing,
     CX_ERR_FORMAT,
     {"tensor 'a': 'data_offsets' must be [begin, end]"}},
    {"offsets_three",
     offsets_three,
     CX_ERR_FORMAT,
     {"tensor 'a': 'data_offsets' must be [begin, end]"}},
    {"offsets_reversed", offsets_reversed, CX_ERR_FORMAT, {"tensor 'a': invalid data_offsets"}},
    {"offsets_negative", offsets_negative, CX_ERR_FORMAT, {"tensor 'a': invalid data_offsets"}},
    {"offsets_huge", offsets_huge, CX_ERR_FORMAT, {"tensor 'a': invalid data_offsets"}},
    {"offsets_text", offsets_text, CX_ERR_FORMAT, {"tensor 'a': invalid data_offsets"}},
    {"span_mismatch",
     span_mismatch,
     CX_ERR_FORMAT,
     {"tensor 'a': F32 [4] needs 16 bytes but data_offsets span 12"}},
    {"tensor_truncated",
     tensor_truncated,
     CX_ERR_FORMAT,
     {"truncated: tensor 'a' needs bytes [0, 16) of the data section, which has 8"}},
    {"overlap",
     overlap,
     CX_ERR_FORMAT,
     {"tensor 'b': data_offsets [4, 12) overlap tensor 'a' [0, 8)"}},
    {"same_range",
     same_range,
     CX_ERR_FORMAT,
     {"tensor 'b': data_offsets [0, 8) overlap tensor 'a' [0, 8)"}},
    {"empty_inside",
     empty_inside,
     CX_ERR_FORMAT,
     {"tensor 'z': data_offsets [4, 4) overlap tensor 'a' [0, 8)"}},
    {"hole_between",
     hole_between,
     CX_ERR_FORMAT,
     {"tensor 'b': data_offsets [8, 12) leave a hole: bytes [4, 8)"}},
    {"hole_at_start",
     hole_at_start,
     CX_ERR_FORMAT,
     {"tensor 'a': data_offsets [4, 8) leave a hole: bytes [0, 4)"}},
    {"trailing_bytes",
     trailing_bytes,
     CX_ERR_FORMAT,
     {"header: 4 trailing bytes: the tensors cover [0, 4) of a 8-byte data section"}},
    {"no_tensors_but_data",
     no_tensors_but_data,
     CX_ERR_FORMAT,
     {"header: 4 trailing bytes: the tensors cover [0, 0)"}},
    {"duplicate_name",
     duplicate_name,
     CX_ERR_FORMAT,
     {"tensor 'a': name appears twice in the header"}},
    {"duplicate_escaped",
     duplicate_escaped,
     CX_ERR_FORMAT,
     {"tensor 'a': name appears twice in the header"}},
    {"meta_not_object",
     meta_not_object,
     CX_ERR_FORMAT,
     {"header: __metadata__ is not a JSON object"}},
    {"meta_twice", meta_twice, CX_ERR_FORMAT, {"header: __metadata__ appears twice"}},
    {"meta_not_string",
     meta_not_string,
     CX_ERR_FORMAT,
     {"header: __metadata__ 'k' is not a string"}},
    {"meta_key_twice",
     meta_key_twice,
     CX_ERR_FORMAT,
     {"header: __metadata__ key 'k' appears twice"}},
};
enum { NCASES = sizeof CASES / sizeof CASES[0] };

/* The case's file at a fresh path (caller frees). */
static char *bad_file(const bad_case *c)
{
    char name[128];
    snprintf(name, sizeof name, "%s.safetensors", c->name);
    char *path = cx_test_tmp(name);
    c->write(path);
    return path;
}

START_TEST(open_refuses)
{
    const bad_case *c = &CASES[_i];
    char *path = bad_file(c);
    cx_st_file *f = NULL;
    cx_status st = cx_st_open(path, &f);
    const char *msg = cx_last_error();
    ck_assert_msg(st == c->status, "%s: status %s, want %s (%s)", c->name, cx_status_name(st),
                  cx_status_name(c->status), msg);
    ck_assert_ptr_null(f);
    ck_assert_msg(strncmp(msg, path, strlen(path)) == 0 && !strchr(msg, '\n'),
                  "%s: message '%s' is not one line starting with the path", c->name, msg);
    ck_assert_msg(strstr(msg, "tensor '") || strstr(msg, "header"),
                  "%s: message '%s' names neither a tensor nor the header", c->name, msg);
    for (int i = 0; c->frags[i]; i++)
        ck_assert_msg(strstr(msg, c->frags[i]), "%s: message '%s' lacks '%s'", c->name, msg,
                      c->frags[i]);
    free(path);
}
END_TEST

/* Refusal of `args` naming `path` and the case's fragments. */
static void refused(const bad_case *c, const char *how, const char *args, const char *path,
                    const char *keep)
{
    const char *frags[5] = {path};
    for (int i = 0; c->frags[i]; i++)
        frags[i + 1] = c->frags[i];
    char what[160];
    snprintf(what, sizeof what, "%s (%s)", c->name, how);
    cx_test_refused(what, args, 1, keep, frags);
}

/* An output that exists with known bytes before the run. */
static char *existing_output(void)
{
    char *out = cx_test_tmp("kept.safetensors");
    cx_test_write(out, "keep me\n", 8);
    return out;
}

START_TEST(compare_refuses)
{
    const bad_case *c = &CASES[_i];
    char *bad = bad_file(c), *good = cx_test_data("elm/inputs_small.safetensors");
    char args[2048];
    snprintf(args, sizeof args, "compare '%s' '%s'", bad, good);
    refused(c, "compare", args, bad, NULL);
    free(bad);
    free(good);
}
END_TEST

/* The checkpoint num_memory_20 with the case's file as its model.safetensors. */
START_TEST(checkpoint_refuses)
{
    const bad_case *c = &CASES[_i];
    char *dir = cx_test_tmp(c->name), *src = cx_test_data("elm/num_memory_20/model_config.json");
    mkdir(dir, 0700);
    char *cfg = cx_path_join(dir, "model_config.json"),
         *st = cx_path_join(dir, "model.safetensors");
    size_t n;
    char *text = cx_test_slurp(src, &n);
    cx_test_write(cfg, text, n);
    c->write(st);
    char *inp = cx_test_data("elm/inputs_small.safetensors"), *out = existing_output();
    char args[2048];
    snprintf(args, sizeof args, "reference '%s' --input '%s' --output '%s'", dir, inp, out);
    refused(c, "checkpoint", args, st, out);
    free(text);
    free(src);
    free(cfg);
    free(st);
    free(dir);
    free(inp);
    free(out);
}
END_TEST

START_TEST(input_refuses)
{
    const bad_case *c = &CASES[_i];
    char *bad = bad_file(c), *model = cx_test_data("elm/num_memory_20"), *out = existing_output();
    char args[2048];
    snprintf(args, sizeof args, "reference '%s' --input '%s' --output '%s'", model, bad, out);
    refused(c, "input", args, bad, out);
    free(bad);
    free(model);
    free(out);
}
END_TEST

/* A program compiled once (in the parent, so every case shares the scratch
 * folder), whose tensors file each case then replaces. */
static char *program, *program_tensors;

static void compile_program(void)
{
    program = cx_test_tmp("prog.yaml");
    program_tensors = cx_test_tmp("prog.safetensors");
    char *model = cx_test_data("elm/num_memory_20"), args[2048];
    snprintf(args, sizeof args,
             "compile '%s' --chip '%s/configs/chips/ideal.yaml' --output '%s' "
             "--instances 0",
             model, CX_SOURCE_DIR, program);
    ck_assert_int_eq(cx_test_cli(args, NULL, NULL), 0);
    free(model);
}

static void free_program(void)
{
    free(program);
    free(program_tensors);
}

START_TEST(program_refuses)
{
    const bad_case *c = &CASES[_i];
    c->write(program_tensors);
    char *inp = cx_test_data("elm/inputs_small.safetensors"), *out = existing_output();
    char args[2048];
    snprintf(args, sizeof args, "run '%s' --input '%s' --output '%s'", program, inp, out);
    refused(c, "program", args, program_tensors, out);
    free(inp);
    free(out);
}
END_TEST

/* What the format allows at the edges of the rules, still read. */
typedef struct {
    const char *name;
    const char *header;
    size_t data;
    const char *tensors[6]; /* every name that must be found */
} good_case;

static const good_case GOOD[] = {
    {"no tensors", "{}", 0, {NULL}},
    {"space padding", "{" A4 "}       ", 4, {"a"}},
    {"newline after the object", "{" A4 "}\n", 4, {"a"}},
    {"JSON whitespace inside",
     "{\n\t\"a\" : {\"dtype\": \"F32\", \"shape\": [1],\r\n"
     " \"data_offsets\": [0, 4]}\n}",
     4,
     {"a"}},
    {"listed out of offset order", "{" T("b", "F32", "[1]", "[4,8]") "," A4 "}", 8, {"a", "b"}},
    {"empty tensors at both ends and between",
     "{" T("z0", "F32", "[0]", "[0,0]") "," A4 "," T("z1", "U8", "[3,0]", "[4,4]") "," T(
         "b", "F32", "[1]", "[4,8]") "," T("z2", "I64", "[0,549755813888,2]", "[8,8]") "}",
     8,
     {"z0", "a", "z1", "b", "z2"}},
    {"multi-byte names",
     "{" T("\xc3\xa9", "U8", "[1]", "[0,1]") "," T("\xe2\x82\xac", "U8", "[1]", "[1,2]") "," T(
         "\xf0\x9f\x98\x80", "U8", "[1]", "[2,3]") "}",
     3,
     {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}},
    {"escaped names",
     "{" T("\\u00e9", "U8", "[1]", "[0,1]") "," T("\\ud83d\\ude00", "U8", "[1]", "[1,2]") "}",
     2,
     {"\xc3\xa9", "\xf0\x9f\x98\x80"}},
    {"metadata", "{\"__metadata__\":{\"k\":\"v \\u0001\",\"j\":\"\"}," A4 "}", 4, {"a"}},
};

START_TEST(edges_accepted)
{
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++) {
        const good_case *g = &GOOD[i];
        size_t h = strlen(g->header);
        uint8_t *buf = calloc(8 + h + g->data, 1);
        for (int b = 0; b < 8; b++)
            buf[b] = (uint8_t)((uint64_t)h >> (8 * b));
        memcpy(buf + 8, g->header, h);
        cx_st_file *f = NULL;
        cx_status st = cx_st_parse("good.safetensors", buf, 8 + h + g->data, &f);
        ck_assert_msg(st == CX_OK, "%s: %s", g->name, cx_last_error());
        for (int t = 0; g->tensors[t]; t++)
            ck_assert_msg(cx_st_find(f, g->tensors[t]), "%s: no tensor %s", g->name, g->tensors[t]);
        cx_st_close(f);
    }
}
END_TEST

/* The writer keeps to the reader's rules: what it writes reads back, and
 * what the reader would refuse it does not write. */
START_TEST(writer_keeps_to_the_rules)
{
    char *path = cx_test_tmp("written.safetensors");
    cx_st_writer *w = cx_st_writer_alloc();
    uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_int_eq(cx_st_writer_add(w, "\xc3\xa9", CX_DT_U8, 1, (int64_t[]){3}, bytes), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "empty", CX_DT_F64, 2, (int64_t[]){0, 5}, bytes), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "tab\tname", CX_DT_I16, 1, (int64_t[]){2}, bytes), CX_OK);
    ck_assert_int_eq(cx_st_writer_meta(w, "note", "line\nbreak"), CX_OK);
    ck_assert_int_eq(cx_st_writer_add(w, "bad\xff", CX_DT_U8, 1, (int64_t[]){1}, bytes),
                     CX_ERR_VALUE);
    ck_assert_int_eq(cx_st_writer_add(w, "__metadata__", CX_DT_U8, 1, (int64_t[]){1}, bytes),
                     CX_ERR_VALUE);
    ck_assert_int_eq(cx_st_writer_add(w, "neg", CX_DT_U8, 1, (int64_t[]){-1}, bytes), CX_ERR_VALUE);
    int64_t huge[3] = {0, 1 << 30, 1 << 30};
    ck_assert_int_eq(cx_st_writer_add(w, "huge", CX_DT_U8, 3, huge, bytes), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "tensor 'huge': negative extent or more than"));
    ck_assert_int_eq(cx_st_writer_meta(w, "k", "\xc0\xaf"), CX_ERR_VALUE);
    ck_assert_int_eq(cx_st_writer_write(w, path), CX_OK);
    cx_st_writer_free(w);
    cx_st_file *f = cx_test_open(path);
    ck_assert_uint_eq(f->ntensors, 3);
    ck_assert_str_eq(cx_st_meta(f, "note"), "line\nbreak");
    ck_assert(cx_st_get(cx_st_find(f, "\xc3\xa9"), 2) == 3);
    ck_assert_uint_eq(cx_st_find(f, "empty")->nelem, 0);
    ck_assert(cx_st_get(cx_st_find(f, "tab\tname"), 1) == (double)(4 * 256 + 3));
    cx_st_close(f);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bad_safetensors");
    TCase *api = tcase_create("api");
    tcase_add_loop_test(api, open_refuses, 0, NCASES);
    tcase_add_test(api, edges_accepted);
    tcase_add_test(api, writer_keeps_to_the_rules);
    suite_add_tcase(s, api);
    TCase *cli = tcase_create("cli");
    tcase_set_timeout(cli, 120);
    tcase_add_loop_test(cli, compare_refuses, 0, NCASES);
    tcase_add_loop_test(cli, checkpoint_refuses, 0, NCASES);
    tcase_add_loop_test(cli, input_refuses, 0, NCASES);
    tcase_add_unchecked_fixture(cli, compile_program, free_program);
    tcase_add_loop_test(cli, program_refuses, 0, NCASES);
    suite_add_tcase(s, cli);
    return cx_test_main(s);
}
