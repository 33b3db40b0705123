/* cortile bench: built-in benchmarks that print numbers.
 *   tile  N noisy oscillators on one tile: compartment updates per second. */
#define _POSIX_C_SOURCE 200809L
#include "cx_chip.h"
#include "cx_cli.h"
#include "cx_progress.h"
#include "cx_rng.h"
#include "cx_tile.h"

#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CX_TWO_PI 6.283185307179586476925

static const char help[] =
    "usage: cortile bench tile --compartments N --ms T --step H [--mode sampled|continuous]\n"
    "                          [--substeps K] [--noise thermal|all|off] [--sigma-x S]\n"
    "                          [--seed S] [--json]\n"
    "\n"
    "Runs the tile benchmark network on one tile of the built-in default chip: N\n"
    "second-order oscillators, natural frequency uniform in 5-100 Hz, damping\n"
    "ratio uniform in 0.1-2.1 (drawn from --seed), a constant drive (offset 1)\n"
    "and thermal noise (kT/C of the default chip), for T model ms, one thread.\n"
    "Reports compartment updates per second (compartment_steps_per_s) and the\n"
    "stationary variance of x against theory.\n"
    "\n"
    "  --step H       sampled: the model step; continuous: the analog step (ms)\n"
    "  --substeps K   continuous: analog steps per model step (default 10)\n"
    "  --noise        thermal (default): thermal only, as the Brian2 comparison;\n"
    "                 all: every source of the default chip plus flicker; off: none\n"
    "  --sigma-x S    thermal std of x instead of the chip's kT/C (continuous: the\n"
    "                 stationary std, as in the Brian2 network; sampled: per step)\n"
    "  --json         the figures as JSON\n";

typedef struct {
    long n;
    double ms, step;
    long substeps;
    cx_chip_mode mode;
    int noise;      /* 0 off, 1 thermal, 2 all */
    double sigma_x; /* > 0: thermal sigma instead of kT/C */
    uint64_t seed;
    int json;
} bench_opts;

static int parse(int argc, char **argv, bench_opts *o)
{
    enum { O_N = 256, O_MS, O_STEP, O_MODE, O_SUB, O_NOISE, O_SEED, O_JSON, O_SIGMA };
    static const struct option opts[] = {{"compartments", required_argument, 0, O_N},
                                         {"ms", required_argument, 0, O_MS},
                                         {"step", required_argument, 0, O_STEP},
                                         {"mode", required_argument, 0, O_MODE},
                                         {"substeps", required_argument, 0, O_SUB},
                                         {"noise", required_argument, 0, O_NOISE},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"json", no_argument, 0, O_JSON},
                                         {"sigma-x", required_argument, 0, O_SIGMA},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    *o = (bench_opts){.n = 256,
                      .ms = 1000,
                      .step = 0.01,
                      .substeps = 10,
                      .mode = CX_CHIP_SAMPLED,
                      .noise = 1,
                      .seed = 1};
    int c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_N:
            if (cx_cli_opt_long("bench tile", "--compartments", optarg, 1, 100000000, &o->n))
                return 2;
            break;
        case O_MS:
            if (cx_cli_opt_double("bench tile", "--ms", optarg, 0, 1, 1e9, &o->ms)) return 2;
            break;
        case O_STEP:
            if (cx_cli_opt_double("bench tile", "--step", optarg, 0, 1, 10, &o->step)) return 2;
            break;
        case O_SUB:
            if (cx_cli_opt_long("bench tile", "--substeps", optarg, 1, 100000, &o->substeps))
                return 2;
            break;
        case O_MODE:
            if (!strcmp(optarg, "sampled"))
                o->mode = CX_CHIP_SAMPLED;
            else if (!strcmp(optarg, "continuous"))
                o->mode = CX_CHIP_CONTINUOUS;
            else
                return cx_cli_usage("bench tile", "--mode needs sampled or continuous, got '%s'",
                                    optarg);
            break;
        case O_NOISE:
            if (!strcmp(optarg, "off"))
                o->noise = 0;
            else if (!strcmp(optarg, "thermal"))
                o->noise = 1;
            else if (!strcmp(optarg, "all"))
                o->noise = 2;
            else
                return cx_cli_usage("bench tile", "--noise needs thermal, all or off, got '%s'",
                                    optarg);
            break;
        case O_SEED:
            if (cx_cli_opt_long("bench tile", "--seed", optarg, 0, LONG_MAX, &v)) return 2;
            o->seed = (uint64_t)v;
            break;
        case O_JSON:
            o->json = 1;
            break;
        case O_SIGMA:
            if (cx_cli_opt_double("bench tile", "--sigma-x", optarg, 0, 1, DBL_MAX, &o->sigma_x))
                return 2;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cx_cli_usage("bench tile", "see cortile bench tile --help");
        }
    }
    if (optind != argc) return cx_cli_usage("bench tile", "unexpected argument '%s'", argv[optind]);
    return -1;
}

/* The chip the benchmark runs on: the default, sized and switched per options. */
static void bench_chip(const bench_opts *o, cx_chip_config *c)
{
    c->tile.mode = o->mode;
    if (c->tile.compartments < o->n) c->tile.compartments = (int)o->n;
    if (o->mode == CX_CHIP_CONTINUOUS) {
        c->tile.analog_step_ms = o->step;
        if (c->tile.compartment.tau_min_ms < o->step) c->tile.compartment.tau_min_ms = o->step;
    }
    int all = o->noise == 2;
    c->noise.thermal.enabled = o->noise >= 1;
    c->noise.flicker.enabled = c->noise.mismatch.enabled = all;
    c->noise.quantization.enabled = c->noise.crossbar.enabled = all;
    c->noise.saturation.enabled = all;
    if (o->sigma_x > 0) {
        c->noise.thermal.source = CX_CHIP_THERMAL_SIGMA;
        c->noise.thermal.sigma = o->sigma_x;
    }
}

