/* The event-driven mesh kernel. See cx_noc.h for the modeled discipline.
 *
 * State is kept as structures of arrays indexed by q = node * CX_NOC_PORTS +
 * port (input and output side of every port) and by packet id. Short delays
 * (at most max(h + P, S, credit delay) cycles) go to a timing wheel of one
 * bucket per cycle; packet generation times, which may lie far ahead, go to
 * a binary heap. A cycle is processed in three passes: frees (links, input
 * read ports, credits, interfaces), then arrivals (packets becoming ready,
 * drop-mode arrivals, deliveries, new packets at the sources), then one
 * round-robin arbitration of every output touched in the first two passes.
 * Grants only schedule events in later cycles, so the passes are complete. */
#include "cx_noc.h"
#include "noc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { P_L = CX_NOC_PORT_LOCAL, P_N, P_E, P_S, P_W, P_H, NP = CX_NOC_PORTS };
static const int opposite[NP] = {P_L, P_S, P_W, P_N, P_E, P_H};
static const int step_x[NP] = {0, 0, 1, 0, -1, 0};
static const int step_y[NP] = {0, -1, 0, 1, 0, 0};

/* Event kinds; the first group runs in the free pass, the second in the arrival pass. */
enum {
    EV_IN_FREE,   /* an input's read port finished a transfer */
    EV_OUT_FREE,  /* an output link finished a transfer */
    EV_CREDIT,    /* a credit reached an output */
    EV_NI_CREDIT, /* a credit reached a network interface */
    EV_NI_FREE,   /* an interface's injection link finished a transfer */
    EV_FREE_PASS_END,
    EV_READY = EV_FREE_PASS_END, /* an input's head packet finished its pipeline */
    EV_ARRIVE,                   /* drop mode: a packet's head reaches an input */
    EV_DELIVER                   /* a packet's tail reaches its destination interface */
};

#define NONE32 0xffffffffu

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort(); /* growth of the hot state; an out-of-memory here is not recoverable */
    return q;
}

/* ---- timing wheel and generation heap ---- */

static void wheel_push(cx_noc *n, uint64_t t, int type, uint32_t a, uint32_t pid)
{
    cx_noc_bucket *b = &n->wheel[t & n->wheel_mask];
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->ev = xrealloc(b->ev, (size_t)b->cap * sizeof *b->ev);
    }
    b->ev[b->n++] = (cx_noc_event){.type = (uint8_t)type, .a = a, .pid = pid};
    n->wheel_count++;
}

static int heap_less(const cx_noc_gen *x, const cx_noc_gen *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void heap_push(cx_noc *n, uint64_t t, int e)
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

static cx_noc_gen heap_pop(cx_noc *n)
{
    cx_noc_gen top = n->heap[0], last = n->heap[--n->heap_n];
    size_t i = 0, m = n->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m) break;
        if (c + 1 < m && heap_less(&n->heap[c + 1], &n->heap[c])) c++;
        if (!heap_less(&n->heap[c], &last)) break;
        n->heap[i] = n->heap[c];
        i = c;
    }
    if (m) n->heap[i] = last;
    return top;
}

/* ---- packets ---- */

static uint32_t pkt_alloc(cx_noc *n)
{
    if (n->free_n == 0) {
        uint32_t old = n->pkt_cap, cap = old ? 2 * old : 1024;
        n->pkt_gen = xrealloc(n->pkt_gen, cap * sizeof *n->pkt_gen);
        n->pkt_origin = xrealloc(n->pkt_origin, cap * sizeof *n->pkt_origin);
        n->pkt_deadline = xrealloc(n->pkt_deadline, cap * sizeof *n->pkt_deadline);
        n->pkt_tag = xrealloc(n->pkt_tag, cap * sizeof *n->pkt_tag);
        n->pkt_key = xrealloc(n->pkt_key, cap * sizeof *n->pkt_key);
        n->pkt_src = xrealloc(n->pkt_src, cap * sizeof *n->pkt_src);
        n->pkt_dst = xrealloc(n->pkt_dst, cap * sizeof *n->pkt_dst);
        n->pkt_route = xrealloc(n->pkt_route, cap * sizeof *n->pkt_route);
        n->free_ids = xrealloc(n->free_ids, cap * sizeof *n->free_ids);
        for (uint32_t i = cap; i > old; i--)
            n->free_ids[n->free_n++] = i - 1;
        n->pkt_cap = cap;
    }
    return n->free_ids[--n->free_n];
}

static void pkt_release(cx_noc *n, uint32_t pid)
{
    n->free_ids[n->free_n++] = pid;
}

