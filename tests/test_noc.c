/* Router kernel: exact zero-load latency, multicast delivery, flow-control
 * conservation, deadlock freedom, saturation vs the bisection bound,
 * determinism, late spikes, inter-chip links, routing tables, traces. */
#include "cx_noc.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct {
    int endpoints;
    uint64_t n;
    uint64_t *count;   /* [key_index * endpoints + endpoint] deliveries */
    uint64_t *latency; /* [key_index]: latency of the last delivery */
    uint32_t key0;
    int nkeys;
    int bad; /* deliveries with an unexpected key or a nonzero tag */
} sink_log;

static void log_sink(void *ctx, int e, uint32_t key, int src, uint64_t gen, uint64_t arrival,
                     uint64_t tag)
{
    sink_log *l = ctx;
    l->n++;
    uint32_t k = key - l->key0;                /* wraps for keys below key0 */
    if (k >= (uint32_t)l->nkeys || tag != 0) { /* these tests inject tag 0, as synthetic traffic */
        l->bad++;
        return;
    }
    l->count[(size_t)k * (size_t)l->endpoints + (size_t)e]++;
    l->latency[k] = arrival - gen;
}

static sink_log *log_alloc(int endpoints, uint32_t key0, int nkeys)
{
    sink_log *l = calloc(1, sizeof *l);
    l->endpoints = endpoints;
    l->key0 = key0;
    l->nkeys = nkeys;
    l->count = calloc((size_t)nkeys * (size_t)endpoints, sizeof *l->count);
    l->latency = calloc((size_t)nkeys, sizeof *l->latency);
    return l;
}

static void log_free(sink_log *l)
{
    free(l->count);
    free(l->latency);
    free(l);
}

static cx_noc *make(const cx_noc_config *cfg)
{
    cx_noc *n = NULL;
    ck_assert_int_eq(cx_noc_alloc(cfg, &n), CX_OK);
    return n;
}

static void drain(cx_noc *n)
{
    cx_noc_run(n, CX_NOC_NEVER);
}

static void check_conservation(const cx_noc_stats *s)
{
    ck_assert_uint_eq(s->packets_injected + s->packets_replicated,
                      s->packets_delivered + s->packets_dropped + s->packets_in_flight);
}

/* ---- configuration ---- */

#define EXPECT_BAD(field_stmt, text)                                                               \
    do {                                                                                           \
        cx_noc_config c_ = cx_noc_config_default();                                                \
        cx_noc_config *x = &c_;                                                                    \
        field_stmt;                                                                                \
        ck_assert_int_eq(cx_noc_config_check(x), CX_ERR_VALUE);                                    \
        ck_assert_msg(strstr(cx_last_error(), text), "message '%s' lacks '%s'", cx_last_error(),   \
                      text);                                                                       \
        cx_noc *n_ = NULL;                                                                         \
        ck_assert_int_eq(cx_noc_alloc(x, &n_), CX_ERR_VALUE);                                      \
        ck_assert_ptr_null(n_);                                                                    \
    } while (0)

START_TEST(config_defaults_and_validation)
{
    cx_noc_config c = cx_noc_config_default();
    ck_assert_int_eq(cx_noc_config_check(&c), CX_OK);
    ck_assert_int_eq(c.width, 8);
    ck_assert_int_eq(cx_noc_serialization_cycles(&c), 1);
    c.packet_bits = 256;
    ck_assert_int_eq(cx_noc_serialization_cycles(&c), 8);
    c.packet_bits = 257;
    ck_assert_int_eq(cx_noc_serialization_cycles(&c), 9);
    ck_assert_int_eq(cx_noc_head_cycles(&c), 9);
    c.switching = CX_NOC_CUT_THROUGH;
    ck_assert_int_eq(cx_noc_head_cycles(&c), 1);
    EXPECT_BAD(x->width = 0, "mesh width must be 1..1024, got 0");
    EXPECT_BAD(x->height = -3, "mesh height");
    EXPECT_BAD(x->pipeline_cycles = -1, "pipeline_cycles must be 0..64, got -1");
    EXPECT_BAD(x->link_width_bits = 0, "link_width_bits");
    EXPECT_BAD(x->packet_bits = 0, "packet_bits");
    EXPECT_BAD(x->buffer_depth_packets = 0, "buffer_depth_packets must be 1..4096, got 0");
    EXPECT_BAD(x->credit_delay_cycles = 100, "credit_delay_cycles");
    EXPECT_BAD(x->clock_mhz = 0, "clock_mhz must be > 0");
    EXPECT_BAD(x->flow = (cx_noc_flow)7, "unknown flow control 7");
    EXPECT_BAD(x->multicast = (cx_noc_mcast)7, "unknown multicast mode 7");
    EXPECT_BAD(x->switching = (cx_noc_switching)7, "unknown switching 7");
    EXPECT_BAD(x->buffering = (cx_noc_buffering)7, "unknown buffering 7");
    EXPECT_BAD(x->energy_per_hop_pj = -1, "energy_per_hop_pj must be >= 0");
    EXPECT_BAD(x->chip_link_bandwidth_gbps = 0, "chip_link_bandwidth_gbps must be > 0");
    EXPECT_BAD(x->host_x[0] = 8, "host port 0 at (8, 0) is outside the 8x8 mesh");
    EXPECT_BAD((x->n_hosts = 2, x->host_x[1] = 0, x->host_y[1] = 0),
               "host ports 0 and 1 are both at router (0, 0)");
    EXPECT_BAD(x->n_hosts = 9, "number of host ports must be 0..4");
}
END_TEST

