/* cortile sweep: descriptions and their errors, point order, shared
 * programs, byte-identical results for any -j and MPI rank count, resume
 * after a kill, error rows, plots. Small sweeps on the bundled models. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include "cx_compile.h"
#include "cx_evaluate.h"
#include "cx_sweep.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Lines of a file; 0 while it does not exist. */
static int lines_in(const char *path)
{
    if (access(path, F_OK) != 0) return 0;
    char *t = cx_test_slurp(path, NULL);
    int n = 0;
    for (char *p = t; *p; p++)
        n += *p == '\n';
    free(t);
    return n;
}

static char *in_dir(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* A sweep file of the bundled ELM (or the L-MNIST GLIFR) on the default
 * chip with `body` (axes, seeds, ...) appended. */
static char *spec_file(const char *name, int glifr, const char *body)
{
    char *path = cx_test_tmp(name);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    if (glifr)
        fprintf(fp,
                "name: %s\nmodel: %s/data/glifr/lmnist_glifr_lheta\n"
                "chip: %s/configs/chips/default.yaml\n"
                "inputs: {path: %s/data/glifr/lmnist_glifr_lheta/traces.safetensors, samples: 2}\n"
                "calibration: {path: %s/data/glifr/lmnist_glifr_lheta/traces.safetensors}\n%s",
                name, CX_SOURCE_DIR, CX_SOURCE_DIR, CX_SOURCE_DIR, CX_SOURCE_DIR, body);
    else
        fprintf(fp,
                "name: %s\nmodel: %s/data/elm/num_memory_20\n"
                "chip: %s/configs/chips/default.yaml\n"
                "inputs: {path: %s/data/elm/inputs_small.safetensors}\n"
                "calibration: {path: %s/data/elm/inputs_small.safetensors}\n%s",
                name, CX_SOURCE_DIR, CX_SOURCE_DIR, CX_SOURCE_DIR, CX_SOURCE_DIR, body);
    fclose(fp);
    return path;
}

static cx_sweep_spec *load_ok(const char *path)
{
    cx_sweep_spec *s = NULL;
    cx_status st = cx_sweep_spec_load(path, &s);
    ck_assert_msg(st == CX_OK, "%s", cx_last_error());
    return s;
}

/* The spec fails to load with a message holding every one of `want`. */
static void load_fails(const char *name, const char *body, const char *const *want)
{
    char *path = spec_file(name, 0, body);
    cx_sweep_spec *s = NULL;
    ck_assert_int_ne(cx_sweep_spec_load(path, &s), CX_OK);
    ck_assert_ptr_null(s);
    for (; *want; want++)
        ck_assert_msg(strstr(cx_last_error(), *want), "'%s' not in: %s", *want, cx_last_error());
    free(path);
}

static int run_sweep(const char *spec, const char *dir, const char *extra, char **out, char **err)
{
    char args[4096];
    snprintf(args, sizeof args, "sweep '%s' --output '%s' %s", spec, dir, extra ? extra : "");
    return cx_test_cli(args, out, err);
}

START_TEST(description_errors_name_file_line_and_key)
{
    load_fails(
        "unknown.yaml", "axis:\n  - {key: acceleration, values: [1]}\n",
        (const char *[]){"unknown.yaml:6:", "unknown key 'axis'", "did you mean 'axes'", NULL});
    load_fails("range.yaml",
               "axes:\n  - key: acceleration\n    range: {from: 0, to: 10, steps: 3, "
               "scale: log}\n",
               (const char *[]){"range.yaml:8:", "axes[0].range", "scale log needs from and to > 0",
                                NULL});
    load_fails("steps.yaml",
               "axes:\n  - key: acceleration\n    range: {from: 1, to: 9, steps: 0}\n",
               (const char *[]){"steps.yaml:8:", "axes[0].range.steps", NULL});
    load_fails("notkey.yaml", "axes:\n  - key: tile.compartmens\n    values: [1]\n",
               (const char *[]){"notkey.yaml:7:", "'tile.compartmens' is not a key of the chip",
                                "did you mean 'compartments'", NULL});
    load_fails("badvalue.yaml", "axes:\n  - key: tile.synapses.weight_bits\n    values: [4, 0]\n",
               (const char *[]){"badvalue.yaml:7:", "value 0 is not valid",
                                "tile.synapses.weight_bits", NULL});
    load_fails(
        "twoof.yaml",
        "axes:\n  - key: acceleration\n    values: [1]\n    range: {from: 1, to: 2, "
        "steps: 2}\n",
        (const char *[]){"twoof.yaml:7:", "exactly one of 'values', 'range' or 'random'", NULL});
    load_fails("plot.yaml",
               "axes:\n  - {key: acceleration, values: [1, 2]}\nplots:\n  - {x: accel, y: rmse}\n",
               (const char *[]){"plot.yaml:9:", "plots[0].x", "'accel' is not a column", NULL});
    load_fails("seeds.yaml", "seeds: [3, 3]\n",
               (const char *[]){"seeds.yaml:6:", "seed 3 appears twice", NULL});
    /* a missing model: no key, or no folder */
    char *path = cx_test_tmp("nomodel.yaml");
    const char *text = "name: x\nchip: c.yaml\n";
    cx_test_write(path, text, strlen(text));
    cx_sweep_spec *s = NULL;
    ck_assert_int_eq(cx_sweep_spec_load(path, &s), CX_ERR_MISSING);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "missing key 'model'"));
    text = "name: x\nmodel: no/such/model\nchip: c.yaml\n";
    cx_test_write(path, text, strlen(text));
    ck_assert_int_ne(cx_sweep_spec_load(path, &s), CX_OK);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "nomodel.yaml:2: key 'model'"));
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "no checkpoint folder"));
    free(path);
    /* the CLI prints the one line and exits 1 */
    char *bad = spec_file("cli_bad.yaml", 0, "axes:\n  - {key: tile.nope, values: [1]}\n");
    char args[2048], *e = NULL;
    snprintf(args, sizeof args, "sweep '%s' --list", bad);
    ck_assert_int_eq(cx_test_cli(args, NULL, &e), 1);
    ck_assert_ptr_nonnull(strstr(e, "cortile sweep: error: "));
    ck_assert_ptr_nonnull(strstr(e, "'tile.nope' is not a key of the chip description"));
    free(e);
    snprintf(args, sizeof args, "sweep '%s'", bad);
    ck_assert_int_eq(cx_test_cli(args, NULL, &e), 2); /* no --output */
    free(e), free(bad);
}
END_TEST