static uint32_t pkt_clone(cx_noc *n, uint32_t pid)
{
    uint32_t c = pkt_alloc(n);
    n->pkt_gen[c] = n->pkt_gen[pid];
    n->pkt_origin[c] = n->pkt_origin[pid];
    n->pkt_deadline[c] = n->pkt_deadline[pid];
    n->pkt_tag[c] = n->pkt_tag[pid];
    n->pkt_key[c] = n->pkt_key[pid];
    n->pkt_src[c] = n->pkt_src[pid];
    n->pkt_dst[c] = n->pkt_dst[pid];
    n->pkt_route[c] = n->pkt_route[pid];
    return c;
}

/* ---- routing ---- */

/* Router node and input port through which an endpoint's interface injects. */
static int ep_node(const cx_noc *n, int e)
{
    return e < n->nodes ? e : n->host_node[e - n->nodes];
}
static int ep_port(const cx_noc *n, int e)
{
    return e < n->nodes ? P_L : P_H;
}

static unsigned xy_port(const cx_noc *n, int node, int dst)
{
    int target = ep_node(n, dst), w = n->cfg.width;
    int x = node % w, y = node / w, tx = target % w, ty = target / w;
    if (tx > x) return P_E;
    if (tx < x) return P_W;
    if (ty > y) return P_S;
    if (ty < y) return P_N;
    return (unsigned)ep_port(n, dst);
}

static unsigned route_mask(const cx_noc *n, int node, uint32_t pid)
{
    int dst = n->pkt_dst[pid];
    if (dst >= 0) return 1u << xy_port(n, node, dst);
    return route_tree_mask(n, n->pkt_route[pid], node);
}

/* ---- arbitration bookkeeping ---- */

static void mark(cx_noc *n, uint32_t q)
{
    if (n->out_mark[q] == n->epoch) return;
    n->out_mark[q] = n->epoch;
    n->dirty[n->ndirty++] = q;
}

static void mark_outputs(cx_noc *n, uint32_t qi, unsigned mask)
{
    uint32_t base = qi - qi % NP;
    for (unsigned o = 0; mask; o++, mask >>= 1)
        if (mask & 1) mark(n, base + o);
}

/* Marks the outputs wanted by the packets of input qi that can compete now:
 * the head only (FIFO), or every ready packet (virtual output queues). */
static void mark_ready(cx_noc *n, uint32_t qi)
{
    uint32_t base = qi * n->depth;
    int lim = n->voq ? n->in_count[qi] : (n->in_count[qi] > 0);
    for (int k = 0; k < lim && n->in_ready[base + k] <= n->now; k++)
        mark_outputs(n, qi, n->in_mask[base + k]);
}

/* FIFO: the packet now at the head competes once its pipeline is done. */
static void head_changed(cx_noc *n, uint32_t qi)
{
    uint32_t slot = qi * n->depth;
    if (n->in_ready[slot] <= n->now)
        mark_outputs(n, qi, n->in_mask[slot]);
    else
        wheel_push(n, n->in_ready[slot], EV_READY, qi, 0);
}

/* Input buffers keep their packets in arrival order at offsets 0..count-1. */
static void enqueue(cx_noc *n, uint32_t qi, uint32_t pid, uint64_t ready)
{
    int node = (int)(qi / NP);
    unsigned mask = route_mask(n, node, pid);
    int count = n->in_count[qi];
    uint32_t slot = qi * n->depth + (uint32_t)count;
    n->in_pid[slot] = pid;
    n->in_mask[slot] = (uint8_t)mask;
    n->in_ready[slot] = ready;
    n->in_count[qi] = ++count;
    if (count > n->stats.in_high_water[qi]) n->stats.in_high_water[qi] = count;
    if (n->voq) {
        if (ready <= n->now)
            mark_outputs(n, qi, mask);
        else
            wheel_push(n, ready, EV_READY, qi, 0);
    } else if (count == 1) {
        head_changed(n, qi);
    }
}

static void remove_slot(cx_noc *n, uint32_t qi, int k)
{
    uint32_t base = qi * n->depth;
    int count = --n->in_count[qi];
    for (int j = k; j < count; j++) {
        n->in_pid[base + j] = n->in_pid[base + j + 1];
        n->in_mask[base + j] = n->in_mask[base + j + 1];
        n->in_ready[base + j] = n->in_ready[base + j + 1];
    }
}

/* ---- network interfaces ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rng_next(uint64_t *s)
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

static uint32_t rng_below(uint64_t *s, uint32_t m)
{
    return (uint32_t)(((rng_next(s) >> 32) * (uint64_t)m) >> 32);
}

void cx_noc_rng_seed(uint64_t *s, uint64_t seed, uint64_t stream)
{
    uint64_t sm = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
    for (int i = 0; i < 4; i++)
        s[i] = splitmix64(&sm);
}

/* Draws the cycle and destination of the next packet: Bernoulli trials from
 * cycle `from` on, so the first success comes gap - 1 cycles after it. */
