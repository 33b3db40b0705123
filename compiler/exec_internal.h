/* The executor's state, shared by exec.c (tiles, host, routes) and
 * exec_board.c (chip links, synchronization windows, gathers over ranks).
 * Not a public header. */
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
    double *chip_stats; /* [n_chips][CX_CHIP_STATS] */
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
    CX_CHIP_STATS
};

/* exec_board.c */
cx_status cx_exec_board_setup(cx_exec *e);
/* Runs every owned router to end_cycle, chip links included. */
cx_status cx_exec_advance(cx_exec *e, uint64_t end_cycle);
/* A packet that reached chip c's link port h. */
void cx_exec_relay_out(cx_exec *e, int c, int h, uint32_t key, uint64_t origin, uint64_t arrival,
                       uint64_t tag);
/* Fast kernel: queues a spike for the tiles of other ranks; the flush after
 * a step exchanges the queues over ranks and keeps each spike for the tiles
 * of this rank (cx_exec_keep_sent). */
cx_status cx_exec_remote_push(cx_exec *e, int from_chip, int route, double value, double due_ms,
                              double gen_ms);
cx_status cx_exec_remote_flush(cx_exec *e);
/* exec.c, fast kernel: keeps a spike of a route for this rank's tiles to pull
 * before their next step (nothing when it reaches none of them). */
cx_status cx_exec_keep_sent(cx_exec *e, int route, double value, double due_ms, double gen_ms);
/* Gathers, over ranks, the per-chip rows [n_chips][m] each rank filled for
 * its own chips; every rank ends with all rows. */
cx_status cx_exec_gather_chips(cx_exec *e, double *rows, size_t m);
/* Global maximum (over ranks) of a cycle count. */
uint64_t cx_exec_max_cycle(const cx_exec *e, uint64_t v);

#endif
