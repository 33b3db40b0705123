/* Program execution (see cx_exec.h): allocation, the sample loop over one
 * chip or a board, and the statistics. The layers below: the chips' tiles,
 * routers and host port (exec_chip.c), the board's chip links and ranks
 * (exec_board.c), the spike queues between them (exec_spikes.c). */
#define _POSIX_C_SOURCE 200809L
#include "exec_internal.h"

#include "cx_mpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cx_exec_free(cx_exec *e)
{
    if (!e) return;
    for (int k = 0; k < (e->p ? e->p->n_tiles : 0); k++) {
        if (e->tiles) cx_tile_free(e->tiles[k]);
        if (e->soma_route) free(e->soma_route[k]);
        if (e->range) free(e->range[k]);
        if (e->rrange) free(e->rrange[k]);
    }
    for (int c = 0; e->noc && c < e->n_chips; c++)
        cx_noc_free(e->noc[c]);
    for (size_t i = 0; e->croute && e->p && i < (size_t)e->p->n_routes * (size_t)e->n_chips; i++)
        free(e->croute[i].dests);
    cx_exec_spikes_free(e->fast);
    free(e->tiles);
    free(e->soma_route);
    free(e->range);
    free(e->rrange);
    free(e->host_route);
    free(e->tile_of_node);
    free(e->node_of_tile);
    free(e->noc);
    free(e->ctx);
    free(e->owned);
    free(e->croute);
    free(e->port_link);
    free(e->links);
    free(e->relays);
    free(e->remote);
    free(e->seq);
    free(e->partial);
    free(e->chip_stats);
    for (int c = 0; e->defects && c < e->n_chips; c++)
        cx_chip_defects_free(&e->defects[c]);
    free(e->defects);
    free(e);
}

cx_status cx_exec_alloc(const cx_program *p, const cx_chip_config *chip, const cx_exec_opts *o,
                        cx_exec **out)
{
    *out = NULL;
    cx_exec *e = calloc(1, sizeof *e);
    if (!e) return cx_fail(CX_ERR_NOMEM, "out of memory");
    e->p = p;
    e->o = *o;
    e->board = o->board;
    e->n_chips = e->board ? e->board->n_chips : 1;
    e->chips = e->board ? (o->chips ? o->chips : e->board->chips) : chip;
    e->chip = e->chips[0];
    e->distributed = e->board && o->distributed;
    e->rank = e->distributed ? cx_mpi_rank() : 0;
    e->ranks = e->distributed ? cx_mpi_size() : 1;
    int W = e->chip.mesh.width, H = e->chip.mesh.height;
    e->nodes = W * H;
    e->cyc_per_ms = e->chip.router.clock_mhz * 1e3 / e->chip.acceleration;
    e->payload_bits = e->chip.tile.somas.payload_bits;
    e->quantize_payload = e->chip.noise.quantization.enabled && e->chip.noise.quantization.weights;
    e->host_endpoint = e->nodes + p->host;
    size_t ids = (size_t)e->n_chips * (size_t)e->nodes;
    e->tiles = calloc((size_t)p->n_tiles + 1, sizeof *e->tiles);
    e->soma_route = calloc((size_t)p->n_tiles + 1, sizeof *e->soma_route);
    e->range = calloc((size_t)p->n_tiles + 1, sizeof *e->range);
    e->rrange = calloc((size_t)p->n_tiles + 1, sizeof *e->rrange);
    e->host_route = malloc((size_t)(p->n_inputs + 1) * sizeof *e->host_route);
    e->tile_of_node = malloc(ids * sizeof *e->tile_of_node);
    e->node_of_tile = malloc((size_t)(p->n_tiles + 1) * sizeof *e->node_of_tile);
    e->noc = calloc((size_t)e->n_chips, sizeof *e->noc);
    e->ctx = calloc((size_t)e->n_chips, sizeof *e->ctx);
    e->owned = calloc((size_t)e->n_chips, 1);
    e->seq = calloc((size_t)e->n_chips, sizeof *e->seq);
    e->chip_stats = calloc((size_t)e->n_chips * CX_CHIP_STATS, sizeof *e->chip_stats);
    cx_status st = CX_OK;
    if (!e->tiles || !e->soma_route || !e->range || !e->rrange || !e->host_route ||
        !e->tile_of_node || !e->node_of_tile || !e->noc || !e->ctx || !e->owned || !e->seq ||
        !e->chip_stats)
        st = cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == CX_OK && i < ids; i++)
        e->tile_of_node[i] = -1;
    for (int c = 0; st == CX_OK && c < p->n_inputs; c++)
        e->host_route[c] = -1;
    for (int c = 0; st == CX_OK && c < e->n_chips; c++) {
        e->owned[c] = c % e->ranks == e->rank;
        e->ctx[c] = (cx_exec_chip_ctx){e, c};
    }
    if (st == CX_OK) st = cx_exec_find_defects(e);
    if (st == CX_OK) st = cx_exec_check_layout(e);
    if (st == CX_OK) st = cx_exec_alloc_tiles(e);
    if (st == CX_OK) st = cx_exec_alloc_routers(e);
    if (st == CX_OK) st = cx_exec_setup_routes(e);
    if (st == CX_OK) st = cx_exec_spikes_setup(e);
    if (st == CX_OK && e->board) st = cx_exec_board_setup(e);
    if (st != CX_OK) {
        cx_exec_free(e);
        return st;
    }
    *out = e;
    return CX_OK;
}

