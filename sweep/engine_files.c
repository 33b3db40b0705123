/* A sweep's output folder, written by rank 0 alone (see engine.c): the
 * journal and resuming, results.csv, sweep.json, timing.jsonl, and at the
 * end the sorted files, the plots and summary.json. */
#define _POSIX_C_SOURCE 200809L
#include "engine_internal.h"

#include "cx_fileio.h"
#include "cx_json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

cx_status cx_sweep_write_all(int fd, const void *buf, size_t n, const char *what)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return cx_fail(CX_ERR_IO, "%s: write failed: %s", what, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return CX_OK;
}

static cx_status mkdir_p(const char *dir)
{
    char *p = strdup(dir);
    if (!p) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c) continue;
        char keep = *c;
        *c = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            cx_status st =
                cx_fail(CX_ERR_IO, "%s: cannot create the folder: %s", p, strerror(errno));
            free(p);
            return st;
        }
        *c = keep;
        if (!keep) break;
    }
    free(p);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return cx_fail(CX_ERR_IO, "%s: not a folder", dir);
    return CX_OK;
}

static char *hex64(uint64_t h, char buf[17])
{
    snprintf(buf, 17, "%016llx", (unsigned long long)h);
    return buf;
}

/* ------------------------------------------------------------ rank 0: files */

cx_status cx_sweep_write_csv(engine *E)
{
    cx_strbuf b = {0};
    cx_sweep_header_csv(E->s, &b);
    for (size_t id = 0; id < E->n_points; id++)
        if (E->rows[id].num) cx_sweep_row_csv(E->s, &E->rows[id], &b);
    double t0 = cx_now_s();
    cx_status st = cx_strbuf_write(&b, E->csv_path);
    E->last_csv_s = cx_now_s();
    /* big sweeps: the snapshot may take at most a twentieth of the time */
    E->csv_every_s = fmax(1.0, 20 * (E->last_csv_s - t0));
    return st;
}

static cx_status write_jsonl_sorted(engine *E)
{
    cx_strbuf b = {0};
    for (size_t id = 0; id < E->n_points; id++)
        if (E->rows[id].num) cx_sweep_row_json(E->s, &E->rows[id], &b);
    return cx_strbuf_write(&b, E->jsonl_path);
}

/* The row's axis values and seed are those of its point id. */
static int row_matches_plan(const engine *E, const cx_sweep_row *r)
{
    const cx_sweep_spec *s = E->s;
    size_t si, idx[s->n_axes + 1];
    cx_sweep_point_of(s, r->id, NULL, &si, idx);
    for (size_t a = 0; a < s->n_axes; a++) {
        size_t c = CX_SWEEP_LEAD_COLS + a;
        if (s->axes[a].is_text ? strcmp(r->text[c], s->axes[a].text[idx[a]])
                               : r->num[c] != s->axes[a].num[idx[a]])
            return 0;
    }
    return r->num[cx_sweep_rcol(s, COL_SEED)] == (double)s->seeds[si];
}

/* Reads the journal of an earlier run; drops a torn last line. */
static cx_status read_journal(engine *E)
{
    if (!cx_path_exists(E->jsonl_path)) return CX_OK;
    uint8_t *buf;
    size_t size;
    CX_TRY(cx_read_file(E->jsonl_path, &buf, &size));
    const char *text = (const char *)buf;
    size_t pos = 0, line_no = 0, complete = 0;
    cx_sweep_row r;
    cx_status st = cx_sweep_row_init(E->s, &r);
    while (st == CX_OK && pos < size) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        if (!nl) break; /* torn: the run was killed inside a write */
        size_t len = (size_t)(nl - (text + pos));
        line_no++;
        if (cx_sweep_row_parse(E->s, text + pos, len, &r) != CX_OK) {
            E->n_ignored++;
        } else if (!row_matches_plan(E, &r)) {
            st = cx_fail(CX_ERR_VALUE,
                         "%s:%zu: point %zu does not match the sweep description (run with "
                         "--restart to start over)",
                         E->jsonl_path, line_no, r.id);
        } else if (!E->rows[r.id].num) {
            E->rows[r.id] = r;
            E->n_done++;
            E->n_resumed++;
            st = cx_sweep_row_init(E->s, &r);
        }
        pos += len + 1;
        complete = pos;
    }
    cx_sweep_row_release(E->s, &r);
    free(buf);
    if (st == CX_OK && complete < size) {
        E->n_ignored++;
        if (truncate(E->jsonl_path, (off_t)complete) != 0)
            st = cx_fail(CX_ERR_IO, "%s: cannot drop the torn last line: %s", E->jsonl_path,
                         strerror(errno));
    }
    return st;
}

