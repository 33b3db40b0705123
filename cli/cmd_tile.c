/* cortile tile: run a hand-written netlist on one tile of a chip. */
#define _POSIX_C_SOURCE 200809L
#include "cx_chip.h"
#include "cx_cli.h"
#include "cx_netlist.h"
#include "cx_progress.h"
#include "cx_st.h"
#include "cx_tile.h"
#include "cx_tile_run.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CX_TILE_CLI_MAX_SPIKES = 65535 }; /* spikes of one source in one step */

static const char help[] =
    "usage: cortile tile NETLIST.yaml --chip CHIP.yaml [--input IN.safetensors] [--steps N]\n"
    "                    [--output OUT.safetensors] [--seed N] [--set KEY=VALUE]...\n"
    "                    [--vcd FILE.vcd] [--plot FILE.svg] [--engine kernel|systemc] [--json]\n"
    "\n"
    "Runs a netlist of compartments, dendrite arrays, somas, synapses and readouts\n"
    "(format: configs/tiles/resonators.yaml) on tile 0 of the chip, with the chip's\n"
    "mode, noise, mismatch, quantization and rails.\n"
    "\n"
    "  --chip FILE      chip description (configs/chips/*.yaml)\n"
    "  --set KEY=VALUE  override a chip key (repeatable), validated like the file\n"
    "  --input FILE     safetensors with 'inputs' [T, n_inputs] (host analog inputs,\n"
    "                   held over each model step) and/or 'spikes' [T, n_sources]\n"
    "                   (spike counts; column j is synapse source j, due at step t)\n"
    "  --steps N        model steps (default: the input's T; required without input);\n"
    "                   the recordings may take at most 4 GiB\n"
    "  --output FILE    safetensors: 'readout' [T, readouts], 'trace' [T, record]\n"
    "                   (the netlist's record list), 'spikes' [T, somas] (uint8)\n"
    "  --seed N         chip instance and noise seed (default 1)\n"
    "  --vcd FILE       recorded signals and soma spikes as a VCD (GTKWave)\n"
    "  --plot FILE.svg  recorded signals against time\n"
    "  --engine E       kernel (default) or systemc: the same run driven by the\n"
    "                   SystemC Tile and Host modules (identical results)\n"
    "  --json           run statistics as JSON\n";

typedef struct {
    const char *netlist, *chip, *input, *output, *vcd, *plot;
    const char **sets;
    size_t n_sets;
    long steps;
    uint64_t seed;
    int json, systemc;
} tile_opts;

static int parse(int argc, char **argv, tile_opts *o)
{
    enum {
        O_CHIP = 256,
        O_INPUT,
        O_OUTPUT,
        O_STEPS,
        O_SEED,
        O_SET,
        O_VCD,
        O_PLOT,
        O_ENGINE,
        O_JSON
    };
    static const struct option opts[] = {{"chip", required_argument, 0, O_CHIP},
                                         {"input", required_argument, 0, O_INPUT},
                                         {"output", required_argument, 0, O_OUTPUT},
                                         {"steps", required_argument, 0, O_STEPS},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"set", required_argument, 0, O_SET},
                                         {"vcd", required_argument, 0, O_VCD},
                                         {"plot", required_argument, 0, O_PLOT},
                                         {"engine", required_argument, 0, O_ENGINE},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->steps = -1;
    o->sets = calloc((size_t)argc, sizeof *o->sets);
    if (!o->sets) return cx_cli_error("tile", cx_fail(CX_ERR_NOMEM, "out of memory"));
    int c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_CHIP:
            o->chip = optarg;
            break;
        case O_INPUT:
            o->input = optarg;
            break;
        case O_OUTPUT:
            o->output = optarg;
            break;
        case O_VCD:
            o->vcd = optarg;
            break;
        case O_PLOT:
            o->plot = optarg;
            break;
        case O_SET:
            o->sets[o->n_sets++] = optarg;
            break;
        case O_JSON:
            o->json = 1;
            break;
        case O_STEPS:
            if (cx_cli_opt_long("tile", "--steps", optarg, 1, LONG_MAX, &v)) return 2;
            o->steps = v;
            break;
        case O_SEED:
            if (cx_cli_opt_long("tile", "--seed", optarg, 0, LONG_MAX, &v)) return 2;
            o->seed = (uint64_t)v;
            break;
        case O_ENGINE:
            if (strcmp(optarg, "kernel") && strcmp(optarg, "systemc"))
                return cx_cli_usage("tile", "--engine needs kernel or systemc, got '%s'", optarg);
            o->systemc = !strcmp(optarg, "systemc");
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cx_cli_usage("tile", "see cortile tile --help");
        }
    }
    if (optind != argc - 1) return cx_cli_usage("tile", "needs one NETLIST.yaml");
    o->netlist = argv[optind];
    if (!o->chip) return cx_cli_usage("tile", "needs --chip CHIP.yaml");
    if (!o->input && o->steps < 0) return cx_cli_usage("tile", "needs --input or --steps");
    return -1;
}

