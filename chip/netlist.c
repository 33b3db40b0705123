/* Tile netlists from YAML (cx_netlist.h): names in, cx_tile specs out. */
#define _POSIX_C_SOURCE 200809L
#include "cx_netlist.h"

#include "cx_yaml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CX_TWO_PI 6.283185307179586476925

/* Every allocation is remembered, so one free releases all. */
static void *keep(cx_netlist *nl, void *p)
{
    if (!p) return NULL;
    if (nl->n_blocks == nl->cap_blocks) {
        size_t cap = nl->cap_blocks ? 2 * nl->cap_blocks : 64;
        void **b = realloc(nl->blocks, cap * sizeof *b);
        if (!b) {
            free(p);
            return NULL;
        }
        nl->blocks = b, nl->cap_blocks = cap;
    }
    nl->blocks[nl->n_blocks++] = p;
    return p;
}

static void *nl_calloc(cx_netlist *nl, size_t n, size_t size)
{
    return keep(nl, calloc(n ? n : 1, size));
}

static char *nl_strdup(cx_netlist *nl, const char *s)
{
    return keep(nl, strdup(s));
}

void cx_netlist_free(cx_netlist *nl)
{
    for (size_t i = 0; i < nl->n_blocks; i++)
        free(nl->blocks[i]);
    free(nl->blocks);
    memset(nl, 0, sizeof *nl);
}

#define NOMEM() cx_fail(CX_ERR_NOMEM, "netlist: out of memory")

static cx_status node_fail(const cx_yaml_node *n, const char *problem, const char *what)
{
    return cx_fail(CX_ERR_VALUE, "%s:%d: key '%s': %s%s", n->file, n->line, n->path, problem, what);
}

/* ------------------------------------------------------------ names */

typedef struct {
    const cx_yaml_node *dendrites; /* the sequence, for output counts */
    size_t n_dend;
    char **dend_names;
    size_t *dend_first, *dend_outs;
} name_table;

static long find_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0) return (long)i;
    return -1;
}

/* Resolves a signal name read at node `at`. */
static cx_status resolve(const cx_netlist *nl, const name_table *nt, const cx_yaml_node *at,
                         const char *name, cx_tile_sig *out)
{
    *out = (cx_tile_sig){CX_TILE_SIG_CONST, 0, 0};
    if (strcmp(name, "const") == 0) return CX_OK;
    char base[128];
    long sub = -1, delay = 0;
    const char *mark = strpbrk(name, "[@");
    size_t len = mark ? (size_t)(mark - name) : strlen(name);
    if (len == 0 || len >= sizeof base) return node_fail(at, "bad signal name ", name);
    memcpy(base, name, len);
    base[len] = 0;
    if (mark && *mark == '[') {
        char *end;
        sub = strtol(mark + 1, &end, 10);
        if (end == mark + 1 || *end != ']' || end[1] || sub < 0)
            return node_fail(at, "bad dendrite output (want name[k]): ", name);
    } else if (mark) {
        char *end;
        delay = strtol(mark + 1, &end, 10);
        if (end == mark + 1 || *end || delay < 0)
            return node_fail(at, "bad soma delay (want name@steps): ", name);
    }
    long i;
    if ((i = find_name(nl->input_names, nl->net.n_inputs, base)) >= 0 && !mark) {
        *out = (cx_tile_sig){CX_TILE_SIG_INPUT, (int)i, 0};
    } else if ((i = find_name(nl->comp_names, nl->net.n_comps, base)) >= 0 && !mark) {
        *out = (cx_tile_sig){CX_TILE_SIG_STATE, (int)i, 0};
    } else if ((i = find_name(nl->soma_names, nl->net.n_somas, base)) >= 0 && sub < 0) {
        *out = (cx_tile_sig){CX_TILE_SIG_SOMA, (int)i, (int)delay};
    } else if ((i = find_name(nt->dend_names, nt->n_dend, base)) >= 0 && delay == 0) {
        size_t k = sub < 0 ? 0 : (size_t)sub;
        if (sub < 0 && nt->dend_outs[i] != 1)
            return node_fail(at, "a dendrite with several outputs is read as name[k]: ", name);
        if (k >= nt->dend_outs[i]) return node_fail(at, "dendrite output out of range: ", name);
        *out = (cx_tile_sig){CX_TILE_SIG_DENDRITE, (int)(nt->dend_first[i] + k), 0};
    } else {
        return node_fail(at, "unknown signal ", name);
    }
    return CX_OK;
}

