/* cx_exec: runs a compiled program on a chip instance — tiles plus the
 * router model, inputs entering through the host port as spikes (DESIGN.md
 * s2, s6).
 *
 * Timeline (model time; the router runs in physical cycles, model time /
 * acceleration). Tile step t covers [t h, (t + 1) h). The host sends the
 * input of step t at the start of step t - 1 (one step of lead: the host
 * streams recorded input), due at t h. A soma's graded spike leaves at the
 * end of its step, due when its route says (GLIFR: d - 1 steps later, the
 * start of the step that reads S_{t-d}). A spike that reaches its tile after
 * it was due is late: counted and applied at the next step. Samples run one
 * after another on one router timeline; the network drains between them
 * and every tile restarts from its reset state (same chip instance).
 *
 * Without the router (router = 0), spikes are delivered at their due time:
 * the fast kernel the compiler's Monte Carlo uses. In sampled mode at any
 * acceleration with no late spikes both give bitwise identical outputs.
 *
 * Boards (a program compiled with cx_compile's board option): one router per
 * chip; a spike for another chip leaves through a chip-link port (a router
 * host port), crosses the link (latency, one packet at a time at the link's
 * bandwidth) and enters the far chip's router at its port; chips that only
 * relay forward it the same way. The host feeds each chip's inputs at its
 * host I/O port and adds the readouts of all chips. With `distributed`, the
 * chips are spread over MPI ranks (chip c on rank c mod ranks) and advance
 * in windows no longer than the smallest link latency (conservative
 * synchronization: a packet that reaches a port inside a window cannot reach
 * the far chip before the window ends); every rank sees every output. The
 * window schedule, the order in which relayed packets enter a router and
 * the order of every floating-point sum are the same for any number of
 * ranks, so outputs are bitwise identical for 1, 2, ... ranks. */
#ifndef CX_EXEC_H
#define CX_EXEC_H

#include "cx_board.h"
#include "cx_noc.h"
#include "cx_program.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t seed;   /* chip instance and noise */
    uint32_t chip;   /* chip index of a one-chip program (boards use each tile's) */
    int router;      /* 1: spikes through the router model; 0: at their due time */
    int track_range; /* record max |x| of every compartment and readout */
    /* Boards: the board of a board program, optionally other configs for its
     * chips (e.g. noise-free ones; NULL: the board's), and whether the chips
     * are spread over MPI ranks (every rank must then make the same calls). */
    const cx_board *board;
    const cx_chip_config *chips;
    int distributed;
} cx_exec_opts;

typedef struct {
    uint64_t samples, steps;
    cx_tile_stats tiles; /* summed over tiles and samples */
    uint64_t packets_injected, packets_delivered, packets_dropped, packets_late;
    uint64_t host_packets;
    uint64_t noc_cycles; /* router cycles simulated */
    double noc_energy_pj;
    double latency_mean_cycles;
    uint64_t latency_p99_cycles, latency_max_cycles; /* boards: the worst chip's */
    double wall_s;
    /* boards */
    uint64_t chip_link_packets; /* link crossings (a relayed spike counts per link) */
    uint64_t sync_windows;      /* synchronization windows of the chips */
    /* chip defects */
    uint64_t tiles_dead;        /* program tiles that sit on a dead core (on this rank) */
    uint64_t packets_dead_link; /* spike copies lost in dead links */
    uint64_t routes_detoured;   /* routes whose tree avoids dead links (summed over chips) */
    cx_tile_defect_stats tile_defects; /* summed over this rank's tiles (lost_weight: the worst) */
} cx_exec_stats;

typedef struct cx_exec cx_exec;

/* Allocates the tiles of `p` on `chip` (validating every netlist against the
 * chip: resource errors name the resource) and the router with its routes. */
cx_status cx_exec_alloc(const cx_program *p, const cx_chip_config *chip, const cx_exec_opts *o,
                        cx_exec **out);
void cx_exec_free(cx_exec *e);

/* One sample of T steps: x [T][n_inputs] model inputs (NeuronIO signs
 * applied), y [T][n_outputs]; rec[q] (NULL to skip) receives probe q as
 * [T][n]. */
cx_status cx_exec_sample(cx_exec *e, const double *x, int T, double *y, double *const *rec);

const cx_exec_stats *cx_exec_get_stats(const cx_exec *e);
/* With track_range: max |x| per compartment / per readout of program tile k. */
double *cx_exec_comp_range(const cx_exec *e, int k);
double *cx_exec_readout_range(const cx_exec *e, int k);
/* The router (NULL without one): per-link load for reports; on a board,
 * chip 0's (every rank holds chip 0). */
const cx_noc *cx_exec_noc(const cx_exec *e);
/* Boards: packets and busy time of link l in each direction (a -> b, b -> a),
 * over the whole run, on every rank. */
void cx_exec_link_load(const cx_exec *e, int l, uint64_t packets[2], double busy_ns[2]);
/* The board of a board run, NULL on one chip. */
const cx_board *cx_exec_board(const cx_exec *e);
const cx_tile *cx_exec_tile(const cx_exec *e, int k);

#ifdef __cplusplus
}
#endif
#endif