static uint64_t router_now(const cx_exec *e)
{
    uint64_t now = 0;
    for (int c = 0; c < e->n_chips; c++)
        if (e->noc[c]) {
            uint64_t n = cx_noc_get_stats(e->noc[c])->now;
            now = n > now ? n : now;
        }
    return e->board ? cx_exec_max_cycle(e, now) : now;
}

/* Boards: the host adds the chips' partial sums (in chip order) and every
 * rank receives the outputs; probes come from the rank that holds the tile. */
static cx_status finish_board_sample(cx_exec *e, int T, double *y, double *const *rec);

/* Per-chip statistics of the sample (tiles) and of the run (router), summed
 * in chip order over the board. */
static cx_status collect_stats(cx_exec *e, uint64_t steps);

cx_status cx_exec_sample(cx_exec *e, const double *x, int T, double *y, double *const *rec)
{
    const cx_program *p = e->p;
    const double h = p->step_ms;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < p->n_tiles; k++)
        if (e->tiles[k]) cx_tile_reset(e->tiles[k]);
    cx_exec_drop_arrived(e);
    cx_exec_end_round(e);
    if (e->board) {
        size_t need = (size_t)(T > 0 ? T : 1) * (size_t)e->n_chips * (size_t)(p->n_outputs + 1);
        if (need > e->partial_cap) {
            double *np = realloc(e->partial, need * sizeof *np);
            if (!np) return cx_fail(CX_ERR_NOMEM, "out of memory");
            e->partial = np;
            e->partial_cap = need;
        }
    }
    if (e->o.router) {
        /* the new sample starts one lead step after the routers went idle */
        double now_ms = (double)router_now(e) / e->cyc_per_ms;
        e->base_ms = ceil(now_ms / h) * h + h;
    }
    cx_status st = CX_OK;
    if (T > 0) st = cx_exec_send_inputs(e, x, -h);
    for (int t = 0; t < T && st == CX_OK; t++) {
        if (t + 1 < T) st = cx_exec_send_inputs(e, x + (size_t)(t + 1) * p->n_inputs, t * h);
        if (st == CX_OK && e->o.router)
            st = cx_exec_advance(e, cx_exec_cycle_at(e, e->base_ms + t * h) + 1);
        if (st != CX_OK) break;
        cx_exec_step_tiles(e);
        cx_exec_outputs(e, y + (size_t)t * p->n_outputs,
                        e->partial + (size_t)t * (size_t)e->n_chips * (size_t)p->n_outputs);
        if (rec) cx_exec_probes(e, rec, t);
        if (e->o.track_range) cx_exec_track(e);
        st = cx_exec_emit(e, (t + 1) * h);
        if (st == CX_OK && e->board && !e->o.router) st = cx_exec_remote_flush(e);
    }
    if (st == CX_OK && e->o.router) st = cx_exec_advance(e, CX_NOC_NEVER); /* drain */
    for (int k = 0; k < p->n_tiles; k++) /* as the router's drain: counted, then reset */
        if (e->tiles[k]) cx_exec_pull(e, k);
    cx_exec_end_round(e);
    if (st == CX_OK && e->board) st = finish_board_sample(e, T, y, rec);
    if (st == CX_OK) st = collect_stats(e, (uint64_t)T);
    e->stats.samples++;
    e->stats.steps += (uint64_t)T;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    e->stats.wall_s += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return st;
}

