/* cx_tile_run: drives one tile from host data, step by step, and records it.
 *
 * The host port: before model step k, the host's analog inputs (row k) are
 * set and row k's spike counts are sent as AER packets due at step k; after
 * the step, readouts, recorded signals and soma spikes are stored, and
 * optionally dumped as VCD (one tick = one model step) and an SVG plot.
 * cx_tile_run does this in a plain loop; cx_tile_run_systemc does the same
 * with SystemC Host and Tile modules exchanging packets over sc_fifo ports
 * (chip/tile_sc.cpp), and gives identical results. */
#ifndef CX_TILE_RUN_H
#define CX_TILE_RUN_H

#include "cx_tile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t steps;
    /* host data (may be NULL) */
    double *inputs; /* [input_steps, n_inputs] */
    size_t input_steps;
    double *spikes; /* [spike_steps, n_sources] counts; column j is source j */
    size_t spike_steps, n_sources;
    /* what to record */
    const cx_tile_sig *record;
    size_t n_record;
    const char *const *record_names, *const *soma_names;
    const char *vcd_path, *svg_path, *title;
    void (*progress)(void *ctx, size_t done, size_t total); /* may be NULL */
    void *progress_ctx;
    /* results, allocated by the run (free with cx_tile_run_io_free) */
    double *readout;      /* [steps, n_readouts] */
    double *trace;        /* [steps, n_record] */
    uint8_t *soma_spikes; /* [steps, n_somas], saturating at 255 */
} cx_tile_run_io;

cx_status cx_tile_run(cx_tile *t, cx_tile_run_io *io);
/* CX_ERR_FIT when io->steps of recordings would pass CX_MAX_OUTPUT_BYTES
 * (cx_limits.h); both engines check before allocating. */
cx_status cx_tile_run_check(const cx_tile *t, const cx_tile_run_io *io);
/* The chip gives the physical step length (step_ms / acceleration). */
cx_status cx_tile_run_systemc(cx_tile *t, const cx_chip_config *chip, cx_tile_run_io *io);
void cx_tile_run_io_free(cx_tile_run_io *io);

/* ---- pieces shared by both engines ---- */
typedef struct cx_tile_recorder cx_tile_recorder;
cx_status cx_tile_recorder_begin(cx_tile *t, cx_tile_run_io *io, cx_tile_recorder **out);
/* Host side of step k: sets the inputs; returns the packets due at step k
 * (their source ids) through *sources / *n (valid until the next call). */
void cx_tile_recorder_host(cx_tile_recorder *r, size_t k, const uint32_t **sources, size_t *n);
/* Records step k after cx_tile_step. */
cx_status cx_tile_recorder_after(cx_tile_recorder *r, size_t k);
/* Closes the VCD and writes the plot; frees r (also on error). */
cx_status cx_tile_recorder_end(cx_tile_recorder *r, cx_status status);

#ifdef __cplusplus
}
#endif
#endif
