/* cx_netlist: hand-written tile netlists in YAML (`cortile tile`).
 *
 * A netlist names its elements; elements read signals by name:
 *   const            the constant 1
 *   <input>          a host input channel (a column of the input tensor)
 *   <compartment>    its state x
 *   <dendrite>[k]    output k of a dendrite matrix (<dendrite> alone when it has one)
 *   <soma>           its rate in [0, 1]; <soma>@D the rate D model steps ago
 * configs/tiles/resonators.yaml documents every key with an example. */
#ifndef CX_NETLIST_H
#define CX_NETLIST_H

#include "cx_tile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    cx_tile_netlist net; /* points into the arrays below */
    char *description;
    char **input_names, **comp_names, **soma_names, **readout_names;
    size_t n_record;
    char **record_names;
    cx_tile_sig *record; /* signals to trace */
    /* owned storage behind net */
    cx_tile_comp_spec *comps;
    cx_tile_dendrite_spec *dendrites;
    cx_tile_soma_spec *somas;
    cx_tile_readout_spec *readouts;
    cx_tile_synapse_spec *synapses;
    void **blocks; /* every other allocation */
    size_t n_blocks, cap_blocks;
} cx_netlist;

/* Loads and checks a netlist file; errors name FILE:LINE and the key. */
cx_status cx_netlist_load(const char *path, cx_netlist *out);
void cx_netlist_free(cx_netlist *nl);

#ifdef __cplusplus
}
#endif
#endif
