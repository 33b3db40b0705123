/* cortile run: a compiled program on the chip — tiles, router, host port. */
#define _POSIX_C_SOURCE 200809L
#include "cx_cli.h"
#include "cx_compile.h"
#include "cx_evaluate.h"
#include "cx_json.h"
#include "cx_limits.h"
#include "cx_mpi.h"
#include "cx_progress.h"
#include "cx_st.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cortile run PROGRAM.yaml (--input IN.safetensors | --mnist DIR) --output "
    "OUT.safetensors\n"
    "                   [--limit N] [--chip CHIP.yaml | --board BOARD.yaml] [--seed N]\n"
    "                   [--set KEY=VALUE]... [--defects FILE.yaml]\n"
    "                   [--no-router] [--record] [--report FILE.json] [--heatmap FILE.svg] "
    "[--json]\n"
    "\n"
    "Simulates the chip a program was compiled for (PROGRAM.chip.yaml unless --chip):\n"
    "every tile with its noise, mismatch and quantization drawn from --seed, the\n"
    "router model carrying the spikes between tiles, inputs entering through the\n"
    "host port as spikes. Writes the outputs in the layout of `cortile reference`\n"
    "(ELM: 'outputs' [S,T,O] and, for NeuronIO models, 'eval_outputs'; GLIFR: 'y'\n"
    "[B,T,O]) and prints the run report: resources, routing load, late and dropped\n"
    "spikes, latency, energy per inference, and the measured error against the\n"
    "reference simulator (and accuracy for MNIST).\n"
    "\n"
    "A program compiled for a board runs on PROGRAM.board.yaml (unless --board):\n"
    "one router per chip, spikes between chips over the board's links. Under\n"
    "`mpirun -n K cortile run ...` the chips are spread over the K ranks (chip c on\n"
    "rank c mod K), synchronized conservatively in windows of the smallest link\n"
    "latency; outputs are bitwise the same for any K. Rank 0 writes the files.\n"
    "\n"
    "  --input FILE     input tensors as `cortile reference --input` reads them\n"
    "  --mnist DIR      L-MNIST GLIFR: the MNIST test set in DIR (t10k-*-ubyte[.gz])\n"
    "  --limit N        only the first N samples (the outputs, with --record the\n"
    "                   probes too, may take at most 4 GiB)\n"
    "  --output FILE    output tensors to write\n"
    "  --chip FILE      chip description instead of PROGRAM.chip.yaml\n"
    "  --board FILE     board description instead of PROGRAM.board.yaml (board programs)\n"
    "  --seed N         chip instance and noise seed (default 1)\n"
    "  --set KEY=VALUE  override a chip key (repeatable), validated like the file\n"
    "  --defects FILE   run on a die with the defects section of FILE instead (format:\n"
    "                   chip/README.md; the report counts what they cost)\n"
    "  --no-router      deliver spikes at their due time (the fast kernel)\n"
    "  --record         also write the model's states ('S', 'V', 'I_asc' / 'memory_m', ...)\n"
    "  --report FILE    write the run report as JSON\n"
    "  --heatmap FILE   mesh link-load heat map (SVG)\n"
    "  --json           print the run report as JSON instead of text\n";

enum {
    O_IN = 256,
    O_MNIST,
    O_LIMIT,
    O_OUT,
    O_CHIP,
    O_BOARD,
    O_SEED,
    O_SET,
    O_DEFECTS,
    O_NOR,
    O_REC,
    O_REP,
    O_HEAT,
    O_JSON
};

typedef struct {
    const char *program, *input, *mnist, *output, *chip, *board, *report, *heatmap, *defects;
    long limit, seed;
    int router, record, json;
    const char **sets;
    int n_sets;
} run_args;