static void gen_draw(const cx_noc *n, uint64_t *s, int e, uint64_t from, uint64_t *t, int *dst)
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

static void gen_next(cx_noc *n, int e, uint64_t from)
{
    gen_draw(n, n->gen_rng + 4 * (size_t)e, e, from, &n->gen_t[e], &n->gen_dst[e]);
}

static void send_from_ni(cx_noc *n, int e, uint32_t pid)
{
    uint64_t t = n->now;
    uint32_t qi = (uint32_t)(ep_node(n, e) * NP + ep_port(n, e));
    enqueue(n, qi, pid, t + (uint64_t)(n->head + n->pipeline));
    n->ni_credits[e]--;
    n->ni_busy[e] = t + (uint64_t)n->ser;
    wheel_push(n, t + (uint64_t)n->ser, EV_NI_FREE, (uint32_t)e, 0);
    n->stats.packets_injected++;
    n->stats.packets_in_flight++;
    n->stats.energy_pj += n->cfg.energy_per_injection_pj;
}

/* Next copy of a source-replicated multicast. */
static uint32_t next_replica(cx_noc *n, int e)
{
    uint32_t pid = n->ni_rep_pid[e];
    const cx_noc_route *r = &n->routes[n->ni_rep_route[e]];
    int i = n->ni_rep_idx[e]++, d = n->route_dests[r->off + i];
    if (i + 1 == r->n) {
        n->ni_rep_pid[e] = NONE32;
    } else {
        pid = pkt_clone(n, pid);
    }
    n->pkt_dst[pid] = d;
    return pid;
}

static void ni_try(cx_noc *n, int e)
{
    uint64_t t = n->now;
    if (n->ni_busy[e] > t || n->ni_credits[e] == 0) return;
    if (n->ni_rep_pid[e] != NONE32) {
        send_from_ni(n, e, next_replica(n, e));
        return;
    }
    cx_noc_fifo *f = &n->fifo[e];
    int from_fifo = f->n && n->pkt_gen[f->ids[f->head]] <= t;
    int from_gen = e < n->nodes && n->gen_t && n->gen_t[e] <= t;
    if (from_fifo && from_gen && n->gen_t[e] < n->pkt_gen[f->ids[f->head]]) from_fifo = 0;
    uint32_t pid;
    if (from_fifo) {
        pid = f->ids[f->head];
        f->head = (f->head + 1) & (f->cap - 1);
        f->n--;
    } else if (from_gen) {
        pid = pkt_alloc(n);
        n->pkt_gen[pid] = n->pkt_origin[pid] = n->gen_t[e];
        n->pkt_deadline[pid] = CX_NOC_NO_DEADLINE;
        n->pkt_tag[pid] = 0;
        n->pkt_src[pid] = e;
        n->pkt_dst[pid] = n->gen_dst[e];
        n->pkt_key[pid] = n->gen_dst[e] < 0 ? n->gen_key0 + (uint32_t)e : CX_NOC_UNICAST_KEY;
        n->pkt_route[pid] = n->gen_dst[e] < 0 ? route_find(n, n->pkt_key[pid]) : NONE32;
        n->stats.packets_generated++;
        gen_next(n, e, n->gen_t[e] + 1);
        /* The interface frees at t + S and retries then; wake it only for later packets. */
        if (n->gen_t[e] != CX_NOC_NEVER && n->gen_t[e] > t + (uint64_t)n->ser)
            heap_push(n, n->gen_t[e], e);
    } else {
        return;
    }
    if (n->pkt_dst[pid] < 0 && n->cfg.multicast == CX_NOC_MCAST_SOURCE) {
        n->ni_rep_pid[e] = pid;
        n->ni_rep_route[e] = route_find(n, n->pkt_key[pid]);
        n->ni_rep_idx[e] = 0;
        pid = next_replica(n, e);
    }
    send_from_ni(n, e, pid);
}

/* ---- event handlers ---- */

static void return_credit(cx_noc *n, uint32_t qi)
{
    int node = (int)(qi / NP), p = (int)(qi % NP);
    if (p == P_L || p == P_H) {
        int e = p == P_L ? node : n->node_host[node];
        if (n->credit_delay == 0) {
            n->ni_credits[e]++;
            ni_try(n, e);
        } else {
            wheel_push(n, n->now + (uint64_t)n->credit_delay, EV_NI_CREDIT, (uint32_t)e, 0);
        }
        return;
    }
    if (n->cfg.flow != CX_NOC_FLOW_CREDIT) return;
    int w = n->cfg.width, up = node + step_x[p] + step_y[p] * w;
    uint32_t qo = (uint32_t)(up * NP + opposite[p]);
    if (n->credit_delay == 0) {
        n->out_credits[qo]++;
        mark(n, qo);
    } else {
        wheel_push(n, n->now + (uint64_t)n->credit_delay, EV_CREDIT, qo, 0);
    }
}

