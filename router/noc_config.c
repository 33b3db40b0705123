/* Router configuration: defaults, validation and closed-form figures. */
#include "cx_noc.h"

#include <math.h>
#include <stdlib.h>

cx_noc_config cx_noc_config_default(void)
{
    cx_noc_config c = {
        .width = 8,
        .height = 8,
        .clock_mhz = 500.0,
        .pipeline_cycles = 2,
        .link_width_bits = 32,
        .packet_bits = 32,
        .buffer_depth_packets = 4,
        .credit_delay_cycles = 1,
        .flow = CX_NOC_FLOW_CREDIT,
        .multicast = CX_NOC_MCAST_TREE,
        .switching = CX_NOC_STORE_FORWARD,
        .buffering = CX_NOC_BUF_FIFO,
        .n_hosts = 1,
        .host_x = {0},
        .host_y = {0},
        .energy_per_hop_pj = 1.0,
        .energy_per_injection_pj = 0.5,
        .chip_link_latency_ns = 20.0,
        .chip_link_bandwidth_gbps = 10.0,
    };
    return c;
}

static cx_status range(const char *name, long v, long lo, long hi)
{
    if (v < lo || v > hi)
        return cx_fail(CX_ERR_VALUE, "router config: %s must be %ld..%ld, got %ld", name, lo, hi,
                       v);
    return CX_OK;
}

cx_status cx_noc_config_check(const cx_noc_config *c)
{
    CX_TRY(range("mesh width", c->width, 1, 1024));
    CX_TRY(range("mesh height", c->height, 1, 1024));
    CX_TRY(range("pipeline_cycles", c->pipeline_cycles, 0, 64));
    CX_TRY(range("link_width_bits", c->link_width_bits, 1, 4096));
    CX_TRY(range("packet_bits", c->packet_bits, 1, 65536));
    CX_TRY(range("buffer_depth_packets", c->buffer_depth_packets, 1, 4096));
    CX_TRY(range("credit_delay_cycles", c->credit_delay_cycles, 0, 64));
    CX_TRY(range("serialization cycles (packet_bits / link_width_bits)",
                 cx_noc_serialization_cycles(c), 1, 1024));
    CX_TRY(range("number of host ports", c->n_hosts, 0, CX_NOC_MAX_HOSTS));
    if ((int)c->flow < 0 || c->flow > CX_NOC_FLOW_DROP)
        return cx_fail(CX_ERR_VALUE, "router config: unknown flow control %d", (int)c->flow);
    if ((int)c->multicast < 0 || c->multicast > CX_NOC_MCAST_SOURCE)
        return cx_fail(CX_ERR_VALUE, "router config: unknown multicast mode %d", (int)c->multicast);
    if ((int)c->switching < 0 || c->switching > CX_NOC_CUT_THROUGH)
        return cx_fail(CX_ERR_VALUE, "router config: unknown switching %d", (int)c->switching);
    if ((int)c->buffering < 0 || c->buffering > CX_NOC_BUF_VOQ)
        return cx_fail(CX_ERR_VALUE, "router config: unknown buffering %d", (int)c->buffering);
    if (!(c->clock_mhz > 0) || !isfinite(c->clock_mhz))
        return cx_fail(CX_ERR_VALUE, "router config: clock_mhz must be > 0, got %g", c->clock_mhz);
    const struct {
        const char *name;
        double v;
    } nonneg[] = {{"energy_per_hop_pj", c->energy_per_hop_pj},
                  {"energy_per_injection_pj", c->energy_per_injection_pj},
                  {"chip_link_latency_ns", c->chip_link_latency_ns}};
    for (int i = 0; i < 3; i++)
        if (!(nonneg[i].v >= 0) || !isfinite(nonneg[i].v))
            return cx_fail(CX_ERR_VALUE, "router config: %s must be >= 0, got %g", nonneg[i].name,
                           nonneg[i].v);
    if (!(c->chip_link_bandwidth_gbps > 0) || !isfinite(c->chip_link_bandwidth_gbps))
        return cx_fail(CX_ERR_VALUE, "router config: chip_link_bandwidth_gbps must be > 0, got %g",
                       c->chip_link_bandwidth_gbps);
    for (int h = 0; h < c->n_hosts; h++) {
        if (c->host_x[h] < 0 || c->host_x[h] >= c->width || c->host_y[h] < 0 ||
            c->host_y[h] >= c->height)
            return cx_fail(CX_ERR_VALUE,
                           "router config: host port %d at (%d, %d) is outside the %dx%d mesh", h,
                           c->host_x[h], c->host_y[h], c->width, c->height);
        for (int g = 0; g < h; g++)
            if (c->host_x[g] == c->host_x[h] && c->host_y[g] == c->host_y[h])
                return cx_fail(CX_ERR_VALUE,
                               "router config: host ports %d and %d are both at router (%d, %d)", g,
                               h, c->host_x[h], c->host_y[h]);
    }
    return CX_OK;
}