static cx_status finish_board_sample(cx_exec *e, int T, double *y, double *const *rec)
{
    const cx_program *p = e->p;
    const size_t C = (size_t)e->n_chips, O = (size_t)p->n_outputs;
    /* rows per chip: [T][O] partial sums */
    double *rows = malloc((C * (size_t)T * O + 1) * sizeof *rows);
    if (!rows) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < C; c++)
        for (int t = 0; t < T; t++)
            memcpy(rows + (c * (size_t)T + (size_t)t) * O, e->partial + ((size_t)t * C + c) * O,
                   O * sizeof *rows);
    cx_status st = cx_exec_gather_chips(e, rows, (size_t)T * O);
    for (int t = 0; st == CX_OK && t < T; t++)
        for (size_t o = 0; o < O; o++) {
            double s = p->out_bias[o];
            for (size_t c = 0; c < C; c++)
                s += rows[(c * (size_t)T + (size_t)t) * O + o];
            y[(size_t)t * O + o] = s;
        }
    free(rows);
    /* probes: each chip's values from its rank */
    for (int q = 0; st == CX_OK && rec && q < p->n_probes; q++) {
        if (!rec[q] || e->ranks == 1) continue;
        const cx_prog_probe *pr = &p->probes[q];
        double *all = malloc((C * (size_t)T * pr->n + 1) * sizeof *all);
        if (!all) return cx_fail(CX_ERR_NOMEM, "out of memory");
        for (size_t c = 0; c < C; c++)
            memcpy(all + c * (size_t)T * pr->n, rec[q], (size_t)T * pr->n * sizeof *all);
        st = cx_exec_gather_chips(e, all, (size_t)T * pr->n);
        for (int t = 0; st == CX_OK && t < T; t++)
            for (size_t i = 0; i < pr->n; i++) {
                size_t c = (size_t)chip_of_tile(e, pr->tile[i]);
                rec[q][(size_t)t * pr->n + i] = all[(c * (size_t)T + (size_t)t) * pr->n + i];
            }
        free(all);
    }
    return st;
}

