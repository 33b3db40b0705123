/* The chip layer of the executor: the tiles of each chip, its router and
 * the host port — tile allocation against the chip, routes, sending inputs
 * and soma spikes, stepping tiles, readouts and probes. Uses the spike
 * queues (exec_spikes.c); never the board layer. */
#define _POSIX_C_SOURCE 200809L
#include "exec_internal.h"

#include "cx_dac.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t tag_of(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double value_of(uint64_t tag)
{
    double v;
    memcpy(&v, &tag, sizeof v);
    return v;
}

uint64_t cx_exec_cycle_at(const cx_exec *e, double model_ms)
{
    double c = floor(model_ms * e->cyc_per_ms + 0.5);
    return c > 0 ? (uint64_t)c : 0;
}

static const cx_prog_route *route_of_key(const cx_exec *e, uint32_t key)
{
    /* a key is (tile << neuron_bits) | neuron (cx_aer_source_id); tile ids
     * run over every chip's nodes, then the host ports */
    cx_aer_format f = cx_aer_format_default();
    uint32_t tile = key >> f.neuron_bits, neuron = key & ((1u << f.neuron_bits) - 1u);
    int r = -1;
    if (tile >= (uint32_t)(e->n_chips * e->nodes)) {
        if (neuron < (uint32_t)e->p->n_inputs) r = e->host_route[neuron];
    } else {
        int k = e->tile_of_node[tile];
        if (k >= 0 && neuron < e->p->tiles[k].n_somas) r = e->soma_route[k][neuron];
    }
    return r >= 0 ? &e->p->routes[r] : NULL;
}

/* Router delivery: due time from the route, arrival from the cycle. */
static void sink(void *ctx, int endpoint, uint32_t key, int src, uint64_t gen, uint64_t arrival,
                 uint64_t tag)
{
    (void)src;
    const cx_exec_chip_ctx *c = ctx;
    cx_exec *e = c->e;
    if (endpoint >= e->nodes) {
        int h = endpoint - e->nodes;
        if (e->board && h != e->p->host) cx_exec_relay_out(e, c->chip, h, key, gen, arrival, tag);
        return;
    }
    int k = e->tile_of_node[c->chip * e->nodes + endpoint];
    const cx_prog_route *r = route_of_key(e, key);
    if (k < 0 || !r) return;
    double h = e->p->step_ms;
    /* emission times are on the step grid: snap the cycle's rounding away */
    double gen_ms = (double)llround(((double)gen / e->cyc_per_ms - e->base_ms) / h) * h;
    double due_ms = gen_ms + r->due_offset_ms;
    double arr_ms = (double)arrival / e->cyc_per_ms - e->base_ms;
    cx_exec_arrived(e, k, key, value_of(tag), due_ms, arr_ms);
}

cx_status cx_exec_setup_routes(cx_exec *e)
{
    const cx_program *p = e->p;
    int *dests = malloc((size_t)(p->n_tiles + 1) * sizeof *dests);
    if (!dests) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_status st = CX_OK;
    for (int i = 0; i < p->n_routes && st == CX_OK; i++) {
        const cx_prog_route *r = &p->routes[i];
        if (r->src_tile < 0) {
            if (r->src_index < 0 || r->src_index >= p->n_inputs) {
                st = cx_fail(CX_ERR_VALUE, "program: route %d: host channel %d out of range", i,
                             r->src_index);
                break;
            }
            e->host_route[r->src_index] = i;
        } else {
            if (r->src_tile >= p->n_tiles || r->src_index < 0 ||
                (size_t)r->src_index >= p->tiles[r->src_tile].n_somas) {
                st = cx_fail(CX_ERR_VALUE, "program: route %d: source soma out of range", i);
                break;
            }
            e->soma_route[r->src_tile][r->src_index] = i;
        }
        for (int d = 0; d < r->n_dests; d++) {
            if (r->dests[d] < 0 || r->dests[d] >= p->n_tiles) {
                st = cx_fail(CX_ERR_VALUE, "program: route %d: destination tile %d out of range", i,
                             r->dests[d]);
                break;
            }
            dests[d] = e->node_of_tile[r->dests[d]];
        }
        /* one chip: the route as it is; boards: per chip (exec_board.c) */
        if (st == CX_OK && e->noc[0] && !e->board) {
            int src = r->src_tile < 0 ? e->host_endpoint : e->node_of_tile[r->src_tile];
            st = cx_noc_set_route(e->noc[0], r->key, src, dests, r->n_dests);
        }
    }
    free(dests);
    return st;
}

