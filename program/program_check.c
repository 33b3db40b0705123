/* Checking a program as a whole: against itself once its tensors are read
 * (every element is in range by then; what is left is how they agree), and
 * against the model it was compiled from (cx_program_check_model). Files are
 * kept, edited and moved by people, so nothing in them is trusted. */
#define _POSIX_C_SOURCE 200809L
#include "program_internal.h"

#include "cx_inputs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest of %.15g .. %.17g that reads back as v. */
static const char *num(char buf[32], double v)
{
    for (int digits = 15; digits < 17; digits++) {
        snprintf(buf, 32, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) return buf;
    }
    snprintf(buf, 32, "%.17g", v);
    return buf;
}

typedef struct {
    uint32_t key;
    int route;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->route > y->route) - (x->route < y->route);
}

/* Route keys sorted, for the duplicate check and the synapses' lookups. */
static cx_status sorted_keys(const cx_program *p, const char *tensors, keyed **out)
{
    keyed *k = malloc((size_t)(p->n_routes ? p->n_routes : 1) * sizeof *k);
    if (!k) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", tensors);
    for (int i = 0; i < p->n_routes; i++)
        k[i] = (keyed){p->routes[i].key, i};
    qsort(k, (size_t)p->n_routes, sizeof *k, keyed_cmp);
    for (int i = 1; i < p->n_routes; i++)
        if (k[i].key == k[i - 1].key) {
            cx_status st = cx_fail(CX_ERR_VALUE,
                                   "%s: tensor 'route.key': elements %d and %d are both %u (a "
                                   "source has one route)",
                                   tensors, k[i - 1].route, k[i].route, (unsigned)k[i].key);
            free(k);
            return st;
        }
    *out = k;
    return CX_OK;
}

static cx_status check_routes(const cx_program *p, const char *tensors)
{
    /* the first route of each source: host channels, then every tile's somas */
    size_t n_src = (size_t)p->n_inputs;
    size_t *base = malloc((size_t)(p->n_tiles + 1) * sizeof *base);
    if (!base) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", tensors);
    for (int k = 0; k < p->n_tiles; k++) {
        base[k] = n_src;
        n_src += p->tiles[k].n_somas;
    }
    int *seen = malloc((n_src ? n_src : 1) * sizeof *seen);
    unsigned char *dest = calloc((size_t)(p->n_tiles ? p->n_tiles : 1), 1);
    cx_status st = seen && dest ? CX_OK : cx_fail(CX_ERR_NOMEM, "%s: out of memory", tensors);
    for (size_t i = 0; st == CX_OK && i < n_src; i++)
        seen[i] = -1;
    const double max_due = CX_PROG_MAX_DUE_STEPS * p->step_ms;
    for (int i = 0; st == CX_OK && i < p->n_routes; i++) {
        const cx_prog_route *r = &p->routes[i];
        size_t src =
            r->src_tile < 0 ? (size_t)r->src_index : base[r->src_tile] + (size_t)r->src_index;
        if (seen[src] >= 0) {
            st = cx_fail(CX_ERR_VALUE,
                         "%s: tensor 'route.src_index': routes %d and %d both carry %s %d%s (a "
                         "source has one route)",
                         tensors, seen[src], i, r->src_tile < 0 ? "host channel" : "soma",
                         r->src_index, r->src_tile < 0 ? "" : " of a tile");
            break;
        }
        seen[src] = i;
        /* a due time beyond any step the run reaches would hold the router forever */
        if (!(r->due_offset_ms >= 0 && r->due_offset_ms <= max_due)) {
            st = cx_fail(CX_ERR_VALUE,
                         "%s: tensor 'route.due_offset_ms': element %d is %g, expected 0..%g "
                         "(at most %d steps of %g ms)",
                         tensors, i, r->due_offset_ms, max_due, CX_PROG_MAX_DUE_STEPS, p->step_ms);
            break;
        }
        for (int q = 0; q < r->n_dests && st == CX_OK; q++) {
            if (dest[r->dests[q]])
                st = cx_fail(CX_ERR_VALUE, "%s: tensor 'route.dests': route %d lists tile %d twice",
                             tensors, i, r->dests[q]);
            dest[r->dests[q]] = 1;
        }
        for (int q = 0; q < r->n_dests; q++)
            dest[r->dests[q]] = 0;
    }
    free(base);
    free(seen);
    free(dest);
    return st;
}

/* Every synapse of tile k listens to a route that reaches tile k: any other
 * source never arrives, and the synapse would be silently dead. */
