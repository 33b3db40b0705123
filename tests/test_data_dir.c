/* The bundled data is found beside the executable: a copied checkout runs
 * the demo on its own data/ (not the folder the binary was built in), an
 * installed tree on PREFIX/share/cortile/data; $CORTILE_DATA_DIR wins, and
 * one without the data is named. */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Copies src into folder dir (made first). */
static void copy_into(const char *src, const char *dir)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp -r '%s' '%s'/", dir, src, dir);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* A tree with the binary in folder bin_rel, the demo's data in data_rel and
 * the default chip in configs_rel/chips; returns the tree's folder. */
static char *make_tree(const char *tag, const char *bin_rel, const char *data_rel,
                       const char *configs_rel)
{
    char *root = cx_test_tmp(tag), path[2048];
    snprintf(path, sizeof path, "%s/%s", root, bin_rel);
    copy_into(CX_CLI, path);
    char *src = cx_test_data("glifr");
    snprintf(path, sizeof path, "%s/%s", root, data_rel);
    copy_into(src, path);
    free(src);
    snprintf(path, sizeof path, "%s/%s/chips", root, configs_rel);
    char chip[2048];
    snprintf(chip, sizeof chip, "%s/configs/chips/default.yaml", CX_SOURCE_DIR);
    copy_into(chip, path);
    return root;
}

/* Runs `BIN demo` from folder cwd with CORTILE_DATA_DIR set to env (NULL:
 * unset); returns the exit code, stdout and stderr in *out / *err. */
static int demo(const char *bin, const char *cwd, const char *env, char **out, char **err)
{
    char *o = cx_test_tmp("demo.out"), *e = cx_test_tmp("demo.err"), *dir = cx_test_tmp("demo_run");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s%s%s '%s' demo --out '%s' >'%s' 2>'%s'", cwd,
             env ? "CORTILE_DATA_DIR='" : "env -u CORTILE_DATA_DIR", env ? env : "", env ? "'" : "",
             bin, dir, o, e);
    int rc = system(cmd);
    *out = cx_test_slurp(o, NULL);
    *err = cx_test_slurp(e, NULL);
    free(o), free(e), free(dir);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

START_TEST(copied_checkout_uses_its_own_data)
{
    char *root = make_tree("checkout", "build/cli", "data", "configs");
    char bin[2048], want[2048], *out, *err;
    snprintf(bin, sizeof bin, "%s/build/cli/cortile", root);
    ck_assert_int_eq(demo(bin, "/", NULL, &out, &err), 0);
    snprintf(want, sizeof want, "glifr model %s/data/glifr/lmnist_glifr_lheta", root);
    ck_assert_msg(strstr(out, want), "demo did not use the copy's data: %s", out);
    free(out), free(err);
    /* from inside the tree, the path is relative, as a user would type it */
    ck_assert_int_eq(demo(bin, root, NULL, &out, &err), 0);
    ck_assert_msg(strstr(out, "glifr model data/glifr/lmnist_glifr_lheta on chip default"), "%s",
                  out);
    free(out), free(err), free(root);
}
END_TEST

START_TEST(install_prefix_layout)
{
    char *root = make_tree("prefix", "bin", "share/cortile/data", "share/cortile/configs");
    char bin[2048], want[2048], *out, *err;
    snprintf(bin, sizeof bin, "%s/bin/cortile", root);
    ck_assert_int_eq(demo(bin, "/", NULL, &out, &err), 0);
    snprintf(want, sizeof want, "glifr model %s/share/cortile/data/glifr/", root);
    ck_assert_msg(strstr(out, want), "%s", out);
    free(out), free(err), free(root);
}
END_TEST

START_TEST(environment_wins_and_a_wrong_one_is_named)
{
    char *root = make_tree("bare", "bin", "elsewhere/data", "elsewhere/configs");
    char bin[2048], data[2048], *out, *err;
    snprintf(bin, sizeof bin, "%s/bin/cortile", root);
    snprintf(data, sizeof data, "%s/elsewhere/data", root);
    ck_assert_int_eq(demo(bin, "/", data, &out, &err), 0);
    ck_assert_msg(strstr(out, "elsewhere/data/glifr/lmnist_glifr_lheta"), "%s", out);
    free(out), free(err);
    /* a folder without the data is named, not used */
    ck_assert_int_eq(demo(bin, "/", "/nonexistent", &out, &err), 1);
    ck_assert_msg(strstr(err, "CORTILE_DATA_DIR '/nonexistent': no bundled data there"), "%s", err);
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
    free(out), free(err), free(root);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_dir");
    TCase *tc = tcase_create("lookup");
    tcase_add_test(tc, copied_checkout_uses_its_own_data);
    tcase_add_test(tc, install_prefix_layout);
    tcase_add_test(tc, environment_wins_and_a_wrong_one_is_named);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
