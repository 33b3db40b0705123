/* The pictures of a sweep: its plots as SVG files from DIR/results.csv and
 * DIR/index.html that shows them with the data files. */
#define _POSIX_C_SOURCE 200809L
#include "sweep_internal.h"

#include "cx_fileio.h"
#include "cx_plot.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values of an axis listed in index.html. */
enum { MAX_LISTED = 12 };

/* "plot2_rmse_vs_noise_thermal_sigma.svg" */
static void file_name(char *buf, size_t len, size_t i, const cx_sweep_plot *p)
{
    int n = p->z ? snprintf(buf, len, "plot%zu_%.40s_over_%.40s_%.40s", i + 1, p->z, p->x, p->y)
                 : snprintf(buf, len, "plot%zu_%.40s_vs_%.40s", i + 1, p->y, p->x);
    for (int k = 0; k < n && (size_t)k < len; k++)
        if (!isalnum((unsigned char)buf[k])) buf[k] = '_';
    snprintf(buf + strlen(buf), len - strlen(buf), ".svg");
}

static int table_has(const cx_plot_table *t, const char *name)
{
    for (int c = 0; name && c < t->n_cols; c++)
        if (!strcmp(t->names[c], name)) return 1;
    return 0;
}

cx_status cx_sweep_plots(const cx_sweep_spec *s, const char *dir, int *n_pictures)
{
    if (n_pictures) *n_pictures = 0;
    char *csv = cx_path_join(dir, "results.csv");
    if (!csv) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_plot_table t;
    cx_plot_owned *own = NULL;
    cx_status st = cx_plot_read_csv(csv, &t, &own);
    cx_plot_entry *pics = calloc(s->n_plots + 1, sizeof *pics);
    char(*files)[160] = calloc(s->n_plots + 1, sizeof *files);
    char(*captions)[400] = calloc(s->n_plots + 1, sizeof *captions);
    if (st == CX_OK && (!pics || !files || !captions)) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == CX_OK && i < s->n_plots; i++) {
        const cx_sweep_plot *p = &s->plots[i];
        const char *need[] = {p->x, p->y, p->z, p->series};
        for (size_t k = 0; k < 4 && st == CX_OK; k++)
            if (need[k] && !table_has(&t, need[k]))
                st =
                    cx_fail(CX_ERR_MISSING, "%s: no column '%s' for plot %zu", csv, need[k], i + 1);
        if (st != CX_OK) break;
        file_name(files[i], sizeof files[i], i, p);
        char title[300];
        if (p->z)
            snprintf(title, sizeof title, "%s over %s and %s", p->z, p->x, p->y);
        else if (p->series)
            snprintf(title, sizeof title, "%s against %s, by %s", p->y, p->x, p->series);
        else
            snprintf(title, sizeof title, "%s against %s", p->y, p->x);
        char z_label[200];
        snprintf(z_label, sizeof z_label, "mean %s over the seeds", p->z ? p->z : "");
        cx_plot_style style = {.title = p->title ? p->title : title,
                               .x_label = p->x,
                               .y_label = p->y,
                               .log_x = p->log_x,
                               .log_y = p->log_y,
                               .z_label = p->z ? z_label : NULL};
        char *path = cx_path_join(dir, files[i]);
        if (!path) {
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
            break;
        }
        if (p->z) {
            st = cx_plot_heatmap_svg(path, &t, p->x, p->y, p->z, &style);
            snprintf(captions[i], sizeof captions[i], "%s: mean over the seeds in each cell",
                     style.title);
        } else {
            st = cx_plot_line_svg(path, &t, p->x, p->y, p->series, &style);
            snprintf(captions[i], sizeof captions[i],
                     "%s: mean over the points with equal %s%s (line), min-max band and std bars",
                     style.title, p->x, p->series ? " in each series" : "");
        }
        free(path);
        pics[i] = (cx_plot_entry){files[i], captions[i]};
    }
    static const cx_plot_entry data[] = {
        {"results.csv", "one row per point (axis values, seed, errors, routing, energy)"},
        {"results.jsonl", "the same rows as JSON lines"},
        {"summary.json", "counts, the metric per grid cell, wall times"},
        {"timing.jsonl", "compile and run time of every point"},
    };
    /* the axes as the description gives them, and the seeds */
    cx_plot_axis *axes = calloc(s->n_axes + 1, sizeof *axes);
    char **values = calloc(s->n_axes + 1, sizeof *values);
    if (st == CX_OK && (!axes || !values)) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t a = 0; st == CX_OK && a <= s->n_axes; a++) {
        cx_strbuf b = {0};
        size_t n = a < s->n_axes ? s->axes[a].n : s->n_seeds;
        for (size_t i = 0; i < n && i < MAX_LISTED; i++) {
            if (i) cx_strbuf_puts(&b, ", ");
            if (a < s->n_axes)
                cx_strbuf_puts(&b, s->axes[a].text[i]);
            else
                cx_strbuf_printf(&b, "%llu", (unsigned long long)s->seeds[i]);
        }
        if (n > MAX_LISTED) cx_strbuf_printf(&b, ", ... (%zu values)", n);
        values[a] = cx_strbuf_take(&b);
        if (!values[a]) st = cx_fail(CX_ERR_NOMEM, "out of memory");
        axes[a] = (cx_plot_axis){a < s->n_axes ? s->axes[a].name : "seed", values[a]};
    }
    if (st == CX_OK)
        st = cx_plot_index_html_axes(dir, s->name, s->description, axes, (int)s->n_axes + 1, pics,
                                     (int)s->n_plots, data, (int)(sizeof data / sizeof *data));
    for (size_t a = 0; values && a <= s->n_axes; a++)
        free(values[a]);
    free(values);
    free(axes);
    if (st == CX_OK && n_pictures) *n_pictures = (int)s->n_plots;
    cx_plot_owned_free(own);
    free(pics);
    free(files);
    free(captions);
    free(csv);
    return st;
}