/* Reads the optional 'inputs' and 'spikes' tensors and fixes T. */
static cx_status load_input(const tile_opts *o, const cx_netlist *nl, cx_tile_run_io *io)
{
    io->steps = o->steps > 0 ? (size_t)o->steps : 0;
    if (!o->input) {
        if (nl->net.n_inputs)
            return cx_fail(CX_ERR_MISSING, "%s: the netlist has %zu inputs; give --input",
                           o->netlist, nl->net.n_inputs);
        return CX_OK;
    }
    cx_st_file *f;
    CX_TRY(cx_st_open(o->input, &f));
    cx_status st = CX_OK;
    const cx_st_tensor *in = cx_st_find(f, "inputs"), *sp = cx_st_find(f, "spikes");
    if (nl->net.n_inputs && !in)
        st = cx_fail(CX_ERR_MISSING, "%s: no tensor 'inputs' (the netlist has %zu inputs)",
                     o->input, nl->net.n_inputs);
    if (st == CX_OK && !in && !sp)
        st = cx_fail(CX_ERR_MISSING, "%s: neither 'inputs' nor 'spikes'", o->input);
    if (st == CX_OK && in) {
        int64_t shape[2] = {-1, (int64_t)nl->net.n_inputs};
        const cx_st_tensor *t;
        st = cx_st_require(f, "inputs", CX_DTM_FLOAT, 2, shape, &t);
        if (st == CX_OK) st = cx_st_to_f64(f, t, 1, &io->inputs);
        if (st == CX_OK) io->input_steps = (size_t)t->shape[0];
    }
    if (st == CX_OK && sp) {
        int64_t shape[2] = {-1, -1};
        const cx_st_tensor *t;
        st = cx_st_require(f, "spikes", CX_DTM_INT | CX_DTM(CX_DT_BOOL), 2, shape, &t);
        if (st == CX_OK) st = cx_st_to_f64(f, t, 1, &io->spikes);
        if (st == CX_OK) io->spike_steps = (size_t)t->shape[0], io->n_sources = (size_t)t->shape[1];
        /* the host sends one packet per spike: a huge count would never end */
        for (size_t i = 0; st == CX_OK && i < t->nelem; i++)
            if (!(io->spikes[i] >= 0 && io->spikes[i] <= CX_TILE_CLI_MAX_SPIKES) ||
                io->spikes[i] != floor(io->spikes[i]))
                st = cx_fail(CX_ERR_VALUE,
                             "%s: tensor 'spikes' element %zu is %g (spike counts are "
                             "integers in 0..%d per step)",
                             o->input, i, io->spikes[i], CX_TILE_CLI_MAX_SPIKES);
        /* column j feeds source j: a synapse past the columns would never fire */
        for (size_t i = 0; st == CX_OK && i < nl->net.n_synapses; i++)
            if (nl->net.synapses[i].source >= io->n_sources)
                st = cx_fail(CX_ERR_VALUE,
                             "%s: key 'synapses[%zu].source' is %u, beyond the %zu column(s) of "
                             "tensor 'spikes' in %s (column j feeds source j)",
                             o->netlist, i, (unsigned)nl->net.synapses[i].source, io->n_sources,
                             o->input);
    }
    if (st == CX_OK && in && sp && io->input_steps != io->spike_steps)
        st = cx_fail(CX_ERR_SHAPE, "%s: 'inputs' has %zu steps, 'spikes' %zu", o->input,
                     io->input_steps, io->spike_steps);
    if (st == CX_OK && !io->steps) io->steps = in ? io->input_steps : io->spike_steps;
    if (st == CX_OK && ((in && io->steps > io->input_steps) || (sp && io->steps > io->spike_steps)))
        st = cx_fail(CX_ERR_SHAPE, "%s: --steps %zu is longer than the input (%zu steps)", o->input,
                     io->steps, in ? io->input_steps : io->spike_steps);
    cx_st_close(f);
    return st;
}

static cx_status write_output(const char *path, const cx_netlist *nl, const cx_tile_run_io *io)
{
    cx_st_writer *w = cx_st_writer_alloc();
    if (!w) return cx_fail(CX_ERR_NOMEM, "out of memory");
    int64_t rs[2] = {(int64_t)io->steps, (int64_t)nl->net.n_readouts};
    int64_t ts[2] = {(int64_t)io->steps, (int64_t)nl->n_record};
    int64_t ss[2] = {(int64_t)io->steps, (int64_t)nl->net.n_somas};
    cx_status st = cx_st_writer_add(w, "readout", CX_DT_F64, 2, rs, io->readout);
    if (st == CX_OK) st = cx_st_writer_add(w, "trace", CX_DT_F64, 2, ts, io->trace);
    if (st == CX_OK) st = cx_st_writer_add(w, "spikes", CX_DT_U8, 2, ss, io->soma_spikes);
    if (st == CX_OK) st = cx_st_writer_meta(w, "record", "see the netlist's record list");
    if (st == CX_OK) st = cx_st_writer_write(w, path);
    cx_st_writer_free(w);
    return st;
}

static void print_text(const tile_opts *o, const cx_chip_config *chip, const cx_netlist *nl,
                       const cx_tile_run_io *io, const cx_tile_stats *s, double wall_s)
{
    printf("tile: %s on %s (%s mode), seed %llu\n", o->netlist, chip->name,
           cx_chip_mode_name(chip->tile.mode), (unsigned long long)o->seed);
    printf("  elements        %zu compartments, %zu dendrite matrices, %zu somas, %zu synapses, "
           "%zu readouts\n",
           nl->net.n_comps, nl->net.n_dendrites, nl->net.n_somas, nl->net.n_synapses,
           nl->net.n_readouts);
    printf("  simulated       %zu steps of %g ms = %g model ms (%llu compartment updates)\n",
           io->steps, nl->net.step_ms, (double)io->steps * nl->net.step_ms,
           (unsigned long long)s->compartment_steps);
    printf("  clipped         %llu compartment updates hit a rail\n",
           (unsigned long long)s->clipped_steps);
    printf("  spikes          %llu in (%llu late), %llu out\n", (unsigned long long)s->spikes_in,
           (unsigned long long)s->late_spikes, (unsigned long long)s->spikes_out);
    printf("  energy          %.4g pJ\n", s->energy_pj);
    printf("  wall time       %.3f s (%.3g compartment updates/s)\n", wall_s,
           wall_s > 0 ? (double)s->compartment_steps / wall_s : 0.0);
    if (o->output) printf("  output          %s\n", o->output);
    if (o->vcd) printf("  vcd             %s\n", o->vcd);
    if (o->plot) printf("  plot            %s\n", o->plot);
}