/* Every source/destination pair alone in the network: latency is exactly
 * hops * (P + h) + (h + P + S), h = S (store-and-forward) or 1 (cut-through). */
static void zero_load_all_pairs(int w, int h, int pipeline, int packet_bits, int link_bits,
                                cx_noc_switching sw, cx_noc_buffering buf)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = w, c.height = h, c.pipeline_cycles = pipeline;
    c.packet_bits = packet_bits, c.link_width_bits = link_bits;
    c.switching = sw, c.buffering = buf;
    c.n_hosts = 2, c.host_x[1] = w - 1, c.host_y[1] = h / 2;
    cx_noc *n = make(&c);
    int ne = cx_noc_endpoints(n);
    uint64_t S = (uint64_t)cx_noc_serialization_cycles(&c);
    uint64_t hd = sw == CX_NOC_CUT_THROUGH ? 1 : S, P = (uint64_t)pipeline;
    sink_log *l = log_alloc(ne, 0, ne * ne);
    cx_noc_set_sink(n, log_sink, l);
    uint64_t t = 0;
    for (int src = 0; src < ne; src++)
        for (int dst = 0; dst < ne; dst++) {
            ck_assert_int_eq(
                cx_noc_inject(n, t, src, dst, (uint32_t)(src * ne + dst), CX_NOC_NO_DEADLINE, 0),
                CX_OK);
            drain(n); /* alone in the network */
            t = cx_noc_get_stats(n)->now + 1;
        }
    for (int src = 0; src < ne; src++)
        for (int dst = 0; dst < ne; dst++) {
            int sx, sy, dx, dy;
            sx = src < w * h ? src % w : c.host_x[src - w * h];
            sy = src < w * h ? src / w : c.host_y[src - w * h];
            dx = dst < w * h ? dst % w : c.host_x[dst - w * h];
            dy = dst < w * h ? dst / w : c.host_y[dst - w * h];
            uint64_t hops = (uint64_t)(abs(sx - dx) + abs(sy - dy));
            uint64_t want = hops * (P + hd) + hd + P + S;
            uint64_t k = (uint64_t)src * (uint64_t)ne + (uint64_t)dst;
            ck_assert_uint_eq(l->count[k * (uint64_t)ne + (uint64_t)dst], 1);
            ck_assert_msg(l->latency[k] == want,
                          "%dx%d P=%d S=%llu %s: %d->%d latency %llu, want %llu", w, h, pipeline,
                          (unsigned long long)S, cx_noc_switching_name(sw), src, dst,
                          (unsigned long long)l->latency[k], (unsigned long long)want);
            ck_assert_uint_eq(cx_noc_zero_load_latency(&c, src, dst), want);
        }
    const cx_noc_stats *s = cx_noc_get_stats(n);
    ck_assert_uint_eq(s->packets_delivered, (uint64_t)ne * (uint64_t)ne);
    ck_assert_uint_eq(s->packets_in_flight, 0);
    ck_assert_int_eq(l->bad, 0);
    log_free(l);
    cx_noc_free(n);
}

START_TEST(zero_load_latency_4x4)
{
    zero_load_all_pairs(4, 4, 2, 32, 32, CX_NOC_STORE_FORWARD, CX_NOC_BUF_FIFO);
    zero_load_all_pairs(4, 4, 3, 256, 32, CX_NOC_STORE_FORWARD, CX_NOC_BUF_FIFO);
    zero_load_all_pairs(4, 4, 0, 100, 16, CX_NOC_STORE_FORWARD, CX_NOC_BUF_VOQ);
    zero_load_all_pairs(4, 4, 1, 256, 32, CX_NOC_CUT_THROUGH, CX_NOC_BUF_FIFO);
    zero_load_all_pairs(4, 4, 0, 256, 32, CX_NOC_CUT_THROUGH, CX_NOC_BUF_VOQ);
}
END_TEST

START_TEST(zero_load_latency_8x8)
{
    zero_load_all_pairs(8, 8, 2, 32, 32, CX_NOC_STORE_FORWARD, CX_NOC_BUF_FIFO);
    zero_load_all_pairs(8, 8, 2, 256, 32, CX_NOC_STORE_FORWARD, CX_NOC_BUF_FIFO);
    zero_load_all_pairs(8, 8, 2, 256, 32, CX_NOC_CUT_THROUGH, CX_NOC_BUF_VOQ);
}
END_TEST

