/* Growable text, number formatting and hashing for the sweep module. */
#define _POSIX_C_SOURCE 200809L
#include "sweep_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(cx_sbuf *b, size_t more)
{
    if (b->failed) return 0;
    if (b->n + more + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void cx_sbuf_put(cx_sbuf *b, const char *s, size_t n)
{
    if (!grow(b, n)) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void cx_sbuf_puts(cx_sbuf *b, const char *s)
{
    cx_sbuf_put(b, s, strlen(s));
}

void cx_sbuf_printf(cx_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !grow(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

char *cx_sbuf_take(cx_sbuf *b)
{
    if (b->failed) {
        cx_sbuf_free(b);
        return NULL;
    }
    if (!b->p) grow(b, 0);
    char *p = b->p;
    memset(b, 0, sizeof *b);
    return p;
}

void cx_sbuf_free(cx_sbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void cx_sweep_fmt_num(char buf[32], double v)
{
    if (isinf(v)) {
        strcpy(buf, v > 0 ? "inf" : "-inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

uint64_t cx_sweep_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