static void on_in_free(cx_noc *n, uint32_t qi)
{
    int k = n->in_cur[qi];
    unsigned left = n->in_mask[qi * n->depth + (uint32_t)k];
    if (!left) {
        remove_slot(n, qi, k);
        return_credit(n, qi);
    }
    if (n->voq)
        mark_ready(n, qi);
    else if (left) /* a multicast head with outputs still to serve */
        mark_outputs(n, qi, left);
    else if (n->in_count[qi])
        head_changed(n, qi);
}

static void on_ready(cx_noc *n, uint32_t qi)
{
    mark_ready(n, qi);
}

static void on_arrive(cx_noc *n, uint32_t qi, uint32_t pid)
{
    if (n->in_count[qi] == n->depth) {
        n->stats.in_drops[qi]++;
        n->stats.packets_dropped++;
        n->stats.packets_in_flight--;
        pkt_release(n, pid);
        return;
    }
    enqueue(n, qi, pid, n->now + (uint64_t)n->pipeline);
}

static void on_deliver(cx_noc *n, int e, uint32_t pid)
{
    cx_noc_stats *s = &n->stats;
    uint64_t t = n->now, lat = t - n->pkt_gen[pid];
    int late = n->pkt_deadline[pid] != CX_NOC_NO_DEADLINE && t > n->pkt_deadline[pid];
    s->packets_delivered++;
    s->packets_in_flight--;
    s->packets_late += (uint64_t)late;
    if (t >= s->window_start) {
        s->window_delivered++;
        s->window_late += (uint64_t)late;
        s->latency_sum += (double)lat;
        if (lat > s->latency_max) s->latency_max = lat;
        if (lat >= s->latency_hist_len) {
            uint64_t len = s->latency_hist_len ? s->latency_hist_len : 256;
            while (len <= lat)
                len *= 2;
            s->latency_hist = xrealloc(s->latency_hist, len * sizeof *s->latency_hist);
            memset(s->latency_hist + s->latency_hist_len, 0,
                   (len - s->latency_hist_len) * sizeof *s->latency_hist);
            s->latency_hist_len = len;
        }
        s->latency_hist[lat]++;
    }
    if (n->sink)
        n->sink(n->sink_ctx, e, n->pkt_key[pid], n->pkt_src[pid], n->pkt_origin[pid], t,
                n->pkt_tag[pid]);
    pkt_release(n, pid);
}

static void grant(cx_noc *n, uint32_t q, uint32_t qi, int k)
{
    uint32_t slot = qi * n->depth + (uint32_t)k;
    uint64_t t = n->now, ser = (uint64_t)n->ser;
    int node = (int)(q / NP), o = (int)(q % NP);
    unsigned m = n->in_mask[slot] & ~(1u << o);
    n->in_mask[slot] = (uint8_t)m;
    uint32_t pid = n->in_pid[slot];
    if (m) { /* the head stays for its other outputs: this output gets a copy */
        pid = pkt_clone(n, pid);
        n->stats.packets_replicated++;
        n->stats.packets_in_flight++;
    }
    if (n->in_start[qi] != t) {
        n->in_start[qi] = t;
        n->in_cur[qi] = k;
        n->in_busy[qi] = t + ser;
        wheel_push(n, t + ser, EV_IN_FREE, qi, 0);
    }
    n->out_busy[q] = t + ser;
    wheel_push(n, t + ser, EV_OUT_FREE, q, 0);
    if (t >= n->stats.window_start) n->stats.out_packets[q]++;
    if (o == P_L || o == P_H) {
        int e = o == P_L ? node : n->node_host[node];
        wheel_push(n, t + ser, EV_DELIVER, (uint32_t)e, pid);
        return;
    }
    n->stats.link_traversals++;
    n->stats.energy_pj += n->cfg.energy_per_hop_pj;
    int down = node + step_x[o] + step_y[o] * n->cfg.width;
    uint32_t q2 = (uint32_t)(down * NP + opposite[o]);
    if (n->cfg.flow == CX_NOC_FLOW_CREDIT) {
        n->out_credits[q]--;
        enqueue(n, q2, pid, t + (uint64_t)(n->head + n->pipeline));
    } else {
        wheel_push(n, t + (uint64_t)n->head, EV_ARRIVE, q2, pid);
    }
}

