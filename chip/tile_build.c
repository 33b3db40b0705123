/* Tile construction: netlist validation against the chip, realization of
 * every programmed value (DACs, mismatch, programming noise), coefficients. */
#include "cx_comp.h"
#include "cx_dac.h"
#include "tile_internal.h"

#define CX_TWO_PI 6.283185307179586476925

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STAGES = 64, MAX_DELAY_STEPS = 1 << 20 };

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

static size_t dendrite_outputs(const cx_tile_netlist *net)
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
        limit = dendrite_outputs(net), kind = "dendrite output";
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
    if (c->stage < 0 || c->stage >= MAX_STAGES)
        return cx_fail(CX_ERR_VALUE, "tile netlist: compartment %zu: stage %d (0..%d)", i, c->stage,
                       MAX_STAGES - 1);
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
    if (d->stage < 0 || d->stage >= MAX_STAGES)
        return cx_fail(CX_ERR_VALUE, "tile netlist: dendrite %zu: stage %d (0..%d)", i, d->stage,
                       MAX_STAGES - 1);
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

static cx_status check_netlist(const cx_chip_config *chip, const cx_tile_netlist *net)
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

/* ---------------------------------------------------------------- memory */

/* All tile arrays are zeroed allocations; a failure frees via cx_tile_free. */
static void *zalloc(size_t n, size_t size, int *failed)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) *failed = 1;
    return p;
}

void cx_tile_free(cx_tile *t)
{
    if (!t) return;
    void *ptrs[] = {t->bus,
                    t->perm,
                    t->inv,
                    t->stage_at,
                    t->v,
                    t->x_user,
                    t->v_user,
                    t->p11,
                    t->p12,
                    t->p21,
                    t->p22,
                    t->g1,
                    t->g2,
                    t->l11,
                    t->l21,
                    t->l22,
                    t->gain,
                    t->offset,
                    t->x0,
                    t->v0,
                    t->drive,
                    t->normals,
                    t->ring_used,
                    t->termed,
                    t->termed_at,
                    t->realized,
                    t->fl_state,
                    t->fl_a,
                    t->fl_s,
                    t->fl_every,
                    t->fl_sum,
                    t->ring,
                    t->syn,
                    t->syn_src,
                    t->src_slots,
                    t->runs,
                    t->syn_comp,
                    t->syn_w,
                    t->syn_w_user,
                    t->dend_in,
                    t->dend_acc,
                    t->dend_noise,
                    t->somas,
                    t->rate_hist,
                    t->delayed,
                    t->spk_soma,
                    t->spk_time,
                    t->spk_value,
                    t->readout_bias,
                    t->readout,
                    t->drive_csr.row,
                    t->drive_csr.idx,
                    t->drive_csr.w,
                    t->cond_csr.row,
                    t->cond_csr.idx,
                    t->cond_csr.w,
                    t->cond_csr.e,
                    t->readout_csr.row,
                    t->readout_csr.idx,
                    t->readout_csr.w};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
        free(ptrs[i]);
    for (size_t i = 0; t->dend && i < t->n_dend; i++)
        free(t->dend[i].in_bus);
    free(t->dend);
    for (size_t i = 0; t->arrays && i < t->n_arrays; i++)
        free(t->arrays[i].w);
    free(t->arrays);
    free(t);
}

/* ---------------------------------------------------------------- bus */

static cx_status bus_index(cx_tile *t, const cx_tile_sig *s, size_t *out)
{
    switch (s->kind) {
    case CX_TILE_SIG_CONST:
        *out = 0;
        return CX_OK;
    case CX_TILE_SIG_INPUT:
        *out = t->bus_in + (size_t)s->index;
        return CX_OK;
    case CX_TILE_SIG_STATE:
        *out = t->bus_x + t->inv[s->index];
        return CX_OK;
    case CX_TILE_SIG_DENDRITE:
        *out = t->bus_dend + (size_t)s->index;
        return CX_OK;
    case CX_TILE_SIG_SOMA:
        if (s->delay_steps == 0) {
            *out = t->bus_soma + (size_t)s->index;
            return CX_OK;
        }
        for (size_t k = 0; k < t->n_delayed; k++)
            if (t->delayed[k].soma == (size_t)s->index &&
                t->delayed[k].delay == (size_t)s->delay_steps) {
                *out = t->delayed[k].bus;
                return CX_OK;
            }
        break;
    }
    return cx_fail(CX_ERR_VALUE, "tile: internal: signal not on the bus");
}

