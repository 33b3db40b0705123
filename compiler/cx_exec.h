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
 * acceleration with no late spikes both give bitwise identical outputs. */
#ifndef CX_EXEC_H
#define CX_EXEC_H

#include "cx_noc.h"
#include "cx_program.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t seed;   /* chip instance and noise */
    uint32_t chip;   /* chip index (boards) */
    int router;      /* 1: spikes through the router model; 0: at their due time */
    int track_range; /* record max |x| of every compartment and readout */
} cx_exec_opts;

typedef struct {
    uint64_t samples, steps;
    cx_tile_stats tiles; /* summed over tiles and samples */
    uint64_t packets_injected, packets_delivered, packets_dropped, packets_late;
    uint64_t host_packets;
    uint64_t noc_cycles; /* router cycles simulated */
    double noc_energy_pj;
    double latency_mean_cycles;
    uint64_t latency_p99_cycles, latency_max_cycles;
    double wall_s;
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
/* The router (NULL without one): per-link load for reports. */
const cx_noc *cx_exec_noc(const cx_exec *e);
const cx_tile *cx_exec_tile(const cx_exec *e, int k);

#ifdef __cplusplus
}
#endif
#endif
