/* The state of a running sweep, shared by its driver (engine.c), its
 * output files (engine_files.c) and its workers and ranks
 * (engine_workers.c). Not a public header. */
#ifndef CX_SWEEP_ENGINE_INTERNAL_H
#define CX_SWEEP_ENGINE_INTERNAL_H

#include "sweep_internal.h"

#include "cx_progress.h"

#include <cJSON.h>

/* MPI tags of the messages to rank 0. */
enum { TAG_ROW = 1, TAG_DONE = 2, TAG_FAIL = 3 };

/* A finished point as it travels from a worker (pipe) or a rank (MPI). */
typedef struct {
    uint64_t id;
    uint32_t len;     /* bytes of the JSON line (or of the error message) that follow */
    int32_t compiled; /* -1: the worker failed; the bytes are its message */
    double compile_s, run_s;
    int32_t rank, worker;
} msg_head;

typedef struct {
    const cx_sweep_spec *s;
    const cx_sweep_plan *plan;
    const cx_sweep_opts *o;
    cx_sweep_worker *w;
    size_t n_points;
    int rank, ranks;
    /* rank 0 */
    cx_sweep_row *rows; /* rows[id].num == NULL: not done */
    size_t n_done, n_resumed, n_new, n_ignored;
    int journal_fd, timing_fd;
    char *dir_json, *csv_path, *jsonl_path, *timing_path, *summary_path;
    double last_csv_s, csv_every_s, start_s;
    cx_progress prog;
    size_t compiles;
    double compile_s, run_s;
    int remote_done;
} engine;

/* ---- engine_files.c: rank 0's files ---- */
/* Writes all n bytes to fd; errors name `what`. */
cx_status cx_sweep_write_all(int fd, const void *buf, size_t n, const char *what);
/* The output folder: created, or resumed from its journal (sweep.json must
 * match the plan unless --restart). */
cx_status cx_sweep_prepare_dir(engine *E);
/* A finished point reaches rank 0: journal, timing, progress. */
cx_status cx_sweep_record(engine *E, const msg_head *h, const char *line);
cx_status cx_sweep_write_csv(engine *E);
/* The final files: sorted journal, results.csv, plots, summary.json. */
cx_status cx_sweep_finish(engine *E, double compute_s, cJSON **summary);

/* ---- engine_workers.c: where the points run ---- */
/* This process's share of the points, in this process (-j 1) or forked workers. */
cx_status cx_sweep_run_points(engine *E, const size_t *ids, size_t n);
/* Rank 0: one message from another rank (block: wait for it). */
cx_status cx_sweep_take_remote(engine *E, int block);

#endif
