/* Program tiles: growable netlist pools, linking, ids and resource usage. */
#define _POSIX_C_SOURCE 200809L
#include "cx_program.h"

#include "cx_grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Parallel arrays share one capacity: each is reallocated to exactly cap. */
static int resize(void **arr, size_t cap, size_t sz)
{
    void *p = realloc(*arr, cap * sz);
    if (!p) return 0;
    *arr = p;
    return 1;
}

#define RESIZE(arr, cap) resize((void **)&(arr), (cap), sizeof *(arr))

static size_t next_cap(size_t cap)
{
    return cap ? 2 * cap : 16;
}

void cx_prog_tile_init(cx_prog_tile *t, int x, int y, double step_ms, size_t n_inputs)
{
    memset(t, 0, sizeof *t);
    t->x = x;
    t->y = y;
    t->net.step_ms = step_ms;
    t->net.n_inputs = n_inputs;
}

void cx_prog_tile_release(cx_prog_tile *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n_comps; i++)
        free(t->comp_names ? t->comp_names[i] : NULL);
    free(t->comp_names);
    free(t->comp_scale);
    free(t->comps);
    free(t->comp_drive0);
    free(t->comp_cond0);
    free(t->terms);
    free(t->conds);
    free(t->dends);
    free(t->dend_in0);
    free(t->dend_w0);
    free(t->dend_b0);
    free(t->dend_sigs);
    free(t->dend_vals);
    free(t->somas);
    free(t->readouts);
    free(t->readout_term0);
    free(t->rterms);
    free(t->synapses);
    memset(t, 0, sizeof *t);
}

int cx_prog_add_comp(cx_prog_tile *t, const cx_tile_comp_spec *spec, const char *name)
{
    if (t->n_comps == t->cap_comps) {
        size_t cap = next_cap(t->cap_comps);
        if (!RESIZE(t->comps, cap) || !RESIZE(t->comp_drive0, cap) || !RESIZE(t->comp_cond0, cap) ||
            !RESIZE(t->comp_names, cap) || !RESIZE(t->comp_scale, cap))
            return -1;
        t->cap_comps = cap;
    }
    size_t i = t->n_comps;
    cx_tile_comp_spec s = *spec;
    s.drive = NULL;
    s.cond = NULL;
    t->comp_drive0[i] = t->n_terms;
    t->comp_cond0[i] = t->n_conds;
    size_t nd = s.n_drive, nc = s.n_cond;
    s.n_drive = s.n_cond = 0;
    t->comps[i] = s;
    t->comp_names[i] = name ? strdup(name) : NULL;
    t->comp_scale[i] = 1.0;
    t->n_comps = i + 1;
    for (size_t k = 0; k < nd; k++)
        if (cx_prog_add_drive(t, (int)i, spec->drive[k]) < 0) return -1;
    for (size_t k = 0; k < nc; k++)
        if (cx_prog_add_cond(t, (int)i, spec->cond[k]) < 0) return -1;
    return (int)i;
}

int cx_prog_add_drive(cx_prog_tile *t, int c, cx_tile_term term)
{
    cx_tile_comp_spec *s = &t->comps[c];
    if (t->comp_drive0[c] + s->n_drive != t->n_terms) return -1; /* not contiguous */
    if (!CX_GROW(t->terms, t->cap_terms, t->n_terms + 1)) return -1;
    t->terms[t->n_terms++] = term;
    s->n_drive++;
    return 0;
}

int cx_prog_add_cond(cx_prog_tile *t, int c, cx_tile_cond cond)
{
    cx_tile_comp_spec *s = &t->comps[c];
    if (t->comp_cond0[c] + s->n_cond != t->n_conds) return -1;
    if (!CX_GROW(t->conds, t->cap_conds, t->n_conds + 1)) return -1;
    t->conds[t->n_conds++] = cond;
    s->n_cond++;
    return 0;
}

int cx_prog_add_dendrite(cx_prog_tile *t, const cx_tile_dendrite_spec *spec)
{
    if (t->n_dends == t->cap_dends) {
        size_t cap = next_cap(t->cap_dends);
        if (!RESIZE(t->dends, cap) || !RESIZE(t->dend_in0, cap) || !RESIZE(t->dend_w0, cap) ||
            !RESIZE(t->dend_b0, cap))
            return -1;
        t->cap_dends = cap;
    }
    size_t nw = spec->n_in * spec->n_out, nb = spec->bias ? spec->n_out : 0;
    if (!CX_GROW(t->dend_sigs, t->cap_dend_sigs, t->n_dend_sigs + spec->n_in)) return -1;
    if (!CX_GROW(t->dend_vals, t->cap_dend_vals, t->n_dend_vals + nw + nb)) return -1;
    size_t i = t->n_dends;
    t->dend_in0[i] = t->n_dend_sigs;
    memcpy(t->dend_sigs + t->n_dend_sigs, spec->inputs, spec->n_in * sizeof *spec->inputs);
    t->n_dend_sigs += spec->n_in;
    t->dend_w0[i] = t->n_dend_vals;
    memcpy(t->dend_vals + t->n_dend_vals, spec->weights, nw * sizeof(double));
    t->n_dend_vals += nw;
    t->dend_b0[i] = SIZE_MAX;
    if (nb) {
        t->dend_b0[i] = t->n_dend_vals;
        memcpy(t->dend_vals + t->n_dend_vals, spec->bias, nb * sizeof(double));
        t->n_dend_vals += nb;
    }
    t->dends[i] = *spec;
    t->n_dends = i + 1;
    return (int)i;
}