/* Checks the program against the chip or board it runs on. */
cx_status cx_exec_check_layout(const cx_exec *e)
{
    const cx_program *p = e->p;
    if (p->n_chips > 1 && !e->board)
        return cx_fail(CX_ERR_USAGE,
                       "the program is compiled for board '%s' (%d chips); run it "
                       "on that board",
                       p->board_name ? p->board_name : "?", p->n_chips);
    if (e->board && p->n_chips != e->n_chips)
        return cx_fail(CX_ERR_FIT, "the program is compiled for %d chip(s), board '%s' has %d",
                       p->n_chips, e->board->name, e->n_chips);
    if (p->host >= (int)e->chip.router.n_hosts)
        return cx_fail(CX_ERR_FIT, "key 'host' is %d, the chip has %zu host port(s) (router.hosts)",
                       p->host, e->chip.router.n_hosts);
    return CX_OK;
}

cx_status cx_exec_alloc_tiles(cx_exec *e)
{
    const cx_program *p = e->p;
    const int W = e->chip.mesh.width, H = e->chip.mesh.height;
    for (int k = 0; k < p->n_tiles; k++) {
        const cx_prog_tile *t = &p->tiles[k];
        if (t->chip < 0 || t->chip >= e->n_chips || t->x < 0 || t->x >= W || t->y < 0 || t->y >= H)
            return cx_fail(CX_ERR_FIT,
                           "key 'tiles[%d]': program tile %d sits at chip %d (%d, %d), outside the "
                           "%d chip(s) of %dx%d tiles",
                           k, k, t->chip, t->x, t->y, e->n_chips, W, H);
        int node = t->y * W + t->x, id = t->chip * e->nodes + node;
        if (e->tile_of_node[id] >= 0)
            return cx_fail(
                CX_ERR_VALUE,
                "keys 'tiles[%d]' and 'tiles[%d]': program tiles %d and %d share chip %d "
                "mesh position (%d, %d)",
                e->tile_of_node[id], k, e->tile_of_node[id], k, t->chip, t->x, t->y);
        e->tile_of_node[id] = k;
        e->node_of_tile[k] = node;
        e->soma_route[k] = malloc((t->n_somas + 1) * sizeof(int));
        e->range[k] = calloc(t->n_comps + 1, sizeof(double));
        e->rrange[k] = calloc(t->n_readouts + 1, sizeof(double));
        if (!e->soma_route[k] || !e->range[k] || !e->rrange[k])
            return cx_fail(CX_ERR_NOMEM, "out of memory");
        for (size_t s = 0; s < t->n_somas; s++)
            e->soma_route[k][s] = -1;
        if (!e->owned[t->chip]) continue;
        uint32_t chip_index = e->board ? (uint32_t)t->chip : e->o.chip;
        cx_tile_id id_ = {.seed = e->o.seed, .chip = chip_index, .tile = (uint32_t)node};
        cx_status st = cx_tile_alloc(&e->chips[t->chip], &t->net, &id_, &e->tiles[k]);
        /* name the tile: the netlist error names the resource */
        if (st != CX_OK) {
            if (e->board)
                return cx_fail_context(st, "program tile %d at chip %d (%d, %d)", k, t->chip, t->x,
                                       t->y);
            return cx_fail_context(st, "program tile %d at (%d, %d)", k, t->x, t->y);
        }
        /* a program placed on a dead core runs there and gets nothing from it */
        const cx_chip_defect_map *dm = &e->defects[t->chip];
        if (dm->dead_tile && dm->dead_tile[node]) {
            cx_tile_set_dead(e->tiles[k]);
            e->stats.tiles_dead++;
        }
        const cx_tile_defect_stats *td = cx_tile_defects(e->tiles[k]);
        cx_tile_defect_stats *sum = &e->stats.tile_defects;
        sum->stuck_compartments += td->stuck_compartments;
        sum->dead_synapses += td->dead_synapses;
        sum->stuck_weights += td->stuck_weights;
        sum->moved_columns += td->moved_columns;
        sum->lost_weight = fmax(sum->lost_weight, td->lost_weight);
    }
    return CX_OK;
}