static void arbitrate(cx_noc *n, uint32_t q)
{
    uint64_t t = n->now;
    int o = (int)(q % NP);
    if (n->out_busy[q] > t) return;
    if (o != P_L && o != P_H && n->cfg.flow == CX_NOC_FLOW_CREDIT && n->out_credits[q] == 0) return;
    uint32_t base = q - (uint32_t)o;
    int start = n->out_rr[q];
    /* inputs holding packets, in round-robin order from start */
    unsigned held = 0;
    for (int i = 0; i < NP; i++)
        held |= (unsigned)(n->in_count[base + (uint32_t)i] > 0) << i;
    held = ((held >> start) | (held << (NP - start))) & ((1u << NP) - 1);
    for (; held; held &= held - 1) {
        int r = __builtin_ctz(held);
        int i = start + r < NP ? start + r : start + r - NP;
        uint32_t qi = base + (uint32_t)i, slot0 = qi * n->depth;
        int count = n->in_count[qi], k = 0;
        if (n->voq)
            while (k < count && !((n->in_mask[slot0 + k] >> o) & 1u))
                k++;
        if (k >= count) continue;
        uint32_t slot = slot0 + (uint32_t)k;
        if (!((n->in_mask[slot] >> o) & 1u) || n->in_ready[slot] > t) continue;
        /* one transfer per input read port, except copies of one packet in the same cycle */
        if (n->in_busy[qi] > t && !(n->in_start[qi] == t && n->in_cur[qi] == k)) continue;
        grant(n, q, qi, k);
        n->out_rr[q] = (uint8_t)(i + 1 == NP ? 0 : i + 1);
        return;
    }
}

/* ---- public API ---- */

uint64_t cx_noc_next_time(const cx_noc *n)
{
    uint64_t best = n->heap_n ? n->heap[0].t : CX_NOC_NEVER;
    if (n->wheel_count) {
        for (uint64_t t = n->now + 1;; t++) {
            if (n->wheel[t & n->wheel_mask].n) {
                if (t < best) best = t;
                break;
            }
        }
    }
    return best;
}

void cx_noc_step(cx_noc *n)
{
    uint64_t t = cx_noc_next_time(n);
    if (t == CX_NOC_NEVER) return;
    n->now = t;
    n->stats.now = t;
    n->epoch++;
    cx_noc_bucket *b = &n->wheel[t & n->wheel_mask];
    for (int i = 0; i < b->n; i++) {
        cx_noc_event ev = b->ev[i];
        switch (ev.type) {
        case EV_IN_FREE:
            on_in_free(n, ev.a);
            break;
        case EV_OUT_FREE:
            mark(n, ev.a);
            break;
        case EV_CREDIT:
            n->out_credits[ev.a]++;
            mark(n, ev.a);
            break;
        case EV_NI_CREDIT:
            n->ni_credits[ev.a]++;
            ni_try(n, (int)ev.a);
            break;
        case EV_NI_FREE:
            ni_try(n, (int)ev.a);
            break;
        default:
            break;
        }
    }
    while (n->heap_n && n->heap[0].t == t)
        ni_try(n, heap_pop(n).e);
    for (int i = 0; i < b->n; i++) {
        cx_noc_event ev = b->ev[i];
        switch (ev.type) {
        case EV_READY:
            on_ready(n, ev.a);
            break;
        case EV_ARRIVE:
            on_arrive(n, ev.a, ev.pid);
            break;
        case EV_DELIVER:
            on_deliver(n, (int)ev.a, ev.pid);
            break;
        default:
            break;
        }
    }
    n->wheel_count -= (uint64_t)b->n;
    b->n = 0;
    for (int i = 0; i < n->ndirty; i++)
        arbitrate(n, n->dirty[i]);
    n->ndirty = 0;
}

void cx_noc_run(cx_noc *n, uint64_t end_cycle)
{
    while (cx_noc_next_time(n) < end_cycle)
        cx_noc_step(n);
}

uint64_t cx_noc_source_backlog(const cx_noc *n, uint64_t end_cycle)
{
    uint64_t count = 0;
    for (int e = 0; e < n->endpoints; e++) {
        const cx_noc_fifo *f = &n->fifo[e];
        for (int k = 0; k < f->n; k++)
            count += n->pkt_gen[f->ids[(f->head + (uint32_t)k) & (f->cap - 1)]] < end_cycle;
        if (e >= n->nodes || !n->gen_t) continue;
        uint64_t s[4], t = n->gen_t[e];
        int dst;
        memcpy(s, n->gen_rng + 4 * (size_t)e, sizeof s);
        while (t < end_cycle) {
            count++;
            gen_draw(n, s, e, t + 1, &t, &dst);
        }
    }
    return count;
}

