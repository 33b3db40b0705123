/* Chip description: one schema table drives the strict key check, the typed
 * reads and the JSON mirror, so the three cannot drift apart. Checks that
 * span keys (ranges in order, thermal either/or, hosts in the mesh, address
 * width) come after the table. */
#define _POSIX_C_SOURCE 200809L
#include "cx_chip.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(cx_chip_mode) == sizeof(int), "enums are stored as int");

enum { MAX_KEYS = 48, KEY_LEN = 48 };
/* Counts stay far from INT_MAX so products like tiles x somas fit in long long. */
enum { INT_CAP = 1 << 30 };

/* ------------------------------------------------------------ names */

static const char *const MODES[] = {"sampled", "continuous", NULL};
static const char *const SPACINGS[] = {"log", "linear", NULL};
static const char *const ENCODERS[] = {"sigma_delta", "bernoulli", "graded", NULL};
static const char *const FLOWS[] = {"credit", "drop", NULL};
static const char *const MULTICASTS[] = {"tree", "source", NULL};
static const char *const SWITCHINGS[] = {"store_forward", "cut_through", NULL};
static const char *const ACTIVATIONS[] = {"relu",        "silu",     "sigmoid", "tanh",
                                          "scaled_tanh", "identity", NULL};

const char *cx_chip_mode_name(cx_chip_mode mode)
{
    return MODES[mode];
}

const char *cx_chip_activation_name(cx_chip_activation act)
{
    for (int i = 0; i < CX_CHIP_NACTIVATIONS; i++)
        if (act == 1u << i) return ACTIVATIONS[i];
    return "?";
}

/* ------------------------------------------------------------ schema */

typedef enum {
    F_STR,
    F_DBL,
    F_INT,
    F_BOOL,
    F_ENUM,
    F_ACTS,
    F_HOSTS,
    F_DEAD_TILES,
    F_DEAD_LINKS,
    F_STUCK_COMPS,
    F_DEAD_SYNS,
    F_STUCK_CELLS
} field_kind;

typedef struct {
    const char *path;
    size_t off;
    const char *const *names; /* F_ENUM, F_ACTS */
    cx_yaml_range range;
    field_kind kind;
    int optional; /* a missing or null key is allowed */
} field;

/* clang-format off */
#define OFF(m) offsetof(cx_chip_config, m)
#define GT(lo) {.min = (lo), .max = 0, .flags = CX_YAML_GT}
#define GE(lo) {.min = (lo), .max = 0, .flags = CX_YAML_GE}
#define IN(lo, hi) {.min = (lo), .max = (hi), .flags = CX_YAML_GE | CX_YAML_LE}
#define ANY {0, 0, 0}
/* The range goes last: its braces hold commas. */
#define FIELD(p, k, m, nm, opt, ...) \
    {.path = p, .off = OFF(m), .names = nm, .range = __VA_ARGS__, .kind = k, .optional = opt}
#define STR(p, m, opt) FIELD(p, F_STR, m, NULL, opt, ANY)
#define DBL(p, m, r) FIELD(p, F_DBL, m, NULL, 0, r)
#define OPT_DBL(p, m, r) FIELD(p, F_DBL, m, NULL, 1, r)
#define INT(p, m, r) FIELD(p, F_INT, m, NULL, 0, r)
#define BOOL(p, m) FIELD(p, F_BOOL, m, NULL, 0, ANY)
#define OPT_INT(p, m, r) FIELD(p, F_INT, m, NULL, 1, r)
#define OPT_BOOL(p, m) FIELD(p, F_BOOL, m, NULL, 1, ANY)
#define ENUM(p, m, nm) FIELD(p, F_ENUM, m, nm, 0, ANY)
/* clang-format on */

