/* cortile sweep: Monte-Carlo and design sweeps over chip descriptions. */
#define _POSIX_C_SOURCE 200809L
#include "cx_cli.h"
#include "cx_mpi.h"
#include "cx_sweep.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: cortile sweep SWEEP.yaml --output DIR [-j N] [--restart] [--no-plots] [--json]\n"
    "       cortile sweep SWEEP.yaml --output DIR --plots-only\n"
    "       cortile sweep SWEEP.yaml --list\n"
    "\n"
    "Runs the points of a sweep description (format: configs/sweeps/README.md): the\n"
    "full grid of its axes (chip keys) times its seeds (chip instances). Every point\n"
    "compiles the model for its chip (programs are shared by points whose chips differ\n"
    "only in keys the compiler does not read, e.g. noise.* and acceleration), runs it\n"
    "on the chip with its router (or the fast kernel) and records the error against\n"
    "the reference simulator, accuracy (labelled inputs), routing load, late and\n"
    "dropped spikes and energy per inference. A point that fails (a model that does\n"
    "not fit) is an error row.\n"
    "\n"
    "DIR receives results.csv and results.jsonl (one row per point, sorted by point\n"
    "id, identical for any -j, MPI rank count or resume), timing.jsonl, summary.json,\n"
    "sweep.json, the plots (SVG) and index.html. Running the same command again\n"
    "resumes: finished points are kept. Under mpirun the points are spread over the\n"
    "ranks and rank 0 writes the files.\n"
    "\n"
    "  --output DIR   results folder (created when missing)\n"
    "  -j, --jobs N   worker processes (default 1: in this process); per rank under mpirun\n"
    "  --restart      discard the results already in DIR and start over\n"
    "  --plots-only   redraw the plots and index.html from DIR/results.csv\n"
    "  --no-plots     skip the plots and index.html\n"
    "  --list         print the points (axis values, seed, program) without running them\n"
    "  --json         print the summary as JSON instead of text\n";

enum { O_OUT = 256, O_RESTART, O_PLOTS_ONLY, O_NO_PLOTS, O_LIST, O_JSON };

typedef struct {
    const char *spec, *output;
    long jobs;
    int restart, plots_only, plots, list, json;
} sweep_args;

static int parse(int argc, char **argv, sweep_args *a)
{
    static const struct option opts[] = {{"output", required_argument, 0, O_OUT},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"restart", no_argument, 0, O_RESTART},
                                         {"plots-only", no_argument, 0, O_PLOTS_ONLY},
                                         {"no-plots", no_argument, 0, O_NO_PLOTS},
                                         {"list", no_argument, 0, O_LIST},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    a->jobs = 1;
    a->plots = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
        switch (c) {
        case O_OUT:
            a->output = optarg;
            break;
        case 'j':
            if (cx_cli_opt_long("sweep", "-j", optarg, 1, 1024, &a->jobs)) return 2;
            break;
        case O_RESTART:
            a->restart = 1;
            break;
        case O_PLOTS_ONLY:
            a->plots_only = 1;
            break;
        case O_NO_PLOTS:
            a->plots = 0;
            break;
        case O_LIST:
            a->list = 1;
            break;
        case O_JSON:
            a->json = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cx_cli_usage("sweep", "unknown option");
        }
    }
    if (optind + 1 != argc) return cx_cli_usage("sweep", "expected one SWEEP.yaml");
    a->spec = argv[optind];
    if (!a->list && !a->output) return cx_cli_usage("sweep", "missing --output DIR");
    if (a->plots_only && (a->restart || !a->plots))
        return cx_cli_usage("sweep", "--plots-only goes with neither --restart nor --no-plots");
    return -1;
}

static int axis_width(const cx_sweep_axis *ax)
{
    int w = (int)strlen(ax->name);
    for (size_t i = 0; i < ax->n; i++)
        if ((int)strlen(ax->text[i]) > w) w = (int)strlen(ax->text[i]);
    return w;
}

/* The points in order, with their program (compile group). */
static cx_status list(const cx_sweep_spec *s)
{
    cx_sweep_plan *plan;
    CX_TRY(cx_sweep_plan_build(s, &plan));
    size_t n = cx_sweep_points(s), invalid = 0;
    printf("sweep %s: %zu grid cells x %zu seeds = %zu points, %zu programs\n", s->name,
           cx_sweep_cells(s), s->n_seeds, n, plan->n_groups);
    printf("%6s", "point");
    for (size_t a = 0; a < s->n_axes; a++)
        printf("  %-*s", axis_width(&s->axes[a]), s->axes[a].name);
    printf("  %6s  %s\n", "seed", "program");
    size_t idx[s->n_axes + 1];
    for (size_t id = 0; id < n; id++) {
        size_t cell, si;
        cx_sweep_point_of(s, id, &cell, &si, idx);
        printf("%6zu", id);
        for (size_t a = 0; a < s->n_axes; a++)
            printf("  %-*s", axis_width(&s->axes[a]), s->axes[a].text[idx[a]]);
        printf("  %6llu  ", (unsigned long long)s->seeds[si]);
        if (plan->group[cell] >= 0)
            printf("%d\n", plan->group[cell]);
        else
            printf("invalid chip\n"), invalid += si == 0;
    }
    for (size_t c = 0; invalid && c < plan->n_cells; c++)
        if (plan->cell_error[c]) printf("cell %zu: %s\n", c, plan->cell_error[c]);
    cx_sweep_plan_free(plan);
    return CX_OK;
}

static cx_status run(const sweep_args *a)
{
    cx_sweep_spec *s;
    CX_TRY(cx_sweep_spec_load(a->spec, &s));
    cx_status st = CX_OK;
    int root = cx_mpi_rank() == 0;
    if (a->list) {
        if (root) st = list(s);
    } else if (a->plots_only) {
        int n = 0;
        if (root) st = cx_sweep_plots(s, a->output, &n);
        if (st == CX_OK && root)
            printf("plots: %d SVG files and %s/index.html from %s/results.csv\n", n, a->output,
                   a->output);
    } else {
        cx_sweep_opts o = {
            .output = a->output, .jobs = (int)a->jobs, .restart = a->restart, .plots = a->plots};
        cJSON *sum = NULL;
        st = cx_sweep_run(s, &o, &sum);
        if (st == CX_OK && sum) {
            if (a->json) {
                cx_cli_print_json(sum);
                sum = NULL;
            } else {
                cx_sweep_summary_print(stdout, sum);
            }
        }
        cJSON_Delete(sum);
    }
    cx_sweep_spec_free(s);
    return st;
}

int cx_cmd_sweep(int argc, char **argv)
{
    sweep_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(argc, argv, &a);
    if (rc >= 0) return rc;
    cx_status st = run(&a);
    if (st == CX_OK) return 0;
    if (cx_mpi_rank() != 0) return 1; /* every rank fails together; rank 0 reports */
    return cx_cli_error("sweep", st);
}
