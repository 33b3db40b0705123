/* cortile compile: a trained checkpoint onto a chip, with its report. */
#define _DEFAULT_SOURCE /* realpath */
#include "cx_cli.h"
#include "cx_compile.h"
#include "cx_fileio.h"
#include "cx_json.h"
#include "cx_progress.h"
#include "cx_yaml.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: cortile compile MODEL_DIR (--chip CHIP.yaml | --board BOARD.yaml [--chips N])\n"
    "                       --output PROGRAM.yaml\n"
    "                       [--calibration IN.safetensors|MNIST_DIR] [--calibration-samples N]\n"
    "                       [--tiles N] [--instances N] [--no-budget] [--seed N]\n"
    "                       [--set KEY=VALUE]... [--defects FILE.yaml] [--report FILE.json]\n"
    "                       [--json]\n"
    "\n"
    "Lowers an ELM/Branch-ELM or GLIFR checkpoint onto the chip's tiles, places\n"
    "multi-neuron models by graph partitioning (METIS), builds the router's multicast\n"
    "routes, and writes the program: PROGRAM.yaml (manifest), PROGRAM.safetensors\n"
    "(tensors) and PROGRAM.chip.yaml (the chip description it was compiled for).\n"
    "On a board (configs/boards/*.yaml) the tiles are grouped into chips so that\n"
    "few spikes cross chip links, and PROGRAM.board.yaml is written too.\n"
    "\n"
    "With a calibration input (the layout `cortile reference --input` reads, or an\n"
    "MNIST folder for L-MNIST), the report adds: the dynamic range of every\n"
    "compartment against the rails (states are rescaled by powers of two; what still\n"
    "exceeds them is listed), the routing load and late spikes on the router model,\n"
    "the predicted output error under the configured noise (Monte Carlo over chip\n"
    "instances) with an error budget per noise source, and the energy per inference.\n"
    "\n"
    "  --chip FILE              chip description (configs/chips/*.yaml)\n"
    "  --board FILE             board of chips and links (configs/boards/*.yaml)\n"
    "  --chips N                board: spread over at least N chips (default: fewest)\n"
    "  --output FILE            program manifest to write (.yaml)\n"
    "  --calibration PATH       calibration input (safetensors file or MNIST folder)\n"
    "  --calibration-samples N  use the first N samples (default 16)\n"
    "  --tiles N                GLIFR: spread the network over at least N tiles\n"
    "  --instances N            chip instances of the noise prediction (default 4; 0: skip)\n"
    "  --no-budget              skip the per-source error budget\n"
    "  --seed N                 placement and routing-run seed (default 1)\n"
    "  --set KEY=VALUE          override a chip key (repeatable), validated like the file\n"
    "  --defects FILE           the chip's defects section from FILE (a YAML mapping\n"
    "                           'defects:' with tiles, links, compartments, synapses, cells,\n"
    "                           random, remap; chip/README.md, example\n"
    "                           configs/defects/example.yaml); the compiler places and\n"
    "                           routes around them unless remap is false\n"
    "  --report FILE            also write the report as JSON\n"
    "  --json                   print the report as JSON instead of text\n";

enum {
    O_CHIP = 256,
    O_BOARD,
    O_CHIPS,
    O_OUT,
    O_CAL,
    O_CALN,
    O_TILES,
    O_INST,
    O_NOBUD,
    O_SEED,
    O_SET,
    O_DEFECTS,
    O_REP,
    O_JSON
};

typedef struct {
    const char *model, *chip, *board, *output, *calibration, *report, *defects;
    long cal_samples, tiles, chips, instances, seed;
    int budget, json;
    const char **sets;
    int n_sets;
} compile_args;