START_TEST(points_in_fixed_order)
{
    char *path = spec_file("order.yaml", 0,
                           "seeds: [5, 7]\n"
                           "axes:\n"
                           "  - key: noise.thermal.capacitance_ff\n"
                           "    range: {from: 10, to: 1000, steps: 3, scale: log}\n"
                           "  - name: mismatch\n"
                           "    key: [noise.mismatch.tau_rel, noise.mismatch.gain_rel]\n"
                           "    values: [0, 0.05]\n"
                           "  - key: tile.somas.encoder\n"
                           "    values: [graded]\n"
                           "  - key: noise.crossbar.read_sigma\n"
                           "    random: {from: 0, to: 0.1, count: 3, seed: 4}\n");
    cx_sweep_spec *s = load_ok(path);
    ck_assert_uint_eq(s->n_axes, 4);
    ck_assert_uint_eq(cx_sweep_cells(s), 3 * 2 * 1 * 3);
    ck_assert_uint_eq(cx_sweep_points(s), 36);
    /* log range: exact ends, 12 significant digits inside */
    ck_assert_str_eq(s->axes[0].text[0], "10");
    ck_assert_str_eq(s->axes[0].text[1], "100");
    ck_assert_str_eq(s->axes[0].text[2], "1000");
    ck_assert(s->axes[0].log && !s->axes[1].log);
    ck_assert_str_eq(s->axes[1].name, "mismatch");
    ck_assert(s->axes[2].is_text && !s->axes[0].is_text);
    /* random values: sorted, in range, the same on every load */
    cx_sweep_spec *again = load_ok(path);
    for (size_t i = 0; i < 3; i++) {
        ck_assert(s->axes[3].num[i] >= 0 && s->axes[3].num[i] <= 0.1);
        ck_assert(i == 0 || s->axes[3].num[i] > s->axes[3].num[i - 1]);
        ck_assert_str_eq(s->axes[3].text[i], again->axes[3].text[i]);
    }
    cx_sweep_spec_free(again);
    /* first axis outermost, seed innermost */
    size_t cell, si, idx[4];
    cx_sweep_point_of(s, 0, &cell, &si, idx);
    ck_assert(cell == 0 && si == 0 && idx[0] == 0 && idx[1] == 0 && idx[3] == 0);
    cx_sweep_point_of(s, 1, &cell, &si, idx);
    ck_assert(cell == 0 && si == 1 && s->seeds[si] == 7);
    cx_sweep_point_of(s, 2, &cell, &si, idx);
    ck_assert(cell == 1 && si == 0 && idx[3] == 1 && idx[1] == 0);
    cx_sweep_point_of(s, 6, &cell, &si, idx);
    ck_assert(cell == 3 && idx[1] == 1 && idx[3] == 0 && idx[0] == 0);
    cx_sweep_point_of(s, 35, &cell, &si, idx);
    ck_assert(cell == 17 && si == 1 && idx[0] == 2 && idx[1] == 1 && idx[3] == 2);
    /* the chip of a cell carries its values (linked keys together) */
    cx_chip_config chip;
    ck_assert_int_eq(cx_sweep_cell_chip(s, 3, &chip), CX_OK);
    ck_assert_double_eq(chip.noise.thermal.capacitance_ff, 10);
    ck_assert_double_eq(chip.noise.mismatch.tau_rel, 0.05);
    ck_assert_double_eq(chip.noise.mismatch.gain_rel, 0.05);
    ck_assert_double_eq(chip.noise.crossbar.read_sigma, s->axes[3].num[0]);
    cx_chip_free(&chip);
    /* default plots: none given, so metric against the axes */
    ck_assert_uint_eq(s->n_plots, 4);
    ck_assert_str_eq(s->plots[0].y, "rmse");
    ck_assert(s->plots[0].log_x);
    cx_sweep_spec_free(s);
    /* --list prints them in that order */
    char args[2048], *o = NULL;
    snprintf(args, sizeof args, "sweep '%s' --list", path);
    ck_assert_int_eq(cx_test_cli(args, &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "18 grid cells x 2 seeds = 36 points, 1 programs"));
    char *p0 = strstr(o, "\n     0  10 "), *p35 = strstr(o, "\n    35  1000 ");
    ck_assert(p0 && p35 && p0 < p35);
    free(o), free(path);
}
END_TEST

