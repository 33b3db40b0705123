/* Netlist checks against the chip: the tile's resources (compartments, somas,
 * synapse entries, crossbars, readout channels), parameter ranges and every
 * signal reference. */
#include "tile_internal.h"

#include <math.h>

enum { MAX_DELAY_STEPS = 1 << 20 };

/* ---------------------------------------------------------------- checks */

static cx_status need_finite(double v, const char *what, size_t i, const char *key)
{
    if (isfinite(v)) return CX_OK;
    return cx_fail(CX_ERR_VALUE, "tile netlist: %s %zu: %s is %g (must be finite)", what, i, key,
                   v);
}

static cx_status need_fit(const char *resource, size_t needed, long available)
{
    if ((long)needed <= available) return CX_OK;
    return cx_fail(CX_ERR_FIT, "tile: needs %zu %s, the chip's tile has %ld", needed, resource,
                   available);
}

size_t cx_tile_dendrite_outputs(const cx_tile_netlist *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->n_dendrites; i++)
        n += net->dendrites[i].n_out;
    return n;
}

static cx_status check_sig(const cx_tile_netlist *net, const cx_tile_sig *s, const char *where,
                           size_t i)
{
    size_t limit = 0;
    const char *kind = "?";
    switch (s->kind) {
    case CX_TILE_SIG_CONST:
        limit = 1, kind = "const";
        break;
    case CX_TILE_SIG_INPUT:
        limit = net->n_inputs, kind = "input";
        break;
    case CX_TILE_SIG_STATE:
        limit = net->n_comps, kind = "compartment";
        break;
    case CX_TILE_SIG_DENDRITE:
        limit = cx_tile_dendrite_outputs(net), kind = "dendrite output";
        break;
    case CX_TILE_SIG_SOMA:
        limit = net->n_somas, kind = "soma";
        break;
    default:
        return cx_fail(CX_ERR_VALUE, "tile netlist: %s %zu reads an unknown signal kind %d", where,
                       i, (int)s->kind);
    }
    if (s->kind != CX_TILE_SIG_CONST && (s->index < 0 || (size_t)s->index >= limit))
        return cx_fail(CX_ERR_VALUE, "tile netlist: %s %zu reads %s %d of %zu", where, i, kind,
                       s->index, limit);
    if (s->delay_steps != 0 &&
        (s->kind != CX_TILE_SIG_SOMA || s->delay_steps < 0 || s->delay_steps > MAX_DELAY_STEPS))
        return cx_fail(CX_ERR_VALUE,
                       "tile netlist: %s %zu: delay_steps %d (only soma rates can be delayed, by "
                       "0..%d steps)",
                       where, i, s->delay_steps, MAX_DELAY_STEPS);
    return CX_OK;
}

static cx_status check_range(double v, double lo, double hi, const char *what, size_t i,
                             const char *key, const char *chip_key)
{
    if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) return CX_OK;
    return cx_fail(CX_ERR_FIT,
                   "tile netlist: %s %zu: %s %g is outside the chip's range [%g, %g] (%s)", what, i,
                   key, v, lo, hi, chip_key);
}

