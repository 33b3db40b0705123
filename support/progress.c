#define _POSIX_C_SOURCE 200809L
#include "cx_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

double cx_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cx_progress_start(cx_progress *p, const char *label, size_t total)
{
    const char *ci = getenv("CI");
    p->label = label;
    p->total = total;
    p->enabled = isatty(STDERR_FILENO) && !(ci && *ci);
    p->start_s = p->last_s = cx_now_s();
}

void cx_progress_update(cx_progress *p, size_t done)
{
    if (!p->enabled) return;
    double now = cx_now_s();
    if (now - p->last_s < 0.2 && done < p->total) return;
    p->last_s = now;
    double elapsed = now - p->start_s;
    double eta = done ? elapsed * (double)(p->total - done) / (double)done : 0;
    fprintf(stderr, "\r%s: %zu/%zu (%.0f%%) elapsed %.1fs eta %.1fs   ", p->label, done, p->total,
            p->total ? 100.0 * (double)done / (double)p->total : 100.0, elapsed, eta);
    fflush(stderr);
}

void cx_progress_finish(cx_progress *p)
{
    if (p->enabled) fprintf(stderr, "\r%*s\r", 72, "");
}
