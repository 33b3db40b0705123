/* cortile noc --chip: router settings come from a chip description, and
 * explicit flags override them. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

START_TEST(router_from_chip_file)
{
    char args[1024], *out, *err;
    snprintf(args, sizeof args,
             "noc --chip '%s/configs/chips/default.yaml' --traffic uniform --rate 0.01 --cycles 2000",
             CX_SOURCE_DIR);
    ck_assert_int_eq(cx_test_cli(args, &out, NULL), 0);
    /* default.yaml: 4x4 mesh, cut-through, pipeline 3, 16-bit links */
    ck_assert_ptr_nonnull(strstr(out, "noc 4x4"));
    ck_assert_ptr_nonnull(strstr(out, "cut-through, credit, tree multicast, pipeline 3"));
    ck_assert_ptr_nonnull(strstr(out, "32-bit packets on 16-bit links"));
    free(out);
    snprintf(args, sizeof args,
             "noc --mesh 2x3 --pipeline 1 --chip '%s/configs/chips/default.yaml' --traffic uniform "
             "--rate 0.01 --cycles 2000",
             CX_SOURCE_DIR);
    ck_assert_int_eq(cx_test_cli(args, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "noc 2x3"));
    ck_assert_ptr_nonnull(strstr(out, "pipeline 1,"));
    free(out);
    ck_assert_int_eq(cx_test_cli("noc --chip /nonexistent.yaml --traffic uniform --rate 0.01 "
                                 "--cycles 100",
                                 NULL, &err),
                     1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent.yaml"));
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noc_chip");
    TCase *tc = tcase_create("cli");
    tcase_add_test(tc, router_from_chip_file);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
