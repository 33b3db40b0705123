#define _POSIX_C_SOURCE 200809L
#include "test_util.h"
#include "cx_fileio.h"
#include "cx_model.h"

#include <math.h>
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

char *cx_test_data(const char *rel)
{
    return join(CX_DATA_DIR, rel);
}

char *cx_test_tmp(const char *name)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/cortile-test-%d", (int)getpid());
        mkdir(dir, 0700);
    }
    return join(dir, name);
}

const char *cx_test_mpirun(const char *what)
{
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        printf("%s: skipped (Open MPI under valgrind)\n", what);
        return NULL;
    }
    if (system("command -v mpirun >/dev/null 2>&1") != 0) {
        printf("%s: skipped (no mpirun)\n", what);
        return NULL;
    }
    return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
           "OMPI_MCA_mpi_yield_when_idle=1 ASAN_OPTIONS=detect_leaks=0 mpirun --oversubscribe";
}

static int cli_timeout_s;

void cx_test_cli_timeout(int seconds)
{
    cli_timeout_s = seconds;
}

int cx_test_cli(const char *args, char **out, char **err)
{
    char *o = cx_test_tmp("cli.out"), *e = cx_test_tmp("cli.err");
    size_t n = strlen(args) + strlen(o) + strlen(e) + strlen(CX_CLI) + 64;
    char *cmd = malloc(n), prefix[40] = "";
    if (cli_timeout_s > 0) snprintf(prefix, sizeof prefix, "timeout -k 5 %d ", cli_timeout_s);
    snprintf(cmd, n, "%s'%s' %s >'%s' 2>'%s'", prefix, CX_CLI, args, o, e);
    int rc = system(cmd);
    free(cmd);
    char *so = cx_test_slurp(o, NULL), *se = cx_test_slurp(e, NULL);
    if (out)
        *out = so;
    else
        free(so);
    if (err)
        *err = se;
    else
        free(se);
    free(o);
    free(e);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}

void cx_test_refused(const char *what, const char *args, int want_rc, const char *keep,
                     const char *const *fragments)
{
    uint8_t *before = NULL;
    size_t n_before = 0;
    int existed = keep && cx_read_file(keep, &before, &n_before) == CX_OK;
    char *err = NULL;
    int rc = cx_test_cli(args, NULL, &err);
    ck_assert_msg(rc == want_rc, "%s: exit %d (want %d): %s", what, rc, want_rc, err);
    ck_assert_msg(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"),
                  "%s: sanitizer report: %s", what, err);
    size_t lines = 0;
    for (const char *c = err; *c; c++)
        lines += *c == '\n';
    size_t want_lines = want_rc == 2 ? 2 : 1;
    ck_assert_msg(lines == want_lines && err[strlen(err) - 1] == '\n',
                  "%s: want %zu line(s) on stderr, got '%s'", what, want_lines, err);
    for (size_t i = 0; fragments && fragments[i]; i++)
        ck_assert_msg(strstr(err, fragments[i]), "%s: stderr '%s' lacks '%s'", what, err,
                      fragments[i]);
    if (keep) {
        uint8_t *after = NULL;
        size_t n_after = 0;
        int exists = cx_read_file(keep, &after, &n_after) == CX_OK;
        ck_assert_msg(exists == existed, "%s: %s was %s", what, keep,
                      existed ? "removed" : "created");
        ck_assert_msg(!existed || (n_after == n_before && !memcmp(after, before, n_before)),
                      "%s: %s was changed", what, keep);
        free(after);
    }
    free(before);
    free(err);
}

void cx_test_write(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

char *cx_test_slurp(const char *path, size_t *n)
{
    uint8_t *d = NULL;
    size_t size = 0;
    ck_assert_msg(cx_read_file(path, &d, &size) == CX_OK, "%s", cx_last_error());
    if (n) *n = size;
    return (char *)d;
}

int cx_test_same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = cx_test_slurp(a, &na), *y = cx_test_slurp(b, &nb);
    int same = na == nb && memcmp(x, y, na) == 0;
    free(x), free(y);
    return same;
}

int cx_test_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

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

cx_model *cx_test_model(const char *dir)
{
    cx_model *m = NULL;
    cx_status st = cx_model_load(dir, CX_KIND_AUTO, NULL, 0, &m);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return m;
}

void cx_test_check_glifr_traces(const char *model_dir, const char *traces)
{
    cx_model *m = cx_test_model(model_dir);
    const cx_glifr_model *g = m->glifr;
    cx_st_file *f = cx_test_open(traces);
    const cx_st_tensor *x = cx_st_find(f, "x");
    int B = (int)x->shape[0], T = (int)x->shape[1], H = g->hidden, O = g->n_out, J = g->num_asc;
    double *xv;
    ck_assert_int_eq(cx_st_to_f64(f, x, 1, &xv), CX_OK);
    size_t bth = (size_t)B * T * H;
    double *y = malloc((size_t)B * T * O * sizeof(double)), *S = malloc(bth * sizeof(double));
    double *V = malloc(bth * sizeof(double)), *I = malloc(bth * sizeof(double));
    double *A = malloc(J * bth * sizeof(double));
    cx_glifr_workspace *ws = cx_glifr_workspace_alloc(g);
    for (int b = 0; b < B; b++) {
        size_t off = (size_t)b * T * H;
        cx_glifr_record rec = {S + off, V + off, I + off, A + off, bth};
        cx_glifr_forward(g, ws, xv + (size_t)b * T * g->n_in, T, y + (size_t)b * T * O, &rec);
    }
    double ey = cx_test_max_diff(cx_st_find(f, "y"), y, 0);
    double es = cx_test_max_diff(cx_st_find(f, "S"), S, 0);
    double ev = cx_test_max_diff(cx_st_find(f, "V"), V, 1);
    double ei = cx_test_max_diff(cx_st_find(f, "I_syn"), I, 1);
    double ea = cx_test_max_diff(cx_st_find(f, "I_asc"), A, 1);
    printf("%s: y %.3e  S %.3e  V(rel) %.3e  I_syn(rel) %.3e  I_asc(rel) %.3e\n", model_dir, ey, es,
           ev, ei, ea);
    ck_assert_double_le(ey, 1e-9);
    ck_assert_double_le(es, 1e-9);
    ck_assert_double_le(ev, 1e-9);
    ck_assert_double_le(ei, 1e-9);
    ck_assert_double_le(ea, 1e-9);
    cx_glifr_workspace_free(ws);
    free(xv);
    free(y);
    free(S);
    free(V);
    free(I);
    free(A);
    cx_st_close(f);
    cx_model_free(m);
}

cx_chip_config cx_test_quiet_chip(void)
{
    cx_chip_config d, c;
    ck_assert_int_eq(cx_chip_config_default(&d), CX_OK);
    c = d; /* the scalars only: a tile keeps no pointer into its chip */
    c.name = c.description = NULL;
    c.router.hosts = NULL;
    c.router.n_hosts = 0;
    cx_chip_free(&d);
    c.noise.thermal.enabled = c.noise.flicker.enabled = c.noise.mismatch.enabled = 0;
    c.noise.quantization.enabled = c.noise.crossbar.enabled = c.noise.saturation.enabled = 0;
    return c;
}

cx_tile *cx_test_tile(const cx_chip_config *c, const cx_tile_netlist *net, uint64_t seed,
                      uint32_t tile)
{
    cx_tile_id id = {seed, 0, tile};
    cx_tile *t = NULL;
    cx_status st = cx_tile_alloc(c, net, &id, &t);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return t;
}
