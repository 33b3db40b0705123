/* cortile noc end to end: the report, every option's effect, usage errors. */
#include "test_util.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs `cortile noc ARGS --json`, checks exit 0 and returns the parsed report. */
static cJSON *run_json(const char *args)
{
    char cmd[2048], *out, *err;
    snprintf(cmd, sizeof cmd, "noc %s --json", args);
    int rc = cx_test_cli(cmd, &out, &err);
    ck_assert_msg(rc == 0, "cortile %s: exit %d, stderr: %s", cmd, rc, err);
    cJSON *doc = cJSON_Parse(out);
    ck_assert_msg(doc != NULL, "cortile %s: output is not JSON: %.200s", cmd, out);
    free(out);
    free(err);
    return doc;
}

static double num(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    ck_assert_msg(cJSON_IsNumber(v), "report lacks number '%s'", key);
    return v->valuedouble;
}

static double router_num(const cJSON *doc, const char *key)
{
    return num(cJSON_GetObjectItemCaseSensitive(doc, "router"), key);
}

static const char *router_str(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(doc, "router"), key);
    ck_assert(cJSON_IsString(v));
    return v->valuestring;
}

static void conserved(const cJSON *d)
{
    ck_assert(num(d, "packets_injected") + num(d, "packets_replicated") ==
              num(d, "packets_delivered") + num(d, "packets_dropped") +
                  num(d, "packets_in_flight"));
}

static char *write_trace(const char *name, const char *text)
{
    char *path = cx_test_tmp(name);
    cx_test_write(path, text, strlen(text));
    return path;
}

START_TEST(help_lists_every_option)
{
    char *out, *err;
    ck_assert_int_eq(cx_test_cli("noc --help", &out, &err), 0);
    const char *opts[] = {"--mesh",        "--traffic",      "--rate",      "--cycles",
                          "--warmup",      "--seed",         "--pipeline",  "--link-width",
                          "--packet-bits", "--buffer-depth", "--buffers",   "--credit-delay",
                          "--flow",        "--multicast",    "--switching", "--clock-mhz",
                          "--host",        "--json",         "--svg",       "--engine"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        ck_assert_msg(strstr(out, opts[i]), "help lacks %s", opts[i]);
    ck_assert_ptr_nonnull(strstr(out, "--chip CHIP.yaml"));
    free(out);
    free(err);
    ck_assert_int_eq(cx_test_cli("--help", &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "noc "));
    free(out);
}
END_TEST

START_TEST(report_has_the_required_fields)
{
    cJSON *d = run_json("--mesh 4x4 --traffic uniform --rate 0.05 --cycles 5000");
    const char *keys[] = {"cycles",          "packets_injected", "packets_delivered",
                          "packets_dropped", "latency_mean",     "latency_p50",
                          "latency_p99",     "latency_max",      "throughput",
                          "energy_pj",       "packets_queued",   "link_utilization_max"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        num(d, keys[i]);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "mesh")->valuestring, "4x4");
    ck_assert(num(d, "cycles") == 5000);
    conserved(d);
    ck_assert(num(d, "packets_dropped") == 0);
    /* Bernoulli 0.05 x 16 tiles x 5000 cycles: about 4000 packets */
    ck_assert(fabs(num(d, "packets_generated") - 4000) < 300);
    ck_assert(num(d, "latency_p50") <= num(d, "latency_p99"));
    ck_assert(num(d, "latency_p99") <= num(d, "latency_max"));
    ck_assert(fabs(num(d, "throughput") - 0.05) < 0.005);
    const cJSON *links = cJSON_GetObjectItem(d, "links");
    ck_assert_int_eq(cJSON_GetArraySize(links), 48); /* 2 directions x 2 x 4 x 3 */
    const cJSON *l;
    double packets = 0;
    cJSON_ArrayForEach(l, links)
    {
        ck_assert(num(l, "utilization") >= 0 && num(l, "utilization") <= 1);
        packets += num(l, "packets");
    }
    ck_assert(packets == num(d, "link_traversals"));
    cJSON *t = cJSON_GetObjectItem(d, "traffic");
    ck_assert_str_eq(cJSON_GetObjectItem(t, "pattern")->valuestring, "uniform");
    ck_assert(num(t, "uniform_bound") > 0.5); /* 4x4, S=1: 15 / (4 * 2 * 2) */
    cJSON_Delete(d);
}
END_TEST

START_TEST(text_output)
{
    char *out, *err;
    ck_assert_int_eq(
        cx_test_cli("noc --mesh 4x4 --traffic uniform --rate 0.05 --cycles 2000", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "latency (cycles): mean"));
    ck_assert_ptr_nonnull(strstr(out, "uniform bisection bound"));
    ck_assert_ptr_nonnull(strstr(out, "simulated cycles/s"));
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
}
END_TEST

