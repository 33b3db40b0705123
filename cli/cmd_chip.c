/* cortile chip: chip descriptions. `check` validates one and prints what the
 * chip offers: resources, time scales, noise budget and energy table. */
#define _POSIX_C_SOURCE 200809L
#include "cx_chip.h"
#include "cx_cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cortile chip SUBCOMMAND [ARGS] (cortile chip SUBCOMMAND --help)\n"
    "\n"
    "Chip descriptions (YAML; see chip/README.md and configs/chips/).\n"
    "\n"
    "subcommands:\n"
    "  check       validate a chip file and print its summary\n";

static const char check_help[] =
    "usage: cortile chip check CHIP.yaml [--set KEY=VALUE]... [--json]\n"
    "\n"
    "Validates a chip description and prints a summary: resources per tile and\n"
    "for the whole chip, time scales (model step, physical step at the chip's\n"
    "acceleration, router cycles per step), the noise budget and the energy table.\n"
    "A bad file exits 1 with one line naming FILE:LINE and the key.\n"
    "\n"
    "  --set KEY=VALUE  override a key before validation (repeatable), e.g.\n"
    "                   --set tile.mode=continuous --set noise.thermal.enabled=false;\n"
    "                   a value starting with '[' is a YAML flow sequence\n"
    "  --json           print {file, overrides, config, derived} as JSON; 'config'\n"
    "                   has the same keys as the YAML\n";

/* Reference model steps: the trained models' time bases (DESIGN.md §2). */
static const struct {
    const char *label;
    double step_ms;
} STEPS[] = {{"ELM step", 1.0}, {"GLIFR step", 0.05}};

static long long per_chip(const cx_chip_config *c, long long per_tile)
{
    return per_tile * cx_chip_tiles(c);
}

/* "1.5 us", "20 ns", "3 ms": a physical duration in seconds, readable. */
static const char *fmt_time(double s, char *buf, size_t len)
{
    static const struct {
        double scale;
        const char *unit;
    } u[] = {{1, "s"}, {1e-3, "ms"}, {1e-6, "us"}, {1e-9, "ns"}, {1e-12, "ps"}};
    size_t i = 0;
    while (i + 1 < sizeof u / sizeof u[0] && s < u[i].scale)
        i++;
    snprintf(buf, len, "%.4g %s", s / u[i].scale, u[i].unit);
    return buf;
}

/* "on " pads to the width of "off" in the noise table's first column. */
static const char *on(int enabled)
{
    return enabled ? "on " : "off";
}
static const char *word(int enabled)
{
    return enabled ? "on" : "off";
}

static const char *const ENCODER_NAMES[] = {"sigma-delta", "Bernoulli", "graded"};

static void print_resources(const cx_chip_config *c)
{
    const __typeof__(c->tile) *t = &c->tile;
    long long xbar = (long long)t->dendrite.arrays * t->dendrite.rows * t->dendrite.cols;
    char acts[128] = "";
    for (int k = 0; k < CX_CHIP_NACTIVATIONS; k++)
        if (t->dendrite.activations & (1u << k))
            snprintf(acts + strlen(acts), sizeof acts - strlen(acts), "%s%s", acts[0] ? " " : "",
                     cx_chip_activation_name(1u << k));
    printf("resources            per tile    whole chip\n");
    printf("  compartments     %12d  %12lld\n", t->compartments, per_chip(c, t->compartments));
    printf("  somas            %12d  %12lld  (%s encoders, <= %g Hz, %d-bit payloads)\n",
           t->somas.count, per_chip(c, t->somas.count), ENCODER_NAMES[t->somas.encoder],
           t->somas.max_rate_hz, t->somas.payload_bits);
    printf("  synapse entries  %12d  %12lld  (%d-bit weights)\n", t->synapses.entries,
           per_chip(c, t->synapses.entries), t->synapses.weight_bits);
    printf("  dendrite arrays  %12d  %12lld  (%d x %d, %d-bit; %s)\n", t->dendrite.arrays,
           per_chip(c, t->dendrite.arrays), t->dendrite.rows, t->dendrite.cols,
           t->dendrite.weight_bits, acts);
    printf("  crossbar weights %12lld  %12lld\n", xbar, per_chip(c, xbar));
    printf("  readout channels %12d  %12lld  (%d-bit ADC)\n", t->readout.channels,
           per_chip(c, t->readout.channels), t->readout.adc_bits);
    const __typeof__(t->compartment) *k = &t->compartment;
    printf("compartment          tau %g..%g ms (%d-bit %s DAC), f %g..%g Hz, zeta %g..%g,\n"
           "                     |gain| <= %g, |offset| <= %g, rails [%g, %g] = %g mV\n",
           k->tau_min_ms, k->tau_max_ms, k->param_bits,
           k->tau_spacing == CX_CHIP_SPACING_LOG ? "log" : "linear", k->f_min_hz, k->f_max_hz,
           k->zeta_min, k->zeta_max, k->gain_max, k->offset_max, t->rails.x_min, t->rails.x_max,
           t->rails.full_scale_mv);
}

