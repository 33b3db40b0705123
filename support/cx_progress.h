/* A one-line progress display on a terminal; silent when stderr is not a tty or CI is set. */
#ifndef CX_PROGRESS_H
#define CX_PROGRESS_H

#include <stddef.h>

typedef struct {
    const char *label;
    size_t total;
    int enabled;
    double start_s, last_s;
} cx_progress;

void cx_progress_start(cx_progress *p, const char *label, size_t total);
void cx_progress_update(cx_progress *p, size_t done);
void cx_progress_finish(cx_progress *p);
/* Monotonic wall clock in seconds. */
double cx_now_s(void);

#endif