/* Registers one element name: unique over the netlist, not reserved. */
static cx_status add_name(cx_netlist *nl, const cx_yaml_node *at, const char *name, char **all,
                          size_t *n_all, char **slot)
{
    if (strcmp(name, "const") == 0 || strpbrk(name, "[@ "))
        return node_fail(at, "reserved or malformed name ", name);
    if (find_name(all, *n_all, name) >= 0) return node_fail(at, "duplicate name ", name);
    *slot = all[(*n_all)++] = nl_strdup(nl, name);
    return *slot ? CX_OK : NOMEM();
}

/* The names of a sequence's items: the items themselves (scalar_items) or
 * their 'name' key. */
static cx_status collect_names(cx_netlist *nl, const cx_yaml_node *seq, int scalar_items,
                               char ***out, size_t *n, char **all, size_t *n_all)
{
    *n = seq ? seq->n : 0;
    *out = nl_calloc(nl, *n, sizeof **out);
    if (!*out) return NOMEM();
    for (size_t i = 0; i < *n; i++) {
        const cx_yaml_node *at = seq->items[i];
        const char *name;
        if (scalar_items) {
            CX_TRY(cx_yaml_to_string(at, &name));
        } else {
            CX_TRY(cx_yaml_expect(at, CX_YAML_MAPPING));
            CX_TRY(cx_yaml_get_string(at, "name", NULL, &name));
            at = cx_yaml_get(at, "name");
        }
        CX_TRY(add_name(nl, at, name, all, n_all, &(*out)[i]));
    }
    return CX_OK;
}

/* Optional sequence at key; NULL when absent. */
static cx_status get_seq(const cx_yaml_node *map, const char *key, const cx_yaml_node **out)
{
    *out = cx_yaml_get(map, key);
    if (*out && cx_yaml_is_null(*out)) *out = NULL;
    return *out ? cx_yaml_expect(*out, CX_YAML_SEQUENCE) : CX_OK;
}

/* A {signal: weight, ...} mapping into terms. */
static cx_status read_terms(cx_netlist *nl, const name_table *nt, const cx_yaml_node *map,
                            const char *key, cx_tile_term **terms, size_t *n)
{
    *terms = NULL, *n = 0;
    const cx_yaml_node *m = cx_yaml_get(map, key);
    if (!m || cx_yaml_is_null(m)) return CX_OK;
    CX_TRY(cx_yaml_expect(m, CX_YAML_MAPPING));
    *terms = nl_calloc(nl, m->n, sizeof **terms);
    if (!*terms) return NOMEM();
    for (size_t k = 0; k < m->n; k++) {
        CX_TRY(resolve(nl, nt, m->keys[k], m->keys[k]->value, &(*terms)[k].sig));
        CX_TRY(cx_yaml_to_double(m->items[k], NULL, &(*terms)[k].weight));
    }
    *n = m->n;
    return CX_OK;
}

/* ------------------------------------------------------------ elements */