/* Two packets meet at one ejection port in the same cycle: one waits exactly S. */
START_TEST(contention_is_exact)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 3, c.height = 1, c.packet_bits = 128, c.n_hosts = 0; /* S = 4 */
    cx_noc *n = make(&c);
    sink_log *l = log_alloc(3, 0, 2);
    cx_noc_set_sink(n, log_sink, l);
    ck_assert_int_eq(cx_noc_inject(n, 10, 0, 1, 0, CX_NOC_NO_DEADLINE, 0), CX_OK);
    ck_assert_int_eq(cx_noc_inject(n, 10, 2, 1, 1, CX_NOC_NO_DEADLINE, 0), CX_OK);
    drain(n);
    uint64_t zl = cx_noc_zero_load_latency(&c, 0, 1), a = l->latency[0], b = l->latency[1];
    ck_assert_uint_eq(a < b ? a : b, zl);
    ck_assert_uint_eq(a < b ? b : a, zl + 4);
    /* Round robin: with both inputs backlogged the ejection port alternates. */
    for (uint64_t t = 100; t < 400; t++) {
        cx_noc_inject(n, t, 0, 1, 0, CX_NOC_NO_DEADLINE, 0);
        cx_noc_inject(n, t, 2, 1, 1, CX_NOC_NO_DEADLINE, 0);
    }
    uint64_t before0 = l->count[0 * 3 + 1], before1 = l->count[1 * 3 + 1];
    cx_noc_run(n, 1000);
    uint64_t got0 = l->count[0 * 3 + 1] - before0, got1 = l->count[1 * 3 + 1] - before1;
    ck_assert_uint_le(got0 > got1 ? got0 - got1 : got1 - got0, 1);
    ck_assert_uint_gt(got0, 100);
    log_free(l);
    cx_noc_free(n);
}
END_TEST

/* ---- multicast ---- */

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Links of the union of the XY paths (tree) and the sum of path lengths (source). */
static void expected_traversals(int w, int src, const int *d, int nd, uint64_t *tree,
                                uint64_t *source)
{
    static unsigned char used[64 * 64 * 4];
    memset(used, 0, sizeof used);
    for (int i = 0; i < nd; i++) {
        int node = src;
        while (node != d[i]) {
            int x = node % w, y = node / w, tx = d[i] % w, ty = d[i] / w, dir, next;
            if (tx > x)
                dir = 0, next = node + 1;
            else if (tx < x)
                dir = 1, next = node - 1;
            else if (ty > y)
                dir = 2, next = node + w;
            else
                dir = 3, next = node - w;
            (*source)++;
            if (!used[node * 4 + dir]) used[node * 4 + dir] = 1, (*tree)++;
            node = next;
        }
    }
}

static void multicast_property(cx_noc_mcast mode, uint64_t *traversals, uint64_t *want_tree,
                               uint64_t *want_source)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 6, c.height = 5, c.multicast = mode, c.n_hosts = 0, c.packet_bits = 64;
    cx_noc *n = make(&c);
    int ne = cx_noc_endpoints(n), nkeys = 200;
    sink_log *l = log_alloc(ne, 1000, nkeys);
    cx_noc_set_sink(n, log_sink, l);
    unsigned char *want = calloc((size_t)nkeys * (size_t)ne, 1);
    uint64_t s = 42, packets = 0;
    *want_tree = *want_source = 0;
    int dests[64];
    for (int k = 0; k < nkeys; k++) {
        int src = (int)(rng(&s) % (uint64_t)ne), nd = 1 + (int)(rng(&s) % (uint64_t)ne), m = 0;
        for (int d = 0; d < ne; d++) /* a random subset of size about nd, the source allowed */
            if (rng(&s) % (uint64_t)ne < (uint64_t)nd) dests[m++] = d;
        if (m == 0) dests[m++] = (src + 1) % ne;
        ck_assert_int_eq(cx_noc_set_route(n, 1000 + (uint32_t)k, src, dests, m), CX_OK);
        for (int i = 0; i < m; i++)
            want[(size_t)k * (size_t)ne + (size_t)dests[i]] = 1;
        int reps = 1 + (int)(rng(&s) % 3);
        for (int r = 0; r < reps; r++) {
            uint64_t t = (uint64_t)k * 3 + (uint64_t)r; /* overlapping: contention too */
            ck_assert_int_eq(
                cx_noc_inject(n, t, src, -1, 1000 + (uint32_t)k, CX_NOC_NO_DEADLINE, 0), CX_OK);
            expected_traversals(c.width, src, dests, m, want_tree, want_source);
            packets++;
        }
        for (int i = 0; i < m; i++)
            want[(size_t)k * (size_t)ne + (size_t)dests[i]] = (unsigned char)reps;
    }
    drain(n);
    const cx_noc_stats *st = cx_noc_get_stats(n);
    for (int k = 0; k < nkeys; k++)
        for (int e = 0; e < ne; e++)
            ck_assert_msg(l->count[(size_t)k * (size_t)ne + (size_t)e] ==
                              want[(size_t)k * (size_t)ne + (size_t)e],
                          "%s: key %d endpoint %d got %llu copies, want %d",
                          cx_noc_mcast_name(mode), k, e,
                          (unsigned long long)l->count[(size_t)k * (size_t)ne + (size_t)e],
                          want[(size_t)k * (size_t)ne + (size_t)e]);
    ck_assert_int_eq(l->bad, 0);
    ck_assert_uint_eq(st->packets_in_flight, 0);
    ck_assert_uint_eq(st->packets_generated, packets);
    check_conservation(st);
    *traversals = st->link_traversals;
    free(want);
    log_free(l);
    cx_noc_free(n);
}