static int parse(int argc, char **argv, compile_args *a)
{
    static const struct option opts[] = {{"chip", required_argument, 0, O_CHIP},
                                         {"board", required_argument, 0, O_BOARD},
                                         {"chips", required_argument, 0, O_CHIPS},
                                         {"output", required_argument, 0, O_OUT},
                                         {"calibration", required_argument, 0, O_CAL},
                                         {"calibration-samples", required_argument, 0, O_CALN},
                                         {"tiles", required_argument, 0, O_TILES},
                                         {"instances", required_argument, 0, O_INST},
                                         {"no-budget", no_argument, 0, O_NOBUD},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"set", required_argument, 0, O_SET},
                                         {"defects", required_argument, 0, O_DEFECTS},
                                         {"report", required_argument, 0, O_REP},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    a->cal_samples = 16;
    a->instances = 4;
    a->seed = 1;
    a->budget = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        long *num = NULL, hi = INT_MAX;
        const char *opt = NULL;
        switch (c) {
        case O_CHIP:
            a->chip = optarg;
            break;
        case O_BOARD:
            a->board = optarg;
            break;
        case O_CHIPS:
            num = &a->chips, opt = "--chips", hi = 65536; /* 0: the fewest */
            break;
        case O_OUT:
            a->output = optarg;
            break;
        case O_CAL:
            a->calibration = optarg;
            break;
        case O_CALN:
            num = &a->cal_samples, opt = "--calibration-samples";
            break;
        case O_TILES:
            num = &a->tiles, opt = "--tiles";
            break;
        case O_INST:
            num = &a->instances, opt = "--instances", hi = 100000;
            break;
        case O_SEED:
            num = &a->seed, opt = "--seed";
            break;
        case O_NOBUD:
            a->budget = 0;
            break;
        case O_DEFECTS:
            a->defects = optarg;
            break;
        case O_SET:
            a->sets[a->n_sets++] = optarg;
            break;
        case O_REP:
            a->report = optarg;
            break;
        case O_JSON:
            a->json = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cx_cli_usage("compile", "unknown option");
        }
        if (num && cx_cli_opt_long("compile", opt, optarg, 0, hi, num)) return 2;
    }
    if (optind + 1 != argc) return cx_cli_usage("compile", "expected one MODEL_DIR");
    a->model = argv[optind];
    if (!a->chip == !a->board) return cx_cli_usage("compile", "give one of --chip or --board");
    if (a->chips && !a->board) return cx_cli_usage("compile", "--chips needs --board");
    if (!a->output) return cx_cli_usage("compile", "missing --output PROGRAM.yaml");
    return -1;
}

/* The chip as compiled: its document with the overrides, for `cortile run`. */
cx_status cx_cli_load_chip(const char *path, const char *const *sets, int n, const char *defects,
                           cx_chip_config *chip, cx_yaml_doc **doc_out)
{
    cx_yaml_doc *doc, *over = NULL;
    CX_TRY(cx_yaml_load_file(path, &doc));
    cx_status st = CX_OK;
    if (defects) {
        static const char *const keys[] = {"defects", NULL};
        st = cx_yaml_load_file(defects, &over);
        if (st == CX_OK) st = cx_yaml_expect(over->root, CX_YAML_MAPPING);
        if (st == CX_OK) st = cx_yaml_check_keys(over->root, keys);
        if (st == CX_OK) {
            st = cx_yaml_graft(doc, "defects", over); /* frees over */
            over = NULL;
        }
        cx_yaml_free(over);
    }
    for (int i = 0; i < n && st == CX_OK; i++)
        st = cx_yaml_override(doc, sets[i]);
    if (st == CX_OK) st = cx_chip_from_yaml(doc->root, chip);
    if (st != CX_OK || !doc_out)
        cx_yaml_free(doc);
    else
        *doc_out = doc;
    return st;
}

char *cx_cli_program_sibling(const char *program, const char *suffix)
{
    size_t n = strlen(program);
    if (n > 5 && !strcmp(program + n - 5, ".yaml")) n -= 5;
    char *s = malloc(n + strlen(suffix) + 1);
    if (!s) return NULL;
    memcpy(s, program, n);
    strcpy(s + n, suffix);
    return s;
}

static cx_status write_chip(const cx_yaml_doc *doc, const char *program)
{
    char *path = cx_cli_program_sibling(program, ".chip.yaml");
    if (!path) return cx_fail(CX_ERR_NOMEM, "out of memory");
    FILE *fp = fopen(path, "w");
    cx_status st = fp ? cx_yaml_write(fp, doc->root) : cx_fail(CX_ERR_IO, "%s: cannot write", path);
    if (fp && fclose(fp) != 0 && st == CX_OK) st = cx_fail(CX_ERR_IO, "%s: write failed", path);
    free(path);
    return st;
}

/* PROGRAM.board.yaml: the board, naming PROGRAM.chip.yaml as its chip. */
static cx_status write_board(const cx_board *b, const char *program)
{
    char *path = cx_cli_program_sibling(program, ".board.yaml");
    char *chip = cx_cli_program_sibling(program, ".chip.yaml");
    cx_status st = path && chip ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    if (st == CX_OK) {
        const char *base = strrchr(chip, '/');
        st = cx_board_write(b, path, base ? base + 1 : chip);
    }
    free(path);
    free(chip);
    return st;
}

