/* Private state of the mesh kernel, shared by the files of router/. */
#ifndef CX_NOC_INTERNAL_H
#define CX_NOC_INTERNAL_H

#include "cx_noc.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    uint8_t type;
    uint32_t a;   /* port index q, or endpoint */
    uint32_t pid; /* packet, for arrivals and deliveries */
} cx_noc_event;

typedef struct {
    cx_noc_event *ev;
    int n, cap;
} cx_noc_bucket;

typedef struct {
    uint64_t t, seq;
    int e;
} cx_noc_gen;

typedef struct { /* a packet queue at an interface (power-of-two ring) */
    uint32_t *ids;
    uint32_t head, cap;
    int n;
} cx_noc_fifo;

typedef struct { /* a multicast route: a source and its destinations */
    uint32_t key;
    int src, off, n;
    /* tree mode: the output masks of its routers, either over its bounding
     * box (box_w > 0: tree_mask[tree_off + (y - box_y) * box_w + x - box_x],
     * one lookup) or, when the box is much larger than the tree, as a list of
     * tree_n routers ascending in tree_node[tree_off..] (a binary search) */
    uint32_t tree_off, tree_n;
    int box_x, box_y, box_w, box_h;
} cx_noc_route;

struct cx_noc {
    cx_noc_config cfg;
    int nodes, endpoints, depth, ser, head, pipeline, credit_delay, voq;
    uint64_t now, epoch;

    /* events */
    cx_noc_bucket *wheel;
    uint32_t wheel_mask;
    uint64_t wheel_count;
    cx_noc_gen *heap;
    size_t heap_n, heap_cap;
    uint64_t heap_seq;

    /* packets (structure of arrays, by packet id) */
    uint64_t *pkt_gen, *pkt_origin, *pkt_deadline, *pkt_tag; /* origin: handed to the sink */
    uint32_t *pkt_key;
    int32_t *pkt_src, *pkt_dst; /* dst < 0: multicast by key */
    uint32_t *pkt_route;        /* multicast: index of its route (found once, at the source) */
    uint32_t *free_ids;
    uint32_t pkt_cap, free_n;

    /* input buffers: slot = q * depth + k, k = 0 the oldest packet */
    uint32_t *in_pid;
    uint8_t *in_mask; /* outputs the slot's packet still has to take */
    uint64_t *in_ready;
    int *in_count;
    int *in_cur;                  /* offset of the packet in the read port's current transfer */
    uint64_t *in_busy, *in_start; /* read port busy until; start of its current transfer */

    /* outputs */
    uint64_t *out_busy;
    int *out_credits;
    uint8_t *out_rr; /* round-robin: input with the highest priority next */
    uint64_t *out_mark;
    uint32_t *dirty;
    int ndirty;

    /* network interfaces, by endpoint */
    uint64_t *ni_busy;
    int *ni_credits;
    uint32_t *ni_rep_pid, *ni_rep_route; /* source replication in progress */
    int *ni_rep_idx;
    cx_noc_fifo *fifo;
    int *host_node; /* router of host h */
    int *node_host; /* host endpoint attached to a router, or -1 */

    /* synthetic traffic, by tile */
    cx_noc_traffic traffic;
    double log1m_rate;
    uint64_t *gen_rng, *gen_t;
    int *gen_dst;
    uint32_t gen_key0;

    /* multicast routes: key -> route (hash); each route's tree as its routers
     * in ascending order with their output masks (a binary search per hop) */
    cx_noc_route *routes;
    int *route_dests;
    uint32_t nroutes, routes_cap, ndests, dests_cap;
    uint32_t *route_slots; /* open addressing over routes, NONE when empty */
    uint32_t route_slots_mask;
    uint32_t *tree_node;
    uint8_t *tree_mask;
    uint64_t ntree, tree_cap;
    uint8_t *dead_link;    /* [nodes] port mask (1 << P_N..P_W) of dead links, NULL: none */
    int route_around;      /* trees avoid dead links */
    uint8_t *scratch_mask; /* [nodes] zero between uses */
    uint32_t *scratch_nodes;

    cx_noc_sink_fn sink;
    void *sink_ctx;
    cx_noc_stats stats;
};

uint32_t route_find(const cx_noc *n, uint32_t key);
/* Output mask of route r at router node (0 when the tree does not pass it). */
unsigned route_tree_mask(const cx_noc *n, uint32_t r, int node);
void cx_noc_rng_seed(uint64_t *s, uint64_t seed, uint64_t stream);

#define NONE32 0xffffffffu /* no packet, no route */

/* Helpers of the cycle engine that the other files share; static inline so
 * that the engine, which calls them per packet, can still inline them. */

static inline void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort(); /* growth of the hot state; an out-of-memory here is not recoverable */
    return q;
}

static inline int heap_less(const cx_noc_gen *x, const cx_noc_gen *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static inline void heap_push(cx_noc *n, uint64_t t, int e)
{
    if (n->heap_n == n->heap_cap) {
        n->heap_cap = n->heap_cap ? 2 * n->heap_cap : 64;
        n->heap = xrealloc(n->heap, n->heap_cap * sizeof *n->heap);
    }
    cx_noc_gen g = {.t = t, .seq = n->heap_seq++, .e = e};
    size_t i = n->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&g, &n->heap[p])) break;
        n->heap[i] = n->heap[p];
        i = p;
    }
    n->heap[i] = g;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static inline uint32_t rng_below(uint64_t *s, uint32_t m)
{
    return (uint32_t)(((rng_next(s) >> 32) * (uint64_t)m) >> 32);
}

/* Draws the cycle and destination of the next packet: Bernoulli trials from
 * cycle `from` on, so the first success comes gap - 1 cycles after it. */
static inline void gen_draw(const cx_noc *n, uint64_t *s, int e, uint64_t from, uint64_t *t,
                            int *dst)
{
    const cx_noc_traffic *tr = &n->traffic;
    uint64_t gap = 1;
    if (tr->rate < 1) {
        double u = (double)((rng_next(s) >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
        double g = floor(log(u) / n->log1m_rate);
        gap = g < 0x1.0p62 ? 1 + (uint64_t)g : (1ULL << 62);
    }
    *t = from + gap - 1 >= tr->end_cycle ? CX_NOC_NEVER : from + gap - 1;
    int nodes = n->nodes, w = n->cfg.width;
    if (tr->pattern == CX_NOC_TRAFFIC_TRANSPOSE) {
        *dst = (e % w) * w + e / w;
        return;
    }
    if (tr->pattern == CX_NOC_TRAFFIC_MULTICAST) {
        *dst = -1;
        return;
    }
    if (tr->pattern == CX_NOC_TRAFFIC_HOTSPOT) {
        int hot = tr->hotspot_y * w + tr->hotspot_x;
        double u = (double)(rng_next(s) >> 11) * 0x1.0p-53;
        if (u < tr->hotspot_fraction && hot != e) {
            *dst = hot;
            return;
        }
    }
    int d = (int)rng_below(s, (uint32_t)(nodes - 1)); /* uniform over the other tiles */
    *dst = d >= e ? d + 1 : d;
}

static inline void gen_next(cx_noc *n, int e, uint64_t from)
{
    gen_draw(n, n->gen_rng + 4 * (size_t)e, e, from, &n->gen_t[e], &n->gen_dst[e]);
}

#endif