START_TEST(multicast_exactly_one_copy)
{
    uint64_t tree, source, wt, ws, wt2, ws2;
    multicast_property(CX_NOC_MCAST_TREE, &tree, &wt, &ws);
    multicast_property(CX_NOC_MCAST_SOURCE, &source, &wt2, &ws2);
    ck_assert_uint_eq(tree, wt);    /* one traversal per link of the merged XY tree */
    ck_assert_uint_eq(source, ws2); /* one traversal per hop of every unicast copy */
    ck_assert_uint_lt(tree, source);
    printf("multicast link traversals: tree %llu, source %llu (%.2fx)\n", (unsigned long long)tree,
           (unsigned long long)source, (double)source / (double)tree);
}
END_TEST

/* Tags: every copy of a packet reaches the sink with the tag it was injected
 * with, whether routers (tree) or the source interface replicate it. */
enum { TAG_PACKETS = 3 };
static const uint64_t TAGS[TAG_PACKETS] = {0x8000000000000001ULL, 0x3fd7ae147ae147aeULL, 0};

typedef struct {
    int endpoints;
    uint64_t *count; /* [packet * endpoints + endpoint] */
    int bad;         /* deliveries with a tag that was never injected */
} tag_log;

static void tag_sink(void *ctx, int e, uint32_t key, int src, uint64_t gen, uint64_t arrival,
                     uint64_t tag)
{
    tag_log *l = ctx;
    for (int p = 0; p < TAG_PACKETS; p++) {
        if (tag == TAGS[p]) {
            l->count[(size_t)p * (size_t)l->endpoints + (size_t)e]++;
            return;
        }
    }
    l->bad++;
}

static void multicast_tags(cx_noc_mcast mode)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 4, c.height = 3, c.multicast = mode, c.buffer_depth_packets = 1;
    cx_noc *n = make(&c);
    int ne = cx_noc_endpoints(n), dests[16], nd = 0;
    for (int d = 0; d < ne; d++) /* every tile but one, the source itself and the host */
        if (d != 6) dests[nd++] = d;
    ck_assert_int_eq(cx_noc_set_route(n, 5, 4, dests, nd), CX_OK);
    tag_log l = {.endpoints = ne, .count = calloc((size_t)TAG_PACKETS * (size_t)ne, 8)};
    cx_noc_set_sink(n, tag_sink, &l);
    for (int p = 0; p < TAG_PACKETS; p++) /* back to back: copies of different packets overlap */
        ck_assert_int_eq(cx_noc_inject(n, 10, 4, -1, 5, CX_NOC_NO_DEADLINE, TAGS[p]), CX_OK);
    drain(n);
    ck_assert_int_eq(l.bad, 0);
    for (int p = 0; p < TAG_PACKETS; p++)
        for (int e = 0; e < ne; e++)
            ck_assert_msg(l.count[(size_t)p * (size_t)ne + (size_t)e] == (e != 6),
                          "%s: packet %d reached endpoint %d %llu times with its tag",
                          cx_noc_mcast_name(mode), p, e,
                          (unsigned long long)l.count[(size_t)p * (size_t)ne + (size_t)e]);
    ck_assert_uint_eq(cx_noc_get_stats(n)->packets_delivered, (uint64_t)(TAG_PACKETS * nd));
    free(l.count);
    cx_noc_free(n);
}

START_TEST(multicast_copies_carry_the_tag)
{
    multicast_tags(CX_NOC_MCAST_TREE);
    multicast_tags(CX_NOC_MCAST_SOURCE);
}
END_TEST

START_TEST(routing_table_is_the_xy_tree)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 3, c.height = 3, c.n_hosts = 1, c.host_x[0] = 2, c.host_y[0] = 2;
    cx_noc *n = make(&c);
    int d[3] = {2, 8, 9}; /* (2,0), (2,2) and the host at (2,2), from (0,0) */
    ck_assert_int_eq(cx_noc_set_route(n, 7, 0, d, 3), CX_OK);
    ck_assert_uint_eq(cx_noc_route_mask(n, 0, 7), 1u << CX_NOC_PORT_E);
    ck_assert_uint_eq(cx_noc_route_mask(n, 1, 7), 1u << CX_NOC_PORT_E);
    ck_assert_uint_eq(cx_noc_route_mask(n, 2, 7),
                      (1u << CX_NOC_PORT_LOCAL) | (1u << CX_NOC_PORT_S));
    ck_assert_uint_eq(cx_noc_route_mask(n, 5, 7), 1u << CX_NOC_PORT_S);
    ck_assert_uint_eq(cx_noc_route_mask(n, 8, 7),
                      (1u << CX_NOC_PORT_LOCAL) | (1u << CX_NOC_PORT_HOST));
    ck_assert_uint_eq(cx_noc_route_mask(n, 4, 7), 0);
    ck_assert_uint_eq(cx_noc_route_mask(n, 0, 8), 0);
    /* errors name the problem */
    ck_assert_int_eq(cx_noc_set_route(n, 7, 0, d, 1), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "route 7 is already installed"));
    int dup[2] = {3, 3};
    ck_assert_int_eq(cx_noc_set_route(n, 8, 0, dup, 2), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "lists destination 3 twice"));
    int far[1] = {10};
    ck_assert_int_eq(cx_noc_set_route(n, 8, 0, far, 1), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "destination 10 is not in 0..9"));
    ck_assert_int_eq(cx_noc_inject(n, 0, 0, -1, 99, CX_NOC_NO_DEADLINE, 0), CX_ERR_MISSING);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "no multicast route for key 99"));
    ck_assert_int_eq(cx_noc_inject(n, 0, 1, -1, 7, CX_NOC_NO_DEADLINE, 0), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "key 7 is routed from endpoint 0"));
    cx_noc_free(n);
}
END_TEST