static int parse(int argc, char **argv, run_args *a)
{
    static const struct option opts[] = {{"input", required_argument, 0, O_IN},
                                         {"mnist", required_argument, 0, O_MNIST},
                                         {"limit", required_argument, 0, O_LIMIT},
                                         {"output", required_argument, 0, O_OUT},
                                         {"chip", required_argument, 0, O_CHIP},
                                         {"board", required_argument, 0, O_BOARD},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"set", required_argument, 0, O_SET},
                                         {"defects", required_argument, 0, O_DEFECTS},
                                         {"no-router", no_argument, 0, O_NOR},
                                         {"record", no_argument, 0, O_REC},
                                         {"report", required_argument, 0, O_REP},
                                         {"heatmap", required_argument, 0, O_HEAT},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    a->seed = 1;
    a->router = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        long *num = NULL;
        const char *opt = NULL;
        switch (c) {
        case O_IN:
            a->input = optarg;
            break;
        case O_MNIST:
            a->mnist = optarg;
            break;
        case O_LIMIT:
            num = &a->limit, opt = "--limit";
            break;
        case O_OUT:
            a->output = optarg;
            break;
        case O_CHIP:
            a->chip = optarg;
            break;
        case O_BOARD:
            a->board = optarg;
            break;
        case O_SEED:
            num = &a->seed, opt = "--seed";
            break;
        case O_DEFECTS:
            a->defects = optarg;
            break;
        case O_SET:
            a->sets[a->n_sets++] = optarg;
            break;
        case O_NOR:
            a->router = 0;
            break;
        case O_REC:
            a->record = 1;
            break;
        case O_REP:
            a->report = optarg;
            break;
        case O_HEAT:
            a->heatmap = optarg;
            break;
        case O_JSON:
            a->json = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cx_cli_usage("run", "unknown option");
        }
        if (num && cx_cli_opt_long("run", opt, optarg, 0, LONG_MAX, num)) return 2;
    }
    if (optind + 1 != argc) return cx_cli_usage("run", "expected one PROGRAM.yaml");
    a->program = argv[optind];
    if (!a->input == !a->mnist) return cx_cli_usage("run", "give one of --input or --mnist");
    if (!a->output) return cx_cli_usage("run", "missing --output OUT.safetensors");
    return -1;
}

/* Probe q of sample-major records as the reference lays it out. */
static cx_status add_probe(cx_st_writer *w, const cx_prog_probe *pr, const double *rec, int64_t S,
                           int64_t T)
{
    if (pr->groups <= 1) {
        int64_t shape[3] = {S, T, (int64_t)pr->n};
        return cx_st_writer_add(w, pr->name, CX_DT_F64, 3, shape, rec);
    }
    int64_t G = pr->groups, n = (int64_t)pr->n / G;
    double *buf = malloc((size_t)(S * T) * pr->n * sizeof *buf + 1);
    if (!buf) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int64_t g = 0; g < G; g++)
        for (int64_t st = 0; st < S * T; st++)
            memcpy(buf + (size_t)((g * S * T + st) * n), rec + (size_t)st * pr->n + (size_t)(g * n),
                   (size_t)n * sizeof *buf);
    int64_t shape[4] = {G, S, T, n};
    cx_status s = cx_st_writer_add(w, pr->name, CX_DT_F64, 4, shape, buf);
    free(buf);
    return s;
}

