/* cortile reference --mnist: end to end on a tiny idx set made from the bundled
 * traces, and the full 10k test set when the shared fixtures are present. */
#include "cx_idx.h"
#include "cx_json.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static double json_number(const char *text, const char *key)
{
    cJSON *doc = cJSON_Parse(text);
    ck_assert_ptr_nonnull(doc);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    ck_assert_msg(cJSON_IsNumber(v), "no number '%s' in %s", key, text);
    double d = v->valuedouble;
    cJSON_Delete(doc);
    return d;
}

START_TEST(bundled_images_end_to_end)
{
    char *tr = cx_test_data("glifr/lmnist_glifr_lheta/traces.safetensors");
    char *model = cx_test_data("glifr/lmnist_glifr_lheta");
    cx_st_file *f = cx_test_open(tr);
    const cx_st_tensor *img = cx_st_find(f, "images_u8"), *lab = cx_st_find(f, "labels");
    const cx_st_tensor *pred = cx_st_find(f, "pred");
    uint32_t n = (uint32_t)img->shape[0];
    uint8_t *labels = malloc(n);
    int expected = 0;
    for (uint32_t i = 0; i < n; i++) {
        labels[i] = (uint8_t)cx_st_get(lab, i);
        expected += cx_st_get(pred, i) == labels[i];
    }
    char *dir = cx_test_tmp("mnist");
    mkdir(dir, 0700);
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", dir);
    ck_assert_int_eq(cx_idx_write(path, 3, (uint32_t[]){n, 28, 28}, img->data), CX_OK);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte", dir);
    ck_assert_int_eq(cx_idx_write(path, 1, (uint32_t[]){n}, labels), CX_OK);
    char args[1024], *out;
    snprintf(args, sizeof args, "reference '%s' --mnist '%s' --json", model, dir);
    ck_assert_int_eq(cx_test_cli(args, &out, NULL), 0);
    ck_assert_double_eq(json_number(out, "samples"), n);
    ck_assert_double_eq(json_number(out, "correct"), expected);
    free(out);
    snprintf(args, sizeof args, "reference '%s' --mnist '%s' --limit 2 --json", model, dir);
    ck_assert_int_eq(cx_test_cli(args, &out, NULL), 0);
    ck_assert_double_eq(json_number(out, "samples"), 2);
    free(out);
    /* an ELM checkpoint cannot classify MNIST */
    char *elm = cx_test_data("elm/num_memory_20");
    snprintf(args, sizeof args, "reference '%s' --mnist '%s'", elm, dir);
    ck_assert_int_eq(cx_test_cli(args, NULL, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "--mnist needs a GLIFR checkpoint"));
    free(out);
    snprintf(args, sizeof args, "reference '%s' --mnist /nonexistent", model);
    ck_assert_int_eq(cx_test_cli(args, NULL, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "/nonexistent/t10k-images-idx3-ubyte: cannot open"));
    free(out);
    free(elm);
    free(labels);
    free(dir);
    cx_st_close(f);
    free(tr);
    free(model);
}
END_TEST

/* The full test set gives exactly the accuracy recorded in config.json. */
START_TEST(full_test_set_accuracy)
{
    char *model = cx_test_shared("reference/glifr/lmnist_glifr_lheta");
    char *mnist = cx_test_shared("reference/mnist");
    if (!model || !mnist) {
        printf("shared MNIST fixtures not found: full-set check skipped\n");
        free(model);
        free(mnist);
        return;
    }
    char cfg_path[1024], args[2048], *out;
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", model);
    cJSON *cfg;
    ck_assert_int_eq(cx_json_load(cfg_path, &cfg), CX_OK);
    const cJSON *metric = cJSON_GetObjectItemCaseSensitive(cfg, "metric");
    double want = cJSON_GetObjectItemCaseSensitive(metric, "test_acc")->valuedouble;
    snprintf(args, sizeof args, "reference '%s' --mnist '%s' --json", model, mnist);
    ck_assert_int_eq(cx_test_cli(args, &out, NULL), 0);
    ck_assert_double_eq(json_number(out, "samples"), 10000);
    double correct = json_number(out, "correct");
    printf("L-MNIST: %.0f of 10000 correct, config.json test_acc %.4f\n", correct, want);
    ck_assert_double_eq(correct, round(want * 10000));
    free(out);
    cJSON_Delete(cfg);
    free(model);
    free(mnist);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mnist");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, bundled_images_end_to_end);
    tcase_add_test(tc, full_test_set_accuracy);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
