/* cx_tile: the analog cortical tile — state and math (DESIGN.md s2, s3, s5).
 *
 * A tile hosts compartments (second-order oscillators, or first-order leaky
 * units), dendrite arrays (crossbar matrix-vector product + activation unit),
 * somas (rate units with spike encoders), a synapse table (incoming spikes ->
 * weighted input pulses) and readout channels (ADC once per model step). The
 * SystemC shell (cx_tile_sc.h) only decides when cx_tile_step runs.
 *
 * Signals. Everything an element can read is a signal: the constant 1, a host
 * input channel (held over the model step), a compartment state x, a dendrite
 * output, or a soma rate (optionally from a whole number of model steps ago).
 *
 * One model step of h = step_ms:
 *   for each stage s = 0, 1, ... (stages order the dataflow inside a step):
 *     dendrite arrays of stage s evaluate from the current signals;
 *     compartments of stage s take the drive
 *         d = g * (sum_k w_k * signal_k + synaptic pulses) + b + flicker
 *             + sum_c G_c * (E_c - x),    G_c = w_c * signal_c,
 *     held over the step (conductances are part of the held input), and
 *     advance with their exact zero-order-hold step; later stages see the
 *     new states of earlier ones;
 *   somas read their input and update rate and spikes; readouts convert.
 * Spikes: with a sigma_delta or bernoulli encoder an emitting sigmoid soma
 * fires at r * max_rate_hz; with the graded encoder it sends one spike per
 * model step (at its end, in continuous mode too) whose value is r,
 * rounded to tile.somas.payload_bits when noise.quantization.weights is on,
 * and none when that value is 0. A threshold soma's spike has value 1.
 * Sampled mode advances each compartment once per model step and adds one
 * thermal (kT/C) sample of std sigma_x to x. Continuous mode advances in
 * analog steps of tile.analog_step_ms (the model step must be a whole number
 * of them), re-evaluating dendrites, drives and somas every analog step, with
 * white noise on v scaled so that x has stationary std sigma_x; first-order
 * units are realized as overdamped compartments with tau_f = tau_min_ms.
 *
 * Realization. Programmed values go through the parameter DACs (cx_dac.h)
 * when quantization is on, then per-instance mismatch (log-normal on time
 * constants and gains, additive on offsets and weights' logs) drawn once
 * from the tile's seed. cx_tile_realized() gives what the tile really runs.
 *
 * Randomness: every source has its own stream (cx_rng_stream) seeded by
 * (seed, chip, tile, source), so results do not depend on tile evaluation
 * order, threads or ranks, and switching one source off leaves the others'
 * draws unchanged. */
#ifndef CX_TILE_H
#define CX_TILE_H

#include "cx_aer.h"
#include "cx_chip.h"
#include "cx_status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CX_TILE_SIG_CONST,    /* the constant 1 (index unused) */
    CX_TILE_SIG_INPUT,    /* host analog input channel */
    CX_TILE_SIG_STATE,    /* compartment state x */
    CX_TILE_SIG_DENDRITE, /* dendrite output (one per output row of an array) */
    CX_TILE_SIG_SOMA      /* soma rate in [0, 1] (fraction of max_rate_hz) */
} cx_tile_sig_kind;

typedef struct {
    cx_tile_sig_kind kind;
    int index;
    int delay_steps; /* SOMA only: the rate of that many model steps ago */
} cx_tile_sig;

/* A weighted signal. */
typedef struct {
    cx_tile_sig sig;
    double weight;
} cx_tile_term;

typedef struct {
    cx_tile_sig sig;
    double weight;   /* G = weight * signal */
    double reversal; /* E, model units of x */
} cx_tile_cond;

typedef enum { CX_TILE_SECOND_ORDER, CX_TILE_FIRST_ORDER } cx_tile_comp_kind;

typedef struct {
    cx_tile_comp_kind kind;
    double omega_rad_per_ms, zeta; /* second order */
    double tau_ms;                 /* first order */
    double gain, offset;           /* g, b */
    double x0, v0;                 /* state at reset */
    int stage;
    size_t n_drive;
    const cx_tile_term *drive;
    size_t n_cond;
    const cx_tile_cond *cond;
} cx_tile_comp_spec;