int cx_prog_add_soma(cx_prog_tile *t, const cx_tile_soma_spec *spec)
{
    if (!CX_GROW(t->somas, t->cap_somas, t->n_somas + 1)) return -1;
    t->somas[t->n_somas] = *spec;
    return (int)t->n_somas++;
}

int cx_prog_add_readout(cx_prog_tile *t, const cx_tile_term *terms, size_t n, double bias)
{
    if (t->n_readouts == t->cap_readouts) {
        size_t cap = next_cap(t->cap_readouts);
        if (!RESIZE(t->readouts, cap) || !RESIZE(t->readout_term0, cap)) return -1;
        t->cap_readouts = cap;
    }
    if (!CX_GROW(t->rterms, t->cap_rterms, t->n_rterms + n)) return -1;
    size_t i = t->n_readouts;
    t->readout_term0[i] = t->n_rterms;
    memcpy(t->rterms + t->n_rterms, terms, n * sizeof *terms);
    t->n_rterms += n;
    t->readouts[i] = (cx_tile_readout_spec){.n_terms = n, .terms = NULL, .bias = bias};
    t->n_readouts++;
    return (int)i;
}

int cx_prog_add_synapse(cx_prog_tile *t, uint32_t source, int comp, double weight)
{
    if (!CX_GROW(t->synapses, t->cap_synapses, t->n_synapses + 1)) return -1;
    t->synapses[t->n_synapses] =
        (cx_tile_synapse_spec){.source = source, .compartment = comp, .weight = weight};
    return (int)t->n_synapses++;
}

void cx_prog_tile_link(cx_prog_tile *t)
{
    for (size_t i = 0; i < t->n_comps; i++) {
        t->comps[i].drive = t->comps[i].n_drive ? t->terms + t->comp_drive0[i] : NULL;
        t->comps[i].cond = t->comps[i].n_cond ? t->conds + t->comp_cond0[i] : NULL;
    }
    for (size_t i = 0; i < t->n_dends; i++) {
        t->dends[i].inputs = t->dend_sigs + t->dend_in0[i];
        t->dends[i].weights = t->dend_vals + t->dend_w0[i];
        t->dends[i].bias = t->dend_b0[i] == SIZE_MAX ? NULL : t->dend_vals + t->dend_b0[i];
    }
    for (size_t i = 0; i < t->n_readouts; i++)
        t->readouts[i].terms = t->readouts[i].n_terms ? t->rterms + t->readout_term0[i] : NULL;
    cx_tile_netlist *n = &t->net;
    n->n_comps = t->n_comps;
    n->comps = t->comps;
    n->n_dendrites = t->n_dends;
    n->dendrites = t->dends;
    n->n_somas = t->n_somas;
    n->somas = t->somas;
    n->n_readouts = t->n_readouts;
    n->readouts = t->readouts;
    n->n_synapses = t->n_synapses;
    n->synapses = t->synapses;
}

uint32_t cx_prog_tile_id(const cx_chip_config *chip, const cx_prog_tile *t)
{
    return (uint32_t)((t->chip * chip->mesh.height + t->y) * chip->mesh.width + t->x);
}

uint32_t cx_prog_host_key(const cx_chip_config *chip, int host, int channel)
{
    cx_aer_format f = cx_aer_format_default();
    return cx_aer_source_id(&f, (uint32_t)(chip->mesh.width * chip->mesh.height + host),
                            (uint32_t)channel);
}

cx_prog_usage cx_prog_tile_usage(const cx_chip_config *chip, const cx_prog_tile *t)
{
    cx_prog_usage u = {.comps = t->n_comps,
                       .somas = t->n_somas,
                       .synapses = t->n_synapses,
                       .readouts = t->n_readouts};
    for (size_t i = 0; i < t->n_dends; i++)
        u.arrays += cx_tile_arrays_needed(chip, &t->dends[i]);
    return u;
}

void cx_program_free(cx_program *p)
{
    if (!p) return;
    free(p->model_dir);
    free(p->chip_name);
    free(p->board_name);
    free(p->in_sign);
    free(p->in_scale);
    free(p->out_row);
    free(p->out_tile);
    free(p->out_chan);
    free(p->out_scale);
    free(p->out_bias);
    for (int i = 0; i < p->n_tiles; i++)
        cx_prog_tile_release(&p->tiles[i]);
    free(p->tiles);
    for (int i = 0; i < p->n_routes; i++)
        free(p->routes[i].dests);
    free(p->routes);
    for (int i = 0; i < p->n_probes; i++) {
        free(p->probes[i].name);
        free(p->probes[i].tile);
        free(p->probes[i].sig);
        free(p->probes[i].scale);
    }
    free(p->probes);
    free(p);
}
