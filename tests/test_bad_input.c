/* Bad input through the CLI: every case gives one clear line on stderr and a
 * non-zero exit, never a crash (the suite also runs under ASan/UBSan). */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "cx_st.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef enum { KEEP, DROP, AS_I64, RESHAPE, PUT_NAN } mutation;

/* Copies the bundled num_memory_20 checkpoint to a scratch folder, applying
 * `mut` to tensor `target`. Returns the folder. */
static char *make_checkpoint(const char *tag, const char *target, mutation mut)
{
    char *dir = cx_test_tmp(tag), *src_dir = cx_test_data("elm/num_memory_20");
    mkdir(dir, 0700);
    char *src_cfg = cx_path_join(src_dir, "model_config.json"), *dst_cfg = cx_path_join(dir, "model_config.json");
    uint8_t *buf;
    size_t n;
    ck_assert_int_eq(cx_read_file(src_cfg, &buf, &n), CX_OK);
    cx_test_write(dst_cfg, buf, n);
    free(buf);
    char *src_st = cx_path_join(src_dir, "model.safetensors"), *dst_st = cx_path_join(dir, "model.safetensors");
    cx_st_file *f = cx_test_open(src_st);
    cx_st_writer *w = cx_st_writer_alloc();
    for (size_t i = 0; i < f->ntensors; i++) {
        const cx_st_tensor *t = &f->tensors[i];
        mutation m = strcmp(t->name, target) ? KEEP : mut;
        int64_t shape[CX_ST_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        if (m == DROP) continue;
        if (m == AS_I64) {
            int64_t *v = calloc(t->nelem, sizeof *v);
            ck_assert_int_eq(cx_st_writer_add(w, t->name, CX_DT_I64, t->ndim, shape, v), CX_OK);
            free(v);
            continue;
        }
        uint8_t *data = malloc(t->nbytes + 8);
        memcpy(data, t->data, t->nbytes);
        if (m == PUT_NAN) {
            float nan = NAN;
            memcpy(data + 4 * (t->nelem / 2), &nan, 4);
        }
        int ndim = t->ndim;
        if (m == RESHAPE) { /* same bytes, transposed shape */
            int64_t tmp = shape[0];
            shape[0] = shape[ndim - 1];
            shape[ndim - 1] = tmp;
        }
        ck_assert_int_eq(cx_st_writer_add(w, t->name, t->dtype, ndim, shape, data), CX_OK);
        free(data);
    }
    ck_assert_int_eq(cx_st_writer_write(w, dst_st), CX_OK);
    cx_st_writer_free(w);
    cx_st_close(f);
    free(src_dir);
    free(src_cfg);
    free(dst_cfg);
    free(src_st);
    free(dst_st);
    return dir;
}

/* Runs `reference DIR` on the bundled input; expects failure with `fragment`
 * in a single stderr line. */
static void expect_failure(const char *dir, const char *extra, int want_rc, const char *fragment)
{
    char *inp = cx_test_data("elm/inputs_small.safetensors"), *out = cx_test_tmp("bad_out.safetensors");
    char args[2048], *err;
    snprintf(args, sizeof args, "reference '%s' --input '%s' --output '%s' %s", dir, inp, out, extra);
    int rc = cx_test_cli(args, NULL, &err);
    ck_assert_msg(rc == want_rc, "exit %d (want %d) for %s: %s", rc, want_rc, dir, err);
    ck_assert_msg(strstr(err, fragment), "stderr '%s' lacks '%s'", err, fragment);
    char *nl = strchr(err, '\n');
    ck_assert_msg(want_rc == 2 || (nl && nl[1] == '\0'), "expected one line, got '%s'", err);
    free(err);
    free(inp);
    free(out);
}

START_TEST(truncated_checkpoint)
{
    char *dir = make_checkpoint("trunc", "", KEEP), *st = cx_path_join(dir, "model.safetensors");
    uint8_t *buf;
    size_t n;
    ck_assert_int_eq(cx_read_file(st, &buf, &n), CX_OK);
    cx_test_write(st, buf, n / 2);
    free(buf);
    expect_failure(dir, "", 1, "truncated: tensor");
    free(st);
    free(dir);
}
END_TEST

START_TEST(wrong_dtype)
{
    char *dir = make_checkpoint("dtype", "_proto_w_s", AS_I64);
    expect_failure(dir, "", 1, "tensor '_proto_w_s': expected dtype F64|F32|F16|BF16, found I64");
    free(dir);
}
END_TEST

START_TEST(wrong_shape)
{
    char *dir = make_checkpoint("shape", "w_y.weight", RESHAPE);
    expect_failure(dir, "", 1, "tensor 'w_y.weight': expected shape [2, 20], found [20, 2]");
    free(dir);
}
END_TEST

START_TEST(missing_tensor)
{
    char *dir = make_checkpoint("missing", "mlp.network.2.bias", DROP);
    expect_failure(dir, "", 1, "model.safetensors: missing tensor 'mlp.network.2.bias'");
    free(dir);
}
END_TEST

START_TEST(nan_weight)
{
    char *dir = make_checkpoint("nan", "mlp.network.0.weight", PUT_NAN);
    expect_failure(dir, "", 1, "tensor 'mlp.network.0.weight': element 1300 is NaN");
    free(dir);
}
END_TEST

START_TEST(unknown_model_kind)
{
    char *dir = make_checkpoint("kind", "", KEEP);
    expect_failure(dir, "--kind spiking", 2, "unknown model kind 'spiking'");
    char *cfg = cx_path_join(dir, "model_config.json");
    const char text[] = "{\"num_input\": 1278, \"layers\": 3}\n";
    cx_test_write(cfg, text, sizeof text - 1);
    expect_failure(dir, "", 1, "unknown model kind");
    free(cfg);
    free(dir);
}
END_TEST

START_TEST(malformed_json)
{
    char *dir = make_checkpoint("json", "", KEEP), *cfg = cx_path_join(dir, "model_config.json");
    const char text[] = "{\n  \"num_input\": 1278,\n  \"num_memory\": 20,,\n}\n";
    cx_test_write(cfg, text, sizeof text - 1);
    expect_failure(dir, "", 1, "model_config.json:3:21: malformed JSON");
    free(cfg);
    free(dir);
}
END_TEST

START_TEST(bad_config_value)
{
    char *dir = make_checkpoint("cfgval", "", KEEP), *cfg = cx_path_join(dir, "model_config.json");
    const char text[] = "{\"num_input\": 1278, \"num_output\": 2, \"num_memory\": \"twenty\"}";
    cx_test_write(cfg, text, sizeof text - 1);
    expect_failure(dir, "", 1, "model_config.json: key 'num_memory': expected a number");
    free(cfg);
    free(dir);
}
END_TEST

START_TEST(bad_input_file)
{
    char *model = cx_test_data("elm/num_memory_20"), *inp = cx_test_tmp("bad_in.safetensors");
    cx_st_writer *w = cx_st_writer_alloc();
    uint8_t spikes[2 * 5 * 100] = {0};
    ck_assert_int_eq(cx_st_writer_add(w, "spikes", CX_DT_U8, 3, (int64_t[]){2, 5, 100}, spikes), CX_OK);
    ck_assert_int_eq(cx_st_writer_write(w, inp), CX_OK);
    cx_st_writer_free(w);
    char args[2048], *err;
    snprintf(args, sizeof args, "reference '%s' --input '%s' --output /tmp/never.st", model, inp);
    ck_assert_int_eq(cx_test_cli(args, NULL, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "tensor 'spikes': expected shape [*, *, 1278], found [2, 5, 100]"));
    free(err);
    snprintf(args, sizeof args, "reference '%s' --input /nonexistent.st --output /tmp/never.st", model);
    ck_assert_int_eq(cx_test_cli(args, NULL, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent.st: cannot open"));
    free(err);
    ck_assert_int_eq(cx_test_cli("reference /nonexistent-model --input x --output y", NULL, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-model: model folder not found"));
    free(err);
    ck_assert_int_eq(cx_test_cli("reference /tmp --input x --output y", NULL, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "/tmp: no model_config.json (ELM) or config.json (GLIFR)"));
    free(err);
    ck_assert_int_eq(cx_test_cli("reference", NULL, NULL), 2);
    ck_assert_int_eq(cx_test_cli("reference x --bogus", NULL, NULL), 2);
    ck_assert_int_eq(cx_test_cli("nosuchcommand", NULL, NULL), 2);
    free(model);
    free(inp);
}
END_TEST

START_TEST(help_for_every_command)
{
    const char *cmds[] = {"reference", "compare"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char args[64], *out;
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        ck_assert_int_eq(cx_test_cli(args, &out, NULL), 0);
        ck_assert_ptr_nonnull(strstr(out, "usage: cortile"));
        free(out);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bad_input");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, truncated_checkpoint);
    tcase_add_test(tc, wrong_dtype);
    tcase_add_test(tc, wrong_shape);
    tcase_add_test(tc, missing_tensor);
    tcase_add_test(tc, nan_weight);
    tcase_add_test(tc, unknown_model_kind);
    tcase_add_test(tc, malformed_json);
    tcase_add_test(tc, bad_config_value);
    tcase_add_test(tc, bad_input_file);
    tcase_add_test(tc, help_for_every_command);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
