/* Chip defects: the defects section (listed and drawn dead tiles and links,
 * stuck compartment slots, dead synapse entries, stuck crossbar cells) is
 * validated and mirrored; random maps are deterministic with the binomial
 * statistics of their rates; the router never lets a packet cross a dead
 * link (trees detour, XY wherever XY is intact; without route-around the
 * copies die and are counted); the compiler places around dead and cut-off
 * tiles and the tiles around stuck slots, dead entries and stuck cells, so a
 * defective ideal chip still computes the reference exactly; without
 * remapping the defects cost accuracy and are counted; a model that cannot
 * fit names the defects. */
#define _POSIX_C_SOURCE 200809L
#include "cx_chip.h"
#include "cx_fileio.h"
#include "cx_json.h"
#include "cx_noc.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *chip_path(const char *name)
{
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/configs/chips/%s.yaml", CX_SOURCE_DIR, name);
    return p;
}

static cx_status load(const char *const *sets, size_t n, cx_chip_config *cfg)
{
    char *path = chip_path("default");
    cx_status st = cx_chip_load(path, sets, n, cfg);
    free(path);
    return st;
}

START_TEST(section_parses_and_mirrors)
{
    const char *sets[] = {"defects.tiles=[{x: 1, y: 2}, {x: 3, y: 3}]",
                          "defects.links=[{x: 0, y: 0, dir: E}]", "defects.remap=false"};
    cx_chip_config c;
    ck_assert_msg(load(sets, 3, &c) == CX_OK, "%s", cx_last_error());
    ck_assert_uint_eq(c.defects.n_tiles, 2);
    ck_assert_int_eq(c.defects.tiles[1].x, 3);
    ck_assert_uint_eq(c.defects.n_links, 1);
    ck_assert_int_eq(c.defects.links[0].dir, CX_CHIP_DIR_E);
    ck_assert_int_eq(c.defects.remap, 0);
    ck_assert(cx_chip_has_defects(&c));
    cJSON *j = cx_chip_to_json(&c);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "defects"));
    ck_assert_str_eq(text, "{\"tiles\":[{\"x\":1,\"y\":2},{\"x\":3,\"y\":3}],\"links\":[{\"x\":0,"
                           "\"y\":0,\"dir\":\"E\"}],\"compartments\":[],\"synapses\":[],"
                           "\"cells\":[],\"random\":{\"seed\":0,\"tiles\":0,\"links\":0,"
                           "\"compartments\":0,\"synapses\":0,\"cells\":0},\"remap\":false}");
    free(text);
    cJSON_Delete(j);
    cx_chip_free(&c);
    /* the shipped default has the section, empty, and maps around defects */
    ck_assert_int_eq(load(NULL, 0, &c), CX_OK);
    ck_assert(!cx_chip_has_defects(&c));
    ck_assert_int_eq(c.defects.remap, 1);
    cx_chip_free(&c);
}
END_TEST

START_TEST(bad_sections_are_refused)
{
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"defects.tiles=[{x: 4, y: 0}]", "key 'defects.tiles[0].x': expected an integer in [0, 3]"},
        {"defects.tiles=[{x: 1, y: 1}, {x: 1, y: 1}]", "tile (1, 1) is listed twice"},
        {"defects.tiles=[{x: 1, z: 1}]", "unknown key 'z'"},
        {"defects.links=[{x: 3, y: 0, dir: E}]", "no link leaves (3, 0) towards E"},
        {"defects.links=[{x: 0, y: 0, dir: NE}]", "expected one of N, E, S, W, found 'NE'"},
        {"defects.random.tiles=1.5", "key 'defects.random.tiles'"},
        {"defects.random.seed=-1", "key 'defects.random.seed'"},
        {"defects.remap=maybe", "key 'defects.remap'"},
        {"defects.compartments=[{x: 0, y: 0, index: 256}]",
         "key 'defects.compartments[0].index': expected an integer in [0, 255]"},
        {"defects.compartments=[{x: 0, y: 0, index: 1}, {x: 0, y: 0, index: 1}]",
         "compartment 1 of tile (0, 0) is listed twice"},
        {"defects.synapses=[{x: 0, y: 0, entry: 8192}]", "key 'defects.synapses[0].entry'"},
        {"defects.cells=[{x: 0, y: 0, array: 8, row: 0, col: 0}]", "key 'defects.cells[0].array'"},
        {"defects.cells=[{x: 0, y: 0, array: 0, row: 0, col: 0, value: 2}]",
         "key 'defects.cells[0].value'"},
        {"defects.random.cells=-0.1", "key 'defects.random.cells'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cx_chip_config c;
        const char *sets[] = {cases[i].set};
        ck_assert_msg(load(sets, 1, &c) != CX_OK, "accepted %s", cases[i].set);
        ck_assert_msg(strstr(cx_last_error(), cases[i].want), "%s: '%s' lacks '%s'", cases[i].set,
                      cx_last_error(), cases[i].want);
        ck_assert_msg(strstr(cx_last_error(), "default.yaml") ||
                          strstr(cx_last_error(), "override"),
                      "no file named: %s", cx_last_error());
    }
}
END_TEST