static void print_time_row(const cx_chip_config *c, const char *label, double step_ms)
{
    char a[32];
    printf("  %-16s %9g ms %13s %16.6g\n", label, step_ms,
           fmt_time(cx_chip_physical_step_s(c, step_ms), a, sizeof a),
           cx_chip_router_cycles_per_step(c, step_ms));
}

static void print_time(const cx_chip_config *c)
{
    printf("time scales          model      physical    router cycles   (acceleration %g, %s)\n",
           c->acceleration, cx_chip_mode_name(c->tile.mode));
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0]; i++)
        print_time_row(c, STEPS[i].label, STEPS[i].step_ms);
    if (c->tile.mode == CX_CHIP_CONTINUOUS)
        print_time_row(c, "analog step", c->tile.analog_step_ms);
}

static void print_router(const cx_chip_config *c)
{
    const __typeof__(c->router) *r = &c->router;
    char a[32];
    printf("router               %g MHz, %d-cycle pipeline, %d-bit packets on %d-bit links "
           "(%d cycle(s) each)\n",
           r->clock_mhz, r->pipeline_cycles, r->packet_bits, r->link_width_bits,
           cx_chip_serialization_cycles(c));
    printf("                     %s flow (credit delay %d), %s multicast, %s, %d-packet buffers\n",
           r->flow == CX_CHIP_FLOW_CREDIT ? "credit" : "drop", r->credit_delay_cycles,
           r->multicast == CX_CHIP_MCAST_TREE ? "tree" : "source",
           r->switching == CX_CHIP_SWITCH_CUT_THROUGH ? "cut-through" : "store-and-forward",
           r->buffer_depth_packets);
    printf("                     address %d + payload %d of %d packet bits; link capacity %.6g "
           "packets per model ms\n",
           cx_chip_address_bits(c), c->tile.somas.payload_bits, r->packet_bits,
           cx_chip_link_packets_per_model_ms(c));
    printf("  hosts             ");
    for (size_t i = 0; i < r->n_hosts; i++)
        printf(" (%d, %d)", r->hosts[i].x, r->hosts[i].y);
    printf("\n  chip links         %s latency, %g Gb/s = %.6g packets per model ms\n",
           fmt_time(r->chip_link_latency_ns * 1e-9, a, sizeof a), r->chip_link_bandwidth_gbps,
           cx_chip_chip_link_packets_per_model_ms(c));
}

static void print_noise(const cx_chip_config *c)
{
    const __typeof__(c->noise) *n = &c->noise;
    double span = c->tile.rails.x_max - c->tile.rails.x_min, sx = cx_chip_thermal_sigma_x(c);
    printf("noise budget         (x in model units; rail span %g)\n", span);
    printf("  thermal       %s  sigma_x %.3g %s", on(n->thermal.enabled), sx,
           c->tile.mode == CX_CHIP_SAMPLED ? "per step" : "stationary");
    if (sx > 0) printf(", full-scale sine SNR %.1f dB", 20 * log10(span / (2 * sqrt(2)) / sx));
    if (n->thermal.source == CX_CHIP_THERMAL_KTC)
        printf("\n                     kT/C: %g fF at %g K = %.4g uV rms",
               n->thermal.capacitance_ff, n->thermal.temperature_k,
               1e6 * cx_chip_ktc_vrms(n->thermal.capacitance_ff, n->thermal.temperature_k));
    printf("\n  flicker       %s  sigma %g over %g..%g Hz, %d OU processes\n",
           on(n->flicker.enabled), n->flicker.sigma, n->flicker.f_low_hz, n->flicker.f_high_hz,
           cx_chip_flicker_processes(c));
    printf("  mismatch      %s  tau %.3g%%, gain %.3g%%, weights %.3g%% (log-normal), offset %g\n",
           on(n->mismatch.enabled), 100 * n->mismatch.tau_rel, 100 * n->mismatch.gain_rel,
           100 * n->mismatch.weight_rel, n->mismatch.offset_sigma);
    printf("  quantization  %s  params %s: %d-bit, tau step %.3g%%%s\n",
           on(n->quantization.enabled), word(n->quantization.params),
           c->tile.compartment.param_bits, 100 * cx_chip_tau_step_rel(c),
           c->tile.compartment.tau_spacing == CX_CHIP_SPACING_LOG ? "" : " at tau_min");
    printf("                     weights %s: synapse %d-bit (step %.3g%%), crossbar %d-bit (step "
           "%.3g%% of full scale)\n",
           word(n->quantization.weights), c->tile.synapses.weight_bits,
           100 * cx_chip_weight_step_rel(c->tile.synapses.weight_bits),
           c->tile.dendrite.weight_bits,
           100 * cx_chip_weight_step_rel(c->tile.dendrite.weight_bits));
    printf("                     adc %s: %d-bit, LSB %.3g\n", word(n->quantization.adc),
           c->tile.readout.adc_bits, cx_chip_adc_lsb(c));
    printf("  crossbar      %s  programming %.3g%%, read %.3g%% of full scale\n",
           on(n->crossbar.enabled), 100 * n->crossbar.programming_sigma,
           100 * n->crossbar.read_sigma);
    printf("  saturation    %s  clip x at [%g, %g]\n", on(n->saturation.enabled),
           c->tile.rails.x_min, c->tile.rails.x_max);
}

