/* Shared by the plot sources: colours, table checks, number formatting. */
#ifndef CX_PLOT_INTERNAL_H
#define CX_PLOT_INTERNAL_H

#include "cx_plot.h"
#include "cx_strbuf.h"

#include <stddef.h>

/* Okabe-Ito, most distinct on white first. */
enum { CX_PLOT_NPALETTE = 8 };
extern const char *const cx_plot_palette[CX_PLOT_NPALETTE];

/* viridis at t in [0, 1] as 0..255 RGB. */
void cx_plot_viridis(double t, int rgb[3]);

/* Checks the table's shape; the column's index or an error naming it. `what`
 * labels the role ("x", "y", ...). need_number: a text column is an error. */
cx_status cx_plot_check_table(const cx_plot_table *t);
cx_status cx_plot_find(const cx_plot_table *t, const char *name, const char *what, int need_number,
                       int *col);

/* Cell (r, c) as text: the text cell, or the number formatted; NULL when missing. */
const char *cx_plot_cell_text(const cx_plot_table *t, size_t r, int c, char *tmp, size_t n);
/* 1 when cell (r, c) holds a value (finite number or non-empty text). */
int cx_plot_cell_present(const cx_plot_table *t, size_t r, int c);

char *cx_plot_strdup(const char *s);

/* v with sig significant digits, %g-style and tidy ("2.01e6", never "-0"). */
void cx_plot_format_sig(double v, int sig, char *out, size_t n);

/* Distinct values of column col as owned text in axis order (numbers
 * ascending, text as first seen), and how many cells are missing. */
cx_status cx_plot_distinct(const cx_plot_table *t, int col, char ***labels, size_t *n,
                           size_t *missing);
void cx_plot_free_labels(char **labels, size_t n);

#endif
