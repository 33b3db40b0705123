#include "cx_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { CX_MSG_LEN = 1024 };
static _Thread_local char cx_message[CX_MSG_LEN];

void cx_error_vset(const char *fmt, va_list ap) { vsnprintf(cx_message, sizeof cx_message, fmt, ap); }

cx_status cx_fail_context(cx_status status, const char *fmt, ...)
{
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strlen(prefix) + 2, old = strlen(cx_message);
    if (plen + old >= CX_MSG_LEN) old = CX_MSG_LEN - 1 - plen;
    memmove(cx_message + plen, cx_message, old);
    cx_message[plen + old] = '\0';
    memcpy(cx_message, prefix, plen - 2);
    cx_message[plen - 2] = ':';
    cx_message[plen - 1] = ' ';
    return status;
}

const char *cx_last_error(void) { return cx_message; }

void cx_clear_error(void) { cx_message[0] = '\0'; }

const char *cx_status_name(cx_status status)
{
    switch (status) {
    case CX_OK: return "ok";
    case CX_ERR_IO: return "io";
    case CX_ERR_FORMAT: return "format";
    case CX_ERR_DTYPE: return "dtype";
    case CX_ERR_SHAPE: return "shape";
    case CX_ERR_MISSING: return "missing";
    case CX_ERR_VALUE: return "value";
    case CX_ERR_NOMEM: return "nomem";
    case CX_ERR_USAGE: return "usage";
    case CX_ERR_UNSUPPORTED: return "unsupported";
    case CX_ERR_FIT: return "fit";
    }
    return "unknown";
}