static cx_status collect_stats(cx_exec *e, uint64_t steps)
{
    (void)steps;
    if (!e->board) {
        for (int k = 0; k < e->p->n_tiles; k++)
            cx_exec_add_tile_stats(&e->stats.tiles, cx_tile_get_stats(e->tiles[k]));
        return CX_OK;
    }
    double *cs = e->chip_stats;
    for (int c = 0; c < e->n_chips; c++) {
        double *row = cs + (size_t)c * CX_CHIP_STATS;
        memset(row, 0, CX_CHIP_STATS * sizeof *row);
        if (!e->owned[c]) continue;
        cx_tile_stats ts = {0};
        for (int k = 0; k < e->p->n_tiles; k++)
            if (chip_of_tile(e, k) == c)
                cx_exec_add_tile_stats(&ts, cx_tile_get_stats(e->tiles[k]));
        row[CX_CS_STEPS] = (double)ts.steps;
        row[CX_CS_COMP_STEPS] = (double)ts.compartment_steps;
        row[CX_CS_CLIPPED] = (double)ts.clipped_steps;
        row[CX_CS_SPIKES_IN] = (double)ts.spikes_in;
        row[CX_CS_LATE] = (double)ts.late_spikes;
        row[CX_CS_SPIKES_OUT] = (double)ts.spikes_out;
        row[CX_CS_SYN] = (double)ts.synaptic_events;
        row[CX_CS_MACS] = (double)ts.dendrite_macs;
        row[CX_CS_ADC] = (double)ts.adc_conversions;
        row[CX_CS_ENERGY] = ts.energy_pj;
        const cx_noc *n = e->noc[c];
        if (!n) continue;
        const cx_noc_stats *s = cx_noc_get_stats(n);
        row[CX_CS_INJ] = (double)s->packets_injected;
        row[CX_CS_DELIV] = (double)s->packets_delivered;
        row[CX_CS_DROP] = (double)s->packets_dropped;
        row[CX_CS_LATE_PKT] = (double)s->packets_late;
        row[CX_CS_NOW] = (double)s->now;
        row[CX_CS_NOC_ENERGY] = s->energy_pj;
        row[CX_CS_LAT_SUM] = s->latency_sum;
        row[CX_CS_LAT_N] = (double)s->window_delivered;
        row[CX_CS_LAT_MAX] = (double)s->latency_max;
        row[CX_CS_LAT_P99] = (double)cx_noc_latency_quantile(n, 0.99);
        row[CX_CS_DEAD_LINK] = (double)s->packets_dead_link;
        row[CX_CS_DETOURED] = (double)s->routes_detoured;
    }
    CX_TRY(cx_exec_gather_chips(e, cs, CX_CHIP_STATS));
    /* the host's count is this rank's own (every rank sends the same inputs) */
    cx_exec_stats *g = &e->stats;
    double sum[CX_CHIP_STATS] = {0}, mx[CX_CHIP_STATS] = {0};
    for (int c = 0; c < e->n_chips; c++)
        for (int i = 0; i < CX_CHIP_STATS; i++) {
            sum[i] += cs[(size_t)c * CX_CHIP_STATS + i];
            mx[i] = fmax(mx[i], cs[(size_t)c * CX_CHIP_STATS + i]);
        }
    g->tiles.steps += (uint64_t)sum[CX_CS_STEPS];
    g->tiles.compartment_steps += (uint64_t)sum[CX_CS_COMP_STEPS];
    g->tiles.clipped_steps += (uint64_t)sum[CX_CS_CLIPPED];
    g->tiles.spikes_in += (uint64_t)sum[CX_CS_SPIKES_IN];
    g->tiles.late_spikes += (uint64_t)sum[CX_CS_LATE];
    g->tiles.spikes_out += (uint64_t)sum[CX_CS_SPIKES_OUT];
    g->tiles.synaptic_events += (uint64_t)sum[CX_CS_SYN];
    g->tiles.dendrite_macs += (uint64_t)sum[CX_CS_MACS];
    g->tiles.adc_conversions += (uint64_t)sum[CX_CS_ADC];
    g->tiles.energy_pj += sum[CX_CS_ENERGY];
    g->packets_injected = (uint64_t)sum[CX_CS_INJ];
    g->packets_delivered = (uint64_t)sum[CX_CS_DELIV];
    g->packets_dropped = (uint64_t)sum[CX_CS_DROP];
    g->packets_late = (uint64_t)sum[CX_CS_LATE_PKT];
    g->noc_cycles = (uint64_t)mx[CX_CS_NOW];
    g->noc_energy_pj = sum[CX_CS_NOC_ENERGY];
    g->latency_mean_cycles = sum[CX_CS_LAT_N] > 0 ? sum[CX_CS_LAT_SUM] / sum[CX_CS_LAT_N] : 0;
    g->latency_max_cycles = (uint64_t)mx[CX_CS_LAT_MAX];
    g->latency_p99_cycles = (uint64_t)mx[CX_CS_LAT_P99];
    g->packets_dead_link = (uint64_t)sum[CX_CS_DEAD_LINK];
    g->routes_detoured = (uint64_t)sum[CX_CS_DETOURED];
    return CX_OK;
}

const cx_exec_stats *cx_exec_get_stats(const cx_exec *e)
{
    cx_exec_stats *s = (cx_exec_stats *)&e->stats; /* refreshed from the router on read */
    if (!e->board && e->noc[0]) {
        const cx_noc_stats *n = cx_noc_get_stats(e->noc[0]);
        s->packets_injected = n->packets_injected;
        s->packets_delivered = n->packets_delivered;
        s->packets_dropped = n->packets_dropped;
        s->packets_late = n->packets_late;
        s->noc_cycles = n->now;
        s->noc_energy_pj = n->energy_pj;
        s->latency_mean_cycles = n->window_delivered ? n->latency_sum / n->window_delivered : 0;
        s->latency_p99_cycles = cx_noc_latency_quantile(e->noc[0], 0.99);
        s->latency_max_cycles = n->latency_max;
        s->packets_dead_link = n->packets_dead_link;
        s->routes_detoured = n->routes_detoured;
    }
    return s;
}

double *cx_exec_comp_range(const cx_exec *e, int k)
{
    return e->range[k];
}

double *cx_exec_readout_range(const cx_exec *e, int k)
{
    return e->rrange[k];
}

const cx_noc *cx_exec_noc(const cx_exec *e)
{
    return e->noc[0];
}

const cx_tile *cx_exec_tile(const cx_exec *e, int k)
{
    return e->tiles[k];
}