/* Collects the distinct (soma, delay) pairs with a delay. */
static void note_delayed(cx_tile *t, const cx_tile_sig *s, size_t *max_delay)
{
    if (s->kind != CX_TILE_SIG_SOMA || s->delay_steps == 0) return;
    for (size_t k = 0; k < t->n_delayed; k++)
        if (t->delayed[k].soma == (size_t)s->index && t->delayed[k].delay == (size_t)s->delay_steps)
            return;
    t->delayed[t->n_delayed++] = (tile_delayed){(size_t)s->index, (size_t)s->delay_steps, 0};
    if ((size_t)s->delay_steps > *max_delay) *max_delay = (size_t)s->delay_steps;
}

static size_t count_sig_refs(const cx_tile_netlist *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->n_comps; i++)
        n += net->comps[i].n_drive + net->comps[i].n_cond;
    for (size_t i = 0; i < net->n_dendrites; i++)
        n += net->dendrites[i].n_in;
    for (size_t i = 0; i < net->n_readouts; i++)
        n += net->readouts[i].n_terms;
    return n + net->n_somas;
}

static cx_status build_delays(cx_tile *t, const cx_tile_netlist *net, int *failed)
{
    t->delayed = zalloc(count_sig_refs(net), sizeof *t->delayed, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    size_t max_delay = 0;
    for (size_t i = 0; i < net->n_comps; i++) {
        for (size_t k = 0; k < net->comps[i].n_drive; k++)
            note_delayed(t, &net->comps[i].drive[k].sig, &max_delay);
        for (size_t k = 0; k < net->comps[i].n_cond; k++)
            note_delayed(t, &net->comps[i].cond[k].sig, &max_delay);
    }
    for (size_t i = 0; i < net->n_dendrites; i++)
        for (size_t k = 0; k < net->dendrites[i].n_in; k++)
            note_delayed(t, &net->dendrites[i].inputs[k], &max_delay);
    for (size_t i = 0; i < net->n_readouts; i++)
        for (size_t k = 0; k < net->readouts[i].n_terms; k++)
            note_delayed(t, &net->readouts[i].terms[k].sig, &max_delay);
    for (size_t i = 0; i < net->n_somas; i++)
        note_delayed(t, &net->somas[i].input, &max_delay);
    t->hist_len = max_delay + 1;
    return CX_OK;
}

/* Rows of weighted bus reads, with optional reversal levels. */
static cx_status build_csr(tile_csr *m, size_t rows, size_t nnz, int with_e, int *failed)
{
    m->row = zalloc(rows + 1, sizeof *m->row, failed);
    m->idx = zalloc(nnz, sizeof *m->idx, failed);
    m->w = zalloc(nnz, sizeof *m->w, failed);
    if (with_e) m->e = zalloc(nnz, sizeof *m->e, failed);
    return *failed ? cx_fail(CX_ERR_NOMEM, "tile: out of memory") : CX_OK;
}

/* ---------------------------------------------------------------- realize */

typedef struct {
    double n_tau, n_damp, n_gain, n_offset;
} comp_draw;

static void realize_comp(const cx_chip_config *chip, const cx_tile_comp_spec *c,
                         const comp_draw *dr, cx_tile_realized_comp *r)
{
    int quant = chip->noise.quantization.enabled && chip->noise.quantization.params;
    int mis = chip->noise.mismatch.enabled;
    double s_tau = chip->noise.mismatch.tau_rel;
    r->kind = c->kind;
    if (c->kind == CX_TILE_FIRST_ORDER) {
        double tau = quant ? cx_dac_tau(chip, c->tau_ms) : c->tau_ms;
        r->tau_ms = mis ? tau * exp(s_tau * dr->n_tau) : tau;
        r->omega_rad_per_ms = 1.0 / r->tau_ms;
        r->zeta = INFINITY;
    } else {
        /* Two time-constant elements: the integrators' 1/omega and the damping path. */
        double tau_w = 1.0 / c->omega_rad_per_ms, zeta = c->zeta;
        if (quant) tau_w = cx_dac_tau(chip, tau_w), zeta = cx_dac_zeta(chip, zeta);
        double tau_d = tau_w / (2.0 * zeta);
        if (mis) tau_w *= exp(s_tau * dr->n_tau), tau_d *= exp(s_tau * dr->n_damp);
        r->omega_rad_per_ms = 1.0 / tau_w;
        r->zeta = tau_w / (2.0 * tau_d);
        r->tau_ms = tau_w;
    }
    r->gain = quant ? cx_dac_gain(chip, c->gain) : c->gain;
    r->offset = quant ? cx_dac_offset(chip, c->offset) : c->offset;
    if (mis) {
        r->gain *= exp(chip->noise.mismatch.gain_rel * dr->n_gain);
        r->offset += chip->noise.mismatch.offset_sigma * dr->n_offset;
    }
}

/* Update coefficients of internal compartment j from its realization. */
static cx_status set_coefficients(cx_tile *t, const cx_chip_config *chip, size_t j,
                                  const cx_tile_realized_comp *r)
{
    cx_comp_disc d;
    memset(&d, 0, sizeof d);
    if (!t->continuous) {
        if (r->kind == CX_TILE_FIRST_ORDER) {
            cx_comp_fo_disc fo;
            CX_TRY(cx_comp_fo_discretize(r->tau_ms, 0, t->h_ms, &fo));
            d.phi[0] = fo.phi;
            d.gamma[0] = fo.gamma;
        } else {
            CX_TRY(cx_comp_discretize(r->omega_rad_per_ms, r->zeta, 0, 0, t->h_ms, &d));
        }
        d.chol[0] = r->sigma_x; /* one kT/C sample on x per step */
        d.chol[1] = d.chol[2] = 0;
    } else {
        double omega = r->omega_rad_per_ms, zeta = r->zeta;
        if (r->kind == CX_TILE_FIRST_ORDER) {
            cx_comp_params p;
            CX_TRY(cx_comp_realize_first_order(r->tau_ms, chip->tile.compartment.tau_min_ms, 1, 0,
                                               0, &p));
            omega = p.omega_rad_per_ms, zeta = p.zeta;
        }
        double sigma = cx_chip_thermal_diffusion(r->sigma_x, omega, zeta);
        CX_TRY(cx_comp_discretize(omega, zeta, 0, sigma, t->sub_ms, &d));
    }
    t->p11[j] = d.phi[0], t->p12[j] = d.phi[1], t->p21[j] = d.phi[2], t->p22[j] = d.phi[3];
    t->g1[j] = d.gamma[0], t->g2[j] = d.gamma[1];
    t->l11[j] = d.chol[0], t->l21[j] = d.chol[1], t->l22[j] = d.chol[2];
    t->gain[j] = r->gain, t->offset[j] = r->offset;
    return CX_OK;
}

static cx_status build_comps(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net,
                             cx_rng *mismatch)
{
    size_t n = net->n_comps;
    /* Stages run 0 .. the highest stage of any compartment or dendrite. */
    t->n_stages = 1;
    for (size_t i = 0; i < n; i++)
        if (net->comps[i].stage + 1 > t->n_stages) t->n_stages = net->comps[i].stage + 1;
    for (size_t i = 0; i < net->n_dendrites; i++)
        if (net->dendrites[i].stage + 1 > t->n_stages) t->n_stages = net->dendrites[i].stage + 1;
    t->stage_at = calloc((size_t)t->n_stages + 1, sizeof *t->stage_at);
    if (!t->stage_at) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    /* Stable counting sort by stage: each stage becomes one contiguous run. */
    for (size_t i = 0; i < n; i++)
        t->stage_at[net->comps[i].stage + 1]++;
    size_t next[MAX_STAGES];
    for (int st = 0; st < t->n_stages; st++) {
        t->stage_at[st + 1] += t->stage_at[st];
        next[st] = t->stage_at[st];
    }
    for (size_t i = 0; i < n; i++)
        t->perm[next[net->comps[i].stage]++] = i;
    for (size_t j = 0; j < n; j++)
        t->inv[t->perm[j]] = j;
    t->sigma_x = chip->noise.thermal.enabled ? cx_chip_thermal_sigma_x(chip) : 0.0;
    for (size_t i = 0; i < n; i++) {
        comp_draw dr = {0, 0, 0, 0};
        if (chip->noise.mismatch.enabled) {
            double z[4];
            cx_rng_fill_normal(mismatch, z, 4);
            dr = (comp_draw){z[0], z[1], z[2], z[3]};
        }
        cx_tile_realized_comp *r = &t->realized[i];
        realize_comp(chip, &net->comps[i], &dr, r);
        r->sigma_x = t->sigma_x;
        size_t j = t->inv[i];
        cx_status st = set_coefficients(t, chip, j, r);
        if (st != CX_OK) return cx_fail_context(st, "tile: compartment %zu", i);
        t->x0[j] = net->comps[i].x0;
        t->v0[j] = net->comps[i].v0;
    }
    return CX_OK;
}

static cx_status build_comp_inputs(cx_tile *t, const cx_tile_netlist *net, int *failed)
{
    size_t n = net->n_comps, nd = 0, nc = 0;
    for (size_t i = 0; i < n; i++)
        nd += net->comps[i].n_drive, nc += net->comps[i].n_cond;
    CX_TRY(build_csr(&t->drive_csr, n, nd, 0, failed));
    CX_TRY(build_csr(&t->cond_csr, n, nc, 1, failed));
    size_t pd = 0, pc = 0;
    for (size_t j = 0; j < n; j++) {
        const cx_tile_comp_spec *c = &net->comps[t->perm[j]];
        for (size_t k = 0; k < c->n_drive; k++, pd++) {
            CX_TRY(bus_index(t, &c->drive[k].sig, &t->drive_csr.idx[pd]));
            t->drive_csr.w[pd] = c->drive[k].weight;
        }
        for (size_t k = 0; k < c->n_cond; k++, pc++) {
            CX_TRY(bus_index(t, &c->cond[k].sig, &t->cond_csr.idx[pc]));
            t->cond_csr.w[pc] = c->cond[k].weight;
            t->cond_csr.e[pc] = c->cond[k].reversal;
        }
        t->drive_csr.row[j + 1] = pd;
        t->cond_csr.row[j + 1] = pc;
    }
    /* termed_at[j] = compartments with terms before position j */
    t->termed = zalloc(n, sizeof *t->termed, failed);
    t->termed_at = zalloc(n + 1, sizeof *t->termed_at, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    size_t nt = 0;
    for (size_t j = 0; j < n; j++) {
        t->termed_at[j] = nt;
        if (t->drive_csr.row[j + 1] > t->drive_csr.row[j] ||
            t->cond_csr.row[j + 1] > t->cond_csr.row[j])
            t->termed[nt++] = j;
    }
    t->termed_at[n] = nt;
    t->identity = 1;
    for (size_t j = 0; j < n; j++)
        if (t->perm[j] != j) t->identity = 0;
    return CX_OK;
}

static cx_status build_flicker(cx_tile *t, const cx_chip_config *chip, int *failed)
{
    t->flicker_on = chip->noise.flicker.enabled;
    if (!t->flicker_on) return CX_OK;
    int k = cx_chip_flicker_processes(chip);
    if (k < 1) k = 1;
    t->n_flicker = k;
    t->fl_state = zalloc((size_t)k * t->n_comps, sizeof *t->fl_state, failed);
    t->fl_a = zalloc((size_t)k, sizeof *t->fl_a, failed);
    t->fl_s = zalloc((size_t)k, sizeof *t->fl_s, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    /* Equal-variance OU processes with log-uniform corners sum to a 1/f
     * spectrum sigma^2 / (f ln(f_high/f_low)) inside the band. */
    double lo = chip->noise.flicker.f_low_hz, hi = chip->noise.flicker.f_high_hz;
    double s = chip->noise.flicker.sigma / sqrt((double)k);
    t->fl_every = zalloc((size_t)k, sizeof *t->fl_every, failed);
    t->fl_sum = zalloc(t->n_comps, sizeof *t->fl_sum, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    for (int p = 0; p < k; p++) {
        double fc = lo * pow(hi / lo, (p + 0.5) / k);
        /* A slow process moves little per update: step it (exactly) once per
         * 1/50 of its corner period and hold it between, which leaves its
         * spectrum intact below ~50 fc and costs a fraction of a normal. */
        double every = floor(0.02 / (fc * t->sub_ms / 1000.0));
        t->fl_every[p] = every < 1 ? 1 : every > 1e9 ? 1000000000 : (uint64_t)every;
        t->fl_a[p] = exp(-CX_TWO_PI * fc * (double)t->fl_every[p] * t->sub_ms / 1000.0);
        t->fl_s[p] = s; /* stationary std; innovation is s sqrt(1 - a^2) */
    }
    return CX_OK;
}

static double max_abs(const double *w, size_t count)
{
    double m = 0;
    for (size_t i = 0; i < count; i++)
        m = fmax(m, fabs(w[i]));
    return m;
}

typedef struct {
    uint32_t source, index;
} syn_order;

static int syn_order_cmp(const void *a, const void *b)
{
    const syn_order *x = a, *y = b;
    if (x->source != y->source) return x->source < y->source ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The runs of equal sources in the sorted table, and a hash index from a
 * source key to its run, at most half full: a delivery costs one probe, not
 * a search. */
static cx_status build_source_index(cx_tile *t, int *failed)
{
    size_t runs = 0;
    for (size_t k = 0; k < t->n_syn; k++)
        runs += k == 0 || t->syn_src[k] != t->syn_src[k - 1];
    int bits = 4;
    while (((size_t)1 << bits) < 2 * runs)
        bits++;
    t->src_shift = 64 - bits;
    t->src_mask = ((uint64_t)1 << bits) - 1;
    t->runs = zalloc(runs, sizeof *t->runs, failed);
    t->src_slots = zalloc((size_t)1 << bits, sizeof *t->src_slots, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    memset(t->src_slots, 0xff, ((size_t)1 << bits) * sizeof *t->src_slots);
    t->n_runs = 0;
    for (size_t k = 0; k < t->n_syn;) {
        size_t e = k;
        while (e < t->n_syn && t->syn_src[e] == t->syn_src[k])
            e++;
        uint64_t h = cx_tile_src_hash(t, t->syn_src[k]);
        while (t->src_slots[h] != UINT32_MAX)
            h = (h + 1) & t->src_mask;
        t->src_slots[h] = (uint32_t)t->n_runs;
        t->runs[t->n_runs++] = (tile_src_slot){t->syn_src[k], (uint32_t)k, (uint32_t)(e - k)};
        k = e;
    }
    return CX_OK;
}

static cx_status build_synapses(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net,
                                cx_rng *mismatch, int *failed)
{
    size_t n = net->n_synapses;
    t->n_syn = n;
    t->syn_src = zalloc(n, sizeof *t->syn_src, failed);
    t->syn_comp = zalloc(n, sizeof *t->syn_comp, failed);
    t->syn_w = zalloc(n, sizeof *t->syn_w, failed);
    t->syn_w_user = zalloc(n, sizeof *t->syn_w_user, failed);
    size_t *order = zalloc(n, sizeof *order, failed);
    if (*failed) {
        free(order);
        return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    }
    double fs = net->synapse_full_scale;
    for (size_t i = 0; i < n && net->synapse_full_scale == 0; i++)
        fs = fmax(fs, fabs(net->synapses[i].weight));
    int quant = chip->noise.quantization.enabled && chip->noise.quantization.weights;
    for (size_t i = 0; i < n; i++) {
        double w = net->synapses[i].weight;
        if (quant) w = cx_dac_magnitude(w, fs, chip->tile.synapses.weight_bits);
        if (chip->noise.mismatch.enabled)
            w *= exp(chip->noise.mismatch.weight_rel * cx_rng_normal(mismatch));
        t->syn_w_user[i] = w;
        order[i] = i;
    }
    /* Stable by source: equal sources stay in netlist order. */
    syn_order *ord = zalloc(n, sizeof *ord, failed);
    if (*failed) {
        free(order);
        return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        ord[i] = (syn_order){net->synapses[i].source, (uint32_t)i};
    qsort(ord, n, sizeof *ord, syn_order_cmp);
    for (size_t k = 0; k < n; k++)
        order[k] = ord[k].index;
    free(ord);
    for (size_t k = 0; k < n; k++) {
        const cx_tile_synapse_spec *s = &net->synapses[order[k]];
        t->syn_src[k] = s->source;
        t->syn_comp[k] = (uint32_t)t->inv[s->compartment];
        t->syn_w[k] = t->syn_w_user[order[k]];
    }
    free(order);
    return build_source_index(t, failed);
}

static cx_status build_dendrites(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net,
                                 int *failed)
{
    size_t nd = net->n_dendrites, total = 0, out = 0, scratch = 1;
    for (size_t i = 0; i < nd; i++)
        total += (size_t)cx_tile_arrays_needed(chip, &net->dendrites[i]);
    t->n_dend = nd;
    t->dend = zalloc(nd, sizeof *t->dend, failed);
    t->arrays = zalloc(total, sizeof *t->arrays, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    t->n_arrays = total;
    int quant = chip->noise.quantization.enabled && chip->noise.quantization.weights;
    int xbar = chip->noise.crossbar.enabled;
    t->read_sigma = xbar ? chip->noise.crossbar.read_sigma : 0.0;
    cx_rng prog;
    cx_rng_seed(&prog, t->id.seed, t->id.chip, t->id.tile, CX_RNG_STREAM_CROSSBAR_PROGRAMMING);
    size_t rows = (size_t)chip->tile.dendrite.rows, cols = (size_t)chip->tile.dendrite.cols;
    size_t a = 0;
    for (size_t i = 0; i < nd; i++) {
        const cx_tile_dendrite_spec *s = &net->dendrites[i];
        tile_dendrite *d = &t->dend[i];
        size_t n_in = s->n_in + (s->bias != NULL); /* the bias is an input held at 1 */
        d->n_in = n_in, d->n_out = s->n_out, d->act = s->activation, d->stage = s->stage;
        d->out_bus = t->bus_dend + out;
        out += s->n_out;
        d->in_bus = zalloc(n_in, sizeof *d->in_bus, failed);
        if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
        for (size_t k = 0; k < s->n_in; k++)
            CX_TRY(bus_index(t, &s->inputs[k], &d->in_bus[k]));
        if (s->bias) d->in_bus[s->n_in] = 0;
        d->array0 = a;
        for (size_t r0 = 0; r0 < s->n_out; r0 += cols)
            for (size_t c0 = 0; c0 < n_in; c0 += rows, a++) {
                tile_array *A = &t->arrays[a];
                A->spec = i, A->in0 = c0, A->out0 = r0;
                A->n_in = n_in - c0 < rows ? n_in - c0 : rows;
                A->n_out = s->n_out - r0 < cols ? s->n_out - r0 : cols;
                A->w = zalloc(A->n_in * A->n_out, sizeof *A->w, failed);
                if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
                for (size_t r = 0; r < A->n_out; r++)
                    for (size_t c = 0; c < A->n_in; c++) {
                        size_t gi = c0 + c, go = r0 + r;
                        A->w[r * A->n_in + c] =
                            gi < s->n_in ? s->weights[go * s->n_in + gi] : s->bias[go];
                    }
                A->full_scale =
                    s->full_scale > 0 ? s->full_scale : max_abs(A->w, A->n_in * A->n_out);
                for (size_t k = 0; k < A->n_in * A->n_out; k++) {
                    double w = A->w[k];
                    if (quant)
                        w = cx_dac_magnitude(w, A->full_scale, chip->tile.dendrite.weight_bits);
                    if (xbar)
                        w += chip->noise.crossbar.programming_sigma * A->full_scale *
                             cx_rng_normal(&prog);
                    A->w[k] = w;
                }
            }
        d->n_arrays = a - d->array0;
        if (n_in > scratch) scratch = n_in;
        if (s->n_out > scratch) scratch = s->n_out;
    }
    t->dend_scratch = scratch;
    t->dend_in = zalloc(scratch, sizeof *t->dend_in, failed);
    t->dend_acc = zalloc(scratch, sizeof *t->dend_acc, failed);
    t->dend_noise = zalloc(scratch, sizeof *t->dend_noise, failed);
    return *failed ? cx_fail(CX_ERR_NOMEM, "tile: out of memory") : CX_OK;
}

static cx_status build_somas_readouts(cx_tile *t, const cx_chip_config *chip,
                                      const cx_tile_netlist *net, int *failed)
{
    t->somas = zalloc(net->n_somas, sizeof *t->somas, failed);
    t->rate_hist = zalloc(t->hist_len * net->n_somas, sizeof *t->rate_hist, failed);
    t->cap_spk = net->n_somas * (size_t)t->nsub;
    t->spk_soma = zalloc(t->cap_spk, sizeof *t->spk_soma, failed);
    t->spk_time = zalloc(t->cap_spk, sizeof *t->spk_time, failed);
    t->spk_value = zalloc(t->cap_spk, sizeof *t->spk_value, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    for (size_t i = 0; i < net->n_somas; i++) {
        const cx_tile_soma_spec *s = &net->somas[i];
        tile_soma *m = &t->somas[i];
        m->kind = s->kind, m->threshold = s->threshold, m->width = s->width;
        m->reset = s->reset, m->emit = s->emit;
        CX_TRY(bus_index(t, &s->input, &m->in_bus));
        m->reset_comp = s->kind == CX_TILE_SOMA_THRESHOLD ? (long)t->inv[s->input.index] : -1;
    }
    t->soma_dt_scale = chip->tile.somas.max_rate_hz * t->sub_ms / 1000.0;
    t->encoder = chip->tile.somas.encoder;
    t->payload_bits = chip->tile.somas.payload_bits;
    /* a graded value is a digital word like a weight code: one switch for both */
    t->payload_quant = chip->noise.quantization.enabled && chip->noise.quantization.weights;
    size_t nnz = 0;
    for (size_t i = 0; i < net->n_readouts; i++)
        nnz += net->readouts[i].n_terms;
    CX_TRY(build_csr(&t->readout_csr, net->n_readouts, nnz, 0, failed));
    t->readout_bias = zalloc(net->n_readouts, sizeof *t->readout_bias, failed);
    t->readout = zalloc(net->n_readouts, sizeof *t->readout, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    size_t p = 0;
    for (size_t i = 0; i < net->n_readouts; i++) {
        const cx_tile_readout_spec *r = &net->readouts[i];
        for (size_t k = 0; k < r->n_terms; k++, p++) {
            CX_TRY(bus_index(t, &r->terms[k].sig, &t->readout_csr.idx[p]));
            t->readout_csr.w[p] = r->terms[k].weight;
        }
        t->readout_csr.row[i + 1] = p;
        t->readout_bias[i] = r->bias;
    }
    t->adc_on = chip->noise.quantization.enabled && chip->noise.quantization.adc;
    return CX_OK;
}

/* ---------------------------------------------------------------- alloc */

static cx_status alloc_planes(cx_tile *t, size_t n, int *failed)
{
    double **planes[] = {&t->v,    &t->x_user, &t->v_user, &t->p11, &t->p12,   &t->p21,
                         &t->p22,  &t->g1,     &t->g2,     &t->l11, &t->l21,   &t->l22,
                         &t->gain, &t->offset, &t->x0,     &t->v0,  &t->drive, &t->syn};
    for (size_t k = 0; k < sizeof planes / sizeof planes[0]; k++)
        *planes[k] = zalloc(n, sizeof(double), failed);
    t->normals = zalloc(2 * n, sizeof(double), failed);
    t->perm = zalloc(n, sizeof *t->perm, failed);
    t->inv = zalloc(n, sizeof *t->inv, failed);
    t->realized = zalloc(n, sizeof *t->realized, failed);
    return *failed ? cx_fail(CX_ERR_NOMEM, "tile: out of memory") : CX_OK;
}

static cx_status build(cx_tile *t, const cx_chip_config *chip, const cx_tile_netlist *net)
{
    int failed = 0;
    t->continuous = chip->tile.mode == CX_CHIP_CONTINUOUS;
    t->h_ms = net->step_ms;
    t->nsub = t->continuous ? (int)round(net->step_ms / chip->tile.analog_step_ms) : 1;
    t->sub_ms = t->h_ms / t->nsub;
    t->n_comps = net->n_comps, t->n_in = net->n_inputs;
    t->n_dend_out = dendrite_outputs(net), t->n_somas = net->n_somas;
    t->n_readouts = net->n_readouts;
    t->x_min = chip->tile.rails.x_min, t->x_max = chip->tile.rails.x_max;
    t->clip = chip->noise.saturation.enabled;
    t->thermal_on = chip->noise.thermal.enabled;
    CX_TRY(alloc_planes(t, t->n_comps, &failed));
    CX_TRY(build_delays(t, net, &failed));
    t->bus_in = 1;
    t->bus_x = t->bus_in + t->n_in;
    t->bus_dend = t->bus_x + t->n_comps;
    t->bus_soma = t->bus_dend + t->n_dend_out;
    t->bus_delayed = t->bus_soma + t->n_somas;
    t->bus_n = t->bus_delayed + t->n_delayed;
    for (size_t k = 0; k < t->n_delayed; k++)
        t->delayed[k].bus = t->bus_delayed + k;
    t->bus = zalloc(t->bus_n, sizeof *t->bus, &failed);
    if (failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");

    cx_rng mismatch;
    cx_rng_seed(&mismatch, t->id.seed, t->id.chip, t->id.tile, CX_RNG_STREAM_MISMATCH);
    CX_TRY(build_comps(t, chip, net, &mismatch));
    CX_TRY(build_comp_inputs(t, net, &failed));
    CX_TRY(build_flicker(t, chip, &failed));
    CX_TRY(build_synapses(t, chip, net, &mismatch, &failed));
    CX_TRY(build_dendrites(t, chip, net, &failed));
    CX_TRY(build_somas_readouts(t, chip, net, &failed));
    t->ring_len = 1;
    while (t->ring_len < (size_t)t->nsub * 2 + 2)
        t->ring_len *= 2;
    t->ring = zalloc(t->ring_len * t->n_comps, sizeof *t->ring, &failed);
    t->ring_used = zalloc(t->ring_len, 1, &failed);
    if (failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    double phys_ms = t->h_ms / chip->acceleration;
    t->static_pj_per_step = (chip->energy.compartment_static_nw * (double)t->n_comps +
                             chip->energy.tile_static_uw * 1000.0) *
                            phys_ms;
    return CX_OK;
}

cx_status cx_tile_alloc(const cx_chip_config *chip, const cx_tile_netlist *net,
                        const cx_tile_id *id, cx_tile **out)
{
    *out = NULL;
    CX_TRY(check_netlist(chip, net));
    cx_tile *t = calloc(1, sizeof *t);
    if (!t) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    t->chip_scalars = *chip;
    t->chip_scalars.name = t->chip_scalars.description = NULL;
    t->chip_scalars.router.hosts = NULL;
    t->chip_scalars.router.n_hosts = 0;
    t->id = *id;
    cx_status st = build(t, chip, net);
    if (st != CX_OK) {
        cx_tile_free(t);
        return st;
    }
    cx_tile_reset(t);
    *out = t;
    return CX_OK;
}
