/* Sweep descriptions: parsing, validation, axis values, points. */
#define _POSIX_C_SOURCE 200809L
#include "sweep_internal.h"

#include "cx_fileio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The measured columns every row has, after the seed and the axes. */
const char *const cx_sweep_result_cols[COL_N_RESULT] = {"seed",
                                                        "status",
                                                        "rmse",
                                                        "rmse_last",
                                                        "max_abs",
                                                        "accuracy",
                                                        "packets_per_inference",
                                                        "link_util_max",
                                                        "latency_mean_cycles",
                                                        "latency_p99_cycles",
                                                        "spikes_received",
                                                        "late_spikes",
                                                        "late_fraction",
                                                        "dropped_spikes",
                                                        "energy_nj",
                                                        "router_energy_nj",
                                                        "program",
                                                        "compile_cached",
                                                        "message"};
const int cx_sweep_result_text[COL_N_RESULT] = {[COL_STATUS] = 1, [COL_MESSAGE] = 1};

static const char *const ROOT_KEYS[] = {"name",   "description", "model", "chip",  "set",
                                        "inputs", "calibration", "axes",  "seeds", "router",
                                        "metric", "plots",       NULL};
static const char *const INPUT_KEYS[] = {"path", "samples", NULL};
static const char *const AXIS_KEYS[] = {"key", "name", "values", "range", "random", NULL};
static const char *const RANGE_KEYS[] = {"from", "to", "steps", "scale", "integer", NULL};
static const char *const RANDOM_KEYS[] = {"from", "to", "count", "scale", "seed", "integer", NULL};
static const char *const PLOT_KEYS[] = {"x", "y", "z", "series", "title", "log_x", "log_y", NULL};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* p relative to the folder of the sweep file (absolute paths stay). */
static char *resolve(const char *file, const char *p)
{
    const char *slash = strrchr(file, '/');
    if (p[0] == '/' || !slash) return strdup(p);
    size_t dn = (size_t)(slash - file);
    char *out = malloc(dn + strlen(p) + 2);
    if (out) snprintf(out, dn + strlen(p) + 2, "%.*s/%s", (int)dn, file, p);
    return out;
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* A required path key resolved against the sweep file; must exist (as a
 * folder when want_dir > 0, a file when 0, either when < 0). */
static cx_status get_path(const cx_yaml_node *map, const char *key, const char *file, int want_dir,
                          const char *what, char **out)
{
    const char *rel;
    CX_TRY(cx_yaml_get_string(map, key, NULL, &rel));
    const cx_yaml_node *n = cx_yaml_get(map, key);
    char *p = resolve(file, rel);
    if (!p) return cx_fail(CX_ERR_NOMEM, "out of memory");
    int exists = cx_path_exists(p), dir = is_dir(p);
    if (!exists || (want_dir > 0 && !dir) || (want_dir == 0 && dir)) {
        cx_status st = cx_yaml_fail(CX_ERR_IO, n, "no %s at '%s'%s", what, p,
                                    exists ? (dir ? " (a folder)" : " (not a folder)") : "");
        free(p);
        return st;
    }
    *out = p;
    return CX_OK;
}

/* ------------------------------------------------------------ chip docs */

static cx_status apply_sets(const cx_sweep_spec *s, cx_yaml_doc *doc)
{
    for (size_t i = 0; i < s->n_sets; i++)
        CX_TRY(cx_yaml_set(doc, s->set_keys[i], s->set_values[i]));
    return CX_OK;
}

static cx_status base_doc(const cx_sweep_spec *s, cx_yaml_doc **out)
{
    CX_TRY(cx_yaml_load_string(s->chip_path, s->chip_text, out));
    cx_status st = apply_sets(s, *out);
    if (st != CX_OK) {
        cx_yaml_free(*out);
        *out = NULL;
    }
    return st;
}

size_t cx_sweep_cells(const cx_sweep_spec *s)
{
    size_t n = 1;
    for (size_t a = 0; a < s->n_axes; a++)
        n *= s->axes[a].n;
    return n;
}

size_t cx_sweep_points(const cx_sweep_spec *s)
{
    return cx_sweep_cells(s) * s->n_seeds;
}

void cx_sweep_point_of(const cx_sweep_spec *s, size_t id, size_t *cell, size_t *seed_index,
                       size_t *idx)
{
    size_t c = id / s->n_seeds;
    if (seed_index) *seed_index = id % s->n_seeds;
    if (cell) *cell = c;
    for (size_t a = s->n_axes; idx && a-- > 0;) {
        idx[a] = c % s->axes[a].n;
        c /= s->axes[a].n;
    }
}

cx_status cx_sweep_cell_doc(const cx_sweep_spec *s, size_t cell, cx_yaml_doc **out)
{
    CX_TRY(base_doc(s, out));
    size_t c = cell;
    cx_status st = CX_OK;
    for (size_t a = s->n_axes; a-- > 0 && st == CX_OK;) {
        const cx_sweep_axis *ax = &s->axes[a];
        size_t i = c % ax->n;
        c /= ax->n;
        for (size_t k = 0; k < ax->n_keys && st == CX_OK; k++)
            st = cx_yaml_set(*out, ax->keys[k], ax->text[i]);
    }
    if (st != CX_OK) {
        cx_yaml_free(*out);
        *out = NULL;
    }
    return st;
}

cx_status cx_sweep_cell_chip(const cx_sweep_spec *s, size_t cell, cx_chip_config *chip)
{
    cx_yaml_doc *doc;
    memset(chip, 0, sizeof *chip);
    CX_TRY(cx_sweep_cell_doc(s, cell, &doc));
    cx_status st = cx_chip_from_yaml(doc->root, chip);
    cx_yaml_free(doc);
    return st;
}

int cx_sweep_column(const cx_sweep_spec *s, const char *name)
{
    for (size_t c = 0; c < s->n_cols; c++)
        if (!strcmp(s->col_names[c], name)) return (int)c;
    return -1;
}

/* ------------------------------------------------------------ axes */

/* splitmix64: the random axes' deterministic stream. */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 12 significant digits: 0.001 rather than 0.0010000000000000002 from exp(log()). */
static double round_digits(double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.12g", v);
    return strtod(buf, NULL);
}

static cx_status get_scale(const cx_yaml_node *map, int *logscale)
{
    const char *scale;
    CX_TRY(cx_yaml_get_string(map, "scale", "linear", &scale));
    if (!strcmp(scale, "linear") || !strcmp(scale, "log")) {
        *logscale = !strcmp(scale, "log");
        return CX_OK;
    }
    return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(map, "scale"), "expected linear or log, found %s",
                        scale);
}