/* File order of default.yaml; every key of the format is here. */
static const field FIELDS[] = {
    STR("name", name, 0),
    STR("description", description, 1),
    DBL("acceleration", acceleration, GT(0)),
    INT("mesh.width", mesh.width, IN(1, 1024)),
    INT("mesh.height", mesh.height, IN(1, 1024)),
    ENUM("tile.mode", tile.mode, MODES),
    DBL("tile.analog_step_ms", tile.analog_step_ms, GT(0)),
    INT("tile.compartments", tile.compartments, GE(1)),
    INT("tile.somas.count", tile.somas.count, GE(1)),
    ENUM("tile.somas.encoder", tile.somas.encoder, ENCODERS),
    INT("tile.somas.payload_bits", tile.somas.payload_bits, IN(0, 32)),
    DBL("tile.somas.max_rate_hz", tile.somas.max_rate_hz, GT(0)),
    INT("tile.synapses.entries", tile.synapses.entries, GE(0)),
    INT("tile.synapses.weight_bits", tile.synapses.weight_bits, IN(1, 16)),
    INT("tile.dendrite.arrays", tile.dendrite.arrays, IN(0, 1 << 16)),
    INT("tile.dendrite.rows", tile.dendrite.rows, IN(1, 1 << 16)),
    INT("tile.dendrite.cols", tile.dendrite.cols, IN(1, 1 << 16)),
    INT("tile.dendrite.weight_bits", tile.dendrite.weight_bits, IN(1, 16)),
    FIELD("tile.dendrite.activations", F_ACTS, tile.dendrite.activations, ACTIVATIONS, 0, ANY),
    INT("tile.readout.channels", tile.readout.channels, GE(0)),
    INT("tile.readout.adc_bits", tile.readout.adc_bits, IN(1, 24)),
    DBL("tile.compartment.tau_min_ms", tile.compartment.tau_min_ms, GT(0)),
    DBL("tile.compartment.tau_max_ms", tile.compartment.tau_max_ms, GT(0)),
    DBL("tile.compartment.f_min_hz", tile.compartment.f_min_hz, GT(0)),
    DBL("tile.compartment.f_max_hz", tile.compartment.f_max_hz, GT(0)),
    DBL("tile.compartment.zeta_min", tile.compartment.zeta_min, GT(0)),
    DBL("tile.compartment.zeta_max", tile.compartment.zeta_max, GT(0)),
    DBL("tile.compartment.gain_max", tile.compartment.gain_max, GT(0)),
    DBL("tile.compartment.offset_max", tile.compartment.offset_max, GE(0)),
    INT("tile.compartment.param_bits", tile.compartment.param_bits, IN(1, 24)),
    ENUM("tile.compartment.tau_spacing", tile.compartment.tau_spacing, SPACINGS),
    DBL("tile.rails.x_min", tile.rails.x_min, ANY),
    DBL("tile.rails.x_max", tile.rails.x_max, ANY),
    DBL("tile.rails.full_scale_mv", tile.rails.full_scale_mv, GT(0)),
    BOOL("noise.thermal.enabled", noise.thermal.enabled),
    OPT_DBL("noise.thermal.sigma", noise.thermal.sigma, GE(0)),
    OPT_DBL("noise.thermal.capacitance_ff", noise.thermal.capacitance_ff, GT(0)),
    OPT_DBL("noise.thermal.temperature_k", noise.thermal.temperature_k, GT(0)),
    BOOL("noise.flicker.enabled", noise.flicker.enabled),
    DBL("noise.flicker.sigma", noise.flicker.sigma, GE(0)),
    DBL("noise.flicker.f_low_hz", noise.flicker.f_low_hz, GT(0)),
    DBL("noise.flicker.f_high_hz", noise.flicker.f_high_hz, GT(0)),
    INT("noise.flicker.processes_per_decade", noise.flicker.processes_per_decade, IN(1, 64)),
    BOOL("noise.mismatch.enabled", noise.mismatch.enabled),
    DBL("noise.mismatch.tau_rel", noise.mismatch.tau_rel, GE(0)),
    DBL("noise.mismatch.gain_rel", noise.mismatch.gain_rel, GE(0)),
    DBL("noise.mismatch.weight_rel", noise.mismatch.weight_rel, GE(0)),
    DBL("noise.mismatch.offset_sigma", noise.mismatch.offset_sigma, GE(0)),
    BOOL("noise.quantization.enabled", noise.quantization.enabled),
    BOOL("noise.quantization.params", noise.quantization.params),
    BOOL("noise.quantization.weights", noise.quantization.weights),
    BOOL("noise.quantization.adc", noise.quantization.adc),
    BOOL("noise.crossbar.enabled", noise.crossbar.enabled),
    DBL("noise.crossbar.programming_sigma", noise.crossbar.programming_sigma, GE(0)),
    DBL("noise.crossbar.read_sigma", noise.crossbar.read_sigma, GE(0)),
    BOOL("noise.saturation.enabled", noise.saturation.enabled),
    DBL("router.clock_mhz", router.clock_mhz, GT(0)),
    INT("router.pipeline_cycles", router.pipeline_cycles, IN(1, 1 << 16)),
    INT("router.link_width_bits", router.link_width_bits, IN(1, 4096)),
    INT("router.packet_bits", router.packet_bits, IN(1, 4096)),
    INT("router.buffer_depth_packets", router.buffer_depth_packets, IN(1, 1 << 16)),
    INT("router.credit_delay_cycles", router.credit_delay_cycles, IN(0, 1 << 16)),
    ENUM("router.flow", router.flow, FLOWS),
    ENUM("router.multicast", router.multicast, MULTICASTS),
    ENUM("router.switching", router.switching, SWITCHINGS),
    FIELD("router.hosts", F_HOSTS, router.hosts, NULL, 0, ANY),
    DBL("router.energy_per_hop_pj", router.energy_per_hop_pj, GE(0)),
    DBL("router.energy_per_injection_pj", router.energy_per_injection_pj, GE(0)),
    DBL("router.chip_link_latency_ns", router.chip_link_latency_ns, GE(0)),
    DBL("router.chip_link_bandwidth_gbps", router.chip_link_bandwidth_gbps, GT(0)),
    DBL("energy.compartment_step_pj", energy.compartment_step_pj, GE(0)),
    DBL("energy.compartment_static_nw", energy.compartment_static_nw, GE(0)),
    DBL("energy.synaptic_event_pj", energy.synaptic_event_pj, GE(0)),
    DBL("energy.dendrite_mac_pj", energy.dendrite_mac_pj, GE(0)),
    DBL("energy.adc_conversion_pj", energy.adc_conversion_pj, GE(0)),
    DBL("energy.spike_encode_pj", energy.spike_encode_pj, GE(0)),
    DBL("energy.tile_static_uw", energy.tile_static_uw, GE(0)),
    FIELD("defects.tiles", F_DEAD_TILES, defects.tiles, NULL, 1, ANY),
    FIELD("defects.links", F_DEAD_LINKS, defects.links, NULL, 1, ANY),
    FIELD("defects.compartments", F_STUCK_COMPS, defects.compartments, NULL, 1, ANY),
    FIELD("defects.synapses", F_DEAD_SYNS, defects.synapses, NULL, 1, ANY),
    FIELD("defects.cells", F_STUCK_CELLS, defects.cells, NULL, 1, ANY),
    OPT_INT("defects.random.seed", defects.random.seed, IN(0, INT_CAP)),
    OPT_DBL("defects.random.tiles", defects.random.tiles, IN(0, 1)),
    OPT_DBL("defects.random.links", defects.random.links, IN(0, 1)),
    OPT_DBL("defects.random.compartments", defects.random.compartments, IN(0, 1)),
    OPT_DBL("defects.random.synapses", defects.random.synapses, IN(0, 1)),
    OPT_DBL("defects.random.cells", defects.random.cells, IN(0, 1)),
    OPT_BOOL("defects.remap", defects.remap),
};
enum { NFIELDS = sizeof FIELDS / sizeof FIELDS[0] };

