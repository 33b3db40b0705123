/* cx_program: a compiled model — per-tile netlists, placement, multicast
 * routes, the host's input and output maps (DESIGN.md s4).
 *
 * A program is what `cortile compile` writes and `cortile run` loads: every
 * tile's netlist (cx_tile.h) with its mesh position, the routes of the AER
 * sources (tile somas and host input channels) to the tiles that hold their
 * synapses, and how model inputs become host packets and readouts become
 * model outputs. It holds no chip instance state: noise, mismatch and
 * quantization are applied when a tile is allocated from it.
 *
 * Each tile's netlist arrays live in growable pools owned by the tile;
 * cx_prog_tile_link() points the netlist's specs into them (after building,
 * loading, or any growth). */
#ifndef CX_PROGRAM_H
#define CX_PROGRAM_H

#include "cx_chip.h"
#include "cx_model.h"
#include "cx_status.h"
#include "cx_tile.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One tile of the program. Specs reference the pools by offset; the pointer
 * fields of the specs are set by cx_prog_tile_link. */
typedef struct {
    int chip; /* board position of the tile's chip (0 on a single chip) */
    int x, y; /* mesh position; the AER tile id is (chip * height + y) * width + x */
    cx_tile_netlist net;

    cx_tile_comp_spec *comps;
    size_t n_comps, cap_comps;
    size_t *comp_drive0, *comp_cond0; /* offsets into terms / conds */
    cx_tile_term *terms;
    size_t n_terms, cap_terms;
    cx_tile_cond *conds;
    size_t n_conds, cap_conds;

    cx_tile_dendrite_spec *dends;
    size_t n_dends, cap_dends;
    size_t *dend_in0, *dend_w0, *dend_b0; /* dend_b0 = SIZE_MAX: no bias */
    cx_tile_sig *dend_sigs;
    size_t n_dend_sigs, cap_dend_sigs;
    double *dend_vals; /* weights and biases */
    size_t n_dend_vals, cap_dend_vals;

    cx_tile_soma_spec *somas;
    size_t n_somas, cap_somas;

    cx_tile_readout_spec *readouts;
    size_t n_readouts, cap_readouts;
    size_t *readout_term0; /* offsets into rterms */
    cx_tile_term *rterms;
    size_t n_rterms, cap_rterms;

    cx_tile_synapse_spec *synapses;
    size_t n_synapses, cap_synapses;

    char **comp_names;  /* n_comps, for reports ("V[12]", "m[3]", ...) */
    double *comp_scale; /* model value = comp_scale * x (state scaling) */
} cx_prog_tile;

/* An AER source and the tiles it reaches. */
typedef struct {
    uint32_t key;         /* cx_aer_source_id */
    int src_tile;         /* program tile index; -1: the host */
    int src_index;        /* soma of src_tile, or host input channel */
    double due_offset_ms; /* due time = emission time + due_offset_ms */
    int n_dests;
    int *dests; /* program tile indices */
} cx_prog_route;

/* Samples of model quantities the run can record: value = scale * signal. */
typedef struct {
    char *name;
    int groups; /* written as [groups, B, T, n / groups] when > 1, else [B, T, n] */
    size_t n;
    int *tile;
    cx_tile_sig *sig;
    double *scale;
} cx_prog_probe;

typedef enum { CX_PROG_IN_SPIKES, CX_PROG_IN_VALUES } cx_prog_input_kind;