/* Generated values: from .. to in `n` points (range) or n random draws. */
static cx_status generate(const cx_yaml_node *map, int random, cx_sweep_axis *ax)
{
    double from, to;
    long n;
    int logscale = 0, round_ = 0;
    CX_TRY(cx_yaml_get_double(map, "from", NULL, NULL, &from));
    CX_TRY(cx_yaml_get_double(map, "to", NULL, NULL, &to));
    CX_TRY(cx_yaml_get_long(map, random ? "count" : "steps", NULL, CX_YAML_BETWEEN(1, 100000), &n));
    CX_TRY(get_scale(map, &logscale));
    static const int no = 0;
    CX_TRY(cx_yaml_get_bool(map, "integer", &no, &round_));
    if (!random && n > 1 && from == to)
        return cx_yaml_fail(CX_ERR_VALUE, map, "from and to are equal (%g) with %ld steps", from,
                            n);
    if (random && !(from < to))
        return cx_yaml_fail(CX_ERR_VALUE, map, "expected from < to, found from %g, to %g", from,
                            to);
    if (logscale && !(from > 0 && to > 0))
        return cx_yaml_fail(CX_ERR_VALUE, map,
                            "scale log needs from and to > 0, found from %g, to %g", from, to);
    long seed_l = 1;
    static const long one = 1;
    if (random) CX_TRY(cx_yaml_get_long(map, "seed", &one, CX_YAML_AT_LEAST(0), &seed_l));
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return cx_fail(CX_ERR_NOMEM, "out of memory");
    uint64_t state = (uint64_t)seed_l;
    for (long i = 0; i < n; i++) {
        double f = random ? (double)(splitmix(&state) >> 11) * 0x1.0p-53
                          : (n > 1 ? (double)i / (double)(n - 1) : 0.0);
        v[i] = logscale ? exp(log(from) + f * (log(to) - log(from))) : from + f * (to - from);
        v[i] = round_digits(v[i]);
        /* the ends exactly as written */
        if (!random && i == 0) v[i] = from;
        if (!random && i == n - 1 && n > 1) v[i] = to;
    }
    if (random) qsort(v, (size_t)n, sizeof *v, cmp_double);
    size_t m = 0;
    for (long i = 0; i < n; i++) {
        double x = round_ ? nearbyint(v[i]) : v[i];
        if (round_ && m > 0 && v[m - 1] == x) continue;
        v[m++] = x;
    }
    ax->n = m;
    ax->num = v;
    ax->log = logscale;
    return CX_OK;
}

