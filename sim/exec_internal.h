/* The executor's state and its layers, not a public header. From the top:
 * exec.c (allocation, the sample loop, statistics) uses the chip layer
 * exec_chip.c (tiles, routers, host port) and the board layer exec_board.c
 * (chip links, synchronization windows, gathers over ranks); both use the
 * spike queues of exec_spikes.c, which use neither. */
#ifndef CX_EXEC_INTERNAL_H
#define CX_EXEC_INTERNAL_H

#include "cx_exec.h"

/* A spike that reached a chip-link port and waits to cross the link. */
typedef struct {
    uint32_t key;
    int32_t link, from_chip;
    uint32_t seq;        /* order of arrival at ports of from_chip */
    uint64_t port_cycle; /* its tail reached the port */
    uint64_t origin;     /* generation cycle on the first chip */
    uint64_t deadline, tag;
} cx_relay;

/* Fast kernel on a board: a spike of a route that reaches tiles simulated by
 * other ranks. */
typedef struct {
    int32_t route, from_chip;
    uint32_t seq;
    double value, due_ms, gen_ms;
} cx_remote_spike;

typedef struct {
    struct cx_exec *e;
    int chip;
} cx_exec_chip_ctx;

/* Per chip and route: where the route's spikes enter this chip's router and
 * where they go on it (endpoints: tiles and link ports). */
typedef struct {
    int src; /* -1: the route does not touch this chip */
    int n_dests;
    int *dests;
} cx_chip_route;

struct cx_exec {
    const cx_program *p;
    cx_chip_config chip; /* chip 0, scalars only (pointers not owned) */
    const cx_chip_config *chips;
    const cx_board *board; /* NULL: one chip */
    int n_chips, nodes, rank, ranks, distributed;
    unsigned char *owned; /* [n_chips] */
    cx_exec_opts o;
    cx_tile **tiles;   /* NULL for tiles of chips this rank does not simulate */
    int *tile_of_node; /* chip * nodes + node -> program tile, -1 when unused */
    int *node_of_tile;
    int host_endpoint;
    cx_noc **noc; /* [n_chips]; NULL without the router or when not owned */
    cx_exec_chip_ctx *ctx;
    cx_chip_route *croute; /* [n_routes][n_chips] (boards with the router) */
    int *port_link;        /* [n_chips][hosts]: link at that port, -1 */
    double cyc_per_ms;     /* router cycles per model ms */
    double base_ms;        /* model time of the current sample's step 0 on the router timeline */
    int *host_route;
    int **soma_route;
    int quantize_payload, payload_bits;
    double **range, **rrange;
    cx_exec_stats stats;

    /* boards */
    uint64_t window;         /* synchronization window, router cycles */
    cx_noc_chip_link *links; /* [n_links][2]: direction a -> b, b -> a */
    cx_relay *relays;        /* produced at this rank's ports in the current window */
    size_t n_relays, cap_relays;
    struct cx_exec_fast *fast; /* delivery batches and route slots (exec.c) */
    cx_remote_spike *remote;
    size_t n_remote, cap_remote;
    uint32_t *seq;   /* [n_chips] */
    double *partial; /* [T][n_chips][n_outputs] readout sums of the sample */
    size_t partial_cap;
    double *chip_stats;          /* [n_chips][CX_CHIP_STATS] */
    cx_chip_defect_map *defects; /* [n_chips]; empty maps for chips without defects */
};

enum {
    CX_CS_STEPS,
    CX_CS_COMP_STEPS,
    CX_CS_CLIPPED,
    CX_CS_SPIKES_IN,
    CX_CS_LATE,
    CX_CS_SPIKES_OUT,
    CX_CS_SYN,
    CX_CS_MACS,
    CX_CS_ADC,
    CX_CS_ENERGY,
    CX_CS_INJ,
    CX_CS_DELIV,
    CX_CS_DROP,
    CX_CS_LATE_PKT,
    CX_CS_NOW,
    CX_CS_NOC_ENERGY,
    CX_CS_LAT_SUM,
    CX_CS_LAT_N,
    CX_CS_LAT_MAX,
    CX_CS_LAT_P99,
    CX_CS_DEAD_LINK,
    CX_CS_DETOURED,
    CX_CHIP_STATS
};