cx_status cx_noc_alloc(const cx_noc_config *cfg, cx_noc **out)
{
    *out = NULL;
    CX_TRY(cx_noc_config_check(cfg));
    cx_noc *n = calloc(1, sizeof *n);
    if (!n) return cx_fail(CX_ERR_NOMEM, "router: out of memory");
    n->cfg = *cfg;
    n->nodes = cfg->width * cfg->height;
    n->endpoints = n->nodes + cfg->n_hosts;
    n->depth = cfg->buffer_depth_packets;
    n->ser = cx_noc_serialization_cycles(cfg);
    n->head = cx_noc_head_cycles(cfg);
    n->pipeline = cfg->pipeline_cycles;
    n->credit_delay = cfg->credit_delay_cycles;
    n->voq = cfg->buffering == CX_NOC_BUF_VOQ;
    int max_delay = n->head + n->pipeline;
    if (n->ser > max_delay) max_delay = n->ser;
    if (n->credit_delay > max_delay) max_delay = n->credit_delay;
    uint32_t w = 16;
    while (w <= (uint32_t)max_delay + 1)
        w *= 2;
    n->wheel_mask = w - 1;
    n->wheel = calloc(w, sizeof *n->wheel);
    size_t nq = (size_t)n->nodes * NP, ns = nq * (size_t)n->depth;
    size_t ne = (size_t)n->endpoints;
    n->in_pid = calloc(ns, sizeof *n->in_pid);
    n->in_mask = calloc(ns, sizeof *n->in_mask);
    n->in_ready = calloc(ns, sizeof *n->in_ready);
    n->in_cur = calloc(nq, sizeof *n->in_cur);
    n->in_count = calloc(nq, sizeof *n->in_count);
    n->in_busy = calloc(nq, sizeof *n->in_busy);
    n->in_start = malloc(nq * sizeof *n->in_start);
    n->out_busy = calloc(nq, sizeof *n->out_busy);
    n->out_credits = calloc(nq, sizeof *n->out_credits);
    n->out_rr = calloc(nq, sizeof *n->out_rr);
    n->out_mark = calloc(nq, sizeof *n->out_mark);
    n->dirty = malloc(nq * sizeof *n->dirty);
    n->ni_busy = calloc(ne, sizeof *n->ni_busy);
    n->ni_credits = calloc(ne, sizeof *n->ni_credits);
    n->ni_rep_pid = malloc(ne * sizeof *n->ni_rep_pid);
    n->ni_rep_route = calloc(ne, sizeof *n->ni_rep_route);
    n->ni_rep_idx = calloc(ne, sizeof *n->ni_rep_idx);
    n->fifo = calloc(ne, sizeof *n->fifo);
    n->host_node = calloc((size_t)cfg->n_hosts + 1, sizeof *n->host_node);
    n->node_host = malloc((size_t)n->nodes * sizeof *n->node_host);
    n->scratch_mask = calloc((size_t)n->nodes, sizeof *n->scratch_mask);
    n->scratch_nodes = malloc((size_t)n->nodes * sizeof *n->scratch_nodes);
    n->stats.out_packets = calloc(nq, sizeof *n->stats.out_packets);
    n->stats.in_high_water = calloc(nq, sizeof *n->stats.in_high_water);
    n->stats.in_drops = calloc(nq, sizeof *n->stats.in_drops);
    if (!n->wheel || !n->in_pid || !n->in_mask || !n->in_ready || !n->in_cur || !n->in_count ||
        !n->in_busy || !n->in_start || !n->out_busy || !n->out_credits || !n->out_rr ||
        !n->out_mark || !n->dirty || !n->ni_busy || !n->ni_credits || !n->ni_rep_pid ||
        !n->ni_rep_route || !n->ni_rep_idx || !n->fifo || !n->host_node || !n->node_host ||
        !n->scratch_mask || !n->scratch_nodes || !n->stats.out_packets || !n->stats.in_high_water ||
        !n->stats.in_drops) {
        cx_noc_free(n);
        return cx_fail(CX_ERR_NOMEM, "router: out of memory for a %dx%d mesh", cfg->width,
                       cfg->height);
    }
    for (size_t q = 0; q < nq; q++) {
        n->in_start[q] = CX_NOC_NEVER;
        n->out_credits[q] = n->depth;
    }
    for (size_t e = 0; e < ne; e++) {
        n->ni_credits[e] = n->depth;
        n->ni_rep_pid[e] = NONE32;
    }
    for (int i = 0; i < n->nodes; i++)
        n->node_host[i] = -1;
    for (int h = 0; h < cfg->n_hosts; h++) {
        n->host_node[h] = cfg->host_y[h] * cfg->width + cfg->host_x[h];
        n->node_host[n->host_node[h]] = n->nodes + h;
    }
    *out = n;
    return CX_OK;
}

