/* cx_chip: the chip description — mesh, tile resources, compartment ranges,
 * noise sources, router and energy — loaded from YAML with strict checks.
 *
 * The YAML format mirrors this struct key for key (configs/chips/default.yaml
 * documents every key). Units are in the key names. Times and frequencies
 * of the tile and of the noise are in MODEL time (the trained model's time
 * base); the router and the chip links are physical (physical time = model
 * time / acceleration). The compartment state x is in model units; the rails
 * [x_min, x_max] span tile.rails.full_scale_mv physical millivolts, which is
 * how volt-valued noise (kT/C) maps onto x.
 *
 * The config is passed explicitly to whoever needs it; there is no global. */
#ifndef CX_CHIP_H
#define CX_CHIP_H

#include "cx_noc.h"
#include "cx_status.h"
#include "cx_yaml.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CX_CHIP_SAMPLED, CX_CHIP_CONTINUOUS } cx_chip_mode;
typedef enum { CX_CHIP_SPACING_LOG, CX_CHIP_SPACING_LINEAR } cx_chip_spacing;
/* Soma encoders: rate-coded spike trains (sigma-delta, Bernoulli), or one
 * graded spike per model step that carries the rate as its value. */
typedef enum { CX_CHIP_ENC_SIGMA_DELTA, CX_CHIP_ENC_BERNOULLI, CX_CHIP_ENC_GRADED } cx_chip_encoder;
typedef enum { CX_CHIP_FLOW_CREDIT, CX_CHIP_FLOW_DROP } cx_chip_flow;
typedef enum { CX_CHIP_MCAST_TREE, CX_CHIP_MCAST_SOURCE } cx_chip_multicast;
typedef enum { CX_CHIP_SWITCH_STORE_FORWARD, CX_CHIP_SWITCH_CUT_THROUGH } cx_chip_switching;
/* How the thermal magnitude is given: sigma directly, or kT/C. */
typedef enum { CX_CHIP_THERMAL_SIGMA, CX_CHIP_THERMAL_KTC } cx_chip_thermal_source;

/* Activation units a dendrite array can feed (bit set in dendrite.activations). */
typedef enum {
    CX_CHIP_ACT_RELU = 1u << 0,
    CX_CHIP_ACT_SILU = 1u << 1,
    CX_CHIP_ACT_SIGMOID = 1u << 2,
    CX_CHIP_ACT_TANH = 1u << 3,
    CX_CHIP_ACT_SCALED_TANH = 1u << 4,
    CX_CHIP_ACT_IDENTITY = 1u << 5
} cx_chip_activation;
enum { CX_CHIP_NACTIVATIONS = 6 };

typedef struct {
    int x, y;
} cx_chip_xy;

/* Directions of a mesh link, leaving a router. */
typedef enum { CX_CHIP_DIR_N, CX_CHIP_DIR_E, CX_CHIP_DIR_S, CX_CHIP_DIR_W } cx_chip_dir;

/* A mesh link named by one end and its direction (both directions die together). */
typedef struct {
    int x, y;
    cx_chip_dir dir;
} cx_chip_link;

/* A stuck compartment slot of tile (x, y): its state holds `value`. */
typedef struct {
    int x, y, index;
    double value;
} cx_chip_stuck_comp;

/* A dead synapse-table entry of tile (x, y): its weight is 0. */
typedef struct {
    int x, y, entry;
} cx_chip_dead_synapse;

/* A stuck crossbar cell of tile (x, y): array, input row, output column;
 * its weight holds value x the array's full scale (0: an open cell). */
typedef struct {
    int x, y, array, row, col;
    double value;
} cx_chip_stuck_cell;

