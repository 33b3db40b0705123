/* Boards: board files and their errors, delivery trees, compiling over the
 * chips of a board (exact on noise-free chips through routers and chip
 * links), and the same outputs bit for bit for 1, 2 and 4 MPI ranks. */
#define _POSIX_C_SOURCE 200809L
#include "cx_compile.h"
#include "cx_evaluate.h"
#include "cx_fileio.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const quiet_sets[] = {
    "noise.thermal.enabled=false",  "noise.flicker.enabled=false",
    "noise.mismatch.enabled=false", "noise.quantization.enabled=false",
    "noise.crossbar.enabled=false", "noise.saturation.enabled=false"};
enum { N_QUIET = sizeof quiet_sets / sizeof *quiet_sets };

static char *quad_path(void)
{
    return cx_path_join(CX_SOURCE_DIR, "configs/boards/quad.yaml");
}

static cx_board load_quad(const char *const *sets, size_t n)
{
    char *path = quad_path();
    cx_board b;
    cx_status st = cx_board_load(path, sets, n, &b);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    free(path);
    return b;
}

/* A board file in the scratch folder whose chip is the repository's board chip. */
static char *write_board(const char *name, const char *body)
{
    char *path = cx_test_tmp(name);
    char text[4096];
    snprintf(text, sizeof text, "name: t\nchip: %s/configs/chips/board.yaml\n%s", CX_SOURCE_DIR,
             body);
    cx_test_write(path, text, strlen(text));
    return path;
}

static void expect_board_error(const char *body, const char *needle)
{
    char *path = write_board("bad_board.yaml", body);
    cx_board b;
    cx_status st = cx_board_load(path, NULL, 0, &b);
    ck_assert_int_ne(st, CX_OK);
    ck_assert_msg(strstr(cx_last_error(), needle), "'%s' lacks '%s'", cx_last_error(), needle);
    free(path);
}

START_TEST(quad_loads)
{
    cx_board b = load_quad(NULL, 0);
    ck_assert_int_eq(b.n_chips, 4);
    ck_assert_int_eq(b.n_links, 6);
    ck_assert_double_eq(cx_board_min_latency_ns(&b), 100);
    /* fully linked: every chip is one link from every other */
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) {
            int l = cx_board_tree_link(&b, r, c);
            if (r == c) {
                ck_assert_int_eq(l, -1);
                continue;
            }
            ck_assert_int_ge(l, 0);
            ck_assert_int_eq(cx_board_link_peer(&b.links[l], c), r);
        }
    cx_board_free(&b);
}
END_TEST

START_TEST(line_board_tree_relays_through_the_middle)
{
    char *path = write_board("line.yaml", "chips: [{name: a}, {name: b}, {name: c}]\n"
                                          "links:\n"
                                          "  - {a: 0, port_a: 2, b: 1, port_b: 1, latency_ns: 50, "
                                          "bandwidth_gbps: 5}\n"
                                          "  - {a: 1, port_a: 2, b: 2, port_b: 1, latency_ns: 70, "
                                          "bandwidth_gbps: 5}\n");
    cx_board b;
    cx_status st = cx_board_load(path, NULL, 0, &b);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    ck_assert_int_eq(cx_board_tree_link(&b, 0, 2), 1); /* c is entered from b */
    ck_assert_int_eq(cx_board_tree_link(&b, 0, 1), 0);
    ck_assert_int_eq(cx_board_tree_link(&b, 2, 0), 0); /* a is entered from b */
    ck_assert_double_eq(cx_board_min_latency_ns(&b), 50);
    cx_board_free(&b);
    free(path);
}
END_TEST