START_TEST(tile_defect_lists)
{
    const char *sets[] = {"defects.compartments=[{x: 2, y: 1, index: 9, value: 0.25}]",
                          "defects.cells=[{x: 2, y: 1, array: 1, row: 3, col: 4, value: -1}]",
                          "defects.random.compartments=0.05", "defects.random.synapses=0.02",
                          "defects.random.seed=3"};
    cx_chip_config c;
    ck_assert_msg(load(sets, 5, &c) == CX_OK, "%s", cx_last_error());
    ck_assert(cx_chip_has_tile_defects(&c));
    size_t comps = 0, syns = 0;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) {
            cx_chip_tile_defect_list d, e;
            ck_assert_int_eq(cx_chip_tile_defects(&c, x, y, &d), CX_OK);
            ck_assert_int_eq(cx_chip_tile_defects(&c, x, y, &e), CX_OK);
            ck_assert(d.n_comps == e.n_comps && !memcmp(d.comp, e.comp, d.n_comps * 4));
            for (size_t k = 1; k < d.n_comps; k++)
                ck_assert_uint_lt(d.comp[k - 1], d.comp[k]); /* slot order, once each */
            if (x == 2 && y == 1) {
                int seen = 0;
                for (size_t k = 0; k < d.n_comps; k++)
                    if (d.comp[k] == 9) seen = 1, ck_assert(d.comp_value[k] == 0.25);
                ck_assert(seen);
                ck_assert_uint_eq(d.n_cells, 1);
                ck_assert_uint_eq(d.cell[0], (1 * 128 + 3) * 128 + 4);
                ck_assert(d.cell_value[0] == -1);
            }
            comps += d.n_comps, syns += d.n_synapses;
            cx_chip_tile_defects_free(&d);
            cx_chip_tile_defects_free(&e);
        }
    /* Binomial over 16 tiles x 256 slots and 16 x 8192 entries, within 5 sd */
    double nc = 16 * 256, ns = 16 * 8192;
    ck_assert_msg(fabs((double)comps - nc * 0.05) < 5 * sqrt(nc * 0.05 * 0.95) + 1, "%zu", comps);
    ck_assert_msg(fabs((double)syns - ns * 0.02) < 5 * sqrt(ns * 0.02 * 0.98), "%zu", syns);
    cx_chip_free(&c);
}
END_TEST