typedef struct {
    char *name;
    char *description;
    double acceleration; /* model time / physical time; 1 = biological real time */
    struct {
        int width, height; /* tiles */
    } mesh;
    struct {
        cx_chip_mode mode;
        double analog_step_ms; /* continuous mode: ZOH step of the analog kernel */
        int compartments;
        struct {
            int count;
            cx_chip_encoder encoder;
            int payload_bits;   /* value bits of a graded spike, and of host analog inputs */
            double max_rate_hz; /* model time */
        } somas;
        struct {
            int entries;
            int weight_bits; /* magnitude bits; the sign is the synapse type */
        } synapses;
        struct {
            int arrays, rows, cols;
            int weight_bits; /* magnitude bits; sign by differential columns */
            unsigned activations;
        } dendrite;
        struct {
            int channels, adc_bits; /* the ADC spans the rails */
        } readout;
        struct {
            double tau_min_ms, tau_max_ms; /* overdamped poles */
            double f_min_hz, f_max_hz;     /* resonant natural frequency */
            double zeta_min, zeta_max;
            double gain_max;   /* |g| <= gain_max */
            double offset_max; /* |b| <= offset_max, model units of x */
            int param_bits;
            cx_chip_spacing tau_spacing;
        } compartment;
        struct {
            double x_min, x_max, full_scale_mv;
        } rails;
    } tile;
    struct {
        struct {
            int enabled;
            cx_chip_thermal_source source;
            double sigma;                         /* SIGMA: std of x in model units */
            double capacitance_ff, temperature_k; /* KTC */
        } thermal;
        struct {
            int enabled;
            double sigma; /* rms over the band, model units of x, input-referred */
            double f_low_hz, f_high_hz;
            int processes_per_decade;
        } flicker;
        struct {
            int enabled;
            double tau_rel, gain_rel, weight_rel; /* sigma of ln(factor) */
            double offset_sigma;                  /* absolute, model units of x */
        } mismatch;
        struct {
            int enabled;
            int params, weights, adc;
        } quantization;
        struct {
            int enabled;
            double programming_sigma, read_sigma; /* relative to full-scale weight */
        } crossbar;
        struct {
            int enabled;
        } saturation;
    } noise;
    struct {
        double clock_mhz;
        int pipeline_cycles, link_width_bits, packet_bits, buffer_depth_packets;
        int credit_delay_cycles;
        cx_chip_flow flow;
        cx_chip_multicast multicast;
        cx_chip_switching switching;
        size_t n_hosts;
        cx_chip_xy *hosts;
        double energy_per_hop_pj, energy_per_injection_pj;
        double chip_link_latency_ns, chip_link_bandwidth_gbps;
    } router;
    struct {
        double compartment_step_pj;   /* dynamic, per compartment update */
        double compartment_static_nw; /* per compartment in use (1 nW = 1 pJ per physical ms) */
        double synaptic_event_pj;
        double dendrite_mac_pj;
        double adc_conversion_pj;
        double spike_encode_pj;
        double tile_static_uw;
    } energy;
    /* What does not work on this die (optional section, chip_defects.c): dead
     * tiles (their analog core; the router still forwards) and dead mesh
     * links, listed and drawn at random, and whether the compiler maps
     * around them. */
    struct {
        size_t n_tiles, n_links, n_compartments, n_synapses, n_cells;
        cx_chip_xy *tiles;
        cx_chip_link *links;
        cx_chip_stuck_comp *compartments;
        cx_chip_dead_synapse *synapses;
        cx_chip_stuck_cell *cells;
        struct {
            int seed;
            /* probability that a tile / a link / a compartment slot / a
             * synapse entry / a crossbar cell is dead (stuck at 0) */
            double tiles, links, compartments, synapses, cells;
        } random;
        int remap; /* 1: place and route around defects; 0: ignore them (they still fail) */
    } defects;
} cx_chip_config;

/* The built-in chip; equal to configs/chips/default.yaml. Free with cx_chip_free. */
cx_status cx_chip_config_default(cx_chip_config *cfg);
/* Loads a chip file, applies "key=value" overrides (cx_yaml_override), then
 * validates. On error *cfg is zeroed and the message names FILE:LINE and key. */
cx_status cx_chip_load(const char *path, const char *const *overrides, size_t n,
                       cx_chip_config *cfg);
/* Validates a parsed document (the core of cx_chip_load). */
cx_status cx_chip_from_yaml(const cx_yaml_node *root, cx_chip_config *cfg);
void cx_chip_free(cx_chip_config *cfg);

/* The config as JSON, with the same key paths as the YAML (caller deletes). */
cJSON *cx_chip_to_json(const cx_chip_config *cfg);

const char *cx_chip_mode_name(cx_chip_mode mode);
const char *cx_chip_activation_name(cx_chip_activation act);

/* ---- defects (chip_defects.c) ---- */

/* The defects of a chip, listed and drawn together: dead_tile[node] and
 * dead_link[node] (bit d: the link leaving node in direction d), node = y *
 * width + x. Random draws are counter based on (random.seed, node, kind),
 * so a map is the same on every rank and run. */
typedef struct {
    int width, height;
    unsigned char *dead_tile, *dead_link;
    int n_dead_tiles, n_dead_links; /* links counted once */
} cx_chip_defect_map;

cx_status cx_chip_defects(const cx_chip_config *cfg, cx_chip_defect_map *out);
void cx_chip_defects_free(cx_chip_defect_map *m);

