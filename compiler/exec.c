/* Program execution: tiles + router + host port (see cx_exec.h); the chip
 * links of boards are in exec_board.c. */
#define _POSIX_C_SOURCE 200809L
#include "exec_internal.h"

#include "cx_dac.h"
#include "cx_grow.h"
#include "cx_mpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Without the router, the spikes sent in a round (between two rounds of
 * tile steps) are kept per route, routes numbered by key (their rank);
 * before its step, each tile pulls those of the routes that reach it,
 * walking its incoming routes in key order. That is the order they were sent
 * in (tiles send in key order, the host's channels after them), and a
 * route's spikes come in the order it sent them, so every compartment adds
 * its pulses in the order immediate delivery would, while a tile reads its
 * synapse table and the route slots front to back. On a board, spikes for
 * tiles of other ranks cross over MPI after the step (exec_board.c) and are
 * kept the same way: a tile's input does not depend on where its sources
 * are simulated. */
typedef struct {
    double value, due_ms, gen_ms;
} sent_spike;

typedef struct {
    sent_spike first; /* the route's first spike of the round (most send one) */
    uint32_t round;   /* the round it is from; other rounds: none */
    int32_t more;     /* further spikes: head of a chain in extra, -1: none */
    int32_t last;     /* tail of that chain */
} route_slot;

typedef struct {
    sent_spike spike;
    int32_t next;
} extra_spike;

typedef struct {
    int32_t rank; /* a route that reaches the tile, by key rank */
    int32_t run;  /* its source's synapse run there (cx_tile_source_run) */
} incoming_route;

/* A spike the router delivered to a tile, applied in arrival order before
 * the tile's next step (or when a batch is full): the same as applying it
 * on arrival, since tiles do not step while the routers run. */
typedef struct {
    uint32_t key;
    double value, due_ms, arrival_ms;
} arrived_spike;

enum { ARRIVED_BATCH = 1024 };

struct cx_exec_fast {
    int32_t *rank;         /* route -> its rank by key */
    unsigned char *reach;  /* route -> it has destination tiles on this rank */
    unsigned char *export; /* route -> ... on other ranks */
    route_slot *slot;      /* by rank */
    uint32_t round;        /* current round of sends */
    int sent_any;          /* a spike was sent this round */
    extra_spike *extra;    /* second and later spikes of a route in a round */
    size_t n_extra, cap_extra;
    size_t *in_row;          /* tile k's incoming routes are */
    incoming_route *in_list; /*   in_list[in_row[k] .. in_row[k + 1]), by rank */
    arrived_spike *arrived;  /* router: [n_tiles][ARRIVED_BATCH] */
    size_t *arrived_n;
};

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

static uint64_t cycle_at(const cx_exec *e, double model_ms)
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

/* Applies the spikes the router delivered to program tile k, in order. */
static void flush_arrived(cx_exec *e, int k)
{
    struct cx_exec_fast *f = e->fast;
    const arrived_spike *a = f->arrived + (size_t)k * ARRIVED_BATCH;
    for (size_t i = 0; i < f->arrived_n[k]; i++)
        cx_tile_deliver_value(e->tiles[k], a[i].key, a[i].value, a[i].due_ms, a[i].arrival_ms);
    f->arrived_n[k] = 0;
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
    struct cx_exec_fast *f = e->fast;
    f->arrived[(size_t)k * ARRIVED_BATCH + f->arrived_n[k]++] =
        (arrived_spike){key, value_of(tag), due_ms, arr_ms};
    if (f->arrived_n[k] == ARRIVED_BATCH) flush_arrived(e, k);
}

static void fast_free(struct cx_exec_fast *f)
{
    if (!f) return;
    free(f->rank);
    free(f->reach);
    free(f->export);
    free(f->slot);
    free(f->extra);
    free(f->in_row);
    free(f->in_list);
    free(f->arrived);
    free(f->arrived_n);
    free(f);
}

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
    fast_free(e->fast);
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
    free(e);
}

