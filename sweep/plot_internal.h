/* Shared by the plot sources: a text buffer, escaping, colours, table checks. */
#ifndef CX_PLOT_INTERNAL_H
#define CX_PLOT_INTERNAL_H

#include "cx_plot.h"

#include <stddef.h>

/* A growing text buffer; the first allocation failure sticks. */
typedef struct {
    char *s;
    size_t len, cap;
    int nomem;
} cx_plot_buf;

void cx_plot_buf_printf(cx_plot_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s escaped for XML/HTML text or attribute values (&<>"'); control
 * characters other than tab and newlines become spaces. max_chars >= 3
 * shortens longer text to that many UTF-8 characters with an ellipsis in the
 * middle. */
void cx_plot_buf_text(cx_plot_buf *b, const char *s, size_t max_chars);
/* Writes the buffer to path atomically and frees it. */
cx_status cx_plot_buf_write(cx_plot_buf *b, const char *path);

/* UTF-8 characters in s (for layout estimates). */
size_t cx_plot_utf8_len(const char *s);

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