/* ---- flow control ---- */

static cx_noc *overloaded(cx_noc_flow flow, uint64_t cycles)
{
    cx_noc_config c = cx_noc_config_default();
    c.packet_bits = 256; /* S = 8, the benchmark's packets */
    c.flow = flow;
    cx_noc *n = make(&c);
    cx_noc_traffic t = {.pattern = CX_NOC_TRAFFIC_UNIFORM,
                        .rate = 2 * cx_noc_uniform_bound(&c),
                        .seed = 7,
                        .end_cycle = cycles};
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_OK);
    cx_noc_run(n, cycles);
    return n;
}

START_TEST(credit_is_lossless_at_2x_saturation)
{
    cx_noc *n = overloaded(CX_NOC_FLOW_CREDIT, 100000);
    const cx_noc_stats *s = cx_noc_get_stats(n);
    ck_assert_uint_eq(s->packets_dropped, 0);
    ck_assert_uint_eq(s->packets_injected, s->packets_delivered + s->packets_in_flight);
    ck_assert_uint_gt(s->packets_delivered, 200000);
    /* the network holds at most one buffer of packets per input */
    ck_assert_uint_le(s->packets_in_flight, 64 * 6 * 4);
    for (int q = 0; q < 64 * 6; q++)
        ck_assert_int_le(s->in_high_water[q], 4);
    /* sources back up: generated = injected + queued at the interfaces */
    ck_assert_uint_gt(cx_noc_source_backlog(n, 100000), 100000);
    cx_noc_free(n);
}
END_TEST

START_TEST(drop_counts_exactly)
{
    cx_noc *n = overloaded(CX_NOC_FLOW_DROP, 100000);
    const cx_noc_stats *s = cx_noc_get_stats(n);
    ck_assert_uint_gt(s->packets_dropped, 1000);
    ck_assert_uint_eq(s->packets_injected,
                      s->packets_delivered + s->packets_dropped + s->packets_in_flight);
    uint64_t per_port = 0;
    for (int q = 0; q < 64 * 6; q++)
        per_port += s->in_drops[q];
    ck_assert_uint_eq(per_port, s->packets_dropped);
    /* nothing is lost silently after the sources stop either */
    drain(n);
    ck_assert_uint_eq(s->packets_in_flight, 0);
    ck_assert_uint_eq(s->packets_injected, s->packets_delivered + s->packets_dropped);
    cx_noc_free(n);
}
END_TEST

/* The sources' streams do not depend on the network: generated + backlog is
 * the same for a congested and an idle network. */
START_TEST(sources_are_independent_of_the_network)
{
    uint64_t total[2];
    for (int i = 0; i < 2; i++) {
        cx_noc_config c = cx_noc_config_default();
        c.packet_bits = i ? 32 : 512, c.buffer_depth_packets = i ? 8 : 1;
        cx_noc *n = make(&c);
        cx_noc_traffic t = {
            .pattern = CX_NOC_TRAFFIC_UNIFORM, .rate = 0.2, .seed = 3, .end_cycle = 20000};
        ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_OK);
        cx_noc_run(n, 20000);
        total[i] = cx_noc_get_stats(n)->packets_generated + cx_noc_source_backlog(n, 20000);
        if (i == 1) ck_assert_uint_eq(cx_noc_source_backlog(n, 20000), 0);
        cx_noc_free(n);
    }
    ck_assert_uint_eq(total[0], total[1]);
    /* Bernoulli at 0.2 over 64 x 20000 trials: mean 256000, sd 358 */
    ck_assert_uint_gt(total[0], 256000 - 2000);
    ck_assert_uint_lt(total[0], 256000 + 2000);
}
END_TEST

/* Adversarial patterns under credit flow: once the sources stop, everything
 * drains (a deadlock would leave packets in flight with no event pending). */
