/* cx_sweep: Monte-Carlo and design sweeps over chip descriptions
 * (DESIGN.md s5, s7).
 *
 * A sweep description (YAML, format in configs/sweeps/README.md) names a
 * model, a chip, inputs and axes of chip keys. The points are the full grid
 * of axis values times the chip instances (seeds), in a fixed order: the
 * first axis outermost, the seed innermost, so point id =
 * ((i_0 * n_1 + i_1) * ... ) * n_seeds + seed index; at most
 * CX_SWEEP_MAX_POINTS of them.
 *
 * Every point compiles the model for its chip (programs are shared between
 * points whose chips differ only in keys the compiler does not read, see
 * cx_sweep_compile_key), runs it on chip instance `seed` over the inputs and
 * becomes one row of DIR/results.csv and DIR/results.jsonl. A point that
 * fails (a model that does not fit, an invalid key combination) is an error
 * row. Rows hold nothing time-dependent, so the files are byte-identical for
 * any number of worker processes (-j), MPI ranks and resumes. */
#ifndef CX_SWEEP_H
#define CX_SWEEP_H

#include "cx_chip.h"
#include "cx_status.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CX_SWEEP_MAX_POINTS = 1000000 }; /* grid cells x seeds of one sweep */

/* One axis: chip keys set together to each of its values. */
typedef struct {
    char *name;  /* column name: the key, or the axis's `name` */
    char **keys; /* chip key paths (usually one) */
    size_t n_keys;
    int is_text; /* values are strings (enum keys, booleans) */
    int log;     /* generated on a log scale (plots use a log axis) */
    size_t n;    /* number of values */
    char **text; /* each value as written into the chip description */
    double *num; /* numeric values (NaN for text axes) */
    int line;    /* line of the axis in the sweep file */
} cx_sweep_axis;

/* A line plot (y against x, one line per series value, spread over the
 * rows with equal x) or, with z, a heat map of mean z over (x, y). */
typedef struct {
    char *x, *y, *z, *series, *title;
    int log_x, log_y;
} cx_sweep_plot;

/* Result columns after the axes, in file order. */
enum { CX_SWEEP_LEAD_COLS = 1 /* point */ };

typedef struct {
    char *file; /* the sweep description's path */
    char *name, *description;
    char *model_dir, *chip_path;    /* resolved against the sweep file's folder */
    char *inputs_path, *calib_path; /* calib_path NULL: compile without calibration */
    long samples, calib_samples;    /* 0: all */
    char *chip_text;                /* the chip file as read (points re-parse it) */
    size_t n_sets;
    char **set_keys, **set_values; /* base overrides, in file order */
    size_t n_axes;
    cx_sweep_axis *axes;
    size_t n_seeds;
    uint64_t *seeds;
    int router;   /* 1: spikes through the router model; 0: the fast kernel */
    char *metric; /* the column the summary and default plots are about */
    size_t n_plots;
    cx_sweep_plot *plots; /* explicit plots, or the defaults */
    /* columns of results.csv / results.jsonl */
    size_t n_cols;
    char **col_names;
    int *col_text;
} cx_sweep_spec;

/* Parses and validates a sweep description: every key known, paths that
 * exist, axis keys that are keys of the chip description, every axis value
 * valid for the chip alone. Errors name the file, line and key. */
cx_status cx_sweep_spec_load(const char *path, cx_sweep_spec **out);
void cx_sweep_spec_free(cx_sweep_spec *s);

/* Grid cells (product of axis sizes) and points (cells x seeds). */
size_t cx_sweep_cells(const cx_sweep_spec *s);
size_t cx_sweep_points(const cx_sweep_spec *s);
/* The cell and seed index of point id; idx (n_axes, may be NULL) receives
 * the value index of every axis. */
void cx_sweep_point_of(const cx_sweep_spec *s, size_t id, size_t *cell, size_t *seed_index,
                       size_t *idx);
/* The chip description of grid cell `cell` (base overrides, then the axis
 * values); on error the message names the key. */
cx_status cx_sweep_cell_chip(const cx_sweep_spec *s, size_t cell, cx_chip_config *chip);
/* Index of a column by name, or -1. */
int cx_sweep_column(const cx_sweep_spec *s, const char *name);

/* Canonical text of the parts of a chip description that the compiled
 * program depends on (malloc'd). Two chips with equal keys compile to the
 * same program; see the rule in plan.c. */
char *cx_sweep_compile_key(const cx_chip_config *chip);

/* The plan: which cells share a program, which cells are invalid, and the
 * hash of everything the results depend on. */
typedef struct {
    size_t n_cells;
    int *group;        /* per cell: program group, -1 when the chip is invalid */
    char **cell_error; /* per cell: why the chip is invalid, else NULL */
    size_t n_groups;
    size_t *group_cell; /* representative (first) cell of each group */
    uint64_t hash;      /* points, chips, model files, inputs */
} cx_sweep_plan;

cx_status cx_sweep_plan_build(const cx_sweep_spec *s, cx_sweep_plan **out);
void cx_sweep_plan_free(cx_sweep_plan *p);

typedef struct {
    const char *output; /* DIR */
    int jobs;           /* worker processes per rank (1: in this process) */
    int restart;        /* discard DIR's earlier results */
    int plots;          /* draw the plots at the end */
} cx_sweep_opts;

/* Runs (or resumes) the sweep into opts->output. On rank 0, *summary (may be
 * NULL) receives the summary that DIR/summary.json holds. Collective under
 * MPI: every rank calls it; rank 0 alone writes files. */
cx_status cx_sweep_run(const cx_sweep_spec *s, const cx_sweep_opts *o, cJSON **summary);

/* Draws the plots from DIR/results.csv and writes DIR/index.html;
 * *n_pictures (may be NULL) receives the number of SVG files. */
cx_status cx_sweep_plots(const cx_sweep_spec *s, const char *dir, int *n_pictures);

/* The summary as readable text. */
void cx_sweep_summary_print(FILE *fp, const cJSON *summary);

#ifdef __cplusplus
}
#endif
#endif
