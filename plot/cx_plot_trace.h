/* cx_plot_trace: waveforms for people to look at.
 *
 * cx_svg_*: standalone SVG line plots (stacked or overlaid traces, spike
 * rasters) with nice-number ticks and a legend. Long traces are decimated to
 * min/max per pixel column, so a 1e6-point trace keeps its envelope in a small
 * file. NaN and infinite points are skipped (they break the line). */
#ifndef CX_PLOT_TRACE_H
#define CX_PLOT_TRACE_H

#include "cx_status.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CX_SVG_OVERLAY = 0, /* one panel, one y axis, a legend */
    CX_SVG_STACKED      /* one panel per trace, each with its own y axis */
} cx_svg_layout;

/* Zero-initialized options are the defaults. */
typedef struct {
    cx_svg_layout layout;
    int width_px;        /* 0: 800 */
    int height_px;       /* 0: 480 overlaid, 60 + 140 per trace stacked */
    double y_min, y_max; /* y range when y_min < y_max (every panel); else from the data */
} cx_svg_options;

/* Traces y[k][i] over the shared abscissa t[i], i < n_points. names may be
 * NULL ("trace k"); opts may be NULL. */
cx_status cx_svg_plot_traces(const char *path, const char *title, const char *x_label,
                             const char *y_label, size_t n_traces, const char *const *names,
                             const double *t, const double *const *y, size_t n_points,
                             const cx_svg_options *opts);

/* Spike raster: event i at time t[i] on row row[i] < n_rows, drawn as a tick.
 * row_names may be NULL (rows are numbered); opts may be NULL (y_min/y_max
 * unused). Events in one pixel of one row are drawn once. */
cx_status cx_svg_plot_raster(const char *path, const char *title, const char *x_label,
                             size_t n_rows, const char *const *row_names, const double *t,
                             const size_t *row, size_t n_events, const cx_svg_options *opts);

#ifdef __cplusplus
}
#endif
#endif
