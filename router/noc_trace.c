/* Trace traffic: packets read from a CSV file (see cx_noc_load_trace). */
#define _POSIX_C_SOURCE 200809L
#include "noc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TRACE_KEY0 = 0x40000000 };

static int parse_endpoint(const cx_noc *n, const char *s, char **end)
{
    while (*s == ' ' || *s == '\t')
        s++;
    int host = (*s == 'h' || *s == 'H');
    if (host) s++;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    long v = strtol(s, end, 10);
    while (**end == ' ' || **end == '\t')
        (*end)++;
    if (errno || v < 0) return -1;
    if (host) return v < n->cfg.n_hosts ? n->nodes + (int)v : -1;
    return v < n->nodes ? (int)v : -1;
}

cx_status cx_noc_load_trace(cx_noc *n, const char *path, uint64_t end_cycle, uint64_t *count)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return cx_fail(CX_ERR_IO, "cannot open trace %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    uint64_t queued = 0;
    int *dests = malloc((size_t)n->endpoints * sizeof *dests);
    cx_status st = dests ? CX_OK : cx_fail(CX_ERR_NOMEM, "trace: out of memory");
    while (st == CX_OK && getline(&line, &cap, fp) != -1) {
        lineno++;
        char *s = line, *end;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0') continue;
        errno = 0;
        unsigned long long t = strtoull(s, &end, 10);
        if (errno || end == s || *end != ',') {
            st = cx_fail(CX_ERR_FORMAT, "%s:%ld: expected 'cycle,src,dst'", path, lineno);
            break;
        }
        int src = parse_endpoint(n, end + 1, &end);
        if (src < 0 || *end != ',') {
            st = cx_fail(CX_ERR_FORMAT,
                         "%s:%ld: bad source (a tile 0..%d or a host h0..h%d, then ',')", path,
                         lineno, n->nodes - 1, n->cfg.n_hosts - 1);
            break;
        }
        int nd = 0;
        for (;;) {
            int d = parse_endpoint(n, end + 1, &end);
            if (d < 0 || nd == n->endpoints) {
                st = cx_fail(CX_ERR_FORMAT,
                             "%s:%ld: bad destination (a tile 0..%d or a host h0..h%d; several "
                             "separated by ';')",
                             path, lineno, n->nodes - 1, n->cfg.n_hosts - 1);
                break;
            }
            dests[nd++] = d;
            if (*end != ';') break;
        }
        if (st != CX_OK) break;
        if (*end != '\n' && *end != '\r' && *end != '\0') {
            st = cx_fail(CX_ERR_FORMAT, "%s:%ld: unexpected text after the destination", path,
                         lineno);
            break;
        }
        if (t >= end_cycle) continue;
        if (nd == 1) {
            st = cx_noc_inject(n, t, src, dests[0], CX_NOC_UNICAST_KEY, CX_NOC_NO_DEADLINE, 0);
        } else {
            uint32_t key = TRACE_KEY0 + (uint32_t)lineno;
            st = cx_noc_set_route(n, key, src, dests, nd);
            if (st == CX_OK) st = cx_noc_inject(n, t, src, -1, key, CX_NOC_NO_DEADLINE, 0);
        }
        if (st != CX_OK) {
            cx_fail_context(st, "%s:%ld", path, lineno);
            break;
        }
        queued++;
    }
    free(line);
    free(dests);
    fclose(fp);
    if (count) *count = queued;
    return st;
}
