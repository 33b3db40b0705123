/* cortile: one binary, one subcommand per job. */
#include "cx_cli.h"
#include "cx_mpi.h"

#include <stdio.h>
#include <string.h>

static const cx_command commands[] = {
    {"demo", "run the embedded default job on bundled data", cx_cmd_demo, 0},
    {"reference", "run the float64 reference simulator of a checkpoint", cx_cmd_reference, 0},
    {"compare", "compare tensors of two safetensors files", cx_cmd_compare, 0},
    {"noc", "simulate the spike router mesh under synthetic or trace traffic", cx_cmd_noc, 0},
    {"chip", "validate and summarize chip descriptions", cx_cmd_chip, 0},
    {"tile", "run a hand-written netlist on one tile of a chip", cx_cmd_tile, 0},
    {"compile", "compile a trained checkpoint onto a chip (program + report)", cx_cmd_compile, 0},
    {"run", "run a compiled program on the chip (tiles + router)", cx_cmd_run, 1},
    {"sweep", "Monte-Carlo and design sweeps over chip descriptions", cx_cmd_sweep, 1},
    {"synth", "write a random GLIFR network of any size (checkpoint + inputs)", cx_cmd_synth, 0},
    {"bench", "built-in benchmarks (tile: compartment updates per second)", cx_cmd_bench, 0},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *fp)
{
    fprintf(fp, "usage: cortile COMMAND [ARGS] (cortile COMMAND --help for details)\n\n"
                "cortile simulates analog neuromorphic chips built from cortical tiles\n"
                "and maps trained ELM and GLIFR neuron models onto them.\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(fp, "  %-11s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("cortile %s\n", CORTILE_VERSION);
        return 0;
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            /* MPI starts only under a launcher; commands without multi-rank
             * work are refused there rather than run K times */
            cx_mpi_init(&argc, &argv);
            int rc;
            if (cx_mpi_size() > 1 && !commands[i].mpi)
                rc =
                    cx_cli_usage(argv[1], "does not run over MPI ranks (launch it without mpirun)");
            else
                rc = commands[i].run(argc - 1, argv + 1);
            cx_mpi_finalize();
            return rc;
        }
    fprintf(stderr, "cortile: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
