/* Lifetime and accessors of the mesh kernel: allocation and initial state,
 * free, the config/stats getters, the sink and the measurement window, and
 * latency quantiles read from the histogram. */
#include "cx_noc.h"
#include "noc_internal.h"

#include <math.h>
#include <stdlib.h>

enum { NP = CX_NOC_PORTS };

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
                    n->dead_link,
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

cx_status cx_noc_set_dead_links(cx_noc *n, const unsigned char *dead, int route_around)
{
    if (n->nroutes)
        return cx_fail(CX_ERR_USAGE, "router: dead links must be set before the routes");
    if (!n->dead_link) n->dead_link = calloc((size_t)n->nodes, 1);
    if (!n->dead_link) return cx_fail(CX_ERR_NOMEM, "router: out of memory");
    for (int node = 0; node < n->nodes; node++) {
        unsigned m = 0;
        for (int d = 0; d < 4; d++) /* N, E, S, W are ports CX_NOC_PORT_N .. W */
            if (dead[node] & (1u << d)) m |= 1u << (CX_NOC_PORT_N + d);
        n->dead_link[node] = (uint8_t)m;
    }
    n->route_around = route_around;
    return CX_OK;
}

void cx_noc_set_sink(cx_noc *n, cx_noc_sink_fn fn, void *ctx)
{
    n->sink = fn;
    n->sink_ctx = ctx;
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