static void drains(cx_noc_config c, cx_noc_pattern p, double rate, double hot_fraction, int fanout)
{
    cx_noc *n = make(&c);
    cx_noc_traffic t = {.pattern = p,
                        .rate = rate,
                        .seed = 11,
                        .end_cycle = 3000,
                        .hotspot_x = 0,
                        .hotspot_y = c.height - 1,
                        .hotspot_fraction = hot_fraction,
                        .fanout = fanout};
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_OK);
    cx_noc_run(n, 3000);
    const cx_noc_stats *s = cx_noc_get_stats(n);
    /* really congested: the sources back up */
    ck_assert_uint_gt(cx_noc_source_backlog(n, 3000), 100);
    ck_assert_uint_gt(s->packets_in_flight, 0);
    drain(n);
    ck_assert_uint_eq(cx_noc_next_time(n), CX_NOC_NEVER);
    ck_assert_uint_eq(s->packets_in_flight, 0);
    ck_assert_uint_eq(cx_noc_source_backlog(n, CX_NOC_NEVER), 0);
    ck_assert_uint_eq(s->packets_dropped, 0);
    check_conservation(s);
    cx_noc_free(n);
}

START_TEST(xy_never_deadlocks)
{
    cx_noc_config c = cx_noc_config_default();
    c.buffer_depth_packets = 1;
    c.credit_delay_cycles = 3;
    drains(c, CX_NOC_TRAFFIC_TRANSPOSE, 0.3, 0, 0);
    drains(c, CX_NOC_TRAFFIC_HOTSPOT, 0.05, 1.0, 0); /* all to one corner */
    drains(c, CX_NOC_TRAFFIC_UNIFORM, 0.6, 0, 0);
    drains(c, CX_NOC_TRAFFIC_MULTICAST, 0.05, 0, 20); /* tree replication, held heads */
    c.switching = CX_NOC_CUT_THROUGH;
    c.buffering = CX_NOC_BUF_VOQ;
    c.packet_bits = 96;
    drains(c, CX_NOC_TRAFFIC_TRANSPOSE, 0.2, 0, 0);
    drains(c, CX_NOC_TRAFFIC_MULTICAST, 0.03, 0, 20);
    c.multicast = CX_NOC_MCAST_SOURCE;
    drains(c, CX_NOC_TRAFFIC_MULTICAST, 0.03, 0, 20);
}
END_TEST

/* ---- saturation ---- */

static double saturated_throughput(cx_noc_buffering buf, int depth, double *bound)
{
    cx_noc_config c = cx_noc_config_default();
    c.packet_bits = 256, c.buffering = buf, c.buffer_depth_packets = depth;
    *bound = cx_noc_uniform_bound(&c);
    cx_noc *n = make(&c);
    cx_noc_traffic t = {
        .pattern = CX_NOC_TRAFFIC_UNIFORM, .rate = 0.07, .seed = 1, .end_cycle = 40000};
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_OK);
    cx_noc_set_window(n, 10000);
    cx_noc_run(n, 40000);
    double thr = (double)cx_noc_get_stats(n)->window_delivered / (30000.0 * 64);
    cx_noc_free(n);
    return thr;
}

START_TEST(uniform_saturates_near_bisection_bound)
{
    cx_noc_config c = cx_noc_config_default();
    /* 8x8, S = 1: 63 / (8 * 4 * 4) packets/cycle/tile */
    ck_assert_double_eq_tol(cx_noc_uniform_bound(&c), 63.0 / 128.0, 1e-12);
    double bound, voq = saturated_throughput(CX_NOC_BUF_VOQ, 16, &bound);
    double fifo = saturated_throughput(CX_NOC_BUF_FIFO, 16, &bound);
    printf("uniform 8x8 saturation (S=8, 16-packet buffers, offered 0.07): bound %.5f, voq %.5f "
           "(%.1f%%), fifo %.5f (%.1f%%)\n",
           bound, voq, 100 * voq / bound, fifo, 100 * fifo / bound);
    ck_assert_double_le(voq, bound);
    ck_assert_double_ge(voq, 0.9 * bound);
    /* a FIFO input queue loses throughput to head-of-line blocking */
    ck_assert_double_lt(fifo, voq);
    ck_assert_double_ge(fifo, 0.7 * bound);
}
END_TEST

/* ---- reproducibility, late spikes, windows, energy ---- */

static void run_stats(uint64_t seed, cx_noc_stats *out, uint64_t **hist)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 5, c.height = 4, c.packet_bits = 80, c.buffer_depth_packets = 2;
    cx_noc *n = make(&c);
    cx_noc_traffic t = {.pattern = CX_NOC_TRAFFIC_HOTSPOT,
                        .rate = 0.05,
                        .seed = seed,
                        .end_cycle = 30000,
                        .hotspot_x = 2,
                        .hotspot_y = 1,
                        .hotspot_fraction = 0.3};
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_OK);
    cx_noc_run(n, 30000);
    *out = *cx_noc_get_stats(n);
    *hist = calloc(out->latency_hist_len + 1, sizeof **hist);
    memcpy(*hist, out->latency_hist, out->latency_hist_len * sizeof **hist);
    cx_noc_free(n);
}

