/* cx_plot: pictures of sweep results (SVG line plots and heat maps), the
 * sweep's index.html, and the reader for the sweep's results.csv.
 *
 * A sweep result is a table: one row per run (chip description x seed), one
 * column per swept parameter or measured metric. Plots group rows by exact
 * value, so the seeds of one parameter setting become one point with its
 * spread. Every file is written atomically (path.tmp, then renamed).
 *
 * Conventions shared by the plots:
 * - NaN and infinite cells are missing; a text cell "" is missing. Rows with a
 *   missing cell in a plotted column are skipped and counted in a note.
 * - A numeric axis is sorted ascending. A text axis is categorical: evenly
 *   spaced, labels as given, in the order the values first appear (the
 *   order the sweep ran them). Series follow the same rule.
 * - Pictures are 720 x 440 px with a viewBox, self-contained (no scripts,
 *   fonts or links), colour-blind safe (Okabe-Ito lines, viridis heat maps). */
#ifndef CX_PLOT_H
#define CX_PLOT_H

#include "cx_status.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A table of sweep results: n_rows rows, n_cols named columns; numeric
 * cells as double (NaN = missing), plus text cells where a column is text.
 * is_text may be NULL (every column numeric); text may be NULL when no column
 * is text. */
typedef struct {
    int n_cols;
    const char *const *names; /* column names */
    const int *is_text;       /* per column: 1 text, 0 numeric */
    size_t n_rows;
    const double *num;       /* [n_rows][n_cols], NaN for text/missing */
    const char *const *text; /* [n_rows][n_cols], NULL for numeric */
} cx_plot_table;

/* NULL or "" strings take defaults (the column names; "y vs x"). */
typedef struct {
    const char *title, *x_label, *y_label;
    int log_x, log_y;    /* log axes (values <= 0 skipped with a note) */
    const char *z_label; /* heat map colour bar (default: "mean <z>") */
} cx_plot_style;

/* Index of the column called name, or -1. */
int cx_plot_column(const cx_plot_table *t, const char *name);

/* Metric y against parameter x: rows grouped by x (exact equality), one
 * series per distinct value of `series` column (NULL: one series); per x the
 * mean as a line with markers, the spread across the group (seeds) as a
 * shaded min-max band and +-1 std error bars (sample standard deviation);
 * n, mean, std, min and max per point in a tooltip <title>. s may be NULL.
 * Log axes apply to numeric x and y; text x is categorical. */
cx_status cx_plot_line_svg(const char *path, const cx_plot_table *t, const char *x, const char *y,
                           const char *series, const cx_plot_style *s);

/* Heat map of the mean of z over (x, y) cells (distinct values of each axis,
 * numbers ascending, shown as a categorical grid with value labels; y grows
 * upwards), a viridis colour bar spanning min..max of the cell means with
 * ticks, the mean printed in each cell when the grid is small enough. Cells
 * without rows are light grey. log_x/log_y are ignored (the grid is
 * categorical). s may be NULL. */
cx_status cx_plot_heatmap_svg(const char *path, const cx_plot_table *t, const char *x,
                              const char *y, const char *z, const cx_plot_style *s);

/* index.html in dir: title, a short description paragraph (escaped), a table
 * of the sweep's axes, each picture embedded as <img> linking to the file
 * with its caption, and links to the data files (results.csv, results.jsonl).
 * The axes table lists the columns of the first data file ending in .csv
 * that can be read (name, kind, distinct values); cx_plot_index_html_axes
 * takes the axes explicitly instead. description and captions may be NULL. */
typedef struct {
    const char *file, *caption;
} cx_plot_entry;
cx_status cx_plot_index_html(const char *dir, const char *title, const char *description,
                             const cx_plot_entry *pictures, int n_pictures,
                             const cx_plot_entry *data_files, int n_data);