static cx_status explicit_values(const cx_yaml_node *seq, cx_sweep_axis *ax)
{
    CX_TRY(cx_yaml_expect(seq, CX_YAML_SEQUENCE));
    if (seq->n == 0) return cx_yaml_fail(CX_ERR_VALUE, seq, "expected at least one value");
    ax->n = seq->n;
    ax->num = malloc(seq->n * sizeof *ax->num);
    ax->text = calloc(seq->n, sizeof *ax->text);
    if (!ax->num || !ax->text) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < seq->n; i++) {
        const cx_yaml_node *it = seq->items[i];
        if (it->kind != CX_YAML_SCALAR || cx_yaml_is_null(it))
            return cx_yaml_fail(CX_ERR_VALUE, it, "expected a number or a string");
        double v;
        if (!it->quoted && cx_yaml_to_double(it, NULL, &v) == CX_OK) {
            ax->num[i] = v;
        } else {
            ax->num[i] = NAN;
            ax->is_text = 1;
        }
    }
    for (size_t i = 0; i < seq->n; i++) {
        char buf[32];
        const char *t = seq->items[i]->value;
        if (!ax->is_text) {
            cx_sweep_fmt_num(buf, ax->num[i]);
            t = buf;
        } else {
            ax->num[i] = NAN;
        }
        if (!(ax->text[i] = strdup(t))) return cx_fail(CX_ERR_NOMEM, "out of memory");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(ax->text[j], ax->text[i]))
                return cx_yaml_fail(CX_ERR_VALUE, seq->items[i], "value %s appears twice", t);
    }
    return CX_OK;
}

/* The points of the n_axes axes times `seeds`, checked with overflow
 * detection against CX_SWEEP_MAX_POINTS; the error lists the axes. */
static cx_status check_grid(const cx_sweep_spec *s, const cx_yaml_node *at, size_t n_axes,
                            size_t seeds)
{
    size_t points = seeds;
    int over = 0;
    for (size_t a = 0; a < n_axes; a++)
        over |= __builtin_mul_overflow(points, s->axes[a].n, &points);
    if (!over && points <= CX_SWEEP_MAX_POINTS) return CX_OK;
    char list[512] = "";
    size_t len = 0;
    for (size_t a = 0; a < n_axes && len < sizeof list; a++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s' (%zu)", a ? " x " : "",
                                s->axes[a].name, s->axes[a].n);
    if (len < sizeof list && seeds > 1)
        snprintf(list + len, sizeof list - len, " x %zu seeds", seeds);
    return cx_yaml_fail(CX_ERR_VALUE, at, "the grid of axes %s has %s points, at most %d", list,
                        over ? "more than 2^64" : "too many", CX_SWEEP_MAX_POINTS);
}