/* Drops every field that depends on the wall clock or names the engine. */
static char *stable(cJSON *d)
{
    cJSON_DeleteItemFromObject(d, "wall_seconds");
    cJSON_DeleteItemFromObject(d, "cycles_per_second");
    cJSON_DeleteItemFromObject(d, "engine");
    char *s = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    return s;
}

START_TEST(systemc_engine_gives_identical_results)
{
    const char *cases[] = {
        "--traffic uniform --rate 0.02 --cycles 20000 --packet-bits 256 --warmup 1000",
        "--mesh 5x4 --traffic multicast:6 --rate 0.02 --cycles 5000 --flow drop --buffer-depth 1",
        "--mesh 4x4 --traffic hotspot --rate 0.3 --cycles 5000 --switching cut-through "
        "--buffers voq --packet-bits 100 --credit-delay 0"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[512];
        snprintf(args, sizeof args, "%s --engine kernel", cases[i]);
        char *a = stable(run_json(args));
        snprintf(args, sizeof args, "%s --engine systemc", cases[i]);
        char *b = stable(run_json(args));
        ck_assert_msg(!strcmp(a, b), "engines differ for %s", cases[i]);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(seed_sets_the_streams)
{
    const char *base = "--mesh 4x4 --traffic uniform --rate 0.1 --cycles 3000";
    char args[256];
    snprintf(args, sizeof args, "%s --seed 9", base);
    char *a = stable(run_json(args)), *b = stable(run_json(args));
    ck_assert_str_eq(a, b);
    snprintf(args, sizeof args, "%s --seed 10", base);
    char *c = stable(run_json(args));
    ck_assert_str_ne(a, c);
    free(a), free(b), free(c);
}
END_TEST

/* One packet through a trace: the latency shows pipeline, widths, switching. */
START_TEST(router_timing_options)
{
    char *trace = write_trace("one.csv", "10,0,15\n"), args[512];
    const struct {
        const char *opts;
        double latency;
    } cases[] = {
        /* 6 hops; S = 1, P = 2 store-forward: 6 * 3 + (1 + 2 + 1) */
        {"", 22},
        /* P = 5, S = ceil(96 / 32) = 3: 6 * 8 + (3 + 5 + 3) */
        {"--pipeline 5 --packet-bits 96", 59},
        /* link 16 bits: S = 6: 6 * (2 + 6) + (6 + 2 + 6) */
        {"--packet-bits 96 --link-width 16", 62},
        /* cut-through: h = 1: 6 * 3 + (1 + 2 + 6) */
        {"--packet-bits 96 --link-width 16 --switching cut-through", 27},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "--mesh 4x4 --traffic trace:%s --cycles 200 %s", trace,
                 cases[i].opts);
        cJSON *d = run_json(args);
        ck_assert_msg(num(d, "latency_max") == cases[i].latency, "%s: latency %g, want %g",
                      cases[i].opts, num(d, "latency_max"), cases[i].latency);
        ck_assert(num(d, "packets_delivered") == 1);
        cJSON_Delete(d);
    }
    cJSON *d = run_json("--mesh 4x4 --traffic uniform --rate 0.1 --cycles 100 --pipeline 5 "
                        "--packet-bits 96 --link-width 16 --switching cut-through");
    ck_assert(router_num(d, "pipeline_cycles") == 5);
    ck_assert(router_num(d, "serialization_cycles") == 6);
    ck_assert_str_eq(router_str(d, "switching"), "cut-through");
    cJSON_Delete(d);
    free(trace);
}
END_TEST

static double saturated(const char *opts)
{
    char args[512];
    snprintf(args, sizeof args,
             "--mesh 4x4 --traffic uniform --rate 0.8 --cycles 6000 --warmup 1000 %s", opts);
    cJSON *d = run_json(args);
    double thr = num(d, "throughput");
    conserved(d);
    cJSON_Delete(d);
    return thr;
}

START_TEST(buffer_and_credit_options)
{
    double d4 = saturated(""), d1 = saturated("--buffer-depth 1");
    double slow = saturated("--credit-delay 6"), voq = saturated("--buffers voq --buffer-depth 8");
    double fifo8 = saturated("--buffer-depth 8");
    ck_assert_msg(d1 < d4, "depth 1 %g vs 4 %g", d1, d4);
    ck_assert_msg(slow < d4, "credit delay 6 %g vs 1 %g", slow, d4);
    ck_assert_msg(voq > fifo8, "voq %g vs fifo %g", voq, fifo8);
    cJSON *d = run_json("--mesh 4x4 --traffic uniform --rate 0.1 --cycles 100 --buffer-depth 7 "
                        "--credit-delay 3 --buffers voq");
    ck_assert(router_num(d, "buffer_depth_packets") == 7);
    ck_assert(router_num(d, "credit_delay_cycles") == 3);
    ck_assert_str_eq(router_str(d, "buffering"), "voq");
    ck_assert(num(d, "buffer_high_water_max") <= 7);
    cJSON_Delete(d);
}
END_TEST

START_TEST(flow_control_option)
{
    const char *base = "--mesh 4x4 --traffic hotspot --rate 0.5 --cycles 4000 --buffer-depth 2";
    char args[256];
    snprintf(args, sizeof args, "%s --flow drop", base);
    cJSON *drop = run_json(args);
    snprintf(args, sizeof args, "%s --flow credit", base);
    cJSON *credit = run_json(args);
    ck_assert(num(drop, "packets_dropped") > 100);
    ck_assert(num(credit, "packets_dropped") == 0);
    ck_assert(num(credit, "packets_queued") > 100);
    ck_assert_str_eq(router_str(drop, "flow"), "drop");
    conserved(drop);
    conserved(credit);
    cJSON_Delete(drop);
    cJSON_Delete(credit);
}
END_TEST

START_TEST(multicast_option)
{
    const char *base = "--traffic multicast:6 --rate 0.01 --cycles 5000";
    char args[256];
    snprintf(args, sizeof args, "%s --multicast tree", base);
    cJSON *tree = run_json(args);
    snprintf(args, sizeof args, "%s --multicast source", base);
    cJSON *src = run_json(args);
    /* same packets; source replication injects one copy per destination */
    ck_assert(num(tree, "packets_generated") == num(src, "packets_generated"));
    double g = num(tree, "packets_generated");
    ck_assert(num(src, "packets_injected") + 6 * num(src, "packets_in_flight") >= 6 * g - 6 * 64);
    ck_assert(num(tree, "packets_injected") <= g);
    ck_assert(num(tree, "link_traversals") < 0.8 * num(src, "link_traversals"));
    ck_assert(num(tree, "packets_replicated") > 0 && num(src, "packets_replicated") == 0);
    ck_assert_str_eq(router_str(src, "multicast"), "source");
    printf("multicast:6 on 8x8, 5000 cycles: link traversals tree %.0f, source %.0f\n",
           num(tree, "link_traversals"), num(src, "link_traversals"));
    cJSON_Delete(tree);
    cJSON_Delete(src);
}
END_TEST

START_TEST(traffic_patterns_and_hosts)
{
    /* transpose: tile 1 = (1,0) only talks to tile 4 = (0,1) */
    cJSON *d = run_json("--mesh 4x4 --traffic transpose --rate 0.05 --cycles 3000");
    ck_assert(num(d, "packets_delivered") > 0);
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(d, "links"))
    {
        /* XY from (x,y) to (y,x): no traffic crosses the diagonal southward east of it */
        const cJSON *from = cJSON_GetObjectItem(l, "from"), *to = cJSON_GetObjectItem(l, "to");
        int fx = cJSON_GetArrayItem(from, 0)->valueint, fy = cJSON_GetArrayItem(from, 1)->valueint;
        int ty = cJSON_GetArrayItem(to, 1)->valueint;
        if (ty > fy && fx > fy) ck_assert(num(l, "packets") == 0);
    }
    cJSON_Delete(d);
    /* hotspot at (1,1) with 60%: the busiest link ends there */
    d = run_json("--mesh 4x4 --traffic hotspot:1,1,0.6 --rate 0.05 --cycles 5000");
    double best = -1;
    int bx = -1, by = -1;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(d, "links"))
    {
        if (num(l, "packets") > best) {
            best = num(l, "packets");
            const cJSON *to = cJSON_GetObjectItem(l, "to");
            bx = cJSON_GetArrayItem(to, 0)->valueint;
            by = cJSON_GetArrayItem(to, 1)->valueint;
        }
    }
    ck_assert_int_eq(bx, 1);
    ck_assert_int_eq(by, 1);
    cJSON_Delete(d);
    /* hosts: a trace from tile 0 to host port 0 at (3,3), and from host 1 */
    char *trace = write_trace("host.csv", "0,0,h0\n0,h1,15\n"), args[512];
    snprintf(args, sizeof args, "--mesh 4x4 --traffic trace:%s --cycles 100 --host 3,3 --host 1,0",
             trace);
    d = run_json(args);
    const cJSON *hosts = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "router"), "host_ports");
    ck_assert_int_eq(cJSON_GetArraySize(hosts), 2);
    ck_assert_int_eq(cJSON_GetArrayItem(cJSON_GetArrayItem(hosts, 0), 0)->valueint, 3);
    ck_assert(num(d, "packets_delivered") == 2);
    ck_assert(num(d, "latency_max") == 6 * 3 + 4); /* (0,0) -> (3,3): 6 hops */
    ck_assert(num(d, "latency_p50") == 5 * 3 + 4); /* (1,0) -> (3,3): 5 hops */
    cJSON_Delete(d);
    free(trace);
}
END_TEST