/* A logical matrix; larger than one array, it is split across arrays whose
 * partial sums add in the analog domain. A bias uses one extra row (driven
 * by the constant 1) and shares the array's weight scale. */
typedef struct {
    size_t n_in, n_out;
    const cx_tile_sig *inputs; /* n_in signals */
    const double *weights;     /* n_out x n_in, row-major */
    const double *bias;        /* n_out, or NULL */
    cx_chip_activation activation;
    int stage;
    double full_scale; /* weight full scale; 0: max |w| of each physical array */
} cx_tile_dendrite_spec;

typedef enum {
    CX_TILE_SOMA_SIGMOID,  /* rate r = 1 / (1 + exp(-(s - threshold) / width)) */
    CX_TILE_SOMA_THRESHOLD /* spike when s >= threshold; r = 1 on that step; x -> reset */
} cx_tile_soma_kind;

typedef struct {
    cx_tile_soma_kind kind;
    cx_tile_sig input;
    double threshold, width;
    double reset; /* THRESHOLD: new x of the input compartment after a spike */
    int emit;     /* send AER spikes (sigmoid: through the chip's encoder) */
} cx_tile_soma_spec;

typedef struct {
    size_t n_terms;
    const cx_tile_term *terms;
    double bias;
} cx_tile_readout_spec;

/* A spike from `source` (cx_aer_source_id) adds `weight` (times the value of
 * a graded spike) to the compartment's input for one model step. */
typedef struct {
    uint32_t source;
    int compartment;
    double weight;
} cx_tile_synapse_spec;

typedef struct {
    double step_ms; /* model step */
    size_t n_inputs;
    size_t n_comps;
    const cx_tile_comp_spec *comps;
    size_t n_dendrites;
    const cx_tile_dendrite_spec *dendrites;
    size_t n_somas;
    const cx_tile_soma_spec *somas;
    size_t n_readouts;
    const cx_tile_readout_spec *readouts;
    size_t n_synapses;
    const cx_tile_synapse_spec *synapses;
    double synapse_full_scale; /* 0: max |w| of the table */
} cx_tile_netlist;

typedef struct {
    uint64_t seed;
    uint32_t chip, tile;
} cx_tile_id;

/* What the tile really runs for one compartment after DACs and mismatch. */
typedef struct {
    cx_tile_comp_kind kind;
    double omega_rad_per_ms, zeta, tau_ms, gain, offset;
    double sigma_x; /* thermal std of x (0: off) */
} cx_tile_realized_comp;

typedef struct {
    uint64_t steps;             /* model steps */
    uint64_t compartment_steps; /* compartment updates (analog steps in continuous mode) */
    uint64_t clipped_steps;     /* compartment updates that hit a rail */
    uint64_t spikes_in, late_spikes, spikes_out;
    uint64_t synaptic_events; /* synapse-table weights applied */
    uint64_t dendrite_macs;
    uint64_t adc_conversions;
    double energy_pj; /* dynamic + static, from the chip's energy section */
} cx_tile_stats;

typedef struct cx_tile cx_tile;

/* Validates the netlist against the chip (resources, ranges, signal indices,
 * stages) and realizes it; errors name the element and the resource. */
cx_status cx_tile_alloc(const cx_chip_config *chip, const cx_tile_netlist *net,
                        const cx_tile_id *id, cx_tile **out);
void cx_tile_free(cx_tile *t);
/* States to x0/v0, time and stats to 0, noise streams restarted; the
 * mismatch draw stays (it is the chip instance). */
void cx_tile_reset(cx_tile *t);

/* Host inputs (n_inputs values) held over the following model steps. */
void cx_tile_set_inputs(cx_tile *t, const double *inputs);
/* A spike of `source` meant to act from model time due_ms, that reached the
 * tile at arrival_ms. It acts from max(due, arrival) (sampled: at the first
 * step starting at or after it; continuous: the next analog step); it is late
 * when arrival_ms > due_ms, or when that time has already passed (then it
 * acts now). Unknown sources are ignored (no synapse entry). */