/* PROGRAM.yaml -> PROGRAM.safetensors */
static char *tensors_of(const char *yaml)
{
    size_t n = strlen(yaml) - 5;
    char *p = malloc(n + 13);
    snprintf(p, n + 13, "%.*s.safetensors", (int)n, yaml);
    return p;
}

/* Compiles with a chip and saves the program; returns its manifest's path. */
static char *compile_to(const cx_model *m, const cx_chip_config *chip, const cx_inputs *calib,
                        int routing, const char *name)
{
    cx_compile_opts o = cx_compile_opts_default();
    o.calib = calib;
    o.routing = routing;
    o.mc_instances = 0;
    o.budget = 0;
    cx_program *p = NULL;
    ck_assert_msg(cx_compile(m, chip, &o, &p, NULL) == CX_OK, "%s", cx_last_error());
    char *dir = cx_test_tmp(name); /* the manifest names its tensors file: same names */
    mkdir(dir, 0777);
    char *yaml = in_dir(dir, "p.yaml");
    free(dir);
    ck_assert_int_eq(cx_program_save(p, yaml), CX_OK);
    cx_program_free(p);
    return yaml;
}

/* Every cell of a sweep over program-invariant keys compiles (as `cortile
 * compile` does) to the same bytes as the ideal version of the first cell's
 * chip without the routing prediction (what the sweep compiles). */
