/* TEMPORARY stand-in for the plotting module; removed when it is merged. */
#define _POSIX_C_SOURCE 200809L
#include "cx_plot.h"

#include "cx_fileio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cx_plot_owned {
    char **names;
    int *is_text;
    double *num;
    char **text;
    int cols;
    size_t rows;
};

void cx_plot_owned_free(cx_plot_owned *o)
{
    if (!o) return;
    for (int c = 0; c < o->cols; c++)
        free(o->names[c]);
    for (size_t i = 0; i < o->rows * (size_t)o->cols; i++)
        free(o->text[i]);
    free(o->names);
    free(o->is_text);
    free(o->num);
    free(o->text);
    free(o);
}

/* One CSV field starting at *p; advances past it and its separator. */
static char *field(const char **p, int *eol)
{
    const char *s = *p;
    size_t cap = 16, n = 0;
    char *out = malloc(cap);
    int quoted = *s == '"';
    if (quoted) s++;
    for (;; s++) {
        if (n + 2 > cap) out = realloc(out, cap *= 2);
        if (quoted) {
            if (*s == '"' && s[1] == '"') {
                out[n++] = '"';
                s++;
                continue;
            }
            if (*s == '"') {
                quoted = 0;
                continue;
            }
            if (!*s) break;
            out[n++] = *s;
            continue;
        }
        if (!*s || *s == ',' || *s == '\n') break;
        out[n++] = *s;
    }
    out[n] = 0;
    *eol = !*s || *s == '\n';
    *p = *s ? s + 1 : s;
    return out;
}

cx_status cx_plot_read_csv(const char *path, cx_plot_table *t, cx_plot_owned **own)
{
    uint8_t *buf;
    size_t size;
    CX_TRY(cx_read_file(path, &buf, &size));
    cx_plot_owned *o = calloc(1, sizeof *o);
    const char *p = (const char *)buf;
    int eol = 0;
    while (!eol && *p) {
        o->names = realloc(o->names, (size_t)(o->cols + 1) * sizeof *o->names);
        o->names[o->cols++] = field(&p, &eol);
    }
    o->is_text = calloc((size_t)o->cols, sizeof *o->is_text);
    while (*p) {
        o->num = realloc(o->num, (o->rows + 1) * (size_t)o->cols * sizeof *o->num);
        o->text = realloc(o->text, (o->rows + 1) * (size_t)o->cols * sizeof *o->text);
        for (int c = 0; c < o->cols; c++) {
            size_t i = o->rows * (size_t)o->cols + (size_t)c;
            o->text[i] = field(&p, &eol);
            char *end;
            double v = strtod(o->text[i], &end);
            o->num[i] = o->text[i][0] && !*end ? v : NAN;
            if (o->text[i][0] && *end) o->is_text[c] = 1;
        }
        o->rows++;
    }
    free(buf);
    *t = (cx_plot_table){o->cols, (const char *const *)o->names, o->is_text, o->rows,
                         o->num,  (const char *const *)o->text};
    *own = o;
    return CX_OK;
}

static int col(const cx_plot_table *t, const char *name)
{
    for (int c = 0; name && c < t->n_cols; c++)
        if (!strcmp(t->names[c], name)) return c;
    return -1;
}

static cx_status scatter(const char *path, const cx_plot_table *t, int cx, int cy,
                         const cx_plot_style *s)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return cx_fail(CX_ERR_IO, "%s: cannot write", path);
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t r = 0; r < t->n_rows; r++) {
        double x = t->num[r * t->n_cols + cx], y = t->num[r * t->n_cols + cy];
        if (isnan(x) || isnan(y)) continue;
        x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
    }
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"480\" height=\"320\">\n"
            "<text x=\"10\" y=\"20\">%s</text>\n",
            s && s->title ? s->title : "");
    for (size_t r = 0; r < t->n_rows; r++) {
        double x = t->num[r * t->n_cols + cx], y = t->num[r * t->n_cols + cy];
        if (isnan(x) || isnan(y)) continue;
        double px = 40 + 420 * (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5);
        double py = 300 - 260 * (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5);
        fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n", px, py);
    }
    fprintf(fp, "</svg>\n");
    fclose(fp);
    return CX_OK;
}

cx_status cx_plot_line_svg(const char *path, const cx_plot_table *t, const char *x, const char *y,
                           const char *series, const cx_plot_style *s)
{
    if (col(t, x) < 0 || col(t, y) < 0 || (series && col(t, series) < 0))
        return cx_fail(CX_ERR_MISSING, "%s: no such column", path);
    return scatter(path, t, col(t, x), col(t, y), s);
}

cx_status cx_plot_heatmap_svg(const char *path, const cx_plot_table *t, const char *x,
                              const char *y, const char *z, const cx_plot_style *s)
{
    if (col(t, x) < 0 || col(t, y) < 0 || col(t, z) < 0)
        return cx_fail(CX_ERR_MISSING, "%s: no such column", path);
    return scatter(path, t, col(t, x), col(t, y), s);
}

cx_status cx_plot_index_html(const char *dir, const char *title, const char *description,
                             const cx_plot_entry *pictures, int n_pictures,
                             const cx_plot_entry *data_files, int n_data)
{
    char *path = cx_path_join(dir, "index.html");
    FILE *fp = fopen(path, "w");
    free(path);
    if (!fp) return cx_fail(CX_ERR_IO, "%s: cannot write index.html", dir);
    fprintf(fp,
            "<!DOCTYPE html>\n<html><head><title>%s</title></head><body>\n<h1>%s</h1>\n<p>%s</p>\n",
            title, title, description ? description : "");
    for (int i = 0; i < n_pictures; i++)
        fprintf(fp, "<figure><img src=\"%s\"><figcaption>%s</figcaption></figure>\n",
                pictures[i].file, pictures[i].caption);
    for (int i = 0; i < n_data; i++)
        fprintf(fp, "<p><a href=\"%s\">%s</a> %s</p>\n", data_files[i].file, data_files[i].file,
                data_files[i].caption);
    fprintf(fp, "</body></html>\n");
    fclose(fp);
    return CX_OK;
}
