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
 * - summary.json, the plots and index.html at the end. */
#define _POSIX_C_SOURCE 200809L
#include "sweep_internal.h"

#include "cx_fileio.h"
#include "cx_json.h"
#include "cx_mpi.h"
#include "cx_progress.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* ------------------------------------------------------------ small io */

static cx_status write_all(int fd, const void *buf, size_t n, const char *what)
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

/* Reads exactly n bytes; 0 on end of file before any byte, -1 on error. */
static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return got == 0 && r == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
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

static cx_status write_csv(engine *E)
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

static cx_status prepare_dir(engine *E)
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
static cx_status record(engine *E, const msg_head *h, const char *line)
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
    CX_TRY(write_all(E->journal_fd, line, h->len, E->jsonl_path));
    char t[256];
    int n = snprintf(t, sizeof t,
                     "{\"point\":%llu,\"rank\":%d,\"worker\":%d,\"compiled\":%s,"
                     "\"compile_s\":%.6f,\"run_s\":%.6f}\n",
                     (unsigned long long)h->id, h->rank, h->worker,
                     h->compiled > 0 ? "true" : "false", h->compile_s, h->run_s);
    CX_TRY(write_all(E->timing_fd, t, (size_t)n, E->timing_path));
    cx_progress_update(&E->prog, E->n_new);
    if (cx_now_s() - E->last_csv_s >= E->csv_every_s) CX_TRY(write_csv(E));
    return CX_OK;
}

/* ------------------------------------------------------------ results flow */

/* Where a finished point goes: rank 0 records it, other ranks send it. */
static cx_status deliver(engine *E, const msg_head *h, const char *bytes)
{
    if (h->compiled < 0) return cx_fail(CX_ERR_VALUE, "%.*s", (int)h->len, bytes);
    if (E->rank == 0) return record(E, h, bytes);
    size_t n = sizeof *h + h->len;
    char *m = malloc(n);
    if (!m) return cx_fail(CX_ERR_NOMEM, "out of memory");
    memcpy(m, h, sizeof *h);
    memcpy(m + sizeof *h, bytes, h->len);
    cx_status st = cx_mpi_send(m, n, 0, TAG_ROW);
    free(m);
    return st;
}

/* Rank 0: one message from another rank. */
static cx_status take_remote(engine *E, int block)
{
    while (block || cx_mpi_iprobe(-1, -1)) {
        void *buf;
        size_t n;
        int from, tag;
        CX_TRY(cx_mpi_recv(-1, -1, &buf, &n, &from, &tag));
        cx_status st = CX_OK;
        if (tag == TAG_DONE) {
            E->remote_done++;
        } else if (tag == TAG_FAIL) {
            st = cx_fail(CX_ERR_VALUE, "rank %d: %.*s", from, (int)n, (const char *)buf);
        } else if (n < sizeof(msg_head)) {
            st = cx_fail(CX_ERR_FORMAT, "rank %d sent a short message", from);
        } else {
            msg_head h;
            memcpy(&h, buf, sizeof h);
            if (h.len != n - sizeof h)
                st = cx_fail(CX_ERR_FORMAT, "rank %d sent a bad message", from);
            else
                st = record(E, &h, (const char *)buf + sizeof h);
        }
        free(buf);
        CX_TRY(st);
        if (block) break;
    }
    return CX_OK;
}

static cx_status idle(engine *E)
{
    return E->rank == 0 && E->ranks > 1 ? take_remote(E, 0) : CX_OK;
}

/* ------------------------------------------------------------ scheduling */

/* Hands out a process's points in id order, but keeps a worker on the
 * program it compiled last while that program has points left. */
typedef struct {
    const size_t *ids;
    size_t n, cursor;
    unsigned char *taken;
    size_t n_groups;
    size_t *start, *items, *gcur; /* per group: positions in ids (CSR) */
} sched;

static int group_of(const engine *E, size_t id)
{
    size_t cell;
    cx_sweep_point_of(E->s, id, &cell, NULL, NULL);
    return E->plan->group[cell];
}

