/* Quantities derived from a chip description: time scales, link capacity,
 * address width, and the noise magnitudes in model units. */
#include "cx_chip.h"

#include <math.h>

int cx_chip_tiles(const cx_chip_config *cfg)
{
    return cfg->mesh.width * cfg->mesh.height;
}

double cx_chip_physical_step_s(const cx_chip_config *cfg, double step_ms)
{
    return step_ms * 1e-3 / cfg->acceleration;
}

double cx_chip_router_cycles_per_step(const cx_chip_config *cfg, double step_ms)
{
    return cx_chip_physical_step_s(cfg, step_ms) * cfg->router.clock_mhz * 1e6;
}

int cx_chip_serialization_cycles(const cx_chip_config *cfg)
{
    return (cfg->router.packet_bits + cfg->router.link_width_bits - 1) /
           cfg->router.link_width_bits;
}

double cx_chip_link_packets_per_model_ms(const cx_chip_config *cfg)
{
    return cx_chip_router_cycles_per_step(cfg, 1.0) / cx_chip_serialization_cycles(cfg);
}

double cx_chip_chip_link_packets_per_model_ms(const cx_chip_config *cfg)
{
    double packets_per_s = cfg->router.chip_link_bandwidth_gbps * 1e9 / cfg->router.packet_bits;
    return packets_per_s * cx_chip_physical_step_s(cfg, 1.0);
}

static int ceil_log2(long n)
{
    int bits = 0;
    while ((1L << bits) < n)
        bits++;
    return bits;
}

int cx_chip_address_bits(const cx_chip_config *cfg)
{
    return ceil_log2(cx_chip_tiles(cfg)) + ceil_log2(cfg->tile.somas.count);
}

double cx_chip_volts_per_unit(const cx_chip_config *cfg)
{
    return cfg->tile.rails.full_scale_mv * 1e-3 / (cfg->tile.rails.x_max - cfg->tile.rails.x_min);
}

/* Thermal noise of a capacitor that samples or integrates a node: by
 * equipartition, (1/2) C <v^2> = (1/2) k_B T, so v_rms = sqrt(k_B T / C)
 * whatever the resistance or bandwidth. That is why the thermal magnitude is
 * specified as a std of the state itself (in model units x = v / volts per
 * unit): a sampled (switched-capacitor) tile adds one such sample per step; a
 * continuous tile gets the white noise whose stationary std is that value
 * (cx_chip_thermal_diffusion). */
double cx_chip_ktc_vrms(double capacitance_ff, double temperature_k)
{
    return sqrt(CX_CHIP_K_B * temperature_k / (capacitance_ff * 1e-15));
}

double cx_chip_thermal_sigma_x(const cx_chip_config *cfg)
{
    if (cfg->noise.thermal.source == CX_CHIP_THERMAL_SIGMA) return cfg->noise.thermal.sigma;
    return cx_chip_ktc_vrms(cfg->noise.thermal.capacitance_ff, cfg->noise.thermal.temperature_k) /
           cx_chip_volts_per_unit(cfg);
}

/* dx = v dt, dv = -(w^2 x + 2 z w v) dt + s dW has stationary
 * Var(x) = s^2 / (4 z w^3) (Lyapunov equation of the 2x2 system). */
double cx_chip_thermal_diffusion(double sigma_x, double omega_per_ms, double zeta)
{
    return sigma_x * sqrt(4.0 * zeta * omega_per_ms * omega_per_ms * omega_per_ms);
}

int cx_chip_flicker_processes(const cx_chip_config *cfg)
{
    double decades = log10(cfg->noise.flicker.f_high_hz / cfg->noise.flicker.f_low_hz);
    return (int)ceil(decades * cfg->noise.flicker.processes_per_decade - 1e-9);
}

double cx_chip_tau_step_rel(const cx_chip_config *cfg)
{
    double lo = cfg->tile.compartment.tau_min_ms, hi = cfg->tile.compartment.tau_max_ms;
    double codes = ldexp(1.0, cfg->tile.compartment.param_bits) - 1.0;
    if (hi <= lo) return 0;
    if (cfg->tile.compartment.tau_spacing == CX_CHIP_SPACING_LOG)
        return pow(hi / lo, 1.0 / codes) - 1.0;
    return (hi - lo) / codes / lo; /* coarsest, relative to the fastest pole */
}

double cx_chip_adc_lsb(const cx_chip_config *cfg)
{
    return (cfg->tile.rails.x_max - cfg->tile.rails.x_min) / ldexp(1.0, cfg->tile.readout.adc_bits);
}

double cx_chip_weight_step_rel(int weight_bits)
{
    return 1.0 / (ldexp(1.0, weight_bits) - 1.0);
}

cx_status cx_chip_noc_config(const cx_chip_config *chip, cx_noc_config *out)
{
    if (chip->router.n_hosts > CX_NOC_MAX_HOSTS)
        return cx_fail(CX_ERR_UNSUPPORTED,
                       "key 'router.hosts': the router model has at most %d host ports, found %zu",
                       CX_NOC_MAX_HOSTS, chip->router.n_hosts);
    cx_noc_config cfg = cx_noc_config_default();
    cfg.width = chip->mesh.width;
    cfg.height = chip->mesh.height;
    cfg.clock_mhz = chip->router.clock_mhz;
    cfg.pipeline_cycles = chip->router.pipeline_cycles;
    cfg.link_width_bits = chip->router.link_width_bits;
    cfg.packet_bits = chip->router.packet_bits;
    cfg.buffer_depth_packets = chip->router.buffer_depth_packets;
    cfg.credit_delay_cycles = chip->router.credit_delay_cycles;
    cfg.flow = chip->router.flow == CX_CHIP_FLOW_DROP ? CX_NOC_FLOW_DROP : CX_NOC_FLOW_CREDIT;
    cfg.multicast =
        chip->router.multicast == CX_CHIP_MCAST_SOURCE ? CX_NOC_MCAST_SOURCE : CX_NOC_MCAST_TREE;
    cfg.switching = chip->router.switching == CX_CHIP_SWITCH_CUT_THROUGH ? CX_NOC_CUT_THROUGH
                                                                         : CX_NOC_STORE_FORWARD;
    cfg.n_hosts = (int)chip->router.n_hosts;
    for (int i = 0; i < cfg.n_hosts; i++) {
        cfg.host_x[i] = chip->router.hosts[i].x;
        cfg.host_y[i] = chip->router.hosts[i].y;
    }
    cfg.energy_per_hop_pj = chip->router.energy_per_hop_pj;
    cfg.energy_per_injection_pj = chip->router.energy_per_injection_pj;
    cfg.chip_link_latency_ns = chip->router.chip_link_latency_ns;
    cfg.chip_link_bandwidth_gbps = chip->router.chip_link_bandwidth_gbps;
    *out = cfg;
    return CX_OK;
}
