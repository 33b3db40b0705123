/* Where a sweep's points run: in this process, in forked workers (-j N)
 * fed over pipes, and on MPI ranks that send their rows to rank 0. */
#define _POSIX_C_SOURCE 200809L
#include "engine_internal.h"

#include "cx_mpi.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* ------------------------------------------------------------ results flow */

/* Where a finished point goes: rank 0 records it, other ranks send it. */
static cx_status deliver(engine *E, const msg_head *h, const char *bytes)
{
    if (h->compiled < 0) return cx_fail(CX_ERR_VALUE, "%.*s", (int)h->len, bytes);
    if (E->rank == 0) return cx_sweep_record(E, h, bytes);
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
cx_status cx_sweep_take_remote(engine *E, int block)
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
                st = cx_sweep_record(E, &h, (const char *)buf + sizeof h);
        }
        free(buf);
        CX_TRY(st);
        if (block) break;
    }
    return CX_OK;
}

static cx_status idle(engine *E)
{
    return E->rank == 0 && E->ranks > 1 ? cx_sweep_take_remote(E, 0) : CX_OK;
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
        int ok = cx_sweep_write_all(res_fd, m, sizeof h + h.len, "pipe") == CX_OK;
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
    return cx_sweep_write_all(p->cmd_fd, &id, sizeof id, "worker pipe");
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
cx_status cx_sweep_run_points(engine *E, const size_t *ids, size_t n)
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
