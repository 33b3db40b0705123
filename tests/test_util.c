#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

char *cx_test_shared(const char *rel)
{
    const char *root = getenv("CORTILE_SHARED_DIR");
    char *path = join(root ? root : CX_SHARED_DIR, rel);
    struct stat st;
    if (stat(path, &st) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

char *cx_test_data(const char *rel) { return join(CX_DATA_DIR, rel); }

char *cx_test_tmp(const char *name)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/cortile-test-%d", (int)getpid());
        mkdir(dir, 0700);
    }
    return join(dir, name);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return calloc(1, 1);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = calloc((size_t)n + 1, 1);
    if (n > 0 && fread(buf, 1, (size_t)n, fp) != (size_t)n) buf[0] = 0;
    fclose(fp);
    return buf;
}

int cx_test_cli(const char *args, char **out, char **err)
{
    char *o = cx_test_tmp("cli.out"), *e = cx_test_tmp("cli.err");
    size_t n = strlen(args) + strlen(o) + strlen(e) + strlen(CX_CLI) + 32;
    char *cmd = malloc(n);
    snprintf(cmd, n, "'%s' %s >'%s' 2>'%s'", CX_CLI, args, o, e);
    int rc = system(cmd);
    free(cmd);
    char *so = slurp(o), *se = slurp(e);
    if (out) *out = so; else free(so);
    if (err) *err = se; else free(se);
    free(o);
    free(e);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}

void cx_test_write(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

int cx_test_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#include <math.h>

double cx_test_max_diff(const cx_st_tensor *ref, const double *v, int rel)
{
    double worst = 0;
    for (size_t i = 0; i < ref->nelem; i++) {
        double r = cx_st_get(ref, i), d = fabs(v[i] - r);
        if (rel) d /= fmax(1.0, fabs(r));
        if (!(d <= worst)) worst = d; /* NaN propagates as the worst */
    }
    return worst;
}

cx_st_file *cx_test_open(const char *path)
{
    cx_st_file *f = NULL;
    cx_status st = cx_st_open(path, &f);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return f;
}