static cx_status setup_routes(cx_exec *e)
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

typedef struct {
    uint32_t key;
    int32_t route;
} keyed_route;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed_route *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->route > y->route) - (x->route < y->route);
}

static int incoming_cmp(const void *a, const void *b)
{
    int32_t x = ((const incoming_route *)a)->rank, y = ((const incoming_route *)b)->rank;
    return (x > y) - (x < y);
}

/* Without the router: routes ranked by key; per simulated tile, the routes
 * that reach it in rank order, each source looked up once in the tile's
 * synapse index; per route, whether it reaches tiles of this rank and of
 * other ranks. */
static cx_status setup_incoming(cx_exec *e)
{
    const cx_program *p = e->p;
    struct cx_exec_fast *f = e->fast;
    const size_t nr = (size_t)p->n_routes;
    size_t total = 0;
    keyed_route *kr = malloc((nr + 1) * sizeof *kr);
    f->rank = malloc((nr + 1) * sizeof *f->rank);
    f->slot = calloc(nr + 1, sizeof *f->slot);
    f->in_row = calloc((size_t)p->n_tiles + 1, sizeof *f->in_row);
    f->reach = calloc(nr + 1, 1);
    f->export = calloc(nr + 1, 1);
    if (!kr || !f->rank || !f->slot || !f->in_row || !f->reach || !f->export) {
        free(kr);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nr; i++)
        kr[i] = (keyed_route){p->routes[i].key, (int32_t)i};
    qsort(kr, nr, sizeof *kr, keyed_cmp);
    for (size_t i = 0; i < nr; i++)
        f->rank[kr[i].route] = (int32_t)i;
    free(kr);
    f->round = 1; /* slots start at round 0: nothing sent */
    for (size_t i = 0; i < nr; i++)
        for (int d = 0; d < p->routes[i].n_dests; d++) {
            int k = p->routes[i].dests[d];
            /* host input: every rank sends it to its own tiles */
            if (!e->tiles[k]) {
                f->export[i] |= p->routes[i].src_tile >= 0;
                continue;
            }
            f->reach[i] = 1;
            f->in_row[k + 1]++;
            total++;
        }
    for (int k = 0; k < p->n_tiles; k++)
        f->in_row[k + 1] += f->in_row[k];
    f->in_list = malloc((total + 1) * sizeof *f->in_list);
    size_t *fill = malloc(((size_t)p->n_tiles + 1) * sizeof *fill);
    if (!f->in_list || !fill) {
        free(fill);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    memcpy(fill, f->in_row, (size_t)p->n_tiles * sizeof *fill);
    for (size_t i = 0; i < nr; i++)
        for (int d = 0; d < p->routes[i].n_dests; d++) {
            int k = p->routes[i].dests[d];
            if (!e->tiles[k]) continue;
            long run = cx_tile_source_run(e->tiles[k], p->routes[i].key);
            f->in_list[fill[k]++] = (incoming_route){f->rank[i], (int32_t)run};
        }
    free(fill);
    for (int k = 0; k < p->n_tiles; k++)
        qsort(f->in_list + f->in_row[k], f->in_row[k + 1] - f->in_row[k], sizeof *f->in_list,
              incoming_cmp);
    return CX_OK;
}

static cx_status setup_fast(cx_exec *e)
{
    e->fast = calloc(1, sizeof *e->fast);
    if (!e->fast) return cx_fail(CX_ERR_NOMEM, "out of memory");
    if (!e->o.router) return setup_incoming(e);
    struct cx_exec_fast *f = e->fast;
    f->arrived = malloc((size_t)e->p->n_tiles * ARRIVED_BATCH * sizeof *f->arrived + 1);
    f->arrived_n = calloc((size_t)e->p->n_tiles + 1, sizeof *f->arrived_n);
    if (!f->arrived || !f->arrived_n) return cx_fail(CX_ERR_NOMEM, "out of memory");
    return CX_OK;
}

/* Checks the program against the chip or board it runs on. */
static cx_status check_layout(const cx_exec *e)
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
        return cx_fail(CX_ERR_FIT, "program uses host port %d, the chip has %zu (router.hosts)",
                       p->host, e->chip.router.n_hosts);
    return CX_OK;
}