START_TEST(random_map_statistics_and_determinism)
{
    const char *sets[] = {"mesh.width=64",
                          "mesh.height=64",
                          "defects.random.tiles=0.05",
                          "defects.random.links=0.05",
                          "defects.random.seed=7",
                          "defects.tiles=[{x: 10, y: 20}]",
                          "router.packet_bits=64"};
    cx_chip_config c;
    ck_assert_msg(load(sets, 7, &c) == CX_OK, "%s", cx_last_error());
    cx_chip_defect_map a, b;
    ck_assert_int_eq(cx_chip_defects(&c, &a), CX_OK);
    ck_assert_int_eq(cx_chip_defects(&c, &b), CX_OK);
    const int nodes = 64 * 64, links = 2 * 64 * 63;
    ck_assert(!memcmp(a.dead_tile, b.dead_tile, nodes) && !memcmp(a.dead_link, b.dead_link, nodes));
    ck_assert_int_eq(a.dead_tile[20 * 64 + 10], 1); /* listed */
    /* Binomial(n, 0.05): within 5 standard deviations (the listed tile adds at most 1) */
    double sd_t = sqrt(nodes * 0.05 * 0.95), sd_l = sqrt(links * 0.05 * 0.95);
    ck_assert_msg(fabs(a.n_dead_tiles - nodes * 0.05) < 5 * sd_t + 1, "%d dead tiles",
                  a.n_dead_tiles);
    ck_assert_msg(fabs(a.n_dead_links - links * 0.05) < 5 * sd_l, "%d dead links", a.n_dead_links);
    /* every dead link is marked at both of its ends */
    static const int dx[4] = {0, 1, 0, -1}, dy[4] = {-1, 0, 1, 0};
    int ends = 0;
    for (int v = 0; v < nodes; v++)
        for (int d = 0; d < 4; d++)
            if (a.dead_link[v] & (1u << d)) {
                int u = (v / 64 + dy[d]) * 64 + v % 64 + dx[d];
                ck_assert(a.dead_link[u] & (1u << ((d + 2) % 4)));
                ends++;
            }
    ck_assert_int_eq(ends, 2 * a.n_dead_links);
    cx_chip_defects_free(&b);
    c.defects.random.seed = 8; /* another die */
    ck_assert_int_eq(cx_chip_defects(&c, &b), CX_OK);
    ck_assert(memcmp(a.dead_tile, b.dead_tile, nodes) || memcmp(a.dead_link, b.dead_link, nodes));
    cx_chip_defects_free(&a);
    cx_chip_defects_free(&b);
    cx_chip_free(&c);
}
END_TEST

/* ---- the router ---- */

typedef struct {
    int *count; /* [endpoints][keys] deliveries */
    int keys;
} tally;

static void count_sink(void *ctx, int e, uint32_t key, int src, uint64_t gen, uint64_t arrival,
                       uint64_t tag)
{
    (void)src, (void)gen, (void)arrival, (void)tag;
    tally *t = ctx;
    t->count[e * t->keys + (int)key]++;
}

enum { W = 6, NODES = W * W, SOURCES = 6, ROUNDS = 20 };
/* The routers the multicast routes start from. */
static const int src[SOURCES] = {0, 5, 14, 21, 30, 35};

/* A 6x6 mesh, one multicast route per source to every tile but itself; the
 * links (1,0)-(2,0) E, (3,2)-(3,3) S and (0,4)-(1,4) E are dead. */
static cx_noc *mesh(int dead, int around, tally *t)
{
    cx_noc_config cfg = cx_noc_config_default();
    cfg.width = cfg.height = W;
    cx_noc *n;
    ck_assert_int_eq(cx_noc_alloc(&cfg, &n), CX_OK);
    if (dead) {
        unsigned char d[NODES] = {0};
        d[0 * W + 1] |= 1u << CX_CHIP_DIR_E, d[0 * W + 2] |= 1u << CX_CHIP_DIR_W;
        d[2 * W + 3] |= 1u << CX_CHIP_DIR_S, d[3 * W + 3] |= 1u << CX_CHIP_DIR_N;
        d[4 * W + 0] |= 1u << CX_CHIP_DIR_E, d[4 * W + 1] |= 1u << CX_CHIP_DIR_W;
        ck_assert_int_eq(cx_noc_set_dead_links(n, d, around), CX_OK);
    }
    t->keys = SOURCES;
    t->count = calloc((size_t)cx_noc_endpoints(n) * SOURCES, sizeof *t->count);
    cx_noc_set_sink(n, count_sink, t);
    for (int s = 0; s < SOURCES; s++) {
        int dests[NODES], nd = 0;
        for (int v = 0; v < NODES; v++)
            if (v != src[s]) dests[nd++] = v;
        ck_assert_msg(cx_noc_set_route(n, (uint32_t)s, src[s], dests, nd) == CX_OK, "%s",
                      cx_last_error());
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int s = 0; s < SOURCES; s++)
            ck_assert_int_eq(cx_noc_inject(n, (uint64_t)(r * 50), src[s], -1, (uint32_t)s,
                                           CX_NOC_NO_DEADLINE, 0),
                             CX_OK);
    cx_noc_run(n, CX_NOC_NEVER);
    return n;
}

