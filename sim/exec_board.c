/* The board layer of the executor: per-chip routes, chip links,
 * conservative synchronization over MPI ranks, and the gathers that make
 * every rank see the same results (see cx_exec.h). Uses the spike queues
 * (exec_spikes.c) and the routers; never the chip layer. */
#define _POSIX_C_SOURCE 200809L
#include "exec_internal.h"

#include "cx_grow.h"
#include "cx_mpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int port_endpoint(const cx_exec *e, int link, int chip)
{
    return e->nodes + cx_board_link_port(&e->board->links[link], chip);
}

/* Adds endpoint ep to the chip route once. */
static cx_status add_dest(cx_chip_route *cr, int ep, int cap)
{
    for (int i = 0; i < cr->n_dests; i++)
        if (cr->dests[i] == ep) return CX_OK;
    if (!cr->dests) {
        cr->dests = malloc((size_t)cap * sizeof *cr->dests);
        if (!cr->dests) return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    cr->dests[cr->n_dests++] = ep;
    return CX_OK;
}

/* Route r on every chip: a tile's spike spreads from its chip along the
 * board's delivery tree to the chips of its destinations; host input enters
 * each destination chip at its host port. */
static cx_status plan_route(cx_exec *e, int r_index, unsigned char *needed)
{
    const cx_prog_route *r = &e->p->routes[r_index];
    const int C = e->n_chips;
    cx_chip_route *cr = &e->croute[(size_t)r_index * (size_t)C];
    const int cap = r->n_dests + C + 1;
    memset(needed, 0, (size_t)C);
    int s = r->src_tile >= 0 ? chip_of_tile(e, r->src_tile) : -1;
    for (int d = 0; d < r->n_dests; d++) {
        int c = chip_of_tile(e, r->dests[d]);
        if (s < 0) {
            needed[c] = 1;
            continue;
        }
        /* c and its ancestors up to the source chip */
        while (c != s && !needed[c]) {
            needed[c] = 1;
            c = cx_board_link_peer(&e->board->links[cx_board_tree_link(e->board, s, c)], c);
        }
    }
    if (s >= 0) needed[s] = 1;
    for (int c = 0; c < C; c++) {
        cr[c].src = -1;
        if (!needed[c]) continue;
        if (s < 0)
            cr[c].src = e->host_endpoint;
        else if (c == s)
            cr[c].src = e->node_of_tile[r->src_tile];
        else
            cr[c].src = port_endpoint(e, cx_board_tree_link(e->board, s, c), c);
        for (int d = 0; d < r->n_dests; d++)
            if (chip_of_tile(e, r->dests[d]) == c)
                CX_TRY(add_dest(&cr[c], e->node_of_tile[r->dests[d]], cap));
    }
    /* forwarding: each needed chip's parent sends it on through the link */
    for (int c = 0; s >= 0 && c < C; c++) {
        if (!needed[c] || c == s) continue;
        int l = cx_board_tree_link(e->board, s, c);
        int parent = cx_board_link_peer(&e->board->links[l], c);
        CX_TRY(add_dest(&cr[parent], port_endpoint(e, l, parent), cap));
    }
    for (int c = 0; c < C; c++)
        if (cr[c].src >= 0 && e->noc[c])
            CX_TRY(cx_noc_set_route(e->noc[c], r->key, cr[c].src, cr[c].dests, cr[c].n_dests));
    return CX_OK;
}

cx_status cx_exec_board_setup(cx_exec *e)
{
    const cx_board *b = e->board;
    const int C = e->n_chips, hosts = (int)e->chip.router.n_hosts;
    e->port_link = malloc((size_t)(C * hosts) * sizeof *e->port_link);
    e->links = calloc((size_t)(2 * b->n_links + 1), sizeof *e->links);
    if (!e->port_link || !e->links) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int i = 0; i < C * hosts; i++)
        e->port_link[i] = -1;
    for (int l = 0; l < b->n_links; l++) {
        const cx_board_link *k = &b->links[l];
        if (k->port_a >= hosts || k->port_b >= hosts)
            return cx_fail(CX_ERR_FIT, "board link %d uses port %d; the chip has %d router ports",
                           l, k->port_a > k->port_b ? k->port_a : k->port_b, hosts);
        if (k->port_a == e->p->host || k->port_b == e->p->host)
            return cx_fail(CX_ERR_FIT, "board link %d uses the host port %d of the program", l,
                           e->p->host);
        e->port_link[k->a * hosts + k->port_a] = l;
        e->port_link[k->b * hosts + k->port_b] = l;
        for (int d = 0; d < 2; d++)
            cx_noc_chip_link_init(&e->links[2 * l + d], k->latency_ns, k->bandwidth_gbps);
    }
    /* conservative window: what the fastest link needs to cross, in router cycles */
    double lat_cycles = cx_board_min_latency_ns(b) * e->chip.router.clock_mhz * 1e-3;
    e->window =
        isfinite(lat_cycles) ? (lat_cycles >= 1 ? (uint64_t)floor(lat_cycles) : 1) : UINT64_MAX / 4;
    if (!e->o.router) return CX_OK;
    e->croute = calloc((size_t)e->p->n_routes * (size_t)C + 1, sizeof *e->croute);
    unsigned char *needed = malloc((size_t)C);
    cx_status st = e->croute && needed ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int r = 0; st == CX_OK && r < e->p->n_routes; r++)
        st = plan_route(e, r, needed);
    free(needed);
    return st;
}

