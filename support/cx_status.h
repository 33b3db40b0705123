/* cx_status: one error path for all of cortile.
 *
 * A failing function records a one-line message (what and where: file, key,
 * expected vs found) with cx_fail() and returns a non-zero cx_status. The CLI
 * prints cx_last_error() once, at the top. Messages are per thread. */
#ifndef CX_STATUS_H
#define CX_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CX_OK = 0,
    CX_ERR_IO,          /* a file cannot be opened, read or written */
    CX_ERR_FORMAT,      /* malformed content: bad header, bad JSON/YAML */
    CX_ERR_DTYPE,       /* a tensor has the wrong element type */
    CX_ERR_SHAPE,       /* a tensor or array has the wrong shape */
    CX_ERR_MISSING,     /* a required tensor or key is absent */
    CX_ERR_VALUE,       /* a value is out of range, NaN or inconsistent */
    CX_ERR_NOMEM,       /* allocation failed */
    CX_ERR_USAGE,       /* bad command line */
    CX_ERR_UNSUPPORTED, /* valid input that cortile does not handle */
    CX_ERR_FIT          /* a model does not fit the chip's resources */
} cx_status;

/* Records a printf-style message as the thread's last error. */
void cx_error_vset(const char *fmt, va_list ap);

/* Records a printf-style message and returns status (for `return cx_fail(...)`).
 * Inline so that static analysis sees the status it returns. */
static inline __attribute__((format(printf, 2, 3))) cx_status cx_fail(cx_status status,
                                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cx_error_vset(fmt, ap);
    va_end(ap);
    return status;
}

/* Prefixes the recorded message with more context ("while loading X: ..."). */
cx_status cx_fail_context(cx_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

const char *cx_last_error(void);
void cx_clear_error(void);
const char *cx_status_name(cx_status status);

/* Propagates a failing status unchanged. */
#define CX_TRY(expr)                                                                               \
    do {                                                                                           \
        cx_status cx_try_status_ = (expr);                                                         \
        if (cx_try_status_ != CX_OK) return cx_try_status_;                                        \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