START_TEST(router_detours_around_dead_links)
{
    tally t;
    cx_noc *n = mesh(1, 1, &t);
    const cx_noc_stats *s = cx_noc_get_stats(n);
    ck_assert_uint_eq(s->packets_dead_link, 0);
    ck_assert_uint_eq(s->packets_dropped, 0);
    ck_assert_uint_gt(s->routes_detoured, 0);
    /* every tile but the source gets each packet exactly once */
    for (int s2 = 0; s2 < SOURCES; s2++)
        for (int v = 0; v < NODES; v++)
            ck_assert_int_eq(t.count[v * SOURCES + s2], v == src[s2] ? 0 : ROUNDS);
    /* nothing went out on a dead link's ports */
    const int dead_ports[][2] = {{1, CX_NOC_PORT_E},  {2, CX_NOC_PORT_W},  {15, CX_NOC_PORT_S},
                                 {21, CX_NOC_PORT_N}, {24, CX_NOC_PORT_E}, {25, CX_NOC_PORT_W}};
    for (size_t i = 0; i < sizeof dead_ports / sizeof *dead_ports; i++)
        ck_assert_uint_eq(s->out_packets[dead_ports[i][0] * CX_NOC_PORTS + dead_ports[i][1]], 0);
    /* a route whose XY tree meets no dead link keeps the XY tree exactly */
    tally t0;
    cx_noc *x = mesh(0, 0, &t0);
    int same = 0;
    for (int key = 0; key < SOURCES; key++) {
        int eq = 1;
        for (int v = 0; v < NODES; v++)
            eq &= cx_noc_route_mask(n, v, (uint32_t)key) == cx_noc_route_mask(x, v, (uint32_t)key);
        same += eq;
    }
    ck_assert_int_eq(same, SOURCES - (int)s->routes_detoured);
    cx_noc_free(x);
    cx_noc_free(n);
    free(t.count);
    free(t0.count);
}
END_TEST

START_TEST(router_without_route_around_loses_copies)
{
    tally t;
    cx_noc *n = mesh(1, 0, &t);
    const cx_noc_stats *s = cx_noc_get_stats(n);
    ck_assert_uint_gt(s->packets_dead_link, 0);
    ck_assert_uint_eq(s->routes_detoured, 0);
    ck_assert_uint_eq(s->packets_in_flight, 0);
    ck_assert_uint_eq(s->packets_injected + s->packets_replicated,
                      s->packets_delivered + s->packets_dropped);
    /* the lost copies take their subtrees with them */
    uint64_t want = (uint64_t)SOURCES * (NODES - 1) * ROUNDS;
    ck_assert_uint_lt(s->packets_delivered, want);
    cx_noc_free(n);
    free(t.count);
}
END_TEST

START_TEST(unreachable_destination_is_named)
{
    cx_noc_config cfg = cx_noc_config_default();
    cfg.width = cfg.height = 3;
    cx_noc *n;
    ck_assert_int_eq(cx_noc_alloc(&cfg, &n), CX_OK);
    unsigned char d[9] = {0}; /* router (2, 2) cut off: its N and W links dead */
    d[8] = 1u << CX_CHIP_DIR_N | 1u << CX_CHIP_DIR_W;
    d[5] = 1u << CX_CHIP_DIR_S;
    d[7] = 1u << CX_CHIP_DIR_E;
    ck_assert_int_eq(cx_noc_set_dead_links(n, d, 1), CX_OK);
    int dests[] = {4, 8};
    ck_assert_int_eq(cx_noc_set_route(n, 3, 0, dests, 2), CX_ERR_FIT);
    ck_assert_msg(strstr(cx_last_error(), "route 3: destination 8 at (2, 2) cannot be reached from "
                                          "(0, 0): dead links cut it off"),
                  "%s", cx_last_error());
    cx_noc_free(n);
}
END_TEST

/* ---- end to end ---- */

static void write_text(const char *path, const char *text)
{
    cx_test_write(path, text, strlen(text));
}

static cJSON *report(const char *path)
{
    char *text = cx_test_slurp(path, NULL);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

static double num(const cJSON *j, const char *a, const char *b)
{
    const cJSON *o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, a), b);
    ck_assert_msg(cJSON_IsNumber(o) || cJSON_IsBool(o), "no %s.%s", a, b);
    return cJSON_IsBool(o) ? cJSON_IsTrue(o) : o->valuedouble;
}

static void cli_ok(const char *args)
{
    char *err = NULL;
    int rc = cx_test_cli(args, NULL, &err);
    ck_assert_msg(rc == 0, "cortile %s: exit %d: %s", args, rc, err);
    free(err);
}