void cx_noc_free(cx_noc *n)
{
    if (!n) return;
    if (n->wheel)
        for (uint32_t i = 0; i <= n->wheel_mask; i++)
            free(n->wheel[i].ev);
    if (n->fifo)
        for (int e = 0; e < n->endpoints; e++)
            free(n->fifo[e].ids);
    void *ptrs[] = {n->wheel,
                    n->heap,
                    n->pkt_gen,
                    n->pkt_origin,
                    n->pkt_deadline,
                    n->pkt_tag,
                    n->pkt_key,
                    n->pkt_src,
                    n->pkt_dst,
                    n->pkt_route,
                    n->free_ids,
                    n->in_pid,
                    n->in_mask,
                    n->in_ready,
                    n->in_cur,
                    n->in_count,
                    n->in_busy,
                    n->in_start,
                    n->out_busy,
                    n->out_credits,
                    n->out_rr,
                    n->out_mark,
                    n->dirty,
                    n->ni_busy,
                    n->ni_credits,
                    n->ni_rep_pid,
                    n->ni_rep_route,
                    n->ni_rep_idx,
                    n->fifo,
                    n->host_node,
                    n->node_host,
                    n->gen_rng,
                    n->gen_t,
                    n->gen_dst,
                    n->routes,
                    n->route_dests,
                    n->route_slots,
                    n->tree_node,
                    n->tree_mask,
                    n->scratch_mask,
                    n->scratch_nodes,
                    n->stats.out_packets,
                    n->stats.in_high_water,
                    n->stats.in_drops,
                    n->stats.latency_hist};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
        free(ptrs[i]);
    free(n);
}

const cx_noc_config *cx_noc_get_config(const cx_noc *n)
{
    return &n->cfg;
}
int cx_noc_endpoints(const cx_noc *n)
{
    return n->endpoints;
}
const cx_noc_stats *cx_noc_get_stats(const cx_noc *n)
{
    return &n->stats;
}
void cx_noc_set_window(cx_noc *n, uint64_t start)
{
    n->stats.window_start = start;
}

void cx_noc_set_sink(cx_noc *n, cx_noc_sink_fn fn, void *ctx)
{
    n->sink = fn;
    n->sink_ctx = ctx;
}

cx_status cx_noc_inject(cx_noc *n, uint64_t t, int src, int dst, uint32_t key, uint64_t deadline,
                        uint64_t tag)
{
    return cx_noc_inject_relayed(n, t, t, src, dst, key, deadline, tag);
}

cx_status cx_noc_inject_relayed(cx_noc *n, uint64_t t, uint64_t origin, int src, int dst,
                                uint32_t key, uint64_t deadline, uint64_t tag)
{
    if (src < 0 || src >= n->endpoints)
        return cx_fail(CX_ERR_VALUE, "router: source endpoint %d is not in 0..%d", src,
                       n->endpoints - 1);
    if (dst >= n->endpoints)
        return cx_fail(CX_ERR_VALUE, "router: destination endpoint %d is not in 0..%d", dst,
                       n->endpoints - 1);
    if (t < n->now)
        return cx_fail(CX_ERR_VALUE, "router: packet at cycle %llu is in the past (now %llu)",
                       (unsigned long long)t, (unsigned long long)n->now);
    cx_noc_fifo *f = &n->fifo[src];
    if (f->n && n->pkt_gen[f->ids[(f->head + (uint32_t)f->n - 1) & (f->cap - 1)]] > t)
        return cx_fail(CX_ERR_VALUE,
                       "router: packets of endpoint %d must be queued in time order (cycle %llu "
                       "after a later one)",
                       src, (unsigned long long)t);
    uint32_t r = NONE32;
    if (dst < 0) {
        r = route_find(n, key);
        if (r == NONE32)
            return cx_fail(CX_ERR_MISSING, "router: no multicast route for key %u", key);
        if (n->routes[r].src != src)
            return cx_fail(CX_ERR_VALUE,
                           "router: key %u is routed from endpoint %d, not from endpoint %d", key,
                           n->routes[r].src, src);
    }
    if ((uint32_t)f->n == f->cap) { /* grow the ring, unrolling it to the front */
        uint32_t cap = f->cap ? 2 * f->cap : 16;
        uint32_t *ids = xrealloc(NULL, cap * sizeof *ids);
        for (int k = 0; k < f->n; k++)
            ids[k] = f->ids[(f->head + (uint32_t)k) & (f->cap - 1)];
        free(f->ids);
        f->ids = ids;
        f->cap = cap;
        f->head = 0;
    }
    uint32_t pid = pkt_alloc(n);
    n->pkt_gen[pid] = t;
    n->pkt_origin[pid] = origin;
    n->pkt_deadline[pid] = deadline;
    n->pkt_tag[pid] = tag;
    n->pkt_key[pid] = key;
    n->pkt_src[pid] = src;
    n->pkt_dst[pid] = dst < 0 ? -1 : dst;
    n->pkt_route[pid] = r;
    f->ids[(f->head + (uint32_t)f->n) & (f->cap - 1)] = pid;
    f->n++;
    n->stats.packets_generated++;
    heap_push(n, t, src);
    return CX_OK;
}