static cx_status read_comp(cx_netlist *nl, const name_table *nt, const cx_yaml_node *m,
                           cx_tile_comp_spec *c)
{
    static const char *const keys[] = {"name",  "kind",        "f_hz", "zeta", "tau_ms",
                                       "gain",  "offset",      "x0",   "v0",   "stage",
                                       "drive", "conductance", NULL};
    CX_TRY(cx_yaml_check_keys(m, keys));
    const char *kind;
    CX_TRY(cx_yaml_get_string(m, "kind", NULL, &kind));
    const double zero = 0, one = 1;
    if (strcmp(kind, "second_order") == 0) {
        double f;
        c->kind = CX_TILE_SECOND_ORDER;
        CX_TRY(cx_yaml_get_double(m, "f_hz", NULL, CX_YAML_ABOVE(0), &f));
        CX_TRY(cx_yaml_get_double(m, "zeta", NULL, CX_YAML_ABOVE(0), &c->zeta));
        c->omega_rad_per_ms = CX_TWO_PI * f / 1000.0;
        if (cx_yaml_get(m, "tau_ms"))
            return node_fail(cx_yaml_get(m, "tau_ms"), "",
                             "a second_order compartment has f_hz and zeta, not tau_ms");
    } else if (strcmp(kind, "first_order") == 0) {
        c->kind = CX_TILE_FIRST_ORDER;
        CX_TRY(cx_yaml_get_double(m, "tau_ms", NULL, CX_YAML_ABOVE(0), &c->tau_ms));
        if (cx_yaml_get(m, "f_hz") || cx_yaml_get(m, "zeta"))
            return node_fail(cx_yaml_get(m, "kind"), "",
                             "a first_order compartment has tau_ms, not f_hz/zeta");
    } else {
        return node_fail(cx_yaml_get(m, "kind"), "expected second_order or first_order, found ",
                         kind);
    }
    long stage;
    const long zero_l = 0;
    CX_TRY(cx_yaml_get_double(m, "gain", &one, NULL, &c->gain));
    CX_TRY(cx_yaml_get_double(m, "offset", &zero, NULL, &c->offset));
    CX_TRY(cx_yaml_get_double(m, "x0", &zero, NULL, &c->x0));
    CX_TRY(cx_yaml_get_double(m, "v0", &zero, NULL, &c->v0));
    CX_TRY(cx_yaml_get_long(m, "stage", &zero_l, CX_YAML_BETWEEN(0, 63), &stage));
    c->stage = (int)stage;
    cx_tile_term *drive;
    CX_TRY(read_terms(nl, nt, m, "drive", &drive, &c->n_drive));
    c->drive = drive;
    const cx_yaml_node *cs;
    CX_TRY(get_seq(m, "conductance", &cs));
    if (cs) {
        cx_tile_cond *cond = nl_calloc(nl, cs->n, sizeof *cond);
        if (!cond) return NOMEM();
        static const char *const ckeys[] = {"signal", "weight", "reversal", NULL};
        for (size_t k = 0; k < cs->n; k++) {
            const char *sig;
            CX_TRY(cx_yaml_expect(cs->items[k], CX_YAML_MAPPING));
            CX_TRY(cx_yaml_check_keys(cs->items[k], ckeys));
            CX_TRY(cx_yaml_get_string(cs->items[k], "signal", NULL, &sig));
            CX_TRY(resolve(nl, nt, cx_yaml_get(cs->items[k], "signal"), sig, &cond[k].sig));
            CX_TRY(cx_yaml_get_double(cs->items[k], "weight", NULL, NULL, &cond[k].weight));
            CX_TRY(cx_yaml_get_double(cs->items[k], "reversal", NULL, NULL, &cond[k].reversal));
        }
        c->cond = cond;
        c->n_cond = cs->n;
    }
    return CX_OK;
}

static cx_status parse_activation(const cx_yaml_node *m, cx_chip_activation *out)
{
    const char *name;
    CX_TRY(cx_yaml_get_string(m, "activation", NULL, &name));
    for (int i = 0; i < CX_CHIP_NACTIVATIONS; i++)
        if (strcmp(name, cx_chip_activation_name((cx_chip_activation)(1u << i))) == 0) {
            *out = (cx_chip_activation)(1u << i);
            return CX_OK;
        }
    return node_fail(cx_yaml_get(m, "activation"),
                     "expected relu, silu, sigmoid, tanh, scaled_tanh or identity, found ", name);
}

