/* cortile compile / run / demo end to end: files written and read back give
 * the reference outputs on the ideal chip; bad input fails with the file
 * and the problem, exit 1. */
#include "test_util.h"

#include <cJSON.h>

#include <stdlib.h>
#include <string.h>

START_TEST(compile_then_run_matches_reference)
{
    char *prog = cx_test_tmp("elm20.yaml"), *out = cx_test_tmp("elm20_out.safetensors");
    char args[4096], *o = NULL, *e = NULL;
    snprintf(args, sizeof args,
             "compile '%s/data/elm/num_memory_20' --chip '%s/configs/chips/ideal.yaml' "
             "--output '%s' --calibration '%s/data/elm/inputs_small.safetensors' --instances 0",
             CX_SOURCE_DIR, CX_SOURCE_DIR, prog, CX_SOURCE_DIR);
    ck_assert_int_eq(cx_test_cli(args, &o, &e), 0);
    ck_assert_ptr_nonnull(strstr(o, "compile report: elm"));
    ck_assert_ptr_nonnull(strstr(o, "0 still exceed the rails"));
    free(o), free(e);
    snprintf(args, sizeof args,
             "run '%s' --input '%s/data/elm/inputs_small.safetensors' --output '%s' --json", prog,
             CX_SOURCE_DIR, out);
    ck_assert_int_eq(cx_test_cli(args, &o, &e), 0);
    ck_assert_ptr_nonnull(strstr(o, "\"late_spikes\":\t0"));
    free(o), free(e);
    snprintf(args, sizeof args,
             "compare '%s' '%s/data/elm/num_memory_20/outputs_small.safetensors' --tol 1e-9", out,
             CX_SOURCE_DIR);
    ck_assert_int_eq(cx_test_cli(args, &o, &e), 0);
    ck_assert_ptr_nonnull(strstr(o, "0 of 2 tensors exceed"));
    free(o), free(e);
    /* the same seed twice: byte-identical outputs on a noisy chip */
    char *o1 = cx_test_tmp("n1.safetensors"), *o2 = cx_test_tmp("n2.safetensors");
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args,
                 "run '%s' --input '%s/data/elm/inputs_small.safetensors' --output '%s' "
                 "--seed 7 --set noise.thermal.enabled=true --set noise.mismatch.enabled=true",
                 prog, CX_SOURCE_DIR, k ? o2 : o1);
        ck_assert_int_eq(cx_test_cli(args, NULL, NULL), 0);
    }
    snprintf(args, sizeof args, "compare '%s' '%s' --tol 0", o1, o2);
    ck_assert_int_eq(cx_test_cli(args, NULL, NULL), 0);
    free(o1), free(o2), free(prog), free(out);
}
END_TEST

START_TEST(bad_input_is_reported)
{
    char *prog = cx_test_tmp("bad.yaml"), args[4096], *e = NULL;
    snprintf(args, sizeof args,
             "compile '%s/data/elm/num_memory_20' --chip '%s/configs/chips/default.yaml' "
             "--output '%s' --set tile.compartments=50",
             CX_SOURCE_DIR, CX_SOURCE_DIR, prog);
    ck_assert_int_eq(cx_test_cli(args, NULL, &e), 1);
    ck_assert_ptr_nonnull(strstr(e, "needs 65 compartments (tile.compartments)"));
    free(e);
    snprintf(args, sizeof args, "run /nonexistent/p.yaml --input x --output y");
    ck_assert_int_eq(cx_test_cli(args, NULL, &e), 1);
    ck_assert_ptr_nonnull(strstr(e, "/nonexistent/p.yaml"));
    free(e);
    ck_assert_int_eq(cx_test_cli("compile /tmp --output x.yaml", NULL, &e), 2);
    free(e);
    free(prog);
}
END_TEST

START_TEST(demo_compiles_and_runs)
{
    char *dir = cx_test_tmp("demo"), args[2048], *o = NULL;
    snprintf(args, sizeof args, "demo --out '%s'", dir);
    ck_assert_int_eq(cx_test_cli(args, &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "compile report: glifr"));
    ck_assert_ptr_nonnull(strstr(o, "run report: glifr"));
    ck_assert_ptr_nonnull(strstr(o, "measured:"));
    free(o), free(dir);
}
END_TEST

START_TEST(demo_json_is_one_document)
{
    char *dir = cx_test_tmp("demo_json"), args[2048], *o = NULL;
    snprintf(args, sizeof args, "demo --out '%s' --json", dir);
    ck_assert_int_eq(cx_test_cli(args, &o, NULL), 0);
    cJSON *j = cJSON_Parse(o);
    ck_assert_msg(j, "not one JSON document: %s", o);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "compile"), "report")->valuestring,
                     "compile");
    const cJSON *me = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "run"), "measured");
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(me, "rmse")));
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(me, "accuracy"))); /* the traces carry labels */
    cJSON_Delete(j);
    free(o), free(dir);
}
END_TEST

START_TEST(labels_give_accuracy_and_no_calibration_is_explained)
{
    char *lm = cx_test_data("glifr/lmnist_glifr_lheta"), *prog = cx_test_tmp("nocal.yaml");
    char *out = cx_test_tmp("nocal_y.safetensors"), args[4096], *o = NULL, *e = NULL;
    snprintf(args, sizeof args, "compile '%s' --chip '%s/configs/chips/ideal.yaml' --output '%s'",
             lm, CX_SOURCE_DIR, prog);
    ck_assert_int_eq(cx_test_cli(args, &o, &e), 0);
    ck_assert_msg(strstr(e, "note: without --calibration") && strstr(e, "give --calibration"), "%s",
                  e);
    free(o), free(e);
    snprintf(args, sizeof args, "run '%s' --input '%s/traces.safetensors' --output '%s'", prog, lm,
             out);
    ck_assert_int_eq(cx_test_cli(args, &o, NULL), 0);
    ck_assert_msg(strstr(o, "accuracy 1.0000 (reference 1.0000) over 4 samples"), "%s", o);
    free(o), free(lm), free(prog), free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compile_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_test(tc, compile_then_run_matches_reference);
    tcase_add_test(tc, bad_input_is_reported);
    tcase_add_test(tc, demo_compiles_and_runs);
    tcase_add_test(tc, demo_json_is_one_document);
    tcase_add_test(tc, labels_give_accuracy_and_no_calibration_is_explained);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