static cx_status sweep_json(engine *E)
{
    const cx_sweep_spec *s = E->s;
    char hex[17];
    hex64(E->plan->hash, hex);
    if (cx_path_exists(E->dir_json)) {
        uint8_t *buf;
        size_t n;
        CX_TRY(cx_read_file(E->dir_json, &buf, &n));
        cJSON *j = cJSON_ParseWithLength((const char *)buf, n);
        free(buf);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "hash");
        cx_status st = CX_OK;
        if (!cJSON_IsString(h))
            st = cx_fail(CX_ERR_FORMAT, "%s: not a sweep record (no \"hash\")", E->dir_json);
        else if (strcmp(h->valuestring, hex))
            st = cx_fail(CX_ERR_VALUE,
                         "%s: the results in %s come from a different sweep description or "
                         "different model, chip or input files (hash %s, now %s); run with "
                         "--restart to discard them, or choose another --output",
                         E->dir_json, E->o->output, h->valuestring, hex);
        cJSON_Delete(j);
        return st;
    }
    if (cx_path_exists(E->jsonl_path))
        return cx_fail(CX_ERR_VALUE,
                       "%s exists without %s: not a sweep folder of this description; run with "
                       "--restart to discard it, or choose another --output",
                       E->jsonl_path, E->dir_json);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "format", "cortile sweep 1");
    cJSON_AddStringToObject(j, "sweep", s->file);
    cJSON_AddStringToObject(j, "name", s->name);
    cJSON_AddStringToObject(j, "description", s->description);
    cJSON_AddStringToObject(j, "hash", hex);
    cJSON_AddNumberToObject(j, "points", (double)E->n_points);
    cJSON_AddNumberToObject(j, "cells", (double)cx_sweep_cells(s));
    cJSON_AddNumberToObject(j, "seeds", (double)s->n_seeds);
    cJSON_AddNumberToObject(j, "programs", (double)E->plan->n_groups);
    cJSON *cols = cJSON_AddArrayToObject(j, "columns");
    for (size_t c = 0; c < s->n_cols; c++)
        cJSON_AddItemToArray(cols, cJSON_CreateString(s->col_names[c]));
    cx_status st = cx_json_save(E->dir_json, j);
    cJSON_Delete(j);
    return st;
}

static cx_status open_append(const char *path, int *fd)
{
    *fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0) return cx_fail(CX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    return CX_OK;
}

cx_status cx_sweep_prepare_dir(engine *E)
{
    CX_TRY(mkdir_p(E->o->output));
    if (E->o->restart) {
        const char *paths[] = {E->csv_path, E->jsonl_path, E->timing_path, E->summary_path,
                               E->dir_json};
        for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
            if (remove(paths[i]) != 0 && errno != ENOENT)
                return cx_fail(CX_ERR_IO, "%s: cannot remove: %s", paths[i], strerror(errno));
    }
    CX_TRY(sweep_json(E));
    CX_TRY(read_journal(E));
    CX_TRY(open_append(E->jsonl_path, &E->journal_fd));
    return open_append(E->timing_path, &E->timing_fd);
}

