/* Helpers shared by the Check suites. */
#ifndef CX_TEST_UTIL_H
#define CX_TEST_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stddef.h>

/* Path under the shared fixtures (reference/...), or NULL when they are absent. */
char *cx_test_shared(const char *rel);
/* Path under the repository's bundled data/. */
char *cx_test_data(const char *rel);
/* A fresh path in a per-process scratch folder. */
char *cx_test_tmp(const char *name);

/* Runs the cortile CLI with a shell-quoted argument string; captures stdout
 * and stderr (caller frees) and returns the exit status (-1 on a signal). */
int cx_test_cli(const char *args, char **out, char **err);
/* From now on cx_test_cli runs the CLI under `timeout SECONDS` (0: none), so
 * that a run that hangs fails its test (exit 124) instead of the suite. */
void cx_test_cli_timeout(int seconds);

/* The command prefix that launches K ranks as `PREFIX -n K cortile ...`:
 * mpirun with Open MPI's run-as-root variables, yielding when idle (more
 * ranks than cores), LeakSanitizer off (the MPI runtime is not leak-clean).
 * NULL when there is no mpirun or the suite runs under valgrind (the reason
 * is printed, naming `what`). */
const char *cx_test_mpirun(const char *what);

/* Runs `cortile ARGS` and asserts a refusal: exit code want_rc; stderr one
 * line (exit 2: the usage line and its "Try ... --help" hint) holding every
 * fragment of the NULL-terminated list, and no sanitizer report; and, when
 * keep is not NULL, the file at keep left as it was before the run (or still
 * absent). `what` names the case in failure messages. */
void cx_test_refused(const char *what, const char *args, int want_rc, const char *keep,
                     const char *const *fragments);

/* Writes bytes to a file (test fixtures). */
void cx_test_write(const char *path, const void *data, size_t n);
/* A whole file, NUL-terminated (caller frees); *n (optional) gets its size.
 * Fails the test when the file cannot be read. */
char *cx_test_slurp(const char *path, size_t *n);
/* 1 when the two files hold the same bytes (both must be readable). */
int cx_test_same_file(const char *a, const char *b);

/* Runs a suite; returns the process exit code (0 when all pass). */
int cx_test_main(Suite *s);

/* Runs a GLIFR checkpoint on the `x` of an upstream traces file and asserts
 * y and S within 1e-9 absolute, V, I_syn and I_asc within 1e-9 x max(1, |ref|). */
void cx_test_check_glifr_traces(const char *model_dir, const char *traces);

#endif

#include "cx_model.h"
/* Loads a checkpoint folder (kind from its config), failing the test with the error otherwise. */
cx_model *cx_test_model(const char *dir);

#include "cx_st.h"
/* max |v - ref| (rel = 0) or max |v - ref| / max(1, |ref|) (rel = 1) over a tensor. */
double cx_test_max_diff(const cx_st_tensor *ref, const double *v, int rel);
/* Opens a safetensors file, failing the test on error. */
cx_st_file *cx_test_open(const char *path);

#include "cx_tile.h"
/* The default chip with every noise, mismatch and quantization source off.
 * Scalars only (name, description and hosts are cleared): nothing to free. */
cx_chip_config cx_test_quiet_chip(void);
/* A tile of `tile` with `seed`, failing the test with the error message otherwise. */
cx_tile *cx_test_tile(const cx_chip_config *c, const cx_tile_netlist *net, uint64_t seed,
                      uint32_t tile);