/* The die's defects, when it has any: the map as the compiler sees it. */
static void print_defects(const cx_chip_config *c)
{
    cx_chip_defect_map m;
    if (!cx_chip_has_defects(c) || cx_chip_defects(c, &m) != CX_OK) return;
    cx_chip_tile_defect_totals in = {0};
    if (cx_chip_tile_defects_all(c, &in) != CX_OK) {
        cx_chip_defects_free(&m);
        return;
    }
    printf("defects (%s):\n", c->defects.remap ? "the compiler maps around them"
                                               : "not mapped around: defects.remap false");
    printf("  dead tiles           %10d of %d\n", m.n_dead_tiles, cx_chip_tiles(c));
    printf("  dead mesh links      %10d\n", m.n_dead_links);
    printf("  stuck compartments   %10zu slots\n", in.comps);
    printf("  dead synapse entries %10zu\n", in.synapses);
    printf("  stuck crossbar cells %10zu\n", in.cells);
    cx_chip_defects_free(&m);
}

static void print_energy(const cx_chip_config *c)
{
    const __typeof__(c->energy) *e = &c->energy;
    printf("energy\n");
    printf("  compartment update   %10g pJ\n", e->compartment_step_pj);
    printf("  compartment static   %10g nW  (per compartment in use)\n", e->compartment_static_nw);
    printf("  synaptic event       %10g pJ\n", e->synaptic_event_pj);
    printf("  dendrite MAC         %10g pJ\n", e->dendrite_mac_pj);
    printf("  ADC conversion       %10g pJ\n", e->adc_conversion_pj);
    printf("  spike encoded        %10g pJ\n", e->spike_encode_pj);
    printf("  router hop           %10g pJ\n", c->router.energy_per_hop_pj);
    printf("  mesh injection       %10g pJ\n", c->router.energy_per_injection_pj);
    printf("  tile static          %10g uW  (chip: %g mW)\n", e->tile_static_uw,
           e->tile_static_uw * cx_chip_tiles(c) * 1e-3);
    print_defects(c);
}