/* A finished point reaches rank 0: journal, timing, progress. */
cx_status cx_sweep_record(engine *E, const msg_head *h, const char *line)
{
    cx_sweep_row r;
    CX_TRY(cx_sweep_row_init(E->s, &r));
    cx_status st = cx_sweep_row_parse(E->s, line, h->len, &r);
    if (st != CX_OK || r.id != h->id) {
        cx_sweep_row_release(E->s, &r);
        return cx_fail(CX_ERR_FORMAT, "point %llu: a worker sent a bad row",
                       (unsigned long long)h->id);
    }
    if (E->rows[r.id].num) {
        cx_sweep_row_release(E->s, &r);
        return CX_OK;
    }
    E->rows[r.id] = r;
    E->n_done++;
    E->n_new++;
    E->compiles += h->compiled > 0;
    E->compile_s += h->compile_s;
    E->run_s += h->run_s;
    CX_TRY(cx_sweep_write_all(E->journal_fd, line, h->len, E->jsonl_path));
    char t[256];
    int n = snprintf(t, sizeof t,
                     "{\"point\":%llu,\"rank\":%d,\"worker\":%d,\"compiled\":%s,"
                     "\"compile_s\":%.6f,\"run_s\":%.6f}\n",
                     (unsigned long long)h->id, h->rank, h->worker,
                     h->compiled > 0 ? "true" : "false", h->compile_s, h->run_s);
    CX_TRY(cx_sweep_write_all(E->timing_fd, t, (size_t)n, E->timing_path));
    cx_progress_update(&E->prog, E->n_new);
    if (cx_now_s() - E->last_csv_s >= E->csv_every_s) CX_TRY(cx_sweep_write_csv(E));
    return CX_OK;
}