cx_status cx_exec_find_defects(cx_exec *e)
{
    e->defects = calloc((size_t)e->n_chips, sizeof *e->defects);
    if (!e->defects) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int c = 0; c < e->n_chips; c++)
        if (cx_chip_has_defects(&e->chips[c]))
            CX_TRY(cx_chip_defects(&e->chips[c], &e->defects[c]));
    return CX_OK;
}

cx_status cx_exec_alloc_routers(cx_exec *e)
{
    for (int c = 0; e->o.router && c < e->n_chips; c++) {
        if (!e->owned[c]) continue;
        cx_noc_config cfg;
        CX_TRY(cx_chip_noc_config(&e->chips[c], &cfg));
        CX_TRY(cx_noc_alloc(&cfg, &e->noc[c]));
        cx_noc_set_sink(e->noc[c], sink, &e->ctx[c]);
        if (e->defects[c].dead_link && e->defects[c].n_dead_links)
            CX_TRY(cx_noc_set_dead_links(e->noc[c], e->defects[c].dead_link,
                                         e->chips[c].defects.remap));
    }
    return CX_OK;
}

/* Host value of model input x on channel c; 0 sends nothing. */
static cx_status host_value(const cx_exec *e, int c, double x, double *v)
{
    *v = x / e->p->in_sign[c];
    if (*v == 0 || *v == 1.0) return CX_OK; /* nothing, or a plain spike */
    if (e->payload_bits == 0)
        return cx_fail(CX_ERR_FIT,
                       "input channel %d carries %g; this chip's spikes carry no value "
                       "(tile.somas.payload_bits = 0)",
                       c, x);
    if (e->quantize_payload) *v = cx_dac_payload_signed(*v, e->p->in_scale[c], e->payload_bits);
    return CX_OK;
}

/* Every simulated tile takes the spikes that reached it, then steps. */
void cx_exec_step_tiles(cx_exec *e)
{
    for (int k = 0; k < e->p->n_tiles; k++)
        if (e->tiles[k]) {
            cx_exec_pull(e, k);
            cx_tile_step(e->tiles[k]);
        }
    cx_exec_end_round(e);
}

/* Sends a spike of route r through the routers, emitted on chip `from` (the
 * host: each destination chip's host port); without the router, keeps it for
 * the tiles of this rank and queues it for those of other ranks. */
static cx_status send(cx_exec *e, int r_index, double gen_ms, double value)
{
    const cx_prog_route *r = &e->p->routes[r_index];
    double due = gen_ms + r->due_offset_ms;
    int from = r->src_tile >= 0 ? chip_of_tile(e, r->src_tile) : -1;
    if (!e->o.router) return cx_exec_send_fast(e, from, r_index, value, due, gen_ms);
    uint64_t t = cx_exec_cycle_at(e, e->base_ms + gen_ms),
             deadline = cx_exec_cycle_at(e, e->base_ms + due);
    if (!e->board) {
        int src = r->src_tile < 0 ? e->host_endpoint : e->node_of_tile[r->src_tile];
        return cx_noc_inject(e->noc[0], t, src, -1, r->key, deadline, tag_of(value));
    }
    for (int c = 0; c < e->n_chips; c++) {
        const cx_chip_route *cr = &e->croute[(size_t)r_index * (size_t)e->n_chips + (size_t)c];
        /* a tile's spike enters at its own chip; host input at every chip it feeds */
        if (!e->owned[c] || cr->src < 0 || (from >= 0 && c != from)) continue;
        CX_TRY(cx_noc_inject(e->noc[c], t, cr->src, -1, r->key, deadline, tag_of(value)));
    }
    return CX_OK;
}