static int relay_cmp(const void *a, const void *b)
{
    const cx_relay *x = a, *y = b;
    if (x->link != y->link) return x->link < y->link ? -1 : 1;
    if (x->from_chip != y->from_chip) return x->from_chip < y->from_chip ? -1 : 1;
    if (x->port_cycle != y->port_cycle) return x->port_cycle < y->port_cycle ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Every rank's records of the window (a queue this rank took), sorted by
 * cmp: one order on every rank. */
static cx_status gather_sorted(cx_exec *e, void **items, size_t *n, size_t size,
                               int (*cmp)(const void *, const void *))
{
    if (e->distributed) {
        void *all;
        size_t total;
        CX_TRY(cx_mpi_allgatherv(*items, *n * size, &all, &total, NULL));
        free(*items);
        *items = all;
        *n = total / size;
    }
    if (*n > 1) qsort(*items, *n, size, cmp);
    return CX_OK;
}

/* Deadline of a relayed spike: its emission (on the step grid) plus the
 * route's due offset, as the sending chip computed it. */
static uint64_t deadline_of(const cx_exec *e, uint32_t key, uint64_t origin)
{
    cx_aer_format f = cx_aer_format_default();
    uint32_t tile = key >> f.neuron_bits, neuron = key & ((1u << f.neuron_bits) - 1u);
    int k = tile < (uint32_t)(e->n_chips * e->nodes) ? e->tile_of_node[tile] : -1;
    int r = k >= 0 ? e->soma_route[k][neuron] : -1;
    if (r < 0) return CX_NOC_NO_DEADLINE;
    double h = e->p->step_ms;
    double gen_ms = (double)llround(((double)origin / e->cyc_per_ms - e->base_ms) / h) * h;
    double c = floor((e->base_ms + gen_ms + e->p->routes[r].due_offset_ms) * e->cyc_per_ms + 0.5);
    return c > 0 ? (uint64_t)c : 0;
}

static cx_status exchange_relays(cx_exec *e)
{
    void *items = e->relays;
    size_t n = e->n_relays;
    e->relays = NULL;
    e->n_relays = e->cap_relays = 0;
    cx_status st = gather_sorted(e, &items, &n, sizeof(cx_relay), relay_cmp);
    cx_relay *rel = items;
    const double ns_per_cycle = 1e3 / e->chip.router.clock_mhz;
    for (size_t i = 0; st == CX_OK && i < n; i++) {
        const cx_relay *q = &rel[i];
        const cx_board_link *k = &e->board->links[q->link];
        int dir = q->from_chip == k->a ? 0 : 1, to = cx_board_link_peer(k, q->from_chip);
        double arr_ns =
            cx_noc_chip_link_send(&e->links[2 * q->link + dir],
                                  (double)q->port_cycle * ns_per_cycle, e->chip.router.packet_bits);
        uint64_t arr = (uint64_t)ceil(arr_ns / ns_per_cycle - 1e-9);
        if (arr < q->port_cycle + e->window) arr = q->port_cycle + e->window;
        e->stats.chip_link_packets++;
        if (!e->owned[to]) continue;
        st = cx_noc_inject_relayed(e->noc[to], arr, q->origin, port_endpoint(e, q->link, to), -1,
                                   q->key, deadline_of(e, q->key, q->origin), q->tag);
    }
    free(rel);
    return st;
}

cx_status cx_exec_advance(cx_exec *e, uint64_t end_cycle)
{
    for (;;) {
        uint64_t next = CX_NOC_NEVER;
        for (int c = 0; c < e->n_chips; c++)
            if (e->noc[c]) {
                uint64_t t = cx_noc_next_time(e->noc[c]);
                next = t < next ? t : next;
            }
        if (e->distributed) next = cx_mpi_min_u64(next);
        if (next == CX_NOC_NEVER || next >= end_cycle) return CX_OK;
        uint64_t stop = end_cycle;
        if (e->board && next + e->window < stop) stop = next + e->window;
        for (int c = 0; c < e->n_chips; c++)
            if (e->noc[c]) cx_noc_run(e->noc[c], stop);
        if (!e->board) continue;
        e->stats.sync_windows++;
        CX_TRY(exchange_relays(e));
    }
}

static int remote_cmp(const void *a, const void *b)
{
    const cx_remote_spike *x = a, *y = b;
    if (x->from_chip != y->from_chip) return x->from_chip < y->from_chip ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

cx_status cx_exec_remote_flush(cx_exec *e)
{
    void *items = e->remote;
    size_t n = e->n_remote;
    e->remote = NULL;
    e->n_remote = e->cap_remote = 0;
    cx_status st = gather_sorted(e, &items, &n, sizeof(cx_remote_spike), remote_cmp);
    cx_remote_spike *rs = items;
    /* a route's spikes come from one chip, in its order, whatever the ranks;
     * those of this rank's chips were kept when sent */
    for (size_t i = 0; st == CX_OK && i < n; i++)
        if (!e->owned[rs[i].from_chip])
            st = cx_exec_keep_sent(e, rs[i].route, rs[i].value, rs[i].due_ms, rs[i].gen_ms);
    free(rs);
    return st;
}

cx_status cx_exec_gather_chips(cx_exec *e, double *rows, size_t m)
{
    if (!e->distributed || e->ranks == 1) return CX_OK;
    size_t mine = 0;
    for (int c = 0; c < e->n_chips; c++)
        mine += e->owned[c];
    double *send = malloc((mine * m + 1) * sizeof *send);
    if (!send) return cx_fail(CX_ERR_NOMEM, "out of memory");
    size_t j = 0;
    for (int c = 0; c < e->n_chips; c++)
        if (e->owned[c]) memcpy(send + (j++) * m, rows + (size_t)c * m, m * sizeof *send);
    void *all;
    size_t total;
    size_t *counts = malloc((size_t)e->ranks * sizeof *counts);
    cx_status st = counts ? cx_mpi_allgatherv(send, mine * m * sizeof *send, &all, &total, counts)
                          : cx_fail(CX_ERR_NOMEM, "out of memory");
    free(send);
    if (st != CX_OK) {
        free(counts);
        return st;
    }
    /* rank r's block holds its chips c = r, r + ranks, ... in order */
    const double *src = all;
    for (int r = 0; r < e->ranks; r++) {
        for (int c = r; c < e->n_chips; c += e->ranks)
            memcpy(rows + (size_t)c * m, src + (size_t)(c / e->ranks) * m, m * sizeof *rows);
        src += counts[r] / sizeof *src;
    }
    free(counts);
    free(all);
    return CX_OK;
}

uint64_t cx_exec_max_cycle(const cx_exec *e, uint64_t v)
{
    return e->distributed ? (uint64_t)cx_mpi_max_i64((int64_t)v) : v;
}

void cx_exec_link_load(const cx_exec *e, int l, uint64_t packets[2], double busy_ns[2])
{
    for (int d = 0; d < 2; d++) {
        packets[d] = e->links ? e->links[2 * l + d].packets : 0;
        busy_ns[d] = e->links ? e->links[2 * l + d].busy_ns : 0;
    }
}

const cx_board *cx_exec_board(const cx_exec *e)
{
    return e->board;
}