cx_status cx_cli_load_inputs(const char *path, cx_model_kind kind, int n_inputs, long limit,
                             cx_inputs *in)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (kind != CX_KIND_GLIFR || n_inputs != 28)
            return cx_fail(CX_ERR_USAGE,
                           "%s: an MNIST folder is input for a line-by-line MNIST GLIFR model only",
                           path);
        return cx_inputs_mnist(path, limit, in);
    }
    return cx_inputs_load(path, kind, n_inputs, limit, in);
}

static cx_status run(const compile_args *a)
{
    cx_model *m = NULL;
    cx_chip_config chip;
    memset(&chip, 0, sizeof chip);
    cx_yaml_doc *doc = NULL;
    cx_inputs calib = {0};
    cx_program *p = NULL;
    cJSON *rep = NULL;
    cx_board board;
    memset(&board, 0, sizeof board);
    cx_status st = cx_model_load(a->model, CX_KIND_AUTO, NULL, 0, &m);
    if (st == CX_OK && a->board) st = cx_board_load(a->board, a->sets, (size_t)a->n_sets, &board);
    /* the chip as compiled (a board's: its file with the overrides) */
    if (st == CX_OK)
        st = cx_cli_load_chip(a->board ? board.chip_file : a->chip, a->sets, a->n_sets, a->defects,
                              &chip, &doc);
    if (st == CX_OK && a->calibration)
        st =
            cx_cli_load_inputs(a->calibration, m->kind, cx_model_inputs(m), a->cal_samples, &calib);
    double t0 = cx_now_s();
    if (st == CX_OK) {
        cx_compile_opts o = cx_compile_opts_default();
        o.min_tiles = (int)a->tiles;
        o.seed = (uint64_t)a->seed;
        o.calib = a->calibration ? &calib : NULL;
        o.mc_instances = (int)a->instances;
        o.budget = a->budget;
        o.label = "compile";
        o.board = a->board ? &board : NULL;
        o.min_chips = (int)a->chips;
        st = cx_compile(m, &chip, &o, &p, &rep);
    }
    double secs = cx_now_s() - t0;
    if (st == CX_OK) {
        /* `cortile run` finds the model for its reference from anywhere */
        char *abs = realpath(p->model_dir, NULL);
        if (abs) {
            free(p->model_dir);
            p->model_dir = abs;
        }
        st = cx_program_save(p, a->output);
    }
    if (st == CX_OK) st = write_chip(doc, a->output);
    if (st == CX_OK && a->board) st = write_board(&board, a->output);
    if (st == CX_OK) {
        cJSON_AddNumberToObject(rep, "compile_seconds", secs);
        cJSON_AddStringToObject(rep, "program", a->output);
        if (a->report) st = cx_json_save(a->report, rep);
    }
    if (st == CX_OK) {
        if (a->json) {
            cx_cli_print_json(rep);
            rep = NULL;
        } else {
            cx_report_print(stdout, rep);
            printf("program: %s (%d tiles, %d routes), compiled in %.2f s\n", a->output, p->n_tiles,
                   p->n_routes, secs);
        }
        if (!a->calibration)
            fprintf(stderr,
                    "cortile compile: note: without --calibration the states are not scaled into "
                    "the rails and the report has no dynamic range, routing load, noise prediction "
                    "or energy; give --calibration with inputs of the model (e.g. its training or "
                    "test data)\n");
    }
    cJSON_Delete(rep);
    cx_program_free(p);
    cx_inputs_release(&calib);
    cx_yaml_free(doc);
    cx_chip_free(&chip);
    cx_board_free(&board);
    cx_model_free(m);
    return st;
}

int cx_cmd_compile(int argc, char **argv)
{
    compile_args a;
    memset(&a, 0, sizeof a);
    a.sets = calloc((size_t)argc + 1, sizeof *a.sets);
    if (!a.sets) return cx_cli_error("compile", cx_fail(CX_ERR_NOMEM, "out of memory"));
    int rc = parse(argc, argv, &a);
    if (rc < 0) {
        cx_status st = run(&a);
        rc = st == CX_OK ? 0 : cx_cli_error("compile", st);
    }
    free(a.sets);
    return rc;
}
