/* The executor's spike queues, below the chip and board layers: route slots
 * of the fast kernel, the router's arrival batches, and the records a chip
 * hands to the board layer (relays at chip-link ports, spikes for tiles of
 * other ranks). Nothing here calls the layers above. */
#define _POSIX_C_SOURCE 200809L
#include "exec_internal.h"

#include "cx_grow.h"

#include <stdlib.h>
#include <string.h>

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

/* Applies the spikes the router delivered to program tile k, in order. */
static void flush_arrived(cx_exec *e, int k)
{
    struct cx_exec_fast *f = e->fast;
    const arrived_spike *a = f->arrived + (size_t)k * ARRIVED_BATCH;
    for (size_t i = 0; i < f->arrived_n[k]; i++)
        cx_tile_deliver_value(e->tiles[k], a[i].key, a[i].value, a[i].due_ms, a[i].arrival_ms);
    f->arrived_n[k] = 0;
}

void cx_exec_arrived(cx_exec *e, int k, uint32_t key, double value, double due_ms,
                     double arrival_ms)
{
    struct cx_exec_fast *f = e->fast;
    f->arrived[(size_t)k * ARRIVED_BATCH + f->arrived_n[k]++] =
        (arrived_spike){key, value, due_ms, arrival_ms};
    if (f->arrived_n[k] == ARRIVED_BATCH) flush_arrived(e, k);
}

void cx_exec_drop_arrived(cx_exec *e)
{
    for (int k = 0; e->fast->arrived_n && k < e->p->n_tiles; k++)
        e->fast->arrived_n[k] = 0;
}

void cx_exec_spikes_free(struct cx_exec_fast *f)
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

cx_status cx_exec_spikes_setup(cx_exec *e)
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
void cx_exec_pull(cx_exec *e, int k)
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
void cx_exec_end_round(cx_exec *e)
{
    e->fast->round++;
    e->fast->sent_any = 0;
    e->fast->n_extra = 0;
}

void cx_exec_relay_out(cx_exec *e, int c, int h, uint32_t key, uint64_t origin, uint64_t arrival,
                       uint64_t tag)
{
    int l = e->port_link[c * (int)e->chip.router.n_hosts + h];
    if (l < 0) return; /* no link at that port: routes never send there */
    if (!CX_GROW(e->relays, e->cap_relays, e->n_relays + 1))
        abort(); /* a sink cannot report; out of memory here is fatal */
    e->relays[e->n_relays++] = (cx_relay){.key = key,
                                          .link = l,
                                          .from_chip = c,
                                          .seq = e->seq[c]++,
                                          .port_cycle = arrival,
                                          .origin = origin,
                                          .tag = tag};
}

static cx_status remote_push(cx_exec *e, int from_chip, int route, double value, double due_ms,
                             double gen_ms)
{
    if (!CX_GROW(e->remote, e->cap_remote, e->n_remote + 1))
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    e->remote[e->n_remote++] =
        (cx_remote_spike){route, from_chip, e->seq[from_chip]++, value, due_ms, gen_ms};
    return CX_OK;
}

cx_status cx_exec_send_fast(cx_exec *e, int from_chip, int route, double value, double due_ms,
                            double gen_ms)
{
    CX_TRY(cx_exec_keep_sent(e, route, value, due_ms, gen_ms));
    if (e->fast->export[route]) CX_TRY(remote_push(e, from_chip, route, value, due_ms, gen_ms));
    return CX_OK;
}
