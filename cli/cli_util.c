#include "cx_cli.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cx_cli_error(const char *cmd, cx_status st)
{
    fprintf(stderr, "cortile %s: error: %s\n", cmd, cx_last_error());
    return st == CX_ERR_USAGE ? 2 : 1;
}

int cx_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cortile %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'cortile %s --help'.\n", cmd);
    return 2;
}

void cx_cli_print_json(cJSON *doc)
{
    char *text = cJSON_Print(doc);
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
        free(text);
    }
    cJSON_Delete(doc);
}

int cx_cli_parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

int cx_cli_parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

/* An integer, or a float literal with an integral value (1e6); -1 otherwise
 * or outside [lo, hi] (with unsigned wrap-around refused). */
static int parse_integral(const char *s, long double lo, long double hi, long double *out)
{
    char *end;
    errno = 0;
    long double v = strtold(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v != floorl(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cx_cli_opt_long(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out)
{
    long v;
    long double d;
    int ok;
    /* exact first: a long double may not hold every long */
    if (cx_cli_parse_long(arg, &v) == 0)
        ok = v >= lo && v <= hi;
    else if ((ok = parse_integral(arg, lo, hi, &d) == 0))
        v = (long)d;
    if (ok) {
        *out = v;
        return 0;
    }
    return cx_cli_usage(cmd, "%s needs an integer in %ld..%ld, got '%s'", opt, lo, hi, arg);
}

int cx_cli_opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t lo, uint64_t hi,
                   uint64_t *out)
{
    char *end;
    errno = 0;
    /* strtoull takes "-1" as 2^64 - 1: digits only */
    int digits = arg[0] >= '0' && arg[0] <= '9';
    unsigned long long v = digits ? strtoull(arg, &end, 10) : 0;
    long double d;
    if (digits && !errno && !*end && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    if (parse_integral(arg, (long double)lo, (long double)hi, &d) == 0) {
        *out = (uint64_t)d;
        return 0;
    }
    return cx_cli_usage(cmd, "%s needs an integer in %llu..%llu, got '%s'", opt,
                        (unsigned long long)lo, (unsigned long long)hi, arg);
}

int cx_cli_opt_double(const char *cmd, const char *opt, const char *arg, double lo, int lo_open,
                      double hi, double *out)
{
    double v;
    if (cx_cli_parse_double(arg, &v) == 0 && isfinite(v) && (lo_open ? v > lo : v >= lo) &&
        v <= hi) {
        *out = v;
        return 0;
    }
    if (lo == -DBL_MAX && hi == DBL_MAX)
        return cx_cli_usage(cmd, "%s needs a finite number, got '%s'", opt, arg);
    return cx_cli_usage(cmd, "%s needs a number in %c%g, %g], got '%s'", opt, lo_open ? '(' : '[',
                        lo, hi, arg);
}
