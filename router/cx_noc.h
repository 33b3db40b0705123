/* cx_noc: event-driven model of the digital spike router (DESIGN.md §6).
 *
 * A W x H mesh of routers, one per tile, plus host I/O ports attached to
 * configured routers. Every router has six ports: local (the tile's network
 * interface), N, E, S, W and host. x grows to the east, y to the south;
 * the router at (x, y) is node y*W + x and endpoint ids run over the W*H tile
 * interfaces first, then the host ports (endpoint W*H + h).
 *
 * Modeled discipline (packet level):
 * - A packet is `packet_bits` wide and crosses a link in
 *   S = ceil(packet_bits / link_width_bits) cycles (serialization).
 * - Switching: store-and-forward (a packet is routable once its tail has
 *   arrived: head delay h = S) or virtual cut-through (routable once its
 *   head flit has arrived: h = 1; a whole-packet buffer is reserved).
 * - After its head delay a packet spends `pipeline_cycles` in the router
 *   (route, arbitration, crossbar) before it can compete for an output.
 * - Each input port buffers `buffer_depth_packets` whole packets, either as
 *   one FIFO (only the head packet competes: head-of-line blocking) or as
 *   virtual output queues (a shared buffer in which the oldest packet for
 *   each output competes for it). An input's read port moves one packet at a
 *   time (a multicast packet may leave on several outputs in one cycle).
 * - Each output arbitrates round-robin among the inputs whose ready head
 *   packet wants it; a granted packet holds the output link and its input's
 *   read port for S cycles.
 * - Routing is dimension order (XY). Multicast either replicates in the
 *   routers along the union of the XY paths (tree; per-router tables map a
 *   source id to a set of output ports; a multicast head leaves each of its
 *   outputs when that output grants it, and frees its slot after the last),
 *   or at the source (one unicast per destination, sent back to back).
 * - Flow control: credit (an output sends only when the downstream buffer
 *   has a free slot; the credit returns `credit_delay_cycles` after the slot
 *   frees: lossless) or drop (an output sends regardless; a packet whose head
 *   finds the downstream buffer full is dropped and counted). The network
 *   interface -> router link is always credit controlled: a source queues
 *   (unbounded) rather than drops.
 * - A packet generated at cycle t0 crosses the injection link, then every
 *   router on its path, and is delivered when its tail reaches the
 *   destination interface. With no contention its latency is exactly
 *       hops * (P + h) + (h + P + S)
 *   cycles: (P + h) per router-to-router hop, plus the injection link
 *   (h), the destination router (P) and the ejection link (S).
 *
 * The core is a discrete-event kernel: a router does work only when a packet,
 * a credit or a freed link concerns it, and an idle network costs nothing.
 * Events at one cycle run in a fixed order (frees, then arrivals, then the
 * arbitration of every output they touched), so contention is exact and runs
 * are bitwise reproducible. The SystemC shell (cx_noc_sc.h) only decides
 * when to call cx_noc_step(). */
#ifndef CX_NOC_H
#define CX_NOC_H

#include "cx_status.h"

#include <cJSON.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CX_NOC_PORTS = 6, CX_NOC_MAX_HOSTS = 4 };
typedef enum {
    CX_NOC_PORT_LOCAL = 0,
    CX_NOC_PORT_N,
    CX_NOC_PORT_E,
    CX_NOC_PORT_S,
    CX_NOC_PORT_W,
    CX_NOC_PORT_HOST
} cx_noc_port;

typedef enum { CX_NOC_FLOW_CREDIT = 0, CX_NOC_FLOW_DROP } cx_noc_flow;
typedef enum { CX_NOC_MCAST_TREE = 0, CX_NOC_MCAST_SOURCE } cx_noc_mcast;
typedef enum { CX_NOC_STORE_FORWARD = 0, CX_NOC_CUT_THROUGH } cx_noc_switching;
typedef enum { CX_NOC_BUF_FIFO = 0, CX_NOC_BUF_VOQ } cx_noc_buffering;

typedef struct {
    int width, height;          /* mesh size in routers (tiles); default 8 x 8 */
    double clock_mhz;           /* router clock; default 500 */
    int pipeline_cycles;        /* router traversal P; default 2 */
    int link_width_bits;        /* default 32 */
    int packet_bits;            /* header + payload; default 32 (cx_aer_format_default) */
    int buffer_depth_packets;   /* per input port; default 4 */
    int credit_delay_cycles;    /* slot freed -> credit usable upstream; default 1 */
    cx_noc_flow flow;           /* default credit */
    cx_noc_mcast multicast;     /* default tree */
    cx_noc_switching switching; /* default store-and-forward */
    cx_noc_buffering buffering; /* default FIFO */
    int n_hosts;                /* host I/O ports; default 1 at router (0, 0) */
    int host_x[CX_NOC_MAX_HOSTS], host_y[CX_NOC_MAX_HOSTS];
    double energy_per_hop_pj;        /* per packet per router-to-router hop; default 1.0 */
    double energy_per_injection_pj;  /* per packet entering the network; default 0.5 */
    double chip_link_latency_ns;     /* inter-chip link flight time; default 20 */
    double chip_link_bandwidth_gbps; /* inter-chip link bandwidth; default 10 */
} cx_noc_config;

