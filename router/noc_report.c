/* Router statistics as a JSON report and a link-load heat map (SVG). */
#include "noc_internal.h"

#include "cx_plot_mesh.h"

#include <stdio.h>
#include <stdlib.h>

enum { NP = CX_NOC_PORTS };
static const char *port_names[NP] = {"L", "N", "E", "S", "W", "H"};
static const int step_x[NP] = {0, 0, 1, 0, -1, 0};
static const int step_y[NP] = {0, -1, 0, 1, 0, 0};

static int has_link(const cx_noc *n, int node, int o)
{
    int x = node % n->cfg.width + step_x[o], y = node / n->cfg.width + step_y[o];
    return o >= CX_NOC_PORT_N && o <= CX_NOC_PORT_W && x >= 0 && x < n->cfg.width && y >= 0 &&
           y < n->cfg.height;
}

static double window_cycles(const cx_noc *n, uint64_t end)
{
    return end > n->stats.window_start ? (double)(end - n->stats.window_start) : 0;
}

static double link_util(const cx_noc *n, uint32_t q, uint64_t end)
{
    double w = window_cycles(n, end);
    return w > 0 ? (double)n->stats.out_packets[q] * n->ser / w : 0;
}

static cJSON *xy(int node, int w)
{
    int v[2] = {node % w, node / w};
    return cJSON_CreateIntArray(v, 2);
}

