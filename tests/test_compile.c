/* The compiler on the bundled checkpoints: exact lowering on the ideal chip
 * (outputs and states equal the float64 reference to 1e-9 through tiles,
 * placement, routes and the router), resource errors, and the CLI. */
#include "cx_compile.h"
#include "cx_evaluate.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cx_chip_config load_chip(const char *name, const char *const *sets, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/chips/%s.yaml", CX_SOURCE_DIR, name);
    cx_chip_config c;
    cx_status st = cx_chip_load(path, sets, n, &c);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return c;
}

static cx_program *compile(const cx_model *m, const cx_chip_config *c, int tiles)
{
    cx_compile_opts o = cx_compile_opts_default();
    o.min_tiles = tiles;
    cx_program *p = NULL;
    cx_status st = cx_compile(m, c, &o, &p, NULL);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return p;
}

/* Runs p on in through the router (or not); returns y [S][T][O]. */
static double *run(const cx_program *p, const cx_chip_config *c, const cx_inputs *in, int router,
                   cx_exec **keep)
{
    double *y = malloc((size_t)(in->samples * in->steps * p->n_outputs) * sizeof *y);
    cx_exec_opts eo = {.seed = 1, .router = router};
    cx_status st = cx_evaluate(p, c, &eo, in, y, NULL, keep);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return y;
}

START_TEST(elm_exact_on_ideal_chip)
{
    char *dir = cx_test_data("elm/num_memory_20");
    char *inp = cx_test_data("elm/inputs_small.safetensors");
    char *refp = cx_test_data("elm/num_memory_20/outputs_small.safetensors");
    cx_model *m = cx_test_model(dir);
    cx_chip_config c = load_chip("ideal", NULL, 0);
    cx_program *p = compile(m, &c, 0);
    ck_assert_int_eq(p->n_tiles, 1);
    cx_inputs in;
    ck_assert_int_eq(cx_inputs_load(inp, CX_KIND_ELM, 1278, 0, &in), CX_OK);
    cx_exec *e = NULL;
    double *y = run(p, &c, &in, 1, &e);
    cx_st_file *ref = cx_test_open(refp);
    double d = cx_test_max_diff(cx_st_find(ref, "outputs"), y, 0);
    ck_assert_msg(d <= 1e-9, "ELM on the ideal chip: max |y - ref| = %g", d);
    const cx_exec_stats *s = cx_exec_get_stats(e);
    ck_assert_uint_eq(s->tiles.late_spikes, 0);
    ck_assert_uint_gt(s->host_packets, 1000);
    ck_assert_uint_eq(s->packets_delivered, s->host_packets); /* one tile: one copy each */
    /* without the router: bitwise the same (nothing is late) */
    double *y2 = run(p, &c, &in, 0, NULL);
    ck_assert_int_eq(memcmp(y, y2, (size_t)(in.samples * in.steps * 2) * sizeof *y), 0);
    free(y2);
    cx_st_close(ref);
    cx_exec_free(e);
    free(y);
    cx_inputs_release(&in);
    cx_program_free(p);
    cx_chip_free(&c);
    cx_model_free(m);
    free(dir), free(inp), free(refp);
}
END_TEST

