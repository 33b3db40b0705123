/* Shared pieces of the sweep module (not a public header). */
#ifndef CX_SWEEP_INTERNAL_H
#define CX_SWEEP_INTERNAL_H

#include "cx_strbuf.h"
#include "cx_sweep.h"
#include "cx_yaml.h"

#include <stddef.h>
#include <stdint.h>

/* ---- numbers and hashes (util.c) ---- */

/* Shortest "%.*g" text (15..17 digits) that reads back as v; "inf"/"-inf". */
void cx_sweep_fmt_num(char buf[32], double v);

/* FNV-1a, 64 bits: the plan's hash. */
uint64_t cx_sweep_hash(uint64_t h, const void *p, size_t n);
#define CX_SWEEP_HASH_INIT 0xcbf29ce484222325ull

/* ---- points ---- */

/* The chip document of a cell: the chip text with the base overrides and
 * the axis values; the caller frees it with cx_yaml_free. */
cx_status cx_sweep_cell_doc(const cx_sweep_spec *s, size_t cell, cx_yaml_doc **out);

/* ---- rows (rows.c) ---- */

/* Result columns after the axes (see cx_sweep_spec.col_names). */
enum {
    COL_SEED,
    COL_STATUS,
    COL_RMSE,
    COL_RMSE_LAST,
    COL_MAX_ABS,
    COL_ACCURACY,
    COL_PACKETS,
    COL_LINK_UTIL,
    COL_LAT_MEAN,
    COL_LAT_P99,
    COL_RECEIVED,
    COL_LATE,
    COL_LATE_FRAC,
    COL_DROPPED,
    COL_ENERGY,
    COL_ROUTER_ENERGY,
    COL_PROGRAM,
    COL_CACHED,
    COL_MESSAGE,
    COL_N_RESULT
};
extern const char *const cx_sweep_result_cols[COL_N_RESULT];
extern const int cx_sweep_result_text[COL_N_RESULT];

/* One row: num[c] for numeric columns (NaN: missing), text[c] for text ones. */
typedef struct {
    size_t id;
    double *num;
    char **text;
} cx_sweep_row;

cx_status cx_sweep_row_init(const cx_sweep_spec *s, cx_sweep_row *r);
void cx_sweep_row_release(const cx_sweep_spec *s, cx_sweep_row *r);
/* Column index of result column k (COL_*). */
size_t cx_sweep_rcol(const cx_sweep_spec *s, int k);
void cx_sweep_row_set_text(const cx_sweep_spec *s, cx_sweep_row *r, size_t col, const char *t);
/* The row as one JSON line (with '\n'), columns in order. */
void cx_sweep_row_json(const cx_sweep_spec *s, const cx_sweep_row *r, cx_strbuf *b);
/* The row as one CSV line (with '\n'). */
void cx_sweep_row_csv(const cx_sweep_spec *s, const cx_sweep_row *r, cx_strbuf *b);
void cx_sweep_header_csv(const cx_sweep_spec *s, cx_strbuf *b);
/* Parses a JSON line written by cx_sweep_row_json; r must be initialized. */
cx_status cx_sweep_row_parse(const cx_sweep_spec *s, const char *line, size_t len, cx_sweep_row *r);

/* ---- one process's point evaluator (point.c) ---- */

typedef struct cx_sweep_worker cx_sweep_worker;

typedef struct {
    int compiled; /* this evaluation compiled a program (a cache miss) */
    double compile_s, run_s;
} cx_sweep_timing;

/* Loads the model, inputs, calibration input and reference outputs. */
cx_status cx_sweep_worker_alloc(const cx_sweep_spec *s, const cx_sweep_plan *plan,
                                cx_sweep_worker **out);
void cx_sweep_worker_free(cx_sweep_worker *w);
/* Evaluates point id into its JSON line (*line malloc'd, *len bytes). Point
 * failures are error rows; only running out of memory fails. */
cx_status cx_sweep_worker_point(cx_sweep_worker *w, size_t id, char **line, size_t *len,
                                cx_sweep_timing *t);
/* Accuracy of the reference on the inputs (NaN without labels). */
double cx_sweep_worker_reference_accuracy(const cx_sweep_worker *w);

#endif