START_TEST(bad_boards_are_named)
{
    expect_board_error("links: []\n", "chips");
    expect_board_error("chips: []\n", "no chips");
    expect_board_error("chips: [{name: a}, {name: a}]\n", "used twice");
    expect_board_error("chips: [{name: a}, {name: b}]\nlinks: []\n", "no link path");
    expect_board_error("chips: [{name: a}, {name: b}]\nlinks:\n"
                       "  - {a: 0, port_a: 0, b: 1, port_b: 1, latency_ns: 1, bandwidth_gbps: 1}\n",
                       "port_a");
    expect_board_error("chips: [{name: a}, {name: b}]\nlinks:\n"
                       "  - {a: 0, port_a: 1, b: 0, port_b: 2, latency_ns: 1, bandwidth_gbps: 1}\n",
                       "to itself");
    expect_board_error("chips: [{name: a}, {name: b}, {name: c}]\nlinks:\n"
                       "  - {a: 0, port_a: 1, b: 1, port_b: 1, latency_ns: 1, bandwidth_gbps: 1}\n"
                       "  - {a: 0, port_a: 1, b: 2, port_b: 1, latency_ns: 1, bandwidth_gbps: 1}\n",
                       "share port");
    expect_board_error(
        "chips: [{name: a}, {name: b}]\nlinks:\n"
        "  - {a: 0, port_a: 1, b: 1, port_b: 1, latency_ns: -1, bandwidth_gbps: 1}\n",
        "latency_ns");
    expect_board_error("chips: [{name: a}, {name: b, set: [\"tile.compartments=512\"]}]\nlinks:\n"
                       "  - {a: 0, port_a: 1, b: 1, port_b: 1, latency_ns: 1, bandwidth_gbps: 1}\n",
                       "differ in 'tile'");
    expect_board_error("chips: [{name: a, set: [\"tile.compartmnts=3\"]}]\n", "compartmnts");
    expect_board_error("chips: [{name: a}]\nlinkz: []\n", "linkz");
    /* noise may differ between the chips of a board */
    char *path = write_board(
        "noisy.yaml", "chips: [{name: a}, {name: b, set: [\"noise.thermal.enabled=false\"]}]\n"
                      "links:\n  - {a: 0, port_a: 1, b: 1, port_b: 1, latency_ns: 1, "
                      "bandwidth_gbps: 1}\n");
    cx_board b;
    ck_assert_int_eq(cx_board_load(path, NULL, 0, &b), CX_OK);
    ck_assert_int_eq(b.chips[0].noise.thermal.enabled, 1);
    ck_assert_int_eq(b.chips[1].noise.thermal.enabled, 0);
    cx_board_free(&b);
    free(path);
}
END_TEST

static cx_model *lmnist(void)
{
    char *dir = cx_test_data("glifr/lmnist_glifr_lheta");
    cx_model *m = cx_test_model(dir);
    free(dir);
    return m;
}

static cx_inputs lmnist_traces(void)
{
    char *path = cx_test_data("glifr/lmnist_glifr_lheta/traces.safetensors");
    cx_inputs in;
    cx_status st = cx_inputs_load(path, CX_KIND_GLIFR, 28, 0, &in);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    free(path);
    return in;
}

static cx_program *compile_on(const cx_model *m, const cx_board *b, int chips, int tiles)
{
    cx_compile_opts o = cx_compile_opts_default();
    o.board = b;
    o.min_chips = chips;
    o.min_tiles = tiles;
    cx_program *p = NULL;
    cx_status st = cx_compile(m, NULL, &o, &p, NULL);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return p;
}

