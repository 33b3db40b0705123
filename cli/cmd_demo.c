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
    "Runs the embedded default job: compiles the bundled GLIFR line-by-line MNIST\n"
    "checkpoint (128 neurons) onto configs/chips/default.yaml, calibrated on the four\n"
    "bundled test images, then runs the program on the chip (tiles + router, seed 1)\n"
    "on those images and prints both reports: resources, dynamic range, routing load,\n"
    "predicted and measured output error, energy per inference.\n"
    "\n"
    "  --out DIR   where to write the program and outputs (default: cortile-demo)\n"
    "\n"
    "The bundled data (data/ and configs/) is found through $CORTILE_DATA_DIR, else\n"
    "beside the executable: the checkout it was built in (build/cli/cortile ->\n"
    "data/), or the install prefix (bin/cortile -> share/cortile/data/).\n";

int cx_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
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
    const char *env = getenv("CORTILE_DATA_DIR");
    if (!data && env && *env)
        return cx_cli_error("demo", cx_fail(CX_ERR_MISSING,
                                            "CORTILE_DATA_DIR '%s': no bundled data there (it "
                                            "needs glifr/lmnist_glifr_lheta/config.json)",
                                            env));
    if (!data)
        return cx_cli_error("demo", cx_fail(CX_ERR_MISSING,
                                            "cannot find the bundled data beside this executable; "
                                            "set CORTILE_DATA_DIR to the data/ folder of a cortile "
                                            "checkout"));
    char *model = cx_path_join(data, "glifr/lmnist_glifr_lheta");
    char *input = cx_path_join(data, "glifr/lmnist_glifr_lheta/traces.safetensors");
    char *prog = cx_path_join(out_dir, "lmnist.yaml");
    char *out = cx_path_join(out_dir, "lmnist_outputs.safetensors");
    char chip[4096];
    snprintf(chip, sizeof chip, "%s/../configs/chips/default.yaml", data);
    printf("cortile demo: GLIFR L-MNIST (bundled) compiled onto the default chip\n\n");
    char *c_argv[] = {"compile",       model, "--chip",      chip, "--output", prog,
                      "--calibration", input, "--instances", "8",  NULL};
    int rc = cx_cmd_compile(10, c_argv);
    if (rc == 0) {
        printf("\n");
        char *r_argv[] = {"run", prog, "--input", input, "--output", out, NULL};
        rc = cx_cmd_run(6, r_argv);
    }
    free(model);
    free(input);
    free(prog);
    free(out);
    return rc;
}