/* Every value of the axis on the base chip alone. */
static cx_status check_values(const cx_sweep_spec *s, const cx_yaml_node *n,
                              const cx_sweep_axis *ax)
{
    for (size_t i = 0; i < ax->n; i++) {
        cx_yaml_doc *doc;
        CX_TRY(base_doc(s, &doc));
        cx_status st = CX_OK;
        for (size_t k = 0; k < ax->n_keys && st == CX_OK; k++)
            st = cx_yaml_set(doc, ax->keys[k], ax->text[i]);
        cx_chip_config chip;
        memset(&chip, 0, sizeof chip);
        if (st == CX_OK) st = cx_chip_from_yaml(doc->root, &chip);
        cx_chip_free(&chip);
        cx_yaml_free(doc);
        if (st != CX_OK)
            return cx_fail_context(st, "%s:%d: key '%s': value %s is not valid for the chip",
                                   n->file, n->line, n->path, ax->text[i]);
    }
    return CX_OK;
}

static int result_column(const char *name)
{
    for (int k = 0; k < COL_N_RESULT; k++)
        if (!strcmp(cx_sweep_result_cols[k], name)) return k;
    return -1;
}

static cx_status parse_axis(cx_sweep_spec *s, const cx_yaml_node *chip_root, const cx_yaml_node *n,
                            cx_sweep_axis *ax)
{
    CX_TRY(cx_yaml_check_keys(n, AXIS_KEYS));
    ax->line = n->line;
    const cx_yaml_node *kn;
    CX_TRY(cx_yaml_at(n, "key", &kn));
    if (kn->kind == CX_YAML_SEQUENCE) {
        if (kn->n == 0) return cx_yaml_fail(CX_ERR_VALUE, kn, "expected at least one chip key");
        ax->n_keys = kn->n;
    } else {
        ax->n_keys = 1;
    }
    ax->keys = calloc(ax->n_keys, sizeof *ax->keys);
    if (!ax->keys) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < ax->n_keys; k++) {
        const cx_yaml_node *one = kn->kind == CX_YAML_SEQUENCE ? kn->items[k] : kn;
        const char *key;
        CX_TRY(cx_yaml_to_string(one, &key));
        const cx_yaml_node *target;
        if (cx_yaml_at(chip_root, key, &target) != CX_OK)
            return cx_fail_context(CX_ERR_VALUE,
                                   "%s:%d: key '%s': '%s' is not a key of the chip description",
                                   one->file, one->line, one->path, key);
        if (target->kind == CX_YAML_MAPPING)
            return cx_yaml_fail(CX_ERR_VALUE, one,
                                "'%s' is a section of the chip description; sweep one of its keys",
                                key);
        if (!(ax->keys[k] = strdup(key))) return cx_fail(CX_ERR_NOMEM, "out of memory");
        for (size_t a = 0; s->axes + a < ax; a++)
            for (size_t j = 0; j < s->axes[a].n_keys; j++)
                if (!strcmp(s->axes[a].keys[j], key))
                    return cx_yaml_fail(CX_ERR_VALUE, one, "'%s' is on two axes", key);
    }
    const char *name = NULL;
    if (cx_yaml_find(n, "name")) CX_TRY(cx_yaml_get_string(n, "name", NULL, &name));
    if (!name && ax->n_keys > 1)
        return cx_yaml_fail(CX_ERR_MISSING, n, "an axis of several keys needs a 'name'");
    if (!name) name = ax->keys[0];
    if (!(ax->name = strdup(name))) return cx_fail(CX_ERR_NOMEM, "out of memory");
    const cx_yaml_node *name_node = cx_yaml_get(n, "name") ? cx_yaml_get(n, "name") : kn;
    if (result_column(name) >= 0 || !strcmp(name, "point"))
        return cx_yaml_fail(CX_ERR_VALUE, name_node, "'%s' is the name of a result column", name);
    for (size_t a = 0; s->axes + a < ax; a++)
        if (!strcmp(s->axes[a].name, name))
            return cx_yaml_fail(CX_ERR_VALUE, name_node, "two axes are named '%s'", name);

    const cx_yaml_node *vn = cx_yaml_find(n, "values"), *rn = cx_yaml_find(n, "range"),
                       *dn = cx_yaml_find(n, "random");
    if ((vn != NULL) + (rn != NULL) + (dn != NULL) != 1)
        return cx_yaml_fail(CX_ERR_VALUE, n, "give exactly one of 'values', 'range' or 'random'");
    if (vn) {
        CX_TRY(explicit_values(vn, ax));
    } else {
        const cx_yaml_node *g = rn ? rn : dn;
        CX_TRY(cx_yaml_expect(g, CX_YAML_MAPPING));
        CX_TRY(cx_yaml_check_keys(g, rn ? RANGE_KEYS : RANDOM_KEYS));
        CX_TRY(generate(g, dn != NULL, ax));
        ax->text = calloc(ax->n, sizeof *ax->text);
        if (!ax->text) return cx_fail(CX_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < ax->n; i++) {
            char buf[32];
            cx_sweep_fmt_num(buf, ax->num[i]);
            if (!(ax->text[i] = strdup(buf))) return cx_fail(CX_ERR_NOMEM, "out of memory");
        }
    }
    return CX_OK;
}