static cx_status read_dendrite(cx_netlist *nl, const name_table *nt, const cx_yaml_node *m,
                               cx_tile_dendrite_spec *d)
{
    static const char *const keys[] = {"name",       "inputs", "weights",    "bias",
                                       "activation", "stage",  "full_scale", NULL};
    CX_TRY(cx_yaml_check_keys(m, keys));
    const cx_yaml_node *in, *w;
    CX_TRY(cx_yaml_at(m, "inputs", &in));
    CX_TRY(cx_yaml_expect(in, CX_YAML_SEQUENCE));
    CX_TRY(cx_yaml_at(m, "weights", &w));
    CX_TRY(cx_yaml_expect(w, CX_YAML_SEQUENCE));
    d->n_in = in->n, d->n_out = w->n;
    if (d->n_in == 0 || d->n_out == 0)
        return node_fail(w, "", "needs at least one input and one row of weights");
    cx_tile_sig *sigs = nl_calloc(nl, d->n_in, sizeof *sigs);
    double *weights = nl_calloc(nl, d->n_in * d->n_out, sizeof *weights);
    if (!sigs || !weights) return NOMEM();
    for (size_t k = 0; k < in->n; k++) {
        const char *s;
        CX_TRY(cx_yaml_to_string(in->items[k], &s));
        CX_TRY(resolve(nl, nt, in->items[k], s, &sigs[k]));
    }
    for (size_t r = 0; r < w->n; r++) {
        const cx_yaml_node *row = w->items[r];
        CX_TRY(cx_yaml_expect(row, CX_YAML_SEQUENCE));
        if (row->n != d->n_in) {
            char buf[96];
            snprintf(buf, sizeof buf, "row has %zu weights, the dendrite has %zu inputs", row->n,
                     d->n_in);
            return node_fail(row, "", buf);
        }
        for (size_t k = 0; k < row->n; k++)
            CX_TRY(cx_yaml_to_double(row->items[k], NULL, &weights[r * d->n_in + k]));
    }
    d->inputs = sigs, d->weights = weights;
    if (cx_yaml_get(m, "bias") && !cx_yaml_is_null(cx_yaml_get(m, "bias"))) {
        double *bias;
        size_t nb;
        CX_TRY(cx_yaml_get_doubles(m, "bias", d->n_out, d->n_out, NULL, &bias, &nb));
        if (!keep(nl, bias)) return NOMEM();
        d->bias = bias;
    }
    CX_TRY(parse_activation(m, &d->activation));
    long stage;
    const long zero_l = 0;
    const double zero = 0;
    CX_TRY(cx_yaml_get_long(m, "stage", &zero_l, CX_YAML_BETWEEN(0, 63), &stage));
    d->stage = (int)stage;
    return cx_yaml_get_double(m, "full_scale", &zero, CX_YAML_AT_LEAST(0), &d->full_scale);
}

static cx_status read_soma(cx_netlist *nl, const name_table *nt, const cx_yaml_node *m,
                           cx_tile_soma_spec *s)
{
    static const char *const keys[] = {"name",  "kind",  "input", "threshold",
                                       "width", "reset", "emit",  NULL};
    CX_TRY(cx_yaml_check_keys(m, keys));
    const char *kind, *input;
    CX_TRY(cx_yaml_get_string(m, "kind", NULL, &kind));
    CX_TRY(cx_yaml_get_string(m, "input", NULL, &input));
    CX_TRY(resolve(nl, nt, cx_yaml_get(m, "input"), input, &s->input));
    CX_TRY(cx_yaml_get_double(m, "threshold", NULL, NULL, &s->threshold));
    const int yes = 1;
    const double zero = 0;
    CX_TRY(cx_yaml_get_bool(m, "emit", &yes, &s->emit));
    if (strcmp(kind, "sigmoid") == 0) {
        s->kind = CX_TILE_SOMA_SIGMOID;
        CX_TRY(cx_yaml_get_double(m, "width", NULL, CX_YAML_ABOVE(0), &s->width));
    } else if (strcmp(kind, "threshold") == 0) {
        s->kind = CX_TILE_SOMA_THRESHOLD;
        CX_TRY(cx_yaml_get_double(m, "reset", &zero, NULL, &s->reset));
    } else {
        return node_fail(cx_yaml_get(m, "kind"), "expected sigmoid or threshold, found ", kind);
    }
    return CX_OK;
}