static inline int chip_of_tile(const cx_exec *e, int k)
{
    return e->p->tiles[k].chip;
}

/* ---- exec_spikes.c: the spike queues (the lowest layer) ---- */
cx_status cx_exec_spikes_setup(cx_exec *e);
void cx_exec_spikes_free(struct cx_exec_fast *f);
/* Fast kernel: keeps a spike of a route for this rank's tiles to pull
 * before their next step (nothing when it reaches none of them). */
cx_status cx_exec_keep_sent(cx_exec *e, int route, double value, double due_ms, double gen_ms);
/* Router: a spike delivered to program tile k, applied before its next step. */
void cx_exec_arrived(cx_exec *e, int k, uint32_t key, double value, double due_ms,
                     double arrival_ms);
/* Forgets undelivered arrivals (a new sample). */
void cx_exec_drop_arrived(cx_exec *e);
/* Delivers what reached program tile k this round (arrivals or route slots). */
void cx_exec_pull(cx_exec *e, int k);
/* Ends a round of sends: every tile has pulled its spikes. */
void cx_exec_end_round(cx_exec *e);
/* A packet that reached chip c's link port h: queued for the board layer. */
void cx_exec_relay_out(cx_exec *e, int c, int h, uint32_t key, uint64_t origin, uint64_t arrival,
                       uint64_t tag);
/* Fast kernel: a spike of a route emitted on from_chip (-1: the host), kept
 * for this rank's tiles and queued for those of other ranks (exchanged by
 * cx_exec_remote_flush after the step). */
cx_status cx_exec_send_fast(cx_exec *e, int from_chip, int route, double value, double due_ms,
                            double gen_ms);

/* ---- exec_chip.c: tiles, routers and host port of the chips ---- */
cx_status cx_exec_check_layout(const cx_exec *e);
cx_status cx_exec_alloc_tiles(cx_exec *e);
/* The defect map of every chip (before tiles and routers). */
cx_status cx_exec_find_defects(cx_exec *e);
cx_status cx_exec_alloc_routers(cx_exec *e);
cx_status cx_exec_setup_routes(cx_exec *e);
/* Router cycle of a model time on the router timeline. */
uint64_t cx_exec_cycle_at(const cx_exec *e, double model_ms);
/* Sends the host input of one step (x_t [n_inputs]) emitted at gen_ms. */
cx_status cx_exec_send_inputs(cx_exec *e, const double *x_t, double gen_ms);
/* Every simulated tile takes the spikes that reached it, then steps. */
void cx_exec_step_tiles(cx_exec *e);
/* One chip: y = bias + readouts; boards: per-chip partial sums. */
void cx_exec_outputs(const cx_exec *e, double *y, double *partial);
void cx_exec_probes(const cx_exec *e, double *const *rec, int t);
void cx_exec_track(cx_exec *e);
/* Sends the soma spikes of the step that ended at gen_ms. */
cx_status cx_exec_emit(cx_exec *e, double gen_ms);
void cx_exec_add_tile_stats(cx_tile_stats *a, const cx_tile_stats *b);

/* ---- exec_board.c: chip links, windows and ranks ---- */
cx_status cx_exec_board_setup(cx_exec *e);
/* Runs every owned router to end_cycle, chip links included. */
cx_status cx_exec_advance(cx_exec *e, uint64_t end_cycle);
/* Exchanges the queued remote spikes over ranks and keeps each for the
 * tiles of this rank. */
cx_status cx_exec_remote_flush(cx_exec *e);
/* Gathers, over ranks, the per-chip rows [n_chips][m] each rank filled for
 * its own chips; every rank ends with all rows. */
cx_status cx_exec_gather_chips(cx_exec *e, double *rows, size_t m);
/* Global maximum (over ranks) of a cycle count. */
uint64_t cx_exec_max_cycle(const cx_exec *e, uint64_t v);

#endif