START_TEST(ideal_chip_with_defects_is_exact)
{
    char *lm = cx_test_data("glifr/lmnist_glifr_lheta"), *ideal = chip_path("ideal");
    char *def = cx_test_tmp("ideal_defects.yaml"), *prog = cx_test_tmp("ideal_def.yaml");
    char *out = cx_test_tmp("ideal_def_y.safetensors"), *rep = cx_test_tmp("ideal_def_run.json");
    /* (1,0) and (0,1), next to the host, are dead; links on XY paths too */
    write_text(def, "defects:\n  tiles: [{x: 1, y: 0}, {x: 0, y: 1}]\n"
                    "  links: [{x: 1, y: 1, dir: E}, {x: 2, y: 0, dir: S}]\n");
    char args[8192];
    snprintf(args, sizeof args,
             "compile '%s' --chip '%s' --tiles 4 --defects '%s' --output '%s' --calibration "
             "'%s/traces.safetensors' --instances 0",
             lm, ideal, def, prog, lm);
    cli_ok(args);
    snprintf(args, sizeof args,
             "run '%s' --input '%s/traces.safetensors' --output '%s' --report '%s'", prog, lm, out,
             rep);
    cli_ok(args);
    cJSON *j = report(rep);
    ck_assert_int_eq((int)num(j, "defects", "dead_tiles"), 2);
    ck_assert_int_eq((int)num(j, "defects", "dead_links"), 2);
    ck_assert_int_eq((int)num(j, "defects", "program_tiles_on_dead_tiles"), 0);
    ck_assert_int_eq((int)num(j, "defects", "packets_lost_in_dead_links"), 0);
    ck_assert_int_gt((int)num(j, "defects", "routes_detoured"), 0);
    cJSON_Delete(j);
    snprintf(args, sizeof args, "compare '%s' '%s/traces.safetensors' --tensor y --tol 1e-9", out,
             lm);
    cli_ok(args);
    free(lm), free(ideal), free(def), free(prog), free(out), free(rep);
}
END_TEST

/* Compiles and runs L-MNIST on default.yaml with 5% dead tiles and 2% dead
 * links (die `seed`, remap as given); returns the run report. */
static cJSON *default_run(const char *tag, int seed, int remap)
{
    char *lm = cx_test_data("glifr/lmnist_glifr_lheta"), *chip = chip_path("default");
    char *prog = cx_test_tmp(tag), *out = cx_test_tmp("default_def_y.safetensors");
    char *rep = cx_test_tmp("default_def_run.json"), args[8192];
    snprintf(args, sizeof args,
             "compile '%s' --chip '%s' --set tile.compartments=100 --set defects.random.tiles=0.05 "
             "--set defects.random.links=0.02 --set defects.random.seed=%d --set "
             "defects.remap=%s --output '%s' --calibration '%s/traces.safetensors' --instances 0",
             lm, chip, seed, remap ? "true" : "false", prog, lm);
    cli_ok(args);
    snprintf(args, sizeof args,
             "run '%s' --input '%s/traces.safetensors' --output '%s' --report '%s'", prog, lm, out,
             rep);
    cli_ok(args);
    cJSON *j = report(rep);
    free(lm), free(chip), free(prog), free(out), free(rep);
    return j;
}

static double measured_rmse(const cJSON *j)
{
    return num(j, "measured", "rmse");
}

START_TEST(default_chip_with_defects_maps_around_them)
{
    /* die 12 of these rates hits the tiles and links a defect-free placement uses */
    cJSON *good = default_run("def_remap.yaml", 12, 1), *bad = default_run("def_blind.yaml", 12, 0);
    ck_assert_int_gt(
        (int)num(good, "defects", "dead_tiles") + (int)num(good, "defects", "dead_links"), 0);
    ck_assert_int_eq((int)num(good, "defects", "program_tiles_on_dead_tiles"), 0);
    ck_assert_int_eq((int)num(good, "defects", "packets_lost_in_dead_links"), 0);
    ck_assert(num(bad, "defects", "program_tiles_on_dead_tiles") > 0 ||
              num(bad, "defects", "packets_lost_in_dead_links") > 0);
    /* remapping keeps the error of a working die; ignoring the defects does not */
    ck_assert_msg(measured_rmse(good) < 0.1, "remapped rmse %g", measured_rmse(good));
    ck_assert_msg(measured_rmse(bad) > 5 * measured_rmse(good), "blind %g, remapped %g",
                  measured_rmse(bad), measured_rmse(good));
    cJSON_Delete(good);
    cJSON_Delete(bad);
}
END_TEST