static cx_status read_synapses(cx_netlist *nl, const cx_yaml_node *seq)
{
    nl->synapses = nl_calloc(nl, seq ? seq->n : 0, sizeof *nl->synapses);
    if (!nl->synapses) return NOMEM();
    static const char *const keys[] = {"source", "target", "weight", NULL};
    for (size_t i = 0; seq && i < seq->n; i++) {
        const cx_yaml_node *m = seq->items[i];
        long src;
        const char *target;
        CX_TRY(cx_yaml_expect(m, CX_YAML_MAPPING));
        CX_TRY(cx_yaml_check_keys(m, keys));
        CX_TRY(cx_yaml_get_long(m, "source", NULL, CX_YAML_BETWEEN(0, 4294967295.0), &src));
        CX_TRY(cx_yaml_get_string(m, "target", NULL, &target));
        long c = find_name(nl->comp_names, nl->net.n_comps, target);
        if (c < 0) return node_fail(cx_yaml_get(m, "target"), "unknown compartment ", target);
        nl->synapses[i].source = (uint32_t)src;
        nl->synapses[i].compartment = (int)c;
        CX_TRY(cx_yaml_get_double(m, "weight", NULL, NULL, &nl->synapses[i].weight));
    }
    nl->net.synapses = nl->synapses;
    nl->net.n_synapses = seq ? seq->n : 0;
    return CX_OK;
}

/* ------------------------------------------------------------ document */

