/* cortile noc: standalone network-on-chip studies on the router model. */
#define _POSIX_C_SOURCE 200809L
#include "cx_chip.h"
#include "cx_cli.h"
#include "cx_noc.h"
#include "cx_noc_sc.h"

#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Limits of one run: the latency histogram grows with the cycles a packet
 * can wait, the packet pool with the packets still queued. */
#define CX_NOC_CLI_MAX_CYCLES 1000000000ull /* --cycles */
#define CX_NOC_CLI_MAX_PACKETS 1e8          /* --rate x tiles x --cycles */

static const char help[] =
    "usage: cortile noc --traffic PATTERN [--rate R] --cycles N [options]\n"
    "\n"
    "Simulates the spike router mesh alone under synthetic or trace traffic and\n"
    "reports delivered packets, latency (router cycles, from generation at the\n"
    "source to the tail reaching the destination), throughput and link load.\n"
    "\n"
    "traffic:\n"
    "  --traffic uniform          destinations uniform over the other tiles\n"
    "  --traffic transpose        (x,y) -> (y,x); square mesh; diagonal tiles idle\n"
    "  --traffic hotspot[:X,Y[,F]]  a fraction F (default 0.2) to tile (X,Y)\n"
    "                             (default: the center), the rest uniform\n"
    "  --traffic multicast:K      every tile multicasts to its own fixed random\n"
    "                             set of K tiles\n"
    "  --traffic trace:FILE       packets from a CSV file, one 'cycle,src,dst' per\n"
    "                             line; src/dst a tile y*W+x or hK (host port K);\n"
    "                             'dst1;dst2;...' multicasts\n"
    "  --rate R                   packets per cycle per tile (Bernoulli), 0 < R <= 1\n"
    "                             (synthetic patterns only)\n"
    "  --cycles N                 router cycles to simulate (at most 1e9, and\n"
    "                             --rate x tiles x N at most 1e8 packets)\n"
    "  --warmup W                 latency, throughput and link load count from\n"
    "                             cycle W on (default 0)\n"
    "  --seed S                   random seed (default 1); one seed, one result\n"
    "\n"
    "router (defaults in parentheses):\n"
    "  --mesh WxH                 routers, one per tile (8x8)\n"
    "  --pipeline P               router pipeline cycles per hop (2)\n"
    "  --link-width B             link width in bits (32)\n"
    "  --packet-bits B            packet size, header + payload (32); a packet\n"
    "                             takes ceil(packet-bits / link-width) cycles per link\n"
    "  --buffer-depth D           input buffer depth in packets (4)\n"
    "  --buffers fifo|voq         one FIFO per input (head-of-line blocking), or\n"
    "                             virtual output queues sharing the input's slots\n"
    "                             (fifo)\n"
    "  --credit-delay C           cycles for a credit to return upstream (1)\n"
    "  --flow credit|drop         lossless back-pressure, or drop on a full buffer\n"
    "                             (credit)\n"
    "  --multicast tree|source    replicate in the routers or at the source (tree)\n"
    "  --switching store-forward|cut-through\n"
    "                             route a packet after its tail or its head arrived\n"
    "                             (store-forward)\n"
    "  --clock-mhz F              router clock, for the time in us (500)\n"
    "  --host X,Y                 a host I/O port at router (X,Y); repeatable, up to\n"
    "                             4 (one at 0,0)\n"
    "  --chip CHIP.yaml           take the mesh and every router setting above from a\n"
    "                             chip description (its router: section); flags given\n"
    "                             on the command line override it. Without --chip the\n"
    "                             router model's own defaults (in parentheses) apply.\n"
    "\n"
    "output:\n"
    "  --json                     print the report as JSON (with every link's load)\n"
    "  --svg FILE                 write a heat map of link utilization\n"
    "  --engine kernel|systemc    drive the event kernel directly or from the\n"
    "                             SystemC shell; same results (default: kernel)\n"
    "\n"
    "exit: 0 ok, 1 error, 2 usage\n";

/* The chip description's mesh and router section as a router config. */
static cx_status noc_config_from_chip(const char *path, cx_noc_config *out)
{
    cx_chip_config chip;
    CX_TRY(cx_chip_load(path, NULL, 0, &chip));
    cx_status st = cx_chip_noc_config(&chip, out);
    cx_chip_free(&chip);
    return st == CX_OK ? st : cx_fail_context(st, "%s", path);
}