/* ------------------------------------------------------------ the rest */

static cx_status parse_sets(cx_sweep_spec *s, const cx_yaml_node *root)
{
    const cx_yaml_node *set = cx_yaml_get(root, "set");
    if (!set || cx_yaml_is_null(set)) return CX_OK;
    CX_TRY(cx_yaml_expect(set, CX_YAML_MAPPING));
    s->set_keys = calloc(set->n + 1, sizeof *s->set_keys);
    s->set_values = calloc(set->n + 1, sizeof *s->set_values);
    if (!s->set_keys || !s->set_values) return cx_fail(CX_ERR_NOMEM, "out of memory");
    cx_yaml_doc *doc;
    CX_TRY(cx_yaml_load_string(s->chip_path, s->chip_text, &doc));
    cx_status st = CX_OK;
    for (size_t i = 0; i < set->n && st == CX_OK; i++) {
        const cx_yaml_node *v = set->items[i];
        if (v->kind != CX_YAML_SCALAR) {
            st = cx_yaml_fail(CX_ERR_VALUE, v, "expected a scalar value for the chip key");
            break;
        }
        s->set_keys[i] = strdup(set->keys[i]->value);
        s->set_values[i] = strdup(v->value);
        s->n_sets++;
        if (!s->set_keys[i] || !s->set_values[i]) {
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
            break;
        }
        st = cx_yaml_set(doc, s->set_keys[i], s->set_values[i]);
        if (st != CX_OK) st = cx_fail_context(st, "%s:%d: key '%s'", v->file, v->line, v->path);
    }
    cx_chip_config chip;
    memset(&chip, 0, sizeof chip);
    if (st == CX_OK) {
        st = cx_chip_from_yaml(doc->root, &chip);
        if (st != CX_OK)
            st = cx_fail_context(st, "%s:%d: key 'set': the chip with these overrides is invalid",
                                 set->file, set->line);
    }
    cx_chip_free(&chip);
    cx_yaml_free(doc);
    return st;
}