static void *at(cx_chip_config *cfg, const field *f)
{
    return (char *)cfg + f->off;
}
static const void *cat(const cx_chip_config *cfg, const field *f)
{
    return (const char *)cfg + f->off;
}

/* ------------------------------------------------------------ errors */

static void list_names(const char *const *names, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (const char *const *p = names; *p && used < len; p++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", p == names ? "" : ", ", *p);
}

static cx_status name_index(const cx_yaml_node *n, const char *const *names, int *out)
{
    const char *s;
    CX_TRY(cx_yaml_to_string(n, &s));
    for (int i = 0; names[i]; i++) {
        if (!strcmp(s, names[i])) {
            *out = i;
            return CX_OK;
        }
    }
    char all[256];
    list_names(names, all, sizeof all);
    return cx_yaml_fail(CX_ERR_VALUE, n, "expected one of %s, found '%s'", all, s);
}

/* ------------------------------------------------------- key checking */

/* Children of `prefix` named by the schema ("" is the root). */
static size_t schema_children(const char *prefix, char keys[][KEY_LEN], const char **ptrs)
{
    size_t n = 0, plen = strlen(prefix);
    for (int i = 0; i < NFIELDS; i++) {
        const char *p = FIELDS[i].path;
        if (plen) {
            if (strncmp(p, prefix, plen) != 0 || p[plen] != '.') continue;
            p += plen + 1;
        }
        size_t len = strcspn(p, ".");
        size_t j = 0;
        while (j < n && (strlen(keys[j]) != len || strncmp(keys[j], p, len) != 0))
            j++;
        if (j < n || n == MAX_KEYS || len >= KEY_LEN) continue;
        memcpy(keys[n], p, len);
        keys[n][len] = 0;
        ptrs[n] = keys[n];
        n++;
    }
    ptrs[n] = NULL;
    return n;
}

static int is_section(const char *path)
{
    size_t len = strlen(path);
    for (int i = 0; i < NFIELDS; i++)
        if (strncmp(FIELDS[i].path, path, len) == 0 && FIELDS[i].path[len] == '.') return 1;
    return 0;
}

/* Unknown keys anywhere are reported before missing ones: a typo then reads
 * "unknown key 'tau_mn' (did you mean 'tau_min_ms'?)", not "missing tau_min_ms". */
static cx_status check_keys(const cx_yaml_node *map)
{
    char keys[MAX_KEYS][KEY_LEN];
    const char *allowed[MAX_KEYS + 1];
    schema_children(map->path, keys, allowed);
    CX_TRY(cx_yaml_check_keys(map, allowed));
    for (size_t i = 0; i < map->n; i++) {
        const cx_yaml_node *child = map->items[i];
        if (is_section(child->path) && !cx_yaml_is_null(child)) CX_TRY(check_keys(child));
    }
    return CX_OK;
}

/* ------------------------------------------------------------ reading */

static cx_status read_activations(const cx_yaml_node *root, const field *f, unsigned *out)
{
    const cx_yaml_node *seq;
    CX_TRY(cx_yaml_at(root, f->path, &seq));
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    if (seq->n == 0) return cx_yaml_fail(CX_ERR_VALUE, seq, "expected at least one activation");
    *out = 0;
    for (size_t i = 0; i < seq->n; i++) {
        int k = 0;
        CX_TRY(name_index(seq->items[i], f->names, &k));
        if (*out & (1u << k))
            return cx_yaml_fail(CX_ERR_VALUE, seq->items[i], "'%s' is listed twice", f->names[k]);
        *out |= 1u << k;
    }
    return CX_OK;
}

/* Hosts are {x, y} tiles of the mesh, so mesh.* must be read first. */
static cx_status read_hosts(const cx_yaml_node *root, const field *f, cx_chip_config *cfg)
{
    const cx_yaml_node *seq;
    CX_TRY(cx_yaml_at(root, f->path, &seq));
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    if (seq->n == 0) return cx_yaml_fail(CX_ERR_VALUE, seq, "expected at least one host {x, y}");
    cfg->router.hosts = calloc(seq->n, sizeof *cfg->router.hosts);
    if (!cfg->router.hosts) return cx_fail(CX_ERR_NOMEM, "out of memory");
    static const char *const xy[] = {"x", "y", NULL};
    for (size_t i = 0; i < seq->n; i++) {
        const cx_yaml_node *h = seq->items[i];
        long x, y;
        CX_TRY(cx_yaml_check_keys(h, xy));
        CX_TRY(cx_yaml_get_long(h, "x", NULL, CX_YAML_BETWEEN(0, cfg->mesh.width - 1), &x));
        CX_TRY(cx_yaml_get_long(h, "y", NULL, CX_YAML_BETWEEN(0, cfg->mesh.height - 1), &y));
        for (size_t j = 0; j < i; j++)
            if (cfg->router.hosts[j].x == x && cfg->router.hosts[j].y == y)
                return cx_yaml_fail(CX_ERR_VALUE, h, "host (%ld, %ld) is listed twice", x, y);
        cfg->router.hosts[i] = (cx_chip_xy){(int)x, (int)y};
        cfg->router.n_hosts = i + 1;
    }
    return CX_OK;
}

static const char *const DIRS[] = {"N", "E", "S", "W", NULL};

/* One {x, y} of the mesh (mesh.* read first). */
static cx_status read_xy(const cx_yaml_node *n, const cx_chip_config *cfg, long *x, long *y)
{
    CX_TRY(cx_yaml_get_long(n, "x", NULL, CX_YAML_BETWEEN(0, cfg->mesh.width - 1), x));
    return cx_yaml_get_long(n, "y", NULL, CX_YAML_BETWEEN(0, cfg->mesh.height - 1), y);
}

/* defects.tiles: [{x, y}, ...], each tile once. */
static cx_status read_dead_tiles(const cx_yaml_node *seq, cx_chip_config *cfg)
{
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    cfg->defects.tiles = calloc(seq->n + 1, sizeof *cfg->defects.tiles);
    if (!cfg->defects.tiles) return cx_fail(CX_ERR_NOMEM, "out of memory");
    static const char *const keys[] = {"x", "y", NULL};
    for (size_t i = 0; i < seq->n; i++) {
        const cx_yaml_node *t = seq->items[i];
        long x, y;
        CX_TRY(cx_yaml_check_keys(t, keys));
        CX_TRY(read_xy(t, cfg, &x, &y));
        for (size_t j = 0; j < i; j++)
            if (cfg->defects.tiles[j].x == x && cfg->defects.tiles[j].y == y)
                return cx_yaml_fail(CX_ERR_VALUE, t, "tile (%ld, %ld) is listed twice", x, y);
        cfg->defects.tiles[i] = (cx_chip_xy){(int)x, (int)y};
        cfg->defects.n_tiles = i + 1;
    }
    return CX_OK;
}

/* defects.links: [{x, y, dir}, ...]: the link must lie inside the mesh. */
static cx_status read_dead_links(const cx_yaml_node *seq, cx_chip_config *cfg)
{
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    cfg->defects.links = calloc(seq->n + 1, sizeof *cfg->defects.links);
    if (!cfg->defects.links) return cx_fail(CX_ERR_NOMEM, "out of memory");
    static const char *const keys[] = {"x", "y", "dir", NULL};
    for (size_t i = 0; i < seq->n; i++) {
        const cx_yaml_node *l = seq->items[i], *d;
        long x, y;
        int dir = 0;
        CX_TRY(cx_yaml_check_keys(l, keys));
        CX_TRY(read_xy(l, cfg, &x, &y));
        CX_TRY(cx_yaml_at(l, "dir", &d));
        CX_TRY(name_index(d, DIRS, &dir));
        int nx, ny;
        if (!cx_chip_neighbour(cfg->mesh.width, cfg->mesh.height, (int)x, (int)y, (cx_chip_dir)dir,
                               &nx, &ny))
            return cx_yaml_fail(CX_ERR_VALUE, l,
                                "no link leaves (%ld, %ld) towards %s: the mesh ends there", x, y,
                                DIRS[dir]);
        cfg->defects.links[i] = (cx_chip_link){(int)x, (int)y, (cx_chip_dir)dir};
        cfg->defects.n_links = i + 1;
    }
    return CX_OK;
}

/* An index key of a defect entry, in [0, n). */
static cx_status read_index(const cx_yaml_node *n, const char *key, long count, int *out)
{
    long v;
    CX_TRY(cx_yaml_get_long(n, key, NULL, CX_YAML_BETWEEN(0, count - 1), &v));
    *out = (int)v;
    return CX_OK;
}

/* An optional stuck value, 0 when absent. */
static cx_status read_value(const cx_yaml_node *n, const cx_yaml_range *r, double *out)
{
    *out = 0;
    const cx_yaml_node *v = cx_yaml_get(n, "value");
    return v && !cx_yaml_is_null(v) ? cx_yaml_get_double(n, "value", NULL, r, out) : CX_OK;
}

/* defects.compartments: [{x, y, index, value}], each slot once. */
static cx_status read_stuck_comps(const cx_yaml_node *seq, cx_chip_config *cfg)
{
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    cx_chip_stuck_comp *d = calloc(seq->n + 1, sizeof *d);
    if (!d) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cfg->defects.compartments = d;
    static const char *const keys[] = {"x", "y", "index", "value", NULL};

    for (size_t i = 0; i < seq->n; i++) {
        const cx_yaml_node *e = seq->items[i];
        long x, y;
        CX_TRY(cx_yaml_check_keys(e, keys));
        CX_TRY(read_xy(e, cfg, &x, &y));
        CX_TRY(read_index(e, "index", cfg->tile.compartments, &d[i].index));
        CX_TRY(read_value(e, NULL, &d[i].value));
        d[i].x = (int)x, d[i].y = (int)y;
        for (size_t j = 0; j < i; j++)
            if (d[j].x == x && d[j].y == y && d[j].index == d[i].index)
                return cx_yaml_fail(CX_ERR_VALUE, e,
                                    "compartment %d of tile (%ld, %ld) is listed twice", d[i].index,
                                    x, y);
        cfg->defects.n_compartments = i + 1;
    }
    return CX_OK;
}

/* defects.synapses: [{x, y, entry}], each entry once. */
static cx_status read_dead_syns(const cx_yaml_node *seq, cx_chip_config *cfg)
{
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    cx_chip_dead_synapse *d = calloc(seq->n + 1, sizeof *d);
    if (!d) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cfg->defects.synapses = d;
    static const char *const keys[] = {"x", "y", "entry", NULL};
    for (size_t i = 0; i < seq->n; i++) {
        const cx_yaml_node *e = seq->items[i];
        long x, y;
        CX_TRY(cx_yaml_check_keys(e, keys));
        CX_TRY(read_xy(e, cfg, &x, &y));
        CX_TRY(read_index(e, "entry", cfg->tile.synapses.entries, &d[i].entry));
        d[i].x = (int)x, d[i].y = (int)y;
        for (size_t j = 0; j < i; j++)
            if (d[j].x == x && d[j].y == y && d[j].entry == d[i].entry)
                return cx_yaml_fail(CX_ERR_VALUE, e,
                                    "synapse entry %d of tile (%ld, %ld) is listed twice",
                                    d[i].entry, x, y);
        cfg->defects.n_synapses = i + 1;
    }
    return CX_OK;
}

/* defects.cells: [{x, y, array, row, col, value}]: value in [-1, 1] of full scale. */
static cx_status read_stuck_cells(const cx_yaml_node *seq, cx_chip_config *cfg)
{
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    cx_chip_stuck_cell *d = calloc(seq->n + 1, sizeof *d);
    if (!d) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cfg->defects.cells = d;
    static const char *const keys[] = {"x", "y", "array", "row", "col", "value", NULL};
    const cx_yaml_range *unit = CX_YAML_BETWEEN(-1, 1);
    for (size_t i = 0; i < seq->n; i++) {
        const cx_yaml_node *e = seq->items[i];
        long x, y;
        CX_TRY(cx_yaml_check_keys(e, keys));
        CX_TRY(read_xy(e, cfg, &x, &y));
        if (cfg->tile.dendrite.arrays < 1)
            return cx_yaml_fail(CX_ERR_VALUE, e, "the tile has no dendrite arrays");
        CX_TRY(read_index(e, "array", cfg->tile.dendrite.arrays, &d[i].array));
        CX_TRY(read_index(e, "row", cfg->tile.dendrite.rows, &d[i].row));
        CX_TRY(read_index(e, "col", cfg->tile.dendrite.cols, &d[i].col));
        CX_TRY(read_value(e, unit, &d[i].value));
        d[i].x = (int)x, d[i].y = (int)y;
        for (size_t j = 0; j < i; j++)
            if (d[j].x == x && d[j].y == y && d[j].array == d[i].array && d[j].row == d[i].row &&
                d[j].col == d[i].col)
                return cx_yaml_fail(CX_ERR_VALUE, e,
                                    "cell (%d, %d) of array %d of tile (%ld, %ld) is listed twice",
                                    d[i].row, d[i].col, d[i].array, x, y);
        cfg->defects.n_cells = i + 1;
    }
    return CX_OK;
}

const char *cx_chip_dir_name(cx_chip_dir d)
{
    return DIRS[d];
}

static cx_status read_field(const cx_yaml_node *root, const field *f, cx_chip_config *cfg)
{
    const cx_yaml_range *r = f->range.flags ? &f->range : NULL;
    const cx_yaml_node *n = cx_yaml_find(root, f->path);
    if (f->optional && (!n || cx_yaml_is_null(n))) return CX_OK;
    switch (f->kind) {
    case F_STR: {
        const char *s;
        CX_TRY(cx_yaml_get_string(root, f->path, NULL, &s));
        char *dup = strdup(s);
        if (!dup) return cx_fail(CX_ERR_NOMEM, "out of memory");
        *(char **)at(cfg, f) = dup;
        return CX_OK;
    }
    case F_DBL:
        return cx_yaml_get_double(root, f->path, NULL, r, at(cfg, f));
    case F_INT: {
        long v;
        CX_TRY(cx_yaml_get_long(root, f->path, NULL, r, &v));
        if (v > INT_CAP)
            return cx_yaml_fail(CX_ERR_VALUE, n, "expected at most %d, found %ld", INT_CAP, v);
        *(int *)at(cfg, f) = (int)v;
        return CX_OK;
    }
    case F_BOOL:
        return cx_yaml_get_bool(root, f->path, NULL, at(cfg, f));
    case F_ENUM: {
        const char *s; /* reports missing, null and non-scalar values */
        CX_TRY(cx_yaml_get_string(root, f->path, NULL, &s));
        return name_index(n, f->names, at(cfg, f));
    }
    case F_ACTS:
        return read_activations(root, f, at(cfg, f));
    case F_HOSTS:
        return read_hosts(root, f, cfg);
    case F_DEAD_TILES:
        return read_dead_tiles(n, cfg);
    case F_DEAD_LINKS:
        return read_dead_links(n, cfg);
    case F_STUCK_COMPS:
        return read_stuck_comps(n, cfg);
    case F_DEAD_SYNS:
        return read_dead_syns(n, cfg);
    case F_STUCK_CELLS:
        return read_stuck_cells(n, cfg);
    }
    return CX_OK;
}

/* ------------------------------------------------- cross-key checks */

static const cx_yaml_node *node(const cx_yaml_node *root, const char *path)
{
    return cx_yaml_find(root, path);
}

/* lo <= hi (or lo < hi when strict), reported at lo's key. */
static cx_status ordered(const cx_yaml_node *root, const char *lo_path, double lo,
                         const char *hi_key, double hi, int strict)
{
    if (strict ? lo < hi : lo <= hi) return CX_OK;
    return cx_yaml_fail(CX_ERR_VALUE, node(root, lo_path), "must be %s %s (%g), found %g",
                        strict ? "<" : "<=", hi_key, hi, lo);
}

static int given(const cx_yaml_node *root, const char *path)
{
    const cx_yaml_node *n = cx_yaml_find(root, path);
    return n && !cx_yaml_is_null(n);
}

static cx_status check_thermal(const cx_yaml_node *root, cx_chip_config *cfg)
{
    int s = given(root, "noise.thermal.sigma");
    int c = given(root, "noise.thermal.capacitance_ff");
    int t = given(root, "noise.thermal.temperature_k");
    if (s && (c || t))
        return cx_yaml_fail(
            CX_ERR_VALUE,
            node(root, c ? "noise.thermal.capacitance_ff" : "noise.thermal.temperature_k"),
            "give either sigma or capacitance_ff with temperature_k (kT/C), not both");
    if (c != t)
        return cx_yaml_fail(
            CX_ERR_VALUE,
            node(root, c ? "noise.thermal.capacitance_ff" : "noise.thermal.temperature_k"),
            "kT/C needs both capacitance_ff and temperature_k");
    if (!s && !c)
        return cx_yaml_fail(CX_ERR_VALUE, node(root, "noise.thermal"),
                            "needs sigma, or capacitance_ff and temperature_k (kT/C)");
    cfg->noise.thermal.source = s ? CX_CHIP_THERMAL_SIGMA : CX_CHIP_THERMAL_KTC;
    return CX_OK;
}

static cx_status check_consistency(const cx_yaml_node *root, cx_chip_config *cfg)
{
    if (!cfg->name[0])
        return cx_yaml_fail(CX_ERR_VALUE, node(root, "name"), "expected a non-empty name");
#define C cfg->tile.compartment
    CX_TRY(
        ordered(root, "tile.compartment.tau_min_ms", C.tau_min_ms, "tau_max_ms", C.tau_max_ms, 0));
    CX_TRY(ordered(root, "tile.compartment.f_min_hz", C.f_min_hz, "f_max_hz", C.f_max_hz, 0));
    CX_TRY(ordered(root, "tile.compartment.zeta_min", C.zeta_min, "zeta_max", C.zeta_max, 0));
    CX_TRY(ordered(root, "tile.rails.x_min", cfg->tile.rails.x_min, "x_max", cfg->tile.rails.x_max,
                   1));
    CX_TRY(ordered(root, "noise.flicker.f_low_hz", cfg->noise.flicker.f_low_hz, "f_high_hz",
                   cfg->noise.flicker.f_high_hz, 1));
    /* Nonlinear units are re-evaluated once per analog step: a step longer
     * than the fastest pole would skip the dynamics it is meant to follow. */
    if (cfg->tile.mode == CX_CHIP_CONTINUOUS && cfg->tile.analog_step_ms > C.tau_min_ms)
        return cx_yaml_fail(
            CX_ERR_VALUE, node(root, "tile.analog_step_ms"),
            "must be <= tile.compartment.tau_min_ms (%g) in continuous mode, found %g",
            C.tau_min_ms, cfg->tile.analog_step_ms);
#undef C
    int payload = cfg->tile.somas.payload_bits;
    if (cfg->tile.somas.encoder == CX_CHIP_ENC_GRADED && payload < 1)
        return cx_yaml_fail(CX_ERR_VALUE, node(root, "tile.somas.payload_bits"),
                            "encoder graded needs at least 1 bit for the spike value, found %d",
                            payload);
    /* A packet carries the source address and the value (graded spike or host input). */
    int addr = cx_chip_address_bits(cfg);
    if (cfg->router.packet_bits < addr + payload)
        return cx_yaml_fail(
            CX_ERR_VALUE, node(root, "router.packet_bits"),
            "must hold a source address of %d bits (%dx%d tiles, %d somas per tile) "
            "plus tile.somas.payload_bits (%d), found %d",
            addr, cfg->mesh.width, cfg->mesh.height, cfg->tile.somas.count, payload,
            cfg->router.packet_bits);
    return check_thermal(root, cfg);
}

/* ------------------------------------------------------------ API */

void cx_chip_free(cx_chip_config *cfg)
{
    if (!cfg) return;
    free(cfg->name);
    free(cfg->description);
    free(cfg->router.hosts);
    free(cfg->defects.tiles);
    free(cfg->defects.links);
    free(cfg->defects.compartments);
    free(cfg->defects.synapses);
    free(cfg->defects.cells);
    memset(cfg, 0, sizeof *cfg);
}

cx_status cx_chip_from_yaml(const cx_yaml_node *root, cx_chip_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->defects.remap = 1; /* the default when the section or the key is absent */
    cx_status st = check_keys(root);
    for (int i = 0; i < NFIELDS && st == CX_OK; i++)
        st = read_field(root, &FIELDS[i], cfg);
    if (st == CX_OK && !cfg->description) {
        cfg->description = strdup("");
        if (!cfg->description) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    if (st == CX_OK) st = check_consistency(root, cfg);
    if (st != CX_OK) cx_chip_free(cfg);
    return st;
}

cx_status cx_chip_load(const char *path, const char *const *overrides, size_t n,
                       cx_chip_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cx_yaml_doc *doc;
    CX_TRY(cx_yaml_load_file(path, &doc));
    cx_status st = CX_OK;
    for (size_t i = 0; i < n && st == CX_OK; i++)
        st = cx_yaml_override(doc, overrides[i]);
    if (st == CX_OK) st = cx_chip_from_yaml(doc->root, cfg);
    cx_yaml_free(doc);
    return st;
}

/* ------------------------------------------------------------ JSON */

/* The object at the parent path of `path`, created on the way. */
static cJSON *json_parent(cJSON *root, const char *path, const char **leaf)
{
    cJSON *obj = root;
    char key[KEY_LEN];
    const char *p = path, *dot;
    while ((dot = strchr(p, '.'))) {
        size_t len = (size_t)(dot - p);
        memcpy(key, p, len);
        key[len] = 0;
        cJSON *next = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!next) next = cJSON_AddObjectToObject(obj, key);
        obj = next;
        p = dot + 1;
    }
    *leaf = p;
    return obj;
}

static int thermal_absent(const cx_chip_config *cfg, const char *path)
{
    if (!strcmp(path, "noise.thermal.sigma"))
        return cfg->noise.thermal.source != CX_CHIP_THERMAL_SIGMA;
    return cfg->noise.thermal.source != CX_CHIP_THERMAL_KTC;
}

cJSON *cx_chip_to_json(const cx_chip_config *cfg)
{
    cJSON *root = cJSON_CreateObject();
    for (int i = 0; i < NFIELDS && root; i++) {
        const field *f = &FIELDS[i];
        const char *leaf;
        cJSON *obj = json_parent(root, f->path, &leaf);
        if (f->optional && f->kind == F_DBL && !strncmp(f->path, "noise.thermal.", 14) &&
            thermal_absent(cfg, f->path)) {
            cJSON_AddNullToObject(obj, leaf);
            continue;
        }
        switch (f->kind) {
        case F_STR:
            cJSON_AddStringToObject(obj, leaf, *(char *const *)cat(cfg, f));
            break;
        case F_DBL:
            cJSON_AddNumberToObject(obj, leaf, *(const double *)cat(cfg, f));
            break;
        case F_INT:
            cJSON_AddNumberToObject(obj, leaf, *(const int *)cat(cfg, f));
            break;
        case F_BOOL:
            cJSON_AddBoolToObject(obj, leaf, *(const int *)cat(cfg, f));
            break;
        case F_ENUM:
            cJSON_AddStringToObject(obj, leaf, f->names[*(const int *)cat(cfg, f)]);
            break;
        case F_ACTS: {
            cJSON *arr = cJSON_AddArrayToObject(obj, leaf);
            unsigned acts = *(const unsigned *)cat(cfg, f);
            for (int k = 0; k < CX_CHIP_NACTIVATIONS; k++)
                if (acts & (1u << k)) cJSON_AddItemToArray(arr, cJSON_CreateString(f->names[k]));
            break;
        }
        case F_HOSTS: {
            cJSON *arr = cJSON_AddArrayToObject(obj, leaf);
            for (size_t k = 0; k < cfg->router.n_hosts; k++) {
                cJSON *h = cJSON_CreateObject();
                cJSON_AddNumberToObject(h, "x", cfg->router.hosts[k].x);
                cJSON_AddNumberToObject(h, "y", cfg->router.hosts[k].y);
                cJSON_AddItemToArray(arr, h);
            }
            break;
        }
        case F_DEAD_TILES: {
            cJSON *arr = cJSON_AddArrayToObject(obj, leaf);
            for (size_t k = 0; k < cfg->defects.n_tiles; k++) {
                cJSON *t = cJSON_CreateObject();
                cJSON_AddNumberToObject(t, "x", cfg->defects.tiles[k].x);
                cJSON_AddNumberToObject(t, "y", cfg->defects.tiles[k].y);
                cJSON_AddItemToArray(arr, t);
            }
            break;
        }
        case F_DEAD_LINKS: {
            cJSON *arr = cJSON_AddArrayToObject(obj, leaf);
            for (size_t k = 0; k < cfg->defects.n_links; k++) {
                cJSON *l = cJSON_CreateObject();
                cJSON_AddNumberToObject(l, "x", cfg->defects.links[k].x);
                cJSON_AddNumberToObject(l, "y", cfg->defects.links[k].y);
                cJSON_AddStringToObject(l, "dir", DIRS[cfg->defects.links[k].dir]);
                cJSON_AddItemToArray(arr, l);
            }
            break;
        }
        case F_STUCK_COMPS: {
            cJSON *arr = cJSON_AddArrayToObject(obj, leaf);
            for (size_t k = 0; k < cfg->defects.n_compartments; k++) {
                const cx_chip_stuck_comp *d = &cfg->defects.compartments[k];
                cJSON *e = cJSON_CreateObject();
                cJSON_AddNumberToObject(e, "x", d->x);
                cJSON_AddNumberToObject(e, "y", d->y);
                cJSON_AddNumberToObject(e, "index", d->index);
                cJSON_AddNumberToObject(e, "value", d->value);
                cJSON_AddItemToArray(arr, e);
            }
            break;
        }
        case F_DEAD_SYNS: {
            cJSON *arr = cJSON_AddArrayToObject(obj, leaf);
            for (size_t k = 0; k < cfg->defects.n_synapses; k++) {
                const cx_chip_dead_synapse *d = &cfg->defects.synapses[k];
                cJSON *e = cJSON_CreateObject();
                cJSON_AddNumberToObject(e, "x", d->x);
                cJSON_AddNumberToObject(e, "y", d->y);
                cJSON_AddNumberToObject(e, "entry", d->entry);
                cJSON_AddItemToArray(arr, e);
            }
            break;
        }
        case F_STUCK_CELLS: {
            cJSON *arr = cJSON_AddArrayToObject(obj, leaf);
            for (size_t k = 0; k < cfg->defects.n_cells; k++) {
                const cx_chip_stuck_cell *d = &cfg->defects.cells[k];
                cJSON *e = cJSON_CreateObject();
                cJSON_AddNumberToObject(e, "x", d->x);
                cJSON_AddNumberToObject(e, "y", d->y);
                cJSON_AddNumberToObject(e, "array", d->array);
                cJSON_AddNumberToObject(e, "row", d->row);
                cJSON_AddNumberToObject(e, "col", d->col);
                cJSON_AddNumberToObject(e, "value", d->value);
                cJSON_AddItemToArray(arr, e);
            }
            break;
        }
        }
    }
    return root;
}
