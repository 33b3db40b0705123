/* cortile demo: the embedded default job on the bundled checkpoint and input. */
#define _POSIX_C_SOURCE 200809L
#include "cx_cli.h"
#include "cx_fileio.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: cortile demo [--out DIR]\n"
    "\n"
    "Runs the embedded default: the float64 reference simulator of the bundled ELM\n"
    "checkpoint num_memory_20 on 600 ms of bundled NeuronIO input, then compares the\n"
    "result with the upstream PyTorch outputs (tolerance 1e-9).\n"
    "\n"
    "  --out DIR   where to write demo_outputs.safetensors (default: cortile-demo)\n"
    "\n"
    "The bundled data is found through $CORTILE_DATA_DIR, else the source tree.\n";

const char *cx_cli_data_dir(void)
{
    const char *env = getenv("CORTILE_DATA_DIR");
    return env && *env ? env : CORTILE_DATA_DIR;
}

int cx_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out_dir = "cortile-demo";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'o')
            out_dir = optarg;
        else if (c == 'h') {
            fputs(help, stdout);
            return 0;
        } else
            return cx_cli_usage("demo", "unknown option");
    }
    if (optind != argc) return cx_cli_usage("demo", "unexpected argument '%s'", argv[optind]);
    mkdir(out_dir, 0755);
    const char *data = cx_cli_data_dir();
    char *model = cx_path_join(data, "elm/num_memory_20");
    char *input = cx_path_join(data, "elm/inputs_small.safetensors");
    char *ref = cx_path_join(data, "elm/num_memory_20/outputs_small.safetensors");
    char *out = cx_path_join(out_dir, "demo_outputs.safetensors");
    printf("cortile demo: ELM num_memory_20 (bundled) on 600 ms of NeuronIO input\n\n");
    char *ref_argv[] = {"reference", model, "--input", input, "--output", out, NULL};
    int rc = cx_cmd_reference(6, ref_argv);
    if (rc == 0) {
        printf("\nagainst the upstream PyTorch float64 outputs:\n");
        char *cmp_argv[] = {"compare", out, ref, "--tol", "1e-9", NULL};
        rc = cx_cmd_compare(5, cmp_argv);
    }
    free(model);
    free(input);
    free(ref);
    free(out);
    return rc;
}