static cx_status check_comp(const cx_chip_config *chip, const cx_tile_netlist *net, size_t i)
{
    const cx_tile_comp_spec *c = &net->comps[i];
    const char *w = "compartment";
    CX_TRY(need_finite(c->gain, w, i, "gain"));
    CX_TRY(need_finite(c->offset, w, i, "offset"));
    CX_TRY(need_finite(c->x0, w, i, "x0"));
    CX_TRY(need_finite(c->v0, w, i, "v0"));
    if (c->stage < 0 || c->stage >= CX_TILE_MAX_STAGES)
        return cx_fail(CX_ERR_VALUE, "tile netlist: compartment %zu: stage %d (0..%d)", i, c->stage,
                       CX_TILE_MAX_STAGES - 1);
    double tmin = chip->tile.compartment.tau_min_ms, tmax = chip->tile.compartment.tau_max_ms;
    if (c->kind == CX_TILE_FIRST_ORDER) {
        CX_TRY(need_finite(c->tau_ms, w, i, "tau_ms"));
        CX_TRY(check_range(c->tau_ms, tmin, tmax, w, i, "tau_ms", "tile.compartment.tau_*_ms"));
    } else if (c->kind == CX_TILE_SECOND_ORDER) {
        CX_TRY(need_finite(c->omega_rad_per_ms, w, i, "omega_rad_per_ms"));
        CX_TRY(need_finite(c->zeta, w, i, "zeta"));
        if (!(c->omega_rad_per_ms > 0))
            return cx_fail(CX_ERR_VALUE, "tile netlist: compartment %zu: omega %g must be > 0", i,
                           c->omega_rad_per_ms);
        CX_TRY(check_range(c->zeta, chip->tile.compartment.zeta_min,
                           chip->tile.compartment.zeta_max, w, i, "zeta",
                           "tile.compartment.zeta_*"));
        CX_TRY(check_range(1.0 / c->omega_rad_per_ms, tmin, tmax, w, i, "1/omega (ms)",
                           "tile.compartment.tau_*_ms"));
        if (c->zeta < 1.0)
            CX_TRY(check_range(c->omega_rad_per_ms * 1000.0 / (CX_TWO_PI),
                               chip->tile.compartment.f_min_hz, chip->tile.compartment.f_max_hz, w,
                               i, "resonant frequency (Hz)", "tile.compartment.f_*_hz"));
    } else {
        return cx_fail(CX_ERR_VALUE, "tile netlist: compartment %zu: unknown kind %d", i,
                       (int)c->kind);
    }
    if (fabs(c->gain) > chip->tile.compartment.gain_max * (1 + 1e-12))
        return cx_fail(CX_ERR_FIT, "tile netlist: compartment %zu: |gain| %g > gain_max %g", i,
                       c->gain, chip->tile.compartment.gain_max);
    if (fabs(c->offset) > chip->tile.compartment.offset_max * (1 + 1e-12))
        return cx_fail(CX_ERR_FIT, "tile netlist: compartment %zu: |offset| %g > offset_max %g", i,
                       c->offset, chip->tile.compartment.offset_max);
    for (size_t k = 0; k < c->n_drive; k++) {
        CX_TRY(check_sig(net, &c->drive[k].sig, "compartment drive of", i));
        CX_TRY(need_finite(c->drive[k].weight, w, i, "drive weight"));
    }
    for (size_t k = 0; k < c->n_cond; k++) {
        CX_TRY(check_sig(net, &c->cond[k].sig, "compartment conductance of", i));
        CX_TRY(need_finite(c->cond[k].weight, w, i, "conductance weight"));
        CX_TRY(need_finite(c->cond[k].reversal, w, i, "reversal"));
    }
    return CX_OK;
}

int cx_tile_arrays_needed(const cx_chip_config *chip, const cx_tile_dendrite_spec *d)
{
    size_t rows = (size_t)chip->tile.dendrite.rows, cols = (size_t)chip->tile.dendrite.cols;
    if (rows == 0 || cols == 0) return 0;
    size_t n_in = d->n_in + (d->bias != NULL);
    return (int)(((n_in + rows - 1) / rows) * ((d->n_out + cols - 1) / cols));
}

static cx_status check_dendrite(const cx_chip_config *chip, const cx_tile_netlist *net, size_t i)
{
    const cx_tile_dendrite_spec *d = &net->dendrites[i];
    if (d->n_in == 0 || d->n_out == 0 || !d->inputs || !d->weights)
        return cx_fail(CX_ERR_VALUE, "tile netlist: dendrite %zu: needs inputs and weights", i);
    if (!(chip->tile.dendrite.activations & d->activation))
        return cx_fail(CX_ERR_FIT,
                       "tile netlist: dendrite %zu: activation %s is not in the chip's "
                       "tile.dendrite.activations",
                       i, cx_chip_activation_name(d->activation));
    if (d->stage < 0 || d->stage >= CX_TILE_MAX_STAGES)
        return cx_fail(CX_ERR_VALUE, "tile netlist: dendrite %zu: stage %d (0..%d)", i, d->stage,
                       CX_TILE_MAX_STAGES - 1);
    if (!(d->full_scale >= 0) || !isfinite(d->full_scale))
        return cx_fail(CX_ERR_VALUE, "tile netlist: dendrite %zu: full_scale %g must be >= 0", i,
                       d->full_scale);
    for (size_t k = 0; k < d->n_in; k++)
        CX_TRY(check_sig(net, &d->inputs[k], "dendrite", i));
    for (size_t k = 0; k < d->n_in * d->n_out; k++)
        CX_TRY(need_finite(d->weights[k], "dendrite", i, "weight"));
    for (size_t k = 0; d->bias && k < d->n_out; k++)
        CX_TRY(need_finite(d->bias[k], "dendrite", i, "bias"));
    return CX_OK;
}