START_TEST(glifr_exact_across_four_tiles)
{
    char *dir = cx_test_data("glifr/lmnist_glifr_lheta");
    char *tr = cx_test_data("glifr/lmnist_glifr_lheta/traces.safetensors");
    cx_model *m = cx_test_model(dir);
    cx_chip_config c = load_chip("ideal", NULL, 0);
    cx_program *p = compile(m, &c, 4);
    ck_assert_int_ge(p->n_tiles, 4);
    /* every tile holds neurons, and lateral spikes cross tiles */
    int cross = 0;
    for (int r = 0; r < p->n_routes; r++)
        cross += p->routes[r].src_tile >= 0;
    ck_assert_int_eq(cross, 128);
    cx_inputs in;
    ck_assert_int_eq(cx_inputs_load(tr, CX_KIND_GLIFR, 28, 0, &in), CX_OK);
    cx_exec *e = NULL;
    double *y = malloc((size_t)(in.samples * in.steps * 10) * sizeof *y);
    cx_exec_opts eo = {.seed = 1, .router = 1};
    ck_assert_int_eq(cx_exec_alloc(p, &c, &eo, &e), CX_OK);
    size_t n = (size_t)(in.samples * in.steps) * 128;
    double *S = malloc(n * sizeof *S), *V = malloc(n * sizeof *V), *I = malloc(2 * n * sizeof *I);
    for (int64_t s = 0; s < in.samples; s++) {
        double *rec[3] = {S + (size_t)s * 28 * 128, V + (size_t)s * 28 * 128,
                          I + (size_t)s * 28 * 256};
        ck_assert_int_eq(
            cx_exec_sample(e, in.x + (size_t)s * 28 * 28, 28, y + (size_t)s * 28 * 10, rec), CX_OK);
    }
    cx_st_file *ref = cx_test_open(tr);
    double dy = cx_test_max_diff(cx_st_find(ref, "y"), y, 0);
    double dS = cx_test_max_diff(cx_st_find(ref, "S"), S, 0);
    double dV = cx_test_max_diff(cx_st_find(ref, "V"), V, 1);
    ck_assert_msg(dy <= 1e-9 && dS <= 1e-9 && dV <= 1e-9, "GLIFR: y %g S %g V %g", dy, dS, dV);
    /* I_asc: the reference is [J][B][T][H]; ours [B][T][J*H] */
    const cx_st_tensor *ri = cx_st_find(ref, "I_asc");
    double dI = 0;
    for (int j = 0; j < 2; j++)
        for (size_t st = 0; st < (size_t)(in.samples * in.steps); st++)
            for (int h = 0; h < 128; h++) {
                double r = cx_st_get(ri, ((size_t)j * in.samples * in.steps + st) * 128 + h);
                dI = fmax(dI, fabs(I[st * 256 + (size_t)j * 128 + h] - r) / fmax(1, fabs(r)));
            }
    ck_assert_msg(dI <= 1e-9, "GLIFR I_asc: %g", dI);
    const cx_exec_stats *s = cx_exec_get_stats(e);
    ck_assert_uint_eq(s->tiles.late_spikes, 0);
    ck_assert_uint_gt(s->tiles.spikes_out, 0);
    cx_st_close(ref);
    cx_exec_free(e);
    free(y), free(S), free(V), free(I);
    cx_inputs_release(&in);
    cx_program_free(p);
    cx_chip_free(&c);
    cx_model_free(m);
    free(dir), free(tr);
}
END_TEST

START_TEST(too_small_chip_names_the_resource)
{
    char *dir = cx_test_data("elm/num_memory_20");
    cx_model *m = cx_test_model(dir);
    const char *sets[] = {"tile.dendrite.arrays=1", "tile.dendrite.rows=32",
                          "tile.dendrite.cols=32"};
    cx_chip_config c = load_chip("default", sets, 3);
    cx_compile_opts o = cx_compile_opts_default();
    cx_program *p = NULL;
    ck_assert_int_eq(cx_compile(m, &c, &o, &p, NULL), CX_ERR_FIT);
    ck_assert_ptr_null(p);
    const char *msg = cx_last_error();
    /* W1 40 x 65 (+bias) is 3 x 2 arrays of 32, W2 20 x 40 (+bias) 2 x 1: 8 */
    ck_assert_msg(strstr(msg, "8 dendrite arrays") && strstr(msg, "has 1"), "%s", msg);
    cx_chip_free(&c);
    const char *few[] = {"tile.compartments=40"};
    c = load_chip("default", few, 1);
    ck_assert_int_eq(cx_compile(m, &c, &o, &p, NULL), CX_ERR_FIT);
    ck_assert_msg(strstr(cx_last_error(), "65 compartments"), "%s", cx_last_error());
    cx_chip_free(&c);
    cx_model_free(m);
    free(dir);
}
END_TEST

START_TEST(glifr_too_big_for_the_mesh)
{
    char *dir = cx_test_data("glifr/lmnist_glifr_lheta");
    cx_model *m = cx_test_model(dir);
    const char *sets[] = {"mesh.width=1", "mesh.height=1"};
    cx_chip_config c = load_chip("default", sets, 2);
    cx_compile_opts o = cx_compile_opts_default();
    cx_program *p = NULL;
    ck_assert_int_eq(cx_compile(m, &c, &o, &p, NULL), CX_ERR_FIT);
    ck_assert_msg(strstr(cx_last_error(), "384 compartments"), "%s", cx_last_error());
    cx_chip_free(&c);
    cx_model_free(m);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compile");
    TCase *tc = tcase_create("bundled");
    tcase_add_test(tc, elm_exact_on_ideal_chip);
    tcase_add_test(tc, glifr_exact_across_four_tiles);
    tcase_add_test(tc, too_small_chip_names_the_resource);
    tcase_add_test(tc, glifr_too_big_for_the_mesh);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