static cx_status sched_init(sched *q, const engine *E, const size_t *ids, size_t n)
{
    memset(q, 0, sizeof *q);
    q->ids = ids;
    q->n = n;
    q->n_groups = E->plan->n_groups;
    q->taken = calloc(n + 1, 1);
    q->start = calloc(q->n_groups + 2, sizeof *q->start);
    q->gcur = calloc(q->n_groups + 1, sizeof *q->gcur);
    q->items = malloc((n + 1) * sizeof *q->items);
    if (!q->taken || !q->start || !q->gcur || !q->items)
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int g = group_of(E, ids[i]);
        if (g >= 0) q->start[g + 1]++;
    }
    for (size_t g = 0; g < q->n_groups; g++)
        q->start[g + 1] += q->start[g];
    for (size_t g = 0; g < q->n_groups; g++)
        q->gcur[g] = q->start[g];
    size_t *fill = q->gcur;
    for (size_t i = 0; i < n; i++) {
        int g = group_of(E, ids[i]);
        if (g >= 0) q->items[fill[g]++] = i;
    }
    for (size_t g = 0; g < q->n_groups; g++)
        q->gcur[g] = q->start[g];
    return CX_OK;
}

static void sched_free(sched *q)
{
    free(q->taken);
    free(q->start);
    free(q->gcur);
    free(q->items);
}

/* Index into ids of the next point for a worker last on group g; -1: none left. */
static long sched_next(sched *q, int g)
{
    if (g >= 0 && (size_t)g < q->n_groups) {
        while (q->gcur[g] < q->start[g + 1] && q->taken[q->items[q->gcur[g]]])
            q->gcur[g]++;
        if (q->gcur[g] < q->start[g + 1]) {
            size_t i = q->items[q->gcur[g]++];
            q->taken[i] = 1;
            return (long)i;
        }
    }
    while (q->cursor < q->n && q->taken[q->cursor])
        q->cursor++;
    if (q->cursor == q->n) return -1;
    q->taken[q->cursor] = 1;
    return (long)q->cursor++;
}

/* ------------------------------------------------------------ workers */

/* A test hook: a forked worker dies on this point (CORTILE_SWEEP_CRASH_POINT). */
static long crash_point(void)
{
    const char *v = getenv("CORTILE_SWEEP_CRASH_POINT");
    return v && *v ? strtol(v, NULL, 10) : -1;
}

/* The body of a forked worker: point ids in, results out, until EOF. */
static void worker_main(engine *E, int cmd_fd, int res_fd, int index)
{
    long crash = crash_point();
    for (;;) {
        uint64_t id;
        if (read_all(cmd_fd, &id, sizeof id) != 1) _exit(0);
        if ((long)id == crash) raise(SIGKILL);
        char *line = NULL;
        size_t len = 0;
        cx_sweep_timing t;
        cx_status st = cx_sweep_worker_point(E->w, (size_t)id, &line, &len, &t);
        const char *bytes = st == CX_OK ? line : cx_last_error();
        msg_head h = {.id = id,
                      .len = (uint32_t)(st == CX_OK ? len : strlen(bytes)),
                      .compiled = st == CX_OK ? t.compiled : -1,
                      .compile_s = t.compile_s,
                      .run_s = t.run_s,
                      .rank = E->rank,
                      .worker = index};
        char *m = malloc(sizeof h + h.len);
        if (!m) _exit(3);
        memcpy(m, &h, sizeof h);
        memcpy(m + sizeof h, bytes, h.len);
        int ok = write_all(res_fd, m, sizeof h + h.len, "pipe") == CX_OK;
        free(m);
        free(line);
        if (!ok) _exit(2);
    }
}

typedef struct {
    pid_t pid;
    int cmd_fd, res_fd; /* the parent's ends; -1 when closed */
    long busy;          /* index into ids of the point it works on, -1: none */
    int group;          /* program group of its last point */
    char *buf;
    size_t n, cap;
} proc;

static void describe_exit(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "died from signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "stopped");
}