cx_status cx_tile_check_netlist(const cx_chip_config *chip, const cx_tile_netlist *net)
{
    if (!(net->step_ms > 0) || !isfinite(net->step_ms))
        return cx_fail(CX_ERR_VALUE, "tile netlist: step_ms %g must be > 0", net->step_ms);
    if (chip->tile.mode == CX_CHIP_CONTINUOUS) {
        double ratio = net->step_ms / chip->tile.analog_step_ms;
        if (fabs(ratio - round(ratio)) > 1e-9 * ratio || round(ratio) < 1)
            return cx_fail(CX_ERR_VALUE,
                           "tile: the model step %g ms is not a whole number of analog steps "
                           "(tile.analog_step_ms = %g)",
                           net->step_ms, chip->tile.analog_step_ms);
    }
    CX_TRY(need_fit("compartments (tile.compartments)", net->n_comps, chip->tile.compartments));
    CX_TRY(need_fit("somas (tile.somas.count)", net->n_somas, chip->tile.somas.count));
    CX_TRY(need_fit("synapse entries (tile.synapses.entries)", net->n_synapses,
                    chip->tile.synapses.entries));
    CX_TRY(need_fit("readout channels (tile.readout.channels)", net->n_readouts,
                    chip->tile.readout.channels));
    size_t arrays = 0;
    for (size_t i = 0; i < net->n_dendrites; i++) {
        CX_TRY(check_dendrite(chip, net, i));
        arrays += (size_t)cx_tile_arrays_needed(chip, &net->dendrites[i]);
    }
    CX_TRY(need_fit("dendrite arrays (tile.dendrite.arrays)", arrays, chip->tile.dendrite.arrays));
    for (size_t i = 0; i < net->n_comps; i++)
        CX_TRY(check_comp(chip, net, i));
    for (size_t i = 0; i < net->n_somas; i++) {
        const cx_tile_soma_spec *s = &net->somas[i];
        CX_TRY(check_sig(net, &s->input, "soma", i));
        CX_TRY(need_finite(s->threshold, "soma", i, "threshold"));
        if (s->kind == CX_TILE_SOMA_SIGMOID && !(s->width > 0 && isfinite(s->width)))
            return cx_fail(CX_ERR_VALUE, "tile netlist: soma %zu: width %g must be > 0", i,
                           s->width);
        if (s->kind == CX_TILE_SOMA_THRESHOLD) {
            if (s->input.kind != CX_TILE_SIG_STATE)
                return cx_fail(CX_ERR_VALUE,
                               "tile netlist: soma %zu: a threshold soma reads a compartment", i);
            CX_TRY(need_finite(s->reset, "soma", i, "reset"));
        } else if (s->kind != CX_TILE_SOMA_SIGMOID) {
            return cx_fail(CX_ERR_VALUE, "tile netlist: soma %zu: unknown kind %d", i,
                           (int)s->kind);
        }
    }
    for (size_t i = 0; i < net->n_readouts; i++) {
        const cx_tile_readout_spec *r = &net->readouts[i];
        CX_TRY(need_finite(r->bias, "readout", i, "bias"));
        for (size_t k = 0; k < r->n_terms; k++) {
            CX_TRY(check_sig(net, &r->terms[k].sig, "readout", i));
            CX_TRY(need_finite(r->terms[k].weight, "readout", i, "weight"));
        }
    }
    for (size_t i = 0; i < net->n_synapses; i++) {
        const cx_tile_synapse_spec *s = &net->synapses[i];
        if (s->compartment < 0 || (size_t)s->compartment >= net->n_comps)
            return cx_fail(CX_ERR_VALUE, "tile netlist: synapse %zu targets compartment %d of %zu",
                           i, s->compartment, net->n_comps);
        CX_TRY(need_finite(s->weight, "synapse", i, "weight"));
    }
    if (!(net->synapse_full_scale >= 0) || !isfinite(net->synapse_full_scale))
        return cx_fail(CX_ERR_VALUE, "tile netlist: synapse_full_scale %g must be >= 0",
                       net->synapse_full_scale);
    return CX_OK;
}
