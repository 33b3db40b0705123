/* Synthetic GLIFR networks through the compiler: on the ideal chip a
 * ~300-neuron network spread over several tiles reproduces the float64
 * reference (outputs, rates, voltages, after-spike currents) to 1e-12 through
 * the router and without it, with local lateral input on the crossbar (dense
 * local blocks) and through the synapse table as spikes routed back to their
 * own tile (sparse ones); tiles count real resources; and the command line
 * runs synth -> compile -> run -> compare. */
#include "cx_compile.h"
#include "cx_glifr_synth.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cx_chip_config ideal_chip(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/chips/ideal.yaml", CX_SOURCE_DIR);
    cx_chip_config c;
    cx_status st = cx_chip_load(path, NULL, 0, &c);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return c;
}

static char *synth(const char *name, long n, long f, long steps)
{
    char *dir = cx_test_tmp(name);
    cx_glifr_synth_opts o = cx_glifr_synth_defaults();
    o.neurons = n, o.fanout = f, o.seed = 21, o.steps = steps;
    cx_status st = cx_glifr_synth_write(&o, dir, NULL);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return dir;
}

/* Neuron i's program tile, from the rate probe (one entry per neuron). */
static int tile_of(const cx_program *p, int i)
{
    ck_assert_str_eq(p->probes[0].name, "S");
    return p->probes[0].tile[i];
}

/* Every tile's synapse entries are its input synapses plus its lateral
 * in-edges from other tiles, plus its local ones when it has no crossbar. */
static void check_resources(const cx_program *p, const cx_glifr_model *g, int *with_xbar,
                            int *self_routes)
{
    long *need = calloc((size_t)p->n_tiles, sizeof *need);
    long *local = calloc((size_t)p->n_tiles, sizeof *local);
    for (int i = 0; i < g->hidden; i++)
        for (int c = 0; c < g->n_in; c++)
            need[tile_of(p, i)] += g->w_in[(size_t)c * g->hidden + i] != 0;
    for (int j = 0; j < g->hidden; j++)
        for (int64_t q = g->lat_row[j]; q < g->lat_row[j + 1]; q++) {
            int ki = tile_of(p, g->lat_col[q]);
            if (ki == tile_of(p, j))
                local[ki]++;
            else
                need[ki]++;
        }
    *with_xbar = 0;
    for (int k = 0; k < p->n_tiles; k++) {
        const cx_prog_tile *t = &p->tiles[k];
        int xbar = t->n_dends > 0;
        *with_xbar += xbar;
        ck_assert_uint_eq(t->n_synapses, (size_t)(need[k] + (xbar ? 0 : local[k])));
        if (xbar) ck_assert_uint_eq(t->dends[0].n_out, t->n_somas);
    }
    *self_routes = 0;
    for (int r = 0; r < p->n_routes; r++)
        for (int d = 0; d < p->routes[r].n_dests; d++)
            *self_routes += p->routes[r].dests[d] == p->routes[r].src_tile;
    free(need), free(local);
}

/* Runs the program on the inputs with probes; asserts y and S within 1e-12
 * absolute, V and I_asc within 1e-12 relative to max(1, |ref|). */
