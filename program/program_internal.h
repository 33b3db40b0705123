/* Program files, not a public header: the file format and what the saver
 * (program_save.c), the manifest reader (program_manifest.c) and the tensor
 * loader (program_load.c) share. */
#ifndef CX_PROGRAM_INTERNAL_H
#define CX_PROGRAM_INTERNAL_H

/* The format: a YAML manifest for people and checks, the numbers in a
 * safetensors file beside it.
 *
 * PATH (e.g. prog.yaml) is the manifest; the tensors go to PATH with its
 * extension replaced by .safetensors (prog.safetensors), which the manifest
 * names relative to its own folder:
 *
 *   format: cortile-program
 *   version: 1
 *   model: {kind: elm, dir: "models/elm"}     # cx_model_kind_name; dir may be ~
 *   chip: "default"                           # may be ~
 *   board: "quad"                             # optional: compiled for a board ...
 *   chips: 4                                  # ... of this many chips
 *   step_ms: 1
 *   steps_hint: 100
 *   host: 0
 *   inputs: 784
 *   outputs: 10
 *   tensors: "prog.safetensors"
 *   tiles:                                    # in program order, index = position
 *     - {index: 0, x: 0, y: 0, compartments: 12, dendrites: 1, somas: 4, readouts: 10, synapses: 0}
 *                                             # (board programs add chip: c)
 *   routes: 3
 *   probes:
 *     - {name: "V", groups: 1, n: 12}
 *
 * Tensors: reals F64, integers I64; a signal is an I64 row (kind, index,
 * delay_steps) of cx_tile_sig. With C, A, S, R, Y the tile's counts above:
 *
 *   tile<k>.net.step_ms, .net.synapse_full_scale [1]; .net.n_inputs [1] I64
 *   tile<k>.comp.kind, .comp.stage, .comp.n_drive, .comp.n_cond      [C] I64
 *   tile<k>.comp.omega_rad_per_ms, .zeta, .tau_ms, .gain, .offset, .x0, .v0,
 *          .comp.scale (comp_scale)                                 [C]
 *   tile<k>.drive.sig [D, 3], .drive.weight [D]     D = sum n_drive, compartment order
 *   tile<k>.cond.sig [G, 3], .cond.weight, .cond.reversal [G]   G = sum n_cond
 *   tile<k>.dend.n_in, .n_out, .activation (cx_chip_activation bit), .stage,
 *          .has_bias [A] I64; .dend.full_scale [A]
 *   tile<k>.dend.inputs [sum n_in, 3]; .dend.weights [sum n_out * n_in] (each
 *          dendrite's n_out x n_in, row-major); .dend.bias [sum n_out of biased ones]
 *   tile<k>.soma.kind, .soma.emit [S] I64; .soma.input [S, 3];
 *          .soma.threshold, .width, .reset [S]
 *   tile<k>.readout.n_terms [R] I64, .readout.bias [R];
 *          .readout.sig [T, 3], .readout.weight [T]     T = sum n_terms
 *   tile<k>.syn.source, .syn.compartment [Y] I64; .syn.weight [Y]
 *   in.sign, in.scale [inputs]
 *   out.row [outputs + 1] I64; out.tile, out.chan [K] I64; out.scale [K];
 *          out.bias [outputs]                           K = out.row[outputs]
 *   route.key, .src_tile, .src_index, .n_dests [routes] I64; route.due_offset_ms
 *          [routes]; route.dests [sum n_dests] I64
 *   probe<j>.tile [n] I64, probe<j>.sig [n, 3], probe<j>.scale [n]
 *
 * __metadata__ holds format = cortile-program and tile<k>.names: the
 * compartment names, one a line ('\' and newline escaped as "\\" and "\n";
 * a line "\0" is a compartment without a name).
 *
 * Manifest reals are written with the fewest digits (up to %.17g) that read
 * back exactly and tensors as F64, so loading gives back the saved program
 * bit for bit. Loading checks every count, kind, signal index and value, and
 * names the file and key or tensor at fault. */
#include "cx_program.h"
#include "cx_yaml.h"

#include <stdio.h>

#define FORMAT_NAME "cortile-program"
enum { FORMAT_VERSION = 1, NAME_LEN = 96 };

/* "tile<k>.<field>", or field alone for program-level tensors (k < 0). */
static inline const char *tensor_name(char *buf, int k, const char *field)
{
    if (k < 0)
        snprintf(buf, NAME_LEN, "%s", field);
    else
        snprintf(buf, NAME_LEN, "tile%d.%s", k, field);
    return buf;
}

/* A tile's counts and position as the manifest lists them. */
typedef struct {
    long chip, x, y, comps, dends, somas, readouts, synapses;
} tile_counts;

/* Everything but the tensors: p's scalars, tile and probe counts, the
 * tensors file name (points into doc). */
cx_status prog_io_parse_manifest(const cx_yaml_doc *doc, cx_program *p, tile_counts **tc,
                                 const char **tensors);

/* How the parts of a loaded (or about to be saved) program agree
 * (program_check.c): tile steps, input signs and scales, one route per key
 * and per source, due offsets, synapses that a route reaches. Errors name
 * `tensors` and the tensor. */
cx_status prog_check_self(const cx_program *p, const char *tensors);

#endif