static cx_status run_bench(const bench_opts *o)
{
    cx_chip_config chip;
    CX_TRY(cx_chip_config_default(&chip));
    bench_chip(o, &chip);
    size_t n = (size_t)o->n;
    cx_tile_comp_spec *comps = calloc(n, sizeof *comps);
    if (!comps) {
        cx_chip_free(&chip);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    cx_rng draw;
    cx_rng_seed(&draw, o->seed, 0xbe7c, 0, 0);
    for (size_t i = 0; i < n; i++) {
        double f = 5 + 95 * cx_rng_uniform(&draw), zeta = 0.1 + 2.0 * cx_rng_uniform(&draw);
        comps[i] = (cx_tile_comp_spec){.kind = CX_TILE_SECOND_ORDER,
                                       .omega_rad_per_ms = CX_TWO_PI * f / 1000,
                                       .zeta = zeta,
                                       .gain = 1,
                                       .offset = 1.0,
                                       .x0 = 1.0};
    }
    double step_ms = o->mode == CX_CHIP_CONTINUOUS ? o->step * (double)o->substeps : o->step;
    cx_tile_netlist net = {.step_ms = step_ms, .n_comps = n, .comps = comps};
    cx_tile_id id = {o->seed, 0, 0};
    cx_tile *t;
    cx_status st = cx_tile_alloc(&chip, &net, &id, &t);
    free(comps);
    if (st != CX_OK) {
        cx_chip_free(&chip);
        return st;
    }
    size_t steps = (size_t)ceil(o->ms / step_ms - 1e-9);
    cx_progress prog;
    cx_progress_start(&prog, "bench tile", steps);
    /* variance of x over the second half, against the stationary std */
    double s1 = 0, s2 = 0, cnt = 0;
    double t0 = cx_now_s();
    for (size_t k = 0; k < steps; k++) {
        cx_tile_step(t);
        if ((k & 1023) == 0) cx_progress_update(&prog, k);
    }
    double wall = cx_now_s() - t0;
    uint64_t updates = cx_tile_get_stats(t)->compartment_steps; /* the timed ones */
    cx_progress_finish(&prog);
    /* A short continuation samples the state for the noise check (not timed). */
    size_t extra = steps < 2000 ? steps : 2000;
    for (size_t k = 0; k < extra; k++) {
        cx_tile_step(t);
        const double *x = cx_tile_x(t);
        for (size_t i = 0; i < n; i++)
            s1 += x[i] - 1.0, s2 += (x[i] - 1.0) * (x[i] - 1.0), cnt++;
    }
    double rate = wall > 0 ? (double)updates / wall : 0;
    double sx = cx_chip_thermal_sigma_x(&chip);
    double var = cnt > 0 ? s2 / cnt - (s1 / cnt) * (s1 / cnt) : 0;
    static const char *noise_names[] = {"off", "thermal", "all"};
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "mode", cx_chip_mode_name(o->mode));
        cJSON_AddStringToObject(j, "noise", noise_names[o->noise]);
        cJSON_AddNumberToObject(j, "compartments", (double)n);
        cJSON_AddNumberToObject(j, "model_ms", (double)steps * step_ms);
        cJSON_AddNumberToObject(j, "update_step_ms", o->step);
        cJSON_AddNumberToObject(j, "compartment_steps", (double)updates);
        cJSON_AddNumberToObject(j, "wall_s", wall);
        cJSON_AddNumberToObject(j, "compartment_steps_per_s", rate);
        cJSON_AddNumberToObject(j, "ns_per_compartment_step", rate > 0 ? 1e9 / rate : 0);
        cJSON_AddNumberToObject(j, "thermal_sigma_x", sx);
        cJSON_AddNumberToObject(j, "var_x_over_sigma_x2", o->noise ? var / (sx * sx) : 0);
        cx_cli_print_json(j);
    } else {
        printf("bench tile: %zu oscillators (5-100 Hz, zeta 0.1-2.1), %s mode, noise %s\n", n,
               cx_chip_mode_name(o->mode), noise_names[o->noise]);
        printf("  %g model ms in updates of %g ms: %llu compartment updates in %.3f s\n",
               (double)steps * step_ms, o->step, (unsigned long long)updates, wall);
        printf("  %.4g compartment updates/s = %.2f ns per compartment update\n", rate,
               rate > 0 ? 1e9 / rate : 0);
        if (o->noise)
            printf("  var(x) / sigma_x^2 = %.3f (sigma_x %.3g; sampled mode: > 1, the per-step\n"
                   "  kT/C samples accumulate; continuous: 1 by construction)\n",
                   var / (sx * sx), sx);
    }
    cx_tile_free(t);
    cx_chip_free(&chip);
    return CX_OK;
}

int cx_cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "tile"))
        return cx_cli_usage("bench", "unknown benchmark '%s' (available: tile)", argv[1]);
    bench_opts o;
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc >= 0) return rc;
    cx_status st = run_bench(&o);
    return st == CX_OK ? 0 : cx_cli_error("bench", st);
}