START_TEST(time_window_and_clock)
{
    cJSON *d = run_json("--mesh 4x4 --traffic uniform --rate 0.05 --cycles 4000 --warmup 3000 "
                        "--clock-mhz 250");
    ck_assert(num(d, "warmup_cycles") == 3000);
    ck_assert(num(d, "window_delivered") < 0.4 * num(d, "packets_delivered"));
    ck_assert(num(d, "time_us") == 16.0);
    ck_assert(router_num(d, "clock_mhz") == 250);
    cJSON_Delete(d);
}
END_TEST

START_TEST(svg_heat_map)
{
    char *svg = cx_test_tmp("heat.svg"), args[512], *out, *err;
    snprintf(args, sizeof args,
             "noc --mesh 3x2 --traffic uniform --rate 0.2 --cycles 2000 --svg '%s'", svg);
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 0);
    FILE *fp = fopen(svg, "r");
    ck_assert_ptr_nonnull(fp);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    ck_assert_ptr_eq(strstr(buf, "<?xml"), buf);
    ck_assert_ptr_nonnull(strstr(buf, "</svg>\n"));
    int lines = 0, rects = 0;
    for (const char *p = buf; (p = strstr(p, "<line ")); p++)
        lines++;
    for (const char *p = buf; (p = strstr(p, "<rect x=")); p++)
        rects++;
    ck_assert_int_eq(lines, 14);    /* 3x2 mesh: 7 links, both directions */
    ck_assert_int_eq(rects, 6 + 1); /* routers and the legend */
    free(out), free(err);
    snprintf(args, sizeof args,
             "noc --mesh 3x2 --traffic uniform --rate 0.2 --cycles 20 --svg /nonexistent/x.svg");
    ck_assert_int_eq(cx_test_cli(args, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "cannot write /nonexistent/x.svg"));
    free(out), free(err), free(svg);
}
END_TEST