typedef struct {
    cx_noc_config cfg;
    cx_noc_traffic traffic;
    const char *pattern_text, *trace, *svg;
    uint64_t cycles, warmup;
    int json, systemc, have_rate, have_cycles, hosts_set;
} noc_opts;

/* A part of a compound option (--mesh WxH, --traffic multicast:K); the
 * caller names the option in its usage error. */
static int parse_int(const char *s, long lo, long hi, int *out)
{
    long v;
    if (cx_cli_parse_long(s, &v) || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int parse_pair(const char *s, char sep, int *a, int *b)
{
    char buf[64];
    const char *mid = strchr(s, sep);
    size_t n = mid ? (size_t)(mid - s) : 0;
    if (!mid || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    /* the router checks the values against the mesh */
    return parse_int(buf, INT_MIN, INT_MAX, a) || parse_int(mid + 1, INT_MIN, INT_MAX, b) ? -1 : 0;
}

static int parse_traffic(noc_opts *o, const char *spec)
{
    cx_noc_traffic *t = &o->traffic;
    o->pattern_text = spec;
    t->hotspot_x = t->hotspot_y = -1;
    t->hotspot_fraction = 0.2;
    if (!strcmp(spec, "uniform")) {
        t->pattern = CX_NOC_TRAFFIC_UNIFORM;
    } else if (!strcmp(spec, "transpose")) {
        t->pattern = CX_NOC_TRAFFIC_TRANSPOSE;
    } else if (!strncmp(spec, "hotspot", 7) && (spec[7] == '\0' || spec[7] == ':')) {
        t->pattern = CX_NOC_TRAFFIC_HOTSPOT;
        if (spec[7] == ':') {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", spec + 8);
            char *comma2 = strchr(buf, ',');
            if (comma2) comma2 = strchr(comma2 + 1, ',');
            if (comma2) {
                *comma2 = '\0';
                if (cx_cli_parse_double(comma2 + 1, &t->hotspot_fraction)) return -1;
            }
            if (parse_pair(buf, ',', &t->hotspot_x, &t->hotspot_y)) return -1;
        }
    } else if (!strncmp(spec, "multicast:", 10)) {
        t->pattern = CX_NOC_TRAFFIC_MULTICAST;
        if (parse_int(spec + 10, 1, 1 << 20, &t->fanout)) return -1;
    } else if (!strncmp(spec, "trace:", 6) && spec[6]) {
        t->pattern = CX_NOC_TRAFFIC_NONE;
        o->trace = spec + 6;
    } else {
        return -1;
    }
    return 0;
}

static void print_text(const noc_opts *o, cx_noc *noc, uint64_t queued, double wall)
{
    const cx_noc_config *c = &o->cfg;
    const cx_noc_stats *s = cx_noc_get_stats(noc);
    cJSON *rep = cx_noc_report_json(noc, o->cycles, 0);
    printf("noc %dx%d, traffic %s", c->width, c->height, o->pattern_text);
    if (o->have_rate) printf(" at %g packets/cycle/tile", o->traffic.rate);
    printf(", %llu cycles (warmup %llu), seed %llu\n", (unsigned long long)o->cycles,
           (unsigned long long)o->warmup, (unsigned long long)o->traffic.seed);
    printf("router: %s, %s, %s multicast, pipeline %d, %d-bit packets on %d-bit links (%d "
           "cycles), %s buffers of %d packets\n",
           cx_noc_switching_name(c->switching), cx_noc_flow_name(c->flow),
           cx_noc_mcast_name(c->multicast), c->pipeline_cycles, c->packet_bits, c->link_width_bits,
           cx_noc_serialization_cycles(c), cx_noc_buffering_name(c->buffering),
           c->buffer_depth_packets);
    printf("packets: generated %llu, injected %llu, replicated %llu, delivered %llu, dropped "
           "%llu, in flight %llu, queued at sources %llu\n",
           (unsigned long long)s->packets_generated, (unsigned long long)s->packets_injected,
           (unsigned long long)s->packets_replicated, (unsigned long long)s->packets_delivered,
           (unsigned long long)s->packets_dropped, (unsigned long long)s->packets_in_flight,
           (unsigned long long)queued);
    printf("latency (cycles): mean %.2f, p50 %g, p99 %g, max %g\n",
           cJSON_GetObjectItem(rep, "latency_mean")->valuedouble,
           cJSON_GetObjectItem(rep, "latency_p50")->valuedouble,
           cJSON_GetObjectItem(rep, "latency_p99")->valuedouble,
           cJSON_GetObjectItem(rep, "latency_max")->valuedouble);
    printf("throughput: %.5f packets/cycle/tile",
           cJSON_GetObjectItem(rep, "throughput")->valuedouble);
    if (o->traffic.pattern == CX_NOC_TRAFFIC_UNIFORM)
        printf(" (uniform bisection bound %.5f)", cx_noc_uniform_bound(c));
    printf("\nlinks: utilization max %.3f, mean %.3f; %llu link traversals; energy %.1f pJ\n",
           cJSON_GetObjectItem(rep, "link_utilization_max")->valuedouble,
           cJSON_GetObjectItem(rep, "link_utilization_mean")->valuedouble,
           (unsigned long long)s->link_traversals, s->energy_pj);
    printf("engine %s: %.3f s wall, %.0f simulated cycles/s\n", o->systemc ? "systemc" : "kernel", wall,
           wall > 0 ? (double)o->cycles / wall : 0);
    cJSON_Delete(rep);
}

int cx_cmd_noc(int argc, char **argv)
{
    enum {
        O_MESH = 256,
        O_TRAFFIC,
        O_RATE,
        O_CYCLES,
        O_WARMUP,
        O_SEED,
        O_JSON,
        O_SVG,
        O_ENGINE,
        O_PIPE,
        O_LINK,
        O_PKT,
        O_DEPTH,
        O_CREDIT,
        O_FLOW,
        O_MCAST,
        O_SWITCH,
        O_CLOCK,
        O_HOST,
        O_BUFFERS,
        O_CHIP
    };
    static const struct option opts[] = {{"mesh", required_argument, 0, O_MESH},
                                         {"traffic", required_argument, 0, O_TRAFFIC},
                                         {"rate", required_argument, 0, O_RATE},
                                         {"cycles", required_argument, 0, O_CYCLES},
                                         {"warmup", required_argument, 0, O_WARMUP},
                                         {"seed", required_argument, 0, O_SEED},
                                         {"json", no_argument, 0, O_JSON},
                                         {"svg", required_argument, 0, O_SVG},
                                         {"engine", required_argument, 0, O_ENGINE},
                                         {"pipeline", required_argument, 0, O_PIPE},
                                         {"link-width", required_argument, 0, O_LINK},
                                         {"packet-bits", required_argument, 0, O_PKT},
                                         {"buffer-depth", required_argument, 0, O_DEPTH},
                                         {"credit-delay", required_argument, 0, O_CREDIT},
                                         {"flow", required_argument, 0, O_FLOW},
                                         {"multicast", required_argument, 0, O_MCAST},
                                         {"switching", required_argument, 0, O_SWITCH},
                                         {"clock-mhz", required_argument, 0, O_CLOCK},
                                         {"host", required_argument, 0, O_HOST},
                                         {"buffers", required_argument, 0, O_BUFFERS},
                                         {"chip", required_argument, 0, O_CHIP},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    noc_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = cx_noc_config_default();
    /* the chip file first, so that explicit flags override it wherever they stand */
    for (int i = 1; i < argc; i++) {
        const char *chip = NULL;
        if (!strcmp(argv[i], "--chip") && i + 1 < argc) chip = argv[i + 1];
        if (!strncmp(argv[i], "--chip=", 7)) chip = argv[i] + 7;
        if (chip && noc_config_from_chip(chip, &o.cfg) != CX_OK)
            return cx_cli_error("noc", CX_ERR_VALUE);
    }
    o.traffic.seed = 1;
    int c, have_traffic = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case O_CHIP:
            break; /* applied before the other flags */
        case O_MESH:
            if (parse_pair(a, 'x', &o.cfg.width, &o.cfg.height))
                return cx_cli_usage("noc", "--mesh needs WxH, e.g. 8x8, got '%s'", a);
            break;
        case O_TRAFFIC:
            if (parse_traffic(&o, a))
                return cx_cli_usage("noc",
                                    "--traffic needs uniform, transpose, hotspot[:X,Y[,F]], "
                                    "multicast:K or trace:FILE, got '%s'",
                                    a);
            have_traffic = 1;
            break;
        case O_RATE:
            /* the router checks (0, 1] against its traffic */
            if (cx_cli_opt_double("noc", "--rate", a, -DBL_MAX, 0, DBL_MAX, &o.traffic.rate))
                return 2;
            o.have_rate = 1;
            break;
        case O_CYCLES:
            if (cx_cli_opt_u64("noc", "--cycles", a, 1, CX_NOC_CLI_MAX_CYCLES, &o.cycles)) return 2;
            o.have_cycles = 1;
            break;
        case O_WARMUP:
            if (cx_cli_opt_u64("noc", "--warmup", a, 0, CX_NOC_CLI_MAX_CYCLES, &o.warmup)) return 2;
            break;
        case O_SEED:
            if (cx_cli_opt_u64("noc", "--seed", a, 0, UINT64_MAX, &o.traffic.seed)) return 2;
            break;
        case O_JSON:
            o.json = 1;
            break;
        case O_SVG:
            o.svg = a;
            break;
        case O_ENGINE: /* "c" is the old name of the kernel engine */
            if (strcmp(a, "kernel") && strcmp(a, "c") && strcmp(a, "systemc"))
                return cx_cli_usage("noc", "--engine needs kernel or systemc, got '%s'", a);
            o.systemc = !strcmp(a, "systemc");
            break;
        case O_PIPE:
        case O_LINK:
        case O_PKT:
        case O_DEPTH:
        case O_CREDIT: {
            int *field = c == O_PIPE    ? &o.cfg.pipeline_cycles
                         : c == O_LINK  ? &o.cfg.link_width_bits
                         : c == O_PKT   ? &o.cfg.packet_bits
                         : c == O_DEPTH ? &o.cfg.buffer_depth_packets
                                        : &o.cfg.credit_delay_cycles;
            char opt[32];
            long v;
            snprintf(opt, sizeof opt, "--%s", opts[c - O_MESH].name);
            /* the router's config check gives each its own range */
            if (cx_cli_opt_long("noc", opt, a, -1000000, 1000000, &v)) return 2;
            *field = (int)v;
            break;
        }
        case O_FLOW:
            if (!strcmp(a, "credit"))
                o.cfg.flow = CX_NOC_FLOW_CREDIT;
            else if (!strcmp(a, "drop"))
                o.cfg.flow = CX_NOC_FLOW_DROP;
            else
                return cx_cli_usage("noc", "--flow needs credit or drop, got '%s'", a);
            break;
        case O_MCAST:
            if (!strcmp(a, "tree"))
                o.cfg.multicast = CX_NOC_MCAST_TREE;
            else if (!strcmp(a, "source"))
                o.cfg.multicast = CX_NOC_MCAST_SOURCE;
            else
                return cx_cli_usage("noc", "--multicast needs tree or source, got '%s'", a);
            break;
        case O_SWITCH:
            if (!strcmp(a, "store-forward"))
                o.cfg.switching = CX_NOC_STORE_FORWARD;
            else if (!strcmp(a, "cut-through"))
                o.cfg.switching = CX_NOC_CUT_THROUGH;
            else
                return cx_cli_usage("noc",
                                    "--switching needs store-forward or cut-through, got '%s'", a);
            break;
        case O_CLOCK:
            if (cx_cli_opt_double("noc", "--clock-mhz", a, 0, 1, 1e6, &o.cfg.clock_mhz)) return 2;
            break;
        case O_HOST:
            if (!o.hosts_set) o.cfg.n_hosts = 0, o.hosts_set = 1;
            if (o.cfg.n_hosts == CX_NOC_MAX_HOSTS)
                return cx_cli_usage("noc", "at most %d --host ports", CX_NOC_MAX_HOSTS);
            if (parse_pair(a, ',', &o.cfg.host_x[o.cfg.n_hosts], &o.cfg.host_y[o.cfg.n_hosts]))
                return cx_cli_usage("noc", "--host needs X,Y, got '%s'", a);
            o.cfg.n_hosts++;
            break;
        case O_BUFFERS:
            if (!strcmp(a, "fifo"))
                o.cfg.buffering = CX_NOC_BUF_FIFO;
            else if (!strcmp(a, "voq"))
                o.cfg.buffering = CX_NOC_BUF_VOQ;
            else
                return cx_cli_usage("noc", "--buffers needs fifo or voq, got '%s'", a);
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cx_cli_usage("noc", "unknown option");
        }
    }
    if (optind < argc) return cx_cli_usage("noc", "unexpected argument '%s'", argv[optind]);
    if (!have_traffic) return cx_cli_usage("noc", "--traffic is required");
    if (!o.have_cycles) return cx_cli_usage("noc", "--cycles is required");
    if (o.trace && o.have_rate)
        return cx_cli_usage("noc", "--rate does not apply to trace traffic (the trace sets it)");
    if (!o.trace && !o.have_rate) return cx_cli_usage("noc", "--rate is required");
    if (o.warmup >= o.cycles) return cx_cli_usage("noc", "--warmup must be below --cycles");
    if (o.traffic.pattern == CX_NOC_TRAFFIC_HOTSPOT && o.traffic.hotspot_x < 0) {
        o.traffic.hotspot_x = o.cfg.width / 2;
        o.traffic.hotspot_y = o.cfg.height / 2;
    }
    o.traffic.end_cycle = o.cycles;
    double packets = o.traffic.rate * (double)o.cfg.width * (double)o.cfg.height * (double)o.cycles;
    if (!o.trace && packets > CX_NOC_CLI_MAX_PACKETS)
        return cx_cli_usage("noc",
                            "--cycles %llu at --rate %g on a %dx%d mesh generates %.3g packets, "
                            "at most %.0g",
                            (unsigned long long)o.cycles, o.traffic.rate, o.cfg.width, o.cfg.height,
                            packets, CX_NOC_CLI_MAX_PACKETS);

    cx_noc *noc = NULL;
    cx_status st = cx_noc_alloc(&o.cfg, &noc);
    if (st != CX_OK) return cx_cli_error("noc", st);
    cx_noc_set_window(noc, o.warmup);
    uint64_t traced = 0;
    st = o.trace ? cx_noc_load_trace(noc, o.trace, o.cycles, &traced)
                 : cx_noc_set_traffic(noc, &o.traffic);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (st == CX_OK) {
        if (o.systemc)
            st = cx_noc_run_systemc(noc, o.cycles);
        else
            cx_noc_run(noc, o.cycles);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (st == CX_OK && o.svg) st = cx_noc_write_svg(noc, o.cycles, o.svg);
    if (st != CX_OK) {
        cx_noc_free(noc);
        return cx_cli_error("noc", st);
    }
    uint64_t queued = cx_noc_source_backlog(noc, o.cycles);
    if (o.json) {
        cJSON *doc = cx_noc_report_json(noc, o.cycles, 1);
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "pattern", o.pattern_text);
        if (o.have_rate) cJSON_AddNumberToObject(t, "rate", o.traffic.rate);
        cJSON_AddNumberToObject(t, "seed", (double)o.traffic.seed);
        if (o.traffic.pattern == CX_NOC_TRAFFIC_UNIFORM)
            cJSON_AddNumberToObject(t, "uniform_bound", cx_noc_uniform_bound(&o.cfg));
        cJSON_AddItemToObjectCS(doc, "traffic", t);
        cJSON_AddNumberToObject(doc, "packets_queued", (double)queued);
        cJSON_AddStringToObject(doc, "engine", o.systemc ? "systemc" : "kernel");
        cJSON_AddNumberToObject(doc, "wall_seconds", wall);
        cJSON_AddNumberToObject(doc, "cycles_per_second", wall > 0 ? (double)o.cycles / wall : 0);
        cx_cli_print_json(doc);
    } else {
        print_text(&o, noc, queued, wall);
    }
    cx_noc_free(noc);
    return 0;
}