static void check_rule(int glifr, const char *body, const char *calib_rel)
{
    char *path = spec_file(glifr ? "rule_g.yaml" : "rule_e.yaml", glifr, body);
    cx_sweep_spec *s = load_ok(path);
    cx_sweep_plan *plan = NULL;
    ck_assert_int_eq(cx_sweep_plan_build(s, &plan), CX_OK);
    ck_assert_uint_eq(plan->n_groups, 1);
    cx_model *m = NULL;
    ck_assert_int_eq(cx_model_load(s->model_dir, CX_KIND_AUTO, NULL, 0, &m), CX_OK);
    char *cal = cx_test_data(calib_rel);
    cx_inputs calib;
    ck_assert_int_eq(cx_inputs_load(cal, m->kind, cx_model_inputs(m), 16, &calib), CX_OK);
    cx_chip_config chip, ideal;
    ck_assert_int_eq(cx_sweep_cell_chip(s, 0, &chip), CX_OK);
    cx_chip_with_source(&chip, -1, &ideal);
    char *ref = compile_to(m, &ideal, &calib, 0, "rule_ref");
    char *ref_st = tensors_of(ref);
    cx_chip_free(&chip);
    for (size_t c = 0; c < cx_sweep_cells(s); c++) {
        ck_assert_int_eq(cx_sweep_cell_chip(s, c, &chip), CX_OK);
        char *got = compile_to(m, &chip, &calib, 1, "rule_cell");
        char *got_st = tensors_of(got);
        ck_assert_msg(cx_test_same_file(ref, got) && cx_test_same_file(ref_st, got_st),
                      "cell %zu compiles to another program", c);
        free(got), free(got_st);
        cx_chip_free(&chip);
    }
    free(ref), free(ref_st), free(cal);
    cx_inputs_release(&calib);
    cx_model_free(m);
    cx_sweep_plan_free(plan);
    cx_sweep_spec_free(s);
    free(path);
}

START_TEST(programs_are_shared_by_compile_key)
{
    /* keys the compiler does not read: one program, and truly the same one */
    check_rule(0,
               "axes:\n"
               "  - {key: noise.thermal.capacitance_ff, values: [10, 1000]}\n"
               "  - {key: acceleration, values: [1, 1000]}\n"
               "  - {key: tile.synapses.weight_bits, values: [3, 8]}\n"
               "  - {key: router.buffer_depth_packets, values: [2, 8]}\n"
               "  - {key: energy.tile_static_uw, values: [0, 50]}\n",
               "elm/inputs_small.safetensors");
    check_rule(1,
               "axes:\n"
               "  - {key: acceleration, values: [1, 300]}\n"
               "  - {key: tile.dendrite.weight_bits, values: [2, 6]}\n"
               "  - {key: tile.readout.adc_bits, values: [4, 10]}\n"
               "  - {key: tile.rails.full_scale_mv, values: [100, 1000]}\n",
               "glifr/lmnist_glifr_lheta/traces.safetensors");
    /* keys it reads: a program per value */
    char *path = spec_file("rule_apart.yaml", 0,
                           "axes:\n"
                           "  - {key: tile.compartments, values: [128, 256]}\n"
                           "  - {key: noise.thermal.enabled, values: [true, false]}\n"
                           "  - {key: tile.compartment.param_bits, values: [8, 10]}\n");
    cx_sweep_spec *s = load_ok(path);
    cx_sweep_plan *plan = NULL;
    ck_assert_int_eq(cx_sweep_plan_build(s, &plan), CX_OK);
    ck_assert_uint_eq(plan->n_groups, 4);
    ck_assert_int_eq(plan->group[0], plan->group[2]);       /* thermal on / off */
    ck_assert_int_ne(plan->group[0], plan->group[1]);       /* param_bits */
    ck_assert_int_ne(plan->group[0], plan->group[4]);       /* compartments */
    ck_assert_uint_eq(plan->group_cell[plan->group[6]], 4); /* thermal off shares cell 4's */
    cx_sweep_plan_free(plan);
    cx_sweep_spec_free(s);
    free(path);
}
END_TEST

START_TEST(noise_sweep_compiles_once)
{
    char *spec = spec_file("noise.yaml", 0,
                           "seeds: 2\n"
                           "axes:\n"
                           "  - {key: noise.thermal.capacitance_ff, values: [10, 100, 1000]}\n"
                           "  - {key: noise.mismatch.enabled, values: [false, true]}\n");
    char *dir = cx_test_tmp("noise_out"), *o = NULL;
    ck_assert_int_eq(run_sweep(spec, dir, "--no-plots --json", &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "\"programs\":\t1"));
    ck_assert_ptr_nonnull(strstr(o, "\"compiles\":\t1"));
    ck_assert_ptr_nonnull(strstr(o, "\"ok\":\t12"));
    free(o);
    /* compile_cached: only the first point compiled */
    char *csv_path = in_dir(dir, "results.csv");
    char *csv = cx_test_slurp(csv_path, NULL);
    ck_assert_int_eq(lines_in(csv_path), 13);
    ck_assert_ptr_nonnull(strstr(csv, ",program,compile_cached,message\n"));
    ck_assert_ptr_nonnull(strstr(csv, "\n0,10,false,1,ok,"));
    ck_assert_ptr_nonnull(strstr(strstr(csv, "\n0,10,false,1,ok,"), ",0,0,\n1,10,false,2,ok,"));
    ck_assert_ptr_null(strstr(csv, ",error,"));
    /* timing lives apart: results carry no wall times */
    ck_assert_ptr_null(strstr(csv, "_s,"));
    char *timing = in_dir(dir, "timing.jsonl");
    ck_assert_int_eq(lines_in(timing), 12);
    free(timing), free(csv), free(csv_path), free(dir), free(spec);
}
END_TEST