cx_status cx_sweep_finish(engine *E, double compute_s, cJSON **summary)
{
    const cx_sweep_spec *s = E->s;
    double t0 = cx_now_s();
    if (E->journal_fd >= 0) close(E->journal_fd);
    if (E->timing_fd >= 0) close(E->timing_fd);
    E->journal_fd = E->timing_fd = -1;
    CX_TRY(write_jsonl_sorted(E));
    CX_TRY(cx_sweep_write_csv(E));
    int pictures = 0;
    if (E->o->plots) CX_TRY(cx_sweep_plots(s, E->o->output, &pictures));

    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "sweep", s->file);
    cJSON_AddStringToObject(j, "name", s->name);
    cJSON_AddStringToObject(j, "description", s->description);
    cJSON_AddStringToObject(j, "output", E->o->output);
    char hex[17];
    cJSON_AddStringToObject(j, "hash", hex64(E->plan->hash, hex));
    cJSON *axes = cJSON_AddArrayToObject(j, "axes");
    for (size_t a = 0; a < s->n_axes; a++) {
        cJSON *ax = cJSON_CreateObject();
        cJSON_AddStringToObject(ax, "name", s->axes[a].name);
        cJSON_AddNumberToObject(ax, "values", (double)s->axes[a].n);
        cJSON_AddItemToArray(axes, ax);
    }
    cJSON_AddNumberToObject(j, "cells", (double)cx_sweep_cells(s));
    cJSON_AddNumberToObject(j, "seeds", (double)s->n_seeds);
    cJSON_AddNumberToObject(j, "points", (double)E->n_points);
    size_t ok = 0, errors = 0;
    size_t st_col = cx_sweep_rcol(s, COL_STATUS), msg_col = cx_sweep_rcol(s, COL_MESSAGE);
    int mcol = cx_sweep_column(s, s->metric);
    double msum = 0, mmin = INFINITY, mmax = -INFINITY;
    size_t mn = 0, at_min = 0, at_max = 0;
    cJSON *first_errors = cJSON_CreateArray();
    for (size_t id = 0; id < E->n_points; id++) {
        const cx_sweep_row *r = &E->rows[id];
        if (!r->num) continue;
        if (strcmp(r->text[st_col], "ok")) {
            errors++;
            if (cJSON_GetArraySize(first_errors) < 5) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddNumberToObject(e, "point", (double)id);
                cJSON_AddStringToObject(e, "message", r->text[msg_col]);
                cJSON_AddItemToArray(first_errors, e);
            }
            continue;
        }
        ok++;
        double v = r->num[mcol];
        if (isnan(v)) continue;
        msum += v;
        mn++;
        if (v < mmin) mmin = v, at_min = id;
        if (v > mmax) mmax = v, at_max = id;
    }
    cJSON_AddNumberToObject(j, "done", (double)E->n_done);
    cJSON_AddNumberToObject(j, "ok", (double)ok);
    cJSON_AddNumberToObject(j, "errors", (double)errors);
    cJSON_AddNumberToObject(j, "resumed", (double)E->n_resumed);
    cJSON_AddNumberToObject(j, "computed", (double)E->n_new);
    cJSON_AddNumberToObject(j, "ignored_journal_lines", (double)E->n_ignored);
    cJSON_AddNumberToObject(j, "programs", (double)E->plan->n_groups);
    cJSON_AddNumberToObject(j, "compiles", (double)E->compiles);
    cJSON_AddNumberToObject(j, "workers", E->o->jobs < 1 ? 1 : E->o->jobs);
    cJSON_AddNumberToObject(j, "ranks", E->ranks);
    cJSON_AddNumberToObject(j, "compute_s", compute_s);
    cJSON_AddNumberToObject(j, "points_per_s", compute_s > 0 ? (double)E->n_new / compute_s : 0);
    cJSON_AddNumberToObject(j, "compile_s", E->compile_s);
    cJSON_AddNumberToObject(j, "run_s", E->run_s);
    double ref_acc = cx_sweep_worker_reference_accuracy(E->w);
    if (!isnan(ref_acc)) cJSON_AddNumberToObject(j, "reference_accuracy", ref_acc);
    cJSON *m = cJSON_AddObjectToObject(j, "metric");
    cJSON_AddStringToObject(m, "name", s->metric);
    cJSON_AddNumberToObject(m, "points", (double)mn);
    if (mn) {
        cJSON_AddNumberToObject(m, "mean", msum / (double)mn);
        cJSON_AddNumberToObject(m, "min", mmin);
        cJSON_AddNumberToObject(m, "min_point", (double)at_min);
        cJSON_AddNumberToObject(m, "max", mmax);
        cJSON_AddNumberToObject(m, "max_point", (double)at_max);
    }
    /* per grid cell: the metric over the seeds */
    cJSON *cells = cJSON_AddArrayToObject(j, "by_cell");
    size_t n_cells = cx_sweep_cells(s);
    for (size_t c = 0; c < n_cells; c++) {
        cJSON *cj = cJSON_CreateObject();
        size_t idx[s->n_axes + 1];
        cx_sweep_point_of(s, c * s->n_seeds, NULL, NULL, idx);
        for (size_t a = 0; a < s->n_axes; a++) {
            if (s->axes[a].is_text)
                cJSON_AddStringToObject(cj, s->axes[a].name, s->axes[a].text[idx[a]]);
            else
                cJSON_AddNumberToObject(cj, s->axes[a].name, s->axes[a].num[idx[a]]);
        }
        double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
        size_t k = 0, err = 0;
        for (size_t si = 0; si < s->n_seeds; si++) {
            const cx_sweep_row *r = &E->rows[c * s->n_seeds + si];
            if (!r->num) continue;
            if (strcmp(r->text[st_col], "ok")) {
                err++;
                continue;
            }
            double v = r->num[mcol];
            if (isnan(v)) continue;
            sum += v, sq += v * v, k++;
            lo = fmin(lo, v), hi = fmax(hi, v);
        }
        cJSON_AddNumberToObject(cj, "ok", (double)k);
        cJSON_AddNumberToObject(cj, "errors", (double)err);
        if (k) {
            double mean = sum / (double)k;
            double var = k > 1 ? fmax(0, (sq - (double)k * mean * mean) / (double)(k - 1)) : 0;
            cJSON_AddNumberToObject(cj, "mean", mean);
            cJSON_AddNumberToObject(cj, "std", sqrt(var));
            cJSON_AddNumberToObject(cj, "min", lo);
            cJSON_AddNumberToObject(cj, "max", hi);
        }
        cJSON_AddItemToArray(cells, cj);
    }
    cJSON_AddItemToObject(j, "first_errors", first_errors);
    cJSON *files = cJSON_AddArrayToObject(j, "files");
    const char *names[] = {"results.csv", "results.jsonl", "summary.json", "timing.jsonl",
                           "sweep.json"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(names[i]));
    if (E->o->plots) cJSON_AddItemToArray(files, cJSON_CreateString("index.html"));
    cJSON_AddNumberToObject(j, "plots", pictures);
    cJSON_AddNumberToObject(j, "finish_s", cx_now_s() - t0);
    cx_status st = cx_json_save(E->summary_path, j);
    if (st == CX_OK && summary)
        *summary = j;
    else
        cJSON_Delete(j);
    return st;
}