static cx_status write_outputs(const run_args *a, const cx_program *p, const cx_inputs *in,
                               const double *y, double *const *rec)
{
    const int64_t S = in->samples, T = in->steps, O = p->n_outputs;
    cx_st_writer *w = cx_st_writer_alloc();
    if (!w) return cx_fail(CX_ERR_NOMEM, "out of memory");
    int64_t shape[3] = {S, T, O};
    int elm = p->kind == CX_KIND_ELM;
    cx_status st = cx_st_writer_add(w, elm ? "outputs" : "y", CX_DT_F64, 3, shape, y);
    int neuronio = elm && O == 2 && p->n_inputs > 1 && p->in_sign[p->n_inputs - 1] < 0;
    if (st == CX_OK && neuronio) {
        /* upstream neuronio_eval_forward: spike probability and soma in mV */
        double *ev = malloc((size_t)(S * T * O) * sizeof *ev + 1);
        if (!ev) st = cx_fail(CX_ERR_NOMEM, "out of memory");
        for (int64_t i = 0; st == CX_OK && i < S * T; i++) {
            ev[2 * i] = 1.0 / (1.0 + exp(-y[2 * i]));
            ev[2 * i + 1] = 10.0 * y[2 * i + 1];
        }
        if (st == CX_OK) st = cx_st_writer_add(w, "eval_outputs", CX_DT_F64, 3, shape, ev);
        free(ev);
    }
    for (int q = 0; rec && q < p->n_probes && st == CX_OK; q++)
        st = add_probe(w, &p->probes[q], rec[q], S, T);
    if (st == CX_OK) st = cx_st_writer_meta(w, "producer", "cortile run");
    if (st == CX_OK) st = cx_st_writer_write(w, a->output);
    cx_st_writer_free(w);
    return st;
}

/* Measured error against the reference simulator. */
static void measure(const cx_program *p, const cx_model *m, const cx_inputs *in, const double *y,
                    cJSON *rep)
{
    size_t ny = (size_t)(in->samples * in->steps * p->n_outputs);
    double *ref = malloc(ny * sizeof *ref + 1);
    cx_error err;
    if (ref && cx_model_outputs(m) == p->n_outputs && cx_inputs_reference(m, in, ref) == CX_OK &&
        cx_error_of(y, ref, in->samples, in->steps, p->n_outputs, &err) == CX_OK) {
        cJSON *me = cx_error_json(&err);
        cJSON_AddNumberToObject(me, "samples", (double)in->samples);
        if (in->labels) {
            cJSON_AddNumberToObject(
                me, "accuracy",
                cx_accuracy_last(y, in->labels, in->samples, in->steps, p->n_outputs));
            cJSON_AddNumberToObject(
                me, "reference_accuracy",
                cx_accuracy_last(ref, in->labels, in->samples, in->steps, p->n_outputs));
        }
        cJSON_AddItemToObject(rep, "measured", me);
        cx_error_release(&err);
    }
    free(ref);
}

static cx_status simulate(const run_args *a, const cx_program *p, const cx_chip_config *chip,
                          const cx_board *board, const cx_inputs *in, double *y, double **rec,
                          cJSON *rep)
{
    cx_exec_opts eo = {
        .seed = (uint64_t)a->seed, .router = a->router, .board = board, .distributed = 1};
    cx_exec *e;
    /* the program's tiles and routes against the chip: name the program */
    cx_status ast = cx_exec_alloc(p, chip, &eo, &e);
    if (ast != CX_OK) return cx_fail_context(ast, "%s", a->program);
    cx_progress prog;
    cx_progress_start(&prog, "run", (size_t)in->samples);
    if (cx_mpi_rank() != 0) prog.enabled = 0; /* one progress line per run */
    const size_t xs = (size_t)(in->steps * in->n), ys = (size_t)in->steps * (size_t)p->n_outputs;
    cx_status st = CX_OK;
    double *rows[64] = {0};
    for (int64_t s = 0; s < in->samples && st == CX_OK; s++) {
        for (int q = 0; rec && q < p->n_probes && q < 64; q++)
            rows[q] = rec[q] + (size_t)s * (size_t)in->steps * p->probes[q].n;
        st = cx_exec_sample(e, in->x + (size_t)s * xs, (int)in->steps, y + (size_t)s * ys,
                            rec ? rows : NULL);
        cx_progress_update(&prog, (size_t)s + 1);
    }
    cx_progress_finish(&prog);
    if (st == CX_OK) {
        const cx_exec_stats *s = cx_exec_get_stats(e);
        cJSON *df = cx_report_defects(chip, p, e);
        if (df) cJSON_AddItemToObject(rep, "defects", df);
        cJSON_AddItemToObject(rep, "routing", cx_report_routing(e, chip, p->step_ms));
        cJSON_AddItemToObject(rep, "energy", cx_report_energy(e));
        cJSON *sj = cJSON_AddObjectToObject(rep, "run");
        double model_s = (double)s->steps * p->step_ms * 1e-3;
        cJSON_AddNumberToObject(sj, "samples", (double)s->samples);
        cJSON_AddNumberToObject(sj, "steps", (double)s->steps);
        cJSON_AddNumberToObject(sj, "seed", (double)a->seed);
        cJSON_AddBoolToObject(sj, "router", a->router);
        cJSON_AddNumberToObject(sj, "wall_s", s->wall_s);
        cJSON_AddNumberToObject(sj, "wall_s_per_model_s", model_s > 0 ? s->wall_s / model_s : 0);
        cJSON_AddNumberToObject(sj, "clipped_updates", (double)s->tiles.clipped_steps);
        cJSON_AddNumberToObject(sj, "mpi_ranks", cx_mpi_size());
        if (a->heatmap && cx_exec_noc(e) && cx_mpi_rank() == 0)
            st =
                cx_noc_write_svg(cx_exec_noc(e), cx_noc_get_stats(cx_exec_noc(e))->now, a->heatmap);
    }
    cx_exec_free(e);
    return st;
}