static const char *const SMALL = "seeds: 2\n"
                                 "axes:\n"
                                 "  - key: noise.thermal.sigma\n"
                                 "    values: [0.001, 0.02]\n"
                                 "  - {key: tile.compartments, values: [50, 256]}\n"
                                 "set:\n"
                                 "  noise.thermal.capacitance_ff: ~\n"
                                 "  noise.thermal.temperature_k: ~\n"
                                 "  noise.thermal.sigma: 0.001\n";

/* results.csv and results.jsonl of two folders are byte-identical. */
static void same_results(const char *a, const char *b)
{
    const char *files[] = {"results.csv", "results.jsonl"};
    for (int k = 0; k < 2; k++) {
        char *x = in_dir(a, files[k]), *y = in_dir(b, files[k]);
        ck_assert_msg(cx_test_same_file(x, y), "%s and %s differ", x, y);
        free(x), free(y);
    }
}

START_TEST(unfit_points_are_error_rows_and_any_j_gives_the_same_bytes)
{
    char *spec = spec_file("small.yaml", 0, SMALL);
    char *d1 = cx_test_tmp("small_j1"), *d2 = cx_test_tmp("small_j2"), *o = NULL;
    ck_assert_int_eq(run_sweep(spec, d1, "-j 1", &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "4 ok, 4 errors; 8 computed now, 0 resumed"));
    ck_assert_ptr_nonnull(strstr(o, "programs   2 distinct"));
    ck_assert_ptr_nonnull(strstr(o, "needs 65 compartments (tile.compartments)"));
    free(o);
    ck_assert_int_eq(run_sweep(spec, d2, "-j 2 --no-plots", &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "with 2 workers"));
    free(o);
    same_results(d1, d2);
    char *csv_path = in_dir(d1, "results.csv"), *csv = cx_test_slurp(csv_path, NULL);
    ck_assert_ptr_nonnull(
        strstr(csv, "\n0,0.001,50,1,error,,,,,,,,,,,,,,,0,0,\"compile: program tile 0 at (0, 0): "
                    "tile: needs 65 compartments (tile.compartments), the chip's tile has 50\"\n"));
    ck_assert_ptr_nonnull(strstr(csv, "\n2,0.001,256,1,ok,"));
    free(csv), free(csv_path);
    /* the json lines say the same */
    char *jl_path = in_dir(d1, "results.jsonl"), *jl = cx_test_slurp(jl_path, NULL);
    ck_assert_ptr_nonnull(strstr(jl, "{\"point\":0,\"noise.thermal.sigma\":0.001,"
                                     "\"tile.compartments\":50,\"seed\":1,\"status\":\"error\","
                                     "\"rmse\":null,"));
    free(jl), free(jl_path);
    free(d1), free(d2), free(spec);
}
END_TEST

