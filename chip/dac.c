/* Parameter, weight and ADC grids (cx_dac.h). */
#include "cx_dac.h"

#include <math.h>

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

double cx_dac_log(double value, double lo, double hi, double codes)
{
    if (!(hi > lo) || codes < 2) return lo;
    double span = log(hi / lo);
    double k = round(log(clamp(value, lo, hi) / lo) / span * (codes - 1.0));
    return lo * exp(span * k / (codes - 1.0));
}

double cx_dac_linear(double value, double lo, double hi, double codes)
{
    if (!(hi > lo) || codes < 2) return lo;
    double step = (hi - lo) / (codes - 1.0);
    return lo + round((clamp(value, lo, hi) - lo) / step) * step;
}

double cx_dac_magnitude(double value, double max_abs, int magnitude_bits)
{
    if (!(max_abs > 0)) return 0.0;
    double step = max_abs / (ldexp(1.0, magnitude_bits) - 1.0);
    double mag = round(fmin(fabs(value), max_abs) / step) * step;
    return copysign(mag, value);
}

double cx_dac_tau(const cx_chip_config *chip, double tau_ms)
{
    double lo = chip->tile.compartment.tau_min_ms, hi = chip->tile.compartment.tau_max_ms;
    double codes = ldexp(1.0, chip->tile.compartment.param_bits);
    return chip->tile.compartment.tau_spacing == CX_CHIP_SPACING_LOG
               ? cx_dac_log(tau_ms, lo, hi, codes)
               : cx_dac_linear(tau_ms, lo, hi, codes);
}

double cx_dac_zeta(const cx_chip_config *chip, double zeta)
{
    return cx_dac_log(zeta, chip->tile.compartment.zeta_min, chip->tile.compartment.zeta_max,
                      ldexp(1.0, chip->tile.compartment.param_bits));
}

/* One of the parameter bits is the sign (a 1-bit DAC still has {0, max}). */
static int magnitude_bits(const cx_chip_config *chip)
{
    int bits = chip->tile.compartment.param_bits - 1;
    return bits < 1 ? 1 : bits;
}

double cx_dac_gain(const cx_chip_config *chip, double gain)
{
    return cx_dac_magnitude(gain, chip->tile.compartment.gain_max, magnitude_bits(chip));
}

double cx_dac_offset(const cx_chip_config *chip, double offset)
{
    return cx_dac_magnitude(offset, chip->tile.compartment.offset_max, magnitude_bits(chip));
}

double cx_dac_adc(const cx_chip_config *chip, double value)
{
    double lo = chip->tile.rails.x_min;
    double lsb = cx_chip_adc_lsb(chip);
    double top = ldexp(1.0, chip->tile.readout.adc_bits) - 1.0;
    double k = round((value - lo) / lsb);
    return lo + clamp(k, 0.0, top) * lsb;
}

double cx_dac_payload_unsigned(double r, int bits)
{
    if (bits < 1 || !(r > 0)) return 0.0; /* NaN and negatives carry 0 */
    double codes = ldexp(1.0, bits) - 1.0;
    /* k / codes, not k * step: the grid value itself, exactly */
    return round(fmin(r, 1.0) * codes) / codes;
}

double cx_dac_payload_signed(double v, double full_scale, int bits)
{
    double levels = bits < 2 ? 0.0 : ldexp(1.0, bits - 1) - 1.0;
    if (levels < 1 || !(full_scale > 0) || isnan(v)) return 0.0;
    double mag = round(fmin(fabs(v), full_scale) / full_scale * levels) / levels * full_scale;
    return mag > 0 ? copysign(mag, v) : 0.0;
}
