/* cx_compile: a trained checkpoint onto a chip (DESIGN.md s4, s7).
 *
 * Lowering (ELM: one tile; GLIFR: METIS placement over tiles), then, with a
 * calibration input: the dynamic range of every compartment on the ideal
 * version of the chip, states rescaled by powers of two to use the rails
 * (what still exceeds them is reported), the expected routing load (the
 * router model on the calibration input), the predicted output error under
 * the configured noise (Monte Carlo over chip instances on the fast kernel)
 * with an error budget per noise source, and the energy per inference. */
#ifndef CX_COMPILE_H
#define CX_COMPILE_H

#include "cx_exec.h"
#include "cx_inputs.h"
#include "cx_program.h"
#include "cx_report.h"

#include <cJSON.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int min_tiles;          /* GLIFR: spread over at least this many tiles (0: fewest) */
    uint64_t seed;          /* placement seed */
    const cx_inputs *calib; /* calibration input, or NULL (no range, traffic, noise) */
    int mc_instances;       /* chip instances of the noise prediction (0: skip) */
    int budget;             /* per-source error budget */
    double headroom;        /* fraction of the rails a state may use */
    const char *label;      /* progress label, NULL for quiet */
    const cx_board *board;  /* compile onto a board (the chip argument is ignored) */
    int min_chips;          /* boards: spread over at least this many chips */
    int routing;            /* with calib: predict the routing load (report only) */
} cx_compile_opts;

cx_compile_opts cx_compile_opts_default(void);

/* Assigns GLIFR neurons to tiles (place.c); *n_tiles receives the count. */
cx_status cx_place_glifr(const cx_glifr_model *m, const cx_chip_config *chip, int min_tiles,
                         uint64_t seed, int *part, int *n_tiles);

/* ---- boards (board_place.c) ---- */

/* The board's chips stacked along y into one mesh (a shallow copy of chip
 * 0: its pointers stay the board's). Lowering works on it; tile ids on it
 * equal the board's (chip * height + y) * width + x. */
cx_chip_config cx_board_stack(const cx_board *b);
/* Groups a program lowered on the stacked mesh into the board's chips
 * (METIS on tile-to-tile routes, at least min_chips), places each chip's
 * tiles nearest its host port and renumbers the AER keys. */
cx_status cx_board_assign(cx_program *p, const cx_board *b, int min_chips, uint64_t seed);

/* Compiles; *report (may be NULL) receives the compile report. */
cx_status cx_compile(const cx_model *m, const cx_chip_config *chip, const cx_compile_opts *o,
                     cx_program **prog, cJSON **report);

#ifdef __cplusplus
}
#endif
#endif