START_TEST(resume_after_kill_gives_the_same_bytes)
{
    char *spec = spec_file("long.yaml", 0,
                           "seeds: 40\n"
                           "axes:\n"
                           "  - {key: noise.mismatch.tau_rel, values: [0.01, 0.1]}\n");
    char *ref = cx_test_tmp("long_ref"), *dir = cx_test_tmp("long_killed");
    ck_assert_int_eq(run_sweep(spec, ref, "--no-plots", NULL, NULL), 0);
    char *journal = in_dir(dir, "results.jsonl");
    int seen = 0;
    for (int attempt = 0; attempt < 3 && !seen; attempt++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
            execl(CX_CLI, CX_CLI, "sweep", spec, "--output", dir, "-j", "2", "--no-plots",
                  (char *)NULL);
            _exit(127);
        }
        /* kill it once a few rows are in the journal */
        int lines = 0;
        for (int k = 0; k < 240000 && lines < 4; k++) { /* up to 2 min (valgrind) */
            nanosleep(&(struct timespec){0, 500000}, NULL);
            lines = lines_in(journal);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        lines = lines_in(journal);
        seen = lines >= 4 && lines < 80;
        if (!seen) { /* finished or never started: start over */
            const char *files[] = {"sweep.json", "results.jsonl", "results.csv", "timing.jsonl"};
            for (int k = 0; k < 4; k++) {
                char *rm = in_dir(dir, files[k]);
                remove(rm);
                free(rm);
            }
        }
    }
    ck_assert_msg(seen, "the sweep was never caught half way");
    /* a torn last line, as a kill inside a write would leave it */
    FILE *fp = fopen(journal, "a");
    fputs("{\"point\":79,\"noise.mismat", fp);
    fclose(fp);
    char *o = NULL;
    ck_assert_int_eq(run_sweep(spec, dir, "--no-plots", &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "80 ok, 0 errors"));
    ck_assert_ptr_nonnull(strstr(o, "1 unreadable lines of the journal ignored"));
    ck_assert_ptr_null(strstr(o, ", 0 resumed"));
    free(o);
    same_results(ref, dir);
    /* once more: nothing left to do, same bytes */
    ck_assert_int_eq(run_sweep(spec, dir, "--no-plots", &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "0 computed now, 80 resumed"));
    free(o);
    same_results(ref, dir);
    free(journal), free(ref), free(dir), free(spec);
}
END_TEST

START_TEST(changed_description_is_refused_unless_restart)
{
    char *spec = spec_file("change.yaml", 0, "axes:\n  - {key: acceleration, values: [1, 10]}\n");
    char *dir = cx_test_tmp("change_out"), *e = NULL, *o = NULL;
    ck_assert_int_eq(run_sweep(spec, dir, "--no-plots", NULL, NULL), 0);
    free(spec);
    spec = spec_file("change.yaml", 0, "axes:\n  - {key: acceleration, values: [1, 100]}\n");
    ck_assert_int_eq(run_sweep(spec, dir, "--no-plots", NULL, &e), 1);
    ck_assert_ptr_nonnull(strstr(e, "sweep.json: the results in"));
    ck_assert_ptr_nonnull(strstr(e, "--restart"));
    free(e);
    ck_assert_int_eq(run_sweep(spec, dir, "--no-plots --restart", &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "2 ok, 0 errors; 2 computed now, 0 resumed"));
    free(o), free(dir), free(spec);
}
END_TEST

START_TEST(worker_crash_is_reported)
{
    char *spec = spec_file("crash.yaml", 0, "seeds: 6\n");
    char *dir = cx_test_tmp("crash_out"), *e = NULL;
    setenv("CORTILE_SWEEP_CRASH_POINT", "3", 1);
    int rc = run_sweep(spec, dir, "-j 2 --no-plots", NULL, &e);
    unsetenv("CORTILE_SWEEP_CRASH_POINT");
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_nonnull(strstr(e, "died from signal 9"));
    ck_assert_ptr_nonnull(strstr(e, "while on point 3"));
    ck_assert_ptr_nonnull(strstr(e, "run again to resume"));
    free(e);
    char *o = NULL;
    ck_assert_int_eq(run_sweep(spec, dir, "-j 2 --no-plots", &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "6 ok, 0 errors"));
    free(o), free(dir), free(spec);
}
END_TEST