/* Compiles and runs L-MNIST on the ideal chip with the in-tile defects of
 * `text`; returns the run report; the outputs in *out. */
static cJSON *ideal_run(const char *text, char **out)
{
    char *lm = cx_test_data("glifr/lmnist_glifr_lheta"), *ideal = chip_path("ideal");
    char *def = cx_test_tmp("tile_defects.yaml"), *prog = cx_test_tmp("tile_def.yaml");
    char *rep = cx_test_tmp("tile_def_run.json"), args[8192];
    *out = cx_test_tmp("tile_def_y.safetensors");
    write_text(def, text);
    snprintf(args, sizeof args,
             "compile '%s' --chip '%s' --defects '%s' --output '%s' --calibration "
             "'%s/traces.safetensors' --instances 0",
             lm, ideal, def, prog, lm);
    cli_ok(args);
    snprintf(args, sizeof args,
             "run '%s' --input '%s/traces.safetensors' --output '%s' --report '%s'", prog, lm, *out,
             rep);
    cli_ok(args);
    cJSON *j = report(rep);
    free(lm), free(ideal), free(def), free(prog), free(rep);
    return j;
}

START_TEST(tiles_map_around_stuck_slots_entries_and_cells)
{
    /* on tile (0,0), which the placement uses: stuck slots, a dead entry and
     * stuck cells in columns the placement uses, in arrays with spare columns */
    static const char base[] =
        "defects:\n"
        "  compartments: [{x: 0, y: 0, index: 3, value: 0.5}, {x: 0, y: 0, index: 100}]\n"
        "  synapses: [{x: 0, y: 0, entry: 7}, {x: 0, y: 0, entry: 2000}]\n"
        "  cells: [{x: 0, y: 0, array: 0, row: 2, col: 5, value: 0},\n"
        "          {x: 0, y: 0, array: 0, row: 10, col: 6, value: 1}]\n"
        "  remap: %s\n";
    char text[1024], *out, args[4096];
    snprintf(text, sizeof text, base, "true");
    cJSON *good = ideal_run(text, &out);
    ck_assert_int_eq((int)num(good, "defects", "stuck_compartments_used"), 0);
    ck_assert_int_eq((int)num(good, "defects", "dead_synapses_used"), 0);
    ck_assert_int_eq((int)num(good, "defects", "weights_on_stuck_cells"), 0);
    ck_assert_int_eq((int)num(good, "defects", "crossbar_columns_moved"), 2);
    char *lm = cx_test_data("glifr/lmnist_glifr_lheta");
    snprintf(args, sizeof args, "compare '%s' '%s/traces.safetensors' --tensor y --tol 1e-9", out,
             lm);
    cli_ok(args); /* exact around them */
    free(out);
    snprintf(text, sizeof text, base, "false");
    cJSON *bad = ideal_run(text, &out);
    ck_assert_int_eq((int)num(bad, "defects", "stuck_compartments_used"), 2);
    ck_assert_int_eq((int)num(bad, "defects", "dead_synapses_used"), 2);
    ck_assert_int_eq((int)num(bad, "defects", "weights_on_stuck_cells"), 2);
    ck_assert(num(bad, "defects", "crossbar_weight_lost") > 0);
    ck_assert_msg(measured_rmse(bad) > 1e-3, "rmse %g with unmapped defects", measured_rmse(bad));
    cJSON_Delete(good);
    cJSON_Delete(bad);
    free(out), free(lm);
}
END_TEST