static cx_status read_doc(cx_netlist *nl, const cx_yaml_node *root)
{
    static const char *const keys[] = {"description", "step_ms", "inputs",   "compartments",
                                       "dendrites",   "somas",   "synapses", "synapse_full_scale",
                                       "readouts",    "record",  NULL};
    CX_TRY(cx_yaml_expect(root, CX_YAML_MAPPING));
    CX_TRY(cx_yaml_check_keys(root, keys));
    const char *desc;
    CX_TRY(cx_yaml_get_string(root, "description", "", &desc));
    if (!(nl->description = nl_strdup(nl, desc))) return NOMEM();
    CX_TRY(cx_yaml_get_double(root, "step_ms", NULL, CX_YAML_ABOVE(0), &nl->net.step_ms));
    const double zero = 0;
    CX_TRY(cx_yaml_get_double(root, "synapse_full_scale", &zero, CX_YAML_AT_LEAST(0),
                              &nl->net.synapse_full_scale));
    const cx_yaml_node *in, *comps, *dends, *somas, *syns, *ros, *rec;
    CX_TRY(get_seq(root, "inputs", &in));
    CX_TRY(cx_yaml_at(root, "compartments", &comps));
    CX_TRY(cx_yaml_expect(comps, CX_YAML_SEQUENCE));
    CX_TRY(get_seq(root, "dendrites", &dends));
    CX_TRY(get_seq(root, "somas", &somas));
    CX_TRY(get_seq(root, "synapses", &syns));
    CX_TRY(get_seq(root, "readouts", &ros));
    CX_TRY(get_seq(root, "record", &rec));

    size_t total =
        comps->n + (dends ? dends->n : 0) + (somas ? somas->n : 0) + (ros ? ros->n : 0) + 1;
    total += in ? in->n : 0;
    char **all = nl_calloc(nl, total, sizeof *all);
    if (!all) return NOMEM();
    size_t n_all = 0, n;
    name_table nt = {0};
    CX_TRY(collect_names(nl, in, 1, &nl->input_names, &nl->net.n_inputs, all, &n_all));
    CX_TRY(collect_names(nl, comps, 0, &nl->comp_names, &nl->net.n_comps, all, &n_all));
    CX_TRY(collect_names(nl, dends, 0, &nt.dend_names, &nt.n_dend, all, &n_all));
    CX_TRY(collect_names(nl, somas, 0, &nl->soma_names, &nl->net.n_somas, all, &n_all));
    CX_TRY(collect_names(nl, ros, 0, &nl->readout_names, &nl->net.n_readouts, all, &n_all));
    nt.dend_first = nl_calloc(nl, nt.n_dend, sizeof *nt.dend_first);
    nt.dend_outs = nl_calloc(nl, nt.n_dend, sizeof *nt.dend_outs);
    if (!nt.dend_first || !nt.dend_outs) return NOMEM();
    for (size_t i = 0, first = 0; i < nt.n_dend; i++) {
        const cx_yaml_node *w;
        CX_TRY(cx_yaml_at(dends->items[i], "weights", &w));
        CX_TRY(cx_yaml_expect(w, CX_YAML_SEQUENCE));
        nt.dend_first[i] = first, nt.dend_outs[i] = w->n;
        first += w->n;
    }

    n = nl->net.n_comps;
    nl->comps = nl_calloc(nl, n, sizeof *nl->comps);
    if (!nl->comps) return NOMEM();
    for (size_t i = 0; i < n; i++)
        CX_TRY(read_comp(nl, &nt, comps->items[i], &nl->comps[i]));
    nl->dendrites = nl_calloc(nl, nt.n_dend, sizeof *nl->dendrites);
    if (!nl->dendrites) return NOMEM();
    for (size_t i = 0; i < nt.n_dend; i++)
        CX_TRY(read_dendrite(nl, &nt, dends->items[i], &nl->dendrites[i]));
    nl->somas = nl_calloc(nl, nl->net.n_somas, sizeof *nl->somas);
    if (!nl->somas) return NOMEM();
    for (size_t i = 0; i < nl->net.n_somas; i++)
        CX_TRY(read_soma(nl, &nt, somas->items[i], &nl->somas[i]));
    nl->readouts = nl_calloc(nl, nl->net.n_readouts, sizeof *nl->readouts);
    if (!nl->readouts) return NOMEM();
    static const char *const rkeys[] = {"name", "terms", "bias", NULL};
    for (size_t i = 0; i < nl->net.n_readouts; i++) {
        cx_tile_term *terms;
        CX_TRY(cx_yaml_check_keys(ros->items[i], rkeys));
        CX_TRY(read_terms(nl, &nt, ros->items[i], "terms", &terms, &nl->readouts[i].n_terms));
        nl->readouts[i].terms = terms;
        CX_TRY(cx_yaml_get_double(ros->items[i], "bias", &zero, NULL, &nl->readouts[i].bias));
    }
    CX_TRY(read_synapses(nl, syns));
    nl->n_record = rec ? rec->n : 0;
    nl->record = nl_calloc(nl, nl->n_record, sizeof *nl->record);
    nl->record_names = nl_calloc(nl, nl->n_record, sizeof *nl->record_names);
    if (!nl->record || !nl->record_names) return NOMEM();
    for (size_t i = 0; i < nl->n_record; i++) {
        const char *s;
        CX_TRY(cx_yaml_to_string(rec->items[i], &s));
        CX_TRY(resolve(nl, &nt, rec->items[i], s, &nl->record[i]));
        if (!(nl->record_names[i] = nl_strdup(nl, s))) return NOMEM();
    }
    nl->net.comps = nl->comps;
    nl->net.dendrites = nl->dendrites;
    nl->net.n_dendrites = nt.n_dend;
    nl->net.somas = nl->somas;
    nl->net.readouts = nl->readouts;
    return CX_OK;
}

cx_status cx_netlist_load(const char *path, cx_netlist *out)
{
    memset(out, 0, sizeof *out);
    cx_yaml_doc *doc;
    CX_TRY(cx_yaml_load_file(path, &doc));
    cx_status st = read_doc(out, doc->root);
    cx_yaml_free(doc);
    if (st != CX_OK) cx_netlist_free(out);
    return st;
}