typedef struct {
    cx_model_kind kind;
    char *model_dir;
    char *chip_name;
    char *board_name; /* NULL: one chip */
    int n_chips;      /* chips of the board (1 on a single chip) */
    double step_ms;
    int steps_hint; /* model steps of the calibration input (0: unknown) */

    /* Inputs: model input channel c enters as host source c. The packet value
     * is x / in_sign[c] (signs folded into synapse weights, so NeuronIO spikes
     * travel as plain spikes); graded values use full scale in_scale[c]. */
    int n_inputs;
    double *in_sign, *in_scale;
    int host; /* host port of the chip (router.hosts index) */

    /* Outputs: y_o = out_bias[o] + sum_k out_scale[k] * readout(out_tile[k], out_chan[k])
     * over k in [out_row[o], out_row[o+1]). */
    int n_outputs;
    size_t *out_row;
    int *out_tile, *out_chan;
    double *out_scale, *out_bias;

    int n_tiles;
    cx_prog_tile *tiles;
    int n_routes, cap_routes; /* cap_routes: allocated (0: exactly n_routes) */
    cx_prog_route *routes;
    int n_probes;
    cx_prog_probe *probes;
} cx_program;

void cx_program_free(cx_program *p);

/* ---- building a tile ---- */

void cx_prog_tile_init(cx_prog_tile *t, int x, int y, double step_ms, size_t n_inputs);
void cx_prog_tile_release(cx_prog_tile *t);
/* Appends a compartment with copies of its drive and conductance terms;
 * returns its index or -1 when out of memory. */
int cx_prog_add_comp(cx_prog_tile *t, const cx_tile_comp_spec *spec, const char *name);
/* Appends a term to compartment c, which must be the last one added
 * (terms are stored contiguously); -1 otherwise. */
int cx_prog_add_drive(cx_prog_tile *t, int c, cx_tile_term term);
int cx_prog_add_cond(cx_prog_tile *t, int c, cx_tile_cond cond);
/* Appends a dendrite spec copying inputs, weights (n_out x n_in) and bias. */
int cx_prog_add_dendrite(cx_prog_tile *t, const cx_tile_dendrite_spec *spec);
int cx_prog_add_soma(cx_prog_tile *t, const cx_tile_soma_spec *spec);
int cx_prog_add_readout(cx_prog_tile *t, const cx_tile_term *terms, size_t n, double bias);
int cx_prog_add_synapse(cx_prog_tile *t, uint32_t source, int comp, double weight);
/* Points the netlist into the pools. */
void cx_prog_tile_link(cx_prog_tile *t);

/* AER tile id of a program tile, and the key of a host input channel
 * (host sources use tile id width * height + host; on a board the chips'
 * tiles come first: the chip argument is then the board's chips stacked
 * along y, see cx_board_stack). */
uint32_t cx_prog_tile_id(const cx_chip_config *chip, const cx_prog_tile *t);
uint32_t cx_prog_host_key(const cx_chip_config *chip, int host, int channel);

/* Resources a tile uses against what the chip's tile has. */
typedef struct {
    size_t comps, somas, synapses, readouts;
    int arrays;
} cx_prog_usage;
cx_prog_usage cx_prog_tile_usage(const cx_chip_config *chip, const cx_prog_tile *t);

/* ---- files ---- */

/* What a program file may hold beyond what its parts must agree on: a model
 * step of at most CX_PROG_MAX_STEP_MS, route due offsets in 0 ..
 * CX_PROG_MAX_DUE_STEPS steps (the router holds a spike until it is due). */
#define CX_PROG_MAX_STEP_MS 1000.0
enum { CX_PROG_MAX_DUE_STEPS = 10000 };

/* Writes PATH (YAML manifest) and PATH's tensors beside it
 * (<PATH without .yaml>.safetensors). Refuses a program that
 * cx_program_load would refuse. */
cx_status cx_program_save(const cx_program *p, const char *path);
/* Loads and checks a program: every count, kind, index and value of the
 * files, then the parts against each other (one route per source key, due
 * offsets, synapses reached by a route, tile steps). Errors name the file
 * and the key or tensor. */
cx_status cx_program_load(const char *path, cx_program **out);
/* The model a loaded program was compiled from (key model.dir, its kind
 * read from the folder), checked against the program: model.kind, step_ms,
 * inputs and outputs. Errors name the manifest `path` and the key. */
cx_status cx_program_load_model(const cx_program *p, const char *path, cx_model **out);

#ifdef __cplusplus
}
#endif
#endif