static cx_status alloc_tiles(cx_exec *e)
{
    const cx_program *p = e->p;
    const int W = e->chip.mesh.width, H = e->chip.mesh.height;
    for (int k = 0; k < p->n_tiles; k++) {
        const cx_prog_tile *t = &p->tiles[k];
        if (t->chip < 0 || t->chip >= e->n_chips || t->x < 0 || t->x >= W || t->y < 0 || t->y >= H)
            return cx_fail(CX_ERR_FIT,
                           "program tile %d sits at chip %d (%d, %d), outside the %d chip(s) of "
                           "%dx%d tiles",
                           k, t->chip, t->x, t->y, e->n_chips, W, H);
        int node = t->y * W + t->x, id = t->chip * e->nodes + node;
        if (e->tile_of_node[id] >= 0)
            return cx_fail(CX_ERR_VALUE,
                           "program tiles %d and %d share chip %d mesh position (%d, %d)",
                           e->tile_of_node[id], k, t->chip, t->x, t->y);
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
    }
    return CX_OK;
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
    if (st == CX_OK) st = check_layout(e);
    if (st == CX_OK) st = alloc_tiles(e);
    for (int c = 0; st == CX_OK && o->router && c < e->n_chips; c++) {
        if (!e->owned[c]) continue;
        cx_noc_config cfg;
        st = cx_chip_noc_config(&e->chips[c], &cfg);
        if (st == CX_OK) st = cx_noc_alloc(&cfg, &e->noc[c]);
        if (st == CX_OK) cx_noc_set_sink(e->noc[c], sink, &e->ctx[c]);
    }
    if (st == CX_OK) st = setup_routes(e);
    if (st == CX_OK) st = setup_fast(e);
    if (st == CX_OK && e->board) st = cx_exec_board_setup(e);
    if (st != CX_OK) {
        cx_exec_free(e);
        return st;
    }
    *out = e;
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

static int chip_of_tile(const cx_exec *e, int k)
{
    return e->p->tiles[k].chip;
}

cx_status cx_exec_keep_sent(cx_exec *e, int r_index, double value, double due, double gen_ms)
{
    struct cx_exec_fast *f = e->fast;
    if (!f->reach[r_index]) return CX_OK;
    route_slot *sl = &f->slot[f->rank[r_index]];
    sent_spike sp = {value, due, gen_ms};
    f->sent_any = 1;
    if (sl->round != f->round) {
        *sl = (route_slot){sp, f->round, -1, -1};
        return CX_OK;
    }
    if (!CX_GROW(f->extra, f->cap_extra, f->n_extra + 1))
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    int32_t x = (int32_t)f->n_extra++;
    f->extra[x] = (extra_spike){sp, -1};
    if (sl->last >= 0)
        f->extra[sl->last].next = x;
    else
        sl->more = x;
    sl->last = x;
    return CX_OK;
}

/* Delivers the spikes of the current round that reach program tile k. */
static void flush(cx_exec *e, int k)
{
    struct cx_exec_fast *f = e->fast;
    if (e->o.router) {
        flush_arrived(e, k);
        return;
    }
    if (!f->sent_any) return;
    cx_tile *t = e->tiles[k];
    const incoming_route *in = f->in_list + f->in_row[k], *end = f->in_list + f->in_row[k + 1];
    for (; in < end; in++) {
        const route_slot *sl = &f->slot[in->rank];
        if (sl->round != f->round) continue;
        cx_tile_deliver_run(t, in->run, sl->first.value, sl->first.due_ms, sl->first.gen_ms);
        for (int32_t x = sl->more; x >= 0; x = f->extra[x].next) {
            const sent_spike *sp = &f->extra[x].spike;
            cx_tile_deliver_run(t, in->run, sp->value, sp->due_ms, sp->gen_ms);
        }
    }
}

/* Ends a round of sends: every tile has pulled its spikes. */
static void clear_sent(cx_exec *e)
{
    e->fast->round++;
    e->fast->sent_any = 0;
    e->fast->n_extra = 0;
}

/* Every simulated tile takes the spikes that reached it, then steps. */
static void step_tiles(cx_exec *e)
{
    for (int k = 0; k < e->p->n_tiles; k++)
        if (e->tiles[k]) {
            flush(e, k);
            cx_tile_step(e->tiles[k]);
        }
    clear_sent(e);
}

/* Sends a spike of route r through the routers, emitted on chip `from` (the
 * host: each destination chip's host port); without the router, keeps it for
 * the tiles of this rank and queues it for those of other ranks. */
static cx_status send(cx_exec *e, int r_index, double gen_ms, double value)
{
    const cx_prog_route *r = &e->p->routes[r_index];
    double due = gen_ms + r->due_offset_ms;
    int from = r->src_tile >= 0 ? chip_of_tile(e, r->src_tile) : -1;
    if (!e->o.router) {
        CX_TRY(cx_exec_keep_sent(e, r_index, value, due, gen_ms));
        if (e->fast->export[r_index])
            CX_TRY(cx_exec_remote_push(e, from, r_index, value, due, gen_ms));
        return CX_OK;
    }
    uint64_t t = cycle_at(e, e->base_ms + gen_ms), deadline = cycle_at(e, e->base_ms + due);
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

static cx_status send_inputs(cx_exec *e, const double *x_t, double gen_ms)
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

static void add_stats(cx_tile_stats *a, const cx_tile_stats *b)
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

static void track(cx_exec *e)
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
static void outputs(const cx_exec *e, double *y, double *partial)
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

static void probes(const cx_exec *e, double *const *rec, int t)
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
static cx_status emit(cx_exec *e, double gen_ms)
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
    for (int k = 0; k < p->n_tiles; k++) {
        if (e->tiles[k]) cx_tile_reset(e->tiles[k]);
        if (e->fast->arrived_n) e->fast->arrived_n[k] = 0;
    }
    clear_sent(e);
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
    if (T > 0) st = send_inputs(e, x, -h);
    for (int t = 0; t < T && st == CX_OK; t++) {
        if (t + 1 < T) st = send_inputs(e, x + (size_t)(t + 1) * p->n_inputs, t * h);
        if (st == CX_OK && e->o.router)
            st = cx_exec_advance(e, cycle_at(e, e->base_ms + t * h) + 1);
        if (st != CX_OK) break;
        step_tiles(e);
        outputs(e, y + (size_t)t * p->n_outputs,
                e->partial + (size_t)t * (size_t)e->n_chips * (size_t)p->n_outputs);
        if (rec) probes(e, rec, t);
        if (e->o.track_range) track(e);
        st = emit(e, (t + 1) * h);
        if (st == CX_OK && e->board && !e->o.router) st = cx_exec_remote_flush(e);
    }
    if (st == CX_OK && e->o.router) st = cx_exec_advance(e, CX_NOC_NEVER); /* drain */
    for (int k = 0; k < p->n_tiles; k++) /* as the router's drain: counted, then reset */
        if (e->tiles[k]) flush(e, k);
    clear_sent(e);
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
            add_stats(&e->stats.tiles, cx_tile_get_stats(e->tiles[k]));
        return CX_OK;
    }
    double *cs = e->chip_stats;
    for (int c = 0; c < e->n_chips; c++) {
        double *row = cs + (size_t)c * CX_CHIP_STATS;
        memset(row, 0, CX_CHIP_STATS * sizeof *row);
        if (!e->owned[c]) continue;
        cx_tile_stats ts = {0};
        for (int k = 0; k < e->p->n_tiles; k++)
            if (chip_of_tile(e, k) == c) add_stats(&ts, cx_tile_get_stats(e->tiles[k]));
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
