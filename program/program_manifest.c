/* Reading a program manifest: checks its keys, counts and names and fills a
 * program's scalars, tile counts and probe sizes (no tensors). */
#define _POSIX_C_SOURCE 200809L
#include "program_internal.h"

#include "cx_yaml.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static cx_status get_count(const cx_yaml_node *m, const char *key, long *out)
{
    CX_TRY(cx_yaml_get_long(m, key, NULL, CX_YAML_AT_LEAST(0), out));
    if (*out > INT_MAX)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(m, key), "%ld is too large (at most %d)",
                            *out, INT_MAX);
    return CX_OK;
}

/* A string, or NULL when the key is absent or ~. */
static cx_status get_opt_string(const cx_yaml_node *m, const char *key, char **out)
{
    const cx_yaml_node *n = cx_yaml_get(m, key);
    const char *s;
    *out = NULL;
    if (!n || cx_yaml_is_null(n)) return CX_OK;
    CX_TRY(cx_yaml_to_string(n, &s));
    *out = strdup(s);
    return *out ? CX_OK : cx_fail(CX_ERR_NOMEM, "%s: out of memory", n->file);
}

static cx_status parse_tile(const cx_yaml_node *n, int k, tile_counts *c)
{
    static const char *const keys[] = {"index",     "chip",  "x",        "y",        "compartments",
                                       "dendrites", "somas", "readouts", "synapses", NULL};
    long index;
    CX_TRY(cx_yaml_expect(n, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_check_keys(n, keys));
    CX_TRY(get_count(n, "index", &index));
    if (index != k)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(n, "index"),
                            "tile %ld listed at position %d (tiles are listed in order)", index, k);
    c->chip = 0;
    if (cx_yaml_get(n, "chip")) CX_TRY(get_count(n, "chip", &c->chip));
    CX_TRY(get_count(n, "x", &c->x));
    CX_TRY(get_count(n, "y", &c->y));
    CX_TRY(get_count(n, "compartments", &c->comps));
    CX_TRY(get_count(n, "dendrites", &c->dends));
    CX_TRY(get_count(n, "somas", &c->somas));
    CX_TRY(get_count(n, "readouts", &c->readouts));
    CX_TRY(get_count(n, "synapses", &c->synapses));
    return CX_OK;
}

static cx_status parse_probe(const cx_yaml_node *n, cx_prog_probe *q)
{
    static const char *const keys[] = {"name", "groups", "n", NULL};
    long groups, count;
    CX_TRY(cx_yaml_expect(n, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_check_keys(n, keys));
    CX_TRY(get_opt_string(n, "name", &q->name));
    CX_TRY(get_count(n, "groups", &groups));
    CX_TRY(get_count(n, "n", &count));
    if (groups > 1 && count % groups)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(n, "n"), "%ld samples in %ld groups", count,
                            groups);
    q->groups = (int)groups;
    q->n = (size_t)count;
    return CX_OK;
}

/* Everything but the tensors: p's scalars, tile and probe counts, the
 * tensors file name (points into doc). */
cx_status prog_io_parse_manifest(const cx_yaml_doc *doc, cx_program *p, tile_counts **tc,
                                 const char **tensors)
{
    static const char *const keys[] = {
        "format", "version", "model",   "chip",       "board", "chips",  "step_ms", "host",
        "inputs", "outputs", "tensors", "steps_hint", "tiles", "routes", "probes",  NULL};
    static const char *const model_keys[] = {"kind", "dir", NULL};
    const cx_yaml_node *root = doc->root, *n;
    const char *s;
    long v;
    CX_TRY(cx_yaml_expect(root, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_get_string(root, "format", NULL, &s));
    if (strcmp(s, FORMAT_NAME) != 0)
        return cx_yaml_fail(CX_ERR_FORMAT, cx_yaml_get(root, "format"),
                            "'%s', expected '%s' (not a cortile program manifest)", s, FORMAT_NAME);
    CX_TRY(cx_yaml_get_long(root, "version", NULL, NULL, &v));
    if (v != FORMAT_VERSION)
        return cx_yaml_fail(CX_ERR_UNSUPPORTED, cx_yaml_get(root, "version"),
                            "version %ld; this build reads version %d", v, FORMAT_VERSION);
    CX_TRY(cx_yaml_check_keys(root, keys));

    CX_TRY(cx_yaml_at(root, "model", &n));
    CX_TRY(cx_yaml_expect(n, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_check_keys(n, model_keys));
    CX_TRY(cx_yaml_get_string(n, "kind", NULL, &s));
    if (cx_model_kind_parse(s, &p->kind) != CX_OK)
        return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(n, "kind"),
                            "unknown model kind '%s' (expected elm, glifr or auto)", s);
    CX_TRY(get_opt_string(n, "dir", &p->model_dir));
    CX_TRY(get_opt_string(root, "chip", &p->chip_name));
    CX_TRY(get_opt_string(root, "board", &p->board_name));
    p->n_chips = 1;
    if (p->board_name) {
        CX_TRY(get_count(root, "chips", &v));
        if (v < 1) return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(root, "chips"), "%ld chips", v);
        p->n_chips = (int)v;
    }
    static const cx_yaml_range step_range = {
        .min = 0, .max = CX_PROG_MAX_STEP_MS, .flags = CX_YAML_GT | CX_YAML_LE};
    CX_TRY(cx_yaml_get_double(root, "step_ms", NULL, &step_range, &p->step_ms));
    CX_TRY(get_count(root, "steps_hint", &v));
    p->steps_hint = (int)v;
    CX_TRY(get_count(root, "host", &v));
    p->host = (int)v;
    CX_TRY(get_count(root, "inputs", &v));
    p->n_inputs = (int)v;
    CX_TRY(get_count(root, "outputs", &v));
    p->n_outputs = (int)v;
    CX_TRY(cx_yaml_get_string(root, "tensors", NULL, tensors));

    CX_TRY(cx_yaml_at(root, "tiles", &n));
    CX_TRY(cx_yaml_expect(n, CX_YAML_SEQUENCE));
    if (n->n > INT_MAX) return cx_yaml_fail(CX_ERR_VALUE, n, "%zu tiles", n->n);
    *tc = calloc(n->n ? n->n : 1, sizeof **tc);
    p->tiles = calloc(n->n ? n->n : 1, sizeof *p->tiles);
    if (!*tc || !p->tiles) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", doc->file);
    p->n_tiles = (int)n->n;
    for (int k = 0; k < p->n_tiles; k++) {
        CX_TRY(parse_tile(n->items[k], k, &(*tc)[k]));
        if ((*tc)[k].chip >= p->n_chips)
            return cx_yaml_fail(CX_ERR_VALUE, cx_yaml_get(n->items[k], "chip"),
                                "chip %ld of a program for %d chip(s)", (*tc)[k].chip, p->n_chips);
    }

    CX_TRY(get_count(root, "routes", &v));
    p->routes = calloc(v ? (size_t)v : 1, sizeof *p->routes);
    if (!p->routes) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", doc->file);
    p->n_routes = (int)v;

    CX_TRY(cx_yaml_at(root, "probes", &n));
    CX_TRY(cx_yaml_expect(n, CX_YAML_SEQUENCE));
    if (n->n > INT_MAX) return cx_yaml_fail(CX_ERR_VALUE, n, "%zu probes", n->n);
    p->probes = calloc(n->n ? n->n : 1, sizeof *p->probes);
    if (!p->probes) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", doc->file);
    p->n_probes = (int)n->n;
    for (int j = 0; j < p->n_probes; j++)
        CX_TRY(parse_probe(n->items[j], &p->probes[j]));
    return CX_OK;
}