/* The defects inside tile (x, y), listed and drawn, each slot once, in
 * increasing slot order: stuck compartment slots with their values, dead
 * synapse entries, stuck crossbar cells (array * rows * cols + row * cols +
 * col) with their values. */
typedef struct {
    size_t n_comps, n_synapses, n_cells;
    uint32_t *comp, *synapse, *cell;
    double *comp_value, *cell_value;
} cx_chip_tile_defect_list;

cx_status cx_chip_tile_defects(const cx_chip_config *cfg, int x, int y,
                               cx_chip_tile_defect_list *out);
void cx_chip_tile_defects_free(cx_chip_tile_defect_list *d);
/* 1 when the chip has any defect inside its tiles (compartments, synapses, cells). */
int cx_chip_has_tile_defects(const cx_chip_config *cfg);
/* The in-tile defects of every tile: totals over the chip and the most in one tile. */
typedef struct {
    size_t comps, synapses, cells;
    size_t max_comps, max_synapses;
} cx_chip_tile_defect_totals;
cx_status cx_chip_tile_defects_all(const cx_chip_config *cfg, cx_chip_tile_defect_totals *out);
/* 1 when the chip lists or draws any defect. */
int cx_chip_has_defects(const cx_chip_config *cfg);
const char *cx_chip_dir_name(cx_chip_dir d);
/* The router next to (x, y) in direction d of a width x height mesh in
 * (*nx, *ny); 0 when the mesh ends there. */
int cx_chip_neighbour(int width, int height, int x, int y, cx_chip_dir d, int *nx, int *ny);
/* Hops from router `from` to every router over the map's live links in
 * hops[nodes] (-1: cut off from it). */
cx_status cx_chip_defect_hops(const cx_chip_defect_map *m, int from, int *hops);

/* ---- derived quantities (chip_derived.c) ---- */

#define CX_CHIP_K_B 1.380649e-23 /* J/K, exact (SI 2019) */

int cx_chip_tiles(const cx_chip_config *cfg);
/* Physical seconds of one model step of `step_ms`. */
double cx_chip_physical_step_s(const cx_chip_config *cfg, double step_ms);
/* Router clock cycles in one model step of `step_ms`. */
double cx_chip_router_cycles_per_step(const cx_chip_config *cfg, double step_ms);
/* Link cycles to move one packet: ceil(packet_bits / link_width_bits). */
int cx_chip_serialization_cycles(const cx_chip_config *cfg);
/* Packets one mesh link carries per model ms at full load. */
double cx_chip_link_packets_per_model_ms(const cx_chip_config *cfg);
/* Packets an inter-chip link carries per model ms. */
double cx_chip_chip_link_packets_per_model_ms(const cx_chip_config *cfg);
/* Bits of a source address: ceil(log2(tiles)) + ceil(log2(somas per tile)). */
int cx_chip_address_bits(const cx_chip_config *cfg);
/* The mesh and router section as the router model's configuration; more
 * host ports than the model has is an error naming router.hosts. */
cx_status cx_chip_noc_config(const cx_chip_config *cfg, cx_noc_config *out);
/* Volts per model unit of x: full_scale_mv / (x_max - x_min) / 1000. */
double cx_chip_volts_per_unit(const cx_chip_config *cfg);
/* kT/C rms voltage sqrt(k_B T / C) in volts. */
double cx_chip_ktc_vrms(double capacitance_ff, double temperature_k);
/* Thermal std of x in model units (from sigma or kT/C), whether enabled or not. */
double cx_chip_thermal_sigma_x(const cx_chip_config *cfg);
/* Diffusion sigma of dv = ... + sigma dW giving stationary std sigma_x to a
 * compartment (omega in rad/ms, model time): sigma_x * sqrt(4 zeta omega^3). */
double cx_chip_thermal_diffusion(double sigma_x, double omega_per_ms, double zeta);
/* Number of OU processes that synthesize the 1/f band. */
int cx_chip_flicker_processes(const cx_chip_config *cfg);
/* Relative step between adjacent tau codes (log: ratio - 1; linear: at tau_min). */
double cx_chip_tau_step_rel(const cx_chip_config *cfg);
/* Readout ADC LSB in model units of x. */
double cx_chip_adc_lsb(const cx_chip_config *cfg);
/* Relative weight step: 1 / (2^bits - 1) of full scale. */
double cx_chip_weight_step_rel(int weight_bits);

#ifdef __cplusplus
}
#endif
#endif