static void check_exact(const cx_program *p, const cx_chip_config *c, const cx_glifr_model *g,
                        const cx_inputs *in, int router)
{
    const int T = (int)in->steps, H = g->hidden, J = g->num_asc, O = g->n_out;
    const size_t TH = (size_t)T * H;
    double *y = malloc((size_t)T * O * sizeof *y), *ry = malloc((size_t)T * O * sizeof *ry);
    double *S = malloc(TH * sizeof *S), *V = malloc(TH * sizeof *V);
    double *A = malloc((size_t)J * TH * sizeof *A);
    double *rS = malloc(TH * sizeof *rS), *rV = malloc(TH * sizeof *rV);
    double *rI = malloc(TH * sizeof *rI), *rA = malloc((size_t)J * TH * sizeof *rA);
    cx_glifr_workspace *ws = cx_glifr_workspace_alloc(g);
    cx_glifr_record rec = {rS, rV, rI, rA, TH};
    cx_glifr_forward(g, ws, in->x, T, ry, &rec);
    cx_glifr_workspace_free(ws);
    cx_exec_opts eo = {.seed = 1, .router = router};
    cx_exec *e = NULL;
    ck_assert_int_eq(cx_exec_alloc(p, c, &eo, &e), CX_OK);
    double *probes[3] = {S, V, A};
    ck_assert_int_eq(cx_exec_sample(e, in->x, T, y, probes), CX_OK);
    /* a second sample on the same executor starts afresh: the same bits */
    double *y2 = malloc((size_t)T * O * sizeof *y2);
    ck_assert_int_eq(cx_exec_sample(e, in->x, T, y2, NULL), CX_OK);
    ck_assert_int_eq(memcmp(y, y2, (size_t)T * O * sizeof *y), 0);
    free(y2);
    double dy = 0, dS = 0, dV = 0, dA = 0;
    for (size_t i = 0; i < (size_t)T * O; i++)
        dy = fmax(dy, fabs(y[i] - ry[i]));
    for (size_t i = 0; i < TH; i++) {
        dS = fmax(dS, fabs(S[i] - rS[i]));
        dV = fmax(dV, fabs(V[i] - rV[i]) / fmax(1, fabs(rV[i])));
    }
    for (int j = 0; j < J; j++) /* ours [T][J*H], the reference's [J][T][H] */
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++) {
                double r = rA[(size_t)j * TH + (size_t)t * H + h];
                double v = A[((size_t)t * J + j) * H + h];
                dA = fmax(dA, fabs(v - r) / fmax(1, fabs(r)));
            }
    ck_assert_msg(dy <= 1e-12 && dS <= 1e-12 && dV <= 1e-12 && dA <= 1e-12,
                  "router %d: y %g S %g V %g I_asc %g", router, dy, dS, dV, dA);
    const cx_exec_stats *s = cx_exec_get_stats(e);
    ck_assert_uint_eq(s->tiles.late_spikes, 0);
    ck_assert_uint_gt(s->tiles.synaptic_events, 0);
    if (router) ck_assert_uint_eq(s->packets_dropped, 0);
    cx_exec_free(e);
    free(y), free(ry), free(S), free(V), free(A), free(rS), free(rV), free(rI), free(rA);
}

