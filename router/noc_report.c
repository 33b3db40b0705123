/* Router statistics as a JSON report and a link-load heat map (SVG). */
#include "noc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/* Sequential map: light gray (idle) -> yellow -> orange -> red -> dark red (busy every cycle). */
static void heat(double u, int rgb[3])
{
    static const double stops[5][3] = {
        {225, 225, 225}, {254, 217, 118}, {253, 141, 60}, {227, 26, 28}, {128, 0, 38}};
    if (!(u > 0)) u = 0;
    if (u > 1) u = 1;
    int k = u >= 1 ? 3 : (int)(u * 4);
    double f = u * 4 - k;
    for (int i = 0; i < 3; i++)
        rgb[i] = (int)(stops[k][i] + f * (stops[k + 1][i] - stops[k][i]) + 0.5);
}

cx_status cx_noc_write_svg(const cx_noc *n, uint64_t end, const char *path)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return cx_fail(CX_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    const int cell = 72, margin = 40, box = 30, top = 50;
    int w = n->cfg.width, h = n->cfg.height;
    int width = 2 * margin + (w - 1) * cell + box,
        height = top + margin + (h - 1) * cell + box + 60;
    fprintf(fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"%d\" y=\"24\" font-size=\"14\">link utilization, %dx%d mesh, cycles "
            "%llu..%llu</text>\n",
            width < 440 ? 440 : width, height, width < 440 ? 440 : width, height, margin, w, h,
            (unsigned long long)n->stats.window_start, (unsigned long long)end);
    for (int node = 0; node < n->nodes; node++) {
        int x0 = margin + (node % w) * cell + box / 2, y0 = top + (node / w) * cell + box / 2;
        for (int o = CX_NOC_PORT_N; o <= CX_NOC_PORT_W; o++) {
            if (!has_link(n, node, o)) continue;
            uint32_t q = (uint32_t)(node * NP + o);
            double u = link_util(n, q, end);
            int rgb[3];
            heat(u, rgb);
            /* the two directions of a link run side by side, offset to their right */
            int dx = step_x[o], dy = step_y[o], ox = -dy * 6, oy = dx * 6;
            int xa = x0 + dx * box / 2 + ox, ya = y0 + dy * box / 2 + oy;
            int xb = x0 + dx * (cell - box / 2) + ox, yb = y0 + dy * (cell - box / 2) + oy;
            fprintf(fp,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"rgb(%d,%d,%d)\" "
                    "stroke-width=\"6\"><title>(%d,%d) %s: %llu packets, utilization "
                    "%.3f</title></line>\n",
                    xa, ya, xb, yb, rgb[0], rgb[1], rgb[2], node % w, node / w, port_names[o],
                    (unsigned long long)n->stats.out_packets[q], u);
        }
    }
    for (int node = 0; node < n->nodes; node++) {
        int x = margin + (node % w) * cell, y = top + (node / w) * cell;
        int host = n->node_host[node] >= 0;
        fprintf(fp,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"%s\" "
                "stroke=\"#333\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"10\" "
                "text-anchor=\"middle\">%d</text>\n",
                x, y, box, box, host ? "#d9d9d9" : "#f7f7f7", x + box / 2, y + box / 2 + 4, node);
    }
    int ly = top + (h - 1) * cell + box + 25;
    fprintf(fp, "<defs><linearGradient id=\"heat\">");
    for (int i = 0; i <= 4; i++) {
        int rgb[3];
        heat(i / 4.0, rgb);
        fprintf(fp, "<stop offset=\"%d%%\" stop-color=\"rgb(%d,%d,%d)\"/>", i * 25, rgb[0], rgb[1],
                rgb[2]);
    }
    fprintf(fp,
            "</linearGradient></defs>\n"
            "<rect x=\"%d\" y=\"%d\" width=\"200\" height=\"12\" fill=\"url(#heat)\"/>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">0</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">1 (busy every cycle)</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">shaded router: host I/O port</text>\n"
            "</svg>\n",
            margin, ly, margin, ly + 26, margin + 180, ly + 26, margin + 220, ly + 10);
    if (fclose(fp) != 0) return cx_fail(CX_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return CX_OK;
}
