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
    if (n->dead_link && (n->dead_link[node] & (1u << o))) { /* the copy dies in the link */
        n->stats.packets_dead_link++;
        n->stats.packets_dropped++;
        n->stats.packets_in_flight--;
        pkt_release(n, pid);
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