static void compile_and_check(long n, long f, int min_tiles, int want_xbar)
{
    char name[64];
    snprintf(name, sizeof name, "exact_%ld_%ld", n, f);
    char *dir = synth(name, n, f, 160);
    cx_model *m = NULL;
    ck_assert_int_eq(cx_model_load(dir, CX_KIND_AUTO, NULL, 0, &m), CX_OK);
    cx_chip_config c = ideal_chip();
    cx_compile_opts o = cx_compile_opts_default();
    o.min_tiles = min_tiles;
    cx_program *p = NULL;
    cx_status st = cx_compile(m, &c, &o, &p, NULL);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    ck_assert_int_ge(p->n_tiles, min_tiles > 1 ? min_tiles : 2);
    int xbar = 0, self = 0;
    check_resources(p, m->glifr, &xbar, &self);
    if (want_xbar) {
        ck_assert_int_eq(xbar, p->n_tiles); /* dense local blocks: crossbars */
        ck_assert_int_eq(self, 0);
    } else {
        ck_assert_int_eq(xbar, 0); /* sparse: local spikes come back through the router */
        ck_assert_int_gt(self, n / 2);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/inputs.safetensors", dir);
    cx_inputs in;
    ck_assert_int_eq(cx_inputs_load(path, CX_KIND_GLIFR, m->glifr->n_in, 0, &in), CX_OK);
    check_exact(p, &c, m->glifr, &in, 1);
    check_exact(p, &c, m->glifr, &in, 0);
    cx_inputs_release(&in);
    cx_program_free(p);
    cx_chip_free(&c);
    cx_model_free(m);
    free(dir);
}

START_TEST(sparse_local_edges_through_synapses)
{
    compile_and_check(300, 20, 0, 0);
}
END_TEST

START_TEST(dense_local_blocks_on_crossbars)
{
    compile_and_check(300, 200, 0, 1);
}
END_TEST

START_TEST(more_tiles_than_needed)
{
    compile_and_check(240, 30, 9, 0);
}
END_TEST

/* A tile whose local block would be cheaper on the crossbar but has no
 * arrays left takes it through its synapse table. */
START_TEST(no_arrays_means_synapses)
{
    char *dir = synth("no_arrays", 150, 120, 30);
    cx_model *m = NULL;
    ck_assert_int_eq(cx_model_load(dir, CX_KIND_AUTO, NULL, 0, &m), CX_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/chips/ideal.yaml", CX_SOURCE_DIR);
    const char *sets[] = {"tile.dendrite.arrays=0", "tile.synapses.entries=16384"};
    cx_chip_config c;
    ck_assert_int_eq(cx_chip_load(path, sets, 2, &c), CX_OK);
    cx_compile_opts o = cx_compile_opts_default();
    cx_program *p = NULL;
    cx_status st = cx_compile(m, &c, &o, &p, NULL);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    int xbar = 0, self = 0;
    check_resources(p, m->glifr, &xbar, &self);
    ck_assert_int_eq(xbar, 0);
    ck_assert_int_gt(self, 0);
    cx_program_free(p);
    cx_chip_free(&c);
    cx_model_free(m);
    free(dir);
}
END_TEST

/* synth -> compile -> run (router and not) -> compare against reference. */
START_TEST(command_line_end_to_end)
{
    char *dir = cx_test_tmp("e2e"), *prog = cx_test_tmp("e2e.yaml");
    char *ref = cx_test_tmp("e2e_ref.safetensors"), *o1 = cx_test_tmp("e2e_r.safetensors");
    char *o2 = cx_test_tmp("e2e_n.safetensors"), args[4096], *out, *err;
    snprintf(args, sizeof args,
             "synth --neurons 260 --fanout 25 --seed 4 --steps 120 --output '%s'", dir);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 0);
    free(out), free(err);
    snprintf(args, sizeof args,
             "compile '%s' --chip '%s/configs/chips/ideal.yaml' --output '%s' --tiles 3", dir,
             CX_SOURCE_DIR, prog);
    int rc = cx_test_cli(args, &out, &err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_msg(strstr(out, "program:"), "%s", out);
    free(out), free(err);
    snprintf(args, sizeof args, "reference '%s' --input '%s/inputs.safetensors' --output '%s'", dir,
             dir, ref);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 0);
    free(out), free(err);
    for (int router = 1; router >= 0; router--) {
        const char *o = router ? o1 : o2;
        snprintf(args, sizeof args, "run '%s' --input '%s/inputs.safetensors' --output '%s'%s",
                 prog, dir, o, router ? "" : " --no-router");
        rc = cx_test_cli(args, &out, &err);
        ck_assert_msg(rc == 0, "%s", err);
        ck_assert_msg(strstr(out, "late spikes 0 of"), "%s", out);
        free(out), free(err);
        snprintf(args, sizeof args, "compare '%s' '%s' --tensor y --tol 1e-12", o, ref);
        rc = cx_test_cli(args, &out, &err);
        ck_assert_msg(rc == 0, "router %d: %s%s", router, out, err);
        free(out), free(err);
    }
    free(dir), free(prog), free(ref), free(o1), free(o2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compile_synth");
    TCase *tc = tcase_create("synthetic");
    tcase_add_test(tc, sparse_local_edges_through_synapses);
    tcase_add_test(tc, dense_local_blocks_on_crossbars);
    tcase_add_test(tc, more_tiles_than_needed);
    tcase_add_test(tc, no_arrays_means_synapses);
    tcase_add_test(tc, command_line_end_to_end);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