void cx_tile_deliver(cx_tile *t, uint32_t source, double due_ms, double arrival_ms);
/* cx_tile_deliver of a graded spike: every synapse pulse of the source is
 * weight * value (cx_tile_deliver is value 1, bit for bit). */
void cx_tile_deliver_value(cx_tile *t, uint32_t source, double value, double due_ms,
                           double arrival_ms);
/* The run of a source's entries in the synapse table (found through a hash
 * index by source key), -1 when the tile has none; and cx_tile_deliver_value
 * of a spike from that source given its run: a caller that knows its sources
 * in advance looks them up once. */
long cx_tile_source_run(const cx_tile *t, uint32_t source);
void cx_tile_deliver_run(cx_tile *t, long run, double value, double due_ms, double arrival_ms);
/* One model step. */
void cx_tile_step(cx_tile *t);
/* Makes the tile a dead one (a defect of its analog core): from now on its
 * states and readouts are 0 and it sends no spike; it keeps counting steps. */
void cx_tile_set_dead(cx_tile *t);

/* What the defects inside the tile (chip defects: stuck compartment slots,
 * dead synapse entries, stuck crossbar cells) did to its netlist. With
 * defects.remap the tile uses only working compartment slots and synapse
 * entries (a netlist that needs more fails to allocate, naming them) and
 * moves a crossbar column that meets a stuck cell to a spare column without
 * one; what cannot be avoided is counted here. */
typedef struct {
    uint64_t stuck_compartments; /* netlist compartments held at a value */
    uint64_t dead_synapses;      /* netlist synapses whose entry is dead */
    uint64_t stuck_weights;      /* crossbar weights on stuck cells */
    uint64_t moved_columns;      /* crossbar columns moved to spare ones */
    double lost_weight;          /* sum |w - stuck| of those weights over sum |w| of all */
} cx_tile_defect_stats;
const cx_tile_defect_stats *cx_tile_defects(const cx_tile *t);

double cx_tile_time_ms(const cx_tile *t);
double cx_tile_step_ms(const cx_tile *t);
size_t cx_tile_n_inputs(const cx_tile *t);
size_t cx_tile_n_comps(const cx_tile *t);
size_t cx_tile_n_somas(const cx_tile *t);
size_t cx_tile_n_readouts(const cx_tile *t);
const double *cx_tile_x(const cx_tile *t); /* n_comps states */
const double *cx_tile_v(const cx_tile *t);
const double *cx_tile_dendrite_out(const cx_tile *t);
const double *cx_tile_soma_rate(const cx_tile *t);
const double *cx_tile_readout(const cx_tile *t); /* after the ADC, this step */
/* The current value of any signal (a delayed soma rate included). */
double cx_tile_signal(const cx_tile *t, cx_tile_sig sig);
/* Spikes emitted by the last step: soma index and emission time (model ms). */
size_t cx_tile_spikes(const cx_tile *t, const uint32_t **somas, const double **times_ms);
/* Their values, parallel to cx_tile_spikes: the graded value, or 1 for a
 * sigma-delta, Bernoulli or threshold spike. */
const double *cx_tile_spike_values(const cx_tile *t);
const cx_tile_stats *cx_tile_get_stats(const cx_tile *t);
const cx_tile_realized_comp *cx_tile_realized(const cx_tile *t, size_t comp);
/* Realized synapse weight of entry i (netlist order) and crossbar weight of
 * dendrite spec d (output r, input c; c = n_in is the bias row) after DACs,
 * mismatch and programming noise. NaN when out of range. */
double cx_tile_synapse_weight(const cx_tile *t, size_t i);
double cx_tile_dendrite_weight(const cx_tile *t, size_t d, size_t r, size_t c);
/* Physical arrays a dendrite spec occupies. */
int cx_tile_arrays_needed(const cx_chip_config *chip, const cx_tile_dendrite_spec *d);

#ifdef __cplusplus
}
#endif
#endif