static cx_status give(engine *E, sched *q, proc *p)
{
    long i = sched_next(q, p->group);
    p->busy = i;
    if (i < 0) {
        close(p->cmd_fd); /* no more work: the worker exits on EOF */
        p->cmd_fd = -1;
        return CX_OK;
    }
    uint64_t id = q->ids[i];
    int g = group_of(E, (size_t)id);
    if (g >= 0) p->group = g;
    return write_all(p->cmd_fd, &id, sizeof id, "worker pipe");
}

/* Complete messages in p's buffer. */
static cx_status drain_buffer(engine *E, sched *q, proc *p)
{
    while (p->n >= sizeof(msg_head)) {
        msg_head h;
        memcpy(&h, p->buf, sizeof h);
        if (p->n < sizeof h + h.len) break;
        CX_TRY(deliver(E, &h, p->buf + sizeof h));
        memmove(p->buf, p->buf + sizeof h + h.len, p->n - sizeof h - h.len);
        p->n -= sizeof h + h.len;
        CX_TRY(give(E, q, p));
    }
    return CX_OK;
}

static cx_status run_forked(engine *E, const size_t *ids, size_t n, int jobs)
{
    sched q;
    cx_status st = sched_init(&q, E, ids, n);
    proc *w = calloc((size_t)jobs, sizeof *w);
    struct pollfd *pf = calloc((size_t)jobs, sizeof *pf);
    if (st == CX_OK && (!w || !pf)) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigaction(SIGPIPE, &ign, &old_pipe);
    fflush(NULL); /* no buffered output twice */
    int started = 0;
    for (int k = 0; st == CX_OK && k < jobs; k++) {
        int cmd[2], res[2];
        if (pipe(cmd) != 0 || pipe(res) != 0) {
            st = cx_fail(CX_ERR_IO, "cannot create a pipe: %s", strerror(errno));
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            st = cx_fail(CX_ERR_IO, "cannot start a worker process: %s", strerror(errno));
            close(cmd[0]), close(cmd[1]), close(res[0]), close(res[1]);
            break;
        }
        if (pid == 0) {
            sigaction(SIGPIPE, &old_pipe, NULL);
            for (int j = 0; j < k; j++) { /* the others' pipes, so they see EOF */
                if (w[j].cmd_fd >= 0) close(w[j].cmd_fd);
                close(w[j].res_fd);
            }
            close(cmd[1]);
            close(res[0]);
            if (E->journal_fd >= 0) close(E->journal_fd);
            if (E->timing_fd >= 0) close(E->timing_fd);
            worker_main(E, cmd[0], res[1], k + 1);
            _exit(0);
        }
        close(cmd[0]);
        close(res[1]);
        w[k] = (proc){.pid = pid, .cmd_fd = cmd[1], .res_fd = res[0], .busy = -1, .group = -1};
        started++;
    }
    for (int k = 0; st == CX_OK && k < started; k++)
        st = give(E, &q, &w[k]);
    for (;;) {
        if (st != CX_OK) break;
        int live = 0;
        for (int k = 0; k < started; k++) {
            pf[k].fd = w[k].res_fd;
            pf[k].events = POLLIN;
            pf[k].revents = 0;
            live += w[k].res_fd >= 0;
        }
        if (!live) break;
        int r = poll(pf, (nfds_t)started, E->rank == 0 && E->ranks > 1 ? 20 : -1);
        if (r < 0 && errno != EINTR) {
            st = cx_fail(CX_ERR_IO, "poll: %s", strerror(errno));
            break;
        }
        for (int k = 0; st == CX_OK && k < started; k++) {
            proc *p = &w[k];
            if (p->res_fd < 0 || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (p->cap - p->n < 65536) {
                size_t cap = p->cap ? 2 * p->cap : 131072;
                char *b = realloc(p->buf, cap);
                if (!b) {
                    st = cx_fail(CX_ERR_NOMEM, "out of memory");
                    break;
                }
                p->buf = b;
                p->cap = cap;
            }
            ssize_t got = read(p->res_fd, p->buf + p->n, p->cap - p->n);
            if (got < 0 && errno == EINTR) continue;
            if (got > 0) {
                p->n += (size_t)got;
                st = drain_buffer(E, &q, p);
                continue;
            }
            /* end of file: the worker is gone */
            close(p->res_fd);
            p->res_fd = -1;
            int status = 0;
            waitpid(p->pid, &status, 0);
            p->pid = 0;
            if (p->busy >= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char why[128];
                describe_exit(status, why, sizeof why);
                if (p->busy >= 0)
                    st = cx_fail(CX_ERR_VALUE, "worker %d %s while on point %zu", k + 1, why,
                                 ids[p->busy]);
                else
                    st = cx_fail(CX_ERR_VALUE, "worker %d %s", k + 1, why);
            }
        }
        if (st == CX_OK) st = idle(E);
    }
    for (int k = 0; k < started; k++) {
        if (w[k].cmd_fd >= 0) close(w[k].cmd_fd);
        if (w[k].res_fd >= 0) close(w[k].res_fd);
        if (w[k].pid > 0) {
            if (st != CX_OK) kill(w[k].pid, SIGKILL);
            waitpid(w[k].pid, NULL, 0);
        }
        free(w[k].buf);
    }
    sigaction(SIGPIPE, &old_pipe, NULL);
    free(w);
    free(pf);
    sched_free(&q);
    return st;
}

/* This process's share of the points, in this process (-j 1) or forked workers. */
static cx_status run_points(engine *E, const size_t *ids, size_t n)
{
    int jobs = E->o->jobs < 1 ? 1 : E->o->jobs;
    if ((size_t)jobs > n) jobs = (int)n;
    if (n == 0) return CX_OK;
    if (jobs > 1) return run_forked(E, ids, n, jobs);
    for (size_t i = 0; i < n; i++) {
        char *line = NULL;
        size_t len = 0;
        cx_sweep_timing t;
        CX_TRY(cx_sweep_worker_point(E->w, ids[i], &line, &len, &t));
        msg_head h = {.id = ids[i],
                      .len = (uint32_t)len,
                      .compiled = t.compiled,
                      .compile_s = t.compile_s,
                      .run_s = t.run_s,
                      .rank = E->rank,
                      .worker = 0};
        cx_status st = deliver(E, &h, line);
        free(line);
        CX_TRY(st);
        CX_TRY(idle(E));
    }
    return CX_OK;
}

/* ------------------------------------------------------------ summary */

static cx_status finish(engine *E, double compute_s, cJSON **summary)
{
    const cx_sweep_spec *s = E->s;
    double t0 = cx_now_s();
    if (E->journal_fd >= 0) close(E->journal_fd);
    if (E->timing_fd >= 0) close(E->timing_fd);
    E->journal_fd = E->timing_fd = -1;
    CX_TRY(write_jsonl_sorted(E));
    CX_TRY(write_csv(E));
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

/* ------------------------------------------------------------ driver */

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
        if (st == CX_OK) st = prepare_dir(&E);
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
    if (started) st = run_points(&E, mine, n_mine);
    if (started && E.rank != 0) {
        /* rank 0 learns of the end, or of the failure */
        const char *msg = st == CX_OK ? "" : cx_last_error();
        cx_status sent = cx_mpi_send(msg, strlen(msg), 0, st == CX_OK ? TAG_DONE : TAG_FAIL);
        if (st == CX_OK) st = sent;
    }
    while (st == CX_OK && E.rank == 0 && E.remote_done < E.ranks - 1)
        st = take_remote(&E, 1);
    /* every rank ends here, so a failure anywhere ends them all (rows are
     * small enough to be sent eagerly: nobody waits on a stopped rank 0) */
    if (!cx_mpi_all(st == CX_OK) && st == CX_OK)
        st = cx_fail(CX_ERR_VALUE, "the sweep failed on another rank");
    double compute_s = cx_now_s() - t0;
    if (E.rank == 0 && E.rows) {
        cx_progress_finish(&E.prog);
        if (st == CX_OK) {
            st = finish(&E, compute_s, summary);
        } else if (E.csv_path && E.n_done) {
            cx_status keep = st;
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", cx_last_error());
            write_csv(&E);
            cx_fail(keep, "%s (%zu finished points are kept in %s; run again to resume)", msg,
                    E.n_done, E.jsonl_path);
        }
    }
    free(mine);
    engine_free(&E);
    cx_sweep_plan_free(plan);
    return st;
}