cJSON *cx_noc_report_json(const cx_noc *n, uint64_t end, int per_links)
{
    const cx_noc_stats *s = &n->stats;
    const cx_noc_config *c = &n->cfg;
    cJSON *doc = cJSON_CreateObject();
    char mesh[32];
    snprintf(mesh, sizeof mesh, "%dx%d", c->width, c->height);
    cJSON_AddStringToObject(doc, "mesh", mesh);
    cJSON *r = cJSON_AddObjectToObject(doc, "router");
    cJSON_AddNumberToObject(r, "clock_mhz", c->clock_mhz);
    cJSON_AddNumberToObject(r, "pipeline_cycles", c->pipeline_cycles);
    cJSON_AddNumberToObject(r, "link_width_bits", c->link_width_bits);
    cJSON_AddNumberToObject(r, "packet_bits", c->packet_bits);
    cJSON_AddNumberToObject(r, "serialization_cycles", n->ser);
    cJSON_AddNumberToObject(r, "buffer_depth_packets", c->buffer_depth_packets);
    cJSON_AddNumberToObject(r, "credit_delay_cycles", c->credit_delay_cycles);
    cJSON_AddStringToObject(r, "flow", cx_noc_flow_name(c->flow));
    cJSON_AddStringToObject(r, "multicast", cx_noc_mcast_name(c->multicast));
    cJSON_AddStringToObject(r, "switching", cx_noc_switching_name(c->switching));
    cJSON_AddStringToObject(r, "buffering", cx_noc_buffering_name(c->buffering));
    cJSON *hosts = cJSON_AddArrayToObject(r, "host_ports");
    for (int h = 0; h < c->n_hosts; h++)
        cJSON_AddItemToArray(hosts, xy(n->host_node[h], c->width));
    cJSON_AddNumberToObject(doc, "cycles", (double)end);
    cJSON_AddNumberToObject(doc, "warmup_cycles", (double)s->window_start);
    cJSON_AddNumberToObject(doc, "time_us", (double)end / c->clock_mhz);
    cJSON_AddNumberToObject(doc, "packets_generated", (double)s->packets_generated);
    cJSON_AddNumberToObject(doc, "packets_injected", (double)s->packets_injected);
    cJSON_AddNumberToObject(doc, "packets_replicated", (double)s->packets_replicated);
    cJSON_AddNumberToObject(doc, "packets_delivered", (double)s->packets_delivered);
    cJSON_AddNumberToObject(doc, "packets_dropped", (double)s->packets_dropped);
    cJSON_AddNumberToObject(doc, "packets_in_flight", (double)s->packets_in_flight);
    cJSON_AddNumberToObject(doc, "packets_late", (double)s->packets_late);
    cJSON_AddNumberToObject(doc, "link_traversals", (double)s->link_traversals);
    cJSON_AddNumberToObject(doc, "energy_pj", s->energy_pj);
    double mean = s->window_delivered ? s->latency_sum / (double)s->window_delivered : 0;
    cJSON_AddNumberToObject(doc, "window_delivered", (double)s->window_delivered);
    cJSON_AddNumberToObject(doc, "latency_mean", mean);
    cJSON_AddNumberToObject(doc, "latency_p50", (double)cx_noc_latency_quantile(n, 0.5));
    cJSON_AddNumberToObject(doc, "latency_p99", (double)cx_noc_latency_quantile(n, 0.99));
    cJSON_AddNumberToObject(doc, "latency_max", (double)s->latency_max);
    double w = window_cycles(n, end);
    cJSON_AddNumberToObject(doc, "throughput",
                            w > 0 ? (double)s->window_delivered / (w * n->nodes) : 0);
    double umax = 0, usum = 0;
    int nlinks = 0, hw = 0;
    cJSON *links = per_links ? cJSON_CreateArray() : NULL;
    for (int node = 0; node < n->nodes; node++) {
        for (int o = CX_NOC_PORT_N; o <= CX_NOC_PORT_W; o++) {
            if (!has_link(n, node, o)) continue;
            uint32_t q = (uint32_t)(node * NP + o);
            double u = link_util(n, q, end);
            umax = u > umax ? u : umax;
            usum += u;
            nlinks++;
            if (!links) continue;
            cJSON *l = cJSON_CreateObject();
            cJSON_AddItemToObject(l, "from", xy(node, c->width));
            cJSON_AddItemToObject(l, "to", xy(node + step_x[o] + step_y[o] * c->width, c->width));
            cJSON_AddStringToObject(l, "dir", port_names[o]);
            cJSON_AddNumberToObject(l, "packets", (double)s->out_packets[q]);
            cJSON_AddNumberToObject(l, "utilization", u);
            cJSON_AddItemToArray(links, l);
        }
    }
    for (int q = 0; q < n->nodes * NP; q++)
        hw = s->in_high_water[q] > hw ? s->in_high_water[q] : hw;
    cJSON_AddNumberToObject(doc, "link_utilization_max", umax);
    cJSON_AddNumberToObject(doc, "link_utilization_mean", nlinks ? usum / nlinks : 0);
    cJSON_AddNumberToObject(doc, "buffer_high_water_max", hw);
    if (links) cJSON_AddItemToObject(doc, "links", links);
    return doc;
}

cx_status cx_noc_write_svg(const cx_noc *n, uint64_t end, const char *path)
{
    const size_t nodes = (size_t)n->nodes, D = CX_PLOT_MESH_DIRS;
    unsigned char *host = malloc(nodes + 1);
    uint64_t *packets = malloc((nodes * D + 1) * sizeof *packets);
    double *util = malloc((nodes * D + 1) * sizeof *util);
    cx_status st = host && packets && util ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t node = 0; st == CX_OK && node < nodes; node++) {
        host[node] = n->node_host[node] >= 0;
        for (size_t d = 0; d < D; d++) {
            int o = CX_NOC_PORT_N + (int)d; /* N, E, S, W in both orders */
            size_t q = node * NP + (size_t)o;
            packets[node * D + d] = n->stats.out_packets[q];
            util[node * D + d] = has_link(n, (int)node, o) ? link_util(n, (uint32_t)q, end) : 0;
        }
    }
    cx_plot_mesh m = {.width = n->cfg.width,
                      .height = n->cfg.height,
                      .host = host,
                      .packets = packets,
                      .utilization = util,
                      .start_cycle = n->stats.window_start,
                      .end_cycle = end};
    if (st == CX_OK) st = cx_plot_mesh_svg(path, &m);
    free(host);
    free(packets);
    free(util);
    return st;
}
