/* cx_dac: the grids a tile's programmable values and readouts land on.
 *
 * - time constants: 2^param_bits codes over [tau_min_ms, tau_max_ms], log
 *   spaced (constant ratio) or linear (tile.compartment.tau_spacing);
 * - damping ratio: 2^param_bits log-spaced codes over [zeta_min, zeta_max];
 * - gains and offsets: sign-magnitude, param_bits - 1 magnitude bits over
 *   [0, max], so 0 is exact;
 * - weights: sign-magnitude with weight_bits magnitude bits over [0, full
 *   scale] (the sign is the synapse type or the differential column);
 * - readout ADC: 2^adc_bits codes over the rails, x_min + k * lsb;
 * - graded spike payloads (tile.somas.payload_bits): a rate in [0, 1] on
 *   2^bits codes k / (2^bits - 1), or a signed host value sign-magnitude.
 * Values outside a grid clamp to its ends. Each function rounds to the
 * nearest code (in log space for log grids). */
#ifndef CX_DAC_H
#define CX_DAC_H

#include "cx_chip.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nearest of `codes` log-spaced values lo * (hi/lo)^(k/(codes-1)). */
double cx_dac_log(double value, double lo, double hi, double codes);
/* Nearest of `codes` evenly spaced values over [lo, hi]. */
double cx_dac_linear(double value, double lo, double hi, double codes);
/* Sign-magnitude: sign(v) * round(|v| / step) * step, step = max / (2^bits - 1). */
double cx_dac_magnitude(double value, double max_abs, int magnitude_bits);

double cx_dac_tau(const cx_chip_config *chip, double tau_ms);
double cx_dac_zeta(const cx_chip_config *chip, double zeta);
double cx_dac_gain(const cx_chip_config *chip, double gain);
double cx_dac_offset(const cx_chip_config *chip, double offset);
/* Readout ADC over the rails. */
double cx_dac_adc(const cx_chip_config *chip, double value);

/* A rate as a payload of `bits`: r clamped to [0, 1], rounded to the nearest
 * k / (2^bits - 1); 0 when bits < 1 (no payload to carry it). */
double cx_dac_payload_unsigned(double r, int bits);
/* A signed value as a payload of `bits`: one sign bit and bits - 1 magnitude
 * bits over [-full_scale, full_scale] (clamped), so 0 is exact; 0 when there
 * are no magnitude bits (bits < 2) or full_scale <= 0. */
double cx_dac_payload_signed(double v, double full_scale, int bits);

#ifdef __cplusplus
}
#endif
#endif