START_TEST(plots_and_plots_only)
{
    char *spec = spec_file("plots.yaml", 1,
                           "seeds: 2\n"
                           "axes:\n"
                           "  - {key: acceleration, values: [1, 100]}\n"
                           "plots:\n"
                           "  - {x: acceleration, y: late_fraction, log_x: true}\n"
                           "  - {x: acceleration, y: seed, z: rmse, title: \"rmse map\"}\n");
    char *dir = cx_test_tmp("plots_out"), *o = NULL;
    ck_assert_int_eq(run_sweep(spec, dir, NULL, &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "index.html (2 plots)"));
    ck_assert_ptr_nonnull(strstr(o, "reference  accuracy"));
    free(o);
    const char *files[] = {"index.html", "plot1_late_fraction_vs_acceleration.svg",
                           "plot2_rmse_over_acceleration_seed.svg"};
    for (int k = 0; k < 3; k++) {
        char *p = in_dir(dir, files[k]);
        ck_assert_msg(access(p, R_OK) == 0, "%s missing", p);
        remove(p);
        free(p);
    }
    char args[2048];
    snprintf(args, sizeof args, "sweep '%s' --output '%s' --plots-only", spec, dir);
    ck_assert_int_eq(cx_test_cli(args, &o, NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "plots: 2 SVG files"));
    free(o);
    for (int k = 0; k < 3; k++) {
        char *p = in_dir(dir, files[k]);
        ck_assert_msg(access(p, R_OK) == 0, "%s not redrawn", p);
        free(p);
    }
    char *html_path = in_dir(dir, "index.html"), *html = cx_test_slurp(html_path, NULL);
    ck_assert_ptr_nonnull(strstr(html, "plot2_rmse_over_acceleration_seed.svg"));
    ck_assert_ptr_nonnull(strstr(html, "results.csv"));
    free(html), free(html_path);
    /* the router was the bottleneck at 100x: late spikes in the rows */
    char *csv_path = in_dir(dir, "results.csv"), *csv = cx_test_slurp(csv_path, NULL);
    ck_assert_ptr_nonnull(strstr(csv, "\n0,1,1,ok,"));
    ck_assert_ptr_nonnull(strstr(csv, "\n2,100,1,ok,"));
    free(csv), free(csv_path);
    char *empty = cx_test_tmp("plots_none"), *e = NULL;
    snprintf(args, sizeof args, "sweep '%s' --output '%s' --plots-only", spec, empty);
    ck_assert_int_eq(cx_test_cli(args, NULL, &e), 1);
    ck_assert_ptr_nonnull(strstr(e, "results.csv"));
    free(e), free(empty), free(dir), free(spec);
}
END_TEST

START_TEST(mpi_ranks_give_the_same_bytes)
{
#if defined(__SANITIZE_ADDRESS__)
    puts("mpi_ranks_give_the_same_bytes: skipped (Open MPI's runtime leaks under LeakSanitizer)");
    return;
#endif
    const char *mpirun = cx_test_mpirun("mpi_ranks_give_the_same_bytes");
    if (!mpirun) return;
    char *spec = spec_file("mpi.yaml", 0, SMALL);
    char *d1 = cx_test_tmp("mpi_j1"), *dm = cx_test_tmp("mpi_ranks");
    ck_assert_int_eq(run_sweep(spec, d1, "--no-plots", NULL, NULL), 0);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -n 2 '%s' sweep '%s' --output '%s' --no-plots >'%s.out' 2>&1",
             mpirun, CX_CLI, spec, dm, dm);
    int rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "mpirun failed, see %s.out", dm);
    same_results(d1, dm);
    char out[4200];
    snprintf(out, sizeof out, "%s.out", dm);
    char *text = cx_test_slurp(out, NULL);
    ck_assert_ptr_nonnull(strstr(text, "x 2 ranks"));
    free(text), free(d1), free(dm), free(spec);
}
END_TEST

START_TEST(shipped_sweeps_are_valid)
{
    const char *names[] = {"elm_thermal_mismatch.yaml", "lmnist_weight_bits.yaml",
                           "lmnist_acceleration.yaml"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/configs/sweeps/%s", CX_SOURCE_DIR, names[k]);
        cx_sweep_spec *s = load_ok(path);
        ck_assert_uint_gt(cx_sweep_points(s), 10);
        ck_assert_uint_gt(s->n_plots, 0);
        cx_sweep_spec_free(s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, description_errors_name_file_line_and_key);
    tcase_add_test(tc, points_in_fixed_order);
    tcase_add_test(tc, programs_are_shared_by_compile_key);
    tcase_add_test(tc, noise_sweep_compiles_once);
    tcase_add_test(tc, unfit_points_are_error_rows_and_any_j_gives_the_same_bytes);
    tcase_add_test(tc, resume_after_kill_gives_the_same_bytes);
    tcase_add_test(tc, changed_description_is_refused_unless_restart);
    tcase_add_test(tc, worker_crash_is_reported);
    tcase_add_test(tc, plots_and_plots_only);
    tcase_add_test(tc, mpi_ranks_give_the_same_bytes);
    tcase_add_test(tc, shipped_sweeps_are_valid);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