cx_status cx_noc_set_traffic(cx_noc *n, const cx_noc_traffic *tr)
{
    int w = n->cfg.width, h = n->cfg.height;
    if (n->gen_t) return cx_fail(CX_ERR_USAGE, "router: synthetic traffic is already set");
    if (tr->pattern == CX_NOC_TRAFFIC_NONE) return CX_OK;
    if (!(tr->rate > 0 && tr->rate <= 1))
        return cx_fail(CX_ERR_VALUE, "traffic: rate must be in (0, 1] packets/cycle/node, got %g",
                       tr->rate);
    if (n->nodes < 2) return cx_fail(CX_ERR_VALUE, "traffic: needs a mesh of at least 2 tiles");
    if (tr->pattern == CX_NOC_TRAFFIC_TRANSPOSE && w != h)
        return cx_fail(CX_ERR_VALUE, "traffic: transpose needs a square mesh, got %dx%d", w, h);
    if (tr->pattern == CX_NOC_TRAFFIC_HOTSPOT &&
        (tr->hotspot_x < 0 || tr->hotspot_x >= w || tr->hotspot_y < 0 || tr->hotspot_y >= h ||
         !(tr->hotspot_fraction >= 0 && tr->hotspot_fraction <= 1)))
        return cx_fail(CX_ERR_VALUE,
                       "traffic: hotspot (%d, %d) must lie in the %dx%d mesh and its fraction %g "
                       "in [0, 1]",
                       tr->hotspot_x, tr->hotspot_y, w, h, tr->hotspot_fraction);
    if (tr->pattern == CX_NOC_TRAFFIC_MULTICAST && (tr->fanout < 1 || tr->fanout > n->nodes - 1))
        return cx_fail(CX_ERR_VALUE, "traffic: multicast fanout must be 1..%d, got %d",
                       n->nodes - 1, tr->fanout);
    n->traffic = *tr;
    n->log1m_rate = log1p(-tr->rate);
    n->gen_rng = malloc((size_t)n->nodes * 4 * sizeof *n->gen_rng);
    n->gen_t = malloc((size_t)n->nodes * sizeof *n->gen_t);
    n->gen_dst = malloc((size_t)n->nodes * sizeof *n->gen_dst);
    if (!n->gen_rng || !n->gen_t || !n->gen_dst)
        return cx_fail(CX_ERR_NOMEM, "traffic: out of memory");
    if (tr->pattern == CX_NOC_TRAFFIC_MULTICAST) {
        /* Every tile gets a fixed destination set, like a neuron's fan-out. */
        n->gen_key0 = 0x80000000u;
        int *cand = malloc((size_t)n->nodes * sizeof *cand);
        for (int e = 0; e < n->nodes; e++) {
            uint64_t s[4];
            cx_noc_rng_seed(s, tr->seed ^ 0x6d756c7469636173ULL, (uint64_t)e);
            int m = 0;
            for (int d = 0; d < n->nodes; d++)
                if (d != e) cand[m++] = d;
            for (int k = 0; k < tr->fanout; k++) {
                int j = k + (int)rng_below(s, (uint32_t)(m - k)), tmp = cand[k];
                cand[k] = cand[j];
                cand[j] = tmp;
            }
            cx_status st = cx_noc_set_route(n, n->gen_key0 + (uint32_t)e, e, cand, tr->fanout);
            if (st != CX_OK) {
                free(cand);
                return st;
            }
        }
        free(cand);
    }
    for (int e = 0; e < n->nodes; e++) {
        uint64_t *s = n->gen_rng + 4 * (size_t)e;
        cx_noc_rng_seed(s, tr->seed, (uint64_t)e);
        int silent = tr->pattern == CX_NOC_TRAFFIC_TRANSPOSE && e % w == e / w;
        n->gen_t[e] = CX_NOC_NEVER;
        if (!silent) gen_next(n, e, n->now);
        if (n->gen_t[e] != CX_NOC_NEVER) heap_push(n, n->gen_t[e], e);
    }
    return CX_OK;
}

uint64_t cx_noc_latency_quantile(const cx_noc *n, double q)
{
    const cx_noc_stats *s = &n->stats;
    if (!s->window_delivered) return 0;
    double rank = ceil(q * (double)s->window_delivered);
    if (rank < 1) rank = 1;
    uint64_t cum = 0;
    for (uint64_t c = 0; c < s->latency_hist_len; c++) {
        cum += s->latency_hist[c];
        if ((double)cum >= rank) return c;
    }
    return s->latency_max;
}