START_TEST(unmappable_model_names_the_defects)
{
    char *lm = cx_test_data("glifr/lmnist_glifr_lheta"), *chip = chip_path("default");
    char *prog = cx_test_tmp("unmappable.yaml"), *def = cx_test_tmp("most_dead.yaml");
    /* every tile but (0,0) and (1,0) dead: 2 of 16 work */
    char text[4096] = "defects:\n  tiles: [";
    for (int v = 2; v < 16; v++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s{x: %d, y: %d}",
                 v > 2 ? ", " : "", v % 4, v / 4);
    strcat(text, "]\n");
    write_text(def, text);
    char args[8192];
    snprintf(args, sizeof args, "compile '%s' --chip '%s' --defects '%s' --tiles 4 --output '%s'",
             lm, chip, def, prog);
    const char *want[] = {"needs 4 tiles, 2 of the chip's 16 work", "defects", NULL};
    cx_test_refused("4 tiles on 2 working", args, 1, prog, want);
    snprintf(args, sizeof args,
             "compile '%s' --chip '%s' --defects '%s' --set tile.compartments=100 --output '%s'",
             lm, chip, def, prog);
    const char *want2[] = {"2 of the chip's 16 tiles work", "defects", NULL};
    cx_test_refused("placement on 2 working", args, 1, prog, want2);
    /* a tile whose stuck slots leave too few compartments for the program */
    char *elm = cx_test_data("elm/num_memory_20");
    write_text(def, "defects:\n  random: {seed: 1, compartments: 0.8}\n");
    snprintf(args, sizeof args, "compile '%s' --chip '%s' --defects '%s' --output '%s'", elm, chip,
             def, prog);
    free(elm);
    const char *want3[] = {"compartments", "defects", NULL};
    cx_test_refused("stuck slots", args, 1, prog, want3);
    free(lm), free(chip), free(prog), free(def);
}
END_TEST

START_TEST(chip_check_lists_the_defects)
{
    char *chip = chip_path("default"), args[4096], *o = NULL;
    snprintf(args, sizeof args,
             "chip check '%s' --set 'defects.tiles=[{x: 1, y: 1}]' --set "
             "'defects.links=[{x: 0, y: 0, dir: S}]' --set defects.remap=false",
             chip);
    ck_assert_int_eq(cx_test_cli(args, &o, NULL), 0);
    ck_assert_msg(strstr(o, "defects (not mapped around: defects.remap false)") &&
                      strstr(o, "dead tiles                    1 of 16") &&
                      strstr(o, "dead mesh links               1"),
                  "%s", o);
    free(o), free(chip);
}
END_TEST

START_TEST(defects_file_errors)
{
    char *lm = cx_test_data("glifr/lmnist_glifr_lheta"), *chip = chip_path("default");
    char *prog = cx_test_tmp("overlay.yaml"), *def = cx_test_tmp("overlay_defects.yaml");
    char args[8192];
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"defect:\n  tiles: []\n", "unknown key 'defect' (did you mean 'defects'?)"},
        {"defects:\n  tiles: [{x: 9, y: 0}]\n", "overlay_defects.yaml:2: key 'defects.tiles[0].x'"},
        {"defects:\n  links: [{x: 0, y: 0, dir: W}]\n", "no link leaves (0, 0) towards W"},
        {"defects:\n  random: {tiles: 2}\n", "key 'defects.random.tiles'"},
        {"- 1\n", "expected a mapping"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_text(def, cases[i].text);
        snprintf(args, sizeof args, "compile '%s' --chip '%s' --defects '%s' --output '%s'", lm,
                 chip, def, prog);
        const char *want[] = {cases[i].want, NULL};
        cx_test_refused(cases[i].text, args, 1, prog, want);
    }
    snprintf(args, sizeof args,
             "compile '%s' --chip '%s' --defects /nonexistent.yaml --output '%s'", lm, chip, prog);
    const char *want[] = {"/nonexistent.yaml", NULL};
    cx_test_refused("missing file", args, 1, prog, want);
    free(lm), free(chip), free(prog), free(def);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("defects");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, section_parses_and_mirrors);
    tcase_add_test(tc, bad_sections_are_refused);
    tcase_add_test(tc, tile_defect_lists);
    tcase_add_test(tc, random_map_statistics_and_determinism);
    tcase_add_test(tc, router_detours_around_dead_links);
    tcase_add_test(tc, router_without_route_around_loses_copies);
    tcase_add_test(tc, unreachable_destination_is_named);
    tcase_add_test(tc, ideal_chip_with_defects_is_exact);
    tcase_add_test(tc, default_chip_with_defects_maps_around_them);
    tcase_add_test(tc, tiles_map_around_stuck_slots_entries_and_cells);
    tcase_add_test(tc, unmappable_model_names_the_defects);
    tcase_add_test(tc, chip_check_lists_the_defects);
    tcase_add_test(tc, defects_file_errors);
    suite_add_tcase(s, tc);
    return cx_test_main(s);
}