/* A swept parameter and its values as text ("0, 0.01, 0.1"). */
typedef struct {
    const char *name, *values;
} cx_plot_axis;
cx_status cx_plot_index_html_axes(const char *dir, const char *title, const char *description,
                                  const cx_plot_axis *axes, int n_axes,
                                  const cx_plot_entry *pictures, int n_pictures,
                                  const cx_plot_entry *data_files, int n_data);

/* Reads a CSV written by the sweep (header row, comma-separated, RFC 4180
 * quoting, numeric cells parsed with strtod, empty = NaN) into an owned table.
 * A column is numeric when every non-empty cell is a number (surrounding
 * spaces allowed), else text. Blank lines are skipped; a UTF-8 byte-order
 * mark is dropped; CRLF and LF both end a record. Errors name path:line. */
typedef struct cx_plot_owned cx_plot_owned; /* holds the storage */
cx_status cx_plot_read_csv(const char *path, cx_plot_table *t, cx_plot_owned **own);
void cx_plot_owned_free(cx_plot_owned *own);

/* ---- the statistics and axes behind the pictures (exposed for tests) ---- */

/* One x of one series: y over the rows at that x. */
typedef struct {
    double x;                   /* x value; the category index when x is text */
    double mean, std, min, max; /* std: sample (n - 1 denominator), 0 when n = 1 */
    size_t n;
} cx_plot_point;

typedef struct {
    char *label; /* series value as text; NULL for the only series */
    size_t n_points;
    cx_plot_point *points; /* ascending x */
} cx_plot_series;

typedef struct {
    int x_is_text;
    size_t n_categories;
    char **categories; /* x_is_text: the labels, in order of appearance */
    size_t n_series;
    cx_plot_series *series; /* numeric values ascending, text in order of appearance */
    size_t n_used;          /* rows that made a point */
    size_t skipped_missing; /* rows without x, y or series value */
    size_t skipped_log_x;   /* rows with x <= 0 on a log x axis */
    size_t skipped_log_y;   /* rows with y <= 0 on a log y axis */
} cx_plot_groups;

/* Groups the rows by (series, x) and computes y's statistics per group, as
 * cx_plot_line_svg draws them. Errors: unknown column, y text, no rows. */
cx_status cx_plot_group_stats(const cx_plot_table *t, const char *x, const char *y,
                              const char *series, int log_x, int log_y, cx_plot_groups *out);
void cx_plot_groups_free(cx_plot_groups *g);

/* The cells of a heat map: mean of z per (x, y). */
typedef struct {
    size_t nx, ny;
    char **x_labels, **y_labels; /* distinct values as text, in axis order */
    double *mean;                /* [ny][nx], y index 0 at the bottom; NaN: no rows */
    size_t *n;                   /* [ny][nx] rows per cell */
    double lo, hi;               /* min and max of the cell means */
    size_t skipped;              /* rows without x, y or z */
} cx_plot_grid;

cx_status cx_plot_grid_stats(const cx_plot_table *t, const char *x, const char *y, const char *z,
                             cx_plot_grid *out);
void cx_plot_grid_free(cx_plot_grid *g);

/* Axis ticks over [lo, hi]: linear axes at 1, 2 or 5 x 10^k steps (about
 * `target` of them); log axes at decades with minor ticks at 2..9 x 10^k
 * (every k-th decade labelled when there are more than `target`), at 1-2-5 x
 * 10^k when fewer than three decades are in range, at every digit below a
 * decade. Labels are %g-like without float noise ("0.3", "1e-5", "2.5e6"). */
enum { CX_PLOT_MAX_TICKS = 64, CX_PLOT_TICK_LABEL = 24 };
typedef struct {
    int n_major, n_minor;
    double major[CX_PLOT_MAX_TICKS], minor[CX_PLOT_MAX_TICKS];
    char label[CX_PLOT_MAX_TICKS][CX_PLOT_TICK_LABEL];
} cx_plot_ticks;
void cx_plot_axis_ticks(double lo, double hi, int log_scale, int target, cx_plot_ticks *out);

/* v as the shortest %g text that reads back as v ("0.1", "1e-6", "nan"). */
void cx_plot_format_value(double v, char *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif
