/* cortile synth: a random GLIFR network of any size, as a checkpoint folder. */
#define _POSIX_C_SOURCE 200809L
#include "cx_cli.h"
#include "cx_glifr_synth.h"
#include "cx_progress.h"

#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: cortile synth --neurons N --fanout F --seed S --output DIR\n"
    "                     [--inputs N_IN] [--outputs N_OUT] [--asc J] [--steps T]\n"
    "                     [--samples B] [--delay-ms D] [--dense] [--json]\n"
    "\n"
    "Writes a random GLIFR network as a checkpoint folder that `cortile reference`,\n"
    "`compile` and `run` read: DIR/config.json (upstream keys plus a \"synthetic\"\n"
    "block with the arguments and statistics), DIR/model.safetensors (float32,\n"
    "upstream state_dict keys; the lateral weights in the sparse CSR form\n"
    "neuron_layer.weight_lat.indptr/.indices/.values unless --dense) and\n"
    "DIR/inputs.safetensors ('x' [B, T, N_IN], the layout of --input).\n"
    "\n"
    "Every neuron has exactly F targets drawn uniformly among the other neurons\n"
    "(no self loops); 20% of the neurons are inhibitory; weights are ~1/sqrt(F),\n"
    "balanced; per-neuron decay rates, after-spike currents and thresholds lie in\n"
    "the ranges of the trained L-MNIST model. The same arguments give\n"
    "byte-identical files.\n"
    "\n"
    "  --neurons N     hidden neurons (>= 2)\n"
    "  --fanout F      postsynaptic targets per neuron (0 .. N-1)\n"
    "  --seed S        random seed\n"
    "  --output DIR    folder to write (created when missing)\n"
    "  --inputs N      input channels (default 16)\n"
    "  --outputs N     readout outputs (default 10)\n"
    "  --asc J         after-spike currents per neuron (default 2)\n"
    "  --steps T       steps of the input (default 2000 = 100 ms at dt 0.05 ms)\n"
    "  --samples B     input samples (default 1)\n"
    "  --delay-ms D    lateral synaptic delay (default 1 ms = 20 steps; 2 steps to 1000 ms)\n"
    "  --dense         dense neuron_layer.weight_lat [N, N] as upstream (N <= 8192)\n"
    "  --json          print the statistics as JSON\n";

enum {
    O_N = 256,
    O_F,
    O_SEED,
    O_OUT,
    O_IN,
    O_NOUT,
    O_ASC,
    O_STEPS,
    O_SAMP,
    O_DELAY,
    O_DENSE,
    O_JSON
};

typedef struct {
    cx_glifr_synth_opts o;
    const char *output;
    int have_n, have_f, have_seed, json;
} synth_args;

static int parse(int argc, char **argv, synth_args *a)
{
    static const struct option opts[] = {{"neurons", required_argument, 0, O_N},
                                         {"fanout", required_argument, 0, O_F},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"output", required_argument, 0, O_OUT},
                                         {"inputs", required_argument, 0, O_IN},
                                         {"outputs", required_argument, 0, O_NOUT},
                                         {"asc", required_argument, 0, O_ASC},
                                         {"steps", required_argument, 0, O_STEPS},
                                         {"samples", required_argument, 0, O_SAMP},
                                         {"delay-ms", required_argument, 0, O_DELAY},
                                         {"dense", no_argument, 0, O_DENSE},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    a->o = cx_glifr_synth_defaults();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        long *num = NULL, seed = 0;
        const char *opt = NULL;
        switch (c) {
        case O_N:
            num = &a->o.neurons, opt = "--neurons", a->have_n = 1;
            break;
        case O_F:
            num = &a->o.fanout, opt = "--fanout", a->have_f = 1;
            break;
        case O_SEED:
            num = &seed, opt = "--seed", a->have_seed = 1;
            break;
        case O_OUT:
            a->output = optarg;
            break;
        case O_IN:
            num = &a->o.inputs, opt = "--inputs";
            break;
        case O_NOUT:
            num = &a->o.outputs, opt = "--outputs";
            break;
        case O_ASC:
            num = &a->o.asc, opt = "--asc";
            break;
        case O_STEPS:
            num = &a->o.steps, opt = "--steps";
            break;
        case O_SAMP:
            num = &a->o.samples, opt = "--samples";
            break;
        case O_DELAY:
            if (cx_cli_opt_double("synth", "--delay-ms", optarg, -DBL_MAX, 0, DBL_MAX,
                                  &a->o.delay_ms))
                return 2;
            break;
        case O_DENSE:
            a->o.dense = 1;
            break;
        case O_JSON:
            a->json = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cx_cli_usage("synth", "unknown option");
        }
        /* the model's own limits follow in cx_glifr_synth_check */
        if (num && cx_cli_opt_long("synth", opt, optarg, c == O_SEED ? 0 : LONG_MIN, LONG_MAX, num))
            return 2;
        if (c == O_SEED) a->o.seed = (uint64_t)seed;
    }
    if (optind != argc) return cx_cli_usage("synth", "unexpected argument '%s'", argv[optind]);
    if (!a->have_n) return cx_cli_usage("synth", "missing --neurons N");
    if (!a->have_f) return cx_cli_usage("synth", "missing --fanout F");
    if (!a->have_seed) return cx_cli_usage("synth", "missing --seed S");
    if (!a->output) return cx_cli_usage("synth", "missing --output DIR");
    if (cx_glifr_synth_check(&a->o) != CX_OK) return cx_cli_usage("synth", "%s", cx_last_error());
    return -1;
}

static double number(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_summary(const synth_args *a, const cJSON *s, double seconds)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "statistics");
    const cJSON *deg = cJSON_GetObjectItemCaseSensitive(st, "in_degree");
    const cx_glifr_synth_opts *o = &a->o;
    printf("synth: %ld neurons, fanout %ld, seed %llu -> %s\n", o->neurons, o->fanout,
           (unsigned long long)o->seed, a->output);
    printf("  lateral     %.0f weights (%s), no self loops\n", number(st, "lateral_weights"),
           o->dense ? "dense [N, N]" : "sparse CSR");
    printf("  neurons     %.0f excitatory, %.0f inhibitory (%.3g)\n", number(st, "excitatory"),
           number(st, "inhibitory"), number(st, "inhibitory_fraction"));
    printf("  in-degree   min %.0f, mean %.0f, max %.0f\n", number(deg, "min"), number(deg, "mean"),
           number(deg, "max"));
    printf("  layer       %ld inputs, %ld outputs, %ld after-spike currents, delay %g ms\n",
           o->inputs, o->outputs, o->asc, o->delay_ms);
    printf("  inputs      %ld samples x %ld steps (inputs.safetensors)\n", o->samples, o->steps);
    printf("  written     config.json, model.safetensors, inputs.safetensors in %.2f s\n", seconds);
}

int cx_cmd_synth(int argc, char **argv)
{
    synth_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(argc, argv, &a);
    if (rc >= 0) return rc;
    cJSON *summary = NULL;
    double t0 = cx_now_s();
    cx_status st = cx_glifr_synth_write(&a.o, a.output, &summary);
    double seconds = cx_now_s() - t0;
    if (st != CX_OK) return cx_cli_error("synth", st);
    if (a.json) {
        cJSON_AddStringToObject(summary, "output", a.output);
        cJSON_AddNumberToObject(summary, "seconds", seconds);
        cx_cli_print_json(summary);
    } else {
        print_summary(&a, summary, seconds);
        cJSON_Delete(summary);
    }
    return 0;
}