cx_status cx_exec_send_inputs(cx_exec *e, const double *x_t, double gen_ms)
{
    for (int c = 0; c < e->p->n_inputs; c++) {
        int r = e->host_route[c];
        if (r < 0 || x_t[c] == 0) continue;
        double v;
        CX_TRY(host_value(e, c, x_t[c], &v));
        if (v == 0) continue;
        CX_TRY(send(e, r, gen_ms, v));
        e->stats.host_packets++;
    }
    return CX_OK;
}

void cx_exec_add_tile_stats(cx_tile_stats *a, const cx_tile_stats *b)
{
    a->steps += b->steps;
    a->compartment_steps += b->compartment_steps;
    a->clipped_steps += b->clipped_steps;
    a->spikes_in += b->spikes_in;
    a->late_spikes += b->late_spikes;
    a->spikes_out += b->spikes_out;
    a->synaptic_events += b->synaptic_events;
    a->dendrite_macs += b->dendrite_macs;
    a->adc_conversions += b->adc_conversions;
    a->energy_pj += b->energy_pj;
}

void cx_exec_track(cx_exec *e)
{
    for (int k = 0; k < e->p->n_tiles; k++) {
        if (!e->tiles[k]) continue;
        const double *x = cx_tile_x(e->tiles[k]);
        double *r = e->range[k];
        for (size_t c = 0; c < e->p->tiles[k].n_comps; c++)
            r[c] = fmax(r[c], fabs(x[c]));
        const double *y = cx_tile_readout(e->tiles[k]);
        for (size_t c = 0; c < e->p->tiles[k].n_readouts; c++)
            e->rrange[k][c] = fmax(e->rrange[k][c], fabs(y[c]));
    }
}

/* One chip: y = bias + the readouts in program order. Boards: per chip
 * partial sums (the chip's readouts in program order), added by the host in
 * chip order once every chip's are known. */
void cx_exec_outputs(const cx_exec *e, double *y, double *partial)
{
    const cx_program *p = e->p;
    for (int o = 0; o < p->n_outputs; o++) {
        if (!e->board) {
            double s = p->out_bias[o];
            for (size_t q = p->out_row[o]; q < p->out_row[o + 1]; q++)
                s += p->out_scale[q] * cx_tile_readout(e->tiles[p->out_tile[q]])[p->out_chan[q]];
            y[o] = s;
            continue;
        }
        for (int c = 0; c < e->n_chips; c++)
            partial[(size_t)c * p->n_outputs + o] = 0;
        for (size_t q = p->out_row[o]; q < p->out_row[o + 1]; q++) {
            int k = p->out_tile[q], c = chip_of_tile(e, k);
            if (e->owned[c])
                partial[(size_t)c * p->n_outputs + o] +=
                    p->out_scale[q] * cx_tile_readout(e->tiles[k])[p->out_chan[q]];
        }
    }
}

void cx_exec_probes(const cx_exec *e, double *const *rec, int t)
{
    for (int q = 0; q < e->p->n_probes; q++) {
        if (!rec[q]) continue;
        const cx_prog_probe *pr = &e->p->probes[q];
        double *row = rec[q] + (size_t)t * pr->n;
        for (size_t i = 0; i < pr->n; i++)
            row[i] = e->tiles[pr->tile[i]]
                         ? pr->scale[i] * cx_tile_signal(e->tiles[pr->tile[i]], pr->sig[i])
                         : 0.0;
    }
}

/* Tiles send in chip and mesh-node order, somas in index order: increasing
 * AER keys, so each tile receives a step's spikes in the order of its
 * synapse table. */
cx_status cx_exec_emit(cx_exec *e, double gen_ms)
{
    for (int id = 0; id < e->n_chips * e->nodes; id++) {
        int k = e->tile_of_node[id];
        if (k < 0 || !e->tiles[k]) continue;
        const uint32_t *somas;
        size_t n = cx_tile_spikes(e->tiles[k], &somas, NULL);
        const double *vals = cx_tile_spike_values(e->tiles[k]);
        for (size_t i = 0; i < n; i++) {
            int r = e->soma_route[k][somas[i]];
            if (r >= 0) CX_TRY(send(e, r, gen_ms, vals[i]));
        }
    }
    return CX_OK;
}
