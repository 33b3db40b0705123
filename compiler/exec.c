/* Program execution: tiles + router + host port (see cx_exec.h). */
#define _POSIX_C_SOURCE 200809L
#include "cx_exec.h"

#include "cx_dac.h"

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
 * synapse table and the route slots front to back. */
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
 * on arrival, since tiles do not step while the router runs. */
typedef struct {
    uint32_t key;
    double value, due_ms, arrival_ms;
} arrived_spike;

enum { ARRIVED_BATCH = 1024 };

struct cx_exec {
    const cx_program *p;
    cx_chip_config chip; /* scalars only (pointers not owned) */
    cx_exec_opts o;
    cx_tile **tiles;
    int *tile_of_node; /* mesh node -> program tile, -1 when unused */
    int *node_of_tile;
    int host_endpoint;
    cx_noc *noc;
    double cyc_per_ms; /* router cycles per model ms */
    double base_ms;    /* model time of the current sample's step 0 on the router timeline */
    /* routes by source: host channel c -> route index, tile soma -> route index */
    int *host_route;
    int **soma_route;
    int quantize_payload, payload_bits;
    /* no router */
    int32_t *rank;      /* route -> its rank by key */
    route_slot *slot;   /* by rank */
    uint32_t round;     /* current round of sends */
    int sent_any;       /* a spike was sent this round */
    extra_spike *extra; /* second and later spikes of a route in a round */
    size_t n_extra, cap_extra;
    size_t *in_row;          /* tile k's incoming routes are */
    incoming_route *in_list; /*   in_list[in_row[k] .. in_row[k + 1]), by rank */
    arrived_spike *arrived;  /* router: [n_tiles][ARRIVED_BATCH] */
    size_t *arrived_n;
    double **range, **rrange;
    cx_exec_stats stats;
    double latency_sum;
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
    /* a key is (tile << neuron_bits) | neuron (cx_aer_source_id) */
    cx_aer_format f = cx_aer_format_default();
    uint32_t tile = key >> f.neuron_bits, neuron = key & ((1u << f.neuron_bits) - 1u);
    uint32_t nodes = (uint32_t)(e->chip.mesh.width * e->chip.mesh.height);
    int r = -1;
    if (tile >= nodes) {
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
    const arrived_spike *a = e->arrived + (size_t)k * ARRIVED_BATCH;
    for (size_t i = 0; i < e->arrived_n[k]; i++)
        cx_tile_deliver_value(e->tiles[k], a[i].key, a[i].value, a[i].due_ms, a[i].arrival_ms);
    e->arrived_n[k] = 0;
}

/* Router delivery: due time from the route, arrival from the cycle. */
static void sink(void *ctx, int endpoint, uint32_t key, int src, uint64_t gen, uint64_t arrival,
                 uint64_t tag)
{
    (void)src;
    cx_exec *e = ctx;
    int nodes = e->chip.mesh.width * e->chip.mesh.height;
    if (endpoint >= nodes) return;
    int k = e->tile_of_node[endpoint];
    const cx_prog_route *r = route_of_key(e, key);
    if (k < 0 || !r) return;
    double h = e->p->step_ms;
    /* emission times are on the step grid: snap the cycle's rounding away */
    double gen_ms = (double)llround(((double)gen / e->cyc_per_ms - e->base_ms) / h) * h;
    double due_ms = gen_ms + r->due_offset_ms;
    double arr_ms = (double)arrival / e->cyc_per_ms - e->base_ms;
    arrived_spike *a = e->arrived + (size_t)k * ARRIVED_BATCH;
    a[e->arrived_n[k]++] = (arrived_spike){key, value_of(tag), due_ms, arr_ms};
    if (e->arrived_n[k] == ARRIVED_BATCH) flush_arrived(e, k);
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
    free(e->rank);
    free(e->slot);
    free(e->extra);
    free(e->in_row);
    free(e->in_list);
    free(e->arrived);
    free(e->arrived_n);
    free(e->tiles);
    free(e->soma_route);
    free(e->range);
    free(e->rrange);
    free(e->host_route);
    free(e->tile_of_node);
    free(e->node_of_tile);
    cx_noc_free(e->noc);
    free(e);
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

/* Routes ranked by key; per tile, the routes that reach it in rank order,
 * each source looked up once in the tile's synapse index. */
static cx_status setup_incoming(cx_exec *e)
{
    const cx_program *p = e->p;
    const size_t nr = (size_t)p->n_routes;
    size_t total = 0;
    keyed_route *kr = malloc((nr + 1) * sizeof *kr);
    e->rank = malloc((nr + 1) * sizeof *e->rank);
    e->slot = calloc(nr + 1, sizeof *e->slot);
    e->in_row = calloc((size_t)p->n_tiles + 1, sizeof *e->in_row);
    if (!kr || !e->rank || !e->slot || !e->in_row) {
        free(kr);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nr; i++)
        kr[i] = (keyed_route){p->routes[i].key, (int32_t)i};
    qsort(kr, nr, sizeof *kr, keyed_cmp);
    for (size_t i = 0; i < nr; i++)
        e->rank[kr[i].route] = (int32_t)i;
    free(kr);
    e->round = 1; /* slots start at round 0: nothing sent */
    for (size_t i = 0; i < nr; i++) {
        for (int d = 0; d < p->routes[i].n_dests; d++)
            e->in_row[p->routes[i].dests[d] + 1]++;
        total += (size_t)p->routes[i].n_dests;
    }
    for (int k = 0; k < p->n_tiles; k++)
        e->in_row[k + 1] += e->in_row[k];
    e->in_list = malloc((total + 1) * sizeof *e->in_list);
    size_t *fill = malloc(((size_t)p->n_tiles + 1) * sizeof *fill);
    if (!e->in_list || !fill) {
        free(fill);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    memcpy(fill, e->in_row, (size_t)p->n_tiles * sizeof *fill);
    for (size_t i = 0; i < nr; i++)
        for (int d = 0; d < p->routes[i].n_dests; d++) {
            int k = p->routes[i].dests[d];
            long run = cx_tile_source_run(e->tiles[k], p->routes[i].key);
            e->in_list[fill[k]++] = (incoming_route){e->rank[i], (int32_t)run};
        }
    free(fill);
    for (int k = 0; k < p->n_tiles; k++)
        qsort(e->in_list + e->in_row[k], e->in_row[k + 1] - e->in_row[k], sizeof *e->in_list,
              incoming_cmp);
    return CX_OK;
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
        if (st == CX_OK && e->noc) {
            int src = r->src_tile < 0 ? e->host_endpoint : e->node_of_tile[r->src_tile];
            st = cx_noc_set_route(e->noc, r->key, src, dests, r->n_dests);
        }
    }
    free(dests);
    if (st == CX_OK && !e->noc) st = setup_incoming(e);
    return st;
}

cx_status cx_exec_alloc(const cx_program *p, const cx_chip_config *chip, const cx_exec_opts *o,
                        cx_exec **out)
{
    *out = NULL;
    int W = chip->mesh.width, H = chip->mesh.height;
    cx_exec *e = calloc(1, sizeof *e);
    if (!e) return cx_fail(CX_ERR_NOMEM, "out of memory");
    e->p = p;
    e->chip = *chip;
    e->o = *o;
    e->cyc_per_ms = chip->router.clock_mhz * 1e3 / chip->acceleration;
    e->payload_bits = chip->tile.somas.payload_bits;
    e->quantize_payload = chip->noise.quantization.enabled && chip->noise.quantization.weights;
    e->host_endpoint = W * H + p->host;
    e->tiles = calloc((size_t)p->n_tiles + 1, sizeof *e->tiles);
    e->soma_route = calloc((size_t)p->n_tiles + 1, sizeof *e->soma_route);
    e->range = calloc((size_t)p->n_tiles + 1, sizeof *e->range);
    e->rrange = calloc((size_t)p->n_tiles + 1, sizeof *e->rrange);
    e->host_route = malloc((size_t)(p->n_inputs + 1) * sizeof *e->host_route);
    e->tile_of_node = malloc((size_t)(W * H) * sizeof *e->tile_of_node);
    e->node_of_tile = malloc((size_t)(p->n_tiles + 1) * sizeof *e->node_of_tile);
    cx_status st = CX_OK;
    if (!e->tiles || !e->soma_route || !e->range || !e->rrange || !e->host_route ||
        !e->tile_of_node || !e->node_of_tile)
        st = cx_fail(CX_ERR_NOMEM, "out of memory");
    for (int i = 0; st == CX_OK && i < W * H; i++)
        e->tile_of_node[i] = -1;
    for (int c = 0; st == CX_OK && c < p->n_inputs; c++)
        e->host_route[c] = -1;
    if (st == CX_OK && p->host >= (int)chip->router.n_hosts)
        st = cx_fail(CX_ERR_FIT, "program uses host port %d, the chip has %zu (router.hosts)",
                     p->host, chip->router.n_hosts);
    for (int k = 0; st == CX_OK && k < p->n_tiles; k++) {
        const cx_prog_tile *t = &p->tiles[k];
        if (t->x < 0 || t->x >= W || t->y < 0 || t->y >= H) {
            st = cx_fail(CX_ERR_FIT, "program tile %d sits at (%d, %d), outside the %dx%d mesh", k,
                         t->x, t->y, W, H);
            break;
        }
        int node = t->y * W + t->x;
        if (e->tile_of_node[node] >= 0) {
            st = cx_fail(CX_ERR_VALUE, "program tiles %d and %d share mesh position (%d, %d)",
                         e->tile_of_node[node], k, t->x, t->y);
            break;
        }
        e->tile_of_node[node] = k;
        e->node_of_tile[k] = node;
        cx_tile_id id = {.seed = o->seed, .chip = o->chip, .tile = (uint32_t)node};
        st = cx_tile_alloc(chip, &t->net, &id, &e->tiles[k]);
        if (st != CX_OK) {
            /* name the tile: the netlist error names the resource */
            st = cx_fail_context(st, "program tile %d at (%d, %d)", k, t->x, t->y);
            break;
        }
        e->soma_route[k] = malloc((t->n_somas + 1) * sizeof(int));
        e->range[k] = calloc(t->n_comps + 1, sizeof(double));
        e->rrange[k] = calloc(t->n_readouts + 1, sizeof(double));
        if (!e->soma_route[k] || !e->range[k] || !e->rrange[k]) {
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t s = 0; s < t->n_somas; s++)
            e->soma_route[k][s] = -1;
    }
    if (st == CX_OK && o->router) {
        e->arrived = malloc((size_t)p->n_tiles * ARRIVED_BATCH * sizeof *e->arrived + 1);
        e->arrived_n = calloc((size_t)p->n_tiles + 1, sizeof *e->arrived_n);
        if (!e->arrived || !e->arrived_n) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (st == CX_OK && o->router) {
        cx_noc_config cfg;
        st = cx_chip_noc_config(chip, &cfg);
        if (st == CX_OK) st = cx_noc_alloc(&cfg, &e->noc);
        if (st == CX_OK) cx_noc_set_sink(e->noc, sink, e);
    }
    if (st == CX_OK) st = setup_routes(e);
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

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 1;
    size_t n = *cap ? 2 * *cap : 256;
    while (n < need)
        n *= 2;
    void *q = realloc(*arr, n * size);
    if (!q) return 0;
    *arr = q;
    *cap = n;
    return 1;
}

/* Sends a spike of route r through the router, or queues it for its
 * destination tiles. */
static cx_status send(cx_exec *e, const cx_prog_route *r, double gen_ms, double value)
{
    double due = gen_ms + r->due_offset_ms;
    if (!e->noc) {
        route_slot *sl = &e->slot[e->rank[r - e->p->routes]];
        sent_spike sp = {value, due, gen_ms};
        e->sent_any = 1;
        if (sl->round != e->round) {
            *sl = (route_slot){sp, e->round, -1, -1};
            return CX_OK;
        }
        if (!grow((void **)&e->extra, &e->cap_extra, e->n_extra + 1, sizeof *e->extra))
            return cx_fail(CX_ERR_NOMEM, "out of memory");
        int32_t x = (int32_t)e->n_extra++;
        e->extra[x] = (extra_spike){sp, -1};
        if (sl->last >= 0)
            e->extra[sl->last].next = x;
        else
            sl->more = x;
        sl->last = x;
        return CX_OK;
    }
    int src = r->src_tile < 0 ? e->host_endpoint : e->node_of_tile[r->src_tile];
    uint64_t t = cycle_at(e, e->base_ms + gen_ms);
    return cx_noc_inject(e->noc, t, src, -1, r->key, cycle_at(e, e->base_ms + due), tag_of(value));
}

/* Delivers the spikes of the current round that reach program tile k. */
static void flush(cx_exec *e, int k)
{
    if (e->noc) {
        flush_arrived(e, k);
        return;
    }
    cx_tile *t = e->tiles[k];
    if (!e->sent_any) return;
    const incoming_route *in = e->in_list + e->in_row[k], *end = e->in_list + e->in_row[k + 1];
    for (; in < end; in++) {
        const route_slot *sl = &e->slot[in->rank];
        if (sl->round != e->round) continue;
        cx_tile_deliver_run(t, in->run, sl->first.value, sl->first.due_ms, sl->first.gen_ms);
        for (int32_t x = sl->more; x >= 0; x = e->extra[x].next) {
            const sent_spike *sp = &e->extra[x].spike;
            cx_tile_deliver_run(t, in->run, sp->value, sp->due_ms, sp->gen_ms);
        }
    }
}

/* Ends a round of sends: every tile has pulled its spikes. */
static void clear_sent(cx_exec *e)
{
    e->round++;
    e->sent_any = 0;
    e->n_extra = 0;
}

static cx_status send_inputs(cx_exec *e, const double *x_t, double gen_ms)
{
    for (int c = 0; c < e->p->n_inputs; c++) {
        int r = e->host_route[c];
        if (r < 0 || x_t[c] == 0) continue;
        double v;
        CX_TRY(host_value(e, c, x_t[c], &v));
        if (v == 0) continue;
        CX_TRY(send(e, &e->p->routes[r], gen_ms, v));
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
        const double *x = cx_tile_x(e->tiles[k]);
        double *r = e->range[k];
        for (size_t c = 0; c < e->p->tiles[k].n_comps; c++)
            r[c] = fmax(r[c], fabs(x[c]));
        const double *y = cx_tile_readout(e->tiles[k]);
        for (size_t c = 0; c < e->p->tiles[k].n_readouts; c++)
            e->rrange[k][c] = fmax(e->rrange[k][c], fabs(y[c]));
    }
}

static void outputs(const cx_exec *e, double *y)
{
    const cx_program *p = e->p;
    for (int o = 0; o < p->n_outputs; o++) {
        double s = p->out_bias[o];
        for (size_t q = p->out_row[o]; q < p->out_row[o + 1]; q++)
            s += p->out_scale[q] * cx_tile_readout(e->tiles[p->out_tile[q]])[p->out_chan[q]];
        y[o] = s;
    }
}

static void probes(const cx_exec *e, double *const *rec, int t)
{
    for (int q = 0; q < e->p->n_probes; q++) {
        if (!rec[q]) continue;
        const cx_prog_probe *pr = &e->p->probes[q];
        double *row = rec[q] + (size_t)t * pr->n;
        for (size_t i = 0; i < pr->n; i++)
            row[i] = pr->scale[i] * cx_tile_signal(e->tiles[pr->tile[i]], pr->sig[i]);
    }
}

/* Tiles send in mesh-node order, somas in index order: increasing AER keys,
 * so each tile receives a step's spikes in the order of its synapse table. */
static cx_status emit(cx_exec *e, double gen_ms)
{
    const int nodes = e->chip.mesh.width * e->chip.mesh.height;
    for (int node = 0; node < nodes; node++) {
        int k = e->tile_of_node[node];
        if (k < 0) continue;
        const uint32_t *somas;
        size_t n = cx_tile_spikes(e->tiles[k], &somas, NULL);
        const double *vals = cx_tile_spike_values(e->tiles[k]);
        for (size_t i = 0; i < n; i++) {
            int r = e->soma_route[k][somas[i]];
            if (r >= 0) CX_TRY(send(e, &e->p->routes[r], gen_ms, vals[i]));
        }
    }
    return CX_OK;
}

cx_status cx_exec_sample(cx_exec *e, const double *x, int T, double *y, double *const *rec)
{
    const cx_program *p = e->p;
    const double h = p->step_ms;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < p->n_tiles; k++) {
        cx_tile_reset(e->tiles[k]);
        if (e->arrived_n) e->arrived_n[k] = 0;
    }
    clear_sent(e);
    if (e->noc) {
        /* the new sample starts one lead step after the router went idle */
        double now_ms = (double)cx_noc_get_stats(e->noc)->now / e->cyc_per_ms;
        e->base_ms = ceil(now_ms / h) * h + h;
    }
    cx_status st = CX_OK;
    if (T > 0) st = send_inputs(e, x, -h);
    for (int t = 0; t < T && st == CX_OK; t++) {
        if (t + 1 < T) st = send_inputs(e, x + (size_t)(t + 1) * p->n_inputs, t * h);
        if (st != CX_OK) break;
        if (e->noc) cx_noc_run(e->noc, cycle_at(e, e->base_ms + t * h) + 1);
        for (int k = 0; k < p->n_tiles; k++) {
            flush(e, k);
            cx_tile_step(e->tiles[k]);
        }
        clear_sent(e);
        outputs(e, y + (size_t)t * p->n_outputs);
        if (rec) probes(e, rec, t);
        if (e->o.track_range) track(e);
        st = emit(e, (t + 1) * h);
    }
    if (e->noc) cx_noc_run(e->noc, CX_NOC_NEVER); /* drain */
    for (int k = 0; k < p->n_tiles; k++)          /* as the router's drain: counted, then reset */
        flush(e, k);
    clear_sent(e);
    for (int k = 0; k < p->n_tiles; k++)
        add_stats(&e->stats.tiles, cx_tile_get_stats(e->tiles[k]));
    e->stats.samples++;
    e->stats.steps += (uint64_t)T;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    e->stats.wall_s += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return st;
}

const cx_exec_stats *cx_exec_get_stats(const cx_exec *e)
{
    cx_exec_stats *s = (cx_exec_stats *)&e->stats; /* refreshed from the router on read */
    if (e->noc) {
        const cx_noc_stats *n = cx_noc_get_stats(e->noc);
        s->packets_injected = n->packets_injected;
        s->packets_delivered = n->packets_delivered;
        s->packets_dropped = n->packets_dropped;
        s->packets_late = n->packets_late;
        s->noc_cycles = n->now;
        s->noc_energy_pj = n->energy_pj;
        s->latency_mean_cycles = n->window_delivered ? n->latency_sum / n->window_delivered : 0;
        s->latency_p99_cycles = cx_noc_latency_quantile(e->noc, 0.99);
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
    return e->noc;
}

const cx_tile *cx_exec_tile(const cx_exec *e, int k)
{
    return e->tiles[k];
}
