/* The tile's private layout and the functions its sources share: tile_check.c,
 * tile_bus.c and tile_build.c build a tile, tile_step.c steps it. */
#ifndef CX_TILE_INTERNAL_H
#define CX_TILE_INTERNAL_H

#include "cx_rng.h"
#include "cx_tile.h"

#define CX_TWO_PI 6.283185307179586476925

enum { CX_TILE_MAX_STAGES = 64 }; /* stages of compartments and dendrites */

/* Sparse weighted reads of the signal bus: rows of (bus index, weight). */
typedef struct {
    size_t *row; /* n + 1 offsets */
    size_t *idx; /* bus indices */
    double *w;
    double *e; /* conductance reversal levels (NULL for linear terms) */
} tile_csr;

/* One physical crossbar: a block of a logical dendrite matrix. */
typedef struct {
    size_t spec;                   /* dendrite spec it belongs to */
    size_t in0, n_in, out0, n_out; /* block of the logical matrix */
    int has_bias;                  /* the block's extra row carries the bias */
    double full_scale;
    double *w; /* n_out x (n_in + has_bias), realized */
} tile_array;

typedef struct {
    size_t n_in, n_out;
    size_t *in_bus; /* bus index of each input */
    size_t out_bus; /* first bus slot of the outputs */
    cx_chip_activation act;
    int stage;
    size_t array0, n_arrays;
} tile_dendrite;

typedef struct {
    cx_tile_soma_kind kind;
    size_t in_bus;
    long reset_comp; /* internal compartment index to reset (-1: none) */
    double threshold, width, reset;
    int emit;
    double acc; /* sigma-delta accumulator */
} tile_soma;

/* The synapse entries of one source: syn_*[first .. first + n). */
typedef struct {
    uint32_t key, first, n;
} tile_src_slot;

/* A delayed soma rate materialized on the bus at the start of each step. */
typedef struct {
    size_t soma, delay, bus;
} tile_delayed;

struct cx_tile {
    cx_chip_config chip_scalars; /* the chip's scalar fields (pointers cleared) */
    cx_tile_id id;
    int continuous;
    double h_ms, sub_ms; /* model step, update step (h or the analog step) */
    int nsub;            /* updates per model step */
    size_t n_comps, n_in, n_dend_out, n_somas, n_readouts, n_delayed;

    /* Signal bus: [1 | inputs | x (internal order) | dendrite outs | soma rates | delayed]. */
    double *bus;
    size_t bus_n, bus_in, bus_x, bus_dend, bus_soma, bus_delayed;

    /* Compartments in internal order (sorted by stage). */
    size_t *perm;     /* perm[internal] = netlist index */
    size_t *inv;      /* inv[netlist] = internal */
    size_t *stage_at; /* n_stages + 1 offsets into internal order */
    int n_stages;
    double *v, *x_user, *v_user; /* v internal; user-order copies */
    int identity, user_dirty;    /* internal order == netlist order; copies stale */
    size_t *termed, *termed_at;  /* compartments with drive/cond terms; offsets by position */
    double *p11, *p12, *p21, *p22, *g1, *g2, *l11, *l21, *l22, *gain, *offset;
    double *x0, *v0;
    double *drive, *normals;
    tile_csr drive_csr, cond_csr;
    cx_tile_realized_comp *realized; /* netlist order */
    double x_min, x_max;
    int clip;

    /* Flicker: n_flicker OU processes per compartment. */
    int n_flicker;
    double *fl_state; /* n_flicker planes of n_comps */
    double *fl_a, *fl_s;
    uint64_t *fl_every; /* updates between steps of each process */
    double *fl_sum;     /* sum of the processes per compartment */

    /* Synaptic pulses: a ring over update steps of per-compartment deltas
     * (continuous) or levels (sampled). */
    double *ring;
    unsigned char *ring_used; /* rows holding pulses */
    size_t ring_len;          /* power of two, in update steps */
    int syn_live;             /* syn holds a nonzero sampled pulse */
    double *syn;              /* current synaptic level per compartment */
    uint64_t sub_now;         /* update steps done */
    /* the last delivery's times and the update they gave, valid at when_now */
    double when_due, when_arrival;
    uint64_t when_now, when_update;
    int when_late;
    /* synapse table sorted by source, with an index by source key */
    size_t n_syn;
    uint32_t *syn_src;
    tile_src_slot *runs; /* one per distinct source, by key */
    size_t n_runs;
    uint32_t *src_slots; /* open addressing over runs, power-of-two size; UINT32_MAX: empty */
    uint64_t src_mask;
    int src_shift;
    uint32_t *syn_comp; /* internal index */
    double *syn_w;
    double *syn_w_user; /* realized weights in netlist order */

    tile_dendrite *dend;
    size_t n_dend;
    tile_array *arrays;
    size_t n_arrays;
    double *dend_in, *dend_acc, *dend_noise; /* scratch */
    size_t dend_scratch;
    double read_sigma;

    tile_soma *somas;
    double *rate_hist; /* (max_delay + 1) x n_somas ring over model steps */
    size_t hist_len;
    tile_delayed *delayed;
    double soma_dt_scale; /* spikes per unit rate per update */
    cx_chip_encoder encoder;
    int payload_bits, payload_quant; /* graded values: grid, and whether to round to it */
    uint32_t *spk_soma;
    double *spk_time, *spk_value;
    size_t n_spk, cap_spk;

    tile_csr readout_csr;
    double *readout_bias, *readout;
    int dead;       /* a dead analog core (chip defects): no update, no spike, readouts 0 */
    size_t n_stuck; /* compartments held at a value (internal order) */
    size_t *stuck_idx;
    double *stuck_val;
    cx_tile_defect_stats defects;
    int adc_on;

    cx_rng rng_thermal, rng_flicker, rng_read, rng_encoder;
    int thermal_on, flicker_on;
    double sigma_x;
    uint64_t step_now;
    cx_tile_stats stats;
    double static_pj_per_step;
};

/* Slot to start probing for a source key (Fibonacci hashing). */
static inline uint64_t cx_tile_src_hash(const cx_tile *t, uint32_t key)
{
    return ((uint64_t)key * 0x9e3779b97f4a7c15ull) >> t->src_shift;
}

/* tile_check.c: the netlist against the chip's resources and ranges. */
cx_status cx_tile_check_netlist(const cx_chip_config *chip, const cx_tile_netlist *net);
size_t cx_tile_dendrite_outputs(const cx_tile_netlist *net);

/* tile_bus.c: memory and the signal bus. */
/* All tile arrays are zeroed allocations; a failure frees via cx_tile_free. */
void *cx_tile_zalloc(size_t n, size_t size, int *failed);
/* The bus slot of a signal (after cx_tile_build_delays and the stage order). */
cx_status cx_tile_bus_index(cx_tile *t, const cx_tile_sig *s, size_t *out);
cx_status cx_tile_build_delays(cx_tile *t, const cx_tile_netlist *net, int *failed);
cx_status cx_tile_build_comp_inputs(cx_tile *t, const cx_tile_netlist *net, int *failed);
cx_status cx_tile_build_somas_readouts(cx_tile *t, const cx_chip_config *chip,
                                       const cx_tile_netlist *net, int *failed);

#endif
