/* results.csv back into a table (RFC 4180), for re-plotting a finished sweep. */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"
#include "cx_fileio.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cx_plot_owned {
    char *buf;    /* the file; cells are unquoted and NUL-terminated in place */
    char **cells; /* header, then n_rows x n_cols */
    int *is_text;
    double *num;
};

void cx_plot_owned_free(cx_plot_owned *own)
{
    if (!own) return;
    free(own->buf);
    free(own->cells);
    free(own->is_text);
    free(own->num);
    free(own);
}

/* A number: what strtod reads, with only spaces around it (no hex). */
static int parse_number(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    const char *p = s + (*s == '+' || *s == '-');
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) return 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s) return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (*end) return 0;
    *out = v;
    return 1;
}

static int blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

typedef struct {
    char **v;
    size_t n, cap;
} cell_list;

static int push(cell_list *l, char *cell)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return 0;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = cell;
    return 1;
}

/* Splits buf into cells in place. n_cols is set by the header record. */
static cx_status split(const char *path, char *buf, size_t size, cell_list *cells, int *n_cols)
{
    size_t pos = 0;
    long line = 1;
    if (size >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) pos = 3;
    *n_cols = 0;
    while (pos < size) {
        if (buf[pos] == '\n' || buf[pos] == '\r') { /* blank line */
            if (buf[pos] == '\r' && pos + 1 < size && buf[pos + 1] == '\n') pos++;
            pos++;
            line++;
            continue;
        }
        long record_line = line;
        size_t fields = 0;
        for (;;) {
            char *cell;
            size_t w;
            if (buf[pos] == '"') {
                long quote_line = line;
                cell = buf + pos + 1;
                w = pos + 1;
                pos++;
                for (;;) {
                    if (pos >= size)
                        return cx_fail(CX_ERR_FORMAT,
                                       "%s:%ld: field %zu: quote opened here is never closed", path,
                                       quote_line, fields + 1);
                    char c = buf[pos];
                    if (c == '"') {
                        if (pos + 1 < size && buf[pos + 1] == '"') {
                            buf[w++] = '"';
                            pos += 2;
                            continue;
                        }
                        pos++;
                        break;
                    }
                    if (c == '\n') line++;
                    buf[w++] = c;
                    pos++;
                }
                if (pos < size && buf[pos] != ',' && buf[pos] != '\n' && buf[pos] != '\r')
                    return cx_fail(CX_ERR_FORMAT,
                                   "%s:%ld: field %zu: '%c' after the closing quote (a quote "
                                   "inside a quoted field is written \"\")",
                                   path, line, fields + 1, buf[pos]);
            } else {
                cell = buf + pos;
                while (pos < size && buf[pos] != ',' && buf[pos] != '\n' && buf[pos] != '\r')
                    pos++;
                w = pos;
            }
            char sep = pos < size ? buf[pos] : '\0';
            buf[w] = '\0'; /* w <= pos: the separator, already read */
            if (!push(cells, cell)) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
            fields++;
            if (sep == ',') {
                pos++;
                continue;
            }
            if (sep == '\r' && pos + 1 < size && buf[pos + 1] == '\n') pos++;
            if (sep) {
                pos++;
                line++;
            }
            break;
        }
        if (*n_cols == 0) {
            if (fields > INT32_MAX)
                return cx_fail(CX_ERR_FORMAT, "%s:1: %zu columns", path, fields);
            *n_cols = (int)fields;
        } else if (fields != (size_t)*n_cols) {
            return cx_fail(CX_ERR_FORMAT, "%s:%ld: %zu field%s, the header has %d", path,
                           record_line, fields, fields == 1 ? "" : "s", *n_cols);
        }
    }
    if (*n_cols == 0) return cx_fail(CX_ERR_FORMAT, "%s: empty file, no header row", path);
    return CX_OK;
}

cx_status cx_plot_read_csv(const char *path, cx_plot_table *t, cx_plot_owned **own)
{
    *t = (cx_plot_table){0};
    *own = NULL;
    cx_plot_owned *o = calloc(1, sizeof *o);
    if (!o) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    uint8_t *data;
    size_t size;
    cx_status st = cx_read_file(path, &data, &size);
    if (st != CX_OK) {
        free(o);
        return st;
    }
    o->buf = (char *)data;
    if (memchr(o->buf, '\0', size)) {
        cx_plot_owned_free(o);
        return cx_fail(CX_ERR_FORMAT, "%s: a NUL byte: not a text file", path);
    }
    cell_list cells = {0};
    int nc = 0;
    st = split(path, o->buf, size, &cells, &nc);
    o->cells = cells.v;
    if (st != CX_OK) {
        cx_plot_owned_free(o);
        return st;
    }
    for (int c = 0; c < nc; c++) {
        if (blank(o->cells[c])) {
            cx_plot_owned_free(o);
            return cx_fail(CX_ERR_FORMAT, "%s:1: column %d has no name", path, c + 1);
        }
        for (int k = 0; k < c; k++)
            if (strcmp(o->cells[k], o->cells[c]) == 0) {
                st = cx_fail(CX_ERR_FORMAT, "%s:1: column '%s' appears twice (columns %d and %d)",
                             path, o->cells[c], k + 1, c + 1);
                cx_plot_owned_free(o);
                return st;
            }
    }
    size_t nr = cells.n / (size_t)nc - 1;
    o->is_text = calloc((size_t)nc, sizeof *o->is_text);
    o->num = malloc((nr ? nr : 1) * (size_t)nc * sizeof *o->num);
    if (!o->is_text || !o->num) {
        cx_plot_owned_free(o);
        return cx_fail(CX_ERR_NOMEM, "%s: out of memory for %zu rows", path, nr);
    }
    char **row = o->cells + nc;
    for (int c = 0; c < nc; c++) {
        for (size_t r = 0; r < nr && !o->is_text[c]; r++) {
            const char *s = row[r * (size_t)nc + (size_t)c];
            double v = NAN;
            if (!blank(s) && !parse_number(s, &v)) o->is_text[c] = 1;
            o->num[r * (size_t)nc + (size_t)c] = v;
        }
        for (size_t r = 0; r < nr; r++) {
            if (o->is_text[c])
                o->num[r * (size_t)nc + (size_t)c] = NAN;
            else
                row[r * (size_t)nc + (size_t)c] = NULL;
        }
    }
    t->n_cols = nc;
    t->names = (const char *const *)o->cells;
    t->is_text = o->is_text;
    t->n_rows = nr;
    t->num = o->num;
    t->text = (const char *const *)row;
    *own = o;
    return CX_OK;
}