START_TEST(usage_and_config_errors)
{
    const struct {
        const char *args, *msg;
        int rc;
    } cases[] = {
        {"noc --rate 0.1 --cycles 10", "--traffic is required", 2},
        {"noc --traffic uniform --cycles 10", "--rate is required", 2},
        {"noc --traffic uniform --rate 0.1", "--cycles is required", 2},
        {"noc --traffic trace:x.csv --rate 0.1 --cycles 10", "--rate does not apply", 2},
        {"noc --traffic bogus --rate 0.1 --cycles 10", "--traffic needs", 2},
        {"noc --traffic uniform --rate 0.1 --cycles 10 --mesh 8", "--mesh needs WxH", 2},
        {"noc --traffic uniform --rate 0.1 --cycles 10 --flow maybe", "--flow needs", 2},
        {"noc --traffic uniform --rate 0.1 --cycles 10 --engine java", "--engine needs", 2},
        {"noc --traffic uniform --rate 0.1 --cycles 10 --buffers lifo", "--buffers needs", 2},
        {"noc --traffic uniform --rate 0.1 --cycles 10 --warmup 10", "--warmup must be below", 2},
        {"noc --traffic uniform --rate 0.1 --cycles 10 --chip a.yaml", "a.yaml: cannot open", 1},
        {"noc --traffic uniform --rate 0.1 --cycles 10 --buffer-depth 0",
         "buffer_depth_packets must be 1..4096, got 0", 1},
        {"noc --traffic uniform --rate 0.1 --cycles 10 --host 9,9",
         "host port 0 at (9, 9) is outside the 8x8 mesh", 1},
        {"noc --traffic uniform --rate 2 --cycles 10", "rate must be in (0, 1]", 1},
        {"noc --traffic trace:/nonexistent.csv --cycles 10", "cannot open trace", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int rc = cx_test_cli(cases[i].args, &out, &err);
        ck_assert_msg(rc == cases[i].rc, "%s: exit %d, want %d", cases[i].args, rc, cases[i].rc);
        ck_assert_msg(strstr(err, cases[i].msg), "%s: stderr '%s' lacks '%s'", cases[i].args, err,
                      cases[i].msg);
        free(out), free(err);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("noc_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, help_lists_every_option);
    tcase_add_test(tc, report_has_the_required_fields);
    tcase_add_test(tc, text_output);
    tcase_add_test(tc, systemc_engine_gives_identical_results);
    tcase_add_test(tc, seed_sets_the_streams);
    tcase_add_test(tc, router_timing_options);
    tcase_add_test(tc, buffer_and_credit_options);
    tcase_add_test(tc, flow_control_option);
    tcase_add_test(tc, multicast_option);
    tcase_add_test(tc, traffic_patterns_and_hosts);
    tcase_add_test(tc, time_window_and_clock);
    tcase_add_test(tc, svg_heat_map);
    tcase_add_test(tc, usage_and_config_errors);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