static cx_status check_synapses(const cx_program *p, const char *tensors, const keyed *keys, int k)
{
    const cx_prog_tile *t = &p->tiles[k];
    for (size_t i = 0; i < t->n_synapses; i++) {
        keyed want = {t->synapses[i].source, -1};
        size_t lo = 0, hi = (size_t)p->n_routes;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (keyed_cmp(&keys[mid], &want) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        int reaches = 0;
        if (lo < (size_t)p->n_routes && keys[lo].key == want.key) {
            const cx_prog_route *r = &p->routes[keys[lo].route];
            for (int q = 0; q < r->n_dests && !reaches; q++)
                reaches = r->dests[q] == k;
        }
        if (!reaches)
            return cx_fail(CX_ERR_VALUE,
                           "%s: tensor 'tile%d.syn.source': element %zu is source %u, which no "
                           "route (route.key, route.dests) delivers to tile %d",
                           tensors, k, i, (unsigned)want.key, k);
    }
    return CX_OK;
}

cx_status prog_check_self(const cx_program *p, const char *tensors)
{
    char a[32], b[32];
    for (int k = 0; k < p->n_tiles; k++)
        if (p->tiles[k].net.step_ms != p->step_ms)
            return cx_fail(CX_ERR_VALUE,
                           "key 'step_ms' is %s, but %s: tensor 'tile%d.net.step_ms' is %s (the "
                           "tiles step with the program)",
                           num(a, p->step_ms), tensors, k, num(b, p->tiles[k].net.step_ms));
    for (int c = 0; c < p->n_inputs; c++) {
        if (p->in_sign[c] != 1 && p->in_sign[c] != -1)
            return cx_fail(CX_ERR_VALUE, "%s: tensor 'in.sign': element %d is %g, expected 1 or -1",
                           tensors, c, p->in_sign[c]);
        if (!(p->in_scale[c] > 0))
            return cx_fail(CX_ERR_VALUE,
                           "%s: tensor 'in.scale': element %d is %g, expected a full scale > 0",
                           tensors, c, p->in_scale[c]);
    }
    keyed *keys = NULL;
    CX_TRY(sorted_keys(p, tensors, &keys));
    cx_status st = check_routes(p, tensors);
    for (int k = 0; st == CX_OK && k < p->n_tiles; k++)
        st = check_synapses(p, tensors, keys, k);
    free(keys);
    return st;
}

static double model_step_ms(const cx_model *m)
{
    return m->kind == CX_KIND_ELM ? m->elm->delta_t_ms : m->glifr->dt_ms;
}

cx_status cx_program_load_model(const cx_program *p, const char *path, cx_model **out)
{
    *out = NULL;
    if (!p->model_dir || !p->model_dir[0])
        return cx_fail(CX_ERR_MISSING,
                       "%s: key 'model.dir' is empty: the program's model is needed to check it "
                       "and to measure the run",
                       path);
    cx_model *m = NULL;
    /* the folder's own kind, so that a program claiming another is caught */
    cx_status st = cx_model_load(p->model_dir, CX_KIND_AUTO, NULL, 0, &m);
    if (st != CX_OK) return cx_fail_context(st, "%s: key 'model.dir'", path);
    const char *kind = cx_model_kind_name(p->kind);
    if (m->kind != p->kind)
        st = cx_fail(CX_ERR_VALUE, "%s: key 'model.kind' is %s, but the model in %s is %s", path,
                     kind, p->model_dir, cx_model_kind_name(m->kind));
    else if (p->step_ms != model_step_ms(m)) {
        char a[32], b[32];
        st = cx_fail(CX_ERR_VALUE, "%s: key 'step_ms' is %s, but the %s model in %s steps %s ms",
                     path, num(a, p->step_ms), kind, p->model_dir, num(b, model_step_ms(m)));
    } else if (p->n_inputs != cx_model_inputs(m))
        st = cx_fail(CX_ERR_VALUE, "%s: key 'inputs' is %d, but the %s model in %s has %d", path,
                     p->n_inputs, kind, p->model_dir, cx_model_inputs(m));
    else if (p->n_outputs != cx_model_outputs(m))
        st = cx_fail(CX_ERR_VALUE, "%s: key 'outputs' is %d, but the %s model in %s has %d", path,
                     p->n_outputs, kind, p->model_dir, cx_model_outputs(m));
    if (st != CX_OK) {
        cx_model_free(m);
        return st;
    }
    *out = m;
    return CX_OK;
}
