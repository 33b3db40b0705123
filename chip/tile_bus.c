/* The tile's memory and its signal bus: zeroed allocations and cx_tile_free,
 * where each signal sits on the bus (delayed soma rates included), and the bus
 * reads of compartment inputs, somas and readouts. */
#include "tile_internal.h"

#include <stdlib.h>

/* ---------------------------------------------------------------- memory */

void *cx_tile_zalloc(size_t n, size_t size, int *failed)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) *failed = 1;
    return p;
}

void cx_tile_free(cx_tile *t)
{
    if (!t) return;
    void *ptrs[] = {t->bus,
                    t->stuck_idx,
                    t->stuck_val,
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

cx_status cx_tile_bus_index(cx_tile *t, const cx_tile_sig *s, size_t *out)
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

cx_status cx_tile_build_delays(cx_tile *t, const cx_tile_netlist *net, int *failed)
{
    t->delayed = cx_tile_zalloc(count_sig_refs(net), sizeof *t->delayed, failed);
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
    m->row = cx_tile_zalloc(rows + 1, sizeof *m->row, failed);
    m->idx = cx_tile_zalloc(nnz, sizeof *m->idx, failed);
    m->w = cx_tile_zalloc(nnz, sizeof *m->w, failed);
    if (with_e) m->e = cx_tile_zalloc(nnz, sizeof *m->e, failed);
    return *failed ? cx_fail(CX_ERR_NOMEM, "tile: out of memory") : CX_OK;
}

/* ---------------------------------------------------------------- wiring */

cx_status cx_tile_build_comp_inputs(cx_tile *t, const cx_tile_netlist *net, int *failed)
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
            CX_TRY(cx_tile_bus_index(t, &c->drive[k].sig, &t->drive_csr.idx[pd]));
            t->drive_csr.w[pd] = c->drive[k].weight;
        }
        for (size_t k = 0; k < c->n_cond; k++, pc++) {
            CX_TRY(cx_tile_bus_index(t, &c->cond[k].sig, &t->cond_csr.idx[pc]));
            t->cond_csr.w[pc] = c->cond[k].weight;
            t->cond_csr.e[pc] = c->cond[k].reversal;
        }
        t->drive_csr.row[j + 1] = pd;
        t->cond_csr.row[j + 1] = pc;
    }
    /* termed_at[j] = compartments with terms before position j */
    t->termed = cx_tile_zalloc(n, sizeof *t->termed, failed);
    t->termed_at = cx_tile_zalloc(n + 1, sizeof *t->termed_at, failed);
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

cx_status cx_tile_build_somas_readouts(cx_tile *t, const cx_chip_config *chip,
                                       const cx_tile_netlist *net, int *failed)
{
    t->somas = cx_tile_zalloc(net->n_somas, sizeof *t->somas, failed);
    t->rate_hist = cx_tile_zalloc(t->hist_len * net->n_somas, sizeof *t->rate_hist, failed);
    t->cap_spk = net->n_somas * (size_t)t->nsub;
    t->spk_soma = cx_tile_zalloc(t->cap_spk, sizeof *t->spk_soma, failed);
    t->spk_time = cx_tile_zalloc(t->cap_spk, sizeof *t->spk_time, failed);
    t->spk_value = cx_tile_zalloc(t->cap_spk, sizeof *t->spk_value, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    for (size_t i = 0; i < net->n_somas; i++) {
        const cx_tile_soma_spec *s = &net->somas[i];
        tile_soma *m = &t->somas[i];
        m->kind = s->kind, m->threshold = s->threshold, m->width = s->width;
        m->reset = s->reset, m->emit = s->emit;
        CX_TRY(cx_tile_bus_index(t, &s->input, &m->in_bus));
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
    t->readout_bias = cx_tile_zalloc(net->n_readouts, sizeof *t->readout_bias, failed);
    t->readout = cx_tile_zalloc(net->n_readouts, sizeof *t->readout, failed);
    if (*failed) return cx_fail(CX_ERR_NOMEM, "tile: out of memory");
    size_t p = 0;
    for (size_t i = 0; i < net->n_readouts; i++) {
        const cx_tile_readout_spec *r = &net->readouts[i];
        for (size_t k = 0; k < r->n_terms; k++, p++) {
            CX_TRY(cx_tile_bus_index(t, &r->terms[k].sig, &t->readout_csr.idx[p]));
            t->readout_csr.w[p] = r->terms[k].weight;
        }
        t->readout_csr.row[i + 1] = p;
        t->readout_bias[i] = r->bias;
    }
    t->adc_on = chip->noise.quantization.enabled && chip->noise.quantization.adc;
    return CX_OK;
}
