/* Subcommands of the cortile binary and helpers they share. */
#ifndef CX_CLI_H
#define CX_CLI_H

#include "cx_board.h"
#include "cx_chip.h"
#include "cx_glifr.h"
#include "cx_inputs.h"
#include "cx_yaml.h"
#include "cx_status.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    int mpi;                           /* runs over MPI ranks (sweep, run) */
} cx_command;

int cx_cmd_reference(int argc, char **argv);
int cx_cmd_compare(int argc, char **argv);
int cx_cmd_demo(int argc, char **argv);
int cx_cmd_noc(int argc, char **argv);
int cx_cmd_chip(int argc, char **argv);
int cx_cmd_tile(int argc, char **argv);
int cx_cmd_bench(int argc, char **argv);
int cx_cmd_compile(int argc, char **argv);
int cx_cmd_run(int argc, char **argv);
int cx_cmd_sweep(int argc, char **argv);
int cx_cmd_synth(int argc, char **argv);

/* Classifies the MNIST test set in dir (t10k-*-ubyte[.gz]) with a GLIFR
 * L-MNIST checkpoint: the first `limit` images (all when limit <= 0). */
cx_status cx_reference_mnist(const char *dir, const cx_glifr_model *m, long limit, long *samples,
                             long *correct, double *seconds);

/* Folder of the bundled fixtures: $CORTILE_DATA_DIR, else found beside the
 * executable (the checkout it runs from, then the install prefix), else the
 * source tree it was built from; NULL when none holds them. */
const char *cx_cli_data_dir(void);

/* Prints "cortile CMD: message" for the last error and returns the exit code. */
int cx_cli_error(const char *cmd, cx_status st);
/* Prints a usage error and returns 2. */
int cx_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a JSON document to stdout (pretty) and frees it. */
void cx_cli_print_json(cJSON *doc);
/* A chip file, its defects section replaced by that of the YAML file
 * `defects` (NULL: none; --defects), then "key=value" overrides; *doc
 * (optional) keeps the document. */
cx_status cx_cli_load_chip(const char *path, const char *const *sets, int n, const char *defects,
                           cx_chip_config *chip, cx_yaml_doc **doc);
/* PROGRAM.yaml -> PROGRAM<suffix> (malloc'd). */
char *cx_cli_program_sibling(const char *program, const char *suffix);
/* Model inputs from a safetensors file, or an MNIST folder (L-MNIST GLIFR). */
cx_status cx_cli_load_inputs(const char *path, cx_model_kind kind, int n_inputs, long limit,
                             cx_inputs *in);
/* Parses a double / long argument; 0 on success. */
int cx_cli_parse_double(const char *s, double *out);
int cx_cli_parse_long(const char *s, long *out);

/* Every numeric option goes through these, so a bad value is one usage line
 * naming the option and its range ("--chips needs an integer in 0..4096,
 * got '-1'"). `opt` is the option as documented ("--chips"). Integers also
 * take a float literal with an integral value (1e6). Each returns 0, or
 * prints the usage error and returns 2, the exit code. */
int cx_cli_opt_long(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out);
int cx_cli_opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t lo, uint64_t hi,
                   uint64_t *out);
/* Finite reals in [lo, hi], lo itself excluded when lo_open. */
int cx_cli_opt_double(const char *cmd, const char *opt, const char *arg, double lo, int lo_open,
                      double hi, double *out);

#endif