START_TEST(lmnist_over_four_chips_exact)
{
    cx_board b = load_quad(quiet_sets, N_QUIET);
    cx_model *m = lmnist();
    cx_program *p = compile_on(m, &b, 4, 4);
    ck_assert_str_eq(p->board_name, "quad");
    ck_assert_int_eq(p->n_chips, 4);
    int per_chip[4] = {0};
    for (int k = 0; k < p->n_tiles; k++)
        per_chip[p->tiles[k].chip]++;
    for (int c = 0; c < 4; c++)
        ck_assert_int_ge(per_chip[c], 1);
    cx_inputs in = lmnist_traces();
    size_t ny = (size_t)(in.samples * in.steps * p->n_outputs);
    double *ref = malloc(ny * sizeof *ref), *y = malloc(ny * sizeof *y);
    ck_assert_int_eq(cx_inputs_reference(m, &in, ref), CX_OK);
    for (int router = 0; router <= 1; router++) {
        cx_exec_opts eo = {.seed = 1, .router = router, .board = &b};
        cx_exec *e = NULL;
        cx_status st = cx_evaluate(p, NULL, &eo, &in, y, NULL, &e);
        ck_assert_msg(st == CX_OK, "%s", cx_last_error());
        double worst = 0;
        for (size_t i = 0; i < ny; i++)
            worst = fmax(worst, fabs(y[i] - ref[i]));
        ck_assert_msg(worst < 1e-12, "router %d: max |y - ref| = %g", router, worst);
        const cx_exec_stats *s = cx_exec_get_stats(e);
        ck_assert_uint_eq(s->tiles.late_spikes, 0);
        if (router) {
            /* lateral spikes crossed chips, and the windows ran */
            ck_assert_uint_gt(s->chip_link_packets, 0);
            ck_assert_uint_gt(s->sync_windows, 0);
            uint64_t pk[2];
            double busy[2];
            cx_exec_link_load(e, 0, pk, busy);
            ck_assert_uint_gt(pk[0] + pk[1], 0);
        }
        cx_exec_free(e);
    }
    /* a board program round-trips through its files */
    char *path = cx_test_tmp("board_prog.yaml");
    ck_assert_int_eq(cx_program_save(p, path), CX_OK);
    cx_program *q = NULL;
    ck_assert_msg(cx_program_load(path, &q) == CX_OK, "%s", cx_last_error());
    ck_assert_str_eq(q->board_name, "quad");
    ck_assert_int_eq(q->n_chips, 4);
    for (int k = 0; k < p->n_tiles; k++)
        ck_assert_int_eq(q->tiles[k].chip, p->tiles[k].chip);
    cx_program_free(q);
    free(path);
    free(ref);
    free(y);
    cx_inputs_release(&in);
    cx_program_free(p);
    cx_model_free(m);
    cx_board_free(&b);
}
END_TEST

START_TEST(board_fit_errors)
{
    cx_board b = load_quad(NULL, 0);
    cx_model *m = lmnist();
    cx_compile_opts o = cx_compile_opts_default();
    o.board = &b;
    o.min_chips = 5;
    cx_program *p = NULL;
    ck_assert_int_eq(cx_compile(m, NULL, &o, &p, NULL), CX_ERR_FIT);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "needs 5 chips"));
    o.min_chips = 4; /* one tile cannot go over four chips */
    ck_assert_int_eq(cx_compile(m, NULL, &o, &p, NULL), CX_ERR_FIT);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "--tiles 4"));
    /* a board program does not run on one chip */
    p = compile_on(m, &b, 2, 2);
    cx_exec *e = NULL;
    cx_exec_opts eo = {.seed = 1, .router = 1};
    ck_assert_int_eq(cx_exec_alloc(p, &b.chips[0], &eo, &e), CX_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "board 'quad'"));
    cx_program_free(p);
    cx_model_free(m);
    cx_board_free(&b);
}
END_TEST

/* `cortile run` of a board program: the same output bytes for every rank
 * count (and without a launcher). */
static void check_ranks(const char *program, const char *input, const char *extra)
{
    char args[4096], *out = NULL, *err = NULL;
    char *base = cx_test_tmp("ranks_base.safetensors");
    snprintf(args, sizeof args, "run '%s' --input '%s' --output '%s' %s", program, input, base,
             extra);
    int rc = cx_test_cli(args, &out, &err);
    ck_assert_msg(rc == 0, "%s", err);
    free(out), free(err);
    size_t n0;
    char *want = cx_test_slurp(base, &n0);
    const char *mpirun = cx_test_mpirun("board rank-count check");
    if (!mpirun) {
        free(want), free(base);
        return;
    }
    for (int k = 1; k <= 4; k *= 2) {
        char *path = cx_test_tmp("ranks_k.safetensors");
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "%s -n %d '%s' run '%s' --input '%s' --output '%s' %s >/dev/null 2>&1", mpirun, k,
                 CX_CLI, program, input, path, extra);
        ck_assert_msg(system(cmd) == 0, "mpirun -n %d failed: %s", k, cmd);
        size_t n;
        char *got = cx_test_slurp(path, &n);
        ck_assert_msg(n == n0 && memcmp(got, want, n) == 0, "%d ranks: outputs differ", k);
        free(got);
        free(path);
    }
    free(want);
    free(base);
}