static cx_status parse_inputs(const cx_yaml_node *root, const char *file, const char *key,
                              long dflt_samples, char **path, long *samples)
{
    const cx_yaml_node *n;
    CX_TRY(cx_yaml_at(root, key, &n));
    CX_TRY(cx_yaml_expect(n, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_check_keys(n, INPUT_KEYS));
    CX_TRY(get_path(n, "path", file, -1, "input file or MNIST folder", path));
    return cx_yaml_get_long(n, "samples", &dflt_samples, CX_YAML_AT_LEAST(0), samples);
}

static cx_status parse_seeds(cx_sweep_spec *s, const cx_yaml_node *root)
{
    const cx_yaml_node *n = cx_yaml_get(root, "seeds");
    if (n && n->kind == CX_YAML_SEQUENCE) {
        long *v;
        size_t k;
        CX_TRY(cx_yaml_get_longs(root, "seeds", 1, 0, CX_YAML_AT_LEAST(0), &v, &k));
        s->seeds = malloc(k * sizeof *s->seeds);
        if (!s->seeds) {
            free(v);
            return cx_fail(CX_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < k; i++) {
            s->seeds[i] = (uint64_t)v[i];
            for (size_t j = 0; j < i; j++)
                if (v[j] == v[i]) {
                    long dup = v[i];
                    free(v);
                    return cx_yaml_fail(CX_ERR_VALUE, n->items[i], "seed %ld appears twice", dup);
                }
        }
        free(v);
        s->n_seeds = k;
        return CX_OK;
    }
    long count;
    static const long one = 1;
    CX_TRY(cx_yaml_get_long(root, "seeds", &one, CX_YAML_BETWEEN(1, 1000000), &count));
    s->seeds = malloc((size_t)count * sizeof *s->seeds);
    if (!s->seeds) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (long i = 0; i < count; i++)
        s->seeds[i] = (uint64_t)(i + 1);
    s->n_seeds = (size_t)count;
    return CX_OK;
}

static cx_status build_columns(cx_sweep_spec *s)
{
    s->n_cols = CX_SWEEP_LEAD_COLS + s->n_axes + COL_N_RESULT;
    s->col_names = calloc(s->n_cols, sizeof *s->col_names);
    s->col_text = calloc(s->n_cols, sizeof *s->col_text);
    if (!s->col_names || !s->col_text) return cx_fail(CX_ERR_NOMEM, "out of memory");
    size_t c = 0;
    s->col_names[c++] = strdup("point");
    for (size_t a = 0; a < s->n_axes; a++) {
        s->col_text[c] = s->axes[a].is_text;
        s->col_names[c++] = strdup(s->axes[a].name);
    }
    for (int k = 0; k < COL_N_RESULT; k++) {
        s->col_text[c] = cx_sweep_result_text[k];
        s->col_names[c++] = strdup(cx_sweep_result_cols[k]);
    }
    for (size_t i = 0; i < s->n_cols; i++)
        if (!s->col_names[i]) return cx_fail(CX_ERR_NOMEM, "out of memory");
    return CX_OK;
}

static cx_status plot_column(const cx_sweep_spec *s, const cx_yaml_node *map, const char *key,
                             int required, char **out)
{
    const char *v = NULL;
    if (!required && !cx_yaml_find(map, key)) return CX_OK;
    CX_TRY(cx_yaml_get_string(map, key, NULL, &v));
    if (cx_sweep_column(s, v) < 0)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(map, key),
                            "'%s' is not a column of the results (an axis name or a result column)",
                            v);
    *out = strdup(v);
    return *out ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
}

static const cx_sweep_axis *axis_named(const cx_sweep_spec *s, const char *name)
{
    for (size_t a = 0; name && a < s->n_axes; a++)
        if (!strcmp(s->axes[a].name, name)) return &s->axes[a];
    return NULL;
}

static cx_status add_plot(cx_sweep_spec *s, const char *x, const char *y, const char *z,
                          const char *series)
{
    cx_sweep_plot *p = &s->plots[s->n_plots++];
    const cx_sweep_axis *ax = axis_named(s, x), *ay = axis_named(s, y);
    p->x = strdup(x);
    p->y = strdup(y);
    p->z = dup_or_null(z);
    p->series = dup_or_null(series);
    p->log_x = ax && ax->log;
    p->log_y = z && ay && ay->log;
    if (!p->x || !p->y || (z && !p->z) || (series && !p->series))
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    return CX_OK;
}

/* Metric against each axis with its seed spread; a heat map for two axes. */
static cx_status default_plots(cx_sweep_spec *s)
{
    s->plots = calloc(s->n_axes + 2, sizeof *s->plots);
    if (!s->plots) return cx_fail(CX_ERR_NOMEM, "out of memory");
    if (s->n_axes == 0) return add_plot(s, "seed", s->metric, NULL, NULL);
    for (size_t a = 0; a < s->n_axes; a++)
        CX_TRY(add_plot(s, s->axes[a].name, s->metric, NULL,
                        s->n_axes == 2 ? s->axes[1 - a].name : NULL));
    if (s->n_axes == 2) CX_TRY(add_plot(s, s->axes[0].name, s->axes[1].name, s->metric, NULL));
    return CX_OK;
}

static cx_status parse_plots(cx_sweep_spec *s, const cx_yaml_node *root)
{
    const cx_yaml_node *n = cx_yaml_get(root, "plots");
    if (!n || cx_yaml_is_null(n)) return default_plots(s);
    CX_TRY(cx_yaml_expect(n, CX_YAML_SEQUENCE));
    s->plots = calloc(n->n + 1, sizeof *s->plots);
    if (!s->plots) return cx_fail(CX_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        const cx_yaml_node *m = n->items[i];
        CX_TRY(cx_yaml_expect(m, CX_YAML_MAPPING));
        CX_TRY(cx_yaml_check_keys(m, PLOT_KEYS));
        cx_sweep_plot *p = &s->plots[s->n_plots++];
        CX_TRY(plot_column(s, m, "x", 1, &p->x));
        CX_TRY(plot_column(s, m, "y", 1, &p->y));
        CX_TRY(plot_column(s, m, "z", 0, &p->z));
        CX_TRY(plot_column(s, m, "series", 0, &p->series));
        if (p->z && p->series) return cx_yaml_fail(CX_ERR_VALUE, m, "a heat map (z) has no series");
        const char *title = NULL;
        if (cx_yaml_find(m, "title")) CX_TRY(cx_yaml_get_string(m, "title", NULL, &title));
        if (title && !(p->title = strdup(title))) return cx_fail(CX_ERR_NOMEM, "out of memory");
        const cx_sweep_axis *ax = axis_named(s, p->x), *ay = axis_named(s, p->y);
        int dx = ax && ax->log, dy = p->z && ay && ay->log;
        CX_TRY(cx_yaml_get_bool(m, "log_x", &dx, &p->log_x));
        CX_TRY(cx_yaml_get_bool(m, "log_y", &dy, &p->log_y));
    }
    return CX_OK;
}

static cx_status parse(cx_sweep_spec *s, const cx_yaml_node *root)
{
    CX_TRY(cx_yaml_check_keys(root, ROOT_KEYS));
    const char *name, *desc, *metric;
    CX_TRY(cx_yaml_get_string(root, "name", NULL, &name));
    CX_TRY(cx_yaml_get_string(root, "description", "", &desc));
    if (!(s->name = strdup(name)) || !(s->description = strdup(desc)))
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    CX_TRY(get_path(root, "model", s->file, 1, "checkpoint folder", &s->model_dir));
    CX_TRY(get_path(root, "chip", s->file, 0, "chip description", &s->chip_path));
    size_t len;
    CX_TRY(cx_read_file(s->chip_path, (uint8_t **)&s->chip_text, &len));
    cx_yaml_doc *chip_doc;
    cx_status st = cx_yaml_load_string(s->chip_path, s->chip_text, &chip_doc);
    if (st != CX_OK) return st;
    cx_chip_config chip;
    memset(&chip, 0, sizeof chip);
    st = cx_chip_from_yaml(chip_doc->root, &chip);
    cx_chip_free(&chip);
    if (st == CX_OK) st = parse_sets(s, root);
    if (st == CX_OK) st = parse_inputs(root, s->file, "inputs", 0, &s->inputs_path, &s->samples);
    if (st == CX_OK && cx_yaml_find(root, "calibration"))
        st = parse_inputs(root, s->file, "calibration", 16, &s->calib_path, &s->calib_samples);
    const cx_yaml_node *axes = cx_yaml_get(root, "axes");
    if (st == CX_OK && axes && !cx_yaml_is_null(axes)) {
        st = cx_yaml_expect(axes, CX_YAML_SEQUENCE);
        if (st == CX_OK && !(s->axes = calloc(axes->n + 1, sizeof *s->axes)))
            st = cx_fail(CX_ERR_NOMEM, "out of memory");
        for (size_t a = 0; st == CX_OK && a < axes->n; a++) {
            st = cx_yaml_expect(axes->items[a], CX_YAML_MAPPING);
            if (st == CX_OK) {
                s->n_axes++;
                st = parse_axis(s, chip_doc->root, axes->items[a], &s->axes[a]);
            }
        }
    }
    cx_yaml_free(chip_doc);
    CX_TRY(st);
    CX_TRY(parse_seeds(s, root));
    /* the size first: checking the values takes a while per value */
    CX_TRY(check_grid(s, axes ? axes : root, s->n_axes, s->n_seeds));
    for (size_t a = 0; a < s->n_axes; a++)
        CX_TRY(check_values(s, axes->items[a], &s->axes[a]));
    static const int yes = 1;
    CX_TRY(cx_yaml_get_bool(root, "router", &yes, &s->router));
    CX_TRY(build_columns(s));
    CX_TRY(cx_yaml_get_string(root, "metric", "rmse", &metric));
    int mc = cx_sweep_column(s, metric);
    if (mc < 0 || s->col_text[mc] || mc < (int)(CX_SWEEP_LEAD_COLS + s->n_axes))
        return cx_yaml_fail(CX_ERR_VALUE,
                            cx_yaml_get(root, "metric") ? cx_yaml_get(root, "metric") : root,
                            "'%s' is not a numeric result column (rmse, rmse_last, max_abs, "
                            "accuracy, late_fraction, energy_nj, ...)",
                            metric);
    if (!(s->metric = strdup(metric))) return cx_fail(CX_ERR_NOMEM, "out of memory");
    return parse_plots(s, root);
}

cx_status cx_sweep_spec_load(const char *path, cx_sweep_spec **out)
{
    *out = NULL;
    cx_yaml_doc *doc;
    CX_TRY(cx_yaml_load_file(path, &doc));
    cx_sweep_spec *s = calloc(1, sizeof *s);
    cx_status st = s && (s->file = strdup(path)) ? CX_OK : cx_fail(CX_ERR_NOMEM, "out of memory");
    if (st == CX_OK) st = cx_yaml_expect(doc->root, CX_YAML_MAPPING);
    if (st == CX_OK) st = parse(s, doc->root);
    cx_yaml_free(doc);
    if (st != CX_OK) {
        cx_sweep_spec_free(s);
        return st;
    }
    *out = s;
    return CX_OK;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void cx_sweep_spec_free(cx_sweep_spec *s)
{
    if (!s) return;
    free(s->file);
    free(s->name);
    free(s->description);
    free(s->model_dir);
    free(s->chip_path);
    free(s->inputs_path);
    free(s->calib_path);
    free(s->chip_text);
    free_strings(s->set_keys, s->n_sets);
    free_strings(s->set_values, s->n_sets);
    for (size_t a = 0; s->axes && a < s->n_axes; a++) {
        cx_sweep_axis *ax = &s->axes[a];
        free(ax->name);
        free_strings(ax->keys, ax->n_keys);
        free_strings(ax->text, ax->text ? ax->n : 0);
        free(ax->num);
    }
    free(s->axes);
    free(s->seeds);
    free(s->metric);
    for (size_t p = 0; p < s->n_plots; p++) {
        free(s->plots[p].x);
        free(s->plots[p].y);
        free(s->plots[p].z);
        free(s->plots[p].series);
        free(s->plots[p].title);
    }
    free(s->plots);
    free_strings(s->col_names, s->n_cols);
    free(s->col_text);
    free(s);
}
