/* cortile demo: the embedded default job on the bundled checkpoint and input. */
#define _POSIX_C_SOURCE 200809L
#include "cx_cli.h"
#include "cx_fileio.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
    "usage: cortile demo [--out DIR] [--json]\n"
    "\n"
    "Runs the embedded default job: compiles the bundled GLIFR line-by-line MNIST\n"
    "checkpoint (128 neurons) onto configs/chips/default.yaml, calibrated on the four\n"
    "bundled test images, then runs the program on the chip (tiles + router, seed 1)\n"
    "on those images and prints both reports: resources, dynamic range, routing load,\n"
    "predicted and measured output error, energy per inference. DIR gets the\n"
    "program, the outputs and both reports as JSON (compile_report.json,\n"
    "run_report.json).\n"
    "\n"
    "  --out DIR   where to write the program and outputs (default: cortile-demo)\n"
    "  --json      print {\"compile\": ..., \"run\": ...} (both reports) instead of text\n"
    "\n"
    "The bundled data (data/ and configs/) is found through $CORTILE_DATA_DIR, else\n"
    "beside the executable: the checkout it was built in (build/cli/cortile ->\n"
    "data/), or the install prefix (bin/cortile -> share/cortile/data/).\n"
    "\n"
    "example: cortile demo --out /tmp/demo\n"
    "exit codes: 0 done, 1 error (one line on stderr), 2 bad command line\n";

/* Both reports of the demo as one JSON document on stdout. */
static int print_reports(const char *compile_json, const char *run_json)
{
    cJSON *doc = cJSON_CreateObject();
    const char *names[2] = {"compile", "run"}, *paths[2] = {compile_json, run_json};
    for (int i = 0; i < 2; i++) {
        uint8_t *text = NULL;
        size_t n;
        cx_status st = cx_read_file(paths[i], &text, &n);
        cJSON *rep = st == CX_OK ? cJSON_Parse((const char *)text) : NULL;
        free(text);
        if (!rep) {
            cJSON_Delete(doc);
            return cx_cli_error(
                "demo", st != CX_OK ? st : cx_fail(CX_ERR_FORMAT, "%s: not JSON", paths[i]));
        }
        cJSON_AddItemToObject(doc, names[i], rep);
    }
    cx_cli_print_json(doc);
    return 0;
}

int cx_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out_dir = "cortile-demo";
    int c, json = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'o')
            out_dir = optarg;
        else if (c == 'j')
            json = 1;
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
    char *c_rep = cx_path_join(out_dir, "compile_report.json");
    char *r_rep = cx_path_join(out_dir, "run_report.json");
    /* --json: the commands' text goes nowhere, their reports come back as one document */
    int saved = -1;
    fflush(stdout);
    if (json) {
        saved = dup(STDOUT_FILENO);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, STDOUT_FILENO), close(null);
    }
    printf("cortile demo: GLIFR L-MNIST (bundled) compiled onto the default chip\n\n");
    char *c_argv[] = {"compile",  model,           "--chip", chip,          "--output",
                      prog,       "--calibration", input,    "--instances", "8",
                      "--report", c_rep,           NULL};
    int rc = cx_cmd_compile(12, c_argv);
    if (rc == 0) {
        printf("\n");
        char *r_argv[] = {"run", prog, "--input", input, "--output", out, "--report", r_rep, NULL};
        rc = cx_cmd_run(8, r_argv);
    }
    fflush(stdout);
    if (saved >= 0) dup2(saved, STDOUT_FILENO), close(saved);
    if (rc == 0 && json) rc = print_reports(c_rep, r_rep);
    free(c_rep);
    free(r_rep);
    free(model);
    free(input);
    free(prog);
    free(out);
    return rc;
}