cx_noc_config cx_noc_config_default(void);
/* Checks ranges and consistency; the message names the field. */
cx_status cx_noc_config_check(const cx_noc_config *cfg);
/* Serialization cycles S = ceil(packet_bits / link_width_bits). */
int cx_noc_serialization_cycles(const cx_noc_config *cfg);
/* Head delay h: S for store-and-forward, 1 for cut-through. */
int cx_noc_head_cycles(const cx_noc_config *cfg);
/* Contention-free latency of a packet between two endpoints (cycles). */
uint64_t cx_noc_zero_load_latency(const cx_noc_config *cfg, int src, int dst);
/* XY hop count between the routers of two endpoints. */
int cx_noc_hops(const cx_noc_config *cfg, int src, int dst);
/* Accepted-throughput bound (packets/cycle/node) of uniform random traffic
 * (destinations other than the source) under XY routing: the load of the
 * busiest bisection link reaches one packet every S cycles. */
double cx_noc_uniform_bound(const cx_noc_config *cfg);

/* Names of the enums, for reports and option parsing. */
const char *cx_noc_flow_name(cx_noc_flow f);
const char *cx_noc_mcast_name(cx_noc_mcast m);
const char *cx_noc_switching_name(cx_noc_switching s);
const char *cx_noc_buffering_name(cx_noc_buffering b);

/* ---- synthetic and trace traffic ---- */

typedef enum {
    CX_NOC_TRAFFIC_NONE = 0,
    CX_NOC_TRAFFIC_UNIFORM,   /* destination uniform over the other tiles */
    CX_NOC_TRAFFIC_TRANSPOSE, /* (x, y) -> (y, x); square mesh; diagonal tiles stay silent */
    CX_NOC_TRAFFIC_HOTSPOT,   /* fraction f to the hotspot tile, the rest uniform */
    CX_NOC_TRAFFIC_MULTICAST  /* every tile multicasts to a fixed random set of `fanout` tiles */
} cx_noc_pattern;

typedef struct {
    cx_noc_pattern pattern;
    double rate;        /* packets per cycle per tile, Bernoulli, 0 < rate <= 1 */
    uint64_t seed;      /* streams are per tile: seeded from (seed, tile) */
    uint64_t end_cycle; /* no packet is generated at or after this cycle */
    int hotspot_x, hotspot_y;
    double hotspot_fraction;
    int fanout; /* destinations per multicast source */
} cx_noc_traffic;

/* ---- inter-chip links ---- */

typedef struct {
    double latency_ns;     /* flight time */
    double bandwidth_gbps; /* bits per ns */
    double busy_until_ns;  /* the link serializes one packet at a time */
    uint64_t packets;
    double busy_ns;
} cx_noc_chip_link;

void cx_noc_chip_link_init(cx_noc_chip_link *link, double latency_ns, double bandwidth_gbps);
/* Sends a packet of `bits` that is ready at t_ns; returns its arrival time:
 * max(t_ns, busy_until) + bits / bandwidth + latency. */
double cx_noc_chip_link_send(cx_noc_chip_link *link, double t_ns, int bits);

/* ---- the network ---- */

typedef struct cx_noc cx_noc;

/* Called when a packet's tail reaches a destination endpoint; tag is the one
 * it was injected with (every multicast copy carries its original's). */
typedef void (*cx_noc_sink_fn)(void *ctx, int endpoint, uint32_t key, int src, uint64_t gen_cycle,
                               uint64_t arrival_cycle, uint64_t tag);

enum { CX_NOC_UNICAST_KEY = 0xffffffffu };
#define CX_NOC_NO_DEADLINE UINT64_MAX
#define CX_NOC_NEVER UINT64_MAX

typedef struct {
    uint64_t now;          /* cycle of the last processed event */
    uint64_t window_start; /* first cycle of the measurement window */
    /* Totals over the whole run. Invariant at every cycle:
     * injected + replicated = delivered + dropped + in_flight. */
    uint64_t packets_generated;  /* created at the sources (synthetic, trace or cx_noc_inject) */
    uint64_t packets_injected;   /* entered a router from an interface (a source-replicated
                                    multicast counts once per destination) */
    uint64_t packets_replicated; /* extra copies made in routers (tree multicast) */
    uint64_t packets_delivered;  /* copies that reached a destination endpoint */
    uint64_t packets_dropped;
    uint64_t packets_in_flight; /* copies inside routers or on links */
    uint64_t packets_late;      /* delivered after their deadline */
    uint64_t packets_dead_link; /* copies lost in a dead link (counted in dropped too) */
    uint64_t routes_detoured;   /* routes whose tree left XY to avoid dead links */
    uint64_t link_traversals;   /* router-to-router hops of all copies */
    double energy_pj;
    /* Over the measurement window (deliveries at or after window_start). */
    uint64_t window_delivered;
    uint64_t window_late;
    double latency_sum;
    uint64_t latency_max;
    uint64_t *latency_hist; /* latency_hist[c]: deliveries of latency c cycles */
    uint64_t latency_hist_len;
    /* Per port, indexed [node * CX_NOC_PORTS + port], over the window:
     * out_packets: packets sent on the output link of that port (local and
     * host ports: ejection). */
    uint64_t *out_packets;
    /* Whole run: input buffer high-water marks and drops at each input. */
    int *in_high_water;
    uint64_t *in_drops;
} cx_noc_stats;