static cJSON *stats_json(const tile_opts *o, const cx_tile_run_io *io, const cx_tile_stats *s,
                         double wall_s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "netlist", o->netlist);
    cJSON_AddStringToObject(j, "chip", o->chip);
    cJSON_AddNumberToObject(j, "seed", (double)o->seed);
    cJSON_AddNumberToObject(j, "steps", (double)io->steps);
    cJSON_AddNumberToObject(j, "compartment_steps", (double)s->compartment_steps);
    cJSON_AddNumberToObject(j, "clipped_steps", (double)s->clipped_steps);
    cJSON_AddNumberToObject(j, "spikes_in", (double)s->spikes_in);
    cJSON_AddNumberToObject(j, "late_spikes", (double)s->late_spikes);
    cJSON_AddNumberToObject(j, "spikes_out", (double)s->spikes_out);
    cJSON_AddNumberToObject(j, "synaptic_events", (double)s->synaptic_events);
    cJSON_AddNumberToObject(j, "dendrite_macs", (double)s->dendrite_macs);
    cJSON_AddNumberToObject(j, "adc_conversions", (double)s->adc_conversions);
    cJSON_AddNumberToObject(j, "energy_pj", s->energy_pj);
    cJSON_AddNumberToObject(j, "wall_s", wall_s);
    return j;
}

static cx_status run(const tile_opts *o)
{
    cx_chip_config chip;
    cx_netlist nl;
    cx_tile *t = NULL;
    cx_tile_run_io io;
    memset(&io, 0, sizeof io);
    CX_TRY(cx_chip_load(o->chip, o->sets, o->n_sets, &chip));
    cx_status st = cx_netlist_load(o->netlist, &nl);
    if (st != CX_OK) {
        cx_chip_free(&chip);
        return st;
    }
    cx_tile_id id = {o->seed, 0, 0};
    st = cx_tile_alloc(&chip, &nl.net, &id, &t);
    if (st != CX_OK) st = cx_fail_context(st, "%s on %s", o->netlist, o->chip);
    if (st == CX_OK) st = load_input(o, &nl, &io);
    io.record = nl.record, io.n_record = nl.n_record;
    io.record_names = (const char *const *)nl.record_names;
    io.soma_names = (const char *const *)nl.soma_names;
    io.vcd_path = o->vcd, io.svg_path = o->plot;
    io.title = o->netlist;
    /* before the run allocates: name what set the length */
    if (st == CX_OK && cx_tile_run_check(t, &io) != CX_OK) {
        if (o->steps > 0)
            st = cx_fail_context(CX_ERR_FIT, "--steps %ld", o->steps);
        else
            st = cx_fail_context(CX_ERR_FIT, "%s: the input's %zu steps", o->input, io.steps);
    }
    double t0 = cx_now_s();
    if (st == CX_OK) st = o->systemc ? cx_tile_run_systemc(t, &chip, &io) : cx_tile_run(t, &io);
    double wall = cx_now_s() - t0;
    if (st == CX_OK && o->output) st = write_output(o->output, &nl, &io);
    if (st == CX_OK) {
        if (o->json)
            cx_cli_print_json(stats_json(o, &io, cx_tile_get_stats(t), wall));
        else
            print_text(o, &chip, &nl, &io, cx_tile_get_stats(t), wall);
    }
    cx_tile_run_io_free(&io);
    cx_tile_free(t);
    cx_netlist_free(&nl);
    cx_chip_free(&chip);
    return st;
}

int cx_cmd_tile(int argc, char **argv)
{
    tile_opts o;
    int rc = parse(argc, argv, &o);
    if (rc < 0) {
        cx_status st = run(&o);
        rc = st == CX_OK ? 0 : cx_cli_error("tile", st);
    }
    free(o.sets);
    return rc;
}