START_TEST(cli_board_run_same_bits_for_any_rank_count)
{
    char *model = cx_test_data("glifr/lmnist_glifr_lheta");
    char *input = cx_test_data("glifr/lmnist_glifr_lheta/traces.safetensors");
    char *quad = quad_path();
    char *prog = cx_test_tmp("quad_prog.yaml");
    char args[4096], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "compile '%s' --board '%s' --chips 4 --tiles 4 --output '%s'",
             model, quad, prog);
    int rc = cx_test_cli(args, &out, &err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "c3("));
    free(out), free(err);
    char *bpath = cx_test_tmp("quad_prog.board.yaml");
    ck_assert(cx_path_exists(bpath));
    /* noise on: every rank draws the same chip instances */
    check_ranks(prog, input, "--seed 3");
    check_ranks(prog, input, "--seed 3 --no-router");
    /* errors: a board program on one chip */
    snprintf(args, sizeof args, "run '%s' --input '%s' --output /dev/null --chip '%s'", prog, input,
             quad);
    rc = cx_test_cli(args, &out, &err);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(err, "give --board"), "%s", err);
    free(out), free(err);
    free(bpath);
    free(model), free(input), free(quad), free(prog);
}
END_TEST

/* The scale-out check: a synthetic 2000-neuron network with fanout 50
 * over the four chips of quad.yaml, 10 ms of input (200 steps: ten lateral
 * delays), the same output bytes on 1, 2 and 4 ranks, with the router
 * (inter-chip packets, synchronization windows) and without it. */
START_TEST(synth_2000_on_quad_same_bits_for_any_rank_count)
{
    char *dir = cx_test_tmp("synth2000"), *quad = quad_path();
    char *prog = cx_test_tmp("synth2000_prog.yaml");
    char args[4096], *out = NULL, *err = NULL;
    snprintf(args, sizeof args,
             "synth --neurons 2000 --fanout 50 --seed 1 --steps 200 --output '%s'", dir);
    int rc = cx_test_cli(args, &out, &err);
    ck_assert_msg(rc == 0, "%s", err);
    free(out), free(err);
    snprintf(args, sizeof args, "compile '%s' --board '%s' --chips 4 --output '%s'", dir, quad,
             prog);
    rc = cx_test_cli(args, &out, &err);
    ck_assert_msg(rc == 0, "%s", err);
    for (int c = 0; c < 4; c++) { /* every chip holds tiles */
        char at[8];
        snprintf(at, sizeof at, "c%d(", c);
        ck_assert_msg(strstr(out, at), "no tile on chip %d:\n%s", c, out);
    }
    free(out), free(err);
    char input[4200];
    snprintf(input, sizeof input, "%s/inputs.safetensors", dir);
    check_ranks(prog, input, "--seed 1");
    check_ranks(prog, input, "--seed 1 --no-router");
    free(dir), free(quad), free(prog);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("board");
    TCase *tc = tcase_create("board");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, quad_loads);
    tcase_add_test(tc, line_board_tree_relays_through_the_middle);
    tcase_add_test(tc, bad_boards_are_named);
    tcase_add_test(tc, lmnist_over_four_chips_exact);
    tcase_add_test(tc, board_fit_errors);
    tcase_add_test(tc, synth_2000_on_quad_same_bits_for_any_rank_count);
    tcase_add_test(tc, cli_board_run_same_bits_for_any_rank_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return cx_test_main(suite());
}