cx_status cx_noc_alloc(const cx_noc_config *cfg, cx_noc **out);
void cx_noc_free(cx_noc *noc);
const cx_noc_config *cx_noc_get_config(const cx_noc *noc);
int cx_noc_endpoints(const cx_noc *noc);

/* Installs a multicast route: packets with this key from `src` reach every
 * endpoint in dests (distinct; the source itself allowed). Tree mode merges
 * the XY paths into the routers' tables; source mode keeps the list for the
 * source interface. Keys are AER source ids (cx_aer_source_id). */
cx_status cx_noc_set_route(cx_noc *noc, uint32_t key, int src, const int *dests, int ndests);
/* Output-port mask that router `node` holds for key (0 when none). */
unsigned cx_noc_route_mask(const cx_noc *noc, int node, uint32_t key);

/* Queues a packet at endpoint src, generated at cycle t (>= the current
 * cycle, and not before the previous packet queued at src). dst >= 0 sends a
 * unicast (key is carried for the sink); dst < 0 multicasts along the route
 * installed for key. A packet delivered after deadline_cycle counts as late
 * (CX_NOC_NO_DEADLINE: never). tag is opaque to the router and handed to the
 * sink with every copy (e.g. a graded spike's value); synthetic and trace
 * packets carry 0. */
cx_status cx_noc_inject(cx_noc *noc, uint64_t t, int src, int dst, uint32_t key,
                        uint64_t deadline_cycle, uint64_t tag);
/* A packet relayed from another chip: queued at t like cx_noc_inject, but
 * the sink receives `origin` (its generation cycle on the first chip) as its
 * gen_cycle; latency statistics count from t (this chip's share). */
cx_status cx_noc_inject_relayed(cx_noc *noc, uint64_t t, uint64_t origin, int src, int dst,
                                uint32_t key, uint64_t deadline_cycle, uint64_t tag);

/* Queues the packets of a trace file: one packet per line,
 *     cycle,src,dst
 * where src and dst are endpoints: a tile index y*W + x, or hK for host port
 * K. Several destinations separated by ';' make a multicast (each line gets
 * its own route). Blank lines and lines starting with '#' are skipped; lines
 * at or after end_cycle are ignored; the cycles of one source must not
 * decrease. *count receives the number of packets queued. */
cx_status cx_noc_load_trace(cx_noc *noc, const char *path, uint64_t end_cycle, uint64_t *count);

/* Starts synthetic traffic at every tile (cycle >= the current cycle). */
cx_status cx_noc_set_traffic(cx_noc *noc, const cx_noc_traffic *traffic);
void cx_noc_set_sink(cx_noc *noc, cx_noc_sink_fn fn, void *ctx);
/* Dead mesh links: dead[node] bit d (0 N, 1 E, 2 S, 3 W) marks the link
 * leaving that router in direction d (give both ends). No packet crosses a
 * dead link: a copy sent into one is lost (packets_dead_link). With
 * route_around, the trees of routes installed afterwards avoid dead links
 * (shortest paths on the live mesh, XY wherever XY is intact); without it
 * they stay XY, as a toolchain that does not know the defects would route.
 * Call before cx_noc_set_route; dead may be freed after the call. */
cx_status cx_noc_set_dead_links(cx_noc *noc, const unsigned char *dead, int route_around);
/* Statistics of the window count from this cycle on (default 0). */
void cx_noc_set_window(cx_noc *noc, uint64_t start_cycle);

/* Cycle of the next pending event, CX_NOC_NEVER when there is none. */
uint64_t cx_noc_next_time(const cx_noc *noc);
/* Processes every event of the next event cycle. */
void cx_noc_step(cx_noc *noc);
/* Processes every event before end_cycle. */
void cx_noc_run(cx_noc *noc, uint64_t end_cycle);
/* Packets generated at the synthetic sources before end_cycle that have not
 * entered the network (source queues); advances no simulation state. */
uint64_t cx_noc_source_backlog(const cx_noc *noc, uint64_t end_cycle);

const cx_noc_stats *cx_noc_get_stats(const cx_noc *noc);
/* Latency quantile q in [0, 1] over the window (smallest c with CDF >= q). */
uint64_t cx_noc_latency_quantile(const cx_noc *noc, double q);

/* Report of a run that ended at end_cycle: counts, latency, throughput,
 * energy, and per_links != 0 adds the load of every router-to-router link. */
cJSON *cx_noc_report_json(const cx_noc *noc, uint64_t end_cycle, int per_links);
/* Heat map of link utilization over the mesh (SVG). */
cx_status cx_noc_write_svg(const cx_noc *noc, uint64_t end_cycle, const char *path);

#ifdef __cplusplus
}
#endif
#endif