START_TEST(same_seed_same_bits)
{
    cx_noc_stats a, b, d;
    uint64_t *ha, *hb, *hd;
    run_stats(5, &a, &ha);
    run_stats(5, &b, &hb);
    run_stats(6, &d, &hd);
    ck_assert_uint_eq(a.packets_delivered, b.packets_delivered);
    ck_assert_uint_eq(a.link_traversals, b.link_traversals);
    ck_assert(a.latency_sum == b.latency_sum);
    ck_assert_uint_eq(a.latency_hist_len, b.latency_hist_len);
    ck_assert_int_eq(memcmp(ha, hb, a.latency_hist_len * sizeof *ha), 0);
    ck_assert(a.latency_sum != d.latency_sum || a.packets_delivered != d.packets_delivered);
    free(ha), free(hb), free(hd);
}
END_TEST

START_TEST(late_spikes_are_counted)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 4, c.height = 1, c.n_hosts = 0;
    cx_noc *n = make(&c);
    uint64_t zl = cx_noc_zero_load_latency(&c, 0, 3);
    /* deadline: the boundary of the step that needs the spike */
    ck_assert_int_eq(cx_noc_inject(n, 0, 0, 3, 1, zl, 0), CX_OK);             /* exactly on time */
    ck_assert_int_eq(cx_noc_inject(n, 100, 0, 3, 1, 100 + zl - 1, 0), CX_OK); /* one cycle late */
    ck_assert_int_eq(cx_noc_inject(n, 200, 0, 3, 1, CX_NOC_NO_DEADLINE, 0), CX_OK);
    drain(n);
    const cx_noc_stats *s = cx_noc_get_stats(n);
    ck_assert_uint_eq(s->packets_delivered, 3);
    ck_assert_uint_eq(s->packets_late, 1);
    ck_assert_uint_eq(s->window_late, 1);
    ck_assert_int_eq(cx_noc_inject(n, 5, 0, 3, 1, CX_NOC_NO_DEADLINE, 0), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "in the past"));
    cx_noc_free(n);
}
END_TEST

START_TEST(window_latency_and_energy)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 4, c.height = 4, c.energy_per_hop_pj = 2.5, c.energy_per_injection_pj = 0.25;
    cx_noc *n = make(&c);
    cx_noc_set_window(n, 1000);
    ck_assert_int_eq(cx_noc_inject(n, 0, 0, 15, 1, CX_NOC_NO_DEADLINE, 0), CX_OK); /* before */
    ck_assert_int_eq(cx_noc_inject(n, 2000, 0, 5, 1, CX_NOC_NO_DEADLINE, 0), CX_OK);
    ck_assert_int_eq(cx_noc_inject(n, 3000, 3, 12, 1, CX_NOC_NO_DEADLINE, 0), CX_OK);
    drain(n);
    const cx_noc_stats *s = cx_noc_get_stats(n);
    ck_assert_uint_eq(s->packets_delivered, 3);
    ck_assert_uint_eq(s->window_delivered, 2);
    ck_assert_uint_eq(s->link_traversals, 6 + 2 + 6);
    ck_assert_double_eq_tol(s->energy_pj, 14 * 2.5 + 3 * 0.25, 1e-9);
    uint64_t l5 = cx_noc_zero_load_latency(&c, 0, 5), l12 = cx_noc_zero_load_latency(&c, 3, 12);
    ck_assert_uint_eq(s->latency_max, l12);
    ck_assert_double_eq_tol(s->latency_sum, (double)(l5 + l12), 1e-9);
    ck_assert_uint_eq(cx_noc_latency_quantile(n, 0.5), l5);
    ck_assert_uint_eq(cx_noc_latency_quantile(n, 0.99), l12);
    cJSON *rep = cx_noc_report_json(n, 4000, 1);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(rep, "latency_mean")->valuedouble,
                            (double)(l5 + l12) / 2, 1e-9);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "links")), 2 * 2 * 4 * 3);
    cJSON_Delete(rep);
    cx_noc_free(n);
}
END_TEST

/* ---- inter-chip links ---- */

START_TEST(chip_link_timing)
{
    cx_noc_chip_link l;
    cx_noc_chip_link_init(&l, 20.0, 10.0); /* 10 Gb/s: a 40-bit packet takes 4 ns */
    ck_assert_double_eq_tol(cx_noc_chip_link_send(&l, 100.0, 40), 124.0, 1e-12);
    /* back to back: the second waits for the first to serialize */
    ck_assert_double_eq_tol(cx_noc_chip_link_send(&l, 101.0, 40), 128.0, 1e-12);
    /* after a gap the link is idle again */
    ck_assert_double_eq_tol(cx_noc_chip_link_send(&l, 500.0, 80), 528.0, 1e-12);
    ck_assert_uint_eq(l.packets, 3);
    ck_assert_double_eq_tol(l.busy_ns, 16.0, 1e-12);
}
END_TEST

/* ---- traces ---- */

