/* Lowering passes shared by the compiler's modules (not a public header). */
#ifndef CX_LOWER_H
#define CX_LOWER_H

#include "cx_program.h"

/* A position of the chip's mesh and its hop distance to the host port. */
typedef struct {
    int x, y, dist;
    int dead; /* a dead tile (chip defects the compiler maps around) */
} cx_lower_pos;

/* The width x height positions of the chip's mesh, nearest its first host
 * port first (ties: row-major), dead tiles last when the chip maps around
 * its defects (defects.remap); pos holds width x height entries, *n_live
 * (may be NULL) receives the number of working ones. */
cx_status cx_lower_host_order(const cx_chip_config *chip, cx_lower_pos *pos, int *n_live);
/* The tiles a program may use: all of them, less the dead ones when the chip
 * maps around its defects. */
int cx_lower_live_tiles(const cx_chip_config *chip);
/* CX_ERR_FIT for a program that needs `need` tiles where `live` work, naming
 * the defects when they take some of the mesh. */
cx_status cx_lower_too_few_tiles(const cx_chip_config *chip, int need, int live);

/* A new program with n_tiles empty tiles at the mesh positions closest to
 * the host port (ties: row-major). */
cx_status cx_lower_begin(const cx_chip_config *chip, cx_model_kind kind, const char *model_dir,
                         double step_ms, int n_inputs, int n_outputs, int n_tiles,
                         cx_program **out);

/* ELM / Branch-ELM on one tile. */
cx_status cx_lower_elm(const cx_elm_model *m, const cx_chip_config *chip, const char *model_dir,
                       cx_program **out);

/* What a program tile of a GLIFR placement holds: neurons, input synapses
 * with a nonzero weight, lateral edges from its own neurons (self loops
 * included) and from other tiles' neurons. */
typedef struct {
    long n, inputs, local, remote;
} cx_glifr_part;

/* Counts of every tile of a placement (part[i] in 0 .. n_tiles-1). */
cx_status cx_glifr_parts(const cx_glifr_model *m, const int *part, int n_tiles, cx_glifr_part *out);

/* 1: the tile's local lateral input goes through a crossbar of delayed soma
 * rates; 0: through its synapse table, as graded spikes routed back to the
 * tile. The crossbar when only it fits, the synapse table when only it fits
 * (or there is nothing local), else the cheaper per step in energy. Placement
 * and lowering decide with this one function. */
int cx_glifr_local_crossbar(const cx_chip_config *chip, const cx_glifr_part *p);

/* GLIFR with neuron i on program tile part[i] (0 .. n_tiles-1). */
cx_status cx_lower_glifr(const cx_glifr_model *m, const cx_chip_config *chip, const char *model_dir,
                         const int *part, int n_tiles, cx_program **out);

/* Rescales compartment states so that each stays inside the rails:
 * x_new = x / k with k a power of two >= max_abs / (headroom * rail), capped
 * so that gains stay representable. max_abs[t][c] per tile and compartment.
 * Readout channels are rescaled alike from readout_max[t][r]. Returns the
 * number of compartments still expected to exceed the rails. */
size_t cx_lower_scale(cx_program *p, const cx_chip_config *chip, double *const *max_abs,
                      double *const *readout_max, double headroom);

/* Adds a route of an AER source to program tiles; the spike is due
 * `due` ms after its emission. */
cx_status cx_lower_route(cx_program *p, uint32_t key, int src_tile, int src_index, double due,
                         const int *dests, int n);

/* Adds a probe (takes ownership of nothing; copies). */
cx_status cx_lower_probe(cx_program *p, const char *name, int groups, size_t n, const int *tile,
                         const cx_tile_sig *sig, const double *scale);

#endif
