/* Running a sweep: the output folder and resuming, worker processes (-j)
 * and MPI ranks, the journal, the final files and the summary.
 *
 * Files (rank 0 alone writes):
 * - results.jsonl: the journal while running (each finished row appended
 *   with one write() on an O_APPEND descriptor, in finishing order; a torn
 *   last line is dropped on resume), rewritten sorted by point id at the end;
 * - results.csv: rewritten atomically (tmp + rename), sorted by point id, at
 *   most once a second while running and at the end;
 * - sweep.json: the description's hash; a resume with another hash is refused;
 * - timing.jsonl: wall times per point (the only time-dependent record);
 * - summary.json, the plots and index.html at the end.
 * The files are engine_files.c's, the workers and ranks engine_workers.c's;
 * this file starts and ends a run. */
#define _POSIX_C_SOURCE 200809L
#include "engine_internal.h"

#include "cx_fileio.h"
#include "cx_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void engine_free(engine *E)
{
    for (size_t id = 0; E->rows && id < E->n_points; id++)
        if (E->rows[id].num) cx_sweep_row_release(E->s, &E->rows[id]);
    free(E->rows);
    if (E->journal_fd >= 0) close(E->journal_fd);
    if (E->timing_fd >= 0) close(E->timing_fd);
    free(E->dir_json);
    free(E->csv_path);
    free(E->jsonl_path);
    free(E->timing_path);
    free(E->summary_path);
    cx_sweep_worker_free(E->w);
}

/* Rank 0 decides (folder, resume) and tells the others what is left;
 * *mine receives this rank's share (every ranks-th pending point). */
static cx_status agree(engine *E, cx_status st, size_t **mine, size_t *n_mine, size_t *n_pending)
{
    if (!cx_mpi_all(st == CX_OK)) {
        if (st != CX_OK) return st;
        return cx_fail(CX_ERR_VALUE, "another rank could not start the sweep");
    }
    uint64_t h = E->plan->hash;
    cx_mpi_bcast(&h, sizeof h, 0);
    if (!cx_mpi_all(h == E->plan->hash))
        return cx_fail(CX_ERR_VALUE, "the ranks read different sweep, model or input files");
    uint64_t n = 0;
    if (E->rank == 0)
        for (size_t id = 0; id < E->n_points; id++)
            n += !E->rows[id].num;
    cx_mpi_bcast(&n, sizeof n, 0);
    uint64_t *ids = malloc((size_t)(n + 1) * sizeof *ids);
    size_t *m = malloc((size_t)(n + 1) * sizeof *m), k = 0;
    if (!ids || !m) {
        free(ids);
        free(m);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (E->rank == 0)
        for (size_t id = 0, i = 0; id < E->n_points; id++)
            if (!E->rows[id].num) ids[i++] = id;
    cx_mpi_bcast(ids, (size_t)n * sizeof *ids, 0);
    for (uint64_t i = (uint64_t)E->rank; i < n; i += (uint64_t)E->ranks)
        m[k++] = (size_t)ids[i];
    free(ids);
    *mine = m;
    *n_mine = k;
    *n_pending = (size_t)n;
    return CX_OK;
}

cx_status cx_sweep_run(const cx_sweep_spec *s, const cx_sweep_opts *o, cJSON **summary)
{
    if (summary) *summary = NULL;
    engine E = {.s = s,
                .o = o,
                .rank = cx_mpi_rank(),
                .ranks = cx_mpi_size(),
                .journal_fd = -1,
                .timing_fd = -1};
    E.n_points = cx_sweep_points(s);
    E.start_s = cx_now_s();
    cx_sweep_plan *plan = NULL;
    cx_status st = cx_sweep_plan_build(s, &plan);
    E.plan = plan;
    if (st == CX_OK) st = cx_sweep_worker_alloc(s, plan, &E.w);
    if (st == CX_OK && E.rank == 0) {
        E.rows = calloc(E.n_points + 1, sizeof *E.rows);
        E.dir_json = cx_path_join(o->output, "sweep.json");
        E.csv_path = cx_path_join(o->output, "results.csv");
        E.jsonl_path = cx_path_join(o->output, "results.jsonl");
        E.timing_path = cx_path_join(o->output, "timing.jsonl");
        E.summary_path = cx_path_join(o->output, "summary.json");
        if (!E.rows || !E.dir_json || !E.csv_path || !E.jsonl_path || !E.timing_path ||
            !E.summary_path)
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
        if (st == CX_OK) st = cx_sweep_prepare_dir(&E);
    }
    size_t *mine = NULL, n_mine = 0, n_pending = 0;
    /* every rank reaches agree() so that none waits for a failed one */
    st = agree(&E, st, &mine, &n_mine, &n_pending);
    double t0 = cx_now_s();
    if (st == CX_OK && E.rank == 0) {
        cx_progress_start(&E.prog, "sweep", n_pending);
        E.last_csv_s = t0;
        E.csv_every_s = 1.0;
    }
    int started = st == CX_OK;
    if (started) st = cx_sweep_run_points(&E, mine, n_mine);
    if (started && E.rank != 0) {
        /* rank 0 learns of the end, or of the failure */
        const char *msg = st == CX_OK ? "" : cx_last_error();
        cx_status sent = cx_mpi_send(msg, strlen(msg), 0, st == CX_OK ? TAG_DONE : TAG_FAIL);
        if (st == CX_OK) st = sent;
    }
    while (st == CX_OK && E.rank == 0 && E.remote_done < E.ranks - 1)
        st = cx_sweep_take_remote(&E, 1);
    /* every rank ends here, so a failure anywhere ends them all (rows are
     * small enough to be sent eagerly: nobody waits on a stopped rank 0) */
    if (!cx_mpi_all(st == CX_OK) && st == CX_OK)
        st = cx_fail(CX_ERR_VALUE, "the sweep failed on another rank");
    double compute_s = cx_now_s() - t0;
    if (E.rank == 0 && E.rows) {
        cx_progress_finish(&E.prog);
        if (st == CX_OK) {
            st = cx_sweep_finish(&E, compute_s, summary);
        } else if (E.csv_path && E.n_done) {
            cx_status keep = st;
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", cx_last_error());
            cx_sweep_write_csv(&E);
            cx_fail(keep, "%s (%zu finished points are kept in %s; run again to resume)", msg,
                    E.n_done, E.jsonl_path);
        }
    }
    free(mine);
    engine_free(&E);
    cx_sweep_plan_free(plan);
    return st;
}