START_TEST(trace_files)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 4, c.height = 4;
    cx_noc *n = make(&c);
    char *path = cx_test_tmp("trace.csv");
    const char *text = "# cycle,src,dst\n0,0,15\n\n5,h0,3\n5,2,1;4;h0\n9,0,5\n99999,1,2\n";
    cx_test_write(path, text, strlen(text));
    uint64_t count = 0;
    ck_assert_int_eq(cx_noc_load_trace(n, path, 1000, &count), CX_OK);
    ck_assert_uint_eq(count, 4);
    int ne = cx_noc_endpoints(n);
    tag_log tl = {.endpoints = ne, .count = calloc((size_t)TAG_PACKETS * (size_t)ne, 8)};
    cx_noc_set_sink(n, tag_sink, &tl);
    drain(n);
    const cx_noc_stats *s = cx_noc_get_stats(n);
    ck_assert_uint_eq(s->packets_generated, 4);
    ck_assert_uint_eq(s->packets_delivered, 6);
    uint64_t zero_tags = 0; /* trace packets carry tag 0 (TAGS[2]) */
    for (int e = 0; e < ne; e++)
        zero_tags += tl.count[2 * (size_t)ne + (size_t)e];
    ck_assert_int_eq(tl.bad, 0);
    ck_assert_uint_eq(zero_tags, 6);
    free(tl.count);
    cx_noc_free(n);
    const struct {
        const char *text, *msg;
    } bad[] = {{"0,0\n", ":1: bad source"},
               {"x,0,1\n", ":1: expected 'cycle,src,dst'"},
               {"0,0,16\n", ":1: bad destination"},
               {"0,h1,3\n", ":1: bad source"},
               {"5,0,1\n3,0,2\n", ":2: router: packets of endpoint 0 must be queued in time order"},
               {"0,0,1 x\n", ":1: unexpected text"},
               {"0,0,1;1\n", "lists destination 1 twice"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cx_test_write(path, bad[i].text, strlen(bad[i].text));
        n = make(&c);
        ck_assert_int_ne(cx_noc_load_trace(n, path, 1000, &count), CX_OK);
        ck_assert_msg(strstr(cx_last_error(), bad[i].msg), "'%s' lacks '%s'", cx_last_error(),
                      bad[i].msg);
        cx_noc_free(n);
    }
    n = make(&c);
    ck_assert_int_eq(cx_noc_load_trace(n, "/nonexistent/t.csv", 10, &count), CX_ERR_IO);
    cx_noc_free(n);
    free(path);
}
END_TEST

START_TEST(traffic_validation)
{
    cx_noc_config c = cx_noc_config_default();
    c.width = 4, c.height = 3;
    cx_noc *n = make(&c);
    cx_noc_traffic t = {.pattern = CX_NOC_TRAFFIC_TRANSPOSE, .rate = 0.1, .end_cycle = 10};
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "transpose needs a square mesh, got 4x3"));
    t.pattern = CX_NOC_TRAFFIC_UNIFORM, t.rate = 1.5;
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "rate must be in (0, 1]"));
    t.pattern = CX_NOC_TRAFFIC_MULTICAST, t.rate = 0.1, t.fanout = 12;
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "fanout must be 1..11, got 12"));
    t.pattern = CX_NOC_TRAFFIC_HOTSPOT, t.hotspot_x = 4, t.hotspot_fraction = 0.5;
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_ERR_VALUE);
    ck_assert_ptr_nonnull(strstr(cx_last_error(), "hotspot (4, 0) must lie in the 4x3 mesh"));
    /* transpose: diagonal tiles are silent, the others send to their mirror */
    cx_noc_free(n);
    c.height = 4;
    n = make(&c);
    sink_log *l = log_alloc(cx_noc_endpoints(n), CX_NOC_UNICAST_KEY, 1);
    cx_noc_set_sink(n, log_sink, l);
    t = (cx_noc_traffic){.pattern = CX_NOC_TRAFFIC_TRANSPOSE, .rate = 0.2, .end_cycle = 5000};
    ck_assert_int_eq(cx_noc_set_traffic(n, &t), CX_OK);
    drain(n);
    ck_assert_int_eq(l->bad, 0); /* synthetic packets carry tag 0 */
    for (int e = 0; e < 16; e++) {
        int mirror = (e % 4) * 4 + e / 4;
        if (e == mirror)
            ck_assert_uint_eq(l->count[e], 0);
        else
            ck_assert_uint_gt(l->count[e], 500);
    }
    log_free(l);
    cx_noc_free(n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noc");
    TCase *tc = tcase_create("kernel");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, config_defaults_and_validation);
    tcase_add_test(tc, zero_load_latency_4x4);
    tcase_add_test(tc, zero_load_latency_8x8);
    tcase_add_test(tc, contention_is_exact);
    tcase_add_test(tc, multicast_exactly_one_copy);
    tcase_add_test(tc, multicast_copies_carry_the_tag);
    tcase_add_test(tc, routing_table_is_the_xy_tree);
    tcase_add_test(tc, credit_is_lossless_at_2x_saturation);
    tcase_add_test(tc, drop_counts_exactly);
    tcase_add_test(tc, sources_are_independent_of_the_network);
    tcase_add_test(tc, xy_never_deadlocks);
    tcase_add_test(tc, uniform_saturates_near_bisection_bound);
    tcase_add_test(tc, same_seed_same_bits);
    tcase_add_test(tc, late_spikes_are_counted);
    tcase_add_test(tc, window_latency_and_energy);
    tcase_add_test(tc, chip_link_timing);
    tcase_add_test(tc, trace_files);
    tcase_add_test(tc, traffic_validation);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