int cx_noc_serialization_cycles(const cx_noc_config *c)
{
    if (c->link_width_bits <= 0) return 0;
    return (c->packet_bits + c->link_width_bits - 1) / c->link_width_bits;
}

int cx_noc_head_cycles(const cx_noc_config *c)
{
    return c->switching == CX_NOC_CUT_THROUGH ? 1 : cx_noc_serialization_cycles(c);
}

static void endpoint_xy(const cx_noc_config *c, int e, int *x, int *y)
{
    int n = c->width * c->height;
    if (e < n) {
        *x = e % c->width;
        *y = e / c->width;
    } else {
        *x = c->host_x[e - n];
        *y = c->host_y[e - n];
    }
}

int cx_noc_hops(const cx_noc_config *c, int src, int dst)
{
    int sx, sy, dx, dy;
    endpoint_xy(c, src, &sx, &sy);
    endpoint_xy(c, dst, &dx, &dy);
    return abs(sx - dx) + abs(sy - dy);
}

uint64_t cx_noc_zero_load_latency(const cx_noc_config *c, int src, int dst)
{
    uint64_t p = (uint64_t)c->pipeline_cycles, h = (uint64_t)cx_noc_head_cycles(c),
             s = (uint64_t)cx_noc_serialization_cycles(c);
    return (uint64_t)cx_noc_hops(c, src, dst) * (p + h) + h + p + s;
}

double cx_noc_uniform_bound(const cx_noc_config *c)
{
    double n = (double)c->width * c->height, s = cx_noc_serialization_cycles(c);
    if (n < 2) return 0;
    /* Cut between columns a-1 | a: H*a sources each send a fraction b*H/(n-1)
     * of their packets across, spread over the H links of that row cut. */
    double worst = 0;
    int a = c->width / 2, b = c->width - a;
    if (a > 0) worst = fmax(worst, (double)c->height * a * b / (n - 1));
    a = c->height / 2, b = c->height - a;
    if (a > 0) worst = fmax(worst, (double)c->width * a * b / (n - 1));
    return 1.0 / (s * worst);
}

const char *cx_noc_flow_name(cx_noc_flow f)
{
    return f == CX_NOC_FLOW_DROP ? "drop" : "credit";
}

const char *cx_noc_mcast_name(cx_noc_mcast m)
{
    return m == CX_NOC_MCAST_SOURCE ? "source" : "tree";
}

const char *cx_noc_switching_name(cx_noc_switching s)
{
    return s == CX_NOC_CUT_THROUGH ? "cut-through" : "store-forward";
}

void cx_noc_chip_link_init(cx_noc_chip_link *l, double latency_ns, double bandwidth_gbps)
{
    l->latency_ns = latency_ns;
    l->bandwidth_gbps = bandwidth_gbps;
    l->busy_until_ns = 0;
    l->packets = 0;
    l->busy_ns = 0;
}

double cx_noc_chip_link_send(cx_noc_chip_link *l, double t_ns, int bits)
{
    double start = t_ns > l->busy_until_ns ? t_ns : l->busy_until_ns;
    double ser_ns = (double)bits / l->bandwidth_gbps;
    l->busy_until_ns = start + ser_ns;
    l->busy_ns += ser_ns;
    l->packets++;
    return start + ser_ns + l->latency_ns;
}

const char *cx_noc_buffering_name(cx_noc_buffering b)
{
    return b == CX_NOC_BUF_VOQ ? "voq" : "fifo";
}
