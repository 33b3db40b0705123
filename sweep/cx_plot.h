/* TEMPORARY stand-in for the plotting module (sweep/cx_plot.h from the
 * plotting branch): the same API, minimal pictures. Removed when that
 * module is merged. */
#ifndef CX_PLOT_H
#define CX_PLOT_H

#include "cx_status.h"

#include <stddef.h>

typedef struct {
    int n_cols;
    const char *const *names;
    const int *is_text;
    size_t n_rows;
    const double *num;       /* [rows][cols], NaN missing */
    const char *const *text; /* [rows][cols] */
} cx_plot_table;
typedef struct {
    const char *title, *x_label, *y_label;
    int log_x, log_y;
} cx_plot_style;
cx_status cx_plot_line_svg(const char *path, const cx_plot_table *t, const char *x, const char *y,
                           const char *series, const cx_plot_style *s);
cx_status cx_plot_heatmap_svg(const char *path, const cx_plot_table *t, const char *x,
                              const char *y, const char *z, const cx_plot_style *s);
typedef struct {
    const char *file, *caption;
} cx_plot_entry;
cx_status cx_plot_index_html(const char *dir, const char *title, const char *description,
                             const cx_plot_entry *pictures, int n_pictures,
                             const cx_plot_entry *data_files, int n_data);
typedef struct cx_plot_owned cx_plot_owned;
cx_status cx_plot_read_csv(const char *path, cx_plot_table *t, cx_plot_owned **own);
void cx_plot_owned_free(cx_plot_owned *own);

#endif
