/* The built-in chip, equal to configs/chips/default.yaml (a test loads the
 * file and compares); keep the two in step. */
#define _POSIX_C_SOURCE 200809L
#include "cx_chip.h"

#include <stdlib.h>
#include <string.h>

cx_status cx_chip_config_default(cx_chip_config *cfg)
{
    static const cx_chip_xy hosts[] = {{0, 0}};
    *cfg = (cx_chip_config){
        .acceleration = 1,
        .mesh = {.width = 4, .height = 4},
        .tile =
            {
                .mode = CX_CHIP_SAMPLED,
                .analog_step_ms = 0.01,
                .compartments = 256,
                .somas = {.count = 64,
                          .encoder = CX_CHIP_ENC_GRADED,
                          .payload_bits = 8,
                          .max_rate_hz = 1000},
                .synapses = {.entries = 8192, .weight_bits = 8},
                .dendrite = {.arrays = 8,
                             .rows = 128,
                             .cols = 128,
                             .weight_bits = 6,
                             .activations = CX_CHIP_ACT_RELU | CX_CHIP_ACT_SILU |
                                            CX_CHIP_ACT_SIGMOID | CX_CHIP_ACT_TANH |
                                            CX_CHIP_ACT_SCALED_TANH | CX_CHIP_ACT_IDENTITY},
                .readout = {.channels = 16, .adc_bits = 10},
                .compartment = {.tau_min_ms = 0.1,
                                .tau_max_ms = 1000,
                                .f_min_hz = 1,
                                .f_max_hz = 500,
                                .zeta_min = 0.05,
                                .zeta_max = 100,
                                .gain_max = 10,
                                .offset_max = 2,
                                .param_bits = 10,
                                .tau_spacing = CX_CHIP_SPACING_LOG},
                .rails = {.x_min = -4, .x_max = 4, .full_scale_mv = 1000},
            },
        .noise =
            {
                .thermal = {.enabled = 1,
                            .source = CX_CHIP_THERMAL_KTC,
                            .capacitance_ff = 100,
                            .temperature_k = 300},
                .flicker = {.enabled = 0,
                            .sigma = 0.002,
                            .f_low_hz = 0.1,
                            .f_high_hz = 100,
                            .processes_per_decade = 2},
                .mismatch = {.enabled = 1,
                             .tau_rel = 0.05,
                             .gain_rel = 0.05,
                             .weight_rel = 0.05,
                             .offset_sigma = 0.01},
                .quantization = {.enabled = 1, .params = 1, .weights = 1, .adc = 1},
                .crossbar = {.enabled = 1, .programming_sigma = 0.02, .read_sigma = 0.01},
                .saturation = {.enabled = 1},
            },
        .router =
            {
                .clock_mhz = 200,
                .pipeline_cycles = 3,
                .link_width_bits = 16,
                .packet_bits = 32,
                .buffer_depth_packets = 4,
                .credit_delay_cycles = 2,
                .flow = CX_CHIP_FLOW_CREDIT,
                .multicast = CX_CHIP_MCAST_TREE,
                .switching = CX_CHIP_SWITCH_CUT_THROUGH,
                .energy_per_hop_pj = 2,
                .energy_per_injection_pj = 5,
                .chip_link_latency_ns = 100,
                .chip_link_bandwidth_gbps = 10,
            },
        .energy =
            {
                .compartment_step_pj = 0.5,
                .compartment_static_nw = 1,
                .synaptic_event_pj = 0.1,
                .dendrite_mac_pj = 0.05,
                .adc_conversion_pj = 10,
                .spike_encode_pj = 1,
                .tile_static_uw = 50,
            },
        .defects = {.remap = 1},
    };
    cfg->name = strdup("default");
    cfg->description =
        strdup("Small 4x4 sampled-mode chip with moderate noise (illustrative values)");
    cfg->router.hosts = malloc(sizeof hosts);
    if (!cfg->name || !cfg->description || !cfg->router.hosts) {
        cx_chip_free(cfg);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    memcpy(cfg->router.hosts, hosts, sizeof hosts);
    cfg->router.n_hosts = 1;
    return CX_OK;
}