static cJSON *derived_json(const cx_chip_config *c)
{
    cJSON *d = cJSON_CreateObject();
    const __typeof__(c->tile) *t = &c->tile;
    cJSON_AddNumberToObject(d, "tiles", cx_chip_tiles(c));
    cJSON *chip = cJSON_AddObjectToObject(d, "chip");
    cJSON_AddNumberToObject(chip, "compartments", (double)per_chip(c, t->compartments));
    cJSON_AddNumberToObject(chip, "somas", (double)per_chip(c, t->somas.count));
    cJSON_AddNumberToObject(chip, "synapse_entries", (double)per_chip(c, t->synapses.entries));
    cJSON_AddNumberToObject(chip, "dendrite_arrays", (double)per_chip(c, t->dendrite.arrays));
    cJSON_AddNumberToObject(
        chip, "crossbar_weights",
        (double)per_chip(c, (long long)t->dendrite.arrays * t->dendrite.rows * t->dendrite.cols));
    cJSON_AddNumberToObject(chip, "readout_channels", (double)per_chip(c, t->readout.channels));
    cJSON *steps = cJSON_AddArrayToObject(d, "time_scales");
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0] + 1; i++) {
        if (i == sizeof STEPS / sizeof STEPS[0] && c->tile.mode != CX_CHIP_CONTINUOUS) break;
        double ms = i < sizeof STEPS / sizeof STEPS[0] ? STEPS[i].step_ms : t->analog_step_ms;
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(
            s, "label", i < sizeof STEPS / sizeof STEPS[0] ? STEPS[i].label : "analog step");
        cJSON_AddNumberToObject(s, "model_ms", ms);
        cJSON_AddNumberToObject(s, "physical_s", cx_chip_physical_step_s(c, ms));
        cJSON_AddNumberToObject(s, "router_cycles", cx_chip_router_cycles_per_step(c, ms));
        cJSON_AddItemToArray(steps, s);
    }
    cJSON_AddNumberToObject(d, "address_bits", cx_chip_address_bits(c));
    cJSON_AddNumberToObject(d, "serialization_cycles", cx_chip_serialization_cycles(c));
    cJSON_AddNumberToObject(d, "link_packets_per_model_ms", cx_chip_link_packets_per_model_ms(c));
    cJSON_AddNumberToObject(d, "chip_link_packets_per_model_ms",
                            cx_chip_chip_link_packets_per_model_ms(c));
    cJSON_AddNumberToObject(d, "thermal_sigma_x", cx_chip_thermal_sigma_x(c));
    if (c->noise.thermal.source == CX_CHIP_THERMAL_KTC)
        cJSON_AddNumberToObject(d, "thermal_vrms_uv",
                                1e6 * cx_chip_ktc_vrms(c->noise.thermal.capacitance_ff,
                                                       c->noise.thermal.temperature_k));
    cJSON_AddNumberToObject(d, "flicker_processes", cx_chip_flicker_processes(c));
    cJSON_AddNumberToObject(d, "tau_step_rel", cx_chip_tau_step_rel(c));
    cJSON_AddNumberToObject(d, "adc_lsb", cx_chip_adc_lsb(c));
    cJSON_AddNumberToObject(d, "chip_static_mw",
                            c->energy.tile_static_uw * cx_chip_tiles(c) * 1e-3);
    return d;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"set", required_argument, 0, 's'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char **sets = calloc((size_t)argc, sizeof *sets);
    size_t nsets = 0;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            sets[nsets++] = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(check_help, stdout);
            free(sets);
            return 0;
        default:
            free(sets);
            return cx_cli_usage("chip check", "unknown option");
        }
    }
    if (argc - optind != 1) {
        free(sets);
        return cx_cli_usage("chip check", "expected one CHIP.yaml");
    }
    const char *path = argv[optind];
    cx_chip_config cfg;
    cx_status st = cx_chip_load(path, sets, nsets, &cfg);
    if (st != CX_OK) {
        free(sets);
        return cx_cli_error("chip check", st);
    }
    if (json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "file", path);
        cJSON *ov = cJSON_AddArrayToObject(doc, "overrides");
        for (size_t i = 0; i < nsets; i++)
            cJSON_AddItemToArray(ov, cJSON_CreateString(sets[i]));
        cJSON_AddItemToObject(doc, "config", cx_chip_to_json(&cfg));
        cJSON_AddItemToObject(doc, "derived", derived_json(&cfg));
        cx_cli_print_json(doc);
    } else {
        printf("chip                 %s: %s\n", cfg.name, cfg.description);
        printf("file                 %s", path);
        for (size_t i = 0; i < nsets; i++)
            printf("%s%s", i ? ", " : " with ", sets[i]);
        printf("\nmesh                 %d x %d tiles (%d), %s tiles\n\n", cfg.mesh.width,
               cfg.mesh.height, cx_chip_tiles(&cfg), cx_chip_mode_name(cfg.tile.mode));
        print_resources(&cfg);
        printf("\n");
        print_time(&cfg);
        printf("\n");
        print_router(&cfg);
        printf("\n");
        print_noise(&cfg);
        printf("\n");
        print_energy(&cfg);
    }
    cx_chip_free(&cfg);
    free(sets);
    return 0;
}

int cx_cmd_chip(int argc, char **argv)
{
    if (argc < 2) return cx_cli_usage("chip", "expected a subcommand (check)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(help, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "check")) return cmd_check(argc - 1, argv + 1);
    return cx_cli_usage("chip", "unknown subcommand '%s'", argv[1]);
}