/* Outputs (and with --record the probes) before they are allocated. */
static cx_status check_sizes(const run_args *a, const cx_program *p, const cx_inputs *in)
{
    uint64_t per_step = (uint64_t)p->n_outputs, bytes;
    for (int q = 0; a->record && q < p->n_probes; q++)
        per_step += p->probes[q].n;
    if (cx_output_fits((uint64_t)in->samples * (uint64_t)in->steps, 8 * per_step, &bytes))
        return CX_OK;
    return cx_fail(CX_ERR_FIT,
                   "%s: %lld samples x %lld steps x %llu %s need %.3g bytes, more than the "
                   "limit of %llu; run fewer samples (--limit)",
                   a->input ? a->input : a->mnist, (long long)in->samples, (long long)in->steps,
                   (unsigned long long)per_step,
                   a->record ? "outputs and --record probes" : "outputs", (double)bytes,
                   (unsigned long long)CX_MAX_OUTPUT_BYTES);
}

static cx_status run(const run_args *a)
{
    cx_program *p = NULL;
    cx_model *m = NULL;
    cx_chip_config chip;
    memset(&chip, 0, sizeof chip);
    cx_inputs in = {0};
    double *y = NULL, **rec = NULL;
    cJSON *rep = cJSON_CreateObject();
    cx_board board, *bp = NULL;
    memset(&board, 0, sizeof board);
    char *chip_path = a->chip ? NULL : cx_cli_program_sibling(a->program, ".chip.yaml");
    char *board_path = a->board ? NULL : cx_cli_program_sibling(a->program, ".board.yaml");
    cx_status st = cx_program_load(a->program, &p);
    if (st == CX_OK) st = cx_program_load_model(p, a->program, &m);
    if (st == CX_OK && p->board_name && a->chip)
        st = cx_fail(CX_ERR_USAGE, "%s is compiled for board '%s': give --board, not --chip",
                     a->program, p->board_name);
    if (st == CX_OK && !p->board_name && a->board)
        st = cx_fail(CX_ERR_USAGE, "%s is compiled for one chip: give --chip, not --board",
                     a->program);
    if (st == CX_OK && p->board_name) {
        st = cx_board_load(a->board ? a->board : board_path, a->sets, (size_t)a->n_sets, &board);
        bp = &board;
    }
    if (st == CX_OK)
        st = bp ? cx_chip_load(board.chip_file, a->sets, (size_t)a->n_sets, &chip)
                : cx_cli_load_chip(a->chip ? a->chip : chip_path, a->sets, a->n_sets, a->defects,
                                   &chip, NULL);
    if (st == CX_OK)
        st = a->mnist ? cx_cli_load_inputs(a->mnist, p->kind, p->n_inputs, a->limit, &in)
                      : cx_inputs_load(a->input, p->kind, p->n_inputs, a->limit, &in);
    if (st == CX_OK) st = check_sizes(a, p, &in);
    if (st == CX_OK) {
        y = malloc((size_t)(in.samples * in.steps * p->n_outputs) * sizeof *y + 1);
        if (!y) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (st == CX_OK && a->record) {
        rec = calloc((size_t)p->n_probes + 1, sizeof *rec);
        for (int q = 0; rec && q < p->n_probes; q++)
            if (!(rec[q] = malloc(
                      (size_t)(in.samples * in.steps) * p->probes[q].n * sizeof(double) + 1)))
                st = cx_fail(CX_ERR_NOMEM, "out of memory");
        if (!rec) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    cJSON_AddStringToObject(rep, "report", "run");
    cJSON *mj = cJSON_AddObjectToObject(rep, "model");
    cJSON_AddStringToObject(mj, "kind", p ? cx_model_kind_name(p->kind) : "");
    cJSON_AddStringToObject(mj, "dir", p ? p->model_dir : "");
    if (st == CX_OK) {
        cJSON *cj = cJSON_AddObjectToObject(rep, "chip");
        cJSON_AddStringToObject(cj, "name", chip.name ? chip.name : "");
        cJSON_AddStringToObject(cj, "mode", cx_chip_mode_name(chip.tile.mode));
        cJSON_AddNumberToObject(cj, "acceleration", chip.acceleration);
        cJSON_AddNumberToObject(cj, "step_ms", p->step_ms);
        cJSON_AddItemToObject(rep, "resources", cx_report_resources(p, &chip));
        st = simulate(a, p, &chip, bp, &in, y, rec, rep);
    }
    /* every rank holds the outputs; rank 0 writes and reports */
    const int writer = cx_mpi_rank() == 0;
    if (st == CX_OK && writer) st = write_outputs(a, p, &in, y, rec);
    if (st == CX_OK && writer) measure(p, m, &in, y, rep);
    if (st == CX_OK && writer && a->report) st = cx_json_save(a->report, rep);
    if (st == CX_OK && writer) {
        if (a->json) {
            cx_cli_print_json(rep);
            rep = NULL;
        } else {
            cx_report_print(stdout, rep);
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(rep, "run");
            printf("run: %.0f samples x %.0f steps in %.2f s (%.3g s per model second); "
                   "outputs: %s\n",
                   cJSON_GetObjectItem(r, "samples")->valuedouble,
                   cJSON_GetObjectItem(r, "steps")->valuedouble /
                       fmax(1, cJSON_GetObjectItem(r, "samples")->valuedouble),
                   cJSON_GetObjectItem(r, "wall_s")->valuedouble,
                   cJSON_GetObjectItem(r, "wall_s_per_model_s")->valuedouble, a->output);
        }
    }
    cJSON_Delete(rep);
    for (int q = 0; rec && p && q < p->n_probes; q++)
        free(rec[q]);
    free(rec);
    free(y);
    free(chip_path);
    free(board_path);
    cx_inputs_release(&in);
    cx_chip_free(&chip);
    cx_board_free(&board);
    cx_model_free(m);
    cx_program_free(p);
    return st;
}

int cx_cmd_run(int argc, char **argv)
{
    run_args a;
    memset(&a, 0, sizeof a);
    a.sets = calloc((size_t)argc + 1, sizeof *a.sets);
    if (!a.sets) return cx_cli_error("run", cx_fail(CX_ERR_NOMEM, "out of memory"));
    int rc = parse(argc, argv, &a);
    if (rc < 0) {
        cx_status st = run(&a);
        rc = st == CX_OK ? 0 : cx_cli_error("run", st);
        /* a rank that failed alone would leave the others waiting */
        if (rc != 0 && cx_mpi_size() > 1) cx_mpi_abort(rc);
    }
    free(a.sets);
    return rc;
}
